/*
 * avps-vhost-user device type "net": virtio-net with one of four backends.
 *
 *   backend=tap (default, tap=IFNAME): a Linux TAP device (IFF_TAP | IFF_NO_PI |
 *     IFF_VNET_HDR, IFF_MULTI_QUEUE for num-queues > 1), one non-blocking fd
 *     per queue pair, offloads passed both ways in the virtio-net header.
 *   backend=sink: every transmitted frame is dropped (counted).
 *   backend=source: every posted receive buffer gets a frame of frame-size
 *     bytes (default 64).
 *
 * Receive goes through avps_net_rx_burst(): the TAP backend reads up to
 * AVPS_NET_RX_BURST frames per turn and hands them over at once, the source and
 * loopback backends offer AVPS_NET_RX_BURST frames per call; the device returns
 * a burst's buffers with one used-ring update and one notification.
 *   backend=loopback: every transmitted frame comes back on the receive queue
 *     of the same pair.
 *
 * The control queue stays with the front-end (QEMU's virtio-net keeps it for
 * vhost-user), so the device is set up with ctrl_external. Link state: SIGUSR1
 * takes the link down, SIGUSR2 brings it up (daemon.c). With QEMU the guest sees
 * the link through the connection: down drops the front-end and stops
 * listening, up listens again (QEMU with reconnect=N dials back and reports the
 * link up).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/net.h>
#include <avps/virtio/features.h>

#include "daemon.h"

#define NET_PAIRS_MAX 7u /* 2 x 7 queues within AVPS_VU_MAX_QUEUES */
#define NET_QUEUE_MAX 32768u
#define NET_RX_BURST AVPS_NET_RX_BURST
#define NET_RX_ROUNDS 2 /* bursts read from a TAP queue per wake-up */
/* TAP frames of one burst, read back to back: room for a burst of ordinary
 * frames plus one of the largest (the next read needs that much room). */
#define TAP_POOL (NET_RX_BURST * 2048u + AVPS_NET_HDR_LEN + AVPS_NET_FRAME_MAX)
#define LOOP_RING (4u << 20)
#define LOOP_SLOTS 512u
#define NF(n) (1ULL << AVPS_VIRTIO_NET_F_##n)
#define NET_OFFLOADS                                                                       \
    (NF(CSUM) | NF(GUEST_CSUM) | NF(HOST_TSO4) | NF(HOST_TSO6) | NF(HOST_ECN) | NF(HOST_UFO) | \
     NF(GUEST_TSO4) | NF(GUEST_TSO6) | NF(GUEST_ECN) | NF(GUEST_UFO))

enum net_backend { BE_TAP, BE_SINK, BE_SOURCE, BE_LOOPBACK };

struct loop_frame {
    uint32_t off, len;
    struct avps_net_offload o;
};

struct net_dev {
    struct avps_net net;
    struct avps_net_backend be;
    enum net_backend kind;
    unsigned int pairs;
    char ifname[IFNAMSIZ];
    int fd[NET_PAIRS_MAX];
    uint8_t rx_ready[NET_PAIRS_MAX]; /* the driver posted buffers since the last AGAIN */
    uint8_t rx_blocked[NET_PAIRS_MAX]; /* waiting for buffers: do not read the TAP */
    uint8_t tx_blocked[NET_PAIRS_MAX]; /* the TAP said EAGAIN: wait for POLLOUT */
    uint8_t tx_parked[NET_PAIRS_MAX];  /* the loopback ring was full */
    /* TAP: frames read and not yet taken by the device, in pool[p] */
    uint8_t *pool[NET_PAIRS_MAX];
    struct avps_net_rx_frame tap_fr[NET_PAIRS_MAX][NET_RX_BURST];
    struct avps_net_offload tap_off[NET_PAIRS_MAX][NET_RX_BURST];
    unsigned int tap_head[NET_PAIRS_MAX], tap_count[NET_PAIRS_MAX];
    struct avps_net_rx_frame src_fr[NET_RX_BURST]; /* source: the frame, NET_RX_BURST times */
    uint64_t tun_offloads;
    uint64_t features_seen;
    uint32_t frame_size;
    uint8_t frame[2048];
    /* loopback: a byte ring of frames per pair */
    uint8_t *loop_buf[NET_PAIRS_MAX];
    struct loop_frame loop[NET_PAIRS_MAX][LOOP_SLOTS];
    uint32_t loop_head[NET_PAIRS_MAX], loop_count[NET_PAIRS_MAX], loop_wr[NET_PAIRS_MAX];
    uint64_t dropped;
    struct avps_net_pair npairs[NET_PAIRS_MAX];
    struct avps_dev_queue queues[2 * NET_PAIRS_MAX + 1];
    struct avps_vq_slot slots[(2 * NET_PAIRS_MAX + 1) * NET_QUEUE_MAX];
};

/* ---- virtio-net header <-> offload ---------------------------------------- */

static void hdr_from_off(struct avps_virtio_net_hdr *h, const struct avps_net_offload *o)
{
    memset(h, 0, sizeof *h);
    h->flags = o->flags;
    h->gso_type = o->gso_type;
    h->hdr_len = avps_to_le16(o->hdr_len);
    h->gso_size = avps_to_le16(o->gso_size);
    h->csum_start = avps_to_le16(o->csum_start);
    h->csum_offset = avps_to_le16(o->csum_offset);
}

static void off_from_hdr(struct avps_net_offload *o, const struct avps_virtio_net_hdr *h)
{
    memset(o, 0, sizeof *o);
    o->flags = h->flags;
    o->gso_type = h->gso_type;
    o->hdr_len = avps_from_le16(h->hdr_len);
    o->gso_size = avps_from_le16(h->gso_size);
    o->csum_start = avps_from_le16(h->csum_start);
    o->csum_offset = avps_from_le16(h->csum_offset);
}

/* ---- backend ops ------------------------------------------------------------- */

/* Append a transmitted frame to pair p's loopback ring: a byte ring read in
 * FIFO order; a frame never wraps, so the tail may stay unused. */
static int loop_push(struct net_dev *n, uint16_t p, const struct avps_net_tx_frame *fr)
{
    struct loop_frame *lf;
    uint32_t at, off = 0;

    if (n->loop_count[p] == LOOP_SLOTS)
        return AVPS_E_AGAIN;
    if (n->loop_count[p] == 0) {
        at = 0;
    } else {
        const uint32_t h = n->loop[p][n->loop_head[p]].off;
        const uint32_t w = n->loop_wr[p];

        if (w > h) { /* data in [h, w): free at [w, end) and [0, h) */
            if (fr->len <= LOOP_RING - w)
                at = w;
            else if (fr->len <= h)
                at = 0;
            else
                return AVPS_E_AGAIN;
        } else { /* wrapped: free in [w, h) */
            if (fr->len > h - w)
                return AVPS_E_AGAIN;
            at = w;
        }
    }
    for (uint16_t i = 0; i < fr->nseg; i++) {
        memcpy(n->loop_buf[p] + at + off, fr->seg[i].base, fr->seg[i].len);
        off += fr->seg[i].len;
    }
    lf = &n->loop[p][(n->loop_head[p] + n->loop_count[p]) % LOOP_SLOTS];
    lf->off = at;
    lf->len = fr->len;
    lf->o = fr->off;
    n->loop_count[p]++;
    n->loop_wr[p] = at + fr->len;
    return AVPS_OK;
}

static int net_tx(void *ctx, uint16_t p, const struct avps_net_tx_frame *fr)
{
    struct net_dev *n = ctx;
    struct avps_virtio_net_hdr h;
    struct iovec iov[AVPS_NET_SEGS + 1];
    ssize_t r;

    switch (n->kind) {
    case BE_SINK:
    case BE_SOURCE:
        return AVPS_OK; /* dropped; the library counts tx_packets */
    case BE_LOOPBACK: {
        int e = loop_push(n, p, fr);

        if (e == AVPS_E_AGAIN)
            n->tx_parked[p] = 1;
        return e;
    }
    case BE_TAP:
        break;
    }
    hdr_from_off(&h, &fr->off);
    iov[0].iov_base = &h;
    iov[0].iov_len = sizeof h;
    for (uint16_t i = 0; i < fr->nseg; i++) {
        iov[i + 1].iov_base = fr->seg[i].base;
        iov[i + 1].iov_len = fr->seg[i].len;
    }
    r = writev(n->fd[p], iov, fr->nseg + 1);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        n->tx_blocked[p] = 1;
        return AVPS_E_AGAIN;
    }
    return r < 0 ? AVPS_E_IO : AVPS_OK;
}

static void net_rx_ready(void *ctx, uint16_t p)
{
    struct net_dev *n = ctx;

    if (p < n->pairs)
        n->rx_ready[p] = 1; /* served from the main loop (net_service) */
}

/* ---- TAP ------------------------------------------------------------------------ */

static int tap_open(struct dmn_dev *d, struct net_dev *n)
{
    for (unsigned int p = 0; p < n->pairs; p++) {
        struct ifreq ifr;
        int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        int sz = (int)AVPS_NET_HDR_LEN, le = 1, rc;

        if (fd < 0) {
            dmn_say("error: net: /dev/net/tun: %s", strerror(errno));
            return -1;
        }
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", n->ifname);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (n->pairs > 1 ? IFF_MULTI_QUEUE : 0);
        rc = ioctl(fd, TUNSETIFF, &ifr);
        if (rc != 0 && n->pairs == 1 && errno == EINVAL) {
            /* a TAP created multi_queue, used with one pair */
            memset(&ifr, 0, sizeof ifr);
            snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", n->ifname);
            ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
            rc = ioctl(fd, TUNSETIFF, &ifr);
        }
        if (rc != 0) {
            dmn_say("error: net: TAP %s: %s", n->ifname, strerror(errno));
            close(fd);
            return -1;
        }
        if (ioctl(fd, TUNSETVNETHDRSZ, &sz) != 0) {
            dmn_say("error: net: TAP %s: TUNSETVNETHDRSZ: %s", n->ifname, strerror(errno));
            close(fd);
            return -1;
        }
        (void)ioctl(fd, TUNSETVNETLE, &le); /* the VIRTIO 1.x header is little-endian */
        (void)ioctl(fd, TUNSETOFFLOAD, 0ul);
        n->fd[p] = fd;
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: TAP %s, %u queue(s)", d->name, n->ifname, n->pairs);
    return 0;
}

/* What the TAP may hand us follows what the driver accepted (GUEST_*). */
static void tap_sync_offloads(struct net_dev *n)
{
    const uint64_t f = avps_dev_features(avps_net_dev(&n->net));
    unsigned long t = 0;

    if (f == n->features_seen)
        return;
    n->features_seen = f;
    if (f & NF(GUEST_CSUM)) {
        t |= TUN_F_CSUM;
        if (f & NF(GUEST_TSO4))
            t |= TUN_F_TSO4;
        if (f & NF(GUEST_TSO6))
            t |= TUN_F_TSO6;
        if ((f & NF(GUEST_ECN)) && (t & (TUN_F_TSO4 | TUN_F_TSO6)))
            t |= TUN_F_TSO_ECN;
        if (f & NF(GUEST_UFO))
            t |= TUN_F_UFO;
    }
    for (unsigned int p = 0; p < n->pairs; p++)
        (void)ioctl(n->fd[p], TUNSETOFFLOAD, t);
}

static bool rx_live(struct net_dev *n, unsigned int p)
{
    struct avps_dev *dev = avps_net_dev(&n->net);

    return (avps_dev_status(dev) & AVPS_VIRTIO_S_DRIVER_OK) != 0 &&
           avps_dev_queue_ready(dev, (uint16_t)(2 * p)) && avps_net_link_up(&n->net);
}

/* Offer frames fr[0..k) to pair p; returns how many the device took (all of
 * them when it refused the burst: they are dropped). Fewer means it ran out of
 * receive buffers: wait for rx_ready. */
static unsigned int rx_burst(struct net_dev *n, unsigned int p, const struct avps_net_rx_frame *fr,
                             unsigned int k)
{
    int r = avps_net_rx_burst(&n->net, (uint16_t)p, fr, k);

    if (r < 0) {
        n->dropped += k;
        return k;
    }
    if ((unsigned int)r < k) {
        n->rx_blocked[p] = 1;
        n->rx_ready[p] = 0;
    }
    return (unsigned int)r;
}

/* Hand the TAP frames read for pair p to the device; those it cannot take yet
 * stay for the next turn. */
static void tap_deliver(struct net_dev *n, unsigned int p)
{
    unsigned int k = rx_burst(n, p, &n->tap_fr[p][n->tap_head[p]], n->tap_count[p]);

    n->tap_head[p] += k;
    n->tap_count[p] -= k;
}

/* Read up to NET_RX_BURST frames from the TAP queue of pair p, then deliver
 * them as one burst; again while the device keeps up (NET_RX_ROUNDS). */
static void tap_read(struct net_dev *n, unsigned int p)
{
    for (int round = 0; round < NET_RX_ROUNDS && !n->rx_blocked[p] && n->tap_count[p] == 0;
         round++) {
        uint32_t used = 0;
        unsigned int k = 0;

        while (k < NET_RX_BURST && used + AVPS_NET_HDR_LEN + AVPS_NET_FRAME_MAX <= TAP_POOL) {
            uint8_t *at = n->pool[p] + used;
            struct avps_virtio_net_hdr h;
            ssize_t r = read(n->fd[p], at, AVPS_NET_HDR_LEN + AVPS_NET_FRAME_MAX);

            if (r < 0)
                break; /* EAGAIN, or the TAP went away: poll tells us */
            if (r <= (ssize_t)AVPS_NET_HDR_LEN)
                continue;
            memcpy(&h, at, sizeof h);
            off_from_hdr(&n->tap_off[p][k], &h);
            n->tap_fr[p][k].data = at + AVPS_NET_HDR_LEN;
            n->tap_fr[p][k].len = (uint32_t)r - AVPS_NET_HDR_LEN;
            n->tap_fr[p][k].off = &n->tap_off[p][k];
            used += ((uint32_t)r + 63u) & ~63u;
            k++;
        }
        if (k == 0)
            return;
        n->tap_head[p] = 0;
        n->tap_count[p] = k;
        tap_deliver(n, p);
        if (k < NET_RX_BURST)
            return; /* the TAP is empty for now */
    }
}

/* ---- the main loop's hooks -------------------------------------------------------- */

static void net_service(struct dmn_dev *d)
{
    struct net_dev *n = d->priv;

    if (n->kind == BE_TAP)
        tap_sync_offloads(n);
    for (unsigned int p = 0; p < n->pairs; p++) {
        if (n->rx_ready[p])
            n->rx_blocked[p] = 0;
        if (n->rx_blocked[p] || !rx_live(n, p))
            continue;
        switch (n->kind) {
        case BE_TAP:
            if (n->tap_count[p] != 0)
                tap_deliver(n, p);
            break;
        case BE_SOURCE: {
            /* Fill every posted buffer, a burst at a time; bounded by the ring
             * (a short burst ends it) and by frames that cannot be delivered
             * at all (a burst with none received ends it too). */
            const struct avps_net_stats *st = avps_net_stats(&n->net);
            uint64_t before;

            do {
                before = st->rx_packets;
            } while (rx_burst(n, p, n->src_fr, NET_RX_BURST) == NET_RX_BURST &&
                     st->rx_packets != before);
            break;
        }
        case BE_LOOPBACK:
            while (n->loop_count[p] != 0 && !n->rx_blocked[p]) {
                struct avps_net_rx_frame fr[NET_RX_BURST];
                unsigned int k, taken;

                for (k = 0; k < NET_RX_BURST && k < n->loop_count[p]; k++) {
                    const struct loop_frame *lf = &n->loop[p][(n->loop_head[p] + k) % LOOP_SLOTS];

                    fr[k].data = n->loop_buf[p] + lf->off;
                    fr[k].len = lf->len;
                    fr[k].off = &lf->o;
                }
                taken = rx_burst(n, p, fr, k);
                n->loop_head[p] = (n->loop_head[p] + taken) % LOOP_SLOTS;
                n->loop_count[p] -= taken;
                if (n->loop_count[p] == 0)
                    n->loop_wr[p] = 0;
            }
            if (n->tx_parked[p] && n->loop_count[p] < LOOP_SLOTS) {
                n->tx_parked[p] = 0;
                (void)avps_net_tx_resume(&n->net, (uint16_t)p);
            }
            break;
        case BE_SINK:
            break;
        }
    }
}

static unsigned int net_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct net_dev *n = d->priv;
    unsigned int k = 0;

    if (n->kind != BE_TAP)
        return 0;
    for (unsigned int p = 0; p < n->pairs && k < max; p++) {
        short ev = 0;

        if (!n->rx_blocked[p] && n->tap_count[p] == 0 && rx_live(n, p))
            ev |= POLLIN;
        if (n->tx_blocked[p])
            ev |= POLLOUT;
        if (ev == 0)
            continue;
        pfd[k].fd = n->fd[p];
        pfd[k].events = ev;
        k++;
    }
    return k;
}

static void net_event(struct dmn_dev *d, int fd, short revents)
{
    struct net_dev *n = d->priv;

    for (unsigned int p = 0; p < n->pairs; p++) {
        if (n->fd[p] != fd)
            continue;
        if ((revents & POLLOUT) && n->tx_blocked[p]) {
            n->tx_blocked[p] = 0;
            (void)avps_net_tx_resume(&n->net, (uint16_t)p);
        }
        if (revents & POLLIN)
            tap_read(n, p);
    }
}

static void net_link(struct dmn_dev *d, int up)
{
    struct net_dev *n = d->priv;

    avps_net_set_link(&n->net, up != 0);
    if (dmn_verbosity > 0)
        dmn_say("%s: link %s", d->name, up ? "up" : "down");
}

/* ---- setup ------------------------------------------------------------------------ */

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char tail;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return (mac[0] & 1u) ? -1 : 0; /* a station address, not multicast */
}

static int net_setup(struct dmn_dev *d, char *opts)
{
    struct net_dev *n = calloc(1, sizeof *n);
    struct avps_net_cfg cfg;
    uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    uint64_t pairs = 1, qsize = NET_QUEUE_MAX, fsize = 64; /* the front-end picks the size */
    int offload = 1, k, err;
    char *key, *val;

    if (n == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = n;
    for (unsigned int p = 0; p < NET_PAIRS_MAX; p++)
        n->fd[p] = -1;
    n->kind = BE_TAP;
    mac[5] = (uint8_t)(0x56 + d->index);
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "tap") == 0) {
            if (strlen(val) == 0 || strlen(val) >= IFNAMSIZ) {
                dmn_say("error: net: tap must be an interface name of 1..%d characters",
                        IFNAMSIZ - 1);
                return -1;
            }
            snprintf(n->ifname, sizeof n->ifname, "%s", val);
        } else if (strcmp(key, "backend") == 0) {
            if (strcmp(val, "tap") == 0)
                n->kind = BE_TAP;
            else if (strcmp(val, "sink") == 0)
                n->kind = BE_SINK;
            else if (strcmp(val, "source") == 0)
                n->kind = BE_SOURCE;
            else if (strcmp(val, "loopback") == 0)
                n->kind = BE_LOOPBACK;
            else {
                dmn_say("error: net: backend must be tap, sink, source or loopback");
                return -1;
            }
        } else if (strcmp(key, "mac") == 0) {
            if (parse_mac(val, mac) != 0) {
                dmn_say("error: net: mac must be a unicast address like 52:54:00:12:34:56");
                return -1;
            }
        } else if (strcmp(key, "num-queues") == 0) {
            if (dmn_parse_u64(d, key, val, 1, NET_PAIRS_MAX, &pairs) != 0)
                return -1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, NET_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else if (strcmp(key, "frame-size") == 0) {
            if (dmn_parse_u64(d, key, val, 14, sizeof n->frame, &fsize) != 0)
                return -1;
        } else if (strcmp(key, "offload") == 0) {
            if (dmn_parse_bool(d, key, val, &offload) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    if (n->kind == BE_TAP && n->ifname[0] == '\0') {
        dmn_say("error: net: give tap=IFNAME, or backend=sink|source|loopback");
        return -1;
    }
    n->pairs = (unsigned int)pairs;
    n->frame_size = (uint32_t)fsize;
    /* source frames: broadcast, from a local address, a local experimental
     * ethertype (0x88b5), then a counting payload */
    memset(n->frame, 0xff, 6);
    memcpy(n->frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
    n->frame[12] = 0x88;
    n->frame[13] = 0xb5;
    for (size_t i = 14; i < sizeof n->frame; i++)
        n->frame[i] = (uint8_t)i;
    for (unsigned int i = 0; i < NET_RX_BURST; i++) {
        n->src_fr[i].data = n->frame;
        n->src_fr[i].len = n->frame_size;
        n->src_fr[i].off = NULL;
    }
    for (unsigned int p = 0; p < n->pairs; p++) {
        if (n->kind == BE_TAP) {
            n->pool[p] = malloc(TAP_POOL);
            if (n->pool[p] == NULL) {
                dmn_say("error: out of memory");
                return -1;
            }
        }
        if (n->kind == BE_LOOPBACK) {
            n->loop_buf[p] = malloc(LOOP_RING);
            if (n->loop_buf[p] == NULL) {
                dmn_say("error: out of memory");
                return -1;
            }
        }
    }
    if (n->kind == BE_TAP && tap_open(d, n) != 0)
        return -1;
    dmn_vu_init(d);
    n->be.tx = net_tx;
    n->be.rx_ready = net_rx_ready;
    n->be.ctx = n;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    cfg.backend = &n->be;
    cfg.features = NF(MRG_RXBUF) | NF(STATUS);
    if (offload && (n->kind == BE_TAP || n->kind == BE_LOOPBACK))
        cfg.features |= NET_OFFLOADS;
    memcpy(cfg.mac, mac, 6);
    cfg.mac_valid = true;
    cfg.link_up = true;
    cfg.ctrl_external = true; /* QEMU keeps the control queue */
    cfg.num_pairs = (uint16_t)n->pairs;
    cfg.pairs = n->npairs;
    cfg.queues = n->queues;
    cfg.slots = n->slots;
    cfg.num_slots = (uint32_t)(sizeof n->slots / sizeof n->slots[0]);
    cfg.queue_size_max = (uint16_t)qsize;
    err = avps_net_init(&n->net, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_net_dev(&n->net));
    if (err != AVPS_OK) {
        dmn_say("error: net setup failed: %s", avps_strerror(err));
        return -1;
    }
    return 0;
}

static void net_teardown(struct dmn_dev *d)
{
    struct net_dev *n = d->priv;

    if (n == NULL)
        return;
    if (dmn_verbosity > 0) {
        const struct avps_net_stats *s = avps_net_stats(&n->net);

        dmn_say("%s: tx %llu frames (%llu malformed, %llu failed), rx %llu frames "
                "(%llu filtered, %llu refused, %llu waits for buffers), %llu dropped here",
                d->name, (unsigned long long)s->tx_packets, (unsigned long long)s->tx_malformed,
                (unsigned long long)s->tx_backend_errors, (unsigned long long)s->rx_packets,
                (unsigned long long)s->rx_filtered, (unsigned long long)s->rx_dropped,
                (unsigned long long)s->rx_no_buffers, (unsigned long long)n->dropped);
    }
    for (unsigned int p = 0; p < NET_PAIRS_MAX; p++) {
        if (n->fd[p] >= 0)
            close(n->fd[p]);
        free(n->pool[p]);
        free(n->loop_buf[p]);
    }
    free(n);
    d->priv = NULL;
}

const struct dmn_type dmn_net = {
    .name = "net",
    .help = "  net      network device (virtio-net). Options:\n"
            "             tap=IFNAME      the TAP device to use (backend=tap, the default);\n"
            "                             create it multi_queue for num-queues > 1\n"
            "             backend=sink    drop every transmitted frame\n"
            "             backend=source  fill every posted receive buffer with a frame\n"
            "             backend=loopback  send every transmitted frame back to the guest\n"
            "             frame-size=N    source frame bytes, 14..2048 (default 64)\n"
            "             mac=MAC         device MAC (default 52:54:00:12:34:56+index)\n"
            "             num-queues=N    queue pairs, 1..7 (default 1)\n"
            "             queue-size=N    largest queue size accepted (default and max 32768)\n"
            "             offload=on|off  checksum and segmentation offloads (tap, loopback)\n"
            "           SIGUSR1 takes every net device's link down, SIGUSR2 up again\n",
    .setup = net_setup,
    .pollfds = net_pollfds,
    .event = net_event,
    .service = net_service,
    .link = net_link,
    .teardown = net_teardown,
};

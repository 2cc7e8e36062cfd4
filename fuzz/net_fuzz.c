/*
 * libFuzzer harness for virtio-net's parsers (STYLE.md rule 19): the transmit
 * header (§5.1.6.2), the control queue (§5.1.6.5) and the receive path
 * (§5.1.6.4, one frame with avps_net_rx() or a burst with
 * avps_net_rx_burst()), through the device core API with the spec-written ring
 * driver (tests/support/ringdrv) on split or packed rings, with or without
 * VIRTIO_F_IN_ORDER. Input format: fuzz/net_fuzz.h; seeds: fuzz/gen_net_seeds.c.
 *
 * Checked beyond ASan/UBSan and the library's asserts (a failure traps):
 *   - a transmitted packet reaches the backend exactly when a reference check
 *     written here from §5.1.6.2 accepts its header for the negotiated
 *     features, with the frame length the buffer implies; every transmit
 *     buffer is used with length 0;
 *   - every control command is answered with the ack a reference written here
 *     from §5.1.6.5 expects (VIRTIO_NET_OK or VIRTIO_NET_ERR, used length 1),
 *     or used with length 0 when it has no room for the ack;
 *   - avps_net_rx() returns one of its documented values; no receive buffer is
 *     used beyond its size, and a delivered frame's num_buffers matches;
 *   - every frame offered is accounted for exactly once: avps_net_rx()'s answer
 *     moves exactly its counter (rx_packets, rx_filtered, rx_dropped or
 *     rx_no_buffers); a burst that took k frames moved rx_packets + rx_filtered
 *     + rx_dropped by k and rx_no_buffers by one when it stopped short, and one
 *     refused with AVPS_E_STATE moved them by all its frames; AVPS_E_STATE only
 *     when the link is down or the receive queue is not running;
 *   - a transmit notification on a running queue completes every packet (the
 *     backend never parks one), in the order made available with IN_ORDER
 *     (ringdrv checks every used entry against what it has outstanding);
 *   - the device never enters NEEDS_RESET (every chain here is well formed)
 *     and ringdrv never sees a used entry it did not make available.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/net.h>
#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "net_fuzz.h"
#include "ringdrv.h"

#define NB(n) (1ULL << (n))
#define QSIZE 16u
#define NQ 5u
#define RAM (2u << 20)
#define OFFERED                                                                              \
    (AVPS_NET_FEATURES_SUPPORTED & ~(NB(AVPS_VIRTIO_NET_F_MAC) | NB(AVPS_VIRTIO_NET_F_MTU) |  \
                                     NB(AVPS_VIRTIO_NET_F_MQ) | NB(AVPS_VIRTIO_NET_F_SPEED_DUPLEX)))

static struct avps_posix_guest g;
static struct avps_net net;
static struct avps_net_pair pairs[2];
static struct avps_dev_queue queues[NQ];
static struct avps_vq_slot slots[NQ * QSIZE];
static struct avps_net_backend be;
static struct rd_queue rq[NQ];
static uint32_t bufsize[NQ][QSIZE];
static uint64_t feat;
static bool packed;
static bool in_order;
static int tx_calls;
static uint32_t tx_len;

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static int be_tx(void *ctx, uint16_t pair, const struct avps_net_tx_frame *fr)
{
    uint32_t sum = 0;

    (void)ctx;
    check_(pair < 2u && fr->nseg >= 1u && fr->nseg <= AVPS_NET_SEGS);
    for (uint16_t i = 0; i < fr->nseg; i++) {
        check_(fr->seg[i].len > 0u);
        sum += fr->seg[i].len;
    }
    check_(sum == fr->len);
    tx_calls++;
    tx_len = fr->len;
    return (fr->len & 1u) ? AVPS_OK : AVPS_E_IO;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* §5.1.6.2, written again here: is this header acceptable? */
static bool ref_tx_ok(const uint8_t *h, uint32_t rdlen)
{
    uint32_t flen;
    uint8_t flags, gso, base;
    uint64_t need = 0;

    if (rdlen < 12u)
        return false;
    flen = rdlen - 12u;
    if (flen == 0u || flen > AVPS_NET_FRAME_MAX)
        return false;
    flags = h[0];
    gso = h[1];
    base = gso & 0x1fu;
    if ((flags & 8u) || (gso & 0x60u))
        return false;
    if ((flags & 1u) && !(feat & NB(AVPS_VIRTIO_NET_F_CSUM)))
        return false;
    switch (base) {
    case 0: break;
    case 1: need = NB(AVPS_VIRTIO_NET_F_HOST_TSO4); break;
    case 4: need = NB(AVPS_VIRTIO_NET_F_HOST_TSO6); break;
    case 3: need = NB(AVPS_VIRTIO_NET_F_HOST_UFO); break;
    case 5: need = NB(AVPS_VIRTIO_NET_F_HOST_USO); break;
    default: return false;
    }
    if ((feat & need) != need)
        return false;
    if ((gso & 0x80u) && (!(feat & NB(AVPS_VIRTIO_NET_F_HOST_ECN)) || (base != 1u && base != 4u)))
        return false;
    if (base != 0u && (!(flags & 1u) || le16(h + 4) == 0u))
        return false;
    if ((flags & 1u) && (uint32_t)le16(h + 6) + le16(h + 8) + 2u > flen)
        return false;
    return true;
}

/* §5.1.6.5, written again here: the ack a command deserves. */
static int ref_ack(const uint8_t *d, uint32_t n)
{
    const uint8_t *x = d + 2;
    uint32_t len;
    uint64_t n1, n2;

    if (n < 2u)
        return 1;
    len = n - 2u;
    /* class << 8 | command: every (class, command) pair its own key */
    switch (d[0] * 256 + d[1]) {
    case 0x000: case 0x001:
        return (feat & NB(AVPS_VIRTIO_NET_F_CTRL_RX)) && len == 1u && x[0] <= 1u ? 0 : 1;
    case 0x002: case 0x003: case 0x004: case 0x005:
        return (feat & NB(AVPS_VIRTIO_NET_F_CTRL_RX_EXTRA)) && len == 1u && x[0] <= 1u ? 0 : 1;
    case 0x100:
        if (!(feat & NB(AVPS_VIRTIO_NET_F_CTRL_RX)) || len < 8u)
            return 1;
        n1 = (uint64_t)x[0] | ((uint64_t)x[1] << 8) | ((uint64_t)x[2] << 16) | ((uint64_t)x[3] << 24);
        if (4u + 6u * n1 + 4u > len)
            return 1;
        x += 4u + 6u * n1;
        n2 = (uint64_t)x[0] | ((uint64_t)x[1] << 8) | ((uint64_t)x[2] << 16) | ((uint64_t)x[3] << 24);
        return 8u + 6u * n1 + 6u * n2 == len ? 0 : 1;
    case 0x101:
        return (feat & NB(AVPS_VIRTIO_NET_F_CTRL_MAC_ADDR)) && len == 6u ? 0 : 1;
    case 0x200: case 0x201:
        return (feat & NB(AVPS_VIRTIO_NET_F_CTRL_VLAN)) && len == 2u && le16(x) < 4096u ? 0 : 1;
    case 0x300:
        return (feat & NB(AVPS_VIRTIO_NET_F_GUEST_ANNOUNCE)) && len == 0u ? 0 : 1;
    case 0x400:
        return (feat & NB(AVPS_VIRTIO_NET_F_MQ)) && len == 2u && le16(x) >= 1u && le16(x) <= 2u ? 0 : 1;
    default:
        return 1;
    }
}

static bool setup(void)
{
    struct avps_dev *d = avps_net_dev(&net);
    uint64_t f = feat | AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                 (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0u) |
                 (in_order ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER) : 0u);

    (void)avps_dev_set_status(d, 0);
    for (unsigned int i = 0; i < NQ; i++)
        rd_fini(&rq[i]);
    memset(rq, 0, sizeof rq);
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)f);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(f >> 32));
    if (avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                   AVPS_VIRTIO_S_FEATURES_OK) != AVPS_OK)
        return false;
    for (unsigned int i = 0; i < NQ; i++) {
        check_(rd_init(&rq[i], &g, packed, QSIZE, f, 0x1000u + 0x2000u * i,
                       0x20000u + 0x60000u * i, 0x60000u) == 0);
        (void)avps_dev_queue_set_size(d, (uint16_t)i, QSIZE);
        (void)avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DESC, rq[i].desc);
        (void)avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DRIVER, rq[i].driver);
        (void)avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DEVICE, rq[i].device);
        check_(avps_dev_queue_enable(d, (uint16_t)i) == AVPS_OK);
    }
    check_(avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                      AVPS_VIRTIO_S_FEATURES_OK | AVPS_VIRTIO_S_DRIVER_OK) ==
           AVPS_OK);
    return true;
}

/* Take every used buffer of queue qi; each within its size. */
static void drain(unsigned int qi)
{
    struct rd_done dn;

    while (rd_get_used(&rq[qi], &dn) == 1) {
        check_(dn.id < QSIZE && dn.len <= bufsize[qi][dn.id]);
        if (qi & 1u)
            check_(dn.len == 0u); /* transmit buffers are never written */
    }
    check_(rq[qi].bad_used == 0u);
}

static uint64_t put(unsigned int qi, const uint8_t *data, uint32_t n)
{
    uint64_t gpa = rd_alloc(&rq[qi], n ? n : 1u);

    if (gpa != 0u && n != 0u)
        memcpy(avps_posix_ptr(&g, gpa, n), data, n);
    return gpa;
}

static void op_tx(uint8_t op, const uint8_t *data, uint32_t n)
{
    const uint16_t p = (op >> 2) & 1u;
    const unsigned int qi = 2u * p + 1u;
    const bool live = avps_dev_queue_ready(avps_net_dev(&net), (uint16_t)qi) != 0u;
    struct rd_buf b[2];
    uint32_t cut = n ? data[0] % (n + 1u) : 0u;
    unsigned int nb = 0;
    uint64_t gpa = put(qi, data, n);
    const int calls = tx_calls;

    if (gpa == 0u || n == 0u)
        return;
    if (cut != 0u && cut < n) {
        b[nb++] = (struct rd_buf){gpa, cut, false};
        b[nb++] = (struct rd_buf){gpa + cut, n - cut, false};
    } else {
        b[nb++] = (struct rd_buf){gpa, n, false};
    }
    if (rd_add(&rq[qi], b, nb, 0) < 0)
        return;
    if (net.pairs[p].tx_parked)
        return;
    (void)avps_dev_queue_notify(avps_net_dev(&net), (uint16_t)qi);
    if (live) {
        const bool ok = ref_tx_ok(data, n);

        check_(tx_calls == calls + (ok ? 1 : 0));
        if (ok)
            check_(tx_len == n - 12u);
    }
    drain(qi);
    if (live)
        check_(rd_outstanding(&rq[qi]) == 0u);
}

static void op_ctrl(uint8_t op, const uint8_t *data, uint32_t n)
{
    const unsigned int qi = NQ - 1u;
    const uint32_t room = (op >> 2) & 3u;
    struct rd_buf b[2];
    unsigned int nb = 0;
    struct rd_done dn;
    uint64_t gpa, ack;

    if (!(feat & NB(AVPS_VIRTIO_NET_F_CTRL_VQ)) || n == 0u)
        return;
    gpa = put(qi, data, n);
    ack = rd_alloc(&rq[qi], 4);
    if (gpa == 0u || ack == 0u)
        return;
    *(uint8_t *)avps_posix_ptr(&g, ack, 1) = 0xaa;
    b[nb++] = (struct rd_buf){gpa, n, false};
    if (room)
        b[nb++] = (struct rd_buf){ack, room, true};
    if (rd_add(&rq[qi], b, nb, 0) < 0)
        return;
    check_(avps_dev_queue_notify(avps_net_dev(&net), (uint16_t)qi) == 1);
    check_(rd_get_used(&rq[qi], &dn) == 1);
    if (room == 0u) {
        check_(dn.len == 0u);
    } else {
        check_(dn.len == 1u);
        check_(*(uint8_t *)avps_posix_ptr(&g, ack, 1) == ref_ack(data, n));
    }
}

/* Can receive pair p (folded into the enabled pairs) take frames now? */
static bool rx_running(uint16_t p)
{
    struct avps_dev *d = avps_net_dev(&net);
    const uint16_t act = avps_net_active_pairs(&net);
    const uint16_t q = (uint16_t)(2u * (p < act ? p : p % act));

    return avps_net_link_up(&net) && (avps_dev_status(d) & AVPS_VIRTIO_S_DRIVER_OK) != 0u &&
           avps_dev_queue_ready(d, q) != 0u;
}

static uint64_t rx_taken(const struct avps_net_stats *st)
{
    return st->rx_packets + st->rx_filtered + st->rx_dropped;
}

static void op_rx(uint8_t op, const uint8_t *data, uint32_t n, const uint8_t *sizes,
                  unsigned int nsizes)
{
    const uint16_t p = (op >> 5) & 1u;
    const struct avps_net_stats *st = avps_net_stats(&net);
    const struct avps_net_stats before = *st;
    struct avps_net_rx_frame fr[AVPS_NET_RX_BURST];
    const bool running = rx_running(p);
    struct avps_net_offload o;
    unsigned int nfr = 0;
    int r;

    for (unsigned int i = 0; i < nsizes; i++) {
        const uint32_t len = 16u * (1u + sizes[i]);
        struct rd_buf b = {rd_alloc(&rq[2u * p], len), len, true};
        int id;

        if (b.gpa == 0u)
            break;
        id = rd_add(&rq[2u * p], &b, 1, 0);
        if (id < 0)
            break;
        bufsize[2u * p][id] = len;
    }
    memset(&o, 0, sizeof o);
    if ((op & 0x80u) && n >= 10u) {
        o.flags = data[0];
        o.gso_type = data[1];
        o.hdr_len = le16(data + 2);
        o.gso_size = le16(data + 4);
        o.csum_start = le16(data + 6);
        o.csum_offset = le16(data + 8);
    }
    if ((op & 0x40u) == 0u) {
        r = avps_net_rx(&net, p, (op & 0x80u) ? &o : NULL, data, n);
        check_(r == 1 || r == 0 || r == AVPS_E_AGAIN || r == AVPS_E_INVAL || r == AVPS_E_STATE);
        check_(r != 1 || n != 0u);
        check_(st->rx_packets == before.rx_packets + (r == 1 ? 1u : 0u));
        check_(st->rx_filtered == before.rx_filtered + (r == 0 ? 1u : 0u));
        check_(st->rx_dropped ==
               before.rx_dropped + (r == AVPS_E_INVAL || r == AVPS_E_STATE ? 1u : 0u));
        check_(st->rx_no_buffers == before.rx_no_buffers + (r == AVPS_E_AGAIN ? 1u : 0u));
    } else {
        /* a burst: frames of one length byte and that many bytes each */
        for (uint32_t at = 0; at < n && nfr < AVPS_NET_RX_BURST; nfr++) {
            uint32_t len = data[at++];

            if (len > n - at)
                len = n - at;
            fr[nfr].data = data + at;
            fr[nfr].len = len;
            fr[nfr].off = (op & 0x80u) ? &o : NULL;
            at += len;
        }
        r = avps_net_rx_burst(&net, p, fr, nfr);
        check_(r == AVPS_E_STATE || (r >= 0 && (unsigned int)r <= nfr));
        if (r >= 0) {
            check_(rx_taken(st) == rx_taken(&before) + (unsigned int)r);
            check_(st->rx_no_buffers ==
                   before.rx_no_buffers + ((unsigned int)r < nfr ? 1u : 0u));
        } else {
            check_(rx_taken(st) == rx_taken(&before) + nfr);
        }
    }
    /* AVPS_E_STATE only for a reason the driver or the host gave */
    check_(r != AVPS_E_STATE || !running);
    drain(0);
    drain(2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_net_cfg cfg;
    size_t pos = NF_HDR;
    uint16_t fsel;
    int ops = 0;

    if (size < NF_HDR)
        return 0;
    fsel = (uint16_t)(data[0] | (data[1] << 8));
    packed = (data[2] & 1u) != 0u;
    in_order = (data[2] & 2u) != 0u;
    feat = NB(AVPS_VIRTIO_NET_F_MAC) | NB(AVPS_VIRTIO_NET_F_STATUS) | NB(AVPS_VIRTIO_NET_F_MTU);
    for (unsigned int i = 0; i < 16u; i++) {
        if (fsel & (1u << i))
            feat |= NB(nf_feature_bits[i]);
    }
    if (feat & NB(AVPS_VIRTIO_NET_F_CTRL_VQ))
        feat |= NB(AVPS_VIRTIO_NET_F_GUEST_ANNOUNCE) | NB(AVPS_VIRTIO_NET_F_CTRL_MAC_ADDR);
    avps_posix_init(&g);
    check_(avps_posix_add_region(&g, 0, RAM) == 0);
    be.tx = be_tx;
    be.ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.features = OFFERED;
    cfg.mac_valid = true;
    cfg.mac[0] = 0x52;
    cfg.link_up = true;
    cfg.mtu = 1500;
    cfg.num_pairs = 2;
    cfg.pairs = pairs;
    cfg.queues = queues;
    cfg.slots = slots;
    cfg.num_slots = NQ * QSIZE;
    cfg.queue_size_max = QSIZE;
    check_(avps_net_init(&net, &g.host, &cfg) == AVPS_OK);
    memset(rq, 0, sizeof rq);
    memset(bufsize, 0, sizeof bufsize);
    tx_calls = 0;
    if (!setup())
        goto out; /* FEATURES_OK refused (a set that breaks §5.1.3.1) */
    while (pos < size && ops++ < NF_MAX_OPS) {
        const uint8_t op = data[pos++];
        uint32_t n = 0;
        unsigned int nsizes = 0;
        const uint8_t *sizes = NULL;

        if ((op & 3u) == 3u) {
            switch ((op >> 2) & 7u) {
            case 0: avps_net_set_link(&net, false); break;
            case 1: avps_net_set_link(&net, true); break;
            case 2: (void)avps_net_announce(&net); break;
            case 3: if (!setup()) goto out; break;
            case 4: (void)avps_net_tx_resume(&net, 0); drain(1); break;
            default: for (unsigned int i = 0; i < NQ; i++) drain(i); break;
            }
            continue;
        }
        if ((op & 3u) == 2u) {
            nsizes = (op >> 2) & 7u;
            if (size - pos < nsizes)
                break;
            sizes = data + pos;
            pos += nsizes;
        }
        if (size - pos < 2u)
            break;
        n = (uint32_t)(data[pos] | (data[pos + 1] << 8));
        pos += 2;
        if (n > NF_MAX_DATA)
            n = NF_MAX_DATA;
        if (n > size - pos)
            n = (uint32_t)(size - pos);
        switch (op & 3u) {
        case 0: op_tx(op, data + pos, n); break;
        case 1: op_ctrl(op, data + pos, n); break;
        default: op_rx(op, data + pos, n, sizes, nsizes); break;
        }
        pos += n;
        check_(!avps_dev_needs_reset(avps_net_dev(&net)));
    }
out:
    for (unsigned int i = 0; i < NQ; i++)
        rd_fini(&rq[i]);
    avps_posix_fini(&g);
    return 0;
}

/*
 * virtio-net: the network device (VIRTIO 1.2 §5.1). Queue pairs (2p receives,
 * 2p+1 transmits), an optional control queue (2N), the packet header rules of
 * §5.1.6.2 and §5.1.6.4, receive filtering (§5.1.6.5.1-3) and multiqueue
 * (§5.1.6.5.6).
 */
#include <avps/net.h>

#include "dev_priv.h"

#define NF_CSUM (1ULL << AVPS_VIRTIO_NET_F_CSUM)
#define NF_GUEST_CSUM (1ULL << AVPS_VIRTIO_NET_F_GUEST_CSUM)
#define NF_MTU (1ULL << AVPS_VIRTIO_NET_F_MTU)
#define NF_MAC (1ULL << AVPS_VIRTIO_NET_F_MAC)
#define NF_GUEST_TSO4 (1ULL << AVPS_VIRTIO_NET_F_GUEST_TSO4)
#define NF_GUEST_TSO6 (1ULL << AVPS_VIRTIO_NET_F_GUEST_TSO6)
#define NF_GUEST_ECN (1ULL << AVPS_VIRTIO_NET_F_GUEST_ECN)
#define NF_GUEST_UFO (1ULL << AVPS_VIRTIO_NET_F_GUEST_UFO)
#define NF_HOST_TSO4 (1ULL << AVPS_VIRTIO_NET_F_HOST_TSO4)
#define NF_HOST_TSO6 (1ULL << AVPS_VIRTIO_NET_F_HOST_TSO6)
#define NF_HOST_ECN (1ULL << AVPS_VIRTIO_NET_F_HOST_ECN)
#define NF_HOST_UFO (1ULL << AVPS_VIRTIO_NET_F_HOST_UFO)
#define NF_MRG_RXBUF (1ULL << AVPS_VIRTIO_NET_F_MRG_RXBUF)
#define NF_STATUS (1ULL << AVPS_VIRTIO_NET_F_STATUS)
#define NF_CTRL_VQ (1ULL << AVPS_VIRTIO_NET_F_CTRL_VQ)
#define NF_CTRL_RX (1ULL << AVPS_VIRTIO_NET_F_CTRL_RX)
#define NF_CTRL_VLAN (1ULL << AVPS_VIRTIO_NET_F_CTRL_VLAN)
#define NF_CTRL_RX_EXTRA (1ULL << AVPS_VIRTIO_NET_F_CTRL_RX_EXTRA)
#define NF_GUEST_ANNOUNCE (1ULL << AVPS_VIRTIO_NET_F_GUEST_ANNOUNCE)
#define NF_MQ (1ULL << AVPS_VIRTIO_NET_F_MQ)
#define NF_CTRL_MAC_ADDR (1ULL << AVPS_VIRTIO_NET_F_CTRL_MAC_ADDR)
#define NF_GUEST_USO4 (1ULL << AVPS_VIRTIO_NET_F_GUEST_USO4)
#define NF_GUEST_USO6 (1ULL << AVPS_VIRTIO_NET_F_GUEST_USO6)
#define NF_HOST_USO (1ULL << AVPS_VIRTIO_NET_F_HOST_USO)
#define NF_SPEED_DUPLEX (1ULL << AVPS_VIRTIO_NET_F_SPEED_DUPLEX)
#define NF_IN_ORDER AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER)
#define HDR_F_NEEDS_CSUM AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM
#define HDR_F_DATA_VALID AVPS_VIRTIO_NET_HDR_F_DATA_VALID
#define GSO_ECN AVPS_VIRTIO_NET_HDR_GSO_ECN
#define GSO_TUNNEL (AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 | AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6)
#define NO_QUEUE 0xffffu
#define ETH_HLEN 14u
#define VLAN_HLEN 4u

/* Why a transmitted packet was refused (the report's detail value). */
enum net_tx_fault {
    TXF_OK = 0,
    TXF_LAYOUT = 1,      /* writable buffers, or shorter than the header */
    TXF_LENGTH = 2,      /* no frame, or longer than AVPS_NET_FRAME_MAX */
    TXF_CSUM_FLAG = 3,   /* NEEDS_CSUM without VIRTIO_NET_F_CSUM */
    TXF_GSO_TYPE = 4,    /* unknown or not negotiated gso_type */
    TXF_ECN = 5,         /* ECN bit without HOST_ECN or without TCP segmentation */
    TXF_GSO_NO_CSUM = 6, /* segmentation without NEEDS_CSUM or with gso_size 0 */
    TXF_CSUM_RANGE = 7,  /* csum_start + csum_offset + 2 beyond the frame */
    TXF_TUNNEL = 8,      /* UDP tunnel bits or flag (never offered) */
    TXF_SEGS = 9         /* more segments than AVPS_NET_SEGS */
};

static struct avps_net *net_of_(struct avps_dev *dev)
{
    return (struct avps_net *)(void *)dev; /* dev is the first member */
}

static bool neg_(const struct avps_net *net, uint64_t f)
{
    return (net->dev.features & f) == f;
}

static uint16_t rd16_(const uint8_t *p)
{
    return (uint16_t)((unsigned int)p[0] | ((unsigned int)p[1] << 8));
}

static uint32_t rd32_(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* ---- feature dependencies (§5.1.3.1) -------------------------------------- */

/* Does the set f respect every dependency? With the control queue kept by the
 * front-end, CTRL_VQ is not ours to require. */
struct net_dep {
    uint64_t feature;
    uint64_t needs_any; /* at least one of these */
};

static bool net_deps_ok_(uint64_t f, bool ctrl_external)
{
    static const struct net_dep net_deps[] = {
        {NF_GUEST_TSO4, NF_GUEST_CSUM},
        {NF_GUEST_TSO6, NF_GUEST_CSUM},
        {NF_GUEST_ECN, NF_GUEST_TSO4 | NF_GUEST_TSO6},
        {NF_GUEST_UFO, NF_GUEST_CSUM},
        {NF_GUEST_USO4, NF_GUEST_CSUM},
        {NF_GUEST_USO6, NF_GUEST_CSUM},
        {NF_HOST_TSO4, NF_CSUM},
        {NF_HOST_TSO6, NF_CSUM},
        {NF_HOST_ECN, NF_HOST_TSO4 | NF_HOST_TSO6},
        {NF_HOST_UFO, NF_CSUM},
        {NF_HOST_USO, NF_CSUM},
        {NF_CTRL_RX, NF_CTRL_VQ},
        {NF_CTRL_VLAN, NF_CTRL_VQ},
        {NF_CTRL_RX_EXTRA, NF_CTRL_VQ},
        {NF_GUEST_ANNOUNCE, NF_CTRL_VQ},
        {NF_MQ, NF_CTRL_VQ},
        {NF_CTRL_MAC_ADDR, NF_CTRL_VQ},
    };

    for (size_t i = 0; i < AVPS_ARRAY_LEN(net_deps); i++) {
        const struct net_dep *d = &net_deps[i];

        if (((f & d->feature) == 0u) || ((f & d->needs_any) != 0u)) {
            continue;
        }
        if (ctrl_external && (d->needs_any == NF_CTRL_VQ)) {
            continue;
        }
        return false;
    }
    return true;
}

static int net_features_ok_(struct avps_dev *dev, uint64_t features)
{
    const struct avps_net *net = net_of_(dev);

    /* §2.2.1 / §5.1.3.1: a set that breaks a dependency is not acceptable. */
    return net_deps_ok_(features, net->ctrl_external != 0u) ? AVPS_OK : AVPS_E_GUEST_STATE;
}

/* ---- reset and configuration ---------------------------------------------- */

static void net_pair_forget_(struct avps_net_pair *pp, bool tx, bool rx)
{
    if (tx) {
        pp->tx_parked = 0;
    }
    if (rx) {
        pp->rx_nheld = 0;
        pp->rx_segs_used = 0;
    }
}

static void net_reset_(struct avps_dev *dev)
{
    struct avps_net *net = net_of_(dev);

    for (uint16_t p = 0; p < net->num_pairs; p++) {
        net_pair_forget_(&net->pairs[p], true, true);
    }
    net->curr_pairs = 1;
    (void)memcpy(net->mac, net->cfg_mac, sizeof net->mac);
    (void)memcpy(net->filt_mac, net->cfg_mac, sizeof net->filt_mac);
    net->status = (uint16_t)(net->status & AVPS_VIRTIO_NET_S_LINK_UP);
    /* Receive everything until the driver says otherwise (the driver turns
     * promiscuous mode off with VIRTIO_NET_CTRL_RX_PROMISC). */
    (void)memset(net->rxmode, 0, sizeof net->rxmode);
    net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_PROMISC] = 1;
    /* §5.1.6.5.2.1: an empty MAC table on reset; §5.1.6.5.3: an empty VLAN
     * table. */
    net->uni_overflow = 0;
    net->multi_overflow = 0;
    net->n_uni = 0;
    net->n_multi = 0;
    (void)memset(net->vlan, 0, sizeof net->vlan);
}

static void net_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    struct avps_net *net = net_of_(dev);

    if ((q == net->ctrl_q) || ((q / 2u) >= net->num_pairs)) {
        return;
    }
    net_pair_forget_(&net->pairs[q / 2u], (q & 1u) != 0u, (q & 1u) == 0u);
}

static void net_config_read_(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    const struct avps_net *net = net_of_(dev);
    struct avps_virtio_net_config c;

    (void)memset(&c, 0, sizeof c);
    (void)memcpy(c.mac, net->mac, sizeof c.mac);
    c.status = avps_to_le16(net->status);
    c.max_virtqueue_pairs = avps_to_le16(net->num_pairs);
    c.mtu = avps_to_le16(net->mtu);
    c.speed = avps_to_le32(net->speed);
    c.duplex = net->duplex;
    /* The core passed a range inside config_size (== sizeof c). */
    (void)memcpy(buf, &((const uint8_t *)&c)[off], len);
}

/* ---- transmit (§5.1.6.2) ----------------------------------------------------- */

/* Check one transmit header against the negotiated features f and the frame
 * length; fill *off. Returns TXF_OK or the fault. */
static enum net_tx_fault net_tx_check_(uint64_t f, const struct avps_virtio_net_hdr *h,
                                       uint32_t flen, struct avps_net_offload *off)
{
    const uint8_t flags = h->flags;
    const uint8_t gso = h->gso_type;
    const uint8_t base = (uint8_t)(gso & (uint8_t)~(GSO_ECN | GSO_TUNNEL));
    const uint16_t cs = avps_from_le16(h->csum_start);
    const uint16_t co = avps_from_le16(h->csum_offset);
    uint64_t need;

    /* §5.1.6.2.2: a UDP_TUNNEL_CSUM flag without a tunnel bit MUST NOT be
     * accepted; tunnel bits without HOST_UDP_TUNNEL_GSO (never offered) are a
     * driver fault (§5.1.6.2.1). */
    if (((flags & AVPS_VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM) != 0u) || ((gso & GSO_TUNNEL) != 0u)) {
        return TXF_TUNNEL;
    }
    /* §5.1.6.2.1: without CSUM the driver MUST set flags to zero. Other
     * flags are ignored (§5.1.6.2.2). */
    if (((flags & HDR_F_NEEDS_CSUM) != 0u) && ((f & NF_CSUM) == 0u)) {
        return TXF_CSUM_FLAG;
    }
    switch (base) {
    case AVPS_VIRTIO_NET_HDR_GSO_NONE:
        need = 0;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_TCPV4:
        need = NF_HOST_TSO4;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_TCPV6:
        need = NF_HOST_TSO6;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_UDP:
        need = NF_HOST_UFO;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_UDP_L4:
        need = NF_HOST_USO;
        break;
    default:
        return TXF_GSO_TYPE;
    }
    if ((f & need) != need) {
        return TXF_GSO_TYPE;
    }
    if (((gso & GSO_ECN) != 0u) &&
        (((f & NF_HOST_ECN) == 0u) ||
         ((base != AVPS_VIRTIO_NET_HDR_GSO_TCPV4) && (base != AVPS_VIRTIO_NET_HDR_GSO_TCPV6)))) {
        return TXF_ECN;
    }
    /* §5.1.6.2.1: segmentation needs NEEDS_CSUM and an MSS. */
    if ((base != AVPS_VIRTIO_NET_HDR_GSO_NONE) &&
        (((flags & HDR_F_NEEDS_CSUM) == 0u) || (avps_from_le16(h->gso_size) == 0u))) {
        return TXF_GSO_NO_CSUM;
    }
    /* The checksum field (2 bytes at csum_start + csum_offset) lies inside the
     * frame. 16-bit values: the sum cannot overflow 32 bits. */
    if (((flags & HDR_F_NEEDS_CSUM) != 0u) && (((uint32_t)cs + co + 2u) > flen)) {
        return TXF_CSUM_RANGE;
    }
    (void)memset(off, 0, sizeof *off);
    off->flags = (uint8_t)(flags & HDR_F_NEEDS_CSUM);
    off->gso_type = gso;
    off->hdr_len = avps_from_le16(h->hdr_len); /* a hint, never relied on */
    off->gso_size = (base != AVPS_VIRTIO_NET_HDR_GSO_NONE) ? avps_from_le16(h->gso_size) : 0u;
    if ((flags & HDR_F_NEEDS_CSUM) != 0u) {
        /* §5.1.6.2.2: csum_start/offset are used only with NEEDS_CSUM. */
        off->csum_start = cs;
        off->csum_offset = co;
    }
    return TXF_OK;
}

/* The frame's segments: the request's readable segments after the header. */
static uint16_t net_tx_segs_(const struct avps_vq_req *req, struct avps_vq_seg *out)
{
    uint32_t skip = AVPS_NET_HDR_LEN;
    uint16_t n = 0;

    for (uint16_t i = 0; i < req->n_rd; i++) {
        const struct avps_vq_seg *s = &req->seg[i];
        uint8_t *b = s->base;

        if (skip >= s->len) {
            skip -= s->len;
            continue;
        }
        out[n].base = &b[skip];
        out[n].gpa = s->gpa + skip;
        out[n].len = s->len - skip;
        skip = 0;
        n++;
    }
    return n;
}

static void net_tx_refuse_(struct avps_net *net, uint16_t q, uint16_t id, enum net_tx_fault why)
{
    net->stats.tx_malformed++;
    avps_dev_report_(&net->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id, (uint64_t)why);
}

/* Send the popped packet of pair p. AVPS_E_AGAIN: keep it; anything else:
 * complete it. */
static int net_tx_one_(struct avps_net *net, uint16_t p)
{
    struct avps_net_pair *pp = &net->pairs[p];
    const struct avps_vq_req *req = &pp->txreq;
    const uint16_t q = (uint16_t)((2u * p) + 1u);
    struct avps_virtio_net_hdr h;
    struct avps_net_tx_frame fr;
    enum net_tx_fault why;
    int r;

    /* §5.1.6.2: header and packet are device-readable. */
    if ((req->n_wr != 0u) || (req->rd_len < AVPS_NET_HDR_LEN)) {
        net_tx_refuse_(net, q, req->id, TXF_LAYOUT);
        return AVPS_OK;
    }
    (void)avps_vq_req_read(req, 0, &h, AVPS_NET_HDR_LEN); /* the only read of it */
    fr.len = req->rd_len - AVPS_NET_HDR_LEN;
    if ((fr.len == 0u) || (fr.len > AVPS_NET_FRAME_MAX)) {
        net_tx_refuse_(net, q, req->id, TXF_LENGTH);
        return AVPS_OK;
    }
    why = net_tx_check_(net->dev.features, &h, fr.len, &fr.off);
    if (why != TXF_OK) {
        net_tx_refuse_(net, q, req->id, why);
        return AVPS_OK;
    }
    fr.nseg = net_tx_segs_(req, pp->fseg);
    fr.seg = pp->fseg;
    r = net->backend->tx(net->backend->ctx, p, &fr);
    if (r == AVPS_E_AGAIN) {
        return r;
    }
    if (r < 0) {
        net->stats.tx_backend_errors++;
    } else {
        net->stats.tx_packets++;
        net->stats.tx_bytes += fr.len;
    }
    return AVPS_OK;
}

/* Completions of one transmit pass, returned to the driver together. */
#define NET_TX_BATCH 32u

/* Return the batch's packets (one used index update); counts them in *done.
 * A failed push means the queue broke (the device needs a reset). */
static void net_tx_flush_(struct avps_vq *vq, const struct avps_vq_used *used, uint32_t *n,
                          int *done)
{
    if ((*n != 0u) && (avps_vq_push_n(vq, used, *n) == AVPS_OK)) {
        *done += (int)*n;
    }
    *n = 0;
}

static int net_tx_serve_(struct avps_net *net, uint16_t p)
{
    struct avps_net_pair *pp = &net->pairs[p];
    const uint16_t q = (uint16_t)((2u * p) + 1u);
    struct avps_vq *vq = &net->dev.queues[q].vq;
    struct avps_vq_used used[NET_TX_BATCH];
    uint32_t n = 0;
    int done = 0;

    if (!avps_dev_queue_live_(&net->dev, q)) {
        return AVPS_E_STATE;
    }
    /* Bounded: each pass completes one packet, and the engine bounds what it
     * hands out by the ring's contents. Packets complete in the order they
     * were taken (refused ones included), NET_TX_BATCH at a time. */
    for (;;) {
        int r;

        if (n == NET_TX_BATCH) {
            net_tx_flush_(vq, used, &n, &done); /* broken: the next pop says so */
        }
        if (pp->tx_parked == 0u) {
            r = avps_vq_pop(vq, &pp->txreq);
            if (r == AVPS_E_NOSPC) {
                uint16_t id;

                if (avps_vq_skip(vq, &id) != 1) {
                    break;
                }
                net_tx_refuse_(net, q, id, TXF_SEGS);
                used[n].id = id;
                used[n].len = 0;
                n++;
                continue;
            }
            if (r <= 0) {
                break; /* empty, or the queue broke (the device needs a reset) */
            }
        }
        r = net_tx_one_(net, p);
        if (r == AVPS_E_AGAIN) {
            pp->tx_parked = 1; /* in order: nothing behind it goes first */
            break;
        }
        pp->tx_parked = 0;
        used[n].id = pp->txreq.id;
        used[n].len = 0;
        n++;
    }
    /* Everything done so far goes back before the pass ends (parked or not). */
    net_tx_flush_(vq, used, &n, &done);
    (void)avps_vq_notify(vq);
    return done;
}

/* ---- control queue (§5.1.6.5) ------------------------------------------------- */

struct net_cmd {
    uint32_t min_len; /* command-specific data bytes accepted */
    uint32_t max_len;
    uint64_t needs;   /* features that must be negotiated */
    uint8_t (*fn)(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                  uint32_t len, const uint8_t *data);
};

#define CTRL_CLASSES 5u
#define CTRL_CMDS 6u
#define CTRL_DATA_OFF 2u /* class and command come first */
#define OK_ AVPS_VIRTIO_NET_OK
#define ERR_ AVPS_VIRTIO_NET_ERR

static uint8_t net_cmd_rx_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                           uint32_t len, const uint8_t *data)
{
    (void)req;
    (void)len;
    if (data[0] > 1u) {
        return ERR_; /* 0 (off) or 1 (on) */
    }
    net->rxmode[cmd] = data[0]; /* cmd < CTRL_CMDS: checked by the dispatcher */
    return OK_;
}

/* Copy up to AVPS_NET_MAC_TABLE addresses of one table; *over when more. */
static void net_mac_table_load_(const struct avps_vq_req *req, uint32_t off, uint32_t n,
                                uint8_t (*tbl)[6], uint8_t *count, uint8_t *over)
{
    uint32_t i;

    for (i = 0; (i < n) && (i < AVPS_NET_MAC_TABLE); i++) {
        (void)avps_vq_req_read(req, off + (6u * i), tbl[i], 6u);
    }
    *count = (uint8_t)i;
    *over = (uint8_t)((n > AVPS_NET_MAC_TABLE) ? 1u : 0u);
}

static uint8_t net_cmd_mac_table_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                                  uint32_t len, const uint8_t *data)
{
    const uint32_t base = CTRL_DATA_OFF;
    uint8_t raw[4];
    uint64_t n1;
    uint64_t n2;
    uint64_t end1;

    (void)cmd;
    (void)data;
    /* le32 n1, n1 MACs, le32 n2, n2 MACs: exactly len bytes (§5.1.6.5.2). */
    (void)avps_vq_req_read(req, base, raw, 4u); /* len >= 8: min_len */
    n1 = rd32_(raw);
    end1 = 4u + (6u * n1); /* 64-bit: no overflow for any le32 */
    if (end1 > (uint64_t)len - 4u) {
        return ERR_;
    }
    (void)avps_vq_req_read(req, base + (uint32_t)end1, raw, 4u);
    n2 = rd32_(raw);
    if (((end1 + 4u) + (6u * n2)) != len) {
        return ERR_;
    }
    /* §5.1.6.5.2.1: the table is updated before the command is used. */
    net_mac_table_load_(req, base + 4u, (uint32_t)n1, net->uni, &net->n_uni, &net->uni_overflow);
    net_mac_table_load_(req, base + (uint32_t)end1 + 4u, (uint32_t)n2, net->multi, &net->n_multi,
                        &net->multi_overflow);
    return OK_;
}

static uint8_t net_cmd_mac_addr_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                                 uint32_t len, const uint8_t *data)
{
    (void)cmd;
    (void)req;
    (void)len;
    (void)memcpy(net->filt_mac, data, 6u);
    if (neg_(net, NF_MAC)) {
        /* §5.1.6.5.2.1: config space mac updated before the command is used. */
        (void)memcpy(net->mac, data, 6u);
        net->dev.generation++;
    }
    return OK_;
}

static uint8_t net_cmd_vlan_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                             uint32_t len, const uint8_t *data)
{
    const uint16_t vid = rd16_(data);
    const uint8_t bit = (uint8_t)(1u << (vid & 7u));

    (void)req;
    (void)len;
    if (vid >= 4096u) {
        return ERR_;
    }
    if (cmd == AVPS_VIRTIO_NET_CTRL_VLAN_ADD) {
        net->vlan[vid >> 3] = (uint8_t)(net->vlan[vid >> 3] | bit);
    } else {
        net->vlan[vid >> 3] = (uint8_t)(net->vlan[vid >> 3] & (uint8_t)~bit);
    }
    return OK_;
}

static uint8_t net_cmd_announce_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                                 uint32_t len, const uint8_t *data)
{
    (void)cmd;
    (void)req;
    (void)len;
    (void)data;
    /* §5.1.6.5.4.2: cleared before the buffer is marked used. */
    if ((net->status & AVPS_VIRTIO_NET_S_ANNOUNCE) != 0u) {
        net->status = (uint16_t)(net->status & ~AVPS_VIRTIO_NET_S_ANNOUNCE);
        net->dev.generation++;
    }
    return OK_;
}

static uint8_t net_cmd_mq_pairs_(struct avps_net *net, uint8_t cmd, const struct avps_vq_req *req,
                                 uint32_t len, const uint8_t *data)
{
    const uint16_t n = rd16_(data);

    (void)cmd;
    (void)req;
    (void)len;
    /* §5.1.6.5.6.1: 1..max_virtqueue_pairs. */
    if ((n < AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN) || (n > net->num_pairs)) {
        return ERR_;
    }
    net->curr_pairs = n;
    return OK_;
}

/* Dispatch one command: id in range, handler present, features negotiated,
 * data length in the entry's range; only then does a handler see the data. */
static uint8_t net_ctrl_dispatch_(struct avps_net *net, const struct avps_vq_req *req)
{
    /* Indexed by class, then command. Entries without fn are refused. */
    static const struct net_cmd net_cmds[CTRL_CLASSES][CTRL_CMDS] = {
        [AVPS_VIRTIO_NET_CTRL_RX] =
            {
                [AVPS_VIRTIO_NET_CTRL_RX_PROMISC] = {1, 1, NF_CTRL_RX, net_cmd_rx_},
                [AVPS_VIRTIO_NET_CTRL_RX_ALLMULTI] = {1, 1, NF_CTRL_RX, net_cmd_rx_},
                [AVPS_VIRTIO_NET_CTRL_RX_ALLUNI] = {1, 1, NF_CTRL_RX_EXTRA, net_cmd_rx_},
                [AVPS_VIRTIO_NET_CTRL_RX_NOMULTI] = {1, 1, NF_CTRL_RX_EXTRA, net_cmd_rx_},
                [AVPS_VIRTIO_NET_CTRL_RX_NOUNI] = {1, 1, NF_CTRL_RX_EXTRA, net_cmd_rx_},
                [AVPS_VIRTIO_NET_CTRL_RX_NOBCAST] = {1, 1, NF_CTRL_RX_EXTRA, net_cmd_rx_},
            },
        [AVPS_VIRTIO_NET_CTRL_MAC] =
            {
                [AVPS_VIRTIO_NET_CTRL_MAC_TABLE_SET] = {8, UINT32_MAX - CTRL_DATA_OFF, NF_CTRL_RX,
                                                        net_cmd_mac_table_},
                [AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET] = {6, 6, NF_CTRL_MAC_ADDR, net_cmd_mac_addr_},
            },
        [AVPS_VIRTIO_NET_CTRL_VLAN] =
            {
                [AVPS_VIRTIO_NET_CTRL_VLAN_ADD] = {2, 2, NF_CTRL_VLAN, net_cmd_vlan_},
                [AVPS_VIRTIO_NET_CTRL_VLAN_DEL] = {2, 2, NF_CTRL_VLAN, net_cmd_vlan_},
            },
        [AVPS_VIRTIO_NET_CTRL_ANNOUNCE] =
            {
                [AVPS_VIRTIO_NET_CTRL_ANNOUNCE_ACK] = {0, 0, NF_GUEST_ANNOUNCE, net_cmd_announce_},
            },
        [AVPS_VIRTIO_NET_CTRL_MQ] =
            {
                [AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET] = {2, 2, NF_MQ, net_cmd_mq_pairs_},
            },
    };
    uint8_t hdr[CTRL_DATA_OFF];
    uint8_t data[AVPS_NET_CTRL_DATA_MAX];
    const struct net_cmd *c;
    uint32_t len;

    if (avps_vq_req_read(req, 0, hdr, CTRL_DATA_OFF) != CTRL_DATA_OFF) {
        return ERR_;
    }
    if ((hdr[0] >= CTRL_CLASSES) || (hdr[1] >= CTRL_CMDS)) {
        return ERR_;
    }
    c = &net_cmds[hdr[0]][hdr[1]];
    if ((c->fn == NULL) || !neg_(net, c->needs)) {
        return ERR_;
    }
    len = req->rd_len - CTRL_DATA_OFF;
    if ((len < c->min_len) || (len > c->max_len)) {
        return ERR_;
    }
    (void)memset(data, 0, sizeof data);
    if (c->max_len <= sizeof data) {
        (void)avps_vq_req_read(req, CTRL_DATA_OFF, data, len);
    }
    return c->fn(net, hdr[1], req, len, data);
}

static int net_ctrl_serve_(struct avps_net *net)
{
    struct avps_vq *vq = &net->dev.queues[net->ctrl_q].vq;
    int done = 0;

    /* Bounded by the ring's contents, as the transmit loop. */
    for (;;) {
        uint32_t used = 0;
        uint8_t ack;
        int r = avps_vq_pop(vq, &net->ctrlreq);

        if (r == AVPS_E_NOSPC) {
            uint16_t id;

            if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
                break;
            }
            net->stats.ctrl_malformed++;
            avps_dev_report_(&net->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)net->ctrl_q << 16) | id,
                             AVPS_NET_SEGS);
            done++;
            continue;
        }
        if (r <= 0) {
            break;
        }
        if (net->ctrlreq.wr_len == 0u) {
            /* No room for the ack: nothing to answer with. */
            net->stats.ctrl_malformed++;
            avps_dev_report_(&net->dev, AVPS_EV_DEV_REQUEST,
                             ((uint64_t)net->ctrl_q << 16) | net->ctrlreq.id, 0u);
        } else {
            ack = net_ctrl_dispatch_(net, &net->ctrlreq);
            if (ack == OK_) {
                net->stats.ctrl_ok++;
            } else {
                net->stats.ctrl_err++;
            }
            used = avps_vq_req_write(vq, &net->ctrlreq, 0, &ack, 1u);
        }
        if (avps_vq_push(vq, net->ctrlreq.id, used) != AVPS_OK) {
            break;
        }
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* ---- receive (§5.1.6.3, §5.1.6.4) ---------------------------------------------- */

static bool net_mac_in_(const uint8_t (*tbl)[6], uint8_t n, const uint8_t *mac)
{
    for (uint8_t i = 0; i < n; i++) {
        if (memcmp(tbl[i], mac, 6u) == 0) {
            return true;
        }
    }
    return false;
}

/* §5.1.6.5.1-3: does the receive filter let this frame through? */
static bool net_rx_accept_(const struct avps_net *net, const uint8_t *fr, uint32_t len)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    if ((net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_PROMISC] != 0u) || (net->ctrl_external != 0u)) {
        return true;
    }
    if (len < ETH_HLEN) {
        return false; /* no destination to match */
    }
    if (neg_(net, NF_CTRL_VLAN) && (len >= (ETH_HLEN + 2u)) && (fr[12] == 0x81u) &&
        (fr[13] == 0x00u)) {
        const uint16_t vid = (uint16_t)((((unsigned int)fr[14] & 0x0fu) << 8) | fr[15]);

        if ((net->vlan[vid >> 3] & (1u << (vid & 7u))) == 0u) {
            return false;
        }
    }
    if (memcmp(fr, bcast, 6u) == 0) {
        return net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_NOBCAST] == 0u;
    }
    if ((fr[0] & 1u) != 0u) {
        if (net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_NOMULTI] != 0u) {
            return false;
        }
        return (net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_ALLMULTI] != 0u) || (net->multi_overflow != 0u) ||
               net_mac_in_(net->multi, net->n_multi, fr);
    }
    if (net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_NOUNI] != 0u) {
        return false;
    }
    return (net->rxmode[AVPS_VIRTIO_NET_CTRL_RX_ALLUNI] != 0u) || (net->uni_overflow != 0u) || (memcmp(fr, net->filt_mac, 6u) == 0) ||
           net_mac_in_(net->uni, net->n_uni, fr);
}

/* §5.1.6.4.1: may the device tell the driver about these offloads? */
static bool net_rx_offload_ok_(const struct avps_net *net, const struct avps_net_offload *off,
                               uint32_t len)
{
    const uint8_t base = (uint8_t)(off->gso_type & (uint8_t)~GSO_ECN);
    uint64_t need;

    if ((off->flags & (uint8_t)~(HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID)) != 0u) {
        return false;
    }
    if ((off->flags != 0u) && !neg_(net, NF_GUEST_CSUM)) {
        return false;
    }
    switch (base) {
    case AVPS_VIRTIO_NET_HDR_GSO_NONE:
        need = 0;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_TCPV4:
        need = NF_GUEST_TSO4;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_TCPV6:
        need = NF_GUEST_TSO6;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_UDP:
        need = NF_GUEST_UFO;
        break;
    case AVPS_VIRTIO_NET_HDR_GSO_UDP_L4:
        need = NF_GUEST_USO6;
        if (neg_(net, NF_GUEST_USO4)) {
            need = NF_GUEST_USO4; /* either of the two (§5.1.6.4.1) */
        }
        break;
    default:
        return false;
    }
    if (!neg_(net, need)) {
        return false;
    }
    if (((off->gso_type & GSO_ECN) != 0u) &&
        (!neg_(net, NF_GUEST_ECN) ||
         ((base != AVPS_VIRTIO_NET_HDR_GSO_TCPV4) && (base != AVPS_VIRTIO_NET_HDR_GSO_TCPV6)))) {
        return false;
    }
    if ((base != AVPS_VIRTIO_NET_HDR_GSO_NONE) &&
        (((off->flags & HDR_F_NEEDS_CSUM) == 0u) || (off->gso_size == 0u))) {
        return false;
    }
    if (((off->flags & HDR_F_NEEDS_CSUM) != 0u) &&
        (((uint32_t)off->csum_start + off->csum_offset + 2u) > len)) {
        return false;
    }
    return true;
}

static uint16_t net_rx_pick_(const struct avps_net *net, uint16_t pair)
{
    const uint16_t active = (net->ctrl_external != 0u) ? net->num_pairs : net->curr_pairs;
    uint16_t p = (pair < active) ? pair : (uint16_t)(pair % active);

    /* With the control queue elsewhere, the pairs the front-end enabled are
     * the live ones; fall back to the first. */
    if ((net->ctrl_external != 0u) && !avps_dev_queue_live_(&net->dev, (uint16_t)(2u * p))) {
        p = 0;
    }
    return p;
}

/* Forget held buffers [0, k) (their used entries are in the batch) and keep
 * the rest. */
static void net_rx_drop_held_(struct avps_net_pair *pp, uint8_t k)
{
    uint16_t first;
    uint16_t nsegs;
    uint16_t at;

    if (k >= pp->rx_nheld) {
        pp->rx_nheld = 0;
        pp->rx_segs_used = 0;
        return;
    }
    /* Held buffers own consecutive runs of rxseg, in order. */
    first = 0;
    for (uint8_t i = 0; i < k; i++) {
        first = (uint16_t)(first + pp->rxheld[i].n_wr);
    }
    nsegs = (uint16_t)(pp->rx_segs_used - first);
    (void)memmove(pp->rxseg, &pp->rxseg[first], (size_t)nsegs * sizeof pp->rxseg[0]);
    at = 0;
    for (uint8_t i = k; i < pp->rx_nheld; i++) {
        struct avps_vq_req *r = &pp->rxheld[i - k];

        *r = pp->rxheld[i];
        r->seg = &pp->rxseg[at];
        at = (uint16_t)(at + r->n_wr);
    }
    pp->rx_nheld = (uint8_t)(pp->rx_nheld - k);
    pp->rx_segs_used = nsegs;
}

/* The used entries of one receive call, returned to the driver together. Room
 * for the largest frame (AVPS_NET_RX_BUFS buffers), so a frame's buffers always
 * go in one update (the driver reads num_buffers entries at once). */
#define NET_RX_USED AVPS_NET_RX_BUFS

struct net_rx_batch {
    struct avps_net *net;
    struct avps_vq *vq;
    uint64_t bytes; /* frames and bytes in used[], counted once published */
    uint32_t pkts;
    uint16_t n;
    struct avps_vq_used used[NET_RX_USED];
};

/* Publish the batch (one used index update). Its frames count as received
 * now, or as dropped when the queue broke meanwhile (AVPS_E_STATE). */
static int net_rx_flush_(struct net_rx_batch *b)
{
    int err = AVPS_OK;

    if (b->n != 0u) {
        err = avps_vq_push_n(b->vq, b->used, b->n);
    }
    if (err == AVPS_OK) {
        b->net->stats.rx_packets += b->pkts;
        b->net->stats.rx_bytes += b->bytes;
    } else {
        b->net->stats.rx_dropped += b->pkts;
        err = AVPS_E_STATE;
    }
    b->n = 0;
    b->pkts = 0;
    b->bytes = 0;
    return err;
}

/* Room for k more entries, publishing what the batch holds if need be. A
 * failed publish needs no answer here: it means the queue broke, which is
 * sticky, so the call's last publish fails too and reports it. */
static void net_rx_room_(struct net_rx_batch *b, uint32_t k)
{
    if (((uint32_t)b->n + k) > NET_RX_USED) {
        (void)net_rx_flush_(b);
    }
}

/* Return buffer id unused (length 0), after everything already in the batch. */
static void net_rx_unused_(struct net_rx_batch *b, uint16_t id)
{
    net_rx_room_(b, 1u);
    b->used[b->n].id = id;
    b->used[b->n].len = 0;
    b->n++;
}

/* Return a buffer the device cannot use (counted and reported). With IN_ORDER
 * the device uses buffers in the order they were made available (§6.2): the
 * buffers held for the frame came before it and cannot follow it, and the
 * frame's buffers must be consecutive, so the held ones go back first, unused,
 * and the frame gathers anew behind it. */
static void net_rx_refuse_(struct net_rx_batch *b, struct avps_net_pair *pp, uint16_t q,
                           uint16_t id, uint64_t detail)
{
    struct avps_net *net = b->net;

    if (neg_(net, NF_IN_ORDER)) {
        for (uint8_t i = 0; i < pp->rx_nheld; i++) {
            net_rx_unused_(b, pp->rxheld[i].id);
        }
        net_rx_drop_held_(pp, pp->rx_nheld);
    }
    net_rx_unused_(b, id);
    net->stats.rx_bad_buffers++;
    avps_dev_report_(&net->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id, detail);
}

/* Take receive buffers until they hold need bytes (mrg) or one buffer is
 * held (not mrg). Returns 1 when enough are held, AVPS_E_AGAIN when the ring
 * ran dry, AVPS_E_NOSPC when the frame can never fit what may be held, or
 * AVPS_E_STATE when the queue broke. Unusable buffers go into the batch. */
static int net_rx_gather_(struct net_rx_batch *b, uint16_t q, struct avps_net_pair *pp,
                          uint32_t need, bool mrg)
{
    struct avps_vq *vq = b->vq;
    uint64_t have = 0;

    for (uint8_t i = 0; i < pp->rx_nheld; i++) {
        have += pp->rxheld[i].wr_len;
    }
    /* Bounded: each pass holds one more buffer (at most AVPS_NET_RX_BUFS) or
     * returns one malformed buffer, of which the ring has at most its size. */
    while (mrg ? (have < need) : (pp->rx_nheld == 0u)) {
        struct avps_vq_req *r;
        int err;

        if ((pp->rx_nheld == AVPS_NET_RX_BUFS) || (pp->rx_segs_used == AVPS_NET_RX_SEGS)) {
            return AVPS_E_NOSPC;
        }
        r = &pp->rxheld[pp->rx_nheld];
        r->seg = &pp->rxseg[pp->rx_segs_used];
        r->seg_max = (uint16_t)(AVPS_NET_RX_SEGS - pp->rx_segs_used);
        err = avps_vq_pop(vq, r);
        if (err == AVPS_E_NOSPC) {
            uint16_t id;

            if (pp->rx_nheld != 0u) {
                return AVPS_E_NOSPC; /* fits an empty pool, not this one */
            }
            if (avps_vq_skip(vq, &id) != 1) {
                return AVPS_E_STATE;
            }
            net_rx_refuse_(b, pp, q, id, AVPS_NET_RX_SEGS);
            continue;
        }
        if (err == 0) {
            return AVPS_E_AGAIN;
        }
        if (err < 0) {
            return AVPS_E_STATE;
        }
        /* §5.1.6.3: receive buffers are device-writable; with MRG_RXBUF each
         * holds at least the header (§5.1.6.3.1). */
        if ((r->n_rd != 0u) || (r->wr_len == 0u) || (mrg && (r->wr_len < AVPS_NET_HDR_LEN))) {
            net_rx_refuse_(b, pp, q, r->id, r->rd_len);
            have = 0;
            for (uint8_t i = 0; i < pp->rx_nheld; i++) {
                have += pp->rxheld[i].wr_len; /* fewer now with IN_ORDER */
            }
            continue;
        }
        pp->rx_segs_used = (uint16_t)(pp->rx_segs_used + r->n_wr);
        pp->rx_nheld++;
        have += r->wr_len;
    }
    return 1;
}

/* Checks of one frame before any buffer is looked at: 1 to deliver it, 0
 * filtered, or a refusal (each counted). */
static int net_rx_check_(struct avps_net *net, uint16_t q, const struct avps_net_offload *off,
                         const uint8_t *frame, uint32_t len)
{
    if ((len == 0u) || (len > AVPS_NET_FRAME_MAX)) {
        net->stats.rx_dropped++;
        return AVPS_E_INVAL;
    }
    if (((net->status & AVPS_VIRTIO_NET_S_LINK_UP) == 0u) ||
        !avps_dev_queue_live_(&net->dev, q)) {
        net->stats.rx_dropped++;
        return AVPS_E_STATE;
    }
    if ((off != NULL) && !net_rx_offload_ok_(net, off, len)) {
        net->stats.rx_dropped++;
        return AVPS_E_INVAL;
    }
    if (neg_(net, NF_MTU) &&
        ((off == NULL) || ((off->gso_type & (uint8_t)~GSO_ECN) == AVPS_VIRTIO_NET_HDR_GSO_NONE))) {
        const bool tagged = (len >= (ETH_HLEN + 2u)) && (frame[12] == 0x81u) && (frame[13] == 0u);
        const uint32_t max = (uint32_t)net->mtu + ETH_HLEN + (tagged ? VLAN_HLEN : 0u);

        if (len > max) {
            net->stats.rx_dropped++; /* §5.1.4.1 */
            return AVPS_E_INVAL;
        }
    }
    if (!net_rx_accept_(net, frame, len)) {
        net->stats.rx_filtered++;
        return 0;
    }
    return 1;
}

/* One frame of a receive call. Returns 1 delivered (its buffers' used entries
 * in the batch), 0 filtered, AVPS_E_INVAL refused, AVPS_E_AGAIN no buffers
 * (nothing taken), AVPS_E_STATE the queue is not live or broke. */
static int net_rx_frame_(struct net_rx_batch *b, struct avps_net_pair *pp, uint16_t q,
                         const struct avps_net_offload *off, const uint8_t *frame, uint32_t len)
{
    struct avps_net *net = b->net;
    const bool mrg = neg_(net, NF_MRG_RXBUF);
    const uint32_t need = AVPS_NET_HDR_LEN + len;
    struct avps_virtio_net_hdr h;
    struct avps_vq_used *used;
    uint64_t room = 0;
    uint32_t done = 0;
    uint8_t nb = 0;
    int r;

    r = net_rx_check_(net, q, off, frame, len);
    if (r != 1) {
        return r;
    }
    r = net_rx_gather_(b, q, pp, need, mrg);
    if (r == AVPS_E_AGAIN) {
        net->stats.rx_no_buffers++;
        return r;
    }
    if ((r == AVPS_E_NOSPC) || ((r == 1) && !mrg && (pp->rxheld[0].wr_len < need))) {
        /* More than the buffers we may hold, or (§5.1.6.3.2) more than the one
         * buffer allowed without MRG_RXBUF: the frame cannot be delivered;
         * the buffers stay for the next one. */
        net->stats.rx_dropped++;
        return AVPS_E_INVAL;
    }
    if (r != 1) {
        net->stats.rx_dropped++;
        return AVPS_E_STATE;
    }
    /* The buffers the frame takes: the held ones hold at least need bytes. */
    while ((room < need) && (nb < pp->rx_nheld)) {
        room += pp->rxheld[nb].wr_len;
        nb++;
    }
    net_rx_room_(b, nb);
    used = &b->used[b->n];
    /* The frame first, from offset 12 of the first buffer on (§5.1.6.4). */
    for (uint8_t i = 0; i < nb; i++) {
        const struct avps_vq_req *rb = &pp->rxheld[i];
        uint32_t at = 0;
        uint32_t chunk;

        if (i == 0u) {
            at = AVPS_NET_HDR_LEN;
        }
        chunk = rb->wr_len - at;

        if ((len - done) < chunk) {
            chunk = len - done;
        }
        (void)avps_vq_req_write(b->vq, rb, at, &frame[done], chunk);
        done += chunk;
        used[i].id = rb->id;
        used[i].len = at + chunk;
    }
    /* Then the header, with num_buffers (§5.1.6.3.2, §5.1.6.4.1). */
    (void)memset(&h, 0, sizeof h);
    if (off != NULL) {
        h.flags = off->flags;
        h.gso_type = off->gso_type;
        h.hdr_len = avps_to_le16(off->hdr_len);
        h.gso_size = avps_to_le16(off->gso_size);
        if ((off->flags & HDR_F_NEEDS_CSUM) != 0u) {
            h.csum_start = avps_to_le16(off->csum_start);
            h.csum_offset = avps_to_le16(off->csum_offset);
        }
    }
    h.num_buffers = avps_to_le16(nb);
    (void)avps_vq_req_write(b->vq, &pp->rxheld[0], 0, &h, AVPS_NET_HDR_LEN);
    /* All buffers of the frame in this batch: one index update for them. */
    b->n = (uint16_t)(b->n + nb);
    b->pkts++;
    b->bytes += len;
    net_rx_drop_held_(pp, nb);
    return 1;
}

/* Deliver frames[0..n) in order until one finds no buffers; publish every
 * used entry at once and notify once. *last is the outcome of the last frame
 * handled (as net_rx_frame_, AVPS_E_STATE when publishing failed). */
static int net_rx_burst_(struct avps_net *net, uint16_t pair, const struct avps_net_rx_frame *frames,
                         size_t n, int *last)
{
    const uint16_t p = net_rx_pick_(net, pair);
    const uint16_t q = (uint16_t)(2u * p);
    struct net_rx_batch b;
    size_t k;
    int r = 0;

    b.net = net;
    b.vq = &net->dev.queues[q].vq;
    b.bytes = 0;
    b.pkts = 0;
    b.n = 0;
    for (k = 0; k < n; k++) {
        r = net_rx_frame_(&b, &net->pairs[p], q, frames[k].off,
                          (const uint8_t *)frames[k].data, frames[k].len);
        if (r == AVPS_E_STATE) {
            /* The frames after the one that failed are dropped with it. */
            net->stats.rx_dropped += (uint64_t)(n - k - 1u);
            break;
        }
        if (r == AVPS_E_AGAIN) {
            break;
        }
    }
    /* Data written for the frames before a failure is published all the same
     * (it fails only when the queue broke, and then the frames are counted
     * as dropped). */
    if (net_rx_flush_(&b) != AVPS_OK) {
        r = AVPS_E_STATE;
    }
    (void)avps_vq_notify(b.vq);
    *last = r;
    return (r == AVPS_E_STATE) ? AVPS_E_STATE : (int)k;
}

/* ---- device class ------------------------------------------------------------ */

static int net_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    struct avps_net *net = net_of_(dev);

    if (q == net->ctrl_q) {
        return net_ctrl_serve_(net);
    }
    if ((q & 1u) != 0u) {
        return net_tx_serve_(net, (uint16_t)(q / 2u));
    }
    if (net->backend->rx_ready != NULL) {
        net->backend->rx_ready(net->backend->ctx, (uint16_t)(q / 2u));
    }
    return 0;
}

static bool net_cfg_ok_(const struct avps_net_cfg *cfg)
{
    const uint64_t f = cfg->features;
    const bool ctrl = (f & NF_CTRL_VQ) != 0u;

    if ((cfg->backend == NULL) || (cfg->backend->tx == NULL) || (cfg->pairs == NULL) ||
        (cfg->queues == NULL) || (cfg->num_pairs == 0u) || (cfg->num_pairs > AVPS_NET_MAX_PAIRS)) {
        return false;
    }
    if (((f & ~AVPS_NET_FEATURES_SUPPORTED) != 0u) || ((f & (NF_MAC | NF_MTU | NF_MQ)) != 0u)) {
        return false; /* MAC, MTU and MQ come from their fields */
    }
    if ((cfg->mtu != 0u) && (cfg->mtu < 68u)) {
        return false; /* §5.1.4.1: 68..65535 */
    }
    if ((cfg->num_pairs > 1u) && !ctrl && !cfg->ctrl_external) {
        return false; /* MQ needs CTRL_VQ (§5.1.3.1) */
    }
    if (((f & NF_SPEED_DUPLEX) != 0u) &&
        (((cfg->speed > 0x7fffffffu) && (cfg->speed != 0xffffffffu)) ||
         ((cfg->duplex > 1u) && (cfg->duplex != 0xffu)))) {
        return false;
    }
    return net_deps_ok_(f, cfg->ctrl_external);
}

int avps_net_init(struct avps_net *net, const struct avps_host *host,
                  const struct avps_net_cfg *cfg)
{
    static const struct avps_dev_class net_class = {
        .device_id = AVPS_VIRTIO_ID_NET,
        .config_size = (uint32_t)sizeof(struct avps_virtio_net_config),
        /* Every path completes buffers in the order they were made
         * available (§6.2): transmit and control one by one, receive in the
         * order held and refused buffers came. */
        .features = AVPS_NET_FEATURES_SUPPORTED | NF_IN_ORDER,
        .reset = net_reset_,
        .features_ok = net_features_ok_,
        .queue_notify = net_queue_notify_,
        .config_read = net_config_read_,
        .queue_reset = net_queue_reset_,
        /* DPDK's virtio receive paths read a used entry for every buffer even
         * with IN_ORDER (split: each slot's len; packed: each descriptor's
         * flags), so a frame over several buffers must not fold into one. */
        .used_each = true,
    };
    struct avps_dev_common_cfg cc;
    struct avps_dev_queue *queues;
    struct avps_vq_slot *slots;
    uint64_t offer;
    uint32_t nq;
    int err;

    if ((net == NULL) || (cfg == NULL) || !net_cfg_ok_(cfg)) {
        return AVPS_E_INVAL;
    }
    offer = cfg->features;
    if (cfg->mac_valid) {
        offer |= NF_MAC;
    }
    if (cfg->mtu != 0u) {
        offer |= NF_MTU;
    }
    if (cfg->num_pairs > 1u) {
        offer |= NF_MQ;
    }
    nq = 2u * (uint32_t)cfg->num_pairs;
    if (((offer & NF_CTRL_VQ) != 0u) && !cfg->ctrl_external) {
        nq++; /* the control queue, last */
    }
    if ((cfg->slots == NULL) || (cfg->queue_size_max == 0u) ||
        ((uint64_t)cfg->num_slots < (uint64_t)nq * cfg->queue_size_max)) {
        return AVPS_E_INVAL;
    }
    cc = cfg->common;
    /* The class lists everything we implement; what this device does not
     * offer is switched off like the embedder's features_off. */
    cc.features_off |= AVPS_NET_FEATURES_SUPPORTED & ~offer;
    queues = cfg->queues;
    slots = cfg->slots;
    err = avps_dev_init_(&net->dev, &net_class, host, queues, (uint16_t)nq, &cc);
    if (err != AVPS_OK) {
        return err;
    }
    for (uint32_t q = 0; q < nq; q++) {
        err = avps_dev_queue_init_(&net->dev, (uint16_t)q, cfg->queue_size_max,
                                   &slots[(size_t)q * cfg->queue_size_max],
                                   cfg->queue_size_max);
        if (err != AVPS_OK) {
            return err;
        }
    }
    net->backend = cfg->backend;
    net->pairs = cfg->pairs;
    net->offer = offer;
    net->num_pairs = cfg->num_pairs;
    net->ctrl_q = ((nq & 1u) != 0u) ? (uint16_t)(nq - 1u) : NO_QUEUE;
    net->ctrl_external = cfg->ctrl_external ? 1u : 0u;
    net->mtu = cfg->mtu;
    net->speed = ((offer & NF_SPEED_DUPLEX) != 0u) ? cfg->speed : 0u;
    net->duplex = ((offer & NF_SPEED_DUPLEX) != 0u) ? cfg->duplex : 0u;
    net->status = cfg->link_up ? AVPS_VIRTIO_NET_S_LINK_UP : 0u;
    (void)memcpy(net->cfg_mac, cfg->mac, sizeof net->cfg_mac);
    (void)memset(&net->stats, 0, sizeof net->stats);
    for (uint16_t p = 0; p < cfg->num_pairs; p++) {
        struct avps_net_pair *pp = &cfg->pairs[p];

        (void)memset(pp, 0, sizeof *pp);
        pp->txreq.seg = pp->txseg;
        pp->txreq.seg_max = AVPS_NET_SEGS;
    }
    net->ctrlreq.seg = net->ctrlseg;
    net->ctrlreq.seg_max = AVPS_NET_SEGS;
    net_reset_(&net->dev);
    return AVPS_OK;
}

struct avps_dev *avps_net_dev(struct avps_net *net)
{
    return &net->dev;
}

int avps_net_rx(struct avps_net *net, uint16_t pair, const struct avps_net_offload *off,
                const void *frame, uint32_t len)
{
    struct avps_net_rx_frame one;
    int r = 0;

    AVPS_ASSERT((net != NULL) && ((frame != NULL) || (len == 0u)));
    one.data = frame;
    one.len = len;
    one.off = off;
    avps_dev_lock_(&net->dev);
    (void)net_rx_burst_(net, pair, &one, 1u, &r);
    avps_dev_unlock_(&net->dev);
    return r;
}

int avps_net_rx_burst(struct avps_net *net, uint16_t pair, const struct avps_net_rx_frame *frames,
                      size_t n)
{
    int last = 0;
    int r;

    AVPS_ASSERT((net != NULL) && ((frames != NULL) || (n == 0u)));
    if (n > AVPS_NET_RX_BURST) {
        return AVPS_E_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        AVPS_ASSERT((frames[i].data != NULL) || (frames[i].len == 0u));
    }
    avps_dev_lock_(&net->dev);
    r = net_rx_burst_(net, pair, frames, n, &last);
    avps_dev_unlock_(&net->dev);
    return r;
}

int avps_net_tx_resume(struct avps_net *net, uint16_t pair)
{
    int r;

    AVPS_ASSERT(net != NULL);
    if (pair >= net->num_pairs) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&net->dev);
    r = net_tx_serve_(net, pair);
    avps_dev_unlock_(&net->dev);
    return r;
}

void avps_net_set_link(struct avps_net *net, bool up)
{
    uint16_t st;

    AVPS_ASSERT(net != NULL);
    avps_dev_lock_(&net->dev);
    st = up ? (uint16_t)(net->status | AVPS_VIRTIO_NET_S_LINK_UP)
            : (uint16_t)(net->status & ~AVPS_VIRTIO_NET_S_LINK_UP);
    if (st != net->status) {
        net->status = st;
        if ((net->offer & NF_STATUS) != 0u) {
            avps_dev_config_changed(&net->dev);
        }
    }
    avps_dev_unlock_(&net->dev);
}

int avps_net_announce(struct avps_net *net)
{
    int r = AVPS_E_STATE;

    AVPS_ASSERT(net != NULL);
    avps_dev_lock_(&net->dev);
    if (neg_(net, NF_GUEST_ANNOUNCE | NF_STATUS)) {
        net->status = (uint16_t)(net->status | AVPS_VIRTIO_NET_S_ANNOUNCE);
        avps_dev_config_changed(&net->dev);
        r = AVPS_OK;
    }
    avps_dev_unlock_(&net->dev);
    return r;
}

bool avps_net_link_up(const struct avps_net *net)
{
    return (net->status & AVPS_VIRTIO_NET_S_LINK_UP) != 0u;
}

uint16_t avps_net_active_pairs(const struct avps_net *net)
{
    return (net->ctrl_external != 0u) ? net->num_pairs : net->curr_pairs;
}

void avps_net_mac(const struct avps_net *net, uint8_t mac[6])
{
    (void)memcpy(mac, net->filt_mac, 6u);
}

const struct avps_net_stats *avps_net_stats(const struct avps_net *net)
{
    return &net->stats;
}

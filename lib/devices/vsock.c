/*
 * virtio-vsock: the socket device (VIRTIO 1.2 §5.10). The device is the host
 * side (CID 2) of every connection; the backend sees connections.
 *
 * Nothing the guest sends is held across calls: a tx packet is parsed,
 * delivered and returned at once. What the device owes the guest while the rx
 * queue is empty is kept outside the queue (§5.10.6.1): control packets as
 * per-connection flags, RSTs for packets of no connection in a bounded queue.
 * When that queue is full, tx is left alone until rx buffers come back.
 */
#include <avps/vsock.h>

#include "dev_priv.h"

#define Q_RX AVPS_VIRTIO_VSOCK_Q_RX
#define Q_TX AVPS_VIRTIO_VSOCK_Q_TX
#define Q_EV AVPS_VIRTIO_VSOCK_Q_EVENT
#define HDR AVPS_VSOCK_HDR_LEN

#define OP_REQUEST AVPS_VIRTIO_VSOCK_OP_REQUEST
#define OP_RESPONSE AVPS_VIRTIO_VSOCK_OP_RESPONSE
#define OP_RST AVPS_VIRTIO_VSOCK_OP_RST
#define OP_SHUTDOWN AVPS_VIRTIO_VSOCK_OP_SHUTDOWN
#define OP_RW AVPS_VIRTIO_VSOCK_OP_RW
#define OP_CREDIT_UPDATE AVPS_VIRTIO_VSOCK_OP_CREDIT_UPDATE
#define OP_CREDIT_REQUEST AVPS_VIRTIO_VSOCK_OP_CREDIT_REQUEST

#define T_STREAM AVPS_VIRTIO_VSOCK_TYPE_STREAM
#define T_SEQPACKET AVPS_VIRTIO_VSOCK_TYPE_SEQPACKET

#define SHUT_MASK (AVPS_VSOCK_SHUT_RCV | AVPS_VSOCK_SHUT_SEND)
#define SEQ_MASK (AVPS_VSOCK_EOM | AVPS_VSOCK_EOR)

/* connection states */
#define C_FREE 0u
#define C_CONNECTING 1u  /* host-initiated, waiting for RESPONSE */
#define C_ESTABLISHED 2u
#define C_CLOSING 3u     /* RST owed; the entry is free once it is sent */

/* control packets owed, sent in this order */
#define P_REQUEST 0x01u
#define P_RESPONSE 0x02u
#define P_CREDIT 0x04u
#define P_SHUTDOWN 0x08u
#define P_RST 0x10u

/* A header, copied once from the guest and converted. */
struct vs_pkt {
    uint64_t src_cid;
    uint64_t dst_cid;
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
    uint16_t type;
    uint16_t op;
};

static struct avps_vsock *vs_of_(struct avps_dev *dev)
{
    return (struct avps_vsock *)(void *)dev; /* dev is the first member */
}

/* §5.10.4: 0, 1, 2, 0xffffffff and anything with the upper half set are
 * not guest CIDs. */
static bool vs_cid_ok_(uint64_t cid)
{
    return (cid > AVPS_VIRTIO_VSOCK_CID_HOST) && (cid < 0xffffffffu);
}

/* §5.10.3.2: with no feature bit the device acts as if STREAM was
 * negotiated; with SEQPACKET but not NO_IMPLIED_STREAM it also allows stream
 * (the MAY); with NO_IMPLIED_STREAM stream needs STREAM. */
static bool vs_type_ok_(const struct avps_vsock *vs, uint32_t type)
{
    uint64_t f = vs->dev.features;

    if (type == T_STREAM) {
        return ((f & AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_STREAM)) != 0u) ||
               ((f & AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_NO_IMPLIED_STREAM)) == 0u);
    }
    if (type == T_SEQPACKET) {
        return (f & AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_SEQPACKET)) != 0u;
    }
    return false;
}

static void vs_bad_(struct avps_vsock *vs, uint16_t id, enum avps_vsock_bad why)
{
    vs->stats.bad[why]++;
    avps_dev_report_(&vs->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)Q_TX << 16) | id, (uint64_t)why);
}

/* The guest's free receive space on c (§5.10.6.3). */
static uint32_t vs_peer_free_(const struct avps_vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    if (in_flight > c->peer_buf_alloc) {
        return 0; /* the guest shrank its buffer or sent a bogus fwd_cnt */
    }
    return c->peer_buf_alloc - in_flight;
}

/* ---- the rx side: writing packets into the guest's buffers ------------- */

/* Take the next usable rx (or event) buffer into *req. Buffers the device
 * cannot use are returned with length 0 and counted. Returns 1, or 0 when
 * none is there (or the queue is not live or broke). */
static int vs_pop_wr_(struct avps_vsock *vs, uint16_t q, struct avps_vq_req *req, uint32_t min)
{
    struct avps_vq *vq = &vs->queue[q].vq;

    /* Bounded: every pass takes a buffer out of the ring. */
    for (;;) {
        uint16_t id = 0;
        int r;

        if (!avps_dev_queue_live_(&vs->dev, q)) {
            return 0;
        }
        r = avps_vq_pop(vq, req);
        if (r == AVPS_E_NOSPC) {
            if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
                return 0;
            }
        } else if (r <= 0) {
            return 0;
        } else if ((req->n_rd != 0u) || (req->wr_len < min)) {
            id = req->id;
            if (avps_vq_push(vq, id, 0) != AVPS_OK) {
                return 0;
            }
        } else {
            return 1;
        }
        vs->stats.bad_rx_bufs++;
        vs->stats.bad[AVPS_VSOCK_BAD_RX_BUF]++;
        avps_dev_report_(&vs->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id,
                         (uint64_t)AVPS_VSOCK_BAD_RX_BUF);
    }
}

/* Write one packet (header + payload) into the rx buffer in vs->rx_req and
 * return the buffer. The caller checked plen against the buffer. */
static void vs_emit_(struct avps_vsock *vs, uint64_t src_cid, uint32_t src_port,
                     uint32_t dst_port, uint16_t type, uint16_t op, uint32_t flags,
                     uint32_t fwd_cnt, uint32_t buf_alloc, const void *payload, uint32_t plen)
{
    struct avps_vq *vq = &vs->queue[Q_RX].vq;
    struct avps_virtio_vsock_hdr h;

    h.src_cid = avps_to_le64(src_cid);
    h.dst_cid = avps_to_le64(vs->guest_cid);
    h.src_port = avps_to_le32(src_port);
    h.dst_port = avps_to_le32(dst_port);
    h.len = avps_to_le32(plen);
    h.type = avps_to_le16(type);
    h.op = avps_to_le16(op);
    h.flags = avps_to_le32(flags);
    h.buf_alloc = avps_to_le32(buf_alloc);
    h.fwd_cnt = avps_to_le32(fwd_cnt);
    (void)avps_vq_req_write(vq, &vs->rx_req, 0, &h, HDR);
    if (plen != 0u) {
        (void)avps_vq_req_write(vq, &vs->rx_req, HDR, payload, plen);
    }
    (void)avps_vq_push(vq, vs->rx_req.id, HDR + plen);
    vs->stats.rx_packets++;
}

/* A packet of connection c (every one carries our credit, §5.10.6.3.2). */
static void vs_emit_conn_(struct avps_vsock *vs, struct avps_vsock_conn *c, uint16_t op,
                          uint32_t flags, const void *payload, uint32_t plen)
{
    c->adv_fwd_cnt = c->fwd_cnt;
    vs_emit_(vs, AVPS_VIRTIO_VSOCK_CID_HOST, c->host_port, c->guest_port, c->type, op, flags,
             c->fwd_cnt, vs->buf_alloc, payload, plen);
}

/* Send the control packets c owes, while rx buffers last. Returns false when
 * the rx queue ran dry first. */
static bool vs_flush_conn_(struct avps_vsock *vs, struct avps_vsock_conn *c)
{
    while (c->pending != 0u) {
        uint8_t bit = (uint8_t)(c->pending & (uint8_t)(0u - c->pending)); /* lowest first */
        uint16_t op;
        uint32_t flags = 0;

        if (vs_pop_wr_(vs, Q_RX, &vs->rx_req, HDR) != 1) {
            return false;
        }
        switch (bit) {
        case P_REQUEST:
            op = OP_REQUEST;
            break;
        case P_RESPONSE:
            op = OP_RESPONSE;
            break;
        case P_CREDIT:
            op = OP_CREDIT_UPDATE;
            break;
        case P_SHUTDOWN:
            op = OP_SHUTDOWN;
            flags = c->host_shut;
            break;
        default:
            op = OP_RST;
            break;
        }
        vs_emit_conn_(vs, c, op, flags, NULL, 0);
        c->pending = (uint8_t)(c->pending & (uint8_t)~bit);
        if (op == OP_RST) {
            vs->stats.rst_replies++;
            c->state = C_FREE;
            c->pending = 0;
        }
    }
    return true;
}

/* Everything owed: events, RST replies, control packets (round robin). */
static void vs_flush_(struct avps_vsock *vs)
{
    struct avps_vq *rxq = &vs->queue[Q_RX].vq;
    uint32_t start = vs->rr;

    if (vs->event_pending != 0u) {
        struct avps_vq_req *er = &vs->rx_req; /* shared: used one at a time */

        if (vs_pop_wr_(vs, Q_EV, er, (uint32_t)sizeof(struct avps_virtio_vsock_event)) == 1) {
            struct avps_virtio_vsock_event ev;
            struct avps_vq *evq = &vs->queue[Q_EV].vq;

            ev.id = avps_to_le32(AVPS_VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
            (void)avps_vq_req_write(evq, er, 0, &ev, (uint32_t)sizeof ev);
            (void)avps_vq_push(evq, er->id, (uint32_t)sizeof ev);
            (void)avps_vq_notify(evq);
            vs->event_pending = 0;
            vs->stats.events++;
        }
    }
    while (vs->rst_count != 0u) {
        const struct avps_vsock_rst_ *r = &vs->rst[vs->rst_head];

        if (vs_pop_wr_(vs, Q_RX, &vs->rx_req, HDR) != 1) {
            break;
        }
        vs_emit_(vs, r->src_cid, r->src_port, r->dst_port, r->type, OP_RST, 0, 0, 0, NULL, 0);
        vs->stats.rst_replies++;
        vs->rst_head = (vs->rst_head + 1u) % AVPS_VSOCK_RST_QUEUE;
        vs->rst_count--;
    }
    if (vs->rst_count == 0u) {
        for (uint32_t i = 0; i < vs->num_conns; i++) {
            uint32_t k = (start + i) % vs->num_conns;

            if (!vs_flush_conn_(vs, &vs->conns[k])) {
                vs->rr = k; /* start here next time */
                break;
            }
        }
    }
    (void)avps_vq_notify(rxq);
}

/* Owe an RST to a packet of no connection (the caller made room). */
static void vs_rst_reply_(struct avps_vsock *vs, const struct vs_pkt *p)
{
    struct avps_vsock_rst_ *r;

    if (p->op == OP_RST) {
        return; /* never answer an RST */
    }
    r = &vs->rst[(vs->rst_head + vs->rst_count) % AVPS_VSOCK_RST_QUEUE];
    r->src_cid = p->dst_cid;
    r->src_port = p->dst_port;
    r->dst_port = p->src_port;
    r->type = p->type;
    vs->rst_count++;
}

/* ---- connections --------------------------------------------------------- */

static uint32_t vs_idx_(const struct avps_vsock *vs, const struct avps_vsock_conn *c)
{
    (void)vs;
    return c->idx; /* set at init, kept by vs_conn_clear_() */
}

static struct avps_vsock_conn *vs_find_(struct avps_vsock *vs, uint32_t host_port,
                                        uint32_t guest_port)
{
    for (uint32_t i = 0; i < vs->num_conns; i++) {
        struct avps_vsock_conn *c = &vs->conns[i];

        if ((c->state != C_FREE) && (c->host_port == host_port) && (c->guest_port == guest_port)) {
            return c;
        }
    }
    return NULL;
}

static struct avps_vsock_conn *vs_alloc_(struct avps_vsock *vs)
{
    for (uint32_t i = 0; i < vs->num_conns; i++) {
        if (vs->conns[i].state == C_FREE) {
            return &vs->conns[i];
        }
    }
    return NULL;
}

static void vs_conn_clear_(struct avps_vsock_conn *c, uint32_t host_port, uint32_t guest_port,
                           uint16_t type)
{
    uint32_t idx = c->idx;

    (void)memset(c, 0, sizeof *c);
    c->idx = idx;
    c->host_port = host_port;
    c->guest_port = guest_port;
    c->type = type;
}

/* The guest ended c (RST): free it and tell the backend. */
static void vs_conn_gone_(struct avps_vsock *vs, struct avps_vsock_conn *c)
{
    c->state = C_FREE;
    c->pending = 0;
    vs->backend->reset(vs->backend->ctx, vs_idx_(vs, c));
}

/* The device ends c: RST to the guest, reset() to the backend. */
static void vs_conn_abort_(struct avps_vsock *vs, struct avps_vsock_conn *c)
{
    c->state = C_CLOSING;
    c->pending = P_RST;
    vs->backend->reset(vs->backend->ctx, vs_idx_(vs, c));
}

/* Every connection ends, nothing is owed (device or transport reset). */
static void vs_drop_all_(struct avps_vsock *vs)
{
    for (uint32_t i = 0; i < vs->num_conns; i++) {
        struct avps_vsock_conn *c = &vs->conns[i];
        uint8_t st = c->state;

        c->state = C_FREE;
        c->pending = 0;
        if ((st == C_CONNECTING) || (st == C_ESTABLISHED)) {
            vs->backend->reset(vs->backend->ctx, i);
        }
    }
    vs->rst_head = 0;
    vs->rst_count = 0;
    vs->tx_stalled = 0;
}

/* Owe a CREDIT_UPDATE once a quarter of the buffer is free and unannounced. */
static void vs_credit_check_(const struct avps_vsock *vs, struct avps_vsock_conn *c)
{
    uint32_t thresh = vs->buf_alloc / 4u;

    if (thresh == 0u) {
        thresh = 1u;
    }
    if ((c->fwd_cnt - c->adv_fwd_cnt) >= thresh) {
        c->pending |= P_CREDIT;
    }
}

/* ---- the tx side: packets from the guest --------------------------------- */

static void vs_parse_(const struct avps_virtio_vsock_hdr *h, struct vs_pkt *p)
{
    p->src_cid = avps_from_le64(h->src_cid);
    p->dst_cid = avps_from_le64(h->dst_cid);
    p->src_port = avps_from_le32(h->src_port);
    p->dst_port = avps_from_le32(h->dst_port);
    p->len = avps_from_le32(h->len);
    p->type = avps_from_le16(h->type);
    p->op = avps_from_le16(h->op);
    p->flags = avps_from_le32(h->flags);
    p->buf_alloc = avps_from_le32(h->buf_alloc);
    p->fwd_cnt = avps_from_le32(h->fwd_cnt);
}

/* Hand the payload [HDR, HDR + len) of the tx request to the backend, one
 * call per segment piece, flags with the last. */
static int vs_deliver_(struct avps_vsock *vs, struct avps_vsock_conn *c, uint32_t len,
                       uint32_t flags)
{
    const struct avps_vq_req *req = &vs->tx_req;
    uint32_t skip = HDR;
    uint32_t left = len;
    uint32_t conn = vs_idx_(vs, c);

    if (len == 0u) {
        return vs->backend->data(vs->backend->ctx, conn, "", 0, flags);
    }
    for (uint16_t i = 0; (i < req->n_rd) && (left != 0u); i++) {
        const struct avps_vq_seg *s = &req->seg[i];
        uint32_t n;
        int r;

        if (skip >= s->len) {
            skip -= s->len;
            continue;
        }
        n = s->len - skip;
        if (n > left) {
            n = left;
        }
        left -= n;
        r = vs->backend->data(vs->backend->ctx, conn, &((const uint8_t *)s->base)[skip], n,
                              (left == 0u) ? flags : 0u);
        if (r < 0) {
            return r;
        }
        skip = 0;
    }
    return AVPS_OK;
}

static void vs_rw_(struct avps_vsock *vs, struct avps_vsock_conn *c, const struct vs_pkt *p)
{
    uint32_t used = c->rx_cnt - c->fwd_cnt;
    uint32_t flags = (c->type == T_SEQPACKET) ? (p->flags & SEQ_MASK) : 0u;

    if ((c->peer_shut & AVPS_VSOCK_SHUT_SEND) != 0u) {
        vs_bad_(vs, vs->tx_req.id, AVPS_VSOCK_BAD_STATE);
        vs_conn_abort_(vs, c);
        return;
    }
    /* §5.10.6.3.1: the driver sends only what our buffer can take. */
    if (p->len > (vs->buf_alloc - used)) {
        vs_bad_(vs, vs->tx_req.id, AVPS_VSOCK_BAD_CREDIT);
        vs_conn_abort_(vs, c);
        return;
    }
    if ((p->len == 0u) && (flags == 0u)) {
        return; /* nothing to deliver */
    }
    c->rx_cnt += p->len;
    if ((c->host_shut & AVPS_VSOCK_SHUT_RCV) != 0u) {
        c->fwd_cnt += p->len; /* we said we receive no more: discard */
        vs_credit_check_(vs, c);
        return;
    }
    if (vs_deliver_(vs, c, p->len, flags) != AVPS_OK) {
        vs_conn_abort_(vs, c);
        return;
    }
    vs->stats.tx_bytes += p->len;
}

/* A REQUEST for an address with no connection. */
static void vs_request_(struct avps_vsock *vs, const struct vs_pkt *p)
{
    struct avps_vsock_conn *c = vs_alloc_(vs);

    if (c == NULL) {
        vs->stats.table_full++;
        vs_rst_reply_(vs, p);
        return;
    }
    vs_conn_clear_(c, p->dst_port, p->src_port, p->type);
    c->peer_buf_alloc = p->buf_alloc;
    c->peer_fwd_cnt = p->fwd_cnt;
    if (vs->backend->connect(vs->backend->ctx, vs_idx_(vs, c), p->dst_port, p->src_port,
                             p->type) != AVPS_OK) {
        vs_rst_reply_(vs, p); /* refused: the entry stays free */
        return;
    }
    c->state = C_ESTABLISHED;
    c->pending = P_RESPONSE;
}

static void vs_conn_packet_(struct avps_vsock *vs, struct avps_vsock_conn *c,
                            const struct vs_pkt *p)
{
    uint16_t id = vs->tx_req.id;

    if (p->type != c->type) {
        vs_bad_(vs, id, AVPS_VSOCK_BAD_STATE);
        vs_conn_abort_(vs, c);
        return;
    }
    /* §5.10.6.3: every packet of the flow carries the guest's credit. */
    c->peer_buf_alloc = p->buf_alloc;
    c->peer_fwd_cnt = p->fwd_cnt;
    if (c->state == C_CONNECTING) {
        if ((p->op == OP_RESPONSE) && ((c->pending & P_REQUEST) == 0u)) {
            c->state = C_ESTABLISHED;
            if (vs->backend->accept != NULL) {
                vs->backend->accept(vs->backend->ctx, vs_idx_(vs, c));
            }
        } else {
            vs_bad_(vs, id, AVPS_VSOCK_BAD_STATE);
            vs_conn_abort_(vs, c);
        }
        return;
    }
    switch (p->op) {
    case OP_RW:
        vs_rw_(vs, c, p);
        break;
    case OP_SHUTDOWN: {
        uint8_t add = (uint8_t)(p->flags & SHUT_MASK & ~(uint32_t)c->peer_shut);

        if (add != 0u) {
            c->peer_shut = (uint8_t)(c->peer_shut | add);
            if (vs->backend->shutdown != NULL) {
                vs->backend->shutdown(vs->backend->ctx, vs_idx_(vs, c), c->peer_shut);
            }
        }
        break;
    }
    case OP_CREDIT_UPDATE:
        break; /* the credit fields were taken above */
    case OP_CREDIT_REQUEST:
        c->pending |= P_CREDIT;
        break;
    default: /* REQUEST or RESPONSE on an established connection */
        vs_bad_(vs, id, AVPS_VSOCK_BAD_STATE);
        vs_conn_abort_(vs, c);
        break;
    }
}

/* One tx packet. The buffer is returned by the caller. */
static void vs_tx_packet_(struct avps_vsock *vs)
{
    const struct avps_vq_req *req = &vs->tx_req;
    struct avps_virtio_vsock_hdr raw;
    struct vs_pkt p;
    struct avps_vsock_conn *c;
    enum avps_vsock_bad bad;

    vs->stats.tx_packets++;
    /* §5.10.6.4: tx buffers are device-readable only. */
    if ((req->n_wr != 0u) || (req->rd_len < HDR)) {
        vs->stats.dropped++;
        vs_bad_(vs, req->id, AVPS_VSOCK_BAD_SHORT);
        return;
    }
    (void)avps_vq_req_read(req, 0, &raw, HDR); /* the only read of the header */
    vs_parse_(&raw, &p);
    /* §5.10.6.4.1: the source is the guest's CID. */
    if (p.src_cid != vs->guest_cid) {
        vs->stats.dropped++;
        vs_bad_(vs, req->id, AVPS_VSOCK_BAD_SRC_CID);
        return;
    }
    if (p.dst_cid != AVPS_VIRTIO_VSOCK_CID_HOST) {
        vs_bad_(vs, req->id, AVPS_VSOCK_BAD_DST_CID);
        if (p.dst_cid > 0xffffffffu) {
            vs->stats.dropped++; /* reserved bits set: nobody to answer as */
        } else {
            vs_rst_reply_(vs, &p);
        }
        return;
    }
    c = vs_find_(vs, p.dst_port, p.src_port);
    if ((c != NULL) && (c->state == C_CLOSING)) {
        if (p.op == OP_RST) {
            c->state = C_FREE; /* both sides agree; our RST is not needed */
            c->pending = 0;
        }
        return;
    }
    if (p.op == OP_RST) {
        if (c != NULL) {
            vs_conn_gone_(vs, c);
        }
        return;
    }
    if ((p.op == AVPS_VIRTIO_VSOCK_OP_INVALID) || (p.op > OP_CREDIT_REQUEST)) {
        bad = AVPS_VSOCK_BAD_OP;
    } else if ((p.len > (req->rd_len - HDR)) || (p.len > AVPS_VSOCK_MAX_PAYLOAD) ||
               ((p.op != OP_RW) && (p.len != 0u))) {
        bad = AVPS_VSOCK_BAD_LEN;
    } else if (!vs_type_ok_(vs, p.type)) {
        bad = AVPS_VSOCK_BAD_TYPE; /* §5.10.6.4.2: RST for an unknown type */
    } else if ((c == NULL) && (p.op != OP_REQUEST)) {
        bad = AVPS_VSOCK_BAD_NO_CONN;
    } else {
        if (c == NULL) {
            vs_request_(vs, &p);
        } else {
            vs_conn_packet_(vs, c, &p);
        }
        return;
    }
    vs_bad_(vs, req->id, bad);
    if (c != NULL) {
        vs_conn_abort_(vs, c);
    } else {
        vs_rst_reply_(vs, &p);
    }
}

/* Take tx packets until the ring is empty or the RST queue is full. */
static int vs_tx_(struct avps_vsock *vs)
{
    struct avps_vq *vq = &vs->queue[Q_TX].vq;
    int done = 0;

    vs->tx_stalled = 0;
    /* Bounded: each pass takes a packet out of the ring. */
    for (;;) {
        uint16_t id;
        int r;

        if (!avps_dev_queue_live_(&vs->dev, Q_TX)) {
            break;
        }
        if (vs->rst_count == AVPS_VSOCK_RST_QUEUE) {
            vs_flush_(vs);
            if (vs->rst_count == AVPS_VSOCK_RST_QUEUE) {
                vs->tx_stalled = 1; /* §5.10.6.1: resources exhausted */
                break;
            }
        }
        r = avps_vq_pop(vq, &vs->tx_req);
        if (r == AVPS_E_NOSPC) {
            if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
                break;
            }
            vs->stats.dropped++;
            vs_bad_(vs, id, AVPS_VSOCK_BAD_SHORT);
            done++;
            continue;
        }
        if (r <= 0) {
            break;
        }
        vs_tx_packet_(vs);
        if (avps_vq_push(vq, vs->tx_req.id, 0) != AVPS_OK) {
            break;
        }
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* Tell backends waiting for credit or rx buffers to try again. */
static void vs_wake_(struct avps_vsock *vs)
{
    if (vs->backend->writable == NULL) {
        return;
    }
    for (uint32_t i = 0; i < vs->num_conns; i++) {
        struct avps_vsock_conn *c = &vs->conns[i];

        if ((c->want_write != 0u) && (c->state == C_ESTABLISHED) && (vs_peer_free_(c) != 0u)) {
            c->want_write = 0;
            vs->backend->writable(vs->backend->ctx, i);
        }
    }
}

static int vs_run_(struct avps_vsock *vs, bool tx)
{
    int done = 0;

    vs_flush_(vs);
    if (tx || (vs->tx_stalled != 0u)) {
        done = vs_tx_(vs);
        vs_flush_(vs);
    }
    vs_wake_(vs);
    return done;
}

/* ---- the device class ---------------------------------------------------- */

static void vs_reset_(struct avps_dev *dev)
{
    struct avps_vsock *vs = vs_of_(dev);

    vs_drop_all_(vs);
    vs->event_pending = 0;
}

static int vs_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    return vs_run_(vs_of_(dev), q == Q_TX);
}

static void vs_config_read_(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    uint8_t raw[sizeof(struct avps_virtio_vsock_config)];
    uint64_t cid = vs_of_(dev)->guest_cid;

    for (uint32_t i = 0; i < (uint32_t)sizeof raw; i++) {
        uint32_t shift = i * 8u;

        raw[i] = (uint8_t)(cid >> shift); /* le64 guest_cid */
    }
    /* the core passes off < size and off + len <= size */
    (void)AVPS_MEMCPY(buf, &raw[off], len);
}

int avps_vsock_init(struct avps_vsock *vs, const struct avps_host *host,
                    const struct avps_vsock_cfg *cfg)
{
    static const struct avps_dev_class vsock_class = {
        .device_id = AVPS_VIRTIO_ID_VSOCK,
        .config_size = (uint32_t)sizeof(struct avps_virtio_vsock_config),
        /* §5.10.3.2: NO_IMPLIED_STREAM SHOULD be offered. Every buffer is
         * returned as soon as it is taken: in order. */
        .features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_STREAM) |
                    AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_SEQPACKET) |
                    AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_NO_IMPLIED_STREAM) |
                    AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER),
        .reset = vs_reset_,
        .queue_notify = vs_queue_notify_,
        .config_read = vs_config_read_,
    };
    const struct avps_vsock_backend *be;
    int err;

    if ((vs == NULL) || (cfg == NULL)) {
        return AVPS_E_INVAL;
    }
    be = cfg->backend;
    if ((be == NULL) || (be->connect == NULL) || (be->data == NULL) || (be->reset == NULL) ||
        !vs_cid_ok_(cfg->guest_cid) || (cfg->conns == NULL) || (cfg->num_conns == 0u) ||
        (cfg->buf_alloc == 0u)) {
        return AVPS_E_INVAL;
    }
    (void)memset(vs, 0, sizeof *vs);
    vs->backend = be;
    vs->conns = cfg->conns;
    vs->num_conns = cfg->num_conns;
    vs->buf_alloc = cfg->buf_alloc;
    vs->guest_cid = cfg->guest_cid;
    (void)memset(cfg->conns, 0, (size_t)cfg->num_conns * sizeof cfg->conns[0]);
    for (uint32_t i = 0; i < cfg->num_conns; i++) {
        cfg->conns[i].idx = i;
    }
    err = avps_dev_init_(&vs->dev, &vsock_class, host, vs->queue, AVPS_VSOCK_NUM_QUEUES,
                         &cfg->common);
    for (uint16_t q = 0; (q < AVPS_VSOCK_NUM_QUEUES) && (err == AVPS_OK); q++) {
        struct avps_vq_slot *sl = cfg->slots[q];

        err = avps_dev_queue_init_(&vs->dev, q, cfg->queue_size_max, sl, cfg->num_slots);
    }
    if (err != AVPS_OK) {
        return err;
    }
    vs->tx_req.seg = vs->tx_seg;
    vs->tx_req.seg_max = AVPS_VSOCK_SEGS;
    vs->rx_req.seg = vs->rx_seg;
    vs->rx_req.seg_max = AVPS_VSOCK_SEGS;
    return AVPS_OK;
}

struct avps_dev *avps_vsock_dev(struct avps_vsock *vs)
{
    return &vs->dev;
}

/* ---- the host side's calls ------------------------------------------------ */

static bool vs_live_(const struct avps_vsock *vs)
{
    return avps_dev_queue_live_(&vs->dev, Q_RX) && avps_dev_queue_live_(&vs->dev, Q_TX);
}

/* The connection of handle conn, or NULL when it is free or closing. */
static struct avps_vsock_conn *vs_conn_(struct avps_vsock *vs, uint32_t conn)
{
    struct avps_vsock_conn *c;

    if (conn >= vs->num_conns) {
        return NULL;
    }
    c = &vs->conns[conn];
    return ((c->state == C_CONNECTING) || (c->state == C_ESTABLISHED)) ? c : NULL;
}

int avps_vsock_connect(struct avps_vsock *vs, uint32_t host_port, uint32_t guest_port,
                       uint16_t type)
{
    struct avps_vsock_conn *c;
    int r;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    if (!vs_live_(vs)) {
        r = AVPS_E_STATE;
    } else if (!vs_type_ok_(vs, type) || (vs_find_(vs, host_port, guest_port) != NULL)) {
        r = AVPS_E_INVAL;
    } else {
        c = vs_alloc_(vs);
        if (c == NULL) {
            r = AVPS_E_NOSPC;
        } else {
            vs_conn_clear_(c, host_port, guest_port, type);
            c->state = C_CONNECTING;
            c->pending = P_REQUEST;
            r = (int)vs_idx_(vs, c);
            vs_flush_(vs);
        }
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

static int vs_send_(struct avps_vsock *vs, struct avps_vsock_conn *c, const uint8_t *buf,
                    uint32_t len, uint32_t flags)
{
    uint32_t off = 0;
    bool sent_empty = false;

    vs_flush_(vs);
    if ((c->pending & (uint8_t)~P_CREDIT) != 0u) {
        c->want_write = 1; /* RESPONSE first */
        return (len == 0u) ? AVPS_E_AGAIN : 0;
    }
    /* Bounded: every pass fills one rx buffer with at least one byte, or
     * sends the one empty message. */
    while ((off < len) || ((len == 0u) && !sent_empty)) {
        uint32_t n = len - off;
        uint32_t credit = vs_peer_free_(c);
        uint32_t room;

        if ((credit == 0u) && (len != 0u)) {
            break;
        }
        if (vs_pop_wr_(vs, Q_RX, &vs->rx_req, HDR) != 1) {
            break;
        }
        room = vs->rx_req.wr_len - HDR;
        if (n > credit) {
            n = credit;
        }
        if (n > room) {
            n = room;
        }
        if (n > AVPS_VSOCK_MAX_PAYLOAD) {
            n = AVPS_VSOCK_MAX_PAYLOAD;
        }
        vs_emit_conn_(vs, c, OP_RW, ((off + n) == len) ? flags : 0u, (n != 0u) ? &buf[off] : NULL,
                      n);
        c->tx_cnt += n;
        off += n;
        vs->stats.rx_bytes += n;
        sent_empty = true;
    }
    (void)avps_vq_notify(&vs->queue[Q_RX].vq);
    if (len == 0u) {
        if (!sent_empty) {
            c->want_write = 1;
            return AVPS_E_AGAIN;
        }
        return 0;
    }
    if (off < len) {
        c->want_write = 1;
    }
    return (int)off;
}

int avps_vsock_send(struct avps_vsock *vs, uint32_t conn, const void *buf, uint32_t len,
                    uint32_t flags)
{
    struct avps_vsock_conn *c;
    int r;

    AVPS_ASSERT((vs != NULL) && ((buf != NULL) || (len == 0u)));
    avps_dev_lock_(&vs->dev);
    c = vs_conn_(vs, conn);
    if ((c == NULL) || ((flags & ~SEQ_MASK) != 0u) ||
        ((flags != 0u) && (c->type != T_SEQPACKET)) || (len > (uint32_t)INT32_MAX)) {
        r = AVPS_E_INVAL;
    } else if ((len == 0u) && (flags == 0u)) {
        r = 0; /* nothing to send */
    } else if ((c->state != C_ESTABLISHED) || !vs_live_(vs) ||
               ((c->host_shut & AVPS_VSOCK_SHUT_SEND) != 0u) ||
               ((c->peer_shut & AVPS_VSOCK_SHUT_RCV) != 0u)) {
        r = AVPS_E_STATE;
    } else {
        r = vs_send_(vs, c, (const uint8_t *)buf, len, flags);
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

int64_t avps_vsock_credit(struct avps_vsock *vs, uint32_t conn)
{
    struct avps_vsock_conn *c;
    int64_t r;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    c = vs_conn_(vs, conn);
    if (c == NULL) {
        r = AVPS_E_INVAL;
    } else if (c->state != C_ESTABLISHED) {
        r = AVPS_E_STATE;
    } else {
        r = (int64_t)vs_peer_free_(c);
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

int avps_vsock_consumed(struct avps_vsock *vs, uint32_t conn, uint32_t n)
{
    struct avps_vsock_conn *c;
    int r = AVPS_OK;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    c = vs_conn_(vs, conn);
    if ((c == NULL) || (n > (c->rx_cnt - c->fwd_cnt))) {
        r = AVPS_E_INVAL;
    } else {
        c->fwd_cnt += n;
        vs_credit_check_(vs, c);
        vs_flush_(vs);
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

int avps_vsock_shutdown(struct avps_vsock *vs, uint32_t conn, uint32_t flags)
{
    struct avps_vsock_conn *c;
    int r = AVPS_OK;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    c = vs_conn_(vs, conn);
    if ((c == NULL) || (flags == 0u) || ((flags & ~SHUT_MASK) != 0u)) {
        r = AVPS_E_INVAL;
    } else if (c->state != C_ESTABLISHED) {
        r = AVPS_E_STATE;
    } else {
        uint8_t add = (uint8_t)(flags & ~(uint32_t)c->host_shut);

        if (add != 0u) {
            c->host_shut = (uint8_t)(c->host_shut | add);
            c->pending |= P_SHUTDOWN;
            vs_flush_(vs);
        }
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

int avps_vsock_reset(struct avps_vsock *vs, uint32_t conn)
{
    struct avps_vsock_conn *c;
    int r = AVPS_OK;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    c = vs_conn_(vs, conn);
    if (c == NULL) {
        r = AVPS_E_INVAL;
    } else if ((c->pending & P_REQUEST) != 0u) {
        c->state = C_FREE; /* the guest never heard of it */
        c->pending = 0;
    } else {
        c->state = C_CLOSING;
        c->pending = P_RST;
        vs_flush_(vs);
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

int avps_vsock_transport_reset(struct avps_vsock *vs, uint64_t guest_cid)
{
    int r = AVPS_OK;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    if (!vs_cid_ok_(guest_cid)) {
        r = AVPS_E_INVAL;
    } else {
        vs_drop_all_(vs);
        if (guest_cid != vs->guest_cid) {
            vs->guest_cid = guest_cid;
            avps_dev_config_changed(&vs->dev);
        }
        vs->event_pending = 1;
        vs_flush_(vs);
    }
    avps_dev_unlock_(&vs->dev);
    return r;
}

uint64_t avps_vsock_guest_cid(const struct avps_vsock *vs)
{
    return vs->guest_cid;
}

const struct avps_vsock_stats *avps_vsock_stats(const struct avps_vsock *vs)
{
    return &vs->stats;
}

bool avps_vsock_established(const struct avps_vsock *vs, uint32_t conn)
{
    return (conn < vs->num_conns) && (vs->conns[conn].state == C_ESTABLISHED);
}

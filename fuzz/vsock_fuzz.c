/*
 * libFuzzer harness for virtio-vsock (lib/devices/vsock.c): the tx packet
 * parser and the connection state machine, through the device core API, with
 * the spec-written test driver (tests/support/ringdrv) on all three queues and
 * the host side's calls (connect, send, consumed, shutdown, reset, transport
 * reset) in between, as the input says (format: fuzz/vsock_fuzz.h).
 *
 * Checked beyond ASan/UBSan and the library's asserts (a failure traps):
 *   - the backend hears only of live connections: connect() for a free
 *     handle, data()/shutdown()/accept()/reset() for live ones, reset() once;
 *   - data() never brings a connection more than buf_alloc bytes beyond what
 *     the backend consumed (the device's credit, §5.10.6.3.2);
 *   - send() takes no more than the credit avps_vsock_credit() gave before it;
 *   - every tx buffer comes back with length 0; every rx buffer comes back
 *     with 0 (unusable buffers) or 44 + hdr.len bytes, within its writable
 *     size, addressed from CID 2 (or the CID a refused packet named) to the
 *     guest's CID, with a known op and RW payloads of at most 64 KiB;
 *   - event buffers come back with 0 or 4 bytes holding TRANSPORT_RESET.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/virtio/features.h>
#include <avps/vsock.h>

#include "avps_posix.h"
#include "ringdrv.h"
#include "vsock_fuzz.h"

#define QSZ 16u
#define NCONN 8u
#define HBUF 1024u
#define RAM (1u << 20)
#define HDR AVPS_VSOCK_HDR_LEN

static struct avps_posix_guest g;
static bool g_ready;
static struct rd_queue q[3];
static bool q_live[3];
static struct avps_vsock vs;
static struct avps_vsock_conn conns[NCONN];
static struct avps_vq_slot slots[3][QSZ];
static struct avps_vsock_backend be;
static uint64_t features;
static bool refuse;
static bool live[NCONN];
static uint32_t delivered[NCONN], consumed[NCONN];
static uint64_t cid_now, cid_prev;
static uint32_t rx_wr[QSZ], ev_wr[QSZ];
static bool rx_bad[QSZ], ev_bad[QSZ];
static uint64_t rx_gpa[QSZ][2];
static uint32_t rx_len[QSZ][2];
static uint64_t ev_gpa[QSZ];

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

/* ---- backend ------------------------------------------------------------------ */

static int b_connect(void *ctx, uint32_t c, uint32_t hp, uint32_t gp, uint16_t type)
{
    (void)ctx;
    (void)gp;
    (void)type;
    check_(c < NCONN && !live[c]);
    if (refuse || hp == 83u)
        return AVPS_E_IO;
    live[c] = true;
    delivered[c] = consumed[c] = 0;
    return AVPS_OK;
}

static void b_accept(void *ctx, uint32_t c)
{
    (void)ctx;
    check_(c < NCONN && live[c]);
}

static int b_data(void *ctx, uint32_t c, const void *buf, uint32_t len, uint32_t flags)
{
    volatile const uint8_t *p = buf;

    (void)ctx;
    check_(c < NCONN && live[c]);
    check_((flags & ~3u) == 0u);
    check_(buf != NULL);
    if (len != 0u) {
        (void)p[0];
        (void)p[len - 1u];
    }
    delivered[c] += len;
    check_(delivered[c] - consumed[c] <= HBUF);
    return (len == 77u) ? AVPS_E_IO : AVPS_OK; /* the backend fails now and then */
}

static void b_shutdown(void *ctx, uint32_t c, uint32_t flags)
{
    (void)ctx;
    check_(c < NCONN && live[c]);
    check_(flags != 0u && (flags & ~3u) == 0u);
}

static void b_reset(void *ctx, uint32_t c)
{
    (void)ctx;
    check_(c < NCONN && live[c]);
    live[c] = false;
}

static void b_writable(void *ctx, uint32_t c)
{
    (void)ctx;
    check_(c < NCONN && live[c]);
}

static int t_queue(void *t, struct avps_dev *d, uint16_t qi)
{
    (void)t;
    (void)d;
    check_(qi < 3u);
    return 0;
}

static int t_config(void *t, struct avps_dev *d)
{
    (void)t;
    (void)d;
    return 0;
}

static const struct avps_transport_ops tops = {t_queue, t_config};

/* ---- the driver ---------------------------------------------------------------- */

static void drv_fini(void)
{
    for (int i = 0; i < 3; i++) {
        if (q_live[i])
            rd_fini(&q[i]);
        q_live[i] = false;
    }
}

static bool drv_up(bool packed)
{
    struct avps_dev *d = avps_vsock_dev(&vs);
    uint64_t want = features | AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                    (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0u);
    static const uint64_t base[3] = {0x1000, 0x5000, 0x9000};
    static const uint64_t heap[3] = {0x10000, 0x40000, 0x70000};

    (void)avps_dev_set_status(d, 0);
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)want);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32));
    if (avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                   AVPS_VIRTIO_S_FEATURES_OK) != AVPS_OK)
        return false;
    for (uint16_t i = 0; i < 3; i++) {
        if (rd_init(&q[i], &g, packed, QSZ, want, base[i], heap[i], 0x30000) != 0)
            return false;
        q_live[i] = true;
        (void)avps_dev_queue_set_size(d, i, QSZ);
        (void)avps_dev_queue_set_addr(d, i, AVPS_DEV_AREA_DESC, q[i].desc);
        (void)avps_dev_queue_set_addr(d, i, AVPS_DEV_AREA_DRIVER, q[i].driver);
        (void)avps_dev_queue_set_addr(d, i, AVPS_DEV_AREA_DEVICE, q[i].device);
        if (avps_dev_queue_enable(d, i) != AVPS_OK)
            return false;
    }
    return avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                      AVPS_VIRTIO_S_FEATURES_OK | AVPS_VIRTIO_S_DRIVER_OK) ==
           AVPS_OK;
}

/* Reuse the heaps when nothing is outstanding. */
static void recycle(int i)
{
    static const uint64_t heap[3] = {0x10000, 0x40000, 0x70000};

    if (rd_outstanding(&q[i]) == 0u)
        q[i].heap = heap[i];
}

static void drain(void)
{
    struct rd_done d;

    while (rd_get_used(&q[1], &d) == 1)
        check_(d.len == 0u);
    while (rd_get_used(&q[0], &d) == 1) {
        struct avps_virtio_vsock_hdr h;
        uint8_t raw[HDR];
        uint32_t n0;
        uint64_t src, dst;
        uint16_t op;

        check_(d.id < QSZ);
        if (rx_bad[d.id] || d.len == 0u) {
            check_(d.len == 0u && rx_bad[d.id]);
            continue;
        }
        check_(d.len >= HDR && d.len <= rx_wr[d.id]);
        n0 = rx_len[d.id][0] < HDR ? rx_len[d.id][0] : HDR;
        memcpy(raw, avps_posix_ptr(&g, rx_gpa[d.id][0], n0), n0);
        if (n0 < HDR)
            memcpy(raw + n0, avps_posix_ptr(&g, rx_gpa[d.id][1], HDR - n0), HDR - n0);
        memcpy(&h, raw, sizeof h);
        check_(avps_from_le32(h.len) == d.len - HDR);
        check_(avps_from_le32(h.len) <= AVPS_VSOCK_MAX_PAYLOAD);
        src = avps_from_le64(h.src_cid);
        dst = avps_from_le64(h.dst_cid);
        op = avps_from_le16(h.op);
        check_(dst == cid_now || dst == cid_prev);
        check_(src <= 0xffffffffu);
        check_(op >= AVPS_VIRTIO_VSOCK_OP_REQUEST && op <= AVPS_VIRTIO_VSOCK_OP_CREDIT_UPDATE);
        check_(op == AVPS_VIRTIO_VSOCK_OP_RW || d.len == HDR);
        check_(src == AVPS_VIRTIO_VSOCK_CID_HOST || op == AVPS_VIRTIO_VSOCK_OP_RST);
    }
    while (rd_get_used(&q[2], &d) == 1) {
        check_(d.id < QSZ);
        if (ev_bad[d.id]) {
            check_(d.len == 0u);
            continue;
        }
        check_(d.len == 4u);
        check_(*(const uint8_t *)avps_posix_ptr(&g, ev_gpa[d.id], 1) == 0u);
    }
}

static void tx_packet(const uint8_t *b, unsigned int p)
{
    struct avps_virtio_vsock_hdr h;
    uint8_t pkt[HDR + 255];
    uint32_t plen = b[4];
    struct rd_buf rb[3];
    unsigned int n = 0;
    uint64_t gpa;
    uint32_t split = (b[11] == 0u) ? 0u : (uint32_t)(b[11] % HDR) + 1u;

    h.src_cid = avps_to_le64(b[6] == 1u ? cid_now + 1u : cid_now);
    h.dst_cid = avps_to_le64(b[6] == 2u ? 7u : (b[6] == 3u ? (1ull << 32) | 2u : 2u));
    h.src_port = avps_to_le32(1000u + (b[2] & 3u));
    h.dst_port = avps_to_le32(80u + ((b[2] >> 2) & 3u));
    h.len = avps_to_le32(b[3]);
    h.type = avps_to_le16(b[1]);
    h.op = avps_to_le16(b[0]);
    h.flags = avps_to_le32(b[5]);
    h.buf_alloc = avps_to_le32(64u * ((uint32_t)b[7] | ((uint32_t)b[8] << 8)));
    h.fwd_cnt = avps_to_le32((uint32_t)b[9] | ((uint32_t)b[10] << 8));
    memcpy(pkt, &h, HDR);
    for (uint32_t i = 0; i < plen; i++)
        pkt[HDR + i] = (uint8_t)i;
    recycle(1);
    gpa = rd_alloc(&q[1], HDR + plen);
    if (gpa == 0u)
        return;
    memcpy(avps_posix_ptr(&g, gpa, HDR + plen), pkt, HDR + plen);
    if (split != 0u && split < HDR + plen) {
        rb[n++] = (struct rd_buf){gpa, split, false};
        rb[n++] = (struct rd_buf){gpa + split, HDR + plen - split, false};
    } else {
        rb[n++] = (struct rd_buf){gpa, HDR + plen, false};
    }
    if (rd_add(&q[1], rb, n, 0) < 0)
        return;
    if ((p & 1u) == 0u)
        (void)avps_dev_queue_notify(avps_vsock_dev(&vs), 1);
}

static void tx_raw(const uint8_t *b, uint32_t len)
{
    struct rd_buf rb;
    uint64_t gpa;

    if (len == 0u)
        return;
    recycle(1);
    gpa = rd_alloc(&q[1], len);
    if (gpa == 0u)
        return;
    memcpy(avps_posix_ptr(&g, gpa, len), b, len);
    rb = (struct rd_buf){gpa, len, false};
    if (rd_add(&q[1], &rb, 1, 0) >= 0)
        (void)avps_dev_queue_notify(avps_vsock_dev(&vs), 1);
}

static void rx_post(uint8_t s, unsigned int p)
{
    uint32_t size = (s == 0u) ? 20u : HDR + 2u * s;
    struct rd_buf rb[2];
    unsigned int n = 0;
    bool readable = (p & 2u) != 0u;
    uint64_t gpa;
    int id;

    recycle(0);
    gpa = rd_alloc(&q[0], size);
    if (gpa == 0u)
        return;
    if ((p & 1u) != 0u && size > HDR) {
        rb[n++] = (struct rd_buf){gpa, HDR, !readable};
        rb[n++] = (struct rd_buf){gpa + HDR, size - HDR, !readable};
    } else {
        rb[n++] = (struct rd_buf){gpa, size, !readable};
    }
    id = rd_add(&q[0], rb, n, 0);
    if (id < 0)
        return;
    check_(id < (int)QSZ);
    rx_wr[id] = size;
    rx_bad[id] = readable || size < HDR;
    rx_gpa[id][0] = rb[0].gpa;
    rx_len[id][0] = rb[0].len;
    rx_gpa[id][1] = n > 1u ? rb[1].gpa : 0u;
    rx_len[id][1] = n > 1u ? rb[1].len : 0u;
    (void)avps_dev_queue_notify(avps_vsock_dev(&vs), 0);
}

static void ev_post(unsigned int p)
{
    struct rd_buf rb;
    uint64_t gpa;
    int id;

    recycle(2);
    gpa = rd_alloc(&q[2], 4);
    if (gpa == 0u)
        return;
    memset(avps_posix_ptr(&g, gpa, 4), 0xee, 4);
    rb = (struct rd_buf){gpa, p == 1u ? 2u : 4u, p != 2u};
    id = rd_add(&q[2], &rb, 1, 0);
    if (id < 0)
        return;
    check_(id < (int)QSZ);
    ev_gpa[id] = gpa;
    ev_bad[id] = p == 1u || p == 2u;
    (void)avps_dev_queue_notify(avps_vsock_dev(&vs), 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_vsock_cfg cfg;
    static const uint8_t payload[256];
    size_t pos = 1;
    unsigned int ops = 0;
    uint8_t setup;
    bool packed;

    if (size < 1u)
        return 0;
    if (!g_ready) {
        avps_posix_init(&g);
        if (avps_posix_add_region(&g, 0, RAM) != 0)
            return 0;
        g_ready = true;
    }
    setup = data[0];
    packed = (setup & 1u) != 0u;
    features = ((setup & 2u) ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_SEQPACKET) : 0u) |
               ((setup & 4u) ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_STREAM) : 0u) |
               ((setup & 8u) ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_NO_IMPLIED_STREAM) : 0u) |
               ((setup & 0x40u) ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX) : 0u) |
               ((setup & 0x80u) ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER) : 0u);
    memset(live, 0, sizeof live);
    refuse = false;
    cid_now = cid_prev = 3;
    be = (struct avps_vsock_backend){b_connect, b_accept, b_data, b_shutdown, b_reset,
                                     b_writable, NULL};
    memset(&cfg, 0, sizeof cfg);
    cfg.guest_cid = 3;
    cfg.backend = &be;
    cfg.conns = conns;
    cfg.num_conns = 1u << ((setup >> 4) & 3u);
    cfg.buf_alloc = HBUF;
    for (int i = 0; i < 3; i++)
        cfg.slots[i] = slots[i];
    cfg.num_slots = QSZ;
    cfg.queue_size_max = QSZ;
    check_(avps_vsock_init(&vs, &g.host, &cfg) == AVPS_OK);
    check_(avps_dev_bind(avps_vsock_dev(&vs), &tops, NULL, 0) == AVPS_OK);
    if (!drv_up(packed))
        goto out;
    while (pos < size && ops++ < VF_MAX_OPS) {
        uint8_t o = data[pos++];
        unsigned int p = o >> 4;
        const uint8_t *a = &data[pos];
        size_t left = size - pos;

        switch ((enum vf_op)(o & 15u)) {
        case VF_TXH:
            if (left < 12u)
                goto out;
            tx_packet(a, p);
            pos += 12;
            break;
        case VF_TXRAW:
            if (left < 1u || left - 1u < a[0])
                goto out;
            tx_raw(a + 1, a[0]);
            pos += 1u + a[0];
            break;
        case VF_RXPOST:
            if (left < 1u)
                goto out;
            rx_post(a[0], p);
            pos++;
            break;
        case VF_EVPOST:
            ev_post(p % 3u);
            break;
        case VF_SEND: {
            int64_t credit;
            int r;

            if (left < 2u)
                goto out;
            credit = avps_vsock_credit(&vs, a[0] % NCONN);
            r = avps_vsock_send(&vs, a[0] % NCONN, payload, a[1], p & 3u);
            if (r > 0)
                check_(credit >= 0 && (int64_t)r <= credit);
            pos += 2;
            break;
        }
        case VF_CONNECT: {
            int c;

            if (left < 1u)
                goto out;
            c = avps_vsock_connect(&vs, 80u + ((a[0] >> 2) & 3u), 1000u + (a[0] & 3u),
                                   (p & 1u) ? 2u : 1u);
            if (c >= 0) {
                check_(c < (int)NCONN && !live[c]);
                live[c] = true;
                delivered[c] = consumed[c] = 0;
            }
            pos++;
            break;
        }
        case VF_CONSUME: {
            uint32_t c;

            if (left < 2u)
                goto out;
            c = a[0] % NCONN;
            if (avps_vsock_consumed(&vs, c, a[1]) == AVPS_OK) {
                check_(live[c]);
                consumed[c] += a[1];
                check_(consumed[c] - delivered[c] == 0u || delivered[c] - consumed[c] <= HBUF);
            }
            pos += 2;
            break;
        }
        case VF_SHUT:
            if (left < 1u)
                goto out;
            (void)avps_vsock_shutdown(&vs, a[0] % NCONN, p & 3u);
            pos++;
            break;
        case VF_RESET:
            if (left < 1u)
                goto out;
            if (avps_vsock_reset(&vs, a[0] % NCONN) == AVPS_OK) {
                check_(live[a[0] % NCONN]);
                live[a[0] % NCONN] = false;
            }
            pos++;
            break;
        case VF_TRESET:
            drain(); /* what was written before carries the old CID */
            cid_prev = cid_now;
            cid_now = (p & 1u) ? 4u : 3u;
            check_(avps_vsock_transport_reset(&vs, cid_now) == AVPS_OK);
            for (uint32_t i = 0; i < NCONN; i++)
                check_(!live[i]);
            break;
        case VF_DEVRESET:
            drain();
            drv_fini();
            if (!drv_up(packed))
                goto out;
            for (uint32_t i = 0; i < NCONN; i++)
                check_(!live[i]);
            cid_prev = cid_now;
            break;
        case VF_NOTIFY:
            (void)avps_dev_queue_notify(avps_vsock_dev(&vs), (uint16_t)(p % 3u));
            break;
        case VF_DRAIN:
            drain();
            break;
        case VF_ACCEPT:
            refuse = (p & 1u) != 0u;
            break;
        default:
            break;
        }
    }
    drain();
out:
    (void)avps_dev_set_status(avps_vsock_dev(&vs), 0);
    for (uint32_t i = 0; i < NCONN; i++)
        check_(!live[i]);
    drv_fini();
    return 0;
}

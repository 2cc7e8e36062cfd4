/*
 * test_vsock: virtio-vsock (§5.10) through the device core, with the ringdrv
 * test driver playing the guest on all three queues, split and packed.
 *
 * The guest is CID 3; every packet the test driver sends is built here byte by
 * byte, and every packet the device writes is read back from guest memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/vsock.h>

#include "vqfix.h"

#define GCID 3u
#define QSZ 64u
#define NCONN_MAX 40u
#define HBUF 4096u /* host buf_alloc */
#define GOT_MAX (1u << 20)

#define S_ALL (AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER | AVPS_VIRTIO_S_FEATURES_OK)

#define OP(x) AVPS_VIRTIO_VSOCK_OP_##x
#define T_STREAM AVPS_VIRTIO_VSOCK_TYPE_STREAM
#define T_SEQ AVPS_VIRTIO_VSOCK_TYPE_SEQPACKET
#define VF(x) AVPS_VIRTIO_BIT(AVPS_VIRTIO_VSOCK_F_##x)

typedef struct avps_virtio_vsock_hdr vhdr;

struct vfix {
    struct avps_posix_guest g;
    struct rd_queue q[3];
    struct avps_vsock vs;
    struct avps_vsock_conn conns[NCONN_MAX];
    struct avps_vq_slot slots[3][QSZ];
    struct avps_vsock_backend be;
    struct avps_dev *dev;
    bool packed;
    int config_notes;
    uint64_t heap0[3];
    /* backend record */
    int connect_rc;
    int data_rc;
    int n_connect, n_accept, n_data, n_shutdown, n_reset, n_writable;
    uint32_t last_conn, last_host_port, last_guest_port, last_flags, last_shut;
    uint16_t last_type;
    int reset_of[NCONN_MAX];
    int writable_of[NCONN_MAX];
    uint32_t data_conn;
    uint8_t got[GOT_MAX];
    uint32_t got_len;
    uint32_t ends[64]; /* offsets in got where flags came */
    uint32_t end_flags[64];
    uint32_t n_ends;
    /* driver */
    uint64_t rx_gpa[QSZ][2];
    uint32_t rx_len[QSZ][2];
    uint32_t guest_fwd;
    uint32_t guest_buf_alloc;
};

/* ---- backend --------------------------------------------------------------- */

static int be_connect(void *ctx, uint32_t conn, uint32_t hp, uint32_t gp, uint16_t type)
{
    struct vfix *f = ctx;

    f->n_connect++;
    f->last_conn = conn;
    f->last_host_port = hp;
    f->last_guest_port = gp;
    f->last_type = type;
    return f->connect_rc;
}

static void be_accept(void *ctx, uint32_t conn)
{
    struct vfix *f = ctx;

    f->n_accept++;
    f->last_conn = conn;
}

static int be_data(void *ctx, uint32_t conn, const void *buf, uint32_t len, uint32_t flags)
{
    struct vfix *f = ctx;

    f->n_data++;
    f->data_conn = conn;
    assert_true(f->got_len + len <= GOT_MAX);
    memcpy(f->got + f->got_len, buf, len);
    f->got_len += len;
    f->last_flags = flags;
    if (flags != 0 && f->n_ends < 64) {
        f->ends[f->n_ends] = f->got_len;
        f->end_flags[f->n_ends++] = flags;
    }
    return f->data_rc;
}

static void be_shutdown(void *ctx, uint32_t conn, uint32_t flags)
{
    struct vfix *f = ctx;

    f->n_shutdown++;
    f->last_conn = conn;
    f->last_shut = flags;
}

static void be_reset(void *ctx, uint32_t conn)
{
    struct vfix *f = ctx;

    f->n_reset++;
    assert_true(conn < NCONN_MAX);
    f->reset_of[conn]++;
}

static void be_writable(void *ctx, uint32_t conn)
{
    struct vfix *f = ctx;

    f->n_writable++;
    f->writable_of[conn]++;
}

static int ft_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    (void)t;
    (void)dev;
    (void)q;
    return 0;
}

static int ft_config(void *t, struct avps_dev *dev)
{
    struct vfix *f = t;

    (void)dev;
    f->config_notes++;
    return 0;
}

static const struct avps_transport_ops ft_ops = {ft_queue, ft_config};

/* ---- fixture ----------------------------------------------------------------- */

static int vf_cfg_init(struct vfix *f, uint32_t nconn, uint64_t cid, uint64_t features_off)
{
    struct avps_vsock_cfg cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 11;
    cfg.common.features_off = features_off;
    cfg.guest_cid = cid;
    cfg.backend = &f->be;
    cfg.conns = f->conns;
    cfg.num_conns = nconn;
    cfg.buf_alloc = HBUF;
    for (int q = 0; q < 3; q++)
        cfg.slots[q] = f->slots[q];
    cfg.num_slots = QSZ;
    cfg.queue_size_max = QSZ;
    return avps_vsock_init(&f->vs, &f->g.host, &cfg);
}

static struct vfix *vf_alloc(bool packed)
{
    struct vfix *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->packed = packed;
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, VQFIX_MEM), 0);
    f->be.connect = be_connect;
    f->be.accept = be_accept;
    f->be.data = be_data;
    f->be.shutdown = be_shutdown;
    f->be.reset = be_reset;
    f->be.writable = be_writable;
    f->be.ctx = f;
    f->guest_buf_alloc = 65536;
    return f;
}

/* The driver's side up to the point where it writes DRIVER_OK (§3.1.1). */
static void vf_drv_up(struct vfix *f, uint64_t drv_features, bool driver_ok)
{
    struct avps_dev *d = f->dev;
    uint64_t want = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) | drv_features |
                    (f->packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0);
    static const uint64_t base[3] = {0x1000, 0x21000, 0x41000};
    static const uint64_t heap[3][2] = {
        {8ull << 20, 3ull << 20}, {11ull << 20, 4ull << 20}, {15ull << 20, 1ull << 20}};

    assert_int_equal(avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER),
                     AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)want), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ALL), AVPS_OK);
    for (uint16_t q = 0; q < 3; q++) {
        assert_int_equal(rd_init(&f->q[q], &f->g, f->packed, QSZ, want, base[q], heap[q][0],
                                 heap[q][1]), 0);
        f->heap0[q] = f->q[q].heap;
        assert_int_equal(avps_dev_queue_set_size(d, q, QSZ), AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DESC, f->q[q].desc), AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DRIVER, f->q[q].driver),
                         AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DEVICE, f->q[q].device),
                         AVPS_OK);
        assert_int_equal(avps_dev_queue_enable(d, q), AVPS_OK);
    }
    if (driver_ok)
        assert_int_equal(avps_dev_set_status(d, S_ALL | AVPS_VIRTIO_S_DRIVER_OK), AVPS_OK);
}

static struct vfix *vf_new_ex(bool packed, uint32_t nconn, uint64_t drv_features,
                              uint64_t features_off)
{
    struct vfix *f = vf_alloc(packed);

    assert_int_equal(vf_cfg_init(f, nconn, GCID, features_off), AVPS_OK);
    f->dev = avps_vsock_dev(&f->vs);
    assert_int_equal(avps_dev_bind(f->dev, &ft_ops, f, 0), AVPS_OK);
    vf_drv_up(f, drv_features, true);
    return f;
}

static struct vfix *vf_new(bool packed)
{
    return vf_new_ex(packed, 8, VF(SEQPACKET), 0);
}

static void vf_free(struct vfix *f)
{
    for (int q = 0; q < 3; q++)
        if (f->q[q].size != 0)
            rd_fini(&f->q[q]);
    avps_posix_fini(&f->g);
    free(f);
}

/* ---- the driver ------------------------------------------------------------ */

static vhdr mk(const struct vfix *f, uint16_t op, uint32_t gport, uint32_t hport, uint16_t type,
               uint32_t len, uint32_t flags)
{
    vhdr h;

    h.src_cid = avps_to_le64(GCID);
    h.dst_cid = avps_to_le64(AVPS_VIRTIO_VSOCK_CID_HOST);
    h.src_port = avps_to_le32(gport);
    h.dst_port = avps_to_le32(hport);
    h.len = avps_to_le32(len);
    h.type = avps_to_le16(type);
    h.op = avps_to_le16(op);
    h.flags = avps_to_le32(flags);
    h.buf_alloc = avps_to_le32(f->guest_buf_alloc);
    h.fwd_cnt = avps_to_le32(f->guest_fwd);
    return h;
}

static void heap_recycle(struct vfix *f, int q)
{
    if (rd_outstanding(&f->q[q]) == 0)
        f->q[q].heap = f->heap0[q];
}

static void *gptr(struct vfix *f, uint64_t gpa, uint32_t len)
{
    void *p = avps_posix_ptr(&f->g, gpa, len);

    assert_non_null(p);
    return p;
}

/* Put a tx buffer of the given pieces in the ring (no notify). Returns its id. */
static int tx_put(struct vfix *f, const void *hdr, uint32_t hlen, const void *pl, uint32_t plen,
                  uint32_t wr_extra)
{
    struct rd_buf b[3];
    unsigned int n = 0;

    heap_recycle(f, 1);
    if (hlen) {
        b[n].gpa = rd_alloc(&f->q[1], hlen);
        b[n].len = hlen;
        b[n].write = false;
        memcpy(gptr(f, b[n].gpa, hlen), hdr, hlen);
        n++;
    }
    if (plen) {
        b[n].gpa = rd_alloc(&f->q[1], plen);
        b[n].len = plen;
        b[n].write = false;
        memcpy(gptr(f, b[n].gpa, plen), pl, plen);
        n++;
    }
    if (wr_extra) {
        b[n].gpa = rd_alloc(&f->q[1], wr_extra);
        b[n].len = wr_extra;
        b[n].write = true;
        n++;
    }
    return rd_add(&f->q[1], b, n, 0);
}

/* Collect the tx used entries; each must have length 0. Returns the count. */
static int tx_drain(struct vfix *f)
{
    struct rd_done d;
    int n = 0;

    while (rd_get_used(&f->q[1], &d) == 1) {
        assert_int_equal(d.len, 0);
        n++;
    }
    return n;
}

/* Send one packet (header then payload, two descriptors as Linux does) and
 * check the device took it. */
static void tx(struct vfix *f, const vhdr *h, const void *pl, uint32_t plen)
{
    assert_true(tx_put(f, h, sizeof *h, pl, plen, 0) >= 0);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(tx_drain(f), 1);
}

/* Post n rx buffers of size bytes: one descriptor, or (two) a 44-byte header
 * descriptor and a size-byte payload descriptor as Linux 6.1 does. */
static void rx_post_ex(struct vfix *f, unsigned int n, uint32_t size, bool two, bool notify)
{
    for (unsigned int i = 0; i < n; i++) {
        struct rd_buf b[2];
        unsigned int k = 0;
        int id;

        heap_recycle(f, 0);
        if (two) {
            b[k].gpa = rd_alloc(&f->q[0], AVPS_VSOCK_HDR_LEN);
            b[k].len = AVPS_VSOCK_HDR_LEN;
            b[k].write = true;
            k++;
        }
        b[k].gpa = rd_alloc(&f->q[0], size);
        b[k].len = size;
        b[k].write = true;
        k++;
        id = rd_add(&f->q[0], b, k, 0);
        assert_true(id >= 0);
        f->rx_gpa[id][0] = b[0].gpa;
        f->rx_len[id][0] = b[0].len;
        f->rx_gpa[id][1] = two ? b[1].gpa : 0;
        f->rx_len[id][1] = two ? b[1].len : 0;
    }
    if (notify)
        avps_dev_queue_notify(f->dev, 0);
}

static void rx_post(struct vfix *f, unsigned int n, uint32_t size)
{
    rx_post_ex(f, n, size, false, true);
}

/* Take one rx packet: header and payload (up to max bytes). Returns 1 or 0. */
static int rx_get(struct vfix *f, vhdr *h, uint8_t *pl, uint32_t max, uint32_t *plen)
{
    struct rd_done d;
    uint8_t tmp[AVPS_VSOCK_HDR_LEN + 65536];
    uint32_t off = 0;

    if (rd_get_used(&f->q[0], &d) != 1)
        return 0;
    assert_true(d.len >= AVPS_VSOCK_HDR_LEN);
    assert_true(d.len <= sizeof tmp);
    for (int k = 0; k < 2 && off < d.len; k++) {
        uint32_t n = f->rx_len[d.id][k];

        if (n > d.len - off)
            n = d.len - off;
        memcpy(tmp + off, gptr(f, f->rx_gpa[d.id][k], n), n);
        off += n;
    }
    assert_int_equal(off, d.len);
    memcpy(h, tmp, sizeof *h);
    assert_int_equal(avps_from_le32(h->len), d.len - AVPS_VSOCK_HDR_LEN);
    if (plen)
        *plen = d.len - AVPS_VSOCK_HDR_LEN;
    if (pl) {
        assert_true(d.len - AVPS_VSOCK_HDR_LEN <= max);
        memcpy(pl, tmp + AVPS_VSOCK_HDR_LEN, d.len - AVPS_VSOCK_HDR_LEN);
    }
    return 1;
}

#define H16(h, f) avps_from_le16((h).f)
#define H32(h, f) avps_from_le32((h).f)
#define H64(h, f) avps_from_le64((h).f)

/* Take one rx packet, check its op and addressing, return its header. */
static vhdr rx_expect(struct vfix *f, uint16_t op, uint32_t hport, uint32_t gport)
{
    vhdr h;

    assert_int_equal(rx_get(f, &h, NULL, 0, NULL), 1);
    assert_int_equal(H16(h, op), op);
    assert_int_equal(H64(h, src_cid), AVPS_VIRTIO_VSOCK_CID_HOST);
    assert_int_equal(H64(h, dst_cid), GCID);
    assert_int_equal(H32(h, src_port), hport);
    assert_int_equal(H32(h, dst_port), gport);
    return h;
}

static void rx_none(struct vfix *f)
{
    vhdr h;

    assert_int_equal(rx_get(f, &h, NULL, 0, NULL), 0);
}

/* The guest connects gport -> hport; returns the connection handle. */
static uint32_t guest_connect(struct vfix *f, uint32_t gport, uint32_t hport, uint16_t type)
{
    vhdr h = mk(f, OP(REQUEST), gport, hport, type, 0, 0);
    int before = f->n_connect;
    vhdr r;

    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_connect, before + 1);
    r = rx_expect(f, OP(RESPONSE), hport, gport);
    assert_int_equal(H16(r, type), type);
    assert_true(avps_vsock_established(&f->vs, f->last_conn));
    return f->last_conn;
}

#define BOTH(name)                                                                     \
    static void name##_split(void **s) { (void)s; name(false); }                      \
    static void name##_packed(void **s) { (void)s; name(true); }

/* ---- §5.10.1-5.10.4: identity, queues, features, configuration ------------ */

/* §5.10.4: guest_cid reads as le64; device ID 19, three queues. */
static void test_5_10_4_config_guest_cid(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint8_t b[8];
    uint32_t lo;

    assert_int_equal(avps_dev_device_id(f->dev), 19);
    assert_int_equal(avps_dev_num_queues(f->dev), 3);
    assert_int_equal(avps_dev_config_size(f->dev), 8);
    assert_int_equal(avps_dev_config_read(f->dev, 0, b, 8), AVPS_OK);
    assert_int_equal(b[0], GCID);
    for (int i = 1; i < 8; i++)
        assert_int_equal(b[i], 0);
    assert_int_equal(avps_dev_config_read(f->dev, 0, &lo, 4), AVPS_OK);
    assert_int_equal(avps_le32_raw_to_cpu(lo), GCID);
    assert_int_equal(avps_dev_config_read(f->dev, 4, &lo, 4), AVPS_OK);
    assert_int_equal(lo, 0);
    /* read-only */
    assert_int_equal(avps_dev_config_write(f->dev, 0, b, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_vsock_guest_cid(&f->vs), GCID);
    vf_free(f);
}
BOTH(test_5_10_4_config_guest_cid)

/* §5.10.6.4.2: guest_cid MUST NOT be a reserved CID: init and transport reset
 * refuse 0, 1, 2, 0xffffffff, 2^64-1 and any CID with the upper half set. */
static void test_5_10_6_4_2_reserved_cid_refused(void **s)
{
    struct vfix *f = vf_alloc(false);
    static const uint64_t bad[] = {0, 1, 2, 0xffffffffull, 0xffffffffffffffffull,
                                   0x100000003ull};

    (void)s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vf_cfg_init(f, 4, bad[i], 0), AVPS_E_INVAL);
    assert_int_equal(vf_cfg_init(f, 4, 0xfffffffeull, 0), AVPS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(avps_vsock_transport_reset(&f->vs, bad[i]), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_guest_cid(&f->vs), 0xfffffffeull);
    vf_free(f);
}

/* Init refuses a missing callback, table, buf_alloc or slot array. */
static void test_vsock_init_refuses_bad_cfg(void **s)
{
    struct vfix *f = vf_alloc(false);
    struct avps_vsock_cfg cfg;

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.guest_cid = GCID;
    cfg.backend = &f->be;
    cfg.conns = f->conns;
    cfg.num_conns = 1;
    cfg.buf_alloc = 1;
    for (int q = 0; q < 3; q++)
        cfg.slots[q] = f->slots[q];
    cfg.num_slots = QSZ;
    cfg.queue_size_max = QSZ;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_vsock_init(NULL, &f->g.host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, NULL), AVPS_E_INVAL);
    cfg.num_conns = 0;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_conns = 1;
    cfg.buf_alloc = 0;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.buf_alloc = 1;
    cfg.conns = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.conns = f->conns;
    cfg.slots[2] = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.slots[2] = f->slots[2];
    cfg.queue_size_max = QSZ * 2;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.queue_size_max = QSZ;
    f->be.data = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    f->be.data = be_data;
    f->be.connect = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    f->be.connect = be_connect;
    f->be.reset = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    f->be.reset = be_reset;
    cfg.backend = NULL;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_E_INVAL);
    vf_free(f);
}

/* §5.10.3.2: the device offers STREAM, SEQPACKET and (SHOULD) NO_IMPLIED_STREAM. */
static void test_5_10_3_2_offers_no_implied_stream(void **s)
{
    struct vfix *f = vf_new(false);
    uint64_t off = avps_dev_offered_features(f->dev);

    (void)s;
    assert_true(off & VF(STREAM));
    assert_true(off & VF(SEQPACKET));
    assert_true(off & VF(NO_IMPLIED_STREAM));
    vf_free(f);
    /* features_off takes SEQPACKET away */
    f = vf_new_ex(false, 4, 0, VF(SEQPACKET));
    assert_false(avps_dev_offered_features(f->dev) & VF(SEQPACKET));
    vf_free(f);
}

/* §5.10.3.2: with no feature bit negotiated the device acts as if STREAM was:
 * stream connections work, seqpacket ones are refused with RST. */
static void test_5_10_3_2_no_feature_means_stream(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 4, 0, 0);
    vhdr h = mk(f, OP(REQUEST), 1000, 80, T_SEQ, 0, 0);

    guest_connect(f, 999, 80, T_STREAM);
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    rx_expect(f, OP(RST), 80, 1000);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_TYPE], 1);
    assert_int_equal(avps_vsock_connect(&f->vs, 81, 1001, T_SEQ), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_5_10_3_2_no_feature_means_stream)

/* §5.10.3.2: SEQPACKET without NO_IMPLIED_STREAM: the device also acts as if
 * STREAM was negotiated (the MAY); with NO_IMPLIED_STREAM and no STREAM,
 * stream requests get RST; with STREAM too they work. */
static void test_5_10_3_2_implied_stream(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 4, VF(SEQPACKET), 0);
    vhdr h;

    guest_connect(f, 1000, 80, T_STREAM);
    guest_connect(f, 1001, 80, T_SEQ);
    vf_free(f);

    f = vf_new_ex(packed, 4, VF(SEQPACKET) | VF(NO_IMPLIED_STREAM), 0);
    h = mk(f, OP(REQUEST), 1000, 80, T_STREAM, 0, 0);
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    rx_expect(f, OP(RST), 80, 1000);
    assert_int_equal(f->n_connect, 0);
    assert_int_equal(avps_vsock_connect(&f->vs, 81, 1001, T_STREAM), AVPS_E_INVAL);
    guest_connect(f, 1001, 80, T_SEQ);
    vf_free(f);

    f = vf_new_ex(packed, 4, VF(STREAM) | VF(NO_IMPLIED_STREAM), 0);
    guest_connect(f, 1000, 80, T_STREAM);
    h = mk(f, OP(REQUEST), 1001, 80, T_SEQ, 0, 0);
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    rx_expect(f, OP(RST), 80, 1001);
    vf_free(f);
}
BOTH(test_5_10_3_2_implied_stream)

/* ---- connections ------------------------------------------------------------- */

/* §5.10.6.5: REQUEST to a listening host port -> RESPONSE; the reply carries
 * the address swapped, the type, and our credit. */
static void test_5_10_6_5_guest_connects(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 80, T_STREAM, 0, 0);
    vhdr r;
    uint32_t c;

    rx_post_ex(f, 1, 512, true, true); /* header and payload in two descriptors */
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_connect, 1);
    assert_int_equal(f->last_host_port, 80);
    assert_int_equal(f->last_guest_port, 1234);
    assert_int_equal(f->last_type, T_STREAM);
    c = f->last_conn;
    r = rx_expect(f, OP(RESPONSE), 80, 1234);
    assert_int_equal(H16(r, type), T_STREAM);
    assert_int_equal(H32(r, len), 0);
    assert_int_equal(H32(r, buf_alloc), HBUF);
    assert_int_equal(H32(r, fwd_cnt), 0);
    assert_true(avps_vsock_established(&f->vs, c));
    assert_int_equal(avps_vsock_credit(&f->vs, c), 65536);
    vf_free(f);
}
BOTH(test_5_10_6_5_guest_connects)

/* §5.10.6.5: no listener (the backend refuses) -> RST; no entry is used. */
static void test_5_10_6_5_guest_connect_refused(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 81, T_STREAM, 0, 0);

    f->connect_rc = AVPS_E_IO;
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    rx_expect(f, OP(RST), 81, 1234);
    assert_false(avps_vsock_established(&f->vs, f->last_conn));
    assert_int_equal(f->n_reset, 0);
    assert_int_equal(f->vs.stats.rst_replies, 1);
    vf_free(f);
}
BOTH(test_5_10_6_5_guest_connect_refused)

/* §5.10.6.5: host-initiated: REQUEST goes out (once an rx buffer is there);
 * RESPONSE makes it established (accept); a second one is refused with RST
 * (reset). */
static void test_5_10_6_5_host_connects(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h, r;
    int c, c2;

    c = avps_vsock_connect(&f->vs, 5000, 22, T_STREAM);
    assert_true(c >= 0);
    rx_none(f); /* no rx buffer yet: owed */
    assert_int_equal(avps_vsock_connect(&f->vs, 5000, 22, T_STREAM), AVPS_E_INVAL); /* in use */
    assert_int_equal(avps_vsock_connect(&f->vs, 5001, 22, 7), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_send(&f->vs, (uint32_t)c, "x", 1, 0), AVPS_E_STATE);
    assert_int_equal(avps_vsock_credit(&f->vs, (uint32_t)c), AVPS_E_STATE);
    assert_int_equal(avps_vsock_shutdown(&f->vs, (uint32_t)c, 1), AVPS_E_STATE);
    rx_post(f, 1, 256);
    r = rx_expect(f, OP(REQUEST), 5000, 22);
    assert_int_equal(H16(r, type), T_STREAM);
    assert_int_equal(H32(r, buf_alloc), HBUF);
    h = mk(f, OP(RESPONSE), 22, 5000, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_accept, 1);
    assert_int_equal(f->last_conn, (uint32_t)c);
    assert_true(avps_vsock_established(&f->vs, (uint32_t)c));

    c2 = avps_vsock_connect(&f->vs, 5001, 23, T_SEQ);
    assert_true(c2 >= 0 && c2 != c);
    rx_post(f, 1, 256);
    rx_expect(f, OP(REQUEST), 5001, 23);
    h = mk(f, OP(RST), 23, 5001, T_SEQ, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->reset_of[c2], 1);
    assert_false(avps_vsock_established(&f->vs, (uint32_t)c2));
    rx_post(f, 1, 256);
    rx_none(f); /* an RST is never answered */
    vf_free(f);
}
BOTH(test_5_10_6_5_host_connects)

/* A host-initiated connection whose guest answers with anything but RESPONSE
 * or RST is reset; one reset before its REQUEST went out sends nothing. */
static void test_vsock_host_connect_bad_answer(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h;
    int c;

    c = avps_vsock_connect(&f->vs, 5000, 22, T_STREAM);
    rx_post(f, 1, 256);
    rx_expect(f, OP(REQUEST), 5000, 22);
    h = mk(f, OP(RW), 22, 5000, T_STREAM, 1, 0);
    rx_post(f, 1, 256);
    tx(f, &h, "a", 1);
    assert_int_equal(f->reset_of[c], 1);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_STATE], 1);
    rx_expect(f, OP(RST), 5000, 22);
    assert_int_equal(f->n_data, 0);

    c = avps_vsock_connect(&f->vs, 5001, 22, T_STREAM);
    assert_int_equal(avps_vsock_reset(&f->vs, (uint32_t)c), AVPS_OK);
    rx_post(f, 1, 256);
    rx_none(f);
    assert_int_equal(avps_vsock_reset(&f->vs, (uint32_t)c), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_reset(&f->vs, NCONN_MAX + 5), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_vsock_host_connect_bad_answer)

/* ---- data and credit ------------------------------------------------------- */

/* Guest to host: RW payload reaches data() in order; the header may span
 * descriptors (split at byte 10 here); the tx buffer is returned with 0. */
static void test_5_10_6_4_guest_data(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h = mk(f, OP(RW), 1234, 80, T_STREAM, 5, 0);
    uint8_t raw[sizeof h + 5];
    struct rd_buf b[3];

    tx(f, &h, "hello", 5);
    assert_int_equal(f->got_len, 5);
    assert_memory_equal(f->got, "hello", 5);
    assert_int_equal(f->data_conn, c);
    assert_int_equal(f->last_flags, 0);
    /* one packet in three pieces: 10 header bytes, 34 + 2, 3 */
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 5, 0);
    memcpy(raw, &h, sizeof h);
    memcpy(raw + sizeof h, "world", 5);
    b[0].gpa = rd_alloc(&f->q[1], 10);
    b[0].len = 10;
    b[1].gpa = rd_alloc(&f->q[1], 36);
    b[1].len = 36;
    b[2].gpa = rd_alloc(&f->q[1], 3);
    b[2].len = 3;
    b[0].write = b[1].write = b[2].write = false;
    memcpy(gptr(f, b[0].gpa, 10), raw, 10);
    memcpy(gptr(f, b[1].gpa, 36), raw + 10, 36);
    memcpy(gptr(f, b[2].gpa, 3), raw + 46, 3);
    assert_true(rd_add(&f->q[1], b, 3, 0) >= 0);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(tx_drain(f), 1);
    assert_int_equal(f->got_len, 10);
    assert_memory_equal(f->got, "helloworld", 10);
    assert_int_equal(f->vs.stats.tx_bytes, 10);
    /* a zero-length stream RW delivers nothing */
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_data, 3); /* one call, then one per piece of "world" */
    vf_free(f);
}
BOTH(test_5_10_6_4_guest_data)

/* Host to guest: send() writes header + payload into rx buffers, split over
 * buffers by their size, and over the two descriptors of a Linux-style buffer. */
static void test_5_10_6_4_host_data(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    uint8_t msg[300], pl[300];
    uint32_t plen;
    vhdr h;

    for (int i = 0; i < 300; i++)
        msg[i] = (uint8_t)(i * 7);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 300, 0), 0); /* no rx buffer */
    rx_post_ex(f, 1, 100, true, false);
    rx_post_ex(f, 2, 100 + AVPS_VSOCK_HDR_LEN, false, false);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 300, 0), 300);
    assert_int_equal(rx_get(f, &h, pl, 300, &plen), 1);
    assert_int_equal(H16(h, op), OP(RW));
    assert_int_equal(H32(h, flags), 0);
    assert_int_equal(plen, 100);
    assert_memory_equal(pl, msg, 100);
    assert_int_equal(rx_get(f, &h, pl, 300, &plen), 1);
    assert_int_equal(plen, 100);
    assert_memory_equal(pl, msg + 100, 100);
    assert_int_equal(rx_get(f, &h, pl, 300, &plen), 1);
    assert_int_equal(plen, 100);
    assert_memory_equal(pl, msg + 200, 100);
    assert_int_equal(f->vs.stats.rx_bytes, 300);
    assert_int_equal(avps_vsock_credit(&f->vs, c), 65536 - 300);
    /* empty stream send: nothing */
    assert_int_equal(avps_vsock_send(&f->vs, c, NULL, 0, 0), 0);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 1, AVPS_VSOCK_EOM), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_send(&f->vs, NCONN_MAX + 1, msg, 1, 0), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_5_10_6_4_host_data)

/* §5.10.6.3.2: send never exceeds buf_alloc - (tx_cnt - fwd_cnt); a
 * CREDIT_UPDATE from the guest reopens it and wakes the backend. */
static void test_5_10_6_3_2_send_respects_credit(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c;
    uint8_t msg[300] = {0};
    uint32_t plen;
    vhdr h;

    f->guest_buf_alloc = 100;
    c = guest_connect(f, 1234, 80, T_STREAM);
    rx_post(f, 4, 1000);
    assert_int_equal(avps_vsock_credit(&f->vs, c), 100);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 300, 0), 100);
    assert_int_equal(rx_get(f, &h, NULL, 0, &plen), 1);
    assert_int_equal(plen, 100);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 300, 0), 0);
    assert_int_equal(avps_vsock_credit(&f->vs, c), 0);
    rx_none(f);
    /* the guest consumed 60 */
    f->guest_fwd = 60;
    h = mk(f, OP(CREDIT_UPDATE), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->writable_of[c], 1);
    assert_int_equal(avps_vsock_credit(&f->vs, c), 60);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 300, 0), 60);
    assert_int_equal(rx_get(f, &h, NULL, 0, &plen), 1);
    assert_int_equal(plen, 60);
    /* a guest that shrinks buf_alloc below what is in flight: credit 0 */
    f->guest_buf_alloc = 10;
    h = mk(f, OP(CREDIT_UPDATE), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(avps_vsock_credit(&f->vs, c), 0);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 1, 0), 0);
    vf_free(f);
}
BOTH(test_5_10_6_3_2_send_respects_credit)

/* §5.10.6.3.2: every packet of a flow carries our buf_alloc and current
 * fwd_cnt (RESPONSE, RW, CREDIT_UPDATE, SHUTDOWN, RST). */
static void test_5_10_6_3_2_every_packet_carries_credit(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    uint8_t data[100] = {1};
    vhdr h;

    h = mk(f, OP(RW), 1234, 80, T_STREAM, 100, 0);
    tx(f, &h, data, 100);
    assert_int_equal(avps_vsock_consumed(&f->vs, c, 40), AVPS_OK);
    rx_post(f, 4, 256);
    assert_int_equal(avps_vsock_send(&f->vs, c, "z", 1, 0), 1);
    h = rx_expect(f, OP(RW), 80, 1234);
    assert_int_equal(H32(h, buf_alloc), HBUF);
    assert_int_equal(H32(h, fwd_cnt), 40);
    h = mk(f, OP(CREDIT_REQUEST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    h = rx_expect(f, OP(CREDIT_UPDATE), 80, 1234);
    assert_int_equal(H32(h, buf_alloc), HBUF);
    assert_int_equal(H32(h, fwd_cnt), 40);
    assert_int_equal(avps_vsock_consumed(&f->vs, c, 60), AVPS_OK);
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, AVPS_VSOCK_SHUT_SEND), AVPS_OK);
    h = rx_expect(f, OP(SHUTDOWN), 80, 1234);
    assert_int_equal(H32(h, fwd_cnt), 100);
    assert_int_equal(H32(h, buf_alloc), HBUF);
    assert_int_equal(avps_vsock_reset(&f->vs, c), AVPS_OK);
    h = rx_expect(f, OP(RST), 80, 1234);
    assert_int_equal(H32(h, fwd_cnt), 100);
    vf_free(f);
}
BOTH(test_5_10_6_3_2_every_packet_carries_credit)

/* §5.10.6.3: CREDIT_REQUEST is answered with CREDIT_UPDATE, held while the rx
 * queue is empty and sent when a buffer comes. */
static void test_5_10_6_3_credit_request(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h = mk(f, OP(CREDIT_REQUEST), 1234, 80, T_STREAM, 0, 0);

    (void)c;
    tx(f, &h, NULL, 0);
    tx(f, &h, NULL, 0); /* twice: one reply is owed */
    rx_none(f);
    rx_post(f, 2, 256);
    h = rx_expect(f, OP(CREDIT_UPDATE), 80, 1234);
    assert_int_equal(H32(h, fwd_cnt), 0);
    rx_none(f);
    vf_free(f);
}
BOTH(test_5_10_6_3_credit_request)

/* §5.10.6.3: the device sends CREDIT_UPDATE on its own once the backend has
 * consumed a quarter of buf_alloc; the guest can then fill the buffer again.
 * Exhaustion and update cycle over several buffers' worth. */
static void test_5_10_6_3_credit_update_after_consume(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    uint8_t data[HBUF];
    uint32_t sent = 0, host_fwd = 0;
    vhdr h;

    memset(data, 0x5a, sizeof data);
    rx_post(f, 16, 256);
    for (int round = 0; round < 4; round++) {
        /* the guest fills our whole buffer (exactly the credit) */
        uint32_t room = HBUF - (sent - host_fwd);

        h = mk(f, OP(RW), 1234, 80, T_STREAM, room, 0);
        tx(f, &h, data, room);
        sent += room;
        assert_int_equal(f->got_len, sent);
        /* consuming less than a quarter: no update */
        assert_int_equal(avps_vsock_consumed(&f->vs, c, HBUF / 4 - 1), AVPS_OK);
        rx_none(f);
        assert_int_equal(avps_vsock_consumed(&f->vs, c, 1), AVPS_OK);
        host_fwd += HBUF / 4;
        h = rx_expect(f, OP(CREDIT_UPDATE), 80, 1234);
        assert_int_equal(H32(h, fwd_cnt), host_fwd);
    }
    assert_int_equal(avps_vsock_consumed(&f->vs, c, sent - host_fwd + 1), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_consumed(&f->vs, NCONN_MAX + 1, 1), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_5_10_6_3_credit_update_after_consume)

/* §5.10.6.3.1 (driver): data beyond the credit we gave resets the connection. */
static void test_5_10_6_3_1_guest_exceeds_credit(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    static uint8_t data[HBUF + 1];
    vhdr h = mk(f, OP(RW), 1234, 80, T_STREAM, HBUF - 10, 0);

    tx(f, &h, data, HBUF - 10);
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 11, 0);
    rx_post(f, 1, 256);
    tx(f, &h, data, 11);
    assert_int_equal(f->got_len, HBUF - 10);
    assert_int_equal(f->reset_of[c], 1);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_CREDIT], 1);
    rx_expect(f, OP(RST), 80, 1234);
    assert_false(avps_vsock_established(&f->vs, c));
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    vf_free(f);
}
BOTH(test_5_10_6_3_1_guest_exceeds_credit)

/* ---- shutdown and reset ----------------------------------------------------- */

/* §5.10.6.5: guest SHUTDOWN flags reach the backend and are permanent; after
 * the guest's SHUTDOWN(RCV) the host may not send; data after SHUTDOWN(SEND)
 * is a protocol error. */
static void test_5_10_6_5_guest_shutdown(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h;

    h = mk(f, OP(SHUTDOWN), 1234, 80, T_STREAM, 0, AVPS_VSOCK_SHUT_RCV);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_shutdown, 1);
    assert_int_equal(f->last_shut, AVPS_VSOCK_SHUT_RCV);
    assert_int_equal(avps_vsock_send(&f->vs, c, "x", 1, 0), AVPS_E_STATE);
    h = mk(f, OP(SHUTDOWN), 1234, 80, T_STREAM, 0, 0); /* bits clear: no change */
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_shutdown, 1);
    h = mk(f, OP(SHUTDOWN), 1234, 80, T_STREAM, 0, 0xfc | AVPS_VSOCK_SHUT_SEND);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_shutdown, 2);
    assert_int_equal(f->last_shut, 3);
    assert_true(avps_vsock_established(&f->vs, c));
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 1, 0);
    rx_post(f, 1, 256);
    tx(f, &h, "x", 1);
    assert_int_equal(f->n_data, 0);
    assert_int_equal(f->reset_of[c], 1);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_STATE], 1);
    rx_expect(f, OP(RST), 80, 1234);
    vf_free(f);
}
BOTH(test_5_10_6_5_guest_shutdown)

/* §5.10.6.5 clean disconnect, guest first: SHUTDOWN(RCV|SEND), the host
 * finishes and answers RST; the entry is free again. */
static void test_5_10_6_5_clean_disconnect_guest_first(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 1, VF(SEQPACKET), 0);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h = mk(f, OP(SHUTDOWN), 1234, 80, T_STREAM, 0, 3);

    tx(f, &h, NULL, 0);
    assert_int_equal(f->last_shut, 3);
    rx_post(f, 1, 256);
    assert_int_equal(avps_vsock_reset(&f->vs, c), AVPS_OK);
    rx_expect(f, OP(RST), 80, 1234);
    assert_int_equal(f->n_reset, 0); /* reset() is not called for our own reset */
    /* the single entry is free: a new connection fits */
    guest_connect(f, 1235, 80, T_STREAM);
    vf_free(f);
}
BOTH(test_5_10_6_5_clean_disconnect_guest_first)

/* §5.10.6.5 clean disconnect, host first: SHUTDOWN flags add up (SEND, then
 * RCV gives 3); the host may not send after SEND; the guest's RST ends it. */
static void test_5_10_6_5_clean_disconnect_host_first(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h;

    rx_post(f, 4, 256);
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, AVPS_VSOCK_SHUT_SEND), AVPS_OK);
    h = rx_expect(f, OP(SHUTDOWN), 80, 1234);
    assert_int_equal(H32(h, flags), 2);
    assert_int_equal(avps_vsock_send(&f->vs, c, "x", 1, 0), AVPS_E_STATE);
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, AVPS_VSOCK_SHUT_SEND), AVPS_OK);
    rx_none(f); /* nothing new */
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, AVPS_VSOCK_SHUT_RCV), AVPS_OK);
    h = rx_expect(f, OP(SHUTDOWN), 80, 1234);
    assert_int_equal(H32(h, flags), 3);
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, 0), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, 4), AVPS_E_INVAL);
    /* data after our SHUT_RCV is discarded (and its credit returned) */
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 3, 0);
    tx(f, &h, "abc", 3);
    assert_int_equal(f->n_data, 0);
    h = mk(f, OP(RST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->reset_of[c], 1);
    assert_false(avps_vsock_established(&f->vs, c));
    assert_int_equal(avps_vsock_shutdown(&f->vs, c, 1), AVPS_E_INVAL);
    rx_none(f);
    vf_free(f);
}
BOTH(test_5_10_6_5_clean_disconnect_host_first)

/* §5.10.6.5: RST cases: a guest RST ends an established connection; a packet
 * for no connection gets RST; an RST for no connection gets nothing; after our
 * RST the guest's packets are ignored until its own RST frees the entry. */
static void test_5_10_6_5_rst_cases(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 2, VF(SEQPACKET), 0);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    uint32_t c2;
    int resets;
    vhdr h;

    h = mk(f, OP(RST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->reset_of[c], 1);
    assert_false(avps_vsock_established(&f->vs, c));
    rx_post(f, 2, 256);
    rx_none(f);
    /* packet of no connection */
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 1, 0);
    tx(f, &h, "x", 1);
    rx_expect(f, OP(RST), 80, 1234);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_NO_CONN], 1);
    h = mk(f, OP(RST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    rx_none(f);
    assert_int_equal(f->vs.stats.rst_replies, 1);
    /* use up the last rx buffer */
    assert_true(avps_vsock_connect(&f->vs, 4000, 4001, T_STREAM) >= 0);
    rx_expect(f, OP(REQUEST), 4000, 4001);
    h = mk(f, OP(RST), 4001, 4000, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    /* our RST while the rx queue is empty: the entry is closing */
    c = guest_connect(f, 1234, 80, T_STREAM);
    c2 = guest_connect(f, 1300, 80, T_STREAM);
    resets = f->n_reset;
    assert_int_equal(avps_vsock_reset(&f->vs, c), AVPS_OK);
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 1, 0);
    tx(f, &h, "x", 1);
    assert_int_equal(f->n_data, 0);
    h = mk(f, OP(RST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    rx_post(f, 2, 256);
    rx_none(f); /* the guest's RST made ours unnecessary */
    assert_int_equal(f->n_reset, resets); /* no reset() for our own reset */
    assert_true(avps_vsock_established(&f->vs, c2));
    vf_free(f);
}
BOTH(test_5_10_6_5_rst_cases)

/* The backend failing data() resets the connection. */
static void test_vsock_backend_data_error_resets(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h = mk(f, OP(RW), 1234, 80, T_STREAM, 2, 0);

    f->data_rc = AVPS_E_IO;
    rx_post(f, 1, 256);
    tx(f, &h, "ab", 2);
    assert_int_equal(f->reset_of[c], 1);
    rx_expect(f, OP(RST), 80, 1234);
    vf_free(f);
}
BOTH(test_vsock_backend_data_error_resets)

/* ---- seqpacket ----------------------------------------------------------------- */

/* §5.10.6.6.1: EOM/EOR of guest RW packets reach the backend with the last
 * byte of the packet; host messages are split into packets with EOM (and EOR)
 * only on the last; a message may span send() calls; empty messages work. */
static void test_5_10_6_6_1_seqpacket_boundaries(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_SEQ);
    uint8_t msg[250], pl[250];
    uint32_t plen;
    vhdr h;

    for (int i = 0; i < 250; i++)
        msg[i] = (uint8_t)i;
    /* guest: a 7-byte message in two packets, then a record end */
    h = mk(f, OP(RW), 1234, 80, T_SEQ, 3, 0);
    tx(f, &h, "abc", 3);
    assert_int_equal(f->last_flags, 0);
    h = mk(f, OP(RW), 1234, 80, T_SEQ, 4, AVPS_VSOCK_EOM);
    tx(f, &h, "defg", 4);
    h = mk(f, OP(RW), 1234, 80, T_SEQ, 2, AVPS_VSOCK_EOM | AVPS_VSOCK_EOR | 0x100);
    tx(f, &h, "hi", 2);
    h = mk(f, OP(RW), 1234, 80, T_SEQ, 0, AVPS_VSOCK_EOM);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->n_ends, 3);
    assert_int_equal(f->ends[0], 7);
    assert_int_equal(f->end_flags[0], AVPS_VSOCK_EOM);
    assert_int_equal(f->ends[1], 9);
    assert_int_equal(f->end_flags[1], AVPS_VSOCK_EOM | AVPS_VSOCK_EOR);
    assert_int_equal(f->ends[2], 9); /* the empty message */
    assert_memory_equal(f->got, "abcdefghi", 9);

    /* host: 250 bytes into 100-byte buffers, EOM|EOR on the third packet */
    rx_post(f, 3, 100 + AVPS_VSOCK_HDR_LEN);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 250, AVPS_VSOCK_EOM | AVPS_VSOCK_EOR), 250);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rx_get(f, &h, pl, 250, &plen), 1);
        assert_int_equal(H16(h, type), T_SEQ);
        assert_int_equal(plen, i < 2 ? 100 : 50);
        assert_memory_equal(pl, msg + 100 * i, plen);
        assert_int_equal(H32(h, flags), i < 2 ? 0 : (AVPS_VSOCK_EOM | AVPS_VSOCK_EOR));
    }
    /* a message that does not fit: no EOM on what went out; the rest follows */
    rx_post(f, 1, 100 + AVPS_VSOCK_HDR_LEN);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 150, AVPS_VSOCK_EOM), 100);
    assert_int_equal(rx_get(f, &h, pl, 250, &plen), 1);
    assert_int_equal(H32(h, flags), 0);
    rx_post(f, 1, 100 + AVPS_VSOCK_HDR_LEN);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg + 100, 50, AVPS_VSOCK_EOM), 50);
    assert_int_equal(rx_get(f, &h, pl, 250, &plen), 1);
    assert_int_equal(H32(h, flags), AVPS_VSOCK_EOM);
    /* an empty message needs a buffer but no credit */
    assert_int_equal(avps_vsock_send(&f->vs, c, NULL, 0, AVPS_VSOCK_EOM), AVPS_E_AGAIN);
    rx_post(f, 1, 100);
    assert_int_equal(avps_vsock_send(&f->vs, c, NULL, 0, AVPS_VSOCK_EOM), 0);
    assert_int_equal(rx_get(f, &h, pl, 250, &plen), 1);
    assert_int_equal(plen, 0);
    assert_int_equal(H32(h, flags), AVPS_VSOCK_EOM);
    assert_int_equal(avps_vsock_send(&f->vs, c, msg, 1, 4), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_5_10_6_6_1_seqpacket_boundaries)

/* On a stream connection the EOM/EOR bits of RW packets mean nothing. */
static void test_vsock_stream_ignores_seq_flags(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h;

    guest_connect(f, 1234, 80, T_STREAM);
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 2, AVPS_VSOCK_EOM | AVPS_VSOCK_EOR);
    tx(f, &h, "ab", 2);
    assert_int_equal(f->last_flags, 0);
    assert_int_equal(f->n_ends, 0);
    vf_free(f);
}
BOTH(test_vsock_stream_ignores_seq_flags)

/* ---- many connections ------------------------------------------------------------ */

/* 32 connections at once, data both ways on each, kept apart. */
static void test_vsock_many_connections(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 32, VF(SEQPACKET), 0);
    uint32_t conn[32];
    vhdr h;
    uint8_t pl[8];
    uint32_t plen;

    for (uint32_t i = 0; i < 32; i++)
        conn[i] = guest_connect(f, 2000 + i, 80, T_STREAM);
    for (uint32_t i = 0; i < 32; i++) {
        uint8_t b = (uint8_t)i;

        h = mk(f, OP(RW), 2000 + i, 80, T_STREAM, 1, 0);
        tx(f, &h, &b, 1);
        assert_int_equal(f->data_conn, conn[i]);
        assert_int_equal(f->got[i], i);
    }
    rx_post(f, 32, 64);
    for (uint32_t i = 0; i < 32; i++) {
        uint8_t b = (uint8_t)(100 + i);

        assert_int_equal(avps_vsock_send(&f->vs, conn[i], &b, 1, 0), 1);
    }
    for (uint32_t i = 0; i < 32; i++) {
        assert_int_equal(rx_get(f, &h, pl, sizeof pl, &plen), 1);
        assert_int_equal(H32(h, dst_port), 2000 + i);
        assert_int_equal(pl[0], 100 + i);
    }
    vf_free(f);
}
BOTH(test_vsock_many_connections)

/* A full table refuses with RST (guest side) and NOSPC (host side). */
static void test_vsock_table_full(bool packed)
{
    struct vfix *f = vf_new_ex(packed, 3, VF(SEQPACKET), 0);
    vhdr h;

    guest_connect(f, 1000, 80, T_STREAM);
    guest_connect(f, 1001, 80, T_STREAM);
    assert_true(avps_vsock_connect(&f->vs, 6000, 7000, T_STREAM) >= 0);
    assert_int_equal(avps_vsock_connect(&f->vs, 6001, 7000, T_STREAM), AVPS_E_NOSPC);
    h = mk(f, OP(REQUEST), 1002, 80, T_STREAM, 0, 0);
    rx_post(f, 2, 256);
    rx_expect(f, OP(REQUEST), 6000, 7000);
    tx(f, &h, NULL, 0);
    rx_expect(f, OP(RST), 80, 1002);
    assert_int_equal(f->n_connect, 2);
    assert_int_equal(f->vs.stats.table_full, 1);
    vf_free(f);
}
BOTH(test_vsock_table_full)

/* ---- events and resets -------------------------------------------------------- */

/* §5.10.6.7: transport reset: every connection ends (reset() each), the CID
 * changes (config generation and notification), and the event buffer
 * receives TRANSPORT_RESET (id 0, 4 bytes) when the driver posts one. */
static void test_5_10_6_7_transport_reset_event(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c1 = guest_connect(f, 1000, 80, T_STREAM);
    uint32_t c2 = guest_connect(f, 1001, 80, T_SEQ);
    uint32_t gen = avps_dev_config_generation(f->dev);
    struct rd_done d;
    uint64_t ev_gpa;
    uint8_t cid[8];
    int id;
    vhdr h;

    assert_true(avps_vsock_connect(&f->vs, 7, 8, T_STREAM) >= 0); /* owed REQUEST */
    assert_int_equal(avps_vsock_transport_reset(&f->vs, 42), AVPS_OK);
    assert_int_equal(f->reset_of[c1], 1);
    assert_int_equal(f->reset_of[c2], 1);
    assert_int_equal(f->n_reset, 3);
    assert_int_not_equal(avps_dev_config_generation(f->dev), gen);
    assert_int_equal(f->config_notes, 1);
    assert_int_equal(avps_dev_config_read(f->dev, 0, cid, 8), AVPS_OK);
    assert_int_equal(cid[0], 42);
    rx_post(f, 1, 256);
    rx_none(f); /* the owed REQUEST went with the reset */
    /* no event buffer yet; then one */
    ev_gpa = rd_alloc(&f->q[2], 8);
    {
        struct rd_buf b = {ev_gpa, 8, true};

        id = rd_add(&f->q[2], &b, 1, 0);
    }
    memset(gptr(f, ev_gpa, 8), 0xee, 8);
    avps_dev_queue_notify(f->dev, 2);
    assert_int_equal(rd_get_used(&f->q[2], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 4);
    assert_int_equal(avps_le32_raw_to_cpu(*(uint32_t *)gptr(f, ev_gpa, 4)),
                     AVPS_VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
    assert_int_equal(f->vs.stats.events, 1);
    /* the same CID again: no config change, one more event */
    assert_int_equal(avps_vsock_transport_reset(&f->vs, 42), AVPS_OK);
    assert_int_equal(f->config_notes, 1);
    /* the guest's packets now need its new CID as source */
    h = mk(f, OP(REQUEST), 1000, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_SRC_CID], 1);
    h.src_cid = avps_to_le64(42);
    tx(f, &h, NULL, 0);
    assert_int_equal(rx_get(f, &h, NULL, 0, NULL), 1);
    assert_int_equal(H16(h, op), OP(RESPONSE));
    assert_int_equal(H64(h, dst_cid), 42);
    vf_free(f);
}
BOTH(test_5_10_6_7_transport_reset_event)

/* Event buffers the device cannot use (too small, or readable) are returned
 * with length 0 and counted; the event waits for a good one. */
static void test_vsock_bad_event_buffer(bool packed)
{
    struct vfix *f = vf_new(packed);
    struct rd_done d;
    struct rd_buf b;
    int bad1, bad2, good;

    assert_int_equal(avps_vsock_transport_reset(&f->vs, GCID), AVPS_OK);
    b.gpa = rd_alloc(&f->q[2], 16);
    b.len = 3;
    b.write = true;
    bad1 = rd_add(&f->q[2], &b, 1, 0);
    b.len = 8;
    b.write = false;
    bad2 = rd_add(&f->q[2], &b, 1, 0);
    b.write = true;
    good = rd_add(&f->q[2], &b, 1, 0);
    avps_dev_queue_notify(f->dev, 2);
    assert_int_equal(rd_get_used(&f->q[2], &d), 1);
    assert_int_equal(d.id, bad1);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&f->q[2], &d), 1);
    assert_int_equal(d.id, bad2);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&f->q[2], &d), 1);
    assert_int_equal(d.id, good);
    assert_int_equal(d.len, 4);
    assert_int_equal(f->vs.stats.bad_rx_bufs, 2);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 2);
    vf_free(f);
}
BOTH(test_vsock_bad_event_buffer)

/* rx buffers that are readable, shorter than a header or of too many pieces
 * are returned with length 0 and counted; the packet goes into the next. */
static void test_vsock_bad_rx_buffers(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 80, T_STREAM, 0, 0);
    struct rd_buf b[AVPS_VSOCK_SEGS + 1];
    struct rd_done d;
    int ids[3];

    b[0].gpa = rd_alloc(&f->q[0], 64);
    b[0].len = 64;
    b[0].write = false;
    ids[0] = rd_add(&f->q[0], b, 1, 0);
    b[0].len = AVPS_VSOCK_HDR_LEN - 1;
    b[0].write = true;
    ids[1] = rd_add(&f->q[0], b, 1, 0);
    for (unsigned int i = 0; i <= AVPS_VSOCK_SEGS; i++) {
        b[i].gpa = rd_alloc(&f->q[0], 64);
        b[i].len = 64;
        b[i].write = true;
    }
    ids[2] = rd_add(&f->q[0], b, AVPS_VSOCK_SEGS + 1, 0);
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&f->q[0], &d), 1);
        assert_int_equal(d.id, ids[i]);
        assert_int_equal(d.len, 0);
    }
    rx_expect(f, OP(RESPONSE), 80, 1234);
    assert_int_equal(f->vs.stats.bad_rx_bufs, 3);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_RX_BUF], 3);
    vf_free(f);
}
BOTH(test_vsock_bad_rx_buffers)

/* A device reset ends every connection (reset() each) and drops what was
 * owed; the host cannot connect until the driver is back. */
static void test_vsock_device_reset_drops_connections(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c1 = guest_connect(f, 1000, 80, T_STREAM);
    uint32_t c2 = guest_connect(f, 1001, 80, T_STREAM);

    assert_int_equal(avps_vsock_reset(&f->vs, c2), AVPS_OK); /* closing: no reset() */
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_int_equal(f->reset_of[c1], 1);
    assert_int_equal(f->reset_of[c2], 0);
    assert_false(avps_vsock_established(&f->vs, c1));
    assert_int_equal(avps_vsock_connect(&f->vs, 1, 2, T_STREAM), AVPS_E_STATE);
    assert_int_equal(avps_vsock_send(&f->vs, c1, "x", 1, 0), AVPS_E_INVAL);
    for (int q = 0; q < 3; q++)
        rd_fini(&f->q[q]);
    memset(f->q, 0, sizeof f->q);
    vf_drv_up(f, VF(SEQPACKET), true);
    guest_connect(f, 1000, 80, T_STREAM);
    vf_free(f);
}
BOTH(test_vsock_device_reset_drops_connections)

/* §5.10.6.1.2: tx is processed while the rx queue is full, as long as replies
 * can be held outside it: data flows, control replies wait per connection, and
 * RSTs for packets of no connection fill the bounded reply queue; then tx
 * stops (packets stay in the ring) until rx buffers come back, and resumes. */
static void test_5_10_6_1_2_tx_processed_while_rx_full(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    vhdr h;
    int n;

    (void)c;
    for (int i = 0; i < 3; i++) {
        h = mk(f, OP(RW), 1234, 80, T_STREAM, 2, 0);
        tx(f, &h, "ok", 2);
    }
    assert_int_equal(f->got_len, 6);
    h = mk(f, OP(CREDIT_REQUEST), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    for (uint32_t i = 0; i < AVPS_VSOCK_RST_QUEUE + 4; i++) {
        h = mk(f, OP(RW), 3000 + i, 9, T_STREAM, 1, 0);
        assert_true(tx_put(f, &h, sizeof h, "x", 1, 0) >= 0);
    }
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(tx_drain(f), AVPS_VSOCK_RST_QUEUE);
    assert_int_equal(rd_outstanding(&f->q[1]), 4);
    /* rx buffers come back: the RSTs go out in order, then the tx rest */
    rx_post(f, 30, 256);
    assert_int_equal(tx_drain(f), 4);
    for (uint32_t i = 0; i < AVPS_VSOCK_RST_QUEUE + 4; i++) {
        if (i == AVPS_VSOCK_RST_QUEUE)
            rx_expect(f, OP(CREDIT_UPDATE), 80, 1234);
        rx_expect(f, OP(RST), 9, 3000 + i);
    }
    rx_none(f);
    n = (int)f->vs.stats.rst_replies;
    assert_int_equal(n, AVPS_VSOCK_RST_QUEUE + 4);
    vf_free(f);
}
BOTH(test_5_10_6_1_2_tx_processed_while_rx_full)

/* ---- mangle: one header field at a time on a valid RW packet ----------------- */

enum outcome { DROP, RST_REPLY, CONN_RESET };

struct mangle {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t plen;   /* payload bytes actually present */
    uint32_t hlen;   /* header bytes present */
    uint32_t wr;     /* device-writable bytes appended */
};

static void mangle_run(bool packed, void (*mut)(struct mangle *m), enum outcome o,
                       enum avps_vsock_bad why, uint64_t rst_src_cid, uint32_t rst_src_port)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    struct mangle m = {GCID, 2, 1234, 80, 4, T_STREAM, OP(RW), 4, AVPS_VSOCK_HDR_LEN, 0};
    static uint8_t pl[AVPS_VSOCK_MAX_PAYLOAD + 1];
    vhdr h, r;

    mut(&m);
    h = mk(f, m.op, m.src_port, m.dst_port, m.type, m.len, 0);
    h.src_cid = avps_to_le64(m.src_cid);
    h.dst_cid = avps_to_le64(m.dst_cid);
    rx_post(f, 2, 256);
    assert_true(tx_put(f, &h, m.hlen, pl, m.plen, m.wr) >= 0);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(tx_drain(f), 1);
    assert_int_equal(f->n_data, 0);
    assert_int_equal(f->vs.stats.bad[why], 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    switch (o) {
    case DROP:
        rx_none(f);
        assert_int_equal(f->vs.stats.dropped, 1);
        assert_true(avps_vsock_established(&f->vs, c));
        assert_int_equal(f->n_reset, 0);
        break;
    case RST_REPLY:
        assert_int_equal(rx_get(f, &r, NULL, 0, NULL), 1);
        assert_int_equal(H16(r, op), OP(RST));
        assert_int_equal(H64(r, src_cid), rst_src_cid);
        assert_int_equal(H64(r, dst_cid), GCID);
        assert_int_equal(H32(r, src_port), rst_src_port);
        assert_int_equal(H32(r, dst_port), m.src_port);
        rx_none(f);
        assert_true(avps_vsock_established(&f->vs, c));
        assert_int_equal(f->n_reset, 0);
        break;
    case CONN_RESET:
        rx_expect(f, OP(RST), 80, 1234);
        rx_none(f);
        assert_false(avps_vsock_established(&f->vs, c));
        assert_int_equal(f->reset_of[c], 1);
        break;
    }
    vf_free(f);
}

#define MANGLE(name, body, o, why, cid, port)                                          \
    static void mut_##name(struct mangle *m) { body; }                                 \
    static void test_vsock_mangle_##name(bool packed)                                  \
    {                                                                                  \
        mangle_run(packed, mut_##name, o, why, cid, port);                             \
    }

MANGLE(short_header, m->hlen = AVPS_VSOCK_HDR_LEN - 1; m->plen = 0, DROP, AVPS_VSOCK_BAD_SHORT, 0, 0)
BOTH(test_vsock_mangle_short_header)
MANGLE(writable_part, m->wr = 16, DROP, AVPS_VSOCK_BAD_SHORT, 0, 0)
BOTH(test_vsock_mangle_writable_part)
MANGLE(src_cid, m->src_cid = GCID + 1, DROP, AVPS_VSOCK_BAD_SRC_CID, 0, 0)
BOTH(test_vsock_mangle_src_cid)
MANGLE(src_cid_upper, m->src_cid = GCID | (1ull << 32), DROP, AVPS_VSOCK_BAD_SRC_CID, 0, 0)
BOTH(test_vsock_mangle_src_cid_upper)
MANGLE(dst_cid, m->dst_cid = 5, RST_REPLY, AVPS_VSOCK_BAD_DST_CID, 5, 80)
BOTH(test_vsock_mangle_dst_cid)
MANGLE(dst_cid_upper, m->dst_cid = 2 | (1ull << 32), DROP, AVPS_VSOCK_BAD_DST_CID, 0, 0)
BOTH(test_vsock_mangle_dst_cid_upper)
MANGLE(src_port, m->src_port = 1235, RST_REPLY, AVPS_VSOCK_BAD_NO_CONN, 2, 80)
BOTH(test_vsock_mangle_src_port)
MANGLE(dst_port, m->dst_port = 81, RST_REPLY, AVPS_VSOCK_BAD_NO_CONN, 2, 81)
BOTH(test_vsock_mangle_dst_port)
MANGLE(len_past_buffer, m->len = 5, CONN_RESET, AVPS_VSOCK_BAD_LEN, 0, 0)
BOTH(test_vsock_mangle_len_past_buffer)
MANGLE(len_huge, m->len = 0xffffffffu, CONN_RESET, AVPS_VSOCK_BAD_LEN, 0, 0)
BOTH(test_vsock_mangle_len_huge)
MANGLE(len_over_max, m->len = m->plen = AVPS_VSOCK_MAX_PAYLOAD + 1, CONN_RESET, AVPS_VSOCK_BAD_LEN, 0, 0)
BOTH(test_vsock_mangle_len_over_max)
MANGLE(control_with_payload, m->op = OP(CREDIT_UPDATE), CONN_RESET, AVPS_VSOCK_BAD_LEN, 0, 0)
BOTH(test_vsock_mangle_control_with_payload)
MANGLE(op_invalid, m->op = OP(INVALID), CONN_RESET, AVPS_VSOCK_BAD_OP, 0, 0)
BOTH(test_vsock_mangle_op_invalid)
MANGLE(op_unknown, m->op = 8, CONN_RESET, AVPS_VSOCK_BAD_OP, 0, 0)
BOTH(test_vsock_mangle_op_unknown)
MANGLE(op_max, m->op = 0xffff, CONN_RESET, AVPS_VSOCK_BAD_OP, 0, 0)
BOTH(test_vsock_mangle_op_max)
MANGLE(type_zero, m->type = 0, CONN_RESET, AVPS_VSOCK_BAD_TYPE, 0, 0)
BOTH(test_vsock_mangle_type_zero)
MANGLE(type_unknown, m->type = 3, CONN_RESET, AVPS_VSOCK_BAD_TYPE, 0, 0)
BOTH(test_vsock_mangle_type_unknown)
MANGLE(type_other, m->type = T_SEQ, CONN_RESET, AVPS_VSOCK_BAD_STATE, 0, 0)
BOTH(test_vsock_mangle_type_other)
MANGLE(op_request, m->op = OP(REQUEST); m->len = m->plen = 0, CONN_RESET, AVPS_VSOCK_BAD_STATE, 0, 0)
BOTH(test_vsock_mangle_op_request)
MANGLE(op_response, m->op = OP(RESPONSE); m->len = m->plen = 0, CONN_RESET, AVPS_VSOCK_BAD_STATE, 0, 0)
BOTH(test_vsock_mangle_op_response)

/* §5.10.6.4.2: a packet of unknown type for no connection gets an RST reply
 * (no connection exists to reset). */
static void test_5_10_6_4_2_unknown_type_rst(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 80, 9, 0, 0);
    vhdr r;

    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    r = rx_expect(f, OP(RST), 80, 1234);
    assert_int_equal(H16(r, type), 9);
    assert_int_equal(f->n_connect, 0);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_TYPE], 1);
    vf_free(f);
}
BOTH(test_5_10_6_4_2_unknown_type_rst)

/* §5.10.6.4.1 (driver): packets that do not carry guest_cid as source are
 * dropped, whatever they are (even a REQUEST). */
static void test_5_10_6_4_1_wrong_source_cid_dropped(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 80, T_STREAM, 0, 0);

    h.src_cid = avps_to_le64(GCID + 1);
    rx_post(f, 1, 256);
    tx(f, &h, NULL, 0);
    rx_none(f);
    assert_int_equal(f->n_connect, 0);
    assert_int_equal(f->vs.stats.dropped, 1);
    vf_free(f);
}
BOTH(test_5_10_6_4_1_wrong_source_cid_dropped)

/* A tx chain of more pieces than the device keeps is dropped. */
static void test_vsock_tx_too_many_pieces(bool packed)
{
    struct vfix *f = vf_new(packed);
    struct rd_buf b[AVPS_VSOCK_SEGS + 1];

    for (unsigned int i = 0; i <= AVPS_VSOCK_SEGS; i++) {
        b[i].gpa = rd_alloc(&f->q[1], 44);
        b[i].len = 44;
        b[i].write = false;
    }
    assert_true(rd_add(&f->q[1], b, AVPS_VSOCK_SEGS + 1, 0) >= 0);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(tx_drain(f), 1);
    assert_int_equal(f->vs.stats.dropped, 1);
    assert_int_equal(f->vs.stats.bad[AVPS_VSOCK_BAD_SHORT], 1);
    vf_free(f);
}
BOTH(test_vsock_tx_too_many_pieces)

/* A bulk transfer both ways (1 MiB) through 4 KiB rx buffers and the credit
 * window, checking every byte. */
static void test_vsock_bulk_both_ways(bool packed)
{
    struct vfix *f = vf_new(packed);
    uint32_t c = guest_connect(f, 1234, 80, T_STREAM);
    static uint8_t src[GOT_MAX], dst[GOT_MAX], pl[4096];
    uint32_t off = 0, got = 0, plen, guard = 0;
    vhdr h;

    for (uint32_t i = 0; i < GOT_MAX; i++)
        src[i] = (uint8_t)(i * 2654435761u >> 24);
    /* guest -> host, the backend consuming as it goes */
    while (off < GOT_MAX) {
        uint32_t n = GOT_MAX - off;

        if (n > 1000)
            n = 1000;
        h = mk(f, OP(RW), 1234, 80, T_STREAM, n, 0);
        tx(f, &h, src + off, n);
        off += n;
        assert_int_equal(avps_vsock_consumed(&f->vs, c, n), AVPS_OK);
        while (rx_get(f, &h, NULL, 0, NULL) == 1)
            assert_int_equal(H16(h, op), OP(CREDIT_UPDATE));
        if (rd_outstanding(&f->q[0]) < 4)
            rx_post(f, 1, 256);
    }
    assert_memory_equal(f->got, src, GOT_MAX);
    /* host -> guest with a 16 KiB guest window */
    f->guest_buf_alloc = 16384;
    h = mk(f, OP(CREDIT_UPDATE), 1234, 80, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    while (rx_get(f, &h, NULL, 0, NULL) == 1)
        ;
    off = 0;
    while (got < GOT_MAX && guard++ < 100000) {
        int r;

        if (rd_outstanding(&f->q[0]) < 4)
            rx_post(f, 2, 4096);
        r = avps_vsock_send(&f->vs, c, src + off, GOT_MAX - off, 0);
        assert_true(r >= 0);
        off += (uint32_t)r;
        while (rx_get(f, &h, pl, sizeof pl, &plen) == 1) {
            assert_int_equal(H16(h, op), OP(RW));
            memcpy(dst + got, pl, plen);
            got += plen;
            f->guest_fwd += plen;
        }
        h = mk(f, OP(CREDIT_UPDATE), 1234, 80, T_STREAM, 0, 0);
        tx(f, &h, NULL, 0);
    }
    assert_int_equal(got, GOT_MAX);
    assert_memory_equal(dst, src, GOT_MAX);
    vf_free(f);
}
BOTH(test_vsock_bulk_both_ways)

/* Host data waits for a RESPONSE still owed (no rx buffer yet): send() takes
 * nothing (an empty message: AVPS_E_AGAIN), and the backend hears writable()
 * once rx buffers came and the RESPONSE went out first. Also: a RESPONSE
 * before our REQUEST went out is a protocol error; handles out of range. */
static void test_vsock_send_waits_for_response(bool packed)
{
    struct vfix *f = vf_new(packed);
    vhdr h = mk(f, OP(REQUEST), 1234, 80, T_SEQ, 0, 0);
    uint32_t c;
    int hc;

    tx(f, &h, NULL, 0); /* no rx buffer: RESPONSE owed */
    c = f->last_conn;
    assert_true(avps_vsock_established(&f->vs, c));
    assert_int_equal(avps_vsock_send(&f->vs, c, "abc", 3, 0), 0);
    assert_int_equal(avps_vsock_send(&f->vs, c, NULL, 0, AVPS_VSOCK_EOM), AVPS_E_AGAIN);
    rx_post(f, 2, 256);
    assert_int_equal(f->writable_of[c], 1);
    rx_expect(f, OP(RESPONSE), 80, 1234);
    assert_int_equal(avps_vsock_send(&f->vs, c, "abc", 3, AVPS_VSOCK_EOM), 3);
    h = rx_expect(f, OP(RW), 80, 1234);
    assert_int_equal(H32(h, flags), AVPS_VSOCK_EOM);
    /* RESPONSE to a REQUEST not sent yet */
    hc = avps_vsock_connect(&f->vs, 90, 91, T_STREAM);
    assert_true(hc >= 0);
    h = mk(f, OP(RESPONSE), 91, 90, T_STREAM, 0, 0);
    tx(f, &h, NULL, 0);
    assert_int_equal(f->reset_of[hc], 1);
    assert_int_equal(f->n_accept, 0);
    /* out-of-range and free handles */
    assert_false(avps_vsock_established(&f->vs, NCONN_MAX));
    assert_int_equal(avps_vsock_credit(&f->vs, NCONN_MAX), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_credit(&f->vs, 7), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_shutdown(&f->vs, 7, 1), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_consumed(&f->vs, 7, 0), AVPS_E_INVAL);
    assert_int_equal(avps_vsock_send(&f->vs, c, "x", 1, 8), AVPS_E_INVAL);
    vf_free(f);
}
BOTH(test_vsock_send_waits_for_response)

/* A tiny host buffer (buf_alloc 2): the CREDIT_UPDATE threshold is one byte. */
static void test_vsock_tiny_buf_alloc(void **s)
{
    struct vfix *f = vf_alloc(false);
    struct avps_vsock_cfg cfg;
    vhdr h;
    uint32_t c;

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.guest_cid = GCID;
    cfg.backend = &f->be;
    cfg.conns = f->conns;
    cfg.num_conns = 2;
    cfg.buf_alloc = 2;
    for (int q = 0; q < 3; q++)
        cfg.slots[q] = f->slots[q];
    cfg.num_slots = QSZ;
    cfg.queue_size_max = QSZ;
    assert_int_equal(avps_vsock_init(&f->vs, &f->g.host, &cfg), AVPS_OK);
    f->dev = avps_vsock_dev(&f->vs);
    assert_int_equal(avps_dev_bind(f->dev, &ft_ops, f, 0), AVPS_OK);
    vf_drv_up(f, 0, true);
    c = guest_connect(f, 1234, 80, T_STREAM);
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 2, 0);
    tx(f, &h, "ab", 2);
    rx_post(f, 1, 256);
    assert_int_equal(avps_vsock_consumed(&f->vs, c, 1), AVPS_OK);
    h = rx_expect(f, OP(CREDIT_UPDATE), 80, 1234);
    assert_int_equal(H32(h, buf_alloc), 2);
    assert_int_equal(H32(h, fwd_cnt), 1);
    vf_free(f);
}

/* Edges: an RST to a wrong dst_cid is not answered; a payload buffer longer
 * than len delivers len bytes (§5.10.6: only the first len bytes are data);
 * host packets are capped at 64 KiB even with larger buffers and credit. */
static void test_vsock_edges(bool packed)
{
    struct vfix *f = vf_new(packed);
    static uint8_t big[70000], pl[65536];
    const struct avps_vsock_stats *st = avps_vsock_stats(&f->vs);
    uint32_t c, plen;
    vhdr h;

    f->guest_buf_alloc = 200000;
    c = guest_connect(f, 1234, 80, T_STREAM);
    h = mk(f, OP(RST), 1234, 80, T_STREAM, 0, 0);
    h.dst_cid = avps_to_le64(5);
    rx_post(f, 1, AVPS_VSOCK_HDR_LEN + 70000);
    tx(f, &h, NULL, 0);
    assert_int_equal(st->bad[AVPS_VSOCK_BAD_DST_CID], 1);
    assert_int_equal(st->rst_replies, 0);
    assert_true(avps_vsock_established(&f->vs, c));
    h = mk(f, OP(RW), 1234, 80, T_STREAM, 3, 0);
    tx(f, &h, "abcde", 5);
    assert_int_equal(f->got_len, 3);
    assert_memory_equal(f->got, "abc", 3);
    assert_int_equal(avps_vsock_send(&f->vs, c, big, sizeof big, 0), AVPS_VSOCK_MAX_PAYLOAD);
    assert_int_equal(rx_get(f, &h, pl, sizeof pl, &plen), 1);
    assert_int_equal(plen, AVPS_VSOCK_MAX_PAYLOAD);
    assert_int_equal(st->rx_bytes, AVPS_VSOCK_MAX_PAYLOAD);
    vf_free(f);
}
BOTH(test_vsock_edges)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_10_4_config_guest_cid_split),
        cmocka_unit_test(test_5_10_4_config_guest_cid_packed),
        cmocka_unit_test(test_5_10_6_4_2_reserved_cid_refused),
        cmocka_unit_test(test_vsock_init_refuses_bad_cfg),
        cmocka_unit_test(test_5_10_3_2_offers_no_implied_stream),
        cmocka_unit_test(test_5_10_3_2_no_feature_means_stream_split),
        cmocka_unit_test(test_5_10_3_2_no_feature_means_stream_packed),
        cmocka_unit_test(test_5_10_3_2_implied_stream_split),
        cmocka_unit_test(test_5_10_3_2_implied_stream_packed),
        cmocka_unit_test(test_5_10_6_5_guest_connects_split),
        cmocka_unit_test(test_5_10_6_5_guest_connects_packed),
        cmocka_unit_test(test_5_10_6_5_guest_connect_refused_split),
        cmocka_unit_test(test_5_10_6_5_guest_connect_refused_packed),
        cmocka_unit_test(test_5_10_6_5_host_connects_split),
        cmocka_unit_test(test_5_10_6_5_host_connects_packed),
        cmocka_unit_test(test_vsock_host_connect_bad_answer_split),
        cmocka_unit_test(test_vsock_host_connect_bad_answer_packed),
        cmocka_unit_test(test_5_10_6_4_guest_data_split),
        cmocka_unit_test(test_5_10_6_4_guest_data_packed),
        cmocka_unit_test(test_5_10_6_4_host_data_split),
        cmocka_unit_test(test_5_10_6_4_host_data_packed),
        cmocka_unit_test(test_5_10_6_3_2_send_respects_credit_split),
        cmocka_unit_test(test_5_10_6_3_2_send_respects_credit_packed),
        cmocka_unit_test(test_5_10_6_3_2_every_packet_carries_credit_split),
        cmocka_unit_test(test_5_10_6_3_2_every_packet_carries_credit_packed),
        cmocka_unit_test(test_5_10_6_3_credit_request_split),
        cmocka_unit_test(test_5_10_6_3_credit_request_packed),
        cmocka_unit_test(test_5_10_6_3_credit_update_after_consume_split),
        cmocka_unit_test(test_5_10_6_3_credit_update_after_consume_packed),
        cmocka_unit_test(test_5_10_6_3_1_guest_exceeds_credit_split),
        cmocka_unit_test(test_5_10_6_3_1_guest_exceeds_credit_packed),
        cmocka_unit_test(test_5_10_6_5_guest_shutdown_split),
        cmocka_unit_test(test_5_10_6_5_guest_shutdown_packed),
        cmocka_unit_test(test_5_10_6_5_clean_disconnect_guest_first_split),
        cmocka_unit_test(test_5_10_6_5_clean_disconnect_guest_first_packed),
        cmocka_unit_test(test_5_10_6_5_clean_disconnect_host_first_split),
        cmocka_unit_test(test_5_10_6_5_clean_disconnect_host_first_packed),
        cmocka_unit_test(test_5_10_6_5_rst_cases_split),
        cmocka_unit_test(test_5_10_6_5_rst_cases_packed),
        cmocka_unit_test(test_vsock_backend_data_error_resets_split),
        cmocka_unit_test(test_vsock_backend_data_error_resets_packed),
        cmocka_unit_test(test_5_10_6_6_1_seqpacket_boundaries_split),
        cmocka_unit_test(test_5_10_6_6_1_seqpacket_boundaries_packed),
        cmocka_unit_test(test_vsock_stream_ignores_seq_flags_split),
        cmocka_unit_test(test_vsock_stream_ignores_seq_flags_packed),
        cmocka_unit_test(test_vsock_many_connections_split),
        cmocka_unit_test(test_vsock_many_connections_packed),
        cmocka_unit_test(test_vsock_table_full_split),
        cmocka_unit_test(test_vsock_table_full_packed),
        cmocka_unit_test(test_5_10_6_7_transport_reset_event_split),
        cmocka_unit_test(test_5_10_6_7_transport_reset_event_packed),
        cmocka_unit_test(test_vsock_bad_event_buffer_split),
        cmocka_unit_test(test_vsock_bad_event_buffer_packed),
        cmocka_unit_test(test_vsock_bad_rx_buffers_split),
        cmocka_unit_test(test_vsock_bad_rx_buffers_packed),
        cmocka_unit_test(test_vsock_device_reset_drops_connections_split),
        cmocka_unit_test(test_vsock_device_reset_drops_connections_packed),
        cmocka_unit_test(test_5_10_6_1_2_tx_processed_while_rx_full_split),
        cmocka_unit_test(test_5_10_6_1_2_tx_processed_while_rx_full_packed),
        cmocka_unit_test(test_vsock_mangle_short_header_split),
        cmocka_unit_test(test_vsock_mangle_short_header_packed),
        cmocka_unit_test(test_vsock_mangle_writable_part_split),
        cmocka_unit_test(test_vsock_mangle_writable_part_packed),
        cmocka_unit_test(test_vsock_mangle_src_cid_split),
        cmocka_unit_test(test_vsock_mangle_src_cid_packed),
        cmocka_unit_test(test_vsock_mangle_src_cid_upper_split),
        cmocka_unit_test(test_vsock_mangle_src_cid_upper_packed),
        cmocka_unit_test(test_vsock_mangle_dst_cid_split),
        cmocka_unit_test(test_vsock_mangle_dst_cid_packed),
        cmocka_unit_test(test_vsock_mangle_dst_cid_upper_split),
        cmocka_unit_test(test_vsock_mangle_dst_cid_upper_packed),
        cmocka_unit_test(test_vsock_mangle_src_port_split),
        cmocka_unit_test(test_vsock_mangle_src_port_packed),
        cmocka_unit_test(test_vsock_mangle_dst_port_split),
        cmocka_unit_test(test_vsock_mangle_dst_port_packed),
        cmocka_unit_test(test_vsock_mangle_len_past_buffer_split),
        cmocka_unit_test(test_vsock_mangle_len_past_buffer_packed),
        cmocka_unit_test(test_vsock_mangle_len_huge_split),
        cmocka_unit_test(test_vsock_mangle_len_huge_packed),
        cmocka_unit_test(test_vsock_mangle_len_over_max_split),
        cmocka_unit_test(test_vsock_mangle_len_over_max_packed),
        cmocka_unit_test(test_vsock_mangle_control_with_payload_split),
        cmocka_unit_test(test_vsock_mangle_control_with_payload_packed),
        cmocka_unit_test(test_vsock_mangle_op_invalid_split),
        cmocka_unit_test(test_vsock_mangle_op_invalid_packed),
        cmocka_unit_test(test_vsock_mangle_op_unknown_split),
        cmocka_unit_test(test_vsock_mangle_op_unknown_packed),
        cmocka_unit_test(test_vsock_mangle_op_max_split),
        cmocka_unit_test(test_vsock_mangle_op_max_packed),
        cmocka_unit_test(test_vsock_mangle_type_zero_split),
        cmocka_unit_test(test_vsock_mangle_type_zero_packed),
        cmocka_unit_test(test_vsock_mangle_type_unknown_split),
        cmocka_unit_test(test_vsock_mangle_type_unknown_packed),
        cmocka_unit_test(test_vsock_mangle_type_other_split),
        cmocka_unit_test(test_vsock_mangle_type_other_packed),
        cmocka_unit_test(test_vsock_mangle_op_request_split),
        cmocka_unit_test(test_vsock_mangle_op_request_packed),
        cmocka_unit_test(test_vsock_mangle_op_response_split),
        cmocka_unit_test(test_vsock_mangle_op_response_packed),
        cmocka_unit_test(test_5_10_6_4_2_unknown_type_rst_split),
        cmocka_unit_test(test_5_10_6_4_2_unknown_type_rst_packed),
        cmocka_unit_test(test_5_10_6_4_1_wrong_source_cid_dropped_split),
        cmocka_unit_test(test_5_10_6_4_1_wrong_source_cid_dropped_packed),
        cmocka_unit_test(test_vsock_tx_too_many_pieces_split),
        cmocka_unit_test(test_vsock_tx_too_many_pieces_packed),
        cmocka_unit_test(test_vsock_bulk_both_ways_split),
        cmocka_unit_test(test_vsock_bulk_both_ways_packed),
        cmocka_unit_test(test_vsock_send_waits_for_response_split),
        cmocka_unit_test(test_vsock_send_waits_for_response_packed),
        cmocka_unit_test(test_vsock_tiny_buf_alloc),
        cmocka_unit_test(test_vsock_edges_split),
        cmocka_unit_test(test_vsock_edges_packed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

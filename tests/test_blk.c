/*
 * test_blk: virtio-blk (VIRTIO 1.2 §5.2) through the device core and a fake
 * transport, with the ringdrv test driver building split and packed rings and
 * a recording RAM-disk backend that completes requests when the test says so
 * (out of order, late, after resets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/blk.h>

#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK

#define B(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_##n)
#define T_IN AVPS_VIRTIO_BLK_T_IN
#define T_OUT AVPS_VIRTIO_BLK_T_OUT
#define T_FLUSH AVPS_VIRTIO_BLK_T_FLUSH
#define T_ID AVPS_VIRTIO_BLK_T_GET_ID
#define T_LT AVPS_VIRTIO_BLK_T_GET_LIFETIME
#define T_DISCARD AVPS_VIRTIO_BLK_T_DISCARD
#define T_WZ AVPS_VIRTIO_BLK_T_WRITE_ZEROES
#define T_ERASE AVPS_VIRTIO_BLK_T_SECURE_ERASE
#define ST_OK AVPS_VIRTIO_BLK_S_OK
#define ST_IOERR AVPS_VIRTIO_BLK_S_IOERR
#define ST_UNSUPP AVPS_VIRTIO_BLK_S_UNSUPP

#define ALEN(a) (sizeof(a) / sizeof((a)[0]))
#define CAP 64u     /* sectors */
#define NQ_MAX 2u
#define PENDING_MAX 512u
#define SEG_MAX 4u
#define SIZE_MAX_B 4096u

/* ---- fake transport -------------------------------------------------------- */

struct fake_transport {
    int queue_notes;
    int config_notes;
};

static int ft_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    (void)dev;
    (void)q;
    ((struct fake_transport *)t)->queue_notes++;
    return 0;
}

static int ft_config(void *t, struct avps_dev *dev)
{
    (void)dev;
    ((struct fake_transport *)t)->config_notes++;
    return 0;
}

static const struct avps_transport_ops ft_ops = {ft_queue, ft_config};

/* ---- fixture ---------------------------------------------------------------- */

struct bfix {
    struct avps_posix_guest g;
    struct rd_queue rq[NQ_MAX];
    struct avps_blk blk;
    struct avps_vq_slot *slots;
    struct avps_blk_io *ios;
    struct avps_blk_backend be;
    struct fake_transport ft;
    struct avps_dev *dev;
    uint16_t nq;
    uint16_t qsize;
    bool packed;
    /* backend */
    struct avps_blk_io *pending[PENDING_MAX];
    unsigned int npending;
    unsigned int submits;
    int submit_rc;     /* returned by submit (AVPS_OK: recorded) */
    unsigned int forgets;
    uint16_t forget_q;
    bool forget_drains; /* complete every pending request inside forget */
    bool sync;         /* complete inside submit */
    struct avps_blk_io last; /* copy of the last submitted request's public part */
    uint8_t disk[CAP * 512u];
};

static void be_exec(struct bfix *f, struct avps_blk_io *io)
{
    uint64_t off = io->sector * 512u;

    switch (io->type) {
    case T_IN:
        for (unsigned int i = 0; i < io->n_iov; i++) {
            memcpy(io->iov[i].base, &f->disk[off], io->iov[i].len);
            off += io->iov[i].len;
        }
        break;
    case T_OUT:
        for (unsigned int i = 0; i < io->n_iov; i++) {
            memcpy(&f->disk[off], io->iov[i].base, io->iov[i].len);
            off += io->iov[i].len;
        }
        break;
    case T_WZ:
    case T_ERASE:
    case T_DISCARD:
        for (unsigned int i = 0; i < io->n_range; i++)
            memset(&f->disk[io->range[i].sector * 512u], 0, io->range[i].num_sectors * 512u);
        break;
    default:
        break;
    }
}

static int be_submit(void *ctx, struct avps_blk_io *io)
{
    struct bfix *f = ctx;

    f->submits++;
    memcpy(&f->last, io, offsetof(struct avps_blk_io, user));
    if (f->submit_rc != AVPS_OK)
        return f->submit_rc;
    if (f->sync) {
        be_exec(f, io);
        assert_int_equal(avps_blk_complete(&f->blk, io, ST_OK), AVPS_OK);
        return AVPS_OK;
    }
    assert_true(f->npending < PENDING_MAX);
    f->pending[f->npending++] = io;
    return AVPS_OK;
}

/* Run and complete pending request i (0 = oldest). */
static int be_complete_at(struct bfix *f, unsigned int i, uint8_t st)
{
    struct avps_blk_io *io;

    assert_true(i < f->npending);
    io = f->pending[i];
    memmove(&f->pending[i], &f->pending[i + 1], (f->npending - i - 1) * sizeof f->pending[0]);
    f->npending--;
    if (st == ST_OK)
        be_exec(f, io);
    return avps_blk_complete(&f->blk, io, st);
}

static void be_complete_all(struct bfix *f)
{
    while (f->npending > 0)
        assert_int_equal(be_complete_at(f, 0, ST_OK), AVPS_OK);
}

static void be_forget(void *ctx, uint16_t q)
{
    struct bfix *f = ctx;

    f->forgets++;
    f->forget_q = q;
    while (f->forget_drains && f->npending > 0)
        assert_int_equal(be_complete_at(f, 0, ST_OK), AVPS_E_STATE);
}

static struct avps_blk_cfg bf_cfg(struct bfix *f)
{
    struct avps_blk_cfg c;

    memset(&c, 0, sizeof c);
    c.common.dev_id = 4;
    c.backend = &f->be;
    c.features = B(SIZE_MAX) | B(SEG_MAX) | B(GEOMETRY) | B(BLK_SIZE) | B(FLUSH) | B(TOPOLOGY) |
                 B(CONFIG_WCE) | B(DISCARD) | B(WRITE_ZEROES) | B(LIFETIME) | B(SECURE_ERASE);
    c.capacity = CAP;
    c.size_max = SIZE_MAX_B;
    c.seg_max = SEG_MAX;
    c.cylinders = 0x1234;
    c.heads = 16;
    c.sectors = 63;
    c.blk_size = 4096;
    c.physical_block_exp = 3;
    c.alignment_offset = 1;
    c.min_io_size = 8;
    c.opt_io_size = 256;
    c.writeback = 1;
    c.max_discard_sectors = 32;
    c.max_discard_seg = 2;
    c.discard_sector_alignment = 8;
    c.max_write_zeroes_sectors = 16;
    c.max_write_zeroes_seg = 3;
    c.write_zeroes_may_unmap = 1;
    c.max_secure_erase_sectors = 24;
    c.max_secure_erase_seg = 1;
    c.secure_erase_sector_alignment = 4;
    memcpy(c.id, "avps-serial-0123", 16);
    c.num_queues = 1;
    c.queue_size_max = f->qsize;
    c.vq_slots = f->slots;
    c.vq_slots_per_queue = f->qsize;
    c.ios = f->ios;
    c.ios_per_queue = f->qsize;
    return c;
}

static struct bfix *bf_alloc(bool packed, uint16_t qsize)
{
    struct bfix *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->packed = packed;
    f->qsize = qsize;
    f->slots = calloc((size_t)NQ_MAX * qsize, sizeof *f->slots);
    f->ios = calloc((size_t)NQ_MAX * qsize, sizeof *f->ios);
    assert_non_null(f->slots);
    assert_non_null(f->ios);
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, VQFIX_MEM), 0);
    f->be.submit = be_submit;
    f->be.ctx = f;
    f->be.forget = be_forget;
    for (unsigned int i = 0; i < sizeof f->disk; i++)
        f->disk[i] = (uint8_t)(i * 7u + 3u);
    return f;
}

/* Init the device with cfg; bind; the driver accepts blk features
 * `accept` (of those offered) and runs §3.1.1 for every queue. */
static void bf_start(struct bfix *f, const struct avps_blk_cfg *cfg, uint64_t accept)
{
    uint64_t want;

    f->nq = cfg->num_queues;
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, cfg), AVPS_OK);
    f->dev = avps_blk_dev(&f->blk);
    assert_int_equal(avps_dev_bind(f->dev, &ft_ops, &f->ft,
                                   AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET)),
                     AVPS_OK);
    want = (avps_dev_offered_features(f->dev) & accept & AVPS_BLK_FEATURES) |
           AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
           (f->packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0u);
    for (uint16_t q = 0; q < f->nq; q++) {
        const uint64_t heap = VQFIX_HEAP_GPA + (uint64_t)q * (4u << 20);

        assert_int_equal(rd_init(&f->rq[q], &f->g, f->packed, f->qsize, want,
                                 VQFIX_RING_GPA + (uint64_t)q * 0x40000u, heap, 4u << 20),
                         0);
    }
    assert_int_equal(avps_dev_set_status(f->dev, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(f->dev, 0, (uint32_t)want), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(f->dev, 1, (uint32_t)(want >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(f->dev, S_ACK | S_DRV | S_FOK), AVPS_OK);
    for (uint16_t q = 0; q < f->nq; q++) {
        assert_int_equal(avps_dev_queue_set_size(f->dev, q, f->qsize), AVPS_OK);
        avps_dev_queue_set_addr(f->dev, q, AVPS_DEV_AREA_DESC, f->rq[q].desc);
        avps_dev_queue_set_addr(f->dev, q, AVPS_DEV_AREA_DRIVER, f->rq[q].driver);
        avps_dev_queue_set_addr(f->dev, q, AVPS_DEV_AREA_DEVICE, f->rq[q].device);
        assert_int_equal(avps_dev_queue_enable(f->dev, q), AVPS_OK);
    }
    assert_int_equal(avps_dev_set_status(f->dev, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
}

static struct bfix *bf_new(bool packed)
{
    struct bfix *f = bf_alloc(packed, 16);
    struct avps_blk_cfg c = bf_cfg(f);

    bf_start(f, &c, ~0ull);
    return f;
}

static void bf_free(struct bfix *f)
{
    for (uint16_t q = 0; q < f->nq; q++)
        rd_fini(&f->rq[q]);
    avps_posix_fini(&f->g);
    free(f->slots);
    free(f->ios);
    free(f);
}

/* ---- requests -------------------------------------------------------------- */

struct rq {
    int id;
    uint64_t rd_gpa, wr_gpa;
    uint32_t wr_len;
};

/* Make one request available on queue q: rd_len readable bytes (copied from
 * rd) cut into descriptors at rd_cuts, then wr_len writable bytes (filled with
 * 0xee) cut at wr_cuts. */
static struct rq bq_add(struct bfix *f, uint16_t q, const void *rd, uint32_t rd_len,
                        const uint32_t *rd_cuts, unsigned int nrc, uint32_t wr_len,
                        const uint32_t *wr_cuts, unsigned int nwc)
{
    struct rd_buf b[AVPS_BLK_CHAIN_SEGS + 8];
    unsigned int n = 0;
    uint32_t at = 0;
    struct rq r;

    memset(&r, 0, sizeof r);
    if (rd_len) {
        r.rd_gpa = rd_alloc(&f->rq[q], rd_len);
        assert_true(r.rd_gpa != 0);
        memcpy(avps_posix_ptr(&f->g, r.rd_gpa, rd_len), rd, rd_len);
        for (unsigned int i = 0; i <= nrc; i++) {
            const uint32_t end = (i < nrc) ? rd_cuts[i] : rd_len;

            assert_true(n < ALEN(b));
            b[n].gpa = r.rd_gpa + at;
            b[n].len = end - at;
            b[n].write = false;
            n++;
            at = end;
        }
    }
    if (wr_len) {
        r.wr_gpa = rd_alloc(&f->rq[q], wr_len);
        assert_true(r.wr_gpa != 0);
        memset(avps_posix_ptr(&f->g, r.wr_gpa, wr_len), 0xee, wr_len);
        at = 0;
        for (unsigned int i = 0; i <= nwc; i++) {
            const uint32_t end = (i < nwc) ? wr_cuts[i] : wr_len;

            assert_true(n < ALEN(b));
            b[n].gpa = r.wr_gpa + at;
            b[n].len = end - at;
            b[n].write = true;
            n++;
            at = end;
        }
    }
    r.wr_len = wr_len;
    r.id = rd_add(&f->rq[q], b, n, 0);
    assert_true(r.id >= 0);
    return r;
}

#define L_HDR_SPLIT 0x1u        /* header in two descriptors: 5 + 11 bytes */
#define L_HDR_WITH_DATA 0x2u    /* header and write data share a descriptor */
#define L_STATUS_WITH_DATA 0x4u /* read data and the status byte share one */
#define L_DATA_SPLIT 0x8u       /* data in two descriptors */

static void put_hdr(uint8_t *p, uint32_t type, uint64_t sector)
{
    struct avps_virtio_blk_req_hdr h;

    h.type = avps_to_le32(type);
    h.reserved = avps_to_le32(0);
    h.sector = avps_to_le64(sector);
    memcpy(p, &h, sizeof h);
}

/* A request: header, out_len bytes of out (readable), in_len bytes of
 * writable data, then the status byte. */
static struct rq breq(struct bfix *f, uint16_t q, uint32_t type, uint64_t sector,
                      const void *out, uint32_t out_len, uint32_t in_len, unsigned int layout)
{
    static uint8_t rd[16 + 64 * 1024];
    uint32_t rc[4] = {0}, wc[4] = {0};
    unsigned int nrc = 0, nwc = 0;

    assert_true(out_len <= sizeof rd - 16);
    put_hdr(rd, type, sector);
    if (out_len)
        memcpy(rd + 16, out, out_len);
    if (layout & L_HDR_SPLIT)
        rc[nrc++] = 5;
    if (out_len && !(layout & L_HDR_WITH_DATA))
        rc[nrc++] = 16;
    if (out_len >= 2 && (layout & L_DATA_SPLIT))
        rc[nrc++] = 16 + out_len / 2;
    if (in_len >= 2 && (layout & L_DATA_SPLIT))
        wc[nwc++] = in_len / 2;
    if (in_len && !(layout & L_STATUS_WITH_DATA))
        wc[nwc++] = in_len;
    return bq_add(f, q, rd, 16 + out_len, rc, nrc, in_len + 1, wc, nwc);
}

static uint8_t st_of(struct bfix *f, const struct rq *r)
{
    return *(uint8_t *)avps_posix_ptr(&f->g, r->wr_gpa + r->wr_len - 1, 1);
}

static uint8_t *wr_of(struct bfix *f, const struct rq *r)
{
    return avps_posix_ptr(&f->g, r->wr_gpa, r->wr_len);
}

/* Take the next used entry of queue q; check it names r and return its len. */
static uint32_t used_len(struct bfix *f, uint16_t q, const struct rq *r)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->rq[q], &d), 1);
    assert_int_equal(d.id, r->id);
    return d.len;
}

static void no_used(struct bfix *f, uint16_t q)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->rq[q], &d), 0);
}

/* Notify queue q, let the backend finish everything, and check the request
 * came back with status st and used length len. */
static void expect(struct bfix *f, uint16_t q, const struct rq *r, uint8_t st, uint32_t len)
{
    (void)avps_dev_queue_notify(f->dev, q);
    be_complete_all(f);
    assert_int_equal(used_len(f, q, r), len);
    assert_int_equal(st_of(f, r), st);
}

static struct rq req_simple(struct bfix *f, uint32_t type, uint64_t sector, const void *out,
                            uint32_t out_len, uint32_t in_len)
{
    return breq(f, 0, type, sector, out, out_len, in_len, 0);
}

static void dwz(uint8_t *p, uint64_t sector, uint32_t num, uint32_t flags)
{
    struct avps_virtio_blk_dwz d;

    d.sector = avps_to_le64(sector);
    d.num_sectors = avps_to_le32(num);
    d.flags = avps_to_le32(flags);
    memcpy(p, &d, sizeof d);
}

#define BOTH(name)                                                                     \
    static void name##_split(void **s) { (void)s; name(false); }                      \
    static void name##_packed(void **s) { (void)s; name(true); }

/* ---- §5.2.6 request types ---------------------------------------------------- */

/* A write then a read of the same sectors: the data goes through, the used
 * length of a read counts its data and the status byte, of a write 1. */
static void test_5_2_6_write_then_read(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[1024];
    struct rq w, r;

    for (unsigned int i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    w = req_simple(f, T_OUT, 10, data, sizeof data, 0);
    expect(f, 0, &w, ST_OK, 1);
    assert_memory_equal(&f->disk[10 * 512], data, sizeof data);
    assert_int_equal(f->last.type, T_OUT);
    assert_int_equal(f->last.sector, 10);
    assert_int_equal(f->last.len, 1024);
    r = breq(f, 0, T_IN, 10, NULL, 0, 1024, L_DATA_SPLIT);
    expect(f, 0, &r, ST_OK, 1025);
    assert_memory_equal(wr_of(f, &r), data, sizeof data);
    assert_int_equal(f->last.n_iov, 2);
    assert_int_equal(avps_blk_stats(&f->blk)->reads, 1);
    assert_int_equal(avps_blk_stats(&f->blk)->writes, 1);
    assert_int_equal(avps_blk_stats(&f->blk)->bytes_read, 1024);
    assert_int_equal(avps_blk_stats(&f->blk)->bytes_written, 1024);
    assert_true(f->ft.queue_notes >= 2);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    bf_free(f);
}
BOTH(test_5_2_6_write_then_read)

/* FLUSH goes to the backend and completes with used length 1. */
static void test_5_2_6_flush(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r = req_simple(f, T_FLUSH, 0, NULL, 0, 0);

    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.type, T_FLUSH);
    assert_int_equal(avps_blk_stats(&f->blk)->flushes, 1);
    bf_free(f);
}
BOTH(test_5_2_6_flush)

/* GET_ID: the 20-byte NUL-padded string; no backend involved. */
static void test_5_2_6_get_id(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r = req_simple(f, T_ID, 0, NULL, 0, 20);
    char want[20] = "avps-serial-0123";

    expect(f, 0, &r, ST_OK, 21);
    assert_memory_equal(wr_of(f, &r), want, 20);
    assert_int_equal(f->submits, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->get_ids, 1);
    bf_free(f);
}
BOTH(test_5_2_6_get_id)

/* GET_LIFETIME: struct virtio_blk_lifetime, little-endian. */
static void test_5_2_6_get_lifetime(bool packed)
{
    struct bfix *f = bf_new(packed);
    const uint8_t want[6] = {2, 0, 5, 0, 11, 0};
    struct rq r;

    assert_int_equal(avps_blk_set_lifetime(&f->blk, 2, 5, 11), AVPS_OK);
    r = req_simple(f, T_LT, 0, NULL, 0, 6);
    expect(f, 0, &r, ST_OK, 7);
    assert_memory_equal(wr_of(f, &r), want, 6);
    assert_int_equal(avps_blk_stats(&f->blk)->get_lifetimes, 1);
    bf_free(f);
}
BOTH(test_5_2_6_get_lifetime)

/* DISCARD: the ranges reach the backend decoded. */
static void test_5_2_6_discard(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t d[32];
    struct rq r;

    dwz(d, 8, 16, 0);
    dwz(d + 16, 32, 8, 0);
    r = req_simple(f, T_DISCARD, 0, d, 32, 0);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.type, T_DISCARD);
    assert_int_equal(f->last.n_range, 2);
    assert_int_equal(f->last.range[0].sector, 8);
    assert_int_equal(f->last.range[0].num_sectors, 16);
    assert_int_equal(f->last.range[1].sector, 32);
    assert_int_equal(f->last.range[1].num_sectors, 8);
    assert_int_equal(f->last.range[1].flags, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->discards, 1);
    bf_free(f);
}
BOTH(test_5_2_6_discard)

/* SECURE_ERASE: one range, decoded. */
static void test_5_2_6_secure_erase(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t d[16];
    struct rq r;

    dwz(d, 4, 20, 0);
    r = req_simple(f, T_ERASE, 0, d, 16, 0);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.type, T_ERASE);
    assert_int_equal(f->last.n_range, 1);
    assert_int_equal(f->last.range[0].sector, 4);
    assert_int_equal(f->last.range[0].num_sectors, 20);
    assert_int_equal(avps_blk_stats(&f->blk)->secure_erases, 1);
    bf_free(f);
}
BOTH(test_5_2_6_secure_erase)

/* §5.2.6.2: after WRITE_ZEROES reads return zeroes, with unmap set or clear;
 * the unmap flag reaches the backend (write_zeroes_may_unmap is 1). */
static void test_5_2_6_2_write_zeroes_reads_zero(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t d[32], zero[8 * 512];
    struct rq r;

    memset(zero, 0, sizeof zero);
    dwz(d, 0, 4, AVPS_VIRTIO_BLK_WZ_UNMAP);
    dwz(d + 16, 60, 4, 0);
    r = req_simple(f, T_WZ, 0, d, 32, 0);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.range[0].flags, AVPS_VIRTIO_BLK_WZ_UNMAP);
    assert_int_equal(f->last.range[1].flags, 0);
    r = req_simple(f, T_IN, 0, NULL, 0, 4 * 512);
    expect(f, 0, &r, ST_OK, 4 * 512 + 1);
    assert_memory_equal(wr_of(f, &r), zero, 4 * 512);
    r = req_simple(f, T_IN, 60, NULL, 0, 4 * 512);
    expect(f, 0, &r, ST_OK, 4 * 512 + 1);
    assert_memory_equal(wr_of(f, &r), zero, 4 * 512);
    assert_int_equal(avps_blk_stats(&f->blk)->write_zeroes, 1);
    bf_free(f);
}
BOTH(test_5_2_6_2_write_zeroes_reads_zero)

/* §5.2.6.2: write_zeroes_may_unmap 0 means no write-zeroes deallocates: the
 * unmap flag is taken off before the backend sees the range. */
static void test_5_2_6_2_write_zeroes_no_unmap_when_not_allowed(void **s)
{
    struct bfix *f = bf_alloc(false, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t d[16], b[1];
    struct rq r;

    (void)s;
    c.write_zeroes_may_unmap = 0;
    bf_start(f, &c, ~0ull);
    avps_dev_config_read(f->dev, 56, b, 1);
    assert_int_equal(b[0], 0);
    dwz(d, 0, 4, AVPS_VIRTIO_BLK_WZ_UNMAP);
    r = req_simple(f, T_WZ, 0, d, 16, 0);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.range[0].flags, 0);
    bf_free(f);
}

/* §2.7.4 / §5.2.6: any layout. The header split over two descriptors; the
 * header sharing a descriptor with write data; the status byte alone or
 * sharing a descriptor with read data. */
static void test_5_2_6_any_layout(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[512];
    struct rq r;

    memset(data, 0x3c, sizeof data);
    r = breq(f, 0, T_OUT, 3, data, 512, 0, L_HDR_SPLIT | L_HDR_WITH_DATA);
    expect(f, 0, &r, ST_OK, 1);
    assert_memory_equal(&f->disk[3 * 512], data, 512);
    r = breq(f, 0, T_OUT, 4, data, 512, 0, L_HDR_SPLIT);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->last.sector, 4);
    r = breq(f, 0, T_IN, 3, NULL, 0, 512, L_STATUS_WITH_DATA | L_HDR_SPLIT);
    expect(f, 0, &r, ST_OK, 513);
    assert_memory_equal(wr_of(f, &r), data, 512);
    assert_int_equal(f->last.n_iov, 1);
    r = breq(f, 0, T_IN, 3, NULL, 0, 512, L_STATUS_WITH_DATA | L_DATA_SPLIT);
    expect(f, 0, &r, ST_OK, 513);
    assert_memory_equal(wr_of(f, &r), data, 512);
    assert_int_equal(f->last.n_iov, 2);
    r = breq(f, 0, T_ID, 0, NULL, 0, 20, L_STATUS_WITH_DATA);
    expect(f, 0, &r, ST_OK, 21);
    bf_free(f);
}
BOTH(test_5_2_6_any_layout)

/* The status byte is the last writable byte even when a one-byte descriptor
 * holds it alone, after a header cut into 16 one-byte descriptors. */
static void test_5_2_6_status_byte_alone(bool packed)
{
    struct bfix *f = bf_alloc(packed, 32);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t rd[16];
    const uint32_t cuts[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct rq r;

    bf_start(f, &c, ~0ull);
    put_hdr(rd, T_FLUSH, 0);
    r = bq_add(f, 0, rd, 16, cuts, 15, 1, NULL, 0);
    expect(f, 0, &r, ST_OK, 1);
    put_hdr(rd, T_ID, 0);
    r = bq_add(f, 0, rd, 16, cuts, 15, 21, cuts, 15); /* 20 bytes of id in 16 pieces */
    expect(f, 0, &r, ST_OK, 21);
    assert_memory_equal(wr_of(f, &r), "avps-serial-0123\0\0\0\0", 20);
    bf_free(f);
}
BOTH(test_5_2_6_status_byte_alone)

/* ---- asynchronous completion ---------------------------------------------------- */

/* Requests complete in the order the backend finishes them, not the order
 * they were made available. */
static void test_blk_out_of_order_completion(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r[3];
    struct rd_done d;

    for (int i = 0; i < 3; i++)
        r[i] = req_simple(f, T_IN, (uint64_t)i, NULL, 0, 512);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 3);
    assert_int_equal(f->npending, 3);
    no_used(f, 0);
    assert_int_equal(be_complete_at(f, 2, ST_OK), AVPS_OK);
    assert_int_equal(be_complete_at(f, 0, ST_OK), AVPS_OK);
    assert_int_equal(be_complete_at(f, 0, ST_IOERR), AVPS_OK);
    assert_int_equal(rd_get_used(&f->rq[0], &d), 1);
    assert_int_equal(d.id, r[2].id);
    assert_int_equal(d.len, 513);
    assert_int_equal(rd_get_used(&f->rq[0], &d), 1);
    assert_int_equal(d.id, r[0].id);
    assert_int_equal(rd_get_used(&f->rq[0], &d), 1);
    assert_int_equal(d.id, r[1].id);
    assert_int_equal(d.len, 1); /* an error: only the status byte */
    assert_int_equal(st_of(f, &r[1]), ST_IOERR);
    assert_memory_equal(wr_of(f, &r[0]), &f->disk[0], 512);
    assert_int_equal(avps_blk_stats(&f->blk)->ioerr, 1);
    /* IN_ORDER is never offered: completion order is the backend's */
    assert_false(avps_dev_offered_features(f->dev) & F_BIT(IN_ORDER));
    bf_free(f);
}
BOTH(test_blk_out_of_order_completion)

/* With every request object busy the device stops taking requests (none is
 * dropped) and goes on when one completes. */
static void test_blk_slot_exhaustion_resume(bool packed)
{
    struct bfix *f = bf_alloc(packed, 16);
    struct avps_blk_cfg c = bf_cfg(f);
    struct rq r[5];
    struct rd_done d;

    c.ios_per_queue = 2;
    bf_start(f, &c, ~0ull);
    for (int i = 0; i < 5; i++)
        r[i] = req_simple(f, T_IN, (uint64_t)i, NULL, 0, 512);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 2);
    assert_int_equal(f->npending, 2);
    assert_int_equal(avps_blk_stats(&f->blk)->stalls, 1);
    /* a kick while stalled takes nothing */
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    assert_int_equal(avps_blk_stats(&f->blk)->stalls, 1);
    assert_int_equal(f->submits, 2);
    /* one completion frees one object: exactly one more is taken */
    assert_int_equal(be_complete_at(f, 1, ST_OK), AVPS_OK);
    assert_int_equal(f->submits, 3);
    assert_int_equal(f->npending, 2);
    assert_int_equal(f->pending[1]->sector, 2);
    be_complete_all(f);
    be_complete_all(f);
    be_complete_all(f);
    assert_int_equal(f->submits, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rd_get_used(&f->rq[0], &d), 1);
        assert_int_equal(d.len, 513);
    }
    for (int i = 0; i < 5; i++)
        assert_int_equal(st_of(f, &r[i]), ST_OK);
    assert_int_equal(avps_blk_stats(&f->blk)->dropped, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->reads, 5);
    bf_free(f);
}
BOTH(test_blk_slot_exhaustion_resume)

/* A backend that completes inside submit. */
static void test_blk_sync_backend(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r[3];

    f->sync = true;
    for (int i = 0; i < 3; i++)
        r[i] = req_simple(f, T_IN, (uint64_t)i, NULL, 0, 512);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(used_len(f, 0, &r[i]), 513);
        assert_int_equal(st_of(f, &r[i]), ST_OK);
    }
    bf_free(f);
}
BOTH(test_blk_sync_backend)

/* A backend that refuses: AVPS_E_INVAL is UNSUPP, anything else IOERR. */
static void test_blk_backend_refuses(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r;

    f->submit_rc = AVPS_E_IO;
    r = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    f->submit_rc = AVPS_E_INVAL;
    r = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    expect(f, 0, &r, ST_UNSUPP, 1);
    assert_int_equal(avps_blk_stats(&f->blk)->unsupp, 1);
    assert_int_equal(avps_blk_stats(&f->blk)->ioerr, 1);
    bf_free(f);
}
BOTH(test_blk_backend_refuses)

/* The backend's contract: a completion of something that is not a request
 * object of the device, or twice, is refused; an unknown status is IOERR. */
static void test_blk_complete_contract(void **s)
{
    struct bfix *f = bf_new(false);
    struct avps_blk_io stray;
    struct avps_blk_io *io;
    struct rq r;

    (void)s;
    memset(&stray, 0, sizeof stray);
    assert_int_equal(avps_blk_complete(&f->blk, &stray, ST_OK), AVPS_E_INVAL);
    assert_int_equal(avps_blk_complete(&f->blk, (struct avps_blk_io *)((uint8_t *)f->ios + 8), ST_OK),
                     AVPS_E_INVAL);
    assert_int_equal(avps_blk_complete(&f->blk, &f->ios[f->qsize], ST_OK), AVPS_E_INVAL);
    assert_int_equal(avps_blk_complete(&f->blk, &f->ios[0], ST_OK), AVPS_E_INVAL); /* free */
    r = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    (void)avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(f->npending, 1);
    io = f->pending[0];
    f->npending = 0;
    assert_int_equal(avps_blk_complete(&f->blk, io, 7), AVPS_E_INVAL);
    assert_int_equal(used_len(f, 0, &r), 1);
    assert_int_equal(st_of(f, &r), ST_IOERR);
    assert_int_equal(avps_blk_complete(&f->blk, io, ST_OK), AVPS_E_INVAL); /* twice */
    bf_free(f);
}

/* ---- resets ------------------------------------------------------------------ */

/* A device reset forgets the requests with the backend: their late
 * completions write nothing, return AVPS_E_STATE and only free the objects. */
static void test_blk_device_reset_forgets_requests(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct rq r[2];
    uint16_t used_before;

    r[0] = req_simple(f, T_IN, 0, NULL, 0, 512);
    r[1] = req_simple(f, T_OUT, 0, f->disk, 512, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 2);
    used_before = rd_used_idx(&f->rq[0]);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_int_equal(avps_blk_stats(&f->blk)->orphaned, 2);
    assert_int_equal(f->forgets, 1);
    assert_int_equal(f->forget_q, 0);
    assert_int_equal(be_complete_at(f, 1, ST_OK), AVPS_E_STATE);
    assert_int_equal(be_complete_at(f, 0, ST_OK), AVPS_E_STATE);
    assert_int_equal(avps_blk_stats(&f->blk)->late, 2);
    assert_int_equal(rd_used_idx(&f->rq[0]), used_before);
    assert_int_equal(st_of(f, &r[0]), 0xee);
    assert_int_equal(st_of(f, &r[1]), 0xee);
    assert_int_equal(f->ios[0].state, 0);
    assert_int_equal(f->ios[1].state, 0);
    bf_free(f);
}
BOTH(test_blk_device_reset_forgets_requests)

/* A backend that finishes its forgotten I/O inside forget (as the daemon
 * does before guest memory is unmapped): every late completion is ignored,
 * and the device is usable again after re-initialisation. A reset with
 * nothing in flight does not call forget. */
static void test_blk_forget_drains(bool packed)
{
    struct bfix *f = bf_new(packed);

    f->forget_drains = true;
    (void)req_simple(f, T_IN, 0, NULL, 0, 512);
    (void)req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 2);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_int_equal(f->forgets, 1);
    assert_int_equal(f->npending, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->late, 2);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_int_equal(f->forgets, 1);
    bf_free(f);

    /* forget is optional */
    f = bf_new(packed);
    f->be.forget = NULL;
    (void)req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(avps_dev_queue_reset(f->dev, 0), AVPS_OK);
    assert_int_equal(avps_blk_stats(&f->blk)->orphaned, 1);
    assert_int_equal(be_complete_at(f, 0, ST_OK), AVPS_E_STATE);
    bf_free(f);
}
BOTH(test_blk_forget_drains)

/* §2.6.1 queue reset: the queue's requests are forgotten (generation tag);
 * a request object still with the backend is reused only after its late
 * completion; the other queue is untouched. */
static void test_blk_queue_reset_generation(bool packed)
{
    struct bfix *f = bf_alloc(packed, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    struct avps_blk_io *old0, *old1;
    struct rq r0, r1, rn;

    c.features |= B(MQ);
    c.num_queues = 2;
    c.ios_per_queue = 1;
    bf_start(f, &c, ~0ull);
    r0 = breq(f, 0, T_IN, 1, NULL, 0, 512, 0);
    r1 = breq(f, 1, T_IN, 2, NULL, 0, 512, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 1);
    old0 = f->pending[0];
    old1 = f->pending[1];
    f->npending = 0;
    assert_int_equal(avps_dev_queue_reset(f->dev, 0), AVPS_OK);
    assert_int_equal(avps_blk_stats(&f->blk)->orphaned, 1);
    assert_int_equal(f->forgets, 1);
    assert_int_equal(f->forget_q, 0);
    /* the driver re-enables queue 0 with a fresh ring */
    rd_fini(&f->rq[0]);
    assert_int_equal(rd_init(&f->rq[0], &f->g, packed, 8, f->rq[1].features, VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, 4u << 20), 0);
    avps_dev_queue_set_addr(f->dev, 0, AVPS_DEV_AREA_DESC, f->rq[0].desc);
    avps_dev_queue_set_addr(f->dev, 0, AVPS_DEV_AREA_DRIVER, f->rq[0].driver);
    avps_dev_queue_set_addr(f->dev, 0, AVPS_DEV_AREA_DEVICE, f->rq[0].device);
    assert_int_equal(avps_dev_queue_enable(f->dev, 0), AVPS_OK);
    rn = breq(f, 0, T_IN, 5, NULL, 0, 512, 0);
    /* the only request object of queue 0 is still with the backend */
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    assert_int_equal(f->npending, 0);
    assert_int_equal(avps_blk_complete(&f->blk, old0, ST_OK), AVPS_E_STATE);
    /* the late completion frees it, and the stalled queue goes on at once */
    assert_int_equal(f->npending, 1);
    assert_int_equal(f->pending[0]->sector, 5);
    be_complete_all(f);
    assert_int_equal(used_len(f, 0, &rn), 513);
    /* queue 1 is untouched */
    assert_int_equal(avps_blk_complete(&f->blk, old1, ST_OK), AVPS_OK);
    assert_int_equal(used_len(f, 1, &r1), 513);
    (void)r0;
    assert_int_equal(avps_blk_stats(&f->blk)->late, 1);
    bf_free(f);
}
BOTH(test_blk_queue_reset_generation)

/* ---- §5.2.2 multi-queue --------------------------------------------------------- */

static void test_5_2_2_multiqueue(bool packed)
{
    struct bfix *f = bf_alloc(packed, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t b[2];
    struct rq r0, r1, r1b;

    c.features |= B(MQ);
    c.num_queues = 2;
    c.ios_per_queue = 1;
    bf_start(f, &c, ~0ull);
    assert_int_equal(avps_dev_num_queues(f->dev), 2);
    avps_dev_config_read(f->dev, 34, b, 2);
    assert_int_equal(b[0], 2);
    assert_int_equal(b[1], 0);
    r0 = breq(f, 0, T_IN, 1, NULL, 0, 512, 0);
    r1 = breq(f, 1, T_IN, 2, NULL, 0, 512, 0);
    r1b = breq(f, 1, T_IN, 3, NULL, 0, 512, 0);
    /* queue 1 stalls on its single object; queue 0 has its own */
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 1);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(f->npending, 2);
    assert_int_equal(f->pending[0]->queue, 1);
    assert_int_equal(f->pending[1]->queue, 0);
    be_complete_all(f);
    be_complete_all(f);
    assert_int_equal(used_len(f, 0, &r0), 513);
    assert_int_equal(used_len(f, 1, &r1), 513);
    assert_int_equal(used_len(f, 1, &r1b), 513);
    assert_memory_equal(wr_of(f, &r1b), &f->disk[3 * 512], 512);
    bf_free(f);
}
BOTH(test_5_2_2_multiqueue)

/* ---- §5.2.6.2 device requirements ---------------------------------------------------- */

/* RO offered: every write gets IOERR, no data is written and the backend is
 * not called; reads still work. */
static void test_5_2_6_2_read_only(bool packed)
{
    struct bfix *f = bf_alloc(packed, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t before[CAP * 512], d[16];
    struct rq r;

    c.features |= B(RO);
    bf_start(f, &c, ~0ull);
    memcpy(before, f->disk, sizeof before);
    r = req_simple(f, T_OUT, 0, f->disk + 4096, 512, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    dwz(d, 0, 8, 0);
    r = req_simple(f, T_DISCARD, 0, d, 16, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_WZ, 0, d, 16, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    dwz(d, 0, 4, 0);
    r = req_simple(f, T_ERASE, 0, d, 16, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 0);
    assert_memory_equal(before, f->disk, sizeof before);
    r = req_simple(f, T_IN, 0, NULL, 0, 512);
    expect(f, 0, &r, ST_OK, 513);
    assert_int_equal(avps_blk_stats(&f->blk)->ioerr, 4);
    bf_free(f);
}
BOTH(test_5_2_6_2_read_only)

/* RO is enforced when offered, even if the driver did not accept it. */
static void test_5_2_6_2_read_only_not_accepted(void **s)
{
    struct bfix *f = bf_alloc(false, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    struct rq r;

    (void)s;
    c.features |= B(RO);
    bf_start(f, &c, ~B(RO));
    assert_false(avps_dev_features(f->dev) & B(RO));
    r = req_simple(f, T_OUT, 0, f->disk, 512, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 0);
    bf_free(f);
}

/* Unknown request types get UNSUPP, used length 1. */
static void test_5_2_6_2_unknown_type_unsupp(bool packed)
{
    struct bfix *f = bf_new(packed);
    const uint32_t types[] = {2, 3, 5, 6, 7, 9, 12, 0x80000000u, 0xffffffffu};

    for (unsigned int i = 0; i < ALEN(types); i++) {
        struct rq r = req_simple(f, types[i], 0, NULL, 0, 0);

        expect(f, 0, &r, ST_UNSUPP, 1);
    }
    assert_int_equal(avps_blk_stats(&f->blk)->unsupp, ALEN(types));
    assert_int_equal(f->submits, 0);
    bf_free(f);
}
BOTH(test_5_2_6_2_unknown_type_unsupp)

/* Without ZONED negotiated, zone requests get UNSUPP. */
static void test_5_2_6_2_zone_requests_unsupp(bool packed)
{
    struct bfix *f = bf_new(packed);
    const uint32_t types[] = {15, 16, 18, 20, 22, 24, 26};

    assert_false(avps_dev_offered_features(f->dev) & B(ZONED));
    for (unsigned int i = 0; i < ALEN(types); i++) {
        struct rq r = req_simple(f, types[i], 0, NULL, 0, 64);

        expect(f, 0, &r, ST_UNSUPP, 1);
    }
    bf_free(f);
}
BOTH(test_5_2_6_2_zone_requests_unsupp)

/* UNSUPP for a discard with unmap set, and for any unknown flag of discard,
 * write-zeroes and secure erase (carried by the last range); nothing reaches
 * the backend. */
static void test_5_2_6_2_flags_unsupp(bool packed)
{
    struct bfix *f = bf_new(packed);
    const struct {
        uint32_t type, flags, nranges;
    } c[] = {{T_DISCARD, AVPS_VIRTIO_BLK_WZ_UNMAP, 2}, {T_DISCARD, 2, 2}, {T_WZ, 2, 2},
             {T_WZ, 0x80000001u, 3}, {T_ERASE, 1, 1}, {T_ERASE, 0x100, 1}};
    uint8_t d[48];

    for (unsigned int i = 0; i < ALEN(c); i++) {
        struct rq r;

        for (unsigned int k = 0; k < c[i].nranges; k++)
            dwz(d + 16 * k, 8 * k, 8, k + 1 == c[i].nranges ? c[i].flags : 0);
        r = req_simple(f, c[i].type, 0, d, 16 * c[i].nranges, 0);
        expect(f, 0, &r, ST_UNSUPP, 1);
    }
    assert_int_equal(f->submits, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->unsupp, ALEN(c));
    bf_free(f);
}
BOTH(test_5_2_6_2_flags_unsupp)

/* A capacity change: the new capacity is read from config space, the driver
 * gets a configuration-change notification and the new sectors are usable. */
static void test_5_2_6_2_capacity_change_notifies(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t b[8];
    uint32_t gen = avps_dev_config_generation(f->dev);
    struct rq r;

    r = req_simple(f, T_IN, CAP, NULL, 0, 512);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(avps_blk_set_capacity(&f->blk, CAP / 2), AVPS_OK);
    assert_int_equal(f->ft.config_notes, 1);
    assert_true(avps_dev_isr(f->dev) & AVPS_DEV_ISR_CONFIG);
    assert_int_not_equal(avps_dev_config_generation(f->dev), gen);
    avps_dev_config_read(f->dev, 0, b, 8);
    assert_int_equal(b[0], CAP / 2);
    r = req_simple(f, T_IN, CAP / 2, NULL, 0, 512);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_IN, CAP / 2 - 1, NULL, 0, 512);
    expect(f, 0, &r, ST_OK, 513);
    bf_free(f);
}
BOTH(test_5_2_6_2_capacity_change_notifies)

/* Stable writes (§5.2.6.2): a write must reach persistent storage before it
 * completes when FLUSH was offered but not negotiated, or CONFIG_WCE was
 * negotiated with writeback 0; with a writeback cache it need not. */
static void test_5_2_6_2_stable_writes(void **s)
{
    const struct {
        uint64_t accept;
        int wb; /* -1: leave writeback alone */
        uint32_t flags;
    } m[] = {
        {~(B(FLUSH) | B(CONFIG_WCE)), -1, AVPS_BLK_IO_STABLE},
        {~B(CONFIG_WCE), -1, 0},
        {~0ull, 1, 0},
        {~0ull, 0, AVPS_BLK_IO_STABLE},
    };

    (void)s;
    for (unsigned int i = 0; i < ALEN(m); i++) {
        struct bfix *f = bf_alloc(false, 8);
        struct avps_blk_cfg c = bf_cfg(f);
        struct rq r;

        bf_start(f, &c, m[i].accept);
        if (m[i].wb >= 0) {
            uint8_t v = (uint8_t)m[i].wb;

            assert_int_equal(avps_dev_config_write(f->dev, 32, &v, 1), AVPS_OK);
            assert_int_equal(avps_blk_writeback(&f->blk), v);
        }
        r = req_simple(f, T_OUT, 0, f->disk, 512, 0);
        expect(f, 0, &r, ST_OK, 1);
        assert_int_equal(f->last.flags, m[i].flags);
        {
            uint8_t d[16];

            dwz(d, 0, 8, 0);
            r = req_simple(f, T_WZ, 0, d, 16, 0);
            expect(f, 0, &r, ST_OK, 1);
            assert_int_equal(f->last.flags, m[i].flags);
        }
        bf_free(f);
    }
}

/* GET_LIFETIME never carries reserved values: the setter refuses them. */
static void test_5_2_6_2_lifetime_no_reserved_values(void **s)
{
    struct bfix *f = bf_new(false);
    const uint8_t want[6] = {3, 0, 11, 0, 1, 0};
    struct rq r;

    (void)s;
    assert_int_equal(avps_blk_set_lifetime(&f->blk, 3, 11, 1), AVPS_OK);
    assert_int_equal(avps_blk_set_lifetime(&f->blk, 4, 0, 0), AVPS_E_INVAL);
    assert_int_equal(avps_blk_set_lifetime(&f->blk, 0, 12, 0), AVPS_E_INVAL);
    assert_int_equal(avps_blk_set_lifetime(&f->blk, 0, 0, 12), AVPS_E_INVAL);
    r = req_simple(f, T_LT, 0, NULL, 0, 6);
    expect(f, 0, &r, ST_OK, 7);
    assert_memory_equal(wr_of(f, &r), want, 6);
    bf_free(f);
}

/* ---- §5.2.4, §5.2.5 configuration ---------------------------------------------------------- */

static uint32_t rd32(const uint8_t *c, unsigned int off)
{
    return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
           (uint32_t)c[off + 3] << 24;
}

/* Every field at its offset; fields of features not offered read 0. */
static void test_5_2_4_config_layout(void **s)
{
    struct bfix *f = bf_new(false);
    struct bfix *g;
    struct avps_blk_cfg c;
    uint8_t b[96];

    (void)s;
    assert_int_equal(avps_dev_device_id(f->dev), 2);
    assert_int_equal(avps_dev_config_size(f->dev), 96);
    avps_dev_config_read(f->dev, 0, b, 96);
    assert_int_equal(rd32(b, 0), CAP);
    assert_int_equal(rd32(b, 4), 0);
    assert_int_equal(rd32(b, 8), SIZE_MAX_B);
    assert_int_equal(rd32(b, 12), SEG_MAX);
    assert_int_equal(b[16] | b[17] << 8, 0x1234);
    assert_int_equal(b[18], 16);
    assert_int_equal(b[19], 63);
    assert_int_equal(rd32(b, 20), 4096);
    assert_int_equal(b[24], 3);
    assert_int_equal(b[25], 1);
    assert_int_equal(b[26] | b[27] << 8, 8);
    assert_int_equal(rd32(b, 28), 256);
    assert_int_equal(b[32], 1);
    assert_int_equal(b[34] | b[35] << 8, 0); /* MQ not offered */
    assert_int_equal(rd32(b, 36), 32);
    assert_int_equal(rd32(b, 40), 2);
    assert_int_equal(rd32(b, 44), 8);
    assert_int_equal(rd32(b, 48), 16);
    assert_int_equal(rd32(b, 52), 3);
    assert_int_equal(b[56], 1);
    assert_int_equal(rd32(b, 60), 24);
    assert_int_equal(rd32(b, 64), 1);
    assert_int_equal(rd32(b, 68), 4);
    bf_free(f);

    g = bf_alloc(false, 8);
    c = bf_cfg(g);
    c.features = B(FLUSH);
    bf_start(g, &c, ~0ull);
    avps_dev_config_read(g->dev, 0, b, 96);
    assert_int_equal(rd32(b, 0), CAP);
    for (unsigned int i = 8; i < 96; i++)
        if (i != 32)
            assert_int_equal(b[i], 0);
    assert_int_equal(avps_dev_offered_features(g->dev) & AVPS_BLK_FEATURES, B(FLUSH));
    bf_free(g);
}

/* §5.2.5.2: padding (unused0, unused1) and the zoned block read 0; ZONED is
 * not offered by this non-zoned device. */
static void test_5_2_5_2_padding_zero_and_no_zoned(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t b[96];

    avps_dev_config_read(f->dev, 0, b, 96);
    assert_int_equal(b[33], 0);
    assert_int_equal(b[57], 0);
    assert_int_equal(b[58], 0);
    assert_int_equal(b[59], 0);
    for (unsigned int i = 72; i < 96; i++)
        assert_int_equal(b[i], 0);
    assert_false(avps_dev_offered_features(f->dev) & B(ZONED));
    bf_free(f);
}
BOTH(test_5_2_5_2_padding_zero_and_no_zoned)

/* §5.2.5.2: CONFIG_WCE is only offered together with FLUSH (init refuses
 * otherwise); FLUSH is offered by the default configurations. */
static void test_5_2_5_2_config_wce_needs_flush(void **s)
{
    struct bfix *f = bf_alloc(false, 8);
    struct avps_blk_cfg c = bf_cfg(f);

    (void)s;
    c.features = B(CONFIG_WCE);
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, &c), AVPS_E_INVAL);
    c.features = B(CONFIG_WCE) | B(FLUSH);
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, &c), AVPS_OK);
    assert_true(avps_dev_offered_features(avps_blk_dev(&f->blk)) & B(FLUSH));
    bf_free(f);
}

/* §5.2.5.2: CONFIG_WCE negotiated without FLUSH: writeback reads 0 even
 * though the device starts in writeback mode otherwise; a reset restores it. */
static void test_5_2_5_2_writeback_zero_without_flush(bool packed)
{
    struct bfix *f = bf_alloc(packed, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t v;

    bf_start(f, &c, ~B(FLUSH));
    assert_true(avps_dev_features(f->dev) & B(CONFIG_WCE));
    avps_dev_config_read(f->dev, 32, &v, 1);
    assert_int_equal(v, 0);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    avps_dev_config_read(f->dev, 32, &v, 1);
    assert_int_equal(v, 1);
    bf_free(f);
}
BOTH(test_5_2_5_2_writeback_zero_without_flush)

/* §5.2.5: writeback is writable (0 or 1) when CONFIG_WCE was negotiated;
 * every other config write is refused and reported. */
static void test_5_2_5_config_wce_toggle(void **s)
{
    struct bfix *f = bf_new(false);
    struct bfix *g;
    struct avps_blk_cfg c;
    uint8_t v;
    uint8_t two[2] = {0, 0};

    (void)s;
    v = 0;
    assert_int_equal(avps_dev_config_write(f->dev, 32, &v, 1), AVPS_OK);
    assert_int_equal(avps_blk_writeback(&f->blk), 0);
    v = 1;
    assert_int_equal(avps_dev_config_write(f->dev, 32, &v, 1), AVPS_OK);
    assert_int_equal(avps_blk_writeback(&f->blk), 1);
    v = 2;
    assert_int_equal(avps_dev_config_write(f->dev, 32, &v, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(f->dev, 32, two, 2), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(f->dev, 0, two, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_blk_writeback(&f->blk), 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_CONFIG], 3);
    bf_free(f);

    g = bf_alloc(false, 8);
    c = bf_cfg(g);
    bf_start(g, &c, ~B(CONFIG_WCE));
    v = 0;
    assert_int_equal(avps_dev_config_write(g->dev, 32, &v, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_blk_writeback(&g->blk), 1);
    bf_free(g);
}

/* Init refuses configurations it cannot honour, one field at a time. */
static void test_blk_init_refuses_bad_config(void **s)
{
    struct bfix *f = bf_alloc(false, 8);
    struct avps_blk_cfg c;
    struct avps_blk_backend nosubmit = {NULL, NULL, NULL};
    int n = 0;

    (void)s;
#define REFUSE(stmt)                                                              \
    do {                                                                          \
        c = bf_cfg(f);                                                            \
        stmt;                                                                     \
        assert_int_equal(avps_blk_init(&f->blk, &f->g.host, &c), AVPS_E_INVAL);   \
        n++;                                                                      \
    } while (0)
    c = bf_cfg(f);
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, &c), AVPS_OK);
    assert_int_equal(avps_blk_init(NULL, &f->g.host, &c), AVPS_E_INVAL);
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, NULL), AVPS_E_INVAL);
    REFUSE(c.backend = NULL);
    REFUSE(c.backend = &nosubmit);
    REFUSE(c.features |= B(ZONED));
    REFUSE(c.vq_slots = NULL);
    REFUSE(c.ios = NULL);
    REFUSE(c.ios_per_queue = 0);
    REFUSE(c.ios_per_queue = 40000);
    REFUSE(c.num_queues = 0);
    REFUSE(c.num_queues = AVPS_CONFIG_BLK_MAX_QUEUES + 1);
    REFUSE(c.num_queues = 2);                 /* without MQ */
    REFUSE(c.writeback = 2);
    REFUSE(c.write_zeroes_may_unmap = 2);
    REFUSE(c.seg_max = 0);
    REFUSE(c.seg_max = AVPS_CONFIG_BLK_SEGS + 1);
    REFUSE(c.size_max = 511);
    REFUSE(c.blk_size = 256);
    REFUSE(c.blk_size = 1536);
    REFUSE(c.max_discard_sectors = 0);
    REFUSE(c.max_discard_seg = 0);
    REFUSE(c.max_discard_seg = AVPS_CONFIG_BLK_RANGES + 1);
    REFUSE(c.max_write_zeroes_sectors = 0);
    REFUSE(c.max_write_zeroes_seg = 0);
    REFUSE(c.max_secure_erase_sectors = 0);
    REFUSE(c.max_secure_erase_seg = AVPS_CONFIG_BLK_RANGES + 1);
    REFUSE(c.queue_size_max = 0);
    REFUSE(c.vq_slots_per_queue = 4);
#undef REFUSE
    assert_int_equal(n, 26);
    /* limits of features not offered are not checked */
    c = bf_cfg(f);
    c.features = B(FLUSH);
    c.seg_max = 0;
    c.size_max = 0;
    c.blk_size = 3;
    c.max_discard_seg = 0;
    c.max_write_zeroes_sectors = 0;
    c.max_secure_erase_seg = 0;
    assert_int_equal(avps_blk_init(&f->blk, &f->g.host, &c), AVPS_OK);
    bf_free(f);
}

/* ---- §5.2.6.1 driver violations: one field mangled, exact outcome ---------------------------- */

/* IN and OUT data in multiples of 512 bytes: 511 or 513 bytes is IOERR. */
static void test_5_2_6_1_data_not_sector_multiple(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[1024];
    struct rq r;

    memset(data, 1, sizeof data);
    r = req_simple(f, T_OUT, 0, data, 511, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_OUT, 0, data, 513, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_IN, 0, NULL, 0, 513);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 0);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 3);
    assert_int_equal(avps_dev_guest_errors(f->dev), 3);
    bf_free(f);
}
BOTH(test_5_2_6_1_data_not_sector_multiple)

/* No read or write beyond capacity; the check cannot overflow. */
static void test_5_2_6_1_beyond_capacity(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[1024];
    const uint64_t bad[] = {CAP - 1, CAP, UINT64_MAX, UINT64_MAX - 1, 1ull << 55};
    struct rq r;

    memset(data, 1, sizeof data);
    for (unsigned int i = 0; i < ALEN(bad); i++) {
        r = req_simple(f, T_IN, bad[i], NULL, 0, 1024);
        expect(f, 0, &r, ST_IOERR, 1);
        r = req_simple(f, T_OUT, bad[i], data, 1024, 0);
        expect(f, 0, &r, ST_IOERR, 1);
    }
    assert_int_equal(f->submits, 0);
    r = req_simple(f, T_OUT, CAP - 2, data, 1024, 0);
    expect(f, 0, &r, ST_OK, 1);
    /* an empty transfer at the capacity is in range, and needs no backend */
    r = req_simple(f, T_IN, CAP, NULL, 0, 0);
    expect(f, 0, &r, ST_OK, 1);
    r = req_simple(f, T_IN, CAP + 1, NULL, 0, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 1);
    bf_free(f);
}
BOTH(test_5_2_6_1_beyond_capacity)

/* FLUSH with a non-zero sector is IOERR; data in a flush is ignored. */
static void test_5_2_6_1_flush_sector_zero(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[512];
    struct rq r;

    memset(data, 0, sizeof data);
    r = req_simple(f, T_FLUSH, 1, NULL, 0, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_FLUSH, 0, data, 512, 512);
    expect(f, 0, &r, ST_OK, 1);
    assert_int_equal(f->submits, 1);
    bf_free(f);
}
BOTH(test_5_2_6_1_flush_sector_zero)

/* GET_ID data must be 20 bytes: 19 or 21 is IOERR, nothing written. */
static void test_5_2_6_1_get_id_length(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t x[4] = {0};
    struct rq r;

    r = req_simple(f, T_ID, 0, NULL, 0, 19);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(wr_of(f, &r)[0], 0xee);
    r = req_simple(f, T_ID, 0, NULL, 0, 21);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_ID, 0, x, 4, 20); /* readable bytes after the header */
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_LT, 0, NULL, 0, 7);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_LT, 0, x, 4, 6);
    expect(f, 0, &r, ST_IOERR, 1);
    bf_free(f);
}
BOTH(test_5_2_6_1_get_id_length)

/* Discard / write-zeroes / secure-erase data: a non-zero multiple of 16 bytes,
 * at most max_*_seg ranges. */
static void test_5_2_6_1_range_data_shape(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t d[16 * 4];
    struct rq r;

    for (unsigned int i = 0; i < 4; i++)
        dwz(d + 16 * i, 8 * i, 8, 0);
    r = req_simple(f, T_DISCARD, 0, d, 24, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_DISCARD, 0, NULL, 0, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_DISCARD, 0, d, 48, 0); /* max_discard_seg 2 */
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_DISCARD, 0, d, 32, 0);
    expect(f, 0, &r, ST_OK, 1);
    r = req_simple(f, T_WZ, 0, d, 64, 0); /* max_write_zeroes_seg 3 */
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_WZ, 0, d, 48, 0);
    expect(f, 0, &r, ST_OK, 1);
    dwz(d, 0, 4, 0);
    dwz(d + 16, 4, 4, 0);
    r = req_simple(f, T_ERASE, 0, d, 32, 0); /* max_secure_erase_seg 1 */
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_DISCARD, 0, d, 16, 16); /* writable bytes before the status */
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 2);
    bf_free(f);
}
BOTH(test_5_2_6_1_range_data_shape)

/* Each range limit: sectors per range, capacity, alignment. */
static void test_mangle_blk_range_limits(bool packed)
{
    struct bfix *f = bf_new(packed);
    const struct {
        uint32_t type;
        uint64_t sector;
        uint32_t num;
        uint8_t st;
    } c[] = {
        {T_DISCARD, 0, 32, ST_OK},          /* max_discard_sectors */
        {T_DISCARD, 0, 40, ST_IOERR},
        {T_DISCARD, 0, 0, ST_IOERR},
        {T_DISCARD, 4, 8, ST_IOERR},        /* alignment 8: start */
        {T_DISCARD, 8, 4, ST_IOERR},        /* length */
        {T_DISCARD, 56, 8, ST_OK},
        {T_DISCARD, 64, 8, ST_IOERR},       /* beyond capacity */
        {T_DISCARD, UINT64_MAX - 7, 8, ST_IOERR},
        {T_WZ, 0, 16, ST_OK},               /* max_write_zeroes_sectors */
        {T_WZ, 0, 17, ST_IOERR},
        {T_WZ, 3, 5, ST_OK},                /* no alignment */
        {T_WZ, 60, 5, ST_IOERR},
        {T_ERASE, 0, 24, ST_OK},            /* max_secure_erase_sectors */
        {T_ERASE, 0, 28, ST_IOERR},
        {T_ERASE, 2, 4, ST_IOERR},          /* alignment 4 */
        {T_ERASE, 4, 6, ST_IOERR},
        {T_ERASE, 60, 4, ST_OK},
    };

    for (unsigned int i = 0; i < ALEN(c); i++) {
        uint8_t d[16];
        struct rq r;

        dwz(d, c[i].sector, c[i].num, 0);
        r = req_simple(f, c[i].type, 0, d, 16, 0);
        expect(f, 0, &r, c[i].st, 1);
    }
    bf_free(f);
}
BOTH(test_mangle_blk_range_limits)

/* A range ending at the capacity may have an unaligned length. */
static void test_mangle_blk_discard_tail_at_capacity(void **s)
{
    struct bfix *f = bf_alloc(false, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t d[16];
    struct rq r;

    (void)s;
    c.capacity = CAP - 3;
    bf_start(f, &c, ~0ull);
    dwz(d, 56, 5, 0);
    r = req_simple(f, T_DISCARD, 0, d, 16, 0);
    expect(f, 0, &r, ST_OK, 1);
    dwz(d, 48, 5, 0);
    r = req_simple(f, T_DISCARD, 0, d, 16, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    bf_free(f);
}

/* seg_max: seg_max data segments pass, one more is IOERR. */
static void test_mangle_blk_seg_max(bool packed)
{
    struct bfix *f = bf_alloc(packed, 16);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t rd[16 + 5 * 512];
    uint32_t rc[6], wc[6];
    struct rq r;

    bf_start(f, &c, ~0ull);
    put_hdr(rd, T_OUT, 0);
    memset(rd + 16, 9, 5 * 512);
    for (unsigned int i = 0; i < 5; i++)
        rc[i] = 16 + 512 * i;
    r = bq_add(f, 0, rd, 16 + 4 * 512, rc, 4, 1, NULL, 0); /* 4 = seg_max */
    expect(f, 0, &r, ST_OK, 1);
    r = bq_add(f, 0, rd, 16 + 5 * 512, rc, 5, 1, NULL, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    put_hdr(rd, T_IN, 0);
    for (unsigned int i = 0; i < 6; i++)
        wc[i] = 512 * (i + 1);
    r = bq_add(f, 0, rd, 16, NULL, 0, 5 * 512 + 1, wc, 5);
    expect(f, 0, &r, ST_IOERR, 1);
    r = bq_add(f, 0, rd, 16, NULL, 0, 4 * 512 + 1, wc, 4);
    expect(f, 0, &r, ST_OK, 4 * 512 + 1);
    assert_int_equal(f->submits, 2);
    bf_free(f);
}
BOTH(test_mangle_blk_seg_max)

/* Without SEG_MAX negotiated the limit is the request object's size. */
static void test_mangle_blk_seg_max_not_negotiated(void **s)
{
    struct bfix *f = bf_alloc(false, 16);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t rd[16 + 5 * 512];
    uint32_t rc[5];
    struct rq r;

    (void)s;
    bf_start(f, &c, ~B(SEG_MAX));
    put_hdr(rd, T_OUT, 0);
    memset(rd + 16, 9, 5 * 512);
    for (unsigned int i = 0; i < 5; i++)
        rc[i] = 16 + 512 * i;
    r = bq_add(f, 0, rd, 16 + 5 * 512, rc, 5, 1, NULL, 0);
    expect(f, 0, &r, ST_OK, 1);
    bf_free(f);
}

/* size_max: a data segment of size_max bytes passes, a larger one is IOERR;
 * without SIZE_MAX negotiated there is no limit. */
static void test_mangle_blk_size_max(bool packed)
{
    struct bfix *f = bf_new(packed);
    struct bfix *g;
    struct avps_blk_cfg c;
    static uint8_t data[SIZE_MAX_B + 512];
    struct rq r;

    r = req_simple(f, T_OUT, 0, data, SIZE_MAX_B, 0);
    expect(f, 0, &r, ST_OK, 1);
    r = req_simple(f, T_OUT, 0, data, SIZE_MAX_B + 512, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_IN, 0, NULL, 0, SIZE_MAX_B + 512);
    expect(f, 0, &r, ST_IOERR, 1);
    r = breq(f, 0, T_IN, 0, NULL, 0, SIZE_MAX_B + 512, L_DATA_SPLIT);
    expect(f, 0, &r, ST_OK, SIZE_MAX_B + 513);
    bf_free(f);

    g = bf_alloc(packed, 8);
    c = bf_cfg(g);
    bf_start(g, &c, ~B(SIZE_MAX));
    r = req_simple(g, T_OUT, 0, data, SIZE_MAX_B + 512, 0);
    expect(g, 0, &r, ST_OK, 1);
    bf_free(g);
}
BOTH(test_mangle_blk_size_max)

/* No device-writable byte: no status can be written, the chain is returned
 * with used length 0 and reported. */
static void test_mangle_blk_no_writable_byte(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t rd[16 + 512];
    struct rq r, ok;

    put_hdr(rd, T_OUT, 0);
    memset(rd + 16, 0, 512);
    r = bq_add(f, 0, rd, sizeof rd, NULL, 0, 0, NULL, 0);
    ok = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    (void)avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(used_len(f, 0, &r), 0);
    be_complete_all(f);
    assert_int_equal(used_len(f, 0, &ok), 1);
    assert_int_equal(avps_blk_stats(&f->blk)->dropped, 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    assert_int_equal(f->submits, 1);
    bf_free(f);
}
BOTH(test_mangle_blk_no_writable_byte)

/* Fewer than 16 readable bytes: IOERR in the last writable byte. */
static void test_mangle_blk_header_short(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t rd[16];
    struct rq r;

    put_hdr(rd, T_FLUSH, 0);
    r = bq_add(f, 0, rd, 15, NULL, 0, 1, NULL, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    r = bq_add(f, 0, NULL, 0, NULL, 0, 4, NULL, 0);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(wr_of(f, &r)[0], 0xee);
    assert_int_equal(f->submits, 0);
    assert_int_equal(avps_blk_stats(&f->blk)->ioerr, 2);
    bf_free(f);
}
BOTH(test_mangle_blk_header_short)

/* IN with readable data after the header; OUT with writable bytes before
 * the status byte: IOERR. */
static void test_mangle_blk_wrong_direction(bool packed)
{
    struct bfix *f = bf_new(packed);
    uint8_t data[512];
    struct rq r;

    memset(data, 0, sizeof data);
    r = req_simple(f, T_IN, 0, data, 512, 512);
    expect(f, 0, &r, ST_IOERR, 1);
    r = req_simple(f, T_OUT, 0, data, 512, 512);
    expect(f, 0, &r, ST_IOERR, 1);
    assert_int_equal(f->submits, 0);
    bf_free(f);
}
BOTH(test_mangle_blk_wrong_direction)

/* Types whose feature was not negotiated get UNSUPP. */
static void test_mangle_blk_feature_not_negotiated(bool packed)
{
    struct bfix *f = bf_alloc(packed, 8);
    struct avps_blk_cfg c = bf_cfg(f);
    uint8_t d[16];
    struct rq r;

    bf_start(f, &c, ~(B(FLUSH) | B(CONFIG_WCE) | B(DISCARD) | B(WRITE_ZEROES) | B(LIFETIME) |
                      B(SECURE_ERASE)));
    dwz(d, 0, 8, 0);
    r = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    expect(f, 0, &r, ST_UNSUPP, 1);
    r = req_simple(f, T_DISCARD, 0, d, 16, 0);
    expect(f, 0, &r, ST_UNSUPP, 1);
    r = req_simple(f, T_WZ, 0, d, 16, 0);
    expect(f, 0, &r, ST_UNSUPP, 1);
    r = req_simple(f, T_ERASE, 0, d, 16, 0);
    expect(f, 0, &r, ST_UNSUPP, 1);
    r = req_simple(f, T_LT, 0, NULL, 0, 6);
    expect(f, 0, &r, ST_UNSUPP, 1);
    assert_int_equal(f->submits, 0);
    bf_free(f);
}
BOTH(test_mangle_blk_feature_not_negotiated)

/* A chain with more segments than a request object holds is returned with
 * length 0 (no status byte can be reached) and the queue goes on. */
static void test_mangle_blk_too_many_segments(bool packed)
{
    struct bfix *f = bf_alloc(packed, 256);
    struct avps_blk_cfg c = bf_cfg(f);
    static uint8_t rd[16 + (AVPS_BLK_CHAIN_SEGS + 1) * 512];
    static uint32_t rc[AVPS_BLK_CHAIN_SEGS + 1];
    struct rq r, ok;

    c.ios_per_queue = 4;
    bf_start(f, &c, ~B(SEG_MAX));
    put_hdr(rd, T_OUT, 0);
    for (unsigned int i = 0; i < AVPS_BLK_CHAIN_SEGS; i++)
        rc[i] = 16 + 8 * i;
    r = bq_add(f, 0, rd, 16 + 8 * AVPS_BLK_CHAIN_SEGS, rc, AVPS_BLK_CHAIN_SEGS, 1, NULL, 0);
    ok = req_simple(f, T_FLUSH, 0, NULL, 0, 0);
    (void)avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(used_len(f, 0, &r), 0);
    assert_int_equal(st_of(f, &r), 0xee);
    be_complete_all(f);
    assert_int_equal(used_len(f, 0, &ok), 1);
    assert_int_equal(avps_blk_stats(&f->blk)->dropped, 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    bf_free(f);
}
BOTH(test_mangle_blk_too_many_segments)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_2_6_write_then_read_split),
        cmocka_unit_test(test_5_2_6_write_then_read_packed),
        cmocka_unit_test(test_5_2_6_flush_split),
        cmocka_unit_test(test_5_2_6_flush_packed),
        cmocka_unit_test(test_5_2_6_get_id_split),
        cmocka_unit_test(test_5_2_6_get_id_packed),
        cmocka_unit_test(test_5_2_6_get_lifetime_split),
        cmocka_unit_test(test_5_2_6_get_lifetime_packed),
        cmocka_unit_test(test_5_2_6_discard_split),
        cmocka_unit_test(test_5_2_6_discard_packed),
        cmocka_unit_test(test_5_2_6_secure_erase_split),
        cmocka_unit_test(test_5_2_6_secure_erase_packed),
        cmocka_unit_test(test_5_2_6_2_write_zeroes_reads_zero_split),
        cmocka_unit_test(test_5_2_6_2_write_zeroes_reads_zero_packed),
        cmocka_unit_test(test_5_2_6_2_write_zeroes_no_unmap_when_not_allowed),
        cmocka_unit_test(test_5_2_6_any_layout_split),
        cmocka_unit_test(test_5_2_6_any_layout_packed),
        cmocka_unit_test(test_5_2_6_status_byte_alone_split),
        cmocka_unit_test(test_5_2_6_status_byte_alone_packed),
        cmocka_unit_test(test_blk_out_of_order_completion_split),
        cmocka_unit_test(test_blk_out_of_order_completion_packed),
        cmocka_unit_test(test_blk_slot_exhaustion_resume_split),
        cmocka_unit_test(test_blk_slot_exhaustion_resume_packed),
        cmocka_unit_test(test_blk_sync_backend_split),
        cmocka_unit_test(test_blk_sync_backend_packed),
        cmocka_unit_test(test_blk_backend_refuses_split),
        cmocka_unit_test(test_blk_backend_refuses_packed),
        cmocka_unit_test(test_blk_complete_contract),
        cmocka_unit_test(test_blk_device_reset_forgets_requests_split),
        cmocka_unit_test(test_blk_device_reset_forgets_requests_packed),
        cmocka_unit_test(test_blk_forget_drains_split),
        cmocka_unit_test(test_blk_forget_drains_packed),
        cmocka_unit_test(test_blk_queue_reset_generation_split),
        cmocka_unit_test(test_blk_queue_reset_generation_packed),
        cmocka_unit_test(test_5_2_2_multiqueue_split),
        cmocka_unit_test(test_5_2_2_multiqueue_packed),
        cmocka_unit_test(test_5_2_6_2_read_only_split),
        cmocka_unit_test(test_5_2_6_2_read_only_packed),
        cmocka_unit_test(test_5_2_6_2_read_only_not_accepted),
        cmocka_unit_test(test_5_2_6_2_unknown_type_unsupp_split),
        cmocka_unit_test(test_5_2_6_2_unknown_type_unsupp_packed),
        cmocka_unit_test(test_5_2_6_2_zone_requests_unsupp_split),
        cmocka_unit_test(test_5_2_6_2_zone_requests_unsupp_packed),
        cmocka_unit_test(test_5_2_6_2_flags_unsupp_split),
        cmocka_unit_test(test_5_2_6_2_flags_unsupp_packed),
        cmocka_unit_test(test_5_2_6_2_capacity_change_notifies_split),
        cmocka_unit_test(test_5_2_6_2_capacity_change_notifies_packed),
        cmocka_unit_test(test_5_2_6_2_stable_writes),
        cmocka_unit_test(test_5_2_6_2_lifetime_no_reserved_values),
        cmocka_unit_test(test_5_2_4_config_layout),
        cmocka_unit_test(test_5_2_5_2_padding_zero_and_no_zoned_split),
        cmocka_unit_test(test_5_2_5_2_padding_zero_and_no_zoned_packed),
        cmocka_unit_test(test_5_2_5_2_config_wce_needs_flush),
        cmocka_unit_test(test_5_2_5_2_writeback_zero_without_flush_split),
        cmocka_unit_test(test_5_2_5_2_writeback_zero_without_flush_packed),
        cmocka_unit_test(test_5_2_5_config_wce_toggle),
        cmocka_unit_test(test_blk_init_refuses_bad_config),
        cmocka_unit_test(test_5_2_6_1_data_not_sector_multiple_split),
        cmocka_unit_test(test_5_2_6_1_data_not_sector_multiple_packed),
        cmocka_unit_test(test_5_2_6_1_beyond_capacity_split),
        cmocka_unit_test(test_5_2_6_1_beyond_capacity_packed),
        cmocka_unit_test(test_5_2_6_1_flush_sector_zero_split),
        cmocka_unit_test(test_5_2_6_1_flush_sector_zero_packed),
        cmocka_unit_test(test_5_2_6_1_get_id_length_split),
        cmocka_unit_test(test_5_2_6_1_get_id_length_packed),
        cmocka_unit_test(test_5_2_6_1_range_data_shape_split),
        cmocka_unit_test(test_5_2_6_1_range_data_shape_packed),
        cmocka_unit_test(test_mangle_blk_range_limits_split),
        cmocka_unit_test(test_mangle_blk_range_limits_packed),
        cmocka_unit_test(test_mangle_blk_discard_tail_at_capacity),
        cmocka_unit_test(test_mangle_blk_seg_max_split),
        cmocka_unit_test(test_mangle_blk_seg_max_packed),
        cmocka_unit_test(test_mangle_blk_seg_max_not_negotiated),
        cmocka_unit_test(test_mangle_blk_size_max_split),
        cmocka_unit_test(test_mangle_blk_size_max_packed),
        cmocka_unit_test(test_mangle_blk_no_writable_byte_split),
        cmocka_unit_test(test_mangle_blk_no_writable_byte_packed),
        cmocka_unit_test(test_mangle_blk_header_short_split),
        cmocka_unit_test(test_mangle_blk_header_short_packed),
        cmocka_unit_test(test_mangle_blk_wrong_direction_split),
        cmocka_unit_test(test_mangle_blk_wrong_direction_packed),
        cmocka_unit_test(test_mangle_blk_feature_not_negotiated_split),
        cmocka_unit_test(test_mangle_blk_feature_not_negotiated_packed),
        cmocka_unit_test(test_mangle_blk_too_many_segments_split),
        cmocka_unit_test(test_mangle_blk_too_many_segments_packed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

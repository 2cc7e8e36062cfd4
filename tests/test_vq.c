/*
 * test_vq: the ring features of the split and packed virtqueue engines,
 * through the public API, against the spec-written guest driver (ringdrv).
 *
 * Test names carry the section of the normative clause they check. Numbers
 * are taken from the .tex ordering of the spec sources in /tmp/spec
 * (virtio-v1.4-cs01; these chapters number as in VIRTIO 1.2/1.3):
 *
 *   2.6.1      Virtqueue Reset (2.6.1.1.1 device: reset; 2.6.1.2.1 re-enable)
 *   2.7        Split Virtqueues (size a power of 2, at most 32768)
 *   2.7.5      The Virtqueue Descriptor Table (chains)
 *   2.7.5.3    Indirect Descriptors (2.7.5.3.1 driver, 2.7.5.3.2 device)
 *   2.7.6      The Virtqueue Available Ring (free-running idx)
 *   2.7.7      Used Buffer Notification Suppression (2.7.7.2 device)
 *   2.7.8      The Virtqueue Used Ring (2.7.8.2 device: len before idx)
 *   2.7.9      In-order use of descriptors
 *   2.7.10     Available Buffer Notification Suppression (2.7.10.2 device)
 *   2.8        Packed Virtqueues (size up to 2^15, any value)
 *   2.8.1      Driver and Device Ring Wrap Counters
 *   2.8.3      Write Flag
 *   2.8.6      Next Flag: Descriptor Chaining
 *   2.8.7      Indirect Flag: Scatter-Gather Support
 *   2.8.8      In-order use of descriptors
 *   2.8.9      Multi-buffer requests
 *   2.8.10     Driver and Device Event Suppression
 *   2.8.13     The Virtqueue Descriptor Format
 *   2.8.14     Event Suppression Structure Format
 *   2.8.19     Driver Requirements: Indirect Descriptors
 *   2.9        Driver Notifications (VIRTIO_F_NOTIFICATION_DATA)
 *   6 / 6.2    Reserved Feature Bits (ACCESS_PLATFORM; IN_ORDER device req)
 *
 * Note: in the .tex the packed subsections run 2.8.1 wrap counters,
 * 2.8.2 polling, 2.8.3 write flag, 2.8.4 address/length, 2.8.5
 * scatter-gather, 2.8.6 next flag, 2.8.7 indirect, 2.8.8 in-order,
 * 2.8.9 multi-buffer, 2.8.10 event suppression, so in-order is 2.8.8 (not
 * 2.8.9), multi-buffer 2.8.9 and event suppression 2.8.10.
 *
 * Behaviour the spec does not cover (save/restore, region boundaries,
 * unmapping, dirty logging, counters) is named test_vq_*.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vqfix.h"

#define MIB (1ull << 20)
#define PK_AVAIL AVPS_VRING_PACKED_DESC_F_AVAIL
#define PK_USED AVPS_VRING_PACKED_DESC_F_USED
#define EV_ENABLE AVPS_VRING_PACKED_EVENT_FLAG_ENABLE
#define EV_DISABLE AVPS_VRING_PACKED_EVENT_FLAG_DISABLE
#define EV_DESC AVPS_VRING_PACKED_EVENT_FLAG_DESC

/* ---- helpers ------------------------------------------------------------ */

/* Fixtures are static and tracked, and test memory comes from talloc(), so
 * that a failing test (cmocka longjmps out of it) leaks nothing: the
 * per-test teardown fx_cleanup() frees whatever is left. */
#define FX_MAX 4u
#define MEM_MAX 64u
static struct vqfix *g_fx[FX_MAX];
static void *g_mem[MEM_MAX];

static void fx_track(struct vqfix *f)
{
    for (unsigned int i = 0; i < FX_MAX; i++) {
        if (g_fx[i] == NULL) {
            g_fx[i] = f;
            return;
        }
    }
    fail_msg("too many fixtures");
}

static void fx_done(struct vqfix *f)
{
    vqfix_teardown(f);
    for (unsigned int i = 0; i < FX_MAX; i++) {
        if (g_fx[i] == f)
            g_fx[i] = NULL;
    }
}

static void *talloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    assert_non_null(p);
    for (unsigned int i = 0; i < MEM_MAX; i++) {
        if (g_mem[i] == NULL) {
            g_mem[i] = p;
            return p;
        }
    }
    free(p);
    fail_msg("too many allocations");
    return NULL;
}

static int fx_cleanup(void **s)
{
    (void)s;
    for (unsigned int i = 0; i < FX_MAX; i++) {
        if (g_fx[i] != NULL)
            vqfix_teardown(g_fx[i]);
        g_fx[i] = NULL;
    }
    for (unsigned int i = 0; i < MEM_MAX; i++) {
        free(g_mem[i]);
        g_mem[i] = NULL;
    }
    return 0;
}

static void setup_ex_ok(struct vqfix *f, bool packed, uint16_t size, uint64_t feat, bool enable)
{
    const int r = vqfix_setup_ex(f, packed, size, feat, enable);

    fx_track(f);
    assert_int_equal(r, 0);
}

static void setup_ok(struct vqfix *f, bool packed, uint16_t size, uint64_t feat)
{
    setup_ex_ok(f, packed, size, feat, true);
}

static void *gp(struct vqfix *f, uint64_t gpa, uint64_t len)
{
    void *p = avps_posix_ptr(&f->g, gpa, len);

    assert_non_null(p);
    return p;
}

static uint64_t galloc(struct vqfix *f, uint32_t len)
{
    uint64_t a = rd_alloc(&f->q, len);

    assert_true(a != 0);
    return a;
}

static struct rd_buf mkbuf(uint64_t gpa, uint32_t len, bool write)
{
    struct rd_buf b;

    b.gpa = gpa;
    b.len = len;
    b.write = write;
    return b;
}

/* A buffer of nrd readable then nwr writable descriptors of each bytes. */
static int add_chain(struct vqfix *f, unsigned int nrd, unsigned int nwr, uint32_t each,
                     unsigned int flags)
{
    struct rd_buf b[16];
    int id;

    assert_true(nrd + nwr <= 16u);
    for (unsigned int i = 0; i < nrd + nwr; i++)
        b[i] = mkbuf(galloc(f, each), each, i >= nrd);
    id = rd_add(&f->q, b, nrd + nwr, flags);
    assert_true(id >= 0);
    return id;
}

static int add_wr(struct vqfix *f, uint32_t wr)
{
    return add_chain(f, 0, 1, wr, 0);
}

static uint16_t pop_ok(struct vqfix *f)
{
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 1);
    return f->req.id;
}

static void expect_used(struct vqfix *f, int id, uint32_t len)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, len);
}

static void expect_no_used(struct vqfix *f)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->q, &d), 0);
    assert_int_equal(f->q.bad_used, 0);
}

static struct avps_vq_state save_ok(struct vqfix *f)
{
    struct avps_vq_state st;

    assert_int_equal(avps_vq_save(&f->vq, &st), AVPS_OK);
    return st;
}

static void assert_state_eq(const struct avps_vq_state *a, const struct avps_vq_state *b)
{
    assert_int_equal(a->last_avail, b->last_avail);
    assert_int_equal(a->used_idx, b->used_idx);
    assert_int_equal(a->avail_wrap, b->avail_wrap);
    assert_int_equal(a->used_wrap, b->used_wrap);
    assert_int_equal(a->inflight, b->inflight);
    assert_int_equal(a->first_seq, b->first_seq);
}

/* One buffer through the whole cycle; returns what avps_vq_notify said. */
static int roundtrip(struct vqfix *f, uint32_t len)
{
    int id = add_wr(f, 32);
    int r;

    assert_int_equal(pop_ok(f), id);
    assert_int_equal(avps_vq_push(&f->vq, (uint16_t)id, len), AVPS_OK);
    r = avps_vq_notify(&f->vq);
    expect_used(f, id, len);
    return r;
}

/* Split used ring element at ring slot s (device area + 4 + 8 s). */
static struct avps_vring_used_elem *used_elem(struct vqfix *f, uint16_t s)
{
    return (struct avps_vring_used_elem *)(void *)(f->q.device_p + 4) + s;
}

static void fill_used_sentinel(struct vqfix *f)
{
    for (uint32_t s = 0; s < f->q.size; s++) {
        used_elem(f, (uint16_t)s)->id = avps_to_le32(0xdeadbeefu);
        used_elem(f, (uint16_t)s)->len = avps_to_le32(0xdeadbeefu);
    }
}

static uint16_t pflags(struct vqfix *f, uint16_t pos)
{
    return avps_from_le16(rd_packed_desc(&f->q, pos)->flags);
}

/* §2.8.1: used means AVAIL and USED both equal the device wrap counter. */
static bool p_used(uint16_t fl, unsigned int wrap)
{
    const bool a = (fl & PK_AVAIL) != 0;
    const bool u = (fl & PK_USED) != 0;

    return a == (wrap != 0) && u == (wrap != 0);
}

/* Move a fresh, empty split queue (device and driver) to index idx, as a
 * migrated queue would be: ring memory, driver bookkeeping and device state. */
static void split_jump(struct vqfix *f, uint16_t idx)
{
    struct avps_vq_state st = save_ok(f);

    assert_int_equal(st.inflight, 0);
    f->q.avail_idx = idx;
    f->q.last_used = idx;
    rd_set_avail_idx(&f->q, idx);
    *(uint16_t *)(void *)(f->q.device_p + 2) = avps_cpu_to_le16_raw(idx);
    st.last_avail = idx;
    st.used_idx = idx;
    assert_int_equal(avps_vq_restore(&f->vq, &st), AVPS_OK);
    st = save_ok(f);
    assert_int_equal(st.last_avail, idx);
    assert_int_equal(st.used_idx, idx);
}

/* ---- a spy port: the posix port plus a dirty log and a write hook -------- */

#define SPY_MAX 256u

struct spy {
    struct avps_port_ops ops;
    const struct avps_port_ops *orig;
    uint64_t lo[SPY_MAX];
    uint64_t len[SPY_MAX];
    unsigned int n;
    void (*hook)(void);
};

static struct spy g_spy;
static struct vqfix *g_spy_f;

static void spy_dirty(void *ctx, uint64_t addr, uint64_t len)
{
    if (g_spy.n < SPY_MAX) {
        g_spy.lo[g_spy.n] = addr;
        g_spy.len[g_spy.n] = len;
    }
    g_spy.n++;
    if (g_spy.orig->dirty != NULL)
        g_spy.orig->dirty(ctx, addr, len);
    if (g_spy.hook != NULL)
        g_spy.hook();
}

static void spy_clean(void *ctx, const void *hva, uint64_t len)
{
    if (g_spy.orig->cache_clean != NULL)
        g_spy.orig->cache_clean(ctx, hva, len);
    if (g_spy.hook != NULL)
        g_spy.hook();
}

static void spy_install(struct vqfix *f, void (*hook)(void))
{
    memset(&g_spy, 0, sizeof g_spy);
    g_spy.orig = f->g.host.ops;
    g_spy.ops = *f->g.host.ops;
    g_spy.ops.dirty = spy_dirty;
    g_spy.ops.cache_clean = spy_clean;
    g_spy.hook = hook;
    g_spy_f = f;
    f->g.host.ops = &g_spy.ops;
}

static void spy_remove(struct vqfix *f)
{
    f->g.host.ops = g_spy.orig;
    g_spy.hook = NULL;
}

static bool spy_covers(uint64_t lo, uint64_t len)
{
    for (uint64_t a = lo; a < lo + len; a++) {
        bool hit = false;

        for (unsigned int i = 0; i < g_spy.n && i < SPY_MAX; i++) {
            if (a >= g_spy.lo[i] && a - g_spy.lo[i] < g_spy.len[i]) {
                hit = true;
                break;
            }
        }
        if (!hit)
            return false;
    }
    return true;
}

static uint64_t spy_bytes(void)
{
    uint64_t t = 0;

    for (unsigned int i = 0; i < g_spy.n && i < SPY_MAX; i++)
        t += g_spy.len[i];
    return t;
}

/* ======================================================================== */
/* 1. Queue sizes (§2.7, §2.8): fill and drain, chains of queue-size length */

/* in_order: complete in ring order under VIRTIO_F_IN_ORDER (used for size
 * 32768, where the test driver's out-of-order bookkeeping is O(n^2));
 * otherwise complete in reverse order. */
static void run_size(bool packed, uint16_t size, unsigned int fill_rounds,
                     unsigned int chain_rounds, bool in_order)
{
    static struct vqfix f;
    struct rd_buf one;
    struct rd_buf *chain;
    struct avps_vq_seg *seg;
    struct avps_vq_req req;
    uint16_t *ids;
    uint32_t nrd = size / 2u, rdl = 0, wrl = 0;
    uint64_t rbuf, wbuf;

    setup_ok(&f, packed, size, in_order ? F_BIT(IN_ORDER) : 0);
    one = mkbuf(galloc(&f, 64), 64, true);
    ids = talloc(size, sizeof *ids);
    for (unsigned int r = 0; r < fill_rounds; r++) {
        for (uint32_t i = 0; i < size; i++) {
            int id = rd_add(&f.q, &one, 1, 0);

            assert_true(id >= 0);
            ids[i] = (uint16_t)id;
        }
        assert_int_equal(rd_add(&f.q, &one, 1, 0), -1); /* the ring is full */
        for (uint32_t i = 0; i < size; i++) {
            assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
            assert_int_equal(f.req.id, ids[i]);
            assert_int_equal(f.req.n_wr, 1);
            assert_int_equal(f.req.wr_len, 64);
        }
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        if (in_order) {
            for (uint32_t i = 0; i < size; i++)
                assert_int_equal(avps_vq_push(&f.vq, ids[i], i % 65u), AVPS_OK);
            for (uint32_t i = 0; i < size; i++)
                expect_used(&f, ids[i], i % 65u);
        } else { /* out of order: the last first */
            for (uint32_t i = size; i-- > 0;)
                assert_int_equal(avps_vq_push(&f.vq, ids[i], i % 65u), AVPS_OK);
            for (uint32_t i = size; i-- > 0;)
                expect_used(&f, ids[i], i % 65u);
        }
        expect_no_used(&f);
    }

    /* A chain of exactly queue-size descriptors is legal (§2.7.5.3.1,
     * §2.8.17: not longer than the queue size). */
    chain = talloc(size, sizeof *chain);
    seg = talloc(size, sizeof *seg);
    rbuf = galloc(&f, 8);
    wbuf = galloc(&f, 8);
    for (uint32_t i = 0; i < size; i++) {
        chain[i] = mkbuf(i < nrd ? rbuf : wbuf, 1u + i % 8u, i >= nrd);
        if (i < nrd)
            rdl += chain[i].len;
        else
            wrl += chain[i].len;
    }
    memset(&req, 0, sizeof req);
    req.seg = seg;
    req.seg_max = size;
    for (unsigned int r = 0; r < chain_rounds; r++) {
        int id = rd_add(&f.q, chain, size, 0);

        assert_true(id >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &req), 1);
        assert_int_equal(req.id, id);
        assert_int_equal(req.n_rd, nrd);
        assert_int_equal(req.n_wr, size - nrd);
        assert_int_equal(req.rd_len, rdl);
        assert_int_equal(req.wr_len, wrl);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, wrl), AVPS_OK);
        expect_used(&f, id, wrl);
        /* and a single-descriptor buffer after it, in the next position */
        id = rd_add(&f.q, &one, 1, 0);
        assert_true(id >= 0);
        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 1), AVPS_OK);
        expect_used(&f, id, 1);
    }
    expect_no_used(&f);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
    fx_done(&f);
}

static void test_2_7_queue_sizes_split(void **s)
{
    (void)s;
    run_size(false, 1, 3, 3, false);
    run_size(false, 2, 3, 3, false);
    run_size(false, 256, 3, 3, false);
    run_size(false, 256, 2, 2, true);
    run_size(false, 32768, 2, 2, true);
}

static void test_2_8_queue_sizes_packed(void **s)
{
    (void)s;
    run_size(true, 1, 3, 3, false);
    run_size(true, 2, 3, 3, false);
    run_size(true, 3, 3, 3, false);
    run_size(true, 256, 3, 3, false);
    run_size(true, 1000, 3, 3, false);
    run_size(true, 1000, 2, 2, true);
    run_size(true, 32768, 2, 2, true);
}

/* §2.7: "Queue Size value is always a power of 2"; §2.8: "does not have to
 * be a power of 2". Size 0 is an API error in both. */
static void test_2_7_queue_size_power_of_two_split(void **s)
{
    static const uint16_t bad[] = {3, 1000, 32767};
    static struct vqfix f;
    struct avps_vq_ring ring;

    (void)s;
    for (unsigned int i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setup_ex_ok(&f, false, bad[i], 0, false);
        ring = rd_ring(&f.q);
        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
        assert_true(avps_vq_is_broken(&f.vq));
        assert_int_equal(f.broken_calls, 1);
        fx_done(&f);
    }
    for (int p = 0; p < 2; p++) {
        setup_ex_ok(&f, p != 0, 8, 0, false);
        ring = rd_ring(&f.q);
        ring.size = 0;
        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
        ring.size = 16; /* more than the slots */
        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
        assert_false(avps_vq_is_broken(&f.vq));
        fx_done(&f);
    }
    /* and the packed engine takes the same odd sizes */
    setup_ok(&f, true, 32767, 0);
    assert_int_equal(roundtrip(&f, 3), 1);
    fx_done(&f);
}

/* ======================================================================== */
/* 2. Index wrap                                                            */

/* §2.7.6/§2.7.8: avail and used idx are free-running 16-bit counters. More
 * than 65536 buffers through a size-4 queue, full ring each time, completed
 * out of order. With EVENT_IDX and used_event left at 0 (§2.7.7.2 note) the
 * device notifies after the first buffer and again when the entry with
 * index 65536 (mod 2^16 = 0) is written, and never otherwise. */
static void test_2_7_8_idx_wrap_65536_split(void **s)
{
    static struct vqfix f;
    struct rd_buf one;
    struct avps_vq_used used[4];
    struct avps_vq_state st;
    uint32_t total = 0;
    int ids[4];

    (void)s;
    setup_ok(&f, false, 4, F_BIT(EVENT_IDX));
    one = mkbuf(galloc(&f, 16), 16, true);
    for (uint32_t batch = 0; total < 70000u; batch++) {
        int r;

        for (int i = 0; i < 4; i++) {
            ids[i] = rd_add(&f.q, &one, 1, 0);
            assert_true(ids[i] >= 0);
        }
        for (int i = 0; i < 4; i++)
            assert_int_equal(pop_ok(&f), ids[i]);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        for (int i = 0; i < 4; i++) {
            used[i].id = (uint16_t)ids[3 - i];
            used[i].len = (total + (uint32_t)i) % 17u;
        }
        assert_int_equal(avps_vq_push_n(&f.vq, used, 4), AVPS_OK);
        assert_int_equal(rd_used_idx(&f.q), (uint16_t)(total + 4u));
        r = avps_vq_notify(&f.vq);
        if (r != (batch == 0u || batch == 16384u ? 1 : 0))
            fail_msg("batch %u: notify %d", batch, r);
        for (int i = 0; i < 4; i++)
            expect_used(&f, used[i].id, used[i].len);
        total += 4;
    }
    expect_no_used(&f);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 2);
    st = save_ok(&f);
    assert_int_equal(st.last_avail, (uint16_t)total);
    assert_int_equal(st.used_idx, (uint16_t)total);
    assert_int_equal(f.q.avail_idx, (uint16_t)total);
    assert_int_equal(avps_vq_stats(&f.vq)->pushed, total);
    fx_done(&f);
}

/* Same wrap, started next to it by save/restore: the device reads avail
 * entries at idx mod size across 65535 -> 0 and writes used idx likewise. */
static void test_2_7_6_idx_wrap_restore_split(void **s)
{
    static struct vqfix f;

    (void)s;
    setup_ok(&f, false, 4, 0);
    split_jump(&f, 65533);
    for (uint32_t k = 0; k < 7; k++) {
        int a = add_wr(&f, 8);
        int b = add_wr(&f, 8);

        assert_int_equal(pop_ok(&f), a);
        assert_int_equal(pop_ok(&f), b);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 2), AVPS_OK);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_OK);
        assert_int_equal(rd_used_idx(&f.q), (uint16_t)(65533u + 2u * (k + 1u)));
        /* the entries sit at ring slots (idx mod 4) */
        assert_int_equal(avps_from_le32(used_elem(&f, (uint16_t)((65533u + 2u * k) & 3u))->id), b);
        expect_used(&f, b, 2);
        expect_used(&f, a, 1);
    }
    expect_no_used(&f);
    fx_done(&f);
}

/* §2.8.1: wrap counters toggle at every lap, for many laps, on a queue of
 * non-power-of-two size, with lists of 1 and 2 descriptors crossing the end
 * of the ring and out-of-order completion. */
static void test_2_8_1_wrap_counters_many_laps_packed(void **s)
{
    static struct vqfix f;
    struct rd_buf b2[2], b1;
    uint32_t descs = 0, laps_seen = 0;
    uint8_t last_wrap = 1;

    (void)s;
    setup_ok(&f, true, 3, 0);
    b2[0] = mkbuf(galloc(&f, 8), 8, false);
    b2[1] = mkbuf(galloc(&f, 16), 16, true);
    b1 = mkbuf(galloc(&f, 16), 16, true);
    for (uint32_t k = 0; k < 3000u; k++) {
        const unsigned int na = (k % 2u) ? 2u : 1u;
        const int a = rd_add(&f.q, na == 2u ? b2 : &b1, na, 0);
        const int b = rd_add(&f.q, &b1, 1, 0);
        struct avps_vq_state st;

        assert_true(a >= 0 && b >= 0);
        assert_int_equal(pop_ok(&f), a);
        assert_int_equal(f.req.wr_len, 16);
        assert_int_equal(pop_ok(&f), b);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 7), AVPS_OK);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 9), AVPS_OK);
        expect_used(&f, b, 7);
        expect_used(&f, a, 9);
        descs += na + 1u;
        st = save_ok(&f);
        assert_int_equal(st.used_idx, descs % 3u);
        assert_int_equal(st.used_wrap, ((descs / 3u) & 1u) ? 0 : 1);
        assert_int_equal(st.last_avail, descs % 3u);
        assert_int_equal(st.avail_wrap, st.used_wrap);
        if (st.used_wrap != last_wrap)
            laps_seen++;
        last_wrap = st.used_wrap;
    }
    assert_true(laps_seen > 2000u);
    expect_no_used(&f);
    fx_done(&f);
}

/* §2.8.1 / §2.8.15: a descriptor is available only when AVAIL matches the
 * driver wrap counter and USED does not; zero-initialised (§2.8.13) or
 * used-looking descriptors, or last lap's encoding, are not available. */
static void test_2_8_1_avail_used_bits_packed(void **s)
{
    static struct vqfix f;
    struct avps_pvirtq_desc *d;
    int a, b;

    (void)s;
    setup_ok(&f, true, 2, 0);
    d = rd_packed_desc(&f.q, 0);
    d->addr = avps_to_le64(galloc(&f, 16));
    d->len = avps_to_le32(16);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0); /* zero flags */
    d->flags = avps_to_le16(PK_AVAIL | PK_USED);     /* looks used, wrap 1 */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    d->flags = avps_to_le16(PK_USED);                /* available in wrap 0 */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->popped, 0);

    /* one lap, then the device expects wrap 0 */
    a = add_wr(&f, 16);
    b = add_wr(&f, 16);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_OK);
    assert_true(p_used(pflags(&f, 0), 1));
    assert_int_equal(pflags(&f, 0) & (PK_AVAIL | PK_USED), PK_AVAIL | PK_USED);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 1), AVPS_OK);
    expect_used(&f, a, 1);
    expect_used(&f, b, 1);
    /* last lap's "available" encoding at position 0: not available now */
    d->flags = avps_to_le16(PK_AVAIL);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    d->flags = avps_to_le16(PK_AVAIL | PK_USED);
    a = add_wr(&f, 16);
    assert_int_equal(pflags(&f, 0) & (PK_AVAIL | PK_USED), PK_USED);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_OK);
    /* used in lap 2: both bits equal the device wrap counter, 0 */
    assert_int_equal(pflags(&f, 0) & (PK_AVAIL | PK_USED), 0);
    expect_used(&f, a, 1);
    expect_no_used(&f);
    fx_done(&f);
}

/* ======================================================================== */
/* Chains and used descriptors (§2.8.6, §2.8.3, §2.8.13)                    */

/* §2.8.6: the buffer id is in the last descriptor of a list; the device
 * writes one used descriptor per list, at the position it reached, then
 * skips forward by the list's length. §2.8.3: in a used descriptor WRITE
 * says whether anything was written. §2.8.13: field offsets. */
static void test_2_8_6_list_single_used_desc_packed(void **s)
{
    static struct vqfix f;
    struct avps_pvirtq_desc *d;
    int a, b, c;

    (void)s;
    setup_ok(&f, true, 8, 0);
    a = add_chain(&f, 1, 2, 8, 0); /* positions 0, 1, 2 */
    b = add_wr(&f, 8);             /* position 3 */
    /* only the last descriptor's id counts */
    rd_packed_desc(&f.q, 0)->id = avps_to_le16(0x1234);
    rd_packed_desc(&f.q, 1)->id = avps_to_le16(0x4321);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(f.req.wr_len, 16);
    assert_int_equal(pop_ok(&f), b);
    /* complete b first: its used descriptor goes to position 0 */
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 0), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 12), AVPS_OK);
    d = rd_packed_desc(&f.q, 0);
    assert_int_equal(avps_from_le16(d->id), b);
    assert_int_equal(avps_from_le32(d->len), 0);
    assert_true(p_used(avps_from_le16(d->flags), 1));
    assert_int_equal(avps_from_le16(d->flags) & AVPS_VRING_DESC_F_WRITE, 0);
    d = rd_packed_desc(&f.q, 1);
    assert_int_equal(avps_from_le16(d->id), a);
    assert_int_equal(avps_from_le32(d->len), 12);
    assert_true(p_used(avps_from_le16(d->flags), 1));
    assert_int_equal(avps_from_le16(d->flags) & AVPS_VRING_DESC_F_WRITE,
                     AVPS_VRING_DESC_F_WRITE);
    /* positions 2 and 3 are skipped, not written */
    assert_false(p_used(pflags(&f, 2), 1));
    assert_false(p_used(pflags(&f, 3), 1));
    assert_int_equal(save_ok(&f).used_idx, 4);
    expect_used(&f, b, 0);
    expect_used(&f, a, 12);
    c = add_wr(&f, 8);
    assert_int_equal(pop_ok(&f), c);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c, 8), AVPS_OK);
    assert_true(p_used(pflags(&f, 4), 1));
    assert_int_equal(avps_from_le16(rd_packed_desc(&f.q, 4)->id), c);
    expect_used(&f, c, 8);
    expect_no_used(&f);
    fx_done(&f);
}

/* §2.7.8.2: the device sets len (and id) before it updates used idx. Every
 * time the device writes shared memory the hook checks that each entry
 * below the published idx is already complete. */
static uint16_t li_base;
static uint32_t li_id[3], li_len[3];
static unsigned int li_bad, li_calls;

static void li_hook(void)
{
    struct vqfix *f = g_spy_f;
    const uint16_t idx = rd_used_idx(&f->q);

    li_calls++;
    for (uint16_t k = li_base; k != idx; k++) {
        const struct avps_vring_used_elem *e = used_elem(f, (uint16_t)(k & (f->q.size - 1u)));
        const uint16_t n = (uint16_t)(k - li_base);

        if (n >= 3u || avps_from_le32(e->id) != li_id[n] || avps_from_le32(e->len) != li_len[n])
            li_bad++;
    }
}

static void test_2_7_8_2_len_before_idx_split(void **s)
{
    static struct vqfix f;
    struct avps_vq_used u[3];
    int id[3];

    (void)s;
    setup_ok(&f, false, 8, 0);
    (void)roundtrip(&f, 1);
    fill_used_sentinel(&f);
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 32);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), id[i]);
    li_base = rd_used_idx(&f.q);
    for (int i = 0; i < 3; i++) {
        u[i].id = (uint16_t)id[2 - i];
        u[i].len = 10u + (uint32_t)i;
        li_id[i] = u[i].id;
        li_len[i] = u[i].len;
    }
    li_bad = 0;
    li_calls = 0;
    spy_install(&f, li_hook);
    assert_int_equal(avps_vq_push(&f.vq, u[0].id, u[0].len), AVPS_OK);
    assert_int_equal(avps_vq_push_n(&f.vq, &u[1], 2), AVPS_OK);
    spy_remove(&f);
    assert_true(li_calls > 0u);
    assert_int_equal(li_bad, 0);
    assert_int_equal(rd_used_idx(&f.q), (uint16_t)(li_base + 3u));
    for (int i = 0; i < 3; i++)
        expect_used(&f, u[i].id, u[i].len);
    expect_no_used(&f);
    fx_done(&f);
}

/* §2.8.9: a request made of several buffers (avps_vq_push_n) is published so
 * that the first buffer's used descriptor turns used only after the rest:
 * the driver never sees a partial request. Checked at every device write. */
static uint16_t mb_pos[3];
static unsigned int mb_bad, mb_calls;

static void mb_hook(void)
{
    struct vqfix *f = g_spy_f;

    mb_calls++;
    if (p_used(pflags(f, mb_pos[0]), 1) &&
        (!p_used(pflags(f, mb_pos[1]), 1) || !p_used(pflags(f, mb_pos[2]), 1)))
        mb_bad++;
}

static void test_2_8_9_multi_buffer_first_used_last_packed(void **s)
{
    static struct vqfix f;
    struct avps_vq_used u[3];
    int id[3];

    (void)s;
    setup_ok(&f, true, 8, 0);
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 32);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pop_ok(&f), id[i]);
        u[i].id = (uint16_t)id[i];
        u[i].len = 32;
        mb_pos[i] = (uint16_t)i;
    }
    mb_bad = 0;
    mb_calls = 0;
    spy_install(&f, mb_hook);
    assert_int_equal(avps_vq_push_n(&f.vq, u, 3), AVPS_OK);
    spy_remove(&f);
    assert_true(mb_calls > 0u);
    for (int i = 0; i < 3; i++)
        assert_true(p_used(pflags(&f, (uint16_t)i), 1));
    assert_int_equal(mb_bad, 0);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 32);
    expect_no_used(&f);
    fx_done(&f);
}

/* ======================================================================== */
/* 3. Indirect descriptors                                                  */

/* §2.7.5.3 / §2.8.7: buffers via indirect tables, mixed in one ring with
 * direct chains, in flight together; data reaches the right bytes. */
static void indirect_mixed(bool packed)
{
    static struct vqfix f;
    struct rd_buf b[3];
    uint8_t pat[32], got[32], out[32];

    setup_ok(&f, packed, 8, F_BIT(INDIRECT_DESC));
    b[0] = mkbuf(galloc(&f, 32), 32, false);
    b[1] = mkbuf(galloc(&f, 8), 8, true);
    b[2] = mkbuf(galloc(&f, 24), 24, true);
    for (int i = 0; i < 32; i++)
        pat[i] = (uint8_t)(0x40 + i);
    memcpy(gp(&f, b[0].gpa, 32), pat, 32);
    for (unsigned int k = 0; k < 40u; k++) {
        const int x = rd_add(&f.q, b, 3, (k % 2u) ? RD_INDIRECT : 0u);
        const int y = rd_add(&f.q, b, 3, (k % 2u) ? 0u : RD_INDIRECT);
        const int ids[2] = {x, y};

        assert_true(x >= 0 && y >= 0);
        for (int j = 0; j < 2; j++) {
            assert_int_equal(pop_ok(&f), ids[j]);
            assert_int_equal(f.req.n_rd, 1);
            assert_int_equal(f.req.n_wr, 2);
            assert_int_equal(f.req.rd_len, 32);
            assert_int_equal(f.req.wr_len, 32);
            assert_int_equal(f.req.seg[0].gpa, b[0].gpa);
            assert_int_equal(f.req.seg[1].gpa, b[1].gpa);
            assert_int_equal(f.req.seg[2].gpa, b[2].gpa);
            assert_int_equal(avps_vq_req_read(&f.req, 0, got, 32), 32);
            assert_memory_equal(got, pat, 32);
            memset(out, (int)(k * 2u + (unsigned int)j), sizeof out);
            assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, out, 32), 32);
            assert_memory_equal(gp(&f, b[1].gpa, 8), out, 8);
            assert_memory_equal(gp(&f, b[2].gpa, 24), out + 8, 24);
        }
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)y, 32), AVPS_OK);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)x, 30), AVPS_OK);
        expect_used(&f, y, 32);
        expect_used(&f, x, 30);
    }
    expect_no_used(&f);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
    fx_done(&f);
}

static void test_2_7_5_3_indirect_mixed_split(void **s) { (void)s; indirect_mixed(false); }
static void test_2_8_7_indirect_mixed_packed(void **s) { (void)s; indirect_mixed(true); }

/* §2.7.5.3.2: the device MUST handle zero or more direct descriptors
 * followed by one indirect descriptor, and MUST ignore the WRITE flag of
 * the descriptor that refers to the table (the table starts readable, so
 * honouring WRITE would break the readable-before-writable order). */
static void test_2_7_5_3_2_direct_then_indirect_split(void **s)
{
    (void)s;
    for (unsigned int ndirect = 0; ndirect <= 2u; ndirect++) {
        static struct vqfix f;
        struct rd_buf b[3];
        struct avps_vring_desc *t, *d;
        uint64_t r2, w, table;
        uint16_t di;
        int id;

        setup_ok(&f, false, 8, F_BIT(INDIRECT_DESC));
        r2 = galloc(&f, 8);
        w = galloc(&f, 64);
        table = galloc(&f, 32);
        t = gp(&f, table, 32);
        t[0].addr = avps_to_le64(r2);
        t[0].len = avps_to_le32(8);
        t[0].flags = avps_to_le16(AVPS_VRING_DESC_F_NEXT);
        t[0].next = avps_to_le16(1);
        t[1].addr = avps_to_le64(w);
        t[1].len = avps_to_le32(64);
        t[1].flags = avps_to_le16(AVPS_VRING_DESC_F_WRITE);
        t[1].next = avps_to_le16(0);
        for (unsigned int i = 0; i < ndirect; i++)
            b[i] = mkbuf(galloc(&f, 16), 16, false);
        b[ndirect] = mkbuf(table, 32, false);
        id = rd_add(&f.q, b, ndirect + 1u, RD_NO_PUBLISH);
        assert_true(id >= 0);
        di = (uint16_t)id;
        for (unsigned int i = 0; i < ndirect; i++)
            di = avps_from_le16(rd_split_desc(&f.q, di)->next);
        d = rd_split_desc(&f.q, di);
        d->flags = avps_to_le16(AVPS_VRING_DESC_F_INDIRECT | AVPS_VRING_DESC_F_WRITE);
        rd_publish(&f.q);

        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(f.req.n_rd, ndirect + 1u);
        assert_int_equal(f.req.n_wr, 1);
        assert_int_equal(f.req.rd_len, 16u * ndirect + 8u);
        assert_int_equal(f.req.wr_len, 64);
        for (unsigned int i = 0; i < ndirect; i++)
            assert_int_equal(f.req.seg[i].gpa, b[i].gpa);
        assert_int_equal(f.req.seg[ndirect].gpa, r2);
        assert_int_equal(f.req.seg[ndirect + 1u].gpa, w);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 64), AVPS_OK);
        expect_used(&f, id, 64);
        expect_no_used(&f);
        assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
        fx_done(&f);
    }
}

/* §2.8.7: in the descriptor with INDIRECT, WRITE is reserved and ignored;
 * in table entries only WRITE is valid, other flags and the buffer id are
 * reserved and ignored; the table is read sequentially. */
static void test_2_8_7_indirect_reserved_bits_ignored_packed(void **s)
{
    static struct vqfix f;
    struct avps_pvirtq_desc *t, *d;
    struct rd_buf b;
    uint64_t r, w1, w2, table;
    int id;

    (void)s;
    setup_ok(&f, true, 4, F_BIT(INDIRECT_DESC));
    r = galloc(&f, 8);
    w1 = galloc(&f, 64);
    w2 = galloc(&f, 16);
    table = galloc(&f, 48);
    t = gp(&f, table, 48);
    t[0].addr = avps_to_le64(r);
    t[0].len = avps_to_le32(8);
    t[0].id = avps_to_le16(0x7777); /* ids chosen so their bit 1 contradicts WRITE */
    t[0].flags = avps_to_le16(AVPS_VRING_DESC_F_NEXT | AVPS_VRING_DESC_F_INDIRECT | PK_AVAIL);
    t[1].addr = avps_to_le64(w1);
    t[1].len = avps_to_le32(64);
    t[1].id = avps_to_le16(0x5555);
    t[1].flags = avps_to_le16(AVPS_VRING_DESC_F_WRITE | AVPS_VRING_DESC_F_NEXT | PK_USED);
    t[2].addr = avps_to_le64(w2);
    t[2].len = avps_to_le32(16);
    t[2].id = avps_to_le16(4);
    t[2].flags = avps_to_le16(AVPS_VRING_DESC_F_WRITE);
    /* a writable direct descriptor, then turned into the table pointer */
    b = mkbuf(table, 48, true);
    id = rd_add(&f.q, &b, 1, 0);
    assert_true(id >= 0);
    d = rd_packed_desc(&f.q, 0);
    d->flags = avps_to_le16((uint16_t)(avps_from_le16(d->flags) | AVPS_VRING_DESC_F_INDIRECT));
    assert_true((avps_from_le16(d->flags) & AVPS_VRING_DESC_F_WRITE) != 0);

    assert_int_equal(pop_ok(&f), id);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(f.req.rd_len, 8);
    assert_int_equal(f.req.wr_len, 80);
    assert_int_equal(f.req.seg[0].gpa, r);
    assert_int_equal(f.req.seg[1].gpa, w1);
    assert_int_equal(f.req.seg[2].gpa, w2);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 80), AVPS_OK);
    expect_used(&f, id, 80);
    expect_no_used(&f);
    fx_done(&f);
}

/* §2.7.5.3.1: no INDIRECT within a table, not INDIRECT with NEXT. The
 * device returns such a chain with used length 0 and goes on. */
static void test_2_7_5_3_1_bad_indirect_dropped_split(void **s)
{
    static struct vqfix f;
    struct avps_vring_desc *t;
    struct rd_buf b;
    uint64_t table;
    int bad1, bad2, good;

    (void)s;
    setup_ok(&f, false, 8, F_BIT(INDIRECT_DESC));
    table = galloc(&f, 32);
    t = gp(&f, table, 32);
    t[0].addr = avps_to_le64(galloc(&f, 8));
    t[0].len = avps_to_le32(8);
    t[0].flags = avps_to_le16(AVPS_VRING_DESC_F_NEXT);
    t[0].next = avps_to_le16(1);
    t[1].addr = avps_to_le64(galloc(&f, 32));
    t[1].len = avps_to_le32(32);
    t[1].flags = avps_to_le16(AVPS_VRING_DESC_F_INDIRECT); /* nested */
    b = mkbuf(table, 32, false);
    bad1 = rd_add(&f.q, &b, 1, RD_NO_PUBLISH);
    assert_true(bad1 >= 0);
    rd_split_desc(&f.q, (uint16_t)bad1)->flags = avps_to_le16(AVPS_VRING_DESC_F_INDIRECT);
    bad2 = add_chain(&f, 1, 1, 8, RD_INDIRECT | RD_NO_PUBLISH);
    rd_split_desc(&f.q, (uint16_t)bad2)->flags =
        avps_to_le16(AVPS_VRING_DESC_F_INDIRECT | AVPS_VRING_DESC_F_NEXT);
    good = add_chain(&f, 1, 1, 8, RD_INDIRECT | RD_NO_PUBLISH);
    rd_publish(&f.q);
    assert_int_equal(pop_ok(&f), good);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 2);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], 2);
    expect_used(&f, bad1, 0);
    expect_used(&f, bad2, 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)good, 8), AVPS_OK);
    expect_used(&f, good, 8);
    assert_false(avps_vq_is_broken(&f.vq));
    fx_done(&f);
}

/* §2.7.5.3.1 / §2.8.19: INDIRECT without VIRTIO_F_INDIRECT_DESC is a
 * driver error: the chain comes back with length 0, the queue goes on. */
static void indirect_not_negotiated(bool packed)
{
    static struct vqfix f;
    int bad, good;

    setup_ok(&f, packed, 8, 0);
    bad = add_chain(&f, 1, 1, 8, RD_INDIRECT);
    good = add_chain(&f, 1, 1, 8, 0);
    assert_int_equal(pop_ok(&f), good);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 1);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], 1);
    expect_used(&f, bad, 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)good, 8), AVPS_OK);
    expect_used(&f, good, 8);
    assert_false(avps_vq_is_broken(&f.vq));
    fx_done(&f);
}

static void test_2_7_5_3_1_indirect_not_negotiated_split(void **s) { (void)s; indirect_not_negotiated(false); }
static void test_2_8_19_indirect_not_negotiated_packed(void **s) { (void)s; indirect_not_negotiated(true); }

/* ======================================================================== */
/* 4. Used buffer notification suppression                                  */

/* §2.7.7.2 without EVENT_IDX: flags 0 -> MUST notify, 1 -> SHOULD NOT;
 * used_event MUST be ignored. */
static void test_2_7_7_2_used_notification_flags_split(void **s)
{
    static struct vqfix f;

    (void)s;
    setup_ok(&f, false, 8, 0);
    rd_set_used_event(&f.q, 100); /* ignored without EVENT_IDX */
    for (int i = 0; i < 3; i++)
        assert_int_equal(roundtrip(&f, 4), 1);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 3);
    assert_int_equal(f.g.irqs, 3);
    assert_int_equal(f.g.last_vector, VQFIX_VECTOR);
    rd_set_no_interrupt(&f.q, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(roundtrip(&f, 4), 0);
    assert_int_equal(f.g.irqs, 3);
    rd_set_no_interrupt(&f.q, false);
    assert_int_equal(roundtrip(&f, 4), 1);
    assert_int_equal(f.g.irqs, 4);
    /* nothing pushed since: nothing to notify */
    assert_int_equal(avps_vq_notify(&f.vq), 0);
    assert_int_equal(f.g.irqs, 4);
    fx_done(&f);
}

/* §2.7.7.2 with EVENT_IDX: notify exactly when an entry is written at used
 * idx == used_event; the low bit of flags MUST be ignored. */
static void test_2_7_7_2_used_event_split(void **s)
{
    static struct vqfix f;
    struct avps_vq_used u[3];
    int id[3];

    (void)s;
    setup_ok(&f, false, 8, F_BIT(EVENT_IDX));
    rd_set_used_event(&f.q, 2);
    assert_int_equal(roundtrip(&f, 1), 0); /* placed at 0 */
    assert_int_equal(roundtrip(&f, 1), 0); /* 1 */
    assert_int_equal(roundtrip(&f, 1), 1); /* 2 == used_event */
    assert_int_equal(roundtrip(&f, 1), 0); /* 3 */
    rd_set_no_interrupt(&f.q, true);      /* flags 1: ignored */
    rd_set_used_event(&f.q, 4);
    assert_int_equal(roundtrip(&f, 1), 1); /* 4 */
    rd_set_no_interrupt(&f.q, false);
    /* a batch of three placed at 5, 6, 7 passes used_event 7 */
    rd_set_used_event(&f.q, 7);
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 8);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pop_ok(&f), id[i]);
        u[i].id = (uint16_t)id[i];
        u[i].len = 8;
    }
    assert_int_equal(avps_vq_push_n(&f.vq, u, 3), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 8);
    assert_int_equal(roundtrip(&f, 1), 0); /* 8: used_event 7 passed */
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 3);
    fx_done(&f);
}

/* §2.7.7.2 note: with used_event 0 the device notifies again once the used
 * idx wraps: the entry written at 65536 (== 0 mod 2^16). */
static void test_2_7_7_2_used_event_wrap_note_split(void **s)
{
    static struct vqfix f;

    (void)s;
    setup_ok(&f, false, 4, F_BIT(EVENT_IDX));
    rd_set_used_event(&f.q, 0);
    split_jump(&f, 65533);
    assert_int_equal(roundtrip(&f, 1), 0); /* placed at 65533 */
    assert_int_equal(roundtrip(&f, 1), 0); /* 65534 */
    assert_int_equal(roundtrip(&f, 1), 0); /* 65535 */
    assert_int_equal(roundtrip(&f, 1), 1); /* 65536 == 0 */
    assert_int_equal(rd_used_idx(&f.q), 1);
    assert_int_equal(roundtrip(&f, 1), 0); /* 1 */
    rd_set_used_event(&f.q, 65535);
    split_jump(&f, 65534);
    assert_int_equal(roundtrip(&f, 1), 0); /* 65534 */
    assert_int_equal(roundtrip(&f, 1), 1); /* 65535 */
    assert_int_equal(roundtrip(&f, 1), 0); /* 0 */
    assert_int_equal(f.g.irqs, 2);
    fx_done(&f);
}

/* §2.7.7.2 with EVENT_IDX: when more than 2^16 buffers were used since the last
 * decision, "did idx pass used_event" has no answer from 16-bit indices; the
 * device must then notify (a spurious notification is allowed, a lost one is not). */
static void test_2_7_7_2_used_event_window_over_65536_split(void **s)
{
    static struct vqfix f;
    struct rd_done d;

    (void)s;
    setup_ok(&f, false, 2, F_BIT(EVENT_IDX));
    for (uint32_t i = 0; i < 65537u; i++) {
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
        assert_int_equal(rd_get_used(&f.q, &d), 1);
    }
    /* 65537 used since the start: the 16-bit distance looks like 1, and
     * used_event (far from idx - 1) alone would say "no" */
    rd_set_used_event(&f.q, (uint16_t)(rd_used_idx(&f.q) + 100u));
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(f.g.irqs, 1);
    fx_done(&f);
}

/* §2.8.10 / §2.8.14 without EVENT_IDX: ENABLE -> notify, DISABLE -> not. */
static void test_2_8_14_driver_event_flags_packed(void **s)
{
    static struct vqfix f;

    (void)s;
    setup_ok(&f, true, 4, 0);
    rd_set_driver_event(&f.q, EV_ENABLE, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(roundtrip(&f, 4), 1);
    rd_set_driver_event(&f.q, EV_DISABLE, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(roundtrip(&f, 4), 0);
    rd_set_driver_event(&f.q, EV_ENABLE, 0, 0);
    assert_int_equal(roundtrip(&f, 4), 1);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 4);
    fx_done(&f);
}

/* §2.8.10 / §2.8.14 with EVENT_IDX: DESC with off/wrap triggers when the
 * descriptor at off is used while the device wrap counter equals wrap; an
 * event in the lap just finished (wrap differs after the device wrapped)
 * or covered by a batch or a list still triggers; one long passed does not. */
static void test_2_8_14_driver_event_desc_packed(void **s)
{
    static struct vqfix f;
    int id[3];

    (void)s;
    setup_ok(&f, true, 4, F_BIT(EVENT_IDX));
    rd_set_driver_event(&f.q, EV_DESC, 2, 1);
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 0, wrap 1 */
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 1 */
    assert_int_equal(roundtrip(&f, 1), 1); /* pos 2 == off, wrap 1 */
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 3; device wraps to 0 */
    rd_set_driver_event(&f.q, EV_DESC, 1, 0);
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 0, wrap 0 */
    assert_int_equal(roundtrip(&f, 1), 1); /* pos 1, wrap 0 */
    /* the event's lap ends with the batch that reaches it */
    rd_set_driver_event(&f.q, EV_DESC, 3, 0);
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 2 */
    assert_int_equal(roundtrip(&f, 1), 1); /* pos 3; device now wrap 1 */
    /* an event in the previous lap, long passed */
    rd_set_driver_event(&f.q, EV_DESC, 1, 0);
    assert_int_equal(roundtrip(&f, 1), 0); /* pos 0, wrap 1 */
    /* a batch at 1, 2, 3 covering the event at 2 */
    rd_set_driver_event(&f.q, EV_DESC, 2, 1);
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 8);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), id[i]);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[i], 8), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 8);
    /* a two-descriptor list at 0, 1 (wrap 0) with the event on its 2nd */
    rd_set_driver_event(&f.q, EV_DESC, 1, 0);
    id[0] = add_chain(&f, 1, 1, 8, 0);
    assert_int_equal(pop_ok(&f), id[0]);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[0], 8), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    expect_used(&f, id[0], 8);
    rd_set_driver_event(&f.q, EV_DISABLE, 0, 0);
    assert_int_equal(roundtrip(&f, 1), 0);
    rd_set_driver_event(&f.q, EV_ENABLE, 0, 0);
    assert_int_equal(roundtrip(&f, 1), 1);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 6);
    fx_done(&f);
}

/* ======================================================================== */
/* 4b. Available buffer notification suppression (device side)             */

/* §2.7.10.2 without EVENT_IDX: flags 1 asks for no notifications, 0 for
 * them; kick_enable reports buffers that arrived meanwhile. */
static void test_2_7_10_2_kick_flags_split(void **s)
{
    static struct vqfix f;
    uint16_t old;
    int a, b;

    (void)s;
    setup_ok(&f, false, 8, 0);
    assert_int_equal(rd_used_flags(&f.q), 0);
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    assert_int_equal(rd_used_flags(&f.q), AVPS_VRING_USED_F_NO_NOTIFY);
    old = f.q.avail_idx;
    a = add_wr(&f, 8);
    assert_false(rd_kick_needed(&f.q, old, 0));
    assert_int_equal(avps_vq_kick_enable(&f.vq), 1);
    assert_int_equal(rd_used_flags(&f.q), 0);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    assert_int_equal(rd_used_flags(&f.q), 0);
    old = f.q.avail_idx;
    b = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, old, 0));
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 0), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 0), AVPS_OK);
    expect_used(&f, a, 0);
    expect_used(&f, b, 0);
    fx_done(&f);
}

/* §2.7.10.2 with EVENT_IDX: flags MUST stay 0; avail_event names the next
 * avail entry the device has not seen, so the driver notifies for it. */
static void test_2_7_10_2_kick_event_idx_split(void **s)
{
    static struct vqfix f;
    uint16_t old;
    int a, b, c;

    (void)s;
    setup_ok(&f, false, 8, F_BIT(EVENT_IDX));
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    assert_int_equal(rd_used_flags(&f.q), 0);
    assert_int_equal(rd_avail_event(&f.q), 0);
    old = f.q.avail_idx;
    a = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, old, 0));
    /* the device took the notification and polls */
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    assert_int_equal(rd_used_flags(&f.q), 0);
    assert_int_equal(pop_ok(&f), a);
    old = f.q.avail_idx;
    b = add_wr(&f, 8);
    assert_false(rd_kick_needed(&f.q, old, 0));
    assert_int_equal(avps_vq_kick_enable(&f.vq), 1); /* b arrived meanwhile */
    assert_int_equal(rd_used_flags(&f.q), 0);
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    assert_int_equal(rd_avail_event(&f.q), f.q.avail_idx);
    assert_int_equal(rd_used_flags(&f.q), 0);
    old = f.q.avail_idx;
    c = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, old, 0));
    assert_int_equal(pop_ok(&f), c);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c, 0), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 0), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 0), AVPS_OK);
    expect_used(&f, c, 0);
    expect_used(&f, b, 0);
    expect_used(&f, a, 0);
    fx_done(&f);
}

/* §2.8.10 / §2.8.14, device event suppression written by the device. */
static void kick_packed(bool event_idx)
{
    static struct vqfix f;
    struct avps_pvirtq_event_suppress e;
    int id[4];

    setup_ok(&f, true, 4, event_idx ? F_BIT(EVENT_IDX) : 0);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), event_idx ? EV_DESC : EV_ENABLE);
    if (event_idx)
        assert_int_equal(avps_from_le16(e.off_wrap), 0x8000); /* pos 0, wrap 1 */
    id[0] = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, 0, 1));
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), EV_DISABLE);
    id[1] = add_wr(&f, 8);
    assert_false(rd_kick_needed(&f.q, 1, 1));
    assert_int_equal(avps_vq_kick_enable(&f.vq), 1);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), event_idx ? EV_DESC : EV_ENABLE);
    assert_int_equal(pop_ok(&f), id[0]);
    assert_int_equal(pop_ok(&f), id[1]);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    e = rd_device_event(&f.q);
    if (event_idx)
        assert_int_equal(avps_from_le16(e.off_wrap), 0x8002);
    /* two more wrap the driver: positions 2, 3, then wrap 0 */
    id[2] = add_wr(&f, 8);
    id[3] = add_wr(&f, 8);
    assert_int_equal(f.q.avail_wrap, 0);
    assert_true(rd_kick_needed(&f.q, 2, 1));
    assert_int_equal(pop_ok(&f), id[2]);
    assert_int_equal(pop_ok(&f), id[3]);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), event_idx ? EV_DESC : EV_ENABLE);
    if (event_idx)
        assert_int_equal(avps_from_le16(e.off_wrap), 0x0000); /* pos 0, wrap 0 */
    for (int i = 0; i < 4; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[i], 0), AVPS_OK);
    for (int i = 0; i < 4; i++)
        expect_used(&f, id[i], 0);
    /* and after the wrap the driver notifies for the next one */
    id[0] = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, 0, 0));
    assert_int_equal(pop_ok(&f), id[0]);
    fx_done(&f);
}

static void test_2_8_14_device_event_flags_packed(void **s) { (void)s; kick_packed(false); }
/* §2.8: the Device Event Suppression structure is written by the device
 * only, so the device must not trust its initial contents: after enable it
 * asks for notifications (ENABLE, or DESC at position 0 wrap 1). */
static void device_event_init(bool event_idx)
{
    static struct vqfix f;
    struct avps_vq_ring ring;
    struct avps_pvirtq_event_suppress e;
    int id;

    setup_ex_ok(&f, true, 4, event_idx ? F_BIT(EVENT_IDX) : 0, false);
    e.off_wrap = avps_to_le16(0x1234);
    e.flags = avps_to_le16(EV_DISABLE);
    memcpy(f.q.device_p, &e, sizeof e);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), event_idx ? EV_DESC : EV_ENABLE);
    if (event_idx)
        assert_int_equal(avps_from_le16(e.off_wrap), 0x8000);
    id = add_wr(&f, 8);
    assert_true(rd_kick_needed(&f.q, 0, 1));
    assert_int_equal(pop_ok(&f), id);
    fx_done(&f);
}

static void test_2_8_10_device_event_initialised_packed(void **s)
{
    (void)s;
    device_event_init(false);
    device_event_init(true);
}

/* §2.7.10.2 with EVENT_IDX: a pop that finds the ring empty leaves
 * avail_event at the next entry, so the driver's next buffer is notified. */
static void test_2_7_10_2_empty_pop_rearms_split(void **s)
{
    static struct vqfix f;
    uint16_t old;
    int id;

    (void)s;
    setup_ok(&f, false, 8, F_BIT(EVENT_IDX));
    for (int k = 0; k < 3; k++) {
        id = add_wr(&f, 8);
        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        assert_int_equal(rd_avail_event(&f.q), f.q.avail_idx);
        old = f.q.avail_idx;
        id = add_wr(&f, 8);
        assert_true(rd_kick_needed(&f.q, old, 0));
        assert_int_equal(pop_ok(&f), id);
    }
    fx_done(&f);
}
static void test_2_8_14_device_event_desc_packed(void **s) { (void)s; kick_packed(true); }

/* ======================================================================== */
/* 5. IN_ORDER (§2.7.9, §2.8.8; 6.2)                                        */

struct io_bufs {
    int id[4];
    uint32_t wr[4];
    uint16_t nd[4];
};

/* A: 1 rd + 1 wr (2 descs, 16), B: 1 wr (32), C: 2 rd + 1 wr (3, 8), D: 1 wr (64). */
static void io_add(struct vqfix *f, struct io_bufs *b)
{
    b->id[0] = add_chain(f, 1, 1, 16, 0);
    b->id[1] = add_chain(f, 0, 1, 32, 0);
    b->id[2] = add_chain(f, 2, 1, 8, 0);
    b->id[3] = add_chain(f, 0, 1, 64, 0);
    b->wr[0] = 16;
    b->wr[1] = 32;
    b->wr[2] = 8;
    b->wr[3] = 64;
    b->nd[0] = 2;
    b->nd[1] = 1;
    b->nd[2] = 3;
    b->nd[3] = 1;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pop_ok(f), b->id[i]);
        assert_int_equal(f->req.wr_len, b->wr[i]);
    }
}

/* All but the last used completely: ONE used entry, with the last id, where
 * the first buffer's entry goes; the index (split) or position (packed)
 * moves by the whole batch; the driver gets every buffer back. */
static void in_order_batch(bool packed)
{
    static struct vqfix f;
    struct io_bufs b;
    struct avps_vq_used u[4];
    struct avps_vq_state st;
    uint16_t used0;

    setup_ok(&f, packed, 16, F_BIT(IN_ORDER));
    (void)roundtrip(&f, 3); /* start off position 0 */
    if (!packed)
        fill_used_sentinel(&f);
    io_add(&f, &b);
    st = save_ok(&f);
    used0 = st.used_idx;
    for (int i = 0; i < 4; i++) {
        u[i].id = (uint16_t)b.id[i];
        u[i].len = i == 3 ? 10u : b.wr[i];
    }
    assert_int_equal(avps_vq_push_n(&f.vq, u, 4), AVPS_OK);
    if (!packed) {
        assert_int_equal(rd_used_idx(&f.q), (uint16_t)(used0 + 4u));
        assert_int_equal(avps_from_le32(used_elem(&f, used0 & 15u)->id), b.id[3]);
        assert_int_equal(avps_from_le32(used_elem(&f, used0 & 15u)->len), 10);
        for (uint16_t k = 1; k < 4; k++)
            assert_int_equal(avps_from_le32(used_elem(&f, (uint16_t)((used0 + k) & 15u))->id),
                             0xdeadbeefu);
    } else {
        struct avps_pvirtq_desc *d = rd_packed_desc(&f.q, used0);

        assert_true(p_used(avps_from_le16(d->flags), 1));
        assert_int_equal(avps_from_le16(d->id), b.id[3]);
        assert_int_equal(avps_from_le32(d->len), 10);
        for (uint16_t k = 1; k < 7; k++)
            assert_false(p_used(pflags(&f, (uint16_t)(used0 + k)), 1));
        assert_int_equal(save_ok(&f).used_idx, used0 + 7u);
    }
    for (int i = 0; i < 4; i++)
        expect_used(&f, b.id[i], u[i].len);
    expect_no_used(&f);
    assert_int_equal(avps_vq_stats(&f.vq)->pushed, 5);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    /* and the ring goes on after the batch */
    assert_int_equal(roundtrip(&f, 5), 1);
    fx_done(&f);
}

static void test_2_7_9_in_order_batch_single_used_split(void **s) { (void)s; in_order_batch(false); }
static void test_2_8_8_in_order_batch_single_used_packed(void **s) { (void)s; in_order_batch(true); }

/* A buffer in the middle with len < its writable size was not used
 * completely, so it cannot be skipped: the batch splits after it. */
static void in_order_partial(bool packed)
{
    static struct vqfix f;
    struct io_bufs b;
    struct avps_vq_used u[4];
    uint16_t used0;

    setup_ok(&f, packed, 16, F_BIT(IN_ORDER));
    (void)roundtrip(&f, 3);
    if (!packed)
        fill_used_sentinel(&f);
    io_add(&f, &b);
    used0 = save_ok(&f).used_idx;
    for (int i = 0; i < 4; i++) {
        u[i].id = (uint16_t)b.id[i];
        u[i].len = b.wr[i];
    }
    u[1].len = 5; /* B partial */
    assert_int_equal(avps_vq_push_n(&f.vq, u, 4), AVPS_OK);
    if (!packed) {
        assert_int_equal(rd_used_idx(&f.q), (uint16_t)(used0 + 4u));
        assert_int_equal(avps_from_le32(used_elem(&f, used0 & 15u)->id), b.id[1]);
        assert_int_equal(avps_from_le32(used_elem(&f, used0 & 15u)->len), 5);
        assert_int_equal(avps_from_le32(used_elem(&f, (used0 + 1u) & 15u)->id), 0xdeadbeefu);
        assert_int_equal(avps_from_le32(used_elem(&f, (used0 + 2u) & 15u)->id), b.id[3]);
        assert_int_equal(avps_from_le32(used_elem(&f, (used0 + 2u) & 15u)->len), 64);
        assert_int_equal(avps_from_le32(used_elem(&f, (used0 + 3u) & 15u)->id), 0xdeadbeefu);
    } else {
        struct avps_pvirtq_desc *d = rd_packed_desc(&f.q, used0);

        assert_true(p_used(avps_from_le16(d->flags), 1));
        assert_int_equal(avps_from_le16(d->id), b.id[1]);
        assert_int_equal(avps_from_le32(d->len), 5);
        d = rd_packed_desc(&f.q, (uint16_t)(used0 + 3u)); /* C's first */
        assert_true(p_used(avps_from_le16(d->flags), 1));
        assert_int_equal(avps_from_le16(d->id), b.id[3]);
        assert_int_equal(avps_from_le32(d->len), 64);
        assert_false(p_used(pflags(&f, (uint16_t)(used0 + 1u)), 1));
        assert_false(p_used(pflags(&f, (uint16_t)(used0 + 2u)), 1));
        assert_false(p_used(pflags(&f, (uint16_t)(used0 + 4u)), 1));
        assert_false(p_used(pflags(&f, (uint16_t)(used0 + 5u)), 1));
        assert_false(p_used(pflags(&f, (uint16_t)(used0 + 6u)), 1));
        assert_int_equal(save_ok(&f).used_idx, used0 + 7u);
    }
    for (int i = 0; i < 4; i++)
        expect_used(&f, b.id[i], u[i].len);
    expect_no_used(&f);
    fx_done(&f);
}

static void test_2_7_9_in_order_partial_breaks_run_split(void **s) { (void)s; in_order_partial(false); }
static void test_2_8_8_in_order_partial_breaks_run_packed(void **s) { (void)s; in_order_partial(true); }

/* 6.2: with IN_ORDER the device MUST use buffers in the order made
 * available: an out-of-order push is refused and writes nothing. */
static void in_order_refused(bool packed)
{
    static struct vqfix f;
    struct avps_vq_used u[2];
    struct avps_vq_state st0, st1;
    uint8_t *snap;
    size_t area;
    int a, b;

    setup_ok(&f, packed, 8, F_BIT(IN_ORDER));
    a = add_wr(&f, 16);
    b = add_wr(&f, 16);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    st0 = save_ok(&f);
    area = packed ? 16u * 8u : (size_t)AVPS_VRING_USED_BYTES(8);
    snap = talloc(1, area);
    memcpy(snap, packed ? f.q.desc_p : f.q.device_p, area);
    f.g.dirty_calls = 0;

    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 16), AVPS_E_INVAL);
    u[0].id = (uint16_t)b;
    u[0].len = 16;
    u[1].id = (uint16_t)a;
    u[1].len = 16;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL);
    u[0].id = (uint16_t)a; /* a twice */
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 17), AVPS_E_INVAL); /* > wr_len */

    assert_memory_equal(snap, packed ? f.q.desc_p : f.q.device_p, area);
    assert_int_equal(f.g.dirty_calls, 0);
    st1 = save_ok(&f);
    assert_state_eq(&st0, &st1);
    assert_int_equal(avps_vq_stats(&f.vq)->pushed, 0);
    assert_false(avps_vq_is_broken(&f.vq));
    expect_no_used(&f);

    u[0].id = (uint16_t)a;
    u[1].id = (uint16_t)b;
    u[1].len = 7;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_OK);
    expect_used(&f, a, 16);
    expect_used(&f, b, 7);
    expect_no_used(&f);
    fx_done(&f);
}

static void test_6_2_in_order_out_of_order_refused_split(void **s) { (void)s; in_order_refused(false); }
static void test_6_2_in_order_out_of_order_refused_packed(void **s) { (void)s; in_order_refused(true); }

/* Without IN_ORDER: a batch with an entry not in flight, too long, or
 * repeated is refused whole and writes nothing; a refused batch leaves no
 * trace, so the same buffers then go back normally. */
static void push_n_bad_batch(bool packed)
{
    static struct vqfix f;
    struct avps_vq_used u[3];
    struct avps_vq_state st0, st1;
    uint8_t *snap;
    size_t area;
    int a, b;

    setup_ok(&f, packed, 8, 0);
    a = add_wr(&f, 16);
    b = add_wr(&f, 16);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    st0 = save_ok(&f);
    area = packed ? 16u * 8u : (size_t)AVPS_VRING_USED_BYTES(8);
    snap = talloc(1, area);
    memcpy(snap, packed ? f.q.desc_p : f.q.device_p, area);
    f.g.dirty_calls = 0;
    u[0].id = (uint16_t)a;
    u[0].len = 16;
    u[1].id = (uint16_t)b;
    u[1].len = 16;
    u[2].id = (uint16_t)a; /* a twice */
    u[2].len = 1;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 3), AVPS_E_INVAL); /* more than in flight */
    u[2].len = 17;
    assert_int_equal(avps_vq_push_n(&f.vq, &u[2], 1), AVPS_E_INVAL); /* too long */
    u[1].id = (uint16_t)a;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL); /* a, a */
    u[1].id = (uint16_t)b;
    u[1].len = 17;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL); /* b too long */
    u[1].len = 16;
    u[1].id = 7;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL); /* 7 not in flight */
    u[1].id = 8;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL); /* 8 >= size */
    assert_memory_equal(snap, packed ? f.q.desc_p : f.q.device_p, area);
    assert_int_equal(f.g.dirty_calls, 0);
    st1 = save_ok(&f);
    assert_state_eq(&st0, &st1);
    assert_int_equal(avps_vq_stats(&f.vq)->pushed, 0);
    expect_no_used(&f);
    u[1].id = (uint16_t)b;
    u[1].len = 3;
    assert_int_equal(avps_vq_push_n(&f.vq, &u[1], 1), AVPS_OK);
    assert_int_equal(avps_vq_push_n(&f.vq, u, 1), AVPS_OK);
    expect_used(&f, b, 3);
    expect_used(&f, a, 16);
    expect_no_used(&f);
    fx_done(&f);
}

static void test_vq_push_n_bad_batch_split(void **s) { (void)s; push_n_bad_batch(false); }
static void test_vq_push_n_bad_batch_packed(void **s) { (void)s; push_n_bad_batch(true); }

/* ======================================================================== */
/* 6. NOTIFICATION_DATA (§2.9)                                              */

static uint32_t nd_packed(uint16_t q, uint16_t off, unsigned int wrap)
{
    return (uint32_t)q | ((uint32_t)(off & 0x7fffu) << 16) | ((uint32_t)(wrap & 1u) << 31);
}

/* Split: next_off is the low 15 bits, next_wrap bit 15 of the avail idx. */
static uint32_t nd_split(uint16_t q, uint16_t idx)
{
    return nd_packed(q, (uint16_t)(idx & 0x7fffu), idx >> 15);
}

static void nd_bad(struct vqfix *f, uint32_t value, uint64_t reports)
{
    assert_int_equal(avps_vq_notify_data(&f->vq, value), AVPS_E_GUEST_INDEX);
    assert_int_equal(f->g.reports[AVPS_EV_NOTIFY_DATA], reports);
    assert_int_equal(f->g.last_report_b, value);
    assert_true(avps_vq_ready(&f->vq));
    assert_false(avps_vq_is_broken(&f->vq));
    assert_int_equal(f->broken_calls, 0);
}

static void test_2_9_notification_data_split(void **s)
{
    static struct vqfix f;
    int a, b, c[3];

    (void)s;
    setup_ok(&f, false, 8, F_BIT(NOTIFICATION_DATA));
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 0)), 0);
    a = add_wr(&f, 8);
    b = add_wr(&f, 8);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 2)), 1);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 2)), 0);
    /* a notification older than what was consumed is not an error */
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 1)), 0);
    assert_int_equal(f.g.reports[AVPS_EV_NOTIFY_DATA], 0);
    nd_bad(&f, nd_split(VQFIX_QINDEX - 1u, 2), 1);      /* another queue */
    nd_bad(&f, nd_split(VQFIX_QINDEX, 2 + 8 + 1), 2);   /* beyond a full ring */
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 1), AVPS_OK);
    expect_used(&f, a, 1);
    expect_used(&f, b, 1);
    /* next_wrap is bit 15 of the index */
    split_jump(&f, 0x7ffe);
    for (int i = 0; i < 3; i++)
        c[i] = add_wr(&f, 8);
    assert_int_equal(f.q.avail_idx, 0x8001);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 0x8001)), 1);
    assert_int_equal(nd_split(VQFIX_QINDEX, 0x8001) >> 31, 1);
    nd_bad(&f, nd_split(VQFIX_QINDEX, 0x0001), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), c[i]);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_split(VQFIX_QINDEX, 0x8001)), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c[i], 2), AVPS_OK);
    for (int i = 0; i < 3; i++)
        expect_used(&f, c[i], 2);
    assert_int_equal(roundtrip(&f, 1), 1);
    fx_done(&f);
}

static void test_2_9_notification_data_packed(void **s)
{
    static struct vqfix f;
    int id[3];

    (void)s;
    setup_ok(&f, true, 4, F_BIT(NOTIFICATION_DATA));
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 0, 1)), 0);
    id[0] = add_wr(&f, 8);
    id[1] = add_wr(&f, 8);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 2, 1)), 1);
    assert_int_equal(pop_ok(&f), id[0]);
    assert_int_equal(pop_ok(&f), id[1]);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 2, 1)), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[i], 1), AVPS_OK);
    for (int i = 0; i < 2; i++)
        expect_used(&f, id[i], 1);
    /* positions 2, 3, 0: the driver wraps, next is (1, wrap 0) */
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 8);
    assert_int_equal(f.q.next_avail, 1);
    assert_int_equal(f.q.avail_wrap, 0);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 1, 0)), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), id[i]);
    assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 1, 0)), 0);
    nd_bad(&f, nd_packed(VQFIX_QINDEX + 1u, 1, 0), 1); /* another queue */
    nd_bad(&f, nd_packed(VQFIX_QINDEX, 4, 0), 2);      /* off >= size */
    nd_bad(&f, nd_packed(VQFIX_QINDEX, 0x7fff, 1), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[i], 1), AVPS_OK);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 1);
    assert_int_equal(roundtrip(&f, 1), 1);
    fx_done(&f);
}

static void test_2_9_notification_data_not_negotiated(void **s)
{
    static struct vqfix f;

    (void)s;
    for (int p = 0; p < 2; p++) {
        setup_ok(&f, p != 0, 8, 0);
        assert_int_equal(avps_vq_notify_data(&f.vq, nd_packed(VQFIX_QINDEX, 0, 1)), AVPS_E_INVAL);
        assert_int_equal(avps_posix_report_total(&f.g), 0);
        assert_int_equal(roundtrip(&f, 1), 1);
        fx_done(&f);
    }
}

/* ======================================================================== */
/* 7. RING_RESET (§2.6.1)                                                   */

/* §2.6.1.1.1: after a queue reset the device executes nothing and notifies
 * nothing, and resets the available and used state; §2.6.1.2.1: on
 * re-enable it observes the new configuration (address, size). */
static void ring_reset(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;
    struct avps_vq_state st;
    uint64_t feat;
    uint8_t *snap, *old;
    int a, b, c;

    setup_ok(&f, packed, 8, F_BIT(RING_RESET));
    a = add_wr(&f, 16);
    b = add_wr(&f, 16);
    c = add_wr(&f, 16);
    (void)c;
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 4), AVPS_OK); /* not yet notified */
    expect_used(&f, b, 4);
    old = gp(&f, VQFIX_RING_GPA, 4096);
    snap = talloc(1, 4096);
    memcpy(snap, old, 4096);

    avps_vq_reset(&f.vq);
    assert_false(avps_vq_ready(&f.vq));
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_E_STATE);
    assert_int_equal(avps_vq_notify(&f.vq), AVPS_E_STATE);
    assert_int_equal(avps_vq_kick_enable(&f.vq), AVPS_E_STATE);
    assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_E_STATE);
    assert_int_equal(f.g.irqs, 0);
    assert_memory_equal(snap, old, 4096);

    /* re-enable: a new ring elsewhere, a smaller size */
    feat = f.q.features;
    rd_fini(&f.q);
    assert_int_equal(rd_init(&f.q, &f.g, packed, 4, feat, 0x400000, 12 * MIB, 4 * MIB), 0);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    st = save_ok(&f);
    assert_int_equal(st.last_avail, 0);
    assert_int_equal(st.used_idx, 0);
    assert_int_equal(st.inflight, 0);
    assert_int_equal(st.avail_wrap, 1);
    assert_int_equal(st.used_wrap, 1);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_E_INVAL); /* forgotten */
    for (int k = 0; k < 6; k++) {
        const int id = add_chain(&f, 1, 1, 8, 0);

        assert_int_equal(pop_ok(&f), id);
        if (k == 0)
            assert_int_equal(id, 0); /* starts at index / position 0 */
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 8), AVPS_OK);
        assert_int_equal(avps_vq_notify(&f.vq), 1);
        expect_used(&f, id, 8);
    }
    expect_no_used(&f);
    assert_memory_equal(snap, old, 4096); /* the old ring stays untouched */

    /* a reset also clears the broken state: break the queue first */
    (void)add_wr(&f, 8);
    if (packed)
        rd_packed_desc(&f.q, rd_last_head(&f.q))->id = avps_to_le16(100); /* id >= size */
    else
        rd_set_avail_idx(&f.q, (uint16_t)(f.q.avail_idx + 100u)); /* index jump */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    avps_vq_reset(&f.vq);
    assert_false(avps_vq_is_broken(&f.vq));
    rd_fini(&f.q);
    assert_int_equal(rd_init(&f.q, &f.g, packed, 8, feat, 0x600000, 12 * MIB, 4 * MIB), 0);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    assert_int_equal(roundtrip(&f, 2), 1);
    fx_done(&f);
}

static void test_2_6_1_ring_reset_reenable_split(void **s) { (void)s; ring_reset(false); }
static void test_2_6_1_ring_reset_reenable_packed(void **s) { (void)s; ring_reset(true); }

/* ======================================================================== */
/* 8. ACCESS_PLATFORM (chapter 6): ring and buffer addresses are IOVAs      */

#define IOVA_OFF (1ull << 40)

static void access_platform(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;
    struct rd_buf b[2];
    uint64_t rbuf, wbuf;
    uint8_t pat[16], got[16];
    int id, bad;

    setup_ex_ok(&f, packed, 8,
                                    F_BIT(ACCESS_PLATFORM) | F_BIT(INDIRECT_DESC), false);
    f.g.require_iova = true;
    f.g.iova_offset = IOVA_OFF;
    ring = rd_ring(&f.q);
    /* the GPAs themselves do not translate for this port */
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
    avps_vq_reset(&f.vq);
    ring.desc += IOVA_OFF;
    ring.driver += IOVA_OFF;
    ring.device += IOVA_OFF;
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);

    rbuf = galloc(&f, 16);
    wbuf = galloc(&f, 32);
    for (int i = 0; i < 16; i++)
        pat[i] = (uint8_t)(0x90 + i);
    memcpy(gp(&f, rbuf, 16), pat, 16);
    b[0] = mkbuf(rbuf + IOVA_OFF, 16, false);
    b[1] = mkbuf(wbuf + IOVA_OFF, 32, true);
    for (int k = 0; k < 2; k++) {
        id = rd_add(&f.q, b, 2, k ? RD_INDIRECT : 0u);
        assert_true(id >= 0);
        if (k) { /* the driver wrote the table's GPA: make it an IOVA */
            if (packed) {
                struct avps_pvirtq_desc *d = rd_packed_desc(&f.q, rd_last_head(&f.q));

                d->addr = avps_to_le64(avps_from_le64(d->addr) + IOVA_OFF);
            } else {
                struct avps_vring_desc *d = rd_split_desc(&f.q, (uint16_t)id);

                d->addr = avps_to_le64(avps_from_le64(d->addr) + IOVA_OFF);
            }
        }
        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(f.req.n_rd, 1);
        assert_int_equal(f.req.n_wr, 1);
        assert_ptr_equal(f.req.seg[0].base, gp(&f, rbuf, 16));
        assert_ptr_equal(f.req.seg[1].base, gp(&f, wbuf, 32));
        assert_int_equal(avps_vq_req_read(&f.req, 0, got, 16), 16);
        assert_memory_equal(got, pat, 16);
        assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, "iova!", 5), 5);
        assert_memory_equal(gp(&f, wbuf, 5), "iova!", 5);
        memset(gp(&f, wbuf, 5), 0, 5);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 5), AVPS_OK);
        assert_int_equal(avps_vq_notify(&f.vq), 1);
        expect_used(&f, id, 5); /* used ring written through the IOVA */
    }
    /* a plain GPA in a descriptor does not translate: chain dropped */
    b[0].gpa = rbuf;
    bad = rd_add(&f.q, b, 2, 0);
    assert_true(bad >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 1);
    assert_true(f.g.reports[AVPS_EV_GUEST_RANGE] >= 1u);
    expect_used(&f, bad, 0);
    assert_false(avps_vq_is_broken(&f.vq));
    fx_done(&f);
}

static void test_6_access_platform_iova_split(void **s) { (void)s; access_platform(false); }
static void test_6_access_platform_iova_packed(void **s) { (void)s; access_platform(true); }

/* Without the feature the device uses GPAs, which an IOVA-only port refuses;
 * with it, a GPA-only port refuses the IOVA access. */
static void access_platform_refused(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;

    setup_ex_ok(&f, packed, 8, 0, false);
    f.g.require_iova = true;
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_true(f.g.map_refusals >= 1u);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    avps_vq_reset(&f.vq);
    f.g.require_iova = false;
    ring.features |= F_BIT(ACCESS_PLATFORM);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
    assert_int_equal(f.broken_calls, 2);
    avps_vq_reset(&f.vq);
    ring.features &= ~F_BIT(ACCESS_PLATFORM);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    assert_int_equal(roundtrip(&f, 1), 1);
    fx_done(&f);
}

static void test_6_access_platform_required_split(void **s) { (void)s; access_platform_refused(false); }
static void test_6_access_platform_required_packed(void **s) { (void)s; access_platform_refused(true); }

/* ======================================================================== */
/* 9. Save / restore                                                        */

static void reset_enable_same_ring(struct vqfix *f)
{
    struct avps_vq_ring ring = rd_ring(&f->q);

    avps_vq_reset(&f->vq);
    assert_int_equal(avps_vq_enable(&f->vq, &ring), AVPS_OK);
}

/* Saved indices plus the caller's slots continue exactly: the in-flight
 * buffers pushed after restore reach the driver, the next pop is the next
 * buffer. */
static void save_restore(bool packed, bool in_order)
{
    static struct vqfix f;
    struct avps_vq_state st, st2;
    struct avps_vq_slot slots[8];
    int a, b, c, d;

    setup_ok(&f, packed, 8, in_order ? F_BIT(IN_ORDER) : 0);
    (void)roundtrip(&f, 1);
    a = add_wr(&f, 16);
    b = add_chain(&f, 1, 1, 16, 0);
    c = add_wr(&f, 16);
    d = add_wr(&f, 16);
    assert_int_equal(pop_ok(&f), a);
    assert_int_equal(pop_ok(&f), b);
    assert_int_equal(pop_ok(&f), c);
    if (in_order) {
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 3), AVPS_OK);
        expect_used(&f, a, 3);
    } else {
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 3), AVPS_OK);
        expect_used(&f, b, 3);
    }
    st = save_ok(&f);
    assert_int_equal(st.inflight, 2);
    memcpy(slots, f.slots, sizeof slots);

    reset_enable_same_ring(&f);
    memcpy(f.slots, slots, sizeof slots);
    assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_OK);
    st2 = save_ok(&f);
    assert_state_eq(&st, &st2);

    if (in_order) {
        /* the order survives: c before b is refused */
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c, 1), AVPS_E_INVAL);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 16), AVPS_OK);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c, 5), AVPS_OK);
        expect_used(&f, b, 16);
        expect_used(&f, c, 5);
    } else {
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)c, 5), AVPS_OK);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 16), AVPS_OK);
        expect_used(&f, c, 5);
        expect_used(&f, a, 16);
    }
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(pop_ok(&f), d);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)d, 2), AVPS_OK);
    expect_used(&f, d, 2);
    expect_no_used(&f);
    assert_int_equal(rd_outstanding(&f.q), 0);
    assert_int_equal(roundtrip(&f, 1), 1);
    fx_done(&f);
}

static void test_vq_save_restore_continues_split(void **s)
{
    (void)s;
    save_restore(false, false);
    save_restore(false, true);
}

static void test_vq_save_restore_continues_packed(void **s)
{
    (void)s;
    save_restore(true, false);
    save_restore(true, true);
}

/* Inconsistent saved states are refused and change nothing. */
static void restore_rejects(bool packed)
{
    static struct vqfix f;
    struct avps_vq_state good, fresh, st;
    struct avps_vq_slot slots[8];
    int id[3];

    setup_ok(&f, packed, 8, F_BIT(IN_ORDER));
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 16);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), id[i]);
    good = save_ok(&f);
    memcpy(slots, f.slots, sizeof slots);
    reset_enable_same_ring(&f);
    fresh = save_ok(&f);

#define BAD_CASE(stmt)                                                      \
    do {                                                                    \
        struct avps_vq_state now;                                           \
        memcpy(f.slots, slots, sizeof slots);                               \
        st = good;                                                          \
        stmt;                                                               \
        assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_E_GUEST_STATE);  \
        now = save_ok(&f);                                                  \
        assert_state_eq(&now, &fresh);                                      \
        assert_false(avps_vq_is_broken(&f.vq));                             \
    } while (0)

    BAD_CASE(st.inflight = 2);                         /* slots say 3 */
    BAD_CASE(st.inflight = 9);                         /* above the size */
    BAD_CASE(f.slots[id[1]].ndesc = 0);                /* one slot missing */
    BAD_CASE(f.slots[7].ndesc = 1);                    /* one slot extra */
    BAD_CASE(f.slots[id[0]].seq = f.slots[id[1]].seq); /* in-order seq twice */
    BAD_CASE(f.slots[id[2]].seq = (uint16_t)(good.first_seq + 3u)); /* outside */
    BAD_CASE(f.slots[id[0]].ndesc = 9);                /* more than the size */
    if (packed) {
        /* each of these is otherwise consistent (3 entries in flight),
         * so only the range checks can refuse it */
        BAD_CASE(st.last_avail = 11; st.used_idx = 8);  /* positions >= size */
        BAD_CASE(st.last_avail = 9; st.used_idx = 6);
        BAD_CASE(st.avail_wrap = 2; st.used_wrap = 2); /* wrap > 1 */
        BAD_CASE(st.last_avail = 0; st.used_idx = 5; st.avail_wrap = 0; st.used_wrap = 2);
        BAD_CASE(st.last_avail = 0; st.used_idx = 5; st.avail_wrap = 2; st.used_wrap = 1);
        BAD_CASE(st.used_idx = 1);     /* positions hold 2 entries, slots 3 */
        BAD_CASE(f.slots[id[0]].ndesc = 2);
        BAD_CASE(st.avail_wrap = 0);   /* avail a lap ahead of used */
    } else {
        BAD_CASE(f.slots[id[0]].ndesc = 2); /* split: one entry per buffer */
        BAD_CASE(st.last_avail = 4);         /* 4 taken, 0 used, 3 in flight */
        BAD_CASE(st.used_idx = 65535);
    }
#undef BAD_CASE

    memcpy(f.slots, slots, sizeof slots);
    assert_int_equal(avps_vq_restore(&f.vq, &good), AVPS_OK);
    st = save_ok(&f);
    assert_state_eq(&st, &good);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[i], 16), AVPS_OK);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 16);
    expect_no_used(&f);
    fx_done(&f);
}

static void test_vq_restore_rejects_inconsistent_split(void **s) { (void)s; restore_rejects(false); }
static void test_vq_restore_rejects_inconsistent_packed(void **s) { (void)s; restore_rejects(true); }

/* ======================================================================== */
/* 10. Region boundaries, segment caps, unmapping                           */

static void region_cross(bool packed)
{
    static struct vqfix f;
    struct rd_buf b[2], w;
    const uint64_t edge = VQFIX_MEM;
    uint8_t pat[10], got[10], out[50];
    int id1, id2;

    setup_ok(&f, packed, 8, 0);
    assert_int_equal(avps_posix_add_region(&f.g, edge, MIB), 0);
    for (int i = 0; i < 10; i++)
        pat[i] = (uint8_t)(0x30 + i);
    for (int i = 0; i < 10; i++)
        *(uint8_t *)gp(&f, edge - 6 + (uint64_t)i, 1) = pat[i];
    b[0] = mkbuf(edge - 6, 10, false);
    b[1] = mkbuf(edge + 0x100, 20, true);
    w = mkbuf(edge - 40, 50, true);
    id1 = rd_add(&f.q, b, 2, 0);
    id2 = rd_add(&f.q, &w, 1, 0);
    assert_true(id1 >= 0 && id2 >= 0);

    assert_int_equal(pop_ok(&f), id1);
    assert_int_equal(f.req.n_rd, 2);
    assert_int_equal(f.req.n_wr, 1);
    assert_int_equal(f.req.rd_len, 10);
    assert_int_equal(f.req.seg[0].len, 6);
    assert_int_equal(f.req.seg[0].gpa, edge - 6);
    assert_ptr_equal(f.req.seg[0].base, gp(&f, edge - 6, 6));
    assert_int_equal(f.req.seg[1].len, 4);
    assert_int_equal(f.req.seg[1].gpa, edge);
    assert_ptr_equal(f.req.seg[1].base, gp(&f, edge, 4));
    assert_int_equal(f.req.seg[2].len, 20);
    assert_int_equal(avps_vq_req_read(&f.req, 0, got, 10), 10);
    assert_memory_equal(got, pat, 10);
    assert_int_equal(avps_vq_req_read(&f.req, 4, got, 4), 4);
    assert_memory_equal(got, pat + 4, 4);

    assert_int_equal(pop_ok(&f), id2);
    assert_int_equal(f.req.n_rd, 0);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(f.req.wr_len, 50);
    assert_int_equal(f.req.seg[0].len, 40);
    assert_int_equal(f.req.seg[0].gpa, edge - 40);
    assert_int_equal(f.req.seg[1].len, 10);
    assert_int_equal(f.req.seg[1].gpa, edge);
    assert_ptr_equal(f.req.seg[1].base, gp(&f, edge, 10));
    for (int i = 0; i < 50; i++)
        out[i] = (uint8_t)(0xc0 + i);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, out, 50), 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(*(uint8_t *)gp(&f, edge - 40 + (uint64_t)i, 1), out[i]);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id2, 50), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id1, 0), AVPS_OK);
    expect_used(&f, id2, 50);
    expect_used(&f, id1, 0);
    expect_no_used(&f);
    fx_done(&f);
}

static void test_vq_region_boundary_two_segments_split(void **s) { (void)s; region_cross(false); }
static void test_vq_region_boundary_two_segments_packed(void **s) { (void)s; region_cross(true); }

/* A port that maps at most 7 bytes at a time: every buffer becomes 7-byte
 * segments (direct and via an indirect table that itself is read in
 * pieces), and reads and writes stream across them. */
static void max_span(bool packed)
{
    static const uint32_t rd_seg[] = {7, 7, 6};
    static const uint32_t wr_seg[] = {7, 7, 7, 7, 2};
    static struct vqfix f;
    struct rd_buf b[2];
    uint8_t pat[20], got[20], out[30], zero[3] = {0, 0, 0};

    setup_ok(&f, packed, 8, F_BIT(INDIRECT_DESC));
    f.g.max_span = 7;
    b[0] = mkbuf(galloc(&f, 20), 20, false);
    b[1] = mkbuf(galloc(&f, 30), 30, true);
    for (int i = 0; i < 20; i++)
        pat[i] = (uint8_t)(i + 1);
    memcpy(gp(&f, b[0].gpa, 20), pat, 20);
    for (int i = 0; i < 30; i++)
        out[i] = (uint8_t)(0x80 + i);
    for (int k = 0; k < 2; k++) {
        const int id = rd_add(&f.q, b, 2, k ? RD_INDIRECT : 0u);

        assert_true(id >= 0);
        memset(gp(&f, b[1].gpa, 30), 0, 30);
        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(f.req.n_rd, 3);
        assert_int_equal(f.req.n_wr, 5);
        assert_int_equal(f.req.rd_len, 20);
        assert_int_equal(f.req.wr_len, 30);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(f.req.seg[i].len, rd_seg[i]);
            assert_int_equal(f.req.seg[i].gpa, b[0].gpa + 7u * (uint64_t)i);
        }
        for (int i = 0; i < 5; i++) {
            assert_int_equal(f.req.seg[3 + i].len, wr_seg[i]);
            assert_int_equal(f.req.seg[3 + i].gpa, b[1].gpa + 7u * (uint64_t)i);
        }
        assert_int_equal(avps_vq_req_read(&f.req, 0, got, 20), 20);
        assert_memory_equal(got, pat, 20);
        assert_int_equal(avps_vq_req_read(&f.req, 5, got, 10), 10);
        assert_memory_equal(got, pat + 5, 10);
        assert_int_equal(avps_vq_req_read(&f.req, 15, got, 10), 5);
        assert_memory_equal(got, pat + 15, 5);
        assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 3, out, 25), 25);
        assert_memory_equal(gp(&f, b[1].gpa, 3), zero, 3);
        assert_memory_equal((uint8_t *)gp(&f, b[1].gpa, 30) + 3, out, 25);
        assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 28, out, 10), 2);
        assert_memory_equal((uint8_t *)gp(&f, b[1].gpa, 30) + 28, out, 2);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 30), AVPS_OK);
        expect_used(&f, id, 30);
    }
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
    fx_done(&f);
}

static void test_vq_max_span_7_split(void **s) { (void)s; max_span(false); }
static void test_vq_max_span_7_packed(void **s) { (void)s; max_span(true); }

/* A port with unmap: segments stay mapped until avps_vq_req_unmap, which
 * unmaps each; reset unmaps the three ring areas; maps and unmaps balance. */
static void unmap_counts(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;
    uint64_t u0;
    int id, bad;

    setup_ex_ok(&f, packed, 8, F_BIT(INDIRECT_DESC), false);
    avps_posix_set_unmap(&f.g, true);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    assert_int_equal(f.g.maps, 3);
    assert_int_equal(f.g.unmaps, 0);
    f.g.max_span = 7;
    for (int k = 0; k < 2; k++) {
        id = add_chain(&f, 1, 1, 20, k ? RD_INDIRECT : 0u); /* 3 + 3 segments */
        u0 = f.g.unmaps;
        assert_int_equal(pop_ok(&f), id);
        assert_int_equal(f.req.n_rd + f.req.n_wr, 6);
        if (!k)
            assert_int_equal(f.g.unmaps, u0); /* still mapped */
        u0 = f.g.unmaps;
        avps_vq_req_unmap(&f.vq, &f.req);
        assert_int_equal(f.g.unmaps, u0 + 6u);
        assert_int_equal(f.req.n_rd, 0);
        assert_int_equal(f.req.n_wr, 0);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
        expect_used(&f, id, 0);
    }
    /* a dropped chain gives back what it mapped */
    {
        struct rd_buf b[2];

        b[0] = mkbuf(galloc(&f, 20), 20, true);
        b[1] = mkbuf(galloc(&f, 20), 20, false); /* readable after writable */
        bad = rd_add(&f.q, b, 2, 0);
        assert_true(bad >= 0);
    }
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    expect_used(&f, bad, 0);
    assert_int_equal(f.g.maps, f.g.unmaps + 3u); /* only the rings remain */
    u0 = f.g.unmaps;
    avps_vq_reset(&f.vq);
    assert_int_equal(f.g.unmaps, u0 + 3u);
    avps_vq_reset(&f.vq);
    assert_int_equal(f.g.unmaps, u0 + 3u);
    assert_int_equal(f.g.maps, f.g.unmaps);
    fx_done(&f);
}

static void test_vq_unmap_segments_and_rings_split(void **s) { (void)s; unmap_counts(false); }
static void test_vq_unmap_segments_and_rings_packed(void **s) { (void)s; unmap_counts(true); }

/* ======================================================================== */
/* 11. Dirty logging                                                        */

static void dirty_log(bool packed)
{
    static struct vqfix f;
    struct rd_buf b[2];
    struct avps_vq_req r2;
    struct avps_vq_seg seg2[4];
    struct avps_vq_used u[2];
    int a, c;

    setup_ok(&f, packed, 8, 0);
    a = add_wr(&f, 64);
    b[0] = mkbuf(galloc(&f, 4), 4, true);
    b[1] = mkbuf(galloc(&f, 8), 8, true);
    c = rd_add(&f.q, b, 2, 0);
    assert_true(c >= 0);
    assert_int_equal(pop_ok(&f), a);
    memset(&r2, 0, sizeof r2);
    r2.seg = seg2;
    r2.seg_max = 4;
    assert_int_equal(avps_vq_pop(&f.vq, &r2), 1);
    assert_int_equal(r2.id, c);

    spy_install(&f, NULL);
    f.g.dirty_calls = 0;
    f.g.dirty_bytes = 0;
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 10, "hello", 5), 5);
    assert_int_equal(f.g.dirty_bytes, 5);
    assert_int_equal(g_spy.n, 1);
    assert_int_equal(g_spy.lo[0], f.req.seg[0].gpa + 10u);
    assert_int_equal(g_spy.len[0], 5);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 60, "abcdefgh", 8), 4);
    assert_int_equal(f.g.dirty_bytes, 9);
    g_spy.n = 0;
    f.g.dirty_bytes = 0;
    assert_int_equal(avps_vq_req_write(&f.vq, &r2, 2, "0123456789", 10), 10);
    assert_int_equal(f.g.dirty_bytes, 10);
    assert_int_equal(g_spy.n, 2);
    assert_true(spy_covers(b[0].gpa + 2u, 2));
    assert_true(spy_covers(b[1].gpa, 8));
    assert_false(spy_covers(b[0].gpa, 1));

    /* the used ring (split: element and idx; packed: id, len, flags) */
    g_spy.n = 0;
    f.g.dirty_calls = 0;
    u[0].id = (uint16_t)c;
    u[0].len = 10;
    u[1].id = (uint16_t)a;
    u[1].len = 9;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_OK);
    assert_true(f.g.dirty_calls >= 1u);
    if (!packed) {
        assert_true(spy_covers(f.q.device + 2u, 2));         /* idx */
        assert_true(spy_covers(f.q.device + 4u, 16));        /* elements 0, 1 */
    } else {
        assert_true(spy_covers(f.q.desc + 8u, 8));           /* position 0 */
        assert_true(spy_covers(f.q.desc + 32u + 8u, 8));     /* position 2 */
    }
    assert_true(spy_bytes() <= 64u); /* no more than the entries around them */
    spy_remove(&f);
    expect_used(&f, c, 10);
    expect_used(&f, a, 9);
    fx_done(&f);
}

static void test_vq_dirty_log_split(void **s) { (void)s; dirty_log(false); }
static void test_vq_dirty_log_packed(void **s) { (void)s; dirty_log(true); }

/* ======================================================================== */
/* 12. Counters                                                             */

static void stats(bool packed)
{
    static struct vqfix f;
    const struct avps_vq_stats *st;
    struct rd_buf b[2];
    int id[3], bad;

    setup_ok(&f, packed, 8, 0);
    st = avps_vq_stats(&f.vq);
    for (int i = 0; i < 3; i++)
        id[i] = add_wr(&f, 8);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pop_ok(&f), id[i]);
    assert_int_equal(st->popped, 3);
    assert_int_equal(st->pushed, 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[0], 1), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[1], 1), AVPS_OK);
    assert_int_equal(st->pushed, 2);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(st->notified, 1);
    assert_int_equal(st->suppressed, 0);
    if (packed)
        rd_set_driver_event(&f.q, EV_DISABLE, 0, 0);
    else
        rd_set_no_interrupt(&f.q, true);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id[2], 1), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 0);
    assert_int_equal(st->notified, 1);
    assert_int_equal(st->suppressed, 1);
    assert_int_equal(avps_vq_notify(&f.vq), 0); /* nothing new: no decision */
    assert_int_equal(st->suppressed, 1);
    for (int i = 0; i < 3; i++)
        expect_used(&f, id[i], 1);
    b[0] = mkbuf(galloc(&f, 8), 8, true);
    b[1] = mkbuf(galloc(&f, 8), 8, false);
    bad = rd_add(&f.q, b, 2, 0);
    assert_true(bad >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    expect_used(&f, bad, 0);
    assert_int_equal(st->popped, 3);
    assert_int_equal(st->pushed, 3);
    assert_int_equal(st->dropped, 1);
    assert_int_equal(st->guest_errors, 1);
    assert_int_equal(f.g.irqs, 1);
    fx_done(&f);
}

static void test_vq_stats_split(void **s) { (void)s; stats(false); }
static void test_vq_stats_packed(void **s) { (void)s; stats(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* 1. sizes */
        cmocka_unit_test_teardown(test_2_7_queue_sizes_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_queue_sizes_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_queue_size_power_of_two_split, fx_cleanup),
        /* 2. wrap */
        cmocka_unit_test_teardown(test_2_7_8_idx_wrap_65536_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_6_idx_wrap_restore_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_1_wrap_counters_many_laps_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_1_avail_used_bits_packed, fx_cleanup),
        /* chains, used entries */
        cmocka_unit_test_teardown(test_2_8_6_list_single_used_desc_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_8_2_len_before_idx_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_9_multi_buffer_first_used_last_packed, fx_cleanup),
        /* 3. indirect */
        cmocka_unit_test_teardown(test_2_7_5_3_indirect_mixed_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_7_indirect_mixed_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_5_3_2_direct_then_indirect_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_7_indirect_reserved_bits_ignored_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_5_3_1_bad_indirect_dropped_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_5_3_1_indirect_not_negotiated_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_19_indirect_not_negotiated_packed, fx_cleanup),
        /* 4. notification suppression */
        cmocka_unit_test_teardown(test_2_7_7_2_used_notification_flags_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_7_2_used_event_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_7_2_used_event_wrap_note_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_7_2_used_event_window_over_65536_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_14_driver_event_flags_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_14_driver_event_desc_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_10_2_kick_flags_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_10_2_kick_event_idx_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_14_device_event_flags_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_14_device_event_desc_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_10_device_event_initialised_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_10_2_empty_pop_rearms_split, fx_cleanup),
        /* 5. in order */
        cmocka_unit_test_teardown(test_2_7_9_in_order_batch_single_used_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_8_in_order_batch_single_used_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_7_9_in_order_partial_breaks_run_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_8_8_in_order_partial_breaks_run_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_6_2_in_order_out_of_order_refused_split, fx_cleanup),
        cmocka_unit_test_teardown(test_6_2_in_order_out_of_order_refused_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_push_n_bad_batch_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_push_n_bad_batch_packed, fx_cleanup),
        /* 6. notification data */
        cmocka_unit_test_teardown(test_2_9_notification_data_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_9_notification_data_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_2_9_notification_data_not_negotiated, fx_cleanup),
        /* 7. ring reset */
        cmocka_unit_test_teardown(test_2_6_1_ring_reset_reenable_split, fx_cleanup),
        cmocka_unit_test_teardown(test_2_6_1_ring_reset_reenable_packed, fx_cleanup),
        /* 8. access platform */
        cmocka_unit_test_teardown(test_6_access_platform_iova_split, fx_cleanup),
        cmocka_unit_test_teardown(test_6_access_platform_iova_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_6_access_platform_required_split, fx_cleanup),
        cmocka_unit_test_teardown(test_6_access_platform_required_packed, fx_cleanup),
        /* 9. save / restore */
        cmocka_unit_test_teardown(test_vq_save_restore_continues_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_save_restore_continues_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_restore_rejects_inconsistent_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_restore_rejects_inconsistent_packed, fx_cleanup),
        /* 10. regions */
        cmocka_unit_test_teardown(test_vq_region_boundary_two_segments_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_region_boundary_two_segments_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_max_span_7_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_max_span_7_packed, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_unmap_segments_and_rings_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_unmap_segments_and_rings_packed, fx_cleanup),
        /* 11. dirty logging */
        cmocka_unit_test_teardown(test_vq_dirty_log_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_dirty_log_packed, fx_cleanup),
        /* 12. counters */
        cmocka_unit_test_teardown(test_vq_stats_split, fx_cleanup),
        cmocka_unit_test_teardown(test_vq_stats_packed, fx_cleanup),
    };
    if (getenv("TEST_VQ_FILTER") != NULL) /* e.g. TEST_VQ_FILTER='*packed' */
        cmocka_set_test_filter(getenv("TEST_VQ_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

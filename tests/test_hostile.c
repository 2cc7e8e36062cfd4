/*
 * Hostile-driver tests for the virtqueue engines (DESIGN.md §6, HOSTILE.md,
 * STYLE.md rule 18): each test builds a valid request, mangles one field,
 * and checks the exact return code, the broken state, the broken hook, the
 * report counts by event and, for a dropped chain, what the driver sees in
 * the used ring. Split and packed layouts where the class applies.
 *
 * Fixtures are static in each test so that a failed assertion (cmocka
 * longjmps out) leaves them reachable rather than reported as leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vqfix.h"

#define QS 8u /* default queue size */

#define F_PKD_AVAIL AVPS_VRING_PACKED_DESC_F_AVAIL
#define F_PKD_USED AVPS_VRING_PACKED_DESC_F_USED

/* ---- helpers ------------------------------------------------------------ */

/* Counters at the last mark(): the checks below are relative to it. */
static struct avps_vq_stats base;

static void mark(struct vqfix *f)
{
    avps_posix_clear_counters(&f->g);
    base = *avps_vq_stats(&f->vq);
}

static void setup(struct vqfix *f, bool packed, uint16_t size, uint64_t features)
{
    assert_int_equal(vqfix_setup(f, packed, size, features), 0);
    mark(f);
}

/* Ring position (packed) or descriptor index (split) of the k-th descriptor
 * of the most recent direct chain. */
static uint16_t nth_desc(const struct vqfix *f, unsigned int k)
{
    uint16_t d = rd_last_head(&f->q);

    if (f->packed)
        return (uint16_t)((d + k) % f->q.size);
    while (k-- > 0u)
        d = f->q.link[d];
    return d;
}

static uint16_t get_flags(struct vqfix *f, unsigned int k)
{
    uint16_t d = nth_desc(f, k);

    return f->packed ? avps_from_le16(rd_packed_desc(&f->q, d)->flags)
                     : avps_from_le16(rd_split_desc(&f->q, d)->flags);
}

static void set_flags(struct vqfix *f, unsigned int k, uint16_t set, uint16_t clear)
{
    uint16_t d = nth_desc(f, k);
    uint16_t v = (uint16_t)((get_flags(f, k) | set) & (uint16_t)~clear);

    if (f->packed)
        rd_packed_desc(&f->q, d)->flags = avps_to_le16(v);
    else
        rd_split_desc(&f->q, d)->flags = avps_to_le16(v);
}

static void set_len(struct vqfix *f, unsigned int k, uint32_t len)
{
    uint16_t d = nth_desc(f, k);

    if (f->packed)
        rd_packed_desc(&f->q, d)->len = avps_to_le32(len);
    else
        rd_split_desc(&f->q, d)->len = avps_to_le32(len);
}

static uint64_t get_addr(struct vqfix *f, unsigned int k)
{
    uint16_t d = nth_desc(f, k);

    return f->packed ? avps_from_le64(rd_packed_desc(&f->q, d)->addr)
                     : avps_from_le64(rd_split_desc(&f->q, d)->addr);
}

static void set_addr(struct vqfix *f, unsigned int k, uint64_t addr)
{
    uint16_t d = nth_desc(f, k);

    if (f->packed)
        rd_packed_desc(&f->q, d)->addr = avps_to_le64(addr);
    else
        rd_split_desc(&f->q, d)->addr = avps_to_le64(addr);
}

/* Host pointer of guest memory that lies in one region. */
static void *gptr(struct vqfix *f, uint64_t gpa, uint64_t len)
{
    void *p = avps_posix_ptr(&f->g, gpa, len);

    assert_non_null(p);
    return p;
}

/* Write guest memory byte by byte (may cross regions). */
static void gwrite(struct vqfix *f, uint64_t gpa, const void *src, uint32_t len)
{
    const uint8_t *s = src;

    for (uint32_t i = 0; i < len; i++)
        *(uint8_t *)gptr(f, gpa + i, 1) = s[i];
}

static void gread(struct vqfix *f, uint64_t gpa, void *dst, uint32_t len)
{
    uint8_t *d = dst;

    for (uint32_t i = 0; i < len; i++)
        d[i] = *(const uint8_t *)gptr(f, gpa + i, 1);
}

/* One table entry of an indirect table at gpa (either layout). */
static void table_entry(struct vqfix *f, uint64_t table, unsigned int i, uint64_t addr,
                        uint32_t len, uint16_t flags)
{
    uint8_t raw[16];

    if (f->packed) {
        struct avps_pvirtq_desc d;

        memset(&d, 0, sizeof d);
        d.addr = avps_to_le64(addr);
        d.len = avps_to_le32(len);
        d.flags = avps_to_le16(flags);
        memcpy(raw, &d, 16);
    } else {
        struct avps_vring_desc d;

        memset(&d, 0, sizeof d);
        d.addr = avps_to_le64(addr);
        d.len = avps_to_le32(len);
        d.flags = avps_to_le16(flags);
        d.next = avps_to_le16((uint16_t)(i + 1u));
        memcpy(raw, &d, 16);
    }
    gwrite(f, table + 16u * i, raw, 16);
}

static uint16_t table_flags(struct vqfix *f, uint64_t table, unsigned int i)
{
    uint8_t raw[16];
    uint16_t v;

    gread(f, table + 16u * i, raw, 16);
    memcpy(&v, raw + (f->packed ? 14 : 12), 2);
    return avps_le16_raw_to_cpu(v);
}

static void set_table_flags(struct vqfix *f, uint64_t table, unsigned int i, uint16_t v)
{
    uint16_t le = avps_cpu_to_le16_raw(v);

    gwrite(f, table + 16u * i + (f->packed ? 14u : 12u), &le, 2);
}

static void set_table_next(struct vqfix *f, uint64_t table, unsigned int i, uint16_t v)
{
    uint16_t le = avps_cpu_to_le16_raw(v);

    gwrite(f, table + 16u * i + 14u, &le, 2);
}

static void set_table_len(struct vqfix *f, uint64_t table, unsigned int i, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    gwrite(f, table + 16u * i + 8u, le, 4);
}

/* n buffers of len bytes each: nrd readable then the rest writable. */
static int add_bufs(struct vqfix *f, unsigned int n, unsigned int nrd, uint32_t len,
                    unsigned int flags)
{
    struct rd_buf b[VQFIX_SEGS];

    assert_true(n <= VQFIX_SEGS);
    for (unsigned int i = 0; i < n; i++) {
        b[i].gpa = len != 0u ? rd_alloc(&f->q, len) : VQFIX_HEAP_GPA;
        assert_true(b[i].gpa != 0u);
        b[i].len = len;
        b[i].write = i >= nrd;
    }
    return rd_add(&f->q, b, n, flags);
}

static enum avps_event ev_of(int err)
{
    switch (err) {
    case AVPS_E_GUEST_RANGE: return AVPS_EV_GUEST_RANGE;
    case AVPS_E_GUEST_LOOP: return AVPS_EV_GUEST_LOOP;
    case AVPS_E_GUEST_INDEX: return AVPS_EV_GUEST_INDEX;
    default: return AVPS_EV_GUEST_DESC;
    }
}

static void clear_faults(struct vqfix *f)
{
    f->g.max_span = 0;
    f->g.fail_after = -1;
    f->g.fail_lo = f->g.fail_hi = 0;
    f->g.answer_null = false;
    f->g.answer_long_span = false;
}

/* One valid buffer goes through: popped, pushed, seen by the driver. */
static void roundtrip(struct vqfix *f)
{
    struct rd_done d;
    int id = rd_add_simple(&f->q, 16, 32, 0);

    assert_true(id >= 0);
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 1);
    assert_int_equal(f->req.id, id);
    assert_int_equal(f->req.rd_len, 16);
    assert_int_equal(f->req.wr_len, 32);
    assert_int_equal(avps_vq_push(&f->vq, (uint16_t)id, 7), AVPS_OK);
    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 7);
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    assert_int_equal(f->q.bad_used, 0);
}

/* The chain id was dropped: counted, reported (ev + CHAIN_DROPPED, plus
 * bad_map PORT_BAD_MAP), returned with length 0; the queue goes on. */
static void expect_dropped_n(struct vqfix *f, uint16_t id, enum avps_event ev,
                             uint64_t bad_map)
{
    const struct avps_vq_stats *st = avps_vq_stats(&f->vq);
    struct rd_done d;

    assert_false(avps_vq_is_broken(&f->vq));
    assert_true(avps_vq_ready(&f->vq));
    assert_int_equal(f->broken_calls, 0);
    assert_int_equal(st->dropped - base.dropped, 1);
    assert_int_equal(st->guest_errors - base.guest_errors, 1);
    assert_int_equal(f->g.reports[ev], 1);
    assert_int_equal(f->g.reports[AVPS_EV_CHAIN_DROPPED], 1);
    assert_int_equal(f->g.reports[AVPS_EV_PORT_BAD_MAP], bad_map);
    assert_int_equal(f->g.reports[AVPS_EV_QUEUE_BROKEN], 0);
    assert_int_equal(avps_posix_report_total(&f->g), 2u + bad_map);
    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    assert_int_equal(f->q.bad_used, 0);
}

static void expect_dropped(struct vqfix *f, uint16_t id, enum avps_event ev)
{
    expect_dropped_n(f, id, ev, 0);
}

/* A mangled chain (already made available) is dropped by the same pop that
 * then returns the valid chain queued behind it. */
static void pop_expect_drop_then_next(struct vqfix *f, int bad, enum avps_event ev)
{
    struct rd_done d;
    int good;

    assert_true(bad >= 0);
    good = rd_add_simple(&f->q, 8, 24, 0);
    assert_true(good >= 0);
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 1);
    assert_int_equal(f->req.id, good);
    assert_int_equal(f->req.rd_len, 8);
    assert_int_equal(f->req.wr_len, 24);
    assert_int_equal(avps_vq_stats(&f->vq)->popped - base.popped, 1);
    expect_dropped(f, (uint16_t)bad, ev);
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 0);
    assert_int_equal(avps_vq_push(&f->vq, (uint16_t)good, 3), AVPS_OK);
    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, good);
    assert_int_equal(d.len, 3);
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    assert_int_equal(f->q.bad_used, 0);
    /* nothing more reported, nothing parsed twice */
    assert_int_equal(avps_vq_stats(&f->vq)->dropped - base.dropped, 1);
    assert_int_equal(avps_posix_report_total(&f->g), 2);
    roundtrip(f);
}

/* The queue broke with err: once, sticky, silent afterwards. */
static void expect_fatal(struct vqfix *f, int rc, int err)
{
    const struct avps_vq_stats *st = avps_vq_stats(&f->vq);
    uint64_t maps, refusals;
    uint16_t id = 0;

    assert_int_equal(rc, err);
    assert_true(avps_vq_is_broken(&f->vq));
    assert_false(avps_vq_ready(&f->vq));
    assert_int_equal(f->broken_calls, 1);
    assert_int_equal(f->broken_err, err);
    assert_int_equal(f->g.reports[AVPS_EV_QUEUE_BROKEN], 1);
    assert_int_equal(f->g.reports[ev_of(err)], 1);
    assert_int_equal(f->g.reports[AVPS_EV_CHAIN_DROPPED], 0);
    assert_int_equal(avps_posix_report_total(&f->g), 2);
    assert_int_equal(st->dropped - base.dropped, 0);
    assert_int_equal(st->guest_errors - base.guest_errors, 1);
    maps = f->g.maps;
    refusals = f->g.map_refusals;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(avps_vq_pop(&f->vq, &f->req), AVPS_E_STATE);
        assert_int_equal(avps_vq_skip(&f->vq, &id), AVPS_E_STATE);
        assert_int_equal(avps_vq_push(&f->vq, 0, 0), AVPS_E_STATE);
        assert_int_equal(avps_vq_notify(&f->vq), AVPS_E_STATE);
        assert_int_equal(avps_vq_kick_enable(&f->vq), AVPS_E_STATE);
    }
    assert_int_equal(f->g.maps, maps);
    assert_int_equal(f->g.map_refusals, refusals);
    assert_int_equal(f->broken_calls, 1);
    assert_int_equal(avps_posix_report_total(&f->g), 2);
    assert_int_equal(st->guest_errors - base.guest_errors, 1);
}

/* Reset the queue and the driver; one buffer goes through again. */
static void recover(struct vqfix *f)
{
    const bool packed = f->q.packed;
    const uint16_t size = f->q.size;
    const uint64_t features = f->q.features;
    struct avps_vq_ring ring;

    clear_faults(f);
    avps_vq_reset(&f->vq);
    assert_false(avps_vq_is_broken(&f->vq));
    rd_fini(&f->q);
    assert_int_equal(rd_init(&f->q, &f->g, packed, size, features, VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA),
                     0);
    ring = rd_ring(&f->q);
    assert_int_equal(avps_vq_enable(&f->vq, &ring), AVPS_OK);
    assert_true(avps_vq_ready(&f->vq));
    roundtrip(f);
    roundtrip(f);
}

static void fatal_and_recover(struct vqfix *f, int rc, int err)
{
    expect_fatal(f, rc, err);
    recover(f);
    assert_int_equal(f->broken_calls, 1);
}

#define BOTH(name)                                                                     \
    static void name##_split(void **s) { (void)s; name(false); }                      \
    static void name##_packed(void **s) { (void)s; name(true); }
#define ONE(name, packed)                                                              \
    static void name(void **s) { (void)s; name##_(packed); }

/* ---- batch 1: chain shape ------------------------------------------------ */

/* CVE-2016-6490: zero-length descriptors are counted, so a loop of them ends
 * as GUEST_LOOP. Split: a two-entry next loop of zero-length descriptors;
 * packed: an indirect table of size + 1 zero-length entries. */
static void test_cve_2016_6490_zero_len_loop(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    if (packed) {
        bad = add_bufs(&f, QS + 1u, QS + 1u, 0, RD_INDIRECT);
    } else {
        bad = add_bufs(&f, 2, 2, 0, 0);
        assert_int_equal(avps_from_le16(rd_split_desc(&f.q, nth_desc(&f, 1))->next), 0); /* back to head 0 */
        assert_int_equal(bad, 0);
        set_flags(&f, 1, AVPS_VRING_DESC_F_NEXT, 0);
    }
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_LOOP);
    vqfix_teardown(&f);
}
BOTH(test_cve_2016_6490_zero_len_loop)

/* A loop through next of non-empty descriptors ends as GUEST_LOOP (split). */
static void test_mangle_split_next_loop_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 2, 16, 0);
    assert_int_equal(bad, 0);
    set_flags(&f, 1, AVPS_VRING_DESC_F_NEXT, 0); /* next is 0: the head */
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_LOOP);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_next_loop, false)

/* A zero-length descriptor in a valid chain is counted but gives no segment. */
static void test_mangle_zero_len_desc_no_segment(bool packed)
{
    static struct vqfix f;
    int id;

    setup(&f, packed, QS, 0);
    id = add_bufs(&f, 3, 3, 16, 0);
    set_len(&f, 1, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 2);
    assert_int_equal(f.req.rd_len, 32);
    assert_int_equal(f.req.seg[0].len, 16);
    assert_int_equal(f.req.seg[1].len, 16);
    assert_int_equal(f.req.seg[1].gpa, get_addr(&f, 2));
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
BOTH(test_mangle_zero_len_desc_no_segment)

/* split: next >= queue size. */
static void test_mangle_split_next_out_of_range_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = rd_add_simple(&f.q, 16, 64, 0);
    rd_split_desc(&f.q, nth_desc(&f, 0))->next = avps_to_le16(QS);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_next_out_of_range, false)

/* INDIRECT without VIRTIO_F_INDIRECT_DESC. */
static void test_mangle_indirect_not_negotiated(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
BOTH(test_mangle_indirect_not_negotiated)

/* INDIRECT together with NEXT. Split: on the indirect head; packed: the first
 * descriptor of a two-descriptor list turned indirect. */
static void test_mangle_indirect_with_next(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    if (packed) {
        bad = add_bufs(&f, 2, 1, 16, 0);
        set_flags(&f, 0, AVPS_VRING_DESC_F_INDIRECT, 0);
    } else {
        bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
        set_flags(&f, 0, AVPS_VRING_DESC_F_NEXT, 0);
    }
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
BOTH(test_mangle_indirect_with_next)

/* Split: avail->idx jumps more than the queue size. */
static void test_mangle_split_avail_idx_jump_(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, QS, 0);
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    rd_set_avail_idx(&f.q, QS + 1u);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_avail_idx_jump, false)

/* Split: head index >= queue size. */
static void test_mangle_split_head_out_of_range_(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, QS, 0);
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    rd_set_avail_ring(&f.q, 0, QS);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_head_out_of_range, false)

/* spdk#3860: the packed buffer id indexes our slots. */
static void test_spdk_3860_packed_id_bound_(bool packed)
{
    static const uint16_t bad_ids[] = {QS, 0xffffu};

    for (unsigned int i = 0; i < 2u; i++) {
        static struct vqfix f;

        setup(&f, packed, QS, 0);
        assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
        /* the id of a list is the one in its last descriptor */
        rd_packed_desc(&f.q, nth_desc(&f, 1))->id = avps_to_le16(bad_ids[i]);
        fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
        vqfix_teardown(&f);
    }
}
ONE(test_spdk_3860_packed_id_bound, true)

/* CVE-2016-5403: never more buffers in flight than the queue size. */
static void test_cve_2016_5403_inflight_cap(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, QS, 0);
    if (packed) {
        /* four buffers of two descriptors fill the ring; ids 4..7 are free */
        for (unsigned int i = 0; i < QS / 2u; i++)
            assert_true(rd_add_simple(&f.q, 8, 16, 0) >= 0);
        for (unsigned int i = 0; i < QS / 2u; i++)
            assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        /* the driver reuses position 0 (second lap: AVAIL 0, USED 1) with a
         * free id, without waiting for any completion */
        rd_packed_desc(&f.q, 0)->id = avps_to_le16(QS - 1u);
        rd_packed_desc(&f.q, 0)->flags = avps_to_le16(AVPS_VRING_DESC_F_WRITE | F_PKD_USED);
    } else {
        for (unsigned int i = 0; i < QS; i++)
            assert_true(rd_add_simple(&f.q, 0, 16, 0) >= 0);
        for (unsigned int i = 0; i < QS; i++)
            assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        /* one more offered by hand without waiting for any completion */
        rd_set_avail_ring(&f.q, QS, 0);
        rd_set_avail_idx(&f.q, QS + 1u);
    }
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
BOTH(test_cve_2016_5403_inflight_cap)


/* ---- batch 2: indirect tables, directions, lengths, translation ---------- */

/* The guest address of the latest buffer's indirect table. */
static uint64_t table_of(struct vqfix *f)
{
    return get_addr(f, 0);
}

/* Indirect descriptor length 0, or not a multiple of 16. */
static void test_mangle_indirect_len(bool packed)
{
    static const uint32_t lens[] = {0u, 24u, 33u};

    for (unsigned int i = 0; i < 3u; i++) {
        static struct vqfix f;
        int bad;

        setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
        bad = add_bufs(&f, 3, 1, 16, RD_INDIRECT);
        set_len(&f, 0, lens[i]);
        pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
        vqfix_teardown(&f);
    }
}
BOTH(test_mangle_indirect_len)

/* Split: an INDIRECT entry inside an indirect table (§2.7.5.3.1: no
 * nesting) drops the chain. */
static void test_mangle_split_nested_indirect_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
    set_table_flags(&f, table_of(&f), 0,
                    (uint16_t)(table_flags(&f, table_of(&f), 0) | AVPS_VRING_DESC_F_INDIRECT));
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_nested_indirect, false)

/* Packed: inside a table every flag but WRITE is reserved and ignored
 * (§2.8.7, docs/virtqueue.md), so an INDIRECT entry is a plain buffer: its
 * bytes are data, never followed as a second table. The entry points at a
 * valid-looking table to show it is not parsed. */
static void test_mangle_packed_table_indirect_is_plain_buffer_(bool packed)
{
    static struct vqfix f;
    uint64_t t, inner;
    int id;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    id = add_bufs(&f, 2, 1, 32, RD_INDIRECT);
    t = table_of(&f);
    inner = rd_alloc(&f.q, 32);
    table_entry(&f, inner, 0, rd_alloc(&f.q, 64), 64, 0);
    table_entry(&f, inner, 1, rd_alloc(&f.q, 64), 64, AVPS_VRING_DESC_F_WRITE);
    /* entry 0: 32 readable bytes at inner, flagged INDIRECT */
    table_entry(&f, t, 0, inner, 32, AVPS_VRING_DESC_F_INDIRECT);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 1);
    assert_int_equal(f.req.seg[0].gpa, inner);
    assert_int_equal(f.req.seg[0].len, 32);
    assert_int_equal(f.req.rd_len, 32);
    assert_int_equal(f.req.wr_len, 32);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->guest_errors, 0);
    vqfix_teardown(&f);
}
ONE(test_mangle_packed_table_indirect_is_plain_buffer, true)

/* Split table: next beyond the table. */
static void test_mangle_split_table_next_out_of_range_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    /* all readable, so an entry read past the table would pass as a buffer */
    bad = add_bufs(&f, 3, 3, 16, RD_INDIRECT);
    set_table_next(&f, table_of(&f), 1, 3);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_table_next_out_of_range, false)

/* Split table: a loop inside the table ends as GUEST_LOOP. */
static void test_mangle_split_table_loop_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 2, 2, 16, RD_INDIRECT);
    set_table_flags(&f, table_of(&f), 1, AVPS_VRING_DESC_F_NEXT); /* next is 2 ... */
    set_table_next(&f, table_of(&f), 1, 0);                        /* ... made 0 */
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_LOOP);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_table_loop, false)

/* A table with more entries than the queue size; exactly size is fine. */
static void test_mangle_table_longer_than_queue(bool packed)
{
    static struct vqfix f;
    int id;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    id = add_bufs(&f, QS, 2, 8, RD_INDIRECT);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd + f.req.n_wr, QS);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
    }
    mark(&f);
    id = add_bufs(&f, QS + 1u, 2, 8, RD_INDIRECT);
    pop_expect_drop_then_next(&f, id, AVPS_EV_GUEST_LOOP);
    vqfix_teardown(&f);
}
BOTH(test_mangle_table_longer_than_queue)

/* Readable after writable, in a direct chain. */
static void test_mangle_readable_after_writable(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 3, 1, 16, 0);
    set_flags(&f, 2, 0, AVPS_VRING_DESC_F_WRITE);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
BOTH(test_mangle_readable_after_writable)

/* Readable after writable, inside an indirect table. */
static void test_mangle_table_readable_after_writable(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 3, 1, 16, RD_INDIRECT);
    set_table_flags(&f, table_of(&f), 2,
                    (uint16_t)(table_flags(&f, table_of(&f), 2) & ~AVPS_VRING_DESC_F_WRITE));
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
BOTH(test_mangle_table_readable_after_writable)

/* Total length above 2^32 - 1 (GUEST_RANGE), direct and in a table. */
static void test_mangle_total_len_overflow(bool packed)
{
    for (int ind = 0; ind < 2; ind++) {
        static struct vqfix f;
        int bad;

        setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
        bad = add_bufs(&f, 2, 1, 16, ind ? RD_INDIRECT : 0u);
        if (ind)
            set_table_len(&f, table_of(&f), 1, 0xfffffff0u); /* 16 + that = 2^32 */
        else
            set_len(&f, 1, 0xfffffff0u);
        pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
        vqfix_teardown(&f);
    }
}
BOTH(test_mangle_total_len_overflow)

/* CVE-2019-18960: the length bound is exact. Skipping checks without
 * translating, so 2^32 - 1 bytes in total pass and 2^32 do not. */
static void test_cve_2019_18960_len_bounds(bool packed)
{
    static struct vqfix f;
    uint16_t id = 0xffffu;
    int a, bad;

    setup(&f, packed, QS, 0);
    a = add_bufs(&f, 2, 1, 16, 0);
    set_len(&f, 1, 0xffffffefu); /* 16 + that = 2^32 - 1 */
    assert_int_equal(avps_vq_skip(&f.vq, &id), 1);
    assert_int_equal(id, a);
    assert_int_equal(avps_vq_push(&f.vq, id, 0xffffffefu), AVPS_OK);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_int_equal(d.id, a);
        assert_int_equal(d.len, 0xffffffefu);
    }
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    /* a single descriptor of 2^32 - 1 bytes plus one more byte */
    bad = add_bufs(&f, 2, 0, 1, 0);
    set_len(&f, 0, 0xffffffffu);
    assert_int_equal(avps_vq_skip(&f.vq, &id), 0);
    expect_dropped(&f, (uint16_t)bad, AVPS_EV_GUEST_RANGE);
    /* and translating a length the guest memory cannot hold fails too */
    bad = add_bufs(&f, 1, 1, 16, 0);
    set_len(&f, 0, 0xffffffffu);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 2);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_RANGE], 2);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], 2);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_int_equal(d.id, bad);
        assert_int_equal(d.len, 0);
    }
    roundtrip(&f);
    vqfix_teardown(&f);
}
BOTH(test_cve_2019_18960_len_bounds)

/* CVE-2016-7422: a descriptor that maps to nothing (outside guest memory),
 * and a port that answers with a NULL pointer. */
static void test_cve_2016_7422_desc_maps_to_nothing(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM + 0x1000u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    assert_true(f.g.map_refusals >= 1);
    vqfix_teardown(&f);

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 1, 16, 0);
    f.g.answer_null = true;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    expect_dropped_n(&f, (uint16_t)bad, AVPS_EV_GUEST_RANGE, 1);
    assert_int_equal(f.req.n_rd + f.req.n_wr, 0);
    f.g.answer_null = false;
    roundtrip(&f);
    vqfix_teardown(&f);
}
BOTH(test_cve_2016_7422_desc_maps_to_nothing)

/* A port answering with a span longer than asked. */
static void test_mangle_port_long_span(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 1, 16, 0);
    f.g.answer_long_span = true;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    expect_dropped_n(&f, (uint16_t)bad, AVPS_EV_GUEST_RANGE, 1);
    f.g.answer_long_span = false;
    roundtrip(&f);
    vqfix_teardown(&f);
}
BOTH(test_mangle_port_long_span)

/* The port refuses one buffer (fail_lo/fail_hi). */
static void test_mangle_port_refuses(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 3, 1, 16, 0);
    f.g.fail_lo = get_addr(&f, 2) + 15u; /* the last byte of the last buffer */
    f.g.fail_hi = f.g.fail_lo + 1u;
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    assert_int_equal(f.g.map_refusals, 1);
    vqfix_teardown(&f);
}
BOTH(test_mangle_port_refuses)

static int (*posix_map_fwd)(void *, uint64_t, uint64_t, unsigned int, void **, uint64_t *);
/* A naive port, like kvmtool's guest_flat_to_host: it checks gpa + len
 * against the end of RAM in wrapping 64-bit arithmetic, so it would accept a
 * range that wraps past 2^64. The library must never ask it. */
static uint64_t naive_wrapped;
static uint8_t naive_dummy[64];
static struct avps_port_ops naive_ops;

static int naive_map(void *ctx, uint64_t addr, uint64_t len, unsigned int access, void **hva,
                     uint64_t *span)
{
    if (addr + len < addr) {
        naive_wrapped++;
        *hva = naive_dummy;
        *span = len;
        return 0;
    }
    return posix_map_fwd(ctx, addr, len, access, hva, span);
}

static void use_naive_port(struct vqfix *f)
{
    naive_ops = *f->g.host.ops;
    posix_map_fwd = f->g.host.ops->map;
    naive_ops.map = naive_map;
    f->g.host.ops = &naive_ops;
    naive_wrapped = 0;
}

/* An address whose range wraps past 2^64: refused before the port is asked,
 * for a buffer, an indirect table and a ring area. */
static void test_mangle_addr_wraps(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;
    int bad;

    setup(&f, packed, QS, 0);
    use_naive_port(&f);
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 0, UINT64_MAX - 7u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    assert_int_equal(naive_wrapped, 0);
    vqfix_teardown(&f);

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    use_naive_port(&f);
    bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
    set_addr(&f, 0, UINT64_MAX - 15u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    assert_int_equal(naive_wrapped, 0);
    vqfix_teardown(&f);

    assert_int_equal(vqfix_setup_ex(&f, packed, QS, 0, false), 0);
    use_naive_port(&f);
    ring = rd_ring(&f.q);
    ring.desc = UINT64_MAX - 15u;
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(naive_wrapped, 0);
    vqfix_teardown(&f);
}
BOTH(test_mangle_addr_wraps)

/* An indirect table that does not translate. */
static void test_mangle_table_outside_memory(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
    set_addr(&f, 0, VQFIX_MEM + 0x100u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    vqfix_teardown(&f);
}
BOTH(test_mangle_table_outside_memory)

/* Packed: an indirect descriptor that is not first in its list. */
static void test_mangle_packed_indirect_not_alone_(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_flags(&f, 1, AVPS_VRING_DESC_F_INDIRECT, 0);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_DESC);
    vqfix_teardown(&f);
}
ONE(test_mangle_packed_indirect_not_alone, true)


/* ---- batch 3: tables and buffers across regions, alignment ------------- */

/* Write a three-entry table at table: 16 readable bytes at rd (may straddle
 * the region boundary), then 32 and 16 writable bytes. */
static void build_table3(struct vqfix *f, uint64_t table, uint64_t rd, uint64_t wr1,
                         uint64_t wr2)
{
    const uint16_t nx = f->packed ? 0u : AVPS_VRING_DESC_F_NEXT;

    table_entry(f, table, 0, rd, 16, nx);
    table_entry(f, table, 1, wr1, 32, (uint16_t)(nx | AVPS_VRING_DESC_F_WRITE));
    table_entry(f, table, 2, wr2, 16, AVPS_VRING_DESC_F_WRITE);
}

static void check_table3(struct vqfix *f, int id, uint64_t rd, unsigned int rd_segs)
{
    uint8_t pat[16], got[16];

    for (unsigned int i = 0; i < 16u; i++)
        pat[i] = (uint8_t)(0xa0u + i);
    gwrite(f, rd, pat, 16);
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 1);
    assert_int_equal(f->req.id, id);
    assert_int_equal(f->req.n_rd, rd_segs);
    assert_int_equal(f->req.n_wr, 2);
    assert_int_equal(f->req.rd_len, 16);
    assert_int_equal(f->req.wr_len, 48);
    assert_int_equal(avps_vq_req_read(&f->req, 0, got, 16), 16);
    assert_memory_equal(got, pat, 16);
    assert_int_equal(avps_vq_req_write(&f->vq, &f->req, 0, pat, 16), 16);
    assert_int_equal(avps_vq_push(&f->vq, (uint16_t)id, 16), AVPS_OK);
    assert_int_equal(avps_posix_report_total(&f->g), 0);
    assert_int_equal(avps_vq_stats(&f->vq)->guest_errors, 0);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f->q, &d), 1);
        assert_int_equal(d.id, id);
        assert_int_equal(d.len, 16);
    }
}

/* qemu-devel 2024-01: an indirect table that spans two memory regions is
 * read entry by entry, an entry itself split across the boundary. Regions:
 * [0, 16 MiB), [16, 17 MiB), [17, 18 MiB); the table straddles the first
 * boundary, the readable buffer the second. */
static void test_qemu_2024_indirect_table_across_regions(bool packed)
{
    /* table start offsets before the boundary: between entries, mid-entry */
    static const uint64_t back[] = {16u, 24u, 40u, 8u};

    for (unsigned int i = 0; i < 4u; i++) {
        static struct vqfix f;
        const uint64_t table = VQFIX_MEM - back[i];
        const uint64_t rd = VQFIX_MEM + (1u << 20) - 8u;
        uint64_t maps;
        int id;

        setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
        assert_int_equal(avps_posix_add_region(&f.g, VQFIX_MEM, 1u << 20), 0);
        assert_int_equal(avps_posix_add_region(&f.g, VQFIX_MEM + (1u << 20), 1u << 20), 0);
        id = add_bufs(&f, 3, 1, 16, RD_INDIRECT);
        build_table3(&f, table, rd, VQFIX_MEM + 0x100u, VQFIX_HEAP_GPA + 0x100000u);
        set_addr(&f, 0, table);
        maps = f.g.maps;
        check_table3(&f, id, rd, 2);
        /* more than one map call per table: it was not read as one range */
        assert_true(f.g.maps - maps > 4u);
        vqfix_teardown(&f);
    }
}
BOTH(test_qemu_2024_indirect_table_across_regions)

/* rust-vmm/vm-virtio#220: an indirect table need not be 16-byte aligned. */
static void test_rust_vmm_220_unaligned_indirect_table(bool packed)
{
    static const uint64_t skew[] = {1u, 4u, 8u, 15u};

    for (unsigned int i = 0; i < 4u; i++) {
        static struct vqfix f;
        uint64_t t;
        int id;

        setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
        id = add_bufs(&f, 3, 1, 16, RD_INDIRECT);
        t = rd_alloc(&f.q, 64) + skew[i];
        build_table3(&f, t, rd_alloc(&f.q, 16), rd_alloc(&f.q, 32), rd_alloc(&f.q, 16));
        set_addr(&f, 0, t);
        {
            uint8_t raw[16];
            uint64_t rd;

            gread(&f, t, raw, 16);
            memcpy(&rd, raw, 8);
            check_table3(&f, id, avps_le64_raw_to_cpu(rd), 1);
        }
        vqfix_teardown(&f);
    }
}
BOTH(test_rust_vmm_220_unaligned_indirect_table)

/* CVE-2018-1059: a buffer that starts inside guest memory and ends outside
 * is refused; with a second region behind it, it is taken in two pieces. */
static void test_cve_2018_1059_whole_range_translated(bool packed)
{
    static struct vqfix f;
    int bad, id;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM - 8u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    vqfix_teardown(&f);

    setup(&f, packed, QS, 0);
    assert_int_equal(avps_posix_add_region(&f.g, VQFIX_MEM, 1u << 20), 0);
    id = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM - 8u);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(f.req.wr_len, 16);
    assert_int_equal(f.req.seg[1].gpa, VQFIX_MEM - 8u);
    assert_int_equal(f.req.seg[1].len, 8);
    assert_ptr_equal(f.req.seg[1].base, gptr(&f, VQFIX_MEM - 8u, 8));
    assert_int_equal(f.req.seg[2].gpa, VQFIX_MEM);
    assert_int_equal(f.req.seg[2].len, 8);
    assert_ptr_equal(f.req.seg[2].base, gptr(&f, VQFIX_MEM, 8));
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
BOTH(test_cve_2018_1059_whole_range_translated)

/* cloud-hypervisor#2450: a buffer that ends at the last byte of guest memory
 * is valid; one byte more is not. */
static void test_cloud_hypervisor_2450_buffer_ends_at_last_byte(bool packed)
{
    static struct vqfix f;
    int id, bad;

    setup(&f, packed, QS, 0);
    id = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM - 16u);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_wr, 1);
    assert_ptr_equal(f.req.seg[1].base, gptr(&f, VQFIX_MEM - 16u, 16));
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, "0123456789abcdef", 16), 16);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 16), AVPS_OK);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_int_equal(d.len, 16);
    }
    mark(&f);
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM - 15u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    vqfix_teardown(&f);
}
BOTH(test_cloud_hypervisor_2450_buffer_ends_at_last_byte)


/* ---- batch 4: fatal faults ---------------------------------------------- */

/* Split: a head that is already in flight. */
static void test_mangle_split_head_in_flight_(bool packed)
{
    static struct vqfix f;
    int a;

    setup(&f, packed, QS, 0);
    a = rd_add_simple(&f.q, 16, 16, 0);
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, a);
    rd_set_avail_ring(&f.q, 1, (uint16_t)a);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
ONE(test_mangle_split_head_in_flight, false)

/* Packed: a buffer id that is already in flight. */
static void test_mangle_packed_id_in_flight_(bool packed)
{
    static struct vqfix f;
    int a;

    setup(&f, packed, QS, 0);
    a = rd_add_simple(&f.q, 16, 16, 0);
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, a);
    rd_packed_desc(&f.q, nth_desc(&f, 1))->id = avps_to_le16((uint16_t)a);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
ONE(test_mangle_packed_id_in_flight, true)

/* Packed: the list's next descriptor is not available (a hole). */
static void test_mangle_packed_next_not_available_(bool packed)
{
    static const uint16_t clear[] = {F_PKD_AVAIL, 0u};
    static const uint16_t set[] = {0u, F_PKD_USED};

    for (unsigned int i = 0; i < 2u; i++) {
        static struct vqfix f;

        setup(&f, packed, QS, 0);
        assert_true(add_bufs(&f, 3, 1, 16, 0) >= 0);
        set_flags(&f, 2, set[i], clear[i]);
        fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_DESC);
        vqfix_teardown(&f);
    }
}
ONE(test_mangle_packed_next_not_available, true)

/* Packed: a list longer than the ring entries not in flight. A list of
 * exactly the free entries is fine. */
static void test_mangle_packed_list_too_long_(bool packed)
{
    static struct vqfix f;
    int id;

    setup(&f, packed, QS, 0);
    id = add_bufs(&f, QS, QS, 4, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, QS);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
    }
    /* two in flight, then a list of the six free entries with NEXT on the last */
    assert_true(rd_add_simple(&f.q, 0, 4, 0) >= 0);
    assert_true(rd_add_simple(&f.q, 0, 4, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_true(add_bufs(&f, QS - 2u, QS - 2u, 4, 0) >= 0);
    set_flags(&f, QS - 3u, AVPS_VRING_DESC_F_NEXT, 0);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_LOOP);
    vqfix_teardown(&f);
}
ONE(test_mangle_packed_list_too_long, true)

/* IN_ORDER: a malformed chain behind an older buffer in flight cannot be
 * returned out of order, so the queue breaks; with nothing older in flight
 * it is dropped as usual. */
static void test_mangle_in_order_drop_behind_inflight(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, F_BIT(IN_ORDER));
    bad = add_bufs(&f, 2, 1, 16, 0);
    set_addr(&f, 1, VQFIX_MEM + 64u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    vqfix_teardown(&f);

    setup(&f, packed, QS, F_BIT(IN_ORDER));
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_true(add_bufs(&f, 2, 1, 16, 0) >= 0);
    set_addr(&f, 1, VQFIX_MEM + 64u);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_RANGE);
    vqfix_teardown(&f);
}
BOTH(test_mangle_in_order_drop_behind_inflight)

/* ---- avps_vq_enable ------------------------------------------------------- */

enum { RING_DESC, RING_DRIVER, RING_DEVICE };

static void enable_fails(bool packed, uint16_t size, int what, uint64_t addr, uint16_t ring_size,
                         bool second_region)
{
    static struct vqfix f;
    struct avps_vq_ring ring;

    assert_int_equal(vqfix_setup_ex(&f, packed, size, 0, false), 0);
    if (second_region)
        assert_int_equal(avps_posix_add_region(&f.g, VQFIX_MEM, 1u << 20), 0);
    mark(&f);
    ring = rd_ring(&f.q);
    if (what == RING_DESC)
        ring.desc = addr;
    else if (what == RING_DRIVER)
        ring.driver = addr;
    else if (what == RING_DEVICE)
        ring.device = addr;
    ring.size = ring_size;
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_GUEST_RANGE);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_false(avps_vq_ready(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(f.broken_err, AVPS_E_GUEST_RANGE);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_RANGE], 1);
    assert_int_equal(f.g.reports[AVPS_EV_QUEUE_BROKEN], 1);
    assert_int_equal(avps_posix_report_total(&f.g), 2);
    /* sticky: a second enable, even with the right ring, is refused */
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_STATE);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    assert_int_equal(f.broken_calls, 1);
    avps_vq_reset(&f.vq);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    roundtrip(&f);
    vqfix_teardown(&f);
}

static void test_mangle_enable_misaligned_desc(bool packed)
{
    for (uint64_t off = 1; off < 16u; off <<= 1)
        enable_fails(packed, QS, RING_DESC, VQFIX_RING_GPA + 0x10000u + off, QS, false);
}
BOTH(test_mangle_enable_misaligned_desc)

static void test_mangle_enable_misaligned_driver(bool packed)
{
    /* split avail ring: 2-byte alignment; packed event area: 4 */
    enable_fails(packed, QS, RING_DRIVER, VQFIX_RING_GPA + 0x10000u + 1u, QS, false);
    if (packed)
        enable_fails(packed, QS, RING_DRIVER, VQFIX_RING_GPA + 0x10000u + 2u, QS, false);
}
BOTH(test_mangle_enable_misaligned_driver)

static void test_mangle_enable_misaligned_device(bool packed)
{
    enable_fails(packed, QS, RING_DEVICE, VQFIX_RING_GPA + 0x10000u + 1u, QS, false);
    enable_fails(packed, QS, RING_DEVICE, VQFIX_RING_GPA + 0x10000u + 2u, QS, false);
}
BOTH(test_mangle_enable_misaligned_device)

static void test_mangle_enable_split_size_not_pow2_(bool packed)
{
    enable_fails(packed, QS, -1, 0, 6, false);
    enable_fails(packed, QS, -1, 0, 3, false);
}
ONE(test_mangle_enable_split_size_not_pow2, false)

/* Each area must translate whole: past the end of guest memory, entirely
 * outside it, or straddling two regions (not contiguous in host memory). */
static void test_mangle_enable_area_not_translated(bool packed)
{
    for (int what = RING_DESC; what <= RING_DEVICE; what++) {
        /* packed event areas are 4 aligned bytes: they cannot straddle */
        if (!packed || what == RING_DESC) {
            enable_fails(packed, QS, what, VQFIX_MEM - 16u, QS, false);
            enable_fails(packed, QS, what, VQFIX_MEM - 16u, QS, true);
        }
        enable_fails(packed, QS, what, VQFIX_MEM + 0x1000u, QS, false);
        enable_fails(packed, QS, what, UINT64_MAX - 15u, QS, false);
    }
}
BOTH(test_mangle_enable_area_not_translated)

/* Sizes the program (not the guest) got wrong, and a second enable: refused
 * without breaking the queue. */
static void test_mangle_enable_program_errors(bool packed)
{
    static struct vqfix f;
    struct avps_vq_ring ring;

    assert_int_equal(vqfix_setup_ex(&f, packed, QS, 0, false), 0);
    mark(&f);
    ring = rd_ring(&f.q);
    ring.size = 0;
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
    ring.size = QS * 2u; /* more than the slots */
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_STATE);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 0);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    roundtrip(&f);
    vqfix_teardown(&f);
}
BOTH(test_mangle_enable_program_errors)

/* ---- two queues ---------------------------------------------------------- */

static int other_broken;
static void other_broken_fn(void *owner, struct avps_vq *vq, int err)
{
    (void)owner;
    (void)vq;
    (void)err;
    other_broken++;
}

/* Breaking one queue leaves another queue of the same guest working. */
static void test_mangle_broken_queue_isolated(bool packed)
{
    static struct vqfix f;
    static struct rd_queue q2;
    struct avps_vq vq2;
    struct avps_vq_slot slots2[QS];
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;
    struct rd_done d;
    int id;

    setup(&f, packed, QS, 0);
    assert_int_equal(rd_init(&q2, &f.g, packed, QS, f.q.features, 0x100000u, 0x400000u,
                             0x400000u),
                     0);
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = slots2;
    cfg.num_slots = QS;
    cfg.index = VQFIX_QINDEX + 1u;
    cfg.dev_id = VQFIX_DEV_ID;
    cfg.broken = other_broken_fn;
    assert_int_equal(avps_vq_init(&vq2, &f.g.host, &cfg), AVPS_OK);
    ring = rd_ring(&q2);
    assert_int_equal(avps_vq_enable(&vq2, &ring), AVPS_OK);
    other_broken = 0;

    /* break the first */
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    if (packed)
        rd_packed_desc(&f.q, nth_desc(&f, 1))->id = avps_to_le16(QS);
    else
        rd_set_avail_ring(&f.q, 0, QS);
    id = rd_add_simple(&q2, 16, 16, 0);
    assert_true(id >= 0);
    expect_fatal(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);

    /* the second goes on */
    assert_true(avps_vq_ready(&vq2));
    assert_int_equal(avps_vq_pop(&vq2, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(avps_vq_push(&vq2, (uint16_t)id, 4), AVPS_OK);
    assert_int_equal(avps_vq_notify(&vq2), 1);
    assert_int_equal(rd_get_used(&q2, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 4);
    assert_int_equal(other_broken, 0);
    assert_int_equal(avps_vq_stats(&vq2)->guest_errors, 0);
    assert_int_equal(f.g.reports[AVPS_EV_QUEUE_BROKEN], 1);
    avps_vq_reset(&vq2);
    rd_fini(&q2);
    recover(&f);
    vqfix_teardown(&f);
}
BOTH(test_mangle_broken_queue_isolated)


/* ---- batch 5: recovery and valid chains --------------------------------- */

/* cloud-hypervisor#8401: a malformed head is returned to the used ring (len
 * 0), its descriptors come back to the driver, and the queue goes on. */
static void test_cloud_hypervisor_8401_bad_head_returned(bool packed)
{
    static struct vqfix f;
    int bad;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 3, 1, 16, 0);
    set_len(&f, 0, 0xffffffffu); /* readable part longer than memory */
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    /* every descriptor is free again: a full ring's worth goes through */
    assert_int_equal(rd_outstanding(&f.q), 0);
    for (unsigned int i = 0; i < QS; i++)
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    for (unsigned int i = 0; i < QS; i++) {
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
    }
    for (unsigned int i = 0; i < QS; i++) {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_int_equal(d.len, 8);
    }
    assert_int_equal(f.q.bad_used, 0);
    vqfix_teardown(&f);
}
BOTH(test_cloud_hypervisor_8401_bad_head_returned)

/* openvmm#4045: a ring full of malformed chains is consumed by one pop, each
 * chain once; the next pop finds nothing and reports nothing. */
static void test_openvmm_4045_bad_chain_consumed_not_looped(bool packed)
{
    static struct vqfix f;
    bool seen[QS];

    setup(&f, packed, QS, 0);
    memset(seen, 0, sizeof seen);
    for (unsigned int i = 0; i < QS; i++) {
        assert_true(rd_add_simple(&f.q, 8, 0, 0) >= 0);
        set_addr(&f, 0, VQFIX_MEM + 4096u * i);
    }
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, QS);
    assert_int_equal(avps_vq_stats(&f.vq)->popped, 0);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_RANGE], QS);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], QS);
    assert_int_equal(avps_posix_report_total(&f.g), 2u * QS);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 0);
    for (unsigned int i = 0; i < QS; i++) {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_true(d.id < QS);
        assert_false(seen[d.id]);
        seen[d.id] = true;
        assert_int_equal(d.len, 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, QS);
    assert_int_equal(avps_posix_report_total(&f.g), 2u * QS);
    roundtrip(&f);
    vqfix_teardown(&f);
}
BOTH(test_openvmm_4045_bad_chain_consumed_not_looped)

/* acrn-hypervisor#7038: a device that keeps calling pop after a fatal fault
 * gets a negative error every time (never 1 or 0, so it cannot mistake it
 * for work or for an empty ring), with no more parsing or reports. */
static void test_acrn_7038_error_not_ignored_forever(bool packed)
{
    static struct vqfix f;
    int r = 0;
    int calls = 0;

    setup(&f, packed, QS, 0);
    assert_true(rd_add_simple(&f.q, 16, 16, 0) >= 0);
    if (packed)
        rd_packed_desc(&f.q, nth_desc(&f, 1))->id = avps_to_le16(0x8000u);
    else
        rd_set_avail_idx(&f.q, 0x8000u);
    r = avps_vq_pop(&f.vq, &f.req);
    assert_int_equal(r, AVPS_E_GUEST_INDEX);
    assert_true(AVPS_ERR_IS_GUEST(r));
    /* the device's loop: the driver keeps offering valid buffers meanwhile */
    for (calls = 0; calls < 1000; calls++) {
        r = avps_vq_pop(&f.vq, &f.req);
        if (r != AVPS_E_STATE)
            break;
    }
    assert_int_equal(calls, 1000);
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(avps_posix_report_total(&f.g), 2);
    assert_int_equal(avps_vq_stats(&f.vq)->guest_errors, 1);
    assert_int_equal(avps_vq_stats(&f.vq)->popped, 0);
    expect_fatal(&f, AVPS_E_GUEST_INDEX, AVPS_E_GUEST_INDEX);
    recover(&f);
    vqfix_teardown(&f);
}
BOTH(test_acrn_7038_error_not_ignored_forever)

/* firecracker#3149 / vm-virtio#196: avail->idx games never make the device
 * process an entry twice. A full ring is fine; re-publishing the same index
 * gives nothing; moving it back or jumping past size breaks the queue. */
static void test_firecracker_3149_avail_idx_games_split_(bool packed)
{
    static struct vqfix f;

    /* exactly size ahead: all taken */
    setup(&f, packed, QS, 0);
    for (unsigned int i = 0; i < QS; i++)
        assert_true(rd_add_simple(&f.q, 8, 0, 0) >= 0);
    for (unsigned int i = 0; i < QS; i++)
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    rd_set_avail_idx(&f.q, QS); /* republished */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->popped, QS);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    /* moved back: the old entries are not processed again */
    rd_set_avail_idx(&f.q, QS - 2u);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);

    /* moved back below what we consumed, while entries are still pending */
    setup(&f, packed, QS, 0);
    for (unsigned int i = 0; i < 3u; i++)
        assert_true(rd_add_simple(&f.q, 8, 0, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    rd_set_avail_idx(&f.q, 1);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);

    /* one past a full ring */
    setup(&f, packed, QS, 0);
    assert_true(rd_add_simple(&f.q, 8, 0, 0) >= 0);
    rd_set_avail_idx(&f.q, QS + 1u);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    vqfix_teardown(&f);
}
ONE(test_firecracker_3149_avail_idx_games_split, false)

/* Packed analogue: re-marking consumed descriptors available does not make
 * the device take them again (it only looks at its own next position). */
static void test_firecracker_3149_avail_idx_games_packed_(bool packed)
{
    static struct vqfix f;
    int id;

    setup(&f, packed, QS, 0);
    id = rd_add_simple(&f.q, 8, 8, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    /* make position 0 look freshly available again */
    rd_packed_desc(&f.q, 0)->flags = avps_to_le16(F_PKD_AVAIL);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->popped, 1);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 8), AVPS_OK);
    vqfix_teardown(&f);
}
ONE(test_firecracker_3149_avail_idx_games_packed, true)

/* CVE-2019-14835: a chain with more pieces than req.seg_max is refused with
 * NOSPC and left in the ring; nothing is written past seg_max. Pieces are
 * descriptors, or region pieces of one descriptor (max_span). */
static void test_cve_2019_14835_aux_array_bound(bool packed)
{
    for (int by_span = 0; by_span < 2; by_span++) {
        static struct vqfix f;
        struct avps_vq_seg canary;
        uint16_t id = 0xffffu;
        int a;

        setup(&f, packed, QS, 0);
        memset(&canary, 0x5a, sizeof canary);
        f.seg[4] = canary;
        f.req.seg_max = 4;
        if (by_span) {
            a = add_bufs(&f, 2, 1, 64, 0);
            f.g.max_span = 16; /* 4 + 4 pieces */
        } else {
            a = add_bufs(&f, 5, 2, 16, 0);
        }
        for (int i = 0; i < 2; i++) {
            assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_NOSPC);
            assert_int_equal(f.req.id, a);
            assert_memory_equal(&f.seg[4], &canary, sizeof canary);
        }
        assert_false(avps_vq_is_broken(&f.vq));
        assert_int_equal(avps_posix_report_total(&f.g), 0);
        assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
        assert_int_equal(avps_vq_stats(&f.vq)->guest_errors, 0);
        assert_int_equal(avps_vq_stats(&f.vq)->popped, 0);
        /* a larger array takes it ... */
        f.req.seg_max = VQFIX_SEGS;
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(f.req.id, a);
        assert_int_equal(f.req.n_rd + f.req.n_wr, by_span ? 8 : 5);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 0), AVPS_OK);
        {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 1);
        }
        /* ... or skip returns it */
        f.req.seg_max = 4;
        a = by_span ? add_bufs(&f, 2, 1, 64, 0) : add_bufs(&f, 5, 2, 16, 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_NOSPC);
        assert_int_equal(avps_vq_skip(&f.vq, &id), 1);
        assert_int_equal(id, a);
        assert_int_equal(avps_vq_push(&f.vq, id, 0), AVPS_OK);
        {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 1);
            assert_int_equal(d.id, a);
            assert_int_equal(d.len, 0);
        }
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
        f.req.seg_max = VQFIX_SEGS;
        clear_faults(&f);
        roundtrip(&f);
        vqfix_teardown(&f);
    }
}
BOTH(test_cve_2019_14835_aux_array_bound)


/* ---- batch 6: valid chains of any shape, completions -------------------- */

/* Lay a readable byte stream out in pieces of the given lengths, followed by
 * nwr writable pieces of wrlen bytes; returns the id. */
static int add_stream(struct vqfix *f, const uint8_t *data, const uint32_t *cuts,
                      unsigned int n, unsigned int nwr, uint32_t wrlen, unsigned int flags)
{
    struct rd_buf b[VQFIX_SEGS];
    uint32_t off = 0;

    for (unsigned int i = 0; i < n; i++) {
        b[i].gpa = rd_alloc(&f->q, cuts[i]);
        b[i].len = cuts[i];
        b[i].write = false;
        gwrite(f, b[i].gpa, data + off, cuts[i]);
        off += cuts[i];
    }
    for (unsigned int i = n; i < n + nwr; i++) {
        b[i].gpa = rd_alloc(&f->q, wrlen);
        b[i].len = wrlen;
        b[i].write = true;
    }
    return rd_add(&f->q, b, n + nwr, flags);
}

static void fill_pattern(uint8_t *p, uint32_t n, uint8_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7u);
}

/* CVE-2022-2132: a header split across descriptors reads as one stream, at
 * any offset, and a read past the readable part is short, not out of bounds. */
static void test_cve_2022_2132_header_split_across_descs(bool packed)
{
    static const uint32_t cuts[] = {3, 5, 1, 7, 32};
    static struct vqfix f;
    uint8_t data[48], got[64];
    int id;

    setup(&f, packed, QS, 0);
    fill_pattern(data, sizeof data, 1);
    id = add_stream(&f, data, cuts, 5, 1, 16, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 5);
    assert_int_equal(f.req.rd_len, 48);
    for (uint32_t off = 0; off < 48u; off++) {
        for (uint32_t len = 1; len <= 16u; len += 5u) {
            uint32_t want = off + len <= 48u ? len : 48u - off;

            memset(got, 0xee, sizeof got);
            assert_int_equal(avps_vq_req_read(&f.req, off, got, len), want);
            assert_memory_equal(got, data + off, want);
            assert_int_equal(got[want], 0xee);
        }
    }
    memset(got, 0xee, sizeof got);
    assert_int_equal(avps_vq_req_read(&f.req, 40, got, 64), 8);
    assert_int_equal(got[8], 0xee);
    assert_int_equal(avps_vq_req_read(&f.req, 48, got, 4), 0);
    assert_int_equal(avps_vq_req_read(&f.req, 0xffffffffu, got, 4), 0);
    /* the writable part is not readable */
    assert_int_equal(avps_vq_req_read(&f.req, 0, got, 64), 48);
    vqfix_teardown(&f);
}
BOTH(test_cve_2022_2132_header_split_across_descs)

/* rust-vmm/vm-virtio#204: the same 16-byte header + 32-byte payload gives the
 * same stream in any layout: one descriptor, header and payload apart, cut
 * anywhere, or in an indirect table. */
static void test_rust_vmm_204_header_and_payload_any_layout(bool packed)
{
    static const uint32_t l1[] = {48};
    static const uint32_t l2[] = {16, 32};
    static const uint32_t l3[] = {10, 20, 18};
    static const uint32_t l4[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 32};
    static const uint32_t *layouts[] = {l1, l2, l3, l2, l3};
    static const unsigned int counts[] = {1, 2, 3, 2, 3};
    static const unsigned int flags[] = {0, 0, 0, RD_INDIRECT, RD_INDIRECT};
    static struct vqfix f;
    uint8_t data[48], hdr[16], payload[32];

    fill_pattern(data, sizeof data, 9);
    setup(&f, packed, 32, F_BIT(INDIRECT_DESC));
    for (unsigned int i = 0; i < 6u; i++) {
        const uint32_t *cuts = i < 5u ? layouts[i] : l4;
        const unsigned int n = i < 5u ? counts[i] : 17u;
        const unsigned int fl = i < 5u ? flags[i] : 0u;
        int id = add_stream(&f, data, cuts, n, 1, 8, fl);

        assert_true(id >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(f.req.id, id);
        assert_int_equal(f.req.n_rd, n);
        assert_int_equal(f.req.rd_len, 48);
        assert_int_equal(f.req.n_wr, 1);
        assert_int_equal(avps_vq_req_read(&f.req, 0, hdr, 16), 16);
        assert_int_equal(avps_vq_req_read(&f.req, 16, payload, 32), 32);
        assert_memory_equal(hdr, data, 16);
        assert_memory_equal(payload, data + 16, 32);
        assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 8), AVPS_OK);
        {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 1);
            assert_int_equal(d.id, id);
        }
    }
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
BOTH(test_rust_vmm_204_header_and_payload_any_layout)

/* cloud-hypervisor#7802: every descriptor of a chain is seen, readable and
 * writable, not only the first. */
static void test_cloud_hypervisor_7802_whole_chain_read(bool packed)
{
    static const uint32_t cuts[] = {5, 9, 1, 30, 2, 17};
    static struct vqfix f;
    uint8_t data[64], got[64], out[48];
    uint64_t wr_gpa[3];
    int id;

    setup(&f, packed, 16, 0);
    fill_pattern(data, 64, 3);
    id = add_stream(&f, data, cuts, 6, 3, 16, 0);
    assert_true(id >= 0);
    for (unsigned int k = 0; k < 3u; k++)
        wr_gpa[k] = get_addr(&f, 6u + k);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 6);
    assert_int_equal(f.req.n_wr, 3);
    assert_int_equal(f.req.rd_len, 64);
    assert_int_equal(f.req.wr_len, 48);
    for (unsigned int k = 0; k < 6u; k++)
        assert_int_equal(f.req.seg[k].len, cuts[k]);
    assert_int_equal(avps_vq_req_read(&f.req, 0, got, 64), 64);
    assert_memory_equal(got, data, 64);
    fill_pattern(out, 48, 77);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, out, 48), 48);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 47, out, 2), 1);
    for (unsigned int k = 0; k < 3u; k++) {
        gread(&f, wr_gpa[k], got, 16);
        assert_memory_equal(got, out + 16u * k, k == 2u ? 15u : 16u);
    }
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 48), AVPS_OK);
    vqfix_teardown(&f);
}
BOTH(test_cloud_hypervisor_7802_whole_chain_read)

/* Put n single-descriptor buffers through, to move the ring positions. */
static void advance(struct vqfix *f, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        roundtrip(f);
}

/* Pop a chain of n descriptors of len bytes (half readable) and complete it. */
static void chain_through(struct vqfix *f, unsigned int n, uint32_t len)
{
    struct rd_done d;
    int id = add_bufs(f, n, n / 2u, len, 0);

    assert_true(id >= 0);
    assert_int_equal(avps_vq_pop(&f->vq, &f->req), 1);
    assert_int_equal(f->req.id, id);
    assert_int_equal(f->req.n_rd + f->req.n_wr, n);
    assert_int_equal(f->req.rd_len, (n / 2u) * len);
    assert_int_equal(f->req.wr_len, (n - n / 2u) * len);
    assert_int_equal(avps_vq_push(&f->vq, (uint16_t)id, len), AVPS_OK);
    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, len);
    assert_int_equal(f->q.bad_used, 0);
}

/* openvmm#2983: a packed list that wraps the ring end, a list of the whole
 * ring, and the used side skipping the list across the wrap. */
static void test_openvmm_2983_packed_chain_wraps_ring_end_(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, QS, 0);
    advance(&f, 6);
    chain_through(&f, 4, 8);  /* positions 6, 7, 0, 1 */
    chain_through(&f, QS, 8); /* 2 .. 7, 0, 1: the whole ring */
    chain_through(&f, 7, 4);
    chain_through(&f, 3, 4);
    advance(&f, 3);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->guest_errors, 0);
    vqfix_teardown(&f);
}
ONE(test_openvmm_2983_packed_chain_wraps_ring_end, true)

/* openvmm#2983: packed queue sizes need not be powers of two (size 6). */
static void test_openvmm_2983_packed_non_pow2_size6_(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, 6, 0);
    for (unsigned int round = 0; round < 40u; round++)
        chain_through(&f, 1u + (round * 5u) % 6u, 8);
    /* a list longer than the ring breaks it even at size 6 */
    advance(&f, 1);
    assert_true(add_bufs(&f, 6, 6, 4, 0) >= 0);
    set_flags(&f, 5, AVPS_VRING_DESC_F_NEXT, 0);
    fatal_and_recover(&f, avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_LOOP);
    vqfix_teardown(&f);
}
ONE(test_openvmm_2983_packed_non_pow2_size6, true)

/* openvmm#2983: a packed indirect table is walked by its length; a stale
 * NEXT flag in its entries changes nothing. */
static void test_openvmm_2983_packed_indirect_stale_next_(bool packed)
{
    static struct vqfix f;
    uint64_t t;
    int id;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    id = add_bufs(&f, 3, 1, 16, RD_INDIRECT);
    t = table_of(&f);
    for (unsigned int i = 0; i < 3u; i++)
        set_table_flags(&f, t, i, (uint16_t)(table_flags(&f, t, i) | AVPS_VRING_DESC_F_NEXT));
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(f.req.wr_len, 32);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
ONE(test_openvmm_2983_packed_indirect_stale_next, true)

/* CVE-2021-3545: a completion may not claim more bytes than the device could
 * write, so the driver never reads bytes the device did not write. */
static void test_cve_2021_3545_no_uninitialised_leak(bool packed)
{
    static struct vqfix f;
    struct rd_done d;
    int a, b;

    setup(&f, packed, QS, 0);
    a = rd_add_simple(&f.q, 16, 32, 0);
    b = rd_add_simple(&f.q, 16, 0, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 33), AVPS_E_INVAL);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 1), AVPS_E_INVAL);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 0xffffffffu), AVPS_E_INVAL);
    assert_int_equal(rd_get_used(&f.q, &d), 0); /* nothing written */
    assert_int_equal(avps_vq_notify(&f.vq), 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 32), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 0), AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 32);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 0);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
BOTH(test_cve_2021_3545_no_uninitialised_leak)

/* Completion checks (program errors: INVAL, nothing written, not broken). */
static void test_mangle_push_checks(bool packed)
{
    static struct vqfix f;
    struct rd_done d;
    struct avps_vq_used u[3];
    int a, b;

    setup(&f, packed, QS, 0);
    a = rd_add_simple(&f.q, 0, 8, 0);
    b = rd_add_simple(&f.q, 0, 8, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, QS, 0), AVPS_E_INVAL);     /* id >= size */
    assert_int_equal(avps_vq_push(&f.vq, 5, 0), AVPS_E_INVAL);      /* not in flight */
    u[0] = (struct avps_vq_used){(uint16_t)a, 1};
    u[1] = (struct avps_vq_used){(uint16_t)a, 1};
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL);    /* repeat */
    u[1] = (struct avps_vq_used){(uint16_t)b, 1};
    u[2] = (struct avps_vq_used){(uint16_t)b, 1};
    assert_int_equal(avps_vq_push_n(&f.vq, u, 3), AVPS_E_INVAL);    /* more than in flight */
    u[1] = (struct avps_vq_used){(uint16_t)b, 9};
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_E_INVAL);    /* len of the 2nd */
    assert_int_equal(rd_get_used(&f.q, &d), 0);
    assert_int_equal(avps_vq_push_n(&f.vq, u, 0), AVPS_OK);
    u[1].len = 2;
    assert_int_equal(avps_vq_push_n(&f.vq, u, 2), AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, a);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, b);
    assert_int_equal(d.len, 2);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 0), AVPS_E_INVAL); /* twice */
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    assert_int_equal(f.q.bad_used, 0);
    vqfix_teardown(&f);
}
BOTH(test_mangle_push_checks)

/* QEMU 2025 "fix off-by-one and invalid access in virtqueue_ordered_fill":
 * IN_ORDER batches across the ring end, runs of completely used buffers
 * written as one entry, out-of-order completions refused. */
static void test_qemu_2025_in_order_fill_bounds(bool packed)
{
    static struct vqfix f;

    setup(&f, packed, QS, F_BIT(IN_ORDER));
    for (unsigned int lap = 0; lap < 5u; lap++) {
        struct avps_vq_used u[QS];
        const unsigned int n = lap % 2u ? QS : QS - 3u;
        int ids[QS];

        for (unsigned int i = 0; i < n; i++) {
            ids[i] = rd_add_simple(&f.q, 0, 16, 0);
            assert_true(ids[i] >= 0);
        }
        for (unsigned int i = 0; i < n; i++) {
            assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
            assert_int_equal(f.req.id, ids[i]);
            /* every third buffer used partly: it ends a run */
            u[i] = (struct avps_vq_used){f.req.id, i % 3u == 1u ? 5u : 16u};
        }
        /* out of order: refused, nothing written */
        if (n > 1u) {
            struct avps_vq_used sw[2] = {u[1], u[0]};

            assert_int_equal(avps_vq_push_n(&f.vq, sw, 2), AVPS_E_INVAL);
            assert_int_equal(avps_vq_push(&f.vq, u[1].id, u[1].len), AVPS_E_INVAL);
        }
        assert_int_equal(avps_vq_push_n(&f.vq, u, n), AVPS_OK);
        for (unsigned int i = 0; i < n; i++) {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 1);
            assert_int_equal(d.id, ids[i]);
            assert_int_equal(d.len, u[i].len);
        }
        {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 0);
        }
        assert_int_equal(f.q.bad_used, 0);
    }
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}
BOTH(test_qemu_2025_in_order_fill_bounds)


/* ---- batch 7: remaining branches ---------------------------------------- */

/* An indirect table whose first entry translates and whose second does not
 * (read entry by entry, then GUEST_RANGE). */
static void test_mangle_table_partly_outside(bool packed)
{
    static struct vqfix f;
    uint8_t raw[16];
    int bad;

    setup(&f, packed, QS, F_BIT(INDIRECT_DESC));
    bad = add_bufs(&f, 2, 1, 16, RD_INDIRECT);
    gread(&f, table_of(&f), raw, 16);
    gwrite(&f, VQFIX_MEM - 16u, raw, 16);
    set_addr(&f, 0, VQFIX_MEM - 16u);
    pop_expect_drop_then_next(&f, bad, AVPS_EV_GUEST_RANGE);
    vqfix_teardown(&f);
}
BOTH(test_mangle_table_partly_outside)

/* avps_vq_skip applies the same chain rules: a malformed chain is dropped,
 * and the call goes on to the next one. */
static void test_mangle_skip_drops_malformed(bool packed)
{
    static struct vqfix f;
    uint16_t id = 0xffffu;
    int bad, good;

    setup(&f, packed, QS, 0);
    bad = add_bufs(&f, 3, 1, 16, 0);
    set_flags(&f, 2, 0, AVPS_VRING_DESC_F_WRITE);
    good = rd_add_simple(&f.q, 8, 8, 0);
    assert_int_equal(avps_vq_skip(&f.vq, &id), 1);
    assert_int_equal(id, good);
    expect_dropped(&f, (uint16_t)bad, AVPS_EV_GUEST_DESC);
    assert_int_equal(avps_vq_push(&f.vq, id, 8), AVPS_OK);
    vqfix_teardown(&f);
}
BOTH(test_mangle_skip_drops_malformed)

/* Notification data (§2.9): a value naming another queue or an impossible
 * position is reported and refused, without breaking the queue. */
static void test_mangle_notify_data(bool packed)
{
    static struct vqfix f;
    const uint32_t q = VQFIX_QINDEX;

    setup(&f, packed, QS, 0);
    assert_int_equal(avps_vq_notify_data(&f.vq, q), AVPS_E_INVAL); /* not negotiated */
    vqfix_teardown(&f);

    setup(&f, packed, QS, F_BIT(NOTIFICATION_DATA));
    assert_true(rd_add_simple(&f.q, 8, 8, 0) >= 0);
    {
        /* what the driver would send now */
        const uint32_t good = packed ? q | ((uint32_t)f.q.next_avail << 16) |
                                           ((uint32_t)f.q.avail_wrap << 31)
                                     : q | ((uint32_t)f.q.avail_idx << 16);
        const uint32_t bad[] = {
            good + 1u,                                  /* another queue */
            packed ? q | ((uint32_t)QS << 16)            /* position >= size */
                   : q | (0x4000u << 16),                /* index far away */
        };

        assert_int_equal(avps_vq_notify_data(&f.vq, good), 1);
        assert_int_equal(avps_vq_notify_data(&f.vq, q | (packed ? 1u << 31 : 0u)), 0);
        for (unsigned int i = 0; i < 2u; i++) {
            mark(&f);
            assert_int_equal(avps_vq_notify_data(&f.vq, bad[i]), AVPS_E_GUEST_INDEX);
            assert_int_equal(f.g.reports[AVPS_EV_NOTIFY_DATA], 1);
            assert_int_equal(avps_posix_report_total(&f.g), 1);
            assert_int_equal(avps_vq_stats(&f.vq)->guest_errors - base.guest_errors, 1);
            assert_false(avps_vq_is_broken(&f.vq));
            assert_int_equal(f.broken_calls, 0);
        }
    }
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    vqfix_teardown(&f);
}
BOTH(test_mangle_notify_data)

enum {
    RS_INFLIGHT_GT_SIZE,
    RS_INFLIGHT_MISMATCH,
    RS_SLOT_NDESC,
    RS_SLOT_BEYOND_SIZE,
    RS_SPLIT_IDX,
    RS_PK_LAST_AVAIL,
    RS_PK_USED_IDX,
    RS_PK_AVAIL_WRAP,
    RS_PK_USED_WRAP,
    RS_PK_SAME_WRAP_ORDER,
    RS_PK_DIFF_WRAP_ORDER,
    RS_PK_DESCS,
    RS_IO_SEQ,
    RS_IO_DUP,
    RS_COUNT
};

/* Restored state is guest data: one field wrong → GUEST_STATE, queue
 * unchanged and still working. */
static void restore_case(bool packed, int which)
{
    const bool io = which == RS_IO_SEQ || which == RS_IO_DUP;
    static struct vqfix f;
    struct avps_vq_state st, bad, after;
    struct avps_vq_slot saved[2 * QS];
    int a, b;

    if (which == RS_SLOT_BEYOND_SIZE) {
        /* 16 slots, a queue of 8 */
        struct avps_vq_ring ring;

        assert_int_equal(vqfix_setup_ex(&f, packed, 2 * QS, 0, false), 0);
        ring = rd_ring(&f.q);
        ring.size = QS;
        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
        mark(&f);
    } else {
        setup(&f, packed, QS, io ? F_BIT(IN_ORDER) : 0u);
    }
    a = add_bufs(&f, 2, 1, 8, 0);
    b = add_bufs(&f, 2, 1, 8, 0);
    assert_true(add_bufs(&f, 2, 1, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_OK);
    assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_OK); /* the control */
    memcpy(saved, f.slots, sizeof(struct avps_vq_slot) * f.q.size);
    bad = st;
    switch (which) {
    case RS_INFLIGHT_GT_SIZE: bad.inflight = QS + 1u; break;
    case RS_INFLIGHT_MISMATCH: bad.inflight = 1; break;
    case RS_SLOT_NDESC: f.slots[a].ndesc = packed ? QS + 1u : 2u; break;
    case RS_SLOT_BEYOND_SIZE: f.slots[QS + 3u].ndesc = 1; break;
    case RS_SPLIT_IDX: bad.used_idx = 1; break;
    case RS_PK_LAST_AVAIL: bad.last_avail = QS; break;
    case RS_PK_USED_IDX: bad.used_idx = QS; break;
    case RS_PK_AVAIL_WRAP: bad.avail_wrap = 2; break;
    case RS_PK_USED_WRAP: bad.used_wrap = 2; break;
    case RS_PK_SAME_WRAP_ORDER: bad.used_idx = (uint16_t)(st.last_avail + 1u); break;
    case RS_PK_DIFF_WRAP_ORDER: bad.used_wrap ^= 1u; break;
    case RS_PK_DESCS: bad.last_avail = (uint16_t)(st.last_avail - 1u); break;
    case RS_IO_SEQ: bad.first_seq = (uint16_t)(st.first_seq + 1u); break;
    case RS_IO_DUP: f.slots[b].seq = f.slots[a].seq; break;
    default: fail();
    }
    assert_int_equal(avps_vq_restore(&f.vq, &bad), AVPS_E_GUEST_STATE);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 0);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    memcpy(f.slots, saved, sizeof(struct avps_vq_slot) * f.q.size);
    assert_int_equal(avps_vq_save(&f.vq, &after), AVPS_OK);
    assert_memory_equal(&after, &st, sizeof st);
    /* and it still works */
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)a, 1), AVPS_OK);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)b, 2), AVPS_OK);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    vqfix_teardown(&f);
}

static void test_mangle_restore(bool packed)
{
    struct avps_vq_state st;
    static struct vqfix f;

    for (int w = 0; w < RS_COUNT; w++) {
        const bool pk_only = w >= RS_PK_LAST_AVAIL && w <= RS_PK_DESCS;

        if ((pk_only && !packed) || (w == RS_SPLIT_IDX && packed))
            continue;
        restore_case(packed, w);
    }
    /* not enabled */
    assert_int_equal(vqfix_setup_ex(&f, packed, QS, 0, false), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_E_STATE);
    assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_E_STATE);
    vqfix_teardown(&f);
}
BOTH(test_mangle_restore)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cve_2016_6490_zero_len_loop_split),
        cmocka_unit_test(test_cve_2016_6490_zero_len_loop_packed),
        cmocka_unit_test(test_mangle_split_next_loop),
        cmocka_unit_test(test_mangle_zero_len_desc_no_segment_split),
        cmocka_unit_test(test_mangle_zero_len_desc_no_segment_packed),
        cmocka_unit_test(test_mangle_split_next_out_of_range),
        cmocka_unit_test(test_mangle_indirect_not_negotiated_split),
        cmocka_unit_test(test_mangle_indirect_not_negotiated_packed),
        cmocka_unit_test(test_mangle_indirect_with_next_split),
        cmocka_unit_test(test_mangle_indirect_with_next_packed),
        cmocka_unit_test(test_mangle_split_avail_idx_jump),
        cmocka_unit_test(test_mangle_split_head_out_of_range),
        cmocka_unit_test(test_spdk_3860_packed_id_bound),
        cmocka_unit_test(test_cve_2016_5403_inflight_cap_split),
        cmocka_unit_test(test_cve_2016_5403_inflight_cap_packed),
        cmocka_unit_test(test_mangle_indirect_len_split),
        cmocka_unit_test(test_mangle_indirect_len_packed),
        cmocka_unit_test(test_mangle_split_nested_indirect),
        cmocka_unit_test(test_mangle_packed_table_indirect_is_plain_buffer),
        cmocka_unit_test(test_mangle_split_table_next_out_of_range),
        cmocka_unit_test(test_mangle_split_table_loop),
        cmocka_unit_test(test_mangle_table_longer_than_queue_split),
        cmocka_unit_test(test_mangle_table_longer_than_queue_packed),
        cmocka_unit_test(test_mangle_readable_after_writable_split),
        cmocka_unit_test(test_mangle_readable_after_writable_packed),
        cmocka_unit_test(test_mangle_table_readable_after_writable_split),
        cmocka_unit_test(test_mangle_table_readable_after_writable_packed),
        cmocka_unit_test(test_mangle_total_len_overflow_split),
        cmocka_unit_test(test_mangle_total_len_overflow_packed),
        cmocka_unit_test(test_cve_2019_18960_len_bounds_split),
        cmocka_unit_test(test_cve_2019_18960_len_bounds_packed),
        cmocka_unit_test(test_cve_2016_7422_desc_maps_to_nothing_split),
        cmocka_unit_test(test_cve_2016_7422_desc_maps_to_nothing_packed),
        cmocka_unit_test(test_mangle_port_long_span_split),
        cmocka_unit_test(test_mangle_port_long_span_packed),
        cmocka_unit_test(test_mangle_port_refuses_split),
        cmocka_unit_test(test_mangle_port_refuses_packed),
        cmocka_unit_test(test_mangle_addr_wraps_split),
        cmocka_unit_test(test_mangle_addr_wraps_packed),
        cmocka_unit_test(test_mangle_table_outside_memory_split),
        cmocka_unit_test(test_mangle_table_outside_memory_packed),
        cmocka_unit_test(test_mangle_packed_indirect_not_alone),
        cmocka_unit_test(test_qemu_2024_indirect_table_across_regions_split),
        cmocka_unit_test(test_qemu_2024_indirect_table_across_regions_packed),
        cmocka_unit_test(test_rust_vmm_220_unaligned_indirect_table_split),
        cmocka_unit_test(test_rust_vmm_220_unaligned_indirect_table_packed),
        cmocka_unit_test(test_cve_2018_1059_whole_range_translated_split),
        cmocka_unit_test(test_cve_2018_1059_whole_range_translated_packed),
        cmocka_unit_test(test_cloud_hypervisor_2450_buffer_ends_at_last_byte_split),
        cmocka_unit_test(test_cloud_hypervisor_2450_buffer_ends_at_last_byte_packed),
        cmocka_unit_test(test_mangle_split_head_in_flight),
        cmocka_unit_test(test_mangle_packed_id_in_flight),
        cmocka_unit_test(test_mangle_packed_next_not_available),
        cmocka_unit_test(test_mangle_packed_list_too_long),
        cmocka_unit_test(test_mangle_in_order_drop_behind_inflight_split),
        cmocka_unit_test(test_mangle_in_order_drop_behind_inflight_packed),
        cmocka_unit_test(test_mangle_enable_misaligned_desc_split),
        cmocka_unit_test(test_mangle_enable_misaligned_desc_packed),
        cmocka_unit_test(test_mangle_enable_misaligned_driver_split),
        cmocka_unit_test(test_mangle_enable_misaligned_driver_packed),
        cmocka_unit_test(test_mangle_enable_misaligned_device_split),
        cmocka_unit_test(test_mangle_enable_misaligned_device_packed),
        cmocka_unit_test(test_mangle_enable_split_size_not_pow2),
        cmocka_unit_test(test_mangle_enable_area_not_translated_split),
        cmocka_unit_test(test_mangle_enable_area_not_translated_packed),
        cmocka_unit_test(test_mangle_enable_program_errors_split),
        cmocka_unit_test(test_mangle_enable_program_errors_packed),
        cmocka_unit_test(test_mangle_broken_queue_isolated_split),
        cmocka_unit_test(test_mangle_broken_queue_isolated_packed),
        cmocka_unit_test(test_cloud_hypervisor_8401_bad_head_returned_split),
        cmocka_unit_test(test_cloud_hypervisor_8401_bad_head_returned_packed),
        cmocka_unit_test(test_openvmm_4045_bad_chain_consumed_not_looped_split),
        cmocka_unit_test(test_openvmm_4045_bad_chain_consumed_not_looped_packed),
        cmocka_unit_test(test_acrn_7038_error_not_ignored_forever_split),
        cmocka_unit_test(test_acrn_7038_error_not_ignored_forever_packed),
        cmocka_unit_test(test_firecracker_3149_avail_idx_games_split),
        cmocka_unit_test(test_firecracker_3149_avail_idx_games_packed),
        cmocka_unit_test(test_cve_2019_14835_aux_array_bound_split),
        cmocka_unit_test(test_cve_2019_14835_aux_array_bound_packed),
        cmocka_unit_test(test_cve_2022_2132_header_split_across_descs_split),
        cmocka_unit_test(test_cve_2022_2132_header_split_across_descs_packed),
        cmocka_unit_test(test_rust_vmm_204_header_and_payload_any_layout_split),
        cmocka_unit_test(test_rust_vmm_204_header_and_payload_any_layout_packed),
        cmocka_unit_test(test_cloud_hypervisor_7802_whole_chain_read_split),
        cmocka_unit_test(test_cloud_hypervisor_7802_whole_chain_read_packed),
        cmocka_unit_test(test_openvmm_2983_packed_chain_wraps_ring_end),
        cmocka_unit_test(test_openvmm_2983_packed_non_pow2_size6),
        cmocka_unit_test(test_openvmm_2983_packed_indirect_stale_next),
        cmocka_unit_test(test_cve_2021_3545_no_uninitialised_leak_split),
        cmocka_unit_test(test_cve_2021_3545_no_uninitialised_leak_packed),
        cmocka_unit_test(test_mangle_push_checks_split),
        cmocka_unit_test(test_mangle_push_checks_packed),
        cmocka_unit_test(test_qemu_2025_in_order_fill_bounds_split),
        cmocka_unit_test(test_qemu_2025_in_order_fill_bounds_packed),
        cmocka_unit_test(test_mangle_table_partly_outside_split),
        cmocka_unit_test(test_mangle_table_partly_outside_packed),
        cmocka_unit_test(test_mangle_skip_drops_malformed_split),
        cmocka_unit_test(test_mangle_skip_drops_malformed_packed),
        cmocka_unit_test(test_mangle_notify_data_split),
        cmocka_unit_test(test_mangle_notify_data_packed),
        cmocka_unit_test(test_mangle_restore_split),
        cmocka_unit_test(test_mangle_restore_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

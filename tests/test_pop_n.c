/*
 * test_pop_n: avps_vq_pop_n(), a batch of chains in one call. Every case
 * runs for both layouts and both translation paths (a port with translation
 * windows, where single direct descriptors take the tight loop, and a port
 * without, where every chain takes the general path). The single-chain
 * semantics are also checked by running the ring suites with every pop
 * through pop_n (the *_pop_n ctest passes); these cases are the batch ones:
 * order, limits, and one mangled entry in the middle of a batch.
 *
 * Fixtures are static in each test so that a failed assertion (cmocka
 * longjmps out) leaves them reachable rather than reported as leaks.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vqfix.h"

#define QS 16u
#define NB 64u

#define F_PKD_AVAIL AVPS_VRING_PACKED_DESC_F_AVAIL
#define F_PKD_USED AVPS_VRING_PACKED_DESC_F_USED

struct batch {
    struct avps_vq_req req[NB];
    struct avps_vq_seg seg[NB][4];
    struct avps_vq_used used[NB];
};

static void setup(struct vqfix *f, struct batch *b, bool packed, bool window, uint16_t size,
                  uint64_t features)
{
    if (window)
        setenv("AVPS_TEST_WINDOW", "1", 1);
    else
        unsetenv("AVPS_TEST_WINDOW");
    assert_int_equal(vqfix_setup(f, packed, size, features), 0);
    unsetenv("AVPS_TEST_WINDOW");
    memset(b, 0, sizeof *b);
    for (unsigned int i = 0; i < NB; i++) {
        b->req[i].seg = b->seg[i];
        b->req[i].seg_max = 4;
    }
    avps_posix_clear_counters(&f->g);
}

/* One buffer of one descriptor at a fresh guest address. */
static int add1(struct vqfix *f, uint32_t len, bool write, uint64_t *gpa)
{
    struct rd_buf rb;

    rb.gpa = rd_alloc(&f->q, len);
    rb.len = len;
    rb.write = write;
    if (gpa != NULL)
        *gpa = rb.gpa;
    return rd_add(&f->q, &rb, 1, 0);
}

/* Return the first n requests with their full writable length. */
static void push_all(struct vqfix *f, struct batch *b, int n)
{
    for (int i = 0; i < n; i++) {
        b->used[i].id = b->req[i].id;
        b->used[i].len = b->req[i].wr_len;
    }
    assert_int_equal(avps_vq_push_n(&f->vq, b->used, (size_t)n), AVPS_OK);
}

/* The driver gets back exactly ids[0..n) in this order (with IN_ORDER a run
 * may come back as one entry naming its last buffer: rd handles that). */
static void expect_used(struct vqfix *f, const int *ids, int n)
{
    struct rd_done d;

    for (int i = 0; i < n; i++) {
        assert_int_equal(rd_get_used(&f->q, &d), 1);
        assert_int_equal(d.id, ids[i]);
    }
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    assert_int_equal(f->q.bad_used, 0);
}

/* ---- order and contents ------------------------------------------------- */

/* A mix of chains the tight loop takes and chains it hands to the general
 * path (two descriptors, an indirect table, a zero-length one): one call
 * takes them all, in ring order, each filled as avps_vq_pop() fills it. */
static void mixed(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    uint64_t gpa[12];
    int ids[12];
    int got;

    setup(&f, &b, packed, window, QS, F_BIT(INDIRECT_DESC));
    for (int i = 0; i < 12; i++) {
        switch (i % 4) {
        case 0:
        case 1:
            ids[i] = add1(&f, 64u + (uint32_t)i, (i & 1) != 0, &gpa[i]);
            break;
        case 2:
            ids[i] = rd_add_simple(&f.q, 16, 32, 0);
            break;
        default:
            ids[i] = rd_add_simple(&f.q, 8, 24, RD_INDIRECT);
            break;
        }
        assert_true(ids[i] >= 0);
    }
    got = avps_vq_pop_n(&f.vq, b.req, NB);
    assert_int_equal(got, 12);
    for (int i = 0; i < 12; i++) {
        const struct avps_vq_req *r = &b.req[i];

        assert_int_equal(r->id, ids[i]);
        switch (i % 4) {
        case 0:
        case 1: {
            const uint32_t len = 64u + (uint32_t)i;
            const bool wr = (i & 1) != 0;

            assert_int_equal(r->n_rd, wr ? 0 : 1);
            assert_int_equal(r->n_wr, wr ? 1 : 0);
            assert_int_equal(r->rd_len, wr ? 0 : len);
            assert_int_equal(r->wr_len, wr ? len : 0);
            assert_int_equal(r->seg[0].gpa, gpa[i]);
            assert_int_equal(r->seg[0].len, len);
            assert_ptr_equal(r->seg[0].base, avps_posix_ptr(&f.g, gpa[i], len));
            break;
        }
        case 2:
            assert_int_equal(r->n_rd, 1);
            assert_int_equal(r->n_wr, 1);
            assert_int_equal(r->rd_len, 16);
            assert_int_equal(r->wr_len, 32);
            break;
        default:
            assert_int_equal(r->n_rd, 1);
            assert_int_equal(r->n_wr, 1);
            assert_int_equal(r->rd_len, 8);
            assert_int_equal(r->wr_len, 24);
            break;
        }
    }
    assert_int_equal(avps_vq_stats(&f.vq)->popped, 12);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 0);
    push_all(&f, &b, 12);
    expect_used(&f, ids, 12);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    /* only the rings were mapped with a window: one window call served all
     * the single descriptors */
    if (window)
        assert_int_equal(f.g.windows, 1);
    vqfix_teardown(&f);
}

/* Limits: n = 0 takes nothing; a batch stops at the published entries and
 * goes on from there; n beyond the queue size takes at most the queue. */
static void limits(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    int ids[QS];

    setup(&f, &b, packed, window, QS, 0);
    for (int i = 0; i < 5; i++)
        ids[i] = add1(&f, 32, true, NULL);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 0), 0);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 3), 3);
    assert_int_equal(avps_vq_pop_n(&f.vq, &b.req[3], 8), 2);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 8), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(b.req[i].id, ids[i]);
    push_all(&f, &b, 5);
    expect_used(&f, ids, 5);
    /* a whole queue at once, asked for more than it holds */
    for (unsigned int i = 0; i < QS; i++)
        ids[i] = add1(&f, 32, false, NULL);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), QS);
    for (unsigned int i = 0; i < QS; i++)
        assert_int_equal(b.req[i].id, ids[i]);
    push_all(&f, &b, QS);
    expect_used(&f, ids, QS);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}

/* Many laps of a small ring: the ring positions, the packed wrap counters
 * and the split free-running indices all come round correctly. */
static void laps(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    int ids[8];

    setup(&f, &b, packed, window, 8, 0);
    for (int lap = 0; lap < 20; lap++) {
        const int n = 1 + (lap % 6);

        for (int i = 0; i < n; i++)
            ids[i] = add1(&f, 16, (lap & 1) != 0, NULL);
        assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), n);
        for (int i = 0; i < n; i++)
            assert_int_equal(b.req[i].id, ids[i]);
        push_all(&f, &b, n);
        expect_used(&f, ids, n);
    }
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}

/* The queue must be enabled and not broken. */
static void state(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;

    setup(&f, &b, packed, window, QS, 0);
    (void)add1(&f, 16, true, NULL);
    avps_vq_reset(&f.vq);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 4), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* With EVENT_IDX an empty batch asks for a notification at the next entry,
 * as an empty avps_vq_pop() does. */
static void empty_arms_event(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    uint16_t old;
    uint8_t old_wrap;

    setup(&f, &b, packed, window, QS, F_BIT(EVENT_IDX));
    (void)add1(&f, 16, true, NULL);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 4), 1);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 4), 0);
    old = packed ? f.q.next_avail : f.q.avail_idx;
    old_wrap = f.q.avail_wrap;
    (void)add1(&f, 16, true, NULL);
    assert_true(rd_kick_needed(&f.q, old, old_wrap));
    vqfix_teardown(&f);
}

/* ---- one mangled entry in the middle of a batch ------------------------- */

/* Split: the k-th available entry names a head beyond the table, or a head
 * already in flight: the chains before it are taken, the queue breaks
 * (GUEST_INDEX reported once), the next call says so. */
static void split_bad_head(bool window, bool in_flight)
{
    static struct vqfix f;
    static struct batch b;
    int ids[4];

    setup(&f, &b, false, window, QS, 0);
    for (int i = 0; i < 4; i++)
        ids[i] = add1(&f, 32, true, NULL);
    /* mangle: entry 2 names head QS, or the head of entry 0 */
    rd_set_avail_ring(&f.q, 2, in_flight ? (uint16_t)ids[0] : (uint16_t)QS);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 2);
    assert_int_equal(b.req[0].id, ids[0]);
    assert_int_equal(b.req[1].id, ids[1]);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(f.broken_err, AVPS_E_GUEST_INDEX);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_INDEX], 1);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* Packed: the k-th descriptor carries a buffer id beyond the queue, or the
 * id of a buffer in flight. */
static void packed_bad_id(bool window, bool in_flight)
{
    static struct vqfix f;
    static struct batch b;
    int ids[4];
    struct avps_pvirtq_desc *d;

    setup(&f, &b, true, window, QS, 0);
    for (int i = 0; i < 4; i++)
        ids[i] = add1(&f, 32, true, NULL);
    d = rd_packed_desc(&f.q, 2);
    d->id = avps_to_le16(in_flight ? (uint16_t)ids[0] : (uint16_t)QS);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 2);
    assert_int_equal(b.req[0].id, ids[0]);
    assert_int_equal(b.req[1].id, ids[1]);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_err, AVPS_E_GUEST_INDEX);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_INDEX], 1);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* A malformed chain in the middle (its buffer outside guest memory) is
 * returned with length 0 and reported; the batch goes on past it and the
 * queue keeps working. */
static void dropped_middle(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    int ids[5];
    int good[4];
    struct rd_done d;

    setup(&f, &b, packed, window, QS, 0);
    for (int i = 0; i < 5; i++)
        ids[i] = add1(&f, 32, true, NULL);
    /* mangle: chain 2's address beyond guest memory */
    if (packed)
        rd_packed_desc(&f.q, 2)->addr = avps_to_le64(VQFIX_MEM + 4096u);
    else
        rd_split_desc(&f.q, (uint16_t)ids[2])->addr = avps_to_le64(VQFIX_MEM + 4096u);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 4);
    good[0] = ids[0];
    good[1] = ids[1];
    good[2] = ids[3];
    good[3] = ids[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(b.req[i].id, good[i]);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_RANGE], 1);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], 1);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 1);
    /* the dropped one is already back, with length 0 */
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, ids[2]);
    assert_int_equal(d.len, 0);
    push_all(&f, &b, 4);
    expect_used(&f, good, 4);
    vqfix_teardown(&f);
}

/* A chain that does not fit its request's segment array ends the batch
 * before it; it stays in the ring for the next call. */
static void nospc_middle(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    int ids[4];

    setup(&f, &b, packed, window, QS, 0);
    ids[0] = add1(&f, 32, true, NULL);
    ids[1] = add1(&f, 32, true, NULL);
    ids[2] = rd_add_simple(&f.q, 16, 32, 0); /* two descriptors */
    ids[3] = add1(&f, 32, true, NULL);
    b.req[2].seg_max = 1;
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 2);
    /* the next call starts with it: refused while it does not fit */
    b.req[0].seg_max = 1;
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), AVPS_E_NOSPC);
    assert_int_equal(b.req[0].id, ids[2]);
    /* a request with no segments at all refuses even one descriptor */
    b.req[0].seg_max = 4;
    b.req[1].seg_max = 0;
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 1);
    assert_int_equal(b.req[0].id, ids[2]);
    b.req[1].seg_max = 4;
    assert_int_equal(avps_vq_pop_n(&f.vq, &b.req[1], NB), 1);
    assert_int_equal(b.req[1].id, ids[3]);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    vqfix_teardown(&f);
}

/* CVE-2016-5403's class: every slot is in flight and the driver offers one
 * more: the queue breaks instead of taking a buffer twice. */
static void overflow(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;

    setup(&f, &b, packed, window, 4, 0);
    for (int i = 0; i < 4; i++)
        assert_true(add1(&f, 32, true, NULL) >= 0);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, 2), 2);
    assert_int_equal(avps_vq_pop_n(&f.vq, &b.req[2], NB), 2);
    /* mangle: one more entry while all four are in flight */
    if (packed) {
        struct avps_pvirtq_desc *d = rd_packed_desc(&f.q, 0);

        /* available in the next lap: AVAIL != USED, AVAIL = wrap 0 */
        d->flags = avps_to_le16(F_PKD_USED);
        d->id = avps_to_le16(0);
    } else {
        rd_set_avail_ring(&f.q, 4 % 4, 0);
        rd_set_avail_idx(&f.q, 5);
    }
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), AVPS_E_GUEST_INDEX);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_INDEX], 1);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* ---- IN_ORDER ----------------------------------------------------------- */

/* Order numbers taken in a batch: completions must come back in that order
 * (a swapped pair is refused and changes nothing), and a run of whole
 * buffers may come back as one entry. */
static void in_order(bool packed, bool window)
{
    static struct vqfix f;
    static struct batch b;
    int ids[8];
    struct avps_vq_used sw[2];

    setup(&f, &b, packed, window, QS, F_BIT(IN_ORDER));
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++)
            ids[i] = add1(&f, 32, true, NULL);
        assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 8);
        sw[0].id = b.req[1].id;
        sw[0].len = 32;
        sw[1].id = b.req[0].id;
        sw[1].len = 32;
        assert_int_equal(avps_vq_push_n(&f.vq, sw, 2), AVPS_E_INVAL);
        push_all(&f, &b, 8);
        expect_used(&f, ids, 8);
    }
    assert_false(avps_vq_is_broken(&f.vq));
    vqfix_teardown(&f);
}

/* ---- resubmission ------------------------------------------------------- */

/* Split: buffers handed out again after a restart come first in a batch, a
 * list entry naming nothing valid is reported and passed over, and new
 * chains follow in the same call. */
static void resubmit_first(bool window)
{
    static struct vqfix f;
    static struct batch b;
    struct avps_vq_resub list[3];
    struct avps_vq_state st;
    struct avps_vq_ring ring;
    int ids[5];

    setup(&f, &b, false, window, QS, 0);
    for (int i = 0; i < 3; i++)
        ids[i] = add1(&f, 32, true, NULL);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 3);
    /* restart at the used position with nothing in flight */
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_OK);
    avps_vq_reset(&f.vq);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    st.inflight = 0;
    st.last_avail = st.used_idx;
    assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_OK);
    /* ids[2]'s entry is named wrongly (mangled): it is passed over */
    list[0].id = (uint16_t)ids[1];
    list[1].id = QS + 2u;
    list[2].id = (uint16_t)ids[0];
    for (int i = 0; i < 3; i++)
        list[i].ndesc = 1;
    assert_int_equal(avps_vq_resubmit(&f.vq, list, 3), AVPS_OK);
    ids[3] = add1(&f, 32, true, NULL);
    ids[4] = add1(&f, 32, true, NULL);
    avps_posix_clear_counters(&f.g);
    assert_int_equal(avps_vq_pop_n(&f.vq, b.req, NB), 4);
    assert_int_equal(b.req[0].id, ids[1]);
    assert_int_equal(b.req[1].id, ids[0]);
    assert_int_equal(b.req[2].id, ids[3]);
    assert_int_equal(b.req[3].id, ids[4]);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_INDEX], 1);
    assert_false(avps_vq_is_broken(&f.vq));
    vqfix_teardown(&f);
}

#define BOTH(name)                                                                             \
    static void test_pop_n_##name##_split(void **s) { (void)s; name(false, false); }          \
    static void test_pop_n_##name##_split_window(void **s) { (void)s; name(false, true); }    \
    static void test_pop_n_##name##_packed(void **s) { (void)s; name(true, false); }          \
    static void test_pop_n_##name##_packed_window(void **s) { (void)s; name(true, true); }

BOTH(mixed)
BOTH(limits)
BOTH(laps)
BOTH(state)
BOTH(empty_arms_event)
BOTH(dropped_middle)
BOTH(nospc_middle)
BOTH(overflow)
BOTH(in_order)

static void test_pop_n_split_head_beyond(void **s) { (void)s; split_bad_head(false, false); }
static void test_pop_n_split_head_beyond_window(void **s) { (void)s; split_bad_head(true, false); }
static void test_pop_n_split_head_in_flight(void **s) { (void)s; split_bad_head(false, true); }
static void test_pop_n_split_head_in_flight_window(void **s) { (void)s; split_bad_head(true, true); }
static void test_pop_n_packed_id_beyond(void **s) { (void)s; packed_bad_id(false, false); }
static void test_pop_n_packed_id_beyond_window(void **s) { (void)s; packed_bad_id(true, false); }
static void test_pop_n_packed_id_in_flight(void **s) { (void)s; packed_bad_id(false, true); }
static void test_pop_n_packed_id_in_flight_window(void **s) { (void)s; packed_bad_id(true, true); }
static void test_pop_n_resubmit_first_split(void **s) { (void)s; resubmit_first(false); }
static void test_pop_n_resubmit_first_split_window(void **s) { (void)s; resubmit_first(true); }

#define T4(name)                                                                               \
    cmocka_unit_test(test_pop_n_##name##_split), cmocka_unit_test(test_pop_n_##name##_split_window), \
        cmocka_unit_test(test_pop_n_##name##_packed),                                           \
        cmocka_unit_test(test_pop_n_##name##_packed_window)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T4(mixed),
        T4(limits),
        T4(laps),
        T4(state),
        T4(empty_arms_event),
        T4(dropped_middle),
        T4(nospc_middle),
        T4(overflow),
        T4(in_order),
        cmocka_unit_test(test_pop_n_split_head_beyond),
        cmocka_unit_test(test_pop_n_split_head_beyond_window),
        cmocka_unit_test(test_pop_n_split_head_in_flight),
        cmocka_unit_test(test_pop_n_split_head_in_flight_window),
        cmocka_unit_test(test_pop_n_packed_id_beyond),
        cmocka_unit_test(test_pop_n_packed_id_beyond_window),
        cmocka_unit_test(test_pop_n_packed_id_in_flight),
        cmocka_unit_test(test_pop_n_packed_id_in_flight_window),
        cmocka_unit_test(test_pop_n_resubmit_first_split),
        cmocka_unit_test(test_pop_n_resubmit_first_split_window),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

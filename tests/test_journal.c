/*
 * test_journal: the in-flight journal hooks of the ring engines and the
 * resubmission of buffers after a restart (the library side of vhost-user's
 * INFLIGHT_SHMFD), split and packed, with the spec-written test driver.
 *
 * The journal here is a plain model: which ids are in flight, in what order
 * they were taken, and (packed) the descriptors recorded for each. A restart
 * throws the device queue away, enables a new one on the same ring, restores
 * the used position, and resubmits what the model says is in flight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vqfix.h"

#define QS 16u
#define TJ_MAXD 8u

struct tj {
    struct rd_queue *q;       /* to look at the ring from the hooks */
    bool packed;
    uint8_t inflight[QS];
    uint64_t counter[QS];
    uint64_t next_counter;
    struct avps_vq_desc d[QS][TJ_MAXD];
    uint16_t nd[QS];
    struct avps_vq_desc pend[TJ_MAXD];
    uint16_t npend;
    uint16_t used_idx;
    uint8_t used_wrap;
    int taken_calls, abort_calls, begin_calls, end_calls, desc_calls;
    int order_errors; /* a hook saw the ring in the wrong state */
    uint16_t ring_used_at_begin;
    uint16_t begin_idx;
    uint8_t begin_wrap;
    /* fetch() mangling */
    int fetch_mode; /* 0 normal, 1 nothing, 2 endless, 3 indirect then more */
};

static void tj_desc(void *ctx, uint16_t i, const struct avps_vq_desc *d)
{
    struct tj *t = ctx;

    t->desc_calls++;
    if (i == 0)
        t->npend = 0;
    if (i != t->npend)
        t->order_errors++;
    if (t->npend < TJ_MAXD)
        t->pend[t->npend++] = *d;
}

static void tj_taken(void *ctx, uint16_t id, uint16_t ndesc)
{
    struct tj *t = ctx;

    t->taken_calls++;
    assert_true(id < QS);
    t->inflight[id] = 1;
    t->counter[id] = t->next_counter++;
    if (t->packed) {
        if (ndesc != t->npend)
            t->order_errors++;
        memcpy(t->d[id], t->pend, sizeof t->pend);
        t->nd[id] = t->npend;
    } else if (ndesc != 1u) {
        t->order_errors++;
    }
    t->npend = 0;
}

static void tj_abort(void *ctx)
{
    struct tj *t = ctx;

    t->abort_calls++;
    t->npend = 0;
}

static void tj_used_begin(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                          uint8_t used_wrap)
{
    struct tj *t = ctx;

    (void)u;
    t->begin_calls++;
    t->begin_idx = used_idx;
    t->begin_wrap = used_wrap;
    if (!t->packed) {
        t->ring_used_at_begin = rd_used_idx(t->q);
        /* the index is not published yet, and will move by n */
        if ((uint16_t)(t->ring_used_at_begin + n) != used_idx)
            t->order_errors++;
    }
}

static void tj_used_end(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                        uint8_t used_wrap)
{
    struct tj *t = ctx;

    t->end_calls++;
    if (used_idx != t->begin_idx || (t->packed && used_wrap != t->begin_wrap))
        t->order_errors++;
    for (size_t i = 0; i < n; i++) {
        if (u[i].id < QS)
            t->inflight[u[i].id] = 0;
    }
    /* split: the index moved between begin and end, and end names it */
    if (!t->packed && (rd_used_idx(t->q) != used_idx || t->ring_used_at_begin == used_idx))
        t->order_errors++;
    t->used_idx = used_idx;
    t->used_wrap = used_wrap;
}

static int tj_fetch(void *ctx, uint16_t id, uint16_t i, struct avps_vq_desc *d)
{
    struct tj *t = ctx;

    if (id >= QS)
        return 0;
    switch (t->fetch_mode) {
    case 1:
        return 0;
    case 2:
        *d = t->d[id][0];
        d->flags |= AVPS_VRING_DESC_F_NEXT;
        return 1;
    case 3:
        if (i > 1)
            return 0;
        *d = t->d[id][0];
        if (i == 0)
            d->flags = AVPS_VRING_DESC_F_INDIRECT;
        return 1;
    default:
        if (i >= t->nd[id])
            return 0;
        *d = t->d[id][i];
        return 1;
    }
}

static const struct avps_vq_journal tj_ops = {
    tj_desc, tj_taken, tj_abort, tj_used_begin, tj_used_end, tj_fetch,
};

struct jfix {
    struct vqfix f;
    struct tj t;
    struct avps_vq_resub resub[QS];
    uint32_t nresub;
};

static void jfix_setup(struct jfix *j, bool packed, uint64_t features)
{
    memset(j, 0, sizeof *j);
    assert_int_equal(vqfix_setup(&j->f, packed, QS, features), 0);
    j->t.q = &j->f.q;
    j->t.packed = packed;
    j->t.used_wrap = 1;
    assert_int_equal(avps_vq_set_journal(&j->f.vq, &tj_ops, &j->t), AVPS_OK);
}

/* A buffer with rd readable bytes of value fill and wr writable bytes. */
static int add_buf(struct jfix *j, uint32_t rd, uint32_t wr, uint8_t fill, unsigned int flags)
{
    struct rd_buf b[2];
    unsigned int n = 0;

    if (rd != 0) {
        b[n].gpa = rd_alloc(&j->f.q, rd);
        b[n].len = rd;
        b[n].write = false;
        rd_fill(&j->f.q, b[n].gpa, fill, rd);
        n++;
    }
    if (wr != 0) {
        b[n].gpa = rd_alloc(&j->f.q, wr);
        b[n].len = wr;
        b[n].write = true;
        n++;
    }
    return rd_add(&j->f.q, b, n, flags);
}

/* The device process "crashes": its queue object is thrown away and a new one
 * is enabled on the same ring at the used position the journal recorded,
 * past the buffers in flight, which are then resubmitted in taken order. */
static void restart(struct jfix *j)
{
    struct avps_vq_ring ring = rd_ring(&j->f.q);
    struct avps_vq_state st;
    uint32_t n = 0;

    /* ids in flight, by counter */
    for (;;) {
        int best = -1;

        for (uint16_t id = 0; id < QS; id++) {
            bool listed = false;

            for (uint32_t k = 0; k < n; k++)
                listed |= j->resub[k].id == id;
            if (j->t.inflight[id] && !listed &&
                (best < 0 || j->t.counter[id] < j->t.counter[best]))
                best = id;
        }
        if (best < 0)
            break;
        j->resub[n].id = (uint16_t)best;
        j->resub[n].ndesc = j->f.packed ? j->t.nd[best] : 1u;
        n++;
    }
    j->nresub = n;
    avps_vq_reset(&j->f.vq);
    assert_int_equal(avps_vq_enable(&j->f.vq, &ring), AVPS_OK);
    memset(&st, 0, sizeof st);
    if (j->f.packed) {
        st.used_idx = j->t.used_idx;
        st.used_wrap = j->t.used_wrap;
    } else {
        st.used_idx = rd_used_idx(&j->f.q);
    }
    st.last_avail = st.used_idx;
    st.avail_wrap = st.used_wrap;
    assert_int_equal(avps_vq_restore(&j->f.vq, &st), AVPS_OK);
    assert_int_equal(avps_vq_resubmit(&j->f.vq, j->resub, n), AVPS_OK);
}

static uint8_t first_byte(const struct avps_vq_req *req)
{
    uint8_t b = 0;

    assert_int_equal(avps_vq_req_read(req, 0, &b, 1), 1);
    return b;
}

/* The hooks: taken for each chain (packed: its descriptors first), used
 * begin/end around the index store, abort when a chain is not taken. */
static void hooks(bool packed)
{
    static struct jfix j;
    int h0, h1;

    jfix_setup(&j, packed, 0);
    h0 = add_buf(&j, 16, 32, 0xa0, 0);
    h1 = add_buf(&j, 16, 32, 0xa1, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(j.f.req.id, h0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(j.t.taken_calls, 2);
    assert_true(j.t.inflight[h0] && j.t.inflight[h1]);
    assert_true(j.t.counter[h0] < j.t.counter[h1]);
    if (packed) {
        assert_int_equal(j.t.desc_calls, 4);
        assert_int_equal(j.t.nd[h1], 2);
        assert_int_equal(j.t.d[h1][0].len, 16);
        assert_int_equal(j.t.d[h1][1].len, 32);
        assert_true(j.t.d[h1][1].flags & AVPS_VRING_DESC_F_WRITE);
        assert_int_equal(j.t.d[h1][1].id, h1);
    } else {
        assert_int_equal(j.t.desc_calls, 0);
    }
    /* out of order */
    assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)h1, 4), AVPS_OK);
    assert_int_equal(j.t.begin_calls, 1);
    assert_int_equal(j.t.end_calls, 1);
    assert_false(j.t.inflight[h1]);
    assert_true(j.t.inflight[h0]);
    assert_int_equal(j.t.used_idx, packed ? 2 : 1);
    assert_int_equal(j.t.order_errors, 0);

    /* a chain that does not fit the caller's array: abort, stays in ring */
    {
        struct avps_vq_req small = j.f.req;
        int h2 = add_buf(&j, 16, 32, 0xa2, 0);

        small.seg_max = 1;
        assert_int_equal(avps_vq_pop(&j.f.vq, &small), AVPS_E_NOSPC);
        assert_int_equal(j.t.abort_calls, 1);
        assert_false(j.t.inflight[h2]);
        assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
        assert_int_equal(j.f.req.id, h2);
        assert_true(j.t.inflight[h2]);
    }
    vqfix_teardown(&j.f);
}

static void test_journal_hooks_split(void **st) { (void)st; hooks(false); }
static void test_journal_hooks_packed(void **st) { (void)st; hooks(true); }

/* A malformed chain returned with length 0: abort (never taken), then the
 * used hooks, so the journal's used position follows the ring. */
static void dropped(bool packed)
{
    static struct jfix j;
    struct rd_done d;
    struct rd_buf b[2];
    int h;

    jfix_setup(&j, packed, 0);
    b[0].gpa = rd_alloc(&j.f.q, 16);
    b[0].len = 16;
    b[0].write = true;
    b[1].gpa = rd_alloc(&j.f.q, 16);
    b[1].len = 16;
    b[1].write = false; /* readable after writable */
    h = rd_add(&j.f.q, b, 2, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 0);
    assert_int_equal(j.t.abort_calls, 1);
    assert_int_equal(j.t.taken_calls, 0);
    assert_int_equal(j.t.begin_calls, 1);
    assert_int_equal(j.t.end_calls, 1);
    assert_int_equal(j.t.used_idx, packed ? 2 : 1);
    assert_int_equal(rd_get_used(&j.f.q, &d), 1);
    assert_int_equal(d.id, h);
    assert_int_equal(d.len, 0);
    assert_int_equal(j.t.order_errors, 0);
    vqfix_teardown(&j.f);
}

static void test_journal_dropped_chain_split(void **st) { (void)st; dropped(false); }
static void test_journal_dropped_chain_packed(void **st) { (void)st; dropped(true); }

/* The crash: A, B, C taken; B completed; the device restarts. A and C are
 * taken again, in their original order, with their original buffers, before
 * D, which the driver made available after the crash; every buffer is used
 * exactly once and the driver sees no stray completion. Packed: B's used
 * descriptor overwrote A's ring entry, so A can only come from the journal. */
static void crash_restart(bool packed, uint64_t features)
{
    static struct jfix j;
    struct rd_done d;
    int ha, hb, hc, hd;
    uint8_t seen[4];
    unsigned int got = 0;
    uint32_t len;

    jfix_setup(&j, packed, features);
    ha = add_buf(&j, 8, 32, 0x0a, 0);
    hb = add_buf(&j, 8, 32, 0x0b, 0);
    hc = add_buf(&j, 8, 32, 0x0c, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)hb, 1), AVPS_OK);
    assert_int_equal(rd_get_used(&j.f.q, &d), 1);
    assert_int_equal(d.id, hb);

    restart(&j);
    assert_int_equal(j.nresub, 2);
    hd = add_buf(&j, 8, 32, 0x0d, 0);
    while (got < 4) {
        int r = avps_vq_pop(&j.f.vq, &j.f.req);

        if (r == 0)
            break;
        assert_int_equal(r, 1);
        seen[got++] = first_byte(&j.f.req);
        len = j.f.req.wr_len;
        assert_int_equal(len, 32);
        assert_int_equal(avps_vq_push(&j.f.vq, j.f.req.id, 2), AVPS_OK);
    }
    assert_int_equal(got, 3);
    assert_int_equal(seen[0], 0x0a);
    assert_int_equal(seen[1], 0x0c);
    assert_int_equal(seen[2], 0x0d);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&j.f.q, &d), 1);
        assert_true(d.id == ha || d.id == hc || d.id == hd);
        assert_int_equal(d.len, 2);
    }
    assert_int_equal(rd_get_used(&j.f.q, &d), 0);
    assert_int_equal(rd_outstanding(&j.f.q), 0);
    assert_int_equal(j.f.q.bad_used, 0);
    assert_false(avps_vq_is_broken(&j.f.vq));
    vqfix_teardown(&j.f);
}

static void test_journal_crash_restart_split(void **st) { (void)st; crash_restart(false, 0); }
static void test_journal_crash_restart_packed(void **st) { (void)st; crash_restart(true, 0); }
static void test_journal_crash_restart_indirect_split(void **st)
{
    (void)st;
    crash_restart(false, F_BIT(INDIRECT_DESC));
}
static void test_journal_crash_restart_event_idx_packed(void **st)
{
    (void)st;
    crash_restart(true, F_BIT(EVENT_IDX));
}

/* Indirect tables survive too: the journal records the one ring descriptor,
 * the table itself stays in guest memory until the buffer is used. */
static void indirect_restart(bool packed)
{
    static struct jfix j;
    struct rd_done d;
    int ha, hb;

    jfix_setup(&j, packed, F_BIT(INDIRECT_DESC));
    ha = add_buf(&j, 8, 16, 0x1a, RD_INDIRECT);
    hb = add_buf(&j, 8, 16, 0x1b, RD_INDIRECT);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    if (packed)
        assert_int_equal(j.t.nd[ha], 1);
    assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)hb, 0), AVPS_OK);
    restart(&j);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(j.f.req.id, ha);
    assert_int_equal(first_byte(&j.f.req), 0x1a);
    assert_int_equal(j.f.req.n_rd, 1);
    assert_int_equal(j.f.req.n_wr, 1);
    assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)ha, 16), AVPS_OK);
    assert_int_equal(rd_get_used(&j.f.q, &d), 1);
    assert_int_equal(rd_get_used(&j.f.q, &d), 1);
    assert_int_equal(d.id, ha);
    assert_int_equal(d.len, 16);
    vqfix_teardown(&j.f);
}

static void test_journal_indirect_restart_split(void **st) { (void)st; indirect_restart(false); }
static void test_journal_indirect_restart_packed(void **st) { (void)st; indirect_restart(true); }

/* A resubmitted buffer that does not fit the caller's array stays first in
 * line (AVPS_E_NOSPC each time) until a big enough array takes it. */
static void resubmit_nospc(bool packed)
{
    static struct jfix j;
    struct avps_vq_req small;
    int ha;

    jfix_setup(&j, packed, 0);
    ha = add_buf(&j, 8, 16, 0x2a, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    restart(&j);
    small = j.f.req;
    small.seg_max = 1;
    assert_int_equal(avps_vq_pop(&j.f.vq, &small), AVPS_E_NOSPC);
    assert_int_equal(small.id, ha);
    assert_int_equal(avps_vq_pop(&j.f.vq, &small), AVPS_E_NOSPC);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(j.f.req.id, ha);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 0);
    vqfix_teardown(&j.f);
}

static void test_journal_resubmit_nospc_split(void **st) { (void)st; resubmit_nospc(false); }
static void test_journal_resubmit_nospc_packed(void **st) { (void)st; resubmit_nospc(true); }

/* ---- the journal is peer data: mangle one thing at a time ---------------- */

/* Resubmission ids out of range or already in flight are reported and
 * passed over; the valid ones are still taken and the queue keeps going. */
static void mangle_ids(bool packed)
{
    static struct jfix j;
    int ha;
    uint64_t errs;

    jfix_setup(&j, packed, 0);
    ha = add_buf(&j, 8, 16, 0x3a, 0);
    (void)add_buf(&j, 8, 16, 0x3b, 0);
    (void)add_buf(&j, 8, 16, 0x3c, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    /* mangle: a stray id beyond the queue, and ha twice */
    {
        struct avps_vq_ring ring = rd_ring(&j.f.q);
        struct avps_vq_state s0;

        assert_int_equal(avps_vq_save(&j.f.vq, &s0), AVPS_OK);
        avps_vq_reset(&j.f.vq);
        assert_int_equal(avps_vq_enable(&j.f.vq, &ring), AVPS_OK);
        s0.inflight = 0;
        s0.last_avail = s0.used_idx;
        s0.avail_wrap = s0.used_wrap;
        assert_int_equal(avps_vq_restore(&j.f.vq, &s0), AVPS_OK);
    }
    j.resub[0].id = QS + 3u;
    j.resub[0].ndesc = packed ? 2u : 1u;
    j.resub[1].id = (uint16_t)ha;
    j.resub[1].ndesc = j.resub[0].ndesc;
    j.resub[2] = j.resub[1];
    assert_int_equal(avps_vq_resubmit(&j.f.vq, j.resub, 3), AVPS_OK);
    errs = avps_vq_stats(&j.f.vq)->guest_errors;
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(j.f.req.id, ha);
    assert_int_equal(avps_vq_stats(&j.f.vq)->guest_errors, errs + 1);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 0);
    assert_int_equal(avps_vq_stats(&j.f.vq)->guest_errors, errs + 2);
    assert_false(avps_vq_is_broken(&j.f.vq));
    assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)ha, 0), AVPS_OK);
    vqfix_teardown(&j.f);
}

static void test_journal_mangle_ids_split(void **st) { (void)st; mangle_ids(false); }
static void test_journal_mangle_ids_packed(void **st) { (void)st; mangle_ids(true); }

/* Packed: fetch() gives fewer descriptors than the buffer's ring entries
 * (nothing at all, or its list ends early), a list that goes on past them
 * (only ndesc are read), or an indirect descriptor followed by another: the
 * malformed ones are returned with length 0 at the right ring position. */
static void packed_fetch_mangle(int mode, uint64_t features, bool dropped_expected)
{
    static struct jfix j;
    struct rd_done d;
    int ha;

    jfix_setup(&j, true, features);
    ha = add_buf(&j, 8, 16, 0x4a, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    restart(&j);
    j.t.fetch_mode = mode;
    if (!dropped_expected) {
        /* only ndesc descriptors are read: the buffer is whole */
        assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
        assert_int_equal(j.f.req.id, ha);
        assert_int_equal(avps_vq_push(&j.f.vq, (uint16_t)ha, 0), AVPS_OK);
    }
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 0);
    assert_false(avps_vq_is_broken(&j.f.vq));
    if (dropped_expected) {
        assert_int_equal(avps_vq_stats(&j.f.vq)->dropped, 1);
        assert_int_equal(rd_get_used(&j.f.q, &d), 1);
        assert_int_equal(d.id, ha);
        assert_int_equal(d.len, 0);
    } else {
        assert_int_equal(avps_vq_stats(&j.f.vq)->dropped, 0);
        assert_int_equal(rd_get_used(&j.f.q, &d), 1);
        assert_int_equal(d.id, ha);
    }
    vqfix_teardown(&j.f);
}

static void test_journal_mangle_fetch_nothing_packed(void **st)
{
    (void)st;
    packed_fetch_mangle(1, 0, true);
}
static void test_journal_mangle_fetch_endless_packed(void **st)
{
    (void)st;
    packed_fetch_mangle(2, 0, false);
}
static void test_journal_mangle_fetch_indirect_not_alone_packed(void **st)
{
    (void)st;
    packed_fetch_mangle(3, F_BIT(INDIRECT_DESC), true);
}

/* Split: the descriptor table entry of a resubmitted head was changed by the
 * driver meanwhile (it may not, §2.7.13.1: still in flight): the chain is
 * checked again and, here malformed, returned with length 0. */
static void test_journal_mangle_table_changed_split(void **st)
{
    static struct jfix j;
    struct rd_done d;
    int ha;

    (void)st;
    jfix_setup(&j, false, 0);
    ha = add_buf(&j, 8, 16, 0x5a, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    restart(&j);
    rd_split_desc(&j.f.q, (uint16_t)ha)->next.le = QS + 1u; /* mangle one field */
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 0);
    assert_int_equal(avps_vq_stats(&j.f.vq)->dropped, 1);
    assert_int_equal(rd_get_used(&j.f.q, &d), 1);
    assert_int_equal(d.id, ha);
    assert_int_equal(d.len, 0);
    vqfix_teardown(&j.f);
}

static void test_journal_api_rules(void **st)
{
    static struct jfix j;
    struct avps_vq_journal partial = tj_ops;
    struct avps_vq_resub list[2] = {{0, 1}, {1, 0}};
    struct avps_vq_resub big[1] = {{0, QS + 1u}};

    (void)st;
    jfix_setup(&j, true, 0);
    partial.fetch = NULL;
    assert_int_equal(avps_vq_set_journal(&j.f.vq, &partial, &j.t), AVPS_E_INVAL);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, QS + 1u), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 2), AVPS_E_GUEST_STATE); /* ndesc 0 */
    assert_int_equal(avps_vq_resubmit(&j.f.vq, big, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_vq_set_journal(&j.f.vq, NULL, NULL), AVPS_OK);
    /* packed buffers can only come back through a journal */
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 1), AVPS_E_INVAL);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 0), AVPS_OK);
    /* not with buffers in flight */
    assert_int_equal(avps_vq_set_journal(&j.f.vq, &tj_ops, &j.t), AVPS_OK);
    (void)add_buf(&j, 8, 8, 0, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 1), AVPS_E_STATE);
    avps_vq_reset(&j.f.vq);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 0), AVPS_E_STATE);
    vqfix_teardown(&j.f);
}

static void test_journal_split_ndesc_must_be_one(void **st)
{
    static struct jfix j;
    struct avps_vq_resub list[1] = {{0, 2}};

    (void)st;
    jfix_setup(&j, false, 0);
    assert_int_equal(avps_vq_resubmit(&j.f.vq, list, 1), AVPS_E_GUEST_STATE);
    vqfix_teardown(&j.f);
}

/* A reset forgets the resubmission list (but keeps the journal attached). */
static void test_journal_reset_forgets_resubmission_split(void **st)
{
    static struct jfix j;
    struct avps_vq_ring ring;

    (void)st;
    jfix_setup(&j, false, 0);
    (void)add_buf(&j, 8, 16, 0x6a, 0);
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1);
    restart(&j);
    avps_vq_reset(&j.f.vq);
    ring = rd_ring(&j.f.q);
    assert_int_equal(avps_vq_enable(&j.f.vq, &ring), AVPS_OK);
    j.t.taken_calls = 0;
    assert_int_equal(avps_vq_pop(&j.f.vq, &j.f.req), 1); /* from the ring again */
    assert_int_equal(j.t.taken_calls, 1);
    vqfix_teardown(&j.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_hooks_split),
        cmocka_unit_test(test_journal_hooks_packed),
        cmocka_unit_test(test_journal_dropped_chain_split),
        cmocka_unit_test(test_journal_dropped_chain_packed),
        cmocka_unit_test(test_journal_crash_restart_split),
        cmocka_unit_test(test_journal_crash_restart_packed),
        cmocka_unit_test(test_journal_crash_restart_indirect_split),
        cmocka_unit_test(test_journal_crash_restart_event_idx_packed),
        cmocka_unit_test(test_journal_indirect_restart_split),
        cmocka_unit_test(test_journal_indirect_restart_packed),
        cmocka_unit_test(test_journal_resubmit_nospc_split),
        cmocka_unit_test(test_journal_resubmit_nospc_packed),
        cmocka_unit_test(test_journal_mangle_ids_split),
        cmocka_unit_test(test_journal_mangle_ids_packed),
        cmocka_unit_test(test_journal_mangle_fetch_nothing_packed),
        cmocka_unit_test(test_journal_mangle_fetch_endless_packed),
        cmocka_unit_test(test_journal_mangle_fetch_indirect_not_alone_packed),
        cmocka_unit_test(test_journal_mangle_table_changed_split),
        cmocka_unit_test(test_journal_api_rules),
        cmocka_unit_test(test_journal_split_ndesc_must_be_one),
        cmocka_unit_test(test_journal_reset_forgets_resubmission_split),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

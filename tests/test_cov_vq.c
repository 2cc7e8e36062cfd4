/*
 * test_cov_vq: virtqueue-engine paths the other suites leave unexercised,
 * each with the behaviour docs/virtqueue.md and include/avps/virtqueue.h
 * promise on it: enable limits, a queue without a broken hook, a chain that
 * both overflows the caller's array and is malformed, a driver that keeps
 * republishing bad chains while we walk them, notification suppression while
 * the device has disabled kicks, and the guest-memory choke point's distrust
 * of the port's answer.
 *
 * Fixtures are static so that a failed assertion (cmocka longjmps out)
 * leaves them reachable rather than reported as leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vqfix.h"

#define QS 8u

/* ---- a spy port: the posix port, with a hook in map and a report log ---- */

struct spy_ev {
    enum avps_event ev;
    uint64_t a, b;
};

struct spy {
    struct avps_port_ops ops;
    struct avps_host host;
    struct avps_posix_guest *g;
    const struct avps_port_ops *base;
    bool zero_span;                      /* answer success with span 0 */
    void (*on_map)(struct spy *s);       /* runs after every successful map */
    void *hook_ctx;
    struct spy_ev log[256];
    unsigned int nlog;
};

static struct spy *spy_of(void *ctx)
{
    return ctx;
}

static int spy_map(void *ctx, uint64_t addr, uint64_t len, unsigned int access, void **hva,
                   uint64_t *span)
{
    struct spy *s = spy_of(ctx);
    int r = s->base->map(s->g, addr, len, access, hva, span);

    if (r == 0 && s->zero_span)
        *span = 0;
    if (r == 0 && s->on_map != NULL)
        s->on_map(s);
    return r;
}

static void spy_unmap(void *ctx, void *hva, uint64_t span)
{
    struct spy *s = spy_of(ctx);

    s->base->unmap(s->g, hva, span);
}

static int spy_inject(void *ctx, uint32_t vector)
{
    struct spy *s = spy_of(ctx);

    return s->base->inject(s->g, vector);
}

static void spy_report(void *ctx, enum avps_event ev, uint32_t dev, uint64_t a, uint64_t b)
{
    struct spy *s = spy_of(ctx);

    s->base->report(s->g, ev, dev, a, b);
    if (s->nlog < sizeof s->log / sizeof s->log[0])
        s->log[s->nlog++] = (struct spy_ev){ev, a, b};
}

/* Wrap the guest's port; with_unmap offers the unmap op as a Xen port would. */
static void spy_init(struct spy *s, struct avps_posix_guest *g, bool with_unmap)
{
    memset(s, 0, sizeof *s);
    avps_posix_set_unmap(g, with_unmap);
    s->g = g;
    s->base = g->host.ops;
    s->ops.version = AVPS_PORT_OPS_VERSION;
    s->ops.map = spy_map;
    s->ops.unmap = with_unmap ? spy_unmap : NULL;
    s->ops.inject = spy_inject;
    s->ops.report = spy_report;
    s->host.ops = &s->ops;
    s->host.ctx = s;
}

/* The vqfix guest and driver ring, with the device queue bound to the spy. */
static void setup_spy(struct vqfix *f, struct spy *s, bool packed, uint64_t features,
                      bool with_unmap)
{
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;

    assert_int_equal(vqfix_setup_ex(f, packed, QS, features, false), 0);
    spy_init(s, &f->g, with_unmap);
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = f->slots;
    cfg.num_slots = QS;
    cfg.index = VQFIX_QINDEX;
    cfg.dev_id = VQFIX_DEV_ID;
    cfg.broken = vqfix_broken;
    cfg.owner = f;
    assert_int_equal(avps_vq_init(&f->vq, &s->host, &cfg), AVPS_OK);
    ring = rd_ring(&f->q);
    assert_int_equal(avps_vq_enable(&f->vq, &ring), AVPS_OK);
    avps_posix_clear_counters(&f->g);
}

static unsigned int spy_count(const struct spy *s, enum avps_event ev)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < s->nlog; i++)
        n += s->log[i].ev == ev;
    return n;
}

/* ---- enable limits ------------------------------------------------------ */

/* avps_vq_enable(): a size above the slot count or above
 * AVPS_CONFIG_VQ_MAX_SIZE is the caller's error (AVPS_E_INVAL); the queue
 * is neither broken nor enabled and takes a correct ring afterwards. */
static void test_vq_enable_size_above_slots_or_max(void **st)
{
    static struct vqfix f;
    struct avps_vq_ring ring;

    (void)st;
    assert_int_equal(vqfix_setup_ex(&f, false, QS, 0, false), 0);
    ring = rd_ring(&f.q);
    ring.size = 2u * QS; /* a power of two, but more than the QS slots */
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
    assert_false(avps_vq_ready(&f.vq));
    assert_false(avps_vq_is_broken(&f.vq));
    ring.size = (uint16_t)(AVPS_CONFIG_VQ_MAX_SIZE + 1u);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_E_INVAL);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 0);
    assert_int_equal(avps_posix_report_total(&f.g), 0);
    ring.size = QS;
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    assert_true(avps_vq_ready(&f.vq));
    vqfix_teardown(&f);
}

/* ---- a queue without a broken hook -------------------------------------- */

/* The broken hook is optional (struct avps_vq_cfg): without it a guest fault
 * still makes the queue sticky-broken and is reported once. */
static void test_vq_broken_without_hook(void **st)
{
    static struct vqfix f;
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;

    (void)st;
    assert_int_equal(vqfix_setup_ex(&f, false, QS, 0, false), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = f.slots;
    cfg.num_slots = QS;
    assert_int_equal(avps_vq_init(&f.vq, &f.g.host, &cfg), AVPS_OK);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    rd_set_avail_idx(&f.q, (uint16_t)(QS + 1u)); /* an index jump */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_GUEST_INDEX);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.g.reports[AVPS_EV_QUEUE_BROKEN], 1);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_INDEX], 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), AVPS_E_STATE);
    assert_int_equal(f.g.reports[AVPS_EV_QUEUE_BROKEN], 1);
    /* kicks and notification data are refused on a broken queue too
     * (virtqueue.h: AVPS_E_STATE "The queue is not enabled, or is broken") */
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_E_STATE);
    assert_int_equal(avps_vq_kick_enable(&f.vq), AVPS_E_STATE);
    assert_int_equal(avps_vq_notify_data(&f.vq, 0), AVPS_E_STATE);
    assert_int_equal(avps_vq_notify(&f.vq), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* ---- caller's array too small ------------------------------------------- */

static int add_three(struct vqfix *f, bool third_write)
{
    struct rd_buf b[3];

    for (unsigned int i = 0; i < 3u; i++) {
        b[i].gpa = rd_alloc(&f->q, 16);
        b[i].len = 16;
        b[i].write = true;
    }
    b[2].write = third_write;
    return rd_add(&f->q, b, 3, 0);
}

/* virtqueue.md "Requests": a chain that needs more segments than the array
 * holds is left in the ring (AVPS_E_NOSPC, req->id names it) however many
 * descriptors follow the overflow; a larger array then takes it whole. */
static void nospc_then_retry(bool packed)
{
    static struct vqfix f;
    static struct avps_vq_seg seg1[1];
    struct avps_vq_req small;
    struct rd_done d;
    int id;

    assert_int_equal(vqfix_setup(&f, packed, QS, 0), 0);
    id = add_three(&f, true);
    assert_true(id >= 0);
    memset(&small, 0, sizeof small);
    small.seg = seg1;
    small.seg_max = 1;
    assert_int_equal(avps_vq_pop(&f.vq, &small), AVPS_E_NOSPC);
    assert_int_equal(small.id, id);
    assert_int_equal(small.n_rd + small.n_wr, 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 0);
    assert_int_equal(rd_get_used(&f.q, &d), 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_wr, 3);
    assert_int_equal(f.req.wr_len, 48);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 48), AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 48);
    vqfix_teardown(&f);
}

static void test_vq_nospc_left_in_ring_split(void **st) { (void)st; nospc_then_retry(false); }
static void test_vq_nospc_left_in_ring_packed(void **st) { (void)st; nospc_then_retry(true); }

/* A chain that overflows the array and is also malformed (a readable
 * descriptor after writable ones, §2.7.4.2) is dropped, not left in the
 * ring: otherwise the caller's retry would meet it again. */
static void nospc_and_malformed(bool packed)
{
    static struct vqfix f;
    static struct avps_vq_seg seg1[1];
    struct avps_vq_req small;
    struct rd_done d;
    int bad, good;

    assert_int_equal(vqfix_setup(&f, packed, QS, 0), 0);
    bad = add_three(&f, false);
    good = rd_add_simple(&f.q, 0, 8, 0);
    assert_true(bad >= 0 && good >= 0);
    avps_posix_clear_counters(&f.g);
    memset(&small, 0, sizeof small);
    small.seg = seg1;
    small.seg_max = 1;
    /* the bad chain is returned with length 0 and the pop goes on to the
     * good one, which fits the single segment */
    assert_int_equal(avps_vq_pop(&f.vq, &small), 1);
    assert_int_equal(small.id, good);
    assert_int_equal(f.g.reports[AVPS_EV_GUEST_DESC], 1);
    assert_int_equal(f.g.reports[AVPS_EV_CHAIN_DROPPED], 1);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 1);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 0);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, bad);
    assert_int_equal(d.len, 0);
    vqfix_teardown(&f);
}

static void test_vq_nospc_and_malformed_dropped_split(void **st) { (void)st; nospc_and_malformed(false); }
static void test_vq_nospc_and_malformed_dropped_packed(void **st) { (void)st; nospc_and_malformed(true); }

/* ---- a driver that republishes bad chains while we walk them ------------ */

struct republisher {
    struct rd_queue *q;
    uint16_t head;
    uint16_t idx;
    unsigned int published;
};

/* Runs inside the port's map, i.e. while the device is walking a chain: the
 * "concurrent" driver makes the same malformed chain available once more. */
static void republish(struct spy *s)
{
    struct republisher *r = s->hook_ctx;

    rd_set_avail_ring(r->q, (uint16_t)(r->idx % r->q->size), r->head);
    r->idx++;
    rd_set_avail_idx(r->q, r->idx);
    r->published++;
}

/* virtqueue.h avps_vq_pop(): "0 ... or the call stopped after returning a
 * queue's worth of malformed chains; call again". A driver that keeps the
 * ring non-empty with bad chains (HOSTILE.md items 10 and 12) cannot hold
 * the device inside one call: each call returns after at most size + 1
 * chains, every one returned with length 0, and the queue stays usable. */
static void test_vq_pop_bounded_under_republishing_split(void **st)
{
    static struct vqfix f;
    static struct spy s;
    struct republisher r;
    struct rd_buf b[2];
    int head;

    (void)st;
    setup_spy(&f, &s, false, 0, false);
    b[0].gpa = rd_alloc(&f.q, 16);
    b[0].len = 16;
    b[0].write = true;
    b[1].gpa = rd_alloc(&f.q, 16);
    b[1].len = 16;
    b[1].write = false; /* readable after writable: dropped each time */
    head = rd_add(&f.q, b, 2, 0);
    assert_true(head >= 0);
    r.q = &f.q;
    r.head = (uint16_t)head;
    r.idx = 1;
    r.published = 0;
    s.hook_ctx = &r;
    s.on_map = republish;

    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, QS + 1u);
    assert_int_equal(spy_count(&s, AVPS_EV_CHAIN_DROPPED), QS + 1u);
    assert_false(avps_vq_is_broken(&f.vq));
    assert_int_equal(rd_used_idx(&f.q), QS + 1u);
    /* every used entry names the bad head with length 0 */
    for (unsigned int i = 0; i < QS; i++) {
        const struct avps_vring_used_elem *e =
            (const struct avps_vring_used_elem *)(f.q.device_p + 4u + 8u * i);

        assert_int_equal(avps_from_le32(e->id), head);
        assert_int_equal(avps_from_le32(e->len), 0);
    }
    /* the next call makes progress again, bounded the same way */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 2u * (QS + 1u));
    /* once the driver stops, the last chain it published is dropped and
     * the queue is empty */
    s.on_map = NULL;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 2u * (QS + 1u) + 1u);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 2u * (QS + 1u) + 1u);
    assert_false(avps_vq_is_broken(&f.vq));
    vqfix_teardown(&f);
}

/* ---- suppression while kicks are disabled ------------------------------- */

/* avps_vq_kick_disable() asks the driver not to notify; an empty pop must
 * not quietly ask again (split EVENT_IDX: avail_event is left alone; packed
 * EVENT_IDX: the device event flags stay DISABLE). avps_vq_kick_enable()
 * then arms at the current position. */
static void test_vq_kick_disabled_empty_pop_keeps_kicks_off_split(void **st)
{
    static struct vqfix f;
    uint16_t ev;

    (void)st;
    assert_int_equal(vqfix_setup(&f, false, QS, F_BIT(EVENT_IDX)), 0);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    ev = rd_avail_event(&f.q);
    assert_int_equal(ev, 0); /* never armed: the first pop found a chain */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(rd_avail_event(&f.q), ev);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    assert_int_equal(rd_avail_event(&f.q), 1);
    vqfix_teardown(&f);
}

static void test_vq_kick_disabled_empty_pop_keeps_kicks_off_packed(void **st)
{
    static struct vqfix f;
    struct avps_pvirtq_event_suppress e;

    (void)st;
    assert_int_equal(vqfix_setup(&f, true, QS, F_BIT(EVENT_IDX)), 0);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), AVPS_VRING_PACKED_EVENT_FLAG_DISABLE);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), AVPS_VRING_PACKED_EVENT_FLAG_DESC);
    assert_int_equal(avps_from_le16(e.off_wrap), 1u | (1u << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));
    vqfix_teardown(&f);
}

/* Packed EVENT_IDX: a pop that finds the ring empty at a new position asks
 * for a notification at exactly that descriptor (flags DESC, off_wrap = the
 * position and the driver's wrap counter), so the driver's next chain
 * there is signalled (§2.8.10). */
static void test_vq_packed_empty_pop_arms_next_position(void **st)
{
    static struct vqfix f;
    struct avps_pvirtq_event_suppress e;
    uint16_t old;
    uint8_t old_wrap;

    (void)st;
    assert_int_equal(vqfix_setup(&f, true, QS, F_BIT(EVENT_IDX)), 0);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_true(rd_add_simple(&f.q, 4, 8, 0) >= 0); /* two descriptors */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    e = rd_device_event(&f.q);
    assert_int_equal(avps_from_le16(e.flags), AVPS_VRING_PACKED_EVENT_FLAG_DESC);
    assert_int_equal(avps_from_le16(e.off_wrap), 3u | (1u << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));
    /* the driver that now adds a chain at position 3 must notify */
    old = f.q.next_avail;
    old_wrap = f.q.avail_wrap;
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_true(rd_kick_needed(&f.q, old, old_wrap));
    vqfix_teardown(&f);
}

/* A packed driver that sets its event flags to DESC (0x2) without
 * EVENT_IDX breaks §2.8.10's driver rule; the device reads it as "notify"
 * rather than as an offset it never agreed to. */
static void test_vq_packed_desc_flag_without_event_idx_notifies(void **st)
{
    static struct vqfix f;

    (void)st;
    assert_int_equal(vqfix_setup(&f, true, QS, 0), 0);
    /* an offset the used index has long passed: ignored anyway */
    rd_set_driver_event(&f.q, AVPS_VRING_PACKED_EVENT_FLAG_DESC, 5, 0);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 1);
    vqfix_teardown(&f);
}

/* The report of a dropped packed chain names its first fault: a list
 * [writable, readable, indirect] breaks two rules, and the GUEST_DESC report
 * carries the readable descriptor's address, not the indirect flags. */
static void test_vq_packed_drop_reports_first_fault(void **st)
{
    static struct vqfix f;
    static struct spy s;
    struct avps_pvirtq_desc *d2;
    struct rd_buf b[3];
    int id;

    (void)st;
    setup_spy(&f, &s, true, F_BIT(INDIRECT_DESC), false);
    for (unsigned int i = 0; i < 3u; i++) {
        b[i].gpa = rd_alloc(&f.q, 16);
        b[i].len = 16;
        b[i].write = i == 0u;
    }
    id = rd_add(&f.q, b, 3, 0);
    assert_true(id >= 0);
    d2 = rd_packed_desc(&f.q, 2);
    d2->flags = avps_to_le16((uint16_t)(avps_from_le16(d2->flags) | AVPS_VRING_DESC_F_INDIRECT));
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(spy_count(&s, AVPS_EV_GUEST_DESC), 1);
    assert_int_equal(spy_count(&s, AVPS_EV_CHAIN_DROPPED), 1);
    assert_int_equal(s.log[0].ev, AVPS_EV_GUEST_DESC);
    assert_int_equal(s.log[0].b, b[1].gpa);
    assert_int_equal(s.log[1].b, (uint64_t)(int64_t)AVPS_E_GUEST_DESC);
    assert_false(avps_vq_is_broken(&f.vq));
    vqfix_teardown(&f);
}

/* ---- the port's answer is distrusted (STYLE rule 10) -------------------- */

/* A map that answers success with a zero span is refused like a failed map:
 * AVPS_EV_PORT_BAD_MAP, the chain dropped as GUEST_RANGE, nothing used. */
static void test_vq_port_zero_span_refused(void **st)
{
    static struct vqfix f;
    static struct spy s;
    struct rd_done d;
    int id;

    (void)st;
    setup_spy(&f, &s, false, 0, false);
    id = rd_add_simple(&f.q, 0, 8, 0);
    s.zero_span = true;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(spy_count(&s, AVPS_EV_PORT_BAD_MAP), 1);
    assert_int_equal(spy_count(&s, AVPS_EV_GUEST_RANGE), 1);
    assert_int_equal(spy_count(&s, AVPS_EV_CHAIN_DROPPED), 1);
    assert_int_equal(f.req.n_rd + f.req.n_wr, 0);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    s.zero_span = false;
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    vqfix_teardown(&f);
}

/* lib/core/gmem.c: "A broken port: never use the pointer, but give back what
 * it mapped when it said it mapped something." A port with unmap that
 * answers a non-NULL pointer with a span longer than asked did map
 * something: the refused mapping must be released, or a Xen-style port
 * leaks a foreign mapping per refused buffer. */
static void test_vq_port_long_span_mapping_released(void **st)
{
    static struct vqfix f;
    static struct spy s;
    uint64_t maps, unmaps;

    (void)st;
    setup_spy(&f, &s, false, 0, true);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    maps = f.g.maps;
    unmaps = f.g.unmaps;
    f.g.answer_long_span = true;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    f.g.answer_long_span = false;
    assert_int_equal(spy_count(&s, AVPS_EV_PORT_BAD_MAP), 1);
    assert_int_equal(spy_count(&s, AVPS_EV_CHAIN_DROPPED), 1);
    assert_int_equal(f.g.maps - maps, 1);
    assert_int_equal(f.g.unmaps - unmaps, f.g.maps - maps);
    vqfix_teardown(&f);
}

/* avps_vq_req_unmap(): with an unmap op every segment is released and the
 * request forgets them; without one it "does nothing", so the segments stay
 * usable. */
static void test_vq_req_unmap_with_and_without_op(void **st)
{
    static struct vqfix f;
    static struct spy s;
    uint8_t byte = 0x5a;
    uint64_t unmaps;

    (void)st;
    /* without unmap */
    assert_int_equal(vqfix_setup(&f, false, QS, 0), 0);
    f.g.max_span = 4; /* 8 writable bytes in two segments */
    assert_true(rd_add_simple(&f.q, 4, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    avps_vq_req_unmap(&f.vq, &f.req);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 2);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 7, &byte, 1), 1);
    vqfix_teardown(&f);

    /* with unmap */
    setup_spy(&f, &s, false, 0, true);
    f.g.max_span = 4;
    assert_true(rd_add_simple(&f.q, 4, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    unmaps = f.g.unmaps;
    avps_vq_req_unmap(&f.vq, &f.req);
    assert_int_equal(f.g.unmaps - unmaps, 3);
    assert_int_equal(f.req.n_rd, 0);
    assert_int_equal(f.req.n_wr, 0);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, &byte, 1), 0);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 0), AVPS_OK);
    vqfix_teardown(&f);
}

/* ---- empty polls and restored queues ------------------------------------ */

/* With EVENT_IDX an empty pop asks for a notification once per position:
 * polling an empty queue again writes no guest memory (no dirty page for
 * live migration, port.h dirty), and a new position is armed again. */
static void empty_poll_writes_once(bool packed)
{
    static struct vqfix f;
    uint64_t d0;

    assert_int_equal(vqfix_setup(&f, packed, QS, F_BIT(EVENT_IDX)), 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    d0 = f.g.dirty_calls;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(f.g.dirty_calls, d0);
    if (packed)
        assert_int_equal(avps_from_le16(rd_device_event(&f.q).off_wrap),
                         0u | (1u << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));
    else
        assert_int_equal(rd_avail_event(&f.q), 0);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
    d0 = f.g.dirty_calls;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0); /* new position: armed */
    assert_true(f.g.dirty_calls > d0);
    if (packed)
        assert_int_equal(avps_from_le16(rd_device_event(&f.q).off_wrap),
                         1u | (1u << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));
    else
        assert_int_equal(rd_avail_event(&f.q), 1);
    d0 = f.g.dirty_calls;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(f.g.dirty_calls, d0);
    vqfix_teardown(&f);
}

static void test_vq_empty_poll_writes_once_split(void **st) { (void)st; empty_poll_writes_once(false); }
static void test_vq_empty_poll_writes_once_packed(void **st) { (void)st; empty_poll_writes_once(true); }

/* After avps_vq_restore() (suspend/resume, vhost-user reconnect) the first
 * empty pop asks for a notification at the restored position, whatever the
 * Device Area held: otherwise a driver that publishes there would not
 * notify and the queue would stall. */
static void restore_rearms(bool packed)
{
    static struct vqfix f;
    struct avps_vq_state s;
    struct avps_vq_ring ring;

    assert_int_equal(vqfix_setup(&f, packed, QS, F_BIT(EVENT_IDX)), 0);
    for (unsigned int i = 0; i < 3u; i++) {
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
    }
    assert_int_equal(avps_vq_save(&f.vq, &s), AVPS_OK);
    assert_int_equal(s.last_avail, 3);
    avps_vq_reset(&f.vq);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    /* the Device Area's event field holds something else after the restart */
    if (packed) {
        struct avps_pvirtq_event_suppress *e = (struct avps_pvirtq_event_suppress *)f.q.device_p;

        e->off_wrap = avps_to_le16(0);
        e->flags = avps_to_le16(AVPS_VRING_PACKED_EVENT_FLAG_DISABLE);
    } else {
        uint8_t *ae = f.q.device_p + AVPS_VRING_AVAIL_EVENT_OFF(QS);

        ae[0] = 0;
        ae[1] = 0;
    }
    assert_int_equal(avps_vq_restore(&f.vq, &s), AVPS_OK);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    if (packed) {
        struct avps_pvirtq_event_suppress e = rd_device_event(&f.q);

        assert_int_equal(avps_from_le16(e.flags), AVPS_VRING_PACKED_EVENT_FLAG_DESC);
        assert_int_equal(avps_from_le16(e.off_wrap), 3u | (1u << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));
    } else {
        assert_int_equal(rd_avail_event(&f.q), 3);
    }
    vqfix_teardown(&f);
}

static void test_vq_restore_rearms_notifications_split(void **st) { (void)st; restore_rearms(false); }
static void test_vq_restore_rearms_notifications_packed(void **st) { (void)st; restore_rearms(true); }

/* ---- the device's writes ------------------------------------------------ */

/* §2.7.5.1: "A device MUST NOT write to a device-readable buffer ... A device
 * MUST NOT write to any descriptor table entry." A request with a readable
 * part, a writable part and an indirect table: writing more than the
 * writable bytes stops at their end, and completing it leaves the readable
 * buffer, the descriptor table and the indirect table as the driver wrote
 * them. */
static void test_2_7_5_1_no_write_to_readable_buffer_or_table_split(void **st)
{
    static struct vqfix f;
    static uint8_t big[64];
    uint8_t desc_before[QS * 16u], table_before[32], rd_before[16];
    struct rd_buf b[2];
    struct rd_done d;
    uint64_t table;

    (void)st;
    assert_int_equal(vqfix_setup(&f, false, QS, F_BIT(INDIRECT_DESC)), 0);
    b[0].gpa = rd_alloc(&f.q, 16);
    b[0].len = 16;
    b[0].write = false;
    b[1].gpa = rd_alloc(&f.q, 16);
    b[1].len = 16;
    b[1].write = true;
    rd_fill(&f.q, b[0].gpa, 0x5a, 16);
    assert_true(rd_add(&f.q, b, 2, RD_INDIRECT) >= 0);
    table = avps_from_le64(rd_split_desc(&f.q, rd_last_head(&f.q))->addr);
    memcpy(desc_before, f.q.desc_p, sizeof desc_before);
    memcpy(table_before, avps_posix_ptr(&f.g, table, 32), 32);
    memcpy(rd_before, avps_posix_ptr(&f.g, b[0].gpa, 16), 16);

    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.rd_len, 16);
    assert_int_equal(f.req.wr_len, 16);
    memset(big, 0xa5, sizeof big);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, big, sizeof big), 16);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 16), AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 16);

    assert_memory_equal(f.q.desc_p, desc_before, sizeof desc_before);
    assert_memory_equal(avps_posix_ptr(&f.g, table, 32), table_before, 32);
    assert_memory_equal(avps_posix_ptr(&f.g, b[0].gpa, 16), rd_before, 16);
    assert_memory_equal(avps_posix_ptr(&f.g, b[1].gpa, 16), big, 16);
    vqfix_teardown(&f);
}

/* ---- a descriptor rewritten while we walk it ---------------------------- */

struct rewriter {
    struct vqfix *f;
    uint16_t pos;   /* split: descriptor index; packed: ring position */
    uint64_t addr;  /* what the "concurrent" driver writes */
    uint32_t len;
    bool done;
};

static void rewrite_desc(struct spy *s)
{
    struct rewriter *r = s->hook_ctx;

    if (r->done)
        return;
    r->done = true;
    if (r->f->packed) {
        rd_packed_desc(&r->f->q, r->pos)->addr = avps_to_le64(r->addr);
        rd_packed_desc(&r->f->q, r->pos)->len = avps_to_le32(r->len);
    } else {
        rd_split_desc(&r->f->q, r->pos)->addr = avps_to_le64(r->addr);
        rd_split_desc(&r->f->q, r->pos)->len = avps_to_le32(r->len);
    }
}

/* STYLE rule 11, docs/virtqueue.md "each descriptor copied once; only the
 * copy is used": the driver rewrites the descriptor (address and length)
 * while the device translates its buffer. The request describes the
 * descriptor as it was read, whole: never the old address with the new
 * length, never a second read. */
static void desc_rewritten(bool packed)
{
    static struct vqfix f;
    static struct spy s;
    struct rewriter r;
    struct rd_buf b;
    uint32_t total = 0;

    setup_spy(&f, &s, packed, 0, false);
    b.gpa = rd_alloc(&f.q, 16);
    b.len = 16;
    b.write = true;
    assert_true(rd_add(&f.q, &b, 1, 0) >= 0);
    r.f = &f;
    r.pos = rd_last_head(&f.q);
    r.addr = rd_alloc(&f.q, 4096);
    r.len = 4096;
    r.done = false;
    s.hook_ctx = &r;
    s.on_map = rewrite_desc;
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_true(r.done);
    assert_int_equal(f.req.wr_len, 16);
    assert_int_equal(f.req.n_rd, 0);
    for (unsigned int i = 0; i < f.req.n_wr; i++) {
        assert_true(f.req.seg[i].gpa >= b.gpa && f.req.seg[i].gpa < b.gpa + 16u);
        total += f.req.seg[i].len;
    }
    assert_int_equal(total, 16);
    assert_int_equal(f.req.seg[0].gpa, b.gpa);
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 16), AVPS_OK);
    vqfix_teardown(&f);
}

static void test_vq_desc_rewritten_during_walk_uses_copy_split(void **st) { (void)st; desc_rewritten(false); }
static void test_vq_desc_rewritten_during_walk_uses_copy_packed(void **st) { (void)st; desc_rewritten(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vq_enable_size_above_slots_or_max),
        cmocka_unit_test(test_vq_broken_without_hook),
        cmocka_unit_test(test_vq_nospc_left_in_ring_split),
        cmocka_unit_test(test_vq_nospc_left_in_ring_packed),
        cmocka_unit_test(test_vq_nospc_and_malformed_dropped_split),
        cmocka_unit_test(test_vq_nospc_and_malformed_dropped_packed),
        cmocka_unit_test(test_vq_pop_bounded_under_republishing_split),
        cmocka_unit_test(test_vq_kick_disabled_empty_pop_keeps_kicks_off_split),
        cmocka_unit_test(test_vq_kick_disabled_empty_pop_keeps_kicks_off_packed),
        cmocka_unit_test(test_vq_packed_empty_pop_arms_next_position),
        cmocka_unit_test(test_vq_packed_desc_flag_without_event_idx_notifies),
        cmocka_unit_test(test_vq_packed_drop_reports_first_fault),
        cmocka_unit_test(test_vq_port_zero_span_refused),
        cmocka_unit_test(test_vq_port_long_span_mapping_released),
        cmocka_unit_test(test_vq_req_unmap_with_and_without_op),
        cmocka_unit_test(test_vq_empty_poll_writes_once_split),
        cmocka_unit_test(test_vq_empty_poll_writes_once_packed),
        cmocka_unit_test(test_vq_restore_rearms_notifications_split),
        cmocka_unit_test(test_vq_restore_rearms_notifications_packed),
        cmocka_unit_test(test_2_7_5_1_no_write_to_readable_buffer_or_table_split),
        cmocka_unit_test(test_vq_desc_rewritten_during_walk_uses_copy_split),
        cmocka_unit_test(test_vq_desc_rewritten_during_walk_uses_copy_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

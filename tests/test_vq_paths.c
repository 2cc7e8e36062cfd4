/*
 * test_vq_paths: the virtqueue API contract and the paths a concurrent driver
 * opens: the driver publishing while the device re-arms notifications, the
 * owner's interrupt hook, and argument checks. A "racing" port wraps the posix
 * port and lets the driver act from inside the device's own calls, which is
 * where a second vCPU would act.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vqfix.h"

/* ---- a port that lets the driver act in the middle of a device call ---- */
static struct vqfix *race_f;
static int race_adds;       /* buffers to add at the next dirty call */
static int race_bump_idx;   /* split: jump avail idx by this at the next dirty call */
static struct avps_port_ops race_ops;

static void race_dirty(void *ctx, uint64_t addr, uint64_t len)
{
    struct avps_posix_guest *g = ctx;

    g->dirty_calls++;
    g->dirty_bytes += len;
    (void)addr;
    while (race_adds > 0) {
        race_adds--;
        assert_true(rd_add_simple(&race_f->q, 8, 8, 0) >= 0);
    }
    if (race_bump_idx != 0) {
        rd_set_avail_idx(&race_f->q, (uint16_t)(race_f->q.avail_idx + race_bump_idx));
        race_bump_idx = 0;
    }
}

static void race_setup(struct vqfix *f, bool packed, uint64_t features)
{
    assert_int_equal(vqfix_setup(f, packed, 8, features), 0);
    race_ops = *f->g.host.ops;
    race_ops.dirty = race_dirty;
    f->g.host.ops = &race_ops;
    race_f = f;
    race_adds = 0;
    race_bump_idx = 0;
}

/* §2.7.10 / §2.8.10: the driver publishes after our empty look but before it
 * sees the re-armed event: the device must look again and take the buffer, since
 * the driver, having read the old event, will not notify. */
static void empty_pop_rearm_race(bool packed)
{
    struct vqfix f;

    race_setup(&f, packed, F_BIT(EVENT_IDX));
    /* first take one buffer so the armed position moves past 0 */
    assert_true(rd_add_simple(&f.q, 8, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    race_adds = 1; /* arrives while the device writes the new event */
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(race_adds, 0);
    vqfix_teardown(&f);
}
static void test_2_7_10_empty_pop_rearm_race_split(void **s) { (void)s; empty_pop_rearm_race(false); }
static void test_2_8_10_empty_pop_rearm_race_packed(void **s) { (void)s; empty_pop_rearm_race(true); }

/* avps_vq_kick_enable: buffers that arrive while notifications are re-enabled
 * are reported as pending (return 1), in both layouts, with and without EVENT_IDX. */
static void kick_enable_race(bool packed, uint64_t feat)
{
    struct vqfix f;

    race_setup(&f, packed, feat);
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_OK);
    race_adds = 1;
    assert_int_equal(avps_vq_kick_enable(&f.vq), 1);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_kick_enable(&f.vq), 0);
    vqfix_teardown(&f);
}
static void test_kick_enable_race_split(void **s) { (void)s; kick_enable_race(false, 0); }
static void test_kick_enable_race_split_event_idx(void **s) { (void)s; kick_enable_race(false, F_BIT(EVENT_IDX)); }
static void test_kick_enable_race_packed(void **s) { (void)s; kick_enable_race(true, 0); }
static void test_kick_enable_race_packed_event_idx(void **s) { (void)s; kick_enable_race(true, F_BIT(EVENT_IDX)); }

/* kick_enable with buffers already seen but not taken reports them at once. */
static void test_kick_enable_with_seen_buffers_split(void **s)
{
    struct vqfix f;

    (void)s;
    assert_int_equal(vqfix_setup(&f, false, 8, 0), 0);
    assert_true(rd_add_simple(&f.q, 8, 8, 0) >= 0);
    assert_true(rd_add_simple(&f.q, 8, 8, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1); /* idx read: 2 seen, 1 taken */
    f.g.maps = 0;
    assert_int_equal(avps_vq_kick_enable(&f.vq), 1);
    vqfix_teardown(&f);
}

/* A driver that jumps avail idx while we re-arm breaks the queue there too. */
static void test_kick_enable_sees_index_jump_split(void **s)
{
    struct vqfix f;

    (void)s;
    race_setup(&f, false, 0);
    race_bump_idx = 9; /* more than the queue size */
    assert_int_equal(avps_vq_kick_enable(&f.vq), AVPS_E_GUEST_INDEX);
    assert_true(avps_vq_is_broken(&f.vq));
    assert_int_equal(f.broken_calls, 1);
    assert_int_equal(avps_vq_kick_enable(&f.vq), AVPS_E_STATE);
    assert_int_equal(avps_vq_kick_disable(&f.vq), AVPS_E_STATE);
    vqfix_teardown(&f);
}

/* ---- the owner's interrupt hook ---------------------------------------- */
static int irq_calls;
static int irq_ret;
static int irq_hook(void *owner, struct avps_vq *vq)
{
    (void)owner;
    (void)vq;
    irq_calls++;
    return irq_ret;
}

static void irq_hook_case(bool packed)
{
    struct vqfix f;
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;
    int id;

    assert_int_equal(vqfix_setup_ex(&f, packed, 8, 0, false), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = f.slots;
    cfg.num_slots = 8;
    cfg.irq = irq_hook;
    assert_int_equal(avps_vq_init(&f.vq, &f.g.host, &cfg), AVPS_OK);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    irq_calls = 0;
    irq_ret = 0;
    id = rd_add_simple(&f.q, 8, 8, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(irq_calls, 1);
    assert_int_equal(f.g.irqs, 0); /* the hook, not the port, raised it */
    /* the hook's error comes back to the caller */
    irq_ret = AVPS_E_IO;
    id = rd_add_simple(&f.q, 8, 8, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), AVPS_E_IO);
    /* nothing pushed since: no notification at all */
    assert_int_equal(avps_vq_notify(&f.vq), 0);
    assert_int_equal(irq_calls, 2);
    vqfix_teardown(&f);
}
static void test_irq_hook_split(void **s) { (void)s; irq_hook_case(false); }
static void test_irq_hook_packed(void **s) { (void)s; irq_hook_case(true); }

static int bad_inject(void *ctx, uint32_t v)
{
    (void)ctx;
    (void)v;
    return AVPS_E_IO;
}

static void test_port_inject_error_returned(void **s)
{
    struct vqfix f;
    struct avps_port_ops ops;
    int id;

    (void)s;
    assert_int_equal(vqfix_setup(&f, false, 8, 0), 0);
    ops = *f.g.host.ops;
    ops.inject = bad_inject;
    f.g.host.ops = &ops;
    id = rd_add_simple(&f.q, 8, 8, 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 0), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), AVPS_E_IO);
    vqfix_teardown(&f);
}

/* ---- packed EVENT_IDX: a window wider than the ring always notifies ---- */
static void test_2_8_10_event_window_wider_than_ring_packed(void **s)
{
    struct vqfix f;
    struct rd_done d;

    (void)s;
    assert_int_equal(vqfix_setup(&f, true, 4, F_BIT(EVENT_IDX)), 0);
    for (int i = 0; i < 5; i++) {
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 8), AVPS_OK);
        assert_int_equal(rd_get_used(&f.q, &d), 1);
    }
    /* 5 entries used on a 4-entry ring since the last decision: the event
     * position (1 in the current lap) was passed, whatever the arithmetic says */
    rd_set_driver_event(&f.q, AVPS_VRING_PACKED_EVENT_FLAG_DESC, 3, f.q.used_wrap);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    vqfix_teardown(&f);
}

/* ---- argument and state checks ----------------------------------------- */
static void test_vq_init_rejects_bad_arguments(void **s)
{
    struct avps_posix_guest g;
    struct avps_vq vq;
    struct avps_vq_slot slots[4];
    struct avps_vq_cfg cfg;
    struct avps_port_ops ops;
    struct avps_host h;

    (void)s;
    avps_posix_init(&g);
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = slots;
    cfg.num_slots = 4;
    assert_int_equal(avps_vq_init(&vq, &g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_vq_init(NULL, &g.host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_vq_init(&vq, &g.host, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_vq_init(&vq, NULL, &cfg), AVPS_E_INVAL);
    cfg.num_slots = 0;
    assert_int_equal(avps_vq_init(&vq, &g.host, &cfg), AVPS_E_INVAL);
    cfg.num_slots = 4;
    cfg.slots = NULL;
    assert_int_equal(avps_vq_init(&vq, &g.host, &cfg), AVPS_E_INVAL);
    cfg.slots = slots;
    ops = *g.host.ops;
    ops.version = 99;
    h.ops = &ops;
    h.ctx = &g;
    assert_int_equal(avps_vq_init(&vq, &h, &cfg), AVPS_E_VERSION);
    /* a queue that was never enabled refuses work */
    assert_int_equal(avps_vq_init(&vq, &g.host, &cfg), AVPS_OK);
    assert_false(avps_vq_ready(&vq));
    assert_false(avps_vq_is_broken(&vq));
    assert_false(avps_vq_ready(NULL));
    assert_false(avps_vq_is_broken(NULL));
    {
        struct avps_vq_state st;
        struct avps_vq_seg seg[1];
        struct avps_vq_req req = {.seg = seg, .seg_max = 1};
        uint16_t id;

        assert_int_equal(avps_vq_save(&vq, &st), AVPS_E_STATE);
        assert_int_equal(avps_vq_restore(&vq, &st), AVPS_E_STATE);
        assert_int_equal(avps_vq_pop(&vq, &req), AVPS_E_STATE);
        assert_int_equal(avps_vq_skip(&vq, &id), AVPS_E_STATE);
        assert_int_equal(avps_vq_push(&vq, 0, 0), AVPS_E_STATE);
        assert_int_equal(avps_vq_notify(&vq), AVPS_E_STATE);
        assert_int_equal(avps_vq_kick_enable(&vq), AVPS_E_STATE);
        assert_int_equal(avps_vq_notify_data(&vq, 0), AVPS_E_STATE);
    }
    avps_posix_fini(&g);
}

/* save/restore of a packed queue whose driver has wrapped and device has not */
static void test_vq_restore_packed_across_wrap(void **s)
{
    struct vqfix f;
    struct avps_vq_state st;
    struct avps_vq_slot keep[4];
    struct avps_vq_ring ring;
    struct rd_done d;
    uint16_t ids[4];

    (void)s;
    assert_int_equal(vqfix_setup(&f, true, 4, 0), 0);
    /* 3 in and out, then 3 more in flight: avail wrapped (pos 2, wrap 0),
     * used at pos 3 with wrap 1 */
    for (int i = 0; i < 3; i++) {
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 0), AVPS_OK);
        assert_int_equal(rd_get_used(&f.q, &d), 1);
    }
    for (int i = 0; i < 3; i++) {
        assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        ids[i] = f.req.id;
    }
    assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_OK);
    assert_int_equal(st.avail_wrap, 0);
    assert_int_equal(st.used_wrap, 1);
    assert_int_equal(st.inflight, 3);
    memcpy(keep, f.slots, sizeof keep);
    avps_vq_reset(&f.vq);
    ring = rd_ring(&f.q);
    assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
    memcpy(f.slots, keep, sizeof keep);
    assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(avps_vq_push(&f.vq, ids[i], 8), AVPS_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&f.q, &d), 1);
        assert_int_equal(d.id, ids[i]);
        assert_int_equal(d.len, 8);
    }
    assert_int_equal(f.q.bad_used, 0);
    vqfix_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2_7_10_empty_pop_rearm_race_split),
        cmocka_unit_test(test_2_8_10_empty_pop_rearm_race_packed),
        cmocka_unit_test(test_kick_enable_race_split),
        cmocka_unit_test(test_kick_enable_race_split_event_idx),
        cmocka_unit_test(test_kick_enable_race_packed),
        cmocka_unit_test(test_kick_enable_race_packed_event_idx),
        cmocka_unit_test(test_kick_enable_with_seen_buffers_split),
        cmocka_unit_test(test_kick_enable_sees_index_jump_split),
        cmocka_unit_test(test_irq_hook_split),
        cmocka_unit_test(test_irq_hook_packed),
        cmocka_unit_test(test_port_inject_error_returned),
        cmocka_unit_test(test_2_8_10_event_window_wider_than_ring_packed),
        cmocka_unit_test(test_vq_init_rejects_bad_arguments),
        cmocka_unit_test(test_vq_restore_packed_across_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_window: translation windows (port ops version 2, avps_port_ops.window)
 * as the ring engines use them: one map-free translation for ranges inside
 * the window, the map path for everything else, and a port answer that is
 * checked like any other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vqfix.h"

#define QS 16u

static void setup(struct vqfix *f, bool packed, bool window, uint64_t features)
{
    assert_int_equal(vqfix_setup_ex(f, packed, QS, features, false), 0);
    avps_posix_set_window(&f->g, window);
    /* re-bind so the queue reads the ops table again */
    {
        struct avps_vq_cfg cfg;
        struct avps_vq_ring ring = rd_ring(&f->q);

        memset(&cfg, 0, sizeof cfg);
        cfg.slots = f->slots;
        cfg.num_slots = QS;
        cfg.index = VQFIX_QINDEX;
        cfg.dev_id = VQFIX_DEV_ID;
        cfg.vector = VQFIX_VECTOR;
        assert_int_equal(avps_vq_init(&f->vq, &f->g.host, &cfg), AVPS_OK);
        assert_int_equal(avps_vq_enable(&f->vq, &ring), AVPS_OK);
    }
}

static int add1(struct vqfix *f, uint32_t len, bool write, uint64_t *gpa)
{
    struct rd_buf b;

    b.gpa = rd_alloc(&f->q, len);
    b.len = len;
    b.write = write;
    rd_fill(&f->q, b.gpa, 0x5a, len);
    *gpa = b.gpa;
    return rd_add(&f->q, &b, 1, 0);
}

/* Single descriptors inside the window: one window call, no map call, the
 * segment points into guest memory at the right place. */
static void one_pass(bool packed)
{
    static struct vqfix f;
    uint64_t gpa;
    int id;

    setup(&f, packed, true, 0);
    for (int i = 0; i < 40; i++) {
        id = add1(&f, 64, (i & 1) != 0, &gpa);
        assert_true(id >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
        assert_int_equal(f.req.id, id);
        assert_int_equal(f.req.n_rd + f.req.n_wr, 1);
        assert_ptr_equal(f.req.seg[0].base, avps_posix_ptr(&f.g, gpa, 64));
        assert_int_equal(f.req.seg[0].gpa, gpa);
        assert_int_equal(f.req.seg[0].len, 64);
        assert_int_equal((i & 1) ? f.req.wr_len : f.req.rd_len, 64);
        assert_int_equal(avps_vq_push(&f.vq, f.req.id, 0), AVPS_OK);
        {
            struct rd_done d;

            assert_int_equal(rd_get_used(&f.q, &d), 1);
        }
    }
    /* only the rings (enable) were mapped; one window served every buffer */
    assert_int_equal(f.g.maps, 3);
    assert_int_equal(f.g.windows, 1);
    vqfix_teardown(&f);
}

static void test_window_one_pass_split(void **s) { (void)s; one_pass(false); }
static void test_window_one_pass_packed(void **s) { (void)s; one_pass(true); }

/* A chain across two regions: the window covers the first, the map path
 * splits the rest at the boundary, nothing is lost. */
static void test_window_range_beyond_region(void **s)
{
    static struct vqfix f;
    struct rd_buf b;

    (void)s;
    setup(&f, false, true, 0);
    assert_int_equal(avps_posix_add_region(&f.g, VQFIX_MEM, 4096), 0);
    b.gpa = VQFIX_MEM - 32u; /* 32 bytes in region 0, 32 in region 1 */
    b.len = 64;
    b.write = false;
    assert_true(rd_add(&f.q, &b, 1, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.n_rd, 2);
    assert_int_equal(f.req.seg[0].len, 32);
    assert_int_equal(f.req.seg[1].len, 32);
    assert_int_equal(f.req.seg[1].gpa, VQFIX_MEM);
    vqfix_teardown(&f);
}

/* The port's answer is checked: a window that does not contain the address
 * is refused (reported) and map answers instead. */
static void test_window_lying_port_refused(void **s)
{
    static struct vqfix f;
    uint64_t gpa;

    (void)s;
    setup(&f, false, true, 0);
    f.g.window_lie = true;
    assert_true(add1(&f, 64, false, &gpa) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_ptr_equal(f.req.seg[0].base, avps_posix_ptr(&f.g, gpa, 64));
    assert_true(f.g.reports[AVPS_EV_PORT_BAD_MAP] >= 1);
    assert_int_equal(f.g.maps, 4); /* rings + this buffer */
    vqfix_teardown(&f);
}

/* No window for the address (outside guest memory): the map path refuses
 * it and the chain is returned with length 0, as without windows. */
static void test_window_unmapped_address(void **s)
{
    static struct vqfix f;
    struct rd_buf b;
    struct rd_done d;

    (void)s;
    setup(&f, true, true, 0);
    b.gpa = VQFIX_MEM + 4096u;
    b.len = 16;
    b.write = true;
    assert_true(rd_add(&f.q, &b, 1, 0) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_stats(&f.vq)->dropped, 1);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 0);
    vqfix_teardown(&f);
}

/* A window granted for reading is not used for a write: with the port
 * refusing writes to a range, windows are off (fault injection armed) and
 * every write is refused by map. */
static void test_window_access_respected(void **s)
{
    static struct vqfix f;
    uint64_t gpa;
    struct rd_done d;

    (void)s;
    setup(&f, false, true, 0);
    assert_true(add1(&f, 64, false, &gpa) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1); /* window cached (read+write) */
    assert_int_equal(avps_vq_push(&f.vq, f.req.id, 0), AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    /* a port whose mappings change must reset the queue first */
    f.g.readonly_lo_set = true;
    f.g.ro_lo = VQFIX_HEAP_GPA;
    f.g.ro_hi = VQFIX_MEM;
    {
        struct avps_vq_ring ring = rd_ring(&f.q);
        struct avps_vq_state st;

        assert_int_equal(avps_vq_save(&f.vq, &st), AVPS_OK);
        avps_vq_reset(&f.vq);
        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
        assert_int_equal(avps_vq_restore(&f.vq, &st), AVPS_OK);
    }
    assert_true(add1(&f, 64, true, &gpa) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.len, 0);
    assert_true(add1(&f, 64, false, &gpa) >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1); /* reads still fine, through map */
    vqfix_teardown(&f);
}

/* Version 1 ops tables (before window existed) are accepted and never read
 * beyond their end. */
static void test_window_v1_table(void **s)
{
    static struct vqfix f;
    struct avps_port_ops v1;
    struct avps_host h;
    struct avps_vq_cfg cfg;

    (void)s;
    assert_int_equal(vqfix_setup_ex(&f, false, QS, 0, false), 0);
    avps_posix_set_window(&f.g, true);
    v1 = *f.g.host.ops;
    v1.version = 1;
    h.ops = &v1;
    h.ctx = &f.g;
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = f.slots;
    cfg.num_slots = QS;
    assert_int_equal(avps_vq_init(&f.vq, &h, &cfg), AVPS_OK);
    {
        struct avps_vq_ring ring = rd_ring(&f.q);
        uint64_t gpa;

        assert_int_equal(avps_vq_enable(&f.vq, &ring), AVPS_OK);
        assert_true(add1(&f, 64, false, &gpa) >= 0);
        assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    }
    assert_int_equal(f.g.windows, 0);
    v1.version = 0;
    assert_int_equal(avps_host_check(&h), AVPS_E_VERSION);
    v1.version = AVPS_PORT_OPS_VERSION + 1u;
    assert_int_equal(avps_host_check(&h), AVPS_E_VERSION);
    vqfix_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_one_pass_split),
        cmocka_unit_test(test_window_one_pass_packed),
        cmocka_unit_test(test_window_range_beyond_region),
        cmocka_unit_test(test_window_lying_port_refused),
        cmocka_unit_test(test_window_unmapped_address),
        cmocka_unit_test(test_window_access_respected),
        cmocka_unit_test(test_window_v1_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lib/core: errors, version, host checks and the guest-memory choke point. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include <avps/version.h>

#include "core/core_priv.h"
#include "avps_posix.h"

struct gfix {
    struct avps_posix_guest g;
};

static int setup(void **state)
{
    struct gfix *f = calloc(1, sizeof *f);

    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0x1000, 0x1000), 0);
    assert_int_equal(avps_posix_add_region(&f->g, 0x2000, 0x1000), 0); /* adjacent */
    assert_int_equal(avps_posix_add_region(&f->g, 0x10000, 0x100), 0); /* after a gap */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct gfix *f = *state;

    avps_posix_fini(&f->g);
    free(f);
    return 0;
}

static void test_version_matches_header(void **s)
{
    (void)s;
    assert_int_equal(avps_version(), AVPS_VERSION);
    assert_int_equal(AVPS_VERSION >> 16, AVPS_VERSION_MAJOR);
}

static void test_strerror_every_code(void **s)
{
    static const int codes[] = {AVPS_OK, AVPS_E_INVAL, AVPS_E_STATE, AVPS_E_NOSPC,
                                AVPS_E_VERSION, AVPS_E_GUEST_RANGE, AVPS_E_GUEST_DESC,
                                AVPS_E_GUEST_LOOP, AVPS_E_GUEST_REQ, AVPS_E_GUEST_INDEX,
                                AVPS_E_GUEST_STATE, AVPS_E_IO, AVPS_E_AGAIN};
    (void)s;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *m = avps_strerror(codes[i]);

        assert_non_null(m);
        assert_string_not_equal(m, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m, avps_strerror(codes[j]));
    }
    assert_string_equal(avps_strerror(1), "unknown error");
    assert_string_equal(avps_strerror(-5), "unknown error");
    assert_string_equal(avps_strerror(-1000), "unknown error");
    assert_string_equal(avps_strerror(INT32_MIN), "unknown error");
    assert_true(AVPS_ERR_IS_GUEST(AVPS_E_GUEST_RANGE));
    assert_false(AVPS_ERR_IS_GUEST(AVPS_E_IO));
    assert_false(AVPS_ERR_IS_GUEST(AVPS_E_INVAL));
}

static int dummy_map(void *c, uint64_t a, uint64_t l, unsigned int acc, void **h, uint64_t *s)
{
    (void)c; (void)a; (void)l; (void)acc; (void)h; (void)s;
    return -1;
}
static int dummy_inject(void *c, uint32_t v) { (void)c; (void)v; return 0; }
static void dummy_lock(void *c) { (void)c; }

static void test_host_check(void **s)
{
    struct avps_port_ops ops = {.version = AVPS_PORT_OPS_VERSION, .map = dummy_map,
                                .inject = dummy_inject};
    struct avps_host h = {&ops, NULL};

    (void)s;
    assert_int_equal(avps_host_check(&h), AVPS_OK);
    assert_int_equal(avps_host_check(NULL), AVPS_E_INVAL);
    h.ops = NULL;
    assert_int_equal(avps_host_check(&h), AVPS_E_INVAL);
    h.ops = &ops;
    ops.version = AVPS_PORT_OPS_VERSION + 1;
    assert_int_equal(avps_host_check(&h), AVPS_E_VERSION);
    ops.version = AVPS_PORT_OPS_VERSION;
    ops.map = NULL;
    assert_int_equal(avps_host_check(&h), AVPS_E_INVAL);
    ops.map = dummy_map;
    ops.inject = NULL;
    assert_int_equal(avps_host_check(&h), AVPS_E_INVAL);
    ops.inject = dummy_inject;
    ops.lock = dummy_lock; /* lock without unlock */
    assert_int_equal(avps_host_check(&h), AVPS_E_INVAL);
    ops.unlock = dummy_lock;
    assert_int_equal(avps_host_check(&h), AVPS_OK);
}

static void test_range_ok_overflow_free(void **s)
{
    (void)s;
    assert_true(avps_range_ok_(0, 16, 16));
    assert_true(avps_range_ok_(15, 1, 16));
    assert_false(avps_range_ok_(16, 1, 16));
    assert_false(avps_range_ok_(1, 16, 16));
    assert_false(avps_range_ok_(UINT64_MAX, 2, UINT64_MAX));
    assert_false(avps_range_ok_(2, UINT64_MAX, 16));
    assert_true(avps_range_ok_(0, 0, 0));
}

static void test_gmem_span_rejects_before_asking(void **state)
{
    struct gfix *f = *state;
    struct avps_span sp;

    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 0, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_gmem_span_(&f->g.host, UINT64_MAX - 1, 4, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, (uint64_t)AVPS_CONFIG_MAX_SEG_LEN + 1,
                                     AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    /* none of these reached the port */
    assert_int_equal(f->g.maps + f->g.map_refusals, 0);
}

static void test_gmem_span_region_boundary(void **state)
{
    struct gfix *f = *state;
    struct avps_span sp;

    /* [0x1ff0, 0x2010) crosses from region 0 into the adjacent region 1 */
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1ff0, 0x20, AVPS_ACCESS_READ, &sp), AVPS_OK);
    assert_int_equal(sp.len, 0x10);
    assert_ptr_equal(sp.hva, avps_posix_ptr(&f->g, 0x1ff0, 1));
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x2000, 0x10, AVPS_ACCESS_READ, &sp), AVPS_OK);
    assert_int_equal(sp.len, 0x10);
    /* the last byte of a region, and one past it into the gap */
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x100ff, 1, AVPS_ACCESS_READ, &sp), AVPS_OK);
    assert_int_equal(sp.len, 1);
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x10100, 1, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
}

static void test_gmem_distrusts_port_answer(void **state)
{
    struct gfix *f = *state;
    struct avps_span sp;

    f->g.answer_null = true;
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 8, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(f->g.reports[AVPS_EV_PORT_BAD_MAP], 1);
    f->g.answer_null = false;
    f->g.answer_long_span = true;
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 8, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(f->g.reports[AVPS_EV_PORT_BAD_MAP], 2);
    f->g.answer_long_span = false;
    f->g.fail_after = 0;
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 8, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(f->g.reports[AVPS_EV_PORT_BAD_MAP], 2); /* a plain refusal */
}

static void test_gmem_map_whole_refuses_split_range(void **state)
{
    struct gfix *f = *state;
    void *p = NULL;

    avps_posix_set_unmap(&f->g, true);
    assert_int_equal(avps_gmem_map_whole_(&f->g.host, 0x1f00, 0x200, AVPS_ACCESS_READ, &p),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(f->g.unmaps, 1); /* the partial mapping was given back */
    assert_int_equal(avps_gmem_map_whole_(&f->g.host, 0x1f00, 0x100, AVPS_ACCESS_READ, &p),
                     AVPS_OK);
    assert_ptr_equal(p, avps_posix_ptr(&f->g, 0x1f00, 0x100));
}

static void test_gmem_read_across_regions(void **state)
{
    struct gfix *f = *state;
    uint8_t *a = avps_posix_ptr(&f->g, 0x1ff8, 8);
    uint8_t *b = avps_posix_ptr(&f->g, 0x2000, 8);
    uint8_t out[16];

    for (int i = 0; i < 8; i++) {
        a[i] = (uint8_t)i;
        b[i] = (uint8_t)(8 + i);
    }
    f->g.max_span = 3; /* and short spans inside each region */
    assert_int_equal(avps_gmem_read_(&f->g.host, 0x1ff8, out, 16, 0), AVPS_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(out[i], i);
    /* reading into the gap fails whole */
    assert_int_equal(avps_gmem_read_(&f->g.host, 0x100f8, out, 16, 0), AVPS_E_GUEST_RANGE);
}

static void test_gmem_passes_access_bits(void **state)
{
    struct gfix *f = *state;
    struct avps_span sp;

    f->g.readonly_lo_set = true;
    f->g.ro_lo = 0x1000;
    f->g.ro_hi = 0x1100;
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 8, AVPS_ACCESS_READ, &sp), AVPS_OK);
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x1000, 8, AVPS_ACCESS_WRITE, &sp),
                     AVPS_E_GUEST_RANGE);
    f->g.require_iova = true;
    f->g.iova_offset = 0x100000;
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x2000, 8, AVPS_ACCESS_READ, &sp),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_gmem_span_(&f->g.host, 0x102000, 8,
                                     AVPS_ACCESS_READ | AVPS_ACCESS_IOVA, &sp), AVPS_OK);
    assert_ptr_equal(sp.hva, avps_posix_ptr(&f->g, 0x2000, 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_strerror_every_code),
        cmocka_unit_test(test_host_check),
        cmocka_unit_test(test_range_ok_overflow_free),
        cmocka_unit_test_setup_teardown(test_gmem_span_rejects_before_asking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gmem_span_region_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gmem_distrusts_port_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gmem_map_whole_refuses_split_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gmem_read_across_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gmem_passes_access_bits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

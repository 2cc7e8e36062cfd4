/* Smoke: one request through each layout, end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vqfix.h"

static void roundtrip(bool packed)
{
    struct vqfix f;
    struct rd_done d;
    uint8_t hdr[16];
    int id;

    assert_int_equal(vqfix_setup(&f, packed, 8, 0), 0);
    id = rd_add_simple(&f.q, 16, 64, 0);
    assert_true(id >= 0);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 1);
    assert_int_equal(f.req.id, id);
    assert_int_equal(f.req.n_rd, 1);
    assert_int_equal(f.req.n_wr, 1);
    assert_int_equal(f.req.rd_len, 16);
    assert_int_equal(f.req.wr_len, 64);
    assert_int_equal(avps_vq_req_read(&f.req, 0, hdr, sizeof hdr), 16);
    assert_int_equal(avps_vq_req_write(&f.vq, &f.req, 0, "hello", 5), 5);
    assert_int_equal(avps_vq_pop(&f.vq, &f.req), 0);
    assert_int_equal(avps_vq_push(&f.vq, (uint16_t)id, 5), AVPS_OK);
    assert_int_equal(avps_vq_notify(&f.vq), 1);
    assert_int_equal(f.g.irq_by_vector[VQFIX_VECTOR], 1);
    assert_int_equal(rd_get_used(&f.q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 5);
    assert_int_equal(rd_get_used(&f.q, &d), 0);
    assert_int_equal(f.q.bad_used, 0);
    vqfix_teardown(&f);
}

static void test_smoke_split(void **s) { (void)s; roundtrip(false); }
static void test_smoke_packed(void **s) { (void)s; roundtrip(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smoke_split),
        cmocka_unit_test(test_smoke_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_cov_port: the optional members of struct avps_port_ops (port.h:
 * "optional members are NULL when absent"). A port with only map and inject
 * still runs a device, guest faults included; cache maintenance ops, when
 * present, are called for the shared memory the library reads and writes;
 * a lock context without lock ops takes no lock.
 *
 * Fixtures are static so that a failed assertion (cmocka longjmps out)
 * leaves them reachable rather than reported as leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <avps/rng.h>

#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK

/* ---- a recording port over the posix guest ------------------------------ */

struct range {
    const uint8_t *p;
    uint64_t len;
};

struct cport {
    struct avps_posix_guest g; /* first: the ops' ctx is &g */
    struct avps_port_ops ops;
    struct avps_host host;
    struct range inval[512], clean[512];
    unsigned int ninval, nclean;
};

static void cp_inval(void *ctx, const void *hva, uint64_t len)
{
    struct cport *c = ctx;

    if (c->ninval < 512u)
        c->inval[c->ninval++] = (struct range){hva, len};
}

static void cp_clean(void *ctx, const void *hva, uint64_t len)
{
    struct cport *c = ctx;

    if (c->nclean < 512u)
        c->clean[c->nclean++] = (struct range){hva, len};
}

/* Was [p, p + len) covered by one recorded range? */
static bool covered(const struct range *r, unsigned int n, const void *p, uint64_t len)
{
    const uint8_t *b = p;

    for (unsigned int i = 0; i < n; i++) {
        if (b >= r[i].p && (uint64_t)(b - r[i].p) + len <= r[i].len)
            return true;
    }
    return false;
}

/* Only map and inject (required), plus the cache ops when with_cache. */
static void cp_init(struct cport *c, bool with_cache)
{
    const struct avps_port_ops *base;

    memset(c, 0, sizeof *c);
    avps_posix_init(&c->g);
    assert_int_equal(avps_posix_add_region(&c->g, 0, VQFIX_MEM), 0);
    base = c->g.host.ops;
    c->ops.version = AVPS_PORT_OPS_VERSION;
    c->ops.map = base->map;
    c->ops.inject = base->inject;
    if (with_cache) {
        c->ops.cache_invalidate = cp_inval;
        c->ops.cache_clean = cp_clean;
    }
    c->host.ops = &c->ops;
    c->host.ctx = &c->g;
}

static int fill_ff(void *ctx, void *buf, uint32_t len)
{
    (void)ctx;
    memset(buf, 0xff, len);
    return (int)len;
}

struct rfix {
    struct cport c;
    struct rd_queue q;
    struct avps_rng rng;
    struct avps_vq_slot slots[8];
    struct avps_rng_backend be;
    struct avps_dev *dev;
};

static void rf_setup(struct rfix *f, bool with_cache, void *lock_ctx)
{
    struct avps_rng_cfg cfg;
    struct avps_dev *d;

    cp_init(&f->c, with_cache);
    f->be.fill = fill_ff;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.lock_ctx = lock_ctx;
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = 8;
    cfg.queue_size_max = 8;
    assert_int_equal(avps_rng_init(&f->rng, &f->c.host, &cfg), AVPS_OK);
    d = f->dev = avps_rng_dev(&f->rng);
    assert_int_equal(rd_init(&f->q, &f->c.g, false, 8, F_BIT(VERSION_1), VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, f->q.desc), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, f->q.driver), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, f->q.device), AVPS_OK);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
}

static void rf_teardown(struct rfix *f)
{
    rd_fini(&f->q);
    avps_posix_fini(&f->c.g);
}

/* A port with only the required ops (no report, dirty, unmap, cache, lock,
 * set_level, inject_msi) runs the device; guest faults still drop the bad
 * chain (length 0) and are counted by the device, with nobody to report to. */
static void test_port_required_ops_only(void **st)
{
    static struct rfix f;
    struct rd_done done;
    int bad, good;

    (void)st;
    rf_setup(&f, false, NULL);
    assert_int_equal(avps_host_check(&f.c.host), AVPS_OK);
    bad = rd_add_simple(&f.q, 0, 8, 0);
    good = rd_add_simple(&f.q, 0, 8, 0);
    rd_split_desc(&f.q, (uint16_t)bad)->addr = avps_to_le64(VQFIX_MEM); /* outside RAM */
    assert_int_equal(avps_dev_queue_notify(f.dev, 0), 1);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(done.id, bad);
    assert_int_equal(done.len, 0);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(done.id, good);
    assert_int_equal(done.len, 8);
    assert_int_equal(avps_vq_stats(avps_dev_vq(f.dev, 0))->dropped, 1);
    assert_false(avps_dev_needs_reset(f.dev));
    /* no transport bound: the ISR holds the notification, nothing injected */
    assert_int_equal(avps_dev_isr(f.dev), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f.c.g.irqs, 0);
    assert_int_equal(avps_posix_report_total(&f.c.g), 0);
    assert_int_equal(f.c.g.dirty_calls, 0);
    rf_teardown(&f);
}

/* port.h: cache_invalidate "before the library reads shared memory a
 * non-coherent guest wrote", cache_clean "after the library wrote shared
 * memory that a non-coherent guest reads". Serving one request reads the
 * available index, the ring entry and the descriptor, and writes the
 * buffer, the used element and the used index: each range is covered. */
static void test_port_cache_ops_cover_shared_memory(void **st)
{
    static struct rfix f;
    const struct cport *c = &f.c;
    struct rd_buf b;
    struct rd_done done;
    int id;

    (void)st;
    rf_setup(&f, true, NULL);
    f.c.ninval = 0;
    f.c.nclean = 0;
    b.gpa = rd_alloc(&f.q, 32);
    b.len = 32;
    b.write = true;
    id = rd_add(&f.q, &b, 1, 0);
    assert_true(id >= 0);
    assert_int_equal(avps_dev_queue_notify(f.dev, 0), 1);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(done.len, 32);
    /* reads: avail->idx, avail->ring[0], desc[id] */
    assert_true(covered(c->inval, c->ninval, f.q.driver_p + 2, 2));
    assert_true(covered(c->inval, c->ninval, f.q.driver_p + 4, 2));
    assert_true(covered(c->inval, c->ninval, f.q.desc_p + 16u * (unsigned int)id, 16));
    /* writes: the buffer, used->ring[0], used->idx */
    assert_true(covered(c->clean, c->nclean, avps_posix_ptr(&f.c.g, b.gpa, 32), 32));
    assert_true(covered(c->clean, c->nclean, f.q.device_p + 4, 8));
    assert_true(covered(c->clean, c->nclean, f.q.device_p + 2, 2));
    /* nothing the device only reads is cleaned */
    assert_false(covered(c->clean, c->nclean, f.q.desc_p + 16u * (unsigned int)id, 16));
    rf_teardown(&f);
}

/* device.h: a non-NULL lock_ctx makes the port's lock/unlock guard every
 * public entry point; a port without lock ops takes no lock and the device
 * still works (avps_host_check() allows neither op). */
static void test_port_lock_ctx_without_lock_ops(void **st)
{
    static struct rfix f;
    static int lock_token;
    struct rd_done done;

    (void)st;
    rf_setup(&f, false, &lock_token);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    assert_int_equal(avps_rng_resume(&f.rng), 1);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(done.len, 8);
    assert_int_equal(avps_rng_bytes(&f.rng), 8);
    rf_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_required_ops_only),
        cmocka_unit_test(test_port_cache_ops_cover_shared_memory),
        cmocka_unit_test(test_port_lock_ctx_without_lock_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

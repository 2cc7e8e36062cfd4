/*
 * test_cov_device: device-core paths that virtio-rng alone does not reach
 * (a device type with configuration space, a feature rule of its own, a
 * driver_ok hook and no queue_reset hook; a device with no transport bound;
 * save/restore refusals) and the argument checks of avps_rng_init(), each
 * against what include/avps/device.h, include/avps/rng.h or the spec says.
 *
 * The test device type is built through lib/devices/dev_priv.h, as a new
 * device type in lib/devices would be (STYLE rule 18: tests may include
 * internal headers).
 *
 * Fixtures are static so that a failed assertion (cmocka longjmps out)
 * leaves them reachable rather than reported as leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <avps/rng.h>

#include "devices/dev_priv.h"
#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK
#define S_NR AVPS_VIRTIO_S_NEEDS_RESET

/* ---- a test device type: 8 bytes of config, [0,4) read-only ----------- */

#define CD_F_BASE AVPS_VIRTIO_BIT(0)  /* a device feature */
#define CD_F_EXTRA AVPS_VIRTIO_BIT(1) /* requires CD_F_BASE */
#define CD_ID 0x3fu

struct cfgdev {
    struct avps_dev dev; /* first */
    struct avps_dev_queue queue[2];
    uint8_t cfg[8];
    int resets;
    int driver_oks;
    int notifies;
    int last_q;
};

static struct cfgdev *cd_of(struct avps_dev *dev)
{
    return (struct cfgdev *)(void *)dev;
}

static void cd_reset(struct avps_dev *dev)
{
    cd_of(dev)->resets++;
}

/* §2.2.2: a device type may refuse a set it cannot work with. */
static int cd_features_ok(struct avps_dev *dev, uint64_t f)
{
    (void)dev;
    return (f & CD_F_EXTRA) != 0u && (f & CD_F_BASE) == 0u ? AVPS_E_GUEST_STATE : AVPS_OK;
}

static int cd_queue_notify(struct avps_dev *dev, uint16_t q)
{
    cd_of(dev)->notifies++;
    cd_of(dev)->last_q = q;
    return 0;
}

static void cd_config_read(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, cd_of(dev)->cfg + off, len);
}

static int cd_config_write(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    if (off < 4u)
        return AVPS_E_GUEST_REQ; /* read-only field */
    memcpy(cd_of(dev)->cfg + off, buf, len);
    return AVPS_OK;
}

static void cd_driver_ok(struct avps_dev *dev)
{
    cd_of(dev)->driver_oks++;
}

static const struct avps_dev_class cd_class = {
    .device_id = CD_ID,
    .config_size = 8,
    .features = CD_F_BASE | CD_F_EXTRA,
    .reset = cd_reset,
    .features_ok = cd_features_ok,
    .queue_notify = cd_queue_notify,
    .config_read = cd_config_read,
    .config_write = cd_config_write,
    .driver_ok = cd_driver_ok,
    /* no queue_reset: the device type keeps nothing per queue */
};

/* The same device type without a config_write op: all of it read-only. */
static const struct avps_dev_class cd_ro_class = {
    .device_id = CD_ID,
    .config_size = 8,
    .reset = cd_reset,
    .queue_notify = cd_queue_notify,
    .config_read = cd_config_read,
};

struct cdfix {
    struct avps_posix_guest g;
    struct rd_queue q;
    struct cfgdev cd;
    struct avps_vq_slot slots[16];
    struct avps_dev *dev;
};

/* Queue 0 exists (16 entries), queue 1 does not (never initialised). No
 * common configuration (cc NULL) and no transport bound. */
static void cd_setup(struct cdfix *f)
{
    memset(f, 0, sizeof *f);
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, VQFIX_MEM), 0);
    assert_int_equal(avps_dev_init_(&f->cd.dev, &cd_class, &f->g.host, f->cd.queue, 2, NULL),
                     AVPS_OK);
    assert_int_equal(avps_dev_queue_init_(&f->cd.dev, 0, 16, f->slots, 16), AVPS_OK);
    f->dev = &f->cd.dev;
    memcpy(f->cd.cfg, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    assert_int_equal(rd_init(&f->q, &f->g, false, 8, F_BIT(VERSION_1), VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
}

static void cd_teardown(struct cdfix *f)
{
    rd_fini(&f->q);
    avps_posix_fini(&f->g);
}

/* §3.1.1 up to DRIVER_OK with queue 0 on the fixture's split ring. */
static void cd_bring_up(struct cdfix *f, uint64_t features)
{
    struct avps_dev *d = f->dev;

    assert_int_equal(avps_dev_set_status(d, S_ACK), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)features), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(features >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, f->q.desc), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, f->q.driver), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, f->q.device), AVPS_OK);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
}

/* ---- feature negotiation ----------------------------------------------- */

/* §2.2.2: "The device SHOULD accept any valid subset of features the driver
 * accepts, otherwise it MUST fail to set the FEATURES_OK device status bit".
 * The device type's own rule (EXTRA needs BASE) is applied: the bit stays
 * clear, the refusal is reported, and a valid set is then accepted. */
static void test_2_2_2_device_type_refuses_feature_set(void **st)
{
    static struct cdfix f;
    struct avps_dev *d;
    const uint64_t v1 = F_BIT(VERSION_1);

    (void)st;
    cd_setup(&f);
    d = f.dev;
    assert_int_equal(avps_dev_offered_features(d) & (CD_F_BASE | CD_F_EXTRA),
                     CD_F_BASE | CD_F_EXTRA);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)CD_F_EXTRA), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(v1 >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d), S_ACK | S_DRV);
    assert_int_equal(avps_dev_features(d), 0);
    assert_int_equal(f.g.reports[AVPS_EV_DEV_FEATURES], 1);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)(CD_F_BASE | CD_F_EXTRA)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_features(d), v1 | CD_F_BASE | CD_F_EXTRA);
    cd_teardown(&f);
}

/* §3.1.1 (driver): DRIVER comes before FEATURES_OK. A FEATURES_OK written
 * without DRIVER is refused like an unacceptable feature set: the bit stays
 * clear and the device reports it. */
static void test_3_1_1_features_ok_without_driver_refused(void **st)
{
    static struct cdfix f;
    struct avps_dev *d;

    (void)st;
    cd_setup(&f);
    d = f.dev;
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK); /* VERSION_1 */
    assert_int_equal(avps_dev_set_status(d, S_ACK), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d), S_ACK);
    assert_int_equal(f.g.reports[AVPS_EV_DEV_FEATURES], 1);
    assert_int_equal(avps_dev_features(d), 0);
    cd_teardown(&f);
}

/* The device type's driver_ok hook runs once at DRIVER_OK, and buffers made
 * available before it are offered to the existing queues only (§2.1.2:
 * taken once DRIVER_OK is set). */
static void test_dev_driver_ok_hook_and_pending_queues(void **st)
{
    static struct cdfix f;

    (void)st;
    cd_setup(&f);
    cd_bring_up(&f, F_BIT(VERSION_1));
    assert_int_equal(f.cd.driver_oks, 1);
    assert_int_equal(f.cd.notifies, 1);
    assert_int_equal(f.cd.last_q, 0);
    /* adding bits later does not run the hook again */
    assert_int_equal(avps_dev_set_status(f.dev, S_ACK | S_DRV | S_FOK | S_DOK |
                                                    AVPS_VIRTIO_S_FAILED),
                     AVPS_OK);
    assert_int_equal(f.cd.driver_oks, 1);
    cd_teardown(&f);
}

/* ---- configuration space ----------------------------------------------- */

/* §2.5.2: "The device MUST allow reading of any device-specific
 * configuration field before FEATURES_OK is set by the driver." Reads that
 * run past the end give zeros for the missing bytes (device.h). */
static void test_2_5_2_config_readable_before_features_ok(void **st)
{
    static struct cdfix f;
    uint8_t buf[8];

    (void)st;
    cd_setup(&f);
    assert_int_equal(avps_dev_status(f.dev), 0);
    assert_int_equal(avps_dev_config_size(f.dev), 8);
    assert_int_equal(avps_dev_config_read(f.dev, 0, buf, 8), AVPS_OK);
    assert_memory_equal(buf, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(avps_dev_config_read(f.dev, 6, buf, 4), AVPS_OK);
    assert_memory_equal(buf, "\x77\x88\x00\x00", 4);
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(avps_dev_config_read(f.dev, 8, buf, 2), AVPS_OK);
    assert_memory_equal(buf, "\x00\x00", 2);
    assert_int_equal(avps_dev_guest_errors(f.dev), 0);
    cd_teardown(&f);
}

/* avps_dev_config_write(): writes to read-only fields, past the end or of
 * zero bytes are ignored and reported (AVPS_E_GUEST_REQ); a write to a
 * writable field is applied. */
static void test_dev_config_write_rules(void **st)
{
    static struct cdfix f;
    const uint8_t v[4] = {0xa1, 0xa2, 0xa3, 0xa4};
    uint8_t buf[8];

    (void)st;
    cd_setup(&f);
    assert_int_equal(avps_dev_config_write(f.dev, 4, v, 4), AVPS_OK);
    assert_int_equal(avps_dev_config_write(f.dev, 0, v, 4), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(f.dev, 6, v, 4), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(f.dev, 0xfffffffeu, v, 4), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(f.dev, 4, v, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(f.g.reports[AVPS_EV_DEV_CONFIG], 4);
    assert_int_equal(avps_dev_config_read(f.dev, 0, buf, 8), AVPS_OK);
    assert_memory_equal(buf, "\x11\x22\x33\x44\xa1\xa2\xa3\xa4", 8);
    cd_teardown(&f);
}

/* ---- no transport bound ------------------------------------------------- */

/* A device whose transport is not bound (or binds without notification
 * ops) still keeps its interrupt status: a used-buffer notification sets
 * ISR bit 0 and reports that it could not be sent (AVPS_E_STATE, the irq
 * hook's error through avps_vq_notify()); configuration changes and
 * NEEDS_RESET set ISR bit 1 without calling anything, and NEEDS_RESET found
 * at DRIVER_OK sets it then (§2.1.2). */
static void without_transport(bool bound)
{
    static struct cdfix f;
    static const struct avps_transport_ops empty_tops = {NULL, NULL};
    struct avps_vq_seg seg[2];
    struct avps_vq_req req;
    struct avps_vq *vq;
    uint32_t gen;
    int id;

    memset(&req, 0, sizeof req);
    req.seg = seg;
    req.seg_max = 2;
    cd_setup(&f);
    if (bound)
        assert_int_equal(avps_dev_bind(f.dev, &empty_tops, NULL, 0), AVPS_OK);

    /* NEEDS_RESET before DRIVER_OK: ISR bit 1 once DRIVER_OK is set */
    assert_int_equal(avps_dev_set_status(f.dev, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(f.dev, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(f.dev, S_ACK | S_DRV | S_FOK), AVPS_OK);
    avps_dev_fail(f.dev, AVPS_E_IO);
    assert_int_equal(avps_dev_isr(f.dev), 0);
    assert_int_equal(avps_dev_set_status(f.dev, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
    assert_int_equal(avps_dev_status(f.dev), S_ACK | S_DRV | S_FOK | S_DOK | S_NR);
    assert_int_equal(avps_dev_isr(f.dev), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f.cd.driver_oks, 0); /* a broken device is not started */
    assert_int_equal(avps_dev_set_status(f.dev, 0), AVPS_OK);
    assert_int_equal(avps_dev_isr(f.dev), 0);

    /* a running device */
    cd_bring_up(&f, F_BIT(VERSION_1));
    vq = avps_dev_vq(f.dev, 0);
    assert_non_null(vq);
    id = rd_add_simple(&f.q, 0, 8, 0);
    assert_int_equal(avps_vq_pop(vq, &req), 1);
    assert_int_equal(req.id, id);
    assert_int_equal(avps_vq_push(vq, req.id, 0), AVPS_OK);
    assert_int_equal(avps_vq_notify(vq), AVPS_E_STATE);
    assert_int_equal(avps_dev_isr(f.dev), AVPS_DEV_ISR_QUEUE);
    gen = avps_dev_config_generation(f.dev);
    avps_dev_config_changed(f.dev);
    assert_int_equal(avps_dev_config_generation(f.dev), gen + 1u);
    assert_int_equal(avps_dev_isr(f.dev), AVPS_DEV_ISR_QUEUE | AVPS_DEV_ISR_CONFIG);
    avps_dev_isr_ack(f.dev, AVPS_DEV_ISR_QUEUE | AVPS_DEV_ISR_CONFIG);
    avps_dev_fail(f.dev, AVPS_E_IO);
    assert_true(avps_dev_needs_reset(f.dev));
    assert_int_equal(avps_dev_isr(f.dev), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f.g.reports[AVPS_EV_DEV_NEEDS_RESET], 2);
    cd_teardown(&f);
}

static void test_dev_unbound_keeps_isr(void **st) { (void)st; without_transport(false); }
static void test_dev_bound_without_notify_ops_keeps_isr(void **st) { (void)st; without_transport(true); }

/* ---- API argument checks ------------------------------------------------ */

/* avps_dev_bind(): "AVPS_E_INVAL A NULL argument". Queue area selectors
 * outside the three areas are the caller's error too, and change nothing. */
static void test_dev_bind_and_area_arguments(void **st)
{
    static struct cdfix f;
    static const struct avps_transport_ops tops = {NULL, NULL};
    const enum avps_dev_area bad = (enum avps_dev_area)3;

    (void)st;
    cd_setup(&f);
    assert_int_equal(avps_dev_bind(NULL, &tops, NULL, 0), AVPS_E_INVAL);
    assert_int_equal(avps_dev_bind(f.dev, NULL, NULL, 0), AVPS_E_INVAL);
    assert_int_equal(avps_dev_queue_set_addr(f.dev, 0, AVPS_DEV_AREA_DESC, 0x1000), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(f.dev, 0, bad, 0x2000), AVPS_E_INVAL);
    assert_int_equal(avps_dev_queue_set_addr_half(f.dev, 0, bad, true, 1), AVPS_E_INVAL);
    assert_int_equal(avps_dev_queue_addr(f.dev, 0, bad), 0);
    assert_int_equal(avps_dev_queue_addr(f.dev, 0, AVPS_DEV_AREA_DESC), 0x1000);
    assert_int_equal(avps_dev_queue_addr(f.dev, 0, AVPS_DEV_AREA_DRIVER), 0);
    assert_int_equal(avps_dev_queue_addr(f.dev, 0, AVPS_DEV_AREA_DEVICE), 0);
    /* queue 1 was never set up: it does not exist */
    assert_int_equal(avps_dev_queue_size_max(f.dev, 1), 0);
    assert_int_equal(avps_dev_queue_set_size(f.dev, 1, 8), AVPS_E_GUEST_STATE);
    cd_teardown(&f);
}

/* A device with no queues at all: every queue register refers to a queue
 * that does not exist, and the status machine still works. Its type has no
 * config_write: every configuration write is refused (AVPS_E_GUEST_REQ). */
static void test_dev_zero_queues(void **st)
{
    static struct avps_posix_guest g;
    static struct cfgdev cd;
    struct avps_dev_common_cfg cc;
    uint8_t buf[4];

    (void)st;
    avps_posix_init(&g);
    memset(&cc, 0, sizeof cc);
    cc.dev_id = 3;
    assert_int_equal(avps_dev_init_(&cd.dev, &cd_ro_class, &g.host, NULL, 0, &cc), AVPS_OK);
    assert_int_equal(avps_dev_num_queues(&cd.dev), 0);
    assert_null(avps_dev_vq(&cd.dev, 0));
    assert_int_equal(avps_dev_queue_notify(&cd.dev, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_enable(&cd.dev, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_reset(&cd.dev, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_set_status(&cd.dev, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(&cd.dev, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(&cd.dev, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_set_status(&cd.dev, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
    assert_int_equal(cd.driver_oks, 0); /* this type has no driver_ok hook */
    assert_int_equal(cd.notifies, 0);
    assert_int_equal(g.last_report_dev, 3);
    memcpy(cd.cfg, "abcdefgh", 8);
    assert_int_equal(avps_dev_config_write(&cd.dev, 4, "WXYZ", 4), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_read(&cd.dev, 4, buf, 4), AVPS_OK);
    assert_memory_equal(buf, "efgh", 4);
    avps_posix_fini(&g);
}

/* ---- save / restore refusals -------------------------------------------- */

/* avps_dev_restore(): inconsistent states are refused (AVPS_E_GUEST_STATE)
 * and leave the device as it was. */
static void test_dev_restore_refuses_inconsistent_state(void **st)
{
    static struct cdfix f;
    struct avps_dev_state good, bad;

    (void)st;
    cd_setup(&f);
    cd_bring_up(&f, F_BIT(VERSION_1) | CD_F_BASE);
    avps_dev_save(f.dev, &good);
    assert_int_equal(good.features, good.driver_features);

    bad = good;
    bad.isr = 4; /* only bits 0 and 1 exist */
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_E_GUEST_STATE);
    bad = good;
    bad.features = F_BIT(VERSION_1); /* negotiated != what the driver wrote */
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_E_GUEST_STATE);
    bad = good;
    bad.driver_features = F_BIT(VERSION_1) | CD_F_EXTRA; /* the type's rule */
    bad.features = bad.driver_features;
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_E_GUEST_STATE);
    bad = good;
    bad.status = S_ACK | S_DRV; /* no FEATURES_OK, yet features negotiated */
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_E_GUEST_STATE);
    bad = good;
    bad.status = S_ACK | S_DRV | S_DOK; /* DRIVER_OK without FEATURES_OK */
    bad.features = 0;
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_E_GUEST_STATE);

    assert_int_equal(avps_dev_status(f.dev), good.status);
    assert_int_equal(avps_dev_features(f.dev), good.features);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 1);
    assert_int_equal(avps_dev_restore(f.dev, &good), AVPS_OK);

    /* a device saved during negotiation comes back there */
    bad = good;
    bad.status = S_ACK | S_DRV;
    bad.features = 0;
    assert_int_equal(avps_dev_restore(f.dev, &bad), AVPS_OK);
    assert_int_equal(avps_dev_status(f.dev), S_ACK | S_DRV);
    assert_int_equal(avps_dev_features(f.dev), 0);
    assert_int_equal(avps_dev_driver_word(f.dev, 0), (uint32_t)good.driver_features);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 0);
    cd_teardown(&f);
}

/* avps_dev_queue_save()/avps_dev_queue_restore(): no such queue is the
 * caller's error (AVPS_E_INVAL); a size of 0 or above the maximum, or a
 * ready value other than 0/1, is refused (AVPS_E_GUEST_STATE); a queue
 * saved disabled comes back programmed but disabled; a ready queue whose
 * ring state is inconsistent is refused and left disabled. */
static void test_dev_queue_restore_rules(void **st)
{
    static struct cdfix f;
    struct avps_dev_queue_state qs, bad;

    (void)st;
    cd_setup(&f);
    assert_int_equal(avps_dev_queue_save(f.dev, 1, &qs), AVPS_E_INVAL);
    assert_int_equal(avps_dev_queue_restore(f.dev, 1, &qs), AVPS_E_INVAL);
    /* a disabled, programmed queue */
    assert_int_equal(avps_dev_set_status(f.dev, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_size(f.dev, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(f.dev, 0, AVPS_DEV_AREA_DRIVER, 0x4000), AVPS_OK);
    assert_int_equal(avps_dev_queue_save(f.dev, 0, &qs), AVPS_OK);
    assert_int_equal(qs.ready, 0);
    assert_int_equal(qs.size, 8);
    assert_int_equal(avps_dev_set_status(f.dev, 0), AVPS_OK);
    assert_int_equal(avps_dev_queue_size(f.dev, 0), 16);
    bad = qs;
    bad.size = 0;
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &bad), AVPS_E_GUEST_STATE);
    bad.size = 32;
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &bad), AVPS_E_GUEST_STATE);
    bad = qs;
    bad.ready = 2;
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &bad), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_size(f.dev, 0), 16);
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &qs), AVPS_OK);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 0);
    assert_int_equal(avps_dev_queue_size(f.dev, 0), 8);
    assert_int_equal(avps_dev_queue_addr(f.dev, 0, AVPS_DEV_AREA_DRIVER), 0x4000);

    /* a ready queue with a ring state that cannot be */
    assert_int_equal(avps_dev_set_status(f.dev, 0), AVPS_OK);
    cd_bring_up(&f, F_BIT(VERSION_1));
    assert_int_equal(avps_dev_queue_save(f.dev, 0, &qs), AVPS_OK);
    assert_int_equal(qs.ready, 1);
    bad = qs;
    bad.vq.inflight = 9; /* more than the 8 entries */
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &bad), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 0);
    assert_false(avps_vq_ready(avps_dev_vq(f.dev, 0)));
    assert_int_equal(avps_dev_queue_restore(f.dev, 0, &qs), AVPS_OK);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 1);
    assert_true(avps_vq_ready(avps_dev_vq(f.dev, 0)));
    /* §2.6.1: a queue reset (the type has no hook of its own) disables it */
    assert_int_equal(avps_dev_queue_reset(f.dev, 0), AVPS_OK);
    assert_int_equal(avps_dev_queue_ready(f.dev, 0), 0);
    assert_int_equal(avps_dev_queue_size(f.dev, 0), 16);
    assert_false(avps_vq_ready(avps_dev_vq(f.dev, 0)));
    cd_teardown(&f);
}

/* ---- virtio-rng --------------------------------------------------------- */

static int fill_ok(void *ctx, void *buf, uint32_t len)
{
    (void)ctx;
    memset(buf, 0x42, len);
    return (int)len;
}

static void no_lock(void *lock_ctx)
{
    (void)lock_ctx;
}

/* avps_rng_init(): "AVPS_E_INVAL NULL argument, no fill op, queue size out
 * of range, or too few slots"; "AVPS_E_VERSION The host's ops table has
 * another version"; a host without map or with lock but no unlock is
 * refused too (avps_host_check()). Nothing is half set up. */
static void test_rng_init_refuses_bad_arguments(void **st)
{
    static struct avps_posix_guest g;
    static struct avps_rng rng;
    static struct avps_vq_slot slots[16];
    static struct avps_port_ops ops;
    struct avps_rng_backend be = {fill_ok, NULL};
    struct avps_rng_backend no_fill = {NULL, NULL};
    struct avps_host host;
    struct avps_rng_cfg cfg, c;

    (void)st;
    avps_posix_init(&g);
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.slots = slots;
    cfg.num_slots = 16;
    cfg.queue_size_max = 16;

    assert_int_equal(avps_rng_init(NULL, &g.host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_rng_init(&rng, &g.host, NULL), AVPS_E_INVAL);
    c = cfg;
    c.backend = NULL;
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);
    c.backend = &no_fill;
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);
    c = cfg;
    c.queue_size_max = 0;
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);
    c.queue_size_max = (uint16_t)(AVPS_CONFIG_VQ_MAX_SIZE + 1u);
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);
    c = cfg;
    c.slots = NULL;
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);
    c = cfg;
    c.num_slots = 15;
    assert_int_equal(avps_rng_init(&rng, &g.host, &c), AVPS_E_INVAL);

    ops = *g.host.ops;
    host.ops = &ops;
    host.ctx = &g;
    ops.version = AVPS_PORT_OPS_VERSION + 1u;
    assert_int_equal(avps_rng_init(&rng, &host, &cfg), AVPS_E_VERSION);
    ops = *g.host.ops;
    ops.map = NULL;
    assert_int_equal(avps_rng_init(&rng, &host, &cfg), AVPS_E_INVAL);
    ops = *g.host.ops;
    ops.inject = NULL;
    assert_int_equal(avps_rng_init(&rng, &host, &cfg), AVPS_E_INVAL);
    ops = *g.host.ops;
    ops.lock = no_lock;
    ops.unlock = NULL;
    assert_int_equal(avps_rng_init(&rng, &host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_rng_init(&rng, NULL, &cfg), AVPS_E_INVAL);
    host.ops = NULL;
    assert_int_equal(avps_rng_init(&rng, &host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_posix_report_total(&g), 0);

    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    avps_posix_fini(&g);
}

/* A backend that claims more bytes than it was asked for is clamped: the
 * buffer gets exactly its writable length, nothing past it is touched, and
 * the used length is not inflated (§2.7.8.2: len is what was written). */
static int fill_overclaim(void *ctx, void *buf, uint32_t len)
{
    (void)ctx;
    memset(buf, 0x42, len);
    return (int)len + 100;
}

static void test_rng_backend_overclaim_clamped(void **st)
{
    static struct avps_posix_guest g;
    static struct rd_queue q;
    static struct avps_rng rng;
    static struct avps_vq_slot slots[8];
    struct avps_rng_backend be = {fill_overclaim, NULL};
    struct avps_rng_cfg cfg;
    struct avps_dev *d;
    struct rd_buf b;
    struct rd_done done;
    const uint8_t *p;

    (void)st;
    avps_posix_init(&g);
    assert_int_equal(avps_posix_add_region(&g, 0, VQFIX_MEM), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.slots = slots;
    cfg.num_slots = 8;
    cfg.queue_size_max = 8;
    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    d = avps_rng_dev(&rng);
    assert_int_equal(rd_init(&q, &g, false, 8, F_BIT(VERSION_1), VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, q.desc), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, q.driver), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, q.device), AVPS_OK);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);

    b.gpa = rd_alloc(&q, 64);
    b.len = 20;
    b.write = true;
    rd_fill(&q, b.gpa, 0xcc, 64);
    assert_true(rd_add(&q, &b, 1, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 1);
    assert_int_equal(rd_get_used(&q, &done), 1);
    assert_int_equal(done.len, 20);
    assert_int_equal(avps_rng_bytes(&rng), 20);
    p = avps_posix_ptr(&g, b.gpa, 64);
    for (unsigned int i = 0; i < 64u; i++)
        assert_int_equal(p[i], i < 20u ? 0x42 : 0xcc);
    rd_fini(&q);
    avps_posix_fini(&g);
}

/* avps_rng_resume(): "AVPS_E_STATE The queue is not live (not DRIVER_OK,
 * disabled or broken)". */
static void test_rng_resume_requires_live_queue(void **st)
{
    static struct avps_posix_guest g;
    static struct avps_rng rng;
    static struct avps_vq_slot slots[8];
    struct avps_rng_backend be = {fill_ok, NULL};
    struct avps_rng_cfg cfg;

    (void)st;
    avps_posix_init(&g);
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.slots = slots;
    cfg.num_slots = 8;
    cfg.queue_size_max = 8;
    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_rng_resume(&rng), AVPS_E_STATE);
    avps_dev_fail(avps_rng_dev(&rng), AVPS_E_IO);
    assert_int_equal(avps_rng_resume(&rng), AVPS_E_STATE);
    assert_int_equal(avps_rng_bytes(&rng), 0);
    avps_posix_fini(&g);
}

/* A buffer with no room for a single byte (one zero-length writable
 * descriptor) cannot get the "one or more random bytes" §5.4.6.2 asks for:
 * it is returned with length 0 and reported, and the next one is served. */
static void test_rng_zero_length_buffer_refused(void **st)
{
    static struct avps_posix_guest g;
    static struct rd_queue q;
    static struct avps_rng rng;
    static struct avps_vq_slot slots[8];
    struct avps_rng_backend be = {fill_ok, NULL};
    struct avps_rng_cfg cfg;
    struct avps_dev *d;
    struct rd_buf b;
    struct rd_done done;
    int empty, good;

    (void)st;
    avps_posix_init(&g);
    assert_int_equal(avps_posix_add_region(&g, 0, VQFIX_MEM), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.slots = slots;
    cfg.num_slots = 8;
    cfg.queue_size_max = 8;
    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    d = avps_rng_dev(&rng);
    assert_int_equal(rd_init(&q, &g, true, 8, F_BIT(VERSION_1) | F_BIT(RING_PACKED),
                             VQFIX_RING_GPA, VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1 | 4), AVPS_OK); /* VERSION_1, RING_PACKED */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, q.desc), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, q.driver), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, q.device), AVPS_OK);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);

    b.gpa = rd_alloc(&q, 16);
    b.len = 0;
    b.write = true;
    empty = rd_add(&q, &b, 1, 0);
    good = rd_add_simple(&q, 0, 8, 0);
    assert_true(empty >= 0 && good >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 2);
    assert_int_equal(rd_get_used(&q, &done), 1);
    assert_int_equal(done.id, empty);
    assert_int_equal(done.len, 0);
    assert_int_equal(rd_get_used(&q, &done), 1);
    assert_int_equal(done.id, good);
    assert_int_equal(done.len, 8);
    assert_int_equal(g.reports[AVPS_EV_DEV_REQUEST], 1);
    assert_int_equal(avps_rng_bytes(&rng), 8);
    rd_fini(&q);
    avps_posix_fini(&g);
}

/* avps_dev_queue_notify_data() when NOTIFICATION_DATA was not negotiated:
 * the value only names the queue (§2.9: without the feature a notification
 * carries the queue index), and the queue is served. */
static void test_dev_notify_data_without_feature(void **st)
{
    static struct cdfix f;

    (void)st;
    cd_setup(&f);
    cd_bring_up(&f, F_BIT(VERSION_1));
    f.cd.notifies = 0;
    assert_int_equal(avps_dev_queue_notify_data(f.dev, 0x7fff0000u), 0);
    assert_int_equal(f.cd.notifies, 1);
    assert_int_equal(f.cd.last_q, 0);
    assert_int_equal(avps_dev_queue_notify_data(f.dev, 0x7fff0001u), AVPS_E_GUEST_STATE);
    assert_int_equal(f.cd.notifies, 1);
    cd_teardown(&f);
}

/* avps_dev_common_cfg.order_platform offers VIRTIO_F_ORDER_PLATFORM (§6.2:
 * recommended for add-in PCI devices with access_platform); without it the
 * bit is not offered. */
static void test_dev_order_platform_offered_when_configured(void **st)
{
    static struct avps_posix_guest g;
    static struct avps_rng rng;
    static struct avps_vq_slot slots[8];
    struct avps_rng_backend be = {fill_ok, NULL};
    struct avps_rng_cfg cfg;

    (void)st;
    avps_posix_init(&g);
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.slots = slots;
    cfg.num_slots = 8;
    cfg.queue_size_max = 8;
    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    assert_false(avps_dev_offered_features(avps_rng_dev(&rng)) & F_BIT(ORDER_PLATFORM));
    cfg.common.order_platform = true;
    cfg.common.access_platform = true;
    assert_int_equal(avps_rng_init(&rng, &g.host, &cfg), AVPS_OK);
    assert_true(avps_dev_offered_features(avps_rng_dev(&rng)) & F_BIT(ORDER_PLATFORM));
    assert_true(avps_dev_offered_features(avps_rng_dev(&rng)) & F_BIT(ACCESS_PLATFORM));
    avps_posix_fini(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2_2_2_device_type_refuses_feature_set),
        cmocka_unit_test(test_3_1_1_features_ok_without_driver_refused),
        cmocka_unit_test(test_dev_driver_ok_hook_and_pending_queues),
        cmocka_unit_test(test_2_5_2_config_readable_before_features_ok),
        cmocka_unit_test(test_dev_config_write_rules),
        cmocka_unit_test(test_dev_unbound_keeps_isr),
        cmocka_unit_test(test_dev_bound_without_notify_ops_keeps_isr),
        cmocka_unit_test(test_dev_bind_and_area_arguments),
        cmocka_unit_test(test_dev_zero_queues),
        cmocka_unit_test(test_dev_restore_refuses_inconsistent_state),
        cmocka_unit_test(test_dev_queue_restore_rules),
        cmocka_unit_test(test_rng_init_refuses_bad_arguments),
        cmocka_unit_test(test_rng_backend_overclaim_clamped),
        cmocka_unit_test(test_rng_resume_requires_live_queue),
        cmocka_unit_test(test_rng_zero_length_buffer_refused),
        cmocka_unit_test(test_dev_notify_data_without_feature),
        cmocka_unit_test(test_dev_order_platform_offered_when_configured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

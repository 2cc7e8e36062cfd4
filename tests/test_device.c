/*
 * test_device: the device core (§2.1 status, §2.2 features, §2.4 reset, §2.5
 * configuration, §2.6 queues) and virtio-rng (§5.4), through a minimal fake
 * transport that records notifications. Transports have their own tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/rng.h>

#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK
#define S_NR AVPS_VIRTIO_S_NEEDS_RESET
#define S_FAIL AVPS_VIRTIO_S_FAILED

struct fake_transport {
    int queue_notes;
    int config_notes;
    uint16_t last_q;
};

static int ft_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    struct fake_transport *ft = t;

    (void)dev;
    ft->queue_notes++;
    ft->last_q = q;
    return 0;
}

static int ft_config(void *t, struct avps_dev *dev)
{
    struct fake_transport *ft = t;

    (void)dev;
    ft->config_notes++;
    return 0;
}

static const struct avps_transport_ops ft_ops = {ft_queue, ft_config};

/* a deterministic entropy source: 0x00, 0x01, 0x02, ... ; can run dry */
struct counter_src {
    uint8_t next;
    int budget; /* bytes left; < 0 = unlimited */
    int calls;
};

static int counter_fill(void *ctx, void *buf, uint32_t len)
{
    struct counter_src *c = ctx;
    uint8_t *b = buf;
    uint32_t n = len;

    c->calls++;
    if (c->budget == 0)
        return AVPS_E_AGAIN;
    if (c->budget > 0 && (uint32_t)c->budget < n)
        n = (uint32_t)c->budget;
    for (uint32_t i = 0; i < n; i++)
        b[i] = c->next++;
    if (c->budget > 0)
        c->budget -= (int)n;
    return (int)n;
}

struct rngfix {
    struct avps_posix_guest g;
    struct rd_queue q;
    struct avps_rng rng;
    struct avps_vq_slot slots[16];
    struct counter_src src;
    struct avps_rng_backend be;
    struct fake_transport ft;
    struct avps_dev *dev;
};

static struct rngfix *rf_new(bool packed, uint64_t driver_extra)
{
    struct rngfix *f = calloc(1, sizeof *f);
    struct avps_rng_cfg cfg;
    uint64_t feat;

    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, VQFIX_MEM), 0);
    f->src.budget = -1;
    f->be.fill = counter_fill;
    f->be.ctx = &f->src;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 9;
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = 16;
    cfg.queue_size_max = 16;
    assert_int_equal(avps_rng_init(&f->rng, &f->g.host, &cfg), AVPS_OK);
    f->dev = avps_rng_dev(&f->rng);
    assert_int_equal(avps_dev_bind(f->dev, &ft_ops, &f->ft,
                                   AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET) |
                                       AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)),
                     AVPS_OK);
    feat = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) | driver_extra |
           (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0);
    assert_int_equal(rd_init(&f->q, &f->g, packed, 8, feat, VQFIX_RING_GPA, VQFIX_HEAP_GPA,
                             VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    return f;
}

static void rf_free(struct rngfix *f)
{
    rd_fini(&f->q);
    avps_posix_fini(&f->g);
    free(f);
}

/* The driver initialisation sequence of §3.1.1, through the core API. */
static void rf_driver_init(struct rngfix *f)
{
    struct avps_dev *d = f->dev;
    uint64_t want = f->q.features;

    assert_int_equal(avps_dev_set_status(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_status(d), 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_true((avps_dev_offered_features(d) & want) == want);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)want), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_status(d), S_ACK | S_DRV | S_FOK);
    assert_int_equal(avps_dev_features(d), want);
    assert_int_equal(avps_dev_queue_size_max(d, 0), 16);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, f->q.desc), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, f->q.driver), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, f->q.device), AVPS_OK);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_queue_ready(d, 0), 1);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
}

static void rng_basic(bool packed)
{
    struct rngfix *f = rf_new(packed, 0);
    struct rd_done d;
    int id;

    rf_driver_init(f);
    id = rd_add_simple(&f->q, 0, 32, 0);
    assert_true(id >= 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 32);
    assert_int_equal(f->ft.queue_notes, 1);
    assert_true(avps_dev_isr(f->dev) & AVPS_DEV_ISR_QUEUE);
    assert_int_equal(avps_rng_bytes(&f->rng), 32);
    rf_free(f);
}

static void test_5_4_rng_fills_split(void **s) { (void)s; rng_basic(false); }
static void test_5_4_rng_fills_packed(void **s) { (void)s; rng_basic(true); }


/* §2.1.2: the device MUST NOT consume buffers before DRIVER_OK; buffers made
 * available before it are taken once DRIVER_OK is set. */
static void test_2_1_2_no_buffers_before_driver_ok(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;
    struct rd_done done;

    (void)st;
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK); /* VERSION_1 */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    avps_dev_queue_set_size(d, 0, 8);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, f->q.desc);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, f->q.driver);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, f->q.device);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_OK);
    assert_true(rd_add_simple(&f->q, 0, 16, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 0);
    assert_int_equal(rd_get_used(&f->q, &done), 0);
    assert_int_equal(f->src.calls, 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.len, 16);
    rf_free(f);
}

/* §2.1.1 (driver MUST NOT clear a bit): such writes are refused, the status
 * keeps its value; unknown bits and a driver-set NEEDS_RESET likewise. */
static void test_2_1_status_bits_cannot_be_cleared(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d), S_ACK | S_DRV);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | 0x10), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_NR), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d), S_ACK | S_DRV);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_STATUS], 3);
    assert_int_equal(avps_dev_guest_errors(d), 3);
    /* FAILED may be added at any time; then only a reset helps */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FAIL), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_status(d), 0);
    rf_free(f);
}

/* §2.2.2: FEATURES_OK is refused for a set the device cannot accept: a feature
 * not offered, or no VERSION_1; DRIVER_OK without FEATURES_OK is refused too. */
static void test_2_2_2_features_ok_refused(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    /* bit 0 is not offered by virtio-rng */
    assert_int_equal(avps_dev_set_driver_word(d, 0, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d) & S_FOK, 0);
    assert_int_equal(avps_dev_features(d), 0);
    /* no VERSION_1 */
    assert_int_equal(avps_dev_set_driver_word(d, 0, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d) & S_FOK, 0);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_DOK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d) & S_DOK, 0);
    /* a good set, then features are frozen */
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_driver_word(d, 1), 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_FEATURES], 3);
    rf_free(f);
}

/* §6.1: VERSION_1 is always offered (even when configuration tries to take it
 * away); ring features follow the transport and the configuration. */
static void test_6_1_offered_features(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_rng rng2;
    struct avps_rng_cfg cfg;
    uint64_t o = avps_dev_offered_features(f->dev);

    (void)st;
    assert_true(o & F_BIT(VERSION_1));
    assert_true(o & F_BIT(RING_RESET));
    assert_true(o & F_BIT(NOTIFICATION_DATA));
    assert_true(o & F_BIT(IN_ORDER)); /* rng completes in order */
    assert_false(o & F_BIT(ACCESS_PLATFORM));
    assert_int_equal(avps_dev_offered_word(f->dev, 2), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.common.features_off = F_BIT(VERSION_1) | F_BIT(RING_PACKED) | F_BIT(EVENT_IDX);
    cfg.common.access_platform = true;
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = 16;
    cfg.queue_size_max = 16;
    assert_int_equal(avps_rng_init(&rng2, &f->g.host, &cfg), AVPS_OK);
    o = avps_dev_offered_features(avps_rng_dev(&rng2));
    assert_true(o & F_BIT(VERSION_1));
    assert_false(o & F_BIT(RING_PACKED));
    assert_false(o & F_BIT(EVENT_IDX));
    assert_true(o & F_BIT(ACCESS_PLATFORM));
    assert_false(o & F_BIT(RING_RESET)); /* not bound to a transport yet */
    rf_free(f);
}

/* §6.1: when ACCESS_PLATFORM is offered, FEATURES_OK without it is refused. */
static void test_6_1_access_platform_required(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_rng rng2;
    struct avps_rng_cfg cfg;
    struct avps_dev *d;

    (void)st;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.access_platform = true;
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = 16;
    cfg.queue_size_max = 16;
    assert_int_equal(avps_rng_init(&rng2, &f->g.host, &cfg), AVPS_OK);
    d = avps_rng_dev(&rng2);
    avps_dev_set_status(d, S_ACK | S_DRV);
    avps_dev_set_driver_word(d, 1, 1);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    avps_dev_set_driver_word(d, 1, 1 | 2); /* VERSION_1 | ACCESS_PLATFORM */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    rf_free(f);
}

/* §2.4: reset returns status to 0, forgets features, disables queues and
 * clears pending interrupt bits. */
static void test_2_4_reset(void **st)
{
    struct rngfix *f = rf_new(true, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    rf_driver_init(f);
    assert_true(rd_add_simple(&f->q, 0, 8, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 1);
    assert_true(avps_dev_isr(d) != 0);
    assert_int_equal(avps_dev_set_status(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_status(d), 0);
    assert_int_equal(avps_dev_features(d), 0);
    assert_int_equal(avps_dev_isr(d), 0);
    assert_int_equal(avps_dev_queue_ready(d, 0), 0);
    assert_int_equal(avps_dev_queue_size(d, 0), 16);
    assert_int_equal(avps_dev_queue_addr(d, 0, AVPS_DEV_AREA_DESC), 0);
    assert_false(avps_vq_ready(avps_dev_vq(d, 0)));
    /* and the device can be brought up again */
    rd_fini(&f->q);
    assert_int_equal(rd_init(&f->q, &f->g, true, 8, f->dev->offered & (F_BIT(VERSION_1) | F_BIT(RING_PACKED)),
                             VQFIX_RING_GPA, VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    rf_driver_init(f);
    rf_free(f);
}

/* §2.6: queue programming rules: no such queue, size 0 or above the maximum,
 * changes while enabled, enabling before FEATURES_OK. */
static void test_2_6_queue_programming_rules(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    assert_int_equal(avps_dev_queue_size_max(d, 1), 0);
    assert_int_equal(avps_dev_queue_set_size(d, 1, 8), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 17), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_E_GUEST_STATE); /* before FEATURES_OK */
    assert_int_equal(avps_dev_queue_notify(d, 5), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_set_vector(d, 3, 1), AVPS_E_GUEST_STATE);
    assert_null(avps_dev_vq(d, 1));
    rf_driver_init(f);
    assert_int_equal(avps_dev_queue_set_size(d, 0, 4), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, 0x5000), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_set_addr_half(d, 0, AVPS_DEV_AREA_DESC, true, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_E_GUEST_STATE); /* already */
    assert_int_equal(avps_dev_queue_addr(d, 0, AVPS_DEV_AREA_DESC), f->q.desc);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_QUEUE], 10);
    /* halves compose a 64-bit address */
    assert_int_equal(avps_dev_queue_reset(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr_half(d, 0, AVPS_DEV_AREA_DEVICE, false, 0x89abcdefu), AVPS_OK);
    assert_int_equal(avps_dev_queue_set_addr_half(d, 0, AVPS_DEV_AREA_DEVICE, true, 0x01234567u), AVPS_OK);
    assert_int_equal(avps_dev_queue_addr(d, 0, AVPS_DEV_AREA_DEVICE), 0x0123456789abcdefull);
    rf_free(f);
}

/* §2.1.2 DEVICE_NEEDS_RESET: a ring fault after DRIVER_OK sets it and sends
 * a configuration-change notification; the driver's reset recovers. */
static void test_2_1_2_needs_reset_on_ring_fault(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    rf_driver_init(f);
    rd_set_avail_idx(&f->q, 100); /* an index jump beyond the queue size */
    assert_int_equal(avps_dev_queue_notify(d, 0), 0);
    assert_true(avps_dev_needs_reset(d));
    assert_int_equal(f->ft.config_notes, 1);
    assert_true(avps_dev_isr(d) & AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_NEEDS_RESET], 1);
    /* the driver cannot clear NEEDS_RESET, and its status writes keep it */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK | S_FAIL), AVPS_OK);
    assert_true(avps_dev_needs_reset(d));
    /* a second fault does not notify again */
    avps_dev_fail(d, AVPS_E_GUEST_DESC);
    assert_int_equal(f->ft.config_notes, 1);
    assert_int_equal(avps_dev_set_status(d, 0), AVPS_OK);
    assert_false(avps_dev_needs_reset(d));
    rd_fini(&f->q);
    assert_int_equal(rd_init(&f->q, &f->g, false, 8, F_BIT(VERSION_1), VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, VQFIX_MEM - VQFIX_HEAP_GPA), 0);
    rf_driver_init(f);
    assert_true(rd_add_simple(&f->q, 0, 8, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 1);
    rf_free(f);
}

/* A ring the driver programmed badly (misaligned) sets NEEDS_RESET at enable;
 * before DRIVER_OK there is no configuration notification yet. */
static void test_2_6_bad_ring_at_enable(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;

    (void)st;
    avps_dev_set_status(d, S_ACK | S_DRV);
    avps_dev_set_driver_word(d, 1, 1);
    avps_dev_set_status(d, S_ACK | S_DRV | S_FOK);
    avps_dev_queue_set_size(d, 0, 8);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, f->q.desc + 8);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, f->q.driver);
    avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, f->q.device);
    assert_int_equal(avps_dev_queue_enable(d, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_dev_queue_ready(d, 0), 0);
    assert_true(avps_dev_needs_reset(d));
    assert_int_equal(f->ft.config_notes, 0);
    /* §2.1.2: once the driver sets DRIVER_OK it is told */
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
    assert_int_equal(f->ft.config_notes, 1);
    assert_true(avps_dev_isr(d) & AVPS_DEV_ISR_CONFIG);
    rf_free(f);
}

/* §2.5: virtio-rng has no configuration space: reads give zeros, writes are
 * refused; the generation moves with avps_dev_config_changed() and a
 * notification follows only after DRIVER_OK. */
static void test_2_5_config_space(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;
    uint8_t buf[8];
    uint32_t g0;

    (void)st;
    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(avps_dev_config_size(d), 0);
    assert_int_equal(avps_dev_config_read(d, 0, buf, sizeof buf), AVPS_OK);
    for (unsigned i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(avps_dev_config_read(d, 0xfffffffcu, buf, 8), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_dev_config_write(d, 0, buf, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_CONFIG], 2);
    g0 = avps_dev_config_generation(d);
    avps_dev_config_changed(d);
    assert_int_not_equal(avps_dev_config_generation(d), g0);
    assert_int_equal(f->ft.config_notes, 0);
    rf_driver_init(f);
    avps_dev_config_changed(d);
    assert_int_equal(f->ft.config_notes, 1);
    assert_true(avps_dev_isr(d) & AVPS_DEV_ISR_CONFIG);
    avps_dev_isr_ack(d, AVPS_DEV_ISR_CONFIG);
    assert_int_equal(avps_dev_isr(d) & AVPS_DEV_ISR_CONFIG, 0);
    rf_free(f);
}

/* §5.4.6: the device places one or more bytes; with no entropy the request
 * waits (not completed with 0) and completes when entropy returns. */
static void rng_waits_for_entropy(bool packed)
{
    struct rngfix *f = rf_new(packed, 0);
    struct rd_done done;
    uint8_t *p;
    uint64_t gpa;
    struct rd_buf b;

    rf_driver_init(f);
    f->src.budget = 0;
    gpa = rd_alloc(&f->q, 64);
    b.gpa = gpa;
    b.len = 64;
    b.write = true;
    assert_true(rd_add(&f->q, &b, 1, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    assert_int_equal(rd_get_used(&f->q, &done), 0);
    f->src.budget = 10; /* a trickle: a partial fill is fine */
    assert_int_equal(avps_rng_resume(&f->rng), 1);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.len, 10);
    p = avps_posix_ptr(&f->g, gpa, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(p[i], i);
    assert_int_equal(avps_rng_bytes(&f->rng), 10);
    rf_free(f);
}
static void test_5_4_6_rng_waits_for_entropy_split(void **st) { (void)st; rng_waits_for_entropy(false); }
static void test_5_4_6_rng_waits_for_entropy_packed(void **st) { (void)st; rng_waits_for_entropy(true); }

/* §5.4.5 (driver MUST NOT place device-readable buffers): such a request is
 * completed with length 0, reported, and the next one is served. */
static void test_5_4_5_rng_refuses_readable_buffers(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct rd_done done;
    int bad, good;

    (void)st;
    rf_driver_init(f);
    bad = rd_add_simple(&f->q, 8, 8, 0);
    good = rd_add_simple(&f->q, 0, 8, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 2);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.id, bad);
    assert_int_equal(done.len, 0);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.id, good);
    assert_int_equal(done.len, 8);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    rf_free(f);
}

/* A request in more pieces than the device keeps (here: host mappings split
 * every 4 bytes) is refused with length 0 and reported, not stalled. */
static void test_rng_too_many_segments_refused(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct rd_done done;
    int id, next;

    (void)st;
    rf_driver_init(f);
    id = rd_add_simple(&f->q, 0, 4 * (AVPS_RNG_SEGS + 1), 0);
    next = rd_add_simple(&f->q, 0, 8, 0);
    f->g.max_span = 4;
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 2);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.id, id);
    assert_int_equal(done.len, 0);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.id, next);
    assert_int_equal(done.len, 8);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    rf_free(f);
}

/* With IN_ORDER negotiated the rng completes buffers in order and may batch. */
static void test_6_in_order_rng(void **st)
{
    struct rngfix *f = rf_new(true, F_BIT(IN_ORDER));
    struct rd_done done;
    int ids[3];

    (void)st;
    rf_driver_init(f);
    for (int i = 0; i < 3; i++)
        ids[i] = rd_add_simple(&f->q, 0, 16, 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&f->q, &done), 1);
        assert_int_equal(done.id, ids[i]);
        assert_int_equal(done.len, 16);
    }
    assert_int_equal(f->q.bad_used, 0);
    rf_free(f);
}

/* Save and restore a live device with a request in flight (parked). */
static void test_dev_save_restore(void **st)
{
    struct rngfix *f = rf_new(false, 0);
    struct avps_dev *d = f->dev;
    struct avps_dev_state ds, bad;
    struct avps_dev_queue_state qs;
    struct avps_vq_slot keep[16];
    struct rd_done done;

    (void)st;
    rf_driver_init(f);
    f->src.budget = 0;
    assert_true(rd_add_simple(&f->q, 0, 8, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(d, 0), 0); /* parked, in flight */
    avps_dev_save(d, &ds);
    assert_int_equal(avps_dev_queue_save(d, 0, &qs), AVPS_OK);
    assert_int_equal(avps_dev_queue_save(d, 1, &qs) , AVPS_E_INVAL);
    assert_int_equal(avps_dev_queue_save(d, 0, &qs), AVPS_OK);
    memcpy(keep, f->slots, sizeof keep);
    /* inconsistent states are refused and change nothing */
    bad = ds;
    bad.status |= 0x10;
    assert_int_equal(avps_dev_restore(d, &bad), AVPS_E_GUEST_STATE);
    bad = ds;
    bad.driver_features |= 1; /* not offered */
    assert_int_equal(avps_dev_restore(d, &bad), AVPS_E_GUEST_STATE);
    bad = ds;
    bad.features = 0;
    assert_int_equal(avps_dev_restore(d, &bad), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(d), ds.status);
    /* a real restore (as after a snapshot or a reconnect) */
    assert_int_equal(avps_dev_restore(d, &ds), AVPS_OK);
    memcpy(f->slots, keep, sizeof keep);
    assert_int_equal(avps_dev_queue_restore(d, 0, &qs), AVPS_OK);
    assert_int_equal(avps_dev_queue_ready(d, 0), 1);
    assert_int_equal(f->rng.parked, 0); /* restore resets the device type's own state */
    f->src.budget = -1;
    /* the in-flight request survives in the ring and completes by id */
    assert_int_equal(avps_vq_push(avps_dev_vq(d, 0), 0, 0), AVPS_OK);
    assert_int_equal(avps_vq_notify(avps_dev_vq(d, 0)), 1);
    assert_int_equal(rd_get_used(&f->q, &done), 1);
    assert_int_equal(done.id, 0);
    rf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_4_rng_fills_split),
        cmocka_unit_test(test_5_4_rng_fills_packed),
        cmocka_unit_test(test_2_1_2_no_buffers_before_driver_ok),
        cmocka_unit_test(test_2_1_status_bits_cannot_be_cleared),
        cmocka_unit_test(test_2_2_2_features_ok_refused),
        cmocka_unit_test(test_6_1_offered_features),
        cmocka_unit_test(test_6_1_access_platform_required),
        cmocka_unit_test(test_2_4_reset),
        cmocka_unit_test(test_2_6_queue_programming_rules),
        cmocka_unit_test(test_2_1_2_needs_reset_on_ring_fault),
        cmocka_unit_test(test_2_6_bad_ring_at_enable),
        cmocka_unit_test(test_2_5_config_space),
        cmocka_unit_test(test_5_4_6_rng_waits_for_entropy_split),
        cmocka_unit_test(test_5_4_6_rng_waits_for_entropy_packed),
        cmocka_unit_test(test_5_4_5_rng_refuses_readable_buffers),
        cmocka_unit_test(test_rng_too_many_segments_refused),
        cmocka_unit_test(test_6_in_order_rng),
        cmocka_unit_test(test_dev_save_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mmio: the virtio-mmio version 2 transport (VIRTIO 1.2 §4.2) over the
 * device core, with virtio-rng (§5.4) and a small test device that has a
 * configuration space, a missing queue and shared memory regions. The guest
 * side is tests/support/mmiodrv (a driver written from the spec) on top of
 * ringdrv. Test names carry the clause they check.
 *
 * Each test hands its heap fixture to cmocka through *state, so a failed
 * assertion still frees it in the teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/mmio.h>
#include <avps/rng.h>

#include "devices/dev_priv.h"
#include "mmiodrv.h"
#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK
#define S_NR AVPS_VIRTIO_S_NEEDS_RESET
#define S_FAIL AVPS_VIRTIO_S_FAILED

#define R_MAGIC AVPS_VIRTIO_MMIO_MAGIC_VALUE
#define R_STATUS AVPS_VIRTIO_MMIO_STATUS
#define R_QSEL AVPS_VIRTIO_MMIO_QUEUE_SEL
#define R_QMAX AVPS_VIRTIO_MMIO_QUEUE_NUM_MAX
#define R_QNUM AVPS_VIRTIO_MMIO_QUEUE_NUM
#define R_QREADY AVPS_VIRTIO_MMIO_QUEUE_READY
#define R_QNOTIFY AVPS_VIRTIO_MMIO_QUEUE_NOTIFY
#define R_ISR AVPS_VIRTIO_MMIO_INTERRUPT_STATUS
#define R_ACK AVPS_VIRTIO_MMIO_INTERRUPT_ACK
#define R_QRESET AVPS_VIRTIO_MMIO_QUEUE_RESET
#define R_GEN AVPS_VIRTIO_MMIO_CONFIG_GENERATION
#define R_CFG AVPS_VIRTIO_MMIO_CONFIG

#define LINE 5u
#define QMAX 16u
#define F_V1 F_BIT(VERSION_1)
#define F_PACKED F_BIT(RING_PACKED)
#define F_ND F_BIT(NOTIFICATION_DATA)
#define F_RR F_BIT(RING_RESET)

/* ---- the test port: posix guest, a level-triggered line, a lock --------- */

struct tport {
    struct avps_posix_guest g; /* first: the ops' ctx is &g */
    struct avps_port_ops ops;
    int level;     /* the line as the guest's interrupt controller sees it */
    int rises, falls;
    int set_level_calls;
    uint32_t last_line;
    int locks, unlocks, held; /* lock recorder */
    int level_calls_unlocked; /* set_level called without the device lock */
    int fail_level;           /* fail this many set_level calls */
};

static int tp_set_level(void *ctx, uint32_t line, int level)
{
    struct tport *t = ctx;

    t->set_level_calls++;
    t->last_line = line;
    if (t->fail_level > 0) {
        t->fail_level--;
        return AVPS_E_IO;
    }
    if (t->locks > 0 && t->held == 0)
        t->level_calls_unlocked++;
    if (level && !t->level)
        t->rises++;
    if (!level && t->level)
        t->falls++;
    t->level = level;
    return 0;
}

static void tp_lock(void *lctx)
{
    struct tport *t = lctx;

    t->locks++;
    t->held++;
}

static void tp_unlock(void *lctx)
{
    struct tport *t = lctx;

    t->unlocks++;
    t->held--;
}

static void tp_init(struct tport *t, bool level_line)
{
    avps_posix_init(&t->g);
    assert_int_equal(avps_posix_add_region(&t->g, 0, VQFIX_MEM), 0);
    t->ops = *t->g.host.ops;
    if (level_line)
        t->ops.set_level = tp_set_level;
    t->ops.lock = tp_lock;
    t->ops.unlock = tp_unlock;
    t->g.host.ops = &t->ops;
}

/* ---- a deterministic entropy source: 0x00, 0x01, 0x02, ... -------------- */

struct counter_src {
    uint8_t next;
    int calls;
    bool dry; /* no entropy now: AVPS_E_AGAIN */
};

static int counter_fill(void *ctx, void *buf, uint32_t len)
{
    struct counter_src *c = ctx;
    uint8_t *b = buf;

    c->calls++;
    if (c->dry)
        return AVPS_E_AGAIN;
    for (uint32_t i = 0; i < len; i++)
        b[i] = c->next++;
    return (int)len;
}

/* ---- a test device: config space, queues 0 and 2 (1 missing), shm ------ */

#define TDEV_ID 42u
#define TDEV_CFG 12u

struct tdev {
    struct avps_dev dev; /* first */
    struct avps_dev_queue queue[3];
    struct avps_vq_slot slots0[8], slots2[4];
    uint8_t cfg[0x180];
    int notifies[3];
    int resets;
};

static void tdev_reset(struct avps_dev *dev)
{
    ((struct tdev *)(void *)dev)->resets++;
}

static int tdev_notify(struct avps_dev *dev, uint16_t q)
{
    ((struct tdev *)(void *)dev)->notifies[q]++;
    return 0;
}

static void tdev_cfg_read(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((struct tdev *)(void *)dev)->cfg + off, len);
}

/* Only the 32-bit field at offset 4 is writable. */
static int tdev_cfg_write(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    if (off < 4u || off + len > 8u)
        return AVPS_E_GUEST_REQ;
    memcpy(((struct tdev *)(void *)dev)->cfg + off, buf, len);
    return AVPS_OK;
}

static const struct avps_dev_class tdev_class = {
    .device_id = TDEV_ID,
    .config_size = TDEV_CFG,
    .features = AVPS_VIRTIO_BIT(0),
    .reset = tdev_reset,
    .queue_notify = tdev_notify,
    .config_read = tdev_cfg_read,
    .config_write = tdev_cfg_write,
};

/* The same with a configuration space that ends past AVPS_MMIO_WINDOW. */
static const struct avps_dev_class tdev_big_class = {
    .device_id = TDEV_ID,
    .config_size = 0x180,
    .reset = tdev_reset,
    .queue_notify = tdev_notify,
    .config_read = tdev_cfg_read,
};

static const struct avps_mmio_shm tdev_shm[2] = {
    {0x40000000ull, 0x100000ull},
    {0x100000000ull, 0x200000000ull},
};

/* ---- fixture ------------------------------------------------------------ */

struct mfix {
    struct tport tp;
    struct avps_rng rng;
    struct avps_vq_slot slots[QMAX];
    struct counter_src src;
    struct avps_rng_backend be;
    struct tdev td;
    struct avps_dev *dev;
    struct avps_mmio m;
    struct md_dev d;
    struct rd_queue q[2];
    bool q_live[2];
};

static void mf_common(struct mfix *f, const struct avps_mmio_cfg *mc)
{
    assert_int_equal(avps_mmio_init(&f->m, f->dev, mc), AVPS_OK);
    md_attach(&f->d, &f->m, &f->tp.g);
}

/* virtio-rng over MMIO; level_line: the port has set_level. */
static struct mfix *mf_rng(void **state, bool level_line)
{
    struct mfix *f = calloc(1, sizeof *f);
    struct avps_rng_cfg cfg;
    struct avps_mmio_cfg mc;

    assert_non_null(f);
    *state = f;
    tp_init(&f->tp, level_line);
    f->be.fill = counter_fill;
    f->be.ctx = &f->src;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 3;
    cfg.common.lock_ctx = &f->tp;
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = QMAX;
    cfg.queue_size_max = QMAX;
    assert_int_equal(avps_rng_init(&f->rng, &f->tp.g.host, &cfg), AVPS_OK);
    f->dev = avps_rng_dev(&f->rng);
    memset(&mc, 0, sizeof mc);
    mc.line = LINE;
    mf_common(f, &mc);
    return f;
}

static struct mfix *mf_tdev(void **state, const struct avps_dev_class *cls)
{
    struct mfix *f = calloc(1, sizeof *f);
    struct avps_dev_common_cfg cc;
    struct avps_mmio_cfg mc;
    static const uint8_t init_cfg[TDEV_CFG] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                               0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc};

    assert_non_null(f);
    *state = f;
    tp_init(&f->tp, true);
    memset(&cc, 0, sizeof cc);
    cc.dev_id = 4;
    assert_int_equal(avps_dev_init_(&f->td.dev, cls, &f->tp.g.host, f->td.queue, 3, &cc),
                     AVPS_OK);
    assert_int_equal(avps_dev_queue_init_(&f->td.dev, 0, 8, f->td.slots0, 8), AVPS_OK);
    assert_int_equal(avps_dev_queue_init_(&f->td.dev, 2, 4, f->td.slots2, 4), AVPS_OK);
    memcpy(f->td.cfg, init_cfg, sizeof init_cfg);
    for (unsigned int i = TDEV_CFG; i < sizeof f->td.cfg; i++)
        f->td.cfg[i] = (uint8_t)i;
    f->dev = &f->td.dev;
    memset(&mc, 0, sizeof mc);
    mc.line = LINE;
    mc.vendor_id = 0x1af4;
    mc.shm = tdev_shm;
    mc.num_shm = 2;
    mf_common(f, &mc);
    return f;
}

static int mf_teardown(void **state)
{
    struct mfix *f = *state;

    if (f != NULL) {
        for (unsigned int i = 0; i < 2; i++)
            rd_fini(&f->q[i]);
        avps_posix_fini(&f->tp.g);
        free(f);
    }
    *state = NULL;
    return 0;
}

static const struct md_queue_cfg qcfg8[2] = {
    {8, VQFIX_RING_GPA, VQFIX_HEAP_GPA, 4u << 20},
    {4, 0x100000, VQFIX_HEAP_GPA + (4u << 20), 4u << 20},
};

/* The full driver initialisation of one queue; checks every step held. */
static void mf_init(struct mfix *f, uint64_t want)
{
    assert_int_equal(md_init(&f->d, want, want, f->q, qcfg8, 1), MD_OK);
    assert_int_equal(f->d.features, want | F_V1);
    assert_int_equal(f->d.refused, 0);
}

static uint32_t rd32(struct mfix *f, uint32_t off)
{
    uint64_t v = 0xdeadbeefdeadull;

    assert_int_equal(avps_mmio_read(&f->m, off, 4, &v), AVPS_OK);
    assert_true(v <= UINT32_MAX);
    return (uint32_t)v;
}

static int wr32(struct mfix *f, uint32_t off, uint32_t v)
{
    return avps_mmio_write(&f->m, off, 4, v);
}

static uint64_t reports(struct mfix *f, enum avps_event ev)
{
    return f->tp.g.reports[ev];
}

/* Make a device-writable buffer of len bytes available; returns its id. */
static int add_wbuf(struct rd_queue *q, uint32_t len, uint64_t *gpa)
{
    struct rd_buf b;

    b.gpa = rd_alloc(q, len);
    b.len = len;
    b.write = true;
    assert_true(b.gpa != 0);
    *gpa = b.gpa;
    return rd_add(q, &b, 1, 0);
}

/* The driver asks virtio-rng for len bytes on queue 0 and checks it got the
 * source's next len bytes (first, first + 1, ...) through the used ring. */
static void rng_fetch(struct mfix *f, uint32_t len, uint8_t first)
{
    struct rd_done dn;
    uint64_t gpa;
    const uint8_t *p;
    int id = add_wbuf(&f->q[0], len, &gpa);

    assert_true(id >= 0);
    md_notify(&f->d, 0);
    assert_int_equal(f->d.last_rc, AVPS_OK);
    assert_int_equal(rd_get_used(&f->q[0], &dn), 1);
    assert_int_equal(dn.id, id);
    assert_int_equal(dn.len, len);
    p = avps_posix_ptr(&f->tp.g, gpa, len);
    assert_non_null(p);
    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(first + i));
}

/* ---- §4.2.3.1.1 / §3.1.1: the driver initialisation sequence ----------- */

static void init_sequence_rng(void **state, bool packed)
{
    struct mfix *f = mf_rng(state, true);
    const uint64_t want = F_V1 | (packed ? F_PACKED : 0);

    mf_init(f, want);
    assert_int_equal(f->d.device_id, AVPS_VIRTIO_ID_RNG);
    assert_int_equal(f->d.vendor_id, AVPS_MMIO_VENDOR_DEFAULT);
    assert_int_equal(avps_dev_status(f->dev), S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(avps_dev_features(f->dev), want);
    assert_int_equal(f->q[0].packed, packed);
    assert_int_equal(f->tp.level, 0);

    rng_fetch(f, 32, 0x00);
    /* §4.2.3.4: the used buffer raised the line and set bit 0. */
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(f->tp.rises, 1);
    assert_int_equal(f->tp.last_line, LINE);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    /* ... and the acknowledgement lowered it. */
    assert_int_equal(f->tp.level, 0);
    assert_int_equal(f->tp.falls, 1);
    assert_int_equal(rd32(f, R_ISR), 0);

    rng_fetch(f, 100, 32);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.rises, 2);
    assert_int_equal(f->tp.falls, 2);
    assert_int_equal(avps_rng_bytes(&f->rng), 132);
    /* A conformant driver never trips a report; every call was locked and
     * the line was driven under the lock. */
    assert_int_equal(f->d.refused, 0);
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    assert_true(f->tp.locks > 0);
    assert_int_equal(f->tp.locks, f->tp.unlocks);
    assert_int_equal(f->tp.level_calls_unlocked, 0);
}

static void test_4_2_3_1_1_init_sequence_rng_split(void **s) { init_sequence_rng(s, false); }
static void test_4_2_3_1_1_init_sequence_rng_packed(void **s) { init_sequence_rng(s, true); }

/* ---- §4.2.2.1 device-normative clauses --------------------------------- */

static void test_4_2_2_1_magic_value(void **state)
{
    struct mfix *f = mf_rng(state, true);

    assert_int_equal(rd32(f, R_MAGIC), 0x74726976u);
    /* the same at every stage of the device's life */
    mf_init(f, F_V1);
    assert_int_equal(rd32(f, R_MAGIC), 0x74726976u);
    assert_int_equal(md_probe(&f->d), MD_OK);
}

static void test_4_2_2_1_version(void **state)
{
    struct mfix *f = mf_rng(state, true);

    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_VERSION), 2u);
    mf_init(f, F_V1);
    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_VERSION), 2u);
}

/* §4.2.2: DeviceID and VendorID. */
static void test_4_2_2_device_and_vendor_id(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    struct avps_mmio m2;

    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_DEVICE_ID), TDEV_ID);
    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_VENDOR_ID), 0x1af4u);
    /* NULL cfg: line 0 and the default vendor */
    assert_int_equal(avps_mmio_init(&m2, f->dev, NULL), AVPS_OK);
    {
        uint64_t v = 0;

        assert_int_equal(avps_mmio_read(&m2, AVPS_VIRTIO_MMIO_VENDOR_ID, 4, &v), AVPS_OK);
        assert_int_equal(v, AVPS_MMIO_VENDOR_DEFAULT);
    }
    assert_true(avps_mmio_dev(&m2) == f->dev);
}

/* The device MUST present each event in InterruptStatus from the moment it
 * takes place until the driver acknowledges it; other bits MUST be zero. */
static void test_4_2_2_1_interrupt_status_until_ack(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1);
    assert_int_equal(rd32(f, R_ISR), 0);
    rng_fetch(f, 8, 0);
    for (int i = 0; i < 3; i++) /* reading does not clear it */
        assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    /* a config change while the queue event is pending */
    avps_dev_config_changed(f->dev);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE | AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.rises, 1); /* a level: one rise for both */
    assert_int_equal(f->tp.set_level_calls, 1); /* and no redundant call */
    /* acknowledge the config event only: the queue event stays, line high */
    assert_int_equal(wr32(f, R_ACK, AVPS_DEV_ISR_CONFIG), AVPS_OK);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.level, 1);
    /* acknowledging nothing changes nothing */
    assert_int_equal(wr32(f, R_ACK, 0), AVPS_OK);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(wr32(f, R_ACK, AVPS_DEV_ISR_QUEUE), AVPS_OK);
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 0);
    assert_int_equal(f->tp.falls, 1);
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
}

/* InterruptACK with undefined bits: the defined ones are acknowledged, the
 * rest reported; InterruptStatus never shows an undefined bit. */
static void test_4_2_2_2_interrupt_ack_undefined_bits(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1);
    rng_fetch(f, 8, 0);
    assert_int_equal(wr32(f, R_ACK, 0xfffffffcu), AVPS_E_GUEST_STATE);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), 1);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(wr32(f, R_ACK, 0xffffffffu), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 0);
}

/* Upon reset the device MUST clear InterruptStatus and every QueueReady. */
static void test_4_2_2_1_reset_clears_interrupt_status_and_queue_ready(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    static const struct md_queue_cfg qc[3] = {
        {8, VQFIX_RING_GPA, VQFIX_HEAP_GPA, 1u << 20},
        {0, 0, 0, 0},
        {4, 0x100000, VQFIX_HEAP_GPA + (1u << 20), 1u << 20},
    };

    assert_int_equal(md_probe(&f->d), MD_OK);
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1, F_V1), MD_OK);
    assert_int_equal(md_queue_setup(&f->d, 0, &f->q[0], &qc[0]), MD_OK);
    assert_int_equal(md_queue_setup(&f->d, 2, &f->q[1], &qc[2]), MD_OK);
    assert_int_equal(md_driver_ok(&f->d), MD_OK);
    avps_dev_config_changed(f->dev);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(wr32(f, R_QSEL, 2), AVPS_OK);
    assert_int_equal(rd32(f, R_QREADY), 1);

    assert_int_equal(wr32(f, R_STATUS, 0), AVPS_OK);
    assert_int_equal(rd32(f, R_STATUS), 0);
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 0);
    /* the selectors went back to 0 with the reset */
    assert_int_equal(f->m.queue_sel, 0);
    for (uint32_t q = 0; q < 3; q++) {
        assert_int_equal(wr32(f, R_QSEL, q), AVPS_OK);
        assert_int_equal(rd32(f, R_QREADY), 0);
    }
    assert_int_equal(f->d.refused, 0);
    assert_int_equal(f->td.resets, 2); /* md_reset and this one */
}

/* The device MUST change ConfigGeneration whenever a driver could see an
 * inconsistent configuration. */
static void test_4_2_2_1_config_generation_changes(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    uint32_t g0, g1, g2, v;

    g0 = rd32(f, R_GEN);
    assert_int_equal(rd32(f, R_GEN), g0); /* stable while nothing changes */
    f->td.cfg[8] = 0x01;
    avps_dev_config_changed(f->dev);
    g1 = rd32(f, R_GEN);
    assert_int_not_equal(g1, g0);
    /* before DRIVER_OK: no configuration-change notification */
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 0);
    assert_int_equal(md_config_read(&f->d, 8, 4, &v), g1);
    assert_int_equal(v, 0xccbbaa01u);

    assert_int_equal(md_init(&f->d, F_V1, F_V1, f->q, qcfg8, 1), MD_OK);
    f->td.cfg[8] = 0x02;
    avps_dev_config_changed(f->dev);
    g2 = rd32(f, R_GEN);
    assert_int_not_equal(g2, g1);
    /* §4.2.3.4: after DRIVER_OK, bit 1 and the line */
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.level, 0);
    assert_int_equal(md_config_read(&f->d, 8, 1, &v), g2);
    assert_int_equal(v, 0x02);
    /* a driver's config write does not change it behind the driver's back
     * in a way it could miss: the device decides; our test device keeps it */
    assert_int_equal(f->d.refused, 0);
}

/* The device MUST NOT access virtqueue contents when QueueReady is zero. */
static void test_4_2_2_1_no_queue_access_while_not_ready(void **state)
{
    struct mfix *f = mf_rng(state, true);
    uint8_t before[4096];
    uint64_t gpa;
    uint64_t maps;

    assert_int_equal(md_probe(&f->d), MD_OK);
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1, F_V1), MD_OK);
    /* program the queue but never write QueueReady; put a buffer in it */
    assert_int_equal(rd_init(&f->q[0], &f->tp.g, false, 8, F_V1, VQFIX_RING_GPA,
                             VQFIX_HEAP_GPA, 1u << 20), 0);
    f->d.q = f->q;
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, R_QNUM, 8), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)f->q[0].desc), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)f->q[0].driver), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)f->q[0].device), AVPS_OK);
    assert_true(add_wbuf(&f->q[0], 16, &gpa) >= 0);
    assert_int_equal(md_driver_ok(&f->d), MD_OK);
    memcpy(before, avps_posix_ptr(&f->tp.g, VQFIX_RING_GPA, sizeof before), sizeof before);
    maps = f->tp.g.maps;
    assert_int_equal(wr32(f, R_QNOTIFY, 0), AVPS_OK);
    assert_int_equal(f->tp.g.maps, maps);
    assert_memory_equal(before, avps_posix_ptr(&f->tp.g, VQFIX_RING_GPA, sizeof before),
                        sizeof before);
    assert_int_equal(avps_rng_bytes(&f->rng), 0);
    assert_int_equal(f->src.calls, 0);

    /* Now the other way: a live queue stopped with QueueReady = 0. */
    assert_int_equal(md_reset(&f->d), MD_OK);
    rd_fini(&f->q[0]);
    mf_init(f, F_V1);
    rng_fetch(f, 4, 0);
    assert_int_equal(md_queue_stop(&f->d, 0), MD_OK);
    assert_true(add_wbuf(&f->q[0], 16, &gpa) >= 0);
    memcpy(before, avps_posix_ptr(&f->tp.g, VQFIX_RING_GPA, sizeof before), sizeof before);
    maps = f->tp.g.maps;
    md_notify(&f->d, 0);
    assert_int_equal(f->tp.g.maps, maps);
    assert_memory_equal(before, avps_posix_ptr(&f->tp.g, VQFIX_RING_GPA, sizeof before),
                        sizeof before);
    assert_int_equal(avps_rng_bytes(&f->rng), 4);
    assert_int_equal(f->d.refused, 0);
}

/* With RING_RESET the device presents 0 in QueueReset on reset and after the
 * queue is enabled with QueueReady. */
static void test_4_2_2_1_queue_reset_reads_0_on_reset_and_enable(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1 | F_RR);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(rd32(f, R_QREADY), 1);
    assert_int_equal(rd32(f, R_QRESET), 0); /* enabled with QueueReady */
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(rd32(f, R_QRESET), 0); /* on reset */
    assert_int_equal(rd32(f, R_QREADY), 0);
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
}

/* The device MUST reset the queue when 1 is written to QueueReset and then
 * present 0 in QueueReset and QueueReady; §2.6.1: no request of the queue is
 * executed afterwards, all its state is back to default, and re-enabling it
 * observes the new configuration. */
static void queue_reset(void **state, bool packed)
{
    struct mfix *f = mf_rng(state, true);
    const uint64_t want = F_V1 | F_RR | (packed ? F_PACKED : 0);
    static const struct md_queue_cfg other = {4, 0x200000, VQFIX_HEAP_GPA + (6u << 20), 1u << 20};
    uint64_t gpa;

    mf_init(f, want);
    rng_fetch(f, 10, 0);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(md_queue_reset(&f->d, 0), MD_OK);
    assert_int_equal(rd32(f, R_QRESET), 0);
    assert_int_equal(rd32(f, R_QREADY), 0);
    assert_int_equal(rd32(f, R_QMAX), QMAX);
    assert_int_equal(avps_dev_queue_addr(f->dev, 0, AVPS_DEV_AREA_DESC), 0);
    /* the device is still live, but the reset queue is not served */
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV | S_FOK | S_DOK);
    assert_true(add_wbuf(&f->q[0], 8, &gpa) >= 0);
    md_notify(&f->d, 0);
    assert_int_equal(avps_rng_bytes(&f->rng), 10);
    assert_int_equal(rd32(f, R_ISR), 0);
    /* re-enable: a new ring, another size */
    rd_fini(&f->q[0]);
    assert_int_equal(md_queue_setup(&f->d, 0, &f->q[0], &other), MD_OK);
    assert_int_equal(avps_dev_queue_size(f->dev, 0), 4);
    rng_fetch(f, 6, 10);
    rng_fetch(f, 6, 16);
    assert_int_equal(f->d.refused, 0);
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
}

static void test_4_2_2_1_queue_reset_split(void **s) { queue_reset(s, false); }
static void test_4_2_2_1_queue_reset_packed(void **s) { queue_reset(s, true); }

/* §2.6.1 through QueueReset: a request the device had taken but not
 * completed (virtio-rng waiting for entropy) belongs to the old ring; after
 * the reset and a re-enable on a new ring it is neither completed nor
 * written. */
static void test_4_2_2_1_queue_reset_drops_taken_request(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const struct md_queue_cfg other = {8, 0x200000, VQFIX_HEAP_GPA + (6u << 20), 1u << 20};
    uint64_t old_gpa;
    const uint8_t *old;
    struct rd_done dn;

    mf_init(f, F_V1 | F_RR);
    f->src.dry = true;
    assert_true(add_wbuf(&f->q[0], 16, &old_gpa) >= 0);
    md_notify(&f->d, 0); /* taken, parked: no entropy */
    assert_int_equal(rd_get_used(&f->q[0], &dn), 0);
    assert_int_equal(md_queue_reset(&f->d, 0), MD_OK);
    rd_fini(&f->q[0]);
    assert_int_equal(md_queue_setup(&f->d, 0, &f->q[0], &other), MD_OK);
    f->src.dry = false;
    assert_int_equal(avps_rng_resume(&f->rng), 0);
    old = avps_posix_ptr(&f->tp.g, old_gpa, 16);
    for (int i = 0; i < 16; i++)
        assert_int_equal(old[i], 0);
    assert_int_equal(rd_get_used(&f->q[0], &dn), 0);
    assert_int_equal(f->q[0].bad_used, 0);
    assert_int_equal(rd32(f, R_ISR), 0);
    rng_fetch(f, 8, 0);
}

/* QueueReset without RING_RESET negotiated, or with a value other than 1,
 * is refused and leaves the queue alone. */
static void test_4_2_2_queue_reset_refused(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1); /* RING_RESET offered, not accepted */
    assert_true(avps_dev_offered_features(f->dev) & F_RR);
    assert_int_equal(wr32(f, R_QRESET, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_QREADY), 1);
    assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), 1);
    rng_fetch(f, 4, 0);

    assert_int_equal(md_reset(&f->d), MD_OK);
    rd_fini(&f->q[0]);
    mf_init(f, F_V1 | F_RR);
    assert_int_equal(wr32(f, R_QRESET, 2), AVPS_E_GUEST_STATE);
    assert_int_equal(wr32(f, R_QRESET, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_QREADY), 1);
    assert_int_equal(wr32(f, R_QSEL, 1), AVPS_OK); /* no queue 1 */
    assert_int_equal(wr32(f, R_QRESET, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), 4);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    rng_fetch(f, 4, 4);
}

/* ---- register rules (§4.2.2 table, §4.2.2.2) ---------------------------- */

#define RO 1u
#define WO 2u
#define RW 3u

/* The register table of §4.2.2, written from the spec. */
static const struct {
    uint32_t off;
    unsigned int dir;
} spec_regs[] = {
    {0x000, RO}, {0x004, RO}, {0x008, RO}, {0x00c, RO}, {0x010, RO}, {0x014, WO},
    {0x020, WO}, {0x024, WO}, {0x030, WO}, {0x034, RO}, {0x038, WO}, {0x044, RW},
    {0x050, WO}, {0x060, RO}, {0x064, WO}, {0x070, RW}, {0x080, WO}, {0x084, WO},
    {0x090, WO}, {0x094, WO}, {0x0a0, WO}, {0x0a4, WO}, {0x0ac, WO}, {0x0b0, RO},
    {0x0b4, RO}, {0x0b8, RO}, {0x0bc, RO}, {0x0c0, RW}, {0x0fc, RO},
};

static unsigned int spec_dir(uint64_t off)
{
    for (size_t i = 0; i < sizeof spec_regs / sizeof spec_regs[0]; i++)
        if (spec_regs[i].off == off)
            return spec_regs[i].dir;
    return 0;
}

/* A snapshot of everything a refused access must leave alone. */
struct snap {
    uint8_t status, isr;
    uint64_t features, drv, offered;
    uint32_t gen;
    uint16_t qsize;
    uint8_t ready;
    uint64_t addr[3];
    int level;
    uint32_t sel[4];
    uint64_t bytes;
};

static void take(struct mfix *f, struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->status = avps_dev_status(f->dev);
    s->isr = avps_dev_isr(f->dev);
    s->features = avps_dev_features(f->dev);
    s->drv = (uint64_t)avps_dev_driver_word(f->dev, 0) |
             ((uint64_t)avps_dev_driver_word(f->dev, 1) << 32);
    s->offered = avps_dev_offered_features(f->dev);
    s->gen = avps_dev_config_generation(f->dev);
    s->qsize = avps_dev_queue_size(f->dev, 0);
    s->ready = avps_dev_queue_ready(f->dev, 0);
    for (int a = 0; a < 3; a++)
        s->addr[a] = avps_dev_queue_addr(f->dev, 0, (enum avps_dev_area)a);
    s->level = f->tp.level;
    s->sel[0] = f->m.dev_features_sel;
    s->sel[1] = f->m.drv_features_sel;
    s->sel[2] = f->m.queue_sel;
    s->sel[3] = f->m.shm_sel;
    s->bytes = avps_rng_bytes(&f->rng);
}

static void same(struct mfix *f, const struct snap *a)
{
    struct snap b;

    take(f, &b);
    assert_memory_equal(a, &b, sizeof b);
}

/* Writes to the read-only registers (direction R) are ignored and reported. */
static void test_4_2_2_2_read_only_registers_ignore_writes(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t vals[] = {0, 1, 2, 0xff, 0xffffffffu, 0x74726976u};
    struct snap s;
    uint64_t n = 0;

    mf_init(f, F_V1);
    rng_fetch(f, 4, 0); /* InterruptStatus = 1, line high */
    take(f, &s);
    for (size_t i = 0; i < sizeof spec_regs / sizeof spec_regs[0]; i++) {
        if (spec_regs[i].dir != RO)
            continue;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
            assert_int_equal(wr32(f, spec_regs[i].off, vals[k]), AVPS_E_GUEST_STATE);
            n++;
            assert_int_equal(f->tp.g.last_report_a, spec_regs[i].off);
            assert_int_equal(f->tp.g.last_report_b, 4);
        }
    }
    same(f, &s);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), n);
    assert_int_equal(avps_posix_report_total(&f->tp.g), n);
    assert_int_equal(rd32(f, R_MAGIC), AVPS_VIRTIO_MMIO_MAGIC);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_DEVICE_ID), AVPS_VIRTIO_ID_RNG);
}

/* Reads of the write-only registers (direction W) return 0 and are reported. */
static void test_4_2_2_2_write_only_registers_read_zero(void **state)
{
    struct mfix *f = mf_rng(state, true);
    struct snap s;
    uint64_t n = 0;

    mf_init(f, F_V1);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    take(f, &s);
    for (size_t i = 0; i < sizeof spec_regs / sizeof spec_regs[0]; i++) {
        uint64_t v = 0x1234;

        if (spec_regs[i].dir != WO)
            continue;
        assert_int_equal(avps_mmio_read(&f->m, spec_regs[i].off, 4, &v), AVPS_E_GUEST_STATE);
        assert_int_equal(v, 0);
        n++;
    }
    same(f, &s);
    assert_int_equal(n, 14);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), n);
    /* the RW registers read back */
    assert_int_equal(rd32(f, R_QREADY), 1);
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(rd32(f, R_QRESET), 0);
}

/* §4.2.2.2: the control registers take 32-bit wide, aligned accesses only;
 * anything else reads 0, writes nothing, and is reported. */
static void test_4_2_2_2_control_access_size_and_alignment(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const unsigned int sizes[] = {0, 1, 2, 3, 4, 5, 8, 16};
    struct snap s;
    uint64_t n = 0;

    mf_init(f, F_V1);
    rng_fetch(f, 4, 0);
    take(f, &s);
    for (uint64_t off = 0; off < 0x100; off++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            uint64_t v = 0x55;

            if (sizes[k] == 4 && (off & 3) == 0)
                continue;
            assert_int_equal(avps_mmio_read(&f->m, off, sizes[k], &v), AVPS_E_GUEST_RANGE);
            assert_int_equal(v, 0);
            /* 8- and 16-bit writes of "reset", "ready", "notify" */
            assert_int_equal(avps_mmio_write(&f->m, off, sizes[k], 0), AVPS_E_GUEST_RANGE);
            assert_int_equal(avps_mmio_write(&f->m, off, sizes[k], 1), AVPS_E_GUEST_RANGE);
            assert_int_equal(avps_mmio_write(&f->m, off, sizes[k], UINT64_MAX),
                             AVPS_E_GUEST_RANGE);
            n += 4;
        }
    }
    same(f, &s);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), n);
    assert_int_equal(avps_posix_report_total(&f->tp.g), n);
    assert_int_equal(f->tp.g.last_report_a, 0xff);
    assert_int_equal(f->tp.g.last_report_b, 16);
}

/* Offsets in the control area that name no register (including the legacy
 * GuestPageSize, QueueAlign and QueuePFN) and offsets outside the window. */
static void test_4_2_2_2_undefined_offsets_and_outside_window(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint64_t outside[] = {0x200, 0x201, 0x1000, 0xffffffffull, UINT64_MAX - 3,
                                       UINT64_MAX};
    struct snap s;
    uint64_t n = 0;

    mf_init(f, F_V1);
    assert_int_equal(avps_mmio_window_size(&f->m), AVPS_MMIO_WINDOW);
    take(f, &s);
    for (uint32_t off = 0; off < 0x100; off += 4) {
        uint64_t v = 7;

        if (spec_dir(off) != 0)
            continue;
        assert_int_equal(avps_mmio_read(&f->m, off, 4, &v), AVPS_E_GUEST_RANGE);
        assert_int_equal(v, 0);
        assert_int_equal(wr32(f, off, 0xffffffffu), AVPS_E_GUEST_RANGE);
        assert_int_equal(wr32(f, off, 0), AVPS_E_GUEST_RANGE);
        n += 3;
    }
    assert_int_equal(n, (64 - 29) * 3);
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        for (unsigned int size = 1; size <= 8; size *= 2) {
            uint64_t v = 7;

            assert_int_equal(avps_mmio_read(&f->m, outside[i], size, &v), AVPS_E_GUEST_RANGE);
            assert_int_equal(v, 0);
            assert_int_equal(avps_mmio_write(&f->m, outside[i], size, 0), AVPS_E_GUEST_RANGE);
            n += 2;
        }
    }
    same(f, &s);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), n);
}

/* QueueSel beyond the device's queues: QueueSizeMax 0, queue registers read
 * 0, writes ignored and reported; a 32-bit selector never aliases a queue. */
static void test_4_2_2_queue_sel_out_of_range(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t sels[] = {1, 2, 0xfffe, 0xffff, 0x10000, 0x10001, 0xffffffffu};
    static const uint32_t wregs[] = {R_QNUM,
                                     R_QREADY,
                                     AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW,
                                     AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH,
                                     AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW,
                                     AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
                                     AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW,
                                     AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH};
    struct snap s;

    assert_int_equal(md_probe(&f->d), MD_OK);
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1 | F_RR, F_V1 | F_RR), MD_OK);
    take(f, &s);
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        uint64_t before = reports(f, AVPS_EV_DEV_QUEUE);

        assert_int_equal(wr32(f, R_QSEL, sels[i]), AVPS_OK);
        assert_int_equal(rd32(f, R_QMAX), 0);
        assert_int_equal(rd32(f, R_QREADY), 0);
        assert_int_equal(rd32(f, R_QRESET), 0);
        for (size_t k = 0; k < sizeof wregs / sizeof wregs[0]; k++)
            assert_int_equal(wr32(f, wregs[k], 1), AVPS_E_GUEST_STATE);
        assert_int_equal(wr32(f, R_QRESET, 1), AVPS_E_GUEST_STATE);
        assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), before + 9);
    }
    s.sel[2] = 0xffffffffu;
    same(f, &s); /* queue 0 untouched (0x10000 did not alias it) */
    assert_int_equal(avps_dev_queue_size(f->dev, 0), QMAX);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(rd32(f, R_QMAX), QMAX);
}

/* §4.2.3.2: a queue the device does not have reads QueueSizeMax 0; the
 * driver's setup stops there. */
static void test_4_2_3_2_queue_not_available(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    static const struct md_queue_cfg qc = {8, VQFIX_RING_GPA, VQFIX_HEAP_GPA, 1u << 20};

    assert_int_equal(md_probe(&f->d), MD_OK);
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1, F_V1), MD_OK);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(rd32(f, R_QMAX), 8);
    assert_int_equal(wr32(f, R_QSEL, 2), AVPS_OK);
    assert_int_equal(rd32(f, R_QMAX), 4);
    assert_int_equal(md_queue_setup(&f->d, 1, &f->q[0], &qc), MD_E_QUEUE_NONE);
    assert_int_equal(wr32(f, R_QNUM, 4), AVPS_E_GUEST_STATE);
    assert_int_equal(wr32(f, R_QREADY, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(wr32(f, R_QSEL, 3), AVPS_OK);
    assert_int_equal(rd32(f, R_QMAX), 0);
}

/* §4.2.2 DeviceFeatures / DriverFeatures: the selector picks 32 bits; words
 * beyond the second read 0 and take only 0. */
static void test_4_2_2_features_select(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    const uint64_t off = avps_dev_offered_features(f->dev);
    static const uint32_t beyond[] = {2, 3, 0x80000000u, 0xffffffffu};

    assert_true(off & AVPS_VIRTIO_BIT(0));
    assert_true(off & F_V1);
    assert_true(off & F_ND);
    assert_true(off & F_RR);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0), AVPS_OK);
    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)off);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1), AVPS_OK);
    assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(off >> 32));
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, beyond[i]), AVPS_OK);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_DEVICE_FEATURES), 0);
    }
    assert_int_equal(wr32(f, R_STATUS, S_ACK), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV), AVPS_OK);
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, beyond[i]), AVPS_OK);
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 0), AVPS_OK);
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 1), AVPS_E_GUEST_STATE);
    }
    assert_int_equal(reports(f, AVPS_EV_DEV_FEATURES), 4);
    assert_int_equal(avps_dev_driver_word(f->dev, 0), 0);
    assert_int_equal(avps_dev_driver_word(f->dev, 1), 0);
    /* both real words land where the selector says */
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 1), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 1), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_features(f->dev), F_V1 | AVPS_VIRTIO_BIT(0));
    /* §3.1.1 step 5: no new features after FEATURES_OK */
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 3), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_features(f->dev), F_V1 | AVPS_VIRTIO_BIT(0));
}

/* §2.2.2 via MMIO: FEATURES_OK for features the device did not offer (or
 * without VERSION_1) does not stick; the driver reads the status back. */
static void test_2_2_2_features_ok_refused_for_unoffered(void **state)
{
    struct mfix *f = mf_rng(state, true);

    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 1), AVPS_OK); /* bit 0: not offered */
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 1), AVPS_OK); /* VERSION_1 */
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV);
    assert_int_equal(avps_dev_features(f->dev), 0);
    assert_int_equal(reports(f, AVPS_EV_DEV_FEATURES), 1);
    /* without VERSION_1 */
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 0), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, 0), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV);
    /* the queue cannot be enabled without FEATURES_OK */
    assert_int_equal(wr32(f, R_QREADY, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_QREADY), 0);
    /* and DRIVER_OK is refused too */
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_DOK), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV);
}

/* §2.1.1 via MMIO: status writes that clear a bit, set NEEDS_RESET, set
 * unknown bits or do not fit the 8-bit status are refused. */
static void test_2_1_1_status_writes_refused(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t bad[] = {S_ACK, S_DRV, S_ACK | S_DRV | S_NR, S_ACK | S_DRV | 0x10u,
                                   S_ACK | S_DRV | 0x100u, 0x80000003u, 0xffffffffu, 0x100u};

    assert_int_equal(wr32(f, R_STATUS, S_ACK), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV), AVPS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(wr32(f, R_STATUS, bad[i]), AVPS_E_GUEST_STATE);
        assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV);
    }
    assert_int_equal(reports(f, AVPS_EV_DEV_STATUS), sizeof bad / sizeof bad[0]);
    /* FAILED may be added; then only a reset leaves it */
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_FAIL), AVPS_OK);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV), AVPS_E_GUEST_STATE);
    assert_int_equal(rd32(f, R_STATUS), S_ACK | S_DRV | S_FAIL);
    assert_int_equal(md_reset(&f->d), MD_OK);
    mf_init(f, F_V1);
    rng_fetch(f, 3, 0);
}

/* §4.2.2.2: QueueSize must not exceed QueueSizeMax; 0, sizes above it and
 * values wider than 16 bits are refused, never truncated. */
static void test_4_2_2_2_queue_num_above_max_refused(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t bad[] = {0, QMAX + 1, 0x8000, 0xffff, 0x10000, 0x10008, 0xffffffffu};

    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1, F_V1), MD_OK);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, R_QNUM, 8), AVPS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(wr32(f, R_QNUM, bad[i]), AVPS_E_GUEST_STATE);
        assert_int_equal(avps_dev_queue_size(f->dev, 0), 8);
    }
    assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), sizeof bad / sizeof bad[0]);
    assert_int_equal(wr32(f, R_QNUM, QMAX), AVPS_OK);
    assert_int_equal(avps_dev_queue_size(f->dev, 0), QMAX);
}

/* §4.2.2.2: while QueueReady is set the driver must not touch QueueSize or
 * the addresses; such writes are refused. */
static void test_4_2_2_2_queue_regs_refused_while_ready(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t regs[] = {R_QNUM,
                                    AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW,
                                    AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH,
                                    AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW,
                                    AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
                                    AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW,
                                    AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH};
    struct snap s;

    mf_init(f, F_V1);
    take(f, &s);
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        assert_int_equal(wr32(f, regs[i], 4), AVPS_E_GUEST_STATE);
    /* and QueueReady = 1 again, or another value */
    assert_int_equal(wr32(f, R_QREADY, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(wr32(f, R_QREADY, 2), AVPS_E_GUEST_STATE);
    same(f, &s);
    assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), 9);
    rng_fetch(f, 5, 0);
}

/* §4.2.2.2: the driver stops a queue with QueueReady = 0 and reads it back;
 * the queue can then be programmed and enabled again. */
static void test_4_2_2_2_queue_ready_0_stops_queue(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const struct md_queue_cfg other = {4, 0x200000, VQFIX_HEAP_GPA + (6u << 20), 1u << 20};

    mf_init(f, F_V1);
    rng_fetch(f, 5, 0);
    assert_int_equal(md_queue_stop(&f->d, 0), MD_OK);
    assert_int_equal(md_queue_stop(&f->d, 0), MD_OK); /* again: no change */
    rd_fini(&f->q[0]);
    assert_int_equal(md_queue_setup(&f->d, 0, &f->q[0], &other), MD_OK);
    rng_fetch(f, 5, 5);
    assert_int_equal(f->d.refused, 0);
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
}

/* §4.2.3.3: QueueNotify for a queue the device does not have. */
static void test_4_2_3_3_notify_missing_queue(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const uint32_t bad[] = {1, 0xffff, 0x10000, 0xffffffffu};

    mf_init(f, F_V1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(wr32(f, R_QNOTIFY, bad[i]), AVPS_E_GUEST_STATE);
    assert_int_equal(reports(f, AVPS_EV_DEV_QUEUE), 4);
    assert_false(avps_dev_needs_reset(f->dev));
    assert_int_equal(f->src.calls, 0);
    rng_fetch(f, 5, 0);
}

/* §4.2.3.3 with VIRTIO_F_NOTIFICATION_DATA: the value carries the queue and
 * the driver's position; a value the queue cannot have is refused (and
 * reported) without breaking the queue. */
static void notification_data(void **state, bool packed)
{
    struct mfix *f = mf_rng(state, true);
    const uint64_t want = F_V1 | F_ND | (packed ? F_PACKED : 0);
    uint64_t gpa;
    uint32_t good;

    mf_init(f, want);
    rng_fetch(f, 7, 0); /* md_notify sends the data value */
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_true(add_wbuf(&f->q[0], 9, &gpa) >= 0);
    good = md_notify_value(&f->d, 0);
    assert_true(good >> 16 != 0); /* carries a position */
    /* a position out of reach: packed offset >= size, split index far off */
    if (packed)
        assert_int_equal(wr32(f, R_QNOTIFY, 0u | (8u << 16)), AVPS_E_GUEST_INDEX);
    else
        assert_int_equal(wr32(f, R_QNOTIFY, 0u | ((uint32_t)(f->q[0].avail_idx + 0x4000u) << 16)),
                         AVPS_E_GUEST_INDEX);
    assert_int_equal(reports(f, AVPS_EV_NOTIFY_DATA), 1);
    /* another queue's index in the data */
    assert_int_equal(wr32(f, R_QNOTIFY, (good & 0xffff0000u) | 1u), AVPS_E_GUEST_STATE);
    assert_false(avps_dev_needs_reset(f->dev));
    assert_int_equal(avps_rng_bytes(&f->rng), 7);
    /* the right value still works */
    assert_int_equal(wr32(f, R_QNOTIFY, good), AVPS_OK);
    {
        struct rd_done dn;

        assert_int_equal(rd_get_used(&f->q[0], &dn), 1);
        assert_int_equal(dn.len, 9);
    }
    assert_int_equal(avps_rng_bytes(&f->rng), 16);
}

static void test_4_2_3_3_notification_data_split(void **s) { notification_data(s, false); }
static void test_4_2_3_3_notification_data_packed(void **s) { notification_data(s, true); }

/* §4.2.2 SHMSel / SHMLen / SHMBase: a region's length and base; all ones for
 * an id the device does not use. */
static void test_4_2_2_shared_memory_registers(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    static const uint32_t unused[] = {2, 3, 0x80000000u, 0xffffffffu};
    struct avps_mmio m2;
    struct avps_mmio_cfg bad;

    for (uint32_t id = 0; id < 2; id++) {
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_SHM_SEL, id), AVPS_OK);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_LEN_LOW), (uint32_t)tdev_shm[id].len);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_LEN_HIGH), (uint32_t)(tdev_shm[id].len >> 32));
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_BASE_LOW), (uint32_t)tdev_shm[id].base);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_BASE_HIGH),
                         (uint32_t)(tdev_shm[id].base >> 32));
    }
    for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++) {
        assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_SHM_SEL, unused[i]), AVPS_OK);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffffu);
        assert_int_equal(rd32(f, AVPS_VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffffu);
    }
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
    /* a device without regions */
    assert_int_equal(avps_mmio_init(&m2, f->dev, NULL), AVPS_OK);
    {
        uint64_t v = 0;

        assert_int_equal(avps_mmio_read(&m2, AVPS_VIRTIO_MMIO_SHM_BASE_LOW, 4, &v), AVPS_OK);
        assert_int_equal(v, 0xffffffffu);
    }
    /* a region table that is missing is the caller's mistake */
    memset(&bad, 0, sizeof bad);
    bad.num_shm = 1;
    assert_int_equal(avps_mmio_init(&m2, f->dev, &bad), AVPS_E_INVAL);
    assert_int_equal(avps_mmio_init(NULL, f->dev, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_mmio_init(&m2, NULL, NULL), AVPS_E_INVAL);
}

/* §4.2.2 Config (0x100+) and §4.2.2.2 field-width accesses: 1, 2, 4 (and an
 * aligned 8) bytes, little-endian; bytes past the device's configuration
 * read 0; misaligned or odd-sized accesses are refused. */
static void test_4_2_2_config_space_access(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_class);
    uint64_t v;

    assert_int_equal(avps_mmio_window_size(&f->m), 0x200);
    for (uint32_t i = 0; i < TDEV_CFG; i++) {
        assert_int_equal(avps_mmio_read(&f->m, R_CFG + i, 1, &v), AVPS_OK);
        assert_int_equal(v, 0x11u * (i + 1u) & 0xffu);
    }
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 2, 2, &v), AVPS_OK);
    assert_int_equal(v, 0x4433);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 4, 4, &v), AVPS_OK);
    assert_int_equal(v, 0x88776655u);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0, 8, &v), AVPS_OK);
    assert_int_equal(v, 0x8877665544332211ull);
    /* straddling the end: the bytes past it read 0 */
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 8, 8, &v), AVPS_OK);
    assert_int_equal(v, 0xccbbaa99u);
    for (uint32_t off = TDEV_CFG; off < 0x100; off += 4) {
        v = 1;
        assert_int_equal(avps_mmio_read(&f->m, R_CFG + off, 4, &v), AVPS_OK);
        assert_int_equal(v, 0);
    }
    assert_int_equal(avps_posix_report_total(&f->tp.g), 0);
    /* misaligned and odd sizes */
    v = 1;
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 1, 2, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(v, 0);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 2, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 4, 8, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0, 3, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0, 16, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0, 0, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 5, 2, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(reports(f, AVPS_EV_DEV_REGISTER), 7);
    /* writes: the writable field takes 1, 2 and 4 bytes; bits above the
     * access width are ignored */
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 4, 4, 0xa1b2c3d4u), AVPS_OK);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 4, 4, &v), AVPS_OK);
    assert_int_equal(v, 0xa1b2c3d4u);
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 5, 1, 0x1234), AVPS_OK);
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 6, 2, 0xffff5678u), AVPS_OK);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 4, 4, &v), AVPS_OK);
    assert_int_equal(v, 0x567834d4u);
    /* read-only fields and the space past the end refuse writes */
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 0, 1, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 8, 8, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_mmio_write(&f->m, R_CFG + 0x40, 4, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(reports(f, AVPS_EV_DEV_CONFIG), 3);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0, 1, &v), AVPS_OK);
    assert_int_equal(v, 0x11);
    /* past the window */
    assert_int_equal(avps_mmio_read(&f->m, 0x200, 1, &v), AVPS_E_GUEST_RANGE);
}

/* The window grows with a configuration space that ends past 0x200. */
static void test_4_2_2_window_covers_config(void **state)
{
    struct mfix *f = mf_tdev(state, &tdev_big_class);
    uint64_t v;

    assert_int_equal(avps_mmio_window_size(&f->m), 0x300);
    assert_int_equal(avps_mmio_read(&f->m, R_CFG + 0x17c, 4, &v), AVPS_OK);
    assert_int_equal(v, 0x7f7e7d7cu);
    assert_int_equal(avps_mmio_read(&f->m, 0x2f8, 8, &v), AVPS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(avps_mmio_read(&f->m, 0x300, 1, &v), AVPS_E_GUEST_RANGE);
}

/* ---- §2.1.2 DEVICE_NEEDS_RESET and §4.2.3.4 notifications --------------- */

/* A guest index jump after DRIVER_OK: the device sets DEVICE_NEEDS_RESET and
 * sends a configuration-change notification; a reset recovers. */
static void test_2_1_2_needs_reset_index_jump_and_recovery(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1);
    rng_fetch(f, 4, 0);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    rd_set_avail_idx(&f->q[0], (uint16_t)(f->q[0].avail_idx + 100u));
    md_notify(&f->d, 0);
    assert_true(rd32(f, R_STATUS) & S_NR);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(reports(f, AVPS_EV_DEV_NEEDS_RESET), 1);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.level, 0);
    /* the broken device takes no more work and cannot be talked out of it */
    md_notify(&f->d, 0);
    assert_int_equal(avps_rng_bytes(&f->rng), 4);
    assert_int_equal(wr32(f, R_STATUS, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
    assert_true(rd32(f, R_STATUS) & S_NR);
    /* recovery */
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(rd32(f, R_ISR), 0);
    rd_fini(&f->q[0]);
    f->d.refused = 0;
    mf_init(f, F_V1);
    rng_fetch(f, 4, 4);
}

/* A ring the device refuses at QueueReady = 1 (misaligned Descriptor Area,
 * or a split size that is not a power of two): NEEDS_RESET; with DRIVER_OK
 * set (a queue re-enabled after RING_RESET) also a configuration interrupt. */
static void test_2_1_2_needs_reset_bad_ring(void **state)
{
    struct mfix *f = mf_rng(state, true);

    /* before DRIVER_OK: NEEDS_RESET, no notification */
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(md_negotiate(&f->d, F_V1, F_V1), MD_OK);
    assert_int_equal(wr32(f, R_QSEL, 0), AVPS_OK);
    assert_int_equal(wr32(f, R_QNUM, 6), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x2000), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x3000), AVPS_OK);
    assert_int_equal(wr32(f, R_QREADY, 1), AVPS_E_GUEST_RANGE);
    assert_int_equal(rd32(f, R_QREADY), 0);
    assert_true(rd32(f, R_STATUS) & S_NR);
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 0);

    /* after DRIVER_OK, through a queue reset and a misaligned re-enable */
    assert_int_equal(md_reset(&f->d), MD_OK);
    mf_init(f, F_V1 | F_RR);
    rng_fetch(f, 4, 0);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(md_queue_reset(&f->d, 0), MD_OK);
    assert_int_equal(wr32(f, R_QNUM, 8), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)f->q[0].desc + 8u), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)f->q[0].driver), AVPS_OK);
    assert_int_equal(wr32(f, AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)f->q[0].device), AVPS_OK);
    assert_int_equal(wr32(f, R_QREADY, 1), AVPS_E_GUEST_RANGE);
    assert_true(rd32(f, R_STATUS) & S_NR);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_CONFIG);
    assert_int_equal(f->tp.level, 1);
    /* reset recovers */
    assert_int_equal(md_reset(&f->d), MD_OK);
    assert_int_equal(f->tp.level, 0);
    rd_fini(&f->q[0]);
    f->d.refused = 0;
    mf_init(f, F_V1 | F_RR);
    rng_fetch(f, 4, 4);
}

/* §4.2.3.4 without a level-controlled line: every notification is an
 * inject(line); the acknowledgement clears InterruptStatus only. */
static void test_4_2_3_4_interrupt_inject_fallback(void **state)
{
    struct mfix *f = mf_rng(state, false);

    mf_init(f, F_V1);
    assert_int_equal(f->tp.g.irqs, 0);
    rng_fetch(f, 4, 0);
    assert_int_equal(f->tp.g.irqs, 1);
    assert_int_equal(f->tp.g.irq_by_vector[LINE], 1);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.g.irqs, 1);
    rng_fetch(f, 4, 4);
    assert_int_equal(f->tp.g.irqs, 2);
    assert_int_equal(f->tp.set_level_calls, 0);
    /* a state restore re-sends a pending event */
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_OK);
    assert_int_equal(f->tp.g.irqs, 3);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_OK);
    assert_int_equal(f->tp.g.irqs, 3);
}

/* avps_mmio_irq_sync(): the line follows InterruptStatus after a restore. */
static void test_4_2_3_4_interrupt_line_sync_after_restore(void **state)
{
    struct mfix *f = mf_rng(state, true);
    struct avps_dev_state st;

    mf_init(f, F_V1);
    rng_fetch(f, 4, 0);
    avps_dev_save(f->dev, &st);
    assert_int_equal(st.isr, AVPS_DEV_ISR_QUEUE);
    assert_int_equal(md_irq(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f->tp.level, 0);
    /* restore brings the pending bit back; sync raises the line */
    assert_int_equal(avps_dev_restore(f->dev, &st), AVPS_OK);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_OK);
    assert_int_equal(f->tp.level, 1);
    /* nothing pending: sync lowers a line the port left high */
    assert_int_equal(wr32(f, R_ACK, AVPS_DEV_ISR_QUEUE), AVPS_OK);
    f->tp.level = 1;
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_OK);
    assert_int_equal(f->tp.level, 0);
}

/* A port whose set_level fails: the transport does not believe the line
 * moved, and the next event (or acknowledgement) drives it again. */
static void test_4_2_3_4_interrupt_line_port_failure(void **state)
{
    struct mfix *f = mf_rng(state, true);

    mf_init(f, F_V1);
    f->tp.fail_level = 1;
    rng_fetch(f, 4, 0);
    assert_int_equal(f->tp.level, 0);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    rng_fetch(f, 4, 4); /* the next event raises it */
    assert_int_equal(f->tp.level, 1);
    f->tp.fail_level = 1;
    assert_int_equal(wr32(f, R_ACK, AVPS_DEV_ISR_QUEUE), AVPS_OK);
    assert_int_equal(rd32(f, R_ISR), 0);
    assert_int_equal(f->tp.level, 1); /* the port could not lower it */
    assert_int_equal(wr32(f, R_ACK, 0), AVPS_OK);
    assert_int_equal(f->tp.level, 0); /* the next acknowledgement did */
    /* avps_mmio_irq_sync() passes the port's error on */
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->tp.level, 1);
    assert_int_equal(wr32(f, R_ACK, AVPS_DEV_ISR_CONFIG), AVPS_OK);
    f->tp.level = 1;
    f->tp.fail_level = 1;
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_E_IO);
    assert_int_equal(avps_mmio_irq_sync(&f->m), AVPS_OK);
    assert_int_equal(f->tp.level, 0);
}

/* ---- mangle: every offset, every size, hostile values ------------------- */

static bool access_valid(uint64_t off, unsigned int size, uint64_t win)
{
    if (off < 0x100)
        return size == 4 && (off & 3) == 0 && spec_dir(off) != 0;
    if (off >= win)
        return false;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return false;
    return (off & (size - 1)) == 0 && off + size <= win;
}

/* Accesses the register file does not allow change nothing and are each
 * reported exactly once; allowed reads change nothing either. */
static void test_4_2_2_mangle_refused_accesses_change_nothing(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const unsigned int sizes[] = {0, 1, 2, 3, 4, 6, 8, 16, 0xffffffffu};
    static const uint64_t vals[] = {0, 1, 0xffffffffull, UINT64_MAX};
    const uint64_t win = avps_mmio_window_size(&f->m);
    struct snap s;
    uint64_t refused = 0;

    mf_init(f, F_V1);
    rng_fetch(f, 4, 0);
    avps_posix_clear_counters(&f->tp.g);
    take(f, &s);
    for (uint64_t off = 0; off < win + 0x40; off++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            const unsigned int size = sizes[k];
            const bool ok = access_valid(off, size, win);
            uint64_t v = 0xa5a5;
            int rc = avps_mmio_read(&f->m, off, size, &v);

            if (!ok || (off < 0x100 && (spec_dir(off) & RO) == 0)) {
                assert_true(rc < 0);
                assert_int_equal(v, 0);
                refused++;
            } else {
                assert_int_equal(rc, AVPS_OK);
            }
            /* writes: all refused ones; and every config write (rng has no
             * configuration space, so the device refuses them) */
            if (!ok || off >= 0x100 || spec_dir(off) == RO) {
                for (size_t j = 0; j < sizeof vals / sizeof vals[0]; j++) {
                    assert_true(avps_mmio_write(&f->m, off, size, vals[j]) < 0);
                    refused++;
                }
            }
        }
    }
    same(f, &s);
    assert_int_equal(avps_posix_report_total(&f->tp.g), refused);
    assert_int_equal(rd32(f, R_ISR), AVPS_DEV_ISR_QUEUE);
    rng_fetch(f, 4, 4);
}

/* Invariants no guest write may break. */
static void check_invariants(struct mfix *f)
{
    const uint8_t st = avps_dev_status(f->dev);
    uint64_t v;

    assert_int_equal(avps_mmio_read(&f->m, R_MAGIC, 4, &v), AVPS_OK);
    assert_int_equal(v, AVPS_VIRTIO_MMIO_MAGIC);
    assert_int_equal(avps_mmio_read(&f->m, AVPS_VIRTIO_MMIO_VERSION, 4, &v), AVPS_OK);
    assert_int_equal(v, 2);
    assert_int_equal(avps_mmio_read(&f->m, R_ISR, 4, &v), AVPS_OK);
    assert_int_equal(v & ~3ull, 0);
    /* the line is high exactly while an event is pending */
    assert_int_equal(f->tp.level, avps_dev_isr(f->dev) != 0);
    assert_int_equal(st & ~(S_ACK | S_DRV | S_FOK | S_DOK | S_NR | S_FAIL), 0);
    if ((st & S_FOK) == 0)
        assert_int_equal(avps_dev_queue_ready(f->dev, 0), 0);
    if ((st & S_DOK) != 0)
        assert_true(st & S_FOK);
    assert_true((avps_dev_features(f->dev) & ~avps_dev_offered_features(f->dev)) == 0);
    assert_true(avps_dev_queue_size(f->dev, 0) >= 1 && avps_dev_queue_size(f->dev, 0) <= QMAX);
    assert_int_equal(f->tp.held, 0);
}

static const uint32_t hostile[] = {0,          1,          2,          3,          4,
                                   7,          8,          0xff,       0x100,      0xfff,
                                   0x1000,     0x1008,     0x7fff,     0x8000,     0xffff,
                                   0x10000,    0x10001,    0x7fffffff, 0x80000000, 0x80000001,
                                   0xfffffffe, 0xffffffff, 0xdeadbeef, 0x00800000, 0x00fff000};

/* Every register of a live device, written with every hostile value, the
 * device re-initialised between values: no crash, invariants hold, and a
 * reset always brings it back. */
static void mangle_live(void **state, bool packed)
{
    struct mfix *f = mf_rng(state, true);
    const uint64_t want = F_V1 | F_RR | F_ND | (packed ? F_PACKED : 0);

    for (size_t i = 0; i < sizeof spec_regs / sizeof spec_regs[0]; i++) {
        if ((spec_regs[i].dir & WO) == 0)
            continue;
        for (size_t k = 0; k < sizeof hostile / sizeof hostile[0]; k++) {
            uint64_t gpa;

            assert_int_equal(md_reset(&f->d), MD_OK);
            rd_fini(&f->q[0]);
            f->d.refused = 0;
            mf_init(f, want);
            /* a buffer made available but not yet notified */
            assert_true(add_wbuf(&f->q[0], 4, &gpa) >= 0);
            (void)wr32(f, spec_regs[i].off, hostile[k]);
            check_invariants(f);
            (void)wr32(f, R_QNOTIFY, hostile[k]);
            check_invariants(f);
        }
    }
    assert_int_equal(md_reset(&f->d), MD_OK);
    rd_fini(&f->q[0]);
    f->d.refused = 0;
    mf_init(f, want);
    f->src.next = 0;
    rng_fetch(f, 16, 0);
}

static void test_4_2_2_mangle_live_split(void **s) { mangle_live(s, false); }
static void test_4_2_2_mangle_live_packed(void **s) { mangle_live(s, true); }

/* A random soup of accesses (offsets anywhere in and around the window, any
 * size, hostile and random values), biased towards the registers. Each round
 * starts from a clean driver initialisation with a different feature set and
 * a few buffers outstanding, so the soup hits a live device; every round ends
 * with a reset that must bring it back. */
static void test_4_2_2_mangle_random_soup(void **state)
{
    struct mfix *f = mf_rng(state, true);
    static const unsigned int sizes[] = {1, 2, 4, 4, 4, 4, 8, 3, 0, 16};
    static const uint64_t feats[] = {F_V1, F_V1 | F_RR, F_V1 | F_ND, F_V1 | F_PACKED,
                                     F_V1 | F_PACKED | F_RR | F_ND};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t live = 0, served = 0;

    for (int round = 0; round < 64; round++) {
        const uint64_t want = feats[round % (sizeof feats / sizeof feats[0])];

        assert_int_equal(md_reset(&f->d), MD_OK);
        assert_int_equal(rd32(f, R_ISR), 0);
        assert_int_equal(f->tp.level, 0);
        rd_fini(&f->q[0]);
        f->d.refused = 0;
        mf_init(f, want);
        for (int b = 0; b < 3; b++) {
            uint64_t gpa;

            assert_true(add_wbuf(&f->q[0], 8, &gpa) >= 0);
        }
        for (int it = 0; it < 3000; it++) {
            uint64_t off, v = 0;
            unsigned int size;
            uint32_t r;

            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            r = (uint32_t)(x >> 32);
            if ((r & 7u) < 6u)
                off = spec_regs[(r >> 3) % (sizeof spec_regs / sizeof spec_regs[0])].off;
            else
                off = (r >> 3) % 0x240u;
            size = sizes[(r >> 16) % (sizeof sizes / sizeof sizes[0])];
            if ((x & 0x30) == 0)
                v = hostile[(x >> 8) % (sizeof hostile / sizeof hostile[0])];
            else if ((x & 0x30) == 0x10)
                v = (uint32_t)x & 0xffffu;
            else
                v = x;
            /* Status = 0 ends the round early too often: make it rarer */
            if (off == R_STATUS && v == 0 && (x & 0x7000) != 0)
                v = S_ACK;
            /* keep the rings inside guest RAM more often than not */
            if ((x & 0x300) == 0 && off >= 0x080 && off <= 0x0a4)
                v &= 0x00fffff0u;
            if (x & 0x8000)
                (void)avps_mmio_read(&f->m, off, size, &v);
            else
                (void)avps_mmio_write(&f->m, off, size, v);
            if ((it & 127) == 0) {
                check_invariants(f);
                if (avps_dev_queue_live_(f->dev, 0))
                    live++;
            }
        }
        check_invariants(f);
        served += avps_rng_bytes(&f->rng);
    }
    /* the soup did reach a device that was live and serving */
    assert_true(live > 64);
    assert_true(served > 0);
    assert_int_equal(md_reset(&f->d), MD_OK);
    rd_fini(&f->q[0]);
    f->d.refused = 0;
    mf_init(f, F_V1);
    f->src.next = 0;
    rng_fetch(f, 16, 0);
    assert_int_equal(f->tp.locks, f->tp.unlocks);
    assert_int_equal(f->tp.level_calls_unlocked, 0);
}

#define T(fn) cmocka_unit_test_teardown(fn, mf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_4_2_3_1_1_init_sequence_rng_split),
        T(test_4_2_3_1_1_init_sequence_rng_packed),
        T(test_4_2_2_1_magic_value),
        T(test_4_2_2_1_version),
        T(test_4_2_2_device_and_vendor_id),
        T(test_4_2_2_1_interrupt_status_until_ack),
        T(test_4_2_2_2_interrupt_ack_undefined_bits),
        T(test_4_2_2_1_reset_clears_interrupt_status_and_queue_ready),
        T(test_4_2_2_1_config_generation_changes),
        T(test_4_2_2_1_no_queue_access_while_not_ready),
        T(test_4_2_2_1_queue_reset_reads_0_on_reset_and_enable),
        T(test_4_2_2_1_queue_reset_split),
        T(test_4_2_2_1_queue_reset_packed),
        T(test_4_2_2_1_queue_reset_drops_taken_request),
        T(test_4_2_2_queue_reset_refused),
        T(test_4_2_2_2_read_only_registers_ignore_writes),
        T(test_4_2_2_2_write_only_registers_read_zero),
        T(test_4_2_2_2_control_access_size_and_alignment),
        T(test_4_2_2_2_undefined_offsets_and_outside_window),
        T(test_4_2_2_queue_sel_out_of_range),
        T(test_4_2_3_2_queue_not_available),
        T(test_4_2_2_features_select),
        T(test_2_2_2_features_ok_refused_for_unoffered),
        T(test_2_1_1_status_writes_refused),
        T(test_4_2_2_2_queue_num_above_max_refused),
        T(test_4_2_2_2_queue_regs_refused_while_ready),
        T(test_4_2_2_2_queue_ready_0_stops_queue),
        T(test_4_2_3_3_notify_missing_queue),
        T(test_4_2_3_3_notification_data_split),
        T(test_4_2_3_3_notification_data_packed),
        T(test_4_2_2_shared_memory_registers),
        T(test_4_2_2_config_space_access),
        T(test_4_2_2_window_covers_config),
        T(test_2_1_2_needs_reset_index_jump_and_recovery),
        T(test_2_1_2_needs_reset_bad_ring),
        T(test_4_2_3_4_interrupt_inject_fallback),
        T(test_4_2_3_4_interrupt_line_sync_after_restore),
        T(test_4_2_3_4_interrupt_line_port_failure),
        T(test_4_2_2_mangle_refused_accesses_change_nothing),
        T(test_4_2_2_mangle_live_split),
        T(test_4_2_2_mangle_live_packed),
        T(test_4_2_2_mangle_random_soup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

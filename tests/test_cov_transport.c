/*
 * test_cov_transport: virtio-mmio and virtio-pci paths the transport suites
 * leave unexercised: the port's interrupt operations failing, PCI layouts
 * avps_pci_init() must refuse, a device without queues, a shared notify
 * address with VIRTIO_F_NOTIFICATION_DATA, and the PCI_CFG window aimed at
 * the MSI-X structures. Each test checks what include/avps/mmio.h,
 * include/avps/pci.h or the spec promise there.
 *
 * Fixtures are static so that a failed assertion (cmocka longjmps out)
 * leaves them reachable rather than reported as leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <avps/mmio.h>
#include <avps/pci.h>
#include <avps/rng.h>

#include "devices/dev_priv.h"
#include "mmiodrv.h"
#include "pcidrv.h"
#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK
#define NOV AVPS_DEV_NO_VECTOR
#define MMIO_BASE 0x800000000ull
#define MSI_ADDR 0xfee01000ull
#define MSI_DATA 0x4100u
#define LINE 5u

static int fill_seq(void *ctx, void *buf, uint32_t len)
{
    uint8_t *n = ctx;
    uint8_t *b = buf;

    for (uint32_t i = 0; i < len; i++)
        b[i] = (*n)++;
    return (int)len;
}

/* ---- virtio-mmio: a port whose set_level can fail ----------------------- */

struct lport {
    struct avps_posix_guest g; /* first: the ops' ctx is &g */
    struct avps_port_ops ops;
    int level;
    int calls;
    int fail;     /* fail this many calls ... */
    int fail_rc;  /* ... returning this */
};

static int lp_set_level(void *ctx, uint32_t line, int level)
{
    struct lport *p = ctx;

    (void)line;
    p->calls++;
    if (p->fail > 0) {
        p->fail--;
        return p->fail_rc;
    }
    p->level = level;
    return 0;
}

struct mmfix {
    struct lport lp;
    struct avps_rng rng;
    struct avps_vq_slot slots[16];
    uint8_t next;
    struct avps_rng_backend be;
    struct avps_mmio m;
    struct md_dev d;
    struct rd_queue q[1];
};

static const struct md_queue_cfg mm_qcfg[1] = {
    {8, VQFIX_RING_GPA, VQFIX_HEAP_GPA, 4u << 20},
};

static void mm_setup(struct mmfix *f)
{
    struct avps_rng_cfg cfg;
    struct avps_mmio_cfg mc;

    memset(f, 0, sizeof *f);
    avps_posix_init(&f->lp.g);
    assert_int_equal(avps_posix_add_region(&f->lp.g, 0, VQFIX_MEM), 0);
    f->lp.ops = *f->lp.g.host.ops;
    f->lp.ops.set_level = lp_set_level;
    f->lp.g.host.ops = &f->lp.ops;
    f->be.fill = fill_seq;
    f->be.ctx = &f->next;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &f->be;
    cfg.slots = f->slots;
    cfg.num_slots = 16;
    cfg.queue_size_max = 16;
    assert_int_equal(avps_rng_init(&f->rng, &f->lp.g.host, &cfg), AVPS_OK);
    memset(&mc, 0, sizeof mc);
    mc.line = LINE;
    assert_int_equal(avps_mmio_init(&f->m, avps_rng_dev(&f->rng), &mc), AVPS_OK);
    md_attach(&f->d, &f->m, &f->lp.g);
    assert_int_equal(md_init(&f->d, F_BIT(VERSION_1), F_BIT(VERSION_1), f->q, mm_qcfg, 1), MD_OK);
}

static void mm_request(struct mmfix *f)
{
    assert_true(rd_add_simple(&f->q[0], 0, 8, 0) >= 0);
    md_notify(&f->d, 0);
}

/* The port answers set_level with a non-zero value: the line did not move.
 * A positive answer is outside the port contract and counts as AVPS_E_IO; a
 * negative one is passed on (avps_mmio_irq_sync(): "<0 The port's set_level
 * or inject failed (its error)"). Either way the transport does not believe
 * the line moved: the next event, or avps_mmio_irq_sync(), drives it again
 * (§4.2.3.4: the interrupt stays asserted while InterruptStatus is
 * non-zero). */
static void test_mmio_set_level_failure_retried(void **st)
{
    static struct mmfix f;
    struct rd_done done;

    (void)st;
    mm_setup(&f);
    /* raise fails with a positive value */
    f.lp.fail = 1;
    f.lp.fail_rc = 1;
    mm_request(&f);
    assert_int_equal(rd_get_used(&f.q[0], &done), 1);
    assert_int_equal(avps_dev_isr(avps_rng_dev(&f.rng)), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f.lp.level, 0);
    /* the next event raises it */
    mm_request(&f);
    assert_int_equal(f.lp.level, 1);
    /* lower fails with a negative value; irq_sync retries and says why */
    f.lp.fail = 1;
    f.lp.fail_rc = AVPS_E_AGAIN;
    md_write32(&f.d, AVPS_VIRTIO_MMIO_INTERRUPT_ACK, AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f.d.last_rc, AVPS_OK); /* the acknowledgement itself held */
    assert_int_equal(avps_dev_isr(avps_rng_dev(&f.rng)), 0);
    assert_int_equal(f.lp.level, 1);
    f.lp.fail = 1;
    f.lp.fail_rc = 7;
    assert_int_equal(avps_mmio_irq_sync(&f.m), AVPS_E_IO);
    assert_int_equal(f.lp.level, 1);
    f.lp.fail = 1;
    f.lp.fail_rc = AVPS_E_AGAIN;
    assert_int_equal(avps_mmio_irq_sync(&f.m), AVPS_E_AGAIN);
    assert_int_equal(avps_mmio_irq_sync(&f.m), AVPS_OK);
    assert_int_equal(f.lp.level, 0);
    rd_fini(&f.q[0]);
    avps_posix_fini(&f.lp.g);
}

/* ---- virtio-pci ---------------------------------------------------------- */

struct pcfix {
    struct pd_port pp; /* first */
    struct avps_rng rng;
    struct avps_vq_slot slots[16];
    uint8_t next;
    struct avps_rng_backend be;
    struct avps_pci pci;
    struct avps_pci_msix_entry msix[4];
    uint64_t pba[AVPS_PCI_PBA_WORDS(4u)];
    struct pd_dev d;
    struct rd_queue q;
    bool qinit;
};

/* The port's interrupt ops, with failures injected in front of pcidrv's. */
static int (*pd_set_level_orig)(void *, uint32_t, int);
static int (*pd_inject_msi_orig)(void *, uint64_t, uint32_t, uint32_t);
static int fail_level, fail_msi;

static int failing_set_level(void *ctx, uint32_t line, int level)
{
    if (fail_level > 0) {
        fail_level--;
        return AVPS_E_IO;
    }
    return pd_set_level_orig(ctx, line, level);
}

static int failing_inject_msi(void *ctx, uint64_t addr, uint32_t data, uint32_t vector)
{
    if (fail_msi > 0) {
        fail_msi--;
        return AVPS_E_IO;
    }
    return pd_inject_msi_orig(ctx, addr, data, vector);
}

static void pc_setup(struct pcfix *f, uint16_t msix, bool shared)
{
    struct avps_rng_cfg rc;
    struct avps_pci_cfg c;

    memset(f, 0, sizeof *f);
    pd_port_init(&f->pp, true, true, false);
    pd_set_level_orig = f->pp.ops.set_level;
    pd_inject_msi_orig = f->pp.ops.inject_msi;
    f->pp.ops.set_level = failing_set_level;
    f->pp.ops.inject_msi = failing_inject_msi;
    fail_level = 0;
    fail_msi = 0;
    assert_int_equal(avps_posix_add_region(&f->pp.g, 0, VQFIX_MEM), 0);
    memset(&rc, 0, sizeof rc);
    f->be.fill = fill_seq;
    f->be.ctx = &f->next;
    rc.backend = &f->be;
    rc.slots = f->slots;
    rc.num_slots = 16;
    rc.queue_size_max = 16;
    assert_int_equal(avps_rng_init(&f->rng, &f->pp.host, &rc), AVPS_OK);
    memset(&c, 0, sizeof c);
    c.msix_vectors = msix;
    c.msix_table = msix != 0u ? f->msix : NULL;
    c.msix_pba = msix != 0u ? f->pba : NULL;
    c.intx_line = 11;
    c.notify_shared = shared;
    assert_int_equal(avps_pci_init(&f->pci, avps_rng_dev(&f->rng), &c), AVPS_OK);
    assert_int_equal(pd_probe(&f->d, &f->pci, MMIO_BASE), 0);
}

/* §3.1.1 / §4.1.5.1 for virtio-rng; with MSI-X the queue uses vector 0. */
static void pc_init(struct pcfix *f, uint64_t extra, bool msix)
{
    const uint64_t want = F_BIT(VERSION_1) | extra;

    assert_int_equal(pd_negotiate(&f->d, want), 0);
    assert_int_equal(f->d.features, want);
    if (msix)
        assert_int_equal(pd_msix_enable(&f->d, 1, MSI_ADDR, MSI_DATA), 0);
    assert_int_equal(rd_init(&f->q, &f->pp.g, false, 8, want, VQFIX_RING_GPA, VQFIX_HEAP_GPA,
                             VQFIX_MEM - VQFIX_HEAP_GPA),
                     0);
    f->qinit = true;
    assert_int_equal(pd_setup_queue(&f->d, 0, &f->q, msix ? 0 : NOV), 0);
    assert_int_equal(pd_driver_ok(&f->d), 0);
}

static void pc_teardown(struct pcfix *f)
{
    if (f->qinit)
        rd_fini(&f->q);
    pd_port_fini(&f->pp);
}

/* A device type PCI cannot present, or a layout avps_pci_init() refuses. */
static void cls_reset(struct avps_dev *d) { (void)d; }
static int cls_notify(struct avps_dev *d, uint16_t q) { (void)d; (void)q; return 0; }
static void cls_cfg_read(struct avps_dev *d, uint32_t off, void *buf, uint32_t len)
{
    (void)d;
    (void)off;
    memset(buf, 0, len);
}

static const struct avps_dev_class id64_class = {
    .device_id = 0x40, /* PCI device IDs 0x1040..0x107f name VIRTIO IDs 0..63 */
    .reset = cls_reset,
    .queue_notify = cls_notify,
};

static const struct avps_dev_class bigcfg_class = {
    .device_id = 1,
    .config_size = (1u << 24) + 1u,
    .reset = cls_reset,
    .queue_notify = cls_notify,
    .config_read = cls_cfg_read,
};

static const struct avps_dev_class noq_class = {
    .device_id = 1,
    .reset = cls_reset,
    .queue_notify = cls_notify,
};

/* avps_pci_init(): "AVPS_E_INVAL A NULL argument, ..., MSI-X vectors without
 * table or PBA storage, ..." and (§4.1.2) a device ID above 63, which has no
 * PCI device ID, or a configuration space the BAR layout cannot hold. */
static void test_pci_init_refuses_bad_config(void **st)
{
    static struct avps_posix_guest g;
    static struct avps_dev dev;
    static struct avps_pci pci;
    static struct avps_pci_msix_entry tbl[2];
    static uint64_t pba[1];
    struct avps_pci_cfg c;

    (void)st;
    avps_posix_init(&g);
    memset(&c, 0, sizeof c);
    assert_int_equal(avps_dev_init_(&dev, &noq_class, &g.host, NULL, 0, NULL), AVPS_OK);
    c.msix_vectors = 2;
    c.msix_pba = pba;
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_E_INVAL);
    c.msix_table = tbl;
    c.msix_pba = NULL;
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_E_INVAL);
    c.msix_pba = pba;
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_OK);

    memset(&c, 0, sizeof c);
    assert_int_equal(avps_dev_init_(&dev, &id64_class, &g.host, NULL, 0, NULL), AVPS_OK);
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_E_INVAL);
    assert_int_equal(avps_dev_init_(&dev, &bigcfg_class, &g.host, NULL, 0, NULL), AVPS_OK);
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_E_INVAL);
    assert_int_equal(avps_posix_report_total(&g), 0);
    avps_posix_fini(&g);
}

/* A device without queues: num_queues reads 0 (§4.1.4.3), the notify area
 * still exists (§4.1.4.4.1: cap.length at least 2) and any notification
 * there is refused and reported rather than reaching a queue. */
static void test_pci_device_without_queues(void **st)
{
    static struct pd_port pp;
    static struct avps_dev dev;
    static struct avps_pci pci;
    static struct pd_dev d;
    struct avps_pci_cfg c;

    (void)st;
    pd_port_init(&pp, true, true, false);
    assert_int_equal(avps_dev_init_(&dev, &noq_class, &pp.host, NULL, 0, NULL), AVPS_OK);
    memset(&c, 0, sizeof c);
    assert_int_equal(avps_pci_init(&pci, &dev, &c), AVPS_OK);
    assert_int_equal(pd_probe(&d, &pci, MMIO_BASE), 0);
    assert_int_equal(pd_cc_read(&d, 0x12, 2), 0); /* num_queues */
    assert_true(d.notify.found);
    assert_true(d.notify.length >= 2u);
    pd_set_status(&d, S_ACK | S_DRV);
    pd_mmio_write(&d, pd_cap_gpa(&d, &d.notify), 2, 0);
    assert_int_equal(d.last_rc, AVPS_E_GUEST_RANGE);
    assert_int_equal(pp.g.reports[AVPS_EV_DEV_REGISTER], 1);
    pd_port_fini(&pp);
}

/* §4.1.5.2: with VIRTIO_F_NOTIFICATION_DATA the driver writes the 32-bit
 * notification value; with a shared notify address (notify_off_multiplier
 * 0, §4.1.4.4.1) the value's vq_index names the queue. A 16-bit write is
 * refused then (§4.1.5.2.1) and a vq_index of no queue is refused by the
 * device core. */
static void test_4_1_5_2_shared_notify_with_notification_data(void **st)
{
    static struct pcfix f;
    struct rd_done done;
    uint64_t gpa;

    (void)st;
    pc_setup(&f, 0, true);
    assert_int_equal(f.d.notify_mult, 0);
    pc_init(&f, F_BIT(NOTIFICATION_DATA), false);
    gpa = pd_cap_gpa(&f.d, &f.d.notify);
    assert_true(rd_add_simple(&f.q, 0, 16, 0) >= 0);
    pd_notify(&f.d, 0);
    assert_int_equal(f.d.last_rc, AVPS_OK);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(done.len, 16);
    assert_true(rd_add_simple(&f.q, 0, 16, 0) >= 0);
    pd_mmio_write(&f.d, gpa, 2, 0);
    assert_int_equal(f.d.last_rc, AVPS_E_GUEST_RANGE);
    assert_int_equal(rd_get_used(&f.q, &done), 0);
    pd_mmio_write(&f.d, gpa, 4, 1u | (2u << 16)); /* vq_index 1: no such queue */
    assert_int_equal(f.d.last_rc, AVPS_E_GUEST_STATE);
    assert_int_equal(rd_get_used(&f.q, &done), 0);
    pd_notify(&f.d, 0);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    pc_teardown(&f);
}

/* avps_pci_cfg_read()/_write(): a pci_cfg_data access "whose window does not
 * name a virtio structure" is refused with AVPS_E_GUEST_RANGE: the MSI-X
 * table and PBA are PCI structures, not virtio ones (§4.1.4.9), so the
 * window cannot unmask an entry or read pending bits. */
static void test_pci_window_refuses_msix_and_pba(void **st)
{
    static struct pcfix f;
    uint64_t ctrl;

    (void)st;
    pc_setup(&f, 4, false);
    assert_true(f.d.msix_pos != 0u);
    pd_win_read(&f.d, f.d.msix_table_bar, f.d.msix_table_off + 12u, 4);
    assert_int_equal(f.d.last_rc, AVPS_E_GUEST_RANGE);
    pd_win_write(&f.d, f.d.msix_table_bar, f.d.msix_table_off + 12u, 4, 0);
    assert_int_equal(f.d.last_rc, AVPS_E_GUEST_RANGE);
    pd_win_read(&f.d, f.d.msix_pba_bar, f.d.msix_pba_off, 4);
    assert_int_equal(f.d.last_rc, AVPS_E_GUEST_RANGE);
    /* entry 0 is still masked, as initialised */
    ctrl = pd_mmio_read(&f.d, f.d.bar_base[f.d.msix_table_bar] + f.d.msix_table_off + 12u, 4);
    assert_int_equal(ctrl & AVPS_PCI_MSIX_ENTRY_MASKED, AVPS_PCI_MSIX_ENTRY_MASKED);
    pc_teardown(&f);
}

/* The port's set_level failing while the transport deasserts INTx is
 * returned by the access that moved the line, after the access itself took
 * effect: avps_pci_reset() ("<0 The port's set_level failed while
 * deasserting INTx (the reset itself is complete)"), an ISR read through the
 * BAR or the PCI_CFG window (the ISR is read and cleared), INTx Disable in
 * the Command register, and a device_status reset. */
static void test_pci_set_level_failure_returned(void **st)
{
    static struct pcfix f;
    uint64_t v;
    uint32_t cmd;

    (void)st;
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);

    /* ISR read through the BAR */
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    assert_int_equal(f.pp.intx_level, 1);
    fail_level = 1;
    assert_int_equal(avps_pci_bar_read(&f.pci, 0, f.d.isr.offset, 1, &v), AVPS_E_IO);
    assert_int_equal(v, AVPS_DEV_ISR_QUEUE);
    assert_int_equal(avps_dev_isr(avps_rng_dev(&f.rng)), 0);

    /* ISR read through the PCI_CFG window */
    pc_teardown(&f);
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    fail_level = 1;
    assert_int_equal(pd_win_read(&f.d, 0, f.d.isr.offset, 1), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f.d.last_rc, AVPS_E_IO);
    assert_int_equal(avps_dev_isr(avps_rng_dev(&f.rng)), 0);

    /* INTx Disable */
    pc_teardown(&f);
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    cmd = pd_cfg_read(&f.d, 4, 2);
    fail_level = 1;
    pd_cfg_write(&f.d, 4, 2, cmd | AVPS_PCI_CMD_INTX_DISABLE);
    assert_int_equal(f.d.last_rc, AVPS_E_IO);
    assert_int_equal(avps_pci_command(&f.pci) & AVPS_PCI_CMD_INTX_DISABLE,
                     AVPS_PCI_CMD_INTX_DISABLE);

    /* device_status reset through the common configuration */
    pc_teardown(&f);
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    fail_level = 1;
    pd_cc_write(&f.d, 0x14, 1, 0);
    assert_int_equal(f.d.last_rc, AVPS_E_IO);
    assert_int_equal(avps_dev_status(avps_rng_dev(&f.rng)), 0);

    /* function reset */
    pc_teardown(&f);
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    fail_level = 1;
    assert_int_equal(avps_pci_reset(&f.pci), AVPS_E_IO);
    assert_int_equal(avps_dev_status(avps_rng_dev(&f.rng)), 0);
    assert_int_equal(avps_pci_command(&f.pci), 0);
    pc_teardown(&f);
}

/* A port failure while INTx is asserted must not lose the interrupt: the
 * device still has ISR bit 0 set and the driver waits for the line
 * (§4.1.4.5.1, §4.1.5.3). Like virtio-mmio ("left low: the next event
 * retries", lib/transport/mmio.c), the next event has to drive the line
 * again. */
static void test_pci_intx_assert_retried_after_port_failure(void **st)
{
    static struct pcfix f;
    struct rd_done done;

    (void)st;
    pc_setup(&f, 0, false);
    pc_init(&f, 0, false);
    fail_level = 2; /* every attempt during this access fails */
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(avps_dev_isr(avps_rng_dev(&f.rng)), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(f.pp.intx_level, 0); /* the port refused to raise it */
    /* the port recovers; the next used buffer raises the line */
    fail_level = 0;
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    assert_int_equal(rd_get_used(&f.q, &done), 1);
    assert_int_equal(f.pp.intx_level, 1);
    pc_teardown(&f);
}

/* Unmasking an MSI-X entry sends the message it held pending; when the
 * port's inject_msi fails then, the BAR write returns the port's error. */
static void test_pci_msix_flush_failure_returned(void **st)
{
    static struct pcfix f;
    uint64_t tbl;

    (void)st;
    pc_setup(&f, 4, false);
    pc_init(&f, 0, true);
    tbl = f.d.bar_base[f.d.msix_table_bar] + f.d.msix_table_off;
    pd_msix_mask_entry(&f.d, 0, true);
    assert_true(rd_add_simple(&f.q, 0, 8, 0) >= 0);
    pd_notify(&f.d, 0);
    assert_int_equal(f.pp.msi_count, 0);
    assert_int_equal(pd_msix_pba(&f.d, 0) & 1u, 1u);
    fail_msi = 1;
    pd_mmio_write(&f.d, tbl + 12u, 4, 0); /* unmask entry 0 */
    assert_int_equal(f.d.last_rc, AVPS_E_IO);
    assert_int_equal(f.pp.msi_count, 0);
    pc_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmio_set_level_failure_retried),
        cmocka_unit_test(test_pci_init_refuses_bad_config),
        cmocka_unit_test(test_pci_device_without_queues),
        cmocka_unit_test(test_4_1_5_2_shared_notify_with_notification_data),
        cmocka_unit_test(test_pci_window_refuses_msix_and_pba),
        cmocka_unit_test(test_pci_set_level_failure_returned),
        cmocka_unit_test(test_pci_intx_assert_retried_after_port_failure),
        cmocka_unit_test(test_pci_msix_flush_failure_returned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

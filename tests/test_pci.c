/*
 * test_pci: the virtio-pci modern transport (VIRTIO 1.2 §4.1), driven by the
 * spec-written guest driver in tests/support/pcidrv.h over virtio-rng and a
 * small test device with a configuration space and three queues (one of them
 * unavailable). Test names carry the clause they check; section numbers are
 * those of the VIRTIO 1.2 PCI chapter (transport-pci.tex): 4.1.2.1 discovery,
 * 4.1.3.x device layout, 4.1.4.x capabilities and structures, 4.1.5.x
 * initialisation and operation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/pci.h>
#include <avps/rng.h>

#include "devices/dev_priv.h"
#include "pcidrv.h"
#include "ringdrv.h"

#define MEM (16ull << 20)
#define HEAP (8ull << 20)
#define HEAP_SLICE (2ull << 20)
#define MMIO_BASE 0x800000000ull /* above 4 GiB: the 64-bit BAR is really used */
#define MSI_ADDR 0xfee01000ull
#define MSI_DATA 0x4100u
#define INTX_LINE 11u
#define NOV AVPS_DEV_NO_VECTOR

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK
#define S_NR AVPS_VIRTIO_S_NEEDS_RESET
#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)

/* struct virtio_pci_common_cfg offsets (§4.1.4.3) */
#define CC_DFSELECT 0x00u
#define CC_DF 0x04u
#define CC_GFSELECT 0x08u
#define CC_GF 0x0cu
#define CC_MSIX_CONFIG 0x10u
#define CC_NUM_QUEUES 0x12u
#define CC_STATUS 0x14u
#define CC_GENERATION 0x15u
#define CC_Q_SELECT 0x16u
#define CC_Q_SIZE 0x18u
#define CC_Q_MSIX 0x1au
#define CC_Q_ENABLE 0x1cu
#define CC_Q_NOFF 0x1eu
#define CC_Q_DESC 0x20u
#define CC_Q_DRIVER 0x28u
#define CC_Q_DEVICE 0x30u
#define CC_Q_NDATA 0x38u
#define CC_Q_RESET 0x3au
#define CC_ADMIN_INDEX 0x3cu
#define CC_ADMIN_NUM 0x3eu

#define EV_REG AVPS_EV_DEV_REGISTER

/* ---- a deterministic entropy source: 0x00, 0x01, 0x02, ... -------------- */
struct counter_src {
    uint8_t next;
    bool dry; /* no entropy now: AVPS_E_AGAIN */
};

static int counter_fill(void *ctx, void *buf, uint32_t len)
{
    struct counter_src *c = ctx;
    uint8_t *b = buf;

    if (c->dry)
        return AVPS_E_AGAIN;
    for (uint32_t i = 0; i < len; i++)
        b[i] = c->next++;
    return (int)len;
}

/* ---- a test device: 12 bytes of configuration, queues 0 and 2 ---------- */
#define TDEV_ID 26u
#define TDEV_CFG_RO 0x11223344u

struct tdev {
    struct avps_dev dev;
    struct avps_dev_queue queue[3];
    struct avps_vq_slot slots[3][16];
    struct avps_vq_seg seg[8];
    struct avps_vq_req req;
    uint32_t notes[3];
    uint8_t cfg[12]; /* le32 read-only, le64 read-write */
    int resets;
};

static struct tdev *td_of(struct avps_dev *d) { return (struct tdev *)(void *)d; }

static void td_reset(struct avps_dev *d) { td_of(d)->resets++; }

static int td_notify(struct avps_dev *d, uint16_t q)
{
    struct tdev *t = td_of(d);
    struct avps_vq *vq = avps_dev_vq(d, q);
    int n = 0;

    t->notes[q]++;
    while (avps_vq_pop(vq, &t->req) == 1) {
        (void)avps_vq_push(vq, t->req.id, 0);
        n++;
    }
    if (n != 0)
        (void)avps_vq_notify(vq);
    return n;
}

static void td_cfg_read(struct avps_dev *d, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, td_of(d)->cfg + off, len);
}

static int td_cfg_write(struct avps_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    if (off < 4u)
        return AVPS_E_GUEST_REQ; /* the le32 is read-only */
    memcpy(td_of(d)->cfg + off, buf, len);
    return AVPS_OK;
}

static const struct avps_dev_class td_class = {
    .device_id = TDEV_ID,
    .config_size = 12,
    .features = 0,
    .reset = td_reset,
    .queue_notify = td_notify,
    .config_read = td_cfg_read,
    .config_write = td_cfg_write,
};

/* ---- fixture ------------------------------------------------------------ */
struct popts {
    bool tdev;         /* the test device instead of virtio-rng */
    uint16_t msix;     /* MSI-X vectors (0: no capability) */
    bool no_msi_op;    /* port without inject_msi */
    bool no_level_op;  /* port without set_level */
    bool lock;         /* port lock ops and a lock_ctx */
    uint32_t mult;
    bool shared;
    uint32_t class_code;
    uint8_t revision;
    uint16_t subsys_vendor, subsys_id;
};

struct pfix {
    struct pd_port pp; /* first */
    struct avps_rng rng;
    struct avps_vq_slot slots[16];
    struct counter_src src;
    struct avps_rng_backend be;
    struct tdev td;
    struct avps_dev *dev;
    struct avps_pci pci;
    struct avps_pci_msix_entry msix[64];
    uint64_t pba[AVPS_PCI_PBA_WORDS(64u)];
    struct pd_dev d;
    struct rd_queue q[3];
    bool qinit[3];
};

static const uint64_t ring_gpa[3] = {0x1000, 0x20000, 0x40000};

static int pf_dev_init(struct pfix *f, const struct popts *o)
{
    struct avps_dev_common_cfg cc;

    memset(&cc, 0, sizeof cc);
    cc.dev_id = 5;
    cc.lock_ctx = o->lock ? (void *)&f->pp : NULL;
    if (o->tdev) {
        struct tdev *t = &f->td;

        assert_int_equal(avps_dev_init_(&t->dev, &td_class, &f->pp.host, t->queue, 3, &cc),
                         AVPS_OK);
        assert_int_equal(avps_dev_queue_init_(&t->dev, 0, 8, t->slots[0], 16), AVPS_OK);
        assert_int_equal(avps_dev_queue_init_(&t->dev, 2, 16, t->slots[2], 16), AVPS_OK);
        t->req.seg = t->seg;
        t->req.seg_max = 8;
        t->cfg[0] = 0x44;
        t->cfg[1] = 0x33;
        t->cfg[2] = 0x22;
        t->cfg[3] = 0x11;
        f->dev = &t->dev;
    } else {
        struct avps_rng_cfg rc;

        memset(&rc, 0, sizeof rc);
        rc.common = cc;
        f->be.fill = counter_fill;
        f->be.ctx = &f->src;
        rc.backend = &f->be;
        rc.slots = f->slots;
        rc.num_slots = 16;
        rc.queue_size_max = 16;
        assert_int_equal(avps_rng_init(&f->rng, &f->pp.host, &rc), AVPS_OK);
        f->dev = avps_rng_dev(&f->rng);
    }
    return 0;
}

static struct avps_pci_cfg pf_cfg(struct pfix *f, const struct popts *o)
{
    struct avps_pci_cfg c;

    memset(&c, 0, sizeof c);
    c.msix_vectors = o->msix;
    c.msix_table = o->msix ? f->msix : NULL;
    c.msix_pba = o->msix ? f->pba : NULL;
    c.intx_line = INTX_LINE;
    c.notify_off_multiplier = o->mult;
    c.notify_shared = o->shared;
    c.class_code = o->class_code;
    c.revision = o->revision;
    c.subsys_vendor_id = o->subsys_vendor;
    c.subsys_id = o->subsys_id;
    return c;
}

static struct pfix *pf_new(const struct popts *o)
{
    struct pfix *f = calloc(1, sizeof *f);
    struct avps_pci_cfg c;

    assert_non_null(f);
    pd_port_init(&f->pp, !o->no_msi_op, !o->no_level_op, o->lock);
    assert_int_equal(avps_posix_add_region(&f->pp.g, 0, MEM), 0);
    pf_dev_init(f, o);
    c = pf_cfg(f, o);
    assert_int_equal(avps_pci_init(&f->pci, f->dev, &c), AVPS_OK);
    assert_int_equal(pd_probe(&f->d, &f->pci, MMIO_BASE), 0);
    return f;
}

static struct pfix *pf_rng(uint16_t msix)
{
    struct popts o;

    memset(&o, 0, sizeof o);
    o.msix = msix;
    return pf_new(&o);
}

static struct pfix *pf_tdev(uint16_t msix)
{
    struct popts o;

    memset(&o, 0, sizeof o);
    o.tdev = true;
    o.msix = msix;
    return pf_new(&o);
}

static void pf_free(struct pfix *f)
{
    for (unsigned int i = 0; i < 3; i++) {
        if (f->qinit[i])
            rd_fini(&f->q[i]);
    }
    pd_port_fini(&f->pp);
    free(f);
}

static struct rd_queue *pf_queue(struct pfix *f, unsigned int qi, bool packed, uint16_t size,
                                 uint64_t features)
{
    if (f->qinit[qi])
        rd_fini(&f->q[qi]);
    assert_int_equal(rd_init(&f->q[qi], &f->pp.g, packed, size, features, ring_gpa[qi],
                             HEAP + qi * HEAP_SLICE, HEAP_SLICE),
                     0);
    f->qinit[qi] = true;
    return &f->q[qi];
}

static uint64_t regs(struct pfix *f) { return f->pp.g.reports[EV_REG]; }

/* The full §3.1.1 / §4.1.5.1 sequence over PCI for virtio-rng. With MSI-X,
 * queue 0 uses vector 0 and configuration changes vector 1. */
static void pf_init_rng(struct pfix *f, bool packed, bool msix, uint64_t extra)
{
    const uint64_t want = F(VERSION_1) | (packed ? F(RING_PACKED) : 0) | extra;
    struct pd_dev *d = &f->d;

    assert_int_equal(pd_negotiate(d, want), 0);
    assert_int_equal(d->features, want);
    assert_int_equal(d->num_queues, 1);
    if (msix) {
        assert_int_equal(pd_msix_enable(d, 2, MSI_ADDR, MSI_DATA), 0);
        assert_int_equal(pd_set_config_vector(d, 1), 1);
    }
    pf_queue(f, 0, packed, 8, want);
    assert_int_equal(pd_setup_queue(d, 0, &f->q[0], msix ? 0 : NOV), 0);
    assert_int_equal(pd_driver_ok(d), 0);
    assert_int_equal(pd_status(d), S_ACK | S_DRV | S_FOK | S_DOK);
}

/* One entropy request: a 32-byte writable buffer. Returns its gpa. */
static uint64_t pf_rng_request(struct pfix *f, uint32_t len)
{
    struct rd_queue *q = &f->q[0];
    struct rd_buf b;

    b.gpa = rd_alloc(q, len);
    b.len = len;
    b.write = true;
    assert_true(b.gpa != 0);
    rd_fill(q, b.gpa, 0xee, len);
    assert_true(rd_add(q, &b, 1, 0) >= 0);
    return b.gpa;
}

static void pf_tdev_init(struct pfix *f, bool msix, uint64_t extra)
{
    const uint64_t want = F(VERSION_1) | extra;
    struct pd_dev *d = &f->d;

    assert_int_equal(pd_negotiate(d, want), 0);
    if (msix) {
        assert_int_equal(pd_msix_enable(d, 3, MSI_ADDR, MSI_DATA), 0);
        assert_int_equal(pd_set_config_vector(d, 2), 2);
    }
    pf_queue(f, 0, false, 8, want);
    pf_queue(f, 2, false, 16, want);
    assert_int_equal(pd_setup_queue(d, 0, &f->q[0], msix ? 0 : NOV), 0);
    assert_int_equal(pd_setup_queue(d, 2, &f->q[2], msix ? 1 : NOV), 0);
    assert_int_equal(pd_driver_ok(d), 0);
}

/* Raw common cfg access returning the rc. */
static int cc_rd(struct pfix *f, uint32_t off, unsigned int size, uint64_t *v)
{
    return avps_pci_bar_read(&f->pci, 0, f->d.common.offset + off, size, v);
}

static int cc_wr(struct pfix *f, uint32_t off, unsigned int size, uint64_t v)
{
    return avps_pci_bar_write(&f->pci, 0, f->d.common.offset + off, size, v);
}

static uint64_t cc_get(struct pfix *f, uint32_t off, unsigned int size)
{
    uint64_t v = 0;

    assert_int_equal(cc_rd(f, off, size, &v), AVPS_OK);
    return v;
}

/* ======================================================================== */
/* §4.1.5.1: the driver initialisation sequence, both layouts, both interrupts */

static void init_sequence(bool packed, bool msix)
{
    struct pfix *f = pf_rng(msix ? 2 : 0);
    struct pd_dev *d = &f->d;
    uint8_t expect = 0;

    pf_init_rng(f, packed, msix, 0);
    /* 20 requests: the 8-entry ring wraps twice. */
    for (unsigned int i = 0; i < 20; i++) {
        const uint64_t gpa = pf_rng_request(f, 32);
        const uint8_t *mem;
        struct rd_done done;

        pd_notify(d, 0);
        assert_int_equal(d->last_rc, AVPS_OK);
        assert_int_equal(rd_get_used(&f->q[0], &done), 1);
        assert_int_equal(done.len, 32);
        mem = avps_posix_ptr(&f->pp.g, gpa, 32);
        for (unsigned int k = 0; k < 32; k++)
            assert_int_equal(mem[k], (uint8_t)(expect + k));
        expect = (uint8_t)(expect + 32);
        if (msix) {
            assert_int_equal(f->pp.msi_count, i + 1);
            assert_int_equal(f->pp.last_msi_addr, MSI_ADDR);
            assert_int_equal(f->pp.last_msi_data, MSI_DATA + 0);
            assert_int_equal(f->pp.last_msi_vector, 0);
            assert_int_equal(f->pp.intx_rises, 0);
        } else {
            assert_int_equal(f->pp.intx_level, 1);
            assert_int_equal(f->pp.last_intx_line, INTX_LINE);
            assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0x8u);
            assert_int_equal(pd_isr(d), AVPS_DEV_ISR_QUEUE);
            assert_int_equal(f->pp.intx_level, 0);
            assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0);
            assert_int_equal(f->pp.intx_rises, i + 1);
            assert_int_equal(f->pp.msi_count, 0);
        }
    }
    assert_int_equal(avps_rng_bytes(&f->rng), 20 * 32);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    assert_int_equal(avps_posix_report_total(&f->pp.g), 0);
    assert_int_equal(d->errors, 0);
    pf_free(f);
}

static void test_4_1_5_1_init_sequence_rng_split_msix(void **s) { (void)s; init_sequence(false, true); }
static void test_4_1_5_1_init_sequence_rng_packed_msix(void **s) { (void)s; init_sequence(true, true); }
static void test_4_1_5_1_init_sequence_rng_split_intx(void **s) { (void)s; init_sequence(false, false); }
static void test_4_1_5_1_init_sequence_rng_packed_intx(void **s) { (void)s; init_sequence(true, false); }

/* Without inject_msi the port's inject(vector) carries the message; without
 * set_level, inject(line) marks each rising edge. */
static void test_4_1_5_3_interrupt_fallback_ops(void **s)
{
    struct popts o;
    struct pfix *f;

    (void)s;
    memset(&o, 0, sizeof o);
    o.msix = 2;
    o.no_msi_op = true;
    o.no_level_op = true;
    f = pf_new(&o);
    pf_init_rng(f, false, true, 0);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(f->pp.g.irq_by_vector[0], 1);
    /* MSI-X off: INTx through inject(line), once per rising edge. */
    pd_msix_disable(&f->d);
    assert_int_equal(f->pp.g.irq_by_vector[INTX_LINE], 1); /* the ISR bit was still set */
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.g.irq_by_vector[INTX_LINE], 1); /* line still high: no new edge */
    assert_int_equal(pd_isr(&f->d), AVPS_DEV_ISR_QUEUE);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.g.irq_by_vector[INTX_LINE], 2);
    pf_free(f);
}

/* ======================================================================== */
/* §4.1.1: a PCI function that meets the PCI specification */

static void test_4_1_1_type0_header(void **s)
{
    struct pfix *f = pf_rng(2);
    struct pd_dev *d = &f->d;
    uint32_t v;

    (void)s;
    assert_int_equal(pd_cfg_read(d, 0x0e, 1), 0x00);         /* header type 0, single function */
    assert_int_equal(pd_cfg_read(d, 0x0f, 1), 0x00);         /* no BIST */
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x10u, 0x10); /* capabilities list */
    assert_int_equal(pd_cfg_read(d, 0x3d, 1), 1);            /* INTA# */
    v = pd_cfg_read(d, 0x34, 1);
    assert_true(v >= 0x40 && (v & 3u) == 0);
    /* Command: only the implemented bits stick. */
    pd_cfg_write(d, 0x04, 2, 0xffff);
    assert_int_equal(pd_cfg_read(d, 0x04, 2),
                     AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER | AVPS_PCI_CMD_INTX_DISABLE);
    assert_int_equal(avps_pci_command(&f->pci), 0x0406);
    /* Interrupt Line is a read-write scratch register. */
    pd_cfg_write(d, 0x3c, 1, 0x0b);
    assert_int_equal(pd_cfg_read(d, 0x3c, 1), 0x0b);
    assert_int_equal(pd_cfg_read(d, 0x3d, 1), 1);
    /* Read-only registers ignore writes silently, as PCI prescribes. */
    assert_int_equal(avps_pci_cfg_write(&f->pci, 0x00, 4, 0xdeadbeef), AVPS_OK);
    assert_int_equal(pd_cfg_read(d, 0x00, 2), 0x1af4);
    assert_int_equal(avps_pci_cfg_write(&f->pci, 0x06, 2, 0xffff), AVPS_OK); /* RW1C: nothing set */
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & ~0x18u, 0);
    /* BAR2..BAR5 and the expansion ROM are not implemented. */
    for (uint32_t reg = 0x18; reg <= 0x24; reg += 4) {
        pd_cfg_write(d, reg, 4, 0xffffffff);
        assert_int_equal(pd_cfg_read(d, reg, 4), 0);
    }
    pd_cfg_write(d, 0x30, 4, 0xffffffff);
    assert_int_equal(pd_cfg_read(d, 0x30, 4), 0);
    /* The PCIe extended space reads 0 (no extended capability). */
    for (uint32_t off = 0x100; off < 0x1000; off += 4)
        assert_int_equal(pd_cfg_read(d, off, 4), 0);
    assert_int_equal(regs(f), 0);
    /* Beyond 4 KiB, odd sizes and dword-crossing accesses are refused. */
    assert_int_equal(avps_pci_cfg_read(&f->pci, 0x1000, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(v, 0);
    assert_int_equal(avps_pci_cfg_read(&f->pci, 0x00, 3, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_cfg_read(&f->pci, 0x02, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_cfg_write(&f->pci, 0x03, 2, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_cfg_read(&f->pci, 0x00, 8, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(regs(f), 5);
    assert_int_equal(f->pp.g.last_report_a & AVPS_PCI_REPORT_CFG, AVPS_PCI_REPORT_CFG);
    /* Sub-dword reads assemble from the same registers. */
    assert_int_equal(pd_cfg_read(d, 0x01, 1), 0x1a);
    assert_int_equal(pd_cfg_read(d, 0x02, 2), 0x1044);
    pf_free(f);
}

/* The 64-bit memory BAR and the standard sizing protocol. */
static void test_4_1_1_bar_sizing_64bit(void **s)
{
    struct pfix *f = pf_rng(2);
    const uint64_t size = avps_pci_bar_size(&f->pci, 0);
    uint64_t v;

    (void)s;
    assert_true(size >= 0x1000 && (size & (size - 1)) == 0);
    assert_int_equal(avps_pci_bar_size(&f->pci, 1), 0);
    for (unsigned int b = 1; b < 6; b++)
        assert_int_equal(avps_pci_bar_addr(&f->pci, b), 0);
    /* The driver placed it where pd_probe chose, above 4 GiB. */
    assert_int_equal(f->d.bar_size[0], size);
    assert_true(f->d.bar_mem64[0]);
    assert_int_equal(avps_pci_bar_addr(&f->pci, 0), MMIO_BASE);
    assert_int_equal(pd_cfg_read(&f->d, 0x10, 4), (uint32_t)MMIO_BASE | 0x4u);
    assert_int_equal(pd_cfg_read(&f->d, 0x14, 4), (uint32_t)(MMIO_BASE >> 32));
    /* Sizing: all ones reads back the size mask with the type bits. */
    pd_cfg_write(&f->d, 0x10, 4, 0xffffffff);
    assert_int_equal(pd_cfg_read(&f->d, 0x10, 4), ((uint32_t)~(size - 1) & 0xfffffff0u) | 0x4u);
    pd_cfg_write(&f->d, 0x14, 4, 0xffffffff);
    assert_int_equal(pd_cfg_read(&f->d, 0x14, 4), 0xffffffffu);
    /* Address bits below the size are hardwired to 0; byte writes merge. */
    pd_cfg_write(&f->d, 0x10, 4, 0x12345678);
    assert_int_equal(pd_cfg_read(&f->d, 0x10, 4), (0x12345678u & (uint32_t)~(size - 1)) | 0x4u);
    pd_cfg_write(&f->d, 0x14, 4, 0x1);
    pd_cfg_write(&f->d, 0x10, 4, 0xa0000000);
    pd_cfg_write(&f->d, 0x13, 1, 0xb0);
    assert_int_equal(avps_pci_bar_addr(&f->pci, 0), 0x1b0000000ull);
    /* Memory Space off: not decoded. */
    pd_cfg_write(&f->d, 0x04, 2, AVPS_PCI_CMD_BUS_MASTER);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, f->d.common.offset + CC_NUM_QUEUES, 2, &v),
                     AVPS_E_GUEST_STATE);
    assert_int_equal(v, 0xffff);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, CC_STATUS, 1, S_ACK), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(f->dev), 0);
    pd_cfg_write(&f->d, 0x04, 2, AVPS_PCI_CMD_BUS_MASTER | AVPS_PCI_CMD_MEMORY);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, f->d.common.offset + CC_NUM_QUEUES, 2, &v),
                     AVPS_OK);
    assert_int_equal(v, 1);
    /* A BAR that is not implemented is the hypervisor's mistake. */
    assert_int_equal(avps_pci_bar_read(&f->pci, 2, 0, 4, &v), AVPS_E_INVAL);
    assert_int_equal(avps_pci_bar_write(&f->pci, 6, 0, 4, 0), AVPS_E_INVAL);
    pf_free(f);
}

/* A PCI function reset returns everything to its power-on state. */
static void test_4_1_1_function_reset(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    assert_int_equal(avps_pci_reset(&f->pci), AVPS_OK);
    assert_int_equal(avps_pci_command(&f->pci), 0);
    assert_int_equal(avps_pci_bar_addr(&f->pci, 0), 0);
    assert_int_equal(avps_dev_status(f->dev), 0);
    assert_int_equal(pd_cfg_read(&f->d, f->d.msix_pos + 2u, 2) & 0xc000u, 0);
    for (unsigned int i = 0; i < 2; i++)
        assert_int_equal(f->msix[i].ctrl, AVPS_PCI_MSIX_ENTRY_MASKED);
    /* The driver can probe and initialise again. */
    assert_int_equal(pd_probe(&f->d, &f->pci, MMIO_BASE), 0);
    pf_init_rng(f, false, true, 0);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.msi_count, 1);
    pf_free(f);
}

/* ======================================================================== */
/* §4.1.2.1 PCI device discovery */

static void test_4_1_2_1_device_id(void **s)
{
    struct pfix *f = pf_rng(0);
    struct pfix *t = pf_tdev(0);

    (void)s;
    assert_int_equal(f->d.vendor_id, 0x1af4);
    assert_int_equal(f->d.device_id, 0x1040 + AVPS_VIRTIO_ID_RNG);
    assert_int_equal(t->d.vendor_id, 0x1af4);
    assert_int_equal(t->d.device_id, 0x1040 + TDEV_ID);
    pf_free(f);
    pf_free(t);
}

static void test_4_1_2_1_revision_subsystem_class(void **s)
{
    struct pfix *f = pf_rng(0);
    struct popts o;
    struct pfix *g;

    (void)s;
    /* Defaults: revision 1 (non-transitional), subsystem ID >= 0x40, class "other". */
    assert_int_equal(f->d.revision, 1);
    assert_int_equal(f->d.subsys_vendor, 0x1af4);
    assert_true(f->d.subsys_id >= 0x40);
    assert_int_equal(f->d.class_code, AVPS_PCI_CLASS_OTHER);
    memset(&o, 0, sizeof o);
    o.class_code = 0x020000;
    o.revision = 3;
    o.subsys_vendor = 0x1234;
    o.subsys_id = 0x5678;
    g = pf_new(&o);
    assert_int_equal(g->d.revision, 3);
    assert_int_equal(g->d.class_code, 0x020000);
    assert_int_equal(g->d.subsys_vendor, 0x1234);
    assert_int_equal(g->d.subsys_id, 0x5678);
    pf_free(f);
    pf_free(g);
}

/* ======================================================================== */
/* §4.1.3 device layout: widths, 64-bit halves */

struct field {
    uint32_t off;
    unsigned int size;
};

static const struct field cc_fields[] = {
    {CC_DFSELECT, 4}, {CC_DF, 4},          {CC_GFSELECT, 4},    {CC_GF, 4},
    {CC_MSIX_CONFIG, 2}, {CC_NUM_QUEUES, 2}, {CC_STATUS, 1},    {CC_GENERATION, 1},
    {CC_Q_SELECT, 2}, {CC_Q_SIZE, 2},      {CC_Q_MSIX, 2},      {CC_Q_ENABLE, 2},
    {CC_Q_NOFF, 2},   {CC_Q_DESC, 8},      {CC_Q_DRIVER, 8},    {CC_Q_DEVICE, 8},
    {CC_Q_NDATA, 2},  {CC_Q_RESET, 2},     {CC_ADMIN_INDEX, 2}, {CC_ADMIN_NUM, 2},
};

/* §4.1.3.1: natural widths work; any other width at a field is refused,
 * reads 0 and is reported. */
static void test_4_1_3_1_common_cfg_access_widths(void **s)
{
    struct pfix *f = pf_rng(2);
    const unsigned int sizes[] = {1, 2, 4, 8};

    (void)s;
    for (size_t i = 0; i < sizeof cc_fields / sizeof cc_fields[0]; i++) {
        const struct field *fl = &cc_fields[i];
        uint64_t v;

        assert_int_equal(cc_rd(f, fl->off, fl->size, &v), AVPS_OK);
        for (size_t k = 0; k < 4; k++) {
            const unsigned int sz = sizes[k];
            uint64_t before = regs(f);
            int rc;

            if (sz == fl->size || (fl->size == 8 && sz == 4) || fl->off % sz != 0)
                continue;
            v = 0x1234;
            rc = cc_rd(f, fl->off, sz, &v);
            assert_int_equal(rc, AVPS_E_GUEST_RANGE);
            assert_int_equal(v, 0);
            rc = cc_wr(f, fl->off, sz, 0);
            assert_int_equal(rc, AVPS_E_GUEST_RANGE);
            assert_int_equal(regs(f), before + 2);
        }
    }
    /* A 2-byte write over device_status and config_generation changes nothing. */
    assert_int_equal(cc_wr(f, CC_STATUS, 2, S_ACK), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_dev_status(f->dev), 0);
    /* Unaligned BAR accesses and odd sizes. */
    assert_int_equal(cc_wr(f, CC_Q_SELECT + 1, 2, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(cc_wr(f, CC_DF, 3, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(cc_wr(f, CC_DF, 16, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(cc_wr(f, CC_DF, 0, 0), AVPS_E_GUEST_RANGE);
    /* The padding after the structure. */
    assert_int_equal(cc_wr(f, 0x40, 4, 0), AVPS_E_GUEST_RANGE);
    pf_free(f);
}

/* §4.1.3.2: independent access to the two halves of 64-bit fields. */
static void test_4_1_3_2_64bit_fields_halves(void **s)
{
    struct pfix *f = pf_rng(0);
    const uint32_t offs[3] = {CC_Q_DESC, CC_Q_DRIVER, CC_Q_DEVICE};
    const enum avps_dev_area areas[3] = {AVPS_DEV_AREA_DESC, AVPS_DEV_AREA_DRIVER,
                                         AVPS_DEV_AREA_DEVICE};

    (void)s;
    assert_int_equal(cc_wr(f, CC_Q_SELECT, 2, 0), AVPS_OK);
    for (unsigned int i = 0; i < 3; i++) {
        const uint32_t o = offs[i];

        assert_int_equal(cc_wr(f, o, 4, 0x11112222), AVPS_OK); /* low only */
        assert_int_equal(avps_dev_queue_addr(f->dev, 0, areas[i]), 0x11112222ull);
        assert_int_equal(cc_wr(f, o + 4, 4, 0x3), AVPS_OK);    /* high only */
        assert_int_equal(avps_dev_queue_addr(f->dev, 0, areas[i]), 0x311112222ull);
        assert_int_equal(cc_wr(f, o, 4, 0x44440000), AVPS_OK); /* low keeps high */
        assert_int_equal(cc_get(f, o, 4), 0x44440000);
        assert_int_equal(cc_get(f, o + 4, 4), 0x3);
        assert_int_equal(cc_get(f, o, 8), 0x344440000ull);
        assert_int_equal(cc_wr(f, o, 8, 0x0000000512345670ull), AVPS_OK); /* whole */
        assert_int_equal(cc_get(f, o + 4, 4), 0x5);
        assert_int_equal(cc_get(f, o, 4), 0x12345670);
    }
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    pf_free(f);
}

/* ======================================================================== */
/* §4.1.4 capabilities */

/* §4.1.4.2: cap_len covers the capability and its extra data; each structure
 * lies inside its BAR. Also §4.1.4.3.1 / §4.1.4.4.1 / §4.1.4.5.1 /
 * §4.1.4.9.1: at least one of each required capability. */
static void test_4_1_4_2_capability_structures(void **s)
{
    struct pfix *f = pf_tdev(4);
    struct pd_dev *d = &f->d;
    const uint64_t size = avps_pci_bar_size(&f->pci, 0);
    const struct pd_cap *caps[5] = {&d->common, &d->notify, &d->isr, &d->device, &d->pcicfg};

    (void)s;
    for (unsigned int i = 0; i < 5; i++) {
        const struct pd_cap *c = caps[i];

        assert_true(c->found);
        assert_true(c->pos >= 0x40 && (c->pos & 3u) == 0);
        assert_int_equal(pd_cfg_read(d, c->pos, 1), 0x09);
        assert_int_equal(pd_cfg_read(d, c->pos + 3u, 1), i + 1); /* cfg_type */
        if (c == &d->pcicfg)
            continue; /* its bar/offset/length are the window, not a location */
        assert_int_equal(c->bar, 0);
        assert_true(c->length != 0 && c->offset < size && c->length <= size - c->offset);
    }
    assert_int_equal(d->common.cap_len, 16);
    assert_int_equal(d->isr.cap_len, 16);
    assert_int_equal(d->device.cap_len, 16);
    assert_int_equal(d->notify.cap_len, 20);  /* + notify_off_multiplier */
    assert_int_equal(d->pcicfg.cap_len, 20);  /* + pci_cfg_data */
    assert_int_equal(pd_cfg_read(d, d->msix_pos, 1), 0x11);
    assert_int_equal(d->ncaps, 6);
    assert_true(d->isr.length >= 1);
    assert_int_equal(d->common.length, 0x40);
    pf_free(f);
}

/* §4.1.4.1: the driver MUST NOT write the capability structures (except
 * PCI_CFG's window fields): refused, reported, unchanged. */
static void test_4_1_4_1_capability_fields_read_only(void **s)
{
    struct pfix *f = pf_rng(2);
    struct pd_dev *d = &f->d;
    const uint32_t off = pd_cfg_read(d, d->common.pos + 8u, 4);

    (void)s;
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->common.pos + 8u, 4, 0x800), AVPS_E_GUEST_STATE);
    assert_int_equal(pd_cfg_read(d, d->common.pos + 8u, 4), off);
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->notify.pos + 16u, 4, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(pd_cfg_read(d, d->notify.pos + 16u, 4), 4);
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->isr.pos, 1, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->pcicfg.pos + 5u, 1, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(regs(f), 4);
    /* The MSI-X table location is read-only too (silently, it is not ours). */
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->msix_pos + 4u, 4, 0), AVPS_OK);
    assert_int_equal(pd_cfg_read(d, d->msix_pos + 4u, 4), d->msix_table_off);
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->msix_pos + 2u, 2, 0x3ff), AVPS_OK);
    assert_int_equal(pd_cfg_read(d, d->msix_pos + 2u, 2), 1); /* table size field kept */
    pf_free(f);
}

/* §4.1.4.3.1: the common configuration capability, offset 4-byte aligned. */
static void test_4_1_4_3_1_common_cfg_capability(void **s)
{
    struct pfix *f = pf_rng(0);

    (void)s;
    assert_true(f->d.common.found);
    assert_int_equal(f->d.common.offset % 4, 0);
    assert_true(f->d.common.length >= 0x38);
    assert_int_equal(cc_get(f, CC_NUM_QUEUES, 2), 1);
    pf_free(f);
}

/* §4.1.4.3.1: device_feature shows bits [32*select, 32*select+31]; 0
 * beyond 63. */
static void test_4_1_4_3_1_device_feature_select(void **s)
{
    struct pfix *f = pf_rng(0);
    const uint64_t offered = avps_dev_offered_features(f->dev);
    const uint32_t sels[] = {2, 3, 0x80000000u, 0xffffffffu};

    (void)s;
    assert_int_equal(cc_wr(f, CC_DFSELECT, 4, 0), AVPS_OK);
    assert_int_equal(cc_get(f, CC_DF, 4), (uint32_t)offered);
    assert_int_equal(cc_wr(f, CC_DFSELECT, 4, 1), AVPS_OK);
    assert_int_equal(cc_get(f, CC_DF, 4), (uint32_t)(offered >> 32));
    assert_int_equal(cc_get(f, CC_DFSELECT, 4), 1);
    /* Transport features: NOTIFICATION_DATA and RING_RESET; and VERSION_1. */
    assert_true(offered & F(VERSION_1));
    assert_true(offered & F(NOTIFICATION_DATA));
    assert_true(offered & F(RING_RESET));
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        assert_int_equal(cc_wr(f, CC_DFSELECT, 4, sels[i]), AVPS_OK);
        assert_int_equal(cc_get(f, CC_DF, 4), 0);
    }
    assert_int_equal(regs(f), 0);
    pf_free(f);
}

/* §4.1.4.3.1: driver_feature presents the bits written, per select; a select
 * beyond 1 holds nothing (a nonzero write is refused). */
static void test_4_1_4_3_1_driver_feature_readback(void **s)
{
    struct pfix *f = pf_rng(0);

    (void)s;
    pd_set_status(&f->d, S_ACK);
    pd_set_status(&f->d, S_ACK | S_DRV);
    assert_int_equal(cc_wr(f, CC_GFSELECT, 4, 0), AVPS_OK);
    assert_int_equal(cc_wr(f, CC_GF, 4, 0x30000000), AVPS_OK);
    assert_int_equal(cc_wr(f, CC_GFSELECT, 4, 1), AVPS_OK);
    assert_int_equal(cc_wr(f, CC_GF, 4, 0x1), AVPS_OK);
    assert_int_equal(cc_get(f, CC_GF, 4), 1);
    assert_int_equal(cc_wr(f, CC_GFSELECT, 4, 0), AVPS_OK);
    assert_int_equal(cc_get(f, CC_GF, 4), 0x30000000);
    assert_int_equal(cc_wr(f, CC_GFSELECT, 4, 7), AVPS_OK);
    assert_int_equal(cc_get(f, CC_GFSELECT, 4), 7);
    assert_int_equal(cc_wr(f, CC_GF, 4, 0x5), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_GF, 4), 0);
    assert_int_equal(cc_wr(f, CC_GF, 4, 0), AVPS_OK);
    assert_int_equal(f->pp.g.reports[AVPS_EV_DEV_FEATURES], 1);
    pf_free(f);
}

/* §3.1.1 / §2.2.2: FEATURES_OK is refused for an unacceptable set and reads back
 * clear; features are frozen after FEATURES_OK. */
static void test_4_1_4_3_1_features_ok_refused(void **s)
{
    struct pfix *f = pf_rng(0);
    struct pd_dev *d = &f->d;

    (void)s;
    pd_set_status(d, S_ACK);
    pd_set_status(d, S_ACK | S_DRV);
    /* bit 50 is not offered */
    cc_wr(f, CC_GFSELECT, 4, 1);
    cc_wr(f, CC_GF, 4, (uint32_t)((F(VERSION_1) | (1ull << 50)) >> 32));
    pd_set_status(d, S_ACK | S_DRV | S_FOK);
    assert_int_equal(d->last_rc, AVPS_E_GUEST_STATE);
    assert_int_equal(pd_status(d) & S_FOK, 0);
    /* without VERSION_1 */
    cc_wr(f, CC_GF, 4, 0);
    pd_set_status(d, S_ACK | S_DRV | S_FOK);
    assert_int_equal(pd_status(d) & S_FOK, 0);
    /* queue_enable before FEATURES_OK is refused */
    cc_wr(f, CC_Q_SELECT, 2, 0);
    assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 0);
    /* A good set sticks; afterwards driver_feature is frozen. */
    cc_wr(f, CC_GF, 4, 1);
    pd_set_status(d, S_ACK | S_DRV | S_FOK);
    assert_int_equal(pd_status(d), S_ACK | S_DRV | S_FOK);
    assert_int_equal(cc_wr(f, CC_GF, 4, 5), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_GF, 4), 1);
    assert_int_equal(avps_dev_features(f->dev), F(VERSION_1));
    /* A status write that clears a bit is refused (§2.1.1). */
    pd_set_status(d, S_ACK);
    assert_int_equal(d->last_rc, AVPS_E_GUEST_STATE);
    assert_int_equal(pd_status(d), S_ACK | S_DRV | S_FOK);
    pf_free(f);
}

/* §4.1.4.3.1: config_generation changes after a configuration change the
 * driver could have read; a wrap of the 8-bit field cannot hide changes. */
static void test_4_1_4_3_1_config_generation(void **s)
{
    struct pfix *f = pf_tdev(0);
    uint64_t g0, g1;

    (void)s;
    g0 = cc_get(f, CC_GENERATION, 1);
    assert_int_equal(cc_get(f, CC_GENERATION, 1), g0); /* stable without change */
    avps_dev_config_changed(f->dev);
    g1 = cc_get(f, CC_GENERATION, 1);
    assert_true(g1 != g0);
    for (unsigned int n = 1; n <= 512; n++) {
        for (unsigned int k = 0; k < n; k += 64) /* 1, 65, 129, ... changes */
            avps_dev_config_changed(f->dev);
        if (n == 256 || n == 512) {
            for (unsigned int k = 0; k < 255; k++)
                avps_dev_config_changed(f->dev);
        }
        g0 = g1;
        g1 = cc_get(f, CC_GENERATION, 1);
        assert_true(g1 != g0);
    }
    assert_int_equal(cc_wr(f, CC_GENERATION, 1, g1 + 1), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_GENERATION, 1), g1);
    /* pd_config_read's generation loop sees a consistent value. */
    assert_int_equal(pd_config_read(&f->d, 0, 4), TDEV_CFG_RO);
    pf_free(f);
}

/* §4.1.4.3.1: writing 0 to device_status resets the device, which then
 * presents 0; queue_enable reads 0 and every field is back at its default. */
static void test_4_1_4_3_1_reset_presents_zero(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 1);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 8);
    assert_int_equal(pd_reset(&f->d), 0);
    assert_int_equal(pd_status(&f->d), 0);
    assert_int_equal(cc_get(f, CC_Q_SELECT, 2), 0);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 0);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 16); /* the maximum again */
    assert_int_equal(cc_get(f, CC_Q_DESC, 8), 0);
    assert_int_equal(cc_get(f, CC_Q_RESET, 2), 0);
    assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
    assert_int_equal(cc_get(f, CC_MSIX_CONFIG, 2), NOV);
    cc_wr(f, CC_GFSELECT, 4, 1);
    assert_int_equal(cc_get(f, CC_GF, 4), 0);
    assert_int_equal(avps_dev_features(f->dev), 0);
    /* §2.4.1: no notifications after the reset: a late kick does nothing. */
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.msi_count, 0);
    pf_free(f);
}

/* §4.1.4.3.1 and §2.6.1: queue_reset with VIRTIO_F_RING_RESET. */
static void test_4_1_4_3_1_queue_reset(void **s)
{
    struct pfix *f = pf_rng(2);
    struct rd_done done;
    uint64_t bytes;

    (void)s;
    assert_int_equal(cc_get(f, CC_Q_RESET, 2), 0); /* 0 on reset */
    pf_init_rng(f, false, true, F(RING_RESET));
    assert_int_equal(cc_get(f, CC_Q_RESET, 2), 0); /* 0 after enable */
    pf_rng_request(f, 16);
    pd_notify(&f->d, 0);
    assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    /* Reset the queue: complete at once, queue_enable and queue_reset read 0. */
    assert_int_equal(cc_wr(f, CC_Q_RESET, 2, 1), AVPS_OK);
    assert_int_equal(cc_get(f, CC_Q_RESET, 2), 0);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 0);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 16);
    /* The device executes nothing from a reset queue. */
    bytes = avps_rng_bytes(&f->rng);
    pf_rng_request(f, 16);
    pd_notify(&f->d, 0);
    assert_int_equal(avps_rng_bytes(&f->rng), bytes);
    /* Re-enable with other parameters (§2.6.1.2): a 4-entry ring elsewhere. */
    pf_queue(f, 0, false, 4, F(VERSION_1) | F(RING_RESET));
    assert_int_equal(pd_setup_queue(&f->d, 0, &f->q[0], 0), 0);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 4);
    pf_rng_request(f, 16);
    pd_notify(&f->d, 0);
    assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    assert_int_equal(done.len, 16);
    /* Values other than 1 mean nothing. */
    assert_int_equal(cc_wr(f, CC_Q_RESET, 2, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_wr(f, CC_Q_RESET, 2, 2), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 1);
    pf_free(f);
}

/* §2.6.1.1 through queue_reset: "After a queue has been reset by the driver,
 * the device MUST NOT execute any requests from that virtqueue". A request
 * virtio-rng took and parked (its backend had no entropy) must be forgotten
 * with the queue (the device class's queue_reset hook), not filled into the
 * old buffer and pushed into the new ring later. */
static void test_2_6_1_queue_reset_forgets_parked_request(void **s)
{
    struct pfix *f = pf_rng(2);
    struct rd_done done;
    uint64_t old_gpa;
    const uint8_t *old;

    (void)s;
    pf_init_rng(f, false, true, F(RING_RESET));
    f->src.dry = true;
    old_gpa = pf_rng_request(f, 32);
    pd_notify(&f->d, 0); /* taken, parked: no entropy */
    assert_int_equal(avps_rng_bytes(&f->rng), 0);
    assert_int_equal(cc_wr(f, CC_Q_RESET, 2, 1), AVPS_OK);
    /* The driver owns the old buffer again; it sets up a new ring elsewhere. */
    f->src.dry = false;
    pf_queue(f, 1, false, 8, F(VERSION_1) | F(RING_RESET));
    assert_int_equal(pd_setup_queue(&f->d, 0, &f->q[1], 0), 0);
    f->d.q[0] = &f->q[1];
    {
        struct rd_buf b;

        b.gpa = rd_alloc(&f->q[1], 16);
        b.len = 16;
        b.write = true;
        assert_true(rd_add(&f->q[1], &b, 1, 0) >= 0);
    }
    pd_notify(&f->d, 0);
    old = avps_posix_ptr(&f->pp.g, old_gpa, 32);
    for (unsigned int k = 0; k < 32; k++)
        assert_int_equal(old[k], 0xee); /* the reset request was not executed */
    assert_int_equal(rd_get_used(&f->q[1], &done), 1);
    assert_int_equal(done.len, 16);
    assert_int_equal(f->q[1].bad_used, 0);
    pf_free(f);
}

/* Without RING_RESET negotiated queue_reset does not exist: writes are ignored. */
static void test_4_1_4_3_1_queue_reset_not_negotiated(void **s)
{
    struct pfix *f = pf_rng(0);

    (void)s;
    pf_init_rng(f, false, false, 0);
    assert_int_equal(cc_wr(f, CC_Q_RESET, 2, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 1);
    assert_int_equal(f->pp.g.reports[AVPS_EV_DEV_QUEUE], 1);
    pf_free(f);
}

/* §4.1.4.3.1: queue_size reads 0 for an unavailable queue; queue_select
 * beyond num_queues makes every queue field read 0 (vector NO_VECTOR) and
 * ignore writes. */
static void test_4_1_4_3_1_queue_select_out_of_range(void **s)
{
    struct pfix *f = pf_tdev(4);
    const uint16_t sels[] = {1, 3, 0x7fff, 0xffff};

    (void)s;
    assert_int_equal(pd_negotiate(&f->d, F(VERSION_1)), 0);
    assert_int_equal(cc_get(f, CC_NUM_QUEUES, 2), 3);
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        assert_int_equal(cc_wr(f, CC_Q_SELECT, 2, sels[i]), AVPS_OK);
        assert_int_equal(cc_get(f, CC_Q_SELECT, 2), sels[i]);
        assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 0);
        assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 0);
        assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
        assert_int_equal(cc_get(f, CC_Q_NOFF, 2), 0);
        assert_int_equal(cc_get(f, CC_Q_DESC, 8), 0);
        assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 4), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, 0), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_wr(f, CC_Q_DESC, 4, 0x1000), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_wr(f, CC_Q_DRIVER, 8, 0x1000), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 1), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 0);
    }
    /* A notification naming a missing queue: reported, harmless. */
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset + 1u * f->d.notify_mult, 2, 1),
                     AVPS_E_GUEST_STATE);
    assert_int_equal(avps_dev_status(f->dev), S_ACK | S_DRV | S_FOK);
    pf_free(f);
}

/* §4.1.4.3.1: without RING_PACKED, queue_size is 0 or a power of two. */
static void test_4_1_4_3_1_queue_size_power_of_two(void **s)
{
    struct pfix *f = pf_rng(0);

    (void)s;
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 16); /* reset value: the maximum */
    assert_int_equal(pd_negotiate(&f->d, F(VERSION_1)), 0);
    assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 6), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 16);
    assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 32), AVPS_E_GUEST_STATE); /* above the maximum */
    assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 8), AVPS_OK);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 8);
    /* With RING_PACKED any size up to the maximum, and the ring works. */
    assert_int_equal(pd_negotiate(&f->d, F(VERSION_1) | F(RING_PACKED)), 0);
    pf_queue(f, 0, true, 6, F(VERSION_1) | F(RING_PACKED));
    assert_int_equal(pd_setup_queue(&f->d, 0, &f->q[0], NOV), 0);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 6);
    assert_int_equal(pd_driver_ok(&f->d), 0);
    for (unsigned int i = 0; i < 10; i++) {
        struct rd_done done;

        pf_rng_request(f, 4);
        pd_notify(&f->d, 0);
        assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    }
    pf_free(f);
}

/* §4.1.4.3.2 lists the fields the driver MUST NOT write: the device ignores
 * such writes and reports them. */
static void test_4_1_4_3_1_read_only_fields(void **s)
{
    struct pfix *f = pf_rng(2);
    const struct field ro[] = {{CC_DF, 4},     {CC_NUM_QUEUES, 2},  {CC_GENERATION, 1},
                               {CC_Q_NOFF, 2}, {CC_Q_NDATA, 2},     {CC_ADMIN_INDEX, 2},
                               {CC_ADMIN_NUM, 2}};

    (void)s;
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        const uint64_t before = cc_get(f, ro[i].off, ro[i].size);

        assert_int_equal(cc_wr(f, ro[i].off, ro[i].size, 0x5a), AVPS_E_GUEST_STATE);
        assert_int_equal(cc_get(f, ro[i].off, ro[i].size), before);
    }
    assert_int_equal(regs(f), 7);
    /* The admin queue fields read 0: ADMIN_VQ is not offered. */
    assert_int_equal(cc_get(f, CC_ADMIN_INDEX, 2), 0);
    assert_int_equal(cc_get(f, CC_ADMIN_NUM, 2), 0);
    assert_int_equal(avps_dev_offered_features(f->dev) & F(ADMIN_VQ), 0);
    pf_free(f);
}

/* The queue's address and size are frozen while it is enabled (§4.1.4.3.2:
 * configure before enabling); its vector may change. */
static void test_4_1_4_3_2_queue_fields_locked_after_enable(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    assert_int_equal(cc_wr(f, CC_Q_SIZE, 2, 4), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_SIZE, 2), 8);
    assert_int_equal(cc_wr(f, CC_Q_DESC, 4, 0x9000), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_wr(f, CC_Q_DESC + 4, 4, 1), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_wr(f, CC_Q_DEVICE, 8, 0x9000), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_DESC, 8), f->q[0].desc);
    assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 1), AVPS_E_GUEST_STATE); /* already enabled */
    assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 0), AVPS_E_GUEST_STATE); /* MUST NOT write 0 */
    assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 2), AVPS_E_GUEST_STATE);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 1);
    assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, 1), AVPS_OK);
    assert_int_equal(cc_get(f, CC_Q_MSIX, 2), 1);
    pf_rng_request(f, 4);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.last_msi_vector, 1);
    pf_free(f);
}

/* §4.1.4.4.1: the notification capability: multiplier a power of two and a
 * multiple of 4 (NOTIFICATION_DATA is offered), offset 4-byte aligned, and
 * length >= queue_notify_off * multiplier + 4 for every queue. */
static void notify_cap_check(struct pfix *f)
{
    struct pd_dev *d = &f->d;
    const uint32_t m = d->notify_mult;

    assert_true(d->notify.found);
    assert_int_equal(d->notify.offset % 4, 0);
    assert_true(m == 0 || ((m & (m - 1)) == 0 && m % 4 == 0));
    assert_true(d->notify.length >= 4);
    for (uint16_t q = 0; q < avps_dev_num_queues(f->dev); q++) {
        uint64_t noff;

        cc_wr(f, CC_Q_SELECT, 2, q);
        noff = cc_get(f, CC_Q_NOFF, 2);
        assert_true((uint64_t)d->notify.length >= noff * m + 4);
    }
}

static void test_4_1_4_4_1_notify_capability(void **s)
{
    struct popts o;
    struct pfix *f;

    (void)s;
    memset(&o, 0, sizeof o);
    o.tdev = true;
    f = pf_new(&o);
    assert_int_equal(f->d.notify_mult, AVPS_PCI_NOTIFY_MULT_DEFAULT);
    notify_cap_check(f);
    pf_free(f);
    o.mult = 4096; /* a page per queue */
    f = pf_new(&o);
    assert_int_equal(f->d.notify_mult, 4096);
    notify_cap_check(f);
    pf_free(f);
    o.mult = 0;
    o.shared = true; /* one address for all */
    f = pf_new(&o);
    assert_int_equal(f->d.notify_mult, 0);
    notify_cap_check(f);
    pf_free(f);
}

/* §4.1.4.4 / §4.1.5.2: each queue's notify address reaches that queue; other
 * offsets and widths are refused. */
static void test_4_1_5_2_notify_per_queue_address(void **s)
{
    struct popts o;
    struct pfix *f;
    uint32_t base;

    (void)s;
    memset(&o, 0, sizeof o);
    o.tdev = true;
    o.mult = 8;
    f = pf_new(&o);
    base = f->d.notify.offset;
    /* Before DRIVER_OK a notification does nothing (§2.1.2). */
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base, 2, 0), AVPS_OK);
    assert_int_equal(f->td.notes[0], 0);
    pf_tdev_init(f, false, 0);
    /* DRIVER_OK looked at every live queue once. */
    assert_int_equal(f->td.notes[0], 1);
    assert_int_equal(f->td.notes[2], 1);
    assert_int_equal(f->d.q_notify_off[2], 2);
    rd_add_simple(&f->q[2], 8, 0, 0);
    pd_notify(&f->d, 2);
    assert_int_equal(f->td.notes[2], 2);
    assert_int_equal(f->td.notes[0], 1);
    pd_notify(&f->d, 0);
    assert_int_equal(f->td.notes[0], 2);
    /* Off the queue's address, wrong width, past the last queue. */
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base + 4, 2, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base + 16, 4, 2), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base + 16, 1, 2), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base + 24, 2, 3), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, base + 8, 2, 1), AVPS_E_GUEST_STATE); /* queue 1 missing */
    assert_int_equal(f->td.notes[2], 2);
    assert_int_equal(regs(f), 4);
    /* The notify area reads as 0. */
    assert_int_equal(pd_mmio_read(&f->d, pd_cap_gpa(&f->d, &f->d.notify), 2), 0);
    pf_free(f);
}

/* §4.1.5.2 with VIRTIO_F_NOTIFICATION_DATA: 32-bit notifications carrying the
 * queue index and the next position; a 16-bit one is refused, and a
 * vq_index that is not the address's queue too. */
static void notification_data(bool packed)
{
    struct pfix *f = pf_rng(2);
    struct rd_done done;
    const uint32_t base = 0;

    pf_init_rng(f, packed, true, F(NOTIFICATION_DATA));
    for (unsigned int i = 0; i < 12; i++) {
        pf_rng_request(f, 8);
        pd_notify(&f->d, 0);
        assert_int_equal(f->d.last_rc, AVPS_OK);
        assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    }
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset + base, 2, 0),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset + base, 4, 0x00010001u),
                     AVPS_E_GUEST_INDEX);
    assert_int_equal(f->pp.g.reports[AVPS_EV_NOTIFY_DATA], 1);
    /* A value the ring cannot have: reported by the engine, not fatal. */
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset, 4, 0x7fff0000u),
                     packed ? AVPS_E_GUEST_INDEX : AVPS_E_GUEST_INDEX);
    assert_false(avps_dev_needs_reset(f->dev));
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    pf_free(f);
}

static void test_4_1_5_2_notification_data_split(void **s) { (void)s; notification_data(false); }
static void test_4_1_5_2_notification_data_packed(void **s) { (void)s; notification_data(true); }

/* §4.1.4.4: multiplier 0: one address, the value names the queue. */
static void test_4_1_4_4_1_shared_notify_address(void **s)
{
    struct popts o;
    struct pfix *f;
    const uint32_t base = 0;

    (void)s;
    memset(&o, 0, sizeof o);
    o.tdev = true;
    o.shared = true;
    f = pf_new(&o);
    pf_tdev_init(f, false, 0);
    assert_int_equal(f->d.notify_mult, 0);
    pd_notify(&f->d, 2);
    assert_int_equal(f->td.notes[2], 2); /* one at DRIVER_OK, one now */
    assert_int_equal(f->td.notes[0], 1);
    pd_notify(&f->d, 0);
    assert_int_equal(f->td.notes[0], 2);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset + base + 4, 2, 0),
                     AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset, 2, 9), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset, 2, 1), AVPS_E_GUEST_STATE);
    pf_free(f);
}

/* §4.1.4.5.1: the ISR capability; reading the ISR returns and clears it. */
static void test_4_1_4_5_1_isr_read_clears(void **s)
{
    struct pfix *f = pf_rng(0);
    uint64_t v;
    const uint64_t isr = f->d.isr.offset;

    (void)s;
    assert_true(f->d.isr.found);
    pf_init_rng(f, false, false, 0);
    pf_rng_request(f, 4);
    pd_notify(&f->d, 0);
    /* Only the natural 8-bit read counts; other widths and writes are refused
     * and do not clear it. */
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, isr, 2, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, isr, 1, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, isr + 1, 1, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_dev_isr(f->dev), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(pd_isr(&f->d), AVPS_DEV_ISR_QUEUE);
    assert_int_equal(pd_isr(&f->d), 0);
    assert_int_equal(avps_dev_isr(f->dev), 0);
    pf_free(f);
}

/* §4.1.4.5.1: with MSI-X disabled, the PCI Status Interrupt Status bit is the
 * OR of the ISR bits and INTx follows it unless INTx Disable masks it. */
static void test_4_1_4_5_1_intx_status_and_disable(void **s)
{
    struct pfix *f = pf_rng(2);
    struct pd_dev *d = &f->d;
    const uint32_t cmd = AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER;

    (void)s;
    pf_init_rng(f, false, false, 0); /* MSI-X present but not enabled */
    pf_rng_request(f, 4);
    pd_notify(d, 0);
    assert_int_equal(f->pp.intx_level, 1);
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0x8);
    pd_cfg_write(d, 0x04, 2, cmd | AVPS_PCI_CMD_INTX_DISABLE);
    assert_int_equal(f->pp.intx_level, 0);
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0x8); /* still pending */
    pd_cfg_write(d, 0x04, 2, cmd);
    assert_int_equal(f->pp.intx_level, 1);
    assert_int_equal(pd_isr(d), 1);
    assert_int_equal(f->pp.intx_level, 0);
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0);
    /* MSI-X enabled: INTx stays low and the status bit clear. */
    assert_int_equal(pd_msix_enable(d, 2, MSI_ADDR, MSI_DATA), 0);
    cc_wr(f, CC_Q_SELECT, 2, 0);
    cc_wr(f, CC_Q_MSIX, 2, 0);
    pf_rng_request(f, 4);
    pd_notify(d, 0);
    assert_int_equal(f->pp.intx_level, 0);
    assert_int_equal(f->pp.msi_count, 1);
    assert_int_equal(pd_cfg_read(d, 0x06, 2) & 0x8u, 0);
    /* Disabling MSI-X with the ISR bit still set raises INTx. */
    pd_msix_disable(d);
    assert_int_equal(f->pp.intx_level, 1);
    assert_int_equal(pd_isr(d), 1);
    assert_int_equal(f->pp.intx_level, 0);
    pf_free(f);
}

/* §4.1.4.5.1: the ISR bit is set before the interrupt is sent, for the
 * configuration bit always and for the queue bit with MSI-X disabled. */
static void isr_before_notify(bool msix)
{
    struct pfix *f = pf_tdev(msix ? 3 : 0);

    pf_tdev_init(f, msix, 0);
    f->pp.watch_dev = f->dev;
    avps_dev_config_changed(f->dev);
    if (msix) {
        assert_int_equal(f->pp.msi_count, 1);
        assert_int_equal(f->pp.last_msi_vector, 2);
        assert_int_equal(f->pp.last_msi_data, MSI_DATA + 2);
    } else {
        assert_int_equal(f->pp.intx_rises, 1);
    }
    assert_true(f->pp.isr_at_last_irq & AVPS_DEV_ISR_CONFIG);
    if (!msix) {
        assert_int_equal(pd_isr(&f->d), AVPS_DEV_ISR_CONFIG);
        rd_add_simple(&f->q[0], 4, 0, 0);
        pd_notify(&f->d, 0);
        assert_int_equal(f->pp.intx_rises, 2);
        assert_true(f->pp.isr_at_last_irq & AVPS_DEV_ISR_QUEUE);
    }
    pf_free(f);
}

static void test_4_1_4_5_1_config_isr_bit_before_notify_msix(void **s) { (void)s; isr_before_notify(true); }
static void test_4_1_4_5_1_isr_bits_before_notify_intx(void **s) { (void)s; isr_before_notify(false); }

/* §4.1.4.6: a DEVICE_CFG capability for a device with configuration, offset
 * 4-byte aligned; accesses go to the device's configuration space. */
static void test_4_1_4_6_device_cfg(void **s)
{
    struct pfix *f = pf_tdev(0);
    struct pfix *r = pf_rng(0);
    struct pd_dev *d = &f->d;
    const uint32_t o = d->device.offset;
    uint64_t v;

    (void)s;
    assert_true(d->device.found);
    assert_int_equal(o % 4, 0);
    assert_int_equal(d->device.length, 12);
    assert_false(r->d.device.found); /* virtio-rng has no configuration space */
    assert_int_equal(pd_config_read(d, 0, 4), TDEV_CFG_RO);
    assert_int_equal(pd_config_read(d, 0, 2), 0x3344);
    assert_int_equal(pd_config_read(d, 3, 1), 0x11);
    pd_config_write(d, 4, 8, 0x0123456789abcdefull);
    assert_int_equal(d->last_rc, AVPS_OK);
    assert_int_equal(pd_config_read(d, 4, 8), 0x0123456789abcdefull);
    assert_int_equal(pd_config_read(d, 8, 4), 0x01234567);
    /* Read-only field, beyond the end, misaligned. */
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, o, 4, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(pd_config_read(d, 0, 4), TDEV_CFG_RO);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, o + 12, 4, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, o + 12, 4, &v), AVPS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, o + 2, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, o + 8, 8, &v), AVPS_OK); /* 8-byte, aligned */
    pf_free(f);
    pf_free(r);
}

/* §4.1.4.9.1: the PCI configuration access capability reaches the BAR. */
static void test_4_1_4_9_1_pci_cfg_window(void **s)
{
    struct pfix *f = pf_rng(2);
    struct pd_dev *d = &f->d;
    const uint32_t co = d->common.offset;
    uint32_t v;

    (void)s;
    assert_true(d->pcicfg.found);
    assert_int_equal(d->pcicfg.cap_len, 20);
    /* Firmware style: everything through the window, Memory Space off. */
    pd_cfg_write(d, 0x04, 2, AVPS_PCI_CMD_BUS_MASTER);
    assert_int_equal(pd_win_read(d, 0, co + CC_NUM_QUEUES, 2), 1);
    assert_int_equal(pd_cfg_read(d, d->pcicfg.pos + 4u, 1), 0);
    assert_int_equal(pd_cfg_read(d, d->pcicfg.pos + 8u, 4), co + CC_NUM_QUEUES);
    assert_int_equal(pd_cfg_read(d, d->pcicfg.pos + 12u, 4), 2);
    pd_win_write(d, 0, co + CC_STATUS, 1, S_ACK);
    assert_int_equal(d->last_rc, AVPS_OK);
    assert_int_equal(avps_dev_status(f->dev), S_ACK);
    assert_int_equal(pd_win_read(d, 0, co + CC_STATUS, 1), S_ACK);
    pd_win_write(d, 0, co + CC_STATUS, 1, S_ACK | S_DRV);
    pd_win_write(d, 0, co + CC_GFSELECT, 4, 1);
    pd_win_write(d, 0, co + CC_GF, 4, 1);
    pd_win_write(d, 0, co + CC_STATUS, 1, S_ACK | S_DRV | S_FOK);
    assert_int_equal(pd_win_read(d, 0, co + CC_STATUS, 1), S_ACK | S_DRV | S_FOK);
    pf_queue(f, 0, false, 8, F(VERSION_1));
    pd_win_write(d, 0, co + CC_Q_SELECT, 2, 0);
    pd_win_write(d, 0, co + CC_Q_SIZE, 2, 8);
    pd_win_write(d, 0, co + CC_Q_DESC, 4, (uint32_t)f->q[0].desc);
    pd_win_write(d, 0, co + CC_Q_DRIVER, 4, (uint32_t)f->q[0].driver);
    pd_win_write(d, 0, co + CC_Q_DEVICE, 4, (uint32_t)f->q[0].device);
    pd_win_write(d, 0, co + CC_Q_ENABLE, 2, 1);
    assert_int_equal(pd_win_read(d, 0, co + CC_Q_ENABLE, 2), 1);
    pd_win_write(d, 0, co + CC_STATUS, 1, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(d->errors, 0);
    /* A notification through the window, an INTx, the ISR read through it. */
    pf_rng_request(f, 8);
    pd_win_write(d, 0, d->notify.offset, 2, 0);
    assert_int_equal(d->last_rc, AVPS_OK);
    assert_int_equal(avps_rng_bytes(&f->rng), 8);
    assert_int_equal(f->pp.intx_level, 1);
    assert_int_equal(pd_win_read(d, 0, d->isr.offset, 1), 1);
    assert_int_equal(f->pp.intx_level, 0);
    assert_int_equal(pd_win_read(d, 0, d->isr.offset, 1), 0);
    /* Windows that name nothing a driver may reach. */
    assert_int_equal(regs(f), 0);
    pd_cfg_write(d, d->pcicfg.pos + 4u, 1, 0);
    pd_cfg_write(d, d->pcicfg.pos + 8u, 4, co);
    pd_cfg_write(d, d->pcicfg.pos + 12u, 4, 3); /* bad length */
    assert_int_equal(avps_pci_cfg_read(&f->pci, d->pcicfg.pos + 16u, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_cfg_write(&f->pci, d->pcicfg.pos + 16u, 4, 0), AVPS_E_GUEST_RANGE);
    pd_cfg_write(d, d->pcicfg.pos + 12u, 4, 4);
    pd_cfg_write(d, d->pcicfg.pos + 4u, 1, 1); /* BAR1: the upper half of BAR0 */
    assert_int_equal(avps_pci_cfg_read(&f->pci, d->pcicfg.pos + 16u, 4, &v), AVPS_E_GUEST_RANGE);
    pd_cfg_write(d, d->pcicfg.pos + 4u, 1, 0);
    pd_cfg_write(d, d->pcicfg.pos + 8u, 4, d->msix_table_off); /* not a virtio structure */
    assert_int_equal(avps_pci_cfg_read(&f->pci, d->pcicfg.pos + 16u, 4, &v), AVPS_E_GUEST_RANGE);
    pd_cfg_write(d, d->pcicfg.pos + 8u, 4, 0xfffffffc); /* beyond the BAR */
    assert_int_equal(avps_pci_cfg_read(&f->pci, d->pcicfg.pos + 16u, 4, &v), AVPS_E_GUEST_RANGE);
    pd_cfg_write(d, d->pcicfg.pos + 8u, 4, co + 2); /* misaligned */
    assert_int_equal(avps_pci_cfg_read(&f->pci, d->pcicfg.pos + 16u, 4, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(regs(f), 6);
    pf_free(f);
}

/* ======================================================================== */
/* §4.1.5.1.2 MSI-X vector configuration */

static void test_4_1_5_1_2_1_msix_table_size(void **s)
{
    const uint16_t ns[] = {1, 2, 8, 64};

    (void)s;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        struct pfix *f = pf_rng(ns[i]);
        struct pd_dev *d = &f->d;
        const uint32_t tbl_end = d->msix_table_off + 16u * ns[i];

        assert_true(d->msix_pos != 0);
        assert_int_equal(d->msix_n, ns[i]);
        assert_int_equal(pd_cfg_read(d, d->msix_pos + 2u, 2) & 0x7ffu, ns[i] - 1u);
        assert_int_equal(d->msix_table_bar, 0);
        assert_int_equal(d->msix_pba_bar, 0);
        /* Table and PBA: 8-byte aligned, inside the BAR, in pages of their own. */
        assert_int_equal(d->msix_table_off % 0x1000, 0);
        assert_int_equal(d->msix_pba_off % 0x1000, 0);
        assert_true(d->msix_pba_off >= tbl_end);
        assert_true(d->msix_table_off >= d->notify.offset + d->notify.length);
        assert_true(d->msix_pba_off + 8u * AVPS_PCI_PBA_WORDS(ns[i]) <= d->bar_size[0]);
        /* Every entry starts masked. */
        for (uint16_t v = 0; v < ns[i]; v++)
            assert_int_equal(pd_mmio_read(d, d->bar_base[0] + d->msix_table_off + 16u * v + 12u, 4), 1);
        pf_free(f);
    }
    {
        struct pfix *f = pf_rng(0);

        assert_int_equal(f->d.msix_pos, 0); /* no MSI-X capability */
        assert_int_equal(f->d.ncaps, 4);
        pf_free(f);
    }
}

/* §4.1.5.1.2.1: any event to any valid vector; NO_VECTOR unmaps; a vector
 * beyond the table reads back NO_VECTOR (mapping failure). */
static void test_4_1_5_1_2_1_vector_mapping(void **s)
{
    struct pfix *f = pf_tdev(4);
    const uint16_t bad[] = {4, 5, 0x7ff, 0x800, 0xfffe};

    (void)s;
    assert_int_equal(pd_negotiate(&f->d, F(VERSION_1)), 0);
    assert_int_equal(cc_get(f, CC_MSIX_CONFIG, 2), NOV); /* unmapped */
    for (uint16_t v = 0; v < 4; v++) {
        assert_int_equal(pd_set_config_vector(&f->d, v), v);
        for (uint16_t q = 0; q < 3; q += 2) {
            cc_wr(f, CC_Q_SELECT, 2, q);
            assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
            assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, v), AVPS_OK);
            assert_int_equal(cc_get(f, CC_Q_MSIX, 2), v);
            assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, NOV), AVPS_OK); /* unmap */
            assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
        }
    }
    assert_int_equal(pd_set_config_vector(&f->d, NOV), NOV);
    assert_int_equal(regs(f), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pd_set_config_vector(&f->d, 1), 1);
        assert_int_equal(pd_set_config_vector(&f->d, bad[i]), NOV);
        cc_wr(f, CC_Q_SELECT, 2, 0);
        assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, 1), AVPS_OK);
        assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, bad[i]), AVPS_E_GUEST_RANGE);
        assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
    }
    assert_int_equal(regs(f), 2 * (sizeof bad / sizeof bad[0]));
    pf_free(f);
    /* Without an MSI-X capability no vector maps. */
    f = pf_tdev(0);
    assert_int_equal(pd_set_config_vector(&f->d, 0), NOV);
    cc_wr(f, CC_Q_SELECT, 2, 0);
    assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
    pf_free(f);
}

/* §4.1.5.1.2.1: every event is unmapped upon reset. */
static void test_4_1_5_1_2_1_unmapped_on_reset(void **s)
{
    struct pfix *f = pf_tdev(4);

    (void)s;
    pf_tdev_init(f, true, 0);
    assert_int_equal(cc_get(f, CC_MSIX_CONFIG, 2), 2);
    assert_int_equal(pd_reset(&f->d), 0);
    assert_int_equal(cc_get(f, CC_MSIX_CONFIG, 2), NOV);
    for (uint16_t q = 0; q < 3; q++) {
        cc_wr(f, CC_Q_SELECT, 2, q);
        assert_int_equal(cc_get(f, CC_Q_MSIX, 2), NOV);
    }
    pf_free(f);
}

/* §4.1.5.3.1: MSI-X enabled and queue vector NO_VECTOR: no interrupt. */
static void test_4_1_5_3_1_no_vector_no_queue_interrupt(void **s)
{
    struct pfix *f = pf_rng(2);
    struct rd_done done;

    (void)s;
    pf_init_rng(f, false, true, 0);
    cc_wr(f, CC_Q_SELECT, 2, 0);
    assert_int_equal(cc_wr(f, CC_Q_MSIX, 2, NOV), AVPS_OK);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(rd_get_used(&f->q[0], &done), 1); /* the work was done */
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(f->pp.intx_rises, 0);
    assert_int_equal(f->pp.g.irqs, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 0);
    pf_free(f);
}

/* §4.1.5.4.1: MSI-X enabled and config vector NO_VECTOR: no interrupt. */
static void test_4_1_5_4_1_no_vector_no_config_interrupt(void **s)
{
    struct pfix *f = pf_tdev(4);

    (void)s;
    pf_tdev_init(f, true, 0);
    assert_int_equal(pd_set_config_vector(&f->d, NOV), NOV);
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(f->pp.intx_rises, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 0);
    /* Mapped again: the next change interrupts. */
    assert_int_equal(pd_set_config_vector(&f->d, 0), 0);
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->pp.msi_count, 1);
    assert_int_equal(f->pp.last_msi_data, MSI_DATA + 0);
    pf_free(f);
}

/* ======================================================================== */
/* MSI-X masking (PCI Local Bus 3.0 §6.8.2) */

static void test_msix_entry_mask_pending_unmask(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    pd_msix_mask_entry(&f->d, 0, true);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 1);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 1); /* one pending message */
    /* The other vector is unaffected. */
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->pp.msi_count, 1);
    assert_int_equal(f->pp.last_msi_vector, 1);
    pd_msix_mask_entry(&f->d, 0, false);
    assert_int_equal(f->pp.msi_count, 2);
    assert_int_equal(f->pp.last_msi_vector, 0);
    assert_int_equal(f->pp.last_msi_addr, MSI_ADDR);
    assert_int_equal(f->pp.last_msi_data, MSI_DATA);
    assert_int_equal(pd_msix_pba(&f->d, 0), 0);
    /* Reprogram while masked: the message goes to the new address. */
    pd_msix_mask_entry(&f->d, 0, true);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    pd_mmio_write(&f->d, f->d.bar_base[0] + f->d.msix_table_off, 8, 0xfee02000ull);
    pd_mmio_write(&f->d, f->d.bar_base[0] + f->d.msix_table_off + 8, 4, 0x77);
    pd_msix_mask_entry(&f->d, 0, false);
    assert_int_equal(f->pp.last_msi_addr, 0xfee02000ull);
    assert_int_equal(f->pp.last_msi_data, 0x77);
    assert_int_equal(f->pp.msi_count, 3);
    pf_free(f);
}

static void test_msix_function_mask(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    pd_msix_function_mask(&f->d, true);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 3);
    pd_msix_function_mask(&f->d, false);
    assert_int_equal(f->pp.msi_count, 2);
    assert_int_equal(f->pp.msi_by_vector[0], 1);
    assert_int_equal(f->pp.msi_by_vector[1], 1);
    assert_int_equal(pd_msix_pba(&f->d, 0), 0);
    /* Pending with a masked entry stays pending through the function unmask. */
    pd_msix_function_mask(&f->d, true);
    pd_msix_mask_entry(&f->d, 1, true);
    avps_dev_config_changed(f->dev);
    pd_msix_function_mask(&f->d, false);
    assert_int_equal(pd_msix_pba(&f->d, 0), 2);
    assert_int_equal(f->pp.msi_count, 2);
    pd_msix_mask_entry(&f->d, 1, false);
    assert_int_equal(f->pp.msi_count, 3);
    pf_free(f);
}

/* Without Bus Master Enable no MSI-X message goes and no kick is taken. */
static void test_msix_bus_master_disabled(void **s)
{
    struct pfix *f = pf_rng(2);
    const uint32_t cmd = AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER;

    (void)s;
    pf_init_rng(f, false, true, 0);
    pd_cfg_write(&f->d, 0x04, 2, AVPS_PCI_CMD_MEMORY);
    pf_rng_request(f, 8);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, f->d.notify.offset, 2, 0), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_rng_bytes(&f->rng), 0);
    avps_dev_config_changed(f->dev);
    assert_int_equal(f->pp.msi_count, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 2);
    pd_cfg_write(&f->d, 0x04, 2, cmd);
    assert_int_equal(f->pp.msi_count, 1);
    assert_int_equal(f->pp.last_msi_vector, 1);
    pd_notify(&f->d, 0);
    assert_int_equal(avps_rng_bytes(&f->rng), 8);
    assert_int_equal(f->pp.msi_count, 2);
    pf_free(f);
}

/* MSI-X table and PBA accesses: dword and qword only; PBA read-only. */
static void test_msix_table_access(void **s)
{
    struct pfix *f = pf_rng(2);
    const uint32_t t = f->d.msix_table_off;
    const uint32_t pba = f->d.msix_pba_off;
    uint64_t v;

    (void)s;
    pd_cfg_write(&f->d, f->d.msix_pos + 2u, 2, 0x8000);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, t + 16, 8, 0x1122334455667788ull), AVPS_OK);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, t + 24, 8, 0xffffffff00000099ull), AVPS_OK);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, t + 16, 4, &v), AVPS_OK);
    assert_int_equal(v, 0x55667788);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, t + 20, 4, &v), AVPS_OK);
    assert_int_equal(v, 0x11223344);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, t + 24, 8, &v), AVPS_OK);
    assert_int_equal(v, 0x100000099ull); /* only the mask bit of Vector Control */
    assert_int_equal(f->msix[1].addr, 0x1122334455667788ull);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, t + 16, 2, &v), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, t + 17, 1, 0), AVPS_E_GUEST_RANGE);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, t + 32, 4, &v), AVPS_E_GUEST_RANGE); /* entry 2 */
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, pba, 8, &v), AVPS_OK);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, pba + 4, 4, &v), AVPS_OK);
    assert_int_equal(avps_pci_bar_write(&f->pci, 0, pba, 8, ~0ull), AVPS_E_GUEST_STATE);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, pba, 8, &v), AVPS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(avps_pci_bar_read(&f->pci, 0, pba + 8, 8, &v), AVPS_E_GUEST_RANGE);
    pf_free(f);
}

/* Messages pending at a device reset are dropped (§2.4.1). */
static void test_msix_pending_dropped_on_reset(void **s)
{
    struct pfix *f = pf_rng(2);

    (void)s;
    pf_init_rng(f, false, true, 0);
    pd_msix_function_mask(&f->d, true);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 1);
    assert_int_equal(pd_reset(&f->d), 0);
    assert_int_equal(pd_msix_pba(&f->d, 0), 0);
    pd_msix_function_mask(&f->d, false);
    assert_int_equal(f->pp.msi_count, 0);
    pf_free(f);
}

/* ======================================================================== */
/* §2.1.2: DEVICE_NEEDS_RESET with a configuration interrupt after a ring
 * fault, and recovery by reset. */

static void needs_reset(bool msix)
{
    struct pfix *f = pf_rng(msix ? 2 : 0);
    struct rd_done done;
    int rc;

    pf_init_rng(f, false, msix, 0);
    pf_rng_request(f, 8);
    rd_set_avail_idx(&f->q[0], 200); /* an index jump past the ring size */
    rc = avps_pci_bar_write(&f->pci, 0, f->d.notify.offset, 2, 0);
    assert_int_equal(rc, AVPS_OK); /* the kick was taken; the ring broke */
    assert_true(pd_status(&f->d) & S_NR);
    assert_int_equal(f->pp.g.reports[AVPS_EV_DEV_NEEDS_RESET], 1);
    if (msix) {
        assert_int_equal(f->pp.msi_count, 1);
        assert_int_equal(f->pp.last_msi_vector, 1);
        assert_int_equal(f->pp.last_msi_data, MSI_DATA + 1);
    } else {
        assert_int_equal(f->pp.intx_level, 1);
        assert_int_equal(pd_isr(&f->d) & AVPS_DEV_ISR_CONFIG, AVPS_DEV_ISR_CONFIG);
        assert_int_equal(f->pp.intx_level, 0);
    }
    /* The driver cannot clear NEEDS_RESET; a reset recovers. */
    pd_set_status(&f->d, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_true(pd_status(&f->d) & S_NR);
    pf_init_rng(f, false, msix, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    assert_int_equal(done.len, 8);
    pf_free(f);
}

static void test_2_1_2_needs_reset_config_interrupt_msix(void **s) { (void)s; needs_reset(true); }
static void test_2_1_2_needs_reset_config_interrupt_intx(void **s) { (void)s; needs_reset(false); }

/* A ring the device cannot map: DEVICE_NEEDS_RESET at queue_enable. */
static void test_2_1_2_bad_ring_at_enable(void **s)
{
    struct pfix *f = pf_rng(0);

    (void)s;
    assert_int_equal(pd_negotiate(&f->d, F(VERSION_1)), 0);
    cc_wr(f, CC_Q_SELECT, 2, 0);
    assert_int_equal(cc_wr(f, CC_Q_DESC, 8, MEM - 8), AVPS_OK); /* runs off guest memory */
    assert_int_equal(cc_wr(f, CC_Q_ENABLE, 2, 1), AVPS_E_GUEST_RANGE);
    assert_int_equal(cc_get(f, CC_Q_ENABLE, 2), 0);
    assert_true(pd_status(&f->d) & S_NR);
    pf_free(f);
}

/* ======================================================================== */
/* API contract, locking */

static void test_pci_init_rejects_bad_cfg(void **s)
{
    struct pfix *f = pf_rng(0);
    struct avps_pci pci;
    struct avps_pci_cfg c;
    static struct avps_pci_msix_entry big[AVPS_PCI_MSIX_MAX];
    static uint64_t bigpba[AVPS_PCI_PBA_WORDS(AVPS_PCI_MSIX_MAX)];
    const uint32_t bad_mult[] = {2, 3, 12, 8192};

    (void)s;
    memset(&c, 0, sizeof c);
    assert_int_equal(avps_pci_init(NULL, f->dev, &c), AVPS_E_INVAL);
    assert_int_equal(avps_pci_init(&pci, NULL, &c), AVPS_E_INVAL);
    assert_int_equal(avps_pci_init(&pci, f->dev, NULL), AVPS_E_INVAL);
    c.msix_vectors = 2;
    assert_int_equal(avps_pci_init(&pci, f->dev, &c), AVPS_E_INVAL); /* no storage */
    c.msix_table = big;
    c.msix_pba = bigpba;
    c.msix_vectors = AVPS_PCI_MSIX_MAX + 1;
    assert_int_equal(avps_pci_init(&pci, f->dev, &c), AVPS_E_INVAL);
    c.msix_vectors = AVPS_PCI_MSIX_MAX;
    assert_int_equal(avps_pci_init(&pci, f->dev, &c), AVPS_OK);
    assert_int_equal(big[AVPS_PCI_MSIX_MAX - 1].ctrl, AVPS_PCI_MSIX_ENTRY_MASKED);
    for (size_t i = 0; i < sizeof bad_mult / sizeof bad_mult[0]; i++) {
        c.notify_off_multiplier = bad_mult[i];
        assert_int_equal(avps_pci_init(&pci, f->dev, &c), AVPS_E_INVAL);
    }
    c.notify_off_multiplier = 16;
    assert_int_equal(avps_pci_init(&pci, f->dev, &c), AVPS_OK);
    pf_free(f);
    /* A queue whose maximum size is not a power of two. */
    {
        struct pd_port pp;
        struct avps_rng rng;
        struct avps_vq_slot slots[12];
        struct avps_rng_backend be = {counter_fill, NULL};
        struct counter_src src;
        struct avps_rng_cfg rc;

        memset(&src, 0, sizeof src);
        be.ctx = &src;
        pd_port_init(&pp, true, true, false);
        memset(&rc, 0, sizeof rc);
        rc.backend = &be;
        rc.slots = slots;
        rc.num_slots = 12;
        rc.queue_size_max = 12;
        assert_int_equal(avps_rng_init(&rng, &pp.host, &rc), AVPS_OK);
        memset(&c, 0, sizeof c);
        assert_int_equal(avps_pci_init(&pci, avps_rng_dev(&rng), &c), AVPS_E_INVAL);
        pd_port_fini(&pp);
    }
}

/* Every public entry point takes the device lock once and releases it. */
static void test_pci_lock_around_entry_points(void **s)
{
    struct popts o;
    struct pfix *f;
    uint32_t v32;
    uint64_t v;

    (void)s;
    memset(&o, 0, sizeof o);
    o.msix = 2;
    o.lock = true;
    f = pf_new(&o);
    pf_init_rng(f, false, true, 0);
    pf_rng_request(f, 8);
    pd_notify(&f->d, 0);
    assert_int_equal(f->pp.msi_count, 1);
    (void)avps_pci_cfg_read(&f->pci, 0x2000, 4, &v32);
    (void)avps_pci_bar_read(&f->pci, 0, 1ull << 40, 4, &v);
    (void)avps_pci_reset(&f->pci);
    assert_true(f->pp.locks > 50);
    assert_int_equal(f->pp.locks, f->pp.unlocks);
    assert_int_equal(f->pp.lock_depth, 0);
    assert_int_equal(f->pp.lock_max_depth, 1);
    pf_free(f);
}

/* ======================================================================== */
/* Mangle: every offset, every width, hostile values; nothing may crash. */

static const uint32_t hostile32[] = {0, 0xffffffffu, 0x55555555u, 0xaaaaaaaau, 0x80000001u, 1u};

static void mangle_cfg(struct pfix *f)
{
    const unsigned int sizes[] = {0, 1, 2, 3, 4, 8};

    for (uint32_t off = 0; off < 0x1008; off++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            for (size_t h = 0; h < sizeof hostile32 / sizeof hostile32[0]; h++) {
                uint32_t v;

                (void)avps_pci_cfg_write(&f->pci, off, sizes[k], hostile32[h]);
                (void)avps_pci_cfg_read(&f->pci, off, sizes[k], &v);
            }
        }
        if ((off & 0x3f) == 0)
            (void)avps_pci_cfg_write(&f->pci, 0x04, 2,
                                     AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER);
    }
}

static void mangle_bar(struct pfix *f)
{
    const unsigned int sizes[] = {0, 1, 2, 3, 4, 8, 16};
    const uint64_t end = avps_pci_bar_size(&f->pci, 0) + 64;
    const uint64_t h64[] = {0, ~0ull, 0x5555555555555555ull, 0x8000000000000001ull, 1, 0x1000};

    (void)avps_pci_cfg_write(&f->pci, 0x04, 2, AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER);
    for (uint64_t off = 0; off < end; off++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            for (size_t h = 0; h < sizeof h64 / sizeof h64[0]; h++) {
                uint64_t v;

                (void)avps_pci_bar_write(&f->pci, 0, off, sizes[k], h64[h]);
                (void)avps_pci_bar_read(&f->pci, 0, off, sizes[k], &v);
            }
        }
    }
    for (uint64_t off = UINT64_MAX - 16; off != 0; off++) {
        uint64_t v;

        (void)avps_pci_bar_write(&f->pci, 0, off, 8, ~0ull);
        (void)avps_pci_bar_read(&f->pci, 0, off, 4, &v);
    }
}

static void mangle_one(struct popts *o, bool bar_first)
{
    struct pfix *f = pf_new(o);

    if (o->tdev)
        pf_tdev_init(f, o->msix != 0, F(RING_RESET) | F(NOTIFICATION_DATA));
    else
        pf_init_rng(f, false, o->msix != 0, F(RING_RESET));
    if (!o->tdev)
        pf_rng_request(f, 8);
    if (bar_first) {
        mangle_bar(f);
        mangle_cfg(f);
    } else {
        mangle_cfg(f);
        mangle_bar(f);
    }
    assert_int_equal(f->pp.lock_depth, 0);
    /* Still a virtio device, and a reset brings it back. */
    assert_int_equal(pd_cfg_read(&f->d, 0, 4), 0x1af4u | ((0x1040u + avps_dev_device_id(f->dev)) << 16));
    assert_int_equal(avps_pci_reset(&f->pci), AVPS_OK);
    assert_int_equal(pd_probe(&f->d, &f->pci, MMIO_BASE), 0);
    if (!o->tdev) {
        struct rd_done done;

        pf_init_rng(f, true, o->msix != 0, 0);
        pf_rng_request(f, 8);
        pd_notify(&f->d, 0);
        assert_int_equal(rd_get_used(&f->q[0], &done), 1);
    }
    pf_free(f);
}

static void test_4_1_mangle_config_space_and_bar(void **s)
{
    struct popts o;

    (void)s;
    memset(&o, 0, sizeof o);
    o.msix = 2;
    mangle_one(&o, false);
    o.lock = true;
    o.tdev = true;
    o.msix = 3;
    mangle_one(&o, true);
    memset(&o, 0, sizeof o);
    o.shared = true;
    mangle_one(&o, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_4_1_5_1_init_sequence_rng_split_msix),
        cmocka_unit_test(test_4_1_5_1_init_sequence_rng_packed_msix),
        cmocka_unit_test(test_4_1_5_1_init_sequence_rng_split_intx),
        cmocka_unit_test(test_4_1_5_1_init_sequence_rng_packed_intx),
        cmocka_unit_test(test_4_1_5_3_interrupt_fallback_ops),
        cmocka_unit_test(test_4_1_1_type0_header),
        cmocka_unit_test(test_4_1_1_bar_sizing_64bit),
        cmocka_unit_test(test_4_1_1_function_reset),
        cmocka_unit_test(test_4_1_2_1_device_id),
        cmocka_unit_test(test_4_1_2_1_revision_subsystem_class),
        cmocka_unit_test(test_4_1_3_1_common_cfg_access_widths),
        cmocka_unit_test(test_4_1_3_2_64bit_fields_halves),
        cmocka_unit_test(test_4_1_4_2_capability_structures),
        cmocka_unit_test(test_4_1_4_1_capability_fields_read_only),
        cmocka_unit_test(test_4_1_4_3_1_common_cfg_capability),
        cmocka_unit_test(test_4_1_4_3_1_device_feature_select),
        cmocka_unit_test(test_4_1_4_3_1_driver_feature_readback),
        cmocka_unit_test(test_4_1_4_3_1_features_ok_refused),
        cmocka_unit_test(test_4_1_4_3_1_config_generation),
        cmocka_unit_test(test_4_1_4_3_1_reset_presents_zero),
        cmocka_unit_test(test_4_1_4_3_1_queue_reset),
        cmocka_unit_test(test_4_1_4_3_1_queue_reset_not_negotiated),
        cmocka_unit_test(test_2_6_1_queue_reset_forgets_parked_request),
        cmocka_unit_test(test_4_1_4_3_1_queue_select_out_of_range),
        cmocka_unit_test(test_4_1_4_3_1_queue_size_power_of_two),
        cmocka_unit_test(test_4_1_4_3_1_read_only_fields),
        cmocka_unit_test(test_4_1_4_3_2_queue_fields_locked_after_enable),
        cmocka_unit_test(test_4_1_4_4_1_notify_capability),
        cmocka_unit_test(test_4_1_5_2_notify_per_queue_address),
        cmocka_unit_test(test_4_1_5_2_notification_data_split),
        cmocka_unit_test(test_4_1_5_2_notification_data_packed),
        cmocka_unit_test(test_4_1_4_4_1_shared_notify_address),
        cmocka_unit_test(test_4_1_4_5_1_isr_read_clears),
        cmocka_unit_test(test_4_1_4_5_1_intx_status_and_disable),
        cmocka_unit_test(test_4_1_4_5_1_config_isr_bit_before_notify_msix),
        cmocka_unit_test(test_4_1_4_5_1_isr_bits_before_notify_intx),
        cmocka_unit_test(test_4_1_4_6_device_cfg),
        cmocka_unit_test(test_4_1_4_9_1_pci_cfg_window),
        cmocka_unit_test(test_4_1_5_1_2_1_msix_table_size),
        cmocka_unit_test(test_4_1_5_1_2_1_vector_mapping),
        cmocka_unit_test(test_4_1_5_1_2_1_unmapped_on_reset),
        cmocka_unit_test(test_4_1_5_3_1_no_vector_no_queue_interrupt),
        cmocka_unit_test(test_4_1_5_4_1_no_vector_no_config_interrupt),
        cmocka_unit_test(test_msix_entry_mask_pending_unmask),
        cmocka_unit_test(test_msix_function_mask),
        cmocka_unit_test(test_msix_bus_master_disabled),
        cmocka_unit_test(test_msix_table_access),
        cmocka_unit_test(test_msix_pending_dropped_on_reset),
        cmocka_unit_test(test_2_1_2_needs_reset_config_interrupt_msix),
        cmocka_unit_test(test_2_1_2_needs_reset_config_interrupt_intx),
        cmocka_unit_test(test_2_1_2_bad_ring_at_enable),
        cmocka_unit_test(test_pci_init_rejects_bad_cfg),
        cmocka_unit_test(test_pci_lock_around_entry_points),
        cmocka_unit_test(test_4_1_mangle_config_space_and_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

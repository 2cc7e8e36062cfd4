/*
 * libFuzzer harness for the virtio-pci transport (STYLE.md rule 19):
 * lib/transport/pci.c (configuration space, the BAR with its common
 * configuration, ISR, notification area, MSI-X table and PBA, and the PCI_CFG
 * window) driving virtio-rng over the posix port, with guest RAM and the
 * guest's accesses both from the input.
 *
 * The input:
 *   byte 0      setup: MSI-X table size, port without set_level or inject_msi,
 *               QueueSizeMax (fuzz/pci_fuzz.h)
 *   byte 1      transport: notify_off_multiplier or a shared notify address;
 *               port map-span cap
 *   bytes 2-3   P, the length of the program (little endian)
 *   P bytes     the program: operations of fuzz/pci_fuzz.h (raw configuration
 *               and BAR accesses of any offset, size and value; window
 *               accesses; driver actions of the spec-written test driver
 *               tests/support/pcidrv + ringdrv that probe, enable MSI-X,
 *               negotiate, set up the queue, make buffers available and kick,
 *               read the ISR and take used buffers; raw RAM rewrites; entropy
 *               running dry or failing; resume; function reset; config changes)
 *   the rest    guest RAM from address 0 (FZ_RAM bytes; missing bytes are 0)
 * At most PF_MAX_OPS operations run. fuzz/gen_pci_seeds.c writes seeds.
 *
 * Checked after every operation (beyond ASan/UBSan and the library's
 * asserts; a failure traps):
 *   - vendor, device, revision, class and subsystem IDs never change; the
 *     Status register always has Capabilities List; BAR0 reads as a 64-bit
 *     memory BAR;
 *   - the capability chain is well formed: walked from 0x34, bounded, every
 *     capability dword aligned in 0x40..0xff with its whole length inside the
 *     256-byte space, no capability visited twice, only vendor and MSI-X
 *     capabilities, exactly one of COMMON, NOTIFY, ISR, PCI_CFG (DEVICE: rng
 *     has no configuration), MSI-X present iff vectors were configured, and
 *     every virtio structure inside the BAR where the transport has it;
 *   - queue_enable reads 0 or 1;
 *   - a successful ISR read (through the BAR or the window) returns the ISR
 *     and leaves it 0;
 *   - MSI-X: pending bits only for vectors that exist (and the storage past
 *     the table and PBA untouched); a message is only sent for an existing,
 *     unmasked vector with MSI-X enabled, the function unmasked and Bus Master
 *     set; inject(vector) likewise when the port has no inject_msi;
 *   - with set_level: the INTx line is asserted exactly while MSI-X is
 *     disabled, INTx Disable is clear and an ISR bit is set;
 *   - whenever device_status reads 0 (after every reset): the ISR is 0 and
 *     queue_enable reads 0 for every queue_select;
 *   - while DRIVER_OK is clear the device writes no guest memory (as in
 *     mmio_fuzz: every dirty report needs DRIVER_OK, and an access that starts
 *     and ends without it leaves RAM as it was, but for the packed ring's
 *     device event suppression area);
 *   - every access returns AVPS_OK or a guest error.
 * All accesses (the harness's and pcidrv's) go through the __wrap_avps_pci_*
 * functions (linked with -Wl,--wrap).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/pci.h>
#include <avps/rng.h>
#include <avps/virtio/features.h>

#include "fz_port.h"
#include "pci_fuzz.h"
#include "pcidrv.h"
#include "ringdrv.h"

#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK
#define QSLOTS 128u
#define GUARD 4u
#define GUARD_BYTE 0xa5u
#define CC_STATUS 0x14u
#define CC_Q_SELECT 0x16u
#define CC_Q_ENABLE 0x1cu

static struct fz_port port;
static struct avps_rng rng;
static struct avps_vq_slot slots[QSLOTS];
static struct avps_rng_backend rbe;
static struct fz_backend be;
static struct avps_pci pci;
static struct avps_pci_msix_entry msix[PF_MSIX_MAX + GUARD];
static uint64_t pba[AVPS_PCI_PBA_WORDS(PF_MSIX_MAX) + GUARD];
static uint16_t nvec;
static struct pd_dev drv;
static struct rd_queue rq;
static bool with_level, with_msi;

static struct avps_dev *dev_(void)
{
    return avps_rng_dev(&rng);
}

static bool driver_ok_(void)
{
    return (avps_dev_status(dev_()) & S_DRIVER_OK) != 0u;
}

static bool msix_enabled_(void)
{
    return nvec != 0u && (pci.msix_ctrl & 0x8000u) != 0u;
}

/* ---- port hooks ------------------------------------------------------------ */

static bool pre_driver_ok_write_ok_(uint64_t gpa, uint64_t len)
{
    uint64_t a;

    if ((avps_dev_features(dev_()) & F(RING_PACKED)) == 0u)
        return false;
    a = avps_dev_queue_addr(dev_(), 0, AVPS_DEV_AREA_DEVICE);
    return gpa >= a && len <= 4u && gpa - a <= 4u - len;
}

static void on_dirty_(void *cookie, uint64_t gpa, uint64_t len)
{
    (void)cookie;
    if (!driver_ok_())
        fz_trap_(pre_driver_ok_write_ok_(gpa, len));
}

/* An MSI-X message: only for a vector that exists and may be sent now. */
static void on_msi_(void *cookie, uint32_t v)
{
    (void)cookie;
    fz_trap_(v < nvec);
    fz_trap_(msix_enabled_() && (pci.msix_ctrl & 0x4000u) == 0u);
    fz_trap_((pci.command & AVPS_PCI_CMD_BUS_MASTER) != 0u);
    fz_trap_((msix[v].ctrl & AVPS_PCI_MSIX_ENTRY_MASKED) == 0u);
}

static void on_inject_(void *cookie, uint32_t v)
{
    (void)cookie;
    if (msix_enabled_()) {
        fz_trap_(!with_msi); /* with inject_msi, MSI-X never uses inject */
        on_msi_(cookie, v);
    } else {
        fz_trap_(!with_level && v == 9u); /* INTx edge on the configured line */
    }
}

/* ---- every access, the harness's and pcidrv's ------------------------------- */

int __real_avps_pci_cfg_read(struct avps_pci *p, uint32_t off, unsigned int size,
                             uint32_t *value);
int __real_avps_pci_cfg_write(struct avps_pci *p, uint32_t off, unsigned int size,
                              uint32_t value);
int __real_avps_pci_bar_read(struct avps_pci *p, unsigned int bar, uint64_t off,
                             unsigned int size, uint64_t *value);
int __real_avps_pci_bar_write(struct avps_pci *p, unsigned int bar, uint64_t off,
                              unsigned int size, uint64_t value);
int __wrap_avps_pci_cfg_read(struct avps_pci *p, uint32_t off, unsigned int size,
                             uint32_t *value);
int __wrap_avps_pci_cfg_write(struct avps_pci *p, uint32_t off, unsigned int size,
                              uint32_t value);
int __wrap_avps_pci_bar_read(struct avps_pci *p, unsigned int bar, uint64_t off,
                             unsigned int size, uint64_t *value);
int __wrap_avps_pci_bar_write(struct avps_pci *p, unsigned int bar, uint64_t off,
                              unsigned int size, uint64_t value);

static void check_untouched_(void)
{
    if (fz_snap_same(&port))
        return;
    for (uint32_t a = fz_snap_diff(&port, 0); a < FZ_RAM; a = fz_snap_diff(&port, a + 1u))
        fz_trap_(pre_driver_ok_write_ok_(a, 1));
}

static void check_rc_(int rc)
{
    fz_trap_(rc == AVPS_OK || AVPS_ERR_IS_GUEST(rc));
}

/* The PCI_CFG window names the ISR byte. */
static bool window_is_isr_(void)
{
    return pci.win_bar == AVPS_PCI_BAR && pci.win_offset == pci.off_isr && pci.win_length == 1u;
}

int __wrap_avps_pci_cfg_read(struct avps_pci *p, uint32_t off, unsigned int size,
                             uint32_t *value)
{
    const bool was_ok = driver_ok_();
    const bool isr = (off & ~3u) == pci.cap_pcicfg + 16u && window_is_isr_();
    const uint8_t isr_before = avps_dev_isr(dev_());
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_pci_cfg_read(p, off, size, value);
    check_rc_(rc);
    if (!was_ok)
        fz_trap_(fz_snap_same(&port));
    if (isr && rc == AVPS_OK) {
        fz_trap_(avps_dev_isr(dev_()) == 0u);
        fz_trap_((pci.win_data[0] & ~3u) == 0u && pci.win_data[0] == isr_before);
    }
    return rc;
}

int __wrap_avps_pci_cfg_write(struct avps_pci *p, uint32_t off, unsigned int size,
                              uint32_t value)
{
    const bool was_ok = driver_ok_();
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_pci_cfg_write(p, off, size, value);
    check_rc_(rc);
    if (!was_ok && !driver_ok_())
        check_untouched_();
    return rc;
}

int __wrap_avps_pci_bar_read(struct avps_pci *p, unsigned int bar, uint64_t off,
                             unsigned int size, uint64_t *value)
{
    const bool was_ok = driver_ok_();
    const uint8_t isr_before = avps_dev_isr(dev_());
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_pci_bar_read(p, bar, off, size, value);
    fz_trap_(rc == AVPS_OK || rc == AVPS_E_INVAL || AVPS_ERR_IS_GUEST(rc));
    if (!was_ok)
        fz_trap_(fz_snap_same(&port));
    if (rc == AVPS_OK && bar == AVPS_PCI_BAR && off == pci.off_isr && size == 1u) {
        fz_trap_(*value == isr_before && isr_before <= 3u);
        fz_trap_(avps_dev_isr(dev_()) == 0u);
        if (with_level)
            fz_trap_(port.level == 0);
    }
    if (rc == AVPS_OK && bar == AVPS_PCI_BAR && off == pci.off_common + CC_Q_ENABLE && size == 2u)
        fz_trap_(*value <= 1u);
    return rc;
}

int __wrap_avps_pci_bar_write(struct avps_pci *p, unsigned int bar, uint64_t off,
                              unsigned int size, uint64_t value)
{
    const bool was_ok = driver_ok_();
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_pci_bar_write(p, bar, off, size, value);
    fz_trap_(rc == AVPS_OK || rc == AVPS_E_INVAL || AVPS_ERR_IS_GUEST(rc));
    if (!was_ok && !driver_ok_())
        check_untouched_();
    if (rc == AVPS_OK && bar == AVPS_PCI_BAR && off == pci.off_common + CC_STATUS &&
        size == 1u && (uint8_t)value == 0u)
        fz_trap_(avps_dev_status(dev_()) == 0u);
    return rc;
}

/* ---- the invariants checked after every operation ------------------------ */

static uint32_t cfg_(uint32_t off, unsigned int size)
{
    uint32_t v = 0;

    fz_trap_(__real_avps_pci_cfg_read(&pci, off, size, &v) == AVPS_OK);
    return v;
}

static bool bar_decodes_(void)
{
    return (pci.command & AVPS_PCI_CMD_MEMORY) != 0u;
}

static uint64_t bar_(uint64_t off, unsigned int size)
{
    uint64_t v = 0;

    fz_trap_(__real_avps_pci_bar_read(&pci, AVPS_PCI_BAR, off, size, &v) == AVPS_OK);
    return v;
}

static void check_caps_(void)
{
    uint8_t seen[256 / 4];
    unsigned int types[6] = {0};
    unsigned int nmsix = 0;
    uint32_t pos = cfg_(0x34, 1);
    unsigned int n;

    memset(seen, 0, sizeof seen);
    fz_trap_((cfg_(0x06, 2) & 0x10u) != 0u);
    for (n = 0; pos != 0u; n++) {
        const uint32_t dw0 = cfg_(pos, 4);
        const uint8_t id = (uint8_t)dw0;
        uint32_t len;

        fz_trap_(n < 48u);
        fz_trap_(pos >= 0x40u && pos <= 0xfcu && (pos & 3u) == 0u);
        fz_trap_(!seen[pos / 4u]);
        seen[pos / 4u] = 1;
        if (id == 0x11u) {
            const uint32_t table = cfg_(pos + 4u, 4);
            const uint32_t pb = cfg_(pos + 8u, 4);

            len = 12u;
            nmsix++;
            fz_trap_(((dw0 >> 16) & 0x7ffu) + 1u == nvec);
            fz_trap_((table & 7u) == AVPS_PCI_BAR && (pb & 7u) == AVPS_PCI_BAR);
            fz_trap_((table & ~7u) == pci.off_msix && (pb & ~7u) == pci.off_pba);
            fz_trap_((uint64_t)(table & ~7u) + 16u * nvec <= avps_pci_bar_size(&pci, 0));
            fz_trap_((uint64_t)(pb & ~7u) + 8u * AVPS_PCI_PBA_WORDS(nvec) <=
                   avps_pci_bar_size(&pci, 0));
        } else {
            const uint32_t type = dw0 >> 24;

            fz_trap_(id == 0x09u);
            len = (dw0 >> 16) & 0xffu;
            fz_trap_(type >= 1u && type <= 5u && type != 4u);
            types[type]++;
            fz_trap_(len == ((type == 2u || type == 5u) ? 20u : 16u));
            if (type != 5u) { /* PCI_CFG's bar/offset/length are the window */
                const uint32_t off = cfg_(pos + 8u, 4);
                const uint32_t length = cfg_(pos + 12u, 4);

                fz_trap_((cfg_(pos + 4u, 4) & 0xffu) == AVPS_PCI_BAR);
                fz_trap_(length > 0u && (uint64_t)off + length <= avps_pci_bar_size(&pci, 0));
                fz_trap_(off == (type == 1u ? pci.off_common : type == 2u ? pci.off_notify
                                                                        : pci.off_isr));
                if (type == 2u)
                    fz_trap_(cfg_(pos + 16u, 4) == pci.notify_mult);
            }
        }
        fz_trap_(pos + len <= AVPS_PCI_CFG_SIZE);
        pos = (dw0 >> 8) & 0xffu;
    }
    fz_trap_(types[1] == 1 && types[2] == 1 && types[3] == 1 && types[5] == 1);
    fz_trap_(nmsix == (nvec != 0u ? 1u : 0u));
}

static void check_reset_state_(void)
{
    static const uint16_t sels[] = {0, 1, 2, 0x7fff, 0xffff};

    fz_trap_(avps_dev_isr(dev_()) == 0u);
    for (unsigned int i = 0; i < sizeof sels / sizeof sels[0]; i++)
        fz_trap_(avps_dev_queue_ready(dev_(), sels[i]) == 0u);
    if (bar_decodes_()) {
        const uint64_t keep = bar_(pci.off_common + CC_Q_SELECT, 2);

        for (unsigned int i = 0; i < sizeof sels / sizeof sels[0]; i++) {
            fz_trap_(__real_avps_pci_bar_write(&pci, AVPS_PCI_BAR, pci.off_common + CC_Q_SELECT,
                                             2, sels[i]) == AVPS_OK);
            fz_trap_(bar_(pci.off_common + CC_Q_ENABLE, 2) == 0u);
        }
        fz_trap_(__real_avps_pci_bar_write(&pci, AVPS_PCI_BAR, pci.off_common + CC_Q_SELECT, 2,
                                         keep) == AVPS_OK);
    }
}

static void check_all_(void)
{
    const uint8_t isr = avps_dev_isr(dev_());

    fz_trap_(cfg_(0x00, 4) == (0x1af4u | ((AVPS_PCI_DEVICE_ID_BASE + AVPS_VIRTIO_ID_RNG) << 16)));
    fz_trap_(cfg_(0x08, 4) == (1u | (AVPS_PCI_CLASS_OTHER << 8)));
    fz_trap_(cfg_(0x2c, 4) == (0x1af4u | ((AVPS_PCI_DEVICE_ID_BASE + AVPS_VIRTIO_ID_RNG) << 16)));
    fz_trap_((cfg_(0x10, 4) & 0xfu) == 0x4u);
    fz_trap_(cfg_(0x3d, 1) == 1u);
    check_caps_();
    fz_trap_((isr & ~3u) == 0u);
    fz_trap_(avps_dev_queue_ready(dev_(), 0) <= 1u);
    if (bar_decodes_())
        fz_trap_(bar_(pci.off_common + CC_Q_ENABLE, 2) <= 1u);
    /* pending bits only for existing vectors; nothing written past the storage */
    for (uint32_t w = 0; w < AVPS_PCI_PBA_WORDS(nvec); w++) {
        const uint32_t first = w * 64u;
        const uint64_t valid = nvec - first >= 64u ? UINT64_MAX : (1ull << (nvec - first)) - 1u;

        fz_trap_((pba[w] & ~valid) == 0u);
        if (bar_decodes_())
            fz_trap_(bar_(pci.off_pba + 8u * w, 8) == pba[w]);
    }
    for (uint32_t w = AVPS_PCI_PBA_WORDS(nvec); w < sizeof pba / sizeof pba[0]; w++)
        fz_trap_(pba[w] == 0u);
    for (uint32_t v = nvec; v < sizeof msix / sizeof msix[0]; v++) {
        const uint8_t *b = (const uint8_t *)&msix[v];

        for (size_t i = 0; i < sizeof msix[v]; i++)
            fz_trap_(b[i] == GUARD_BYTE);
    }
    if (with_level) {
        const int want = !msix_enabled_() && (pci.command & AVPS_PCI_CMD_INTX_DISABLE) == 0u &&
                         isr != 0u;

        fz_trap_(port.level == want && port.level == pci.intx_level);
    }
    if (!with_msi)
        fz_trap_(port.msi_count == 0u);
    if (avps_dev_status(dev_()) == 0u)
        check_reset_state_();
}

/* ---- driver actions ------------------------------------------------------ */

static uint64_t features_(uint8_t f)
{
    uint64_t w = F(VERSION_1);

    if (f & PF_F_PACKED) w |= F(RING_PACKED);
    if (f & PF_F_EVENT_IDX) w |= F(EVENT_IDX);
    if (f & PF_F_INDIRECT) w |= F(INDIRECT_DESC);
    if (f & PF_F_IN_ORDER) w |= F(IN_ORDER);
    if (f & PF_F_NOTIF_DATA) w |= F(NOTIFICATION_DATA);
    if (f & PF_F_RING_RESET) w |= F(RING_RESET);
    return w;
}

static void probe_(void)
{
    /* pd_probe forgets the queues it knew */
    (void)pd_probe(&drv, &pci, PF_BAR_BASE);
}

static void drv_init_(unsigned int p, uint8_t f, uint8_t qsel)
{
    uint16_t max, qsize;
    uint16_t vector = AVPS_DEV_NO_VECTOR;
    bool packed;

    if (!drv.common.found)
        probe_();
    if (!drv.common.found)
        return;
    if ((p & 1u) && drv.msix_pos != 0u)
        (void)pd_msix_enable(&drv, drv.msix_n < 2u ? drv.msix_n : 2u, PF_MSI_ADDR, 0x40);
    else if (drv.msix_on)
        pd_msix_disable(&drv);
    if (pd_negotiate(&drv, features_(f)) != 0)
        return;
    packed = (drv.features & F(RING_PACKED)) != 0u;
    rd_fini(&rq);
    drv.q[0] = NULL;
    pd_cc_write(&drv, CC_Q_SELECT, 2, 0);
    max = (uint16_t)pd_cc_read(&drv, 0x18, 2);
    qsize = (uint16_t)(max >> (qsel & 3u));
    if (qsize == 0u)
        qsize = max;
    if (qsize == 0u ||
        rd_init(&rq, &port.g, packed, qsize, drv.features, PF_RING, PF_HEAP, FZ_RAM - PF_HEAP) != 0)
        return;
    if (drv.msix_on) {
        vector = 0;
        (void)pd_set_config_vector(&drv, drv.msix_n > 1u ? 1u : 0u);
    }
    if (pd_setup_queue(&drv, 0, &rq, vector) != 0)
        return;
    (void)pd_driver_ok(&drv);
}

static uint64_t alloc_(uint32_t len)
{
    uint64_t a = rd_alloc(&rq, len);

    if (a == 0) {
        rq.heap = PF_HEAP;
        a = rd_alloc(&rq, len);
    }
    return a;
}

static void drv_add_(unsigned int p, uint8_t len)
{
    struct rd_buf b[4];
    const unsigned int n = (p & 3u) + 1u;

    if (rq.desc_p == NULL)
        return;
    for (unsigned int i = 0; i < n; i++) {
        b[i].len = 1u + len * (i + 1u);
        b[i].gpa = alloc_(b[i].len);
        b[i].write = !(i == 0 && n > 1 && (len & 1u));
        if (b[i].gpa == 0)
            return;
    }
    if (p & 4u) { /* ringdrv needs an indirect table inside one region */
        if (rq.heap + 16u * n > rq.heap_end)
            rq.heap = PF_HEAP;
        if (rq.heap < FZ_RAM / 2 && rq.heap + 16u * n > FZ_RAM / 2)
            rq.heap = FZ_RAM / 2;
    }
    (void)rd_add(&rq, b, n, (p & 4u) ? RD_INDIRECT : 0u);
    if ((p & 8u) && drv.q[0] != NULL)
        pd_notify(&drv, 0);
}

static void drv_used_(void)
{
    struct rd_done d;

    if (rq.desc_p == NULL)
        return;
    for (int i = 0; i < 256 && rd_get_used(&rq, &d) == 1; i++)
        ;
}

/* ---- the program ------------------------------------------------------------- */

static uint32_t le32_(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint16_t le16_(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_rng_cfg rc;
    struct avps_pci_cfg pc_cfg;
    size_t pc, end;
    int ops = 0;

    if (size < PF_HDR)
        return 0;
    end = PF_HDR + le16_(data + 2);
    if (end > size)
        end = size;
    with_level = (data[0] & 8u) == 0u;
    with_msi = (data[0] & 0x10u) == 0u;
    nvec = pf_msix[data[0] & 7u];
    if (fz_port_init(&port, with_level, with_msi) != 0)
        return 0;
    port.on_dirty = on_dirty_;
    port.on_msi = on_msi_;
    port.on_inject = on_inject_;
    fz_ram_write(&port, 0, data + end, size - end);
    if (data[1] & 0x80u)
        port.g.max_span = 1u + ((data[1] >> 3) & 7u);

    memset(&be, 0, sizeof be);
    rbe.fill = fz_fill;
    rbe.ctx = &be;
    memset(&rc, 0, sizeof rc);
    rc.backend = &rbe;
    rc.slots = slots;
    rc.num_slots = QSLOTS;
    rc.queue_size_max = pf_qmax[(data[0] >> 5) & 7u];
    fz_trap_(avps_rng_init(&rng, &port.host, &rc) == AVPS_OK);
    memset(msix, GUARD_BYTE, sizeof msix);
    memset(pba, 0, sizeof pba);
    memset(&pc_cfg, 0, sizeof pc_cfg);
    pc_cfg.msix_vectors = nvec;
    pc_cfg.msix_table = msix;
    pc_cfg.msix_pba = pba;
    pc_cfg.intx_line = 9;
    pc_cfg.notify_off_multiplier = pf_mult[data[1] & 3u];
    pc_cfg.notify_shared = (data[1] & 4u) != 0u;
    fz_trap_(avps_pci_init(&pci, avps_rng_dev(&rng), &pc_cfg) == AVPS_OK);
    memset(&drv, 0, sizeof drv);
    drv.pci = &pci;
    memset(&rq, 0, sizeof rq);
    check_all_();

    for (pc = PF_HDR; pc < end && ops++ < PF_MAX_OPS;) {
        const uint8_t op = data[pc++];
        const unsigned int p = op >> 4;
        const uint8_t *a = data + pc; /* operands */
        const size_t left = end - pc;
        uint64_t v = 0;
        uint32_t v32 = 0;

        switch ((enum pf_op)(op & 15u)) {
        case PF_CFG:
            if (left < 6)
                goto out;
            if (p & 8u)
                (void)avps_pci_cfg_write(&pci, le16_(a) % 0x1100u, pf_csizes[p & 3u],
                                         le32_(a + 2));
            else
                (void)avps_pci_cfg_read(&pci, le16_(a) % 0x1100u, pf_csizes[p & 3u], &v32);
            pc += 6;
            break;
        case PF_BAR:
            if (left < 6)
                goto out;
            if (p & 8u)
                (void)avps_pci_bar_write(&pci, AVPS_PCI_BAR, le16_(a), pf_sizes[p & 7u],
                                         le32_(a + 2) | ((uint64_t)le32_(a + 2) << 32));
            else
                (void)avps_pci_bar_read(&pci, AVPS_PCI_BAR, le16_(a), pf_sizes[p & 7u], &v);
            pc += 6;
            break;
        case PF_COMMON:
            if (left < 5)
                goto out;
            if (p & 8u)
                (void)avps_pci_bar_write(&pci, AVPS_PCI_BAR, pci.off_common + (a[0] & 0x3fu),
                                         pf_sizes[p & 7u], le32_(a + 1));
            else
                (void)avps_pci_bar_read(&pci, AVPS_PCI_BAR, pci.off_common + (a[0] & 0x3fu),
                                        pf_sizes[p & 7u], &v);
            pc += 5;
            break;
        case PF_PROBE:
            probe_();
            break;
        case PF_INIT:
            if (left < 2)
                goto out;
            drv_init_(p, a[0], a[1]);
            pc += 2;
            break;
        case PF_ADD:
            if (left < 1)
                goto out;
            drv_add_(p, a[0]);
            pc += 1;
            break;
        case PF_IRQ:
            if (drv.isr.found)
                (void)pd_isr(&drv);
            break;
        case PF_USED:
            drv_used_();
            break;
        case PF_RAM: {
            size_t n;

            if (left < 3)
                goto out;
            n = a[2] & 63u;
            if (n > left - 3)
                n = left - 3;
            fz_ram_write(&port, le16_(a) % FZ_RAM, a + 3, n);
            pc += 3 + n;
            break;
        }
        case PF_BACKEND:
            be.dry = (uint8_t)(p & 7u);
            be.io = (uint8_t)((p >> 3) & 1u);
            break;
        case PF_RESUME: {
            const bool was_ok = driver_ok_();
            int r;

            if (!was_ok)
                fz_snap(&port);
            r = avps_rng_resume(&rng);
            fz_trap_(r >= 0 || r == AVPS_E_STATE);
            if (!was_ok) {
                fz_trap_(r == AVPS_E_STATE);
                fz_trap_(fz_snap_same(&port));
            }
            break;
        }
        case PF_MSIX:
            if (left < 1)
                goto out;
            if (drv.msix_pos != 0u) {
                switch (p & 3u) {
                case 0: pd_msix_mask_entry(&drv, (uint16_t)(a[0] % drv.msix_n), (p & 4u) != 0u); break;
                case 1: pd_msix_function_mask(&drv, (p & 4u) != 0u); break;
                case 2: pd_msix_disable(&drv); break;
                default:
                    (void)pd_msix_enable(&drv, (uint16_t)(1u + a[0] % drv.msix_n), PF_MSI_ADDR,
                                         0x40);
                    break;
                }
            }
            pc += 1;
            break;
        case PF_WINDOW: {
            const uint32_t pos = pci.cap_pcicfg;

            if (left < 7)
                goto out;
            (void)avps_pci_cfg_write(&pci, pos + 4u, 1, a[0]);
            (void)avps_pci_cfg_write(&pci, pos + 8u, 4, le16_(a + 1));
            (void)avps_pci_cfg_write(&pci, pos + 12u, 4, pf_csizes[p & 3u]);
            if (p & 8u)
                (void)avps_pci_cfg_write(&pci, pos + 16u, pf_csizes[p & 3u] == 3u ? 4u :
                                         pf_csizes[p & 3u], le32_(a + 3));
            else
                (void)avps_pci_cfg_read(&pci, pos + 16u, pf_csizes[p & 3u] == 3u ? 4u :
                                        pf_csizes[p & 3u], &v32);
            pc += 7;
            break;
        }
        case PF_EVENT:
            if (p & 1u) {
                const bool was_ok = driver_ok_();

                if (!was_ok)
                    fz_snap(&port);
                fz_trap_(avps_pci_reset(&pci) == AVPS_OK);
                fz_trap_(avps_dev_status(dev_()) == 0u && pci.command == 0u);
                if (!was_ok)
                    fz_trap_(fz_snap_same(&port));
                memset(&drv, 0, sizeof drv); /* the driver must probe again */
                drv.pci = &pci;
            } else {
                avps_dev_config_changed(dev_());
            }
            break;
        case PF_NOTIFY:
            if (p & 1u) {
                if (drv.notify.found && drv.q[0] != NULL)
                    pd_notify(&drv, 0);
            } else {
                if (left < 6)
                    goto out;
                (void)avps_pci_bar_write(&pci, AVPS_PCI_BAR, pci.off_notify + le16_(a),
                                         (p & 2u) ? 4u : 2u, le32_(a + 2));
                pc += 6;
            }
            break;
        case PF_STATUS:
            if (left < 1)
                goto out;
            (void)avps_pci_bar_write(&pci, AVPS_PCI_BAR, pci.off_common + CC_STATUS, 1, a[0]);
            pc += 1;
            break;
        }
        check_all_();
    }
out:
    if (getenv("PCI_FUZZ_LOG") != NULL) /* to check what a seed reaches */
        fprintf(stderr, "ops %d, status %#x, entropy %llu bytes, guest errors %llu, msi %u, "
                "intx %u\n", ops, avps_dev_status(dev_()),
                (unsigned long long)avps_rng_bytes(&rng),
                (unsigned long long)avps_dev_guest_errors(dev_()), port.msi_count,
                port.level_calls);
    rd_fini(&rq);
    fz_port_fini(&port);
    return 0;
}

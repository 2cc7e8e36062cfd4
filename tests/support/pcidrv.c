/* pcidrv: guest-side virtio-pci driver from the spec; see pcidrv.h. */
#include "pcidrv.h"

#include <string.h>

#include <avps/err.h>
#include <avps/virtio/features.h>

/* PCI header and capability offsets (PCI Local Bus 3.0 §6.1, §6.7, §6.8.2) */
#define PCI_VENDOR 0x00u
#define PCI_DEVICE 0x02u
#define PCI_COMMAND 0x04u
#define PCI_STATUS 0x06u
#define PCI_REVISION 0x08u
#define PCI_BAR0 0x10u
#define PCI_SUBSYS_VENDOR 0x2cu
#define PCI_SUBSYS_ID 0x2eu
#define PCI_CAP_PTR 0x34u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_CAP_ID_VNDR 0x09u
#define PCI_CAP_ID_MSIX 0x11u
#define MSIX_ENABLE 0x8000u
#define MSIX_MASKALL 0x4000u

/* struct virtio_pci_common_cfg (§4.1.4.3) */
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

#define NO_VECTOR 0xffffu

/* ---- the port ------------------------------------------------------------ */

static void pd_watch_(struct pd_port *pp)
{
    if (pp->watch_dev != NULL)
        pp->isr_at_last_irq = avps_dev_isr(pp->watch_dev);
}

static int pd_inject_msi_(void *ctx, uint64_t addr, uint32_t data, uint32_t vector)
{
    struct pd_port *pp = ctx; /* &pp->g is the ctx and pp's first member */

    pp->msi_count++;
    pp->last_msi_addr = addr;
    pp->last_msi_data = data;
    pp->last_msi_vector = vector;
    if (vector < PD_MAX_VECTORS)
        pp->msi_by_vector[vector]++;
    pd_watch_(pp);
    return 0;
}

static int pd_set_level_(void *ctx, uint32_t line, int level)
{
    struct pd_port *pp = ctx;

    pp->last_intx_line = line;
    if (level != 0 && pp->intx_level == 0)
        pp->intx_rises++;
    if (level == 0 && pp->intx_level != 0)
        pp->intx_falls++;
    pp->intx_level = level;
    pd_watch_(pp);
    return 0;
}

static void pd_lock_(void *lock_ctx)
{
    struct pd_port *pp = lock_ctx;

    pp->locks++;
    pp->lock_depth++;
    if (pp->lock_depth > pp->lock_max_depth)
        pp->lock_max_depth = pp->lock_depth;
}

static void pd_unlock_(void *lock_ctx)
{
    struct pd_port *pp = lock_ctx;

    pp->unlocks++;
    pp->lock_depth--;
}

void pd_port_init(struct pd_port *pp, bool with_msi, bool with_level, bool with_lock)
{
    memset(pp, 0, sizeof *pp);
    avps_posix_init(&pp->g);
    pp->ops = *pp->g.host.ops;
    pp->ops.inject_msi = with_msi ? pd_inject_msi_ : NULL;
    pp->ops.set_level = with_level ? pd_set_level_ : NULL;
    if (with_lock) {
        pp->ops.lock = pd_lock_;
        pp->ops.unlock = pd_unlock_;
    }
    pp->host.ops = &pp->ops;
    pp->host.ctx = &pp->g;
}

void pd_port_fini(struct pd_port *pp)
{
    avps_posix_fini(&pp->g);
}

void pd_port_clear(struct pd_port *pp)
{
    avps_posix_clear_counters(&pp->g);
    pp->msi_count = 0;
    memset(pp->msi_by_vector, 0, sizeof pp->msi_by_vector);
    pp->intx_rises = 0;
    pp->intx_falls = 0;
}

/* ---- raw access ------------------------------------------------------------ */

static void pd_rc_(struct pd_dev *d, int rc)
{
    d->last_rc = rc;
    if (rc < 0)
        d->errors++;
}

uint32_t pd_cfg_read(struct pd_dev *d, uint32_t off, unsigned int size)
{
    uint32_t v = 0;

    pd_rc_(d, avps_pci_cfg_read(d->pci, off, size, &v));
    return v;
}

void pd_cfg_write(struct pd_dev *d, uint32_t off, unsigned int size, uint32_t value)
{
    pd_rc_(d, avps_pci_cfg_write(d->pci, off, size, value));
}

/* The hypervisor's part: which BAR decodes gpa. */
static bool pd_route_(const struct pd_dev *d, uint64_t gpa, unsigned int *bar, uint64_t *off)
{
    for (unsigned int i = 0; i < AVPS_PCI_NUM_BARS; i++) {
        const uint64_t size = avps_pci_bar_size(d->pci, i);
        const uint64_t base = avps_pci_bar_addr(d->pci, i);

        if (size != 0u && gpa >= base && gpa - base < size) {
            *bar = i;
            *off = gpa - base;
            return true;
        }
    }
    return false;
}

uint64_t pd_mmio_read(struct pd_dev *d, uint64_t gpa, unsigned int size)
{
    unsigned int bar;
    uint64_t off;
    uint64_t v = 0;

    if (!pd_route_(d, gpa, &bar, &off)) {
        pd_rc_(d, -1);
        return size >= 8u ? UINT64_MAX : (1ull << (8u * size)) - 1u;
    }
    pd_rc_(d, avps_pci_bar_read(d->pci, bar, off, size, &v));
    return v;
}

void pd_mmio_write(struct pd_dev *d, uint64_t gpa, unsigned int size, uint64_t value)
{
    unsigned int bar;
    uint64_t off;

    if (!pd_route_(d, gpa, &bar, &off)) {
        pd_rc_(d, -1);
        return;
    }
    pd_rc_(d, avps_pci_bar_write(d->pci, bar, off, size, value));
}

uint64_t pd_cap_gpa(const struct pd_dev *d, const struct pd_cap *c)
{
    return d->bar_base[c->bar] + c->offset;
}

/* ---- probe --------------------------------------------------------------- */

static uint64_t align_up_(uint64_t v, uint64_t a)
{
    return (v + a - 1u) & ~(a - 1u);
}

/* Size every BAR with the all-ones protocol and place it from *base. */
static void pd_place_bars_(struct pd_dev *d, uint64_t base)
{
    for (unsigned int i = 0; i < AVPS_PCI_NUM_BARS; i++) {
        const uint32_t reg = PCI_BAR0 + 4u * i;
        const uint32_t orig = pd_cfg_read(d, reg, 4);
        uint32_t lo;
        uint64_t mask;

        pd_cfg_write(d, reg, 4, 0xffffffffu);
        lo = pd_cfg_read(d, reg, 4);
        pd_cfg_write(d, reg, 4, orig);
        if (lo == 0u || (lo & 1u) != 0u)
            continue; /* not implemented (or I/O, which we do not use) */
        mask = lo & ~0xfull;
        if (((lo >> 1) & 3u) == 2u && i + 1u < AVPS_PCI_NUM_BARS) {
            const uint32_t orig_hi = pd_cfg_read(d, reg + 4u, 4);
            uint32_t hi;

            pd_cfg_write(d, reg + 4u, 4, 0xffffffffu);
            hi = pd_cfg_read(d, reg + 4u, 4);
            pd_cfg_write(d, reg + 4u, 4, orig_hi);
            mask |= (uint64_t)hi << 32;
            d->bar_mem64[i] = true;
        } else {
            mask |= 0xffffffff00000000ull;
        }
        d->bar_size[i] = ~mask + 1u;
        base = align_up_(base, d->bar_size[i]);
        d->bar_base[i] = base;
        pd_cfg_write(d, reg, 4, (uint32_t)base);
        base += d->bar_size[i];
        if (d->bar_mem64[i]) {
            pd_cfg_write(d, reg + 4u, 4, (uint32_t)(d->bar_base[i] >> 32));
            i++;
        }
    }
}

static void pd_take_(struct pd_dev *d, struct pd_cap *c, uint8_t pos, uint8_t len)
{
    if (c->found)
        return; /* §4.1.4.1: use the first of each type */
    c->found = true;
    c->pos = pos;
    c->cap_len = len;
    c->bar = (uint8_t)pd_cfg_read(d, pos + 4u, 1);
    c->offset = pd_cfg_read(d, pos + 8u, 4);
    c->length = pd_cfg_read(d, pos + 12u, 4);
}

static void pd_walk_caps_(struct pd_dev *d)
{
    uint32_t pos = pd_cfg_read(d, PCI_CAP_PTR, 1) & 0xfcu;

    /* Bounded: at most 48 capabilities fit in 192 bytes. */
    for (unsigned int n = 0; pos >= 0x40u && n < 48u; n++) {
        const uint8_t id = (uint8_t)pd_cfg_read(d, pos, 1);
        const uint32_t next = pd_cfg_read(d, pos + 1u, 1) & 0xfcu;

        d->ncaps++;
        if (id == PCI_CAP_ID_VNDR) {
            const uint8_t len = (uint8_t)pd_cfg_read(d, pos + 2u, 1);
            const uint8_t type = (uint8_t)pd_cfg_read(d, pos + 3u, 1);
            const uint8_t bar = (uint8_t)pd_cfg_read(d, pos + 4u, 1);

            /* §4.1.4.1: ignore reserved bar values and cfg_types. */
            if (len >= 16u && (bar <= 5u || type == 5u)) {
                switch (type) {
                case 1: pd_take_(d, &d->common, (uint8_t)pos, len); break;
                case 2:
                    if (len >= 20u && !d->notify.found) {
                        pd_take_(d, &d->notify, (uint8_t)pos, len);
                        d->notify_mult = pd_cfg_read(d, pos + 16u, 4);
                    }
                    break;
                case 3: pd_take_(d, &d->isr, (uint8_t)pos, len); break;
                case 4: pd_take_(d, &d->device, (uint8_t)pos, len); break;
                case 5:
                    if (len >= 20u)
                        pd_take_(d, &d->pcicfg, (uint8_t)pos, len);
                    break;
                default: break;
                }
            }
        } else if (id == PCI_CAP_ID_MSIX && d->msix_pos == 0u) {
            const uint32_t ctrl = pd_cfg_read(d, pos + 2u, 2);
            const uint32_t table = pd_cfg_read(d, pos + 4u, 4);
            const uint32_t pba = pd_cfg_read(d, pos + 8u, 4);

            d->msix_pos = (uint8_t)pos;
            d->msix_n = (uint16_t)((ctrl & 0x7ffu) + 1u);
            d->msix_table_bar = (uint8_t)(table & 7u);
            d->msix_table_off = table & ~7u;
            d->msix_pba_bar = (uint8_t)(pba & 7u);
            d->msix_pba_off = pba & ~7u;
        }
        pos = next;
    }
}

int pd_probe(struct pd_dev *d, struct avps_pci *pci, uint64_t mmio_base)
{
    memset(d, 0, sizeof *d);
    d->pci = pci;
    d->vendor_id = (uint16_t)pd_cfg_read(d, PCI_VENDOR, 2);
    d->device_id = (uint16_t)pd_cfg_read(d, PCI_DEVICE, 2);
    d->revision = (uint8_t)pd_cfg_read(d, PCI_REVISION, 1);
    d->class_code = pd_cfg_read(d, PCI_REVISION, 4) >> 8;
    d->subsys_vendor = (uint16_t)pd_cfg_read(d, PCI_SUBSYS_VENDOR, 2);
    d->subsys_id = (uint16_t)pd_cfg_read(d, PCI_SUBSYS_ID, 2);
    /* §4.1.2.2: vendor 0x1AF4, device 0x1040..0x107f; any revision. */
    if (d->vendor_id != 0x1af4u || d->device_id < 0x1040u || d->device_id > 0x107fu)
        return -1;
    pd_place_bars_(d, mmio_base);
    pd_cfg_write(d, PCI_COMMAND, 2,
                 pd_cfg_read(d, PCI_COMMAND, 2) | AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER);
    if ((pd_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0u)
        return -2; /* §4.1.5.1.1.1: a legacy device; we are non-transitional */
    pd_walk_caps_(d);
    if (!d->common.found || !d->notify.found || !d->isr.found)
        return -2;
    return 0;
}

/* ---- structures -------------------------------------------------------------- */

uint64_t pd_cc_read(struct pd_dev *d, uint32_t off, unsigned int size)
{
    return pd_mmio_read(d, pd_cap_gpa(d, &d->common) + off, size);
}

void pd_cc_write(struct pd_dev *d, uint32_t off, unsigned int size, uint64_t value)
{
    pd_mmio_write(d, pd_cap_gpa(d, &d->common) + off, size, value);
}

static uint64_t pd_dev_field_(struct pd_dev *d, uint32_t off, unsigned int size)
{
    const uint64_t gpa = pd_cap_gpa(d, &d->device) + off;

    if (size == 8u) /* §4.1.3.1: 64-bit fields as two 32-bit accesses */
        return pd_mmio_read(d, gpa, 4) | (pd_mmio_read(d, gpa + 4u, 4) << 32);
    return pd_mmio_read(d, gpa, size);
}

uint64_t pd_config_read(struct pd_dev *d, uint32_t off, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int tries = 0; tries < 16u; tries++) {
        const uint64_t before = pd_cc_read(d, CC_GENERATION, 1);

        v = pd_dev_field_(d, off, size);
        if (pd_cc_read(d, CC_GENERATION, 1) == before)
            break;
    }
    return v;
}

void pd_config_write(struct pd_dev *d, uint32_t off, unsigned int size, uint64_t value)
{
    const uint64_t gpa = pd_cap_gpa(d, &d->device) + off;

    if (size == 8u) {
        pd_mmio_write(d, gpa, 4, value & 0xffffffffu);
        pd_mmio_write(d, gpa + 4u, 4, value >> 32);
        return;
    }
    pd_mmio_write(d, gpa, size, value);
}

uint8_t pd_status(struct pd_dev *d)
{
    return (uint8_t)pd_cc_read(d, CC_STATUS, 1);
}

void pd_set_status(struct pd_dev *d, uint8_t s)
{
    pd_cc_write(d, CC_STATUS, 1, s);
}

int pd_reset(struct pd_dev *d)
{
    pd_set_status(d, 0);
    for (unsigned int i = 0; i < 100u; i++) {
        if (pd_status(d) == 0u)
            return 0;
    }
    return -1;
}

/* ---- MSI-X --------------------------------------------------------------- */

static uint64_t pd_msix_entry_gpa_(const struct pd_dev *d, uint16_t v)
{
    return d->bar_base[d->msix_table_bar] + d->msix_table_off + 16u * (uint64_t)v;
}

static void pd_msix_ctrl_(struct pd_dev *d, uint16_t set, uint16_t clear)
{
    const uint32_t pos = d->msix_pos + 2u;
    const uint32_t ctrl = pd_cfg_read(d, pos, 2);

    pd_cfg_write(d, pos, 2, (ctrl | set) & ~(uint32_t)clear);
}

int pd_msix_enable(struct pd_dev *d, uint16_t nvec, uint64_t addr, uint32_t data0)
{
    if (d->msix_pos == 0u || nvec > d->msix_n)
        return -1;
    pd_msix_ctrl_(d, MSIX_ENABLE | MSIX_MASKALL, 0);
    for (uint16_t v = 0; v < nvec; v++) {
        const uint64_t e = pd_msix_entry_gpa_(d, v);

        pd_mmio_write(d, e + 0u, 4, addr & 0xffffffffu);
        pd_mmio_write(d, e + 4u, 4, addr >> 32);
        pd_mmio_write(d, e + 8u, 4, data0 + v);
        pd_mmio_write(d, e + 12u, 4, 0); /* unmask */
    }
    pd_msix_ctrl_(d, 0, MSIX_MASKALL);
    d->msix_on = true;
    return 0;
}

void pd_msix_disable(struct pd_dev *d)
{
    if (d->msix_pos != 0u)
        pd_msix_ctrl_(d, 0, MSIX_ENABLE);
    d->msix_on = false;
}

void pd_msix_mask_entry(struct pd_dev *d, uint16_t v, bool masked)
{
    pd_mmio_write(d, pd_msix_entry_gpa_(d, v) + 12u, 4, masked ? 1u : 0u);
}

void pd_msix_function_mask(struct pd_dev *d, bool masked)
{
    if (masked)
        pd_msix_ctrl_(d, MSIX_MASKALL, 0);
    else
        pd_msix_ctrl_(d, 0, MSIX_MASKALL);
}

uint64_t pd_msix_pba(struct pd_dev *d, uint16_t word)
{
    return pd_mmio_read(d, d->bar_base[d->msix_pba_bar] + d->msix_pba_off + 8u * (uint64_t)word,
                        8);
}

/* ---- initialisation (§3.1.1, §4.1.5.1) ------------------------------------ */

int pd_negotiate(struct pd_dev *d, uint64_t want)
{
    const uint8_t ack = AVPS_VIRTIO_S_ACKNOWLEDGE;
    const uint8_t drv = AVPS_VIRTIO_S_DRIVER;
    const uint8_t fok = AVPS_VIRTIO_S_FEATURES_OK;
    uint64_t f;

    if (pd_reset(d) != 0)
        return -1;
    pd_set_status(d, ack);
    pd_set_status(d, ack | drv);
    pd_cc_write(d, CC_DFSELECT, 4, 0);
    d->offered = pd_cc_read(d, CC_DF, 4);
    pd_cc_write(d, CC_DFSELECT, 4, 1);
    d->offered |= pd_cc_read(d, CC_DF, 4) << 32;
    f = want & d->offered;
    pd_cc_write(d, CC_GFSELECT, 4, 0);
    pd_cc_write(d, CC_GF, 4, f & 0xffffffffu);
    pd_cc_write(d, CC_GFSELECT, 4, 1);
    pd_cc_write(d, CC_GF, 4, f >> 32);
    pd_set_status(d, ack | drv | fok);
    if ((pd_status(d) & fok) == 0u) {
        pd_set_status(d, (uint8_t)(pd_status(d) | AVPS_VIRTIO_S_FAILED));
        return -1;
    }
    d->features = f;
    d->num_queues = (uint16_t)pd_cc_read(d, CC_NUM_QUEUES, 2);
    return 0;
}

static void pd_write64_(struct pd_dev *d, uint32_t off, uint64_t v)
{
    /* §4.1.3.1: low then high 32 bits */
    pd_cc_write(d, off, 4, v & 0xffffffffu);
    pd_cc_write(d, off + 4u, 4, v >> 32);
}

int pd_setup_queue(struct pd_dev *d, uint16_t qi, struct rd_queue *rq, uint16_t vector)
{
    uint16_t max;

    if (qi >= PD_MAX_QUEUES)
        return -1;
    pd_cc_write(d, CC_Q_SELECT, 2, qi);
    max = (uint16_t)pd_cc_read(d, CC_Q_SIZE, 2);
    if (max == 0u || rq->size > max)
        return -1; /* the queue does not exist, or is smaller than we built */
    if (rq->size != max)
        pd_cc_write(d, CC_Q_SIZE, 2, rq->size);
    if (vector != NO_VECTOR || d->msix_on) {
        pd_cc_write(d, CC_Q_MSIX, 2, vector);
        if (pd_cc_read(d, CC_Q_MSIX, 2) != vector)
            return -2; /* §4.1.5.1.2.2: mapping failed */
    }
    pd_write64_(d, CC_Q_DESC, rq->desc);
    pd_write64_(d, CC_Q_DRIVER, rq->driver);
    pd_write64_(d, CC_Q_DEVICE, rq->device);
    d->q_notify_off[qi] = (uint16_t)pd_cc_read(d, CC_Q_NOFF, 2);
    pd_cc_write(d, CC_Q_ENABLE, 2, 1);
    if (pd_cc_read(d, CC_Q_ENABLE, 2) != 1u)
        return -3;
    d->q[qi] = rq;
    d->q_vector[qi] = vector;
    return 0;
}

int pd_driver_ok(struct pd_dev *d)
{
    const uint8_t s = pd_status(d);

    pd_set_status(d, (uint8_t)(s | AVPS_VIRTIO_S_DRIVER_OK));
    return (pd_status(d) & AVPS_VIRTIO_S_DRIVER_OK) != 0u ? 0 : -1;
}

uint16_t pd_set_config_vector(struct pd_dev *d, uint16_t v)
{
    pd_cc_write(d, CC_MSIX_CONFIG, 2, v);
    return (uint16_t)pd_cc_read(d, CC_MSIX_CONFIG, 2);
}

/* ---- operation ----------------------------------------------------------- */

void pd_notify(struct pd_dev *d, uint16_t qi)
{
    const uint64_t gpa = pd_cap_gpa(d, &d->notify) +
                         (uint64_t)d->q_notify_off[qi < PD_MAX_QUEUES ? qi : 0] * d->notify_mult;
    const struct rd_queue *rq = qi < PD_MAX_QUEUES ? d->q[qi] : NULL;

    if ((d->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)) != 0u && rq != NULL) {
        /* §2.9: vq_index | next_off:15 | next_wrap:1 */
        uint32_t next;

        if (rq->packed)
            next = (uint32_t)rq->next_avail | ((uint32_t)rq->avail_wrap << 15);
        else
            next = rq->avail_idx;
        pd_mmio_write(d, gpa, 4, (uint32_t)qi | (next << 16));
        return;
    }
    pd_mmio_write(d, gpa, 2, qi);
}

uint8_t pd_isr(struct pd_dev *d)
{
    return (uint8_t)pd_mmio_read(d, pd_cap_gpa(d, &d->isr), 1);
}

static void pd_win_setup_(struct pd_dev *d, uint8_t bar, uint32_t off, uint32_t len)
{
    const uint32_t pos = d->pcicfg.pos;

    pd_cfg_write(d, pos + 4u, 1, bar);
    pd_cfg_write(d, pos + 8u, 4, off);
    pd_cfg_write(d, pos + 12u, 4, len);
}

uint32_t pd_win_read(struct pd_dev *d, uint8_t bar, uint32_t off, uint32_t len)
{
    pd_win_setup_(d, bar, off, len);
    return pd_cfg_read(d, d->pcicfg.pos + 16u, len == 1u || len == 2u ? len : 4u);
}

void pd_win_write(struct pd_dev *d, uint8_t bar, uint32_t off, uint32_t len, uint32_t value)
{
    pd_win_setup_(d, bar, off, len);
    pd_cfg_write(d, d->pcicfg.pos + 16u, len == 1u || len == 2u ? len : 4u, value);
}

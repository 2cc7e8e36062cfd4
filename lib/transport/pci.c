/*
 * virtio-pci modern transport (VIRTIO 1.2 §4.1).
 *
 * Configuration space is computed register by register from the transport's
 * state; it is never a byte array the guest can write into. The BAR is split
 * into page-aligned regions (common configuration, ISR, device configuration,
 * notification area, MSI-X table, MSI-X PBA), and the common configuration is
 * described by a sorted table of fields with their width and access, so every
 * access is checked against the field it lands on before anything happens.
 *
 * Every value here comes from the guest: selectors, vectors, offsets, sizes.
 * None of them reaches an assert or indexes an array unchecked.
 */
#include <avps/pci.h>
#include <avps/virtio/ring.h>

#include "../devices/dev_priv.h"

#define PAGE 0x1000u
#define PCI_F_NOTIFICATION_DATA AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)
#define PCI_F_RING_PACKED AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED)
#define PCI_F_RING_RESET AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET)

/* ---- PCI configuration header (type 0) -------------------------------- */
#define CFG_ID 0x00u
#define CFG_CMD_STATUS 0x04u
#define CFG_CLASS_REV 0x08u
#define CFG_HDR 0x0cu
#define CFG_BAR0 0x10u
#define CFG_BAR1 0x14u
#define CFG_SUBSYS 0x2cu
#define CFG_CAP_PTR 0x34u
#define CFG_INTR 0x3cu
#define CFG_CAPS 0x40u        /* first capability */
#define CFG_EXT_END 0x1000u   /* end of the PCIe extended space */

#define STATUS_INTX 0x0008u
#define STATUS_CAP_LIST 0x0010u
#define CMD_RW (AVPS_PCI_CMD_MEMORY | AVPS_PCI_CMD_BUS_MASTER | AVPS_PCI_CMD_INTX_DISABLE)
#define BAR_MEM64 0x4u        /* memory, 64-bit, not prefetchable */
#define INTX_PIN_A 1u

#define CAP_ID_VNDR 0x09u
#define CAP_ID_MSIX 0x11u

/* struct virtio_pci_cap cfg_type values (§4.1.4) */
#define VCAP_COMMON 1u
#define VCAP_NOTIFY 2u
#define VCAP_ISR 3u
#define VCAP_DEVICE 4u
#define VCAP_PCI_CFG 5u

#define VCAP_LEN 16u          /* struct virtio_pci_cap */
#define VCAP_NOTIFY_LEN 20u   /* + notify_off_multiplier */
#define VCAP_PCI_CFG_LEN 20u  /* + pci_cfg_data[4] */
#define MSIX_CAP_LEN 12u

#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_MASKALL 0x4000u
#define MSIX_CTRL_RW (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL)
#define MSIX_ENTRY_SIZE 16u

/* ---- the common configuration structure (§4.1.4.3) --------------------- */
enum cc_field {
    CC_DFSELECT,
    CC_DF,
    CC_GFSELECT,
    CC_GF,
    CC_MSIX_CONFIG,
    CC_NUM_QUEUES,
    CC_STATUS,
    CC_GENERATION,
    CC_Q_SELECT,
    CC_Q_SIZE,
    CC_Q_MSIX,
    CC_Q_ENABLE,
    CC_Q_NOFF,
    CC_Q_DESC,
    CC_Q_DRIVER,
    CC_Q_DEVICE,
    CC_Q_NDATA,
    CC_Q_RESET,
    CC_ADMIN_INDEX,
    CC_ADMIN_NUM,
    CC_COUNT
};

struct cc_desc {
    uint8_t off;
    uint8_t size; /* natural width; 8 = a 64-bit field in two 32-bit halves */
    uint8_t ro;   /* read-only for the driver */
};

/* Sorted by offset; the index is the field. */
static const struct cc_desc cc_table[CC_COUNT] = {
    [CC_DFSELECT] = {0x00, 4, 0},    [CC_DF] = {0x04, 4, 1},
    [CC_GFSELECT] = {0x08, 4, 0},    [CC_GF] = {0x0c, 4, 0},
    [CC_MSIX_CONFIG] = {0x10, 2, 0}, [CC_NUM_QUEUES] = {0x12, 2, 1},
    [CC_STATUS] = {0x14, 1, 0},      [CC_GENERATION] = {0x15, 1, 1},
    [CC_Q_SELECT] = {0x16, 2, 0},    [CC_Q_SIZE] = {0x18, 2, 0},
    [CC_Q_MSIX] = {0x1a, 2, 0},      [CC_Q_ENABLE] = {0x1c, 2, 0},
    [CC_Q_NOFF] = {0x1e, 2, 1},      [CC_Q_DESC] = {0x20, 8, 0},
    [CC_Q_DRIVER] = {0x28, 8, 0},    [CC_Q_DEVICE] = {0x30, 8, 0},
    [CC_Q_NDATA] = {0x38, 2, 1},     [CC_Q_RESET] = {0x3a, 2, 0},
    [CC_ADMIN_INDEX] = {0x3c, 2, 1}, [CC_ADMIN_NUM] = {0x3e, 2, 1},
};
#define COMMON_LEN 0x40u
AVPS_STATIC_ASSERT(AVPS_ARRAY_LEN(cc_table) == (size_t)CC_COUNT, "one entry per field");

/* Which part of a field an access covers. */
enum cc_part { PART_WHOLE, PART_LO, PART_HI };

/* Find the field an access of @size at @off lands on: its natural width, or
 * (64-bit fields) one aligned 32-bit half. False for anything else. */
static bool cc_lookup_(uint32_t off, unsigned int size, enum cc_field *field,
                       enum cc_part *part)
{
    for (unsigned int i = 0; i < (unsigned int)CC_COUNT; i++) {
        const struct cc_desc *d = &cc_table[i];

        if ((off == d->off) && (size == d->size)) {
            *field = (enum cc_field)i; /* i < CC_COUNT: a field */
            *part = PART_WHOLE;
            return true;
        }
        if ((d->size == 8u) && (size == 4u) && ((off == d->off) || (off == (d->off + 4u)))) {
            *field = (enum cc_field)i;
            *part = (off == d->off) ? PART_LO : PART_HI;
            return true;
        }
    }
    return false;
}

/* ---- BAR regions -------------------------------------------------------- */
enum region { R_COMMON, R_ISR, R_DEVICE, R_NOTIFY, R_MSIX, R_PBA, R_NONE };

static enum region region_of_(const struct avps_pci *p, uint32_t off, uint32_t *base)
{
    if (off >= p->end) {
        return R_NONE;
    }
    if ((p->msix_n != 0u) && (off >= p->off_pba)) {
        *base = p->off_pba;
        return R_PBA;
    }
    if ((p->msix_n != 0u) && (off >= p->off_msix)) {
        *base = p->off_msix;
        return R_MSIX;
    }
    if (off >= p->off_notify) {
        *base = p->off_notify;
        return R_NOTIFY;
    }
    if ((p->off_device != 0u) && (off >= p->off_device)) {
        *base = p->off_device;
        return R_DEVICE;
    }
    if (off >= p->off_isr) {
        *base = p->off_isr;
        return R_ISR;
    }
    *base = p->off_common;
    return R_COMMON;
}

/* ---- helpers ------------------------------------------------------------ */

static int pci_refuse_(struct avps_pci *p, uint64_t a, uint64_t size, int err)
{
    avps_dev_report_(p->dev, AVPS_EV_DEV_REGISTER, a, size);
    return err;
}

static uint64_t width_mask_(unsigned int size)
{
    const unsigned int bits = 8u * size;

    return (size >= 8u) ? UINT64_MAX : ((1ULL << bits) - 1u);
}

static uint64_t le_get_(const uint8_t *b, unsigned int n)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < n; i++) {
        const unsigned int shift = 8u * i;

        v |= (uint64_t)b[i] << shift;
    }
    return v;
}

static void le_put_(uint8_t *b, uint64_t v, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        const unsigned int shift = 8u * i;

        b[i] = (uint8_t)(v >> shift);
    }
}

static bool pow2_(uint64_t v)
{
    return (v != 0u) && ((v & (v - 1u)) == 0u);
}

static bool queue_exists_(const struct avps_pci *p, uint16_t q)
{
    return avps_dev_queue_size_max(p->dev, q) != 0u;
}

/* ---- interrupts --------------------------------------------------------- */

static bool msix_enabled_(const struct avps_pci *p)
{
    return (p->msix_n != 0u) && ((p->msix_ctrl & MSIX_CTRL_ENABLE) != 0u);
}

static bool msix_may_send_(const struct avps_pci *p)
{
    return msix_enabled_(p) && ((p->msix_ctrl & MSIX_CTRL_MASKALL) == 0u) &&
           ((p->command & AVPS_PCI_CMD_BUS_MASTER) != 0u);
}

static int msix_fire_(struct avps_pci *p, uint16_t v)
{
    const struct avps_host *h = p->dev->host;

    if (h->ops->inject_msi != NULL) {
        return h->ops->inject_msi(h->ctx, p->msix[v].addr, p->msix[v].data, v);
    }
    return avps_inject_(h, v);
}

/* Send the message of vector v, or hold it in the PBA while it cannot go. */
static int msix_send_(struct avps_pci *p, uint16_t v)
{
    if (v >= p->msix_n) {
        return AVPS_OK; /* NO_VECTOR: no interrupt (§4.1.5.3.1, §4.1.5.4.1) */
    }
    if (!msix_may_send_(p) || ((p->msix[v].ctrl & AVPS_PCI_MSIX_ENTRY_MASKED) != 0u)) {
        const uint32_t bit = (uint32_t)v % 64u;

        p->pba[v / 64u] |= 1ULL << bit;
        return AVPS_OK;
    }
    return msix_fire_(p, v);
}

/* Send every pending message whose entry may now go. */
static int msix_flush_(struct avps_pci *p)
{
    int rc = AVPS_OK;

    if (!msix_may_send_(p)) {
        return AVPS_OK;
    }
    for (uint32_t w = 0; w < AVPS_PCI_PBA_WORDS((uint32_t)p->msix_n); w++) {
        if (p->pba[w] == 0u) {
            continue;
        }
        for (uint32_t b = 0; b < 64u; b++) {
            const uint32_t v = (w * 64u) + b;
            int r;

            if ((v >= p->msix_n) || ((p->pba[w] & (1ULL << b)) == 0u) ||
                ((p->msix[v].ctrl & AVPS_PCI_MSIX_ENTRY_MASKED) != 0u)) {
                continue;
            }
            p->pba[w] &= ~(1ULL << b);
            r = msix_fire_(p, (uint16_t)v);
            if ((r < 0) && (rc == AVPS_OK)) {
                rc = r;
            }
        }
    }
    return rc;
}

/* Drive INTx from the ISR (§4.1.4.5.1): asserted while MSI-X is disabled,
 * some ISR bit is set and INTx Disable is clear. */
static int intx_sync_(struct avps_pci *p)
{
    const struct avps_host *h = p->dev->host;
    const uint8_t level = (!msix_enabled_(p) &&
                           ((p->command & AVPS_PCI_CMD_INTX_DISABLE) == 0u) &&
                           (avps_dev_isr(p->dev) != 0u)) ? 1u : 0u;

    int rc;

    if (level == p->intx_level) {
        return AVPS_OK;
    }
    if (h->ops->set_level != NULL) {
        rc = h->ops->set_level(h->ctx, p->intx_line, level);
    } else {
        rc = (level != 0u) ? avps_inject_(h, p->intx_line) : AVPS_OK;
    }
    /* Only a line the port really moved is remembered: a failure is retried
     * at the next event, or the guest would wait for ever on its ISR bit. */
    if (rc == AVPS_OK) {
        p->intx_level = level;
    } else if (rc > 0) {
        rc = AVPS_E_IO;
    } else {
        /* the port's own error code */
    }
    return rc;
}

/* The device core has set the ISR bit before calling either hook, as
 * §4.1.4.5.1 requires. */
static int pci_notify_queue_(void *tctx, struct avps_dev *dev, uint16_t q)
{
    struct avps_pci *p = tctx;

    if (msix_enabled_(p)) {
        return msix_send_(p, avps_dev_queue_vector(dev, q));
    }
    return intx_sync_(p);
}

static int pci_notify_config_(void *tctx, struct avps_dev *dev)
{
    struct avps_pci *p = tctx;

    if (msix_enabled_(p)) {
        return msix_send_(p, avps_dev_config_vector(dev));
    }
    return intx_sync_(p);
}

/* A vector the driver may map: one of the table's entries, or NO_VECTOR. */
static bool vector_ok_(const struct avps_pci *p, uint16_t v)
{
    return (v == AVPS_DEV_NO_VECTOR) || (v < p->msix_n);
}

/* ---- the common configuration structure -------------------------------- */

/* The presented 8-bit config_generation moves once for any number of core
 * generation changes since it was last read, so it never wraps back to the
 * value the driver saw (§4.1.4.3.1, the note on wrap). */
static uint8_t generation_(struct avps_pci *p)
{
    const uint32_t g = avps_dev_config_generation(p->dev);

    if (g != p->gen_seen) {
        p->gen_seen = g;
        p->gen8++;
    }
    return p->gen8;
}

static enum avps_dev_area area_of_(enum cc_field field)
{
    enum avps_dev_area area = AVPS_DEV_AREA_DEVICE; /* CC_Q_DEVICE */

    if (field == CC_Q_DESC) {
        area = AVPS_DEV_AREA_DESC;
    } else if (field == CC_Q_DRIVER) {
        area = AVPS_DEV_AREA_DRIVER;
    } else {
        /* CC_Q_DEVICE: the default above */
    }
    return area;
}

static int common_read_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t *value)
{
    struct avps_dev *dev = p->dev;
    const uint16_t qs = p->queue_sel;
    enum cc_part part = PART_WHOLE;
    enum cc_field field = CC_COUNT;
    uint64_t v = 0;

    if (!cc_lookup_(rel, size, &field, &part)) {
        return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_RANGE);
    }
    switch (field) {
    case CC_DFSELECT: v = p->dfselect; break;
    case CC_DF: v = avps_dev_offered_word(dev, p->dfselect); break;
    case CC_GFSELECT: v = p->gfselect; break;
    case CC_GF: v = avps_dev_driver_word(dev, p->gfselect); break;
    case CC_MSIX_CONFIG: v = avps_dev_config_vector(dev); break;
    case CC_NUM_QUEUES: v = avps_dev_num_queues(dev); break;
    case CC_STATUS: v = avps_dev_status(dev); break;
    case CC_GENERATION: v = generation_(p); break;
    case CC_Q_SELECT: v = qs; break;
    case CC_Q_SIZE: v = avps_dev_queue_size(dev, qs); break; /* 0: unavailable */
    case CC_Q_MSIX: v = avps_dev_queue_vector(dev, qs); break;
    case CC_Q_ENABLE: v = avps_dev_queue_ready(dev, qs); break;
    case CC_Q_NOFF: v = queue_exists_(p, qs) ? qs : 0u; break;
    case CC_Q_DESC:
    case CC_Q_DRIVER:
    case CC_Q_DEVICE:
        v = avps_dev_queue_addr(dev, qs, area_of_(field));
        if (part == PART_LO) {
            v &= 0xffffffffu;
        } else if (part == PART_HI) {
            v >>= 32;
        } else {
            /* PART_WHOLE: the 64-bit value as it is. */
        }
        break;
    default:
        /* queue_notif_config_data (NOTIF_CONFIG_DATA is never offered),
         * queue_reset (a reset completes at once, §4.1.4.3.1), and the
         * admin queue fields (ADMIN_VQ is never offered) read 0. */
        v = 0;
        break;
    }
    *value = v;
    return AVPS_OK;
}

/* What a device reset does to the transport's own state: the selectors go
 * back to 0 and messages still pending are dropped, since the device must
 * not notify after a reset (§2.4.1). */
static void pci_device_reset_(struct avps_pci *p)
{
    p->dfselect = 0;
    p->gfselect = 0;
    p->queue_sel = 0;
    for (uint32_t w = 0; w < AVPS_PCI_PBA_WORDS((uint32_t)p->msix_n); w++) {
        p->pba[w] = 0;
    }
}

static int common_write_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t value)
{
    struct avps_dev *dev = p->dev;
    const uint16_t qs = p->queue_sel;
    enum cc_part part = PART_WHOLE;
    enum cc_field field = CC_COUNT;
    const uint32_t v32 = (uint32_t)value;
    const uint16_t v16 = (uint16_t)value;
    int rc;

    if (!cc_lookup_(rel, size, &field, &part)) {
        return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_RANGE);
    }
    if (cc_table[field].ro != 0u) {
        return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_STATE);
    }
    switch (field) {
    case CC_DFSELECT:
        p->dfselect = v32;
        return AVPS_OK;
    case CC_GFSELECT:
        p->gfselect = v32;
        return AVPS_OK;
    case CC_GF:
        return avps_dev_set_driver_word(dev, p->gfselect, v32);
    case CC_MSIX_CONFIG:
        /* §4.1.5.1.2.1: a vector outside the table is a mapping failure,
         * reported by reading back NO_VECTOR. */
        if (!vector_ok_(p, v16)) {
            avps_dev_set_config_vector(dev, AVPS_DEV_NO_VECTOR);
            return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_RANGE);
        }
        avps_dev_set_config_vector(dev, v16);
        return AVPS_OK;
    case CC_STATUS:
        rc = avps_dev_set_status(dev, (uint8_t)value);
        if ((uint8_t)value == 0u) {
            pci_device_reset_(p);
        }
        return rc;
    case CC_Q_SELECT:
        p->queue_sel = v16; /* any value; fields of a missing queue read 0 */
        return AVPS_OK;
    case CC_Q_SIZE:
        /* §4.1.4.3.1: without RING_PACKED, queue_size stays 0 or a power
         * of two, so a driver's other value is refused. */
        if (((avps_dev_features(dev) & PCI_F_RING_PACKED) == 0u) && (v16 != 0u) && !pow2_(v16)) {
            avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, qs, v16);
            return AVPS_E_GUEST_STATE;
        }
        return avps_dev_queue_set_size(dev, qs, v16);
    case CC_Q_MSIX:
        rc = avps_dev_queue_set_vector(dev, qs, vector_ok_(p, v16) ? v16 : AVPS_DEV_NO_VECTOR);
        if ((rc == AVPS_OK) && !vector_ok_(p, v16)) {
            return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_RANGE);
        }
        return rc;
    case CC_Q_ENABLE:
        if (v16 != 1u) {
            /* §4.1.4.3.2: the driver MUST NOT write 0; nothing else means
             * anything. */
            avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, qs, v16);
            return AVPS_E_GUEST_STATE;
        }
        return avps_dev_queue_enable(dev, qs);
    case CC_Q_DESC:
    case CC_Q_DRIVER:
    case CC_Q_DEVICE:
        if (part == PART_WHOLE) {
            return avps_dev_queue_set_addr(dev, qs, area_of_(field), value);
        }
        return avps_dev_queue_set_addr_half(dev, qs, area_of_(field), part == PART_HI, v32);
    case CC_Q_RESET:
        /* The field exists only with RING_RESET (§4.1.4.3); the reset is
         * complete when this returns, so queue_reset and queue_enable read
         * 0 at once. */
        if (((avps_dev_features(dev) & PCI_F_RING_RESET) == 0u) || (v16 != 1u)) {
            avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, qs, v16);
            return AVPS_E_GUEST_STATE;
        }
        return avps_dev_queue_reset(dev, qs);
    default:
        return pci_refuse_(p, p->off_common + rel, size, AVPS_E_GUEST_STATE);
    }
}

/* ---- notification area (§4.1.4.4, §4.1.5.2) --------------------------- */

static int notify_write_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t value)
{
    struct avps_dev *dev = p->dev;
    const bool data = (avps_dev_features(dev) & PCI_F_NOTIFICATION_DATA) != 0u;
    const uint32_t v = (uint32_t)value;
    uint32_t q;

    /* §4.1.5.2.1: 16-bit notifications, 32-bit with NOTIFICATION_DATA. */
    if (size != (data ? 4u : 2u)) {
        return pci_refuse_(p, p->off_notify + rel, size, AVPS_E_GUEST_RANGE);
    }
    if (p->notify_mult == 0u) {
        if (rel != 0u) {
            return pci_refuse_(p, p->off_notify + rel, size, AVPS_E_GUEST_RANGE);
        }
        q = data ? AVPS_NOTIFY_DATA_VQ(v) : (v & 0xffffu); /* the value names the queue */
    } else {
        q = rel / p->notify_mult;
        if (((rel % p->notify_mult) != 0u) || (q >= avps_dev_num_queues(dev))) {
            return pci_refuse_(p, p->off_notify + rel, size, AVPS_E_GUEST_RANGE);
        }
        /* The address names the queue; the 16-bit value is redundant. With
         * notification data the value's vq_index must agree. */
        if (data && (AVPS_NOTIFY_DATA_VQ(v) != q)) {
            avps_dev_report_(dev, AVPS_EV_NOTIFY_DATA, (uint64_t)q << 16, v);
            return AVPS_E_GUEST_INDEX;
        }
    }
    if ((p->command & AVPS_PCI_CMD_BUS_MASTER) == 0u) {
        return pci_refuse_(p, p->off_notify + rel, size, AVPS_E_GUEST_STATE);
    }
    if (data) {
        return avps_dev_queue_notify_data(dev, v);
    }
    return avps_dev_queue_notify(dev, (uint16_t)q);
}

/* ---- MSI-X table and PBA (PCI Local Bus 3.0 §6.8.2) -------------------- */

static int msix_read_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t *value)
{
    const uint32_t e = rel / MSIX_ENTRY_SIZE;
    const uint32_t f = rel % MSIX_ENTRY_SIZE;
    const struct avps_pci_msix_entry *m;

    if (((size != 4u) && (size != 8u)) || (e >= p->msix_n)) {
        return pci_refuse_(p, p->off_msix + rel, size, AVPS_E_GUEST_RANGE);
    }
    m = &p->msix[e];
    switch (f) {
    case 0: *value = (size == 8u) ? m->addr : (uint32_t)m->addr; break;
    case 4: *value = (uint32_t)(m->addr >> 32); break;
    case 8: *value = (size == 8u) ? (((uint64_t)m->ctrl << 32) | m->data) : m->data; break;
    default: *value = m->ctrl; break;
    }
    return AVPS_OK;
}

static int msix_write_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t value)
{
    const uint32_t e = rel / MSIX_ENTRY_SIZE;
    const uint32_t f = rel % MSIX_ENTRY_SIZE;
    struct avps_pci_msix_entry *m;
    uint32_t ctrl;

    if (((size != 4u) && (size != 8u)) || (e >= p->msix_n)) {
        return pci_refuse_(p, p->off_msix + rel, size, AVPS_E_GUEST_RANGE);
    }
    m = &p->msix[e];
    ctrl = m->ctrl;
    switch (f) {
    case 0:
        if (size == 8u) {
            m->addr = value;
        } else {
            m->addr = (m->addr & 0xffffffff00000000ULL) | (uint32_t)value;
        }
        break;
    case 4: m->addr = (m->addr & 0xffffffffu) | (value << 32); break;
    case 8:
        m->data = (uint32_t)value;
        if (size == 8u) {
            ctrl = (uint32_t)(value >> 32);
        }
        break;
    default: ctrl = (uint32_t)value; break;
    }
    /* Only the mask bit of Vector Control is implemented. */
    m->ctrl = ctrl & AVPS_PCI_MSIX_ENTRY_MASKED;
    return msix_flush_(p); /* an unmasked entry sends what it held */
}

static int pba_read_(struct avps_pci *p, uint32_t rel, unsigned int size, uint64_t *value)
{
    const uint32_t w = rel / 8u;

    if (((size != 4u) && (size != 8u)) || (w >= AVPS_PCI_PBA_WORDS((uint32_t)p->msix_n))) {
        return pci_refuse_(p, p->off_pba + rel, size, AVPS_E_GUEST_RANGE);
    }
    *value = (size == 8u) ? p->pba[w] : (uint32_t)(p->pba[w] >> (8u * (rel % 8u)));
    return AVPS_OK;
}

/* ---- the BAR ------------------------------------------------------------ */

/* One checked access to the BAR. window: it comes through the PCI_CFG
 * capability, which reaches the virtio structures only (§4.1.4.9). */
static int bar_access_(struct avps_pci *p, uint64_t off, unsigned int size, bool write,
                       uint64_t *value, bool window)
{
    uint32_t base = 0;
    uint32_t rel;
    enum region r;

    if (!write) {
        *value = 0;
    }
    if (((size != 1u) && (size != 2u) && (size != 4u) && (size != 8u)) || ((off % size) != 0u) ||
        !avps_range_ok_(off, size, p->bar_size)) {
        return pci_refuse_(p, off, size, AVPS_E_GUEST_RANGE);
    }
    r = region_of_(p, (uint32_t)off, &base);
    if ((r == R_NONE) || (window && ((r == R_MSIX) || (r == R_PBA)))) {
        return pci_refuse_(p, off, size, AVPS_E_GUEST_RANGE);
    }
    rel = (uint32_t)off - base;
    switch (r) {
    case R_COMMON:
        return write ? common_write_(p, rel, size, *value) : common_read_(p, rel, size, value);
    case R_ISR:
        if ((rel != 0u) || (size != 1u)) {
            return pci_refuse_(p, off, size, AVPS_E_GUEST_RANGE);
        }
        if (write) {
            return pci_refuse_(p, off, size, AVPS_E_GUEST_STATE);
        }
        /* §4.1.4.5.1: reading resets the ISR and deasserts INTx (done by
         * the caller's intx_sync_). */
        *value = avps_dev_isr(p->dev);
        avps_dev_isr_ack(p->dev, (uint8_t)*value);
        return AVPS_OK;
    case R_DEVICE: {
        uint8_t buf[8];
        int rc;

        if (write) {
            le_put_(buf, *value, size);
            rc = avps_dev_config_write(p->dev, rel, buf, size);
        } else {
            rc = avps_dev_config_read(p->dev, rel, buf, size);
            *value = le_get_(buf, size);
        }
        return rc;
    }
    case R_NOTIFY:
        if (write) {
            return notify_write_(p, rel, size, *value);
        }
        return AVPS_OK; /* reads of the notification area have no meaning: 0 */
    case R_MSIX:
        return write ? msix_write_(p, rel, size, *value) : msix_read_(p, rel, size, value);
    default: /* R_PBA: read-only */
        if (write) {
            return pci_refuse_(p, off, size, AVPS_E_GUEST_STATE);
        }
        return pba_read_(p, rel, size, value);
    }
}

/* ---- configuration space ------------------------------------------------ */

/* The capability list, in list order; 0 = absent. */
static uint8_t cap_next_(const struct avps_pci *p, uint8_t cap)
{
    const uint8_t order[6] = {p->cap_common, p->cap_notify, p->cap_isr,
                              p->cap_device, p->cap_pcicfg, p->cap_msix};
    bool after = false;

    for (unsigned int i = 0; i < 6u; i++) {
        if (after && (order[i] != 0u)) {
            return order[i];
        }
        if (order[i] == cap) {
            after = true;
        }
    }
    return 0;
}

static uint32_t cap_len_(const struct avps_pci *p, uint8_t cap)
{
    if (cap == 0u) {
        return 0;
    }
    if ((cap == p->cap_notify) || (cap == p->cap_pcicfg)) {
        return 20u;
    }
    if (cap == p->cap_msix) {
        return MSIX_CAP_LEN;
    }
    return VCAP_LEN;
}

/* The capability holding dword dw, or 0. */
static uint8_t cap_at_(const struct avps_pci *p, uint32_t dw)
{
    const uint8_t caps[6] = {p->cap_common, p->cap_notify, p->cap_isr,
                             p->cap_device, p->cap_pcicfg, p->cap_msix};

    for (unsigned int i = 0; i < 6u; i++) {
        if ((caps[i] != 0u) && (dw >= caps[i]) && (dw < (caps[i] + cap_len_(p, caps[i])))) {
            return caps[i];
        }
    }
    return 0;
}

static uint32_t vcap_dw0_(const struct avps_pci *p, uint8_t cap, uint32_t type)
{
    return CAP_ID_VNDR | ((uint32_t)cap_next_(p, cap) << 8) | (cap_len_(p, cap) << 16) |
           (type << 24);
}

/* The PCI_CFG window: perform the BAR access it stands for. */
static int window_exec_(struct avps_pci *p, bool write)
{
    const uint32_t len = p->win_length;
    uint64_t v;
    int rc;

    if ((p->win_bar != AVPS_PCI_BAR) || ((len != 1u) && (len != 2u) && (len != 4u))) {
        return pci_refuse_(p, AVPS_PCI_REPORT_CFG | (uint32_t)(p->cap_pcicfg + 16u), len,
                           AVPS_E_GUEST_RANGE);
    }
    if (write) {
        v = le_get_(p->win_data, len);
        return bar_access_(p, p->win_offset, len, true, &v, true);
    }
    rc = bar_access_(p, p->win_offset, len, false, &v, true);
    le_put_(p->win_data, v, len);
    return rc;
}

static uint32_t cfg_read_dword_(struct avps_pci *p, uint32_t dw, int *rc)
{
    uint8_t cap;
    uint32_t rel;

    switch (dw) {
    case CFG_ID:
        return AVPS_PCI_VENDOR_ID | ((uint32_t)p->device_id << 16);
    case CFG_CMD_STATUS: {
        uint32_t status = STATUS_CAP_LIST;

        /* §4.1.4.5.1: with MSI-X disabled, Interrupt Status is the OR of
         * the ISR bits, whatever INTx Disable says. */
        if (!msix_enabled_(p) && (avps_dev_isr(p->dev) != 0u)) {
            status |= STATUS_INTX;
        }
        return p->command | (status << 16);
    }
    case CFG_CLASS_REV:
        return p->revision | (p->class_code << 8);
    case CFG_HDR:
        return p->cache_line; /* latency timer 0, header type 0, no BIST */
    case CFG_BAR0:
        return (uint32_t)p->bar_addr | BAR_MEM64;
    case CFG_BAR1:
        return (uint32_t)(p->bar_addr >> 32);
    case CFG_SUBSYS:
        return p->subsys_vendor | ((uint32_t)p->subsys_id << 16);
    case CFG_CAP_PTR:
        return p->cap_common;
    case CFG_INTR:
        return p->irq_line_reg | ((uint32_t)INTX_PIN_A << 8);
    default:
        break;
    }
    cap = cap_at_(p, dw);
    if (cap == 0u) {
        return 0; /* unimplemented registers and the extended space read 0 */
    }
    rel = dw - cap;
    if (cap == p->cap_msix) {
        if (rel == 0u) {
            return CAP_ID_MSIX | ((uint32_t)cap_next_(p, cap) << 8) |
                   ((uint32_t)(p->msix_ctrl | (uint16_t)(p->msix_n - 1u)) << 16);
        }
        return (rel == 4u) ? (p->off_msix | AVPS_PCI_BAR) : (p->off_pba | AVPS_PCI_BAR);
    }
    if (cap == p->cap_pcicfg) {
        switch (rel) {
        case 0: return vcap_dw0_(p, cap, VCAP_PCI_CFG);
        case 4: return p->win_bar;
        case 8: return p->win_offset;
        case 12: return p->win_length;
        default:
            /* §4.1.4.9.1: a read of pci_cfg_data reads the BAR. */
            *rc = window_exec_(p, false);
            return (uint32_t)le_get_(p->win_data, 4);
        }
    }
    {
        uint32_t type = VCAP_COMMON;
        uint32_t off = p->off_common;
        uint32_t len = COMMON_LEN;

        if (cap == p->cap_notify) {
            type = VCAP_NOTIFY;
            off = p->off_notify;
            len = p->len_notify;
        } else if (cap == p->cap_isr) {
            type = VCAP_ISR;
            off = p->off_isr;
            len = 1;
        } else if (cap == p->cap_device) {
            type = VCAP_DEVICE;
            off = p->off_device;
            len = p->len_device;
        } else {
            /* the common configuration capability: the defaults above */
        }
        switch (rel) {
        case 0: return vcap_dw0_(p, cap, type);
        case 4: return AVPS_PCI_BAR; /* bar, id 0, padding */
        case 8: return off;
        case 12: return len;
        default: return p->notify_mult; /* only the notify capability is 20 bytes */
        }
    }
}

/* A write of the bytes in mask (already shifted into place) to dword dw. */
static int cfg_write_dword_(struct avps_pci *p, uint32_t dw, uint32_t val, uint32_t mask,
                            uint32_t off, unsigned int size)
{
    uint8_t cap;
    uint32_t rel;

    switch (dw) {
    case CFG_CMD_STATUS: {
        const uint16_t m = (uint16_t)mask;
        const uint16_t old = p->command;

        /* Status: no error bits are ever set, so RW1C writes change nothing. */
        p->command = (uint16_t)(((old & (uint16_t)~m) | (val & m)) & CMD_RW);
        if ((p->command & (uint16_t)~old & AVPS_PCI_CMD_BUS_MASTER) != 0u) {
            return msix_flush_(p);
        }
        return AVPS_OK;
    }
    case CFG_HDR:
        if ((mask & 0xffu) != 0u) {
            p->cache_line = (uint8_t)val;
        }
        return AVPS_OK;
    case CFG_BAR0: {
        const uint32_t wmask = (uint32_t)~(p->bar_size - 1u) & 0xfffffff0u;
        const uint32_t lo = (((uint32_t)p->bar_addr & ~mask) | (val & mask)) & wmask;

        p->bar_addr = (p->bar_addr & 0xffffffff00000000ULL) | lo;
        return AVPS_OK;
    }
    case CFG_BAR1: {
        const uint32_t wmask = (uint32_t)(~(p->bar_size - 1u) >> 32);
        const uint32_t hi = (((uint32_t)(p->bar_addr >> 32) & ~mask) | (val & mask)) & wmask;

        p->bar_addr = (p->bar_addr & 0xffffffffu) | ((uint64_t)hi << 32);
        return AVPS_OK;
    }
    case CFG_INTR:
        if ((mask & 0xffu) != 0u) {
            p->irq_line_reg = (uint8_t)val;
        }
        return AVPS_OK;
    default:
        break;
    }
    cap = cap_at_(p, dw);
    if (cap == 0u) {
        return AVPS_OK; /* read-only or unimplemented: ignored, as PCI does */
    }
    rel = dw - cap;
    if (cap == p->cap_msix) {
        if ((rel == 0u) && ((mask >> 16) != 0u)) {
            const uint16_t m = (uint16_t)((mask >> 16) & MSIX_CTRL_RW);
            const uint16_t ctrl = (uint16_t)((p->msix_ctrl & (uint16_t)~m) | ((val >> 16) & m));

            p->msix_ctrl = ctrl;
            return msix_flush_(p); /* enabled or unmasked: send what waited */
        }
        return AVPS_OK;
    }
    if (cap == p->cap_pcicfg) {
        switch (rel) {
        case 4:
            if ((mask & 0xffu) != 0u) {
                p->win_bar = (uint8_t)val;
            }
            if ((mask & ~0xffu) != 0u) { /* id and padding are read-only */
                return pci_refuse_(p, AVPS_PCI_REPORT_CFG | off, size, AVPS_E_GUEST_STATE);
            }
            return AVPS_OK;
        case 8:
            p->win_offset = (p->win_offset & ~mask) | (val & mask);
            return AVPS_OK;
        case 12:
            p->win_length = (p->win_length & ~mask) | (val & mask);
            return AVPS_OK;
        case 16: {
            uint32_t d = (uint32_t)le_get_(p->win_data, 4);

            d = (d & ~mask) | (val & mask);
            le_put_(p->win_data, d, 4);
            /* §4.1.4.9.1: a write of pci_cfg_data writes the BAR. */
            return window_exec_(p, true);
        }
        default:
            break;
        }
    }
    /* §4.1.4.1: the driver MUST NOT write the virtio capabilities. */
    return pci_refuse_(p, AVPS_PCI_REPORT_CFG | off, size, AVPS_E_GUEST_STATE);
}

static bool cfg_access_ok_(uint32_t off, unsigned int size)
{
    return ((size == 1u) || (size == 2u) || (size == 4u)) && (off < CFG_EXT_END) &&
           (((off & 3u) + size) <= 4u);
}

/* ---- public API --------------------------------------------------------- */

static uint32_t page_up_(uint64_t v)
{
    return (uint32_t)((v + PAGE - 1u) & ~((uint64_t)PAGE - 1u));
}

int avps_pci_init(struct avps_pci *p, struct avps_dev *dev, const struct avps_pci_cfg *cfg)
{
    static const struct avps_transport_ops tops = {
        pci_notify_queue_,
        pci_notify_config_,
    };
    uint64_t end;
    uint64_t size;
    uint32_t mult;
    uint16_t nq;
    uint8_t cap;
    int err;

    if ((p == NULL) || (dev == NULL) || (cfg == NULL) || (cfg->msix_vectors > AVPS_PCI_MSIX_MAX) ||
        ((cfg->msix_vectors != 0u) && ((cfg->msix_table == NULL) || (cfg->msix_pba == NULL)))) {
        return AVPS_E_INVAL;
    }
    mult = (cfg->notify_off_multiplier == 0u) ? AVPS_PCI_NOTIFY_MULT_DEFAULT
                                            : cfg->notify_off_multiplier;
    /* §4.1.4.4.1: a power of two that is a multiple of 4 (NOTIFICATION_DATA
     * is offered), or 0. */
    if (!pow2_(mult) || (mult < 4u) || (mult > AVPS_PCI_NOTIFY_MULT_MAX)) {
        return AVPS_E_INVAL;
    }
    if (cfg->notify_shared) {
        mult = 0;
    }
    /* PCI device IDs 0x1040..0x107f name VIRTIO device IDs 0..63 (§4.1.2). */
    if ((avps_dev_device_id(dev) > 0x3fu) || (avps_dev_config_size(dev) > ((uint32_t)1u << 24))) {
        return AVPS_E_INVAL;
    }
    nq = avps_dev_num_queues(dev);
    for (uint16_t q = 0; q < nq; q++) {
        const uint16_t sm = avps_dev_queue_size_max(dev, q);

        if ((sm != 0u) && !pow2_(sm)) {
            return AVPS_E_INVAL;
        }
    }

    (void)memset(p, 0, sizeof *p);
    p->dev = dev;
    p->msix = cfg->msix_table;
    p->pba = cfg->msix_pba;
    p->msix_n = cfg->msix_vectors;
    p->notify_mult = mult;
    p->intx_line = cfg->intx_line;
    p->device_id = (uint16_t)(AVPS_PCI_DEVICE_ID_BASE + avps_dev_device_id(dev));
    p->subsys_vendor = (cfg->subsys_vendor_id != 0u) ? cfg->subsys_vendor_id
                                                   : (uint16_t)AVPS_PCI_VENDOR_ID;
    p->subsys_id = (cfg->subsys_id != 0u) ? cfg->subsys_id : p->device_id;
    p->revision = (cfg->revision != 0u) ? cfg->revision : 1u;
    p->class_code = ((cfg->class_code != 0u) ? cfg->class_code : AVPS_PCI_CLASS_OTHER) & 0xffffffu;
    p->gen_seen = avps_dev_config_generation(dev);

    /* The BAR: one region per structure, each in its own pages (the MSI-X
     * table and PBA must not share a 4 KiB page with other registers). */
    p->len_notify = ((mult != 0u) && (nq != 0u)) ? ((uint32_t)nq * mult) : 4u;
    p->len_device = avps_dev_config_size(dev);
    p->off_common = 0;
    p->off_isr = PAGE;
    end = 2ULL * PAGE;
    if (p->len_device != 0u) {
        p->off_device = (uint32_t)end;
        end += page_up_(p->len_device);
    }
    p->off_notify = (uint32_t)end;
    end += page_up_(p->len_notify);
    if (p->msix_n != 0u) {
        p->off_msix = (uint32_t)end;
        end += page_up_((uint64_t)p->msix_n * MSIX_ENTRY_SIZE);
        p->off_pba = (uint32_t)end;
        end += page_up_(8u * AVPS_PCI_PBA_WORDS((uint64_t)p->msix_n));
    }
    if (end > 0x80000000u) {
        return AVPS_E_INVAL;
    }
    p->end = (uint32_t)end;
    for (size = PAGE; size < end; size <<= 1) {
        ;
    }
    p->bar_size = size;

    /* The capability list. */
    cap = CFG_CAPS;
    p->cap_common = cap;
    cap = (uint8_t)(cap + VCAP_LEN);
    p->cap_notify = cap;
    cap = (uint8_t)(cap + VCAP_NOTIFY_LEN);
    p->cap_isr = cap;
    cap = (uint8_t)(cap + VCAP_LEN);
    if (p->len_device != 0u) {
        p->cap_device = cap;
        cap = (uint8_t)(cap + VCAP_LEN);
    }
    p->cap_pcicfg = cap;
    cap = (uint8_t)(cap + VCAP_PCI_CFG_LEN);
    if (p->msix_n != 0u) {
        p->cap_msix = cap;
    }

    for (uint32_t i = 0; i < p->msix_n; i++) {
        p->msix[i].addr = 0;
        p->msix[i].data = 0;
        p->msix[i].ctrl = AVPS_PCI_MSIX_ENTRY_MASKED;
    }
    for (uint32_t w = 0; w < AVPS_PCI_PBA_WORDS((uint32_t)p->msix_n); w++) {
        p->pba[w] = 0;
    }

    err = avps_dev_bind(dev, &tops, p, PCI_F_NOTIFICATION_DATA | PCI_F_RING_RESET);
    if (err != AVPS_OK) {
        return err;
    }
    return AVPS_OK;
}

int avps_pci_reset(struct avps_pci *p)
{
    int rc;

    AVPS_ASSERT((p != NULL) && (p->dev != NULL));
    avps_dev_lock_(p->dev);
    (void)avps_dev_set_status(p->dev, 0);
    pci_device_reset_(p);
    p->command = 0;
    p->bar_addr = 0;
    p->irq_line_reg = 0;
    p->cache_line = 0;
    p->msix_ctrl = 0;
    p->win_bar = 0;
    p->win_offset = 0;
    p->win_length = 0;
    (void)memset(p->win_data, 0, sizeof p->win_data);
    for (uint32_t i = 0; i < p->msix_n; i++) {
        p->msix[i].addr = 0;
        p->msix[i].data = 0;
        p->msix[i].ctrl = AVPS_PCI_MSIX_ENTRY_MASKED;
    }
    rc = intx_sync_(p);
    avps_dev_unlock_(p->dev);
    return rc;
}

int avps_pci_cfg_read(struct avps_pci *p, uint32_t off, unsigned int size, uint32_t *value)
{
    int rc = AVPS_OK;

    AVPS_ASSERT((p != NULL) && (p->dev != NULL) && (value != NULL));
    *value = 0;
    avps_dev_lock_(p->dev);
    if (!cfg_access_ok_(off, size)) {
        rc = pci_refuse_(p, AVPS_PCI_REPORT_CFG | off, size, AVPS_E_GUEST_RANGE);
    } else {
        const uint32_t dw = cfg_read_dword_(p, off & ~3u, &rc);

        *value = (uint32_t)((dw >> (8u * (off & 3u))) & width_mask_(size));
        {
            /* A window read may have read the ISR. */
            const int r = intx_sync_(p);

            if ((rc == AVPS_OK) && (r < 0)) {
                rc = r;
            }
        }
    }
    avps_dev_unlock_(p->dev);
    return rc;
}

int avps_pci_cfg_write(struct avps_pci *p, uint32_t off, unsigned int size, uint32_t value)
{
    int rc;

    AVPS_ASSERT((p != NULL) && (p->dev != NULL));
    avps_dev_lock_(p->dev);
    if (!cfg_access_ok_(off, size)) {
        rc = pci_refuse_(p, AVPS_PCI_REPORT_CFG | off, size, AVPS_E_GUEST_RANGE);
    } else {
        const uint32_t shift = 8u * (off & 3u);
        const uint32_t mask = (uint32_t)(width_mask_(size) << shift);
        const uint32_t val = (uint32_t)(((uint64_t)value & width_mask_(size)) << shift);
        int r;

        rc = cfg_write_dword_(p, off & ~3u, val, mask, off, size);
        if (rc > 0) {
            rc = AVPS_OK; /* a notification through the PCI_CFG window */
        }
        /* INTx Disable, MSI-X Enable and window writes all move the line. */
        r = intx_sync_(p);
        if ((rc == AVPS_OK) && (r < 0)) {
            rc = r;
        }
    }
    avps_dev_unlock_(p->dev);
    return rc;
}

int avps_pci_bar_read(struct avps_pci *p, unsigned int bar, uint64_t off, unsigned int size,
                      uint64_t *value)
{
    int rc;

    AVPS_ASSERT((p != NULL) && (p->dev != NULL) && (value != NULL));
    *value = 0;
    if (bar != AVPS_PCI_BAR) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(p->dev);
    if ((p->command & AVPS_PCI_CMD_MEMORY) == 0u) {
        /* Not decoded: the read completes with all ones (a master abort). */
        *value = width_mask_(size);
        rc = pci_refuse_(p, off, size, AVPS_E_GUEST_STATE);
    } else {
        int r;

        rc = bar_access_(p, off, size, false, value, false);
        r = intx_sync_(p); /* an ISR read deasserts INTx */
        if ((rc == AVPS_OK) && (r < 0)) {
            rc = r;
        }
    }
    avps_dev_unlock_(p->dev);
    return rc;
}

int avps_pci_bar_write(struct avps_pci *p, unsigned int bar, uint64_t off, unsigned int size,
                       uint64_t value)
{
    int rc;

    AVPS_ASSERT((p != NULL) && (p->dev != NULL));
    if (bar != AVPS_PCI_BAR) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(p->dev);
    if ((p->command & AVPS_PCI_CMD_MEMORY) == 0u) {
        rc = pci_refuse_(p, off, size, AVPS_E_GUEST_STATE);
    } else {
        uint64_t v = value & width_mask_(size);
        int r;

        rc = bar_access_(p, off, size, true, &v, false);
        if (rc > 0) {
            rc = AVPS_OK; /* a notification's count of requests taken */
        }
        /* A reset clears the ISR; a notification may have raised it. */
        r = intx_sync_(p);
        if ((rc == AVPS_OK) && (r < 0)) {
            rc = r;
        }
    }
    avps_dev_unlock_(p->dev);
    return rc;
}

uint64_t avps_pci_bar_size(const struct avps_pci *p, unsigned int bar)
{
    AVPS_ASSERT(p != NULL);
    return (bar == AVPS_PCI_BAR) ? p->bar_size : 0u;
}

uint64_t avps_pci_bar_addr(const struct avps_pci *p, unsigned int bar)
{
    AVPS_ASSERT(p != NULL);
    return (bar == AVPS_PCI_BAR) ? p->bar_addr : 0u;
}

uint16_t avps_pci_command(const struct avps_pci *p)
{
    AVPS_ASSERT(p != NULL);
    return p->command;
}

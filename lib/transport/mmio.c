/*
 * virtio-mmio transport, version 2 (VIRTIO 1.2 §4.2). One const table maps
 * each 32-bit slot of the control area to a register and its direction; the
 * access checks (window, width, alignment, direction) run before any register
 * code sees the value. Everything the guest supplies (offset, size, value) is
 * hostile: a refused access is reported once and never reaches an assert.
 */
#include <avps/mmio.h>

#include "../devices/dev_priv.h"

#define MMIO_CTRL_END 0x100u /* control registers: [0, 0x100); config after */
#define MMIO_ISR_BITS ((uint32_t)AVPS_DEV_ISR_QUEUE | (uint32_t)AVPS_DEV_ISR_CONFIG)
/* QueueSel is 32 bits, queue indices 16: a device has at most 65535 queues
 * (num_queues is a uint16_t), so index 0xffff never exists and stands for any
 * selector above it. */
#define MMIO_NO_QUEUE 0xffffu
#define MMIO_F_NOTIFICATION_DATA AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)
#define MMIO_F_RING_RESET AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET)

enum mmio_reg_id_ {
    REG_NONE = 0,
    REG_MAGIC,
    REG_VERSION,
    REG_DEVICE_ID,
    REG_VENDOR_ID,
    REG_DEV_FEATURES,
    REG_DEV_FEATURES_SEL,
    REG_DRV_FEATURES,
    REG_DRV_FEATURES_SEL,
    REG_QUEUE_SEL,
    REG_QUEUE_NUM_MAX,
    REG_QUEUE_NUM,
    REG_QUEUE_READY,
    REG_QUEUE_NOTIFY,
    REG_INT_STATUS,
    REG_INT_ACK,
    REG_STATUS,
    REG_QUEUE_DESC_LO,
    REG_QUEUE_DESC_HI,
    REG_QUEUE_DRIVER_LO,
    REG_QUEUE_DRIVER_HI,
    REG_QUEUE_DEVICE_LO,
    REG_QUEUE_DEVICE_HI,
    REG_SHM_SEL,
    REG_SHM_LEN_LO,
    REG_SHM_LEN_HI,
    REG_SHM_BASE_LO,
    REG_SHM_BASE_HI,
    REG_QUEUE_RESET,
    REG_CONFIG_GEN
};

#define R_ 1u /* readable */
#define W_ 2u /* writable */

struct mmio_reg_ {
    enum mmio_reg_id_ id;
    uint8_t dir;
};

/* The register layout table of §4.2.2, indexed by offset / 4. Slots left
 * zero are not registers (including the legacy-only GuestPageSize,
 * QueueAlign and QueuePFN, which a version 2 device does not have). */
static const struct mmio_reg_ mmio_regs_[MMIO_CTRL_END / 4u] = {
    [AVPS_VIRTIO_MMIO_MAGIC_VALUE / 4u] = {REG_MAGIC, R_},
    [AVPS_VIRTIO_MMIO_VERSION / 4u] = {REG_VERSION, R_},
    [AVPS_VIRTIO_MMIO_DEVICE_ID / 4u] = {REG_DEVICE_ID, R_},
    [AVPS_VIRTIO_MMIO_VENDOR_ID / 4u] = {REG_VENDOR_ID, R_},
    [AVPS_VIRTIO_MMIO_DEVICE_FEATURES / 4u] = {REG_DEV_FEATURES, R_},
    [AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL / 4u] = {REG_DEV_FEATURES_SEL, W_},
    [AVPS_VIRTIO_MMIO_DRIVER_FEATURES / 4u] = {REG_DRV_FEATURES, W_},
    [AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4u] = {REG_DRV_FEATURES_SEL, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_SEL / 4u] = {REG_QUEUE_SEL, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_NUM_MAX / 4u] = {REG_QUEUE_NUM_MAX, R_},
    [AVPS_VIRTIO_MMIO_QUEUE_NUM / 4u] = {REG_QUEUE_NUM, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_READY / 4u] = {REG_QUEUE_READY, R_ | W_},
    [AVPS_VIRTIO_MMIO_QUEUE_NOTIFY / 4u] = {REG_QUEUE_NOTIFY, W_},
    [AVPS_VIRTIO_MMIO_INTERRUPT_STATUS / 4u] = {REG_INT_STATUS, R_},
    [AVPS_VIRTIO_MMIO_INTERRUPT_ACK / 4u] = {REG_INT_ACK, W_},
    [AVPS_VIRTIO_MMIO_STATUS / 4u] = {REG_STATUS, R_ | W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW / 4u] = {REG_QUEUE_DESC_LO, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH / 4u] = {REG_QUEUE_DESC_HI, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW / 4u] = {REG_QUEUE_DRIVER_LO, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH / 4u] = {REG_QUEUE_DRIVER_HI, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW / 4u] = {REG_QUEUE_DEVICE_LO, W_},
    [AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH / 4u] = {REG_QUEUE_DEVICE_HI, W_},
    [AVPS_VIRTIO_MMIO_SHM_SEL / 4u] = {REG_SHM_SEL, W_},
    [AVPS_VIRTIO_MMIO_SHM_LEN_LOW / 4u] = {REG_SHM_LEN_LO, R_},
    [AVPS_VIRTIO_MMIO_SHM_LEN_HIGH / 4u] = {REG_SHM_LEN_HI, R_},
    [AVPS_VIRTIO_MMIO_SHM_BASE_LOW / 4u] = {REG_SHM_BASE_LO, R_},
    [AVPS_VIRTIO_MMIO_SHM_BASE_HIGH / 4u] = {REG_SHM_BASE_HI, R_},
    [AVPS_VIRTIO_MMIO_QUEUE_RESET / 4u] = {REG_QUEUE_RESET, R_ | W_},
    [AVPS_VIRTIO_MMIO_CONFIG_GENERATION / 4u] = {REG_CONFIG_GEN, R_},
};

/* ---- the interrupt line ------------------------------------------------ */

/* InterruptStatus became non-zero (the core set the bit before calling us):
 * assert the line, or send an edge when the port has no level control. */
static int mmio_raise_(struct avps_mmio *m)
{
    const struct avps_host *h = m->dev->host;
    int err;

    if (h->ops->set_level == NULL) {
        return avps_inject_(h, m->line);
    }
    if (m->level != 0u) {
        return AVPS_OK; /* already asserted: a level needs no new edge */
    }
    err = h->ops->set_level(h->ctx, m->line, 1);
    if (err != 0) {
        return (err < 0) ? err : AVPS_E_IO; /* left low: the next event retries */
    }
    m->level = 1;
    return AVPS_OK;
}

/* Deassert the line once nothing is pending (after InterruptACK or reset). */
static int mmio_lower_if_idle_(struct avps_mmio *m)
{
    const struct avps_host *h = m->dev->host;
    int err;

    if (!m->level || (avps_dev_isr(m->dev) != 0u) || (h->ops->set_level == NULL)) {
        return AVPS_OK;
    }
    err = h->ops->set_level(h->ctx, m->line, 0);
    if (err != 0) {
        return (err < 0) ? err : AVPS_E_IO; /* still high: the next ack retries */
    }
    m->level = 0;
    return AVPS_OK;
}

static int mmio_notify_queue_(void *tctx, struct avps_dev *dev, uint16_t q)
{
    (void)dev;
    (void)q; /* one line for every queue: InterruptStatus bit 0 (§4.2.2) */
    return mmio_raise_(tctx);
}

static int mmio_notify_config_(void *tctx, struct avps_dev *dev)
{
    (void)dev;
    return mmio_raise_(tctx);
}

/* ---- setup ------------------------------------------------------------- */

int avps_mmio_init(struct avps_mmio *m, struct avps_dev *dev, const struct avps_mmio_cfg *cfg)
{
    static const struct avps_transport_ops tops = {
        mmio_notify_queue_,
        mmio_notify_config_,
    };

    if ((m == NULL) || (dev == NULL) ||
        ((cfg != NULL) && (cfg->shm == NULL) && (cfg->num_shm != 0u))) {
        return AVPS_E_INVAL;
    }
    (void)memset(m, 0, sizeof *m);
    m->dev = dev;
    m->vendor_id = AVPS_MMIO_VENDOR_DEFAULT;
    if (cfg != NULL) {
        m->line = cfg->line;
        if (cfg->vendor_id != 0u) {
            m->vendor_id = cfg->vendor_id;
        }
        m->shm = cfg->shm;
        m->num_shm = cfg->num_shm;
    }
    return avps_dev_bind(dev, &tops, m, MMIO_F_NOTIFICATION_DATA | MMIO_F_RING_RESET);
}

uint64_t avps_mmio_window_size(const struct avps_mmio *m)
{
    uint64_t end;

    AVPS_ASSERT((m != NULL) && (m->dev != NULL));
    end = (uint64_t)MMIO_CTRL_END + avps_dev_config_size(m->dev);
    end = (end + 0xffu) & ~(uint64_t)0xffu;
    return (end < AVPS_MMIO_WINDOW) ? AVPS_MMIO_WINDOW : end;
}

struct avps_dev *avps_mmio_dev(struct avps_mmio *m)
{
    AVPS_ASSERT(m != NULL);
    return m->dev;
}

/* ---- helpers ------------------------------------------------------------ */

static int mmio_refuse_(struct avps_mmio *m, uint64_t offset, unsigned int size, int err)
{
    avps_dev_report_(m->dev, AVPS_EV_DEV_REGISTER, offset, size);
    return err;
}

static uint16_t mmio_q_(const struct avps_mmio *m)
{
    return (m->queue_sel > MMIO_NO_QUEUE) ? (uint16_t)MMIO_NO_QUEUE : (uint16_t)m->queue_sel;
}

static bool mmio_shm_(const struct avps_mmio *m, const struct avps_mmio_shm **r)
{
    if (m->shm_sel >= m->num_shm) {
        return false;
    }
    *r = &m->shm[m->shm_sel];
    return true;
}

/* §4.2.2: SHMLen and SHMBase of an unused id read as all ones. */
static uint32_t mmio_shm_word_(const struct avps_mmio *m, bool base, bool high)
{
    const struct avps_mmio_shm *r = NULL;
    uint64_t v = UINT64_MAX;

    if (mmio_shm_(m, &r)) {
        v = base ? r->base : r->len;
    }
    return high ? (uint32_t)(v >> 32) : (uint32_t)v;
}

/* ---- control registers --------------------------------------------------- */

static uint32_t mmio_reg_read_(struct avps_mmio *m, enum mmio_reg_id_ id)
{
    struct avps_dev *dev = m->dev;
    const uint16_t q = mmio_q_(m);

    switch (id) {
    case REG_MAGIC:
        return AVPS_VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return AVPS_VIRTIO_MMIO_VERSION_2;
    case REG_DEVICE_ID:
        return avps_dev_device_id(dev);
    case REG_VENDOR_ID:
        return m->vendor_id;
    case REG_DEV_FEATURES:
        return avps_dev_offered_word(dev, m->dev_features_sel);
    case REG_QUEUE_NUM_MAX:
        return avps_dev_queue_size_max(dev, q);
    case REG_QUEUE_READY:
        return avps_dev_queue_ready(dev, q);
    case REG_INT_STATUS:
        return avps_dev_isr(dev) & MMIO_ISR_BITS;
    case REG_STATUS:
        return avps_dev_status(dev);
    case REG_SHM_LEN_LO:
        return mmio_shm_word_(m, false, false);
    case REG_SHM_LEN_HI:
        return mmio_shm_word_(m, false, true);
    case REG_SHM_BASE_LO:
        return mmio_shm_word_(m, true, false);
    case REG_SHM_BASE_HI:
        return mmio_shm_word_(m, true, true);
    case REG_QUEUE_RESET:
        /* Queue reset completes within the write (§4.2.2.1: 1 only while it
         * is ongoing), so this always reads 0. */
        return 0;
    case REG_CONFIG_GEN:
        return avps_dev_config_generation(dev);
    default:
        return 0; /* not reached: the table only names readable registers */
    }
}

static int mmio_queue_ready_(struct avps_mmio *m, uint16_t q, uint32_t v)
{
    struct avps_dev *dev = m->dev;

    if (v == 1u) {
        return avps_dev_queue_enable(dev, q);
    }
    if (v != 0u) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, v);
        return AVPS_E_GUEST_STATE;
    }
    /* §4.2.2.2: 0 stops the queue; §4.2.2.1: the device must not touch its
     * ring while QueueReady is 0, so the ring state goes with it. Writing 0
     * to a queue that is not enabled changes nothing. */
    if (avps_dev_queue_ready(dev, q) == 0u) {
        return AVPS_OK;
    }
    return avps_dev_queue_reset(dev, q);
}

static int mmio_queue_reset_(struct avps_mmio *m, uint16_t q, uint32_t v)
{
    struct avps_dev *dev = m->dev;

    if ((v != 1u) || ((avps_dev_features(dev) & MMIO_F_RING_RESET) == 0u)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, v);
        return AVPS_E_GUEST_STATE;
    }
    /* §2.6.1: back to the default state; QueueReady and QueueReset read 0. */
    return avps_dev_queue_reset(dev, q);
}

static int mmio_queue_notify_(struct avps_mmio *m, uint32_t v)
{
    struct avps_dev *dev = m->dev;
    int r;

    if ((avps_dev_features(dev) & MMIO_F_NOTIFICATION_DATA) != 0u) {
        r = avps_dev_queue_notify_data(dev, v);
    } else if (v > MMIO_NO_QUEUE) {
        /* Without NOTIFICATION_DATA the value is a 16-bit queue index. */
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, MMIO_NO_QUEUE, v);
        r = AVPS_E_GUEST_STATE;
    } else {
        r = avps_dev_queue_notify(dev, (uint16_t)v);
    }
    return (r < 0) ? r : AVPS_OK;
}

static int mmio_status_(struct avps_mmio *m, uint32_t v)
{
    struct avps_dev *dev = m->dev;
    int err;

    if (v > 0xffu) {
        avps_dev_report_(dev, AVPS_EV_DEV_STATUS, avps_dev_status(dev), v);
        return AVPS_E_GUEST_STATE;
    }
    err = avps_dev_set_status(dev, (uint8_t)v);
    if (v == 0u) {
        /* §2.4: reset. The core cleared InterruptStatus and every queue;
         * the transport's selectors go back to 0 and the line drops. */
        m->dev_features_sel = 0;
        m->drv_features_sel = 0;
        m->queue_sel = 0;
        m->shm_sel = 0;
        (void)mmio_lower_if_idle_(m);
    }
    return err;
}

static int mmio_int_ack_(struct avps_mmio *m, uint32_t v)
{
    int err = AVPS_OK;

    avps_dev_isr_ack(m->dev, (uint8_t)(v & MMIO_ISR_BITS));
    if ((v & ~MMIO_ISR_BITS) != 0u) {
        /* §4.2.2.2: the driver must not set undefined bits. */
        avps_dev_report_(m->dev, AVPS_EV_DEV_REGISTER, AVPS_VIRTIO_MMIO_INTERRUPT_ACK, v);
        err = AVPS_E_GUEST_STATE;
    }
    (void)mmio_lower_if_idle_(m);
    return err;
}

static int mmio_reg_write_(struct avps_mmio *m, enum mmio_reg_id_ id, uint32_t v)
{
    struct avps_dev *dev = m->dev;
    const uint16_t q = mmio_q_(m);

    switch (id) {
    case REG_DEV_FEATURES_SEL:
        m->dev_features_sel = v;
        return AVPS_OK;
    case REG_DRV_FEATURES:
        return avps_dev_set_driver_word(dev, m->drv_features_sel, v);
    case REG_DRV_FEATURES_SEL:
        m->drv_features_sel = v;
        return AVPS_OK;
    case REG_QUEUE_SEL:
        m->queue_sel = v;
        return AVPS_OK;
    case REG_QUEUE_NUM:
        if (v > 0xffffu) { /* never truncate a size into range */
            avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, v);
            return AVPS_E_GUEST_STATE;
        }
        return avps_dev_queue_set_size(dev, q, (uint16_t)v);
    case REG_QUEUE_READY:
        return mmio_queue_ready_(m, q, v);
    case REG_QUEUE_NOTIFY:
        return mmio_queue_notify_(m, v);
    case REG_INT_ACK:
        return mmio_int_ack_(m, v);
    case REG_STATUS:
        return mmio_status_(m, v);
    case REG_QUEUE_DESC_LO:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DESC, false, v);
    case REG_QUEUE_DESC_HI:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DESC, true, v);
    case REG_QUEUE_DRIVER_LO:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DRIVER, false, v);
    case REG_QUEUE_DRIVER_HI:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DRIVER, true, v);
    case REG_QUEUE_DEVICE_LO:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DEVICE, false, v);
    case REG_QUEUE_DEVICE_HI:
        return avps_dev_queue_set_addr_half(dev, q, AVPS_DEV_AREA_DEVICE, true, v);
    case REG_SHM_SEL:
        m->shm_sel = v;
        return AVPS_OK;
    case REG_QUEUE_RESET:
        return mmio_queue_reset_(m, q, v);
    default:
        return AVPS_OK; /* not reached: the table only names writable registers */
    }
}

/* ---- configuration space ------------------------------------------------ */

/* §4.2.2.2: 8-, 16- and 32-bit fields take accesses of their own width,
 * aligned; 64-bit fields take two 32-bit ones. We also accept an aligned
 * 64-bit access (some guests issue them); nothing else. */
static bool mmio_cfg_access_ok_(uint64_t coff, unsigned int size)
{
    return ((size == 1u) || (size == 2u) || (size == 4u) || (size == 8u)) &&
           ((coff & ((uint64_t)size - 1u)) == 0u);
}

static uint64_t mmio_le_get_(const uint8_t *b, unsigned int size)
{
    uint64_t v = 0;

    for (unsigned int i = size; i > 0u; i--) {
        v = (v << 8) | b[i - 1u];
    }
    return v;
}

static void mmio_le_put_(uint8_t *b, unsigned int size, uint64_t v)
{
    for (unsigned int i = 0; i < size; i++) {
        const unsigned int shift = 8u * i;

        b[i] = (uint8_t)(v >> shift);
    }
}

/* ---- entry points ---------------------------------------------------------- */

/* The checks every access passes, in order: inside the window; for the
 * control registers 32 bits wide and aligned, on a register, in the right
 * direction; for the configuration space an allowed width and alignment. */
static int mmio_read_(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t *value)
{
    const uint64_t win = avps_mmio_window_size(m);
    const struct mmio_reg_ *r;

    if (offset >= win) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    if (offset >= MMIO_CTRL_END) {
        uint8_t buf[8];
        const uint64_t coff = offset - MMIO_CTRL_END;
        int err;

        if (!mmio_cfg_access_ok_(coff, size) || !avps_range_ok_(offset, size, win)) {
            return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
        }
        /* coff < win - 0x100 <= config size rounded up: fits 32 bits. */
        err = avps_dev_config_read(m->dev, (uint32_t)coff, buf, size);
        if (err != AVPS_OK) {
            return err;
        }
        *value = mmio_le_get_(buf, size);
        return AVPS_OK;
    }
    if ((size != 4u) || ((offset & 3u) != 0u)) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    r = &mmio_regs_[offset / 4u];
    if (r->id == REG_NONE) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    if ((r->dir & R_) == 0u) { /* §4.2.2.2: write-only registers are not read */
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_STATE);
    }
    *value = mmio_reg_read_(m, r->id);
    return AVPS_OK;
}

int avps_mmio_read(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t *value)
{
    int err;

    AVPS_ASSERT((m != NULL) && (m->dev != NULL) && (value != NULL));
    *value = 0;
    avps_dev_lock_(m->dev);
    err = mmio_read_(m, offset, size, value);
    avps_dev_unlock_(m->dev);
    return err;
}

static int mmio_write_(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t value)
{
    const uint64_t win = avps_mmio_window_size(m);
    const struct mmio_reg_ *r;

    if (offset >= win) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    if (offset >= MMIO_CTRL_END) {
        uint8_t buf[8];
        const uint64_t coff = offset - MMIO_CTRL_END;

        if (!mmio_cfg_access_ok_(coff, size) || !avps_range_ok_(offset, size, win)) {
            return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
        }
        mmio_le_put_(buf, size, value);
        return avps_dev_config_write(m->dev, (uint32_t)coff, buf, size);
    }
    if ((size != 4u) || ((offset & 3u) != 0u)) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    r = &mmio_regs_[offset / 4u];
    if (r->id == REG_NONE) {
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_RANGE);
    }
    if ((r->dir & W_) == 0u) { /* §4.2.2.2: read-only registers are not written */
        return mmio_refuse_(m, offset, size, AVPS_E_GUEST_STATE);
    }
    return mmio_reg_write_(m, r->id, (uint32_t)value);
}

int avps_mmio_write(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t value)
{
    int err;

    AVPS_ASSERT((m != NULL) && (m->dev != NULL));
    avps_dev_lock_(m->dev);
    err = mmio_write_(m, offset, size, value);
    avps_dev_unlock_(m->dev);
    return err;
}

int avps_mmio_irq_sync(struct avps_mmio *m)
{
    const struct avps_host *h;
    int err = AVPS_OK;

    AVPS_ASSERT((m != NULL) && (m->dev != NULL));
    avps_dev_lock_(m->dev);
    h = m->dev->host;
    if (avps_dev_isr(m->dev) != 0u) {
        if (h->ops->set_level != NULL) {
            m->level = 0; /* the port's line state is unknown: drive it again */
        }
        err = mmio_raise_(m);
    } else if (h->ops->set_level != NULL) {
        m->level = 1;
        err = mmio_lower_if_idle_(m);
    } else {
        /* Nothing pending and an edge-only port: nothing to drive. */
    }
    avps_dev_unlock_(m->dev);
    return err;
}

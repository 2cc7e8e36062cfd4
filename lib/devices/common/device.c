/*
 * The device core: device status state machine (§2.1), feature negotiation
 * (§2.2), reset (§2.4), configuration space and generation (§2.5), per-queue
 * setup and reset (§2.6), notifications, and state save/restore.
 */
#include "../dev_priv.h"
#include "../../virtqueue/vq_priv.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRIVER AVPS_VIRTIO_S_DRIVER
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK
#define S_FEATURES_OK AVPS_VIRTIO_S_FEATURES_OK
#define S_NEEDS_RESET AVPS_VIRTIO_S_NEEDS_RESET
#define S_FAILED AVPS_VIRTIO_S_FAILED
#define S_KNOWN (S_ACK | S_DRIVER | S_DRIVER_OK | S_FEATURES_OK | S_NEEDS_RESET | S_FAILED)

#define F_VERSION_1 AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1)
#define F_ACCESS_PLATFORM AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_ACCESS_PLATFORM)
#define F_ORDER_PLATFORM AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_ORDER_PLATFORM)
#define F_IN_ORDER AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER)
#define F_NOTIFICATION_DATA AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)

/* Reserved features the engines implement for every device type. */
#define ENGINE_FEATURES                                                                \
    (F_VERSION_1 |                                                                     \
     (AVPS_CONFIG_ENABLE_INDIRECT ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_INDIRECT_DESC) : 0u) | \
     (AVPS_CONFIG_ENABLE_EVENT_IDX ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX) : 0u) |    \
     (AVPS_CONFIG_ENABLE_PACKED ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0u))
/* Reserved features that need the transport's help. */
#define TRANSPORT_FEATURES (F_NOTIFICATION_DATA | AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET))

void avps_dev_report_(struct avps_dev *dev, enum avps_event ev, uint64_t a, uint64_t b)
{
    dev->guest_errors++;
    avps_report_(dev->host, ev, dev->dev_id, a, b);
}

static bool dev_queue_ok_(const struct avps_dev *dev, uint16_t q)
{
    return (q < dev->num_queues) && (dev->queues[q].size_max != 0u);
}

/* ---- hooks from the queue engines -------------------------------------- */

static int dev_vq_irq_(void *owner, struct avps_vq *vq)
{
    struct avps_dev *dev = owner;

    dev->isr |= AVPS_DEV_ISR_QUEUE;
    if ((dev->tops == NULL) || (dev->tops->notify_queue == NULL)) {
        return AVPS_E_STATE;
    }
    return dev->tops->notify_queue(dev->tctx, dev, vq->index);
}

static void dev_vq_broken_(void *owner, struct avps_vq *vq, int err)
{
    (void)vq;
    avps_dev_fail((struct avps_dev *)owner, err);
}

/* ---- setup ------------------------------------------------------------- */

static void dev_compute_offered_(struct avps_dev *dev)
{
    uint64_t f = ENGINE_FEATURES | dev->cls->features |
                 (dev->transport_features & TRANSPORT_FEATURES);

    if (!AVPS_CONFIG_ENABLE_IN_ORDER) {
        f &= ~F_IN_ORDER;
    }
    if ((dev->platform & 1u) != 0u) {
        f |= F_ACCESS_PLATFORM;
    }
    if ((dev->platform & 2u) != 0u) {
        f |= F_ORDER_PLATFORM;
    }
    f &= ~dev->features_off;
    dev->offered = f | F_VERSION_1; /* §6.1: a device MUST offer VERSION_1 */
}

int avps_dev_init_(struct avps_dev *dev, const struct avps_dev_class *cls,
                   const struct avps_host *host, struct avps_dev_queue *queues, uint16_t nq,
                   const struct avps_dev_common_cfg *cc)
{
    int err;

    AVPS_ASSERT((dev != NULL) && (cls != NULL) && (cls->reset != NULL) &&
                (cls->queue_notify != NULL));
    AVPS_ASSERT((cls->config_size == 0u) || (cls->config_read != NULL));
    AVPS_ASSERT((queues != NULL) || (nq == 0u));
    err = avps_host_check(host);
    if (err != AVPS_OK) {
        return err;
    }
    (void)memset(dev, 0, sizeof *dev);
    dev->cls = cls;
    dev->host = host;
    dev->queues = queues;
    dev->num_queues = nq;
    dev->config_vector = AVPS_DEV_NO_VECTOR;
    if (cc != NULL) {
        dev->dev_id = cc->dev_id;
        dev->lock_ctx = cc->lock_ctx;
        dev->features_off = cc->features_off;
        dev->platform = (uint8_t)((cc->access_platform ? 1u : 0u) |
                                  (cc->order_platform ? 2u : 0u));
    }
    if (nq != 0u) {
        (void)memset(queues, 0, (size_t)nq * sizeof queues[0]);
    }
    dev_compute_offered_(dev);
    return AVPS_OK;
}

int avps_dev_queue_init_(struct avps_dev *dev, uint16_t q, uint16_t size_max,
                         struct avps_vq_slot *slots, uint32_t num_slots)
{
    struct avps_dev_queue *dq;
    struct avps_vq_cfg cfg;
    int err;

    AVPS_ASSERT((dev != NULL) && (q < dev->num_queues));
    if ((size_max == 0u) || (size_max > AVPS_CONFIG_VQ_MAX_SIZE) || (slots == NULL) ||
        (num_slots < size_max)) {
        return AVPS_E_INVAL;
    }
    dq = &dev->queues[q];
    (void)memset(&cfg, 0, sizeof cfg);
    cfg.slots = slots;
    cfg.num_slots = num_slots;
    cfg.index = q;
    cfg.dev_id = dev->dev_id;
    cfg.irq = dev_vq_irq_;
    cfg.broken = dev_vq_broken_;
    cfg.owner = dev;
    cfg.used_each = dev->cls->used_each;
    err = avps_vq_init(&dq->vq, dev->host, &cfg);
    if (err != AVPS_OK) {
        return err;
    }
    dq->size_max = size_max;
    dq->size = size_max;
    dq->vector = AVPS_DEV_NO_VECTOR;
    return AVPS_OK;
}

int avps_dev_bind(struct avps_dev *dev, const struct avps_transport_ops *tops, void *tctx,
                  uint64_t transport_features)
{
    if ((dev == NULL) || (tops == NULL)) {
        return AVPS_E_INVAL;
    }
    dev->tops = tops;
    dev->tctx = tctx;
    dev->transport_features = transport_features;
    dev_compute_offered_(dev);
    return AVPS_OK;
}

/* ---- simple accessors -------------------------------------------------- */

uint32_t avps_dev_device_id(const struct avps_dev *dev) { return dev->cls->device_id; }
uint16_t avps_dev_num_queues(const struct avps_dev *dev) { return dev->num_queues; }
uint64_t avps_dev_offered_features(const struct avps_dev *dev) { return dev->offered; }
uint64_t avps_dev_features(const struct avps_dev *dev) { return dev->features; }
uint8_t avps_dev_status(const struct avps_dev *dev) { return dev->status; }
uint64_t avps_dev_guest_errors(const struct avps_dev *dev) { return dev->guest_errors; }
uint32_t avps_dev_config_size(const struct avps_dev *dev) { return dev->cls->config_size; }
uint32_t avps_dev_config_generation(const struct avps_dev *dev) { return dev->generation; }
uint8_t avps_dev_isr(const struct avps_dev *dev) { return dev->isr; }
uint16_t avps_dev_config_vector(const struct avps_dev *dev) { return dev->config_vector; }

bool avps_dev_needs_reset(const struct avps_dev *dev)
{
    return (dev->status & S_NEEDS_RESET) != 0u;
}

void avps_dev_isr_ack(struct avps_dev *dev, uint8_t bits)
{
    dev->isr = (uint8_t)(dev->isr & (uint8_t)~bits);
}

void avps_dev_set_config_vector(struct avps_dev *dev, uint16_t vector)
{
    dev->config_vector = vector;
}

uint32_t avps_dev_offered_word(const struct avps_dev *dev, uint32_t sel)
{
    return (sel < 2u) ? (uint32_t)(dev->offered >> (32u * sel)) : 0u;
}

uint32_t avps_dev_driver_word(const struct avps_dev *dev, uint32_t sel)
{
    return (sel < 2u) ? (uint32_t)(dev->driver_features >> (32u * sel)) : 0u;
}

struct avps_vq *avps_dev_vq(struct avps_dev *dev, uint16_t q)
{
    return dev_queue_ok_(dev, q) ? &dev->queues[q].vq : NULL;
}

bool avps_dev_queue_live_(const struct avps_dev *dev, uint16_t q)
{
    return ((dev->status & (S_DRIVER_OK | S_NEEDS_RESET | S_FAILED)) == S_DRIVER_OK) &&
           dev_queue_ok_(dev, q) && dev->queues[q].ready;
}

/* ---- reset and status -------------------------------------------------- */

static void dev_queue_defaults_(struct avps_dev_queue *dq)
{
    avps_vq_reset(&dq->vq);
    dq->ready = 0;
    dq->size = dq->size_max;
    dq->addr[0] = 0;
    dq->addr[1] = 0;
    dq->addr[2] = 0;
    dq->vector = AVPS_DEV_NO_VECTOR;
}

static void dev_reset_(struct avps_dev *dev)
{
    for (uint16_t q = 0; q < dev->num_queues; q++) {
        if (dev->queues[q].size_max != 0u) {
            dev_queue_defaults_(&dev->queues[q]);
        }
    }
    dev->status = 0;
    dev->features = 0;
    dev->driver_features = 0;
    dev->isr = 0;
    dev->config_vector = AVPS_DEV_NO_VECTOR;
    dev->cls->reset(dev);
}

/* §2.2.2 and §6.1: may the driver's features be accepted? */
static bool dev_features_acceptable_(struct avps_dev *dev, uint64_t f)
{
    if ((f & ~dev->offered) != 0u) {
        return false;
    }
    if ((f & F_VERSION_1) == 0u) {
        return false; /* no legacy interface: a device MAY refuse */
    }
    if (((dev->offered & F_ACCESS_PLATFORM) != 0u) && ((f & F_ACCESS_PLATFORM) == 0u)) {
        return false; /* addresses would be read as the wrong kind */
    }
    if ((dev->cls->features_ok != NULL) && (dev->cls->features_ok(dev, f) != AVPS_OK)) {
        return false;
    }
    return true;
}

int avps_dev_set_status(struct avps_dev *dev, uint8_t value)
{
    uint8_t next;
    uint8_t added;
    int rc = AVPS_OK;

    AVPS_ASSERT(dev != NULL);
    if (value == 0u) {
        dev_reset_(dev);
        return AVPS_OK;
    }
    /* NEEDS_RESET belongs to the device; the driver cannot clear it. */
    next = (uint8_t)(value | (dev->status & S_NEEDS_RESET));
    if (((dev->status & (uint8_t)~next) != 0u) || ((value & (uint8_t)~S_KNOWN) != 0u) ||
        ((value & S_NEEDS_RESET & (uint8_t)~dev->status) != 0u)) {
        /* §2.1.1: the driver MUST NOT clear a bit; unknown bits and a
         * driver-set NEEDS_RESET are refused likewise. */
        avps_dev_report_(dev, AVPS_EV_DEV_STATUS, dev->status, value);
        return AVPS_E_GUEST_STATE;
    }
    added = (uint8_t)(next & (uint8_t)~dev->status);
    if ((added & S_FEATURES_OK) != 0u) {
        if (((next & S_DRIVER) == 0u) || !dev_features_acceptable_(dev, dev->driver_features)) {
            /* §2.2.2: fail to set FEATURES_OK; the driver reads it back. */
            next = (uint8_t)(next & ~S_FEATURES_OK);
            added = (uint8_t)(added & ~S_FEATURES_OK);
            avps_dev_report_(dev, AVPS_EV_DEV_FEATURES, dev->status, dev->driver_features);
            rc = AVPS_E_GUEST_STATE;
        } else {
            dev->features = dev->driver_features;
        }
    }
    if (((added & S_DRIVER_OK) != 0u) && ((next & S_FEATURES_OK) == 0u)) {
        next = (uint8_t)(next & ~S_DRIVER_OK);
        added = (uint8_t)(added & ~S_DRIVER_OK);
        avps_dev_report_(dev, AVPS_EV_DEV_STATUS, dev->status, value);
        rc = AVPS_E_GUEST_STATE;
    }
    dev->status = next;
    if (((added & S_DRIVER_OK) != 0u) && ((next & S_NEEDS_RESET) != 0u)) {
        /* The device broke during setup: tell the driver now that it listens
         * (§2.1.2). */
        dev->isr |= AVPS_DEV_ISR_CONFIG;
        if ((dev->tops != NULL) && (dev->tops->notify_config != NULL)) {
            (void)dev->tops->notify_config(dev->tctx, dev);
        }
    } else if ((added & S_DRIVER_OK) != 0u) {
        if (dev->cls->driver_ok != NULL) {
            dev->cls->driver_ok(dev);
        }
        /* Buffers made available before DRIVER_OK were left alone
         * (§2.1.2); take them now. */
        for (uint16_t q = 0; q < dev->num_queues; q++) {
            if (avps_dev_queue_live_(dev, q)) {
                (void)dev->cls->queue_notify(dev, q);
            }
        }
    } else {
        /* DRIVER_OK was not set by this write: nothing more to do. */
    }
    return rc;
}

void avps_dev_fail(struct avps_dev *dev, int err)
{
    AVPS_ASSERT(dev != NULL);
    if ((dev->status & S_NEEDS_RESET) != 0u) {
        return;
    }
    dev->status |= S_NEEDS_RESET;
    avps_report_(dev->host, AVPS_EV_DEV_NEEDS_RESET, dev->dev_id, dev->status,
                 (uint64_t)(int64_t)err);
    /* §2.1.2: with DRIVER_OK set, a configuration-change notification. */
    if ((dev->status & S_DRIVER_OK) != 0u) {
        dev->isr |= AVPS_DEV_ISR_CONFIG;
        if ((dev->tops != NULL) && (dev->tops->notify_config != NULL)) {
            (void)dev->tops->notify_config(dev->tctx, dev);
        }
    }
}

/* ---- features ---------------------------------------------------------- */

int avps_dev_set_driver_word(struct avps_dev *dev, uint32_t sel, uint32_t value)
{
    AVPS_ASSERT(dev != NULL);
    if (((dev->status & S_FEATURES_OK) != 0u) || (sel >= 2u)) {
        if (((dev->status & S_FEATURES_OK) != 0u) || (value != 0u)) {
            avps_dev_report_(dev, AVPS_EV_DEV_FEATURES, sel, value);
            return AVPS_E_GUEST_STATE;
        }
        return AVPS_OK; /* zero into a word beyond 64 bits: nothing to keep */
    }
    if (sel == 0u) {
        dev->driver_features = (dev->driver_features & 0xffffffff00000000ULL) | value;
    } else {
        dev->driver_features = (dev->driver_features & 0xffffffffULL) | ((uint64_t)value << 32);
    }
    return AVPS_OK;
}

/* ---- queues ------------------------------------------------------------ */

uint16_t avps_dev_queue_size_max(const struct avps_dev *dev, uint16_t q)
{
    return (q < dev->num_queues) ? dev->queues[q].size_max : 0u;
}

uint16_t avps_dev_queue_size(const struct avps_dev *dev, uint16_t q)
{
    return dev_queue_ok_(dev, q) ? dev->queues[q].size : 0u;
}

uint8_t avps_dev_queue_ready(const struct avps_dev *dev, uint16_t q)
{
    return dev_queue_ok_(dev, q) ? dev->queues[q].ready : 0u;
}

uint64_t avps_dev_queue_addr(const struct avps_dev *dev, uint16_t q, enum avps_dev_area area)
{
    if (!dev_queue_ok_(dev, q) || ((unsigned int)area > 2u)) {
        return 0;
    }
    return dev->queues[q].addr[area];
}

uint16_t avps_dev_queue_vector(const struct avps_dev *dev, uint16_t q)
{
    return dev_queue_ok_(dev, q) ? dev->queues[q].vector : AVPS_DEV_NO_VECTOR;
}

int avps_dev_queue_set_vector(struct avps_dev *dev, uint16_t q, uint16_t vector)
{
    if (!dev_queue_ok_(dev, q)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, vector);
        return AVPS_E_GUEST_STATE;
    }
    dev->queues[q].vector = vector;
    return AVPS_OK;
}

/* A queue may be programmed while it exists and is not enabled. */
static int dev_queue_writable_(struct avps_dev *dev, uint16_t q, uint64_t value)
{
    if (!dev_queue_ok_(dev, q) || dev->queues[q].ready) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, value);
        return AVPS_E_GUEST_STATE;
    }
    return AVPS_OK;
}

int avps_dev_queue_set_size(struct avps_dev *dev, uint16_t q, uint16_t size)
{
    int err = dev_queue_writable_(dev, q, size);

    if (err != AVPS_OK) {
        return err;
    }
    if ((size == 0u) || (size > dev->queues[q].size_max)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, size);
        return AVPS_E_GUEST_STATE;
    }
    dev->queues[q].size = size;
    return AVPS_OK;
}

int avps_dev_queue_set_addr(struct avps_dev *dev, uint16_t q, enum avps_dev_area area,
                            uint64_t addr)
{
    int err = dev_queue_writable_(dev, q, addr);

    if (err != AVPS_OK) {
        return err;
    }
    if ((unsigned int)area > 2u) {
        return AVPS_E_INVAL;
    }
    dev->queues[q].addr[area] = addr;
    return AVPS_OK;
}

int avps_dev_queue_set_addr_half(struct avps_dev *dev, uint16_t q, enum avps_dev_area area,
                                 bool high, uint32_t value)
{
    int err = dev_queue_writable_(dev, q, value);
    uint64_t a;

    if (err != AVPS_OK) {
        return err;
    }
    if ((unsigned int)area > 2u) {
        return AVPS_E_INVAL;
    }
    a = dev->queues[q].addr[area];
    if (high) {
        a = (a & 0xffffffffULL) | ((uint64_t)value << 32);
    } else {
        a = (a & 0xffffffff00000000ULL) | value;
    }
    dev->queues[q].addr[area] = a;
    return AVPS_OK;
}

int avps_dev_queue_enable(struct avps_dev *dev, uint16_t q)
{
    struct avps_dev_queue *dq;
    struct avps_vq_ring ring;
    int err;

    if (!dev_queue_ok_(dev, q) || dev->queues[q].ready ||
        ((dev->status & S_FEATURES_OK) == 0u)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, 1u);
        return AVPS_E_GUEST_STATE;
    }
    dq = &dev->queues[q];
    (void)memset(&ring, 0, sizeof ring);
    ring.desc = dq->addr[AVPS_DEV_AREA_DESC];
    ring.driver = dq->addr[AVPS_DEV_AREA_DRIVER];
    ring.device = dq->addr[AVPS_DEV_AREA_DEVICE];
    ring.size = dq->size;
    ring.features = dev->features;
    /* A queue left broken by an earlier ring is cleared first. */
    avps_vq_reset(&dq->vq);
    err = avps_vq_enable(&dq->vq, &ring);
    if (err != AVPS_OK) {
        return err; /* a guest range error has already set NEEDS_RESET */
    }
    dq->ready = 1;
    return AVPS_OK;
}

int avps_dev_queue_reset(struct avps_dev *dev, uint16_t q)
{
    if (!dev_queue_ok_(dev, q)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, 0u);
        return AVPS_E_GUEST_STATE;
    }
    dev_queue_defaults_(&dev->queues[q]);
    if (dev->cls->queue_reset != NULL) {
        dev->cls->queue_reset(dev, q);
    }
    return AVPS_OK;
}

int avps_dev_queue_notify(struct avps_dev *dev, uint16_t q)
{
    if (!dev_queue_ok_(dev, q)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, 0u);
        return AVPS_E_GUEST_STATE;
    }
    if (!avps_dev_queue_live_(dev, q)) {
        return 0; /* §2.1.2: nothing before DRIVER_OK; a hint, never an error */
    }
    return dev->cls->queue_notify(dev, q);
}

int avps_dev_queue_notify_data(struct avps_dev *dev, uint32_t value)
{
    const uint16_t q = AVPS_NOTIFY_DATA_VQ(value);

    if (!dev_queue_ok_(dev, q)) {
        avps_dev_report_(dev, AVPS_EV_DEV_QUEUE, q, value);
        return AVPS_E_GUEST_STATE;
    }
    if (!avps_dev_queue_live_(dev, q)) {
        return 0;
    }
    if ((dev->features & F_NOTIFICATION_DATA) != 0u) {
        const int err = avps_vq_notify_data(&dev->queues[q].vq, value);

        if (err < 0) {
            return err;
        }
    }
    return dev->cls->queue_notify(dev, q);
}

/* ---- configuration space ----------------------------------------------- */

int avps_dev_config_read(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    uint32_t size;
    uint32_t n;

    AVPS_ASSERT((dev != NULL) && ((buf != NULL) || (len == 0u)));
    size = dev->cls->config_size;
    (void)memset(buf, 0, len);
    if (len > (UINT32_MAX - off)) {
        avps_dev_report_(dev, AVPS_EV_DEV_CONFIG, off, len);
        return AVPS_E_GUEST_RANGE;
    }
    if (off >= size) {
        return AVPS_OK;
    }
    n = len;
    if ((size - off) < len) {
        n = size - off; /* the rest of the space; the buffer's tail stays 0 */
    }
    dev->cls->config_read(dev, off, buf, n);
    return AVPS_OK;
}

int avps_dev_config_write(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    AVPS_ASSERT((dev != NULL) && ((buf != NULL) || (len == 0u)));
    if ((len == 0u) || !avps_range_ok_(off, len, dev->cls->config_size) ||
        (dev->cls->config_write == NULL) ||
        (dev->cls->config_write(dev, off, buf, len) != AVPS_OK)) {
        avps_dev_report_(dev, AVPS_EV_DEV_CONFIG, off, len);
        return AVPS_E_GUEST_REQ;
    }
    return AVPS_OK;
}

void avps_dev_config_changed(struct avps_dev *dev)
{
    AVPS_ASSERT(dev != NULL);
    dev->generation++;
    if ((dev->status & S_DRIVER_OK) == 0u) {
        return;
    }
    dev->isr |= AVPS_DEV_ISR_CONFIG;
    if ((dev->tops != NULL) && (dev->tops->notify_config != NULL)) {
        (void)dev->tops->notify_config(dev->tctx, dev);
    }
}

/* ---- save / restore ---------------------------------------------------- */

void avps_dev_save(const struct avps_dev *dev, struct avps_dev_state *st)
{
    AVPS_ASSERT((dev != NULL) && (st != NULL));
    (void)memset(st, 0, sizeof *st);
    st->driver_features = dev->driver_features;
    st->features = dev->features;
    st->generation = dev->generation;
    st->status = dev->status;
    st->isr = dev->isr;
}

int avps_dev_restore(struct avps_dev *dev, const struct avps_dev_state *st)
{
    AVPS_ASSERT((dev != NULL) && (st != NULL));
    if (((st->status & ~S_KNOWN) != 0u) || ((st->isr & ~3u) != 0u) ||
        ((st->driver_features & ~dev->offered) != 0u)) {
        return AVPS_E_GUEST_STATE;
    }
    if ((st->status & S_FEATURES_OK) != 0u) {
        if ((st->features != st->driver_features) || !dev_features_acceptable_(dev, st->features)) {
            return AVPS_E_GUEST_STATE;
        }
    } else if ((st->features != 0u) || ((st->status & S_DRIVER_OK) != 0u)) {
        return AVPS_E_GUEST_STATE;
    } else {
        /* before FEATURES_OK: no features, not DRIVER_OK; consistent */
    }
    dev_reset_(dev);
    dev->driver_features = st->driver_features;
    dev->features = st->features;
    dev->generation = st->generation;
    dev->status = st->status;
    dev->isr = st->isr;
    return AVPS_OK;
}

int avps_dev_queue_save(const struct avps_dev *dev, uint16_t q, struct avps_dev_queue_state *st)
{
    const struct avps_dev_queue *dq;

    AVPS_ASSERT((dev != NULL) && (st != NULL));
    if (!dev_queue_ok_(dev, q)) {
        return AVPS_E_INVAL;
    }
    dq = &dev->queues[q];
    (void)memset(st, 0, sizeof *st);
    (void)memcpy(st->addr, dq->addr, sizeof st->addr);
    st->size = dq->size;
    st->vector = dq->vector;
    st->ready = dq->ready;
    if (dq->ready != 0u) {
        (void)avps_vq_save(&dq->vq, &st->vq);
    }
    return AVPS_OK;
}

int avps_dev_queue_restore(struct avps_dev *dev, uint16_t q, const struct avps_dev_queue_state *st)
{
    struct avps_dev_queue *dq;
    struct avps_vq_state vst;
    int err;

    AVPS_ASSERT((dev != NULL) && (st != NULL));
    if (!dev_queue_ok_(dev, q)) {
        return AVPS_E_INVAL;
    }
    dq = &dev->queues[q];
    if ((st->size == 0u) || (st->size > dq->size_max) || (st->ready > 1u)) {
        return AVPS_E_GUEST_STATE;
    }
    if (dev->cls->queue_reset != NULL) {
        dev->cls->queue_reset(dev, q);
    }
    /* Keep the caller's in-flight set across the queue reset. */
    vst = st->vq;
    dq->ready = 0;
    (void)memcpy(dq->addr, st->addr, sizeof dq->addr);
    dq->size = st->size;
    dq->vector = st->vector;
    if (!st->ready) {
        return AVPS_OK;
    }
    {
        struct avps_vq_ring ring;

        (void)memset(&ring, 0, sizeof ring);
        ring.desc = dq->addr[AVPS_DEV_AREA_DESC];
        ring.driver = dq->addr[AVPS_DEV_AREA_DRIVER];
        ring.device = dq->addr[AVPS_DEV_AREA_DEVICE];
        ring.size = dq->size;
        ring.features = dev->features;
        err = avps_vq_restart_(&dq->vq, &ring, &vst);
    }
    if (err != AVPS_OK) {
        return err;
    }
    dq->ready = 1;
    return AVPS_OK;
}

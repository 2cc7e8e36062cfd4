/*
 * lib/devices internal interface: the device class table (STYLE.md rule 4)
 * and the helpers device types use to set themselves up. Never installed.
 */
#ifndef AVPS_DEV_PRIV_H
#define AVPS_DEV_PRIV_H

#include <avps/device.h>
#include <avps/virtio/features.h>

#include "../core/core_priv.h"

/* A device type. The common state machine calls into this table and nowhere
 * else. */
struct avps_dev_class {
    uint32_t device_id;   /* VIRTIO device ID (§5) */
    uint32_t config_size; /* bytes of device configuration space */
    uint64_t features;    /* device-type bits, plus IN_ORDER if it completes in order */
    void (*reset)(struct avps_dev *dev);                             /* required */
    int (*features_ok)(struct avps_dev *dev, uint64_t features);     /* optional */
    int (*queue_notify)(struct avps_dev *dev, uint16_t q);           /* required */
    void (*config_read)(struct avps_dev *dev, uint32_t off, void *buf,
                        uint32_t len);                               /* required if config_size */
    int (*config_write)(struct avps_dev *dev, uint32_t off, const void *buf,
                        uint32_t len);                               /* optional */
    void (*driver_ok)(struct avps_dev *dev);                         /* optional */
    /* Optional: queue q was reset or re-created (queue reset, ring restore):
     * drop any request of that queue the device type still holds. */
    void (*queue_reset)(struct avps_dev *dev, uint16_t q);
    /* With IN_ORDER, one used entry per buffer (avps_vq_cfg.used_each). */
    bool used_each;
};

/* Set up the common part. queues[0..nq) must then be set up one by one with
 * avps_dev_queue_init_(). */
int avps_dev_init_(struct avps_dev *dev, const struct avps_dev_class *cls,
                   const struct avps_host *host, struct avps_dev_queue *queues, uint16_t nq,
                   const struct avps_dev_common_cfg *cc);
int avps_dev_queue_init_(struct avps_dev *dev, uint16_t q, uint16_t size_max,
                         struct avps_vq_slot *slots, uint32_t num_slots);

/* True when the device may consume buffers of queue q (§2.1.2). */
bool avps_dev_queue_live_(const struct avps_dev *dev, uint16_t q);

/* Report a guest fault of the device layer and count it. */
void avps_dev_report_(struct avps_dev *dev, enum avps_event ev, uint64_t a, uint64_t b);

/* Locking around public entry points (STYLE.md rule 16). */
static inline void avps_dev_lock_(const struct avps_dev *dev)
{
    void *lock_ctx = dev->lock_ctx;

    avps_lock_(dev->host, lock_ctx);
}
static inline void avps_dev_unlock_(const struct avps_dev *dev)
{
    void *lock_ctx = dev->lock_ctx;

    avps_unlock_(dev->host, lock_ctx);
}

#endif /* AVPS_DEV_PRIV_H */

/**
 * @file device.h
 * @brief The device core shared by every VIRTIO device: device status, feature
 *        negotiation, configuration space and its generation, per-queue setup,
 *        notifications, and state save/restore (VIRTIO 1.2 §2.1–§2.6, §3).
 *
 * A device (virtio-rng, virtio-blk, ...) embeds a struct avps_dev as its first
 * member. A transport (virtio-mmio, virtio-pci, or a vhost-user port) turns the
 * driver's register accesses into the calls below; the device core turns them
 * into state changes and calls into the device class. Transports bind themselves
 * with avps_dev_bind() and receive the two kinds of device-to-driver
 * notification through struct avps_transport_ops.
 *
 * Guest faults never assert: a driver that breaks the contract gets the write
 * ignored (and reported), or the device enters DEVICE_NEEDS_RESET and the
 * driver receives a configuration-change notification (§2.1.2).
 */
#ifndef AVPS_DEVICE_H
#define AVPS_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "virtqueue.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup device Device core
 * @{ */

struct avps_dev;
struct avps_dev_class; /* internal: the device type's table of operations */

/** Bits of the interrupt status shared by virtio-mmio InterruptStatus and the
 *  virtio-pci ISR register. */
#define AVPS_DEV_ISR_QUEUE 0x1u  /**< A used-buffer notification is pending. */
#define AVPS_DEV_ISR_CONFIG 0x2u /**< A configuration change is pending. */

/** No MSI-X vector (virtio-pci VIRTIO_MSI_NO_VECTOR). */
#define AVPS_DEV_NO_VECTOR 0xffffu

/** Queue address selectors for avps_dev_queue_set_addr(). */
enum avps_dev_area {
    AVPS_DEV_AREA_DESC = 0,   /**< Descriptor Area. */
    AVPS_DEV_AREA_DRIVER = 1, /**< Driver Area. */
    AVPS_DEV_AREA_DEVICE = 2  /**< Device Area. */
};

/** How the device reaches its driver; implemented by the transport. */
struct avps_transport_ops {
    /** Send a used-buffer notification for queue q (the core has already
     *  set AVPS_DEV_ISR_QUEUE). Returns 0 or a negative avps_err. */
    int (*notify_queue)(void *tctx, struct avps_dev *dev, uint16_t q);
    /** Send a configuration-change notification (the core has already set
     *  AVPS_DEV_ISR_CONFIG). Returns 0 or a negative avps_err. */
    int (*notify_config)(void *tctx, struct avps_dev *dev);
};

/** One queue of a device: the ring engine plus what the driver programmed
 *  through the transport. Caller-owned storage, inside the device object;
 *  members are private. */
struct avps_dev_queue {
    /** @cond PRIVATE */
    struct avps_vq vq;
    uint64_t addr[3];
    uint16_t size;
    uint16_t size_max;
    uint16_t vector;
    uint8_t ready;
    uint8_t pad_;
    /** @endcond */
};

/** Options common to every device's configuration. */
struct avps_dev_common_cfg {
    uint32_t dev_id;        /**< Identifies the device in reports. */
    uint64_t features_off;  /**< Feature bits never to offer (device or ring features). */
    bool access_platform;   /**< Offer VIRTIO_F_ACCESS_PLATFORM: guest addresses are IOVAs. */
    bool order_platform;    /**< Offer VIRTIO_F_ORDER_PLATFORM (non-coherent or hardware-ordered memory). */
    void *lock_ctx;         /**< Non-NULL: the port's lock/unlock guard every public entry point. */
};

/** Saved device state (plain data). Queues are saved one by one with
 *  avps_dev_queue_save(). */
struct avps_dev_state {
    uint64_t driver_features; /**< Features the driver wrote. */
    uint64_t features;        /**< Negotiated features (valid with FEATURES_OK). */
    uint32_t generation;      /**< Configuration generation. */
    uint8_t status;           /**< Device status. */
    uint8_t isr;              /**< Pending interrupt status bits. */
};

/** Saved queue state (plain data). */
struct avps_dev_queue_state {
    uint64_t addr[3];        /**< Descriptor, Driver and Device Area addresses. */
    uint16_t size;           /**< Programmed size. */
    uint16_t vector;         /**< MSI-X vector. */
    uint8_t ready;           /**< Queue enabled. */
    struct avps_vq_state vq; /**< Ring indices (valid when ready). */
};

/** The device object's common part. Embedded first in every device. */
struct avps_dev {
    /** @cond PRIVATE */
    const struct avps_dev_class *cls;
    const struct avps_host *host;
    const struct avps_transport_ops *tops;
    void *tctx;
    struct avps_dev_queue *queues;
    uint16_t num_queues;
    uint16_t config_vector;
    uint32_t dev_id;
    uint64_t offered;
    uint64_t transport_features;
    uint64_t driver_features;
    uint64_t features;
    uint32_t generation;
    uint8_t status;
    uint8_t isr;
    uint8_t platform;
    void *lock_ctx;
    uint64_t features_off;
    uint64_t guest_errors;
    /** @endcond */
};

/**
 * @brief Bind a transport to a device. Replaces any earlier binding.
 * @param[in,out] dev        Initialised device.
 * @param[in]     tops       The transport's notification ops; must outlive dev's binding.
 * @param[in]     tctx       Passed to tops.
 * @param[in]     transport_features  Reserved feature bits the transport supports
 *                           (for example NOTIFICATION_DATA, RING_RESET); the core
 *                           offers only those of them the device and engines support.
 * @retval AVPS_OK  Bound.  @retval AVPS_E_INVAL  A NULL argument.
 * @par Context
 * Setup time.
 */
int avps_dev_bind(struct avps_dev *dev, const struct avps_transport_ops *tops, void *tctx,
                  uint64_t transport_features);

/** @brief VIRTIO device ID (§5). */
uint32_t avps_dev_device_id(const struct avps_dev *dev);
/** @brief Number of queues the device has. */
uint16_t avps_dev_num_queues(const struct avps_dev *dev);
/** @brief The feature bits the device offers (after features_off and the transport). */
uint64_t avps_dev_offered_features(const struct avps_dev *dev);
/** @brief The negotiated features; 0 before FEATURES_OK. */
uint64_t avps_dev_features(const struct avps_dev *dev);
/** @brief Current device status (§2.1). */
uint8_t avps_dev_status(const struct avps_dev *dev);
/** @brief True when DEVICE_NEEDS_RESET is set. */
bool avps_dev_needs_reset(const struct avps_dev *dev);
/** @brief Guest contract violations seen by the device core and its queues. */
uint64_t avps_dev_guest_errors(const struct avps_dev *dev);

/**
 * @brief The driver writes the device status (§2.1, §3.1).
 *
 * 0 resets the device (§2.4): every queue is reset, negotiated features and
 * pending interrupt bits are cleared. Otherwise bits may only be added
 * (§2.1.1): a write that clears a bit is ignored and reported. FEATURES_OK is
 * only kept when the driver's features are acceptable (§2.2.2): a subset of what
 * was offered, VERSION_1 included, and accepted by the device type. DRIVER_OK
 * lets the device consume buffers (§2.1.2).
 * @retval AVPS_OK             Written (or reset).
 * @retval AVPS_E_GUEST_STATE  The write was refused (cleared bits, FEATURES_OK
 *                             for an unacceptable set, or out of sequence); the
 *                             status keeps its old value, FEATURES_OK stays clear.
 * @par Context
 * The transport's register path. May call the port's report and the transport.
 */
int avps_dev_set_status(struct avps_dev *dev, uint8_t status);

/** @brief 32 bits of the offered features: bits [32*sel, 32*sel+31]. */
uint32_t avps_dev_offered_word(const struct avps_dev *dev, uint32_t sel);

/**
 * @brief The driver writes 32 bits of its features (DriverFeatures, §4.1.4.3,
 *        §4.2.2).
 * @retval AVPS_OK             Stored.
 * @retval AVPS_E_GUEST_STATE  After FEATURES_OK (the driver must not change
 *                             features then), or a non-zero word beyond bit 63;
 *                             ignored and reported.
 * @par Context
 * The transport's register path.
 */
int avps_dev_set_driver_word(struct avps_dev *dev, uint32_t sel, uint32_t value);
/** @brief 32 bits of the features the driver wrote. */
uint32_t avps_dev_driver_word(const struct avps_dev *dev, uint32_t sel);

/** @brief Largest size the device allows for queue q; 0 when q does not exist. */
uint16_t avps_dev_queue_size_max(const struct avps_dev *dev, uint16_t q);
/** @brief The programmed size of queue q (0 when q does not exist). */
uint16_t avps_dev_queue_size(const struct avps_dev *dev, uint16_t q);
/** @brief 1 when queue q is enabled (QueueReady / queue_enable), else 0. */
uint8_t avps_dev_queue_ready(const struct avps_dev *dev, uint16_t q);
/** @brief The programmed address of one area of queue q. */
uint64_t avps_dev_queue_addr(const struct avps_dev *dev, uint16_t q, enum avps_dev_area area);
/** @brief The MSI-X vector of queue q (AVPS_DEV_NO_VECTOR when none). */
uint16_t avps_dev_queue_vector(const struct avps_dev *dev, uint16_t q);
/** @brief The MSI-X vector for configuration changes. */
uint16_t avps_dev_config_vector(const struct avps_dev *dev);
/** @brief Set the configuration-change MSI-X vector (virtio-pci msix_config). */
void avps_dev_set_config_vector(struct avps_dev *dev, uint16_t vector);
/** @brief Set queue q's MSI-X vector (virtio-pci queue_msix_vector). */
int avps_dev_queue_set_vector(struct avps_dev *dev, uint16_t q, uint16_t vector);

/**
 * @brief The driver writes queue q's size (QueueNum / queue_size).
 * @retval AVPS_OK             Stored.
 * @retval AVPS_E_GUEST_STATE  q does not exist, the queue is enabled, or the
 *                             size is 0 or above the maximum; ignored and reported.
 */
int avps_dev_queue_set_size(struct avps_dev *dev, uint16_t q, uint16_t size);

/**
 * @brief The driver writes one 64-bit area address of queue q (the transport
 *        combines low and high halves first, or writes them one at a time with
 *        avps_dev_queue_set_addr_half()).
 * @retval AVPS_OK             Stored.
 * @retval AVPS_E_GUEST_STATE  q does not exist or is enabled; ignored and reported.
 */
int avps_dev_queue_set_addr(struct avps_dev *dev, uint16_t q, enum avps_dev_area area,
                            uint64_t addr);
/** @brief Write the low (high = false) or high 32 bits of one area address. */
int avps_dev_queue_set_addr_half(struct avps_dev *dev, uint16_t q, enum avps_dev_area area,
                                 bool high, uint32_t value);

/**
 * @brief The driver enables queue q (QueueReady = 1, queue_enable = 1).
 *
 * Checks and maps the programmed ring with the negotiated features. A ring
 * that is misaligned or outside guest memory puts the device in
 * DEVICE_NEEDS_RESET.
 * @retval AVPS_OK             Enabled.
 * @retval AVPS_E_GUEST_STATE  q does not exist, is already enabled, or
 *                             FEATURES_OK is not set; ignored and reported.
 * @retval AVPS_E_GUEST_RANGE  The ring was refused; the device needs a reset.
 */
int avps_dev_queue_enable(struct avps_dev *dev, uint16_t q);

/**
 * @brief The driver resets queue q (VIRTIO_F_RING_RESET, §2.6.1) or writes
 *        QueueReady = 0. The queue forgets its ring and in-flight requests.
 * @retval AVPS_OK  Reset.  @retval AVPS_E_GUEST_STATE  q does not exist.
 */
int avps_dev_queue_reset(struct avps_dev *dev, uint16_t q);

/**
 * @brief The driver notifies queue q (QueueNotify, a notify-area write, or a
 *        vhost-user kick). Ignored unless DRIVER_OK is set and the queue is
 *        enabled (§2.1.2).
 * @retval >=0  What the device type's handler returned (requests taken).
 * @retval AVPS_E_GUEST_STATE  No such queue (reported).
 * @retval <0   The handler's error.
 */
int avps_dev_queue_notify(struct avps_dev *dev, uint16_t q);

/**
 * @brief A notification with VIRTIO_F_NOTIFICATION_DATA (§2.9): the value
 *        carries the queue index and the driver's next position.
 * @retval as avps_dev_queue_notify(); AVPS_E_GUEST_INDEX for a value the queue
 *         cannot have (reported, not fatal).
 */
int avps_dev_queue_notify_data(struct avps_dev *dev, uint32_t value);

/** @brief Size in bytes of the device configuration space. */
uint32_t avps_dev_config_size(const struct avps_dev *dev);
/** @brief Current configuration generation (changes with every config update). */
uint32_t avps_dev_config_generation(const struct avps_dev *dev);

/**
 * @brief The driver reads the device configuration space. Bytes past its end
 *        read as zero. Allowed before FEATURES_OK (§2.5.1).
 * @retval AVPS_OK  Read.  @retval AVPS_E_GUEST_RANGE  off + len overflows (buf zeroed).
 */
int avps_dev_config_read(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len);

/**
 * @brief The driver writes the device configuration space. Writes to read-only
 *        fields, or past the end, are ignored and reported.
 * @retval AVPS_OK  Applied.  @retval AVPS_E_GUEST_REQ  Ignored.
 */
int avps_dev_config_write(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len);

/**
 * @brief The device changed its configuration: bump the generation and send a
 *        configuration-change notification once the driver is up (§4.x: the
 *        device SHOULD NOT notify before DRIVER_OK).
 * @par Context
 * Device or backend code; calls the transport.
 */
void avps_dev_config_changed(struct avps_dev *dev);

/**
 * @brief The device cannot go on: set DEVICE_NEEDS_RESET and, if DRIVER_OK is
 *        set, send a configuration-change notification (§2.1.2). Idempotent.
 * @param[in,out] dev  The device.
 * @param[in]     err  The reason (reported).
 */
void avps_dev_fail(struct avps_dev *dev, int err);

/** @brief The pending interrupt status bits (AVPS_DEV_ISR_*). */
uint8_t avps_dev_isr(const struct avps_dev *dev);
/** @brief Clear interrupt status bits (InterruptACK, or the PCI ISR read). */
void avps_dev_isr_ack(struct avps_dev *dev, uint8_t bits);

/** @brief Save the device's scalar state. */
void avps_dev_save(const struct avps_dev *dev, struct avps_dev_state *st);
/**
 * @brief Restore the device's scalar state (checked as guest data).
 * @retval AVPS_OK  Restored.
 * @retval AVPS_E_GUEST_STATE  Inconsistent (features not offered, FEATURES_OK
 *                             without VERSION_1, unknown status bits); unchanged.
 */
int avps_dev_restore(struct avps_dev *dev, const struct avps_dev_state *st);
/**
 * @brief Save one queue's state.
 * @retval AVPS_OK       Saved.
 * @retval AVPS_E_INVAL  No such queue.
 */
int avps_dev_queue_save(const struct avps_dev *dev, uint16_t q, struct avps_dev_queue_state *st);
/**
 * @brief Restore one queue (after avps_dev_restore()): program, enable if it
 *        was ready, and restore its ring indices. avps_dev_restore() resets every
 *        queue, clearing its slot array: copy the saved slots back in between.
 * @retval AVPS_OK  Restored.
 * @retval AVPS_E_INVAL  No such queue.
 * @retval AVPS_E_GUEST_STATE, AVPS_E_GUEST_RANGE  Refused (queue left disabled).
 */
int avps_dev_queue_restore(struct avps_dev *dev, uint16_t q, const struct avps_dev_queue_state *st);

/** @brief The queue engine of queue q, for device code and ports (NULL if none). */
struct avps_vq *avps_dev_vq(struct avps_dev *dev, uint16_t q);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_DEVICE_H */

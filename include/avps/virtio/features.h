/**
 * @file virtio/features.h
 * @brief Device-independent VIRTIO feature bits (VIRTIO 1.2 §6) and device
 *        status bits (§2.1).
 */
#ifndef AVPS_VIRTIO_FEATURES_H
#define AVPS_VIRTIO_FEATURES_H

/** @addtogroup wire
 * @{ */

/** Bit numbers of the reserved (device-independent) features, 24..41. */
#define AVPS_VIRTIO_F_INDIRECT_DESC 28u      /**< §2.7.5.3 indirect descriptors. */
#define AVPS_VIRTIO_F_EVENT_IDX 29u          /**< §2.7.7, §2.7.10 event index. */
#define AVPS_VIRTIO_F_VERSION_1 32u          /**< Compliance with VIRTIO 1.x. */
#define AVPS_VIRTIO_F_ACCESS_PLATFORM 33u    /**< Addresses go through a platform IOMMU. */
#define AVPS_VIRTIO_F_RING_PACKED 34u        /**< §2.8 packed virtqueue layout. */
#define AVPS_VIRTIO_F_IN_ORDER 35u           /**< Buffers used in the order made available. */
#define AVPS_VIRTIO_F_ORDER_PLATFORM 36u     /**< Platform memory ordering. */
#define AVPS_VIRTIO_F_SR_IOV 37u             /**< PCI SR-IOV. */
#define AVPS_VIRTIO_F_NOTIFICATION_DATA 38u  /**< Driver notifications carry ring position. */
#define AVPS_VIRTIO_F_NOTIF_CONFIG_DATA 39u  /**< Notification value from config. */
#define AVPS_VIRTIO_F_RING_RESET 40u         /**< Per-queue reset. */
#define AVPS_VIRTIO_F_ADMIN_VQ 41u           /**< Administration virtqueue. */

/** The mask of one feature bit number. */
#define AVPS_VIRTIO_BIT(n) (1ULL << (n))

/** Device status bits (§2.1). */
#define AVPS_VIRTIO_S_ACKNOWLEDGE 1u   /**< The guest found the device. */
#define AVPS_VIRTIO_S_DRIVER 2u        /**< The guest has a driver for it. */
#define AVPS_VIRTIO_S_DRIVER_OK 4u     /**< The driver is ready. */
#define AVPS_VIRTIO_S_FEATURES_OK 8u   /**< Feature negotiation is complete. */
#define AVPS_VIRTIO_S_NEEDS_RESET 64u  /**< The device hit an error it cannot recover from. */
#define AVPS_VIRTIO_S_FAILED 128u      /**< The guest gave up on the device. */

/** @} */

#endif /* AVPS_VIRTIO_FEATURES_H */

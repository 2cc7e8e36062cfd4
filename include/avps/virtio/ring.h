/**
 * @file virtio/ring.h
 * @brief Split and packed virtqueue layouts (VIRTIO 1.2 §2.7, §2.8), written
 *        from the specification.
 *
 * Split virtqueue (§2.7), three areas, each physically contiguous:
 * @verbatim
 *   Descriptor Area  align 16   struct avps_vring_desc desc[size]      16*size
 *   Driver Area      align  2   flags, idx, ring[size], used_event       6+2*size
 *   Device Area      align  4   flags, idx, elem[size], avail_event      6+8*size
 * @endverbatim
 * Packed virtqueue (§2.8):
 * @verbatim
 *   Descriptor Area  align 16   struct avps_pvirtq_desc desc[size]     16*size
 *   Driver Area      align  4   driver event suppression               4
 *   Device Area      align  4   device event suppression               4
 * @endverbatim
 */
#ifndef AVPS_VIRTIO_RING_H
#define AVPS_VIRTIO_RING_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

/* ---- split virtqueue (§2.7) -------------------------------------------- */

#define AVPS_VRING_DESC_F_NEXT 1u     /**< Chain continues via next. */
#define AVPS_VRING_DESC_F_WRITE 2u    /**< Device write-only buffer. */
#define AVPS_VRING_DESC_F_INDIRECT 4u /**< Buffer holds a descriptor table. */

#define AVPS_VRING_AVAIL_F_NO_INTERRUPT 1u /**< Driver: no used notifications please. */
#define AVPS_VRING_USED_F_NO_NOTIFY 1u     /**< Device: no available notifications please. */

#define AVPS_VRING_DESC_ALIGN 16u  /**< Descriptor Area alignment. */
#define AVPS_VRING_AVAIL_ALIGN 2u  /**< Driver Area alignment (split). */
#define AVPS_VRING_USED_ALIGN 4u   /**< Device Area alignment (split). */
#define AVPS_VRING_MAX_SIZE 32768u /**< Largest queue size of either layout. */

/** Split-ring descriptor (§2.7.5). */
struct avps_vring_desc {
    avps_le64 addr;  /**< Guest-physical (or IOVA) buffer address. */
    avps_le32 len;   /**< Buffer length in bytes. */
    avps_le16 flags; /**< AVPS_VRING_DESC_F_*. */
    avps_le16 next;  /**< Next descriptor index when F_NEXT is set. */
};

/** Split-ring available ring header (§2.7.6); ring[size] and, with
 *  EVENT_IDX, used_event follow. */
struct avps_vring_avail {
    avps_le16 flags;   /**< AVPS_VRING_AVAIL_F_*. */
    avps_le16 idx;     /**< Free-running index of the next entry the driver writes. */
    avps_le16 ring[1]; /**< First of size entries (declared 1 for C++ compatibility). */
};

/** One used-ring element (§2.7.8). */
struct avps_vring_used_elem {
    avps_le32 id;  /**< Head index of the used chain. */
    avps_le32 len; /**< Bytes written into the device-writable part. */
};

/** Split-ring used ring header (§2.7.8); ring[size] and, with EVENT_IDX,
 *  avail_event follow. */
struct avps_vring_used {
    avps_le16 flags;                     /**< AVPS_VRING_USED_F_*. */
    avps_le16 idx;                       /**< Free-running index of the next entry. */
    struct avps_vring_used_elem ring[1]; /**< First of size entries. */
};

/** Bytes of the Descriptor Area of a split queue of @p n entries. */
#define AVPS_VRING_DESC_BYTES(n) (16ULL * (uint64_t)(n))
/** Bytes of the Driver Area of a split queue (with used_event). */
#define AVPS_VRING_AVAIL_BYTES(n) (6ULL + (2ULL * (uint64_t)(n)))
/** Bytes of the Device Area of a split queue (with avail_event). */
#define AVPS_VRING_USED_BYTES(n) (6ULL + (8ULL * (uint64_t)(n)))
/** Byte offset of used_event in the Driver Area. */
#define AVPS_VRING_USED_EVENT_OFF(n) (4ULL + (2ULL * (uint64_t)(n)))
/** Byte offset of avail_event in the Device Area. */
#define AVPS_VRING_AVAIL_EVENT_OFF(n) (4ULL + (8ULL * (uint64_t)(n)))

AVPS_STATIC_ASSERT(sizeof(struct avps_vring_desc) == 16u, "split desc size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_desc, len) == 8u, "split desc len");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_desc, flags) == 12u, "split desc flags");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_desc, next) == 14u, "split desc next");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_avail, idx) == 2u, "avail idx");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_avail, ring) == 4u, "avail ring");
AVPS_STATIC_ASSERT(sizeof(struct avps_vring_used_elem) == 8u, "used elem size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_used, idx) == 2u, "used idx");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_vring_used, ring) == 4u, "used ring");

/* ---- packed virtqueue (§2.8) ------------------------------------------- */

#define AVPS_VRING_PACKED_DESC_F_AVAIL 0x0080u /**< Bit 7: available flag. */
#define AVPS_VRING_PACKED_DESC_F_USED 0x8000u  /**< Bit 15: used flag. */

#define AVPS_VRING_PACKED_EVENT_FLAG_ENABLE 0u  /**< Notify on every change. */
#define AVPS_VRING_PACKED_EVENT_FLAG_DISABLE 1u /**< Never notify. */
#define AVPS_VRING_PACKED_EVENT_FLAG_DESC 2u    /**< Notify at desc off/wrap (EVENT_IDX). */
#define AVPS_VRING_PACKED_EVENT_WRAP_SHIFT 15u  /**< Wrap bit within off_wrap. */
#define AVPS_VRING_PACKED_EVENT_AREA_ALIGN 4u   /**< Driver/Device Area alignment. */

/** Packed-ring descriptor (§2.8.13). */
struct avps_pvirtq_desc {
    avps_le64 addr;  /**< Buffer address (unused in used descriptors). */
    avps_le32 len;   /**< Buffer length, or bytes written in a used descriptor. */
    avps_le16 id;    /**< Buffer ID, in the last descriptor of a list. */
    avps_le16 flags; /**< AVPS_VRING_DESC_F_* and the AVAIL/USED bits. */
};

/** Packed-ring event suppression structure (§2.8.14). */
struct avps_pvirtq_event_suppress {
    avps_le16 off_wrap; /**< desc_event_off:15, desc_event_wrap:1. */
    avps_le16 flags;    /**< desc_event_flags:2, reserved:14. */
};

AVPS_STATIC_ASSERT(sizeof(struct avps_pvirtq_desc) == 16u, "packed desc size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_pvirtq_desc, len) == 8u, "packed desc len");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_pvirtq_desc, id) == 12u, "packed desc id");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_pvirtq_desc, flags) == 14u, "packed desc flags");
AVPS_STATIC_ASSERT(sizeof(struct avps_pvirtq_event_suppress) == 4u, "event suppress size");

/* ---- driver notifications (§2.9) --------------------------------------- */

/** With VIRTIO_F_NOTIFICATION_DATA the notification value is
 *  vq_index:16 | next_off:15 | next_wrap:1, little-endian. */
#define AVPS_NOTIFY_DATA_VQ(v) ((uint16_t)((v) & 0xffffu))
/** next_off field of a notification-data value. */
#define AVPS_NOTIFY_DATA_OFF(v) ((uint16_t)(((v) >> 16) & 0x7fffu))
/** next_wrap field of a notification-data value. */
#define AVPS_NOTIFY_DATA_WRAP(v) ((uint16_t)(((v) >> 31) & 1u))

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_RING_H */

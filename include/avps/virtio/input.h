/**
 * @file virtio/input.h
 * @brief virtio-input wire formats (VIRTIO 1.2 §5.8), written from the
 *        specification.
 *
 * Device configuration (§5.8.4), 136 bytes:
 * @verbatim
 *   0   u8  select      driver-written: what to show in u
 *   1   u8  subsel      driver-written: event type or axis
 *   2   u8  size        bytes of u that are valid; 0 = nothing for this select/subsel
 *   3   u8  reserved[5]
 *   8   union u (128 bytes): string, bitmap, absinfo or devids
 * @endverbatim
 * Both queues carry struct avps_virtio_input_event (8 bytes, §5.8.6).
 */
#ifndef AVPS_VIRTIO_INPUT_H
#define AVPS_VIRTIO_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

/* enum virtio_input_config_select (§5.8.4) */
#define AVPS_VIRTIO_INPUT_CFG_UNSET 0x00u     /**< Nothing selected. */
#define AVPS_VIRTIO_INPUT_CFG_ID_NAME 0x01u   /**< Device name (u.string). */
#define AVPS_VIRTIO_INPUT_CFG_ID_SERIAL 0x02u /**< Serial number (u.string). */
#define AVPS_VIRTIO_INPUT_CFG_ID_DEVIDS 0x03u /**< Bus, vendor, product, version (u.ids). */
#define AVPS_VIRTIO_INPUT_CFG_PROP_BITS 0x10u /**< INPUT_PROP_* bitmap (u.bitmap). */
#define AVPS_VIRTIO_INPUT_CFG_EV_BITS 0x11u   /**< Codes of event type subsel (u.bitmap). */
#define AVPS_VIRTIO_INPUT_CFG_ABS_INFO 0x12u  /**< Axis subsel (u.abs). */

/** struct virtio_input_absinfo */
struct avps_virtio_input_absinfo {
    avps_le32 min;  /**< Minimum value. */
    avps_le32 max;  /**< Maximum value. */
    avps_le32 fuzz; /**< Noise filter. */
    avps_le32 flat; /**< Dead zone. */
    avps_le32 res;  /**< Resolution. */
};

/** struct virtio_input_devids */
struct avps_virtio_input_devids {
    avps_le16 bustype; /**< BUS_* */
    avps_le16 vendor;  /**< Vendor ID. */
    avps_le16 product; /**< Product ID. */
    avps_le16 version; /**< Version. */
};

/** struct virtio_input_config */
struct avps_virtio_input_config {
    uint8_t select;      /**< AVPS_VIRTIO_INPUT_CFG_*; written by the driver. */
    uint8_t subsel;      /**< Event type or axis; written by the driver. */
    uint8_t size;        /**< Valid bytes of u. */
    uint8_t reserved[5]; /**< Zero. */
    union {
        char string[128];                       /**< Not NUL-terminated. */
        uint8_t bitmap[128];                    /**< Bit n of byte n/8: code n. */
        struct avps_virtio_input_absinfo abs;   /**< ABS_INFO. */
        struct avps_virtio_input_devids ids;    /**< ID_DEVIDS. */
    } u;                                        /**< Selected information. */
};

/** struct virtio_input_event: both queues (§5.8.6). */
struct avps_virtio_input_event {
    avps_le16 type;  /**< EV_* */
    avps_le16 code;  /**< Event code. */
    avps_le32 value; /**< Event value. */
};

AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_input_absinfo) == 20u, "input absinfo size");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_input_devids) == 8u, "input devids size");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_input_config) == 136u, "input config size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_input_config, size) == 2u, "input size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_input_config, u) == 8u, "input u");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_input_event) == 8u, "input event size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_input_event, value) == 4u, "input value");

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_INPUT_H */

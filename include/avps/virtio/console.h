/**
 * @file virtio/console.h
 * @brief virtio-console wire formats (VIRTIO 1.2 §5.3), written from the
 *        specification.
 *
 * Queues: 0 receiveq(port 0), 1 transmitq(port 0), 2 control receiveq,
 * 3 control transmitq, then 2 + 2n / 3 + 2n for port n (n ≥ 1); all but the
 * first two only with VIRTIO_CONSOLE_F_MULTIPORT.
 */
#ifndef AVPS_VIRTIO_CONSOLE_H
#define AVPS_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

#define AVPS_VIRTIO_CONSOLE_F_SIZE 0u        /**< cols and rows are valid. */
#define AVPS_VIRTIO_CONSOLE_F_MULTIPORT 1u   /**< max_nr_ports valid; control queues used. */
#define AVPS_VIRTIO_CONSOLE_F_EMERG_WRITE 2u /**< emerg_wr is valid. */

/* struct virtio_console_control event values (§5.3.6.2) */
#define AVPS_VIRTIO_CONSOLE_DEVICE_READY 0u  /**< driver: ready for control messages. */
#define AVPS_VIRTIO_CONSOLE_DEVICE_ADD 1u    /**< device: a new port (Linux: PORT_ADD). */
#define AVPS_VIRTIO_CONSOLE_DEVICE_REMOVE 2u /**< device: a port goes (Linux: PORT_REMOVE). */
#define AVPS_VIRTIO_CONSOLE_PORT_READY 3u    /**< driver: the port is set up (value 1) or failed. */
#define AVPS_VIRTIO_CONSOLE_CONSOLE_PORT 4u  /**< device: the port is a console. */
#define AVPS_VIRTIO_CONSOLE_RESIZE 5u        /**< device: console size, then cols and rows. */
#define AVPS_VIRTIO_CONSOLE_PORT_OPEN 6u     /**< both: value 1 open, 0 closed. */
#define AVPS_VIRTIO_CONSOLE_PORT_NAME 7u     /**< device: then the UTF-8 name, no NUL. */

/** struct virtio_console_config */
struct avps_virtio_console_config {
    avps_le16 cols;         /**< Columns (VIRTIO_CONSOLE_F_SIZE). */
    avps_le16 rows;         /**< Rows (VIRTIO_CONSOLE_F_SIZE). */
    avps_le32 max_nr_ports; /**< Ports (VIRTIO_CONSOLE_F_MULTIPORT). */
    avps_le32 emerg_wr;     /**< Emergency write (VIRTIO_CONSOLE_F_EMERG_WRITE). */
};

/** struct virtio_console_control */
struct avps_virtio_console_control {
    avps_le32 id;    /**< Port number. */
    avps_le16 event; /**< AVPS_VIRTIO_CONSOLE_* */
    avps_le16 value; /**< Extra information. */
};

/** struct virtio_console_resize, after a RESIZE control message. */
struct avps_virtio_console_resize {
    avps_le16 cols; /**< Columns. */
    avps_le16 rows; /**< Rows. */
};

AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_console_config) == 12u, "console config size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_console_config, emerg_wr) == 8u,
                   "console emerg_wr");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_console_control) == 8u, "console control size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_console_control, event) == 4u,
                   "console control event");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_console_resize) == 4u, "console resize size");

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_CONSOLE_H */

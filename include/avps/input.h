/**
 * @file input.h
 * @brief virtio-input (input device, device ID 18, VIRTIO 1.2 §5.8).
 *
 * One evdev-style input device: a keyboard, a pointer, a tablet, a touch
 * screen. The device describes itself in its configuration space (name,
 * serial, IDs, properties, supported event codes per event type, axis ranges),
 * which the caller gives as a struct avps_input_info. Events go to the driver
 * on the eventq (queue 0), one 8-byte event per driver buffer; the driver's
 * status events (keyboard LEDs, sounds) come back on the statusq (queue 1) and
 * are handed to the backend.
 *
 * Events are queued in a caller-provided array and delivered in groups: a
 * group is the events up to and including an EV_SYN/SYN_REPORT. A group is
 * written into driver buffers that are held back (taken but not yet used)
 * until its SYN_REPORT is written, then all of them are made used at once, so
 * the driver never sees part of a group (§5.8.6.2), provided the group fits in
 * AVPS_INPUT_HOLD events and in the queue. When the array is full, a whole
 * group is dropped (the one being queued), never part of one, and counted.
 */
#ifndef AVPS_INPUT_H
#define AVPS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup input virtio-input
 * @{ */

#define AVPS_VIRTIO_ID_INPUT 18u     /**< VIRTIO device ID of the input device. */
#define AVPS_INPUT_EV_TYPES 32u      /**< Event types described (evdev EV_CNT). */
#define AVPS_INPUT_ABS_AXES 64u      /**< Absolute axes described (evdev ABS_CNT). */
#define AVPS_INPUT_BITMAP_BYTES 128u /**< Bytes of one bitmap in the configuration. */
#define AVPS_INPUT_STRING_MAX 128u   /**< Bytes of a name or serial. */
#define AVPS_INPUT_HOLD 64u          /**< Longest group delivered whole (events). */
#define AVPS_INPUT_SEGS 8u           /**< Segments one driver buffer may span. */

#define AVPS_INPUT_EV_SYN 0x00u      /**< evdev EV_SYN. */
#define AVPS_INPUT_EV_KEY 0x01u      /**< evdev EV_KEY. */
#define AVPS_INPUT_EV_REL 0x02u      /**< evdev EV_REL. */
#define AVPS_INPUT_EV_ABS 0x03u      /**< evdev EV_ABS. */
#define AVPS_INPUT_EV_LED 0x11u      /**< evdev EV_LED. */
#define AVPS_INPUT_SYN_REPORT 0x00u  /**< evdev SYN_REPORT: ends a group. */

/** One input event, in host byte order (the wire form is little endian). */
struct avps_input_event {
    uint16_t type;  /**< EV_* */
    uint16_t code;  /**< KEY_*, ABS_*, LED_*, ... */
    uint32_t value; /**< Value (signed values in two's complement). */
};

/** One absolute axis (evdev struct input_absinfo, without the value). */
struct avps_input_absinfo {
    int32_t min;  /**< Minimum value. */
    int32_t max;  /**< Maximum value. */
    int32_t fuzz; /**< Noise filter. */
    int32_t flat; /**< Dead zone. */
    int32_t res;  /**< Resolution. */
};

/** Device identity (evdev struct input_id). */
struct avps_input_devids {
    uint16_t bustype; /**< BUS_* */
    uint16_t vendor;  /**< Vendor ID. */
    uint16_t product; /**< Product ID. */
    uint16_t version; /**< Version. */
};

/**
 * What the device tells the driver about itself (§5.8.4). Caller-owned and
 * read on every configuration read: it must outlive the device, and should not
 * change while a driver is bound. All-zero parts mean "not supported" and read
 * as size 0.
 */
struct avps_input_info {
    char name[AVPS_INPUT_STRING_MAX];   /**< ID_NAME; NUL-terminated unless 128 bytes long. */
    char serial[AVPS_INPUT_STRING_MAX]; /**< ID_SERIAL; likewise. */
    struct avps_input_devids ids;       /**< ID_DEVIDS; all zero: none. */
    uint8_t prop_bits[AVPS_INPUT_BITMAP_BYTES]; /**< PROP_BITS (INPUT_PROP_*). */
    /** EV_BITS: ev_bits[type] holds the codes of that event type; bit c of
     *  byte c/8 is code c. A type whose bitmap is all zero is not supported. */
    uint8_t ev_bits[AVPS_INPUT_EV_TYPES][AVPS_INPUT_BITMAP_BYTES];
    /** ABS_INFO: abs[a] for each axis a set in ev_bits[AVPS_INPUT_EV_ABS]. */
    struct avps_input_absinfo abs[AVPS_INPUT_ABS_AXES];
};

/** What the device does with the driver's status events. */
struct avps_input_backend {
    /**
     * Optional. The driver sent a status event on the statusq (an LED change,
     * a bell). Return AVPS_OK when it was taken (any other error is counted and
     * the buffer completes as well), or AVPS_E_AGAIN when it cannot be taken
     * now: the buffer then stays with the device, and nothing behind it is
     * taken either, until avps_input_resume().
     */
    int (*status)(void *ctx, const struct avps_input_event *ev);
    /** Passed to status. */
    void *ctx;
};

/** Configuration for avps_input_init(). */
struct avps_input_cfg {
    struct avps_dev_common_cfg common;        /**< dev_id, features_off, lock, ... */
    const struct avps_input_info *info;       /**< Required; must outlive the device. */
    const struct avps_input_backend *backend; /**< NULL: status events are consumed and counted. */
    struct avps_input_event *pending;         /**< Queue for events not yet delivered. */
    uint32_t num_pending;                     /**< Entries in pending (≥ 1). */
    struct avps_vq_slot *event_slots;         /**< In-flight records of the eventq. */
    uint32_t num_event_slots;                 /**< Entries (≥ queue_size_max). */
    struct avps_vq_slot *status_slots;        /**< In-flight records of the statusq. */
    uint32_t num_status_slots;                /**< Entries (≥ queue_size_max). */
    uint16_t queue_size_max;                  /**< Largest queue size offered (1..32768). */
};

/** Counters, read with avps_input_stats(). */
struct avps_input_stats {
    uint64_t delivered;    /**< Events the driver received. */
    uint64_t dropped;      /**< Events dropped: the queue was full (whole groups), or a reset. */
    uint64_t split_groups; /**< Groups longer than the device can hold, delivered in parts. */
    uint64_t status;       /**< Status events taken from the driver. */
    uint64_t refused;      /**< Driver buffers refused (too small, wrong direction, too many pieces). */
};

/** The device object. Caller-allocated; members are private. */
struct avps_input {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_input is a struct avps_dev */
    struct avps_dev_queue queue[2];
    const struct avps_input_info *info;
    const struct avps_input_backend *backend;
    struct avps_input_event *pending;
    uint32_t cap;     /* entries in pending */
    uint32_t head;    /* oldest event not yet delivered */
    uint32_t count;   /* events queued */
    uint32_t open;    /* events at the tail of an unfinished group */
    uint32_t written; /* events of the head group written into held buffers */
    uint32_t nheld;   /* buffers taken and not yet made used */
    struct avps_vq_used held[AVPS_INPUT_HOLD];
    struct avps_vq_seg seg[AVPS_INPUT_SEGS];
    struct avps_vq_req req;
    struct avps_vq_seg st_seg[AVPS_INPUT_SEGS];
    struct avps_vq_req st_req;
    struct avps_input_event st_ev;
    uint8_t select;
    uint8_t subsel;
    uint8_t dropping;  /* dropping the rest of a group */
    uint8_t st_parked; /* st_req waits for the backend */
    struct avps_input_stats stats;
    /** @endcond */
};

/**
 * @brief Set up a virtio-input device.
 * @param[out] in    Device object.
 * @param[in]  host  Guest address space; must outlive in.
 * @param[in]  cfg   Copied; info, backend, pending and the slot arrays must
 *                   outlive in.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, no info or pending array, queue size out
 *                        of range, or too few slots.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_input_init(struct avps_input *in, const struct avps_host *host,
                    const struct avps_input_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_input_dev(struct avps_input *in);

/**
 * @brief Queue input events for the driver and deliver what can be delivered.
 *
 * Events are delivered in groups ending with EV_SYN/SYN_REPORT; the events of
 * an unfinished group wait for the rest. When the pending array cannot take an
 * event, the group it belongs to is dropped whole: its events already queued,
 * this one and the rest up to its SYN_REPORT (§5.8.6.2). Events queued before
 * the driver is ready are delivered once it is (DRIVER_OK, buffers posted).
 * @param[in,out] in  Device.
 * @param[in]     ev  Events, in order.
 * @param[in]     n   Count.
 * @retval >=0           Events accepted into the queue (the others were dropped
 *                       and counted in avps_input_stats()).
 * @retval AVPS_E_INVAL  ev is NULL while n is not 0.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port's
 * map and the transport.
 */
int avps_input_send(struct avps_input *in, const struct avps_input_event *ev, uint32_t n);

/**
 * @brief Serve both queues again: the backend can take status events again,
 *        or the caller wants queued events delivered now.
 * @retval >=0  Buffers completed.
 * @retval AVPS_E_STATE  Neither queue is live (not DRIVER_OK, disabled or broken).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the backend,
 * the port's map and the transport.
 */
int avps_input_resume(struct avps_input *in);

/** @brief Events queued and not yet delivered. */
uint32_t avps_input_pending(const struct avps_input *in);

/** @brief Copy the device's counters into @p st. */
void avps_input_stats(const struct avps_input *in, struct avps_input_stats *st);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_INPUT_H */

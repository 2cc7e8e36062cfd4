/**
 * @file virtio_scmi.h
 * @brief virtio-scmi (device ID 32, VIRTIO 1.2 §5.17): the SCMI platform core
 *        (scmi.h) carried to one agent (a VM) over a cmdq and an eventq.
 *
 * Each cmdq buffer holds one SCMI command (device-readable header and
 * parameters) and receives its synchronous response (device-writable). With
 * VIRTIO_SCMI_F_P2A_CHANNELS the eventq carries delayed responses and
 * notifications, one per buffer. Commands whose platform operation finishes
 * later (AVPS_SCMI_OP_PENDING) are completed out of order; P2A messages wait in
 * the platform's bounded backlog while the driver has posted no eventq
 * buffers (notifications beyond it are dropped and counted, delayed responses
 * never are). SHARED_MEMORY is not offered.
 */
#ifndef AVPS_VIRTIO_SCMI_H
#define AVPS_VIRTIO_SCMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "scmi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup virtio_scmi virtio-scmi
 * @{ */

#define AVPS_VIRTIO_ID_SCMI 32u               /**< VIRTIO device ID of the SCMI device. */
#define AVPS_VIRTIO_SCMI_F_P2A_CHANNELS 0u    /**< Feature bit: eventq, notifications, delayed responses. */
#define AVPS_VIRTIO_SCMI_F_SHARED_MEMORY 1u   /**< Feature bit: statistics shared memory (never offered). */
#define AVPS_VIRTIO_SCMI_CMDQ 0u              /**< Queue index of the cmdq. */
#define AVPS_VIRTIO_SCMI_EVENTQ 1u            /**< Queue index of the eventq. */
#define AVPS_VIRTIO_SCMI_SEGS 8u              /**< Segments one buffer may span. */
#define AVPS_VIRTIO_SCMI_MSG_MAX 512u         /**< Bytes of a command or reply the device handles. */

/** A cmdq request the device holds: in progress, or waiting for a deferred
 *  reply. Caller-allocated array; members are private. */
struct avps_virtio_scmi_held {
    /** @cond PRIVATE */
    struct avps_vq_req req;
    struct avps_vq_seg seg[AVPS_VIRTIO_SCMI_SEGS];
    uint8_t busy;
    /** @endcond */
};

/** Configuration for avps_virtio_scmi_init(). */
struct avps_virtio_scmi_cfg {
    struct avps_dev_common_cfg common; /**< dev_id, features_off (bit 0 hides P2A), lock. */
    struct avps_scmi *scmi;            /**< The platform; shared by several devices. */
    uint32_t agent;                    /**< The agent this device's driver is (1..). */
    struct avps_vq_slot *slots;        /**< In-flight records: 2 × queue_size_max (cmdq, then eventq). */
    uint32_t num_slots;                /**< Entries of slots. */
    struct avps_virtio_scmi_held *held; /**< Commands that may be deferred (≥ 1). */
    uint32_t num_held;                 /**< Entries of held. */
    uint16_t queue_size_max;           /**< Largest queue size offered (1..32768). */
};

/** The device object. Caller-allocated; members are private. */
struct avps_virtio_scmi {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_virtio_scmi is a struct avps_dev */
    struct avps_dev_queue queue[2];
    struct avps_scmi *scmi;
    uint32_t agent;
    struct avps_virtio_scmi_held *held;
    uint32_t num_held;
    struct avps_virtio_scmi_held scratch;
    uint8_t msg[AVPS_VIRTIO_SCMI_MSG_MAX];
    uint8_t rsp[AVPS_VIRTIO_SCMI_MSG_MAX];
    uint64_t commands;
    uint64_t events;
    uint64_t refused;
    /** @endcond */
};

/**
 * @brief Set up a virtio-scmi device for one agent of a platform.
 * @param[out] vs    Device object.
 * @param[in]  host  Guest address space; must outlive vs.
 * @param[in]  cfg   Copied; scmi, slots and held must outlive vs.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, agent out of range, queue size out of
 *                        range, too few slots, or no held entries.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time. Binds the agent in the platform (avps_scmi_agent_bind()).
 */
int avps_virtio_scmi_init(struct avps_virtio_scmi *vs, const struct avps_host *host,
                          const struct avps_virtio_scmi_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_virtio_scmi_dev(struct avps_virtio_scmi *vs);

/**
 * @brief Deliver what the platform finished: deferred replies on the cmdq,
 *        then queued P2A messages into posted eventq buffers. The platform's
 *        kick does this too; call it after driving the platform from elsewhere.
 * @retval >=0  Buffers used.
 * @retval AVPS_E_STATE  The device is not live (not DRIVER_OK, or broken).
 * @par Context
 * Any thread, serialised with the platform; takes the device lock if one was
 * configured. Must not be called from inside a platform operation.
 */
int avps_virtio_scmi_kick(struct avps_virtio_scmi *vs);

/** @brief Commands answered so far. */
uint64_t avps_virtio_scmi_commands(const struct avps_virtio_scmi *vs);
/** @brief P2A messages delivered on the eventq so far. */
uint64_t avps_virtio_scmi_events(const struct avps_virtio_scmi *vs);
/** @brief Buffers refused (malformed: no header, reply room under 8 bytes,
 *         readable eventq buffers). */
uint64_t avps_virtio_scmi_refused(const struct avps_virtio_scmi *vs);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_SCMI_H */

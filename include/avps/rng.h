/**
 * @file rng.h
 * @brief virtio-rng (entropy device, device ID 4, VIRTIO 1.2 §5.4).
 *
 * One request queue. The driver offers device-writable buffers; the device
 * fills them with bytes from the backend's entropy source.
 */
#ifndef AVPS_RNG_H
#define AVPS_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup rng virtio-rng
 * @{ */

#define AVPS_VIRTIO_ID_RNG 4u /**< VIRTIO device ID of the entropy device. */
#define AVPS_RNG_SEGS 16u     /**< Segments one request may span. */

/** The entropy source. */
struct avps_rng_backend {
    /**
     * Required. Fill up to @p len bytes at @p buf with entropy. Returns the
     * number of bytes written (1..len), or AVPS_E_AGAIN when no entropy is
     * available now (call avps_rng_resume() when there is), or AVPS_E_IO on
     * failure: the request completes with what was written so far, or, when
     * nothing was written yet, waits for avps_rng_resume() like AVPS_E_AGAIN
     * (the device must place at least one byte, §5.4.6.2).
     */
    int (*fill)(void *ctx, void *buf, uint32_t len);
    /** Passed to fill. */
    void *ctx;
};

/** Configuration for avps_rng_init(). */
struct avps_rng_cfg {
    struct avps_dev_common_cfg common;      /**< dev_id, features_off, lock, ... */
    const struct avps_rng_backend *backend; /**< Must outlive the device. */
    struct avps_vq_slot *slots;             /**< In-flight records for the queue. */
    uint32_t num_slots;                     /**< Entries in slots (≥ queue_size_max). */
    uint16_t queue_size_max;                /**< Largest queue size offered (1..32768). */
};

/** The device object. Caller-allocated; members are private. */
struct avps_rng {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_rng is a struct avps_dev */
    struct avps_dev_queue queue[1];
    const struct avps_rng_backend *backend;
    struct avps_vq_seg seg[AVPS_RNG_SEGS];
    struct avps_vq_req req;
    uint8_t parked;  /* req is popped and waits for entropy */
    uint64_t bytes;  /* entropy handed to the guest */
    uint64_t refused; /* requests completed with length 0 */
    /** @endcond */
};

/**
 * @brief Set up a virtio-rng device.
 * @param[out] rng   Device object.
 * @param[in]  host  Guest address space; must outlive rng.
 * @param[in]  cfg   Copied; backend and slots must outlive rng.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, no fill op, queue size out of range,
 *                        or too few slots.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_rng_init(struct avps_rng *rng, const struct avps_host *host,
                  const struct avps_rng_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_rng_dev(struct avps_rng *rng);

/**
 * @brief The backend has entropy again: finish the parked request and serve the
 *        queue.
 * @retval >=0  Requests completed.
 * @retval AVPS_E_STATE  The queue is not live (not DRIVER_OK, disabled or broken).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the backend,
 * the port's map and the transport.
 */
int avps_rng_resume(struct avps_rng *rng);

/** @brief Entropy bytes handed to the guest so far. */
uint64_t avps_rng_bytes(const struct avps_rng *rng);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_RNG_H */

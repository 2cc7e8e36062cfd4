/**
 * @file err.h
 * @brief The one error enum of libavps, grouped by who was at fault.
 *
 * Functions return int: zero or a positive count on success, a negative
 * enum avps_err value on failure. Wire status codes (virtio-blk status bytes,
 * SCMI status, ...) are a separate domain and never come back through this
 * enum.
 */
#ifndef AVPS_ERR_H
#define AVPS_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup err Errors
 * @{ */

/** Error codes. Ranges: -1..-15 the embedding program, -16..-31 the guest,
 *  -32..-47 the backend or port. */
enum avps_err {
    AVPS_OK = 0, /**< Success. */

    /* the embedding program misused the API */
    AVPS_E_INVAL = -1,  /**< A bad argument. */
    AVPS_E_STATE = -2,  /**< Not valid in the current state (disabled or broken queue). */
    AVPS_E_NOSPC = -3,  /**< A caller-supplied array is too small; nothing was consumed. */
    AVPS_E_VERSION = -4, /**< An ops table of an unsupported version. */

    /* the guest (or a vhost-user / Xen peer) broke the VIRTIO contract */
    AVPS_E_GUEST_RANGE = -16, /**< Address or length outside guest memory, wrapping, or misaligned. */
    AVPS_E_GUEST_DESC = -17,  /**< Malformed descriptor: bad index, flags or indirect table. */
    AVPS_E_GUEST_LOOP = -18,  /**< Chain longer than the queue permits (a loop). */
    AVPS_E_GUEST_REQ = -19,   /**< Malformed device request header. */
    AVPS_E_GUEST_INDEX = -20, /**< Ring index jump or in-flight count beyond the queue size. */
    AVPS_E_GUEST_STATE = -21, /**< Inconsistent saved or peer-supplied state. */

    /* the backend or port failed */
    AVPS_E_IO = -32,    /**< The backend or port failed the operation. */
    AVPS_E_AGAIN = -33  /**< Retry later; no state changed. */
};

/** True when @p err is one of the guest-fault codes. */
#define AVPS_ERR_IS_GUEST(err) ((err) <= -16 && (err) >= -31)

/**
 * @brief A constant, human-readable name for an error code.
 * @param[in] err  Any int; unknown values give "unknown error".
 * @return A static string; never NULL.
 * @par Context
 * Any thread, any context; calls nothing.
 */
const char *avps_strerror(int err);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_ERR_H */

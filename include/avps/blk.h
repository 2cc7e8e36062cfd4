/**
 * @file blk.h
 * @brief virtio-blk (block device, device ID 2, VIRTIO 1.2 §5.2).
 *
 * One or more request queues (VIRTIO_BLK_F_MQ). The device parses every
 * request as byte streams across any descriptor layout, checks it against
 * the configuration (capacity, segment and range limits, alignment, read-only)
 * and answers what it can itself (GET_ID, GET_LIFETIME, every refusal). Reads,
 * writes, flushes, discards, write-zeroes and secure erases go to the backend
 * asynchronously: the device hands it a request object (struct avps_blk_io)
 * from a caller-provided array, and the backend finishes it later with
 * avps_blk_complete(), in any order. When every request object of a queue is
 * with the backend, the device stops taking requests from that queue (nothing
 * is dropped) and goes on as soon as one completes.
 *
 * A device or queue reset forgets the requests still with the backend: their
 * late completions are recognised by a generation tag, ignored, and only free
 * the request object. After a reconnect (vhost-user inflight tracking) a
 * request that was in flight is simply taken again from the ring.
 *
 * ZONED is not offered: every zone request is answered VIRTIO_BLK_S_UNSUPP,
 * like every other type the device does not know (§5.2.6.2).
 */
#ifndef AVPS_BLK_H
#define AVPS_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "device.h"
#include "virtio/blk.h"
#include "virtio/features.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup blk virtio-blk
 * @{ */

#define AVPS_BLK_SECTOR_SIZE 512u /**< Protocol sector size (§5.2.6). */

/** Segments of a chain a request object holds: the data segments plus the
 *  header and the status byte. */
#define AVPS_BLK_CHAIN_SEGS (AVPS_CONFIG_BLK_SEGS + 2u)

/** The device-type feature bits this implementation can offer. */
#define AVPS_BLK_FEATURES                                                              \
    (AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SIZE_MAX) | AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SEG_MAX) | \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_GEOMETRY) | AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_RO) |  \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_BLK_SIZE) | AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_FLUSH) | \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_TOPOLOGY) |                                         \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_CONFIG_WCE) | AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_MQ) | \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_DISCARD) |                                          \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_WRITE_ZEROES) |                                     \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_LIFETIME) |                                         \
     AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SECURE_ERASE))

/** io flag: the write (OUT, DISCARD, WRITE_ZEROES, SECURE_ERASE) must be
 *  stable (on persistent storage) before the backend completes it: the driver
 *  negotiated no write cache, or set writeback to 0 (§5.2.6.2). */
#define AVPS_BLK_IO_STABLE 0x1u

/** One piece of a request's data in host memory. Same layout as POSIX
 *  struct iovec on the usual ABIs (a port may check that and cast). */
struct avps_blk_iov {
    void *base; /**< Host address (guest memory, mapped by the port). */
    size_t len; /**< Bytes; never 0. */
};

/** One decoded range of a discard, write-zeroes or secure-erase request. */
struct avps_blk_range {
    uint64_t sector;      /**< First sector; the range lies inside the capacity. */
    uint32_t num_sectors; /**< Sectors (1..the type's max_*_sectors). */
    uint32_t flags;       /**< AVPS_VIRTIO_BLK_WZ_UNMAP (write-zeroes only, and only
                               when write_zeroes_may_unmap is set); else 0. */
};

/** A request handed to the backend. Caller-allocated (in the array given to
 *  avps_blk_init()); the public members are filled by the device before
 *  submit and are read-only for the backend, except user. */
struct avps_blk_io {
    uint32_t type;     /**< AVPS_VIRTIO_BLK_T_IN, _OUT, _FLUSH, _DISCARD,
                            _WRITE_ZEROES or _SECURE_ERASE. */
    uint32_t flags;    /**< AVPS_BLK_IO_*. */
    uint64_t sector;   /**< IN, OUT: first sector (the range is inside the capacity). */
    uint64_t len;      /**< IN, OUT: data bytes (a multiple of 512); else 0. */
    uint16_t queue;    /**< Request queue the request came from. */
    uint16_t n_iov;    /**< IN, OUT: entries of iov. */
    uint16_t n_range;  /**< DISCARD, WRITE_ZEROES, SECURE_ERASE: entries of range. */
    struct avps_blk_iov iov[AVPS_BLK_CHAIN_SEGS];        /**< IN: where to read into; OUT: what to write. */
    struct avps_blk_range range[AVPS_CONFIG_BLK_RANGES]; /**< Decoded ranges. */
    void *user;        /**< Free for the backend (never touched by the device). */
    /** @cond PRIVATE */
    struct avps_vq_req req;
    struct avps_vq_seg seg[AVPS_BLK_CHAIN_SEGS];
    uint32_t gen;
    uint8_t state;
    uint8_t pad_[3];
    /** @endcond */
};

/** The backend: where the blocks are. */
struct avps_blk_backend {
    /**
     * Required. Start @p io. Return AVPS_OK when the backend took it: it then
     * calls avps_blk_complete() once, later, from any thread (from inside
     * submit only when the device has no lock_ctx or its lock is recursive).
     * Any negative value completes the request at once with
     * VIRTIO_BLK_S_IOERR (AVPS_E_INVAL: VIRTIO_BLK_S_UNSUPP).
     */
    int (*submit)(void *ctx, struct avps_blk_io *io);
    /** Passed to submit and forget. */
    void *ctx;
    /**
     * Optional. A device or queue reset made the device forget the requests
     * of @p queue that are still with the backend. Their completions will be
     * ignored, but the backend still owes one avps_blk_complete() for each (it
     * may give them from inside forget). A backend whose I/O writes guest
     * memory directly should cancel or wait for that I/O here: the port may
     * unmap guest memory after the reset.
     */
    void (*forget)(void *ctx, uint16_t queue);
};

/** Configuration for avps_blk_init(). Limits are checked at init against the
 *  build's AVPS_CONFIG_BLK_* sizes; fields of features not offered are ignored. */
struct avps_blk_cfg {
    struct avps_dev_common_cfg common;      /**< dev_id, features_off, lock, ... */
    const struct avps_blk_backend *backend; /**< Must outlive the device. */
    uint64_t features;      /**< AVPS_VIRTIO_BLK_F_* bits (as AVPS_VIRTIO_BIT()) to offer;
                                 a subset of AVPS_BLK_FEATURES. */
    uint64_t capacity;      /**< Size in 512-byte sectors. */
    uint32_t size_max;      /**< SIZE_MAX: largest data segment in bytes (≥ 512). */
    uint32_t seg_max;       /**< SEG_MAX: most data segments (1..AVPS_CONFIG_BLK_SEGS). */
    uint16_t cylinders;     /**< GEOMETRY. */
    uint8_t heads;          /**< GEOMETRY. */
    uint8_t sectors;        /**< GEOMETRY. */
    uint32_t blk_size;      /**< BLK_SIZE: a power of two ≥ 512. */
    uint8_t physical_block_exp; /**< TOPOLOGY. */
    uint8_t alignment_offset;   /**< TOPOLOGY. */
    uint16_t min_io_size;       /**< TOPOLOGY. */
    uint32_t opt_io_size;       /**< TOPOLOGY. */
    uint8_t writeback;      /**< Cache mode after reset (0 writethrough, 1 writeback). */
    uint32_t max_discard_sectors;      /**< DISCARD: ≥ 1. */
    uint32_t max_discard_seg;          /**< DISCARD: 1..AVPS_CONFIG_BLK_RANGES. */
    uint32_t discard_sector_alignment; /**< DISCARD: 0 or 1 = none. */
    uint32_t max_write_zeroes_sectors; /**< WRITE_ZEROES: ≥ 1. */
    uint32_t max_write_zeroes_seg;     /**< WRITE_ZEROES: 1..AVPS_CONFIG_BLK_RANGES. */
    uint8_t write_zeroes_may_unmap;    /**< WRITE_ZEROES: 0 or 1. */
    uint32_t max_secure_erase_sectors;      /**< SECURE_ERASE: ≥ 1. */
    uint32_t max_secure_erase_seg;          /**< SECURE_ERASE: 1..AVPS_CONFIG_BLK_RANGES. */
    uint32_t secure_erase_sector_alignment; /**< SECURE_ERASE: 0 or 1 = none. */
    char id[AVPS_VIRTIO_BLK_ID_BYTES];      /**< GET_ID string, NUL-padded (20 bytes: no NUL). */
    uint16_t num_queues;     /**< Request queues (1..AVPS_CONFIG_BLK_MAX_QUEUES; > 1 needs MQ). */
    uint16_t queue_size_max; /**< Largest queue size offered (1..32768). */
    struct avps_vq_slot *vq_slots; /**< num_queues × vq_slots_per_queue ring records. */
    uint32_t vq_slots_per_queue;   /**< ≥ queue_size_max. */
    struct avps_blk_io *ios;       /**< num_queues × ios_per_queue request objects. */
    uint32_t ios_per_queue;        /**< Requests per queue with the backend at once (≥ 1). */
};

/** Counters (read with avps_blk_stats()). */
struct avps_blk_stats {
    uint64_t reads;          /**< IN requests completed OK. */
    uint64_t writes;         /**< OUT requests completed OK. */
    uint64_t flushes;        /**< FLUSH requests completed OK. */
    uint64_t discards;       /**< DISCARD requests completed OK. */
    uint64_t write_zeroes;   /**< WRITE_ZEROES requests completed OK. */
    uint64_t secure_erases;  /**< SECURE_ERASE requests completed OK. */
    uint64_t get_ids;        /**< GET_ID requests completed OK. */
    uint64_t get_lifetimes;  /**< GET_LIFETIME requests completed OK. */
    uint64_t bytes_read;     /**< Data bytes of OK reads. */
    uint64_t bytes_written;  /**< Data bytes of OK writes. */
    uint64_t ioerr;          /**< Requests completed with VIRTIO_BLK_S_IOERR. */
    uint64_t unsupp;         /**< Requests completed with VIRTIO_BLK_S_UNSUPP. */
    uint64_t dropped;        /**< Chains returned with length 0 (no status byte possible). */
    uint64_t stalls;         /**< Times a queue stopped because all its requests were busy. */
    uint64_t orphaned;       /**< Requests forgotten by a device or queue reset. */
    uint64_t late;           /**< Completions of forgotten requests (ignored). */
};

/** The device object. Caller-allocated; members are private. */
struct avps_blk {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_blk is a struct avps_dev */
    struct avps_dev_queue queue[AVPS_CONFIG_BLK_MAX_QUEUES];
    uint32_t gen[AVPS_CONFIG_BLK_MAX_QUEUES];
    uint8_t stalled[AVPS_CONFIG_BLK_MAX_QUEUES];
    const struct avps_blk_backend *backend;
    struct avps_blk_io *ios;
    uint32_t ios_per_queue;
    uint32_t serving;
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint32_t blk_size;
    uint32_t opt_io_size;
    uint16_t cylinders;
    uint16_t min_io_size;
    uint16_t num_queues;
    uint8_t heads;
    uint8_t sectors;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint8_t writeback;
    uint8_t writeback_reset;
    uint8_t wz_may_unmap;
    uint32_t max_sectors[3];
    uint32_t max_seg[3];
    uint32_t align[3];
    uint16_t lifetime[3];
    char id[AVPS_VIRTIO_BLK_ID_BYTES];
    struct avps_blk_stats stats;
    /** @endcond */
};

/**
 * @brief Set up a virtio-blk device.
 * @param[out] blk   Device object.
 * @param[in]  host  Guest address space; must outlive blk.
 * @param[in]  cfg   Copied; backend, vq_slots and ios must outlive blk.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument or submit op; a feature outside
 *                        AVPS_BLK_FEATURES; CONFIG_WCE without FLUSH (§5.2.5.2);
 *                        more than one queue without MQ; a limit out of range;
 *                        too few slots or request objects.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_blk_init(struct avps_blk *blk, const struct avps_host *host,
                  const struct avps_blk_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_blk_dev(struct avps_blk *blk);

/**
 * @brief The backend finished a request it took in submit.
 *
 * Writes the status byte, returns the buffer to the driver (used length: the
 * data bytes of a successful read plus the status byte; 1 otherwise), frees
 * the request object and, if its queue had stopped for want of request
 * objects, takes more requests from it. Requests complete in any order.
 * @param[in,out] blk     Device.
 * @param[in,out] io      A request object the device gave to submit.
 * @param[in]     status  AVPS_VIRTIO_BLK_S_OK, _IOERR or _UNSUPP (any other
 *                        value completes with IOERR and returns AVPS_E_INVAL).
 * @retval AVPS_OK       Completed.
 * @retval AVPS_E_STATE  The request's queue (or the device) was reset since it
 *                       was submitted, or the queue is broken or disabled: the
 *                       completion was dropped and the request object freed.
 * @retval AVPS_E_INVAL  io is not a request object of blk, or not with the
 *                       backend (a completion twice); or an unknown status.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port's
 * map, dirty, inject (through the transport), and the backend's submit.
 */
int avps_blk_complete(struct avps_blk *blk, struct avps_blk_io *io, uint8_t status);

/**
 * @brief Change the capacity (for example after the image grew) and send a
 *        configuration-change notification (§5.2.6.2).
 * @retval AVPS_OK  Changed.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the transport.
 */
int avps_blk_set_capacity(struct avps_blk *blk, uint64_t sectors);

/**
 * @brief Set the lifetime record GET_LIFETIME returns.
 * @param[in,out] blk      Device.
 * @param[in]     pre_eol  AVPS_VIRTIO_BLK_PRE_EOL_INFO_* (0..3).
 * @param[in]     est_a    SLC wear, 0..11.
 * @param[in]     est_b    MLC wear, 0..11.
 * @retval AVPS_OK       Set.
 * @retval AVPS_E_INVAL  A reserved value (§5.2.6.2: never sent).
 * @par Context
 * Any thread; takes the device lock if one was configured.
 */
int avps_blk_set_lifetime(struct avps_blk *blk, uint16_t pre_eol, uint16_t est_a,
                          uint16_t est_b);

/** @brief The cache mode now in force: 1 writeback, 0 writethrough. */
uint8_t avps_blk_writeback(const struct avps_blk *blk);

/** @brief Counters; valid as long as blk. */
const struct avps_blk_stats *avps_blk_stats(const struct avps_blk *blk);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_BLK_H */

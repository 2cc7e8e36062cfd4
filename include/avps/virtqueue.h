/**
 * @file virtqueue.h
 * @brief Device-side virtqueue engines: split (VIRTIO 1.2 §2.7) and packed
 *        (§2.8) layouts behind one API.
 *
 * A device owns one struct avps_vq per queue. The transport binds it once with
 * avps_vq_init(), enables it with the driver's ring addresses when the driver
 * sets the queue ready, and resets it on device or queue reset. The device
 * then takes requests with avps_vq_pop(), returns them with avps_vq_push()
 * and raises the used-buffer notification with avps_vq_notify().
 *
 * Everything read from guest memory is hostile. A malformed chain whose head
 * is known is returned to the driver with used length 0 (AVPS_EV_CHAIN_DROPPED)
 * and the queue goes on; a fault that leaves no safe way to go on (an index
 * jump, a head or buffer id out of range or already in flight, a ring that does
 * not translate) puts the queue in the sticky broken state: the owner's broken
 * hook runs once (the device core sets DEVICE_NEEDS_RESET there) and every
 * later call returns AVPS_E_STATE until avps_vq_reset(). No malformed chain is
 * ever parsed twice.
 */
#ifndef AVPS_VIRTQUEUE_H
#define AVPS_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup vq Virtqueue engines
 * @{ */

struct avps_vq;

/** One contiguous piece of a request, in host memory. */
struct avps_vq_seg {
    void *base;   /**< Host pointer to the bytes. */
    uint64_t gpa; /**< Guest address of base (for dirty logging and reports). */
    uint32_t len; /**< Bytes; never 0. */
};

/** A request taken from a queue. The caller sets seg and seg_max once; pop
 *  fills the rest. Device-readable segments come first: seg[0 .. n_rd), then
 *  the device-writable ones: seg[n_rd .. n_rd + n_wr). */
struct avps_vq_req {
    struct avps_vq_seg *seg; /**< In: caller's segment array. */
    uint16_t seg_max;        /**< In: entries in seg. */
    uint16_t id;             /**< Out: head index (split) or buffer id (packed). */
    uint16_t n_rd;           /**< Out: device-readable segments. */
    uint16_t n_wr;           /**< Out: device-writable segments. */
    uint32_t rd_len;         /**< Out: device-readable bytes. */
    uint32_t wr_len;         /**< Out: device-writable bytes. */
};

/** One completion for avps_vq_push_n(). */
struct avps_vq_used {
    uint16_t id;  /**< The id avps_vq_pop() gave. */
    uint32_t len; /**< Bytes written into the writable part (≤ its wr_len). */
};

/** Per-buffer in-flight record, indexed by id. Caller-owned storage for the
 *  engine; the members are private. */
struct avps_vq_slot {
    uint32_t wr_len; /**< private: writable bytes of the in-flight buffer. */
    uint16_t ndesc;  /**< private: ring entries it occupies; 0 = not in flight. */
    uint16_t seq;    /**< private: pop order, for IN_ORDER completion checks. */
};

/** Counters, readable with avps_vq_stats(). */
struct avps_vq_stats {
    uint64_t popped;     /**< Chains handed to the device. */
    uint64_t pushed;     /**< Buffers returned to the driver. */
    uint64_t dropped;    /**< Malformed chains returned with length 0. */
    uint64_t notified;   /**< Used-buffer notifications raised. */
    uint64_t suppressed; /**< Notifications the driver's suppression saved. */
    uint64_t guest_errors; /**< Guest faults seen (dropped chains + fatal faults). */
};

/** Called to raise this queue's used-buffer notification; when NULL the
 *  engine calls the port's inject with the configured vector. */
typedef int avps_vq_irq_fn(void *owner, struct avps_vq *vq);
/** Called once when the queue enters the broken state, with the guest error
 *  that caused it. The device core sets DEVICE_NEEDS_RESET and raises the
 *  configuration-change notification here. */
typedef void avps_vq_broken_fn(void *owner, struct avps_vq *vq, int err);

/** Static binding of a queue, given once to avps_vq_init(). */
struct avps_vq_cfg {
    struct avps_vq_slot *slots; /**< In-flight records, one per possible id. */
    uint32_t num_slots;         /**< Entries in slots; bounds the queue size. */
    uint16_t index;             /**< Queue index within its device. */
    uint32_t dev_id;            /**< Device id used in reports. */
    uint32_t vector;            /**< Vector for the port's inject when irq is NULL. */
    avps_vq_irq_fn *irq;        /**< Optional notification hook. */
    avps_vq_broken_fn *broken;  /**< Optional broken-state hook. */
    void *owner;                /**< Passed to the hooks. */
    /** With VIRTIO_F_IN_ORDER, still write one used entry per buffer. By
     *  default (false) a run of completely used buffers becomes one used entry
     *  for its last buffer, as §2.7.9/§2.8.8 allow; some drivers (DPDK's
     *  virtio receive paths) read an entry for every buffer instead. */
    bool used_each;
};

/** What the driver programmed when it made the queue ready. */
struct avps_vq_ring {
    uint64_t desc;     /**< Descriptor Area address. */
    uint64_t driver;   /**< Driver Area: available ring, or driver event suppression. */
    uint64_t device;   /**< Device Area: used ring, or device event suppression. */
    uint16_t size;     /**< Queue size (split: a power of two). 32768 is passed as 32768. */
    uint64_t features; /**< Negotiated feature bits (AVPS_VIRTIO_F_*). */
};

/** Saved state of a queue: plain data, for suspend, snapshot and reconnect.
 *  The in-flight set is the slot array itself, which the caller owns. */
struct avps_vq_state {
    uint16_t last_avail; /**< Split: free-running available index consumed.
                              Packed: next descriptor position to read. */
    uint16_t used_idx;   /**< Split: free-running used index.
                              Packed: next descriptor position to write. */
    uint8_t avail_wrap;  /**< Packed: driver ring wrap counter expected next. */
    uint8_t used_wrap;   /**< Packed: device ring wrap counter. */
    uint16_t inflight;   /**< Buffers popped and not yet pushed. */
    uint16_t first_seq;  /**< Order number of the oldest in-flight buffer (slots' seq). */
};

/** A ring descriptor as the driver wrote it (packed layout), for journals. */
struct avps_vq_desc {
    uint64_t addr;  /**< Buffer (or indirect table) address. */
    uint32_t len;   /**< Its length. */
    uint16_t id;    /**< Buffer id field. */
    uint16_t flags; /**< AVPS_VRING_DESC_F_* and the packed AVAIL/USED bits. */
};

/**
 * Optional journal of the buffers in flight, kept outside the ring so a
 * restarted device can take them again (vhost-user's inflight region, a
 * partition restart journal). The engine calls it with the queue's calls
 * serialised, from avps_vq_pop(), avps_vq_skip() and the push functions. All
 * members are required when a journal is attached.
 */
struct avps_vq_journal {
    /** Packed layout: descriptor i (0, 1, ...) of the chain being taken, as
     *  read from the ring (a copy). Then taken() or abort() follows. */
    void (*desc)(void *ctx, uint16_t i, const struct avps_vq_desc *d);
    /** The chain with this id (split: head index; packed: buffer id, ndesc
     *  ring entries) is in flight now. */
    void (*taken)(void *ctx, uint16_t id, uint16_t ndesc);
    /** The chain being taken is not in flight after all (left in the ring,
     *  or malformed and returned at once): forget the desc() calls since the
     *  last taken(). */
    void (*abort)(void *ctx);
    /** These buffers' used entries are written; the used index (split) or
     *  the first used flags (packed) are not yet. used_idx and used_wrap give
     *  the device's used position once they are (as for used_end). Also
     *  called for malformed chains returned with length 0, which were never
     *  taken(). */
    void (*used_begin)(void *ctx, const struct avps_vq_used *used, size_t n, uint16_t used_idx,
                       uint8_t used_wrap);
    /** ...and are now visible to the driver; the device's used position is
     *  now used_idx (split: free-running index; packed: ring position) with
     *  wrap counter used_wrap (packed). */
    void (*used_end)(void *ctx, const struct avps_vq_used *used, size_t n, uint16_t used_idx,
                     uint8_t used_wrap);
    /** Packed layout, resubmission: descriptor i of the in-flight buffer id as
     *  the journal recorded it. Returns 1 when d was filled, 0 when the buffer
     *  has no descriptor i. The answer is checked like ring data. */
    int (*fetch)(void *ctx, uint16_t id, uint16_t i, struct avps_vq_desc *d);
};

/** The queue object. Caller-allocated; all members are private. */
struct avps_vq {
    /** @cond PRIVATE */
    const struct avps_host *host;
    struct avps_vq_slot *slots;
    uint32_t num_slots;
    avps_vq_irq_fn *irq;
    avps_vq_broken_fn *broken_fn;
    void *owner;
    uint32_t dev_id;
    uint32_t vector;
    uint16_t index;
    uint16_t size;
    uint8_t enabled;
    uint8_t broken;
    uint8_t packed;
    uint8_t event_idx;
    uint8_t indirect;
    uint8_t in_order;
    uint8_t notif_data;
    uint8_t kick_off;
    uint8_t fold_runs;     /* IN_ORDER: one used entry per run of whole buffers (cfg) */
    uint8_t caps;          /* optional port ops present (AVPS_VQ_CAP_*, lib/virtqueue) */
    uint8_t event_armed;   /* EVENT_IDX: our avail_event (split) or device event (packed) holds event_value */
    uint16_t event_value;
    unsigned int access; /* extra map access bits (AVPS_ACCESS_IOVA) */
    uint64_t win_addr;   /* translation window (port window op): guest range ... */
    uint64_t win_len;    /* ... 0 = none */
    uint8_t *win_hva;    /* ... and its host address */
    unsigned int win_access; /* access bits the window was granted for */
    void *ring_hva[3];   /* desc, driver, device areas */
    uint64_t ring_span[3];
    uint64_t ring_gpa[3];
    uint16_t last_avail;   /* split: free-running; packed: position */
    uint16_t shadow_avail; /* split: last avail->idx read */
    uint16_t used_idx;     /* split: free-running; packed: position */
    uint8_t avail_wrap;
    uint8_t used_wrap;
    uint16_t inflight;
    uint16_t inflight_desc; /* packed: ring entries held by in-flight buffers */
    uint32_t unsignalled;   /* entries pushed since the last notification decision */
    uint16_t pop_seq;       /* order number of the next chain taken */
    uint16_t done_seq;      /* IN_ORDER: order number expected next at push */
    const struct avps_vq_journal *jr; /* optional in-flight journal */
    void *jr_ctx;
    const struct avps_vq_resub *resub; /* to take again before the ring, in order */
    uint32_t resub_n;
    uint32_t resub_pos;
    struct avps_vq_stats stats;
    /** @endcond */
};

/**
 * @brief Bind a queue to a guest and its owner. The queue starts disabled.
 * @param[out] vq    Queue object; fully initialised.
 * @param[in]  host  Guest address space; must outlive vq.
 * @param[in]  cfg   Copied; cfg->slots must outlive vq.
 * @retval AVPS_OK        Bound.
 * @retval AVPS_E_INVAL   vq, host, cfg or cfg->slots is NULL, num_slots is 0,
 *                        or the host's ops table is incomplete.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time, any thread; calls nothing.
 */
int avps_vq_init(struct avps_vq *vq, const struct avps_host *host,
                 const struct avps_vq_cfg *cfg);

/**
 * @brief Enable the queue with the ring the driver programmed.
 *
 * Checks the size and the alignment of the three areas and translates each
 * area once (each must be contiguous in host memory). The queue starts at
 * index 0 with wrap counters 1, with no buffer in flight.
 * @param[in,out] vq    Queue bound by avps_vq_init().
 * @param[in]     ring  Addresses, size and negotiated features.
 * @retval AVPS_OK            Enabled.
 * @retval AVPS_E_INVAL       Size 0, above AVPS_CONFIG_VQ_MAX_SIZE or the slot
 *                            count, or a ring layout or feature this build leaves out.
 * @retval AVPS_E_STATE       Already enabled or broken (reset it first).
 * @retval AVPS_E_GUEST_RANGE A split size that is not a power of two, a
 *                            misaligned area, or an area that does not translate
 *                            whole; the queue is now broken.
 * @par Context
 * The transport's register path. Calls the port's map (and report, broken hook).
 */
int avps_vq_enable(struct avps_vq *vq, const struct avps_vq_ring *ring);

/**
 * @brief Disable the queue and forget all ring state (device reset, or
 *        VIRTIO_F_RING_RESET queue reset). Clears the broken state.
 * @param[in,out] vq  Queue; may be enabled, disabled or broken.
 * @par Context
 * The transport's register path. Calls the port's unmap for the ring areas.
 */
void avps_vq_reset(struct avps_vq *vq);

/**
 * @brief Take the next available request.
 *
 * Malformed chains met on the way are returned to the driver with length 0
 * and skipped (each counted, reported once); the call then goes on to the next
 * chain, so a return of 0 means the ring is empty.
 * @param[in,out] vq   Enabled queue.
 * @param[in,out] req  seg and seg_max set by the caller; the rest is filled on
 *                     success. The segments stay valid until the request is
 *                     pushed; with a port that has unmap, they stay mapped until then too
 *                     (release them with avps_vq_req_unmap()).
 * @retval 1                   A request was taken.
 * @retval 0                   Nothing available (or the call stopped after returning
 *                             a queue's worth of malformed chains; call again). With
 *                             EVENT_IDX and notifications enabled, an empty ring also
 *                             re-arms avail_event, so the driver notifies again.
 * @retval AVPS_E_NOSPC        The chain needs more than seg_max segments; it is
 *                             left in the ring (req->id names it). Call again with
 *                             a larger array, or avps_vq_skip() to return it.
 * @retval AVPS_E_STATE        The queue is not enabled, or is broken.
 * @retval AVPS_E_GUEST_INDEX  The driver's index or head is out of range or in
 *                             flight already; the queue is now broken.
 * @retval AVPS_E_GUEST_DESC   A packed chain runs into a descriptor that is not
 *                             available; the queue is now broken.
 * @retval AVPS_E_GUEST_LOOP   A packed chain longer than the queue; broken.
 * @retval AVPS_E_GUEST_RANGE  A ring area stopped translating; broken.
 * @par Context
 * Any thread, provided calls for one queue are serialised. Calls the port's
 * map, report and (for dropped chains) nothing else.
 */
int avps_vq_pop(struct avps_vq *vq, struct avps_vq_req *req);

/**
 * @brief Take up to n available chains in one call.
 *
 * Each reqs[i] is filled as avps_vq_pop() fills one request (its seg and
 * seg_max are inputs), in ring order, with the same checks; the ring state
 * stays in registers across chains, so a batch costs less than n pops.
 * Resubmitted buffers (avps_vq_resubmit()) come first, as with avps_vq_pop().
 * @param[in,out] vq    Enabled queue.
 * @param[in,out] reqs  n requests.
 * @param[in]     n     Most chains to take (at most the queue size are).
 * @return The number of chains taken (reqs[0..k) filled), 0 when none is
 *         available. When none was taken, the code avps_vq_pop() would
 *         return: AVPS_E_NOSPC (the next chain needs more than reqs[0].seg_max
 *         segments; it stays in the ring), AVPS_E_STATE or a fatal
 *         AVPS_E_GUEST_* code. A chain that does not fit after k > 0 chains
 *         ends the batch at k and the next call returns AVPS_E_NOSPC; a fatal
 *         guest fault after k > 0 ends it too (reported, the queue is broken:
 *         the next call returns AVPS_E_STATE).
 * @par Context
 * As avps_vq_pop().
 */
int avps_vq_pop_n(struct avps_vq *vq, struct avps_vq_req *reqs, size_t n);

/**
 * @brief Take the next available chain without mapping its buffers.
 *
 * For a chain the device cannot take (for example after AVPS_E_NOSPC): the
 * chain is checked and taken like avps_vq_pop() does, but no segment is filled;
 * the caller then pushes *id (normally with length 0), in order when
 * VIRTIO_F_IN_ORDER was negotiated.
 * @param[in,out] vq  Enabled queue.
 * @param[out]    id  The chain's id, to push.
 * @retval 1  A chain was taken.  @retval 0  Nothing available.
 * @retval AVPS_E_STATE, AVPS_E_GUEST_*  As for avps_vq_pop().
 * @par Context
 * As avps_vq_pop().
 */
int avps_vq_skip(struct avps_vq *vq, uint16_t *id);

/**
 * @brief Release the host mappings of a popped request's segments (ports with
 *        an unmap op, such as Xen grant mappings). Does nothing otherwise.
 * @par Context
 * Any thread that owns the request; calls the port's unmap.
 */
void avps_vq_req_unmap(struct avps_vq *vq, struct avps_vq_req *req);

/**
 * @brief Return one buffer to the driver.
 * @param[in,out] vq   Enabled queue.
 * @param[in]     id   An id avps_vq_pop() gave and not yet pushed.
 * @param[in]     len  Bytes written into its writable part (≤ its wr_len).
 * @retval AVPS_OK       Written to the used ring (notify later with avps_vq_notify()).
 * @retval AVPS_E_INVAL  id is not in flight, or len exceeds its writable bytes.
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @par Context
 * As avps_vq_pop(). Calls the port's dirty and cache ops if present.
 */
int avps_vq_push(struct avps_vq *vq, uint16_t id, uint32_t len);

/**
 * @brief Return a batch of buffers with one index (or flags) update.
 *
 * With VIRTIO_F_IN_ORDER the entries must come in the order they were popped,
 * and every run of buffers whose len equals their writable size (“used
 * completely”, §2.7.9) is written as a single used entry for its last buffer.
 * @param[in,out] vq    Enabled queue.
 * @param[in]     used  n completions.
 * @param[in]     n     Count; 0 does nothing.
 * @retval AVPS_OK       All written.
 * @retval AVPS_E_INVAL  An entry is not in flight, repeats, exceeds its size, or
 *                       (IN_ORDER) comes out of order; nothing was written.
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @par Context
 * As avps_vq_push().
 */
int avps_vq_push_n(struct avps_vq *vq, const struct avps_vq_used *used, size_t n);

/**
 * @brief Raise the used-buffer notification if buffers were pushed since the
 *        last call and the driver's suppression (flags or EVENT_IDX) asks for it.
 * @retval 1   Notification raised.  @retval 0  Not needed.
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @retval <0  The irq hook's or the port's inject error.
 * @par Context
 * As avps_vq_pop(); calls the irq hook or the port's inject.
 */
int avps_vq_notify(struct avps_vq *vq);

/**
 * @brief Ask the driver not to send available-buffer notifications.
 * @retval AVPS_OK  Done (a hint: the driver may still notify).
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @par Context
 * As avps_vq_pop().
 */
int avps_vq_kick_disable(struct avps_vq *vq);

/**
 * @brief Ask the driver for available-buffer notifications again, then check
 *        for buffers that arrived meanwhile.
 * @retval 1  Buffers are available: pop them (no notification will come for them).
 * @retval 0  Empty; the driver will notify.
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @par Context
 * As avps_vq_pop().
 */
int avps_vq_kick_enable(struct avps_vq *vq);

/**
 * @brief Check a driver notification value (VIRTIO_F_NOTIFICATION_DATA,
 *        §2.9): queue index, and the ring position the driver says comes next.
 *
 * The value is a hint; the ring itself stays authoritative. A value that names
 * another queue or a position the ring cannot have is reported and refused.
 * @param[in] vq     Enabled queue.
 * @param[in] value  The 32-bit notification value.
 * @retval 1  The value says buffers are pending.  @retval 0  It says none are.
 * @retval AVPS_E_GUEST_INDEX  Wrong queue index or impossible position (not fatal).
 * @retval AVPS_E_INVAL  NOTIFICATION_DATA was not negotiated.
 * @retval AVPS_E_STATE  The queue is not enabled, or is broken.
 * @par Context
 * The transport's notification path; calls report only.
 */
int avps_vq_notify_data(struct avps_vq *vq, uint32_t value);

/**
 * @brief Save the queue's indices and wrap counters.
 * @retval AVPS_OK  Saved.  @retval AVPS_E_STATE  The queue is not enabled.
 * @par Context
 * With the queue quiesced.
 */
int avps_vq_save(const struct avps_vq *vq, struct avps_vq_state *st);

/**
 * @brief Restore saved indices into an enabled queue (after avps_vq_enable()
 *        with the same ring). The slot array must hold the saved in-flight set.
 *
 * Everything is checked as guest data: the in-flight count must match the
 * slots, every slot's entry count must fit the ring, and positions and wrap
 * counters must be in range.
 * @retval AVPS_OK             Restored.
 * @retval AVPS_E_STATE        The queue is not enabled.
 * @retval AVPS_E_GUEST_STATE  The state is inconsistent; the queue is unchanged.
 * @par Context
 * With the queue quiesced.
 */
int avps_vq_restore(struct avps_vq *vq, const struct avps_vq_state *st);

/**
 * @brief Attach (or with NULL detach) a journal of the buffers in flight.
 *
 * From now on every chain taken and every buffer returned is told to the
 * journal, so that after a restart the buffers still in flight can be taken
 * again with avps_vq_resubmit() (vhost-user INFLIGHT_SHMFD).
 * @param[in,out] vq   Queue bound by avps_vq_init().
 * @param[in]     jr   Journal ops (every member set), or NULL; must outlive vq.
 * @param[in]     ctx  Passed to jr.
 * @retval AVPS_OK       Attached.
 * @retval AVPS_E_INVAL  jr lacks a member.
 * @par Context
 * With the queue quiesced. Survives avps_vq_reset() and avps_vq_enable().
 */
int avps_vq_set_journal(struct avps_vq *vq, const struct avps_vq_journal *jr, void *ctx);

/** One buffer to take again after a restart (avps_vq_resubmit()). */
struct avps_vq_resub {
    uint16_t id;    /**< Buffer id (split: head index). */
    uint16_t ndesc; /**< Packed: ring entries it occupies (its descriptors in the
                         journal); split: 1. */
};

/**
 * @brief Hand out these buffers again before any new one: after a restart,
 *        the buffers a journal says were in flight.
 *
 * Call on an enabled queue restored at the device's used position with no
 * buffer in flight (avps_vq_restore() with last_avail equal to used_idx). The
 * queue's next available position moves past the listed buffers (split: n
 * entries; packed: the sum of their ndesc), and avps_vq_pop() then takes each
 * in the given order before looking at the ring: split buffers are read from
 * the descriptor table starting at their head, packed buffers through the
 * journal's fetch(). Each is checked like a new chain: a malformed one (for
 * packed, also one whose journal gives fewer than ndesc descriptors) is
 * returned with length 0; an id out of range or already in flight is
 * reported and passed over.
 * @param[in,out] vq    Enabled queue.
 * @param[in]     list  The buffers, oldest first; must stay valid until they
 *                      are all taken (or the queue is reset).
 * @param[in]     n     Count.
 * @retval AVPS_OK             Queued for resubmission.
 * @retval AVPS_E_INVAL        Packed without a journal (avps_vq_set_journal()).
 * @retval AVPS_E_STATE        The queue is not enabled, is broken, has buffers in
 *                             flight or is not at its used position.
 * @retval AVPS_E_GUEST_STATE  The list does not fit the ring (more buffers or,
 *                             packed, more entries than the queue size; an ndesc
 *                             of 0; split, an ndesc other than 1); nothing changed.
 * @par Context
 * With the queue quiesced, before the device serves it.
 */
int avps_vq_resubmit(struct avps_vq *vq, const struct avps_vq_resub *list, uint32_t n);

/**
 * @brief Copy bytes out of a request's device-readable part, as one stream
 *        across its segments.
 * @param[in]  req  A popped request.
 * @param[in]  off  Offset into the readable stream.
 * @param[out] buf  Destination.
 * @param[in]  len  Bytes wanted.
 * @return Bytes copied: less than len when the readable part ends first.
 * @par Context
 * Any thread that owns the request; calls nothing.
 */
uint32_t avps_vq_req_read(const struct avps_vq_req *req, uint32_t off, void *buf,
                          uint32_t len);

/**
 * @brief Copy bytes into a request's device-writable part, as one stream
 *        across its segments, logging the written guest pages as dirty.
 * @param[in] vq   The queue the request came from.
 * @param[in] req  A popped request.
 * @param[in] off  Offset into the writable stream.
 * @param[in] buf  Source.
 * @param[in] len  Bytes to write.
 * @return Bytes copied: less than len when the writable part ends first.
 * @par Context
 * Any thread that owns the request; calls the port's dirty and cache ops.
 */
uint32_t avps_vq_req_write(struct avps_vq *vq, const struct avps_vq_req *req,
                           uint32_t off, const void *buf, uint32_t len);

/** @brief True when the queue is enabled and not broken. */
bool avps_vq_ready(const struct avps_vq *vq);
/** @brief True when the queue is in the broken (NEEDS_RESET) state. */
bool avps_vq_is_broken(const struct avps_vq *vq);
/** @brief The queue's counters; valid as long as vq. */
const struct avps_vq_stats *avps_vq_stats(const struct avps_vq *vq);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTQUEUE_H */

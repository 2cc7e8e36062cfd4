/**
 * @file port.h
 * @brief The port contract: how libavps reaches one guest's memory and
 *        interrupts. One const ops table plus a context, held per guest.
 *
 * A hypervisor writes one port: a table of functions that translate guest
 * addresses to host pointers and raise guest interrupts. libavps calls the
 * port through a struct avps_host, one per guest address space, so a single
 * process can serve several guests, and tests can swap in a fake port.
 *
 * The table is versioned: members are only ever appended, optional members
 * are NULL when absent, and AVPS_PORT_OPS_VERSION grows with each addition.
 */
#ifndef AVPS_PORT_H
#define AVPS_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup port Port contract
 * @{ */

/** Version of struct avps_port_ops this header describes. Version 2 added
 *  window; the library also accepts version 1 tables (without it). */
#define AVPS_PORT_OPS_VERSION 2u

/** Access bits passed to avps_port_ops::map. */
#define AVPS_ACCESS_READ 0x1u  /**< The library will read the range. */
#define AVPS_ACCESS_WRITE 0x2u /**< The library will write the range. */
/** The address is an I/O virtual address (VIRTIO_F_ACCESS_PLATFORM was
 *  negotiated): translate it through the platform IOMMU, not as a GPA. */
#define AVPS_ACCESS_IOVA 0x4u

/** Structured diagnostic events passed to avps_port_ops::report. For queue
 *  events, @c a is (queue index << 16) | head or buffer id, and @c b a detail
 *  value named in each line. */
enum avps_event {
    AVPS_EV_NONE = 0,
    AVPS_EV_GUEST_RANGE,    /**< A buffer or ring address did not translate; b = gpa. */
    AVPS_EV_GUEST_DESC,     /**< A malformed descriptor; b = offending value. */
    AVPS_EV_GUEST_LOOP,     /**< A chain longer than the queue size; b = descriptors seen. */
    AVPS_EV_GUEST_INDEX,    /**< An index jump, bad head or id, or in-flight overflow; b = value. */
    AVPS_EV_CHAIN_DROPPED,  /**< A malformed chain was returned with used length 0; b = error. */
    AVPS_EV_QUEUE_BROKEN,   /**< The queue entered the broken state (NEEDS_RESET); b = error. */
    AVPS_EV_PORT_BAD_MAP,   /**< The port's map answered with a NULL pointer or a bad span; b = gpa. */
    AVPS_EV_NOTIFY_DATA,    /**< A notification-data value did not match the queue; b = value. */
    AVPS_EV_DEV_STATUS,     /**< A device status write was refused; a = old status, b = value. */
    AVPS_EV_DEV_FEATURES,   /**< A feature write or FEATURES_OK was refused; b = features. */
    AVPS_EV_DEV_QUEUE,      /**< A queue register write was refused; a = queue, b = value. */
    AVPS_EV_DEV_CONFIG,     /**< A configuration-space write was refused; a = offset, b = length. */
    AVPS_EV_DEV_NEEDS_RESET,/**< The device entered DEVICE_NEEDS_RESET; b = error. */
    AVPS_EV_DEV_REGISTER,   /**< A transport register access was refused; a = offset, b = size. */
    AVPS_EV_DEV_REQUEST,    /**< A device request was malformed; a = queue << 16 | id, b = detail. */
    AVPS_EV_COUNT           /**< Number of events; not an event. */
};

/**
 * The port's operations. Required members must be non-NULL; optional ones may
 * be NULL. Every function receives the ctx of the struct avps_host it was
 * reached through.
 */
struct avps_port_ops {
    /** AVPS_PORT_OPS_VERSION (or an older version: members added after it
     *  are then not read). */
    uint32_t version;

    /**
     * Required. Translate [addr, addr + len) for @p access (AVPS_ACCESS_*).
     * On success return 0 and set *hva and *span, the number of contiguous
     * host bytes available from *hva (1..len). A span shorter than len marks a
     * region boundary; the library then asks again for the rest. Any non-zero
     * return means "not mapped". The library distrusts the answer: a NULL
     * pointer, a zero span or a span longer than len is treated as a refusal.
     */
    int (*map)(void *ctx, uint64_t addr, uint64_t len, unsigned int access,
               void **hva, uint64_t *span);

    /** Optional. Release a mapping made by map (Xen foreign or grant
     *  mappings); called with the hva and span map returned. */
    void (*unmap)(void *ctx, void *hva, uint64_t span);

    /** Required. Raise the guest interrupt for @p vector (an MSI-X vector, or
     *  0 for a wired or MMIO line). Returns 0 or a negative avps_err. */
    int (*inject)(void *ctx, uint32_t vector);

    /** Optional, both or neither. Taken around the public entry points of
     *  objects that were given a non-NULL lock context. */
    void (*lock)(void *lock_ctx);
    /** See lock. */
    void (*unlock)(void *lock_ctx);

    /** Optional. Structured diagnostics; the port decides whether to print,
     *  count or rate-limit. May be called with the object's lock held (the
     *  lock_ctx taken through lock): it must not take that lock. */
    void (*report)(void *ctx, enum avps_event ev, uint32_t dev_id, uint64_t a,
                   uint64_t b);

    /** Optional. Clean (write back) host caches for [hva, hva + len) after
     *  the library wrote shared memory that a non-coherent guest reads. */
    void (*cache_clean)(void *ctx, const void *hva, uint64_t len);

    /** Optional. Invalidate host caches for [hva, hva + len) before the
     *  library reads shared memory a non-coherent guest wrote. */
    void (*cache_invalidate)(void *ctx, const void *hva, uint64_t len);

    /** Optional. Guest memory [addr, addr + len) was written by the library
     *  (dirty-page logging for live migration). */
    void (*dirty)(void *ctx, uint64_t addr, uint64_t len);

    /** Optional. Drive a level-triggered interrupt line (virtio-mmio, PCI
     *  INTx) to @p level (1 asserted, 0 deasserted). Without it the library
     *  calls inject(line) when the line rises. */
    int (*set_level)(void *ctx, uint32_t line, int level);

    /** Optional. Send an MSI or MSI-X message the guest programmed (address
     *  and data). Without it the library calls inject(vector). */
    int (*inject_msi)(void *ctx, uint64_t addr, uint32_t data, uint32_t vector);

    /**
     * Optional (version 2). A translation window: the contiguous host mapping
     * around @p addr that is valid for @p access, as [*win_addr, *win_addr +
     * *win_len) at *win_hva. A queue may then translate any range inside the
     * window without calling map, for as long as it stays enabled; a port whose
     * mappings change (a memory table update, a region removed) must first
     * reset or disable the queues of that guest. Return 0, or non-zero when no
     * stable window exists for addr (map is used then). The library checks
     * the answer: addr must lie inside a non-empty, non-wrapping window with a
     * non-NULL pointer. Leave it NULL in ports whose mappings need unmap.
     */
    int (*window)(void *ctx, uint64_t addr, unsigned int access, uint64_t *win_addr,
                  uint64_t *win_len, void **win_hva);
};

/** One guest address space: the port's ops and its context. Caller-owned;
 *  the ops table and ctx must outlive every object that uses the host. Which
 *  optional ops exist is read when a queue is initialised and enabled: swap
 *  the table only while its queues are disabled. */
struct avps_host {
    const struct avps_port_ops *ops; /**< The port's table. */
    void *ctx;                       /**< Passed to every op. */
};

/**
 * @brief Check a host before use.
 * @param[in] host  The host to check.
 * @retval AVPS_OK         The ops table is usable.
 * @retval AVPS_E_INVAL    host or ops is NULL, a required op is missing, or
 *                         only one of lock/unlock is set.
 * @retval AVPS_E_VERSION  ops->version is 0 or newer than AVPS_PORT_OPS_VERSION.
 * @par Context
 * Any thread; calls nothing.
 */
int avps_host_check(const struct avps_host *host);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_PORT_H */

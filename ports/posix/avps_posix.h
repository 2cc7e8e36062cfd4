/**
 * @file avps_posix.h
 * @brief The reference port: guest RAM in host memory, fault injection,
 *        an interrupt recorder and event counters. Used by the tests, the
 *        fuzzers, the benchmarks and the examples; a model for real ports.
 */
#ifndef AVPS_POSIX_H
#define AVPS_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avps/port.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AVPS_POSIX_MAX_REGIONS 8u   /**< Guest RAM regions per guest. */
#define AVPS_POSIX_MAX_VECTORS 64u  /**< Interrupt vectors recorded one by one. */

/** One guest RAM region: [gpa, gpa + size) backed by its own host allocation,
 *  so a range that crosses into the next region gets a short span. */
struct avps_posix_region {
    uint64_t gpa;
    uint64_t size;
    uint8_t *mem;
    bool external; /* owned by the caller */
};

/** A fake guest. Zero it, then call avps_posix_init(). */
struct avps_posix_guest {
    struct avps_host host; /**< Hand this to libavps. */
    struct avps_posix_region region[AVPS_POSIX_MAX_REGIONS];
    unsigned int nregions;

    /* ---- fault injection (all off after init) ---- */
    uint64_t max_span;       /**< Cap every span at this many bytes (0 = no cap). */
    int64_t fail_after;      /**< Refuse every map after this many more successes (-1 = never). */
    uint64_t fail_lo;        /**< Refuse maps touching [fail_lo, fail_hi) ... */
    uint64_t fail_hi;        /**< ... (empty when equal). */
    bool answer_null;        /**< Answer success with a NULL pointer. */
    bool answer_long_span;   /**< Answer success with a span longer than asked. */
    bool require_iova;       /**< Refuse maps without AVPS_ACCESS_IOVA ... */
    uint64_t iova_offset;    /**< ... and translate iova - iova_offset as the gpa. */
    bool readonly_lo_set;    /**< Refuse write access to [ro_lo, ro_hi). */
    uint64_t ro_lo, ro_hi;

    /* ---- recorders ---- */
    uint64_t maps;           /**< Successful map calls. */
    uint64_t map_refusals;   /**< Refused map calls. */
    uint64_t unmaps;         /**< unmap calls (with avps_posix_set_unmap()). */
    uint64_t irqs;           /**< inject calls. */
    uint64_t irq_by_vector[AVPS_POSIX_MAX_VECTORS];
    uint32_t last_vector;
    uint64_t reports[AVPS_EV_COUNT]; /**< report calls by event. */
    uint64_t last_report_a, last_report_b;
    uint32_t last_report_dev;
    uint64_t dirty_calls, dirty_bytes;
    uint64_t windows;        /**< window calls (with avps_posix_set_window()). */
    bool window_lie;         /**< window answers with a window that misses addr. */
    bool verbose;            /**< Print every report to stderr. */
};

/** Set up an empty guest (no regions) with every fault off. */
void avps_posix_init(struct avps_posix_guest *g);
/** Add a zeroed RAM region. Returns 0, or -1 when full, overlapping or out of memory. */
int avps_posix_add_region(struct avps_posix_guest *g, uint64_t gpa, uint64_t size);
/** Add a region backed by memory the caller owns (for example a shared memfd
 *  mapping); it is not freed by avps_posix_fini(). Returns 0 or -1. */
int avps_posix_add_region_ext(struct avps_posix_guest *g, uint64_t gpa, uint64_t size, void *mem);
/** Offer the optional unmap op (counted in unmaps), as a Xen port would. */
void avps_posix_set_unmap(struct avps_posix_guest *g, bool on);
/** Offer translation windows (port ops version 2): a whole region at a time,
 *  none while fault injection is armed. Queues read this when enabled. */
void avps_posix_set_window(struct avps_posix_guest *g, bool on);
/** Free every region. */
void avps_posix_fini(struct avps_posix_guest *g);
/** Host pointer for [gpa, gpa + len) when it lies inside one region, else NULL.
 *  For the test driver, which plays the guest. */
void *avps_posix_ptr(const struct avps_posix_guest *g, uint64_t gpa, uint64_t len);
/** Clear the recorders (not the faults). */
void avps_posix_clear_counters(struct avps_posix_guest *g);
/** Total of all report counters. */
uint64_t avps_posix_report_total(const struct avps_posix_guest *g);

#ifdef __cplusplus
}
#endif

#endif /* AVPS_POSIX_H */

/**
 * @file config.h
 * @brief Compile-time configuration of libavps: defaults and consistency checks.
 *
 * This is the only header that reads user configuration. Define
 * AVPS_CONFIG_FILE (for example `-DAVPS_CONFIG_FILE='"my_avps_config.h"'`) to
 * include a file of your own first; every option below then keeps its default
 * unless that file (or the compiler command line) defines it. Each CMake option
 * of the same name maps to exactly one of these macros.
 *
 * No option weakens the validation of guest data: a hypervisor never has a
 * trusted guest.
 */
#ifndef AVPS_CONFIG_H
#define AVPS_CONFIG_H

#if defined(AVPS_CONFIG_FILE)
#include AVPS_CONFIG_FILE
#endif

/** @defgroup config Compile-time configuration
 * @{ */

/** Largest queue size any virtqueue accepts (1..32768). Split queues also
 *  need a power of two, packed queues do not (VIRTIO 1.2 §2.7, §2.8). */
#ifndef AVPS_CONFIG_VQ_MAX_SIZE
#define AVPS_CONFIG_VQ_MAX_SIZE 32768u
#endif

/** Build the packed-virtqueue engine (1) or leave it out (0). */
#ifndef AVPS_CONFIG_ENABLE_PACKED
#define AVPS_CONFIG_ENABLE_PACKED 1
#endif

/** Accept VIRTIO_F_INDIRECT_DESC tables (1) or never offer them (0). */
#ifndef AVPS_CONFIG_ENABLE_INDIRECT
#define AVPS_CONFIG_ENABLE_INDIRECT 1
#endif

/** Support VIRTIO_F_EVENT_IDX notification suppression (1) or not (0). */
#ifndef AVPS_CONFIG_ENABLE_EVENT_IDX
#define AVPS_CONFIG_ENABLE_EVENT_IDX 1
#endif

/** Support VIRTIO_F_IN_ORDER batched used updates (1) or not (0). */
#ifndef AVPS_CONFIG_ENABLE_IN_ORDER
#define AVPS_CONFIG_ENABLE_IN_ORDER 1
#endif

/** Largest byte range a single guest-memory translation may ask for.
 *  A descriptor longer than this is a guest range error. */
#ifndef AVPS_CONFIG_MAX_SEG_LEN
#define AVPS_CONFIG_MAX_SEG_LEN 0xffffffffu
#endif

/** Build the in-flight journal and resubmission (avps_vq_set_journal(),
 *  avps_vq_resubmit()), which a vhost-user back-end needs for
 *  INFLIGHT_SHMFD; 0 leaves them out (both then return AVPS_E_INVAL). */
#ifndef AVPS_CONFIG_ENABLE_JOURNAL
#define AVPS_CONFIG_ENABLE_JOURNAL 1
#endif

/** Speed paths of the ring engines (1): the tight loop of avps_vq_pop_n() for
 *  single descriptors inside the translation window, and the per-descriptor
 *  rules inlined into each walker. 0 keeps one copy of each rule and takes
 *  every chain through the general walker (same behaviour, smaller, slower).
 *  Default: 1, or 0 when the compiler optimises for size (-Os). */
#ifndef AVPS_CONFIG_FAST_PATHS
#if defined(__OPTIMIZE_SIZE__)
#define AVPS_CONFIG_FAST_PATHS 0
#else
#define AVPS_CONFIG_FAST_PATHS 1
#endif
#endif

/** Report events through the port's report op: 0 = never, 1 = guest and
 *  backend faults, 2 = also informational events. */
#ifndef AVPS_CONFIG_REPORT_LEVEL
#define AVPS_CONFIG_REPORT_LEVEL 2
#endif

/** Check the embedding program's contract with AVPS_ASSERT (1) or compile
 *  those checks out (0). Guest data never reaches an assert either way. */
#ifndef AVPS_CONFIG_ASSERT
#define AVPS_CONFIG_ASSERT 1
#endif

/** Call the port's lock/unlock around public entry points of objects that
 *  were given a lock context (1), or compile locking out (0). */
#ifndef AVPS_CONFIG_ENABLE_LOCKING
#define AVPS_CONFIG_ENABLE_LOCKING 1
#endif

/** virtio-blk: data segments one request may have (the largest seg_max the
 *  device can offer; each request slot holds this many plus two). */
#ifndef AVPS_CONFIG_BLK_SEGS
#define AVPS_CONFIG_BLK_SEGS 128u
#endif

/** virtio-blk: ranges one discard, write-zeroes or secure-erase request may
 *  carry (the largest max_discard_seg and friends the device can offer). */
#ifndef AVPS_CONFIG_BLK_RANGES
#define AVPS_CONFIG_BLK_RANGES 16u
#endif

/** virtio-blk: request queues one device may have (num_queues, 1..256). */
#ifndef AVPS_CONFIG_BLK_MAX_QUEUES
#define AVPS_CONFIG_BLK_MAX_QUEUES 16u
#endif

/** @} */

/* ---- consistency checks ------------------------------------------------ */
#if AVPS_CONFIG_VQ_MAX_SIZE < 1 || AVPS_CONFIG_VQ_MAX_SIZE > 32768
#error "AVPS_CONFIG_VQ_MAX_SIZE must be in 1..32768"
#endif
#if AVPS_CONFIG_ENABLE_PACKED != 0 && AVPS_CONFIG_ENABLE_PACKED != 1
#error "AVPS_CONFIG_ENABLE_PACKED must be 0 or 1"
#endif
#if AVPS_CONFIG_ENABLE_INDIRECT != 0 && AVPS_CONFIG_ENABLE_INDIRECT != 1
#error "AVPS_CONFIG_ENABLE_INDIRECT must be 0 or 1"
#endif
#if AVPS_CONFIG_ENABLE_EVENT_IDX != 0 && AVPS_CONFIG_ENABLE_EVENT_IDX != 1
#error "AVPS_CONFIG_ENABLE_EVENT_IDX must be 0 or 1"
#endif
#if AVPS_CONFIG_ENABLE_IN_ORDER != 0 && AVPS_CONFIG_ENABLE_IN_ORDER != 1
#error "AVPS_CONFIG_ENABLE_IN_ORDER must be 0 or 1"
#endif
#if AVPS_CONFIG_MAX_SEG_LEN < 1 || AVPS_CONFIG_MAX_SEG_LEN > 0xffffffff
#error "AVPS_CONFIG_MAX_SEG_LEN must be in 1..0xffffffff"
#endif
#if AVPS_CONFIG_FAST_PATHS != 0 && AVPS_CONFIG_FAST_PATHS != 1
#error "AVPS_CONFIG_FAST_PATHS must be 0 or 1"
#endif
#if AVPS_CONFIG_ENABLE_JOURNAL != 0 && AVPS_CONFIG_ENABLE_JOURNAL != 1
#error "AVPS_CONFIG_ENABLE_JOURNAL must be 0 or 1"
#endif
#if AVPS_CONFIG_REPORT_LEVEL < 0 || AVPS_CONFIG_REPORT_LEVEL > 2
#error "AVPS_CONFIG_REPORT_LEVEL must be 0, 1 or 2"
#endif
#if AVPS_CONFIG_ASSERT != 0 && AVPS_CONFIG_ASSERT != 1
#error "AVPS_CONFIG_ASSERT must be 0 or 1"
#endif
#if AVPS_CONFIG_ENABLE_LOCKING != 0 && AVPS_CONFIG_ENABLE_LOCKING != 1
#error "AVPS_CONFIG_ENABLE_LOCKING must be 0 or 1"
#endif
#if AVPS_CONFIG_BLK_SEGS < 1 || AVPS_CONFIG_BLK_SEGS > 4096
#error "AVPS_CONFIG_BLK_SEGS must be in 1..4096"
#endif
#if AVPS_CONFIG_BLK_RANGES < 1 || AVPS_CONFIG_BLK_RANGES > 4096
#error "AVPS_CONFIG_BLK_RANGES must be in 1..4096"
#endif
#if AVPS_CONFIG_BLK_MAX_QUEUES < 1 || AVPS_CONFIG_BLK_MAX_QUEUES > 256
#error "AVPS_CONFIG_BLK_MAX_QUEUES must be in 1..256"
#endif

#endif /* AVPS_CONFIG_H */

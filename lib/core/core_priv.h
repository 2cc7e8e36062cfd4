/*
 * lib/core internal interface: the guest-memory choke point, port wrappers,
 * barriers and shared-memory accessors. Never installed; used by lib/ only
 * (and by tests).
 */
#ifndef AVPS_CORE_PRIV_H
#define AVPS_CORE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <avps/config.h>
#include <avps/err.h>
#include <avps/port.h>
#include <avps/virtio/types.h>

/* ---- asserts: the embedding program's contract only (STYLE rule 9) ----- */
#if AVPS_CONFIG_ASSERT
#ifndef AVPS_ASSERT_FAIL
/* Freestanding default: stop at once. A port may point this at its own
 * handler through AVPS_CONFIG_FILE. */
#define AVPS_ASSERT_FAIL() __builtin_trap()
#endif
#define AVPS_ASSERT(cond)          \
    do {                           \
        if (!(cond))               \
            AVPS_ASSERT_FAIL();    \
    } while (0)
#else
#define AVPS_ASSERT(cond) ((void)0)
#endif

#define AVPS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- barriers: C11 fences unless the port overrides them ---------------- */
#if !defined(AVPS_MB) || !defined(AVPS_RMB) || !defined(AVPS_WMB) || \
    !defined(AVPS_COMPILER_BARRIER)
#include <stdatomic.h>
#endif
#ifndef AVPS_MB
#define AVPS_MB() atomic_thread_fence(memory_order_seq_cst)
#endif
#ifndef AVPS_RMB
#define AVPS_RMB() atomic_thread_fence(memory_order_acquire)
#endif
#ifndef AVPS_WMB
#define AVPS_WMB() atomic_thread_fence(memory_order_release)
#endif
#ifndef AVPS_COMPILER_BARRIER
#define AVPS_COMPILER_BARRIER() atomic_signal_fence(memory_order_seq_cst)
#endif

/* ---- shared-memory accessors: one load or store each ------------------- */
static inline uint16_t avps_shm_load16_(const void *p)
{
    return avps_le16_raw_to_cpu(*(const volatile uint16_t *)p);
}

static inline void avps_shm_store16_(void *p, uint16_t v)
{
    *(volatile uint16_t *)p = avps_cpu_to_le16_raw(v);
}

static inline void avps_shm_store32_(void *p, uint32_t v)
{
    *(volatile uint32_t *)p = avps_cpu_to_le32_raw(v);
}

/* Copies and fills on the hot path. -ffreestanding implies -fno-builtin, which
 * turns even a 16-byte descriptor copy into a call; where the compiler has the
 * builtins, ask for them (it still calls memcpy/memset for sizes it will not
 * inline). A port may define both for another compiler. */
#ifndef AVPS_MEMCPY
#if defined(__GNUC__)
#define AVPS_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))
#else
#define AVPS_MEMCPY(d, s, n) memcpy((d), (s), (n))
#endif
#endif
#ifndef AVPS_MEMSET
#if defined(__GNUC__)
#define AVPS_MEMSET(d, c, n) __builtin_memset((d), (c), (n))
#else
#define AVPS_MEMSET(d, c, n) memset((d), (c), (n))
#endif
#endif

/* Copy n bytes out of shared memory into a private buffer, once. The compiler
 * barrier stops the compiler from re-reading the source in place of the copy
 * (the double-fetch hazard, STYLE rule 11). */
static inline void avps_shm_copy_in_(void *dst, const void *src, size_t n)
{
    (void)AVPS_MEMCPY(dst, src, n);
    AVPS_COMPILER_BARRIER();
}

/* [off, off + len) lies inside [0, size), written without overflow. */
static inline bool avps_range_ok_(uint64_t off, uint64_t len, uint64_t size)
{
    return (len <= size) && (off <= (size - len));
}

/* ---- guest memory: the only caller of ops->map (lib/core/gmem.c) ------- */
struct avps_span {
    void *hva;
    uint64_t len;
};

/* Translate the start of [gpa, gpa + len): out->len may be shorter than len
 * at a region boundary; the caller asks again for the rest. */
int avps_gmem_span_(const struct avps_host *h, uint64_t gpa, uint64_t len,
                    unsigned int access, struct avps_span *out);
/* Translate [gpa, gpa + len) as one contiguous host range, or fail. */
int avps_gmem_map_whole_(const struct avps_host *h, uint64_t gpa, uint64_t len,
                         unsigned int access, void **hva);
/* Copy [gpa, gpa + len) into buf across any number of regions. */
int avps_gmem_read_(const struct avps_host *h, uint64_t gpa, void *buf,
                    uint64_t len, unsigned int access);
/* Release a mapping when the port has unmap. */
void avps_gmem_unmap_(const struct avps_host *h, void *hva, uint64_t len);

/* A translation window (port ops version 2): [addr, addr + len) at hva. */
struct avps_window {
    uint64_t addr;
    uint64_t len;
    uint8_t *hva;
};
/* True when the port offers windows. */
static inline bool avps_host_has_window_(const struct avps_host *h)
{
    return (h->ops->version >= 2u) && (h->ops->window != NULL);
}
/* Ask the port for the window around gpa; the answer is checked (gpa inside,
 * non-empty, no wrap in either address space, non-NULL). */
int avps_gmem_window_(const struct avps_host *h, uint64_t gpa, unsigned int access,
                      struct avps_window *w);

/* ---- port wrappers ----------------------------------------------------- */
static inline void avps_report_(const struct avps_host *h, enum avps_event ev,
                                uint32_t dev, uint64_t a, uint64_t b)
{
#if AVPS_CONFIG_REPORT_LEVEL > 0
    if (h->ops->report != NULL) {
        h->ops->report(h->ctx, ev, dev, a, b);
    }
#else
    (void)h; (void)ev; (void)dev; (void)a; (void)b;
#endif
}

static inline int avps_inject_(const struct avps_host *h, uint32_t vector)
{
    return h->ops->inject(h->ctx, vector);
}

static inline void avps_dirty_(const struct avps_host *h, uint64_t gpa, uint64_t len)
{
    if (h->ops->dirty != NULL) {
        h->ops->dirty(h->ctx, gpa, len);
    }
}

static inline void avps_cache_clean_(const struct avps_host *h, const void *p, uint64_t len)
{
    if (h->ops->cache_clean != NULL) {
        h->ops->cache_clean(h->ctx, p, len);
    }
}

static inline void avps_cache_inval_(const struct avps_host *h, const void *p, uint64_t len)
{
    if (h->ops->cache_invalidate != NULL) {
        h->ops->cache_invalidate(h->ctx, p, len);
    }
}

static inline void avps_lock_(const struct avps_host *h, void *lock_ctx)
{
#if AVPS_CONFIG_ENABLE_LOCKING
    if ((lock_ctx != NULL) && (h->ops->lock != NULL)) {
        h->ops->lock(lock_ctx);
    }
#else
    (void)h; (void)lock_ctx;
#endif
}

static inline void avps_unlock_(const struct avps_host *h, void *lock_ctx)
{
#if AVPS_CONFIG_ENABLE_LOCKING
    if ((lock_ctx != NULL) && (h->ops->unlock != NULL)) {
        h->ops->unlock(lock_ctx);
    }
#else
    (void)h; (void)lock_ctx;
#endif
}

#endif /* AVPS_CORE_PRIV_H */

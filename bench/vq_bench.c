/*
 * avps-vq-bench: the device-side virtqueue engines (include/avps/virtqueue.h)
 * against a minimal guest driver written here from VIRTIO 1.2 §2.7 (split)
 * and §2.8 (packed), over the posix port (or a one-compare port, --port fast).
 *
 * The driver is deliberately minimal (no per-chain fences, no free lists:
 * descriptors and buffer ids are handed out sequentially, which is correct
 * because this device completes in the order it pops, and the driver checks
 * that) so that the device's cost is not hidden under the driver's.
 * tests/support/ringdrv is not used: it issues a seq_cst fence per chain.
 *
 * Modes:
 *  (a) one thread: the driver makes B chains available, the device pops B,
 *      pushes them with one avps_vq_push_n() and calls avps_vq_notify(), the
 *      driver reclaims them. Reported: the device's part alone (pop + push_n +
 *      notify, bracketed by the TSC, the bracket's own cost subtracted) and
 *      the whole round (driver + device, wall clock, no brackets).
 *  (b) two threads: driver on CPU 0, device on CPU 1, polling, up to a full
 *      ring in flight; ns per chain = wall time / chains. A core-to-core
 *      ping-pong latency is measured right before each such configuration.
 *
 * Output: Markdown tables on stdout. --one runs a single one-thread
 * configuration for a fixed chain count (for callgrind / perf record).
 * --instr FILE adds an instructions-per-chain column (lines:
 * "layout mix batch dev_instr_per_chain").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_TSC 1
#else
#define BENCH_TSC 0
#endif

#include <avps/err.h>
#include <avps/virtio/features.h>
#include <avps/virtio/ring.h>
#include <avps/virtqueue.h>

#include "avps_posix.h"

#define QSIZE 256u
#define QMASK (QSIZE - 1u)
#define MAXB 32u
#define MAXSEG 4u

/* Guest physical layout: one 4 MiB region. */
#define GPA_BASE 0x40000000ull
#define MEM_SIZE (4ull << 20)
#define OFF_DESC 0x0000u
#define OFF_DRIVER 0x1000u /* split avail ring; packed driver event (own line) */
#define OFF_DEVICE 0x2000u /* split used ring; packed device event (own page) */
#define OFF_BUF 0x10000u   /* 512 B per slot, 128 B per segment */
#define OFF_TAB 0x40000u   /* one 64 B indirect table per slot */

#define NOINLINE __attribute__((noinline))

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* ---- configurations ----------------------------------------------------- */

struct mix {
    const char *name;
    const char *what;
    unsigned int n; /* buffers per chain */
    bool indirect;
    bool in_order;
    bool event_idx;
    uint32_t len[MAXSEG];
    bool wr[MAXSEG];
};

static const struct mix mixes[] = {
    {"1d", "1 readable descriptor (64 B)", 1, false, false, false, {64}, {false}},
    {"2d", "header 16 B readable + data 64 B writable", 2, false, false, false, {16, 64},
     {false, true}},
    {"4d", "16 B + 64 B readable, 64 B + 1 B writable", 4, false, false, false,
     {16, 64, 64, 1}, {false, false, true, true}},
    {"ind4", "the 4d buffers in an indirect table of 4", 4, true, false, false,
     {16, 64, 64, 1}, {false, false, true, true}},
    {"1d+IO", "1d with VIRTIO_F_IN_ORDER", 1, false, true, false, {64}, {false}},
    {"1d+EI", "1d with VIRTIO_F_EVENT_IDX", 1, false, false, true, {64}, {false}},
};
#define NMIX (sizeof mixes / sizeof mixes[0])

static const unsigned int batches[] = {1u, 8u, 32u};
#define NBATCH (sizeof batches / sizeof batches[0])

/* ---- a one-compare port (--port fast) ----------------------------------- */

struct fast_port {
    struct avps_host host;
    uint8_t *mem;
    uint64_t gpa;
    uint64_t size;
    uint64_t irqs;
    uint64_t reports;
};

static int fast_map(void *ctx, uint64_t addr, uint64_t len, unsigned int access, void **hva,
                    uint64_t *span)
{
    const struct fast_port *p = ctx;
    const uint64_t off = addr - p->gpa;

    (void)access;
    if ((off >= p->size) || (len > p->size - off)) {
        return -1;
    }
    *hva = p->mem + off;
    *span = len;
    return 0;
}

static int fast_inject(void *ctx, uint32_t vector)
{
    struct fast_port *p = ctx;

    (void)vector;
    p->irqs++;
    return 0;
}

static void fast_report(void *ctx, enum avps_event ev, uint32_t dev, uint64_t a, uint64_t b)
{
    struct fast_port *p = ctx;

    (void)ev;
    (void)dev;
    (void)a;
    (void)b;
    p->reports++;
}

static const struct avps_port_ops fast_ops = {
    .version = AVPS_PORT_OPS_VERSION,
    .map = fast_map,
    .inject = fast_inject,
    .report = fast_report,
};

/* ---- the driver (guest side), from the spec ------------------------------ */

struct drv {
    const struct mix *mix;
    bool packed;
    uint16_t need; /* ring entries per chain */
    uint8_t *mem;  /* host address of GPA_BASE */
    /* split */
    struct avps_vring_desc *desc;
    struct avps_vring_avail *avail;
    struct avps_vring_used *used;
    uint16_t *used_event;
    uint16_t avail_idx;
    uint16_t last_used;
    uint16_t next_desc;
    /* packed */
    struct avps_pvirtq_desc *pdesc;
    struct avps_pvirtq_event_suppress *drv_ev;
    uint16_t next_avail;
    uint16_t next_used;
    uint8_t avail_wrap;
    uint8_t used_wrap;
    uint16_t next_id;
    /* both */
    uint32_t free;
    uint16_t fifo[QSIZE]; /* outstanding heads / ids, oldest first */
    uint32_t fifo_head;
    uint32_t fifo_n;
    uint16_t ndesc[QSIZE];
    uint64_t bad; /* completions that did not match what was outstanding */
};

static uint64_t buf_gpa(uint32_t slot, unsigned int seg)
{
    return GPA_BASE + OFF_BUF + (uint64_t)slot * 512u + (uint64_t)seg * 128u;
}

static uint64_t tab_gpa(uint32_t slot)
{
    return GPA_BASE + OFF_TAB + (uint64_t)slot * 64u;
}

static void *gp(const struct drv *d, uint64_t gpa)
{
    return d->mem + (gpa - GPA_BASE);
}

static void drv_init(struct drv *d, uint8_t *mem, const struct mix *m, bool packed)
{
    (void)memset(d, 0, sizeof *d);
    d->mix = m;
    d->packed = packed;
    d->need = (uint16_t)(m->indirect ? 1u : m->n);
    d->mem = mem;
    (void)memset(mem, 0, OFF_BUF);
    d->desc = (struct avps_vring_desc *)(void *)(mem + OFF_DESC);
    d->pdesc = (struct avps_pvirtq_desc *)(void *)(mem + OFF_DESC);
    d->avail = (struct avps_vring_avail *)(void *)(mem + OFF_DRIVER);
    d->used = (struct avps_vring_used *)(void *)(mem + OFF_DEVICE);
    d->used_event = (uint16_t *)(void *)(mem + OFF_DRIVER + AVPS_VRING_USED_EVENT_OFF(QSIZE));
    d->drv_ev = (struct avps_pvirtq_event_suppress *)(void *)(mem + OFF_DRIVER);
    d->avail_wrap = 1;
    d->used_wrap = 1;
    d->free = QSIZE;
    if (packed && m->event_idx) {
        /* §2.8.14: notify when the device writes the used descriptor at
         * off_wrap (moved along by every reclaim). */
        d->drv_ev->off_wrap.le = avps_cpu_to_le16_raw((uint16_t)(1u << 15));
        d->drv_ev->flags.le = avps_cpu_to_le16_raw(AVPS_VRING_PACKED_EVENT_FLAG_DESC);
    }
}

static struct avps_vq_ring drv_ring(const struct drv *d)
{
    const struct mix *m = d->mix;
    struct avps_vq_ring r;

    (void)memset(&r, 0, sizeof r);
    r.desc = GPA_BASE + OFF_DESC;
    r.driver = GPA_BASE + OFF_DRIVER;
    r.device = GPA_BASE + OFF_DEVICE;
    r.size = (uint16_t)QSIZE;
    r.features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                 AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_INDIRECT_DESC);
    if (d->packed) {
        r.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    }
    if (m->in_order) {
        r.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER);
    }
    if (m->event_idx) {
        r.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX);
    }
    return r;
}

static void put_sdesc(struct avps_vring_desc *x, uint64_t addr, uint32_t len, uint16_t flags,
                      uint16_t next)
{
    x->addr = avps_to_le64(addr);
    x->len = avps_to_le32(len);
    x->flags = avps_to_le16(flags);
    x->next = avps_to_le16(next);
}

static void fifo_push(struct drv *d, uint16_t v, uint16_t ndesc)
{
    d->fifo[(d->fifo_head + d->fifo_n) & QMASK] = v;
    d->fifo_n++;
    d->ndesc[v] = ndesc;
    d->free -= ndesc;
}

static uint16_t fifo_pop(struct drv *d)
{
    const uint16_t v = d->fifo[d->fifo_head];

    d->fifo_head = (d->fifo_head + 1u) & QMASK;
    d->fifo_n--;
    d->free += d->ndesc[v];
    return v;
}

/* Split, §2.7.13: write the chains, then one avail->idx store (release). */
static NOINLINE void drv_add_split(struct drv *d, unsigned int count)
{
    const struct mix *m = d->mix;

    for (unsigned int c = 0; c < count; c++) {
        const uint16_t head = d->next_desc;

        if (m->indirect) {
            struct avps_vring_desc *t = gp(d, tab_gpa(head));

            for (unsigned int i = 0; i < m->n; i++) {
                put_sdesc(&t[i], buf_gpa(head, i), m->len[i],
                          (uint16_t)((m->wr[i] ? AVPS_VRING_DESC_F_WRITE : 0u) |
                                     ((i + 1u < m->n) ? AVPS_VRING_DESC_F_NEXT : 0u)),
                          (uint16_t)(i + 1u));
            }
            put_sdesc(&d->desc[head], tab_gpa(head), 16u * m->n, AVPS_VRING_DESC_F_INDIRECT, 0);
        } else {
            uint16_t p = head;

            for (unsigned int i = 0; i < m->n; i++) {
                const uint16_t nx = (uint16_t)((p + 1u) & QMASK);

                put_sdesc(&d->desc[p], buf_gpa(p, i), m->len[i],
                          (uint16_t)((m->wr[i] ? AVPS_VRING_DESC_F_WRITE : 0u) |
                                     ((i + 1u < m->n) ? AVPS_VRING_DESC_F_NEXT : 0u)),
                          nx);
                p = nx;
            }
        }
        d->avail->ring[d->avail_idx & QMASK] = avps_to_le16(head);
        d->avail_idx++;
        d->next_desc = (uint16_t)((head + d->need) & QMASK);
        fifo_push(d, head, d->need);
    }
    __atomic_store_n(&d->avail->idx.le, avps_cpu_to_le16_raw(d->avail_idx), __ATOMIC_RELEASE);
}

/* Split, §2.7.14 (and §2.7.9 for IN_ORDER: one entry may stand for a run). */
static NOINLINE unsigned int drv_reclaim_split(struct drv *d)
{
    const uint16_t uidx =
        avps_le16_raw_to_cpu(__atomic_load_n(&d->used->idx.le, __ATOMIC_ACQUIRE));
    unsigned int done = 0;

    while (d->last_used != uidx) {
        const struct avps_vring_used_elem *e = &d->used->ring[d->last_used & QMASK];
        const uint32_t id = avps_from_le32(e->id);
        uint16_t f;

        do {
            if (d->fifo_n == 0u) {
                d->bad++;
                return done;
            }
            f = fifo_pop(d);
            d->last_used++;
            done++;
        } while (d->mix->in_order && (f != id));
        if (f != id) {
            d->bad++;
        }
    }
    if (d->mix->event_idx) {
        /* Interrupt me when 3/4 of what is outstanding has been used (Linux's
         * virtqueue_enable_cb_delayed(), which virtio-net's transmit uses). */
        const uint16_t ev = (uint16_t)(d->last_used + (d->fifo_n * 3u) / 4u);

        __atomic_store_n(d->used_event, avps_cpu_to_le16_raw(ev), __ATOMIC_RELAXED);
    }
    return done;
}

/* Packed, §2.8.21: each list's descriptors, the batch's first flags last. */
static NOINLINE void drv_add_packed(struct drv *d, unsigned int count)
{
    const struct mix *m = d->mix;
    const uint16_t first = d->next_avail;
    uint16_t first_flags = 0;

    for (unsigned int c = 0; c < count; c++) {
        const uint16_t id = d->next_id;
        const unsigned int n = m->indirect ? 1u : m->n;

        d->next_id = (uint16_t)((id + 1u) & QMASK);
        for (unsigned int i = 0; i < n; i++) {
            struct avps_pvirtq_desc *x = &d->pdesc[d->next_avail];
            uint16_t f = d->avail_wrap ? AVPS_VRING_PACKED_DESC_F_AVAIL
                                       : AVPS_VRING_PACKED_DESC_F_USED;

            if (m->indirect) {
                struct avps_pvirtq_desc *t = gp(d, tab_gpa(id));

                for (unsigned int k = 0; k < m->n; k++) {
                    t[k].addr = avps_to_le64(buf_gpa(id, k));
                    t[k].len = avps_to_le32(m->len[k]);
                    t[k].id = avps_to_le16(0);
                    t[k].flags = avps_to_le16(m->wr[k] ? AVPS_VRING_DESC_F_WRITE : 0u);
                }
                x->addr = avps_to_le64(tab_gpa(id));
                x->len = avps_to_le32(16u * m->n);
                f |= AVPS_VRING_DESC_F_INDIRECT;
            } else {
                x->addr = avps_to_le64(buf_gpa(id, i));
                x->len = avps_to_le32(m->len[i]);
                if (m->wr[i]) {
                    f |= AVPS_VRING_DESC_F_WRITE;
                }
                if (i + 1u < n) {
                    f |= AVPS_VRING_DESC_F_NEXT;
                }
            }
            x->id = avps_to_le16(id);
            if ((c == 0u) && (i == 0u)) {
                first_flags = f;
            } else {
                x->flags = avps_to_le16(f);
            }
            if (++d->next_avail == QSIZE) {
                d->next_avail = 0;
                d->avail_wrap ^= 1u;
            }
        }
        fifo_push(d, id, d->need);
    }
    __atomic_store_n(&d->pdesc[first].flags.le, avps_cpu_to_le16_raw(first_flags),
                     __ATOMIC_RELEASE);
}

/* Packed, §2.8.22 (IN_ORDER: one used descriptor may stand for a run). */
static NOINLINE unsigned int drv_reclaim_packed(struct drv *d)
{
    unsigned int done = 0;

    for (;;) {
        const struct avps_pvirtq_desc *x = &d->pdesc[d->next_used];
        const uint16_t f = avps_le16_raw_to_cpu(__atomic_load_n(&x->flags.le, __ATOMIC_ACQUIRE));
        const bool a = (f & AVPS_VRING_PACKED_DESC_F_AVAIL) != 0u;
        const bool u = (f & AVPS_VRING_PACKED_DESC_F_USED) != 0u;
        uint32_t entries = 0;
        uint16_t id;
        uint16_t g;

        if ((a != u) || (a != (d->used_wrap != 0u))) {
            break;
        }
        id = avps_from_le16(x->id);
        do {
            if (d->fifo_n == 0u) {
                d->bad++;
                return done;
            }
            g = fifo_pop(d);
            entries += d->ndesc[g];
            done++;
        } while (d->mix->in_order && (g != id));
        if (g != id) {
            d->bad++;
        }
        d->next_used = (uint16_t)(d->next_used + entries);
        if (d->next_used >= QSIZE) {
            d->next_used = (uint16_t)(d->next_used - QSIZE);
            d->used_wrap ^= 1u;
        }
    }
    if (d->mix->event_idx) {
        /* As for split: 3/4 of what is outstanding (ring entries), wrapped. */
        uint32_t pos = d->next_used;
        uint32_t wrap = d->used_wrap;
        const uint32_t out = QSIZE - d->free;

        pos += (out * 3u) / 4u;
        if (pos >= QSIZE) {
            pos -= QSIZE;
            wrap ^= 1u;
        }
        __atomic_store_n(&d->drv_ev->off_wrap.le,
                         avps_cpu_to_le16_raw((uint16_t)(pos | (wrap << 15))), __ATOMIC_RELAXED);
    }
    return done;
}

static inline void drv_add(struct drv *d, unsigned int count)
{
    if (d->packed) {
        drv_add_packed(d, count);
    } else {
        drv_add_split(d, count);
    }
}

static inline unsigned int drv_reclaim(struct drv *d)
{
    return d->packed ? drv_reclaim_packed(d) : drv_reclaim_split(d);
}

/* ---- the device ---------------------------------------------------------- */

struct dev {
    struct avps_vq vq;
    struct avps_vq_slot slots[QSIZE];
    struct avps_vq_seg seg[MAXB][MAXSEG];
    struct avps_vq_req req[MAXB];
    struct avps_vq_used used[MAXB];
    int err;
};

/* --api pop: take chains with avps_vq_pop() one at a time instead of
 * avps_vq_pop_n() (the comparison the report prints). */
static bool api_pop1;

/* Take up to budget chains (one avps_vq_pop_n(), or avps_vq_pop() each with
 * --api pop), return them all with one push_n, then notify. */
static inline unsigned int dev_round(struct dev *v, unsigned int budget)
{
    unsigned int n = 0;

    if (api_pop1) {
        while (n < budget) {
            const int r = avps_vq_pop(&v->vq, &v->req[0]);

            if (r != 1) {
                if (r < 0) {
                    v->err = r;
                }
                break;
            }
            v->used[n].id = v->req[0].id;
            v->used[n].len = v->req[0].wr_len;
            n++;
        }
    } else {
        const int r = avps_vq_pop_n(&v->vq, v->req, budget);

        if (r < 0) {
            v->err = r;
        } else {
            n = (unsigned int)r;
        }
        for (unsigned int i = 0; i < n; i++) {
            v->used[i].id = v->req[i].id;
            v->used[i].len = v->req[i].wr_len;
        }
    }
    if (n != 0u) {
        int r = avps_vq_push_n(&v->vq, v->used, n);

        if (r == AVPS_OK) {
            r = avps_vq_notify(&v->vq);
        }
        if (r < 0) {
            v->err = r;
        }
    }
    return n;
}

/* ---- the reference: a minimal device with no validation ------------------
 * What BENCH.md §2.2 calls "a minimal ring with no validation at all": the
 * same driver, a device that trusts every index and descriptor, touches the
 * descriptor and writes the used entry (split: one index store per round;
 * packed: the round's first used flags last). 1-descriptor chains only. It
 * runs in the same process and regime as the engines, so the two-thread
 * target can be read against it rather than against a number from another
 * day. Not library code: a yardstick. */
struct refdev {
    uint16_t last_avail; /* split: free-running; packed: position */
    uint16_t used_idx;
    uint8_t avail_wrap;
    uint8_t used_wrap;
    uint64_t touched; /* sum of the lengths read, so the reads stay */
};

static unsigned int ref_round(struct drv *d, struct refdev *r, unsigned int budget)
{
    unsigned int n = 0;

    if (!d->packed) {
        const uint16_t idx =
            avps_le16_raw_to_cpu(__atomic_load_n(&d->avail->idx.le, __ATOMIC_ACQUIRE));
        unsigned int avail = (uint16_t)(idx - r->last_avail);

        n = (avail < budget) ? avail : budget;
        for (unsigned int i = 0; i < n; i++) {
            const uint16_t head = avps_from_le16(d->avail->ring[(r->last_avail + i) & QMASK]);
            const struct avps_vring_desc *x = &d->desc[head];
            const uint32_t len = avps_from_le32(x->len);
            struct avps_vring_used_elem *e = &d->used->ring[(r->used_idx + i) & QMASK];

            r->touched += len;
            e->id = avps_to_le32(head);
            e->len = avps_to_le32((avps_from_le16(x->flags) & AVPS_VRING_DESC_F_WRITE) ? len : 0u);
        }
        r->last_avail = (uint16_t)(r->last_avail + n);
        r->used_idx = (uint16_t)(r->used_idx + n);
        if (n != 0u) {
            __atomic_store_n(&d->used->idx.le, avps_cpu_to_le16_raw(r->used_idx),
                             __ATOMIC_RELEASE);
        }
        return n;
    }
    {
        const uint16_t first = r->used_idx;
        uint16_t first_flags = 0;

        while (n < budget) {
            struct avps_pvirtq_desc *x = &d->pdesc[r->last_avail];
            const uint16_t f =
                avps_le16_raw_to_cpu(__atomic_load_n(&x->flags.le, __ATOMIC_ACQUIRE));
            const bool a = (f & AVPS_VRING_PACKED_DESC_F_AVAIL) != 0u;
            const bool u = (f & AVPS_VRING_PACKED_DESC_F_USED) != 0u;
            const uint32_t len = avps_from_le32(x->len);
            struct avps_pvirtq_desc *y = &d->pdesc[r->used_idx];
            uint16_t uf;

            if ((a == u) || (a != (r->avail_wrap != 0u))) {
                break;
            }
            r->touched += len;
            uf = r->used_wrap ? (uint16_t)(AVPS_VRING_PACKED_DESC_F_AVAIL |
                                           AVPS_VRING_PACKED_DESC_F_USED)
                              : 0u;
            if (f & AVPS_VRING_DESC_F_WRITE) {
                uf |= AVPS_VRING_DESC_F_WRITE;
            }
            y->id = x->id;
            y->len = avps_to_le32((f & AVPS_VRING_DESC_F_WRITE) ? len : 0u);
            if (n == 0u) {
                first_flags = uf;
            } else {
                y->flags = avps_to_le16(uf);
            }
            if (++r->last_avail == QSIZE) {
                r->last_avail = 0;
                r->avail_wrap ^= 1u;
            }
            if (++r->used_idx == QSIZE) {
                r->used_idx = 0;
                r->used_wrap ^= 1u;
            }
            n++;
        }
        if (n != 0u) {
            __atomic_store_n(&d->pdesc[first].flags.le, avps_cpu_to_le16_raw(first_flags),
                             __ATOMIC_RELEASE);
        }
        return n;
    }
}

/* ---- one configuration: guest memory, driver, device --------------------- */

struct bench {
    struct avps_posix_guest g;
    struct fast_port fp;
    uint8_t *mem;
    const char *mem_kind;
    bool fast;
    _Alignas(64) struct drv d;
    _Alignas(64) struct dev v;
    struct refdev rd; /* the yardstick's state (one thread) */
};

static void *alloc_guest(const char **kind)
{
    void *p = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    uint8_t *raw;
    uintptr_t a;

    if (p != MAP_FAILED) {
        *kind = "hugetlbfs 2 MiB pages (MAP_HUGETLB)";
        return p;
    }
    /* THP: a 2 MiB-aligned window of a larger mapping, with MADV_HUGEPAGE. */
    p = mmap(NULL, MEM_SIZE + (2u << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    raw = p;
    a = ((uintptr_t)raw + (2u << 20) - 1u) & ~(uintptr_t)((2u << 20) - 1u);
    *kind = (madvise((void *)a, MEM_SIZE, MADV_HUGEPAGE) == 0)
                ? "anonymous memory with madvise(MADV_HUGEPAGE) (THP)"
                : "anonymous memory, 4 KiB pages";
    (void)memset((void *)a, 0, MEM_SIZE);
    return (void *)a;
}

static int bench_setup(struct bench *b, const struct mix *m, bool packed)
{
    (void)memset(&b->rd, 0, sizeof b->rd);
    b->rd.avail_wrap = 1;
    b->rd.used_wrap = 1;
    const struct avps_host *host;
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;
    int err;

    drv_init(&b->d, b->mem, m, packed);
    if (b->fast) {
        b->fp.host.ops = &fast_ops;
        b->fp.host.ctx = &b->fp;
        b->fp.mem = b->mem;
        b->fp.gpa = GPA_BASE;
        b->fp.size = MEM_SIZE;
        host = &b->fp.host;
    } else {
        host = &b->g.host;
    }
    (void)memset(&b->v, 0, sizeof b->v);
    (void)memset(&cfg, 0, sizeof cfg);
    cfg.slots = b->v.slots;
    cfg.num_slots = QSIZE;
    err = avps_vq_init(&b->v.vq, host, &cfg);
    if (err == AVPS_OK) {
        ring = drv_ring(&b->d);
        err = avps_vq_enable(&b->v.vq, &ring);
    }
    for (unsigned int i = 0; i < MAXB; i++) {
        b->v.req[i].seg = b->v.seg[i];
        b->v.req[i].seg_max = MAXSEG;
    }
    if (err != AVPS_OK) {
        fprintf(stderr, "vq setup: %s\n", avps_strerror(err));
    }
    return err;
}

static int bench_check(const struct bench *b, const char *what)
{
    if ((b->d.bad != 0u) || (b->v.err != 0) || avps_vq_is_broken(&b->v.vq)) {
        fprintf(stderr, "%s: driver saw %llu bad completions, device error %s\n", what,
                (unsigned long long)b->d.bad, avps_strerror(b->v.err));
        return -1;
    }
    return 0;
}

/* ---- clocks, pinning, noise ---------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tick_begin(void)
{
#if BENCH_TSC
    _mm_lfence();
    return __rdtsc();
#else
    return now_ns();
#endif
}

static inline uint64_t tick_end(void)
{
#if BENCH_TSC
    unsigned int aux;
    const uint64_t t = __rdtscp(&aux);

    _mm_lfence();
    return t;
#else
    return now_ns();
#endif
}

static double ns_per_tick = 1.0;
static double tick_overhead; /* ticks of an empty bracket */

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a;
    const uint64_t y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a;
    const double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void calibrate_ticks(void)
{
    uint64_t s[2001];
    uint64_t t0;
    uint64_t n0;
    uint64_t t1;
    uint64_t n1;

#if BENCH_TSC
    n0 = now_ns();
    t0 = __rdtsc();
    while (now_ns() - n0 < 50000000ull) {
        cpu_relax();
    }
    n1 = now_ns();
    t1 = __rdtsc();
    ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
#else
    (void)t0;
    (void)n0;
    (void)t1;
    (void)n1;
#endif
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        const uint64_t a = tick_begin();
        const uint64_t b = tick_end();

        s[i] = b - a;
    }
    qsort(s, sizeof s / sizeof s[0], sizeof s[0], cmp_u64);
    tick_overhead = (double)s[1000];
}

static bool pin_to(size_t cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/* Busy jiffies of all CPUs not spent by this process (foreign load). */
struct load_mark {
    uint64_t busy;
    uint64_t self;
    uint64_t t;
};

static void load_sample(struct load_mark *m)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[10] = {0};
    unsigned long long ut = 0;
    unsigned long long st = 0;

    m->busy = 0;
    m->self = 0;
    m->t = now_ns();
    if (f != NULL) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8) {
            /* user nice system (idle) (iowait) irq softirq steal */
            m->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        }
        (void)fclose(f);
    }
    f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        char buf[1024];
        const size_t n = fread(buf, 1, sizeof buf - 1u, f);
        const char *p;

        buf[n] = '\0';
        p = strrchr(buf, ')');
        /* after "comm)": state ppid pgrp session tty tpgid flags minflt
         * cminflt majflt cmajflt utime stime */
        if ((p != NULL) &&
            (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) ==
             2)) {
            m->self = ut + st;
        }
        (void)fclose(f);
    }
}

static int ncpu = 1;

/* Foreign CPU use between two marks, in % of one CPU. */
static double load_foreign(const struct load_mark *a, const struct load_mark *b)
{
    const double hz = (double)sysconf(_SC_CLK_TCK);
    const double wall = (double)(b->t - a->t) / 1e9;
    double j = (double)(b->busy - a->busy) - (double)(b->self - a->self);

    if ((wall <= 0.0) || (hz <= 0.0)) {
        return 0.0;
    }
    if (j < 0.0) {
        j = 0.0;
    }
    return 100.0 * j / hz / wall;
}

/* ---- core-to-core ping-pong ---------------------------------------------- */

struct pp {
    _Alignas(64) _Atomic uint32_t ball;
    _Alignas(64) uint32_t iters;
    bool pinned;
};

static void *pp_thread(void *arg)
{
    struct pp *p = arg;

    p->pinned = pin_to(1);
    for (uint32_t i = 0; i < p->iters; i++) {
        unsigned int spins = 0;

        while (atomic_load_explicit(&p->ball, memory_order_acquire) != 2u * i + 1u) {
            cpu_relax();
            if (++spins > 100000u) {
                (void)sched_yield();
                spins = 0;
            }
        }
        atomic_store_explicit(&p->ball, 2u * i + 2u, memory_order_release);
    }
    return NULL;
}

/* One-way core-to-core latency (round trip / 2), median of 5 rounds. */
static double pingpong_ns(uint32_t iters)
{
    double r[5];

    for (int k = 0; k < 5; k++) {
        struct pp p;
        pthread_t th;
        uint64_t t0;
        uint64_t t1;

        atomic_init(&p.ball, 0u);
        p.iters = iters;
        if (pthread_create(&th, NULL, pp_thread, &p) != 0) {
            return -1.0;
        }
        (void)pin_to(0);
        t0 = now_ns();
        for (uint32_t i = 0; i < iters; i++) {
            unsigned int spins = 0;

            atomic_store_explicit(&p.ball, 2u * i + 1u, memory_order_release);
            while (atomic_load_explicit(&p.ball, memory_order_acquire) != 2u * i + 2u) {
                cpu_relax();
                if (++spins > 100000u) {
                    (void)sched_yield();
                    spins = 0;
                }
            }
        }
        t1 = now_ns();
        (void)pthread_join(th, NULL);
        r[k] = (double)(t1 - t0) / (double)iters / 2.0;
    }
    qsort(r, 5, sizeof r[0], cmp_dbl);
    return r[2];
}

/* ---- mode (a): one thread ------------------------------------------------ */

/* rounds of: add B, device round, reclaim B. Returns wall ns; with
 * dev_ticks, brackets the device's part and sums it (overhead removed). */
static bool st_ref; /* st_pass runs the reference device */

static int st_pass(struct bench *b, unsigned int B, uint64_t rounds, double *dev_ticks,
                   uint64_t *wall)
{
    double dt = 0.0;
    const uint64_t t0 = now_ns();

    for (uint64_t r = 0; r < rounds; r++) {
        unsigned int n;

        drv_add(&b->d, B);
        if (dev_ticks != NULL) {
            const uint64_t a = tick_begin();

            n = st_ref ? ref_round(&b->d, &b->rd, B) : dev_round(&b->v, B);
            dt += (double)(tick_end() - a) - tick_overhead;
        } else {
            n = st_ref ? ref_round(&b->d, &b->rd, B) : dev_round(&b->v, B);
        }
        if ((n != B) || (drv_reclaim(&b->d) != B)) {
            fprintf(stderr, "one-thread round %llu: device took %u of %u\n",
                    (unsigned long long)r, n, B);
            return -1;
        }
    }
    *wall = now_ns() - t0;
    if (dev_ticks != NULL) {
        *dev_ticks = dt;
    }
    return bench_check(b, "one thread");
}

/* ---- mode (b): two threads ----------------------------------------------- */

struct tt {
    struct bench *b;
    unsigned int B;
    uint64_t total;
    _Alignas(64) _Atomic int go;
    _Alignas(64) _Atomic int ready;
    bool pinned;
    bool ref;        /* the reference device instead of the engine */
    uint64_t rounds; /* device rounds that took chains */
    uint64_t touched;
};

static void *tt_device(void *arg)
{
    struct tt *t = arg;
    struct dev *v = &t->b->v;
    struct refdev rd = {0, 0, 1, 1, 0};
    uint64_t popped = 0;
    unsigned int spins = 0;

    t->pinned = pin_to(1);
    atomic_fetch_add(&t->ready, 1);
    while (atomic_load_explicit(&t->go, memory_order_acquire) == 0) {
        cpu_relax();
    }
    while ((popped < t->total) && (v->err == 0)) {
        const unsigned int n = t->ref ? ref_round(&t->b->d, &rd, t->B) : dev_round(v, t->B);

        popped += n;
        t->rounds += (n != 0u) ? 1u : 0u;
        if (n == 0u) {
            cpu_relax();
            if (++spins > 100000u) { /* one CPU only: let the driver run */
                (void)sched_yield();
                spins = 0;
            }
        }
    }
    t->touched = rd.touched;
    return NULL;
}

static bool tt_ref; /* tt_pass runs the reference device */

static int tt_pass(struct bench *b, unsigned int B, uint64_t total, uint64_t *wall, bool *pinned,
                   uint64_t *rounds)
{
    struct tt t;
    pthread_t th;
    uint64_t added = 0;
    uint64_t done = 0;
    uint64_t t0;
    unsigned int spins = 0;
    const uint32_t need = (uint32_t)B * b->d.need;
    bool p0;

    (void)memset(&t, 0, sizeof t);
    t.b = b;
    t.B = B;
    t.total = total;
    t.ref = tt_ref;
    atomic_init(&t.go, 0);
    atomic_init(&t.ready, 0);
    if (pthread_create(&th, NULL, tt_device, &t) != 0) {
        return -1;
    }
    p0 = pin_to(0);
    while (atomic_load(&t.ready) == 0) {
        cpu_relax();
    }
    t0 = now_ns();
    atomic_store_explicit(&t.go, 1, memory_order_release);
    while (done < total) {
        bool idle = true;
        const unsigned int got = drv_reclaim(&b->d);

        if (got != 0u) {
            done += got;
            idle = false;
        }
        if ((added < total) && (b->d.free >= need)) {
            const unsigned int k = (total - added < B) ? (unsigned int)(total - added) : B;

            drv_add(&b->d, k);
            added += k;
            idle = false;
        }
        if (b->d.bad != 0u || b->v.err != 0) {
            break;
        }
        if (idle) {
            cpu_relax();
            if (++spins > 100000u) {
                (void)sched_yield();
                spins = 0;
            }
        }
    }
    *wall = now_ns() - t0;
    (void)pthread_join(th, NULL);
    *pinned = p0 && t.pinned;
    if (rounds != NULL) {
        *rounds = t.rounds;
    }
    return bench_check(b, "two threads");
}

/* ---- statistics and reporting -------------------------------------------- */

struct stat3 {
    double med;
    double min;
    double max;
};

static struct stat3 stat_of(double *x, int n)
{
    struct stat3 s;

    qsort(x, (size_t)n, sizeof x[0], cmp_dbl);
    s.min = x[0];
    s.max = x[n - 1];
    s.med = (n % 2) ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2.0;
    return s;
}

struct opts {
    int runs;
    double pass_ms; /* one-thread pass length */
    double tt_ms;   /* two-thread pass length */
    bool smoke;
    bool fast_port;
    bool map_port; /* posix without translation windows */
    const char *instr_file;
    bool do_st;
    bool do_tt;
    unsigned int only_batch; /* 0 = every batch size */
};

#define MAXRUNS 64

struct instr_row {
    char layout[8];
    char mix[16];
    unsigned int batch;
    double dev;
};

static struct instr_row instr_rows[256];
static int n_instr;

static void load_instr(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];

    if (f == NULL) {
        return;
    }
    while ((n_instr < 256) && (fgets(line, sizeof line, f) != NULL)) {
        struct instr_row *r = &instr_rows[n_instr];

        if (sscanf(line, "%7s %15s %u %lf", r->layout, r->mix, &r->batch, &r->dev) == 4) {
            n_instr++;
        }
    }
    (void)fclose(f);
}

static double instr_of(const char *layout, const char *mix, unsigned int batch)
{
    for (int i = 0; i < n_instr; i++) {
        if ((strcmp(instr_rows[i].layout, layout) == 0) && (strcmp(instr_rows[i].mix, mix) == 0) &&
            (instr_rows[i].batch == batch)) {
            return instr_rows[i].dev;
        }
    }
    return -1.0;
}

/* Results kept for the target summary. */
static double st_dev_med[2][NMIX][NBATCH];
static double tt_med[2][NMIX][NBATCH];
static double tt_c2c[2][NMIX][NBATCH];

static const char *layout_name(int packed)
{
    return packed ? "packed" : "split";
}

static double ref_st_med[2][NBATCH];

static int run_st_config(struct bench *b, const struct opts *o, int packed, size_t mi, size_t bi)
{
    const struct mix *m = &mixes[mi];
    const unsigned int B = batches[bi];
    double dev[MAXRUNS];
    double tot[MAXRUNS];
    uint64_t rounds;
    uint64_t wall;
    double dt;
    struct load_mark l0;
    struct load_mark l1;
    double foreign;
    int attempt = 0;

    if (bench_setup(b, m, packed != 0) != AVPS_OK) {
        return -1;
    }
    /* Warm up and size the passes. */
    rounds = 4096u / B + 1u;
    if (st_pass(b, B, rounds, NULL, &wall) != 0) {
        return -1;
    }
    if (o->smoke) {
        rounds = 2048u / B + 1u;
    } else {
        const double per_round = (double)wall / (double)rounds;

        rounds = (uint64_t)(o->pass_ms * 1e6 / per_round) + 1u;
    }
    do {
        load_sample(&l0);
        for (int r = 0; r < o->runs; r++) {
            if (st_pass(b, B, rounds, NULL, &wall) != 0) {
                return -1;
            }
            tot[r] = (double)wall / (double)(rounds * B);
            if (st_pass(b, B, rounds, &dt, &wall) != 0) {
                return -1;
            }
            dev[r] = dt * ns_per_tick / (double)(rounds * B);
        }
        load_sample(&l1);
        foreign = load_foreign(&l0, &l1);
    } while (!o->smoke && (foreign > 10.0) && (++attempt < 3));
    {
        const struct stat3 sd = stat_of(dev, o->runs);
        const struct stat3 st = stat_of(tot, o->runs);
        const double ins = st_ref ? -1.0 : instr_of(layout_name(packed), m->name, B);
        char ibuf[32];

        if (ins >= 0.0) {
            (void)snprintf(ibuf, sizeof ibuf, "%.1f", ins);
        } else {
            (void)snprintf(ibuf, sizeof ibuf, "n/a");
        }
        if (st_ref) {
            ref_st_med[packed][bi] = sd.med;
        } else {
            st_dev_med[packed][mi][bi] = sd.med;
        }
        printf("| %s | %s | %u | **%.2f** [%.2f–%.2f] | %.0f | %.2f [%.2f–%.2f] | %.0f | %s | %.0f%%%s |\n",
               layout_name(packed), m->name, B, sd.med, sd.min, sd.max, 1e3 / sd.med, st.med,
               st.min, st.max, 1e3 / st.med, ibuf, foreign, (foreign > 10.0) ? " (disturbed)" : "");
        (void)fflush(stdout);
    }
    return 0;
}

/* The yardstick (c), measured inside run_tt_config()'s loop for 1-descriptor
 * chains, one reference pass after each engine pass: same regime. */
static double ref_med[2][NBATCH];
static double ref_min[2][NBATCH];
static double ref_max[2][NBATCH];
static double ref_c2c[2][NBATCH];
static double ref_foreign[2][NBATCH];

static int run_tt_config(struct bench *b, const struct opts *o, int packed, size_t mi, size_t bi)
{
    const struct mix *m = &mixes[mi];
    const unsigned int B = batches[bi];
    double x[MAXRUNS];
    double xr[MAXRUNS];
    double nb[MAXRUNS];
    uint64_t total;
    uint64_t wall;
    bool pinned = false;
    double c2c;
    double c2c_after;
    struct load_mark l0;
    struct load_mark l1;
    double foreign;
    int attempt = 0;

    total = o->smoke ? 4096u : 200000u;
    if (bench_setup(b, m, packed != 0) != AVPS_OK) {
        return -1;
    }
    if (tt_pass(b, B, total, &wall, &pinned, NULL) != 0) {
        return -1;
    }
    if (!o->smoke) {
        total = (uint64_t)(o->tt_ms * 1e6 / ((double)wall / (double)total)) + 1u;
    }
    do {
        c2c = pingpong_ns(o->smoke ? 200u : 20000u);
        load_sample(&l0);
        for (int r = 0; r < o->runs; r++) {
            if (bench_setup(b, m, packed != 0) != AVPS_OK) {
                return -1;
            }
            uint64_t rounds = 0;

            if (tt_pass(b, B, total, &wall, &pinned, &rounds) != 0) {
                return -1;
            }
            x[r] = (double)wall / (double)total;
            /* used-buffer notifications the device raised per batch it took */
            nb[r] = (rounds != 0u) ? (double)avps_vq_stats(&b->v.vq)->notified / (double)rounds
                                   : 0.0;
            if (mi == 0u) { /* the yardstick, right after, in the same regime */
                tt_ref = true;
                if ((bench_setup(b, m, packed != 0) != AVPS_OK) ||
                    (tt_pass(b, B, total, &wall, &pinned, NULL) != 0)) {
                    tt_ref = false;
                    return -1;
                }
                tt_ref = false;
                xr[r] = (double)wall / (double)total;
            }
        }
        load_sample(&l1);
        foreign = load_foreign(&l0, &l1);
        c2c_after = pingpong_ns(o->smoke ? 200u : 20000u);
    } while (!o->smoke && (foreign > 10.0) && (++attempt < 3));
    {
        const struct stat3 s = stat_of(x, o->runs);
        const struct stat3 sn = stat_of(nb, o->runs);

        if (mi == 0u) {
            const struct stat3 sr = stat_of(xr, o->runs);

            ref_med[packed][bi] = sr.med;
            ref_min[packed][bi] = sr.min;
            ref_max[packed][bi] = sr.max;
            ref_c2c[packed][bi] = c2c;
            ref_foreign[packed][bi] = foreign;
        }
        tt_med[packed][mi][bi] = s.med;
        tt_c2c[packed][mi][bi] = c2c;
        printf("| %s | %s | %u | **%.1f** [%.1f–%.1f] | %.1f | %.2f | %.0f / %.0f | %.0f%%%s%s |\n",
               layout_name(packed), m->name, B, s.med, s.min, s.max, 1e3 / s.med, sn.med, c2c,
               c2c_after, foreign, (foreign > 10.0) ? " (disturbed)" : "", pinned ? "" : " (not pinned)");
        (void)fflush(stdout);
    }
    return 0;
}

static const char *verdict(double v, double target)
{
    return (v <= target) ? "met" : "**missed**";
}


/* (c): the yardstick's row, measured by run_tt_config() with the 1d row. */
static void print_ref_row(int packed, size_t bi)
{
    const double med = ref_med[packed][bi];

    printf("| %s | 1d | %u | **%.1f** [%.1f–%.1f] | %.1f | %.0f | %.0f%% |\n", layout_name(packed),
           batches[bi], med, ref_min[packed][bi], ref_max[packed][bi], 1e3 / med,
           ref_c2c[packed][bi], ref_foreign[packed][bi]);
}

static void print_targets(const struct opts *o)
{
    const size_t b32 = NBATCH - 1u;

    printf("\n### Targets (reported, never enforced)\n\n");
    printf("| Target | Measured | Verdict |\n|---|---|---|\n");
    if (o->do_st) {
        for (int p = 0; p < 2; p++) {
            const double one = st_dev_med[p][0][b32];
            const double x2 = st_dev_med[p][1][b32] - one;
            const double x4 = (st_dev_med[p][2][b32] - one) / 3.0;
            const double xi = (st_dev_med[p][3][b32] - one) / 3.0;

            printf("| one thread, 1d, B=32, pop_n+push_n+notify ≤ 3 ns/chain (%s) | %.2f ns "
                   "(the minimal device: %.2f ns) | %s |\n",
                   layout_name(p), one, ref_st_med[p][b32], verdict(one, 3.0));
            printf("| ≤ 1.5 ns per extra descriptor, %s, 2d − 1d | %.2f ns | %s |\n",
                   layout_name(p), x2, verdict(x2, 1.5));
            printf("| ≤ 1.5 ns per extra descriptor, %s, (4d − 1d) / 3 | %.2f ns | %s |\n",
                   layout_name(p), x4, verdict(x4, 1.5));
            printf("| ≤ 1.5 ns per extra descriptor, %s, (ind4 − 1d) / 3 | %.2f ns | %s |\n",
                   layout_name(p), xi, verdict(xi, 1.5));
        }
    }
    if (o->do_tt) {
        for (int p = 0; p < 2; p++) {
            const double v = tt_med[p][0][b32];

            printf("| two threads, 1d, B=32 ≤ 7 ns/chain (%s) | %.1f ns (c2c one-way %.0f ns; "
                   "the minimal ring in this run: %.1f ns at %.0f ns) | %s |\n",
                   layout_name(p), v, tt_c2c[p][0][b32], ref_med[p][b32], ref_c2c[p][b32],
                   verdict(v, 7.0));
        }
    }
}

/* ---- --one: a fixed single-thread run for callgrind / perf --------------- */

static int run_one(struct bench *b, const char *spec, uint64_t chains)
{
    char layout[16];
    char mixn[16];
    unsigned int B = 0;
    const struct mix *m = NULL;
    uint64_t wall;

    if (sscanf(spec, "%15[^:]:%15[^:]:%u", layout, mixn, &B) != 3 || B == 0u || B > MAXB) {
        fprintf(stderr, "--one LAYOUT:MIX:BATCH, e.g. split:1d:32\n");
        return 2;
    }
    for (size_t i = 0; i < NMIX; i++) {
        if (strcmp(mixes[i].name, mixn) == 0) {
            m = &mixes[i];
        }
    }
    if (m == NULL || (strcmp(layout, "split") != 0 && strcmp(layout, "packed") != 0)) {
        fprintf(stderr, "unknown layout or mix in %s\n", spec);
        return 2;
    }
    if (bench_setup(b, m, strcmp(layout, "packed") == 0) != AVPS_OK) {
        return 1;
    }
    if (st_pass(b, B, chains / B, NULL, &wall) != 0) {
        return 1;
    }
    printf("chains %llu ns/chain %.2f (driver + device, one thread)\n",
           (unsigned long long)(chains / B * B), (double)wall / (double)(chains / B * B));
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: avps-vq-bench [--smoke] [--runs N] [--ms MS] [--tt-ms MS] [--port fast|map]\n"
            "                     [--only st|tt] [--batch 1|8|32] [--instr FILE] [--api pop|pop_n]\n"
            "       avps-vq-bench --one LAYOUT:MIX:BATCH [--chains N] [--port fast|map] [--api pop|pop_n]\n");
}

int main(int argc, char **argv)
{
    struct opts o = {7, 40.0, 150.0, false, false, false, NULL, true, true, 0u};
    const char *one = NULL;
    uint64_t chains = 100000u;
    struct bench *b;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

        if (strcmp(a, "--smoke") == 0) {
            o.smoke = true;
            o.runs = 2;
        } else if (strcmp(a, "--runs") == 0 && v != NULL) {
            o.runs = atoi(v);
            i++;
        } else if (strcmp(a, "--ms") == 0 && v != NULL) {
            o.pass_ms = atof(v);
            i++;
        } else if (strcmp(a, "--tt-ms") == 0 && v != NULL) {
            o.tt_ms = atof(v);
            i++;
        } else if (strcmp(a, "--api") == 0 && v != NULL) {
            api_pop1 = strcmp(v, "pop") == 0;
            i++;
        } else if (strcmp(a, "--port") == 0 && v != NULL) {
            o.fast_port = strcmp(v, "fast") == 0;
            o.map_port = strcmp(v, "map") == 0;
            i++;
        } else if (strcmp(a, "--only") == 0 && v != NULL) {
            o.do_st = strcmp(v, "st") == 0;
            o.do_tt = strcmp(v, "tt") == 0;
            i++;
        } else if (strcmp(a, "--batch") == 0 && v != NULL) {
            o.only_batch = (unsigned int)atoi(v);
            i++;
        } else if (strcmp(a, "--instr") == 0 && v != NULL) {
            o.instr_file = v;
            i++;
        } else if (strcmp(a, "--one") == 0 && v != NULL) {
            one = v;
            i++;
        } else if (strcmp(a, "--chains") == 0 && v != NULL) {
            chains = strtoull(v, NULL, 0);
            i++;
        } else {
            usage();
            return 2;
        }
    }
    if (o.runs < 1 || o.runs > MAXRUNS) {
        usage();
        return 2;
    }

    b = aligned_alloc(64, (sizeof *b + 63u) & ~(size_t)63u);
    if (b == NULL) {
        return 1;
    }
    (void)memset(b, 0, sizeof *b);
    b->mem = alloc_guest(&b->mem_kind);
    if (b->mem == NULL) {
        perror("guest memory");
        return 1;
    }
    b->fast = o.fast_port;
    avps_posix_init(&b->g);
    /* A production port (vhost-user, a hypervisor's) offers translation
     * windows; --port map measures the map-per-descriptor path. */
    avps_posix_set_window(&b->g, !o.map_port);
    if (avps_posix_add_region_ext(&b->g, GPA_BASE, MEM_SIZE, b->mem) != 0) {
        fprintf(stderr, "posix region\n");
        return 1;
    }
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

    if (one != NULL) {
        (void)pin_to(0);
        rc = run_one(b, one, chains);
        avps_posix_fini(&b->g);
        return rc;
    }
    if (o.instr_file != NULL) {
        load_instr(o.instr_file);
    }
    (void)pin_to(0);
    calibrate_ticks();

    printf("Queue size %u; guest memory: %s; port: %s; %d online CPUs; "
           "timer: %s (1 tick = %.3f ns, empty bracket %.0f ticks, subtracted); "
           "%d runs per row%s.\n",
           QSIZE, b->mem_kind,
           o.fast_port ? "bench-local one-compare port (--port fast)"
           : o.map_port ? "posix (ports/posix), map per descriptor (--port map)"
                        : "posix (ports/posix) with translation windows", ncpu,
           BENCH_TSC ? "lfence+rdtsc / rdtscp+lfence" : "clock_gettime", ns_per_tick,
           tick_overhead, o.runs, o.smoke ? " (SMOKE: tiny counts, numbers meaningless)" : "");
    printf("\nMixes:");
    for (size_t i = 0; i < NMIX; i++) {
        printf(" **%s** = %s%s", mixes[i].name, mixes[i].what, (i + 1u < NMIX) ? ";" : ".\n");
    }

    if (o.do_st) {
        printf("\n### (a) One thread, driver and device alternating (hot caches)\n\n");
        printf("Device = %s + avps_vq_push_n + avps_vq_notify, TSC-bracketed per "
               "round; drv+dev = the whole round, wall clock, separate unbracketed pass. "
               "ns/chain: median [min–max] of %d runs. Instr/chain: device only (callgrind).\n\n",
               api_pop1 ? "avps_vq_pop × B" : "avps_vq_pop_n (B chains)", o.runs);
        printf("| Layout | Mix | B | Device ns/chain | Device Mchains/s | Drv+dev ns/chain | "
               "Drv+dev Mchains/s | Device instr/chain | Foreign load |\n");
        printf("|---|---|---|---|---|---|---|---|---|\n");
        for (int p = 0; p < 2 && rc == 0; p++) {
            for (size_t mi = 0; mi < NMIX && rc == 0; mi++) {
                for (size_t bi = 0; bi < NBATCH && rc == 0; bi++) {
                    if ((o.only_batch != 0u) && (batches[bi] != o.only_batch)) {
                        continue;
                    }
                    rc = run_st_config(b, &o, p, mi, bi);
                }
            }
        }
    }
    if (o.do_st && rc == 0 && !o.fast_port && !api_pop1) {
        printf("\n### (a') The yardstick, one thread: a minimal device with no validation\n\n");
        printf("The same driver and rounds as (a) against ref_round() (see (c) below): "
               "1-descriptor chains; what a device costs that checks nothing and keeps no "
               "in-flight records.\n\n");
        printf("| Layout | Mix | B | Device ns/chain | Device Mchains/s | Drv+dev ns/chain | "
               "Drv+dev Mchains/s | Device instr/chain | Foreign load |\n");
        printf("|---|---|---|---|---|---|---|---|---|\n");
        st_ref = true;
        for (int p = 0; p < 2 && rc == 0; p++) {
            for (size_t bi = 0; bi < NBATCH && rc == 0; bi++) {
                if ((o.only_batch != 0u) && (batches[bi] != o.only_batch)) {
                    continue;
                }
                rc = run_st_config(b, &o, p, 0, bi);
            }
        }
        st_ref = false;
    }
    if (o.do_tt && rc == 0) {
        printf("\n### (b) Two threads: driver on CPU 0, device on CPU 1 (polling)\n\n");
        printf("ns/chain = wall time / chains, up to a full ring in flight; median [min–max] of "
               "%d runs. c2c = one-way core-to-core latency (ping-pong round trip / 2), measured "
               "just before / just after the row's runs. Notifications per batch: used-buffer "
               "notifications the device raised (avps_vq_notify() deciding to notify) per "
               "round that took chains. Without EVENT_IDX the driver leaves the suppression "
               "flags at 0, which asks for every one; with it (1d+EI) the driver re-arms "
               "used_event (split) or the event descriptor (packed) at every reclaim at 3/4 "
               "of what it has outstanding, as Linux's virtqueue_enable_cb_delayed() does, so "
               "under load a device that honours it notifies less than once per batch.\n\n",
               o.runs);
        printf("| Layout | Mix | B | ns/chain | Mchains/s | Notifications per batch | c2c ns (before / after) | Foreign load |\n");
        printf("|---|---|---|---|---|---|---|---|\n");
        for (int p = 0; p < 2 && rc == 0; p++) {
            for (size_t mi = 0; mi < NMIX && rc == 0; mi++) {
                for (size_t bi = 0; bi < NBATCH && rc == 0; bi++) {
                    if ((o.only_batch != 0u) && (batches[bi] != o.only_batch)) {
                        continue;
                    }
                    rc = run_tt_config(b, &o, p, mi, bi);
                }
            }
        }
        printf("\n### (c) The yardstick: a minimal device with no validation, two threads\n\n");
        printf("The same driver against a device that trusts every index and descriptor "
               "(bench/vq_bench.c ref_round(): read the entry and the descriptor, write the "
               "used entry, one index or first-flags store per round; no library code), "
               "1-descriptor chains: each of (b)'s 1d runs is followed by one run of this device "
               "on the same ring, so both see the same c2c regime. The engines' two-thread "
               "figures are to be read against this line.\n\n");
        printf("| Layout | Mix | B | ns/chain | Mchains/s | c2c ns (before) | Foreign load |\n");
        printf("|---|---|---|---|---|---|---|\n");
        for (int p = 0; p < 2 && rc == 0; p++) {
            for (size_t bi = 0; bi < NBATCH; bi++) {
                if ((o.only_batch != 0u) && (batches[bi] != o.only_batch)) {
                    continue;
                }
                print_ref_row(p, bi);
            }
        }
    }
    if ((rc == 0) && (o.only_batch == 0u || o.only_batch == MAXB)) {
        print_targets(&o);
    }
    avps_posix_fini(&b->g); /* the region is ours: b->mem stays mapped until exit */
    free(b);
    return rc == 0 ? 0 : 1;
}

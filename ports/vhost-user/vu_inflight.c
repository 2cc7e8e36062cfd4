/*
 * vhost-user inflight I/O tracking (vhost-user.rst, "Inflight I/O tracking").
 *
 * The region is an array of per-queue regions, one per queue the front-end
 * named in GET_INFLIGHT_FD, each a header and one record per ring entry:
 *
 *   split  (QueueRegionSplit):  u64 features, u16 version, u16 desc_num,
 *          u16 last_batch_head, u16 used_idx; then desc_num x 16-byte
 *          DescStateSplit {u8 inflight, u8 pad[5], u16 next, u64 counter}
 *   packed (QueueRegionPacked): u64 features, u16 version, u16 desc_num,
 *          u16 free_head, u16 old_free_head, u16 used_idx, u16 old_used_idx,
 *          u8 used_wrap_counter, u8 old_used_wrap_counter, u8 pad[7] (32 bytes
 *          with alignment); then desc_num x 32-byte DescStatePacked {u8
 *          inflight, u8 pad, u16 next, u16 last, u16 num, u64 counter, u16 id,
 *          u16 flags, u32 len, u64 addr}
 *
 * Each queue region starts on a 64-byte boundary. The ring engine tells us
 * every buffer it takes and returns (struct avps_vq_journal); we write the
 * records in the order the protocol prescribes, so a back-end killed at any
 * instant leaves a region the next one can repair. Packed free-list links are
 * mirrored in private memory: at run time we only ever write the shared
 * region, never act on what we read from it. When a ring starts we read the
 * region once, as peer data: every index is checked, and a region that does
 * not add up is logged and started afresh rather than trusted.
 */
#define _GNU_SOURCE
#include "vu_inflight.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/virtio/features.h>
#include <avps/virtio/ring.h>

#define NONE 0xffffu

/* split layout */
#define S_HDR 16u
#define S_ENT 16u
#define S_VERSION 8u
#define S_DESC_NUM 10u
#define S_LAST_BATCH 12u
#define S_USED_IDX 14u
#define SE_INFLIGHT 0u
#define SE_NEXT 6u
#define SE_COUNTER 8u

/* packed layout */
#define P_HDR 32u
#define P_ENT 32u
#define P_VERSION 8u
#define P_DESC_NUM 10u
#define P_FREE_HEAD 12u
#define P_OLD_FREE_HEAD 14u
#define P_USED_IDX 16u
#define P_OLD_USED_IDX 18u
#define P_USED_WRAP 20u
#define P_OLD_USED_WRAP 21u
#define PE_INFLIGHT 0u
#define PE_NEXT 2u
#define PE_LAST 4u
#define PE_NUM 6u
#define PE_COUNTER 8u
#define PE_ID 16u
#define PE_FLAGS 18u
#define PE_LEN 20u
#define PE_ADDR 24u

/* One queue's journal. */
struct vu_jq {
    struct avps_vu *vu;
    uint16_t qi;
    uint8_t *r;       /* the queue's region */
    uint16_t n;       /* records: the ring size */
    bool packed;
    /* packed: private mirror of the links */
    uint16_t *next;    /* record -> next record (free list or chain) */
    uint16_t *last;    /* head record -> last record of its chain */
    uint16_t *head_of; /* buffer id -> head record, NONE when not in flight */
    uint16_t free_head, old_free_head, npend, pend_last;
    bool broken;       /* ran out of records: stop journaling, say so once */
    /* resubmission list */
    struct avps_vq_resub *resub;
    uint32_t nresub;
};

static void jq_log(const struct vu_jq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jq_log(const struct vu_jq *q, const char *fmt, ...)
{
    const struct avps_vu *vu = q->vu;
    char line[256];
    int n;
    va_list ap;

    if (vu->cfg.log == NULL || vu->cfg.verbosity < 1)
        return;
    n = snprintf(line, sizeof line, "%s: queue %u: inflight: ",
                 vu->cfg.name != NULL ? vu->cfg.name : "vhost-user", q->qi);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    vu->cfg.log(vu->cfg.log_ctx, 1, line);
}

/* ---- region access: little-endian x86/arm hosts, naturally aligned ------ */

static uint16_t ld16(const uint8_t *p) { return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE); }
static uint64_t ld64(const uint8_t *p) { return __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_ACQUIRE); }
static uint8_t ld8(const uint8_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void st8(uint8_t *p, uint8_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static void st16(uint8_t *p, uint16_t v) { __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE); }
static void st32(uint8_t *p, uint32_t v) { __atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELEASE); }
static void st64(uint8_t *p, uint64_t v) { __atomic_store_n((uint64_t *)(void *)p, v, __ATOMIC_RELEASE); }

static uint8_t *s_ent(const struct vu_jq *q, uint16_t i) { return q->r + S_HDR + (size_t)i * S_ENT; }
static uint8_t *p_ent(const struct vu_jq *q, uint16_t i) { return q->r + P_HDR + (size_t)i * P_ENT; }

static uint64_t stride(bool packed, uint16_t qsize)
{
    const uint64_t b = packed ? P_HDR + (uint64_t)P_ENT * qsize : S_HDR + (uint64_t)S_ENT * qsize;

    return (b + 63u) & ~63ull;
}

static bool vu_is_packed(const struct avps_vu *vu)
{
    return (vu->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED)) != 0u;
}

/* ---- the journal: split ------------------------------------------------- */

static void sj_desc(void *ctx, uint16_t i, const struct avps_vq_desc *d)
{
    (void)ctx;
    (void)i;
    (void)d; /* split records need only the head */
}

static void sj_taken(void *ctx, uint16_t id, uint16_t ndesc)
{
    struct vu_jq *q = ctx;
    uint8_t *e;

    (void)ndesc;
    if (id >= q->n)
        return;
    e = s_ent(q, id);
    st64(e + SE_COUNTER, ++q->vu->inflight_counter);
    st8(e + SE_INFLIGHT, 1);
}

static void sj_abort(void *ctx)
{
    (void)ctx;
}

static void sj_used_begin(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                          uint8_t used_wrap)
{
    struct vu_jq *q = ctx;

    (void)used_idx;
    (void)used_wrap;
    for (size_t k = 0; k < n; k++) {
        if (u[k].id >= q->n)
            continue;
        st16(s_ent(q, u[k].id) + SE_NEXT, ld16(q->r + S_LAST_BATCH));
        st16(q->r + S_LAST_BATCH, u[k].id);
    }
}

static void sj_used_end(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                        uint8_t used_wrap)
{
    struct vu_jq *q = ctx;

    (void)used_wrap;
    for (size_t k = 0; k < n; k++) {
        if (u[k].id < q->n)
            st8(s_ent(q, u[k].id) + SE_INFLIGHT, 0);
    }
    st16(q->r + S_USED_IDX, used_idx);
}

static int sj_fetch(void *ctx, uint16_t id, uint16_t i, struct avps_vq_desc *d)
{
    (void)ctx;
    (void)id;
    (void)i;
    (void)d;
    return 0; /* split buffers come back from the descriptor table */
}

static const struct avps_vq_journal split_journal = {
    sj_desc, sj_taken, sj_abort, sj_used_begin, sj_used_end, sj_fetch,
};

/* ---- the journal: packed ------------------------------------------------ */

static void pj_desc(void *ctx, uint16_t i, const struct avps_vq_desc *d)
{
    struct vu_jq *q = ctx;
    uint16_t e;
    uint8_t *p;

    if (i == 0u) {
        q->free_head = q->old_free_head; /* a new chain: drop any partial one */
        q->npend = 0;
    }
    e = q->free_head;
    if (q->broken || e >= q->n) {
        if (!q->broken)
            jq_log(q, "out of records; no longer journaling this queue");
        q->broken = true;
        return;
    }
    p = p_ent(q, e);
    st64(p + PE_ADDR, d->addr);
    st32(p + PE_LEN, d->len);
    st16(p + PE_FLAGS, d->flags);
    st16(p + PE_ID, d->id);
    q->pend_last = e;
    q->npend++;
    q->free_head = q->next[e];
}

static void pj_taken(void *ctx, uint16_t id, uint16_t ndesc)
{
    struct vu_jq *q = ctx;
    const uint16_t head = q->old_free_head;
    uint8_t *p;

    if (q->broken || head >= q->n || id >= q->n || q->npend != ndesc || ndesc == 0u) {
        q->broken = true;
        return;
    }
    p = p_ent(q, head);
    st16(p + PE_NUM, ndesc);
    st16(p + PE_LAST, q->pend_last);
    st64(p + PE_COUNTER, ++q->vu->inflight_counter);
    st8(p + PE_INFLIGHT, 1);
    q->last[head] = q->pend_last;
    q->head_of[id] = head;
    q->old_free_head = q->free_head;
    st16(q->r + P_FREE_HEAD, q->free_head);
    st16(q->r + P_OLD_FREE_HEAD, q->old_free_head);
    q->npend = 0;
}

static void pj_abort(void *ctx)
{
    struct vu_jq *q = ctx;

    q->free_head = q->old_free_head;
    q->npend = 0;
}

static void pj_used_begin(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                          uint8_t used_wrap)
{
    struct vu_jq *q = ctx;

    if (q->broken)
        return;
    for (size_t k = 0; k < n; k++) {
        uint16_t head, last;

        if (u[k].id >= q->n || (head = q->head_of[u[k].id]) == NONE)
            continue; /* a malformed chain, never taken */
        last = q->last[head];
        q->next[last] = q->free_head;
        st16(p_ent(q, last) + PE_NEXT, q->free_head);
        q->free_head = head;
    }
    st16(q->r + P_FREE_HEAD, q->free_head);
    st16(q->r + P_USED_IDX, used_idx);
    st8(q->r + P_USED_WRAP, used_wrap);
}

static void pj_used_end(void *ctx, const struct avps_vq_used *u, size_t n, uint16_t used_idx,
                        uint8_t used_wrap)
{
    struct vu_jq *q = ctx;

    if (q->broken)
        return;
    for (size_t k = 0; k < n; k++) {
        uint16_t head;

        if (u[k].id >= q->n || (head = q->head_of[u[k].id]) == NONE)
            continue;
        st8(p_ent(q, head) + PE_INFLIGHT, 0);
        q->head_of[u[k].id] = NONE;
    }
    q->old_free_head = q->free_head;
    st16(q->r + P_OLD_FREE_HEAD, q->old_free_head);
    st16(q->r + P_OLD_USED_IDX, used_idx);
    st8(q->r + P_OLD_USED_WRAP, used_wrap);
}

/* Descriptor i of buffer id, as recorded. The record is peer memory: the
 * engine checks what we give it like ring data. */
static int pj_fetch(void *ctx, uint16_t id, uint16_t i, struct avps_vq_desc *d)
{
    struct vu_jq *q = ctx;
    uint16_t e;
    uint8_t *p;

    if (id >= q->n || (e = q->head_of[id]) == NONE)
        return 0;
    for (uint16_t k = 0; k < i; k++) {
        if (e == q->last[q->head_of[id]])
            return 0;
        e = q->next[e];
        if (e >= q->n)
            return 0;
    }
    p = p_ent(q, e);
    memcpy(&d->addr, p + PE_ADDR, 8);
    memcpy(&d->len, p + PE_LEN, 4);
    memcpy(&d->flags, p + PE_FLAGS, 2);
    memcpy(&d->id, p + PE_ID, 2);
    return 1;
}

static const struct avps_vq_journal packed_journal = {
    pj_desc, pj_taken, pj_abort, pj_used_begin, pj_used_end, pj_fetch,
};

/* ---- region management -------------------------------------------------- */

static void jq_free(struct vu_jq *q);

void vu_inflight_detach(struct avps_vu *vu, uint16_t i, struct avps_vq *vq)
{
    if (vq != NULL)
        (void)avps_vq_set_journal(vq, NULL, NULL);
    jq_free(vu->q[i].jr);
    vu->q[i].jr = NULL;
}

static void jq_free(struct vu_jq *q)
{
    if (q == NULL)
        return;
    free(q->next);
    free(q->last);
    free(q->head_of);
    free(q->resub);
    free(q);
}

void vu_inflight_unmap(struct avps_vu *vu)
{
    for (uint16_t i = 0; i < AVPS_VU_MAX_QUEUES; i++) {
        if (vu->q[i].jr != NULL)
            vu_inflight_detach(vu, i, (vu->dev != NULL && i < vu->nq) ? avps_dev_vq(vu->dev, i)
                                                                       : NULL);
    }
    if (vu->inflight != NULL)
        munmap(vu->inflight, (size_t)vu->inflight_size);
    vu->inflight = NULL;
    vu->inflight_size = 0;
    vu->inflight_nq = 0;
    vu->inflight_qsize = 0;
    vu->inflight_stride = 0;
}

/* Map a region of nq queue regions of stride bytes each. */
static int map_region(struct avps_vu *vu, int fd, uint64_t size, uint16_t nq, uint64_t qstride)
{
    const bool packed = vu_is_packed(vu);
    const uint64_t hdr = packed ? P_HDR : S_HDR;
    const uint64_t ent = packed ? P_ENT : S_ENT;
    uint64_t cap;
    void *p;

    if (qstride < hdr + ent)
        return AVPS_E_GUEST_STATE;
    cap = (qstride - hdr) / ent;
    p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return AVPS_E_IO;
    vu_inflight_unmap(vu);
    vu->inflight = p;
    vu->inflight_size = size;
    vu->inflight_nq = nq;
    vu->inflight_stride = qstride;
    vu->inflight_qsize = (uint16_t)(cap > 32768u ? 32768u : cap);
    vu->inflight_packed = packed;
    return 0;
}

static int check_geometry(const struct avps_vu *vu, const struct avps_vu_inflight *in)
{
    if (in->num_queues == 0u || in->num_queues > vu->nq || in->queue_size == 0u ||
        in->queue_size > 32768u)
        return AVPS_E_GUEST_STATE;
    return 0;
}

int vu_inflight_get(struct avps_vu *vu, const struct avps_vu_inflight *in,
                    struct avps_vu_inflight *out, int *fd)
{
    uint16_t cap = in->queue_size;
    uint64_t qstride, size;
    int err = check_geometry(vu, in);
    int f;

    *fd = -1;
    if (err != 0)
        return err;
    /* Room for the largest ring the device accepts, not only the size the
     * front-end names: QEMU's virtio-mmio lets the guest pick up to 1024
     * entries while vhost-user-blk asks for its queue-size (128). */
    for (uint16_t i = 0; i < in->num_queues; i++) {
        const uint16_t m = avps_dev_queue_size_max(vu->dev, i);

        if (m > cap)
            cap = m;
    }
    qstride = stride(vu_is_packed(vu), cap);
    size = qstride * in->num_queues;
    f = memfd_create("avps-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (f < 0)
        return AVPS_E_IO;
    /* Zero-filled: version 0 marks every queue region as new. */
    if (ftruncate(f, (off_t)size) != 0 || map_region(vu, f, size, in->num_queues, qstride) != 0) {
        close(f);
        return AVPS_E_IO;
    }
    (void)fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK);
    memset(out, 0, sizeof *out);
    out->mmap_size = size;
    out->mmap_offset = 0;
    out->num_queues = in->num_queues;
    out->queue_size = in->queue_size;
    *fd = f;
    return 0;
}

/* The front-end hands back what GET_INFLIGHT_FD made: the queue regions are
 * mmap_size / num_queues bytes each (64-byte multiples), whatever queue size
 * it names. */
int vu_inflight_set(struct avps_vu *vu, const struct avps_vu_inflight *in, int fd)
{
    struct stat sb;
    uint64_t qstride = 0;
    int err = check_geometry(vu, in);

    if (err == 0) {
        qstride = (in->mmap_size / in->num_queues) & ~63ull;
        if (in->mmap_offset != 0u || in->mmap_size > (1ull << 32) ||
            qstride < stride(vu_is_packed(vu), in->queue_size) || fstat(fd, &sb) != 0 ||
            (uint64_t)sb.st_size < in->mmap_size)
            err = AVPS_E_GUEST_STATE;
    }
    if (err == 0)
        err = map_region(vu, fd, in->mmap_size, in->num_queues, qstride);
    close(fd); /* the mapping keeps the memory */
    return err;
}

void vu_inflight_forget(struct avps_vu *vu)
{
    if (vu->inflight != NULL)
        memset(vu->inflight, 0, (size_t)vu->inflight_size);
}

/* ---- starting a queue: read the region back ----------------------------- */

struct by_counter {
    uint64_t counter;
    uint16_t id, ndesc;
};

static int cmp_counter(const void *a, const void *b)
{
    const struct by_counter *x = a, *y = b;

    if (x->counter != y->counter)
        return x->counter < y->counter ? -1 : 1;
    return x->id < y->id ? -1 : (x->id > y->id);
}

static void fresh_split(struct vu_jq *q, uint16_t used)
{
    memset(q->r, 0, S_HDR + (size_t)S_ENT * q->n);
    st16(q->r + S_DESC_NUM, q->n);
    st16(q->r + S_USED_IDX, used);
    st16(q->r + S_VERSION, 1);
}

/* Split: repair the last batch, then list the heads in flight by counter.
 * Returns the count, or -1 when the region does not add up. */
static int recover_split(struct vu_jq *q, uint16_t used, struct by_counter *tmp)
{
    uint16_t rused = ld16(q->r + S_USED_IDX);
    int n = 0;

    if (rused != used) {
        /* The last batch reached the ring but its records were not cleared. */
        const uint16_t batch = (uint16_t)(used - rused);
        uint16_t h = ld16(q->r + S_LAST_BATCH);

        if (batch > q->n)
            return -1;
        for (uint16_t k = 0; k < batch; k++) {
            if (h >= q->n)
                return -1;
            st8(s_ent(q, h) + SE_INFLIGHT, 0);
            h = ld16(s_ent(q, h) + SE_NEXT);
        }
        st16(q->r + S_USED_IDX, used);
    }
    for (uint16_t id = 0; id < q->n; id++) {
        const uint8_t f = ld8(s_ent(q, id) + SE_INFLIGHT);

        if (f > 1u)
            return -1;
        if (f == 1u) {
            tmp[n].counter = ld64(s_ent(q, id) + SE_COUNTER);
            tmp[n].id = id;
            tmp[n].ndesc = 1;
            n++;
        }
    }
    return n;
}

static void rebuild_free_list(struct vu_jq *q, const uint8_t *taken)
{
    uint16_t prev = NONE, first = NONE;

    for (uint16_t e = 0; e < q->n; e++) {
        if (taken[e] == 1u)
            continue;
        if (prev == NONE)
            first = e;
        else {
            q->next[prev] = e;
            st16(p_ent(q, prev) + PE_NEXT, e);
        }
        st8(p_ent(q, e) + PE_INFLIGHT, 0);
        prev = e;
    }
    if (prev != NONE) {
        q->next[prev] = NONE;
        st16(p_ent(q, prev) + PE_NEXT, NONE);
    }
    q->free_head = q->old_free_head = first;
    st16(q->r + P_FREE_HEAD, first);
    st16(q->r + P_OLD_FREE_HEAD, first);
}

static void fresh_packed(struct vu_jq *q, uint16_t used_pos)
{
    uint8_t *none = calloc(q->n, 1);

    memset(q->r, 0, P_HDR + (size_t)P_ENT * q->n);
    st16(q->r + P_DESC_NUM, q->n);
    st16(q->r + P_USED_IDX, used_pos & 0x7fffu);
    st16(q->r + P_OLD_USED_IDX, used_pos & 0x7fffu);
    st8(q->r + P_USED_WRAP, (uint8_t)(used_pos >> 15));
    st8(q->r + P_OLD_USED_WRAP, (uint8_t)(used_pos >> 15));
    if (none != NULL)
        rebuild_free_list(q, none);
    free(none);
    for (uint16_t id = 0; id < q->n; id++)
        q->head_of[id] = NONE;
    st16(q->r + P_VERSION, 1);
}

/* Packed: settle a half-done update, list the chains in flight by counter,
 * and rebuild the free list from what is left. *used_pos is the used
 * position (index | wrap << 15). Returns the count, or -1. */
static int recover_packed(struct vu_jq *q, struct avps_vu *vu, uint64_t desc_gpa,
                          struct by_counter *tmp, uint16_t *used_pos)
{
    const uint8_t uw = ld8(q->r + P_USED_WRAP), ow = ld8(q->r + P_OLD_USED_WRAP);
    uint16_t used = ld16(q->r + P_USED_IDX), old_used = ld16(q->r + P_OLD_USED_IDX);
    uint8_t *taken = calloc(q->n, 1);
    int n = 0;

    if (taken == NULL)
        return -1;
    if (used >= q->n || old_used >= q->n || uw > 1u || ow > 1u)
        goto bad;
    used = (uint16_t)(used | (uint16_t)((uint16_t)uw << 15));
    old_used = (uint16_t)(old_used | (uint16_t)((uint16_t)ow << 15));
    if (used != old_used) {
        /* Did the batch's first used descriptor reach the ring? Its flags
         * still look available (for the old wrap) if it did not. */
        const uint16_t pos = old_used & 0x7fffu;
        const uint8_t w = (uint8_t)(old_used >> 15);
        const uint16_t avail_flags = (uint16_t)(w ? AVPS_VRING_PACKED_DESC_F_AVAIL
                                                  : AVPS_VRING_PACKED_DESC_F_USED);
        const uint8_t *d = vu_gpa_ptr_(vu, desc_gpa + 16u * pos + 14u, 2u);
        uint16_t flags;

        if (d == NULL)
            goto bad;
        flags = (uint16_t)(((unsigned int)d[0] | ((unsigned int)d[1] << 8)) &
                           (AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED));
        if (flags != avail_flags) {
            /* published: commit */
            st16(q->r + P_OLD_FREE_HEAD, ld16(q->r + P_FREE_HEAD));
            st16(q->r + P_OLD_USED_IDX, used & 0x7fffu);
            st8(q->r + P_OLD_USED_WRAP, (uint8_t)(used >> 15));
            old_used = used;
        }
    }
    *used_pos = old_used;
    /* Roll back to the committed free list; what is on it is not in flight
     * (a batch used just before the crash went back to it). Bounded: each
     * record is visited once. */
    for (uint16_t e = ld16(q->r + P_OLD_FREE_HEAD), k = 0; e < q->n && k < q->n; k++) {
        if (taken[e])
            break;
        taken[e] = 2; /* free */
        e = ld16(p_ent(q, e) + PE_NEXT);
    }
    /* Chains in flight: heads flagged, num entries linked through next. The
     * free list is then rebuilt from whatever no chain holds. */
    for (uint16_t e = 0; e < q->n; e++) {
        const uint8_t f = ld8(p_ent(q, e) + PE_INFLIGHT);
        uint16_t num, k, x, id;

        if (f == 0u || taken[e] == 2u)
            continue;
        if (f > 1u)
            goto bad;
        num = ld16(p_ent(q, e) + PE_NUM);
        if (num == 0u || num > q->n)
            goto bad;
        for (k = 0, x = e;; k++) {
            if (x >= q->n || taken[x] == 1u)
                goto bad;
            taken[x] = 1;
            if (k + 1u == num)
                break;
            q->next[x] = ld16(p_ent(q, x) + PE_NEXT);
            x = q->next[x];
        }
        if (ld16(p_ent(q, e) + PE_LAST) != x)
            goto bad;
        id = ld16(p_ent(q, x) + PE_ID); /* the buffer id is the last one's */
        if (id >= q->n || q->head_of[id] != NONE)
            goto bad;
        q->head_of[id] = e;
        q->last[e] = x;
        tmp[n].counter = ld64(p_ent(q, e) + PE_COUNTER);
        tmp[n].id = id;
        tmp[n].ndesc = num;
        n++;
    }
    rebuild_free_list(q, taken);
    st16(q->r + P_USED_IDX, old_used & 0x7fffu);
    st8(q->r + P_USED_WRAP, (uint8_t)(old_used >> 15));
    free(taken);
    return n;
bad:
    free(taken);
    for (uint16_t id = 0; id < q->n; id++)
        q->head_of[id] = NONE;
    return -1;
}

int vu_inflight_prepare(struct avps_vu *vu, uint16_t i, struct avps_vq *vq, uint16_t size,
                        uint64_t desc_gpa, struct avps_vq_state *st)
{
    const bool packed = vu_is_packed(vu);
    struct vu_jq *q;
    struct by_counter *tmp;
    int n;

    vu_inflight_detach(vu, i, vq);
    if (vu->inflight == NULL || i >= vu->inflight_nq)
        return -1;
    if (size > vu->inflight_qsize || packed != vu->inflight_packed ||
        vu->inflight_stride * (i + 1u) > vu->inflight_size) {
        vu_log_(vu, 0, "queue %u: inflight region holds %u entries (%s), the ring has %u (%s)",
                i, vu->inflight_qsize, vu->inflight_packed ? "packed" : "split", size,
                packed ? "packed" : "split");
        return -1;
    }
    q = calloc(1, sizeof *q);
    tmp = calloc(size, sizeof *tmp);
    if (q == NULL || tmp == NULL) {
        free(q);
        free(tmp);
        return -1;
    }
    q->vu = vu;
    q->qi = i;
    q->r = vu->inflight + vu->inflight_stride * i;
    q->n = size;
    q->packed = packed;
    q->resub = calloc(size, sizeof *q->resub);
    if (packed) {
        q->next = calloc(size, sizeof *q->next);
        q->last = calloc(size, sizeof *q->last);
        q->head_of = malloc(size * sizeof *q->head_of);
    }
    if (q->resub == NULL || (packed && (q->next == NULL || q->last == NULL || q->head_of == NULL))) {
        free(tmp);
        jq_free(q);
        return -1;
    }
    if (packed) {
        uint16_t used_pos = (uint16_t)(st->used_idx | (uint16_t)((uint16_t)st->used_wrap << 15));

        for (uint16_t id = 0; id < size; id++)
            q->head_of[id] = NONE;
        if (ld16(q->r + P_VERSION) == 0u) {
            fresh_packed(q, used_pos);
            n = 0;
        } else if (ld16(q->r + P_DESC_NUM) != size ||
                   (n = recover_packed(q, vu, desc_gpa, tmp, &used_pos)) < 0) {
            vu_log_(vu, 0, "queue %u: inflight region inconsistent; starting it afresh", i);
            fresh_packed(q, used_pos);
            n = 0;
        }
        st->used_idx = used_pos & 0x7fffu;
        st->used_wrap = (uint8_t)(used_pos >> 15);
    } else {
        if (ld16(q->r + S_VERSION) == 0u) {
            fresh_split(q, st->used_idx);
            n = 0;
        } else if (ld16(q->r + S_DESC_NUM) != size ||
                   (n = recover_split(q, st->used_idx, tmp)) < 0) {
            vu_log_(vu, 0, "queue %u: inflight region inconsistent; starting it afresh", i);
            fresh_split(q, st->used_idx);
            n = 0;
        }
    }
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_counter);
    for (int k = 0; k < n; k++) {
        q->resub[k].id = tmp[k].id;
        q->resub[k].ndesc = tmp[k].ndesc;
        if (tmp[k].counter >= vu->inflight_counter)
            vu->inflight_counter = tmp[k].counter;
    }
    free(tmp);
    q->nresub = (uint32_t)n;
    st->last_avail = st->used_idx;
    st->avail_wrap = st->used_wrap;
    st->inflight = 0;
    if (avps_vq_set_journal(vq, packed ? &packed_journal : &split_journal, q) != AVPS_OK) {
        jq_free(q);
        return -1;
    }
    vu->q[i].jr = q;
    jq_log(q, "%s region, used position %u, %d buffer(s) in flight to resubmit",
           packed ? "packed" : "split", st->used_idx, n);
    return n;
}

int vu_inflight_resubmit(struct avps_vu *vu, uint16_t i, struct avps_vq *vq)
{
    struct vu_jq *q = vu->q[i].jr;

    if (q == NULL || q->nresub == 0u)
        return 0;
    return avps_vq_resubmit(vq, q->resub, q->nresub);
}

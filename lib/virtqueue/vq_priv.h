/*
 * lib/virtqueue internal interface, shared by the common code (vq.c) and the
 * two layout engines (split.c, packed.c). One hostile-driver policy serves
 * both layouts: the chain walker below applies every per-descriptor rule.
 */
#ifndef AVPS_VQ_PRIV_H
#define AVPS_VQ_PRIV_H

#include <avps/virtio/features.h>
#include <avps/virtio/ring.h>
#include <avps/virtqueue.h>

#include "../core/core_priv.h"

/* Ring areas, the index of ring_hva[], ring_span[] and ring_gpa[]. */
#define AVPS_VQ_AREA_DESC 0u
#define AVPS_VQ_AREA_DRIVER 1u
#define AVPS_VQ_AREA_DEVICE 2u

/* Which optional port ops exist, read once at avps_vq_init(): the ring paths
 * test one bit in the queue instead of chasing host -> ops -> function. */
#define AVPS_VQ_CAP_INVAL 0x1u
#define AVPS_VQ_CAP_CLEAN 0x2u
#define AVPS_VQ_CAP_DIRTY 0x4u
#define AVPS_VQ_CAP_WINDOW 0x8u

static inline void avps_vq_inval_(const struct avps_vq *vq, const void *p, uint64_t len)
{
    if ((vq->caps & AVPS_VQ_CAP_INVAL) != 0u) {
        avps_cache_inval_(vq->host, p, len);
    }
}

static inline void avps_vq_clean_(const struct avps_vq *vq, const void *p, uint64_t len)
{
    if ((vq->caps & AVPS_VQ_CAP_CLEAN) != 0u) {
        avps_cache_clean_(vq->host, p, len);
    }
}

static inline void avps_vq_dirty_(const struct avps_vq *vq, uint64_t gpa, uint64_t len)
{
    if ((vq->caps & AVPS_VQ_CAP_DIRTY) != 0u) {
        avps_dirty_(vq->host, gpa, len);
    }
}

/* Outcome of taking one chain, beyond the public return codes. */
#define AVPS_VQ_DROPPED_ 2 /* a malformed chain was returned with length 0 */
#define AVPS_VQ_PASSED_ 3  /* a resubmission entry was passed over */

/* State of one chain walk. */
struct avps_walk_ {
    struct avps_vq *vq;
    struct avps_vq_req *req; /* receives segments, totals and the id */
    uint32_t visited;        /* buffer descriptors seen, zero-length included */
    uint32_t nseg;           /* segments filled */
    uint64_t rd_len;
    uint64_t wr_len;
    int err;                 /* first recoverable guest error, or 0 */
    uint64_t err_val;        /* its detail value */
    bool writing;            /* a device-writable descriptor was seen */
    bool nospc;              /* req->seg is full; translation stopped */
    bool translate;          /* false when skipping: check, do not map */
    bool journal;            /* tell the journal (not for resubmitted buffers) */
};

/* A journal is attached (never, when the build leaves journals out). */
static inline bool avps_vq_journal_on_(const struct avps_vq *vq)
{
#if AVPS_CONFIG_ENABLE_JOURNAL
    return vq->jr != NULL;
#else
    (void)vq;
    return false;
#endif
}

/* Buffers from avps_vq_resubmit() are still to be taken. */
static inline bool avps_vq_resub_pending_(const struct avps_vq *vq)
{
#if AVPS_CONFIG_ENABLE_JOURNAL
    return vq->resub_pos < vq->resub_n;
#else
    (void)vq;
    return false;
#endif
}

/* Once the chain is known (split: the head; packed: the id), what to do. */
struct avps_chain_ {
    uint16_t id;
    uint16_t ndesc; /* ring entries the chain used (packed); 1 for split */
};

static inline void avps_walk_init_(struct avps_walk_ *w, struct avps_vq *vq,
                                   struct avps_vq_req *req, bool skip)
{
    (void)AVPS_MEMSET(w, 0, sizeof *w);
    req->n_rd = 0;
    req->n_wr = 0;
    req->rd_len = 0;
    req->wr_len = 0;
    w->vq = vq;
    w->req = req;
    w->translate = !skip;
    w->journal = avps_vq_journal_on_(vq);
}

/* Record the first recoverable guest error of this chain. */
static inline void avps_walk_error_(struct avps_walk_ *w, int err, uint64_t val)
{
    if (w->err == 0) {
        w->err = err;
        w->err_val = val;
    }
}

int avps_walk_map_(struct avps_walk_ *w, uint64_t addr, uint32_t len, bool write);

/* Append one segment, or note that the caller's array is full. */
static inline void avps_walk_seg_(struct avps_walk_ *w, void *base, uint64_t gpa, uint32_t len,
                                  bool write)
{
    struct avps_vq_req *req = w->req;

    if (w->nseg >= req->seg_max) {
        w->nospc = true;
        return;
    }
    req->seg[w->nseg].base = base;
    req->seg[w->nseg].gpa = gpa;
    req->seg[w->nseg].len = len;
    w->nseg++;
    if (write) {
        req->n_wr++;
    } else {
        req->n_rd++;
    }
}

/* [gpa, gpa + len) lies inside the queue's translation window for access. */
static inline bool avps_vq_in_window_(const struct avps_vq *vq, uint64_t gpa, uint64_t len,
                                      unsigned int access)
{
    return ((access & ~vq->win_access) == 0u) && (len <= vq->win_len) &&
           ((gpa - vq->win_addr) <= (vq->win_len - len));
}

/* Every per-descriptor rule, for a buffer descriptor of either layout: the
 * visit bound, the order of readable and writable parts, the 32-bit total,
 * then translation (inside the queue's translation window here; anything
 * else in avps_walk_map_()). Returns AVPS_OK or the guest error it recorded. */
static inline int avps_walk_buf_inl_(struct avps_walk_ *w, uint64_t addr, uint32_t len,
                                     bool write)
{
    struct avps_vq *vq = w->vq;

    /* Every descriptor counts, zero-length ones included (CVE-2016-6490). */
    if (++w->visited > vq->size) {
        avps_walk_error_(w, AVPS_E_GUEST_LOOP, w->visited);
        return AVPS_E_GUEST_LOOP;
    }
    /* §2.7.4.2: device-writable elements come after device-readable ones. */
    if (!write && w->writing) {
        avps_walk_error_(w, AVPS_E_GUEST_DESC, addr);
        return AVPS_E_GUEST_DESC;
    }
    w->writing = w->writing || write;
    /* §2.7.5: the chain's total stays below 2^32 bytes. */
    if ((uint64_t)len > ((uint64_t)UINT32_MAX - w->rd_len - w->wr_len)) {
        avps_walk_error_(w, AVPS_E_GUEST_RANGE, len);
        return AVPS_E_GUEST_RANGE;
    }
    if (write) {
        w->wr_len += len;
    } else {
        w->rd_len += len;
    }
    if (!w->translate || w->nospc || (len == 0u)) {
        return AVPS_OK; /* skipping, counting only, or nothing to translate */
    }
    /* The port's translation window: a range inside it needs no map call. */
    if (((vq->caps & AVPS_VQ_CAP_WINDOW) != 0u) &&
        avps_vq_in_window_(vq, addr, len,
                           vq->access | (write ? AVPS_ACCESS_WRITE : AVPS_ACCESS_READ))) {
        avps_walk_seg_(w, &vq->win_hva[addr - vq->win_addr], addr, len, write);
        return AVPS_OK;
    }
    return avps_walk_map_(w, addr, len, write);
}

/* The same, out of line (vq.c): one copy for builds without fast paths. */
int avps_walk_buf_out_(struct avps_walk_ *w, uint64_t addr, uint32_t len, bool write);

static inline int avps_walk_buf_(struct avps_walk_ *w, uint64_t addr, uint32_t len, bool write)
{
#if AVPS_CONFIG_FAST_PATHS
    return avps_walk_buf_inl_(w, addr, len, write);
#else
    return avps_walk_buf_out_(w, addr, len, write);
#endif
}

/* Register a checked chain in flight and finish the request's totals. */
static inline int avps_vq_take_slot_(struct avps_vq *vq, struct avps_vq_req *req, uint16_t id,
                                     uint16_t ndesc, uint32_t rd_len, uint32_t wr_len)
{
    struct avps_vq_slot *slot = &vq->slots[id];

    slot->ndesc = ndesc;
    slot->wr_len = wr_len;
    slot->seq = (vq->in_order != 0u) ? vq->pop_seq : 0u;
    vq->pop_seq++;
    vq->inflight++;
    vq->inflight_desc = (uint16_t)(vq->inflight_desc + ndesc);
    vq->stats.popped++;
    req->id = id;
    req->rd_len = rd_len;
    req->wr_len = wr_len;
    return 1;
}

/* The tight loops' fill for one single direct descriptor inside the window:
 * the request (one segment) and the in-flight record of buffer id. */
static inline void avps_vq_fill_one_(struct avps_vq_req *req, struct avps_vq_slot *slot,
                                     uint16_t id, uint8_t *hva, uint64_t addr, uint32_t len,
                                     bool write, uint16_t seq)
{
    req->seg[0].base = hva;
    req->seg[0].gpa = addr;
    req->seg[0].len = len;
    req->id = id;
    slot->ndesc = 1u;
    slot->seq = seq;
    if (write) {
        req->n_rd = 0u;
        req->n_wr = 1u;
        req->rd_len = 0u;
        req->wr_len = len;
        slot->wr_len = len;
    } else {
        req->n_rd = 1u;
        req->n_wr = 0u;
        req->rd_len = len;
        req->wr_len = 0u;
        slot->wr_len = 0u;
    }
}

/* avps_vq_pop_n() may take single direct descriptors in its tight loop: the
 * queue has a translation window granted both ways and no cache maintenance
 * to do on reads. */
static inline bool avps_vq_tight_(const struct avps_vq *vq)
{
#if AVPS_CONFIG_FAST_PATHS
    const unsigned int both = vq->access | AVPS_ACCESS_READ | AVPS_ACCESS_WRITE;

    return ((vq->caps & (AVPS_VQ_CAP_WINDOW | AVPS_VQ_CAP_INVAL)) == AVPS_VQ_CAP_WINDOW) &&
           ((both & ~vq->win_access) == 0u);
#else
    (void)vq;
    return false;
#endif
}

/* n buffers holding ndesc ring entries were returned (their slots already
 * cleared by the caller). */
static inline void avps_vq_released_(struct avps_vq *vq, uint32_t n, uint32_t ndesc)
{
    vq->inflight = (uint16_t)(vq->inflight - n);
    vq->inflight_desc = (uint16_t)(vq->inflight_desc - ndesc);
    vq->done_seq = (uint16_t)(vq->done_seq + n);
    vq->stats.pushed += n;
}

int avps_walk_indirect_(struct avps_walk_ *w, uint64_t addr, uint32_t len,
                        bool packed);
void avps_walk_release_(struct avps_walk_ *w);

/* Enable with the ring and restore st, keeping the slot array's in-flight
 * set (device-level restore). On failure the queue is reset. */
int avps_vq_restart_(struct avps_vq *vq, const struct avps_vq_ring *ring,
                     const struct avps_vq_state *st);

/* Sticky broken state (NEEDS_RESET): report, call the owner, return err. */
int avps_vq_fail_(struct avps_vq *vq, int err, uint16_t id, uint64_t val);

/* Finish one walked chain: register it in flight, or drop or refuse it.
 * Returns 1, AVPS_VQ_DROPPED_, AVPS_E_NOSPC or a fatal error. */
int avps_vq_finish_chain_(struct avps_vq *vq, struct avps_walk_ *w,
                          const struct avps_chain_ *c);

static inline enum avps_event avps_err_event_(int err)
{
    switch (err) {
    case AVPS_E_GUEST_RANGE: return AVPS_EV_GUEST_RANGE;
    case AVPS_E_GUEST_LOOP: return AVPS_EV_GUEST_LOOP;
    case AVPS_E_GUEST_INDEX: return AVPS_EV_GUEST_INDEX;
    default: return AVPS_EV_GUEST_DESC;
    }
}

static inline uint64_t avps_vq_ev_a_(const struct avps_vq *vq, uint16_t id)
{
    return ((uint64_t)vq->index << 16) | id;
}

/* ---- layout engines ---------------------------------------------------- */
int avps_split_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip);
int avps_split_pop_n_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n);
int avps_split_resubmit_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip,
                             uint16_t head);
void avps_split_put_used_(struct avps_vq *vq, uint16_t off, uint16_t id, uint32_t len);
void avps_split_publish_(struct avps_vq *vq, uint16_t count);
void avps_split_push_n_(struct avps_vq *vq, const struct avps_vq_used *used, uint32_t n);
bool avps_split_need_notify_(struct avps_vq *vq);
void avps_split_kick_(struct avps_vq *vq, bool enable);
int avps_split_pending_(struct avps_vq *vq);

#if AVPS_CONFIG_ENABLE_PACKED
int avps_packed_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip);
int avps_packed_pop_n_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n);
int avps_packed_resubmit_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip,
                              uint16_t id, uint16_t ndesc);
void avps_packed_push_n_(struct avps_vq *vq, const struct avps_vq_used *used, uint32_t n);
uint16_t avps_packed_fill_used_(struct avps_vq *vq, uint16_t id, uint32_t len, uint16_t ndesc);
void avps_packed_publish_used_(struct avps_vq *vq, uint16_t pos, uint16_t flags);
bool avps_packed_need_notify_(struct avps_vq *vq);
void avps_packed_kick_(struct avps_vq *vq, bool enable);
int avps_packed_pending_(struct avps_vq *vq);
#endif

#endif /* AVPS_VQ_PRIV_H */

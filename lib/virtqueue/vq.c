/*
 * Virtqueue engine, layout-independent part: setup, the chain walker that
 * carries the hostile-driver rules (DESIGN.md §6), in-flight bookkeeping,
 * completions, notifications and state save/restore.
 */
#include "vq_priv.h"

/* ---- setup ------------------------------------------------------------- */

/* The optional port ops the ring paths call, looked up once (at init and
 * again at enable) rather than on every ring access. */
static void vq_read_caps_(struct avps_vq *vq)
{
    const struct avps_port_ops *ops = vq->host->ops;
    unsigned int caps = 0u;

    if (ops->cache_invalidate != NULL) {
        caps |= AVPS_VQ_CAP_INVAL;
    }
    if (ops->cache_clean != NULL) {
        caps |= AVPS_VQ_CAP_CLEAN;
    }
    if (ops->dirty != NULL) {
        caps |= AVPS_VQ_CAP_DIRTY;
    }
    if (avps_host_has_window_(vq->host)) {
        caps |= AVPS_VQ_CAP_WINDOW;
    }
    vq->caps = (uint8_t)caps;
}

int avps_vq_init(struct avps_vq *vq, const struct avps_host *host,
                 const struct avps_vq_cfg *cfg)
{
    int err;

    if ((vq == NULL) || (cfg == NULL) || (cfg->slots == NULL) || (cfg->num_slots == 0u)) {
        return AVPS_E_INVAL;
    }
    err = avps_host_check(host);
    if (err != AVPS_OK) {
        return err;
    }
    (void)memset(vq, 0, sizeof *vq);
    vq->host = host;
    vq->slots = cfg->slots;
    vq->num_slots = cfg->num_slots;
    vq->irq = cfg->irq;
    vq->broken_fn = cfg->broken;
    vq->owner = cfg->owner;
    vq->dev_id = cfg->dev_id;
    vq->vector = cfg->vector;
    vq->index = cfg->index;
    vq->fold_runs = (uint8_t)(cfg->used_each ? 0u : 1u);
    vq_read_caps_(vq);
    return AVPS_OK;
}

static void vq_unmap_rings_(struct avps_vq *vq)
{
    for (unsigned int i = 0; i < 3u; i++) {
        if (vq->ring_hva[i] != NULL) {
            avps_gmem_unmap_(vq->host, vq->ring_hva[i], vq->ring_span[i]);
        }
        vq->ring_hva[i] = NULL;
        vq->ring_span[i] = 0;
        vq->ring_gpa[i] = 0;
    }
}

static void vq_clear_state_(struct avps_vq *vq, bool slots)
{
    if (slots) {
        (void)memset(vq->slots, 0, (size_t)vq->num_slots * sizeof vq->slots[0]);
    }
    vq->last_avail = 0;
    vq->shadow_avail = 0;
    vq->used_idx = 0;
    vq->avail_wrap = 1;
    vq->used_wrap = 1;
    vq->inflight = 0;
    vq->inflight_desc = 0;
    vq->unsignalled = 0;
    vq->pop_seq = 0;
    vq->done_seq = 0;
    vq->kick_off = 0;
    vq->event_armed = 0;
    vq->resub = NULL;
    vq->resub_n = 0;
    vq->resub_pos = 0;
    vq->win_addr = 0;
    vq->win_len = 0;
    vq->win_hva = NULL;
    vq->win_access = 0;
}

void avps_vq_reset(struct avps_vq *vq)
{
    AVPS_ASSERT((vq != NULL) && (vq->host != NULL));
    vq_unmap_rings_(vq);
    vq_clear_state_(vq, true);
    vq->enabled = 0;
    vq->broken = 0;
    vq->size = 0;
}

int avps_vq_fail_(struct avps_vq *vq, int err, uint16_t id, uint64_t val)
{
    const uint64_t a = avps_vq_ev_a_(vq, id);

    vq->stats.guest_errors++;
    if (vq->broken != 0u) {
        return err;
    }
    vq->broken = 1;
    avps_report_(vq->host, avps_err_event_(err), vq->dev_id, a, val);
    avps_report_(vq->host, AVPS_EV_QUEUE_BROKEN, vq->dev_id, a, (uint64_t)(int64_t)err);
    if (vq->broken_fn != NULL) {
        vq->broken_fn(vq->owner, vq, err);
    }
    return err;
}

/* Map one ring area whole, checking its alignment. */
static int vq_map_area_(struct avps_vq *vq, unsigned int area, uint64_t gpa,
                        uint64_t len, uint64_t align, unsigned int access)
{
    void *hva = NULL;
    int err;

    if ((gpa & (align - 1u)) != 0u) {
        return AVPS_E_GUEST_RANGE;
    }
    err = avps_gmem_map_whole_(vq->host, gpa, len, access | vq->access, &hva);
    if (err != AVPS_OK) {
        return err;
    }
    vq->ring_hva[area] = hva;
    vq->ring_span[area] = len;
    vq->ring_gpa[area] = gpa;
    return AVPS_OK;
}

static bool feature_(uint64_t f, unsigned int bit)
{
    return (f & AVPS_VIRTIO_BIT(bit)) != 0u;
}

static int vq_enable_(struct avps_vq *vq, const struct avps_vq_ring *ring, bool clear_slots)
{
    const unsigned int rw = AVPS_ACCESS_READ | AVPS_ACCESS_WRITE;
    uint16_t n;
    bool packed;
    int err;

    AVPS_ASSERT((vq != NULL) && (vq->host != NULL) && (ring != NULL));
    if (vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    vq_read_caps_(vq);
    n = ring->size;
    packed = feature_(ring->features, AVPS_VIRTIO_F_RING_PACKED);
    if ((n == 0u) || (n > AVPS_CONFIG_VQ_MAX_SIZE) || (n > vq->num_slots)) {
        return AVPS_E_INVAL;
    }
    if ((packed && !AVPS_CONFIG_ENABLE_PACKED) ||
        (feature_(ring->features, AVPS_VIRTIO_F_INDIRECT_DESC) && !AVPS_CONFIG_ENABLE_INDIRECT) ||
        (feature_(ring->features, AVPS_VIRTIO_F_EVENT_IDX) && !AVPS_CONFIG_ENABLE_EVENT_IDX) ||
        (feature_(ring->features, AVPS_VIRTIO_F_IN_ORDER) && !AVPS_CONFIG_ENABLE_IN_ORDER)) {
        return AVPS_E_INVAL;
    }

    vq_clear_state_(vq, clear_slots);
    vq->size = n;
    vq->packed = packed;
    vq->event_idx = feature_(ring->features, AVPS_VIRTIO_F_EVENT_IDX);
    vq->indirect = feature_(ring->features, AVPS_VIRTIO_F_INDIRECT_DESC);
    vq->in_order = feature_(ring->features, AVPS_VIRTIO_F_IN_ORDER);
    vq->notif_data = feature_(ring->features, AVPS_VIRTIO_F_NOTIFICATION_DATA);
    vq->access = feature_(ring->features, AVPS_VIRTIO_F_ACCESS_PLATFORM) ? AVPS_ACCESS_IOVA : 0u;

    /* §2.7: split queue sizes are powers of two. */
    if (!packed && ((n & (n - 1u)) != 0u)) {
        err = AVPS_E_GUEST_RANGE;
    } else if (packed) {
        err = vq_map_area_(vq, AVPS_VQ_AREA_DESC, ring->desc, AVPS_VRING_DESC_BYTES(n),
                           AVPS_VRING_DESC_ALIGN, rw);
        if (err == AVPS_OK) {
            err = vq_map_area_(vq, AVPS_VQ_AREA_DRIVER, ring->driver, 4u,
                               AVPS_VRING_PACKED_EVENT_AREA_ALIGN, AVPS_ACCESS_READ);
        }
        if (err == AVPS_OK) {
            err = vq_map_area_(vq, AVPS_VQ_AREA_DEVICE, ring->device, 4u,
                               AVPS_VRING_PACKED_EVENT_AREA_ALIGN, rw);
        }
    } else {
        err = vq_map_area_(vq, AVPS_VQ_AREA_DESC, ring->desc, AVPS_VRING_DESC_BYTES(n),
                           AVPS_VRING_DESC_ALIGN, AVPS_ACCESS_READ);
        if (err == AVPS_OK) {
            err = vq_map_area_(vq, AVPS_VQ_AREA_DRIVER, ring->driver,
                               AVPS_VRING_AVAIL_BYTES(n), AVPS_VRING_AVAIL_ALIGN,
                               AVPS_ACCESS_READ);
        }
        if (err == AVPS_OK) {
            err = vq_map_area_(vq, AVPS_VQ_AREA_DEVICE, ring->device,
                               AVPS_VRING_USED_BYTES(n), AVPS_VRING_USED_ALIGN, rw);
        }
    }
    if (err != AVPS_OK) {
        vq_unmap_rings_(vq);
        return avps_vq_fail_(vq, err, 0u, ring->desc);
    }
    vq->enabled = 1;
#if AVPS_CONFIG_ENABLE_PACKED
    /* The Device Area is ours alone in a packed queue: start with
     * notifications enabled rather than trusting its initial contents. */
    if (packed) {
        avps_packed_kick_(vq, true);
    }
#endif
    return AVPS_OK;
}

int avps_vq_enable(struct avps_vq *vq, const struct avps_vq_ring *ring)
{
    return vq_enable_(vq, ring, true);
}

int avps_vq_restart_(struct avps_vq *vq, const struct avps_vq_ring *ring,
                     const struct avps_vq_state *st)
{
    int err;

    vq_unmap_rings_(vq);
    vq->enabled = 0;
    vq->broken = 0;
    err = vq_enable_(vq, ring, false);
    if (err != AVPS_OK) {
        return err;
    }
    err = avps_vq_restore(vq, st);
    if (err != AVPS_OK) {
        avps_vq_reset(vq);
    }
    return err;
}

bool avps_vq_ready(const struct avps_vq *vq)
{
    return (vq != NULL) && vq->enabled && !vq->broken;
}

bool avps_vq_is_broken(const struct avps_vq *vq)
{
    return (vq != NULL) && vq->broken;
}

const struct avps_vq_stats *avps_vq_stats(const struct avps_vq *vq)
{
    AVPS_ASSERT(vq != NULL);
    return &vq->stats;
}

/* ---- the chain walker: every per-descriptor rule, both layouts --------- */

static void vq_window_refresh_(struct avps_vq *vq, uint64_t gpa, unsigned int access)
{
    const unsigned int both = access | AVPS_ACCESS_READ | AVPS_ACCESS_WRITE;
    struct avps_window win;
    unsigned int granted = both;
    int err = avps_gmem_window_(vq->host, gpa, both, &win);

    if ((err != AVPS_OK) && (both != access)) {
        granted = access;
        err = avps_gmem_window_(vq->host, gpa, access, &win);
    }
    if (err != AVPS_OK) {
        return; /* map answers instead */
    }
    vq->win_addr = win.addr;
    vq->win_len = win.len;
    vq->win_hva = win.hva;
    vq->win_access = granted;
}

/* The rest of avps_walk_buf_() for a range outside the current window:
 * refresh the window (asking for both directions first, so reads and
 * writes in one region share it) and use it if it now covers the range;
 * otherwise translate the whole range (CVE-2018-1059), a segment per region. */
int avps_walk_map_(struct avps_walk_ *w, uint64_t addr, uint32_t len, bool write)
{
    struct avps_vq *vq = w->vq;
    struct avps_vq_req *req = w->req;
    const unsigned int access = vq->access | (write ? AVPS_ACCESS_WRITE : AVPS_ACCESS_READ);
    uint64_t gpa = addr;
    uint64_t left = len;

    if (((vq->caps & AVPS_VQ_CAP_WINDOW) != 0u) && (left != 0u)) {
        vq_window_refresh_(vq, gpa, access);
        if (avps_vq_in_window_(vq, gpa, left, access)) {
            avps_walk_seg_(w, &vq->win_hva[gpa - vq->win_addr], gpa, len, write);
            return AVPS_OK;
        }
    }
    /* Bounded: each pass fills a segment (at most seg_max) or ends. */
    while (left > 0u) {
        struct avps_span s;
        int err;

        if (w->nseg >= req->seg_max) {
            w->nospc = true;
            return AVPS_OK;
        }
        err = avps_gmem_span_(vq->host, gpa, left, access, &s);
        if (err != AVPS_OK) {
            avps_walk_error_(w, err, gpa);
            return err;
        }
        avps_walk_seg_(w, s.hva, gpa, (uint32_t)s.len, write);
        gpa += s.len;
        left -= s.len;
    }
    return AVPS_OK;
}

#if !AVPS_CONFIG_FAST_PATHS
int avps_walk_buf_out_(struct avps_walk_ *w, uint64_t addr, uint32_t len, bool write)
{
    return avps_walk_buf_inl_(w, addr, len, write);
}
#endif

/* Walk an indirect table. Split tables chain by next (each entry < the table
 * length); packed tables are sequential and only WRITE is meaningful (§2.8.7).
 * A table need not be aligned or contiguous in host memory (rust-vmm#220,
 * qemu-devel 2024-01 indirect pointer arithmetic): a split table is copied one
 * descriptor at a time through the choke point. */
int avps_walk_indirect_(struct avps_walk_ *w, uint64_t addr, uint32_t len,
                        bool packed)
{
    struct avps_vq *vq = w->vq;
    const uint32_t n = len / 16u;
    void *table = NULL;
    uint32_t i = 0;
    int err;

    if (!vq->indirect || (len == 0u) || ((len % 16u) != 0u)) {
        avps_walk_error_(w, AVPS_E_GUEST_DESC, len);
        return AVPS_E_GUEST_DESC;
    }
    /* Fast path: the whole table in one host range. Otherwise read entry by
     * entry, each read checked whole. */
    if (avps_gmem_map_whole_(vq->host, addr, len, vq->access | AVPS_ACCESS_READ,
                             &table) != AVPS_OK) {
        table = NULL;
    }
    if (table != NULL) {
        avps_vq_inval_(vq, table, len);
    }

    /* Bounded: walk_buf fails once more than size entries are visited, and
     * i only takes values below n. */
    for (;;) {
        struct avps_vring_desc raw;
        uint16_t flags;

        if (table != NULL) {
            avps_shm_copy_in_(&raw, &((const uint8_t *)table)[(size_t)i * 16u], 16u);
        } else {
            err = avps_gmem_read_(vq->host, addr + ((uint64_t)i * 16u), &raw, 16u, vq->access);
            if (err != AVPS_OK) {
                avps_walk_error_(w, err, addr + ((uint64_t)i * 16u));
                break;
            }
        }
        /* Same size, different tail: split has flags then next, packed has
         * id then flags (§2.7.5, §2.8.13). */
        flags = packed ? avps_from_le16(raw.next) : avps_from_le16(raw.flags);
        if (!packed && ((flags & AVPS_VRING_DESC_F_INDIRECT) != 0u)) {
            /* §2.7.5.3.1: only one table per descriptor, no nesting. */
            err = AVPS_E_GUEST_DESC;
            avps_walk_error_(w, err, flags);
            break;
        }
        err = avps_walk_buf_(w, avps_from_le64(raw.addr), avps_from_le32(raw.len),
                             (flags & AVPS_VRING_DESC_F_WRITE) != 0u);
        if (err != AVPS_OK) {
            break;
        }
        if (packed) {
            if (++i >= n) {
                break;
            }
        } else {
            uint16_t next = avps_from_le16(raw.next);

            if ((flags & AVPS_VRING_DESC_F_NEXT) == 0u) {
                break;
            }
            if (next >= n) {
                err = AVPS_E_GUEST_DESC;
                avps_walk_error_(w, err, next);
                break;
            }
            i = next;
        }
    }
    if (table != NULL) {
        avps_gmem_unmap_(vq->host, table, len);
    }
    return w->err;
}

void avps_walk_release_(struct avps_walk_ *w)
{
    struct avps_vq_req *req = w->req;

    for (uint32_t i = 0; i < w->nseg; i++) {
        avps_gmem_unmap_(w->vq->host, req->seg[i].base, req->seg[i].len);
    }
    req->n_rd = 0;
    req->n_wr = 0;
}

void avps_vq_req_unmap(struct avps_vq *vq, struct avps_vq_req *req)
{
    AVPS_ASSERT((vq != NULL) && (req != NULL));
    if (vq->host->ops->unmap == NULL) {
        return;
    }
    for (uint32_t i = 0; i < ((uint32_t)req->n_rd + req->n_wr); i++) {
        avps_gmem_unmap_(vq->host, req->seg[i].base, req->seg[i].len);
    }
    req->n_rd = 0;
    req->n_wr = 0;
}

/* ---- taking chains ----------------------------------------------------- */

/* Return a malformed chain at once with used length 0. With IN_ORDER that is
 * only allowed when nothing older is in flight; otherwise the queue breaks. */
static int vq_drop_(struct avps_vq *vq, const struct avps_walk_ *w,
                    const struct avps_chain_ *c)
{
    const uint64_t a = avps_vq_ev_a_(vq, c->id);

    if (vq->in_order && (vq->inflight != 0u)) {
        return avps_vq_fail_(vq, w->err, c->id, w->err_val);
    }
    struct avps_vq_used u;

    vq->stats.guest_errors++;
    vq->stats.dropped++;
    avps_report_(vq->host, avps_err_event_(w->err), vq->dev_id, a, w->err_val);
    avps_report_(vq->host, AVPS_EV_CHAIN_DROPPED, vq->dev_id, a, (uint64_t)(int64_t)w->err);
    u.id = c->id;
    u.len = 0;
#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        const uint16_t pos = vq->used_idx;
        const uint16_t flags = avps_packed_fill_used_(vq, c->id, 0u, c->ndesc);

        if (avps_vq_journal_on_(vq)) {
            vq->jr->used_begin(vq->jr_ctx, &u, 1u, vq->used_idx, vq->used_wrap);
        }
        avps_packed_publish_used_(vq, pos, flags);
        vq->unsignalled += c->ndesc;
    } else
#endif
    {
        avps_split_put_used_(vq, 0u, c->id, 0u);
        if (avps_vq_journal_on_(vq)) {
            vq->jr->used_begin(vq->jr_ctx, &u, 1u, (uint16_t)(vq->used_idx + 1u), 0u);
        }
        avps_split_publish_(vq, 1u);
        vq->unsignalled++;
    }
    if (avps_vq_journal_on_(vq)) {
        vq->jr->used_end(vq->jr_ctx, &u, 1u, vq->used_idx, vq->used_wrap);
    }
    vq->pop_seq++;
    vq->done_seq++;
    return AVPS_VQ_DROPPED_;
}

int avps_vq_finish_chain_(struct avps_vq *vq, struct avps_walk_ *w,
                          const struct avps_chain_ *c)
{
    struct avps_vq_req *req = w->req;

    if (w->err != 0) {
        avps_walk_release_(w);
        if (w->journal) {
            vq->jr->abort(vq->jr_ctx);
        }
        return vq_drop_(vq, w, c);
    }
    if (w->nospc) {
        avps_walk_release_(w);
        if (w->journal) {
            vq->jr->abort(vq->jr_ctx);
        }
        req->id = c->id;
        return AVPS_E_NOSPC;
    }
    if (w->journal) {
        vq->jr->taken(vq->jr_ctx, c->id, c->ndesc);
    }
    return avps_vq_take_slot_(vq, req, c->id, c->ndesc, (uint32_t)w->rd_len, (uint32_t)w->wr_len);
}

#if AVPS_CONFIG_ENABLE_JOURNAL
/* Take the next buffer of the resubmission list. An id the journal got
 * wrong (out of range, already in flight) is reported and passed over. */
static int vq_resubmit_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    const uint16_t id = vq->resub[vq->resub_pos].id;
    int r;

    if ((id >= vq->size) || (vq->slots[id].ndesc != 0u)) {
        vq->resub_pos++;
        vq->stats.guest_errors++;
        avps_report_(vq->host, AVPS_EV_GUEST_INDEX, vq->dev_id, avps_vq_ev_a_(vq, id), id);
        return AVPS_VQ_PASSED_;
    }
#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        r = avps_packed_resubmit_one_(vq, req, skip, id, vq->resub[vq->resub_pos].ndesc);
    } else {
        r = avps_split_resubmit_one_(vq, req, skip, id);
    }
#else
    r = avps_split_resubmit_one_(vq, req, skip, id);
#endif
    /* Only a buffer that did not fit the caller's array is tried again. */
    if (r != AVPS_E_NOSPC) {
        vq->resub_pos++;
    }
    return r;
}
#endif

static int vq_pop_ring_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        return avps_packed_pop_one_(vq, req, skip);
    }
#endif
    return avps_split_pop_one_(vq, req, skip);
}

static int vq_take_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    uint32_t round = 0;

    /* Each dropped chain consumes ring entries and each resubmission entry
     * is taken once, so this ends; the bound on ring chains also keeps a
     * guest that keeps publishing bad chains from holding us here. */
    while (round <= vq->size) {
        int r;

#if AVPS_CONFIG_ENABLE_JOURNAL
        if (avps_vq_resub_pending_(vq)) {
            r = vq_resubmit_one_(vq, req, skip);
        } else
#endif
        {
            r = vq_pop_ring_(vq, req, skip);
            round++;
        }
        if ((r != AVPS_VQ_DROPPED_) && (r != AVPS_VQ_PASSED_)) {
            return r;
        }
    }
    return 0;
}

int avps_vq_pop(struct avps_vq *vq, struct avps_vq_req *req)
{
    AVPS_ASSERT((vq != NULL) && (req != NULL) && ((req->seg != NULL) || (req->seg_max == 0u)));
    return avps_vq_pop_n(vq, req, 1u);
}

int avps_vq_pop_n(struct avps_vq *vq, struct avps_vq_req *reqs, size_t n)
{
    uint32_t k = 0;
    uint32_t max;

    AVPS_ASSERT((vq != NULL) && ((reqs != NULL) || (n == 0u)));
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    /* More than the queue holds can never be taken in one call. */
    max = (n > vq->size) ? vq->size : (uint32_t)n;
    /* Resubmitted buffers first, one at a time, in their order. */
    while ((k < max) && avps_vq_resub_pending_(vq)) {
        const int r = vq_take_(vq, &reqs[k], false);

        if (r != 1) {
            return (k != 0u) ? (int)k : r;
        }
        k++;
    }
    if (k < max) {
        int r;

#if AVPS_CONFIG_ENABLE_PACKED
        if (vq->packed != 0u) {
            r = avps_packed_pop_n_(vq, &reqs[k], max - k);
        } else {
            r = avps_split_pop_n_(vq, &reqs[k], max - k);
        }
#else
        r = avps_split_pop_n_(vq, &reqs[k], max - k);
#endif
        if (r < 0) {
            return (k != 0u) ? (int)k : r;
        }
        k += (uint32_t)r;
    }
    return (int)k;
}

int avps_vq_skip(struct avps_vq *vq, uint16_t *id)
{
    struct avps_vq_req req;
    int r;

    AVPS_ASSERT((vq != NULL) && (id != NULL));
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    (void)memset(&req, 0, sizeof req);
    r = vq_take_(vq, &req, true);
    if (r == 1) {
        *id = req.id;
    }
    return r;
}

int avps_vq_set_journal(struct avps_vq *vq, const struct avps_vq_journal *jr, void *ctx)
{
    AVPS_ASSERT(vq != NULL);
#if !AVPS_CONFIG_ENABLE_JOURNAL
    if (jr != NULL) {
        return AVPS_E_INVAL; /* left out of this build */
    }
#endif
    if ((jr != NULL) &&
        ((jr->desc == NULL) || (jr->taken == NULL) || (jr->abort == NULL) ||
         (jr->used_begin == NULL) || (jr->used_end == NULL) || (jr->fetch == NULL))) {
        return AVPS_E_INVAL;
    }
    vq->jr = jr;
    vq->jr_ctx = ctx;
    return AVPS_OK;
}

int avps_vq_resubmit(struct avps_vq *vq, const struct avps_vq_resub *list, uint32_t n)
{
#if !AVPS_CONFIG_ENABLE_JOURNAL
    AVPS_ASSERT(vq != NULL);
    (void)vq;
    (void)list;
    return (n == 0u) ? AVPS_OK : AVPS_E_INVAL; /* left out of this build */
#else
    uint32_t entries = 0;

    AVPS_ASSERT((vq != NULL) && ((list != NULL) || (n == 0u)));
    if (!vq->enabled || vq->broken || (vq->inflight != 0u) ||
        (vq->last_avail != vq->used_idx) || (vq->avail_wrap != vq->used_wrap)) {
        return AVPS_E_STATE;
    }
    if ((vq->packed != 0u) && (vq->jr == NULL) && (n != 0u)) {
        return AVPS_E_INVAL;
    }
    if (n > vq->size) {
        return AVPS_E_GUEST_STATE;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((list[i].ndesc == 0u) || ((vq->packed == 0u) && (list[i].ndesc != 1u))) {
            return AVPS_E_GUEST_STATE;
        }
        entries += list[i].ndesc;
    }
    if (entries > vq->size) {
        return AVPS_E_GUEST_STATE;
    }
    /* The ring entries of these buffers are behind us now. */
    if (vq->packed != 0u) {
        entries += vq->last_avail;
        if (entries >= vq->size) {
            entries -= vq->size;
            vq->avail_wrap ^= 1u;
        }
        vq->last_avail = (uint16_t)entries;
    } else {
        vq->last_avail = (uint16_t)(vq->last_avail + entries);
    }
    vq->shadow_avail = vq->last_avail;
    vq->resub = list;
    vq->resub_n = n;
    vq->resub_pos = 0;
    return AVPS_OK;
#endif
}

/* ---- completions ------------------------------------------------------- */

static int vq_check_used_(const struct avps_vq *vq, uint16_t id, uint32_t len,
                          uint16_t seq_expected)
{
    const struct avps_vq_slot *slot;

    if (id >= vq->size) {
        return AVPS_E_INVAL;
    }
    slot = &vq->slots[id];
    if ((slot->ndesc == 0u) || (len > slot->wr_len)) {
        return AVPS_E_INVAL;
    }
    if (vq->in_order && (slot->seq != seq_expected)) {
        return AVPS_E_INVAL;
    }
    return AVPS_OK;
}

int avps_vq_push_n(struct avps_vq *vq, const struct avps_vq_used *used, size_t n)
{
    uint16_t seq;
    size_t i;

    AVPS_ASSERT((vq != NULL) && ((used != NULL) || (n == 0u)));
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    if (n > vq->inflight) {
        return AVPS_E_INVAL;
    }
    /* Check every entry before writing any: a caller bug changes nothing.
     * With IN_ORDER the consecutive order numbers also rule out repeats;
     * otherwise seq is 0 for every buffer in flight and marks repeats here. */
    seq = vq->done_seq;
    for (i = 0; i < n; i++) {
        int err = vq_check_used_(vq, used[i].id, used[i].len, seq);

        if ((err == AVPS_OK) && !vq->in_order) {
            if (vq->slots[used[i].id].seq != 0u) {
                err = AVPS_E_INVAL; /* the same id twice in this batch */
            } else {
                vq->slots[used[i].id].seq = 1u;
            }
        }
        if (err != AVPS_OK) {
            if (!vq->in_order) {
                for (size_t j = 0; j < i; j++) {
                    vq->slots[used[j].id].seq = 0u;
                }
            }
            return err;
        }
        seq++;
    }

#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        avps_packed_push_n_(vq, used, (uint32_t)n);
        return AVPS_OK;
    }
#endif
    avps_split_push_n_(vq, used, (uint32_t)n);
    return AVPS_OK;
}

int avps_vq_push(struct avps_vq *vq, uint16_t id, uint32_t len)
{
    struct avps_vq_used u;

    u.id = id;
    u.len = len;
    return avps_vq_push_n(vq, &u, 1u);
}

/* ---- notifications ----------------------------------------------------- */

int avps_vq_notify(struct avps_vq *vq)
{
    bool need;

    AVPS_ASSERT(vq != NULL);
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    if (vq->unsignalled == 0u) {
        return 0;
    }
#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        need = avps_packed_need_notify_(vq);
    } else {
        need = avps_split_need_notify_(vq);
    }
#else
    need = avps_split_need_notify_(vq);
#endif
    vq->unsignalled = 0;
    if (!need) {
        vq->stats.suppressed++;
        return 0;
    }
    vq->stats.notified++;
    if (vq->irq != NULL) {
        int err = vq->irq(vq->owner, vq);

        return (err < 0) ? err : 1;
    }
    {
        int err = avps_inject_(vq->host, vq->vector);

        return (err < 0) ? err : 1;
    }
}

static int vq_kick_(struct avps_vq *vq, bool enable)
{
    AVPS_ASSERT(vq != NULL);
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    vq->kick_off = (uint8_t)(enable ? 0u : 1u);
#if AVPS_CONFIG_ENABLE_PACKED
    if (vq->packed != 0u) {
        avps_packed_kick_(vq, enable);
        return enable ? avps_packed_pending_(vq) : AVPS_OK;
    }
#endif
    avps_split_kick_(vq, enable);
    return enable ? avps_split_pending_(vq) : AVPS_OK;
}

int avps_vq_kick_disable(struct avps_vq *vq)
{
    return vq_kick_(vq, false);
}

int avps_vq_kick_enable(struct avps_vq *vq)
{
    return vq_kick_(vq, true);
}

int avps_vq_notify_data(struct avps_vq *vq, uint32_t value)
{
    const uint16_t qidx = AVPS_NOTIFY_DATA_VQ(value);
    const uint16_t off = AVPS_NOTIFY_DATA_OFF(value);
    const uint16_t wrap = AVPS_NOTIFY_DATA_WRAP(value);
    bool ok;
    bool pending;

    AVPS_ASSERT(vq != NULL);
    if (!vq->enabled || vq->broken) {
        return AVPS_E_STATE;
    }
    if (!vq->notif_data) {
        return AVPS_E_INVAL;
    }
    if (vq->packed != 0u) {
        /* next_off is a ring position, next_wrap the driver's wrap counter. */
        ok = (qidx == vq->index) && (off < vq->size);
        pending = (off != vq->last_avail) || (wrap != vq->avail_wrap);
    } else {
        /* Split: next_off|next_wrap is the whole 16-bit available index. */
        const uint16_t idx = (uint16_t)(off | (uint16_t)(wrap << 15));

        const uint16_t ahead = (uint16_t)(idx - vq->last_avail);
        const uint16_t behind = (uint16_t)(vq->last_avail - idx);

        /* A notification may be older than what we already consumed, but
         * never more than a ring's worth away either way. */
        ok = (qidx == vq->index) && ((ahead <= vq->size) || (behind <= vq->size));
        pending = (ahead != 0u) && (ahead <= vq->size);
    }
    if (!ok) {
        vq->stats.guest_errors++;
        avps_report_(vq->host, AVPS_EV_NOTIFY_DATA, vq->dev_id,
                     avps_vq_ev_a_(vq, 0u), value);
        return AVPS_E_GUEST_INDEX;
    }
    return pending ? 1 : 0;
}

/* ---- state ------------------------------------------------------------- */

int avps_vq_save(const struct avps_vq *vq, struct avps_vq_state *st)
{
    AVPS_ASSERT((vq != NULL) && (st != NULL));
    if (!vq->enabled) {
        return AVPS_E_STATE;
    }
    (void)memset(st, 0, sizeof *st);
    st->last_avail = vq->last_avail;
    st->used_idx = vq->used_idx;
    st->avail_wrap = vq->avail_wrap;
    st->used_wrap = vq->used_wrap;
    st->inflight = vq->inflight;
    st->first_seq = vq->done_seq;
    return AVPS_OK;
}

int avps_vq_restore(struct avps_vq *vq, const struct avps_vq_state *st)
{
    uint32_t busy = 0;
    uint32_t descs = 0;

    AVPS_ASSERT((vq != NULL) && (st != NULL));
    if (!vq->enabled) {
        return AVPS_E_STATE;
    }
    if (st->inflight > vq->size) {
        return AVPS_E_GUEST_STATE;
    }
    for (uint32_t i = 0; i < vq->size; i++) {
        const struct avps_vq_slot *s = &vq->slots[i];

        if (s->ndesc == 0u) {
            continue;
        }
        if ((s->ndesc > vq->size) || (!vq->packed && (s->ndesc != 1u))) {
            return AVPS_E_GUEST_STATE;
        }
        busy++;
        descs += s->ndesc;
    }
    for (uint32_t i = vq->size; i < vq->num_slots; i++) {
        if (vq->slots[i].ndesc != 0u) {
            return AVPS_E_GUEST_STATE;
        }
    }
    if (busy != st->inflight) {
        return AVPS_E_GUEST_STATE;
    }
    if (vq->packed != 0u) {
        uint32_t expect_descs;

        if ((st->last_avail >= vq->size) || (st->used_idx >= vq->size) ||
            (st->avail_wrap > 1u) || (st->used_wrap > 1u)) {
            return AVPS_E_GUEST_STATE;
        }
        if (st->avail_wrap == st->used_wrap) {
            if (st->last_avail < st->used_idx) {
                return AVPS_E_GUEST_STATE;
            }
            expect_descs = (uint32_t)st->last_avail - st->used_idx;
        } else {
            if (st->last_avail > st->used_idx) {
                return AVPS_E_GUEST_STATE;
            }
            expect_descs = (uint32_t)vq->size - st->used_idx + st->last_avail;
        }
        if (descs != expect_descs) {
            return AVPS_E_GUEST_STATE;
        }
    } else if ((uint16_t)(st->last_avail - st->used_idx) != st->inflight) {
        return AVPS_E_GUEST_STATE;
    } else {
        /* split: the indices account for exactly the in-flight set */
    }

    if (vq->in_order != 0u) {
        /* The in-flight set must be numbered first_seq .. first_seq +
         * inflight - 1, each number once: that is the completion order. */
        uint32_t seen[(AVPS_CONFIG_VQ_MAX_SIZE + 31u) / 32u];

        (void)memset(seen, 0, sizeof seen);
        for (uint32_t i = 0; i < vq->size; i++) {
            uint16_t k;

            if (vq->slots[i].ndesc == 0u) {
                continue;
            }
            k = (uint16_t)(vq->slots[i].seq - st->first_seq);
            if ((k >= st->inflight) || ((seen[k / 32u] & (1u << (k % 32u))) != 0u)) {
                return AVPS_E_GUEST_STATE;
            }
            seen[k / 32u] |= 1u << (k % 32u);
        }
    }

    if (!vq->in_order) {
        for (uint32_t i = 0; i < vq->size; i++) {
            vq->slots[i].seq = 0;
        }
    }
    vq->last_avail = st->last_avail;
    vq->shadow_avail = st->last_avail;
    vq->event_armed = 0;
    vq->used_idx = st->used_idx;
    vq->avail_wrap = st->avail_wrap;
    vq->used_wrap = st->used_wrap;
    vq->inflight = st->inflight;
    vq->inflight_desc = (uint16_t)descs;
    vq->unsignalled = 0;
    vq->done_seq = st->first_seq;
    vq->pop_seq = (uint16_t)(st->first_seq + st->inflight);
    return AVPS_OK;
}

/* ---- byte-stream access to a request ----------------------------------- */

/* Copy between a caller buffer and the stream formed by nseg segments, from
 * offset off. Exactly one of dst (reading: vq is NULL, no cache or dirty
 * bookkeeping needed) and src (writing) is non-NULL. */
static uint32_t req_copy_(struct avps_vq *vq, const struct avps_vq_seg *seg, uint32_t nseg,
                          uint32_t off, uint8_t *dst, const uint8_t *src, uint32_t len)
{
    uint32_t skip = off;
    uint32_t done = 0;

    for (uint32_t i = 0; (i < nseg) && (done < len); i++) {
        void *hva = seg[i].base;
        uint8_t *base = (uint8_t *)hva;
        uint32_t n;

        if (skip >= seg[i].len) {
            skip -= seg[i].len;
            continue;
        }
        n = seg[i].len - skip;
        if (n > (len - done)) {
            n = len - done;
        }
        if (src == NULL) {
            (void)AVPS_MEMCPY(&dst[done], &base[skip], n);
        } else {
            (void)AVPS_MEMCPY(&base[skip], &src[done], n);
            avps_vq_clean_(vq, &base[skip], n);
            avps_vq_dirty_(vq, seg[i].gpa + skip, n);
        }
        done += n;
        skip = 0;
    }
    return done;
}

uint32_t avps_vq_req_read(const struct avps_vq_req *req, uint32_t off, void *buf,
                          uint32_t len)
{
    AVPS_ASSERT((req != NULL) && ((buf != NULL) || (len == 0u)));
    return req_copy_(NULL, req->seg, req->n_rd, off, (uint8_t *)buf, NULL, len);
}

uint32_t avps_vq_req_write(struct avps_vq *vq, const struct avps_vq_req *req,
                           uint32_t off, const void *buf, uint32_t len)
{
    AVPS_ASSERT((vq != NULL) && (req != NULL) && ((buf != NULL) || (len == 0u)));
    return req_copy_(vq, &req->seg[req->n_rd], req->n_wr, off, NULL, (const uint8_t *)buf, len);
}

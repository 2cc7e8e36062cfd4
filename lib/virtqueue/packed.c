/*
 * Packed virtqueue engine, device side (VIRTIO 1.2 §2.8).
 *
 * One descriptor ring shared both ways. A descriptor is available when its
 * AVAIL bit equals the driver wrap counter we expect and its USED bit does
 * not; we write used descriptors with both bits equal to our wrap counter.
 */
#include "vq_priv.h"

#if AVPS_CONFIG_ENABLE_PACKED

static inline struct avps_pvirtq_desc *ring_(const struct avps_vq *vq)
{
    void *hva = vq->ring_hva[AVPS_VQ_AREA_DESC];

    return (struct avps_pvirtq_desc *)hva;
}

static inline bool is_avail_(uint16_t flags, uint8_t wrap)
{
    const bool a = (flags & AVPS_VRING_PACKED_DESC_F_AVAIL) != 0u;
    const bool u = (flags & AVPS_VRING_PACKED_DESC_F_USED) != 0u;
    const bool w = wrap != 0u;

    return (a == w) && (u != w);
}

static inline uint16_t load_flags_(const struct avps_vq *vq, uint16_t pos)
{
    const struct avps_pvirtq_desc *d = &ring_(vq)[pos];

    avps_vq_inval_(vq, d, sizeof *d);
    return avps_shm_load16_(&d->flags);
}

/* Tell the journal about descriptor i of the chain being taken: the copy we
 * read, with the flags we read first (the only ones we act on). */
static void packed_journal_desc_(const struct avps_vq *vq, uint16_t i,
                                 const struct avps_pvirtq_desc *raw, uint16_t flags)
{
    struct avps_vq_desc d;

    d.addr = avps_from_le64(raw->addr);
    d.len = avps_from_le32(raw->len);
    d.id = avps_from_le16(raw->id);
    d.flags = flags;
    vq->jr->desc(vq->jr_ctx, i, &d);
}

/* Is the descriptor at last_avail available? 1 when it is (its flags in
 * *flags, fields readable after the barrier), 0 when not (with EVENT_IDX a
 * notification at it is asked for first), or a fatal error. */
static int packed_more_(struct avps_vq *vq, uint16_t *flags)
{
    const uint16_t pos = vq->last_avail;
    const uint8_t wrap = vq->avail_wrap;
    uint16_t f = load_flags_(vq, pos);

    if (!is_avail_(f, wrap)) {
        /* Empty. With EVENT_IDX, ask for a notification at this very
         * descriptor (once per position), then look again. */
        const uint16_t here =
            (uint16_t)(pos | (uint16_t)((uint16_t)wrap << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));

        if (!vq->event_idx || vq->kick_off || (vq->event_armed && (vq->event_value == here))) {
            return 0;
        }
        avps_packed_kick_(vq, true);
        f = load_flags_(vq, pos);
        if (!is_avail_(f, wrap)) {
            return 0;
        }
    }
    /* Every ring entry is held by a buffer in flight, yet one is offered:
     * the driver reused a descriptor (CVE-2016-5403's class). */
    if (vq->inflight_desc >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, 0u, vq->inflight_desc);
    }
    /* Fields only after the flags said the descriptor is ours. */
    AVPS_RMB();
    *flags = f;
    return 1;
}

/* Take the chain starting at last_avail, whose first descriptor was copied
 * into *first after its flags (read once, passed in flags) said available. */
static int packed_take_(struct avps_vq *vq, struct avps_vq_req *req, bool skip,
                        uint16_t first_flags, const struct avps_pvirtq_desc *first)
{
    uint16_t flags = first_flags;
    const struct avps_pvirtq_desc *ring = ring_(vq);
    uint16_t pos = vq->last_avail;
    uint8_t wrap = vq->avail_wrap;
    uint16_t ndesc = 0;
    uint16_t id = 0;
    struct avps_pvirtq_desc raw = *first;
    struct avps_walk_ w;
    struct avps_chain_ c;

    avps_walk_init_(&w, vq, req, skip);
    /* Bounded: ndesc grows each pass and may not pass the free entries. */
    for (;;) {
        if (avps_vq_journal_on_(vq)) {
            packed_journal_desc_(vq, ndesc, &raw, flags);
        }
        ndesc++;
        if ((flags & AVPS_VRING_DESC_F_INDIRECT) != 0u) {
            /* §2.8.7: an indirect descriptor stands alone in its list. */
            if ((ndesc != 1u) || ((flags & AVPS_VRING_DESC_F_NEXT) != 0u)) {
                avps_walk_error_(&w, AVPS_E_GUEST_DESC, flags);
            } else if (w.err == 0) {
                (void)avps_walk_indirect_(&w, avps_from_le64(raw.addr),
                                          avps_from_le32(raw.len), true);
            } else {
                /* An earlier descriptor failed: only count the list. */
            }
        } else if (w.err == 0) {
            (void)avps_walk_buf_(&w, avps_from_le64(raw.addr), avps_from_le32(raw.len),
                                 (flags & AVPS_VRING_DESC_F_WRITE) != 0u);
        } else {
            /* An earlier descriptor failed: only count the list. */
        }
        /* §2.8.6: the buffer id is the one in the last descriptor. */
        id = avps_from_le16(raw.id);
        if (++pos == vq->size) {
            pos = 0;
            wrap ^= 1u;
        }
        if ((flags & AVPS_VRING_DESC_F_NEXT) == 0u) {
            break;
        }
        /* The list may not be longer than the entries not in flight. */
        if (((uint32_t)vq->inflight_desc + ndesc) >= vq->size) {
            return avps_vq_fail_(vq, AVPS_E_GUEST_LOOP, id, ndesc);
        }
        flags = load_flags_(vq, pos);
        /* §2.8.6: the driver makes the whole list available before its
         * first descriptor; a hole means a torn or forged list. */
        if (!is_avail_(flags, wrap)) {
            return avps_vq_fail_(vq, AVPS_E_GUEST_DESC, id, flags);
        }
        AVPS_RMB();
        avps_shm_copy_in_(&raw, &ring[pos], sizeof raw);
    }

    /* spdk#3860: the id indexes our slots, so bound it first. */
    if (id >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, id, id);
    }
    if (vq->slots[id].ndesc != 0u) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, id, id);
    }

    if (!w.nospc || (w.err != 0)) {
        vq->last_avail = pos;
        vq->avail_wrap = wrap;
    }
    c.id = id;
    c.ndesc = ndesc;
    return avps_vq_finish_chain_(vq, &w, &c);
}

int avps_packed_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    struct avps_pvirtq_desc raw;
    uint16_t flags = 0;
    int r = packed_more_(vq, &flags);

    if (r != 1) {
        return r;
    }
    avps_shm_copy_in_(&raw, &ring_(vq)[vq->last_avail], sizeof raw);
    return packed_take_(vq, req, skip, flags, &raw);
}

/* The tight loop of avps_packed_pop_n_(): from last_avail while descriptors
 * are available, each a single direct descriptor inside the translation
 * window with an id in range and free, ring state in locals (written back
 * before returning). Returns 0 when it stopped at n, at a descriptor not
 * available or at a full ring; 1 when the available descriptor at
 * last_avail (flags in *flags, copied into *first) needs packed_take_(). */
static int packed_tight_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n, uint32_t *k,
                         uint16_t *flags, struct avps_pvirtq_desc *first)
{
    const struct avps_pvirtq_desc *ring = ring_(vq);
    struct avps_vq_slot *slots = vq->slots;
    const uint16_t size = vq->size;
    const uint64_t win_addr = vq->win_addr;
    const uint64_t win_len = vq->win_len;
    uint8_t *const win_hva = vq->win_hva;
    const uint16_t seq_on = (vq->in_order != 0u) ? 0xffffu : 0u;
    const uint16_t seq0 = vq->pop_seq;
    /* The flags the driver writes when a descriptor is available to us. */
    uint16_t avail_bits = (vq->avail_wrap != 0u) ? AVPS_VRING_PACKED_DESC_F_AVAIL
                                                 : AVPS_VRING_PACKED_DESC_F_USED;
    uint16_t pos = vq->last_avail;
    const bool jr = avps_vq_journal_on_(vq);
    struct avps_vq_req *req = &reqs[*k];
    uint32_t lim = n - *k;
    uint32_t got = 0;
    int r = 0;

    /* Bounded by n and by the ring entries not in flight. */
    if (lim > ((uint32_t)size - vq->inflight_desc)) {
        lim = (uint32_t)size - vq->inflight_desc;
    }
    for (; got < lim; got++) {
        struct avps_pvirtq_desc raw;
        uint64_t addr;
        uint32_t len;
        uint16_t f;
        uint16_t id;

        f = avps_shm_load16_(&ring[pos].flags);
        if ((f & (AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED)) != avail_bits) {
            break; /* not available (yet) */
        }
        AVPS_RMB();
        avps_shm_copy_in_(&raw, &ring[pos], sizeof raw);
        id = avps_from_le16(raw.id);
        addr = avps_from_le64(raw.addr);
        len = avps_from_le32(raw.len);
        if (((f & (AVPS_VRING_DESC_F_NEXT | AVPS_VRING_DESC_F_INDIRECT)) != 0u) ||
            (id >= size) || (slots[id].ndesc != 0u) || (len == 0u) || (req->seg_max == 0u) ||
            (len > win_len) || ((addr - win_addr) > (win_len - len))) {
            r = 1; /* this chain, through packed_take_() */
            *flags = f;
            *first = raw;
            break;
        }
        if (jr) {
            packed_journal_desc_(vq, 0u, &raw, f);
            vq->jr->taken(vq->jr_ctx, id, 1u);
        }
        avps_vq_fill_one_(req, &slots[id], id, &win_hva[addr - win_addr], addr, len,
                          (f & AVPS_VRING_DESC_F_WRITE) != 0u,
                          (uint16_t)((uint16_t)(seq0 + got) & seq_on));
        if (++pos == size) {
            pos = 0;
            avail_bits ^= (uint16_t)(AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED);
        }
        req++;
    }
    vq->last_avail = pos;
    vq->avail_wrap = (avail_bits == AVPS_VRING_PACKED_DESC_F_AVAIL) ? 1u : 0u;
    vq->pop_seq = (uint16_t)(seq0 + got);
    vq->inflight = (uint16_t)(vq->inflight + got);
    vq->inflight_desc = (uint16_t)(vq->inflight_desc + got);
    vq->stats.popped += got;
    *k += got;
    return r;
}

/* The ring part of avps_vq_pop_n() (see avps_split_pop_n_()). */
int avps_packed_pop_n_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n)
{
    uint32_t k = 0;
    uint32_t dropped = 0;
    bool try_tight = true;

    /* Bounded: every pass takes chains, consumes a dropped one (at most
     * size of those per call), or returns. */
    while (k < n) {
        struct avps_pvirtq_desc raw;
        uint16_t flags = 0;
        int r = 0;

        /* Asked each pass: packed_take_() may have moved the window. */
        if (try_tight && avps_vq_tight_(vq)) {
            const uint32_t before = k;

            r = packed_tight_(vq, reqs, n, &k, &flags, &raw);
            /* The first chain was not for the tight loop: the rest of this
             * batch is probably like it, so take it the general way. */
            try_tight = (r != 1) || (k != before);
            if ((r == 0) && (k != before)) {
                continue; /* done, or look again (with the slow checks) */
            }
        }
        if (r == 0) {
            r = packed_more_(vq, &flags);
            if (r == 1) {
                avps_shm_copy_in_(&raw, &ring_(vq)[vq->last_avail], sizeof raw);
            }
        }
        if (r == 1) {
            r = packed_take_(vq, &reqs[k], false, flags, &raw);
        }
        if (r == 1) {
            k++;
        } else if ((r == AVPS_VQ_DROPPED_) && (dropped < vq->size)) {
            dropped++;
        } else {
            if (r == AVPS_VQ_DROPPED_) {
                r = 0;
            }
            return (k != 0u) ? (int)k : r;
        }
    }
    return (int)k;
}

#if AVPS_CONFIG_ENABLE_JOURNAL
/* A buffer in flight before a restart. Its ring entries may have been
 * overwritten by used descriptors since, so its descriptors come from the
 * journal, which the peer could have written: each one is checked as ring
 * data, and the list must have the ndesc entries its ring position says. */
int avps_packed_resubmit_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip,
                              uint16_t id, uint16_t ndesc)
{
    struct avps_walk_ w;
    struct avps_chain_ c;
    bool indirect = false;

    avps_walk_init_(&w, vq, req, skip);
    w.journal = false; /* the journal has it already */
    if (((uint32_t)vq->inflight_desc + ndesc) > vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_LOOP, id, ndesc);
    }
    for (uint16_t i = 0; i < ndesc; i++) {
        struct avps_vq_desc d;

        if (vq->jr->fetch(vq->jr_ctx, id, i, &d) != 1) {
            avps_walk_error_(&w, AVPS_E_GUEST_DESC, i);
            break;
        }
        if (indirect) {
            /* §2.8.7: an indirect descriptor stands alone in its list. */
            avps_walk_error_(&w, AVPS_E_GUEST_DESC, d.flags);
        } else if ((d.flags & AVPS_VRING_DESC_F_INDIRECT) != 0u) {
            indirect = true;
            if (i != 0u) {
                avps_walk_error_(&w, AVPS_E_GUEST_DESC, d.flags);
            } else {
                (void)avps_walk_indirect_(&w, d.addr, d.len, true);
            }
        } else if (w.err == 0) {
            (void)avps_walk_buf_(&w, d.addr, d.len, (d.flags & AVPS_VRING_DESC_F_WRITE) != 0u);
        } else {
            /* An earlier descriptor failed. */
        }
    }
    c.id = id;
    c.ndesc = ndesc;
    return avps_vq_finish_chain_(vq, &w, &c);
}
#endif

/* Write id and len of a used descriptor at the current position and move
 * past it; return the flags that will make it used (not yet stored). */
uint16_t avps_packed_fill_used_(struct avps_vq *vq, uint16_t id, uint32_t len, uint16_t ndesc)
{
    struct avps_pvirtq_desc *d = &ring_(vq)[vq->used_idx];
    const uint16_t used =
        (uint16_t)(AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED);
    uint16_t flags = (vq->used_wrap != 0u) ? used : 0u;

    if (len != 0u) {
        flags |= AVPS_VRING_DESC_F_WRITE;
    }
    avps_shm_store16_(&d->id, id);
    avps_shm_store32_(&d->len, len);
    /* Skip the rest of the list (or of the in-order batch). */
    vq->used_idx = (uint16_t)(vq->used_idx + ndesc);
    if (vq->used_idx >= vq->size) {
        vq->used_idx = (uint16_t)(vq->used_idx - vq->size);
        vq->used_wrap ^= 1u;
    }
    return flags;
}

/* Make the descriptor at pos used: its id, len (and the buffer's data)
 * before its flags. */
void avps_packed_publish_used_(struct avps_vq *vq, uint16_t pos, uint16_t flags)
{
    struct avps_pvirtq_desc *d = &ring_(vq)[pos];

    AVPS_WMB();
    avps_shm_store16_(&d->flags, flags);
    avps_vq_clean_(vq, d, sizeof *d);
    avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DESC] + (16u * (uint64_t)pos), sizeof *d);
}

/* A used descriptor inside a batch whose first descriptor is made used last
 * (§2.8.9): the driver reads none of these before that one, so no barrier
 * or cache maintenance per descriptor; packed_sync_() covers them. */
/* Clean and log ring positions [pos, pos + count), in at most two runs. */
static void packed_sync_(const struct avps_vq *vq, uint16_t pos, uint32_t count)
{
    uint32_t at = pos;
    uint32_t left = (count > vq->size) ? vq->size : count;

    if ((vq->caps & (AVPS_VQ_CAP_CLEAN | AVPS_VQ_CAP_DIRTY)) == 0u) {
        return;
    }
    while (left > 0u) {
        uint32_t run = (uint32_t)vq->size - at;

        if (run > left) {
            run = left;
        }
        avps_vq_clean_(vq, &ring_(vq)[at], 16u * (uint64_t)run);
        avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DESC] + (16u * (uint64_t)at),
                       16u * (uint64_t)run);
        left -= run;
        at = 0;
    }
}

/* The writing half of avps_vq_push_n() (the entries are checked): release
 * the slots and write the used descriptors, the batch's first one last. */
void avps_packed_push_n_(struct avps_vq *vq, const struct avps_vq_used *used, uint32_t n)
{
    struct avps_pvirtq_desc *ring = ring_(vq);
    struct avps_vq_slot *slots = vq->slots;
    const uint16_t size = vq->size;
    const bool in_order = (vq->in_order != 0u) && (vq->fold_runs != 0u); /* runs fold */
    const uint16_t both = (uint16_t)(AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED);
    uint16_t pos = vq->used_idx;
    uint16_t wrap_bits = (vq->used_wrap != 0u) ? both : 0u;
    uint16_t head_pos = pos;
    uint16_t head_flags = 0;
    uint16_t run_desc = 0;
    uint32_t total = 0;
    bool have_head = false;

    for (uint32_t i = 0; i < n; i++) {
        const uint16_t id = used[i].id;
        struct avps_vq_slot *slot = &slots[id];
        const uint32_t len = used[i].len;
        const bool whole = len == slot->wr_len;
        struct avps_pvirtq_desc *d;
        uint16_t flags;

        run_desc = (uint16_t)(run_desc + slot->ndesc);
        slot->ndesc = 0;
        slot->seq = 0;
        /* §2.8.9: with IN_ORDER, buffers used completely may share one
         * used descriptor, that of the last buffer of the run. */
        if (in_order && ((i + 1u) != n) && whole) {
            continue;
        }
        d = &ring[pos];
        flags = (uint16_t)(wrap_bits | ((len != 0u) ? AVPS_VRING_DESC_F_WRITE : 0u));
        avps_shm_store16_(&d->id, id);
        avps_shm_store32_(&d->len, len);
        if (have_head) {
            avps_shm_store16_(&d->flags, flags);
        } else {
            /* §2.8.9: the batch's first used descriptor is made used
             * last, so the driver never sees part of the batch. */
            head_pos = pos;
            head_flags = flags;
            have_head = true;
        }
        /* Skip the rest of the list (or of the in-order batch). */
        pos = (uint16_t)(pos + run_desc);
        if (pos >= size) {
            pos = (uint16_t)(pos - size);
            wrap_bits ^= both;
        }
        total += run_desc;
        run_desc = 0;
    }
    vq->used_idx = pos;
    vq->used_wrap = (wrap_bits != 0u) ? 1u : 0u;
    avps_vq_released_(vq, n, total);
    vq->unsignalled += total;
    if (avps_vq_journal_on_(vq)) {
        vq->jr->used_begin(vq->jr_ctx, used, n, vq->used_idx, vq->used_wrap);
    }
    if (have_head) {
        /* The rest of the batch first, then its first descriptor. */
        packed_sync_(vq, (uint16_t)((head_pos + 1u) % size), total - 1u);
        avps_packed_publish_used_(vq, head_pos, head_flags);
    }
    if (avps_vq_journal_on_(vq)) {
        vq->jr->used_end(vq->jr_ctx, used, n, vq->used_idx, vq->used_wrap);
    }
}



static inline bool packed_need_event_(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

bool avps_packed_need_notify_(struct avps_vq *vq)
{
    const struct avps_pvirtq_event_suppress *drv =
        (const struct avps_pvirtq_event_suppress *)vq->ring_hva[AVPS_VQ_AREA_DRIVER];
    uint16_t flags;
    uint16_t off_wrap;
    uint16_t event;

    AVPS_MB();
    avps_vq_inval_(vq, drv, sizeof *drv);
    flags = (uint16_t)(avps_shm_load16_(&drv->flags) & 3u);
    if (flags == AVPS_VRING_PACKED_EVENT_FLAG_DISABLE) {
        return false;
    }
    /* ENABLE, reserved 3, or DESC without EVENT_IDX: notify. */
    if ((flags != AVPS_VRING_PACKED_EVENT_FLAG_DESC) || !vq->event_idx) {
        return true;
    }
    if (vq->unsignalled >= vq->size) {
        return true;
    }
    AVPS_RMB();
    off_wrap = avps_shm_load16_(&drv->off_wrap);
    event = (uint16_t)(off_wrap & 0x7fffu);
    /* An event in the previous lap sits size entries back. */
    if ((off_wrap >> AVPS_VRING_PACKED_EVENT_WRAP_SHIFT) != vq->used_wrap) {
        event = (uint16_t)(event - vq->size);
    }
    return packed_need_event_(event, vq->used_idx,
                       (uint16_t)(vq->used_idx - (uint16_t)vq->unsignalled));
}

void avps_packed_kick_(struct avps_vq *vq, bool enable)
{
    struct avps_pvirtq_event_suppress *dev =
        (struct avps_pvirtq_event_suppress *)vq->ring_hva[AVPS_VQ_AREA_DEVICE];

    if (!enable) {
        avps_shm_store16_(&dev->flags, AVPS_VRING_PACKED_EVENT_FLAG_DISABLE);
    } else if (vq->event_idx != 0u) {
        const uint16_t wrap_bit =
            (uint16_t)((uint16_t)vq->avail_wrap << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT);
        const uint16_t here = (uint16_t)(vq->last_avail | wrap_bit);

        avps_shm_store16_(&dev->off_wrap, here);
        AVPS_WMB();
        avps_shm_store16_(&dev->flags, AVPS_VRING_PACKED_EVENT_FLAG_DESC);
        vq->event_armed = 1;
        vq->event_value = here;
    } else {
        avps_shm_store16_(&dev->flags, AVPS_VRING_PACKED_EVENT_FLAG_ENABLE);
    }
    avps_vq_clean_(vq, dev, sizeof *dev);
    avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DEVICE], sizeof *dev);
    /* Our request must be visible before we look at the ring again. */
    AVPS_MB();
}

int avps_packed_pending_(struct avps_vq *vq)
{
    AVPS_MB();
    return is_avail_(load_flags_(vq, vq->last_avail), vq->avail_wrap) ? 1 : 0;
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int avps_packed_left_out_;
#endif /* AVPS_CONFIG_ENABLE_PACKED */

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

int avps_packed_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    const struct avps_pvirtq_desc *ring = ring_(vq);
    uint16_t pos = vq->last_avail;
    uint8_t wrap = vq->avail_wrap;
    uint16_t flags = load_flags_(vq, pos);
    uint16_t ndesc = 0;
    uint16_t id = 0;
    struct avps_pvirtq_desc raw;
    struct avps_walk_ w;
    struct avps_chain_ c;

    if (!is_avail_(flags, wrap)) {
        /* Empty. With EVENT_IDX, ask for a notification at this very
         * descriptor (once per position), then look again. */
        const uint16_t here =
            (uint16_t)(pos | (uint16_t)((uint16_t)wrap << AVPS_VRING_PACKED_EVENT_WRAP_SHIFT));

        if (!vq->event_idx || vq->kick_off || (vq->event_armed && (vq->event_value == here))) {
            return 0;
        }
        avps_packed_kick_(vq, true);
        flags = load_flags_(vq, pos);
        if (!is_avail_(flags, wrap)) {
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
    avps_shm_copy_in_(&raw, &ring[pos], sizeof raw);
    /* One pass for a single direct descriptor inside the translation window
     * (every walker rule holds trivially for it). */
    if (!skip && ((vq->caps & AVPS_VQ_CAP_WINDOW) != 0u) &&
        ((flags & (AVPS_VRING_DESC_F_NEXT | AVPS_VRING_DESC_F_INDIRECT)) == 0u)) {
        const bool write = (flags & AVPS_VRING_DESC_F_WRITE) != 0u;
        const uint32_t len = avps_from_le32(raw.len);

        id = avps_from_le16(raw.id);
        if ((id < vq->size) && (vq->slots[id].ndesc == 0u) &&
            avps_vq_fast_one_(vq, req, avps_from_le64(raw.addr), len, write)) {
            if (vq->jr != NULL) {
                packed_journal_desc_(vq, 0u, &raw, flags);
                vq->jr->taken(vq->jr_ctx, id, 1u);
            }
            if (++vq->last_avail == vq->size) {
                vq->last_avail = 0;
                vq->avail_wrap ^= 1u;
            }
            return avps_vq_take_slot_(vq, req, id, 1u, write ? 0u : len, write ? len : 0u);
        }
    }
    avps_walk_init_(&w, vq, req, skip);
    /* Bounded: ndesc grows each pass and may not pass the free entries. */
    for (;;) {
        if (vq->jr != NULL) {
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
 * or cache maintenance per descriptor; avps_packed_sync_() covers them. */
void avps_packed_put_used_batched_(struct avps_vq *vq, uint16_t id, uint32_t len, uint16_t ndesc)
{
    struct avps_pvirtq_desc *d = &ring_(vq)[vq->used_idx];

    avps_shm_store16_(&d->flags, avps_packed_fill_used_(vq, id, len, ndesc));
}

/* Clean and log ring positions [pos, pos + count), in at most two runs. */
void avps_packed_sync_(const struct avps_vq *vq, uint16_t pos, uint32_t count)
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

void avps_packed_put_used_(struct avps_vq *vq, uint16_t id, uint32_t len, uint16_t ndesc)
{
    const uint16_t pos = vq->used_idx;

    avps_packed_publish_used_(vq, pos, avps_packed_fill_used_(vq, id, len, ndesc));
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

/*
 * Split virtqueue engine, device side (VIRTIO 1.2 §2.7).
 *
 * The driver owns the Descriptor and Driver Areas; we only read them, each
 * entry once (STYLE rule 11). We own the Device Area (used ring).
 */
#include "vq_priv.h"

static inline const struct avps_vring_avail *avail_(const struct avps_vq *vq)
{
    return (const struct avps_vring_avail *)vq->ring_hva[AVPS_VQ_AREA_DRIVER];
}

static inline struct avps_vring_used *used_(const struct avps_vq *vq)
{
    void *hva = vq->ring_hva[AVPS_VQ_AREA_DEVICE];

    return (struct avps_vring_used *)hva;
}

static inline uint16_t split_mask_(const struct avps_vq *vq)
{
    return (uint16_t)(vq->size - 1u);
}

/* Read the driver's avail->idx once; a jump beyond the queue size is a
 * broken driver (rust-vmm/vm-virtio#196: never process entries twice). */
static int split_avail_idx_(struct avps_vq *vq, uint16_t *out)
{
    const struct avps_vring_avail *av = avail_(vq);
    uint16_t idx;

    avps_vq_inval_(vq, &av->idx, 2u);
    idx = avps_shm_load16_(&av->idx);
    if ((uint16_t)(idx - vq->last_avail) > vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, 0u, idx);
    }
    *out = idx;
    return AVPS_OK;
}

static inline const struct avps_vring_desc *split_table_(const struct avps_vq *vq)
{
    return (const struct avps_vring_desc *)vq->ring_hva[AVPS_VQ_AREA_DESC];
}

/* Read descriptor idx (< size) once. */
static inline void split_read_desc_(const struct avps_vq *vq, uint16_t idx,
                                    struct avps_vring_desc *raw)
{
    const struct avps_vring_desc *ring = split_table_(vq);

    avps_vq_inval_(vq, &ring[idx], 16u);
    avps_shm_copy_in_(raw, &ring[idx], sizeof *raw);
}

/* Walk the chain whose first descriptor (at head, already checked < size)
 * was copied into *first; every later one is read here, once. */
static inline void split_walk_(struct avps_vq *vq, struct avps_walk_ *w,
                               const struct avps_vring_desc *first)
{
    struct avps_vring_desc raw = *first;

    /* Bounded: every pass either visits a buffer descriptor (walk_buf fails
     * after size of them) or enters the one indirect table and leaves. */
    for (;;) {
        uint16_t flags;

        flags = avps_from_le16(raw.flags);
        if ((flags & AVPS_VRING_DESC_F_INDIRECT) != 0u) {
            /* §2.7.5.3: a table ends the chain; INDIRECT with NEXT is
             * forbidden; the WRITE flag of this descriptor is ignored. */
            if ((flags & AVPS_VRING_DESC_F_NEXT) != 0u) {
                avps_walk_error_(w, AVPS_E_GUEST_DESC, flags);
            } else {
                (void)avps_walk_indirect_(w, avps_from_le64(raw.addr),
                                          avps_from_le32(raw.len), false);
            }
            break;
        }
        if (avps_walk_buf_(w, avps_from_le64(raw.addr), avps_from_le32(raw.len),
                           (flags & AVPS_VRING_DESC_F_WRITE) != 0u) != AVPS_OK) {
            break;
        }
        if ((flags & AVPS_VRING_DESC_F_NEXT) == 0u) {
            break;
        }
        {
            const uint16_t idx = avps_from_le16(raw.next);

            if (idx >= vq->size) {
                avps_walk_error_(w, AVPS_E_GUEST_DESC, idx);
                break;
            }
            split_read_desc_(vq, idx, &raw);
        }
    }
}

int avps_split_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    const struct avps_vring_avail *av = avail_(vq);
    struct avps_vring_desc first;
    struct avps_walk_ w;
    struct avps_chain_ c;
    uint16_t head;

    if (vq->last_avail == vq->shadow_avail) {
        int err = split_avail_idx_(vq, &vq->shadow_avail);

        if (err != AVPS_OK) {
            return err;
        }
        if (vq->last_avail == vq->shadow_avail) {
            /* Empty. With EVENT_IDX, ask for a notification at the next
             * entry (once per position), then look again: the driver may
             * have published meanwhile against the old avail_event. */
            if (!vq->event_idx || vq->kick_off ||
                (vq->event_armed && (vq->event_value == vq->last_avail))) {
                return 0;
            }
            avps_split_kick_(vq, true);
            err = avps_split_pending_(vq);
            if (err <= 0) {
                return err;
            }
        }
        /* Entries and descriptors are read only after idx. */
        AVPS_RMB();
    }
    /* CVE-2016-5403: never more buffers in flight than the queue holds. */
    if (vq->inflight >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, 0u, vq->inflight);
    }

    avps_vq_inval_(vq, &av->ring[vq->last_avail & split_mask_(vq)], 2u);
    head = avps_shm_load16_(&av->ring[vq->last_avail & split_mask_(vq)]);
    if (head >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, head, head);
    }
    if (vq->slots[head].ndesc != 0u) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, head, head);
    }

    split_read_desc_(vq, head, &first);
    /* One pass for a single direct descriptor inside the translation window:
     * every walker rule holds trivially for it (one descriptor, no order to
     * keep, a 32-bit length), so it goes in flight at once. */
    if (!skip && ((vq->caps & AVPS_VQ_CAP_WINDOW) != 0u) &&
        ((avps_from_le16(first.flags) & (AVPS_VRING_DESC_F_NEXT | AVPS_VRING_DESC_F_INDIRECT)) ==
         0u)) {
        const bool write = (avps_from_le16(first.flags) & AVPS_VRING_DESC_F_WRITE) != 0u;
        const uint32_t len = avps_from_le32(first.len);

        if (avps_vq_fast_one_(vq, req, avps_from_le64(first.addr), len, write)) {
            vq->last_avail++;
            if (vq->jr != NULL) {
                vq->jr->taken(vq->jr_ctx, head, 1u);
            }
            return avps_vq_take_slot_(vq, req, head, 1u, write ? 0u : len, write ? len : 0u);
        }
    }
    avps_walk_init_(&w, vq, req, skip);
    split_walk_(vq, &w, &first);

    /* Consumed, so never parsed again; only a chain that merely did not fit
     * the caller's array stays in the ring. */
    if (!w.nospc || (w.err != 0)) {
        vq->last_avail++;
    }
    c.id = head;
    c.ndesc = 1u;
    return avps_vq_finish_chain_(vq, &w, &c);
}

/* A buffer in flight before a restart: its chain is still in the descriptor
 * table (the driver may not touch it until it is used); the available ring
 * entry that named it is already behind last_avail. */
int avps_split_resubmit_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip,
                             uint16_t head)
{
    struct avps_vring_desc first;
    struct avps_walk_ w;
    struct avps_chain_ c;

    if (vq->inflight >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, head, vq->inflight);
    }
    avps_walk_init_(&w, vq, req, skip);
    w.journal = false; /* the journal has it already */
    split_read_desc_(vq, head, &first);
    split_walk_(vq, &w, &first);
    c.id = head;
    c.ndesc = 1u;
    return avps_vq_finish_chain_(vq, &w, &c);
}

void avps_split_put_used_(struct avps_vq *vq, uint16_t off, uint16_t id, uint32_t len)
{
    struct avps_vring_used *u = used_(vq);
    const uint16_t slot = (uint16_t)((uint16_t)(vq->used_idx + off) & split_mask_(vq));
    struct avps_vring_used_elem *e = &u->ring[slot];

    avps_shm_store32_(&e->id, id);
    avps_shm_store32_(&e->len, len);
}

/* Clean and log the used elements [first, first + count) (ring slots, in at
 * most two runs), as one range each rather than per element. */
static void split_sync_elems_(const struct avps_vq *vq, uint16_t first, uint16_t count)
{
    const struct avps_vring_used *u = used_(vq);
    uint32_t slot = (uint32_t)first & split_mask_(vq);
    uint32_t left = (count > vq->size) ? vq->size : count;

    while (left > 0u) {
        uint32_t run = (uint32_t)vq->size - slot;

        if (run > left) {
            run = left;
        }
        avps_vq_clean_(vq, &u->ring[slot], 8u * (uint64_t)run);
        avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DEVICE] + 4u + (8u * (uint64_t)slot),
                       8u * (uint64_t)run);
        left -= run;
        slot = 0;
    }
}

void avps_split_publish_(struct avps_vq *vq, uint16_t count)
{
    struct avps_vring_used *u = used_(vq);

    if ((vq->caps & (AVPS_VQ_CAP_CLEAN | AVPS_VQ_CAP_DIRTY)) != 0u) {
        split_sync_elems_(vq, vq->used_idx, count);
    }
    /* §2.7.8.2: entries (and the buffers' data) before the index. */
    AVPS_WMB();
    vq->used_idx = (uint16_t)(vq->used_idx + count);
    avps_shm_store16_(&u->idx, vq->used_idx);
    avps_vq_clean_(vq, &u->idx, 2u);
    avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DEVICE] + 2u, 2u);
}

/* vring_need_event: true when event lies in [old, new). */
static inline bool split_need_event_(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

bool avps_split_need_notify_(struct avps_vq *vq)
{
    const struct avps_vring_avail *av = avail_(vq);

    /* The used index must be visible before we read the driver's wish. */
    AVPS_MB();
    if (vq->event_idx != 0u) {
        const uint8_t *ue = &((const uint8_t *)av)[AVPS_VRING_USED_EVENT_OFF(vq->size)];
        uint16_t event;

        /* More than 2^16 entries since the last decision: the window is
         * ambiguous, so notify (a spurious notification is harmless). */
        if (vq->unsignalled > 0xffffu) {
            return true;
        }
        avps_vq_inval_(vq, ue, 2u);
        event = avps_shm_load16_(ue);
        return split_need_event_(event, vq->used_idx,
                           (uint16_t)(vq->used_idx - (uint16_t)vq->unsignalled));
    }
    avps_vq_inval_(vq, &av->flags, 2u);
    /* §2.7.7.2: flags 0 means MUST notify; any other value we read as 1. */
    return (avps_shm_load16_(&av->flags) & AVPS_VRING_AVAIL_F_NO_INTERRUPT) == 0u;
}

void avps_split_kick_(struct avps_vq *vq, bool enable)
{
    struct avps_vring_used *u = used_(vq);

    if (vq->event_idx != 0u) {
        /* §2.7.10: flags stay 0; avail_event asks for a notification once
         * the driver publishes past what we have seen. Disabling leaves the
         * old value in place, which the driver has long passed. */
        if (enable) {
            uint8_t *ae = &((uint8_t *)u)[AVPS_VRING_AVAIL_EVENT_OFF(vq->size)];

            avps_shm_store16_(ae, vq->shadow_avail);
            vq->event_armed = 1;
            vq->event_value = vq->shadow_avail;
            avps_vq_clean_(vq, ae, 2u);
            avps_vq_dirty_(vq,
                        vq->ring_gpa[AVPS_VQ_AREA_DEVICE] + AVPS_VRING_AVAIL_EVENT_OFF(vq->size),
                        2u);
        }
        return;
    }
    avps_shm_store16_(&u->flags, (uint16_t)(enable ? 0u : AVPS_VRING_USED_F_NO_NOTIFY));
    avps_vq_clean_(vq, &u->flags, 2u);
    avps_vq_dirty_(vq, vq->ring_gpa[AVPS_VQ_AREA_DEVICE], 2u);
}

int avps_split_pending_(struct avps_vq *vq)
{
    int err;

    if (vq->last_avail != vq->shadow_avail) {
        return 1;
    }
    /* Our store to flags/avail_event before the re-read of idx. */
    AVPS_MB();
    err = split_avail_idx_(vq, &vq->shadow_avail);
    if (err != AVPS_OK) {
        return err;
    }
    return (vq->last_avail != vq->shadow_avail) ? 1 : 0;
}

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

/* Make sure an entry is published past last_avail: 1 when one is, 0 when
 * the ring is empty, or a fatal error. */
static int split_more_(struct avps_vq *vq)
{
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
    return 1;
}

/* Read the next available entry once and the descriptor it names: *head and
 * *first are the copies everything after acts on. */
static int split_next_head_(struct avps_vq *vq, uint16_t *head, struct avps_vring_desc *first)
{
    const struct avps_vring_avail *av = avail_(vq);
    const uint16_t at = (uint16_t)(vq->last_avail & split_mask_(vq));
    uint16_t h;

    /* CVE-2016-5403: never more buffers in flight than the queue holds. */
    if (vq->inflight >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, 0u, vq->inflight);
    }
    avps_vq_inval_(vq, &av->ring[at], 2u);
    h = avps_shm_load16_(&av->ring[at]);
    if (h >= vq->size) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, h, h);
    }
    if (vq->slots[h].ndesc != 0u) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, h, h);
    }
    split_read_desc_(vq, h, first);
    *head = h;
    return 1;
}

/* Take the chain at head, whose first descriptor was copied into *first. */
static int split_take_(struct avps_vq *vq, struct avps_vq_req *req, bool skip, uint16_t head,
                       const struct avps_vring_desc *first)
{
    struct avps_walk_ w;
    struct avps_chain_ c;

    avps_walk_init_(&w, vq, req, skip);
    split_walk_(vq, &w, first);

    /* Consumed, so never parsed again; only a chain that merely did not fit
     * the caller's array stays in the ring. */
    if (!w.nospc || (w.err != 0)) {
        vq->last_avail++;
    }
    c.id = head;
    c.ndesc = 1u;
    return avps_vq_finish_chain_(vq, &w, &c);
}

int avps_split_pop_one_(struct avps_vq *vq, struct avps_vq_req *req, bool skip)
{
    struct avps_vring_desc first;
    uint16_t head = 0;
    int r;

    if (vq->last_avail == vq->shadow_avail) {
        r = split_more_(vq);
        if (r <= 0) {
            return r;
        }
    }
    r = split_next_head_(vq, &head, &first);
    if (r != 1) {
        return r;
    }
    return split_take_(vq, req, skip, head, &first);
}

/* The tight loop of avps_split_pop_n_(): from last_avail to the published
 * index, single direct descriptors inside the translation window, with the
 * ring state in locals (written back before returning). Returns 0 when it
 * stopped at n, at the published index or at a full slot array; 1 when the
 * chain at *head (first descriptor copied into *first) needs split_take_();
 * or a fatal error. *k counts the requests filled. */
static int split_tight_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n, uint32_t *k,
                        uint16_t *head, struct avps_vring_desc *first)
{
    const struct avps_vring_avail *av = avail_(vq);
    const struct avps_vring_desc *table = split_table_(vq);
    struct avps_vq_slot *slots = vq->slots;
    const uint16_t mask = split_mask_(vq);
    const uint16_t size = vq->size;
    const uint64_t win_addr = vq->win_addr;
    const uint64_t win_len = vq->win_len;
    uint8_t *const win_hva = vq->win_hva;
    const uint16_t seq_on = (vq->in_order != 0u) ? 0xffffu : 0u;
    const uint16_t start = vq->last_avail;
    const uint16_t seq0 = vq->pop_seq;
    const struct avps_vq_journal *const jr = avps_vq_journal_on_(vq) ? vq->jr : NULL;
    struct avps_vq_req *req = &reqs[*k];
    uint32_t lim = n - *k;
    uint32_t got = 0;
    int r = 0;

    /* Bounded by n, by the published entries and by the free slots. */
    if (lim > (uint16_t)(vq->shadow_avail - start)) {
        lim = (uint16_t)(vq->shadow_avail - start);
    }
    if (lim > ((uint32_t)size - vq->inflight)) {
        lim = (uint32_t)size - vq->inflight;
    }
    for (; got < lim; got++) {
        struct avps_vring_desc raw;
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint16_t h;

        h = avps_shm_load16_(&av->ring[(uint16_t)(start + got) & mask]);
        if ((h >= size) || (slots[h].ndesc != 0u)) {
            r = AVPS_E_GUEST_INDEX;
            *head = h;
            break;
        }
        avps_shm_copy_in_(&raw, &table[h], sizeof raw);
        flags = avps_from_le16(raw.flags);
        addr = avps_from_le64(raw.addr);
        len = avps_from_le32(raw.len);
        if (((flags & (AVPS_VRING_DESC_F_NEXT | AVPS_VRING_DESC_F_INDIRECT)) != 0u) ||
            (len == 0u) || (req->seg_max == 0u) || (len > win_len) ||
            ((addr - win_addr) > (win_len - len))) {
            r = 1; /* this chain, through split_take_() */
            *head = h;
            *first = raw;
            break;
        }
        if (jr != NULL) {
            jr->taken(vq->jr_ctx, h, 1u);
        }
        avps_vq_fill_one_(req, &slots[h], h, &win_hva[addr - win_addr], addr, len,
                          (flags & AVPS_VRING_DESC_F_WRITE) != 0u,
                          (uint16_t)((uint16_t)(seq0 + got) & seq_on));
        req++;
    }
    vq->last_avail = (uint16_t)(start + got);
    vq->pop_seq = (uint16_t)(seq0 + got);
    vq->inflight = (uint16_t)(vq->inflight + got);
    vq->inflight_desc = (uint16_t)(vq->inflight_desc + got);
    vq->stats.popped += got;
    *k += got;
    if (r == AVPS_E_GUEST_INDEX) {
        return avps_vq_fail_(vq, AVPS_E_GUEST_INDEX, *head, *head);
    }
    return r;
}

/* The ring part of avps_vq_pop_n() and avps_vq_pop(). The commonest chain
 * (one direct descriptor inside the translation window, no cache
 * maintenance) is taken by split_tight_(); any other goes through
 * split_take_() with the copies already made (each entry read once).
 * Returns the chains taken, or when none what avps_vq_pop() would. */
int avps_split_pop_n_(struct avps_vq *vq, struct avps_vq_req *reqs, uint32_t n)
{
    uint32_t k = 0;
    uint32_t dropped = 0;
    bool try_tight = true;

    /* Bounded: every pass takes chains, consumes a dropped one (at most
     * size of those per call), or returns. */
    while (k < n) {
        struct avps_vring_desc first;
        uint16_t head = 0;
        int r = 0;

        if (vq->last_avail == vq->shadow_avail) {
            r = split_more_(vq);
            if (r <= 0) {
                return (k != 0u) ? (int)k : r;
            }
        }
        /* Asked each pass: split_take_() may have moved the window. */
        if (try_tight && avps_vq_tight_(vq)) {
            const uint32_t before = k;

            r = split_tight_(vq, reqs, n, &k, &head, &first);
            /* The first chain was not for the tight loop: the rest of this
             * batch is probably like it, so take it the general way. */
            try_tight = (r != 1) || (k != before);
            if (r == 0) {
                if ((k == n) || (vq->last_avail == vq->shadow_avail)) {
                    continue; /* done, or look for more */
                }
                r = split_next_head_(vq, &head, &first); /* the slots are full */
            }
        } else {
            r = split_next_head_(vq, &head, &first);
        }
        if (r == 1) {
            r = split_take_(vq, &reqs[k], false, head, &first);
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
#endif

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

/* The writing half of avps_vq_push_n() (the entries are checked): release
 * the slots, write the used elements, publish them with one index store. */
void avps_split_push_n_(struct avps_vq *vq, const struct avps_vq_used *used, uint32_t n)
{
    struct avps_vring_used *u = used_(vq);
    struct avps_vq_slot *slots = vq->slots;
    const uint16_t mask = split_mask_(vq);
    const uint16_t base = vq->used_idx;
    const bool in_order = (vq->in_order != 0u) && (vq->fold_runs != 0u); /* runs fold */
    uint16_t off = 0;
    uint16_t run = 0;

    for (uint32_t i = 0; i < n; i++) {
        const uint16_t id = used[i].id;
        struct avps_vq_slot *slot = &slots[id];
        const bool whole = used[i].len == slot->wr_len;

        /* Released here already: the index below publishes them all. */
        slot->ndesc = 0;
        slot->seq = 0;
        run++;
        /* §2.7.9: one used entry per run of completely used buffers,
         * written where the run's first buffer would go. */
        if (in_order && ((i + 1u) != n) && whole) {
            continue;
        }
        {
            struct avps_vring_used_elem *e = &u->ring[(uint16_t)(base + off) & mask];

            avps_shm_store32_(&e->id, id);
            avps_shm_store32_(&e->len, used[i].len);
        }
        off = (uint16_t)(off + run);
        run = 0;
    }
    avps_vq_released_(vq, n, n);
    if (avps_vq_journal_on_(vq)) {
        vq->jr->used_begin(vq->jr_ctx, used, n, (uint16_t)(vq->used_idx + n), 0u);
    }
    avps_split_publish_(vq, (uint16_t)n);
    vq->unsignalled += n;
    if (avps_vq_journal_on_(vq)) {
        vq->jr->used_end(vq->jr_ctx, used, n, vq->used_idx, vq->used_wrap);
    }
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

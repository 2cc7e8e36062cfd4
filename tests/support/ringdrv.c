/* ringdrv: guest-side driver from the spec; see ringdrv.h. */
#include "ringdrv.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>

static void *gp_(struct rd_queue *q, uint64_t gpa, uint64_t len)
{
    return avps_posix_ptr(q->g, gpa, len);
}

static uint64_t align_up_(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int rd_init(struct rd_queue *q, struct avps_posix_guest *g, bool packed, uint16_t size,
            uint64_t features, uint64_t base, uint64_t heap, uint64_t heap_len)
{
    uint64_t p;

    memset(q, 0, sizeof *q);
    q->g = g;
    q->packed = packed;
    q->size = size;
    q->features = features;
    q->in_order = (features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER)) != 0;
    p = align_up_(base, 16);
    q->desc = p;
    p += 16ull * size;
    if (packed) {
        p = align_up_(p, 4);
        q->driver = p;
        p += 4;
        q->device = p;
        p += 4;
    } else {
        p = align_up_(p, 2);
        q->driver = p;
        p += AVPS_VRING_AVAIL_BYTES(size);
        p = align_up_(p, 4);
        q->device = p;
        p += AVPS_VRING_USED_BYTES(size);
    }
    q->desc_p = gp_(q, q->desc, 16ull * size);
    q->driver_p = gp_(q, q->driver, packed ? 4 : AVPS_VRING_AVAIL_BYTES(size));
    q->device_p = gp_(q, q->device, packed ? 4 : AVPS_VRING_USED_BYTES(size));
    if (q->desc_p == NULL || q->driver_p == NULL || q->device_p == NULL)
        return -1;
    memset(q->desc_p, 0, 16ull * size);
    memset(q->driver_p, 0, packed ? 4 : AVPS_VRING_AVAIL_BYTES(size));
    memset(q->device_p, 0, packed ? 4 : AVPS_VRING_USED_BYTES(size));

    q->next_free = calloc(size, sizeof *q->next_free);
    q->link = calloc(size, sizeof *q->link);
    q->id_stack = calloc(size, sizeof *q->id_stack);
    q->id_ndesc = calloc(size, sizeof *q->id_ndesc);
    q->id_wrlen = calloc(size, sizeof *q->id_wrlen);
    q->fifo = calloc(size, sizeof *q->fifo);
    q->done = calloc(size, sizeof *q->done);
    if (!q->next_free || !q->link || !q->id_stack || !q->id_ndesc || !q->id_wrlen || !q->fifo || !q->done)
        return -1;
    for (uint32_t i = 0; i < size; i++) {
        q->next_free[i] = (uint16_t)(i + 1);
        q->id_stack[i] = (uint16_t)(size - 1 - i); /* pop gives 0 first */
    }
    q->id_top = size;
    q->num_free = size;
    q->avail_wrap = 1;
    q->used_wrap = 1;
    q->heap = align_up_(heap, 16);
    q->heap_end = heap + heap_len;
    if (avps_posix_ptr(g, heap, heap_len) == NULL && heap_len != 0) {
        /* heap may span regions; accept if both ends exist */
        if (avps_posix_ptr(g, heap, 1) == NULL || avps_posix_ptr(g, heap + heap_len - 1, 1) == NULL)
            return -1;
    }
    return 0;
}

void rd_fini(struct rd_queue *q)
{
    free(q->next_free);
    free(q->link);
    free(q->id_stack);
    free(q->id_ndesc);
    free(q->id_wrlen);
    free(q->fifo);
    free(q->done);
    memset(q, 0, sizeof *q);
}

struct avps_vq_ring rd_ring(const struct rd_queue *q)
{
    struct avps_vq_ring r;

    memset(&r, 0, sizeof r);
    r.desc = q->desc;
    r.driver = q->driver;
    r.device = q->device;
    r.size = q->size;
    r.features = q->features;
    return r;
}

uint64_t rd_alloc(struct rd_queue *q, uint32_t len)
{
    uint64_t a = q->heap;

    if (len == 0)
        len = 1;
    if (a + len > q->heap_end)
        return 0;
    q->heap = align_up_(a + len, 16);
    return a;
}

void rd_fill(struct rd_queue *q, uint64_t gpa, uint8_t byte, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        uint8_t *p = gp_(q, gpa + i, 1);

        if (p != NULL)
            *p = byte;
    }
}

static void put_split_desc_(struct avps_vring_desc *d, uint64_t addr, uint32_t len,
                            uint16_t flags, uint16_t next)
{
    d->addr = avps_to_le64(addr);
    d->len = avps_to_le32(len);
    d->flags = avps_to_le16(flags);
    d->next = avps_to_le16(next);
}

static uint16_t alloc_desc_(struct rd_queue *q)
{
    uint16_t d;

    if (q->in_order) {
        d = q->next_seq_desc;
        q->next_seq_desc = (uint16_t)((d + 1u) % q->size);
    } else {
        d = q->free_head;
        q->free_head = q->next_free[d];
    }
    q->num_free--;
    return d;
}

static int add_split_(struct rd_queue *q, const struct rd_buf *b, unsigned int n,
                      unsigned int flags)
{
    struct avps_vring_desc *ring = (struct avps_vring_desc *)q->desc_p;
    const bool ind = (flags & RD_INDIRECT) != 0;
    const unsigned int need = ind ? 1u : n;
    uint16_t head, prev = 0;
    uint32_t wr = 0;
    uint16_t *ar = (uint16_t *)(q->driver_p + 4);

    if (q->num_free < need || n == 0)
        return -1;
    for (unsigned int i = 0; i < n; i++)
        wr += b[i].write ? b[i].len : 0;
    if (ind) {
        uint64_t t = rd_alloc(q, 16u * n);
        struct avps_vring_desc *tab;

        if (t == 0)
            return -1;
        tab = gp_(q, t, 16ull * n);
        for (unsigned int i = 0; i < n; i++)
            put_split_desc_(&tab[i], b[i].gpa, b[i].len,
                            (uint16_t)((b[i].write ? AVPS_VRING_DESC_F_WRITE : 0u) |
                                       (i + 1 < n ? AVPS_VRING_DESC_F_NEXT : 0u)),
                            (uint16_t)(i + 1 < n ? i + 1 : 0));
        head = alloc_desc_(q);
        put_split_desc_(&ring[head], t, 16u * n, AVPS_VRING_DESC_F_INDIRECT, 0);
    } else {
        head = 0;
        for (unsigned int i = 0; i < n; i++) {
            uint16_t d = alloc_desc_(q);

            if (i == 0)
                head = d;
            else {
                ring[prev].next = avps_to_le16(d);
                q->link[prev] = d;
            }
            put_split_desc_(&ring[d], b[i].gpa, b[i].len,
                            (uint16_t)((b[i].write ? AVPS_VRING_DESC_F_WRITE : 0u) |
                                       (i + 1 < n ? AVPS_VRING_DESC_F_NEXT : 0u)),
                            0);
            prev = d;
        }
    }
    q->id_ndesc[head] = (uint16_t)need;
    q->id_wrlen[head] = wr;
    if (q->in_order) /* completion order is only tracked when it is promised */
        q->fifo[(q->fifo_head + q->fifo_count) % q->size] = head;
    q->fifo_count++;
    ar[(uint16_t)(q->avail_idx + q->pending) % q->size] = avps_cpu_to_le16_raw(head);
    q->pending++;
    q->last_head = head;
    if ((flags & RD_NO_PUBLISH) == 0)
        rd_publish(q);
    return head;
}

void rd_publish(struct rd_queue *q)
{
    if (q->packed || q->pending == 0)
        return;
    atomic_thread_fence(memory_order_release);
    q->avail_idx = (uint16_t)(q->avail_idx + q->pending);
    q->pending = 0;
    rd_set_avail_idx(q, q->avail_idx);
    atomic_thread_fence(memory_order_seq_cst);
}

static uint16_t packed_flags_(const struct rd_queue *q, bool write, bool next, bool ind)
{
    uint16_t f = 0;

    if (write)
        f |= AVPS_VRING_DESC_F_WRITE;
    if (next)
        f |= AVPS_VRING_DESC_F_NEXT;
    if (ind)
        f |= AVPS_VRING_DESC_F_INDIRECT;
    if (q->avail_wrap)
        f |= AVPS_VRING_PACKED_DESC_F_AVAIL;
    else
        f |= AVPS_VRING_PACKED_DESC_F_USED;
    return f;
}

static int add_packed_(struct rd_queue *q, const struct rd_buf *b, unsigned int n,
                       unsigned int flags)
{
    struct avps_pvirtq_desc *ring = (struct avps_pvirtq_desc *)q->desc_p;
    const bool ind = (flags & RD_INDIRECT) != 0;
    const unsigned int need = ind ? 1u : n;
    uint16_t id, first = q->next_avail, first_flags = 0;
    uint32_t wr = 0;

    if (q->num_free < need || q->id_top == 0 || n == 0)
        return -1;
    id = q->id_stack[--q->id_top];
    for (unsigned int i = 0; i < n; i++)
        wr += b[i].write ? b[i].len : 0;
    q->last_head = first;
    if (ind) {
        uint64_t t = rd_alloc(q, 16u * n);
        struct avps_pvirtq_desc *tab;

        if (t == 0)
            return -1;
        tab = gp_(q, t, 16ull * n);
        for (unsigned int i = 0; i < n; i++) {
            tab[i].addr = avps_to_le64(b[i].gpa);
            tab[i].len = avps_to_le32(b[i].len);
            tab[i].id = avps_to_le16(0);
            tab[i].flags = avps_to_le16(b[i].write ? AVPS_VRING_DESC_F_WRITE : 0);
        }
        ring[first].addr = avps_to_le64(t);
        ring[first].len = avps_to_le32(16u * n);
        ring[first].id = avps_to_le16(id);
        first_flags = packed_flags_(q, false, false, true);
        if (++q->next_avail == q->size) {
            q->next_avail = 0;
            q->avail_wrap ^= 1;
        }
    } else {
        for (unsigned int i = 0; i < n; i++) {
            uint16_t pos = q->next_avail;
            uint16_t f = packed_flags_(q, b[i].write, i + 1 < n, false);

            ring[pos].addr = avps_to_le64(b[i].gpa);
            ring[pos].len = avps_to_le32(b[i].len);
            ring[pos].id = avps_to_le16(id);
            if (i == 0)
                first_flags = f;
            else
                ring[pos].flags = avps_to_le16(f);
            if (++q->next_avail == q->size) {
                q->next_avail = 0;
                q->avail_wrap ^= 1;
            }
        }
    }
    q->num_free = (uint16_t)(q->num_free - need);
    q->id_ndesc[id] = (uint16_t)need;
    q->id_wrlen[id] = wr;
    if (q->in_order)
        q->fifo[(q->fifo_head + q->fifo_count) % q->size] = id;
    q->fifo_count++;
    /* §2.8.6: the first descriptor's flags go last. */
    atomic_thread_fence(memory_order_release);
    ring[first].flags = avps_to_le16(first_flags);
    atomic_thread_fence(memory_order_seq_cst);
    return id;
}

int rd_add(struct rd_queue *q, const struct rd_buf *b, unsigned int n, unsigned int flags)
{
    return q->packed ? add_packed_(q, b, n, flags) : add_split_(q, b, n, flags);
}

int rd_add_simple(struct rd_queue *q, uint32_t rd_len, uint32_t wr_len, unsigned int flags)
{
    struct rd_buf b[2];
    unsigned int n = 0;

    if (rd_len) {
        b[n].gpa = rd_alloc(q, rd_len);
        b[n].len = rd_len;
        b[n].write = false;
        if (b[n].gpa == 0)
            return -1;
        n++;
    }
    if (wr_len) {
        b[n].gpa = rd_alloc(q, wr_len);
        b[n].len = wr_len;
        b[n].write = true;
        if (b[n].gpa == 0)
            return -1;
        n++;
    }
    return rd_add(q, b, n, flags);
}

static void free_id_(struct rd_queue *q, uint16_t id)
{
    uint16_t n = q->id_ndesc[id];

    if (q->packed) {
        q->id_stack[q->id_top++] = id;
        q->num_free = (uint16_t)(q->num_free + n);
    } else if (q->in_order) {
        q->num_free = (uint16_t)(q->num_free + n);
    } else {
        /* walk our own record of the chain: n descriptors from head */
        uint16_t d = id;

        for (uint16_t i = 0; i < n; i++) {
            uint16_t nx = q->link[d];

            q->next_free[d] = q->free_head;
            q->free_head = d;
            d = nx;
        }
        q->num_free = (uint16_t)(q->num_free + n);
    }
    q->id_ndesc[id] = 0;
}

/* Complete id (and, in order, every older buffer before it). */
static int complete_(struct rd_queue *q, uint16_t id, uint32_t len, uint16_t *entries)
{
    uint16_t used_entries = 0;

    if (id >= q->size || q->id_ndesc[id] == 0) {
        q->bad_used++;
        return -1;
    }
    if (q->in_order) {
        for (;;) {
            uint16_t f;

            if (q->fifo_count == 0) {
                q->bad_used++;
                return -1;
            }
            f = q->fifo[q->fifo_head];
            q->fifo_head = (q->fifo_head + 1) % q->size;
            q->fifo_count--;
            used_entries = (uint16_t)(used_entries + (q->packed ? q->id_ndesc[f] : 1u));
            q->done[(q->done_head + q->done_count) % q->size] =
                (struct rd_done){f, f == id ? len : q->id_wrlen[f]};
            q->done_count++;
            free_id_(q, f);
            if (f == id)
                break;
        }
    } else {
        q->fifo_count--;
        used_entries = q->packed ? q->id_ndesc[id] : 1u;
        q->done[(q->done_head + q->done_count) % q->size] = (struct rd_done){id, len};
        q->done_count++;
        free_id_(q, id);
    }
    *entries = used_entries;
    return 0;
}

int rd_get_used(struct rd_queue *q, struct rd_done *out)
{
    if (q->done_count == 0) {
        uint16_t entries = 0;

        if (q->packed) {
            struct avps_pvirtq_desc *d = &((struct avps_pvirtq_desc *)q->desc_p)[q->next_used];
            uint16_t f = avps_le16_raw_to_cpu(*(volatile uint16_t *)&d->flags.le);
            bool a = (f & AVPS_VRING_PACKED_DESC_F_AVAIL) != 0;
            bool u = (f & AVPS_VRING_PACKED_DESC_F_USED) != 0;

            if (a != (q->used_wrap != 0) || u != (q->used_wrap != 0))
                return 0;
            atomic_thread_fence(memory_order_acquire);
            if (complete_(q, avps_from_le16(d->id), avps_from_le32(d->len), &entries) != 0)
                return -1;
            q->next_used = (uint16_t)(q->next_used + entries);
            while (q->next_used >= q->size) {
                q->next_used = (uint16_t)(q->next_used - q->size);
                q->used_wrap ^= 1;
            }
        } else {
            uint16_t ui = rd_used_idx(q);
            struct avps_vring_used_elem *e;

            if (ui == q->last_used)
                return 0;
            atomic_thread_fence(memory_order_acquire);
            e = (struct avps_vring_used_elem *)(q->device_p + 4) + (q->last_used % q->size);
            {
                uint32_t id = avps_from_le32(e->id);

                if (id >= q->size) {
                    q->bad_used++;
                    return -1;
                }
                if (complete_(q, (uint16_t)id, avps_from_le32(e->len), &entries) != 0)
                    return -1;
            }
            q->last_used = (uint16_t)(q->last_used + entries);
        }
    }
    if (q->done_count == 0)
        return 0;
    *out = q->done[q->done_head];
    q->done_head = (q->done_head + 1) % q->size;
    q->done_count--;
    return 1;
}

uint32_t rd_outstanding(const struct rd_queue *q)
{
    return q->fifo_count;
}

void rd_set_no_interrupt(struct rd_queue *q, bool on)
{
    *(volatile uint16_t *)q->driver_p = avps_cpu_to_le16_raw(on ? 1 : 0);
}

void rd_set_used_event(struct rd_queue *q, uint16_t v)
{
    *(volatile uint16_t *)(q->driver_p + AVPS_VRING_USED_EVENT_OFF(q->size)) =
        avps_cpu_to_le16_raw(v);
}

void rd_set_driver_event(struct rd_queue *q, uint16_t flags, uint16_t off, uint8_t wrap)
{
    struct avps_pvirtq_event_suppress *e = (struct avps_pvirtq_event_suppress *)q->driver_p;

    e->off_wrap = avps_to_le16((uint16_t)(off | (wrap ? 0x8000u : 0u)));
    e->flags = avps_to_le16(flags);
}

static bool need_event_(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

bool rd_kick_needed(const struct rd_queue *q, uint16_t old_idx, uint8_t old_wrap)
{
    const bool ev = (q->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX)) != 0;

    if (!q->packed) {
        if (ev)
            return need_event_(rd_avail_event(q), q->avail_idx, old_idx);
        return (rd_used_flags(q) & AVPS_VRING_USED_F_NO_NOTIFY) == 0;
    } else {
        struct avps_pvirtq_event_suppress e = rd_device_event(q);
        uint16_t fl = avps_from_le16(e.flags) & 3u;
        uint16_t ow, event, added;

        if (fl == AVPS_VRING_PACKED_EVENT_FLAG_DISABLE)
            return false;
        if (fl != AVPS_VRING_PACKED_EVENT_FLAG_DESC)
            return true;
        ow = avps_from_le16(e.off_wrap);
        event = ow & 0x7fff;
        if ((ow >> 15) != q->avail_wrap)
            event = (uint16_t)(event - q->size);
        added = (uint16_t)((q->next_avail + (q->avail_wrap != old_wrap ? q->size : 0)) - old_idx);
        return need_event_(event, q->next_avail, (uint16_t)(q->next_avail - added));
    }
}

struct avps_vring_desc *rd_split_desc(struct rd_queue *q, uint16_t i)
{
    return &((struct avps_vring_desc *)q->desc_p)[i];
}

struct avps_pvirtq_desc *rd_packed_desc(struct rd_queue *q, uint16_t pos)
{
    return &((struct avps_pvirtq_desc *)q->desc_p)[pos];
}

void rd_set_avail_idx(struct rd_queue *q, uint16_t v)
{
    *(volatile uint16_t *)(q->driver_p + 2) = avps_cpu_to_le16_raw(v);
}

void rd_set_avail_ring(struct rd_queue *q, uint16_t slot, uint16_t head)
{
    ((volatile uint16_t *)(q->driver_p + 4))[slot % q->size] = avps_cpu_to_le16_raw(head);
}

uint16_t rd_used_idx(const struct rd_queue *q)
{
    return avps_le16_raw_to_cpu(*(const volatile uint16_t *)(q->device_p + 2));
}

uint16_t rd_used_flags(const struct rd_queue *q)
{
    return avps_le16_raw_to_cpu(*(const volatile uint16_t *)q->device_p);
}

uint16_t rd_avail_event(const struct rd_queue *q)
{
    return avps_le16_raw_to_cpu(
        *(const volatile uint16_t *)(q->device_p + AVPS_VRING_AVAIL_EVENT_OFF(q->size)));
}

struct avps_pvirtq_event_suppress rd_device_event(const struct rd_queue *q)
{
    struct avps_pvirtq_event_suppress e;

    memcpy(&e, q->device_p, sizeof e);
    return e;
}

uint16_t rd_last_head(const struct rd_queue *q)
{
    return q->last_head;
}

/*
 * ringdrv: a guest-side virtqueue driver written from the VIRTIO 1.2 spec
 * (§2.7 split, §2.8 packed), for tests, fuzzers, benchmarks and examples.
 *
 * It builds rings in posix-port guest memory the way a driver does: chains,
 * indirect tables, wrap-around, event-index fields, packed wrap counters and
 * in-order use; it consumes used entries and checks them against what it has
 * outstanding. Its bookkeeping is private (outside guest memory), so a test
 * can mangle any field in the ring and the driver still knows the truth.
 */
#ifndef AVPS_RINGDRV_H
#define AVPS_RINGDRV_H

#include <stdbool.h>
#include <stdint.h>

#include <avps/virtio/ring.h>
#include <avps/virtqueue.h>

#include "avps_posix.h"

#define RD_INDIRECT 0x1u   /* put the buffers in an indirect table */
#define RD_NO_PUBLISH 0x2u /* split: write the chain but leave avail->idx */

struct rd_buf {
    uint64_t gpa;
    uint32_t len;
    bool write; /* device-writable */
};

struct rd_done {
    uint16_t id;
    uint32_t len;
};

struct rd_queue {
    struct avps_posix_guest *g;
    bool packed;
    uint16_t size;
    uint64_t features;
    bool in_order;
    uint64_t desc, driver, device; /* area addresses */
    uint8_t *desc_p, *driver_p, *device_p;

    /* split */
    uint16_t avail_idx; /* published */
    uint16_t pending;   /* written, not yet published */
    uint16_t last_used;
    uint16_t free_head;
    uint16_t num_free;
    uint16_t *next_free; /* private free list */
    uint16_t *link;      /* private copy of each chain's next links */
    uint16_t last_head;
    uint16_t next_seq_desc; /* in-order: next descriptor to use */

    /* packed */
    uint16_t next_avail;
    uint8_t avail_wrap;
    uint16_t next_used;
    uint8_t used_wrap;
    uint16_t *id_stack;
    uint16_t id_top;

    /* per id */
    uint16_t *id_ndesc;  /* ring entries (split: descriptors) of the buffer; 0 = free */
    uint32_t *id_wrlen;
    /* outstanding buffers; with IN_ORDER also their ids in the order made available */
    uint16_t *fifo;
    uint32_t fifo_head, fifo_count;
    /* completions found but not yet returned */
    struct rd_done *done;
    uint32_t done_head, done_count;

    /* bump allocator for buffers and indirect tables */
    uint64_t heap, heap_end;
    uint64_t bad_used; /* used entries that named nothing outstanding */
};

/* Lay out a queue at base (areas aligned per spec) with its buffer heap at
 * [heap, heap + heap_len). Returns 0, or -1 when memory is missing. */
int rd_init(struct rd_queue *q, struct avps_posix_guest *g, bool packed, uint16_t size,
            uint64_t features, uint64_t base, uint64_t heap, uint64_t heap_len);
void rd_fini(struct rd_queue *q);
/* What the driver tells the device (for avps_vq_enable). */
struct avps_vq_ring rd_ring(const struct rd_queue *q);
/* Allocate guest memory from the heap (16-byte aligned); 0 when exhausted. */
uint64_t rd_alloc(struct rd_queue *q, uint32_t len);
/* Fill guest memory. */
void rd_fill(struct rd_queue *q, uint64_t gpa, uint8_t byte, uint32_t len);

/* Make one buffer available. Returns its id (head or buffer id) or -1 when
 * the ring has no room. */
int rd_add(struct rd_queue *q, const struct rd_buf *b, unsigned int n, unsigned int flags);
/* Shorthand: one buffer of rd_len readable then wr_len writable bytes
 * (either may be 0), each in its own descriptor. */
int rd_add_simple(struct rd_queue *q, uint32_t rd_len, uint32_t wr_len, unsigned int flags);
/* Split: publish chains written with RD_NO_PUBLISH. */
void rd_publish(struct rd_queue *q);

/* Take one completion. Returns 1, or 0 when none. */
int rd_get_used(struct rd_queue *q, struct rd_done *out);
/* Buffers the driver has outstanding. */
uint32_t rd_outstanding(const struct rd_queue *q);

/* Driver-side suppression of used notifications. */
void rd_set_no_interrupt(struct rd_queue *q, bool on);  /* split flags */
void rd_set_used_event(struct rd_queue *q, uint16_t v); /* split used_event */
void rd_set_driver_event(struct rd_queue *q, uint16_t flags, uint16_t off, uint8_t wrap);
/* Whether the device asks for a notification after the driver moved from
 * old to the current position (split: avail idx; packed: next_avail + wrap). */
bool rd_kick_needed(const struct rd_queue *q, uint16_t old_idx, uint8_t old_wrap);

/* Direct access for mangling. */
struct avps_vring_desc *rd_split_desc(struct rd_queue *q, uint16_t i);
struct avps_pvirtq_desc *rd_packed_desc(struct rd_queue *q, uint16_t pos);
void rd_set_avail_idx(struct rd_queue *q, uint16_t v);
void rd_set_avail_ring(struct rd_queue *q, uint16_t slot, uint16_t head);
uint16_t rd_used_idx(const struct rd_queue *q);
uint16_t rd_used_flags(const struct rd_queue *q);
uint16_t rd_avail_event(const struct rd_queue *q);
struct avps_pvirtq_event_suppress rd_device_event(const struct rd_queue *q);
/* Position of the descriptor of the most recent split head / packed list. */
uint16_t rd_last_head(const struct rd_queue *q);

#endif /* AVPS_RINGDRV_H */

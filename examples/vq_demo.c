/*
 * avps-vq-demo: a guest driver (tests/support/ringdrv, written from the
 * VIRTIO spec) plays against libavps's device-side virtqueue engines over the
 * posix port, and the program prints what happened.
 *
 * The "device" is a toy: it reads the device-readable bytes of each request
 * and writes them back upper-cased into the device-writable part. The guest
 * sends ordinary requests, requests through indirect tables, a batch under
 * IN_ORDER, and two hostile chains: one the engine drops (returned with
 * length 0, the queue goes on) and one that breaks the queue (NEEDS_RESET),
 * after which the queue is reset and serves again.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/version.h>
#include <avps/virtio/features.h>
#include <avps/virtqueue.h>

#include "avps_posix.h"
#include "ringdrv.h"

#define MEM (4u << 20)
#define QSIZE 16u

static const char *const ev_names[AVPS_EV_COUNT] = {
    [AVPS_EV_GUEST_RANGE] = "guest range", [AVPS_EV_GUEST_DESC] = "bad descriptor",
    [AVPS_EV_GUEST_LOOP] = "chain loop",   [AVPS_EV_GUEST_INDEX] = "bad index",
    [AVPS_EV_CHAIN_DROPPED] = "chain dropped", [AVPS_EV_QUEUE_BROKEN] = "queue broken",
    [AVPS_EV_PORT_BAD_MAP] = "port bad map",   [AVPS_EV_NOTIFY_DATA] = "notify data",
};

static void on_broken(void *owner, struct avps_vq *vq, int err)
{
    (void)owner;
    (void)vq;
    printf("    device: queue broken (%s) -> the device core would set DEVICE_NEEDS_RESET\n",
           avps_strerror(err));
}

/* The toy device: serve everything available, then notify once. */
static int serve(struct avps_vq *vq)
{
    struct avps_vq_seg seg[8];
    struct avps_vq_req req = {.seg = seg, .seg_max = 8};
    struct avps_vq_used done[QSIZE];
    size_t n = 0;
    int r;

    while ((r = avps_vq_pop(vq, &req)) == 1) {
        char buf[256];
        uint32_t len = avps_vq_req_read(&req, 0, buf, sizeof buf);

        for (uint32_t i = 0; i < len; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        len = avps_vq_req_write(vq, &req, 0, buf, len);
        done[n].id = req.id;
        done[n].len = len;
        n++;
    }
    if (n > 0)
        avps_vq_push_n(vq, done, n);
    avps_vq_notify(vq);
    return r < 0 ? r : (int)n;
}

static int send(struct rd_queue *q, const char *text, unsigned int flags, uint64_t *wr_gpa)
{
    int id;
    struct rd_buf b[2];
    uint32_t len = (uint32_t)strlen(text);

    b[0].gpa = rd_alloc(q, len);
    b[0].len = len;
    b[0].write = false;
    memcpy(avps_posix_ptr(q->g, b[0].gpa, len), text, len);
    b[1].gpa = rd_alloc(q, 64);
    b[1].len = 64;
    b[1].write = true;
    id = rd_add(q, b, 2, flags);
    if (id >= 0)
        wr_gpa[id] = b[1].gpa;
    return id;
}

static void receive(struct rd_queue *q, uint64_t *gpa_of_id)
{
    struct rd_done d;

    while (rd_get_used(q, &d) == 1) {
        const char *p = avps_posix_ptr(q->g, gpa_of_id[d.id], d.len ? d.len : 1);

        if (d.len == 0)
            printf("    guest:  buffer %u came back with length 0 (refused)\n", d.id);
        else
            printf("    guest:  buffer %u came back, %u bytes: \"%.*s\"\n", d.id, d.len,
                   (int)d.len, p);
    }
}

static int run(bool packed)
{
    struct avps_posix_guest g;
    struct rd_queue q;
    struct avps_vq vq;
    struct avps_vq_slot slots[QSIZE];
    struct avps_vq_cfg cfg = {.slots = slots, .num_slots = QSIZE, .index = 0, .dev_id = 1,
                              .vector = 1, .broken = on_broken};
    struct avps_vq_ring ring;
    uint64_t features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                        AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_INDIRECT_DESC) |
                        AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX) |
                        (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0);
    uint64_t wr_gpa[QSIZE] = {0};
    const char *words[] = {"hello", "from", "the", "guest"};
    int id, r;

    printf("\n=== %s virtqueue, %u entries, INDIRECT_DESC + EVENT_IDX ===\n",
           packed ? "packed" : "split", QSIZE);
    avps_posix_init(&g);
    if (avps_posix_add_region(&g, 0, MEM) != 0 ||
        rd_init(&q, &g, packed, QSIZE, features, 0x1000, 1u << 20, MEM - (1u << 20)) != 0)
        return 1;
    avps_vq_init(&vq, &g.host, &cfg);
    ring = rd_ring(&q);
    printf("  driver: ring at desc=%#llx driver=%#llx device=%#llx\n",
           (unsigned long long)ring.desc, (unsigned long long)ring.driver,
           (unsigned long long)ring.device);
    r = avps_vq_enable(&vq, &ring);
    printf("  device: enable -> %s\n", avps_strerror(r));

    printf("  1. four requests, two of them through indirect tables\n");
    for (unsigned i = 0; i < 4; i++) {
        id = send(&q, words[i], (i & 1) ? RD_INDIRECT : 0, wr_gpa);
        printf("    guest:  offered \"%s\" as buffer %d%s\n", words[i], id,
               (i & 1) ? " (indirect)" : "");
    }
    r = serve(&vq);
    printf("    device: served %d requests, raised %llu interrupt(s)\n", r,
           (unsigned long long)g.irqs);
    receive(&q, wr_gpa);

    printf("  2. a hostile chain: %s\n",
           packed ? "a descriptor that claims both INDIRECT and NEXT"
                  : "a descriptor whose next index points past the table");
    id = send(&q, "evil", 0, wr_gpa);
    if (!packed)
        rd_split_desc(&q, (uint16_t)id)->next = avps_to_le16(QSIZE + 5);
    else /* packed: a list that claims INDIRECT and NEXT together */
        rd_packed_desc(&q, rd_last_head(&q))->flags.le |= avps_to_le16(AVPS_VRING_DESC_F_INDIRECT).le;
    id = send(&q, "still works", 0, wr_gpa);
    r = serve(&vq);
    printf("    device: served %d good request(s); the bad chain was dropped\n", r);
    receive(&q, wr_gpa);

    printf("  3. a fatal fault: the driver offers a buffer id that is already in flight\n");
    id = send(&q, "one", 0, wr_gpa);
    {
        struct avps_vq_seg seg[4];
        struct avps_vq_req req = {.seg = seg, .seg_max = 4};

        avps_vq_pop(&vq, &req);
        if (!packed) {
            rd_set_avail_ring(&q, q.avail_idx, (uint16_t)id); /* same head again */
            rd_set_avail_idx(&q, (uint16_t)(q.avail_idx + 1));
        } else {
            uint16_t pos = q.next_avail;
            struct avps_pvirtq_desc *d = rd_packed_desc(&q, pos);

            d->addr = avps_to_le64(rd_alloc(&q, 8));
            d->len = avps_to_le32(8);
            d->id = avps_to_le16((uint16_t)id);
            d->flags = avps_to_le16(q.avail_wrap ? AVPS_VRING_PACKED_DESC_F_AVAIL
                                                 : AVPS_VRING_PACKED_DESC_F_USED);
        }
        r = avps_vq_pop(&vq, &req);
        printf("    device: pop -> %s; queue broken: %s\n", avps_strerror(r),
               avps_vq_is_broken(&vq) ? "yes" : "no");
        r = avps_vq_pop(&vq, &req);
        printf("    device: pop again -> %s (never parsed twice)\n", avps_strerror(r));
    }
    printf("  4. the driver resets the queue and starts over\n");
    avps_vq_reset(&vq);
    rd_fini(&q);
    rd_init(&q, &g, packed, QSIZE, features, 0x1000, 2u << 20, MEM - (2u << 20));
    ring = rd_ring(&q);
    r = avps_vq_enable(&vq, &ring);
    id = send(&q, "back again", 0, wr_gpa);
    r = serve(&vq);
    printf("    device: enable + serve -> %d request(s)\n", r);
    receive(&q, wr_gpa);

    {
        const struct avps_vq_stats *st = avps_vq_stats(&vq);

        printf("  counters: popped %llu, pushed %llu, dropped %llu, notified %llu, "
               "suppressed %llu, guest errors %llu\n",
               (unsigned long long)st->popped, (unsigned long long)st->pushed,
               (unsigned long long)st->dropped, (unsigned long long)st->notified,
               (unsigned long long)st->suppressed, (unsigned long long)st->guest_errors);
    }
    printf("  port events:");
    for (unsigned i = 1; i < AVPS_EV_COUNT; i++)
        if (g.reports[i] != 0)
            printf(" %s x%llu;", ev_names[i], (unsigned long long)g.reports[i]);
    printf("\n");
    rd_fini(&q);
    avps_posix_fini(&g);
    return 0;
}

int main(void)
{
    uint32_t v = avps_version();

    printf("libavps %u.%u.%u: device-side virtqueue engines, played by a spec-written guest\n",
           v >> 16, (v >> 8) & 0xffu, v & 0xffu);
    if (run(false) != 0 || run(true) != 0) {
        printf("demo failed\n");
        return 1;
    }
    printf("\ndemo finished\n");
    return 0;
}

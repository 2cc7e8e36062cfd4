/*
 * vqfix: one guest (posix port), one ringdrv driver queue and one device
 * queue, wired together, for the cmocka tests. Header-only.
 *
 * Guest memory: region 0 is [0, 16 MiB): rings at VQFIX_RING_GPA, the
 * driver's buffer heap at [8 MiB, 16 MiB).
 */
#ifndef AVPS_VQFIX_H
#define AVPS_VQFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/virtio/features.h>
#include <avps/virtqueue.h>

#include "avps_posix.h"
#include "ringdrv.h"

#define VQFIX_MEM (16ull << 20)
#define VQFIX_RING_GPA 0x1000ull
#define VQFIX_HEAP_GPA (8ull << 20)
#define VQFIX_SEGS 64u
#define VQFIX_DEV_ID 7u
#define VQFIX_QINDEX 3u
#define VQFIX_VECTOR 5u

#define F_BIT(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)

struct vqfix {
    struct avps_posix_guest g;
    struct rd_queue q;
    struct avps_vq vq;
    struct avps_vq_slot *slots;
    struct avps_vq_seg seg[VQFIX_SEGS];
    struct avps_vq_req req;
    bool packed;
    int broken_calls;
    int broken_err;
};

static void vqfix_broken(void *owner, struct avps_vq *vq, int err)
{
    struct vqfix *f = owner;

    (void)vq;
    f->broken_calls++;
    f->broken_err = err;
}

/* Build guest, driver ring and device queue; enable it unless !enable. */
static inline int vqfix_setup_ex(struct vqfix *f, bool packed, uint16_t size,
                                 uint64_t features, bool enable)
{
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;

    memset(f, 0, sizeof *f);
    f->packed = packed;
    avps_posix_init(&f->g);
    /* AVPS_TEST_WINDOW=1 (a second ctest pass): the port offers translation
     * windows, so the engines' one-pass paths run under the same tests. */
    if (getenv("AVPS_TEST_WINDOW") != NULL)
        avps_posix_set_window(&f->g, true);
    if (avps_posix_add_region(&f->g, 0, VQFIX_MEM) != 0)
        return -1;
    features |= F_BIT(VERSION_1);
    if (packed)
        features |= F_BIT(RING_PACKED);
    if (rd_init(&f->q, &f->g, packed, size, features, VQFIX_RING_GPA, VQFIX_HEAP_GPA,
                VQFIX_MEM - VQFIX_HEAP_GPA) != 0)
        return -1;
    f->slots = calloc(size, sizeof *f->slots);
    if (f->slots == NULL)
        return -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.slots = f->slots;
    cfg.num_slots = size;
    cfg.index = VQFIX_QINDEX;
    cfg.dev_id = VQFIX_DEV_ID;
    cfg.vector = VQFIX_VECTOR;
    cfg.broken = vqfix_broken;
    cfg.owner = f;
    if (avps_vq_init(&f->vq, &f->g.host, &cfg) != AVPS_OK)
        return -1;
    f->req.seg = f->seg;
    f->req.seg_max = VQFIX_SEGS;
    if (!enable)
        return 0;
    ring = rd_ring(&f->q);
    return avps_vq_enable(&f->vq, &ring) == AVPS_OK ? 0 : -1;
}

static inline int vqfix_setup(struct vqfix *f, bool packed, uint16_t size, uint64_t features)
{
    return vqfix_setup_ex(f, packed, size, features, true);
}

static inline void vqfix_teardown(struct vqfix *f)
{
    rd_fini(&f->q);
    free(f->slots);
    avps_posix_fini(&f->g);
}

/* AVPS_TEST_POP_N=1 (another ctest pass): every avps_vq_pop() of the ring
 * suites goes through avps_vq_pop_n(vq, req, 1), which must behave exactly
 * like it (return codes, reports, broken state, ring and slot contents). */
static inline int vqfix_pop_(struct avps_vq *vq, struct avps_vq_req *req)
{
    if (getenv("AVPS_TEST_POP_N") != NULL)
        return (avps_vq_pop_n)(vq, req, 1);
    return (avps_vq_pop)(vq, req);
}
#define avps_vq_pop(vq, req) vqfix_pop_((vq), (req))

#endif /* AVPS_VQFIX_H */

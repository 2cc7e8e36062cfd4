/*
 * devfix: one device on the device core, driven by the spec-written ring
 * driver (ringdrv) on every queue, through a fake transport that counts
 * notifications. For the device tests (test_input, test_console, ...).
 * Header-only.
 *
 * Guest memory: [0, 16 MiB). Queue i's rings at DF_RING_GPA + i * 64 KiB, its
 * buffer heap at 8 MiB + i * 256 KiB (256 KiB each).
 */
#ifndef AVPS_DEVFIX_H
#define AVPS_DEVFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <avps/device.h>
#include <avps/err.h>
#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "ringdrv.h"

#define DF_MEM (16ull << 20)
#define DF_RING_GPA 0x1000ull
#define DF_HEAP_GPA (8ull << 20)
#define DF_HEAP_LEN (256ull << 10)
#define DF_MAXQ 24u

struct devfix {
    struct avps_posix_guest g;
    struct rd_queue q[DF_MAXQ];
    unsigned int nq;
    struct avps_dev *dev;
    bool packed;
    int queue_notes;
    int config_notes;
    uint16_t last_q;
};

static int df_tnotify_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    struct devfix *f = t;

    (void)dev;
    f->queue_notes++;
    f->last_q = q;
    return 0;
}

static int df_tnotify_config(void *t, struct avps_dev *dev)
{
    struct devfix *f = t;

    (void)dev;
    f->config_notes++;
    return 0;
}

static const struct avps_transport_ops df_tops = {df_tnotify_queue, df_tnotify_config};

/* Guest memory only (before the device is created on &f->g.host). */
static inline int df_guest(struct devfix *f)
{
    memset(f, 0, sizeof *f);
    avps_posix_init(&f->g);
    return avps_posix_add_region(&f->g, 0, DF_MEM);
}

/* Driver-side rings for queues [0, nq), bind the transport. */
static inline int df_rings(struct devfix *f, struct avps_dev *dev, bool packed, unsigned int nq,
                           uint16_t size, uint64_t features)
{
    f->dev = dev;
    f->packed = packed;
    f->nq = nq;
    features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    if (packed)
        features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    for (unsigned int i = 0; i < nq; i++) {
        if (rd_init(&f->q[i], &f->g, packed, size, features, DF_RING_GPA + 0x10000ull * i,
                    DF_HEAP_GPA + DF_HEAP_LEN * i, DF_HEAP_LEN) != 0)
            return -1;
    }
    return avps_dev_bind(dev, &df_tops, f,
                         AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET) |
                             AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA));
}

/* Program and enable queue i from its ring driver. */
static inline int df_queue_up(struct devfix *f, unsigned int i)
{
    struct avps_dev *d = f->dev;
    const uint16_t q = (uint16_t)i;

    if (avps_dev_queue_set_size(d, q, f->q[i].size) != AVPS_OK ||
        avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DESC, f->q[i].desc) != AVPS_OK ||
        avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DRIVER, f->q[i].driver) != AVPS_OK ||
        avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DEVICE, f->q[i].device) != AVPS_OK)
        return -1;
    return avps_dev_queue_enable(d, q) == AVPS_OK ? 0 : -1;
}

/* The driver initialisation of §3.1.1 with the rings' features: reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK, every queue, then DRIVER_OK
 * unless !driver_ok. Returns 0 or -1. */
static inline int df_driver_init(struct devfix *f, bool driver_ok)
{
    struct avps_dev *d = f->dev;
    const uint64_t want = f->q[0].features;
    const uint8_t s = AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER;

    if (avps_dev_set_status(d, 0) != AVPS_OK ||
        avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE) != AVPS_OK ||
        avps_dev_set_status(d, s) != AVPS_OK ||
        (avps_dev_offered_features(d) & want) != want ||
        avps_dev_set_driver_word(d, 0, (uint32_t)want) != AVPS_OK ||
        avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32)) != AVPS_OK ||
        avps_dev_set_status(d, s | AVPS_VIRTIO_S_FEATURES_OK) != AVPS_OK)
        return -1;
    for (unsigned int i = 0; i < f->nq; i++)
        if (df_queue_up(f, i) != 0)
            return -1;
    if (driver_ok &&
        avps_dev_set_status(d, s | AVPS_VIRTIO_S_FEATURES_OK | AVPS_VIRTIO_S_DRIVER_OK) != AVPS_OK)
        return -1;
    return 0;
}

/* One buffer of len bytes, device-writable (write) or readable, at a fresh
 * heap address (returned in *gpa). Returns the id or -1. */
static inline int df_add_buf(struct devfix *f, unsigned int i, uint32_t len, bool write,
                             uint64_t *gpa)
{
    struct rd_buf b;

    if (gpa != NULL)
        *gpa = 0;
    b.gpa = rd_alloc(&f->q[i], len);
    b.len = len;
    b.write = write;
    if (b.gpa == 0)
        return -1;
    if (gpa != NULL)
        *gpa = b.gpa;
    return rd_add(&f->q[i], &b, 1, 0);
}

static inline uint8_t *df_ptr(struct devfix *f, uint64_t gpa, uint64_t len)
{
    return avps_posix_ptr(&f->g, gpa, len);
}

static inline void df_fini(struct devfix *f)
{
    for (unsigned int i = 0; i < f->nq; i++)
        rd_fini(&f->q[i]);
    avps_posix_fini(&f->g);
}

#endif /* AVPS_DEVFIX_H */

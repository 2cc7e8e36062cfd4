/* mmiodrv: guest-side virtio-mmio driver from the spec; see mmiodrv.h. */
#include "mmiodrv.h"

#include <string.h>

#include <avps/err.h>
#include <avps/virtio/features.h>

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRIVER AVPS_VIRTIO_S_DRIVER
#define S_FEATURES_OK AVPS_VIRTIO_S_FEATURES_OK
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK
#define S_FAILED AVPS_VIRTIO_S_FAILED

#define MD_POLL_MAX 1000 /* a reset that never completes is a failure, not a hang */

void md_attach(struct md_dev *d, struct avps_mmio *m, struct avps_posix_guest *g)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    d->g = g;
}

uint32_t md_read32(struct md_dev *d, uint32_t off)
{
    uint64_t v = 0;

    d->accesses++;
    d->last_rc = avps_mmio_read(d->m, off, 4, &v);
    if (d->last_rc != AVPS_OK)
        d->refused++;
    return (uint32_t)v;
}

void md_write32(struct md_dev *d, uint32_t off, uint32_t v)
{
    d->accesses++;
    d->last_rc = avps_mmio_write(d->m, off, 4, v);
    if (d->last_rc != AVPS_OK)
        d->refused++;
}

static uint32_t md_status_(struct md_dev *d)
{
    return md_read32(d, AVPS_VIRTIO_MMIO_STATUS);
}

/* Add status bits (the driver never clears one, §2.1.1). */
static void md_set_status_(struct md_dev *d, uint32_t bits)
{
    md_write32(d, AVPS_VIRTIO_MMIO_STATUS, md_status_(d) | bits);
}

static int md_fail_(struct md_dev *d, int err)
{
    /* §3.1.1: give up on the device by setting FAILED. */
    md_set_status_(d, S_FAILED);
    return err;
}

int md_probe(struct md_dev *d)
{
    /* §4.2.3.1.1: magic and version first; a DeviceID of 0 ends it. */
    if (md_read32(d, AVPS_VIRTIO_MMIO_MAGIC_VALUE) != AVPS_VIRTIO_MMIO_MAGIC)
        return MD_E_MAGIC;
    if (md_read32(d, AVPS_VIRTIO_MMIO_VERSION) != AVPS_VIRTIO_MMIO_VERSION_2)
        return MD_E_VERSION;
    d->device_id = md_read32(d, AVPS_VIRTIO_MMIO_DEVICE_ID);
    if (d->device_id == 0u)
        return MD_E_DEVICE_ID;
    d->vendor_id = md_read32(d, AVPS_VIRTIO_MMIO_VENDOR_ID);
    return MD_OK;
}

int md_reset(struct md_dev *d)
{
    md_write32(d, AVPS_VIRTIO_MMIO_STATUS, 0);
    /* §2.4.2: the reset is complete when status reads 0. */
    for (int i = 0; i < MD_POLL_MAX; i++) {
        if (md_status_(d) == 0u)
            return MD_OK;
    }
    return MD_E_RESET;
}

int md_negotiate(struct md_dev *d, uint64_t want, uint64_t required)
{
    md_set_status_(d, S_ACK);
    md_set_status_(d, S_DRIVER);
    /* §4.2.2.2: select the word before reading DeviceFeatures. */
    md_write32(d, AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    d->offered = md_read32(d, AVPS_VIRTIO_MMIO_DEVICE_FEATURES);
    md_write32(d, AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    d->offered |= (uint64_t)md_read32(d, AVPS_VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    required |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    if ((required & ~d->offered) != 0u)
        return md_fail_(d, MD_E_FEATURES);
    d->features = (want | required) & d->offered;
    md_write32(d, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    md_write32(d, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
    md_write32(d, AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    md_write32(d, AVPS_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
    md_set_status_(d, S_FEATURES_OK);
    /* §3.1.1 step 6: FEATURES_OK must still be set. */
    if ((md_status_(d) & S_FEATURES_OK) == 0u)
        return md_fail_(d, MD_E_FEATURES_OK);
    return MD_OK;
}

int md_queue_setup(struct md_dev *d, uint16_t qi, struct rd_queue *q,
                   const struct md_queue_cfg *c)
{
    const bool packed = (d->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED)) != 0u;
    uint32_t max;
    uint16_t size;

    /* §4.2.3.2, step by step. */
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_SEL, qi);
    if (md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_READY) != 0u)
        return MD_E_QUEUE_BUSY;
    max = md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0u)
        return MD_E_QUEUE_NONE;
    size = c->size;
    if (size == 0u || size > max)
        size = (uint16_t)max; /* §4.2.2.2: QueueSize <= QueueSizeMax */
    if (rd_init(q, d->g, packed, size, d->features, c->ring_gpa, c->heap_gpa, c->heap_len) != 0)
        return MD_E_RING;
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_NUM, size);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->driver);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->driver >> 32));
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->device);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->device >> 32));
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_READY, 1);
    if (md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_READY) != 1u)
        return MD_E_QUEUE_READY;
    return MD_OK;
}

int md_driver_ok(struct md_dev *d)
{
    md_set_status_(d, S_DRIVER_OK);
    if ((md_status_(d) & S_DRIVER_OK) == 0u)
        return MD_E_DRIVER_OK;
    return MD_OK;
}

int md_init(struct md_dev *d, uint64_t want, uint64_t required, struct rd_queue *qs,
            const struct md_queue_cfg *qc, uint16_t nq)
{
    int err;

    err = md_probe(d);
    if (err != MD_OK)
        return err;
    err = md_reset(d);
    if (err != MD_OK)
        return err;
    err = md_negotiate(d, want, required);
    if (err != MD_OK)
        return err;
    d->q = qs;
    d->nq = 0;
    for (uint16_t i = 0; i < nq; i++) {
        err = md_queue_setup(d, i, &qs[i], &qc[i]);
        if (err != MD_OK)
            return md_fail_(d, err);
        d->nq = (uint16_t)(i + 1u);
    }
    return md_driver_ok(d);
}

uint32_t md_notify_value(const struct md_dev *d, uint16_t qi)
{
    const struct rd_queue *q;

    if ((d->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA)) == 0u ||
        d->q == NULL || qi >= d->nq)
        return qi;
    q = &d->q[qi];
    /* §2.9: vq_index, next_off (15 bits), next_wrap (1 bit). Split: the
     * 16-bit available index; packed: position and wrap counter. */
    if (q->packed)
        return (uint32_t)qi | ((uint32_t)(q->next_avail & 0x7fffu) << 16) |
               ((uint32_t)(q->avail_wrap & 1u) << 31);
    return (uint32_t)qi | ((uint32_t)q->avail_idx << 16);
}

void md_notify(struct md_dev *d, uint16_t qi)
{
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_NOTIFY, md_notify_value(d, qi));
}

uint32_t md_irq(struct md_dev *d)
{
    uint32_t st = md_read32(d, AVPS_VIRTIO_MMIO_INTERRUPT_STATUS);

    /* §4.2.2.2: ignore undefined bits; ack exactly what was handled. */
    st &= AVPS_DEV_ISR_QUEUE | AVPS_DEV_ISR_CONFIG;
    if (st != 0u)
        md_write32(d, AVPS_VIRTIO_MMIO_INTERRUPT_ACK, st);
    return st;
}

int md_queue_stop(struct md_dev *d, uint16_t qi)
{
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_SEL, qi);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_READY, 0);
    return md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_READY) == 0u ? MD_OK : MD_E_QUEUE_READY;
}

int md_queue_reset(struct md_dev *d, uint16_t qi)
{
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_SEL, qi);
    md_write32(d, AVPS_VIRTIO_MMIO_QUEUE_RESET, 1);
    for (int i = 0; i < MD_POLL_MAX; i++) {
        if (md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_RESET) == 0u)
            return md_read32(d, AVPS_VIRTIO_MMIO_QUEUE_READY) == 0u ? MD_OK
                                                                  : MD_E_QUEUE_READY;
    }
    return MD_E_QUEUE_RESET;
}

uint32_t md_config_read(struct md_dev *d, uint32_t off, unsigned int size, uint32_t *value)
{
    uint32_t before, after;
    int tries = 0;

    do {
        uint64_t v = 0;

        before = md_read32(d, AVPS_VIRTIO_MMIO_CONFIG_GENERATION);
        d->accesses++;
        d->last_rc = avps_mmio_read(d->m, AVPS_VIRTIO_MMIO_CONFIG + (uint64_t)off, size, &v);
        if (d->last_rc != AVPS_OK)
            d->refused++;
        *value = (uint32_t)v;
        after = md_read32(d, AVPS_VIRTIO_MMIO_CONFIG_GENERATION);
    } while (after != before && ++tries < MD_POLL_MAX);
    return after;
}

/*
 * virtio-rng: the entropy device (VIRTIO 1.2 §5.4). One request queue of
 * device-writable buffers, filled from the backend.
 */
#include <avps/rng.h>

#include "dev_priv.h"

#define RNG_CHUNK 256u /* bytes asked of the backend at a time */

static struct avps_rng *rng_of_(struct avps_dev *dev)
{
    return (struct avps_rng *)(void *)dev; /* dev is the first member */
}

static void rng_reset_(struct avps_dev *dev)
{
    struct avps_rng *rng = rng_of_(dev);

    rng->parked = 0;
}

static void rng_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    (void)q;
    rng_reset_(dev); /* the parked request belonged to the old ring */
}

/* Fill the request's writable part. Returns the bytes written, or
 * AVPS_E_AGAIN when the backend had nothing at all. */
static int rng_fill_(struct avps_rng *rng)
{
    struct avps_vq *vq = &rng->queue[0].vq;
    uint8_t tmp[RNG_CHUNK];
    uint32_t off = 0;

    while (off < rng->req.wr_len) {
        uint32_t want = rng->req.wr_len - off;
        int r;

        if (want > RNG_CHUNK) {
            want = RNG_CHUNK;
        }
        r = rng->backend->fill(rng->backend->ctx, tmp, want);
        if (r <= 0) {
            break; /* AGAIN or an error: complete with what we have */
        }
        if ((uint32_t)r > want) {
            r = (int)want; /* a backend that claims more than asked */
        }
        off += avps_vq_req_write(vq, &rng->req, off, tmp, (uint32_t)r);
    }
    /* §5.4.6.1: one or more bytes, or wait for entropy. */
    return (off == 0u) ? AVPS_E_AGAIN : (int)off;
}

static int rng_serve_(struct avps_rng *rng)
{
    struct avps_vq *vq = &rng->queue[0].vq;
    int done = 0;

    if (!avps_dev_queue_live_(&rng->dev, 0)) {
        return AVPS_E_STATE;
    }
    /* Bounded: each pass completes one request, and the engine bounds the
     * requests in the ring. */
    for (;;) {
        int r;

        if (!rng->parked) {
            r = avps_vq_pop(vq, &rng->req);
            if (r == AVPS_E_NOSPC) {
                uint16_t id;

                /* More pieces than we keep: refuse it rather than stall. */
                if ((avps_vq_skip(vq, &id) == 1) && (avps_vq_push(vq, id, 0) == AVPS_OK)) {
                    rng->refused++;
                    avps_dev_report_(&rng->dev, AVPS_EV_DEV_REQUEST, id, AVPS_RNG_SEGS);
                    done++;
                    continue;
                }
                break;
            }
            if (r <= 0) {
                break; /* empty, or the queue broke (the device needs a reset) */
            }
        }
        /* §5.4.5: the driver places only device-writable buffers. */
        if ((rng->req.n_rd != 0u) || (rng->req.wr_len == 0u)) {
            rng->parked = 0;
            if (avps_vq_push(vq, rng->req.id, 0) != AVPS_OK) {
                break;
            }
            rng->refused++;
            avps_dev_report_(&rng->dev, AVPS_EV_DEV_REQUEST, rng->req.id, rng->req.rd_len);
            done++;
            continue;
        }
        r = rng_fill_(rng);
        if (r == AVPS_E_AGAIN) {
            rng->parked = 1; /* in order: nothing behind it is taken either */
            break;
        }
        rng->parked = 0;
        if (avps_vq_push(vq, rng->req.id, (uint32_t)r) != AVPS_OK) {
            break;
        }
        rng->bytes += (uint32_t)r;
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

static int rng_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    (void)q; /* the core only calls us for queues that exist: q is 0 */
    return rng_serve_(rng_of_(dev));
}

int avps_rng_init(struct avps_rng *rng, const struct avps_host *host,
                  const struct avps_rng_cfg *cfg)
{
    static const struct avps_dev_class rng_class = {
        .device_id = AVPS_VIRTIO_ID_RNG,
        .config_size = 0,
        /* Requests complete in the order they were taken. */
        .features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER),
        .reset = rng_reset_,
        .queue_notify = rng_queue_notify_,
        .queue_reset = rng_queue_reset_,
    };
    struct avps_vq_slot *slots;
    int err;

    if ((rng == NULL) || (cfg == NULL) || (cfg->backend == NULL) || (cfg->backend->fill == NULL)) {
        return AVPS_E_INVAL;
    }
    err = avps_dev_init_(&rng->dev, &rng_class, host, rng->queue, 1u, &cfg->common);
    if (err != AVPS_OK) {
        return err;
    }
    slots = cfg->slots;
    err = avps_dev_queue_init_(&rng->dev, 0, cfg->queue_size_max, slots, cfg->num_slots);
    if (err != AVPS_OK) {
        return err;
    }
    rng->backend = cfg->backend;
    rng->req.seg = rng->seg;
    rng->req.seg_max = AVPS_RNG_SEGS;
    rng->parked = 0;
    rng->bytes = 0;
    rng->refused = 0;
    return AVPS_OK;
}

struct avps_dev *avps_rng_dev(struct avps_rng *rng)
{
    return &rng->dev;
}

int avps_rng_resume(struct avps_rng *rng)
{
    int r;

    AVPS_ASSERT(rng != NULL);
    avps_dev_lock_(&rng->dev);
    r = rng_serve_(rng);
    avps_dev_unlock_(&rng->dev);
    return r;
}

uint64_t avps_rng_bytes(const struct avps_rng *rng)
{
    return rng->bytes;
}

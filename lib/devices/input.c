/*
 * virtio-input: the input device (VIRTIO 1.2 §5.8). eventq (0): the device
 * fills driver buffers with one 8-byte event each; statusq (1): the driver
 * sends status events (LEDs) that go to the backend. The configuration space
 * shows one piece of the device description at a time, chosen by the driver
 * through select and subsel.
 */
#include <avps/input.h>
#include <avps/virtio/input.h>

#include "dev_priv.h"

#define Q_EVENT 0u
#define Q_STATUS 1u
#define EV_SIZE 8u
#define CFG_SIZE ((uint32_t)sizeof(struct avps_virtio_input_config))

static struct avps_input *input_of_(struct avps_dev *dev)
{
    return (struct avps_input *)(void *)dev; /* dev is the first member */
}

/* ---- configuration space (§5.8.4) ---------------------------------------- */

/* Bytes of a string field up to its NUL, at most 128. */
static uint8_t input_strlen_(const char *s)
{
    uint8_t n = 0;

    while ((n < AVPS_INPUT_STRING_MAX) && (s[n] != '\0')) {
        n++;
    }
    return n;
}

/* A bitmap's size: up to and including its last non-zero byte. */
static uint8_t input_bitmap_len_(const uint8_t *bits)
{
    uint8_t n = (uint8_t)AVPS_INPUT_BITMAP_BYTES;

    while ((n > 0u) && (bits[n - 1u] == 0u)) {
        n--;
    }
    return n;
}

/* Each handler fills u for one select (subsel already checked against the
 * entry's limit) and returns its size; 0 means nothing to show. */
typedef uint8_t input_sel_fn(const struct avps_input_info *info, uint8_t subsel,
                             struct avps_virtio_input_config *c);

static uint8_t sel_name_(const struct avps_input_info *info, uint8_t subsel,
                         struct avps_virtio_input_config *c)
{
    const uint8_t n = input_strlen_(info->name);

    (void)subsel;
    (void)AVPS_MEMCPY(c->u.string, info->name, n);
    return n;
}

static uint8_t sel_serial_(const struct avps_input_info *info, uint8_t subsel,
                           struct avps_virtio_input_config *c)
{
    const uint8_t n = input_strlen_(info->serial);

    (void)subsel;
    (void)AVPS_MEMCPY(c->u.string, info->serial, n);
    return n;
}

static uint8_t sel_devids_(const struct avps_input_info *info, uint8_t subsel,
                           struct avps_virtio_input_config *c)
{
    const struct avps_input_devids *d = &info->ids;

    (void)subsel;
    if ((d->bustype | d->vendor | d->product | d->version) == 0u) {
        return 0;
    }
    c->u.ids.bustype = avps_to_le16(d->bustype);
    c->u.ids.vendor = avps_to_le16(d->vendor);
    c->u.ids.product = avps_to_le16(d->product);
    c->u.ids.version = avps_to_le16(d->version);
    return (uint8_t)sizeof c->u.ids;
}

static uint8_t sel_bitmap_(const uint8_t *bits, struct avps_virtio_input_config *c)
{
    const uint8_t n = input_bitmap_len_(bits);

    (void)AVPS_MEMCPY(c->u.bitmap, bits, n);
    return n;
}

static uint8_t sel_props_(const struct avps_input_info *info, uint8_t subsel,
                          struct avps_virtio_input_config *c)
{
    (void)subsel;
    return sel_bitmap_(info->prop_bits, c);
}

static uint8_t sel_ev_bits_(const struct avps_input_info *info, uint8_t subsel,
                            struct avps_virtio_input_config *c)
{
    return sel_bitmap_(info->ev_bits[subsel], c);
}

static uint8_t sel_abs_(const struct avps_input_info *info, uint8_t subsel,
                        struct avps_virtio_input_config *c)
{
    const struct avps_input_absinfo *a = &info->abs[subsel];

    /* Only axes the device has (set in the EV_ABS bitmap). */
    if ((info->ev_bits[AVPS_INPUT_EV_ABS][subsel / 8u] & (1u << (subsel % 8u))) == 0u) {
        return 0;
    }
    c->u.abs.min = avps_to_le32((uint32_t)a->min);
    c->u.abs.max = avps_to_le32((uint32_t)a->max);
    c->u.abs.fuzz = avps_to_le32((uint32_t)a->fuzz);
    c->u.abs.flat = avps_to_le32((uint32_t)a->flat);
    c->u.abs.res = avps_to_le32((uint32_t)a->res);
    return (uint8_t)sizeof c->u.abs;
}

struct input_sel {
    uint16_t subsel_count; /* subsel < subsel_count */
    input_sel_fn *fn;
};

/* The whole configuration as the driver sees it now. */
static void input_cfg_build_(const struct avps_input *in, struct avps_virtio_input_config *c)
{
    /* STYLE rule 13: the selectors, with the subsel values each accepts. */
    static const struct input_sel input_sels_[AVPS_VIRTIO_INPUT_CFG_ABS_INFO + 1u] = {
        [AVPS_VIRTIO_INPUT_CFG_ID_NAME] = {1u, sel_name_},
        [AVPS_VIRTIO_INPUT_CFG_ID_SERIAL] = {1u, sel_serial_},
        [AVPS_VIRTIO_INPUT_CFG_ID_DEVIDS] = {1u, sel_devids_},
        [AVPS_VIRTIO_INPUT_CFG_PROP_BITS] = {1u, sel_props_},
        [AVPS_VIRTIO_INPUT_CFG_EV_BITS] = {AVPS_INPUT_EV_TYPES, sel_ev_bits_},
        [AVPS_VIRTIO_INPUT_CFG_ABS_INFO] = {AVPS_INPUT_ABS_AXES, sel_abs_},
    };

    (void)AVPS_MEMSET(c, 0, sizeof *c);
    c->select = in->select;
    c->subsel = in->subsel;
    /* §5.8.5.2: size 0 for a select/subsel the device does not support. */
    if ((in->select < AVPS_ARRAY_LEN(input_sels_)) && (input_sels_[in->select].fn != NULL) &&
        (in->subsel < input_sels_[in->select].subsel_count)) {
        c->size = input_sels_[in->select].fn(in->info, in->subsel, c);
    }
}

static void input_config_read_(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    struct avps_virtio_input_config c;

    input_cfg_build_(input_of_(dev), &c);
    /* The core clamps [off, off + len) to the configuration size. */
    (void)AVPS_MEMCPY(buf, &((const uint8_t *)&c)[off], len);
}

/* Only select (byte 0) and subsel (byte 1) are writable (§5.8.5.1). A write
 * that covers either takes them and ignores the rest: a vhost-user front-end
 * such as QEMU writes back the whole structure it last read with one byte
 * changed. A write that covers neither is refused (and reported by the core). */
static int input_config_write_(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    struct avps_input *in = input_of_(dev);
    const uint8_t *b = buf;

    if (off >= 2u) {
        return AVPS_E_GUEST_REQ;
    }
    if (off == 0u) {
        in->select = b[0];
        if (len > 1u) {
            in->subsel = b[1];
        }
    } else {
        in->subsel = b[0];
    }
    return AVPS_OK;
}

/* ---- eventq (§5.8.6) -------------------------------------------------------- */

static bool input_ends_group_(const struct avps_input_event *e)
{
    return (e->type == AVPS_INPUT_EV_SYN) && (e->code == AVPS_INPUT_SYN_REPORT);
}

static uint32_t input_slot_(const struct avps_input *in, uint32_t i)
{
    /* head < cap and i < cap: no overflow in 32 bits for cap < 2^31. */
    const uint32_t k = in->head + i;

    return (k >= in->cap) ? (k - in->cap) : k;
}

/* Make the held buffers used, all at once. Events written into them are
 * delivered. */
static void input_flush_(struct avps_input *in)
{
    struct avps_vq *vq = &in->queue[Q_EVENT].vq;

    if (in->nheld == 0u) {
        return;
    }
    if (avps_vq_push_n(vq, in->held, in->nheld) == AVPS_OK) {
        in->head = input_slot_(in, in->written);
        in->count -= in->written;
        in->stats.delivered += in->written;
    }
    /* else the queue broke (the device needs a reset): the events stay queued */
    in->written = 0;
    in->nheld = 0;
}

static void input_hold_(struct avps_input *in, uint16_t id, uint32_t len)
{
    in->held[in->nheld].id = id;
    in->held[in->nheld].len = len;
    in->nheld++;
}

/* A buffer the device cannot use: it goes back with length 0, in order with
 * the held ones. */
static void input_refuse_(struct avps_input *in, uint16_t q, uint16_t id, uint32_t detail)
{
    in->stats.refused++;
    avps_dev_report_(&in->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id, detail);
}

static int input_serve_events_(struct avps_input *in)
{
    struct avps_vq *vq = &in->queue[Q_EVENT].vq;
    uint32_t limit = AVPS_INPUT_HOLD;
    int done = 0;

    if (!avps_dev_queue_live_(&in->dev, Q_EVENT)) {
        return AVPS_E_STATE;
    }
    if (in->queue[Q_EVENT].size < limit) {
        limit = in->queue[Q_EVENT].size; /* cannot hold more buffers than the ring has */
    }
    /* Bounded: every pass takes a buffer from the ring or flushes. */
    while (in->written < (in->count - in->open)) {
        const struct avps_input_event *e;
        struct avps_virtio_input_event w;
        int r;

        if (in->nheld >= limit) {
            /* A group longer than the device can hold back: deliver it in
             * parts rather than stall for ever. */
            in->stats.split_groups += (in->written != 0u) ? 1u : 0u;
            done += (int)in->nheld;
            input_flush_(in);
            continue;
        }
        r = avps_vq_pop(vq, &in->req);
        if (r == AVPS_E_NOSPC) {
            uint16_t id;

            if (avps_vq_skip(vq, &id) != 1) {
                break;
            }
            input_hold_(in, id, 0);
            input_refuse_(in, Q_EVENT, id, AVPS_INPUT_SEGS);
            continue;
        }
        if (r <= 0) {
            break; /* no buffer (the group waits), or the queue broke */
        }
        /* §5.8.6.1: device-writable buffers of at least one event. */
        if ((in->req.n_rd != 0u) || (in->req.wr_len < EV_SIZE)) {
            input_hold_(in, in->req.id, 0);
            input_refuse_(in, Q_EVENT, in->req.id, in->req.wr_len);
            continue;
        }
        e = &in->pending[input_slot_(in, in->written)];
        w.type = avps_to_le16(e->type);
        w.code = avps_to_le16(e->code);
        w.value = avps_to_le32(e->value);
        (void)avps_vq_req_write(vq, &in->req, 0, &w, EV_SIZE);
        input_hold_(in, in->req.id, EV_SIZE);
        in->written++;
        if (input_ends_group_(e)) {
            done += (int)in->nheld;
            input_flush_(in); /* §5.8.6.2: the whole group at once */
        }
    }
    if ((in->written == 0u) && (in->nheld != 0u)) {
        done += (int)in->nheld; /* only refused buffers are held */
        input_flush_(in);
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* Drop every queued event (device reset). */
static void input_drop_all_(struct avps_input *in)
{
    in->stats.dropped += in->count;
    in->dropping = (uint8_t)((in->open != 0u) ? 1u : 0u); /* the rest of that group too */
    in->head = 0;
    in->count = 0;
    in->open = 0;
    in->written = 0;
    in->nheld = 0;
}

static uint32_t input_queue_events_(struct avps_input *in, const struct avps_input_event *ev,
                                    uint32_t n)
{
    uint32_t taken = 0;

    for (uint32_t i = 0; i < n; i++) {
        const struct avps_input_event *e = &ev[i];

        if (in->dropping != 0u) {
            in->stats.dropped++;
            in->dropping = (uint8_t)(input_ends_group_(e) ? 0u : 1u);
            continue;
        }
        if (in->count == in->cap) {
            /* §5.8.6.2: drop the whole group, not single events. Its queued
             * part is the unfinished tail, which is never written yet. */
            in->count -= in->open;
            in->stats.dropped += (uint64_t)in->open + 1u;
            in->open = 0;
            in->dropping = (uint8_t)(input_ends_group_(e) ? 0u : 1u);
            continue;
        }
        in->pending[input_slot_(in, in->count)] = *e;
        in->count++;
        in->open++;
        if (input_ends_group_(e)) {
            in->open = 0;
        }
        taken++;
    }
    return taken;
}

/* ---- statusq (§5.8.6) ------------------------------------------------------- */

static int input_serve_status_(struct avps_input *in)
{
    struct avps_vq *vq = &in->queue[Q_STATUS].vq;
    int done = 0;

    if (!avps_dev_queue_live_(&in->dev, Q_STATUS)) {
        return AVPS_E_STATE;
    }
    /* Bounded: each pass completes one buffer, and the engine bounds the
     * buffers in the ring. */
    for (;;) {
        int r;

        if (in->st_parked == 0u) {
            struct avps_virtio_input_event w;

            r = avps_vq_pop(vq, &in->st_req);
            if (r == AVPS_E_NOSPC) {
                uint16_t id;

                if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
                    break;
                }
                input_refuse_(in, Q_STATUS, id, AVPS_INPUT_SEGS);
                done++;
                continue;
            }
            if (r <= 0) {
                break;
            }
            /* §5.8.6.1: at least one event's worth of device-readable bytes. */
            if (avps_vq_req_read(&in->st_req, 0, &w, EV_SIZE) != EV_SIZE) {
                if (avps_vq_push(vq, in->st_req.id, 0) != AVPS_OK) {
                    break;
                }
                input_refuse_(in, Q_STATUS, in->st_req.id, in->st_req.rd_len);
                done++;
                continue;
            }
            in->st_ev.type = avps_from_le16(w.type);
            in->st_ev.code = avps_from_le16(w.code);
            in->st_ev.value = avps_from_le32(w.value);
        }
        if ((in->backend != NULL) && (in->backend->status != NULL)) {
            r = in->backend->status(in->backend->ctx, &in->st_ev);
            if (r == AVPS_E_AGAIN) {
                in->st_parked = 1; /* in order: nothing behind it is taken either */
                break;
            }
        }
        in->st_parked = 0;
        if (avps_vq_push(vq, in->st_req.id, 0) != AVPS_OK) {
            break;
        }
        in->stats.status++;
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* ---- device class ------------------------------------------------------------ */

static void input_reset_(struct avps_dev *dev)
{
    struct avps_input *in = input_of_(dev);

    in->select = 0;
    in->subsel = 0;
    in->st_parked = 0;
    input_drop_all_(in); /* a new driver does not get the old one's input */
}

static void input_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    struct avps_input *in = input_of_(dev);

    if (q == Q_EVENT) {
        /* The held buffers belonged to the old ring; the events are sent
         * again on the new one. */
        in->written = 0;
        in->nheld = 0;
    } else {
        in->st_parked = 0;
    }
}

static int input_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    struct avps_input *in = input_of_(dev);

    return (q == Q_EVENT) ? input_serve_events_(in) : input_serve_status_(in);
}

int avps_input_init(struct avps_input *in, const struct avps_host *host,
                    const struct avps_input_cfg *cfg)
{
    static const struct avps_dev_class input_class = {
        .device_id = AVPS_VIRTIO_ID_INPUT,
        .config_size = CFG_SIZE,
        /* §5.8.3: no device feature bits. Both queues complete in order. */
        .features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER),
        .reset = input_reset_,
        .queue_notify = input_queue_notify_,
        .config_read = input_config_read_,
        .config_write = input_config_write_,
        .queue_reset = input_queue_reset_,
    };
    struct avps_vq_slot *es;
    struct avps_vq_slot *ss;
    int err;

    if ((in == NULL) || (cfg == NULL) || (cfg->info == NULL) || (cfg->pending == NULL) ||
        (cfg->num_pending == 0u) || (cfg->num_pending > 0x7fffffffu)) {
        return AVPS_E_INVAL;
    }
    err = avps_dev_init_(&in->dev, &input_class, host, in->queue, 2u, &cfg->common);
    es = cfg->event_slots;
    ss = cfg->status_slots;
    if (err == AVPS_OK) {
        err = avps_dev_queue_init_(&in->dev, Q_EVENT, cfg->queue_size_max, es,
                                   cfg->num_event_slots);
    }
    if (err == AVPS_OK) {
        err = avps_dev_queue_init_(&in->dev, Q_STATUS, cfg->queue_size_max, ss,
                                   cfg->num_status_slots);
    }
    if (err != AVPS_OK) {
        return err;
    }
    in->info = cfg->info;
    in->backend = cfg->backend;
    in->pending = cfg->pending;
    in->cap = cfg->num_pending;
    in->req.seg = in->seg;
    in->req.seg_max = AVPS_INPUT_SEGS;
    in->st_req.seg = in->st_seg;
    in->st_req.seg_max = AVPS_INPUT_SEGS;
    in->count = 0;
    in->open = 0;
    input_reset_(&in->dev);
    in->dropping = 0;
    (void)AVPS_MEMSET(&in->stats, 0, sizeof in->stats);
    return AVPS_OK;
}

struct avps_dev *avps_input_dev(struct avps_input *in)
{
    return &in->dev;
}

int avps_input_send(struct avps_input *in, const struct avps_input_event *ev, uint32_t n)
{
    uint32_t taken;

    AVPS_ASSERT(in != NULL);
    if ((ev == NULL) && (n != 0u)) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&in->dev);
    taken = input_queue_events_(in, ev, n);
    (void)input_serve_events_(in); /* not live yet: the events wait */
    avps_dev_unlock_(&in->dev);
    return (int)taken;
}

int avps_input_resume(struct avps_input *in)
{
    int a;
    int b;

    AVPS_ASSERT(in != NULL);
    avps_dev_lock_(&in->dev);
    a = input_serve_status_(in);
    b = input_serve_events_(in);
    avps_dev_unlock_(&in->dev);
    if ((a < 0) && (b < 0)) {
        return AVPS_E_STATE;
    }
    return ((a > 0) ? a : 0) + ((b > 0) ? b : 0);
}

uint32_t avps_input_pending(const struct avps_input *in)
{
    return in->count;
}

void avps_input_stats(const struct avps_input *in, struct avps_input_stats *st)
{
    AVPS_ASSERT((in != NULL) && (st != NULL));
    *st = in->stats;
}

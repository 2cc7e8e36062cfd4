/*
 * virtio-scmi: the SCMI device (VIRTIO 1.2 §5.17). Adapts the SCMI platform
 * core (lib/scmi) to a cmdq (commands and their synchronous responses) and,
 * with VIRTIO_SCMI_F_P2A_CHANNELS, an eventq (delayed responses and
 * notifications). The device is one agent of a platform that may serve many.
 */
#include <avps/virtio_scmi.h>

#include "dev_priv.h"

#define F_P2A AVPS_VIRTIO_BIT(AVPS_VIRTIO_SCMI_F_P2A_CHANNELS)

static struct avps_virtio_scmi *vscmi_of_(struct avps_dev *dev)
{
    return (struct avps_virtio_scmi *)(void *)dev; /* dev is the first member */
}

static uint32_t min_(uint32_t a, uint32_t b)
{
    return (a < b) ? a : b;
}

static void vscmi_forget_held_(struct avps_virtio_scmi *vs)
{
    for (uint32_t i = 0; i < vs->num_held; i++) {
        vs->held[i].busy = 0;
    }
}

static void vscmi_reset_(struct avps_dev *dev)
{
    struct avps_virtio_scmi *vs = vscmi_of_(dev);

    vscmi_forget_held_(vs);
    /* The agent's subscriptions and queued messages belong to the old driver;
     * the other agents of the platform are untouched. */
    (void)avps_scmi_agent_reset(vs->scmi, vs->agent, false);
    (void)avps_scmi_agent_bind(vs->scmi, vs->agent, false, NULL, NULL);
}

static void vscmi_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    if (q == AVPS_VIRTIO_SCMI_CMDQ) {
        vscmi_forget_held_(vscmi_of_(dev)); /* their buffers belonged to the old ring */
    }
}

static void vscmi_kick_cb_(void *kctx, uint32_t agent);

static void vscmi_driver_ok_(struct avps_dev *dev)
{
    struct avps_virtio_scmi *vs = vscmi_of_(dev);

    /* §5.17.6.1: without P2A the platform acts as if it had no notification
     * and no delayed response. */
    (void)avps_scmi_agent_bind(vs->scmi, vs->agent, (avps_dev_features(dev) & F_P2A) != 0u,
                               vscmi_kick_cb_, vs);
}

static void vscmi_refuse_(struct avps_virtio_scmi *vs, uint16_t q, uint16_t id, uint64_t detail)
{
    vs->refused++;
    avps_dev_report_(&vs->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id, detail);
}

static struct avps_virtio_scmi_held *vscmi_free_held_(struct avps_virtio_scmi *vs, uint64_t *cookie)
{
    for (uint32_t i = 0; i < vs->num_held; i++) {
        if (vs->held[i].busy == 0u) {
            *cookie = i;
            return &vs->held[i];
        }
    }
    *cookie = AVPS_SCMI_NO_COOKIE; /* every entry waits: this one cannot */
    return &vs->scratch;
}

/* Take a chain; a chain with more pieces than we keep is returned unused. */
static int vscmi_pop_(struct avps_virtio_scmi *vs, uint16_t q, struct avps_virtio_scmi_held *h)
{
    struct avps_vq *vq = &vs->queue[q].vq;

    h->req.seg = h->seg;
    h->req.seg_max = AVPS_VIRTIO_SCMI_SEGS;
    for (;;) {
        uint16_t id;
        int r = avps_vq_pop(vq, &h->req);

        if (r != AVPS_E_NOSPC) {
            return r;
        }
        if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
            return 0;
        }
        vscmi_refuse_(vs, q, id, AVPS_VIRTIO_SCMI_SEGS);
    }
}

static int vscmi_complete_(struct avps_virtio_scmi *vs, struct avps_virtio_scmi_held *h, uint32_t n)
{
    struct avps_vq *vq = &vs->queue[AVPS_VIRTIO_SCMI_CMDQ].vq;
    const uint32_t w = avps_vq_req_write(vq, &h->req, 0, vs->rsp, n);
    int r = avps_vq_push(vq, h->req.id, w);

    avps_vq_req_unmap(vq, &h->req);
    h->busy = 0;
    if (r == AVPS_OK) {
        vs->commands++;
    }
    return r;
}

/* §5.17.6.1: every available command is processed; deferred ones complete
 * later, out of order. */
static int vscmi_serve_cmdq_(struct avps_virtio_scmi *vs)
{
    int done = 0;

    for (;;) {
        uint64_t cookie;
        struct avps_virtio_scmi_held *h = vscmi_free_held_(vs, &cookie);
        uint32_t got;
        int n;

        if (vscmi_pop_(vs, AVPS_VIRTIO_SCMI_CMDQ, h) <= 0) {
            break; /* empty, or the queue broke */
        }
        got = avps_vq_req_read(&h->req, 0, vs->msg, min_(h->req.rd_len, AVPS_VIRTIO_SCMI_MSG_MAX));
        n = avps_scmi_handle(vs->scmi, vs->agent, vs->msg, got, vs->rsp,
                             min_(h->req.wr_len, AVPS_VIRTIO_SCMI_MSG_MAX), cookie);
        if (n == 0) {
            h->busy = 1; /* the platform finishes it later */
            continue;
        }
        if (n < 0) {
            /* no header, or no room for header and status */
            vscmi_refuse_(vs, AVPS_VIRTIO_SCMI_CMDQ, h->req.id, h->req.wr_len);
            n = 0;
        }
        if (vscmi_complete_(vs, h, (uint32_t)n) != AVPS_OK) {
            break;
        }
        done++;
    }
    return done;
}

static int vscmi_serve_deferred_(struct avps_virtio_scmi *vs)
{
    int done = 0;

    /* Bounded: each pass frees one of the platform's pending slots. */
    for (;;) {
        uint64_t cookie = 0;
        struct avps_virtio_scmi_held *h;
        int n = avps_scmi_deferred_pop(vs->scmi, vs->agent, &cookie, vs->rsp,
                                       AVPS_VIRTIO_SCMI_MSG_MAX);

        if (n <= 0) {
            break;
        }
        if ((cookie >= vs->num_held) || (vs->held[cookie].busy == 0u)) {
            continue; /* its request went with a queue reset */
        }
        h = &vs->held[cookie];
        if ((uint32_t)n > h->req.wr_len) {
            /* cannot happen for a reply the platform sized; stay safe */
            vs->rsp[4] = 0xf9u; /* status COMMS_ERROR (-7), little endian */
            vs->rsp[5] = 0xffu;
            vs->rsp[6] = 0xffu;
            vs->rsp[7] = 0xffu;
            n = 8;
        }
        if (vscmi_complete_(vs, h, (uint32_t)n) != AVPS_OK) {
            break;
        }
        done++;
    }
    return done;
}

static int vscmi_serve_eventq_(struct avps_virtio_scmi *vs)
{
    struct avps_vq *vq = &vs->queue[AVPS_VIRTIO_SCMI_EVENTQ].vq;
    struct avps_virtio_scmi_held *h = &vs->scratch;
    int done = 0;

    if (((avps_dev_features(&vs->dev) & F_P2A) == 0u) ||
        !avps_dev_queue_live_(&vs->dev, AVPS_VIRTIO_SCMI_EVENTQ)) {
        return 0;
    }
    /* §5.17.6.3: one message per buffer; with no buffer the platform keeps
     * the messages (delayed responses always, notifications while room). */
    while (avps_scmi_p2a_pending(vs->scmi, vs->agent)) {
        uint32_t w = 0;

        if (vscmi_pop_(vs, AVPS_VIRTIO_SCMI_EVENTQ, h) <= 0) {
            break;
        }
        if (h->req.n_rd != 0u) {
            /* §5.17.6.2.1: the driver puts no device-readable buffer here */
            vscmi_refuse_(vs, AVPS_VIRTIO_SCMI_EVENTQ, h->req.id, h->req.rd_len);
        } else {
            const int n = avps_scmi_p2a_pop(vs->scmi, vs->agent, vs->rsp,
                                  min_(h->req.wr_len, AVPS_VIRTIO_SCMI_MSG_MAX));
            if (n > 0) {
                w = avps_vq_req_write(vq, &h->req, 0, vs->rsp, (uint32_t)n);
                vs->events++;
            }
        }
        if (avps_vq_push(vq, h->req.id, w) != AVPS_OK) {
            break;
        }
        avps_vq_req_unmap(vq, &h->req);
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

static int vscmi_serve_(struct avps_virtio_scmi *vs, bool cmdq)
{
    /* Deferred replies first: those of requests a queue reset took are
     * dropped here even while the queue is down, freeing the platform's slots. */
    int done = vscmi_serve_deferred_(vs);

    if (!avps_dev_queue_live_(&vs->dev, AVPS_VIRTIO_SCMI_CMDQ)) {
        return AVPS_E_STATE;
    }
    if (cmdq) {
        done += vscmi_serve_cmdq_(vs);
    }
    (void)avps_vq_notify(&vs->queue[AVPS_VIRTIO_SCMI_CMDQ].vq);
    /* after the cmdq buffers: Linux expects a delayed response after its
     * synchronous reply */
    done += vscmi_serve_eventq_(vs);
    return done;
}

static int vscmi_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    return vscmi_serve_(vscmi_of_(dev), q == AVPS_VIRTIO_SCMI_CMDQ);
}

int avps_virtio_scmi_kick(struct avps_virtio_scmi *vs)
{
    int r;

    AVPS_ASSERT(vs != NULL);
    avps_dev_lock_(&vs->dev);
    r = vscmi_serve_(vs, false);
    avps_dev_unlock_(&vs->dev);
    return r;
}

static void vscmi_kick_cb_(void *kctx, uint32_t agent)
{
    (void)agent;
    (void)avps_virtio_scmi_kick((struct avps_virtio_scmi *)kctx);
}

int avps_virtio_scmi_init(struct avps_virtio_scmi *vs, const struct avps_host *host,
                          const struct avps_virtio_scmi_cfg *cfg)
{
    static const struct avps_dev_class scmi_class = {
        .device_id = AVPS_VIRTIO_ID_SCMI,
        .config_size = 0,
        .features = F_P2A, /* §5.17.3.1: we can send notifications and delayed responses */
        .reset = vscmi_reset_,
        .queue_notify = vscmi_queue_notify_,
        .queue_reset = vscmi_queue_reset_,
        .driver_ok = vscmi_driver_ok_,
    };
    struct avps_vq_slot *slots;
    int err;

    if ((vs == NULL) || (cfg == NULL) || (cfg->scmi == NULL) || (cfg->held == NULL) ||
        (cfg->num_held == 0u) || (cfg->slots == NULL) ||
        (cfg->num_slots < (2u * (uint32_t)cfg->queue_size_max)) || (cfg->agent == 0u) ||
        (cfg->agent > cfg->scmi->cfg.num_agents)) {
        return AVPS_E_INVAL;
    }
    err = avps_dev_init_(&vs->dev, &scmi_class, host, vs->queue, 2u, &cfg->common);
    if (err != AVPS_OK) {
        return err;
    }
    slots = cfg->slots;
    err = avps_dev_queue_init_(&vs->dev, AVPS_VIRTIO_SCMI_CMDQ, cfg->queue_size_max, slots,
                               cfg->queue_size_max);
    if (err == AVPS_OK) {
        err = avps_dev_queue_init_(&vs->dev, AVPS_VIRTIO_SCMI_EVENTQ, cfg->queue_size_max,
                                   &slots[cfg->queue_size_max], cfg->queue_size_max);
    }
    if (err != AVPS_OK) {
        return err;
    }
    vs->scmi = cfg->scmi;
    vs->agent = cfg->agent;
    vs->held = cfg->held;
    vs->num_held = cfg->num_held;
    (void)AVPS_MEMSET(&vs->scratch, 0, sizeof vs->scratch);
    vs->commands = 0;
    vs->events = 0;
    vs->refused = 0;
    vscmi_reset_(&vs->dev);
    return AVPS_OK;
}

struct avps_dev *avps_virtio_scmi_dev(struct avps_virtio_scmi *vs)
{
    return &vs->dev;
}

uint64_t avps_virtio_scmi_commands(const struct avps_virtio_scmi *vs)
{
    return vs->commands;
}

uint64_t avps_virtio_scmi_events(const struct avps_virtio_scmi *vs)
{
    return vs->events;
}

uint64_t avps_virtio_scmi_refused(const struct avps_virtio_scmi *vs)
{
    return vs->refused;
}

/*
 * SCMI platform core: header parsing, table dispatch with exact payload
 * lengths, permissions, subscriptions, pending asynchronous commands and the
 * P2A backlog. Transport-independent; depends on lib/core only.
 *
 * Validation order (after SCP-firmware, DEN0056 §4.1): message type, protocol
 * (implemented and granted, else NOT_SUPPORTED), message id (else NOT_FOUND),
 * payload length (else PROTOCOL_ERROR), implemented (else NOT_SUPPORTED), then
 * the command's own checks (resource id NOT_FOUND, permission DENIED, ...).
 */
#include "scmi_priv.h"

const struct scmi_proto *avps_scmi_proto_(uint32_t id)
{
    const struct scmi_proto *p;

    switch (id) {
    case AVPS_SCMI_PROTO_BASE:
        p = &avps_scmi_base_;
        break;
    case AVPS_SCMI_PROTO_POWER:
        p = &avps_scmi_power_;
        break;
    case AVPS_SCMI_PROTO_SYSTEM:
        p = &avps_scmi_system_;
        break;
    case AVPS_SCMI_PROTO_PERF:
        p = &avps_scmi_perf_;
        break;
    case AVPS_SCMI_PROTO_CLOCK:
        p = &avps_scmi_clock_;
        break;
    case AVPS_SCMI_PROTO_SENSOR:
        p = &avps_scmi_sensor_;
        break;
    case AVPS_SCMI_PROTO_RESET:
        p = &avps_scmi_reset_;
        break;
    case AVPS_SCMI_PROTO_VOLTAGE:
        p = &avps_scmi_voltage_;
        break;
    case AVPS_SCMI_PROTO_POWERCAP:
        p = &avps_scmi_powercap_;
        break;
    case AVPS_SCMI_PROTO_PINCTRL:
        p = &avps_scmi_pinctrl_;
        break;
    default:
        p = NULL;
        break;
    }
    return p;
}

uint32_t avps_scmi_strnlen_(const char *s, uint32_t max)
{
    uint32_t n = 0;

    if (s == NULL) {
        return 0;
    }
    while ((n < max) && (s[n] != '\0')) {
        n++;
    }
    return n;
}

void avps_scmi_put_name_(struct scmi_msg *m, const char *name, uint32_t len)
{
    uint32_t n = avps_scmi_strnlen_(name, len - 1u);

    if (scmi_room_(m) < len) {
        m->overflow = true;
        return;
    }
    (void)AVPS_MEMSET(&m->out[m->n], 0, len);
    if (n > 0u) {
        (void)AVPS_MEMCPY(&m->out[m->n], name, n);
    }
    m->n += len;
}

bool avps_scmi_dev_ok_(const struct scmi_msg *m, uint16_t device)
{
    if (device >= AVPS_SCMI_MAX_DEVICES) {
        return false;
    }
    return (m->a->devices[device / 32u] & SCMI_BIT((uint32_t)device % 32u)) != 0u;
}

int32_t avps_scmi_status_(int err)
{
    switch (err) {
    case AVPS_OK:
        return AVPS_SCMI_SUCCESS;
    case AVPS_E_INVAL:
        return AVPS_SCMI_INVALID_PARAMETERS;
    case AVPS_E_STATE:
        return AVPS_SCMI_DENIED;
    case AVPS_E_AGAIN:
        return AVPS_SCMI_BUSY;
    case AVPS_E_NOSPC:
        return AVPS_SCMI_OUT_OF_RANGE;
    default:
        return AVPS_SCMI_HARDWARE_ERROR;
    }
}

/* ---- common commands ------------------------------------------------------ */

int32_t avps_scmi_cmd_version_(struct scmi_msg *m)
{
    const struct scmi_proto *p = avps_scmi_proto_(AVPS_SCMI_HDR_PROTO(m->hdr));

    scmi_put32_(m, p->version);
    return AVPS_SCMI_SUCCESS;
}

/* Whether the caller may use command id of protocol p. */
static bool cmd_usable_(const struct scmi_msg *m, const struct scmi_proto *p, uint32_t id)
{
    const struct scmi_cmd *c;

    if (id >= SCMI_CMDS) {
        return false;
    }
    c = &p->cmds[id];
    if (((c->flags & CMD_KNOWN) == 0u) || (c->fn == NULL)) {
        return false;
    }
    /* virtio §5.17.6.1.1: without P2A, no notification is advertised */
    return ((c->flags & CMD_P2A) == 0u) || scmi_p2a_(m);
}

int32_t avps_scmi_cmd_msg_attributes_(struct scmi_msg *m)
{
    const struct scmi_proto *p = avps_scmi_proto_(AVPS_SCMI_HDR_PROTO(m->hdr));

    if (!cmd_usable_(m, p, scmi_arg_(m, 0))) {
        return AVPS_SCMI_NOT_FOUND;
    }
    scmi_put32_(m, 0); /* no FastChannel (virtio §5.17) */
    return AVPS_SCMI_SUCCESS;
}

int32_t avps_scmi_cmd_negotiate_(struct scmi_msg *m)
{
    const struct scmi_proto *p = avps_scmi_proto_(AVPS_SCMI_HDR_PROTO(m->hdr));

    /* Only the version implemented: the platform cannot speak older formats. */
    return (scmi_arg_(m, 0) == p->version) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_NOT_SUPPORTED;
}

int32_t avps_scmi_name_get_(struct scmi_msg *m, const char *name)
{
    scmi_put32_(m, 0);
    avps_scmi_put_name_(m, name, AVPS_SCMI_NAME_MAX);
    return AVPS_SCMI_SUCCESS;
}

int32_t avps_scmi_notify_cmd_(struct scmi_msg *m, uint32_t kind, uint32_t id, uint32_t ctl,
                              bool supported)
{
    if ((ctl & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!supported) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_subscribe_(m, kind, id, (ctl & 1u) != 0u);
}

int32_t avps_scmi_async_result_(struct scmi_msg *m, struct avps_scmi_slot *slot, int err,
                                const uint32_t *words, uint32_t n)
{
    if (err == AVPS_SCMI_OP_PENDING) {
        return AVPS_SCMI_SUCCESS;
    }
    if (err != AVPS_OK) {
        avps_scmi_slot_free_(slot);
        return avps_scmi_status_(err);
    }
    avps_scmi_slot_ready_(m->s, slot, AVPS_SCMI_SUCCESS, words, n);
    return AVPS_SCMI_SUCCESS;
}

/* ---- init, agents ------------------------------------------------------------ */

static void agent_perms_(struct avps_scmi *s, uint32_t agent)
{
    const struct avps_scmi_agent_cfg *ac = &s->cfg.agent_cfg[agent - 1u];
    struct avps_scmi_agent *a = &s->cfg.agents[agent - 1u];

    a->protocols = (ac->protocols | AVPS_SCMI_PROTO_BIT(AVPS_SCMI_PROTO_BASE)) &
                   (s->cfg.platform->protocols | AVPS_SCMI_PROTO_BIT(AVPS_SCMI_PROTO_BASE));
    (void)AVPS_MEMCPY(a->devices, ac->devices, sizeof a->devices);
}

int avps_scmi_init(struct avps_scmi *s, const struct avps_scmi_cfg *cfg)
{
    const struct avps_scmi_platform *pf;

    if ((s == NULL) || (cfg == NULL) || (cfg->platform == NULL) || (cfg->ops == NULL) ||
        (cfg->agent_cfg == NULL) || (cfg->agents == NULL) || (cfg->num_agents == 0u) ||
        (cfg->num_agents > 254u) || (cfg->num_pending > 255u) ||
        ((cfg->subs == NULL) && (cfg->num_subs != 0u)) ||
        ((cfg->pending == NULL) && (cfg->num_pending != 0u)) ||
        ((cfg->backlog == NULL) && (cfg->num_backlog != 0u))) {
        return AVPS_E_INVAL;
    }
    pf = cfg->platform;
    if ((pf->num_devices > AVPS_SCMI_MAX_DEVICES) || ((pf->power == NULL) && (pf->num_power != 0u)) ||
        ((pf->perf == NULL) && (pf->num_perf != 0u)) ||
        ((pf->clocks == NULL) && (pf->num_clocks != 0u)) ||
        ((pf->sensors == NULL) && (pf->num_sensors != 0u)) ||
        ((pf->resets == NULL) && (pf->num_resets != 0u)) ||
        ((pf->voltages == NULL) && (pf->num_voltages != 0u)) ||
        ((pf->powercaps == NULL) && (pf->num_powercaps != 0u)) ||
        ((pf->pins == NULL) && (pf->num_pins != 0u)) ||
        ((pf->groups == NULL) && (pf->num_groups != 0u)) ||
        ((pf->functions == NULL) && (pf->num_functions != 0u))) {
        return AVPS_E_INVAL;
    }
    (void)AVPS_MEMSET(s, 0, sizeof *s);
    s->cfg = *cfg;
    for (uint32_t i = 0; i < cfg->num_agents; i++) {
        (void)AVPS_MEMSET(&cfg->agents[i], 0, sizeof cfg->agents[i]);
        agent_perms_(s, i + 1u);
    }
    if (cfg->num_subs != 0u) {
        (void)AVPS_MEMSET(cfg->subs, 0, cfg->num_subs * sizeof cfg->subs[0]);
    }
    if (cfg->num_pending != 0u) {
        (void)AVPS_MEMSET(cfg->pending, 0, cfg->num_pending * sizeof cfg->pending[0]);
    }
    if (cfg->num_backlog != 0u) {
        (void)AVPS_MEMSET(cfg->backlog, 0, cfg->num_backlog * sizeof cfg->backlog[0]);
    }
    return AVPS_OK;
}

static bool agent_ok_(const struct avps_scmi *s, uint32_t agent)
{
    return (agent >= 1u) && (agent <= s->cfg.num_agents);
}

int avps_scmi_agent_bind(struct avps_scmi *s, uint32_t agent, bool p2a,
                         void (*kick)(void *kctx, uint32_t agent), void *kctx)
{
    struct avps_scmi_agent *a;

    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent)) {
        return AVPS_E_INVAL;
    }
    a = &s->cfg.agents[agent - 1u];
    a->p2a = p2a ? 1u : 0u;
    a->kick = kick;
    a->kctx = kctx;
    return AVPS_OK;
}

int avps_scmi_agent_reset(struct avps_scmi *s, uint32_t agent, bool permissions)
{
    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent)) {
        return AVPS_E_INVAL;
    }
    for (uint32_t i = 0; i < s->cfg.num_subs; i++) {
        if (s->cfg.subs[i].agent == agent) {
            (void)AVPS_MEMSET(&s->cfg.subs[i], 0, sizeof s->cfg.subs[i]);
        }
    }
    for (uint32_t i = 0; i < s->cfg.num_backlog; i++) {
        if (s->cfg.backlog[i].agent == agent) {
            avps_scmi_slot_free_(&s->cfg.backlog[i]);
        }
    }
    for (uint32_t i = 0; i < s->cfg.num_pending; i++) {
        struct avps_scmi_slot *p = &s->cfg.pending[i];

        if (p->agent != agent) {
            continue;
        }
        if (p->state == SLOT_WAIT) {
            p->state = SLOT_ORPHAN; /* the platform still holds the handle */
        } else if (p->state == SLOT_READY) {
            avps_scmi_slot_free_(p);
        } else {
            /* orphans stay until the platform completes them */
        }
    }
    s->cfg.agents[agent - 1u].notify_errors = 0;
    if (permissions) {
        agent_perms_(s, agent);
    }
    return AVPS_OK;
}

/* ---- subscriptions ---------------------------------------------------------- */

struct avps_scmi_sub *avps_scmi_sub_find_(struct avps_scmi *s, uint32_t agent, uint32_t proto,
                                          uint32_t kind, uint32_t id)
{
    for (uint32_t i = 0; i < s->cfg.num_subs; i++) {
        struct avps_scmi_sub *u = &s->cfg.subs[i];

        if ((u->agent == agent) && (u->proto == proto) && (u->kind == kind) && (u->id == id)) {
            return u;
        }
    }
    return NULL;
}

struct avps_scmi_sub *avps_scmi_sub_new_(struct avps_scmi *s)
{
    for (uint32_t i = 0; i < s->cfg.num_subs; i++) {
        if (s->cfg.subs[i].agent == 0u) {
            return &s->cfg.subs[i];
        }
    }
    return NULL;
}

int32_t avps_scmi_subscribe_(struct scmi_msg *m, uint32_t kind, uint32_t id, bool on)
{
    const uint32_t proto = AVPS_SCMI_HDR_PROTO(m->hdr);
    struct avps_scmi_sub *u = avps_scmi_sub_find_(m->s, m->agent, proto, kind, id);

    if (!on) {
        if (u != NULL) {
            (void)AVPS_MEMSET(u, 0, sizeof *u);
        }
        return AVPS_SCMI_SUCCESS;
    }
    if (u != NULL) {
        return AVPS_SCMI_SUCCESS;
    }
    u = avps_scmi_sub_new_(m->s);
    if (u == NULL) {
        return AVPS_SCMI_BUSY;
    }
    u->agent = (uint16_t)m->agent;
    u->proto = (uint8_t)proto;
    u->kind = (uint8_t)kind;
    u->id = id;
    return AVPS_SCMI_SUCCESS;
}

/* ---- slots: pending commands and the backlog -------------------------------- */

void avps_scmi_slot_free_(struct avps_scmi_slot *slot)
{
    slot->agent = 0;
    slot->state = SLOT_FREE;
    slot->kind = 0;
    slot->len = 0;
}

struct avps_scmi_slot *avps_scmi_pending_new_(struct scmi_msg *m, uint8_t kind, uint32_t id)
{
    for (uint32_t i = 0; i < m->s->cfg.num_pending; i++) {
        struct avps_scmi_slot *p = &m->s->cfg.pending[i];

        if (p->state == SLOT_FREE) {
            p->agent = (uint16_t)m->agent;
            p->state = SLOT_WAIT;
            p->kind = kind;
            p->hdr = m->hdr;
            p->id = id;
            p->cookie = m->cookie;
            p->len = 0;
            return p;
        }
    }
    return NULL;
}

uint32_t avps_scmi_handle_of_(const struct avps_scmi *s, const struct avps_scmi_slot *slot)
{
    uint32_t i = 0;

    while ((i < s->cfg.num_pending) && (&s->cfg.pending[i] != slot)) {
        i++;
    }
    return i;
}

static void render_(struct avps_scmi_slot *slot, uint32_t hdr, bool with_status, int32_t status,
                    const uint32_t *words, uint32_t n)
{
    uint32_t len = 4u;

    scmi_st32_(slot->data, hdr);
    if (with_status) {
        scmi_st32_(&slot->data[4], (uint32_t)status);
        len = 8u;
    }
    /* A failed response is exactly header + status (virtio §5.17.6.3.1). */
    if (!with_status || (status == AVPS_SCMI_SUCCESS)) {
        for (uint32_t i = 0; (i < n) && (len <= (AVPS_SCMI_MSG_MAX - 4u)); i++) {
            scmi_st32_(&slot->data[len], words[i]);
            len += 4u;
        }
    }
    slot->len = (uint16_t)len;
}

void avps_scmi_slot_ready_(struct avps_scmi *s, struct avps_scmi_slot *slot, int32_t status,
                           const uint32_t *words, uint32_t n)
{
    uint32_t hdr = slot->hdr & 0x0ffffcffu; /* keep msg, proto, token */

    if (slot->kind == KIND_DELAYED) {
        hdr |= (uint32_t)AVPS_SCMI_MSG_DELAYED << 8;
    }
    render_(slot, hdr, true, status, words, n);
    slot->state = SLOT_READY;
    slot->seq = scmi_next_seq_(s);
}

bool avps_scmi_queue_(struct avps_scmi *s, uint32_t agent, uint32_t hdr, const uint32_t *words,
                      uint32_t n, bool coalesce)
{
    struct avps_scmi_slot *free_slot = NULL;

    for (uint32_t i = 0; i < s->cfg.num_backlog; i++) {
        struct avps_scmi_slot *b = &s->cfg.backlog[i];

        if (b->agent == 0u) {
            if (free_slot == NULL) {
                free_slot = b;
            }
            continue;
        }
        /* virtio §5.17.6.3.1: a later notification may carry updated data */
        if (coalesce && (b->agent == agent) && (b->hdr == hdr) && (n >= 2u) &&
            (b->id == words[1])) {
            render_(b, hdr, false, 0, words, n);
            return true;
        }
    }
    if (free_slot == NULL) {
        s->dropped++;
        s->cfg.agents[agent - 1u].dropped++;
        return false;
    }
    free_slot->agent = (uint16_t)agent;
    free_slot->kind = KIND_NOTIFY;
    free_slot->state = SLOT_READY;
    free_slot->hdr = hdr;
    free_slot->id = (n >= 2u) ? words[1] : 0u;
    free_slot->seq = scmi_next_seq_(s);
    render_(free_slot, hdr, false, 0, words, n);
    return true;
}

void avps_scmi_kick_(struct avps_scmi *s, uint32_t agent)
{
    struct avps_scmi_agent *a = &s->cfg.agents[agent - 1u];

    if (a->kick != NULL) {
        a->kick(a->kctx, agent);
    }
}

int avps_scmi_emit_(struct avps_scmi *s, uint32_t cause, uint32_t proto, uint32_t event,
                    uint32_t id, const uint32_t *words, uint32_t n, uint32_t nokick)
{
    uint32_t w[AVPS_SCMI_MSG_MAX / 4u];
    const uint32_t hdr = AVPS_SCMI_HDR(event, AVPS_SCMI_MSG_NOTIFY, proto, 0u);
    const bool global = (proto == AVPS_SCMI_PROTO_SYSTEM);
    const bool coalesce = (proto == AVPS_SCMI_PROTO_SENSOR) && (event == 1u);
    int queued = 0;

    if (n > ((AVPS_SCMI_MSG_MAX / 4u) - 3u)) {
        return AVPS_E_INVAL;
    }
    w[0] = cause;
    w[1] = id;
    for (uint32_t i = 0; i < n; i++) {
        w[2u + i] = words[i];
    }
    for (uint32_t agent = 1; agent <= s->cfg.num_agents; agent++) {
        bool want;

        if (s->cfg.agents[agent - 1u].p2a == 0u) {
            continue;
        }
        if (proto == AVPS_SCMI_PROTO_BASE) {
            want = s->cfg.agents[agent - 1u].notify_errors != 0u;
        } else {
            want = avps_scmi_sub_find_(s, agent, proto, event, global ? 0u : id) != NULL;
        }
        if (want && avps_scmi_queue_(s, agent, hdr, w, n + 2u, coalesce)) {
            queued++;
            if (agent != nokick) {
                avps_scmi_kick_(s, agent);
            }
        }
    }
    return queued;
}

/* The oldest ready message of an agent among the pending slots of kind
 * `kind` and (for P2A) the backlog. */
static struct avps_scmi_slot *oldest_(struct avps_scmi *s, uint32_t agent, uint8_t kind)
{
    struct avps_scmi_slot *best = NULL;

    for (uint32_t i = 0; i < s->cfg.num_pending; i++) {
        struct avps_scmi_slot *p = &s->cfg.pending[i];

        if ((p->agent == agent) && (p->state == SLOT_READY) && (p->kind == kind) &&
            ((best == NULL) || scmi_before_(p->seq, best->seq))) {
            best = p;
        }
    }
    if (kind != KIND_DELAYED) {
        return best;
    }
    for (uint32_t i = 0; i < s->cfg.num_backlog; i++) {
        struct avps_scmi_slot *b = &s->cfg.backlog[i];

        if ((b->agent == agent) && ((best == NULL) || scmi_before_(b->seq, best->seq))) {
            best = b;
        }
    }
    return best;
}

int avps_scmi_p2a_pop(struct avps_scmi *s, uint32_t agent, void *buf, uint32_t cap)
{
    struct avps_scmi_slot *m;
    uint32_t len;

    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent) || (buf == NULL)) {
        return AVPS_E_INVAL;
    }
    m = oldest_(s, agent, KIND_DELAYED);
    if (m == NULL) {
        return 0;
    }
    len = m->len;
    if (len > cap) {
        if (m->kind == KIND_NOTIFY) {
            /* virtio §5.17.6.3.1: MAY omit a notification that does not fit */
            s->dropped++;
            s->cfg.agents[agent - 1u].dropped++;
            avps_scmi_slot_free_(m);
            return 0;
        }
        if (cap < 8u) {
            return 0; /* a delayed response is never dropped */
        }
        scmi_st32_(&m->data[4], (uint32_t)AVPS_SCMI_COMMS_ERROR);
        len = 8u;
    }
    (void)AVPS_MEMCPY(buf, m->data, len);
    avps_scmi_slot_free_(m);
    return (int)len;
}

bool avps_scmi_p2a_pending(const struct avps_scmi *s, uint32_t agent)
{
    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent)) {
        return false;
    }
    for (uint32_t i = 0; i < s->cfg.num_pending; i++) {
        const struct avps_scmi_slot *p = &s->cfg.pending[i];

        if ((p->agent == agent) && (p->state == SLOT_READY) && (p->kind == KIND_DELAYED)) {
            return true;
        }
    }
    for (uint32_t i = 0; i < s->cfg.num_backlog; i++) {
        if (s->cfg.backlog[i].agent == agent) {
            return true;
        }
    }
    return false;
}

int avps_scmi_deferred_pop(struct avps_scmi *s, uint32_t agent, uint64_t *cookie, void *buf,
                           uint32_t cap)
{
    struct avps_scmi_slot *m;
    uint32_t len;

    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent) || (buf == NULL) || (cookie == NULL) || (cap < 8u)) {
        return AVPS_E_INVAL;
    }
    m = oldest_(s, agent, KIND_DEFERRED);
    if (m == NULL) {
        return 0;
    }
    len = m->len;
    if (len > cap) {
        scmi_st32_(&m->data[4], (uint32_t)AVPS_SCMI_COMMS_ERROR);
        len = 8u;
    }
    *cookie = m->cookie;
    (void)AVPS_MEMCPY(buf, m->data, len);
    avps_scmi_slot_free_(m);
    return (int)len;
}

/* A pending slot named by a platform handle, still waiting. */
static struct avps_scmi_slot *pending_of_(struct avps_scmi *s, uint32_t handle)
{
    struct avps_scmi_slot *p;

    if (handle >= s->cfg.num_pending) {
        return NULL;
    }
    p = &s->cfg.pending[handle];
    return ((p->state == SLOT_WAIT) || (p->state == SLOT_ORPHAN)) ? p : NULL;
}

int avps_scmi_complete(struct avps_scmi *s, uint32_t handle, int err, uint64_t value)
{
    struct avps_scmi_slot *p;
    uint32_t w[3];
    uint32_t n = 1;
    uint32_t proto;

    AVPS_ASSERT(s != NULL);
    p = pending_of_(s, handle);
    if ((p == NULL) || (AVPS_SCMI_HDR_PROTO(p->hdr) == AVPS_SCMI_PROTO_SENSOR)) {
        return AVPS_E_INVAL;
    }
    if (p->state == SLOT_ORPHAN) {
        avps_scmi_slot_free_(p);
        return AVPS_OK;
    }
    proto = AVPS_SCMI_HDR_PROTO(p->hdr);
    w[0] = p->id;
    if (proto == AVPS_SCMI_PROTO_CLOCK) {
        w[1] = (uint32_t)value; /* CLOCK_RATE_SET_COMPLETE: id, rate */
        w[2] = (uint32_t)(value >> 32);
        n = 3;
    } else if ((proto == AVPS_SCMI_PROTO_VOLTAGE) || (proto == AVPS_SCMI_PROTO_POWERCAP) ||
               (proto == AVPS_SCMI_PROTO_POWER)) {
        w[1] = (uint32_t)value; /* id, then level, cap or power state */
        n = 2;
    } else {
        /* RESET_COMPLETE carries the domain id only */
    }
    avps_scmi_slot_ready_(s, p, avps_scmi_status_(err), w, n);
    avps_scmi_kick_(s, p->agent);
    return AVPS_OK;
}

uint32_t avps_scmi_readings_words_(uint32_t *w, uint32_t max, const struct avps_scmi_reading *r,
                                   uint32_t n)
{
    uint32_t k = 0;

    for (uint32_t i = 0; (i < n) && ((k + 4u) <= max); i++) {
        w[k] = (uint32_t)(uint64_t)r[i].value;
        w[k + 1u] = (uint32_t)((uint64_t)r[i].value >> 32);
        w[k + 2u] = (uint32_t)r[i].timestamp;
        w[k + 3u] = (uint32_t)(r[i].timestamp >> 32);
        k += 4u;
    }
    return k;
}

int avps_scmi_complete_sensor(struct avps_scmi *s, uint32_t handle, int err,
                              const struct avps_scmi_reading *r, uint32_t n)
{
    struct avps_scmi_slot *p;
    const struct avps_scmi_sensor *sn;
    uint32_t w[AVPS_SCMI_MSG_MAX / 4u];
    uint32_t k = 0;
    uint32_t want;

    AVPS_ASSERT(s != NULL);
    p = pending_of_(s, handle);
    if ((p == NULL) || (AVPS_SCMI_HDR_PROTO(p->hdr) != AVPS_SCMI_PROTO_SENSOR)) {
        return AVPS_E_INVAL;
    }
    sn = &s->cfg.platform->sensors[p->id];
    want = (sn->num_axes == 0u) ? 1u : sn->num_axes;
    if ((err == AVPS_OK) && ((r == NULL) || (n != want))) {
        return AVPS_E_INVAL;
    }
    if (p->state == SLOT_ORPHAN) {
        avps_scmi_slot_free_(p);
        return AVPS_OK;
    }
    if (p->kind == KIND_DELAYED) {
        w[0] = p->id; /* SENSOR_READING_COMPLETE: sensor id, readings */
        k = 1;
    }
    if (err == AVPS_OK) {
        k += avps_scmi_readings_words_(&w[k], (AVPS_SCMI_MSG_MAX / 4u) - 2u - k, r, n);
    }
    avps_scmi_slot_ready_(s, p, avps_scmi_status_(err), w, k);
    avps_scmi_kick_(s, p->agent);
    return AVPS_OK;
}

int avps_scmi_notify(struct avps_scmi *s, uint32_t cause, uint32_t proto, uint32_t event,
                     uint32_t id, const uint32_t *words, uint32_t n)
{
    AVPS_ASSERT(s != NULL);
    if ((avps_scmi_proto_(proto) == NULL) || (event > 1u) || ((words == NULL) && (n != 0u))) {
        return AVPS_E_INVAL;
    }
    return avps_scmi_emit_(s, cause, proto, event, id, words, n, 0u);
}

uint64_t avps_scmi_dropped(const struct avps_scmi *s)
{
    return s->dropped;
}

uint64_t avps_scmi_errors(const struct avps_scmi *s)
{
    return s->errors;
}

/* ---- rounding ------------------------------------------------------------------- */

bool avps_scmi_round_u64_(const uint64_t *v, uint32_t n, bool range, uint64_t want,
                          uint32_t mode, uint64_t *out)
{
    uint64_t lo;
    uint64_t hi;

    if (n == 0u) {
        return false;
    }
    if (range) {
        const uint64_t step = (n >= 3u) ? v[2] : 0u;
        uint64_t k;

        if ((want < v[0]) || (want > v[1])) {
            return false;
        }
        if (step == 0u) {
            *out = want;
            return true;
        }
        k = (want - v[0]) / step;
        lo = v[0] + (k * step);
        hi = ((lo == want) || ((v[1] - lo) < step)) ? lo : (lo + step);
    } else {
        uint32_t i = 0;

        if ((want < v[0]) || (want > v[n - 1u])) {
            return false;
        }
        while ((i < (n - 1u)) && (v[i + 1u] <= want)) {
            i++;
        }
        lo = v[i];
        hi = ((lo == want) || (i == (n - 1u))) ? lo : v[i + 1u];
    }
    if (mode == SCMI_ROUND_DOWN) {
        *out = lo;
    } else if (mode == SCMI_ROUND_UP) {
        *out = hi;
    } else {
        *out = ((want - lo) <= (hi - want)) ? lo : hi;
    }
    return true;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static int32_t dispatch_(struct scmi_msg *m)
{
    const uint32_t proto = AVPS_SCMI_HDR_PROTO(m->hdr);
    const uint32_t id = AVPS_SCMI_HDR_MSG(m->hdr);
    const struct scmi_proto *p = avps_scmi_proto_(proto);
    const struct scmi_cmd *c;

    if (AVPS_SCMI_HDR_TYPE(m->hdr) != AVPS_SCMI_MSG_COMMAND) {
        m->s->errors++;
        return AVPS_SCMI_PROTOCOL_ERROR;
    }
    if ((p == NULL) || ((m->a->protocols & AVPS_SCMI_PROTO_BIT(proto)) == 0u)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((id >= SCMI_CMDS) || ((p->cmds[id].flags & CMD_KNOWN) == 0u)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    c = &p->cmds[id];
    if ((m->len < c->min_len) || (m->len > c->max_len)) {
        m->s->errors++;
        return AVPS_SCMI_PROTOCOL_ERROR;
    }
    if ((c->fn == NULL) || (((c->flags & CMD_P2A) != 0u) && !scmi_p2a_(m))) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return c->fn(m);
}

int avps_scmi_handle(struct avps_scmi *s, uint32_t agent, const void *req, uint32_t req_len,
                     void *rsp, uint32_t rsp_cap, uint64_t cookie)
{
    struct scmi_msg m;
    int32_t status;

    AVPS_ASSERT(s != NULL);
    if (!agent_ok_(s, agent) || (req == NULL) || (rsp == NULL)) {
        return AVPS_E_INVAL;
    }
    if ((req_len < 4u) || (rsp_cap < 8u)) {
        s->errors++;
        return AVPS_E_GUEST_REQ;
    }
    (void)AVPS_MEMSET(&m, 0, sizeof m);
    m.s = s;
    m.a = &s->cfg.agents[agent - 1u];
    m.agent = agent;
    m.hdr = scmi_le32_(req) & 0x0fffffffu;
    m.p = &((const uint8_t *)req)[4];
    m.len = req_len - 4u;
    m.out = rsp;
    m.cap = rsp_cap;
    m.n = 8;
    m.cookie = cookie;
    status = dispatch_(&m);
    if (m.deferred) {
        return 0;
    }
    if ((status == AVPS_SCMI_SUCCESS) && m.overflow) {
        /* A fixed-size reply that cannot fit: the driver's bug. */
        status = AVPS_SCMI_COMMS_ERROR;
        s->errors++;
    }
    /* The response echoes message id, protocol and token, type 0. */
    scmi_st32_(m.out, m.hdr & 0x0ffffcffu);
    scmi_st32_(&m.out[4], (uint32_t)status);
    /* virtio §5.17.6.1.1: a failed command returns the status only */
    return (status == AVPS_SCMI_SUCCESS) ? (int)m.n : 8;
}

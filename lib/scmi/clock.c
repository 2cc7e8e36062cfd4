/*
 * SCMI Clock management protocol (0x14, version 3.0; DEN0056 §4.6): clock
 * attributes, rate descriptions (list or range, multi-part), rate set with
 * rounding (synchronous or asynchronous: CLOCK_RATE_SET_COMPLETE) and get,
 * enable/disable (CONFIG_SET/GET), parents, permissions, rate notifications,
 * extended names. OEM-specific configurations are not supported.
 */
#include "scmi_priv.h"

#define CLOCK_ATTRIBUTES 0x3u
#define CLOCK_DESCRIBE_RATES 0x4u
#define CLOCK_RATE_SET 0x5u
#define CLOCK_RATE_GET 0x6u
#define CLOCK_CONFIG_SET 0x7u
#define CLOCK_NAME_GET 0x8u
#define CLOCK_RATE_NOTIFY 0x9u
#define CLOCK_RATE_CHANGE_REQUESTED_NOTIFY 0xau
#define CLOCK_CONFIG_GET 0xbu
#define CLOCK_POSSIBLE_PARENTS_GET 0xcu
#define CLOCK_PARENT_SET 0xdu
#define CLOCK_PARENT_GET 0xeu
#define CLOCK_GET_PERMISSIONS 0xfu

#define EV_RATE_CHANGED 0u
#define EV_RATE_CHANGE_REQUESTED 1u
#define SET_ASYNC 1u
#define SET_IGNORE_DELAYED 2u

static const struct avps_scmi_clock *ck_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->clocks[id];
}

static int32_t ck_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_clocks) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, ck_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool ck_async_ok_(const struct scmi_msg *m, uint32_t id)
{
    return ((ck_(m, id)->flags & AVPS_SCMI_F_ASYNC) != 0u) && (scmi_max_async_(m) != 0u);
}

static int32_t clock_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, (uint32_t)m->s->cfg.platform->num_clocks | (scmi_max_async_(m) << 16));
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_clock_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);
    const struct avps_scmi_clock *c;
    uint32_t a = 0;
    bool on = false;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    c = ck_(m, id);
    if (((c->flags & AVPS_SCMI_F_NOTIFY) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(31);
    }
    if (((c->flags & AVPS_SCMI_F_NOTIFY2) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(30);
    }
    if (scmi_long_name_(c->name)) {
        a |= SCMI_BIT(29);
    }
    if (c->num_parents != 0u) {
        a |= SCMI_BIT(28);
    }
    if ((m->s->cfg.ops->clock_enabled != NULL) &&
        (m->s->cfg.ops->clock_enabled(m->s->cfg.ctx, id, &on) == AVPS_OK) && on) {
        a |= 1u;
    }
    scmi_put32_(m, a);
    avps_scmi_put_name_(m, c->name, 16u);
    scmi_put32_(m, c->enable_delay_us);
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_describe_rates_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = ck_check_(m, id);
    const struct avps_scmi_clock *c;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    c = ck_(m, id);
    if (first > c->num_rates) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / 8u) : 0u;
    if (k > (uint32_t)(c->num_rates - first)) {
        k = c->num_rates - first;
    }
    if (c->range) {
        if (first != 0u) {
            return AVPS_SCMI_INVALID_PARAMETERS; /* the triplet comes whole */
        }
        if (k < c->num_rates) {
            m->overflow = true;
            return AVPS_SCMI_SUCCESS;
        }
    }
    {
        const uint32_t left = (uint32_t)c->num_rates - first - k;
        uint32_t w = k | (left << 16);

        if (c->range) {
            w |= SCMI_BIT(12);
        }
        scmi_put32_(m, w);
    }
    for (uint32_t i = first; i < (first + k); i++) {
        scmi_put64_(m, c->rates[i]);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_rate_set_(struct scmi_msg *m)
{
    const uint32_t flags = scmi_arg_(m, 0);
    const uint32_t id = scmi_arg_(m, 1);
    const uint64_t want = (uint64_t)scmi_arg_(m, 2) | ((uint64_t)scmi_arg_(m, 3) << 32);
    const uint32_t round = (flags >> 2) & 3u;
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = ck_check_(m, id);
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    uint64_t rate = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (((flags & ~0xfu) != 0u) || (round == 3u)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!avps_scmi_round_u64_(ck_(m, id)->rates, ck_(m, id)->num_rates, ck_(m, id)->range, want,
                              round, &rate)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    if (ops->clock_rate_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((flags & SET_ASYNC) != 0u) {
        if (!ck_async_ok_(m, id)) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        if ((flags & SET_IGNORE_DELAYED) == 0u) {
            slot = avps_scmi_pending_new_(m, KIND_DELAYED, id);
            if (slot == NULL) {
                return AVPS_SCMI_BUSY;
            }
            handle = avps_scmi_handle_of_(m->s, slot);
        }
    }
    err = ops->clock_rate_set(m->s->cfg.ctx, id, rate, handle);
    if (slot != NULL) {
        const uint32_t w[3] = {id, (uint32_t)rate, (uint32_t)(rate >> 32)};

        st = avps_scmi_async_result_(m, slot, err, w, 3u);
    } else {
        st = avps_scmi_status_((err == AVPS_SCMI_OP_PENDING) ? AVPS_E_IO : err);
    }
    if (st == AVPS_SCMI_SUCCESS) {
        const uint32_t w[2] = {(uint32_t)rate, (uint32_t)(rate >> 32)};

        (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_CLOCK, EV_RATE_CHANGED, id, w, 2u,
                              m->agent);
    }
    return st;
}

static int32_t clock_rate_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);
    uint64_t rate = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->clock_rate_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->clock_rate_get(m->s->cfg.ctx, id, &rate);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put64_(m, rate);
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_config_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t attr = scmi_arg_(m, 1);
    const uint32_t state = attr & 3u;
    int32_t st = ck_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    /* [1:0] 0 disable, 1 enable, 3 unchanged; [23:16] OEM config type */
    if (((attr & ~0xff0003u) != 0u) || (state == 2u)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if ((attr & 0xff0000u) != 0u) {
        return AVPS_SCMI_NOT_SUPPORTED; /* no OEM configurations */
    }
    if (state == 3u) {
        return AVPS_SCMI_SUCCESS;
    }
    if (m->s->cfg.ops->clock_enable == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_status_(m->s->cfg.ops->clock_enable(m->s->cfg.ctx, id, state == 1u));
}

static int32_t clock_config_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    int32_t st = ck_check_(m, id);
    bool on = false;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((flags & ~0xffu) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (((flags & 0xffu) != 0u) || (m->s->cfg.ops->clock_enabled == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->clock_enabled(m->s->cfg.ctx, id, &on);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, 0);           /* attributes */
    scmi_put32_(m, on ? 1u : 0u); /* config: bit0 enabled */
    scmi_put32_(m, 0);           /* OEM value */
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, ck_(m, id)->name);
}

static int32_t clock_notify_(struct scmi_msg *m, uint32_t kind, uint8_t flag)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    return avps_scmi_notify_cmd_(m, kind, id, scmi_arg_(m, 1), (ck_(m, id)->flags & flag) != 0u);
}

static int32_t clock_rate_notify_(struct scmi_msg *m)
{
    return clock_notify_(m, EV_RATE_CHANGED, AVPS_SCMI_F_NOTIFY);
}

static int32_t clock_rate_change_requested_notify_(struct scmi_msg *m)
{
    return clock_notify_(m, EV_RATE_CHANGE_REQUESTED, AVPS_SCMI_F_NOTIFY2);
}

static int32_t clock_possible_parents_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t skip = scmi_arg_(m, 1);
    int32_t st = ck_check_(m, id);
    const struct avps_scmi_clock *c;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    c = ck_(m, id);
    if (c->num_parents == 0u) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (skip > c->num_parents) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / 4u) : 0u;
    if (k > (uint32_t)(c->num_parents - skip)) {
        k = c->num_parents - skip;
    }
    scmi_put32_(m, k | ((uint32_t)(c->num_parents - skip - k) << 24));
    for (uint32_t i = skip; i < (skip + k); i++) {
        scmi_put32_(m, c->parents[i]);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_parent_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t parent = scmi_arg_(m, 1);
    int32_t st = ck_check_(m, id);
    const struct avps_scmi_clock *c;
    bool found = false;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    c = ck_(m, id);
    if ((c->num_parents == 0u) || (m->s->cfg.ops->clock_parent_set == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    for (uint32_t i = 0; i < c->num_parents; i++) {
        found = found || (c->parents[i] == parent);
    }
    if (!found) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    return avps_scmi_status_(m->s->cfg.ops->clock_parent_set(m->s->cfg.ctx, id, parent));
}

static int32_t clock_parent_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);
    uint32_t parent = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((ck_(m, id)->num_parents == 0u) || (m->s->cfg.ops->clock_parent_get == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->clock_parent_get(m->s->cfg.ctx, id, &parent);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, parent);
    return AVPS_SCMI_SUCCESS;
}

static int32_t clock_permissions_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = ck_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    /* a granted clock is fully controllable: state, parent, rate */
    scmi_put32_(m, SCMI_BIT(31) | SCMI_BIT(30) | SCMI_BIT(29));
    return AVPS_SCMI_SUCCESS;
}

static const struct scmi_cmd clock_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, clock_attributes_},
    [CLOCK_ATTRIBUTES] = {CMD_KNOWN, 4, 4, clock_clock_attributes_},
    [CLOCK_DESCRIBE_RATES] = {CMD_KNOWN, 8, 8, clock_describe_rates_},
    [CLOCK_RATE_SET] = {CMD_KNOWN, 16, 16, clock_rate_set_},
    [CLOCK_RATE_GET] = {CMD_KNOWN, 4, 4, clock_rate_get_},
    [CLOCK_CONFIG_SET] = {CMD_KNOWN, 12, 12, clock_config_set_},
    [CLOCK_NAME_GET] = {CMD_KNOWN, 4, 4, clock_name_},
    [CLOCK_RATE_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, clock_rate_notify_},
    [CLOCK_RATE_CHANGE_REQUESTED_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, clock_rate_change_requested_notify_},
    [CLOCK_CONFIG_GET] = {CMD_KNOWN, 8, 8, clock_config_get_},
    [CLOCK_POSSIBLE_PARENTS_GET] = {CMD_KNOWN, 8, 8, clock_possible_parents_},
    [CLOCK_PARENT_SET] = {CMD_KNOWN, 8, 8, clock_parent_set_},
    [CLOCK_PARENT_GET] = {CMD_KNOWN, 4, 4, clock_parent_get_},
    [CLOCK_GET_PERMISSIONS] = {CMD_KNOWN, 4, 4, clock_permissions_},
};

const struct scmi_proto avps_scmi_clock_ = {AVPS_SCMI_PROTO_CLOCK, 0x30000u, clock_cmds};

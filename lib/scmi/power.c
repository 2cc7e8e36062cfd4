/*
 * SCMI Power domain management protocol (0x11, version 3.1; DEN0056 §4.3):
 * domain attributes, state set (synchronous or asynchronous) and get, state
 * change and change-requested notifications, extended names.
 */
#include "scmi_priv.h"

#define POWER_DOMAIN_ATTRIBUTES 0x3u
#define POWER_STATE_SET 0x4u
#define POWER_STATE_GET 0x5u
#define POWER_STATE_NOTIFY 0x6u
#define POWER_STATE_CHANGE_REQUESTED_NOTIFY 0x7u
#define POWER_DOMAIN_NAME_GET 0x8u

#define EV_STATE_CHANGED 0u
#define EV_CHANGE_REQUESTED 1u

static const struct avps_scmi_power_domain *pw_dom_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->power[id];
}

static int32_t pw_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_power) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, pw_dom_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool pw_async_ok_(const struct scmi_msg *m, uint32_t id)
{
    return ((pw_dom_(m, id)->flags & AVPS_SCMI_F_ASYNC) != 0u) && (scmi_max_async_(m) != 0u);
}

static int32_t power_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, m->s->cfg.platform->num_power);
    scmi_put32_(m, 0); /* no statistics shared memory */
    scmi_put32_(m, 0);
    scmi_put32_(m, 0);
    return AVPS_SCMI_SUCCESS;
}

static int32_t power_domain_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pw_check_(m, id);
    uint32_t a = SCMI_BIT(29); /* synchronous state set */

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (((pw_dom_(m, id)->flags & AVPS_SCMI_F_NOTIFY) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(31);
    }
    if (pw_async_ok_(m, id)) {
        a |= SCMI_BIT(30);
    }
    if (scmi_long_name_(pw_dom_(m, id)->name)) {
        a |= SCMI_BIT(27);
    }
    scmi_put32_(m, a);
    avps_scmi_put_name_(m, pw_dom_(m, id)->name, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t power_state_set_(struct scmi_msg *m)
{
    const uint32_t flags = scmi_arg_(m, 0);
    const uint32_t id = scmi_arg_(m, 1);
    const uint32_t state = scmi_arg_(m, 2);
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = pw_check_(m, id);
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (ops->power_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((flags & 1u) != 0u) {
        if (!pw_async_ok_(m, id)) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        slot = avps_scmi_pending_new_(m, KIND_DELAYED, id);
        if (slot == NULL) {
            return AVPS_SCMI_BUSY;
        }
        handle = avps_scmi_handle_of_(m->s, slot);
    }
    err = ops->power_set(m->s->cfg.ctx, id, state, handle);
    if (slot != NULL) {
        const uint32_t w[2] = {id, state};

        return avps_scmi_async_result_(m, slot, err, w, 2u);
    }
    if (err != AVPS_OK) {
        return avps_scmi_status_((err == AVPS_SCMI_OP_PENDING) ? AVPS_E_IO : err);
    }
    (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_POWER, EV_STATE_CHANGED, id, &state, 1u,
                          m->agent);
    return AVPS_SCMI_SUCCESS;
}

static int32_t power_state_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pw_check_(m, id);
    uint32_t state = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->power_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->power_get(m->s->cfg.ctx, id, &state);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, state);
    return AVPS_SCMI_SUCCESS;
}

static int32_t power_notify_(struct scmi_msg *m, uint32_t kind, uint8_t flag)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pw_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    return avps_scmi_notify_cmd_(m, kind, id, scmi_arg_(m, 1), (pw_dom_(m, id)->flags & flag) != 0u);
}

static int32_t power_state_notify_(struct scmi_msg *m)
{
    return power_notify_(m, EV_STATE_CHANGED, AVPS_SCMI_F_NOTIFY);
}

static int32_t power_change_requested_notify_(struct scmi_msg *m)
{
    return power_notify_(m, EV_CHANGE_REQUESTED, AVPS_SCMI_F_NOTIFY2);
}

static int32_t power_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pw_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, pw_dom_(m, id)->name);
}

static const struct scmi_cmd power_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, power_attributes_},
    [POWER_DOMAIN_ATTRIBUTES] = {CMD_KNOWN, 4, 4, power_domain_attributes_},
    [POWER_STATE_SET] = {CMD_KNOWN, 12, 12, power_state_set_},
    [POWER_STATE_GET] = {CMD_KNOWN, 4, 4, power_state_get_},
    [POWER_STATE_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, power_state_notify_},
    [POWER_STATE_CHANGE_REQUESTED_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, power_change_requested_notify_},
    [POWER_DOMAIN_NAME_GET] = {CMD_KNOWN, 4, 4, power_name_},
};

const struct scmi_proto avps_scmi_power_ = {AVPS_SCMI_PROTO_POWER, 0x30001u, power_cmds};

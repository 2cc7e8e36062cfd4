/*
 * SCMI Reset domain management protocol (0x16, version 3.1; DEN0056 §4.8):
 * autonomous or explicit resets, synchronous or asynchronous (RESET_COMPLETE),
 * RESET_ISSUED notifications, extended names.
 */
#include "scmi_priv.h"

#define RESET_DOMAIN_ATTRIBUTES 0x3u
#define RESET_RESET 0x4u
#define RESET_NOTIFY 0x5u
#define RESET_DOMAIN_NAME_GET 0x6u

#define EV_RESET_ISSUED 0u
#define FLAG_AUTONOMOUS 1u
#define FLAG_EXPLICIT 2u
#define FLAG_ASYNC 4u

static const struct avps_scmi_reset_domain *rd_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->resets[id];
}

static int32_t rs_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_resets) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, rd_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool rs_async_ok_(const struct scmi_msg *m, uint32_t id)
{
    return ((rd_(m, id)->flags & AVPS_SCMI_F_ASYNC) != 0u) && (scmi_max_async_(m) != 0u);
}

static int32_t reset_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, m->s->cfg.platform->num_resets);
    return AVPS_SCMI_SUCCESS;
}

static int32_t reset_domain_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = rs_check_(m, id);
    uint32_t a = 0;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (rs_async_ok_(m, id)) {
        a |= SCMI_BIT(31);
    }
    if (((rd_(m, id)->flags & AVPS_SCMI_F_NOTIFY) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(30);
    }
    if (scmi_long_name_(rd_(m, id)->name)) {
        a |= SCMI_BIT(29);
    }
    scmi_put32_(m, a);
    scmi_put32_(m, rd_(m, id)->latency_us);
    avps_scmi_put_name_(m, rd_(m, id)->name, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t reset_reset_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t state = scmi_arg_(m, 2);
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = rs_check_(m, id);
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    /* reserved flags; autonomous and explicit together; an architectural
     * reset type other than 0 (cold reset) */
    if (((flags & ~7u) != 0u) ||
        ((flags & (FLAG_AUTONOMOUS | FLAG_EXPLICIT)) == (FLAG_AUTONOMOUS | FLAG_EXPLICIT)) ||
        (((state & 0x80000000u) == 0u) && (state != 0u))) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (ops->reset == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((flags & FLAG_ASYNC) != 0u) {
        if (!rs_async_ok_(m, id)) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        slot = avps_scmi_pending_new_(m, KIND_DELAYED, id);
        if (slot == NULL) {
            return AVPS_SCMI_BUSY;
        }
        handle = avps_scmi_handle_of_(m->s, slot);
    }
    err = ops->reset(m->s->cfg.ctx, id, flags & ~FLAG_ASYNC, state, handle);
    if (slot != NULL) {
        st = avps_scmi_async_result_(m, slot, err, &id, 1u);
    } else {
        st = avps_scmi_status_((err == AVPS_SCMI_OP_PENDING) ? AVPS_E_IO : err);
    }
    if (st == AVPS_SCMI_SUCCESS) {
        (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_RESET, EV_RESET_ISSUED, id, &state,
                              1u, m->agent);
    }
    return st;
}

static int32_t reset_notify_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = rs_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    return avps_scmi_notify_cmd_(m, EV_RESET_ISSUED, id, scmi_arg_(m, 1),
                                 (rd_(m, id)->flags & AVPS_SCMI_F_NOTIFY) != 0u);
}

static int32_t reset_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = rs_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, rd_(m, id)->name);
}

static const struct scmi_cmd reset_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, reset_attributes_},
    [RESET_DOMAIN_ATTRIBUTES] = {CMD_KNOWN, 4, 4, reset_domain_attributes_},
    [RESET_RESET] = {CMD_KNOWN, 12, 12, reset_reset_},
    [RESET_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, reset_notify_},
    [RESET_DOMAIN_NAME_GET] = {CMD_KNOWN, 4, 4, reset_name_},
};

const struct scmi_proto avps_scmi_reset_ = {AVPS_SCMI_PROTO_RESET, 0x30001u, reset_cmds};

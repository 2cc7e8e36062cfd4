/*
 * SCMI System power management protocol (0x12, version 2.1; DEN0056 §4.4):
 * an agent asks for shutdown, reset or suspend; the platform tells agents
 * with SYSTEM_POWER_STATE_NOTIFIER (avps_scmi_notify()).
 */
#include "scmi_priv.h"

#define SYSTEM_STATE_SET 0x3u
#define SYSTEM_STATE_GET 0x4u
#define SYSTEM_STATE_NOTIFY 0x5u

/* states: 0 shutdown, 1 cold reset, 2 warm reset, 3 power up, 4 suspend */
#define STATE_WARM_RESET 2u
#define STATE_SUSPEND 4u

static int32_t system_attributes_(struct scmi_msg *m)
{
    const uint8_t f = m->s->cfg.platform->system_flags;
    uint32_t a = 0;

    if ((f & 1u) != 0u) {
        a |= SCMI_BIT(31); /* warm reset */
    }
    if ((f & 2u) != 0u) {
        a |= SCMI_BIT(30); /* suspend */
    }
    scmi_put32_(m, a);
    return AVPS_SCMI_SUCCESS;
}

static int32_t system_state_set_(struct scmi_msg *m)
{
    const uint32_t flags = scmi_arg_(m, 0);
    const uint32_t state = scmi_arg_(m, 1);
    const uint8_t f = m->s->cfg.platform->system_flags;

    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    /* architectural states 0..4; 0x80000000 and up are vendor states */
    if ((state > STATE_SUSPEND) && (state < 0x80000000u)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (((state == STATE_WARM_RESET) && ((f & 1u) == 0u)) ||
        ((state == STATE_SUSPEND) && ((f & 2u) == 0u))) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (m->s->cfg.ops->system_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_status_(m->s->cfg.ops->system_set(m->s->cfg.ctx, m->agent, flags, state));
}

static int32_t system_state_get_(struct scmi_msg *m)
{
    uint32_t state = 0;
    int err;

    if (m->s->cfg.ops->system_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->system_get(m->s->cfg.ctx, &state);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, state);
    return AVPS_SCMI_SUCCESS;
}

static int32_t system_notify_(struct scmi_msg *m)
{
    return avps_scmi_notify_cmd_(m, 0u, 0u, scmi_arg_(m, 0), true);
}

static const struct scmi_cmd system_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, system_attributes_},
    [SYSTEM_STATE_SET] = {CMD_KNOWN, 8, 8, system_state_set_},
    [SYSTEM_STATE_GET] = {CMD_KNOWN, 0, 0, system_state_get_},
    [SYSTEM_STATE_NOTIFY] = {CMD_KNOWN | CMD_P2A, 4, 4, system_notify_},
};

const struct scmi_proto avps_scmi_system_ = {AVPS_SCMI_PROTO_SYSTEM, 0x20001u, system_cmds};

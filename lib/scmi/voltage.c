/*
 * SCMI Voltage domain management protocol (0x17, version 2.1; DEN0056 §4.9):
 * domain attributes, level descriptions (list or segmented range, multi-part),
 * configuration (on/off), level set (synchronous or asynchronous) and get.
 */
#include "scmi_priv.h"

#define VOLT_DOMAIN_ATTRIBUTES 0x3u
#define VOLT_DESCRIBE_LEVELS 0x4u
#define VOLT_CONFIG_SET 0x5u
#define VOLT_CONFIG_GET 0x6u
#define VOLT_LEVEL_SET 0x7u
#define VOLT_LEVEL_GET 0x8u
#define VOLT_DOMAIN_NAME_GET 0x9u

static const struct avps_scmi_voltage_domain *vd_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->voltages[id];
}

static int32_t vo_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_voltages) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, vd_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool vo_async_ok_(const struct scmi_msg *m, uint32_t id)
{
    return ((vd_(m, id)->flags & AVPS_SCMI_F_ASYNC) != 0u) && (scmi_max_async_(m) != 0u);
}

/* A level the domain supports exactly. */
static bool vo_level_ok_(const struct avps_scmi_voltage_domain *d, int32_t uv)
{
    if (d->num_levels == 0u) {
        return false;
    }
    if (d->range) {
        const int64_t lo = d->levels[0];
        const int64_t hi = (d->num_levels >= 2u) ? d->levels[1] : lo;
        const int64_t step = (d->num_levels >= 3u) ? d->levels[2] : 0;

        if ((uv < lo) || (uv > hi)) {
            return false;
        }
        return (step <= 0) || ((((int64_t)uv - lo) % step) == 0);
    }
    for (uint32_t i = 0; i < d->num_levels; i++) {
        if (d->levels[i] == uv) {
            return true;
        }
    }
    return false;
}

static int32_t volt_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, m->s->cfg.platform->num_voltages);
    return AVPS_SCMI_SUCCESS;
}

static int32_t volt_domain_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = vo_check_(m, id);
    uint32_t a = 0;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (vo_async_ok_(m, id)) {
        a |= SCMI_BIT(31);
    }
    if (scmi_long_name_(vd_(m, id)->name)) {
        a |= SCMI_BIT(30);
    }
    scmi_put32_(m, a);
    avps_scmi_put_name_(m, vd_(m, id)->name, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t volt_describe_levels_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = vo_check_(m, id);
    const struct avps_scmi_voltage_domain *d;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = vd_(m, id);
    if (first > d->num_levels) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / 4u) : 0u;
    if (k > (uint32_t)(d->num_levels - first)) {
        k = d->num_levels - first;
    }
    if (d->range) {
        if (first != 0u) {
            return AVPS_SCMI_INVALID_PARAMETERS; /* the triplet comes whole */
        }
        if (k < d->num_levels) {
            m->overflow = true;
            return AVPS_SCMI_SUCCESS;
        }
    }
    {
        const uint32_t left = (uint32_t)d->num_levels - first - k;
        uint32_t w = k | (left << 16);

        if (d->range) {
            w |= SCMI_BIT(12);
        }
        scmi_put32_(m, w);
    }
    for (uint32_t i = first; i < (first + k); i++) {
        scmi_put32_(m, (uint32_t)d->levels[i]);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t volt_config_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t cfg = scmi_arg_(m, 1);
    int32_t st = vo_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    /* [3:0]: 0 off, 7 on (architectural), 8..15 implementation defined */
    if (((cfg & ~0xfu) != 0u) || ((cfg != 0u) && (cfg != 7u) && (cfg < 8u))) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (m->s->cfg.ops->voltage_config_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_status_(m->s->cfg.ops->voltage_config_set(m->s->cfg.ctx, id, cfg));
}

static int32_t volt_config_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = vo_check_(m, id);
    uint32_t cfg = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->voltage_config_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->voltage_config_get(m->s->cfg.ctx, id, &cfg);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, cfg);
    return AVPS_SCMI_SUCCESS;
}

static int32_t volt_level_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const int32_t uv = (int32_t)scmi_arg_(m, 2);
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = vo_check_(m, id);
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!vo_level_ok_(vd_(m, id), uv)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    if (ops->voltage_level_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((flags & 1u) != 0u) {
        if (!vo_async_ok_(m, id)) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        slot = avps_scmi_pending_new_(m, KIND_DELAYED, id);
        if (slot == NULL) {
            return AVPS_SCMI_BUSY;
        }
        handle = avps_scmi_handle_of_(m->s, slot);
    }
    err = ops->voltage_level_set(m->s->cfg.ctx, id, uv, handle);
    if (slot != NULL) {
        const uint32_t w[2] = {id, (uint32_t)uv};

        return avps_scmi_async_result_(m, slot, err, w, 2u);
    }
    return avps_scmi_status_((err == AVPS_SCMI_OP_PENDING) ? AVPS_E_IO : err);
}

static int32_t volt_level_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = vo_check_(m, id);
    int32_t uv = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->voltage_level_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->voltage_level_get(m->s->cfg.ctx, id, &uv);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, (uint32_t)uv);
    return AVPS_SCMI_SUCCESS;
}

static int32_t volt_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = vo_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, vd_(m, id)->name);
}

static const struct scmi_cmd volt_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, volt_attributes_},
    [VOLT_DOMAIN_ATTRIBUTES] = {CMD_KNOWN, 4, 4, volt_domain_attributes_},
    [VOLT_DESCRIBE_LEVELS] = {CMD_KNOWN, 8, 8, volt_describe_levels_},
    [VOLT_CONFIG_SET] = {CMD_KNOWN, 8, 8, volt_config_set_},
    [VOLT_CONFIG_GET] = {CMD_KNOWN, 4, 4, volt_config_get_},
    [VOLT_LEVEL_SET] = {CMD_KNOWN, 12, 12, volt_level_set_},
    [VOLT_LEVEL_GET] = {CMD_KNOWN, 4, 4, volt_level_get_},
    [VOLT_DOMAIN_NAME_GET] = {CMD_KNOWN, 4, 4, volt_name_},
};

const struct scmi_proto avps_scmi_voltage_ = {AVPS_SCMI_PROTO_VOLTAGE, 0x20001u, volt_cmds};

/*
 * SCMI Performance domain management protocol (0x13, version 4.0; DEN0056
 * §4.5): domain attributes, level descriptions (20-byte v4 entries,
 * multi-part), limits and level set/get, limit and level notifications,
 * extended names. FastChannels are not offered (virtio §5.17).
 */
#include "scmi_priv.h"

#define PERF_DOMAIN_ATTRIBUTES 0x3u
#define PERF_DESCRIBE_LEVELS 0x4u
#define PERF_LIMITS_SET 0x5u
#define PERF_LIMITS_GET 0x6u
#define PERF_LEVEL_SET 0x7u
#define PERF_LEVEL_GET 0x8u
#define PERF_NOTIFY_LIMITS 0x9u
#define PERF_NOTIFY_LEVEL 0xau
#define PERF_DESCRIBE_FASTCHANNEL 0xbu
#define PERF_DOMAIN_NAME_GET 0xcu

#define EV_LIMITS_CHANGED 0u
#define EV_LEVEL_CHANGED 1u
#define LEVEL_SIZE 20u

static const struct avps_scmi_perf_domain *pf_dom_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->perf[id];
}

static int32_t pf_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_perf) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, pf_dom_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool pf_is_level_(const struct avps_scmi_perf_domain *d, uint32_t v)
{
    for (uint32_t i = 0; i < d->num_levels; i++) {
        if (d->levels[i].perf == v) {
            return true;
        }
    }
    return false;
}

static int32_t perf_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, (uint32_t)m->s->cfg.platform->num_perf | SCMI_BIT(16)); /* power in mW */
    scmi_put32_(m, 0); /* no statistics shared memory */
    scmi_put32_(m, 0);
    scmi_put32_(m, 0);
    return AVPS_SCMI_SUCCESS;
}

static int32_t perf_domain_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pf_check_(m, id);
    const struct avps_scmi_perf_domain *d;
    uint32_t a = 0;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pf_dom_(m, id);
    if ((d->flags & AVPS_SCMI_F_CONFIG) != 0u) {
        a |= SCMI_BIT(31);
    }
    if ((d->flags & AVPS_SCMI_F_CONFIG2) != 0u) {
        a |= SCMI_BIT(30);
    }
    if (((d->flags & AVPS_SCMI_F_NOTIFY) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(29);
    }
    if (((d->flags & AVPS_SCMI_F_NOTIFY2) != 0u) && scmi_p2a_(m)) {
        a |= SCMI_BIT(28);
    }
    if (scmi_long_name_(d->name)) {
        a |= SCMI_BIT(26);
    }
    scmi_put32_(m, a);
    scmi_put32_(m, d->rate_limit_us & 0xfffffu);
    scmi_put32_(m, d->sustained_khz);
    scmi_put32_(m, d->sustained_level);
    avps_scmi_put_name_(m, d->name, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t perf_describe_levels_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = pf_check_(m, id);
    const struct avps_scmi_perf_domain *d;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pf_dom_(m, id);
    if (first > d->num_levels) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / LEVEL_SIZE) : 0u;
    if (k > (uint32_t)(d->num_levels - first)) {
        k = d->num_levels - first;
    }
    scmi_put32_(m, k | ((uint32_t)(d->num_levels - first - k) << 16));
    for (uint32_t i = first; i < (first + k); i++) {
        const struct avps_scmi_perf_level *l = &d->levels[i];

        scmi_put32_(m, l->perf);
        scmi_put32_(m, l->power);
        scmi_put32_(m, l->latency_us);
        scmi_put32_(m, l->freq_khz);
        scmi_put32_(m, i); /* level index */
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t perf_limits_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t max = scmi_arg_(m, 1);
    const uint32_t min = scmi_arg_(m, 2);
    int32_t st = pf_check_(m, id);
    const struct avps_scmi_perf_domain *d;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pf_dom_(m, id);
    if ((d->flags & AVPS_SCMI_F_CONFIG) == 0u) {
        return AVPS_SCMI_DENIED;
    }
    if (min > max) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if ((d->num_levels == 0u) || (min < d->levels[0].perf) ||
        (max > d->levels[d->num_levels - 1u].perf)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    if (m->s->cfg.ops->perf_limits_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    st = avps_scmi_status_(m->s->cfg.ops->perf_limits_set(m->s->cfg.ctx, id, max, min));
    if (st == AVPS_SCMI_SUCCESS) {
        const uint32_t w[2] = {max, min};

        (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_PERF, EV_LIMITS_CHANGED, id, w, 2u,
                              m->agent);
    }
    return st;
}

static int32_t perf_limits_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pf_check_(m, id);
    uint32_t max = 0;
    uint32_t min = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->perf_limits_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->perf_limits_get(m->s->cfg.ctx, id, &max, &min);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, max);
    scmi_put32_(m, min);
    return AVPS_SCMI_SUCCESS;
}

static int32_t perf_level_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t level = scmi_arg_(m, 1);
    int32_t st = pf_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((pf_dom_(m, id)->flags & AVPS_SCMI_F_CONFIG2) == 0u) {
        return AVPS_SCMI_DENIED;
    }
    if (!pf_is_level_(pf_dom_(m, id), level)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    if (m->s->cfg.ops->perf_level_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    st = avps_scmi_status_(m->s->cfg.ops->perf_level_set(m->s->cfg.ctx, id, level));
    if (st == AVPS_SCMI_SUCCESS) {
        (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_PERF, EV_LEVEL_CHANGED, id, &level,
                              1u, m->agent);
    }
    return st;
}

static int32_t perf_level_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pf_check_(m, id);
    uint32_t level = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->perf_level_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->perf_level_get(m->s->cfg.ctx, id, &level);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, level);
    return AVPS_SCMI_SUCCESS;
}

static int32_t perf_notify_(struct scmi_msg *m, uint32_t kind, uint8_t flag)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pf_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    return avps_scmi_notify_cmd_(m, kind, id, scmi_arg_(m, 1), (pf_dom_(m, id)->flags & flag) != 0u);
}

static int32_t perf_notify_limits_(struct scmi_msg *m)
{
    return perf_notify_(m, EV_LIMITS_CHANGED, AVPS_SCMI_F_NOTIFY);
}

static int32_t perf_notify_level_(struct scmi_msg *m)
{
    return perf_notify_(m, EV_LEVEL_CHANGED, AVPS_SCMI_F_NOTIFY2);
}

static int32_t perf_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pf_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, pf_dom_(m, id)->name);
}

static const struct scmi_cmd perf_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, perf_attributes_},
    [PERF_DOMAIN_ATTRIBUTES] = {CMD_KNOWN, 4, 4, perf_domain_attributes_},
    [PERF_DESCRIBE_LEVELS] = {CMD_KNOWN, 8, 8, perf_describe_levels_},
    [PERF_LIMITS_SET] = {CMD_KNOWN, 12, 12, perf_limits_set_},
    [PERF_LIMITS_GET] = {CMD_KNOWN, 4, 4, perf_limits_get_},
    [PERF_LEVEL_SET] = {CMD_KNOWN, 8, 8, perf_level_set_},
    [PERF_LEVEL_GET] = {CMD_KNOWN, 4, 4, perf_level_get_},
    [PERF_NOTIFY_LIMITS] = {CMD_KNOWN | CMD_P2A, 8, 8, perf_notify_limits_},
    [PERF_NOTIFY_LEVEL] = {CMD_KNOWN | CMD_P2A, 8, 8, perf_notify_level_},
    [PERF_DESCRIBE_FASTCHANNEL] = {CMD_KNOWN, 8, 8, NULL}, /* no FastChannels */
    [PERF_DOMAIN_NAME_GET] = {CMD_KNOWN, 4, 4, perf_name_},
};

const struct scmi_proto avps_scmi_perf_ = {AVPS_SCMI_PROTO_PERF, 0x40000u, perf_cmds};

/*
 * SCMI Power capping and monitoring protocol (0x18, version 2.0; DEN0056
 * §4.10): domain attributes, cap and averaging interval set/get, measurements,
 * cap and measurement notifications, extended names. FastChannels are not
 * offered (virtio §5.17).
 */
#include "scmi_priv.h"

#define PCAP_DOMAIN_ATTRIBUTES 0x3u
#define PCAP_CAP_GET 0x4u
#define PCAP_CAP_SET 0x5u
#define PCAP_PAI_GET 0x6u
#define PCAP_PAI_SET 0x7u
#define PCAP_DOMAIN_NAME_GET 0x8u
#define PCAP_MEASUREMENTS_GET 0x9u
#define PCAP_CAP_NOTIFY 0xau
#define PCAP_MEASUREMENTS_NOTIFY 0xbu
#define PCAP_DESCRIBE_FASTCHANNEL 0xcu

#define EV_CAP_CHANGED 0u
#define EV_MEASUREMENTS_CHANGED 1u
#define SET_ASYNC 1u
#define SET_IGNORE_DELAYED 2u

static const struct avps_scmi_powercap_domain *pc_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->powercaps[id];
}

static int32_t pc_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_powercaps) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, pc_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static bool pc_has_(const struct scmi_msg *m, uint32_t id, uint8_t flag)
{
    return (pc_(m, id)->flags & flag) != 0u;
}

static bool pc_async_ok_(const struct scmi_msg *m, uint32_t id)
{
    return pc_has_(m, id, AVPS_SCMI_F_ASYNC) && (scmi_max_async_(m) != 0u);
}

/* v in [lo, hi] and on the step grid from lo. */
static bool pc_in_steps_(uint32_t v, uint32_t lo, uint32_t hi, uint32_t step)
{
    if ((v < lo) || (v > hi)) {
        return false;
    }
    return (step == 0u) || (((v - lo) % step) == 0u);
}

static int32_t pcap_attributes_(struct scmi_msg *m)
{
    scmi_put32_(m, m->s->cfg.platform->num_powercaps);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pcap_domain_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pc_check_(m, id);
    const struct avps_scmi_powercap_domain *d;
    uint32_t a;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pc_(m, id);
    a = ((uint32_t)d->unit & 3u) << 23;
    if (pc_has_(m, id, AVPS_SCMI_F_NOTIFY) && scmi_p2a_(m)) {
        a |= SCMI_BIT(31);
    }
    if (pc_has_(m, id, AVPS_SCMI_F_NOTIFY2) && scmi_p2a_(m)) {
        a |= SCMI_BIT(30);
    }
    if (pc_async_ok_(m, id)) {
        a |= SCMI_BIT(29);
    }
    if (scmi_long_name_(d->name)) {
        a |= SCMI_BIT(28);
    }
    if (pc_has_(m, id, AVPS_SCMI_F_CONFIG)) {
        a |= SCMI_BIT(27);
    }
    if (pc_has_(m, id, AVPS_SCMI_F_MONITOR)) {
        a |= SCMI_BIT(26);
    }
    if (pc_has_(m, id, AVPS_SCMI_F_CONFIG2)) {
        a |= SCMI_BIT(25);
    }
    scmi_put32_(m, a);
    avps_scmi_put_name_(m, d->name, 16u);
    scmi_put32_(m, d->min_pai);
    scmi_put32_(m, d->max_pai);
    scmi_put32_(m, d->pai_step);
    scmi_put32_(m, d->min_cap);
    scmi_put32_(m, d->max_cap);
    scmi_put32_(m, d->cap_step);
    scmi_put32_(m, d->sustainable);
    scmi_put32_(m, d->accuracy);
    scmi_put32_(m, d->parent);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pcap_get_(struct scmi_msg *m, bool pai)
{
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pc_check_(m, id);
    uint32_t v = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (pai) {
        if (ops->powercap_pai_get == NULL) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        err = ops->powercap_pai_get(m->s->cfg.ctx, id, &v);
    } else {
        if (ops->powercap_cap_get == NULL) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        err = ops->powercap_cap_get(m->s->cfg.ctx, id, &v);
    }
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, v);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pcap_cap_get_(struct scmi_msg *m)
{
    return pcap_get_(m, false);
}

static int32_t pcap_pai_get_(struct scmi_msg *m)
{
    return pcap_get_(m, true);
}

static void cap_changed_(struct scmi_msg *m, uint32_t id, uint32_t cap)
{
    uint32_t w[2] = {cap, 0};

    if ((m->s->cfg.ops->powercap_pai_get != NULL) &&
        (m->s->cfg.ops->powercap_pai_get(m->s->cfg.ctx, id, &w[1]) != AVPS_OK)) {
        w[1] = 0;
    }
    (void)avps_scmi_emit_(m->s, m->agent, AVPS_SCMI_PROTO_POWERCAP, EV_CAP_CHANGED, id, w, 2u,
                          m->agent);
}

static int32_t pcap_cap_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t cap = scmi_arg_(m, 2);
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = pc_check_(m, id);
    const struct avps_scmi_powercap_domain *d;
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pc_(m, id);
    if ((flags & ~3u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!pc_has_(m, id, AVPS_SCMI_F_CONFIG) || (ops->powercap_cap_set == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (!pc_in_steps_(cap, d->min_cap, d->max_cap, d->cap_step)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    if ((flags & SET_ASYNC) != 0u) {
        if (!pc_async_ok_(m, id)) {
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
    err = ops->powercap_cap_set(m->s->cfg.ctx, id, cap, handle);
    if (slot != NULL) {
        const uint32_t w[2] = {id, cap};

        st = avps_scmi_async_result_(m, slot, err, w, 2u);
    } else {
        st = avps_scmi_status_((err == AVPS_SCMI_OP_PENDING) ? AVPS_E_IO : err);
    }
    if (st == AVPS_SCMI_SUCCESS) {
        cap_changed_(m, id, cap);
    }
    return st;
}

static int32_t pcap_pai_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t pai = scmi_arg_(m, 2);
    int32_t st = pc_check_(m, id);
    const struct avps_scmi_powercap_domain *d;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    d = pc_(m, id);
    if (flags != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!pc_has_(m, id, AVPS_SCMI_F_CONFIG2) || (m->s->cfg.ops->powercap_pai_set == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (!pc_in_steps_(pai, d->min_pai, d->max_pai, d->pai_step)) {
        return AVPS_SCMI_OUT_OF_RANGE;
    }
    return avps_scmi_status_(m->s->cfg.ops->powercap_pai_set(m->s->cfg.ctx, id, pai));
}

static int32_t pcap_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pc_check_(m, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, pc_(m, id)->name);
}

static int32_t pcap_measurements_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pc_check_(m, id);
    uint32_t power = 0;
    uint32_t pai = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (!pc_has_(m, id, AVPS_SCMI_F_MONITOR) || (m->s->cfg.ops->powercap_measure == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->powercap_measure(m->s->cfg.ctx, id, &power, &pai);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, power);
    scmi_put32_(m, pai);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pcap_cap_notify_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = pc_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    return avps_scmi_notify_cmd_(m, EV_CAP_CHANGED, id, scmi_arg_(m, 1),
                                 pc_has_(m, id, AVPS_SCMI_F_NOTIFY));
}

static int32_t pcap_measurements_notify_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t lo = scmi_arg_(m, 2);
    const uint32_t hi = scmi_arg_(m, 3);
    int32_t st = pc_check_(m, id);
    struct avps_scmi_sub *u;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (((scmi_arg_(m, 1) & 1u) != 0u) && (lo > hi)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    st = avps_scmi_notify_cmd_(m, EV_MEASUREMENTS_CHANGED, id, scmi_arg_(m, 1),
                               pc_has_(m, id, AVPS_SCMI_F_NOTIFY2));
    u = avps_scmi_sub_find_(m->s, m->agent, AVPS_SCMI_PROTO_POWERCAP, EV_MEASUREMENTS_CHANGED, id);
    if ((st == AVPS_SCMI_SUCCESS) && (u != NULL)) {
        u->arg = lo; /* thresholds, kept for the platform's reference */
        u->value = (int64_t)hi;
    }
    return st;
}

static const struct scmi_cmd pcap_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, pcap_attributes_},
    [PCAP_DOMAIN_ATTRIBUTES] = {CMD_KNOWN, 4, 4, pcap_domain_attributes_},
    [PCAP_CAP_GET] = {CMD_KNOWN, 4, 4, pcap_cap_get_},
    [PCAP_CAP_SET] = {CMD_KNOWN, 12, 12, pcap_cap_set_},
    [PCAP_PAI_GET] = {CMD_KNOWN, 4, 4, pcap_pai_get_},
    [PCAP_PAI_SET] = {CMD_KNOWN, 12, 12, pcap_pai_set_},
    [PCAP_DOMAIN_NAME_GET] = {CMD_KNOWN, 4, 4, pcap_name_},
    [PCAP_MEASUREMENTS_GET] = {CMD_KNOWN, 4, 4, pcap_measurements_},
    [PCAP_CAP_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, pcap_cap_notify_},
    [PCAP_MEASUREMENTS_NOTIFY] = {CMD_KNOWN | CMD_P2A, 16, 16, pcap_measurements_notify_},
    [PCAP_DESCRIBE_FASTCHANNEL] = {CMD_KNOWN, 8, 8, NULL}, /* no FastChannels */
};

const struct scmi_proto avps_scmi_powercap_ = {AVPS_SCMI_PROTO_POWERCAP, 0x20000u, pcap_cmds};

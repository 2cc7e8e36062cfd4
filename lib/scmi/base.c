/*
 * SCMI Base protocol (0x10, version 2.1; DEN0056 §4.2): discovery of the
 * vendor, implementation and protocols, agent discovery, error notifications,
 * and the permission commands a trusted agent uses on the others.
 */
#include "scmi_priv.h"

#define BASE_DISCOVER_VENDOR 0x3u
#define BASE_DISCOVER_SUB_VENDOR 0x4u
#define BASE_DISCOVER_IMPL_VERSION 0x5u
#define BASE_DISCOVER_LIST_PROTOCOLS 0x6u
#define BASE_DISCOVER_AGENT 0x7u
#define BASE_NOTIFY_ERRORS 0x8u
#define BASE_SET_DEVICE_PERMISSIONS 0x9u
#define BASE_SET_PROTOCOL_PERMISSIONS 0xau
#define BASE_RESET_AGENT_CONFIGURATION 0xbu

#define AGENT_SELF 0xffffffffu

/* The protocols other than Base the caller may use, in id order. */
static uint32_t visible_(const struct scmi_msg *m, uint8_t *ids, uint32_t max)
{
    uint32_t n = 0;

    for (uint32_t id = AVPS_SCMI_PROTO_POWER; id <= AVPS_SCMI_PROTO_PINCTRL; id++) {
        if ((m->a->protocols & AVPS_SCMI_PROTO_BIT(id)) != 0u) {
            if (n < max) {
                ids[n] = (uint8_t)id;
            }
            n++;
        }
    }
    return n;
}

static int32_t base_attributes_(struct scmi_msg *m)
{
    uint8_t ids[16];
    const uint32_t n = visible_(m, ids, sizeof ids);

    scmi_put32_(m, n | (m->s->cfg.num_agents << 8));
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_vendor_(struct scmi_msg *m)
{
    avps_scmi_put_name_(m, m->s->cfg.platform->vendor, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_sub_vendor_(struct scmi_msg *m)
{
    avps_scmi_put_name_(m, m->s->cfg.platform->sub_vendor, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_impl_version_(struct scmi_msg *m)
{
    scmi_put32_(m, m->s->cfg.platform->impl_version);
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_list_protocols_(struct scmi_msg *m)
{
    uint8_t ids[16];
    const uint32_t n = visible_(m, ids, sizeof ids);
    const uint32_t skip = scmi_arg_(m, 0);
    uint32_t fit;
    uint32_t k;

    if (skip > n) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    /* ids packed four per word after the count word */
    fit = (scmi_room_(m) >= 4u) ? (((scmi_room_(m) - 4u) / 4u) * 4u) : 0u;
    k = n - skip;
    if (k > fit) {
        k = fit;
    }
    scmi_put32_(m, k);
    for (uint32_t i = 0; i < k; i += 4u) {
        uint32_t w = 0;

        for (uint32_t j = 0; (j < 4u) && ((i + j) < k); j++) {
            w |= (uint32_t)ids[skip + i + j] << (8u * j);
        }
        scmi_put32_(m, w);
    }
    return AVPS_SCMI_SUCCESS;
}

static const struct avps_scmi_agent_cfg *agent_cfg_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.agent_cfg[id - 1u];
}

static int32_t base_discover_agent_(struct scmi_msg *m)
{
    uint32_t id = scmi_arg_(m, 0);

    if (id == AGENT_SELF) {
        id = m->agent;
    }
    if (id == 0u) {
        scmi_put32_(m, 0);
        avps_scmi_put_name_(m, "platform", 16u);
        return AVPS_SCMI_SUCCESS;
    }
    if (id > m->s->cfg.num_agents) {
        return AVPS_SCMI_NOT_FOUND;
    }
    /* Other VMs' names are for the trusted agent only. */
    if ((id != m->agent) && !agent_cfg_(m, m->agent)->trusted) {
        return AVPS_SCMI_DENIED;
    }
    scmi_put32_(m, id);
    avps_scmi_put_name_(m, agent_cfg_(m, id)->name, 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_notify_errors_(struct scmi_msg *m)
{
    const uint32_t v = scmi_arg_(m, 0);

    if ((v & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    m->a->notify_errors = (uint8_t)v;
    return AVPS_SCMI_SUCCESS;
}

/* Common checks of the permission commands: caller trusted, target agent. */
static int32_t perm_target_(const struct scmi_msg *m, uint32_t id)
{
    if (!agent_cfg_(m, m->agent)->trusted) {
        return AVPS_SCMI_DENIED;
    }
    if ((id == 0u) || (id > m->s->cfg.num_agents)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_set_device_permissions_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t dev = scmi_arg_(m, 1);
    const uint32_t flags = scmi_arg_(m, 2);
    int32_t st = perm_target_(m, id);
    struct avps_scmi_agent *a;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (dev >= m->s->cfg.platform->num_devices) {
        return AVPS_SCMI_NOT_FOUND;
    }
    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    a = &m->s->cfg.agents[id - 1u];
    if ((flags & 1u) != 0u) {
        a->devices[dev / 32u] |= SCMI_BIT(dev % 32u);
    } else {
        a->devices[dev / 32u] &= ~SCMI_BIT(dev % 32u);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_set_protocol_permissions_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t dev = scmi_arg_(m, 1);
    const uint32_t cmd = scmi_arg_(m, 2);
    const uint32_t flags = scmi_arg_(m, 3);
    int32_t st = perm_target_(m, id);
    struct avps_scmi_agent *a;
    uint32_t proto;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (dev >= m->s->cfg.platform->num_devices) {
        return AVPS_SCMI_NOT_FOUND;
    }
    if (((flags & ~1u) != 0u) || ((cmd & ~0xffu) != 0u)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    proto = cmd & 0xffu;
    if (proto == AVPS_SCMI_PROTO_BASE) {
        return AVPS_SCMI_INVALID_PARAMETERS; /* Base cannot be taken away */
    }
    if ((avps_scmi_proto_(proto) == NULL) ||
        ((m->s->cfg.platform->protocols & AVPS_SCMI_PROTO_BIT(proto)) == 0u)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    /* Protocol access is kept per agent (for all its devices). */
    a = &m->s->cfg.agents[id - 1u];
    if ((flags & 1u) != 0u) {
        a->protocols |= AVPS_SCMI_PROTO_BIT(proto);
    } else {
        a->protocols &= ~AVPS_SCMI_PROTO_BIT(proto);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t base_reset_agent_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);

    if (id != m->agent) { /* an agent may always reset itself */
        int32_t st = perm_target_(m, id);

        if (st != AVPS_SCMI_SUCCESS) {
            return st;
        }
    }
    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    (void)avps_scmi_agent_reset(m->s, id, (flags & 1u) != 0u);
    return AVPS_SCMI_SUCCESS;
}

static const struct scmi_cmd base_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, base_attributes_},
    [BASE_DISCOVER_VENDOR] = {CMD_KNOWN, 0, 0, base_vendor_},
    [BASE_DISCOVER_SUB_VENDOR] = {CMD_KNOWN, 0, 0, base_sub_vendor_},
    [BASE_DISCOVER_IMPL_VERSION] = {CMD_KNOWN, 0, 0, base_impl_version_},
    [BASE_DISCOVER_LIST_PROTOCOLS] = {CMD_KNOWN, 4, 4, base_list_protocols_},
    [BASE_DISCOVER_AGENT] = {CMD_KNOWN, 4, 4, base_discover_agent_},
    [BASE_NOTIFY_ERRORS] = {CMD_KNOWN | CMD_P2A, 4, 4, base_notify_errors_},
    [BASE_SET_DEVICE_PERMISSIONS] = {CMD_KNOWN, 12, 12, base_set_device_permissions_},
    [BASE_SET_PROTOCOL_PERMISSIONS] = {CMD_KNOWN, 16, 16, base_set_protocol_permissions_},
    [BASE_RESET_AGENT_CONFIGURATION] = {CMD_KNOWN, 8, 8, base_reset_agent_},
};

const struct scmi_proto avps_scmi_base_ = {AVPS_SCMI_PROTO_BASE, 0x20001u, base_cmds};

/*
 * SCMI Pin control protocol (0x19, version 1.0; DEN0056 §4.11): pins, groups
 * and functions with their attributes and associations, settings get and
 * configure, function selection, exclusive request/release per agent,
 * extended names, and per-agent permissions set by the trusted agent.
 */
#include "scmi_priv.h"

#define PIN_ATTRIBUTES 0x3u
#define PIN_LIST_ASSOCIATIONS 0x4u
#define PIN_SETTINGS_GET 0x5u
#define PIN_SETTINGS_CONFIGURE 0x6u
#define PIN_REQUEST 0x7u
#define PIN_RELEASE 0x8u
#define PIN_NAME_GET 0x9u
#define PIN_SET_PERMISSIONS 0xau

#define T_PIN 0u
#define T_GROUP 1u
#define T_FUNCTION 2u
#define NO_FUNCTION 0xffffffffu
#define CONFIG_TYPES 22u /* architectural configuration types 0..21 */
#define MAX_CONFIGS 29u  /* what a 255-byte parameter block holds */

static uint32_t pn_count_(const struct scmi_msg *m, uint32_t type)
{
    const struct avps_scmi_platform *pf = m->s->cfg.platform;

    if (type == T_PIN) {
        return pf->num_pins;
    }
    return (type == T_GROUP) ? pf->num_groups : pf->num_functions;
}

static const char *pn_name_(const struct scmi_msg *m, uint32_t type, uint32_t id)
{
    const struct avps_scmi_platform *pf = m->s->cfg.platform;

    if (type == T_PIN) {
        return pf->pins[id].name;
    }
    return (type == T_GROUP) ? pf->groups[id].name : pf->functions[id].name;
}

/* Type (0..2) and id checks: INVALID_PARAMETERS, NOT_FOUND, DENIED. */
static int32_t pn_check_(const struct scmi_msg *m, uint32_t type, uint32_t id)
{
    uint16_t dev;

    if (type > T_FUNCTION) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (id >= pn_count_(m, type)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    if (type == T_FUNCTION) {
        return AVPS_SCMI_SUCCESS; /* functions are descriptions, not devices */
    }
    dev = (type == T_PIN) ? m->s->cfg.platform->pins[id].device
                          : m->s->cfg.platform->groups[id].device;
    return avps_scmi_dev_ok_(m, dev) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static int32_t pin_attributes_(struct scmi_msg *m)
{
    const struct avps_scmi_platform *pf = m->s->cfg.platform;

    scmi_put32_(m, (uint32_t)pf->num_pins | ((uint32_t)pf->num_groups << 16));
    scmi_put32_(m, pf->num_functions);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pin_pin_attributes_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t type = flags & 3u;
    int32_t st = ((flags & ~3u) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    uint32_t a = 0;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (type == T_GROUP) {
        a = m->s->cfg.platform->groups[id].num_pins;
    } else if (type == T_FUNCTION) {
        a = m->s->cfg.platform->functions[id].num_groups;
    } else {
        /* a pin has no elements */
    }
    if (scmi_long_name_(pn_name_(m, type, id))) {
        a |= SCMI_BIT(31);
    }
    scmi_put32_(m, a);
    avps_scmi_put_name_(m, pn_name_(m, type, id), 16u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pin_list_associations_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t first = scmi_arg_(m, 2);
    const uint32_t type = flags & 3u;
    int32_t st = ((flags & ~3u) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    const uint16_t *list;
    uint32_t n;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (type == T_PIN) {
        return AVPS_SCMI_INVALID_PARAMETERS; /* pins have no associations */
    }
    if (type == T_GROUP) {
        list = m->s->cfg.platform->groups[id].pins;
        n = m->s->cfg.platform->groups[id].num_pins;
    } else {
        list = m->s->cfg.platform->functions[id].groups;
        n = m->s->cfg.platform->functions[id].num_groups;
    }
    if (first > n) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    /* 16-bit ids, padded to a word */
    k = (scmi_room_(m) >= 4u) ? (((scmi_room_(m) - 4u) / 4u) * 2u) : 0u;
    if (k > (n - first)) {
        k = n - first;
    }
    scmi_put32_(m, k | ((n - first - k) << 16));
    for (uint32_t i = 0; i < k; i += 2u) {
        uint32_t w = list[first + i];

        if ((i + 1u) < k) {
            w |= (uint32_t)list[first + i + 1u] << 16;
        }
        scmi_put32_(m, w);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t pin_settings_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t attr = scmi_arg_(m, 1);
    const uint32_t mode = (attr >> 18) & 3u; /* 0 one, 1 all, 2 function only */
    const uint32_t type = (attr >> 16) & 3u;
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    int32_t st = ((attr & ~0xfffffu) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    uint32_t fn = NO_FUNCTION;
    uint32_t n = 0;
    uint32_t count_at;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((type == T_FUNCTION) || (mode == 3u)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if ((ops->pin_config_get == NULL) || (ops->pin_function_get == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (ops->pin_function_get(m->s->cfg.ctx, type, id, &fn) != AVPS_OK) {
        fn = NO_FUNCTION;
    }
    scmi_put32_(m, fn);
    count_at = m->n;
    scmi_put32_(m, 0);
    if (mode == 0u) {
        uint32_t v = 0;
        int err = ops->pin_config_get(m->s->cfg.ctx, type, id, attr & 0xffu, &v);

        if (err != AVPS_OK) {
            return avps_scmi_status_(err);
        }
        scmi_put32_(m, attr & 0xffu);
        scmi_put32_(m, v);
        n = 1;
    } else if (mode == 1u) {
        const uint32_t skip = (attr >> 8) & 0xffu;
        uint32_t seen = 0;
        uint32_t more = 0;

        /* the configuration types the platform answers, after skip */
        for (uint32_t t = 0; t < CONFIG_TYPES; t++) {
            uint32_t v = 0;

            if (ops->pin_config_get(m->s->cfg.ctx, type, id, t, &v) != AVPS_OK) {
                continue;
            }
            if (seen++ < skip) {
                continue;
            }
            if (scmi_room_(m) < 8u) {
                more++;
                continue;
            }
            scmi_put32_(m, t);
            scmi_put32_(m, v);
            n++;
        }
        n |= more << 24;
    } else {
        /* the selected function only */
    }
    if (!m->overflow) {
        scmi_st32_(&m->out[count_at], n);
    }
    return AVPS_SCMI_SUCCESS;
}

static bool pn_fn_allows_(const struct scmi_msg *m, uint32_t fn, uint32_t type, uint32_t id)
{
    const struct avps_scmi_pin_function *f = &m->s->cfg.platform->functions[fn];

    for (uint32_t i = 0; i < f->num_groups; i++) {
        const uint32_t g = f->groups[i];

        if (g >= m->s->cfg.platform->num_groups) {
            continue;
        }
        if ((type == T_GROUP) && (g == id)) {
            return true;
        }
        if (type == T_PIN) {
            const struct avps_scmi_pin_group *grp = &m->s->cfg.platform->groups[g];

            for (uint32_t j = 0; j < grp->num_pins; j++) {
                if (grp->pins[j] == id) {
                    return true;
                }
            }
        }
    }
    return false;
}

static int32_t pin_settings_configure_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t fn = scmi_arg_(m, 1);
    const uint32_t attr = scmi_arg_(m, 2);
    const uint32_t type = attr & 3u;
    const uint32_t n = (attr >> 2) & 0xffu;
    struct avps_scmi_pin_config cfg[MAX_CONFIGS];
    int32_t st;

    /* exact length: the header words and n (type, value) pairs */
    if ((n > MAX_CONFIGS) || (m->len != (12u + (8u * n)))) {
        m->s->errors++;
        return AVPS_SCMI_PROTOCOL_ERROR;
    }
    st = ((attr & ~0x7ffu) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (type == T_FUNCTION) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if ((attr & SCMI_BIT(10)) != 0u) {
        if (fn >= m->s->cfg.platform->num_functions) {
            return AVPS_SCMI_NOT_FOUND;
        }
        if (!pn_fn_allows_(m, fn, type, id)) {
            return AVPS_SCMI_INVALID_PARAMETERS;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        cfg[i].type = scmi_arg_(m, 3u + (2u * i));
        cfg[i].value = scmi_arg_(m, 4u + (2u * i));
        if (cfg[i].type > 0xffu) {
            return AVPS_SCMI_INVALID_PARAMETERS;
        }
    }
    if (m->s->cfg.ops->pin_configure == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_status_(m->s->cfg.ops->pin_configure(
        m->s->cfg.ctx, type, id, ((attr & SCMI_BIT(10)) != 0u) ? fn : NO_FUNCTION, cfg, n));
}

/* The agent that requested a pin or group (0: none). */
static struct avps_scmi_sub *pn_owner_(struct avps_scmi *s, uint32_t type, uint32_t id)
{
    for (uint32_t i = 0; i < s->cfg.num_subs; i++) {
        struct avps_scmi_sub *u = &s->cfg.subs[i];

        if ((u->agent != 0u) && (u->proto == AVPS_SCMI_PROTO_PINCTRL) && (u->kind == SUB_OWNER) &&
            (u->id == ((type << 16) | id))) {
            return u;
        }
    }
    return NULL;
}

static int32_t pin_request_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t type = flags & 3u;
    int32_t st = ((flags & ~3u) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    struct avps_scmi_sub *u;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (type == T_FUNCTION) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    u = pn_owner_(m->s, type, id);
    if (u != NULL) {
        return (u->agent == m->agent) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_IN_USE;
    }
    u = avps_scmi_sub_new_(m->s);
    if (u == NULL) {
        return AVPS_SCMI_BUSY;
    }
    u->agent = (uint16_t)m->agent;
    u->proto = AVPS_SCMI_PROTO_PINCTRL;
    u->kind = SUB_OWNER;
    u->id = (type << 16) | id;
    return AVPS_SCMI_SUCCESS;
}

static int32_t pin_release_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t type = flags & 3u;
    int32_t st = ((flags & ~3u) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);
    struct avps_scmi_sub *u;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (type == T_FUNCTION) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    u = pn_owner_(m->s, type, id);
    if ((u == NULL) || (u->agent != m->agent)) {
        return AVPS_SCMI_DENIED; /* not requested by this agent */
    }
    (void)AVPS_MEMSET(u, 0, sizeof *u);
    return AVPS_SCMI_SUCCESS;
}

static int32_t pin_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    const uint32_t type = flags & 3u;
    int32_t st = ((flags & ~3u) != 0u) ? AVPS_SCMI_INVALID_PARAMETERS : pn_check_(m, type, id);

    return (st != AVPS_SCMI_SUCCESS) ? st : avps_scmi_name_get_(m, pn_name_(m, type, id));
}

static int32_t pin_set_permissions_(struct scmi_msg *m)
{
    const uint32_t agent = scmi_arg_(m, 0);
    const uint32_t id = scmi_arg_(m, 1);
    const uint32_t flags = scmi_arg_(m, 2);
    const uint32_t type = flags & 3u;
    struct avps_scmi_agent *a;
    uint16_t dev;

    if (!m->s->cfg.agent_cfg[m->agent - 1u].trusted) {
        return AVPS_SCMI_DENIED;
    }
    if ((agent == 0u) || (agent > m->s->cfg.num_agents)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    if (((flags & ~7u) != 0u) || (type > T_GROUP)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (id >= pn_count_(m, type)) {
        return AVPS_SCMI_NOT_FOUND;
    }
    /* permission follows the pin's or group's device */
    dev = (type == T_PIN) ? m->s->cfg.platform->pins[id].device
                          : m->s->cfg.platform->groups[id].device;
    if (dev >= AVPS_SCMI_MAX_DEVICES) {
        return AVPS_SCMI_NOT_FOUND;
    }
    a = &m->s->cfg.agents[agent - 1u];
    if ((flags & 4u) != 0u) {
        a->devices[dev / 32u] |= SCMI_BIT((uint32_t)dev % 32u);
    } else {
        a->devices[dev / 32u] &= ~SCMI_BIT((uint32_t)dev % 32u);
    }
    return AVPS_SCMI_SUCCESS;
}

static const struct scmi_cmd pin_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, pin_attributes_},
    [PIN_ATTRIBUTES] = {CMD_KNOWN, 8, 8, pin_pin_attributes_},
    [PIN_LIST_ASSOCIATIONS] = {CMD_KNOWN, 12, 12, pin_list_associations_},
    [PIN_SETTINGS_GET] = {CMD_KNOWN, 8, 8, pin_settings_get_},
    [PIN_SETTINGS_CONFIGURE] = {CMD_KNOWN, 12, 12u + (8u * MAX_CONFIGS), pin_settings_configure_},
    [PIN_REQUEST] = {CMD_KNOWN, 8, 8, pin_request_},
    [PIN_RELEASE] = {CMD_KNOWN, 8, 8, pin_release_},
    [PIN_NAME_GET] = {CMD_KNOWN, 8, 8, pin_name_},
    [PIN_SET_PERMISSIONS] = {CMD_KNOWN, 12, 12, pin_set_permissions_},
};

const struct scmi_proto avps_scmi_pinctrl_ = {AVPS_SCMI_PROTO_PINCTRL, 0x10000u, pin_cmds};

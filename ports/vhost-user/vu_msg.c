/*
 * vhost-user message checks: one table indexed by request (STYLE.md rule 13).
 * Every message is checked here, whole, before the back-end looks at it.
 */
#include <avps/err.h>

#include "avps_vhost_user.h"

struct vu_rule {
    const char *name;
    uint16_t min, max;   /* payload bytes accepted */
    uint8_t fds_min, fds_max;
    int8_t pf;           /* protocol feature the request needs, or -1 */
};

#define U64 8u
#define STATE ((uint16_t)sizeof(struct avps_vu_vring_state))
#define CFG_HDR 12u

static const struct vu_rule rules[AVPS_VU_REQ_MAX] = {
    [AVPS_VU_GET_FEATURES] = {"GET_FEATURES", 0, 0, 0, 0, -1},
    [AVPS_VU_SET_FEATURES] = {"SET_FEATURES", U64, U64, 0, 0, -1},
    [AVPS_VU_SET_OWNER] = {"SET_OWNER", 0, 0, 0, 0, -1},
    [AVPS_VU_RESET_OWNER] = {"RESET_OWNER", 0, 0, 0, 0, -1},
    [AVPS_VU_SET_MEM_TABLE] = {"SET_MEM_TABLE", 8, sizeof(struct avps_vu_mem_table), 0,
                               AVPS_VU_MEM_TABLE_MAX, -1},
    [AVPS_VU_SET_LOG_BASE] = {"SET_LOG_BASE", sizeof(struct avps_vu_log),
                              sizeof(struct avps_vu_log), 1, 1, AVPS_VU_PF_LOG_SHMFD},
    [AVPS_VU_SET_LOG_FD] = {"SET_LOG_FD", 0, U64, 0, 1, -1},
    [AVPS_VU_SET_VRING_NUM] = {"SET_VRING_NUM", STATE, STATE, 0, 0, -1},
    [AVPS_VU_SET_VRING_ADDR] = {"SET_VRING_ADDR", sizeof(struct avps_vu_vring_addr),
                                sizeof(struct avps_vu_vring_addr), 0, 0, -1},
    [AVPS_VU_SET_VRING_BASE] = {"SET_VRING_BASE", STATE, STATE, 0, 0, -1},
    [AVPS_VU_GET_VRING_BASE] = {"GET_VRING_BASE", STATE, STATE, 0, 0, -1},
    [AVPS_VU_SET_VRING_KICK] = {"SET_VRING_KICK", U64, U64, 0, 1, -1},
    [AVPS_VU_SET_VRING_CALL] = {"SET_VRING_CALL", U64, U64, 0, 1, -1},
    [AVPS_VU_SET_VRING_ERR] = {"SET_VRING_ERR", U64, U64, 0, 1, -1},
    [AVPS_VU_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", 0, 0, 0, 0, -1},
    [AVPS_VU_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", U64, U64, 0, 0, -1},
    [AVPS_VU_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", 0, 0, 0, 0, AVPS_VU_PF_MQ},
    [AVPS_VU_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", STATE, STATE, 0, 0, -1},
    [AVPS_VU_SET_BACKEND_REQ_FD] = {"SET_BACKEND_REQ_FD", 0, U64, 1, 1, AVPS_VU_PF_BACKEND_REQ},
    [AVPS_VU_GET_CONFIG] = {"GET_CONFIG", CFG_HDR, CFG_HDR + AVPS_VU_CONFIG_MAX, 0, 0,
                            AVPS_VU_PF_CONFIG},
    [AVPS_VU_SET_CONFIG] = {"SET_CONFIG", CFG_HDR, CFG_HDR + AVPS_VU_CONFIG_MAX, 0, 0,
                            AVPS_VU_PF_CONFIG},
    [AVPS_VU_RESET_DEVICE] = {"RESET_DEVICE", 0, 0, 0, 0, AVPS_VU_PF_RESET_DEVICE},
    [AVPS_VU_GET_MAX_MEM_SLOTS] = {"GET_MAX_MEM_SLOTS", 0, 0, 0, 0,
                                   AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
    [AVPS_VU_ADD_MEM_REG] = {"ADD_MEM_REG", sizeof(struct avps_vu_mem_reg),
                             sizeof(struct avps_vu_mem_reg), 1, 1, AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
    /* §REM_MEM_REG: no fd SHOULD come, but the back-end MAY accept one and
     * MUST close it. */
    [AVPS_VU_REM_MEM_REG] = {"REM_MEM_REG", sizeof(struct avps_vu_mem_reg),
                             sizeof(struct avps_vu_mem_reg), 0, 1, AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
    /* 20 bytes of fields; front-ends send the 24 of the padded C struct */
    [AVPS_VU_GET_INFLIGHT_FD] = {"GET_INFLIGHT_FD", 20u, sizeof(struct avps_vu_inflight), 0, 0,
                                 AVPS_VU_PF_INFLIGHT_SHMFD},
    [AVPS_VU_SET_INFLIGHT_FD] = {"SET_INFLIGHT_FD", 20u, sizeof(struct avps_vu_inflight), 1, 1,
                                 AVPS_VU_PF_INFLIGHT_SHMFD},
    [AVPS_VU_SET_STATUS] = {"SET_STATUS", U64, U64, 0, 0, AVPS_VU_PF_STATUS},
    [AVPS_VU_GET_STATUS] = {"GET_STATUS", 0, 0, 0, 0, AVPS_VU_PF_STATUS},
};

const char *avps_vu_req_name(uint32_t req)
{
    if (req >= AVPS_VU_REQ_MAX || rules[req].name == NULL)
        return "UNKNOWN";
    return rules[req].name;
}

int avps_vu_check(const struct avps_vu_msg *m, size_t len, unsigned int nfds, uint64_t pf,
                  const char **why)
{
    const struct vu_rule *r;
    uint32_t size;

    *why = "ok";
    if (len < sizeof m->hdr) {
        *why = "short header";
        return AVPS_E_GUEST_REQ;
    }
    size = m->hdr.size;
    if ((m->hdr.flags & AVPS_VU_VERSION_MASK) != AVPS_VU_VERSION) {
        *why = "bad version";
        return AVPS_E_GUEST_REQ;
    }
    if (size > sizeof m->p || len - sizeof m->hdr != size) {
        *why = "payload size does not match the header";
        return AVPS_E_GUEST_REQ;
    }
    if (nfds > AVPS_VU_MAX_FDS) {
        *why = "too many file descriptors";
        return AVPS_E_GUEST_REQ;
    }
    if (m->hdr.request >= AVPS_VU_REQ_MAX || rules[m->hdr.request].name == NULL) {
        *why = "unsupported request";
        return AVPS_E_INVAL;
    }
    r = &rules[m->hdr.request];
    if (r->pf >= 0 && (pf & (1ull << (unsigned int)r->pf)) == 0u) {
        *why = "protocol feature not negotiated";
        return AVPS_E_GUEST_REQ;
    }
    if (size < r->min || size > r->max) {
        *why = "payload size";
        return AVPS_E_GUEST_REQ;
    }
    if (nfds < r->fds_min || nfds > r->fds_max) {
        *why = "file descriptor count";
        return AVPS_E_GUEST_REQ;
    }
    switch (m->hdr.request) {
    case AVPS_VU_SET_MEM_TABLE:
        if (m->p.mem.nregions > AVPS_VU_MEM_TABLE_MAX ||
            size != 8u + m->p.mem.nregions * sizeof(struct avps_vu_region) ||
            nfds != m->p.mem.nregions) {
            *why = "memory table: regions, size and fds disagree";
            return AVPS_E_GUEST_REQ;
        }
        break;
    case AVPS_VU_SET_VRING_KICK:
    case AVPS_VU_SET_VRING_CALL:
    case AVPS_VU_SET_VRING_ERR: {
        const bool nofd = (m->p.u64 & AVPS_VU_VRING_NOFD) != 0u;

        if ((m->p.u64 & ~(uint64_t)(AVPS_VU_VRING_IDX_MASK | AVPS_VU_VRING_NOFD)) != 0u ||
            (nofd ? nfds != 0u : nfds != 1u)) {
            *why = "vring fd: flags and fds disagree";
            return AVPS_E_GUEST_REQ;
        }
        break;
    }
    case AVPS_VU_GET_CONFIG:
    case AVPS_VU_SET_CONFIG:
        if (m->p.config.size > AVPS_VU_CONFIG_MAX || size != CFG_HDR + m->p.config.size) {
            *why = "config: size and payload disagree";
            return AVPS_E_GUEST_REQ;
        }
        break;
    default:
        break;
    }
    return 0;
}

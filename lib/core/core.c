/* Errors, version and host checks. */
#include <avps/version.h>

#include "core_priv.h"

uint32_t avps_version(void)
{
    return AVPS_VERSION;
}

/* Indexed by -err; designated initialisers keep it in step with err.h. Plain
 * character arrays, not pointers, so the table needs no relocation and stays
 * in read-only data. */
static const char avps_err_names[][52] = {
    [0] = "success",
    [-AVPS_E_INVAL] = "invalid argument",
    [-AVPS_E_STATE] = "not valid in the current state",
    [-AVPS_E_NOSPC] = "caller-supplied array too small",
    [-AVPS_E_VERSION] = "unsupported ops table version",
    [-AVPS_E_GUEST_RANGE] = "guest address or length out of range",
    [-AVPS_E_GUEST_DESC] = "guest published a malformed descriptor",
    [-AVPS_E_GUEST_LOOP] = "guest descriptor chain too long (loop)",
    [-AVPS_E_GUEST_REQ] = "guest sent a malformed request",
    [-AVPS_E_GUEST_INDEX] = "guest ring index or in-flight count out of range",
    [-AVPS_E_GUEST_STATE] = "inconsistent guest or peer state",
    [-AVPS_E_IO] = "backend or port I/O failure",
    [-AVPS_E_AGAIN] = "try again",
};

const char *avps_strerror(int err)
{
    const char *name;

    if (err > 0 || err <= -(int)AVPS_ARRAY_LEN(avps_err_names)) {
        return "unknown error";
    }
    name = avps_err_names[-err];
    return name[0] != '\0' ? name : "unknown error";
}

int avps_host_check(const struct avps_host *host)
{
    const struct avps_port_ops *ops;

    if (host == NULL || host->ops == NULL) {
        return AVPS_E_INVAL;
    }
    ops = host->ops;
    if (ops->version != AVPS_PORT_OPS_VERSION) {
        return AVPS_E_VERSION;
    }
    if (ops->map == NULL || ops->inject == NULL) {
        return AVPS_E_INVAL;
    }
    if ((ops->lock == NULL) != (ops->unlock == NULL)) {
        return AVPS_E_INVAL;
    }
    return AVPS_OK;
}

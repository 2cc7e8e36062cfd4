/* Errors, version and host checks. */
#include <avps/version.h>

#include "core_priv.h"

uint32_t avps_version(void)
{
    return AVPS_VERSION;
}

const char *avps_strerror(int err)
{
    /* Indexed by -err; designated initialisers keep it in step with err.h.
     * Plain character arrays, not pointers, so the table needs no relocation
     * and stays in read-only data. */
    static const char names[][52] = {
        [0] = {"success"},
        [-AVPS_E_INVAL] = {"invalid argument"},
        [-AVPS_E_STATE] = {"not valid in the current state"},
        [-AVPS_E_NOSPC] = {"caller-supplied array too small"},
        [-AVPS_E_VERSION] = {"unsupported ops table version"},
        [-AVPS_E_GUEST_RANGE] = {"guest address or length out of range"},
        [-AVPS_E_GUEST_DESC] = {"guest published a malformed descriptor"},
        [-AVPS_E_GUEST_LOOP] = {"guest descriptor chain too long (loop)"},
        [-AVPS_E_GUEST_REQ] = {"guest sent a malformed request"},
        [-AVPS_E_GUEST_INDEX] = {"guest ring index or in-flight count out of range"},
        [-AVPS_E_GUEST_STATE] = {"inconsistent guest or peer state"},
        [-AVPS_E_IO] = {"backend or port I/O failure"},
        [-AVPS_E_AGAIN] = {"try again"},
    };
    const size_t count = AVPS_ARRAY_LEN(names);
    const char *name;

    /* Range check before negating: -INT_MIN would overflow. */
    if ((err > 0) || (err <= -(int)count)) {
        return "unknown error";
    }
    name = names[-err];
    return (name[0] != '\0') ? name : "unknown error";
}

int avps_host_check(const struct avps_host *host)
{
    const struct avps_port_ops *ops;

    if ((host == NULL) || (host->ops == NULL)) {
        return AVPS_E_INVAL;
    }
    ops = host->ops;
    if ((ops->version == 0u) || (ops->version > AVPS_PORT_OPS_VERSION)) {
        return AVPS_E_VERSION;
    }
    if ((ops->map == NULL) || (ops->inject == NULL)) {
        return AVPS_E_INVAL;
    }
    if ((ops->lock == NULL) != (ops->unlock == NULL)) {
        return AVPS_E_INVAL;
    }
    return AVPS_OK;
}

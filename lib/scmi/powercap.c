/* SCMI protocol 0xPOWERCAP (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd powercap_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_powercap_ = {AVPS_SCMI_PROTO_POWERCAP, 0x20000u, powercap_cmds};

/* SCMI protocol 0xPOWER (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd power_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_power_ = {AVPS_SCMI_PROTO_POWER, 0x30001u, power_cmds};

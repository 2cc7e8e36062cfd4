/* SCMI protocol 0xSYSTEM (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd system_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_system_ = {AVPS_SCMI_PROTO_SYSTEM, 0x20001u, system_cmds};

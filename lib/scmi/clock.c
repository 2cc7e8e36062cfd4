/* SCMI protocol 0xCLOCK (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd clock_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_clock_ = {AVPS_SCMI_PROTO_CLOCK, 0x30000u, clock_cmds};

/* SCMI protocol 0xPERF (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd perf_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_perf_ = {AVPS_SCMI_PROTO_PERF, 0x40000u, perf_cmds};

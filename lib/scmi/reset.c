/* SCMI protocol 0xRESET (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd reset_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_reset_ = {AVPS_SCMI_PROTO_RESET, 0x30001u, reset_cmds};

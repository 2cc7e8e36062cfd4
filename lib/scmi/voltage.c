/* SCMI protocol 0xVOLTAGE (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd voltage_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_voltage_ = {AVPS_SCMI_PROTO_VOLTAGE, 0x20001u, voltage_cmds};

/* SCMI protocol 0xPINCTRL (stub). */
#include "scmi_priv.h"

static const struct scmi_cmd pinctrl_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
};

const struct scmi_proto avps_scmi_pinctrl_ = {AVPS_SCMI_PROTO_PINCTRL, 0x10000u, pinctrl_cmds};

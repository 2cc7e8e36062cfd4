/*
 * scmi_fix: an SCMI test platform for the cmocka tests (header-only).
 *
 * Agents: 1 "host" (trusted, everything), 2 "vm-a" (every protocol, devices
 * 0-15), 3 "vm-b" (Base and Sensor only, device 2 only).
 * Devices: 0 accelerometer, 1 gyroscope, 2 temperature sensors, 3.. the rest
 * (power 4, perf 5, clocks 6, resets 7, voltages 8, powercap 9, pins 10).
 * Sensors: 0 "ACCEL" (3 axes, m/s², async, notify, timestamps, segmented
 * intervals), 1 "GYRO" (3 axes, rad/s, listed intervals), 2 "soc-temp"
 * (scalar °C, 2 trip points, async, notify), 3..7 scalar sensors (so that
 * descriptions take two 128-byte replies), 7 has a long name.
 * Ops keep their state in struct sfx; `defer` makes sensor_read and the
 * asynchronous ops answer AVPS_SCMI_OP_PENDING and remember the handle.
 */
#ifndef AVPS_SCMI_FIX_H
#define AVPS_SCMI_FIX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <avps/err.h>
#include <avps/scmi.h>

#define SFX_AGENTS 3u
#define SFX_HOST 1u
#define SFX_VMA 2u
#define SFX_VMB 3u
#define SFX_SUBS 16u
#define SFX_PENDING 4u
#define SFX_BACKLOG 4u

#define SFX_ACCEL 0u
#define SFX_GYRO 1u
#define SFX_TEMP 2u
#define SFX_NSENSORS 8u

struct sfx {
    struct avps_scmi s;
    struct avps_scmi_agent agents[SFX_AGENTS];
    struct avps_scmi_sub subs[SFX_SUBS];
    struct avps_scmi_slot pending[SFX_PENDING];
    struct avps_scmi_slot backlog[SFX_BACKLOG];
    uint8_t rsp[512];
    uint32_t rsp_len;
    int rc;
    /* platform state */
    bool defer;
    int fail; /* next op fails with this avps_err when non-zero */
    uint32_t last_handle;
    uint32_t sensor_cfg[SFX_NSENSORS];
    int64_t sensor_base;
    uint32_t power_state[4];
    uint32_t perf_level[2], perf_max[2], perf_min[2];
    uint64_t clock_rate[4];
    bool clock_on[4];
    uint32_t clock_parent[4];
    uint32_t reset_count[3], reset_flags, reset_state;
    uint32_t volt_cfg[2];
    int32_t volt_uv[2];
    uint32_t cap[2], pai[2];
    uint32_t sys_state, sys_flags, sys_agent;
    uint32_t pin_func[8];
    uint32_t pin_cfg_type, pin_cfg_value, pin_cfg_n;
    int kicks[SFX_AGENTS + 1];
};

static const struct avps_scmi_sensor_axis sfx_accel_axes[3] = {
    {"ACCEL_X", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -160000, 160000},
    {"ACCEL_Y", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -160000, 160000},
    {"ACCEL_Z", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -160000, 160000},
};
static const struct avps_scmi_sensor_axis sfx_gyro_axes[3] = {
    {"GYRO_X", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, 0, 0, 0, 0},
    {"GYRO_Y", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, 0, 0, 0, 0},
    {"GYRO_Z", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, 0, 0, 0, 0},
};
/* (seconds << 5) | (exponent & 31): 10 ms .. 1 s, step 10 ms */
#define SFX_IVL(sec, exp) (((uint32_t)(sec) << 5) | ((uint32_t)(exp) & 31u))
static const uint32_t sfx_accel_ivl[3] = {SFX_IVL(1, -2), SFX_IVL(1, 0), SFX_IVL(1, -2)};
static const uint32_t sfx_gyro_ivl[4] = {SFX_IVL(5, -3), SFX_IVL(10, -3), SFX_IVL(20, -3),
                                         SFX_IVL(100, -3)};

#define F_ASYNC AVPS_SCMI_F_ASYNC
#define F_NOTIFY AVPS_SCMI_F_NOTIFY
#define F_TS AVPS_SCMI_F_TIMESTAMP
static const struct avps_scmi_sensor sfx_sensors[SFX_NSENSORS] = {
    {"ACCEL", 0, 0, 0, F_ASYNC | F_NOTIFY | F_TS, -6, 0, 3, sfx_accel_axes, sfx_accel_ivl, 3, true},
    {"GYRO", 1, 0, 0, F_NOTIFY | F_TS, -6, 0, 3, sfx_gyro_axes, sfx_gyro_ivl, 4, false},
    {"soc-temp", 2, AVPS_SCMI_UNIT_DEGC, -3, F_ASYNC | F_NOTIFY, 0, 2, 0, NULL, NULL, 0, false},
    {"gpu-temp", 2, AVPS_SCMI_UNIT_DEGC, -3, 0, 0, 0, 0, NULL, NULL, 0, false},
    {"vdd-core", 2, AVPS_SCMI_UNIT_VOLTS, -3, 0, 0, 0, 0, NULL, NULL, 0, false},
    {"idd-core", 2, AVPS_SCMI_UNIT_AMPS, -3, 0, 0, 0, 0, NULL, NULL, 0, false},
    {"pwr-soc", 2, AVPS_SCMI_UNIT_WATTS, -3, 0, 0, 0, 0, NULL, NULL, 0, false},
    {"board-ambient-temperature-sensor", 2, AVPS_SCMI_UNIT_DEGC, -3, 0, 0, 0, 0, NULL, NULL, 0, false},
};

static const struct avps_scmi_power_domain sfx_power[4] = {
    {"gpu", 4, F_ASYNC | F_NOTIFY | AVPS_SCMI_F_NOTIFY2},
    {"video", 4, F_NOTIFY},
    {"display", 4, 0},
    {"secure-enclave-domain", 15, 0},
};
static const struct avps_scmi_perf_level sfx_perf_levels[5] = {
    {100, 10, 50, 400000}, {200, 25, 50, 800000}, {300, 45, 60, 1200000},
    {400, 70, 60, 1600000}, {500, 100, 80, 2000000},
};
static const struct avps_scmi_perf_domain sfx_perf[2] = {
    {"cpu-big", 5, AVPS_SCMI_F_CONFIG | AVPS_SCMI_F_CONFIG2 | F_NOTIFY | AVPS_SCMI_F_NOTIFY2,
     sfx_perf_levels, 5, 1000, 1600000, 400},
    {"cpu-little-cluster-with-long-name", 5, 0, sfx_perf_levels, 3, 1000, 800000, 200},
};
static const uint64_t sfx_rates_list[5] = {12000000, 24000000, 48000000, 96000000, 192000000};
static const uint64_t sfx_rates_range[3] = {1000000, 100000000, 1000000};
static const uint32_t sfx_clk_parents[2] = {0, 1};
static const struct avps_scmi_clock sfx_clocks[4] = {
    {"uart", 6, F_ASYNC | F_NOTIFY | AVPS_SCMI_F_NOTIFY2, false, sfx_rates_list, 5, 10, NULL, 0},
    {"pll", 6, 0, true, sfx_rates_range, 3, 0, NULL, 0},
    {"mux", 6, 0, false, sfx_rates_list, 5, 0, sfx_clk_parents, 2},
    {"spi-controller-functional-clock", 6, 0, false, sfx_rates_list, 2, 0, NULL, 0},
};
static const struct avps_scmi_reset_domain sfx_resets[3] = {
    {"usb", 7, F_ASYNC | F_NOTIFY, 100},
    {"eth", 7, 0, 0xffffffffu},
    {"pcie-root-complex-reset", 7, 0, 50},
};
static const int32_t sfx_volt_list[4] = {800000, 900000, 1000000, 1100000};
static const int32_t sfx_volt_range[3] = {1800000, 3300000, 100000};
static const struct avps_scmi_voltage_domain sfx_volts[2] = {
    {"vdd-gpu", 8, F_ASYNC, false, sfx_volt_list, 4},
    {"vdd-io", 8, 0, true, sfx_volt_range, 3},
};
static const struct avps_scmi_powercap_domain sfx_caps[2] = {
    {"soc", 9,
     AVPS_SCMI_F_CONFIG | AVPS_SCMI_F_CONFIG2 | AVPS_SCMI_F_MONITOR | F_NOTIFY |
         AVPS_SCMI_F_NOTIFY2 | F_ASYNC,
     2, 1000, 100000, 1000, 1000, 20000, 500, 15000, 0, 0xffffffffu},
    {"gpu", 9, AVPS_SCMI_F_MONITOR, 2, 1000, 1000, 0, 5000, 5000, 0, 5000, 0, 0},
};
static const struct avps_scmi_pin sfx_pins[4] = {
    {"gpio0", 10}, {"gpio1", 10}, {"uart0_tx", 10}, {"uart0_rx_with_long_pin_name", 10},
};
static const uint16_t sfx_grp0[2] = {2, 3};
static const uint16_t sfx_grp1[2] = {0, 1};
static const struct avps_scmi_pin_group sfx_groups[2] = {
    {"uart0_grp", 10, sfx_grp0, 2},
    {"gpio_grp", 10, sfx_grp1, 2},
};
static const uint16_t sfx_fn0[1] = {0};
static const uint16_t sfx_fn1[2] = {0, 1};
static const struct avps_scmi_pin_function sfx_functions[2] = {
    {"uart0", sfx_fn0, 1},
    {"gpio", sfx_fn1, 2},
};

static const struct avps_scmi_platform sfx_platform = {
    .vendor = "libavps",
    .sub_vendor = "tests",
    .impl_version = 0x00010002u,
    .num_devices = 16,
    .system_flags = 3,
    .power = sfx_power, .num_power = 4,
    .perf = sfx_perf, .num_perf = 2,
    .clocks = sfx_clocks, .num_clocks = 4,
    .sensors = sfx_sensors, .num_sensors = SFX_NSENSORS,
    .resets = sfx_resets, .num_resets = 3,
    .voltages = sfx_volts, .num_voltages = 2,
    .powercaps = sfx_caps, .num_powercaps = 2,
    .pins = sfx_pins, .num_pins = 4,
    .groups = sfx_groups, .num_groups = 2,
    .functions = sfx_functions, .num_functions = 2,
    .protocols = AVPS_SCMI_PROTO_ALL,
};

static const struct avps_scmi_agent_cfg sfx_agents[SFX_AGENTS] = {
    {"host", AVPS_SCMI_PROTO_ALL, {0xffffu, 0}, true},
    {"vm-a", AVPS_SCMI_PROTO_ALL, {0x7fffu, 0}, false},
    {"vm-b", AVPS_SCMI_PROTO_BIT(AVPS_SCMI_PROTO_SENSOR), {0x4u, 0}, false},
};

static inline struct sfx *sfx_of_(void *ctx) { return (struct sfx *)ctx; }

static inline int sfx_take_fail_(struct sfx *f)
{
    int e = f->fail;

    f->fail = 0;
    return e;
}

static inline int sfx_sensor_read(void *ctx, uint32_t sensor, struct avps_scmi_reading *r,
                                  uint32_t n, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    for (uint32_t i = 0; i < n; i++) {
        r[i].value = f->sensor_base + (int64_t)(sensor * 100u + i);
        r[i].timestamp = 1000u + i;
    }
    return AVPS_OK;
}
static inline int sfx_cfg_get(void *ctx, uint32_t sensor, uint32_t *cfg)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    *cfg = f->sensor_cfg[sensor];
    return AVPS_OK;
}
static inline int sfx_cfg_set(void *ctx, uint32_t sensor, uint32_t cfg)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->sensor_cfg[sensor] = cfg;
    return AVPS_OK;
}
static inline int sfx_power_set(void *ctx, uint32_t d, uint32_t st, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->power_state[d] = st;
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    return AVPS_OK;
}
static inline int sfx_power_get(void *ctx, uint32_t d, uint32_t *st)
{
    *st = sfx_of_(ctx)->power_state[d];
    return AVPS_OK;
}
static inline int sfx_sys_set(void *ctx, uint32_t agent, uint32_t flags, uint32_t st)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->sys_agent = agent;
    f->sys_flags = flags;
    f->sys_state = st;
    return AVPS_OK;
}
static inline int sfx_sys_get(void *ctx, uint32_t *st)
{
    *st = sfx_of_(ctx)->sys_state;
    return AVPS_OK;
}
static inline int sfx_perf_level_set(void *ctx, uint32_t d, uint32_t l)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->perf_level[d] = l;
    return AVPS_OK;
}
static inline int sfx_perf_level_get(void *ctx, uint32_t d, uint32_t *l)
{
    *l = sfx_of_(ctx)->perf_level[d];
    return AVPS_OK;
}
static inline int sfx_perf_limits_set(void *ctx, uint32_t d, uint32_t mx, uint32_t mn)
{
    struct sfx *f = sfx_of_(ctx);

    f->perf_max[d] = mx;
    f->perf_min[d] = mn;
    return AVPS_OK;
}
static inline int sfx_perf_limits_get(void *ctx, uint32_t d, uint32_t *mx, uint32_t *mn)
{
    *mx = sfx_of_(ctx)->perf_max[d];
    *mn = sfx_of_(ctx)->perf_min[d];
    return AVPS_OK;
}
static inline int sfx_clock_rate_set(void *ctx, uint32_t c, uint64_t rate, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->clock_rate[c] = rate;
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    return AVPS_OK;
}
static inline int sfx_clock_rate_get(void *ctx, uint32_t c, uint64_t *rate)
{
    *rate = sfx_of_(ctx)->clock_rate[c];
    return AVPS_OK;
}
static inline int sfx_clock_enable(void *ctx, uint32_t c, bool on)
{
    sfx_of_(ctx)->clock_on[c] = on;
    return AVPS_OK;
}
static inline int sfx_clock_enabled(void *ctx, uint32_t c, bool *on)
{
    *on = sfx_of_(ctx)->clock_on[c];
    return AVPS_OK;
}
static inline int sfx_clock_parent_set(void *ctx, uint32_t c, uint32_t p)
{
    sfx_of_(ctx)->clock_parent[c] = p;
    return AVPS_OK;
}
static inline int sfx_clock_parent_get(void *ctx, uint32_t c, uint32_t *p)
{
    *p = sfx_of_(ctx)->clock_parent[c];
    return AVPS_OK;
}
static inline int sfx_reset(void *ctx, uint32_t d, uint32_t flags, uint32_t st, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    if (f->fail != 0)
        return sfx_take_fail_(f);
    f->reset_count[d]++;
    f->reset_flags = flags;
    f->reset_state = st;
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    return AVPS_OK;
}
static inline int sfx_volt_cfg_set(void *ctx, uint32_t d, uint32_t c)
{
    sfx_of_(ctx)->volt_cfg[d] = c;
    return AVPS_OK;
}
static inline int sfx_volt_cfg_get(void *ctx, uint32_t d, uint32_t *c)
{
    *c = sfx_of_(ctx)->volt_cfg[d];
    return AVPS_OK;
}
static inline int sfx_volt_set(void *ctx, uint32_t d, int32_t uv, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    f->volt_uv[d] = uv;
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    return AVPS_OK;
}
static inline int sfx_volt_get(void *ctx, uint32_t d, int32_t *uv)
{
    *uv = sfx_of_(ctx)->volt_uv[d];
    return AVPS_OK;
}
static inline int sfx_cap_set(void *ctx, uint32_t d, uint32_t cap, uint32_t handle)
{
    struct sfx *f = sfx_of_(ctx);

    f->cap[d] = cap;
    if (f->defer && handle != AVPS_SCMI_NO_HANDLE) {
        f->last_handle = handle;
        return AVPS_SCMI_OP_PENDING;
    }
    return AVPS_OK;
}
static inline int sfx_cap_get(void *ctx, uint32_t d, uint32_t *cap)
{
    *cap = sfx_of_(ctx)->cap[d];
    return AVPS_OK;
}
static inline int sfx_pai_set(void *ctx, uint32_t d, uint32_t pai)
{
    sfx_of_(ctx)->pai[d] = pai;
    return AVPS_OK;
}
static inline int sfx_pai_get(void *ctx, uint32_t d, uint32_t *pai)
{
    *pai = sfx_of_(ctx)->pai[d];
    return AVPS_OK;
}
static inline int sfx_measure(void *ctx, uint32_t d, uint32_t *power, uint32_t *pai)
{
    *power = 4200u + d;
    *pai = sfx_of_(ctx)->pai[d];
    return AVPS_OK;
}
static inline int sfx_pin_cfg_get(void *ctx, uint32_t type, uint32_t id, uint32_t ct,
                                  uint32_t *value)
{
    (void)ctx;
    *value = (type << 16) | (id << 8) | ct;
    return AVPS_OK;
}
static inline int sfx_pin_configure(void *ctx, uint32_t type, uint32_t id, uint32_t fn,
                                    const struct avps_scmi_pin_config *cfg, uint32_t n)
{
    struct sfx *f = sfx_of_(ctx);

    if (fn != 0xffffffffu)
        f->pin_func[(type * 4u + id) & 7u] = fn;
    f->pin_cfg_n = n;
    if (n > 0) {
        f->pin_cfg_type = cfg[n - 1].type;
        f->pin_cfg_value = cfg[n - 1].value;
    }
    return AVPS_OK;
}
static inline int sfx_pin_fn_get(void *ctx, uint32_t type, uint32_t id, uint32_t *fn)
{
    *fn = sfx_of_(ctx)->pin_func[(type * 4u + id) & 7u];
    return AVPS_OK;
}

static const struct avps_scmi_ops sfx_ops = {
    .power_set = sfx_power_set, .power_get = sfx_power_get,
    .system_set = sfx_sys_set, .system_get = sfx_sys_get,
    .perf_level_set = sfx_perf_level_set, .perf_level_get = sfx_perf_level_get,
    .perf_limits_set = sfx_perf_limits_set, .perf_limits_get = sfx_perf_limits_get,
    .clock_rate_set = sfx_clock_rate_set, .clock_rate_get = sfx_clock_rate_get,
    .clock_enable = sfx_clock_enable, .clock_enabled = sfx_clock_enabled,
    .clock_parent_set = sfx_clock_parent_set, .clock_parent_get = sfx_clock_parent_get,
    .sensor_read = sfx_sensor_read, .sensor_config_get = sfx_cfg_get,
    .sensor_config_set = sfx_cfg_set,
    .reset = sfx_reset,
    .voltage_config_set = sfx_volt_cfg_set, .voltage_config_get = sfx_volt_cfg_get,
    .voltage_level_set = sfx_volt_set, .voltage_level_get = sfx_volt_get,
    .powercap_cap_set = sfx_cap_set, .powercap_cap_get = sfx_cap_get,
    .powercap_pai_set = sfx_pai_set, .powercap_pai_get = sfx_pai_get,
    .powercap_measure = sfx_measure,
    .pin_config_get = sfx_pin_cfg_get, .pin_configure = sfx_pin_configure,
    .pin_function_get = sfx_pin_fn_get,
};

static inline void sfx_kick(void *kctx, uint32_t agent)
{
    struct sfx *f = sfx_of_(kctx);

    if (agent <= SFX_AGENTS)
        f->kicks[agent]++;
}

/* Set up with the given ops (NULL: sfx_ops); every agent gets P2A. */
static inline int sfx_init_ops(struct sfx *f, const struct avps_scmi_ops *ops)
{
    struct avps_scmi_cfg cfg;

    memset(f, 0, sizeof *f);
    memset(&cfg, 0, sizeof cfg);
    cfg.platform = &sfx_platform;
    cfg.ops = ops != NULL ? ops : &sfx_ops;
    cfg.ctx = f;
    cfg.agent_cfg = sfx_agents;
    cfg.agents = f->agents;
    cfg.num_agents = SFX_AGENTS;
    cfg.subs = f->subs;
    cfg.num_subs = SFX_SUBS;
    cfg.pending = f->pending;
    cfg.num_pending = SFX_PENDING;
    cfg.backlog = f->backlog;
    cfg.num_backlog = SFX_BACKLOG;
    if (avps_scmi_init(&f->s, &cfg) != AVPS_OK)
        return -1;
    for (uint32_t a = 1; a <= SFX_AGENTS; a++)
        if (avps_scmi_agent_bind(&f->s, a, true, sfx_kick, f) != AVPS_OK)
            return -1;
    return 0;
}

static inline int sfx_init(struct sfx *f)
{
    return sfx_init_ops(f, NULL);
}

static inline uint32_t sfx_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static inline void sfx_st32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

/* Build a command: header then n words; returns its length. */
static inline uint32_t sfx_build(uint8_t *buf, uint32_t proto, uint32_t msg, uint32_t token,
                                 const uint32_t *args, uint32_t n)
{
    sfx_st32(buf, AVPS_SCMI_HDR(msg, AVPS_SCMI_MSG_COMMAND, proto, token));
    for (uint32_t i = 0; i < n; i++)
        sfx_st32(&buf[4 + 4 * i], args[i]);
    return 4u + 4u * n;
}

/* Send a command with a reply buffer of cap bytes; returns the reply length
 * (or the error / 0), sets f->rc and f->rsp_len. */
static inline int sfx_call_cap(struct sfx *f, uint32_t agent, uint32_t proto, uint32_t msg,
                               const uint32_t *args, uint32_t n, uint32_t cap)
{
    uint8_t req[256];
    uint32_t len = sfx_build(req, proto, msg, 0x155, args, n);

    memset(f->rsp, 0xee, sizeof f->rsp);
    f->rc = avps_scmi_handle(&f->s, agent, req, len, f->rsp, cap, 7);
    f->rsp_len = f->rc > 0 ? (uint32_t)f->rc : 0u;
    return f->rc;
}

/* The same with Linux's reply room: 8 + 128 bytes. */
static inline int sfx_call(struct sfx *f, uint32_t agent, uint32_t proto, uint32_t msg,
                           const uint32_t *args, uint32_t n)
{
    return sfx_call_cap(f, agent, proto, msg, args, n, 136);
}

static inline int32_t sfx_status(const struct sfx *f)
{
    return (int32_t)sfx_le32(&f->rsp[4]);
}

/* Return value word i (after the status). */
static inline uint32_t sfx_ret(const struct sfx *f, uint32_t i)
{
    return sfx_le32(&f->rsp[8 + 4 * i]);
}

#endif /* AVPS_SCMI_FIX_H */

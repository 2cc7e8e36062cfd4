/* The demo SCMI platform (see demo_platform.h). */
#include "demo_platform.h"

#include <string.h>

#include <avps/err.h>

static const struct avps_scmi_sensor_axis accel_axes[3] = {
    {"ACCEL_X", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -156906, 156906},
    {"ACCEL_Y", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -156906, 156906},
    {"ACCEL_Z", AVPS_SCMI_UNIT_M_PER_SEC2, -3, -3, 1, -156906, 156906},
};
static const struct avps_scmi_sensor_axis gyro_axes[3] = {
    {"GYRO_X", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, -3, 1, -34906, 34906},
    {"GYRO_Y", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, -3, 1, -34906, 34906},
    {"GYRO_Z", AVPS_SCMI_UNIT_RAD_PER_SEC, -3, -3, 1, -34906, 34906},
};
/* (seconds << 5) | (exponent & 31) */
#define IVL(sec, exp) (((uint32_t)(sec) << 5) | ((uint32_t)(exp) & 31u))
static const uint32_t imu_intervals[4] = {IVL(10, -3), IVL(20, -3), IVL(50, -3), IVL(100, -3)};
static const struct avps_scmi_sensor sensors[DEMO_SENSORS] = {
    {"ACCEL", 0, 0, 0, AVPS_SCMI_F_ASYNC | AVPS_SCMI_F_NOTIFY | AVPS_SCMI_F_TIMESTAMP, -3, 0, 3,
     accel_axes, imu_intervals, 4, false},
    {"GYRO", 0, 0, 0, AVPS_SCMI_F_ASYNC | AVPS_SCMI_F_NOTIFY | AVPS_SCMI_F_TIMESTAMP, -3, 0, 3,
     gyro_axes, imu_intervals, 4, false},
    {"soc-temp", 1, AVPS_SCMI_UNIT_DEGC, -3, AVPS_SCMI_F_ASYNC | AVPS_SCMI_F_NOTIFY, 0, 2, 0,
     NULL, NULL, 0, false},
};
static const struct avps_scmi_power_domain power[3] = {
    {"gpu", 2, AVPS_SCMI_F_NOTIFY},
    {"display", 2, AVPS_SCMI_F_NOTIFY},
    {"video-codec", 2, AVPS_SCMI_F_NOTIFY},
};
static const struct avps_scmi_perf_level levels[4] = {
    {200, 100, 100, 400000}, {400, 250, 100, 800000}, {600, 500, 150, 1200000},
    {800, 900, 200, 1600000},
};
static const struct avps_scmi_perf_domain perf[1] = {
    {"cpu", 3,
     AVPS_SCMI_F_CONFIG | AVPS_SCMI_F_CONFIG2 | AVPS_SCMI_F_NOTIFY | AVPS_SCMI_F_NOTIFY2,
     levels, 4, 1000, 1200000, 600},
};
static const uint64_t uart_rates[4] = {1843200, 3686400, 24000000, 48000000};
static const uint64_t pll_range[3] = {100000000, 1000000000, 1000000};
static const uint32_t mux_parents[2] = {0, 1};
static const struct avps_scmi_clock clocks[3] = {
    {"uart", 4, AVPS_SCMI_F_ASYNC | AVPS_SCMI_F_NOTIFY, false, uart_rates, 4, 10, NULL, 0},
    {"pll", 4, AVPS_SCMI_F_NOTIFY, true, pll_range, 3, 50, NULL, 0},
    {"mux", 4, 0, false, uart_rates, 4, 0, mux_parents, 2},
};
static const struct avps_scmi_reset_domain resets[2] = {
    {"usb", 5, AVPS_SCMI_F_ASYNC | AVPS_SCMI_F_NOTIFY, 100},
    {"eth", 5, AVPS_SCMI_F_NOTIFY, 50},
};
static const int32_t vdd_levels[4] = {800000, 900000, 1000000, 1100000};
static const int32_t vio_range[3] = {1800000, 3300000, 100000};
static const struct avps_scmi_voltage_domain volts[2] = {
    {"vdd-gpu", 6, AVPS_SCMI_F_ASYNC, false, vdd_levels, 4},
    {"vdd-io", 6, 0, true, vio_range, 3},
};
static const struct avps_scmi_powercap_domain caps[1] = {
    {"soc", 7,
     AVPS_SCMI_F_CONFIG | AVPS_SCMI_F_CONFIG2 | AVPS_SCMI_F_MONITOR | AVPS_SCMI_F_NOTIFY |
         AVPS_SCMI_F_ASYNC,
     2, 1000, 100000, 1000, 1000, 15000, 500, 10000, 0, 0xffffffffu},
};
static const struct avps_scmi_pin pins[4] = {{"gpio0", 8}, {"gpio1", 8}, {"i2c0_scl", 8}, {"i2c0_sda", 8}};
static const uint16_t i2c_pins[2] = {2, 3};
static const uint16_t gpio_pins[2] = {0, 1};
static const struct avps_scmi_pin_group groups[2] = {{"i2c0", 8, i2c_pins, 2}, {"gpio", 8, gpio_pins, 2}};
static const uint16_t i2c_groups[1] = {0};
static const uint16_t gpio_groups[2] = {0, 1};
static const struct avps_scmi_pin_function functions[2] = {{"i2c0", i2c_groups, 1}, {"gpio", gpio_groups, 2}};

static const struct avps_scmi_platform platform = {
    .vendor = "libavps",
    .sub_vendor = "demo",
    .impl_version = 0x00000100u,
    .num_devices = 9,
    .system_flags = 3,
    .power = power, .num_power = 3,
    .perf = perf, .num_perf = 1,
    .clocks = clocks, .num_clocks = 3,
    .sensors = sensors, .num_sensors = DEMO_SENSORS,
    .resets = resets, .num_resets = 2,
    .voltages = volts, .num_voltages = 2,
    .powercaps = caps, .num_powercaps = 1,
    .pins = pins, .num_pins = 4,
    .groups = groups, .num_groups = 2,
    .functions = functions, .num_functions = 2,
    .protocols = AVPS_SCMI_PROTO_ALL,
};

static const struct avps_scmi_agent_cfg agents[DEMO_AGENTS] = {
    {"vm0", AVPS_SCMI_PROTO_ALL, {0x1ffu, 0}, true},
    {"vm1", AVPS_SCMI_PROTO_BIT(AVPS_SCMI_PROTO_SENSOR), {0x2u, 0}, false},
};

static struct demo_platform *dp_(void *ctx) { return ctx; }

/* A triangle wave, so readings change and stay in range. */
static int64_t wave_(uint64_t t, int64_t amp, uint32_t phase)
{
    const int64_t p = (int64_t)((t + phase) % 200u);

    return ((p < 100) ? p : (200 - p)) * amp / 100 - amp / 2;
}

static void readings_(struct demo_platform *d, uint32_t s, struct avps_scmi_reading *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (s == DEMO_ACCEL) {
            r[i].value = (i == 2u) ? 9807 + wave_(d->tick, 200, 0) : wave_(d->tick, 1000, 50u * i);
        } else if (s == DEMO_GYRO) {
            r[i].value = wave_(d->tick, 500, 30u * i);
        } else {
            r[i].value = 45000 + wave_(d->tick, 10000, 0);
        }
        r[i].timestamp = d->tick * 10u; /* milliseconds with ts_exp -3 */
    }
}

static int sensor_read(void *ctx, uint32_t s, struct avps_scmi_reading *r, uint32_t n, uint32_t h)
{
    (void)h;
    readings_(dp_(ctx), s, r, n);
    return AVPS_OK;
}
static int sensor_cfg_get(void *ctx, uint32_t s, uint32_t *cfg)
{
    *cfg = dp_(ctx)->sensor_cfg[s];
    return AVPS_OK;
}
static int sensor_cfg_set(void *ctx, uint32_t s, uint32_t cfg)
{
    struct demo_platform *d = dp_(ctx);
    uint32_t keep = d->sensor_cfg[s] & 0xffff0000u;

    /* an interval of 0 seconds keeps the current one */
    if ((cfg >> 16) != 0u) {
        keep = cfg & 0xfffff800u;
    } else {
        keep |= d->sensor_cfg[s] & 0xf800u;
    }
    d->sensor_cfg[s] = keep | (cfg & 3u);
    return AVPS_OK;
}
static int power_set(void *ctx, uint32_t dom, uint32_t st, uint32_t h)
{
    (void)h;
    dp_(ctx)->power_state[dom] = st;
    return AVPS_OK;
}
static int power_get(void *ctx, uint32_t dom, uint32_t *st)
{
    *st = dp_(ctx)->power_state[dom];
    return AVPS_OK;
}
static int sys_set(void *ctx, uint32_t agent, uint32_t flags, uint32_t st)
{
    (void)agent;
    (void)flags;
    dp_(ctx)->sys_state = st;
    return AVPS_OK;
}
static int sys_get(void *ctx, uint32_t *st)
{
    *st = dp_(ctx)->sys_state;
    return AVPS_OK;
}
static int perf_level_set(void *ctx, uint32_t dom, uint32_t l)
{
    (void)dom;
    dp_(ctx)->perf_level = l;
    return AVPS_OK;
}
static int perf_level_get(void *ctx, uint32_t dom, uint32_t *l)
{
    (void)dom;
    *l = dp_(ctx)->perf_level;
    return AVPS_OK;
}
static int perf_limits_set(void *ctx, uint32_t dom, uint32_t mx, uint32_t mn)
{
    (void)dom;
    dp_(ctx)->perf_max = mx;
    dp_(ctx)->perf_min = mn;
    return AVPS_OK;
}
static int perf_limits_get(void *ctx, uint32_t dom, uint32_t *mx, uint32_t *mn)
{
    (void)dom;
    *mx = dp_(ctx)->perf_max;
    *mn = dp_(ctx)->perf_min;
    return AVPS_OK;
}
static int clock_rate_set(void *ctx, uint32_t c, uint64_t rate, uint32_t h)
{
    (void)h;
    dp_(ctx)->clock_rate[c] = rate;
    return AVPS_OK;
}
static int clock_rate_get(void *ctx, uint32_t c, uint64_t *rate)
{
    *rate = dp_(ctx)->clock_rate[c];
    return AVPS_OK;
}
static int clock_enable(void *ctx, uint32_t c, bool on)
{
    dp_(ctx)->clock_on[c] = on;
    return AVPS_OK;
}
static int clock_enabled(void *ctx, uint32_t c, bool *on)
{
    *on = dp_(ctx)->clock_on[c];
    return AVPS_OK;
}
static int clock_parent_set(void *ctx, uint32_t c, uint32_t p)
{
    dp_(ctx)->clock_parent[c] = p;
    return AVPS_OK;
}
static int clock_parent_get(void *ctx, uint32_t c, uint32_t *p)
{
    *p = dp_(ctx)->clock_parent[c];
    return AVPS_OK;
}
static int reset_op(void *ctx, uint32_t dom, uint32_t flags, uint32_t st, uint32_t h)
{
    (void)ctx;
    (void)dom;
    (void)flags;
    (void)st;
    (void)h;
    return AVPS_OK;
}
static int volt_cfg_set(void *ctx, uint32_t dom, uint32_t cfg)
{
    dp_(ctx)->volt_cfg[dom] = cfg;
    return AVPS_OK;
}
static int volt_cfg_get(void *ctx, uint32_t dom, uint32_t *cfg)
{
    *cfg = dp_(ctx)->volt_cfg[dom];
    return AVPS_OK;
}
static int volt_set(void *ctx, uint32_t dom, int32_t uv, uint32_t h)
{
    (void)h;
    dp_(ctx)->volt_uv[dom] = uv;
    return AVPS_OK;
}
static int volt_get(void *ctx, uint32_t dom, int32_t *uv)
{
    *uv = dp_(ctx)->volt_uv[dom];
    return AVPS_OK;
}
static int cap_set(void *ctx, uint32_t dom, uint32_t cap, uint32_t h)
{
    (void)dom;
    (void)h;
    dp_(ctx)->cap = cap;
    return AVPS_OK;
}
static int cap_get(void *ctx, uint32_t dom, uint32_t *cap)
{
    (void)dom;
    *cap = dp_(ctx)->cap;
    return AVPS_OK;
}
static int pai_set(void *ctx, uint32_t dom, uint32_t pai)
{
    (void)dom;
    dp_(ctx)->pai = pai;
    return AVPS_OK;
}
static int pai_get(void *ctx, uint32_t dom, uint32_t *pai)
{
    (void)dom;
    *pai = dp_(ctx)->pai;
    return AVPS_OK;
}
static int measure(void *ctx, uint32_t dom, uint32_t *power_mw, uint32_t *pai)
{
    (void)dom;
    *power_mw = (uint32_t)(8000 + wave_(dp_(ctx)->tick, 2000, 0));
    *pai = dp_(ctx)->pai;
    return AVPS_OK;
}
static int pin_cfg_get(void *ctx, uint32_t type, uint32_t id, uint32_t ct, uint32_t *v)
{
    (void)ctx;
    if (ct > 3u) {
        return AVPS_E_INVAL; /* the demo pins know bias types 0..3 */
    }
    *v = (type << 8) | id;
    return AVPS_OK;
}
static int pin_configure(void *ctx, uint32_t type, uint32_t id, uint32_t fn,
                         const struct avps_scmi_pin_config *cfg, uint32_t n)
{
    (void)cfg;
    (void)n;
    if (fn != 0xffffffffu) {
        dp_(ctx)->pin_function[(type * 2u + id) & 3u] = fn;
    }
    return AVPS_OK;
}
static int pin_fn_get(void *ctx, uint32_t type, uint32_t id, uint32_t *fn)
{
    *fn = dp_(ctx)->pin_function[(type * 2u + id) & 3u];
    return AVPS_OK;
}

static const struct avps_scmi_ops ops = {
    .power_set = power_set, .power_get = power_get,
    .system_set = sys_set, .system_get = sys_get,
    .perf_level_set = perf_level_set, .perf_level_get = perf_level_get,
    .perf_limits_set = perf_limits_set, .perf_limits_get = perf_limits_get,
    .clock_rate_set = clock_rate_set, .clock_rate_get = clock_rate_get,
    .clock_enable = clock_enable, .clock_enabled = clock_enabled,
    .clock_parent_set = clock_parent_set, .clock_parent_get = clock_parent_get,
    .sensor_read = sensor_read, .sensor_config_get = sensor_cfg_get,
    .sensor_config_set = sensor_cfg_set,
    .reset = reset_op,
    .voltage_config_set = volt_cfg_set, .voltage_config_get = volt_cfg_get,
    .voltage_level_set = volt_set, .voltage_level_get = volt_get,
    .powercap_cap_set = cap_set, .powercap_cap_get = cap_get,
    .powercap_pai_set = pai_set, .powercap_pai_get = pai_get,
    .powercap_measure = measure,
    .pin_config_get = pin_cfg_get, .pin_configure = pin_configure,
    .pin_function_get = pin_fn_get,
};

int demo_platform_init(struct demo_platform *d)
{
    struct avps_scmi_cfg cfg;

    memset(d, 0, sizeof *d);
    d->perf_level = 600;
    d->perf_max = 800;
    d->perf_min = 200;
    d->clock_rate[0] = 24000000;
    d->clock_rate[1] = 500000000;
    d->clock_rate[2] = 1843200;
    d->volt_cfg[0] = 7;
    d->volt_uv[0] = 900000;
    d->volt_uv[1] = 3300000;
    d->cap = 10000;
    d->pai = 10000;
    for (uint32_t s = 0; s < DEMO_SENSORS; s++) {
        d->sensor_cfg[s] = (20u << 16) | ((uint32_t)(-3 & 31) << 11); /* 20 ms */
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.platform = &platform;
    cfg.ops = &ops;
    cfg.ctx = d;
    cfg.agent_cfg = agents;
    cfg.agents = d->agents;
    cfg.num_agents = DEMO_AGENTS;
    cfg.subs = d->subs;
    cfg.num_subs = sizeof d->subs / sizeof d->subs[0];
    cfg.pending = d->pending;
    cfg.num_pending = sizeof d->pending / sizeof d->pending[0];
    cfg.backlog = d->backlog;
    cfg.num_backlog = sizeof d->backlog / sizeof d->backlog[0];
    return avps_scmi_init(&d->scmi, &cfg);
}

int demo_platform_step(struct demo_platform *d)
{
    struct avps_scmi_reading r[3];
    int queued = 0;

    d->tick++;
    for (uint32_t s = 0; s < DEMO_SENSORS; s++) {
        const uint32_t n = (s == DEMO_TEMP) ? 1u : 3u;

        if ((d->sensor_cfg[s] & 1u) == 0u) {
            continue; /* disabled */
        }
        readings_(d, s, r, n);
        if (avps_scmi_sensor_update(&d->scmi, s, r, n) > 0) {
            queued++;
        }
    }
    return queued;
}

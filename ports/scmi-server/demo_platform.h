/*
 * The demo SCMI platform served by avps-scmi-server and avps-vhost-user
 * --device scmi: clocks, power, performance, reset, voltage and power-capping
 * domains, pins, a temperature sensor and an IMU (3-axis accelerometer and
 * gyroscope, described for the Linux IIO driver) with simulated readings.
 * Agent 1 ("vm0") is granted everything; agent 2 ("vm1") Base and Sensor
 * with the temperature sensor only.
 */
#ifndef AVPS_DEMO_PLATFORM_H
#define AVPS_DEMO_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include <avps/scmi.h>

#define DEMO_AGENTS 2u
#define DEMO_SENSORS 3u
#define DEMO_ACCEL 0u
#define DEMO_GYRO 1u
#define DEMO_TEMP 2u

struct demo_platform {
    struct avps_scmi scmi;
    struct avps_scmi_agent agents[DEMO_AGENTS];
    struct avps_scmi_sub subs[64];
    struct avps_scmi_slot pending[8];
    struct avps_scmi_slot backlog[32];
    /* simulated hardware */
    uint64_t tick;
    uint32_t sensor_cfg[DEMO_SENSORS];
    uint32_t power_state[3];
    uint32_t perf_level, perf_max, perf_min;
    uint64_t clock_rate[3];
    bool clock_on[3];
    uint32_t clock_parent[3];
    uint32_t volt_cfg[2];
    int32_t volt_uv[2];
    uint32_t cap, pai;
    uint32_t sys_state;
    uint32_t pin_function[4];
};

/* Set up the platform. Returns 0 or a negative avps_err. */
int demo_platform_init(struct demo_platform *d);
/* Advance the simulation one step and send SENSOR_UPDATE for the enabled
 * sensors. Returns the messages queued. */
int demo_platform_step(struct demo_platform *d);

#endif /* AVPS_DEMO_PLATFORM_H */

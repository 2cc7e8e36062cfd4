/**
 * @file scmi.h
 * @brief SCMI platform (server) core: the Arm System Control and Management
 *        Interface (DEN0056) seen from the platform side, independent of the
 *        transport.
 *
 * One struct avps_scmi is one SCMI platform. It serves several agents (one per
 * VM), each with its own protocol and device permissions. The embedding
 * program describes the platform's resources (power domains, performance
 * domains, clocks, sensors, reset domains, voltage domains, power-capping
 * domains, pins) in const tables it owns, and supplies a table of operations
 * that act on the hardware (struct avps_scmi_ops). Nothing is allocated:
 * agents, notification subscriptions, pending asynchronous commands and the
 * platform-to-agent (P2A) backlog live in arrays the caller passes with their
 * counts.
 *
 * A transport (virtio-scmi, a Unix socket, shared memory) hands each command
 * message to avps_scmi_handle() with the caller's agent id and a reply buffer
 * of stated capacity, and takes P2A messages (delayed responses and
 * notifications) with avps_scmi_p2a_pop().
 *
 * Two error domains stay apart (STYLE rule 8): functions return int values of
 * enum avps_err; SCMI status codes (AVPS_SCMI_* below) travel only on the
 * wire, inside the reply bytes.
 *
 * Threading: one struct avps_scmi is not thread-safe. Serialise every call on
 * it (including the transports of all its agents), for example by running
 * them on one thread or under one lock.
 */
#ifndef AVPS_SCMI_H
#define AVPS_SCMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup scmi SCMI platform core
 * @{ */

/** @name Protocol identifiers (DEN0056 §4.1)
 * @{ */
#define AVPS_SCMI_PROTO_BASE 0x10u     /**< Base protocol. */
#define AVPS_SCMI_PROTO_POWER 0x11u    /**< Power domain management. */
#define AVPS_SCMI_PROTO_SYSTEM 0x12u   /**< System power management. */
#define AVPS_SCMI_PROTO_PERF 0x13u     /**< Performance domain management. */
#define AVPS_SCMI_PROTO_CLOCK 0x14u    /**< Clock management. */
#define AVPS_SCMI_PROTO_SENSOR 0x15u   /**< Sensor management. */
#define AVPS_SCMI_PROTO_RESET 0x16u    /**< Reset domain management. */
#define AVPS_SCMI_PROTO_VOLTAGE 0x17u  /**< Voltage domain management. */
#define AVPS_SCMI_PROTO_POWERCAP 0x18u /**< Power capping and monitoring. */
#define AVPS_SCMI_PROTO_PINCTRL 0x19u  /**< Pin control. */
/** Protocol bit for avps_scmi_agent_cfg::protocols. */
#define AVPS_SCMI_PROTO_BIT(id) ((uint32_t)1u << ((uint32_t)(id) - 0x10u))
/** Every standard protocol this core implements (Base is always granted). */
#define AVPS_SCMI_PROTO_ALL 0x3ffu
/** @} */

/** @name Status codes (wire values, DEN0056 §4.1.4)
 * @{ */
#define AVPS_SCMI_SUCCESS 0           /**< Success. */
#define AVPS_SCMI_NOT_SUPPORTED (-1)  /**< Not supported. */
#define AVPS_SCMI_INVALID_PARAMETERS (-2) /**< Invalid parameters. */
#define AVPS_SCMI_DENIED (-3)         /**< Permission denied. */
#define AVPS_SCMI_NOT_FOUND (-4)      /**< Not found. */
#define AVPS_SCMI_OUT_OF_RANGE (-5)   /**< Out of range. */
#define AVPS_SCMI_BUSY (-6)           /**< Busy. */
#define AVPS_SCMI_COMMS_ERROR (-7)    /**< Communication error. */
#define AVPS_SCMI_GENERIC_ERROR (-8)  /**< Generic error. */
#define AVPS_SCMI_HARDWARE_ERROR (-9) /**< Hardware error. */
#define AVPS_SCMI_PROTOCOL_ERROR (-10) /**< Protocol error. */
#define AVPS_SCMI_IN_USE (-11)        /**< In use. */
/** @} */

/** @name Message header (DEN0056 §4.1.2)
 * @{ */
#define AVPS_SCMI_MSG_COMMAND 0u  /**< Command and its synchronous response. */
#define AVPS_SCMI_MSG_DELAYED 2u  /**< Delayed response. */
#define AVPS_SCMI_MSG_NOTIFY 3u   /**< Notification. */
/** Build a message header. */
#define AVPS_SCMI_HDR(msg, type, proto, token)                                  \
    ((((uint32_t)(msg)) & 0xffu) | ((((uint32_t)(type)) & 3u) << 8) |           \
     ((((uint32_t)(proto)) & 0xffu) << 10) | ((((uint32_t)(token)) & 0x3ffu) << 18))
#define AVPS_SCMI_HDR_MSG(h) ((h) & 0xffu)            /**< message_id of a header. */
#define AVPS_SCMI_HDR_TYPE(h) (((h) >> 8) & 3u)       /**< message_type of a header. */
#define AVPS_SCMI_HDR_PROTO(h) (((h) >> 10) & 0xffu)  /**< protocol_id of a header. */
#define AVPS_SCMI_HDR_TOKEN(h) (((h) >> 18) & 0x3ffu) /**< token of a header. */
/** @} */

/** @name Sensor units used by the IIO and hwmon drivers (DEN0056 sensor types)
 * @{ */
#define AVPS_SCMI_UNIT_NONE 0u         /**< No unit. */
#define AVPS_SCMI_UNIT_DEGC 2u         /**< Degrees Celsius. */
#define AVPS_SCMI_UNIT_VOLTS 5u        /**< Volts. */
#define AVPS_SCMI_UNIT_AMPS 6u         /**< Amperes. */
#define AVPS_SCMI_UNIT_WATTS 7u        /**< Watts. */
#define AVPS_SCMI_UNIT_RAD_PER_SEC 87u /**< Radians per second (gyroscope). */
#define AVPS_SCMI_UNIT_M_PER_SEC2 89u  /**< Metres per second squared (accelerometer). */
/** @} */

/** Largest P2A message (header, then payload) the core keeps; eventq buffers
 *  of Linux hold 136 bytes. */
#define AVPS_SCMI_MSG_MAX 136u
/** Bytes of a long (extended) resource name, with its NUL (DEN0056 *_NAME_GET). */
#define AVPS_SCMI_NAME_MAX 64u
/** Most device ids one platform describes (device permission bitmaps). */
#define AVPS_SCMI_MAX_DEVICES 64u
/** No pending handle: the operation must complete before it returns. */
#define AVPS_SCMI_NO_HANDLE 0xffffffffu
/** The transport cannot defer replies: pass as avps_scmi_handle()'s cookie and
 *  every operation completes before the call returns. */
#define AVPS_SCMI_NO_COOKIE (~(uint64_t)0)
/** An operation's return value meaning "accepted; I will finish it later with
 *  avps_scmi_complete() or avps_scmi_complete_sensor()". Only allowed when the
 *  operation was given a handle other than AVPS_SCMI_NO_HANDLE. */
#define AVPS_SCMI_OP_PENDING 1

/** @name Resource flags (bits of the flags member of each resource)
 * @{ */
#define AVPS_SCMI_F_ASYNC 0x01u   /**< Asynchronous commands (delayed responses). */
#define AVPS_SCMI_F_NOTIFY 0x02u  /**< Change notifications. */
#define AVPS_SCMI_F_TIMESTAMP 0x04u /**< Sensor: readings carry timestamps. */
#define AVPS_SCMI_F_NOTIFY2 0x08u /**< Second notification kind (change requested; powercap measurements). */
#define AVPS_SCMI_F_CONFIG 0x10u  /**< Powercap: cap configurable; perf: limits settable. */
#define AVPS_SCMI_F_CONFIG2 0x20u /**< Powercap: PAI configurable; perf: level settable. */
#define AVPS_SCMI_F_MONITOR 0x40u /**< Powercap: monitoring supported. */
/** @} */

/** One reading of a sensor axis (or of a scalar sensor). */
struct avps_scmi_reading {
    int64_t value;      /**< In the sensor's unit times 10^scale. */
    uint64_t timestamp; /**< In seconds times 10^ts_exp; 0 if not timestamped. */
};

/** One axis of a multi-axis sensor. */
struct avps_scmi_sensor_axis {
    const char *name;    /**< Name; the IIO driver needs ..._X, ..._Y, ..._Z. */
    uint8_t unit;        /**< AVPS_SCMI_UNIT_*. */
    int8_t scale;        /**< Power-of-ten exponent of the unit, -16..15. */
    int8_t res_exp;      /**< Exponent of resolution, -16..15. */
    uint32_t resolution; /**< 0: no extended attributes; else the resolution (27 bits). */
    int64_t min;         /**< Range minimum (with a resolution). */
    int64_t max;         /**< Range maximum (with a resolution). */
};

/** A sensor (DEN0056 sensor protocol 3.x). */
struct avps_scmi_sensor {
    const char *name;     /**< Name (longer than 15 bytes: extended name). */
    uint16_t device;      /**< Device id for permissions (< num_devices). */
    uint8_t unit;         /**< AVPS_SCMI_UNIT_* of a scalar sensor. */
    int8_t scale;         /**< Power-of-ten exponent, -16..15. */
    uint8_t flags;        /**< AVPS_SCMI_F_ASYNC, _NOTIFY (continuous update), _TIMESTAMP. */
    int8_t ts_exp;        /**< Timestamp exponent, -16..15. */
    uint8_t num_trips;    /**< Trip points per agent (0..255). */
    uint8_t num_axes;     /**< 0: scalar; else entries of axes (1..63). */
    const struct avps_scmi_sensor_axis *axes; /**< num_axes entries; axis ids are indices. */
    const uint32_t *intervals; /**< Update intervals, each (seconds << 5) | (exponent & 31). */
    uint16_t num_intervals;    /**< Entries of intervals (3 when segmented). */
    bool segmented;            /**< intervals is {lowest, highest, step}. */
};

/** A power domain. */
struct avps_scmi_power_domain {
    const char *name; /**< Name. */
    uint16_t device;  /**< Device id for permissions. */
    uint8_t flags;    /**< AVPS_SCMI_F_ASYNC, _NOTIFY, _NOTIFY2 (change requested). */
};

/** One performance level. */
struct avps_scmi_perf_level {
    uint32_t perf;       /**< Performance level value. */
    uint32_t power;      /**< Power cost (mW or abstract). */
    uint16_t latency_us; /**< Transition latency. */
    uint32_t freq_khz;   /**< Indicative frequency. */
};

/** A performance domain. */
struct avps_scmi_perf_domain {
    const char *name;    /**< Name. */
    uint16_t device;     /**< Device id for permissions. */
    uint8_t flags;       /**< AVPS_SCMI_F_CONFIG (limits), _CONFIG2 (level), _NOTIFY (limits), _NOTIFY2 (level). */
    const struct avps_scmi_perf_level *levels; /**< Ascending by perf. */
    uint16_t num_levels; /**< Entries of levels (>= 1). */
    uint32_t rate_limit_us;   /**< Minimum time between level changes. */
    uint32_t sustained_khz;   /**< Sustained frequency. */
    uint32_t sustained_level; /**< Sustained performance level. */
};

/** A clock. */
struct avps_scmi_clock {
    const char *name;     /**< Name. */
    uint16_t device;      /**< Device id for permissions. */
    uint8_t flags;        /**< AVPS_SCMI_F_ASYNC, _NOTIFY (rate changed), _NOTIFY2 (change requested). */
    bool range;           /**< rates is {lowest, highest, step}. */
    const uint64_t *rates; /**< Rates in Hz, ascending (or the range triplet). */
    uint16_t num_rates;   /**< Entries of rates (3 for a range). */
    uint32_t enable_delay_us; /**< Enable latency. */
    const uint32_t *parents;  /**< Possible parent clock ids, or NULL. */
    uint8_t num_parents;      /**< Entries of parents. */
};

/** A reset domain. */
struct avps_scmi_reset_domain {
    const char *name;    /**< Name. */
    uint16_t device;     /**< Device id for permissions. */
    uint8_t flags;       /**< AVPS_SCMI_F_ASYNC, _NOTIFY. */
    uint32_t latency_us; /**< Reset latency (0xffffffff: unknown). */
};

/** A voltage domain. */
struct avps_scmi_voltage_domain {
    const char *name;      /**< Name. */
    uint16_t device;       /**< Device id for permissions. */
    uint8_t flags;         /**< AVPS_SCMI_F_ASYNC. */
    bool range;            /**< levels is {lowest, highest, step}. */
    const int32_t *levels; /**< Levels in microvolts, ascending (or the range triplet). */
    uint16_t num_levels;   /**< Entries of levels (3 for a range). */
};

/** A power-capping domain. */
struct avps_scmi_powercap_domain {
    const char *name;   /**< Name. */
    uint16_t device;    /**< Device id for permissions. */
    uint8_t flags;      /**< AVPS_SCMI_F_CONFIG (cap), _CONFIG2 (PAI), _MONITOR, _NOTIFY (cap), _NOTIFY2 (measurements), _ASYNC. */
    uint8_t unit;       /**< 0 abstract, 1 microwatts, 2 milliwatts. */
    uint32_t min_pai;   /**< Lowest power averaging interval (µs). */
    uint32_t max_pai;   /**< Highest power averaging interval. */
    uint32_t pai_step;  /**< PAI step (0 when min == max). */
    uint32_t min_cap;   /**< Lowest power cap. */
    uint32_t max_cap;   /**< Highest power cap. */
    uint32_t cap_step;  /**< Cap step (0 when min == max). */
    uint32_t sustainable; /**< Sustainable power. */
    uint32_t accuracy;  /**< Accuracy (DEN0056 encoding). */
    uint32_t parent;    /**< Parent domain id, 0xffffffff for none. */
};

/** A pin. */
struct avps_scmi_pin {
    const char *name; /**< Name. */
    uint16_t device;  /**< Device id for permissions. */
};

/** A group of pins. */
struct avps_scmi_pin_group {
    const char *name;     /**< Name. */
    uint16_t device;      /**< Device id for permissions. */
    const uint16_t *pins; /**< Pin ids. */
    uint16_t num_pins;    /**< Entries of pins. */
};

/** A pin function. */
struct avps_scmi_pin_function {
    const char *name;       /**< Name. */
    const uint16_t *groups; /**< Group ids the function can be selected on. */
    uint16_t num_groups;    /**< Entries of groups. */
};

/** One pin configuration setting (type, value). */
struct avps_scmi_pin_config {
    uint32_t type;  /**< DEN0056 pin configuration type (0..255). */
    uint32_t value; /**< Its value. */
};

/**
 * The platform's operations. Every member is optional: a command whose
 * operation is missing answers NOT_SUPPORTED. Each returns AVPS_OK, or
 * AVPS_SCMI_OP_PENDING where documented, or a negative avps_err that the core
 * maps to a wire status: AVPS_E_INVAL → INVALID_PARAMETERS, AVPS_E_STATE →
 * DENIED, AVPS_E_AGAIN → BUSY, AVPS_E_NOSPC → OUT_OF_RANGE, anything else →
 * HARDWARE_ERROR. Identifiers have been checked against the tables and the
 * agent's permissions before an operation is called. @p handle, where present,
 * is AVPS_SCMI_NO_HANDLE or a pending handle for AVPS_SCMI_OP_PENDING.
 */
struct avps_scmi_ops {
    /** Power domain: set state (@p handle for an asynchronous set). */
    int (*power_set)(void *ctx, uint32_t domain, uint32_t state, uint32_t handle);
    /** Power domain: current state. */
    int (*power_get)(void *ctx, uint32_t domain, uint32_t *state);
    /** System power: change the system state (agent asks; flags bit0 graceful). */
    int (*system_set)(void *ctx, uint32_t agent, uint32_t flags, uint32_t state);
    /** System power: current system state. */
    int (*system_get)(void *ctx, uint32_t *state);
    /** Performance: set level (the value is one of the domain's levels). */
    int (*perf_level_set)(void *ctx, uint32_t domain, uint32_t level);
    /** Performance: current level. */
    int (*perf_level_get)(void *ctx, uint32_t domain, uint32_t *level);
    /** Performance: set limits (checked: levels of the domain, min <= max). */
    int (*perf_limits_set)(void *ctx, uint32_t domain, uint32_t max, uint32_t min);
    /** Performance: current limits. */
    int (*perf_limits_get)(void *ctx, uint32_t domain, uint32_t *max, uint32_t *min);
    /** Clock: set rate (already rounded to a supported rate). */
    int (*clock_rate_set)(void *ctx, uint32_t clock, uint64_t rate, uint32_t handle);
    /** Clock: current rate. */
    int (*clock_rate_get)(void *ctx, uint32_t clock, uint64_t *rate);
    /** Clock: enable or disable. */
    int (*clock_enable)(void *ctx, uint32_t clock, bool on);
    /** Clock: enabled? */
    int (*clock_enabled)(void *ctx, uint32_t clock, bool *on);
    /** Clock: select a parent (one of the clock's parents). */
    int (*clock_parent_set)(void *ctx, uint32_t clock, uint32_t parent);
    /** Clock: current parent. */
    int (*clock_parent_get)(void *ctx, uint32_t clock, uint32_t *parent);
    /** Sensor: read every axis (or the one scalar value) into r[0..n). */
    int (*sensor_read)(void *ctx, uint32_t sensor, struct avps_scmi_reading *r, uint32_t n,
                       uint32_t handle);
    /** Sensor: the sensor configuration word (DEN0056 CONFIG_GET). */
    int (*sensor_config_get)(void *ctx, uint32_t sensor, uint32_t *cfg);
    /** Sensor: set the configuration word (reserved bits checked). */
    int (*sensor_config_set)(void *ctx, uint32_t sensor, uint32_t cfg);
    /** Reset domain: reset (flags bit0 autonomous, bit1 explicit assert). */
    int (*reset)(void *ctx, uint32_t domain, uint32_t flags, uint32_t state, uint32_t handle);
    /** Voltage: set the configuration (0 off, 7 on, or vendor values). */
    int (*voltage_config_set)(void *ctx, uint32_t domain, uint32_t cfg);
    /** Voltage: configuration. */
    int (*voltage_config_get)(void *ctx, uint32_t domain, uint32_t *cfg);
    /** Voltage: set the level in microvolts (one of the domain's levels). */
    int (*voltage_level_set)(void *ctx, uint32_t domain, int32_t uv, uint32_t handle);
    /** Voltage: current level. */
    int (*voltage_level_get)(void *ctx, uint32_t domain, int32_t *uv);
    /** Power capping: set the cap (checked against the domain's range). */
    int (*powercap_cap_set)(void *ctx, uint32_t domain, uint32_t cap, uint32_t handle);
    /** Power capping: current cap. */
    int (*powercap_cap_get)(void *ctx, uint32_t domain, uint32_t *cap);
    /** Power capping: set the averaging interval (checked). */
    int (*powercap_pai_set)(void *ctx, uint32_t domain, uint32_t pai);
    /** Power capping: current averaging interval. */
    int (*powercap_pai_get)(void *ctx, uint32_t domain, uint32_t *pai);
    /** Power capping: measured power and its averaging interval. */
    int (*powercap_measure)(void *ctx, uint32_t domain, uint32_t *power, uint32_t *pai);
    /** Pin control: one setting of a pin (type 0) or group (type 1). */
    int (*pin_config_get)(void *ctx, uint32_t type, uint32_t id, uint32_t config_type,
                          uint32_t *value);
    /** Pin control: apply settings and/or select function (0xffffffff: keep). */
    int (*pin_configure)(void *ctx, uint32_t type, uint32_t id, uint32_t function,
                         const struct avps_scmi_pin_config *cfg, uint32_t n);
    /** Pin control: the selected function of a pin or group (0xffffffff: none). */
    int (*pin_function_get)(void *ctx, uint32_t type, uint32_t id, uint32_t *function);
};

/** The platform description: caller-owned const tables. */
struct avps_scmi_platform {
    const char *vendor;      /**< DISCOVER_VENDOR (≤ 15 bytes used). */
    const char *sub_vendor;  /**< DISCOVER_SUB_VENDOR (≤ 15 bytes used). */
    const struct avps_scmi_power_domain *power;     /**< Power domains. */
    const struct avps_scmi_perf_domain *perf;       /**< Performance domains. */
    const struct avps_scmi_clock *clocks;           /**< Clocks. */
    const struct avps_scmi_sensor *sensors;         /**< Sensors. */
    const struct avps_scmi_reset_domain *resets;    /**< Reset domains. */
    const struct avps_scmi_voltage_domain *voltages; /**< Voltage domains. */
    const struct avps_scmi_powercap_domain *powercaps; /**< Power-capping domains. */
    const struct avps_scmi_pin *pins;               /**< Pins. */
    const struct avps_scmi_pin_group *groups;       /**< Pin groups. */
    const struct avps_scmi_pin_function *functions; /**< Pin functions. */
    uint32_t impl_version;   /**< DISCOVER_IMPLEMENTATION_VERSION. */
    uint32_t protocols;      /**< AVPS_SCMI_PROTO_BIT()s the platform implements. */
    uint16_t num_devices;    /**< Device ids 0..num_devices-1 (≤ AVPS_SCMI_MAX_DEVICES). */
    uint16_t num_power;      /**< Entries of power. */
    uint16_t num_perf;       /**< Entries of perf. */
    uint16_t num_clocks;     /**< Entries of clocks. */
    uint16_t num_sensors;    /**< Entries of sensors. */
    uint16_t num_resets;     /**< Entries of resets. */
    uint16_t num_voltages;   /**< Entries of voltages. */
    uint16_t num_powercaps;  /**< Entries of powercaps. */
    uint16_t num_pins;       /**< Entries of pins. */
    uint16_t num_groups;     /**< Entries of groups. */
    uint16_t num_functions;  /**< Entries of functions. */
    uint8_t system_flags;    /**< System power attributes: bit0 warm reset, bit1 suspend. */
};

/** Words of a device permission bitmap. */
#define AVPS_SCMI_DEV_WORDS (AVPS_SCMI_MAX_DEVICES / 32u)

/** What one agent is granted at start and after a permission reset. */
struct avps_scmi_agent_cfg {
    const char *name;     /**< DISCOVER_AGENT name (≤ 15 bytes used). */
    uint32_t protocols;   /**< AVPS_SCMI_PROTO_BIT()s granted (Base always is). */
    uint32_t devices[AVPS_SCMI_DEV_WORDS]; /**< Bitmap of device ids granted. */
    bool trusted;         /**< May change other agents' permissions and reset them. */
};

/** Per-agent state. Caller-allocated array; members are private. */
struct avps_scmi_agent {
    /** @cond PRIVATE */
    uint32_t protocols;
    uint32_t devices[AVPS_SCMI_DEV_WORDS];
    uint8_t p2a;
    uint8_t notify_errors;
    void (*kick)(void *kctx, uint32_t agent);
    void *kctx;
    uint64_t dropped;
    /** @endcond */
};

/** A notification subscription or trip point. Caller-allocated array; private. */
struct avps_scmi_sub {
    /** @cond PRIVATE */
    uint16_t agent; /* 0: free */
    uint8_t proto;
    uint8_t kind;
    uint32_t id;
    uint32_t arg;
    int64_t value;
    int64_t last;
    uint8_t has_last;
    /** @endcond */
};

/** A pending asynchronous command, or a queued P2A message (the backlog).
 *  Caller-allocated arrays; members are private. */
struct avps_scmi_slot {
    /** @cond PRIVATE */
    uint32_t seq;
    uint16_t agent; /* 0: free */
    uint8_t state;
    uint8_t kind;
    uint32_t hdr;
    uint32_t id;
    uint64_t cookie;
    uint16_t len;
    uint8_t data[AVPS_SCMI_MSG_MAX];
    /** @endcond */
};

/** Configuration for avps_scmi_init(). */
struct avps_scmi_cfg {
    const struct avps_scmi_platform *platform; /**< Must outlive the object. */
    const struct avps_scmi_ops *ops;           /**< Must outlive the object. */
    void *ctx;                                 /**< Passed to every op. */
    const struct avps_scmi_agent_cfg *agent_cfg; /**< Agents 1..num_agents; must outlive. */
    struct avps_scmi_agent *agents;            /**< num_agents entries of state. */
    uint32_t num_agents;                       /**< 1..254. */
    struct avps_scmi_sub *subs;                /**< Subscriptions and trip points. */
    uint32_t num_subs;                         /**< Entries of subs (may be 0). */
    struct avps_scmi_slot *pending;            /**< Pending async commands. */
    uint32_t num_pending;                      /**< Entries of pending (≤ 255; may be 0). */
    struct avps_scmi_slot *backlog;            /**< Queued notifications. */
    uint32_t num_backlog;                      /**< Entries of backlog (may be 0). */
};

/** The platform object. Caller-allocated; members are private. */
struct avps_scmi {
    /** @cond PRIVATE */
    struct avps_scmi_cfg cfg;
    uint32_t seq;
    uint64_t dropped;
    uint64_t errors;
    /** @endcond */
};

/**
 * @brief Set up a platform.
 * @param[out] s    The object.
 * @param[in]  cfg  Copied; the arrays and tables it names must outlive s.
 * @retval AVPS_OK       Ready.
 * @retval AVPS_E_INVAL  NULL argument, no platform or ops, agent count out of
 *                       range, more than 255 pending slots, a table count
 *                       without its table, or num_devices too large.
 * @par Context
 * Setup time; calls nothing.
 */
int avps_scmi_init(struct avps_scmi *s, const struct avps_scmi_cfg *cfg);

/**
 * @brief Handle one command message from an agent.
 * Parses the header, checks the message type, the protocol, the message id and
 * the exact payload length, then the agent's permissions, then runs the
 * command. The reply (header, status, return values) is written to @p rsp;
 * multi-part replies hold as many items as fit in @p rsp_cap. A failed command
 * gets the 8-byte reply (header and status).
 * @param[in,out] s        The platform.
 * @param[in]     agent    The calling agent, 1..num_agents.
 * @param[in]     req      The message: header, then parameters (little endian).
 * @param[in]     req_len  Bytes of req.
 * @param[out]    rsp      Reply buffer.
 * @param[in]     rsp_cap  Bytes of rsp.
 * @param[in]     cookie   The transport's id for this command; returned by
 *                         avps_scmi_deferred_pop() if the reply is deferred,
 *                         or AVPS_SCMI_NO_COOKIE: never defer.
 * @retval >0  Bytes of the reply in rsp.
 * @retval 0   The reply is deferred: the platform finishes the command later and
 *             the reply comes from avps_scmi_deferred_pop() (the agent is kicked).
 * @retval AVPS_E_GUEST_REQ  req_len < 4 (no header) or rsp_cap < 8: no reply at all.
 * @retval AVPS_E_INVAL      agent out of range, or NULL buffers.
 * @par Context
 * Any thread, serialised with every other call on s. Calls the platform ops;
 * never calls a kick function.
 */
int avps_scmi_handle(struct avps_scmi *s, uint32_t agent, const void *req, uint32_t req_len,
                     void *rsp, uint32_t rsp_cap, uint64_t cookie);

/**
 * @brief Take the agent's next P2A message (delayed response or notification),
 *        oldest first.
 * One message per call: a notification larger than @p cap is dropped
 * (counted) and 0 returned; a delayed response that does not fit is answered
 * in its 8-byte COMMS_ERROR form (or kept, when cap < 8).
 * @retval >0  Bytes written to buf.
 * @retval 0   Nothing queued, a notification was dropped, or cap < 8 for a
 *             delayed response.
 * @retval AVPS_E_INVAL  agent out of range or buf NULL.
 * @par Context
 * As avps_scmi_handle().
 */
int avps_scmi_p2a_pop(struct avps_scmi *s, uint32_t agent, void *buf, uint32_t cap);

/** @brief True when the agent has a P2A message queued. */
bool avps_scmi_p2a_pending(const struct avps_scmi *s, uint32_t agent);

/**
 * @brief Take a finished deferred synchronous reply of the agent.
 * @param[in,out] s    The platform.
 * @param[in]  agent   The agent, 1..num_agents.
 * @param[out] cookie  The cookie given to avps_scmi_handle().
 * @param[out] buf     Reply buffer.
 * @param[in]  cap     Bytes of buf (≥ 8).
 * @retval >0  Bytes written to buf.  @retval 0  None ready.
 * @retval AVPS_E_INVAL  agent out of range, NULL argument, or cap < 8.
 * @par Context
 * As avps_scmi_handle().
 */
int avps_scmi_deferred_pop(struct avps_scmi *s, uint32_t agent, uint64_t *cookie, void *buf,
                           uint32_t cap);

/**
 * @brief Declare the agent's transport: whether it can carry P2A messages
 *        (virtio: VIRTIO_SCMI_F_P2A_CHANNELS negotiated), and whom to kick when
 *        a P2A message or deferred reply becomes ready outside avps_scmi_handle().
 * Without P2A the agent is told of no notification or delayed response:
 * notify commands and asynchronous requests answer NOT_SUPPORTED.
 * @retval AVPS_OK  Done.  @retval AVPS_E_INVAL  agent out of range.
 * @par Context
 * As avps_scmi_handle().
 */
int avps_scmi_agent_bind(struct avps_scmi *s, uint32_t agent, bool p2a,
                         void (*kick)(void *kctx, uint32_t agent), void *kctx);

/**
 * @brief Reset an agent's state: its subscriptions, trip points, queued P2A
 *        messages and deferred replies are dropped; a pending command's later
 *        completion is discarded. Permissions go back to the agent's
 *        configuration when @p permissions is true. Other agents are untouched.
 * @retval AVPS_OK  Done.  @retval AVPS_E_INVAL  agent out of range.
 * @par Context
 * As avps_scmi_handle().
 */
int avps_scmi_agent_reset(struct avps_scmi *s, uint32_t agent, bool permissions);

/**
 * @brief Finish a pending command (clock rate set, power state set, reset,
 *        voltage level set, power cap set) whose operation returned
 *        AVPS_SCMI_OP_PENDING.
 * @param[in,out] s   The platform.
 * @param[in] handle  The handle the operation was given.
 * @param[in] err     AVPS_OK or a negative avps_err (mapped to a wire status).
 * @param[in] value   The value the delayed response reports (rate, level, cap).
 * @retval AVPS_OK       Queued for delivery (the agent is kicked), or
 *                       discarded because the agent was reset meanwhile.
 * @retval AVPS_E_INVAL  No such pending handle, or it needs readings.
 * @par Context
 * As avps_scmi_handle(); calls the agent's kick.
 */
int avps_scmi_complete(struct avps_scmi *s, uint32_t handle, int err, uint64_t value);

/**
 * @brief Finish a pending sensor read (synchronous or asynchronous).
 * @param[in,out] s   The platform.
 * @param[in] handle  The handle sensor_read was given.
 * @param[in] err     AVPS_OK or a negative avps_err (mapped to a wire status).
 * @param[in] r       n readings, one per axis (one for a scalar sensor).
 * @param[in] n       Entries of r.
 * @retval AVPS_OK       Queued (the agent is kicked), or discarded after a reset.
 * @retval AVPS_E_INVAL  No such pending sensor read, or n differs from the axes.
 * @par Context
 * As avps_scmi_complete().
 */
int avps_scmi_complete_sensor(struct avps_scmi *s, uint32_t handle, int err,
                              const struct avps_scmi_reading *r, uint32_t n);

/**
 * @brief New sensor readings: send SENSOR_UPDATE to subscribed agents (the
 *        latest one per agent and sensor is kept while undelivered), and trip
 *        point events for trip points the value crossed.
 * @retval >=0  Messages queued.  @retval AVPS_E_INVAL  Unknown sensor or n wrong.
 * @par Context
 * As avps_scmi_complete(); calls the kick of agents that got a message.
 */
int avps_scmi_sensor_update(struct avps_scmi *s, uint32_t sensor,
                            const struct avps_scmi_reading *r, uint32_t n);

/**
 * @brief A platform event: queue notification @p event of protocol @p proto
 *        about resource @p id to every subscribed agent. The payload is the
 *        causing agent (0: the platform), id, then words[0..n).
 * @retval >=0  Messages queued.  @retval AVPS_E_INVAL  Unknown protocol or
 *          event, or too many words.
 * @par Context
 * As avps_scmi_complete().
 */
int avps_scmi_notify(struct avps_scmi *s, uint32_t cause, uint32_t proto, uint32_t event,
                     uint32_t id, const uint32_t *words, uint32_t n);

/** @brief Notifications dropped so far (full backlog, or a buffer too small). */
uint64_t avps_scmi_dropped(const struct avps_scmi *s);
/** @brief Malformed messages seen so far (bad header, type or length). */
uint64_t avps_scmi_errors(const struct avps_scmi *s);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_SCMI_H */

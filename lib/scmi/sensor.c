/*
 * SCMI Sensor protocol (0x15, version 3.1; DEN0056 §4.7): descriptions, axis
 * descriptions, update intervals, configuration, synchronous and asynchronous
 * readings, trip points, continuous-update and trip-point notifications.
 * Written so the Linux IIO driver (scmi_iio) binds a 3-axis accelerometer or
 * gyroscope: axes named ..._X/_Y/_Z with ids 0..2, units 89 or 87.
 */
#include "scmi_priv.h"

#define SENSOR_DESCRIPTION_GET 0x3u
#define SENSOR_TRIP_POINT_NOTIFY 0x4u
#define SENSOR_TRIP_POINT_CONFIG 0x5u
#define SENSOR_READING_GET 0x6u
#define SENSOR_AXIS_DESCRIPTION_GET 0x7u
#define SENSOR_LIST_UPDATE_INTERVALS 0x8u
#define SENSOR_CONFIG_GET 0x9u
#define SENSOR_CONFIG_SET 0xau
#define SENSOR_CONTINUOUS_UPDATE_NOTIFY 0xbu
#define SENSOR_NAME_GET 0xcu
#define SENSOR_AXIS_NAME_GET 0xdu

#define EV_TRIP 0u
#define EV_UPDATE 1u

#define DESC_SIZE 28u      /* id, attributes low/high, 16-byte name */
#define AXIS_DESC_SIZE 28u /* the same; +20 with extended attributes */
#define AXIS_EXT_SIZE 20u  /* resolution, min lo/hi, max lo/hi */
#define AXIS_NAME_SIZE 68u /* axis id, 64-byte name */

static const struct avps_scmi_sensor *sensor_(const struct scmi_msg *m, uint32_t id)
{
    return &m->s->cfg.platform->sensors[id];
}

/* Resolve a sensor id parameter: NOT_FOUND or DENIED, else SUCCESS. */
static int32_t sn_check_(const struct scmi_msg *m, uint32_t id)
{
    if (id >= m->s->cfg.platform->num_sensors) {
        return AVPS_SCMI_NOT_FOUND;
    }
    return avps_scmi_dev_ok_(m, sensor_(m, id)->device) ? AVPS_SCMI_SUCCESS : AVPS_SCMI_DENIED;
}

static uint32_t sn_readings_of_(const struct avps_scmi_sensor *sn)
{
    return (sn->num_axes == 0u) ? 1u : sn->num_axes;
}

/* Asynchronous reads need a P2A channel, the flag, and a delayed response
 * (header, status, id, 16 bytes per reading) that fits a P2A message. */
static bool sn_async_ok_(const struct scmi_msg *m, const struct avps_scmi_sensor *sn)
{
    return scmi_p2a_(m) && ((sn->flags & AVPS_SCMI_F_ASYNC) != 0u) &&
           (m->s->cfg.num_pending != 0u) && ((12u + (16u * sn_readings_of_(sn))) <= AVPS_SCMI_MSG_MAX);
}

static bool sn_update_ok_(const struct scmi_msg *m, const struct avps_scmi_sensor *sn)
{
    return scmi_p2a_(m) && ((sn->flags & AVPS_SCMI_F_NOTIFY) != 0u) &&
           ((12u + (16u * sn_readings_of_(sn))) <= AVPS_SCMI_MSG_MAX);
}

static uint32_t sn_exp5_(int8_t e)
{
    return (uint32_t)(uint8_t)e & 0x1fu;
}

static int32_t sensor_attributes_(struct scmi_msg *m)
{
    const uint32_t pend = scmi_p2a_(m) ? m->s->cfg.num_pending : 0u;

    scmi_put32_(m, (uint32_t)m->s->cfg.platform->num_sensors | (pend << 16));
    scmi_put32_(m, 0); /* no Sensor Values Shared Memory */
    scmi_put32_(m, 0);
    scmi_put32_(m, 0);
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_description_(struct scmi_msg *m)
{
    const uint32_t first = scmi_arg_(m, 0);
    const uint32_t total = m->s->cfg.platform->num_sensors;
    uint32_t k;

    if (first > total) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / DESC_SIZE) : 0u;
    if (k > (total - first)) {
        k = total - first;
    }
    scmi_put32_(m, k | ((total - first - k) << 16));
    for (uint32_t i = first; i < (first + k); i++) {
        const struct avps_scmi_sensor *sn = sensor_(m, i);
        uint32_t lo = sn->num_trips;
        uint32_t hi = (uint32_t)sn->unit | (sn_exp5_(sn->scale) << 11);

        if (sn_async_ok_(m, sn)) {
            lo |= SCMI_BIT(31);
        }
        if (sn_update_ok_(m, sn)) {
            lo |= SCMI_BIT(30);
        }
        if (scmi_long_name_(sn->name)) {
            lo |= SCMI_BIT(29);
        }
        if ((sn->flags & AVPS_SCMI_F_TIMESTAMP) != 0u) {
            lo |= SCMI_BIT(9) | (sn_exp5_(sn->ts_exp) << 10);
        }
        if (sn->num_axes != 0u) {
            hi |= SCMI_BIT(8) | ((uint32_t)(sn->num_axes & 0x3fu) << 16);
        }
        scmi_put32_(m, i);
        scmi_put32_(m, lo);
        scmi_put32_(m, hi);
        avps_scmi_put_name_(m, sn->name, 16u);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_trip_notify_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t ctl = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((ctl & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (sensor_(m, id)->num_trips == 0u) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_subscribe_(m, EV_TRIP, id, (ctl & 1u) != 0u);
}

static int32_t sensor_trip_config_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t ctl = scmi_arg_(m, 1);
    const uint32_t trip = (ctl >> 4) & 0xffu;
    const uint32_t dir = ctl & 3u;
    int32_t st = sn_check_(m, id);
    struct avps_scmi_sub *u;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (((ctl & ~0xff3u) != 0u) || (trip >= sensor_(m, id)->num_trips)) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    u = avps_scmi_sub_find_(m->s, m->agent, AVPS_SCMI_PROTO_SENSOR, SUB_TRIP, id | (trip << 16));
    if (dir == 0u) {
        if (u != NULL) {
            (void)AVPS_MEMSET(u, 0, sizeof *u);
        }
        return AVPS_SCMI_SUCCESS;
    }
    if (u == NULL) {
        u = avps_scmi_sub_new_(m->s);
        if (u == NULL) {
            return AVPS_SCMI_BUSY;
        }
        u->agent = (uint16_t)m->agent;
        u->proto = AVPS_SCMI_PROTO_SENSOR;
        u->kind = SUB_TRIP;
        u->id = id | (trip << 16);
    }
    u->arg = dir;
    {
        const uint64_t hi = scmi_arg_(m, 3);
        const uint64_t v = (uint64_t)scmi_arg_(m, 2) | (hi << 32);

        u->value = (int64_t)v;
    }
    u->has_last = 0;
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_reading_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t flags = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);
    const struct avps_scmi_sensor *sn;
    const struct avps_scmi_ops *ops = m->s->cfg.ops;
    struct avps_scmi_reading r[63];
    struct avps_scmi_slot *slot = NULL;
    uint32_t handle = AVPS_SCMI_NO_HANDLE;
    uint32_t n;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((flags & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    sn = sensor_(m, id);
    n = sn_readings_of_(sn);
    if (ops->sensor_read == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if ((flags & 1u) != 0u) {
        if (!sn_async_ok_(m, sn)) {
            return AVPS_SCMI_NOT_SUPPORTED;
        }
        slot = avps_scmi_pending_new_(m, KIND_DELAYED, id);
        if (slot == NULL) {
            return AVPS_SCMI_BUSY;
        }
    } else {
        if (scmi_room_(m) < (16u * n)) {
            m->overflow = true; /* the reply cannot fit: COMMS_ERROR */
            return AVPS_SCMI_SUCCESS;
        }
        if (m->cookie != AVPS_SCMI_NO_COOKIE) {
            slot = avps_scmi_pending_new_(m, KIND_DEFERRED, id); /* may be NULL */
        }
    }
    if (slot != NULL) {
        handle = avps_scmi_handle_of_(m->s, slot);
    }
    (void)AVPS_MEMSET(r, 0, sizeof r);
    err = ops->sensor_read(m->s->cfg.ctx, id, r, n, handle);
    if ((err == AVPS_SCMI_OP_PENDING) && (slot != NULL)) {
        m->deferred = (slot->kind == KIND_DEFERRED);
        return AVPS_SCMI_SUCCESS; /* async: the sync reply is just SUCCESS */
    }
    if (err == AVPS_SCMI_OP_PENDING) {
        err = AVPS_E_IO; /* pending without a handle: the platform's bug */
    }
    if (err != AVPS_OK) {
        if (slot != NULL) {
            avps_scmi_slot_free_(slot);
        }
        return avps_scmi_status_(err);
    }
    if ((flags & 1u) != 0u) {
        uint32_t w[AVPS_SCMI_MSG_MAX / 4u];

        w[0] = id;
        avps_scmi_slot_ready_(m->s, slot,  AVPS_SCMI_SUCCESS, w,
                              1u + avps_scmi_readings_words_(&w[1], (AVPS_SCMI_MSG_MAX / 4u) - 3u, r, n));
        return AVPS_SCMI_SUCCESS;
    }
    if (slot != NULL) {
        avps_scmi_slot_free_(slot);
    }
    for (uint32_t i = 0; i < n; i++) {
        scmi_put64_(m, (uint64_t)r[i].value);
        scmi_put64_(m, ((sn->flags & AVPS_SCMI_F_TIMESTAMP) != 0u) ? r[i].timestamp : 0u);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_axis_description_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);
    const struct avps_scmi_sensor *sn;
    uint32_t room;
    uint32_t k = 0;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    sn = sensor_(m, id);
    if (sn->num_axes == 0u) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (first > sn->num_axes) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    room = (scmi_room_(m) >= 4u) ? (scmi_room_(m) - 4u) : 0u;
    for (uint32_t i = first; i < sn->num_axes; i++) {
        uint32_t sz = AXIS_DESC_SIZE;

        if (sn->axes[i].resolution != 0u) {
            sz += AXIS_EXT_SIZE;
        }

        if (sz > room) {
            break;
        }
        room -= sz;
        k++;
    }
    scmi_put32_(m, k | ((uint32_t)(sn->num_axes - first - k) << 26));
    for (uint32_t i = first; i < (first + k); i++) {
        const struct avps_scmi_sensor_axis *ax = &sn->axes[i];
        uint32_t lo = 0;

        if (ax->resolution != 0u) {
            lo |= SCMI_BIT(8);
        }
        if (scmi_long_name_(ax->name)) {
            lo |= SCMI_BIT(9);
        }
        scmi_put32_(m, i);
        scmi_put32_(m, lo);
        scmi_put32_(m, (uint32_t)ax->unit | (sn_exp5_(ax->scale) << 11));
        avps_scmi_put_name_(m, ax->name, 16u);
        if (ax->resolution != 0u) {
            scmi_put32_(m, (ax->resolution & 0x7ffffffu) | (sn_exp5_(ax->res_exp) << 27));
            scmi_put64_(m, (uint64_t)ax->min);
            scmi_put64_(m, (uint64_t)ax->max);
        }
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_intervals_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);
    const struct avps_scmi_sensor *sn;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    sn = sensor_(m, id);
    if ((sn->num_intervals == 0u) || (sn->intervals == NULL)) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (first > sn->num_intervals) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / 4u) : 0u;
    if (k > (uint32_t)(sn->num_intervals - first)) {
        k = sn->num_intervals - first;
    }
    if (sn->segmented) {
        /* the triplet comes whole (the Linux driver insists) */
        if (first != 0u) {
            return AVPS_SCMI_INVALID_PARAMETERS;
        }
        if (k < 3u) {
            m->overflow = true;
            return AVPS_SCMI_SUCCESS;
        }
        k = 3u;
    }
    {
        const uint32_t left = (uint32_t)sn->num_intervals - first - k;
        uint32_t w = k | (left << 16);

        if (sn->segmented) {
            w |= SCMI_BIT(12);
        }
        scmi_put32_(m, w);
    }
    for (uint32_t i = first; i < (first + k); i++) {
        scmi_put32_(m, sn->intervals[i]);
    }
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_config_get_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = sn_check_(m, id);
    uint32_t cfg = 0;
    int err;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->sensor_config_get == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    err = m->s->cfg.ops->sensor_config_get(m->s->cfg.ctx, id, &cfg);
    if (err != AVPS_OK) {
        return avps_scmi_status_(err);
    }
    scmi_put32_(m, cfg & ~0x7fcu); /* rounding is SET-only; [8:2] reserved */
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_config_set_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t cfg = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if (m->s->cfg.ops->sensor_config_set == NULL) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    /* [8:2] reserved, rounding 3 undefined, timestamps only when supported */
    if (((cfg & 0x1fcu) != 0u) || (((cfg >> 9) & 3u) == 3u) ||
        (((cfg & 2u) != 0u) && ((sensor_(m, id)->flags & AVPS_SCMI_F_TIMESTAMP) == 0u))) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    return avps_scmi_status_(m->s->cfg.ops->sensor_config_set(m->s->cfg.ctx, id, cfg));
}

static int32_t sensor_update_notify_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t ctl = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    if ((ctl & ~1u) != 0u) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    if (!sn_update_ok_(m, sensor_(m, id))) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    return avps_scmi_subscribe_(m, EV_UPDATE, id, (ctl & 1u) != 0u);
}

static int32_t sensor_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    int32_t st = sn_check_(m, id);

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    scmi_put32_(m, 0);
    avps_scmi_put_name_(m, sensor_(m, id)->name, AVPS_SCMI_NAME_MAX);
    return AVPS_SCMI_SUCCESS;
}

static int32_t sensor_axis_name_(struct scmi_msg *m)
{
    const uint32_t id = scmi_arg_(m, 0);
    const uint32_t first = scmi_arg_(m, 1);
    int32_t st = sn_check_(m, id);
    const struct avps_scmi_sensor *sn;
    uint32_t k;

    if (st != AVPS_SCMI_SUCCESS) {
        return st;
    }
    sn = sensor_(m, id);
    if (sn->num_axes == 0u) {
        return AVPS_SCMI_NOT_SUPPORTED;
    }
    if (first > sn->num_axes) {
        return AVPS_SCMI_INVALID_PARAMETERS;
    }
    k = (scmi_room_(m) >= 4u) ? ((scmi_room_(m) - 4u) / AXIS_NAME_SIZE) : 0u;
    if (k > (uint32_t)(sn->num_axes - first)) {
        k = sn->num_axes - first;
    }
    scmi_put32_(m, k | ((uint32_t)(sn->num_axes - first - k) << 26));
    for (uint32_t i = first; i < (first + k); i++) {
        scmi_put32_(m, i);
        avps_scmi_put_name_(m, sn->axes[i].name, AVPS_SCMI_NAME_MAX);
    }
    return AVPS_SCMI_SUCCESS;
}

static const struct scmi_cmd sensor_cmds[SCMI_CMDS] = {
    SCMI_COMMON_CMDS,
    [SCMI_MSG_ATTRIBUTES] = {CMD_KNOWN, 0, 0, sensor_attributes_},
    [SENSOR_DESCRIPTION_GET] = {CMD_KNOWN, 4, 4, sensor_description_},
    [SENSOR_TRIP_POINT_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, sensor_trip_notify_},
    [SENSOR_TRIP_POINT_CONFIG] = {CMD_KNOWN, 16, 16, sensor_trip_config_},
    [SENSOR_READING_GET] = {CMD_KNOWN, 8, 8, sensor_reading_},
    [SENSOR_AXIS_DESCRIPTION_GET] = {CMD_KNOWN, 8, 8, sensor_axis_description_},
    [SENSOR_LIST_UPDATE_INTERVALS] = {CMD_KNOWN, 8, 8, sensor_intervals_},
    [SENSOR_CONFIG_GET] = {CMD_KNOWN, 4, 4, sensor_config_get_},
    [SENSOR_CONFIG_SET] = {CMD_KNOWN, 8, 8, sensor_config_set_},
    [SENSOR_CONTINUOUS_UPDATE_NOTIFY] = {CMD_KNOWN | CMD_P2A, 8, 8, sensor_update_notify_},
    [SENSOR_NAME_GET] = {CMD_KNOWN, 4, 4, sensor_name_},
    [SENSOR_AXIS_NAME_GET] = {CMD_KNOWN, 8, 8, sensor_axis_name_},
};

const struct scmi_proto avps_scmi_sensor_ = {AVPS_SCMI_PROTO_SENSOR, 0x30001u, sensor_cmds};

/* ---- platform-side events ----------------------------------------------------- */

int avps_scmi_sensor_update(struct avps_scmi *s, uint32_t sensor,
                            const struct avps_scmi_reading *r, uint32_t n)
{
    const struct avps_scmi_sensor *sn;
    uint32_t w[AVPS_SCMI_MSG_MAX / 4u];
    uint32_t k;
    int queued;
    int64_t v;

    AVPS_ASSERT(s != NULL);
    if ((sensor >= s->cfg.platform->num_sensors) || (r == NULL)) {
        return AVPS_E_INVAL;
    }
    sn = &s->cfg.platform->sensors[sensor];
    if ((n != sn_readings_of_(sn)) || ((12u + (16u * n)) > AVPS_SCMI_MSG_MAX)) {
        return AVPS_E_INVAL;
    }
    k = avps_scmi_readings_words_(w, (AVPS_SCMI_MSG_MAX / 4u) - 3u, r, n);
    queued = avps_scmi_emit_(s, 0, AVPS_SCMI_PROTO_SENSOR, EV_UPDATE, sensor, w, k, 0u);
    /* Trip points watch the first axis (or the scalar value). */
    v = r[0].value;
    for (uint32_t i = 0; i < s->cfg.num_subs; i++) {
        struct avps_scmi_sub *u = &s->cfg.subs[i];
        bool up;
        bool down;

        if ((u->agent == 0u) || (u->proto != AVPS_SCMI_PROTO_SENSOR) ||
            (u->kind != SUB_TRIP) || ((u->id & 0xffffu) != sensor)) {
            continue;
        }
        up = (u->has_last != 0u) && (u->last < u->value) && (v >= u->value);
        down = (u->has_last != 0u) && (u->last >= u->value) && (v < u->value);
        u->last = v;
        u->has_last = 1;
        if ((((u->arg & 1u) != 0u) && up) || (((u->arg & 2u) != 0u) && down)) {
            const uint32_t agent = u->agent;
            uint32_t desc = u->id >> 16;
            const uint32_t hdr = AVPS_SCMI_HDR(EV_TRIP, AVPS_SCMI_MSG_NOTIFY, AVPS_SCMI_PROTO_SENSOR, 0u);
            uint32_t tw[3];

            if (up) {
                desc |= SCMI_BIT(16);
            }

            if ((s->cfg.agents[agent - 1u].p2a == 0u) ||
                (avps_scmi_sub_find_(s, agent, AVPS_SCMI_PROTO_SENSOR, EV_TRIP, sensor) == NULL)) {
                continue;
            }
            tw[0] = agent;
            tw[1] = sensor;
            tw[2] = desc;
            if (avps_scmi_queue_(s, agent, hdr, tw, 3u, false)) {
                queued++;
                avps_scmi_kick_(s, agent);
            }
        }
    }
    return queued;
}

/*
 * lib/scmi internal interface: the command being handled, the per-protocol
 * dispatch tables (STYLE.md rule 13) and the reply helpers. Never installed.
 */
#ifndef AVPS_SCMI_PRIV_H
#define AVPS_SCMI_PRIV_H

#include <avps/scmi.h>

#include "../core/core_priv.h"

/* Message ids common to every protocol (DEN0056 §4.1.x, §4.2.2). */
#define SCMI_MSG_VERSION 0x0u
#define SCMI_MSG_ATTRIBUTES 0x1u
#define SCMI_MSG_MSG_ATTRIBUTES 0x2u
#define SCMI_MSG_NEGOTIATE 0x10u
#define SCMI_CMDS 0x11u /* every table has ids 0..0x10 */

/* Slot states (struct avps_scmi_slot.state) and kinds. */
#define SLOT_FREE 0u
#define SLOT_WAIT 1u   /* the platform has it */
#define SLOT_READY 2u  /* rendered, waiting for delivery */
#define SLOT_ORPHAN 3u /* its agent was reset: drop the completion */
#define KIND_DELAYED 1u  /* delayed response (P2A) */
#define KIND_DEFERRED 2u /* synchronous reply finished later */
#define KIND_NOTIFY 3u   /* notification in the backlog */

/* Subscription kinds beyond the notification ids (0, 1): sensor trip points. */
#define SUB_TRIP 0x80u
#define SUB_OWNER 0x81u /* pin control: the agent that requested a pin or group */

/* One command being handled. */
struct scmi_msg {
    struct avps_scmi *s;
    struct avps_scmi_agent *a;
    uint32_t agent;
    uint32_t hdr;
    const uint8_t *p; /* parameters, len bytes (checked against the table) */
    uint32_t len;
    uint8_t *out; /* reply: header, status, return values */
    uint32_t cap;
    uint32_t n;   /* bytes of the reply so far */
    bool overflow;
    uint64_t cookie;
    bool deferred; /* the reply comes later (avps_scmi_deferred_pop) */
};

/* A handler returns the wire status; on SUCCESS it has appended the return
 * values with the put helpers. */
typedef int32_t scmi_fn(struct scmi_msg *m);

#define CMD_KNOWN 0x1u /* the id exists in this protocol's version */
#define CMD_P2A 0x2u   /* a notify command: needs a P2A channel */

struct scmi_cmd {
    uint8_t flags;
    uint8_t min_len; /* parameter bytes accepted */
    uint8_t max_len;
    scmi_fn *fn; /* NULL: known but not implemented (NOT_SUPPORTED) */
};

struct scmi_proto {
    uint8_t id;
    uint32_t version;
    const struct scmi_cmd *cmds; /* SCMI_CMDS entries */
};

/* The protocols (one file each). */
extern const struct scmi_proto avps_scmi_base_;
extern const struct scmi_proto avps_scmi_power_;
extern const struct scmi_proto avps_scmi_system_;
extern const struct scmi_proto avps_scmi_perf_;
extern const struct scmi_proto avps_scmi_clock_;
extern const struct scmi_proto avps_scmi_sensor_;
extern const struct scmi_proto avps_scmi_reset_;
extern const struct scmi_proto avps_scmi_voltage_;
extern const struct scmi_proto avps_scmi_powercap_;
extern const struct scmi_proto avps_scmi_pinctrl_;

/* Common commands, placed in every table. */
int32_t avps_scmi_cmd_version_(struct scmi_msg *m);
int32_t avps_scmi_cmd_msg_attributes_(struct scmi_msg *m);
int32_t avps_scmi_cmd_negotiate_(struct scmi_msg *m);
#define SCMI_COMMON_CMDS                                                        \
    [SCMI_MSG_VERSION] = {CMD_KNOWN, 0, 0, avps_scmi_cmd_version_},             \
    [SCMI_MSG_MSG_ATTRIBUTES] = {CMD_KNOWN, 4, 4, avps_scmi_cmd_msg_attributes_}, \
    [SCMI_MSG_NEGOTIATE] = {CMD_KNOWN, 4, 4, avps_scmi_cmd_negotiate_}

/* The protocol table of an id, or NULL. */
const struct scmi_proto *avps_scmi_proto_(uint32_t id);

/* A bit of a 32-bit word (an unsigned 32-bit operand for MISRA 12.2). */
#define SCMI_BIT(n) ((uint32_t)1u << (n))

/* ---- little-endian access ------------------------------------------------ */
static inline uint32_t scmi_le32_(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static inline void scmi_st32_(uint8_t *b, uint32_t v)
{
    const uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    (void)AVPS_MEMCPY(b, t, sizeof t);
}

/* Parameter word i (the table has checked the length). */
static inline uint32_t scmi_arg_(const struct scmi_msg *m, uint32_t i)
{
    return scmi_le32_(&m->p[(size_t)4u * i]);
}

/* Append return values; past the capacity, note the overflow instead. */
static inline void scmi_put32_(struct scmi_msg *m, uint32_t v)
{
    if ((m->cap < 4u) || (m->n > (m->cap - 4u))) {
        m->overflow = true;
        return;
    }
    scmi_st32_(&m->out[m->n], v);
    m->n += 4u;
}

static inline void scmi_put64_(struct scmi_msg *m, uint64_t v)
{
    scmi_put32_(m, (uint32_t)v);
    scmi_put32_(m, (uint32_t)(v >> 32));
}

/* Bytes still free in the reply. */
static inline uint32_t scmi_room_(const struct scmi_msg *m)
{
    return (m->n <= m->cap) ? (m->cap - m->n) : 0u;
}

/* A name field of len bytes (16 or 64), NUL-terminated, truncated. */
void avps_scmi_put_name_(struct scmi_msg *m, const char *name, uint32_t len);
/* Bytes of a name up to max (bounded strlen). */
uint32_t avps_scmi_strnlen_(const char *s, uint32_t max);
/* The name needs the *_NAME_GET command (longer than a short name). */
static inline bool scmi_long_name_(const char *name)
{
    return avps_scmi_strnlen_(name, AVPS_SCMI_NAME_MAX) > 15u;
}

/* Permission check of a resource's device for the calling agent. */
bool avps_scmi_dev_ok_(const struct scmi_msg *m, uint16_t device);
/* Wire status of an op's avps_err. */
int32_t avps_scmi_status_(int err);
/* The caller may receive P2A messages. */
static inline bool scmi_p2a_(const struct scmi_msg *m)
{
    return m->a->p2a != 0u;
}

/* Subscriptions: enable or disable (agent, proto, kind, id). Returns a wire
 * status (BUSY when the array is full). */
int32_t avps_scmi_subscribe_(struct scmi_msg *m, uint32_t kind, uint32_t id, bool on);
/* Find a subscription entry (NULL if none). */
struct avps_scmi_sub *avps_scmi_sub_find_(struct avps_scmi *s, uint32_t agent, uint32_t proto,
                                          uint32_t kind, uint32_t id);
struct avps_scmi_sub *avps_scmi_sub_new_(struct avps_scmi *s);

/* Pending slots for asynchronous commands. */
struct avps_scmi_slot *avps_scmi_pending_new_(struct scmi_msg *m, uint8_t kind, uint32_t id);
uint32_t avps_scmi_handle_of_(const struct avps_scmi *s, const struct avps_scmi_slot *slot);
/* The next sequence number (P2A delivery order). */
static inline uint32_t scmi_next_seq_(struct avps_scmi *s)
{
    const uint32_t v = s->seq;

    s->seq = v + 1u;
    return v;
}
/* a was produced before b (wrapping sequence numbers). */
static inline bool scmi_before_(uint32_t a, uint32_t b)
{
    const uint32_t d = a - b;

    return d >= 0x80000000u;
}
/* Render a delayed response in a slot (status, then words) and make it ready. */
void avps_scmi_slot_ready_(struct avps_scmi *s, struct avps_scmi_slot *slot, int32_t status,
                           const uint32_t *words, uint32_t n);
void avps_scmi_slot_free_(struct avps_scmi_slot *slot);

/* Queue a notification to every subscribed agent: payload cause, id, words.
 * Returns the number queued. Kicks every agent that got one but `nokick` (the
 * agent whose command is being handled: its transport drains afterwards). */
int avps_scmi_emit_(struct avps_scmi *s, uint32_t cause, uint32_t proto, uint32_t event,
                    uint32_t id, const uint32_t *words, uint32_t n, uint32_t nokick);
/* Call an agent's kick function. */
void avps_scmi_kick_(struct avps_scmi *s, uint32_t agent);
/* Queue one message for an agent; coalesce replaces an undelivered message
 * with the same header and first payload word after the agent id. */
bool avps_scmi_queue_(struct avps_scmi *s, uint32_t agent, uint32_t hdr, const uint32_t *words,
                      uint32_t n, bool coalesce);

/* Shared command bodies: a *_NAME_GET reply (flags, 64-byte name), and a
 * notify-enable command (id checked by the caller; bit0 of ctl enables;
 * `supported` false answers NOT_SUPPORTED). */
int32_t avps_scmi_name_get_(struct scmi_msg *m, const char *name);
int32_t avps_scmi_notify_cmd_(struct scmi_msg *m, uint32_t kind, uint32_t id, uint32_t ctl,
                              bool supported);
/* Pending slot for an asynchronous command: BUSY when none is free. The
 * op's result then decides: OK renders the delayed response now (words),
 * PENDING leaves it to avps_scmi_complete(), an error frees the slot. */
int32_t avps_scmi_async_result_(struct scmi_msg *m, struct avps_scmi_slot *slot, int err,
                                const uint32_t *words, uint32_t n);
/* Max pending async requests advertised to the caller. */
static inline uint32_t scmi_max_async_(const struct scmi_msg *m)
{
    const uint32_t n = m->s->cfg.num_pending;

    return scmi_p2a_(m) ? ((n > 255u) ? 255u : n) : 0u;
}

/* Sensor readings encoded as words (value lo/hi, timestamp lo/hi per reading). */
uint32_t avps_scmi_readings_words_(uint32_t *w, uint32_t max, const struct avps_scmi_reading *r,
                                   uint32_t n);

/* Rounding of a requested value to a discrete list or a range triplet. */
#define SCMI_ROUND_DOWN 0u
#define SCMI_ROUND_UP 1u
/* 2: auto (nearest) */
bool avps_scmi_round_u64_(const uint64_t *v, uint32_t n, bool range, uint64_t want,
                          uint32_t mode, uint64_t *out);

#endif /* AVPS_SCMI_PRIV_H */

/*
 * test_scmi: the SCMI platform core through its API (avps_scmi_handle and
 * friends): header and type rules, table dispatch with exact lengths, status
 * codes, the Base protocol, the Sensor protocol (with what the Linux IIO
 * driver needs), multi-part replies in Linux's 128-byte reply room, delayed
 * responses, notifications, the backlog, and two agents with different
 * permissions. The other protocols are in test_scmi_protocols.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "scmi_fix.h"

#define B AVPS_SCMI_PROTO_BASE
#define SN AVPS_SCMI_PROTO_SENSOR

static int setup(void **state)
{
    struct sfx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    assert_int_equal(sfx_init(f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- core: header, type, dispatch ------------------------------------------- */

static void test_scmi_core_init_rejects_bad_cfg(void **state)
{
    struct sfx *f = *state;
    struct avps_scmi s;
    struct avps_scmi_cfg cfg;
    struct avps_scmi_platform pf = sfx_platform;

    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(avps_scmi_init(&s, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.platform = &sfx_platform;
    cfg.ops = &sfx_ops;
    cfg.agent_cfg = sfx_agents;
    cfg.agents = f->agents;
    cfg.num_agents = 0;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_agents = 255;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_agents = 1;
    cfg.num_pending = 1; /* without an array */
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_pending = 0;
    cfg.num_subs = 1;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_subs = 0;
    cfg.num_backlog = 1;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_backlog = 0;
    pf.num_devices = AVPS_SCMI_MAX_DEVICES + 1;
    cfg.platform = &pf;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    /* every table with a count but no table */
    for (int i = 0; i < 10; i++) {
        pf = sfx_platform;
        switch (i) {
        case 0: pf.power = NULL; break;
        case 1: pf.perf = NULL; break;
        case 2: pf.clocks = NULL; break;
        case 3: pf.sensors = NULL; break;
        case 4: pf.resets = NULL; break;
        case 5: pf.voltages = NULL; break;
        case 6: pf.powercaps = NULL; break;
        case 7: pf.pins = NULL; break;
        case 8: pf.groups = NULL; break;
        default: pf.functions = NULL; break;
        }
        assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    }
    pf = sfx_platform;
    cfg.ops = NULL;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.ops = &sfx_ops;
    cfg.num_pending = 256;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_E_INVAL);
    cfg.num_pending = 0;
    assert_int_equal(avps_scmi_init(&s, &cfg), AVPS_OK);
}

/* The header's message id, protocol and token come back; type 0. */
static void test_scmi_core_token_echoed(void **state)
{
    struct sfx *f = *state;
    uint8_t req[4];
    uint8_t rsp[16];

    sfx_st32(req, AVPS_SCMI_HDR(0, 0, B, 0x3ff));
    assert_int_equal(avps_scmi_handle(&f->s, SFX_VMA, req, 4, rsp, sizeof rsp, 0), 12);
    assert_int_equal(sfx_le32(rsp), AVPS_SCMI_HDR(0, 0, B, 0x3ff));
    assert_int_equal((int32_t)sfx_le32(&rsp[4]), AVPS_SCMI_SUCCESS);
    assert_int_equal(sfx_le32(&rsp[8]), 0x20001);
    /* reserved bits [31:28] are not echoed */
    sfx_st32(req, AVPS_SCMI_HDR(0, 0, B, 5) | 0xf0000000u);
    assert_int_equal(avps_scmi_handle(&f->s, SFX_VMA, req, 4, rsp, sizeof rsp, 0), 12);
    assert_int_equal(sfx_le32(rsp), AVPS_SCMI_HDR(0, 0, B, 5));
}

/* Only commands (type 0) are accepted from an agent. */
static void test_scmi_core_wrong_type_protocol_error(void **state)
{
    struct sfx *f = *state;
    uint8_t req[4];
    uint8_t rsp[16];

    for (uint32_t t = 1; t < 4; t++) {
        sfx_st32(req, AVPS_SCMI_HDR(0, t, B, 9));
        assert_int_equal(avps_scmi_handle(&f->s, SFX_VMA, req, 4, rsp, sizeof rsp, 0), 8);
        assert_int_equal((int32_t)sfx_le32(&rsp[4]), AVPS_SCMI_PROTOCOL_ERROR);
        assert_int_equal(sfx_le32(rsp), AVPS_SCMI_HDR(0, 0, B, 9));
    }
    assert_int_equal(avps_scmi_errors(&f->s), 3);
}

static void test_scmi_core_unknown_protocol_not_supported(void **state)
{
    struct sfx *f = *state;
    const uint32_t ids[] = {0x00, 0x0f, 0x1a, 0x1b, 0x20, 0x7f, 0x80, 0xff};

    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        assert_int_equal(sfx_call(f, SFX_VMA, ids[i], 0, NULL, 0), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    }
}

/* Every protocol: an unknown message id is NOT_FOUND, also when asked about
 * with PROTOCOL_MESSAGE_ATTRIBUTES; a wrong length is PROTOCOL_ERROR. */
static void test_scmi_core_unknown_message_not_found(void **state)
{
    struct sfx *f = *state;

    for (uint32_t p = 0x10; p <= 0x19; p++) {
        uint32_t id = 0x11;

        assert_int_equal(sfx_call(f, SFX_HOST, p, id, NULL, 0), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
        assert_int_equal(sfx_call(f, SFX_HOST, p, 0xff, NULL, 0), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
        assert_int_equal(sfx_call(f, SFX_HOST, p, 2, &id, 1), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
        id = 0x1000;
        assert_int_equal(sfx_call(f, SFX_HOST, p, 2, &id, 1), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    }
}

static void test_scmi_core_wrong_length_protocol_error(void **state)
{
    struct sfx *f = *state;
    uint32_t args[40] = {0};

    for (uint32_t p = 0x10; p <= 0x19; p++) {
        for (uint32_t id = 0; id <= 0x10; id++) {
            uint32_t q = id;

            if (sfx_call(f, SFX_HOST, p, 2, &q, 1) != 12)
                continue; /* not implemented */
            /* 40 words is longer than any command takes */
            assert_int_equal(sfx_call(f, SFX_HOST, p, id, args, 40), 8);
            assert_int_equal(sfx_status(f), AVPS_SCMI_PROTOCOL_ERROR);
        }
    }
    /* one word short and one word long of PROTOCOL_MESSAGE_ATTRIBUTES */
    assert_int_equal(sfx_call(f, SFX_HOST, B, 2, NULL, 0), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_PROTOCOL_ERROR);
    assert_int_equal(sfx_call(f, SFX_HOST, B, 2, args, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_PROTOCOL_ERROR);
    /* a byte too many */
    {
        uint8_t req[9];
        uint8_t rsp[16];

        sfx_build(req, B, 0, 1, NULL, 0);
        memset(&req[4], 0, 5);
        assert_int_equal(avps_scmi_handle(&f->s, 1, req, 5, rsp, 16, 0), 8);
        assert_int_equal((int32_t)sfx_le32(&rsp[4]), AVPS_SCMI_PROTOCOL_ERROR);
    }
}

/* No header, or no room for header and status: no reply at all. */
static void test_scmi_core_short_buffers(void **state)
{
    struct sfx *f = *state;
    uint8_t req[4] = {0};
    uint8_t rsp[8];

    assert_int_equal(avps_scmi_handle(&f->s, 1, req, 3, rsp, 8, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_scmi_handle(&f->s, 1, req, 4, rsp, 7, 0), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_scmi_handle(&f->s, 0, req, 4, rsp, 8, 0), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_handle(&f->s, SFX_AGENTS + 1, req, 4, rsp, 8, 0), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_handle(&f->s, 1, NULL, 4, rsp, 8, 0), AVPS_E_INVAL);
    /* a fixed-size reply that does not fit: COMMS_ERROR, 8 bytes */
    assert_int_equal(sfx_call_cap(f, 1, B, 0, NULL, 0, 11), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_COMMS_ERROR);
}

/* PROTOCOL_VERSION of every protocol, and NEGOTIATE_PROTOCOL_VERSION. */
static void test_scmi_core_versions_and_negotiate(void **state)
{
    struct sfx *f = *state;
    const uint32_t want[10] = {0x20001, 0x30001, 0x20001, 0x40000, 0x30000,
                               0x30001, 0x30001, 0x20001, 0x20000, 0x10000};

    for (uint32_t p = 0x10; p <= 0x19; p++) {
        uint32_t v;

        assert_int_equal(sfx_call(f, SFX_HOST, p, 0, NULL, 0), 12);
        assert_int_equal(sfx_status(f), 0);
        assert_int_equal(sfx_ret(f, 0), want[p - 0x10]);
        v = want[p - 0x10];
        assert_int_equal(sfx_call(f, SFX_HOST, p, 0x10, &v, 1), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_SUCCESS);
        v = 0x10000 - 1;
        assert_int_equal(sfx_call(f, SFX_HOST, p, 0x10, &v, 1), 8);
        assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    }
}

/* ---- Base ---------------------------------------------------------------------- */

static void test_scmi_base_attributes_and_vendor(void **state)
{
    struct sfx *f = *state;
    uint32_t q = 3;

    assert_int_equal(sfx_call(f, SFX_HOST, B, 1, NULL, 0), 12);
    assert_int_equal(sfx_ret(f, 0), 9u | (3u << 8)); /* 9 protocols, 3 agents */
    assert_int_equal(sfx_call(f, SFX_VMB, B, 1, NULL, 0), 12);
    assert_int_equal(sfx_ret(f, 0), 1u | (3u << 8)); /* vm-b sees Sensor only */
    assert_int_equal(sfx_call(f, SFX_VMA, B, 3, NULL, 0), 24);
    assert_string_equal((const char *)&f->rsp[8], "libavps");
    assert_int_equal(sfx_call(f, SFX_VMA, B, 4, NULL, 0), 24);
    assert_string_equal((const char *)&f->rsp[8], "tests");
    assert_int_equal(sfx_call(f, SFX_VMA, B, 5, NULL, 0), 12);
    assert_int_equal(sfx_ret(f, 0), 0x00010002u);
    assert_int_equal(sfx_call(f, SFX_VMA, B, 2, &q, 1), 12);
    assert_int_equal(sfx_ret(f, 0), 0);
    /* mangle: parameters on a command that takes none */
    assert_int_equal(sfx_call(f, SFX_VMA, B, 3, &q, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_PROTOCOL_ERROR);
}

/* DISCOVER_LIST_PROTOCOLS: ids packed four per word; multi-part with a
 * reply room of one word of ids; skip past the end is refused. */
static void test_scmi_base_list_protocols_multipart(void **state)
{
    struct sfx *f = *state;
    uint8_t got[16];
    uint32_t n = 0;
    uint32_t skip = 0;

    assert_int_equal(sfx_call(f, SFX_HOST, B, 6, &skip, 1), 8 + 4 + 12);
    assert_int_equal(sfx_ret(f, 0), 9);
    assert_int_equal(sfx_ret(f, 1), 0x14131211u);
    assert_int_equal(sfx_ret(f, 2), 0x18171615u);
    assert_int_equal(sfx_ret(f, 3), 0x19u);
    /* 16-byte room: count + one word = four ids per reply */
    while (n < 9) {
        skip = n;
        assert_int_equal(sfx_call_cap(f, SFX_HOST, B, 6, &skip, 1, 16) > 0, 1);
        assert_int_equal(sfx_status(f), 0);
        assert_true(sfx_ret(f, 0) >= 1 && sfx_ret(f, 0) <= 4);
        for (uint32_t i = 0; i < sfx_ret(f, 0); i++)
            got[n + i] = f->rsp[12 + i];
        n += sfx_ret(f, 0);
    }
    for (uint32_t i = 0; i < 9; i++)
        assert_int_equal(got[i], 0x11 + i);
    skip = 9;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 6, &skip, 1), 12);
    assert_int_equal(sfx_ret(f, 0), 0);
    skip = 10;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 6, &skip, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* vm-b sees only the sensor protocol */
    skip = 0;
    assert_int_equal(sfx_call(f, SFX_VMB, B, 6, &skip, 1), 16);
    assert_int_equal(sfx_ret(f, 0), 1);
    assert_int_equal(sfx_ret(f, 1), 0x15);
}

static void test_scmi_base_discover_agent(void **state)
{
    struct sfx *f = *state;
    uint32_t id = 0xffffffffu;

    assert_int_equal(sfx_call(f, SFX_VMA, B, 7, &id, 1), 28);
    assert_int_equal(sfx_ret(f, 0), SFX_VMA);
    assert_string_equal((const char *)&f->rsp[12], "vm-a");
    id = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 7, &id, 1), 28);
    assert_string_equal((const char *)&f->rsp[12], "platform");
    id = SFX_VMB; /* another VM's name: the trusted agent only */
    assert_int_equal(sfx_call(f, SFX_VMA, B, 7, &id, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    assert_int_equal(sfx_call(f, SFX_HOST, B, 7, &id, 1), 28);
    assert_string_equal((const char *)&f->rsp[12], "vm-b");
    id = SFX_AGENTS + 1;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 7, &id, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
}

static void test_scmi_base_notify_errors(void **state)
{
    struct sfx *f = *state;
    uint32_t v = 1;
    uint32_t w[2] = {0x80000001u, 0};
    uint8_t buf[64];

    assert_int_equal(sfx_call(f, SFX_VMA, B, 8, &v, 1), 8);
    assert_int_equal(sfx_status(f), 0);
    v = 2;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 8, &v, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* BASE_ERROR_EVENT: agent id, error status, reports */
    assert_int_equal(avps_scmi_notify(&f->s, SFX_VMA, B, 0, 0x80000001u, w, 1), 1);
    assert_int_equal(f->kicks[SFX_VMA], 1);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 16);
    assert_int_equal(sfx_le32(buf), AVPS_SCMI_HDR(0, 3, B, 0));
    assert_int_equal(sfx_le32(&buf[4]), SFX_VMA);
    assert_int_equal(sfx_le32(&buf[8]), 0x80000001u);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMB, buf, sizeof buf), 0);
    /* without P2A: not offered, and not advertised */
    assert_int_equal(avps_scmi_agent_bind(&f->s, SFX_VMA, false, NULL, NULL), AVPS_OK);
    v = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 8, &v, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    v = 8;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 2, &v, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    assert_int_equal(avps_scmi_notify(&f->s, 0, B, 0, 1, NULL, 0), 0);
    assert_int_equal(avps_scmi_notify(&f->s, 0, 0x30, 0, 1, NULL, 0), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_notify(&f->s, 0, B, 2, 1, NULL, 0), AVPS_E_INVAL);
}

/* The permission commands: trusted agent only; agent, device and flag checks. */
static void test_scmi_base_permission_commands(void **state)
{
    struct sfx *f = *state;
    uint32_t a[4];

    a[0] = SFX_VMB; a[1] = 0; a[2] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    a[0] = 0;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    a[0] = SFX_VMB; a[1] = 16;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    a[1] = 0; a[2] = 2;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* protocol permissions */
    a[0] = SFX_VMB; a[1] = 0; a[2] = AVPS_SCMI_PROTO_CLOCK; a[3] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    assert_int_equal(sfx_call(f, SFX_VMB, AVPS_SCMI_PROTO_CLOCK, 0, NULL, 0), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(sfx_call(f, SFX_VMB, AVPS_SCMI_PROTO_CLOCK, 0, NULL, 0), 12);
    a[3] = 0;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_call(f, SFX_VMB, AVPS_SCMI_PROTO_CLOCK, 0, NULL, 0), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    a[2] = B; /* Base cannot be taken away */
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[2] = 0x1b;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    a[2] = 0x100 | AVPS_SCMI_PROTO_CLOCK;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[2] = AVPS_SCMI_PROTO_CLOCK; a[3] = 3;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = 99; a[3] = 1;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    a[0] = 9; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xa, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    /* reset agent configuration: others need trust; self is fine */
    a[0] = SFX_VMB; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    a[0] = SFX_VMA;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    a[1] = 2;
    assert_int_equal(sfx_call(f, SFX_VMA, B, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[0] = 7; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
}

/* Two VMs on one platform: each sees and controls only what it was granted;
 * the trusted agent changes that, and resetting one agent leaves the other's
 * state alone. */
static void test_scmi_two_agent_permissions(void **state)
{
    struct sfx *f = *state;
    uint32_t a[4];
    uint8_t buf[136];
    struct avps_scmi_reading r[3] = {{1, 1}, {2, 1}, {3, 1}};

    /* vm-a reads the accelerometer; vm-b may not */
    a[0] = SFX_ACCEL; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8 + 48);
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 9, a, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    /* vm-b reads its temperature sensor */
    a[0] = SFX_TEMP;
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 6, a, 2), 8 + 16);
    /* vm-b has no power protocol at all */
    assert_int_equal(sfx_call(f, SFX_VMB, AVPS_SCMI_PROTO_POWER, 0, NULL, 0), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    /* both subscribe to their sensors' updates */
    a[0] = SFX_ACCEL; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    /* the host grants device 0 to vm-b */
    a[0] = SFX_VMB; a[1] = 0; a[2] = 1;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), 0);
    a[0] = SFX_ACCEL; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 6, a, 2), 8 + 48);
    /* one update reaches both */
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_ACCEL, r, 3), 2);
    /* the host resets vm-b, permissions included */
    a[0] = SFX_VMB; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_HOST, B, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    a[0] = SFX_ACCEL; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMB, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_DENIED);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMB, buf, sizeof buf), 0);
    /* vm-a keeps its queued update and its subscription */
    assert_true(avps_scmi_p2a_pending(&f->s, SFX_VMA));
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 4 + 8 + 48);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_ACCEL, r, 3), 1);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 4 + 8 + 48);
}

/* ---- Sensor -------------------------------------------------------------------- */

static void test_scmi_sensor_attributes(void **state)
{
    struct sfx *f = *state;

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 1, NULL, 0), 24);
    assert_int_equal(sfx_ret(f, 0), SFX_NSENSORS | (SFX_PENDING << 16));
    assert_int_equal(sfx_ret(f, 1), 0);
    assert_int_equal(sfx_ret(f, 2), 0);
    assert_int_equal(sfx_ret(f, 3), 0);
    assert_int_equal(avps_scmi_agent_bind(&f->s, SFX_VMA, false, NULL, NULL), AVPS_OK);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 1, NULL, 0), 24);
    assert_int_equal(sfx_ret(f, 0), SFX_NSENSORS); /* no async without P2A */
}

/* DESCRIPTION_GET in Linux's 128-byte reply room: four 28-byte descriptors
 * per reply, the remaining count, and continuation. */
static void test_scmi_sensor_description_multipart(void **state)
{
    struct sfx *f = *state;
    uint32_t first = 0;
    uint32_t seen = 0;
    int rounds = 0;

    while (seen < SFX_NSENSORS) {
        uint32_t nr, rem;

        first = seen;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 3, &first, 1) > 8, 1);
        assert_int_equal(sfx_status(f), 0);
        assert_true(f->rsp_len <= 136);
        nr = sfx_ret(f, 0) & 0xfff;
        rem = sfx_ret(f, 0) >> 16;
        assert_int_equal(nr, 4);
        assert_int_equal(f->rsp_len, 12 + 28 * nr);
        assert_int_equal(nr + rem, SFX_NSENSORS - seen);
        for (uint32_t i = 0; i < nr; i++)
            assert_int_equal(sfx_le32(&f->rsp[12 + 28 * i]), seen + i);
        seen += nr;
        rounds++;
    }
    assert_int_equal(rounds, 2);
    /* the accelerometer's descriptor */
    first = 0;
    sfx_call(f, SFX_VMA, SN, 3, &first, 1);
    {
        uint32_t lo = sfx_ret(f, 2), hi = sfx_ret(f, 3);

        assert_true(lo & (1u << 31));  /* async */
        assert_true(lo & (1u << 30));  /* continuous update */
        assert_true(lo & (1u << 9));   /* timestamped */
        assert_int_equal((lo >> 10) & 31, (uint32_t)(-6) & 31);
        assert_false(lo & (1u << 8));  /* no extended sensor attributes */
        assert_int_equal(lo & 0xff, 0);
        assert_true(hi & (1u << 8));   /* axes */
        assert_int_equal((hi >> 16) & 0x3f, 3);
        assert_string_equal((const char *)&f->rsp[12 + 12], "ACCEL");
    }
    /* the long name is cut to 15 bytes and flagged */
    first = 7;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 3, &first, 1), 12 + 28);
    assert_true(sfx_ret(f, 2) & (1u << 29));
    assert_int_equal(strlen((const char *)&f->rsp[12 + 12]), 15);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xc, &first, 1), 8 + 4 + 64);
    assert_string_equal((const char *)&f->rsp[12], "board-ambient-temperature-sensor");
    first = SFX_NSENSORS;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 3, &first, 1), 12);
    assert_int_equal(sfx_ret(f, 0), 0);
    first = SFX_NSENSORS + 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 3, &first, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    first = SFX_NSENSORS;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xc, &first, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
}

/* What drivers/iio/common/scmi_sensors/scmi_iio.c needs to bind a sensor:
 * exactly 3 axes, axis ids 0..2 (its scan indices), axis unit m/s² or rad/s,
 * names ending in _X/_Y/_Z, update intervals, CONFIG_GET/SET, timestamped
 * readings per axis, and SENSOR_UPDATE notifications (bit 30). */
static void test_scmi_sensor_linux_iio_binding(void **state)
{
    struct sfx *f = *state;

    for (uint32_t s = SFX_ACCEL; s <= SFX_GYRO; s++) {
        const uint8_t want_unit = s == SFX_ACCEL ? 89 : 87;
        uint32_t a[2] = {s, 0};
        uint32_t got = 0;
        char axis_letter[3];
        uint32_t cfg;

        assert_int_equal(sfx_call(f, SFX_VMA, SN, 3, &s, 1) > 8, 1);
        assert_int_equal((sfx_ret(f, 3) >> 16) & 0x3f, 3);
        assert_true(sfx_ret(f, 3) & (1u << 8));
        assert_true(sfx_ret(f, 2) & (1u << 30));
        /* axes, over as many replies as it takes */
        while (got < 3) {
            const uint8_t *d;
            uint32_t nr;

            a[1] = got;
            assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2) > 8, 1);
            nr = sfx_ret(f, 0) & 0x3f;
            assert_true(nr >= 1);
            assert_int_equal((sfx_ret(f, 0) >> 26) + nr, 3 - got);
            d = &f->rsp[12];
            for (uint32_t i = 0; i < nr; i++) {
                const char *name = (const char *)&d[12];
                const char *us = strrchr(name, '_');
                uint32_t lo = sfx_le32(&d[4]);

                assert_int_equal(sfx_le32(d), got + i);
                assert_int_equal(sfx_le32(&d[8]) & 0xff, want_unit);
                assert_non_null(us);
                axis_letter[got + i] = us[1];
                d += 28 + ((lo & (1u << 8)) ? 20 : 0);
            }
            assert_int_equal(d - f->rsp, f->rsp_len);
            got += nr;
        }
        assert_memory_equal(axis_letter, "XYZ", 3);
        /* update intervals */
        a[1] = 0;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2) > 12, 1);
        assert_true((sfx_ret(f, 0) & 0xfff) >= 1);
        /* a raw read: enable, read (timestamped, per axis), disable */
        cfg = 1;
        a[1] = cfg;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
        assert_int_equal(sfx_status(f), 0);
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 9, a, 1), 12);
        assert_int_equal(sfx_ret(f, 0), 1);
        a[1] = 0;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8 + 48);
        for (uint32_t i = 0; i < 3; i++) {
            assert_int_equal(sfx_ret(f, 4 * i), s * 100 + i);
            assert_int_equal(sfx_ret(f, 4 * i + 2), 1000 + i);
        }
        /* sampling frequency: interval with exponent, timestamps, rounding auto */
        a[1] = (100u << 16) | ((uint32_t)(-3 & 31) << 11) | (2u << 9) | 2u | 1u;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
        assert_int_equal(sfx_status(f), 0);
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 9, a, 1), 12);
        assert_int_equal(sfx_ret(f, 0), (100u << 16) | ((uint32_t)(-3 & 31) << 11) | 3u);
    }
}

static void test_scmi_sensor_axis_description_boundaries(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_ACCEL, 0};

    /* accelerometer axes carry extended attributes: 48 bytes each, 2 fit */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2), 12 + 96);
    assert_int_equal(sfx_ret(f, 0), 2u | (1u << 26));
    assert_int_equal(sfx_ret(f, 2) & 0x300, 0x100);
    assert_int_equal(sfx_le32(&f->rsp[12 + 28]) & 0x7ffffff, 1); /* resolution */
    assert_int_equal((int32_t)sfx_le32(&f->rsp[12 + 32]), -160000);
    a[1] = 3;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2), 12);
    assert_int_equal(sfx_ret(f, 0), 0);
    a[1] = 4;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[0] = SFX_TEMP; a[1] = 0; /* a scalar sensor has no axes */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xd, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    a[0] = SFX_NSENSORS;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 7, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    /* axis names: one 68-byte entry per 128-byte reply */
    a[0] = SFX_GYRO; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xd, a, 2), 12 + 68);
    assert_int_equal(sfx_ret(f, 0), 1u | (1u << 26));
    assert_int_equal(sfx_ret(f, 1), 1);
    assert_string_equal((const char *)&f->rsp[16], "GYRO_Y");
    a[1] = 4;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xd, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* a 20-byte room holds no descriptor at all */
    a[1] = 0;
    assert_int_equal(sfx_call_cap(f, SFX_VMA, SN, 7, a, 2, 20), 12);
    assert_int_equal(sfx_ret(f, 0), 3u << 26);
}

static void test_scmi_sensor_update_intervals(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_ACCEL, 0};

    /* segmented: the triplet, whole */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2), 8 + 16);
    assert_int_equal(sfx_ret(f, 0), 3u | (1u << 12));
    assert_int_equal(sfx_ret(f, 1), SFX_IVL(1, -2));
    a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = 0;
    assert_int_equal(sfx_call_cap(f, SFX_VMA, SN, 8, a, 2, 20), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_COMMS_ERROR);
    /* a list, two per 16-byte room */
    a[0] = SFX_GYRO;
    assert_int_equal(sfx_call_cap(f, SFX_VMA, SN, 8, a, 2, 20), 20);
    assert_int_equal(sfx_ret(f, 0), 2u | (2u << 16));
    a[1] = 2;
    assert_int_equal(sfx_call_cap(f, SFX_VMA, SN, 8, a, 2, 20), 20);
    assert_int_equal(sfx_ret(f, 0), 2u);
    assert_int_equal(sfx_ret(f, 2), SFX_IVL(100, -3));
    a[1] = 5;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[0] = SFX_TEMP; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    a[0] = 99;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 8, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
}

static void test_scmi_sensor_config_rules(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_TEMP, 1u << 2}; /* reserved bit */

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = 3u << 9; /* rounding 3 */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = 2u; /* timestamps on a sensor without them */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = 1u;
    f->fail = AVPS_E_IO;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_HARDWARE_ERROR);
    f->fail = AVPS_E_INVAL;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 9, a, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[0] = 99;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 9, a, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_FOUND);
}

/* Asynchronous READING_GET: SUCCESS now, SENSOR_READING_COMPLETE (type 2,
 * same message id and token) later; refused where not supported. */
static void test_scmi_sensor_async_reading(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_ACCEL, 1};
    uint8_t buf[136];

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 4 + 4 + 4 + 48);
    assert_int_equal(sfx_le32(buf), AVPS_SCMI_HDR(6, 2, SN, 0x155));
    assert_int_equal(sfx_le32(&buf[4]), 0);
    assert_int_equal(sfx_le32(&buf[8]), SFX_ACCEL);
    assert_int_equal(sfx_le32(&buf[12]), 0);      /* axis 0 value */
    assert_int_equal(sfx_le32(&buf[12 + 16]), 1); /* axis 1 value */
    assert_int_equal(sfx_le32(&buf[12 + 8]), 1000);
    /* the gyroscope has no asynchronous read */
    a[0] = SFX_GYRO;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    /* reserved flag bits */
    a[0] = SFX_ACCEL; a[1] = 2;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* the op fails: the command fails, nothing is queued */
    a[1] = 1;
    f->fail = AVPS_E_AGAIN;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_BUSY);
    assert_false(avps_scmi_p2a_pending(&f->s, SFX_VMA));
    /* all pending slots taken: BUSY */
    f->defer = true;
    for (uint32_t i = 0; i < SFX_PENDING; i++) {
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
        assert_int_equal(sfx_status(f), 0);
    }
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_BUSY);
    /* a failed delayed response is header + status only */
    {
        const struct avps_scmi_reading r[3] = {{7, 0}, {8, 0}, {9, 0}};

        assert_int_equal(avps_scmi_complete_sensor(&f->s, f->last_handle, AVPS_E_IO, NULL, 0), AVPS_OK);
        assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 8);
        assert_int_equal((int32_t)sfx_le32(&buf[4]), AVPS_SCMI_HARDWARE_ERROR);
        assert_int_equal(avps_scmi_complete_sensor(&f->s, f->last_handle, 0, r, 3), AVPS_E_INVAL);
        assert_int_equal(avps_scmi_complete_sensor(&f->s, 0, 0, r, 2), AVPS_E_INVAL);
        assert_int_equal(avps_scmi_complete(&f->s, 0, 0, 0), AVPS_E_INVAL);
        assert_int_equal(avps_scmi_complete_sensor(&f->s, 99, 0, r, 3), AVPS_E_INVAL);
    }
    /* without P2A there is no asynchronous read */
    f->defer = false;
    avps_scmi_agent_bind(&f->s, SFX_VMA, false, NULL, NULL);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
}

/* A synchronous read the platform finishes later: the reply is deferred and
 * comes from avps_scmi_deferred_pop() with the transport's cookie. */
static void test_scmi_sensor_deferred_sync_reading(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_TEMP, 0};
    uint8_t req[16];
    uint8_t rsp[64];
    uint64_t cookie = 0;
    const struct avps_scmi_reading r = {-5, 0};

    f->defer = true;
    sfx_build(req, SN, 6, 0x21, a, 2);
    assert_int_equal(avps_scmi_handle(&f->s, SFX_VMA, req, 12, rsp, sizeof rsp, 0xabc), 0);
    assert_int_equal(avps_scmi_deferred_pop(&f->s, SFX_VMA, &cookie, rsp, sizeof rsp), 0);
    assert_int_equal(avps_scmi_complete_sensor(&f->s, f->last_handle, AVPS_OK, &r, 1), AVPS_OK);
    assert_int_equal(f->kicks[SFX_VMA], 1);
    assert_false(avps_scmi_p2a_pending(&f->s, SFX_VMA)); /* not a P2A message */
    assert_int_equal(avps_scmi_deferred_pop(&f->s, SFX_VMA, &cookie, rsp, sizeof rsp), 24);
    assert_int_equal(cookie, 0xabc);
    assert_int_equal(sfx_le32(rsp), AVPS_SCMI_HDR(6, 0, SN, 0x21));
    assert_int_equal(sfx_le32(&rsp[4]), 0);
    assert_int_equal((int32_t)sfx_le32(&rsp[8]), -5);
    assert_int_equal(sfx_le32(&rsp[12]), 0xffffffffu);
    assert_int_equal(avps_scmi_deferred_pop(&f->s, SFX_VMA, &cookie, rsp, 4), AVPS_E_INVAL);
    /* a transport that cannot defer gets an immediate answer */
    assert_int_equal(avps_scmi_handle(&f->s, SFX_VMA, req, 12, rsp, sizeof rsp, AVPS_SCMI_NO_COOKIE), 24);
    /* pending without a handle is the platform's bug: HARDWARE_ERROR */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 0);
    /* a reply buffer too small for the readings */
    f->defer = false;
    assert_int_equal(sfx_call_cap(f, SFX_VMA, SN, 6, a, 2, 20), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_COMMS_ERROR);
}

/* Trip points: per agent; TRIP_POINT_EVENT when a reading crosses one. */
static void test_scmi_sensor_trip_points(void **state)
{
    struct sfx *f = *state;
    uint32_t a[4] = {SFX_TEMP, 1, 0, 0};
    uint8_t buf[64];
    struct avps_scmi_reading r = {10, 0};

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 4, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    a[1] = (1u << 4) | 1u; a[2] = 50; /* trip 1, rising, 50 */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1), 0);
    r.value = 60;
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1), 1);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 16);
    assert_int_equal(sfx_le32(buf), AVPS_SCMI_HDR(0, 3, SN, 0));
    assert_int_equal(sfx_le32(&buf[4]), SFX_VMA);
    assert_int_equal(sfx_le32(&buf[8]), SFX_TEMP);
    assert_int_equal(sfx_le32(&buf[12]), 1u | (1u << 16));
    r.value = 40; /* falling: not asked for */
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1), 0);
    /* mangles: trip id past the sensor's, reserved bits, no trip points */
    a[1] = (2u << 4) | 1u;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[1] = (1u << 12) | 1u;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    a[0] = 3; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 4, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    a[0] = SFX_TEMP; a[1] = 2;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 4, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* disable the trip point: a falling-edge config then removal */
    a[1] = (1u << 4) | 2u; a[2] = 50;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    r.value = 70;
    avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1);
    r.value = 30;
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1), 1);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 16);
    assert_int_equal(sfx_le32(&buf[12]), 1u);
    a[1] = (1u << 4);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    r.value = 70;
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 1), 0);
    a[1] = 0; /* notifications off */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 4, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(avps_scmi_sensor_update(&f->s, 99, &r, 1), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, &r, 2), AVPS_E_INVAL);
}

/* SENSOR_UPDATE: queued per subscribed agent, coalesced while undelivered,
 * dropped (and counted) when the backlog is full; P2A messages leave in the
 * order they were produced. */
static void test_scmi_sensor_update_backlog_and_order(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_ACCEL, 1};
    uint8_t buf[136];
    struct avps_scmi_reading r[3] = {{1, 5}, {2, 5}, {3, 5}};

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    a[0] = SFX_TEMP;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    a[0] = SFX_GYRO;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    a[0] = 3; /* no continuous update on that one */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    a[0] = SFX_ACCEL; a[1] = 3;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_INVALID_PARAMETERS);
    /* accel update, then an async read, then a gyro update, then accel again
     * (coalesced into the first: updated data, first position) */
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_ACCEL, r, 3), 1);
    a[0] = SFX_TEMP; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_GYRO, r, 3), 1);
    r[0].value = 100;
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_ACCEL, r, 3), 1);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 60);
    assert_int_equal(sfx_le32(buf), AVPS_SCMI_HDR(1, 3, SN, 0));
    assert_int_equal(sfx_le32(&buf[4]), 0); /* the platform caused it */
    assert_int_equal(sfx_le32(&buf[8]), SFX_ACCEL);
    assert_int_equal(sfx_le32(&buf[12]), 100);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 28);
    assert_int_equal(sfx_le32(buf), AVPS_SCMI_HDR(6, 2, SN, 0x155));
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 60);
    assert_int_equal(sfx_le32(&buf[8]), SFX_GYRO);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 0);
    /* fill the 4-entry backlog: accel for vm-a, gyro for vm-a and the host,
     * temp for the host (agents are served in id order); vm-a's temp is
     * dropped */
    a[0] = SFX_TEMP; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_HOST, SN, 0xb, a, 2), 8);
    a[0] = SFX_GYRO;
    assert_int_equal(sfx_call(f, SFX_HOST, SN, 0xb, a, 2), 8);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_ACCEL, r, 3), 1);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_GYRO, r, 3), 2);
    assert_int_equal(avps_scmi_sensor_update(&f->s, SFX_TEMP, r, 1), 1); /* host only: full */
    assert_int_equal(avps_scmi_dropped(&f->s), 1);
    /* notifications that do not fit the buffer are dropped, counted */
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, 32), 0); /* accel */
    assert_int_equal(avps_scmi_dropped(&f->s), 2);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, 32), 0); /* gyro */
    assert_int_equal(avps_scmi_dropped(&f->s), 3);
    assert_false(avps_scmi_p2a_pending(&f->s, SFX_VMA));
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_HOST, buf, 32), 0); /* gyro */
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_HOST, buf, 32), 28);
    assert_int_equal(sfx_le32(&buf[8]), SFX_TEMP);
    assert_int_equal(avps_scmi_dropped(&f->s), 4);
    /* disabling the subscription */
    a[0] = SFX_ACCEL; a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
}

/* A full subscription table answers BUSY; removing one makes room. */
static void test_scmi_sensor_subscriptions_full(void **state)
{
    struct sfx *f = *state;
    struct avps_scmi_cfg cfg;
    uint32_t a[4] = {SFX_TEMP, 1, 0, 0};

    /* the same platform with a 2-entry subscription table */
    memset(&cfg, 0, sizeof cfg);
    cfg.platform = &sfx_platform;
    cfg.ops = &sfx_ops;
    cfg.ctx = f;
    cfg.agent_cfg = sfx_agents;
    cfg.agents = f->agents;
    cfg.num_agents = SFX_AGENTS;
    cfg.subs = f->subs;
    cfg.num_subs = 2;
    assert_int_equal(avps_scmi_init(&f->s, &cfg), AVPS_OK);
    avps_scmi_agent_bind(&f->s, SFX_VMA, true, NULL, NULL);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8); /* again: no new entry */
    assert_int_equal(sfx_status(f), 0);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 4, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    a[0] = SFX_ACCEL;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_BUSY);
    a[0] = SFX_TEMP; a[1] = 1; a[2] = 5;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 5, a, 4), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_BUSY);
    a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    a[0] = SFX_ACCEL; a[1] = 1;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xb, a, 2), 8);
    assert_int_equal(sfx_status(f), 0);
    /* no pending slots at all: an asynchronous read is not offered */
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
}

/* An agent reset drops its subscriptions, queued messages and deferred
 * replies, and discards later completions of its pending commands. */
static void test_scmi_core_agent_reset(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_TEMP, 1};
    uint8_t buf[64];
    uint64_t cookie;
    const struct avps_scmi_reading r = {1, 0};
    uint32_t h1, h2;

    f->defer = true;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8); /* async */
    h1 = f->last_handle;
    a[1] = 0;
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 0); /* deferred sync */
    h2 = f->last_handle;
    assert_int_equal(avps_scmi_complete_sensor(&f->s, h2, AVPS_OK, &r, 1), AVPS_OK);
    assert_int_equal(avps_scmi_agent_reset(&f->s, SFX_VMA, false), AVPS_OK);
    assert_int_equal(avps_scmi_deferred_pop(&f->s, SFX_VMA, &cookie, buf, sizeof buf), 0);
    assert_int_equal(avps_scmi_complete_sensor(&f->s, h1, AVPS_OK, &r, 1), AVPS_OK);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, sizeof buf), 0);
    /* the slots are free again */
    for (uint32_t i = 0; i < SFX_PENDING; i++) {
        a[1] = 1;
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
        assert_int_equal(sfx_status(f), 0);
    }
    assert_int_equal(avps_scmi_agent_reset(&f->s, 0, false), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_agent_bind(&f->s, 0, false, NULL, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, 0, buf, 8), AVPS_E_INVAL);
    assert_false(avps_scmi_p2a_pending(&f->s, 0));
    assert_int_equal(avps_scmi_deferred_pop(&f->s, 0, &cookie, buf, 8), AVPS_E_INVAL);
}

/* A delayed response never gets dropped: a too-small buffer gets the 8-byte
 * COMMS_ERROR form, a buffer under 8 bytes leaves it queued. */
static void test_scmi_core_delayed_response_small_buffer(void **state)
{
    struct sfx *f = *state;
    uint32_t a[2] = {SFX_ACCEL, 1};
    uint8_t buf[136];

    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, 7), 0);
    assert_true(avps_scmi_p2a_pending(&f->s, SFX_VMA));
    assert_int_equal(avps_scmi_p2a_pop(&f->s, SFX_VMA, buf, 16), 8);
    assert_int_equal((int32_t)sfx_le32(&buf[4]), AVPS_SCMI_COMMS_ERROR);
    assert_false(avps_scmi_p2a_pending(&f->s, SFX_VMA));
}

static void test_scmi_core_status_mapping(void **state)
{
    struct sfx *f = *state;
    const int errs[] = {AVPS_E_INVAL, AVPS_E_STATE, AVPS_E_AGAIN, AVPS_E_NOSPC, AVPS_E_IO};
    const int32_t want[] = {AVPS_SCMI_INVALID_PARAMETERS, AVPS_SCMI_DENIED, AVPS_SCMI_BUSY,
                            AVPS_SCMI_OUT_OF_RANGE, AVPS_SCMI_HARDWARE_ERROR};
    uint32_t a[2] = {SFX_TEMP, 0};

    for (size_t i = 0; i < 5; i++) {
        f->fail = errs[i];
        assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
        assert_int_equal(sfx_status(f), want[i]);
    }
}

/* Operations the platform leaves out answer NOT_SUPPORTED. */
static void test_scmi_core_missing_ops_not_supported(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;
    uint32_t a[2] = {SFX_TEMP, 0};

    assert_int_equal(sfx_init_ops(f, &none), 0);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 6, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 9, a, 1), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(sfx_call(f, SFX_VMA, SN, 0xa, a, 2), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_NOT_SUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scmi_core_init_rejects_bad_cfg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_token_echoed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_wrong_type_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_unknown_protocol_not_supported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_unknown_message_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_wrong_length_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_short_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_versions_and_negotiate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_base_attributes_and_vendor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_base_list_protocols_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_base_discover_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_base_notify_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_base_permission_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_two_agent_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_description_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_linux_iio_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_axis_description_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_update_intervals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_config_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_async_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_deferred_sync_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_trip_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_update_backlog_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_sensor_subscriptions_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_agent_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_delayed_response_small_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_status_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_missing_ops_not_supported, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

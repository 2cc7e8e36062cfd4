/*
 * test_scmi_protocols: every command of the Power, System power, Performance,
 * Clock, Reset, Voltage, Power capping and Pin control protocols through the
 * SCMI core API: normal replies, error statuses (unknown ids NOT_FOUND,
 * permissions DENIED, bad parameters, out-of-range values), multi-part
 * replies in Linux's 128-byte reply room, asynchronous commands with delayed
 * responses, and the notifications each state change sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "scmi_fix.h"

#define PW AVPS_SCMI_PROTO_POWER
#define SY AVPS_SCMI_PROTO_SYSTEM
#define PF AVPS_SCMI_PROTO_PERF
#define CK AVPS_SCMI_PROTO_CLOCK
#define RS AVPS_SCMI_PROTO_RESET
#define VO AVPS_SCMI_PROTO_VOLTAGE
#define PC AVPS_SCMI_PROTO_POWERCAP
#define PN AVPS_SCMI_PROTO_PINCTRL

/* call with up to 6 words; check reply length and status */
#define CALL(f, agent, proto, msg, len, st, ...)                                     \
    do {                                                                              \
        const uint32_t a_[] = {0, __VA_ARGS__};                                       \
        assert_int_equal(sfx_call((f), (agent), (proto), (msg), a_ + 1,               \
                                  (uint32_t)(sizeof a_ / sizeof a_[0]) - 1u),         \
                         (len));                                                      \
        assert_int_equal(sfx_status(f), (st));                                        \
    } while (0)
#define CALL0(f, agent, proto, msg, len, st)                                          \
    do {                                                                              \
        assert_int_equal(sfx_call((f), (agent), (proto), (msg), NULL, 0), (len));     \
        assert_int_equal(sfx_status(f), (st));                                        \
    } while (0)

#define A SFX_VMA
#define OK AVPS_SCMI_SUCCESS
#define E_NS AVPS_SCMI_NOT_SUPPORTED
#define E_IP AVPS_SCMI_INVALID_PARAMETERS
#define E_DN AVPS_SCMI_DENIED
#define E_NF AVPS_SCMI_NOT_FOUND
#define E_OR AVPS_SCMI_OUT_OF_RANGE
#define E_BZ AVPS_SCMI_BUSY

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

static uint32_t pop(struct sfx *f, uint32_t agent, uint8_t *buf)
{
    int n = avps_scmi_p2a_pop(&f->s, agent, buf, 136);

    assert_true(n >= 0);
    return (uint32_t)n;
}

/* ---- Power domain ---------------------------------------------------------------- */

static void test_scmi_power_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, PW, 1, 24, OK);
    assert_int_equal(sfx_ret(f, 0), 4);
    CALL(f, A, PW, 3, 28, OK, 0);
    assert_int_equal(sfx_ret(f, 0), (1u << 31) | (1u << 30) | (1u << 29));
    assert_string_equal((const char *)&f->rsp[12], "gpu");
    CALL(f, A, PW, 3, 28, OK, 2);
    assert_int_equal(sfx_ret(f, 0), 1u << 29);
    CALL(f, A, PW, 3, 28, OK, 3 - 1);
    CALL(f, A, PW, 3, 8, E_NF, 4);
    CALL(f, A, PW, 3, 8, E_DN, 3); /* device 15 is not vm-a's */
    CALL(f, SFX_HOST, PW, 3, 28, OK, 3);
    assert_true(sfx_ret(f, 0) & (1u << 27)); /* extended name */
    CALL(f, SFX_HOST, PW, 8, 8 + 4 + 64, OK, 3);
    assert_string_equal((const char *)&f->rsp[12], "secure-enclave-domain");
    CALL(f, A, PW, 8, 8, E_NF, 9);
    /* state set / get, and STATE_CHANGED to a subscriber */
    CALL(f, SFX_HOST, PW, 6, 8, OK, 0, 1);
    CALL(f, A, PW, 4, 8, OK, 0, 0, 0x40000000u);
    assert_int_equal(f->power_state[0], 0x40000000u);
    CALL(f, A, PW, 5, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 0x40000000u);
    assert_int_equal(f->kicks[SFX_HOST], 1);
    assert_int_equal(pop(f, SFX_HOST, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, PW, 0));
    assert_int_equal(sfx_le32(&b[4]), A); /* caused by vm-a */
    assert_int_equal(sfx_le32(&b[12]), 0x40000000u);
    CALL(f, A, PW, 4, 8, E_IP, 2, 0, 0);
    CALL(f, A, PW, 4, 8, E_NF, 0, 7, 0);
    CALL(f, A, PW, 5, 8, E_NF, 7);
    f->fail = AVPS_E_IO;
    CALL(f, A, PW, 4, 8, AVPS_SCMI_HARDWARE_ERROR, 0, 0, 0);
    /* asynchronous: POWER_STATE_SET_COMPLETE, only where supported */
    CALL(f, A, PW, 4, 8, OK, 1, 0, 0);
    assert_int_equal(pop(f, A, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(4, 2, PW, 0x155));
    assert_int_equal(sfx_le32(&b[8]), 0);
    CALL(f, A, PW, 4, 8, E_NS, 1, 1, 0);
    f->defer = true;
    CALL(f, A, PW, 4, 8, OK, 1, 0, 0);
    assert_int_equal(pop(f, A, b), 0);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_OK, 0), AVPS_OK);
    assert_int_equal(pop(f, A, b), 16);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_OK, 0), AVPS_E_INVAL);
    f->fail = AVPS_E_AGAIN;
    CALL(f, A, PW, 4, 8, E_BZ, 1, 0, 0);
    f->defer = false;
    /* notify commands */
    CALL(f, A, PW, 6, 8, E_NS, 2, 1);
    CALL(f, A, PW, 6, 8, E_IP, 0, 2);
    CALL(f, A, PW, 7, 8, OK, 0, 1);
    CALL(f, A, PW, 7, 8, E_NS, 1, 1);
    CALL(f, A, PW, 7, 8, E_NF, 9, 1);
    CALL(f, A, PW, 6, 8, OK, 0, 0);
    assert_int_equal(avps_scmi_notify(&f->s, 0, PW, 1, 0, NULL, 0), 1);
}

static void test_scmi_power_without_p2a_or_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;

    avps_scmi_agent_bind(&f->s, A, false, NULL, NULL);
    CALL(f, A, PW, 3, 28, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 1u << 29);
    CALL(f, A, PW, 4, 8, E_NS, 1, 0, 0);
    CALL(f, A, PW, 6, 8, E_NS, 0, 1);
    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, PW, 4, 8, E_NS, 0, 0, 0);
    CALL(f, A, PW, 5, 8, E_NS, 0);
}

/* ---- System power ------------------------------------------------------------------- */

static void test_scmi_system_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];
    const uint32_t w[2] = {1, 5000};

    CALL0(f, A, SY, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), (1u << 31) | (1u << 30));
    CALL(f, A, SY, 3, 8, OK, 1, 2);
    assert_int_equal(f->sys_state, 2);
    assert_int_equal(f->sys_flags, 1);
    assert_int_equal(f->sys_agent, A);
    CALL0(f, A, SY, 4, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 2);
    CALL(f, A, SY, 3, 8, E_IP, 2, 0);
    CALL(f, A, SY, 3, 8, E_IP, 0, 5);
    CALL(f, A, SY, 3, 8, OK, 0, 0x80000001u);
    f->fail = AVPS_E_STATE;
    CALL(f, A, SY, 3, 8, E_DN, 0, 0);
    /* SYSTEM_POWER_STATE_NOTIFIER: flags, state, timeout */
    CALL(f, A, SY, 5, 8, OK, 1);
    CALL(f, A, SY, 5, 8, E_IP, 3);
    assert_int_equal(avps_scmi_notify(&f->s, 0, SY, 0, 1, w, 2), 1);
    assert_int_equal(pop(f, A, b), 20);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, SY, 0));
    assert_int_equal(sfx_le32(&b[8]), 1);
    assert_int_equal(sfx_le32(&b[12]), 1);
    assert_int_equal(sfx_le32(&b[16]), 5000);
    CALL(f, A, SY, 5, 8, OK, 0);
    assert_int_equal(avps_scmi_notify(&f->s, 0, SY, 0, 1, w, 2), 0);
}

static void test_scmi_system_unsupported_states(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;
    struct avps_scmi_platform pf = sfx_platform;
    struct avps_scmi_cfg cfg;

    pf.system_flags = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.platform = &pf;
    cfg.ops = &sfx_ops;
    cfg.ctx = f;
    cfg.agent_cfg = sfx_agents;
    cfg.agents = f->agents;
    cfg.num_agents = SFX_AGENTS;
    assert_int_equal(avps_scmi_init(&f->s, &cfg), AVPS_OK);
    CALL0(f, A, SY, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 0);
    CALL(f, A, SY, 3, 8, E_NS, 0, 2);
    CALL(f, A, SY, 3, 8, E_NS, 0, 4);
    CALL(f, A, SY, 3, 8, OK, 0, 1);
    cfg.ops = &none;
    assert_int_equal(avps_scmi_init(&f->s, &cfg), AVPS_OK);
    CALL(f, A, SY, 3, 8, E_NS, 0, 1);
    CALL0(f, A, SY, 4, 8, E_NS);
}

/* ---- Performance ---------------------------------------------------------------------- */

static void test_scmi_perf_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, PF, 1, 24, OK);
    assert_int_equal(sfx_ret(f, 0), 2u | (1u << 16));
    CALL(f, A, PF, 3, 8 + 32, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 0xf0000000u);
    assert_int_equal(sfx_ret(f, 1), 1000);
    assert_int_equal(sfx_ret(f, 2), 1600000);
    assert_int_equal(sfx_ret(f, 3), 400);
    assert_string_equal((const char *)&f->rsp[24], "cpu-big");
    CALL(f, A, PF, 3, 8 + 32, OK, 1);
    assert_int_equal(sfx_ret(f, 0), 1u << 26);
    CALL(f, A, PF, 0xc, 8 + 68, OK, 1);
    assert_string_equal((const char *)&f->rsp[12], "cpu-little-cluster-with-long-name");
    CALL(f, A, PF, 3, 8, E_NF, 2);
    CALL(f, SFX_VMB, PF, 3, 8, E_NS, 0);
    /* levels: 20 bytes each, 6 per 128-byte room; continuation */
    CALL(f, A, PF, 4, 8 + 4 + 5 * 20, OK, 0, 0);
    assert_int_equal(sfx_ret(f, 0), 5);
    assert_int_equal(sfx_ret(f, 1), 100);
    assert_int_equal(sfx_ret(f, 4), 400000);
    assert_int_equal(sfx_ret(f, 1 + 4 * 5 + 4), 4); /* last entry's index */
    assert_int_equal(sfx_call_cap(f, A, PF, 4, (const uint32_t[]){0, 1}, 2, 52), 52);
    assert_int_equal(sfx_ret(f, 0), 2u | (2u << 16));
    assert_int_equal(sfx_ret(f, 1), 200);
    CALL(f, A, PF, 4, 12, OK, 0, 5);
    CALL(f, A, PF, 4, 8, E_IP, 0, 6);
    /* limits */
    CALL(f, SFX_HOST, PF, 9, 8, OK, 0, 1);
    CALL(f, SFX_HOST, PF, 0xa, 8, OK, 0, 1);
    CALL(f, A, PF, 5, 8, OK, 0, 400, 200);
    CALL(f, A, PF, 6, 16, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 400);
    assert_int_equal(sfx_ret(f, 1), 200);
    assert_int_equal(pop(f, SFX_HOST, b), 20);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, PF, 0));
    assert_int_equal(sfx_le32(&b[12]), 400);
    assert_int_equal(sfx_le32(&b[16]), 200);
    CALL(f, A, PF, 5, 8, E_IP, 0, 200, 400);
    CALL(f, A, PF, 5, 8, E_OR, 0, 600, 100);
    CALL(f, A, PF, 5, 8, E_OR, 0, 500, 50);
    CALL(f, A, PF, 5, 8, E_DN, 1, 300, 100);
    /* level */
    CALL(f, A, PF, 7, 8, OK, 0, 300);
    CALL(f, A, PF, 8, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 300);
    assert_int_equal(pop(f, SFX_HOST, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(1, 3, PF, 0));
    CALL(f, A, PF, 7, 8, E_OR, 0, 301);
    CALL(f, A, PF, 7, 8, E_DN, 1, 100);
    CALL(f, A, PF, 7, 8, E_NF, 5, 100);
    f->fail = AVPS_E_IO;
    CALL(f, A, PF, 7, 8, AVPS_SCMI_HARDWARE_ERROR, 0, 100);
    /* notify commands where not supported; FastChannels never */
    CALL(f, A, PF, 9, 8, E_NS, 1, 1);
    CALL(f, A, PF, 0xa, 8, E_NS, 1, 1);
    CALL(f, A, PF, 9, 8, E_NF, 3, 1);
    CALL(f, A, PF, 0xb, 8, E_NS, 0, 7);
    CALL(f, A, PF, 2, 8, E_NF, 0xb);
    CALL(f, A, PF, 2, 12, OK, 7);
}

static void test_scmi_perf_missing_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;

    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, PF, 5, 8, E_NS, 0, 400, 200);
    CALL(f, A, PF, 6, 8, E_NS, 0);
    CALL(f, A, PF, 7, 8, E_NS, 0, 100);
    CALL(f, A, PF, 8, 8, E_NS, 0);
}

/* ---- Clock -------------------------------------------------------------------------------- */

static void test_scmi_clock_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, CK, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 4u | (SFX_PENDING << 16));
    f->clock_on[0] = true;
    CALL(f, A, CK, 3, 8 + 24, OK, 0);
    assert_int_equal(sfx_ret(f, 0), (1u << 31) | (1u << 30) | 1u);
    assert_string_equal((const char *)&f->rsp[12], "uart");
    assert_int_equal(sfx_ret(f, 5), 10);
    CALL(f, A, CK, 3, 8 + 24, OK, 2);
    assert_int_equal(sfx_ret(f, 0), 1u << 28);
    CALL(f, A, CK, 3, 8 + 24, OK, 3);
    assert_int_equal(sfx_ret(f, 0), 1u << 29);
    CALL(f, A, CK, 8, 8 + 68, OK, 3);
    assert_string_equal((const char *)&f->rsp[12], "spi-controller-functional-clock");
    CALL(f, A, CK, 3, 8, E_NF, 4);
    CALL(f, A, CK, 8, 8, E_NF, 4);
    /* rates: list, multi-part with a small room; a range triplet */
    CALL(f, A, CK, 4, 8 + 4 + 40, OK, 0, 0);
    assert_int_equal(sfx_ret(f, 0), 5);
    assert_int_equal(sfx_ret(f, 1), 12000000);
    assert_int_equal(sfx_call_cap(f, A, CK, 4, (const uint32_t[]){0, 2}, 2, 28), 28);
    assert_int_equal(sfx_ret(f, 0), 2u | (1u << 16));
    assert_int_equal(sfx_ret(f, 1), 48000000);
    CALL(f, A, CK, 4, 8, E_IP, 0, 6);
    CALL(f, A, CK, 4, 8 + 4 + 24, OK, 1, 0);
    assert_int_equal(sfx_ret(f, 0), 3u | (1u << 12));
    CALL(f, A, CK, 4, 8, E_IP, 1, 1);
    assert_int_equal(sfx_call_cap(f, A, CK, 4, (const uint32_t[]){1, 0}, 2, 20), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_COMMS_ERROR);
    /* rate set with rounding, get; RATE_CHANGED to a subscriber */
    CALL(f, SFX_HOST, CK, 9, 8, OK, 0, 1);
    CALL(f, A, CK, 5, 8, OK, 0, 0, 30000000, 0);
    assert_int_equal(f->clock_rate[0], 24000000); /* down */
    CALL(f, A, CK, 5, 8, OK, 1u << 2, 0, 30000000, 0);
    assert_int_equal(f->clock_rate[0], 48000000); /* up */
    CALL(f, A, CK, 5, 8, OK, 2u << 2, 0, 30000000, 0);
    assert_int_equal(f->clock_rate[0], 24000000); /* nearest */
    CALL(f, A, CK, 5, 8, OK, 2u << 2, 0, 40000000, 0);
    assert_int_equal(f->clock_rate[0], 48000000);
    CALL(f, A, CK, 5, 8, OK, 0, 1, 1500000, 0);
    assert_int_equal(f->clock_rate[1], 1000000); /* range, step 1 MHz, down */
    CALL(f, A, CK, 5, 8, OK, 1u << 2, 1, 1500000, 0);
    assert_int_equal(f->clock_rate[1], 2000000);
    CALL(f, A, CK, 5, 8, OK, 1u << 2, 1, 100000000, 0);
    assert_int_equal(f->clock_rate[1], 100000000);
    CALL(f, A, CK, 6, 16, OK, 1);
    assert_int_equal(sfx_ret(f, 0), 100000000);
    assert_int_equal(pop(f, SFX_HOST, b), 20);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, CK, 0));
    assert_int_equal(sfx_le32(&b[12]), 24000000);
    CALL(f, A, CK, 5, 8, E_OR, 0, 0, 1000, 0);
    CALL(f, A, CK, 5, 8, E_OR, 0, 0, 0, 1);
    CALL(f, A, CK, 5, 8, E_OR, 0, 1, 200000000, 0);
    CALL(f, A, CK, 5, 8, E_IP, 3u << 2, 0, 24000000, 0);
    CALL(f, A, CK, 5, 8, E_IP, 0x10, 0, 24000000, 0);
    CALL(f, A, CK, 5, 8, E_NF, 0, 9, 24000000, 0);
    CALL(f, A, CK, 6, 8, E_NF, 9);
    /* asynchronous: CLOCK_RATE_SET_COMPLETE; "ignore delayed response" */
    CALL(f, A, CK, 5, 8, OK, 1, 0, 96000000, 0);
    assert_int_equal(pop(f, A, b), 20);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(5, 2, CK, 0x155));
    assert_int_equal(sfx_le32(&b[8]), 0);
    assert_int_equal(sfx_le32(&b[12]), 96000000);
    CALL(f, A, CK, 5, 8, OK, 3, 0, 12000000, 0);
    assert_int_equal(pop(f, A, b), 0);
    CALL(f, A, CK, 5, 8, E_NS, 1, 1, 12000000, 0);
    f->defer = true;
    CALL(f, A, CK, 5, 8, OK, 1, 0, 12000000, 0);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_OK, 12000000), AVPS_OK);
    assert_int_equal(pop(f, A, b), 20);
    assert_int_equal(sfx_le32(&b[12]), 12000000);
    f->defer = false;
    f->fail = AVPS_E_IO;
    CALL(f, A, CK, 5, 8, AVPS_SCMI_HARDWARE_ERROR, 1, 0, 12000000, 0);
    /* config set / get */
    CALL(f, A, CK, 7, 8, OK, 0, 1, 0);
    assert_true(f->clock_on[0]);
    CALL(f, A, CK, 0xb, 20, OK, 0, 0);
    assert_int_equal(sfx_ret(f, 1), 1);
    CALL(f, A, CK, 7, 8, OK, 0, 0, 0);
    assert_false(f->clock_on[0]);
    CALL(f, A, CK, 7, 8, OK, 0, 3, 0);
    CALL(f, A, CK, 7, 8, E_IP, 0, 2, 0);
    CALL(f, A, CK, 7, 8, E_IP, 0, 1u << 4, 0);
    CALL(f, A, CK, 7, 8, E_NS, 0, 1u << 16, 0);
    CALL(f, A, CK, 7, 8, E_NF, 9, 1, 0);
    CALL(f, A, CK, 0xb, 8, E_NS, 0, 1);
    CALL(f, A, CK, 0xb, 8, E_IP, 0, 0x100);
    CALL(f, A, CK, 0xb, 8, E_NF, 9, 0);
    /* notifications */
    CALL(f, A, CK, 9, 8, E_NS, 1, 1);
    CALL(f, A, CK, 0xa, 8, OK, 0, 1);
    CALL(f, A, CK, 0xa, 8, E_NS, 1, 1);
    CALL(f, A, CK, 9, 8, E_NF, 9, 1);
    /* parents */
    CALL(f, A, CK, 0xc, 8 + 12, OK, 2, 0);
    assert_int_equal(sfx_ret(f, 0), 2);
    assert_int_equal(sfx_ret(f, 2), 1);
    assert_int_equal(sfx_call_cap(f, A, CK, 0xc, (const uint32_t[]){2, 0}, 2, 16), 16);
    assert_int_equal(sfx_ret(f, 0), 1u | (1u << 24));
    CALL(f, A, CK, 0xc, 8, E_IP, 2, 3);
    CALL(f, A, CK, 0xc, 8, E_NS, 0, 0);
    CALL(f, A, CK, 0xc, 8, E_NF, 9, 0);
    CALL(f, A, CK, 0xd, 8, OK, 2, 1);
    CALL(f, A, CK, 0xe, 12, OK, 2);
    assert_int_equal(sfx_ret(f, 0), 1);
    CALL(f, A, CK, 0xd, 8, E_IP, 2, 2);
    CALL(f, A, CK, 0xd, 8, E_NS, 0, 0);
    CALL(f, A, CK, 0xe, 8, E_NS, 0);
    CALL(f, A, CK, 0xd, 8, E_NF, 9, 0);
    CALL(f, A, CK, 0xe, 8, E_NF, 9);
    /* permissions */
    CALL(f, A, CK, 0xf, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 0xe0000000u);
    CALL(f, A, CK, 0xf, 8, E_NF, 9);
    CALL(f, SFX_VMB, CK, 0xf, 8, E_NS, 0);
}

static void test_scmi_clock_permissions_and_missing_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;
    const uint32_t a[3] = {A, 6, 0};

    /* the host takes the clocks' device away from vm-a */
    assert_int_equal(sfx_call(f, SFX_HOST, AVPS_SCMI_PROTO_BASE, 9, a, 3), 8);
    assert_int_equal(sfx_status(f), OK);
    CALL(f, A, CK, 3, 8, E_DN, 0);
    CALL(f, A, CK, 5, 8, E_DN, 0, 0, 24000000, 0);
    CALL(f, A, CK, 0xf, 8, E_DN, 0);
    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, CK, 3, 8 + 24, OK, 0);
    assert_int_equal(sfx_ret(f, 0) & 1u, 0);
    CALL(f, A, CK, 5, 8, E_NS, 0, 0, 24000000, 0);
    CALL(f, A, CK, 6, 8, E_NS, 0);
    CALL(f, A, CK, 7, 8, E_NS, 0, 1, 0);
    CALL(f, A, CK, 0xb, 8, E_NS, 0, 0);
    CALL(f, A, CK, 0xd, 8, E_NS, 2, 1);
    CALL(f, A, CK, 0xe, 8, E_NS, 2);
}

/* ---- Reset ---------------------------------------------------------------------------------- */

static void test_scmi_reset_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, RS, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 3);
    CALL(f, A, RS, 3, 8 + 24, OK, 0);
    assert_int_equal(sfx_ret(f, 0), (1u << 31) | (1u << 30));
    assert_int_equal(sfx_ret(f, 1), 100);
    assert_string_equal((const char *)&f->rsp[16], "usb");
    CALL(f, A, RS, 3, 8 + 24, OK, 2);
    assert_int_equal(sfx_ret(f, 0), 1u << 29);
    CALL(f, A, RS, 6, 8 + 68, OK, 2);
    assert_string_equal((const char *)&f->rsp[12], "pcie-root-complex-reset");
    CALL(f, A, RS, 3, 8, E_NF, 3);
    CALL(f, A, RS, 6, 8, E_NF, 3);
    /* reset: autonomous, explicit assert/deassert; RESET_ISSUED */
    CALL(f, SFX_HOST, RS, 5, 8, OK, 0, 1);
    CALL(f, A, RS, 4, 8, OK, 0, 1, 0);
    assert_int_equal(f->reset_count[0], 1);
    assert_int_equal(f->reset_flags, 1);
    assert_int_equal(pop(f, SFX_HOST, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, RS, 0));
    assert_int_equal(sfx_le32(&b[4]), A);
    CALL(f, A, RS, 4, 8, OK, 1, 2, 0x80000003u);
    assert_int_equal(f->reset_state, 0x80000003u);
    CALL(f, A, RS, 4, 8, E_IP, 0, 3, 0);
    CALL(f, A, RS, 4, 8, E_IP, 0, 8, 0);
    CALL(f, A, RS, 4, 8, E_IP, 0, 1, 5);
    CALL(f, A, RS, 4, 8, E_NF, 3, 1, 0);
    /* asynchronous: RESET_COMPLETE */
    CALL(f, A, RS, 4, 8, OK, 0, 5, 0);
    assert_int_equal(f->reset_flags, 1); /* the async bit is the core's */
    assert_int_equal(pop(f, A, b), 12);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(4, 2, RS, 0x155));
    assert_int_equal(sfx_le32(&b[8]), 0);
    CALL(f, A, RS, 4, 8, E_NS, 1, 5, 0);
    f->defer = true;
    CALL(f, A, RS, 4, 8, OK, 0, 5, 0);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_E_IO, 0), AVPS_OK);
    assert_int_equal(pop(f, A, b), 8);
    assert_int_equal((int32_t)sfx_le32(&b[4]), AVPS_SCMI_HARDWARE_ERROR);
    f->defer = false;
    f->fail = AVPS_E_INVAL;
    CALL(f, A, RS, 4, 8, E_IP, 0, 1, 0);
    /* notify */
    CALL(f, A, RS, 5, 8, E_NS, 1, 1);
    CALL(f, A, RS, 5, 8, E_NF, 7, 1);
    CALL(f, A, RS, 5, 8, E_IP, 0, 4);
}

/* ---- Voltage ---------------------------------------------------------------------------------- */

static void test_scmi_voltage_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, VO, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 2);
    CALL(f, A, VO, 3, 8 + 20, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 1u << 31);
    assert_string_equal((const char *)&f->rsp[12], "vdd-gpu");
    CALL(f, A, VO, 3, 8 + 20, OK, 1);
    assert_int_equal(sfx_ret(f, 0), 0);
    CALL(f, A, VO, 9, 8 + 68, OK, 1);
    assert_string_equal((const char *)&f->rsp[12], "vdd-io");
    CALL(f, A, VO, 3, 8, E_NF, 2);
    CALL(f, A, VO, 9, 8, E_NF, 2);
    /* levels: list (multi-part), range triplet */
    CALL(f, A, VO, 4, 8 + 4 + 16, OK, 0, 0);
    assert_int_equal(sfx_ret(f, 0), 4);
    assert_int_equal(sfx_ret(f, 1), 800000);
    assert_int_equal(sfx_call_cap(f, A, VO, 4, (const uint32_t[]){0, 1}, 2, 20), 20);
    assert_int_equal(sfx_ret(f, 0), 2u | (1u << 16));
    assert_int_equal(sfx_ret(f, 1), 900000);
    CALL(f, A, VO, 4, 8, E_IP, 0, 5);
    CALL(f, A, VO, 4, 8 + 4 + 12, OK, 1, 0);
    assert_int_equal(sfx_ret(f, 0), 3u | (1u << 12));
    CALL(f, A, VO, 4, 8, E_IP, 1, 1);
    assert_int_equal(sfx_call_cap(f, A, VO, 4, (const uint32_t[]){1, 0}, 2, 20), 8);
    assert_int_equal(sfx_status(f), AVPS_SCMI_COMMS_ERROR);
    CALL(f, A, VO, 4, 8, E_NF, 2, 0);
    /* config */
    CALL(f, A, VO, 5, 8, OK, 0, 7);
    CALL(f, A, VO, 6, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 7);
    CALL(f, A, VO, 5, 8, OK, 0, 0);
    CALL(f, A, VO, 5, 8, OK, 0, 9);
    CALL(f, A, VO, 5, 8, E_IP, 0, 3);
    CALL(f, A, VO, 5, 8, E_IP, 0, 0x17);
    CALL(f, A, VO, 5, 8, E_NF, 2, 7);
    CALL(f, A, VO, 6, 8, E_NF, 2);
    /* level */
    CALL(f, A, VO, 7, 8, OK, 0, 0, 1000000);
    CALL(f, A, VO, 8, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 1000000);
    CALL(f, A, VO, 7, 8, OK, 1, 0, 2500000);
    CALL(f, A, VO, 7, 8, E_OR, 1, 0, 2550000);
    CALL(f, A, VO, 7, 8, E_OR, 1, 0, 3400000);
    CALL(f, A, VO, 7, 8, E_OR, 0, 0, 950000);
    CALL(f, A, VO, 7, 8, E_IP, 0, 2, 1000000);
    CALL(f, A, VO, 7, 8, E_NF, 2, 0, 1000000);
    CALL(f, A, VO, 8, 8, E_NF, 2);
    /* asynchronous: LEVEL_SET_COMPLETE */
    CALL(f, A, VO, 7, 8, OK, 0, 1, 1100000);
    assert_int_equal(pop(f, A, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(7, 2, VO, 0x155));
    assert_int_equal(sfx_le32(&b[12]), 1100000);
    CALL(f, A, VO, 7, 8, E_NS, 1, 1, 1800000);
    f->defer = true;
    CALL(f, A, VO, 7, 8, OK, 0, 1, 800000);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_OK, 800000), AVPS_OK);
    assert_int_equal(pop(f, A, b), 16);
    assert_int_equal(sfx_le32(&b[12]), 800000);
}

static void test_scmi_voltage_missing_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;

    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, VO, 5, 8, E_NS, 0, 7);
    CALL(f, A, VO, 6, 8, E_NS, 0);
    CALL(f, A, VO, 7, 8, E_NS, 0, 0, 800000);
    CALL(f, A, VO, 8, 8, E_NS, 0);
}

/* ---- Power capping ------------------------------------------------------------------------------ */

static void test_scmi_powercap_commands(void **state)
{
    struct sfx *f = *state;
    uint8_t b[136];

    CALL0(f, A, PC, 1, 12, OK);
    assert_int_equal(sfx_ret(f, 0), 2);
    CALL(f, A, PC, 3, 8 + 56, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 0xee000000u | (2u << 23));
    assert_string_equal((const char *)&f->rsp[12], "soc");
    assert_int_equal(sfx_ret(f, 5), 1000);    /* min pai */
    assert_int_equal(sfx_ret(f, 9), 20000);   /* max cap */
    assert_int_equal(sfx_ret(f, 13), 0xffffffffu); /* no parent */
    CALL(f, A, PC, 3, 8 + 56, OK, 1);
    assert_int_equal(sfx_ret(f, 0), (1u << 26) | (2u << 23));
    CALL(f, A, PC, 8, 8 + 68, OK, 1);
    assert_string_equal((const char *)&f->rsp[12], "gpu");
    CALL(f, A, PC, 3, 8, E_NF, 2);
    CALL(f, A, PC, 8, 8, E_NF, 2);
    /* cap set/get, CAP_CHANGED with the averaging interval */
    f->pai[0] = 5000;
    CALL(f, SFX_HOST, PC, 0xa, 8, OK, 0, 1);
    CALL(f, A, PC, 5, 8, OK, 0, 0, 1500);
    CALL(f, A, PC, 4, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 1500);
    assert_int_equal(pop(f, SFX_HOST, b), 20);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(0, 3, PC, 0));
    assert_int_equal(sfx_le32(&b[12]), 1500);
    assert_int_equal(sfx_le32(&b[16]), 5000);
    CALL(f, A, PC, 5, 8, E_OR, 0, 0, 1600);
    CALL(f, A, PC, 5, 8, E_OR, 0, 0, 500);
    CALL(f, A, PC, 5, 8, E_OR, 0, 0, 20500);
    CALL(f, A, PC, 5, 8, E_IP, 0, 4, 1500);
    CALL(f, A, PC, 5, 8, E_NS, 1, 0, 5000);
    CALL(f, A, PC, 5, 8, E_NF, 2, 0, 5000);
    CALL(f, A, PC, 4, 8, E_NF, 2);
    /* asynchronous: CAP_SET_COMPLETE; ignoring the delayed response */
    CALL(f, A, PC, 5, 8, OK, 0, 1, 2000);
    assert_int_equal(pop(f, A, b), 16);
    assert_int_equal(sfx_le32(b), AVPS_SCMI_HDR(5, 2, PC, 0x155));
    assert_int_equal(sfx_le32(&b[12]), 2000);
    CALL(f, A, PC, 5, 8, OK, 0, 3, 2500);
    assert_int_equal(pop(f, A, b), 0);
    f->defer = true;
    CALL(f, A, PC, 5, 8, OK, 0, 1, 3000);
    assert_int_equal(avps_scmi_complete(&f->s, f->last_handle, AVPS_OK, 3000), AVPS_OK);
    assert_int_equal(pop(f, A, b), 16);
    f->defer = false;
    avps_scmi_agent_bind(&f->s, A, false, NULL, NULL);
    CALL(f, A, PC, 5, 8, E_NS, 0, 1, 3000);
    avps_scmi_agent_bind(&f->s, A, true, NULL, NULL);
    /* averaging interval */
    CALL(f, A, PC, 7, 8, OK, 0, 0, 3000);
    CALL(f, A, PC, 6, 12, OK, 0);
    assert_int_equal(sfx_ret(f, 0), 3000);
    CALL(f, A, PC, 7, 8, E_OR, 0, 0, 3500);
    CALL(f, A, PC, 7, 8, E_OR, 0, 0, 200000);
    CALL(f, A, PC, 7, 8, E_IP, 0, 1, 3000);
    CALL(f, A, PC, 7, 8, E_NS, 1, 0, 1000);
    CALL(f, A, PC, 7, 8, E_NF, 2, 0, 1000);
    CALL(f, A, PC, 6, 8, E_NF, 2);
    /* measurements */
    CALL(f, A, PC, 9, 16, OK, 1);
    assert_int_equal(sfx_ret(f, 0), 4201);
    CALL(f, A, PC, 9, 8, E_NF, 2);
    CALL(f, A, PC, 0xb, 8, OK, 0, 1, 100, 200);
    CALL(f, A, PC, 0xb, 8, E_IP, 0, 1, 300, 200);
    CALL(f, A, PC, 0xb, 8, OK, 0, 0, 300, 200);
    CALL(f, A, PC, 0xb, 8, E_NS, 1, 1, 100, 200);
    CALL(f, A, PC, 0xb, 8, E_NF, 2, 1, 100, 200);
    CALL(f, A, PC, 0xa, 8, E_NS, 1, 1);
    CALL(f, A, PC, 0xa, 8, E_NF, 2, 1);
    CALL(f, A, PC, 0xc, 8, E_NS, 0, 5);
}

static void test_scmi_powercap_missing_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;

    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, PC, 4, 8, E_NS, 0);
    CALL(f, A, PC, 5, 8, E_NS, 0, 0, 1500);
    CALL(f, A, PC, 6, 8, E_NS, 0);
    CALL(f, A, PC, 7, 8, E_NS, 0, 0, 1000);
    CALL(f, A, PC, 9, 8, E_NS, 0);
}

/* ---- Pin control ------------------------------------------------------------------------------- */

static void test_scmi_pinctrl_commands(void **state)
{
    struct sfx *f = *state;

    CALL0(f, A, PN, 1, 16, OK);
    assert_int_equal(sfx_ret(f, 0), 4u | (2u << 16));
    assert_int_equal(sfx_ret(f, 1), 2);
    /* attributes of a pin, a group, a function */
    CALL(f, A, PN, 3, 8 + 20, OK, 0, 0);
    assert_int_equal(sfx_ret(f, 0), 0);
    assert_string_equal((const char *)&f->rsp[12], "gpio0");
    CALL(f, A, PN, 3, 8 + 20, OK, 3, 0);
    assert_int_equal(sfx_ret(f, 0), 1u << 31);
    CALL(f, A, PN, 3, 8 + 20, OK, 0, 1);
    assert_int_equal(sfx_ret(f, 0), 2);
    CALL(f, A, PN, 3, 8 + 20, OK, 1, 2);
    assert_int_equal(sfx_ret(f, 0), 2);
    assert_string_equal((const char *)&f->rsp[12], "gpio");
    CALL(f, A, PN, 3, 8, E_NF, 4, 0);
    CALL(f, A, PN, 3, 8, E_NF, 2, 1);
    CALL(f, A, PN, 3, 8, E_NF, 2, 2);
    CALL(f, A, PN, 3, 8, E_IP, 0, 3);
    CALL(f, A, PN, 3, 8, E_IP, 0, 4);
    CALL(f, A, PN, 9, 8 + 68, OK, 3, 0);
    assert_string_equal((const char *)&f->rsp[12], "uart0_rx_with_long_pin_name");
    CALL(f, A, PN, 9, 8, E_NF, 9, 0);
    /* associations: pins of a group, groups of a function */
    CALL(f, A, PN, 4, 8 + 8, OK, 0, 1, 0);
    assert_int_equal(sfx_ret(f, 0), 2);
    assert_int_equal(sfx_ret(f, 1), 2u | (3u << 16));
    CALL(f, A, PN, 4, 8 + 8, OK, 1, 2, 1);
    assert_int_equal(sfx_ret(f, 0), 1);
    assert_int_equal(sfx_ret(f, 1), 1);
    assert_int_equal(sfx_call_cap(f, A, PN, 4, (const uint32_t[]){1, 2, 0}, 3, 12), 12);
    assert_int_equal(sfx_ret(f, 0), 0u | (2u << 16));
    CALL(f, A, PN, 4, 8, E_IP, 0, 0, 0);
    CALL(f, A, PN, 4, 8, E_IP, 0, 1, 3);
    CALL(f, A, PN, 4, 8, E_NF, 5, 1, 0);
    CALL(f, A, PN, 4, 8, E_IP, 0, 8, 0);
    /* settings: one, all (multi-part), function only */
    CALL(f, A, PN, 5, 8 + 16, OK, 2, 5);
    assert_int_equal(sfx_ret(f, 1), 1);
    assert_int_equal(sfx_ret(f, 2), 5);
    assert_int_equal(sfx_ret(f, 3), (2u << 8) | 5u);
    CALL(f, A, PN, 5, 8 + 8 + 22 * 0 + 8 * 15, OK, 1, (1u << 18));
    assert_int_equal(sfx_ret(f, 1), 15u | (7u << 24));
    CALL(f, A, PN, 5, 8 + 8 + 8 * 7, OK, 1, (1u << 18) | (15u << 8));
    assert_int_equal(sfx_ret(f, 1), 7u);
    assert_int_equal(sfx_ret(f, 2), 15u);
    CALL(f, A, PN, 5, 8 + 8, OK, 0, (2u << 18) | (1u << 16));
    assert_int_equal(sfx_ret(f, 1), 0);
    CALL(f, A, PN, 5, 8, E_IP, 0, (3u << 18));
    CALL(f, A, PN, 5, 8, E_IP, 0, (2u << 16));
    CALL(f, A, PN, 5, 8, E_IP, 0, (1u << 20));
    CALL(f, A, PN, 5, 8, E_NF, 4, 0);
    /* configure: function select on a group, settings on a pin */
    CALL(f, A, PN, 6, 8, OK, 0, 0, 1u | (1u << 10));
    CALL(f, A, PN, 5, 8 + 8, OK, 0, (2u << 18) | (1u << 16));
    assert_int_equal(sfx_ret(f, 0), 0);
    CALL(f, A, PN, 6, 8, OK, 3, 0xffffffffu, (2u << 2), 5, 1, 7, 0);
    assert_int_equal(f->pin_cfg_n, 2);
    assert_int_equal(f->pin_cfg_type, 7);
    CALL(f, A, PN, 6, 8, OK, 1, 1, (1u << 10));             /* gpio on pin 1 */
    CALL(f, A, PN, 6, 8, OK, 2, 1, (1u << 10));             /* gpio reaches pin 2 via group 0 */
    CALL(f, A, PN, 6, 8, E_IP, 0, 0, (1u << 10));           /* uart0 does not reach gpio0 */
    CALL(f, A, PN, 6, 8, E_IP, 1, 0, 1u | (1u << 10));      /* uart0 on gpio_grp */
    CALL(f, A, PN, 6, 8, E_NF, 0, 2, 1u | (1u << 10));
    CALL(f, A, PN, 6, 8, E_IP, 0, 0, 2u);                   /* a function */
    CALL(f, A, PN, 6, 8, E_IP, 0, 0, (1u << 11));
    CALL(f, A, PN, 6, 8, E_IP, 0, 0, (1u << 2), 0x100, 1);
    CALL(f, A, PN, 6, 8, AVPS_SCMI_PROTOCOL_ERROR, 0, 0, (2u << 2), 1, 1);
    CALL(f, A, PN, 6, 8, AVPS_SCMI_PROTOCOL_ERROR, 0, 0, (30u << 2));
    CALL(f, A, PN, 6, 8, E_NF, 9, 0, 0);
}

static void test_scmi_pinctrl_request_release_permissions(void **state)
{
    struct sfx *f = *state;

    CALL(f, A, PN, 7, 8, OK, 0, 0);
    CALL(f, A, PN, 7, 8, OK, 0, 0); /* again: still ours */
    CALL(f, SFX_HOST, PN, 7, 8, AVPS_SCMI_IN_USE, 0, 0);
    CALL(f, SFX_HOST, PN, 8, 8, E_DN, 0, 0);
    CALL(f, A, PN, 8, 8, OK, 0, 0);
    CALL(f, A, PN, 8, 8, E_DN, 0, 0);
    CALL(f, SFX_HOST, PN, 7, 8, OK, 0, 0);
    CALL(f, A, PN, 7, 8, OK, 1, 1);
    CALL(f, A, PN, 7, 8, E_IP, 0, 2);
    CALL(f, A, PN, 8, 8, E_IP, 0, 2);
    CALL(f, A, PN, 7, 8, E_NF, 9, 0);
    CALL(f, A, PN, 8, 8, E_NF, 9, 0);
    /* an agent reset releases its pins */
    avps_scmi_agent_reset(&f->s, SFX_HOST, false);
    CALL(f, A, PN, 7, 8, OK, 0, 0);
    /* permissions: the trusted agent only */
    CALL(f, A, PN, 0xa, 8, E_DN, SFX_VMB, 0, 4);
    CALL(f, SFX_HOST, PN, 0xa, 8, E_NF, 0, 0, 4);
    CALL(f, SFX_HOST, PN, 0xa, 8, E_NF, SFX_VMB, 9, 4);
    CALL(f, SFX_HOST, PN, 0xa, 8, E_IP, SFX_VMB, 0, 6);
    CALL(f, SFX_HOST, PN, 0xa, 8, E_IP, SFX_VMB, 0, 8);
    CALL(f, SFX_HOST, PN, 0xa, 8, OK, A, 0, 1);   /* revoke vm-a's group 0 */
    CALL(f, A, PN, 3, 8, E_DN, 0, 1);
    CALL(f, A, PN, 3, 8, E_DN, 0, 0);             /* the same device */
    CALL(f, SFX_HOST, PN, 0xa, 8, OK, A, 1, 4 | 0);
    CALL(f, A, PN, 3, 8 + 20, OK, 0, 0);
    /* a full table: the platform again, with 2 subscription entries */
    {
        struct avps_scmi_cfg cfg;

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
    }
    CALL(f, A, PN, 7, 8, OK, 0, 0);
    CALL(f, A, PN, 7, 8, OK, 1, 1);
    CALL(f, A, PN, 7, 8, E_BZ, 2, 0);
}

static void test_scmi_pinctrl_missing_ops(void **state)
{
    struct sfx *f = *state;
    static const struct avps_scmi_ops none;

    assert_int_equal(sfx_init_ops(f, &none), 0);
    CALL(f, A, PN, 5, 8, E_NS, 0, 0);
    CALL(f, A, PN, 6, 8, E_NS, 0, 0, 0);
}

/* The rounding helper on its edges (discrete list and range). */
static void test_scmi_core_rounding(void **state)
{
    struct sfx *f = *state;
    static const uint64_t one[1] = {5};
    static const uint64_t rng[2] = {10, 20}; /* no step */

    (void)f;
    CALL(f, A, CK, 5, 8, OK, 2u << 2, 0, 192000000, 0);
    assert_int_equal(f->clock_rate[0], 192000000);
    CALL(f, A, CK, 5, 8, OK, 1u << 2, 0, 12000000, 0);
    assert_int_equal(f->clock_rate[0], 12000000);
    CALL(f, A, CK, 5, 8, OK, 1u << 2, 1, 99999999, 0);
    assert_int_equal(f->clock_rate[1], 100000000);
    (void)one;
    (void)rng;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scmi_power_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_power_without_p2a_or_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_system_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_system_unsupported_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_perf_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_perf_missing_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_clock_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_clock_permissions_and_missing_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_reset_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_voltage_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_voltage_missing_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_powercap_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_powercap_missing_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_pinctrl_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_pinctrl_request_release_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_pinctrl_missing_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scmi_core_rounding, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

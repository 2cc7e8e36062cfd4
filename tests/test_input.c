/*
 * test_input: virtio-input (VIRTIO 1.2 §5.8) through the device core, with
 * the spec-written ring driver (tests/support/ringdrv) on both queues, split
 * and packed. Conformance tests carry the clause they check (docs/conformance.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/input.h>
#include <avps/virtio/input.h>

#include "devfix.h"

#define QMAX 16u
#define PEND 32u
#define BUS_VIRTUAL 0x06u
#define KEY_A 30u
#define BTN_TOUCH 0x14au
#define ABS_X 0u
#define ABS_Y 1u
#define LED_CAPSL 1u
#define INPUT_PROP_DIRECT 1u

struct infix {
    struct devfix f;
    struct avps_input in;
    struct avps_input_info info;
    struct avps_input_event pend[PEND];
    struct avps_vq_slot es[QMAX];
    struct avps_vq_slot ss[QMAX];
    struct avps_input_backend be;
    int st_calls;
    int st_again; /* status calls left that answer AVPS_E_AGAIN */
    int st_ret;   /* what the others return */
    struct avps_input_event st_last;
};

static int st_cb(void *ctx, const struct avps_input_event *ev)
{
    struct infix *t = ctx;

    t->st_calls++;
    t->st_last = *ev;
    if (t->st_again > 0) {
        t->st_again--;
        return AVPS_E_AGAIN;
    }
    return t->st_ret;
}

static void set_bit(uint8_t *bm, unsigned int bit)
{
    bm[bit / 8u] = (uint8_t)(bm[bit / 8u] | (1u << (bit % 8u)));
}

static void default_info(struct avps_input_info *info)
{
    memset(info, 0, sizeof *info);
    strcpy(info->name, "avps test tablet");
    strcpy(info->serial, "SN-0042");
    info->ids.bustype = BUS_VIRTUAL;
    info->ids.vendor = 0x1af4;
    info->ids.product = 0x1234;
    info->ids.version = 1;
    set_bit(info->prop_bits, INPUT_PROP_DIRECT);
    set_bit(info->ev_bits[AVPS_INPUT_EV_KEY], KEY_A);
    set_bit(info->ev_bits[AVPS_INPUT_EV_KEY], BTN_TOUCH);
    set_bit(info->ev_bits[AVPS_INPUT_EV_ABS], ABS_X);
    set_bit(info->ev_bits[AVPS_INPUT_EV_ABS], ABS_Y);
    set_bit(info->ev_bits[AVPS_INPUT_EV_LED], LED_CAPSL);
    info->abs[ABS_X].max = 32767;
    info->abs[ABS_Y].min = -100;
    info->abs[ABS_Y].max = 100;
    info->abs[ABS_Y].fuzz = 2;
    info->abs[ABS_Y].flat = 3;
    info->abs[ABS_Y].res = 4;
    info->abs[5].max = 9; /* not in the EV_ABS bitmap: never shown */
}

/* A device with a pending array of pend entries and rings of qsize entries. */
static struct infix *inf_new(bool packed, uint32_t pend, uint16_t qsize, uint64_t feat)
{
    struct infix *t = calloc(1, sizeof *t);
    struct avps_input_cfg cfg;

    assert_non_null(t);
    assert_int_equal(df_guest(&t->f), 0);
    default_info(&t->info);
    t->be.status = st_cb;
    t->be.ctx = t;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 11;
    cfg.info = &t->info;
    cfg.backend = &t->be;
    cfg.pending = t->pend;
    cfg.num_pending = pend;
    cfg.event_slots = t->es;
    cfg.num_event_slots = QMAX;
    cfg.status_slots = t->ss;
    cfg.num_status_slots = QMAX;
    cfg.queue_size_max = QMAX;
    assert_int_equal(avps_input_init(&t->in, &t->f.g.host, &cfg), AVPS_OK);
    assert_int_equal(df_rings(&t->f, avps_input_dev(&t->in), packed, 2, qsize, feat), 0);
    return t;
}

static void inf_free(struct infix *t)
{
    df_fini(&t->f);
    free(t);
}

static struct avps_dev *D(struct infix *t) { return avps_input_dev(&t->in); }

static int post(struct infix *t, uint64_t *gpa) { return df_add_buf(&t->f, 0, 8, true, gpa); }

static struct avps_input_event rd_ev(struct infix *t, uint64_t gpa)
{
    const uint8_t *p = df_ptr(&t->f, gpa, 8);
    struct avps_input_event e;

    e.type = (uint16_t)(p[0] | (p[1] << 8));
    e.code = (uint16_t)(p[2] | (p[3] << 8));
    e.value = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
              ((uint32_t)p[7] << 24);
    return e;
}

static struct avps_input_event ev(uint16_t type, uint16_t code, uint32_t value)
{
    struct avps_input_event e = {type, code, value};

    return e;
}

static const struct avps_input_event SYN = {AVPS_INPUT_EV_SYN, AVPS_INPUT_SYN_REPORT, 0};

static void assert_ev(struct avps_input_event a, uint16_t type, uint16_t code, uint32_t value)
{
    assert_int_equal(a.type, type);
    assert_int_equal(a.code, code);
    assert_int_equal(a.value, value);
}

/* Select, then read the whole configuration (as a driver does: select and
 * subsel written, then size, then u). */
static void cfg_select(struct infix *t, uint8_t sel, uint8_t subsel,
                       struct avps_virtio_input_config *c)
{
    assert_int_equal(avps_dev_config_write(D(t), 0, &sel, 1), AVPS_OK);
    assert_int_equal(avps_dev_config_write(D(t), 1, &subsel, 1), AVPS_OK);
    assert_int_equal(avps_dev_config_read(D(t), 0, c, sizeof *c), AVPS_OK);
}

/* ---- identity, queues, features (§5.8.1 - §5.8.3) ---------------------------- */

static void test_5_8_input_device_id_queues_no_features(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    uint64_t dev_bits;

    (void)s;
    assert_int_equal(avps_dev_device_id(D(t)), 18);
    assert_int_equal(avps_dev_num_queues(D(t)), 2);
    assert_int_equal(avps_dev_queue_size_max(D(t), 0), QMAX);
    assert_int_equal(avps_dev_queue_size_max(D(t), 1), QMAX);
    assert_int_equal(avps_dev_config_size(D(t)), 136);
    /* §5.8.3: no device-type feature bits (bits 0-23). */
    dev_bits = avps_dev_offered_features(D(t)) & 0xffffffull;
    assert_int_equal(dev_bits, 0);
    inf_free(t);
}

/* ---- configuration (§5.8.4, §5.8.5) ------------------------------------------- */

static void test_5_8_4_config_id_name_serial_devids(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_virtio_input_config c;

    (void)s;
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_NAME, 0, &c);
    assert_int_equal(c.select, 1);
    assert_int_equal(c.subsel, 0);
    assert_int_equal(c.size, strlen("avps test tablet"));
    assert_memory_equal(c.u.string, "avps test tablet", c.size);
    assert_int_equal(c.u.string[c.size], 0); /* no NUL counted, the rest is zero */
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_SERIAL, 0, &c);
    assert_int_equal(c.size, 7);
    assert_memory_equal(c.u.string, "SN-0042", 7);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_DEVIDS, 0, &c);
    assert_int_equal(c.size, 8);
    assert_int_equal(avps_from_le16(c.u.ids.bustype), BUS_VIRTUAL);
    assert_int_equal(avps_from_le16(c.u.ids.vendor), 0x1af4);
    assert_int_equal(avps_from_le16(c.u.ids.product), 0x1234);
    assert_int_equal(avps_from_le16(c.u.ids.version), 1);
    /* A 128-byte name has no NUL: size 128. */
    memset(t->info.name, 'n', sizeof t->info.name);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_NAME, 0, &c);
    assert_int_equal(c.size, 128);
    assert_int_equal(c.u.string[127], 'n');
    inf_free(t);
}

static void test_5_8_4_config_bitmaps_and_absinfo(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_virtio_input_config c;

    (void)s;
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_PROP_BITS, 0, &c);
    assert_int_equal(c.size, 1);
    assert_int_equal(c.u.bitmap[0], 1u << INPUT_PROP_DIRECT);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_EV_BITS, AVPS_INPUT_EV_KEY, &c);
    assert_int_equal(c.size, BTN_TOUCH / 8 + 1); /* up to the last non-zero byte */
    assert_int_equal(c.u.bitmap[KEY_A / 8], 1u << (KEY_A % 8));
    assert_int_equal(c.u.bitmap[BTN_TOUCH / 8], 1u << (BTN_TOUCH % 8));
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_EV_BITS, AVPS_INPUT_EV_ABS, &c);
    assert_int_equal(c.size, 1);
    assert_int_equal(c.u.bitmap[0], 3);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_EV_BITS, AVPS_INPUT_EV_LED, &c);
    assert_int_equal(c.size, 1);
    assert_int_equal(c.u.bitmap[0], 1u << LED_CAPSL);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ABS_INFO, ABS_X, &c);
    assert_int_equal(c.size, 20);
    assert_int_equal(avps_from_le32(c.u.abs.min), 0);
    assert_int_equal(avps_from_le32(c.u.abs.max), 32767);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, &c);
    assert_int_equal(c.size, 20);
    assert_int_equal((int32_t)avps_from_le32(c.u.abs.min), -100);
    assert_int_equal(avps_from_le32(c.u.abs.max), 100);
    assert_int_equal(avps_from_le32(c.u.abs.fuzz), 2);
    assert_int_equal(avps_from_le32(c.u.abs.flat), 3);
    assert_int_equal(avps_from_le32(c.u.abs.res), 4);
    /* Partial reads see the same bytes (a transport reads 1, 2 or 4 at a time). */
    {
        uint8_t b[4];
        uint8_t whole[136];

        memcpy(whole, &c, sizeof whole);
        for (uint32_t off = 0; off < 136; off += 4) {
            assert_int_equal(avps_dev_config_read(D(t), off, b, 4), AVPS_OK);
            assert_memory_equal(b, whole + off, 4);
        }
        assert_int_equal(avps_dev_config_read(D(t), 134, b, 4), AVPS_OK); /* past the end: 0 */
        assert_int_equal(b[2], 0);
    }
    inf_free(t);
}

/* §5.8.5.2: size is 0 for every select/subsel the device does not support. */
static void test_5_8_5_2_size_zero_when_unsupported(void **s)
{
    static const uint8_t combos[][2] = {
        {AVPS_VIRTIO_INPUT_CFG_UNSET, 0},
        {AVPS_VIRTIO_INPUT_CFG_ID_NAME, 1},        /* subsel must be 0 */
        {AVPS_VIRTIO_INPUT_CFG_ID_SERIAL, 0xff},
        {AVPS_VIRTIO_INPUT_CFG_ID_DEVIDS, 2},
        {AVPS_VIRTIO_INPUT_CFG_PROP_BITS, 1},
        {AVPS_VIRTIO_INPUT_CFG_EV_BITS, AVPS_INPUT_EV_REL}, /* a type the device lacks */
        {AVPS_VIRTIO_INPUT_CFG_EV_BITS, 32},       /* beyond EV_MAX */
        {AVPS_VIRTIO_INPUT_CFG_EV_BITS, 0xff},
        {AVPS_VIRTIO_INPUT_CFG_ABS_INFO, 2},       /* an axis the device lacks */
        {AVPS_VIRTIO_INPUT_CFG_ABS_INFO, 5},       /* absinfo given, bit not set */
        {AVPS_VIRTIO_INPUT_CFG_ABS_INFO, 64},      /* beyond ABS_MAX */
        {AVPS_VIRTIO_INPUT_CFG_ABS_INFO, 0xff},
        {0x04, 0}, {0x0f, 0}, {0x13, 0}, {0x7f, 0}, {0xff, 0xff}, /* unknown selects */
    };
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_virtio_input_config c;
    uint8_t zero[128] = {0};

    (void)s;
    for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++) {
        cfg_select(t, combos[i][0], combos[i][1], &c);
        assert_int_equal(c.select, combos[i][0]);
        assert_int_equal(c.subsel, combos[i][1]);
        assert_int_equal(c.size, 0);
        assert_memory_equal(c.u.bitmap, zero, sizeof zero);
    }
    /* No serial, no ids: size 0 too. */
    memset(t->info.serial, 0, sizeof t->info.serial);
    memset(&t->info.ids, 0, sizeof t->info.ids);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_SERIAL, 0, &c);
    assert_int_equal(c.size, 0);
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_DEVIDS, 0, &c);
    assert_int_equal(c.size, 0);
    inf_free(t);
}

/* §5.8.5.1 (driver): select and subsel may be written in any order. */
static void test_5_8_5_1_select_subsel_any_order(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_virtio_input_config a, b;
    uint8_t v;

    (void)s;
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, &a);
    assert_int_equal(avps_dev_set_status(D(t), 0), AVPS_OK); /* back to select 0 */
    v = ABS_Y;
    assert_int_equal(avps_dev_config_write(D(t), 1, &v, 1), AVPS_OK);
    v = AVPS_VIRTIO_INPUT_CFG_ABS_INFO;
    assert_int_equal(avps_dev_config_write(D(t), 0, &v, 1), AVPS_OK);
    assert_int_equal(avps_dev_config_read(D(t), 0, &b, sizeof b), AVPS_OK);
    assert_memory_equal(&a, &b, sizeof a);
    /* One 16-bit write of both. */
    {
        const uint8_t both[2] = {AVPS_VIRTIO_INPUT_CFG_EV_BITS, AVPS_INPUT_EV_ABS};

        assert_int_equal(avps_dev_config_write(D(t), 0, both, 2), AVPS_OK);
        assert_int_equal(avps_dev_config_read(D(t), 0, &b, sizeof b), AVPS_OK);
        assert_int_equal(b.select, AVPS_VIRTIO_INPUT_CFG_EV_BITS);
        assert_int_equal(b.subsel, AVPS_INPUT_EV_ABS);
        assert_int_equal(b.size, 1);
    }
    inf_free(t);
}

/* §5.8.5.1 (driver): no writes to fields other than select and subsel. A write
 * of read-only bytes alone is refused and reported; a write that covers select
 * or subsel takes them and ignores the rest (a front-end writing back the whole
 * structure it read, as QEMU's vhost-user-input does). */
static void test_5_8_5_1_write_other_fields_refused(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_virtio_input_config c, w;
    const uint64_t before = t->f.g.reports[AVPS_EV_DEV_CONFIG];
    uint8_t v = 99;

    (void)s;
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_NAME, 0, &c);
    assert_int_equal(avps_dev_config_write(D(t), 2, &v, 1), AVPS_E_GUEST_REQ); /* size */
    assert_int_equal(avps_dev_config_write(D(t), 3, &v, 1), AVPS_E_GUEST_REQ); /* reserved */
    assert_int_equal(avps_dev_config_write(D(t), 8, &v, 1), AVPS_E_GUEST_REQ); /* u */
    assert_int_equal(avps_dev_config_write(D(t), 132, &v, 4), AVPS_E_GUEST_REQ);
    assert_int_equal(avps_dev_config_write(D(t), 134, &v, 4), AVPS_E_GUEST_REQ); /* past the end */
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_CONFIG], before + 5);
    assert_int_equal(avps_dev_config_read(D(t), 0, &w, sizeof w), AVPS_OK);
    assert_memory_equal(&c, &w, sizeof c); /* nothing changed */
    /* Whole-structure write with a new select and stale contents. */
    memcpy(&w, &c, sizeof w);
    w.select = AVPS_VIRTIO_INPUT_CFG_ID_SERIAL;
    w.size = 77;
    assert_int_equal(avps_dev_config_write(D(t), 0, &w, sizeof w), AVPS_OK);
    assert_int_equal(avps_dev_config_read(D(t), 0, &c, sizeof c), AVPS_OK);
    assert_int_equal(c.select, AVPS_VIRTIO_INPUT_CFG_ID_SERIAL);
    assert_int_equal(c.size, 7);
    assert_memory_equal(c.u.string, "SN-0042", 7);
    /* From subsel on. */
    v = 3;
    assert_int_equal(avps_dev_config_write(D(t), 1, (const uint8_t[]){3, 1, 2}, 3), AVPS_OK);
    assert_int_equal(avps_dev_config_read(D(t), 0, &c, 2), AVPS_OK);
    assert_int_equal(c.subsel, 3);
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_CONFIG], before + 5);
    inf_free(t);
}

/* ---- eventq (§5.8.6) ---------------------------------------------------------- */

static void events_delivered(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 8, 0);
    const struct avps_input_event key[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 1}, SYN};
    uint64_t gpa[2];
    int id[2];
    struct rd_done d;
    struct avps_input_stats st;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    id[0] = post(t, &gpa[0]);
    id[1] = post(t, &gpa[1]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 0); /* nothing to send yet */
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_send(&t->in, key, 2), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id[0]);
    assert_int_equal(d.len, 8);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id[1]);
    assert_int_equal(d.len, 8);
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_KEY, KEY_A, 1);
    assert_ev(rd_ev(t, gpa[1]), 0, 0, 0);
    assert_true(t->f.queue_notes >= 1);
    assert_int_equal(t->f.last_q, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(avps_input_pending(&t->in), 0);
    /* A negative value travels as its two's complement, little endian. */
    {
        const struct avps_input_event rel[2] = {{AVPS_INPUT_EV_ABS, ABS_Y, (uint32_t)-5}, SYN};

        id[0] = post(t, &gpa[0]);
        id[1] = post(t, &gpa[1]);
        assert_int_equal(avps_input_send(&t->in, rel, 2), 2);
        assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
        assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
        assert_int_equal(df_ptr(&t->f, gpa[0], 8)[7], 0xff);
        assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_ABS, ABS_Y, 0xfffffffbu);
    }
    inf_free(t);
}

static void test_5_8_6_events_delivered_split(void **s) { (void)s; events_delivered(false); }
static void test_5_8_6_events_delivered_packed(void **s) { (void)s; events_delivered(true); }

/* §5.8.6.2: the events of one update (ending with SYN_REPORT) reach the driver
 * together: with too few buffers the device holds what it has written and
 * makes nothing used until the whole group fits. */
static void group_whole(bool packed, uint64_t feat)
{
    struct infix *t = inf_new(packed, PEND, 8, feat);
    const struct avps_input_event grp[3] = {
        {AVPS_INPUT_EV_ABS, ABS_X, 1000}, {AVPS_INPUT_EV_ABS, ABS_Y, 20}, SYN};
    uint64_t gpa[3];
    int id[3];
    struct rd_done d;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    id[0] = post(t, &gpa[0]);
    id[1] = post(t, &gpa[1]);
    assert_int_equal(avps_input_send(&t->in, grp, 3), 3);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0); /* two of three: held */
    assert_int_equal(avps_input_pending(&t->in), 3);
    id[2] = post(t, &gpa[2]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
        assert_int_equal(d.id, id[i]);
        assert_int_equal(d.len, 8);
    }
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_ABS, ABS_X, 1000);
    assert_ev(rd_ev(t, gpa[1]), AVPS_INPUT_EV_ABS, ABS_Y, 20);
    assert_ev(rd_ev(t, gpa[2]), 0, 0, 0);
    assert_int_equal(avps_input_pending(&t->in), 0);
    /* An unfinished group waits for its SYN_REPORT even with buffers there. */
    post(t, &gpa[0]);
    post(t, &gpa[1]);
    assert_int_equal(avps_input_send(&t->in, grp, 2), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_send(&t->in, &SYN, 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0); /* SYN waits for a third buffer */
    post(t, &gpa[2]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 3);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_ev(rd_ev(t, gpa[2]), 0, 0, 0);
    assert_int_equal(t->f.q[0].bad_used, 0);
    inf_free(t);
}

static void test_5_8_6_2_group_held_until_whole_split(void **s) { (void)s; group_whole(false, 0); }
static void test_5_8_6_2_group_held_until_whole_packed(void **s) { (void)s; group_whole(true, 0); }
static void test_5_8_6_2_group_held_until_whole_in_order_split(void **s)
{
    (void)s;
    group_whole(false, AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER));
}
static void test_5_8_6_2_group_held_until_whole_in_order_packed(void **s)
{
    (void)s;
    group_whole(true, AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER));
}

/* §5.8.6.2: when events must be dropped, whole groups go, never single events. */
static void test_5_8_6_2_full_queue_drops_whole_groups(void **s)
{
    struct infix *t = inf_new(false, 4, 8, 0);
    const struct avps_input_event g1[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 1}, SYN};
    const struct avps_input_event g2[3] = {
        {AVPS_INPUT_EV_ABS, ABS_X, 1}, {AVPS_INPUT_EV_ABS, ABS_Y, 2}, SYN};
    const struct avps_input_event g4[4] = {
        {AVPS_INPUT_EV_ABS, ABS_X, 7}, {AVPS_INPUT_EV_ABS, ABS_Y, 8}, {AVPS_INPUT_EV_KEY, BTN_TOUCH, 1},
        SYN};
    struct avps_input_stats st;
    uint64_t gpa[4];
    struct rd_done d;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    /* No buffers: events queue up to the array's size (4). */
    assert_int_equal(avps_input_send(&t->in, g1, 2), 2);
    assert_int_equal(avps_input_send(&t->in, g1, 2), 2);
    assert_int_equal(avps_input_send(&t->in, g2, 3), 0); /* no room: all 3 dropped */
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(avps_input_pending(&t->in), 4);
    /* The driver takes one group; the next group fits only in part: its
     * queued part goes too. */
    post(t, &gpa[0]);
    post(t, &gpa[1]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 2);
    assert_int_equal(avps_input_pending(&t->in), 2);
    assert_int_equal(avps_input_send(&t->in, g4, 4), 2); /* X, Y queued, then dropped */
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.dropped, 3 + 4);
    assert_int_equal(avps_input_pending(&t->in), 2);
    /* Split across calls: the rest of a dropped group is dropped too. */
    assert_int_equal(avps_input_send(&t->in, g4, 2), 2);
    assert_int_equal(avps_input_send(&t->in, &g4[2], 1), 0);
    assert_int_equal(avps_input_send(&t->in, &g4[3], 1), 0);
    assert_int_equal(avps_input_send(&t->in, g1, 2), 2); /* room again after the drop */
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.dropped, 7 + 4);
    /* What is delivered is whole groups only: g1, g1. */
    for (int i = 0; i < 4; i++)
        post(t, &gpa[i]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
        assert_ev(rd_ev(t, gpa[i]), (i % 2) ? 0 : AVPS_INPUT_EV_KEY, (i % 2) ? 0 : KEY_A,
                  (i % 2) ? 0 : 1);
    }
    assert_int_equal(avps_input_pending(&t->in), 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.delivered, 6);
    inf_free(t);
}

/* Events sent before the driver is ready wait for it (§2.1.2: no buffer is
 * used before DRIVER_OK). */
static void test_5_8_6_2_events_wait_for_driver_ok(void **s)
{
    struct infix *t = inf_new(true, PEND, 8, 0);
    const struct avps_input_event key[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 0}, SYN};
    uint64_t gpa[2];
    struct rd_done d;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, false), 0);
    assert_int_equal(avps_input_send(&t->in, key, 2), 2);
    post(t, &gpa[0]);
    post(t, &gpa[1]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 0);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_resume(&t->in), AVPS_E_STATE);
    assert_int_equal(avps_dev_set_status(D(t), 0xf), AVPS_OK); /* DRIVER_OK */
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_KEY, KEY_A, 0);
    inf_free(t);
}

/* A group longer than the ring can ever hold goes out in parts rather than
 * stalling the device for ever. */
static void long_group(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 4, AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER));
    struct avps_input_event g[6];
    struct avps_input_stats st;
    uint64_t gpa[4];
    struct rd_done d;
    unsigned int got = 0;

    for (uint16_t i = 0; i < 5; i++)
        g[i] = ev(AVPS_INPUT_EV_KEY, (uint16_t)(KEY_A + i), 1);
    g[5] = SYN;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    for (int i = 0; i < 4; i++)
        post(t, &gpa[i]);
    assert_int_equal(avps_input_send(&t->in, g, 6), 6);
    while (rd_get_used(&t->f.q[0], &d) == 1) {
        assert_ev(rd_ev(t, gpa[got]), AVPS_INPUT_EV_KEY, (uint16_t)(KEY_A + got), 1);
        got++;
    }
    assert_int_equal(got, 4);
    for (int i = 0; i < 2; i++)
        post(t, &gpa[i]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_KEY, KEY_A + 4, 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_ev(rd_ev(t, gpa[1]), 0, 0, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.split_groups, 1);
    assert_int_equal(st.delivered, 6);
    inf_free(t);
}

static void test_input_long_group_in_parts_split(void **s) { (void)s; long_group(false); }
static void test_input_long_group_in_parts_packed(void **s) { (void)s; long_group(true); }

/* §5.8.6.1 (driver): eventq buffers are device-writable and hold at least one
 * event. Others are returned with length 0, in order with the held group, and
 * the event goes into the next good buffer. */
static void bad_event_buffers(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 8, AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER));
    const struct avps_input_event key[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 1}, SYN};
    struct avps_input_stats st;
    struct rd_buf both[2];
    uint64_t gpa[2];
    int good0, small, rd, mixed, good1;
    struct rd_done d;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    good0 = post(t, &gpa[0]);
    small = df_add_buf(&t->f, 0, 7, true, NULL);        /* one byte short */
    rd = df_add_buf(&t->f, 0, 8, false, NULL);          /* device-readable */
    both[0].gpa = rd_alloc(&t->f.q[0], 8);
    both[0].len = 8;
    both[0].write = false;
    both[1].gpa = rd_alloc(&t->f.q[0], 8);
    both[1].len = 8;
    both[1].write = true;
    mixed = rd_add(&t->f.q[0], both, 2, 0);              /* readable, then writable */
    good1 = post(t, &gpa[1]);
    assert_true(good0 >= 0 && small >= 0 && rd >= 0 && mixed >= 0 && good1 >= 0);
    assert_int_equal(avps_input_send(&t->in, key, 2), 2);
    {
        const int order[5] = {good0, small, rd, mixed, good1};
        const uint32_t len[5] = {8, 0, 0, 0, 8};

        for (int i = 0; i < 5; i++) {
            assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
            assert_int_equal(d.id, order[i]);
            assert_int_equal(d.len, len[i]);
        }
    }
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_KEY, KEY_A, 1);
    assert_ev(rd_ev(t, gpa[1]), 0, 0, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.refused, 3);
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_REQUEST], 3);
    assert_false(avps_dev_needs_reset(D(t)));
    /* The device looks at eventq buffers only when it has events: a bad one
     * with nothing to send stays; with something to send it goes back alone,
     * and the group waits for a good buffer. */
    small = df_add_buf(&t->f, 0, 4, true, NULL);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 0);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_send(&t->in, key, 2), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, small);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_pending(&t->in), 2);
    assert_int_equal(t->f.q[0].bad_used, 0);
    inf_free(t);
}

static void test_5_8_6_1_bad_event_buffers_refused_split(void **s) { (void)s; bad_event_buffers(false); }
static void test_5_8_6_1_bad_event_buffers_refused_packed(void **s) { (void)s; bad_event_buffers(true); }

/* Any descriptor layout (§2.7.4.1): one event across two 4-byte pieces. */
static void test_input_event_across_descriptors(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    const struct avps_input_event key[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 0x01020304}, SYN};
    struct rd_buf b[2];
    struct rd_done d;
    uint64_t gpa;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    b[0].gpa = rd_alloc(&t->f.q[0], 4);
    b[0].len = 4;
    b[0].write = true;
    b[1].gpa = rd_alloc(&t->f.q[0], 4);
    b[1].len = 4;
    b[1].write = true;
    assert_true(rd_add(&t->f.q[0], b, 2, 0) >= 0);
    post(t, &gpa);
    assert_int_equal(avps_input_send(&t->in, key, 2), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.len, 8);
    assert_int_equal(df_ptr(&t->f, b[0].gpa, 4)[0], AVPS_INPUT_EV_KEY);
    assert_int_equal(df_ptr(&t->f, b[0].gpa, 4)[2], KEY_A);
    assert_int_equal(df_ptr(&t->f, b[1].gpa, 4)[0], 0x04);
    assert_int_equal(df_ptr(&t->f, b[1].gpa, 4)[3], 0x01);
    inf_free(t);
}

/* More pieces than the device keeps (AVPS_INPUT_SEGS): refused, length 0. */
static void test_input_too_many_pieces_refused(void **s)
{
    struct infix *t = inf_new(false, PEND, 16, 0);
    struct rd_buf b[AVPS_INPUT_SEGS + 1];
    struct avps_input_stats st;
    struct rd_done d;
    int id_e, id_s;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    for (unsigned int i = 0; i <= AVPS_INPUT_SEGS; i++) {
        b[i].gpa = rd_alloc(&t->f.q[0], 8);
        b[i].len = 8;
        b[i].write = true;
    }
    id_e = rd_add(&t->f.q[0], b, AVPS_INPUT_SEGS + 1, 0);
    for (unsigned int i = 0; i <= AVPS_INPUT_SEGS; i++) {
        b[i].gpa = rd_alloc(&t->f.q[1], 8);
        b[i].write = false;
    }
    id_s = rd_add(&t->f.q[1], b, AVPS_INPUT_SEGS + 1, 0);
    assert_int_equal(avps_input_send(&t->in, &SYN, 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id_e);
    assert_int_equal(d.len, 0);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, id_s);
    assert_int_equal(d.len, 0);
    assert_int_equal(t->st_calls, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.refused, 2);
    inf_free(t);
}

/* ---- statusq (§5.8.6) ------------------------------------------------------- */

static int post_status(struct infix *t, uint16_t type, uint16_t code, uint32_t value, uint32_t len)
{
    uint64_t gpa = 0;
    int id = df_add_buf(&t->f, 1, len, false, &gpa);
    uint8_t w[8] = {(uint8_t)type, (uint8_t)(type >> 8), (uint8_t)code, (uint8_t)(code >> 8),
                    (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                    (uint8_t)(value >> 24)};

    memcpy(df_ptr(&t->f, gpa, len), w, len < 8 ? len : 8);
    return id;
}

static void status_to_backend(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 8, 0);
    struct avps_input_stats st;
    struct rd_done d;
    int id;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    id = post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 1, 8);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(t->st_calls, 1);
    assert_ev(t->st_last, AVPS_INPUT_EV_LED, LED_CAPSL, 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    /* A longer buffer: the first event is taken. */
    post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 0, 16);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_ev(t->st_last, AVPS_INPUT_EV_LED, LED_CAPSL, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.status, 2);
    /* A backend error still completes the buffer. */
    t->st_ret = AVPS_E_IO;
    post_status(t, AVPS_INPUT_EV_LED, 0, 1, 8);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    inf_free(t);
}

static void test_5_8_6_status_to_backend_split(void **s) { (void)s; status_to_backend(false); }
static void test_5_8_6_status_to_backend_packed(void **s) { (void)s; status_to_backend(true); }

/* §5.8.6.1 (driver): statusq buffers hold at least one event. */
static void test_5_8_6_1_short_status_buffer_refused(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_input_stats st;
    struct rd_done d;
    int id;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    id = post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 1, 7);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(t->st_calls, 0);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    id = df_add_buf(&t->f, 1, 8, true, NULL); /* writable only */
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(t->st_calls, 0);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.refused, 2);
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_REQUEST], 2);
    inf_free(t);
}

/* A backend that cannot take a status event now: the buffer stays with the
 * device (not completed), nothing behind it is taken, and resume finishes. */
static void status_again(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 8, 0);
    struct rd_done d;
    int a, b;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    t->st_again = 2;
    a = post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 1, 8);
    b = post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 0, 8);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 0);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 0);
    assert_int_equal(avps_input_resume(&t->in), 0);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 0);
    assert_int_equal(avps_input_resume(&t->in), 2);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, a);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, b);
    assert_ev(t->st_last, AVPS_INPUT_EV_LED, LED_CAPSL, 0);
    assert_int_equal(t->st_calls, 4);
    /* A queue reset with one parked forgets it. */
    t->st_again = 1;
    post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 1, 8);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 0);
    assert_int_equal(avps_dev_queue_reset(D(t), 1), AVPS_OK);
    assert_int_equal(avps_input_resume(&t->in), 0); /* statusq down: events only */
    inf_free(t);
}

static void test_input_status_again_resume_split(void **s) { (void)s; status_again(false); }
static void test_input_status_again_resume_packed(void **s) { (void)s; status_again(true); }

/* Without a backend, status events are consumed and counted. */
static void test_input_status_without_backend(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_input_stats st;
    struct rd_done d;

    (void)s;
    t->in.backend = NULL;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    post_status(t, AVPS_INPUT_EV_LED, LED_CAPSL, 1, 8);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.status, 1);
    inf_free(t);
}

/* ---- resets ------------------------------------------------------------------- */

/* A device reset drops queued events (a new driver does not get the old one's
 * input), including the rest of an unfinished group; select goes back to 0. */
static void test_input_reset_drops_pending(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    const struct avps_input_event g[3] = {{AVPS_INPUT_EV_KEY, KEY_A, 1}, SYN,
                                          {AVPS_INPUT_EV_ABS, ABS_X, 5}};
    struct avps_virtio_input_config c;
    struct avps_input_stats st;
    uint64_t gpa[2];
    struct rd_done d;

    (void)s;
    cfg_select(t, AVPS_VIRTIO_INPUT_CFG_ID_NAME, 0, &c);
    assert_int_equal(avps_input_send(&t->in, g, 3), 3);
    assert_int_equal(df_driver_init(&t->f, true), 0); /* starts with a reset */
    assert_int_equal(avps_input_pending(&t->in), 0);
    assert_int_equal(avps_dev_config_read(D(t), 0, &c, sizeof c), AVPS_OK);
    assert_int_equal(c.select, 0);
    assert_int_equal(c.size, 0);
    /* The rest of the interrupted group is dropped, the next group is not. */
    assert_int_equal(avps_input_send(&t->in, &SYN, 1), 0);
    assert_int_equal(avps_input_send(&t->in, g, 2), 2);
    avps_input_stats(&t->in, &st);
    assert_int_equal(st.dropped, 4);
    post(t, &gpa[0]);
    post(t, &gpa[1]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 2);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_ev(rd_ev(t, gpa[0]), AVPS_INPUT_EV_KEY, KEY_A, 1);
    inf_free(t);
}

/* A queue reset (VIRTIO_F_RING_RESET) with a group half written into held
 * buffers: the group is sent again, whole, on the new ring. */
static void queue_reset_resends(bool packed)
{
    struct infix *t = inf_new(packed, PEND, 8, AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_RESET));
    const struct avps_input_event g[3] = {
        {AVPS_INPUT_EV_ABS, ABS_X, 1}, {AVPS_INPUT_EV_ABS, ABS_Y, 2}, SYN};
    uint64_t gpa[3];
    struct rd_done d;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    post(t, &gpa[0]);
    assert_int_equal(avps_input_send(&t->in, g, 3), 3);
    assert_int_equal(avps_dev_queue_reset(D(t), 0), AVPS_OK);
    rd_fini(&t->f.q[0]);
    assert_int_equal(rd_init(&t->f.q[0], &t->f.g, packed, 8, t->f.q[1].features, DF_RING_GPA,
                             DF_HEAP_GPA, DF_HEAP_LEN), 0);
    assert_int_equal(df_queue_up(&t->f, 0), 0);
    for (int i = 0; i < 3; i++)
        post(t, &gpa[i]);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
        assert_ev(rd_ev(t, gpa[i]), g[i].type, g[i].code, g[i].value);
    }
    assert_int_equal(t->f.q[0].bad_used, 0);
    inf_free(t);
}

static void test_input_queue_reset_resends_group_split(void **s) { (void)s; queue_reset_resends(false); }
static void test_input_queue_reset_resends_group_packed(void **s) { (void)s; queue_reset_resends(true); }

/* A ring that breaks while a group is held: NEEDS_RESET, the events stay. */
static void test_input_broken_ring_keeps_events(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    const struct avps_input_event g[2] = {{AVPS_INPUT_EV_KEY, KEY_A, 1}, SYN};
    struct rd_done d;

    (void)s;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    post(t, NULL);
    assert_int_equal(avps_input_send(&t->in, g, 1), 1);
    assert_int_equal(avps_input_send(&t->in, &g[1], 1), 1); /* one buffer held, SYN waits */
    rd_set_avail_idx(&t->f.q[0], 200);                       /* index jump: fatal */
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 0);
    assert_true(avps_dev_needs_reset(D(t)));
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 0);
    assert_int_equal(avps_input_pending(&t->in), 2);
    assert_int_equal(avps_input_resume(&t->in), AVPS_E_STATE);
    inf_free(t);
}

/* ---- API checks ---------------------------------------------------------------- */

static void test_input_init_refuses_bad_arguments(void **s)
{
    struct infix *t = inf_new(false, PEND, 8, 0);
    struct avps_input_cfg cfg, c;
    static struct avps_input in2;

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.info = &t->info;
    cfg.pending = t->pend;
    cfg.num_pending = PEND;
    cfg.event_slots = t->es;
    cfg.num_event_slots = QMAX;
    cfg.status_slots = t->ss;
    cfg.num_status_slots = QMAX;
    cfg.queue_size_max = QMAX;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_input_init(NULL, &t->f.g.host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, NULL), AVPS_E_INVAL);
    c = cfg; c.info = NULL;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.pending = NULL;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.num_pending = 0;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.num_pending = 0x80000000u;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.queue_size_max = 0;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.num_event_slots = QMAX - 1;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.status_slots = NULL;
    assert_int_equal(avps_input_init(&in2, &t->f.g.host, &c), AVPS_E_INVAL);
    assert_int_equal(avps_input_send(&in2, NULL, 1), AVPS_E_INVAL);
    assert_int_equal(avps_input_send(&in2, NULL, 0), 0);
    inf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_8_input_device_id_queues_no_features),
        cmocka_unit_test(test_5_8_4_config_id_name_serial_devids),
        cmocka_unit_test(test_5_8_4_config_bitmaps_and_absinfo),
        cmocka_unit_test(test_5_8_5_2_size_zero_when_unsupported),
        cmocka_unit_test(test_5_8_5_1_select_subsel_any_order),
        cmocka_unit_test(test_5_8_5_1_write_other_fields_refused),
        cmocka_unit_test(test_5_8_6_events_delivered_split),
        cmocka_unit_test(test_5_8_6_events_delivered_packed),
        cmocka_unit_test(test_5_8_6_2_group_held_until_whole_split),
        cmocka_unit_test(test_5_8_6_2_group_held_until_whole_packed),
        cmocka_unit_test(test_5_8_6_2_group_held_until_whole_in_order_split),
        cmocka_unit_test(test_5_8_6_2_group_held_until_whole_in_order_packed),
        cmocka_unit_test(test_5_8_6_2_full_queue_drops_whole_groups),
        cmocka_unit_test(test_5_8_6_2_events_wait_for_driver_ok),
        cmocka_unit_test(test_input_long_group_in_parts_split),
        cmocka_unit_test(test_input_long_group_in_parts_packed),
        cmocka_unit_test(test_5_8_6_1_bad_event_buffers_refused_split),
        cmocka_unit_test(test_5_8_6_1_bad_event_buffers_refused_packed),
        cmocka_unit_test(test_input_event_across_descriptors),
        cmocka_unit_test(test_input_too_many_pieces_refused),
        cmocka_unit_test(test_5_8_6_status_to_backend_split),
        cmocka_unit_test(test_5_8_6_status_to_backend_packed),
        cmocka_unit_test(test_5_8_6_1_short_status_buffer_refused),
        cmocka_unit_test(test_input_status_again_resume_split),
        cmocka_unit_test(test_input_status_again_resume_packed),
        cmocka_unit_test(test_input_status_without_backend),
        cmocka_unit_test(test_input_reset_drops_pending),
        cmocka_unit_test(test_input_queue_reset_resends_group_split),
        cmocka_unit_test(test_input_queue_reset_resends_group_packed),
        cmocka_unit_test(test_input_broken_ring_keeps_events),
        cmocka_unit_test(test_input_init_refuses_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_console: virtio-console (VIRTIO 1.2 §5.3) through the device core,
 * with the spec-written ring driver (tests/support/ringdrv) on every queue,
 * split and packed: port 0 data, size, emergency write, and the MULTIPORT
 * control protocol (ready, add, name, console, open, resize, remove, hot-add).
 * Conformance tests carry the clause they check (docs/conformance.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/console.h>
#include <avps/virtio/console.h>

#include "devfix.h"

#define QMAX 16u
#define MAXP 4u
#define NQ_MP (2u * (MAXP + 1u))

struct bkbuf {
    uint8_t data[4096];
    uint32_t len;
};

struct cfix {
    struct devfix f;
    struct avps_console con;
    struct avps_vq_slot slots[NQ_MP * QMAX];
    struct avps_console_backend be;
    struct bkbuf tx[MAXP];    /* what each port transmitted */
    struct bkbuf rx[MAXP];    /* what each port has for the guest */
    uint32_t rx_pos[MAXP];
    int tx_budget;            /* bytes tx takes before AGAIN; < 0 unlimited */
    int tx_err;               /* tx answers this error */
    uint8_t emerg[16];
    int nemerg;
    int events;
    uint32_t ev_port;
    enum avps_console_event ev_kind;
    uint16_t ev_value;
    uint64_t gpa[NQ_MP][64];  /* buffer address by queue and id */
};

static int be_tx(void *ctx, uint32_t port, const void *buf, uint32_t len)
{
    struct cfix *t = ctx;
    uint32_t n = len;

    if (t->tx_err != 0)
        return t->tx_err;
    if (t->tx_budget == 0)
        return AVPS_E_AGAIN;
    if (t->tx_budget > 0 && (uint32_t)t->tx_budget < n)
        n = (uint32_t)t->tx_budget;
    if (t->tx_budget > 0)
        t->tx_budget -= (int)n;
    memcpy(t->tx[port].data + t->tx[port].len, buf, n);
    t->tx[port].len += n;
    return (int)n;
}

static int be_rx(void *ctx, uint32_t port, void *buf, uint32_t len)
{
    struct cfix *t = ctx;
    uint32_t n = t->rx[port].len - t->rx_pos[port];

    if (n == 0)
        return AVPS_E_AGAIN;
    if (n > len)
        n = len;
    memcpy(buf, t->rx[port].data + t->rx_pos[port], n);
    t->rx_pos[port] += n;
    return (int)n;
}

static void be_event(void *ctx, uint32_t port, enum avps_console_event ev, uint16_t value)
{
    struct cfix *t = ctx;

    t->events++;
    t->ev_port = port;
    t->ev_kind = ev;
    t->ev_value = value;
}

static void be_emerg(void *ctx, uint8_t ch)
{
    struct cfix *t = ctx;

    t->emerg[t->nemerg++ & 15] = ch;
}

static uint16_t ring_size = 8;

/* max_ports 1 and !mp: port 0 only. */
static struct cfix *cf_new(bool packed, uint32_t max_ports, bool size, bool emerg)
{
    struct cfix *t = calloc(1, sizeof *t);
    struct avps_console_cfg cfg;
    unsigned int nq;

    assert_non_null(t);
    assert_int_equal(df_guest(&t->f), 0);
    t->tx_budget = -1;
    t->be.tx = be_tx;
    t->be.rx = be_rx;
    t->be.event = be_event;
    t->be.emerg = emerg ? be_emerg : NULL;
    t->be.ctx = t;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 12;
    cfg.backend = &t->be;
    cfg.max_ports = max_ports;
    cfg.size = size;
    cfg.cols = 80;
    cfg.rows = 25;
    cfg.slots = t->slots;
    cfg.slots_per_queue = QMAX;
    cfg.queue_size_max = QMAX;
    assert_int_equal(avps_console_init(&t->con, &t->f.g.host, &cfg), AVPS_OK);
    nq = avps_dev_num_queues(avps_console_dev(&t->con));
    assert_int_equal(df_rings(&t->f, avps_console_dev(&t->con), packed, nq, ring_size,
                              max_ports > 1 ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_MULTIPORT) : 0),
                     0);
    return t;
}

static void cf_free(struct cfix *t)
{
    df_fini(&t->f);
    free(t);
}

static struct avps_dev *D(struct cfix *t) { return avps_console_dev(&t->con); }

/* A buffer on queue q: readable with data, or writable of len bytes. */
static int buf(struct cfix *t, unsigned int q, const void *data, uint32_t len, bool write)
{
    uint64_t gpa = 0;
    int id = df_add_buf(&t->f, q, len, write, &gpa);

    assert_true(id >= 0 && id < 64);
    if (!write && data != NULL)
        memcpy(df_ptr(&t->f, gpa, len), data, len);
    t->gpa[q][id] = gpa;
    return id;
}

/* The driver sends a control message on the control transmitq. */
static void ctrl_send(struct cfix *t, uint32_t id, uint16_t ev, uint16_t value)
{
    uint8_t m[8] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24),
                    (uint8_t)ev, (uint8_t)(ev >> 8), (uint8_t)value, (uint8_t)(value >> 8)};

    struct rd_done d;

    buf(t, 3, m, 8, false);
    assert_true(avps_dev_queue_notify(D(t), 3) >= 1);
    while (rd_get_used(&t->f.q[3], &d) == 1)
        assert_int_equal(d.len, 0); /* the control transmitq is read-only */
}

struct ctl {
    uint32_t id;
    uint16_t ev, value;
    uint32_t len;
    const uint8_t *extra;
};

/* The next control message the device sent; 0 when none. */
static int ctrl_recv(struct cfix *t, struct ctl *c)
{
    struct rd_done d;
    const uint8_t *p;

    if (rd_get_used(&t->f.q[2], &d) != 1)
        return 0;
    p = df_ptr(&t->f, t->gpa[2][d.id], 8);
    c->id = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    c->ev = (uint16_t)(p[4] | (p[5] << 8));
    c->value = (uint16_t)(p[6] | (p[7] << 8));
    c->len = d.len;
    c->extra = p + 8;
    return 1;
}

static void expect_ctrl(struct cfix *t, uint32_t id, uint16_t ev, uint16_t value)
{
    struct ctl c;

    assert_int_equal(ctrl_recv(t, &c), 1);
    assert_int_equal(c.id, id);
    assert_int_equal(c.ev, ev);
    assert_int_equal(c.value, value);
}

static void post_ctrl_rx(struct cfix *t, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        buf(t, 2, NULL, 128, true);
}

/* Multiport bring-up: DRIVER_OK, control buffers, DEVICE_READY. */
static void mp_up(struct cfix *t)
{
    assert_int_equal(df_driver_init(&t->f, true), 0);
    post_ctrl_rx(t, 6);
    assert_int_equal(avps_dev_queue_notify(D(t), 2), 0);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_READY, 1);
}

/* ---- identity, features, configuration (§5.3.1 - §5.3.4) ------------------ */

static void test_5_3_console_device_id_and_queues(void **s)
{
    struct cfix *t = cf_new(false, 1, false, false);
    struct cfix *m = cf_new(false, MAXP, false, false);

    (void)s;
    assert_int_equal(avps_dev_device_id(D(t)), 3);
    assert_int_equal(avps_dev_num_queues(D(t)), 2); /* port 0 only without MULTIPORT */
    assert_int_equal(avps_dev_num_queues(D(m)), 2 * (MAXP + 1));
    assert_int_equal(avps_dev_config_size(D(t)), 12);
    cf_free(t);
    cf_free(m);
}

static void test_5_3_3_feature_bits_as_configured(void **s)
{
    struct cfix *a = cf_new(false, 1, false, false);
    struct cfix *b = cf_new(false, MAXP, true, true);
    const uint64_t all = 7;

    (void)s;
    assert_int_equal(avps_dev_offered_features(D(a)) & all, 0);
    assert_int_equal(avps_dev_offered_features(D(b)) & all, all);
    assert_int_equal(avps_console_port_add(&a->con, 1, NULL, 0, false), AVPS_E_INVAL);
    cf_free(a);
    cf_free(b);
}

static void test_5_3_4_config_layout(void **s)
{
    struct cfix *t = cf_new(false, MAXP, true, true);
    struct avps_virtio_console_config c;

    (void)s;
    assert_int_equal(avps_dev_config_read(D(t), 0, &c, sizeof c), AVPS_OK);
    assert_int_equal(avps_from_le16(c.cols), 80);
    assert_int_equal(avps_from_le16(c.rows), 25);
    assert_int_equal(avps_from_le32(c.max_nr_ports), MAXP);
    assert_int_equal(avps_from_le32(c.emerg_wr), 0);
    {
        uint8_t v = 1;

        assert_int_equal(avps_dev_config_write(D(t), 0, &v, 1), AVPS_E_GUEST_REQ); /* cols */
        assert_int_equal(avps_dev_config_write(D(t), 4, &v, 1), AVPS_E_GUEST_REQ); /* max_nr_ports */
        assert_int_equal(avps_dev_config_write(D(t), 6, "abcd", 4), AVPS_E_GUEST_REQ);
        assert_int_equal(t->f.g.reports[AVPS_EV_DEV_CONFIG], 3);
    }
    cf_free(t);
}

/* §5.3.5.1: emerg_wr is writable even on an unconfigured device, and its lower
 * byte goes to the output. */
static void test_5_3_5_1_emerg_write_on_unconfigured_device(void **s)
{
    struct cfix *t = cf_new(false, 1, false, true);
    struct cfix *n = cf_new(false, 1, false, false);
    const uint8_t w4[4] = {'A', 'x', 'y', 'z'};
    struct avps_console_stats st;

    (void)s;
    assert_int_equal(avps_dev_status(D(t)), 0);
    assert_int_equal(avps_dev_config_write(D(t), 8, w4, 4), AVPS_OK);
    assert_int_equal(avps_dev_config_write(D(t), 8, "B", 1), AVPS_OK);
    assert_int_equal(avps_dev_config_write(D(t), 9, "C", 1), AVPS_OK); /* not the lower byte */
    assert_int_equal(avps_dev_set_status(D(t), AVPS_VIRTIO_S_ACKNOWLEDGE), AVPS_OK);
    assert_int_equal(avps_dev_config_write(D(t), 8, "D", 1), AVPS_OK);
    assert_int_equal(df_driver_init(&t->f, true), 0);
    assert_int_equal(avps_dev_config_write(D(t), 8, "E", 1), AVPS_OK);
    assert_int_equal(t->nemerg, 4);
    assert_memory_equal(t->emerg, "ABDE", 4);
    avps_console_stats(&t->con, &st);
    assert_int_equal(st.emerg, 4);
    /* Not offered: refused and reported. */
    assert_int_equal(avps_dev_config_write(D(n), 8, "A", 1), AVPS_E_GUEST_REQ);
    assert_int_equal(n->f.g.reports[AVPS_EV_DEV_CONFIG], 1);
    cf_free(t);
    cf_free(n);
}

/* ---- port 0 data (§5.3.6) ------------------------------------------------------- */

static void port0_data(bool packed)
{
    struct cfix *t = cf_new(packed, 1, false, false);
    struct avps_console_stats st;
    struct rd_done d;
    int id;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    assert_true(avps_console_guest_open(&t->con, 0));
    id = buf(t, 1, "hello", 5, false);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    assert_int_equal(t->tx[0].len, 5);
    assert_memory_equal(t->tx[0].data, "hello", 5);
    memcpy(t->rx[0].data, "world", 5);
    t->rx[0].len = 5;
    id = buf(t, 0, NULL, 16, true);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 5);
    assert_memory_equal(df_ptr(&t->f, t->gpa[0][id], 5), "world", 5);
    avps_console_stats(&t->con, &st);
    assert_int_equal(st.tx_bytes, 5);
    assert_int_equal(st.rx_bytes, 5);
    /* A long transmit across many chunks and two descriptors. */
    {
        struct rd_buf b[2];
        uint8_t *p;

        b[0].gpa = rd_alloc(&t->f.q[1], 700);
        b[0].len = 700;
        b[0].write = false;
        b[1].gpa = rd_alloc(&t->f.q[1], 300);
        b[1].len = 300;
        b[1].write = false;
        p = df_ptr(&t->f, b[0].gpa, 700);
        for (int i = 0; i < 700; i++)
            p[i] = (uint8_t)i;
        p = df_ptr(&t->f, b[1].gpa, 300);
        for (int i = 0; i < 300; i++)
            p[i] = (uint8_t)(700 + i);
        assert_true(rd_add(&t->f.q[1], b, 2, 0) >= 0);
        assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
        assert_int_equal(t->tx[0].len, 1005);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(t->tx[0].data[5 + i], (uint8_t)i);
    }
    cf_free(t);
}

static void test_5_3_6_port0_tx_rx_split(void **s) { (void)s; port0_data(false); }
static void test_5_3_6_port0_tx_rx_packed(void **s) { (void)s; port0_data(true); }

/* A backend that cannot take all of a transmit now: the buffer is not
 * completed (nothing the driver sent is lost) until resume takes the rest. */
static void tx_again(bool packed)
{
    struct cfix *t = cf_new(packed, 1, false, false);
    struct rd_done d;
    int a, b;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    t->tx_budget = 3;
    a = buf(t, 1, "abcdef", 6, false);
    b = buf(t, 1, "gh", 2, false);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 0);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 0);
    assert_int_equal(t->tx[0].len, 3);
    assert_int_equal(avps_console_resume(&t->con), 0); /* still no room */
    t->tx_budget = -1;
    assert_int_equal(avps_console_resume(&t->con), 2);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, a);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, b);
    assert_int_equal(t->tx[0].len, 8);
    assert_memory_equal(t->tx[0].data, "abcdefgh", 8);
    /* A backend error discards the rest of that buffer, counted. */
    t->tx_err = AVPS_E_IO;
    buf(t, 1, "zz", 2, false);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    {
        struct avps_console_stats st;

        avps_console_stats(&t->con, &st);
        assert_int_equal(st.tx_lost, 2);
    }
    cf_free(t);
}

static void test_5_3_6_tx_kept_until_backend_takes_it_split(void **s) { (void)s; tx_again(false); }
static void test_5_3_6_tx_kept_until_backend_takes_it_packed(void **s) { (void)s; tx_again(true); }

/* A receive buffer waits for bytes (rx_wanted) and completes on resume. */
static void rx_wait(bool packed)
{
    struct cfix *t = cf_new(packed, 1, false, false);
    struct rd_done d;
    int id;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    id = buf(t, 0, NULL, 4, true);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 0);
    assert_true(avps_console_rx_wanted(&t->con, 0));
    assert_int_equal(avps_console_resume(&t->con), 0);
    memcpy(t->rx[0].data, "123456", 6);
    t->rx[0].len = 6;
    assert_int_equal(avps_console_resume(&t->con), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 4);
    assert_true(avps_console_rx_wanted(&t->con, 0) == false);
    id = buf(t, 0, NULL, 4, true);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.len, 2);
    assert_memory_equal(df_ptr(&t->f, t->gpa[0][id], 2), "56", 2);
    assert_int_equal(t->f.q[0].bad_used, 0);
    cf_free(t);
}

static void test_5_3_6_rx_waits_for_data_split(void **s) { (void)s; rx_wait(false); }
static void test_5_3_6_rx_waits_for_data_packed(void **s) { (void)s; rx_wait(true); }

/* §5.3.6.1 (driver): no device-readable buffer in a receiveq, no
 * device-writable one in a transmitq: returned with length 0, counted. */
static void wrong_direction(bool packed)
{
    struct cfix *t = cf_new(packed, 1, false, false);
    struct avps_console_stats st;
    struct rd_buf mix[2];
    struct rd_done d;
    int id;

    assert_int_equal(df_driver_init(&t->f, true), 0);
    memcpy(t->rx[0].data, "x", 1);
    t->rx[0].len = 1;
    id = buf(t, 0, "r", 1, false); /* readable in the receiveq */
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 1);
    assert_int_equal(rd_get_used(&t->f.q[0], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    assert_int_equal(t->rx_pos[0], 0); /* no byte taken from the backend */
    id = buf(t, 1, NULL, 4, true);     /* writable in the transmitq */
    mix[0].gpa = rd_alloc(&t->f.q[1], 4);
    mix[0].len = 4;
    mix[0].write = false;
    mix[1].gpa = rd_alloc(&t->f.q[1], 4);
    mix[1].len = 4;
    mix[1].write = true;
    assert_true(rd_add(&t->f.q[1], mix, 2, 0) >= 0); /* readable + writable */
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 2);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(t->tx[0].len, 0);
    avps_console_stats(&t->con, &st);
    assert_int_equal(st.refused, 3);
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_REQUEST], 3);
    assert_false(avps_dev_needs_reset(D(t)));
    cf_free(t);
}

static void test_5_3_6_1_wrong_direction_refused_split(void **s) { (void)s; wrong_direction(false); }
static void test_5_3_6_1_wrong_direction_refused_packed(void **s) { (void)s; wrong_direction(true); }

/* §5.3.6: with SIZE, a configuration change notification tells of port 0's new
 * size in cols and rows. */
static void test_5_3_6_size_change_notifies(void **s)
{
    struct cfix *t = cf_new(false, 1, true, false);
    struct avps_virtio_console_config c;
    uint32_t gen;

    (void)s;
    t->f.q[0].features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_SIZE);
    assert_int_equal(df_driver_init(&t->f, true), 0);
    gen = avps_dev_config_generation(D(t));
    assert_int_equal(avps_console_resize(&t->con, 0, 132, 43), AVPS_OK);
    assert_int_equal(t->f.config_notes, 1);
    assert_true(avps_dev_isr(D(t)) & AVPS_DEV_ISR_CONFIG);
    assert_true(avps_dev_config_generation(D(t)) != gen);
    assert_int_equal(avps_dev_config_read(D(t), 0, &c, sizeof c), AVPS_OK);
    assert_int_equal(avps_from_le16(c.cols), 132);
    assert_int_equal(avps_from_le16(c.rows), 43);
    assert_int_equal(avps_console_resize(&t->con, 1, 1, 1), AVPS_E_INVAL);
    cf_free(t);
}

/* ---- MULTIPORT (§5.3.6.2) -------------------------------------------------- */

static void multiport_flow(bool packed)
{
    struct cfix *t = cf_new(packed, MAXP, false, false);
    struct rd_done d;
    struct ctl c;

    assert_int_equal(avps_console_port_add(&t->con, 1, "bt-hci", 6, false), AVPS_OK);
    assert_int_equal(avps_console_port_open(&t->con, 1, true), AVPS_OK);
    mp_up(t);
    assert_int_equal(t->ev_kind, AVPS_CONSOLE_EV_DEVICE_READY);
    /* Every port is announced once the driver is ready. */
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    assert_int_equal(ctrl_recv(t, &c), 0);
    /* Port 0 ready: nominated as the console. */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_CONSOLE_PORT, 1);
    assert_int_equal(ctrl_recv(t, &c), 0);
    /* §5.3.6.2.2: the driver answers CONSOLE_PORT with PORT_OPEN 1. */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    assert_true(avps_console_guest_open(&t->con, 0));
    /* Port 1 ready: its name, then the host side is open. */
    ctrl_send(t, 1, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    assert_int_equal(ctrl_recv(t, &c), 1);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.ev, AVPS_VIRTIO_CONSOLE_PORT_NAME);
    assert_int_equal(c.len, 8 + 6);
    assert_memory_equal(c.extra, "bt-hci", 6);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    post_ctrl_rx(t, 4);
    assert_int_equal(avps_dev_queue_notify(D(t), 2), 0);
    /* Guest opens port 1; the backend hears it. */
    ctrl_send(t, 1, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    assert_int_equal(t->ev_port, 1);
    assert_int_equal(t->ev_kind, AVPS_CONSOLE_EV_PORT_OPEN);
    assert_int_equal(t->ev_value, 1);
    assert_true(avps_console_guest_open(&t->con, 1));
    /* Data on port 1's queues (4: receiveq, 5: transmitq). */
    buf(t, 5, "\x01\x03\x0c\x00", 4, false);
    assert_int_equal(avps_dev_queue_notify(D(t), 5), 1);
    assert_int_equal(t->tx[1].len, 4);
    assert_int_equal(t->tx[0].len, 0);
    memcpy(t->rx[1].data, "\x04\x0e", 2);
    t->rx[1].len = 2;
    buf(t, 4, NULL, 64, true);
    assert_int_equal(avps_dev_queue_notify(D(t), 4), 1);
    assert_int_equal(rd_get_used(&t->f.q[4], &d), 1);
    assert_int_equal(d.len, 2);
    /* The host closes port 1. */
    assert_int_equal(avps_console_port_open(&t->con, 1, false), AVPS_OK);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 0);
    /* Resize a console port: RESIZE with cols then rows. */
    assert_int_equal(avps_console_resize(&t->con, 0, 100, 30), AVPS_OK);
    assert_int_equal(ctrl_recv(t, &c), 1);
    assert_int_equal(c.ev, AVPS_VIRTIO_CONSOLE_RESIZE);
    assert_int_equal(c.len, 12);
    assert_int_equal(c.extra[0] | (c.extra[1] << 8), 100);
    assert_int_equal(c.extra[2] | (c.extra[3] << 8), 30);
    assert_int_equal(t->f.q[2].bad_used, 0);
    cf_free(t);
}

static void test_5_3_6_2_multiport_bring_up_split(void **s) { (void)s; multiport_flow(false); }
static void test_5_3_6_2_multiport_bring_up_packed(void **s) { (void)s; multiport_flow(true); }

/* Port hot-plug: a port added after DEVICE_READY is announced at once, and can
 * be removed and added again. */
static void hot_plug(bool packed)
{
    struct cfix *t = cf_new(packed, MAXP, false, false);
    struct ctl c;

    mp_up(t);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    assert_int_equal(avps_console_port_add(&t->con, 2, "x", 1, false), AVPS_OK);
    expect_ctrl(t, 2, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    ctrl_send(t, 2, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    assert_int_equal(ctrl_recv(t, &c), 1);
    assert_int_equal(c.ev, AVPS_VIRTIO_CONSOLE_PORT_NAME);
    /* A receive buffer held for port 2 goes back empty before the removal. */
    buf(t, 6, NULL, 8, true);
    assert_int_equal(avps_dev_queue_notify(D(t), 6), 0);
    assert_true(avps_console_rx_wanted(&t->con, 2));
    assert_int_equal(avps_console_port_remove(&t->con, 2), AVPS_OK);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&t->f.q[6], &d), 1);
        assert_int_equal(d.len, 0);
    }
    expect_ctrl(t, 2, AVPS_VIRTIO_CONSOLE_DEVICE_REMOVE, 0);
    /* Gone: its control messages are refused now. */
    ctrl_send(t, 2, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    assert_false(avps_console_guest_open(&t->con, 2));
    post_ctrl_rx(t, 2);
    assert_int_equal(avps_console_port_add(&t->con, 2, NULL, 0, true), AVPS_OK);
    expect_ctrl(t, 2, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    ctrl_send(t, 2, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    expect_ctrl(t, 2, AVPS_VIRTIO_CONSOLE_CONSOLE_PORT, 1);
    cf_free(t);
}

static void test_5_3_6_2_port_hot_plug_split(void **s) { (void)s; hot_plug(false); }
static void test_5_3_6_2_port_hot_plug_packed(void **s) { (void)s; hot_plug(true); }

/* §5.3.6.2.1: DEVICE_ADD never names a port that exists or one at or above
 * max_nr_ports; DEVICE_REMOVE only a port that was added. */
static void test_5_3_6_2_1_add_and_remove_rules(void **s)
{
    struct cfix *t = cf_new(false, MAXP, false, false);
    struct ctl c;
    char longname[AVPS_CONSOLE_NAME_MAX + 1];

    (void)s;
    memset(longname, 'n', sizeof longname);
    assert_int_equal(avps_console_port_add(&t->con, 1, NULL, 0, false), AVPS_OK);
    assert_int_equal(avps_console_port_add(&t->con, 1, NULL, 0, false), AVPS_E_STATE);
    assert_int_equal(avps_console_port_add(&t->con, 0, NULL, 0, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_add(&t->con, MAXP, NULL, 0, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_add(&t->con, 2, longname, sizeof longname, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_add(&t->con, 2, NULL, 3, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_remove(&t->con, 2), AVPS_E_STATE);
    assert_int_equal(avps_console_port_remove(&t->con, 0), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_remove(&t->con, MAXP), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_open(&t->con, 3, true), AVPS_E_INVAL);
    /* Removed before the driver heard of it: no message at all. */
    assert_int_equal(avps_console_port_add(&t->con, 3, NULL, 0, false), AVPS_OK);
    assert_int_equal(avps_console_port_remove(&t->con, 3), AVPS_OK);
    mp_up(t);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    assert_int_equal(ctrl_recv(t, &c), 0);
    assert_int_equal(avps_console_port_remove(&t->con, 1), AVPS_OK);
    assert_int_equal(avps_console_port_remove(&t->con, 1), AVPS_E_STATE);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_DEVICE_REMOVE, 0);
    assert_int_equal(avps_console_port_remove(&t->con, 1), AVPS_E_STATE);
    cf_free(t);
}

/* §5.3.6.2.2 (driver) and malformed control messages: each is returned, counted
 * and reported, and changes nothing. */
static void test_5_3_6_2_2_bad_control_messages_refused(void **s)
{
    struct cfix *t = cf_new(false, MAXP, false, false);
    struct avps_console_stats st;
    uint64_t before;
    struct ctl c;

    (void)s;
    mp_up(t);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    before = t->f.g.reports[AVPS_EV_DEV_REQUEST];
    buf(t, 3, "\0\0\0\0\0\0\1", 7, false);                 /* one byte short */
    assert_int_equal(avps_dev_queue_notify(D(t), 3), 1);
    buf(t, 3, NULL, 8, true);                              /* device-writable */
    assert_int_equal(avps_dev_queue_notify(D(t), 3), 1);
    {
        struct rd_done d;

        while (rd_get_used(&t->f.q[3], &d) == 1)
            ;
    }
    ctrl_send(t, 0, 9, 1);                                 /* unknown event */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);    /* device-only events */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_RESIZE, 0);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_NAME, 0);
    ctrl_send(t, MAXP, AVPS_VIRTIO_CONSOLE_PORT_READY, 1); /* beyond max_nr_ports */
    ctrl_send(t, 0xffffffffu, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    ctrl_send(t, 2, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);    /* never announced */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 2);     /* value not 0 or 1 */
    avps_console_stats(&t->con, &st);
    assert_int_equal(st.refused, 10);
    assert_int_equal(t->f.g.reports[AVPS_EV_DEV_REQUEST], before + 10);
    assert_false(avps_console_guest_open(&t->con, 0));
    assert_int_equal(ctrl_recv(t, &c), 0);
    assert_false(avps_dev_needs_reset(D(t)));
    /* PORT_READY 0 (failure) sets nothing up. */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_READY, 0);
    assert_int_equal(ctrl_recv(t, &c), 0);
    /* DEVICE_READY 0: the driver failed; nothing is announced after a reset. */
    cf_free(t);
}

/* A control receive buffer too small for a message: returned empty, and the
 * message goes into the next buffer. */
static void test_console_ctrl_buffer_too_small(void **s)
{
    struct cfix *t = cf_new(true, MAXP, false, false);
    struct rd_done d;
    struct ctl c;

    (void)s;
    assert_int_equal(avps_console_port_add(&t->con, 1, "a-long-port-name", 16, false), AVPS_OK);
    assert_int_equal(df_driver_init(&t->f, true), 0);
    post_ctrl_rx(t, 2);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    expect_ctrl(t, 1, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    buf(t, 2, NULL, 12, true);  /* too small for the name */
    buf(t, 2, "readable", 8, false);
    ctrl_send(t, 1, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    assert_int_equal(rd_get_used(&t->f.q[2], &d), 1);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&t->f.q[2], &d), 1);
    assert_int_equal(d.len, 0);
    assert_int_equal(ctrl_recv(t, &c), 0);
    post_ctrl_rx(t, 1);
    assert_int_equal(avps_dev_queue_notify(D(t), 2), 1);
    assert_int_equal(ctrl_recv(t, &c), 1);
    assert_int_equal(c.ev, AVPS_VIRTIO_CONSOLE_PORT_NAME);
    assert_int_equal(c.len, 24);
    cf_free(t);
}

/* A device reset: the next driver hears of every port again. */
static void test_console_reset_announces_again(void **s)
{
    struct cfix *t = cf_new(false, MAXP, false, false);
    struct ctl c;

    (void)s;
    assert_int_equal(avps_console_port_add(&t->con, 3, NULL, 0, false), AVPS_OK);
    mp_up(t);
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    expect_ctrl(t, 3, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    ctrl_send(t, 3, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    for (unsigned int q = 0; q < t->f.nq; q++) {
        rd_fini(&t->f.q[q]);
        assert_int_equal(rd_init(&t->f.q[q], &t->f.g, false, 8, t->f.q[0].features | 0,
                                 DF_RING_GPA + 0x10000ull * q, DF_HEAP_GPA + DF_HEAP_LEN * q,
                                 DF_HEAP_LEN), 0);
    }
    t->f.q[0].features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                         AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_MULTIPORT);
    mp_up(t); /* starts with a reset */
    expect_ctrl(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    expect_ctrl(t, 3, AVPS_VIRTIO_CONSOLE_DEVICE_ADD, 0);
    assert_int_equal(ctrl_recv(t, &c), 0);
    cf_free(t);
}

/* Without MULTIPORT negotiated the control queues and other ports stay idle
 * even if the device offers it. */
static void test_console_multiport_not_negotiated(void **s)
{
    struct cfix *t = cf_new(false, MAXP, false, false);
    struct rd_done d;

    (void)s;
    t->f.q[0].features &= ~AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_MULTIPORT);
    t->f.nq = 2;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    assert_true(avps_console_guest_open(&t->con, 0));
    buf(t, 1, "q", 1, false);
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(rd_get_used(&t->f.q[1], &d), 1);
    assert_int_equal(avps_console_port_add(&t->con, 1, NULL, 0, false), AVPS_OK);
    assert_int_equal(avps_console_resume(&t->con), 0);
    t->f.nq = NQ_MP;
    cf_free(t);
}

/* Chains with more pieces than the device keeps: returned empty on every queue kind. */
static void test_console_too_many_pieces_refused(void **s)
{
    struct cfix *t;
    struct rd_buf b[AVPS_CONSOLE_SEGS + 1];
    struct avps_console_stats st;
    static const unsigned int qs[4] = {0, 1, 2, 3};

    (void)s;
    ring_size = 16;
    t = cf_new(false, MAXP, false, false);
    ring_size = 8;
    assert_int_equal(df_driver_init(&t->f, true), 0);
    for (unsigned int k = 0; k < 4; k++) {
        for (unsigned int i = 0; i <= AVPS_CONSOLE_SEGS; i++) {
            b[i].gpa = rd_alloc(&t->f.q[qs[k]], 8);
            b[i].len = 8;
            b[i].write = (qs[k] % 2) == 0;
        }
        assert_true(rd_add(&t->f.q[qs[k]], b, AVPS_CONSOLE_SEGS + 1, 0) >= 0);
    }
    memcpy(t->rx[0].data, "x", 1);
    t->rx[0].len = 1;
    assert_int_equal(avps_dev_queue_notify(D(t), 1), 1);
    assert_int_equal(avps_dev_queue_notify(D(t), 0), 1);
    assert_int_equal(avps_dev_queue_notify(D(t), 3), 1);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_DEVICE_READY, 1); /* ADD for port 0 meets the chain */
    avps_console_stats(&t->con, &st);
    assert_int_equal(st.refused, 4);
    assert_int_equal(st.control_out, 0);
    cf_free(t);
}

/* The host-side API refuses ports that do not exist or cannot exist, and a
 * device without MULTIPORT has port 0 only (console.h: port_add, port_remove,
 * port_open, resize). */
static void test_console_api_refusals(void **s)
{
    struct cfix *t = cf_new(false, 1, false, false);
    struct avps_console_stats st0, st1;

    (void)s;
    assert_int_equal(avps_console_port_add(&t->con, 1, "x", 1, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_add(&t->con, 0, "x", 1, false), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_remove(&t->con, 0), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_remove(&t->con, 3), AVPS_E_INVAL);
    assert_int_equal(avps_console_port_open(&t->con, 5, true), AVPS_E_INVAL);
    assert_int_equal(avps_console_resize(&t->con, 7, 1, 1), AVPS_E_INVAL);
    /* without VIRTIO_CONSOLE_F_SIZE a resize changes no configuration */
    avps_console_stats(&t->con, &st0);
    assert_int_equal(avps_console_resize(&t->con, 0, 132, 43), AVPS_OK);
    avps_console_stats(&t->con, &st1);
    assert_memory_equal(&st0, &st1, sizeof st0);
    assert_false(avps_console_rx_wanted(&t->con, 9));
    assert_false(avps_console_guest_open(&t->con, 9));
    cf_free(t);

    t = cf_new(false, MAXP, true, false);
    assert_int_equal(avps_console_port_remove(&t->con, 2), AVPS_E_STATE); /* never added */
    assert_int_equal(avps_console_port_add(&t->con, 2, "data", 4, false), AVPS_OK);
    assert_int_equal(avps_console_port_add(&t->con, 2, "data", 4, false), AVPS_E_STATE);
    /* a port that is no console takes a size but sends no RESIZE */
    assert_int_equal(avps_console_resize(&t->con, 2, 100, 30), AVPS_OK);
    assert_int_equal(avps_console_port_open(&t->con, 2, true), AVPS_OK);
    cf_free(t);
}

/* A backend without the optional event op: the driver's control messages
 * (DEVICE_READY, PORT_READY, PORT_OPEN) are handled all the same. */
static void test_console_backend_without_event_op(void **s)
{
    struct cfix *t = cf_new(true, MAXP, false, false);
    struct ctl c;
    int n = 0;

    (void)s;
    t->be.event = NULL;
    mp_up(t);
    while (ctrl_recv(t, &c) == 1)
        n++;
    assert_true(n >= 1); /* PORT_ADD of port 0 at least */
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_READY, 1);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 1);
    ctrl_send(t, 0, AVPS_VIRTIO_CONSOLE_PORT_OPEN, 0);
    assert_false(avps_console_guest_open(&t->con, 0));
    assert_int_equal(t->events, 0);
    assert_false(avps_dev_needs_reset(D(t)));
    cf_free(t);
}

static void test_console_init_refuses_bad_arguments(void **s)
{
    struct cfix *t = cf_new(false, 1, false, false);
    struct avps_console_cfg cfg, c;
    static struct avps_console c2;
    struct avps_console_backend nb = {NULL, NULL, NULL, NULL, NULL};

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &t->be;
    cfg.max_ports = 1;
    cfg.slots = t->slots;
    cfg.slots_per_queue = QMAX;
    cfg.queue_size_max = QMAX;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_console_init(NULL, &t->f.g.host, &cfg), AVPS_E_INVAL);
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, NULL), AVPS_E_INVAL);
    c = cfg; c.backend = NULL;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.backend = &nb;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.max_ports = 0;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.max_ports = AVPS_CONSOLE_MAX_PORTS + 1;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.slots = NULL;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.slots_per_queue = QMAX - 1;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_E_INVAL);
    c = cfg; c.multiport = true;
    assert_int_equal(avps_console_init(&c2, &t->f.g.host, &c), AVPS_OK);
    assert_int_equal(avps_dev_num_queues(avps_console_dev(&c2)), 4);
    assert_int_equal(avps_console_resume(&c2), AVPS_E_STATE);
    assert_false(avps_console_rx_wanted(&c2, AVPS_CONSOLE_MAX_PORTS));
    assert_false(avps_console_guest_open(&c2, AVPS_CONSOLE_MAX_PORTS));
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_3_console_device_id_and_queues),
        cmocka_unit_test(test_console_api_refusals),
        cmocka_unit_test(test_console_backend_without_event_op),
        cmocka_unit_test(test_5_3_3_feature_bits_as_configured),
        cmocka_unit_test(test_5_3_4_config_layout),
        cmocka_unit_test(test_5_3_5_1_emerg_write_on_unconfigured_device),
        cmocka_unit_test(test_5_3_6_port0_tx_rx_split),
        cmocka_unit_test(test_5_3_6_port0_tx_rx_packed),
        cmocka_unit_test(test_5_3_6_tx_kept_until_backend_takes_it_split),
        cmocka_unit_test(test_5_3_6_tx_kept_until_backend_takes_it_packed),
        cmocka_unit_test(test_5_3_6_rx_waits_for_data_split),
        cmocka_unit_test(test_5_3_6_rx_waits_for_data_packed),
        cmocka_unit_test(test_5_3_6_1_wrong_direction_refused_split),
        cmocka_unit_test(test_5_3_6_1_wrong_direction_refused_packed),
        cmocka_unit_test(test_5_3_6_size_change_notifies),
        cmocka_unit_test(test_5_3_6_2_multiport_bring_up_split),
        cmocka_unit_test(test_5_3_6_2_multiport_bring_up_packed),
        cmocka_unit_test(test_5_3_6_2_port_hot_plug_split),
        cmocka_unit_test(test_5_3_6_2_port_hot_plug_packed),
        cmocka_unit_test(test_5_3_6_2_1_add_and_remove_rules),
        cmocka_unit_test(test_5_3_6_2_2_bad_control_messages_refused),
        cmocka_unit_test(test_console_ctrl_buffer_too_small),
        cmocka_unit_test(test_console_reset_announces_again),
        cmocka_unit_test(test_console_multiport_not_negotiated),
        cmocka_unit_test(test_console_too_many_pieces_refused),
        cmocka_unit_test(test_console_init_refuses_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * virtio-console: the console device (VIRTIO 1.2 §5.3). Ports with a
 * receiveq and a transmitq each; with VIRTIO_CONSOLE_F_MULTIPORT a control
 * receiveq (device to driver) and control transmitq (driver to device) that
 * announce, name, open, close and unplug ports. Bytes move only when the
 * backend takes or gives them; a buffer it cannot serve now stays with the
 * device until avps_console_resume().
 */
#include <avps/console.h>
#include <avps/virtio/console.h>

#include "dev_priv.h"

#define Q_CRX 2u /* control receiveq */
#define Q_CTX 3u /* control transmitq */
#define CHUNK 256u
#define CTRL_SIZE ((uint32_t)sizeof(struct avps_virtio_console_control))

#define F_SIZE AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_SIZE)
#define F_MULTIPORT AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_MULTIPORT)
#define F_EMERG AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_EMERG_WRITE)

/* Control messages a port has to send, in this order. */
#define FL_ADD 0x01u
#define FL_CONSOLE 0x02u
#define FL_NAME 0x04u
#define FL_OPEN 0x08u
#define FL_RESIZE 0x10u
#define FL_REMOVE 0x20u

static struct avps_console *con_of_(struct avps_dev *dev)
{
    return (struct avps_console *)(void *)dev; /* dev is the first member */
}

static uint16_t rxq_(uint32_t p)
{
    return (uint16_t)((p == 0u) ? 0u : (2u + (2u * p)));
}

static bool mp_(const struct avps_console *con)
{
    return (con->dev.features & F_MULTIPORT) != 0u;
}

/* A port whose data queues the device serves. */
static bool port_up_(const struct avps_console *con, uint32_t p)
{
    if (!mp_(con)) {
        return p == 0u;
    }
    return (p < con->max_ports) && (con->port[p].added != 0u);
}

static void con_refuse_(struct avps_console *con, uint16_t q, uint16_t id, uint64_t detail)
{
    con->stats.refused++;
    avps_dev_report_(&con->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id, detail);
}

/* A chain with more pieces than we keep: returned empty. Returns true when
 * one was taken. */
static bool con_skip_(struct avps_console *con, uint16_t q)
{
    struct avps_vq *vq = &con->queue[q].vq;
    uint16_t id;

    if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
        return false;
    }
    con_refuse_(con, q, id, AVPS_CONSOLE_SEGS);
    return true;
}

/* ---- configuration (§5.3.4) ------------------------------------------------- */

static void con_config_read_(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    const struct avps_console *con = con_of_(dev);
    struct avps_virtio_console_config c;

    c.cols = avps_to_le16(con->cols);
    c.rows = avps_to_le16(con->rows);
    c.max_nr_ports = avps_to_le32(con->max_ports);
    c.emerg_wr = avps_to_le32(0);
    (void)AVPS_MEMCPY(buf, &((const uint8_t *)&c)[off], len);
}

/* Only emerg_wr is writable, and only when EMERG_WRITE is offered; the device
 * takes it whatever the device status (§5.3.5.1) and outputs its lower byte. */
static int con_config_write_(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    struct avps_console *con = con_of_(dev);
    const uint8_t *b = buf;

    (void)len; /* the core checked [off, off + len) lies in the 12 bytes */
    if ((off < 8u) || (con->backend->emerg == NULL)) {
        return AVPS_E_GUEST_REQ;
    }
    if (off == 8u) {
        con->stats.emerg++;
        con->backend->emerg(con->backend->ctx, b[0]);
    }
    return AVPS_OK;
}

/* ---- control receiveq: device to driver (§5.3.6.2) --------------------------- */

/* The next message port p has to send, or 0. */
static uint16_t con_next_flag_(const struct avps_console *con, uint32_t p)
{
    const struct avps_console_port *pt = &con->port[p];
    uint16_t f = pt->flags;

    if (con->driver_ready == 0u) {
        return 0;
    }
    if ((f & FL_REMOVE) != 0u) {
        return FL_REMOVE;
    }
    if ((f & FL_ADD) != 0u) {
        return FL_ADD;
    }
    if (pt->ready == 0u) {
        return 0; /* the rest waits for the driver's PORT_READY */
    }
    for (uint16_t bit = FL_CONSOLE; bit <= FL_RESIZE; bit = (uint16_t)(bit << 1)) {
        if ((f & bit) != 0u) {
            return bit;
        }
    }
    return 0;
}

/* A control message as it goes into a driver buffer: the header, then the
 * resize structure or the name. */
struct con_msg {
    struct avps_virtio_console_control c;
    uint8_t extra[AVPS_CONSOLE_NAME_MAX];
};
AVPS_STATIC_ASSERT(sizeof(struct con_msg) == CTRL_SIZE + AVPS_CONSOLE_NAME_MAX, "no padding");

static uint32_t con_build_(const struct avps_console *con, uint32_t p, uint16_t flag,
                           struct con_msg *msg)
{
    const struct avps_console_port *pt = &con->port[p];
    uint32_t len = CTRL_SIZE;
    uint16_t ev = AVPS_VIRTIO_CONSOLE_DEVICE_ADD;
    uint16_t value = 0;

    switch (flag) {
    case FL_REMOVE: ev = AVPS_VIRTIO_CONSOLE_DEVICE_REMOVE; break;
    case FL_CONSOLE: ev = AVPS_VIRTIO_CONSOLE_CONSOLE_PORT; value = 1; break;
    case FL_NAME:
        ev = AVPS_VIRTIO_CONSOLE_PORT_NAME;
        value = 1;
        (void)AVPS_MEMCPY(msg->extra, pt->name, pt->name_len);
        len += pt->name_len;
        break;
    case FL_OPEN: ev = AVPS_VIRTIO_CONSOLE_PORT_OPEN; value = pt->host_open; break;
    case FL_RESIZE:
        /* struct virtio_console_resize: le16 cols, le16 rows */
        ev = AVPS_VIRTIO_CONSOLE_RESIZE;
        msg->extra[0] = (uint8_t)(pt->cols & 0xffu);
        msg->extra[1] = (uint8_t)(pt->cols >> 8);
        msg->extra[2] = (uint8_t)(pt->rows & 0xffu);
        msg->extra[3] = (uint8_t)(pt->rows >> 8);
        len += (uint32_t)sizeof(struct avps_virtio_console_resize);
        break;
    default: break; /* FL_ADD */
    }
    msg->c.id = avps_to_le32(p);
    msg->c.event = avps_to_le16(ev);
    msg->c.value = avps_to_le16(value);
    return len;
}

static void con_sent_(struct avps_console *con, uint32_t p, uint16_t flag)
{
    struct avps_console_port *pt = &con->port[p];

    const uint16_t keep = (uint16_t)(0xffffu ^ flag);

    pt->flags = (uint16_t)(pt->flags & keep);
    if (flag == FL_ADD) {
        pt->announced = 1;
    } else if (flag == FL_REMOVE) {
        pt->added = 0;
        pt->announced = 0;
        pt->ready = 0;
        pt->guest_open = 0;
        pt->flags = 0;
    } else {
        /* nothing more to note */
    }
}

static int con_serve_ctrl_rx_(struct avps_console *con)
{
    struct avps_vq *vq = &con->queue[Q_CRX].vq;
    int done = 0;
    bool stop = false;

    if (!mp_(con) || !avps_dev_queue_live_(&con->dev, Q_CRX)) {
        return 0;
    }
    for (uint32_t p = 0; (p < con->max_ports) && !stop; p++) {
        /* Bounded: each pass sends one message (clearing its flag) or
         * returns a buffer; the ring bounds the buffers. */
        for (;;) {
            const uint16_t flag = con_next_flag_(con, p);
            struct con_msg msg;
            uint32_t len;
            int r;

            if (flag == 0u) {
                break;
            }
            r = avps_vq_pop(vq, &con->c_req);
            if (r == AVPS_E_NOSPC) {
                stop = !con_skip_(con, Q_CRX);
                done += stop ? 0 : 1;
            } else if (r <= 0) {
                stop = true; /* no buffer: the flags wait */
            } else {
                len = con_build_(con, p, flag, &msg);
                if ((con->c_req.n_rd != 0u) || (con->c_req.wr_len < len)) {
                    /* §5.3.6.1 and the message size: a buffer the device cannot use */
                    stop = avps_vq_push(vq, con->c_req.id, 0) != AVPS_OK;
                    con_refuse_(con, Q_CRX, con->c_req.id, con->c_req.wr_len);
                } else {
                    (void)avps_vq_req_write(vq, &con->c_req, 0, &msg, len);
                    stop = avps_vq_push(vq, con->c_req.id, len) != AVPS_OK;
                    if (!stop) {
                        con->stats.control_out++;
                        con_sent_(con, p, flag);
                    }
                }
                done++;
            }
            if (stop) {
                break;
            }
        }
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* ---- control transmitq: driver to device (§5.3.6.2) -------------------------- */

typedef bool con_ctrl_fn(struct avps_console *con, uint32_t id, uint16_t value);

static bool ctrl_device_ready_(struct avps_console *con, uint32_t id, uint16_t value)
{
    (void)id; /* unused (§5.3.6.2) */
    if (value == 1u) {
        con->driver_ready = 1;
    }
    if (con->backend->event != NULL) {
        con->backend->event(con->backend->ctx, 0, AVPS_CONSOLE_EV_DEVICE_READY, value);
    }
    return true;
}

static bool ctrl_port_ready_(struct avps_console *con, uint32_t id, uint16_t value)
{
    struct avps_console_port *pt = &con->port[id];

    if ((value == 1u) && (pt->ready == 0u)) {
        pt->ready = 1;
        pt->flags = (uint16_t)(pt->flags | ((pt->console != 0u) ? FL_CONSOLE : 0u) |
                               ((pt->name_len != 0u) ? FL_NAME : 0u) |
                               ((pt->host_open != 0u) ? FL_OPEN : 0u));
    }
    if (con->backend->event != NULL) {
        con->backend->event(con->backend->ctx, id, AVPS_CONSOLE_EV_PORT_READY, value);
    }
    return true;
}

static bool ctrl_port_open_(struct avps_console *con, uint32_t id, uint16_t value)
{
    if (value > 1u) {
        return false;
    }
    con->port[id].guest_open = (uint8_t)value;
    if (con->backend->event != NULL) {
        con->backend->event(con->backend->ctx, id, AVPS_CONSOLE_EV_PORT_OPEN, value);
    }
    return true;
}

struct con_ctrl {
    bool port;
    con_ctrl_fn *fn;
};

static bool con_dispatch_(struct avps_console *con, const struct avps_virtio_console_control *c)
{
    /* STYLE rule 13: the messages a driver may send, and whether they name a port. */
    static const struct con_ctrl con_ctrls_[AVPS_VIRTIO_CONSOLE_PORT_NAME + 1u] = {
        [AVPS_VIRTIO_CONSOLE_DEVICE_READY] = {false, ctrl_device_ready_},
        [AVPS_VIRTIO_CONSOLE_PORT_READY] = {true, ctrl_port_ready_},
        [AVPS_VIRTIO_CONSOLE_PORT_OPEN] = {true, ctrl_port_open_},
        [AVPS_VIRTIO_CONSOLE_PORT_NAME] = {false, NULL},
    };
    const uint32_t id = avps_from_le32(c->id);
    const uint16_t ev = avps_from_le16(c->event);
    const struct con_ctrl *e;

    if ((ev >= AVPS_ARRAY_LEN(con_ctrls_)) || (con_ctrls_[ev].fn == NULL)) {
        return false; /* unknown, or a message only the device sends */
    }
    e = &con_ctrls_[ev];
    if (e->port && ((id >= con->max_ports) || (con->port[id].announced == 0u))) {
        return false; /* a port the driver was never told about */
    }
    return e->fn(con, id, avps_from_le16(c->value));
}

static int con_serve_ctrl_tx_(struct avps_console *con)
{
    struct avps_vq *vq = &con->queue[Q_CTX].vq;
    int done = 0;

    if (!mp_(con) || !avps_dev_queue_live_(&con->dev, Q_CTX)) {
        return 0;
    }
    for (;;) {
        struct avps_virtio_console_control c;
        int r = avps_vq_pop(vq, &con->c_req);

        if (r == AVPS_E_NOSPC) {
            if (!con_skip_(con, Q_CTX)) {
                break;
            }
            done++;
            continue;
        }
        if (r <= 0) {
            break;
        }
        if ((avps_vq_req_read(&con->c_req, 0, &c, CTRL_SIZE) != CTRL_SIZE) ||
            !con_dispatch_(con, &c)) {
            con_refuse_(con, Q_CTX, con->c_req.id, con->c_req.rd_len);
        } else {
            con->stats.control_in++;
        }
        if (avps_vq_push(vq, con->c_req.id, 0) != AVPS_OK) {
            break;
        }
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* ---- data queues -------------------------------------------------------------- */

/* Hand the rest of port p's transmit buffer to the backend. Returns true
 * when the buffer is finished. */
static bool con_tx_feed_(struct avps_console *con, uint32_t p)
{
    struct avps_console_port *pt = &con->port[p];
    uint8_t tmp[CHUNK];

    /* Bounded: each pass moves tx_off forward or returns. */
    while (pt->tx_off < pt->tx_req.rd_len) {
        uint32_t n = pt->tx_req.rd_len - pt->tx_off;
        int r;

        if (n > CHUNK) {
            n = CHUNK;
        }
        (void)avps_vq_req_read(&pt->tx_req, pt->tx_off, tmp, n);
        r = con->backend->tx(con->backend->ctx, p, tmp, n);
        if ((r == 0) || (r == AVPS_E_AGAIN)) {
            return false; /* keep the buffer: nothing acknowledged is lost */
        }
        if (r < 0) {
            con->stats.tx_lost += pt->tx_req.rd_len - pt->tx_off;
            pt->tx_off = pt->tx_req.rd_len;
            break;
        }
        if ((uint32_t)r > n) {
            r = (int)n; /* a backend that claims more than it was given */
        }
        pt->tx_off += (uint32_t)r;
        con->stats.tx_bytes += (uint32_t)r;
    }
    return true;
}

static int con_serve_tx_(struct avps_console *con, uint32_t p)
{
    const uint16_t q = (uint16_t)(rxq_(p) + 1u);
    struct avps_console_port *pt = &con->port[p];
    struct avps_vq *vq = &con->queue[q].vq;
    int done = 0;

    if (!port_up_(con, p) || !avps_dev_queue_live_(&con->dev, q)) {
        return 0;
    }
    for (;;) {
        if (pt->tx_parked == 0u) {
            const int r = avps_vq_pop(vq, &pt->tx_req);

            if (r == AVPS_E_NOSPC) {
                if (!con_skip_(con, q)) {
                    break;
                }
                done++;
                continue;
            }
            if (r <= 0) {
                break;
            }
            /* §5.3.6.1: no device-writable buffer in a transmitq. */
            if ((pt->tx_req.n_wr != 0u) || (pt->tx_req.rd_len == 0u)) {
                if (avps_vq_push(vq, pt->tx_req.id, 0) != AVPS_OK) {
                    break;
                }
                con_refuse_(con, q, pt->tx_req.id, pt->tx_req.wr_len);
                done++;
                continue;
            }
            pt->tx_off = 0;
        }
        if (!con_tx_feed_(con, p)) {
            pt->tx_parked = 1; /* in order: nothing behind it either */
            break;
        }
        pt->tx_parked = 0;
        if (avps_vq_push(vq, pt->tx_req.id, 0) != AVPS_OK) {
            break;
        }
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

/* Fill port p's receive buffer from the backend. Returns the bytes written. */
static uint32_t con_rx_fill_(struct avps_console *con, uint32_t p)
{
    struct avps_console_port *pt = &con->port[p];
    struct avps_vq *vq = &con->queue[rxq_(p)].vq;
    uint8_t tmp[CHUNK];
    uint32_t off = 0;

    /* Bounded: each pass writes at least one byte or stops. */
    while (off < pt->rx_req.wr_len) {
        uint32_t n = pt->rx_req.wr_len - off;
        int r;

        if (n > CHUNK) {
            n = CHUNK;
        }
        r = con->backend->rx(con->backend->ctx, p, tmp, n);
        if (r <= 0) {
            break;
        }
        if ((uint32_t)r > n) {
            r = (int)n;
        }
        off += avps_vq_req_write(vq, &pt->rx_req, off, tmp, (uint32_t)r);
        if ((uint32_t)r < n) {
            break; /* the backend has no more now */
        }
    }
    return off;
}

static int con_serve_rx_(struct avps_console *con, uint32_t p)
{
    const uint16_t q = rxq_(p);
    struct avps_console_port *pt = &con->port[p];
    struct avps_vq *vq = &con->queue[q].vq;
    int done = 0;

    if ((con->backend->rx == NULL) || !port_up_(con, p) || !avps_dev_queue_live_(&con->dev, q)) {
        return 0;
    }
    for (;;) {
        uint32_t n;

        if (pt->rx_parked == 0u) {
            const int r = avps_vq_pop(vq, &pt->rx_req);

            if (r == AVPS_E_NOSPC) {
                if (!con_skip_(con, q)) {
                    break;
                }
                done++;
                continue;
            }
            if (r <= 0) {
                break;
            }
            /* §5.3.6.1: no device-readable buffer in a receiveq. */
            if ((pt->rx_req.n_rd != 0u) || (pt->rx_req.wr_len == 0u)) {
                if (avps_vq_push(vq, pt->rx_req.id, 0) != AVPS_OK) {
                    break;
                }
                con_refuse_(con, q, pt->rx_req.id, pt->rx_req.rd_len);
                done++;
                continue;
            }
        }
        n = con_rx_fill_(con, p);
        if (n == 0u) {
            pt->rx_parked = 1; /* waits for bytes: avps_console_rx_wanted() */
            break;
        }
        pt->rx_parked = 0;
        if (avps_vq_push(vq, pt->rx_req.id, n) != AVPS_OK) {
            break;
        }
        con->stats.rx_bytes += n;
        done++;
    }
    (void)avps_vq_notify(vq);
    return done;
}

static int con_serve_all_(struct avps_console *con)
{
    int done = con_serve_ctrl_tx_(con);

    done += con_serve_ctrl_rx_(con);
    for (uint32_t p = 0; p < con->max_ports; p++) {
        done += con_serve_tx_(con, p);
        done += con_serve_rx_(con, p);
    }
    return done;
}

/* ---- device class ------------------------------------------------------------ */

static void con_reset_(struct avps_dev *dev)
{
    struct avps_console *con = con_of_(dev);

    con->driver_ready = 0;
    for (uint32_t p = 0; p < AVPS_CONSOLE_MAX_PORTS; p++) {
        struct avps_console_port *pt = &con->port[p];

        pt->announced = 0;
        pt->ready = 0;
        pt->guest_open = 0;
        pt->rx_parked = 0;
        pt->tx_parked = 0;
        pt->flags = (uint16_t)((pt->added != 0u) ? FL_ADD : 0u); /* announced again */
    }
}

static void con_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    struct avps_console *con = con_of_(dev);
    uint32_t p;

    if ((q == Q_CRX) || (q == Q_CTX)) {
        return;
    }
    p = (q < 2u) ? 0u : ((uint32_t)q - 2u) / 2u;
    if ((q & 1u) == 0u) {
        con->port[p].rx_parked = 0;
    } else {
        con->port[p].tx_parked = 0;
    }
}

static int con_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    struct avps_console *con = con_of_(dev);
    uint32_t p;

    if (q == Q_CTX) {
        const int a = con_serve_ctrl_tx_(con);

        return a + con_serve_all_(con); /* ready ports may have messages and data now */
    }
    if (q == Q_CRX) {
        return con_serve_ctrl_rx_(con);
    }
    p = (q < 2u) ? 0u : ((uint32_t)q - 2u) / 2u;
    return ((q & 1u) == 0u) ? con_serve_rx_(con, p) : con_serve_tx_(con, p);
}

static void con_driver_ok_(struct avps_dev *dev)
{
    struct avps_console *con = con_of_(dev);

    if (!mp_(con)) {
        con->port[0].guest_open = 1; /* a single console port is in use once the driver is up */
    }
}

int avps_console_init(struct avps_console *con, const struct avps_host *host,
                      const struct avps_console_cfg *cfg)
{
    static const struct avps_dev_class con_class = {
        .device_id = AVPS_VIRTIO_ID_CONSOLE,
        .config_size = (uint32_t)sizeof(struct avps_virtio_console_config),
        .features = F_SIZE | F_MULTIPORT | F_EMERG | AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER),
        .reset = con_reset_,
        .queue_notify = con_queue_notify_,
        .config_read = con_config_read_,
        .config_write = con_config_write_,
        .driver_ok = con_driver_ok_,
        .queue_reset = con_queue_reset_,
    };
    struct avps_dev_common_cfg cc;
    struct avps_vq_slot *slots;
    bool mp;
    uint16_t nq;
    int err;

    if ((con == NULL) || (cfg == NULL) || (cfg->backend == NULL) || (cfg->backend->tx == NULL) ||
        (cfg->max_ports == 0u) || (cfg->max_ports > AVPS_CONSOLE_MAX_PORTS) ||
        (cfg->slots == NULL)) {
        return AVPS_E_INVAL;
    }
    mp = cfg->multiport || (cfg->max_ports > 1u);
    nq = (uint16_t)(mp ? (2u * (cfg->max_ports + 1u)) : 2u);
    cc = cfg->common;
    /* Offer only what this configuration has. */
    if (!cfg->size) {
        cc.features_off |= F_SIZE;
    }
    if (!mp) {
        cc.features_off |= F_MULTIPORT;
    }
    if (cfg->backend->emerg == NULL) {
        cc.features_off |= F_EMERG;
    }
    err = avps_dev_init_(&con->dev, &con_class, host, con->queue, nq, &cc);
    slots = cfg->slots;
    for (uint16_t q = 0; (err == AVPS_OK) && (q < nq); q++) {
        err = avps_dev_queue_init_(&con->dev, q, cfg->queue_size_max,
                                   &slots[(size_t)q * cfg->slots_per_queue],
                                   cfg->slots_per_queue);
    }
    if (err != AVPS_OK) {
        return err;
    }
    con->backend = cfg->backend;
    con->max_ports = cfg->max_ports;
    con->multiport_offered = ((con->dev.offered & F_MULTIPORT) != 0u) ? 1u : 0u;
    con->cols = cfg->size ? cfg->cols : 0u;
    con->rows = cfg->size ? cfg->rows : 0u;
    con->c_req.seg = con->c_seg;
    con->c_req.seg_max = AVPS_CONSOLE_SEGS;
    (void)AVPS_MEMSET(con->port, 0, sizeof con->port);
    for (uint32_t p = 0; p < AVPS_CONSOLE_MAX_PORTS; p++) {
        con->port[p].rx_req.seg = con->port[p].rx_seg;
        con->port[p].rx_req.seg_max = AVPS_CONSOLE_SEGS;
        con->port[p].tx_req.seg = con->port[p].tx_seg;
        con->port[p].tx_req.seg_max = AVPS_CONSOLE_SEGS;
    }
    con->port[0].added = 1;
    con->port[0].console = 1;
    con->port[0].cols = con->cols;
    con->port[0].rows = con->rows;
    con_reset_(&con->dev);
    (void)AVPS_MEMSET(&con->stats, 0, sizeof con->stats);
    return AVPS_OK;
}

struct avps_dev *avps_console_dev(struct avps_console *con)
{
    return &con->dev;
}

int avps_console_port_add(struct avps_console *con, uint32_t id, const char *name,
                          uint16_t name_len, bool console)
{
    struct avps_console_port *pt;
    int rc = AVPS_OK;

    AVPS_ASSERT(con != NULL);
    if ((id == 0u) || (id >= con->max_ports) || (name_len > AVPS_CONSOLE_NAME_MAX) ||
        ((name == NULL) && (name_len != 0u))) {
        return AVPS_E_INVAL; /* §5.3.6.2.1: never a port at or above max_nr_ports */
    }
    avps_dev_lock_(&con->dev);
    pt = &con->port[id];
    if ((con->multiport_offered == 0u) || (pt->added != 0u)) {
        rc = AVPS_E_STATE; /* §5.3.6.2.1: never a port that exists */
    } else {
        pt->added = 1;
        pt->name = name;
        pt->name_len = name_len;
        pt->console = console ? 1u : 0u;
        pt->cols = 0;
        pt->rows = 0;
        pt->flags = FL_ADD;
        (void)con_serve_ctrl_rx_(con);
    }
    avps_dev_unlock_(&con->dev);
    return rc;
}

/* Return a held buffer of queue q empty. */
static void con_drop_held_(struct avps_console *con, uint16_t q, uint8_t *parked,
                           const struct avps_vq_req *req)
{
    if ((*parked != 0u) && avps_dev_queue_live_(&con->dev, q) &&
        (avps_vq_push(&con->queue[q].vq, req->id, 0) == AVPS_OK)) {
        (void)avps_vq_notify(&con->queue[q].vq);
    }
    *parked = 0;
}

int avps_console_port_remove(struct avps_console *con, uint32_t id)
{
    struct avps_console_port *pt;
    int rc = AVPS_OK;

    AVPS_ASSERT(con != NULL);
    if ((id == 0u) || (id >= con->max_ports)) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&con->dev);
    pt = &con->port[id];
    if ((pt->added == 0u) || ((pt->flags & FL_REMOVE) != 0u)) {
        rc = AVPS_E_STATE; /* §5.3.6.2.1: only a port that was added */
    } else {
        con_drop_held_(con, rxq_(id), &pt->rx_parked, &pt->rx_req);
        con_drop_held_(con, (uint16_t)(rxq_(id) + 1u), &pt->tx_parked, &pt->tx_req);
        if (pt->announced == 0u) {
            pt->added = 0; /* the driver never heard of it */
            pt->flags = 0;
        } else {
            pt->flags = FL_REMOVE;
            (void)con_serve_ctrl_rx_(con);
        }
    }
    avps_dev_unlock_(&con->dev);
    return rc;
}

int avps_console_port_open(struct avps_console *con, uint32_t id, bool open)
{
    struct avps_console_port *pt;

    AVPS_ASSERT(con != NULL);
    if ((id >= con->max_ports) || (con->port[id].added == 0u)) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&con->dev);
    pt = &con->port[id];
    pt->host_open = open ? 1u : 0u;
    pt->flags = (uint16_t)(pt->flags | FL_OPEN);
    (void)con_serve_ctrl_rx_(con);
    avps_dev_unlock_(&con->dev);
    return AVPS_OK;
}

int avps_console_resize(struct avps_console *con, uint32_t id, uint16_t cols, uint16_t rows)
{
    struct avps_console_port *pt;

    AVPS_ASSERT(con != NULL);
    if ((id >= con->max_ports) || (con->port[id].added == 0u)) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&con->dev);
    pt = &con->port[id];
    pt->cols = cols;
    pt->rows = rows;
    if ((id == 0u) && ((con->dev.offered & F_SIZE) != 0u)) {
        con->cols = cols;
        con->rows = rows;
        avps_dev_config_changed(&con->dev); /* §5.3.6: the size applies to port 0 */
    }
    if (pt->console != 0u) {
        pt->flags = (uint16_t)(pt->flags | FL_RESIZE);
        (void)con_serve_ctrl_rx_(con);
    }
    avps_dev_unlock_(&con->dev);
    return AVPS_OK;
}

int avps_console_resume(struct avps_console *con)
{
    int r = AVPS_E_STATE;

    AVPS_ASSERT(con != NULL);
    avps_dev_lock_(&con->dev);
    if ((con->dev.status & (AVPS_VIRTIO_S_DRIVER_OK | AVPS_VIRTIO_S_NEEDS_RESET)) ==
        AVPS_VIRTIO_S_DRIVER_OK) {
        r = con_serve_all_(con);
    }
    avps_dev_unlock_(&con->dev);
    return r;
}

bool avps_console_rx_wanted(const struct avps_console *con, uint32_t id)
{
    return (id < con->max_ports) && (con->port[id].rx_parked != 0u);
}

bool avps_console_guest_open(const struct avps_console *con, uint32_t id)
{
    return (id < con->max_ports) && (con->port[id].guest_open != 0u);
}

void avps_console_stats(const struct avps_console *con, struct avps_console_stats *st)
{
    AVPS_ASSERT((con != NULL) && (st != NULL));
    *st = con->stats;
}

/*
 * avps-vhost-user device type "console": virtio-console whose ports are host
 * Unix sockets. --device console,socket=P0[,name=N0][,socket=P1,name=N1]...
 * Port k listens on the k-th socket=; connect to it to talk to the guest's
 * port (port 0: /dev/hvc0; named ports: /dev/vportNpK, /dev/virtio-ports/NAME).
 * One client per port at a time; a new connection replaces the old one.
 * Connecting opens the port's host side (PORT_OPEN 1), disconnecting closes it.
 *
 * Bytes from the guest go to the client as they come; when the client does
 * not read (its socket buffer is full) the guest's buffer is kept by the
 * device, not completed, until the socket drains: nothing the guest was told
 * was sent is lost. Without a client, transmitted bytes are discarded
 * (a serial line with nothing attached). Bytes from the client are read only
 * when the guest has a receive buffer posted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/console.h>
#include <avps/err.h>

#include "daemon.h"

#define CON_QUEUE_MAX 1024u
#define CON_Q_ALL (AVPS_CONSOLE_MAX_QUEUES * CON_QUEUE_MAX)

struct con_port {
    char path[108];
    char name[AVPS_CONSOLE_NAME_MAX + 1];
    int listen_fd;
    int client_fd;
    int want_out;
    uint64_t discarded;
};

struct con_dev {
    struct avps_console con;
    struct avps_console_backend be;
    struct con_port port[AVPS_CONSOLE_MAX_PORTS];
    unsigned int nports;
    struct avps_vq_slot slots[CON_Q_ALL];
};

static int con_tx(void *ctx, uint32_t port, const void *buf, uint32_t len)
{
    struct con_dev *x = ctx;
    struct con_port *p = &x->port[port];
    ssize_t w;

    if (port >= x->nports || p->client_fd < 0) {
        p->discarded += len;
        return (int)len; /* nothing attached */
    }
    w = send(p->client_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            p->want_out = 1; /* resume when the socket drains */
            return AVPS_E_AGAIN;
        }
        p->discarded += len; /* the client is gone; its hang-up is handled by poll */
        return (int)len;
    }
    return (int)w;
}

static void con_close_client(struct con_dev *x, unsigned int k)
{
    struct con_port *p = &x->port[k];

    if (p->client_fd < 0)
        return;
    close(p->client_fd);
    p->client_fd = -1;
    p->want_out = 0;
    (void)avps_console_port_open(&x->con, k, false);
    (void)avps_console_resume(&x->con); /* a parked transmit now goes nowhere */
}

static int con_rx(void *ctx, uint32_t port, void *buf, uint32_t len)
{
    struct con_dev *x = ctx;
    struct con_port *p = &x->port[port];
    ssize_t r;

    if (port >= x->nports || p->client_fd < 0)
        return AVPS_E_AGAIN;
    r = recv(p->client_fd, buf, len, MSG_DONTWAIT);
    if (r > 0)
        return (int)r;
    return AVPS_E_AGAIN; /* nothing now; a hang-up shows up in poll */
}

static void con_event(void *ctx, uint32_t port, enum avps_console_event ev, uint16_t value)
{
    (void)ctx;
    if (dmn_verbosity > 0)
        dmn_say("console: port %u: %s %u", port,
                ev == AVPS_CONSOLE_EV_DEVICE_READY ? "driver ready"
                : ev == AVPS_CONSOLE_EV_PORT_READY ? "port ready"
                                                   : "guest open",
                value);
}

static void con_emerg(void *ctx, uint8_t ch)
{
    (void)ctx;
    fputc(ch, stderr);
}

static int con_listen(struct con_port *p)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
    unlink(p->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        close(fd);
        return -1;
    }
    p->listen_fd = fd;
    return 0;
}

static int con_setup(struct dmn_dev *d, char *opts)
{
    struct con_dev *x = calloc(1, sizeof *x);
    struct avps_console_cfg cfg;
    uint64_t qsize = CON_QUEUE_MAX, cols = 0, rows = 0, maxp = 0;
    int k, err, packed = 1, emerg = 0, multiport = 0;
    char *key, *val;

    if (x == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = x;
    for (unsigned int i = 0; i < AVPS_CONSOLE_MAX_PORTS; i++)
        x->port[i].listen_fd = x->port[i].client_fd = -1;
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "socket") == 0) {
            if (x->nports == AVPS_CONSOLE_MAX_PORTS) {
                dmn_say("error: console: at most %u ports", AVPS_CONSOLE_MAX_PORTS);
                return -1;
            }
            if (strlen(val) >= sizeof x->port[0].path) {
                dmn_say("error: console: socket path too long");
                return -1;
            }
            snprintf(x->port[x->nports++].path, sizeof x->port[0].path, "%s", val);
        } else if (strcmp(key, "name") == 0) {
            if (x->nports == 0 || strlen(val) > AVPS_CONSOLE_NAME_MAX) {
                dmn_say("error: console: name= follows its socket= and has at most %u bytes",
                        AVPS_CONSOLE_NAME_MAX);
                return -1;
            }
            snprintf(x->port[x->nports - 1].name, sizeof x->port[0].name, "%s", val);
        } else if (strcmp(key, "max-ports") == 0) {
            if (dmn_parse_u64(d, key, val, 1, AVPS_CONSOLE_MAX_PORTS, &maxp) != 0)
                return -1;
        } else if (strcmp(key, "multiport") == 0) {
            if (dmn_parse_bool(d, key, val, &multiport) != 0)
                return -1;
        } else if (strcmp(key, "cols") == 0) {
            if (dmn_parse_u64(d, key, val, 1, 65535, &cols) != 0)
                return -1;
        } else if (strcmp(key, "rows") == 0) {
            if (dmn_parse_u64(d, key, val, 1, 65535, &rows) != 0)
                return -1;
        } else if (strcmp(key, "emerg") == 0) {
            if (dmn_parse_bool(d, key, val, &emerg) != 0)
                return -1;
        } else if (strcmp(key, "packed") == 0) {
            if (dmn_parse_bool(d, key, val, &packed) != 0)
                return -1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, CON_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    if (x->nports == 0) {
        dmn_say("error: console: give at least one socket=PATH (port 0)");
        return -1;
    }
    if (maxp == 0)
        maxp = x->nports;
    if (maxp < x->nports) {
        dmn_say("error: console: max-ports=%llu is less than the %u ports given",
                (unsigned long long)maxp, x->nports);
        return -1;
    }
    if ((cols == 0) != (rows == 0)) {
        dmn_say("error: console: give both cols= and rows=, or neither");
        return -1;
    }
    for (unsigned int i = 0; i < x->nports; i++) {
        if (con_listen(&x->port[i]) != 0) {
            dmn_say("error: console: cannot listen on %s: %s", x->port[i].path, strerror(errno));
            return -1;
        }
    }
    dmn_vu_init(d);
    x->be.tx = con_tx;
    x->be.rx = con_rx;
    x->be.event = con_event;
    x->be.emerg = emerg ? con_emerg : NULL;
    x->be.ctx = x;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    if (!packed)
        cfg.common.features_off = 1ull << 34; /* VIRTIO_F_RING_PACKED */
    cfg.backend = &x->be;
    cfg.max_ports = (uint32_t)maxp;
    cfg.multiport = multiport != 0;
    cfg.size = cols != 0;
    cfg.cols = (uint16_t)cols;
    cfg.rows = (uint16_t)rows;
    cfg.slots = x->slots;
    cfg.slots_per_queue = CON_QUEUE_MAX;
    cfg.queue_size_max = (uint16_t)qsize;
    err = avps_console_init(&x->con, avps_vu_host(&d->vu), &cfg);
    for (unsigned int i = 1; err == AVPS_OK && i < x->nports; i++)
        err = avps_console_port_add(&x->con, i, x->port[i].name,
                                    (uint16_t)strlen(x->port[i].name), false);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_console_dev(&x->con));
    if (err != AVPS_OK) {
        dmn_say("error: console setup failed: %s", avps_strerror(err));
        return -1;
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: console with %u port(s) of %llu, %u queues", d->name, x->nports,
                (unsigned long long)maxp, avps_dev_num_queues(avps_console_dev(&x->con)));
    return 0;
}

static unsigned int con_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct con_dev *x = d->priv;
    unsigned int n = 0;

    for (unsigned int i = 0; i < x->nports && n + 2 <= max; i++) {
        struct con_port *p = &x->port[i];

        pfd[n].fd = p->listen_fd;
        pfd[n++].events = POLLIN;
        if (p->client_fd >= 0) {
            pfd[n].fd = p->client_fd;
            /* Read only when the guest has a buffer for the bytes. */
            pfd[n++].events = (short)((avps_console_rx_wanted(&x->con, i) ? POLLIN : 0) |
                                      (p->want_out ? POLLOUT : 0));
        }
    }
    return n;
}

static void con_fd_event(struct dmn_dev *d, int fd, short revents)
{
    struct con_dev *x = d->priv;

    for (unsigned int i = 0; i < x->nports; i++) {
        struct con_port *p = &x->port[i];

        if (fd == p->listen_fd) {
            int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

            if (c < 0)
                return;
            if (p->client_fd >= 0)
                con_close_client(x, i);
            p->client_fd = c;
            (void)avps_console_port_open(&x->con, i, true);
            (void)avps_console_resume(&x->con);
            return;
        }
        if (fd == p->client_fd) {
            if (revents & (POLLHUP | POLLERR)) {
                char b;

                /* Bytes still to read come first; a hang-up with nothing left ends it. */
                if (!(revents & POLLIN) || recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
                    con_close_client(x, i);
                    return;
                }
            }
            if (revents & POLLOUT)
                p->want_out = 0;
            (void)avps_console_resume(&x->con);
            return;
        }
    }
}

static void con_teardown(struct dmn_dev *d)
{
    struct con_dev *x = d->priv;

    if (x != NULL) {
        for (unsigned int i = 0; i < x->nports; i++) {
            if (x->port[i].client_fd >= 0)
                close(x->port[i].client_fd);
            if (x->port[i].listen_fd >= 0) {
                close(x->port[i].listen_fd);
                unlink(x->port[i].path);
            }
        }
    }
    free(x);
    d->priv = NULL;
}

const struct dmn_type dmn_console = {
    .name = "console",
    .help = "  console  console device (virtio-console). Options:\n"
            "             socket=PATH     a port: listen on PATH, connect to talk to the guest's\n"
            "                             port (first: port 0, /dev/hvc0); repeat for ports 1, 2, ...\n"
            "                             (MULTIPORT: /dev/vportNpK); at most 8\n"
            "             name=NAME       the name of the port given just before (PORT_NAME,\n"
            "                             /dev/virtio-ports/NAME in the guest)\n"
            "             max-ports=N     ports the device allows (default: the sockets given);\n"
            "                             more than 1 offers MULTIPORT\n"
            "             multiport=on    offer MULTIPORT with one port too\n"
            "             cols=C,rows=R   offer VIRTIO_CONSOLE_F_SIZE with this size\n"
            "             emerg=on        offer EMERG_WRITE; emergency bytes go to stderr\n"
            "             packed=on|off   offer VIRTIO_F_RING_PACKED (default on)\n"
            "             queue-size=N    largest queue size accepted (default and max 1024)\n",
    .setup = con_setup,
    .pollfds = con_pollfds,
    .event = con_fd_event,
    .teardown = con_teardown,
};

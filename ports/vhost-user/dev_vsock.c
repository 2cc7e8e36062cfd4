/*
 * avps-vhost-user device type "vsock": virtio-vsock whose host side is a set
 * of Unix sockets, the way Firecracker's and cloud-hypervisor's hybrid vsock
 * work:
 *   - a host program connects to uds=PATH, writes "CONNECT <port>\n" and, once
 *     the guest accepts, reads "OK <hostport>\n" followed by the byte stream
 *     of a stream connection to the guest's <port>;
 *   - a guest connection to host port P is forwarded to a new connection to
 *     the Unix socket "PATH_P" (SOCK_STREAM for stream sockets, SOCK_SEQPACKET
 *     for seqpacket ones: one guest message is one Unix message).
 * Every host socket is nonblocking and polled by the daemon. Backpressure
 * works both ways without unbounded buffering: the daemon reads a host socket
 * only when the bytes read before have gone into the guest (within the
 * guest's credit), and the guest's credit for a connection is the buffer of
 * VS_BUF bytes the daemon keeps for it, returned as the bytes reach the host
 * socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/vsock.h>

#include "daemon.h"

#define VS_QUEUE_MAX 32768u
#define VS_CONNS 64u      /* connections (each has a host socket) */
#define VS_PENDING 4u     /* host programs that have not sent CONNECT yet */
#define VS_BUF 65536u     /* per-connection buffer each way; the guest's credit */
#define VS_MSGS 64u       /* seqpacket messages held guest -> host */
#define VS_EPHEMERAL 49152u

enum vc_state { VC_FREE = 0, VC_WAIT_OK, VC_OPEN };

struct vconn {
    int fd;
    enum vc_state state;
    int seq;             /* seqpacket */
    uint32_t hport;      /* host-initiated: for the OK line */
    /* guest -> host */
    uint8_t *g2h;
    uint32_t g2h_len;    /* bytes held, from g2h[0] */
    uint32_t msg_len[VS_MSGS]; /* seqpacket: lengths of complete messages held */
    uint32_t nmsg;
    uint32_t partial;    /* seqpacket: bytes of the message still arriving */
    /* host -> guest */
    uint8_t *h2g;
    uint32_t h2g_off, h2g_len;
    int h2g_msg;         /* seqpacket: h2g holds one message (send with EOM) */
    int host_eof;
    int eof_sent;
    uint32_t guest_shut;
    int wr_shut;
};

struct pending {
    int fd;
    char line[32];
    unsigned int len;
};

struct vsock_dev {
    struct avps_vsock vs;
    struct avps_vsock_backend be;
    struct avps_vsock_conn conns[VS_CONNS];
    struct avps_vq_slot slots[AVPS_VSOCK_NUM_QUEUES][VS_QUEUE_MAX];
    struct vconn vc[VS_CONNS];
    struct pending pend[VS_PENDING];
    char uds[108];
    int listen_fd;
    uint32_t next_port;
    const char *name;
};

static void vc_close(struct vconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = VC_FREE;
}

static void vc_open(struct vconn *c, int fd, int seq)
{
    uint8_t *g2h = c->g2h, *h2g = c->h2g;

    memset(c, 0, sizeof *c);
    c->g2h = g2h;
    c->h2g = h2g;
    c->fd = fd;
    c->seq = seq;
    c->state = VC_OPEN;
}

/* ---- the library's callbacks (they never call back into it) ------------- */

static int be_connect(void *ctx, uint32_t conn, uint32_t host_port, uint32_t guest_port,
                      uint16_t type)
{
    struct vsock_dev *v = ctx;
    int seq = type == AVPS_VIRTIO_VSOCK_TYPE_SEQPACKET;
    struct sockaddr_un sa;
    int fd;

    (void)guest_port;
    if (conn >= VS_CONNS)
        return AVPS_E_NOSPC;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s_%u", v->uds, host_port) >=
        (int)sizeof sa.sun_path)
        return AVPS_E_INVAL;
    fd = socket(AF_UNIX, (seq ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return AVPS_E_IO;
    /* A Unix connect completes at once or fails (EAGAIN: backlog full). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (dmn_verbosity > 0)
            dmn_say("%s: guest port %u -> %s: %s", v->name, guest_port, sa.sun_path,
                    strerror(errno));
        close(fd);
        return AVPS_E_IO;
    }
    vc_open(&v->vc[conn], fd, seq);
    return AVPS_OK;
}

static void be_accept(void *ctx, uint32_t conn)
{
    struct vsock_dev *v = ctx;
    struct vconn *c = &v->vc[conn];
    char line[32];
    int n;

    if (conn >= VS_CONNS || c->state != VC_WAIT_OK)
        return;
    n = snprintf(line, sizeof line, "OK %u\n", c->hport);
    /* The host program waits for this line before it writes: it fits. */
    if (write(c->fd, line, (size_t)n) != n) {
        c->host_eof = 1; /* the host program is gone; the pump resets */
    }
    c->state = VC_OPEN;
}

static int be_data(void *ctx, uint32_t conn, const void *buf, uint32_t len, uint32_t flags)
{
    struct vsock_dev *v = ctx;
    struct vconn *c = &v->vc[conn];

    if (conn >= VS_CONNS || c->state != VC_OPEN || len > VS_BUF - c->g2h_len)
        return AVPS_E_IO; /* cannot happen within the credit we give */
    memcpy(c->g2h + c->g2h_len, buf, len);
    c->g2h_len += len;
    if (c->seq) {
        c->partial += len;
        if ((flags & AVPS_VSOCK_EOM) != 0u) {
            if (c->nmsg == VS_MSGS)
                return AVPS_E_IO; /* more tiny messages than we keep apart */
            c->msg_len[c->nmsg++] = c->partial;
            c->partial = 0;
        }
    }
    return AVPS_OK;
}

static void be_shutdown(void *ctx, uint32_t conn, uint32_t flags)
{
    struct vsock_dev *v = ctx;

    if (conn < VS_CONNS)
        v->vc[conn].guest_shut = flags;
}

static void be_reset(void *ctx, uint32_t conn)
{
    struct vsock_dev *v = ctx;

    if (conn < VS_CONNS)
        vc_close(&v->vc[conn]);
}

/* ---- moving bytes ------------------------------------------------------------ */

/* Write what the guest sent to the host socket. Returns -1 when the host
 * socket failed (the connection is to be reset). */
static int vc_flush_g2h(struct vsock_dev *v, uint32_t i)
{
    struct vconn *c = &v->vc[i];

    while (c->g2h_len > 0) {
        uint32_t n = c->seq ? c->msg_len[0] : c->g2h_len;
        ssize_t w;

        if (c->seq && c->nmsg == 0)
            return 0; /* a message still arriving */
        w = send(c->fd, c->g2h, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        if (c->seq) {
            w = (ssize_t)n; /* one message, whole or not at all */
            memmove(c->msg_len, c->msg_len + 1, (c->nmsg - 1) * sizeof c->msg_len[0]);
            c->nmsg--;
        }
        memmove(c->g2h, c->g2h + w, c->g2h_len - (uint32_t)w);
        c->g2h_len -= (uint32_t)w;
        (void)avps_vsock_consumed(&v->vs, i, (uint32_t)w);
    }
    return 0;
}

/* Give the guest what was read from the host socket (credit permitting). */
static int vc_push_h2g(struct vsock_dev *v, uint32_t i)
{
    struct vconn *c = &v->vc[i];

    while (c->h2g_len > 0 || c->h2g_msg) {
        uint32_t flags = c->h2g_msg ? AVPS_VSOCK_EOM : 0u;
        int r = avps_vsock_send(&v->vs, i, c->h2g + c->h2g_off, c->h2g_len, flags);

        if (r == AVPS_E_AGAIN)
            return 0;
        if (r < 0)
            return -1;
        c->h2g_off += (uint32_t)r;
        c->h2g_len -= (uint32_t)r;
        if (c->h2g_len == 0) {
            c->h2g_msg = 0;
            c->h2g_off = 0;
            return 0;
        }
        if (r == 0)
            return 0; /* no credit or no rx buffer: writable() or a kick brings us back */
    }
    return 0;
}

static void vc_reset(struct vsock_dev *v, uint32_t i)
{
    (void)avps_vsock_reset(&v->vs, i);
    vc_close(&v->vc[i]);
}

/* Everything that waits on the guest or on the host: run before each poll. */
static void vs_pump(struct vsock_dev *v)
{
    for (uint32_t i = 0; i < VS_CONNS; i++) {
        struct vconn *c = &v->vc[i];

        if (c->state != VC_OPEN)
            continue;
        if (vc_flush_g2h(v, i) != 0 || vc_push_h2g(v, i) != 0) {
            vc_reset(v, i);
            continue;
        }
        if ((c->guest_shut & AVPS_VSOCK_SHUT_SEND) && c->g2h_len == 0 && !c->wr_shut) {
            shutdown(c->fd, SHUT_WR);
            c->wr_shut = 1;
        }
        /* §5.10.6.5: the guest shut down both ways: finish, then RST. */
        if (c->guest_shut == (AVPS_VSOCK_SHUT_RCV | AVPS_VSOCK_SHUT_SEND) && c->g2h_len == 0) {
            vc_reset(v, i);
            continue;
        }
        if (c->host_eof && c->h2g_len == 0 && !c->eof_sent) {
            if (avps_vsock_shutdown(&v->vs, i, AVPS_VSOCK_SHUT_SEND) != AVPS_OK) {
                vc_reset(v, i);
                continue;
            }
            c->eof_sent = 1;
        }
    }
}

static void vc_readable(struct vsock_dev *v, uint32_t i)
{
    struct vconn *c = &v->vc[i];
    ssize_t n;

    if (c->h2g_len != 0 || c->h2g_msg || c->host_eof)
        return; /* the last read is not in the guest yet */
    n = recv(c->fd, c->h2g, VS_BUF, MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            vc_reset(v, i);
        return;
    }
    if (n == 0) {
        c->host_eof = 1;
        return;
    }
    c->h2g_off = 0;
    c->h2g_len = (uint32_t)n;
    c->h2g_msg = c->seq;
}

/* A host program's CONNECT line. */
static void pend_readable(struct vsock_dev *v, struct pending *p)
{
    unsigned int port;
    char extra;
    ssize_t n;
    int c;

    /* One byte at a time: nothing past the newline is taken from the socket. */
    n = read(p->fd, &p->line[p->len], 1);
    if (n == 1 && p->line[p->len] != '\n' && p->len + 1 < sizeof p->line) {
        p->len++;
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    p->line[p->len] = '\0';
    if (n != 1 || sscanf(p->line, "CONNECT %u%c", &port, &extra) != 1) {
        close(p->fd);
        p->fd = -1;
        return;
    }
    c = AVPS_E_INVAL;
    for (unsigned int tries = 0; tries < 256 && c == AVPS_E_INVAL; tries++) {
        uint32_t hp = v->next_port++;

        if (v->next_port == 0)
            v->next_port = VS_EPHEMERAL;
        c = avps_vsock_connect(&v->vs, hp, port, AVPS_VIRTIO_VSOCK_TYPE_STREAM);
        if (c >= 0 && (uint32_t)c < VS_CONNS) {
            vc_open(&v->vc[c], p->fd, 0);
            v->vc[c].state = VC_WAIT_OK;
            v->vc[c].hport = hp;
            p->fd = -1;
            return;
        }
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: CONNECT %u refused: %s", v->name, port, avps_strerror(c));
    close(p->fd);
    p->fd = -1;
}

/* ---- dmn_type hooks ------------------------------------------------------------ */

static unsigned int vs_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct vsock_dev *v = d->priv;
    unsigned int n = 0;

    vs_pump(v);
    if (n < max) {
        pfd[n].fd = v->listen_fd;
        pfd[n++].events = POLLIN;
    }
    for (unsigned int i = 0; i < VS_PENDING && n < max; i++) {
        if (v->pend[i].fd >= 0) {
            pfd[n].fd = v->pend[i].fd;
            pfd[n++].events = POLLIN;
        }
    }
    for (uint32_t i = 0; i < VS_CONNS && n < max; i++) {
        struct vconn *c = &v->vc[i];
        short ev = 0;

        if (c->state != VC_OPEN)
            continue;
        if (c->h2g_len == 0 && !c->h2g_msg && !c->host_eof)
            ev |= POLLIN;
        if (c->g2h_len > 0 && (!c->seq || c->nmsg > 0))
            ev |= POLLOUT;
        if (ev == 0)
            continue;
        pfd[n].fd = c->fd;
        pfd[n++].events = ev;
    }
    return n;
}

static void vs_event(struct dmn_dev *d, int fd, short revents)
{
    struct vsock_dev *v = d->priv;

    if (fd == v->listen_fd) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (c < 0)
            return;
        for (unsigned int i = 0; i < VS_PENDING; i++) {
            if (v->pend[i].fd < 0) {
                v->pend[i].fd = c;
                v->pend[i].len = 0;
                return;
            }
        }
        close(c); /* too many host programs at once */
        return;
    }
    for (unsigned int i = 0; i < VS_PENDING; i++) {
        if (v->pend[i].fd == fd) {
            pend_readable(v, &v->pend[i]);
            return;
        }
    }
    for (uint32_t i = 0; i < VS_CONNS; i++) {
        struct vconn *c = &v->vc[i];

        if (c->state != VC_OPEN || c->fd != fd)
            continue;
        if (revents & POLLOUT) {
            if (vc_flush_g2h(v, i) != 0) {
                vc_reset(v, i);
                return;
            }
        }
        if (revents & (POLLIN | POLLHUP | POLLERR))
            vc_readable(v, i);
        return;
    }
}

static int vs_setup(struct dmn_dev *d, char *opts)
{
    struct vsock_dev *v = calloc(1, sizeof *v);
    struct avps_vsock_cfg cfg;
    struct sockaddr_un sa;
    uint64_t cid = 0, qsize = VS_QUEUE_MAX; /* the front-end picks the size */
    char *key, *val;
    int k, err;

    if (v == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = v;
    v->listen_fd = -1;
    for (unsigned int i = 0; i < VS_PENDING; i++)
        v->pend[i].fd = -1;
    for (unsigned int i = 0; i < VS_CONNS; i++) {
        v->vc[i].fd = -1;
        v->vc[i].g2h = malloc(VS_BUF);
        v->vc[i].h2g = malloc(VS_BUF);
        if (v->vc[i].g2h == NULL || v->vc[i].h2g == NULL) {
            dmn_say("error: out of memory");
            return -1;
        }
    }
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "guest-cid") == 0) {
            if (dmn_parse_u64(d, key, val, 3, 0xfffffffeull, &cid) != 0)
                return -1;
        } else if (strcmp(key, "uds") == 0) {
            /* PATH_<port> must fit sun_path too */
            if (strlen(val) == 0 || strlen(val) + 12 > sizeof v->uds) {
                dmn_say("error: vsock: uds path empty or too long (at most %zu bytes)",
                        sizeof v->uds - 12);
                return -1;
            }
            snprintf(v->uds, sizeof v->uds, "%s", val);
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, VS_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    if (cid == 0 || v->uds[0] == '\0') {
        dmn_say("error: vsock: guest-cid=N and uds=PATH are required");
        return -1;
    }
    v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", v->uds);
    unlink(v->uds);
    if (v->listen_fd < 0 || bind(v->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(v->listen_fd, 16) != 0) {
        dmn_say("error: vsock: cannot listen on %s: %s", v->uds, strerror(errno));
        return -1;
    }
    dmn_vu_init(d);
    v->name = d->name;
    v->next_port = VS_EPHEMERAL;
    v->be.connect = be_connect;
    v->be.accept = be_accept;
    v->be.data = be_data;
    v->be.shutdown = be_shutdown;
    v->be.reset = be_reset;
    v->be.ctx = v;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    cfg.guest_cid = cid;
    cfg.backend = &v->be;
    cfg.conns = v->conns;
    cfg.num_conns = VS_CONNS;
    cfg.buf_alloc = VS_BUF;
    for (unsigned int q = 0; q < AVPS_VSOCK_NUM_QUEUES; q++)
        cfg.slots[q] = v->slots[q];
    cfg.num_slots = VS_QUEUE_MAX;
    cfg.queue_size_max = (uint16_t)qsize;
    err = avps_vsock_init(&v->vs, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_vsock_dev(&v->vs));
    if (err != AVPS_OK) {
        dmn_say("error: vsock setup failed: %s", avps_strerror(err));
        return -1;
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: guest CID %llu, host sockets %s and %s_<port>", d->name,
                (unsigned long long)cid, v->uds, v->uds);
    return 0;
}

static void vs_teardown(struct dmn_dev *d)
{
    struct vsock_dev *v = d->priv;

    if (v == NULL)
        return;
    for (unsigned int i = 0; i < VS_CONNS; i++) {
        if (v->vc[i].fd >= 0)
            close(v->vc[i].fd);
        free(v->vc[i].g2h);
        free(v->vc[i].h2g);
    }
    for (unsigned int i = 0; i < VS_PENDING; i++)
        if (v->pend[i].fd >= 0)
            close(v->pend[i].fd);
    if (v->listen_fd >= 0) {
        close(v->listen_fd);
        unlink(v->uds);
    }
    free(v);
    d->priv = NULL;
}

const struct dmn_type dmn_vsock = {
    .name = "vsock",
    .help = "  vsock    socket device (virtio-vsock) with hybrid Unix-socket host side. Options:\n"
            "             guest-cid=N     the guest's CID, 3..4294967294 (required)\n"
            "             uds=PATH        host programs connect to PATH and write \"CONNECT <port>\\n\"\n"
            "                             (answer \"OK <hostport>\\n\"); guest connections to host\n"
            "                             port P go to the Unix socket PATH_P (required)\n"
            "             queue-size=N    largest queue size accepted (default and max 32768)\n",
    .setup = vs_setup,
    .pollfds = vs_pollfds,
    .event = vs_event,
    .teardown = vs_teardown,
};

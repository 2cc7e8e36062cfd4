/*
 * avps-vhost-user device type "input": virtio-input fed by
 *   socket=PATH  a host Unix socket: connect to it and write events as text
 *                lines (format below); status events from the guest (LEDs)
 *                come back on the same connection;
 *   evdev=PATH   a host evdev device (/dev/input/eventN): its name, IDs,
 *                properties, event bits and axis ranges are read with ioctls
 *                and its events forwarded; guest LED changes are written back.
 *
 * Socket line format (one command a line, at most 255 bytes):
 *   TYPE CODE VALUE   one event; numbers in decimal or 0x hex, VALUE may be
 *                     negative (e.g. "1 30 1" = EV_KEY KEY_A pressed)
 *   syn               EV_SYN SYN_REPORT 0 (ends a group: the guest gets the
 *                     events up to here together)
 *   # ...             comment; empty lines are ignored
 * The daemon answers a bad line with "error: ...". It writes
 *   status TYPE CODE VALUE   for each status event the guest driver sends
 * One client at a time; a new connection replaces the old one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/input.h>

#include "daemon.h"

#define INPUT_QUEUE_MAX 1024u
#define LINE_MAX_ 256u

struct input_dev {
    struct avps_input in;
    struct avps_input_info info;
    struct avps_input_backend be;
    char sock_path[108];
    int listen_fd;
    int client_fd;
    int evdev_fd;
    int grab;
    int want_out;  /* a status line waits for the client to take it */
    char line[LINE_MAX_];
    size_t line_len;
    struct avps_input_event *pending;
    struct avps_vq_slot eslots[INPUT_QUEUE_MAX];
    struct avps_vq_slot sslots[INPUT_QUEUE_MAX];
};

static void bit_set(uint8_t *bm, unsigned int bit)
{
    bm[bit / 8u] = (uint8_t)(bm[bit / 8u] | (1u << (bit % 8u)));
}

/* ---- status events from the guest ------------------------------------------ */

static int input_status(void *ctx, const struct avps_input_event *ev)
{
    struct input_dev *x = ctx;

    if (x->evdev_fd >= 0) {
        struct input_event ie;

        memset(&ie, 0, sizeof ie);
        ie.type = ev->type;
        ie.code = ev->code;
        ie.value = (int32_t)ev->value;
        if (write(x->evdev_fd, &ie, sizeof ie) < 0 && errno == EAGAIN)
            return AVPS_E_AGAIN;
        return AVPS_OK; /* a device that refuses the LED: nothing to keep */
    }
    if (x->client_fd >= 0) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "status %u %u %d\n", ev->type, ev->code,
                         (int32_t)ev->value);
        ssize_t w = send(x->client_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            x->want_out = 1; /* the buffer stays with the device until we can write */
            return AVPS_E_AGAIN;
        }
        /* A short write of a 20-byte line to a stream socket does not happen
         * in practice; a dead client just loses the line. */
    }
    if (dmn_verbosity > 0)
        dmn_say("input: status type %u code %u value %d", ev->type, ev->code, (int32_t)ev->value);
    return AVPS_OK;
}

/* ---- socket mode ------------------------------------------------------------- */

static void input_socket_info(struct avps_input_info *info, const char *name, uint32_t abs_max)
{
    snprintf(info->name, sizeof info->name, "%s", name);
    snprintf(info->serial, sizeof info->serial, "avps-socket");
    info->ids.bustype = BUS_VIRTUAL;
    info->ids.vendor = 0x1af4;
    info->ids.product = 0x0001;
    info->ids.version = 1;
    bit_set(info->ev_bits[EV_SYN], SYN_REPORT);
    for (unsigned int k = KEY_ESC; k <= KEY_MICMUTE; k++)
        bit_set(info->ev_bits[EV_KEY], k);
    bit_set(info->ev_bits[EV_KEY], BTN_LEFT);
    bit_set(info->ev_bits[EV_KEY], BTN_RIGHT);
    bit_set(info->ev_bits[EV_KEY], BTN_MIDDLE);
    bit_set(info->ev_bits[EV_KEY], BTN_TOUCH);
    bit_set(info->ev_bits[EV_ABS], ABS_X);
    bit_set(info->ev_bits[EV_ABS], ABS_Y);
    info->abs[ABS_X].max = (int32_t)abs_max;
    info->abs[ABS_Y].max = (int32_t)abs_max;
    bit_set(info->ev_bits[EV_LED], LED_NUML);
    bit_set(info->ev_bits[EV_LED], LED_CAPSL);
    bit_set(info->ev_bits[EV_LED], LED_SCROLLL);
}

static int input_listen(struct input_dev *x)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, x->sock_path, strlen(x->sock_path) + 1);
    unlink(x->sock_path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        close(fd);
        return -1;
    }
    x->listen_fd = fd;
    return 0;
}

static void input_reply(struct input_dev *x, const char *msg)
{
    if (x->client_fd >= 0)
        (void)send(x->client_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* One command line (NUL-terminated, without the newline). */
static void input_line(struct input_dev *x, char *l)
{
    struct avps_input_event e;
    char *tok[4];
    int n = 0;
    long long v[3];

    while (*l == ' ' || *l == '\t')
        l++;
    if (*l == '\0' || *l == '#')
        return;
    for (char *p = strtok(l, " \t\r"); p != NULL && n < 4; p = strtok(NULL, " \t\r"))
        tok[n++] = p;
    if (n == 1 && strcmp(tok[0], "syn") == 0) {
        e.type = EV_SYN;
        e.code = SYN_REPORT;
        e.value = 0;
    } else if (n == 3 && parse_num(tok[0], 0, 0xffff, &v[0]) == 0 &&
               parse_num(tok[1], 0, 0xffff, &v[1]) == 0 &&
               parse_num(tok[2], INT32_MIN, UINT32_MAX, &v[2]) == 0) {
        e.type = (uint16_t)v[0];
        e.code = (uint16_t)v[1];
        e.value = (uint32_t)v[2];
    } else {
        input_reply(x, "error: want 'TYPE CODE VALUE' or 'syn'\n");
        return;
    }
    (void)avps_input_send(&x->in, &e, 1);
}

static void input_client_read(struct input_dev *x)
{
    char buf[512];
    ssize_t r = recv(x->client_fd, buf, sizeof buf, MSG_DONTWAIT);

    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close(x->client_fd);
        x->client_fd = -1;
        x->want_out = 0;
        x->line_len = 0;
        (void)avps_input_resume(&x->in); /* a waiting status line has nobody to go to */
        return;
    }
    for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n') {
            x->line[x->line_len] = '\0';
            input_line(x, x->line);
            x->line_len = 0;
        } else if (x->line_len < sizeof x->line - 1u) {
            x->line[x->line_len++] = buf[i];
        } else {
            x->line_len = 0; /* an over-long line is dropped whole */
            input_reply(x, "error: line too long\n");
        }
    }
}

/* ---- evdev mode -------------------------------------------------------------- */

static int input_evdev_info(struct input_dev *x, const char *path)
{
    struct avps_input_info *info = &x->info;
    struct input_id id;

    x->evdev_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (x->evdev_fd < 0)
        x->evdev_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (x->evdev_fd < 0) {
        dmn_say("error: input: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (ioctl(x->evdev_fd, EVIOCGNAME(sizeof info->name), info->name) < 0) {
        dmn_say("error: input: %s is not an evdev device: %s", path, strerror(errno));
        return -1;
    }
    (void)ioctl(x->evdev_fd, EVIOCGUNIQ(sizeof info->serial), info->serial);
    if (ioctl(x->evdev_fd, EVIOCGID, &id) == 0) {
        info->ids.bustype = id.bustype;
        info->ids.vendor = id.vendor;
        info->ids.product = id.product;
        info->ids.version = id.version;
    }
    (void)ioctl(x->evdev_fd, EVIOCGPROP(sizeof info->prop_bits), info->prop_bits);
    for (unsigned int t = 1; t < AVPS_INPUT_EV_TYPES; t++)
        (void)ioctl(x->evdev_fd, EVIOCGBIT(t, AVPS_INPUT_BITMAP_BYTES), info->ev_bits[t]);
    bit_set(info->ev_bits[EV_SYN], SYN_REPORT);
    for (unsigned int a = 0; a < AVPS_INPUT_ABS_AXES; a++) {
        struct input_absinfo ai;

        if ((info->ev_bits[EV_ABS][a / 8u] & (1u << (a % 8u))) == 0u ||
            ioctl(x->evdev_fd, EVIOCGABS(a), &ai) != 0)
            continue;
        info->abs[a].min = ai.minimum;
        info->abs[a].max = ai.maximum;
        info->abs[a].fuzz = ai.fuzz;
        info->abs[a].flat = ai.flat;
        info->abs[a].res = ai.resolution;
    }
    if (x->grab && ioctl(x->evdev_fd, EVIOCGRAB, 1) != 0) {
        dmn_say("error: input: cannot grab %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void input_evdev_read(struct input_dev *x)
{
    struct input_event ie[64];
    ssize_t r = read(x->evdev_fd, ie, sizeof ie);

    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            dmn_say("error: input: evdev read: %s; device gone", strerror(errno));
            close(x->evdev_fd);
            x->evdev_fd = -1;
        }
        return;
    }
    for (size_t i = 0; i < (size_t)r / sizeof ie[0]; i++) {
        struct avps_input_event e;

        e.type = ie[i].type;
        e.code = ie[i].code;
        e.value = (uint32_t)ie[i].value;
        (void)avps_input_send(&x->in, &e, 1);
    }
}

/* ---- the type --------------------------------------------------------------- */

static int input_setup(struct dmn_dev *d, char *opts)
{
    struct input_dev *x = calloc(1, sizeof *x);
    struct avps_input_cfg cfg;
    const char *evdev = NULL, *sock = NULL, *name = "avps virtio input";
    uint64_t qsize = INPUT_QUEUE_MAX, pend = 1024, abs_max = 32767;
    char *key, *val;
    int k, err, packed = 1;

    if (x == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = x;
    x->listen_fd = x->client_fd = x->evdev_fd = -1;
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "socket") == 0) {
            sock = val;
        } else if (strcmp(key, "evdev") == 0) {
            evdev = val;
        } else if (strcmp(key, "name") == 0) {
            name = val;
        } else if (strcmp(key, "packed") == 0) {
            if (dmn_parse_bool(d, key, val, &packed) != 0)
                return -1;
        } else if (strcmp(key, "grab") == 0) {
            if (dmn_parse_bool(d, key, val, &x->grab) != 0)
                return -1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, INPUT_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else if (strcmp(key, "pending") == 0) {
            if (dmn_parse_u64(d, key, val, 1, 65536, &pend) != 0)
                return -1;
        } else if (strcmp(key, "abs-max") == 0) {
            if (dmn_parse_u64(d, key, val, 1, INT32_MAX, &abs_max) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    if ((sock == NULL) == (evdev == NULL)) {
        dmn_say("error: input: give exactly one of socket=PATH or evdev=PATH");
        return -1;
    }
    if (sock != NULL) {
        if (strlen(sock) >= sizeof x->sock_path) {
            dmn_say("error: input: socket path too long");
            return -1;
        }
        snprintf(x->sock_path, sizeof x->sock_path, "%s", sock);
        input_socket_info(&x->info, name, (uint32_t)abs_max);
        if (input_listen(x) != 0) {
            dmn_say("error: input: cannot listen on %s: %s", sock, strerror(errno));
            return -1;
        }
    } else if (input_evdev_info(x, evdev) != 0) {
        return -1;
    }
    x->pending = calloc(pend, sizeof *x->pending);
    if (x->pending == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    dmn_vu_init(d);
    x->be.status = input_status;
    x->be.ctx = x;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    if (!packed)
        cfg.common.features_off = 1ull << 34; /* VIRTIO_F_RING_PACKED */
    cfg.info = &x->info;
    cfg.backend = &x->be;
    cfg.pending = x->pending;
    cfg.num_pending = (uint32_t)pend;
    cfg.event_slots = x->eslots;
    cfg.num_event_slots = INPUT_QUEUE_MAX;
    cfg.status_slots = x->sslots;
    cfg.num_status_slots = INPUT_QUEUE_MAX;
    cfg.queue_size_max = (uint16_t)qsize;
    err = avps_input_init(&x->in, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_input_dev(&x->in));
    if (err != AVPS_OK) {
        dmn_say("error: input setup failed: %s", avps_strerror(err));
        return -1;
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: input '%s' from %s", d->name, x->info.name, sock != NULL ? sock : evdev);
    return 0;
}

static unsigned int input_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct input_dev *x = d->priv;
    unsigned int n = 0;

    if (x->listen_fd >= 0 && n < max) {
        pfd[n].fd = x->listen_fd;
        pfd[n++].events = POLLIN;
    }
    if (x->client_fd >= 0 && n < max) {
        pfd[n].fd = x->client_fd;
        pfd[n++].events = (short)(POLLIN | (x->want_out ? POLLOUT : 0));
    }
    if (x->evdev_fd >= 0 && n < max) {
        pfd[n].fd = x->evdev_fd;
        pfd[n++].events = POLLIN;
    }
    return n;
}

static void input_event(struct dmn_dev *d, int fd, short revents)
{
    struct input_dev *x = d->priv;

    if (fd == x->listen_fd) {
        int c = accept4(x->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (c >= 0) {
            if (x->client_fd >= 0)
                close(x->client_fd);
            x->client_fd = c;
            x->line_len = 0;
            x->want_out = 0;
            (void)avps_input_resume(&x->in);
        }
    } else if (fd == x->client_fd) {
        if (revents & POLLOUT) {
            x->want_out = 0;
            (void)avps_input_resume(&x->in); /* the parked status line goes out now */
        }
        if (revents & (POLLIN | POLLHUP | POLLERR))
            input_client_read(x);
    } else if (fd == x->evdev_fd) {
        input_evdev_read(x);
    }
}

static void input_teardown(struct dmn_dev *d)
{
    struct input_dev *x = d->priv;

    if (x != NULL) {
        if (x->client_fd >= 0)
            close(x->client_fd);
        if (x->listen_fd >= 0) {
            close(x->listen_fd);
            unlink(x->sock_path);
        }
        if (x->evdev_fd >= 0)
            close(x->evdev_fd);
        free(x->pending);
    }
    free(x);
    d->priv = NULL;
}

const struct dmn_type dmn_input = {
    .name = "input",
    .help = "  input    input device (virtio-input). Options (socket= or evdev=):\n"
            "             socket=PATH     listen on PATH; a client writes one event a line:\n"
            "                             'TYPE CODE VALUE' (numbers, e.g. '1 30 1' = KEY_A down)\n"
            "                             or 'syn' (EV_SYN SYN_REPORT, ends a group); the guest's\n"
            "                             status events come back as 'status TYPE CODE VALUE'.\n"
            "                             The device has keys, BTN_LEFT/RIGHT/MIDDLE/TOUCH,\n"
            "                             ABS_X/ABS_Y and the NUM/CAPS/SCROLL LEDs\n"
            "             name=NAME       socket mode: the device name (default 'avps virtio input')\n"
            "             abs-max=N       socket mode: ABS_X/ABS_Y range 0..N (default 32767)\n"
            "             evdev=PATH      pass a host /dev/input/eventN through: its name, IDs,\n"
            "                             bits and axes; guest LED changes are written back\n"
            "             grab=on|off     evdev mode: take the device exclusively (default off)\n"
            "             pending=N       events queued while the guest has no buffers (default 1024)\n"
            "             packed=on|off   offer VIRTIO_F_RING_PACKED (default on; front-ends such as\n"
            "                             QEMU 10's vhost-user-input take the back-end's ring\n"
            "                             features as they are)\n"
            "             queue-size=N    largest queue size accepted (default and max 1024)\n",
    .setup = input_setup,
    .pollfds = input_pollfds,
    .event = input_event,
    .teardown = input_teardown,
};

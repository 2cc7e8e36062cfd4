/*
 * avps-vhost-user: serves libavps devices to vhost-user front-ends (QEMU,
 * crosvm, cloud-hypervisor, ...), one device per Unix socket.
 *
 *   avps-vhost-user --socket-path /run/rng.sock --device rng[,source=random]
 *
 * Device types plug in through struct dmn_type (daemon.h), one file each.
 *
 * The pair repeats for more devices; each --device is served on the
 * --socket-path given just before it. One thread, one poll loop. SIGINT and
 * SIGTERM end it cleanly; a front-end that disconnects or dies is waited for
 * again on the same socket. SIGUSR1 and SIGUSR2 take the link of every device
 * that has one (net) down and up again. --poll busy-polls every queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/version.h>

#include "daemon.h"

#define MAX_DEVICES 8
#define POLL_MAX (MAX_DEVICES * (2 + AVPS_VU_MAX_QUEUES + DMN_TYPE_FDS))
#define POLL_SPINS 64u /* --poll: turns of the queues per look at the fds */

static const struct dmn_type *const types[] = {
    &dmn_rng,
    &dmn_blk,
    &dmn_scmi,
    &dmn_net,
    &dmn_input,
    &dmn_console,
    &dmn_vsock,
};

static struct dmn_dev devices[MAX_DEVICES];
static int ndevices;
int dmn_verbosity;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t link_request; /* 1: down (SIGUSR1), 2: up (SIGUSR2) */
static int busy_poll;                      /* --poll */

void dmn_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void dmn_log_cb(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s%s\n", level == 0 ? "error: " : "", msg);
}

void dmn_vu_init(struct dmn_dev *d)
{
    struct avps_vu_cfg vcfg;

    memset(&vcfg, 0, sizeof vcfg);
    vcfg.name = d->name;
    vcfg.log = dmn_log_cb;
    vcfg.verbosity = dmn_verbosity;
    avps_vu_init(&d->vu, &vcfg);
}

int dmn_next_opt(char **opts, char **key, char **val)
{
    char *opt, *eq;

    while (*opts != NULL && **opts != '\0') {
        opt = *opts;
        eq = strchr(opt, ',');
        if (eq != NULL) {
            *eq = '\0';
            *opts = eq + 1;
        } else {
            *opts = NULL;
        }
        if (*opt == '\0')
            continue; /* "a=1,,b=2" */
        eq = strchr(opt, '=');
        if (eq == NULL) {
            dmn_say("error: device option '%s' needs a value (OPT=VAL)", opt);
            return -1;
        }
        *eq = '\0';
        *key = opt;
        *val = eq + 1;
        return 1;
    }
    return 0;
}

int dmn_parse_u64(const struct dmn_dev *d, const char *key, const char *val, uint64_t lo,
                  uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    errno = 0;
    v = strtoull(val, &end, 0);
    if (errno != 0 || end == val || *end != '\0' || val[0] == '-' || v < lo || v > hi) {
        dmn_say("error: %s: %s must be %llu..%llu", d->type->name, key, (unsigned long long)lo,
                (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

int dmn_parse_bool(const struct dmn_dev *d, const char *key, const char *val, int *out)
{
    static const char *const yes[] = {"on", "yes", "true", "1"};
    static const char *const no[] = {"off", "no", "false", "0"};

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(val, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(val, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    dmn_say("error: %s: %s must be on or off", d->type->name, key);
    return -1;
}

int dmn_unknown_opt(const struct dmn_dev *d, const char *key, const char *val)
{
    dmn_say("error: unknown %s option '%s=%s'", d->type->name, key, val);
    return -1;
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        link_request = 1;
    else if (sig == SIGUSR2)
        link_request = 2;
    else
        stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: avps-vhost-user [--verbose] --socket-path PATH --device TYPE[,OPT=VAL...]\n"
            "                       [--socket-path PATH --device TYPE[,...]]...\n"
            "\n"
            "Serves libavps VIRTIO devices to vhost-user front-ends, one device per socket.\n"
            "\n"
            "devices:\n");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        fputs(types[i]->help, f);
    fprintf(f,
            "\n"
            "options:\n"
            "  -s, --socket-path PATH  Unix socket the next --device is served on\n"
            "  -d, --device SPEC       a device, as above\n"
            "  -p, --poll              busy-poll every queue instead of waiting for kicks\n"
            "                          (one CPU at 100 %%: for benchmarks)\n"
            "  -v, --verbose           log connections and negotiation (twice: every message)\n"
            "  -h, --help              this text\n"
            "  -V, --version           print the version\n");
}

/* Find the type of "TYPE[,opts]" and let it set the device up. */
static int setup_device(struct dmn_dev *d)
{
    char *comma;
    char *opts = NULL;
    char spec[DMN_SPEC_MAX];

    snprintf(spec, sizeof spec, "%s", d->spec);
    comma = strchr(spec, ',');
    if (comma != NULL) {
        *comma = '\0';
        opts = comma + 1;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(spec, types[i]->name) == 0)
            d->type = types[i];
    }
    if (d->type == NULL) {
        char known[256] = "";

        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            strncat(known, i == 0 ? "" : ", ", sizeof known - strlen(known) - 1);
            strncat(known, types[i]->name, sizeof known - strlen(known) - 1);
        }
        dmn_say("error: unknown device type '%s' (known: %s)", spec, known);
        return -1;
    }
    snprintf(d->name, sizeof d->name, "%s%d", d->type->name, d->index);
    return d->type->setup(d, opts);
}

static int listen_on(struct dmn_dev *s)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        dmn_say("error: socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    unlink(s->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        dmn_say("error: cannot listen on %s: %s", s->path, strerror(errno));
        close(fd);
        return -1;
    }
    s->listen_fd = fd;
    if (dmn_verbosity > 0)
        dmn_say("%s: listening on %s (%s)", s->name, s->path, s->spec);
    return 0;
}

/* SIGUSR1/SIGUSR2: link down/up for every device type that has a link. Down
 * also drops the front-end and stops listening (QEMU then reports the link
 * down to its guest); up listens again (QEMU with reconnect=N dials back). */
static void apply_link_request(void)
{
    const int up = link_request == 2;

    link_request = 0;
    for (int d = 0; d < ndevices; d++) {
        struct dmn_dev *s = &devices[d];

        if (s->type->link == NULL)
            continue;
        s->type->link(s, up);
        if (!up && s->listen_fd >= 0) {
            avps_vu_disconnect(&s->vu);
            close(s->listen_fd);
            s->listen_fd = -1;
            unlink(s->path);
        } else if (up && s->listen_fd < 0) {
            (void)listen_on(s);
        }
    }
}

/* --poll: serve every queue, kicked or not (a queue that is not running
 * ignores it). Once per start of a queue, ask the driver not to kick it: we
 * look anyway, and a kick costs the driver a syscall per burst. */
static void poll_queues(struct dmn_dev *s)
{
    const uint16_t nq = avps_dev_num_queues(s->vu.dev);

    for (uint16_t q = 0; q < nq; q++) {
        if (q < AVPS_VU_MAX_QUEUES) {
            if (!s->vu.q[q].started)
                s->kicks_off[q] = 0;
            else if (!s->kicks_off[q] && avps_vq_kick_disable(avps_dev_vq(s->vu.dev, q)) == AVPS_OK)
                s->kicks_off[q] = 1;
        }
        (void)avps_dev_queue_notify(s->vu.dev, q);
    }
}

static int serve(const sigset_t *unblocked)
{
    static const struct timespec zero = {0, 0};
    static struct pollfd pfd[POLL_MAX];
    static int owner[POLL_MAX];
    static int qidx[POLL_MAX]; /* -2 listen, -1 connection, >=0 queue, -3 backend */

    unsigned int spins = 0;

    while (!stop_requested) {
        unsigned int n = 0;
        int r;

        if (link_request != 0)
            apply_link_request();
        for (int d = 0; d < ndevices; d++) {
            struct dmn_dev *s = &devices[d];

            if (busy_poll && avps_vu_connected(&s->vu))
                poll_queues(s);
            if (s->type->service != NULL)
                s->type->service(s);
        }
        /* --poll: the queues every turn, the fds (messages, signals) every
         * POLL_SPINS turns: a ppoll per turn was a third of the loop's time. */
        if (busy_poll && ++spins % POLL_SPINS != 0)
            continue;
        for (int d = 0; d < ndevices; d++) {
            struct dmn_dev *s = &devices[d];
            unsigned int k;

            if (!avps_vu_connected(&s->vu) && s->listen_fd < 0) {
                /* link down: not listening */
            } else if (!avps_vu_connected(&s->vu)) {
                pfd[n].fd = s->listen_fd;
                pfd[n].events = POLLIN;
                pfd[n].revents = 0;
                owner[n] = d;
                qidx[n] = -2;
                n++;
            } else {
                k = avps_vu_pollfds(&s->vu, &pfd[n], &qidx[n]);
                for (unsigned int j = 0; j < k; j++)
                    owner[n + j] = d;
                n += k;
            }
            /* The backend's own fds are polled connected or not: I/O that
             * was under way when the front-end left still completes. */
            if (s->type->pollfds != NULL) {
                k = s->type->pollfds(s, &pfd[n], DMN_TYPE_FDS);
                for (unsigned int j = 0; j < k; j++) {
                    owner[n + j] = d;
                    qidx[n + j] = -3;
                    pfd[n + j].revents = 0;
                }
                n += k;
            }
        }
        /* SIGINT/SIGTERM are blocked except inside ppoll: no lost wake-up. */
        r = ppoll(pfd, n, busy_poll ? &zero : NULL, unblocked);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            dmn_say("error: poll: %s", strerror(errno));
            return 1;
        }
        for (unsigned int j = 0; j < n; j++) {
            struct dmn_dev *s = &devices[owner[j]];

            if (pfd[j].revents == 0)
                continue;
            if (qidx[j] == -3) {
                s->type->event(s, pfd[j].fd, pfd[j].revents);
                continue;
            }
            if (qidx[j] == -2) {
                int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

                if (c >= 0)
                    avps_vu_connect(&s->vu, c);
                break; /* the poll set changed */
            }
            if (qidx[j] == -1) {
                /* A hang-up with nothing to read ends in a failed read. */
                (void)avps_vu_handle(&s->vu);
                break; /* the message may have changed the poll set */
            }
            avps_vu_kick(&s->vu, (uint16_t)qidx[j]);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket-path", required_argument, NULL, 's'},
        {"device", required_argument, NULL, 'd'},
        {"verbose", no_argument, NULL, 'v'},
        {"poll", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *pending_path = NULL;
    struct sigaction sa;
    sigset_t block, unblocked;
    int c, rc;

    while ((c = getopt_long(argc, argv, "s:d:vphV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (strlen(optarg) >= sizeof devices[0].path) {
                dmn_say("error: socket path too long: %s", optarg);
                return 2;
            }
            pending_path = optarg;
            break;
        case 'd':
            if (pending_path == NULL) {
                dmn_say("error: --device %s has no --socket-path before it", optarg);
                return 2;
            }
            if (ndevices == MAX_DEVICES) {
                dmn_say("error: at most %d devices", MAX_DEVICES);
                return 2;
            }
            if (strlen(optarg) >= sizeof devices[0].spec) {
                dmn_say("error: device spec too long");
                return 2;
            }
            snprintf(devices[ndevices].path, sizeof devices[0].path, "%s", pending_path);
            snprintf(devices[ndevices].spec, sizeof devices[0].spec, "%s", optarg);
            devices[ndevices].listen_fd = -1;
            devices[ndevices].index = ndevices;
            ndevices++;
            pending_path = NULL;
            break;
        case 'v':
            dmn_verbosity++;
            break;
        case 'p':
            busy_poll = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V': {
            uint32_t v = avps_version();

            printf("avps-vhost-user (libavps) %u.%u.%u\n", v >> 16, (v >> 8) & 0xffu, v & 0xffu);
            return 0;
        }
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        dmn_say("error: unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (ndevices == 0 || pending_path != NULL) {
        dmn_say("error: give at least one --socket-path PATH --device TYPE pair");
        usage(stderr);
        return 2;
    }
    for (int d = 0; d < ndevices; d++) {
        if (setup_device(&devices[d]) != 0)
            return 2;
        for (int e = 0; e < d; e++) {
            if (strcmp(devices[e].path, devices[d].path) == 0) {
                dmn_say("error: socket path %s used twice", devices[d].path);
                return 2;
            }
        }
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &unblocked);
    sigdelset(&unblocked, SIGINT);
    sigdelset(&unblocked, SIGTERM);
    sigdelset(&unblocked, SIGUSR1);
    sigdelset(&unblocked, SIGUSR2);
    for (int d = 0; d < ndevices; d++) {
        if (listen_on(&devices[d]) != 0)
            return 1;
    }
    rc = serve(&unblocked);
    for (int d = 0; d < ndevices; d++) {
        avps_vu_disconnect(&devices[d].vu);
        if (devices[d].type != NULL && devices[d].type->teardown != NULL)
            devices[d].type->teardown(&devices[d]);
        if (devices[d].listen_fd >= 0) {
            close(devices[d].listen_fd);
            unlink(devices[d].path);
        }
    }
    if (dmn_verbosity > 0)
        dmn_say("stopped");
    return rc;
}

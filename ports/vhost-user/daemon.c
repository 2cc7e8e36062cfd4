/*
 * avps-vhost-user: serves libavps devices to vhost-user front-ends (QEMU,
 * crosvm, cloud-hypervisor, ...), one device per Unix socket.
 *
 *   avps-vhost-user --socket-path /run/rng.sock --device rng[,source=random]
 *
 * The pair repeats for more devices; each --device is served on the
 * --socket-path given just before it. One thread, one poll loop. SIGINT and
 * SIGTERM end it cleanly; a front-end that disconnects or dies is waited for
 * again on the same socket.
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
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/rng.h>
#include <avps/version.h>

#include "avps_vhost_user.h"

#define MAX_DEVICES 8
#define RNG_QUEUE_MAX 32768u

enum rng_source { SRC_RANDOM, SRC_COUNTER };

struct rng_state {
    enum rng_source source;
    uint8_t next; /* counter pattern: each byte is the previous plus one */
};

struct served {
    char path[108];
    char spec[128];
    char name[32];
    int listen_fd;
    struct avps_vu vu;
    struct avps_rng rng;
    struct avps_rng_backend rng_be;
    struct rng_state rng_st;
    struct avps_vq_slot slots[RNG_QUEUE_MAX];
};

static struct served devices[MAX_DEVICES];
static int ndevices;
static int verbosity;
static volatile sig_atomic_t stop_requested;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void log_cb(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s%s\n", level == 0 ? "error: " : "", msg);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int rng_fill(void *ctx, void *buf, uint32_t len)
{
    struct rng_state *st = ctx;
    uint8_t *b = buf;

    if (st->source == SRC_COUNTER) {
        for (uint32_t i = 0; i < len; i++)
            b[i] = st->next++;
        return (int)len;
    }
    {
        ssize_t r = getrandom(buf, len, GRND_NONBLOCK);

        if (r < 0)
            return errno == EAGAIN ? AVPS_E_AGAIN : AVPS_E_IO;
        return r == 0 ? AVPS_E_AGAIN : (int)r;
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: avps-vhost-user [--verbose] --socket-path PATH --device TYPE[,OPT=VAL...]\n"
            "                       [--socket-path PATH --device TYPE[,...]]...\n"
            "\n"
            "Serves libavps VIRTIO devices to vhost-user front-ends, one device per socket.\n"
            "\n"
            "devices:\n"
            "  rng     entropy device (virtio-rng). Options:\n"
            "            source=random   bytes from the kernel's getrandom() (default)\n"
            "            source=counter  deterministic test pattern 00 01 02 ... (tests only)\n"
            "            queue-size=N    largest queue size accepted (default and max %u)\n"
            "\n"
            "options:\n"
            "  -s, --socket-path PATH  Unix socket the next --device is served on\n"
            "  -d, --device SPEC       a device, as above\n"
            "  -v, --verbose           log connections and negotiation (twice: every message)\n"
            "  -h, --help              this text\n"
            "  -V, --version           print the version\n",
            RNG_QUEUE_MAX);
}

/* Parse "rng,source=counter,queue-size=64" and set the device up. */
static int setup_device(struct served *s)
{
    char spec[sizeof s->spec];
    char *save = NULL;
    char *type;
    char *opt;
    unsigned long qsize = RNG_QUEUE_MAX; /* the front-end picks the size */
    struct avps_vu_cfg vcfg;
    struct avps_rng_cfg rcfg;
    int err;

    snprintf(spec, sizeof spec, "%s", s->spec);
    type = strtok_r(spec, ",", &save);
    if (type == NULL || strcmp(type, "rng") != 0) {
        say("error: unknown device type '%s' (known: rng)", type != NULL ? type : "");
        return -1;
    }
    s->rng_st.source = SRC_RANDOM;
    while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
        char *eq = strchr(opt, '=');
        char *end = NULL;

        if (eq == NULL) {
            say("error: device option '%s' needs a value (OPT=VAL)", opt);
            return -1;
        }
        *eq++ = '\0';
        if (strcmp(opt, "source") == 0 && strcmp(eq, "random") == 0) {
            s->rng_st.source = SRC_RANDOM;
        } else if (strcmp(opt, "source") == 0 && strcmp(eq, "counter") == 0) {
            s->rng_st.source = SRC_COUNTER;
        } else if (strcmp(opt, "queue-size") == 0) {
            errno = 0;
            qsize = strtoul(eq, &end, 0);
            if (errno != 0 || end == eq || *end != '\0' || qsize == 0 || qsize > RNG_QUEUE_MAX) {
                say("error: queue-size must be 1..%u", RNG_QUEUE_MAX);
                return -1;
            }
        } else {
            say("error: unknown rng option '%s=%s'", opt, eq);
            return -1;
        }
    }
    snprintf(s->name, sizeof s->name, "rng%d", (int)(s - devices));
    memset(&vcfg, 0, sizeof vcfg);
    vcfg.name = s->name;
    vcfg.log = log_cb;
    vcfg.verbosity = verbosity;
    avps_vu_init(&s->vu, &vcfg);
    s->rng_be.fill = rng_fill;
    s->rng_be.ctx = &s->rng_st;
    memset(&rcfg, 0, sizeof rcfg);
    rcfg.common.dev_id = (uint32_t)(s - devices);
    rcfg.backend = &s->rng_be;
    rcfg.slots = s->slots;
    rcfg.num_slots = RNG_QUEUE_MAX;
    rcfg.queue_size_max = (uint16_t)qsize;
    err = avps_rng_init(&s->rng, avps_vu_host(&s->vu), &rcfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&s->vu, avps_rng_dev(&s->rng));
    if (err != AVPS_OK) {
        say("error: rng setup failed: %s", avps_strerror(err));
        return -1;
    }
    return 0;
}

static int listen_on(struct served *s)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        say("error: socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    unlink(s->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        say("error: cannot listen on %s: %s", s->path, strerror(errno));
        close(fd);
        return -1;
    }
    s->listen_fd = fd;
    if (verbosity > 0)
        say("%s: listening on %s (%s)", s->name, s->path, s->spec);
    return 0;
}

static int serve(const sigset_t *unblocked)
{
    struct pollfd pfd[MAX_DEVICES * (2 + AVPS_VU_MAX_QUEUES)];
    int owner[MAX_DEVICES * (2 + AVPS_VU_MAX_QUEUES)];
    int qidx[MAX_DEVICES * (2 + AVPS_VU_MAX_QUEUES)];

    while (!stop_requested) {
        unsigned int n = 0;
        int r;

        for (int d = 0; d < ndevices; d++) {
            struct served *s = &devices[d];

            if (!avps_vu_connected(&s->vu)) {
                pfd[n].fd = s->listen_fd;
                pfd[n].events = POLLIN;
                owner[n] = d;
                qidx[n] = -2;
                n++;
            } else {
                unsigned int k = avps_vu_pollfds(&s->vu, &pfd[n], &qidx[n]);

                for (unsigned int j = 0; j < k; j++)
                    owner[n + j] = d;
                n += k;
            }
        }
        /* SIGINT/SIGTERM are blocked except inside ppoll: no lost wake-up. */
        r = ppoll(pfd, n, NULL, unblocked);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            say("error: poll: %s", strerror(errno));
            return 1;
        }
        for (unsigned int j = 0; j < n; j++) {
            struct served *s = &devices[owner[j]];

            if (pfd[j].revents == 0)
                continue;
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
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *pending_path = NULL;
    struct sigaction sa;
    sigset_t block, unblocked;
    int c, rc;

    while ((c = getopt_long(argc, argv, "s:d:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (strlen(optarg) >= sizeof devices[0].path) {
                say("error: socket path too long: %s", optarg);
                return 2;
            }
            pending_path = optarg;
            break;
        case 'd':
            if (pending_path == NULL) {
                say("error: --device %s has no --socket-path before it", optarg);
                return 2;
            }
            if (ndevices == MAX_DEVICES) {
                say("error: at most %d devices", MAX_DEVICES);
                return 2;
            }
            if (strlen(optarg) >= sizeof devices[0].spec) {
                say("error: device spec too long");
                return 2;
            }
            snprintf(devices[ndevices].path, sizeof devices[0].path, "%s", pending_path);
            snprintf(devices[ndevices].spec, sizeof devices[0].spec, "%s", optarg);
            devices[ndevices].listen_fd = -1;
            ndevices++;
            pending_path = NULL;
            break;
        case 'v':
            verbosity++;
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
        say("error: unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (ndevices == 0 || pending_path != NULL) {
        say("error: give at least one --socket-path PATH --device TYPE pair");
        usage(stderr);
        return 2;
    }
    for (int d = 0; d < ndevices; d++) {
        if (setup_device(&devices[d]) != 0)
            return 2;
        for (int e = 0; e < d; e++) {
            if (strcmp(devices[e].path, devices[d].path) == 0) {
                say("error: socket path %s used twice", devices[d].path);
                return 2;
            }
        }
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &unblocked);
    sigdelset(&unblocked, SIGINT);
    sigdelset(&unblocked, SIGTERM);
    for (int d = 0; d < ndevices; d++) {
        if (listen_on(&devices[d]) != 0)
            return 1;
    }
    rc = serve(&unblocked);
    for (int d = 0; d < ndevices; d++) {
        avps_vu_disconnect(&devices[d].vu);
        if (devices[d].listen_fd >= 0)
            close(devices[d].listen_fd);
        unlink(devices[d].path);
    }
    if (verbosity > 0)
        say("stopped");
    return rc;
}

/*
 * avps-vhost-user internals: how a device type plugs into the daemon.
 *
 * Each device type lives in its own file (dev_rng.c, dev_blk.c, ...) and
 * exports one const struct dmn_type, listed in daemon.c's table. The daemon
 * owns the socket, the vhost-user back-end and the poll loop; the type parses
 * its options, creates its libavps device on avps_vu_host(&d->vu), attaches it
 * with avps_vu_attach() and, when its backend has file descriptors of its own
 * (asynchronous I/O, TAP devices, host sockets), adds them to the poll set.
 */
#ifndef AVPS_DAEMON_H
#define AVPS_DAEMON_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "avps_vhost_user.h"

#define DMN_SPEC_MAX 512     /* bytes of one --device argument */
#define DMN_TYPE_FDS 72      /* backend fds one device may add to the poll set */

struct dmn_type;

/* One served device: a socket, a vhost-user back-end, and the type's state. */
struct dmn_dev {
    char path[108];            /* --socket-path */
    char spec[DMN_SPEC_MAX];   /* --device, as given */
    char name[32];             /* for log lines: type name + index ("blk0") */
    int index;                 /* position on the command line */
    int listen_fd;
    struct avps_vu vu;
    const struct dmn_type *type;
    void *priv;                /* the type's state (allocated by setup) */
    uint8_t kicks_off[AVPS_VU_MAX_QUEUES]; /* --poll: kicks disabled on this start */
};

struct dmn_type {
    const char *name;          /* the TYPE of --device TYPE[,OPT=VAL...] */
    const char *help;          /* option lines for --help, each "  opt  text\n" */
    /* Required. opts is the rest of the spec after "TYPE," (may be empty): a
     * comma-separated OPT=VAL list, modifiable (use dmn_next_opt()). Creates
     * the device on avps_vu_host(&d->vu) and attaches it. Returns 0, or -1
     * after printing one "error: ..." line with dmn_say(). */
    int (*setup)(struct dmn_dev *d, char *opts);
    /* Optional. Backend fds to poll: fill at most max entries (fd and events)
     * and return how many. */
    unsigned int (*pollfds)(struct dmn_dev *d, struct pollfd *pfd, unsigned int max);
    /* Optional. One of the fds from pollfds() has revents. */
    void (*event)(struct dmn_dev *d, int fd, short revents);
    /* Optional. Called once per turn of the main loop, before polling: work
     * the backend deferred (frames waiting for receive buffers, generated
     * traffic) is done here, outside the device's callbacks. */
    void (*service)(struct dmn_dev *d);
    /* Optional. SIGUSR1 (up = 0) or SIGUSR2 (up = 1): the device's link. The
     * daemon also drops the front-end and stops listening while the link is
     * down, and listens again when it comes up. */
    void (*link)(struct dmn_dev *d, int up);
    /* Optional. The daemon is stopping: release what setup took. */
    void (*teardown)(struct dmn_dev *d);
};

/* The device types, one file each (listed in daemon.c's table). */
extern const struct dmn_type dmn_rng;
extern const struct dmn_type dmn_blk;
extern const struct dmn_type dmn_scmi;
extern const struct dmn_type dmn_net;
extern const struct dmn_type dmn_input;
extern const struct dmn_type dmn_console;
extern const struct dmn_type dmn_vsock;

/* Print one line on stderr. */
void dmn_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log level of --verbose (0, 1 or 2) and the log callback for avps_vu_cfg. */
extern int dmn_verbosity;
void dmn_log_cb(void *ctx, int level, const char *msg);

/* Set up d->vu with d->name and the daemon's logging. */
void dmn_vu_init(struct dmn_dev *d);

/* Next OPT=VAL of *opts (destructive). Returns 1 with *key and *val set, 0 at
 * the end, -1 (after an error line) for an option without '='. */
int dmn_next_opt(char **opts, char **key, char **val);

/* Parse an unsigned number (decimal or 0x hex) in [lo, hi]. Returns 0, or -1
 * after "error: TYPE: OPT must be LO..HI". */
int dmn_parse_u64(const struct dmn_dev *d, const char *key, const char *val, uint64_t lo,
                  uint64_t hi, uint64_t *out);

/* Parse on/off (also yes/no, true/false, 1/0). Returns 0, or -1 after an error line. */
int dmn_parse_bool(const struct dmn_dev *d, const char *key, const char *val, int *out);

/* The error line for an option a type does not know. Returns -1. */
int dmn_unknown_opt(const struct dmn_dev *d, const char *key, const char *val);

#endif /* AVPS_DAEMON_H */

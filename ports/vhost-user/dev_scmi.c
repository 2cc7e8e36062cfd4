/*
 * avps-vhost-user device type "scmi": virtio-scmi (device 32) serving the demo
 * SCMI platform of ports/scmi-server/demo_platform.c to one VM as one agent,
 * with simulated sensor updates from a timerfd. For front-ends that have a
 * vhost-user-scmi device (QEMU 8.1 and later).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/virtio_scmi.h>

#include "../scmi-server/demo_platform.h"
#include "daemon.h"

#define SCMI_QUEUE_MAX 1024u

struct scmi_dev {
    struct demo_platform demo;
    struct avps_virtio_scmi vs;
    struct avps_virtio_scmi_held held[8];
    struct avps_vq_slot slots[2 * SCMI_QUEUE_MAX];
    int tfd;
};

static int scmi_setup(struct dmn_dev *d, char *opts)
{
    struct scmi_dev *s = calloc(1, sizeof *s);
    struct avps_virtio_scmi_cfg cfg;
    uint64_t agent = 1, qsize = SCMI_QUEUE_MAX, update_ms = 100;
    struct itimerspec its;
    char *key, *val;
    int k, err;

    if (s == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    s->tfd = -1;
    d->priv = s;
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "agent") == 0) {
            if (dmn_parse_u64(d, key, val, 1, DEMO_AGENTS, &agent) != 0)
                return -1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, SCMI_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else if (strcmp(key, "update-ms") == 0) {
            if (dmn_parse_u64(d, key, val, 1, 60000, &update_ms) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    dmn_vu_init(d);
    err = demo_platform_init(&s->demo);
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    cfg.scmi = &s->demo.scmi;
    cfg.agent = (uint32_t)agent;
    cfg.slots = s->slots;
    cfg.num_slots = 2 * SCMI_QUEUE_MAX;
    cfg.held = s->held;
    cfg.num_held = 8;
    cfg.queue_size_max = (uint16_t)qsize;
    if (err == AVPS_OK)
        err = avps_virtio_scmi_init(&s->vs, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_virtio_scmi_dev(&s->vs));
    if (err != AVPS_OK) {
        dmn_say("error: scmi setup failed: %s", avps_strerror(err));
        return -1;
    }
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->tfd < 0) {
        dmn_say("error: scmi: timerfd: cannot create");
        return -1;
    }
    memset(&its, 0, sizeof its);
    its.it_interval.tv_sec = (time_t)(update_ms / 1000u);
    its.it_interval.tv_nsec = (long)((update_ms % 1000u) * 1000000u);
    its.it_value = its.it_interval;
    timerfd_settime(s->tfd, 0, &its, NULL);
    return 0;
}

static unsigned int scmi_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct scmi_dev *s = d->priv;

    if (max == 0 || s->tfd < 0)
        return 0;
    pfd[0].fd = s->tfd;
    pfd[0].events = POLLIN;
    return 1;
}

static void scmi_event(struct dmn_dev *d, int fd, short revents)
{
    struct scmi_dev *s = d->priv;
    uint64_t ticks;

    (void)revents;
    if (read(fd, &ticks, sizeof ticks) != (ssize_t)sizeof ticks)
        return;
    /* new readings go to subscribed agents; the device's kick delivers them */
    demo_platform_step(&s->demo);
}

static void scmi_teardown(struct dmn_dev *d)
{
    struct scmi_dev *s = d->priv;

    if (s != NULL && s->tfd >= 0)
        close(s->tfd);
    free(s);
    d->priv = NULL;
}

const struct dmn_type dmn_scmi = {
    .name = "scmi",
    .help = "  scmi     SCMI device (virtio-scmi) serving the demo platform (clocks, power,\n"
            "           perf, reset, voltage, powercap, pins, temperature sensor, IMU). Options:\n"
            "             agent=N         the agent the VM is: 1 everything (default), 2 sensors\n"
            "             queue-size=N    largest queue size accepted (default and max 1024)\n"
            "             update-ms=N     period of simulated sensor updates (default 100)\n",
    .setup = scmi_setup,
    .pollfds = scmi_pollfds,
    .event = scmi_event,
    .teardown = scmi_teardown,
};

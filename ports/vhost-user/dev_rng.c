/*
 * avps-vhost-user device type "rng": virtio-rng fed by getrandom() or, for
 * tests, by a deterministic counter pattern the guest test can recognise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <avps/err.h>
#include <avps/rng.h>

#include "daemon.h"

#define RNG_QUEUE_MAX 32768u

struct rng_dev {
    struct avps_rng rng;
    struct avps_rng_backend be;
    int counter;  /* source=counter */
    uint8_t next; /* counter pattern: each byte is the previous plus one */
    struct avps_vq_slot slots[RNG_QUEUE_MAX];
};

static int rng_fill(void *ctx, void *buf, uint32_t len)
{
    struct rng_dev *r = ctx;
    uint8_t *b = buf;
    ssize_t n;

    if (r->counter) {
        for (uint32_t i = 0; i < len; i++)
            b[i] = r->next++;
        return (int)len;
    }
    n = getrandom(buf, len, GRND_NONBLOCK);
    if (n < 0)
        return errno == EAGAIN ? AVPS_E_AGAIN : AVPS_E_IO;
    return n == 0 ? AVPS_E_AGAIN : (int)n;
}

static int rng_setup(struct dmn_dev *d, char *opts)
{
    struct rng_dev *r = calloc(1, sizeof *r);
    struct avps_rng_cfg cfg;
    uint64_t qsize = RNG_QUEUE_MAX; /* the front-end picks the size */
    char *key, *val;
    int k, err;

    if (r == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = r;
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "source") == 0 && strcmp(val, "random") == 0) {
            r->counter = 0;
        } else if (strcmp(key, "source") == 0 && strcmp(val, "counter") == 0) {
            r->counter = 1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, RNG_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    dmn_vu_init(d);
    r->be.fill = rng_fill;
    r->be.ctx = r;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    cfg.backend = &r->be;
    cfg.slots = r->slots;
    cfg.num_slots = RNG_QUEUE_MAX;
    cfg.queue_size_max = (uint16_t)qsize;
    err = avps_rng_init(&r->rng, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_rng_dev(&r->rng));
    if (err != AVPS_OK) {
        dmn_say("error: rng setup failed: %s", avps_strerror(err));
        return -1;
    }
    return 0;
}

static void rng_teardown(struct dmn_dev *d)
{
    free(d->priv);
    d->priv = NULL;
}

const struct dmn_type dmn_rng = {
    .name = "rng",
    .help = "  rng      entropy device (virtio-rng). Options:\n"
            "             source=random   bytes from the kernel's getrandom() (default)\n"
            "             source=counter  deterministic test pattern 00 01 02 ... (tests only)\n"
            "             queue-size=N    largest queue size accepted (default and max 32768)\n",
    .setup = rng_setup,
    .teardown = rng_teardown,
};

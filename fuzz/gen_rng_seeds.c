/*
 * Writes seed inputs for rng_fuzz (format: fuzz/rng_fuzz.c, fuzz/rng_fuzz.h):
 * whole sessions through the device core API in every feature mix, with the
 * spec-written ring driver making buffers available (chained, indirect,
 * refused, zero-length), entropy that comes in pieces, runs dry, fails or
 * lies, resumes, notify-data kicks, queue resets with a request parked, and
 * device resets followed by a new set-up.
 * Usage: gen_rng_seeds outdir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng_fuzz.h"

static uint8_t out[4096];
static size_t olen;

static void put8(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void op(enum rf_op k, unsigned int p)
{
    put8((uint8_t)(k | (p << 4)));
}

static void write_seed(const char *dir, const char *name, const uint8_t *script, size_t n)
{
    char path[512];
    FILE *fp;
    const size_t p = olen - RF_HDR;

    out[2] = (uint8_t)p;
    out[3] = (uint8_t)(p >> 8);
    for (size_t i = 0; i < n; i++)
        put8(script[i]);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void session(const char *dir, uint8_t feat, uint8_t setup, unsigned int variant)
{
    /* whole fills, then pieces of 8 bytes, dry, failing, lying, empty */
    static const uint8_t script[] = {0x40, 0x40, 0x42, 0x42, 0x42, 0x00, 0x00, 0x40, 0x20,
                                     0x40, 0x31, 0x38, 0x40, 0x44, 0x00, 0x40, 0x21, 0x40,
                                     0x01, 0x40, 0x40, 0x4f, 0x00, 0x40};
    char name[64];

    olen = 0;
    put8(setup);
    put8(0);
    put8(0);
    put8(0);
    op(RF_SETUP, variant & 1u); put8(feat); put8((uint8_t)variant);
    if (variant & 1u)
        op(RF_STATUS, 0), put8(0xf);           /* DRIVER_OK after the buffers */
    op(RF_ADD, 8 | 0); put8(16);
    op(RF_ADD, 8 | 1); put8(20);
    op(RF_USED, 0);
    op(RF_ADD, 8 | 4 | 2); put8(6);            /* indirect */
    op(RF_ADD, 8 | 1); put8(9);                /* readable first piece: refused */
    op(RF_ADD, 8); put8(0);                    /* zero-length: refused */
    op(RF_USED, 0);
    op(RF_ADD, 8 | 3); put8(100);              /* asks for pieces of the script */
    op(RF_USED, 0);
    op(RF_ADD, 8); put8(50);                   /* runs dry: parked */
    op(RF_ADD, 0); put8(8);
    op(RF_RESUME, 0);
    op(RF_USED, 0);
    op(RF_DRAIN, 0);
    op(RF_ADD, 0); put8(40);
    op(RF_ADD, 0); put8(41);
    op(RF_NOTIFY, 1);                          /* notification data */
    op(RF_DRAIN, 0);
    op(RF_EVENT, 0);                           /* config change */
    op(RF_ADD, 8); put8(30);
    op(RF_QRESET, 0);                          /* queue reset, maybe with a request parked */
    op(RF_RESUME, 0);
    op(RF_REQUEUE, 0); put8((uint8_t)(variant >> 1));
    op(RF_ADD, 8 | 2); put8(12);
    op(RF_DRAIN, 0);
    op(RF_ADD, 8); put8(70);
    op(RF_RESET, 0);                           /* device reset, maybe with one parked */
    op(RF_RESUME, 0);
    op(RF_SETUP, 0); put8(feat); put8(1);
    op(RF_ADD, 8 | 1); put8(33);
    op(RF_DRAIN, 0);
    op(RF_EVENT, 1);                           /* the device fails */
    op(RF_ADD, 8); put8(3);
    op(RF_RESUME, 0);
    op(RF_USED, 0);
    snprintf(name, sizeof name, "session-f%02x-s%02x-v%u", feat, setup, variant);
    write_seed(dir, name, script, sizeof script);
}

int main(int argc, char **argv)
{
    static const uint8_t feats[] = {
        0,
        RF_F_PACKED,
        RF_F_EVENT_IDX | RF_F_INDIRECT,
        RF_F_IN_ORDER,
        RF_F_NOTIF_DATA | RF_F_RING_RESET,
        RF_F_PACKED | RF_F_EVENT_IDX | RF_F_IN_ORDER | RF_F_NOTIF_DATA,
        RF_F_PACKED | RF_F_INDIRECT | RF_F_RING_RESET,
        RF_F_EVENT_IDX | RF_F_IN_ORDER | RF_F_RING_RESET | RF_F_NOTIF_DATA | RF_F_INDIRECT,
    };

    if (argc != 2) {
        fprintf(stderr, "usage: gen_rng_seeds outdir\n");
        return 2;
    }
    for (unsigned int i = 0; i < sizeof feats; i++)
        for (unsigned int v = 0; v < 2; v++)
            session(argv[1], feats[i], (uint8_t)((i + v) % 8u), v | ((i & 2u) << 1));
    return 0;
}

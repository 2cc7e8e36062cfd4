/*
 * Writes seed inputs for blk_fuzz (format: fuzz/blk_fuzz.c, fuzz/blk_fuzz.h):
 * sessions with every request type in the usual layout (header, data,
 * status) and in odd ones (header split, status sharing a descriptor with
 * data, indirect), out-of-order completions, slot exhaustion, queue and
 * device resets with requests pending, capacity changes and config writes,
 * in both ring layouts, read-only and with two queues.
 * Usage: gen_blk_seeds outdir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk_fuzz.h"

static uint8_t out[2048];
static size_t olen;

static void put8(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void put_le(uint64_t v, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        put8((uint8_t)(v >> (8 * i)));
}

/* length-table index of a length */
static uint8_t L(uint32_t len)
{
    for (uint8_t i = 0; i < 16; i++)
        if (bf_len[i] == len)
            return i;
    fprintf(stderr, "no length %u\n", len);
    exit(1);
}

/* One request: descriptors (len, writable), queue, header, ranges. */
static void req(uint8_t flags, const uint32_t *lens, const int *wr, unsigned int n, uint8_t q,
                uint32_t type, uint64_t sector, const uint8_t *extra, size_t nextra)
{
    put8(BF_ADD);
    put8((uint8_t)((n - 1u) | flags));
    for (unsigned int i = 0; i < n; i++)
        put8((uint8_t)(L(lens[i]) | (wr[i] ? 0x10u : 0u)));
    put8(q);
    put_le(type, 4);
    put_le(0, 4);
    put_le(sector, 8);
    for (size_t i = 0; i < nextra; i++)
        put8(extra[i]);
}

static void simple(uint8_t q, uint32_t type, uint64_t sector, uint32_t out_len, uint32_t in_len)
{
    uint32_t lens[3];
    int wr[3];
    unsigned int n = 0;

    lens[n] = 16, wr[n++] = 0;
    if (out_len)
        lens[n] = out_len, wr[n++] = 0;
    if (in_len)
        lens[n] = in_len, wr[n++] = 1;
    lens[n] = 1, wr[n++] = 1;
    req(0, lens, wr, n, q, type, sector, NULL, 0);
}

static void ranges(uint8_t q, uint32_t type, unsigned int nr, uint64_t sector, uint32_t num,
                   uint32_t flags)
{
    uint8_t ex[48];
    const uint32_t lens[3] = {16, 16u * nr, 1};
    const int wr[3] = {0, 0, 1};

    for (unsigned int i = 0; i < nr; i++) {
        uint64_t s = sector + 8u * i;

        for (unsigned int k = 0; k < 8; k++)
            ex[16 * i + k] = (uint8_t)(s >> (8 * k));
        for (unsigned int k = 0; k < 4; k++)
            ex[16 * i + 8 + k] = (uint8_t)(num >> (8 * k));
        for (unsigned int k = 0; k < 4; k++)
            ex[16 * i + 12 + k] = (uint8_t)(flags >> (8 * k));
    }
    req(0, lens, wr, 3, q, type, 0, ex, 16u * nr);
}

static void write_seed(const char *dir, const char *name)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static void session(const char *dir, uint8_t setup, uint8_t feat, unsigned int v)
{
    char name[64];
    const uint8_t q1 = (setup & 0x10u) ? 1 : 0;

    olen = 0;
    put8(setup);
    put8(feat);
    simple(0, 1, 0, 512, 0);                 /* OUT */
    simple(q1, 0, 0, 0, 1024);               /* IN */
    put8(BF_NOTIFY); put8(0);
    put8(BF_NOTIFY); put8(1);
    put8(BF_COMPLETE); put8(1); put8(0);
    put8(BF_DRAIN);
    put8(BF_USED);
    simple(0, 4, 0, 0, 0);                   /* FLUSH */
    simple(0, 8, 0, 0, 20);                  /* GET_ID */
    simple(0, 10, 0, 0, 6);                  /* GET_LIFETIME */
    simple(0, 16, 0, 0, 0);                  /* a zone request */
    ranges(0, 11, 2, 0, 4, 0);               /* DISCARD */
    ranges(0, 13, 3, 8, 8, v & 1u);          /* WRITE_ZEROES, unmap */
    ranges(0, 14, 1, 2, 2, 0);               /* SECURE_ERASE */
    put8(BF_NOTIFY); put8(0);
    put8(BF_COMPLETE); put8(0); put8(1);
    put8(BF_COMPLETE); put8(2); put8(2);
    put8(BF_DRAIN);
    put8(BF_USED);
    {
        /* header split, status sharing the read data's descriptor */
        const uint32_t lens[3] = {5, 15, 513};
        const int wr[3] = {0, 0, 1};

        req(0, lens, wr, 3, 0, 0, 3, NULL, 0);
    }
    {
        /* indirect, data in two pieces */
        const uint32_t lens[4] = {16, 512, 512, 1};
        const int wr[4] = {0, 0, 0, 1};

        req(0x80, lens, wr, 4, 0, 1, 60, NULL, 0);
    }
    {
        /* no writable byte */
        const uint32_t lens[2] = {16, 512};
        const int wr[2] = {0, 0};

        req(0, lens, wr, 2, 0, 1, 0, NULL, 0);
    }
    for (int i = 0; i < 6; i++)
        simple(0, 0, (uint64_t)i, 0, 512);   /* more than the request objects */
    put8(BF_NOTIFY); put8(0);
    if (v & 2u) {
        put8(BF_QRESET); put8(0);
    } else {
        put8(BF_RESET);
    }
    simple(0, 0, 63, 0, 1024);               /* beyond capacity */
    put8(BF_CAPACITY); put8(128);
    simple(0, 0, 63, 0, 1024);
    put8(BF_NOTIFY); put8(0);
    put8(BF_CONFIG); put8(32); put8(0);
    put8(BF_CONFIG); put8(32); put8(2);
    put8(BF_LIFETIME); put8(1); put8(2); put8(3);
    simple(0, 1, 0, 512, 0);
    put8(BF_NOTIFY); put8(0);
    put8(BF_DRAIN);
    put8(BF_USED);
    snprintf(name, sizeof name, "session-%02x-%02x-%u", setup, feat, v);
    write_seed(dir, name);
}

int main(int argc, char **argv)
{
    static const uint8_t setups[] = {0x00, 0x01, 0x06, 0x07, 0x08, 0x11, 0x12, 0x23, 0x44, 0x85, 0xf7};
    static const uint8_t feats[] = {0xff, 0x7f, 0x03, 0x00, 0xfe};

    if (argc != 2) {
        fprintf(stderr, "usage: gen_blk_seeds outdir\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof setups; i++)
        for (size_t k = 0; k < sizeof feats; k++)
            session(argv[1], setups[i], feats[k], (unsigned int)(i + k) & 3u);
    return 0;
}

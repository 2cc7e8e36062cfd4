/*
 * Writes seed inputs for vsock_fuzz (format: fuzz/vsock_fuzz.h): sessions in
 * both ring layouts and several feature mixes: guest and host connections,
 * data both ways with credit updates and requests, seqpacket messages,
 * shutdowns, resets, transport resets, device resets, a full table and
 * packets with one header field wrong.
 * Usage: gen_vsock_seeds outdir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vsock_fuzz.h"

static uint8_t out[2048];
static size_t olen;

static void put(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void op(enum vf_op k, unsigned int p)
{
    put((uint8_t)(k | (p << 4)));
}

/* a tx packet: guest port 1000 + g, host port 80 + h */
static void txh(uint8_t vop, uint8_t type, unsigned int g, unsigned int h, uint8_t len,
                uint8_t present, uint8_t flags, uint8_t cidmode, uint16_t balloc64, uint16_t fwd,
                uint8_t layout)
{
    op(VF_TXH, 0);
    put(vop);
    put(type);
    put((uint8_t)((g & 3u) | ((h & 3u) << 2)));
    put(len);
    put(present);
    put(flags);
    put(cidmode);
    put((uint8_t)balloc64);
    put((uint8_t)(balloc64 >> 8));
    put((uint8_t)fwd);
    put((uint8_t)(fwd >> 8));
    put(layout);
}

static void save(const char *dir, const char *name)
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

static void session(const char *dir, uint8_t setup, unsigned int kind)
{
    char name[64];

    olen = 0;
    put(setup);
    for (int i = 0; i < 6; i++) {
        op(VF_RXPOST, (unsigned int)(i & 1));
        put(60);
    }
    op(VF_EVPOST, 0);
    switch (kind) {
    case 0: /* guest connects, data both ways, credit, shutdown, clean close */
        txh(1, 1, 0, 0, 0, 0, 0, 0, 1024, 0, 0);
        txh(5, 1, 0, 0, 10, 10, 0, 0, 1024, 0, 10);
        op(VF_CONSUME, 0);
        put(0);
        put(10);
        op(VF_SEND, 0);
        put(0);
        put(100);
        op(VF_DRAIN, 0);
        txh(7, 1, 0, 0, 0, 0, 0, 0, 1024, 100, 0);
        txh(6, 1, 0, 0, 0, 0, 0, 0, 2048, 100, 0);
        op(VF_SEND, 0);
        put(0);
        put(200);
        txh(4, 1, 0, 0, 0, 0, 3, 0, 1024, 100, 0);
        op(VF_RESET, 0);
        put(0);
        break;
    case 1: /* host connects, guest answers, host shuts down, guest resets */
        op(VF_CONNECT, 0);
        put(0x1);
        op(VF_DRAIN, 0);
        txh(2, 1, 1, 0, 0, 0, 0, 0, 1024, 0, 0);
        op(VF_SEND, 0);
        put(0);
        put(255);
        op(VF_SHUT, 2);
        put(0);
        op(VF_SHUT, 1);
        put(0);
        txh(3, 1, 1, 0, 0, 0, 0, 0, 1024, 0, 0);
        break;
    case 2: /* seqpacket messages both ways */
        txh(1, 2, 0, 1, 0, 0, 0, 0, 1024, 0, 0);
        txh(5, 2, 0, 1, 30, 30, 0, 0, 1024, 0, 3);
        txh(5, 2, 0, 1, 20, 20, 1, 0, 1024, 0, 0);
        txh(5, 2, 0, 1, 0, 0, 3, 0, 1024, 0, 0);
        op(VF_SEND, 1);
        put(0);
        put(120);
        op(VF_SEND, 3);
        put(0);
        put(0);
        op(VF_DRAIN, 0);
        break;
    case 3: /* packets with one wrong field, and no connection */
        txh(1, 1, 0, 0, 0, 0, 0, 0, 1024, 0, 0);
        txh(5, 1, 0, 0, 10, 10, 0, 1, 1024, 0, 0);
        txh(5, 1, 0, 0, 10, 10, 0, 2, 1024, 0, 0);
        txh(5, 1, 0, 0, 10, 10, 0, 3, 1024, 0, 0);
        txh(5, 1, 0, 0, 11, 10, 0, 0, 1024, 0, 0);
        txh(9, 1, 0, 0, 0, 0, 0, 0, 1024, 0, 0);
        txh(5, 7, 0, 0, 1, 1, 0, 0, 1024, 0, 0);
        txh(5, 1, 2, 2, 1, 1, 0, 0, 1024, 0, 0);
        txh(1, 1, 1, 3, 0, 0, 0, 0, 1024, 0, 0); /* refused: host port 83 */
        op(VF_TXRAW, 0);
        put(10);
        for (int i = 0; i < 10; i++)
            put((uint8_t)i);
        op(VF_DRAIN, 0);
        break;
    case 4: /* full table, then transport and device resets */
        for (unsigned int i = 0; i < 4; i++)
            txh(1, 1, i, 0, 0, 0, 0, 0, 1024, 0, 0);
        op(VF_CONNECT, 0);
        put(0xf);
        op(VF_TRESET, 1);
        op(VF_EVPOST, 1);
        op(VF_EVPOST, 0);
        op(VF_DRAIN, 0);
        txh(1, 1, 0, 0, 0, 0, 0, 1, 1024, 0, 0);
        op(VF_DEVRESET, 0);
        op(VF_RXPOST, 0);
        put(10);
        txh(1, 1, 0, 0, 0, 0, 0, 0, 1024, 0, 0);
        break;
    default: /* rx full: tx stalls on the RST queue, then resumes */
        op(VF_DRAIN, 0);
        for (int i = 0; i < 18; i++)
            txh(5, 1, (unsigned int)i, 3, 1, 1, 0, 0, 1024, 0, 0);
        op(VF_RXPOST, 2);
        put(30);
        op(VF_RXPOST, 0);
        put(0);
        op(VF_NOTIFY, 1);
        op(VF_DRAIN, 0);
        break;
    }
    snprintf(name, sizeof name, "seed-%02x-%u", setup, kind);
    save(dir, name);
}

int main(int argc, char **argv)
{
    static const uint8_t setups[] = {0x32, 0x33, 0x22, 0x0f, 0x00, 0xf3, 0x73, 0x1e};

    if (argc != 2) {
        fprintf(stderr, "usage: gen_vsock_seeds outdir\n");
        return 2;
    }
    for (size_t s = 0; s < sizeof setups; s++)
        for (unsigned int k = 0; k < 6; k++)
            session(argv[1], setups[s], k);
    return 0;
}

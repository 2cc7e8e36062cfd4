/* Seeds for net_fuzz (fuzz/net_fuzz.h): valid sessions on split and packed
 * rings, with and without IN_ORDER, then the same with single fields mangled.
 * Usage: gen_net_seeds DIR */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net_fuzz.h"

static uint8_t buf[16384];
static size_t n;

static void b(uint8_t v) { buf[n++] = v; }
static void w16(uint16_t v) { b((uint8_t)v); b((uint8_t)(v >> 8)); }

/* transmit: header fields, then flen frame bytes */
static void tx(uint8_t pair, uint8_t flags, uint8_t gso, uint16_t gso_size, uint16_t cs,
               uint16_t co, uint16_t flen)
{
    b((uint8_t)(pair << 2));
    w16((uint16_t)(12 + flen));
    b(flags); b(gso); w16(54); w16(gso_size); w16(cs); w16(co); w16(0);
    for (uint16_t i = 0; i < flen; i++)
        b((uint8_t)(i * 7 + 3));
}

static void ctrl(uint8_t room, uint8_t cls, uint8_t cmd, const uint8_t *d, uint16_t len)
{
    b((uint8_t)(1u | (room << 2)));
    w16((uint16_t)(2 + len));
    b(cls); b(cmd);
    memcpy(buf + n, d, len);
    n += len;
}

static void rx(uint8_t pair, uint8_t nbufs, uint8_t bsize, int offload, uint16_t flen)
{
    b((uint8_t)(2u | (nbufs << 2) | (pair << 5) | (offload ? 0x80u : 0u)));
    for (uint8_t i = 0; i < nbufs; i++)
        b(bsize);
    w16(flen);
    for (uint16_t i = 0; i < flen; i++)
        b(i < 6 ? 0xff : (uint8_t)i);
    if (offload) { /* NEEDS_CSUM at 34/16 */
        buf[n - flen] = 1; buf[n - flen + 1] = 0; buf[n - flen + 6] = 34; buf[n - flen + 7] = 0;
        buf[n - flen + 8] = 16; buf[n - flen + 9] = 0;
    }
}

/* a receive burst of nfr frames of flen bytes each (nfr * (flen + 1) <= 0xffff) */
static void rxb(uint8_t pair, uint8_t nbufs, uint8_t bsize, uint8_t nfr, uint8_t flen)
{
    b((uint8_t)(2u | (nbufs << 2) | (pair << 5) | 0x40u));
    for (uint8_t i = 0; i < nbufs; i++)
        b(bsize);
    w16((uint16_t)(nfr * (flen + 1u)));
    for (uint8_t k = 0; k < nfr; k++) {
        b(flen);
        for (uint8_t i = 0; i < flen; i++)
            b(i < 6 ? 0xff : (uint8_t)(i + k));
    }
}

static void misc(uint8_t what) { b((uint8_t)(3u | (what << 2))); }

static void save(const char *dir, const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) { perror(path); return; }
    fwrite(buf, 1, n, f);
    fclose(f);
}

static void session(uint16_t fsel, uint8_t setup, int mangle)
{
    static const uint8_t mac_table[] = {1, 0, 0, 0, 0x52, 0x54, 0, 1, 2, 3, 1, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1};
    static const uint8_t mac[6] = {2, 0x11, 0x22, 0x33, 0x44, 0x55};
    uint8_t one = (uint8_t)(mangle == 3 ? 2 : 0), vid[2] = {100, 0}, pairs[2] = {2, 0};

    n = 0;
    w16(fsel);
    b(setup);
    tx(0, 0, 0, 0, 0, 0, 60);
    tx(0, 1, mangle == 1 ? 4 : 1, mangle == 2 ? 0 : 1448, 34, 16, 1500);
    tx(1, 1, 0x81, 1448, 34, mangle == 4 ? 2000 : 16, 200);
    ctrl(1, 0, 0, &one, 1);
    ctrl(1, 0, 3, &one, 1);
    ctrl(1, 1, 0, mac_table, (uint16_t)(sizeof mac_table - (mangle == 5 ? 1 : 0)));
    ctrl(1, 1, 1, mac, 6);
    ctrl(1, 2, 0, vid, 2);
    ctrl(mangle == 6 ? 0 : 1, 3, 0, NULL, 0);
    ctrl(2, 4, 0, pairs, 2);
    rx(0, 2, 100, 0, 64);
    rx(1, 3, 20, 1, 900);
    misc(2);
    misc(0);
    rx(0, 1, 100, 0, 64);
    misc(1);
    misc(3);
    rx(0, 1, 100, 0, 64);
    rxb(0, 7, 10, 5, 64);  /* 7 buffers of 176 bytes, 5 frames: all taken */
    rxb(0, 2, 100, 4, 200); /* 2 buffers, 4 frames: stops at the third */
    misc(5);
}

int main(int argc, char **argv)
{
    char name[64];

    if (argc != 2) { fprintf(stderr, "usage: gen_net_seeds DIR\n"); return 2; }
    for (int packed = 0; packed < 2; packed++) {
        for (int m = 0; m <= 6; m++) {
            session(0xffffu, (uint8_t)packed, m);
            snprintf(name, sizeof name, "all-%s-%d", packed ? "packed" : "split", m);
            save(argv[1], name);
        }
        session(0x0400u, (uint8_t)packed, 0); /* MRG_RXBUF only: no control queue */
        snprintf(name, sizeof name, "plain-%s", packed ? "packed" : "split");
        save(argv[1], name);
        session(0x0040u, (uint8_t)packed, 0); /* HOST_TSO4 without CSUM: refused */
        snprintf(name, sizeof name, "baddeps-%s", packed ? "packed" : "split");
        save(argv[1], name);
        for (int m = 0; m <= 6; m += 3) { /* IN_ORDER */
            session(0xffffu, (uint8_t)(packed | 2), m);
            snprintf(name, sizeof name, "inorder-%s-%d", packed ? "packed" : "split", m);
            save(argv[1], name);
        }
        session(0x0400u, (uint8_t)(packed | 2), 0);
        snprintf(name, sizeof name, "inorder-plain-%s", packed ? "packed" : "split");
        save(argv[1], name);
    }
    return 0;
}

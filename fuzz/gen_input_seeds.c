/*
 * Writes seed inputs for input_fuzz (format: fuzz/input_fuzz.c): sessions in
 * every ring mix with event buffers (good, short, readable, in two pieces),
 * groups that fit, wait for buffers, overflow the pending array or exceed the
 * ring, status events with a backend that takes them, waits or fails, config
 * selects, queue and device resets.
 * Usage: gen_input_seeds outdir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t out[2048];
static size_t n;

static void b(unsigned int v) { if (n < sizeof out) out[n++] = (uint8_t)v; }
static void op(unsigned int k, unsigned int p) { b(k | (p << 4)); }

static void send_group(unsigned int len, unsigned int code)
{
    op(3, 0);
    b(len);
    for (unsigned int i = 0; i + 1 < len; i++) {
        b(i % 2 ? 3 : 1);
        b(code + i);
        b(i + 1);
    }
    b(0); b(0); b(0); /* SYN_REPORT */
}

static void write_seed(const char *dir, unsigned int f, unsigned int v)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof path, "%s/session-f%02x-v%u", dir, f, v);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static const unsigned int feats[] = {0, 1, 2, 4, 8, 16, 9, 27, 31};

    if (argc != 2) {
        fprintf(stderr, "usage: gen_input_seeds outdir\n");
        return 2;
    }
    for (unsigned int i = 0; i < sizeof feats / sizeof feats[0]; i++) {
        for (unsigned int v = 0; v < 2; v++) {
            n = 0;
            op(10, 1); b(0);                 /* ID_NAME */
            op(10, 0x1); b(0);
            op(10, 15); b(0x11);             /* EV_BITS: raw select then subsel */
            op(10, 2); b(3);
            op(9, 0); b(2); b(0); b(7);      /* write to size: refused */
            op(0, v); b(feats[i]);
            op(1, 0); b(8);
            op(1, 0); b(8);
            send_group(2, 30);               /* fits */
            op(6, 0);
            op(1, 0); b(8);
            send_group(3, 40);               /* waits for buffers */
            op(1, 4); b(8);
            op(1, 4); b(8);
            op(6, 0);
            op(1, 1); b(8);                  /* readable: refused */
            op(1, 0); b(4);                  /* short */
            op(1, 2); b(8);                  /* two pieces */
            send_group(2, 50);
            op(6, 0);
            send_group(9, 60);               /* longer than the ring */
            send_group(9, 70);               /* overflows the pending array */
            for (unsigned int k = 0; k < 8; k++) { op(1, 0); b(8); }
            op(4, 0);
            op(6, 0);
            op(2, 4); b(8); for (unsigned int k = 0; k < 8; k++) b(k == 0 ? 0x11 : k == 2 ? 1 : 0);
            op(12, 1);
            op(2, 4); b(8); for (unsigned int k = 0; k < 8; k++) b(k);
            op(5, 0);
            op(12, 0);
            op(5, 0);
            op(2, 5); b(8); for (unsigned int k = 0; k < 8; k++) b(k);  /* writable: refused */
            op(12, 2);
            op(2, 4); b(4); for (unsigned int k = 0; k < 8; k++) b(k);  /* short */
            op(6, 0);
            op(7, 0);                        /* queue reset, re-laid */
            op(1, 0); b(8);
            send_group(2, 80);
            op(6, 0);
            op(8, 0);                        /* device reset */
            op(0, 0); b(feats[i]);
            op(1, 4); b(8);
            op(1, 4); b(8);
            send_group(2, 90);
            op(6, 0);
            write_seed(argv[1], feats[i], v);
        }
    }
    return 0;
}

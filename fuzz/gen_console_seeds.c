/*
 * Writes seed inputs for console_fuzz (format: fuzz/console_fuzz.c): sessions
 * in every ring mix with the MULTIPORT bring-up (DEVICE_READY, PORT_READY,
 * PORT_OPEN), data on port 0 and port 1, a backend that waits, takes one byte
 * or fails, hot-add and removal, resize, emergency writes, refused buffers and
 * control messages, queue and device resets.
 * Usage: gen_console_seeds outdir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t out[2048];
static size_t n;

static void b(unsigned int v) { if (n < sizeof out) out[n++] = (uint8_t)v; }
static void op(unsigned int k, unsigned int p) { b(k | (p << 4)); }
static void buf(unsigned int q, unsigned int p, unsigned int len)
{
    op(1, p); b(q); b(len);
    for (int i = 0; i < 8; i++) b('a' + i);
}
static void ctrl(unsigned int id, unsigned int e, unsigned int v) { op(2, 0); b(id); b(e); b(v); }

int main(int argc, char **argv)
{
    static const unsigned int feats[] = {0, 1, 2, 4, 8, 16, 32, 128, 9, 27, 64, 65, 255 - 64};
    char path[256];

    if (argc != 2) {
        fprintf(stderr, "usage: gen_console_seeds outdir\n");
        return 2;
    }
    for (unsigned int i = 0; i < sizeof feats / sizeof feats[0]; i++) {
        n = 0;
        op(10, 0); b(8); b('!');              /* emergency write before set-up */
        op(6, 4 | 1);                         /* port 1 "bt-hci" */
        op(0, 0); b(feats[i]);
        buf(2, 1 | 2, 32);
        buf(2, 1, 32);
        buf(2, 1, 4);                         /* too small for a name */
        ctrl(0, 0, 1);                        /* DEVICE_READY */
        op(5, 0);
        ctrl(0, 3, 1);                        /* PORT_READY 0 */
        ctrl(1, 3, 1);
        buf(2, 1 | 2, 32);
        buf(2, 1 | 2, 32);
        ctrl(0, 6, 1);                        /* PORT_OPEN 0 */
        op(5, 0);
        buf(1, 2, 20);                        /* port 0 transmit */
        buf(0, 1 | 2, 16);                    /* port 0 receive */
        buf(5, 2, 9);                         /* port 1 transmit */
        buf(4, 1 | 2, 3);
        op(5, 0);
        op(11, 1);                            /* tx waits */
        buf(1, 2, 12);
        op(11, 2);                            /* one byte at a time */
        op(4, 0);
        op(11, 3);                            /* tx fails */
        op(4, 0);
        op(11, 0);                            /* rx has nothing */
        buf(0, 1 | 2, 8);
        op(11, 4);
        op(4, 0);
        op(5, 0);
        buf(1, 1 | 2, 8);                     /* writable in a transmitq */
        buf(0, 2, 8);                         /* readable in a receiveq */
        ctrl(7, 3, 1);                        /* a port never announced */
        ctrl(0, 1, 0);                        /* a device-only event */
        ctrl(0, 9, 0);
        buf(3, 2, 5);                         /* short control message */
        op(5, 0);
        buf(2, 1 | 2, 32);
        buf(2, 1 | 2, 32);
        op(6, 2 | 8);                         /* hot-add port 2, a console */
        op(8, 1 | 4);                         /* host opens port 1 */
        op(9, 0); b(100); b(40);              /* resize port 0 */
        op(5, 0);
        op(7, 2);                             /* remove port 2 */
        op(7, 1);
        op(5, 0);
        op(12, 4);                            /* queue reset: port 1 receiveq */
        op(12, 2);
        op(13, 0);                            /* device reset */
        op(0, 1); b(feats[i]);
        buf(2, 1, 32);
        ctrl(0, 0, 1);
        op(10, 0); b(8); b('?');
        op(5, 0);
        snprintf(path, sizeof path, "%s/session-f%02x", argv[1], feats[i]);
        {
            FILE *fp = fopen(path, "wb");

            if (fp == NULL || fwrite(out, 1, n, fp) != n || fclose(fp) != 0) {
                fprintf(stderr, "cannot write %s\n", path);
                return 1;
            }
        }
    }
    return 0;
}

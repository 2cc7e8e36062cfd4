/*
 * Writes seed inputs for scmi_fuzz (format: fuzz/scmi_fuzz.c): sessions of
 * well-formed commands of every protocol, with the reply rooms Linux uses,
 * asynchronous commands and their completions, notifications and the P2A
 * path, agent resets, in core mode and through virtio-scmi in both ring
 * layouts, with and without P2A.
 * Usage: gen_scmi_seeds outdir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t out[4096];
static size_t olen;
static int nseeds;

static void put8(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void put32(uint32_t v)
{
    for (int i = 0; i < 4; i++)
        put8((uint8_t)(v >> (8 * i)));
}

static void begin(uint8_t mode)
{
    olen = 0;
    put8(mode);
}

static void rec(uint8_t kind, uint8_t p, const uint8_t *b, uint8_t len)
{
    put8((uint8_t)(kind | (p << 4)));
    put8(len);
    for (uint8_t i = 0; i < len; i++)
        put8(b[i]);
}

/* A command record: header then n words; p selects agent/room or pieces/room. */
static void cmd(uint8_t p, uint32_t proto, uint32_t msg, const uint32_t *args, unsigned n)
{
    put8((uint8_t)(0u | (p << 4)));
    put8((uint8_t)(4u + 4u * n));
    put32((msg & 0xffu) | (proto << 10) | (0x21u << 18));
    for (unsigned i = 0; i < n; i++)
        put32(args[i]);
}

static void done(const char *dir, const char *name)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen) {
        perror(path);
        exit(1);
    }
    fclose(fp);
    nseeds++;
}

/* p for a command: core mode: agent 2 (p % 3 == 1) and a 136-byte room
 * (p = 16 is out of range for a nibble, so 15: 128 bytes; 13: 112). */
#define P_CORE 13u
/* virtio: 2 readable pieces, writable 4 + 16 * 3 = 52 bytes */
#define P_VIRT 0xdu

static void every_command(uint8_t p)
{
    static const uint32_t z[4] = {0, 0, 0, 0};
    const uint32_t one[1] = {1};

    for (uint32_t proto = 0x10; proto <= 0x19; proto++) {
        cmd(p, proto, 0, NULL, 0);
        cmd(p, proto, 1, NULL, 0);
        cmd(p, proto, 2, one, 1);
    }
    cmd(p, 0x10, 3, NULL, 0);
    cmd(p, 0x10, 6, z, 1);
    cmd(p, 0x10, 7, (const uint32_t[]){0xffffffffu}, 1);
    cmd(p, 0x10, 8, one, 1);
    cmd(p, 0x11, 3, z, 1);
    cmd(p, 0x11, 4, (const uint32_t[]){1, 0, 0x40000000u}, 3);
    cmd(p, 0x11, 6, (const uint32_t[]){0, 1}, 2);
    cmd(p, 0x12, 3, (const uint32_t[]){1, 0}, 2);
    cmd(p, 0x13, 4, z, 2);
    cmd(p, 0x13, 5, (const uint32_t[]){0, 400, 200}, 3);
    cmd(p, 0x13, 7, (const uint32_t[]){0, 300}, 2);
    cmd(p, 0x14, 4, z, 2);
    cmd(p, 0x14, 5, (const uint32_t[]){1, 0, 24000000, 0}, 4);
    cmd(p, 0x14, 7, (const uint32_t[]){0, 1, 0}, 3);
    cmd(p, 0x14, 0xc, (const uint32_t[]){2, 0}, 2);
    cmd(p, 0x15, 3, z, 1);
    cmd(p, 0x15, 6, (const uint32_t[]){0, 1}, 2);
    cmd(p, 0x15, 6, (const uint32_t[]){2, 0}, 2);
    cmd(p, 0x15, 7, z, 2);
    cmd(p, 0x15, 8, (const uint32_t[]){1, 0}, 2);
    cmd(p, 0x15, 0xa, (const uint32_t[]){0, 3}, 2);
    cmd(p, 0x15, 0xb, (const uint32_t[]){0, 1}, 2);
    cmd(p, 0x15, 5, (const uint32_t[]){2, 0x11, 50, 0}, 4);
    cmd(p, 0x15, 4, (const uint32_t[]){2, 1}, 2);
    cmd(p, 0x16, 4, (const uint32_t[]){0, 5, 0}, 3);
    cmd(p, 0x17, 4, (const uint32_t[]){1, 0}, 2);
    cmd(p, 0x17, 7, (const uint32_t[]){0, 1, 900000}, 3);
    cmd(p, 0x18, 3, z, 1);
    cmd(p, 0x18, 5, (const uint32_t[]){0, 1, 2000}, 3);
    cmd(p, 0x19, 4, (const uint32_t[]){1, 2, 0}, 3);
    cmd(p, 0x19, 5, (const uint32_t[]){1, 1u << 18}, 2);
    cmd(p, 0x19, 6, (const uint32_t[]){3, 0xffffffffu, 2u << 2, 5, 1, 7, 0}, 7);
    cmd(p, 0x19, 7, (const uint32_t[]){0, 0}, 2);
}

int main(int argc, char **argv)
{
    const uint8_t rd[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const char *dir;

    if (argc != 2) {
        fprintf(stderr, "usage: gen_scmi_seeds outdir\n");
        return 2;
    }
    dir = argv[1];
    /* core: every protocol, every sort of command */
    begin(0);
    every_command(P_CORE);
    for (uint8_t i = 0; i < 4; i++)
        rec(1, 15, NULL, 0);
    done(dir, "core-every-command");
    /* core: deferred operations, completions, updates, resets */
    begin(8);
    cmd(P_CORE, 0x15, 6, (const uint32_t[]){0, 1}, 2);
    cmd(P_CORE, 0x15, 6, (const uint32_t[]){2, 0}, 2);
    cmd(P_CORE, 0x14, 5, (const uint32_t[]){1, 0, 48000000, 0}, 4);
    rec(4, 0, rd, 3);
    rec(4, 1, rd, 1);
    rec(3, 2, rd, 4);
    rec(2, 1, NULL, 0);
    rec(1, 15, NULL, 0);
    rec(1, 15, NULL, 0);
    cmd(P_CORE, 0x15, 0xb, (const uint32_t[]){0, 1}, 2);
    rec(5, 0, rd, 3);
    rec(5, 2, rd, 1);
    rec(8, 0, rd, 6);
    rec(6, 1, NULL, 0);
    rec(7, 1, NULL, 0);
    rec(9, 1, NULL, 0);
    cmd(P_CORE, 0x15, 6, (const uint32_t[]){2, 0}, 2);
    done(dir, "core-async");
    /* virtio, split and packed, with and without P2A */
    for (uint8_t mode = 1; mode < 8; mode += 2) {
        char name[64];

        begin(mode);
        rec(1, 7, NULL, 0);
        rec(1, 7, NULL, 0);
        every_command(P_VIRT);
        rec(5, 0, rd, 3);
        rec(1, 7, NULL, 0);
        rec(2, 0, NULL, 0);
        rec(7, 0, NULL, 0);
        cmd(0x31, 0x10, 0, NULL, 0);
        snprintf(name, sizeof name, "virtio-%s-%s", (mode & 2) ? "packed" : "split",
                 (mode & 4) ? "p2a" : "nop2a");
        done(dir, name);
    }
    begin(1 | 4 | 8);
    cmd(P_VIRT, 0x15, 6, (const uint32_t[]){2, 0}, 2);
    cmd(P_VIRT, 0x10, 0, NULL, 0);
    rec(4, 0, rd, 1);
    rec(1, 7, NULL, 0);
    cmd(P_VIRT, 0x15, 6, (const uint32_t[]){0, 1}, 2);
    rec(4, 0, rd, 3);
    done(dir, "virtio-deferred");
    printf("gen_scmi_seeds: %d seeds\n", nseeds);
    return 0;
}

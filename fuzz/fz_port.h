/*
 * A recording port for the transport and device harnesses (mmio_fuzz,
 * pci_fuzz, rng_fuzz): the posix port's guest RAM and map, plus
 *   - set_level, recording the line the transport drives (optional);
 *   - inject_msi, recording MSI-X messages by vector (optional);
 *   - dirty, handed to the harness so it can check every guest-memory write
 *     the library makes (the library calls dirty for each store it makes into
 *     a ring or a buffer);
 *   - a RAM snapshot, to prove that a call wrote nothing at all.
 * Guest RAM is FZ_RAM bytes from address 0 in two regions, so buffers and
 * rings can straddle a region boundary.
 */
#ifndef AVPS_FZ_PORT_H
#define AVPS_FZ_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <avps/err.h>
#include <avps/port.h>

#include "avps_posix.h"

#define FZ_RAM 0x4000u /* [0, 8K) + [8K, 16K) */
#define FZ_VECTORS 64u

struct fz_port {
    struct avps_posix_guest g; /* first: the ctx of every op is &g */
    struct avps_port_ops ops;
    struct avps_host host;
    /* set_level */
    int level;
    uint32_t level_calls;
    uint32_t last_line;
    /* inject_msi */
    uint32_t msi_count;
    uint32_t msi_by_vector[FZ_VECTORS];
    void (*on_msi)(void *cookie, uint32_t vector);
    /* inject (the posix port's, which counts in g.irqs) */
    const struct avps_port_ops *base;
    void (*on_inject)(void *cookie, uint32_t vector);
    /* dirty */
    void (*on_dirty)(void *cookie, uint64_t gpa, uint64_t len);
    void *cookie;
    uint64_t dirty_calls;
    /* snapshot of guest RAM */
    uint8_t snap[FZ_RAM];
};

static inline void fz_trap_(int cond)
{
    if (!cond)
        __builtin_trap();
}

/* A scripted entropy source for the transport harnesses: a counter, with
 * fills that run dry (AVPS_E_AGAIN) or fail (AVPS_E_IO) as the input says. */
struct fz_backend {
    uint8_t dry;  /* fills left that return AVPS_E_AGAIN */
    uint8_t io;   /* fills left that return AVPS_E_IO */
    uint8_t next; /* the entropy: a counter */
};

static inline int fz_fill(void *ctx, void *buf, uint32_t len)
{
    struct fz_backend *b = ctx;
    uint8_t *p = buf;

    if (b->io > 0) {
        b->io--;
        return AVPS_E_IO;
    }
    if (b->dry > 0) {
        b->dry--;
        return AVPS_E_AGAIN;
    }
    for (uint32_t i = 0; i < len; i++)
        p[i] = b->next++;
    return (int)len;
}

static int fz_set_level_(void *ctx, uint32_t line, int level)
{
    struct fz_port *p = ctx;

    p->level_calls++;
    p->last_line = line;
    p->level = level;
    return 0;
}

static int fz_inject_msi_(void *ctx, uint64_t addr, uint32_t data, uint32_t vector)
{
    struct fz_port *p = ctx;

    (void)addr;
    (void)data;
    p->msi_count++;
    if (vector < FZ_VECTORS)
        p->msi_by_vector[vector]++;
    if (p->on_msi != NULL)
        p->on_msi(p->cookie, vector);
    return 0;
}

static int fz_inject_(void *ctx, uint32_t vector)
{
    struct fz_port *p = ctx;

    if (p->on_inject != NULL)
        p->on_inject(p->cookie, vector);
    return p->base->inject(ctx, vector);
}

static void fz_dirty_(void *ctx, uint64_t gpa, uint64_t len)
{
    struct fz_port *p = ctx;

    p->dirty_calls++;
    /* Every write the library reports lies inside guest RAM. */
    fz_trap_(len > 0 && gpa < FZ_RAM && len <= FZ_RAM - gpa);
    if (p->on_dirty != NULL)
        p->on_dirty(p->cookie, gpa, len);
}

/* Set up the port with FZ_RAM of zeroed RAM. Returns 0 or -1. */
static inline int fz_port_init(struct fz_port *p, bool with_level, bool with_msi)
{
    memset(p, 0, offsetof(struct fz_port, snap));
    avps_posix_init(&p->g);
    if (avps_posix_add_region(&p->g, 0, FZ_RAM / 2) != 0 ||
        avps_posix_add_region(&p->g, FZ_RAM / 2, FZ_RAM / 2) != 0) {
        avps_posix_fini(&p->g);
        return -1;
    }
    p->base = p->g.host.ops;
    p->ops = *p->base;
    p->ops.inject = fz_inject_;
    p->ops.set_level = with_level ? fz_set_level_ : NULL;
    p->ops.inject_msi = with_msi ? fz_inject_msi_ : NULL;
    p->ops.dirty = fz_dirty_;
    p->host.ops = &p->ops;
    p->host.ctx = &p->g;
    return 0;
}

static inline void fz_port_fini(struct fz_port *p)
{
    avps_posix_fini(&p->g);
}

static inline uint8_t *fz_ram(struct fz_port *p, uint32_t gpa)
{
    return avps_posix_ptr(&p->g, gpa, 1);
}

/* Copy len input bytes into RAM at gpa (clipped to RAM). */
static inline void fz_ram_write(struct fz_port *p, uint32_t gpa, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < len && gpa + i < FZ_RAM; i++)
        *fz_ram(p, (uint32_t)(gpa + i)) = src[i];
}

static inline void fz_snap(struct fz_port *p)
{
    memcpy(p->snap, p->g.region[0].mem, FZ_RAM / 2);
    memcpy(p->snap + FZ_RAM / 2, p->g.region[1].mem, FZ_RAM / 2);
}

/* First RAM byte that differs from the snapshot at or after from; FZ_RAM
 * when none does. */
static inline uint32_t fz_snap_diff(struct fz_port *p, uint32_t from)
{
    for (uint32_t a = from; a < FZ_RAM; a++) {
        const uint8_t *m = a < FZ_RAM / 2 ? p->g.region[0].mem + a
                                          : p->g.region[1].mem + (a - FZ_RAM / 2);

        if (*m != p->snap[a])
            return a;
    }
    return FZ_RAM;
}

static inline bool fz_snap_same(struct fz_port *p)
{
    return memcmp(p->snap, p->g.region[0].mem, FZ_RAM / 2) == 0 &&
           memcmp(p->snap + FZ_RAM / 2, p->g.region[1].mem, FZ_RAM / 2) == 0;
}

#endif

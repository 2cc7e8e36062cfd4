/* The reference port over host memory. Ports may use libc. */
#include "avps_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct avps_posix_region *find_(const struct avps_posix_guest *g, uint64_t gpa)
{
    for (unsigned int i = 0; i < g->nregions; i++) {
        const struct avps_posix_region *r = &g->region[i];

        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

static bool touches_(uint64_t gpa, uint64_t len, uint64_t lo, uint64_t hi)
{
    return lo < hi && gpa < hi && (len == 0 || gpa + (len - 1) >= lo);
}

static int posix_map(void *ctx, uint64_t addr, uint64_t len, unsigned int access,
                     void **hva, uint64_t *span)
{
    struct avps_posix_guest *g = ctx;
    const struct avps_posix_region *r;
    uint64_t gpa = addr;
    uint64_t n;

    if (g->require_iova) {
        if ((access & AVPS_ACCESS_IOVA) == 0 || addr < g->iova_offset)
            goto refuse;
        gpa = addr - g->iova_offset;
    } else if ((access & AVPS_ACCESS_IOVA) != 0) {
        goto refuse;
    }
    if (g->fail_after == 0)
        goto refuse;
    if (touches_(gpa, len, g->fail_lo, g->fail_hi))
        goto refuse;
    if (g->readonly_lo_set && (access & AVPS_ACCESS_WRITE) != 0 &&
        touches_(gpa, len, g->ro_lo, g->ro_hi))
        goto refuse;
    r = find_(g, gpa);
    if (r == NULL)
        goto refuse;
    n = r->size - (gpa - r->gpa);
    if (n > len)
        n = len;
    if (g->max_span != 0 && n > g->max_span)
        n = g->max_span;
    if (g->fail_after > 0)
        g->fail_after--;
    g->maps++;
    *hva = g->answer_null ? NULL : r->mem + (gpa - r->gpa);
    *span = g->answer_long_span ? len + 1 : n;
    return 0;
refuse:
    g->map_refusals++;
    return -1;
}

/* Translation windows (opt-in, avps_posix_set_window()): a whole region, and
 * none while any fault injection is armed, so map sees every access then. */
static int posix_window(void *ctx, uint64_t addr, unsigned int access, uint64_t *win_addr,
                        uint64_t *win_len, void **win_hva)
{
    struct avps_posix_guest *g = ctx;
    const struct avps_posix_region *r;
    uint64_t gpa = addr;
    uint64_t off = 0;

    g->windows++;
    if (g->max_span != 0 || g->fail_after >= 0 || g->fail_lo != g->fail_hi || g->answer_null ||
        g->answer_long_span || g->readonly_lo_set)
        return -1;
    if (g->require_iova) {
        if ((access & AVPS_ACCESS_IOVA) == 0 || addr < g->iova_offset)
            return -1;
        gpa = addr - g->iova_offset;
        off = g->iova_offset;
    } else if ((access & AVPS_ACCESS_IOVA) != 0) {
        return -1;
    }
    r = find_(g, gpa);
    if (r == NULL)
        return -1;
    if (g->window_lie) {
        *win_addr = addr + 1; /* a window that does not contain addr */
        *win_len = 16;
        *win_hva = r->mem;
        return 0;
    }
    *win_addr = r->gpa + off;
    *win_len = r->size;
    *win_hva = r->mem;
    return 0;
}

static void posix_unmap(void *ctx, void *hva, uint64_t span)
{
    struct avps_posix_guest *g = ctx;

    (void)hva;
    (void)span;
    g->unmaps++;
}

static int posix_inject(void *ctx, uint32_t vector)
{
    struct avps_posix_guest *g = ctx;

    g->irqs++;
    g->last_vector = vector;
    if (vector < AVPS_POSIX_MAX_VECTORS)
        g->irq_by_vector[vector]++;
    return 0;
}

static void posix_report(void *ctx, enum avps_event ev, uint32_t dev, uint64_t a, uint64_t b)
{
    struct avps_posix_guest *g = ctx;

    if ((unsigned int)ev < AVPS_EV_COUNT)
        g->reports[ev]++;
    g->last_report_dev = dev;
    g->last_report_a = a;
    g->last_report_b = b;
    if (g->verbose)
        fprintf(stderr, "avps event %d dev %u a=%#llx b=%#llx\n", (int)ev, dev,
                (unsigned long long)a, (unsigned long long)b);
}

static void posix_dirty(void *ctx, uint64_t addr, uint64_t len)
{
    struct avps_posix_guest *g = ctx;

    (void)addr;
    g->dirty_calls++;
    g->dirty_bytes += len;
}

static const struct avps_port_ops posix_ops = {
    .version = AVPS_PORT_OPS_VERSION,
    .map = posix_map,
    .inject = posix_inject,
    .report = posix_report,
    .dirty = posix_dirty,
};

static const struct avps_port_ops posix_ops_unmap = {
    .version = AVPS_PORT_OPS_VERSION,
    .map = posix_map,
    .unmap = posix_unmap,
    .inject = posix_inject,
    .report = posix_report,
    .dirty = posix_dirty,
};

static const struct avps_port_ops posix_ops_window = {
    .version = AVPS_PORT_OPS_VERSION,
    .map = posix_map,
    .inject = posix_inject,
    .report = posix_report,
    .dirty = posix_dirty,
    .window = posix_window,
};

void avps_posix_set_window(struct avps_posix_guest *g, bool on)
{
    g->host.ops = on ? &posix_ops_window : &posix_ops;
}

void avps_posix_init(struct avps_posix_guest *g)
{
    memset(g, 0, sizeof *g);
    g->fail_after = -1;
    g->host.ops = &posix_ops;
    g->host.ctx = g;
}

void avps_posix_set_unmap(struct avps_posix_guest *g, bool on)
{
    g->host.ops = on ? &posix_ops_unmap : &posix_ops;
}

static int add_region_(struct avps_posix_guest *g, uint64_t gpa, uint64_t size, void *mem)
{
    struct avps_posix_region *r;

    if (g->nregions >= AVPS_POSIX_MAX_REGIONS || size == 0 || gpa > UINT64_MAX - size)
        return -1;
    for (unsigned int i = 0; i < g->nregions; i++) {
        const struct avps_posix_region *o = &g->region[i];

        if (gpa < o->gpa + o->size && o->gpa < gpa + size)
            return -1;
    }
    r = &g->region[g->nregions];
    r->external = mem != NULL;
    r->mem = mem != NULL ? mem : calloc(1, (size_t)size);
    if (r->mem == NULL)
        return -1;
    r->gpa = gpa;
    r->size = size;
    g->nregions++;
    return 0;
}

int avps_posix_add_region(struct avps_posix_guest *g, uint64_t gpa, uint64_t size)
{
    return add_region_(g, gpa, size, NULL);
}

int avps_posix_add_region_ext(struct avps_posix_guest *g, uint64_t gpa, uint64_t size, void *mem)
{
    return mem == NULL ? -1 : add_region_(g, gpa, size, mem);
}

void avps_posix_fini(struct avps_posix_guest *g)
{
    for (unsigned int i = 0; i < g->nregions; i++) {
        if (!g->region[i].external)
            free(g->region[i].mem);
    }
    g->nregions = 0;
}

void *avps_posix_ptr(const struct avps_posix_guest *g, uint64_t gpa, uint64_t len)
{
    const struct avps_posix_region *r = find_(g, gpa);

    if (r == NULL || len > r->size - (gpa - r->gpa))
        return NULL;
    return r->mem + (gpa - r->gpa);
}

void avps_posix_clear_counters(struct avps_posix_guest *g)
{
    g->maps = g->map_refusals = g->unmaps = g->irqs = 0;
    memset(g->irq_by_vector, 0, sizeof g->irq_by_vector);
    memset(g->reports, 0, sizeof g->reports);
    g->dirty_calls = g->dirty_bytes = 0;
    g->last_report_a = g->last_report_b = 0;
}

uint64_t avps_posix_report_total(const struct avps_posix_guest *g)
{
    uint64_t t = 0;

    for (unsigned int i = 0; i < AVPS_EV_COUNT; i++)
        t += g->reports[i];
    return t;
}

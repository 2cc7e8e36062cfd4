/*
 * libFuzzer harness for the device-tree output (STYLE.md rule 19):
 * lib/fdt/fdt.c, avps_fdt_add_virtio_mmio() and avps_fdt_add_virtio_mmio_n(),
 * on a flattened device tree from the input (possibly corrupt) and device
 * descriptions from the input (possibly invalid).
 *
 * The input (fuzz/fdt_fuzz.h):
 *   byte 0      mode: open the blob into a buffer with free space first
 *               (fdt_open_into, as a hypervisor does), one batch call or one
 *               call per device, raw or looked-up parent offset
 *   byte 1      free space to add, in 8-byte units
 *   byte 2      the number of device descriptions (at most 7)
 *   byte 3      the parent: a node index, or a raw offset
 *   descriptions, then the rest: the blob (fewer than 40 bytes: an empty tree)
 * The blob sits in a heap buffer of exactly fdt_totalsize() bytes (as the
 * API's contract says: the free space is inside the total size), so ASan sees
 * any access past it. fuzz/gen_fdt_seeds.c writes seeds: trees with 1 and 2
 * address cells, interrupt controllers with phandles, nested buses, an
 * existing virtio_mmio node, little or no free space.
 *
 * Checked after every call (beyond ASan/UBSan; a failure traps):
 *   - if the blob passed fdt_check_full() before the call, it still does;
 *   - a failed call leaves the memory reservations and every node and
 *     property as they were (names and values; a name left in the strings
 *     block is allowed);
 *   - a successful add leaves a node named virtio_mmio@<base> under parent,
 *     with compatible "virtio,mmio", reg encoded with the parent's cells,
 *     interrupts as given, interrupt-parent exactly when non-zero,
 *     dma-coherent exactly when asked, and nothing else; the tree has exactly
 *     the new nodes more and the same memory reservations; a batch lists its
 *     nodes in the order given;
 *   - return values are the node offset, n, or an AVPS_E_* of the header.
 * libfdt itself is the system library (-lfdt), not instrumented.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <avps/err.h>
#include <avps/fdt.h>

#include "fdt_fuzz.h"

#define DUMP_MAX (1u << 18)

struct ff_dev {
    struct avps_fdt_mmio d;
    uint32_t cells[AVPS_FDT_MAX_INTERRUPT_CELLS];
    uint32_t *heap_cells; /* exactly num_interrupt_cells, so ASan sees over-reads */
};

static uint8_t dump_before[DUMP_MAX], dump_after[DUMP_MAX];

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

/* fdt_check_full(), minus two libfdt 1.6 bugs on corrupt blobs: it
 * dereferences the root node's name without checking that fdt_get_name()
 * found one (a NULL pointer), and it loops for ever when fdt_next_tag()
 * does not move forward (a property length that wraps the offset). Such a
 * blob is not valid either: walk the tags first, as it does. */
static int check_full_(const void *fdt, size_t size)
{
    int off = 0, next = 0, depth = 0;
    uint32_t tag;

    if (size < sizeof(struct fdt_header) || fdt_check_header(fdt) != 0)
        return -1;
    do {
        off = next;
        tag = fdt_next_tag(fdt, off, &next);
        if (next < 0 || (tag != FDT_END && next <= off))
            return -1;
        if (tag == FDT_BEGIN_NODE && depth++ == 0) {
            int len = 0;

            if (fdt_get_name(fdt, off, &len) == NULL)
                return -1;
        } else if (tag == FDT_END_NODE && --depth < 0) {
            return -1;
        }
    } while (tag != FDT_END);
    return fdt_check_full(fdt, size);
}

static uint64_t le64_(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t le32_(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* A canonical listing of a valid tree: the memory reservations, per node
 * its depth and name, per property its name and value. Returns the length, or -1 when it overflows
 * or the tree cannot be listed (no root node). */
static long dump_(const void *fdt, uint8_t *out, int *nodes)
{
    size_t n = 0;
    int depth = 0;

    *nodes = 0;
    {
        const int nrsv = fdt_num_mem_rsv(fdt);

        if (nrsv < 0 || (size_t)nrsv * 16u + 8u > DUMP_MAX)
            return -1;
        memcpy(out + n, &nrsv, sizeof nrsv);
        n += sizeof nrsv;
        for (int i = 0; i < nrsv; i++) {
            uint64_t a = 0, sz = 0;

            if (fdt_get_mem_rsv(fdt, i, &a, &sz) != 0)
                return -1;
            memcpy(out + n, &a, 8);
            memcpy(out + n + 8, &sz, 8);
            n += 16;
        }
    }
    for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
        int len = 0;
        const char *name = fdt_get_name(fdt, node, &len);
        int prop;

        if (name == NULL || len < 0) /* no root node: check_full accepts that */
            return -1;
        if (n + 8u + (size_t)len > DUMP_MAX)
            return -1;
        memcpy(out + n, &depth, sizeof depth);
        n += sizeof depth;
        memcpy(out + n, name, (size_t)len + 1u);
        n += (size_t)len + 1u;
        (*nodes)++;
        fdt_for_each_property_offset(prop, fdt, node) {
            const char *pname = NULL;
            int plen = 0;
            const void *val = fdt_getprop_by_offset(fdt, prop, &pname, &plen);

            if (val == NULL || pname == NULL || plen < 0)
                return -1;
            if (n + strlen(pname) + 1u + sizeof plen + (size_t)plen > DUMP_MAX)
                return -1;
            memcpy(out + n, pname, strlen(pname) + 1u);
            n += strlen(pname) + 1u;
            memcpy(out + n, &plen, sizeof plen);
            n += sizeof plen;
            memcpy(out + n, val, (size_t)plen);
            n += (size_t)plen;
        }
    }
    return (long)n;
}

/* The memory reservations at the start of two listings are the same. */
static bool same_rsv_(const uint8_t *a, const uint8_t *b)
{
    int na, nb;

    memcpy(&na, a, sizeof na);
    memcpy(&nb, b, sizeof nb);
    return na == nb && memcmp(a, b, sizeof na + 16u * (size_t)na) == 0;
}

static void node_name_(char *out, size_t cap, uint64_t base)
{
    snprintf(out, cap, "virtio_mmio@%llx", (unsigned long long)base);
}

static int cells_(const void *fdt, int parent, const char *name)
{
    int len = 0;
    const fdt32_t *p = fdt_getprop(fdt, parent, name, &len);

    if (p == NULL)
        return strcmp(name, "#address-cells") == 0 ? 2 : 1;
    check_(len == 4);
    return (int)fdt32_to_cpu(*p);
}

static int count_props_(const void *fdt, int node)
{
    int prop, n = 0;

    fdt_for_each_property_offset(prop, fdt, node)
        n++;
    return n;
}

/* The node a successful add wrote. */
static void check_node_(const void *fdt, int parent, int node, const struct avps_fdt_mmio *d)
{
    char want[64];
    const char *name;
    const void *p;
    const fdt32_t *c;
    int len = 0, ac, sc, k = 0, props = 3;

    check_(node > 0);
    check_(fdt_parent_offset(fdt, node) == parent);
    node_name_(want, sizeof want, d->base);
    name = fdt_get_name(fdt, node, &len);
    check_(name != NULL && strcmp(name, want) == 0 && (size_t)len == strlen(want));
    p = fdt_getprop(fdt, node, "compatible", &len);
    check_(p != NULL && len == 12 && memcmp(p, "virtio,mmio", 12) == 0);
    ac = cells_(fdt, parent, "#address-cells");
    sc = cells_(fdt, parent, "#size-cells");
    check_(ac >= 1 && ac <= 2 && sc >= 1 && sc <= 2);
    c = fdt_getprop(fdt, node, "reg", &len);
    check_(c != NULL && len == 4 * (ac + sc));
    if (ac == 2)
        check_(fdt32_to_cpu(c[k++]) == (uint32_t)(d->base >> 32));
    else
        check_(d->base + (d->size - 1u) <= UINT32_MAX);
    check_(fdt32_to_cpu(c[k++]) == (uint32_t)d->base);
    if (sc == 2)
        check_(fdt32_to_cpu(c[k++]) == (uint32_t)(d->size >> 32));
    else
        check_(d->size <= UINT32_MAX);
    check_(fdt32_to_cpu(c[k]) == (uint32_t)d->size);
    check_(d->size >= AVPS_FDT_MMIO_MIN_SIZE && d->size - 1u <= UINT64_MAX - d->base);
    c = fdt_getprop(fdt, node, "interrupts", &len);
    check_(c != NULL && len == 4 * (int)d->num_interrupt_cells);
    for (uint32_t i = 0; i < d->num_interrupt_cells; i++)
        check_(fdt32_to_cpu(c[i]) == d->interrupts[i]);
    c = fdt_getprop(fdt, node, "interrupt-parent", &len);
    if (d->interrupt_parent != 0u) {
        check_(c != NULL && len == 4 && fdt32_to_cpu(*c) == d->interrupt_parent);
        props++;
    } else {
        check_(c == NULL);
    }
    p = fdt_getprop(fdt, node, "dma-coherent", &len);
    if (d->dma_coherent) {
        check_(p != NULL && len == 0);
        props++;
    } else {
        check_(p == NULL);
    }
    check_(count_props_(fdt, node) == props);
    check_(fdt_first_subnode(fdt, node) < 0);
}

/* The k-th node in tree order (0: the root); 0 when there are fewer. */
static int nth_node_(const void *fdt, unsigned int k)
{
    int depth = 0;
    int node = 0;

    for (unsigned int i = 0; i < k && node >= 0; i++)
        node = fdt_next_node(fdt, node, &depth);
    return node >= 0 && depth >= 0 ? node : 0;
}

/* The phandle of the k-th node that has one; 0 when none does. */
static uint32_t nth_phandle_(const void *fdt, unsigned int k)
{
    int depth = 0;
    uint32_t last = 0;
    unsigned int seen = 0;

    for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
        const uint32_t ph = fdt_get_phandle(fdt, node);

        if (ph != 0u && ph != UINT32_MAX) {
            last = ph;
            if (seen++ == k)
                break;
        }
    }
    return last;
}

static bool rc_ok_(int rc)
{
    return rc >= 0 || rc == AVPS_E_INVAL || rc == AVPS_E_NOSPC || rc == AVPS_E_STATE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ff_dev devs[FF_MAX_DEVS];
    struct avps_fdt_mmio list[FF_MAX_DEVS];
    bool use_phandle[FF_MAX_DEVS] = {false};
    const uint8_t *blob;
    size_t pos = FF_HDR, blob_len;
    unsigned int nd;
    uint8_t *raw = NULL, *buf = NULL;
    uint32_t tsize;
    int parent;
    bool valid;
    long before_len = 0;
    int before_nodes = 0;
    const bool check_env = getenv("FDT_FUZZ_LOG") != NULL;

    if (size < FF_HDR)
        return 0;
    nd = data[2] & 7u;
    memset(devs, 0, sizeof devs);
    for (unsigned int i = 0; i < nd; i++) {
        struct ff_dev *f = &devs[i];
        unsigned int nc, take;
        uint8_t flags;

        if (size - pos < FF_DEV_FIXED) {
            nd = i;
            goto done;
        }
        f->d.base = le64_(data + pos);
        f->d.size = le64_(data + pos + 8);
        flags = data[pos + 16];
        f->d.dma_coherent = (flags & FF_DMA) != 0u;
        f->d.interrupt_parent = le32_(data + pos + 17);
        nc = data[pos + 21];
        pos += FF_DEV_FIXED;
        take = nc < AVPS_FDT_MAX_INTERRUPT_CELLS ? nc : AVPS_FDT_MAX_INTERRUPT_CELLS;
        if (size - pos < 4u * take) {
            nd = i;
            goto done;
        }
        for (unsigned int c = 0; c < take; c++)
            f->cells[c] = le32_(data + pos + 4u * c);
        pos += 4u * take;
        f->d.num_interrupt_cells = nc;
        f->d.interrupts = f->cells;
        if (nc >= 1u && nc <= AVPS_FDT_MAX_INTERRUPT_CELLS) {
            f->heap_cells = malloc(4u * nc);
            check_(f->heap_cells != NULL);
            memcpy(f->heap_cells, f->cells, 4u * nc);
            f->d.interrupts = f->heap_cells;
        }
        if (flags & FF_NULL_IRQ)
            f->d.interrupts = NULL;
        use_phandle[i] = (flags & FF_PHANDLE) != 0u;
    }
    blob = data + pos;
    blob_len = size - pos;

    /* The blob, in a buffer of exactly its total size. */
    if (blob_len < sizeof(struct fdt_header)) {
        tsize = 256u + 8u * data[1];
        raw = malloc(tsize);
        check_(raw != NULL);
        check_(fdt_create_empty_tree(raw, (int)tsize) == 0);
    } else {
        tsize = ((uint32_t)blob[4] << 24) | ((uint32_t)blob[5] << 16) |
                ((uint32_t)blob[6] << 8) | blob[7]; /* fdt_totalsize(), unaligned */
        if (tsize < sizeof(struct fdt_header) || tsize > FF_MAX_TREE)
            goto done;
        raw = malloc(tsize);
        check_(raw != NULL);
        memset(raw, 0, tsize);
        memcpy(raw, blob, blob_len < tsize ? blob_len : tsize);
    }
    if (data[0] & FF_OPEN_INTO) {
        uint32_t bsize;

        /* libfdt 1.6's fdt_open_into() itself misbehaves on some corrupt
         * blobs (a negative memmove): corrupt blobs reach the library
         * without FF_OPEN_INTO only. */
        if (check_full_(raw, tsize) != 0)
            goto done;
        bsize = fdt_totalsize(raw) + 8u * data[1];
        if (bsize > FF_MAX_TREE || bsize < fdt_totalsize(raw))
            goto done;
        buf = malloc(bsize);
        check_(buf != NULL);
        if (fdt_open_into(raw, buf, (int)bsize) != 0)
            goto done;
        check_(fdt_totalsize(buf) == bsize);
        free(raw);
        raw = NULL;
        tsize = bsize;
    } else {
        buf = raw;
        raw = NULL;
    }

    valid = check_full_(buf, tsize) == 0;
    if (valid) {
        before_len = dump_(buf, dump_before, &before_nodes);
        if (before_len < 0)
            valid = false;
    }
    if (data[0] & FF_PARENT_RAW)
        parent = (int)(int8_t)data[3] * 4; /* aligned or not, negative or not */
    else
        parent = valid ? nth_node_(buf, data[3]) : 0;
    for (unsigned int i = 0; i < nd; i++) {
        if (use_phandle[i] && valid)
            devs[i].d.interrupt_parent = nth_phandle_(buf, devs[i].d.interrupt_parent & 7u);
        list[i] = devs[i].d;
    }

    if (data[0] & FF_BATCH) {
        const int rc = avps_fdt_add_virtio_mmio_n(buf, parent, nd ? list : NULL, nd);

        if (check_env)
            fprintf(stderr, "batch of %u under %d: %d (valid %d)\n", nd, parent, rc, valid);
        check_(rc == (int)nd || (rc < 0 && rc_ok_(rc)));
        if (valid) {
            int nodes = 0;
            long len;

            check_(check_full_(buf, tsize) == 0);
            len = dump_(buf, dump_after, &nodes);
            check_(len >= 0);
            if (rc < 0) {
                check_(len == before_len && memcmp(dump_before, dump_after, (size_t)len) == 0);
            } else {
                int prev = -1;

                check_(nodes == before_nodes + (int)nd);
                check_(same_rsv_(dump_before, dump_after));
                for (unsigned int i = 0; i < nd; i++) {
                    char want[64];
                    int node;

                    node_name_(want, sizeof want, list[i].base);
                    node = fdt_subnode_offset(buf, parent, want);
                    check_(node > prev); /* in the order given */
                    check_node_(buf, parent, node, &list[i]);
                    prev = node;
                }
            }
        }
    } else {
        for (unsigned int i = 0; i < nd; i++) {
            const int rc = (data[0] & FF_ONE_BY_N)
                               ? avps_fdt_add_virtio_mmio_n(buf, parent, &list[i], 1)
                               : avps_fdt_add_virtio_mmio(buf, parent, &list[i]);

            if (check_env)
                fprintf(stderr, "add %u under %d: %d (valid %d)\n", i, parent, rc, valid);
            check_(rc_ok_(rc));
            if (!valid)
                continue;
            {
                int nodes = 0;
                long len;

                check_(check_full_(buf, tsize) == 0);
                len = dump_(buf, dump_after, &nodes);
                check_(len >= 0);
                if (rc < 0) {
                    check_(len == before_len && memcmp(dump_before, dump_after, (size_t)len) == 0);
                } else {
                    char want[64];
                    int node = rc;

                    if (data[0] & FF_ONE_BY_N) {
                        check_(rc == 1);
                        node_name_(want, sizeof want, list[i].base);
                        node = fdt_subnode_offset(buf, parent, want);
                    }
                    check_(nodes == before_nodes + 1);
                    check_(same_rsv_(dump_before, dump_after));
                    check_node_(buf, parent, node, &list[i]);
                    before_nodes = nodes;
                    before_len = len;
                    memcpy(dump_before, dump_after, (size_t)len);
                }
            }
        }
    }
done:
    for (unsigned int i = 0; i < nd; i++)
        free(devs[i].heap_cells);
    free(raw);
    free(buf);
    return 0;
}

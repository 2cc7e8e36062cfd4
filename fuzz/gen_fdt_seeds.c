/*
 * Writes seed inputs for fdt_fuzz (format: fuzz/fdt_fuzz.c, fuzz/fdt_fuzz.h):
 * device trees built with libfdt as a hypervisor builds them (root with 2/2
 * or 1/1 cells, a GIC-like controller with a phandle and #interrupt-cells 3,
 * a one-cell controller, a bus node, an existing virtio_mmio node,
 * interrupt-parent chains), with little, some or no free space, and device
 * descriptions for them: valid ones, duplicates, and each kind of invalid one.
 * Usage: gen_fdt_seeds outdir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "fdt_fuzz.h"

static uint8_t out[FF_HDR + 8 * 100 + FF_MAX_TREE];
static size_t olen;
static uint8_t tree[8192];

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

static void put64(uint64_t v)
{
    put32((uint32_t)v);
    put32((uint32_t)(v >> 32));
}

static void dev(uint64_t base, uint64_t size, uint8_t flags, uint32_t iparent,
                const uint32_t *cells, unsigned int n)
{
    put64(base);
    put64(size);
    put8(flags);
    put32(iparent);
    put8((uint8_t)n);
    for (unsigned int i = 0; i < n && i < 16; i++)
        put32(cells[i]);
}

static void ok(int rc)
{
    if (rc < 0) {
        fprintf(stderr, "libfdt: %s\n", fdt_strerror(rc));
        exit(1);
    }
}

/* kind 0: arm-like (2/2 cells, gic phandle 1, 3 cells, interrupt-parent on
 * the root); 1: 1/1 cells, one-cell controller, a bus with 1/1 and an existing
 * virtio_mmio node; 2: empty tree; 3: interrupt-parent cycle */
static size_t build(int kind, int space)
{
    int root, n, bus;

    ok(fdt_create_empty_tree(tree, sizeof tree));
    root = 0;
    if (kind == 0) {
        ok(fdt_setprop_u32(tree, root, "#address-cells", 2));
        ok(fdt_setprop_u32(tree, root, "#size-cells", 2));
        ok(fdt_setprop_u32(tree, root, "interrupt-parent", 1));
        n = fdt_add_subnode(tree, root, "intc@8000000");
        ok(n);
        ok(fdt_setprop_string(tree, n, "compatible", "arm,cortex-a15-gic"));
        ok(fdt_setprop_u32(tree, n, "#interrupt-cells", 3));
        ok(fdt_setprop_empty(tree, n, "interrupt-controller"));
        ok(fdt_setprop_u32(tree, n, "phandle", 1));
        n = fdt_add_subnode(tree, root, "memory@40000000");
        ok(n);
        ok(fdt_setprop_string(tree, n, "device_type", "memory"));
    } else if (kind == 1) {
        ok(fdt_setprop_u32(tree, root, "#address-cells", 1));
        ok(fdt_setprop_u32(tree, root, "#size-cells", 1));
        n = fdt_add_subnode(tree, root, "pic");
        ok(n);
        ok(fdt_setprop_u32(tree, n, "#interrupt-cells", 1));
        ok(fdt_setprop_u32(tree, n, "phandle", 7));
        bus = fdt_add_subnode(tree, root, "bus");
        ok(bus);
        ok(fdt_setprop_u32(tree, bus, "#address-cells", 1));
        ok(fdt_setprop_u32(tree, bus, "#size-cells", 1));
        ok(fdt_setprop_u32(tree, bus, "interrupt-parent", 7));
        n = fdt_add_subnode(tree, bus, "virtio_mmio@10000");
        ok(n);
        ok(fdt_setprop_string(tree, n, "compatible", "virtio,mmio"));
    } else if (kind == 3) {
        n = fdt_add_subnode(tree, root, "a");
        ok(n);
        ok(fdt_setprop_u32(tree, n, "phandle", 2));
        ok(fdt_setprop_u32(tree, n, "interrupt-parent", 3));
        n = fdt_add_subnode(tree, root, "b");
        ok(n);
        ok(fdt_setprop_u32(tree, n, "phandle", 3));
        ok(fdt_setprop_u32(tree, n, "interrupt-parent", 2));
        ok(fdt_setprop_u32(tree, root, "interrupt-parent", 2));
    }
    ok(fdt_pack(tree));
    if (space > 0)
        ok(fdt_open_into(tree, tree, (int)fdt_totalsize(tree) + space));
    return fdt_totalsize(tree);
}

static void seed(const char *dir, const char *name, uint8_t mode, uint8_t slack, uint8_t parent,
                 int kind, int space, void (*devs)(unsigned int *), unsigned int nd_hint)
{
    char path[512];
    FILE *fp;
    size_t t;
    unsigned int nd = 0;

    (void)nd_hint;
    olen = 0;
    put8(mode);
    put8(slack);
    put8(0);
    put8(parent);
    devs(&nd);
    out[2] = (uint8_t)nd;
    t = build(kind, space);
    for (size_t i = 0; i < t; i++)
        put8(tree[i]);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static const uint32_t gic[3] = {0, 16, 4};
static const uint32_t one[1] = {5};

static void arm_devs(unsigned int *nd)
{
    for (unsigned int i = 0; i < 4; i++)
        dev(0xa000000u + 0x200u * i, 0x200, i == 1 ? FF_DMA : 0, i == 2 ? 1 : 0, gic, 3);
    *nd = 4;
}

static void arm_bad_devs(unsigned int *nd)
{
    dev(0xa000000u, 0x200, 0, 0, gic, 3);
    dev(0xa000000u, 0x200, 0, 0, gic, 3);             /* same base: EXISTS */
    dev(0xa000400u, 0xff, 0, 0, gic, 3);              /* too small */
    dev(0xfffffffffffffe00ull, 0x400, 0, 0, gic, 3);  /* wraps */
    dev(0xa000600u, 0x200, 0, 0, gic, 2);             /* wrong cell count */
    dev(0xa000800u, 0x200, FF_PHANDLE, 0, gic, 3);    /* the first phandle */
    dev(0xa000a00u, 0x200, 0, 0xffffffffu, gic, 3);   /* bad phandle */
    *nd = 7;
}

static void bus_devs(unsigned int *nd)
{
    dev(0x10000u, 0x200, 0, 0, one, 1);               /* exists in the bus */
    dev(0x10200u, 0x1000, FF_DMA, 7, one, 1);
    dev(0xfffffe00u, 0x200, 0, 0, one, 1);            /* ends at 4 GiB - 1 */
    dev(0xffffff00u, 0x200, 0, 0, one, 1);            /* past 32 bits */
    dev(0x20000u, 0x200, FF_NULL_IRQ, 0, one, 1);
    dev(0x30000u, 0x200, 0, 0, one, 17);
    *nd = 6;
}

static void cycle_devs(unsigned int *nd)
{
    dev(0x1000u, 0x200, 0, 0, one, 1);                /* inherits the cycle */
    dev(0x2000u, 0x200, 0, 2, one, 1);
    dev(0x3000u, 0x200, 0, 0, one, 3);
    *nd = 3;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_fdt_seeds outdir\n");
        return 2;
    }
    seed(argv[1], "arm-open", FF_OPEN_INTO, 128, 0, 0, 0, arm_devs, 4);
    seed(argv[1], "arm-batch", FF_OPEN_INTO | FF_BATCH, 128, 0, 0, 0, arm_devs, 4);
    seed(argv[1], "arm-tight", FF_OPEN_INTO, 12, 0, 0, 0, arm_devs, 4);    /* runs out */
    seed(argv[1], "arm-batch-tight", FF_OPEN_INTO | FF_BATCH, 30, 0, 0, 0, arm_devs, 4);
    seed(argv[1], "arm-raw-space", 0, 0, 0, 0, 512, arm_devs, 4);
    seed(argv[1], "arm-packed", 0, 0, 0, 0, 0, arm_devs, 4);               /* no space */
    seed(argv[1], "arm-bad", FF_OPEN_INTO, 200, 0, 0, 0, arm_bad_devs, 7);
    seed(argv[1], "arm-bad-batch", FF_OPEN_INTO | FF_BATCH, 200, 0, 0, 0, arm_bad_devs, 7);
    seed(argv[1], "arm-one-by-n", FF_OPEN_INTO | FF_ONE_BY_N, 200, 0, 0, 0, arm_devs, 4);
    seed(argv[1], "bus", FF_OPEN_INTO, 200, 1, 1, 0, bus_devs, 6);         /* parent: bus */
    seed(argv[1], "bus-batch", FF_OPEN_INTO | FF_BATCH, 200, 1, 1, 0, bus_devs, 6);
    seed(argv[1], "bus-child", FF_OPEN_INTO, 200, 2, 1, 0, bus_devs, 6);   /* under virtio_mmio@10000 */
    seed(argv[1], "bus-root", FF_OPEN_INTO, 200, 0, 1, 0, bus_devs, 6);
    seed(argv[1], "bus-raw-parent", FF_OPEN_INTO | FF_PARENT_RAW, 200, 3, 1, 0, bus_devs, 6);
    seed(argv[1], "cycle", FF_OPEN_INTO, 200, 0, 3, 0, cycle_devs, 3);
    seed(argv[1], "empty", FF_OPEN_INTO, 100, 0, 2, 0, cycle_devs, 3);
    return 0;
}

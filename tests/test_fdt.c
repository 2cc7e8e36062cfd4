/* lib/fdt: virtio-mmio device-tree nodes, checked back with libfdt; every
 * error path; and the example program's .dtb decompiled with dtc. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include <avps/err.h>
#include <avps/fdt.h>

#define TREE_SIZE 4096
#define GIC_PH 1u  /* /intc@8000000, #interrupt-cells = <3> */
#define PLIC_PH 2u /* /soc/plic@c000000, #interrupt-cells = <1> */

static _Alignas(8) unsigned char tree[TREE_SIZE];
static _Alignas(8) unsigned char spare[TREE_SIZE];

static const uint32_t gic_irq[3] = {0u, 16u, 4u};
static const uint32_t plic_irq[1] = {5u};

/*
 * / { #address-cells = <2>; #size-cells = <2>; interrupt-parent = <GIC_PH>;
 *     intc@8000000 { #interrupt-cells = <3>; interrupt-controller; phandle = <GIC_PH>; };
 *     soc { #address-cells = <1>; #size-cells = <1>; interrupt-parent = <PLIC_PH>;
 *           plic@c000000 { #interrupt-cells = <1>; interrupt-controller;
 *                          phandle = <PLIC_PH>; }; };
 *     mixed { #address-cells = <2>; #size-cells = <1>; };
 *     bare { };  (no cells properties: libfdt's defaults, 2 and 1)
 * };
 */
static void build_tree(void *buf, int size)
{
    int intc, soc, plic, mixed;

    assert_int_equal(fdt_create_empty_tree(buf, size), 0);
    assert_int_equal(fdt_setprop_u32(buf, 0, "#address-cells", 2u), 0);
    assert_int_equal(fdt_setprop_u32(buf, 0, "#size-cells", 2u), 0);
    assert_int_equal(fdt_setprop_u32(buf, 0, "interrupt-parent", GIC_PH), 0);
    assert_true((intc = fdt_add_subnode(buf, 0, "intc@8000000")) >= 0);
    assert_int_equal(fdt_setprop_u32(buf, intc, "#interrupt-cells", 3u), 0);
    assert_int_equal(fdt_setprop_empty(buf, intc, "interrupt-controller"), 0);
    assert_int_equal(fdt_setprop_u32(buf, intc, "phandle", GIC_PH), 0);
    assert_true((soc = fdt_add_subnode(buf, 0, "soc")) >= 0);
    assert_int_equal(fdt_setprop_u32(buf, soc, "#address-cells", 1u), 0);
    assert_int_equal(fdt_setprop_u32(buf, soc, "#size-cells", 1u), 0);
    assert_int_equal(fdt_setprop_u32(buf, soc, "interrupt-parent", PLIC_PH), 0);
    assert_true((plic = fdt_add_subnode(buf, soc, "plic@c000000")) >= 0);
    assert_int_equal(fdt_setprop_u32(buf, plic, "#interrupt-cells", 1u), 0);
    assert_int_equal(fdt_setprop_empty(buf, plic, "interrupt-controller"), 0);
    assert_int_equal(fdt_setprop_u32(buf, plic, "phandle", PLIC_PH), 0);
    assert_true((mixed = fdt_add_subnode(buf, 0, "mixed")) >= 0);
    assert_int_equal(fdt_setprop_u32(buf, mixed, "#address-cells", 2u), 0);
    assert_int_equal(fdt_setprop_u32(buf, mixed, "#size-cells", 1u), 0);
    assert_true(fdt_add_subnode(buf, 0, "bare") >= 0);
}

static int path(const void *fdt, const char *p)
{
    int off = fdt_path_offset(fdt, p);

    assert_true(off >= 0);
    return off;
}

static struct avps_fdt_mmio gic_dev(uint64_t base)
{
    struct avps_fdt_mmio d;

    memset(&d, 0, sizeof d);
    d.base = base;
    d.size = 0x200u;
    d.interrupts = gic_irq;
    d.num_interrupt_cells = 3u;
    return d;
}

static struct avps_fdt_mmio plic_dev(uint64_t base)
{
    struct avps_fdt_mmio d;

    memset(&d, 0, sizeof d);
    d.base = base;
    d.size = 0x1000u;
    d.interrupts = plic_irq;
    d.num_interrupt_cells = 1u;
    return d;
}

/* The property's cells must equal want[0..n). */
static void expect_cells(const void *fdt, int node, const char *name, const uint32_t *want,
                         int n)
{
    int len = -1;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
    int i;

    assert_non_null(p);
    assert_int_equal(len, n * 4);
    for (i = 0; i < n; i++)
        assert_int_equal(fdt32_to_cpu(p[i]), want[i]);
}

static void expect_absent(const void *fdt, int node, const char *name)
{
    int len = 0;

    assert_null(fdt_getprop(fdt, node, name, &len));
    assert_int_equal(len, -FDT_ERR_NOTFOUND);
}

static void expect_compatible(const void *fdt, int node)
{
    int len = 0;
    const char *p = fdt_getprop(fdt, node, "compatible", &len);

    assert_non_null(p);
    assert_int_equal(len, (int)sizeof "virtio,mmio");
    assert_memory_equal(p, "virtio,mmio", sizeof "virtio,mmio");
}

static int count_virtio(const void *fdt, int parent)
{
    int node, n = 0;

    fdt_for_each_subnode(node, fdt, parent) {
        if (strncmp(fdt_get_name(fdt, node, NULL), "virtio_mmio@", 12) == 0)
            n++;
    }
    return n;
}

/* ---- node contents -------------------------------------------------------- */

static void test_node_2_2_cells_all_properties(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x1234a000000ull);
    static const uint32_t reg[4] = {0x123u, 0x4a000000u, 0u, 0x200u};
    static const uint32_t ph[1] = {GIC_PH};
    int node, len = -1;

    (void)s;
    build_tree(tree, TREE_SIZE);
    d.interrupt_parent = GIC_PH;
    d.dma_coherent = true;
    node = avps_fdt_add_virtio_mmio(tree, 0, &d);
    assert_true(node >= 0);
    assert_int_equal(fdt_subnode_offset(tree, 0, "virtio_mmio@1234a000000"), node);
    assert_int_equal(fdt_parent_offset(tree, node), 0);
    expect_compatible(tree, node);
    expect_cells(tree, node, "reg", reg, 4);
    expect_cells(tree, node, "interrupts", gic_irq, 3);
    expect_cells(tree, node, "interrupt-parent", ph, 1);
    assert_non_null(fdt_getprop(tree, node, "dma-coherent", &len));
    assert_int_equal(len, 0);
    assert_int_equal(fdt_check_full(tree, TREE_SIZE), 0);
}

static void test_node_1_1_cells_minimal(void **s)
{
    struct avps_fdt_mmio d = plic_dev(0x10001000u);
    static const uint32_t reg[2] = {0x10001000u, 0x1000u};
    int soc, node;

    (void)s;
    build_tree(tree, TREE_SIZE);
    soc = path(tree, "/soc");
    node = avps_fdt_add_virtio_mmio(tree, soc, &d); /* PLIC inherited from /soc */
    assert_true(node >= 0);
    assert_string_equal(fdt_get_name(tree, node, NULL), "virtio_mmio@10001000");
    assert_int_equal(fdt_parent_offset(tree, node), path(tree, "/soc"));
    expect_compatible(tree, node);
    expect_cells(tree, node, "reg", reg, 2);
    expect_cells(tree, node, "interrupts", plic_irq, 1);
    expect_absent(tree, node, "interrupt-parent");
    expect_absent(tree, node, "dma-coherent");
    assert_int_equal(fdt_check_full(tree, TREE_SIZE), 0);
}

static void test_node_mixed_and_default_cells(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x200000000ull);
    static const uint32_t reg3[3] = {0x2u, 0x0u, 0x200u};
    int node;

    (void)s;
    build_tree(tree, TREE_SIZE);
    node = avps_fdt_add_virtio_mmio(tree, path(tree, "/mixed"), &d);
    assert_true(node >= 0);
    expect_cells(tree, node, "reg", reg3, 3);
    node = avps_fdt_add_virtio_mmio(tree, path(tree, "/bare"), &d); /* defaults 2/1 */
    assert_true(node >= 0);
    expect_cells(tree, node, "reg", reg3, 3);
}

static void test_node_name_unit_address(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0u);
    int node;

    (void)s;
    build_tree(tree, TREE_SIZE);
    node = avps_fdt_add_virtio_mmio(tree, 0, &d);
    assert_true(node >= 0);
    assert_string_equal(fdt_get_name(tree, node, NULL), "virtio_mmio@0");
    d.base = 0xfffffffffffffe00ull; /* ends exactly at 2^64 - 1 */
    node = avps_fdt_add_virtio_mmio(tree, 0, &d);
    assert_true(node >= 0);
    assert_string_equal(fdt_get_name(tree, node, NULL), "virtio_mmio@fffffffffffffe00");
    assert_int_equal(strlen(fdt_get_name(tree, node, NULL)) + 1u, AVPS_FDT_MMIO_NAME_MAX);
    d.base = 0xabcdef0u;
    node = avps_fdt_add_virtio_mmio(tree, 0, &d);
    assert_string_equal(fdt_get_name(tree, node, NULL), "virtio_mmio@abcdef0");
}

/* ---- errors --------------------------------------------------------------- */

/* Every buffer size from "not even the node fits" up to "everything fits":
 * each failure is NOSPC, leaves no node and a valid blob; the first size that
 * works succeeds; the size just below it failed after the node was created
 * (on the last property), so the delete path ran. */
static void test_nospc_leaves_no_half_node(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    int base_size, size, nospc = 0, ok_size = -1;

    (void)s;
    d.interrupt_parent = GIC_PH;
    d.dma_coherent = true;
    build_tree(spare, TREE_SIZE);
    assert_int_equal(fdt_pack(spare), 0);
    base_size = (int)fdt_totalsize(spare);
    for (size = base_size; size <= base_size + 512 && ok_size < 0; size += 4) {
        int rc;

        assert_int_equal(fdt_open_into(spare, tree, size), 0);
        rc = avps_fdt_add_virtio_mmio(tree, 0, &d);
        if (rc >= 0) {
            ok_size = size;
            break;
        }
        assert_int_equal(rc, AVPS_E_NOSPC);
        assert_int_equal(fdt_subnode_offset(tree, 0, "virtio_mmio@a000000"),
                         -FDT_ERR_NOTFOUND);
        assert_int_equal(count_virtio(tree, 0), 0);
        assert_int_equal(fdt_check_full(tree, (size_t)size), 0);
        nospc++;
    }
    assert_true(ok_size > 0);
    assert_true(nospc > 8); /* node header, name and five properties */

    /* The blob that failed is still usable: grow it and retry. */
    assert_int_equal(fdt_open_into(spare, tree, ok_size - 4), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_NOSPC);
    assert_int_equal(fdt_open_into(tree, tree, TREE_SIZE), 0);
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &d) >= 0);
    assert_int_equal(count_virtio(tree, 0), 1);
}

static void test_reg_does_not_fit_cells(void **s)
{
    struct avps_fdt_mmio d = plic_dev(0x100000000ull);
    int soc;

    (void)s;
    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    soc = path(tree, "/soc");
    /* base beyond one address cell */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, soc, &d), AVPS_E_INVAL);
    /* base fits, region end does not */
    d.base = 0xfffff800u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, soc, &d), AVPS_E_INVAL);
    /* last byte at 0xffffffff is fine */
    d.base = 0xfffff000u;
    memcpy(spare, tree, TREE_SIZE);
    assert_true(avps_fdt_add_virtio_mmio(tree, soc, &d) >= 0);
    memcpy(tree, spare, TREE_SIZE);
    /* size beyond one size cell (under /mixed, 2/1, GIC inherited) */
    d = gic_dev(0u);
    d.size = 0x100000000ull;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, path(tree, "/mixed"), &d), AVPS_E_INVAL);
    assert_memory_equal(tree, spare, TREE_SIZE); /* nothing written */
}

static void test_region_checks(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);

    (void)s;
    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    d.size = 0u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.size = AVPS_FDT_MMIO_MIN_SIZE - 1u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.base = UINT64_MAX - 0xffu; /* [base, base + 0x200) wraps */
    d.size = 0x200u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    assert_memory_equal(tree, spare, TREE_SIZE);
    d.base = 0x0a000000u;
    d.size = AVPS_FDT_MMIO_MIN_SIZE;
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &d) >= 0);
}

static void test_parent_cells_not_1_or_2(void **s)
{
    static const fdt32_t bad_len[2] = {0, 0};
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    int node;

    (void)s;
    build_tree(tree, TREE_SIZE);
    node = path(tree, "/bare");
    assert_int_equal(fdt_setprop_u32(tree, node, "#address-cells", 3u), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, node, &d), AVPS_E_INVAL);
    assert_int_equal(fdt_setprop_u32(tree, node, "#address-cells", 0u), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, node, &d), AVPS_E_INVAL);
    assert_int_equal(fdt_setprop(tree, node, "#address-cells", bad_len, sizeof bad_len), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, node, &d), AVPS_E_INVAL);
    assert_int_equal(fdt_setprop_u32(tree, node, "#address-cells", 1u), 0);
    assert_int_equal(fdt_setprop_u32(tree, node, "#size-cells", 0u), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, node, &d), AVPS_E_INVAL);
    assert_int_equal(fdt_setprop_u32(tree, node, "#size-cells", 3u), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, node, &d), AVPS_E_INVAL);
    assert_int_equal(count_virtio(tree, node), 0);
    assert_int_equal(fdt_setprop_u32(tree, node, "#size-cells", 1u), 0);
    assert_true(avps_fdt_add_virtio_mmio(tree, node, &d) >= 0);
}

static void test_duplicate_is_state(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    struct avps_fdt_mmio other = gic_dev(0x0a000000u);
    int node;

    (void)s;
    build_tree(tree, TREE_SIZE);
    node = avps_fdt_add_virtio_mmio(tree, 0, &d);
    assert_true(node >= 0);
    memcpy(spare, tree, TREE_SIZE);
    other.dma_coherent = true; /* a different description at the same base */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &other), AVPS_E_STATE);
    assert_memory_equal(tree, spare, TREE_SIZE);
    assert_int_equal(count_virtio(tree, 0), 1);
    expect_absent(tree, fdt_subnode_offset(tree, 0, "virtio_mmio@a000000"), "dma-coherent");
    /* the same base under another parent is a different node */
    d = plic_dev(0x0a000000u);
    assert_true(avps_fdt_add_virtio_mmio(tree, path(tree, "/soc"), &d) >= 0);
}

static void test_bad_arguments(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    static const uint32_t many[AVPS_FDT_MAX_INTERRUPT_CELLS + 1u] = {0};

    (void)s;
    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    assert_int_equal(avps_fdt_add_virtio_mmio(NULL, 0, &d), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, -1, &d), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 4, &d), AVPS_E_INVAL); /* not a node */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, TREE_SIZE, &d), AVPS_E_INVAL);
    d.interrupts = NULL;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.interrupts = many;
    d.num_interrupt_cells = 0u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.num_interrupt_cells = AVPS_FDT_MAX_INTERRUPT_CELLS + 1u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);

    d = gic_dev(0x0a000000u);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(NULL, 0, &d, 1u), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, NULL, 1u), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, -1, &d, 1u), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, &d, (size_t)INT_MAX + 1u),
                     AVPS_E_INVAL);
    assert_memory_equal(tree, spare, TREE_SIZE);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, NULL, 0u), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, &d, 0u), 0);
    assert_memory_equal(tree, spare, TREE_SIZE);
}

static void test_interrupt_controller_checks(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    int a, b;

    (void)s;
    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    /* inherited GIC wants 3 cells */
    d.num_interrupt_cells = 1u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    /* explicit PLIC wants 1 */
    d.interrupt_parent = PLIC_PH;
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &d) >= 0);
    memcpy(tree, spare, TREE_SIZE);
    d.num_interrupt_cells = 3u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    /* explicit phandles that lead nowhere */
    d.interrupt_parent = 7u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.interrupt_parent = UINT32_MAX;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    /* a malformed #interrupt-cells */
    d.interrupt_parent = GIC_PH;
    assert_int_equal(fdt_setprop(tree, path(tree, "/intc@8000000"), "#interrupt-cells",
                                 "x", 1), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    assert_int_equal(count_virtio(tree, 0), 0);

    /* an interrupt-parent cycle with no controller on it */
    memcpy(tree, spare, TREE_SIZE);
    assert_true((a = fdt_add_subnode(tree, 0, "loop-a")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "phandle", 10u), 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "interrupt-parent", 11u), 0);
    assert_true((b = fdt_add_subnode(tree, 0, "loop-b")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, b, "phandle", 11u), 0);
    assert_int_equal(fdt_setprop_u32(tree, b, "interrupt-parent", 10u), 0);
    d.interrupt_parent = 10u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);

    /* a chain: phandle 12 has no #interrupt-cells but points at the GIC */
    assert_true((a = fdt_add_subnode(tree, 0, "irq-router")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "phandle", 12u), 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "interrupt-parent", GIC_PH), 0);
    d.interrupt_parent = 12u;
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &d) >= 0);

    /* explicit: a node whose own interrupt-parent dangles is no controller */
    assert_true((a = fdt_add_subnode(tree, 0, "dangling")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "phandle", 13u), 0);
    assert_int_equal(fdt_setprop_u32(tree, a, "interrupt-parent", 99u), 0);
    d.interrupt_parent = 13u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    /* inherited through the same dangling reference: the tree's own problem */
    d.interrupt_parent = 0u;
    assert_true(avps_fdt_add_virtio_mmio(tree, path(tree, "/dangling"), &d) >= 0);

    /* no controller anywhere: nothing to check against, so accepted */
    build_tree(tree, TREE_SIZE);
    assert_int_equal(fdt_delprop(tree, 0, "interrupt-parent"), 0);
    d.interrupt_parent = 0u;
    d.num_interrupt_cells = 2u;
    assert_true(avps_fdt_add_virtio_mmio(tree, path(tree, "/bare"), &d) >= 0);
}

static void test_bad_blob(void **s)
{
    struct avps_fdt_mmio d = gic_dev(0x0a000000u);
    struct fdt_header *h = (struct fdt_header *)(void *)tree;

    (void)s;
    memset(tree, 0, TREE_SIZE); /* no magic */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, &d, 1u), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, &d, 0u), AVPS_E_INVAL);

    build_tree(tree, TREE_SIZE);
    h->magic = cpu_to_fdt32(0xd00dfeedu ^ 1u);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);

    build_tree(tree, TREE_SIZE);
    h->version = cpu_to_fdt32(16u); /* readable, but libfdt writes only v17 */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, &d, 1u), AVPS_E_INVAL);

    build_tree(tree, TREE_SIZE);
    h->off_dt_struct = cpu_to_fdt32(TREE_SIZE * 2u); /* blocks outside the blob */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);

    build_tree(tree, TREE_SIZE);
    h->totalsize = cpu_to_fdt32(16u); /* smaller than the header */
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);

    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    /* blocks misordered (strings before the structure): unusable for writing */
    {
        uint32_t st = fdt32_to_cpu(h->off_dt_struct);
        uint32_t str = fdt32_to_cpu(h->off_dt_strings);
        uint32_t sst = fdt32_to_cpu(h->size_dt_struct);
        uint32_t sstr = fdt32_to_cpu(h->size_dt_strings);

        memmove(tree + st, spare + str, sstr);
        memmove(tree + st + sstr, spare + st, sst);
        h->off_dt_strings = cpu_to_fdt32(st);
        h->off_dt_struct = cpu_to_fdt32(st + sstr);
    }
    assert_int_equal(fdt_check_header(tree), 0);
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
}

/* ---- several at once ------------------------------------------------------ */

static void make_slots(struct avps_fdt_mmio *devs, uint32_t (*irq)[3], unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        irq[i][0] = 0u;
        irq[i][1] = 16u + i;
        irq[i][2] = 4u;
        devs[i] = gic_dev(0x0a000000u + 0x200u * i);
        devs[i].interrupts = irq[i];
        devs[i].dma_coherent = i == 0u;
    }
}

static void test_n_adds_in_order(void **s)
{
    struct avps_fdt_mmio devs[4];
    uint32_t irq[4][3];
    static const char *const names[4] = {"virtio_mmio@a000000", "virtio_mmio@a000200",
                                         "virtio_mmio@a000400", "virtio_mmio@a000600"};
    int node, i = 0, len;

    (void)s;
    make_slots(devs, irq, 4u);
    build_tree(tree, TREE_SIZE);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, devs, 4u), 4);
    fdt_for_each_subnode(node, tree, 0) {
        const char *name = fdt_get_name(tree, node, NULL);

        if (strncmp(name, "virtio_mmio@", 12) != 0)
            continue;
        assert_true(i < 4);
        assert_string_equal(name, names[i]);
        expect_cells(tree, node, "interrupts", irq[i], 3);
        len = -1;
        if (i == 0) {
            assert_non_null(fdt_getprop(tree, node, "dma-coherent", &len));
        } else {
            expect_absent(tree, node, "dma-coherent");
        }
        i++;
    }
    assert_int_equal(i, 4);
}

static void test_n_all_or_nothing(void **s)
{
    struct avps_fdt_mmio devs[4];
    uint32_t irq[4][3];
    int base_size, size, nospc = 0;

    (void)s;
    make_slots(devs, irq, 4u);

    /* an invalid description anywhere: nothing is written */
    build_tree(tree, TREE_SIZE);
    memcpy(spare, tree, TREE_SIZE);
    devs[2].size = 0u;
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, devs, 4u), AVPS_E_INVAL);
    assert_memory_equal(tree, spare, TREE_SIZE);
    devs[2].size = 0x200u;

    /* two descriptions with one base: rolled back */
    devs[3].base = devs[1].base;
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, devs, 4u), AVPS_E_STATE);
    assert_int_equal(count_virtio(tree, 0), 0);
    devs[3].base = 0x0a000600u;

    /* one already in the tree: it stays, the rest are rolled back */
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &devs[1]) >= 0);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(tree, 0, devs, 4u), AVPS_E_STATE);
    assert_int_equal(count_virtio(tree, 0), 1);
    assert_true(fdt_subnode_offset(tree, 0, "virtio_mmio@a000200") >= 0);

    /* the blob fills up part way: none are left */
    build_tree(spare, TREE_SIZE);
    assert_int_equal(fdt_pack(spare), 0);
    base_size = (int)fdt_totalsize(spare);
    for (size = base_size; size <= base_size + 1024; size += 8) {
        int rc;

        assert_int_equal(fdt_open_into(spare, tree, size), 0);
        rc = avps_fdt_add_virtio_mmio_n(tree, 0, devs, 4u);
        if (rc == 4)
            break;
        assert_int_equal(rc, AVPS_E_NOSPC);
        assert_int_equal(count_virtio(tree, 0), 0);
        assert_int_equal(fdt_check_full(tree, (size_t)size), 0);
        nospc++;
    }
    assert_true(size <= base_size + 1024);
    assert_true(nospc > 16);
    assert_int_equal(count_virtio(tree, 0), 4);
}

/* Found by fuzz/fdt_fuzz.c (fuzz/crashes/fdt/rsvmap-overlap): a memory
 * reservation map whose terminator lies past the start of the structure block.
 * libfdt would insert the node and thereby rewrite the map's entries; the add
 * must be refused and the blob left exactly as it was. */
static void test_fuzz_fdt_rsvmap_runs_into_struct_block(void **s)
{
    static uint8_t buf[4096], before[4096];
    const uint32_t irq[3] = {0u, 16u, 4u};
    struct avps_fdt_mmio dev;
    uint32_t off_rsv;
    uint8_t *term;

    (void)s;
    build_tree(buf, sizeof buf);
    assert_int_equal(fdt_add_mem_rsv(buf, 0x80000000ull, 0x1000ull), 0);
    assert_int_equal(fdt_num_mem_rsv(buf), 1);
    off_rsv = fdt_off_mem_rsvmap(buf);
    /* overwrite the terminating (0, 0) entry: the map now runs on into the
     * structure block until some 16 bytes there read as a zero size */
    term = buf + off_rsv + 16u;
    memset(term, 0x11, 16);
    assert_true(fdt_num_mem_rsv(buf) > 1);
    memset(&dev, 0, sizeof dev);
    dev.base = 0x0a000000u;
    dev.size = 0x200u;
    dev.interrupts = irq;
    dev.num_interrupt_cells = 3u;
    memcpy(before, buf, sizeof buf);
    assert_int_equal(avps_fdt_add_virtio_mmio(buf, 0, &dev), AVPS_E_INVAL);
    assert_memory_equal(buf, before, sizeof buf);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(buf, 0, &dev, 1u), AVPS_E_INVAL);
    assert_memory_equal(buf, before, sizeof buf);
}

/* Found by fuzz/fdt_fuzz.c (fuzz/crashes/fdt/prop-length-wraps): the blob of
 * that input, whose last property's length (0xfffffff4) wraps the
 * structure-block offset back onto an earlier tag: libfdt 1.6's node lookup
 * then goes round for ever. The add must be refused at once, blob untouched. */
static void test_fuzz_fdt_prop_length_wraps(void **s)
{
    static const uint8_t blob[] = {
        0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x00, 0xc9, 0x00, 0x00, 0x00, 0x38,
        0x00, 0x00, 0x00, 0xb0, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x11,
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19,
        0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04,
        0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
        0x62, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04,
        0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
        0xff, 0xff, 0xff, 0xf4, 0x96, 0x91, 0x8b, 0x9a, 0x8d, 0x8d, 0x75, 0x70,
        0x74, 0x2d, 0x70, 0x61, 0x72, 0x65, 0x6e, 0x7b, 0x00,
    };
    static uint8_t buf[201], before[sizeof buf];
    const uint32_t irq[3] = {0u, 16u, 4u};
    struct avps_fdt_mmio dev;

    (void)s;
    memset(buf, 0, sizeof buf);
    memcpy(buf, blob, sizeof blob);
    assert_int_equal(fdt_totalsize(buf), sizeof buf);
    memset(&dev, 0, sizeof dev);
    dev.base = 0x0a000000u;
    dev.size = 0x200u;
    dev.interrupts = irq;
    dev.num_interrupt_cells = 3u;
    memcpy(before, buf, sizeof buf);
    assert_int_equal(avps_fdt_add_virtio_mmio(buf, 0, &dev), AVPS_E_INVAL);
    assert_int_equal(avps_fdt_add_virtio_mmio_n(buf, 0, &dev, 1u), AVPS_E_INVAL);
    assert_memory_equal(buf, before, sizeof buf);
}

/* ---- the example, decompiled ---------------------------------------------- */

#ifdef AVPS_FDT_DEMO
/* Run cmd and return its whole stdout in buf (NUL-terminated), or -1. */
static int run_capture(const char *cmd, char *buf, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0, got;

    if (p == NULL)
        return -1;
    while (n + 1u < cap && (got = fread(buf + n, 1, cap - 1u - n, p)) > 0u)
        n += got;
    buf[n] = '\0';
    return pclose(p);
}

/* Only in builds with the example (AVPS_BUILD_EXAMPLES): without it there is
 * nothing to decompile, and the test is not registered rather than skipped. */
static void test_example_dtb_decompiles(void **s)
{
    static char out[16384];
    (void)s;
    static const char *const want[] = {
        "compatible = \"linux,dummy-virt\";",
        "intc@8000000 {",
        "compatible = \"arm,gic-v3\";",
        "#interrupt-cells = <0x03>;",
        "interrupt-controller;",
        "phandle = <0x01>;",
        "interrupt-parent = <0x01>;",
        "virtio_mmio@a000000 {",
        "virtio_mmio@a000200 {",
        "virtio_mmio@a000400 {",
        "virtio_mmio@a000600 {",
        "compatible = \"virtio,mmio\";",
        "reg = <0x00 0xa000000 0x00 0x200>;",
        "reg = <0x00 0xa000600 0x00 0x200>;",
        "interrupts = <0x00 0x10 0x04>;",
        "interrupts = <0x00 0x13 0x04>;",
        "dma-coherent;",
    };
    char dtb[] = "/tmp/avps-fdt-demo-XXXXXX";
    char cmd[512];
    const char *a, *b, *c;
    size_t i;
    int fd;

    (void)s;
    fd = mkstemp(dtb);
    assert_true(fd >= 0);
    close(fd);

    snprintf(cmd, sizeof cmd, "'%s' '%s'", AVPS_FDT_DEMO, dtb);
    assert_int_equal(run_capture(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "added /virtio_mmio@a000000"));
    assert_non_null(strstr(out, "wrote "));

    snprintf(cmd, sizeof cmd, "dtc -I dtb -O dts '%s'", dtb);
    assert_int_equal(run_capture(cmd, out, sizeof out), 0);
    unlink(dtb);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (strstr(out, want[i]) == NULL)
            fail_msg("decompiled .dts lacks \"%s\":\n%s", want[i], out);
    }
    /* tree order is the order the example gave */
    a = strstr(out, "virtio_mmio@a000000");
    b = strstr(out, "virtio_mmio@a000200");
    c = strstr(out, "virtio_mmio@a000600");
    assert_true(a < b && b < c);
    /* dma-coherent only on the first node */
    assert_non_null(strstr(a, "dma-coherent;"));
    assert_true(strstr(a, "dma-coherent;") < b);
    assert_null(strstr(b, "dma-coherent;"));
}
#endif /* AVPS_FDT_DEMO */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_2_2_cells_all_properties),
        cmocka_unit_test(test_node_1_1_cells_minimal),
        cmocka_unit_test(test_node_mixed_and_default_cells),
        cmocka_unit_test(test_node_name_unit_address),
        cmocka_unit_test(test_nospc_leaves_no_half_node),
        cmocka_unit_test(test_reg_does_not_fit_cells),
        cmocka_unit_test(test_region_checks),
        cmocka_unit_test(test_parent_cells_not_1_or_2),
        cmocka_unit_test(test_duplicate_is_state),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_interrupt_controller_checks),
        cmocka_unit_test(test_bad_blob),
        cmocka_unit_test(test_n_adds_in_order),
        cmocka_unit_test(test_n_all_or_nothing),
        cmocka_unit_test(test_fuzz_fdt_rsvmap_runs_into_struct_block),
        cmocka_unit_test(test_fuzz_fdt_prop_length_wraps),
#ifdef AVPS_FDT_DEMO
        cmocka_unit_test(test_example_dtb_decompiles),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

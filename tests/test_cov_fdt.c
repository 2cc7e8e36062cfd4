/*
 * test_cov_fdt: the interrupt-controller walk of avps_fdt_add_virtio_mmio()
 * meeting a malformed interrupt-parent property on its way. The tree is the
 * caller's data, not the guest's, but it is still checked rather than
 * trusted (include/avps/fdt.h: "the blob is malformed ... AVPS_E_INVAL").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <libfdt.h>

#include <avps/err.h>
#include <avps/fdt.h>

#define TREE_SIZE 4096

static uint8_t tree[TREE_SIZE];
static const uint32_t gic_irq[3] = {0u, 16u, 4u};

/* root (2/2 cells) -> intc (phandle 1, 3 cells) and router (phandle 2,
 * no #interrupt-cells, interrupt-parent one byte long). */
static int build(void)
{
    int intc, router;

    assert_int_equal(fdt_create_empty_tree(tree, TREE_SIZE), 0);
    assert_int_equal(fdt_setprop_u32(tree, 0, "#address-cells", 2u), 0);
    assert_int_equal(fdt_setprop_u32(tree, 0, "#size-cells", 2u), 0);
    assert_true((intc = fdt_add_subnode(tree, 0, "intc")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, intc, "#interrupt-cells", 3u), 0);
    assert_int_equal(fdt_setprop_u32(tree, intc, "phandle", 1u), 0);
    assert_true((router = fdt_add_subnode(tree, 0, "router")) >= 0);
    assert_int_equal(fdt_setprop_u32(tree, router, "phandle", 2u), 0);
    assert_int_equal(fdt_setprop(tree, router, "interrupt-parent", "x", 1), 0);
    assert_int_equal(fdt_setprop_u32(tree, router, "#address-cells", 2u), 0);
    assert_int_equal(fdt_setprop_u32(tree, router, "#size-cells", 2u), 0);
    return router;
}

static int count_virtio(void)
{
    int n = 0;
    int node;

    fdt_for_each_subnode(node, tree, 0) {
        if (strncmp(fdt_get_name(tree, node, NULL), "virtio_mmio@", 12) == 0)
            n++;
    }
    return n;
}

/* The walk from an explicit phandle, or inherited from the parent, reaches
 * a node whose interrupt-parent is not one cell: refused, nothing added. */
static void test_fdt_malformed_interrupt_parent_refused(void **s)
{
    struct avps_fdt_mmio d;
    int router;

    (void)s;
    router = build();
    memset(&d, 0, sizeof d);
    d.base = 0x0a000000u;
    d.size = 0x200u;
    d.interrupts = gic_irq;
    d.num_interrupt_cells = 3u;
    d.interrupt_parent = 2u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, 0, &d), AVPS_E_INVAL);
    d.interrupt_parent = 0u;
    assert_int_equal(avps_fdt_add_virtio_mmio(tree, router, &d), AVPS_E_INVAL);
    assert_int_equal(count_virtio(), 0);
    assert_true(fdt_subnode_offset(tree, router, "virtio_mmio@a000000") < 0);
    /* naming the controller itself works */
    d.interrupt_parent = 1u;
    assert_true(avps_fdt_add_virtio_mmio(tree, 0, &d) >= 0);
    assert_int_equal(count_virtio(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fdt_malformed_interrupt_parent_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

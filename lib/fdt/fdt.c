/*
 * lib/fdt: virtio-mmio device-tree nodes, written with libfdt's read-write API
 * into the caller's blob. Everything is checked before the blob is touched;
 * after that, a failed property write deletes the node again, so the blob
 * never holds a half-written node. No allocation: names and reg cells live on
 * the stack in fixed-size arrays, and libfdt works in place.
 *
 * Binding: Documentation/devicetree/bindings/virtio/mmio.yaml (Linux);
 * register file: VIRTIO 1.2 section 4.2.2.
 */
#include <avps/err.h>
#include <avps/fdt.h>
#include <avps/virtio/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libfdt.h>

/* Longest interrupt-parent chain we follow (Linux's of_irq_find_parent walk):
 * enough for any real tree, and it stops a phandle cycle. */
#define IRQ_WALK_MAX 64

/* "virtio_mmio@" without its NUL. */
#define NAME_PREFIX_LEN 12u

/* Parent cell sizes for reg, read once per node. */
struct cells_ {
    int addr;
    int size;
};

/* libfdt's errors, grouped by who was at fault. Everything that is not "full"
 * or "already there" means the blob or an offset was unusable. */
static int map_err_(int fdt_err)
{
    switch (fdt_err) {
    case -FDT_ERR_NOSPACE:
        return AVPS_E_NOSPC;
    case -FDT_ERR_EXISTS:
        return AVPS_E_STATE;
    default:
        return AVPS_E_INVAL;
    }
}

/* "virtio_mmio@<base>": lower-case hex, no leading zeros (DT spec 2.2.1). */
static void node_name_(char out[AVPS_FDT_MMIO_NAME_MAX], uint64_t base)
{
    static const char prefix[] = "virtio_mmio@";
    static const char hex[] = "0123456789abcdef";
    char digits[16];
    uint64_t rest = base;
    size_t nd = 0u;
    size_t i;

    AVPS_STATIC_ASSERT((sizeof(prefix) - 1u) == NAME_PREFIX_LEN, "prefix length");
    AVPS_STATIC_ASSERT(((NAME_PREFIX_LEN + sizeof(digits)) + 1u) == AVPS_FDT_MMIO_NAME_MAX,
                   "AVPS_FDT_MMIO_NAME_MAX");
    do {
        digits[nd] = hex[rest & 0xfu];
        nd++;
        rest >>= 4;
    } while (rest != 0u);
    (void)memcpy(out, prefix, NAME_PREFIX_LEN);
    for (i = 0u; i < nd; i++) {
        out[NAME_PREFIX_LEN + i] = digits[nd - 1u - i];
    }
    out[NAME_PREFIX_LEN + nd] = '\0';
}

/* A one-cell property, 0 when absent; a wrong length is a malformed blob. */
static int read_cell_(const void *fdt, int node, const char *name, uint32_t *out)
{
    int len = 0;
    const void *p = fdt_getprop(fdt, node, name, &len);

    *out = 0u;
    if (p == NULL) {
        return (len == -FDT_ERR_NOTFOUND) ? 0 : AVPS_E_INVAL;
    }
    if (len != (int)sizeof(fdt32_t)) {
        return AVPS_E_INVAL;
    }
    *out = fdt32_ld((const fdt32_t *)p);
    return 1;
}

/*
 * Find the interrupt controller the node will use and check the cell count
 * against its #interrupt-cells. The walk is Linux's of_irq_find_parent(): from
 * the explicit interrupt-parent, or else from the devicetree parent, follow
 * interrupt-parent (or go up one level when there is none) until a node has
 * #interrupt-cells. An explicit phandle must lead to a controller; an
 * inherited one that leads nowhere is the rest of the tree's business.
 */
static int check_irq_(const void *fdt, int parent, const struct avps_fdt_mmio *dev)
{
    const bool explicit_ph = dev->interrupt_parent != 0u;
    int node = parent;
    int hops;

    if ((dev->interrupts == NULL) || (dev->num_interrupt_cells == 0u) ||
        (dev->num_interrupt_cells > AVPS_FDT_MAX_INTERRUPT_CELLS)) {
        return AVPS_E_INVAL;
    }
    if (dev->interrupt_parent == UINT32_MAX) {
        return AVPS_E_INVAL;
    }
    if (explicit_ph) {
        node = fdt_node_offset_by_phandle(fdt, dev->interrupt_parent);
        if (node < 0) {
            return AVPS_E_INVAL;
        }
    }
    for (hops = 0; hops < IRQ_WALK_MAX; hops++) {
        uint32_t v = 0u;
        int rc = read_cell_(fdt, node, "#interrupt-cells", &v);

        if (rc < 0) {
            return rc;
        }
        if (rc > 0) {
            return (v == dev->num_interrupt_cells) ? AVPS_OK : AVPS_E_INVAL;
        }
        rc = read_cell_(fdt, node, "interrupt-parent", &v);
        if (rc < 0) {
            return rc;
        }
        if (rc > 0) {
            node = fdt_node_offset_by_phandle(fdt, v);
        } else if (node == 0) {
            node = -FDT_ERR_NOTFOUND; /* the root, and no controller named */
        } else {
            node = fdt_parent_offset(fdt, node);
        }
        if (node < 0) {
            return explicit_ph ? AVPS_E_INVAL : AVPS_OK;
        }
    }
    return AVPS_E_INVAL; /* an interrupt-parent cycle */
}

/* The memory reservation map ends before the structure block. libfdt's
 * read-write functions only check that one entry fits there; a map whose
 * terminating entry lies in the structure block, the strings or the free
 * space changes its entries, or loses its terminator, when a node is
 * inserted (found by fuzz/fdt_fuzz.c, reproducers in fuzz/crashes/fdt/). */
static bool rsvmap_ok_(const void *fdt)
{
    const int n = fdt_num_mem_rsv(fdt);

    return (n >= 0) &&
           (((uint64_t)fdt_off_mem_rsvmap(fdt) +
             (((uint64_t)n + 1u) * sizeof(struct fdt_reserve_entry))) <=
            fdt_off_dt_struct(fdt));
}

/* The structure block walks forward to FDT_END with balanced nodes. libfdt
 * 1.6 trusts property lengths: one that wraps the offset sends its lookups
 * round in circles for ever (found by fuzz/fdt_fuzz.c, reproducer in
 * fuzz/crashes/fdt/). Bounded: every step moves at least one tag forward. */
static bool struct_ok_(const void *fdt)
{
    int next = 0;
    int depth = 0;
    uint32_t tag;

    do {
        const int off = next;

        tag = fdt_next_tag(fdt, off, &next);
        if ((next < 0) || ((tag != (uint32_t)FDT_END) && (next <= off))) {
            return false;
        }
        if (tag == (uint32_t)FDT_BEGIN_NODE) {
            depth++;
        } else if (tag == (uint32_t)FDT_END_NODE) {
            depth--;
            if (depth < 0) {
                return false;
            }
        } else {
            /* properties and NOPs keep the depth */
        }
    } while (tag != (uint32_t)FDT_END);
    return depth == 0;
}

/* Everything about one description that can be known without writing. */
static int check_(const void *fdt, int parent, const struct avps_fdt_mmio *dev,
                  struct cells_ *cells)
{
    uint64_t end;

    if ((fdt == NULL) || (dev == NULL) || (parent < 0)) {
        return AVPS_E_INVAL;
    }
    if ((fdt_check_header(fdt) != 0) || !rsvmap_ok_(fdt) || !struct_ok_(fdt)) {
        return AVPS_E_INVAL;
    }
    /* Also proves parent is a node offset (BADOFFSET otherwise). Missing
     * properties give the devicetree defaults, 2 and 1. */
    cells->addr = fdt_address_cells(fdt, parent);
    cells->size = fdt_size_cells(fdt, parent);
    if ((cells->addr < 1) || (cells->addr > 2) || (cells->size < 1) || (cells->size > 2)) {
        return AVPS_E_INVAL;
    }
    if ((dev->size < AVPS_FDT_MMIO_MIN_SIZE) || ((dev->size - 1u) > (UINT64_MAX - dev->base))) {
        return AVPS_E_INVAL;
    }
    end = dev->base + (dev->size - 1u);
    if ((cells->addr == 1) && (end > UINT32_MAX)) {
        return AVPS_E_INVAL;
    }
    if ((cells->size == 1) && (dev->size > UINT32_MAX)) {
        return AVPS_E_INVAL;
    }
    return check_irq_(fdt, parent, dev);
}

/* A property of cells, converted to big-endian in place in the blob. */
static int set_cells_(void *fdt, int node, const char *name, const uint32_t *v, uint32_t n)
{
    /* n is at most AVPS_FDT_MAX_INTERRUPT_CELLS (checked): the size fits an int. */
    const size_t bytes = (size_t)n * sizeof(fdt32_t);
    void *data = NULL;
    uint32_t i;
    int rc = fdt_setprop_placeholder(fdt, node, name, (int)bytes, &data);

    if (rc != 0) {
        return rc;
    }
    for (i = 0u; i < n; i++) {
        fdt32_st(&((char *)data)[i * sizeof(fdt32_t)], v[i]);
    }
    return 0;
}

/* Write one checked description. Returns the node offset or an avps_err. */
static int add_(void *fdt, int parent, const struct avps_fdt_mmio *dev,
                const struct cells_ *cells)
{
    static const char compatible[] = "virtio,mmio";
    char name[AVPS_FDT_MMIO_NAME_MAX];
    uint32_t reg[4];
    uint32_t nreg = 0u;
    int node;
    int rc;

    if (cells->addr == 2) {
        reg[nreg] = (uint32_t)(dev->base >> 32);
        nreg++;
    }
    reg[nreg] = (uint32_t)dev->base;
    nreg++;
    if (cells->size == 2) {
        reg[nreg] = (uint32_t)(dev->size >> 32);
        nreg++;
    }
    reg[nreg] = (uint32_t)dev->size;
    nreg++;

    node_name_(name, dev->base);
    node = fdt_add_subnode(fdt, parent, name);
    if (node < 0) {
        return map_err_(node);
    }

    rc = fdt_setprop(fdt, node, "compatible", compatible, (int)sizeof compatible);
    if (rc == 0) {
        rc = set_cells_(fdt, node, "reg", reg, nreg);
    }
    if (rc == 0) {
        rc = set_cells_(fdt, node, "interrupts", dev->interrupts, dev->num_interrupt_cells);
    }
    if ((rc == 0) && (dev->interrupt_parent != 0u)) {
        rc = fdt_setprop_u32(fdt, node, "interrupt-parent", dev->interrupt_parent);
    }
    if ((rc == 0) && dev->dma_coherent) {
        rc = fdt_setprop_empty(fdt, node, "dma-coherent");
    }
    if (rc != 0) {
        /* Deleting only shrinks the blob, so it cannot run out of space. */
        (void)fdt_del_node(fdt, node);
        return map_err_(rc);
    }
    return node;
}

/* Remove the node a description would have added, if it is there. */
static void remove_(void *fdt, int parent, const struct avps_fdt_mmio *dev)
{
    char name[AVPS_FDT_MMIO_NAME_MAX];
    int node;

    node_name_(name, dev->base);
    node = fdt_subnode_offset(fdt, parent, name);
    if (node >= 0) {
        (void)fdt_del_node(fdt, node);
    }
}

int avps_fdt_add_virtio_mmio(void *fdt, int parent, const struct avps_fdt_mmio *dev)
{
    struct cells_ cells;
    int rc = check_(fdt, parent, dev, &cells);

    if (rc != AVPS_OK) {
        return rc;
    }
    return add_(fdt, parent, dev, &cells);
}

int avps_fdt_add_virtio_mmio_n(void *fdt, int parent, const struct avps_fdt_mmio *devs,
                               size_t n)
{
    struct cells_ cells;
    size_t i;
    int rc;

    if ((fdt == NULL) || (parent < 0) || ((devs == NULL) && (n != 0u)) || (n > (size_t)INT_MAX)) {
        return AVPS_E_INVAL;
    }
    if (fdt_check_header(fdt) != 0) {
        return AVPS_E_INVAL;
    }
    for (i = 0u; i < n; i++) {
        rc = check_(fdt, parent, &devs[i], &cells);
        if (rc != AVPS_OK) {
            return rc;
        }
    }
    /* libfdt puts a new child before its siblings: add last to first so the
     * tree lists devs in the caller's order. Adding children moves neither
     * the parent nor its cell sizes, so cells from the checks still hold. */
    for (i = n; i > 0u; i--) {
        rc = add_(fdt, parent, &devs[i - 1u], &cells);
        if (rc < 0) {
            size_t j;

            for (j = i; j < n; j++) {
                remove_(fdt, parent, &devs[j]);
            }
            return rc;
        }
    }
    return (int)n;
}

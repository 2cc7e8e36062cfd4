/**
 * @file fdt.h
 * @brief Device-tree nodes for virtio-mmio devices, written into a caller's
 *        flattened device tree (FDT) through libfdt.
 *
 * A hypervisor that boots a guest with a device tree describes each
 * virtio-mmio transport it emulates with one node:
 *
 * @code
 * virtio_mmio@a000000 {
 *     compatible = "virtio,mmio";
 *     reg = <0x00 0xa000000 0x00 0x200>;
 *     interrupts = <0x00 0x10 0x04>;
 *     interrupt-parent = <0x01>;   (only when given)
 *     dma-coherent;                (only when set)
 * };
 * @endcode
 *
 * (Devicetree binding Documentation/devicetree/bindings/virtio/mmio.yaml;
 * VIRTIO 1.2 section 4.2.)
 *
 * The functions work on a blob the caller owns and has opened for writing
 * with libfdt (fdt_create_empty_tree(), fdt_open_into(), ...). They never
 * allocate and never grow the blob: when it is full they fail with
 * AVPS_E_NOSPC and leave it as it was, so the caller can fdt_open_into() a
 * larger buffer and try again.
 *
 * This module is built as its own library, avps_fdt, which links libfdt
 * (-lfdt); the core avps library does not depend on libfdt. The header itself
 * needs only the C standard headers.
 */
#ifndef AVPS_FDT_H
#define AVPS_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup fdt Device-tree output
 * @{ */

/** Most interrupt cells one node accepts (struct avps_fdt_mmio::num_interrupt_cells). */
#define AVPS_FDT_MAX_INTERRUPT_CELLS 16u

/** Smallest region a virtio-mmio node accepts: the register file, whose last
 *  register (ConfigGeneration) ends at 0x100 where device config starts. */
#define AVPS_FDT_MMIO_MIN_SIZE 0x100u

/** Longest node name this module writes: "virtio_mmio@" and 16 hex digits,
 *  plus the terminating NUL. */
#define AVPS_FDT_MMIO_NAME_MAX 29u

/**
 * Description of one virtio-mmio transport. The caller owns it; the functions
 * only read it during the call.
 */
struct avps_fdt_mmio {
    /** Guest-physical base address of the register window. Also the node's
     *  unit address. */
    uint64_t base;
    /** Size of the window in bytes; at least AVPS_FDT_MMIO_MIN_SIZE.
     *  [base, base + size) must not wrap. */
    uint64_t size;
    /** The interrupt specifier, in CPU byte order, exactly as the interrupt
     *  controller's \#interrupt-cells expects it: for example {0, 16, 4}
     *  (GIC_SPI, SPI 16, IRQ_TYPE_LEVEL_HIGH) for an Arm GIC, or {5} for a
     *  one-cell controller. Written to "interrupts" as given. Must not be
     *  NULL. */
    const uint32_t *interrupts;
    /** Number of cells in @c interrupts, 1..AVPS_FDT_MAX_INTERRUPT_CELLS. When
     *  the controller can be found in the tree (see interrupt_parent) and has
     *  \#interrupt-cells, the count must equal it. */
    uint32_t num_interrupt_cells;
    /** Phandle of the interrupt controller, written as "interrupt-parent";
     *  0 writes no property, so the node inherits its parent's
     *  interrupt-parent. A non-zero phandle must name a node already in the
     *  tree that has \#interrupt-cells. 0xffffffff is not a valid phandle. */
    uint32_t interrupt_parent;
    /** Write an empty "dma-coherent" property: the device's DMA is coherent
     *  with the guest CPUs' caches. */
    bool dma_coherent;
};

/**
 * @brief Add one virtio-mmio node under @p parent.
 *
 * The node is named "virtio_mmio@" followed by @c base in lower-case hex
 * without leading zeros (e.g. "virtio_mmio@a000000"), and gets, in this
 * order: compatible = "virtio,mmio"; reg = @c base and @c size encoded with
 * the parent's \#address-cells and \#size-cells (each must be 1 or 2; a
 * missing property takes the devicetree default, 2 and 1); interrupts = the
 * given cells; interrupt-parent when non-zero; dma-coherent when set.
 *
 * All arguments are checked before the blob is touched. If writing a property
 * then fails, the new node is deleted again, so the tree never holds a
 * half-written node. (libfdt may keep a property name it appended to the
 * strings block; that is harmless.)
 *
 * Offsets of nodes after the insertion point change, as with every libfdt
 * write; @p parent itself stays valid.
 *
 * @param[in,out] fdt     A blob opened for writing with libfdt, with its free
 *                        space inside fdt_totalsize(). Caller-owned.
 * @param[in]     parent  Offset of the parent node (0 for the root).
 * @param[in]     dev     The device. Read only during the call.
 * @return The offset of the new node (>= 0) on success.
 * @retval AVPS_E_INVAL  @p fdt or @p dev is NULL; @p parent is negative or not
 *                       a node; the blob is malformed or not writable (bad
 *                       magic, version, layout or structure); the parent's
 *                       \#address-cells or \#size-cells is not 1 or 2;
 *                       @c base, @c size or the region end does not fit
 *                       those cells; @c size is below AVPS_FDT_MMIO_MIN_SIZE
 *                       or the region wraps; @c interrupts is NULL or the
 *                       cell count is 0, above AVPS_FDT_MAX_INTERRUPT_CELLS
 *                       or unequal to the controller's \#interrupt-cells;
 *                       @c interrupt_parent is 0xffffffff or names no node
 *                       with \#interrupt-cells.
 * @retval AVPS_E_NOSPC  The blob has too little free space; it is left
 *                       without the node.
 * @retval AVPS_E_STATE  @p parent already has a child with this name.
 * @par Context
 * Any thread, provided nothing else reads or writes the blob during the call.
 * Does not call the port; never allocates.
 */
int avps_fdt_add_virtio_mmio(void *fdt, int parent, const struct avps_fdt_mmio *dev);

/**
 * @brief Add @p n virtio-mmio nodes under @p parent, all or none.
 *
 * Every description is checked first, as by avps_fdt_add_virtio_mmio(). The
 * nodes are then added so that the finished tree lists them in the order of
 * @p devs (libfdt inserts a new child before its siblings, so they are written
 * last to first). Linux probes virtio-mmio nodes in tree order, so devs[0]
 * becomes the guest's first virtio device of its kind (vda, eth0, ...). If an
 * addition fails, the nodes this call already added are deleted again.
 *
 * @param[in,out] fdt     As for avps_fdt_add_virtio_mmio().
 * @param[in]     parent  Offset of the parent node (0 for the root).
 * @param[in]     devs    Array of @p n descriptions; may be NULL when @p n is 0.
 *                        Read only during the call.
 * @param[in]     n       Number of descriptions, at most INT_MAX.
 * @return The number of nodes added (@p n) on success.
 * @retval AVPS_E_INVAL  As for avps_fdt_add_virtio_mmio(), for the first
 *                       invalid description; or @p devs is NULL with @p n
 *                       non-zero, or @p n exceeds INT_MAX. Nothing was added.
 * @retval AVPS_E_NOSPC  The blob filled up; nothing was added.
 * @retval AVPS_E_STATE  A node with one of the names already exists, or two
 *                       descriptions share a base; nothing was added.
 * @par Context
 * As for avps_fdt_add_virtio_mmio().
 */
int avps_fdt_add_virtio_mmio_n(void *fdt, int parent, const struct avps_fdt_mmio *devs,
                               size_t n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_FDT_H */

/* Input format of fdt_fuzz, shared with its seed generator (see
 * fuzz/fdt_fuzz.c). */
#ifndef AVPS_FDT_FUZZ_H
#define AVPS_FDT_FUZZ_H

#include <stdint.h>

#define FF_HDR 4u
#define FF_MAX_DEVS 8u
#define FF_MAX_TREE 65536u

/* byte 0: mode */
#define FF_OPEN_INTO 0x01u /* fdt_open_into() a buffer with byte 1 * 8 bytes of slack first */
#define FF_BATCH 0x02u     /* one avps_fdt_add_virtio_mmio_n() call, else one add per device */
#define FF_PARENT_RAW 0x04u /* byte 3 is the parent offset itself, else the byte 3-th node */
#define FF_ONE_BY_N 0x08u  /* single adds through avps_fdt_add_virtio_mmio_n(..., 1) */
/* byte 2: the number of device descriptions (& 7); byte 3: the parent */

/* One device description:
 *   u64 base, u64 size (little endian), u8 flags, u32 interrupt_parent,
 *   u8 cells, then min(cells, 16) u32 interrupt cells.
 * flags: FF_DMA sets dma_coherent; FF_PHANDLE replaces interrupt_parent with
 * the phandle of the (interrupt_parent & 7)-th node that has one;
 * FF_NULL_IRQ passes interrupts = NULL. */
#define FF_DMA 0x01u
#define FF_PHANDLE 0x02u
#define FF_NULL_IRQ 0x04u
#define FF_DEV_FIXED 22u /* bytes before the cells */

#endif

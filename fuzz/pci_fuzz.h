/* Input format of pci_fuzz, shared with its seed generator (see
 * fuzz/pci_fuzz.c for what each operation does). */
#ifndef AVPS_PCI_FUZZ_H
#define AVPS_PCI_FUZZ_H

#include <stdint.h>

#define PF_HDR 4u           /* setup, transport, program length (u16 LE) */
#define PF_RING 0x0000u     /* where the driver actions lay out the rings */
#define PF_HEAP 0x1000u     /* their buffers: [0x1000, 0x4000), across 0x2000 */
#define PF_MAX_OPS 512
#define PF_BAR_BASE 0xe0000000ull /* where the driver places the BAR */
#define PF_MSI_ADDR 0xfee00000ull

/* setup byte: MSI-X table size pf_msix[b & 7]; b & 8: no set_level;
 * b & 0x10: no inject_msi; QueueSizeMax pf_qmax[(b >> 5) & 7]. */
static const uint16_t pf_msix[8] = {0, 1, 2, 3, 64, 65, 8, 130};
static const uint16_t pf_qmax[8] = {32, 16, 8, 1, 64, 4, 128, 2};
#define PF_MSIX_MAX 130u
/* transport byte: notify_off_multiplier pf_mult[b & 3], b & 4 shared notify
 * address; b & 0x80 caps map spans at 1 + ((b >> 3) & 7) bytes. */
static const uint32_t pf_mult[4] = {0, 4, 8, 4096};

/* Operation kinds: the low nibble of an op byte; the high nibble is its
 * parameter p. Operands follow the op byte. */
enum pf_op {
    PF_CFG = 0,     /* u16 off, u32 v: config access of size pf_csizes[p & 3], write if p & 8 */
    PF_BAR = 1,     /* u16 off, u32 v: BAR access of size pf_sizes[p & 7], write if p & 8 */
    PF_COMMON = 2,  /* u8 off, u32 v: common-cfg access (off & 0x3f), size pf_sizes[p & 7],
                     * write if p & 8 */
    PF_PROBE = 3,   /* the driver's probe: size and place the BAR, walk the caps */
    PF_INIT = 4,    /* u8 f, u8 q: reset, (MSI-X if p & 1), negotiate, queue 0, DRIVER_OK */
    PF_ADD = 5,     /* u8 len: p & 3 + 1 buffers; p & 4 indirect, p & 8 kick */
    PF_IRQ = 6,     /* the driver reads the ISR (which clears it) */
    PF_USED = 7,    /* the driver takes its used buffers */
    PF_RAM = 8,     /* u16 off, u8 n, n bytes: the guest rewrites RAM (n <= 63) */
    PF_BACKEND = 9, /* p & 7 fills run dry (AGAIN); p & 8: the next fill fails (IO) */
    PF_RESUME = 10, /* avps_rng_resume */
    PF_MSIX = 11,   /* u8 v: p & 3: mask/unmask entry v (p & 4), function mask (p & 4),
                     * disable, enable */
    PF_WINDOW = 12, /* u8 bar, u16 off, u32 v: the PCI_CFG window, length pf_csizes[p & 3],
                     * write if p & 8 */
    PF_EVENT = 13,  /* p & 1: avps_pci_reset, else the device changes its configuration */
    PF_NOTIFY = 14, /* p & 1: the driver's notification, else u16 rel, u32 v to the
                     * notification area, size 2 << (p >> 1 & 1) */
    PF_STATUS = 15  /* u8 s: device_status = s (through the BAR) */
};

static const unsigned int pf_sizes[8] = {4, 1, 2, 8, 3, 0, 16, 4};
static const unsigned int pf_csizes[4] = {4, 1, 2, 3};

/* PF_INIT feature byte: VERSION_1 always, and these on request. */
#define PF_F_PACKED 0x01u
#define PF_F_EVENT_IDX 0x02u
#define PF_F_INDIRECT 0x04u
#define PF_F_IN_ORDER 0x08u
#define PF_F_NOTIF_DATA 0x10u
#define PF_F_RING_RESET 0x20u

#endif

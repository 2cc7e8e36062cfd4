/* Input format of mmio_fuzz, shared with its seed generator (see
 * fuzz/mmio_fuzz.c for what each operation does). */
#ifndef AVPS_MMIO_FUZZ_H
#define AVPS_MMIO_FUZZ_H

#include <stdint.h>

#define MF_HDR 4u          /* setup, faults, program length (u16 LE) */
#define MF_RING 0x0000u    /* where the driver actions lay out the rings */
#define MF_HEAP 0x1000u    /* their buffers: [0x1000, 0x4000), across 0x2000 */
#define MF_MAX_OPS 512
#define MF_NO_LEVEL 3u     /* (setup & 3) == 3: a port without set_level */

/* Queue sizes the device offers: (setup >> 2) & 7. */
static const uint16_t mf_qmax[8] = {32, 16, 8, 1, 64, 4, 128, 2};

/* Operation kinds: the low nibble of an op byte; the high nibble is its
 * parameter p. Operands follow the op byte. */
enum mf_op {
    MF_REG_W = 0,   /* u8 r, u32 v: write v to control register 4*r */
    MF_REG_R = 1,   /* u8 r: read control register 4*r */
    MF_RAW = 2,     /* u16 off, u32 v: access of size mf_sizes[p & 7], write if p & 8 */
    MF_STATUS = 3,  /* u8 s: Status = s */
    MF_INIT = 4,    /* u8 f, u8 qsize: the driver's whole §3.1.1 sequence (mmiodrv) */
    MF_ADD = 5,     /* u8 len: p & 3 + 1 buffers; p & 4 indirect, p & 8 kick */
    MF_IRQ = 6,     /* the driver's interrupt handler: read and ack InterruptStatus */
    MF_USED = 7,    /* the driver takes its used buffers */
    MF_RAM = 8,     /* u16 off, u8 n, n bytes: the guest rewrites RAM (n <= 63) */
    MF_BACKEND = 9, /* p & 7 fills run dry (AGAIN); p & 8: the next fill fails (IO) */
    MF_RESUME = 10, /* avps_rng_resume */
    MF_STOP = 11,   /* p % 3: QueueReady = 0, QueueReset, or the driver's reset */
    MF_CONFIG = 12, /* the device changes its configuration */
    MF_NOTIFY = 13, /* p & 1: the driver's notification, else u32 v to QueueNotify */
    MF_SYNC = 14,   /* avps_mmio_irq_sync */
    MF_SEL = 15     /* QueueSel = mf_sels[p & 7] */
};

static const unsigned int mf_sizes[8] = {4, 1, 2, 8, 3, 0, 16, 4};
static const uint32_t mf_sels[8] = {0, 1, 2, 0xffff, 0x10000, 0xffffffffu, 0, 0};

/* MF_INIT feature byte: VERSION_1 always, and these on request. */
#define MF_F_PACKED 0x01u
#define MF_F_EVENT_IDX 0x02u
#define MF_F_INDIRECT 0x04u
#define MF_F_IN_ORDER 0x08u
#define MF_F_NOTIF_DATA 0x10u
#define MF_F_RING_RESET 0x20u

#endif

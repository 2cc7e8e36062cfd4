/* Input format of rng_fuzz, shared with its seed generator (see
 * fuzz/rng_fuzz.c for what each operation does). */
#ifndef AVPS_RNG_FUZZ_H
#define AVPS_RNG_FUZZ_H

#include <stdint.h>

#define RF_HDR 4u          /* setup, spare, program length (u16 LE) */
#define RF_RING 0x0000u
#define RF_HEAP 0x1000u
#define RF_MAX_OPS 512

/* QueueSizeMax: rf_qmax[setup & 7]. */
static const uint16_t rf_qmax[8] = {16, 8, 1, 32, 4, 64, 2, 3};

/* Backend script (the bytes after the program), one byte per fill call:
 *   0x00..0x1f  AVPS_E_AGAIN
 *   0x20..0x2f  AVPS_E_IO
 *   0x30..0x37  claims len + (b & 7) + 1 bytes, writes len (a lying backend)
 *   0x38..0x3f  returns 0
 *   0x40..0xff  writes and returns min(len, 4 * (b & 0x3f)), or len when b & 0x3f is 0
 * Once the script is used up every fill returns len. */

enum rf_op {
    RF_STATUS = 0,   /* u8 s: avps_dev_set_status(s) */
    RF_FEATURES = 1, /* u8 sel, u32 v: avps_dev_set_driver_word */
    RF_SETUP = 2,    /* u8 f, u8 q: the whole set-up (reset, features, ring q, enable),
                      * DRIVER_OK unless p & 1 */
    RF_QSIZE = 3,    /* u16 v: avps_dev_queue_set_size(p & 1, v) */
    RF_QADDR = 4,    /* u32 v: avps_dev_queue_set_addr_half(0, area p % 3, high p & 4, v) */
    RF_ENABLE = 5,   /* avps_dev_queue_enable(p & 1) */
    RF_ADD = 6,      /* u8 len: p & 3 + 1 buffers; p & 4 indirect, p & 8 notify */
    RF_NOTIFY = 7,   /* p & 3: 0 notify(0), 1 notify_data (the driver's value), 2 notify(1),
                      * 3 u32 v: notify_data(v) */
    RF_RESUME = 8,   /* avps_rng_resume */
    RF_USED = 9,     /* the driver takes its used buffers */
    RF_QRESET = 10,  /* avps_dev_queue_reset(p & 1) */
    RF_REQUEUE = 11, /* the driver sets queue 0 up again (after a queue reset) */
    RF_RESET = 12,   /* avps_dev_set_status(0) */
    RF_RAM = 13,     /* u16 off, u8 n, n bytes: the guest rewrites RAM */
    RF_EVENT = 14,   /* p & 1: avps_dev_fail, else avps_dev_config_changed */
    RF_DRAIN = 15    /* resume and take used buffers until nothing moves (bounded) */
};

/* RF_SETUP feature byte: VERSION_1 always, and these on request. */
#define RF_F_PACKED 0x01u
#define RF_F_EVENT_IDX 0x02u
#define RF_F_INDIRECT 0x04u
#define RF_F_IN_ORDER 0x08u
#define RF_F_NOTIF_DATA 0x10u
#define RF_F_RING_RESET 0x20u

#endif

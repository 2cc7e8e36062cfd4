/* Input format of blk_fuzz, shared with its seed generator (see
 * fuzz/blk_fuzz.c for what each operation does). */
#ifndef AVPS_BLK_FUZZ_H
#define AVPS_BLK_FUZZ_H

#include <stdint.h>

#define BF_HDR 2u        /* setup byte, accepted-features byte */
#define BF_MAX_OPS 256
#define BF_MAX_DESC 8u

/* Setup byte: bit 0 packed ring, bits 1-2 request objects per queue
 * (1, 2, 4, 8), bit 3 read-only, bit 4 two queues (MQ), bit 5 INDIRECT_DESC,
 * bit 6 EVENT_IDX, bit 7 write_zeroes_may_unmap.
 * Features byte: which blk features the driver accepts, bit i = bf_feat[i]. */

/* Descriptor lengths, by the low nibble of a length byte. */
static const uint32_t bf_len[16] = {1, 2, 5, 8, 15, 16, 17, 20, 21, 32, 48, 512, 513, 1024, 6, 7};

enum bf_op {
    BF_ADD = 0,      /* u8 n: n % BF_MAX_DESC + 1 descriptors, each u8 d: length
                      * bf_len[d & 15], writable when d & 0x10, indirect table when
                      * n & 0x80; then u8 q (queue), then 16 header bytes and up to
                      * 48 range bytes copied into the readable stream */
    BF_NOTIFY = 1,   /* u8 q */
    BF_COMPLETE = 2, /* u8 i, u8 status: complete pending request i % count */
    BF_DRAIN = 3,    /* complete every pending request with OK */
    BF_USED = 4,     /* the driver takes and checks its used buffers */
    BF_QRESET = 5,   /* u8 q: queue reset, then the driver sets the queue up again */
    BF_RESET = 6,    /* device reset, then the whole set-up again */
    BF_CAPACITY = 7, /* u8 c: capacity c sectors */
    BF_CONFIG = 8,   /* u8 off, u8 v: config write of one byte, then a read of all */
    BF_LIFETIME = 9  /* u8 a, u8 b, u8 c: avps_blk_set_lifetime */
};

#endif

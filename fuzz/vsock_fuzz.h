/*
 * Input format of fuzz/vsock_fuzz.c, shared with its seed generator
 * fuzz/gen_vsock_seeds.c.
 *
 *   byte 0   setup: bit 0 packed ring; bit 1 SEQPACKET, bit 2 STREAM, bit 3
 *            NO_IMPLIED_STREAM negotiated; bits 4-5 connection table size
 *            (1, 2, 4, 8); bit 6 EVENT_IDX; bit 7 IN_ORDER
 *   then     operations: one byte (kind in bits 0-3, p in bits 4-7) and its
 *            operands; at most VF_MAX_OPS run; a truncated operand ends the input
 */
#ifndef AVPS_VSOCK_FUZZ_H
#define AVPS_VSOCK_FUZZ_H

#define VF_MAX_OPS 256u

enum vf_op {
    /* a tx packet from fields: 12 operand bytes
     *   op, type, ports (guest 1000 + (b & 3), host 80 + (b >> 2 & 3)),
     *   len claimed, payload bytes present, flags,
     *   cid mode (0 valid, 1 wrong src, 2 wrong dst, 3 dst upper half, 4+ valid),
     *   buf_alloc (2 bytes LE, x 64), fwd_cnt (2 bytes LE),
     *   layout (0 one descriptor; else the header splits at (b % 44) + 1)
     * p bit 0: leave it in the ring (no notify) */
    VF_TXH = 0,
    VF_TXRAW = 1,   /* 1 byte L, then L raw bytes as one tx descriptor */
    VF_RXPOST = 2,  /* 1 byte s: rx buffer of 44 + 2 s bytes (s = 0: 20 bytes);
                     * p bit 0 two descriptors (header, rest), bit 1 readable */
    VF_EVPOST = 3,  /* p 0: 4 bytes, 1: 2 bytes, 2: readable */
    VF_SEND = 4,    /* conn byte, len byte; p & 3 = flags */
    VF_CONNECT = 5, /* ports byte as VF_TXH; p bit 0 seqpacket */
    VF_CONSUME = 6, /* conn byte, n byte */
    VF_SHUT = 7,    /* conn byte; p & 3 = flags */
    VF_RESET = 8,   /* conn byte */
    VF_TRESET = 9,  /* transport reset; p bit 0: new CID 4, else 3 */
    VF_DEVRESET = 10, /* device reset and a new driver set-up */
    VF_NOTIFY = 11, /* queue p % 3 */
    VF_DRAIN = 12,  /* take every used rx and event buffer and check it */
    VF_ACCEPT = 13  /* p bit 0: the backend refuses connections from now */
};

#endif /* AVPS_VSOCK_FUZZ_H */

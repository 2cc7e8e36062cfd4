/* Input format of net_fuzz, shared with its seed generator (see
 * fuzz/net_fuzz.c for what each operation does). */
#ifndef AVPS_NET_FUZZ_H
#define AVPS_NET_FUZZ_H

#include <stdint.h>

#define NF_HDR 3u       /* features (u16 LE), setup flags */
#define NF_MAX_OPS 256
#define NF_MAX_DATA 4096u

/* Feature bits the driver may accept, by bit of the input's first u16. */
static const uint8_t nf_feature_bits[16] = {
    0 /* CSUM */,        1 /* GUEST_CSUM */,  7 /* GUEST_TSO4 */,  8 /* GUEST_TSO6 */,
    9 /* GUEST_ECN */,   10 /* GUEST_UFO */,  11 /* HOST_TSO4 */,  12 /* HOST_TSO6 */,
    13 /* HOST_ECN */,   14 /* HOST_UFO */,   15 /* MRG_RXBUF */,  17 /* CTRL_VQ */,
    18 /* CTRL_RX */,     19 /* CTRL_VLAN */,  20 /* CTRL_RX_EXTRA */, 22 /* MQ */,
};
/* Always accepted: MAC, STATUS, MTU, and GUEST_ANNOUNCE and CTRL_MAC_ADDR with
 * CTRL_VQ. A set that breaks a §5.1.3.1 dependency is refused at FEATURES_OK
 * and the input ends there. Setup flags: bit 0 packed ring, bit 1 IN_ORDER. */

/* Operations: one byte op, then its data.
 *   op & 3 == 0  transmit on pair (op >> 2) & 1: u16 n, n bytes (header and
 *                frame); the first byte also picks where the buffer is split
 *                into two descriptors
 *   op & 3 == 1  control command: u16 n, n readable bytes; (op >> 2) & 3 bytes
 *                of writable room for the ack
 *   op & 3 == 2  receive on pair (op >> 5) & 1: ((op >> 2) & 7) buffers of
 *                16 * (1 + byte) bytes each, then u16 n and n frame bytes, the
 *                first 10 of them an offload (flags, gso_type, hdr_len,
 *                gso_size, csum_start, csum_offset) when op & 0x80; with
 *                op & 0x40 the n bytes are a burst for avps_net_rx_burst():
 *                frames of one length byte L and L bytes (the offload, if
 *                any, applies to each), at most AVPS_NET_RX_BURST of them
 *   op & 3 == 3  (op >> 2) & 7: 0 link down, 1 link up, 2 announce,
 *                3 device reset and set-up again, 4 tx resume,
 *                5 the driver takes its used buffers */
#endif /* AVPS_NET_FUZZ_H */

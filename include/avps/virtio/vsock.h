/**
 * @file virtio/vsock.h
 * @brief virtio-vsock wire formats (VIRTIO 1.2 §5.10): feature bits,
 *        configuration, packet header, operations and events.
 *
 * Packet layout on both rx and tx queues (§5.10.6.4):
 * @verbatim
 *   offset  0  le64 src_cid      upper 32 bits reserved, zero
 *           8  le64 dst_cid      upper 32 bits reserved, zero
 *          16  le32 src_port
 *          20  le32 dst_port
 *          24  le32 len          payload bytes that follow the header
 *          28  le16 type         AVPS_VIRTIO_VSOCK_TYPE_*
 *          30  le16 op           AVPS_VIRTIO_VSOCK_OP_*
 *          32  le32 flags        SHUTDOWN: RCV/SEND; seqpacket RW: EOM/EOR
 *          36  le32 buf_alloc    sender's receive buffer for this flow
 *          40  le32 fwd_cnt      sender's free-running bytes-consumed counter
 *          44  payload (len bytes)
 * @endverbatim
 * The header is 44 bytes and not a multiple of 8: it is declared packed.
 */
#ifndef AVPS_VIRTIO_VSOCK_H
#define AVPS_VIRTIO_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

#define AVPS_VIRTIO_ID_VSOCK 19u /**< VIRTIO device ID of the socket device. */

#define AVPS_VIRTIO_VSOCK_Q_RX 0u    /**< rx queue: device-to-driver packets. */
#define AVPS_VIRTIO_VSOCK_Q_TX 1u    /**< tx queue: driver-to-device packets. */
#define AVPS_VIRTIO_VSOCK_Q_EVENT 2u /**< event queue. */

#define AVPS_VIRTIO_VSOCK_F_STREAM 0u            /**< Stream sockets. */
#define AVPS_VIRTIO_VSOCK_F_SEQPACKET 1u         /**< Seqpacket sockets. */
#define AVPS_VIRTIO_VSOCK_F_NO_IMPLIED_STREAM 2u /**< Stream is not implied (1.3). */

#define AVPS_VIRTIO_VSOCK_CID_HOST 2u /**< Well-known CID of the host. */

#define AVPS_VIRTIO_VSOCK_TYPE_STREAM 1u    /**< Stream socket. */
#define AVPS_VIRTIO_VSOCK_TYPE_SEQPACKET 2u /**< Seqpacket socket. */

#define AVPS_VIRTIO_VSOCK_OP_INVALID 0u        /**< Not an operation. */
#define AVPS_VIRTIO_VSOCK_OP_REQUEST 1u        /**< Connect request. */
#define AVPS_VIRTIO_VSOCK_OP_RESPONSE 2u       /**< Connection accepted. */
#define AVPS_VIRTIO_VSOCK_OP_RST 3u            /**< Refuse or abort a connection. */
#define AVPS_VIRTIO_VSOCK_OP_SHUTDOWN 4u       /**< No more receiving and/or sending. */
#define AVPS_VIRTIO_VSOCK_OP_RW 5u             /**< Payload. */
#define AVPS_VIRTIO_VSOCK_OP_CREDIT_UPDATE 6u  /**< Buffer space information. */
#define AVPS_VIRTIO_VSOCK_OP_CREDIT_REQUEST 7u /**< Ask for a CREDIT_UPDATE. */

#define AVPS_VIRTIO_VSOCK_SHUTDOWN_RCV 1u  /**< SHUTDOWN flag: peer receives no more. */
#define AVPS_VIRTIO_VSOCK_SHUTDOWN_SEND 2u /**< SHUTDOWN flag: peer sends no more. */

#define AVPS_VIRTIO_VSOCK_SEQ_EOM 1u /**< Seqpacket RW flag: last packet of a message. */
#define AVPS_VIRTIO_VSOCK_SEQ_EOR 2u /**< Seqpacket RW flag: last packet of a record. */

#define AVPS_VIRTIO_VSOCK_EVENT_TRANSPORT_RESET 0u /**< Event id: transport reset. */

/** Device configuration (§5.10.4). */
struct avps_virtio_vsock_config {
    avps_le64 guest_cid; /**< The guest's context ID; upper 32 bits zero. */
};

#if defined(_MSC_VER) || defined(__GNUC__) || defined(__clang__)
#pragma pack(push, 1)
#endif
/** Packet header (§5.10.6): 44 bytes, little-endian, no padding. */
struct avps_virtio_vsock_hdr {
    avps_le64 src_cid;   /**< Source context ID. */
    avps_le64 dst_cid;   /**< Destination context ID. */
    avps_le32 src_port;  /**< Source port. */
    avps_le32 dst_port;  /**< Destination port. */
    avps_le32 len;       /**< Payload bytes. */
    avps_le16 type;      /**< Socket type. */
    avps_le16 op;        /**< Operation. */
    avps_le32 flags;     /**< Operation flags. */
    avps_le32 buf_alloc; /**< Sender's receive buffer space for the flow. */
    avps_le32 fwd_cnt;   /**< Sender's free-running consumed-bytes counter. */
};
#if defined(_MSC_VER) || defined(__GNUC__) || defined(__clang__)
#pragma pack(pop)
#endif

/** Event (§5.10.6.7). */
struct avps_virtio_vsock_event {
    avps_le32 id; /**< AVPS_VIRTIO_VSOCK_EVENT_*. */
};

/** @} */

AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_vsock_config) == 8u, "vsock config size");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_vsock_hdr) == 44u, "vsock hdr size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, dst_cid) == 8u, "vsock hdr dst_cid");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, src_port) == 16u, "vsock hdr src_port");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, dst_port) == 20u, "vsock hdr dst_port");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, len) == 24u, "vsock hdr len");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, type) == 28u, "vsock hdr type");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, op) == 30u, "vsock hdr op");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, flags) == 32u, "vsock hdr flags");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, buf_alloc) == 36u, "vsock hdr buf_alloc");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_vsock_hdr, fwd_cnt) == 40u, "vsock hdr fwd_cnt");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_vsock_event) == 4u, "vsock event size");

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_VSOCK_H */

/**
 * @file virtio/net.h
 * @brief virtio-net wire formats (VIRTIO 1.2 §5.1), written from the
 *        specification: feature bits, the configuration layout, the packet
 *        header and the control-queue commands.
 *
 * Every packet on a receive or transmit queue starts with a struct
 * avps_virtio_net_hdr (12 bytes with VIRTIO_F_VERSION_1 and without the hash,
 * tunnel and IPsec extensions, which libavps does not offer):
 * @verbatim
 *   0 flags  1 gso_type  2 hdr_len  4 gso_size  6 csum_start  8 csum_offset
 *  10 num_buffers                                                       12
 * @endverbatim
 * A control-queue request is class (1 byte), command (1 byte) and
 * command-specific data, all device-readable, then the device-writable ack byte.
 */
#ifndef AVPS_VIRTIO_NET_H
#define AVPS_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

/* ---- feature bits (§5.1.3) ----------------------------------------------- */
#define AVPS_VIRTIO_NET_F_CSUM 0u               /**< Device takes partially checksummed packets. */
#define AVPS_VIRTIO_NET_F_GUEST_CSUM 1u         /**< Driver takes partially checksummed packets. */
#define AVPS_VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2u /**< Offloads reconfigurable via controlq. */
#define AVPS_VIRTIO_NET_F_MTU 3u                /**< mtu field is valid. */
#define AVPS_VIRTIO_NET_F_MAC 5u                /**< mac field is valid. */
#define AVPS_VIRTIO_NET_F_GUEST_TSO4 7u         /**< Driver receives TSOv4. */
#define AVPS_VIRTIO_NET_F_GUEST_TSO6 8u         /**< Driver receives TSOv6. */
#define AVPS_VIRTIO_NET_F_GUEST_ECN 9u          /**< Driver receives TSO with ECN. */
#define AVPS_VIRTIO_NET_F_GUEST_UFO 10u         /**< Driver receives UFO. */
#define AVPS_VIRTIO_NET_F_HOST_TSO4 11u         /**< Device takes TSOv4. */
#define AVPS_VIRTIO_NET_F_HOST_TSO6 12u         /**< Device takes TSOv6. */
#define AVPS_VIRTIO_NET_F_HOST_ECN 13u          /**< Device takes TSO with ECN. */
#define AVPS_VIRTIO_NET_F_HOST_UFO 14u          /**< Device takes UFO. */
#define AVPS_VIRTIO_NET_F_MRG_RXBUF 15u         /**< Driver merges receive buffers. */
#define AVPS_VIRTIO_NET_F_STATUS 16u            /**< status field is valid. */
#define AVPS_VIRTIO_NET_F_CTRL_VQ 17u           /**< Control queue exists. */
#define AVPS_VIRTIO_NET_F_CTRL_RX 18u           /**< RX mode and MAC table commands. */
#define AVPS_VIRTIO_NET_F_CTRL_VLAN 19u         /**< VLAN filter commands. */
#define AVPS_VIRTIO_NET_F_CTRL_RX_EXTRA 20u     /**< Extra RX mode commands. */
#define AVPS_VIRTIO_NET_F_GUEST_ANNOUNCE 21u    /**< Driver sends gratuitous packets. */
#define AVPS_VIRTIO_NET_F_MQ 22u                /**< Multiqueue with automatic steering. */
#define AVPS_VIRTIO_NET_F_CTRL_MAC_ADDR 23u     /**< MAC address set via controlq. */
#define AVPS_VIRTIO_NET_F_GUEST_USO4 54u        /**< Driver receives USOv4. */
#define AVPS_VIRTIO_NET_F_GUEST_USO6 55u        /**< Driver receives USOv6. */
#define AVPS_VIRTIO_NET_F_HOST_USO 56u          /**< Device takes USO. */
#define AVPS_VIRTIO_NET_F_SPEED_DUPLEX 63u      /**< speed and duplex fields are valid. */

/* ---- configuration layout (§5.1.4) ----------------------------------------- */
#define AVPS_VIRTIO_NET_S_LINK_UP 1u  /**< status: link is up. */
#define AVPS_VIRTIO_NET_S_ANNOUNCE 2u /**< status: driver should announce itself. */

/** Device configuration (only the fields libavps offers). */
struct avps_virtio_net_config {
    uint8_t mac[6];                /**< MAC address (VIRTIO_NET_F_MAC). */
    avps_le16 status;              /**< VIRTIO_NET_S_* (VIRTIO_NET_F_STATUS). */
    avps_le16 max_virtqueue_pairs; /**< VIRTIO_NET_F_MQ. */
    avps_le16 mtu;                 /**< VIRTIO_NET_F_MTU. */
    avps_le32 speed;               /**< Mbit/s (VIRTIO_NET_F_SPEED_DUPLEX). */
    uint8_t duplex;                /**< 0 half, 1 full, 0xff unknown. */
    uint8_t rss_max_key_size;      /**< Not offered: reads 0. */
    avps_le16 rss_max_indirection_table_length; /**< Not offered: reads 0. */
};
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_net_config) == 20u, "net config size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_net_config, status) == 6u, "net config status");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_net_config, mtu) == 10u, "net config mtu");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_net_config, duplex) == 16u, "net config duplex");

/* ---- packet header (§5.1.6) ------------------------------------------------- */
#define AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM 1u      /**< Checksum from csum_start, stored at +csum_offset. */
#define AVPS_VIRTIO_NET_HDR_F_DATA_VALID 2u      /**< Receive: checksum validated. */
#define AVPS_VIRTIO_NET_HDR_F_RSC_INFO 4u        /**< Receive: coalescing info (RSC_EXT). */
#define AVPS_VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM 8u /**< Outer UDP checksum offloaded (tunnel GSO). */

#define AVPS_VIRTIO_NET_HDR_GSO_NONE 0u             /**< No segmentation. */
#define AVPS_VIRTIO_NET_HDR_GSO_TCPV4 1u            /**< TCP over IPv4 segmentation. */
#define AVPS_VIRTIO_NET_HDR_GSO_UDP 3u              /**< UDP fragmentation (UFO). */
#define AVPS_VIRTIO_NET_HDR_GSO_TCPV6 4u            /**< TCP over IPv6 segmentation. */
#define AVPS_VIRTIO_NET_HDR_GSO_UDP_L4 5u           /**< UDP segmentation (USO). */
#define AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 0x20u /**< GSO inside a UDP tunnel, inner IPv4. */
#define AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6 0x40u /**< GSO inside a UDP tunnel, inner IPv6. */
#define AVPS_VIRTIO_NET_HDR_GSO_ECN 0x80u           /**< The TCP packet has ECN set. */

/** The packet header with VIRTIO_F_VERSION_1 (num_buffers always present). */
struct avps_virtio_net_hdr {
    uint8_t flags;         /**< VIRTIO_NET_HDR_F_*. */
    uint8_t gso_type;      /**< VIRTIO_NET_HDR_GSO_*. */
    avps_le16 hdr_len;     /**< Header bytes to replicate per segment (a hint). */
    avps_le16 gso_size;    /**< Segment payload size (MSS). */
    avps_le16 csum_start;  /**< Offset where checksumming starts. */
    avps_le16 csum_offset; /**< Offset of the checksum from csum_start. */
    avps_le16 num_buffers; /**< Receive: buffers the packet spans. Transmit: 0. */
};
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_net_hdr) == 12u, "net hdr size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_net_hdr, csum_start) == 6u, "net hdr layout");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_net_hdr, num_buffers) == 10u, "net hdr layout");

/* ---- control queue (§5.1.6.5) ----------------------------------------------- */
#define AVPS_VIRTIO_NET_OK 0u  /**< ack: command done. */
#define AVPS_VIRTIO_NET_ERR 1u /**< ack: command refused. */

#define AVPS_VIRTIO_NET_CTRL_RX 0u          /**< Class: receive modes. */
#define AVPS_VIRTIO_NET_CTRL_RX_PROMISC 0u  /**< 1 byte: promiscuous on/off. */
#define AVPS_VIRTIO_NET_CTRL_RX_ALLMULTI 1u /**< 1 byte: all multicast on/off. */
#define AVPS_VIRTIO_NET_CTRL_RX_ALLUNI 2u   /**< 1 byte: all unicast on/off. */
#define AVPS_VIRTIO_NET_CTRL_RX_NOMULTI 3u  /**< 1 byte: suppress multicast. */
#define AVPS_VIRTIO_NET_CTRL_RX_NOUNI 4u    /**< 1 byte: suppress unicast. */
#define AVPS_VIRTIO_NET_CTRL_RX_NOBCAST 5u  /**< 1 byte: suppress broadcast. */

#define AVPS_VIRTIO_NET_CTRL_MAC 1u           /**< Class: MAC filtering. */
#define AVPS_VIRTIO_NET_CTRL_MAC_TABLE_SET 0u /**< le32 n, n MACs, le32 m, m MACs. */
#define AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET 1u  /**< 6 bytes: the default MAC. */

#define AVPS_VIRTIO_NET_CTRL_VLAN 2u     /**< Class: VLAN filter. */
#define AVPS_VIRTIO_NET_CTRL_VLAN_ADD 0u /**< le16 VLAN id. */
#define AVPS_VIRTIO_NET_CTRL_VLAN_DEL 1u /**< le16 VLAN id. */

#define AVPS_VIRTIO_NET_CTRL_ANNOUNCE 3u     /**< Class: gratuitous packets. */
#define AVPS_VIRTIO_NET_CTRL_ANNOUNCE_ACK 0u /**< No data: clears S_ANNOUNCE. */

#define AVPS_VIRTIO_NET_CTRL_MQ 4u               /**< Class: multiqueue. */
#define AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0u  /**< le16 virtqueue_pairs. */
#define AVPS_VIRTIO_NET_CTRL_MQ_RSS_CONFIG 1u    /**< RSS (not offered). */
#define AVPS_VIRTIO_NET_CTRL_MQ_HASH_CONFIG 2u   /**< Hash reporting (not offered). */
#define AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN 1u  /**< Smallest virtqueue_pairs. */
#define AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX 0x8000u /**< Largest virtqueue_pairs. */

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_NET_H */

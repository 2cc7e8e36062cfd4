/**
 * @file net.h
 * @brief virtio-net (network device, device ID 1, VIRTIO 1.2 §5.1).
 *
 * N receive/transmit queue pairs (queue 2p receives, 2p+1 transmits) and,
 * with VIRTIO_NET_F_CTRL_VQ, a control queue (queue 2N).
 *
 * Transmit: the device takes each packet off a transmit queue, checks its
 * struct virtio_net_hdr against the negotiated features (§5.1.6.2) and hands
 * the backend's tx op the frame (the bytes after the header, as segments of
 * guest memory) with the header's offload request parsed into struct
 * avps_net_offload. A packet with a malformed header never reaches the
 * backend: it is returned to the driver, counted in tx_malformed and reported.
 *
 * Receive: the backend calls avps_net_rx_burst() with up to AVPS_NET_RX_BURST
 * frames (or avps_net_rx() with one). The device filters each (promiscuous and
 * other receive modes, MAC table, VLAN table: §5.1.6.5), writes the header and
 * the frame into the buffers the driver posted (one buffer, or several with
 * VIRTIO_NET_F_MRG_RXBUF), and completes the whole burst's buffers with one
 * used-ring update and at most one notification. No frame is ever dropped
 * without being counted: every outcome has a counter in struct avps_net_stats.
 *
 * Every path uses buffers in the order the driver made them available, so the
 * device offers VIRTIO_F_IN_ORDER (switch it off with common.features_off).
 *
 * Control queue commands are dispatched from a table by class and command,
 * with the exact length of each command's data checked before use; the ack
 * byte is VIRTIO_NET_OK or VIRTIO_NET_ERR.
 */
#ifndef AVPS_NET_H
#define AVPS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "virtio/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup net virtio-net
 * @{ */

#define AVPS_VIRTIO_ID_NET 1u     /**< VIRTIO device ID of the network device. */
#define AVPS_NET_HDR_LEN 12u      /**< Bytes of struct virtio_net_hdr with VERSION_1. */
#define AVPS_NET_SEGS 64u         /**< Segments one transmit packet may span. */
#define AVPS_NET_RX_SEGS 64u      /**< Segments of the receive buffers held for one frame. */
#define AVPS_NET_RX_BUFS 64u      /**< Receive buffers one frame may span (MRG_RXBUF). */
#define AVPS_NET_RX_BURST 32u     /**< Frames one avps_net_rx_burst() call takes at most. */
#define AVPS_NET_MAC_TABLE 32u    /**< MAC filter entries kept per kind (beyond: all of that kind pass). */
/** Largest num_pairs: 2N + 1 queue indices must fit 16 bits (§5.1.4.1 allows
 *  up to 0x8000, whose control queue would be queue 65536). */
#define AVPS_NET_MAX_PAIRS 0x7fffu
#define AVPS_NET_CTRL_DATA_MAX 8u /**< Largest fixed-size command data (bytes). */
/** Largest frame (without the virtio header) either direction: a 64 KiB IP
 *  packet with Ethernet and VLAN headers. */
#define AVPS_NET_FRAME_MAX (65535u + 14u + 4u)

/** Device-type features libavps implements (offer a subset in the config). */
#define AVPS_NET_FEATURES_SUPPORTED                                                          \
    ((1ULL << AVPS_VIRTIO_NET_F_CSUM) | (1ULL << AVPS_VIRTIO_NET_F_GUEST_CSUM) |              \
     (1ULL << AVPS_VIRTIO_NET_F_MTU) | (1ULL << AVPS_VIRTIO_NET_F_MAC) |                      \
     (1ULL << AVPS_VIRTIO_NET_F_GUEST_TSO4) | (1ULL << AVPS_VIRTIO_NET_F_GUEST_TSO6) |        \
     (1ULL << AVPS_VIRTIO_NET_F_GUEST_ECN) | (1ULL << AVPS_VIRTIO_NET_F_GUEST_UFO) |          \
     (1ULL << AVPS_VIRTIO_NET_F_HOST_TSO4) | (1ULL << AVPS_VIRTIO_NET_F_HOST_TSO6) |          \
     (1ULL << AVPS_VIRTIO_NET_F_HOST_ECN) | (1ULL << AVPS_VIRTIO_NET_F_HOST_UFO) |            \
     (1ULL << AVPS_VIRTIO_NET_F_MRG_RXBUF) | (1ULL << AVPS_VIRTIO_NET_F_STATUS) |             \
     (1ULL << AVPS_VIRTIO_NET_F_CTRL_VQ) | (1ULL << AVPS_VIRTIO_NET_F_CTRL_RX) |              \
     (1ULL << AVPS_VIRTIO_NET_F_CTRL_VLAN) | (1ULL << AVPS_VIRTIO_NET_F_CTRL_RX_EXTRA) |      \
     (1ULL << AVPS_VIRTIO_NET_F_GUEST_ANNOUNCE) | (1ULL << AVPS_VIRTIO_NET_F_MQ) |            \
     (1ULL << AVPS_VIRTIO_NET_F_CTRL_MAC_ADDR) | (1ULL << AVPS_VIRTIO_NET_F_GUEST_USO4) |     \
     (1ULL << AVPS_VIRTIO_NET_F_GUEST_USO6) | (1ULL << AVPS_VIRTIO_NET_F_HOST_USO) |          \
     (1ULL << AVPS_VIRTIO_NET_F_SPEED_DUPLEX))

/** Offload information of one frame, in host byte order. On transmit it is
 *  what the driver asked for (already checked: see avps_net_backend::tx); on
 *  receive it is what the backend asks the device to tell the driver. */
struct avps_net_offload {
    uint8_t flags;        /**< AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM and/or _DATA_VALID. */
    uint8_t gso_type;     /**< AVPS_VIRTIO_NET_HDR_GSO_* (with the ECN bit). */
    uint16_t hdr_len;     /**< Header length hint; never trusted (§5.1.6.2.2). */
    uint16_t gso_size;    /**< MSS when gso_type is not NONE. */
    uint16_t csum_start;  /**< With NEEDS_CSUM: checksum start offset in the frame. */
    uint16_t csum_offset; /**< With NEEDS_CSUM: checksum field offset from csum_start. */
};

/** A frame to transmit, valid only during the tx call. */
struct avps_net_tx_frame {
    struct avps_net_offload off;   /**< Checked offload request. */
    const struct avps_vq_seg *seg; /**< The frame's bytes (header removed), in order. */
    uint16_t nseg;                 /**< Entries in seg (≥ 1). */
    uint32_t len;                  /**< Total bytes (1..AVPS_NET_FRAME_MAX). */
};

/** A received frame for avps_net_rx_burst(); read only during the call. */
struct avps_net_rx_frame {
    const void *data;                   /**< The frame, from the Ethernet header on. */
    uint32_t len;                       /**< Its length, 1..AVPS_NET_FRAME_MAX. */
    const struct avps_net_offload *off; /**< Offloads to tell the driver, or NULL for a
                                             plain, fully checksummed frame. */
};

/** The network backend. */
struct avps_net_backend {
    /**
     * Required. Send one frame from queue pair @p pair. Return AVPS_OK when
     * the frame was taken (or deliberately dropped: count it yourself),
     * AVPS_E_AGAIN when the backend cannot take it now (the packet stays with
     * the device and the queue stops until avps_net_tx_resume()), or another
     * negative code when it failed (the packet is completed and counted in
     * tx_backend_errors).
     */
    int (*tx)(void *ctx, uint16_t pair, const struct avps_net_tx_frame *frame);
    /** Optional. The driver posted receive buffers on @p pair (an
     *  avps_net_rx() that returned AVPS_E_AGAIN may now succeed). Called from
     *  the queue notification path with the device lock held: do not call back
     *  into the device from here; note it and retry later. */
    void (*rx_ready)(void *ctx, uint16_t pair);
    /** Passed to the ops. */
    void *ctx;
};

/** Counters, read with avps_net_stats(). */
struct avps_net_stats {
    uint64_t tx_packets;        /**< Frames handed to the backend and taken. */
    uint64_t tx_bytes;          /**< Their bytes (without headers). */
    uint64_t tx_malformed;      /**< Packets refused for their header or layout (§5.1.6.2). */
    uint64_t tx_backend_errors; /**< Frames the backend failed. */
    uint64_t rx_packets;        /**< Frames written to the driver. */
    uint64_t rx_bytes;          /**< Their bytes (without headers). */
    uint64_t rx_filtered;       /**< Frames dropped by the receive filters (§5.1.6.5.1-3). */
    uint64_t rx_no_buffers;     /**< Receive calls that stopped for want of buffers
                                     (avps_net_rx() answered AVPS_E_AGAIN, or
                                     avps_net_rx_burst() took fewer than n frames). */
    uint64_t rx_dropped;        /**< Frames refused: too long, offloads not negotiated, link down. */
    uint64_t rx_bad_buffers;    /**< Receive buffers returned unused (readable or too many
                                     pieces). With IN_ORDER the buffers held for the frame
                                     before such a buffer go back unused too (not counted). */
    uint64_t ctrl_ok;           /**< Control commands acked VIRTIO_NET_OK. */
    uint64_t ctrl_err;          /**< Control commands acked VIRTIO_NET_ERR. */
    uint64_t ctrl_malformed;    /**< Control requests without room for the ack. */
};

/** Per-pair state. Caller-allocated (cfg.pairs); members are private. */
struct avps_net_pair {
    /** @cond PRIVATE */
    struct avps_vq_req txreq;
    struct avps_vq_seg txseg[AVPS_NET_SEGS];
    struct avps_vq_seg fseg[AVPS_NET_SEGS];
    uint8_t tx_parked;
    uint8_t rx_nheld;
    uint16_t rx_segs_used;
    struct avps_vq_seg rxseg[AVPS_NET_RX_SEGS];
    struct avps_vq_req rxheld[AVPS_NET_RX_BUFS];
    /** @endcond */
};

/** Configuration for avps_net_init(). */
struct avps_net_cfg {
    struct avps_dev_common_cfg common;      /**< dev_id, features_off, lock, ... */
    const struct avps_net_backend *backend; /**< Must outlive the device. */
    /** Device-type feature bits to offer: a subset of AVPS_NET_FEATURES_SUPPORTED
     *  that respects §5.1.3.1 (HOST_TSO4 needs CSUM, CTRL_RX needs CTRL_VQ, ...).
     *  MAC, MTU and MQ are added from the fields below. */
    uint64_t features;
    uint8_t mac[6];            /**< Offered with VIRTIO_NET_F_MAC when mac_valid. */
    bool mac_valid;            /**< Offer VIRTIO_NET_F_MAC. */
    bool link_up;              /**< Initial link state (status LINK_UP). */
    bool ctrl_external;        /**< The control queue is served outside this
                                    device (a vhost-user front-end such as QEMU
                                    keeps it): no control queue here, features
                                    that need CTRL_VQ may be negotiated without
                                    it, and no receive filtering is applied. */
    uint16_t mtu;              /**< 68..65535: offer VIRTIO_NET_F_MTU; 0: do not. */
    uint16_t num_pairs;        /**< Queue pairs, 1..AVPS_NET_MAX_PAIRS; > 1 offers MQ. */
    uint32_t speed;            /**< With VIRTIO_NET_F_SPEED_DUPLEX: Mbit/s or 0xffffffff. */
    uint8_t duplex;            /**< With VIRTIO_NET_F_SPEED_DUPLEX: 0, 1 or 0xff. */
    struct avps_net_pair *pairs;   /**< num_pairs entries. */
    struct avps_dev_queue *queues; /**< 2 * num_pairs (+ 1 with CTRL_VQ) entries. */
    struct avps_vq_slot *slots;    /**< In-flight records: queue_size_max per queue. */
    uint32_t num_slots;            /**< Entries in slots (≥ queues × queue_size_max). */
    uint16_t queue_size_max;       /**< Largest queue size offered (1..32768). */
};

/** The device object. Caller-allocated; members are private. */
struct avps_net {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_net is a struct avps_dev */
    const struct avps_net_backend *backend;
    struct avps_net_pair *pairs;
    uint64_t offer;
    uint16_t num_pairs;
    uint16_t curr_pairs;
    uint16_t ctrl_q;  /* queue index of the control queue, or 0xffff */
    uint16_t mtu;
    uint16_t status;
    uint8_t cfg_mac[6];  /* as configured; restored on reset */
    uint8_t mac[6];      /* config space mac */
    uint8_t filt_mac[6]; /* the default MAC the receive filter accepts */
    uint8_t ctrl_external;
    uint8_t duplex;
    uint32_t speed;
    /* receive filter (§5.1.6.5.1-3) */
    uint8_t rxmode[6]; /* indexed by VIRTIO_NET_CTRL_RX_* command */
    uint8_t uni_overflow;
    uint8_t multi_overflow;
    uint8_t n_uni;
    uint8_t n_multi;
    uint8_t uni[AVPS_NET_MAC_TABLE][6];
    uint8_t multi[AVPS_NET_MAC_TABLE][6];
    uint8_t vlan[512]; /* 4096-bit filter table */
    struct avps_vq_req ctrlreq;
    struct avps_vq_seg ctrlseg[AVPS_NET_SEGS];
    struct avps_net_stats stats;
    /** @endcond */
};

/**
 * @brief Set up a virtio-net device.
 * @param[out] net   Device object.
 * @param[in]  host  Guest address space; must outlive net.
 * @param[in]  cfg   Copied; backend, pairs, queues and slots must outlive net.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, no tx op, num_pairs or queue size out of
 *                        range, too few slots, mtu out of 68..65535, features
 *                        outside AVPS_NET_FEATURES_SUPPORTED or breaking a
 *                        §5.1.3.1 dependency, num_pairs > 1 without CTRL_VQ
 *                        (unless ctrl_external), or a bad speed/duplex.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_net_init(struct avps_net *net, const struct avps_host *host,
                  const struct avps_net_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_net_dev(struct avps_net *net);

/**
 * @brief Deliver one received frame to the driver: avps_net_rx_burst() with one
 *        frame, answered with that frame's outcome.
 *
 * The frame goes to receive queue @p pair, folded into the pairs the driver
 * enabled (§5.1.6.5.6.2: receiveq1 only until VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET).
 * It is filtered first (promiscuous mode, receive modes, MAC table, VLAN
 * table), then written with its header into one receive buffer, or with
 * VIRTIO_NET_F_MRG_RXBUF into as many as it needs (num_buffers, §5.1.6.4.1).
 * @param[in,out] net    Device.
 * @param[in]     pair   Queue pair the backend would like (folded as above).
 * @param[in]     off    Offload information, or NULL for a plain, fully
 *                       checksummed frame. It must fit what the driver
 *                       negotiated (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN,
 *                       GUEST_UFO, GUEST_USO4/6).
 * @param[in]     frame  The frame (from the Ethernet header on).
 * @param[in]     len    Its length, 1..AVPS_NET_FRAME_MAX.
 * @retval 1             Delivered.
 * @retval 0             Filtered out (counted in rx_filtered).
 * @retval AVPS_E_AGAIN  Not enough receive buffers: nothing was delivered;
 *                       buffers already taken are kept for the next frame.
 *                       Retry after the backend's rx_ready op is called.
 * @retval AVPS_E_INVAL  The frame cannot be delivered as it is: too long (for
 *                       the buffers, or beyond mtu with VIRTIO_NET_F_MTU), or
 *                       offloads the driver did not negotiate; counted in
 *                       rx_dropped.
 * @retval AVPS_E_STATE  The receive queue is not live, or the link is down
 *                       (counted in rx_dropped).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port's
 * map, dirty and inject ops and the transport.
 */
int avps_net_rx(struct avps_net *net, uint16_t pair, const struct avps_net_offload *off,
                const void *frame, uint32_t len);

/**
 * @brief Deliver up to AVPS_NET_RX_BURST received frames to the driver, in
 *        order, with one used-ring update and at most one notification.
 *
 * Each frame is handled as avps_net_rx() handles one (receive queue @p pair
 * folded into the enabled pairs, filters, offload and MTU checks, one buffer or
 * with VIRTIO_NET_F_MRG_RXBUF several, num_buffers). Delivered, filtered and
 * refused frames are consumed (each counted: rx_packets, rx_filtered,
 * rx_dropped); the call stops at the first frame that finds no receive buffers
 * (counted once in rx_no_buffers), which is not consumed: offer it and the
 * rest again after the backend's rx_ready op is called. The buffers of every
 * frame consumed are returned to the driver together (§2.7.8, §2.8.9: one used
 * index update, or one batch of packed used descriptors) and the driver is
 * notified once if its suppression asks for it. A frame's buffers are never
 * split over two updates; only when the burst's frames and the unusable
 * buffers met on the way need more than AVPS_NET_RX_BUFS used entries does the
 * device publish more than once.
 * @param[in,out] net     Device.
 * @param[in]     pair    Queue pair the backend would like (as for avps_net_rx()).
 * @param[in]     frames  n frames, read only during the call.
 * @param[in]     n       0..AVPS_NET_RX_BURST.
 * @return The number of frames consumed, from frames[0] on: n, or fewer when
 *         frame k = return value found no buffers (frames[k..n) are not taken).
 * @retval AVPS_E_INVAL  n > AVPS_NET_RX_BURST; nothing was done.
 * @retval AVPS_E_STATE  The receive queue is not live, the link is down, or the
 *                       queue broke during the call (the device needs a reset):
 *                       the frames not already returned to the driver are
 *                       dropped and counted in rx_dropped.
 * @par Context
 * As avps_net_rx().
 */
int avps_net_rx_burst(struct avps_net *net, uint16_t pair, const struct avps_net_rx_frame *frames,
                      size_t n);

/**
 * @brief The backend can take frames again: send the parked packet and the rest
 *        of transmit queue @p pair.
 * @retval >=0  Packets completed.
 * @retval AVPS_E_INVAL  No such pair.
 * @retval AVPS_E_STATE  The queue is not live.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the backend.
 */
int avps_net_tx_resume(struct avps_net *net, uint16_t pair);

/**
 * @brief Set the link state (status VIRTIO_NET_S_LINK_UP, §5.1.4). With
 *        VIRTIO_NET_F_STATUS offered, a change bumps the configuration
 *        generation and sends a configuration-change notification once the
 *        driver is up. While the link is down, avps_net_rx() refuses frames.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the transport.
 */
void avps_net_set_link(struct avps_net *net, bool up);

/**
 * @brief Ask the driver to announce itself (status VIRTIO_NET_S_ANNOUNCE,
 *        §5.1.6.5.4), e.g. after migration. The bit stays set until the driver
 *        sends VIRTIO_NET_CTRL_ANNOUNCE_ACK.
 * @retval AVPS_OK       Set, and the driver notified.
 * @retval AVPS_E_STATE  VIRTIO_NET_F_GUEST_ANNOUNCE is not negotiated.
 * @par Context
 * As avps_net_set_link().
 */
int avps_net_announce(struct avps_net *net);

/** @brief True when the link is up. */
bool avps_net_link_up(const struct avps_net *net);
/** @brief Queue pairs the driver enabled (1 until VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET). */
uint16_t avps_net_active_pairs(const struct avps_net *net);
/** @brief The current default MAC (config mac, or the last MAC_ADDR_SET). */
void avps_net_mac(const struct avps_net *net, uint8_t mac[6]);
/** @brief The device's counters; valid as long as net. */
const struct avps_net_stats *avps_net_stats(const struct avps_net *net);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_NET_H */

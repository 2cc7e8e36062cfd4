/**
 * @file vsock.h
 * @brief virtio-vsock (socket device, device ID 19, VIRTIO 1.2 §5.10).
 *
 * Three queues: rx (device-to-driver packets), tx (driver-to-device packets)
 * and event. The device plays the host side (CID 2) of every connection; the
 * backend sees connections, not packets:
 *
 * - the guest connects to a host port: the backend's connect() accepts or
 *   refuses; the host connects to a guest port with avps_vsock_connect() and
 *   hears accept() or reset();
 * - guest data reaches data(); the backend frees the buffer space it used with
 *   avps_vsock_consumed(), which returns credit to the guest (CREDIT_UPDATE);
 * - host data goes out with avps_vsock_send(), which writes it into the
 *   guest's rx buffers at once, never more than the guest's credit
 *   (§5.10.6.3), and returns how much it took; writable() says when to try
 *   again;
 * - avps_vsock_shutdown() and avps_vsock_reset() end a connection, shutdown()
 *   and reset() report the guest doing so.
 *
 * Connections live in a caller-provided table: no allocation, and a full table
 * refuses new connections with RST. Replies the device owes while the rx
 * queue is full are held per connection (control packets as flags) and in a
 * small bounded queue of RSTs for packets that belong to no connection; when
 * that queue is full the device stops taking tx packets until the driver
 * returns rx buffers (§5.10.6.1).
 *
 * Every tx packet is checked (copied once, then validated):
 * - a header shorter than 44 bytes, or device-writable descriptors: dropped;
 * - src_cid other than the guest's CID: dropped (§5.10.6.4.1);
 * - dst_cid other than the host (2) with the reserved upper half zero: RST;
 *   with the upper half set: dropped;
 * - len larger than the payload present, a control packet with payload, an
 *   unknown op, an unknown or not negotiated type (§5.10.6.4.2): RST reply,
 *   and a connection of that address is reset;
 * - a packet other than REQUEST for no connection: RST reply;
 * - an op the connection's state does not allow, a type other than the
 *   connection's, data beyond the credit the device gave (§5.10.6.3.1):
 *   the connection is reset;
 * - an RST is never answered.
 * Each case counts in struct avps_vsock_stats and is reported
 * (AVPS_EV_DEV_REQUEST, a = tx queue << 16 | id, b = the AVPS_VSOCK_BAD_* reason).
 */
#ifndef AVPS_VSOCK_H
#define AVPS_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "virtio/vsock.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup vsock virtio-vsock
 * @{ */

#define AVPS_VSOCK_NUM_QUEUES 3u /**< rx, tx, event. */
#define AVPS_VSOCK_SEGS 16u      /**< Segments one packet buffer may span. */
#define AVPS_VSOCK_RST_QUEUE 16u /**< RST replies held while the rx queue is full. */
#define AVPS_VSOCK_HDR_LEN 44u   /**< Bytes of the packet header. */
/** Largest payload of one packet either way (as Linux: 64 KiB). */
#define AVPS_VSOCK_MAX_PAYLOAD 65536u

/** Flags of avps_vsock_send() and of the backend's data(). */
#define AVPS_VSOCK_EOM 0x1u /**< Seqpacket: the bytes end a message. */
#define AVPS_VSOCK_EOR 0x2u /**< Seqpacket: the message ends a record. */

/** Shutdown flags (same values as the wire flags). */
#define AVPS_VSOCK_SHUT_RCV 0x1u  /**< No more receiving. */
#define AVPS_VSOCK_SHUT_SEND 0x2u /**< No more sending. */

/** Reasons of dropped or refused tx packets (report detail b). */
enum avps_vsock_bad {
    AVPS_VSOCK_BAD_SHORT = 1,   /**< Header shorter than 44 bytes, or writable descriptors. */
    AVPS_VSOCK_BAD_SRC_CID,     /**< src_cid is not the guest's CID. */
    AVPS_VSOCK_BAD_DST_CID,     /**< dst_cid is not the host. */
    AVPS_VSOCK_BAD_LEN,         /**< len does not match the payload. */
    AVPS_VSOCK_BAD_OP,          /**< Unknown op. */
    AVPS_VSOCK_BAD_TYPE,        /**< Unknown or not negotiated type. */
    AVPS_VSOCK_BAD_NO_CONN,     /**< No connection for the address. */
    AVPS_VSOCK_BAD_STATE,       /**< Op not valid in the connection's state, or type mismatch. */
    AVPS_VSOCK_BAD_CREDIT,      /**< Data beyond the credit given. */
    AVPS_VSOCK_BAD_RX_BUF,      /**< An rx or event buffer too small or readable. */
    AVPS_VSOCK_BAD_COUNT        /**< Number of reasons plus one; not a reason. */
};

/** One connection. Caller-provided table entries; members are private. */
struct avps_vsock_conn {
    /** @cond PRIVATE */
    uint32_t host_port;
    uint32_t guest_port;
    uint32_t peer_buf_alloc; /* guest's receive space */
    uint32_t peer_fwd_cnt;   /* guest's consumed counter */
    uint32_t tx_cnt;         /* bytes sent to the guest */
    uint32_t rx_cnt;         /* bytes received from the guest */
    uint32_t fwd_cnt;        /* bytes the backend consumed */
    uint32_t adv_fwd_cnt;    /* fwd_cnt last told to the guest */
    uint16_t type;
    uint8_t state;
    uint8_t pending;        /* control packets owed (CONN_P_*) */
    uint8_t peer_shut;      /* guest's SHUTDOWN flags */
    uint8_t host_shut;      /* ours */
    uint8_t want_write;     /* send() came back short */
    uint8_t pad_;
    uint32_t idx;           /* own index in the table */
    /** @endcond */
};

/** The host side of every connection. Callbacks run with the device's lock
 *  held (if one is configured) and must not call avps_vsock_* functions of the
 *  same device: note what is to be done and do it after the callback returns. */
struct avps_vsock_backend {
    /**
     * Required. The guest asks to connect to @p host_port from @p guest_port
     * with socket @p type. Return AVPS_OK to accept (the device replies
     * RESPONSE; @p conn is the connection's handle from now on), or any
     * negative value to refuse (RST).
     */
    int (*connect)(void *ctx, uint32_t conn, uint32_t host_port, uint32_t guest_port,
                   uint16_t type);
    /** Optional. A connection made with avps_vsock_connect() was accepted by
     *  the guest. (A refusal comes as reset().) */
    void (*accept)(void *ctx, uint32_t conn);
    /**
     * Required. Payload from the guest. The backend must keep all of it: the
     * device never gives the guest more credit than buf_alloc bytes beyond what
     * avps_vsock_consumed() returned. One packet may arrive in several calls
     * (one per guest buffer piece); @p flags (AVPS_VSOCK_EOM, AVPS_VSOCK_EOR, seqpacket
     * only) come with the last one. Return AVPS_OK, or a negative value to
     * reset the connection.
     */
    int (*data)(void *ctx, uint32_t conn, const void *buf, uint32_t len, uint32_t flags);
    /** Optional. The guest shut down one or both directions; @p flags is
     *  everything it has shut down so far (AVPS_VSOCK_SHUT_*). When both are
     *  shut, the host is expected to finish and call avps_vsock_reset()
     *  (§5.10.6.5 clean disconnect). */
    void (*shutdown)(void *ctx, uint32_t conn, uint32_t flags);
    /** Required. The connection is gone (guest RST or refusal, a protocol
     *  violation, device or transport reset); the handle is free from now on.
     *  Not called for avps_vsock_reset(). */
    void (*reset)(void *ctx, uint32_t conn);
    /** Optional. After a short avps_vsock_send(): the guest gave credit or rx
     *  buffers, try again. */
    void (*writable)(void *ctx, uint32_t conn);
    /** Passed to every callback. */
    void *ctx;
};

/** Configuration for avps_vsock_init(). */
struct avps_vsock_cfg {
    struct avps_dev_common_cfg common;        /**< dev_id, features_off, lock, ... */
    uint64_t guest_cid;                       /**< 3..0xfffffffe (§5.10.4). */
    const struct avps_vsock_backend *backend; /**< Must outlive the device. */
    struct avps_vsock_conn *conns;            /**< Connection table; must outlive the device. */
    uint32_t num_conns;                       /**< Entries in conns (≥ 1). */
    uint32_t buf_alloc;                       /**< Host receive space per connection (≥ 1). */
    struct avps_vq_slot *slots[AVPS_VSOCK_NUM_QUEUES]; /**< In-flight records per queue. */
    uint32_t num_slots;                       /**< Entries in each slots[] array (≥ queue_size_max). */
    uint16_t queue_size_max;                  /**< Largest queue size offered (1..32768). */
};

/** @cond PRIVATE */
/* An RST owed to a packet of no connection. */
struct avps_vsock_rst_ {
    uint64_t src_cid;  /* the address the guest sent to */
    uint32_t src_port;
    uint32_t dst_port; /* the guest's port */
    uint16_t type;
};
/** @endcond */

/** Counters (see avps_vsock_stats()). */
struct avps_vsock_stats {
    uint64_t tx_packets;   /**< tx packets taken. */
    uint64_t rx_packets;   /**< Packets written into rx buffers. */
    uint64_t tx_bytes;     /**< Guest payload bytes delivered to the backend. */
    uint64_t rx_bytes;     /**< Host payload bytes written for the guest. */
    uint64_t dropped;      /**< tx packets dropped without reply. */
    uint64_t rst_replies;  /**< RSTs sent for bad packets, refusals and resets. */
    uint64_t table_full;   /**< Connection requests refused for lack of a table entry. */
    uint64_t bad_rx_bufs;  /**< rx/event buffers returned unused (too small or readable). */
    uint64_t bad[AVPS_VSOCK_BAD_COUNT]; /**< Per avps_vsock_bad reason. */
    uint64_t events;       /**< Events written. */
};

/** The device object. Caller-allocated; members are private. */
struct avps_vsock {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_vsock is a struct avps_dev */
    struct avps_dev_queue queue[AVPS_VSOCK_NUM_QUEUES];
    const struct avps_vsock_backend *backend;
    struct avps_vsock_conn *conns;
    uint32_t num_conns;
    uint32_t buf_alloc;
    uint64_t guest_cid;
    struct avps_vq_seg tx_seg[AVPS_VSOCK_SEGS];
    struct avps_vq_seg rx_seg[AVPS_VSOCK_SEGS];
    struct avps_vq_req tx_req;
    struct avps_vq_req rx_req;
    struct avps_vsock_rst_ rst[AVPS_VSOCK_RST_QUEUE];
    uint32_t rst_head;
    uint32_t rst_count;
    uint32_t rr;         /* round-robin start for pending control packets */
    uint8_t tx_stalled;  /* tx left alone until the RST queue drains */
    uint8_t event_pending;
    uint8_t in_flush;
    uint8_t pad_;
    struct avps_vsock_stats stats;
    /** @endcond */
};

/**
 * @brief Set up a virtio-vsock device.
 * @param[out] vs    Device object.
 * @param[in]  host  Guest address space; must outlive vs.
 * @param[in]  cfg   Copied; backend, conns and slots must outlive vs.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, a required callback missing, a reserved
 *                        guest CID (§5.10.6.4.2), no connection entry, buf_alloc 0,
 *                        queue size out of range, or too few slots.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_vsock_init(struct avps_vsock *vs, const struct avps_host *host,
                    const struct avps_vsock_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_vsock_dev(struct avps_vsock *vs);

/**
 * @brief Connect the host port @p host_port to the guest's @p guest_port.
 *
 * Sends REQUEST (as soon as an rx buffer is there); the guest answers with
 * RESPONSE (backend accept()) or RST (backend reset()).
 * @param[in,out] vs  Device.
 * @param[in] host_port   Source port on the host.
 * @param[in] guest_port  Destination port in the guest.
 * @param[in] type        AVPS_VIRTIO_VSOCK_TYPE_STREAM or _SEQPACKET.
 * @retval >=0            The connection's handle.
 * @retval AVPS_E_INVAL   Unknown type, a type the driver did not negotiate, or the
 *                        port pair is in use.
 * @retval AVPS_E_NOSPC   The connection table is full.
 * @retval AVPS_E_STATE   The device is not running (no DRIVER_OK, or needs reset).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_vsock_connect(struct avps_vsock *vs, uint32_t host_port, uint32_t guest_port,
                       uint16_t type);

/**
 * @brief Send host data to the guest on an established connection.
 *
 * Writes at once into the guest's rx buffers as many bytes as the guest's
 * credit (§5.10.6.3: buf_alloc - (tx_cnt - fwd_cnt)) and its rx buffers allow,
 * in packets of at most AVPS_VSOCK_MAX_PAYLOAD. Bytes counted in the return
 * value are in guest memory; the rest is the caller's to send again (after
 * writable()). For seqpacket, @p flags (AVPS_VSOCK_EOM, AVPS_VSOCK_EOR) go on
 * the packet that carries the last byte of buf, and only if all of it was
 * taken; a message may span calls.
 * @param[in,out] vs  Device.
 * @param[in] conn   Handle.
 * @param[in] buf    Bytes.
 * @param[in] len    Count (0 is allowed: with EOM, an empty seqpacket message).
 * @param[in] flags  AVPS_VSOCK_EOM / AVPS_VSOCK_EOR, seqpacket only.
 * @retval >=0            Bytes taken.
 * @retval AVPS_E_INVAL   No such connection, or flags on a stream connection.
 * @retval AVPS_E_STATE   Not established, the host shut down sending, the guest
 *                        shut down receiving, or the device is not running.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_vsock_send(struct avps_vsock *vs, uint32_t conn, const void *buf, uint32_t len,
                    uint32_t flags);

/**
 * @brief The guest's credit on @p conn: bytes avps_vsock_send() may take now
 *        (rx buffers permitting).
 * @retval >=0  Bytes.  @retval AVPS_E_INVAL  No such connection.
 * @retval AVPS_E_STATE  Not established.
 * @par Context
 * Any thread; takes the device lock if one was configured.
 */
int64_t avps_vsock_credit(struct avps_vsock *vs, uint32_t conn);

/**
 * @brief The backend has consumed @p n bytes it got through data(): return the
 *        space to the guest (CREDIT_UPDATE once a quarter of buf_alloc is free
 *        again and not yet announced).
 * @retval AVPS_OK        Noted.
 * @retval AVPS_E_INVAL   No such connection, or more than was delivered and not consumed.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_vsock_consumed(struct avps_vsock *vs, uint32_t conn, uint32_t n);

/**
 * @brief The host shuts down receiving and/or sending (SHUTDOWN to the guest).
 *        The flags are permanent and add up (§5.10.6.5).
 * @param[in,out] vs  Device.
 * @param[in] conn   Handle.
 * @param[in] flags  AVPS_VSOCK_SHUT_RCV and/or AVPS_VSOCK_SHUT_SEND.
 * @retval AVPS_OK       Queued.
 * @retval AVPS_E_INVAL  No such connection, or no or unknown flags.
 * @retval AVPS_E_STATE  Not established.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_vsock_shutdown(struct avps_vsock *vs, uint32_t conn, uint32_t flags);

/**
 * @brief End a connection with RST (refuse a pending one, abort, or finish a
 *        clean disconnect). The handle is free on return; reset() is not called.
 * @retval AVPS_OK       Done.
 * @retval AVPS_E_INVAL  No such connection.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_vsock_reset(struct avps_vsock *vs, uint32_t conn);

/**
 * @brief Transport reset (after a restore or migration, §5.10.6.7): every
 *        connection ends (backend reset() for each), the guest CID becomes
 *        @p guest_cid (the configuration generation changes when it does) and
 *        a VIRTIO_VSOCK_EVENT_TRANSPORT_RESET event goes to the event queue
 *        (as soon as the driver has an event buffer there).
 * @param[in,out] vs     Device.
 * @param[in] guest_cid  New CID, or the same one.
 * @retval AVPS_OK       Done.
 * @retval AVPS_E_INVAL  A reserved CID.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the backend,
 * the port and the transport.
 */
int avps_vsock_transport_reset(struct avps_vsock *vs, uint64_t guest_cid);

/** @brief The guest's CID. */
uint64_t avps_vsock_guest_cid(const struct avps_vsock *vs);
/** @brief The counters; valid as long as vs. */
const struct avps_vsock_stats *avps_vsock_stats(const struct avps_vsock *vs);
/** @brief True when @p conn is an established connection (shut down or not). */
bool avps_vsock_established(const struct avps_vsock *vs, uint32_t conn);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VSOCK_H */

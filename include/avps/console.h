/**
 * @file console.h
 * @brief virtio-console (console device, device ID 3, VIRTIO 1.2 §5.3).
 *
 * Ports carry byte streams between the guest and the backend: port 0 always,
 * and with VIRTIO_CONSOLE_F_MULTIPORT up to AVPS_CONSOLE_MAX_PORTS ports,
 * announced, named, opened, closed and hot-plugged through the control queues.
 * Each port has a receiveq (device to driver) and a transmitq (driver to
 * device).
 *
 * Data never gets lost on the way: the backend pulls guest-bound bytes into a
 * receive buffer only when the driver has posted one (rx op), and takes
 * transmitted bytes at its own pace (tx op). A backend that cannot take or give
 * bytes now answers AVPS_E_AGAIN; the buffer then stays with the device, not
 * completed, until avps_console_resume().
 */
#ifndef AVPS_CONSOLE_H
#define AVPS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup console virtio-console
 * @{ */

#define AVPS_VIRTIO_ID_CONSOLE 3u  /**< VIRTIO device ID of the console device. */
#define AVPS_CONSOLE_MAX_PORTS 8u  /**< Most ports a device may have. */
#define AVPS_CONSOLE_SEGS 8u       /**< Segments one driver buffer may span. */
/** Queues of a device with AVPS_CONSOLE_MAX_PORTS ports and MULTIPORT. */
#define AVPS_CONSOLE_MAX_QUEUES (2u * (AVPS_CONSOLE_MAX_PORTS + 1u))
#define AVPS_CONSOLE_NAME_MAX 120u /**< Longest port name (bytes). */

/** What the driver told the device on the control transmitq (backend event op). */
enum avps_console_event {
    AVPS_CONSOLE_EV_DEVICE_READY = 0, /**< The driver is ready (value 1) or failed (0); port is 0. */
    AVPS_CONSOLE_EV_PORT_READY = 3,   /**< The driver set the port up (value 1) or failed (0). */
    AVPS_CONSOLE_EV_PORT_OPEN = 6     /**< A guest program opened (1) or closed (0) the port. */
};

/** The backend: where the ports' bytes come from and go to. */
struct avps_console_backend {
    /**
     * Required. The guest transmitted @p len bytes (1..len) on @p port. Return
     * how many were taken (0..len): the rest is offered again, and the driver's
     * buffer completes only when all of it is taken. AVPS_E_AGAIN (or 0) when
     * nothing can be taken now: call avps_console_resume() later. Any other
     * error discards the rest of the buffer (counted).
     */
    int (*tx)(void *ctx, uint32_t port, const void *buf, uint32_t len);
    /**
     * Optional (without it the device never has bytes for the guest). Fill up
     * to @p len bytes for @p port; return the count (1..len), or AVPS_E_AGAIN
     * when there is nothing now: the receive buffer waits, and
     * avps_console_rx_wanted() says so, until avps_console_resume().
     */
    int (*rx)(void *ctx, uint32_t port, void *buf, uint32_t len);
    /** Optional. A control message from the driver (MULTIPORT). */
    void (*event)(void *ctx, uint32_t port, enum avps_console_event ev, uint16_t value);
    /** Optional; offers VIRTIO_CONSOLE_F_EMERG_WRITE. The byte the driver
     *  wrote to emerg_wr (§5.3.5.1). */
    void (*emerg)(void *ctx, uint8_t ch);
    /** Passed to every op. */
    void *ctx;
};

/** Configuration for avps_console_init(). */
struct avps_console_cfg {
    struct avps_dev_common_cfg common;          /**< dev_id, features_off, lock, ... */
    const struct avps_console_backend *backend; /**< Must outlive the device. */
    uint32_t max_ports;      /**< 1..AVPS_CONSOLE_MAX_PORTS; above 1 offers MULTIPORT. */
    bool multiport;          /**< Offer MULTIPORT with max_ports 1 too. */
    bool size;               /**< Offer VIRTIO_CONSOLE_F_SIZE with cols and rows. */
    uint16_t cols;           /**< Initial columns (with size). */
    uint16_t rows;           /**< Initial rows (with size). */
    /** In-flight records: slots_per_queue entries for each queue, queue after
     *  queue: 2 queues without MULTIPORT, 2 * (max_ports + 1) with it. */
    struct avps_vq_slot *slots;
    uint32_t slots_per_queue;  /**< Entries per queue (≥ queue_size_max). */
    uint16_t queue_size_max;   /**< Largest queue size offered (1..32768). */
};

/** Counters, read with avps_console_stats(). */
struct avps_console_stats {
    uint64_t tx_bytes;   /**< Bytes the guest transmitted and the backend took. */
    uint64_t rx_bytes;   /**< Bytes delivered to the guest. */
    uint64_t tx_lost;    /**< Bytes discarded after a backend error. */
    uint64_t control_in; /**< Control messages from the driver, taken. */
    uint64_t control_out; /**< Control messages sent to the driver. */
    uint64_t refused;    /**< Driver buffers or control messages refused. */
    uint64_t emerg;      /**< Emergency-write bytes. */
};

/** @cond PRIVATE */
struct avps_console_port {
    struct avps_vq_seg rx_seg[AVPS_CONSOLE_SEGS];
    struct avps_vq_req rx_req;
    struct avps_vq_seg tx_seg[AVPS_CONSOLE_SEGS];
    struct avps_vq_req tx_req;
    uint32_t tx_off;   /* bytes of tx_req taken so far */
    const char *name;
    uint16_t name_len;
    uint16_t flags;    /* control messages to send */
    uint16_t cols;     /* console size for RESIZE */
    uint16_t rows;
    uint8_t added;     /* the port exists */
    uint8_t announced; /* DEVICE_ADD went to the driver */
    uint8_t ready;     /* PORT_READY 1 received */
    uint8_t console;
    uint8_t host_open;
    uint8_t guest_open;
    uint8_t rx_parked;
    uint8_t tx_parked;
};
/** @endcond */

/** The device object. Caller-allocated; members are private. */
struct avps_console {
    /** @cond PRIVATE */
    struct avps_dev dev; /* first: a struct avps_console is a struct avps_dev */
    struct avps_dev_queue queue[AVPS_CONSOLE_MAX_QUEUES];
    const struct avps_console_backend *backend;
    struct avps_console_port port[AVPS_CONSOLE_MAX_PORTS];
    struct avps_vq_seg c_seg[AVPS_CONSOLE_SEGS];
    struct avps_vq_req c_req;
    uint32_t max_ports;
    uint16_t cols;
    uint16_t rows;
    uint8_t driver_ready; /* DEVICE_READY 1 received */
    uint8_t multiport_offered;
    struct avps_console_stats stats;
    /** @endcond */
};

/**
 * @brief Set up a virtio-console device. Port 0 exists from the start and is a
 *        console port.
 * @param[out] con   Device object.
 * @param[in]  host  Guest address space; must outlive con.
 * @param[in]  cfg   Copied; backend and slots must outlive con.
 * @retval AVPS_OK        Ready to bind to a transport.
 * @retval AVPS_E_INVAL   NULL argument, no tx op, max_ports out of range, queue
 *                        size out of range, or too few slots.
 * @retval AVPS_E_VERSION The host's ops table has another version.
 * @par Context
 * Setup time.
 */
int avps_console_init(struct avps_console *con, const struct avps_host *host,
                      const struct avps_console_cfg *cfg);

/** @brief The device's common part, for transports. */
struct avps_dev *avps_console_dev(struct avps_console *con);

/**
 * @brief Add port @p id (port hot-plug with MULTIPORT, §5.3.6.2). The driver
 *        hears of it (DEVICE_ADD) once it has sent DEVICE_READY; after its
 *        PORT_READY the device sends CONSOLE_PORT, PORT_NAME and PORT_OPEN as
 *        they apply.
 * @param[in,out] con      Device.
 * @param[in]     id       1..max_ports-1 (port 0 always exists).
 * @param[in]     name     Port name (UTF-8, no NUL needed), or NULL; must outlive the port.
 * @param[in]     name_len Bytes of name (≤ AVPS_CONSOLE_NAME_MAX).
 * @param[in]     console  Nominate the port as a console port.
 * @retval AVPS_OK       Added.
 * @retval AVPS_E_INVAL  id 0 (port 0 always exists), id out of range, or the name
 *                       too long (§5.3.6.2.1: never a port at or above max_nr_ports).
 * @retval AVPS_E_STATE  The port exists already (§5.3.6.2.1), or the device
 *                       does not offer MULTIPORT.
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the transport.
 */
int avps_console_port_add(struct avps_console *con, uint32_t id, const char *name,
                          uint16_t name_len, bool console);

/**
 * @brief Remove port @p id (hot-unplug, DEVICE_REMOVE). Buffers the device
 *        holds for it are returned empty first.
 * @retval AVPS_OK       Removal under way.
 * @retval AVPS_E_INVAL  id out of range or 0.
 * @retval AVPS_E_STATE  The port was not added (§5.3.6.2.1), or no MULTIPORT.
 * @par Context
 * As avps_console_port_add().
 */
int avps_console_port_remove(struct avps_console *con, uint32_t id);

/**
 * @brief The host side of port @p id opened (true) or closed (false): sent to
 *        the driver as PORT_OPEN once the port is ready (MULTIPORT).
 * @retval AVPS_OK  Recorded.  @retval AVPS_E_INVAL  No such port.
 * @par Context
 * As avps_console_port_add().
 */
int avps_console_port_open(struct avps_console *con, uint32_t id, bool open);

/**
 * @brief The console of port @p id changed size: with VIRTIO_CONSOLE_F_SIZE,
 *        port 0's size goes to the configuration space (and a configuration
 *        change notification); with MULTIPORT a console port gets a RESIZE
 *        control message.
 * @retval AVPS_OK  Recorded.  @retval AVPS_E_INVAL  No such port.
 * @par Context
 * As avps_console_port_add().
 */
int avps_console_resize(struct avps_console *con, uint32_t id, uint16_t cols, uint16_t rows);

/**
 * @brief Serve every queue again: the backend can take or give bytes again.
 * @retval >=0  Buffers completed.
 * @retval AVPS_E_STATE  The device is not live (not DRIVER_OK, or needs a reset).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the backend,
 * the port's map and the transport.
 */
int avps_console_resume(struct avps_console *con);

/** @brief True while a receive buffer of port @p id waits for bytes from the rx op. */
bool avps_console_rx_wanted(const struct avps_console *con, uint32_t id);

/** @brief True when the driver has the port open (PORT_OPEN 1; port 0 without
 *         MULTIPORT: DRIVER_OK). */
bool avps_console_guest_open(const struct avps_console *con, uint32_t id);

/** @brief Copy the device's counters into @p st. */
void avps_console_stats(const struct avps_console *con, struct avps_console_stats *st);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_CONSOLE_H */

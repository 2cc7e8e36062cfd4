/**
 * @file avps_vhost_user.h
 * @brief The vhost-user port: serves one libavps device to a vhost-user
 *        front-end (QEMU, crosvm, cloud-hypervisor, Xen's vhost-user front-end)
 *        over a Unix socket.
 *
 * The front-end owns the transport (virtio-pci, virtio-mmio) and guest memory;
 * it shares memory regions and eventfds with us. This port turns its messages
 * into libavps device-core calls, its memory table into the port's map op and its
 * eventfds into kicks and interrupts. The peer is as hostile as the guest: every
 * message is checked (size, payload, file descriptors, regions) before it is
 * used, every received descriptor is closed on every error path, and a bad
 * message gets an error reply or a disconnect, never a crash.
 *
 * Ports may use libc; this one uses POSIX sockets, mmap and eventfds (Linux).
 */
#ifndef AVPS_VHOST_USER_H
#define AVPS_VHOST_USER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avps/device.h>
#include <avps/port.h>

#include "vu_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AVPS_VU_MAX_REGIONS 32u /**< Memory slots (GET_MAX_MEM_SLOTS). */
#define AVPS_VU_MAX_QUEUES 16u  /**< Queues one connection may drive. */

/** Log callback: level 0 errors, 1 connection and negotiation events, 2 every message. */
typedef void avps_vu_log_fn(void *ctx, int level, const char *msg);

/** Configuration of one vhost-user back-end. */
struct avps_vu_cfg {
    const char *name;       /**< For log lines (e.g. "rng0"). */
    avps_vu_log_fn *log;    /**< Optional. */
    void *log_ctx;          /**< Passed to log. */
    int verbosity;          /**< Highest level passed to log. */
};

/** One mapped guest memory region. */
struct avps_vu_mregion {
    uint64_t gpa, size, uva, mmap_offset; /**< As the front-end described it. */
    uint8_t *host;                        /**< Host address of gpa. */
    void *map_base;                       /**< What mmap returned. */
    uint64_t map_len;                     /**< Its length. */
    uint32_t extra_refs;                  /**< ADD_MEM_REG of this same region again
                                               (one per vhost device sharing the
                                               connection: multi-queue net). */
};

/** Per-queue vhost-user state. */
struct avps_vu_queue {
    int kick_fd, call_fd, err_fd;   /**< -1 when not set. */
    uint32_t num;                   /**< SET_VRING_NUM. */
    uint32_t base;                  /**< SET_VRING_BASE. */
    struct avps_vu_vring_addr addr; /**< SET_VRING_ADDR as received. */
    uint8_t num_set, base_set, addr_set, kick_set, started, enabled;
    void *jr;                       /**< Inflight journal of the running ring, or NULL. */
};

/** One back-end: a device served on one connection at a time. */
struct avps_vu {
    /** @cond PRIVATE */
    struct avps_host host;
    struct avps_vu_cfg cfg;
    struct avps_dev *dev;
    int sock;
    int backend_fd;
    uint64_t features;       /* acked: virtio bits plus vhost-user bits */
    uint64_t proto_features; /* acked protocol features */
    uint8_t features_set;
    struct avps_vu_mregion reg[AVPS_VU_MAX_REGIONS];
    unsigned int nreg;
    struct avps_vu_queue q[AVPS_VU_MAX_QUEUES];
    uint16_t nq;
    uint8_t *log_base;
    uint64_t log_map_len;
    uint64_t log_size;
    uint64_t log_offset;
    uint8_t *inflight;        /* INFLIGHT_SHMFD region, or NULL */
    uint64_t inflight_size;
    uint16_t inflight_nq;
    uint16_t inflight_qsize;  /* records per queue region (its capacity) */
    uint64_t inflight_stride; /* bytes per queue region */
    bool inflight_packed;
    uint64_t inflight_counter; /* the protocol's global counter */
    uint64_t msgs;
    uint64_t bad_msgs;
    uint64_t connections;
    /** @endcond */
};

/**
 * @brief Set up a back-end. Then create the device with avps_vu_host(vu) as its
 *        host and attach it with avps_vu_attach().
 * @retval 0 always.
 */
int avps_vu_init(struct avps_vu *vu, const struct avps_vu_cfg *cfg);

/** @brief The guest address space this back-end provides (memory table). */
const struct avps_host *avps_vu_host(struct avps_vu *vu);

/**
 * @brief Serve @p dev: bind as its transport.
 * @retval 0 on success, or a negative avps_err (too many queues).
 */
int avps_vu_attach(struct avps_vu *vu, struct avps_dev *dev);

/** @brief Start serving a connected socket (takes ownership of fd). */
void avps_vu_connect(struct avps_vu *vu, int fd);

/** @brief True while a front-end is connected. */
bool avps_vu_connected(const struct avps_vu *vu);

/**
 * @brief Read and handle one message from the connection.
 * @retval 0   Handled (possibly with an error reply).
 * @retval <0  The connection was closed (peer gone or a malformed message);
 *             the device was reset and every resource released.
 */
int avps_vu_handle(struct avps_vu *vu);

/**
 * @brief Handle one message that is already in memory (for tests and fuzzers).
 *        Takes ownership of fds[0..nfds): each is used or closed.
 * @retval 0 handled; <0 the message was malformed (the caller should disconnect).
 */
int avps_vu_process(struct avps_vu *vu, const struct avps_vu_msg *m, size_t len, int *fds,
                    unsigned int nfds);

/** @brief The front-end kicked queue q (its kick fd became readable). */
void avps_vu_kick(struct avps_vu *vu, uint16_t q);

/**
 * @brief Fill poll entries: the connection, then each started queue's kick fd.
 * @param[out] pfd   At least 1 + AVPS_VU_MAX_QUEUES entries.
 * @param[out] qidx  Queue index per entry (-1 for the connection).
 * @return Entries filled.
 */
unsigned int avps_vu_pollfds(const struct avps_vu *vu, struct pollfd *pfd, int *qidx);

/** @brief Drop the connection: stop rings, reset the device, release everything. */
void avps_vu_disconnect(struct avps_vu *vu);

/**
 * @brief Check a message against the protocol before anything uses it
 *        (sizes, payload consistency, file descriptors, protocol features).
 * @param[in] m      The message (header and payload).
 * @param[in] len    Bytes of m actually received.
 * @param[in] nfds   File descriptors that came with it.
 * @param[in] pf     Negotiated protocol features.
 * @param[out] why   A short reason on failure.
 * @retval 0   Well formed.
 * @retval <0  Malformed (AVPS_E_GUEST_REQ), or not supported here (AVPS_E_INVAL).
 */
int avps_vu_check(const struct avps_vu_msg *m, size_t len, unsigned int nfds, uint64_t pf,
                  const char **why);

/** @brief The name of a request (for logs). */
const char *avps_vu_req_name(uint32_t req);

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VHOST_USER_H */

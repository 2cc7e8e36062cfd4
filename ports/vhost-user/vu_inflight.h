/*
 * vhost-user inflight I/O tracking (INFLIGHT_SHMFD, vhost-user.rst "Inflight
 * I/O tracking"): the shared region the front-end keeps across back-end
 * restarts, written through the ring engine's journal hooks and read back
 * when a ring starts. Internal to ports/vhost-user.
 */
#ifndef AVPS_VU_INFLIGHT_H
#define AVPS_VU_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include <avps/virtqueue.h>

#include "avps_vhost_user.h"

/* GET_INFLIGHT_FD: make a zeroed region for in->num_queues queues of
 * in->queue_size entries in the layout the negotiated ring needs. On success
 * *fd is the region's memfd (the caller sends it and closes it) and out says
 * its size. Returns 0 or a negative avps_err. */
int vu_inflight_get(struct avps_vu *vu, const struct avps_vu_inflight *in,
                    struct avps_vu_inflight *out, int *fd);

/* SET_INFLIGHT_FD: map the region the front-end kept (fd is consumed). */
int vu_inflight_set(struct avps_vu *vu, const struct avps_vu_inflight *in, int fd);

/* Before queue i restarts at the used position *st (split: used->idx;
 * packed: from SET_VRING_BASE): with a region for it, read what was in flight
 * (repairing an update the last back-end left half done), attach the journal
 * to vq, and move *st to the region's used position. Returns the number of
 * buffers to resubmit (0..), or -1 when the queue has no journal. */
int vu_inflight_prepare(struct avps_vu *vu, uint16_t i, struct avps_vq *vq, uint16_t size,
                        uint64_t desc_gpa, struct avps_vq_state *st);

/* After the queue restarted: hand the buffers in flight to the engine. */
int vu_inflight_resubmit(struct avps_vu *vu, uint16_t i, struct avps_vq *vq);

/* Queue i stopped: detach the journal (the region keeps its records). */
void vu_inflight_detach(struct avps_vu *vu, uint16_t i, struct avps_vq *vq);

/* The device was reset: nothing in flight any more; forget the records. */
void vu_inflight_forget(struct avps_vu *vu);

/* The connection ended: unmap the region. */
void vu_inflight_unmap(struct avps_vu *vu);

/* From vu_backend.c: a host pointer for [gpa, gpa + len) in one region, or
 * NULL; and the back-end's log line. */
void *vu_gpa_ptr_(const struct avps_vu *vu, uint64_t gpa, uint64_t len);
void vu_log_(const struct avps_vu *vu, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* AVPS_VU_INFLIGHT_H */

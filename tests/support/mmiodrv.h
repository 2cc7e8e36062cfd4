/*
 * mmiodrv: a guest-side virtio-mmio driver written from the VIRTIO 1.2 spec
 * (§3.1.1 device initialisation, §4.2.3 MMIO-specific initialisation and
 * operation), talking to a struct avps_mmio through avps_mmio_read/write the
 * way a guest's loads and stores reach it through a hypervisor's trap handler.
 * Each queue is a ringdrv struct rd_queue. For tests, fuzzers and examples.
 *
 * The driver only makes accesses the spec allows (32-bit aligned control
 * registers, no read of a write-only register, no write to a read-only one),
 * so every access it makes must succeed: md_dev.refused counts those that did
 * not, and a test expects it to stay 0.
 */
#ifndef AVPS_MMIODRV_H
#define AVPS_MMIODRV_H

#include <stdbool.h>
#include <stdint.h>

#include <avps/mmio.h>

#include "avps_posix.h"
#include "ringdrv.h"

/* Why md_init() or one of its steps stopped. */
enum md_err {
    MD_OK = 0,
    MD_E_MAGIC = -1,       /* MagicValue is not "virt" */
    MD_E_VERSION = -2,     /* Version is not 2 */
    MD_E_DEVICE_ID = -3,   /* DeviceID 0: a placeholder, leave it alone */
    MD_E_RESET = -4,       /* Status did not read back 0 after the reset */
    MD_E_FEATURES = -5,    /* a required feature is not offered */
    MD_E_FEATURES_OK = -6, /* FEATURES_OK did not stick (§3.1.1 step 6) */
    MD_E_QUEUE_BUSY = -7,  /* QueueReady was not 0 before setup */
    MD_E_QUEUE_NONE = -8,  /* QueueSizeMax is 0: no such queue */
    MD_E_RING = -9,        /* no guest memory for the ring */
    MD_E_QUEUE_READY = -10,/* QueueReady did not read back as written */
    MD_E_DRIVER_OK = -11,  /* DRIVER_OK did not stick */
    MD_E_QUEUE_RESET = -12 /* QueueReset did not complete */
};

/* Where one queue lives and how big the driver wants it. */
struct md_queue_cfg {
    uint16_t size;     /* wanted size; clamped to QueueSizeMax */
    uint64_t ring_gpa; /* rings laid out from here (ringdrv alignment rules) */
    uint64_t heap_gpa; /* the queue's buffer heap */
    uint64_t heap_len;
};

struct md_dev {
    struct avps_mmio *m;
    struct avps_posix_guest *g;
    uint32_t device_id;
    uint32_t vendor_id;
    uint64_t offered;  /* DeviceFeatures, both words */
    uint64_t features; /* what the driver accepted */
    uint16_t nq;       /* queues set up by md_init() */
    struct rd_queue *q;
    uint64_t accesses; /* register accesses made */
    uint64_t refused;  /* accesses avps_mmio_* refused (a conformant driver: 0) */
    int last_rc;       /* avps_mmio_* result of the latest access */
};

/* Attach to a transport and a guest (zeroes d). */
void md_attach(struct md_dev *d, struct avps_mmio *m, struct avps_posix_guest *g);

/* One 32-bit control-register access. */
uint32_t md_read32(struct md_dev *d, uint32_t off);
void md_write32(struct md_dev *d, uint32_t off, uint32_t v);

/* The individual steps of §3.1.1 and §4.2.3.1. Each returns MD_OK or an
 * md_err; after DRIVER a failing step sets FAILED (§3.1.1). */
int md_probe(struct md_dev *d);                              /* magic, version, device id */
int md_reset(struct md_dev *d);                              /* Status = 0, read back 0 */
int md_negotiate(struct md_dev *d, uint64_t want, uint64_t required); /* steps 2-6 */
int md_queue_setup(struct md_dev *d, uint16_t qi, struct rd_queue *q,
                   const struct md_queue_cfg *c);            /* §4.2.3.2 */
int md_driver_ok(struct md_dev *d);                          /* step 8 */

/* The whole sequence: probe, reset, ACKNOWLEDGE, DRIVER, features (accept
 * want & offered; fail unless required is offered), FEATURES_OK and re-read,
 * queues 0..nq-1 into qs[] from qc[], DRIVER_OK. The queues are laid out as
 * packed rings when RING_PACKED was accepted. */
int md_init(struct md_dev *d, uint64_t want, uint64_t required, struct rd_queue *qs,
            const struct md_queue_cfg *qc, uint16_t nq);

/* §4.2.3.3: notify queue qi (the queue index, or the notification data when
 * NOTIFICATION_DATA was negotiated). */
void md_notify(struct md_dev *d, uint16_t qi);
/* The notification value md_notify() would write for queue qi. */
uint32_t md_notify_value(const struct md_dev *d, uint16_t qi);

/* §4.2.3.4: the interrupt handler: read InterruptStatus, acknowledge what it
 * showed, and return it (0: not ours). */
uint32_t md_irq(struct md_dev *d);

/* Stop a queue: QueueReady = 0 and read it back (§4.2.2.2). */
int md_queue_stop(struct md_dev *d, uint16_t qi);
/* Reset a queue with VIRTIO_F_RING_RESET (§4.2.2.2): QueueReset = 1, then
 * wait (bounded) until it reads 0; QueueReady must read 0 too. */
int md_queue_reset(struct md_dev *d, uint16_t qi);

/* Read size (1, 2 or 4) bytes of the device configuration at off inside a
 * ConfigGeneration loop (§2.5.1); returns the generation seen. */
uint32_t md_config_read(struct md_dev *d, uint32_t off, unsigned int size, uint32_t *value);

#endif /* AVPS_MMIODRV_H */

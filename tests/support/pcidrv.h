/*
 * pcidrv: a guest-side virtio-pci driver written from the VIRTIO 1.2 spec
 * (§4.1, §3.1.1), for tests, fuzzers and examples.
 *
 * It plays the guest and the hypervisor's trap together: configuration-space
 * accesses go to avps_pci_cfg_read()/_write(), and memory accesses at guest
 * physical addresses go to avps_pci_bar_read()/_write() of whichever BAR the
 * device decodes there (its guest-programmed address), as a hypervisor would
 * route them. The driver finds everything the way a real one does: it sizes
 * and places the BARs, walks the capability list, enables MSI-X, and runs the
 * initialisation sequence through the common configuration structure, one
 * struct rd_queue (ringdrv.h) per virtqueue.
 *
 * pd_port is a posix-port guest with the two interrupt ops virtio-pci uses
 * (inject_msi, set_level) recorded, and optional lock ops that check nesting.
 */
#ifndef AVPS_PCIDRV_H
#define AVPS_PCIDRV_H

#include <stdbool.h>
#include <stdint.h>

#include <avps/pci.h>

#include "avps_posix.h"
#include "ringdrv.h"

#define PD_MAX_QUEUES 8u
#define PD_MAX_VECTORS 64u

/* ---- the guest's port: memory (posix) plus recorded interrupts ---------- */

struct pd_port {
    struct avps_posix_guest g; /* first: the ctx of every op is &g */
    struct avps_port_ops ops;  /* posix ops + inject_msi + set_level (+ lock) */
    struct avps_host host;     /* hand this to the device */

    /* MSI-X messages (inject_msi), and inject(vector) when inject_msi is absent */
    uint32_t msi_count;
    uint32_t msi_by_vector[PD_MAX_VECTORS];
    uint64_t last_msi_addr;
    uint32_t last_msi_data;
    uint32_t last_msi_vector;
    /* INTx (set_level) */
    int intx_level;
    uint32_t intx_rises, intx_falls;
    uint32_t last_intx_line;
    /* lock ops (with pd_port_init(..., with_lock = true)) */
    int lock_depth, lock_max_depth;
    uint32_t locks, unlocks;
    /* inspect the ISR at the moment an interrupt is sent */
    struct avps_dev *watch_dev;
    uint8_t isr_at_last_irq;
};

/* Set up the guest (no RAM yet) with inject_msi and/or set_level present. */
void pd_port_init(struct pd_port *pp, bool with_msi, bool with_level, bool with_lock);
void pd_port_fini(struct pd_port *pp);
void pd_port_clear(struct pd_port *pp);

/* ---- the driver ---------------------------------------------------------- */

struct pd_cap { /* one virtio structure found in the capability list */
    bool found;
    uint8_t pos; /* configuration-space offset of its capability */
    uint8_t cap_len;
    uint8_t bar;
    uint32_t offset;
    uint32_t length;
};

struct pd_dev {
    struct avps_pci *pci;
    uint16_t vendor_id, device_id, subsys_vendor, subsys_id;
    uint8_t revision;
    uint32_t class_code;
    uint64_t bar_base[6];
    uint64_t bar_size[6];
    bool bar_mem64[6];
    struct pd_cap common, notify, isr, device, pcicfg;
    uint32_t notify_mult;
    uint8_t msix_pos; /* 0: no MSI-X capability */
    uint16_t msix_n;
    uint8_t msix_table_bar, msix_pba_bar;
    uint32_t msix_table_off, msix_pba_off;
    bool msix_on;
    uint32_t ncaps;
    uint64_t offered;  /* device_feature, both words */
    uint64_t features; /* accepted, valid after FEATURES_OK */
    uint16_t num_queues;
    struct rd_queue *q[PD_MAX_QUEUES];
    uint16_t q_notify_off[PD_MAX_QUEUES];
    uint16_t q_vector[PD_MAX_QUEUES];
    int last_rc;        /* what the last avps_pci_* call returned */
    uint32_t errors;    /* avps_pci_* calls that returned < 0 */
};

/* Raw accesses (the last return code is kept in d->last_rc). */
uint32_t pd_cfg_read(struct pd_dev *d, uint32_t off, unsigned int size);
void pd_cfg_write(struct pd_dev *d, uint32_t off, unsigned int size, uint32_t value);
/* Memory access at a guest physical address, routed to the BAR that decodes it;
 * all ones (and last_rc = -1) when none does. */
uint64_t pd_mmio_read(struct pd_dev *d, uint64_t gpa, unsigned int size);
void pd_mmio_write(struct pd_dev *d, uint64_t gpa, unsigned int size, uint64_t value);
/* Guest physical address of a found structure. */
uint64_t pd_cap_gpa(const struct pd_dev *d, const struct pd_cap *c);

/* Probe: check the IDs (§4.1.2.2), size and place the BARs from mmio_base,
 * enable memory decoding and bus mastering, walk the capability list
 * (§4.1.4.1, §4.1.5.1.1). Returns 0, -1 for a non-virtio device, -2 when a
 * required structure (common, notify, ISR) is missing. */
int pd_probe(struct pd_dev *d, struct avps_pci *pci, uint64_t mmio_base);

/* Common configuration field access by offset (natural widths). */
uint64_t pd_cc_read(struct pd_dev *d, uint32_t off, unsigned int size);
void pd_cc_write(struct pd_dev *d, uint32_t off, unsigned int size, uint64_t value);
/* Device configuration, one field, inside a config_generation loop (§2.5.1). */
uint64_t pd_config_read(struct pd_dev *d, uint32_t off, unsigned int size);
void pd_config_write(struct pd_dev *d, uint32_t off, unsigned int size, uint64_t value);

uint8_t pd_status(struct pd_dev *d);
void pd_set_status(struct pd_dev *d, uint8_t s);
/* Reset and wait for device_status to read 0 (§4.1.4.3.2). 0, or -1. */
int pd_reset(struct pd_dev *d);

/* MSI-X: program entries 0..nvec-1 (address addr, data data0 + i, unmasked)
 * with the function masked, then enable and unmask the function. */
int pd_msix_enable(struct pd_dev *d, uint16_t nvec, uint64_t addr, uint32_t data0);
void pd_msix_disable(struct pd_dev *d);
void pd_msix_mask_entry(struct pd_dev *d, uint16_t v, bool masked);
void pd_msix_function_mask(struct pd_dev *d, bool masked);
uint64_t pd_msix_pba(struct pd_dev *d, uint16_t word);

/* §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, read device_feature, write
 * want & offered, FEATURES_OK and read it back. 0, or -1 (FAILED is set). */
int pd_negotiate(struct pd_dev *d, uint64_t want);
/* §4.1.5.1.3: set up queue qi with rq (its size, areas), vector (or
 * AVPS_DEV_NO_VECTOR), and enable it. 0; -1 missing queue or too large;
 * -2 the vector did not map; -3 enable did not stick. */
int pd_setup_queue(struct pd_dev *d, uint16_t qi, struct rd_queue *rq, uint16_t vector);
/* Set DRIVER_OK. 0, or -1 when it did not stick. */
int pd_driver_ok(struct pd_dev *d);
/* Write the config vector and read it back: the value read. */
uint16_t pd_set_config_vector(struct pd_dev *d, uint16_t v);

/* Available-buffer notification for queue qi (§4.1.5.2). */
void pd_notify(struct pd_dev *d, uint16_t qi);
/* Read the ISR (clears it). */
uint8_t pd_isr(struct pd_dev *d);

/* PCI_CFG window (§4.1.4.9): access len bytes at off in bar. */
uint32_t pd_win_read(struct pd_dev *d, uint8_t bar, uint32_t off, uint32_t len);
void pd_win_write(struct pd_dev *d, uint8_t bar, uint32_t off, uint32_t len, uint32_t value);

#endif /* AVPS_PCIDRV_H */

/**
 * @file pci.h
 * @brief The virtio-pci modern transport (VIRTIO 1.2 §4.1): a PCI function
 *        that presents a VIRTIO device to the guest.
 *
 * The hypervisor traps the guest's PCI configuration-space accesses and the
 * accesses to the function's memory BAR, and hands them to
 * avps_pci_cfg_read() / avps_pci_cfg_write() and avps_pci_bar_read() /
 * avps_pci_bar_write(). The transport turns them into calls of the device core
 * (include/avps/device.h) and sends the device's interrupts as MSI-X messages
 * (the port's inject_msi, else inject(vector)) or on the INTx line (the port's
 * set_level, else inject(line) on each rising edge).
 *
 * @par What the guest sees
 * - Configuration space: a type-0 header (vendor 0x1AF4, device
 *   0x1040 + VIRTIO device ID, revision, class code, subsystem IDs, Interrupt
 *   Pin INTA), and a capability list with one VIRTIO_PCI_CAP_COMMON_CFG,
 *   NOTIFY_CFG, ISR_CFG, DEVICE_CFG (only when the device has a configuration
 *   space), PCI_CFG and, when MSI-X vectors were configured, an MSI-X
 *   capability. The space is the 256-byte conventional one: offsets
 *   0x100..0xfff (the PCIe extended space) read as 0 and ignore writes, so a
 *   PCIe-aware guest finds no extended capability; offsets beyond 0xfff are
 *   refused.
 * - One 64-bit, non-prefetchable memory BAR in BAR0 (BAR1 holds its upper
 *   half); BAR2..BAR5 and the expansion ROM are not implemented and read 0.
 *   The BAR holds, each in its own 4 KiB page(s): the common configuration, the
 *   ISR byte, the device configuration, the notification area, the MSI-X table
 *   and the MSI-X PBA. Its size is a power of two.
 * - Common configuration (§4.1.4.3): every field of struct
 *   virtio_pci_common_cfg. queue_notify_off is the queue index;
 *   queue_notif_config_data and the admin queue fields read 0
 *   (NOTIF_CONFIG_DATA and ADMIN_VQ are not offered); a queue reset completes
 *   within the write, so queue_reset always reads 0. A driver_feature_select
 *   or device_feature_select beyond 1 selects bits that read 0. The 8-bit
 *   config_generation moves once for any number of device configuration
 *   changes since the driver last read it, so it cannot wrap back.
 *
 * @par Guest accesses the transport refuses
 * Every guest access is checked; none can crash the library. An access that is
 * refused is reported through the port's report op as AVPS_EV_DEV_REGISTER
 * (a = offset, with AVPS_PCI_REPORT_CFG set for configuration space; b = size),
 * counted in avps_dev_guest_errors(), and completed as if nothing were there:
 * reads give 0 and writes are dropped. In particular:
 * - common configuration fields accept only their natural width (§4.1.3.1:
 *   8 bits for device_status and config_generation, 16 for the 16-bit fields,
 *   32 for the 32-bit fields); the 64-bit queue_desc, queue_driver and
 *   queue_device accept an aligned 32-bit access to either half (§4.1.3.2) or
 *   one aligned 64-bit access. Any other width or offset is refused;
 * - writes to read-only fields (device_feature, num_queues, config_generation,
 *   queue_notify_off, queue_notif_config_data, admin_queue_*) are refused;
 * - BAR accesses must be 1, 2, 4 or 8 bytes and naturally aligned;
 * - configuration-space accesses must be 1, 2 or 4 bytes and stay inside one
 *   dword. Writes to read-only header registers are silently ignored, as PCI
 *   prescribes; writes into the read-only fields of a virtio capability (which
 *   the driver MUST NOT do, §4.1.4.1) are refused and reported.
 *
 * @par Interrupts
 * With MSI-X enabled (Message Control bit 15) a queue or configuration event
 * goes to the vector the driver mapped; NO_VECTOR means no interrupt
 * (§4.1.5.3.1, §4.1.5.4.1). While the function is masked, the entry is masked
 * or Bus Master Enable is clear, the message is held in the PBA and sent once
 * that changes. A device reset (device_status = 0) discards pending messages.
 * With MSI-X disabled the INTx line follows the ISR (§4.1.4.5.1): asserted while
 * any ISR bit is set unless the Command register's INTx Disable is set; reading
 * the ISR clears it and deasserts the line. The device core keeps setting ISR
 * bits while MSI-X is enabled, so disabling MSI-X with bits set asserts INTx.
 *
 * @par Bus mastering
 * With Bus Master Enable clear the function sends no MSI-X message and
 * ignores (and reports) available-buffer notifications, so it starts no ring
 * access on the guest's behalf.
 */
#ifndef AVPS_PCI_H
#define AVPS_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup pci virtio-pci transport
 * @{ */

#define AVPS_PCI_VENDOR_ID 0x1af4u       /**< PCI vendor ID of every VIRTIO device. */
#define AVPS_PCI_DEVICE_ID_BASE 0x1040u  /**< PCI device ID = this + VIRTIO device ID. */
#define AVPS_PCI_CLASS_OTHER 0xff0000u   /**< Class code "unassigned" (the default). */
#define AVPS_PCI_CFG_SIZE 0x100u         /**< Bytes of emulated configuration space. */
#define AVPS_PCI_MSIX_MAX 2048u          /**< Most MSI-X vectors a function may have. */
#define AVPS_PCI_NUM_BARS 6u             /**< Base Address registers of a type-0 header. */
#define AVPS_PCI_BAR 0u                  /**< The BAR that holds every structure. */
/** Default notify_off_multiplier: 4 bytes per queue. */
#define AVPS_PCI_NOTIFY_MULT_DEFAULT 4u
/** Largest notify_off_multiplier accepted (one 4 KiB page per queue). */
#define AVPS_PCI_NOTIFY_MULT_MAX 4096u

/** Set in the @c a value of an AVPS_EV_DEV_REGISTER report when the refused
 *  access was to configuration space rather than to the BAR. */
#define AVPS_PCI_REPORT_CFG (1ULL << 32)

/** uint64_t words of pending bits needed for @p n MSI-X vectors. */
#define AVPS_PCI_PBA_WORDS(n) (((n) + 63u) / 64u)

/** Command register bits the function implements. */
#define AVPS_PCI_CMD_MEMORY 0x0002u        /**< Memory Space Enable: decode the BAR. */
#define AVPS_PCI_CMD_BUS_MASTER 0x0004u    /**< Bus Master Enable: DMA and MSI-X allowed. */
#define AVPS_PCI_CMD_INTX_DISABLE 0x0400u  /**< Interrupt Disable: keep INTx deasserted. */

/** Bit 0 of an MSI-X entry's Vector Control: the entry is masked. */
#define AVPS_PCI_MSIX_ENTRY_MASKED 0x1u

/** One MSI-X table entry (PCI Local Bus 3.0 §6.8.2). The caller provides the
 *  storage; the guest programs it through the BAR. */
struct avps_pci_msix_entry {
    uint64_t addr; /**< Message Address (upper and lower dwords). */
    uint32_t data; /**< Message Data. */
    uint32_t ctrl; /**< Vector Control (bit 0: masked). */
};

/** Configuration for avps_pci_init(). Zero means "default" for every member. */
struct avps_pci_cfg {
    uint16_t subsys_vendor_id; /**< Subsystem Vendor ID; 0 gives 0x1AF4. */
    uint16_t subsys_id;        /**< Subsystem ID; 0 gives the PCI device ID
                                *   (≥ 0x40 as §4.1.2.1 recommends). */
    uint8_t revision;          /**< Revision ID; 0 gives 1 (non-transitional, §4.1.2.1). */
    uint32_t class_code;       /**< Class code (base << 16 | sub << 8 | prog-if),
                                *   e.g. 0x020000 for a network device; 0 gives
                                *   AVPS_PCI_CLASS_OTHER. */
    uint16_t msix_vectors;     /**< MSI-X Table Size (0..AVPS_PCI_MSIX_MAX);
                                *   0 = no MSI-X capability (INTx only). */
    struct avps_pci_msix_entry *msix_table; /**< msix_vectors entries; must outlive the
                                             *   transport. Initialised by avps_pci_init(). */
    uint64_t *msix_pba;        /**< AVPS_PCI_PBA_WORDS(msix_vectors) words of pending
                                *   bits; must outlive the transport. */
    uint32_t intx_line;        /**< The port's line number for INTx (set_level or inject). */
    uint32_t notify_off_multiplier; /**< Bytes between queue notify addresses: a
                                *   power of two in 4..AVPS_PCI_NOTIFY_MULT_MAX;
                                *   0 gives AVPS_PCI_NOTIFY_MULT_DEFAULT. */
    bool notify_shared;        /**< Present notify_off_multiplier 0 instead: one notify
                                *   address for every queue, the value names the queue. */
};

/** The transport object. Caller-allocated; members are private. */
struct avps_pci {
    /** @cond PRIVATE */
    struct avps_dev *dev;
    struct avps_pci_msix_entry *msix;
    uint64_t *pba;
    uint64_t bar_size;
    uint64_t bar_addr;      /* BAR0/BAR1 as the guest programmed them (masked) */
    uint32_t off_common;    /* region offsets inside the BAR */
    uint32_t off_isr;
    uint32_t off_device;    /* 0 when the device has no configuration space */
    uint32_t off_notify;
    uint32_t off_msix;
    uint32_t off_pba;
    uint32_t end;           /* first byte after the last region */
    uint32_t len_device;
    uint32_t len_notify;
    uint32_t notify_mult;
    uint32_t intx_line;
    uint32_t class_code;
    uint32_t dfselect;
    uint32_t gfselect;
    uint32_t win_offset;    /* VIRTIO_PCI_CAP_PCI_CFG window */
    uint32_t win_length;
    uint32_t gen_seen;      /* core generation when config_generation last moved */
    uint16_t device_id;
    uint16_t subsys_vendor;
    uint16_t subsys_id;
    uint16_t msix_n;
    uint16_t command;
    uint16_t msix_ctrl;
    uint16_t queue_sel;
    uint8_t win_bar;
    uint8_t win_data[4];
    uint8_t revision;
    uint8_t irq_line_reg;
    uint8_t cache_line;
    uint8_t gen8;           /* the presented config_generation */
    uint8_t intx_level;
    uint8_t cap_common;
    uint8_t cap_notify;
    uint8_t cap_isr;
    uint8_t cap_device;
    uint8_t cap_pcicfg;
    uint8_t cap_msix;
    /** @endcond */
};

/**
 * @brief Set up the PCI function of a device and bind it to the device
 *        (avps_dev_bind() with VIRTIO_F_NOTIFICATION_DATA and VIRTIO_F_RING_RESET
 *        as transport features).
 *
 * Lays out the BAR and the capability list, masks every MSI-X entry and clears
 * the pending bits. The function starts with Memory Space and Bus Master
 * disabled and the BAR at address 0, as after a PCI reset.
 * @param[out] p    Transport object.
 * @param[in]  dev  An initialised device; must outlive p.
 * @param[in]  cfg  Copied; msix_table and msix_pba must outlive p.
 * @retval AVPS_OK       Ready; the hypervisor may expose the function.
 * @retval AVPS_E_INVAL  A NULL argument, msix_vectors above AVPS_PCI_MSIX_MAX,
 *                       MSI-X vectors without table or PBA storage, a
 *                       notify_off_multiplier that is not a power of two in
 *                       4..AVPS_PCI_NOTIFY_MULT_MAX, a queue whose maximum
 *                       size is not a power of two (§4.1.4.3.1: queue_size
 *                       must read as one before RING_PACKED is negotiated), or
 *                       a layout that does not fit in 2 GiB.
 * @par Context
 * Setup time, before the guest can reach the function. Calls nothing.
 */
int avps_pci_init(struct avps_pci *p, struct avps_dev *dev, const struct avps_pci_cfg *cfg);

/**
 * @brief Reset the PCI function (bus reset, FLR or platform reset): the device
 *        is reset (device_status 0), the Command register, BAR, Interrupt Line,
 *        PCI_CFG window and MSI-X Message Control return to 0, every MSI-X entry
 *        is masked and every pending bit cleared, and INTx is deasserted.
 * @param[in,out] p  Transport.
 * @retval AVPS_OK  Reset.
 * @retval <0       The port's set_level failed while deasserting INTx (the
 *                  reset itself is complete).
 * @par Context
 * The hypervisor's reset path; takes the device lock if one was configured.
 * May call the port's set_level.
 */
int avps_pci_reset(struct avps_pci *p);

/**
 * @brief The guest reads PCI configuration space.
 * @param[in,out] p      Transport.
 * @param[in]     off    Offset in configuration space (0..0xfff).
 * @param[in]     size   1, 2 or 4; the access must not cross a dword boundary.
 * @param[out]    value  The value read (little-endian register order); 0 when refused.
 * @retval AVPS_OK             Read.
 * @retval AVPS_E_GUEST_RANGE  A bad size, a dword-crossing access or an offset
 *                             beyond 0xfff, or a pci_cfg_data read whose window
 *                             (cap.bar, cap.offset, cap.length) does not name a
 *                             virtio structure (reported; *value holds the
 *                             unchanged pci_cfg_data).
 * @par Context
 * The hypervisor's trap path; takes the device lock if one was configured.
 * A pci_cfg_data read performs the BAR read it stands for (an ISR read clears
 * the ISR), and may call the port's set_level, inject and report.
 */
int avps_pci_cfg_read(struct avps_pci *p, uint32_t off, unsigned int size, uint32_t *value);

/**
 * @brief The guest writes PCI configuration space.
 *
 * Implemented registers: Command (Memory Space, Bus Master, INTx Disable),
 * Cache Line Size, BAR0/BAR1 (with the all-ones sizing protocol), Interrupt
 * Line, the PCI_CFG capability's bar, offset, length and pci_cfg_data, and the
 * MSI-X Message Control's Enable and Function Mask. Everything else is read-only.
 * @param[in,out] p      Transport.
 * @param[in]     off    Offset in configuration space (0..0xfff).
 * @param[in]     size   1, 2 or 4; the access must not cross a dword boundary.
 * @param[in]     value  The value (its low size bytes).
 * @retval AVPS_OK             Applied, or silently ignored (a read-only register).
 * @retval AVPS_E_GUEST_RANGE  A bad size, dword-crossing access or offset beyond
 *                             0xfff; or a pci_cfg_data write through a window that
 *                             names no virtio structure. Nothing changed.
 * @retval AVPS_E_GUEST_STATE  A write into a read-only virtio capability field.
 * @retval <0                  A pci_cfg_data write returns what the BAR write
 *                             it stands for returned (see avps_pci_bar_write()).
 * @par Context
 * The hypervisor's trap path; takes the device lock if one was configured.
 * May call the port (inject_msi, inject, set_level, map, report) and the device.
 */
int avps_pci_cfg_write(struct avps_pci *p, uint32_t off, unsigned int size, uint32_t value);

/**
 * @brief The guest reads the BAR.
 *
 * A one-byte read of the ISR clears it and deasserts INTx (§4.1.4.5).
 * @param[in,out] p      Transport.
 * @param[in]     bar    BAR index (only AVPS_PCI_BAR is implemented).
 * @param[in]     off    Offset inside the BAR.
 * @param[in]     size   1, 2, 4 or 8, naturally aligned.
 * @param[out]    value  The value read; 0 when refused, all ones when Memory
 *                       Space is disabled.
 * @retval AVPS_OK             Read.
 * @retval AVPS_E_INVAL        @p bar is not implemented (avps_pci_bar_size() is 0).
 * @retval AVPS_E_GUEST_RANGE  A bad size, alignment, offset, or a field accessed
 *                             with the wrong width (reported).
 * @retval AVPS_E_GUEST_STATE  Memory Space is disabled: the access is not decoded
 *                             (reported).
 * @par Context
 * The hypervisor's trap path; takes the device lock if one was configured.
 * May call the port's set_level and report.
 */
int avps_pci_bar_read(struct avps_pci *p, unsigned int bar, uint64_t off, unsigned int size,
                      uint64_t *value);

/**
 * @brief The guest writes the BAR: common configuration, notification area,
 *        device configuration, MSI-X table (the ISR and PBA are read-only).
 * @param[in,out] p      Transport.
 * @param[in]     bar    BAR index (only AVPS_PCI_BAR is implemented).
 * @param[in]     off    Offset inside the BAR.
 * @param[in]     size   1, 2, 4 or 8, naturally aligned.
 * @param[in]     value  The value (its low size bytes).
 * @retval AVPS_OK             Applied (for a notification: the device ran).
 * @retval AVPS_E_INVAL        @p bar is not implemented.
 * @retval AVPS_E_GUEST_RANGE  A bad size, alignment or offset, a field written
 *                             with the wrong width, or a notification of the wrong
 *                             width or at no queue's address (reported; dropped).
 * @retval AVPS_E_GUEST_STATE  Memory Space disabled, a read-only field, or a write
 *                             the device core refused (queue fields of an enabled
 *                             queue, a status write that clears bits, a feature
 *                             write after FEATURES_OK, ...); dropped and reported.
 * @retval AVPS_E_GUEST_REQ    A device configuration write the device refused.
 * @retval AVPS_E_GUEST_INDEX  A notification-data value whose vq_index is not the
 *                             queue of the address written, or that the queue
 *                             cannot have (reported; not fatal).
 * @retval <0                  Any other error of the device's notification handler
 *                             or of avps_dev_queue_enable() (a refused ring puts the
 *                             device in DEVICE_NEEDS_RESET).
 * @par Context
 * The hypervisor's trap path; takes the device lock if one was configured.
 * A notification runs the device's queue handler, which maps guest memory and
 * may call the port's inject_msi, inject, set_level and report.
 */
int avps_pci_bar_write(struct avps_pci *p, unsigned int bar, uint64_t off, unsigned int size,
                       uint64_t value);

/**
 * @brief Size in bytes of BAR @p bar (0 for a BAR that is not implemented;
 *        for the 64-bit BAR0 the whole size, and 0 for BAR1, its upper half).
 * @par Context
 * Any thread; calls nothing.
 */
uint64_t avps_pci_bar_size(const struct avps_pci *p, unsigned int bar);

/**
 * @brief The guest-programmed base address of BAR @p bar (0 when not
 *        implemented). The hypervisor reads it after configuration writes to
 *        move its trap; the BAR decodes only while avps_pci_command() has
 *        AVPS_PCI_CMD_MEMORY set.
 * @par Context
 * Any thread, with the same serialisation as the access functions; calls nothing.
 */
uint64_t avps_pci_bar_addr(const struct avps_pci *p, unsigned int bar);

/**
 * @brief The Command register as the guest programmed it (AVPS_PCI_CMD_*).
 * @par Context
 * Any thread; calls nothing.
 */
uint16_t avps_pci_command(const struct avps_pci *p);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_PCI_H */

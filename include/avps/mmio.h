/**
 * @file mmio.h
 * @brief The virtio-mmio transport, version 2 (VIRTIO 1.2 §4.2): the register
 *        file a hypervisor exposes for one device, driven from its MMIO trap
 *        handler.
 *
 * The hypervisor maps nothing: it traps every guest access to the device's
 * window (avps_mmio_window_size() bytes at a guest-physical base it chooses)
 * and hands the offset, the access size and the value to avps_mmio_read() or
 * avps_mmio_write(). The transport turns register accesses into calls to the
 * device core (include/avps/device.h) and raises the device's interrupt line
 * through the port when the device notifies the driver.
 *
 * Interrupt line (§4.2.3.4): level-triggered when the port has set_level: the
 * line goes to 1 when InterruptStatus becomes non-zero and back to 0 when the
 * driver acknowledges the last pending bit, or resets the device. Without
 * set_level the port's inject(line) is called for every notification (an
 * edge), and the acknowledgement only clears InterruptStatus.
 *
 * Registers that are read back: QueueReady reads 1 while the queue is enabled
 * (a QueueReady = 1 the device refused reads back 0); QueueReset always reads
 * 0, because a queue reset completes within the write; Status reads the device
 * status, with FEATURES_OK clear when the device refused the features.
 *
 * Every value the guest writes, every offset and every access size is treated
 * as hostile: nothing the guest does reaches an assert. An access the register
 * file does not allow is not performed (a read returns 0), is reported once
 * through the port's report op (AVPS_EV_DEV_REGISTER, or the device core's own
 * event for a refused value) and counted in avps_dev_guest_errors(); the
 * hypervisor completes the guest's access normally in every case.
 */
#ifndef AVPS_MMIO_H
#define AVPS_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup mmio virtio-mmio transport
 * @{ */

/** @name Register offsets (§4.2.2, table "MMIO Device Register Layout")
 * Wire constants: all registers are 32 bits wide, little-endian.
 * @{ */
#define AVPS_VIRTIO_MMIO_MAGIC_VALUE 0x000u          /**< R: 0x74726976 ("virt"). */
#define AVPS_VIRTIO_MMIO_VERSION 0x004u              /**< R: 2. */
#define AVPS_VIRTIO_MMIO_DEVICE_ID 0x008u            /**< R: VIRTIO device ID. */
#define AVPS_VIRTIO_MMIO_VENDOR_ID 0x00cu            /**< R: subsystem vendor ID. */
#define AVPS_VIRTIO_MMIO_DEVICE_FEATURES 0x010u      /**< R: 32 offered feature bits. */
#define AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u  /**< W: which 32 bits. */
#define AVPS_VIRTIO_MMIO_DRIVER_FEATURES 0x020u      /**< W: 32 accepted feature bits. */
#define AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u  /**< W: which 32 bits. */
#define AVPS_VIRTIO_MMIO_QUEUE_SEL 0x030u            /**< W: queue the queue registers refer to. */
#define AVPS_VIRTIO_MMIO_QUEUE_NUM_MAX 0x034u        /**< R: QueueSizeMax (0: no such queue). */
#define AVPS_VIRTIO_MMIO_QUEUE_NUM 0x038u            /**< W: QueueSize. */
#define AVPS_VIRTIO_MMIO_QUEUE_READY 0x044u          /**< RW: queue enabled. */
#define AVPS_VIRTIO_MMIO_QUEUE_NOTIFY 0x050u         /**< W: available-buffer notification. */
#define AVPS_VIRTIO_MMIO_INTERRUPT_STATUS 0x060u     /**< R: pending AVPS_DEV_ISR_* bits. */
#define AVPS_VIRTIO_MMIO_INTERRUPT_ACK 0x064u        /**< W: bits the driver handled. */
#define AVPS_VIRTIO_MMIO_STATUS 0x070u               /**< RW: device status; 0 resets. */
#define AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW 0x080u       /**< W: Descriptor Area, bits 0..31. */
#define AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084u      /**< W: Descriptor Area, bits 32..63. */
#define AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090u     /**< W: Driver Area, bits 0..31. */
#define AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094u    /**< W: Driver Area, bits 32..63. */
#define AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0u     /**< W: Device Area, bits 0..31. */
#define AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4u    /**< W: Device Area, bits 32..63. */
#define AVPS_VIRTIO_MMIO_SHM_SEL 0x0acu              /**< W: shared memory region id. */
#define AVPS_VIRTIO_MMIO_SHM_LEN_LOW 0x0b0u          /**< R: region length, bits 0..31. */
#define AVPS_VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4u         /**< R: region length, bits 32..63. */
#define AVPS_VIRTIO_MMIO_SHM_BASE_LOW 0x0b8u         /**< R: region base, bits 0..31. */
#define AVPS_VIRTIO_MMIO_SHM_BASE_HIGH 0x0bcu        /**< R: region base, bits 32..63. */
#define AVPS_VIRTIO_MMIO_QUEUE_RESET 0x0c0u          /**< RW: 1 resets the queue (RING_RESET). */
#define AVPS_VIRTIO_MMIO_CONFIG_GENERATION 0x0fcu    /**< R: configuration generation. */
#define AVPS_VIRTIO_MMIO_CONFIG 0x100u               /**< RW: device configuration space. */
/** @} */

/** MagicValue: "virt" read as a little-endian 32-bit value. */
#define AVPS_VIRTIO_MMIO_MAGIC 0x74726976u
/** Version of the (non-legacy) virtio-mmio interface. */
#define AVPS_VIRTIO_MMIO_VERSION_2 2u

/** VendorID presented when the configuration leaves it 0: "AVPS" in
 *  little-endian byte order. */
#define AVPS_MMIO_VENDOR_DEFAULT 0x53505641u

/** Smallest window the transport decodes: the control registers
 *  (0x000..0x0ff) and the start of the configuration space. The window of a
 *  device whose configuration space ends beyond it is larger: see
 *  avps_mmio_window_size(). */
#define AVPS_MMIO_WINDOW 0x200u

/** One shared memory region (§2.10), presented through SHMSel, SHMLen* and
 *  SHMBase*. Its shmid is its index in struct avps_mmio_cfg::shm. */
struct avps_mmio_shm {
    uint64_t base; /**< Guest-physical address of the region. */
    uint64_t len;  /**< Length in bytes. */
};

/** Configuration for avps_mmio_init(). Zero means default for every member. */
struct avps_mmio_cfg {
    /** The device's interrupt line: passed to the port's set_level, or to
     *  inject when the port has no set_level. */
    uint32_t line;
    /** VendorID register value; 0 selects AVPS_MMIO_VENDOR_DEFAULT. */
    uint32_t vendor_id;
    /** Shared memory regions (NULL when num_shm is 0); must outlive the
     *  transport. */
    const struct avps_mmio_shm *shm;
    /** Entries in shm. */
    uint32_t num_shm;
};

/** The transport object for one device. Caller-allocated; members are
 *  private. */
struct avps_mmio {
    /** @cond PRIVATE */
    struct avps_dev *dev;
    const struct avps_mmio_shm *shm;
    uint32_t num_shm;
    uint32_t line;
    uint32_t vendor_id;
    uint32_t dev_features_sel;
    uint32_t drv_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
    uint8_t level; /* the line is asserted (set_level ports) */
    uint8_t pad_[3];
    /** @endcond */
};

/**
 * @brief Set up the virtio-mmio transport of a device and bind it to the
 *        device (avps_dev_bind(), replacing any earlier binding).
 *
 * The transport supports VIRTIO_F_NOTIFICATION_DATA and VIRTIO_F_RING_RESET;
 * the device offers them when it and the queue engines do too. The device
 * starts in whatever state it is (normally reset); all selectors start at 0
 * and the line is taken as deasserted.
 * @param[out]    m    Transport object; fully initialised.
 * @param[in,out] dev  Initialised device (for example avps_rng_dev()); must
 *                     outlive m.
 * @param[in]     cfg  Copied; NULL selects every default. cfg->shm must
 *                     outlive m.
 * @retval AVPS_OK       Bound.
 * @retval AVPS_E_INVAL  m or dev is NULL, or shm is NULL with num_shm not 0.
 * @par Context
 * Setup time, before the guest can reach the window. Calls nothing.
 */
int avps_mmio_init(struct avps_mmio *m, struct avps_dev *dev, const struct avps_mmio_cfg *cfg);

/**
 * @brief Bytes of guest-physical address space the device's window needs:
 *        AVPS_MMIO_WINDOW, or more when the configuration space ends beyond
 *        it (0x100 + the configuration size, rounded up to 0x100).
 * @param[in] m  Transport set up by avps_mmio_init().
 * @return The window size (for the device tree's reg property).
 * @par Context
 * Any thread; calls nothing.
 */
uint64_t avps_mmio_window_size(const struct avps_mmio *m);

/** @brief The device the transport drives. */
struct avps_dev *avps_mmio_dev(struct avps_mmio *m);

/**
 * @brief The guest reads @p size bytes at @p offset in the window.
 *
 * Control registers (0x000..0x0ff) take 32-bit aligned reads only (§4.2.2.2);
 * the configuration space (0x100 on) takes naturally aligned reads of 1, 2, 4
 * or 8 bytes, and bytes past the end of the device's configuration read as 0.
 * Every refused read sets *value to 0.
 * @param[in,out] m       Transport.
 * @param[in]     offset  Offset from the window's base (guest-controlled).
 * @param[in]     size    Access width in bytes (guest-controlled).
 * @param[out]    value   The value, zero-extended; 0 when refused.
 * @retval AVPS_OK             Read.
 * @retval AVPS_E_GUEST_RANGE  Offset outside the window or on no register, a
 *                             control-register access that is not 32 bits wide
 *                             and aligned, or a configuration access of another
 *                             size or misaligned; reported (AVPS_EV_DEV_REGISTER).
 * @retval AVPS_E_GUEST_STATE  A write-only register was read; reported
 *                             (AVPS_EV_DEV_REGISTER).
 * @par Context
 * The hypervisor's MMIO trap path, any thread. Takes the device lock if one
 * was configured. Calls the port's report and, for a configuration read, the
 * device type.
 */
int avps_mmio_read(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t *value);

/**
 * @brief The guest writes @p size bytes of @p value at @p offset in the window.
 *
 * Same access rules as avps_mmio_read(); bits of @p value above @p size bytes
 * are ignored. A write may reset the device (Status = 0), enable or reset a
 * queue, or make the device serve a queue (QueueNotify), and so map guest
 * memory and raise or lower the interrupt line.
 * @param[in,out] m       Transport.
 * @param[in]     offset  Offset from the window's base (guest-controlled).
 * @param[in]     size    Access width in bytes (guest-controlled).
 * @param[in]     value   The value written (guest-controlled).
 * @retval AVPS_OK             Written.
 * @retval AVPS_E_GUEST_RANGE  As for avps_mmio_read(), or a queue ring refused
 *                             at QueueReady = 1 (misaligned or not in guest
 *                             memory: the device now needs a reset); reported.
 * @retval AVPS_E_GUEST_STATE  A read-only register was written, or the device
 *                             refused the value: a status write that clears a
 *                             bit, FEATURES_OK for features not offered (the
 *                             status keeps its other bits), features changed
 *                             after FEATURES_OK, a queue register of a queue that
 *                             does not exist or is enabled, QueueSize above
 *                             QueueSizeMax, QueueReady or QueueReset with a value
 *                             other than 0 or 1, QueueReset without RING_RESET,
 *                             a QueueNotify for a queue that does not exist, a
 *                             Status above 0xff; ignored and reported. An
 *                             InterruptACK with undefined bits acknowledges the
 *                             defined ones and reports the rest.
 * @retval AVPS_E_GUEST_REQ    A configuration-space write the device refused
 *                             (read-only field, or past the end); reported.
 * @retval AVPS_E_GUEST_INDEX  QueueNotify with VIRTIO_F_NOTIFICATION_DATA carried
 *                             a position the queue cannot have; reported, the
 *                             queue keeps working.
 * @retval <0                  Another error of the device type's queue handler,
 *                             passed on from QueueNotify (see the device's
 *                             documentation).
 * @par Context
 * The hypervisor's MMIO trap path, any thread. Takes the device lock if one
 * was configured, and holds it while it calls the device type, the port's map,
 * report, set_level and inject.
 */
int avps_mmio_write(struct avps_mmio *m, uint64_t offset, unsigned int size, uint64_t value);

/**
 * @brief Drive the interrupt line to match InterruptStatus, after the device
 *        state was restored (avps_dev_restore()) or the port lost the line.
 *
 * With set_level: asserts the line when a bit is pending, deasserts it
 * otherwise. Without set_level: calls inject(line) when a bit is pending.
 * @param[in,out] m  Transport.
 * @retval AVPS_OK  The line matches.
 * @retval <0       The port's set_level or inject failed (its error).
 * @par Context
 * Any thread; takes the device lock if one was configured. Calls the port.
 */
int avps_mmio_irq_sync(struct avps_mmio *m);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_MMIO_H */

/*
 * libFuzzer harness for the virtio-mmio transport (STYLE.md rule 19):
 * lib/transport/mmio.c driving virtio-rng over the posix port, with guest RAM
 * and the guest's register accesses both from the input.
 *
 * The input:
 *   byte 0      setup: (b & 3) == 3 gives a port without set_level (edge
 *               interrupts through inject); (b >> 2) & 7 picks QueueSizeMax
 *   byte 1      port faults: b & 0x80 caps every map span at 1 + (b & 7)
 *               bytes; b & 0x40 gives the port an unmap op
 *   bytes 2-3   P, the length of the program (little endian)
 *   P bytes     the program: operations of fuzz/mmio_fuzz.h (raw register
 *               accesses of any offset, size and value; driver actions of the
 *               spec-written test driver tests/support/mmiodrv + ringdrv that
 *               set the device up, make buffers available and kick, take
 *               interrupts and used buffers; raw RAM rewrites; entropy
 *               running dry or failing; resume; device config changes)
 *   the rest    guest RAM from address 0 (FZ_RAM bytes; missing bytes are 0)
 * At most MF_MAX_OPS operations run. fuzz/gen_mmio_seeds.c writes seeds.
 *
 * Checked after every operation (beyond ASan/UBSan and the library's
 * asserts; a failure traps):
 *   - MagicValue, Version and DeviceID read "virt", 2 and 4;
 *   - InterruptStatus has only bits 0-1 and equals the device's ISR;
 *     QueueReady reads 0 or 1; Status reads the device status;
 *   - with set_level: the line is asserted exactly while InterruptStatus is
 *     non-zero, matches what the transport believes, and inject is never used;
 *   - after every Status = 0: Status, InterruptStatus and QueueReady of every
 *     QueueSel read 0 and the line is low;
 *   - while DRIVER_OK is clear the device writes no guest memory (no used
 *     ring, no buffer): every dirty report needs DRIVER_OK, and a register
 *     access that starts and ends without DRIVER_OK leaves RAM byte for byte
 *     as it was. The one exception is the packed ring's device event
 *     suppression area, which the device initialises at QueueReady = 1;
 *   - every register access returns AVPS_OK or a guest error.
 * All register accesses (the harness's and mmiodrv's) go through
 * __wrap_avps_mmio_read/_write (linked with -Wl,--wrap).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/mmio.h>
#include <avps/rng.h>
#include <avps/virtio/features.h>

#include "fz_port.h"
#include "mmio_fuzz.h"
#include "mmiodrv.h"
#include "ringdrv.h"

#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK
#define QSLOTS 128u

static struct fz_port port;
static struct avps_rng rng;
static struct avps_vq_slot slots[QSLOTS];
static struct avps_rng_backend rbe;
static struct fz_backend be;
static struct avps_mmio mmio;
static const struct avps_mmio_shm shm[1] = {{0x100000000ull, 0x2000}};
static struct md_dev drv;
static struct rd_queue rq;
static bool with_level;

static struct avps_dev *dev_(void)
{
    return avps_rng_dev(&rng);
}

static bool driver_ok_(void)
{
    return (avps_dev_status(dev_()) & S_DRIVER_OK) != 0u;
}

/* The packed ring's device event suppression area (which the device
 * initialises when the queue is enabled): the only guest memory the device may
 * write before DRIVER_OK. */
static bool pre_driver_ok_write_ok_(uint64_t gpa, uint64_t len)
{
    uint64_t a;

    if ((avps_dev_features(dev_()) & F(RING_PACKED)) == 0u)
        return false;
    a = avps_dev_queue_addr(dev_(), 0, AVPS_DEV_AREA_DEVICE);
    return gpa >= a && len <= 4u && gpa - a <= 4u - len;
}

static void on_dirty_(void *cookie, uint64_t gpa, uint64_t len)
{
    (void)cookie;
    if (!driver_ok_())
        fz_trap_(pre_driver_ok_write_ok_(gpa, len));
}

/* ---- every register access, the harness's and mmiodrv's ---------------- */

int __real_avps_mmio_read(struct avps_mmio *m, uint64_t offset, unsigned int size,
                          uint64_t *value);
int __real_avps_mmio_write(struct avps_mmio *m, uint64_t offset, unsigned int size,
                           uint64_t value);
int __wrap_avps_mmio_read(struct avps_mmio *m, uint64_t offset, unsigned int size,
                          uint64_t *value);
int __wrap_avps_mmio_write(struct avps_mmio *m, uint64_t offset, unsigned int size,
                           uint64_t value);

static uint32_t rd32_(uint32_t off)
{
    uint64_t v = 0;

    fz_trap_(__real_avps_mmio_read(&mmio, off, 4, &v) == AVPS_OK);
    fz_trap_(v <= UINT32_MAX);
    return (uint32_t)v;
}

static void wr32_(uint32_t off, uint32_t v)
{
    fz_trap_(__real_avps_mmio_write(&mmio, off, 4, v) == AVPS_OK);
}

/* RAM changed by a call that ran without DRIVER_OK: only the packed event
 * suppression area may differ. */
static void check_untouched_(void)
{
    if (fz_snap_same(&port))
        return;
    for (uint32_t a = fz_snap_diff(&port, 0); a < FZ_RAM; a = fz_snap_diff(&port, a + 1u))
        fz_trap_(pre_driver_ok_write_ok_(a, 1));
}

static void check_after_reset_(void)
{
    static const uint32_t sels[] = {0, 1, 2, 0xffff, 0x10000, 0xffffffffu};

    fz_trap_(avps_dev_status(dev_()) == 0u);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_STATUS) == 0u);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_INTERRUPT_STATUS) == 0u);
    for (unsigned int i = 0; i < sizeof sels / sizeof sels[0]; i++) {
        wr32_(AVPS_VIRTIO_MMIO_QUEUE_SEL, sels[i]);
        fz_trap_(rd32_(AVPS_VIRTIO_MMIO_QUEUE_READY) == 0u);
    }
    wr32_(AVPS_VIRTIO_MMIO_QUEUE_SEL, 0); /* where the reset left it */
    if (with_level)
        fz_trap_(port.level == 0);
}

int __wrap_avps_mmio_read(struct avps_mmio *m, uint64_t offset, unsigned int size,
                          uint64_t *value)
{
    const bool was_ok = driver_ok_();
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_mmio_read(m, offset, size, value);
    fz_trap_(rc == AVPS_OK || AVPS_ERR_IS_GUEST(rc));
    if (rc != AVPS_OK)
        fz_trap_(*value == 0u);
    if (!was_ok)
        fz_trap_(fz_snap_same(&port)); /* a read never writes guest memory */
    if (rc == AVPS_OK && size == 4u) {
        switch (offset) {
        case AVPS_VIRTIO_MMIO_MAGIC_VALUE: fz_trap_(*value == AVPS_VIRTIO_MMIO_MAGIC); break;
        case AVPS_VIRTIO_MMIO_VERSION: fz_trap_(*value == AVPS_VIRTIO_MMIO_VERSION_2); break;
        case AVPS_VIRTIO_MMIO_DEVICE_ID: fz_trap_(*value == AVPS_VIRTIO_ID_RNG); break;
        case AVPS_VIRTIO_MMIO_INTERRUPT_STATUS: fz_trap_(*value <= 3u); break;
        case AVPS_VIRTIO_MMIO_QUEUE_READY: fz_trap_(*value <= 1u); break;
        case AVPS_VIRTIO_MMIO_QUEUE_RESET: fz_trap_(*value == 0u); break;
        default: break;
        }
    }
    return rc;
}

int __wrap_avps_mmio_write(struct avps_mmio *m, uint64_t offset, unsigned int size,
                           uint64_t value)
{
    const bool was_ok = driver_ok_();
    int rc;

    if (!was_ok)
        fz_snap(&port);
    rc = __real_avps_mmio_write(m, offset, size, value);
    fz_trap_(rc == AVPS_OK || AVPS_ERR_IS_GUEST(rc));
    if (!was_ok && !driver_ok_())
        check_untouched_();
    if (offset == AVPS_VIRTIO_MMIO_STATUS && size == 4u && (uint32_t)value == 0u) {
        fz_trap_(rc == AVPS_OK);
        check_after_reset_();
    }
    return rc;
}

/* ---- the invariants checked after every operation ------------------------ */

static void check_all_(void)
{
    const uint8_t isr = avps_dev_isr(dev_());
    uint32_t v;

    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_MAGIC_VALUE) == AVPS_VIRTIO_MMIO_MAGIC);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_VERSION) == AVPS_VIRTIO_MMIO_VERSION_2);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_DEVICE_ID) == AVPS_VIRTIO_ID_RNG);
    v = rd32_(AVPS_VIRTIO_MMIO_INTERRUPT_STATUS);
    fz_trap_((isr & ~3u) == 0u && v == isr);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_QUEUE_READY) <= 1u);
    fz_trap_(rd32_(AVPS_VIRTIO_MMIO_STATUS) == avps_dev_status(dev_()));
    if (with_level) {
        fz_trap_(port.level == (int)mmio.level);
        fz_trap_((port.level != 0) == (isr != 0u));
        fz_trap_(port.g.irqs == 0u);
    }
}

/* ---- driver actions ------------------------------------------------------ */

static uint64_t features_(uint8_t f)
{
    uint64_t w = F(VERSION_1);

    if (f & MF_F_PACKED) w |= F(RING_PACKED);
    if (f & MF_F_EVENT_IDX) w |= F(EVENT_IDX);
    if (f & MF_F_INDIRECT) w |= F(INDIRECT_DESC);
    if (f & MF_F_IN_ORDER) w |= F(IN_ORDER);
    if (f & MF_F_NOTIF_DATA) w |= F(NOTIFICATION_DATA);
    if (f & MF_F_RING_RESET) w |= F(RING_RESET);
    return w;
}

static void drv_init_(uint8_t f, uint8_t qsize)
{
    struct md_queue_cfg qc;

    rd_fini(&rq); /* frees the previous ring's bookkeeping; zeroes rq */
    md_attach(&drv, &mmio, &port.g);
    memset(&qc, 0, sizeof qc);
    qc.size = qsize;
    qc.ring_gpa = MF_RING;
    qc.heap_gpa = MF_HEAP;
    qc.heap_len = FZ_RAM - MF_HEAP;
    (void)md_init(&drv, features_(f), 0, &rq, &qc, 1);
}

static uint64_t alloc_(uint32_t len)
{
    uint64_t a = rd_alloc(&rq, len);

    if (a == 0) { /* out of heap: start again from its beginning */
        rq.heap = MF_HEAP;
        a = rd_alloc(&rq, len);
    }
    return a;
}

static void drv_add_(unsigned int p, uint8_t len)
{
    struct rd_buf b[4];
    const unsigned int n = (p & 3u) + 1u;

    if (rq.desc_p == NULL)
        return;
    for (unsigned int i = 0; i < n; i++) {
        b[i].len = 1u + len * (i + 1u);
        b[i].gpa = alloc_(b[i].len);
        /* mostly device-writable; a readable first piece is a bad request */
        b[i].write = !(i == 0 && n > 1 && (len & 1u));
        if (b[i].gpa == 0)
            return;
    }
    if (p & 4u) {
        /* ringdrv writes an indirect table through one host pointer: keep it
         * inside one RAM region, and inside the heap. */
        if (rq.heap + 16u * n > rq.heap_end)
            rq.heap = MF_HEAP;
        if (rq.heap < FZ_RAM / 2 && rq.heap + 16u * n > FZ_RAM / 2)
            rq.heap = FZ_RAM / 2;
    }
    (void)rd_add(&rq, b, n, (p & 4u) ? RD_INDIRECT : 0u);
    if (p & 8u)
        md_notify(&drv, 0);
}

static void drv_used_(void)
{
    struct rd_done d;

    if (rq.desc_p == NULL)
        return;
    for (int i = 0; i < 256 && rd_get_used(&rq, &d) == 1; i++)
        ;
}

/* ---- the program ------------------------------------------------------------- */

static uint32_t le32_(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_rng_cfg rc;
    struct avps_mmio_cfg mc;
    size_t pc, end;
    int ops = 0;

    if (size < MF_HDR)
        return 0;
    end = MF_HDR + ((size_t)data[2] | ((size_t)data[3] << 8));
    if (end > size)
        end = size;
    with_level = (data[0] & 3u) != MF_NO_LEVEL;
    if (fz_port_init(&port, with_level, false) != 0)
        return 0;
    port.on_dirty = on_dirty_;
    fz_ram_write(&port, 0, data + end, size - end);
    if (data[1] & 0x80u)
        port.g.max_span = 1u + (data[1] & 7u);
    if (data[1] & 0x40u) { /* the posix port's unmap, on our ops table */
        avps_posix_set_unmap(&port.g, true);
        port.ops.unmap = port.g.host.ops->unmap;
    }

    memset(&be, 0, sizeof be);
    rbe.fill = fz_fill;
    rbe.ctx = &be;
    memset(&rc, 0, sizeof rc);
    rc.backend = &rbe;
    rc.slots = slots;
    rc.num_slots = QSLOTS;
    rc.queue_size_max = mf_qmax[(data[0] >> 2) & 7u];
    fz_trap_(avps_rng_init(&rng, &port.host, &rc) == AVPS_OK);
    memset(&mc, 0, sizeof mc);
    mc.line = 5;
    mc.shm = shm;
    mc.num_shm = 1;
    fz_trap_(avps_mmio_init(&mmio, avps_rng_dev(&rng), &mc) == AVPS_OK);
    fz_trap_(avps_mmio_window_size(&mmio) == AVPS_MMIO_WINDOW);
    md_attach(&drv, &mmio, &port.g);
    memset(&rq, 0, sizeof rq);
    check_all_();

    for (pc = MF_HDR; pc < end && ops++ < MF_MAX_OPS;) {
        const uint8_t op = data[pc++];
        const unsigned int p = op >> 4;
        const uint8_t *a = data + pc; /* operands */
        const size_t left = end - pc;
        uint64_t v = 0;

        switch ((enum mf_op)(op & 15u)) {
        case MF_REG_W:
            if (left < 5)
                goto out;
            (void)avps_mmio_write(&mmio, 4u * a[0], 4, le32_(a + 1));
            pc += 5;
            break;
        case MF_REG_R:
            if (left < 1)
                goto out;
            (void)avps_mmio_read(&mmio, 4u * a[0], 4, &v);
            pc += 1;
            break;
        case MF_RAW: {
            uint32_t off;

            if (left < 6)
                goto out;
            off = (uint32_t)a[0] | ((uint32_t)a[1] << 8);
            if (p & 8u)
                (void)avps_mmio_write(&mmio, off, mf_sizes[p & 7u], le32_(a + 2) |
                                      ((uint64_t)le32_(a + 2) << 32));
            else
                (void)avps_mmio_read(&mmio, off, mf_sizes[p & 7u], &v);
            pc += 6;
            break;
        }
        case MF_STATUS:
            if (left < 1)
                goto out;
            (void)avps_mmio_write(&mmio, AVPS_VIRTIO_MMIO_STATUS, 4, a[0]);
            pc += 1;
            break;
        case MF_INIT:
            if (left < 2)
                goto out;
            drv_init_(a[0], a[1]);
            pc += 2;
            break;
        case MF_ADD:
            if (left < 1)
                goto out;
            drv_add_(p, a[0]);
            pc += 1;
            break;
        case MF_IRQ:
            (void)md_irq(&drv);
            break;
        case MF_USED:
            drv_used_();
            break;
        case MF_RAM: {
            uint32_t off;
            size_t n;

            if (left < 3)
                goto out;
            off = ((uint32_t)a[0] | ((uint32_t)a[1] << 8)) % FZ_RAM;
            n = a[2] & 63u;
            if (n > left - 3)
                n = left - 3;
            fz_ram_write(&port, off, a + 3, n);
            pc += 3 + n;
            break;
        }
        case MF_BACKEND:
            be.dry = (uint8_t)(p & 7u);
            be.io = (uint8_t)((p >> 3) & 1u);
            break;
        case MF_RESUME: {
            const bool was_ok = driver_ok_();
            int r;

            if (!was_ok)
                fz_snap(&port);
            r = avps_rng_resume(&rng);
            fz_trap_(r >= 0 || r == AVPS_E_STATE);
            if (!was_ok) {
                fz_trap_(r == AVPS_E_STATE);
                fz_trap_(fz_snap_same(&port));
            }
            break;
        }
        case MF_STOP:
            if (p % 3u == 0u)
                (void)md_queue_stop(&drv, 0);
            else if (p % 3u == 1u)
                (void)md_queue_reset(&drv, 0);
            else
                (void)md_reset(&drv);
            break;
        case MF_CONFIG:
            avps_dev_config_changed(dev_());
            break;
        case MF_NOTIFY:
            if (p & 1u) {
                md_notify(&drv, 0);
            } else {
                if (left < 4)
                    goto out;
                (void)avps_mmio_write(&mmio, AVPS_VIRTIO_MMIO_QUEUE_NOTIFY, 4, le32_(a));
                pc += 4;
            }
            break;
        case MF_SYNC:
            fz_trap_(avps_mmio_irq_sync(&mmio) == AVPS_OK);
            break;
        case MF_SEL:
            (void)avps_mmio_write(&mmio, AVPS_VIRTIO_MMIO_QUEUE_SEL, 4, mf_sels[p & 7u]);
            break;
        }
        check_all_();
    }
out:
    if (getenv("MMIO_FUZZ_LOG") != NULL) /* to check what a seed reaches */
        fprintf(stderr, "ops %d, status %#x, entropy %llu bytes, guest errors %llu, irqs %u\n",
                ops, avps_dev_status(dev_()), (unsigned long long)avps_rng_bytes(&rng),
                (unsigned long long)avps_dev_guest_errors(dev_()), port.level_calls);
    rd_fini(&rq);
    fz_port_fini(&port);
    return 0;
}

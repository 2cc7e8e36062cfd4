/*
 * libFuzzer harness for virtio-console (STYLE.md rule 19): lib/devices/console.c
 * through the device core API with MULTIPORT, 3 ports (8 queues), the
 * spec-written ring driver (tests/support/ringdrv) on every queue. The input is
 * a program (one operation per byte, p = byte >> 4, operands after it):
 *   0 SETUP f        reset, features (f: packed, event-idx, indirect, in-order,
 *                    ring-reset, SIZE, MULTIPORT, EMERG), every ring laid out and
 *                    enabled; DRIVER_OK unless p & 1
 *   1 BUF q n b[8]   a buffer on queue q % 8 of n & 63 bytes, device-writable
 *                    when p & 1 (b: its first bytes); p & 2 notify
 *   2 CTRL id e v    the driver sends control message (id & 7, e & 15, v & 3)
 *   3 NOTIFY         queue p & 7
 *   4 RESUME
 *   5 USED           the driver takes its used buffers (checked)
 *   6 ADD            port p & 3 added (name when p & 4, console when p & 8)
 *   7 REMOVE         port p & 3 removed
 *   8 OPEN           port p & 3 host side open (p & 4)
 *   9 RESIZE c r     port p & 3
 *  10 CFGW o b       config write at o % 16, one byte
 *  11 MODE           tx answers: p % 4 = all, AGAIN, 1 byte, IO; rx: p & 4 has data
 *  12 QRESET         queue p & 7 reset and laid out again
 *  13 RESET
 * Checks beyond the sanitizers and asserts: every used buffer is outstanding;
 * used lengths never exceed the buffer's writable size; transmitq and control
 * transmitq lengths are 0; control messages are at least 8 bytes and name a
 * port below max_nr_ports; a DEVICE_ADD never names a port the driver already
 * has and a DEVICE_REMOVE only one it has (§5.3.6.2.1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/console.h>
#include <avps/err.h>
#include <avps/virtio/console.h>
#include <avps/virtio/features.h>

#include "fz_port.h"
#include "ringdrv.h"

#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define QS 4u
#define NQ 8u
#define MAXP 3u
#define MAX_OPS 400

struct rec {
    bool active;
    uint32_t wr;
    uint64_t gpa;
};

static struct fz_port port;
static struct avps_console con;
static struct avps_vq_slot slots[NQ * QS];
static struct avps_console_backend be;
static struct rd_queue rq[NQ];
static struct rec rec[NQ][QS];
static bool live, tainted, known[MAXP];
static uint64_t features;
static int tx_mode, rx_has;

static void check_(int c)
{
    if (!c)
        __builtin_trap();
}

static int b_tx(void *ctx, uint32_t p, const void *buf, uint32_t len)
{
    (void)ctx;
    (void)buf;
    check_(p < MAXP && len > 0u);
    switch (tx_mode) {
    case 1: return AVPS_E_AGAIN;
    case 2: return 1;
    case 3: return AVPS_E_IO;
    default: return (int)len;
    }
}

static int b_rx(void *ctx, uint32_t p, void *buf, uint32_t len)
{
    (void)ctx;
    check_(p < MAXP && len > 0u);
    if (!rx_has)
        return AVPS_E_AGAIN;
    memset(buf, 'r', len < 5u ? len : 5u);
    return (int)(len < 5u ? len : 5u);
}

static void b_emerg(void *ctx, uint8_t ch)
{
    (void)ctx;
    (void)ch;
}

static int t_q(void *t, struct avps_dev *d, uint16_t q)
{
    (void)t;
    check_(q < NQ && (avps_dev_status(d) & AVPS_VIRTIO_S_DRIVER_OK) != 0u);
    return 0;
}

static int t_c(void *t, struct avps_dev *d)
{
    (void)t;
    (void)d;
    return 0;
}

static const struct avps_transport_ops tops = {t_q, t_c};

static struct avps_dev *D(void) { return avps_console_dev(&con); }

static void forget_(void)
{
    memset(rec, 0, sizeof rec);
    memset(known, 0, sizeof known);
    live = false;
}

static bool ring_up_(unsigned int q)
{
    const bool packed = (features & F(RING_PACKED)) != 0u;
    struct avps_dev *d = D();

    rd_fini(&rq[q]);
    memset(&rq[q], 0, sizeof rq[q]);
    memset(rec[q], 0, sizeof rec[q]);
    if (rd_init(&rq[q], &port.g, packed, QS, features, 0x200u * q, 0x1000u + 0x600u * q,
                0x600u) != 0)
        return false;
    return avps_dev_queue_set_size(d, (uint16_t)q, QS) == AVPS_OK &&
           avps_dev_queue_set_addr(d, (uint16_t)q, AVPS_DEV_AREA_DESC, rq[q].desc) == AVPS_OK &&
           avps_dev_queue_set_addr(d, (uint16_t)q, AVPS_DEV_AREA_DRIVER, rq[q].driver) == AVPS_OK &&
           avps_dev_queue_set_addr(d, (uint16_t)q, AVPS_DEV_AREA_DEVICE, rq[q].device) == AVPS_OK &&
           avps_dev_queue_enable(d, (uint16_t)q) == AVPS_OK;
}

static void setup_(unsigned int p, uint8_t f)
{
    struct avps_dev *d = D();

    forget_();
    features = F(VERSION_1);
    if (f & 1u) features |= F(RING_PACKED);
    if (f & 2u) features |= F(EVENT_IDX);
    if (f & 4u) features |= F(INDIRECT_DESC);
    if (f & 8u) features |= F(IN_ORDER);
    if (f & 16u) features |= F(RING_RESET);
    if (f & 32u) features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_SIZE);
    if (!(f & 64u)) features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_MULTIPORT);
    if (f & 128u) features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_CONSOLE_F_EMERG_WRITE);
    check_(avps_dev_set_status(d, 0) == AVPS_OK);
    (void)avps_dev_set_status(d, 3);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)features);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(features >> 32));
    if (avps_dev_set_status(d, 0xb) != AVPS_OK)
        return;
    for (unsigned int q = 0; q < NQ; q++)
        if (!ring_up_(q))
            return;
    live = true;
    if (!(p & 1u))
        (void)avps_dev_set_status(d, 0xf);
}

static void take_used_(void)
{
    struct rd_done dn;

    if (!live)
        return;
    for (unsigned int q = 0; q < NQ; q++) {
        for (int i = 0; i < 32 && rd_get_used(&rq[q], &dn) == 1; i++) {
            if (tainted)
                continue;
            check_(dn.id < QS && rec[q][dn.id].active);
            check_(dn.len <= rec[q][dn.id].wr);
            if (q == 2u && dn.len != 0u) {
                const uint8_t *m = fz_ram(&port, (uint32_t)rec[q][dn.id].gpa);
                const uint32_t id = (uint32_t)m[0] | ((uint32_t)m[1] << 8) |
                                    ((uint32_t)m[2] << 16) | ((uint32_t)m[3] << 24);
                const uint16_t ev = (uint16_t)(m[4] | (m[5] << 8));

                check_(dn.len >= 8u && id < MAXP); /* below max_nr_ports */
                if (ev == AVPS_VIRTIO_CONSOLE_DEVICE_ADD) {
                    check_(!known[id]); /* §5.3.6.2.1 */
                    known[id] = true;
                } else if (ev == AVPS_VIRTIO_CONSOLE_DEVICE_REMOVE) {
                    check_(known[id]);
                    known[id] = false;
                } else {
                    check_(known[id]);
                }
            }
            rec[q][dn.id].active = false;
        }
        if (!tainted)
            check_(rq[q].bad_used == 0u);
    }
}

static void add_buf_(unsigned int q, unsigned int p, uint8_t n, const uint8_t *b)
{
    struct rd_buf rb;
    int id;

    if (!live || (n & 63u) == 0u)
        return;
    rb.len = n & 63u;
    rb.gpa = rd_alloc(&rq[q], rb.len);
    rb.write = (p & 1u) != 0u;
    if (rb.gpa == 0u)
        return;
    fz_ram_write(&port, (uint32_t)rb.gpa, b, rb.len < 8u ? rb.len : 8u);
    id = rd_add(&rq[q], &rb, 1, 0);
    if (id < 0 || id >= (int)QS)
        return;
    rec[q][id].active = true;
    rec[q][id].wr = rb.write ? rb.len : 0u;
    rec[q][id].gpa = rb.gpa;
    if (p & 2u)
        (void)avps_dev_queue_notify(D(), (uint16_t)q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char names[] = "bt-hci";
    struct avps_console_cfg cfg;
    size_t pc = 0;
    int ops = 0;

    if (fz_port_init(&port, false, false) != 0)
        return 0;
    be.tx = b_tx;
    be.rx = b_rx;
    be.event = NULL;
    be.emerg = b_emerg;
    be.ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &be;
    cfg.max_ports = MAXP;
    cfg.size = true;
    cfg.cols = 80;
    cfg.rows = 24;
    cfg.slots = slots;
    cfg.slots_per_queue = QS;
    cfg.queue_size_max = QS;
    check_(avps_console_init(&con, &port.host, &cfg) == AVPS_OK);
    check_(avps_dev_num_queues(D()) == NQ);
    check_(avps_dev_bind(D(), &tops, NULL, F(RING_RESET)) == AVPS_OK);
    memset(rq, 0, sizeof rq);
    forget_();
    tainted = false;
    features = 0;
    tx_mode = 0;
    rx_has = 1;

    while (pc < size && ops++ < MAX_OPS) {
        const uint8_t op = data[pc++];
        const unsigned int p = op >> 4;
        const uint8_t *a = data + pc;
        const size_t left = size - pc;

        switch (op & 15u) {
        case 0:
            if (left < 1) goto out;
            setup_(p, a[0]);
            pc += 1;
            break;
        case 1:
            if (left < 10) goto out;
            add_buf_(a[0] % NQ, p, a[1], a + 2);
            pc += 10;
            break;
        case 2: {
            uint8_t m[8];

            if (left < 3) goto out;
            m[0] = a[0] & 7u; m[1] = m[2] = m[3] = 0;
            m[4] = a[1] & 15u; m[5] = 0;
            m[6] = a[2] & 3u; m[7] = 0;
            add_buf_(3, 2, 8, m);
            pc += 3;
            break;
        }
        case 3:
            (void)avps_dev_queue_notify(D(), (uint16_t)(p & 7u));
            break;
        case 4:
            (void)avps_console_resume(&con);
            break;
        case 5:
            take_used_();
            break;
        case 6:
            (void)avps_console_port_add(&con, p & 3u, (p & 4u) ? names : NULL,
                                        (p & 4u) ? 6u : 0u, (p & 8u) != 0u);
            break;
        case 7:
            (void)avps_console_port_remove(&con, p & 3u);
            break;
        case 8:
            (void)avps_console_port_open(&con, p & 3u, (p & 4u) != 0u);
            break;
        case 9:
            if (left < 2) goto out;
            (void)avps_console_resize(&con, p & 3u, a[0], a[1]);
            pc += 2;
            break;
        case 10:
            if (left < 2) goto out;
            (void)avps_dev_config_write(D(), a[0] % 16u, a + 1, 1);
            pc += 2;
            break;
        case 11:
            tx_mode = (int)(p % 4u);
            rx_has = (p & 4u) != 0u;
            break;
        case 12:
            /* The driver takes what was used before it resets a queue: control
             * messages it never read are lost to it, as they would be to a
             * real driver. */
            take_used_();
            if (avps_dev_queue_reset(D(), (uint16_t)(p & 7u)) == AVPS_OK && live &&
                !ring_up_(p & 7u))
                live = false;
            break;
        case 13:
            check_(avps_dev_set_status(D(), 0) == AVPS_OK);
            forget_();
            break;
        default:
            break;
        }
        for (unsigned int q = 0; q < NQ && live; q++)
            if (!avps_dev_queue_ready(D(), (uint16_t)q))
                forget_();
    }
out:
    for (unsigned int q = 0; q < NQ; q++)
        rd_fini(&rq[q]);
    fz_port_fini(&port);
    return 0;
}

/*
 * libFuzzer harness for virtio-input (STYLE.md rule 19): lib/devices/input.c
 * through the device core API, with the spec-written ring driver
 * (tests/support/ringdrv) on the eventq and the statusq. The input is a
 * program (one operation per byte, operands after it):
 *   0 SETUP f         reset, features (f: packed, event-idx, indirect, in-order,
 *                     ring-reset), both rings laid out and enabled; DRIVER_OK
 *                     unless p & 1
 *   1 ADD_EV n        an eventq buffer of n & 31 bytes; p&1 readable, p&2 two
 *                     pieces, p&4 then notify
 *   2 ADD_ST n b[8]   a statusq buffer of n & 31 readable bytes (p&1 writable
 *                     instead) holding b; p&4 then notify
 *   3 SEND n e[3n]    n & 15 events (type & 3, code, value) to avps_input_send
 *   4 NOTIFY          queue p & 1
 *   5 RESUME          avps_input_resume
 *   6 USED            the driver takes its used buffers (checked)
 *   7 QRESET          queue p & 1 reset, then laid out again
 *   8 RESET           device reset
 *   9 CFGW o l b[l]   config write at o % 140, l & 3 + 1 bytes
 *  10 CFGR            select/subsel from p and the next byte, then a whole read (checked)
 *  11 RAM o n b[n]    the guest rewrites RAM (the ring checks stop)
 *  12 MODE            the status backend answers p % 3: OK, AGAIN, IO
 * (p is the operation byte >> 4). Checks beyond the sanitizers and asserts:
 * every used buffer is outstanding; eventq lengths are 0 or 8 (8 only for a
 * device-writable buffer of at least 8 bytes), statusq lengths 0; the events
 * the driver has received end with SYN_REPORT whenever it looks, unless the
 * device reported a group split; size is at most 128 and the bytes of u past
 * size read 0; pending never exceeds the array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/input.h>
#include <avps/virtio/features.h>
#include <avps/virtio/input.h>

#include "fz_port.h"
#include "ringdrv.h"

#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define QS 8u
#define PEND 16u
#define MAX_OPS 400

struct rec {
    bool active;
    bool ok; /* eventq: writable-only and >= 8 bytes */
};

static struct fz_port port;
static struct avps_input in;
static struct avps_input_info info;
static struct avps_input_event pend[PEND];
static struct avps_vq_slot es[QS], ss[QS];
static struct avps_input_backend be;
static struct rd_queue rq[2];
static struct rec rec[2][QS];
static bool live, tainted, last_syn;
static uint64_t features;
static int st_mode;

static void check_(int c)
{
    if (!c)
        __builtin_trap();
}

static int st_cb(void *ctx, const struct avps_input_event *ev)
{
    (void)ctx;
    (void)ev;
    return st_mode == 1 ? AVPS_E_AGAIN : st_mode == 2 ? AVPS_E_IO : AVPS_OK;
}

static int t_q(void *t, struct avps_dev *d, uint16_t q)
{
    (void)t;
    check_(q < 2u && (avps_dev_status(d) & AVPS_VIRTIO_S_DRIVER_OK) != 0u);
    return 0;
}

static int t_c(void *t, struct avps_dev *d)
{
    (void)t;
    (void)d;
    return 0;
}

static const struct avps_transport_ops tops = {t_q, t_c};

static struct avps_dev *D(void) { return avps_input_dev(&in); }

static void forget_(void)
{
    memset(rec, 0, sizeof rec);
    live = false;
}

static void fini_rings_(void)
{
    rd_fini(&rq[0]);
    rd_fini(&rq[1]);
    memset(rq, 0, sizeof rq);
}

static bool ring_up_(unsigned int q)
{
    const bool packed = (features & F(RING_PACKED)) != 0u;
    struct avps_dev *d = D();

    rd_fini(&rq[q]);
    memset(&rq[q], 0, sizeof rq[q]);
    memset(rec[q], 0, sizeof rec[q]);
    if (rd_init(&rq[q], &port.g, packed, QS, features, 0x800u * q, 0x1000u + 0x1800u * q,
                0x1800u) != 0)
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
    fini_rings_();
    features = F(VERSION_1);
    if (f & 1u) features |= F(RING_PACKED);
    if (f & 2u) features |= F(EVENT_IDX);
    if (f & 4u) features |= F(INDIRECT_DESC);
    if (f & 8u) features |= F(IN_ORDER);
    if (f & 16u) features |= F(RING_RESET);
    check_(avps_dev_set_status(d, 0) == AVPS_OK);
    (void)avps_dev_set_status(d, 3);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)features);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(features >> 32));
    if (avps_dev_set_status(d, 0xb) != AVPS_OK)
        return;
    if (!ring_up_(0) || !ring_up_(1))
        return;
    live = true;
    last_syn = true;
    if (!(p & 1u))
        (void)avps_dev_set_status(d, 0xf);
}

static void take_used_(void)
{
    struct rd_done dn;
    struct avps_input_stats st;

    if (!live)
        return;
    for (unsigned int q = 0; q < 2; q++) {
        for (int i = 0; i < 64 && rd_get_used(&rq[q], &dn) == 1; i++) {
            if (tainted)
                continue;
            check_(dn.id < QS && rec[q][dn.id].active);
            if (q == 1u) {
                check_(dn.len == 0u);
            } else {
                check_(dn.len == 0u || (dn.len == 8u && rec[0][dn.id].ok));
            }
            rec[q][dn.id].active = false;
        }
        if (!tainted)
            check_(rq[q].bad_used == 0u);
    }
    (void)st;
}

/* The last event the driver received, from the buffers it got back: the
 * harness reads it where the driver does (its own record of the buffer). */
static uint64_t ev_gpa[QS];

static void take_events_(void)
{
    struct rd_done dn;
    struct avps_input_stats st;

    if (!live)
        return;
    for (int i = 0; i < 64 && rd_get_used(&rq[0], &dn) == 1; i++) {
        if (tainted)
            continue;
        check_(dn.id < QS && rec[0][dn.id].active);
        check_(dn.len == 0u || (dn.len == 8u && rec[0][dn.id].ok));
        if (dn.len == 8u) {
            const uint8_t *b = fz_ram(&port, (uint32_t)ev_gpa[dn.id]);

            last_syn = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
        }
        rec[0][dn.id].active = false;
    }
    avps_input_stats(&in, &st);
    if (!tainted && st.split_groups == 0u)
        check_(last_syn); /* never part of a group (§5.8.6.2) */
    take_used_();
}

static void add_ev_(unsigned int p, uint8_t n)
{
    struct rd_buf b[2];
    const uint32_t len = n & 31u;
    unsigned int k = 1;
    int id;

    if (!live || len == 0u)
        return;
    b[0].gpa = rd_alloc(&rq[0], len);
    b[0].len = len;
    b[0].write = !(p & 1u);
    if ((p & 2u) && len > 1u) {
        b[0].len = len / 2u;
        b[1].gpa = b[0].gpa + b[0].len;
        b[1].len = len - b[0].len;
        b[1].write = true;
        k = 2;
    }
    if (b[0].gpa == 0u)
        return;
    id = rd_add(&rq[0], b, k, 0);
    if (id < 0 || id >= (int)QS)
        return;
    rec[0][id].active = true;
    rec[0][id].ok = (p & 1u) == 0u && len >= 8u;
    ev_gpa[id] = b[0].gpa;
    if (rec[0][id].ok && k == 2u)
        rec[0][id].ok = b[0].len >= 4u; /* the harness reads the type from piece 0 */
}

static void add_st_(unsigned int p, uint8_t n, const uint8_t *bytes)
{
    struct rd_buf b;
    int id;

    if (!live || (n & 31u) == 0u)
        return;
    b.len = n & 31u;
    b.gpa = rd_alloc(&rq[1], b.len);
    b.write = (p & 1u) != 0u;
    if (b.gpa == 0u)
        return;
    fz_ram_write(&port, (uint32_t)b.gpa, bytes, b.len < 8u ? b.len : 8u);
    id = rd_add(&rq[1], &b, 1, 0);
    if (id >= 0 && id < (int)QS)
        rec[1][id].active = true;
}

static void cfg_read_check_(void)
{
    struct avps_virtio_input_config c;

    check_(avps_dev_config_read(D(), 0, &c, sizeof c) == AVPS_OK);
    check_(c.size <= 128u);
    for (unsigned int i = c.size; i < 128u; i++)
        check_(c.u.bitmap[i] == 0u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_input_cfg cfg;
    size_t pc = 0;
    int ops = 0;

    if (fz_port_init(&port, false, false) != 0)
        return 0;
    memset(&info, 0, sizeof info);
    strcpy(info.name, "fuzz");
    info.ev_bits[1][3] = 0xff;
    info.ev_bits[3][0] = 0x03;
    info.abs[1].max = 100;
    be.status = st_cb;
    be.ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.info = &info;
    cfg.backend = &be;
    cfg.pending = pend;
    cfg.num_pending = PEND;
    cfg.event_slots = es;
    cfg.num_event_slots = QS;
    cfg.status_slots = ss;
    cfg.num_status_slots = QS;
    cfg.queue_size_max = QS;
    check_(avps_input_init(&in, &port.host, &cfg) == AVPS_OK);
    check_(avps_dev_bind(D(), &tops, NULL, F(RING_RESET)) == AVPS_OK);
    memset(rq, 0, sizeof rq);
    forget_();
    tainted = false;
    features = 0;
    st_mode = 0;
    last_syn = true;

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
            if (left < 1) goto out;
            add_ev_(p, a[0]);
            pc += 1;
            if ((p & 4u) && live)
                (void)avps_dev_queue_notify(D(), 0);
            break;
        case 2:
            if (left < 9) goto out;
            add_st_(p, a[0], a + 1);
            pc += 9;
            if ((p & 4u) && live)
                (void)avps_dev_queue_notify(D(), 1);
            break;
        case 3: {
            struct avps_input_event e[15];
            unsigned int n;

            if (left < 1) goto out;
            n = a[0] & 15u;
            if (left < 1 + 3u * n) goto out;
            for (unsigned int i = 0; i < n; i++) {
                e[i].type = (uint16_t)(a[1 + 3 * i] & 3u);
                e[i].code = (uint16_t)(e[i].type == 0u ? 0u : a[2 + 3 * i]);
                e[i].value = a[3 + 3 * i];
            }
            check_(avps_input_send(&in, e, n) <= (int)n);
            pc += 1 + 3u * n;
            break;
        }
        case 4:
            (void)avps_dev_queue_notify(D(), (uint16_t)(p & 1u));
            break;
        case 5:
            (void)avps_input_resume(&in);
            break;
        case 6:
            take_events_();
            break;
        case 7:
            if (avps_dev_queue_reset(D(), (uint16_t)(p & 1u)) == AVPS_OK && live) {
                if (!ring_up_(p & 1u))
                    live = false;
                if ((p & 1u) == 0u)
                    last_syn = true; /* a fresh ring: the driver starts over */
            }
            break;
        case 8:
            check_(avps_dev_set_status(D(), 0) == AVPS_OK);
            forget_();
            break;
        case 9: {
            uint32_t n;

            if (left < 2) goto out;
            n = (a[1] & 3u) + 1u;
            if (left < 2 + n) goto out;
            (void)avps_dev_config_write(D(), a[0] % 140u, a + 2, n);
            pc += 2 + n;
            break;
        }
        case 10: {
            uint8_t sel[2];

            if (left < 1) goto out;
            sel[0] = (uint8_t)(p == 15u ? a[0] : (p | 0x10u) & (p < 4u ? 0x03u : 0x13u));
            sel[1] = a[0];
            (void)avps_dev_config_write(D(), 0, sel, 2);
            cfg_read_check_();
            pc += 1;
            break;
        }
        case 11: {
            size_t n;

            if (left < 3) goto out;
            n = a[2] & 31u;
            if (n > left - 3) n = left - 3;
            fz_ram_write(&port, ((uint32_t)a[0] | ((uint32_t)a[1] << 8)) % FZ_RAM, a + 3, n);
            tainted = true;
            pc += 3 + n;
            break;
        }
        case 12:
            st_mode = (int)(p % 3u);
            break;
        default:
            break;
        }
        check_(avps_input_pending(&in) <= PEND);
        if (!avps_dev_queue_ready(D(), 0) || !avps_dev_queue_ready(D(), 1))
            forget_();
    }
out:
    fini_rings_();
    fz_port_fini(&port);
    return 0;
}

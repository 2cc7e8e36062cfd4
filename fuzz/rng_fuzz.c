/*
 * libFuzzer harness for the virtio-rng request path (STYLE.md rule 19):
 * lib/devices/rng.c through the device core API (include/avps/device.h), with
 * no transport in between: status, features, queue programming, enable,
 * notify and notify-data, queue and device resets, avps_rng_resume(), and an
 * entropy backend that returns bytes, AVPS_E_AGAIN, AVPS_E_IO, nothing or a
 * lie, as the input says. The guest side is the spec-written test driver
 * tests/support/ringdrv, whose buffers are tracked one by one.
 *
 * The input:
 *   byte 0      QueueSizeMax rf_qmax[b & 7]
 *   byte 1      spare
 *   bytes 2-3   P, the length of the program (little endian)
 *   P bytes     the program: operations of fuzz/rng_fuzz.h
 *   the rest    the backend's script, one byte per fill (fuzz/rng_fuzz.h)
 * At most RF_MAX_OPS operations run. fuzz/gen_rng_seeds.c writes seeds.
 *
 * Checked beyond ASan/UBSan and the library's asserts (a failure traps):
 *   - every used buffer names a buffer the driver made available and has not
 *     had back yet: a request is never completed twice, and none from before a
 *     queue or device reset completes into the new ring (ringdrv's bad_used
 *     stays 0 as well);
 *   - the used length never exceeds the buffer's device-writable size, and is
 *     at least 1 for a well-formed request (§5.4.6.1), 0 for a malformed
 *     chain (indirect without INDIRECT_DESC, or longer than the queue);
 *   - every guest-memory write the device makes lands in the current ring's
 *     used structures or in a device-writable piece of an outstanding buffer
 *     (never a readable piece, an indirect table or the driver area), and none
 *     happens without DRIVER_OK (but the packed ring's device event area at
 *     enable);
 *   - used-buffer and configuration notifications come only with DRIVER_OK
 *     and with their ISR bit set; the ISR has only bits 0-1;
 *   - avps_rng_resume() returns >= 0 or AVPS_E_STATE, AVPS_E_STATE exactly
 *     when the queue is not live.
 * The ring checks stop for the rest of an input once it rewrites guest RAM or
 * programs the queue by hand (RF_RAM, RF_QSIZE, RF_QADDR, a raw RF_ENABLE):
 * after that a misbehaving driver may see anything, and only the sanitizers,
 * the asserts and the DRIVER_OK rule apply.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/rng.h>
#include <avps/virtio/features.h>

#include "fz_port.h"
#include "ringdrv.h"
#include "rng_fuzz.h"

#define F(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRIVER AVPS_VIRTIO_S_DRIVER
#define S_FEATURES_OK AVPS_VIRTIO_S_FEATURES_OK
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK
#define S_NEEDS_RESET AVPS_VIRTIO_S_NEEDS_RESET
#define S_FAILED AVPS_VIRTIO_S_FAILED
#define QSLOTS 64u
#define MAXSEG 4u

struct rf_seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

/* What the driver made available under one id. */
struct rf_rec {
    bool active;
    bool has_rd;
    bool bad; /* a malformed chain: indirect without INDIRECT_DESC, or an
               * indirect table longer than the queue (§2.7.5.3.1) */
    uint32_t wrlen;
    unsigned int nseg;
    struct rf_seg seg[MAXSEG];
};

static struct fz_port port;
static struct avps_rng rng;
static struct avps_vq_slot slots[QSLOTS];
static struct avps_rng_backend rbe;
static struct rd_queue rq;
static struct rf_rec rec[QSLOTS];
static bool ring_live; /* rq is the ring the device has enabled */
static bool tainted;
static uint64_t features;
static const uint8_t *script;
static size_t script_len, script_pos;
static uint8_t entropy;
static uint32_t notifies, config_notifies;

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static struct avps_dev *dev_(void)
{
    return avps_rng_dev(&rng);
}

static bool driver_ok_(void)
{
    return (avps_dev_status(dev_()) & S_DRIVER_OK) != 0u;
}

/* ---- the backend ------------------------------------------------------------ */

static int rf_fill(void *ctx, void *buf, uint32_t len)
{
    uint8_t *p = buf;
    uint32_t n = len;
    int ret;
    uint8_t b;

    (void)ctx;
    check_(len > 0u && len <= 256u);
    if (script_pos < script_len) {
        b = script[script_pos++];
        if (b < 0x20u)
            return AVPS_E_AGAIN;
        if (b < 0x30u)
            return AVPS_E_IO;
        if (b < 0x38u) {
            ret = (int)(len + (b & 7u) + 1u); /* claims more than it wrote */
            for (uint32_t i = 0; i < len; i++)
                p[i] = entropy++;
            return ret;
        }
        if (b < 0x40u)
            return 0;
        if ((b & 0x3fu) != 0u && 4u * (b & 0x3fu) < len)
            n = 4u * (b & 0x3fu);
    }
    for (uint32_t i = 0; i < n; i++)
        p[i] = entropy++;
    return (int)n;
}

/* ---- the transport ---------------------------------------------------------- */

static int t_notify_queue(void *tctx, struct avps_dev *dev, uint16_t q)
{
    (void)tctx;
    check_(dev == dev_() && q == 0u);
    check_(driver_ok_());
    check_((avps_dev_isr(dev) & AVPS_DEV_ISR_QUEUE) != 0u);
    notifies++;
    return 0;
}

static int t_notify_config(void *tctx, struct avps_dev *dev)
{
    (void)tctx;
    check_(dev == dev_());
    check_(driver_ok_());
    check_((avps_dev_isr(dev) & AVPS_DEV_ISR_CONFIG) != 0u);
    config_notifies++;
    return 0;
}

static const struct avps_transport_ops tops = {t_notify_queue, t_notify_config};

/* ---- guest-memory writes ------------------------------------------------------ */

static bool inside_(uint64_t gpa, uint64_t len, uint64_t base, uint64_t size)
{
    return gpa >= base && len <= size && gpa - base <= size - len;
}

static bool packed_(void)
{
    return (avps_dev_features(dev_()) & F(RING_PACKED)) != 0u;
}

static bool packed_event_area_(uint64_t gpa, uint64_t len)
{
    return packed_() &&
           inside_(gpa, len, avps_dev_queue_addr(dev_(), 0, AVPS_DEV_AREA_DEVICE), 4u);
}

static void on_dirty_(void *cookie, uint64_t gpa, uint64_t len)
{
    const uint16_t size = avps_dev_queue_size(dev_(), 0);

    (void)cookie;
    if (!driver_ok_()) {
        check_(packed_event_area_(gpa, len));
        return;
    }
    if (tainted)
        return;
    /* the used structures of the ring the device has */
    if (packed_()) {
        if (inside_(gpa, len, avps_dev_queue_addr(dev_(), 0, AVPS_DEV_AREA_DESC),
                    16ull * size) ||
            packed_event_area_(gpa, len))
            return;
    } else if (inside_(gpa, len, avps_dev_queue_addr(dev_(), 0, AVPS_DEV_AREA_DEVICE),
                       6ull + 8ull * size)) {
        return;
    }
    /* or a device-writable piece of an outstanding buffer */
    for (unsigned int i = 0; i < QSLOTS; i++) {
        if (!rec[i].active)
            continue;
        for (unsigned int s = 0; s < rec[i].nseg; s++)
            if (rec[i].seg[s].write && inside_(gpa, len, rec[i].seg[s].gpa, rec[i].seg[s].len))
                return;
    }
    check_(0);
}

/* ---- the driver --------------------------------------------------------------- */

static void forget_all_(void)
{
    memset(rec, 0, sizeof rec);
    ring_live = false;
}

static void take_used_(void)
{
    struct rd_done d;

    if (!ring_live)
        return;
    for (int i = 0; i < 256 && rd_get_used(&rq, &d) == 1; i++) {
        if (!tainted) {
            check_(d.id < QSLOTS && rec[d.id].active);
            check_(d.len <= rec[d.id].wrlen);
            if (rec[d.id].bad)
                check_(d.len == 0u); /* dropped (AVPS_EV_CHAIN_DROPPED) */
            else if (!rec[d.id].has_rd && rec[d.id].wrlen > 0u)
                check_(d.len >= 1u);
        }
        if (d.id < QSLOTS)
            rec[d.id].active = false;
    }
    if (!tainted)
        check_(rq.bad_used == 0u);
    avps_dev_isr_ack(dev_(), AVPS_DEV_ISR_QUEUE | AVPS_DEV_ISR_CONFIG);
}

static uint64_t features_(uint8_t f)
{
    uint64_t w = F(VERSION_1);

    if (f & RF_F_PACKED) w |= F(RING_PACKED);
    if (f & RF_F_EVENT_IDX) w |= F(EVENT_IDX);
    if (f & RF_F_INDIRECT) w |= F(INDIRECT_DESC);
    if (f & RF_F_IN_ORDER) w |= F(IN_ORDER);
    if (f & RF_F_NOTIF_DATA) w |= F(NOTIFICATION_DATA);
    if (f & RF_F_RING_RESET) w |= F(RING_RESET);
    return w;
}

/* Lay out queue 0 again and hand it to the device (needs FEATURES_OK). */
static bool queue_up_(uint8_t qsel)
{
    struct avps_dev *d = dev_();
    const bool packed = (features & F(RING_PACKED)) != 0u;
    const uint16_t max = avps_dev_queue_size_max(d, 0);
    uint16_t size = (uint16_t)(max >> (qsel & 3u));

    forget_all_();
    rd_fini(&rq);
    if (size == 0u)
        size = max;
    if (packed && (qsel & 4u) && size > 2u)
        size = (uint16_t)(size - 1u); /* packed rings need not be powers of two */
    if (rd_init(&rq, &port.g, packed, size, features, RF_RING, RF_HEAP, FZ_RAM - RF_HEAP) != 0)
        return false;
    if (avps_dev_queue_set_size(d, 0, size) != AVPS_OK ||
        avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DESC, rq.desc) != AVPS_OK ||
        avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DRIVER, rq.driver) != AVPS_OK ||
        avps_dev_queue_set_addr(d, 0, AVPS_DEV_AREA_DEVICE, rq.device) != AVPS_OK ||
        avps_dev_queue_enable(d, 0) != AVPS_OK)
        return false;
    ring_live = true;
    return true;
}

static void setup_(unsigned int p, uint8_t f, uint8_t qsel)
{
    struct avps_dev *d = dev_();
    const uint64_t want = features_(f) & avps_dev_offered_features(d);

    check_(avps_dev_set_status(d, 0) == AVPS_OK);
    forget_all_();
    (void)avps_dev_set_status(d, S_ACK);
    (void)avps_dev_set_status(d, S_ACK | S_DRIVER);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)want);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32));
    if (avps_dev_set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK) != AVPS_OK)
        return;
    check_(avps_dev_features(d) == want);
    features = want;
    if (!queue_up_(qsel))
        return;
    if (!(p & 1u))
        (void)avps_dev_set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static bool any_active_(void)
{
    for (unsigned int i = 0; i < QSLOTS; i++)
        if (rec[i].active)
            return true;
    return false;
}

/* Buffers never overlap an outstanding one (the device would write one
 * request's entropy over another's descriptors): a request is laid out whole
 * from the heap, which starts again only once the driver has every buffer
 * back. need: its bytes, with rd_alloc's alignment and an indirect table. */
static bool heap_room_(uint64_t need)
{
    if (rq.heap + need <= rq.heap_end)
        return true;
    if (any_active_())
        return false;
    rq.heap = RF_HEAP;
    return rq.heap + need <= rq.heap_end;
}

static void add_(unsigned int p, uint8_t len)
{
    struct rd_buf b[MAXSEG];
    struct rf_rec r;
    const unsigned int n = (p & 3u) + 1u;
    int id;

    if (!ring_live)
        return;
    memset(&r, 0, sizeof r);
    {
        uint64_t need = 2u * 16u * n; /* a table, and the move past 0x2000 */

        for (unsigned int i = 0; i < n; i++)
            need += ((len == 0u ? 1u : 1u + len * (i + 1u)) + 15u) & ~15u;
        if (!heap_room_(need))
            return;
    }
    for (unsigned int i = 0; i < n; i++) {
        b[i].len = len == 0u ? 0u : 1u + len * (i + 1u);
        b[i].gpa = rd_alloc(&rq, b[i].len);
        b[i].write = !(i == 0 && n > 1 && (len & 1u));
        if (b[i].gpa == 0)
            return;
        r.seg[i].gpa = b[i].gpa;
        r.seg[i].len = b[i].len;
        r.seg[i].write = b[i].write;
        if (b[i].write)
            r.wrlen += b[i].len;
        else
            r.has_rd = true;
    }
    r.nseg = n;
    r.bad = (p & 4u) && ((avps_dev_features(dev_()) & F(INDIRECT_DESC)) == 0u || n > rq.size);
    if (p & 4u) { /* ringdrv needs an indirect table inside one region */
        if (rq.heap < FZ_RAM / 2 && rq.heap + 16u * n > FZ_RAM / 2)
            rq.heap = FZ_RAM / 2;
        if (rq.heap + 16u * n > rq.heap_end)
            return; /* no room for the table: ringdrv would lose an id */
    }
    id = rd_add(&rq, b, n, (p & 4u) ? RD_INDIRECT : 0u);
    if (id >= 0) {
        check_((unsigned int)id < QSLOTS && (tainted || !rec[id].active));
        r.active = true;
        rec[id] = r;
    }
}

static uint32_t notify_value_(void)
{
    if (rq.packed)
        return ((uint32_t)(rq.next_avail & 0x7fffu) << 16) | ((uint32_t)(rq.avail_wrap & 1u) << 31);
    return (uint32_t)rq.avail_idx << 16;
}

static bool live_(void)
{
    return (avps_dev_status(dev_()) & (S_DRIVER_OK | S_NEEDS_RESET | S_FAILED)) == S_DRIVER_OK &&
           avps_dev_queue_ready(dev_(), 0) != 0u;
}

static int resume_(void)
{
    const bool live = live_();
    int r = avps_rng_resume(&rng);

    check_(r >= 0 || r == AVPS_E_STATE);
    check_((r == AVPS_E_STATE) == !live);
    return r;
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
    size_t pc, end;
    int ops = 0;

    if (size < RF_HDR)
        return 0;
    end = RF_HDR + ((size_t)data[2] | ((size_t)data[3] << 8));
    if (end > size)
        end = size;
    script = data + end;
    script_len = size - end;
    script_pos = 0;
    entropy = 0;
    notifies = config_notifies = 0;
    tainted = false;
    features = 0;
    forget_all_();
    if (fz_port_init(&port, false, false) != 0)
        return 0;
    port.on_dirty = on_dirty_;

    rbe.fill = rf_fill;
    rbe.ctx = NULL;
    memset(&rc, 0, sizeof rc);
    rc.backend = &rbe;
    rc.slots = slots;
    rc.num_slots = QSLOTS;
    rc.queue_size_max = rf_qmax[data[0] & 7u];
    check_(avps_rng_init(&rng, &port.host, &rc) == AVPS_OK);
    check_(avps_dev_bind(dev_(), &tops, NULL, F(NOTIFICATION_DATA) | F(RING_RESET)) == AVPS_OK);
    memset(&rq, 0, sizeof rq);

    for (pc = RF_HDR; pc < end && ops++ < RF_MAX_OPS;) {
        const uint8_t op = data[pc++];
        const unsigned int p = op >> 4;
        const uint8_t *a = data + pc; /* operands */
        const size_t left = end - pc;
        struct avps_dev *d = dev_();

        switch ((enum rf_op)(op & 15u)) {
        case RF_STATUS:
            if (left < 1)
                goto out;
            (void)avps_dev_set_status(d, a[0]);
            if ((avps_dev_status(d) & S_FEATURES_OK) != 0u)
                features = avps_dev_features(d);
            pc += 1;
            break;
        case RF_FEATURES:
            if (left < 5)
                goto out;
            (void)avps_dev_set_driver_word(d, a[0], le32_(a + 1));
            pc += 5;
            break;
        case RF_SETUP:
            if (left < 2)
                goto out;
            setup_(p, a[0], a[1]);
            pc += 2;
            break;
        case RF_QSIZE:
            if (left < 2)
                goto out;
            if (avps_dev_queue_set_size(d, p & 1u, (uint16_t)(a[0] | (a[1] << 8))) == AVPS_OK)
                tainted = true;
            pc += 2;
            break;
        case RF_QADDR:
            if (left < 4)
                goto out;
            if (avps_dev_queue_set_addr_half(d, 0, (enum avps_dev_area)(p % 3u), (p & 4u) != 0u,
                                             le32_(a)) == AVPS_OK)
                tainted = true;
            pc += 4;
            break;
        case RF_ENABLE:
            if (avps_dev_queue_enable(d, p & 1u) == AVPS_OK)
                tainted = true; /* a ring the driver did not lay out for it */
            break;
        case RF_ADD:
            if (left < 1)
                goto out;
            add_(p, a[0]);
            if ((p & 8u) && ring_live)
                check_(avps_dev_queue_notify(d, 0) >= 0);
            pc += 1;
            break;
        case RF_NOTIFY:
            switch (p & 3u) {
            case 0: check_(avps_dev_queue_notify(d, 0) >= 0); break;
            case 1:
                if (ring_live) {
                    const int r = avps_dev_queue_notify_data(d, notify_value_());

                    check_(r >= 0);
                }
                break;
            case 2: check_(avps_dev_queue_notify(d, 1) == AVPS_E_GUEST_STATE); break;
            default:
                if (left < 4)
                    goto out;
                (void)avps_dev_queue_notify_data(d, le32_(a));
                pc += 4;
                break;
            }
            break;
        case RF_RESUME:
            (void)resume_();
            break;
        case RF_USED:
            take_used_();
            break;
        case RF_QRESET:
            (void)avps_dev_queue_reset(d, p & 1u);
            break;
        case RF_REQUEUE:
            if (left < 1)
                goto out;
            if ((avps_dev_status(d) & S_FEATURES_OK) != 0u && !avps_dev_queue_ready(d, 0))
                (void)queue_up_(a[0]);
            pc += 1;
            break;
        case RF_RESET:
            check_(avps_dev_set_status(d, 0) == AVPS_OK);
            check_(avps_dev_isr(d) == 0u && avps_dev_status(d) == 0u);
            break;
        case RF_RAM: {
            size_t n;

            if (left < 3)
                goto out;
            n = a[2] & 63u;
            if (n > left - 3)
                n = left - 3;
            fz_ram_write(&port, ((uint32_t)a[0] | ((uint32_t)a[1] << 8)) % FZ_RAM, a + 3, n);
            tainted = true;
            pc += 3 + n;
            break;
        }
        case RF_EVENT:
            if (p & 1u)
                avps_dev_fail(d, AVPS_E_IO);
            else
                avps_dev_config_changed(d);
            break;
        case RF_DRAIN:
            for (int i = 0; i < 8; i++) {
                const uint64_t before = avps_rng_bytes(&rng);

                take_used_();
                if (resume_() <= 0 && avps_rng_bytes(&rng) == before)
                    break;
            }
            take_used_();
            break;
        }
        check_((avps_dev_isr(dev_()) & ~3u) == 0u);
        if (!avps_dev_queue_ready(dev_(), 0))
            forget_all_(); /* the ring is gone: its buffers will never come back */
    }
out:
    if (getenv("RNG_FUZZ_LOG") != NULL) /* to check what a seed reaches */
        fprintf(stderr, "ops %d, status %#x, entropy %llu bytes, notifies %u/%u, tainted %d, "
                "fills %zu/%zu\n", ops, avps_dev_status(dev_()),
                (unsigned long long)avps_rng_bytes(&rng), notifies, config_notifies, tainted,
                script_pos, script_len);
    rd_fini(&rq);
    fz_port_fini(&port);
    return 0;
}

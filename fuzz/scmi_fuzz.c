/*
 * libFuzzer harness for the SCMI platform core (lib/scmi: header parsing,
 * table dispatch, every protocol's commands) and the virtio-scmi request path
 * (lib/devices/scmi.c), STYLE.md rule 19. The platform is the test platform
 * of tests/support/scmi_fix.h (three agents, every resource type).
 *
 * Input: byte 0 is the mode (bit0 virtio-scmi, bit1 packed ring, bit2 P2A
 * negotiated, bit3 the platform defers its operations); then records
 * [op][len][len bytes], at most 64, where op's low nibble is the kind and its
 * high nibble a parameter (fuzz/gen_scmi_seeds.c writes seeds):
 *   0 command: the bytes are one SCMI message (core: agent 1 + p % 3, reply
 *     room from p; virtio: readable pieces cut at p, writable room from p)
 *   1 core: take a P2A message (room from p); virtio: post an eventq buffer
 *   2 core: take a deferred reply; virtio: avps_virtio_scmi_kick()
 *   3 avps_scmi_complete(handle p & 7, error from p >> 3, value from the bytes)
 *   4 avps_scmi_complete_sensor(handle p & 7, readings from the bytes)
 *   5 avps_scmi_sensor_update(sensor p, readings from the bytes)
 *   6 avps_scmi_agent_reset(agent 1 + p % 3, permissions p >> 3)
 *   7 core: rebind agent 1 + p % 3 with or without P2A; virtio: device reset
 *     and a new driver set-up
 *   8 avps_scmi_notify(protocol 0x10 + p, event from the bytes)
 *   9 the next platform operation fails (p selects the error)
 * Checked beyond the sanitizers and asserts (a failure traps):
 *   - a reply is at least 8 bytes, fits its room, echoes the header with
 *     type 0, and is exactly 8 bytes when its status is not SUCCESS;
 *   - a P2A message fits its buffer and AVPS_SCMI_MSG_MAX, and has type 2 or 3;
 *   - virtio: every used buffer is one the driver made available, with a
 *     used length within its writable size (ringdrv's bad_used stays 0).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>
#include <avps/virtio_scmi.h>

#include "fz_port.h"
#include "ringdrv.h"
#include "scmi_fix.h"

#define MAX_OPS 64
#define QSIZE 8u
#define CQ_RING 0x0u
#define EQ_RING 0x400u
#define CQ_HEAP 0x1000u
#define EQ_HEAP 0x3000u

static struct sfx fx;
static struct fz_port port;
static struct rd_queue cq, eq;
static struct avps_virtio_scmi vs;
static struct avps_vq_slot slots[2 * QSIZE];
static struct avps_virtio_scmi_held held[2];
static uint32_t wr_of[QSIZE];
static bool virt, packed, p2a, live;

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static uint32_t le32_(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static void check_reply_(const uint8_t *req, uint32_t req_len, const uint8_t *rsp, int rc,
                         uint32_t cap)
{
    if (rc <= 0)
        return;
    check_(rc >= 8 && (uint32_t)rc <= cap);
    check_(req_len >= 4 && le32_(rsp) == (le32_(req) & 0x0ffffcffu));
    if (le32_(&rsp[4]) != 0u)
        check_(rc == 8);
}

static void check_p2a_(const uint8_t *b, int rc, uint32_t cap)
{
    if (rc <= 0)
        return;
    check_(rc >= 8 && (uint32_t)rc <= cap && (uint32_t)rc <= AVPS_SCMI_MSG_MAX);
    check_(AVPS_SCMI_HDR_TYPE(le32_(b)) == 2u || AVPS_SCMI_HDR_TYPE(le32_(b)) == 3u);
}

static void readings_(struct avps_scmi_reading *r, uint32_t n, const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i < n; i++) {
        r[i].value = (int64_t)(int8_t)(i < len ? p[i] : 0);
        r[i].timestamp = i;
    }
}

/* ---- virtio-scmi -------------------------------------------------------------------- */

static void take_used_(void)
{
    struct rd_done d;

    for (int i = 0; i < 64 && rd_get_used(&cq, &d) == 1; i++)
        check_(d.id < QSIZE && d.len <= wr_of[d.id]);
    for (int i = 0; i < 64 && rd_get_used(&eq, &d) == 1; i++)
        check_(d.len <= 136u);
    check_(cq.bad_used == 0 && eq.bad_used == 0);
}

static bool driver_up_(void)
{
    struct avps_dev *d = avps_virtio_scmi_dev(&vs);
    const uint64_t feat = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) |
                          (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0) |
                          (p2a ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_SCMI_F_P2A_CHANNELS) : 0);
    const uint8_t s3 = AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER | AVPS_VIRTIO_S_FEATURES_OK;

    rd_fini(&cq);
    rd_fini(&eq);
    memset(port.g.region[0].mem, 0, FZ_RAM / 2);
    memset(port.g.region[1].mem, 0, FZ_RAM / 2);
    if (rd_init(&cq, &port.g, packed, QSIZE, feat, CQ_RING, CQ_HEAP, EQ_HEAP - CQ_HEAP) != 0 ||
        rd_init(&eq, &port.g, packed, QSIZE, feat, EQ_RING, EQ_HEAP, FZ_RAM - EQ_HEAP) != 0)
        return false;
    (void)avps_dev_set_status(d, 0);
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)feat);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(feat >> 32));
    if (avps_dev_set_status(d, s3) != AVPS_OK)
        return false;
    for (uint16_t q = 0; q < (p2a ? 2 : 1); q++) {
        struct rd_queue *rq = q == 0 ? &cq : &eq;

        if (avps_dev_queue_set_size(d, q, QSIZE) != AVPS_OK ||
            avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DESC, rq->desc) != AVPS_OK ||
            avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DRIVER, rq->driver) != AVPS_OK ||
            avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DEVICE, rq->device) != AVPS_OK ||
            avps_dev_queue_enable(d, q) != AVPS_OK)
            return false;
    }
    return avps_dev_set_status(d, s3 | AVPS_VIRTIO_S_DRIVER_OK) == AVPS_OK;
}

static int t_notify(void *t, struct avps_dev *d, uint16_t q)
{
    (void)t;
    (void)d;
    (void)q;
    return 0;
}

static int t_notify_config(void *t, struct avps_dev *d)
{
    (void)t;
    (void)d;
    return 0;
}

static const struct avps_transport_ops tops = {t_notify, t_notify_config};

static void virt_command_(uint8_t p, const uint8_t *b, uint32_t len)
{
    struct rd_buf bufs[5];
    unsigned int n = 0;
    uint32_t cut = (p & 3u) + 1u; /* readable pieces */
    uint32_t off = 0;
    uint32_t wr = 4u + 16u * (p >> 2);
    int id;

    for (uint32_t i = 0; i < cut && off < len; i++) {
        uint32_t piece = (i == cut - 1u) ? len - off : (len - off + 1u) / 2u;
        uint64_t gpa = rd_alloc(&cq, piece);

        if (gpa == 0)
            return;
        fz_ram_write(&port, (uint32_t)gpa, b + off, piece);
        bufs[n].gpa = gpa;
        bufs[n].len = piece;
        bufs[n].write = false;
        n++;
        off += piece;
    }
    bufs[n].gpa = rd_alloc(&cq, wr);
    bufs[n].len = wr;
    bufs[n].write = true;
    if (bufs[n].gpa == 0)
        return;
    n++;
    id = rd_add(&cq, bufs, n, 0);
    if (id < 0)
        return;
    wr_of[id] = wr;
    (void)avps_dev_queue_notify(avps_virtio_scmi_dev(&vs), 0);
}

static void virt_event_(uint8_t p)
{
    struct rd_buf b = {0, 8u + 16u * p, true};

    b.gpa = rd_alloc(&eq, b.len);
    if (b.gpa == 0 || rd_add(&eq, &b, 1, 0) < 0)
        return;
    (void)avps_dev_queue_notify(avps_virtio_scmi_dev(&vs), 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t rsp[512];
    size_t pos = 1;

    if (size < 1)
        return 0;
    virt = (data[0] & 1u) != 0;
    packed = (data[0] & 2u) != 0;
    p2a = (data[0] & 4u) != 0;
    if (sfx_init(&fx) != 0)
        return 0;
    fx.defer = (data[0] & 8u) != 0;
    live = false;
    if (virt) {
        struct avps_virtio_scmi_cfg cfg;

        if (fz_port_init(&port, false, false) != 0)
            return 0;
        memset(&cq, 0, sizeof cq);
        memset(&eq, 0, sizeof eq);
        memset(&cfg, 0, sizeof cfg);
        cfg.scmi = &fx.s;
        cfg.agent = SFX_VMA;
        cfg.slots = slots;
        cfg.num_slots = 2 * QSIZE;
        cfg.held = held;
        cfg.num_held = 2;
        cfg.queue_size_max = QSIZE;
        check_(avps_virtio_scmi_init(&vs, &port.host, &cfg) == AVPS_OK);
        check_(avps_dev_bind(avps_virtio_scmi_dev(&vs), &tops, NULL, 0) == AVPS_OK);
        live = driver_up_();
    }
    for (int ops = 0; ops < MAX_OPS && pos + 2 <= size; ops++) {
        const uint8_t kind = data[pos] & 0xfu;
        const uint8_t p = data[pos] >> 4;
        uint32_t len = data[pos + 1];
        const uint8_t *b = &data[pos + 2];
        struct avps_scmi_reading r[8];
        uint64_t cookie;
        int rc;

        if (len > size - pos - 2)
            len = (uint32_t)(size - pos - 2);
        pos += 2 + len;
        switch (kind) {
        case 0:
            if (virt) {
                if (live)
                    virt_command_(p, b, len);
            } else {
                const uint32_t cap = 8u + 8u * p;

                rc = avps_scmi_handle(&fx.s, 1u + p % 3u, b, len, rsp, cap, p);
                check_reply_(b, len, rsp, rc, cap);
            }
            break;
        case 1:
            if (virt) {
                if (live)
                    virt_event_(p);
            } else {
                rc = avps_scmi_p2a_pop(&fx.s, 1u + p % 3u, rsp, 4u + 8u * p);
                check_p2a_(rsp, rc, 4u + 8u * p);
            }
            break;
        case 2:
            if (virt) {
                rc = avps_virtio_scmi_kick(&vs);
                check_(rc >= 0 || rc == AVPS_E_STATE);
            } else {
                rc = avps_scmi_deferred_pop(&fx.s, 1u + p % 3u, &cookie, rsp, sizeof rsp);
                check_(rc >= 0 && rc <= (int)AVPS_SCMI_MSG_MAX);
            }
            break;
        case 3:
            (void)avps_scmi_complete(&fx.s, p & 7u, (p & 8u) ? AVPS_E_IO : AVPS_OK,
                                     len >= 4 ? le32_(b) : 0u);
            break;
        case 4:
            readings_(r, 8, b, len);
            (void)avps_scmi_complete_sensor(&fx.s, p & 7u, AVPS_OK, r, len & 7u);
            break;
        case 5:
            readings_(r, 8, b, len);
            (void)avps_scmi_sensor_update(&fx.s, p % (SFX_NSENSORS + 1u), r, len & 3u);
            break;
        case 6:
            check_(avps_scmi_agent_reset(&fx.s, 1u + p % 3u, (p & 8u) != 0) == AVPS_OK);
            break;
        case 7:
            if (virt)
                live = driver_up_();
            else
                (void)avps_scmi_agent_bind(&fx.s, 1u + p % 3u, (p & 8u) != 0, NULL, NULL);
            break;
        case 8:
            (void)avps_scmi_notify(&fx.s, len > 1 ? b[1] : 0u, 0x10u + p, len > 0 ? b[0] & 1u : 0u,
                                   len >= 6 ? le32_(&b[2]) : 0u, NULL, 0);
            break;
        default:
            fx.fail = (p & 1u) ? AVPS_E_IO : ((p & 2u) ? AVPS_E_AGAIN : AVPS_E_INVAL);
            break;
        }
        if (virt && live)
            take_used_();
    }
    if (virt) {
        rd_fini(&cq);
        rd_fini(&eq);
        fz_port_fini(&port);
    }
    return 0;
}

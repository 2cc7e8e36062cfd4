/*
 * test_virtio_scmi: the virtio-scmi device (VIRTIO 1.2 §5.17) through the
 * device core API, with the spec-written test driver (tests/support/ringdrv)
 * building the cmdq and the eventq in split and packed layouts. The platform
 * is the test platform of scmi_fix.h; the device is its agent vm-a (2) unless
 * a test says otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>
#include <avps/virtio_scmi.h>

#include "ringdrv.h"
#include "scmi_fix.h"

#define MEM (16ull << 20)
#define CQ_RING 0x1000ull
#define EQ_RING 0x40000ull
#define CQ_HEAP (8ull << 20)
#define EQ_HEAP (12ull << 20)
#define QSIZE 16u
#define P2A AVPS_VIRTIO_BIT(AVPS_VIRTIO_SCMI_F_P2A_CHANNELS)
#define SHM AVPS_VIRTIO_BIT(AVPS_VIRTIO_SCMI_F_SHARED_MEMORY)
#define B AVPS_SCMI_PROTO_BASE
#define SN AVPS_SCMI_PROTO_SENSOR
#define S_ALL (AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER | AVPS_VIRTIO_S_FEATURES_OK)

struct ft {
    int queue_notes[2];
    int config_notes;
};

static int ft_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    struct ft *f = t;

    (void)dev;
    if (q < 2)
        f->queue_notes[q]++;
    return 0;
}

static int ft_config(void *t, struct avps_dev *dev)
{
    (void)dev;
    ((struct ft *)t)->config_notes++;
    return 0;
}

static const struct avps_transport_ops ft_ops = {ft_queue, ft_config};

struct vfix {
    struct sfx p; /* the platform */
    struct avps_posix_guest g;
    struct rd_queue cq, eq;
    struct avps_virtio_scmi vs;
    struct avps_vq_slot slots[2 * QSIZE];
    struct avps_virtio_scmi_held held[4];
    struct ft ft;
    struct avps_dev *dev;
    bool packed;
    uint64_t wr_gpa[QSIZE]; /* cmdq: writable buffer of each id */
    uint64_t ev_gpa[QSIZE]; /* eventq: buffer of each id */
};

static struct vfix *vf_new(bool packed, bool p2a, uint32_t agent)
{
    struct vfix *f = calloc(1, sizeof *f);
    struct avps_virtio_scmi_cfg cfg;
    uint64_t feat = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1) | (p2a ? P2A : 0) |
                    (packed ? AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED) : 0);
    struct avps_dev *d;

    assert_non_null(f);
    assert_int_equal(sfx_init(&f->p), 0);
    f->packed = packed;
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, MEM), 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 32;
    cfg.scmi = &f->p.s;
    cfg.agent = agent;
    cfg.slots = f->slots;
    cfg.num_slots = 2 * QSIZE;
    cfg.held = f->held;
    cfg.num_held = 4;
    cfg.queue_size_max = QSIZE;
    assert_int_equal(avps_virtio_scmi_init(&f->vs, &f->g.host, &cfg), AVPS_OK);
    f->dev = d = avps_virtio_scmi_dev(&f->vs);
    assert_int_equal(avps_dev_device_id(d), 32);
    assert_int_equal(avps_dev_bind(d, &ft_ops, &f->ft, 0), AVPS_OK);
    assert_int_equal(rd_init(&f->cq, &f->g, packed, QSIZE, feat, CQ_RING, CQ_HEAP, 4u << 20), 0);
    assert_int_equal(rd_init(&f->eq, &f->g, packed, QSIZE, feat, EQ_RING, EQ_HEAP, 4u << 20), 0);
    /* §3.1.1 */
    assert_int_equal(avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)feat), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(feat >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ALL), AVPS_OK);
    for (uint16_t q = 0; q < (p2a ? 2 : 1); q++) {
        struct rd_queue *rq = q == 0 ? &f->cq : &f->eq;

        assert_int_equal(avps_dev_queue_set_size(d, q, QSIZE), AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DESC, rq->desc), AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DRIVER, rq->driver), AVPS_OK);
        assert_int_equal(avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DEVICE, rq->device), AVPS_OK);
        assert_int_equal(avps_dev_queue_enable(d, q), AVPS_OK);
    }
    assert_int_equal(avps_dev_set_status(d, S_ALL | AVPS_VIRTIO_S_DRIVER_OK), AVPS_OK);
    return f;
}

static void vf_free(struct vfix *f)
{
    rd_fini(&f->cq);
    rd_fini(&f->eq);
    avps_posix_fini(&f->g);
    free(f);
}

/* Make one command available: header + args in one readable buffer, a
 * writable buffer of wr bytes. Returns its id. */
static int vf_send(struct vfix *f, uint32_t proto, uint32_t msg, uint32_t token,
                   const uint32_t *args, uint32_t n, uint32_t wr)
{
    struct rd_buf b[2];
    uint8_t req[256];
    uint32_t len = sfx_build(req, proto, msg, token, args, n);
    int id;

    b[0].gpa = rd_alloc(&f->cq, len);
    b[0].len = len;
    b[0].write = false;
    memcpy(avps_posix_ptr(&f->g, b[0].gpa, len), req, len);
    b[1].gpa = rd_alloc(&f->cq, wr);
    b[1].len = wr;
    b[1].write = true;
    memset(avps_posix_ptr(&f->g, b[1].gpa, wr), 0xee, wr);
    id = rd_add(&f->cq, b, 2, 0);
    assert_true(id >= 0 && id < (int)QSIZE);
    f->wr_gpa[id] = b[1].gpa;
    return id;
}

/* Post one device-writable eventq buffer of len bytes. */
static int vf_post_event(struct vfix *f, uint32_t len)
{
    struct rd_buf b = {rd_alloc(&f->eq, len), len, true};
    int id = rd_add(&f->eq, &b, 1, 0);

    assert_true(id >= 0 && id < (int)QSIZE);
    f->ev_gpa[id] = b.gpa;
    return id;
}

static const uint8_t *vf_reply(struct vfix *f, uint16_t id)
{
    return avps_posix_ptr(&f->g, f->wr_gpa[id], 4);
}

static const uint8_t *vf_event(struct vfix *f, uint16_t id)
{
    return avps_posix_ptr(&f->g, f->ev_gpa[id], 4);
}

/* One command through the cmdq: returns the used length, reply in *out. */
static uint32_t vf_cmd(struct vfix *f, uint32_t proto, uint32_t msg, const uint32_t *args,
                       uint32_t n, const uint8_t **out)
{
    struct rd_done d;
    int id = vf_send(f, proto, msg, 0x2a, args, n, 136);

    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.id, id);
    *out = vf_reply(f, d.id);
    return d.len;
}

/* ---- §5.17.3 features --------------------------------------------------------- */

/* §5.17.3.1: P2A offered (the platform has notifications and delayed
 * responses); SHARED_MEMORY not (no statistics region is implemented). */
static void test_5_17_3_1_offers_p2a(void **s)
{
    struct vfix *f = vf_new(false, true, SFX_VMA);
    const uint64_t off = avps_dev_offered_features(f->dev);

    (void)s;
    assert_true(off & P2A);
    assert_int_equal(avps_dev_num_queues(f->dev), 2);
    assert_int_equal(avps_dev_config_size(f->dev), 0);
    vf_free(f);
}

/* §5.17.6.4.1: no shared memory region, so SHARED_MEMORY is not offered and a
 * driver that asks for it does not get FEATURES_OK. */
static void test_5_17_6_4_1_shared_memory_not_offered(void **s)
{
    struct vfix *f = vf_new(false, true, SFX_VMA);
    struct avps_dev *d = f->dev;

    (void)s;
    assert_false(avps_dev_offered_features(d) & SHM);
    assert_int_equal(avps_dev_set_status(d, 0), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)SHM), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, 1), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ALL), AVPS_E_GUEST_STATE);
    vf_free(f);
}

/* ---- §5.17.6.1 cmdq --------------------------------------------------------------- */

/* §5.17.6.1: one command per buffer, the response in the same buffer. Every
 * protocol answers PROTOCOL_VERSION through the device. */
static void cmdq_versions(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_HOST);
    const uint8_t *r;

    for (uint32_t p = 0x10; p <= 0x19; p++) {
        assert_int_equal(vf_cmd(f, p, 0, NULL, 0, &r), 12);
        assert_int_equal(sfx_le32(r), AVPS_SCMI_HDR(0, 0, p, 0x2a));
        assert_int_equal(sfx_le32(r + 4), 0);
        assert_true(sfx_le32(r + 8) >= 0x10000);
    }
    assert_int_equal(avps_virtio_scmi_commands(&f->vs), 10);
    assert_true(f->ft.queue_notes[0] >= 1);
    vf_free(f);
}
static void test_5_17_6_1_cmdq_versions_split(void **s) { (void)s; cmdq_versions(false); }
static void test_5_17_6_1_cmdq_versions_packed(void **s) { (void)s; cmdq_versions(true); }

/* §5.17.6.1.1: a status other than SUCCESS makes the response exactly
 * header + status. */
static void status_only(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[4] = {99, 0, 0, 0};

    assert_int_equal(vf_cmd(f, B, 0x0f, NULL, 0, &r), 8); /* unknown id */
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_FOUND);
    assert_int_equal(vf_cmd(f, B, 0, a, 1, &r), 8); /* wrong length */
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_PROTOCOL_ERROR);
    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8); /* unknown sensor */
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_FOUND);
    assert_int_equal(vf_cmd(f, 0x42, 0, NULL, 0, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_SUPPORTED);
    vf_free(f);
}
static void test_5_17_6_1_1_failure_is_status_only_split(void **s) { (void)s; status_only(false); }
static void test_5_17_6_1_1_failure_is_status_only_packed(void **s) { (void)s; status_only(true); }

/* §5.17.6.1.1: commands may complete out of order. A sensor read the
 * platform finishes later is overtaken by a later command. */
static void out_of_order(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    uint32_t a[2] = {SFX_TEMP, 0};
    const struct avps_scmi_reading r = {77, 0};
    struct rd_done d;
    int slow, fast;

    f->p.defer = true;
    slow = vf_send(f, SN, 6, 1, a, 2, 136);
    fast = vf_send(f, B, 0, 2, NULL, 0, 136);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 1);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.id, fast);
    assert_int_equal(d.len, 12);
    assert_int_equal(rd_get_used(&f->cq, &d), 0);
    /* the platform finishes: the kick completes the held command */
    assert_int_equal(avps_scmi_complete_sensor(&f->p.s, f->p.last_handle, AVPS_OK, &r, 1), AVPS_OK);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.id, slow);
    assert_int_equal(d.len, 24);
    assert_int_equal(sfx_le32(vf_reply(f, d.id)), AVPS_SCMI_HDR(6, 0, SN, 1));
    assert_int_equal(sfx_le32(vf_reply(f, d.id) + 8), 77);
    assert_int_equal(avps_virtio_scmi_commands(&f->vs), 2);
    vf_free(f);
}
static void test_5_17_6_1_1_out_of_order_split(void **s) { (void)s; out_of_order(false); }
static void test_5_17_6_1_1_out_of_order_packed(void **s) { (void)s; out_of_order(true); }

/* More deferred commands than held entries: the surplus is answered at once
 * (the platform is told it cannot defer), and every command completes. */
static void held_exhausted(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    uint32_t a[2] = {SFX_TEMP, 0};
    const struct avps_scmi_reading r = {1, 0};
    struct rd_done d;
    int n = 0;

    f->p.defer = true;
    for (int i = 0; i < 6; i++)
        vf_send(f, SN, 6, (uint32_t)i, a, 2, 136);
    avps_dev_queue_notify(f->dev, 0);
    while (rd_get_used(&f->cq, &d) == 1)
        n++;
    /* 4 pending slots in the platform: 4 held, 2 answered at once */
    assert_int_equal(n, 2);
    for (uint32_t h = 0; h < SFX_PENDING; h++)
        assert_int_equal(avps_scmi_complete_sensor(&f->p.s, h, AVPS_OK, &r, 1), AVPS_OK);
    while (rd_get_used(&f->cq, &d) == 1)
        n++;
    assert_int_equal(n, 6);
    vf_free(f);
}
static void test_5_17_6_1_1_all_commands_complete_split(void **s) { (void)s; held_exhausted(false); }
static void test_5_17_6_1_1_all_commands_complete_packed(void **s) { (void)s; held_exhausted(true); }

/* §5.17.6.1.1: without P2A, notify and delayed-response requests are denied
 * with NOT_SUPPORTED and not advertised by PROTOCOL_MESSAGE_ATTRIBUTES. */
static void no_p2a(bool packed)
{
    struct vfix *f = vf_new(packed, false, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_ACCEL, 1};

    assert_false(avps_dev_features(f->dev) & P2A);
    assert_int_equal(vf_cmd(f, SN, 0xb, a, 2, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(vf_cmd(f, SN, 4, a, 2, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_SUPPORTED);
    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8); /* async read */
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_SUPPORTED);
    a[0] = 0xb;
    assert_int_equal(vf_cmd(f, SN, 2, a, 1, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_FOUND);
    a[0] = 8;
    assert_int_equal(vf_cmd(f, B, 2, a, 1, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_FOUND);
    a[0] = 6; /* READING_GET itself is there */
    assert_int_equal(vf_cmd(f, SN, 2, a, 1, &r), 12);
    /* descriptions advertise neither async reads nor update notifications */
    a[0] = 0;
    assert_int_equal(vf_cmd(f, SN, 3, a, 1, &r), 12 + 4 * 28);
    assert_int_equal(sfx_le32(r + 16) & 0xc0000000u, 0);
    assert_int_equal(vf_cmd(f, SN, 1, NULL, 0, &r), 24);
    assert_int_equal((sfx_le32(r + 8) >> 16) & 0xff, 0); /* max pending */
    /* a platform event reaches nobody */
    {
        const struct avps_scmi_reading rd[3] = {{1, 0}, {2, 0}, {3, 0}};

        assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_ACCEL, rd, 3), 0);
    }
    vf_free(f);
}
static void test_5_17_6_1_1_no_p2a_split(void **s) { (void)s; no_p2a(false); }
static void test_5_17_6_1_1_no_p2a_packed(void **s) { (void)s; no_p2a(true); }

/* §5.17.6.1.1: a notification request while the eventq has no buffers
 * still succeeds; the notification waits in the backlog for a buffer. */
static void notify_without_buffers(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_ACCEL, 1};
    const struct avps_scmi_reading rd[3] = {{-1, 9}, {-2, 9}, {-3, 9}};
    struct rd_done d;
    int ev;

    assert_int_equal(vf_cmd(f, SN, 0xb, a, 2, &r), 8);
    assert_int_equal(sfx_le32(r + 4), 0);
    assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_ACCEL, rd, 3), 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 0);
    ev = vf_post_event(f, 136);
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.id, ev);
    assert_int_equal(d.len, 60);
    assert_int_equal(sfx_le32(vf_event(f, d.id)), AVPS_SCMI_HDR(1, 3, SN, 0));
    assert_int_equal(sfx_le32(vf_event(f, d.id) + 8), SFX_ACCEL);
    assert_int_equal((int32_t)sfx_le32(vf_event(f, d.id) + 12), -1);
    assert_int_equal(avps_virtio_scmi_events(&f->vs), 1);
    assert_true(f->ft.queue_notes[1] >= 1);
    /* with a buffer posted, the kick delivers at once */
    vf_post_event(f, 136);
    assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_ACCEL, rd, 3), 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    vf_free(f);
}
static void test_5_17_6_1_1_notify_without_eventq_buffers_split(void **s) { (void)s; notify_without_buffers(false); }
static void test_5_17_6_1_1_notify_without_eventq_buffers_packed(void **s) { (void)s; notify_without_buffers(true); }

/* §5.17.6.3.1: a delayed response is never dropped: it waits for a buffer;
 * a failed one is header + status only. The cmdq reply comes first. */
static void delayed_waits(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_ACCEL, 1};
    struct rd_done d;

    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8);
    assert_int_equal(sfx_le32(r + 4), 0);
    assert_int_equal(rd_get_used(&f->eq, &d), 0);
    /* many notifications meanwhile cannot push it out */
    a[1] = 1;
    assert_int_equal(vf_cmd(f, SN, 0xb, a, 2, &r), 8);
    for (int i = 0; i < 10; i++) {
        const struct avps_scmi_reading rd[3] = {{i, 0}, {i, 0}, {i, 0}};

        avps_scmi_sensor_update(&f->p.s, SFX_ACCEL, rd, 3);
    }
    vf_post_event(f, 136);
    vf_post_event(f, 136);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.len, 4 + 4 + 4 + 48);
    assert_int_equal(sfx_le32(vf_event(f, d.id)), AVPS_SCMI_HDR(6, 2, SN, 0x2a));
    assert_int_equal(sfx_le32(vf_event(f, d.id) + 8), SFX_ACCEL);
    assert_int_equal(rd_get_used(&f->eq, &d), 1); /* the coalesced update */
    assert_int_equal(d.len, 60);
    assert_int_equal(sfx_le32(vf_event(f, d.id) + 12), 9);
    /* a failed delayed response: 8 bytes */
    f->p.defer = true;
    a[1] = 1;
    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8);
    assert_int_equal(sfx_le32(r + 4), 0);
    vf_post_event(f, 136);
    assert_int_equal(avps_scmi_complete_sensor(&f->p.s, f->p.last_handle, AVPS_E_IO, NULL, 0), AVPS_OK);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.len, 8);
    assert_int_equal((int32_t)sfx_le32(vf_event(f, d.id) + 4), AVPS_SCMI_HARDWARE_ERROR);
    vf_free(f);
}
static void test_5_17_6_3_1_delayed_response_waits_split(void **s) { (void)s; delayed_waits(false); }
static void test_5_17_6_3_1_delayed_response_waits_packed(void **s) { (void)s; delayed_waits(true); }

/* §5.17.6.3.1: notifications beyond the bounded backlog are dropped and
 * counted; too-small buffers omit them; order is kept. */
static void backlog_drops(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_TEMP, 1};
    struct rd_done d;
    const uint32_t w[1] = {5};

    assert_int_equal(vf_cmd(f, AVPS_SCMI_PROTO_BASE, 8, &a[1], 1, &r), 8); /* error events */
    for (uint32_t i = 0; i < SFX_BACKLOG + 3; i++)
        avps_scmi_notify(&f->p.s, SFX_VMA, B, 0, i, w, 1);
    assert_int_equal(avps_scmi_dropped(&f->p.s), 3);
    vf_post_event(f, 8); /* too small for a 16-byte notification */
    for (uint32_t i = 0; i < SFX_BACKLOG; i++)
        vf_post_event(f, 136);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.len, 0); /* the first one did not fit: omitted */
    for (uint32_t i = 1; i < SFX_BACKLOG; i++) {
        assert_int_equal(rd_get_used(&f->eq, &d), 1);
        assert_int_equal(d.len, 16);
        assert_int_equal(sfx_le32(vf_event(f, d.id) + 8), i); /* in order */
    }
    assert_int_equal(rd_get_used(&f->eq, &d), 0);
    assert_int_equal(avps_scmi_dropped(&f->p.s), 4);
    vf_free(f);
}
static void test_5_17_6_3_1_backlog_bounded_split(void **s) { (void)s; backlog_drops(false); }
static void test_5_17_6_3_1_backlog_bounded_packed(void **s) { (void)s; backlog_drops(true); }

/* §5.17.6.2.1 (driver): no device-readable buffer in the eventq; one that is
 * comes back unused and the message goes into the next buffer. */
static void readable_eventq(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_ACCEL, 1};
    struct rd_buf b[2];
    struct rd_done d;

    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8);
    b[0].gpa = rd_alloc(&f->eq, 16);
    b[0].len = 16;
    b[0].write = false;
    b[1].gpa = rd_alloc(&f->eq, 136);
    b[1].len = 136;
    b[1].write = true;
    assert_true(rd_add(&f->eq, b, 2, 0) >= 0);
    vf_post_event(f, 136);
    avps_dev_queue_notify(f->dev, 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.len, 0);
    assert_int_equal(rd_get_used(&f->eq, &d), 1);
    assert_int_equal(d.len, 60);
    assert_int_equal(avps_virtio_scmi_refused(&f->vs), 1);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 1);
    vf_free(f);
}
static void test_5_17_6_2_1_readable_eventq_buffer_split(void **s) { (void)s; readable_eventq(false); }
static void test_5_17_6_2_1_readable_eventq_buffer_packed(void **s) { (void)s; readable_eventq(true); }

/* §5.17.6.1.2 (driver): enough writable memory for the return values. Less
 * than header + status: the buffer comes back unused; room for the status
 * but not the values: COMMS_ERROR. No header at all: unused. */
static void small_reply(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    struct rd_done d;
    int id;

    id = vf_send(f, B, 0, 1, NULL, 0, 4);
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, 0);
    id = vf_send(f, B, 0, 1, NULL, 0, 10);
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.len, 8);
    assert_int_equal((int32_t)sfx_le32(vf_reply(f, d.id) + 4), AVPS_SCMI_COMMS_ERROR);
    assert_true(rd_add_simple(&f->cq, 2, 16, 0) >= 0); /* 2-byte "header" */
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.len, 0);
    assert_true(rd_add_simple(&f->cq, 0, 16, 0) >= 0); /* no readable part */
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.len, 0);
    assert_int_equal(avps_virtio_scmi_refused(&f->vs), 3);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_REQUEST], 3);
    vf_free(f);
}
static void test_5_17_6_1_2_reply_room_split(void **s) { (void)s; small_reply(false); }
static void test_5_17_6_1_2_reply_room_packed(void **s) { (void)s; small_reply(true); }

/* §2.7.4.1: any descriptor layout: header split over readable pieces, the
 * reply over writable ones; too many pieces: refused. */
static void any_layout(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    uint8_t req[8];
    struct rd_buf b[12];
    struct rd_done d;
    uint32_t arg = 0;
    uint8_t out[28];

    sfx_build(req, B, 6, 3, &arg, 1);
    for (int i = 0; i < 4; i++) {
        b[i].gpa = rd_alloc(&f->cq, 2);
        b[i].len = 2;
        b[i].write = false;
        memcpy(avps_posix_ptr(&f->g, b[i].gpa, 2), &req[2 * i], 2);
    }
    b[4].gpa = rd_alloc(&f->cq, 10);
    b[4].len = 10;
    b[4].write = true;
    b[5].gpa = rd_alloc(&f->cq, 30);
    b[5].len = 30;
    b[5].write = true;
    assert_true(rd_add(&f->cq, b, 6, 0) >= 0);
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.len, 8 + 4 + 12);
    memcpy(out, avps_posix_ptr(&f->g, b[4].gpa, 10), 10);
    memcpy(out + 10, avps_posix_ptr(&f->g, b[5].gpa, 18), 18);
    assert_int_equal(sfx_le32(out), AVPS_SCMI_HDR(6, 0, B, 3));
    assert_int_equal(sfx_le32(out + 8), 9);
    assert_int_equal(sfx_le32(out + 12), 0x14131211u);
    /* more pieces than AVPS_VIRTIO_SCMI_SEGS: returned unused */
    for (int i = 0; i < 10; i++) {
        b[i].gpa = rd_alloc(&f->cq, 4);
        b[i].len = 4;
        b[i].write = i >= 1;
    }
    assert_true(rd_add(&f->cq, b, 10, 0) >= 0);
    avps_dev_queue_notify(f->dev, 0);
    assert_int_equal(rd_get_used(&f->cq, &d), 1);
    assert_int_equal(d.len, 0);
    assert_int_equal(avps_virtio_scmi_refused(&f->vs), 1);
    vf_free(f);
}
static void test_virtio_scmi_any_layout_split(void **s) { (void)s; any_layout(false); }
static void test_virtio_scmi_any_layout_packed(void **s) { (void)s; any_layout(true); }

/* A device reset resets its agent only: subscriptions and queued messages go,
 * another agent of the same platform keeps its own. */
static void test_virtio_scmi_reset_is_per_agent(void **s)
{
    struct vfix *f = vf_new(false, true, SFX_VMA);
    const uint8_t *r;
    uint32_t a[2] = {SFX_TEMP, 1};
    const struct avps_scmi_reading rd = {3, 0};
    uint8_t buf[64];

    (void)s;
    assert_int_equal(vf_cmd(f, SN, 0xb, a, 2, &r), 8);
    assert_int_equal(sfx_call(&f->p, SFX_HOST, SN, 0xb, a, 2), 8);
    assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_TEMP, &rd, 1), 2);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_false(avps_scmi_p2a_pending(&f->p.s, SFX_VMA));
    assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_TEMP, &rd, 1), 1);
    /* the host's two updates were merged: one message, the latest data */
    assert_int_equal(avps_scmi_p2a_pop(&f->p.s, SFX_HOST, buf, sizeof buf), 28);
    assert_int_equal(avps_scmi_p2a_pop(&f->p.s, SFX_HOST, buf, sizeof buf), 0);
    /* the kick of a device that is not live does nothing */
    assert_int_equal(avps_virtio_scmi_kick(&f->vs), AVPS_E_STATE);
    vf_free(f);
}

/* Two VMs, two devices, one platform: each sees only what it was granted. */
static void two_devices(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMB);
    const uint8_t *r;
    uint32_t a[2] = {SFX_ACCEL, 0};

    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_DENIED);
    a[0] = SFX_TEMP;
    assert_int_equal(vf_cmd(f, SN, 6, a, 2, &r), 24);
    assert_int_equal(vf_cmd(f, AVPS_SCMI_PROTO_CLOCK, 0, NULL, 0, &r), 8);
    assert_int_equal((int32_t)sfx_le32(r + 4), AVPS_SCMI_NOT_SUPPORTED);
    /* vm-a, on the same platform, reads the accelerometer */
    a[0] = SFX_ACCEL;
    assert_int_equal(sfx_call(&f->p, SFX_VMA, SN, 6, a, 2), 56);
    vf_free(f);
}
static void test_virtio_scmi_two_agent_permissions_split(void **s) { (void)s; two_devices(false); }
static void test_virtio_scmi_two_agent_permissions_packed(void **s) { (void)s; two_devices(true); }

/* A cmdq reset drops the held (deferred) commands: their late replies go
 * nowhere; the eventq is only served when it is live. */
static void queue_reset_drops_held(bool packed)
{
    struct vfix *f = vf_new(packed, true, SFX_VMA);
    uint32_t a[2] = {SFX_TEMP, 0};
    const struct avps_scmi_reading r = {1, 0};
    struct rd_done d;
    const uint8_t *rp;
    uint32_t h;

    a[1] = 1;
    assert_int_equal(vf_cmd(f, SN, 0xb, a, 2, &rp), 8);
    a[1] = 0;
    vf_post_event(f, 136);
    f->p.defer = true;
    vf_send(f, SN, 6, 1, a, 2, 136);
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    h = f->p.last_handle;
    assert_int_equal(avps_dev_queue_reset(f->dev, 0), AVPS_OK);
    assert_int_equal(avps_scmi_complete_sensor(&f->p.s, h, AVPS_OK, &r, 1), AVPS_OK);
    assert_int_equal(rd_get_used(&f->cq, &d), 0);
    assert_int_equal(avps_virtio_scmi_commands(&f->vs), 1); /* the subscription only */
    {
        uint64_t cookie;
        uint8_t buf[64];

        /* the platform's slot was freed: nothing left to deliver */
        assert_int_equal(avps_scmi_deferred_pop(&f->p.s, SFX_VMA, &cookie, buf, sizeof buf), 0);
    }
    /* an eventq reset: messages wait in the backlog, the old ring is not used */
    assert_int_equal(avps_dev_queue_reset(f->dev, 1), AVPS_OK);
    assert_int_equal(avps_scmi_sensor_update(&f->p.s, SFX_TEMP, &r, 1), 1);
    assert_int_equal(rd_get_used(&f->eq, &d), 0);
    assert_true(avps_scmi_p2a_pending(&f->p.s, SFX_VMA));
    vf_free(f);
}
static void test_virtio_scmi_queue_reset_split(void **s) { (void)s; queue_reset_drops_held(false); }
static void test_virtio_scmi_queue_reset_packed(void **s) { (void)s; queue_reset_drops_held(true); }

static void test_virtio_scmi_init_rejects(void **s)
{
    struct vfix *f = vf_new(false, true, SFX_VMA);
    struct avps_virtio_scmi vs;
    struct avps_virtio_scmi_cfg cfg;

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, NULL), AVPS_E_INVAL);
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.scmi = &f->p.s;
    cfg.held = f->held;
    cfg.num_held = 1;
    cfg.slots = f->slots;
    cfg.num_slots = 2 * QSIZE;
    cfg.queue_size_max = QSIZE;
    cfg.agent = 0;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.agent = SFX_AGENTS + 1;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.agent = SFX_VMB;
    cfg.num_slots = 2 * QSIZE - 1;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_slots = 2 * QSIZE;
    cfg.queue_size_max = 0;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    /* one missing array at a time (virtio_scmi.h: "NULL argument") */
    cfg.queue_size_max = QSIZE;
    cfg.held = NULL;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.held = f->held;
    cfg.num_held = 0;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_held = 1;
    cfg.slots = NULL;
    assert_int_equal(avps_virtio_scmi_init(&vs, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.slots = f->slots;
    assert_int_equal(avps_virtio_scmi_init(NULL, &f->g.host, &cfg), AVPS_E_INVAL);
    vf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_17_3_1_offers_p2a),
        cmocka_unit_test(test_5_17_6_4_1_shared_memory_not_offered),
        cmocka_unit_test(test_5_17_6_1_cmdq_versions_split),
        cmocka_unit_test(test_5_17_6_1_cmdq_versions_packed),
        cmocka_unit_test(test_5_17_6_1_1_failure_is_status_only_split),
        cmocka_unit_test(test_5_17_6_1_1_failure_is_status_only_packed),
        cmocka_unit_test(test_5_17_6_1_1_out_of_order_split),
        cmocka_unit_test(test_5_17_6_1_1_out_of_order_packed),
        cmocka_unit_test(test_5_17_6_1_1_all_commands_complete_split),
        cmocka_unit_test(test_5_17_6_1_1_all_commands_complete_packed),
        cmocka_unit_test(test_5_17_6_1_1_no_p2a_split),
        cmocka_unit_test(test_5_17_6_1_1_no_p2a_packed),
        cmocka_unit_test(test_5_17_6_1_1_notify_without_eventq_buffers_split),
        cmocka_unit_test(test_5_17_6_1_1_notify_without_eventq_buffers_packed),
        cmocka_unit_test(test_5_17_6_3_1_delayed_response_waits_split),
        cmocka_unit_test(test_5_17_6_3_1_delayed_response_waits_packed),
        cmocka_unit_test(test_5_17_6_3_1_backlog_bounded_split),
        cmocka_unit_test(test_5_17_6_3_1_backlog_bounded_packed),
        cmocka_unit_test(test_5_17_6_2_1_readable_eventq_buffer_split),
        cmocka_unit_test(test_5_17_6_2_1_readable_eventq_buffer_packed),
        cmocka_unit_test(test_5_17_6_1_2_reply_room_split),
        cmocka_unit_test(test_5_17_6_1_2_reply_room_packed),
        cmocka_unit_test(test_virtio_scmi_any_layout_split),
        cmocka_unit_test(test_virtio_scmi_any_layout_packed),
        cmocka_unit_test(test_virtio_scmi_reset_is_per_agent),
        cmocka_unit_test(test_virtio_scmi_two_agent_permissions_split),
        cmocka_unit_test(test_virtio_scmi_two_agent_permissions_packed),
        cmocka_unit_test(test_virtio_scmi_queue_reset_split),
        cmocka_unit_test(test_virtio_scmi_queue_reset_packed),
        cmocka_unit_test(test_virtio_scmi_init_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

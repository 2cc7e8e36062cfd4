/*
 * test_net: virtio-net (VIRTIO 1.2 §5.1) through the device core and a fake
 * transport, with the spec-written ring driver (ringdrv) playing the guest
 * driver on split and packed rings. Every header and control-queue validation
 * rule has a mangle test: a valid request with one field changed, and the
 * exact outcome (used length, ack byte, counters, reports).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <avps/net.h>

#include "vqfix.h"

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRV AVPS_VIRTIO_S_DRIVER
#define S_FOK AVPS_VIRTIO_S_FEATURES_OK
#define S_DOK AVPS_VIRTIO_S_DRIVER_OK

#define NF(n) (1ULL << AVPS_VIRTIO_NET_F_##n)
#define HDR AVPS_NET_HDR_LEN
#define NQMAX 5
#define QSIZE 128
#define MEM (32ull << 20)
#define OK_ AVPS_VIRTIO_NET_OK
#define ERR_ AVPS_VIRTIO_NET_ERR
#define EV_REQ AVPS_EV_DEV_REQUEST

static const uint8_t dev_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fake_transport {
    int queue_notes;
    int config_notes;
};

static int ft_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    struct fake_transport *ft = t;

    (void)dev;
    (void)q;
    ft->queue_notes++;
    return 0;
}

static int ft_config(void *t, struct avps_dev *dev)
{
    struct fake_transport *ft = t;

    (void)dev;
    ft->config_notes++;
    return 0;
}

static const struct avps_transport_ops ft_ops = {ft_queue, ft_config};

struct netfix {
    struct avps_posix_guest g;
    struct rd_queue q[NQMAX];
    unsigned int nq;
    struct avps_net net;
    struct avps_net_pair pairs[2];
    struct avps_dev_queue queues[NQMAX];
    struct avps_vq_slot slots[NQMAX * QSIZE];
    struct avps_net_backend be;
    struct fake_transport ft;
    struct avps_dev *dev;
    bool packed;
    /* backend recorder */
    int tx_calls;
    int tx_ret;
    int tx_again_at; /* answer AVPS_E_AGAIN to this call (1-based), once */
    uint16_t tx_pair;
    struct avps_net_offload tx_off;
    uint16_t tx_nseg;
    uint32_t tx_len;
    uint8_t tx_bytes[AVPS_NET_FRAME_MAX];
    int rx_ready_calls;
    uint16_t rx_ready_pair;
    /* receive buffers by id, per queue */
    uint64_t rx_gpa[NQMAX][QSIZE];
};

static int be_tx(void *ctx, uint16_t pair, const struct avps_net_tx_frame *fr)
{
    struct netfix *f = ctx;
    uint32_t off = 0;

    f->tx_calls++;
    if (f->tx_again_at == f->tx_calls)
        return AVPS_E_AGAIN;
    if (f->tx_ret != 0)
        return f->tx_ret;
    f->tx_pair = pair;
    f->tx_off = fr->off;
    f->tx_nseg = fr->nseg;
    for (uint16_t i = 0; i < fr->nseg; i++) {
        memcpy(f->tx_bytes + off, fr->seg[i].base, fr->seg[i].len);
        off += fr->seg[i].len;
    }
    f->tx_len = off;
    return AVPS_OK;
}

static void be_rx_ready(void *ctx, uint16_t pair)
{
    struct netfix *f = ctx;

    f->rx_ready_calls++;
    f->rx_ready_pair = pair;
}

/* Device with the given config tweaks; the driver is not started yet. */
static struct netfix *nf_make(bool packed, uint64_t features, uint16_t pairs, uint16_t mtu,
                              bool ctrl_external)
{
    struct netfix *f = calloc(1, sizeof *f);
    struct avps_net_cfg cfg;

    assert_non_null(f);
    f->packed = packed;
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region(&f->g, 0, MEM), 0);
    f->be.tx = be_tx;
    f->be.rx_ready = be_rx_ready;
    f->be.ctx = f;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = 11;
    cfg.backend = &f->be;
    cfg.features = features;
    memcpy(cfg.mac, dev_mac, 6);
    cfg.mac_valid = true;
    cfg.link_up = true;
    cfg.ctrl_external = ctrl_external;
    cfg.mtu = mtu;
    cfg.num_pairs = pairs;
    cfg.pairs = f->pairs;
    cfg.queues = f->queues;
    cfg.slots = f->slots;
    cfg.num_slots = NQMAX * QSIZE;
    cfg.queue_size_max = QSIZE;
    cfg.speed = 10000;
    cfg.duplex = 1;
    assert_int_equal(avps_net_init(&f->net, &f->g.host, &cfg), AVPS_OK);
    f->dev = avps_net_dev(&f->net);
    assert_int_equal(avps_dev_bind(f->dev, &ft_ops, &f->ft, 0), AVPS_OK);
    f->nq = avps_dev_num_queues(f->dev);
    return f;
}

static void nf_free(struct netfix *f)
{
    for (unsigned int i = 0; i < f->nq; i++)
        rd_fini(&f->q[i]);
    avps_posix_fini(&f->g);
    free(f);
}

/* The driver side of §3.1.1 and §5.1.5: negotiate want (masked by what is
 * offered), set up every queue, DRIVER_OK. */
static void nf_start(struct netfix *f, uint64_t want)
{
    struct avps_dev *d = f->dev;
    uint64_t feat = (avps_dev_offered_features(d) & want & ~F_BIT(RING_PACKED)) |
                    F_BIT(VERSION_1) | (f->packed ? F_BIT(RING_PACKED) : 0);

    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 0, (uint32_t)feat), AVPS_OK);
    assert_int_equal(avps_dev_set_driver_word(d, 1, (uint32_t)(feat >> 32)), AVPS_OK);
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK), AVPS_OK);
    assert_int_equal(avps_dev_features(d), feat);
    for (unsigned int i = 0; i < f->nq; i++) {
        assert_int_equal(rd_init(&f->q[i], &f->g, f->packed, QSIZE, feat, 0x1000 + 0x20000ull * i,
                                 (8ull << 20) + (4ull << 20) * i, 4ull << 20), 0);
        assert_int_equal(avps_dev_queue_set_size(d, (uint16_t)i, QSIZE), AVPS_OK);
        avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DESC, f->q[i].desc);
        avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DRIVER, f->q[i].driver);
        avps_dev_queue_set_addr(d, (uint16_t)i, AVPS_DEV_AREA_DEVICE, f->q[i].device);
        assert_int_equal(avps_dev_queue_enable(d, (uint16_t)i), AVPS_OK);
    }
    assert_int_equal(avps_dev_set_status(d, S_ACK | S_DRV | S_FOK | S_DOK), AVPS_OK);
}

static struct netfix *nf_new(bool packed, uint64_t features, uint64_t want)
{
    struct netfix *f = nf_make(packed, features, 1, 0, false);

    nf_start(f, want);
    return f;
}

static void *gptr(struct netfix *f, uint64_t gpa, uint32_t len)
{
    void *p = avps_posix_ptr(&f->g, gpa, len);

    assert_non_null(p);
    return p;
}

/* ---- transmit helpers ------------------------------------------------------- */

static struct avps_virtio_net_hdr hdr_plain(void)
{
    struct avps_virtio_net_hdr h;

    memset(&h, 0, sizeof h);
    return h;
}

/* Put header + frame on transmit queue of pair p as one readable buffer, or
 * (split_hdr) with the header split over two descriptors; no notification.
 * Returns the buffer id. */
static int nf_tx_add(struct netfix *f, uint16_t p, const struct avps_virtio_net_hdr *h,
                     uint32_t hlen, uint32_t flen, bool split_hdr, bool extra_wr)
{
    struct rd_queue *q = &f->q[2 * p + 1];
    struct rd_buf b[3];
    unsigned int n = 0;
    uint8_t *pkt;
    uint64_t gpa = rd_alloc(q, hlen + flen + 1);
    int id;

    assert_true(gpa != 0);
    pkt = gptr(f, gpa, hlen + flen);
    memcpy(pkt, h, hlen < HDR ? hlen : HDR);
    for (uint32_t i = 0; i < flen; i++)
        pkt[hlen + i] = (uint8_t)(i * 7 + 1);
    if (split_hdr) {
        b[n++] = (struct rd_buf){gpa, 5, false};
        b[n++] = (struct rd_buf){gpa + 5, hlen + flen - 5, false};
    } else {
        b[n++] = (struct rd_buf){gpa, hlen + flen, false};
    }
    if (extra_wr)
        b[n++] = (struct rd_buf){rd_alloc(q, 64), 64, true};
    id = rd_add(q, b, n, 0);
    assert_true(id >= 0);
    return id;
}

/* nf_tx_add(), then notify the transmit queue. */
static int nf_tx_raw(struct netfix *f, uint16_t p, const struct avps_virtio_net_hdr *h,
                     uint32_t hlen, uint32_t flen, bool split_hdr, bool extra_wr)
{
    int id = nf_tx_add(f, p, h, hlen, flen, split_hdr, extra_wr);

    (void)avps_dev_queue_notify(f->dev, (uint16_t)(2 * p + 1));
    return id;
}

static int nf_tx(struct netfix *f, const struct avps_virtio_net_hdr *h, uint32_t flen)
{
    return nf_tx_raw(f, 0, h, HDR, flen, false, false);
}

/* One completion on queue qi: its id and length. */
static void expect_used(struct netfix *f, unsigned int qi, int id, uint32_t len)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->q[qi], &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, len);
}

static void expect_no_used(struct netfix *f, unsigned int qi)
{
    struct rd_done d;

    assert_int_equal(rd_get_used(&f->q[qi], &d), 0);
}

/* A valid packet that reaches the backend, then the same with one field
 * mangled that must be refused: used length 0, tx_malformed, one report with
 * the detail. */
static void expect_tx_refused(struct netfix *f, const struct avps_virtio_net_hdr *h,
                              uint32_t flen, uint64_t detail)
{
    const uint64_t before = f->net.stats.tx_malformed;
    const uint64_t reports = f->g.reports[EV_REQ];
    const int calls = f->tx_calls;
    int id = nf_tx(f, h, flen);

    expect_used(f, 1, id, 0);
    assert_int_equal(f->tx_calls, calls);
    assert_int_equal(f->net.stats.tx_malformed, before + 1);
    assert_int_equal(f->g.reports[EV_REQ], reports + 1);
    assert_int_equal(f->g.last_report_b, detail);
    assert_int_equal(f->g.last_report_a, (1u << 16) | (unsigned int)id);
}

static void expect_tx_ok(struct netfix *f, const struct avps_virtio_net_hdr *h, uint32_t flen)
{
    const int calls = f->tx_calls;
    int id = nf_tx(f, h, flen);

    expect_used(f, 1, id, 0);
    assert_int_equal(f->tx_calls, calls + 1);
    assert_int_equal(f->tx_len, flen);
}

/* ---- receive helpers ------------------------------------------------------------ */

static int nf_post(struct netfix *f, uint16_t p, uint32_t len)
{
    struct rd_queue *q = &f->q[2 * p];
    struct rd_buf b = {rd_alloc(q, len), len, true};
    int id;

    assert_true(b.gpa != 0);
    memset(gptr(f, b.gpa, len), 0xee, len);
    id = rd_add(q, &b, 1, 0);
    assert_true(id >= 0);
    f->rx_gpa[2 * p][id] = b.gpa;
    return id;
}

static void frame_make(uint8_t *fr, uint32_t len, const uint8_t *dst)
{
    for (uint32_t i = 0; i < len; i++)
        fr[i] = (uint8_t)(i * 3 + 5);
    if (len >= 14) {
        memcpy(fr, dst, 6);
        memcpy(fr + 6, "\x02\x00\x00\x00\x00\x01", 6);
        fr[12] = 0x08;
        fr[13] = 0x00;
    }
}

static const struct avps_virtio_net_hdr *rx_hdr(struct netfix *f, unsigned int qi, int id)
{
    return gptr(f, f->rx_gpa[qi][id], HDR);
}

/* ---- tests: transmit (§5.1.6.2) ------------------------------------------------------ */

static void tx_plain(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    struct avps_virtio_net_hdr h = hdr_plain();
    int id;

    h.num_buffers = avps_to_le16(0);
    id = nf_tx_raw(f, 0, &h, HDR, 100, true, false); /* header split over descriptors */
    expect_used(f, 1, id, 0);
    assert_int_equal(f->tx_calls, 1);
    assert_int_equal(f->tx_len, 100);
    assert_int_equal(f->tx_pair, 0);
    assert_int_equal(f->tx_off.flags, 0);
    assert_int_equal(f->tx_off.gso_type, AVPS_VIRTIO_NET_HDR_GSO_NONE);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(f->tx_bytes[i], (uint8_t)(i * 7 + 1));
    assert_int_equal(f->net.stats.tx_packets, 1);
    assert_int_equal(f->net.stats.tx_bytes, 100);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    nf_free(f);
}
static void test_5_1_6_2_tx_frame_to_backend_split(void **s) { (void)s; tx_plain(false); }
static void test_5_1_6_2_tx_frame_to_backend_packed(void **s) { (void)s; tx_plain(true); }

/* §5.1.6.2.2: unknown flag bits are ignored; receive-only flags are not passed on. */
static void test_5_1_6_2_2_unknown_flags_ignored(void **s)
{
    struct netfix *f = nf_new(false, NF(CSUM), NF(CSUM));
    struct avps_virtio_net_hdr h = hdr_plain();

    (void)s;
    h.flags = 0x80 | 0x40 | 0x10 | AVPS_VIRTIO_NET_HDR_F_DATA_VALID | AVPS_VIRTIO_NET_HDR_F_RSC_INFO;
    expect_tx_ok(f, &h, 60);
    assert_int_equal(f->tx_off.flags, 0);
    nf_free(f);
}

/* §5.1.6.2.2: without NEEDS_CSUM, csum_start and csum_offset are not used. */
static void test_5_1_6_2_2_csum_fields_unused_without_needs_csum(void **s)
{
    struct netfix *f = nf_new(false, NF(CSUM), NF(CSUM));
    struct avps_virtio_net_hdr h = hdr_plain();

    (void)s;
    h.csum_start = avps_to_le16(60000); /* far outside the frame: not looked at */
    h.csum_offset = avps_to_le16(60000);
    expect_tx_ok(f, &h, 60);
    assert_int_equal(f->tx_off.csum_start, 0);
    assert_int_equal(f->tx_off.csum_offset, 0);
    nf_free(f);
}

/* Checksum and segmentation offload are presented to the backend parsed. */
static void tx_offloads(bool packed)
{
    const uint64_t feat = NF(CSUM) | NF(HOST_TSO4) | NF(HOST_TSO6) | NF(HOST_ECN) |
                          NF(HOST_UFO) | NF(HOST_USO);
    struct netfix *f = nf_new(packed, feat, feat);
    struct avps_virtio_net_hdr h = hdr_plain();
    static const uint8_t gsos[] = {AVPS_VIRTIO_NET_HDR_GSO_TCPV4, AVPS_VIRTIO_NET_HDR_GSO_TCPV6,
                                   AVPS_VIRTIO_NET_HDR_GSO_UDP, AVPS_VIRTIO_NET_HDR_GSO_UDP_L4,
                                   AVPS_VIRTIO_NET_HDR_GSO_TCPV4 | AVPS_VIRTIO_NET_HDR_GSO_ECN};

    h.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = avps_to_le16(34);
    h.csum_offset = avps_to_le16(16);
    h.hdr_len = avps_to_le16(54);
    h.gso_size = avps_to_le16(1448);
    for (size_t i = 0; i < sizeof gsos; i++) {
        h.gso_type = gsos[i];
        expect_tx_ok(f, &h, 3000);
        assert_int_equal(f->tx_off.flags, AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM);
        assert_int_equal(f->tx_off.gso_type, gsos[i]);
        assert_int_equal(f->tx_off.csum_start, 34);
        assert_int_equal(f->tx_off.csum_offset, 16);
        assert_int_equal(f->tx_off.hdr_len, 54);
        assert_int_equal(f->tx_off.gso_size, 1448);
    }
    /* the checksum field may end exactly at the end of the frame */
    h.gso_type = 0;
    h.csum_start = avps_to_le16(40);
    h.csum_offset = avps_to_le16(18);
    expect_tx_ok(f, &h, 60);
    assert_int_equal(f->tx_off.gso_size, 0);
    nf_free(f);
}
static void test_5_1_6_2_tx_offloads_parsed_split(void **s) { (void)s; tx_offloads(false); }
static void test_5_1_6_2_tx_offloads_parsed_packed(void **s) { (void)s; tx_offloads(true); }

/* §5.1.6.2.1 driver rules, mangled one at a time: each refused packet is
 * completed with length 0, never reaches the backend, and is reported. */
static void tx_mangles(bool packed)
{
    const uint64_t feat = NF(CSUM) | NF(HOST_TSO4);
    struct netfix *f = nf_new(packed, feat, feat);
    struct avps_virtio_net_hdr ok = hdr_plain(), h;

    ok.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    ok.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4;
    ok.csum_start = avps_to_le16(34);
    ok.csum_offset = avps_to_le16(16);
    ok.gso_size = avps_to_le16(1000);
    expect_tx_ok(f, &ok, 200);

    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV6;   /* HOST_TSO6 not negotiated */
    expect_tx_refused(f, &h, 200, 4);
    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP;     /* HOST_UFO */
    expect_tx_refused(f, &h, 200, 4);
    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP_L4;  /* HOST_USO */
    expect_tx_refused(f, &h, 200, 4);
    h = ok; h.gso_type = 2;                               /* no such type */
    expect_tx_refused(f, &h, 200, 4);
    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4 | AVPS_VIRTIO_NET_HDR_GSO_ECN; /* HOST_ECN */
    expect_tx_refused(f, &h, 200, 5);
    h = ok; h.flags = 0;                                  /* segmentation without NEEDS_CSUM */
    expect_tx_refused(f, &h, 200, 6);
    h = ok; h.gso_size = avps_to_le16(0);                 /* no MSS */
    expect_tx_refused(f, &h, 200, 6);
    h = ok; h.csum_start = avps_to_le16(183);             /* 183 + 16 + 2 > 200 */
    expect_tx_refused(f, &h, 200, 7);
    h = ok; h.csum_offset = avps_to_le16(0xffff);
    expect_tx_refused(f, &h, 200, 7);
    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4 | AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4;
    expect_tx_refused(f, &h, 200, 8);
    h = ok; h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4 | AVPS_VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6;
    expect_tx_refused(f, &h, 200, 8);
    h = ok; h.flags |= AVPS_VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM; /* §5.1.6.2.2: MUST NOT accept */
    expect_tx_refused(f, &h, 200, 8);
    expect_tx_refused(f, &ok, 0, 2);                      /* a header without a frame */
    assert_int_equal(f->net.stats.tx_malformed, 13);
    assert_int_equal(avps_dev_guest_errors(f->dev), 13);
    assert_false(avps_dev_needs_reset(f->dev));
    expect_tx_ok(f, &ok, 200); /* the queue goes on */
    nf_free(f);
}
static void test_5_1_6_2_1_mangle_header_split(void **s) { (void)s; tx_mangles(false); }
static void test_5_1_6_2_1_mangle_header_packed(void **s) { (void)s; tx_mangles(true); }

/* §5.1.6.2.1: without VIRTIO_NET_F_CSUM the flags must be zero; without any
 * HOST_* segmentation feature gso_type must be NONE. */
static void test_5_1_6_2_1_mangle_no_offload_negotiated(void **s)
{
    struct netfix *f = nf_new(false, NF(CSUM) | NF(HOST_TSO4) | NF(HOST_ECN), 0);
    struct avps_virtio_net_hdr h = hdr_plain();

    (void)s;
    expect_tx_ok(f, &h, 60);
    h.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = avps_to_le16(14);
    expect_tx_refused(f, &h, 60, 3);
    h = hdr_plain();
    h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4;
    expect_tx_refused(f, &h, 60, 4);
    h = hdr_plain();
    h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_ECN; /* ECN without TCP segmentation */
    expect_tx_refused(f, &h, 60, 5);
    nf_free(f);
}

/* §5.1.6.2: header and frame are device-readable and the header complete. */
static void test_5_1_6_2_1_mangle_layout(void **s)
{
    struct netfix *f = nf_new(true, 0, 0);
    struct avps_virtio_net_hdr h = hdr_plain();
    int id;

    (void)s;
    id = nf_tx_raw(f, 0, &h, HDR, 60, false, true); /* a writable part too */
    expect_used(f, 1, id, 0);
    assert_int_equal(f->g.last_report_b, 1);
    id = nf_tx_raw(f, 0, &h, 11, 0, false, false); /* 11 bytes: a short header */
    expect_used(f, 1, id, 0);
    assert_int_equal(f->g.last_report_b, 1);
    assert_int_equal(f->net.stats.tx_malformed, 2);
    assert_int_equal(f->tx_calls, 0);
    nf_free(f);
}

/* A frame longer than AVPS_NET_FRAME_MAX is refused, and a chain of more
 * pieces than AVPS_NET_SEGS is returned without being parsed. */
static void test_net_tx_too_long_and_too_many_segments(void **s)
{
    struct netfix *f = nf_new(false, 0, 0);
    struct avps_virtio_net_hdr h = hdr_plain();
    struct rd_buf b[AVPS_NET_SEGS + 1];
    uint64_t gpa;
    int id;

    (void)s;
    expect_tx_refused(f, &h, AVPS_NET_FRAME_MAX + 1, 2);
    gpa = rd_alloc(&f->q[1], 16 * (AVPS_NET_SEGS + 1));
    memset(gptr(f, gpa, 16 * (AVPS_NET_SEGS + 1)), 0, 16 * (AVPS_NET_SEGS + 1));
    for (unsigned int i = 0; i < AVPS_NET_SEGS + 1; i++)
        b[i] = (struct rd_buf){gpa + 16 * i, 16, false};
    id = rd_add(&f->q[1], b, AVPS_NET_SEGS + 1, 0);
    assert_true(id >= 0);
    (void)avps_dev_queue_notify(f->dev, 1);
    expect_used(f, 1, id, 0);
    assert_int_equal(f->g.last_report_b, 9);
    assert_int_equal(f->tx_calls, 0);
    nf_free(f);
}

/* A backend that cannot take a frame keeps it (and everything behind it)
 * until avps_net_tx_resume(); a backend error completes it and is counted. */
static void tx_again(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    struct avps_virtio_net_hdr h = hdr_plain();
    int id1, id2;

    f->tx_ret = AVPS_E_AGAIN;
    id1 = nf_tx(f, &h, 60);
    id2 = nf_tx(f, &h, 70);
    expect_no_used(f, 1);
    assert_int_equal(f->tx_calls, 2); /* the first, offered again at the second kick */
    f->tx_ret = 0;
    assert_int_equal(avps_net_tx_resume(&f->net, 0), 2);
    expect_used(f, 1, id1, 0);
    expect_used(f, 1, id2, 0);
    assert_int_equal(f->tx_len, 70);
    f->tx_ret = AVPS_E_IO;
    id1 = nf_tx(f, &h, 60);
    expect_used(f, 1, id1, 0);
    assert_int_equal(f->net.stats.tx_backend_errors, 1);
    assert_int_equal(f->net.stats.tx_packets, 2);
    assert_int_equal(avps_net_tx_resume(&f->net, 1), AVPS_E_INVAL);
    nf_free(f);
}
static void test_net_tx_backend_again_split(void **s) { (void)s; tx_again(false); }
static void test_net_tx_backend_again_packed(void **s) { (void)s; tx_again(true); }

/* ---- tests: receive (§5.1.6.3, §5.1.6.4) ------------------------------------------ */

static void rx_single(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    uint8_t fr[200];
    const struct avps_virtio_net_hdr *h;
    const uint8_t *got;
    int id;

    frame_make(fr, sizeof fr, dev_mac);
    /* §5.1.6.3: no buffers: nothing delivered, the backend retries later */
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_AGAIN);
    assert_int_equal(f->net.stats.rx_no_buffers, 1);
    id = nf_post(f, 0, 1526);
    f->rx_ready_calls = 0;
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    assert_int_equal(f->rx_ready_calls, 1);
    assert_int_equal(f->rx_ready_pair, 0);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), 1);
    expect_used(f, 0, id, HDR + sizeof fr);
    h = rx_hdr(f, 0, id);
    /* §5.1.6.3.2 / §5.1.6.4.1: num_buffers 1 without MRG_RXBUF; flags 0 and
     * GSO_NONE without GUEST_CSUM */
    assert_int_equal(avps_from_le16(h->num_buffers), 1);
    assert_int_equal(h->flags, 0);
    assert_int_equal(h->gso_type, 0);
    got = gptr(f, f->rx_gpa[0][id] + HDR, sizeof fr);
    assert_memory_equal(got, fr, sizeof fr);
    assert_int_equal(f->net.stats.rx_packets, 1);
    assert_int_equal(f->net.stats.rx_bytes, sizeof fr);
    assert_true(f->ft.queue_notes >= 1);
    nf_free(f);
}
static void test_5_1_6_4_rx_single_buffer_split(void **s) { (void)s; rx_single(false); }
static void test_5_1_6_4_rx_single_buffer_packed(void **s) { (void)s; rx_single(true); }

/* §5.1.6.3.2: without MRG_RXBUF only one buffer: a frame that does not fit is
 * refused (counted), and the buffer serves the next frame. */
static void test_5_1_6_3_2_one_buffer_without_mrg_rxbuf(void **s)
{
    struct netfix *f = nf_new(false, NF(MRG_RXBUF), 0);
    uint8_t fr[300];
    int id;

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    id = nf_post(f, 0, 200);
    nf_post(f, 0, 200);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_INVAL);
    assert_int_equal(f->net.stats.rx_dropped, 1);
    expect_no_used(f, 0);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 100), 1);
    expect_used(f, 0, id, HDR + 100);
    nf_free(f);
}

/* §5.1.6.4.1 and §5.1.6.3.2: with MRG_RXBUF a frame spreads over buffers, all
 * but the last used completely, num_buffers in the first header. */
static void rx_mrg(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF));
    uint8_t fr[1000];
    uint8_t got[1000];
    int id[4];
    uint32_t off = 0;

    frame_make(fr, sizeof fr, dev_mac);
    for (int i = 0; i < 4; i++)
        id[i] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), 1);
    expect_used(f, 0, id[0], 400);
    expect_used(f, 0, id[1], 400);
    expect_used(f, 0, id[2], HDR + 1000 - 800);
    assert_int_equal(avps_from_le16(rx_hdr(f, 0, id[0])->num_buffers), 3);
    memcpy(got, gptr(f, f->rx_gpa[0][id[0]] + HDR, 400 - HDR), 400 - HDR);
    off = 400 - HDR;
    memcpy(got + off, gptr(f, f->rx_gpa[0][id[1]], 400), 400);
    off += 400;
    memcpy(got + off, gptr(f, f->rx_gpa[0][id[2]], 1000 - off), 1000 - off);
    assert_memory_equal(got, fr, sizeof fr);
    /* a frame that needs more than what is left: AGAIN, the buffer is kept,
     * and used first once more arrive */
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_AGAIN);
    expect_no_used(f, 0);
    nf_post(f, 0, 400);
    nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 50), 1);
    expect_used(f, 0, id[3], HDR + 50);
    assert_int_equal(avps_from_le16(rx_hdr(f, 0, id[3])->num_buffers), 1);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 500), 1);
    nf_free(f);
}
static void test_5_1_6_4_1_mrg_rxbuf_split(void **s) { (void)s; rx_mrg(false); }
static void test_5_1_6_4_1_mrg_rxbuf_packed(void **s) { (void)s; rx_mrg(true); }

/* A frame that needs more buffers than the device may hold for one frame is
 * refused and counted; the buffers stay for later frames. */
static void test_net_rx_more_buffers_than_held(void **s)
{
    struct netfix *f = nf_new(false, NF(MRG_RXBUF), NF(MRG_RXBUF));
    static uint8_t fr[2000];
    int id0 = -1;

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    for (int i = 0; i < 100; i++) {
        int id = nf_post(f, 0, 12); /* header-sized buffers: no room for frame bytes */

        if (i == 0)
            id0 = id;
    }
    /* 2012 bytes need 168 such buffers; at most AVPS_NET_RX_BUFS are held */
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_INVAL);
    assert_int_equal(f->net.stats.rx_dropped, 1);
    assert_int_equal(f->pairs[0].rx_nheld, AVPS_NET_RX_BUFS);
    expect_no_used(f, 0);
    /* the held buffers serve the next frame: 100 bytes in 9 more buffers */
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 100), 1);
    expect_used(f, 0, id0, HDR);
    assert_int_equal(avps_from_le16(rx_hdr(f, 0, id0)->num_buffers), 10);
    assert_int_equal(f->pairs[0].rx_nheld, AVPS_NET_RX_BUFS - 10);
    nf_free(f);
}

/* §5.1.6.3: receive buffers are device-writable, and with MRG_RXBUF at least
 * a header long (§5.1.6.3.1): others are returned unused and counted. */
static void test_5_1_6_3_1_mangle_rx_buffers(void **s)
{
    struct netfix *f = nf_new(true, NF(MRG_RXBUF), NF(MRG_RXBUF));
    uint8_t fr[100];
    int bad1, bad2, good;

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    bad1 = rd_add_simple(&f->q[0], 64, 64, 0); /* a readable part */
    assert_true(bad1 >= 0);
    bad2 = nf_post(f, 0, 11); /* shorter than the header */
    good = nf_post(f, 0, 200);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), 1);
    expect_used(f, 0, bad1, 0);
    expect_used(f, 0, bad2, 0);
    expect_used(f, 0, good, HDR + sizeof fr);
    assert_int_equal(f->net.stats.rx_bad_buffers, 2);
    assert_int_equal(f->g.reports[EV_REQ], 2);
    nf_free(f);
}

/* §5.1.6.4.1: offloads only as negotiated; flags zero without GUEST_CSUM. */
static void test_5_1_6_4_1_rx_offloads(void **s)
{
    const uint64_t feat = NF(GUEST_CSUM) | NF(GUEST_TSO4) | NF(GUEST_TSO6) | NF(GUEST_ECN) |
                          NF(GUEST_UFO) | NF(GUEST_USO4) | NF(GUEST_USO6);
    struct netfix *f = nf_new(false, feat, NF(GUEST_CSUM) | NF(GUEST_TSO4) | NF(GUEST_USO6));
    struct avps_net_offload o, m;
    uint8_t fr[3000];
    const struct avps_virtio_net_hdr *h;
    int id;

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    memset(&o, 0, sizeof o);
    o.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    o.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4;
    o.gso_size = 1448;
    o.hdr_len = 54;
    o.csum_start = 34;
    o.csum_offset = 16;
    id = nf_post(f, 0, 4000);
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, sizeof fr), 1);
    h = rx_hdr(f, 0, id);
    assert_int_equal(h->flags, AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(h->gso_type, AVPS_VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(avps_from_le16(h->gso_size), 1448);
    assert_int_equal(avps_from_le16(h->hdr_len), 54);
    assert_int_equal(avps_from_le16(h->csum_start), 34);
    assert_int_equal(avps_from_le16(h->csum_offset), 16);
    m = o; m.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP_L4; /* USO6 negotiated: allowed */
    nf_post(f, 0, 4000);
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), 1);
    m = o; m.flags = AVPS_VIRTIO_NET_HDR_F_DATA_VALID; m.gso_type = 0; /* checksum validated */
    nf_post(f, 0, 4000);
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), 1);
    /* mangles: each refused, counted, nothing used */
    nf_post(f, 0, 4000);
    m = o; m.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV6;       /* GUEST_TSO6 not negotiated */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP;         /* GUEST_UFO */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.gso_type |= AVPS_VIRTIO_NET_HDR_GSO_ECN;        /* GUEST_ECN */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.gso_type = 9;                                   /* no such type */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.flags = 0;                                      /* GSO without NEEDS_CSUM */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.gso_size = 0;                                   /* GSO without MSS */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.flags |= AVPS_VIRTIO_NET_HDR_F_RSC_INFO;        /* RSC_EXT never offered */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    m = o; m.csum_start = 2990;                              /* checksum beyond the frame */
    assert_int_equal(avps_net_rx(&f->net, 0, &m, fr, sizeof fr), AVPS_E_INVAL);
    assert_int_equal(f->net.stats.rx_dropped, 8);
    expect_used(f, 0, 0, HDR + sizeof fr);
    nf_free(f);
}

/* §5.1.6.4.1: without GUEST_CSUM no flags at all may be set. */
static void test_5_1_6_4_1_no_flags_without_guest_csum(void **s)
{
    struct netfix *f = nf_new(false, NF(GUEST_CSUM), 0);
    struct avps_net_offload o;
    uint8_t fr[64];

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    memset(&o, 0, sizeof o);
    o.flags = AVPS_VIRTIO_NET_HDR_F_DATA_VALID;
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, sizeof fr), AVPS_E_INVAL);
    o.flags = 0;
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, sizeof fr), 1);
    nf_free(f);
}

/* §5.1.4.1: with MTU negotiated no received frame beyond mtu + 14 (+4 with a
 * VLAN tag) unless it is a GSO frame. */
static void test_5_1_4_1_rx_beyond_mtu_refused(void **s)
{
    struct netfix *f = nf_make(false, NF(GUEST_CSUM) | NF(GUEST_TSO4), 1, 1280, false);
    struct avps_net_offload o;
    static uint8_t fr[1400];

    (void)s;
    nf_start(f, ~0ull);
    frame_make(fr, sizeof fr, dev_mac);
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 1280 + 14 + 1), AVPS_E_INVAL);
    fr[12] = 0x81;
    fr[13] = 0x00; /* VLAN tagged: 4 more bytes of link-level header */
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 1280 + 18 + 1), AVPS_E_INVAL);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 1280 + 18), 1);
    memset(&o, 0, sizeof o);
    o.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    o.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4;
    o.gso_size = 1000;
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, 1400), 1);
    assert_int_equal(f->net.stats.rx_dropped, 2);
    nf_free(f);
}

/* avps_net_rx() outcomes that are the caller's or the state's: each counted. */
static void test_net_rx_refusals(void **s)
{
    struct netfix *f = nf_make(false, 0, 1, 0, false);
    uint8_t fr[64];

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_STATE); /* not live */
    nf_start(f, 0);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 0), AVPS_E_INVAL);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, AVPS_NET_FRAME_MAX + 1), AVPS_E_INVAL);
    avps_net_set_link(&f->net, false);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_STATE);
    assert_int_equal(f->net.stats.rx_dropped, 4);
    nf_free(f);
}

/* ---- tests: configuration (§5.1.4) -------------------------------------------------- */

static void cfg_read(struct netfix *f, struct avps_virtio_net_config *c)
{
    assert_int_equal(avps_dev_config_read(f->dev, 0, c, sizeof *c), AVPS_OK);
}

static void test_5_1_4_config_layout(void **s)
{
    struct netfix *f = nf_make(false, NF(STATUS) | NF(CTRL_VQ) | NF(SPEED_DUPLEX), 2, 1500, false);
    struct avps_virtio_net_config c;
    uint8_t b = 0;
    uint64_t o = avps_dev_offered_features(f->dev);

    (void)s;
    assert_int_equal(avps_dev_device_id(f->dev), 1);
    assert_int_equal(avps_dev_config_size(f->dev), 20);
    assert_true(o & NF(MAC));
    assert_true(o & NF(MTU));
    assert_true(o & NF(MQ));
    assert_true(o & NF(STATUS));
    assert_false(o & NF(CSUM));
    assert_true(o & F_BIT(IN_ORDER)); /* every path completes in order (§6.2) */
    cfg_read(f, &c);
    assert_memory_equal(c.mac, dev_mac, 6);
    assert_int_equal(avps_from_le16(c.status), AVPS_VIRTIO_NET_S_LINK_UP);
    assert_int_equal(avps_from_le16(c.max_virtqueue_pairs), 2);
    assert_int_equal(avps_from_le16(c.mtu), 1500);
    assert_int_equal(avps_from_le32(c.speed), 10000);
    assert_int_equal(c.duplex, 1);
    /* §5.1.4.2 (driver): read-only; writes are refused and reported */
    assert_int_equal(avps_dev_config_write(f->dev, 0, &b, 1), AVPS_E_GUEST_REQ);
    assert_int_equal(f->g.reports[AVPS_EV_DEV_CONFIG], 1);
    cfg_read(f, &c);
    assert_memory_equal(c.mac, dev_mac, 6);
    nf_free(f);
}

/* §5.1.4: link status changes reach the driver as a configuration change. */
static void test_5_1_4_link_status_change(void **s)
{
    struct netfix *f = nf_new(false, NF(STATUS), NF(STATUS));
    struct avps_virtio_net_config c;
    uint32_t gen = avps_dev_config_generation(f->dev);

    (void)s;
    assert_true(avps_net_link_up(&f->net));
    avps_net_set_link(&f->net, false);
    cfg_read(f, &c);
    assert_int_equal(avps_from_le16(c.status), 0);
    assert_int_equal(f->ft.config_notes, 1);
    assert_true(avps_dev_isr(f->dev) & AVPS_DEV_ISR_CONFIG);
    assert_int_equal(avps_dev_config_generation(f->dev), gen + 1);
    avps_net_set_link(&f->net, false); /* no change, no notification */
    assert_int_equal(f->ft.config_notes, 1);
    avps_net_set_link(&f->net, true);
    cfg_read(f, &c);
    assert_int_equal(avps_from_le16(c.status), AVPS_VIRTIO_NET_S_LINK_UP);
    assert_int_equal(f->ft.config_notes, 2);
    nf_free(f);
}

/* §5.1.4.1: mtu 68..65535; max_virtqueue_pairs 1..0x8000 (and a configuration
 * that offers what the spec forbids is refused at init). */
static void test_5_1_4_1_config_limits_at_init(void **s)
{
    struct netfix *f = nf_make(false, 0, 1, 68, false);
    struct avps_net n2;
    struct avps_net_cfg cfg;

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.backend = &f->be;
    cfg.pairs = f->pairs;
    cfg.queues = f->queues;
    cfg.slots = f->slots;
    cfg.num_slots = NQMAX * QSIZE;
    cfg.queue_size_max = QSIZE;
    cfg.num_pairs = 1;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_OK);
    cfg.mtu = 67;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.mtu = 0;
    cfg.num_pairs = 0;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_pairs = 2; /* MQ without CTRL_VQ */
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_pairs = AVPS_NET_MAX_PAIRS + 1u;
    cfg.features = NF(CTRL_VQ);
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_pairs = 2;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_OK);
    assert_int_equal(avps_dev_num_queues(avps_net_dev(&n2)), 5);
    cfg.num_slots = 5 * QSIZE - 1; /* too few in-flight records */
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.num_slots = NQMAX * QSIZE;
    cfg.num_pairs = 1;
    cfg.features = NF(HOST_TSO4); /* §5.1.3.1: needs CSUM */
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.features = NF(MAC); /* comes from mac_valid */
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.features = 1ull << 4; /* not a feature we implement */
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.features = NF(SPEED_DUPLEX);
    cfg.speed = 0x80000000u;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.speed = 0xffffffffu;
    cfg.duplex = 2;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    cfg.duplex = 0xff;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_OK);
    cfg.backend = NULL;
    assert_int_equal(avps_net_init(&n2, &f->g.host, &cfg), AVPS_E_INVAL);
    nf_free(f);
}

/* §5.1.3.1: a driver feature set that breaks a dependency is refused
 * (FEATURES_OK stays clear). */
static void test_5_1_3_1_feature_dependencies(void **s)
{
    const uint64_t all = NF(CSUM) | NF(GUEST_CSUM) | NF(HOST_TSO4) | NF(GUEST_TSO4) |
                         NF(GUEST_ECN) | NF(CTRL_VQ) | NF(CTRL_RX);
    static const uint64_t bad[] = {
        NF(HOST_TSO4),                       /* needs CSUM */
        NF(GUEST_TSO4),                      /* needs GUEST_CSUM */
        NF(GUEST_CSUM) | NF(GUEST_ECN),      /* needs GUEST_TSO4 or 6 */
        NF(CTRL_RX),                         /* needs CTRL_VQ */
    };
    struct netfix *f = nf_make(false, all, 1, 0, false);

    (void)s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t feat = bad[i] | F_BIT(VERSION_1);

        assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
        assert_int_equal(avps_dev_set_status(f->dev, S_ACK | S_DRV), AVPS_OK);
        avps_dev_set_driver_word(f->dev, 0, (uint32_t)feat);
        avps_dev_set_driver_word(f->dev, 1, (uint32_t)(feat >> 32));
        assert_int_equal(avps_dev_set_status(f->dev, S_ACK | S_DRV | S_FOK), AVPS_E_GUEST_STATE);
        assert_false(avps_dev_status(f->dev) & S_FOK);
    }
    nf_start(f, all);
    nf_free(f);
}

/* §5.1.2: receiveq1..N, transmitq1..N, then the control queue (with CTRL_VQ). */
static void test_5_1_2_queue_layout(void **s)
{
    struct netfix *f = nf_make(false, 0, 1, 0, false);
    struct netfix *g = nf_make(false, NF(CTRL_VQ), 2, 0, false);
    struct avps_virtio_net_hdr h = hdr_plain();
    int id;

    (void)s;
    assert_int_equal(avps_dev_num_queues(f->dev), 2);
    assert_int_equal(avps_dev_num_queues(g->dev), 5);
    nf_start(g, ~0ull);
    id = nf_tx_raw(g, 1, &h, HDR, 60, false, false); /* transmitq2 is queue 3 */
    expect_used(g, 3, id, 0);
    assert_int_equal(g->tx_pair, 1);
    nf_free(f);
    nf_free(g);
}

/* ---- tests: control queue (§5.1.6.5) -------------------------------------------------- */

#define CTRL_FEATURES                                                                           \
    (NF(CTRL_VQ) | NF(CTRL_RX) | NF(CTRL_RX_EXTRA) | NF(CTRL_VLAN) | NF(CTRL_MAC_ADDR) |        \
     NF(GUEST_ANNOUNCE) | NF(STATUS))

/* Send a control command; returns the ack byte, or -1 when used with length 0.
 * wr is the writable room (normally 1). */
static int ctrl_raw(struct netfix *f, const uint8_t *req, uint32_t len, uint32_t wr)
{
    const unsigned int qi = f->nq - 1;
    struct rd_queue *q = &f->q[qi];
    struct rd_buf b[2];
    unsigned int n = 0;
    struct rd_done d;
    uint64_t gpa = rd_alloc(q, len + 1);
    uint64_t ack = rd_alloc(q, 8);

    memcpy(gptr(f, gpa, len), req, len);
    *(uint8_t *)gptr(f, ack, 1) = 0xaa;
    b[n++] = (struct rd_buf){gpa, len, false};
    if (wr)
        b[n++] = (struct rd_buf){ack, wr, true};
    assert_true(rd_add(q, b, n, 0) >= 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, (uint16_t)qi), 1);
    assert_int_equal(rd_get_used(q, &d), 1);
    if (d.len == 0)
        return -1;
    assert_int_equal(d.len, 1);
    return *(uint8_t *)gptr(f, ack, 1);
}

static int ctrl(struct netfix *f, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
    uint8_t req[512];

    assert_true(len + 2 <= sizeof req);
    req[0] = cls;
    req[1] = cmd;
    if (len != 0)
        memcpy(req + 2, data, len);
    return ctrl_raw(f, req, len + 2, 1);
}

static int ctrl1(struct netfix *f, uint8_t cls, uint8_t cmd, uint8_t v)
{
    return ctrl(f, cls, cmd, &v, 1);
}

/* Deliver a frame to dst; 1 delivered, 0 filtered. Posts a buffer first. */
static int rx_to(struct netfix *f, const uint8_t *dst, int vlan)
{
    uint8_t fr[80];
    int r;

    frame_make(fr, sizeof fr, dst);
    if (vlan >= 0) {
        fr[12] = 0x81;
        fr[13] = 0x00;
        fr[14] = (uint8_t)(vlan >> 8);
        fr[15] = (uint8_t)vlan;
    }
    if (f->pairs[0].rx_nheld == 0)
        nf_post(f, 0, 2000);
    r = avps_net_rx(&f->net, 0, NULL, fr, sizeof fr);
    assert_true(r == 0 || r == 1);
    return r;
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t other[6] = {0x52, 0x54, 0x00, 0x99, 0x99, 0x99};

static void ctrl_basics(bool packed)
{
    struct netfix *f = nf_new(packed, CTRL_FEATURES, CTRL_FEATURES);
    uint8_t req[4] = {0, 0, 0, 0};

    /* §5.1.6.5: unknown class or command: VIRTIO_NET_ERR, not fatal */
    assert_int_equal(ctrl1(f, 9, 0, 0), ERR_);
    assert_int_equal(ctrl1(f, 0, 6, 0), ERR_);
    assert_int_equal(ctrl1(f, AVPS_VIRTIO_NET_CTRL_MQ, AVPS_VIRTIO_NET_CTRL_MQ_RSS_CONFIG, 0), ERR_);
    /* a request shorter than class + command */
    assert_int_equal(ctrl_raw(f, req, 1, 1), ERR_);
    /* no room for the ack: used with length 0, counted, reported */
    assert_int_equal(ctrl_raw(f, req, 3, 0), -1);
    assert_int_equal(f->net.stats.ctrl_malformed, 1);
    assert_int_equal(f->g.reports[EV_REQ], 1);
    /* the ack is the first writable byte, whatever room follows it */
    req[2] = 1;
    assert_int_equal(ctrl_raw(f, req, 3, 8), OK_);
    assert_int_equal(f->net.stats.ctrl_err, 4);
    assert_int_equal(f->net.stats.ctrl_ok, 1);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_5_1_6_5_ctrl_dispatch_split(void **s) { (void)s; ctrl_basics(false); }
static void test_5_1_6_5_ctrl_dispatch_packed(void **s) { (void)s; ctrl_basics(true); }

/* Commands need their feature; data lengths are exact. */
static void test_5_1_6_5_mangle_ctrl_lengths_and_features(void **s)
{
    struct netfix *f = nf_new(false, CTRL_FEATURES, NF(CTRL_VQ) | NF(CTRL_RX));
    uint8_t d[16] = {0};

    (void)s;
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 1), OK_);
    assert_int_equal(ctrl(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, d, 0), ERR_); /* 0 bytes */
    assert_int_equal(ctrl(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, d, 2), ERR_); /* 2 bytes */
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 2), ERR_);   /* not 0/1 */
    /* not negotiated: RX_EXTRA, VLAN, MAC_ADDR, ANNOUNCE */
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_ALLUNI, 1), ERR_);
    assert_int_equal(ctrl(f, AVPS_VIRTIO_NET_CTRL_VLAN, 0, d, 2), ERR_);
    assert_int_equal(ctrl(f, AVPS_VIRTIO_NET_CTRL_MAC, AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET, d, 6), ERR_);
    assert_int_equal(ctrl(f, AVPS_VIRTIO_NET_CTRL_ANNOUNCE, 0, d, 0), ERR_);
    assert_int_equal(f->net.stats.ctrl_err, 7);
    nf_free(f);
}

/* §5.1.6.5.1.1: receive modes. */
static void ctrl_rx_modes(bool packed)
{
    struct netfix *f = nf_new(packed, CTRL_FEATURES, CTRL_FEATURES);

    /* promiscuous until the driver turns it off */
    assert_int_equal(rx_to(f, other, -1), 1);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    assert_int_equal(rx_to(f, other, -1), 0);
    assert_int_equal(rx_to(f, dev_mac, -1), 1);
    assert_int_equal(rx_to(f, bcast, -1), 1);
    assert_int_equal(rx_to(f, mcast, -1), 0);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_ALLMULTI, 1), OK_);
    assert_int_equal(rx_to(f, mcast, -1), 1);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_NOMULTI, 1), OK_); /* wins over ALLMULTI */
    assert_int_equal(rx_to(f, mcast, -1), 0);
    assert_int_equal(rx_to(f, bcast, -1), 1); /* NOMULTI leaves broadcast alone */
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_NOBCAST, 1), OK_);
    assert_int_equal(rx_to(f, bcast, -1), 0);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_ALLUNI, 1), OK_);
    assert_int_equal(rx_to(f, other, -1), 1);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_NOUNI, 1), OK_); /* wins over ALLUNI */
    assert_int_equal(rx_to(f, other, -1), 0);
    assert_int_equal(rx_to(f, dev_mac, -1), 0);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 1), OK_); /* wins over all */
    assert_int_equal(rx_to(f, other, -1), 1);
    assert_int_equal(rx_to(f, bcast, -1), 1);
    assert_int_equal(f->net.stats.rx_filtered, 6);
    nf_free(f);
}
static void test_5_1_6_5_1_1_rx_modes_split(void **s) { (void)s; ctrl_rx_modes(false); }
static void test_5_1_6_5_1_1_rx_modes_packed(void **s) { (void)s; ctrl_rx_modes(true); }

static uint32_t mac_table(uint8_t *d, uint32_t n1, const uint8_t (*u)[6], uint32_t n2,
                          const uint8_t (*m)[6])
{
    uint32_t o = 0;

    memcpy(d + o, &(uint32_t){n1}, 4), o += 4;
    for (uint32_t i = 0; i < n1; i++)
        memcpy(d + o, u[i], 6), o += 6;
    memcpy(d + o, &(uint32_t){n2}, 4), o += 4;
    for (uint32_t i = 0; i < n2; i++)
        memcpy(d + o, m[i], 6), o += 6;
    return o;
}

/* §5.1.6.5.2.1: MAC table set (exact layout) and default MAC set. */
static void test_5_1_6_5_2_1_mac_table(void **s)
{
    struct netfix *f = nf_new(false, CTRL_FEATURES, CTRL_FEATURES | NF(MAC));
    const uint8_t u[1][6] = {{0x52, 0x54, 0x00, 0x99, 0x99, 0x99}};
    const uint8_t m[2][6] = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, {0x33, 0x33, 0, 0, 0, 1}};
    const uint8_t newmac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    struct avps_virtio_net_config c;
    uint8_t d[256], got[6];
    uint32_t n, gen;

    (void)s;
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    assert_int_equal(rx_to(f, other, -1), 0); /* the table starts empty */
    n = mac_table(d, 1, u, 2, m);
    assert_int_equal(ctrl(f, 1, AVPS_VIRTIO_NET_CTRL_MAC_TABLE_SET, d, n), OK_);
    assert_int_equal(rx_to(f, other, -1), 1);
    assert_int_equal(rx_to(f, mcast, -1), 1);
    /* mangles: one byte short, one byte long, counts that do not add up */
    assert_int_equal(ctrl(f, 1, 0, d, n - 1), ERR_);
    assert_int_equal(ctrl(f, 1, 0, d, n + 1), ERR_);
    d[0] = 2; /* n1 = 2 but one address */
    assert_int_equal(ctrl(f, 1, 0, d, n), ERR_);
    d[0] = 0xff; d[3] = 0xff; /* n1 huge: no overflow, refused */
    assert_int_equal(ctrl(f, 1, 0, d, n), ERR_);
    assert_int_equal(ctrl(f, 1, 0, d, 7), ERR_); /* below the 8-byte minimum */
    assert_int_equal(rx_to(f, other, -1), 1); /* refused commands left the table alone */
    /* an empty table */
    n = mac_table(d, 0, u, 0, m);
    assert_int_equal(ctrl(f, 1, 0, d, n), OK_);
    assert_int_equal(rx_to(f, other, -1), 0);
    assert_int_equal(rx_to(f, mcast, -1), 0);
    /* more entries than kept: that kind all passes (best effort, §5.1.6.5.2) */
    {
        static uint8_t many[AVPS_NET_MAC_TABLE + 1][6];
        static uint8_t big[8 + 6 * (AVPS_NET_MAC_TABLE + 1)];

        for (unsigned int i = 0; i <= AVPS_NET_MAC_TABLE; i++) {
            memcpy(many[i], u[0], 6);
            many[i][5] = (uint8_t)i;
        }
        n = mac_table(big, AVPS_NET_MAC_TABLE + 1, (const uint8_t (*)[6])many, 0, m);
        assert_int_equal(ctrl(f, 1, 0, big, n), OK_);
        assert_int_equal(rx_to(f, other, -1), 1);
        assert_int_equal(rx_to(f, mcast, -1), 0);
    }
    /* default MAC: the filter and (MAC negotiated) config space, before the ack */
    gen = avps_dev_config_generation(f->dev);
    assert_int_equal(ctrl(f, 1, AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6), OK_);
    cfg_read(f, &c);
    assert_memory_equal(c.mac, newmac, 6);
    assert_int_equal(avps_dev_config_generation(f->dev), gen + 1);
    avps_net_mac(&f->net, got);
    assert_memory_equal(got, newmac, 6);
    assert_int_equal(ctrl(f, 1, AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 5), ERR_);
    n = mac_table(d, 0, u, 0, m);
    assert_int_equal(ctrl(f, 1, 0, d, n), OK_);
    assert_int_equal(rx_to(f, newmac, -1), 1);
    assert_int_equal(rx_to(f, dev_mac, -1), 0);
    /* reset: empty table, the configured MAC again, promiscuous again */
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    cfg_read(f, &c);
    assert_memory_equal(c.mac, dev_mac, 6);
    assert_int_equal(f->net.n_uni, 0);
    assert_int_equal(f->net.uni_overflow, 0);
    assert_int_equal(f->net.rxmode[AVPS_VIRTIO_NET_CTRL_RX_PROMISC], 1);
    nf_free(f);
}

/* §5.1.6.5.2.1: without VIRTIO_NET_F_MAC the config mac stays; the filter
 * takes the new default. */
static void test_5_1_6_5_2_1_mac_addr_without_mac_feature(void **s)
{
    struct netfix *f = nf_new(false, CTRL_FEATURES, CTRL_FEATURES & ~NF(CTRL_RX));
    const uint8_t newmac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    struct avps_virtio_net_config c;
    uint8_t got[6];

    (void)s;
    assert_false(avps_dev_features(f->dev) & NF(MAC));
    assert_int_equal(ctrl(f, 1, AVPS_VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6), OK_);
    cfg_read(f, &c);
    assert_memory_equal(c.mac, dev_mac, 6);
    avps_net_mac(&f->net, got);
    assert_memory_equal(got, newmac, 6);
    assert_int_equal(ctrl(f, 1, AVPS_VIRTIO_NET_CTRL_MAC_TABLE_SET, "\0\0\0\0\0\0\0\0", 8), ERR_);
    nf_free(f);
}

/* §5.1.6.5.3.1: VLAN filtering. */
static void test_5_1_6_5_3_1_vlan_filter(void **s)
{
    struct netfix *f = nf_new(false, CTRL_FEATURES, CTRL_FEATURES);
    struct netfix *g = nf_new(true, CTRL_FEATURES, CTRL_FEATURES & ~NF(CTRL_VLAN));
    uint8_t v[2];

    (void)s;
    /* without CTRL_VLAN every tagged packet is accepted */
    assert_int_equal(ctrl1(g, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    assert_int_equal(rx_to(g, dev_mac, 100), 1);
    /* with it: only the table's VLANs (starting empty) */
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    assert_int_equal(rx_to(f, dev_mac, 100), 0);
    assert_int_equal(rx_to(f, dev_mac, -1), 1); /* untagged: not the VLAN table's business */
    v[0] = 100; v[1] = 0;
    assert_int_equal(ctrl(f, 2, AVPS_VIRTIO_NET_CTRL_VLAN_ADD, v, 2), OK_);
    assert_int_equal(rx_to(f, dev_mac, 100), 1);
    assert_int_equal(rx_to(f, dev_mac, 0x1000 | 100), 1); /* priority bits are not the id */
    assert_int_equal(rx_to(f, dev_mac, 101), 0);
    assert_int_equal(ctrl(f, 2, AVPS_VIRTIO_NET_CTRL_VLAN_DEL, v, 2), OK_);
    assert_int_equal(rx_to(f, dev_mac, 100), 0);
    v[0] = 0; v[1] = 0x10; /* 4096: no such VLAN */
    assert_int_equal(ctrl(f, 2, AVPS_VIRTIO_NET_CTRL_VLAN_ADD, v, 2), ERR_);
    assert_int_equal(ctrl(f, 2, AVPS_VIRTIO_NET_CTRL_VLAN_ADD, v, 1), ERR_);
    assert_int_equal(ctrl(f, 2, 2, v, 2), ERR_);
    nf_free(f);
    nf_free(g);
}

/* §5.1.6.5.4.2: ANNOUNCE_ACK clears VIRTIO_NET_S_ANNOUNCE before the buffer
 * is used. */
static void test_5_1_6_5_4_2_announce_ack(void **s)
{
    struct netfix *f = nf_new(false, CTRL_FEATURES, CTRL_FEATURES);
    struct netfix *g = nf_new(false, CTRL_FEATURES, CTRL_FEATURES & ~NF(GUEST_ANNOUNCE));
    struct avps_virtio_net_config c;

    (void)s;
    assert_int_equal(avps_net_announce(&g->net), AVPS_E_STATE);
    assert_int_equal(avps_net_announce(&f->net), AVPS_OK);
    assert_int_equal(f->ft.config_notes, 1);
    cfg_read(f, &c);
    assert_int_equal(avps_from_le16(c.status), AVPS_VIRTIO_NET_S_LINK_UP | AVPS_VIRTIO_NET_S_ANNOUNCE);
    assert_int_equal(ctrl(f, 3, AVPS_VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0), OK_);
    cfg_read(f, &c);
    assert_int_equal(avps_from_le16(c.status), AVPS_VIRTIO_NET_S_LINK_UP);
    assert_int_equal(ctrl(f, 3, AVPS_VIRTIO_NET_CTRL_ANNOUNCE_ACK, "x", 1), ERR_); /* no data */
    assert_int_equal(ctrl(f, 3, AVPS_VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0), OK_);
    nf_free(f);
    nf_free(g);
}

/* §5.1.6.5.6.2: receiveq1 only until VQ_PAIRS_SET, then the enabled pairs. */
static void mq_steering(bool packed)
{
    struct netfix *f = nf_make(packed, NF(CTRL_VQ), 2, 0, false);
    uint8_t fr[64];
    uint8_t v[2];
    int id0, id1;

    nf_start(f, ~0ull);
    frame_make(fr, sizeof fr, dev_mac);
    assert_true(avps_dev_features(f->dev) & NF(MQ));
    assert_int_equal(avps_net_active_pairs(&f->net), 1);
    id0 = nf_post(f, 0, 2000);
    id1 = nf_post(f, 1, 2000);
    assert_int_equal(avps_net_rx(&f->net, 1, NULL, fr, sizeof fr), 1);
    expect_used(f, 0, id0, HDR + sizeof fr); /* folded onto receiveq1 */
    expect_no_used(f, 2);
    v[0] = 0; v[1] = 0;
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 2), ERR_);
    v[0] = 3;
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 2), ERR_);
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 1), ERR_);
    v[0] = 2;
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 2), OK_);
    assert_int_equal(avps_net_active_pairs(&f->net), 2);
    assert_int_equal(avps_net_rx(&f->net, 1, NULL, fr, sizeof fr), 1);
    expect_used(f, 2, id1, HDR + sizeof fr);
    nf_post(f, 1, 2000);
    assert_int_equal(avps_net_rx(&f->net, 3, NULL, fr, sizeof fr), 1); /* 3 mod 2 */
    v[0] = 1;
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 2), OK_);
    assert_int_equal(avps_net_active_pairs(&f->net), 1);
    /* reset: one pair again */
    v[0] = 2;
    assert_int_equal(ctrl(f, 4, AVPS_VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, v, 2), OK_);
    assert_int_equal(avps_dev_set_status(f->dev, 0), AVPS_OK);
    assert_int_equal(avps_net_active_pairs(&f->net), 1);
    nf_free(f);
}
static void test_5_1_6_5_6_2_mq_steering_split(void **s) { (void)s; mq_steering(false); }
static void test_5_1_6_5_6_2_mq_steering_packed(void **s) { (void)s; mq_steering(true); }

/* The control queue kept by a vhost-user front-end: MQ without CTRL_VQ is
 * accepted, every pair the front-end enabled receives, no filtering here. */
static void test_net_ctrl_external(void **s)
{
    struct netfix *f = nf_make(false, NF(STATUS), 2, 0, true);
    uint8_t fr[64];
    int id1;

    (void)s;
    assert_int_equal(avps_dev_num_queues(f->dev), 4);
    nf_start(f, NF(MQ) | NF(MAC));
    assert_int_equal(avps_dev_features(f->dev) & NF(MQ), NF(MQ));
    assert_int_equal(avps_net_active_pairs(&f->net), 2);
    frame_make(fr, sizeof fr, other);
    id1 = nf_post(f, 1, 2000);
    assert_int_equal(avps_net_rx(&f->net, 1, NULL, fr, sizeof fr), 1);
    expect_used(f, 2, id1, HDR + sizeof fr);
    /* a pair the front-end has not enabled: the first pair takes it */
    assert_int_equal(avps_dev_queue_reset(f->dev, 2), AVPS_OK);
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 1, NULL, fr, sizeof fr), 1);
    nf_free(f);
}

/* Queue reset forgets the held receive buffers and the parked packet. */
static void test_net_queue_reset_forgets(void **s)
{
    struct netfix *f = nf_new(false, NF(MRG_RXBUF), NF(MRG_RXBUF));
    struct avps_virtio_net_hdr h = hdr_plain();
    uint8_t fr[1000];

    (void)s;
    frame_make(fr, sizeof fr, dev_mac);
    nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), AVPS_E_AGAIN);
    assert_int_equal(f->pairs[0].rx_nheld, 1);
    f->tx_ret = AVPS_E_AGAIN;
    nf_tx(f, &h, 60);
    assert_int_equal(f->pairs[0].tx_parked, 1);
    assert_int_equal(avps_dev_queue_reset(f->dev, 0), AVPS_OK);
    assert_int_equal(f->pairs[0].rx_nheld, 0);
    assert_int_equal(f->pairs[0].tx_parked, 1);
    assert_int_equal(avps_dev_queue_reset(f->dev, 1), AVPS_OK);
    assert_int_equal(f->pairs[0].tx_parked, 0);
    nf_free(f);
}

/* Edges: ECN on the wrong segmentation type either way, USO4, a runt frame
 * with filtering on, a receive or control chain of more pieces than the device
 * keeps, resume before the queue runs, reset of the control queue. */
static void test_net_edges(void **s)
{
    const uint64_t feat = NF(CSUM) | NF(GUEST_CSUM) | NF(HOST_TSO4) | NF(HOST_UFO) |
                          NF(HOST_ECN) | NF(GUEST_TSO4) | NF(GUEST_UFO) | NF(GUEST_ECN) |
                          NF(GUEST_USO4) | CTRL_FEATURES;
    struct netfix *f = nf_make(false, feat, 1, 0, false);
    struct avps_virtio_net_hdr h = hdr_plain();
    struct avps_net_offload o;
    static struct rd_buf b[AVPS_NET_SEGS + 2];
    uint8_t fr[400];
    uint64_t gpa;
    int id;

    (void)s;
    assert_int_equal(avps_net_tx_resume(&f->net, 0), AVPS_E_STATE); /* not running yet */
    nf_start(f, feat);
    /* transmit: ECN with UDP fragmentation */
    h.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gso_size = avps_to_le16(100);
    h.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP | AVPS_VIRTIO_NET_HDR_GSO_ECN;
    expect_tx_refused(f, &h, 200, 5);
    /* receive: ECN with UFO refused; USO via GUEST_USO4 accepted */
    frame_make(fr, sizeof fr, dev_mac);
    memset(&o, 0, sizeof o);
    o.flags = AVPS_VIRTIO_NET_HDR_F_NEEDS_CSUM;
    o.gso_size = 100;
    o.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP | AVPS_VIRTIO_NET_HDR_GSO_ECN;
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, sizeof fr), AVPS_E_INVAL);
    o.gso_type = AVPS_VIRTIO_NET_HDR_GSO_UDP_L4;
    assert_int_equal(avps_net_rx(&f->net, 0, &o, fr, sizeof fr), 1);
    /* a runt frame has no destination: filtered once promiscuous mode is off */
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    nf_post(f, 0, 2000);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 10), 0);
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 1), OK_);
    /* a receive buffer of more pieces than AVPS_NET_RX_SEGS: returned unused,
     * the next one is used */
    gpa = rd_alloc(&f->q[0], 16 * (AVPS_NET_RX_SEGS + 1));
    for (unsigned int i = 0; i < AVPS_NET_RX_SEGS + 1; i++)
        b[i] = (struct rd_buf){gpa + 16 * i, 16, true};
    id = rd_add(&f->q[0], b, AVPS_NET_RX_SEGS + 1, 0);
    assert_true(id >= 0);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 100), 1); /* the buffer posted above */
    expect_used(f, 0, 0, HDR + sizeof fr);
    {
        struct rd_done d;

        assert_int_equal(rd_get_used(&f->q[0], &d), 1); /* the runt's buffer */
    }
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 100), AVPS_E_AGAIN);
    expect_used(f, 0, id, 0);
    assert_int_equal(f->net.stats.rx_bad_buffers, 1);
    /* a control chain of more pieces than AVPS_NET_SEGS: used with length 0 */
    gpa = rd_alloc(&f->q[2], 4 * (AVPS_NET_SEGS + 2));
    memset(gptr(f, gpa, 4 * (AVPS_NET_SEGS + 2)), 0, 4 * (AVPS_NET_SEGS + 2));
    for (unsigned int i = 0; i < AVPS_NET_SEGS + 1; i++)
        b[i] = (struct rd_buf){gpa + 4 * i, 4, false};
    b[AVPS_NET_SEGS + 1] = (struct rd_buf){gpa + 4 * (AVPS_NET_SEGS + 1), 1, true};
    id = rd_add(&f->q[2], b, AVPS_NET_SEGS + 2, 0);
    assert_true(id >= 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, 2), 1);
    expect_used(f, 2, id, 0);
    assert_int_equal(f->net.stats.ctrl_malformed, 1);
    /* resetting the control queue leaves the pairs alone */
    nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, 500), AVPS_E_INVAL); /* kept */
    assert_int_equal(f->pairs[0].rx_nheld, 1);
    assert_int_equal(avps_dev_queue_reset(f->dev, 2), AVPS_OK);
    assert_int_equal(f->pairs[0].rx_nheld, 1);
    nf_free(f);
}

/* §5.1.5: a full driver start and traffic both ways, every ring layout. */
static void init_sequence(bool packed)
{
    const uint64_t feat = NF(CSUM) | NF(GUEST_CSUM) | NF(MRG_RXBUF) | NF(STATUS) | CTRL_FEATURES;
    struct netfix *f = nf_make(packed, feat, 1, 1500, false);
    struct avps_virtio_net_hdr h = hdr_plain();
    uint8_t fr[1514];
    int id;

    nf_start(f, ~0ull);
    assert_int_equal(avps_dev_status(f->dev), S_ACK | S_DRV | S_FOK | S_DOK);
    for (int i = 0; i < 8; i++)
        nf_post(f, 0, 1526);
    frame_make(fr, sizeof fr, dev_mac);
    for (int i = 0; i < 3 * QSIZE; i++) {
        struct rd_done d;

        id = nf_tx(f, &h, 100 + (uint32_t)i);
        expect_used(f, 1, id, 0);
        assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr, sizeof fr), 1);
        assert_int_equal(rd_get_used(&f->q[0], &d), 1);
        assert_int_equal(d.len, HDR + sizeof fr);
        nf_post(f, 0, 1526);
    }
    assert_int_equal(f->net.stats.tx_packets, 3 * QSIZE);
    assert_int_equal(f->net.stats.rx_packets, 3 * QSIZE);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    assert_int_equal(avps_net_stats(&f->net)->rx_bytes, 3 * QSIZE * sizeof fr);
    nf_free(f);
}
static void test_5_1_5_init_sequence_split(void **s) { (void)s; init_sequence(false); }
static void test_5_1_5_init_sequence_packed(void **s) { (void)s; init_sequence(true); }

/* ---- tests: receive bursts (avps_net_rx_burst) ------------------------------------- */

/* Counts the used-ring updates of one queue: the engine tells an attached
 * journal once per update (used_end), with the entries it made visible. */
struct pubcount {
    int updates;
    size_t entries;
};

static void pc_desc(void *c, uint16_t i, const struct avps_vq_desc *d)
{
    (void)c, (void)i, (void)d;
}
static void pc_taken(void *c, uint16_t id, uint16_t ndesc)
{
    (void)c, (void)id, (void)ndesc;
}
static void pc_abort(void *c) { (void)c; }
static void pc_begin(void *c, const struct avps_vq_used *u, size_t n, uint16_t idx, uint8_t wrap)
{
    (void)c, (void)u, (void)n, (void)idx, (void)wrap;
}
static void pc_end(void *c, const struct avps_vq_used *u, size_t n, uint16_t idx, uint8_t wrap)
{
    struct pubcount *pc = c;

    (void)u, (void)idx, (void)wrap;
    pc->updates++;
    pc->entries += n;
}
static int pc_fetch(void *c, uint16_t id, uint16_t i, struct avps_vq_desc *d)
{
    (void)c, (void)id, (void)i, (void)d;
    return 0;
}
static const struct avps_vq_journal pc_ops = {pc_desc, pc_taken, pc_abort, pc_begin, pc_end,
                                              pc_fetch};

static void pc_attach(struct netfix *f, unsigned int qi, struct pubcount *pc)
{
    memset(pc, 0, sizeof *pc);
    assert_int_equal(avps_vq_set_journal(avps_dev_vq(f->dev, (uint16_t)qi), &pc_ops, pc),
                     AVPS_OK);
}

/* Frames for a burst: frame i of lens[i] bytes to dst, its byte 14 marked. */
static uint8_t bf_data[AVPS_NET_RX_BURST][2000];

static void bf_make(struct avps_net_rx_frame *fr, const uint32_t *lens, unsigned int n,
                    const uint8_t *dst)
{
    for (unsigned int i = 0; i < n; i++) {
        assert_true(lens[i] <= sizeof bf_data[i]);
        frame_make(bf_data[i], lens[i], dst);
        if (lens[i] > 14)
            bf_data[i][14] = (uint8_t)(0x80 + i);
        fr[i].data = bf_data[i];
        fr[i].len = lens[i];
        fr[i].off = NULL;
    }
}

/* The next used entry of receive queue 0 is fr, whole in buffer id. */
static void expect_rx_frame(struct netfix *f, int id, const struct avps_net_rx_frame *fr)
{
    expect_used(f, 0, id, HDR + fr->len);
    assert_int_equal(avps_from_le16(rx_hdr(f, 0, id)->num_buffers), 1);
    assert_memory_equal(gptr(f, f->rx_gpa[0][id] + HDR, fr->len), fr->data, fr->len);
}

/* The next nb used entries of receive queue 0 are fr spread over buffers ids
 * of bsize bytes each: all but the last used completely (§5.1.6.4.1). */
static void expect_rx_mrg(struct netfix *f, const int *ids, unsigned int nb, uint32_t bsize,
                          const struct avps_net_rx_frame *fr)
{
    const uint8_t *want = fr->data;
    uint32_t off = 0;

    assert_int_equal(avps_from_le16(rx_hdr(f, 0, ids[0])->num_buffers), nb);
    for (unsigned int i = 0; i < nb; i++) {
        const uint32_t at = i == 0 ? HDR : 0;
        uint32_t chunk = bsize - at;

        if (chunk > fr->len - off)
            chunk = fr->len - off;
        expect_used(f, 0, ids[i], at + chunk);
        assert_memory_equal(gptr(f, f->rx_gpa[0][ids[i]] + at, chunk), want + off, chunk);
        off += chunk;
    }
    assert_int_equal(off, fr->len);
}

/* A burst of AVPS_NET_RX_BURST frames: every buffer returned with one used-ring
 * update (used idx moves once, by the whole burst) and one notification. */
static void rx_burst(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    struct avps_net_rx_frame fr[AVPS_NET_RX_BURST];
    uint32_t lens[AVPS_NET_RX_BURST];
    int id[AVPS_NET_RX_BURST];
    struct pubcount pc;
    uint64_t bytes = 0;
    uint16_t idx0 = 0;
    int notes;

    for (unsigned int i = 0; i < AVPS_NET_RX_BURST; i++) {
        lens[i] = 60 + 40 * i;
        bytes += lens[i];
        id[i] = nf_post(f, 0, 1526);
    }
    bf_make(fr, lens, AVPS_NET_RX_BURST, dev_mac);
    pc_attach(f, 0, &pc);
    if (!packed)
        idx0 = rd_used_idx(&f->q[0]);
    notes = f->ft.queue_notes;
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, AVPS_NET_RX_BURST), AVPS_NET_RX_BURST);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(pc.entries, AVPS_NET_RX_BURST);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    if (!packed)
        assert_int_equal((uint16_t)(rd_used_idx(&f->q[0]) - idx0), AVPS_NET_RX_BURST);
    for (unsigned int i = 0; i < AVPS_NET_RX_BURST; i++)
        expect_rx_frame(f, id[i], &fr[i]);
    assert_int_equal(f->net.stats.rx_packets, AVPS_NET_RX_BURST);
    assert_int_equal(f->net.stats.rx_bytes, bytes);
    /* more frames than AVPS_NET_RX_BURST: refused, nothing done; none: nothing */
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, AVPS_NET_RX_BURST + 1), AVPS_E_INVAL);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 0), 0);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    assert_int_equal(f->net.stats.rx_no_buffers, 0);
    assert_int_equal(avps_dev_guest_errors(f->dev), 0);
    nf_free(f);
}
static void test_5_1_6_4_rx_burst_split(void **s) { (void)s; rx_burst(false); }
static void test_5_1_6_4_rx_burst_packed(void **s) { (void)s; rx_burst(true); }

/* §5.1.6.3: the burst stops at the first frame that finds no buffers, says
 * how many it took, and publishes those; the rest waits for rx_ready. */
static void rx_burst_again(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    const uint32_t lens[5] = {64, 100, 200, 300, 400};
    struct avps_net_rx_frame fr[5];
    struct pubcount pc;
    int id[5];
    int notes;

    bf_make(fr, lens, 5, dev_mac);
    for (int i = 0; i < 3; i++)
        id[i] = nf_post(f, 0, 1526);
    pc_attach(f, 0, &pc);
    notes = f->ft.queue_notes;
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 5), 3);
    assert_int_equal(f->net.stats.rx_no_buffers, 1);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    for (int i = 0; i < 3; i++)
        expect_rx_frame(f, id[i], &fr[i]);
    expect_no_used(f, 0);
    /* still nothing: no frame taken, nothing published, no notification */
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr + 3, 2), 0);
    assert_int_equal(f->net.stats.rx_no_buffers, 2);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    id[3] = nf_post(f, 0, 1526);
    id[4] = nf_post(f, 0, 1526);
    f->rx_ready_calls = 0;
    assert_int_equal(avps_dev_queue_notify(f->dev, 0), 0);
    assert_int_equal(f->rx_ready_calls, 1);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr + 3, 2), 2);
    expect_rx_frame(f, id[3], &fr[3]);
    expect_rx_frame(f, id[4], &fr[4]);
    assert_int_equal(f->net.stats.rx_packets, 5);
    assert_int_equal(pc.updates, 2);
    nf_free(f);
}
static void test_5_1_6_3_rx_burst_stops_without_buffers_split(void **s) { (void)s; rx_burst_again(false); }
static void test_5_1_6_3_rx_burst_stops_without_buffers_packed(void **s) { (void)s; rx_burst_again(true); }

/* Refused and filtered frames in the middle of a burst are consumed (each
 * counted) and the frames around them delivered in one update; without
 * MRG_RXBUF a frame too long for the next buffer leaves it to the next frame. */
static void rx_burst_refusals(bool packed)
{
    struct netfix *f = nf_make(packed, CTRL_FEATURES, 1, 1500, false);
    const uint32_t lens[8] = {100, 0, 80, 1515, 64, 300, 50, 200};
    struct avps_net_rx_frame fr[8];
    struct avps_net_offload o;
    struct pubcount pc;
    int id0, id1, id2;

    nf_start(f, CTRL_FEATURES | NF(MTU));
    assert_int_equal(ctrl1(f, 0, AVPS_VIRTIO_NET_CTRL_RX_PROMISC, 0), OK_);
    bf_make(fr, lens, 8, dev_mac);
    memcpy(bf_data[2], other, 6);              /* 2: filtered (not our MAC) */
    memset(&o, 0, sizeof o);                   /* 1: no bytes; 3: beyond the MTU */
    o.flags = AVPS_VIRTIO_NET_HDR_F_DATA_VALID; /* 4: GUEST_CSUM not negotiated */
    fr[4].off = &o;
    fr[1].data = NULL;                          /* no frame at all */
    id0 = nf_post(f, 0, 2000);
    id1 = nf_post(f, 0, 100); /* 5: 300 bytes do not fit; 6 takes it */
    id2 = nf_post(f, 0, 2000);
    pc_attach(f, 0, &pc);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 8), 8);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(pc.entries, 3);
    expect_rx_frame(f, id0, &fr[0]);
    expect_rx_frame(f, id1, &fr[6]);
    expect_rx_frame(f, id2, &fr[7]);
    expect_no_used(f, 0);
    assert_int_equal(f->net.stats.rx_packets, 3);
    assert_int_equal(f->net.stats.rx_dropped, 4);
    assert_int_equal(f->net.stats.rx_filtered, 1);
    assert_int_equal(f->net.stats.rx_no_buffers, 0);
    nf_free(f);
}
static void test_net_rx_burst_refusals_in_the_middle_split(void **s) { (void)s; rx_burst_refusals(false); }
static void test_net_rx_burst_refusals_in_the_middle_packed(void **s) { (void)s; rx_burst_refusals(true); }

/* §5.1.6.4.1: frames over several buffers in one burst, each frame's buffers
 * consecutive, all in one update; a frame that cannot gather enough keeps the
 * buffers it took for the next call. */
static void rx_burst_mrg(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF));
    const uint32_t lens[4] = {1000, 50, 700, 1000};
    struct avps_net_rx_frame fr[4];
    struct pubcount pc;
    int id[8];

    bf_make(fr, lens, 4, dev_mac);
    for (int i = 0; i < 8; i++)
        id[i] = nf_post(f, 0, 400);
    pc_attach(f, 0, &pc);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 4), 3);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(pc.entries, 6);
    expect_rx_mrg(f, &id[0], 3, 400, &fr[0]);
    expect_rx_mrg(f, &id[3], 1, 400, &fr[1]);
    expect_rx_mrg(f, &id[4], 2, 400, &fr[2]);
    expect_no_used(f, 0);
    assert_int_equal(f->pairs[0].rx_nheld, 2); /* id[6], id[7] kept for frame 3 */
    id[0] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr + 3, 1), 1);
    {
        const int ids[3] = {id[6], id[7], id[0]};

        expect_rx_mrg(f, ids, 3, 400, &fr[3]);
    }
    assert_int_equal(f->net.stats.rx_packets, 4);
    nf_free(f);
}
static void test_5_1_6_4_1_rx_burst_mrg_split(void **s) { (void)s; rx_burst_mrg(false); }
static void test_5_1_6_4_1_rx_burst_mrg_packed(void **s) { (void)s; rx_burst_mrg(true); }

/* A burst whose buffers need more used entries than the device keeps
 * (AVPS_NET_RX_BUFS) publishes more than once, never splitting a frame. */
static void rx_burst_full(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF));
    struct avps_net_rx_frame fr[AVPS_NET_RX_BURST];
    uint32_t lens[AVPS_NET_RX_BURST];
    int id[3 * AVPS_NET_RX_BURST];
    struct pubcount pc;
    int notes;

    for (unsigned int i = 0; i < AVPS_NET_RX_BURST; i++)
        lens[i] = 1000; /* 3 buffers of 400 each */
    bf_make(fr, lens, AVPS_NET_RX_BURST, dev_mac);
    for (unsigned int i = 0; i < 3 * AVPS_NET_RX_BURST; i++)
        id[i] = nf_post(f, 0, 400);
    pc_attach(f, 0, &pc);
    notes = f->ft.queue_notes;
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, AVPS_NET_RX_BURST), AVPS_NET_RX_BURST);
    /* 21 frames (63 entries) fit, the 22nd does not: two updates, one notification */
    assert_int_equal(pc.updates, 2);
    assert_int_equal(pc.entries, 3 * AVPS_NET_RX_BURST);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    for (unsigned int i = 0; i < AVPS_NET_RX_BURST; i++)
        expect_rx_mrg(f, &id[3 * i], 3, 400, &fr[i]);
    assert_int_equal(f->net.stats.rx_packets, AVPS_NET_RX_BURST);
    nf_free(f);
}
static void test_net_rx_burst_publishes_when_full_split(void **s) { (void)s; rx_burst_full(false); }
static void test_net_rx_burst_publishes_when_full_packed(void **s) { (void)s; rx_burst_full(true); }

/* Mangle: buffers the device cannot use (readable) met in a burst go back
 * unused, in the burst's updates, each counted and reported once. */
static void rx_burst_unusable(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    const uint32_t lens[2] = {64, 64};
    struct avps_net_rx_frame fr[2];
    struct pubcount pc;
    int bad[70], good[2];

    bf_make(fr, lens, 2, dev_mac);
    for (int i = 0; i < 70; i++) {
        bad[i] = rd_add_simple(&f->q[0], 16, 0, 0);
        assert_true(bad[i] >= 0);
    }
    good[0] = nf_post(f, 0, 200);
    good[1] = nf_post(f, 0, 200);
    pc_attach(f, 0, &pc);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 2), 2);
    assert_int_equal(pc.updates, 2); /* 64 entries, then the rest */
    assert_int_equal(pc.entries, 72);
    for (int i = 0; i < 70; i++)
        expect_used(f, 0, bad[i], 0);
    expect_rx_frame(f, good[0], &fr[0]);
    expect_rx_frame(f, good[1], &fr[1]);
    assert_int_equal(f->net.stats.rx_bad_buffers, 70);
    assert_int_equal(f->g.reports[EV_REQ], 70);
    assert_int_equal(f->net.stats.rx_packets, 2);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_net_rx_burst_many_unusable_buffers_split(void **s) { (void)s; rx_burst_unusable(false); }
static void test_net_rx_burst_many_unusable_buffers_packed(void **s) { (void)s; rx_burst_unusable(true); }

/* Point the most recent buffer of queue qi at guest memory that is not there. */
static void nf_mangle_last_addr(struct netfix *f, unsigned int qi)
{
    struct rd_queue *q = &f->q[qi];
    uint16_t d = rd_last_head(q);

    if (f->packed)
        rd_packed_desc(q, d)->addr = avps_to_le64(MEM + 64);
    else
        rd_split_desc(q, d)->addr = avps_to_le64(MEM + 64);
}

/* Mangle: a malformed chain in the middle of a burst is returned by the engine
 * at once (length 0, its own update); the burst goes on around it. */
static void rx_burst_malformed(bool packed)
{
    struct netfix *f = nf_new(packed, 0, 0);
    const uint32_t lens[3] = {64, 65, 66};
    struct avps_net_rx_frame fr[3];
    struct pubcount pc;
    int id0, bad, id2, id3;

    bf_make(fr, lens, 3, dev_mac);
    id0 = nf_post(f, 0, 200);
    bad = nf_post(f, 0, 200);
    nf_mangle_last_addr(f, 0);
    id2 = nf_post(f, 0, 200);
    id3 = nf_post(f, 0, 200);
    pc_attach(f, 0, &pc);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 3), 3);
    assert_int_equal(pc.updates, 2);
    expect_used(f, 0, bad, 0);
    expect_rx_frame(f, id0, &fr[0]);
    expect_rx_frame(f, id2, &fr[1]);
    expect_rx_frame(f, id3, &fr[2]);
    assert_int_equal(avps_vq_stats(avps_dev_vq(f->dev, 0))->dropped, 1);
    assert_int_equal(f->g.reports[AVPS_EV_CHAIN_DROPPED], 1);
    assert_false(avps_dev_needs_reset(f->dev));
    assert_int_equal(f->net.stats.rx_packets, 3);
    nf_free(f);
}
static void test_net_rx_burst_malformed_chain_split(void **s) { (void)s; rx_burst_malformed(false); }
static void test_net_rx_burst_malformed_chain_packed(void **s) { (void)s; rx_burst_malformed(true); }

/* Mangle, with IN_ORDER: the engine cannot return a malformed chain ahead of
 * the burst's older buffers, so the queue breaks (NEEDS_RESET); the frames
 * written but not yet returned are lost with it and counted as dropped. */
static void rx_burst_in_order_malformed(bool packed)
{
    struct netfix *f = nf_new(packed, 0, F_BIT(IN_ORDER));
    const uint32_t lens[4] = {64, 65, 66, 67};
    struct avps_net_rx_frame fr[4];

    assert_true(avps_dev_features(f->dev) & F_BIT(IN_ORDER));
    bf_make(fr, lens, 4, dev_mac);
    nf_post(f, 0, 200);
    nf_post(f, 0, 200);
    nf_post(f, 0, 200);
    nf_mangle_last_addr(f, 0);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 4), AVPS_E_STATE);
    assert_true(avps_dev_needs_reset(f->dev));
    expect_no_used(f, 0);
    assert_int_equal(f->net.stats.rx_packets, 0);
    assert_int_equal(f->net.stats.rx_dropped, 4); /* 2 written, the one that broke, 1 after */
    /* a queue that is not live: every frame refused and counted */
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 4), AVPS_E_STATE);
    assert_int_equal(f->net.stats.rx_dropped, 8);
    nf_free(f);
}
static void test_net_in_order_rx_malformed_chain_breaks_queue_split(void **s) { (void)s; rx_burst_in_order_malformed(false); }
static void test_net_in_order_rx_malformed_chain_breaks_queue_packed(void **s) { (void)s; rx_burst_in_order_malformed(true); }

/* Link down: the burst is refused whole, every frame counted. */
static void test_net_rx_burst_link_down(void **s)
{
    struct netfix *f = nf_new(false, 0, 0);
    const uint32_t lens[3] = {64, 65, 66};
    struct avps_net_rx_frame fr[3];

    (void)s;
    bf_make(fr, lens, 3, dev_mac);
    nf_post(f, 0, 200);
    avps_net_set_link(&f->net, false);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 3), AVPS_E_STATE);
    assert_int_equal(f->net.stats.rx_dropped, 3);
    expect_no_used(f, 0);
    avps_net_set_link(&f->net, true);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 3), 1);
    assert_int_equal(f->net.stats.rx_no_buffers, 1);
    nf_free(f);
}

/* ---- tests: IN_ORDER (§6.2) --------------------------------------------------------- */

/* Frames over several buffers: used entries in the order the buffers were
 * made available, the completely used ones possibly folded into the run's
 * last entry (§2.7.9, §2.8.8; ringdrv expands them). */
static void in_order_rx_mrg(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF) | F_BIT(IN_ORDER));
    const uint32_t lens[3] = {1000, 50, 700};
    struct avps_net_rx_frame fr[3];
    struct pubcount pc;
    int id[6];

    assert_true(avps_dev_features(f->dev) & F_BIT(IN_ORDER));
    bf_make(fr, lens, 3, dev_mac);
    for (int i = 0; i < 6; i++)
        id[i] = nf_post(f, 0, 400);
    pc_attach(f, 0, &pc);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 3), 3);
    assert_int_equal(pc.updates, 1);
    expect_rx_mrg(f, &id[0], 3, 400, &fr[0]);
    expect_rx_mrg(f, &id[3], 1, 400, &fr[1]);
    expect_rx_mrg(f, &id[4], 2, 400, &fr[2]);
    assert_int_equal(f->q[0].bad_used, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_6_2_net_in_order_rx_mrg_split(void **s) { (void)s; in_order_rx_mrg(false); }
static void test_6_2_net_in_order_rx_mrg_packed(void **s) { (void)s; in_order_rx_mrg(true); }

/* With IN_ORDER the net device still writes one used entry per buffer, each
 * with its own id and length: DPDK's virtio receive paths read every entry
 * (split: the len of each slot; packed: each descriptor's flags), so a frame
 * over three buffers folded into one entry would be misread there. */
static void in_order_used_each(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF) | F_BIT(IN_ORDER));
    const uint32_t lens[2] = {1000, 700};
    const uint32_t want[5] = {400, 400, 212, 400, 312}; /* 12-byte header first */
    struct avps_net_rx_frame fr[2];
    int id[5];

    bf_make(fr, lens, 2, dev_mac);
    for (int i = 0; i < 5; i++)
        id[i] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 2), 2);
    for (uint16_t i = 0; i < 5; i++) {
        if (packed) {
            const struct avps_pvirtq_desc *d = rd_packed_desc(&f->q[0], i);
            const uint16_t fl = avps_from_le16(d->flags);

            assert_int_equal(avps_from_le16(d->id), id[i]);
            assert_int_equal(avps_from_le32(d->len), want[i]);
            assert_true((fl & AVPS_VRING_PACKED_DESC_F_AVAIL) != 0u);
            assert_true((fl & AVPS_VRING_PACKED_DESC_F_USED) != 0u);
        } else {
            const struct avps_vring_used *u = (const struct avps_vring_used *)f->q[0].device_p;

            assert_int_equal(avps_from_le32(u->ring[i].id), id[i]);
            assert_int_equal(avps_from_le32(u->ring[i].len), want[i]);
        }
    }
    if (!packed)
        assert_int_equal(rd_used_idx(&f->q[0]), 5);
    expect_rx_mrg(f, &id[0], 3, 400, &fr[0]);
    expect_rx_mrg(f, &id[3], 2, 400, &fr[1]);
    assert_int_equal(f->q[0].bad_used, 0);
    nf_free(f);
}
static void test_6_2_net_in_order_used_each_split(void **s) { (void)s; in_order_used_each(false); }
static void test_6_2_net_in_order_used_each_packed(void **s) { (void)s; in_order_used_each(true); }

/* Mangle, with IN_ORDER: a buffer the device cannot use in the middle of a
 * frame's gather. The buffers held before it go back first (unused), then it,
 * then the frame in the buffers after it: used order = available order. The
 * same with a buffer held from an earlier call, and with a buffer of more
 * pieces than the device keeps. */
static void in_order_bad_mid_gather(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF) | F_BIT(IN_ORDER));
    static struct rd_buf b[AVPS_NET_RX_SEGS + 1];
    const uint32_t lens[2] = {1000, 100};
    struct avps_net_rx_frame fr[2];
    int id[6], c[5];
    uint64_t gpa;

    bf_make(fr, lens, 2, dev_mac);
    id[0] = nf_post(f, 0, 400);
    id[1] = nf_post(f, 0, 400);
    id[2] = rd_add_simple(&f->q[0], 16, 0, 0); /* readable */
    assert_true(id[2] >= 0);
    for (int i = 3; i < 6; i++)
        id[i] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 1), 1);
    expect_used(f, 0, id[0], 0);
    expect_used(f, 0, id[1], 0);
    expect_used(f, 0, id[2], 0);
    expect_rx_mrg(f, &id[3], 3, 400, &fr[0]);
    assert_int_equal(f->net.stats.rx_bad_buffers, 1);
    assert_int_equal(f->g.reports[EV_REQ], 1);
    assert_int_equal(f->g.last_report_a, (unsigned int)id[2]);
    assert_int_equal(f->g.last_report_b, 16); /* its readable bytes */
    /* a buffer held from an earlier call goes back before the bad one too */
    c[0] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr[0].data, fr[0].len), AVPS_E_AGAIN);
    assert_int_equal(f->pairs[0].rx_nheld, 1);
    c[1] = rd_add_simple(&f->q[0], 0, 8, 0); /* shorter than the header (§5.1.6.3.1) */
    assert_true(c[1] >= 0);
    for (int i = 2; i < 5; i++)
        c[i] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx(&f->net, 0, NULL, fr[0].data, fr[0].len), 1);
    expect_used(f, 0, c[0], 0);
    expect_used(f, 0, c[1], 0);
    expect_rx_mrg(f, &c[2], 3, 400, &fr[0]);
    /* nothing held: a buffer of too many pieces is skipped in its place */
    gpa = rd_alloc(&f->q[0], 16 * (AVPS_NET_RX_SEGS + 1));
    for (unsigned int i = 0; i < AVPS_NET_RX_SEGS + 1; i++)
        b[i] = (struct rd_buf){gpa + 16 * i, 16, true};
    c[0] = rd_add(&f->q[0], b, AVPS_NET_RX_SEGS + 1, 0);
    assert_true(c[0] >= 0);
    c[1] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr + 1, 1), 1);
    expect_used(f, 0, c[0], 0);
    expect_rx_frame(f, c[1], &fr[1]);
    assert_int_equal(f->net.stats.rx_bad_buffers, 3);
    assert_int_equal(f->net.stats.rx_packets, 3);
    assert_int_equal(f->q[0].bad_used, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_6_2_net_in_order_bad_buffer_mid_gather_split(void **s) { (void)s; in_order_bad_mid_gather(false); }
static void test_6_2_net_in_order_bad_buffer_mid_gather_packed(void **s) { (void)s; in_order_bad_mid_gather(true); }

/* With IN_ORDER: refused packets (a bad header, too many pieces, a short
 * header) in the middle of a transmit batch complete in their place, with the
 * taken ones, in one update; a parked packet keeps the ones behind it back;
 * more than a batch (32) goes in two updates. */
static void in_order_tx(bool packed)
{
    struct netfix *f = nf_new(packed, 0, F_BIT(IN_ORDER));
    static struct rd_buf b[AVPS_NET_SEGS + 1];
    struct avps_virtio_net_hdr h = hdr_plain(), bad = hdr_plain();
    struct pubcount pc;
    struct rd_done d;
    int id[40];
    uint64_t gpa;
    int notes;

    assert_true(avps_dev_features(f->dev) & F_BIT(IN_ORDER));
    bad.gso_type = AVPS_VIRTIO_NET_HDR_GSO_TCPV4; /* HOST_TSO4 not negotiated */
    id[0] = nf_tx_add(f, 0, &h, HDR, 60, false, false);
    id[1] = nf_tx_add(f, 0, &bad, HDR, 60, false, false);
    id[2] = nf_tx_add(f, 0, &h, HDR, 61, true, false);
    gpa = rd_alloc(&f->q[1], 16 * (AVPS_NET_SEGS + 1));
    memset(gptr(f, gpa, 16 * (AVPS_NET_SEGS + 1)), 0, 16 * (AVPS_NET_SEGS + 1));
    for (unsigned int i = 0; i < AVPS_NET_SEGS + 1; i++)
        b[i] = (struct rd_buf){gpa + 16 * i, 16, false};
    id[3] = rd_add(&f->q[1], b, AVPS_NET_SEGS + 1, 0);
    assert_true(id[3] >= 0);
    id[4] = nf_tx_add(f, 0, &h, 11, 0, false, false); /* short header */
    id[5] = nf_tx_add(f, 0, &h, HDR, 62, false, false);
    pc_attach(f, 1, &pc);
    notes = f->ft.queue_notes;
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 6);
    assert_int_equal(pc.updates, 1);
    assert_int_equal(f->ft.queue_notes, notes + 1);
    for (int i = 0; i < 6; i++)
        expect_used(f, 1, id[i], 0);
    assert_int_equal(f->tx_calls, 3);
    assert_int_equal(f->tx_len, 62);
    assert_int_equal(f->net.stats.tx_malformed, 3);
    /* the backend parks the third of four: two complete, two wait */
    for (int i = 0; i < 4; i++)
        id[i] = nf_tx_add(f, 0, &h, HDR, (uint32_t)(70 + i), false, false);
    f->tx_again_at = f->tx_calls + 3;
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 2);
    expect_used(f, 1, id[0], 0);
    expect_used(f, 1, id[1], 0);
    expect_no_used(f, 1);
    assert_int_equal(f->pairs[0].tx_parked, 1);
    assert_int_equal(avps_net_tx_resume(&f->net, 0), 2);
    expect_used(f, 1, id[2], 0);
    expect_used(f, 1, id[3], 0);
    assert_int_equal(f->tx_len, 73);
    /* 40 packets: a batch of 32, then 8 */
    for (int i = 0; i < 40; i++)
        id[i] = nf_tx_add(f, 0, &h, HDR, 60, false, false);
    pc.updates = 0;
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 40);
    assert_int_equal(pc.updates, 2);
    for (int i = 0; i < 40; i++)
        expect_used(f, 1, id[i], 0);
    assert_int_equal(rd_get_used(&f->q[1], &d), 0);
    assert_int_equal(f->q[1].bad_used, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_6_2_net_in_order_tx_refuse_mid_batch_split(void **s) { (void)s; in_order_tx(false); }
static void test_6_2_net_in_order_tx_refuse_mid_batch_packed(void **s) { (void)s; in_order_tx(true); }

/* With IN_ORDER: control requests (answered, too many pieces, no room for the
 * ack) complete in the order they came. */
static void in_order_ctrl(bool packed)
{
    struct netfix *f = nf_new(packed, CTRL_FEATURES, CTRL_FEATURES | F_BIT(IN_ORDER));
    const unsigned int qi = f->nq - 1;
    struct rd_queue *q = &f->q[qi];
    static struct rd_buf b[AVPS_NET_SEGS + 2];
    struct rd_done d;
    uint64_t gpa, ack[2];
    int id[4];

    assert_true(avps_dev_features(f->dev) & F_BIT(IN_ORDER));
    for (int k = 0; k < 2; k++) {
        const uint8_t req[3] = {AVPS_VIRTIO_NET_CTRL_RX, (uint8_t)k, 1}; /* PROMISC, ALLMULTI on */

        gpa = rd_alloc(q, 3);
        memcpy(gptr(f, gpa, 3), req, 3);
        ack[k] = rd_alloc(q, 1);
        *(uint8_t *)gptr(f, ack[k], 1) = 0xaa;
        b[0] = (struct rd_buf){gpa, 3, false};
        b[1] = (struct rd_buf){ack[k], 1, true};
        id[k == 0 ? 0 : 3] = rd_add(q, b, 2, 0);
        if (k == 0) {
            gpa = rd_alloc(q, 4 * (AVPS_NET_SEGS + 1) + 1);
            memset(gptr(f, gpa, 4 * (AVPS_NET_SEGS + 1) + 1), 0, 4 * (AVPS_NET_SEGS + 1) + 1);
            for (unsigned int i = 0; i < AVPS_NET_SEGS + 1; i++)
                b[i] = (struct rd_buf){gpa + 4 * i, 4, false};
            b[AVPS_NET_SEGS + 1] = (struct rd_buf){gpa + 4 * (AVPS_NET_SEGS + 1), 1, true};
            id[1] = rd_add(q, b, AVPS_NET_SEGS + 2, 0); /* too many pieces */
            b[0] = (struct rd_buf){gpa, 3, false};
            id[2] = rd_add(q, b, 1, 0);                 /* no room for the ack */
        }
    }
    for (int i = 0; i < 4; i++)
        assert_true(id[i] >= 0);
    assert_int_equal(avps_dev_queue_notify(f->dev, (uint16_t)qi), 4);
    expect_used(f, qi, id[0], 1);
    expect_used(f, qi, id[1], 0);
    expect_used(f, qi, id[2], 0);
    expect_used(f, qi, id[3], 1);
    assert_int_equal(rd_get_used(q, &d), 0);
    assert_int_equal(*(uint8_t *)gptr(f, ack[0], 1), OK_);
    assert_int_equal(*(uint8_t *)gptr(f, ack[1], 1), OK_);
    assert_int_equal(f->net.stats.ctrl_malformed, 2);
    assert_int_equal(q->bad_used, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_6_2_net_in_order_ctrl_split(void **s) { (void)s; in_order_ctrl(false); }
static void test_6_2_net_in_order_ctrl_packed(void **s) { (void)s; in_order_ctrl(true); }

/* Reset queue qi (RING_RESET style) and set it up again with a fresh ring. */
static void nf_requeue(struct netfix *f, unsigned int qi)
{
    const uint64_t feat = f->q[qi].features;
    struct avps_dev *d = f->dev;

    assert_int_equal(avps_dev_queue_reset(d, (uint16_t)qi), AVPS_OK);
    rd_fini(&f->q[qi]);
    assert_int_equal(rd_init(&f->q[qi], &f->g, f->packed, QSIZE, feat, 0x1000 + 0x20000ull * qi,
                             (8ull << 20) + (4ull << 20) * qi, 4ull << 20), 0);
    assert_int_equal(avps_dev_queue_set_size(d, (uint16_t)qi, QSIZE), AVPS_OK);
    avps_dev_queue_set_addr(d, (uint16_t)qi, AVPS_DEV_AREA_DESC, f->q[qi].desc);
    avps_dev_queue_set_addr(d, (uint16_t)qi, AVPS_DEV_AREA_DRIVER, f->q[qi].driver);
    avps_dev_queue_set_addr(d, (uint16_t)qi, AVPS_DEV_AREA_DEVICE, f->q[qi].device);
    assert_int_equal(avps_dev_queue_enable(d, (uint16_t)qi), AVPS_OK);
}

/* With IN_ORDER: a queue reset forgets the buffers held for a frame and the
 * parked packet; the new rings start in order. */
static void in_order_queue_reset(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF) | F_BIT(IN_ORDER));
    struct avps_virtio_net_hdr h = hdr_plain();
    const uint32_t lens[1] = {1000};
    struct avps_net_rx_frame fr[1];
    int id[3];

    bf_make(fr, lens, 1, dev_mac);
    nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 1), 0);
    assert_int_equal(f->pairs[0].rx_nheld, 1);
    f->tx_ret = AVPS_E_AGAIN;
    nf_tx(f, &h, 60);
    assert_int_equal(f->pairs[0].tx_parked, 1);
    nf_requeue(f, 0);
    nf_requeue(f, 1);
    assert_int_equal(f->pairs[0].rx_nheld, 0);
    assert_int_equal(f->pairs[0].tx_parked, 0);
    for (int i = 0; i < 3; i++)
        id[i] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 1), 1);
    expect_rx_mrg(f, id, 3, 400, &fr[0]);
    f->tx_ret = 0;
    id[0] = nf_tx(f, &h, 60);
    id[1] = nf_tx(f, &h, 61);
    expect_used(f, 1, id[0], 0);
    expect_used(f, 1, id[1], 0);
    assert_int_equal(f->q[0].bad_used + f->q[1].bad_used, 0);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_6_2_net_in_order_queue_reset_split(void **s) { (void)s; in_order_queue_reset(false); }
static void test_6_2_net_in_order_queue_reset_packed(void **s) { (void)s; in_order_queue_reset(true); }

/* Mangle, without IN_ORDER: a buffer the device cannot use in the middle of a
 * frame's gather goes back at once; the buffer held before it stays and the
 * frame continues in the buffers after it. */
static void rx_bad_mid_gather(bool packed)
{
    struct netfix *f = nf_new(packed, NF(MRG_RXBUF), NF(MRG_RXBUF));
    const uint32_t lens[1] = {1000};
    struct avps_net_rx_frame fr[1];
    int id[4];

    bf_make(fr, lens, 1, dev_mac);
    id[0] = nf_post(f, 0, 400);
    id[1] = rd_add_simple(&f->q[0], 16, 0, 0); /* readable */
    assert_true(id[1] >= 0);
    id[2] = nf_post(f, 0, 400);
    id[3] = nf_post(f, 0, 400);
    assert_int_equal(avps_net_rx_burst(&f->net, 0, fr, 1), 1);
    expect_used(f, 0, id[1], 0);
    {
        const int ids[3] = {id[0], id[2], id[3]};

        expect_rx_mrg(f, ids, 3, 400, &fr[0]);
    }
    assert_int_equal(f->net.stats.rx_bad_buffers, 1);
    assert_int_equal(f->g.last_report_a, (unsigned int)id[1]);
    assert_false(avps_dev_needs_reset(f->dev));
    nf_free(f);
}
static void test_5_1_6_3_1_bad_buffer_mid_gather_split(void **s) { (void)s; rx_bad_mid_gather(false); }
static void test_5_1_6_3_1_bad_buffer_mid_gather_packed(void **s) { (void)s; rx_bad_mid_gather(true); }

/* Mangle, with IN_ORDER: a malformed transmit chain behind packets taken in the
 * same pass breaks the queue (the engine cannot return it ahead of them); the
 * packets the backend took are counted, their completions go with the queue. */
static void in_order_tx_malformed(bool packed)
{
    struct netfix *f = nf_new(packed, 0, F_BIT(IN_ORDER));
    struct avps_virtio_net_hdr h = hdr_plain();

    nf_tx_add(f, 0, &h, HDR, 60, false, false);
    nf_tx_add(f, 0, &h, HDR, 61, false, false);
    nf_mangle_last_addr(f, 1);
    assert_int_equal(avps_dev_queue_notify(f->dev, 1), 0);
    assert_true(avps_dev_needs_reset(f->dev));
    assert_int_equal(f->tx_calls, 1);
    assert_int_equal(f->net.stats.tx_packets, 1);
    expect_no_used(f, 1);
    nf_free(f);
}
static void test_net_in_order_tx_malformed_chain_breaks_queue_split(void **s) { (void)s; in_order_tx_malformed(false); }
static void test_net_in_order_tx_malformed_chain_breaks_queue_packed(void **s) { (void)s; in_order_tx_malformed(true); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_5_1_2_queue_layout),
        cmocka_unit_test(test_5_1_3_1_feature_dependencies),
        cmocka_unit_test(test_5_1_4_config_layout),
        cmocka_unit_test(test_5_1_4_link_status_change),
        cmocka_unit_test(test_5_1_4_1_config_limits_at_init),
        cmocka_unit_test(test_5_1_4_1_rx_beyond_mtu_refused),
        cmocka_unit_test(test_5_1_5_init_sequence_split),
        cmocka_unit_test(test_5_1_5_init_sequence_packed),
        cmocka_unit_test(test_5_1_6_2_tx_frame_to_backend_split),
        cmocka_unit_test(test_5_1_6_2_tx_frame_to_backend_packed),
        cmocka_unit_test(test_5_1_6_2_tx_offloads_parsed_split),
        cmocka_unit_test(test_5_1_6_2_tx_offloads_parsed_packed),
        cmocka_unit_test(test_5_1_6_2_2_unknown_flags_ignored),
        cmocka_unit_test(test_5_1_6_2_2_csum_fields_unused_without_needs_csum),
        cmocka_unit_test(test_5_1_6_2_1_mangle_header_split),
        cmocka_unit_test(test_5_1_6_2_1_mangle_header_packed),
        cmocka_unit_test(test_5_1_6_2_1_mangle_no_offload_negotiated),
        cmocka_unit_test(test_5_1_6_2_1_mangle_layout),
        cmocka_unit_test(test_net_tx_too_long_and_too_many_segments),
        cmocka_unit_test(test_net_tx_backend_again_split),
        cmocka_unit_test(test_net_tx_backend_again_packed),
        cmocka_unit_test(test_5_1_6_4_rx_single_buffer_split),
        cmocka_unit_test(test_5_1_6_4_rx_single_buffer_packed),
        cmocka_unit_test(test_5_1_6_3_2_one_buffer_without_mrg_rxbuf),
        cmocka_unit_test(test_5_1_6_4_1_mrg_rxbuf_split),
        cmocka_unit_test(test_5_1_6_4_1_mrg_rxbuf_packed),
        cmocka_unit_test(test_net_rx_more_buffers_than_held),
        cmocka_unit_test(test_5_1_6_3_1_mangle_rx_buffers),
        cmocka_unit_test(test_5_1_6_4_1_rx_offloads),
        cmocka_unit_test(test_5_1_6_4_1_no_flags_without_guest_csum),
        cmocka_unit_test(test_net_rx_refusals),
        cmocka_unit_test(test_5_1_6_5_ctrl_dispatch_split),
        cmocka_unit_test(test_5_1_6_5_ctrl_dispatch_packed),
        cmocka_unit_test(test_5_1_6_5_mangle_ctrl_lengths_and_features),
        cmocka_unit_test(test_5_1_6_5_1_1_rx_modes_split),
        cmocka_unit_test(test_5_1_6_5_1_1_rx_modes_packed),
        cmocka_unit_test(test_5_1_6_5_2_1_mac_table),
        cmocka_unit_test(test_5_1_6_5_2_1_mac_addr_without_mac_feature),
        cmocka_unit_test(test_5_1_6_5_3_1_vlan_filter),
        cmocka_unit_test(test_5_1_6_5_4_2_announce_ack),
        cmocka_unit_test(test_5_1_6_5_6_2_mq_steering_split),
        cmocka_unit_test(test_5_1_6_5_6_2_mq_steering_packed),
        cmocka_unit_test(test_net_ctrl_external),
        cmocka_unit_test(test_net_queue_reset_forgets),
        cmocka_unit_test(test_net_edges),
        cmocka_unit_test(test_5_1_6_4_rx_burst_split),
        cmocka_unit_test(test_5_1_6_4_rx_burst_packed),
        cmocka_unit_test(test_5_1_6_3_rx_burst_stops_without_buffers_split),
        cmocka_unit_test(test_5_1_6_3_rx_burst_stops_without_buffers_packed),
        cmocka_unit_test(test_net_rx_burst_refusals_in_the_middle_split),
        cmocka_unit_test(test_net_rx_burst_refusals_in_the_middle_packed),
        cmocka_unit_test(test_5_1_6_4_1_rx_burst_mrg_split),
        cmocka_unit_test(test_5_1_6_4_1_rx_burst_mrg_packed),
        cmocka_unit_test(test_net_rx_burst_publishes_when_full_split),
        cmocka_unit_test(test_net_rx_burst_publishes_when_full_packed),
        cmocka_unit_test(test_net_rx_burst_many_unusable_buffers_split),
        cmocka_unit_test(test_net_rx_burst_many_unusable_buffers_packed),
        cmocka_unit_test(test_net_rx_burst_malformed_chain_split),
        cmocka_unit_test(test_net_rx_burst_malformed_chain_packed),
        cmocka_unit_test(test_net_in_order_rx_malformed_chain_breaks_queue_split),
        cmocka_unit_test(test_net_in_order_rx_malformed_chain_breaks_queue_packed),
        cmocka_unit_test(test_net_rx_burst_link_down),
        cmocka_unit_test(test_6_2_net_in_order_rx_mrg_split),
        cmocka_unit_test(test_6_2_net_in_order_used_each_split),
        cmocka_unit_test(test_6_2_net_in_order_used_each_packed),
        cmocka_unit_test(test_6_2_net_in_order_rx_mrg_packed),
        cmocka_unit_test(test_6_2_net_in_order_bad_buffer_mid_gather_split),
        cmocka_unit_test(test_6_2_net_in_order_bad_buffer_mid_gather_packed),
        cmocka_unit_test(test_6_2_net_in_order_tx_refuse_mid_batch_split),
        cmocka_unit_test(test_6_2_net_in_order_tx_refuse_mid_batch_packed),
        cmocka_unit_test(test_6_2_net_in_order_ctrl_split),
        cmocka_unit_test(test_6_2_net_in_order_ctrl_packed),
        cmocka_unit_test(test_6_2_net_in_order_queue_reset_split),
        cmocka_unit_test(test_6_2_net_in_order_queue_reset_packed),
        cmocka_unit_test(test_5_1_6_3_1_bad_buffer_mid_gather_split),
        cmocka_unit_test(test_5_1_6_3_1_bad_buffer_mid_gather_packed),
        cmocka_unit_test(test_net_in_order_tx_malformed_chain_breaks_queue_split),
        cmocka_unit_test(test_net_in_order_tx_malformed_chain_breaks_queue_packed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Writes seed inputs for vu_fuzz (see the format in fuzz/vu_fuzz.c): whole
 * vhost-user sessions as QEMU 7.2 runs them, with split or packed rings that
 * the spec-written test driver (tests/support/ringdrv) builds in an image of
 * the harness's guest RAM; the image is sent as RAM-write records, so the
 * fuzzer starts from states where requests really flow.
 * Usage: gen_vu_seeds outdir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "avps_vhost_user.h"
#include "ringdrv.h"

/* Must match fuzz/vu_fuzz.c. */
#define FZ_RAM (64u * 1024u)
#define OP_KICK0 0xf0u
#define OP_RAM 0xf8u
#define OP_CONFIG 0xf9u
#define OP_DRY 0xfau
#define OP_RECONNECT 0xfbu
#define FD_MEMFD(n) ((uint8_t)(n))
#define FD_EVENT(n) ((uint8_t)(0x10u | (n)))
#define FD_SOCKET(n) ((uint8_t)(0x30u | (n)))

#define UVA 0x7f0000000000ull
#define RING 0x1000u
#define HEAP 0x8000u
#define QSIZE 16u

#define V AVPS_VU_VERSION
#define NR (AVPS_VU_VERSION | AVPS_VU_NEED_REPLY)
#define FB(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define PF(n) (1ull << AVPS_VU_PF_##n)
#define PF_ALL                                                                              \
    (PF(MQ) | PF(LOG_SHMFD) | PF(REPLY_ACK) | PF(BACKEND_REQ) | PF(CONFIG) | PF(RESET_DEVICE) | \
     PF(CONFIGURE_MEM_SLOTS) | PF(STATUS) | PF(INFLIGHT_SHMFD))

static uint8_t img[FZ_RAM], shadow[FZ_RAM];
static uint8_t out[1u << 16];
static size_t olen;
static struct avps_posix_guest g;
static struct rd_queue q;
static bool packed;

static void put(const void *p, size_t n)
{
    if (olen + n > sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    memcpy(out + olen, p, n);
    olen += n;
}

static void put8(uint8_t v)
{
    put(&v, 1);
}

static void msg(uint8_t op, uint32_t req, uint32_t flags, const void *payload, uint32_t size)
{
    struct avps_vu_hdr h = {req, flags, size};
    const uint16_t len = (uint16_t)(sizeof h + size);

    put8(op);
    put8((uint8_t)len);
    put8((uint8_t)(len >> 8));
    put(&h, sizeof h);
    if (size > 0)
        put(payload, size);
}

static void m0(uint32_t req)
{
    msg(0, req, V, NULL, 0);
}

static void m64(uint32_t req, uint32_t flags, uint64_t v)
{
    msg(0, req, flags, &v, sizeof v);
}

static void mstate(uint32_t req, uint32_t index, uint32_t num)
{
    struct avps_vu_vring_state s = {index, num};

    msg(0, req, NR, &s, sizeof s);
}

static void mfd(uint8_t op, uint32_t req, uint64_t v)
{
    msg(op, req, NR, &v, sizeof v);
}

static void mreg(uint8_t op, uint32_t req, uint64_t gpa, uint64_t size, uint64_t off)
{
    struct avps_vu_mem_reg r;

    memset(&r, 0, sizeof r);
    r.region.gpa = gpa;
    r.region.size = size;
    r.region.uva = UVA + gpa;
    r.region.mmap_offset = off;
    msg(op, req, NR, &r, sizeof r);
}

static void mtable(unsigned int n)
{
    struct avps_vu_mem_table t;

    memset(&t, 0, sizeof t);
    t.nregions = n;
    for (unsigned int i = 0; i < n; i++) {
        t.region[i].gpa = i * (FZ_RAM / n);
        t.region[i].size = FZ_RAM / n;
        t.region[i].uva = UVA + t.region[i].gpa;
        t.region[i].mmap_offset = t.region[i].gpa;
    }
    msg(FD_MEMFD(n), AVPS_VU_SET_MEM_TABLE, NR, &t, 8u + n * 32u);
}

static void maddr(void)
{
    struct avps_vu_vring_addr a;

    memset(&a, 0, sizeof a);
    a.desc = UVA + q.desc;
    a.used = UVA + q.device;
    a.avail = UVA + q.driver;
    msg(0, AVPS_VU_SET_VRING_ADDR, NR, &a, sizeof a);
}

/* Emit RAM-write records for every byte the driver changed since last time. */
static void ram_sync(void)
{
    for (size_t i = 0; i < FZ_RAM;) {
        size_t n = 0;

        if (img[i] == shadow[i]) {
            i++;
            continue;
        }
        while (i + n < FZ_RAM && n < 255 && img[i + n] != shadow[i + n])
            n++;
        put8(OP_RAM);
        put8((uint8_t)i);
        put8((uint8_t)(i >> 8));
        put8((uint8_t)n);
        put(img + i, n);
        memcpy(shadow + i, img + i, n);
        i += n;
    }
}

static void buffers(unsigned int n, uint32_t len)
{
    for (unsigned int i = 0; i < n; i++) {
        if (rd_add_simple(&q, 0, len + 8 * i, 0) < 0) {
            fprintf(stderr, "ring full\n");
            exit(1);
        }
    }
    ram_sync();
    put8(OP_KICK0);
}

static uint64_t features(void)
{
    return FB(VERSION_1) | (1ull << AVPS_VU_F_PROTOCOL_FEATURES) |
           (packed ? FB(RING_PACKED) : 0);
}

static uint32_t base(void)
{
    if (!packed)
        return q.avail_idx;
    return (uint32_t)(q.next_avail | (q.avail_wrap << 15)) * 0x10001u;
}

static void start_rings(void)
{
    mstate(AVPS_VU_SET_VRING_NUM, 0, QSIZE);
    mstate(AVPS_VU_SET_VRING_BASE, 0, base());
    maddr();
    mfd(FD_EVENT(1), AVPS_VU_SET_VRING_KICK, 0);
    mfd(FD_EVENT(1), AVPS_VU_SET_VRING_CALL, 0);
    mstate(AVPS_VU_SET_VRING_ENABLE, 0, 1);
    m0(AVPS_VU_GET_STATUS);
    m64(AVPS_VU_SET_STATUS, NR, 0xf);
    m0(AVPS_VU_GET_STATUS);
}

static bool with_inflight; /* the next negotiate() sets up an inflight region */

/* vhost_user_backend_init, vhost_dev_init, vhost_dev_start. */
static void negotiate(bool add_reg)
{
    m0(AVPS_VU_GET_FEATURES);
    m0(AVPS_VU_GET_PROTOCOL_FEATURES);
    m64(AVPS_VU_SET_PROTOCOL_FEATURES, V, PF_ALL);
    m0(AVPS_VU_GET_QUEUE_NUM);
    m0(AVPS_VU_GET_MAX_MEM_SLOTS);
    msg(FD_SOCKET(1), AVPS_VU_SET_BACKEND_REQ_FD, NR, NULL, 0);
    m0(AVPS_VU_SET_OWNER);
    m0(AVPS_VU_GET_FEATURES);
    m64(AVPS_VU_SET_FEATURES, NR, features());
    if (add_reg)
        mreg(FD_MEMFD(1), AVPS_VU_ADD_MEM_REG, 0, FZ_RAM, 0);
    else
        mtable(1);
    if (with_inflight) {
        /* vhost-user-blk: GET_INFLIGHT_FD, then SET_INFLIGHT_FD with a region
         * (here the guest-RAM memfd: its first bytes hold no ring) */
        struct avps_vu_inflight inf;

        memset(&inf, 0, sizeof inf);
        inf.num_queues = 1;
        inf.queue_size = QSIZE;
        msg(0, AVPS_VU_GET_INFLIGHT_FD, V, &inf, sizeof inf);
        inf.mmap_size = 4096;
        msg(FD_MEMFD(1), AVPS_VU_SET_INFLIGHT_FD, NR, &inf, sizeof inf);
    }
    start_rings();
}

static void stop_rings(void)
{
    struct avps_vu_vring_state s = {0, 0};

    m64(AVPS_VU_SET_STATUS, NR, 0);
    mstate(AVPS_VU_SET_VRING_ENABLE, 0, 0);
    msg(0, AVPS_VU_GET_VRING_BASE, V, &s, sizeof s);
}

static void ring_reset(bool pk)
{
    packed = pk;
    memset(img, 0, sizeof img);
    memset(shadow, 0, sizeof shadow);
    if (q.size != 0)
        rd_fini(&q);
    if (rd_init(&q, &g, pk, QSIZE, FB(VERSION_1) | (pk ? FB(RING_PACKED) : 0), RING, HEAP,
                FZ_RAM - HEAP) != 0) {
        fprintf(stderr, "rd_init\n");
        exit(1);
    }
}

static void write_seed(const char *dir, const char *name)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    olen = 0;
}

int main(int argc, char **argv)
{
    struct avps_vu_config cfg;
    struct avps_vu_log lg = {FZ_RAM / 4096 / 8, 0};

    if (argc != 2) {
        fprintf(stderr, "usage: gen_vu_seeds outdir\n");
        return 2;
    }
    avps_posix_init(&g);
    if (avps_posix_add_region_ext(&g, 0, FZ_RAM, img) != 0)
        return 1;
    memset(&cfg, 0, sizeof cfg);

    for (int pk = 0; pk < 2; pk++) {
        /* 1. use, stop (QEMU 7.2 order), restart, use, reset */
        ring_reset(pk != 0);
        negotiate(false);
        buffers(3, 32);
        stop_rings();
        m64(AVPS_VU_SET_FEATURES, NR, features());
        mtable(1);
        start_rings();
        buffers(2, 8);
        msg(0, AVPS_VU_GET_CONFIG, V, &cfg, 12);
        m0(AVPS_VU_RESET_DEVICE);
        write_seed(argv[1], pk ? "session-packed" : "session-split");

        /* 2. a request waiting for entropy across GET_VRING_BASE and a new
         *    memory table while the ring runs */
        ring_reset(pk != 0);
        with_inflight = true;
        negotiate(false);
        with_inflight = false;
        put8(OP_DRY);
        buffers(2, 16);
        mtable(2);
        put8(OP_KICK0);
        {
            struct avps_vu_vring_state s = {0, 0};

            msg(0, AVPS_VU_GET_VRING_BASE, V, &s, sizeof s);
        }
        mstate(AVPS_VU_SET_VRING_BASE, 0, base());
        maddr();
        mfd(FD_EVENT(1), AVPS_VU_SET_VRING_KICK, 0);
        buffers(1, 64);
        write_seed(argv[1], pk ? "inflight-packed" : "inflight-split");

        /* 3. memory slots, dirty log, config change, region removal */
        ring_reset(pk != 0);
        negotiate(true);
        msg(FD_MEMFD(1), AVPS_VU_SET_LOG_BASE, V, &lg, sizeof lg);
        m64(AVPS_VU_SET_FEATURES, NR, features() | (1ull << AVPS_VU_F_LOG_ALL));
        buffers(3, 100);
        put8(OP_CONFIG);
        mreg(FD_MEMFD(1), AVPS_VU_ADD_MEM_REG, 0x100000, 0x1000, 0);
        mreg(0, AVPS_VU_REM_MEM_REG, 0x100000, 0x1000, 0);
        mreg(0, AVPS_VU_REM_MEM_REG, 0, FZ_RAM, 0);
        put8(OP_KICK0);
        mreg(FD_MEMFD(1), AVPS_VU_ADD_MEM_REG, 0, FZ_RAM, 0);
        maddr();
        buffers(1, 8);
        msg(FD_EVENT(1), AVPS_VU_SET_LOG_FD, NR, NULL, 0);
        mfd(FD_EVENT(1), AVPS_VU_SET_VRING_ERR, 0);
        write_seed(argv[1], pk ? "slots-log-packed" : "slots-log-split");
    }

    /* 4. malformed messages between sessions (each ends a connection) */
    ring_reset(false);
    negotiate(false);
    buffers(1, 16);
    m64(AVPS_VU_SET_FEATURES, 0, features()); /* bad version */
    negotiate(false);
    msg(FD_EVENT(2), AVPS_VU_SET_VRING_CALL, NR, &(uint64_t){0}, 8); /* two fds */
    ring_reset(true);
    negotiate(false);
    buffers(2, 16);
    msg(FD_EVENT(9), AVPS_VU_SET_OWNER, V, NULL, 0);
    write_seed(argv[1], "malformed");

    /* 5. one well-formed message of every request (zeroed payloads, vring
     *    fds as NOFD), protocol features all on, no memory; the requests we
     *    cannot answer end the connection, so they come last */
    m64(AVPS_VU_SET_PROTOCOL_FEATURES, V, PF_ALL);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t r = 1; r < AVPS_VU_REQ_MAX; r++) {
            const bool unanswerable = r == AVPS_VU_CREATE_CRYPTO_SESSION ||
                                      r == AVPS_VU_POSTCOPY_ADVISE || r == AVPS_VU_POSTCOPY_END ||
                                      r == AVPS_VU_GET_INFLIGHT_FD;
            uint8_t p[sizeof(union avps_vu_payload)];
            uint32_t size = 0;
            uint8_t op = 0;

            if (unanswerable != (pass == 1))
                continue;
            memset(p, 0, sizeof p);
            switch (r) {
            case AVPS_VU_SET_PROTOCOL_FEATURES:
                size = 8;
                memcpy(p, &(uint64_t){PF_ALL}, 8);
                break;
            case AVPS_VU_SET_FEATURES:
            case AVPS_VU_SET_STATUS:
            case AVPS_VU_SET_VRING_NUM:
            case AVPS_VU_SET_VRING_BASE:
            case AVPS_VU_GET_VRING_BASE:
            case AVPS_VU_SET_VRING_ENABLE:
            case AVPS_VU_SET_MEM_TABLE:
                size = 8;
                break;
            case AVPS_VU_SET_VRING_KICK:
            case AVPS_VU_SET_VRING_CALL:
            case AVPS_VU_SET_VRING_ERR:
                size = 8;
                p[1] = AVPS_VU_VRING_NOFD >> 8;
                break;
            case AVPS_VU_SET_LOG_BASE:
                size = 16;
                op = FD_MEMFD(1);
                break;
            case AVPS_VU_SET_VRING_ADDR:
            case AVPS_VU_REM_MEM_REG:
                size = 40;
                break;
            case AVPS_VU_ADD_MEM_REG:
                size = 40;
                op = FD_MEMFD(1);
                break;
            case AVPS_VU_SET_BACKEND_REQ_FD:
                op = FD_SOCKET(1);
                break;
            case AVPS_VU_GET_CONFIG:
            case AVPS_VU_SET_CONFIG:
                size = 12;
                break;
            case AVPS_VU_GET_INFLIGHT_FD:
                size = 20;
                break;
            default:
                break;
            }
            msg(op, r, NR, p, size);
        }
    }
    write_seed(argv[1], "every-request");
    rd_fini(&q);
    return 0;
}

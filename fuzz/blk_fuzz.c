/*
 * libFuzzer harness for the virtio-blk request parser (STYLE.md rule 19):
 * lib/devices/blk.c through the device core API, with the spec-written test
 * driver tests/support/ringdrv building requests whose descriptor layout and
 * bytes (header, data, ranges) come from the input, a backend that keeps
 * requests pending until the input completes them (in any order, with any
 * status), queue and device resets with requests still pending, capacity
 * changes and config writes.
 *
 * The input: a setup byte and an accepted-features byte (fuzz/blk_fuzz.h),
 * then operations (enum bf_op), at most BF_MAX_OPS.
 *
 * Checked beyond ASan/UBSan and the library's asserts (a failure traps):
 *   - every used buffer names a buffer the driver has outstanding (ringdrv's
 *     bad_used stays 0), its used length is at most the buffer's writable
 *     size, and a used length of 1 or more comes with a status byte of
 *     OK, IOERR or UNSUPP in the buffer's last writable byte;
 *   - what the backend is handed is well formed: a known type, data segments
 *     that add up to len and lie inside guest RAM, ranges inside the capacity;
 *     nothing reaches it for a read-only device but reads and flushes;
 *   - a completion of a request forgotten by a reset returns AVPS_E_STATE and
 *     writes nothing; a normal completion returns AVPS_OK or AVPS_E_STATE.
 * fuzz/gen_blk_seeds.c writes seeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/blk.h>
#include <avps/err.h>

#include "avps_posix.h"
#include "blk_fuzz.h"
#include "ringdrv.h"

#define RAM (1u << 20)
#define RING0 0x1000u
#define RING1 0x8000u
#define HEAP0 0x10000u
#define HEAP1 0x88000u
#define HEAP_LEN 0x78000u
#define QSIZE 16u
#define NQ 2u
#define PEND (NQ * 8u)
#define F_BLK(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_##n)
#define F_VQ(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)

static const uint64_t bf_feat[8] = {F_BLK(SEG_MAX) | F_BLK(SIZE_MAX), F_BLK(FLUSH), F_BLK(CONFIG_WCE),
                                    F_BLK(DISCARD), F_BLK(WRITE_ZEROES), F_BLK(SECURE_ERASE),
                                    F_BLK(LIFETIME), F_BLK(MQ) | F_BLK(RO)};

struct rec {
    bool active;
    uint32_t wr_len;
    uint64_t last_wr; /* gpa of the last writable byte */
};

static struct avps_posix_guest g;
static struct avps_blk blk;
static struct avps_vq_slot slots[NQ * QSIZE];
static struct avps_blk_io ios[NQ * 8u];
static struct avps_blk_backend be;
static struct rd_queue rq[NQ];
static bool rq_live[NQ];
static struct rec recs[NQ][QSIZE];
static struct avps_blk_io *pend[PEND];
static unsigned int npend;
static uint16_t nq;
static uint64_t accept;
static bool packed, ro;
static uint64_t capacity;

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static bool in_ram_(const void *p, size_t len)
{
    const uint8_t *base = avps_posix_ptr(&g, 0, RAM);
    const uint8_t *q = p;

    return q >= base && len <= RAM && (size_t)(q - base) <= RAM - len;
}

static int be_submit(void *ctx, struct avps_blk_io *io)
{
    uint64_t sum = 0;

    (void)ctx;
    check_(npend < PEND);
    check_(io->queue < nq);
    switch (io->type) {
    case AVPS_VIRTIO_BLK_T_IN:
    case AVPS_VIRTIO_BLK_T_OUT:
        check_(!ro || io->type == AVPS_VIRTIO_BLK_T_IN);
        check_(io->len > 0 && io->len % 512u == 0);
        check_(io->sector <= capacity && io->len / 512u <= capacity - io->sector);
        check_(io->n_iov > 0 && io->n_iov <= AVPS_BLK_CHAIN_SEGS);
        for (unsigned int i = 0; i < io->n_iov; i++) {
            check_(io->iov[i].len > 0 && in_ram_(io->iov[i].base, io->iov[i].len));
            sum += io->iov[i].len;
            if (io->type == AVPS_VIRTIO_BLK_T_IN)
                memset(io->iov[i].base, 0xa5, io->iov[i].len);
        }
        check_(sum == io->len);
        break;
    case AVPS_VIRTIO_BLK_T_FLUSH:
        break;
    case AVPS_VIRTIO_BLK_T_DISCARD:
    case AVPS_VIRTIO_BLK_T_WRITE_ZEROES:
    case AVPS_VIRTIO_BLK_T_SECURE_ERASE:
        check_(!ro);
        check_(io->n_range > 0 && io->n_range <= AVPS_CONFIG_BLK_RANGES);
        for (unsigned int i = 0; i < io->n_range; i++) {
            check_(io->range[i].num_sectors > 0);
            check_(io->range[i].sector <= capacity &&
                   io->range[i].num_sectors <= capacity - io->range[i].sector);
        }
        break;
    default:
        check_(0);
    }
    pend[npend++] = io;
    return AVPS_OK;
}

static int t_queue(void *t, struct avps_dev *dev, uint16_t q)
{
    (void)t;
    (void)dev;
    check_(q < nq);
    return 0;
}

static int t_config(void *t, struct avps_dev *dev)
{
    (void)t;
    (void)dev;
    return 0;
}

static const struct avps_transport_ops tops = {t_queue, t_config};

static struct avps_dev *dev_(void)
{
    return avps_blk_dev(&blk);
}

/* The driver's ring q from scratch, programmed and enabled. */
static void queue_up_(uint16_t q)
{
    struct avps_dev *d = dev_();
    const uint64_t f = avps_dev_features(d);

    if (rq_live[q] || rq[q].size != 0)
        rd_fini(&rq[q]);
    memset(&rq[q], 0, sizeof rq[q]);
    memset(recs[q], 0, sizeof recs[q]);
    rq_live[q] = false;
    if (rd_init(&rq[q], &g, packed, QSIZE, f, q ? RING1 : RING0, q ? HEAP1 : HEAP0, HEAP_LEN) != 0)
        return;
    (void)avps_dev_queue_set_size(d, q, QSIZE);
    (void)avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DESC, rq[q].desc);
    (void)avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DRIVER, rq[q].driver);
    (void)avps_dev_queue_set_addr(d, q, AVPS_DEV_AREA_DEVICE, rq[q].device);
    rq_live[q] = avps_dev_queue_enable(d, q) == AVPS_OK;
}

static void setup_(uint8_t s)
{
    struct avps_dev *d = dev_();
    uint64_t want;

    (void)avps_dev_set_status(d, 0);
    want = (avps_dev_offered_features(d) & accept) | F_VQ(VERSION_1) |
           (packed ? F_VQ(RING_PACKED) : 0u) | ((s & 0x20u) ? F_VQ(INDIRECT_DESC) : 0u) |
           ((s & 0x40u) ? F_VQ(EVENT_IDX) : 0u);
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER);
    (void)avps_dev_set_driver_word(d, 0, (uint32_t)want);
    (void)avps_dev_set_driver_word(d, 1, (uint32_t)(want >> 32));
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                     AVPS_VIRTIO_S_FEATURES_OK);
    for (uint16_t q = 0; q < nq; q++)
        queue_up_(q);
    (void)avps_dev_set_status(d, AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                     AVPS_VIRTIO_S_FEATURES_OK | AVPS_VIRTIO_S_DRIVER_OK);
}

/* The driver takes its used buffers from ring q. */
static void used_(uint16_t q)
{
    struct rd_done done;

    if (!rq_live[q])
        return;
    while (rd_get_used(&rq[q], &done) == 1) {
        struct rec *r;

        check_(done.id < QSIZE);
        r = &recs[q][done.id];
        check_(r->active);
        check_(done.len <= r->wr_len);
        if (done.len > 0) {
            const uint8_t st = *(const uint8_t *)avps_posix_ptr(&g, r->last_wr, 1);

            check_(st <= AVPS_VIRTIO_BLK_S_UNSUPP);
        }
        r->active = false;
    }
    check_(rq[q].bad_used == 0);
}

static void forget_pending_all_(void)
{
    /* Complete everything the backend holds (late, after a reset): ignored. */
    while (npend > 0) {
        struct avps_blk_io *io = pend[--npend];

        check_(avps_blk_complete(&blk, io, AVPS_VIRTIO_BLK_S_OK) == AVPS_E_STATE);
    }
}

/* Requests of queue q still pending were forgotten by its reset. */
static void forget_pending_q_(uint16_t q)
{
    for (unsigned int i = 0; i < npend;) {
        if (pend[i]->queue == q) {
            struct avps_blk_io *io = pend[i];

            pend[i] = pend[--npend];
            check_(avps_blk_complete(&blk, io, AVPS_VIRTIO_BLK_S_OK) == AVPS_E_STATE);
        } else {
            i++;
        }
    }
}

/* BF_ADD. Returns the operand bytes used, or 0 when the input ends. */
static size_t add_(const uint8_t *a, size_t left)
{
    struct rd_buf b[BF_MAX_DESC];
    unsigned int n;
    size_t used;
    uint16_t q;
    uint64_t rd_gpa = 0, rd_len = 0, wr_len = 0, last_wr = 0;
    uint8_t stream[64];
    size_t nstream;
    int id;

    if (left < 1)
        return 0;
    n = a[0] % BF_MAX_DESC + 1u;
    if (left < 2u + n)
        return 0;
    q = (uint16_t)(a[1 + n] % nq);
    used = 2u + n;
    nstream = left - used < sizeof stream ? left - used : sizeof stream;
    memcpy(stream, a + used, nstream);
    used += nstream;
    if (!rq_live[q])
        return used;
    for (unsigned int i = 0; i < n; i++) {
        const uint8_t d = a[1 + i];

        b[i].len = bf_len[d & 15u];
        b[i].write = (d & 0x10u) != 0;
        b[i].gpa = rd_alloc(&rq[q], b[i].len);
        if (b[i].gpa == 0)
            return used; /* the heap is used up */
        if (b[i].write) {
            memset(avps_posix_ptr(&g, b[i].gpa, b[i].len), 0xee, b[i].len);
            wr_len += b[i].len;
            last_wr = b[i].gpa + b[i].len - 1u;
        } else {
            /* the readable stream is the input's bytes, in descriptor order */
            uint8_t *p = avps_posix_ptr(&g, b[i].gpa, b[i].len);

            for (uint32_t k = 0; k < b[i].len; k++)
                p[k] = (rd_len + k < nstream) ? stream[rd_len + k] : (uint8_t)(k * 13u);
            rd_len += b[i].len;
            (void)rd_gpa;
        }
    }
    id = rd_add(&rq[q], b, n, (a[0] & 0x80u) ? RD_INDIRECT : 0u);
    if (id >= 0 && id < (int)QSIZE) {
        recs[q][id].active = true;
        recs[q][id].wr_len = (uint32_t)wr_len;
        recs[q][id].last_wr = last_wr;
    }
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_blk_cfg c;
    uint8_t s;
    size_t pc;
    int ops = 0;

    if (size < BF_HDR)
        return 0;
    s = data[0];
    accept = 0;
    for (unsigned int i = 0; i < 8; i++)
        if (data[1] & (1u << i))
            accept |= bf_feat[i];
    packed = (s & 1u) != 0;
    ro = (s & 8u) != 0;
    nq = (s & 0x10u) ? 2u : 1u;
    capacity = 64;
    npend = 0;
    memset(rq, 0, sizeof rq);
    memset(rq_live, 0, sizeof rq_live);
    memset(recs, 0, sizeof recs);
    avps_posix_init(&g);
    if (avps_posix_add_region(&g, 0, RAM) != 0)
        return 0;

    be.submit = be_submit;
    be.ctx = NULL;
    be.forget = NULL;
    memset(&c, 0, sizeof c);
    c.backend = &be;
    c.features = F_BLK(SIZE_MAX) | F_BLK(SEG_MAX) | F_BLK(FLUSH) | F_BLK(CONFIG_WCE) |
                 F_BLK(DISCARD) | F_BLK(WRITE_ZEROES) | F_BLK(SECURE_ERASE) | F_BLK(LIFETIME) |
                 (ro ? F_BLK(RO) : 0u) | (nq > 1 ? F_BLK(MQ) : 0u);
    c.capacity = capacity;
    c.size_max = 1024;
    c.seg_max = 3;
    c.writeback = 1;
    c.max_discard_sectors = 16;
    c.max_discard_seg = 2;
    c.discard_sector_alignment = 4;
    c.max_write_zeroes_sectors = 32;
    c.max_write_zeroes_seg = 3;
    c.write_zeroes_may_unmap = (s & 0x80u) ? 1u : 0u;
    c.max_secure_erase_sectors = 8;
    c.max_secure_erase_seg = 1;
    c.secure_erase_sector_alignment = 2;
    memcpy(c.id, "fuzz", 4);
    c.num_queues = nq;
    c.queue_size_max = QSIZE;
    c.vq_slots = slots;
    c.vq_slots_per_queue = QSIZE;
    c.ios = ios;
    c.ios_per_queue = 1u << ((s >> 1) & 3u);
    check_(avps_blk_init(&blk, &g.host, &c) == AVPS_OK);
    check_(avps_dev_bind(dev_(), &tops, NULL, F_VQ(RING_RESET)) == AVPS_OK);
    setup_(s);

    for (pc = BF_HDR; pc < size && ops++ < BF_MAX_OPS;) {
        const uint8_t op = data[pc++];
        const uint8_t *a = data + pc;
        const size_t left = size - pc;

        switch ((enum bf_op)(op % 10u)) {
        case BF_ADD: {
            const size_t u = add_(a, left);

            if (u == 0)
                goto out;
            pc += u;
            break;
        }
        case BF_NOTIFY:
            if (left < 1)
                goto out;
            (void)avps_dev_queue_notify(dev_(), (uint16_t)(a[0] % nq));
            pc += 1;
            break;
        case BF_COMPLETE:
            if (left < 2)
                goto out;
            if (npend > 0) {
                const unsigned int i = a[0] % npend;
                struct avps_blk_io *io = pend[i];
                int r;

                pend[i] = pend[--npend];
                r = avps_blk_complete(&blk, io, (uint8_t)(a[1] % 4u));
                check_(r == AVPS_OK || r == AVPS_E_STATE || (r == AVPS_E_INVAL && a[1] % 4u == 3u));
            }
            pc += 2;
            break;
        case BF_DRAIN:
            while (npend > 0) {
                int r = avps_blk_complete(&blk, pend[--npend], AVPS_VIRTIO_BLK_S_OK);

                check_(r == AVPS_OK || r == AVPS_E_STATE);
            }
            break;
        case BF_USED:
            for (uint16_t q = 0; q < nq; q++)
                used_(q);
            break;
        case BF_QRESET:
            if (left < 1)
                goto out;
            {
                const uint16_t q = (uint16_t)(a[0] % nq);

                (void)avps_dev_queue_reset(dev_(), q);
                forget_pending_q_(q);
                queue_up_(q);
            }
            pc += 1;
            break;
        case BF_RESET:
            (void)avps_dev_set_status(dev_(), 0);
            forget_pending_all_();
            setup_(s);
            break;
        case BF_CAPACITY:
            if (left < 1)
                goto out;
            capacity = a[0];
            (void)avps_blk_set_capacity(&blk, capacity);
            pc += 1;
            break;
        case BF_CONFIG:
            if (left < 2)
                goto out;
            {
                uint8_t cfg[96];

                (void)avps_dev_config_write(dev_(), a[0] % 100u, &a[1], 1);
                check_(avps_dev_config_read(dev_(), 0, cfg, sizeof cfg) == AVPS_OK);
                check_(cfg[32] <= 1);
            }
            pc += 2;
            break;
        case BF_LIFETIME:
            if (left < 3)
                goto out;
            {
                const int r = avps_blk_set_lifetime(&blk, a[0], a[1], a[2]);

                check_(r == ((a[0] <= 3 && a[1] <= 11 && a[2] <= 11) ? AVPS_OK : AVPS_E_INVAL));
            }
            pc += 3;
            break;
        }
    }
out:
    /* finish what is pending, then check the rings one last time */
    while (npend > 0) {
        int r = avps_blk_complete(&blk, pend[--npend], AVPS_VIRTIO_BLK_S_OK);

        check_(r == AVPS_OK || r == AVPS_E_STATE);
    }
    for (uint16_t q = 0; q < nq; q++)
        used_(q);
    for (uint16_t q = 0; q < nq; q++)
        if (rq[q].size != 0)
            rd_fini(&rq[q]);
    avps_posix_fini(&g);
    return 0;
}

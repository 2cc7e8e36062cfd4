/*
 * virtio-blk: the block device (VIRTIO 1.2 §5.2). Requests are parsed as byte
 * streams across any descriptor layout, checked against the configuration and
 * either answered here (refusals, GET_ID, GET_LIFETIME) or handed to the
 * backend in a request object from the caller's array; the backend completes
 * them later, in any order, with avps_blk_complete().
 */
#include <avps/blk.h>

#include "dev_priv.h"

#define F_SIZE_MAX AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SIZE_MAX)
#define F_SEG_MAX AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SEG_MAX)
#define F_GEOMETRY AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_GEOMETRY)
#define F_RO AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_RO)
#define F_BLK_SIZE AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_BLK_SIZE)
#define F_FLUSH AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_FLUSH)
#define F_TOPOLOGY AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_TOPOLOGY)
#define F_CONFIG_WCE AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_CONFIG_WCE)
#define F_MQ AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_MQ)
#define F_DISCARD AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_DISCARD)
#define F_WRITE_ZEROES AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_WRITE_ZEROES)
#define F_SECURE_ERASE AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SECURE_ERASE)
#define HDR_LEN 16u  /* struct avps_virtio_blk_req_hdr */
#define DWZ_LEN 16u  /* struct avps_virtio_blk_dwz */
#define LT_LEN 6u    /* struct avps_virtio_blk_lifetime */
#define SECTOR_SHIFT 9u

/* Request object states. */
#define IO_FREE 0u
#define IO_BUSY 1u   /* with the backend, or being parsed */
#define IO_ORPHAN 2u /* with the backend, its queue was reset since */

/* Outcome of a check: a status byte, or "hand it to the backend". */
#define ST_SUBMIT 0xffu

/* What a request asks for. */
#define K_READ 1u
#define K_WRITE 2u
#define K_FLUSH 3u
#define K_ID 4u
#define K_LIFETIME 5u
#define K_RANGES 6u

/* Ranged request types: index into max_sectors[], max_seg[], align[]. */
#define R_DISCARD 0u
#define R_WZ 1u
#define R_ERASE 2u

/* Detail codes of AVPS_EV_DEV_REQUEST reports (b). */
enum blk_fault {
    BF_NO_STATUS = 1, /* no device-writable byte: dropped */
    BF_HEADER,        /* fewer than 16 readable bytes */
    BF_LAYOUT,        /* readable or writable part of the wrong size for the type */
    BF_ALIGN,         /* data not a multiple of the unit, or a misaligned range */
    BF_RANGE,         /* sectors beyond the capacity */
    BF_LIMIT,         /* a seg_max, size_max or max_* limit exceeded */
    BF_FLUSH_SECTOR,  /* FLUSH with a non-zero sector */
    BF_TOO_MANY_SEGS  /* more segments than a request object holds: dropped */
};

struct blk_type {
    uint8_t kind;    /* 0: unknown type */
    uint8_t feature; /* AVPS_VIRTIO_BLK_F_* that must be negotiated, 0 for none */
    uint8_t rix;     /* K_RANGES: R_* */
};


static struct avps_blk *blk_of_(struct avps_dev *dev)
{
    return (struct avps_blk *)(void *)dev; /* dev is the first member */
}

/* Negotiated (after FEATURES_OK). */
static bool blk_has_(const struct avps_blk *blk, uint64_t bit)
{
    return (blk->dev.features & bit) != 0u;
}

/* Offered. */
static bool blk_offers_(const struct avps_blk *blk, uint64_t bit)
{
    return (blk->dev.offered & bit) != 0u;
}

static struct avps_blk_io *blk_queue_ios_(const struct avps_blk *blk, uint16_t q)
{
    return &blk->ios[(size_t)q * blk->ios_per_queue];
}

static void blk_fault_(struct avps_blk *blk, const struct avps_blk_io *io, enum blk_fault f)
{
    avps_dev_report_(&blk->dev, AVPS_EV_DEV_REQUEST,
                     ((uint64_t)io->queue << 16) | io->req.id, (uint64_t)f);
}

/* ---- completion ------------------------------------------------------- */

static void blk_count_(struct avps_blk *blk, const struct avps_blk_io *io, uint8_t status)
{
    struct avps_blk_stats *s = &blk->stats;

    if (status == AVPS_VIRTIO_BLK_S_UNSUPP) {
        s->unsupp++;
        return;
    }
    if (status != AVPS_VIRTIO_BLK_S_OK) {
        s->ioerr++;
        return;
    }
    switch (io->type) {
    case AVPS_VIRTIO_BLK_T_IN:
        s->reads++;
        s->bytes_read += io->len;
        break;
    case AVPS_VIRTIO_BLK_T_OUT:
        s->writes++;
        s->bytes_written += io->len;
        break;
    case AVPS_VIRTIO_BLK_T_FLUSH:
        s->flushes++;
        break;
    case AVPS_VIRTIO_BLK_T_GET_ID:
        s->get_ids++;
        break;
    case AVPS_VIRTIO_BLK_T_GET_LIFETIME:
        s->get_lifetimes++;
        break;
    case AVPS_VIRTIO_BLK_T_DISCARD:
        s->discards++;
        break;
    case AVPS_VIRTIO_BLK_T_WRITE_ZEROES:
        s->write_zeroes++;
        break;
    default: /* AVPS_VIRTIO_BLK_T_SECURE_ERASE: the only other type that reaches OK */
        s->secure_erases++;
        break;
    }
}

/* Write the status byte (the last device-writable byte, §5.2.6), return the
 * buffer and free the request object. The used length counts what was
 * written: the data of a successful read, GET_ID or GET_LIFETIME, then the
 * status byte. */
static int blk_finish_(struct avps_blk *blk, struct avps_blk_io *io, uint8_t status)
{
    struct avps_vq *vq = &blk->queue[io->queue].vq;
    uint32_t used = 1u;
    int err;

    if ((status == AVPS_VIRTIO_BLK_S_OK) &&
        ((io->type == AVPS_VIRTIO_BLK_T_IN) || (io->type == AVPS_VIRTIO_BLK_T_GET_ID) ||
         (io->type == AVPS_VIRTIO_BLK_T_GET_LIFETIME))) {
        used = io->req.wr_len; /* checked: exactly the data, then the status byte */
    }
    (void)avps_vq_req_write(vq, &io->req, io->req.wr_len - 1u, &status, 1u);
    blk_count_(blk, io, status);
    avps_vq_req_unmap(vq, &io->req);
    err = avps_vq_push(vq, io->req.id, used);
    io->state = IO_FREE;
    return err;
}

/* ---- request checks ----------------------------------------------------- */

/* Build io->iov from segments [first, first + count) of the chain, skipping
 * skip bytes and taking want bytes. Returns the entries used. */
static uint16_t blk_iov_(struct avps_blk_io *io, uint16_t first, uint16_t count, uint32_t skip,
                         uint32_t want)
{
    uint16_t n = 0;
    uint32_t s = skip;
    uint32_t w = want;

    for (uint16_t i = first; (i < (uint16_t)(first + count)) && (w != 0u); i++) {
        uint32_t l = io->req.seg[i].len;

        if (s >= l) {
            s -= l;
            continue;
        }
        l -= s;
        if (l > w) {
            l = w;
        }
        io->iov[n].base = &((uint8_t *)io->req.seg[i].base)[s];
        io->iov[n].len = l;
        n++;
        w -= l;
        s = 0;
    }
    return n;
}

/* Writes must be stable at completion unless the driver runs a writeback
 * cache: FLUSH negotiated and, with CONFIG_WCE, writeback set (§5.2.6.2). */
static bool blk_stable_(const struct avps_blk *blk)
{
    if (!blk_has_(blk, F_FLUSH)) {
        return true;
    }
    if (blk_has_(blk, F_CONFIG_WCE)) {
        return blk->writeback == 0u;
    }
    return false;
}

static uint8_t blk_check_rw_(struct avps_blk *blk, struct avps_blk_io *io, bool write)
{
    const struct avps_vq_req *req = &io->req;
    uint32_t dlen;

    if (write) {
        /* §5.2.6.2: IOERR for a write when RO is offered, and no data written. */
        if (blk_offers_(blk, F_RO)) {
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        if (req->wr_len != 1u) {
            blk_fault_(blk, io, BF_LAYOUT);
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        dlen = req->rd_len - HDR_LEN;
    } else {
        if (req->rd_len != HDR_LEN) {
            blk_fault_(blk, io, BF_LAYOUT);
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        dlen = req->wr_len - 1u;
    }
    /* §5.2.6.1: data in multiples of 512 bytes, never beyond capacity. */
    if ((dlen & (AVPS_BLK_SECTOR_SIZE - 1u)) != 0u) {
        blk_fault_(blk, io, BF_ALIGN);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    if (!avps_range_ok_(io->sector, (uint64_t)dlen >> SECTOR_SHIFT, blk->capacity)) {
        blk_fault_(blk, io, BF_RANGE);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    io->len = dlen;
    if (dlen == 0u) {
        return AVPS_VIRTIO_BLK_S_OK; /* nothing to move */
    }
    if (write) {
        io->n_iov = blk_iov_(io, 0u, req->n_rd, HDR_LEN, dlen);
        io->flags = blk_stable_(blk) ? AVPS_BLK_IO_STABLE : 0u;
    } else {
        io->n_iov = blk_iov_(io, req->n_rd, req->n_wr, 0u, dlen);
    }
    if (blk_has_(blk, F_SEG_MAX) && (io->n_iov > blk->seg_max)) {
        blk_fault_(blk, io, BF_LIMIT);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    if (blk_has_(blk, F_SIZE_MAX)) {
        for (uint16_t i = 0; i < io->n_iov; i++) {
            if (io->iov[i].len > blk->size_max) {
                blk_fault_(blk, io, BF_LIMIT);
                return AVPS_VIRTIO_BLK_S_IOERR;
            }
        }
    }
    return ST_SUBMIT;
}

/* DISCARD, WRITE_ZEROES, SECURE_ERASE: decode every range (copy once), then
 * check flags, read-only, limits, capacity and alignment. */
static uint8_t blk_check_ranges_(struct avps_blk *blk, struct avps_blk_io *io, uint8_t rix)
{
    const struct avps_vq_req *req = &io->req;
    uint32_t allowed = 0u;
    const uint32_t align = blk->align[rix];
    uint32_t dlen;
    uint32_t n;

    if (rix == R_WZ) {
        allowed = AVPS_VIRTIO_BLK_WZ_UNMAP;
    }
    if ((req->wr_len != 1u) || (req->rd_len == HDR_LEN)) {
        blk_fault_(blk, io, BF_LAYOUT);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    dlen = req->rd_len - HDR_LEN;
    if ((dlen % DWZ_LEN) != 0u) {
        blk_fault_(blk, io, BF_ALIGN);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    n = dlen / DWZ_LEN;
    if (n > blk->max_seg[rix]) {
        blk_fault_(blk, io, BF_LIMIT);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct avps_virtio_blk_dwz raw;
        struct avps_blk_range *r = &io->range[i];

        (void)avps_vq_req_read(req, HDR_LEN + (i * DWZ_LEN), &raw, DWZ_LEN);
        r->sector = avps_from_le64(raw.sector);
        r->num_sectors = avps_from_le32(raw.num_sectors);
        r->flags = avps_from_le32(raw.flags);
        /* §5.2.6.2: UNSUPP for any unknown flag, and for unmap on a discard. */
        if ((r->flags & ~allowed) != 0u) {
            return AVPS_VIRTIO_BLK_S_UNSUPP;
        }
    }
    if (blk_offers_(blk, F_RO)) {
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct avps_blk_range *r = &io->range[i];

        if ((r->num_sectors == 0u) || (r->num_sectors > blk->max_sectors[rix])) {
            blk_fault_(blk, io, BF_LIMIT);
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        if (!avps_range_ok_(r->sector, r->num_sectors, blk->capacity)) {
            blk_fault_(blk, io, BF_RANGE);
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        /* The start must be aligned; so must the length, unless the range
         * ends at the capacity. */
        if ((align > 1u) &&
            (((r->sector % align) != 0u) ||
             (((r->num_sectors % align) != 0u) && ((r->sector + r->num_sectors) != blk->capacity)))) {
            blk_fault_(blk, io, BF_ALIGN);
            return AVPS_VIRTIO_BLK_S_IOERR;
        }
        if (blk->wz_may_unmap == 0u) {
            r->flags = 0u; /* the device promised not to deallocate */
        }
    }
    io->n_range = (uint16_t)n;
    io->flags = blk_stable_(blk) ? AVPS_BLK_IO_STABLE : 0u;
    return ST_SUBMIT;
}

static uint8_t blk_get_id_(struct avps_blk *blk, struct avps_blk_io *io)
{
    struct avps_vq *vq = &blk->queue[io->queue].vq;

    /* §5.2.6.1: the data of GET_ID is 20 bytes. */
    if ((io->req.rd_len != HDR_LEN) || (io->req.wr_len != (AVPS_VIRTIO_BLK_ID_BYTES + 1u))) {
        blk_fault_(blk, io, BF_LAYOUT);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    (void)avps_vq_req_write(vq, &io->req, 0u, blk->id, AVPS_VIRTIO_BLK_ID_BYTES);
    return AVPS_VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_lifetime_(struct avps_blk *blk, struct avps_blk_io *io)
{
    struct avps_vq *vq = &blk->queue[io->queue].vq;
    struct avps_virtio_blk_lifetime lt;

    if ((io->req.rd_len != HDR_LEN) || (io->req.wr_len != (LT_LEN + 1u))) {
        blk_fault_(blk, io, BF_LAYOUT);
        return AVPS_VIRTIO_BLK_S_IOERR;
    }
    lt.pre_eol_info = avps_to_le16(blk->lifetime[0]);
    lt.device_lifetime_est_typ_a = avps_to_le16(blk->lifetime[1]);
    lt.device_lifetime_est_typ_b = avps_to_le16(blk->lifetime[2]);
    (void)avps_vq_req_write(vq, &io->req, 0u, &lt, LT_LEN);
    return AVPS_VIRTIO_BLK_S_OK;
}

/* Parse a popped request and check it; answer it or submit it. */
static void blk_start_(struct avps_blk *blk, struct avps_blk_io *io)
{
    /* Indexed by request type (§5.2.6); unlisted types are unknown (UNSUPP). */
    static const struct blk_type blk_types[15] = {
        [AVPS_VIRTIO_BLK_T_IN] = {K_READ, 0u, 0u},
        [AVPS_VIRTIO_BLK_T_OUT] = {K_WRITE, 0u, 0u},
        [AVPS_VIRTIO_BLK_T_FLUSH] = {K_FLUSH, AVPS_VIRTIO_BLK_F_FLUSH, 0u},
        [AVPS_VIRTIO_BLK_T_GET_ID] = {K_ID, 0u, 0u},
        [AVPS_VIRTIO_BLK_T_GET_LIFETIME] = {K_LIFETIME, AVPS_VIRTIO_BLK_F_LIFETIME, 0u},
        [AVPS_VIRTIO_BLK_T_DISCARD] = {K_RANGES, AVPS_VIRTIO_BLK_F_DISCARD, R_DISCARD},
        [AVPS_VIRTIO_BLK_T_WRITE_ZEROES] = {K_RANGES, AVPS_VIRTIO_BLK_F_WRITE_ZEROES, R_WZ},
        [AVPS_VIRTIO_BLK_T_SECURE_ERASE] = {K_RANGES, AVPS_VIRTIO_BLK_F_SECURE_ERASE, R_ERASE},
    };
    struct avps_virtio_blk_req_hdr hdr;
    const struct blk_type *t = NULL;
    uint8_t st;

    io->flags = 0;
    io->len = 0;
    io->n_iov = 0;
    io->n_range = 0;
    io->sector = 0;
    io->type = 0;
    if (avps_vq_req_read(&io->req, 0u, &hdr, HDR_LEN) != HDR_LEN) {
        blk_fault_(blk, io, BF_HEADER);
        io->type = UINT32_MAX; /* counted as an error only */
        (void)blk_finish_(blk, io, AVPS_VIRTIO_BLK_S_IOERR);
        return;
    }
    io->type = avps_from_le32(hdr.type);
    io->sector = avps_from_le64(hdr.sector);
    if (io->type < AVPS_ARRAY_LEN(blk_types)) {
        t = &blk_types[io->type];
    }
    if ((t == NULL) || (t->kind == 0u) ||
        ((t->feature != 0u) && !blk_has_(blk, AVPS_VIRTIO_BIT(t->feature)))) {
        /* §5.2.6.2: unknown (zone requests included) or not negotiated. */
        (void)blk_finish_(blk, io, AVPS_VIRTIO_BLK_S_UNSUPP);
        return;
    }
    switch (t->kind) {
    case K_READ:
        st = blk_check_rw_(blk, io, false);
        break;
    case K_WRITE:
        st = blk_check_rw_(blk, io, true);
        break;
    case K_FLUSH:
        /* §5.2.6.1: sector 0; data (which it should not carry) is ignored. */
        st = ST_SUBMIT;
        if (io->sector != 0u) {
            blk_fault_(blk, io, BF_FLUSH_SECTOR);
            st = AVPS_VIRTIO_BLK_S_IOERR;
        }
        break;
    case K_ID:
        st = blk_get_id_(blk, io);
        break;
    case K_LIFETIME:
        st = blk_get_lifetime_(blk, io);
        break;
    default: /* K_RANGES */
        st = blk_check_ranges_(blk, io, t->rix);
        break;
    }
    if (st != ST_SUBMIT) {
        (void)blk_finish_(blk, io, st);
        return;
    }
    {
        const int r = blk->backend->submit(blk->backend->ctx, io);

        /* A backend that completed it from inside submit returns AVPS_OK;
         * only finish here what is still ours. */
        if ((r != AVPS_OK) && (io->state == IO_BUSY)) {
            (void)blk_finish_(blk, io,
                              (r == AVPS_E_INVAL) ? AVPS_VIRTIO_BLK_S_UNSUPP : AVPS_VIRTIO_BLK_S_IOERR);
        }
    }
}

/* ---- queues ------------------------------------------------------------- */

static struct avps_blk_io *blk_free_io_(const struct avps_blk *blk, uint16_t q)
{
    struct avps_blk_io *ios = blk_queue_ios_(blk, q);

    for (uint32_t i = 0; i < blk->ios_per_queue; i++) {
        if (ios[i].state == IO_FREE) {
            return &ios[i];
        }
    }
    return NULL;
}

static int blk_serve_(struct avps_blk *blk, uint16_t q)
{
    const uint16_t chain_segs = AVPS_BLK_CHAIN_SEGS;
    struct avps_vq *vq = &blk->queue[q].vq;
    int done = 0;

    if (!avps_dev_queue_live_(&blk->dev, q)) {
        return AVPS_E_STATE;
    }
    blk->serving++;
    /* Bounded: each pass takes one chain, and the engine bounds the chains
     * in the ring; with every request object busy the loop stops. */
    for (;;) {
        struct avps_blk_io *io = blk_free_io_(blk, q);
        int r;

        if (io == NULL) {
            if (blk->stalled[q] == 0u) {
                blk->stalled[q] = 1;
                blk->stats.stalls++;
            }
            break; /* resumed by avps_blk_complete() */
        }
        blk->stalled[q] = 0;
        io->req.seg = io->seg;
        io->req.seg_max = chain_segs;
        io->queue = q;
        r = avps_vq_pop(vq, &io->req);
        if (r == AVPS_E_NOSPC) {
            uint16_t id;

            /* More segments than seg_max allows and a request object holds:
             * no status byte can be found without them; return it empty. */
            if ((avps_vq_skip(vq, &id) != 1) || (avps_vq_push(vq, id, 0) != AVPS_OK)) {
                break;
            }
            blk->stats.dropped++;
            avps_dev_report_(&blk->dev, AVPS_EV_DEV_REQUEST, ((uint64_t)q << 16) | id,
                             BF_TOO_MANY_SEGS);
            done++;
            continue;
        }
        if (r <= 0) {
            break; /* empty, or the queue broke (the device needs a reset) */
        }
        done++;
        if (io->req.wr_len == 0u) {
            /* No writable byte: no status can be written; return it with
             * length 0. */
            avps_vq_req_unmap(vq, &io->req);
            if (avps_vq_push(vq, io->req.id, 0) != AVPS_OK) {
                break;
            }
            blk->stats.dropped++;
            blk_fault_(blk, io, BF_NO_STATUS);
            continue;
        }
        io->gen = blk->gen[q];
        io->state = IO_BUSY;
        blk_start_(blk, io);
    }
    blk->serving--;
    (void)avps_vq_notify(vq);
    return done;
}

static int blk_queue_notify_(struct avps_dev *dev, uint16_t q)
{
    return blk_serve_(blk_of_(dev), q);
}

/* Forget queue q's requests still with the backend: their completions will
 * find a new generation and be ignored. Returns how many were forgotten. */
static uint32_t blk_orphan_(struct avps_blk *blk, uint16_t q)
{
    struct avps_blk_io *ios = blk_queue_ios_(blk, q);
    uint32_t n = 0;

    blk->gen[q]++;
    blk->stalled[q] = 0;
    for (uint32_t i = 0; i < blk->ios_per_queue; i++) {
        if (ios[i].state == IO_BUSY) {
            ios[i].state = IO_ORPHAN;
            n++;
        }
    }
    blk->stats.orphaned += n;
    return n;
}

/* Tell the backend, once every queue concerned is marked. */
static void blk_forget_(const struct avps_blk *blk, uint16_t q)
{
    if (blk->backend->forget != NULL) {
        blk->backend->forget(blk->backend->ctx, q);
    }
}

static void blk_queue_reset_(struct avps_dev *dev, uint16_t q)
{
    struct avps_blk *blk = blk_of_(dev);

    if (blk_orphan_(blk, q) != 0u) {
        blk_forget_(blk, q);
    }
}

static void blk_reset_(struct avps_dev *dev)
{
    struct avps_blk *blk = blk_of_(dev);
    uint32_t mask[(AVPS_CONFIG_BLK_MAX_QUEUES + 31u) / 32u] = {0};

    for (uint16_t q = 0; q < blk->num_queues; q++) {
        if (blk_orphan_(blk, q) != 0u) {
            mask[q / 32u] |= 1u << (q % 32u);
        }
    }
    blk->writeback = blk->writeback_reset;
    for (uint16_t q = 0; q < blk->num_queues; q++) {
        if ((mask[q / 32u] & (1u << (q % 32u))) != 0u) {
            blk_forget_(blk, q);
        }
    }
}

/* §5.2.5.2: CONFIG_WCE without FLUSH starts in writethrough mode. */
static int blk_features_ok_(struct avps_dev *dev, uint64_t f)
{
    struct avps_blk *blk = blk_of_(dev);

    if (((f & F_CONFIG_WCE) != 0u) && ((f & F_FLUSH) == 0u)) {
        blk->writeback = 0;
    }
    return AVPS_OK;
}

/* ---- configuration space -------------------------------------------------- */

static void blk_config_read_(struct avps_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    const struct avps_blk *blk = blk_of_(dev);
    struct avps_virtio_blk_config c;
    const uint8_t *bytes;

    /* Fields of features not offered, padding (§5.2.5.2) and the zoned
     * characteristics read as 0. */
    (void)AVPS_MEMSET(&c, 0, sizeof c);
    c.capacity = avps_to_le64(blk->capacity);
    if (blk_offers_(blk, F_SIZE_MAX)) {
        c.size_max = avps_to_le32(blk->size_max);
    }
    if (blk_offers_(blk, F_SEG_MAX)) {
        c.seg_max = avps_to_le32(blk->seg_max);
    }
    if (blk_offers_(blk, F_GEOMETRY)) {
        c.cylinders = avps_to_le16(blk->cylinders);
        c.heads = blk->heads;
        c.sectors = blk->sectors;
    }
    if (blk_offers_(blk, F_BLK_SIZE)) {
        c.blk_size = avps_to_le32(blk->blk_size);
    }
    if (blk_offers_(blk, F_TOPOLOGY)) {
        c.physical_block_exp = blk->physical_block_exp;
        c.alignment_offset = blk->alignment_offset;
        c.min_io_size = avps_to_le16(blk->min_io_size);
        c.opt_io_size = avps_to_le32(blk->opt_io_size);
    }
    c.writeback = blk->writeback;
    if (blk_offers_(blk, F_MQ)) {
        c.num_queues = avps_to_le16(blk->num_queues);
    }
    if (blk_offers_(blk, F_DISCARD)) {
        c.max_discard_sectors = avps_to_le32(blk->max_sectors[R_DISCARD]);
        c.max_discard_seg = avps_to_le32(blk->max_seg[R_DISCARD]);
        c.discard_sector_alignment = avps_to_le32(blk->align[R_DISCARD]);
    }
    if (blk_offers_(blk, F_WRITE_ZEROES)) {
        c.max_write_zeroes_sectors = avps_to_le32(blk->max_sectors[R_WZ]);
        c.max_write_zeroes_seg = avps_to_le32(blk->max_seg[R_WZ]);
        c.write_zeroes_may_unmap = blk->wz_may_unmap;
    }
    if (blk_offers_(blk, F_SECURE_ERASE)) {
        c.max_secure_erase_sectors = avps_to_le32(blk->max_sectors[R_ERASE]);
        c.max_secure_erase_seg = avps_to_le32(blk->max_seg[R_ERASE]);
        c.secure_erase_sector_alignment = avps_to_le32(blk->align[R_ERASE]);
    }
    bytes = (const uint8_t *)&c;
    (void)AVPS_MEMCPY(buf, &bytes[off], len);
}

/* Only writeback is writable, with CONFIG_WCE negotiated, as 0 or 1. */
static int blk_config_write_(struct avps_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    struct avps_blk *blk = blk_of_(dev);
    uint8_t v;

    if ((off != 32u) || (len != 1u) || !blk_has_(blk, F_CONFIG_WCE)) {
        return AVPS_E_GUEST_REQ;
    }
    (void)AVPS_MEMCPY(&v, buf, 1u);
    if (v > 1u) {
        return AVPS_E_GUEST_REQ;
    }
    blk->writeback = v;
    return AVPS_OK;
}

/* ---- setup ---------------------------------------------------------------- */

static bool blk_range_cfg_ok_(uint64_t features, uint64_t bit, uint32_t max_sectors,
                              uint32_t max_seg)
{
    if ((features & bit) == 0u) {
        return true;
    }
    return (max_sectors != 0u) && (max_seg != 0u) && (max_seg <= AVPS_CONFIG_BLK_RANGES);
}

static int blk_cfg_check_(const struct avps_blk_cfg *cfg)
{
    const uint64_t f = cfg->features;

    if ((cfg->backend == NULL) || (cfg->backend->submit == NULL) ||
        ((f & ~AVPS_BLK_FEATURES) != 0u) || (cfg->vq_slots == NULL) ||
        (cfg->ios == NULL) || (cfg->ios_per_queue == 0u) || (cfg->ios_per_queue > 32768u) ||
        (cfg->num_queues == 0u) || (cfg->num_queues > AVPS_CONFIG_BLK_MAX_QUEUES) ||
        (cfg->writeback > 1u) || (cfg->write_zeroes_may_unmap > 1u)) {
        return AVPS_E_INVAL;
    }
    /* §5.2.5.2: a device offering CONFIG_WCE MUST offer FLUSH. */
    if (((f & F_CONFIG_WCE) != 0u) && ((f & F_FLUSH) == 0u)) {
        return AVPS_E_INVAL;
    }
    if ((cfg->num_queues > 1u) && ((f & F_MQ) == 0u)) {
        return AVPS_E_INVAL;
    }
    if (((f & F_SEG_MAX) != 0u) &&
        ((cfg->seg_max == 0u) || (cfg->seg_max > AVPS_CONFIG_BLK_SEGS))) {
        return AVPS_E_INVAL;
    }
    if (((f & F_SIZE_MAX) != 0u) && (cfg->size_max < AVPS_BLK_SECTOR_SIZE)) {
        return AVPS_E_INVAL;
    }
    if (((f & F_BLK_SIZE) != 0u) &&
        ((cfg->blk_size < AVPS_BLK_SECTOR_SIZE) || ((cfg->blk_size & (cfg->blk_size - 1u)) != 0u))) {
        return AVPS_E_INVAL;
    }
    if (!blk_range_cfg_ok_(f, F_DISCARD, cfg->max_discard_sectors, cfg->max_discard_seg) ||
        !blk_range_cfg_ok_(f, F_WRITE_ZEROES, cfg->max_write_zeroes_sectors,
                           cfg->max_write_zeroes_seg) ||
        !blk_range_cfg_ok_(f, F_SECURE_ERASE, cfg->max_secure_erase_sectors,
                           cfg->max_secure_erase_seg)) {
        return AVPS_E_INVAL;
    }
    return AVPS_OK;
}

static void blk_copy_cfg_(struct avps_blk *blk, const struct avps_blk_cfg *cfg)
{
    const uint64_t f = cfg->features;

    blk->backend = cfg->backend;
    blk->ios = cfg->ios;
    blk->ios_per_queue = cfg->ios_per_queue;
    blk->serving = 0;
    blk->capacity = cfg->capacity;
    blk->size_max = cfg->size_max;
    blk->seg_max = ((f & F_SEG_MAX) != 0u) ? cfg->seg_max : AVPS_CONFIG_BLK_SEGS;
    blk->blk_size = cfg->blk_size;
    blk->opt_io_size = cfg->opt_io_size;
    blk->cylinders = cfg->cylinders;
    blk->min_io_size = cfg->min_io_size;
    blk->num_queues = cfg->num_queues;
    blk->heads = cfg->heads;
    blk->sectors = cfg->sectors;
    blk->physical_block_exp = cfg->physical_block_exp;
    blk->alignment_offset = cfg->alignment_offset;
    blk->writeback_reset = cfg->writeback;
    blk->writeback = cfg->writeback;
    blk->wz_may_unmap = cfg->write_zeroes_may_unmap;
    blk->max_sectors[R_DISCARD] = cfg->max_discard_sectors;
    blk->max_seg[R_DISCARD] = cfg->max_discard_seg;
    blk->align[R_DISCARD] = cfg->discard_sector_alignment;
    blk->max_sectors[R_WZ] = cfg->max_write_zeroes_sectors;
    blk->max_seg[R_WZ] = cfg->max_write_zeroes_seg;
    blk->align[R_WZ] = 0;
    blk->max_sectors[R_ERASE] = cfg->max_secure_erase_sectors;
    blk->max_seg[R_ERASE] = cfg->max_secure_erase_seg;
    blk->align[R_ERASE] = cfg->secure_erase_sector_alignment;
    blk->lifetime[0] = 0;
    blk->lifetime[1] = 0;
    blk->lifetime[2] = 0;
    (void)AVPS_MEMCPY(blk->id, cfg->id, sizeof blk->id);
    (void)AVPS_MEMSET(&blk->stats, 0, sizeof blk->stats);
    (void)AVPS_MEMSET(blk->gen, 0, sizeof blk->gen);
    (void)AVPS_MEMSET(blk->stalled, 0, sizeof blk->stalled);
}

int avps_blk_init(struct avps_blk *blk, const struct avps_host *host,
                  const struct avps_blk_cfg *cfg)
{
    static const struct avps_dev_class blk_class = {
        .device_id = AVPS_VIRTIO_ID_BLK,
        .config_size = (uint32_t)sizeof(struct avps_virtio_blk_config),
        /* Requests complete out of order: no IN_ORDER. */
        .features = AVPS_BLK_FEATURES,
        .reset = blk_reset_,
        .features_ok = blk_features_ok_,
        .queue_notify = blk_queue_notify_,
        .config_read = blk_config_read_,
        .config_write = blk_config_write_,
        .queue_reset = blk_queue_reset_,
    };
    struct avps_dev_common_cfg cc;
    struct avps_vq_slot *slots;
    size_t total;
    int err;

    if ((blk == NULL) || (cfg == NULL)) {
        return AVPS_E_INVAL;
    }
    err = blk_cfg_check_(cfg);
    if (err != AVPS_OK) {
        return err;
    }
    cc = cfg->common;
    cc.features_off |= AVPS_BLK_FEATURES & ~cfg->features;
    err = avps_dev_init_(&blk->dev, &blk_class, host, blk->queue, cfg->num_queues, &cc);
    if (err != AVPS_OK) {
        return err;
    }
    slots = cfg->vq_slots;
    for (uint16_t q = 0; q < cfg->num_queues; q++) {
        err = avps_dev_queue_init_(&blk->dev, q, cfg->queue_size_max,
                                   &slots[(size_t)q * cfg->vq_slots_per_queue],
                                   cfg->vq_slots_per_queue);
        if (err != AVPS_OK) {
            return err;
        }
    }
    blk_copy_cfg_(blk, cfg);
    total = (size_t)cfg->num_queues * cfg->ios_per_queue;
    (void)AVPS_MEMSET(cfg->ios, 0, total * sizeof cfg->ios[0]);
    return AVPS_OK;
}

struct avps_dev *avps_blk_dev(struct avps_blk *blk)
{
    return &blk->dev;
}

/* ---- backend and management entry points ------------------------------ */

static int blk_complete_(struct avps_blk *blk, struct avps_blk_io *io, uint8_t status)
{
    const uintptr_t base = (uintptr_t)(void *)blk->ios;
    const uintptr_t at = (uintptr_t)(void *)io;
    const size_t total = (size_t)blk->num_queues * blk->ios_per_queue;
    uint8_t st = status;
    uint16_t q;
    int rc = AVPS_OK;

    if ((at < base) || (((at - base) % sizeof *io) != 0u) ||
        (((at - base) / sizeof *io) >= total) || (io->state == IO_FREE)) {
        return AVPS_E_INVAL; /* not ours, or completed twice: the host's bug */
    }
    q = io->queue;
    if ((io->state == IO_ORPHAN) || (io->gen != blk->gen[q])) {
        /* Its queue was reset: the driver has forgotten it too. */
        avps_vq_req_unmap(&blk->queue[q].vq, &io->req);
        io->state = IO_FREE;
        blk->stats.late++;
        if ((blk->serving == 0u) && (blk->stalled[q] != 0u)) {
            (void)blk_serve_(blk, q); /* the object it held is free again */
        }
        return AVPS_E_STATE;
    }
    if (st > AVPS_VIRTIO_BLK_S_UNSUPP) {
        st = AVPS_VIRTIO_BLK_S_IOERR;
        rc = AVPS_E_INVAL;
    }
    if (blk_finish_(blk, io, st) != AVPS_OK) {
        return AVPS_E_STATE; /* the queue broke meanwhile; the object is free */
    }
    if (blk->serving != 0u) {
        return rc; /* completed from inside submit: the serving loop goes on */
    }
    if (blk->stalled[q] != 0u) {
        (void)blk_serve_(blk, q); /* notifies */
    } else {
        (void)avps_vq_notify(&blk->queue[q].vq);
    }
    return rc;
}

int avps_blk_complete(struct avps_blk *blk, struct avps_blk_io *io, uint8_t status)
{
    int r;

    AVPS_ASSERT((blk != NULL) && (io != NULL));
    avps_dev_lock_(&blk->dev);
    r = blk_complete_(blk, io, status);
    avps_dev_unlock_(&blk->dev);
    return r;
}

int avps_blk_set_capacity(struct avps_blk *blk, uint64_t sectors)
{
    AVPS_ASSERT(blk != NULL);
    avps_dev_lock_(&blk->dev);
    blk->capacity = sectors;
    avps_dev_config_changed(&blk->dev);
    avps_dev_unlock_(&blk->dev);
    return AVPS_OK;
}

int avps_blk_set_lifetime(struct avps_blk *blk, uint16_t pre_eol, uint16_t est_a,
                          uint16_t est_b)
{
    AVPS_ASSERT(blk != NULL);
    if ((pre_eol > AVPS_VIRTIO_BLK_PRE_EOL_INFO_URGENT) ||
        (est_a > AVPS_VIRTIO_BLK_LIFETIME_EST_MAX) || (est_b > AVPS_VIRTIO_BLK_LIFETIME_EST_MAX)) {
        return AVPS_E_INVAL;
    }
    avps_dev_lock_(&blk->dev);
    blk->lifetime[0] = pre_eol;
    blk->lifetime[1] = est_a;
    blk->lifetime[2] = est_b;
    avps_dev_unlock_(&blk->dev);
    return AVPS_OK;
}

uint8_t avps_blk_writeback(const struct avps_blk *blk)
{
    return blk->writeback;
}

const struct avps_blk_stats *avps_blk_stats(const struct avps_blk *blk)
{
    return &blk->stats;
}

/*
 * avps-vhost-user device type "blk": virtio-blk on a raw image file.
 *
 * I/O is asynchronous through io_uring (liburing) when the daemon was built
 * with it (CMake finds liburing; AVPS_DMN_HAVE_URING): reads and writes are
 * readv/writev at the request's offset straight into and out of guest memory,
 * FLUSH is fdatasync, DISCARD punches a hole (FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE), WRITE_ZEROES zeroes the range (FALLOC_FL_ZERO_RANGE, or
 * PUNCH_HOLE when the driver allows unmapping), SECURE_ERASE zeroes it. The
 * ring's eventfd is polled by the daemon's loop; a request is completed to the
 * guest only when all of its I/O has completed (and, when the write must be
 * stable, after RWF_DSYNC or a following fdatasync).
 *
 * Without liburing (or with aio=sync) the same operations run synchronously
 * inside the submit callback (preadv, pwritev, fallocate, fdatasync): no
 * threads, and the poll loop waits while the disk works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <avps/blk.h>
#include <avps/err.h>

#ifdef AVPS_DMN_HAVE_URING
#include <liburing.h>
#endif

#include "daemon.h"

#define BLK_QUEUE_MAX 32768u
#define BLK_QUEUE_DEFAULT 1024u
#define BLK_REQS_DEFAULT 128u
#define BLK_REQS_MAX 4096u
#define BLK_NQ_MAX (AVPS_CONFIG_BLK_MAX_QUEUES < AVPS_VU_MAX_QUEUES ? AVPS_CONFIG_BLK_MAX_QUEUES : AVPS_VU_MAX_QUEUES)
#define BLK_DISCARD_ALIGN 8u           /* sectors: 4 KiB, the usual file system block */
#define BLK_MAX_RANGE_SECTORS (1u << 22) /* 2 GiB per range (a multiple of the alignment) */
#define RI_FSYNC 0xffffu               /* user_data range index of a trailing fdatasync */

/* struct avps_blk_iov is laid out like struct iovec: hand it to the kernel. */
_Static_assert(sizeof(struct avps_blk_iov) == sizeof(struct iovec), "iov size");
_Static_assert(offsetof(struct avps_blk_iov, base) == offsetof(struct iovec, iov_base), "iov base");
_Static_assert(offsetof(struct avps_blk_iov, len) == offsetof(struct iovec, iov_len), "iov len");

struct blk_req {
    unsigned int pending; /* kernel operations outstanding */
    bool failed;
    bool synced;          /* the trailing fdatasync was issued */
};

struct blk_delayed {
    struct avps_blk_io *io;
    struct timespec due;
    bool dead; /* its queue was reset: complete it without I/O */
};

struct blk_dev {
    struct avps_blk blk;
    struct avps_blk_backend be;
    struct dmn_dev *d;
    int fd;
    int efd;
    bool readonly;
    bool uring;
    uint16_t nq;
    uint32_t per_q;
    uint64_t size;
    struct avps_vq_slot *slots;
    struct avps_blk_io *ios;
    struct blk_req *st;
    /* latency-ms: requests wait in a FIFO (constant delay: deadlines come in
     * order) and a timerfd releases them */
    uint32_t latency_ms;
    int tfd;
    struct blk_delayed *dq;
    size_t dq_head, dq_n, dq_cap;
#ifdef AVPS_DMN_HAVE_URING
    struct io_uring ring;
    bool ring_ok;
#endif
};

static size_t io_index(const struct blk_dev *b, const struct avps_blk_io *io)
{
    return (size_t)(io - b->ios);
}

/* ---- synchronous helpers (the fallback, and the rare retries) ------------- */

/* Move len bytes between iov and the file at off, to the end. */
static int sync_rw(int fd, bool write, const struct avps_blk_iov *iov, unsigned int n,
                   uint64_t off, uint64_t skip, bool dsync)
{
    struct iovec v[AVPS_BLK_CHAIN_SEGS];
    unsigned int k = 0;

    off += skip; /* the file offset of the first byte still to move */
    for (unsigned int i = 0; i < n && i < AVPS_BLK_CHAIN_SEGS; i++) {
        if (skip >= iov[i].len) {
            skip -= iov[i].len;
            continue;
        }
        v[k].iov_base = (uint8_t *)iov[i].base + skip;
        v[k].iov_len = iov[i].len - skip;
        skip = 0;
        k++;
    }
    for (unsigned int i = 0; i < k;) {
        ssize_t r = write ? pwritev2(fd, &v[i], (int)(k - i), (off_t)off, dsync ? RWF_DSYNC : 0)
                          : preadv(fd, &v[i], (int)(k - i), (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1; /* an error, or end of file inside the capacity */
        off += (uint64_t)r;
        while (i < k && (size_t)r >= v[i].iov_len) {
            r -= (ssize_t)v[i].iov_len;
            i++;
        }
        if (i < k) {
            v[i].iov_base = (uint8_t *)v[i].iov_base + r;
            v[i].iov_len -= (size_t)r;
        }
    }
    return 0;
}

/* Zero [off, off + len): ZERO_RANGE, else a hole (reads back zeroes), else
 * written zeroes. */
static int sync_zero(int fd, uint64_t off, uint64_t len, bool unmap)
{
    static const uint8_t zeroes[65536];

    if (!unmap && fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    while (len > 0) {
        size_t n = len < sizeof zeroes ? (size_t)len : sizeof zeroes;
        ssize_t r = pwrite(fd, zeroes, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    return 0;
}

static int range_mode(uint32_t type, uint32_t flags)
{
    if (type == AVPS_VIRTIO_BLK_T_DISCARD ||
        (type == AVPS_VIRTIO_BLK_T_WRITE_ZEROES && (flags & AVPS_VIRTIO_BLK_WZ_UNMAP) != 0u))
        return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

static int sync_range(int fd, uint32_t type, const struct avps_blk_range *r)
{
    const uint64_t off = r->sector * AVPS_BLK_SECTOR_SIZE;
    const uint64_t len = (uint64_t)r->num_sectors * AVPS_BLK_SECTOR_SIZE;

    if (type == AVPS_VIRTIO_BLK_T_DISCARD) {
        /* a hint: a file system that cannot punch holes keeps the data */
        (void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
        return 0;
    }
    return sync_zero(fd, off, len, range_mode(type, r->flags) != (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE));
}

static bool is_ranged(uint32_t type)
{
    return type == AVPS_VIRTIO_BLK_T_DISCARD || type == AVPS_VIRTIO_BLK_T_WRITE_ZEROES ||
           type == AVPS_VIRTIO_BLK_T_SECURE_ERASE;
}

/* The whole request, synchronously. Returns a VIRTIO_BLK_S_* status. */
static uint8_t sync_exec(struct blk_dev *b, const struct avps_blk_io *io)
{
    const bool stable = (io->flags & AVPS_BLK_IO_STABLE) != 0u;
    int r = 0;

    switch (io->type) {
    case AVPS_VIRTIO_BLK_T_IN:
        r = sync_rw(b->fd, false, io->iov, io->n_iov, io->sector * AVPS_BLK_SECTOR_SIZE, 0, false);
        break;
    case AVPS_VIRTIO_BLK_T_OUT:
        r = sync_rw(b->fd, true, io->iov, io->n_iov, io->sector * AVPS_BLK_SECTOR_SIZE, 0, stable);
        break;
    case AVPS_VIRTIO_BLK_T_FLUSH:
        r = fdatasync(b->fd);
        break;
    default:
        for (unsigned int i = 0; i < io->n_range && r == 0; i++)
            r = sync_range(b->fd, io->type, &io->range[i]);
        if (r == 0 && stable)
            r = fdatasync(b->fd);
        break;
    }
    return (uint8_t)(r == 0 ? AVPS_VIRTIO_BLK_S_OK : AVPS_VIRTIO_BLK_S_IOERR);
}

/* ---- io_uring ---------------------------------------------------------------- */

#ifdef AVPS_DMN_HAVE_URING
static struct io_uring_sqe *get_sqe(struct blk_dev *b)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

    if (sqe == NULL) {
        (void)io_uring_submit(&b->ring);
        sqe = io_uring_get_sqe(&b->ring);
    }
    return sqe;
}

static uint64_t tag(const struct blk_dev *b, const struct avps_blk_io *io, unsigned int ri)
{
    return ((uint64_t)io_index(b, io) << 16) | ri;
}

static int uring_fsync(struct blk_dev *b, struct avps_blk_io *io)
{
    struct io_uring_sqe *sqe = get_sqe(b);

    if (sqe == NULL)
        return -1;
    io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, tag(b, io, RI_FSYNC));
    b->st[io_index(b, io)].pending++;
    return 0;
}

static int uring_submit(struct blk_dev *b, struct avps_blk_io *io)
{
    struct blk_req *st = &b->st[io_index(b, io)];
    const uint64_t off = io->sector * AVPS_BLK_SECTOR_SIZE;
    struct io_uring_sqe *sqe;

    switch (io->type) {
    case AVPS_VIRTIO_BLK_T_IN:
    case AVPS_VIRTIO_BLK_T_OUT:
        sqe = get_sqe(b);
        if (sqe == NULL)
            return -1;
        if (io->type == AVPS_VIRTIO_BLK_T_IN) {
            io_uring_prep_readv(sqe, b->fd, (const struct iovec *)(const void *)io->iov, io->n_iov, off);
        } else {
            io_uring_prep_writev(sqe, b->fd, (const struct iovec *)(const void *)io->iov, io->n_iov, off);
            if ((io->flags & AVPS_BLK_IO_STABLE) != 0u)
                sqe->rw_flags = RWF_DSYNC;
        }
        io_uring_sqe_set_data64(sqe, tag(b, io, 0));
        st->pending++;
        break;
    case AVPS_VIRTIO_BLK_T_FLUSH:
        st->synced = true;
        if (uring_fsync(b, io) != 0)
            return -1;
        break;
    default:
        for (unsigned int i = 0; i < io->n_range; i++) {
            const struct avps_blk_range *r = &io->range[i];

            sqe = get_sqe(b);
            if (sqe == NULL) {
                st->failed = true; /* the ranges already queued finish it */
                break;
            }
            io_uring_prep_fallocate(sqe, b->fd, range_mode(io->type, r->flags),
                                    (off_t)(r->sector * AVPS_BLK_SECTOR_SIZE),
                                    (off_t)r->num_sectors * AVPS_BLK_SECTOR_SIZE);
            io_uring_sqe_set_data64(sqe, tag(b, io, i));
            st->pending++;
        }
        break;
    }
    (void)io_uring_submit(&b->ring);
    return 0;
}

/* One kernel completion. */
static void uring_done(struct blk_dev *b, uint64_t data, int res)
{
    const size_t idx = (size_t)(data >> 16);
    const unsigned int ri = (unsigned int)(data & 0xffffu);
    struct avps_blk_io *io;
    struct blk_req *st;

    if (idx >= (size_t)b->nq * b->per_q)
        return;
    io = &b->ios[idx];
    st = &b->st[idx];
    if (st->pending == 0)
        return;
    if (ri == RI_FSYNC) {
        if (res < 0)
            st->failed = true;
    } else if (io->type == AVPS_VIRTIO_BLK_T_IN || io->type == AVPS_VIRTIO_BLK_T_OUT) {
        if (res < 0) {
            st->failed = true;
        } else if ((uint64_t)res < io->len &&
                   sync_rw(b->fd, io->type == AVPS_VIRTIO_BLK_T_OUT, io->iov, io->n_iov,
                           io->sector * AVPS_BLK_SECTOR_SIZE, (uint64_t)res,
                           (io->flags & AVPS_BLK_IO_STABLE) != 0u) != 0) {
            st->failed = true; /* a short transfer, finished here, failed */
        }
    } else if (ri < io->n_range) {
        if (res == -EOPNOTSUPP || res == -EINVAL) {
            /* the file system cannot do this mode: do it the slow way */
            if (sync_range(b->fd, io->type, &io->range[ri]) != 0)
                st->failed = true;
        } else if (res < 0 && io->type != AVPS_VIRTIO_BLK_T_DISCARD) {
            st->failed = true;
        }
    }
    if (--st->pending != 0)
        return;
    if (!st->failed && !st->synced && is_ranged(io->type) &&
        (io->flags & AVPS_BLK_IO_STABLE) != 0u) {
        st->synced = true;
        if (uring_fsync(b, io) == 0) {
            (void)io_uring_submit(&b->ring);
            return;
        }
        st->failed = true;
    }
    (void)avps_blk_complete(&b->blk, io,
                            (uint8_t)(st->failed ? AVPS_VIRTIO_BLK_S_IOERR : AVPS_VIRTIO_BLK_S_OK));
}

static void uring_reap(struct blk_dev *b)
{
    struct io_uring_cqe *cqe;

    while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
        const uint64_t data = io_uring_cqe_get_data64(cqe);
        const int res = cqe->res;

        io_uring_cqe_seen(&b->ring, cqe);
        uring_done(b, data, res);
    }
}

/* Wait until no request of queue q (or of any queue, q < 0) has kernel I/O
 * outstanding. */
static void uring_drain(struct blk_dev *b, int q)
{
    for (;;) {
        struct io_uring_cqe *cqe;
        bool busy = false;

        for (uint16_t k = 0; k < b->nq && !busy; k++) {
            if (q >= 0 && k != q)
                continue;
            for (uint32_t i = 0; i < b->per_q; i++) {
                if (b->st[(size_t)k * b->per_q + i].pending != 0) {
                    busy = true;
                    break;
                }
            }
        }
        if (!busy)
            return;
        if (io_uring_wait_cqe(&b->ring, &cqe) != 0)
            return;
        {
            const uint64_t data = io_uring_cqe_get_data64(cqe);
            const int res = cqe->res;

            io_uring_cqe_seen(&b->ring, cqe);
            uring_done(b, data, res);
        }
    }
}
#endif

/* ---- the backend ops ------------------------------------------------------------- */

static int blk_submit_now(struct blk_dev *b, struct avps_blk_io *io)
{
    struct blk_req *st = &b->st[io_index(b, io)];

    st->pending = 0;
    st->failed = false;
    st->synced = false;
#ifdef AVPS_DMN_HAVE_URING
    if (b->uring) {
        if (uring_submit(b, io) != 0 || st->pending == 0)
            return AVPS_E_IO;
        return AVPS_OK;
    }
#endif
    /* No locking in the daemon: completing from inside submit is allowed. */
    (void)avps_blk_complete(&b->blk, io, sync_exec(b, io));
    return AVPS_OK;
}

static void delay_arm(struct blk_dev *b)
{
    struct itimerspec it;

    memset(&it, 0, sizeof it);
    if (b->dq_n > 0)
        it.it_value = b->dq[b->dq_head].due; /* absolute, CLOCK_MONOTONIC */
    (void)timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

static int blk_submit(void *ctx, struct avps_blk_io *io)
{
    struct blk_dev *b = ctx;
    struct blk_delayed *e;

    if (b->latency_ms == 0)
        return blk_submit_now(b, io);
    if (b->dq_n == b->dq_cap)
        return AVPS_E_IO; /* cannot happen: one entry per request object */
    e = &b->dq[(b->dq_head + b->dq_n) % b->dq_cap];
    e->io = io;
    e->dead = false;
    clock_gettime(CLOCK_MONOTONIC, &e->due);
    e->due.tv_nsec += (long)(b->latency_ms % 1000u) * 1000000L;
    e->due.tv_sec += (time_t)(b->latency_ms / 1000u) + e->due.tv_nsec / 1000000000L;
    e->due.tv_nsec %= 1000000000L;
    if (b->dq_n++ == 0)
        delay_arm(b);
    return AVPS_OK;
}

/* The timer fired: hand every request that is due to the file. */
static void delay_release(struct blk_dev *b)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    while (b->dq_n > 0) {
        struct blk_delayed *e = &b->dq[b->dq_head];

        if (e->due.tv_sec > now.tv_sec ||
            (e->due.tv_sec == now.tv_sec && e->due.tv_nsec > now.tv_nsec))
            break;
        b->dq_head = (b->dq_head + 1) % b->dq_cap;
        b->dq_n--;
        if (e->dead || blk_submit_now(b, e->io) != AVPS_OK)
            (void)avps_blk_complete(&b->blk, e->io, AVPS_VIRTIO_BLK_S_IOERR);
    }
    delay_arm(b);
}

static void blk_forget(void *ctx, uint16_t q)
{
    struct blk_dev *b = ctx;

    /* Requests still waiting out their latency never reach the file: they
     * complete (ignored by the device) when their time comes. */
    for (size_t k = 0; k < b->dq_n; k++) {
        struct blk_delayed *e = &b->dq[(b->dq_head + k) % b->dq_cap];

        if (io_index(b, e->io) / b->per_q == q)
            e->dead = true;
    }
#ifdef AVPS_DMN_HAVE_URING

    /* The port may unmap guest memory after the reset: let the kernel finish
     * with it first. The completions are ignored by the device. */
    if (b->uring)
        uring_drain(b, q);
#endif
}

static unsigned int blk_pollfds(struct dmn_dev *d, struct pollfd *pfd, unsigned int max)
{
    struct blk_dev *b = d->priv;
    unsigned int n = 0;

    if (b == NULL)
        return 0;
    if (b->efd >= 0 && n < max) {
        pfd[n].fd = b->efd;
        pfd[n++].events = POLLIN;
    }
    if (b->tfd >= 0 && n < max) {
        pfd[n].fd = b->tfd;
        pfd[n++].events = POLLIN;
    }
    return n;
}

static void blk_event(struct dmn_dev *d, int fd, short revents)
{
    struct blk_dev *b = d->priv;
    uint64_t v;

    (void)revents;
    if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
        dmn_say("error: %s: eventfd read: %s", d->name, strerror(errno));
    if (fd == b->tfd) {
        delay_release(b);
        return;
    }
#ifdef AVPS_DMN_HAVE_URING
    if (b->uring)
        uring_reap(b);
#else
    (void)b;
#endif
}

/* ---- setup ---------------------------------------------------------------------- */

static int blk_setup(struct dmn_dev *d, char *opts)
{
    struct blk_dev *b = calloc(1, sizeof *b);
    struct avps_blk_cfg cfg;
    const char *image = NULL, *serial = "";
    uint64_t nq = 1, qsize = BLK_QUEUE_DEFAULT, reqs = BLK_REQS_DEFAULT;
    int ro = 0, discard = 1, erase = 0, wb = 1, aio_uring = 1;
    char *key, *val;
    struct stat sb;
    int k, err;

    if (b == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    d->priv = b;
    b->d = d;
    b->fd = -1;
    b->efd = -1;
    b->tfd = -1;
    while ((k = dmn_next_opt(&opts, &key, &val)) == 1) {
        if (strcmp(key, "image") == 0) {
            image = val;
        } else if (strcmp(key, "readonly") == 0) {
            if (dmn_parse_bool(d, key, val, &ro) != 0)
                return -1;
        } else if (strcmp(key, "discard") == 0) {
            if (dmn_parse_bool(d, key, val, &discard) != 0)
                return -1;
        } else if (strcmp(key, "secure-erase") == 0) {
            if (dmn_parse_bool(d, key, val, &erase) != 0)
                return -1;
        } else if (strcmp(key, "writeback") == 0) {
            if (dmn_parse_bool(d, key, val, &wb) != 0)
                return -1;
        } else if (strcmp(key, "num-queues") == 0) {
            if (dmn_parse_u64(d, key, val, 1, BLK_NQ_MAX, &nq) != 0)
                return -1;
        } else if (strcmp(key, "queue-size") == 0) {
            if (dmn_parse_u64(d, key, val, 1, BLK_QUEUE_MAX, &qsize) != 0)
                return -1;
        } else if (strcmp(key, "requests") == 0) {
            if (dmn_parse_u64(d, key, val, 1, BLK_REQS_MAX, &reqs) != 0)
                return -1;
        } else if (strcmp(key, "serial") == 0) {
            if (strlen(val) > AVPS_VIRTIO_BLK_ID_BYTES) {
                dmn_say("error: blk: serial is at most %u characters", AVPS_VIRTIO_BLK_ID_BYTES);
                return -1;
            }
            serial = val;
        } else if (strcmp(key, "latency-ms") == 0) {
            uint64_t ms;

            if (dmn_parse_u64(d, key, val, 0, 10000, &ms) != 0)
                return -1;
            b->latency_ms = (uint32_t)ms;
        } else if (strcmp(key, "aio") == 0 && strcmp(val, "io_uring") == 0) {
            aio_uring = 1;
        } else if (strcmp(key, "aio") == 0 && strcmp(val, "sync") == 0) {
            aio_uring = 0;
        } else {
            return dmn_unknown_opt(d, key, val);
        }
    }
    if (k < 0)
        return -1;
    if (image == NULL) {
        dmn_say("error: blk: image=PATH is required");
        return -1;
    }
    b->readonly = ro != 0;
    b->fd = open(image, (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0) {
        dmn_say("error: blk: cannot open %s: %s", image, strerror(errno));
        return -1;
    }
    if (fstat(b->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        dmn_say("error: blk: %s is not a regular file", image);
        return -1;
    }
    b->size = (uint64_t)sb.st_size;
    b->nq = (uint16_t)nq;
    b->per_q = (uint32_t)reqs;
    b->slots = calloc((size_t)nq * qsize, sizeof *b->slots);
    b->ios = calloc((size_t)nq * reqs, sizeof *b->ios);
    b->st = calloc((size_t)nq * reqs, sizeof *b->st);
    if (b->slots == NULL || b->ios == NULL || b->st == NULL) {
        dmn_say("error: out of memory");
        return -1;
    }
    if (b->latency_ms != 0) {
        b->dq_cap = (size_t)nq * reqs;
        b->dq = calloc(b->dq_cap, sizeof *b->dq);
        b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (b->dq == NULL || b->tfd < 0) {
            dmn_say("error: blk: latency-ms: %s", strerror(errno));
            return -1;
        }
    }
#ifdef AVPS_DMN_HAVE_URING
    if (aio_uring) {
        unsigned int entries = (unsigned int)(nq * reqs * 2u);
        int r;

        if (entries > 4096u)
            entries = 4096u;
        r = io_uring_queue_init(entries, &b->ring, 0);
        if (r == 0) {
            b->ring_ok = true;
            b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (b->efd >= 0 && io_uring_register_eventfd(&b->ring, b->efd) == 0) {
                b->uring = true;
            } else {
                dmn_say("%s: io_uring eventfd unavailable; synchronous I/O", d->name);
            }
        } else {
            dmn_say("%s: io_uring unavailable (%s); synchronous I/O", d->name, strerror(-r));
        }
    }
#else
    (void)aio_uring;
#endif
    dmn_vu_init(d);
    b->be.submit = blk_submit;
    b->be.forget = blk_forget;
    b->be.ctx = b;
    memset(&cfg, 0, sizeof cfg);
    cfg.common.dev_id = (uint32_t)d->index;
    cfg.backend = &b->be;
    cfg.features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SEG_MAX) |
                   AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_FLUSH) |
                   AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_CONFIG_WCE);
    if (b->readonly)
        cfg.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_RO);
    if (nq > 1)
        cfg.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_MQ);
    if (discard)
        cfg.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_DISCARD) |
                        AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_WRITE_ZEROES);
    if (erase)
        cfg.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_BLK_F_SECURE_ERASE);
    cfg.capacity = b->size / AVPS_BLK_SECTOR_SIZE;
    /* two segments of margin for buffers that cross a memory-region boundary */
    cfg.seg_max = AVPS_CONFIG_BLK_SEGS > 2u ? AVPS_CONFIG_BLK_SEGS - 2u : 1u;
    cfg.writeback = (uint8_t)(wb != 0);
    cfg.max_discard_sectors = BLK_MAX_RANGE_SECTORS;
    cfg.max_discard_seg = AVPS_CONFIG_BLK_RANGES;
    cfg.discard_sector_alignment = BLK_DISCARD_ALIGN;
    cfg.max_write_zeroes_sectors = BLK_MAX_RANGE_SECTORS;
    cfg.max_write_zeroes_seg = AVPS_CONFIG_BLK_RANGES;
    cfg.write_zeroes_may_unmap = 1;
    cfg.max_secure_erase_sectors = BLK_MAX_RANGE_SECTORS;
    cfg.max_secure_erase_seg = AVPS_CONFIG_BLK_RANGES;
    cfg.secure_erase_sector_alignment = BLK_DISCARD_ALIGN;
    memcpy(cfg.id, serial, strlen(serial));
    cfg.num_queues = (uint16_t)nq;
    cfg.queue_size_max = (uint16_t)(qsize > 0xffffu ? 0xffffu : qsize);
    cfg.vq_slots = b->slots;
    cfg.vq_slots_per_queue = (uint32_t)qsize;
    cfg.ios = b->ios;
    cfg.ios_per_queue = (uint32_t)reqs;
    err = avps_blk_init(&b->blk, avps_vu_host(&d->vu), &cfg);
    if (err == AVPS_OK)
        err = avps_vu_attach(&d->vu, avps_blk_dev(&b->blk));
    if (err != AVPS_OK) {
        dmn_say("error: blk setup failed: %s", avps_strerror(err));
        return -1;
    }
    if (dmn_verbosity > 0)
        dmn_say("%s: %s, %llu sectors, %u queue(s), %s%s I/O", d->name, image,
                (unsigned long long)cfg.capacity, (unsigned int)nq, b->readonly ? "read-only, " : "",
                b->uring ? "io_uring" : "synchronous");
    return 0;
}

static void blk_teardown(struct dmn_dev *d)
{
    struct blk_dev *b = d->priv;

    if (b == NULL)
        return;
#ifdef AVPS_DMN_HAVE_URING
    if (b->uring)
        uring_drain(b, -1);
    if (b->ring_ok)
        io_uring_queue_exit(&b->ring);
#endif
    if (b->efd >= 0)
        close(b->efd);
    if (b->tfd >= 0)
        close(b->tfd);
    free(b->dq);
    if (b->fd >= 0)
        close(b->fd);
    free(b->slots);
    free(b->ios);
    free(b->st);
    free(b);
    d->priv = NULL;
}

const struct dmn_type dmn_blk = {
    .name = "blk",
    .help = "  blk      block device (virtio-blk) on a raw image file. Options:\n"
            "             image=PATH         the image (required); its size sets the capacity\n"
            "             readonly=on        offer VIRTIO_BLK_F_RO; the file is opened read-only\n"
            "             num-queues=N       request queues (VIRTIO_BLK_F_MQ when > 1; default 1)\n"
            "             serial=STR         GET_ID string (up to 20 characters)\n"
            "             discard=off        do not offer DISCARD and WRITE_ZEROES (default on)\n"
            "             secure-erase=on    offer SECURE_ERASE (zeroes the range; default off)\n"
            "             writeback=off      start in writethrough mode (default writeback)\n"
            "             queue-size=N       largest queue size accepted (default 1024)\n"
            "             requests=N         requests in flight per queue (default 128)\n"
            "             aio=io_uring|sync  asynchronous io_uring (default when built with\n"
            "                                liburing) or synchronous I/O in the poll loop\n"
            "             latency-ms=N       hold every request N ms before it reaches the\n"
            "                                file (tests: requests stay in flight; default 0)\n",
    .setup = blk_setup,
    .pollfds = blk_pollfds,
    .event = blk_event,
    .teardown = blk_teardown,
};

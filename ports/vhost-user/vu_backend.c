/*
 * vhost-user back-end: one connection, one libavps device.
 *
 * The front-end's memory table becomes the port's map op, its eventfds become
 * kicks and interrupts, and its messages become device-core calls. Everything the
 * front-end sends is checked first (avps_vu_check) and every file descriptor it
 * sends is either kept or closed on every path.
 */
#define _GNU_SOURCE
#include "avps_vhost_user.h"
#include "vu_inflight.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/virtio/features.h>

#define S_ACK AVPS_VIRTIO_S_ACKNOWLEDGE
#define S_DRIVER AVPS_VIRTIO_S_DRIVER
#define S_FEATURES_OK AVPS_VIRTIO_S_FEATURES_OK
#define S_DRIVER_OK AVPS_VIRTIO_S_DRIVER_OK

#define VU_ONLY_FEATURES ((1ull << AVPS_VU_F_PROTOCOL_FEATURES) | (1ull << AVPS_VU_F_LOG_ALL))

static const uint64_t vu_protocol_features =
    (1ull << AVPS_VU_PF_MQ) | (1ull << AVPS_VU_PF_LOG_SHMFD) | (1ull << AVPS_VU_PF_REPLY_ACK) |
    (1ull << AVPS_VU_PF_BACKEND_REQ) | (1ull << AVPS_VU_PF_CONFIG) |
    (1ull << AVPS_VU_PF_RESET_DEVICE) | (1ull << AVPS_VU_PF_CONFIGURE_MEM_SLOTS) |
    (1ull << AVPS_VU_PF_STATUS)
#if AVPS_CONFIG_ENABLE_JOURNAL
    /* the in-flight region is kept through the engines' journal */
    | (1ull << AVPS_VU_PF_INFLIGHT_SHMFD)
#endif
    ;

/* ---- logging ----------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
void vu_log_(const struct avps_vu *vu, int level, const char *fmt, ...)
{
    char line[256];
    int n;
    va_list ap;

    if (vu->cfg.log == NULL || level > vu->cfg.verbosity)
        return;
    n = snprintf(line, sizeof line, "%s: ", vu->cfg.name != NULL ? vu->cfg.name : "vhost-user");
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    vu->cfg.log(vu->cfg.log_ctx, level, line);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---- guest memory ------------------------------------------------------ */

static const struct avps_vu_mregion *vu_region_by_gpa(const struct avps_vu *vu, uint64_t gpa)
{
    for (unsigned int i = 0; i < vu->nreg; i++) {
        const struct avps_vu_mregion *r = &vu->reg[i];

        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

static int vu_uva_to_gpa(const struct avps_vu *vu, uint64_t uva, uint64_t *gpa)
{
    for (unsigned int i = 0; i < vu->nreg; i++) {
        const struct avps_vu_mregion *r = &vu->reg[i];

        if (uva >= r->uva && uva - r->uva < r->size) {
            *gpa = r->gpa + (uva - r->uva);
            return 0;
        }
    }
    return -1;
}

void *vu_gpa_ptr_(const struct avps_vu *vu, uint64_t gpa, uint64_t len)
{
    const struct avps_vu_mregion *r = vu_region_by_gpa(vu, gpa);

    if (r == NULL || len > r->size - (gpa - r->gpa))
        return NULL;
    return r->host + (gpa - r->gpa);
}

/* The port's map op: a span inside one region. */
static int vu_map(void *ctx, uint64_t addr, uint64_t len, unsigned int access, void **hva,
                  uint64_t *span)
{
    const struct avps_vu *vu = ctx;
    const struct avps_vu_mregion *r;
    uint64_t n;

    if ((access & AVPS_ACCESS_IOVA) != 0u)
        return -1; /* no IOTLB: ACCESS_PLATFORM is never offered */
    r = vu_region_by_gpa(vu, addr);
    if (r == NULL)
        return -1;
    n = r->size - (addr - r->gpa);
    *hva = r->host + (addr - r->gpa);
    *span = n < len ? n : len;
    return 0;
}

/* Translation windows: a whole region. Every change to the memory table
 * (SET_MEM_TABLE, REM_MEM_REG) stops and restarts the running rings, which
 * drops their windows, as the port contract asks. */
static int vu_window(void *ctx, uint64_t addr, unsigned int access, uint64_t *win_addr,
                     uint64_t *win_len, void **win_hva)
{
    const struct avps_vu *vu = ctx;
    const struct avps_vu_mregion *r;

    if ((access & AVPS_ACCESS_IOVA) != 0u)
        return -1;
    r = vu_region_by_gpa(vu, addr);
    if (r == NULL)
        return -1;
    *win_addr = r->gpa;
    *win_len = r->size;
    *win_hva = r->host;
    return 0;
}

static int vu_inject(void *ctx, uint32_t vector)
{
    struct avps_vu *vu = ctx;
    uint64_t one = 1;

    if (vector >= vu->nq || vu->q[vector].call_fd < 0)
        return 0;
    if (write(vu->q[vector].call_fd, &one, sizeof one) != (ssize_t)sizeof one)
        return AVPS_E_IO;
    return 0;
}

static void vu_report(void *ctx, enum avps_event ev, uint32_t dev, uint64_t a, uint64_t b)
{
    const struct avps_vu *vu = ctx;

    vu_log_(vu, 1, "event %d dev %u a=%#llx b=%#llx", (int)ev, dev, (unsigned long long)a,
           (unsigned long long)b);
}

static void vu_dirty(void *ctx, uint64_t addr, uint64_t len)
{
    struct avps_vu *vu = ctx;
    uint64_t first, last;

    if ((vu->features & (1ull << AVPS_VU_F_LOG_ALL)) == 0u || vu->log_base == NULL || len == 0u)
        return;
    first = addr / AVPS_VU_LOG_PAGE;
    last = (addr + (len - 1u)) / AVPS_VU_LOG_PAGE;
    for (uint64_t page = first; page <= last; page++) {
        if (page / 8u >= vu->log_size)
            break; /* outside the log the front-end gave us */
        __atomic_fetch_or(&vu->log_base[page / 8u], (uint8_t)(1u << (page % 8u)),
                          __ATOMIC_RELAXED);
    }
}

static const struct avps_port_ops vu_port_ops = {
    .version = AVPS_PORT_OPS_VERSION,
    .map = vu_map,
    .inject = vu_inject,
    .report = vu_report,
    .dirty = vu_dirty,
    .window = vu_window,
};

/* ---- transport ops: how the device reaches the front-end --------------- */

static int vu_notify_queue(void *tctx, struct avps_dev *dev, uint16_t q)
{
    (void)dev;
    return vu_inject(tctx, q);
}

static int vu_notify_config(void *tctx, struct avps_dev *dev)
{
    struct avps_vu *vu = tctx;
    struct avps_vu_hdr h;

    (void)dev;
    if (vu->backend_fd < 0 || (vu->proto_features & (1ull << AVPS_VU_PF_CONFIG)) == 0u)
        return 0;
    h.request = AVPS_VU_BACKEND_CONFIG_CHANGE_MSG;
    h.flags = AVPS_VU_VERSION;
    h.size = 0;
    if (send(vu->backend_fd, &h, sizeof h, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof h)
        return AVPS_E_IO;
    return 0;
}

static const struct avps_transport_ops vu_tops = {vu_notify_queue, vu_notify_config};

/* ---- setup ------------------------------------------------------------- */

int avps_vu_init(struct avps_vu *vu, const struct avps_vu_cfg *cfg)
{
    memset(vu, 0, sizeof *vu);
    if (cfg != NULL)
        vu->cfg = *cfg;
    vu->host.ops = &vu_port_ops;
    vu->host.ctx = vu;
    vu->sock = -1;
    vu->backend_fd = -1;
    for (unsigned int i = 0; i < AVPS_VU_MAX_QUEUES; i++)
        vu->q[i].kick_fd = vu->q[i].call_fd = vu->q[i].err_fd = -1;
    return 0;
}

const struct avps_host *avps_vu_host(struct avps_vu *vu)
{
    return &vu->host;
}

int avps_vu_attach(struct avps_vu *vu, struct avps_dev *dev)
{
    uint16_t nq = avps_dev_num_queues(dev);

    if (nq > AVPS_VU_MAX_QUEUES)
        return AVPS_E_INVAL;
    vu->dev = dev;
    vu->nq = nq;
    /* The front-end owns the transport; notification data and queue reset
     * are its business, so offer neither. */
    return avps_dev_bind(dev, &vu_tops, vu, 0);
}

bool avps_vu_connected(const struct avps_vu *vu)
{
    return vu->sock >= 0;
}

/* ---- rings --------------------------------------------------------------- */

static bool vu_packed(const struct avps_vu *vu)
{
    return (vu->features & AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED)) != 0u;
}

/* Stop queue i and remember where it was (GET_VRING_BASE, or around a memory
 * table change). Requests taken but not completed are given back: the next
 * start resubmits them from the ring (the device completes in order). */
static uint32_t vu_ring_halt(struct avps_vu *vu, uint16_t i)
{
    struct avps_vu_queue *q = &vu->q[i];
    struct avps_dev_queue_state qs;
    uint32_t base = q->base;

    if (q->started && avps_dev_queue_save(vu->dev, i, &qs) == AVPS_OK && qs.ready) {
        if (vu_packed(vu)) {
            const uint32_t avail = (uint32_t)qs.vq.last_avail | ((uint32_t)qs.vq.avail_wrap << 15);
            const uint32_t used = (uint32_t)qs.vq.used_idx | ((uint32_t)qs.vq.used_wrap << 15);

            base = avail | (used << 16);
        } else {
            base = qs.vq.last_avail;
        }
    }
    if (q->started)
        (void)avps_dev_queue_reset(vu->dev, i);
    vu_inflight_detach(vu, i, avps_dev_vq(vu->dev, i));
    q->started = 0;
    q->base = base;
    q->base_set = 1;
    return base;
}

static int vu_ring_start(struct avps_vu *vu, uint16_t i)
{
    struct avps_vu_queue *q = &vu->q[i];
    struct avps_dev_queue_state qs;
    uint64_t desc, drv, dev;
    uint16_t size;
    int err, jr;

    /* A ring runs once it is started (kick fd) and enabled: a disabled ring
     * must have no side effects, so we do not touch it at all. */
    if (q->started || !q->addr_set || !q->kick_set || !q->enabled || !vu->features_set)
        return 0;
    if (vu_uva_to_gpa(vu, q->addr.desc, &desc) != 0 ||
        vu_uva_to_gpa(vu, q->addr.avail, &drv) != 0 ||
        vu_uva_to_gpa(vu, q->addr.used, &dev) != 0) {
        vu_log_(vu, 0, "queue %u: ring addresses outside the memory table", i);
        return AVPS_E_GUEST_RANGE;
    }
    size = (uint16_t)(q->num_set ? q->num : avps_dev_queue_size_max(vu->dev, i));
    memset(&qs, 0, sizeof qs);
    qs.addr[AVPS_DEV_AREA_DESC] = desc;
    qs.addr[AVPS_DEV_AREA_DRIVER] = drv;
    qs.addr[AVPS_DEV_AREA_DEVICE] = dev;
    qs.size = size;
    qs.vector = AVPS_DEV_NO_VECTOR;
    qs.ready = 1;
    if (vu_packed(vu)) {
        /* QEMU sends both halves (bits 16-31: the used index and wrap
         * counter). DPDK's virtio-user sends the avail half only, 0x8000 for
         * its (always fresh) ring, and DPDK's vhost library reads only that
         * half: there the used half is the avail half. */
        const uint32_t base = (!q->base_set || q->base == 0x8000u) ? 0x80008000u : q->base;
        const uint16_t used = (uint16_t)(base >> 16);
        const uint16_t avail = (uint16_t)base;

        if (avail != used)
            vu_log_(vu, 1, "queue %u: resubmitting requests in flight (avail %#x used %#x)", i,
                   avail, used);
        /* Resume at the first buffer not yet used. */
        qs.vq.last_avail = (uint16_t)(used & 0x7fffu);
        qs.vq.used_idx = (uint16_t)(used & 0x7fffu);
        qs.vq.avail_wrap = (uint8_t)(used >> 15);
        qs.vq.used_wrap = (uint8_t)(used >> 15);
    } else {
        const uint8_t *uidx = vu_gpa_ptr_(vu, dev + 2u, 2u);
        uint16_t used;

        if (uidx == NULL) {
            vu_log_(vu, 0, "queue %u: used ring outside guest memory", i);
            return AVPS_E_GUEST_RANGE;
        }
        used = (uint16_t)(uidx[0] | (uidx[1] << 8));
        if (q->base_set && (uint16_t)q->base != used)
            vu_log_(vu, 1, "queue %u: resubmitting requests in flight (avail %u used %u)", i,
                   q->base & 0xffffu, used);
        qs.vq.last_avail = used;
        qs.vq.used_idx = used;
    }
    /* With an inflight region the buffers in flight come from it, in the
     * order they were taken, whatever the device's completion order. */
    jr = vu_inflight_prepare(vu, i, avps_dev_vq(vu->dev, i), size, desc, &qs.vq);
    err = avps_dev_queue_restore(vu->dev, i, &qs);
    if (err == AVPS_OK && jr > 0)
        err = vu_inflight_resubmit(vu, i, avps_dev_vq(vu->dev, i));
    if (err != AVPS_OK) {
        vu_log_(vu, 0, "queue %u: start refused: %s", i, avps_strerror(err));
        vu_inflight_detach(vu, i, avps_dev_vq(vu->dev, i));
        return err;
    }
    q->started = 1;
    vu_log_(vu, 1, "queue %u started: size %u, %s", i, size, vu_packed(vu) ? "packed" : "split");
    /* The device works once a ring runs (the front-end has set DRIVER_OK in
     * the guest by now); this also takes buffers already waiting. */
    {
        const uint8_t st = avps_dev_status(vu->dev);

        if ((st & S_DRIVER_OK) == 0u)
            (void)avps_dev_set_status(vu->dev, (uint8_t)(st | S_DRIVER_OK));
        else if (q->enabled)
            (void)avps_dev_queue_notify(vu->dev, i);
    }
    return 0;
}

static void vu_rings_suspend(struct avps_vu *vu, uint8_t *was)
{
    for (uint16_t i = 0; i < vu->nq; i++) {
        was[i] = vu->q[i].started;
        if (was[i])
            (void)vu_ring_halt(vu, i);
    }
}

static void vu_rings_resume(struct avps_vu *vu, const uint8_t *was)
{
    for (uint16_t i = 0; i < vu->nq; i++) {
        if (was[i])
            (void)vu_ring_start(vu, i);
    }
}

/* ---- memory table -------------------------------------------------------- */

static void vu_unmap_region(struct avps_vu_mregion *r)
{
    if (r->map_base != NULL)
        munmap(r->map_base, (size_t)r->map_len);
    memset(r, 0, sizeof *r);
}

static void vu_unmap_all(struct avps_vu *vu)
{
    for (unsigned int i = 0; i < vu->nreg; i++)
        vu_unmap_region(&vu->reg[i]);
    vu->nreg = 0;
}

/* Does [off, off + len) lie inside the file behind fd? A mapping past the end
 * of a regular file faults (SIGBUS) on first access, so such a region or log
 * is refused when it arrives. (A front-end that shrinks the file afterwards
 * can still fault us; only seals would stop that, and not every file can be
 * sealed.) Other kinds of file (DAX devices) have no size to check. */
static bool vu_fd_covers(int fd, uint64_t off, uint64_t len)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return false;
    if (!S_ISREG(st.st_mode))
        return true;
    return st.st_size >= 0 && len <= (uint64_t)st.st_size && off <= (uint64_t)st.st_size - len;
}

/* Check and map one region; fd is always closed (the mapping keeps the file). */
static int vu_add_region(struct avps_vu *vu, const struct avps_vu_region *d, int fd)
{
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    struct avps_vu_mregion *r;
    uint64_t delta, len;
    void *p;

    if (d->size == 0u || d->gpa > UINT64_MAX - d->size || d->uva > UINT64_MAX - d->size ||
        d->mmap_offset > UINT64_MAX - d->size || d->size > (uint64_t)SIZE_MAX / 2u) {
        vu_log_(vu, 0, "region gpa %#llx size %#llx: bad bounds", (unsigned long long)d->gpa,
               (unsigned long long)d->size);
        close(fd);
        return AVPS_E_GUEST_RANGE;
    }
    /* A host address must be as aligned as the guest address it stands for:
     * the ring engines check ring alignment on guest addresses and then use
     * the host pointer (VIRTIO rings need up to 16 bytes). */
    if (((d->mmap_offset - d->gpa) & 15u) != 0u) {
        vu_log_(vu, 0, "region gpa %#llx: mmap offset %#llx not aligned like it",
               (unsigned long long)d->gpa, (unsigned long long)d->mmap_offset);
        close(fd);
        return AVPS_E_GUEST_RANGE;
    }
    if (vu->nreg >= AVPS_VU_MAX_REGIONS) {
        vu_log_(vu, 0, "too many memory regions");
        close(fd);
        return AVPS_E_NOSPC;
    }
    for (unsigned int i = 0; i < vu->nreg; i++) {
        const struct avps_vu_mregion *o = &vu->reg[i];

        if (d->gpa < o->gpa + o->size && o->gpa < d->gpa + d->size) {
            vu_log_(vu, 0, "region gpa %#llx overlaps another", (unsigned long long)d->gpa);
            close(fd);
            return AVPS_E_GUEST_RANGE;
        }
    }
    if (!vu_fd_covers(fd, d->mmap_offset, d->size)) {
        vu_log_(vu, 0, "region gpa %#llx: beyond the end of its file", (unsigned long long)d->gpa);
        close(fd);
        return AVPS_E_GUEST_RANGE;
    }
    delta = d->mmap_offset % page;
    len = d->size + delta;
    p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd,
             (off_t)(d->mmap_offset - delta));
    close(fd);
    if (p == MAP_FAILED) {
        vu_log_(vu, 0, "mmap of region gpa %#llx failed: %s", (unsigned long long)d->gpa,
               strerror(errno));
        return AVPS_E_GUEST_RANGE; /* a refusal: AVPS_E_IO means the socket failed */
    }
    r = &vu->reg[vu->nreg++];
    r->gpa = d->gpa;
    r->size = d->size;
    r->uva = d->uva;
    r->mmap_offset = d->mmap_offset;
    r->map_base = p;
    r->map_len = len;
    r->host = (uint8_t *)p + delta;
    vu_log_(vu, 1, "region gpa %#llx size %#llx uva %#llx", (unsigned long long)d->gpa,
           (unsigned long long)d->size, (unsigned long long)d->uva);
    return 0;
}

/* ADD_MEM_REG of a region we already have, exactly: QEMU's multi-queue
 * vhost-user-net runs one vhost device per queue pair on the same connection,
 * and each adds (and later removes) the whole memory map. Count it instead of
 * refusing it as an overlap. */
static bool vu_region_again(struct avps_vu *vu, const struct avps_vu_region *d, int fd)
{
    for (unsigned int i = 0; i < vu->nreg; i++) {
        struct avps_vu_mregion *r = &vu->reg[i];

        if (r->gpa == d->gpa && r->size == d->size && r->uva == d->uva &&
            r->mmap_offset == d->mmap_offset && r->extra_refs < UINT32_MAX) {
            r->extra_refs++;
            if (fd >= 0)
                close(fd);
            vu_log_(vu, 1, "region gpa %#llx added again (%u references)",
                   (unsigned long long)d->gpa, r->extra_refs + 1u);
            return true;
        }
    }
    return false;
}

static int vu_rem_region(struct avps_vu *vu, const struct avps_vu_region *d)
{
    for (unsigned int i = 0; i < vu->nreg; i++) {
        struct avps_vu_mregion *r = &vu->reg[i];

        if (r->gpa == d->gpa && r->size == d->size && r->uva == d->uva && r->extra_refs > 0u) {
            r->extra_refs--; /* another vhost device still uses it */
            return 0;
        }
        if (r->gpa == d->gpa && r->size == d->size && r->uva == d->uva) {
            vu_unmap_region(r);
            vu->reg[i] = vu->reg[vu->nreg - 1u];
            memset(&vu->reg[vu->nreg - 1u], 0, sizeof vu->reg[0]);
            vu->nreg--;
            return 0;
        }
    }
    vu_log_(vu, 0, "REM_MEM_REG: no such region");
    return AVPS_E_GUEST_RANGE;
}

static void vu_unmap_log(struct avps_vu *vu)
{
    if (vu->log_base != NULL)
        munmap(vu->log_base - vu->log_offset % (uint64_t)sysconf(_SC_PAGESIZE),
               (size_t)vu->log_map_len);
    vu->log_base = NULL;
    vu->log_map_len = vu->log_size = vu->log_offset = 0;
}

/* ---- features and status ------------------------------------------------- */

static bool vu_any_started(const struct avps_vu *vu)
{
    for (uint16_t i = 0; i < vu->nq; i++) {
        if (vu->q[i].started)
            return true;
    }
    return false;
}

static int vu_set_features(struct avps_vu *vu, uint64_t f)
{
    struct avps_dev *dev = vu->dev;
    const uint64_t virtio = f & ~VU_ONLY_FEATURES;
    uint8_t st;

    if ((virtio & ~avps_dev_offered_features(dev)) != 0u) {
        vu_log_(vu, 0, "SET_FEATURES %#llx: not offered", (unsigned long long)f);
        return AVPS_E_GUEST_STATE;
    }
    st = avps_dev_status(dev);
    if ((st & S_FEATURES_OK) != 0u) {
        if (avps_dev_features(dev) == virtio) {
            vu->features = f; /* only LOG_ALL moved */
            return 0;
        }
        if (vu_any_started(vu)) {
            vu_log_(vu, 0, "SET_FEATURES while rings run");
            return AVPS_E_GUEST_STATE;
        }
        (void)avps_dev_set_status(dev, 0);
    }
    if (avps_dev_set_status(dev, S_ACK | S_DRIVER) != AVPS_OK ||
        avps_dev_set_driver_word(dev, 0, (uint32_t)virtio) != AVPS_OK ||
        avps_dev_set_driver_word(dev, 1, (uint32_t)(virtio >> 32)) != AVPS_OK ||
        avps_dev_set_status(dev, S_ACK | S_DRIVER | S_FEATURES_OK) != AVPS_OK) {
        vu_log_(vu, 0, "SET_FEATURES %#llx: the device refused them", (unsigned long long)f);
        (void)avps_dev_set_status(dev, 0);
        vu->features_set = 0;
        return AVPS_E_GUEST_STATE;
    }
    vu->features = f;
    vu->features_set = 1;
    vu_log_(vu, 1, "features %#llx%s", (unsigned long long)virtio,
           vu_packed(vu) ? " (packed ring)" : "");
    return 0;
}

static void vu_reset_device(struct avps_vu *vu)
{
    for (uint16_t i = 0; i < vu->nq; i++) {
        struct avps_vu_queue *q = &vu->q[i];

        vu_inflight_detach(vu, i, vu->dev != NULL ? avps_dev_vq(vu->dev, i) : NULL);
        close_fd(&q->kick_fd);
        close_fd(&q->call_fd);
        close_fd(&q->err_fd);
        memset(q, 0, sizeof *q);
        q->kick_fd = q->call_fd = q->err_fd = -1;
    }
    if (vu->dev != NULL)
        (void)avps_dev_set_status(vu->dev, 0);
    vu->features_set = 0;
}

/* ---- I/O ----------------------------------------------------------------- */

static int vu_send(struct avps_vu *vu, uint32_t req, const void *payload, uint32_t size)
{
    struct avps_vu_msg m;
    size_t n = sizeof m.hdr + size;

    if (size > sizeof m.p)
        return AVPS_E_INVAL;
    m.hdr.request = req;
    m.hdr.flags = AVPS_VU_VERSION | AVPS_VU_REPLY;
    m.hdr.size = size;
    if (size != 0u)
        memcpy(&m.p, payload, size);
    /* A front-end that does not read its replies is dropped, not waited for. */
    if (send(vu->sock, &m, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
        return AVPS_E_IO;
    return 0;
}

/* A reply carrying one file descriptor (GET_INFLIGHT_FD). */
static int vu_send_fd(struct avps_vu *vu, uint32_t req, const void *payload, uint32_t size, int fd)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct avps_vu_msg m;
    struct iovec iov;
    struct msghdr mh;
    struct cmsghdr *c;
    const size_t n = sizeof m.hdr + size;

    if (size > sizeof m.p)
        return AVPS_E_INVAL;
    m.hdr.request = req;
    m.hdr.flags = AVPS_VU_VERSION | AVPS_VU_REPLY;
    m.hdr.size = size;
    memcpy(&m.p, payload, size);
    memset(&mh, 0, sizeof mh);
    memset(&ctl, 0, sizeof ctl);
    iov.iov_base = &m;
    iov.iov_len = n;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(vu->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
        return AVPS_E_IO;
    return 0;
}

static int vu_reply_u64(struct avps_vu *vu, uint32_t req, uint64_t v)
{
    return vu_send(vu, req, &v, sizeof v);
}

/* Take fds[i] out of the array; the caller owns it now. */
static int take_fd(int *fds, unsigned int nfds, unsigned int i)
{
    int fd;

    if (i >= nfds)
        return -1;
    fd = fds[i];
    fds[i] = -1;
    return fd;
}

/* ---- one message --------------------------------------------------------- */

static int vu_vring_index(const struct avps_vu *vu, uint32_t index, uint16_t *out)
{
    if (index >= vu->nq)
        return -1;
    *out = (uint16_t)index;
    return 0;
}

/* Returns 0 or an error to report with REPLY_ACK; *replied is set when the
 * request had an explicit reply. */
static int vu_dispatch(struct avps_vu *vu, const struct avps_vu_msg *m, int *fds,
                       unsigned int nfds, bool *replied)
{
    struct avps_dev *dev = vu->dev;
    const uint32_t req = m->hdr.request;
    uint16_t i = 0;
    int err = 0;

    *replied = false;
    switch (req) {
    case AVPS_VU_GET_FEATURES:
        *replied = true;
        return vu_reply_u64(vu, req, avps_dev_offered_features(dev) |
                                         (1ull << AVPS_VU_F_PROTOCOL_FEATURES) |
                                         (1ull << AVPS_VU_F_LOG_ALL));
    case AVPS_VU_SET_FEATURES:
        if ((m->p.u64 & ~(avps_dev_offered_features(dev) | VU_ONLY_FEATURES)) != 0u)
            return AVPS_E_GUEST_STATE;
        return vu_set_features(vu, m->p.u64);
    case AVPS_VU_GET_PROTOCOL_FEATURES:
        *replied = true;
        return vu_reply_u64(vu, req, vu_protocol_features);
    case AVPS_VU_SET_PROTOCOL_FEATURES:
        if ((m->p.u64 & ~vu_protocol_features) != 0u)
            return AVPS_E_GUEST_STATE;
        vu->proto_features = m->p.u64;
        vu_log_(vu, 1, "protocol features %#llx", (unsigned long long)m->p.u64);
        return 0;
    case AVPS_VU_SET_OWNER:
        vu_log_(vu, 1, "owner set");
        return 0;
    case AVPS_VU_RESET_OWNER:
        return 0; /* deprecated; ignoring it is what the protocol recommends */
    case AVPS_VU_GET_QUEUE_NUM:
        *replied = true;
        return vu_reply_u64(vu, req, vu->nq);
    case AVPS_VU_GET_MAX_MEM_SLOTS:
        *replied = true;
        return vu_reply_u64(vu, req, AVPS_VU_MAX_REGIONS);
    case AVPS_VU_SET_MEM_TABLE: {
        uint8_t was[AVPS_VU_MAX_QUEUES];
        struct avps_vu_mregion keep[AVPS_VU_MAX_REGIONS];
        unsigned int nkeep = vu->nreg;

        /* Map the new table before the old one goes, so a failure leaves the
         * old table in place. */
        vu_rings_suspend(vu, was);
        memcpy(keep, vu->reg, sizeof keep);
        vu->nreg = 0;
        memset(vu->reg, 0, sizeof vu->reg);
        for (unsigned int k = 0; k < m->p.mem.nregions; k++) {
            err = vu_add_region(vu, &m->p.mem.region[k], take_fd(fds, nfds, k));
            if (err != 0)
                break;
        }
        if (err != 0) {
            vu_unmap_all(vu);
            memcpy(vu->reg, keep, sizeof keep);
            vu->nreg = nkeep;
        } else {
            for (unsigned int k = 0; k < nkeep; k++)
                vu_unmap_region(&keep[k]);
        }
        vu_rings_resume(vu, was);
        return err;
    }
    case AVPS_VU_ADD_MEM_REG: {
        const int fd = take_fd(fds, nfds, 0);

        if (vu_region_again(vu, &m->p.reg.region, fd))
            return 0;
        return vu_add_region(vu, &m->p.reg.region, fd);
    }
    case AVPS_VU_REM_MEM_REG: {
        uint8_t was[AVPS_VU_MAX_QUEUES];

        vu_rings_suspend(vu, was);
        err = vu_rem_region(vu, &m->p.reg.region);
        vu_rings_resume(vu, was);
        return err;
    }
    case AVPS_VU_SET_LOG_BASE: {
        const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
        const int fd = take_fd(fds, nfds, 0);
        const uint64_t delta = m->p.log.offset % page;
        void *p;

        vu_unmap_log(vu);
        if (m->p.log.size == 0u || m->p.log.size > (1ull << 40) ||
            m->p.log.offset > UINT64_MAX - m->p.log.size - delta ||
            !vu_fd_covers(fd, m->p.log.offset, m->p.log.size)) {
            close(fd);
            err = AVPS_E_GUEST_RANGE;
        } else {
            p = mmap(NULL, (size_t)(m->p.log.size + delta), PROT_READ | PROT_WRITE, MAP_SHARED,
                     fd, (off_t)(m->p.log.offset - delta));
            close(fd);
            if (p == MAP_FAILED) {
                err = AVPS_E_GUEST_RANGE; /* refused (replied below), not a socket failure */
            } else {
                vu->log_base = (uint8_t *)p + delta;
                vu->log_map_len = m->p.log.size + delta;
                vu->log_size = m->p.log.size;
                vu->log_offset = m->p.log.offset;
            }
        }
        *replied = true;
        (void)vu_reply_u64(vu, req, err == 0 ? 0u : 1u);
        return err;
    }
    case AVPS_VU_SET_LOG_FD:
        return 0; /* we never signal the log fd; it is closed below */
    case AVPS_VU_SET_VRING_NUM:
        if (vu_vring_index(vu, m->p.state.index, &i) != 0 || vu->q[i].started)
            return AVPS_E_GUEST_STATE;
        /* A size we cannot serve is remembered as 0, so the ring refuses to
         * start instead of running with a size the front-end does not use. */
        vu->q[i].num_set = 1;
        if (m->p.state.num == 0u || m->p.state.num > avps_dev_queue_size_max(dev, i)) {
            vu_log_(vu, 0, "queue %u: size %u not supported (max %u)", i, m->p.state.num,
                   avps_dev_queue_size_max(dev, i));
            vu->q[i].num = 0;
            return AVPS_E_GUEST_STATE;
        }
        vu->q[i].num = m->p.state.num;
        return 0;
    case AVPS_VU_SET_VRING_ADDR:
        if (vu_vring_index(vu, m->p.addr.index, &i) != 0 || vu->q[i].started)
            return AVPS_E_GUEST_STATE;
        vu->q[i].addr = m->p.addr;
        vu->q[i].addr_set = 1;
        return vu_ring_start(vu, i);
    case AVPS_VU_SET_VRING_BASE:
        if (vu_vring_index(vu, m->p.state.index, &i) != 0 || vu->q[i].started)
            return AVPS_E_GUEST_STATE;
        vu->q[i].base = m->p.state.num;
        vu->q[i].base_set = 1;
        return 0;
    case AVPS_VU_GET_VRING_BASE: {
        struct avps_vu_vring_state s;

        if (vu_vring_index(vu, m->p.state.index, &i) != 0)
            return AVPS_E_GUEST_STATE; /* answered below as a protocol error */
        s.index = i;
        s.num = vu_ring_halt(vu, i);
        close_fd(&vu->q[i].kick_fd);
        vu->q[i].kick_set = 0;
        vu_log_(vu, 1, "queue %u stopped at base %#x", i, s.num);
        *replied = true;
        return vu_send(vu, req, &s, sizeof s);
    }
    case AVPS_VU_SET_VRING_KICK:
    case AVPS_VU_SET_VRING_CALL:
    case AVPS_VU_SET_VRING_ERR: {
        const int fd = take_fd(fds, nfds, 0);
        struct avps_vu_queue *q;

        if (vu_vring_index(vu, (uint32_t)(m->p.u64 & AVPS_VU_VRING_IDX_MASK), &i) != 0) {
            if (fd >= 0)
                close(fd);
            return AVPS_E_GUEST_STATE;
        }
        q = &vu->q[i];
        /* Never block the (single-threaded) server on a peer's fd. */
        if (fd >= 0)
            (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (req == AVPS_VU_SET_VRING_KICK) {
            close_fd(&q->kick_fd);
            q->kick_fd = fd;
            q->kick_set = 1; /* no fd: the front-end asks us to poll */
            if ((vu->features & (1ull << AVPS_VU_F_PROTOCOL_FEATURES)) == 0u)
                q->enabled = 1;
            return vu_ring_start(vu, i);
        }
        if (req == AVPS_VU_SET_VRING_CALL) {
            close_fd(&q->call_fd);
            q->call_fd = fd;
        } else {
            close_fd(&q->err_fd);
            q->err_fd = fd;
        }
        return 0;
    }
    case AVPS_VU_SET_VRING_ENABLE:
        if (vu_vring_index(vu, m->p.state.index, &i) != 0 || m->p.state.num > 1u)
            return AVPS_E_GUEST_STATE;
        vu->q[i].enabled = (uint8_t)m->p.state.num;
        vu_log_(vu, 1, "queue %u %s", i, m->p.state.num ? "enabled" : "disabled");
        if (!vu->q[i].enabled) {
            if (vu->q[i].started)
                (void)vu_ring_halt(vu, i); /* keeps the base for the next start */
            return 0;
        }
        return vu_ring_start(vu, i);
    case AVPS_VU_SET_BACKEND_REQ_FD:
        close_fd(&vu->backend_fd);
        vu->backend_fd = take_fd(fds, nfds, 0);
        return 0;
    case AVPS_VU_GET_CONFIG: {
        struct avps_vu_config c;
        const uint32_t size = avps_dev_config_size(dev);

        *replied = true;
        c.offset = m->p.config.offset;
        c.size = m->p.config.size;
        c.flags = m->p.config.flags;
        if (c.offset > size || c.size > size - c.offset ||
            avps_dev_config_read(dev, c.offset, c.payload, c.size) != AVPS_OK)
            return vu_send(vu, req, NULL, 0); /* a zero-length reply is the error */
        return vu_send(vu, req, &c, 12u + c.size);
    }
    case AVPS_VU_SET_CONFIG:
        if (m->p.config.flags > 1u)
            return AVPS_E_GUEST_STATE;
        return avps_dev_config_write(dev, m->p.config.offset, m->p.config.payload,
                                     m->p.config.size);
    case AVPS_VU_RESET_DEVICE:
        vu_log_(vu, 1, "device reset");
        vu_reset_device(vu);
        vu_inflight_forget(vu); /* nothing is in flight in a reset device */
        return 0;
    case AVPS_VU_SET_STATUS: {
        const uint8_t st = avps_dev_status(dev);
        const uint8_t want = (uint8_t)m->p.u64;

        if (m->p.u64 > 0xffu)
            return AVPS_E_GUEST_STATE;
        if (want == 0u) {
            vu_log_(vu, 1, "status 0: device reset");
            for (uint16_t k = 0; k < vu->nq; k++)
                (void)vu_ring_halt(vu, k);
            (void)avps_dev_set_status(dev, 0);
            vu_inflight_forget(vu);
            vu->features_set = 0;
            return 0;
        }
        /* The front-end runs the guest's status; we only ever add bits. */
        if ((uint8_t)(st | want) != st)
            return avps_dev_set_status(dev, (uint8_t)(st | want));
        return 0;
    }
    case AVPS_VU_GET_STATUS:
        *replied = true;
        return vu_reply_u64(vu, req, avps_dev_status(dev));
    case AVPS_VU_GET_INFLIGHT_FD: {
        struct avps_vu_inflight out;
        int fd = -1;

        uint8_t was[AVPS_VU_MAX_QUEUES];

        *replied = true;
        /* Front-ends send it before rings start; running rings stop while
         * the region changes and restart journaling into the new one. */
        vu_rings_suspend(vu, was);
        err = vu_inflight_get(vu, &m->p.inflight, &out, &fd);
        vu_rings_resume(vu, was);
        if (err != 0) {
            /* The reply is what the front-end waits for: an empty one fails it. */
            vu_log_(vu, 0, "GET_INFLIGHT_FD (%u queues of %u): refused", m->p.inflight.num_queues,
                    m->p.inflight.queue_size);
            memset(&out, 0, sizeof out);
            return vu_send(vu, req, &out, sizeof out) == 0 ? err : AVPS_E_IO;
        }
        vu_log_(vu, 1, "inflight region: %u queues of %u, %llu bytes", out.num_queues,
                out.queue_size, (unsigned long long)out.mmap_size);
        err = vu_send_fd(vu, req, &out, sizeof out, fd);
        close(fd);
        return err;
    }
    case AVPS_VU_SET_INFLIGHT_FD: {
        uint8_t was[AVPS_VU_MAX_QUEUES];

        vu_rings_suspend(vu, was);
        err = vu_inflight_set(vu, &m->p.inflight, take_fd(fds, nfds, 0));
        vu_rings_resume(vu, was);
        vu_log_(vu, err == 0 ? 1 : 0, "inflight region %s (%u queues of %u)",
                err == 0 ? "set" : "refused", m->p.inflight.num_queues, m->p.inflight.queue_size);
        return err;
    }
    default:
        return AVPS_E_INVAL; /* well formed, but nothing we handle */
    }
}

/* Requests whose answer is their own reply: the front-end waits for it. */
static bool vu_has_reply(uint32_t req)
{
    switch (req) {
    case AVPS_VU_GET_FEATURES:
    case AVPS_VU_GET_PROTOCOL_FEATURES:
    case AVPS_VU_GET_VRING_BASE:
    case AVPS_VU_GET_QUEUE_NUM:
    case AVPS_VU_GET_CONFIG:
    case AVPS_VU_GET_MAX_MEM_SLOTS:
    case AVPS_VU_GET_STATUS:
    case AVPS_VU_SET_LOG_BASE:
    /* never offered, but a front-end that sends them waits for their answer */
    case AVPS_VU_CREATE_CRYPTO_SESSION:
    case AVPS_VU_POSTCOPY_ADVISE:
    case AVPS_VU_POSTCOPY_END:
    case AVPS_VU_GET_INFLIGHT_FD:
        return true;
    default:
        return false;
    }
}

static void vu_close_fds(int *fds, unsigned int nfds)
{
    for (unsigned int k = 0; k < nfds; k++) {
        if (fds[k] >= 0)
            close(fds[k]); /* every descriptor not kept is closed (CVE-2022-0669) */
        fds[k] = -1;
    }
}

int avps_vu_process(struct avps_vu *vu, const struct avps_vu_msg *m, size_t len, int *fds,
                    unsigned int nfds)
{
    const char *why = NULL;
    bool replied = false;
    bool ack;
    int err;

    vu->msgs++;
    err = avps_vu_check(m, len, nfds, vu->proto_features, &why);
    if (err == AVPS_E_GUEST_REQ) {
        /* Malformed: nothing in it can be trusted, not even what follows in
         * the stream. Disconnect. (The header itself may be short.) */
        const uint32_t req = len >= sizeof m->hdr ? m->hdr.request : 0u;

        vu->bad_msgs++;
        vu_log_(vu, 0, "malformed %s (%u): %s", avps_vu_req_name(req), req, why);
        vu_close_fds(fds, nfds);
        return err;
    }
    ack = (m->hdr.flags & AVPS_VU_NEED_REPLY) != 0u &&
          (vu->proto_features & (1ull << AVPS_VU_PF_REPLY_ACK)) != 0u;
    if (err != 0) {
        vu->bad_msgs++;
        vu_log_(vu, 1, "unsupported request %u", m->hdr.request);
        vu_close_fds(fds, nfds);
        /* A request with its own reply waits for that reply, not for an
         * ack (REPLY_ACK changes nothing for those): we cannot answer it. */
        if (vu_has_reply(m->hdr.request))
            return AVPS_E_GUEST_REQ;
        if (ack)
            return vu_reply_u64(vu, m->hdr.request, 1u);
        return 0;
    }
    vu_log_(vu, 2, "%s", avps_vu_req_name(m->hdr.request));
    err = vu_dispatch(vu, m, fds, nfds, &replied);
    vu_close_fds(fds, nfds);
    if (err == AVPS_E_IO)
        return err; /* the socket itself failed */
    if (err != 0) {
        vu->bad_msgs++;
        vu_log_(vu, 0, "%s refused: %s", avps_vu_req_name(m->hdr.request), avps_strerror(err));
    }
    if (!replied) {
        if (vu_has_reply(m->hdr.request))
            return AVPS_E_GUEST_REQ; /* it waits for an answer we cannot give */
        if (ack)
            return vu_reply_u64(vu, m->hdr.request, err == 0 ? 0u : 1u);
    }
    return 0;
}

/* Read exactly n bytes (the payload after a header). */
static int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;

    while (n > 0u) {
        ssize_t r = recv(fd, p, n, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int avps_vu_handle(struct avps_vu *vu)
{
    struct avps_vu_msg m;
    int fds[AVPS_VU_MAX_FDS];
    unsigned int nfds = 0;
    char control[CMSG_SPACE(AVPS_VU_MAX_FDS * sizeof(int))];
    struct iovec iov = {&m.hdr, sizeof m.hdr};
    struct msghdr mh;
    struct cmsghdr *c;
    ssize_t r;
    int err;

    memset(&mh, 0, sizeof mh);
    memset(control, 0, sizeof control);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    do {
        r = recvmsg(vu->sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    } while (r < 0 && errno == EINTR);
    /* Collect every descriptor first so none can leak. */
    for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            const size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            for (size_t k = 0; k < n; k++) {
                int fd;

                memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
                if (nfds < AVPS_VU_MAX_FDS)
                    fds[nfds++] = fd;
                else
                    close(fd);
            }
        }
    }
    if (r != (ssize_t)sizeof m.hdr || (mh.msg_flags & MSG_CTRUNC) != 0) {
        for (unsigned int k = 0; k < nfds; k++)
            close(fds[k]);
        if (r != 0)
            vu_log_(vu, 0, "bad message header (%zd bytes%s)", r,
                   (mh.msg_flags & MSG_CTRUNC) ? ", descriptors truncated" : "");
        avps_vu_disconnect(vu);
        return AVPS_E_IO;
    }
    if (m.hdr.size > sizeof m.p || read_full(vu->sock, &m.p, m.hdr.size) != 0) {
        for (unsigned int k = 0; k < nfds; k++)
            close(fds[k]);
        vu_log_(vu, 0, "bad payload (size %u)", m.hdr.size);
        avps_vu_disconnect(vu);
        return AVPS_E_IO;
    }
    err = avps_vu_process(vu, &m, sizeof m.hdr + m.hdr.size, fds, nfds);
    if (err != 0) {
        avps_vu_disconnect(vu);
        return err;
    }
    return 0;
}

void avps_vu_connect(struct avps_vu *vu, int fd)
{
    if (vu->sock >= 0)
        avps_vu_disconnect(vu);
    vu->sock = fd;
    vu->connections++;
    vu_log_(vu, 1, "front-end connected");
}

void avps_vu_disconnect(struct avps_vu *vu)
{
    if (vu->sock >= 0)
        vu_log_(vu, 1, "front-end disconnected");
    vu_reset_device(vu);
    vu_inflight_unmap(vu);
    vu_unmap_all(vu);
    vu_unmap_log(vu);
    close_fd(&vu->backend_fd);
    close_fd(&vu->sock);
    vu->features = 0;
    vu->proto_features = 0;
}

void avps_vu_kick(struct avps_vu *vu, uint16_t q)
{
    uint64_t v;

    if (q >= vu->nq)
        return;
    if (vu->q[q].kick_fd >= 0 && read(vu->q[q].kick_fd, &v, sizeof v) < 0 && errno != EAGAIN)
        vu_log_(vu, 0, "queue %u: kick read failed", q);
    if (vu->q[q].started && vu->q[q].enabled)
        (void)avps_dev_queue_notify(vu->dev, q);
}

unsigned int avps_vu_pollfds(const struct avps_vu *vu, struct pollfd *pfd, int *qidx)
{
    unsigned int n = 0;

    if (vu->sock < 0)
        return 0;
    pfd[n].fd = vu->sock;
    pfd[n].events = POLLIN;
    pfd[n].revents = 0;
    qidx[n++] = -1;
    for (uint16_t i = 0; i < vu->nq; i++) {
        if (vu->q[i].started && vu->q[i].kick_fd >= 0) {
            pfd[n].fd = vu->q[i].kick_fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            qidx[n++] = i;
        }
    }
    return n;
}

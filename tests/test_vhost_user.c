/*
 * test_vhost_user: the vhost-user port (ports/vhost-user) against a fake
 * front-end.
 *
 * The front-end is this test: it holds one end of a socketpair and talks the
 * protocol (QEMU docs/interop/vhost-user.rst) with sendmsg/SCM_RIGHTS; the
 * back-end gets the other end through avps_vu_connect() and handles one
 * message per avps_vu_handle() call, in this thread. Guest RAM is a memfd the
 * test maps and hands to a posix guest (avps_posix_add_region_ext) so the
 * spec-written ring driver (tests/support/ringdrv) builds split and packed
 * rings in the very memory the back-end maps from SET_MEM_TABLE. Kicks and
 * calls are eventfds. The device is virtio-rng with a counting entropy source,
 * so every byte the guest gets can be checked.
 *
 * The peer is hostile (HOSTILE.md, CVE-2022-0669): malformed messages must
 * disconnect cleanly and every file descriptor that arrives must be kept or
 * closed; tests count /proc/self/fd before and after.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/rng.h>
#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "avps_vhost_user.h"
#include "ringdrv.h"

#define RAM_SIZE (1u << 20)          /* guest RAM: one memfd, gpa [0, 1 MiB) */
#define UVA_BASE 0x7f1200000000ull   /* the front-end's address of gpa 0 */
#define RING_GPA 0x1000u
#define HEAP_GPA 0x80000u
#define QSIZE 16u
#define QMAX 64u
#define LOG_BYTES (RAM_SIZE / AVPS_VU_LOG_PAGE / 8u) /* dirty bitmap for RAM */

#define V AVPS_VU_VERSION
#define NR (AVPS_VU_VERSION | AVPS_VU_NEED_REPLY)
#define FB(n) AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_##n)
#define VU_PF(n) (1ull << AVPS_VU_PF_##n)
#define VU_PROTO (1ull << AVPS_VU_F_PROTOCOL_FEATURES)
#define VU_LOG_ALL (1ull << AVPS_VU_F_LOG_ALL)

/* What QEMU 7.2 asks for (vhost-user.c: VHOST_USER_PROTOCOL_FEATURE_MASK). */
#define PF_WANT                                                                             \
    (VU_PF(MQ) | VU_PF(LOG_SHMFD) | VU_PF(REPLY_ACK) | VU_PF(BACKEND_REQ) | VU_PF(CONFIG) | \
     VU_PF(RESET_DEVICE) | VU_PF(CONFIGURE_MEM_SLOTS) | VU_PF(STATUS))

/* ---- the back-end under test ------------------------------------------- */

/* Entropy 00 01 02 ...; answers AVPS_E_AGAIN `again` times first. */
struct src {
    uint8_t next;
    int again;
    int calls;
};

static int src_fill(void *ctx, void *buf, uint32_t len)
{
    struct src *s = ctx;
    uint8_t *b = buf;

    s->calls++;
    if (s->again > 0) {
        s->again--;
        return AVPS_E_AGAIN;
    }
    for (uint32_t i = 0; i < len; i++)
        b[i] = s->next++;
    return (int)len;
}

static void test_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "  [vu %d] %s\n", level, msg);
}

struct be {
    struct avps_vu vu;
    struct avps_rng rng;
    struct avps_vq_slot slots[QMAX];
    struct src src;
    struct avps_rng_backend rbe;
    struct avps_dev *dev;
};

static struct be *be_new(const char *name)
{
    struct be *b = calloc(1, sizeof *b);
    struct avps_vu_cfg vc;
    struct avps_rng_cfg rc;
    const char *v = getenv("VU_TEST_LOG");

    assert_non_null(b);
    memset(&vc, 0, sizeof vc);
    vc.name = name;
    vc.log = v != NULL ? test_log : NULL;
    vc.verbosity = v != NULL ? atoi(v) : 0;
    assert_int_equal(avps_vu_init(&b->vu, &vc), 0);
    b->rbe.fill = src_fill;
    b->rbe.ctx = &b->src;
    memset(&rc, 0, sizeof rc);
    rc.common.dev_id = 1;
    rc.backend = &b->rbe;
    rc.slots = b->slots;
    rc.num_slots = QMAX;
    rc.queue_size_max = QMAX;
    assert_int_equal(avps_rng_init(&b->rng, avps_vu_host(&b->vu), &rc), AVPS_OK);
    b->dev = avps_rng_dev(&b->rng);
    assert_int_equal(avps_vu_attach(&b->vu, b->dev), 0);
    return b;
}

static void be_free(struct be *b)
{
    avps_vu_disconnect(&b->vu);
    free(b);
}

/* ---- the fake front-end ------------------------------------------------- */

struct fe {
    struct be *b;
    int sock;  /* our end of the connection */
    int chan;  /* our end of the back-end channel (SET_BACKEND_REQ_FD) */
    int memfd; /* guest RAM */
    uint8_t *ram;
    struct avps_posix_guest g;
    struct rd_queue q;
    bool q_live;
    bool packed;
    int kick, call; /* eventfds */
    uint64_t pf;    /* protocol features acked */
    uint8_t expect; /* next entropy byte the guest should see */
    bool avail_half_base; /* packed SET_VRING_BASE as DPDK virtio-user sends it */
};

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static void fe_connect(struct fe *f)
{
    int sv[2];
    struct timeval tv = {2, 0}; /* a test that forgets a message fails, not hangs */

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    avps_vu_connect(&f->b->vu, sv[1]);
    assert_true(avps_vu_connected(&f->b->vu));
    if (f->sock >= 0)
        close(f->sock); /* the old connection's end */
    f->sock = sv[0];
}

static struct fe *fe_new_on(struct be *b)
{
    struct fe *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->b = b;
    f->sock = -1;
    f->chan = -1;
    f->memfd = memfd_create("avps-guest-ram", MFD_CLOEXEC);
    assert_true(f->memfd >= 0);
    assert_int_equal(ftruncate(f->memfd, RAM_SIZE), 0);
    f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
    assert_true(f->ram != MAP_FAILED);
    avps_posix_init(&f->g);
    assert_int_equal(avps_posix_add_region_ext(&f->g, 0, RAM_SIZE, f->ram), 0);
    f->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    f->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(f->kick >= 0 && f->call >= 0);
    fe_connect(f);
    return f;
}

static struct fe *fe_new(void)
{
    return fe_new_on(be_new("rng"));
}

static void fe_close_sock(struct fe *f)
{
    if (f->sock >= 0)
        close(f->sock);
    f->sock = -1;
}

/* Free the front-end; with free_be also the back-end (disconnecting it). */
static void fe_free_ex(struct fe *f, bool free_be)
{
    if (free_be)
        be_free(f->b);
    fe_close_sock(f);
    if (f->q_live)
        rd_fini(&f->q);
    avps_posix_fini(&f->g);
    munmap(f->ram, RAM_SIZE);
    close(f->memfd);
    close(f->kick);
    close(f->call);
    if (f->chan >= 0)
        close(f->chan);
    free(f);
}

static void fe_free(struct fe *f)
{
    fe_free_ex(f, true);
}

/* sendmsg one buffer with fds attached. */
static void send_raw(int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
    union {
        char b[CMSG_SPACE(16 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov;
    struct msghdr mh;

    assert_true(nfds <= 16);
    memset(&mh, 0, sizeof mh);
    memset(&ctl, 0, sizeof ctl);
    iov.iov_base = (void *)(uintptr_t)buf;
    iov.iov_len = len;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (nfds > 0) {
        struct cmsghdr *c;

        mh.msg_control = ctl.b;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Send header + payload (size bytes of p) with fds. */
static void fe_send(struct fe *f, uint32_t req, uint32_t flags, const void *p, uint32_t size,
                    const int *fds, unsigned int nfds)
{
    struct avps_vu_msg m;

    assert_true(size <= sizeof m.p);
    memset(&m, 0, sizeof m);
    m.hdr.request = req;
    m.hdr.flags = flags;
    m.hdr.size = size;
    if (size > 0)
        memcpy(&m.p, p, size);
    send_raw(f->sock, &m, sizeof m.hdr + size, fds, nfds);
}

static int fe_handle(struct fe *f)
{
    return avps_vu_handle(&f->b->vu);
}

/* Read one reply: check its header and copy its payload. */
static void fe_reply(struct fe *f, uint32_t req, void *p, uint32_t size)
{
    struct avps_vu_hdr h;

    assert_int_equal(recv(f->sock, &h, sizeof h, MSG_DONTWAIT), (ssize_t)sizeof h);
    assert_int_equal(h.request, req);
    assert_int_equal(h.flags, AVPS_VU_VERSION | AVPS_VU_REPLY);
    assert_int_equal(h.size, size);
    if (size > 0)
        assert_int_equal(recv(f->sock, p, size, MSG_DONTWAIT), (ssize_t)size);
}

static uint64_t fe_reply_u64(struct fe *f, uint32_t req)
{
    uint64_t v = 0;

    fe_reply(f, req, &v, sizeof v);
    return v;
}

static void fe_no_reply(struct fe *f)
{
    char c;

    assert_int_equal(recv(f->sock, &c, 1, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* A message the back-end must accept without closing the connection. */
static void fe_msg(struct fe *f, uint32_t req, const void *p, uint32_t size, const int *fds,
                   unsigned int nfds)
{
    fe_send(f, req, V, p, size, fds, nfds);
    assert_int_equal(fe_handle(f), 0);
    assert_true(avps_vu_connected(&f->b->vu));
}

/* With NEED_REPLY: returns the REPLY_ACK value (0 = success). */
static uint64_t fe_ack(struct fe *f, uint32_t req, const void *p, uint32_t size, const int *fds,
                       unsigned int nfds)
{
    uint64_t v;

    fe_send(f, req, NR, p, size, fds, nfds);
    assert_int_equal(fe_handle(f), 0);
    assert_true(avps_vu_connected(&f->b->vu));
    v = fe_reply_u64(f, req);
    fe_no_reply(f);
    return v;
}

static uint64_t fe_get(struct fe *f, uint32_t req)
{
    fe_msg(f, req, NULL, 0, NULL, 0);
    return fe_reply_u64(f, req);
}

static uint64_t fe_ack_u64(struct fe *f, uint32_t req, uint64_t v)
{
    return fe_ack(f, req, &v, sizeof v, NULL, 0);
}

static uint64_t fe_ack_state(struct fe *f, uint32_t req, uint32_t index, uint32_t num)
{
    struct avps_vu_vring_state s = {index, num};

    return fe_ack(f, req, &s, sizeof s, NULL, 0);
}

static uint64_t fe_ack_vring_fd(struct fe *f, uint32_t req, uint32_t index, int fd)
{
    uint64_t v = index;

    if (fd < 0)
        v |= AVPS_VU_VRING_NOFD;
    return fe_ack(f, req, &v, sizeof v, &fd, fd < 0 ? 0u : 1u);
}

/* A message the back-end must treat as malformed: disconnect, no reply. */
static void fe_expect_disconnect(struct fe *f)
{
    assert_true(fe_handle(f) < 0);
    assert_false(avps_vu_connected(&f->b->vu));
    assert_int_equal(avps_dev_status(f->b->dev), 0);
}

static struct avps_vu_region ram_region(struct fe *f)
{
    struct avps_vu_region r;

    (void)f;
    r.gpa = 0;
    r.size = RAM_SIZE;
    r.uva = UVA_BASE;
    r.mmap_offset = 0;
    return r;
}

static uint64_t fe_mem_table(struct fe *f, const struct avps_vu_region *r, unsigned int n)
{
    struct avps_vu_mem_table t;
    int fds[AVPS_VU_MEM_TABLE_MAX];

    memset(&t, 0, sizeof t);
    t.nregions = n;
    for (unsigned int i = 0; i < n; i++) {
        t.region[i] = r[i];
        fds[i] = f->memfd;
    }
    return fe_ack(f, AVPS_VU_SET_MEM_TABLE, &t, 8u + n * 32u, fds, n);
}

static uint64_t fe_add_reg(struct fe *f, uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off,
                           int fd)
{
    struct avps_vu_mem_reg m;

    memset(&m, 0, sizeof m);
    m.region.gpa = gpa;
    m.region.size = size;
    m.region.uva = uva;
    m.region.mmap_offset = off;
    return fe_ack(f, AVPS_VU_ADD_MEM_REG, &m, sizeof m, &fd, 1);
}

static uint64_t fe_rem_reg(struct fe *f, uint64_t gpa, uint64_t size, uint64_t uva, int fd)
{
    struct avps_vu_mem_reg m;

    memset(&m, 0, sizeof m);
    m.region.gpa = gpa;
    m.region.size = size;
    m.region.uva = uva;
    return fe_ack(f, AVPS_VU_REM_MEM_REG, &m, sizeof m, &fd, fd < 0 ? 0u : 1u);
}

/* The driver's rings: laid out in guest RAM by ringdrv. */
static void fe_ring_init(struct fe *f, bool packed)
{
    if (f->q_live)
        rd_fini(&f->q);
    memset(f->ram, 0, RAM_SIZE);
    f->packed = packed;
    assert_int_equal(rd_init(&f->q, &f->g, packed, QSIZE,
                             FB(VERSION_1) | (packed ? FB(RING_PACKED) : 0), RING_GPA, HEAP_GPA,
                             RAM_SIZE - HEAP_GPA),
                     0);
    f->q_live = true;
}

static uint64_t fe_ack_addr(struct fe *f, uint32_t index, uint64_t desc, uint64_t used,
                            uint64_t avail)
{
    struct avps_vu_vring_addr a;

    memset(&a, 0, sizeof a);
    a.index = index;
    a.desc = desc;
    a.used = used;
    a.avail = avail;
    return fe_ack(f, AVPS_VU_SET_VRING_ADDR, &a, sizeof a, NULL, 0);
}

static uint64_t fe_ring_addr(struct fe *f)
{
    return fe_ack_addr(f, 0, UVA_BASE + f->q.desc, UVA_BASE + f->q.device,
                       UVA_BASE + f->q.driver);
}

/* QEMU 7.2 vhost_virtqueue_start + vhost_user_set_vring_enable. */
static void fe_vring(struct fe *f, uint32_t base)
{
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QSIZE), 0);
    assert_int_equal(fe_ring_addr(f), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_BASE, 0, base), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0, f->call), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_KICK, 0, f->kick), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 1), 0);
}

static uint32_t fresh_base(bool packed)
{
    /* QEMU: virtio_queue_get_last_avail_idx(); packed: both wrap counters 1 */
    return packed ? 0x80008000u : 0u;
}

enum { MEM_TABLE, MEM_ADD_REG };

/* The whole negotiation as QEMU 7.2 runs it for vhost-user-rng (vhost_dev_init,
 * vhost_user_backend_init, vhost_dev_start, vhost_user_dev_start). */
static void fe_negotiate(struct fe *f, bool packed, int mem)
{
    uint64_t feat, pf, want;
    int sv[2];
    uint8_t st;

    fe_ring_init(f, packed);
    feat = fe_get(f, AVPS_VU_GET_FEATURES);
    assert_true((feat & VU_PROTO) != 0);
    assert_true((feat & VU_LOG_ALL) != 0);
    assert_true((feat & FB(VERSION_1)) != 0);
    assert_true((feat & FB(RING_PACKED)) != 0);
    pf = fe_get(f, AVPS_VU_GET_PROTOCOL_FEATURES);
    assert_int_equal(pf & PF_WANT, PF_WANT);
    f->pf = pf & PF_WANT;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    fe_msg(f, AVPS_VU_SET_OWNER, NULL, 0, NULL, 0);
    assert_int_equal(fe_get(f, AVPS_VU_GET_QUEUE_NUM), 1);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(fe_ack(f, AVPS_VU_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1), 0);
    close(sv[1]);
    if (f->chan >= 0)
        close(f->chan);
    f->chan = sv[0];
    assert_int_equal(fe_get(f, AVPS_VU_GET_MAX_MEM_SLOTS), AVPS_VU_MAX_REGIONS);
    if (mem == MEM_TABLE) {
        const struct avps_vu_region r = ram_region(f);

        assert_int_equal(fe_mem_table(f, &r, 1), 0);
    } else {
        assert_int_equal(fe_add_reg(f, 0, RAM_SIZE, UVA_BASE, 0, f->memfd), 0);
    }
    want = FB(VERSION_1) | VU_PROTO | (packed ? FB(RING_PACKED) : 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, want), 0);
    fe_vring(f, (packed && f->avail_half_base) ? 0x8000u : fresh_base(packed));
    /* vhost_user_add_status(ACKNOWLEDGE | DRIVER | DRIVER_OK) */
    st = (uint8_t)fe_get(f, AVPS_VU_GET_STATUS);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_STATUS,
                                st | AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                    AVPS_VIRTIO_S_DRIVER_OK),
                     0);
    assert_int_equal(fe_get(f, AVPS_VU_GET_STATUS),
                     AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                         AVPS_VIRTIO_S_FEATURES_OK | AVPS_VIRTIO_S_DRIVER_OK);
    assert_int_equal(avps_dev_features(f->b->dev), want & ~VU_PROTO);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
}

/* ---- using the device ---------------------------------------------------- */

static uint64_t fe_calls(struct fe *f)
{
    uint64_t v = 0;

    if (read(f->call, &v, sizeof v) != (ssize_t)sizeof v)
        return 0;
    return v;
}

static void fe_kick(struct fe *f)
{
    const uint64_t one = 1;

    assert_int_equal(write(f->kick, &one, sizeof one), (ssize_t)sizeof one);
    avps_vu_kick(&f->b->vu, 0);
}

/* Make one device-writable buffer of len bytes available; returns its gpa. */
static uint64_t fe_post(struct fe *f, uint32_t len, int *id)
{
    struct rd_buf b;

    b.gpa = rd_alloc(&f->q, len);
    b.len = len;
    b.write = true;
    assert_true(b.gpa != 0);
    rd_fill(&f->q, b.gpa, 0xee, len);
    *id = rd_add(&f->q, &b, 1, 0);
    assert_true(*id >= 0);
    return b.gpa;
}

/* The buffer came back used, filled with the counting pattern. */
static void fe_expect_used(struct fe *f, int id, uint64_t gpa, uint32_t len)
{
    struct rd_done d;
    const uint8_t *p = avps_posix_ptr(&f->g, gpa, len);

    assert_int_equal(rd_get_used(&f->q, &d), 1);
    assert_int_equal(d.id, id);
    assert_int_equal(d.len, len);
    assert_non_null(p);
    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(f->expect + i));
    f->expect = (uint8_t)(f->expect + len);
    assert_int_equal(f->q.bad_used, 0);
}

/* One rng request through the ring: bytes checked, call signalled. */
static void fe_rng_roundtrip(struct fe *f, uint32_t len)
{
    int id;
    const uint64_t gpa = fe_post(f, len, &id);

    (void)fe_calls(f);
    fe_kick(f);
    fe_expect_used(f, id, gpa, len);
    assert_true(fe_calls(f) >= 1);
}

/* vhost-user "Ring states": a started but disabled ring has no side effects:
 * buffers and kicks are left alone until SET_VRING_ENABLE 1; disabling again
 * stops the ring with its place kept. */
static void test_disabled_ring_untouched(void **s)
{
    struct fe *f = fe_new();
    struct rd_done d;
    uint64_t gpa;
    int id;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    fe_rng_roundtrip(f, 8);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 0), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    gpa = fe_post(f, 16, &id);
    fe_kick(f);
    assert_int_equal(rd_get_used(&f->q, &d), 0); /* untouched while disabled */
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 1), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    fe_expect_used(f, id, gpa, 16); /* served on enable, in sequence */
    fe_free(f);
}

/* ---- 1. negotiation and use ---------------------------------------------- */

static void negotiate_and_use(bool packed, int mem)
{
    struct fe *f = fe_new();

    fe_negotiate(f, packed, mem);
    fe_rng_roundtrip(f, 32);
    fe_rng_roundtrip(f, 1);
    fe_rng_roundtrip(f, 600); /* more than the device's 256-byte chunk */
    for (int i = 0; i < 40; i++) /* wrap the ring (and the packed wrap counters) */
        fe_rng_roundtrip(f, 8);
    assert_int_equal(avps_rng_bytes(&f->b->rng), 32 + 1 + 600 + 40 * 8);
    assert_int_equal(avps_dev_guest_errors(f->b->dev), 0);
    fe_free(f);
}

static void test_qemu72_negotiation_split(void **s)
{
    (void)s;
    negotiate_and_use(false, MEM_TABLE);
}

static void test_qemu72_negotiation_packed(void **s)
{
    (void)s;
    negotiate_and_use(true, MEM_TABLE);
}

/* DPDK 22.11 virtio-user starts a packed ring with SET_VRING_BASE 0x8000
 * (avail index 0, wrap counter 1, no used half): the device must start at the
 * ring's first descriptor with both wrap counters 1, or it never sees a buffer. */
static void test_dpdk_virtio_user_packed_base(void **s)
{
    struct fe *f = fe_new();

    (void)s;
    f->avail_half_base = true;
    fe_negotiate(f, true, MEM_TABLE);
    fe_rng_roundtrip(f, 32);
    for (int i = 0; i < 40; i++) /* across the wrap */
        fe_rng_roundtrip(f, 8);
    assert_int_equal(avps_rng_bytes(&f->b->rng), 32 + 40 * 8);
    assert_int_equal(avps_dev_guest_errors(f->b->dev), 0);
    fe_free(f);
}

/* CONFIGURE_MEM_SLOTS: the memory comes as ADD_MEM_REG. */
static void test_add_mem_reg_negotiation_split(void **s)
{
    (void)s;
    negotiate_and_use(false, MEM_ADD_REG);
}

static void test_add_mem_reg_negotiation_packed(void **s)
{
    (void)s;
    negotiate_and_use(true, MEM_ADD_REG);
}

/* Buffers made available before the ring starts are taken when it starts. */
static void test_buffers_before_start_are_served(void **s)
{
    struct fe *f = fe_new();
    const struct avps_vu_region r = ram_region(f);
    int id;
    uint64_t gpa;

    (void)s;
    fe_ring_init(f, false);
    f->pf = PF_WANT;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    gpa = fe_post(f, 16, &id);
    fe_vring(f, 0);
    fe_expect_used(f, id, gpa, 16);
    fe_free(f);
}

/* ---- 2. stop, restart, disconnect ---------------------------------------- */

static void fe_get_vring_base(struct fe *f, struct avps_vu_vring_state *out)
{
    struct avps_vu_vring_state st = {0, 0};

    fe_msg(f, AVPS_VU_GET_VRING_BASE, &st, sizeof st, NULL, 0);
    fe_reply(f, AVPS_VU_GET_VRING_BASE, out, sizeof *out);
    fe_no_reply(f);
}

static void stop_restart(bool packed)
{
    struct fe *f = fe_new();
    struct avps_vu_vring_state st;
    struct rd_done d;
    uint32_t want;
    int id;
    uint64_t gpa;
    struct pollfd pfd[1 + AVPS_VU_MAX_QUEUES];
    int qi[1 + AVPS_VU_MAX_QUEUES];

    fe_negotiate(f, packed, MEM_TABLE);
    fe_rng_roundtrip(f, 16);
    fe_rng_roundtrip(f, 16);
    /* A request the device takes but cannot complete yet (no entropy). */
    f->b->src.again = 1;
    gpa = fe_post(f, 24, &id);
    fe_kick(f);
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    assert_int_equal(f->b->rng.parked, 1);

    fe_get_vring_base(f, &st);
    assert_int_equal(st.index, 0);
    if (packed)
        want = (3u | 0x8000u) | ((2u | 0x8000u) << 16); /* 3 taken, 2 used, wraps 1 */
    else
        want = 3u; /* last avail idx: the parked request was taken */
    assert_int_equal(st.num, want);
    /* Stopped: kicks do nothing, the kick fd is gone from the poll set. */
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_equal(avps_vu_pollfds(&f->b->vu, pfd, qi), 1);
    fe_kick(f);
    assert_int_equal(rd_get_used(&f->q, &d), 0);

    /* Restart as QEMU does (NUM, BASE, ADDR, KICK): the taken but unfinished
     * request is served again from the ring. */
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QSIZE), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_BASE, 0, st.num), 0);
    assert_int_equal(fe_ring_addr(f), 0);
    (void)fe_calls(f);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_KICK, 0, f->kick), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    fe_expect_used(f, id, gpa, 24);
    assert_true(fe_calls(f) >= 1);
    /* And it continues. */
    for (int i = 0; i < 20; i++)
        fe_rng_roundtrip(f, 4);
    fe_get_vring_base(f, &st);
    if (packed)
        want = ((23u % QSIZE) | 0x0000u) | ((23u % QSIZE) << 16); /* wrapped once: 0 */
    else
        want = 23u;
    assert_int_equal(st.num, want);
    fe_free(f);
}

static void test_get_vring_base_stop_restart_split(void **s)
{
    (void)s;
    stop_restart(false);
}

static void test_get_vring_base_stop_restart_packed(void **s)
{
    (void)s;
    stop_restart(true);
}

/* Disconnect (the front-end goes away) resets the device and releases every
 * resource; a new connection sets everything up again. */
static void test_disconnect_reconnect(void **s)
{
    const int base = count_fds();
    struct fe *f = fe_new();
    struct pollfd pfd[1 + AVPS_VU_MAX_QUEUES];
    int qi[1 + AVPS_VU_MAX_QUEUES];

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    fe_rng_roundtrip(f, 32);
    assert_int_equal(avps_vu_pollfds(&f->b->vu, pfd, qi), 2);
    fe_close_sock(f);
    fe_expect_disconnect(f);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_equal(avps_dev_features(f->b->dev), 0);
    assert_int_equal(avps_vu_pollfds(&f->b->vu, pfd, qi), 0);
    /* Ours: memfd, kick, call, back-end channel. The back-end kept nothing. */
    assert_int_equal(count_fds(), base + 4);
    /* Kicks on a dead connection are harmless. */
    avps_vu_kick(&f->b->vu, 0);

    fe_connect(f);
    fe_negotiate(f, true, MEM_TABLE);
    fe_rng_roundtrip(f, 32);
    fe_rng_roundtrip(f, 7);
    fe_free(f);
    assert_int_equal(count_fds(), base);
}

/* QEMU 7.2 vhost_dev_stop (SET_STATUS 0, SET_VRING_ENABLE 0, GET_VRING_BASE)
 * and vhost_dev_start again on the same connection: the base read after the
 * device reset is still the ring's position, and a request taken but not
 * finished before the stop is served after the restart. */
static void qemu_stop_start(bool packed)
{
    struct fe *f = fe_new();
    const struct avps_vu_region r = ram_region(f);
    struct avps_vu_vring_state st;
    struct rd_done d;
    uint64_t gpa;
    uint8_t status;
    int id;

    fe_negotiate(f, packed, MEM_TABLE);
    fe_rng_roundtrip(f, 8);
    f->b->src.again = 1;
    gpa = fe_post(f, 12, &id);
    fe_kick(f);
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    /* stop */
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_STATUS, 0), 0);
    assert_int_equal(avps_dev_status(f->b->dev), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 0), 0);
    fe_get_vring_base(f, &st);
    assert_int_equal(st.num, packed ? (2u | 0x8000u) | ((1u | 0x8000u) << 16) : 2u);
    /* start */
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES,
                                FB(VERSION_1) | VU_PROTO | (packed ? FB(RING_PACKED) : 0)),
                     0);
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QSIZE), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_BASE, 0, st.num), 0);
    assert_int_equal(fe_ring_addr(f), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_KICK, 0, f->kick), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0, f->call), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 1), 0);
    status = (uint8_t)fe_get(f, AVPS_VU_GET_STATUS);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_STATUS, status | 7u), 0);
    assert_int_equal(fe_get(f, AVPS_VU_GET_STATUS), 0xf);
    fe_kick(f);
    fe_expect_used(f, id, gpa, 12);
    fe_rng_roundtrip(f, 8);
    assert_int_equal(avps_dev_guest_errors(f->b->dev), 0);
    fe_free(f);
}

static void test_qemu72_stop_start_split(void **s)
{
    (void)s;
    qemu_stop_start(false);
}

static void test_qemu72_stop_start_packed(void **s)
{
    (void)s;
    qemu_stop_start(true);
}

/* RESET_DEVICE: device reset, rings and their descriptors dropped; the
 * front-end sets everything up again on the same connection. */
static void test_reset_device(void **s)
{
    struct fe *f = fe_new();
    struct pollfd pfd[1 + AVPS_VU_MAX_QUEUES];
    int qi[1 + AVPS_VU_MAX_QUEUES];
    int before;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    fe_rng_roundtrip(f, 8);
    before = count_fds();
    assert_int_equal(fe_ack(f, AVPS_VU_RESET_DEVICE, NULL, 0, NULL, 0), 0);
    assert_int_equal(avps_dev_status(f->b->dev), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_equal(avps_vu_pollfds(&f->b->vu, pfd, qi), 1);
    assert_int_equal(count_fds(), before - 2); /* its kick and call fds */
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    fe_ring_init(f, false);
    f->expect = f->b->src.next;
    fe_vring(f, 0);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

/* ---- 3. REPLY_ACK --------------------------------------------------------- */

static void test_reply_ack(void **s)
{
    struct fe *f = fe_new();
    const struct avps_vu_region r = ram_region(f);
    struct avps_vu_config cfg;
    uint64_t pf = PF_WANT;

    (void)s;
    fe_ring_init(f, false);
    /* Before REPLY_ACK is negotiated, NEED_REPLY brings nothing back. */
    fe_send(f, AVPS_VU_SET_OWNER, NR, NULL, 0, NULL, 0);
    assert_int_equal(fe_handle(f), 0);
    fe_no_reply(f);
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0);
    f->pf = pf;
    /* Success is a u64 0. */
    assert_int_equal(fe_ack(f, AVPS_VU_SET_OWNER, NULL, 0, NULL, 0), 0);
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    /* SET_FEATURES with bits not offered. */
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | (1ull << 0)), 0);
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | FB(ADMIN_VQ)), 0);
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, 1ull << 63), 0);
    /* Vring index out of range, for each vring request. */
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 1, QSIZE), 0);
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_BASE, 1, 0), 0);
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, AVPS_VU_MAX_QUEUES, 1), 0);
    assert_int_not_equal(fe_ack_addr(f, 1, UVA_BASE, UVA_BASE, UVA_BASE), 0);
    assert_int_not_equal(fe_ack_addr(f, 0xffffffffu, UVA_BASE, UVA_BASE, UVA_BASE), 0);
    assert_int_not_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 1, -1), 0);
    /* SET_VRING_NUM above the maximum, and 0. */
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QMAX + 1), 0);
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, 0), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QMAX), 0);
    /* SET_VRING_ENABLE with a value other than 0/1. */
    assert_int_not_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 2), 0);
    /* SET_CONFIG: virtio-rng has no configuration space. */
    memset(&cfg, 0, sizeof cfg);
    cfg.size = 4;
    assert_int_not_equal(fe_ack(f, AVPS_VU_SET_CONFIG, &cfg, 12 + 4, NULL, 0), 0);
    /* SET_STATUS beyond a byte; SET_PROTOCOL_FEATURES not offered. */
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_SET_STATUS, 0x100), 0);
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_SET_PROTOCOL_FEATURES, PF_WANT | (1ull << 63)),
                         0);
    /* A request we do not implement (well formed) is refused, not fatal. */
    assert_int_not_equal(fe_ack_u64(f, AVPS_VU_NET_SET_MTU, 1500), 0);
    /* Without NEED_REPLY a refusal is silent. */
    fe_msg(f, AVPS_VU_SET_VRING_NUM, &(struct avps_vu_vring_state){3, 8}, 8, NULL, 0);
    fe_no_reply(f);
    assert_true(avps_vu_connected(&f->b->vu));
    assert_true(f->b->vu.bad_msgs >= 16);
    /* The connection goes on: the rest of the setup and the device work. */
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    fe_vring(f, 0);
    fe_rng_roundtrip(f, 64);
    fe_free(f);
}

/* ---- 4. malformed messages: clean disconnect, no descriptor left -------- */

/* Run one malformed-message case: the front-end connected (and optionally
 * negotiated), sends the message with n fresh eventfds attached; the back-end
 * must disconnect, reset the device and leave no descriptor open. */
struct bad_case {
    uint32_t req, flags;
    const void *p;
    uint32_t size;
    unsigned int nfds;
    bool negotiate;
};

static void run_malformed(const struct bad_case *c)
{
    const int base = count_fds();
    struct fe *f = fe_new();
    int fds[16];

    if (c->negotiate)
        fe_negotiate(f, false, MEM_TABLE);
    for (unsigned int i = 0; i < c->nfds; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
        assert_true(fds[i] >= 0);
    }
    fe_send(f, c->req, c->flags, c->p, c->size, fds, c->nfds);
    for (unsigned int i = 0; i < c->nfds; i++)
        close(fds[i]);
    fe_expect_disconnect(f);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    fe_free(f);
    assert_int_equal(count_fds(), base);
}

/* Header only, size field far beyond any payload: never read. */
static void test_malformed_size_beyond_message(void **s)
{
    const int base = count_fds();
    struct fe *f = fe_new();
    struct avps_vu_hdr h = {AVPS_VU_SET_FEATURES, V, 0x10000};
    int fd = eventfd(0, EFD_CLOEXEC);

    (void)s;
    send_raw(f->sock, &h, sizeof h, &fd, 1);
    close(fd);
    fe_expect_disconnect(f);
    fe_free(f);
    assert_int_equal(count_fds(), base);
}

/* The header promises more payload than arrives before the peer hangs up. */
static void test_malformed_truncated_payload(void **s)
{
    const int base = count_fds();
    struct fe *f = fe_new();
    struct {
        struct avps_vu_hdr h;
        uint32_t half;
    } __attribute__((packed)) m = {{AVPS_VU_SET_FEATURES, V, 8}, 1};
    int fd = eventfd(0, EFD_CLOEXEC);

    (void)s;
    send_raw(f->sock, &m, sizeof m, &fd, 1);
    close(fd);
    shutdown(f->sock, SHUT_WR);
    fe_expect_disconnect(f);
    fe_free(f);
    assert_int_equal(count_fds(), base);
}

/* A header cut short. */
static void test_malformed_short_header(void **s)
{
    const int base = count_fds();
    struct fe *f = fe_new();
    const uint32_t part[2] = {AVPS_VU_GET_FEATURES, V};

    (void)s;
    send_raw(f->sock, part, sizeof part, NULL, 0);
    shutdown(f->sock, SHUT_WR);
    fe_expect_disconnect(f);
    fe_free(f);
    assert_int_equal(count_fds(), base);
}

static void test_malformed_size_not_matching_request(void **s)
{
    const uint32_t v = 1;
    const struct bad_case c = {AVPS_VU_SET_FEATURES, V, &v, 4, 0, false};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_payload_on_get(void **s)
{
    const uint64_t v = 0;
    const struct bad_case c = {AVPS_VU_GET_FEATURES, V, &v, 8, 0, true};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_version_0(void **s)
{
    const struct bad_case c = {AVPS_VU_GET_FEATURES, 0, NULL, 0, 0, false};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_version_2(void **s)
{
    const struct bad_case c = {AVPS_VU_GET_FEATURES, 2 | AVPS_VU_NEED_REPLY, NULL, 0, 1, true};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_version_3(void **s)
{
    const struct bad_case c = {AVPS_VU_SET_OWNER, 3, NULL, 0, 0, false};

    (void)s;
    run_malformed(&c);
}

/* More descriptors than any message may carry: the kernel truncates them to
 * what the back-end's control buffer holds; those are closed. */
static void test_malformed_too_many_fds(void **s)
{
    const struct avps_vu_mem_table t = {0, 0, {{0, 0, 0, 0}}};
    const struct bad_case c = {AVPS_VU_SET_MEM_TABLE, V, &t, 8, AVPS_VU_MAX_FDS + 1, false};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_too_many_fds_16(void **s)
{
    const struct bad_case c = {AVPS_VU_SET_OWNER, V, NULL, 0, 16, true};

    (void)s;
    run_malformed(&c);
}

/* Descriptors on a message that takes none. */
static void test_malformed_fd_on_set_owner(void **s)
{
    const struct bad_case c = {AVPS_VU_SET_OWNER, V, NULL, 0, 1, false};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_fds_on_set_features(void **s)
{
    const uint64_t v = FB(VERSION_1);
    const struct bad_case c = {AVPS_VU_SET_FEATURES, V | AVPS_VU_NEED_REPLY, &v, 8, 3, true};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_mem_table_nregions_vs_size(void **s)
{
    struct avps_vu_mem_table t;
    struct bad_case c = {AVPS_VU_SET_MEM_TABLE, V, &t, 8 + 32, 1, false};

    (void)s;
    memset(&t, 0, sizeof t);
    t.nregions = 2; /* but one region's worth of payload */
    t.region[0].size = 4096;
    run_malformed(&c);
}

static void test_malformed_mem_table_nregions_vs_fds(void **s)
{
    struct avps_vu_mem_table t;
    struct bad_case c = {AVPS_VU_SET_MEM_TABLE, V, &t, 8 + 2 * 32, 1, false};

    (void)s;
    memset(&t, 0, sizeof t);
    t.nregions = 2;
    t.region[0].size = t.region[1].size = 4096;
    t.region[1].gpa = 4096;
    run_malformed(&c);
}

static void test_malformed_mem_table_too_many_regions(void **s)
{
    struct avps_vu_mem_table t;
    struct bad_case c = {AVPS_VU_SET_MEM_TABLE, V, &t, 8 + 8 * 32, 8, false};

    (void)s;
    memset(&t, 0, sizeof t);
    t.nregions = 9;
    run_malformed(&c);
}

static void test_malformed_vring_nofd_with_fd(void **s)
{
    const uint64_t v = AVPS_VU_VRING_NOFD;
    const struct bad_case c = {AVPS_VU_SET_VRING_CALL, V, &v, 8, 1, true};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_vring_fd_missing(void **s)
{
    const uint64_t v = 0;
    const struct bad_case c = {AVPS_VU_SET_VRING_KICK, V, &v, 8, 0, true};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_vring_fd_reserved_bits(void **s)
{
    const uint64_t v = 0x200;
    const struct bad_case c = {AVPS_VU_SET_VRING_ERR, V, &v, 8, 1, true};

    (void)s;
    run_malformed(&c);
}

/* GET_CONFIG whose size field disagrees with the payload (CONFIG negotiated). */
static void test_malformed_get_config_size(void **s)
{
    struct avps_vu_config cfg;
    const struct bad_case c = {AVPS_VU_GET_CONFIG, V, &cfg, 12 + 4, 0, true};

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = 8;
    run_malformed(&c);
}

static void test_malformed_set_config_size_too_big(void **s)
{
    struct avps_vu_config cfg;
    const struct bad_case c = {AVPS_VU_SET_CONFIG, V, &cfg, 12, 0, true};

    (void)s;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = 0xffffff00u; /* 12 + size wraps in 32 bits */
    run_malformed(&c);
}

/* A request that needs a protocol feature that was not negotiated. */
static void test_malformed_feature_not_negotiated(void **s)
{
    const struct bad_case c = {AVPS_VU_GET_QUEUE_NUM, V, NULL, 0, 0, false};

    (void)s;
    run_malformed(&c);
}

static void test_malformed_backend_req_fd_not_negotiated(void **s)
{
    const struct bad_case c = {AVPS_VU_SET_BACKEND_REQ_FD, V, NULL, 0, 1, false};

    (void)s;
    run_malformed(&c);
}

/* GET_VRING_BASE for a queue that does not exist: the front-end waits for an
 * answer that cannot be given. */
static void test_malformed_get_vring_base_bad_index(void **s)
{
    const struct avps_vu_vring_state st = {1, 0};
    const struct bad_case c = {AVPS_VU_GET_VRING_BASE, NR, &st, 8, 0, true};

    (void)s;
    run_malformed(&c);
}

/* GET_INFLIGHT_FD before INFLIGHT_SHMFD was negotiated: a front-end that sends
 * it anyway waits for an inflight region; with or without NEED_REPLY a u64 ack
 * or silence would leave it hanging or misreading. */
static void test_malformed_get_inflight_fd(void **s)
{
    struct avps_vu_inflight inf;
    const struct bad_case c = {AVPS_VU_GET_INFLIGHT_FD, V, &inf, sizeof inf, 0, true};
    const struct bad_case c2 = {AVPS_VU_GET_INFLIGHT_FD, NR, &inf, sizeof inf, 0, true};

    (void)s;
    memset(&inf, 0, sizeof inf);
    inf.num_queues = 1;
    inf.queue_size = QSIZE;
    run_malformed(&c);
    run_malformed(&c2);
}

/* ---- refused but well formed: the fds they carried are closed ----------- */

static void test_refused_kick_bad_index_closes_fd(void **s)
{
    struct fe *f = fe_new();
    int before, fd;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    before = count_fds();
    fd = eventfd(0, EFD_CLOEXEC);
    assert_int_not_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_KICK, 1, fd), 0);
    assert_int_not_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0xff, fd), 0);
    assert_int_not_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_ERR, 2, fd), 0);
    close(fd);
    assert_int_equal(count_fds(), before);
    fe_rng_roundtrip(f, 8); /* the connection and the device go on */
    fe_free(f);
}

/* Replacing kick, call and err fds closes the old ones. */
static void test_vring_fd_replaced_closes_old(void **s)
{
    struct fe *f = fe_new();
    int before, fd;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    before = count_fds();
    for (int i = 0; i < 3; i++) {
        fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_ERR, 0, fd), 0);
        close(fd);
        fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0, fd), 0);
        close(fd);
    }
    /* err fd kept, call fd replaced (ours gone from the back-end) */
    assert_int_equal(count_fds(), before + 1);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0, f->call), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_ERR, 0, -1), 0);
    assert_int_equal(count_fds(), before);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

static void test_set_log_fd_closed(void **s)
{
    struct fe *f = fe_new();
    int before, fd;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    before = count_fds();
    fd = eventfd(0, EFD_CLOEXEC);
    assert_int_equal(fe_ack(f, AVPS_VU_SET_LOG_FD, NULL, 0, &fd, 1), 0);
    close(fd);
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

static void test_rem_mem_reg_with_fd_closed(void **s)
{
    struct fe *f = fe_new();
    int before, fd;

    (void)s;
    fe_negotiate(f, false, MEM_ADD_REG);
    assert_int_equal(fe_add_reg(f, 0x200000, 0x1000, UVA_BASE + 0x200000, 0, f->memfd), 0);
    before = count_fds();
    fd = eventfd(0, EFD_CLOEXEC);
    /* No such region: refused; the fd is closed all the same. */
    assert_int_not_equal(fe_rem_reg(f, 0x300000, 0x1000, UVA_BASE + 0x300000, fd), 0);
    /* An existing one: removed; its fd closed. */
    assert_int_equal(fe_rem_reg(f, 0x200000, 0x1000, UVA_BASE + 0x200000, fd), 0);
    close(fd);
    assert_int_equal(count_fds(), before);
    assert_int_equal(f->b->vu.nreg, 1);
    fe_rng_roundtrip(f, 8); /* the ring's region was untouched */
    fe_free(f);
}

/* A mapped region holds no descriptor: mmap keeps the file. */
static void test_mem_table_fds_not_kept(void **s)
{
    struct fe *f = fe_new();
    const int before = count_fds();
    struct avps_vu_region r[4];

    (void)s;
    for (unsigned int i = 0; i < 4; i++) {
        r[i].gpa = i * (RAM_SIZE / 4);
        r[i].size = RAM_SIZE / 4;
        r[i].uva = UVA_BASE + r[i].gpa;
        r[i].mmap_offset = r[i].gpa;
    }
    f->pf = PF_WANT;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    assert_int_equal(fe_mem_table(f, r, 4), 0);
    assert_int_equal(count_fds(), before);
    assert_int_equal(f->b->vu.nreg, 4);
    fe_free(f);
}

/* ---- 5. memory regions -------------------------------------------------- */

static struct fe *fe_slots(void)
{
    struct fe *f = fe_new();

    f->pf = PF_WANT;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    return f;
}

static void test_region_size_zero(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();
    struct avps_vu_region r = ram_region(f);

    (void)s;
    assert_int_not_equal(fe_add_reg(f, 0, 0, UVA_BASE, 0, f->memfd), 0);
    r.size = 0;
    assert_int_not_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_equal(f->b->vu.nreg, 0);
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

static void test_region_overflow(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();
    struct avps_vu_region r[2];

    (void)s;
    /* gpa + size, uva + size and mmap_offset + size past 2^64 */
    assert_int_not_equal(fe_add_reg(f, UINT64_MAX - 0xfff, 0x2000, UVA_BASE, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, 0x2000, UINT64_MAX - 0xfff, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, 0x2000, UVA_BASE, UINT64_MAX - 0xfff, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, UINT64_MAX, UVA_BASE, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, 0);
    /* In a table: the whole table is refused, the old one stays. */
    r[0] = ram_region(f);
    assert_int_equal(fe_mem_table(f, r, 1), 0);
    r[1] = r[0];
    r[1].gpa = UINT64_MAX - 0xfff;
    r[1].size = 0x2000;
    r[1].uva = UVA_BASE + 2 * RAM_SIZE;
    assert_int_not_equal(fe_mem_table(f, r, 2), 0);
    assert_int_equal(f->b->vu.nreg, 1);
    assert_true(f->b->vu.reg[0].size == RAM_SIZE);
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

static void test_region_overlap(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();
    struct avps_vu_region r[2];

    (void)s;
    assert_int_equal(fe_add_reg(f, 0x100000, 0x10000, UVA_BASE, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0x10f000, 0x2000, UVA_BASE + 0x20000, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0xff000, 0x2000, UVA_BASE + 0x20000, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, 0x200000, UVA_BASE + 0x20000, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0x100000, 0x10000, UVA_BASE + 0x10000, 0, f->memfd), 0);
    /* adjacent is fine */
    assert_int_equal(fe_add_reg(f, 0x110000, 0x1000, UVA_BASE + 0x20000, 0, f->memfd), 0);
    assert_int_equal(fe_add_reg(f, 0xff000, 0x1000, UVA_BASE + 0x30000, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, 3);
    /* overlapping entries inside one table */
    r[0].gpa = 0;
    r[0].size = 0x2000;
    r[0].uva = UVA_BASE;
    r[0].mmap_offset = 0;
    r[1] = r[0];
    r[1].gpa = 0x1000;
    assert_int_not_equal(fe_mem_table(f, r, 2), 0);
    assert_int_equal(f->b->vu.nreg, 3);
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

/* QEMU's multi-queue vhost-user-net: one vhost device per queue pair on the
 * same connection, each adding and removing the same regions. The same region
 * again is counted, not refused, and stays mapped until the last removal; a
 * region that differs in anything overlaps and is refused. */
static void test_add_mem_reg_same_region_again(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();

    (void)s;
    assert_int_equal(fe_add_reg(f, 0x100000, 0x10000, UVA_BASE, 0, f->memfd), 0);
    assert_int_equal(fe_add_reg(f, 0x100000, 0x10000, UVA_BASE, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, 1);
    assert_int_equal(f->b->vu.reg[0].extra_refs, 1);
    assert_int_not_equal(fe_add_reg(f, 0x100000, 0x10000, UVA_BASE, 0x1000, f->memfd), 0);
    assert_int_equal(count_fds(), before);
    assert_int_equal(fe_rem_reg(f, 0x100000, 0x10000, UVA_BASE, -1), 0);
    assert_int_equal(f->b->vu.nreg, 1); /* still used by the other device */
    assert_int_equal(fe_rem_reg(f, 0x100000, 0x10000, UVA_BASE, -1), 0);
    assert_int_equal(f->b->vu.nreg, 0);
    assert_int_not_equal(fe_rem_reg(f, 0x100000, 0x10000, UVA_BASE, -1), 0);
    fe_free(f);
}

static void test_region_more_than_max(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();

    (void)s;
    for (uint64_t i = 0; i < AVPS_VU_MAX_REGIONS; i++)
        assert_int_equal(
            fe_add_reg(f, i * 0x1000, 0x1000, UVA_BASE + i * 0x1000, i * 0x1000, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0x100000, 0x1000, UVA_BASE + 0x100000, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, AVPS_VU_MAX_REGIONS);
    assert_int_equal(fe_rem_reg(f, 5 * 0x1000, 0x1000, UVA_BASE + 5 * 0x1000, -1), 0);
    assert_int_equal(fe_add_reg(f, 0x100000, 0x1000, UVA_BASE + 0x100000, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, AVPS_VU_MAX_REGIONS);
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

/* A region that reaches past the end of its file would fault (SIGBUS) on the
 * first access: refused when it arrives. */
static void test_region_beyond_file_end(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();

    (void)s;
    assert_int_not_equal(fe_add_reg(f, 0, 2 * RAM_SIZE, UVA_BASE, 0, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, RAM_SIZE, UVA_BASE, 0x1000, f->memfd), 0);
    assert_int_not_equal(fe_add_reg(f, 0, 0x1000, UVA_BASE, RAM_SIZE, f->memfd), 0);
    assert_int_equal(fe_add_reg(f, 0, 0x1000, UVA_BASE, RAM_SIZE - 0x1000, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, 1);
    assert_true(avps_vu_connected(&f->b->vu));
    assert_int_equal(count_fds(), before);
    fe_free(f);
}

/* Found by fuzz/vu_fuzz.c (UBSan: misaligned access to the packed Device
 * Event Suppression area in lib/virtqueue/packed.c): a region whose mmap
 * offset is not aligned like its guest address gives host pointers that are
 * not aligned like the guest addresses the ring engine checked. Such a region
 * is refused; the ring goes on with the old table. */
static void test_region_offset_misaligned(void **s)
{
    struct fe *f = fe_new();
    struct avps_vu_region r;

    (void)s;
    fe_negotiate(f, true, MEM_TABLE);
    fe_rng_roundtrip(f, 8);
    r.gpa = 0;
    r.size = RAM_SIZE - 0x1000;
    r.uva = UVA_BASE;
    r.mmap_offset = 0xf9;
    assert_int_not_equal(fe_mem_table(f, &r, 1), 0);
    r.mmap_offset = 0x8;
    assert_int_not_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_not_equal(fe_add_reg(f, 0x200004, 0x1000, UVA_BASE + 0x200004, 0, f->memfd), 0);
    assert_int_equal(f->b->vu.nreg, 1);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    fe_rng_roundtrip(f, 8);
    /* congruent modulo 16 is fine */
    assert_int_equal(fe_add_reg(f, 0x200010, 0x1000, UVA_BASE + 0x200010, 0x10, f->memfd), 0);
    assert_int_equal(fe_add_reg(f, 0x300000, 0x1000, UVA_BASE + 0x300000, 0x2000, f->memfd), 0);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

/* A descriptor that cannot be mapped at all (an eventfd): refused, and the
 * connection goes on. */
static void test_region_fd_not_mappable(void **s)
{
    struct fe *f = fe_slots();
    const int before = count_fds();
    const int fd = eventfd(0, EFD_CLOEXEC);

    (void)s;
    assert_int_not_equal(fe_add_reg(f, 0, 0x1000, UVA_BASE, 0, fd), 0);
    close(fd);
    assert_int_equal(f->b->vu.nreg, 0);
    assert_int_equal(count_fds(), before);
    fe_negotiate(f, false, MEM_TABLE);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

/* Ring addresses (front-end virtual addresses) outside every region: the ring
 * is not started. */
static void test_ring_outside_regions_not_started(void **s)
{
    struct fe *f = fe_new();
    const struct avps_vu_region r = ram_region(f);
    struct pollfd pfd[1 + AVPS_VU_MAX_QUEUES];
    int qi[1 + AVPS_VU_MAX_QUEUES];
    int id;

    (void)s;
    fe_ring_init(f, false);
    f->pf = PF_WANT;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_NUM, 0, QSIZE), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_CALL, 0, f->call), 0);
    assert_int_equal(fe_ack_vring_fd(f, AVPS_VU_SET_VRING_KICK, 0, f->kick), 0);
    /* enabled (PROTOCOL_FEATURES: rings start disabled), so each address try starts it */
    assert_int_equal(fe_ack_state(f, AVPS_VU_SET_VRING_ENABLE, 0, 1), 0);
    /* used ring one byte past the region (uva), then desc given as a gpa */
    assert_int_not_equal(fe_ack_addr(f, 0, UVA_BASE + f->q.desc, UVA_BASE + RAM_SIZE,
                                     UVA_BASE + f->q.driver),
                         0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_not_equal(fe_ack_addr(f, 0, f->q.desc, UVA_BASE + f->q.device,
                                     UVA_BASE + f->q.driver),
                         0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    /* inside the region but the ring runs off its end */
    assert_int_not_equal(fe_ack_addr(f, 0, UVA_BASE + RAM_SIZE - 8, UVA_BASE + f->q.device,
                                     UVA_BASE + f->q.driver),
                         0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 0);
    assert_int_equal(avps_vu_pollfds(&f->b->vu, pfd, qi), 1);
    (void)fe_post(f, 8, &id);
    fe_kick(f);
    assert_int_equal(rd_outstanding(&f->q), 1);
    /* the right addresses start it, and the waiting buffer is served */
    assert_int_equal(fe_ring_addr(f), 0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    fe_free(f);
}

/* SET_MEM_TABLE while the ring runs: rings are halted and restarted on the new
 * mapping; the device keeps working, including a request it had taken. */
static void mem_table_while_running(bool packed)
{
    struct fe *f = fe_new();
    struct avps_vu_region r[2];
    struct rd_done d;
    uint64_t gpa;
    int id;

    fe_negotiate(f, packed, MEM_TABLE);
    fe_rng_roundtrip(f, 16);
    f->b->src.again = 1;
    gpa = fe_post(f, 40, &id);
    fe_kick(f);
    assert_int_equal(rd_get_used(&f->q, &d), 0);
    /* the same RAM as two regions (two new mappings) */
    r[0].gpa = 0;
    r[0].size = RAM_SIZE / 2;
    r[0].uva = UVA_BASE;
    r[0].mmap_offset = 0;
    r[1].gpa = RAM_SIZE / 2;
    r[1].size = RAM_SIZE / 2;
    r[1].uva = UVA_BASE + RAM_SIZE / 2;
    r[1].mmap_offset = RAM_SIZE / 2;
    assert_int_equal(fe_mem_table(f, r, 2), 0);
    assert_int_equal(f->b->vu.nreg, 2);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    /* the taken request was given back and is served on the next kick */
    fe_kick(f);
    fe_expect_used(f, id, gpa, 40);
    for (int i = 0; i < 20; i++)
        fe_rng_roundtrip(f, 3);
    /* and back to one region */
    r[0].size = RAM_SIZE;
    assert_int_equal(fe_mem_table(f, r, 1), 0);
    fe_rng_roundtrip(f, 300);
    assert_int_equal(avps_dev_guest_errors(f->b->dev), 0);
    fe_free(f);
}

static void test_mem_table_while_running_split(void **s)
{
    (void)s;
    mem_table_while_running(false);
}

static void test_mem_table_while_running_packed(void **s)
{
    (void)s;
    mem_table_while_running(true);
}

/* A refused table while the ring runs leaves the old table and the ring. */
static void test_mem_table_refused_keeps_ring(void **s)
{
    struct fe *f = fe_new();
    struct avps_vu_region r[2];

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    fe_rng_roundtrip(f, 16);
    r[0] = ram_region(f);
    r[1] = r[0]; /* overlaps */
    assert_int_not_equal(fe_mem_table(f, r, 2), 0);
    assert_int_equal(f->b->vu.nreg, 1);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    fe_rng_roundtrip(f, 16);
    fe_free(f);
}

/* ---- 6. dirty logging ------------------------------------------------------ */

static bool log_bit(const uint8_t *log, uint64_t page)
{
    return (log[page / 8] >> (page % 8)) & 1u;
}

static void dirty_log(bool packed)
{
    struct fe *f = fe_new();
    const int logfd = memfd_create("avps-log", MFD_CLOEXEC);
    struct avps_vu_log l = {LOG_BYTES, 0};
    uint8_t *log;
    uint64_t gpa, pages = 0;
    int id;

    fe_negotiate(f, packed, MEM_TABLE);
    assert_true(logfd >= 0);
    assert_int_equal(ftruncate(logfd, 4096), 0);
    log = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, logfd, 0);
    assert_true(log != MAP_FAILED);
    /* SET_LOG_BASE always replies (u64 0: mapped). */
    fe_msg(f, AVPS_VU_SET_LOG_BASE, &l, sizeof l, &logfd, 1);
    assert_int_equal(fe_reply_u64(f, AVPS_VU_SET_LOG_BASE), 0);
    /* Without LOG_ALL nothing is logged. */
    fe_rng_roundtrip(f, 16);
    for (unsigned int i = 0; i < LOG_BYTES; i++)
        assert_int_equal(log[i], 0);
    /* QEMU turns logging on with SET_FEATURES | LOG_ALL while the ring runs. */
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES,
                                FB(VERSION_1) | VU_PROTO | VU_LOG_ALL |
                                    (packed ? FB(RING_PACKED) : 0)),
                     0);
    assert_int_equal(avps_dev_queue_ready(f->b->dev, 0), 1);
    gpa = fe_post(f, 2 * AVPS_VU_LOG_PAGE, &id);
    (void)fe_calls(f);
    fe_kick(f);
    fe_expect_used(f, id, gpa, 2 * AVPS_VU_LOG_PAGE);
    /* the used ring (split) / descriptor ring (packed) page */
    assert_true(log_bit(log, f->q.device / AVPS_VU_LOG_PAGE));
    assert_true(log_bit(log, f->q.desc / AVPS_VU_LOG_PAGE) || !packed);
    /* every page the buffer covers */
    for (uint64_t p = gpa / AVPS_VU_LOG_PAGE; p <= (gpa + 2 * AVPS_VU_LOG_PAGE - 1) / AVPS_VU_LOG_PAGE;
         p++)
        assert_true(log_bit(log, p));
    for (uint64_t p = 0; p < RAM_SIZE / AVPS_VU_LOG_PAGE; p++)
        pages += log_bit(log, p);
    /* nothing else: the ring page plus the buffer's pages */
    assert_int_equal(pages, 1 + (gpa + 2 * AVPS_VU_LOG_PAGE - 1) / AVPS_VU_LOG_PAGE -
                                gpa / AVPS_VU_LOG_PAGE + 1);
    assert_false(log_bit(log, 0));
    /* logging off again: no new bits */
    memset(log, 0, LOG_BYTES);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES,
                                FB(VERSION_1) | VU_PROTO | (packed ? FB(RING_PACKED) : 0)),
                     0);
    fe_rng_roundtrip(f, 16);
    for (unsigned int i = 0; i < LOG_BYTES; i++)
        assert_int_equal(log[i], 0);
    munmap(log, 4096);
    close(logfd);
    fe_free(f);
}

static void test_dirty_log_split(void **s)
{
    (void)s;
    dirty_log(false);
}

static void test_dirty_log_packed(void **s)
{
    (void)s;
    dirty_log(true);
}

/* A log area larger than the file behind it is refused (it would fault). */
static void test_log_base_beyond_file(void **s)
{
    struct fe *f = fe_new();
    const int logfd = memfd_create("avps-log", MFD_CLOEXEC);
    struct avps_vu_log l = {8192, 0};
    int before;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    assert_int_equal(ftruncate(logfd, 4096), 0);
    before = count_fds();
    fe_msg(f, AVPS_VU_SET_LOG_BASE, &l, sizeof l, &logfd, 1);
    assert_int_not_equal(fe_reply_u64(f, AVPS_VU_SET_LOG_BASE), 0);
    assert_null(f->b->vu.log_base);
    l.size = 0;
    fe_msg(f, AVPS_VU_SET_LOG_BASE, &l, sizeof l, &logfd, 1);
    assert_int_not_equal(fe_reply_u64(f, AVPS_VU_SET_LOG_BASE), 0);
    l.size = 16;
    l.offset = 4096 - 8;
    fe_msg(f, AVPS_VU_SET_LOG_BASE, &l, sizeof l, &logfd, 1);
    assert_int_not_equal(fe_reply_u64(f, AVPS_VU_SET_LOG_BASE), 0);
    l.offset = 4096 - 16;
    fe_msg(f, AVPS_VU_SET_LOG_BASE, &l, sizeof l, &logfd, 1);
    assert_int_equal(fe_reply_u64(f, AVPS_VU_SET_LOG_BASE), 0);
    assert_int_equal(count_fds(), before);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO | VU_LOG_ALL),
                     0);
    fe_rng_roundtrip(f, 16);
    close(logfd);
    fe_free(f);
}

/* ---- 7. configuration change on the back-end channel --------------------- */

static void test_config_change_msg(void **s)
{
    struct fe *f = fe_new();
    struct avps_vu_hdr h;
    char c;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    avps_dev_config_changed(f->b->dev);
    assert_int_equal(recv(f->chan, &h, sizeof h, MSG_DONTWAIT), (ssize_t)sizeof h);
    assert_int_equal(h.request, AVPS_VU_BACKEND_CONFIG_CHANGE_MSG);
    assert_int_equal(h.flags & AVPS_VU_VERSION_MASK, AVPS_VU_VERSION);
    assert_int_equal(h.flags & AVPS_VU_REPLY, 0);
    assert_int_equal(h.size, 0);
    assert_int_equal(recv(f->chan, &c, 1, MSG_DONTWAIT), -1);
    fe_free(f);
}

/* Without PROTOCOL_F_CONFIG nothing goes on the channel. */
static void test_config_change_not_negotiated(void **s)
{
    struct fe *f = fe_new();
    int sv[2];
    char c;
    uint64_t pf = PF_WANT & ~VU_PF(CONFIG);
    const struct avps_vu_region r = ram_region(f);

    (void)s;
    fe_ring_init(f, false);
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(fe_ack(f, AVPS_VU_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1), 0);
    close(sv[1]);
    f->chan = sv[0];
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    fe_vring(f, 0);
    avps_dev_config_changed(f->b->dev);
    assert_int_equal(recv(f->chan, &c, 1, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

/* ---- 8. avps_vu_check, one test per rule branch -------------------------- */

static struct avps_vu_msg cm;

static int chk(uint32_t req, uint32_t flags, uint32_t size, size_t len, unsigned int nfds,
               uint64_t pf, const char **why)
{
    cm.hdr.request = req;
    cm.hdr.flags = flags;
    cm.hdr.size = size;
    return avps_vu_check(&cm, len, nfds, pf, why);
}

#define CHK(req, size, nfds, pf, why) chk((req), V, (size), 12u + (size), (nfds), (pf), (why))

static void test_check_ok(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    assert_int_equal(CHK(AVPS_VU_GET_FEATURES, 0, 0, 0, &why), 0);
    assert_string_equal(why, "ok");
    assert_int_equal(CHK(AVPS_VU_SET_FEATURES, 8, 0, 0, &why), 0);
    assert_int_equal(chk(AVPS_VU_SET_OWNER, NR | AVPS_VU_REPLY, 0, 12, 0, 0, &why), 0);
    assert_int_equal(CHK(AVPS_VU_SET_LOG_FD, 0, 1, 0, &why), 0);
    assert_int_equal(CHK(AVPS_VU_SET_LOG_FD, 8, 0, 0, &why), 0);
    assert_int_equal(CHK(AVPS_VU_SET_BACKEND_REQ_FD, 0, 1, VU_PF(BACKEND_REQ), &why), 0);
    assert_int_equal(CHK(AVPS_VU_REM_MEM_REG, 40, 0, VU_PF(CONFIGURE_MEM_SLOTS), &why), 0);
    assert_int_equal(CHK(AVPS_VU_REM_MEM_REG, 40, 1, VU_PF(CONFIGURE_MEM_SLOTS), &why), 0);
}

static void test_check_short_header(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    assert_int_equal(chk(AVPS_VU_GET_FEATURES, V, 0, 11, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "short header");
    assert_int_equal(chk(AVPS_VU_GET_FEATURES, V, 0, 0, 0, 0, &why), AVPS_E_GUEST_REQ);
}

static void test_check_version(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    for (uint32_t fl = 0; fl < 4; fl++) {
        if (fl == 1)
            continue;
        assert_int_equal(chk(AVPS_VU_GET_FEATURES, fl, 0, 12, 0, 0, &why), AVPS_E_GUEST_REQ);
        assert_string_equal(why, "bad version");
    }
}

static void test_check_payload_vs_header(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    /* fewer bytes than the header says */
    assert_int_equal(chk(AVPS_VU_SET_FEATURES, V, 8, 12 + 4, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "payload size does not match the header");
    /* more */
    assert_int_equal(chk(AVPS_VU_SET_FEATURES, V, 8, 12 + 9, 0, 0, &why), AVPS_E_GUEST_REQ);
    /* more than any payload */
    assert_int_equal(chk(AVPS_VU_SET_MEM_TABLE, V, sizeof(union avps_vu_payload) + 1,
                         12 + sizeof(union avps_vu_payload) + 1, 0, 0, &why),
                     AVPS_E_GUEST_REQ);
    assert_string_equal(why, "payload size does not match the header");
    /* 12 + size wrapping a 32-bit length */
    assert_int_equal(chk(AVPS_VU_SET_FEATURES, V, 0xfffffff4u, 12, 0, 0, &why), AVPS_E_GUEST_REQ);
}

static void test_check_too_many_fds(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8, AVPS_VU_MAX_FDS + 1, 0, &why),
                     AVPS_E_GUEST_REQ);
    assert_string_equal(why, "too many file descriptors");
}

static void test_check_unsupported_request(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    assert_int_equal(CHK(0, 0, 0, UINT64_MAX, &why), AVPS_E_INVAL);
    assert_string_equal(why, "unsupported request");
    assert_int_equal(CHK(AVPS_VU_SEND_RARP, 8, 0, UINT64_MAX, &why), AVPS_E_INVAL);
    assert_int_equal(CHK(AVPS_VU_GPU_SET_SOCKET, 0, 1, UINT64_MAX, &why), AVPS_E_INVAL);
    assert_int_equal(CHK(AVPS_VU_REQ_MAX, 0, 0, UINT64_MAX, &why), AVPS_E_INVAL);
    assert_int_equal(CHK(0xffffffffu, 0, 0, UINT64_MAX, &why), AVPS_E_INVAL);
    assert_string_equal(avps_vu_req_name(0xffffffffu), "UNKNOWN");
    assert_string_equal(avps_vu_req_name(AVPS_VU_SEND_RARP), "UNKNOWN");
    assert_string_equal(avps_vu_req_name(AVPS_VU_GET_VRING_BASE), "GET_VRING_BASE");
}

static void test_check_protocol_feature(void **s)
{
    static const struct {
        uint32_t req, size, nfds;
        unsigned int pf;
    } t[] = {
        {AVPS_VU_SET_LOG_BASE, 16, 1, AVPS_VU_PF_LOG_SHMFD},
        {AVPS_VU_GET_QUEUE_NUM, 0, 0, AVPS_VU_PF_MQ},
        {AVPS_VU_SET_BACKEND_REQ_FD, 0, 1, AVPS_VU_PF_BACKEND_REQ},
        {AVPS_VU_GET_CONFIG, 12, 0, AVPS_VU_PF_CONFIG},
        {AVPS_VU_SET_CONFIG, 12, 0, AVPS_VU_PF_CONFIG},
        {AVPS_VU_RESET_DEVICE, 0, 0, AVPS_VU_PF_RESET_DEVICE},
        {AVPS_VU_GET_MAX_MEM_SLOTS, 0, 0, AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
        {AVPS_VU_ADD_MEM_REG, 40, 1, AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
        {AVPS_VU_REM_MEM_REG, 40, 0, AVPS_VU_PF_CONFIGURE_MEM_SLOTS},
        {AVPS_VU_SET_STATUS, 8, 0, AVPS_VU_PF_STATUS},
        {AVPS_VU_GET_STATUS, 0, 0, AVPS_VU_PF_STATUS},
    };
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(CHK(t[i].req, t[i].size, t[i].nfds, ~(1ull << t[i].pf), &why),
                         AVPS_E_GUEST_REQ);
        assert_string_equal(why, "protocol feature not negotiated");
        assert_int_equal(CHK(t[i].req, t[i].size, t[i].nfds, 1ull << t[i].pf, &why), 0);
    }
}

static void test_check_payload_size_rule(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    /* below the minimum */
    assert_int_equal(CHK(AVPS_VU_SET_VRING_ADDR, 39, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "payload size");
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 7, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_VRING_NUM, 4, 0, 0, &why), AVPS_E_GUEST_REQ);
    /* above the maximum */
    assert_int_equal(CHK(AVPS_VU_SET_VRING_ADDR, 41, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "payload size");
    assert_int_equal(CHK(AVPS_VU_GET_FEATURES, 1, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_LOG_FD, 16, 0, 0, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 8 * 32 + 1, 0, 0, &why), AVPS_E_GUEST_REQ);
}

static void test_check_fd_count_rule(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    /* too few */
    assert_int_equal(CHK(AVPS_VU_SET_LOG_BASE, 16, 0, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "file descriptor count");
    assert_int_equal(CHK(AVPS_VU_ADD_MEM_REG, 40, 0, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_BACKEND_REQ_FD, 0, 0, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    /* too many */
    assert_int_equal(CHK(AVPS_VU_SET_OWNER, 0, 1, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "file descriptor count");
    assert_int_equal(CHK(AVPS_VU_ADD_MEM_REG, 40, 2, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_REM_MEM_REG, 40, 2, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_LOG_FD, 0, 2, UINT64_MAX, &why), AVPS_E_GUEST_REQ);
}

static void test_check_mem_table(void **s)
{
    const char *why = NULL;

    (void)s;
    memset(&cm, 0, sizeof cm);
    cm.p.mem.nregions = 9; /* more than a table holds */
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 8 * 32, 8, 0, &why), AVPS_E_GUEST_REQ);
    assert_string_equal(why, "memory table: regions, size and fds disagree");
    cm.p.mem.nregions = 0x80000001u; /* n * 32 wraps */
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 32, 1, 0, &why), AVPS_E_GUEST_REQ);
    cm.p.mem.nregions = 2; /* size says 1 */
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 32, 2, 0, &why), AVPS_E_GUEST_REQ);
    cm.p.mem.nregions = 2; /* fds say 1 */
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 64, 1, 0, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 64, 3, 0, &why), AVPS_E_GUEST_REQ);
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 64, 2, 0, &why), 0);
    cm.p.mem.nregions = 0;
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8, 0, 0, &why), 0);
    cm.p.mem.nregions = 8;
    assert_int_equal(CHK(AVPS_VU_SET_MEM_TABLE, 8 + 8 * 32, 8, 0, &why), 0);
}

static void test_check_vring_fd(void **s)
{
    static const uint32_t reqs[] = {AVPS_VU_SET_VRING_KICK, AVPS_VU_SET_VRING_CALL,
                                    AVPS_VU_SET_VRING_ERR};
    const char *why = NULL;

    (void)s;
    for (size_t i = 0; i < 3; i++) {
        memset(&cm, 0, sizeof cm);
        cm.p.u64 = 0x5;
        assert_int_equal(CHK(reqs[i], 8, 1, 0, &why), 0);
        assert_int_equal(CHK(reqs[i], 8, 0, 0, &why), AVPS_E_GUEST_REQ); /* fd missing */
        assert_string_equal(why, "vring fd: flags and fds disagree");
        cm.p.u64 = 0x5 | AVPS_VU_VRING_NOFD;
        assert_int_equal(CHK(reqs[i], 8, 0, 0, &why), 0);
        assert_int_equal(CHK(reqs[i], 8, 1, 0, &why), AVPS_E_GUEST_REQ); /* fd despite NOFD */
        cm.p.u64 = 0x5 | 0x200; /* reserved bits */
        assert_int_equal(CHK(reqs[i], 8, 1, 0, &why), AVPS_E_GUEST_REQ);
        cm.p.u64 = 0x5 | (1ull << 63);
        assert_int_equal(CHK(reqs[i], 8, 1, 0, &why), AVPS_E_GUEST_REQ);
    }
}

static void test_check_config(void **s)
{
    static const uint32_t reqs[] = {AVPS_VU_GET_CONFIG, AVPS_VU_SET_CONFIG};
    const char *why = NULL;

    (void)s;
    for (size_t i = 0; i < 2; i++) {
        memset(&cm, 0, sizeof cm);
        cm.p.config.size = 4;
        assert_int_equal(CHK(reqs[i], 16, 0, VU_PF(CONFIG), &why), 0);
        assert_int_equal(CHK(reqs[i], 20, 0, VU_PF(CONFIG), &why), AVPS_E_GUEST_REQ);
        assert_string_equal(why, "config: size and payload disagree");
        assert_int_equal(CHK(reqs[i], 12, 0, VU_PF(CONFIG), &why), AVPS_E_GUEST_REQ);
        cm.p.config.size = AVPS_VU_CONFIG_MAX + 1;
        assert_int_equal(CHK(reqs[i], 12 + AVPS_VU_CONFIG_MAX, 0, VU_PF(CONFIG), &why),
                         AVPS_E_GUEST_REQ);
        cm.p.config.size = 0xfffffff4u; /* 12 + size wraps to 0 */
        assert_int_equal(CHK(reqs[i], 12, 0, VU_PF(CONFIG), &why), AVPS_E_GUEST_REQ);
        cm.p.config.size = AVPS_VU_CONFIG_MAX;
        assert_int_equal(CHK(reqs[i], 12 + AVPS_VU_CONFIG_MAX, 0, VU_PF(CONFIG), &why), 0);
    }
}

/* avps_vu_process with a message shorter than a header, and the
 * unsupported-request paths, without a socket. */
static void test_process_direct(void **s)
{
    struct be *b = be_new("direct");
    const int before = count_fds();
    int fds[2];
    uint8_t tiny[4] = {1, 0, 0, 0};

    (void)s;
    fds[0] = eventfd(0, EFD_CLOEXEC);
    fds[1] = eventfd(0, EFD_CLOEXEC);
    /* a 4-byte buffer: the back-end must not read past it (ASan) */
    {
        uint8_t *heap = malloc(sizeof tiny);

        memcpy(heap, tiny, sizeof tiny);
        assert_int_equal(avps_vu_process(&b->vu, (const struct avps_vu_msg *)(void *)heap, 4, fds,
                                         2),
                         AVPS_E_GUEST_REQ);
        free(heap);
    }
    assert_int_equal(fds[0], -1);
    assert_int_equal(fds[1], -1);
    /* unsupported, no reply expected: ignored, fd closed */
    fds[0] = eventfd(0, EFD_CLOEXEC);
    memset(&cm, 0, sizeof cm);
    cm.hdr.request = AVPS_VU_SEND_RARP;
    cm.hdr.flags = V;
    cm.hdr.size = 8;
    assert_int_equal(avps_vu_process(&b->vu, &cm, 20, fds, 1), 0);
    assert_int_equal(fds[0], -1);
    assert_int_equal(count_fds(), before);
    be_free(b);
}

/* ---- 9. two back-ends in one process ----------------------------------- */

static void test_two_backends_isolated(void **s)
{
    const int base = count_fds();
    struct fe *a = fe_new_on(be_new("rng-a"));
    struct fe *b = fe_new_on(be_new("rng-b"));
    const uint32_t bad = 1;

    (void)s;
    fe_negotiate(a, false, MEM_TABLE);
    fe_negotiate(b, true, MEM_TABLE);
    fe_rng_roundtrip(a, 16);
    fe_rng_roundtrip(b, 16);
    /* a breaks the protocol */
    fe_send(a, AVPS_VU_SET_FEATURES, V, &bad, 4, NULL, 0);
    fe_expect_disconnect(a);
    /* b goes on, interleaved with a reconnecting */
    fe_rng_roundtrip(b, 100);
    assert_int_equal(avps_dev_status(b->b->dev), 0xf);
    fe_connect(a);
    a->expect = 0;
    a->b->src.next = 0;
    fe_negotiate(a, true, MEM_TABLE);
    fe_rng_roundtrip(a, 5);
    fe_rng_roundtrip(b, 5);
    fe_free(a);
    fe_rng_roundtrip(b, 5);
    fe_free(b);
    assert_int_equal(count_fds(), base);
}

/* GET_CONFIG on rng: a 0-byte read of an empty space is answered; a read past
 * it gets the zero-length error reply. */
static void test_get_config(void **s)
{
    struct fe *f = fe_new();
    struct avps_vu_config c;
    struct avps_vu_hdr h;

    (void)s;
    fe_negotiate(f, false, MEM_TABLE);
    memset(&c, 0, sizeof c);
    fe_msg(f, AVPS_VU_GET_CONFIG, &c, 12, NULL, 0);
    fe_reply(f, AVPS_VU_GET_CONFIG, &c, 12);
    c.size = 4;
    fe_msg(f, AVPS_VU_GET_CONFIG, &c, 16, NULL, 0);
    assert_int_equal(recv(f->sock, &h, sizeof h, MSG_DONTWAIT), (ssize_t)sizeof h);
    assert_int_equal(h.request, AVPS_VU_GET_CONFIG);
    assert_int_equal(h.size, 0);
    fe_no_reply(f);
    fe_rng_roundtrip(f, 8);
    fe_free(f);
}

/* ---- INFLIGHT_SHMFD (vhost-user.rst "Inflight I/O tracking") ------------ */

/* The region layouts, written here from vhost-user.rst. */
#define IS_VERSION 8
#define IS_DESC_NUM 10
#define IS_LAST_BATCH 12
#define IS_USED_IDX 14
#define IS_ENT(i) (16 + 16 * (i))
#define IP_FREE_HEAD 12
#define IP_OLD_FREE_HEAD 14
#define IP_USED_IDX 16
#define IP_OLD_USED_IDX 18
#define IP_USED_WRAP 20
#define IP_OLD_USED_WRAP 21
#define IP_ENT(i) (32 + 32 * (i))

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Read a reply that carries one fd. */
static int fe_reply_fd(struct fe *f, uint32_t req, void *p, uint32_t size)
{
    union {
        char b[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct {
        struct avps_vu_hdr h;
        uint8_t p[64];
    } m;
    struct iovec iov = {&m, sizeof m};
    struct msghdr mh;
    struct cmsghdr *c;
    int fd = -1;

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    assert_int_equal(recvmsg(f->sock, &mh, MSG_DONTWAIT), (ssize_t)(sizeof m.h + size));
    assert_int_equal(m.h.request, req);
    assert_int_equal(m.h.size, size);
    memcpy(p, m.p, size);
    for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
    }
    return fd;
}

/* GET_INFLIGHT_FD as QEMU's vhost_dev_get_inflight sends it. */
static int fe_get_inflight(struct fe *f, uint16_t nq, uint16_t qsize, struct avps_vu_inflight *out)
{
    struct avps_vu_inflight in;

    memset(&in, 0, sizeof in);
    in.num_queues = nq;
    in.queue_size = qsize;
    fe_msg(f, AVPS_VU_GET_INFLIGHT_FD, &in, sizeof in, NULL, 0);
    return fe_reply_fd(f, AVPS_VU_GET_INFLIGHT_FD, out, sizeof *out);
}

static uint64_t fe_set_inflight(struct fe *f, const struct avps_vu_inflight *inf, int fd)
{
    return fe_ack(f, AVPS_VU_SET_INFLIGHT_FD, inf, sizeof *inf, &fd, 1);
}

/* The queue size the front-end names in GET_INFLIGHT_FD (QEMU: the device's
 * queue-size property, which the ring may exceed on virtio-mmio). */
static uint16_t inflight_qsize_named = QSIZE;

/* QEMU 7.2 vhost-user-blk's start with inflight tracking: features, then
 * GET_INFLIGHT_FD (first start only) and SET_INFLIGHT_FD, then the rings.
 * *rfd < 0 asks for a new region. The ring contents are left as they are. */
static uint8_t *fe_start_inflight(struct fe *f, bool packed, int *rfd, uint32_t base)
{
    struct avps_vu_inflight inf;
    const struct avps_vu_region r = ram_region(f);
    uint64_t want;
    uint8_t *reg;
    uint8_t st;

    f->pf = PF_WANT | VU_PF(INFLIGHT_SHMFD);
    assert_true((fe_get(f, AVPS_VU_GET_PROTOCOL_FEATURES) & VU_PF(INFLIGHT_SHMFD)) != 0);
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
    fe_msg(f, AVPS_VU_SET_OWNER, NULL, 0, NULL, 0);
    assert_int_equal(fe_mem_table(f, &r, 1), 0);
    want = FB(VERSION_1) | VU_PROTO | (packed ? FB(RING_PACKED) : 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, want), 0);
    if (*rfd < 0) {
        *rfd = fe_get_inflight(f, 1, inflight_qsize_named, &inf);
        assert_true(*rfd >= 0);
        assert_int_equal(inf.num_queues, 1);
        assert_int_equal(inf.queue_size, inflight_qsize_named);
        assert_true(inf.mmap_size >= (packed ? 32u + 32u * QSIZE : 16u + 16u * QSIZE));
    } else {
        struct stat sb;

        assert_int_equal(fstat(*rfd, &sb), 0);
        memset(&inf, 0, sizeof inf);
        inf.mmap_size = (uint64_t)sb.st_size;
        inf.num_queues = 1;
        inf.queue_size = inflight_qsize_named;
    }
    {
        int dupfd = dup(*rfd);

        assert_int_equal(fe_set_inflight(f, &inf, dupfd), 0);
        close(dupfd);
    }
    reg = mmap(NULL, (size_t)inf.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, *rfd, 0);
    assert_true(reg != MAP_FAILED);
    fe_vring(f, base);
    st = (uint8_t)fe_get(f, AVPS_VU_GET_STATUS);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_STATUS,
                                st | AVPS_VIRTIO_S_ACKNOWLEDGE | AVPS_VIRTIO_S_DRIVER |
                                    AVPS_VIRTIO_S_DRIVER_OK),
                     0);
    return reg;
}

/* The live region: a request taken is recorded in flight (counter set), and
 * cleared with the used index once it is used; a request the backend cannot
 * fill yet stays recorded. */
static void inflight_live(bool packed)
{
    struct fe *f = fe_new();
    const int base = count_fds();
    int rfd = -1, a, b;
    uint64_t ga, gb;
    uint8_t *reg;

    fe_ring_init(f, packed);
    reg = fe_start_inflight(f, packed, &rfd, fresh_base(packed));
    assert_int_equal(get16(reg + IS_VERSION), 1);
    assert_int_equal(get16(reg + IS_DESC_NUM), QSIZE);
    fe_rng_roundtrip(f, 16);
    if (packed) {
        assert_int_equal(get16(reg + IP_USED_IDX), 1);
        assert_int_equal(get16(reg + IP_OLD_USED_IDX), 1);
        assert_int_equal(reg[IP_USED_WRAP], 1);
    } else {
        assert_int_equal(get16(reg + IS_USED_IDX), 1);
    }
    /* the entropy source runs dry: request a is taken and waits */
    f->b->src.again = 1000;
    ga = fe_post(f, 8, &a);
    (void)ga;
    fe_kick(f);
    if (packed) {
        /* head record of a's list: the free list's first entry */
        bool found = false;

        for (unsigned int e = 0; e < QSIZE; e++) {
            if (reg[IP_ENT(e)] == 1) {
                assert_int_equal(get16(reg + IP_ENT(e) + 6), 1);       /* num */
                assert_int_equal(get16(reg + IP_ENT(e) + 16), a);      /* id */
                assert_int_equal(get16(reg + IP_ENT(e) + 20), 8);      /* len */
                assert_true(get64(reg + IP_ENT(e) + 8) > 0);           /* counter */
                found = true;
            }
        }
        assert_true(found);
    } else {
        assert_int_equal(reg[IS_ENT(a)], 1);
        assert_true(get64(reg + IS_ENT(a) + 8) > 0);
    }
    f->b->src.again = 0;
    gb = fe_post(f, 4, &b);
    (void)gb;
    (void)avps_rng_resume(&f->b->rng);
    fe_expect_used(f, a, ga, 8);
    fe_expect_used(f, b, gb, 4);
    for (unsigned int e = 0; e < QSIZE; e++)
        assert_int_equal(reg[packed ? IP_ENT(e) : IS_ENT(e)], 0);
    munmap(reg, packed ? 32u + 32u * QSIZE : 16u + 16u * QSIZE);
    close(rfd);
    fe_free(f);
    assert_int_equal(count_fds(), base - 5);
}

/* QEMU's virtio-mmio offers the guest 1024 entries while vhost-user-blk names
 * its queue-size (128) in GET_INFLIGHT_FD: the region is made for the largest
 * ring the device takes, so a ring larger than named is still journaled. */
static void test_inflight_ring_larger_than_named(void **s)
{
    struct fe *f = fe_new();
    int rfd = -1, a;
    uint8_t *reg;

    (void)s;
    inflight_qsize_named = 4; /* the ring has QSIZE = 16 */
    fe_ring_init(f, false);
    reg = fe_start_inflight(f, false, &rfd, 0);
    inflight_qsize_named = QSIZE;
    f->b->src.again = 1000;
    (void)fe_post(f, 8, &a);
    fe_kick(f);
    assert_int_equal(get16(reg + IS_DESC_NUM), QSIZE);
    assert_int_equal(reg[IS_ENT(a)], 1);
    close(rfd);
    fe_free(f);
}

static void test_inflight_live_split(void **s) { (void)s; inflight_live(false); }
static void test_inflight_live_packed(void **s) { (void)s; inflight_live(true); }

/* A back-end died with a, b, c taken and only b completed (out of order), its
 * last batch half recorded: the ring has b's used entry but the region still
 * says b in flight with used_idx behind. A new back-end (a new process: a new
 * struct be) gets the region with SET_INFLIGHT_FD and must settle b as done,
 * then resubmit a and c in the order they were taken, then serve d from the
 * ring. Packed: b's used descriptor overwrote a's ring entry, so a can only
 * come back from the region. */
static void inflight_crash(bool packed, bool half_batch)
{
    struct fe *f = fe_new();
    struct be *old = f->b;
    const int memfd_before = count_fds();
    int rfd, ida, idb, idc, idd;
    uint64_t ga, gc, gd;
    struct avps_vu_inflight inf;
    uint8_t *reg;
    struct rd_done dn;

    (void)memfd_before;
    fe_ring_init(f, packed);
    ga = fe_post(f, 8, &ida);
    (void)fe_post(f, 8, &idb);
    gc = fe_post(f, 8, &idc);
    /* the region the dead back-end left: made by GET_INFLIGHT_FD on a first
     * connection, then written the way vhost-user.rst describes */
    {
        const struct avps_vu_region r = ram_region(f);
        const uint64_t want = FB(VERSION_1) | VU_PROTO | (packed ? FB(RING_PACKED) : 0);

        f->pf = PF_WANT | VU_PF(INFLIGHT_SHMFD);
        fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
        assert_int_equal(fe_mem_table(f, &r, 1), 0);
        assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, want), 0);
        rfd = fe_get_inflight(f, 1, QSIZE, &inf);
        assert_true(rfd >= 0);
    }
    reg = mmap(NULL, (size_t)inf.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
    assert_true(reg != MAP_FAILED);
    put16(reg + IS_VERSION, 1);
    put16(reg + IS_DESC_NUM, QSIZE);
    if (!packed) {
        struct avps_vring_used *u = (struct avps_vring_used *)(void *)(f->ram + f->q.device);

        /* b used: entry 0, idx 1 */
        u->ring[0].id.le = (uint32_t)idb;
        u->ring[0].len.le = 0;
        u->idx.le = 1;
        f->ram[IS_ENT(ida)] = 1;
        put64(reg + IS_ENT(ida) + 8, 10);
        f->ram[IS_ENT(ida)] = 0; /* (that was guest RAM: undo) */
        reg[IS_ENT(ida)] = 1;
        put64(reg + IS_ENT(ida) + 8, 10);
        reg[IS_ENT(idb)] = half_batch ? 1 : 0;
        put64(reg + IS_ENT(idb) + 8, 11);
        put16(reg + IS_ENT(idb) + 6, 0xbeef); /* next: end of the batch list */
        reg[IS_ENT(idc)] = 1;
        put64(reg + IS_ENT(idc) + 8, 12);
        put16(reg + IS_LAST_BATCH, (uint16_t)idb);
        put16(reg + IS_USED_IDX, half_batch ? 0 : 1);
    } else {
        struct avps_pvirtq_desc *d0 = rd_packed_desc(&f->q, 0);
        const struct avps_pvirtq_desc da = *d0, dc = *rd_packed_desc(&f->q, 2);

        /* records: 0 = a, 1 = b, 2 = c (one descriptor each) */
        const struct avps_pvirtq_desc *src[3] = {&da, rd_packed_desc(&f->q, 1), &dc};
        const int ids[3] = {ida, idb, idc};

        for (int e = 0; e < 3; e++) {
            uint8_t *p = reg + IP_ENT(e);

            p[0] = (e == 1 && !half_batch) ? 0 : 1;
            /* b's list went back to the free list, in front of record 3 */
            put16(p + 2, (uint16_t)(e == 1 ? 3 : e + 1));
            put16(p + 4, (uint16_t)e); /* last */
            put16(p + 6, 1);           /* num */
            put64(p + 8, 20u + (uint64_t)e);
            put16(p + 16, (uint16_t)ids[e]);
            put16(p + 18, src[e]->flags.le);
            put32(p + 20, src[e]->len.le);
            put64(p + 24, src[e]->addr.le);
        }
        for (int e = 3; e < (int)QSIZE; e++)
            put16(reg + IP_ENT(e) + 2, (uint16_t)(e + 1));
        /* b used at position 0, over a's descriptor */
        d0->id.le = (uint16_t)idb;
        d0->len.le = 0;
        d0->flags.le = AVPS_VRING_PACKED_DESC_F_AVAIL | AVPS_VRING_PACKED_DESC_F_USED;
        put16(reg + IP_FREE_HEAD, 1);
        put16(reg + IP_OLD_FREE_HEAD, half_batch ? 3 : 1);
        put16(reg + IP_USED_IDX, 1);
        put16(reg + IP_OLD_USED_IDX, half_batch ? 0 : 1);
        reg[IP_USED_WRAP] = 1;
        reg[IP_OLD_USED_WRAP] = 1;
    }
    /* the old back-end is gone; a new one is started on the same socket */
    fe_close_sock(f);
    fe_expect_disconnect(f);
    f->b = be_new("rng-restarted");
    fe_connect(f);
    f->expect = 0;
    (void)fe_start_inflight(f, packed, &rfd, packed ? 0x80008000u : 0u);
    /* b's completion from before the crash */
    assert_int_equal(rd_get_used(&f->q, &dn), 1);
    assert_int_equal(dn.id, idb);
    /* a and c again, in taken order, then d from the ring */
    fe_expect_used(f, ida, ga, 8);
    fe_expect_used(f, idc, gc, 8);
    gd = fe_post(f, 8, &idd);
    fe_kick(f);
    fe_expect_used(f, idd, gd, 8);
    assert_int_equal(rd_get_used(&f->q, &dn), 0);
    assert_int_equal(rd_outstanding(&f->q), 0);
    munmap(reg, (size_t)inf.mmap_size);
    close(rfd);
    be_free(old);
    fe_free(f);
}

static void test_inflight_crash_resubmit_split(void **s) { (void)s; inflight_crash(false, false); }
static void test_inflight_crash_resubmit_packed(void **s) { (void)s; inflight_crash(true, false); }
static void test_inflight_crash_half_batch_split(void **s) { (void)s; inflight_crash(false, true); }
static void test_inflight_crash_half_batch_packed(void **s) { (void)s; inflight_crash(true, true); }

/* Peer data: a region that does not add up (a record flag of 7, a wrong
 * desc_num, a last-batch list running out of range) is started afresh, never
 * trusted; the ring then works from its used index. */
static void inflight_bad_region(int mangle)
{
    struct fe *f = fe_new();
    int rfd, ida;
    uint64_t ga;
    struct avps_vu_inflight inf;
    uint8_t *reg;
    struct avps_vring_used *u;

    fe_ring_init(f, false);
    ga = fe_post(f, 8, &ida);
    {
        const struct avps_vu_region r = ram_region(f);

        f->pf = PF_WANT | VU_PF(INFLIGHT_SHMFD);
        fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &f->pf, 8, NULL, 0);
        assert_int_equal(fe_mem_table(f, &r, 1), 0);
        assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
        rfd = fe_get_inflight(f, 1, QSIZE, &inf);
    }
    reg = mmap(NULL, (size_t)inf.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
    assert_true(reg != MAP_FAILED);
    put16(reg + IS_VERSION, 1);
    put16(reg + IS_DESC_NUM, QSIZE);
    reg[IS_ENT(ida)] = 1;
    u = (struct avps_vring_used *)(void *)(f->ram + f->q.device);
    switch (mangle) {
    case 0: reg[IS_ENT(3)] = 7; break;                 /* not 0 or 1 */
    case 1: put16(reg + IS_DESC_NUM, QSIZE * 2); break;  /* another queue size */
    case 2:                                              /* batch list out of range */
        u->idx.le = 0;
        put16(reg + IS_USED_IDX, 0xfff0);
        put16(reg + IS_LAST_BATCH, 3);
        put16(reg + IS_ENT(3) + 6, QSIZE + 9);
        break;
    default: break;
    }
    (void)fe_start_inflight(f, false, &rfd, 0);
    /* started afresh: the record is gone and nothing is resubmitted; the
     * request in the ring is served from the used index (once) */
    assert_int_equal(reg[IS_ENT(ida)], 0);
    assert_int_equal(get16(reg + IS_DESC_NUM), QSIZE);
    f->expect = 0;
    fe_kick(f);
    fe_expect_used(f, ida, ga, 8);
    assert_int_equal(rd_outstanding(&f->q), 0);
    munmap(reg, (size_t)inf.mmap_size);
    close(rfd);
    fe_free(f);
}

static void test_inflight_mangle_record_flag(void **s) { (void)s; inflight_bad_region(0); }
static void test_inflight_mangle_desc_num(void **s) { (void)s; inflight_bad_region(1); }
static void test_inflight_mangle_batch_list(void **s) { (void)s; inflight_bad_region(2); }

/* A new region while the ring runs (found by fuzz/vu_fuzz.c: the journal
 * kept writing into the region GET_INFLIGHT_FD had just replaced): the ring
 * stops, the region changes, the ring restarts journaling into the new one,
 * and the request waiting in it is still served. */
static void test_inflight_region_replaced_while_running(void **s)
{
    struct fe *f = fe_new();
    struct avps_vu_inflight inf;
    int rfd = -1, rfd2, a;
    uint64_t ga;
    uint8_t *reg, *reg2;

    (void)s;
    fe_ring_init(f, false);
    reg = fe_start_inflight(f, false, &rfd, 0);
    f->b->src.again = 1000;
    ga = fe_post(f, 8, &a);
    fe_kick(f);
    assert_int_equal(reg[IS_ENT(a)], 1);
    rfd2 = fe_get_inflight(f, 1, QSIZE, &inf);
    assert_true(rfd2 >= 0);
    reg2 = mmap(NULL, (size_t)inf.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd2, 0);
    assert_true(reg2 != MAP_FAILED);
    /* the running ring moved to the new region: a is recorded there */
    assert_int_equal(get16(reg2 + IS_VERSION), 1);
    f->b->src.again = 0;
    (void)avps_rng_resume(&f->b->rng);
    fe_expect_used(f, a, ga, 8);
    assert_int_equal(get16(reg2 + IS_USED_IDX), 1);
    munmap(reg, (size_t)inf.mmap_size);
    munmap(reg2, (size_t)inf.mmap_size);
    close(rfd);
    close(rfd2);
    fe_free(f);
}

/* GET_INFLIGHT_FD for queues the device does not have, or of size 0: an
 * all-zero reply without a descriptor (QEMU then fails the start cleanly);
 * SET_INFLIGHT_FD with a region too small, an offset, or a size beyond its
 * file: refused, and the descriptor closed; without a descriptor: malformed. */
static void test_inflight_refused(void **s)
{
    struct fe *f = fe_new();
    const int base = count_fds();
    struct avps_vu_inflight in, out;
    const uint64_t pf = PF_WANT | VU_PF(INFLIGHT_SHMFD);
    int fd, rfd;

    (void)s;
    fe_msg(f, AVPS_VU_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0);
    assert_int_equal(fe_ack_u64(f, AVPS_VU_SET_FEATURES, FB(VERSION_1) | VU_PROTO), 0);
    for (int k = 0; k < 3; k++) {
        memset(&in, 0, sizeof in);
        in.num_queues = k == 0 ? 0 : k == 1 ? 2 : 1;
        in.queue_size = k == 2 ? 0 : QSIZE;
        fe_msg(f, AVPS_VU_GET_INFLIGHT_FD, &in, sizeof in, NULL, 0);
        assert_int_equal(fe_reply_fd(f, AVPS_VU_GET_INFLIGHT_FD, &out, sizeof out), -1);
        assert_int_equal(out.mmap_size, 0);
    }
    assert_int_equal(count_fds(), base);
    /* the 20 bytes of fields alone are accepted too; the reply is always the
     * 24 bytes QEMU expects */
    memset(&in, 0, sizeof in);
    in.num_queues = 1;
    in.queue_size = QSIZE;
    fe_msg(f, AVPS_VU_GET_INFLIGHT_FD, &in, 20, NULL, 0);
    fd = fe_reply_fd(f, AVPS_VU_GET_INFLIGHT_FD, &out, sizeof out);
    assert_true(fd >= 0);
    close(fd);
    rfd = fe_get_inflight(f, 1, QSIZE, &out);
    assert_true(rfd >= 0);
    for (int k = 0; k < 3; k++) {
        in = out;
        if (k == 0)
            in.mmap_size = 16;
        else if (k == 1)
            in.mmap_offset = 4096;
        else
            in.mmap_size = out.mmap_size + 4096;
        fd = dup(rfd);
        assert_true(fe_set_inflight(f, &in, fd) != 0);
        close(fd);
        assert_int_equal(count_fds(), base + 1); /* ours only: the back-end closed its copy */
    }
    fe_send(f, AVPS_VU_SET_INFLIGHT_FD, V, &out, sizeof out, NULL, 0);
    fe_expect_disconnect(f);
    close(rfd);
    fe_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu72_negotiation_split),
        cmocka_unit_test(test_qemu72_negotiation_packed),
        cmocka_unit_test(test_dpdk_virtio_user_packed_base),
        cmocka_unit_test(test_add_mem_reg_negotiation_split),
        cmocka_unit_test(test_add_mem_reg_negotiation_packed),
        cmocka_unit_test(test_buffers_before_start_are_served),
        cmocka_unit_test(test_get_vring_base_stop_restart_split),
        cmocka_unit_test(test_get_vring_base_stop_restart_packed),
        cmocka_unit_test(test_disconnect_reconnect),
        cmocka_unit_test(test_qemu72_stop_start_split),
        cmocka_unit_test(test_qemu72_stop_start_packed),
        cmocka_unit_test(test_inflight_live_split),
        cmocka_unit_test(test_inflight_ring_larger_than_named),
        cmocka_unit_test(test_inflight_live_packed),
        cmocka_unit_test(test_inflight_crash_resubmit_split),
        cmocka_unit_test(test_inflight_crash_resubmit_packed),
        cmocka_unit_test(test_inflight_crash_half_batch_split),
        cmocka_unit_test(test_inflight_crash_half_batch_packed),
        cmocka_unit_test(test_inflight_mangle_record_flag),
        cmocka_unit_test(test_inflight_mangle_desc_num),
        cmocka_unit_test(test_inflight_mangle_batch_list),
        cmocka_unit_test(test_inflight_refused),
        cmocka_unit_test(test_inflight_region_replaced_while_running),
        cmocka_unit_test(test_reset_device),
        cmocka_unit_test(test_reply_ack),
        cmocka_unit_test(test_malformed_size_beyond_message),
        cmocka_unit_test(test_malformed_truncated_payload),
        cmocka_unit_test(test_malformed_short_header),
        cmocka_unit_test(test_malformed_size_not_matching_request),
        cmocka_unit_test(test_malformed_payload_on_get),
        cmocka_unit_test(test_malformed_version_0),
        cmocka_unit_test(test_malformed_version_2),
        cmocka_unit_test(test_malformed_version_3),
        cmocka_unit_test(test_malformed_too_many_fds),
        cmocka_unit_test(test_malformed_too_many_fds_16),
        cmocka_unit_test(test_malformed_fd_on_set_owner),
        cmocka_unit_test(test_malformed_fds_on_set_features),
        cmocka_unit_test(test_malformed_mem_table_nregions_vs_size),
        cmocka_unit_test(test_malformed_mem_table_nregions_vs_fds),
        cmocka_unit_test(test_malformed_mem_table_too_many_regions),
        cmocka_unit_test(test_malformed_vring_nofd_with_fd),
        cmocka_unit_test(test_malformed_vring_fd_missing),
        cmocka_unit_test(test_malformed_vring_fd_reserved_bits),
        cmocka_unit_test(test_malformed_get_config_size),
        cmocka_unit_test(test_malformed_set_config_size_too_big),
        cmocka_unit_test(test_malformed_feature_not_negotiated),
        cmocka_unit_test(test_malformed_backend_req_fd_not_negotiated),
        cmocka_unit_test(test_malformed_get_vring_base_bad_index),
        cmocka_unit_test(test_malformed_get_inflight_fd),
        cmocka_unit_test(test_refused_kick_bad_index_closes_fd),
        cmocka_unit_test(test_vring_fd_replaced_closes_old),
        cmocka_unit_test(test_set_log_fd_closed),
        cmocka_unit_test(test_rem_mem_reg_with_fd_closed),
        cmocka_unit_test(test_mem_table_fds_not_kept),
        cmocka_unit_test(test_region_size_zero),
        cmocka_unit_test(test_region_overflow),
        cmocka_unit_test(test_region_overlap),
        cmocka_unit_test(test_add_mem_reg_same_region_again),
        cmocka_unit_test(test_region_more_than_max),
        cmocka_unit_test(test_region_beyond_file_end),
        cmocka_unit_test(test_region_offset_misaligned),
        cmocka_unit_test(test_region_fd_not_mappable),
        cmocka_unit_test(test_ring_outside_regions_not_started),
        cmocka_unit_test(test_disabled_ring_untouched),
        cmocka_unit_test(test_mem_table_while_running_split),
        cmocka_unit_test(test_mem_table_while_running_packed),
        cmocka_unit_test(test_mem_table_refused_keeps_ring),
        cmocka_unit_test(test_dirty_log_split),
        cmocka_unit_test(test_dirty_log_packed),
        cmocka_unit_test(test_log_base_beyond_file),
        cmocka_unit_test(test_config_change_msg),
        cmocka_unit_test(test_config_change_not_negotiated),
        cmocka_unit_test(test_check_ok),
        cmocka_unit_test(test_check_short_header),
        cmocka_unit_test(test_check_version),
        cmocka_unit_test(test_check_payload_vs_header),
        cmocka_unit_test(test_check_too_many_fds),
        cmocka_unit_test(test_check_unsupported_request),
        cmocka_unit_test(test_check_protocol_feature),
        cmocka_unit_test(test_check_payload_size_rule),
        cmocka_unit_test(test_check_fd_count_rule),
        cmocka_unit_test(test_check_mem_table),
        cmocka_unit_test(test_check_vring_fd),
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_process_direct),
        cmocka_unit_test(test_two_backends_isolated),
        cmocka_unit_test(test_get_config),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

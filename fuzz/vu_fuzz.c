/*
 * libFuzzer harness for the vhost-user message path (STYLE.md rule 19,
 * HOSTILE.md CVE-2022-0669): avps_vu_check() and the back-end's handling of
 * every request, fed through avps_vu_process() (no socket read), with
 * virtio-rng attached and a small memfd as guest RAM, so the mmap paths
 * (SET_MEM_TABLE, ADD_MEM_REG, SET_LOG_BASE), ring start and stop, kicks,
 * calls and dirty logging all run.
 *
 * The input is a sequence of records (at most FZ_MAX_RECORDS):
 *   op < 0xf0   A message: u16 len (little endian), then len bytes handed to
 *               avps_vu_process() as what arrived (header and payload; the
 *               header's size field may disagree). The bytes sit in a heap
 *               buffer of exactly len bytes, so ASan sees any read past what
 *               arrived. op & 0x0f descriptors come with it (more than 8 is
 *               malformed); (op >> 4) & 3 picks their kind: 0 the guest-RAM
 *               memfd, 1 an eventfd, 2 memfd and eventfd alternating, 3 a
 *               socket whose peer is closed.
 *   0xf0..0xf7  The front-end kicks queue op & 7 (avps_vu_kick).
 *   0xf8        The guest writes RAM: u16 offset, u8 n, n bytes (rings, buffers).
 *   0xf9        The device changes its configuration (back-end channel message).
 *   0xfa        The entropy source runs dry once (the next fill: AVPS_E_AGAIN).
 *   0xfb        The front-end reconnects (at most FZ_MAX_RECONNECTS times).
 *   0xfc..0xff  Nothing.
 * A message the back-end calls malformed ends the connection, as
 * avps_vu_handle() would; the harness reconnects (bounded) and goes on.
 * fuzz/gen_vu_seeds.c writes seeds: full negotiations with rings built by
 * the spec-written test driver.
 *
 * Checked beyond ASan and UBSan (a failure traps):
 *   - avps_vu_process() takes every descriptor: each fds[i] is -1 afterwards;
 *   - every reply is well formed: version 1 with REPLY, size within a payload;
 *   - no descriptor outlives the input: every descriptor number the input
 *     created is closed at its end, and every 1000 inputs the count of
 *     /proc/self/fd (pipes aside) equals the count at the first input.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/rng.h>

#include "avps_vhost_user.h"

#define FZ_RAM (64u * 1024u)
#define FZ_MAX_RECORDS 256
#define FZ_MAX_RECONNECTS 2
#define FZ_QMAX 64u
#define FZ_FD_TRACK 1024

struct fz_src {
    uint8_t next;
    uint8_t dry;
};

static int ram_fd = -1;
static uint8_t *ram;
static int base_count = -1;
static uint64_t inputs;
static uint8_t created[FZ_FD_TRACK / 8];

static struct avps_vu vu;
static struct avps_rng rng;
static struct avps_vq_slot slots[FZ_QMAX];
static struct fz_src src;
static struct avps_rng_backend rbe;
static int peer = -1; /* our end of the connection: the replies */

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static int fz_fill(void *ctx, void *buf, uint32_t len)
{
    struct fz_src *s = ctx;
    uint8_t *b = buf;

    if (s->dry) {
        s->dry = 0;
        return AVPS_E_AGAIN;
    }
    for (uint32_t i = 0; i < len; i++)
        b[i] = s->next++;
    return (int)len;
}

/* Open descriptors other than pipes: the sanitizers' symbolizer, which
 * libFuzzer starts when it prints new functions, talks over pipes; nothing
 * here makes one. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char path[64], target[64];
    int n = 0;

    check_(d != NULL);
    while ((e = readdir(d)) != NULL) {
        ssize_t len;

        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        len = readlink(path, target, sizeof target - 1);
        if (len > 0 && strncmp(target, "pipe:", 5) == 0)
            continue;
        n++;
    }
    closedir(d);
    return n;
}

static int track(int fd)
{
    check_(fd >= 0 && fd < FZ_FD_TRACK);
    created[fd / 8] = (uint8_t)(created[fd / 8] | (1u << (fd % 8)));
    return fd;
}

static int make_fd(unsigned int kind, unsigned int i)
{
    int sv[2];

    if (kind == 2)
        kind = i % 2;
    switch (kind) {
    case 0:
        return track(fcntl(ram_fd, F_DUPFD_CLOEXEC, 0));
    case 1:
        /* non-blocking, as a kick fd the harness reads without polling */
        return track(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    default:
        check_(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        track(sv[0]);
        track(sv[1]);
        close(sv[1]);
        return sv[0];
    }
}

static void fz_init(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the daemon: a call fd may be a dead socket */
    ram_fd = memfd_create("vu-fuzz-ram", MFD_CLOEXEC);
    check_(ram_fd >= 0);
    check_(ftruncate(ram_fd, FZ_RAM) == 0);
    ram = mmap(NULL, FZ_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
    check_(ram != MAP_FAILED);
    base_count = count_fds();
}

static void fz_connect(void)
{
    int sv[2];

    check_(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    track(sv[0]);
    track(sv[1]);
    peer = sv[0];
    avps_vu_connect(&vu, sv[1]);
}

/* VU_FUZZ_LOG=2 prints the back-end's log (to check what a seed reaches). */
static void fz_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "[%d] %s\n", level, msg);
}

static void fz_setup(void)
{
    struct avps_vu_cfg vc;
    struct avps_rng_cfg rc;

    memset(&vc, 0, sizeof vc);
    vc.name = "fuzz";
    if (getenv("VU_FUZZ_LOG") != NULL) {
        vc.log = fz_log;
        vc.verbosity = atoi(getenv("VU_FUZZ_LOG"));
    }
    avps_vu_init(&vu, &vc);
    src.next = 0;
    src.dry = 0;
    rbe.fill = fz_fill;
    rbe.ctx = &src;
    memset(&rc, 0, sizeof rc);
    rc.backend = &rbe;
    rc.slots = slots;
    rc.num_slots = FZ_QMAX;
    rc.queue_size_max = FZ_QMAX;
    check_(avps_rng_init(&rng, avps_vu_host(&vu), &rc) == AVPS_OK);
    check_(avps_vu_attach(&vu, avps_rng_dev(&rng)) == 0);
    fz_connect();
}

/* Read every reply so far and check its framing. */
static void drain(void)
{
    static uint8_t buf[16384];
    size_t have = 0;
    ssize_t r;

    for (;;) {
        r = recv(peer, buf + have, sizeof buf - have, MSG_DONTWAIT);
        if (r <= 0)
            break;
        have += (size_t)r;
        check_(have < sizeof buf);
    }
    for (size_t off = 0; off < have;) {
        struct avps_vu_hdr h;

        check_(have - off >= sizeof h);
        memcpy(&h, buf + off, sizeof h);
        check_(h.flags == (AVPS_VU_VERSION | AVPS_VU_REPLY));
        check_(h.size <= sizeof(union avps_vu_payload));
        check_(h.size <= have - off - sizeof h);
        off += sizeof h + h.size;
    }
}

static void fz_disconnect(void)
{
    avps_vu_disconnect(&vu);
    if (peer >= 0)
        close(peer);
    peer = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    int records = 0, reconnects = 0;
    bool live = true;

    if (ram == NULL)
        fz_init();
    memset(created, 0, sizeof created);
    /* Fresh RAM: size and offset back (a call fd may be the memfd: writes
     * move its offset and can grow it) and zeroed. */
    check_(ftruncate(ram_fd, FZ_RAM) == 0);
    check_(lseek(ram_fd, 0, SEEK_SET) == 0);
    memset(ram, 0, FZ_RAM);
    fz_setup();

    while (live && pos < size && records++ < FZ_MAX_RECORDS) {
        const uint8_t op = data[pos++];

        if (op < 0xf0) {
            const unsigned int nfds = op & 0x0fu;
            const unsigned int kind = (op >> 4) & 3u;
            int fds[16];
            uint8_t *msg;
            size_t len;
            int r;

            if (size - pos < 2)
                break;
            len = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
            pos += 2;
            if (len > size - pos)
                len = size - pos;
            if (len > sizeof(struct avps_vu_msg))
                len = sizeof(struct avps_vu_msg);
            msg = malloc(len > 0 ? len : 1);
            check_(msg != NULL);
            memcpy(msg, data + pos, len);
            pos += len;
            for (unsigned int i = 0; i < nfds; i++)
                fds[i] = make_fd(kind, i);
            r = avps_vu_process(&vu, (const struct avps_vu_msg *)(const void *)msg, len, fds,
                                nfds);
            free(msg);
            for (unsigned int i = 0; i < nfds; i++)
                check_(fds[i] == -1);
            drain();
            if (r < 0) {
                fz_disconnect();
                if (++reconnects > FZ_MAX_RECONNECTS)
                    live = false;
                else
                    fz_connect();
            }
        } else if (op < 0xf8) {
            avps_vu_kick(&vu, (uint16_t)(op & 7u));
            drain();
        } else if (op == 0xf8) {
            size_t off, n;

            if (size - pos < 3)
                break;
            off = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
            n = data[pos + 2];
            pos += 3;
            if (n > size - pos)
                n = size - pos;
            if (off + n <= FZ_RAM)
                memcpy(ram + off, data + pos, n);
            pos += n;
        } else if (op == 0xf9) {
            avps_dev_config_changed(avps_rng_dev(&rng));
            drain();
        } else if (op == 0xfa) {
            src.dry = 1;
        } else if (op == 0xfb) {
            fz_disconnect();
            if (++reconnects > FZ_MAX_RECONNECTS)
                live = false;
            else
                fz_connect();
        }
    }
    if (vu.cfg.log != NULL)
        fprintf(stderr, "entropy served: %llu bytes, %d records\n",
                (unsigned long long)avps_rng_bytes(&rng), records);
    fz_disconnect();
    check_(!avps_vu_connected(&vu));

    /* No descriptor outlives the input. */
    for (int fd = 0; fd < FZ_FD_TRACK; fd++) {
        if ((created[fd / 8] >> (fd % 8)) & 1u)
            check_(fcntl(fd, F_GETFD) < 0);
    }
    if (++inputs % 1000u == 0u)
        check_(count_fds() == base_count);
    return 0;
}

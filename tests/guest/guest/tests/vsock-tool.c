/*
 * vsock-tool: the guest side of the vsock real-guest test (busybox has no
 * AF_VSOCK tool). Built on the host with gcc -static by tests/guest/setup.sh
 * into the initramfs as /avps/bin/vsock-tool. Every command prints one line
 * "ok ..." (exit 0) or "fail ..." (exit 1). Data is a pseudo-random stream
 * from a seed; the host side echoes it back, and the guest compares.
 *
 *   vsock-tool echo PORT BYTES SEED          stream to host PORT, read the echo back
 *   vsock-tool seq PORT COUNT                seqpacket to host PORT: COUNT messages
 *                                            of varying size, each echoed as one
 *   vsock-tool many PORT N BYTES             N stream connections at once, each echoed
 *   vsock-tool listen PORT BYTES SEED        accept one host connection on guest PORT,
 *                                            send BYTES and read the echo back
 *   vsock-tool refused PORT                  connect to a host port nobody serves:
 *                                            must fail with ECONNRESET
 *   vsock-tool peer-close PORT               the host closes: read sees EOF, then
 *                                            writes fail (EPIPE) once the host's RST came
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#define MAXC 64

static uint8_t pat(uint64_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed * 0xbf58476d1ce4e5b9ull;

    x ^= x >> 31;
    x *= 0x94d049bb133111ebull;
    return (uint8_t)(x >> 29);
}

static int fail(const char *what)
{
    printf("fail %s: %s\n", what, strerror(errno));
    return 1;
}

static int vconnect(unsigned int port, int type)
{
    struct sockaddr_vm sa;
    int fd = socket(AF_VSOCK, type, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.svm_family = AF_VSOCK;
    sa.svm_cid = VMADDR_CID_HOST;
    sa.svm_port = port;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Send n bytes of the pattern on each fd and check the echo, all at once. */
static int pump(int *fds, int nfd, uint64_t n, uint64_t seed0)
{
    uint64_t sent[MAXC] = {0}, got[MAXC] = {0};
    static uint8_t buf[65536];
    struct pollfd pfd[MAXC];
    int left = nfd;
    time_t t0 = time(NULL);

    while (left > 0) {
        int k = 0;

        if (time(NULL) - t0 > 120) {
            printf("fail timeout (%d connections unfinished)\n", left);
            return 1;
        }
        for (int i = 0; i < nfd; i++) {
            pfd[i].fd = got[i] < n ? fds[i] : -1;
            pfd[i].events = POLLIN | (sent[i] < n ? POLLOUT : 0);
            pfd[i].revents = 0;
        }
        if (poll(pfd, (nfds_t)nfd, 1000) < 0)
            return fail("poll");
        for (int i = 0; i < nfd; i++) {
            uint64_t seed = seed0 + (uint64_t)i;

            if (pfd[i].revents & POLLOUT) {
                uint64_t m = n - sent[i];
                ssize_t w;

                if (m > sizeof buf)
                    m = sizeof buf;
                for (uint64_t j = 0; j < m; j++)
                    buf[j] = pat(seed, sent[i] + j);
                w = send(fds[i], buf, m, MSG_DONTWAIT);
                if (w < 0 && errno != EAGAIN)
                    return fail("send");
                if (w > 0)
                    sent[i] += (uint64_t)w;
            }
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);

                if (r < 0 && errno == EAGAIN)
                    continue;
                if (r <= 0) {
                    printf("fail conn %d: recv %zd after %llu of %llu bytes (%s)\n", i, r,
                           (unsigned long long)got[i], (unsigned long long)n,
                           r < 0 ? strerror(errno) : "eof");
                    return 1;
                }
                for (ssize_t j = 0; j < r; j++) {
                    if (buf[j] != pat(seed, got[i] + (uint64_t)j)) {
                        printf("fail conn %d: byte %llu differs\n", i,
                               (unsigned long long)(got[i] + (uint64_t)j));
                        return 1;
                    }
                }
                got[i] += (uint64_t)r;
                if (got[i] == n)
                    k++;
            }
        }
        left -= k;
    }
    return 0;
}

static uint32_t csum(uint64_t n, uint64_t seed)
{
    uint32_t a = 1, b = 0;

    for (uint64_t i = 0; i < n; i++) {
        a = (a + pat(seed, i)) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    unsigned int port = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : 0;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(cmd, "echo") == 0 && argc == 5) {
        uint64_t n = strtoull(argv[3], NULL, 0), seed = strtoull(argv[4], NULL, 0);
        int fd = vconnect(port, SOCK_STREAM);

        if (fd < 0)
            return fail("connect");
        if (pump(&fd, 1, n, seed) != 0)
            return 1;
        printf("ok %llu bytes adler32 %08x both ways\n", (unsigned long long)n, csum(n, seed));
        close(fd);
        return 0;
    }
    if (strcmp(cmd, "many") == 0 && argc == 5) {
        int nc = atoi(argv[3]);
        uint64_t n = strtoull(argv[4], NULL, 0);
        int fds[MAXC];

        if (nc < 1 || nc > MAXC)
            return 2;
        for (int i = 0; i < nc; i++) {
            fds[i] = vconnect(port, SOCK_STREAM);
            if (fds[i] < 0)
                return fail("connect");
        }
        if (pump(fds, nc, n, 1000) != 0)
            return 1;
        printf("ok %d connections open at once, %llu bytes each way on each\n", nc,
               (unsigned long long)n);
        return 0;
    }
    if (strcmp(cmd, "seq") == 0 && argc == 4) {
        int count = atoi(argv[3]);
        static uint8_t out[8192], in[8192 + 16];
        uint64_t total = 0;
        int fd = vconnect(port, SOCK_SEQPACKET);

        if (fd < 0)
            return fail("connect seqpacket");
        for (int m = 0; m < count; m++) {
            size_t len = 1 + (size_t)((m * 977u) % 8000u);
            ssize_t r;

            for (size_t j = 0; j < len; j++)
                out[j] = pat((uint64_t)m, j);
            if (send(fd, out, len, 0) != (ssize_t)len)
                return fail("send message");
            r = recv(fd, in, sizeof in, 0);
            if (r != (ssize_t)len || memcmp(in, out, len) != 0) {
                printf("fail message %d: sent %zu bytes, got one of %zd\n", m, len, r);
                return 1;
            }
            total += len;
        }
        printf("ok %d messages (%llu bytes) came back one by one with their boundaries\n",
               count, (unsigned long long)total);
        return 0;
    }
    if (strcmp(cmd, "listen") == 0 && argc == 5) {
        uint64_t n = strtoull(argv[3], NULL, 0), seed = strtoull(argv[4], NULL, 0);
        struct sockaddr_vm sa;
        int l = socket(AF_VSOCK, SOCK_STREAM, 0), fd;

        memset(&sa, 0, sizeof sa);
        sa.svm_family = AF_VSOCK;
        sa.svm_cid = VMADDR_CID_ANY;
        sa.svm_port = port;
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 4) != 0)
            return fail("listen");
        printf("listening\n");
        fd = accept(l, NULL, NULL);
        if (fd < 0)
            return fail("accept");
        if (pump(&fd, 1, n, seed) != 0)
            return 1;
        printf("ok host connection accepted on port %u, %llu bytes adler32 %08x both ways\n",
               port, (unsigned long long)n, csum(n, seed));
        return 0;
    }
    if (strcmp(cmd, "refused") == 0 && argc == 3) {
        int fd = vconnect(port, SOCK_STREAM);

        if (fd >= 0) {
            printf("fail connect to port %u succeeded\n", port);
            return 1;
        }
        if (errno != ECONNRESET)
            return fail("connect did not fail with ECONNRESET");
        printf("ok connect refused with ECONNRESET\n");
        return 0;
    }
    if (strcmp(cmd, "peer-close") == 0 && argc == 3) {
        char c;
        ssize_t r;
        int fd = vconnect(port, SOCK_STREAM);

        if (fd < 0)
            return fail("connect");
        r = recv(fd, &c, 1, 0);
        if (r != 0) {
            printf("fail recv %zd, want EOF after the host closed\n", r);
            return 1;
        }
        /* Our data reaches the closed host socket; the daemon answers RST. */
        for (int i = 0; i < 100; i++) {
            if (send(fd, "x", 1, MSG_NOSIGNAL) < 0) {
                if (errno != EPIPE && errno != ECONNRESET)
                    return fail("send");
                printf("ok host close seen as EOF, then reset (%s)\n", strerror(errno));
                return 0;
            }
            usleep(50000);
        }
        printf("fail sends still succeed 5 s after the host closed\n");
        return 1;
    }
    fprintf(stderr, "usage: see the comment at the top of vsock-tool.c\n");
    return 2;
}

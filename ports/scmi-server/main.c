/*
 * avps-scmi-server: the demo SCMI platform (demo_platform.c) served over a
 * Unix SOCK_SEQPACKET socket, one SCMI message per packet: a command is its
 * header and parameters (little endian), the reply is one packet, and
 * delayed responses and notifications come as packets of their own (message
 * type 2 and 3 in the header). One client at a time; each is agent --agent.
 *
 *   avps-scmi-server --socket-path /tmp/scmi.sock [--agent 1] [--reply-size 136]
 *                    [--update-ms 100]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <avps/err.h>
#include <avps/version.h>

#include "demo_platform.h"

#define PKT_MAX 4096

static volatile sig_atomic_t stop;
static struct demo_platform demo;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: avps-scmi-server --socket-path PATH [--agent N] [--reply-size BYTES]\n"
               "                        [--update-ms MS] [--verbose]\n"
               "Serves the libavps demo SCMI platform on a Unix SOCK_SEQPACKET socket, one\n"
               "SCMI message (header + payload, little endian) per packet.\n"
               "  --agent N          the agent a client is (1 vm0: everything, 2 vm1: sensors)\n"
               "  --reply-size B     reply room per command, 8..%d (default 136, as Linux)\n"
               "  --update-ms MS     period of simulated sensor updates (default 100)\n",
            PKT_MAX);
}

static int parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Send every P2A message queued for the agent. */
static void drain(int fd, uint32_t agent)
{
    uint8_t buf[AVPS_SCMI_MSG_MAX];
    int n;

    while ((n = avps_scmi_p2a_pop(&demo.scmi, agent, buf, sizeof buf)) > 0) {
        if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
            return;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket-path", required_argument, NULL, 's'}, {"agent", required_argument, NULL, 'a'},
        {"reply-size", required_argument, NULL, 'r'},  {"update-ms", required_argument, NULL, 'u'},
        {"verbose", no_argument, NULL, 'v'},           {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},           {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    unsigned long agent = 1, reply = 136, update_ms = 100;
    int verbose = 0, c, lfd, cfd = -1;
    struct sockaddr_un sa;
    struct sigaction act;

    while ((c = getopt_long(argc, argv, "s:a:r:u:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            path = optarg;
            break;
        case 'a':
            if (parse_u(optarg, 1, DEMO_AGENTS, &agent) != 0) {
                fprintf(stderr, "error: --agent must be 1..%u\n", DEMO_AGENTS);
                return 2;
            }
            break;
        case 'r':
            if (parse_u(optarg, 8, PKT_MAX, &reply) != 0) {
                fprintf(stderr, "error: --reply-size must be 8..%d\n", PKT_MAX);
                return 2;
            }
            break;
        case 'u':
            if (parse_u(optarg, 1, 60000, &update_ms) != 0) {
                fprintf(stderr, "error: --update-ms must be 1..60000\n");
                return 2;
            }
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("avps-scmi-server (libavps) %u.%u.%u\n", AVPS_VERSION_MAJOR, AVPS_VERSION_MINOR,
                   AVPS_VERSION_PATCH);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (path == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "error: socket path too long\n");
        return 2;
    }
    if (demo_platform_init(&demo) != AVPS_OK) {
        fprintf(stderr, "error: platform setup failed\n");
        return 1;
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    unlink(path);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 4) != 0) {
        fprintf(stderr, "error: cannot listen on %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (verbose)
        fprintf(stderr, "avps-scmi-server: listening on %s as agent %lu\n", path, agent);
    while (!stop) {
        struct pollfd pfd[2];
        int nfds = 1, r;

        pfd[0].fd = lfd;
        pfd[0].events = POLLIN;
        if (cfd >= 0) {
            pfd[1].fd = cfd;
            pfd[1].events = POLLIN;
            nfds = 2;
        }
        r = poll(pfd, (nfds_t)nfds, (int)update_ms);
        if (r < 0 && errno != EINTR)
            break;
        if (r == 0 && cfd >= 0) {
            demo_platform_step(&demo);
            drain(cfd, (uint32_t)agent);
            continue;
        }
        if (r <= 0)
            continue;
        if ((pfd[0].revents & POLLIN) != 0 && cfd < 0) {
            cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (cfd >= 0) {
                avps_scmi_agent_bind(&demo.scmi, (uint32_t)agent, true, NULL, NULL);
                if (verbose)
                    fprintf(stderr, "avps-scmi-server: client connected\n");
            }
        }
        if (nfds == 2 && pfd[1].revents != 0) {
            uint8_t req[PKT_MAX], rsp[PKT_MAX];
            ssize_t n = recv(cfd, req, sizeof req, 0);
            int len;

            if (n <= 0) {
                /* the client went away: its subscriptions and messages go */
                avps_scmi_agent_reset(&demo.scmi, (uint32_t)agent, false);
                close(cfd);
                cfd = -1;
                if (verbose)
                    fprintf(stderr, "avps-scmi-server: client disconnected\n");
                continue;
            }
            len = avps_scmi_handle(&demo.scmi, (uint32_t)agent, req, (uint32_t)n, rsp,
                                   (uint32_t)reply, AVPS_SCMI_NO_COOKIE);
            if (len > 0)
                send(cfd, rsp, (size_t)len, MSG_NOSIGNAL);
            else if (verbose)
                fprintf(stderr, "avps-scmi-server: malformed message (%zd bytes) ignored\n", n);
            drain(cfd, (uint32_t)agent);
        }
    }
    if (cfd >= 0)
        close(cfd);
    close(lfd);
    unlink(path);
    if (verbose)
        fprintf(stderr, "avps-scmi-server: stopped\n");
    return 0;
}

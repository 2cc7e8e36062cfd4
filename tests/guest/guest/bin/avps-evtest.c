/*
 * avps-evtest: a small evdev reader for the real-guest input test (busybox
 * has no evtest). Built on the host with gcc -static by tests/guest/setup.sh
 * and put in the initramfs as /bin/avps-evtest.
 *
 * Usage: avps-evtest DEVICE [-l TYPE CODE VALUE] [-n COUNT] [-t SECONDS]
 *   prints  AVPS-INFO evdev-name <name>
 *           AVPS-INFO evdev-id <bustype> <vendor> <product> <version>   (hex)
 *           AVPS-INFO evdev-abs <axis> <min> <max> <fuzz> <flat> <res>  (ABS_X, ABS_Y)
 *   -l      then writes that event and a SYN_REPORT to the device (an LED
 *           change: the driver sends it to the device's statusq)
 *   -n      then reads events until COUNT events that are neither EV_SYN nor
 *           EV_LED have come and the group they are in has ended (SYN_REPORT),
 *           printing every event as  AVPS-EV <type> <code> <value>
 *   -t      gives up after SECONDS (default 30)
 * Exit status: 0 when COUNT events came, 1 on timeout, 2 on errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    char name[256] = "";
    struct input_id id;
    int fd, count = 0, seen = 0, led = 0, secs = 30;
    long led_ev[3] = {0, 0, 0};
    long deadline;

    if (argc < 2) {
        fprintf(stderr, "usage: avps-evtest DEVICE [-l TYPE CODE VALUE] [-n COUNT] [-t SECONDS]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-l") == 0 && i + 3 < argc) {
            led = 1;
            for (int k = 0; k < 3; k++)
                led_ev[k] = strtol(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            count = atoi(argv[++i]);
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            secs = atoi(argv[++i]);
        } else {
            fprintf(stderr, "avps-evtest: bad argument %s\n", argv[i]);
            return 2;
        }
    }
    fd = open(argv[1], O_RDWR | O_NONBLOCK);
    if (fd < 0) {
        printf("AVPS-INFO evdev-error open %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    if (ioctl(fd, EVIOCGNAME(sizeof name - 1), name) < 0)
        snprintf(name, sizeof name, "?");
    printf("AVPS-INFO evdev-name %s\n", name);
    if (ioctl(fd, EVIOCGID, &id) == 0)
        printf("AVPS-INFO evdev-id %04x %04x %04x %04x\n", id.bustype, id.vendor, id.product,
               id.version);
    for (int a = ABS_X; a <= ABS_Y; a++) {
        struct input_absinfo ai;

        if (ioctl(fd, EVIOCGABS(a), &ai) == 0)
            printf("AVPS-INFO evdev-abs %d %d %d %d %d %d\n", a, ai.minimum, ai.maximum, ai.fuzz,
                   ai.flat, ai.resolution);
    }
    fflush(stdout);
    if (led) {
        struct input_event w[2];

        memset(w, 0, sizeof w);
        w[0].type = (unsigned short)led_ev[0];
        w[0].code = (unsigned short)led_ev[1];
        w[0].value = (int)led_ev[2];
        w[1].type = EV_SYN;
        w[1].code = SYN_REPORT;
        if (write(fd, w, sizeof w) != (ssize_t)sizeof w) {
            printf("AVPS-INFO evdev-error write: %s\n", strerror(errno));
            return 2;
        }
    }
    deadline = now_ms() + secs * 1000L;
    while (seen < count || count == 0) {
        struct pollfd p = {fd, POLLIN, 0};
        struct input_event ev[16];
        long left = deadline - now_ms();
        ssize_t r;

        if (count == 0)
            break;
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        r = read(fd, ev, sizeof ev);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            printf("AVPS-INFO evdev-error read: %s\n", strerror(errno));
            return 2;
        }
        for (size_t i = 0; i < (size_t)r / sizeof ev[0]; i++) {
            printf("AVPS-EV %u %u %d\n", ev[i].type, ev[i].code, ev[i].value);
            if (ev[i].type != EV_SYN && ev[i].type != EV_LED)
                seen++;
        }
        fflush(stdout);
    }
    close(fd);
    return (seen >= count) ? 0 : 1;
}

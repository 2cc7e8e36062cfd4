/*
 * blkzero DEVICE OFFSET LENGTH: zero a byte range of a block device with the
 * BLKZEROOUT ioctl (Linux sends VIRTIO_BLK_T_WRITE_ZEROES when the device
 * offers it). Built static by tests/guest/setup.sh for the guest initramfs,
 * because busybox's blkdiscard has no -z.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    uint64_t range[2];
    int fd;

    if (argc != 4) {
        fprintf(stderr, "usage: blkzero DEVICE OFFSET LENGTH\n");
        return 2;
    }
    range[0] = strtoull(argv[2], NULL, 0);
    range[1] = strtoull(argv[3], NULL, 0);
    fd = open(argv[1], O_WRONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    if (ioctl(fd, BLKZEROOUT, range) != 0) {
        perror("BLKZEROOUT");
        return 1;
    }
    return close(fd) == 0 ? 0 : 1;
}

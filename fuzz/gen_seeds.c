/* Writes seed inputs for vq_fuzz: valid rings built by the spec-written test
 * driver, in the harness's input format. Usage: gen_seeds packed(0|1) outdir */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "ringdrv.h"
#include "vq_fuzz.h"

static const uint8_t program[] = {0, 0, 3, 0, 4, 0, 1, 3, 7, 4, 5, 1, 0, 3, 0, 9, 0, 0,
                                  3, 1, 4, 8, 3, 0, 4};

static int seed(const char *dir, int packed, unsigned sel, uint8_t feat, uint8_t segs,
                unsigned variant, unsigned n)
{
    struct avps_posix_guest g;
    struct rd_queue q;
    uint16_t size = fuzz_sizes[sel];
    uint64_t f = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    uint64_t d, dr, dv;
    char path[512];
    FILE *fp;
    uint8_t hdr[4];

    if (feat & 1) f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_INDIRECT_DESC);
    if (feat & 2) f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX);
    if (feat & 4) f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER);
    if (feat & 8) f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA);
    if (packed) f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    avps_posix_init(&g);
    avps_posix_add_region(&g, 0, FUZZ_MEM / 2);
    avps_posix_add_region(&g, FUZZ_MEM / 2, FUZZ_MEM / 2);
    if (rd_init(&q, &g, packed, size, f, 0, FUZZ_HEAP, FUZZ_MEM - FUZZ_HEAP) != 0)
        return -1;
    fuzz_layout(size, packed, &d, &dr, &dv);
    if (q.desc != d || q.driver != dr || q.device != dv) {
        fprintf(stderr, "layout mismatch\n");
        return -1;
    }
    if (variant >= 1) /* put buffers across the region boundary */
        q.heap = FUZZ_MEM / 2 - 24;
    for (unsigned i = 0; i < n; i++) {
        unsigned flags = ((feat & 1) && (i & 1)) ? RD_INDIRECT : 0;

        if (rd_add_simple(&q, 16 + 8 * (i % 3), (i % 2) ? 32 : 0, flags) < 0 &&
            rd_add_simple(&q, 8, 0, 0) < 0)
            break;
    }
    snprintf(path, sizeof path, "%s/seed-%s-s%u-f%u-g%u-v%u-n%u", dir, packed ? "p" : "s",
             size, feat, segs, variant, n);
    fp = fopen(path, "wb");
    if (fp == NULL)
        return -1;
    /* variant 2: the port offers translation windows (byte 0, bit 7) */
    hdr[0] = (uint8_t)(sel | (variant == 2 ? 0x80u : 0u));
    hdr[1] = feat;
    hdr[2] = segs;
    hdr[3] = sizeof program;
    fwrite(hdr, 1, 4, fp);
    fwrite(program, 1, sizeof program, fp);
    for (uint32_t a = 0; a < FUZZ_MEM; a++)
        fputc(*(uint8_t *)avps_posix_ptr(&g, a, 1), fp);
    fclose(fp);
    rd_fini(&q);
    avps_posix_fini(&g);
    return 0;
}

int main(int argc, char **argv)
{
    int packed;

    if (argc != 3)
        return 2;
    packed = atoi(argv[1]);
    for (unsigned sel = 0; sel < (packed ? 16u : 7u); sel += (packed ? 3u : 1u))
        for (uint8_t feat = 0; feat < 16; feat += 3)
            for (unsigned v = 0; v < 3; v++)
                if (seed(argv[2], packed, sel, feat, (uint8_t)(v == 1 ? 0x45 : 16), v,
                         fuzz_sizes[sel] > 4 ? 4 : fuzz_sizes[sel]) != 0)
                    return 1;
    return 0;
}

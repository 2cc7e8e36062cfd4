/*
 * Writes seed inputs for mmio_fuzz (format: fuzz/mmio_fuzz.c, fuzz/mmio_fuzz.h):
 *   - driver sessions: the spec-written driver (mmiodrv + ringdrv) sets the
 *     device up in every feature mix, makes buffers available (chained,
 *     indirect, refused), kicks, runs dry and resumes, takes interrupts and
 *     used buffers, stops and resets queues, resets the device and starts
 *     again;
 *   - register sessions: the same set-up as raw register writes, with guest
 *     RAM holding split or packed rings that ringdrv built, buffers already
 *     available, then misaligned and out-of-window accesses.
 * Usage: gen_mmio_seeds outdir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/mmio.h>
#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "fz_port.h"
#include "mmio_fuzz.h"
#include "ringdrv.h"

static uint8_t out[MF_HDR + 4096 + FZ_RAM];
static size_t olen;

static void put8(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void put32(uint32_t v)
{
    for (int i = 0; i < 4; i++)
        put8((uint8_t)(v >> (8 * i)));
}

static void op(enum mf_op k, unsigned int p)
{
    put8((uint8_t)(k | (p << 4)));
}

static void reg_w(uint32_t off, uint32_t v)
{
    op(MF_REG_W, 0);
    put8((uint8_t)(off / 4u));
    put32(v);
}

static void reg_r(uint32_t off)
{
    op(MF_REG_R, 0);
    put8((uint8_t)(off / 4u));
}

static void raw(bool write, unsigned int size_sel, uint16_t off, uint32_t v)
{
    op(MF_RAW, size_sel | (write ? 8u : 0u));
    put8((uint8_t)off);
    put8((uint8_t)(off >> 8));
    put32(v);
}

static void begin(uint8_t setup, uint8_t faults)
{
    olen = 0;
    put8(setup);
    put8(faults);
    put8(0);
    put8(0);
}

static void end_program(void)
{
    const size_t p = olen - MF_HDR;

    out[2] = (uint8_t)p;
    out[3] = (uint8_t)(p >> 8);
}

static void write_seed(const char *dir, const char *name)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(out, 1, olen, fp) != olen || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* A whole driver session through mmiodrv. */
static void driver_session(const char *dir, uint8_t feat, uint8_t setup, int n)
{
    char name[64];

    begin(setup, 0);
    op(MF_INIT, 0); put8(feat); put8(0);
    op(MF_ADD, 8 | 1); put8(16);             /* two writable pieces, kick */
    op(MF_IRQ, 0);
    op(MF_USED, 0);
    op(MF_ADD, 8 | 4 | 2); put8(6);          /* indirect, three pieces */
    op(MF_ADD, 8); put8(200);                /* one big piece */
    op(MF_IRQ, 0);
    op(MF_USED, 0);
    op(MF_BACKEND, 2);                       /* two fills run dry */
    op(MF_ADD, 8); put8(32);                 /* parked */
    op(MF_ADD, 0); put8(8);                  /* behind it, no kick */
    op(MF_RESUME, 0);
    op(MF_RESUME, 0);
    op(MF_IRQ, 0);
    op(MF_USED, 0);
    op(MF_ADD, 8 | 1); put8(9);              /* readable first piece: refused */
    op(MF_BACKEND, 8);                       /* the next fill fails */
    op(MF_ADD, 8); put8(40);
    op(MF_IRQ, 0);
    op(MF_USED, 0);
    op(MF_CONFIG, 0);
    op(MF_IRQ, 0);
    op(MF_SYNC, 0);
    op(MF_STOP, (feat & MF_F_RING_RESET) ? 1 : 0); /* queue reset or stop */
    op(MF_NOTIFY, 1);
    op(MF_INIT, 0); put8(feat); put8(4);     /* again, a smaller ring */
    for (int i = 0; i < n; i++) {
        op(MF_ADD, 8 | (unsigned int)(i & 3)); put8((uint8_t)(10 + i));
        op(MF_IRQ, 0);
        op(MF_USED, 0);
    }
    op(MF_ADD, 8); put8(4);                   /* completed: InterruptStatus set */
    op(MF_BACKEND, 1);
    op(MF_ADD, 8); put8(3);
    op(MF_STATUS, 0);                         /* reset with the line up, a request parked */
    op(MF_RESUME, 0);
    op(MF_INIT, 0); put8(feat); put8(0);
    op(MF_ADD, 8); put8(5);
    op(MF_IRQ, 0);
    op(MF_USED, 0);
    op(MF_STOP, 2);                           /* the driver's reset */
    end_program();
    snprintf(name, sizeof name, "driver-f%02x-s%02x-n%d", feat, setup, n);
    write_seed(dir, name);
}

/* Raw register set-up over a ring ringdrv built in RAM. */
static void register_session(const char *dir, bool packed, bool evidx, uint8_t setup)
{
    struct avps_posix_guest g;
    struct rd_queue q;
    const uint16_t qsize = 8;
    uint64_t f = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    char name[64];

    if (packed)
        f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    if (evidx)
        f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX);
    avps_posix_init(&g);
    if (avps_posix_add_region(&g, 0, FZ_RAM) != 0 ||
        rd_init(&q, &g, packed, qsize, f, MF_RING, MF_HEAP, FZ_RAM - MF_HEAP) != 0) {
        fprintf(stderr, "rd_init\n");
        exit(1);
    }
    for (int i = 0; i < 3; i++)
        if (rd_add_simple(&q, 0, 16u + 8u * (uint32_t)i, 0) < 0)
            exit(1);

    begin(setup, 0);
    reg_r(AVPS_VIRTIO_MMIO_MAGIC_VALUE);
    reg_r(AVPS_VIRTIO_MMIO_VERSION);
    reg_r(AVPS_VIRTIO_MMIO_DEVICE_ID);
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 0);
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 1);
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 3);
    reg_w(AVPS_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    reg_r(AVPS_VIRTIO_MMIO_DEVICE_FEATURES);
    reg_w(AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    reg_w(AVPS_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
    reg_w(AVPS_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    reg_w(AVPS_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 0xb);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_SEL, 0);
    reg_r(AVPS_VIRTIO_MMIO_QUEUE_NUM_MAX);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_NUM, qsize);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q.desc);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q.driver);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q.device);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_READY, 1);
    reg_r(AVPS_VIRTIO_MMIO_QUEUE_READY);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_NOTIFY, 0);  /* before DRIVER_OK: ignored */
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 0xf);      /* takes the buffers */
    reg_r(AVPS_VIRTIO_MMIO_INTERRUPT_STATUS);
    reg_w(AVPS_VIRTIO_MMIO_INTERRUPT_ACK, 1);
    reg_r(AVPS_VIRTIO_MMIO_CONFIG_GENERATION);
    reg_w(AVPS_VIRTIO_MMIO_SHM_SEL, 0);
    reg_r(AVPS_VIRTIO_MMIO_SHM_LEN_LOW);
    reg_r(AVPS_VIRTIO_MMIO_SHM_BASE_HIGH);
    raw(false, 1, 0x100, 0);                  /* config space: rng has none */
    raw(false, 0, 0x72, 0);                   /* misaligned */
    raw(true, 1, 0x70, 0);                    /* Status, one byte */
    raw(false, 3, 0x1f8, 0);                  /* last 8 bytes of the window */
    raw(false, 0, 0x200, 0);                  /* past it */
    op(MF_RAM, 0); put8((uint8_t)(q.driver + 2)); put8(0); put8(2); put8(200); put8(0);
    reg_w(AVPS_VIRTIO_MMIO_QUEUE_NOTIFY, 0);  /* avail idx far ahead: broken */
    reg_r(AVPS_VIRTIO_MMIO_STATUS);
    reg_r(AVPS_VIRTIO_MMIO_INTERRUPT_STATUS);
    reg_w(AVPS_VIRTIO_MMIO_INTERRUPT_ACK, 3);
    reg_w(AVPS_VIRTIO_MMIO_STATUS, 0);
    end_program();
    for (uint32_t a = 0; a < FZ_RAM; a++)
        put8(*(uint8_t *)avps_posix_ptr(&g, a, 1));
    snprintf(name, sizeof name, "regs-%s%s-s%02x", packed ? "packed" : "split",
             evidx ? "-evidx" : "", setup);
    write_seed(dir, name);
    rd_fini(&q);
    avps_posix_fini(&g);
}

int main(int argc, char **argv)
{
    static const uint8_t feats[] = {
        0,
        MF_F_PACKED,
        MF_F_EVENT_IDX | MF_F_INDIRECT,
        MF_F_IN_ORDER,
        MF_F_NOTIF_DATA | MF_F_RING_RESET,
        MF_F_PACKED | MF_F_EVENT_IDX | MF_F_IN_ORDER | MF_F_NOTIF_DATA,
        MF_F_PACKED | MF_F_INDIRECT | MF_F_RING_RESET,
        MF_F_EVENT_IDX | MF_F_IN_ORDER | MF_F_RING_RESET | MF_F_NOTIF_DATA,
    };

    if (argc != 2) {
        fprintf(stderr, "usage: gen_mmio_seeds outdir\n");
        return 2;
    }
    for (unsigned int i = 0; i < sizeof feats; i++)
        driver_session(argv[1], feats[i], (uint8_t)((i % 4u) << 2 | (i == 5 ? MF_NO_LEVEL : 0)),
                       (int)(i % 3u) * 3);
    register_session(argv[1], false, false, 0);
    register_session(argv[1], false, true, 1 << 2);
    register_session(argv[1], true, false, MF_NO_LEVEL);
    register_session(argv[1], true, true, 0);
    return 0;
}

/*
 * Writes seed inputs for pci_fuzz (format: fuzz/pci_fuzz.c, fuzz/pci_fuzz.h):
 *   - driver sessions: the spec-written driver (pcidrv + ringdrv) probes,
 *     enables MSI-X or stays on INTx, negotiates every feature mix, sets up
 *     the queue, makes buffers available and kicks, runs dry and resumes,
 *     masks and unmasks vectors (pending bits), reads the ISR directly and
 *     through the PCI_CFG window, resets the function and starts again;
 *   - register sessions: the same set-up as raw configuration and BAR
 *     accesses, with guest RAM holding rings ringdrv built (buffers already
 *     available), then accesses of wrong widths and offsets.
 * Usage: gen_pci_seeds outdir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avps/virtio/features.h>

#include "avps_posix.h"
#include "fz_port.h"
#include "pci_fuzz.h"
#include "ringdrv.h"

/* The layout avps_pci_init() gives virtio-rng with the default multiplier
 * (lib/transport/pci.c): BAR regions and capability positions. */
#define B_COMMON 0x0000u
#define B_ISR 0x1000u
#define B_NOTIFY 0x2000u
#define B_MSIX 0x3000u
#define B_PBA 0x4000u
#define CAP_PCICFG 0x74u
#define CAP_MSIX 0x88u

static uint8_t out[PF_HDR + 4096 + FZ_RAM];
static size_t olen;

static void put8(uint8_t v)
{
    if (olen >= sizeof out) {
        fprintf(stderr, "seed too long\n");
        exit(1);
    }
    out[olen++] = v;
}

static void put16(uint16_t v)
{
    put8((uint8_t)v);
    put8((uint8_t)(v >> 8));
}

static void put32(uint32_t v)
{
    put16((uint16_t)v);
    put16((uint16_t)(v >> 16));
}

static void op(enum pf_op k, unsigned int p)
{
    put8((uint8_t)(k | (p << 4)));
}

/* size selectors: pf_sizes {4, 1, 2, 8}, pf_csizes {4, 1, 2} */
static unsigned int ssel(unsigned int size)
{
    return size == 4 ? 0 : size == 1 ? 1 : size == 2 ? 2 : 3;
}

static void cfg_w(uint16_t off, unsigned int size, uint32_t v)
{
    op(PF_CFG, 8 | ssel(size));
    put16(off);
    put32(v);
}

static void cfg_r(uint16_t off, unsigned int size)
{
    op(PF_CFG, ssel(size));
    put16(off);
    put32(0);
}

static void bar_w(uint16_t off, unsigned int size, uint32_t v)
{
    op(PF_BAR, 8 | ssel(size));
    put16(off);
    put32(v);
}

static void bar_r(uint16_t off, unsigned int size)
{
    op(PF_BAR, ssel(size));
    put16(off);
    put32(0);
}

static void cc_w(uint8_t off, unsigned int size, uint32_t v)
{
    op(PF_COMMON, 8 | ssel(size));
    put8(off);
    put32(v);
}

static void cc_r(uint8_t off, unsigned int size)
{
    op(PF_COMMON, ssel(size));
    put8(off);
    put32(0);
}

static void begin(uint8_t setup, uint8_t transport)
{
    olen = 0;
    put8(setup);
    put8(transport);
    put16(0);
}

static void end_program(void)
{
    const size_t p = olen - PF_HDR;

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

static void driver_session(const char *dir, uint8_t feat, uint8_t setup, uint8_t transport,
                           bool msix)
{
    char name[64];

    begin(setup, transport);
    op(PF_PROBE, 0);
    op(PF_INIT, msix ? 1 : 0); put8(feat); put8(0);
    op(PF_ADD, 8 | 1); put8(16);
    op(PF_IRQ, 0);
    op(PF_USED, 0);
    op(PF_ADD, 8 | 4 | 2); put8(6);
    op(PF_ADD, 8); put8(200);
    op(PF_IRQ, 0);
    op(PF_USED, 0);
    op(PF_MSIX, 0 | 4); put8(0);             /* mask vector 0 */
    op(PF_ADD, 8); put8(12);                 /* its message goes pending */
    bar_r(B_PBA, 8);
    op(PF_MSIX, 0); put8(0);                 /* unmask: sent */
    op(PF_MSIX, 1 | 4); put8(0);             /* function mask */
    op(PF_EVENT, 0);                         /* config change: pending */
    op(PF_MSIX, 1); put8(0);                 /* unmask */
    op(PF_BACKEND, 2);
    op(PF_ADD, 8); put8(32);                 /* parked */
    op(PF_ADD, 0); put8(8);
    op(PF_RESUME, 0);
    op(PF_RESUME, 0);
    op(PF_IRQ, 0);
    op(PF_USED, 0);
    op(PF_ADD, 8 | 1); put8(9);              /* readable first piece: refused */
    op(PF_BACKEND, 8);
    op(PF_ADD, 8); put8(40);
    op(PF_WINDOW, 1); put8(0); put16(B_ISR); put32(0);      /* ISR through the window */
    op(PF_WINDOW, 0); put8(0); put16(B_COMMON + 0x14); put32(0);
    op(PF_USED, 0);
    op(PF_MSIX, 2); put8(0);                 /* MSI-X off: INTx */
    op(PF_EVENT, 0);
    cfg_r(0x06, 2);                          /* Interrupt Status */
    cfg_w(0x04, 2, 0x0406);                  /* INTx Disable */
    cfg_w(0x04, 2, 0x0006);
    op(PF_IRQ, 0);
    op(PF_NOTIFY, 1);
    op(PF_STATUS, 0);                        /* device reset */
    op(PF_INIT, msix ? 0 : 1); put8(feat); put8(1);
    op(PF_ADD, 8); put8(7);
    op(PF_IRQ, 0);
    op(PF_USED, 0);
    op(PF_ADD, 8); put8(4);                  /* completed: ISR set */
    op(PF_BACKEND, 1);
    op(PF_ADD, 8); put8(3);
    op(PF_EVENT, 1);                         /* function reset with a request parked */
    op(PF_RESUME, 0);
    op(PF_PROBE, 0);
    op(PF_INIT, 1); put8(feat); put8(0);
    op(PF_ADD, 8 | 2); put8(5);
    op(PF_IRQ, 0);
    op(PF_USED, 0);
    end_program();
    snprintf(name, sizeof name, "driver-f%02x-s%02x-t%02x-%s", feat, setup, transport,
             msix ? "msix" : "intx");
    write_seed(dir, name);
}

static void register_session(const char *dir, bool packed, uint8_t setup)
{
    struct avps_posix_guest g;
    struct rd_queue q;
    const uint16_t qsize = 8;
    uint64_t f = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    char name[64];

    if (packed)
        f |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    avps_posix_init(&g);
    if (avps_posix_add_region(&g, 0, FZ_RAM) != 0 ||
        rd_init(&q, &g, packed, qsize, f, PF_RING, PF_HEAP, FZ_RAM - PF_HEAP) != 0) {
        fprintf(stderr, "rd_init\n");
        exit(1);
    }
    for (int i = 0; i < 3; i++)
        if (rd_add_simple(&q, 0, 16u + 8u * (uint32_t)i, 0) < 0)
            exit(1);

    begin(setup, 0);
    cfg_r(0x00, 4);
    cfg_w(0x10, 4, 0xffffffffu);             /* size BAR0 */
    cfg_r(0x10, 4);
    cfg_w(0x10, 4, (uint32_t)PF_BAR_BASE);
    cfg_w(0x14, 4, 0);
    cfg_w(0x04, 2, 0x0006);                  /* memory + bus master */
    cfg_r(0x34, 1);
    cfg_r(0x40, 4);
    cfg_r(CAP_MSIX, 4);
    cfg_w(CAP_MSIX + 2, 2, 0xc000);          /* MSI-X enabled, function masked */
    bar_w(B_MSIX + 0, 4, (uint32_t)PF_MSI_ADDR);
    bar_w(B_MSIX + 8, 4, 0x41);
    bar_w(B_MSIX + 12, 4, 0);                /* unmask entry 0 */
    cfg_w(CAP_MSIX + 2, 2, 0x8000);          /* function unmasked */
    cc_w(0x14, 1, 0);
    cc_w(0x14, 1, 1);
    cc_w(0x14, 1, 3);
    cc_w(0x00, 4, 1);
    cc_r(0x04, 4);
    cc_w(0x08, 4, 0);
    cc_w(0x0c, 4, (uint32_t)f);
    cc_w(0x08, 4, 1);
    cc_w(0x0c, 4, (uint32_t)(f >> 32));
    cc_w(0x14, 1, 0xb);
    cc_r(0x14, 1);
    cc_w(0x10, 2, 0);                        /* msix_config */
    cc_w(0x16, 2, 0);
    cc_r(0x18, 2);
    cc_w(0x18, 2, qsize);
    cc_w(0x1a, 2, 0);                        /* queue_msix_vector */
    cc_w(0x20, 4, (uint32_t)q.desc);
    cc_w(0x24, 4, 0);
    cc_w(0x28, 4, (uint32_t)q.driver);
    cc_w(0x2c, 4, 0);
    cc_w(0x30, 4, (uint32_t)q.device);
    cc_w(0x34, 4, 0);
    cc_r(0x1e, 2);
    cc_w(0x1c, 2, 1);
    cc_r(0x1c, 2);
    op(PF_NOTIFY, 0); put16(0); put32(0);    /* before DRIVER_OK: nothing */
    cc_w(0x14, 1, 0xf);                      /* takes the buffers */
    bar_r(B_ISR, 1);
    bar_r(B_PBA, 8);
    cc_r(0x15, 1);                           /* config_generation */
    cc_r(0x20, 8);
    cc_w(0x20, 8, 0);                        /* enabled queue: refused */
    cc_r(0x13, 1);                           /* wrong width */
    bar_r(B_ISR + 1, 1);
    bar_w(B_ISR, 1, 0);
    op(PF_RAM, 0); put16((uint16_t)(q.driver + 2)); put8(2); put8(200); put8(0);
    op(PF_NOTIFY, 0); put16(0); put32(0);    /* avail idx far ahead: broken */
    cc_r(0x14, 1);
    bar_r(B_ISR, 1);
    cfg_w(CAP_PCICFG + 4, 1, 0);             /* window on common status */
    cfg_w(CAP_PCICFG + 8, 4, 0x14);
    cfg_w(CAP_PCICFG + 12, 4, 1);
    cfg_w(CAP_PCICFG + 16, 1, 0);            /* device reset through it */
    cfg_r(0xfff, 1);
    cfg_r(0x1000, 1);
    end_program();
    for (uint32_t a = 0; a < FZ_RAM; a++)
        put8(*(uint8_t *)avps_posix_ptr(&g, a, 1));
    snprintf(name, sizeof name, "regs-%s-s%02x", packed ? "packed" : "split", setup);
    write_seed(dir, name);
    rd_fini(&q);
    avps_posix_fini(&g);
}

int main(int argc, char **argv)
{
    static const uint8_t feats[] = {
        0,
        PF_F_PACKED,
        PF_F_EVENT_IDX | PF_F_INDIRECT,
        PF_F_IN_ORDER,
        PF_F_NOTIF_DATA | PF_F_RING_RESET,
        PF_F_PACKED | PF_F_EVENT_IDX | PF_F_IN_ORDER | PF_F_NOTIF_DATA,
        PF_F_PACKED | PF_F_INDIRECT | PF_F_RING_RESET,
        PF_F_EVENT_IDX | PF_F_IN_ORDER | PF_F_RING_RESET | PF_F_NOTIF_DATA,
    };
    /* setup: MSI-X sizes 3, 2, 65, 0(intx), 130, 1, 8, 64; some ports without
     * set_level or inject_msi; some queue sizes */
    static const uint8_t setups[] = {0x03, 0x02 | 0x20, 0x05, 0x00, 0x07 | 0x08, 0x01 | 0x10,
                                     0x06 | 0x40, 0x04 | 0x18};
    /* transport: multipliers 4, 8, 4096, shared */
    static const uint8_t transports[] = {0, 2, 3, 4, 1, 0, 2, 4 | 1};

    if (argc != 2) {
        fprintf(stderr, "usage: gen_pci_seeds outdir\n");
        return 2;
    }
    for (unsigned int i = 0; i < sizeof feats; i++)
        driver_session(argv[1], feats[i], setups[i], transports[i], (i % 4u) != 3u);
    register_session(argv[1], false, 0x03);
    register_session(argv[1], true, 0x02);
    return 0;
}

/*
 * avps-fdt-demo OUT.dtb
 *
 * Builds a small arm64 "virt"-style device tree in a fixed buffer (root,
 * memory, a GICv3 interrupt controller), adds four virtio-mmio transports with
 * avps_fdt_add_virtio_mmio_n(), packs the tree and writes it to OUT.dtb.
 * Inspect the result with: dtc -I dtb -O dts OUT.dtb
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include <avps/err.h>
#include <avps/fdt.h>

#define DEMO_FDT_SIZE 4096
#define DEMO_SLOTS 4u
#define DEMO_MMIO_BASE 0x0a000000u
#define DEMO_MMIO_STRIDE 0x200u
#define DEMO_SPI_BASE 16u
#define GIC_PHANDLE 1u
#define GIC_SPI 0u
#define IRQ_TYPE_LEVEL_HIGH 4u

/* The caller-owned blob; libfdt wants it 8-byte aligned. */
static _Alignas(8) unsigned char demo_fdt[DEMO_FDT_SIZE];

#define TRY(expr)                                                         \
    do {                                                                  \
        int try_rc_ = (expr);                                             \
        if (try_rc_ < 0) {                                                \
            fprintf(stderr, "%s: %s\n", #expr, fdt_strerror(try_rc_));    \
            return -1;                                                    \
        }                                                                 \
    } while (0)

static int setprop_str(void *fdt, int node, const char *name, const char *s)
{
    return fdt_setprop(fdt, node, name, s, (int)(strlen(s) + 1u));
}

/* <hi lo> pairs for #address-cells = #size-cells = 2. */
static int setprop_reg2(void *fdt, int node, const uint64_t *v, size_t n)
{
    fdt32_t cells[8];
    size_t i;

    if (n > 4u)
        return -FDT_ERR_BADVALUE;
    for (i = 0; i < n; i++) {
        cells[2u * i] = cpu_to_fdt32((uint32_t)(v[i] >> 32));
        cells[2u * i + 1u] = cpu_to_fdt32((uint32_t)v[i]);
    }
    return fdt_setprop(fdt, node, "reg", cells, (int)(n * 2u * sizeof cells[0]));
}

static int build_base(void *fdt)
{
    static const uint64_t mem_reg[] = {0x40000000u, 0x08000000u};
    static const uint64_t gic_reg[] = {0x08000000u, 0x10000u,   /* distributor */
                                       0x080a0000u, 0xf60000u}; /* redistributors */
    int node;

    TRY(fdt_create_empty_tree(fdt, DEMO_FDT_SIZE));
    TRY(fdt_setprop_u32(fdt, 0, "#address-cells", 2u));
    TRY(fdt_setprop_u32(fdt, 0, "#size-cells", 2u));
    TRY(setprop_str(fdt, 0, "compatible", "linux,dummy-virt"));
    TRY(setprop_str(fdt, 0, "model", "libavps fdt demo"));
    TRY(fdt_setprop_u32(fdt, 0, "interrupt-parent", GIC_PHANDLE));

    TRY(node = fdt_add_subnode(fdt, 0, "intc@8000000"));
    TRY(setprop_str(fdt, node, "compatible", "arm,gic-v3"));
    TRY(fdt_setprop_u32(fdt, node, "#interrupt-cells", 3u));
    TRY(fdt_setprop_u32(fdt, node, "#address-cells", 0u)); /* no interrupt-map children */
    TRY(fdt_setprop_empty(fdt, node, "interrupt-controller"));
    TRY(setprop_reg2(fdt, node, gic_reg, 4u));
    TRY(fdt_setprop_u32(fdt, node, "phandle", GIC_PHANDLE));

    TRY(node = fdt_add_subnode(fdt, 0, "memory@40000000"));
    TRY(setprop_str(fdt, node, "device_type", "memory"));
    TRY(setprop_reg2(fdt, node, mem_reg, 2u));
    return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL) {
        perror(path);
        return -1;
    }
    if (fwrite(data, 1, len, f) != len) {
        perror(path);
        (void)fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t irq[DEMO_SLOTS][3];
    struct avps_fdt_mmio devs[DEMO_SLOTS];
    unsigned int i;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.dtb\n", argv[0]);
        return 2;
    }
    if (build_base(demo_fdt) != 0)
        return 1;

    /* Four slots, as a VMM would lay them out: one register window and one
     * SPI each; the first device sits behind a coherent interconnect. */
    memset(devs, 0, sizeof devs);
    for (i = 0; i < DEMO_SLOTS; i++) {
        irq[i][0] = GIC_SPI;
        irq[i][1] = DEMO_SPI_BASE + i;
        irq[i][2] = IRQ_TYPE_LEVEL_HIGH;
        devs[i].base = DEMO_MMIO_BASE + (uint64_t)i * DEMO_MMIO_STRIDE;
        devs[i].size = DEMO_MMIO_STRIDE;
        devs[i].interrupts = irq[i];
        devs[i].num_interrupt_cells = 3u;
        devs[i].interrupt_parent = 0u; /* inherit the root's <GIC_PHANDLE> */
        devs[i].dma_coherent = i == 0u;
    }
    rc = avps_fdt_add_virtio_mmio_n(demo_fdt, 0, devs, DEMO_SLOTS);
    if (rc < 0) {
        fprintf(stderr, "avps_fdt_add_virtio_mmio_n: %s\n", avps_strerror(rc));
        return 1;
    }
    for (i = 0; i < DEMO_SLOTS; i++)
        printf("added /virtio_mmio@%llx: reg 0x%llx+0x%llx, interrupts <%u %u %u>%s\n",
               (unsigned long long)devs[i].base, (unsigned long long)devs[i].base,
               (unsigned long long)devs[i].size, irq[i][0], irq[i][1], irq[i][2],
               devs[i].dma_coherent ? ", dma-coherent" : "");

    rc = fdt_pack(demo_fdt);
    if (rc < 0) {
        fprintf(stderr, "fdt_pack: %s\n", fdt_strerror(rc));
        return 1;
    }
    if (write_file(argv[1], demo_fdt, fdt_totalsize(demo_fdt)) != 0)
        return 1;
    printf("wrote %s (%u bytes, %d virtio-mmio nodes)\n", argv[1], fdt_totalsize(demo_fdt),
           (int)DEMO_SLOTS);
    return 0;
}

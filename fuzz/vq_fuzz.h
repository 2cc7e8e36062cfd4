/* Guest layout shared by the ring harness and its seed generator: the same
 * placement tests/support/ringdrv uses (rings from 0, each area aligned). */
#ifndef AVPS_VQ_FUZZ_H
#define AVPS_VQ_FUZZ_H

#include <stdint.h>

#define FUZZ_MEM 0x2000u  /* 8 KiB of guest RAM: [0, 4K) + [4K, 8K) */
#define FUZZ_HEAP 0x0800u /* buffers and indirect tables; crosses 0x1000 */
#define FUZZ_MAX_Q 64u

static inline void fuzz_layout(uint16_t size, int packed, uint64_t *desc, uint64_t *drv,
                               uint64_t *dev)
{
    uint64_t p = 16u * (uint64_t)size;

    *desc = 0;
    if (packed) {
        *drv = (p + 3u) & ~3ull;
        *dev = *drv + 4u;
    } else {
        *drv = (p + 1u) & ~1ull;
        *dev = (*drv + 6u + 2u * (uint64_t)size + 3u) & ~3ull;
    }
}

/* Queue sizes the first input byte selects (split takes the low 3 bits). */
static const uint16_t fuzz_sizes[16] = {1, 2, 4, 8, 16, 32, 64, 3, 5, 6, 7, 12, 48, 63, 33, 9};

#endif

/*
 * libFuzzer harness for the device-side ring walkers (STYLE.md rule 19).
 * Built twice: FUZZ_PACKED=0 (split walker) and FUZZ_PACKED=1 (packed walker).
 *
 * The input is both guest memory and the choice of API calls:
 *   byte 0      queue size selector; bit 7: the port offers translation windows
 *   byte 1      feature selector (INDIRECT, EVENT_IDX, IN_ORDER, NOTIFICATION_DATA)
 *   byte 2      segment array size (0..63) and port faults
 *   byte 3      P, the length of the program that follows
 *   P bytes     a program of operations; each op byte may take operand bytes
 *   the rest    guest RAM from address 0 (missing bytes are zero)
 * Guest RAM is two adjacent 4 KiB regions so ranges cross a boundary. The rings
 * live at fixed addresses; everything in RAM is the attacker's. fuzz/gen_seeds.c
 * writes seeds whose RAM holds valid rings built by the test driver.
 *
 * Op 2 takes a batch with avps_vq_pop_n() (its operand: how many).
 *
 * Checked on every step (beyond ASan/UBSan): every segment lies inside guest
 * RAM; readable segments come before writable ones and add up to the totals;
 * in-flight counts never pass the queue size; a broken queue stays broken
 * until reset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avps/err.h>
#include <avps/virtio/features.h>
#include <avps/virtqueue.h>

#include "avps_posix.h"

#ifndef FUZZ_PACKED
#define FUZZ_PACKED 0
#endif

#include "vq_fuzz.h"

static void check_(int cond)
{
    if (!cond)
        __builtin_trap();
}

static int in_ram_(const struct avps_posix_guest *g, const void *p, uint32_t len)
{
    for (unsigned int i = 0; i < g->nregions; i++) {
        const uint8_t *b = g->region[i].mem;

        if ((const uint8_t *)p >= b && (const uint8_t *)p + len <= b + g->region[i].size)
            return 1;
    }
    return 0;
}

static void check_req_(const struct avps_posix_guest *g, const struct avps_vq_req *req)
{
    uint64_t rd = 0, wr = 0;

    check_((uint32_t)req->n_rd + req->n_wr <= req->seg_max);
    for (unsigned int i = 0; i < (unsigned int)req->n_rd + req->n_wr; i++) {
        check_(req->seg[i].len > 0);
        check_(in_ram_(g, req->seg[i].base, req->seg[i].len));
        if (i < req->n_rd)
            rd += req->seg[i].len;
        else
            wr += req->seg[i].len;
    }
    check_(rd == req->rd_len && wr == req->wr_len);
    check_(rd + wr <= UINT32_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avps_posix_guest g;
    struct avps_vq vq;
    struct avps_vq_slot slots[FUZZ_MAX_Q];
    struct avps_vq_seg seg[64];
    struct avps_vq_req req;
    struct avps_vq_cfg cfg;
    struct avps_vq_ring ring;
    uint16_t inflight[FUZZ_MAX_Q];
    unsigned int ninflight = 0;
    size_t pc, end, prog;
    int budget = 256;

    if (size < 4)
        return 0;
    prog = data[3];
    end = 4u + prog < size ? 4u + prog : size;
    avps_posix_init(&g);
    if (avps_posix_add_region(&g, 0, FUZZ_MEM / 2) != 0 ||
        avps_posix_add_region(&g, FUZZ_MEM / 2, FUZZ_MEM / 2) != 0) {
        avps_posix_fini(&g);
        return 0;
    }
    for (size_t i = end; i < size && i - end < FUZZ_MEM; i++)
        *(uint8_t *)avps_posix_ptr(&g, i - end, 1) = data[i];
    if (data[2] & 0x40)
        g.max_span = 1u + (data[2] & 7u);
    if (data[2] & 0x80)
        avps_posix_set_unmap(&g, true);
    else if (data[0] & 0x80)
        avps_posix_set_window(&g, true); /* translation windows: the one-pass paths */

    memset(&cfg, 0, sizeof cfg);
    cfg.slots = slots;
    cfg.num_slots = FUZZ_MAX_Q;
    cfg.index = 1;
    cfg.vector = 2;
    if (avps_vq_init(&vq, &g.host, &cfg) != AVPS_OK)
        __builtin_trap();

    memset(&ring, 0, sizeof ring);
    ring.size = FUZZ_PACKED ? fuzz_sizes[data[0] & 15u] : fuzz_sizes[data[0] & 7u];
    fuzz_layout(ring.size, FUZZ_PACKED, &ring.desc, &ring.driver, &ring.device);
    ring.features = AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_VERSION_1);
    if (FUZZ_PACKED)
        ring.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_RING_PACKED);
    if (data[1] & 1)
        ring.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_INDIRECT_DESC);
    if (data[1] & 2)
        ring.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_EVENT_IDX);
    if (data[1] & 4)
        ring.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_IN_ORDER);
    if (data[1] & 8)
        ring.features |= AVPS_VIRTIO_BIT(AVPS_VIRTIO_F_NOTIFICATION_DATA);
    if (avps_vq_enable(&vq, &ring) != AVPS_OK) {
        avps_posix_fini(&g);
        return 0;
    }
    memset(&req, 0, sizeof req);
    req.seg = seg;
    req.seg_max = (uint16_t)(data[2] & 63u);

    for (pc = 4; pc < end && budget-- > 0; pc++) {
        const uint8_t op = data[pc];
        const uint8_t arg = pc + 1 < end ? data[pc + 1] : 0;
        int r;

        switch (op % 10u) {
        case 2: { /* pop_n: a batch of 1..8 chains, each request with up to 8 segments */
            struct avps_vq_seg bseg[8][8];
            struct avps_vq_req breq[8];
            const unsigned int n = (arg & 7u) + 1u;

            for (unsigned int i = 0; i < 8; i++) {
                memset(&breq[i], 0, sizeof breq[i]);
                breq[i].seg = bseg[i];
                breq[i].seg_max = req.seg_max < 8u ? req.seg_max : 8u;
            }
            r = avps_vq_pop_n(&vq, breq, n);
            check_(r >= 0 ? (unsigned int)r <= n
                          : (r == AVPS_E_NOSPC || r == AVPS_E_STATE || AVPS_ERR_IS_GUEST(r)));
            for (int i = 0; i < r; i++) {
                check_req_(&g, &breq[i]);
                check_(ninflight < FUZZ_MAX_Q);
                inflight[ninflight++] = breq[i].id;
            }
            if (r < 0 && r != AVPS_E_NOSPC && r != AVPS_E_STATE)
                check_(avps_vq_is_broken(&vq));
            pc++;
            break;
        }
        case 0: case 1: /* pop */
            r = avps_vq_pop(&vq, &req);
            check_(r == 1 || r == 0 || r == AVPS_E_NOSPC || r == AVPS_E_STATE ||
                   AVPS_ERR_IS_GUEST(r));
            if (r == 1) {
                check_req_(&g, &req);
                check_(ninflight < FUZZ_MAX_Q);
                inflight[ninflight++] = req.id;
                if (arg & 1) { /* touch every byte, as a device would */
                    uint8_t tmp[64];

                    (void)avps_vq_req_read(&req, 0, tmp, sizeof tmp);
                    (void)avps_vq_req_write(&vq, &req, arg, tmp, sizeof tmp);
                }
            }
            if (r < 0 && r != AVPS_E_NOSPC && r != AVPS_E_STATE)
                check_(avps_vq_is_broken(&vq));
            break;
        case 3: /* push the oldest or a chosen in-flight buffer */
            if (ninflight > 0) {
                unsigned int k = (vq.in_order || !(arg & 1)) ? 0u : arg % ninflight;
                uint32_t len = (uint32_t)arg * 3u;

                r = avps_vq_push(&vq, inflight[k], len);
                if (r == AVPS_E_INVAL)
                    r = avps_vq_push(&vq, inflight[k], 0);
                if (r == AVPS_OK) {
                    memmove(&inflight[k], &inflight[k + 1],
                            (ninflight - k - 1) * sizeof inflight[0]);
                    ninflight--;
                }
                pc++;
            }
            break;
        case 4:
            (void)avps_vq_notify(&vq);
            break;
        case 5:
            (void)((arg & 1) ? avps_vq_kick_enable(&vq) : avps_vq_kick_disable(&vq));
            pc++;
            break;
        case 6: /* the hostile driver rewrites a byte of RAM between calls */
            if (pc + 2 < end) {
                uint16_t at = (uint16_t)((arg | (data[pc + 2] << 8)) % FUZZ_MEM);

                *(uint8_t *)avps_posix_ptr(&g, at, 1) = op;
                pc += 2;
            }
            break;
        case 7:
            if (pc + 4 < end) {
                uint32_t v = (uint32_t)data[pc + 1] | ((uint32_t)data[pc + 2] << 8) |
                             ((uint32_t)data[pc + 3] << 16) | ((uint32_t)data[pc + 4] << 24);

                (void)avps_vq_notify_data(&vq, v);
                pc += 4;
            }
            break;
        case 8: { /* skip */
            uint16_t id;

            r = avps_vq_skip(&vq, &id);
            if (r == 1) {
                check_(ninflight < FUZZ_MAX_Q);
                inflight[ninflight++] = id;
            }
            break;
        }
        default: { /* save, reset, enable, restore: state must carry over */
            struct avps_vq_state st;

            if (avps_vq_save(&vq, &st) == AVPS_OK && !avps_vq_is_broken(&vq)) {
                struct avps_vq_slot keep[FUZZ_MAX_Q];

                memcpy(keep, slots, sizeof keep);
                avps_vq_reset(&vq);
                if (avps_vq_enable(&vq, &ring) == AVPS_OK) {
                    memcpy(slots, keep, sizeof keep);
                    check_(avps_vq_restore(&vq, &st) == AVPS_OK);
                } else {
                    ninflight = 0;
                }
            } else if (arg & 1) {
                avps_vq_reset(&vq);
                ninflight = 0;
                (void)avps_vq_enable(&vq, &ring);
            }
            break;
        }
        }
        check_(vq.inflight <= vq.size || !vq.enabled);
    }
    avps_vq_reset(&vq);
    avps_posix_fini(&g);
    return 0;
}

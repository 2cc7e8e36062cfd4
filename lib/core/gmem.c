/*
 * The guest-memory choke point (STYLE rule 10): the only code in libavps that
 * calls the port's map. It refuses empty, oversized and wrapping ranges before
 * asking, and distrusts the answer.
 */
#include "core_priv.h"

int avps_gmem_span_(const struct avps_host *h, uint64_t gpa, uint64_t len,
                    unsigned int access, struct avps_span *out)
{
    void *hva = NULL;
    uint64_t span = 0;

    if ((len == 0u) || (len > (uint64_t)AVPS_CONFIG_MAX_SEG_LEN) || (gpa > (UINT64_MAX - len))) {
        return AVPS_E_GUEST_RANGE;
    }
    if (h->ops->map(h->ctx, gpa, len, access, &hva, &span) != 0) {
        return AVPS_E_GUEST_RANGE;
    }
    if ((hva == NULL) || (span == 0u) || (span > len)) {
        /* A broken port: never use the pointer, but give back what it
         * mapped when it said it mapped something (an over-long span
         * included: a Xen-style port would leak one mapping per refusal). */
        if ((hva != NULL) && (span != 0u)) {
            avps_gmem_unmap_(h, hva, span);
        }
        avps_report_(h, AVPS_EV_PORT_BAD_MAP, 0u, span, gpa);
        return AVPS_E_GUEST_RANGE;
    }
    out->hva = hva;
    out->len = span;
    return AVPS_OK;
}

int avps_gmem_map_whole_(const struct avps_host *h, uint64_t gpa, uint64_t len,
                         unsigned int access, void **hva)
{
    struct avps_span s;
    int err = avps_gmem_span_(h, gpa, len, access, &s);

    if (err != AVPS_OK) {
        return err;
    }
    if (s.len != len) {
        avps_gmem_unmap_(h, s.hva, s.len);
        return AVPS_E_GUEST_RANGE;
    }
    *hva = s.hva;
    return AVPS_OK;
}

int avps_gmem_read_(const struct avps_host *h, uint64_t gpa, void *buf,
                    uint64_t len, unsigned int access)
{
    uint8_t *dst = (uint8_t *)buf;
    uint64_t done = 0;

    /* Each pass translates at least one byte, so at most len passes. */
    while (done < len) {
        struct avps_span s;
        int err = avps_gmem_span_(h, gpa + done, len - done, access | AVPS_ACCESS_READ, &s);

        if (err != AVPS_OK) {
            return err;
        }
        avps_cache_inval_(h, s.hva, s.len);
        avps_shm_copy_in_(&dst[done], s.hva, (size_t)s.len);
        avps_gmem_unmap_(h, s.hva, s.len);
        done += s.len;
    }
    return AVPS_OK;
}

void avps_gmem_unmap_(const struct avps_host *h, void *hva, uint64_t len)
{
    if (h->ops->unmap != NULL) {
        h->ops->unmap(h->ctx, hva, len);
    }
}

int avps_gmem_window_(const struct avps_host *h, uint64_t gpa, unsigned int access,
                      struct avps_window *w)
{
    uint64_t addr = 0;
    uint64_t len = 0;
    void *hva = NULL;

    if (h->ops->window(h->ctx, gpa, access, &addr, &len, &hva) != 0) {
        return AVPS_E_GUEST_RANGE;
    }
    if ((hva == NULL) || (len == 0u) || (addr > (UINT64_MAX - (len - 1u))) ||
        (len > (uint64_t)UINTPTR_MAX) || (gpa < addr) || ((gpa - addr) >= len)) {
        avps_report_(h, AVPS_EV_PORT_BAD_MAP, 0u, len, gpa);
        return AVPS_E_GUEST_RANGE;
    }
    w->addr = addr;
    w->len = len;
    w->hva = (uint8_t *)hva;
    return AVPS_OK;
}

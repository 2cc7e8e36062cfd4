/**
 * @file virtio/types.h
 * @brief Distinct little-endian wire types and the layout assert macro.
 *
 * All VIRTIO 1.x structures are little-endian (VIRTIO 1.2 §1.4). Each wire
 * value is wrapped in a one-member struct so the compiler refuses any use that
 * skips the conversion helpers below. Never read the .le member directly.
 */
#ifndef AVPS_VIRTIO_TYPES_H
#define AVPS_VIRTIO_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup wire Wire formats
 * @{ */

/** Compile-time assertion usable at file scope (C11, C++11). */
#if defined(__cplusplus)
#define AVPS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define AVPS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/** Little-endian 16-bit wire value. */
typedef struct { uint16_t le; /**< Raw bits; use avps_from_le16(). */ } avps_le16;
/** Little-endian 32-bit wire value. */
typedef struct { uint32_t le; /**< Raw bits; use avps_from_le32(). */ } avps_le32;
/** Little-endian 64-bit wire value. */
typedef struct { uint64_t le; /**< Raw bits; use avps_from_le64(). */ } avps_le64;

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AVPS_HOST_LE 1 /**< 1 on little-endian hosts: conversions are identities. */
#else
#define AVPS_HOST_LE 0 /**< 0: conversions go byte by byte. */
#endif

/** Convert a raw little-endian 16-bit pattern to host order. */
static inline uint16_t avps_le16_raw_to_cpu(uint16_t raw)
{
#if AVPS_HOST_LE
    return raw;
#else
    const uint8_t *b = (const uint8_t *)&raw;
    return (uint16_t)((unsigned)b[0] | ((unsigned)b[1] << 8));
#endif
}

/** Convert a host 16-bit value to its raw little-endian pattern. */
static inline uint16_t avps_cpu_to_le16_raw(uint16_t v)
{
#if AVPS_HOST_LE
    return v;
#else
    uint16_t raw;
    uint8_t *b = (uint8_t *)&raw;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    return raw;
#endif
}

/** Convert a raw little-endian 32-bit pattern to host order. */
static inline uint32_t avps_le32_raw_to_cpu(uint32_t raw)
{
#if AVPS_HOST_LE
    return raw;
#else
    const uint8_t *b = (const uint8_t *)&raw;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
#endif
}

/** Convert a host 32-bit value to its raw little-endian pattern. */
static inline uint32_t avps_cpu_to_le32_raw(uint32_t v)
{
#if AVPS_HOST_LE
    return v;
#else
    return avps_le32_raw_to_cpu(v); /* byte reversal is its own inverse */
#endif
}

/** Convert a raw little-endian 64-bit pattern to host order. */
static inline uint64_t avps_le64_raw_to_cpu(uint64_t raw)
{
#if AVPS_HOST_LE
    return raw;
#else
    const uint8_t *b = (const uint8_t *)&raw;
    uint64_t v = 0;
    for (unsigned int i = 0u; i < 8u; i++) {
        v = (v << 8) | b[7u - i];
    }
    return v;
#endif
}

/** Read a 16-bit wire value. */
static inline uint16_t avps_from_le16(avps_le16 v) { return avps_le16_raw_to_cpu(v.le); }
/** Read a 32-bit wire value. */
static inline uint32_t avps_from_le32(avps_le32 v) { return avps_le32_raw_to_cpu(v.le); }
/** Read a 64-bit wire value. */
static inline uint64_t avps_from_le64(avps_le64 v) { return avps_le64_raw_to_cpu(v.le); }

/** Make a 16-bit wire value. */
static inline avps_le16 avps_to_le16(uint16_t v)
{
    avps_le16 r;
    r.le = avps_cpu_to_le16_raw(v);
    return r;
}
/** Make a 32-bit wire value. */
static inline avps_le32 avps_to_le32(uint32_t v)
{
    avps_le32 r;
    r.le = avps_cpu_to_le32_raw(v);
    return r;
}
/** Make a 64-bit wire value. */
static inline avps_le64 avps_to_le64(uint64_t v)
{
    avps_le64 r;
    r.le = avps_le64_raw_to_cpu(v); /* byte reversal is its own inverse */
    return r;
}

AVPS_STATIC_ASSERT(sizeof(avps_le16) == 2u, "le16 size");
AVPS_STATIC_ASSERT(sizeof(avps_le32) == 4u, "le32 size");
AVPS_STATIC_ASSERT(sizeof(avps_le64) == 8u, "le64 size");

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_TYPES_H */

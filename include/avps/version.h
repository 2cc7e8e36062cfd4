/**
 * @file version.h
 * @brief libavps version, as macros (the headers) and as a function (the library).
 */
#ifndef AVPS_VERSION_H
#define AVPS_VERSION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup version Version
 * @{ */

#define AVPS_VERSION_MAJOR 0u /**< Incompatible API or struct-layout change. */
#define AVPS_VERSION_MINOR 1u /**< Compatible additions. */
#define AVPS_VERSION_PATCH 0u /**< Fixes only. */

/** The version packed as one integer: major << 16 | minor << 8 | patch. */
#define AVPS_VERSION \
    ((AVPS_VERSION_MAJOR * 0x10000u) | (AVPS_VERSION_MINOR * 0x100u) | AVPS_VERSION_PATCH)

/**
 * @brief The version the library was built as.
 *
 * Compare with AVPS_VERSION to detect headers and library that do not match.
 * @return The packed version, in the form of AVPS_VERSION.
 * @par Context
 * Any thread, any context; calls nothing.
 */
uint32_t avps_version(void);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VERSION_H */

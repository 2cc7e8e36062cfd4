/**
 * @file virtio/blk.h
 * @brief virtio-blk wire formats (VIRTIO 1.2 §5.2): feature bits, request
 *        types and status values, the configuration layout, the request
 *        header, discard / write-zeroes / secure-erase ranges and the lifetime
 *        record. Written from the specification; all fields little-endian.
 */
#ifndef AVPS_VIRTIO_BLK_H
#define AVPS_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @addtogroup wire
 * @{ */

#define AVPS_VIRTIO_ID_BLK 2u /**< VIRTIO device ID of the block device (§5.2.1). */

/* Feature bits (§5.2.3). */
#define AVPS_VIRTIO_BLK_F_SIZE_MAX 1u      /**< size_max holds the largest segment. */
#define AVPS_VIRTIO_BLK_F_SEG_MAX 2u       /**< seg_max holds the most segments per request. */
#define AVPS_VIRTIO_BLK_F_GEOMETRY 4u      /**< geometry is valid. */
#define AVPS_VIRTIO_BLK_F_RO 5u            /**< The device is read-only. */
#define AVPS_VIRTIO_BLK_F_BLK_SIZE 6u      /**< blk_size is valid. */
#define AVPS_VIRTIO_BLK_F_FLUSH 9u         /**< VIRTIO_BLK_T_FLUSH is supported. */
#define AVPS_VIRTIO_BLK_F_TOPOLOGY 10u     /**< topology is valid. */
#define AVPS_VIRTIO_BLK_F_CONFIG_WCE 11u   /**< writeback can be toggled. */
#define AVPS_VIRTIO_BLK_F_MQ 12u           /**< num_queues request queues. */
#define AVPS_VIRTIO_BLK_F_DISCARD 13u      /**< VIRTIO_BLK_T_DISCARD is supported. */
#define AVPS_VIRTIO_BLK_F_WRITE_ZEROES 14u /**< VIRTIO_BLK_T_WRITE_ZEROES is supported. */
#define AVPS_VIRTIO_BLK_F_LIFETIME 15u     /**< VIRTIO_BLK_T_GET_LIFETIME is supported. */
#define AVPS_VIRTIO_BLK_F_SECURE_ERASE 16u /**< VIRTIO_BLK_T_SECURE_ERASE is supported. */
#define AVPS_VIRTIO_BLK_F_ZONED 17u        /**< Zoned block device (not implemented). */

/* Request types (§5.2.6). */
#define AVPS_VIRTIO_BLK_T_IN 0u            /**< Read. */
#define AVPS_VIRTIO_BLK_T_OUT 1u           /**< Write. */
#define AVPS_VIRTIO_BLK_T_FLUSH 4u         /**< Flush the write cache. */
#define AVPS_VIRTIO_BLK_T_GET_ID 8u        /**< Device ID string (20 bytes). */
#define AVPS_VIRTIO_BLK_T_GET_LIFETIME 10u /**< Lifetime record. */
#define AVPS_VIRTIO_BLK_T_DISCARD 11u      /**< Discard ranges. */
#define AVPS_VIRTIO_BLK_T_WRITE_ZEROES 13u /**< Write zeroes to ranges. */
#define AVPS_VIRTIO_BLK_T_SECURE_ERASE 14u /**< Securely erase ranges. */

/* Status byte values (§5.2.6). */
#define AVPS_VIRTIO_BLK_S_OK 0u     /**< Success. */
#define AVPS_VIRTIO_BLK_S_IOERR 1u  /**< Device or driver error. */
#define AVPS_VIRTIO_BLK_S_UNSUPP 2u /**< Request not supported. */

/** unmap flag of a write-zeroes range (bit 0 of flags). */
#define AVPS_VIRTIO_BLK_WZ_UNMAP 0x1u

/** Length of the GET_ID string. */
#define AVPS_VIRTIO_BLK_ID_BYTES 20u

/* pre_eol_info values (§5.2.6); others are reserved. */
#define AVPS_VIRTIO_BLK_PRE_EOL_INFO_UNDEFINED 0u /**< Not available. */
#define AVPS_VIRTIO_BLK_PRE_EOL_INFO_NORMAL 1u    /**< < 80 % of reserved blocks used. */
#define AVPS_VIRTIO_BLK_PRE_EOL_INFO_WARNING 2u   /**< 80 % used. */
#define AVPS_VIRTIO_BLK_PRE_EOL_INFO_URGENT 3u    /**< 90 % used. */
/** Largest device_lifetime_est_typ_a/b value (11: lifetime exceeded). */
#define AVPS_VIRTIO_BLK_LIFETIME_EST_MAX 11u

/** Device configuration layout (§5.2.4), zoned characteristics included. */
struct avps_virtio_blk_config {
    avps_le64 capacity;                      /**< 512-byte sectors. */
    avps_le32 size_max;                      /**< Largest segment (SIZE_MAX). */
    avps_le32 seg_max;                       /**< Most segments (SEG_MAX). */
    avps_le16 cylinders;                     /**< geometry.cylinders. */
    uint8_t heads;                           /**< geometry.heads. */
    uint8_t sectors;                         /**< geometry.sectors. */
    avps_le32 blk_size;                      /**< Optimal block size (BLK_SIZE). */
    uint8_t physical_block_exp;              /**< topology: log2 blocks per physical block. */
    uint8_t alignment_offset;                /**< topology: first aligned block. */
    avps_le16 min_io_size;                   /**< topology: suggested minimum I/O, blocks. */
    avps_le32 opt_io_size;                   /**< topology: optimal I/O, blocks. */
    uint8_t writeback;                       /**< Cache mode (CONFIG_WCE). */
    uint8_t unused0;                         /**< Padding, 0. */
    avps_le16 num_queues;                    /**< Request queues (MQ). */
    avps_le32 max_discard_sectors;           /**< DISCARD. */
    avps_le32 max_discard_seg;               /**< DISCARD. */
    avps_le32 discard_sector_alignment;      /**< DISCARD. */
    avps_le32 max_write_zeroes_sectors;      /**< WRITE_ZEROES. */
    avps_le32 max_write_zeroes_seg;          /**< WRITE_ZEROES. */
    uint8_t write_zeroes_may_unmap;          /**< WRITE_ZEROES. */
    uint8_t unused1[3];                      /**< Padding, 0. */
    avps_le32 max_secure_erase_sectors;      /**< SECURE_ERASE. */
    avps_le32 max_secure_erase_seg;          /**< SECURE_ERASE. */
    avps_le32 secure_erase_sector_alignment; /**< SECURE_ERASE. */
    avps_le32 zone_sectors;                  /**< ZONED (always 0 here). */
    avps_le32 max_open_zones;                /**< ZONED. */
    avps_le32 max_active_zones;              /**< ZONED. */
    avps_le32 max_append_sectors;            /**< ZONED. */
    avps_le32 write_granularity;             /**< ZONED. */
    uint8_t model;                           /**< ZONED. */
    uint8_t unused2[3];                      /**< Padding, 0. */
};

/** Request header: the first 16 device-readable bytes of every request. */
struct avps_virtio_blk_req_hdr {
    avps_le32 type;     /**< AVPS_VIRTIO_BLK_T_*. */
    avps_le32 reserved; /**< Formerly ioprio. */
    avps_le64 sector;   /**< Offset in 512-byte sectors (IN, OUT). */
};

/** One range of a discard, write-zeroes or secure-erase request. */
struct avps_virtio_blk_dwz {
    avps_le64 sector;      /**< First sector. */
    avps_le32 num_sectors; /**< Sectors in the range. */
    avps_le32 flags;       /**< AVPS_VIRTIO_BLK_WZ_UNMAP; other bits reserved. */
};

/** GET_LIFETIME data. */
struct avps_virtio_blk_lifetime {
    avps_le16 pre_eol_info;              /**< AVPS_VIRTIO_BLK_PRE_EOL_INFO_*. */
    avps_le16 device_lifetime_est_typ_a; /**< SLC wear, 0..11. */
    avps_le16 device_lifetime_est_typ_b; /**< MLC wear, 0..11. */
};

AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_blk_config) == 96u, "blk config size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, blk_size) == 20u, "blk_size");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, writeback) == 32u, "writeback");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, num_queues) == 34u, "num_queues");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, write_zeroes_may_unmap) == 56u,
                   "write_zeroes_may_unmap");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, max_secure_erase_sectors) == 60u,
                   "max_secure_erase_sectors");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_config, zone_sectors) == 72u, "zoned");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_blk_req_hdr) == 16u, "blk req header");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_req_hdr, sector) == 8u, "blk sector");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_blk_dwz) == 16u, "blk dwz range");
AVPS_STATIC_ASSERT((size_t)offsetof(struct avps_virtio_blk_dwz, flags) == 12u, "blk dwz flags");
AVPS_STATIC_ASSERT(sizeof(struct avps_virtio_blk_lifetime) == 6u, "blk lifetime");

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AVPS_VIRTIO_BLK_H */

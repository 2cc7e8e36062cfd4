/*
 * vhost-user wire format (QEMU docs/interop/vhost-user.rst), written from the
 * protocol description. Native byte order, packed layouts. Names carry our
 * AVPS_VU_ prefix so this header never collides with Linux or QEMU headers.
 */
#ifndef AVPS_VU_PROTO_H
#define AVPS_VU_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Front-end requests. */
enum avps_vu_req {
    AVPS_VU_GET_FEATURES = 1,
    AVPS_VU_SET_FEATURES = 2,
    AVPS_VU_SET_OWNER = 3,
    AVPS_VU_RESET_OWNER = 4,
    AVPS_VU_SET_MEM_TABLE = 5,
    AVPS_VU_SET_LOG_BASE = 6,
    AVPS_VU_SET_LOG_FD = 7,
    AVPS_VU_SET_VRING_NUM = 8,
    AVPS_VU_SET_VRING_ADDR = 9,
    AVPS_VU_SET_VRING_BASE = 10,
    AVPS_VU_GET_VRING_BASE = 11,
    AVPS_VU_SET_VRING_KICK = 12,
    AVPS_VU_SET_VRING_CALL = 13,
    AVPS_VU_SET_VRING_ERR = 14,
    AVPS_VU_GET_PROTOCOL_FEATURES = 15,
    AVPS_VU_SET_PROTOCOL_FEATURES = 16,
    AVPS_VU_GET_QUEUE_NUM = 17,
    AVPS_VU_SET_VRING_ENABLE = 18,
    AVPS_VU_SEND_RARP = 19,
    AVPS_VU_NET_SET_MTU = 20,
    AVPS_VU_SET_BACKEND_REQ_FD = 21,
    AVPS_VU_IOTLB_MSG = 22,
    AVPS_VU_SET_VRING_ENDIAN = 23,
    AVPS_VU_GET_CONFIG = 24,
    AVPS_VU_SET_CONFIG = 25,
    AVPS_VU_CREATE_CRYPTO_SESSION = 26,
    AVPS_VU_CLOSE_CRYPTO_SESSION = 27,
    AVPS_VU_POSTCOPY_ADVISE = 28,
    AVPS_VU_POSTCOPY_LISTEN = 29,
    AVPS_VU_POSTCOPY_END = 30,
    AVPS_VU_GET_INFLIGHT_FD = 31,
    AVPS_VU_SET_INFLIGHT_FD = 32,
    AVPS_VU_GPU_SET_SOCKET = 33,
    AVPS_VU_RESET_DEVICE = 34,
    AVPS_VU_VRING_KICK = 35,
    AVPS_VU_GET_MAX_MEM_SLOTS = 36,
    AVPS_VU_ADD_MEM_REG = 37,
    AVPS_VU_REM_MEM_REG = 38,
    AVPS_VU_SET_STATUS = 39,
    AVPS_VU_GET_STATUS = 40,
    AVPS_VU_REQ_MAX = 41
};

/* Back-end requests (on the back-end channel). */
#define AVPS_VU_BACKEND_CONFIG_CHANGE_MSG 2u

/* Header flags. */
#define AVPS_VU_VERSION 0x1u
#define AVPS_VU_VERSION_MASK 0x3u
#define AVPS_VU_REPLY 0x4u
#define AVPS_VU_NEED_REPLY 0x8u

/* Feature bits outside VIRTIO's device features. */
#define AVPS_VU_F_PROTOCOL_FEATURES 30u
#define AVPS_VU_F_LOG_ALL 26u

/* Protocol features. */
#define AVPS_VU_PF_MQ 0u
#define AVPS_VU_PF_LOG_SHMFD 1u
#define AVPS_VU_PF_REPLY_ACK 3u
#define AVPS_VU_PF_BACKEND_REQ 5u
#define AVPS_VU_PF_CONFIG 9u
#define AVPS_VU_PF_BACKEND_SEND_FD 10u
#define AVPS_VU_PF_INFLIGHT_SHMFD 12u
#define AVPS_VU_PF_RESET_DEVICE 13u
#define AVPS_VU_PF_INBAND_NOTIFICATIONS 14u
#define AVPS_VU_PF_CONFIGURE_MEM_SLOTS 15u
#define AVPS_VU_PF_STATUS 16u

#define AVPS_VU_MAX_FDS 8u          /* fds one message may carry */
#define AVPS_VU_MEM_TABLE_MAX 8u    /* regions in SET_MEM_TABLE */
#define AVPS_VU_VRING_IDX_MASK 0xffu
#define AVPS_VU_VRING_NOFD 0x100u
#define AVPS_VU_VRING_F_LOG 0x1u
#define AVPS_VU_CONFIG_MAX 256u     /* bytes of device configuration per message */
#define AVPS_VU_LOG_PAGE 0x1000u

struct avps_vu_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
} __attribute__((packed));

struct avps_vu_vring_state {
    uint32_t index;
    uint32_t num;
} __attribute__((packed));

struct avps_vu_vring_addr {
    uint32_t index;
    uint32_t flags;
    uint64_t desc;
    uint64_t used;
    uint64_t avail;
    uint64_t log;
} __attribute__((packed));

struct avps_vu_region {
    uint64_t gpa;
    uint64_t size;
    uint64_t uva;
    uint64_t mmap_offset;
} __attribute__((packed));

struct avps_vu_mem_table {
    uint32_t nregions;
    uint32_t padding;
    struct avps_vu_region region[AVPS_VU_MEM_TABLE_MAX];
} __attribute__((packed));

struct avps_vu_mem_reg {
    uint64_t padding;
    struct avps_vu_region region;
} __attribute__((packed));

struct avps_vu_log {
    uint64_t size;
    uint64_t offset;
} __attribute__((packed));

struct avps_vu_config {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t payload[AVPS_VU_CONFIG_MAX];
} __attribute__((packed));

/* QEMU and DPDK send this with the C struct's tail padding: 24 bytes, and
 * QEMU refuses a GET_INFLIGHT_FD reply of any other size. */
struct avps_vu_inflight {
    uint64_t mmap_size;
    uint64_t mmap_offset;
    uint16_t num_queues;
    uint16_t queue_size;
    uint32_t padding;
} __attribute__((packed));

union avps_vu_payload {
    uint64_t u64;
    struct avps_vu_vring_state state;
    struct avps_vu_vring_addr addr;
    struct avps_vu_mem_table mem;
    struct avps_vu_mem_reg reg;
    struct avps_vu_log log;
    struct avps_vu_config config;
    struct avps_vu_inflight inflight;
    uint8_t bytes[sizeof(struct avps_vu_mem_table) > sizeof(struct avps_vu_config)
                      ? sizeof(struct avps_vu_mem_table)
                      : sizeof(struct avps_vu_config)];
};

struct avps_vu_msg {
    struct avps_vu_hdr hdr;
    union avps_vu_payload p;
} __attribute__((packed));

_Static_assert(sizeof(struct avps_vu_hdr) == 12, "vhost-user header");
_Static_assert(sizeof(struct avps_vu_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct avps_vu_region) == 32, "region");
_Static_assert(sizeof(struct avps_vu_mem_table) == 8 + 8 * 32, "mem table");
_Static_assert(sizeof(struct avps_vu_mem_reg) == 40, "single region");
_Static_assert(sizeof(struct avps_vu_inflight) == 24, "inflight");

#endif /* AVPS_VU_PROTO_H */

/* virtio-mmio v2 transport (VIRTIO 1.2 §4.2.2): being written. */
#include "../devices/dev_priv.h"
typedef int avps_mmio_placeholder_;

/* virtio-pci modern transport (VIRTIO 1.2 §4.1): being written. */
#include "../devices/dev_priv.h"
typedef int avps_pci_placeholder_;

#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan, asserts on) and run each
# for SECONDS (default 60), one after another, on seeds their generators build
# with the spec-written test drivers (tests/support: ringdrv, mmiodrv, pcidrv):
#   vq_split, vq_packed  the ring walkers (fuzz/vq_fuzz.c, fuzz/gen_seeds.c)
#   vu                   vhost-user messages (fuzz/vu_fuzz.c, fuzz/gen_vu_seeds.c)
#   mmio                 virtio-mmio registers + rng (fuzz/mmio_fuzz.c, gen_mmio_seeds.c)
#   pci                  virtio-pci config space and BAR + rng (fuzz/pci_fuzz.c, gen_pci_seeds.c)
#   rng                  the rng request path through the device core (fuzz/rng_fuzz.c,
#                        gen_rng_seeds.c)
#   net                  virtio-net: transmit header, control queue and receive path
#                        against reference checks (fuzz/net_fuzz.c, gen_net_seeds.c)
#   fdt                  virtio-mmio device-tree nodes, libfdt (fuzz/fdt_fuzz.c, gen_fdt_seeds.c)
#   blk                  the virtio-blk request parser through the device core
#                        (fuzz/blk_fuzz.c, gen_blk_seeds.c)
#   scmi                 the SCMI dispatcher (every protocol) and the virtio-scmi request
#                        path (fuzz/scmi_fuzz.c, gen_scmi_seeds.c)
#   input                virtio-input eventq, statusq and config selects (fuzz/input_fuzz.c,
#                        gen_input_seeds.c)
#   console              virtio-console ports and the MULTIPORT control protocol
#                        (fuzz/console_fuzz.c, gen_console_seeds.c)
#   vsock                virtio-vsock tx packets and connection states (fuzz/vsock_fuzz.c,
#                        gen_vsock_seeds.c)
# Inputs under fuzz/crashes/<harness>/ (reproducers of fixed bugs) are run once
# each first, then join the seeds, together with the committed corpus
# fuzz/corpus/<harness>/ and the dictionary fuzz/dict/<harness>.dict (or the
# family's: vq.dict for vq_split and vq_packed). To refresh a corpus:
#   build-fuzz/NAME -merge=1 fuzz/corpus/NAME build-fuzz/work-NAME Only the first harness is built before
# fuzzing starts; the others build on the second core meanwhile.
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out"
# shellcheck disable=SC2054 # the commas are inside one flag
CFLAGS=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -Iinclude -Ilib -Iports/posix -Itests/support -Ifuzz)
GENFLAGS=(-std=c11 -O1 -Iinclude -Iports/posix -Itests/support -Ifuzz)
LIB=(lib/core/*.c lib/virtqueue/*.c ports/posix/posix_port.c)
RNG=(lib/devices/rng.c lib/devices/common/device.c)
BLK=(lib/devices/blk.c lib/devices/common/device.c)
status=0

# run NAME: replay fuzz/crashes/NAME, then fuzz for $secs seconds from the seeds.
run() {
  local name=$1 bin="$out/$1" seeds="$out/seeds-$1" work="$out/work-$1"
  local crashes=(fuzz/crashes/"$name"/*)

  mkdir -p "$work"
  echo "== $name: ${secs}s"
  if [ -e "${crashes[0]}" ]; then
    if ! "$bin" -runs=1 "${crashes[@]}" >"$out/$name-crashes.log" 2>&1; then
      tail -40 "$out/$name-crashes.log"
      echo "FUZZ FAILURE: $name (a reproducer under fuzz/crashes/$name fails again)"
      status=1
      return
    fi
    seeds="$seeds fuzz/crashes/$name"
  fi
  # The committed corpus (fuzz/corpus/NAME, minimised with -merge=1) and a
  # dictionary (fuzz/dict/NAME.dict, or the family's) when there is one.
  [ -d "fuzz/corpus/$name" ] && seeds="$seeds fuzz/corpus/$name"
  local dict=()
  if [ -f "fuzz/dict/$name.dict" ]; then dict=(-dict="fuzz/dict/$name.dict")
  elif [ -f "fuzz/dict/${name%%_*}.dict" ]; then dict=(-dict="fuzz/dict/${name%%_*}.dict"); fi
  # shellcheck disable=SC2086 # $seeds is one or more directories
  if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$name-" \
       "${dict[@]}" -print_final_stats=1 "$work" $seeds >"$out/$name.log" 2>&1; then
    tail -60 "$out/$name.log"
    echo "FUZZ FAILURE: $name (crash input: $(ls "$out/$name-"crash-* "$out/$name-"leak-* \
         "$out/$name-"timeout-* "$out/$name-"oom-* 2>/dev/null | head -1))"
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|cov:' "$out/$name.log" | tail -3 || true
}

# The ring walkers, split (packed=0) and packed (packed=1), and their seeds.
build_vq() {
  local packed=$1 name=vq_split
  [ "$packed" = 1 ] && name=vq_packed
  clang "${CFLAGS[@]}" -DFUZZ_PACKED="$packed" fuzz/vq_fuzz.c "${LIB[@]}" -o "$out/$name"
  mkdir -p "$out/seeds-$name"
  "$out/gen_seeds" "$packed" "$out/seeds-$name"
}

# The vhost-user message path (ports/vhost-user) through avps_vu_process(), with
# virtio-rng on a memfd guest; seeds are whole sessions from fuzz/gen_vu_seeds.c.
build_vu() {
  clang "${GENFLAGS[@]}" -Iports/vhost-user fuzz/gen_vu_seeds.c tests/support/ringdrv.c \
    "${LIB[@]}" -o "$out/gen_vu_seeds"
  clang "${CFLAGS[@]}" -Iports/vhost-user fuzz/vu_fuzz.c ports/vhost-user/vu_msg.c \
    ports/vhost-user/vu_backend.c ports/vhost-user/vu_inflight.c lib/core/*.c lib/virtqueue/*.c "${RNG[@]}" -o "$out/vu"
  mkdir -p "$out/seeds-vu"
  "$out/gen_vu_seeds" "$out/seeds-vu"
}

# The harnesses of the transports, the rng device and the device tree. Each
# transport harness checks every register access in its __wrap_ functions.
build_more() {
  clang "${GENFLAGS[@]}" fuzz/gen_mmio_seeds.c tests/support/ringdrv.c ports/posix/posix_port.c \
    -o "$out/gen_mmio_seeds"
  clang "${CFLAGS[@]}" -Wl,--wrap=avps_mmio_read,--wrap=avps_mmio_write fuzz/mmio_fuzz.c \
    lib/transport/mmio.c "${RNG[@]}" "${LIB[@]}" tests/support/mmiodrv.c tests/support/ringdrv.c \
    -o "$out/mmio"
  clang "${GENFLAGS[@]}" fuzz/gen_pci_seeds.c tests/support/ringdrv.c ports/posix/posix_port.c \
    -o "$out/gen_pci_seeds"
  clang "${CFLAGS[@]}" -Wl,--wrap=avps_pci_cfg_read,--wrap=avps_pci_cfg_write \
    -Wl,--wrap=avps_pci_bar_read,--wrap=avps_pci_bar_write fuzz/pci_fuzz.c lib/transport/pci.c \
    "${RNG[@]}" "${LIB[@]}" tests/support/pcidrv.c tests/support/ringdrv.c -o "$out/pci"
  clang "${GENFLAGS[@]}" fuzz/gen_rng_seeds.c -o "$out/gen_rng_seeds"
  clang "${CFLAGS[@]}" fuzz/rng_fuzz.c "${RNG[@]}" "${LIB[@]}" tests/support/ringdrv.c -o "$out/rng"
  clang "${GENFLAGS[@]}" fuzz/gen_net_seeds.c -o "$out/gen_net_seeds"
  clang "${CFLAGS[@]}" fuzz/net_fuzz.c lib/devices/net.c lib/devices/common/device.c "${LIB[@]}" \
    tests/support/ringdrv.c -o "$out/net"
  clang "${GENFLAGS[@]}" fuzz/gen_fdt_seeds.c -lfdt -o "$out/gen_fdt_seeds"
  clang "${CFLAGS[@]}" fuzz/fdt_fuzz.c lib/fdt/fdt.c -lfdt -o "$out/fdt"
  clang "${GENFLAGS[@]}" fuzz/gen_blk_seeds.c -o "$out/gen_blk_seeds"
  clang "${CFLAGS[@]}" fuzz/blk_fuzz.c "${BLK[@]}" "${LIB[@]}" tests/support/ringdrv.c -o "$out/blk"
  clang "${GENFLAGS[@]}" fuzz/gen_scmi_seeds.c -o "$out/gen_scmi_seeds"
  clang "${CFLAGS[@]}" fuzz/scmi_fuzz.c lib/scmi/*.c lib/devices/scmi.c lib/devices/common/device.c \
    "${LIB[@]}" tests/support/ringdrv.c -o "$out/scmi"
  clang "${GENFLAGS[@]}" fuzz/gen_input_seeds.c -o "$out/gen_input_seeds"
  clang "${CFLAGS[@]}" fuzz/input_fuzz.c lib/devices/input.c lib/devices/common/device.c \
    "${LIB[@]}" tests/support/ringdrv.c -o "$out/input"
  clang "${GENFLAGS[@]}" fuzz/gen_console_seeds.c -o "$out/gen_console_seeds"
  clang "${CFLAGS[@]}" fuzz/console_fuzz.c lib/devices/console.c lib/devices/common/device.c \
    "${LIB[@]}" tests/support/ringdrv.c -o "$out/console"
  clang "${GENFLAGS[@]}" fuzz/gen_vsock_seeds.c -o "$out/gen_vsock_seeds"
  clang "${CFLAGS[@]}" fuzz/vsock_fuzz.c lib/devices/vsock.c lib/devices/common/device.c \
    "${LIB[@]}" tests/support/ringdrv.c -o "$out/vsock"
  for name in mmio pci rng net fdt blk scmi input console vsock; do
    rm -rf "$out/seeds-$name"
    mkdir -p "$out/seeds-$name"
    "$out/gen_${name}_seeds" "$out/seeds-$name"
  done
}

# wait_build PID LOG WHAT: the background build must have worked.
wait_build() {
  if ! wait "$1"; then
    tail -40 "$2"
    echo "FUZZ FAILURE: building $3"
    exit 1
  fi
}

# The first harness is built here; the others build on the second core while
# the first ones run.
clang "${GENFLAGS[@]}" fuzz/gen_seeds.c tests/support/ringdrv.c "${LIB[@]}" -o "$out/gen_seeds"
build_vq 0
{ build_vq 1; build_vu; } >"$out/build-vq-vu.log" 2>&1 &
early=$!
build_more >"$out/build-more.log" 2>&1 &
more=$!

run vq_split
wait_build "$early" "$out/build-vq-vu.log" "vq_packed and vu"
run vq_packed
run vu
wait_build "$more" "$out/build-more.log" "the mmio, pci, rng, net, fdt, blk, scmi, input and console harnesses"
run mmio
run pci
run rng
run net
run fdt
run blk
run scmi
run input
run console
run vsock
exit $status

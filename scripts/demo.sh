#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: build libavps and its vhost-user
# daemon, boot unmodified Linux guests (Debian's kernel, under QEMU) whose own
# virtio drivers use libavps devices through avps-vhost-user, and print what
# each guest found and did. Then run the in-process engine demo.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
out="$top/build-demo"
jobs=$(nproc 2>/dev/null || echo 2)

echo "== preparing (apt packages, build, guest kernel and initramfs)"
bash scripts/deps.sh
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVPS_BUILD_TESTS=OFF >/dev/null
cmake --build "$out" -j"$jobs" >/dev/null
bash tests/guest/setup.sh >/dev/null

feature_names() { # features string, bit 0 first
  local f=$1 names="" bit
  declare -A known=([28]=INDIRECT_DESC [29]=EVENT_IDX [32]=VERSION_1 [33]=ACCESS_PLATFORM
                    [34]=RING_PACKED [35]=IN_ORDER [38]=NOTIFICATION_DATA [40]=RING_RESET)
  for bit in $(seq 0 $((${#f} - 1))); do
    [ "${f:$bit:1}" = 1 ] || continue
    names+="${known[$bit]:-bit$bit} "
  done
  echo "${names% }"
}

status=0
for spec in "q35 split" "q35 packed" "microvm split" "microvm packed"; do
  set -- $spec
  machine=$1 ring=$2
  log="$out/guest-$machine-$ring.log"
  bus=$([ "$machine" = q35 ] && echo "virtio-pci (QEMU q35)" || echo "virtio-mmio v2 (QEMU microvm)")
  echo
  echo "== Guest on $bus, $ring virtqueue, virtio-rng served by avps-vhost-user"
  if tests/guest/run.sh -q --log "$log" \
       --daemon "$out/avps-vhost-user -v --socket-path {socket} --device rng" \
       "$machine" "$ring" rng vhost-user >"$out/run-$machine-$ring.txt" 2>&1; then
    verdict="PASS"
  else
    verdict="FAIL"
    status=1
  fi
  boot=$(grep -m1 '^AVPS-BOOT' "$log" | awk '{print $2}' || true)
  dev=$(grep -m1 '^AVPS-DEV' "$log" || true)
  feats=$(sed -n 's/.*features=\([01]*\).*/\1/p' <<<"$dev")
  echo "  guest kernel:   Linux $boot (Debian), its own virtio_rng driver"
  if [ -n "$dev" ]; then
    echo "  guest found:    $(sed -n 's/^AVPS-DEV \([^ ]*\) device=\([^ ]*\) vendor=\([^ ]*\) driver=\([^ ]*\) transport=\([^ ]*\) parent=\([^ ]*\).*/\1: device id \2, vendor \3, bound to \4, on \5 at \6/p' <<<"$dev")"
    echo "  negotiated:     $(feature_names "$feats")"
  fi
  echo "  daemon saw:     $(grep -E 'features|queue 0 started' "$log.daemon" 2>/dev/null | sed 's/^rng0: //' | paste -sd ';' - | sed 's/;/; /g')"
  echo "  hw_random:      $(sed -n 's/^AVPS-INFO rng_current //p' "$log" | head -1)"
  while read -r _ _ i n hex; do
    echo "  guest read:     $n bytes from /dev/hwrng: ${hex:0:32}..."
  done < <(grep '^AVPS-DATA rng' "$log" || true)
  echo "  result:         $verdict ($(tail -1 "$out/run-$machine-$ring.txt"))"
done

echo
echo "== Guest on virtio-pci (QEMU q35), virtio-vsock served by avps-vhost-user (host side: Unix sockets)"
log="$out/guest-vsock.log"
if tests/guest/run.sh -q --log "$log" --timeout 150 \
     --daemon "$out/avps-vhost-user -v --socket-path {socket} --device vsock,guest-cid=3,uds={socket}.vsock" \
     --host "python3 $top/tests/guest/host/vsock-host.py {socket}.vsock" \
     q35 split vsock vhost-user >"$out/run-vsock.txt" 2>&1; then
  verdict="PASS"
else
  verdict="FAIL"
  status=1
fi
echo "  guest kernel:   Linux $(grep -m1 '^AVPS-BOOT' "$log" | awk '{print $2}' || true) (Debian), vsock + vmw_vsock_virtio_transport"
sed -n 's/^AVPS-RESULT \(vsock-[a-z-]*\) \(PASS\|FAIL\) */  \1: \2 /p' "$log" || true
echo "  result:         $verdict ($(tail -1 "$out/run-vsock.txt"))"

echo
echo "== In-process demo: a spec-written guest driver against the ring engines"
"$out/avps-vq-demo"
exit $status

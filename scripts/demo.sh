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

for spec in "q35 split" "microvm packed"; do
  set -- $spec
  machine=$1 ring=$2
  log="$out/guest-net-$machine-$ring.log"
  bus=$([ "$machine" = q35 ] && echo "virtio-pci (QEMU q35)" || echo "virtio-mmio v2 (QEMU microvm)")
  echo
  echo "== Guest on $bus, $ring virtqueue, virtio-net served by avps-vhost-user on a TAP device"
  if tests/guest/run.sh -q --log "$log" \
       --daemon "ip netns exec {netns} $out/avps-vhost-user -v --socket-path {socket} --device net,tap={tap},num-queues={netq}" \
       "$machine" "$ring" net vhost-user >"$out/run-net-$machine-$ring.txt" 2>&1; then
    verdict="PASS"
  else
    verdict="FAIL"
    status=1
  fi
  echo "  guest kernel:   Linux $(grep -m1 '^AVPS-BOOT' "$log" | awk '{print $2}' || true) (Debian), its own virtio_net driver"
  echo "  daemon saw:     $(grep -E 'features|TAP|link' "$log.daemon" 2>/dev/null | sed 's/^net0: //' | paste -sd ';' - | sed 's/;/; /g')"
  echo "  guest checks:   $(sed -n 's/^AVPS-RESULT \(net-[a-z-]*\) \([A-Z]*\).*/\1 \2/p' "$log" | paste -sd ',' - | sed 's/,/, /g')"
  echo "  result:         $verdict ($(tail -1 "$out/run-net-$machine-$ring.txt"))"
done

# virtio-input: QEMU 7.2's vhost-user-input needs KVM ("vhost initialization
# failed: requires kvm"); QEMU 10 from bookworm-backports, unpacked privately by
# tests/guest/qemu10.sh, runs it under TCG.
q10="$(bash tests/guest/qemu10.sh 2>/dev/null | tail -1 || true)"
for spec in "q35 split" "q35 packed" "microvm split" "microvm packed"; do
  set -- $spec
  machine=$1 ring=$2
  log="$out/guest-input-$machine-$ring.log"
  bus=$([ "$machine" = q35 ] && echo "virtio-pci (QEMU 10 q35)" || echo "virtio-mmio v2 (QEMU 10 microvm)")
  echo
  echo "== Guest on $bus, $ring virtqueue, virtio-input served by avps-vhost-user"
  if [ -n "$q10" ] && AVPS_QEMU="$q10" tests/guest/run.sh -q --log "$log" \
       --daemon "$out/avps-vhost-user -v --socket-path {socket} --device input,socket={dir}/events,packed={packed}" \
       --host-cmd "python3 $top/tests/guest/input-host.py {dir}/events" \
       "$machine" "$ring" input vhost-user >"$out/run-input-$machine-$ring.txt" 2>&1; then
    verdict="PASS"
  else
    verdict="FAIL"
    status=1
  fi
  echo "  guest evdev:    $(sed -n 's/^AVPS-INFO evdev-name //p' "$log" 2>/dev/null | head -1), ids $(sed -n 's/^AVPS-INFO evdev-id //p' "$log" 2>/dev/null | head -1)"
  echo "  statusq:        $(grep -m1 'got status' "$log.host" 2>/dev/null | sed 's/^input-host: got //') (LED CAPSL from the guest, seen by the host)"
  echo "  guest read:     $(grep '^AVPS-EV ' "$log" 2>/dev/null | grep -v '^AVPS-EV 17 ' | cut -d' ' -f2- | paste -sd ',' - | sed 's/,/, /g')"
  echo "  result:         $verdict ($(tail -1 "$out/run-input-$machine-$ring.txt" 2>/dev/null || echo 'QEMU 10 not available'))"
done

echo
for spec in "q35 split" "microvm packed"; do
  set -- $spec
  machine=$1 ring=$2
  log="$out/guest-blk-$machine-$ring.log"
  bus=$([ "$machine" = q35 ] && echo "virtio-pci (QEMU q35)" || echo "virtio-mmio v2 (QEMU microvm)")
  echo
  echo "== Guest on $bus, $ring virtqueue, virtio-blk on an 8 MiB image served by avps-vhost-user"
  if tests/guest/run.sh --log "$log" --image-size 8388608 --append avps.blk_serial=avps-demo \
       --daemon "$out/avps-vhost-user -v --socket-path {socket} --device blk,image={image},serial=avps-demo" \
       "$machine" "$ring" blk vhost-user >"$out/run-blk-$machine-$ring.txt" 2>&1; then
    verdict="PASS"
  else
    verdict="FAIL"
    status=1
  fi
  dev=$(grep -m1 '^AVPS-DEV' "$log" || true)
  feats=$(sed -n 's/.*features=\([01]*\).*/\1/p' <<<"$dev")
  echo "  guest found:    $(sed -n 's/^AVPS-INFO blk-sectors \([0-9]*\) ro \([01]\) cache \(.*\) serial \(.*\)/\1 sectors, ro=\2, cache \3, serial \4/p' "$log" | head -1)"
  echo "  negotiated:     $(feature_names "$feats")"
  echo "  daemon:         $(grep -m1 'I/O' "$log.daemon" 2>/dev/null | sed 's/^blk0: //')"
  echo "  guest did:      $(grep -oE 'blk-(write|readback|discard|write-zeroes|flush) (PASS|FAIL)' "$out/run-blk-$machine-$ring.txt" | paste -sd ',' - | sed 's/,/, /g')"
  echo "  host checked:   $(grep -oE 'host-sum-[a-z]+ (PASS|FAIL)' "$out/run-blk-$machine-$ring.txt" | paste -sd ',' - | sed 's/,/, /g') (guest md5 = image md5)"
  echo "  result:         $verdict ($(tail -1 "$out/run-blk-$machine-$ring.txt"))"
done

# The daemon killed (SIGKILL) in the middle of the guest's writes and started
# again: QEMU reconnects, the requests in flight come back from the inflight
# region, and nothing the guest was told is written may be missing.
log="$out/guest-blk-crash.log"
echo
echo "== Guest on virtio-pci (QEMU q35), split virtqueue, virtio-blk; the daemon is killed mid-write and restarted"
if tests/guest/run.sh --log "$log" --image-size 16777216 --chaos daemon --timeout 90 \
     --daemon "$out/avps-vhost-user -v --socket-path {socket} --device blk,image={image},latency-ms=300" \
     q35 split blk-crash vhost-user >"$out/run-blk-crash.txt" 2>&1; then
  verdict="PASS"
else
  verdict="FAIL"
  status=1
fi
echo "  chaos:          $(paste -sd ';' "$log.chaos" 2>/dev/null | sed 's/;/; /g')"
echo "  new daemon:     $(grep -o '[0-9]* buffer(s) in flight to resubmit' "$log.daemon" | sort -n | tail -1) (from the inflight region)"
echo "  guest did:      $(grep -oE 'blk-crash-writes (PASS|FAIL).*' "$out/run-blk-crash.txt" | head -1)"
echo "  compared:       $(grep -oE 'host-sum-crash (PASS|FAIL).*' "$out/run-blk-crash.txt" | head -1) (bytes lost: $(grep -q 'host-sum-crash PASS' "$out/run-blk-crash.txt" && echo 0 || echo 'see log'))"
echo "  result:         $verdict ($(tail -1 "$out/run-blk-crash.txt"))"
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

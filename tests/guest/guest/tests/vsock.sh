# Guest test "vsock": virtio-vsock through Linux's vsock and
# vmw_vsock_virtio_transport drivers, against avps-vhost-user's vsock device
# with tests/guest/host/vsock-host.py on the host side (run.sh --host).
# Sourced by /init (busybox sh); uses avps/result from there.
# Kernel command line: avps.vsock_bytes=N (bulk transfer size, default 4 MiB).

vs_dev=""
for d in /sys/bus/virtio/devices/*; do
  [ -e "$d" ] || continue
  name="${d##*/}"
  id="$(cat "$d/device" 2>/dev/null)"
  drv="$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
  real="$(readlink -f "$d")"
  parent="${real%/*}"
  ptrans="$(basename "$(readlink "$parent/driver" 2>/dev/null)" 2>/dev/null)"
  feat="$(cat "$d/features" 2>/dev/null)"
  avps "DEV $name device=$id vendor=$(cat "$d/vendor" 2>/dev/null) driver=${drv:-none} transport=${ptrans:-unknown} parent=${parent##*/} status=$(cat "$d/status" 2>/dev/null) features=${feat:-unknown}"
  [ "$id" = "0x0013" ] && [ -z "$vs_dev" ] && vs_dev="$name" && vs_drv="$drv"
done
[ -n "$vs_dev" ] && avps "INFO dut $vs_dev"
if [ -z "$vs_dev" ]; then
  result "vsock-present FAIL no virtio device with id 19"
elif [ "$vs_drv" != "vmw_vsock_virtio_transport" ]; then
  result "vsock-present FAIL $vs_dev bound to '${vs_drv:-nothing}'"
else
  result "vsock-present PASS"
fi

T=/avps/bin/vsock-tool
# check NAME CMD...: one result line from vsock-tool's "ok ..." / "fail ..." line
check() {
  n="$1"; shift
  out="$(timeout 150 "$T" "$@" 2>&1 | tail -n1)"
  case "$out" in
    ok*) result "$n PASS ${out#ok }" ;;
    *) result "$n FAIL ${out:-no output (timeout?)}" ;;
  esac
}

bytes="$(cmdline_arg avps.vsock_bytes)"
[ -n "$bytes" ] || bytes=4194304
# Host-initiated first: the host side retries CONNECT until we listen.
"$T" listen 6000 1048576 7 >/tmp/listen.out 2>&1 &
lpid=$!
check vsock-guest-connect-bulk echo 5001 "$bytes" 42
check vsock-seqpacket-boundaries seq 5002 200
check vsock-many-connections many 5001 32 65536
check vsock-refused refused 5009
check vsock-peer-reset peer-close 5003
i=0
while kill -0 "$lpid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill "$lpid" 2>/dev/null
out="$(tail -n1 /tmp/listen.out)"
case "$out" in
  ok*) result "vsock-host-connect PASS ${out#ok }" ;;
  *) result "vsock-host-connect FAIL ${out:-no output}" ;;
esac

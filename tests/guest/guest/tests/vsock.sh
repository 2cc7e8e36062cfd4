# Guest test "vsock": virtio-vsock through Linux's vsock and
# vmw_vsock_virtio_transport drivers, against avps-vhost-user's vsock device
# with tests/guest/host/vsock-host.py on the host side (run.sh --host).
# Sourced by /init (busybox sh); uses avps/result from there.
# Kernel command line: avps.vsock_bytes=N (bulk transfer size, default 4 MiB).

find_dev 0x0013
vs_dev="$dut_dev" vs_drv="$dut_drv"
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

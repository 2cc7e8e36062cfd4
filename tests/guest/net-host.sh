#!/usr/bin/env bash
# Host side of the net guest tests (run by run.sh, one call per step).
#
#   net-host.sh start        create network namespace $AVPS_NETNS with TAP device
#                            $AVPS_TAP (vnet_hdr; multi_queue when AVPS_NETQ > 1)
#                            at 10.0.2.1/24, start two TCP servers in it (port
#                            5001 sends a random file, port 5002 receives one),
#                            write the guest's extra kernel arguments to
#                            $AVPS_HOOK_DIR/append
#   net-host.sh phase NAME   the guest printed AVPS-PHASE NAME:
#                            ping-guest  ping 10.0.2.15 from the namespace
#                            link-down   SIGUSR1 to the daemon ($AVPS_DAEMON_PID)
#                            link-up     SIGUSR2 to the daemon
#   net-host.sh stop         stop the servers, print "host-<check> PASS|FAIL detail"
#                            lines (the guest's file arrived whole, the ping
#                            answered), remove the namespace (and with it the TAP)
#
# Needs root (ip netns), python3 and ping (or busybox's). Everything lives in $AVPS_HOOK_DIR;
# only processes started here are stopped, by PID.
set -uo pipefail
dir="${AVPS_HOOK_DIR:?}" ns="${AVPS_NETNS:?}" tap="${AVPS_TAP:?}" netq="${AVPS_NETQ:-1}"
guest=10.0.2.15
pingcmd=(ping); command -v ping >/dev/null 2>&1 || pingcmd=(busybox ping)

servers() {
  # One connection each: 5001 sends in.bin; 5002 reads want bytes into got.bin.
  ip netns exec "$ns" python3 - "$dir" "$(stat -c %s "$dir/in.bin")" "$1" <<'PY' &
import socket, sys, os
d, size_in, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def server(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.2.1", port)); s.listen(1); s.settimeout(120); return s
a, b = server(5001), server(5002)
open(os.path.join(d, "servers.ready"), "w").close()
c, _ = a.accept()
with open(os.path.join(d, "in.bin"), "rb") as f:
    c.sendall(f.read())
c.close()
c, _ = b.accept(); c.settimeout(60)
got = bytearray()
try:
    while len(got) < want:
        x = c.recv(65536)
        if not x: break
        got += x
finally:
    open(os.path.join(d, "got.bin"), "wb").write(bytes(got))
    c.close()
PY
  echo $! >"$dir/servers.pid"
}

case "${1:-}" in
  start)
    ip netns add "$ns" || exit 1
    mq=""; [ "$netq" -gt 1 ] && mq=multi_queue
    ip -n "$ns" tuntap add dev "$tap" mode tap vnet_hdr $mq || exit 1
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add 10.0.2.1/24 dev "$tap"
    ip -n "$ns" link set "$tap" up
    head -c 1048576 /dev/urandom >"$dir/in.bin"
    sendkb=512
    servers $((sendkb * 1024))
    for _ in $(seq 50); do [ -f "$dir/servers.ready" ] && break; sleep 0.1; done
    # Link down/up goes through the vhost-user connection (QEMU's vhost-user
    # netdev shows a lost back-end as link down, and ignores the back-end's
    # config changes). QEMU 7.2 cannot restore a packed ring after a back-end
    # disconnect (it sends base 0: "vhost VQ ring restore failed"), so the
    # link phases run on split rings only.
    link=1; [ "${AVPS_RING:-split}" = packed ] && link=0
    echo "avps.netq=$netq avps.md5=$(md5sum <"$dir/in.bin" | cut -d' ' -f1) avps.sendkb=$sendkb avps.netlink=$link" >"$dir/append"
    ;;
  phase)
    case "${2:-}" in
      ping-guest)
        ( if ip netns exec "$ns" "${pingcmd[@]}" -c 3 -W 2 "$guest" >"$dir/ping.out" 2>&1; then
            echo "host-ping-guest PASS $(grep -o '[0-9]* received' "$dir/ping.out")"
          else
            echo "host-ping-guest FAIL $(tail -n2 "$dir/ping.out" | tr '\n' ' ')"
          fi >"$dir/ping.result" ) &
        echo $! >"$dir/ping.pid" ;;
      link-down) kill -USR1 "${AVPS_DAEMON_PID:?}" ;;
      link-up) kill -USR2 "${AVPS_DAEMON_PID:?}" ;;
      *) echo "net-host: unknown phase ${2:-}" >&2 ;;
    esac ;;
  stop)
    [ -f "$dir/ping.pid" ] && wait "$(cat "$dir/ping.pid")" 2>/dev/null
    if [ -f "$dir/ping.pid" ]; then
      for _ in $(seq 50); do [ -s "$dir/ping.result" ] && break; sleep 0.1; done
      cat "$dir/ping.result" 2>/dev/null || echo "host-ping-guest FAIL no result"
    else
      echo "host-ping-guest FAIL the guest never asked for it"
    fi
    if [ -f "$dir/servers.pid" ]; then
      pid="$(cat "$dir/servers.pid")"
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    fi
    want="$(tr -d '\r' <"${AVPS_LOG:-/dev/null}" | sed -n 's/.*AVPS-INFO net-sent-md5 \([0-9a-f]*\).*/\1/p' | head -n1)"
    got=""; [ -f "$dir/got.bin" ] && got="$(md5sum <"$dir/got.bin" | cut -d' ' -f1)"
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
      echo "host-tcp-from-guest PASS $(stat -c %s "$dir/got.bin") bytes, md5 $got"
    else
      echo "host-tcp-from-guest FAIL got md5 ${got:-none} ($( [ -f "$dir/got.bin" ] && stat -c %s "$dir/got.bin" || echo 0) bytes), guest sent ${want:-?}"
    fi
    ip netns del "$ns" 2>/dev/null
    rm -f "$dir/servers.pid" "$dir/ping.pid" "$dir/ping.result" "$dir/got.bin" "$dir/servers.ready"
    ;;
  *) echo "usage: net-host.sh start|phase NAME|stop" >&2; exit 2 ;;
esac

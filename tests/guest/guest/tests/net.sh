# Guest test "net": virtio-net through avps-vhost-user and a TAP device in a
# host network namespace (tests/guest/net-host.sh sets it up: the host end is
# 10.0.2.1/24, we are 10.0.2.15/24). Sourced by /init.
#   - the interface comes up with the queue pairs asked for (avps.netq=, shown
#     as rx-N/tx-N in /sys/class/net/IF/queues; ethtool is not in busybox);
#   - ping the host, and the host pings us (AVPS-PHASE ping-guest);
#   - TCP both ways with busybox nc: a file from the host whose md5 is on the
#     command line (avps.md5=), and a file of ours whose md5 we print for the
#     host to compare (AVPS-INFO net-sent-md5);
#   - unless avps.netlink=0: link down and up, driven by the host
#     (AVPS-PHASE link-down / link-up: SIGUSR1 / SIGUSR2 to the daemon), seen
#     in /sys/class/net/IF/carrier, and traffic again afterwards.
find_dev 0x0001
net_dev="$dut_dev"
ifname=""
[ -n "$net_dev" ] && ifname="$(ls "/sys/bus/virtio/devices/$net_dev/net" 2>/dev/null | head -n1)"
if [ -n "$ifname" ]; then result "net-present PASS $net_dev is $ifname"; else result "net-present FAIL no virtio-net interface"; fi

want_q="$(cmdline_arg avps.netq)"; [ -n "$want_q" ] || want_q=1
want_md5="$(cmdline_arg avps.md5)"
send_kb="$(cmdline_arg avps.sendkb)"; [ -n "$send_kb" ] || send_kb=512
do_link="$(cmdline_arg avps.netlink)"; [ -n "$do_link" ] || do_link=1
host=10.0.2.1

wait_carrier() { # want, seconds
  i=0
  while [ "$i" -lt $(($2 * 10)) ]; do
    [ "$(cat "/sys/class/net/$ifname/carrier" 2>/dev/null)" = "$1" ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
ping_host() { # tries
  n=0
  while [ "$n" -lt "$1" ]; do
    ping -c 1 -W 2 "$host" >/dev/null 2>&1 && return 0
    n=$((n + 1))
  done
  return 1
}

if [ -n "$ifname" ]; then
  ip link set lo up
  ip link set "$ifname" up
  ip addr add 10.0.2.15/24 dev "$ifname"
  avps "INFO mac $(cat "/sys/class/net/$ifname/address")"
  nrx="$(ls -d "/sys/class/net/$ifname/queues/rx-"* 2>/dev/null | wc -l)"
  ntx="$(ls -d "/sys/class/net/$ifname/queues/tx-"* 2>/dev/null | wc -l)"
  if [ "$nrx" = "$want_q" ] && [ "$ntx" = "$want_q" ]; then
    result "net-queues PASS $nrx rx, $ntx tx"
  else
    result "net-queues FAIL $nrx rx and $ntx tx queues, want $want_q each"
  fi
  if wait_carrier 1 10; then result "net-carrier PASS"; else result "net-carrier FAIL no carrier"; fi

  if ping_host 5; then result "net-ping-host PASS"; else result "net-ping-host FAIL no reply from $host"; fi
  avps "PHASE ping-guest"
  sleep 4 # the host pings us now

  # host -> guest over TCP
  rm -f /tmp/in.bin
  timeout 30 nc "$host" 5001 >/tmp/in.bin 2>/dev/null
  got="$(md5sum </tmp/in.bin | cut -d' ' -f1)"
  if [ -n "$want_md5" ] && [ "$got" = "$want_md5" ]; then
    result "net-tcp-from-host PASS $(wc -c </tmp/in.bin) bytes, md5 $got"
  else
    result "net-tcp-from-host FAIL md5 $got ($(wc -c </tmp/in.bin) bytes), want ${want_md5:-?}"
  fi
  # guest -> host over TCP
  dd if=/dev/urandom of=/tmp/out.bin bs=1024 count="$send_kb" 2>/dev/null
  avps "INFO net-sent-md5 $(md5sum </tmp/out.bin | cut -d' ' -f1)"
  if timeout 30 nc "$host" 5002 </tmp/out.bin >/dev/null 2>&1; then
    result "net-tcp-to-host-sent PASS"
  else
    result "net-tcp-to-host-sent FAIL nc exited with an error"
  fi

  if [ "$do_link" = 1 ]; then
    avps "PHASE link-down"
    if wait_carrier 0 20; then result "net-link-down PASS carrier 0"; else result "net-link-down FAIL carrier stayed up"; fi
    avps "PHASE link-up"
    if wait_carrier 1 30; then result "net-link-up PASS carrier 1"; else result "net-link-up FAIL carrier stayed down"; fi
    if ping_host 10; then result "net-ping-after-link PASS"; else result "net-ping-after-link FAIL"; fi
  fi
  cat "/sys/class/net/$ifname/statistics/rx_packets" "/sys/class/net/$ifname/statistics/tx_packets" |
    tr '\n' ' ' | sed 's/^/AVPS-INFO net-rx-tx-packets /'; echo
fi

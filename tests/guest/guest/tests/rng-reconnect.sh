# Guest test "rng-reconnect": virtio-rng keeps working across a back-end crash.
# Sourced by /init. The guest reads once, announces AVPS-PHASE reconnect, and
# reads again: the host kills the vhost-user daemon (or the first QEMU) when it
# sees the phase line and starts a new one; QEMU reconnects (reconnect=1) and the
# second read, blocked meanwhile in the driver, must complete from the new
# daemon.
find_dev 0x0004
rng_dev="$dut_dev"
[ -n "$rng_dev" ] && result "rng-present PASS" || result "rng-present FAIL no virtio-rng"
echo 0 >/sys/class/misc/hw_random/rng_quality 2>/dev/null
[ -c /dev/hwrng ] || mdev -s

read_once() { # index, bytes, seconds
  rm -f /tmp/rng.bin
  timeout "$3" dd if=/dev/hwrng of=/tmp/rng.bin bs="$2" count=1 2>/dev/null
  got=0
  [ -f /tmp/rng.bin ] && got="$(wc -c </tmp/rng.bin)"
  hex=""
  [ "$got" -gt 0 ] && hex="$(od -A n -t x1 -v /tmp/rng.bin | tr -d ' \n')"
  avps "DATA rng $1 $got ${hex:--}"
  [ "$got" -eq "$2" ]
}

if read_once 0 64 10; then result "rng-before PASS"; else result "rng-before FAIL no bytes before the crash"; fi
avps "PHASE reconnect"
# The host acts now (it polls the console every 0.2 s): give it time, then read.
# After a daemon crash the read waits in the driver until the new daemon serves it.
sleep 3
if read_once 1 64 30; then result "rng-after-reconnect PASS"; else result "rng-after-reconnect FAIL no bytes after the back-end came back"; fi

# Guest test "rng-reset": the guest's driver resets the device and starts it
# again (driver unbind + bind: status 0, then the whole initialisation), and
# the device serves again. Through vhost-user this stops the ring with
# GET_VRING_BASE and starts it again with SET_VRING_BASE.
find_dev 0x0004
rng_dev="$dut_dev"
[ -n "$rng_dev" ] && result "rng-present PASS" || result "rng-present FAIL no virtio-rng"
echo 0 >/sys/class/misc/hw_random/rng_quality 2>/dev/null
[ -c /dev/hwrng ] || mdev -s

read_once() { # index, bytes
  rm -f /tmp/rng.bin
  timeout 10 dd if=/dev/hwrng of=/tmp/rng.bin bs="$2" count=1 2>/dev/null
  got=0
  [ -f /tmp/rng.bin ] && got="$(wc -c </tmp/rng.bin)"
  hex=""
  [ "$got" -gt 0 ] && hex="$(od -A n -t x1 -v /tmp/rng.bin | tr -d ' \n')"
  avps "DATA rng $1 $got ${hex:--}"
  [ "$got" -eq "$2" ]
}

drv=/sys/bus/virtio/drivers/virtio_rng
if read_once 0 64; then result "rng-before-reset PASS"; else result "rng-before-reset FAIL"; fi
for round in 1 2; do
  echo "$rng_dev" >"$drv/unbind" 2>/dev/null || result "rng-unbind FAIL round $round"
  st="$(cat /sys/bus/virtio/devices/$rng_dev/status 2>/dev/null)"
  avps "INFO status_after_unbind_$round $st"
  echo "$rng_dev" >"$drv/bind" 2>/dev/null || result "rng-bind FAIL round $round"
  avps "INFO status_after_bind_$round $(cat /sys/bus/virtio/devices/$rng_dev/status 2>/dev/null)"
  echo 0 >/sys/class/misc/hw_random/rng_quality 2>/dev/null
done
[ "$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)" = "${rng_dev#virtio}" ] || true
if read_once 1 64; then result "rng-after-reset PASS"; else result "rng-after-reset FAIL no bytes after two resets"; fi

# Guest test "rng": virtio-rng through the Linux virtio-rng driver and hw_random.
# Sourced by /init (busybox sh); uses avps/result from there.
# Kernel command line: avps.rng_sizes=64,256,16 (bytes per read, one read each).

# Describe every virtio device: id, driver, transport, negotiated features.
find_dev 0x0004
rng_dev="$dut_dev" rng_drv="$dut_drv"
if [ -z "$rng_dev" ]; then
  result "rng-present FAIL no virtio device with id 4"
elif [ "$rng_drv" != "virtio_rng" ]; then
  result "rng-present FAIL $rng_dev bound to '${rng_drv:-nothing}', not virtio_rng"
else
  result "rng-present PASS"
fi

cur=""
for f in /sys/class/misc/hw_random/rng_current /sys/devices/virtual/misc/hw_random/rng_current; do
  [ -r "$f" ] && { cur="$(cat "$f")"; break; }
done
avps "INFO rng_current ${cur:-missing}"
avps "INFO rng_available $(cat /sys/class/misc/hw_random/rng_available 2>/dev/null)"
case "$cur" in
  virtio_rng*) result "rng-current PASS" ;;
  *) result "rng-current FAIL rng_current is '${cur:-missing}'" ;;
esac

# Stop the hw_random fill thread (quality 0) so it does not take bytes from
# the device between or inside our reads: a device that counts bytes then
# shows one unbroken stream to dd.
if [ -w /sys/class/misc/hw_random/rng_quality ]; then
  echo 0 >/sys/class/misc/hw_random/rng_quality 2>/dev/null
  avps "INFO rng_quality $(cat /sys/class/misc/hw_random/rng_quality 2>/dev/null)"
fi

[ -c /dev/hwrng ] || mdev -s
# Read sizes. hw_random's /dev/hwrng reads the driver in chunks of 64 bytes
# (rng_buffer_size() on x86-64) and hands a chunk's tail to a shorter read
# first, keeping the head for the next read. So only reads that are multiples
# of 64, and a short read that starts on a fresh chunk, see the device's byte
# stream in order: 64 and 256 first, the short read (16) last.
sizes="$(cmdline_arg avps.rng_sizes)"
[ -n "$sizes" ] || sizes="64,256,16"
i=0
bad=""
for n in $(echo "$sizes" | tr , ' '); do
  rm -f /tmp/rng.bin
  # One read(2) of n bytes (no fullblock): a short read is a failure.
  if ! timeout 10 dd if=/dev/hwrng of=/tmp/rng.bin bs="$n" count=1 2>/tmp/dd.err; then
    bad="$bad read$i:dd-failed($(tr '\n' ' ' </tmp/dd.err | cut -c1-80))"
  fi
  got=0
  [ -f /tmp/rng.bin ] && got="$(wc -c </tmp/rng.bin)"
  hex=""
  [ "$got" -gt 0 ] && hex="$(od -A n -t x1 -v /tmp/rng.bin | tr -d ' \n')"
  avps "DATA rng $i $got ${hex:--}"
  [ "$got" -eq "$n" ] || bad="$bad read$i:got-$got-of-$n"
  i=$((i + 1))
done
if [ -z "$bad" ]; then result "rng-read PASS"; else result "rng-read FAIL$bad"; fi

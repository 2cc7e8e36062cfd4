# Guest test "input": virtio-input through Linux's virtio_input driver and evdev,
# against avps-vhost-user's "input" device in socket mode. Sourced by /init
# (busybox sh); uses avps/result from there.
#
# The exchange (host side: tests/guest/input-host.py on the device's event socket):
#   1. the guest reads the device's name, IDs, capabilities and axis ranges
#      (configuration space, §5.8.4) through sysfs and evdev ioctls;
#   2. avps-evtest writes an LED event (EV_LED LED_CAPSL 1) to /dev/input/eventN:
#      the driver sends it on the statusq; the daemon hands it to the host
#      script as "status 17 1 1";
#   3. on that, the host injects KEY_A down, ABS_X 1234 + ABS_Y 4321, KEY_A up
#      (each group ended by SYN_REPORT); the guest must read exactly those.
want_name="avps virtio input"

find_dev 0x0012
input_dev="$dut_dev" input_drv="$dut_drv"
if [ -z "$input_dev" ]; then
  result "input-present FAIL no virtio device with id 18"
elif [ "$input_drv" != "virtio_input" ]; then
  result "input-present FAIL $input_dev bound to '${input_drv:-nothing}', not virtio_input"
else
  result "input-present PASS"
fi

# The evdev node of that virtio device.
ev=""
for e in /sys/class/input/event*; do
  [ -e "$e" ] || continue
  case "$(readlink -f "$e")" in */"$input_dev"/*) ev="${e##*/}" ;; esac
done
[ -n "$ev" ] || { result "input-evdev FAIL no event device under $input_dev"; return 0 2>/dev/null; }
mdev -s 2>/dev/null
node="/dev/input/$ev"
if [ ! -c "$node" ]; then
  mkdir -p /dev/input
  mknod "$node" c "$(cut -d: -f1 "/sys/class/input/$ev/dev")" "$(cut -d: -f2 "/sys/class/input/$ev/dev")"
fi
result "input-evdev PASS $node"

sys="/sys/class/input/$ev/device"
got_name="$(cat "$sys/name" 2>/dev/null)"
[ "$got_name" = "$want_name" ] && result "input-name PASS $got_name" ||
  result "input-name FAIL '$got_name', want '$want_name'"
ids="$(cat "$sys/id/bustype" "$sys/id/vendor" "$sys/id/product" "$sys/id/version" 2>/dev/null | tr '\n' ' ')"
[ "$ids" = "0006 1af4 0001 0001 " ] && result "input-ids PASS $ids" ||
  result "input-ids FAIL '$ids', want '0006 1af4 0001 0001'"
caps_abs="$(cat "$sys/capabilities/abs" 2>/dev/null)"
caps_led="$(cat "$sys/capabilities/led" 2>/dev/null)"
avps "INFO caps ev=$(cat "$sys/capabilities/ev" 2>/dev/null) abs=$caps_abs led=$caps_led key=$(cat "$sys/capabilities/key" 2>/dev/null | cut -c1-60)"
[ "$caps_abs" = 3 ] && [ "$caps_led" = 7 ] && result "input-caps PASS abs=$caps_abs led=$caps_led" ||
  result "input-caps FAIL abs='$caps_abs' (want 3) led='$caps_led' (want 7)"

# LED CAPSL on -> statusq -> host; the host then injects 4 events in 3 groups.
avps-evtest "$node" -l 17 1 1 -n 4 -t 40 >/tmp/evtest.out 2>&1
rc=$?
cat /tmp/evtest.out
grep -q '^AVPS-INFO evdev-abs 0 0 32767 0 0 0$' /tmp/evtest.out &&
grep -q '^AVPS-INFO evdev-abs 1 0 32767 0 0 0$' /tmp/evtest.out &&
  result "input-absinfo PASS ABS_X, ABS_Y 0..32767" ||
  result "input-absinfo FAIL $(grep evdev-abs /tmp/evtest.out | tr '\n' ';')"
# The events, without the echo of our own LED write; SYN_REPORT kept: each
# group must arrive whole and in order.
evs="$(grep '^AVPS-EV ' /tmp/evtest.out | grep -v '^AVPS-EV 17 ' | cut -d' ' -f2- | tr '\n' ',')"
# Our LED write's own SYN_REPORT may come first; drop leading SYNs.
while [ "${evs#0 0 0,}" != "$evs" ]; do evs="${evs#0 0 0,}"; done
want="1 30 1,0 0 0,3 0 1234,3 1 4321,0 0 0,1 30 0,0 0 0,"
if [ "$rc" -eq 0 ] && [ "$evs" = "$want" ]; then
  result "input-events PASS key and absolute-axis events in 3 whole groups"
else
  result "input-events FAIL rc=$rc got '$evs' want '$want'"
fi

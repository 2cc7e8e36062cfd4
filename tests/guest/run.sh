#!/usr/bin/env bash
# Run one real-guest test: boot Debian's cloud kernel under QEMU (TCG) with a
# virtio device, let the guest's own Linux drivers exercise it, and read the
# results from the serial console.
#
# Usage: tests/guest/run.sh [options] MACHINE RING TEST [BACKEND [SOCKET]]
#   MACHINE  q35 (virtio-pci) | microvm (virtio-mmio version 2)
#   RING     split | packed            (the device's packed=on|off property)
#   TEST     a guest test in tests/guest/guest/tests/TEST.sh (e.g. rng)
#   BACKEND  builtin (default): QEMU's own device (virtio-rng-pci, ...)
#            vhost-user: vhost-user-rng-pci / vhost-user-rng on a chardev
#            socket, with guest RAM in a shared memfd. SOCKET is the path the
#            daemon listens on; with --daemon it may be omitted (a private
#            temporary path is used).
# Options:
#   --daemon CMD            vhost-user: start CMD (a shell command line; {socket}
#                           is replaced by the socket path, {dir} by a private
#                           temporary directory, {packed} by on or off for the
#                           ring asked for) before each boot, wait for the
#                           socket, stop it (by PID) afterwards
#   --host-cmd CMD          start CMD ({socket}, {dir} replaced likewise) after
#                           the daemon, for the host side of a test (e.g. input
#                           events into the daemon's event socket); its output
#                           goes to LOG.host; stopped (by PID) after the boot
#   --host CMD              the same as --host-cmd
#   --expect-pattern P      any (default): reads have the right length and are
#                           not one repeated byte; counter: within each read
#                           every byte is the previous one plus 1 (mod 256)
#   --timeout S             hard limit per boot attempt (default 45)
#   --stall S               no console output for S seconds before the guest
#                           test started = boot stall (default 12)
#   --retries N             boots to retry after a boot stall (default 2)
#   --log FILE              console log (default build-guest/logs/NAME.log)
#   --append ARGS           extra kernel command line arguments
#   --mem SIZE              guest RAM (default 256M)
#   --chaos daemon|qemu     vhost-user: when the guest prints AVPS-PHASE, kill
#                           the daemon (SIGKILL) and start a new one (QEMU
#                           reconnects), or kill QEMU and boot a new QEMU
#                           against the same daemon
#   --image-size SIZE       create a disk image of SIZE bytes of random data
#                           ({image} in the daemon command is its path) before
#                           each boot; the guest's AVPS-SUM <name> <offset>
#                           <length> <md5> lines are then checked against the
#                           same range of the image after the guest is done
#   --image-unchanged       the image must still hold its original bytes
#   --num-queues N          vhost-user-blk: num-queues=N (default 1)
#   --smp N                 guest CPUs (default 1; 2 for the net-mq test)
#   --tsc-khz auto|off|N    microvm: give the guest kernel the TSC frequency
#                           (tsc_early_khz=) so it does not calibrate the TSC
#                           against the PIT, which under TCG on a busy host
#                           fails and then hangs the boot (default auto: the
#                           host's, from /proc/cpuinfo; the guest TSC under TCG
#                           is the host's)
#   -q                      print only the final line
# Net tests (net, net-mq; vhost-user only): run.sh creates a network namespace
# and a TAP device in it through tests/guest/net-host.sh, replaces {netns},
# {tap} and {netq} in the daemon command (run it with "ip netns exec {netns}"),
# gives QEMU -netdev vhost-user (queues=2 and -smp 2 for net-mq) with
# reconnect=1, calls net-host.sh for each AVPS-PHASE the guest prints and
# reports its host-* checks, and removes the namespace afterwards.
# Exit status: 0 only if every AVPS-RESULT (guest) and host-* check is PASS
# and the guest reached AVPS-DONE; 1 on a failed check; 2 on a usage or setup
# error; 3 when no boot completed (stall/timeout on every attempt).
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${AVPS_GUEST_OUT:-$repo/build-guest}"
qemu="${AVPS_QEMU:-qemu-system-x86_64}"

daemon_cmd="" host_cmd="" pattern="any" timeout=45 smp= stall=12 retries=2 log="" append="" mem="256M" quiet=0 tsc_khz=auto chaos=""
image_size="" image_unchanged=0 num_queues=1
pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --daemon) daemon_cmd="$2"; shift 2 ;;
    --host-cmd|--host) host_cmd="$2"; shift 2 ;;
    --expect-pattern) pattern="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --stall) stall="$2"; shift 2 ;;
    --retries) retries="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --chaos) chaos="$2"; shift 2 ;;
    --tsc-khz) tsc_khz="$2"; shift 2 ;;
    --image-size) image_size="$2"; shift 2 ;;
    --image-unchanged) image_unchanged=1; shift ;;
    --num-queues) num_queues="$2"; shift 2 ;;
    --smp) smp="$2"; shift 2 ;;
    -q) quiet=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; pos+=("$@"); break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
[ "${#pos[@]}" -ge 3 ] || { usage >&2; exit 2; }
machine="${pos[0]}" ring="${pos[1]}" test="${pos[2]}"
backend="${pos[3]:-builtin}" socket="${pos[4]:-}"
case "$machine" in q35|microvm) ;; *) echo "run.sh: MACHINE must be q35 or microvm" >&2; exit 2 ;; esac
case "$ring" in split|packed) ;; *) echo "run.sh: RING must be split or packed" >&2; exit 2 ;; esac
case "$pattern" in any|counter) ;; *) echo "run.sh: --expect-pattern must be any or counter" >&2; exit 2 ;; esac
case "$chaos" in
  "") ;;
  daemon|qemu) [ -n "$daemon_cmd" ] || { echo "run.sh: --chaos needs --daemon" >&2; exit 2; } ;;
  *) echo "run.sh: --chaos must be daemon or qemu" >&2; exit 2 ;;
esac
case "$backend" in
  builtin) ;;
  vhost-user)
    [ -n "$socket" ] || [ -n "$daemon_cmd" ] || {
      echo "run.sh: vhost-user needs SOCKET or --daemon CMD" >&2; exit 2; } ;;
  *) echo "run.sh: BACKEND must be builtin or vhost-user" >&2; exit 2 ;;
esac
[ -f "$here/guest/tests/$test.sh" ] || { echo "run.sh: no guest test $test" >&2; exit 2; }

name="$machine-$ring-$test-$backend"
mkdir -p "$out/logs"
[ -n "$log" ] || log="$out/logs/$name.log"
say() { [ "$quiet" -eq 1 ] || echo "$name: $*"; }

# Kernel and initramfs: (re)build when missing or when the guest files changed
# (setup.sh is a no-op taking ~0.1 s when everything is current).
"$here/setup.sh" --out "$out" >"$out/logs/setup.log" 2>&1 || {
  echo "$name: FAIL setup.sh failed, see $out/logs/setup.log" >&2; exit 2; }
kernel="$out/vmlinuz" initrd="$out/initramfs.cpio.gz"

# microvm has no HPET or ACPI PM timer: if the quick PIT calibration of the
# TSC fails (it does under TCG when the host is busy), the kernel marks the TSC
# unstable and stalls. Telling it the frequency skips that calibration.
if [ "$machine" = microvm ] && [ "$tsc_khz" != off ]; then
  if [ "$tsc_khz" = auto ]; then
    tsc_khz="$(awk -F: '/^cpu MHz/ {printf "%d", $2 * 1000; exit}' /proc/cpuinfo)"
  fi
  [ -n "$tsc_khz" ] && [ "$tsc_khz" -gt 0 ] && append="tsc_early_khz=$tsc_khz $append"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/avps-guest.XXXXXX")"
qemu_pid="" daemon_pid="" host_pid=""
# Net tests: a host hook, a namespace and TAP named after this run.
hook="" netq=1
case "$test" in
  net|net-*)
    [ "$backend" = vhost-user ] || { echo "run.sh: test $test needs BACKEND vhost-user" >&2; exit 2; }
    hook="$here/net-host.sh"
    [ "$test" = net-mq ] && netq=2
    mkdir -p "$tmp/hook"
    export AVPS_HOOK_DIR="$tmp/hook" AVPS_NETNS="avps-net-$$" AVPS_TAP="avpst$$" AVPS_NETQ="$netq"
    export AVPS_LOG="$log" AVPS_RING="$ring" ;;
esac
[ -n "$smp" ] || smp="$netq"
hook_started=0
hook_stop() { # print the hook's host checks into $tmp/host-checks
  [ "$hook_started" -eq 1 ] || return 0
  hook_started=0
  "$hook" stop >"$tmp/host-checks" 2>>"$log.hook" || true
}
stop_pid() { # stop one process we started: TERM, then KILL after 3 s
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$qemu_pid"; qemu_pid=""
  backend_stop
  hook_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- backend hooks ------------------------------------------------------------
# backend_start: before each boot attempt; backend_qemu_args: fills qargs with
# the RAM and device arguments; backend_stop: after each attempt.
# The device QEMU type for a test: BASE-pci on q35, BASE-device (or BASE when
# QEMU names it so, like 7.2's vhost-user-rng) on microvm.
dev_base() {
  case "${1%%-*}/$2" in
    rng/builtin) echo virtio-rng ;;
    rng/vhost-user) echo vhost-user-rng ;;
    blk/vhost-user) echo vhost-user-blk ;;
    net/vhost-user) echo virtio-net ;;
    input/vhost-user) echo vhost-user-input ;;
    vsock/vhost-user) echo vhost-user-vsock ;;
    *) echo "run.sh: test $1 has no device for backend $2" >&2; return 1 ;;
  esac
}
dev_type() {
  local base
  base="$(dev_base "$test" "$backend")" || return 1
  if [ "$machine" = q35 ]; then echo "$base-pci"; return; fi
  if "$qemu" -device help 2>/dev/null | grep -q "name \"$base-device\""; then
    echo "$base-device"
  else
    echo "$base"
  fi
}
packed_prop() { [ "$ring" = packed ] && echo on || echo off; }

image="" image_md5=""
image_create() { # a fresh image of random bytes, and its checksum
  [ -n "$image_size" ] || return 0
  image="$tmp/disk.img"
  head -c "$image_size" /dev/urandom >"$image" || return 1
  image_md5="$(md5sum <"$image" | cut -d' ' -f1)"
}
backend_start() { # [keep]: a restarted daemon serves the image as it is
  [ "$backend" = vhost-user ] || return 0
  if [ "${1:-}" != keep ]; then
    image_create || { echo "$name: FAIL cannot create the disk image" >&2; return 1; }
  fi
  [ -n "$daemon_cmd" ] || {
    # Externally run daemon: it must already listen on SOCKET.
    [ -S "$socket" ] || { echo "$name: FAIL no listening socket at $socket" >&2; return 1; }
    return 0; }
  [ -n "$socket" ] || socket="$tmp/vhost-user.sock"
  rm -f "$socket"
  local cmd="${daemon_cmd//\{socket\}/$socket}" i
  cmd="${cmd//\{image\}/$image}"
  if [ -n "$hook" ]; then
    "$hook" start >>"$log.hook" 2>&1 || { echo "$name: FAIL net-host.sh start (see $log.hook)" >&2; return 1; }
    hook_started=1
    cmd="${cmd//\{netns\}/$AVPS_NETNS}"; cmd="${cmd//\{tap\}/$AVPS_TAP}"; cmd="${cmd//\{netq\}/$netq}"
  fi
  cmd="${cmd//\{dir\}/$tmp}"
  cmd="${cmd//\{packed\}/$(packed_prop)}"
  bash -c "exec $cmd" >>"$log.daemon" 2>&1 &
  daemon_pid=$!
  # QEMU connects as a client at start-up: the socket must listen first.
  for i in $(seq 100); do
    [ -S "$socket" ] && { host_start; return 0; }
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name: FAIL daemon did not create $socket (see $log.daemon)" >&2
  stop_pid "$daemon_pid"; daemon_pid=""
  hook_stop
  return 1
}
backend_stop() {
  stop_pid "$host_pid"; host_pid=""
  stop_pid "$daemon_pid"; daemon_pid=""
}
host_start() {
  [ -n "$host_cmd" ] || return 0
  stop_pid "$host_pid"; host_pid=""
  local cmd="${host_cmd//\{socket\}/$socket}"
  cmd="${cmd//\{dir\}/$tmp}"
  bash -c "exec $cmd" >>"$log.host" 2>&1 &
  host_pid=$!
}
backend_qemu_args() {
  local dev
  dev="$(dev_type)" || return 1
  case "$backend" in
    builtin)
      [ "$machine" = microvm ] && qargs+=(-M microvm)
      [ "$machine" = q35 ] && qargs+=(-M q35)
      qargs+=(-device "$dev,packed=$(packed_prop)") ;;
    vhost-user)
      # vhost-user needs all guest RAM in a shared memfd the daemon can map.
      qargs+=(-object "memory-backend-memfd,id=mem,size=$mem,share=on")
      [ "$machine" = microvm ] && qargs+=(-M microvm,memory-backend=mem)
      [ "$machine" = q35 ] && qargs+=(-M q35 -numa node,memdev=mem)
      # reconnect=1 makes QEMU dial again when the back-end goes away, but
      # QEMU 7.2 then connects asynchronously at start-up and vhost-user-rng's
      # realize does not wait for it ("Failed to set msg fds", then an assert),
      # so it is only used where a daemon crash is the point of the test.
      if [ "$chaos" = daemon ] || [ -n "$hook" ]; then
        # (net: QEMU's vhost-user netdev waits for the connection at start-up,
        # and reconnect=1 brings the link back after a link-down)
        qargs+=(-chardev "socket,id=vu0,path=$socket,reconnect=1")
      else
        qargs+=(-chardev "socket,id=vu0,path=$socket")
      fi
      if [ -n "$hook" ]; then
        local mq=off; [ "$netq" -gt 1 ] && mq=on
        qargs+=(-netdev "vhost-user,id=n0,chardev=vu0,queues=$netq")
        if [ "$machine" = q35 ]; then
          # vectors=0 (INTx): QEMU 7.2 segfaults in vhost_net_start (msix_set_vector_notifiers)
          # when a vhost-user virtio-net-pci uses MSI-X under TCG, before any message reaches us.
          qargs+=(-device "$dev,netdev=n0,packed=$(packed_prop),mq=$mq,vectors=0")
        else
          qargs+=(-device "$dev,netdev=n0,packed=$(packed_prop),mq=$mq")
        fi
      else
        local extra=""
        case "$test" in blk*) extra=",num-queues=$num_queues" ;; esac
        qargs+=(-device "$dev,chardev=vu0,packed=$(packed_prop)$extra")
      fi ;;
  esac
}

# ---- one boot -----------------------------------------------------------------
# Sets outcome: done | stall | timeout | exited (QEMU ended without AVPS-DONE)
boot_once() {
  qargs=(-accel tcg -m "$mem" -smp "$smp" -nographic -no-reboot -net none)
  local hook_append=""
  [ -n "$hook" ] && [ -f "$AVPS_HOOK_DIR/append" ] && hook_append="$(cat "$AVPS_HOOK_DIR/append")"
  backend_qemu_args || return 1
  [ "$machine" = q35 ] && qargs+=(-vga none)
  [ "$machine" = microvm ] && qargs+=(-global virtio-mmio.force-legacy=false)
  qargs+=(-kernel "$kernel" -initrd "$initrd"
          -append "console=ttyS0 panic=-1 avps.test=$test $hook_append $append")
  printf '%q ' "$qemu" "${qargs[@]}" >"$log.cmd"; echo >>"$log.cmd"
  : >"$log"
  "$qemu" "${qargs[@]}" </dev/null >"$log" 2>"$log.stderr" &
  qemu_pid=$!
  local start now last_size=-1 size last_change elapsed done_at=""
  start=$(date +%s.%N); last_change=$start
  outcome=""
  while :; do
    sleep 0.2
    now=$(date +%s.%N)
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
      wait "$qemu_pid" 2>/dev/null || true; qemu_pid=""
      grep -q 'AVPS-DONE' "$log" && outcome=done || outcome=exited
      break
    fi
    if [ -n "$chaos" ] && [ "$chaos_done" -eq 0 ] && grep -q 'AVPS-PHASE' "$log"; then
      chaos_done=1
      if [ "$chaos" = daemon ]; then
        # A crash, not a clean stop: no GET_VRING_BASE, no goodbye.
        kill -KILL "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=""
        echo "chaos: daemon killed at $(date +%T.%N | cut -c1-12)" >>"$log.chaos"
        backend_start keep || { outcome=exited; break; }
        echo "chaos: new daemon listening" >>"$log.chaos"
      else
        kill -KILL "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null || true
        echo "chaos: QEMU killed; booting a new QEMU against the same daemon" >>"$log.chaos"
        cp "$log" "$log.killed"
        : >"$log"
        "$qemu" "${qargs[@]}" </dev/null >"$log" 2>"$log.stderr" &
        qemu_pid=$!
        last_size=-1; start=$now
      fi
      continue
    fi
    if [ -n "$hook" ]; then
      # Each new AVPS-PHASE line, once, in order.
      local ph
      while read -r ph; do
        phases_seen=$((phases_seen + 1))
        AVPS_DAEMON_PID="$daemon_pid" "$hook" phase "$ph" >>"$log.hook" 2>&1
        echo "phase $ph at $(date +%T.%N | cut -c1-12)" >>"$log.hook"
      done < <(tr -d '\r' <"$log" | sed -n 's/.*AVPS-PHASE \([a-z-]*\).*/\1/p' | tail -n +$((phases_seen + 1)))
    fi
    if [ -z "$done_at" ] && grep -q 'AVPS-DONE' "$log"; then done_at=$now; fi
    if [ -n "$done_at" ]; then
      # poweroff -f normally ends QEMU at once; do not wait for ever.
      if awk -v a="$now" -v b="$done_at" 'BEGIN{exit !(a-b>5)}'; then
        stop_pid "$qemu_pid"; qemu_pid=""; outcome=done; break
      fi
      continue
    fi
    size=$(stat -c %s "$log")
    if [ "$size" != "$last_size" ]; then last_size=$size; last_change=$now; fi
    if awk -v a="$now" -v b="$start" -v t="$timeout" 'BEGIN{exit !(a-b>t)}'; then
      stop_pid "$qemu_pid"; qemu_pid=""; outcome=timeout; break
    fi
    if ! grep -q 'AVPS-BOOT' "$log" &&
       awk -v a="$now" -v b="$last_change" -v t="$stall" 'BEGIN{exit !(a-b>t)}'; then
      stop_pid "$qemu_pid"; qemu_pid=""; outcome=stall; break
    fi
  done
  elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.1f", a-b}')
  boot_time="$elapsed"
}

attempt=0 outcome="" total_start=$(date +%s.%N) chaos_done=0 phases_seen=0
rm -f "$log".attempt* "$log.daemon" "$log.host" "$log.chaos" "$log.killed" "$log.hook"
while :; do
  attempt=$((attempt + 1))
  phases_seen=0
  backend_start || exit 2
  boot_once || { backend_stop; hook_stop; exit 2; }
  backend_stop
  hook_stop
  case "$outcome" in
    done) break ;;
    stall|timeout)
      if grep -q 'AVPS-BOOT' "$log"; then break; fi   # hung in the test, not in boot
      last_line="$(tr -d '\r' <"$log" | grep -v '^[[:space:]]*$' | tail -n1 | cut -c1-100)"
      say "boot $outcome after ${boot_time}s on attempt $attempt (last console line: ${last_line:-none})"
      cp "$log" "$log.attempt$attempt"
      [ "$attempt" -le "$retries" ] || break ;;
    exited) break ;;
  esac
done
total=$(awk -v a="$(date +%s.%N)" -v b="$total_start" 'BEGIN{printf "%.1f", a-b}')

# ---- evaluate -----------------------------------------------------------------
clean="$tmp/console.txt"
tr -d '\r' <"$log" | grep -o 'AVPS-[A-Z]*.*' >"$clean" || true
fails=0 passes=0
report() { # check, PASS|FAIL, detail
  if [ "$2" = PASS ]; then passes=$((passes + 1)); else fails=$((fails + 1)); fi
  say "$1 $2${3:+ $3}"
}
while read -r _ check verdict rest; do
  # A kernel message can still land on the same console line: judge the
  # verdict word alone, and keep anything glued to it as detail.
  case "$verdict" in
    PASS*) report "$check" PASS "${verdict#PASS}${rest:+ $rest}" ;;
    FAIL*) report "$check" FAIL "${verdict#FAIL}${rest:+ $rest}" ;;
    *) report "$check" FAIL "unreadable verdict '$verdict'" ;;
  esac
done < <(grep '^AVPS-RESULT ' "$clean" || true)

# The host side's checks (net tests).
if [ -n "$hook" ] && [ -f "$tmp/host-checks" ]; then
  while read -r check verdict rest; do
    case "$verdict" in
      PASS) report "$check" PASS "$rest" ;;
      *) report "$check" FAIL "$rest" ;;
    esac
  done <"$tmp/host-checks"
fi

seen_done=0
grep -q '^AVPS-DONE' "$clean" && seen_done=1

if [ "$seen_done" -eq 1 ]; then
  # The device under test: the first virtio device the guest test named,
  # or the first AVPS-DEV line.
  dut="$(awk '$1=="AVPS-INFO" && $2=="dut" {print $3; exit}' "$clean")"
  devline="$(awk -v d="$dut" '$1=="AVPS-DEV" && (d=="" || $2==d) {print; exit}' "$clean")"
  field() { echo "$devline" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }
  transport="$(field transport)" features="$(field features)"
  want_transport=virtio-pci; [ "$machine" = microvm ] && want_transport=virtio-mmio
  if [ -z "$devline" ]; then
    report host-device FAIL "no virtio device reported"
  else
    [ "$transport" = "$want_transport" ] &&
      report host-transport PASS "$transport" ||
      report host-transport FAIL "want $want_transport, guest used ${transport:-?}"
    if [ "${#features}" -lt 35 ]; then
      report host-features FAIL "features '${features}' unreadable"
    else
      [ "${features:32:1}" = 1 ] && report host-version1 PASS "bit 32 set" ||
        report host-version1 FAIL "VIRTIO_F_VERSION_1 (bit 32) not negotiated"
      want_packed=0; [ "$ring" = packed ] && want_packed=1
      [ "${features:34:1}" = "$want_packed" ] &&
        report host-ring PASS "$ring (bit 34 = ${features:34:1})" ||
        report host-ring FAIL "asked $ring, bit 34 (RING_PACKED) = ${features:34:1}"
    fi
    say "fact device=$(echo "$devline" | awk '{print $2}') $(field driver) transport=$transport parent=$(field parent) features=$features"
  fi
  # Data the guest read (AVPS-DATA <test> <idx> <nbytes> <hex>).
  ndata=0 bad="" sizes=""
  while read -r _ _ idx n hex; do
    ndata=$((ndata + 1)); sizes="$sizes${sizes:+,}$n"
    [ "$hex" = - ] && hex=""
    [ "${#hex}" -eq $((2 * n)) ] || { bad="$bad read$idx:hex-length"; continue; }
    r="$(awk -v h="$hex" -v p="$pattern" 'BEGIN {
      n = length(h) / 2; same = 1
      for (i = 0; i < n; i++) b[i] = index("0123456789abcdef", substr(h, 2*i+1, 1)) * 16 - 16 \
                                     + index("0123456789abcdef", substr(h, 2*i+2, 1)) - 1
      for (i = 1; i < n; i++) {
        if (b[i] != b[0]) same = 0
        if (p == "counter" && b[i] != (b[i-1] + 1) % 256) { printf "counter-break-at-%d", i; exit }
      }
      if (p == "any" && n >= 8 && same) printf "all-bytes-%02x", b[0]
    }')"
    [ -z "$r" ] || bad="$bad read$idx:$r"
    say "data read$idx $n bytes: ${hex:0:32}$([ "${#hex}" -gt 32 ] && echo ...)"
  done < <(grep '^AVPS-DATA ' "$clean" || true)
  if [ "$ndata" -gt 0 ]; then
    [ -z "$bad" ] && report host-pattern PASS "$pattern, reads of $sizes bytes" ||
      report host-pattern FAIL "$pattern:$bad"
  fi
  # Block data: the guest's checksum of a range it wrote (or read) against the
  # host's checksum of the same range of the image, now that the guest is done.
  while read -r _ sname soff slen smd5; do
    if [ -z "$image" ] || [ ! -f "$image" ]; then
      report "host-sum-$sname" FAIL "no image (--image-size)"; continue
    fi
    hmd5="$(dd if="$image" bs=65536 skip="$soff" count="$slen" iflag=skip_bytes,count_bytes \
            2>/dev/null | md5sum | cut -d' ' -f1)"
    [ "$hmd5" = "$smd5" ] && report "host-sum-$sname" PASS "$slen bytes at $soff: $hmd5" ||
      report "host-sum-$sname" FAIL "guest $smd5, image $hmd5 ($slen bytes at $soff)"
  done < <(grep '^AVPS-SUM ' "$clean" || true)
  # After a daemon crash: what the new daemon took back from the inflight
  # region (a fact, not a check: it depends on where the kill landed).
  if [ "$chaos" = daemon ] && [ -f "$log.daemon" ]; then
    rs="$(grep -o '[0-9]* buffer(s) in flight to resubmit' "$log.daemon" | cut -d' ' -f1 | sort -n | tail -n1)"
    say "fact resubmitted after the crash: ${rs:-0} request(s) from the inflight region"
  fi
  if [ "$image_unchanged" -eq 1 ]; then
    now_md5="$(md5sum <"$image" | cut -d' ' -f1)"
    [ "$now_md5" = "$image_md5" ] && report host-image-unchanged PASS "$image_md5" ||
      report host-image-unchanged FAIL "was $image_md5, now $now_md5"
  fi
else
  case "$outcome" in
    exited) report guest-done FAIL "QEMU exited before AVPS-DONE: $(head -c 300 "$log.stderr" | tr '\n' ' ')" ;;
    *) report guest-done FAIL "no AVPS-DONE: $outcome after ${boot_time}s, $attempt attempt(s)" ;;
  esac
fi

if [ "$seen_done" -eq 1 ] && [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]; then
  verdict=PASS rc=0
else
  verdict=FAIL rc=1
  [ "$seen_done" -eq 0 ] && [ "$outcome" != exited ] && rc=3
fi
echo "$name: $verdict in ${boot_time}s (boot+test, attempt $attempt, ${total}s total), log ${log#$repo/}"
exit "$rc"

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
#                           is replaced by the socket path) before each boot,
#                           wait for the socket, stop it (by PID) afterwards
#   --host CMD              also start CMD ({socket} replaced) once the daemon
#                           listens, and stop it after the boot (the host side of
#                           a test, e.g. tests/guest/host/vsock-host.py)
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
#   --tsc-khz auto|off|N    microvm: give the guest kernel the TSC frequency
#                           (tsc_early_khz=) so it does not calibrate the TSC
#                           against the PIT, which under TCG on a busy host
#                           fails and then hangs the boot (default auto: the
#                           host's, from /proc/cpuinfo; the guest TSC under TCG
#                           is the host's)
#   -q                      print only the final line
# Exit status: 0 only if every AVPS-RESULT (guest) and host-* check is PASS
# and the guest reached AVPS-DONE; 1 on a failed check; 2 on a usage or setup
# error; 3 when no boot completed (stall/timeout on every attempt).
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${AVPS_GUEST_OUT:-$repo/build-guest}"
qemu="${AVPS_QEMU:-qemu-system-x86_64}"

host_cmd="" host_pid=""
daemon_cmd="" pattern="any" timeout=45 stall=12 retries=2 log="" append="" mem="256M" quiet=0 tsc_khz=auto chaos=""
pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --daemon) daemon_cmd="$2"; shift 2 ;;
    --host) host_cmd="$2"; shift 2 ;;
    --expect-pattern) pattern="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --stall) stall="$2"; shift 2 ;;
    --retries) retries="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --chaos) chaos="$2"; shift 2 ;;
    --tsc-khz) tsc_khz="$2"; shift 2 ;;
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
qemu_pid="" daemon_pid=""
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

backend_start() {
  [ "$backend" = vhost-user ] || return 0
  [ -n "$daemon_cmd" ] || {
    # Externally run daemon: it must already listen on SOCKET.
    [ -S "$socket" ] || { echo "$name: FAIL no listening socket at $socket" >&2; return 1; }
    return 0; }
  [ -n "$socket" ] || socket="$tmp/vhost-user.sock"
  rm -f "$socket"
  local cmd="${daemon_cmd//\{socket\}/$socket}" i
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
  return 1
}
backend_stop() {
  stop_pid "$host_pid"; host_pid=""
  stop_pid "$daemon_pid"; daemon_pid=""
}
host_start() {
  [ -n "$host_cmd" ] || return 0
  bash -c "exec ${host_cmd//\{socket\}/$socket}" >>"$log.host" 2>&1 &
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
      if [ "$chaos" = daemon ]; then
        qargs+=(-chardev "socket,id=vu0,path=$socket,reconnect=1")
      else
        qargs+=(-chardev "socket,id=vu0,path=$socket")
      fi
      qargs+=(-device "$dev,chardev=vu0,packed=$(packed_prop)") ;;
  esac
}

# ---- one boot -----------------------------------------------------------------
# Sets outcome: done | stall | timeout | exited (QEMU ended without AVPS-DONE)
boot_once() {
  qargs=(-accel tcg -m "$mem" -smp 1 -nographic -no-reboot -net none)
  backend_qemu_args || return 1
  [ "$machine" = q35 ] && qargs+=(-vga none)
  [ "$machine" = microvm ] && qargs+=(-global virtio-mmio.force-legacy=false)
  qargs+=(-kernel "$kernel" -initrd "$initrd"
          -append "console=ttyS0 panic=-1 avps.test=$test $append")
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
        backend_start || { outcome=exited; break; }
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

attempt=0 outcome="" total_start=$(date +%s.%N) chaos_done=0
rm -f "$log".attempt* "$log.daemon" "$log.chaos" "$log.killed"
while :; do
  attempt=$((attempt + 1))
  backend_start || exit 2
  boot_once || { backend_stop; exit 2; }
  backend_stop
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

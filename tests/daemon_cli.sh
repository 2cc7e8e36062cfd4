#!/usr/bin/env bash
# avps-vhost-user's command line: --help, --version, clear errors for bad
# options (exit 2, one line naming the problem), a clean exit on SIGTERM and
# SIGINT with the socket removed, and a device that keeps serving after its
# front-end goes away. Usage: tests/daemon_cli.sh PATH/TO/avps-vhost-user
set -uo pipefail
d="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/avps-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "daemon-cli: $1 PASS"; }
ko() { fail=$((fail + 1)); echo "daemon-cli: $1 FAIL ${2:-}"; }

expect() { # name, want-exit, want-stderr-regex, args...
  local name=$1 want=$2 re=$3 rc
  shift 3
  "$d" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -Eq "$re" "$tmp/out" "$tmp/err"; then ok "$name"
  else ko "$name" "(exit $rc, want $want; got: $(head -c 200 "$tmp/err" "$tmp/out" | tr '\n' ' '))"; fi
}

expect help 0 'usage: avps-vhost-user' --help
expect version 0 '^avps-vhost-user \(libavps\) [0-9]+\.[0-9]+\.[0-9]+' --version
expect no-args 2 'give at least one --socket-path' 
expect device-without-socket 2 'has no --socket-path before it' --device rng
expect socket-without-device 2 'give at least one' --socket-path "$tmp/a.sock"
expect unknown-device 2 "unknown device type 'disk'" --socket-path "$tmp/a.sock" --device disk
expect unknown-option 2 "unknown rng option 'colour=blue'" --socket-path "$tmp/a.sock" --device rng,colour=blue
expect option-without-value 2 "needs a value" --socket-path "$tmp/a.sock" --device rng,source
expect bad-queue-size 2 'queue-size must be' --socket-path "$tmp/a.sock" --device rng,queue-size=0
expect bad-queue-size-text 2 'queue-size must be' --socket-path "$tmp/a.sock" --device rng,queue-size=12x
expect same-socket-twice 2 'used twice' --socket-path "$tmp/a.sock" --device rng --socket-path "$tmp/a.sock" --device rng
expect stray-argument 2 "unexpected argument 'extra'" --socket-path "$tmp/a.sock" --device rng extra
expect bad-flag 2 'usage:' --frobnicate
expect scmi-bad-agent 2 'scmi: agent must be 1..2' --socket-path "$tmp/a.sock" --device scmi,agent=3
expect scmi-unknown-option 2 "unknown scmi option 'speed=9'" --socket-path "$tmp/a.sock" --device scmi,speed=9
expect unwritable-socket 1 'cannot listen on' --socket-path /proc/avps-no/x.sock --device rng
expect net-needs-tap 2 'give tap=IFNAME' --socket-path "$tmp/a.sock" --device net
expect net-bad-backend 2 'backend must be tap, sink' --socket-path "$tmp/a.sock" --device net,backend=disk
expect net-bad-mac 2 'mac must be a unicast' --socket-path "$tmp/a.sock" --device net,backend=sink,mac=01:00:5e:00:00:01
expect net-bad-mac-text 2 'mac must be a unicast' --socket-path "$tmp/a.sock" --device net,backend=sink,mac=52:54:00:12:34
expect net-bad-queues 2 'num-queues must be 1..7' --socket-path "$tmp/a.sock" --device net,backend=sink,num-queues=8
expect net-bad-frame-size 2 'frame-size must be 14..2048' --socket-path "$tmp/a.sock" --device net,backend=source,frame-size=9000
expect net-unknown-option 2 "unknown net option 'colour=blue'" --socket-path "$tmp/a.sock" --device net,backend=sink,colour=blue

# SIGUSR1 takes the link down (the socket goes away, the daemon keeps running),
# SIGUSR2 brings it back (the socket listens again).
sock="$tmp/link.sock"
"$d" -v --socket-path "$sock" --device net,backend=loopback >"$tmp/link.out" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
kill -USR1 "$pid"
for _ in $(seq 50); do [ -e "$sock" ] || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null && [ ! -e "$sock" ] && grep -q 'link down' "$tmp/link.out"; then
  ok "net-link-down-SIGUSR1"
else
  ko "net-link-down-SIGUSR1" "(socket: $(ls "$tmp"), log: $(tail -2 "$tmp/link.out" | tr '\n' ' '))"
fi
kill -USR2 "$pid"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
if python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$sock" 2>/dev/null &&
   grep -q 'link up' "$tmp/link.out"; then
  ok "net-link-up-SIGUSR2"
else
  ko "net-link-up-SIGUSR2" "(log: $(tail -2 "$tmp/link.out" | tr '\n' ' '))"
fi
kill -TERM "$pid"; wait "$pid" 2>/dev/null
expect input-needs-source 2 'exactly one of socket=PATH or evdev=PATH' --socket-path "$tmp/a.sock" --device input
expect input-not-evdev 2 'input: (cannot open|.* is not an evdev device)' --socket-path "$tmp/a.sock" --device input,evdev=/dev/null
expect input-help 0 "'TYPE CODE VALUE'" --help
expect console-needs-port 2 'at least one socket=PATH' --socket-path "$tmp/a.sock" --device console
expect console-name-first 2 'name= follows its socket=' --socket-path "$tmp/a.sock" --device console,name=x
expect console-max-ports 2 'max-ports=1 is less than the 2 ports' --socket-path "$tmp/a.sock" --device "console,socket=$tmp/p0,socket=$tmp/p1,max-ports=1"
expect console-size-pair 2 'both cols= and rows=' --socket-path "$tmp/a.sock" --device "console,socket=$tmp/p0,cols=80"

# --poll: the same, with the fds looked at only every few turns of the queues
for run in TERM INT POLL; do
  sig=$run popt=()
  [ "$run" = POLL ] && sig=TERM popt=(--poll)
  sock="$tmp/$run.sock"
  "$d" -v "${popt[@]}" --socket-path "$sock" --device rng --socket-path "$sock.2" --device rng,source=counter \
    >"$tmp/run.out" 2>&1 &
  pid=$!
  for _ in $(seq 50); do [ -S "$sock" ] && [ -S "$sock.2" ] && break; sleep 0.1; done
  # a front-end that connects and vanishes: the daemon must keep listening
  python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$sock" 2>/dev/null
  sleep 0.2
  if ! kill -0 "$pid" 2>/dev/null; then ko "survives-disconnect-$run" "daemon exited"; continue; fi
  python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$sock" 2>/dev/null &&
    ok "survives-disconnect-$run" || ko "survives-disconnect-$run" "socket no longer accepts"
  kill -"$sig" "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; ko "exit-on-SIG$sig${popt[*]:+-poll}" "still running after 5 s"; continue; fi
  wait "$pid"; rc=$?
  if [ "$rc" -eq 0 ] && [ ! -e "$sock" ] && [ ! -e "$sock.2" ] && grep -q stopped "$tmp/run.out"; then
    ok "exit-on-SIG$sig${popt[*]:+-poll}"
  else
    ko "exit-on-SIG$sig${popt[*]:+-poll}" "(exit $rc, sockets left: $(ls "$tmp" | tr '\n' ' '))"
  fi
done
echo "daemon-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

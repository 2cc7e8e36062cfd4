#!/usr/bin/env bash
# Run every libavps test on a fresh Debian 12 machine. Installs what it needs
# with apt, builds with gcc and clang, runs the unit tests (the clang pass
# under ASan + UBSan), checks the library's symbols and headers, and exits
# non-zero on any failure. The last line is "total: N passed, M failed".
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
out="$top/build-test"
fail=0
passed=0
failed=0

bash scripts/deps.sh || { echo "dependency install failed"; exit 1; }

step() { printf '\n== %s\n' "$*"; }
bad() { echo "FAILED: $*"; fail=1; failed=$((failed + 1)); }
good() { passed=$((passed + 1)); }

# Count cmocka results from a ctest log: each binary prints PASSED/FAILED lines.
# Only the "N: " lines of ctest -V count (--output-on-failure repeats them).
count_cmocka() {
  local log=$1 p f
  p=$(grep -hoE '^[0-9]+: \[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$5} END {print s+0}')
  f=$(grep -hoE '^[0-9]+: \[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$5} END {print s+0}')
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -eq 0 ] || fail=1
  cm_failed=$f
}

run_suite() { # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  step "$name: configure and build"
  rm -rf "$dir"
  if ! cmake -S "$top" -B "$dir" "$@" >"$dir.cmake.log" 2>&1; then
    cat "$dir.cmake.log"; bad "$name configure"; return
  fi
  if ! cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1; then
    grep -E 'error|warning' "$dir.build.log" | head -40; bad "$name build"; return
  fi
  step "$name: unit tests"
  (cd "$dir" && ctest --output-on-failure -V) >"$dir.ctest.log" 2>&1
  local rc=$?
  grep -E '^\s*[0-9]+/[0-9]+ Test|tests passed|tests failed' "$dir.ctest.log"
  count_cmocka "$dir.ctest.log"
  if [ $rc -ne 0 ]; then
    grep -E '\[  (FAILED|ERROR)|FAIL|Assert|ERROR' "$dir.ctest.log" | sort -u | head -40
    echo "FAILED: $name ctest"
    fail=1
    # a binary that crashed printed no cmocka summary: count it once
    [ "$cm_failed" -gt 0 ] || failed=$((failed + 1))
  fi
}

mkdir -p "$out"
run_suite "gcc -O2" "$out/gcc" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite "clang ASan+UBSan" "$out/clang-asan" -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=Debug -DAVPS_SANITIZE=ON
# The size build: -Os turns the ring engines' speed paths off (AVPS_CONFIG_FAST_PATHS
# AUTO), so every chain takes the general walker; the same tests must pass.
run_suite "gcc -Os (no fast paths)" "$out/gcc-os" -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_BUILD_TYPE=MinSizeRel -DAVPS_CONFIG_FAST_PATHS=OFF

step "minimal configuration builds (packed, indirect, event-idx, in-order, journal off; 256 entries)"
if cmake -S "$top" -B "$out/min" -DCMAKE_C_COMPILER=clang -DAVPS_CONFIG_ENABLE_PACKED=OFF \
     -DAVPS_CONFIG_ENABLE_INDIRECT=OFF -DAVPS_CONFIG_ENABLE_EVENT_IDX=OFF \
     -DAVPS_CONFIG_ENABLE_IN_ORDER=OFF -DAVPS_CONFIG_ENABLE_JOURNAL=OFF -DAVPS_CONFIG_FAST_PATHS=OFF -DAVPS_CONFIG_VQ_MAX_SIZE=256 \
     -DAVPS_CONFIG_REPORT_LEVEL=0 -DAVPS_CONFIG_ASSERT=OFF -DAVPS_BUILD_TESTS=OFF \
     -DAVPS_BUILD_EXAMPLES=OFF >/dev/null 2>&1 && cmake --build "$out/min" -j"$jobs" >/dev/null 2>&1; then
  echo "ok"; good
else
  bad "minimal configuration build"
fi

step "library symbols (nm): no allocation, no writable globals, only avps_ exports"
for lib in "$out/gcc/libavps.a" "$out/min/libavps.a" "$out/gcc/libavps_fdt.a"; do
  [ -f "$lib" ] || { bad "missing $lib"; continue; }
  alloc=$(nm -u "$lib" | grep -E '\b(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|alloca)\b' || true)
  # Writable data: .data, .bss and common symbols. Const tables of function
  # pointers live in .data.rel.ro (read-only once relocated) and are allowed.
  writable=$(nm -f sysv --defined-only "$lib" | awk -F'|' '$3 ~ /[bBdDC]/ && $7 !~ /\.data\.rel\.ro/')
  exports=$(nm -g --defined-only "$lib" | awk 'NF==3 && $3 !~ /^avps_/')
  echo "$lib: external symbols it needs: $(nm -u "$lib" | awk '{print $2}' | sort -u | grep -v '^avps_' | tr '\n' ' ')"
  echo "$lib: data objects: $(nm -f sysv --defined-only "$lib" | awk -F'|' '$4 ~ /OBJECT/ {gsub(/ /,"",$1); gsub(/ /,"",$7); printf "%s(%s) ", $1, $7}')"
  [ -z "$alloc" ] || { echo "$alloc"; bad "allocation symbols in $lib"; }
  [ -z "$writable" ] || { echo "$writable"; bad "writable globals in $lib"; }
  [ -z "$exports" ] || { echo "$exports"; bad "non-avps exports in $lib"; }
  [ -z "$alloc$writable$exports" ] && good
done

step "lib/ builds freestanding with gcc and clang"
for cc in gcc clang; do
  ok=1
  for f in $(find lib -name '*.c' | sort); do
    $cc -std=c11 -ffreestanding -fno-builtin -nostdlib -Wall -Wextra -Wconversion -Wshadow \
      -Wvla -Werror -Iinclude -c "$f" -o /dev/null || ok=0
  done
  [ $ok -eq 1 ] && { echo "$cc ok"; good; } || bad "$cc freestanding build"
done

step "public headers compile alone (C99, C11, C++11)"
hdr_ok=1
for h in $(cd include && find avps -name '*.h' | sort); do
  printf '#include <%s>\nint avps_hdr_check_;\n' "$h" >"$out/hdr.c"
  gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c "$out/hdr.c" -o /dev/null || { hdr_ok=0; echo "C99: $h"; }
  clang -std=c11 -Wall -Wextra -Werror -Iinclude -c "$out/hdr.c" -o /dev/null || { hdr_ok=0; echo "C11: $h"; }
  cp "$out/hdr.c" "$out/hdr.cc"
  g++ -std=c++11 -Wall -Wextra -Werror -Iinclude -c "$out/hdr.cc" -o /dev/null || { hdr_ok=0; echo "C++11: $h"; }
done
[ $hdr_ok -eq 1 ] && { echo "ok"; good; } || bad "header self-containment"

step "API documentation (doxygen, warnings are errors)"
if (rm -rf build-doc && doxygen docs/Doxyfile) >"$out/doxygen.log" 2>&1; then
  echo "ok"; good
else
  head -30 "$out/doxygen.log"; bad "doxygen"
fi

step "static analysis: cppcheck + MISRA addon, clang-tidy, stack budgets"
if bash scripts/static.sh >"$out/static.log" 2>&1; then
  tail -1 "$out/static.log"; good
else
  tail -30 "$out/static.log"; bad "static analysis"
fi

step "coverage of lib/ (gate: lines >= 95 %, branches >= 90 %)"
if bash scripts/coverage.sh >"$out/coverage.log" 2>&1; then
  grep -E '^coverage:' "$out/coverage.log"; good
else
  tail -30 "$out/coverage.log"; bad "coverage gate"
fi

step "traceability: every clause in docs/conformance.md has tests, every test clause is listed"
if bash scripts/trace.sh >"$out/trace.log" 2>&1; then
  tail -1 "$out/trace.log"; good
else
  tail -20 "$out/trace.log"; bad "traceability"
fi

step "fuzz: every harness, ${AVPS_FUZZ_SECONDS:-20}s each (libFuzzer, ASan, UBSan)"
if bash fuzz/run.sh "${AVPS_FUZZ_SECONDS:-20}"; then
  good
else
  bad "fuzzing found a crash"
fi

step "avps-vhost-user command line, signals and front-end disconnects"
if bash tests/daemon_cli.sh "$out/gcc/avps-vhost-user" >"$out/daemon-cli.log" 2>&1; then
  tail -1 "$out/daemon-cli.log"
else
  grep -E 'FAIL' "$out/daemon-cli.log"
  echo "FAILED: daemon command line"
  fail=1
fi
dp=$(sed -n 's/^daemon-cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out/daemon-cli.log")
df=$(sed -n 's/^daemon-cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out/daemon-cli.log")
passed=$((passed + ${dp:-0}))
failed=$((failed + ${df:-1}))

step "avps-scmi-server: scripted SCMI session over its Unix socket (every protocol's PROTOCOL_VERSION)"
if python3 tests/scmi_session.py "$out/gcc/avps-scmi-server" >"$out/scmi-session.log" 2>&1; then
  tail -1 "$out/scmi-session.log"
else
  grep -E 'FAIL|Error|Traceback' "$out/scmi-session.log" | head -20
  echo "FAILED: scmi session"
  fail=1
fi
sp=$(sed -n 's/^scmi-session: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out/scmi-session.log")
sf=$(sed -n 's/^scmi-session: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out/scmi-session.log")
passed=$((passed + ${sp:-0}))
failed=$((failed + ${sf:-1}))

step "real guests: Linux's own virtio drivers against avps-vhost-user (QEMU TCG)"
daemon="$out/gcc/avps-vhost-user --socket-path {socket} --device rng,source=counter"
bash tests/guest/suite.sh -v --tests "rng rng-reset" --expect-pattern counter --daemon "$daemon" vhost-user \
  >"$out/guest.log" 2>&1
grc=$?
# Lifecycle: QEMU killed in the middle of a guest's work; a new QEMU is served
# by the same daemon process.
bash tests/guest/suite.sh -v --tests rng-reconnect --chaos qemu --expect-pattern counter \
  --daemon "$daemon" vhost-user >>"$out/guest.log" 2>&1 || grc=1
# virtio-blk on a raw image: data written, read back and checked against the
# host's image; discard, write zeroes, flush; read-only (synchronous I/O
# fallback); two queues on two CPUs.
blkd="$out/gcc/avps-vhost-user --socket-path {socket} --device blk,image={image}"
bash tests/guest/suite.sh -v --tests blk --image-size 8388608 --append avps.blk_serial=avps-disk-0 \
  --daemon "$blkd,serial=avps-disk-0" vhost-user >>"$out/guest.log" 2>&1 || grc=1
bash tests/guest/suite.sh -v --tests blk-ro --image-size 8388608 --image-unchanged \
  --daemon "$blkd,readonly=on,aio=sync" vhost-user >>"$out/guest.log" 2>&1 || grc=1
bash tests/guest/suite.sh -v --tests blk-mq --image-size 8388608 --smp 2 --num-queues 2 \
  --daemon "$blkd,num-queues=2" vhost-user >>"$out/guest.log" 2>&1 || grc=1
# The daemon killed (SIGKILL) in the middle of a stream of writes it holds
# (latency-ms) and restarted: QEMU reconnects, the new daemon resubmits what
# was in flight from the inflight region; every write completes and the 8 MiB
# read back equal the pattern, in the guest and in the host's image.
bash tests/guest/suite.sh -v --tests blk-crash --image-size 16777216 --chaos daemon --timeout 90 \
  --daemon "$blkd,latency-ms=300 -v" vhost-user >>"$out/guest.log" 2>&1 || grc=1
# virtio-net: a TAP device in a private network namespace (root), ping and TCP
# both ways, link down/up (split rings), and two queue pairs (net-mq).
netd="ip netns exec {netns} $out/gcc/avps-vhost-user --socket-path {socket} --device net,tap={tap},num-queues={netq}"
bash tests/guest/suite.sh -v --tests "net net-mq" --daemon "$netd" vhost-user >>"$out/guest.log" 2>&1 || grc=1
# virtio-input: QEMU 7.2's vhost-user-input needs KVM ("vhost initialization
# failed: requires kvm", and nested KVM hangs here); QEMU 10 from
# bookworm-backports, unpacked privately by tests/guest/qemu10.sh, runs it
# under TCG. The host side injects events once the guest's LED status arrives.
q10="$(bash tests/guest/qemu10.sh 2>>"$out/guest.log" | tail -1)"
if [ -n "$q10" ] && [ -x "$q10" ]; then
  AVPS_QEMU="$q10" bash tests/guest/suite.sh -v --tests input \
    --daemon "$out/gcc/avps-vhost-user --socket-path {socket} --device input,socket={dir}/events,packed={packed}" \
    --host-cmd "python3 $top/tests/guest/input-host.py {dir}/events" vhost-user >>"$out/guest.log" 2>&1 || grc=1
else
  echo "guest: 0 passed, 1 failed (QEMU 10 for the input test could not be set up)" >>"$out/guest.log"
  grc=1
fi
grep -E '^guest: |host-transport|host-ring|host-pattern|host-sum|host-image|rng-read|rng-after|blk-mq |blk-ro-write|blk-crash-|resubmitted|net-|input-events' "$out/guest.log"
gp=$(sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out/guest.log" | awk '{s+=$1} END {print s+0}')
gf=$(sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out/guest.log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${gp:-0}))
failed=$((failed + ${gf:-0}))
if [ $grc -ne 0 ]; then
  tail -20 "$out/guest.log"
  echo "FAILED: real-guest tests"
  fail=1
  [ "${gf:-0}" -gt 0 ] || failed=$((failed + 1))
fi

step "real guest: virtio-vsock through avps-vhost-user (q35 split, microvm packed)"
vs_daemon="$out/gcc/avps-vhost-user --socket-path {socket} --device vsock,guest-cid=3,uds={socket}.vsock"
vs_host="python3 $top/tests/guest/host/vsock-host.py {socket}.vsock"
for vs_mr in "q35 split" "microvm packed"; do
  # shellcheck disable=SC2086 # machine and ring are two words
  if bash tests/guest/run.sh --timeout 150 --daemon "$vs_daemon" --host "$vs_host" $vs_mr vsock \
       vhost-user >"$out/guest-vsock.log" 2>&1; then
    tail -1 "$out/guest-vsock.log"; good
  else
    grep -E ' FAIL|stall' "$out/guest-vsock.log"; tail -1 "$out/guest-vsock.log"
    bad "real-guest vsock ($vs_mr)"
  fi
done

step "benchmark smoke (builds and runs briefly; numbers live in bench/report.md, not here)"
if "$out/gcc/avps-vq-bench" --smoke >"$out/bench.log" 2>&1; then
  echo "ok"; good
else
  tail -20 "$out/bench.log"; bad "benchmark smoke"
fi

step "example program"
if "$out/gcc/avps-vq-demo" >"$out/demo.log" 2>&1; then
  tail -3 "$out/demo.log"; good
else
  cat "$out/demo.log"; bad "avps-vq-demo"
fi

echo
[ $fail -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
echo "total: $passed passed, $failed failed"
exit $fail

#!/usr/bin/env bash
# bench/run.sh: build the benchmarks (Release, -O2, in build-bench), run the
# virtqueue benchmark and the size report, write bench/report.md and print it.
#
#   bash bench/run.sh            # full run (a few minutes)
#   bash bench/run.sh --smoke    # tiny counts, seconds: checks that it all runs (CI)
#   bash bench/run.sh --no-wait  # do not wait for a quiet machine first
#   bash bench/run.sh --vhost-net  # also bench/vhost_net.sh (DPDK vhost vs
#                                  # avps-vhost-user, about 20 min more, root)
# Without --vhost-net, the vhost-net section of the previous bench/report.md
# (if any) is carried over unchanged, with its own date line.
#
# Instructions per chain come from valgrind --tool=callgrind (hardware counters
# are not available to perf in this VM), counting only the device's calls
# (avps_vq_pop, avps_vq_push_n, avps_vq_notify, with everything they call).
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
build="$top/build-bench"
out="$top/bench/out"
report="$top/bench/report.md"
smoke=0
wait_quiet=1
vhost_net=0
for a in "$@"; do
  case $a in
    --smoke) smoke=1; wait_quiet=0 ;;
    --no-wait) wait_quiet=0 ;;
    --vhost-net) vhost_net=1 ;;
    *) echo "usage: bench/run.sh [--smoke] [--no-wait] [--vhost-net]"; exit 2 ;;
  esac
done
mkdir -p "$out"
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build ($build)" >&2
if ! cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O2 -g -DNDEBUG" -DAVPS_BUILD_BENCH=ON \
    -DAVPS_BUILD_TESTS=OFF -DAVPS_BUILD_EXAMPLES=OFF >"$out/cmake.log" 2>&1 ||
   ! cmake --build "$build" -j"$jobs" --target avps-vq-bench >"$out/build.log" 2>&1; then
  tail -30 "$out/cmake.log" "$out/build.log" 2>/dev/null
  echo "FAILED: build"
  exit 1
fi
bin="$build/avps-vq-bench"

# Busy % of all CPUs over 1 s (nothing of ours runs meanwhile).
busy_pct() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x); split(b, y); t = y[2] - x[2];
    print (t > 0) ? int(100 * (y[1] - x[1]) / t) : 0}'
}

# BENCH.md §3.5: wait (up to 10 min) for 10 s in a row below 10 % busy.
quiet_note="not checked"
if [ "$wait_quiet" = 1 ]; then
  echo "== waiting for a quiet machine (10 s below 10 % CPU, at most 600 s)" >&2
  quiet=0
  for _ in $(seq 600); do
    if [ "$(busy_pct)" -lt 10 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 10 ] && break
  done
  if [ "$quiet" -ge 10 ]; then
    quiet_note="quiet (10 s below 10 % CPU) before the run"
  else
    quiet_note="NOT quiet: another process kept a CPU busy for 10 min; numbers are disturbed"
  fi
fi

# ---- instructions per chain (callgrind), one-thread configurations -----------
instr="$out/instr.tsv"
: >"$instr"
instr_note="not measured"
if [ "$smoke" = 0 ] && command -v valgrind >/dev/null 2>&1; then
  echo "== callgrind: device instructions per chain" >&2
  chains=9600
  for layout in split packed; do
    for mix in 1d 2d 4d ind4 1d+IO 1d+EI; do
      for b in 1 8 32; do
        cg="$out/cg.$layout.$mix.$b"
        if valgrind --tool=callgrind --callgrind-out-file="$cg" \
             --toggle-collect=avps_vq_pop --toggle-collect=avps_vq_pop_n --toggle-collect=avps_vq_push_n \
             --toggle-collect=avps_vq_notify \
             "$bin" --one "$layout:$mix:$b" --chains "$chains" >/dev/null 2>&1; then
          tot=$(awk '/^totals:/ {print $2}' "$cg")
          awk -v l="$layout" -v m="$mix" -v b="$b" -v t="$tot" -v c="$chains" \
            'BEGIN {printf "%s %s %s %.1f\n", l, m, b, t / c}' >>"$instr"
        fi
        rm -f "$cg"
      done
    done
  done
  instr_note="valgrind --tool=callgrind ($(valgrind --version)), $chains chains per configuration, \
collection toggled on for avps_vq_pop_n, avps_vq_push_n and avps_vq_notify (inclusive of the port \
calls); perf stat has no hardware counters in this VM (instructions: <not supported>)"
elif [ "$smoke" = 0 ]; then
  instr_note="valgrind not installed; perf stat has no hardware counters here"
fi

# ---- the virtqueue benchmark ---------------------------------------------------
echo "== avps-vq-bench" >&2
args=()
[ "$smoke" = 1 ] && args+=(--smoke)
if ! "$bin" "${args[@]}" --instr "$instr" >"$out/vq.md" 2>"$out/vq.err"; then
  cat "$out/vq.err"
  echo "FAILED: avps-vq-bench"
  exit 1
fi
echo "== avps-vq-bench --port fast (engine without the posix port's checks)" >&2
if ! "$bin" "${args[@]}" --only st --batch 32 --port fast --runs "$([ "$smoke" = 1 ] && echo 2 || echo 5)" \
     >"$out/vq-fast.md" 2>"$out/vq-fast.err"; then
  cat "$out/vq-fast.err"
  echo "FAILED: avps-vq-bench --port fast"
  exit 1
fi

echo "== avps-vq-bench --api pop (one avps_vq_pop() per chain)" >&2
if ! "$bin" "${args[@]}" --only st --batch 32 --api pop --runs "$([ "$smoke" = 1 ] && echo 2 || echo 5)" \
     >"$out/vq-pop1.md" 2>"$out/vq-pop1.err"; then
  cat "$out/vq-pop1.err"
  echo "FAILED: avps-vq-bench --api pop"
  exit 1
fi

# ---- vhost-user net against DPDK vhost (optional) --------------------------------
vn_section="$out/vhost-net.md"
if [ "$vhost_net" = 1 ]; then
  echo "== bench/vhost_net.sh" >&2
  vn_args=(--build "$build" --out "$vn_section")
  [ "$smoke" = 1 ] && vn_args+=(--smoke)
  if ! bash "$top/bench/vhost_net.sh" "${vn_args[@]}" >/dev/null; then
    echo "FAILED: bench/vhost_net.sh"
    exit 1
  fi
elif [ -f "$report" ] && grep -q '^## vhost-user net' "$report"; then
  awk '/^## vhost-user net/ {on = 1} on && /^## / && !/^## vhost-user net/ {on = 0} on' \
    "$report" >"$vn_section"
else
  rm -f "$vn_section"
fi

# ---- the plot: ns/chain against batch size, 1-descriptor chains --------------------
echo "== plot" >&2
plot_note=""
if ! command -v gnuplot >/dev/null 2>&1 && [ "$smoke" = 0 ]; then
  apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
fi
awk -v dir="$out" '
  /^### \(a\)/ { sec = "st" } /^### \(b\)/ { sec = "tt" } /^### Targets/ { sec = "" }
  sec != "" && /^\| (split|packed) \| 1d \|/ {
    n = split($0, c, "|"); v = c[5]; gsub(/[* ]/, "", v); sub(/\[.*/, "", v)
    gsub(/ /, "", c[2]); gsub(/ /, "", c[4])
    print c[4], v > (dir "/plot-" c[2] "-" sec ".dat")
  }' "$out/vq.md"
if command -v gnuplot >/dev/null 2>&1 && [ -s "$out/plot-split-st.dat" ] && [ "$smoke" = 0 ]; then
  gnuplot <<EOG 2>"$out/plot.err" || plot_note="(gnuplot failed: $(head -1 "$out/plot.err"))"
set terminal pngcairo size 800,500 noenhanced
set output "$top/bench/vq_batch.png"
set title "libavps ring engines: device ns per 1-descriptor chain ($(date -u +%Y-%m-%d), $(nproc) CPUs)"
set xlabel "batch size (chains per pop/push round)"
set ylabel "ns per chain (median)"
set logscale x 2
set xtics (1, 8, 32)
set key top right
set grid
plot "$out/plot-split-st.dat" using 1:2 with linespoints lw 2 title "split, one thread", \
     "$out/plot-packed-st.dat" using 1:2 with linespoints lw 2 title "packed, one thread", \
     "$out/plot-split-tt.dat" using 1:2 with linespoints lw 2 dt 2 title "split, two threads", \
     "$out/plot-packed-tt.dat" using 1:2 with linespoints lw 2 dt 2 title "packed, two threads"
EOG
else
  plot_note="(no plot: gnuplot not available, or a smoke run)"
fi

echo "== profile" >&2
: >"$out/profile.md"
if [ "$smoke" = 0 ] && command -v valgrind >/dev/null 2>&1; then
  for spec in split:1d:32 packed:1d:32; do
    bash "$top/bench/profile.sh" "$spec" 2>/dev/null | sed 's/^## /#### /' >>"$out/profile.md"
    echo >>"$out/profile.md"
  done
fi

echo "== size" >&2
bash "$top/bench/size.sh" >"$out/size.md" 2>"$out/size.err" || { cat "$out/size.err"; exit 1; }

# ---- the report ----------------------------------------------------------------
{
  echo "# libavps benchmark report"
  echo
  [ "$smoke" = 1 ] && echo "**SMOKE RUN: tiny counts; the numbers mean nothing.**" && echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "- Machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs, $(uname -sr)"
  echo "- Build: Release, gcc -O2 (library flags -ffreestanding -fno-common), default configuration"
  echo "- Machine load: $quiet_note"
  echo "- Instructions: $instr_note"
  echo "- See shared/BENCH.md for the physical limits these are compared with and for this VM's noise."
  echo
  echo "## Virtqueue engines (bench/vq_bench.c)"
  echo
  cat "$out/vq.md"
  echo
  if [ -z "$plot_note" ]; then
    echo "![ns per chain against batch size, split and packed, one and two threads](vq_batch.png)"
  else
    echo "$plot_note"
  fi
  echo
  echo "### Engine with a one-compare port (--port fast), one thread, B = 32"
  echo
  echo "Same as (a) but the port's map is a single bounds check and add: the difference to (a)"
  echo "is the posix port's cost (its fault-injection checks and region search)."
  echo
  sed -n '/^| Layout/,/^$/p' "$out/vq-fast.md"
  echo
  echo "### The same chains taken one avps_vq_pop() at a time (--api pop), one thread, B = 32"
  echo
  echo "The table (a) takes each round's chains with one avps_vq_pop_n(); here the device"
  echo "calls avps_vq_pop() per chain (the same engine, entered once per chain)."
  echo
  sed -n '/^| Layout/,/^$/p' "$out/vq-pop1.md"
  echo
  if [ -f "$top/bench/analysis.md" ]; then
    cat "$top/bench/analysis.md"
    echo
  fi
  if [ -s "$out/profile.md" ]; then
    echo "### Where a 1-descriptor chain's instructions go (bench/profile.sh)"
    echo
    cat "$out/profile.md"
  fi
  echo "## Size (bench/size.sh)"
  echo
  cat "$out/size.md"
  if [ -s "$vn_section" ]; then
    echo
    cat "$vn_section"
    if [ -f "$top/bench/vhost-net-analysis.md" ] && ! grep -q '^### Reading the vhost-net table' "$vn_section"; then
      echo
      cat "$top/bench/vhost-net-analysis.md"
    fi
  fi
} >"$report"

cat "$report"

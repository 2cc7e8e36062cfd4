#!/usr/bin/env bash
# bench/vhost_net.sh: the avps vhost-user net device against DPDK's vhost
# library, driven by the same DPDK virtio-user port (shared/BENCH.md §3.3 A).
#
#   bash bench/vhost_net.sh [--runs N] [--secs S] [--mem huge|nohuge] [--smoke]
#                           [--out FILE] [--report bench/report.md] [--build DIR]
#                           [--dir deq|enq]   (one direction only: a spot check)
#
# Driver: one dpdk-testpmd with a net_virtio_user port, forwarding lcore on
# CPU 0 (its main lcore on CPU 1). Backends (forwarding/poll loop on CPU 1):
#   A   dpdk-testpmd with a net_vhost port: rxonly (dequeue) / txonly (enqueue)
#   A'  the same, with the driver told in_order=0: virtio-user's non-in-order
#       paths (B offered no IN_ORDER before issue #8; A' stays as that reference)
#   B   avps-vhost-user --device net,backend=sink (dequeue) /
#       backend=source,frame-size=N (enqueue), event-driven (kicks)
#   Bp  the same with --poll (busy polling)
# Matrix: {dequeue, enqueue} x {split, packed} x {64, 1500} B, ring size 1024;
# per case the backends alternate A, A', B, Bp, A, A', ... (--runs rounds).
# Metric: the driver testpmd's Tx-pps (dequeue: frames the backend took off
# the ring) or Rx-pps (enqueue: frames the backend wrote), one sample per
# second; the leading zero samples and the first non-zero one (ramp-up) are
# dropped, the run's value is the median of the rest; a case's value is the median of its runs.
# Every run records the one-way c2c latency (bench/c2c.c) just before it and
# the CPU time of foreign processes during it (/proc/*/stat); a run with more
# than 5 % of a CPU of foreign load is discarded and repeated (twice at most,
# then kept and flagged).
#
# Needs root (hugepages, apt). Installs dpdk-dev with apt if dpdk-testpmd is
# missing. Takes about 20 min with the defaults (32 configurations x 5 runs);
# never part of scripts/test.sh. bench/run.sh --vhost-net runs it.
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
runs=5
secs=5
only_dir=""
mem=huge
smoke=0
build="$top/build-bench"
outdir="$top/bench/out/vhost-net"
out=""
report=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift ;;
    --secs) secs=$2; shift ;;
    --mem) mem=$2; shift ;;
    --smoke) smoke=1 ;;
    --out) out=$2; shift ;;
    --report) report=$2; shift ;;
    --build) build=$2; shift ;;
    --dir) only_dir=$2; shift ;;
    *) echo "usage: bench/vhost_net.sh [--runs N] [--secs S] [--mem huge|nohuge] [--smoke] [--out FILE] [--report FILE] [--build DIR] [--dir deq|enq]"; exit 2 ;;
  esac
  shift
done
[ "$smoke" = 1 ] && runs=1 && secs=4
mkdir -p "$outdir"
[ -n "$out" ] || out="$outdir/section.md"
raw="$outdir/runs.tsv"
sock="$outdir/vn.sock"
log() { echo "== $*" >&2; }

# ---- tools -----------------------------------------------------------------------
if ! command -v dpdk-testpmd >/dev/null 2>&1; then
  log "installing dpdk-dev (dpdk-testpmd)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y dpdk-dev >"$outdir/apt.log" 2>&1 ||
    { apt-get update >>"$outdir/apt.log" 2>&1 && apt-get install -y dpdk-dev >>"$outdir/apt.log" 2>&1; } ||
    { tail "$outdir/apt.log"; echo "FAILED: apt-get install dpdk-dev"; exit 1; }
fi
dpdk_ver=$(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null || echo '?')
log "build avps-vhost-user ($build, -O2)"
if ! cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O2 -g -DNDEBUG" -DAVPS_BUILD_TESTS=OFF \
    -DAVPS_BUILD_EXAMPLES=OFF >"$outdir/cmake.log" 2>&1 ||
   ! cmake --build "$build" -j"$(nproc)" --target avps-vhost-user >"$outdir/build.log" 2>&1 ||
   ! cc -O2 -pthread -o "$build/avps-c2c" "$top/bench/c2c.c" >>"$outdir/build.log" 2>&1; then
  tail -30 "$outdir/cmake.log" "$outdir/build.log"
  echo "FAILED: build"
  exit 1
fi
daemon="$build/avps-vhost-user"
c2c="$build/avps-c2c"

# ---- memory: hugepages (BENCH.md §3.2) or memfd 4 KiB pages --------------------
hp_old=""
hp_mounted=0
eal_mem=()
vu_mem=()
mem_note=""
restore_mem() {
  [ "$hp_mounted" = 1 ] && umount /dev/hugepages 2>/dev/null
  [ -n "$hp_old" ] && echo "$hp_old" >/proc/sys/vm/nr_hugepages 2>/dev/null
}
if [ "$mem" = huge ]; then
  hp_now=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$hp_now" -lt 1024 ]; then
    hp_old=$hp_now
    echo 1024 >/proc/sys/vm/nr_hugepages 2>/dev/null
  fi
  if ! mountpoint -q /dev/hugepages; then
    mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null && hp_mounted=1
  fi
  free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  if mountpoint -q /dev/hugepages && [ "${free_hp:-0}" -ge 600 ]; then
    eal_mem=(-m 512)
    vu_mem=(--single-file-segments)
    mem_note="hugepages: 2 MiB hugetlbfs pages for both testpmds (-m 512 each; virtio-user with --single-file-segments), so the driver's memory that the backend maps (mbufs, rings) is hugepage-backed for A and B alike"
  else
    log "hugepages unavailable ($free_hp free): falling back to --no-huge"
    mem=nohuge
  fi
fi
if [ "$mem" = nohuge ]; then
  eal_mem=(--no-huge -m 512)
  vu_mem=()
  mem_note="--no-huge: memfd-backed 4 KiB pages for both testpmds (-m 512 each)"
fi

# ---- processes -------------------------------------------------------------------
back_pid=""
drv_pid=""
stop_pid() { # PID: SIGINT, then SIGKILL after 5 s
  local p=$1
  [ -n "$p" ] || return 0
  kill -INT "$p" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
}
cleanup() {
  stop_pid "$drv_pid"
  stop_pid "$back_pid"
  rm -f "$sock" /dev/hugepages/avpsvh* /dev/hugepages/avpsvu* 2>/dev/null
  restore_mem
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU ticks per process: "pid ticks" for every process (comm may hold spaces).
ticks_all() {
  for f in /proc/[0-9]*/stat; do
    read -r l <"$f" 2>/dev/null && echo "${f#/proc/} ${l##*) }"
  done 2>/dev/null | awk '{split($1, a, "/"); print a[1], $12 + $13}'
}
# Foreign CPU use between two snapshots, in % of one CPU over $3 seconds,
# excluding the PIDs listed in $4 (space-separated).
foreign_pct() {
  awk -v secs="$3" -v mine="$4" -v hz="$(getconf CLK_TCK)" '
    BEGIN {n = split(mine, m, " "); for (i = 1; i <= n; i++) skip[m[i]] = 1}
    FNR == NR {a[$1] = $2; next}
    !($1 in skip) {d = $2 - (($1 in a) ? a[$1] : 0); if (d > 0) t += d}
    END {printf "%.0f", 100 * t / hz / secs}' "$1" "$2"
}

wait_sock() {
  for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
  return 1
}

# run_one DIR LAYOUT FRAME BACKEND TAG -> sets RES_V (Mpps), RES_C (c2c ns), RES_F (foreign %)
run_one() {
  local dir=$1 layout=$2 fsz=$3 be=$4 tag=$5
  local vdev="net_virtio_user0,mac=00:01:02:03:04:05,path=$sock,queues=1,queue_size=1024"
  local dfwd bfwd field blog="$outdir/$tag.backend.log" dlog="$outdir/$tag.driver.log"
  local t0 t1 c

  [ "$layout" = packed ] && vdev="$vdev,packed_vq=1"
  [ "$be" = Ai ] && vdev="$vdev,in_order=0"
  if [ "$dir" = deq ]; then dfwd=txonly; bfwd=rxonly; field=Tx-pps; else dfwd=rxonly; bfwd=txonly; field=Rx-pps; fi
  rm -f "$sock"
  c=$("$c2c" 0 1 20000 2>/dev/null || echo -1)
  t0=$(date +%s.%N)
  ticks_all >"$outdir/t0"
  case $be in
    A | Ai)
      dpdk-testpmd --lcores '0@0,1@1' "${eal_mem[@]}" --no-pci --file-prefix=avpsvh \
        --vdev "net_vhost0,iface=$sock,client=0,queues=1" -- \
        --nb-cores=1 --txd=1024 --rxd=1024 --total-num-mbufs=32768 \
        --forward-mode=$bfwd --txpkts="$fsz" --stats-period 1 </dev/null >"$blog" 2>&1 &
      back_pid=$! ;;
    B | Bp)
      local spec=net,backend=sink popt=()
      [ "$dir" = enq ] && spec="net,backend=source,frame-size=$fsz"
      [ "$be" = Bp ] && popt=(--poll)
      taskset -c 1 "$daemon" -v "${popt[@]}" --socket-path "$sock" --device "$spec" \
        </dev/null >"$blog" 2>&1 &
      back_pid=$! ;;
  esac
  if ! wait_sock; then
    stop_pid "$back_pid"; back_pid=""
    RES_V=nan; RES_C=$c; RES_F=0
    return
  fi
  dpdk-testpmd --lcores '0@1,1@0' "${eal_mem[@]}" "${vu_mem[@]}" --no-pci --file-prefix=avpsvu \
    --vdev "$vdev" -- --nb-cores=1 --txd=1024 --rxd=1024 --total-num-mbufs=32768 \
    --forward-mode=$dfwd --txpkts="$fsz" --stats-period 1 </dev/null >"$dlog" 2>&1 &
  drv_pid=$!
  for _ in $(seq 200); do # EAL and port set-up (seconds under load), then $secs of forwarding
    grep -aq "start packet forwarding" "$dlog" 2>/dev/null && break
    sleep 0.05
  done
  sleep "$secs"
  ticks_all >"$outdir/t1"
  t1=$(date +%s.%N)
  local mine="$$ $drv_pid $back_pid"
  stop_pid "$drv_pid"; drv_pid=""
  stop_pid "$back_pid"; back_pid=""
  local f v
  f=$(foreign_pct "$outdir/t0" "$outdir/t1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$mine")
  # the driver's samples of FIELD, first two and last dropped, median
  v=$(grep -a "Throughput (since last show)" -A2 "$dlog" | awk -v f="$field:" '$1 == f {print $2}' |
      awk '{s[NR] = $1} END {for (i = 1; i <= NR && s[i] + 0 == 0; i++); n = 0; for (i++; i <= NR; i++) v[++n] = s[i] + 0;
           if (n == 0) {print "nan"; exit}
           for (i = 2; i <= n; i++) {x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x}
           printf "%.3f\n", (n % 2) ? v[(n + 1) / 2] / 1e6 : (v[n / 2] + v[n / 2 + 1]) / 2e6}')
  RES_V=$v; RES_C=$c; RES_F=$f
}

# ---- the matrix ----------------------------------------------------------------
dirs=(deq enq)
layouts=(split packed)
frames=(64 1500)
bes=(A Ai B Bp)
if [ "$smoke" = 1 ]; then layouts=(split); frames=(64); fi
[ -n "$only_dir" ] && dirs=("$only_dir")
echo -e "dir\tlayout\tframe\tbackend\trun\tmpps\tc2c_ns\tforeign_pct\tattempts" >"$raw"
for dir in "${dirs[@]}"; do
  for layout in "${layouts[@]}"; do
    for fsz in "${frames[@]}"; do
      for r in $(seq "$runs"); do
        for be in "${bes[@]}"; do
          for attempt in $([ "$smoke" = 1 ] && echo 1 || echo 1 2 3); do
            run_one "$dir" "$layout" "$fsz" "$be" "$dir-$layout-$fsz-$be-$r"
            v=$RES_V c=$RES_C f=$RES_F
            [ "${f:-0}" -le 5 ] && break
            log "run disturbed by foreign load ($f % of a CPU): repeating"
          done
          log "$dir $layout $fsz $be run $r: $v Mpps (c2c $c ns, foreign $f %, attempt $attempt)"
          echo -e "$dir\t$layout\t$fsz\t$be\t$r\t$v\t$c\t$f\t$attempt" >>"$raw"
        done
      done
    done
  done
done

# ---- the section -----------------------------------------------------------------
feat_of() { # the negotiated features from a backend log (B: the daemon's -v)
  grep -ah "features 0x" "$outdir"/$1 2>/dev/null | grep -v protocol | head -1 | grep -o '0x[0-9a-f]*'
}
fB_split=$(feat_of "deq-split-64-B-1.backend.log")
fB_packed=$(feat_of "deq-packed-64-B-1.backend.log")
{
  echo "## vhost-user net: avps-vhost-user against DPDK vhost (bench/vhost_net.sh)"
  echo
  [ "$smoke" = 1 ] && echo "**SMOKE RUN: one run per configuration; the numbers mean nothing.**" && echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)'); DPDK $dpdk_ver (Debian dpdk-dev)"
  echo "- Machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs, $(uname -sr)"
  echo "- Driver: dpdk-testpmd, net_virtio_user0 (queue_size=1024, --txd/--rxd 1024, burst 32), forwarding lcore on CPU 0; backend forwarding lcore / avps-vhost-user (taskset) on CPU 1"
  echo "- Memory: $mem_note"
  echo "- Backends: **A** DPDK net_vhost in dpdk-testpmd (rxonly for dequeue, txonly for enqueue); **A'** the same with the driver's in_order=0; **B** avps-vhost-user event-driven (kicks through eventfds); **Bp** avps-vhost-user --poll. B is backend=sink (dequeue) or backend=source,frame-size=N (enqueue)"
  echo "- Negotiated features: A split 0x950008000 / packed 0xd50008000 (IN_ORDER, MRG_RXBUF, INDIRECT_DESC, VERSION_1, PROTOCOL_FEATURES; from BENCH.md §3.2, same DPDK build); B split ${fB_split:-?} / packed ${fB_packed:-?} (IN_ORDER offered since issue #8, so virtio-user takes its in-order paths with B as with A; A' is the non-in-order reference)"
  echo "- Metric: the driver's Tx-pps (dequeue) or Rx-pps (enqueue) once per second over $secs s of forwarding; leading zero samples and the first non-zero one (ramp-up) dropped, median per run; median [min–max] over $runs runs per configuration, runs alternating A, A', B, Bp. c2c: one-way core-to-core latency (bench/c2c.c) measured before each run, median [min–max] of the row's runs. Runs with > 5 % of a CPU used by foreign processes (/proc/*/stat) were repeated (up to 3 attempts)."
  echo
  echo "| Direction | Ring | Frame | A Mpps | A' Mpps | B Mpps | Bp Mpps | B/A | B/A' | Bp/A | Bp/A' | c2c ns | Repeated / flagged runs |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {
      k = $1 SUBSEP $2 SUBSEP $3
      if (!(k in seen)) {seen[k] = 1; order[++nk] = k}
      n[k, $4]++; v[k, $4, n[k, $4]] = $6
      nc[k]++; c[k, nc[k]] = $7
      if ($9 > 1) rep[k] += $9 - 1
      if ($8 > 5) flag[k]++
    }
    function med(arr, m,   i, j, t, x) {
      for (i = 1; i <= m; i++) t[i] = arr[i]
      for (i = 2; i <= m; i++) {x = t[i]; for (j = i - 1; j >= 1 && t[j] > x; j--) t[j + 1] = t[j]; t[j + 1] = x}
      return (m % 2) ? t[(m + 1) / 2] : (t[m / 2] + t[m / 2 + 1]) / 2
    }
    function stat(k, b,   i, m, t, lo, hi, x) {
      m = 0
      for (i = 1; i <= n[k, b]; i++) if (v[k, b, i] != "nan") t[++m] = v[k, b, i] + 0
      if (m == 0) {S[b] = "n/a"; M[b] = 0; return}
      lo = hi = t[1]; for (i = 2; i <= m; i++) {if (t[i] < lo) lo = t[i]; if (t[i] > hi) hi = t[i]}
      M[b] = med(t, m); S[b] = sprintf("**%.2f** [%.2f–%.2f]", M[b], lo, hi)
    }
    function ratio(x, y) {return (y > 0 && x > 0) ? sprintf("%.2f", x / y) : "n/a"}
    END {
      for (j = 1; j <= nk; j++) {
        k = order[j]; split(k, f, SUBSEP)
        stat(k, "A"); stat(k, "Ai"); stat(k, "B"); stat(k, "Bp")
        for (i = 1; i <= nc[k]; i++) cc[i] = c[k, i] + 0
        lo = hi = cc[1]; for (i = 2; i <= nc[k]; i++) {if (cc[i] < lo) lo = cc[i]; if (cc[i] > hi) hi = cc[i]}
        printf "| %s | %s | %s B | %s | %s | %s | %s | %s | %s | %s | %s | %.0f [%.0f–%.0f] | %d / %d |\n",
          (f[1] == "deq" ? "dequeue (driver tx)" : "enqueue (driver rx)"), f[2], f[3],
          S["A"], S["Ai"], S["B"], S["Bp"], ratio(M["B"], M["A"]), ratio(M["B"], M["Ai"]),
          ratio(M["Bp"], M["A"]), ratio(M["Bp"], M["Ai"]), med(cc, nc[k]), lo, hi, rep[k], flag[k]
      }
    }' "$raw"
  echo
  echo "<details><summary>Every run (Mpps, c2c ns before the run, foreign load in % of a CPU, attempt)</summary>"
  echo
  echo "| Direction | Ring | Frame | Backend | Run | Mpps | c2c ns | Foreign % | Attempt |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {b = ($4 == "Ai") ? "A'"'"'" : $4; printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, b, $5, $6, $7, $8, $9}' "$raw"
  echo
  echo "</details>"
} >"$out"

# ---- splice into the report: replace this section, keep everything else ---------
if [ -n "$report" ]; then
  if [ -f "$report" ]; then
    awk -v sec="$out" '
      /^## vhost-user net/ {skip = 1; while ((getline l < sec) > 0) print l; next}
      skip && /^## / && !/^## vhost-user net/ {skip = 0}
      !skip {print}
      END {}' "$report" >"$report.new"
    grep -q '^## vhost-user net' "$report" || { echo; cat "$out"; } >>"$report.new"
    mv "$report.new" "$report"
  else
    cp "$out" "$report"
  fi
fi
cat "$out"

#!/usr/bin/env bash
# bench/profile.sh: where one one-thread configuration spends its instructions
# (callgrind, exact) and its time (perf record -e cpu-clock, sampled).
#
#   bash bench/profile.sh split:1d:32            # per-function table, per chain
#   bash bench/profile.sh packed:4d:32 --lines   # plus the hottest source lines
#
# Needs build-bench (bash bench/run.sh builds it). Instruction counts are
# per chain and self (not inclusive); "device" means lib/ + the port.
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
bin="$top/build-bench/avps-vq-bench"
spec=${1:-split:1d:32}
lines=0
[ "${2:-}" = "--lines" ] && lines=1
chains=32000
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

[ -x "$bin" ] || { echo "build first: bash bench/run.sh --smoke"; exit 1; }

valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
  --toggle-collect=avps_vq_pop --toggle-collect=avps_vq_pop_n --toggle-collect=avps_vq_push_n \
  --toggle-collect=avps_vq_notify "$bin" --one "$spec" --chains "$chains" >/dev/null 2>&1 ||
  { echo "callgrind failed"; exit 1; }
total=$(awk '/^totals:/ {print $2}' "$out/cg")
echo "## $spec: device instructions per chain (callgrind, self cost per function)"
echo
echo "| Instr/chain | Share | Function |"
echo "|---|---|---|"
callgrind_annotate --show-percs=no "$out/cg" 2>/dev/null |
  awk -v c="$chains" -v t="$total" '
    /file:function/ {f = 1; next}
    f && /^-+$/ {next}
    f && NF == 0 && n > 0 {exit}
    f && $1 ~ /^[0-9,]+$/ {
      v = $1; gsub(",", "", v); $1 = ""; sub(/^ +/, "");
      sub(/ \[.*\]$/, ""); sub(/^.*\/(lib|ports|bench|sysdeps|string)\//, "");
      if (v / c >= 0.5) printf "| %.1f | %.0f%% | %s |\n", v / c, 100 * v / t, $0; n++ }'
awk -v c="$chains" -v t="$total" 'BEGIN {printf "| **%.1f** | 100%% | total |\n", t / c}'

if [ "$lines" = 1 ]; then
  echo
  echo "### Hottest source lines (instructions per chain)"
  echo
  callgrind_annotate --auto=yes --show-percs=no "$out/cg" 2>/dev/null |
    awk -v c="$chains" '
      /Auto-annotated source:/ {file = $NF; sub(/^.*\/(lib|ports)\//, "", file); next}
      file != "" && $1 ~ /^[0-9,]+$/ && $2 != "=>" && $2 != "events" {
        v = $1; gsub(",", "", v); $1 = ""; sub(/^ +/, "");
        if (v / c >= 2) printf "%.1f\t%s: %s\n", v / c, file, substr($0, 1, 90) }' |
    sort -rn | head -30 | awk -F'\t' '{printf "    %6s  %s\n", $1, $2}'
fi

if command -v perf >/dev/null 2>&1; then
  echo
  echo "## $spec: time (perf record -e cpu-clock, driver included, self)"
  echo
  if perf record -q -e cpu-clock -o "$out/perf.data" "$bin" --one "$spec" \
       --chains 20000000 >/dev/null 2>&1; then
    perf report -i "$out/perf.data" --stdio --no-children 2>/dev/null |
      awk '/^ +[0-9.]+%/ && $1 + 0 >= 0.5 {printf "    %7s  %s\n", $1, $NF}' | head -25
  else
    echo "perf record failed"
  fi
fi

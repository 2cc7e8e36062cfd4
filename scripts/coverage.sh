#!/usr/bin/env bash
# Line and branch coverage of lib/ from the unit tests, with a gate.
#
# Usage: scripts/coverage.sh [--html]
#
# Builds its own tree in build-cov (gcc, -O0 --coverage, Debug, tests on,
# examples off), runs ctest, collects coverage of lib/ only with lcov, prints
# the per-file table and one summary line
#   coverage: lines X% (n/m), branches Y% (n/m)
# and exits non-zero when a test fails, when lines < 95 % or when
# branches < 90 %. --html also writes an HTML report to build-cov/html.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
out="$top/build-cov"
jobs=$(nproc 2>/dev/null || echo 2)
min_lines=95
min_branches=90
html=0

for a in "$@"; do
  case "$a" in
    --html) html=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "coverage.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

bash scripts/deps.sh || { echo "dependency install failed"; exit 1; }
if ! command -v lcov >/dev/null 2>&1 || ! command -v genhtml >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "== installing: lcov"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq &&
         $SUDO apt-get install -y -qq --no-install-recommends lcov >/dev/null; }; then
    echo "lcov install failed"; exit 1
  fi
fi

rc_br=(--rc lcov_branch_coverage=1)
fail=0

echo "== configure and build ($out)"
# A tree configured with other flags or another compiler is started afresh
# (CMake drops -D options when it resets a cache for a compiler change).
cache="$out/CMakeCache.txt"
# tests/test_fdt.c leaves run_capture() unused when examples are off; keep
# that one warning from failing this build (scripts/test.sh builds examples).
cflags="-O0 --coverage -Wno-error=unused-function"
if [ -f "$cache" ] && ! { grep -qx "CMAKE_C_FLAGS:STRING=$cflags" "$cache" &&
                          grep -q '^CMAKE_C_COMPILER:.*gcc$' "$cache"; }; then
  rm -rf "$out"
fi
mkdir -p "$out"
if ! cmake -S "$top" -B "$out" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
     -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="--coverage" \
     -DAVPS_BUILD_TESTS=ON -DAVPS_BUILD_EXAMPLES=OFF -DAVPS_SANITIZE=OFF \
     >"$out/cmake.log" 2>&1; then
  cat "$out/cmake.log"; echo "FAILED: configure"; exit 1
fi
if ! cmake --build "$out" -j"$jobs" >"$out/build.log" 2>&1; then
  grep -E 'error|warning' "$out/build.log" | head -40; echo "FAILED: build"; exit 1
fi

# Counters from an earlier run must not count twice.
lcov --quiet --zerocounters --directory "$out" >/dev/null 2>&1
find "$out" -name '*.gcda' -delete

echo "== unit tests"
if ! (cd "$out" && ctest --output-on-failure -j"$jobs") >"$out/ctest.log" 2>&1; then
  grep -E 'tests passed|tests failed|\*\*\*Failed|\(Failed\)|\[  FAILED  \]' "$out/ctest.log" | head -40
  echo "FAILED: ctest (coverage below is from a failing run)"
  fail=1
else
  grep -E 'tests passed' "$out/ctest.log"
fi

echo "== coverage of lib/"
all="$out/coverage-all.info"
info="$out/coverage.info"
if ! lcov --quiet "${rc_br[@]}" --capture --directory "$out" --base-directory "$top" \
       --output-file "$all" >"$out/lcov.log" 2>&1; then
  cat "$out/lcov.log"; echo "FAILED: lcov capture"; exit 1
fi
if ! lcov --quiet "${rc_br[@]}" --extract "$all" "$top/lib/*" --output-file "$info" \
       >>"$out/lcov.log" 2>&1; then
  cat "$out/lcov.log"; echo "FAILED: lcov extract"; exit 1
fi

lcov --quiet "${rc_br[@]}" --list "$info" 2>/dev/null | sed "s|$top/||"

# Totals straight from the tracefile: LF/LH lines, BRF/BRH branches.
read -r lh lf bh bf < <(awk -F: '
  $1=="LH"{lh+=$2} $1=="LF"{lf+=$2} $1=="BRH"{bh+=$2} $1=="BRF"{bf+=$2}
  END {print lh+0, lf+0, bh+0, bf+0}' "$info")
pct() { awk -v n="$1" -v m="$2" 'BEGIN { if (m == 0) print "0.0"; else printf "%.1f", 100 * n / m }'; }
below() { awk -v n="$1" -v m="$2" -v t="$3" 'BEGIN { exit !(m == 0 || 100 * n < t * m) }'; }

if [ "$html" -eq 1 ]; then
  rm -rf "$out/html"
  if genhtml --quiet "${rc_br[@]}" --prefix "$top" --title "libavps lib/" \
       --output-directory "$out/html" "$info" >>"$out/lcov.log" 2>&1; then
    echo "html: $out/html/index.html"
  else
    echo "FAILED: genhtml (see $out/lcov.log)"; fail=1
  fi
fi

# For the reader: how many of the branches never taken sit on AVPS_ASSERT
# lines, whose failing side traps (the embedding program's contract checks,
# STYLE rule 9) and so cannot be taken by a test that goes on running.
asserts=$(awk -F'[:,]' '
  $1 == "SF" { delete src; n = 0; while ((getline l < $2) > 0) src[++n] = l; close($2) }
  $1 == "BRDA" && ($5 == "-" || $5 == "0") && src[$2] ~ /AVPS_ASSERT/ { c++ }
  END { print c + 0 }' "$info")
echo "branches not taken: $((bf - bh)), of which $asserts on AVPS_ASSERT lines"
echo "coverage: lines $(pct "$lh" "$lf")% ($lh/$lf), branches $(pct "$bh" "$bf")% ($bh/$bf)"
if below "$lh" "$lf" "$min_lines"; then
  echo "FAILED: line coverage below ${min_lines}%"; fail=1
fi
if below "$bh" "$bf" "$min_branches"; then
  echo "FAILED: branch coverage below ${min_branches}%"; fail=1
fi
exit $fail

#!/usr/bin/env bash
# Run the real-guest matrix: {q35, microvm} x {split, packed} for each guest
# test, one boot each (sequential: TCG keeps a core busy per guest).
#
# Usage: tests/guest/suite.sh [options] [BACKEND [SOCKET]]
#   BACKEND, SOCKET   as for run.sh (default: builtin)
#   --tests "rng ..."  guest tests to run (default: rng)
#   -v                 show run.sh's per-check lines too
#   any other option (--daemon CMD, --expect-pattern P, --timeout S, ...) is
#   passed to run.sh unchanged.
# Prints "guest: <machine>-<ring>-<test> PASS|FAIL (time)" per run and a final
# "guest: N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tests="rng" verbose=0
pass_opts=() pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) tests="$2"; shift 2 ;;
    -v) verbose=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --daemon|--host-cmd|--host|--expect-pattern|--timeout|--stall|--retries|--append|--mem|--tsc-khz|--chaos|\
    --image-size|--num-queues|--smp)
      pass_opts+=("$1" "$2"); shift 2 ;;
    --image-unchanged)
      pass_opts+=("$1"); shift ;;
    -*) echo "suite.sh: unknown option $1" >&2; exit 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
backend=("${pos[@]:-builtin}")

# Build once up front so the first run's time is boot+test only.
"$here/setup.sh" >/dev/null 2>"${TMPDIR:-/tmp}/avps-guest-setup.$$" || {
  cat "${TMPDIR:-/tmp}/avps-guest-setup.$$" >&2; rm -f "${TMPDIR:-/tmp}/avps-guest-setup.$$"
  echo "guest: 0 passed, 1 failed"; exit 1; }
rm -f "${TMPDIR:-/tmp}/avps-guest-setup.$$"

passed=0 failed=0 start=$SECONDS
for t in $tests; do
  for m in q35 microvm; do
    for r in split packed; do
      out="$("$here/run.sh" "${pass_opts[@]}" "$m" "$r" "$t" "${backend[@]}" 2>&1)"
      rc=$?
      last="$(printf '%s\n' "$out" | tail -n1)"
      time="$(printf '%s\n' "$last" | sed -n 's/.* in \([0-9.]*s\) (boot+test, attempt \([0-9]*\), \([0-9.]*s\) total).*/\1 boot+test, attempt \2, \3 total/p')"
      if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); echo "guest: $m-$r-$t PASS${time:+ ($time)}"
      else
        failed=$((failed + 1)); echo "guest: $m-$r-$t FAIL${time:+ ($time)}"
        # Show why: the failed checks and the closing line.
        printf '%s\n' "$out" | grep -e ' FAIL' -e 'stall' -e 'log ' | sed 's/^/  /'
      fi
      [ "$verbose" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/  /'
    done
  done
done
echo "guest: matrix took $((SECONDS - start))s"
echo "guest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

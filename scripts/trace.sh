#!/usr/bin/env bash
# Traceability check between the unit tests and docs/conformance.md.
#
# Usage: scripts/trace.sh [-v]
#
# Tests are the names registered in a cmocka CMUnitTest array in tests/*.c.
# A test named test_<n>_<n>_..._<word>... carries the VIRTIO clause n.n...
# (test_4_2_2_1_magic_value -> 4.2.2.1); other names (test_cve_*, test_mangle_*,
# test_vq_*, ...) carry none. docs/conformance.md lists clauses in table rows
# whose first cell starts with the clause number; the row names its tests in
# backquotes: exact names, glob patterns (`test_2_7_7_2_*`) and brace forms
# (`test_4_2_3_1_1_init_sequence_rng_{split,packed}`).
#
# Problems (each printed, exit status 1):
#   - a test carries a clause the document does not list;
#   - a clause row names no test that exists;
#   - a name or pattern in the document matches no test;
#   - a test function is defined but not registered (it never runs).
# The last line is "trace: N clauses, M tests, K problems" (N clauses listed,
# M tests that carry a clause). -v also prints every clause with its tests.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
doc=docs/conformance.md
verbose=0
[ "${1:-}" = "-v" ] && verbose=1
problems=0
found=()
problem() { found+=("trace: $*"); problems=$((problems + 1)); }

[ -f "$doc" ] || { echo "trace: $doc missing"; exit 1; }

# ---- the tests ------------------------------------------------------------
declare -A registered=() defined=() file_of=()
for f in tests/*.c; do
  base=$(basename "$f" .c)
  # names inside every "struct CMUnitTest name[] = { ... };" array
  while read -r t; do
    [ -n "$t" ] || continue
    registered[$t]=1
    file_of[$t]=$base
  done < <(awk '/struct CMUnitTest/ {on = 1} on {print} on && /};/ {on = 0}' "$f" |
           grep -oE '\btest_[A-Za-z0-9_]+' | sort -u)
  # test functions: void test_x(void **...), and the BOTH()/ONE() helpers
  # of test_hostile.c that define name_split/name_packed or name
  while read -r t; do
    [ -n "$t" ] && defined[$t]=$base
  done < <(grep -oE '\bvoid[[:space:]]+test_[A-Za-z0-9_]+[[:space:]]*\([[:space:]]*void[[:space:]]*\*\*' "$f" |
           grep -oE 'test_[A-Za-z0-9_]+'
           grep -oE '^BOTH\(test_[A-Za-z0-9_]+\)' "$f" | grep -oE 'test_[A-Za-z0-9_]+' |
             sed -e 'p' -e 's/$/_packed/' | sed -e '/_packed$/!s/$/_split/'
           grep -oE '^ONE\(test_[A-Za-z0-9_]+,' "$f" | grep -oE 'test_[A-Za-z0-9_]+')
done
for t in "${!defined[@]}"; do
  [ -n "${registered[$t]:-}" ] || problem "$t (${defined[$t]}) is defined but not registered"
done

# clause of a test name, or nothing
clause_of() {
  local n=${1#test_} c=""
  while [[ $n =~ ^([0-9]+)_(.*)$ ]]; do
    c=${c:+$c.}${BASH_REMATCH[1]}
    n=${BASH_REMATCH[2]}
  done
  # the name goes on with a word (which may start with digits: 64bit)
  [[ -n $c && -n $n && ! $n =~ ^[0-9]+$ ]] && echo "$c"
}

declare -A test_clause=()
ntests=0
for t in "${!registered[@]}"; do
  c=$(clause_of "$t")
  if [ -n "$c" ]; then
    test_clause[$t]=$c
    ntests=$((ntests + 1))
  fi
done

# ---- the document -----------------------------------------------------------
# Expand brace groups ({a,b}) in one pattern, one result per line.
expand() {
  local p=$1 pre alts post alt
  if [[ $p =~ ^([^{]*)\{([^{}]*)\}(.*)$ ]]; then
    pre=${BASH_REMATCH[1]}
    alts=${BASH_REMATCH[2]}
    post=${BASH_REMATCH[3]}
    IFS=, read -r -a parts <<<"$alts"
    for alt in "${parts[@]}"; do
      expand "$pre$alt$post"
    done
  else
    echo "$p"
  fi
}

# a backquoted test name or pattern
# shellcheck disable=SC2016 # the backquotes are literal
name_re='`test_[A-Za-z0-9_*{},]+`'
declare -A listed=() clause_ok=() clause_tests=()
while IFS= read -r line; do
  [[ $line =~ ^\| ]] || continue
  first=${line#|}
  first=${first%%|*}
  first=${first#"${first%%[![:space:]]*}"}
  [[ $first =~ ^([0-9]+(\.[0-9]+)*) ]] || continue
  c=${BASH_REMATCH[1]}
  listed[$c]=1
  [ -n "${clause_ok[$c]:-}" ] || clause_ok[$c]=0
  rest=${line#|}
  rest=${rest#*|}
  while read -r pat; do
    [ -n "$pat" ] || continue
    while read -r p; do
      hit=0
      for t in "${!registered[@]}"; do
        # shellcheck disable=SC2053 # $p is a glob on purpose
        if [[ $t == $p ]]; then
          hit=1
          clause_tests[$c]+=" $t"
        fi
      done
      if [ $hit -eq 1 ]; then
        clause_ok[$c]=1
      else
        problem "$doc names $p (clause $c), which matches no test"
      fi
    done < <(expand "$pat")
  done < <(grep -oE "$name_re" <<<"$rest" | tr -d '`')
done <"$doc"

for c in "${!clause_ok[@]}"; do
  [ "${clause_ok[$c]}" = 1 ] || problem "clause $c in $doc has no existing test"
done
for t in "${!test_clause[@]}"; do
  c=${test_clause[$t]}
  [ -n "${listed[$c]:-}" ] || problem "$t (${file_of[$t]}) names clause $c, which $doc does not list"
done

if [ $verbose -eq 1 ]; then
  for c in $(printf '%s\n' "${!listed[@]}" | sort -V); do
    echo "$c:$(tr ' ' '\n' <<<"${clause_tests[$c]:-}" | sort -u | tr '\n' ' ')"
  done
fi
[ $problems -eq 0 ] || printf '%s\n' "${found[@]}" | sort
echo "trace: ${#listed[@]} clauses, $ntests tests, $problems problems"
[ $problems -eq 0 ]

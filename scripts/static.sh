#!/usr/bin/env bash
# Static-analysis gates for lib/ and include/avps, in the default build
# configuration:
#   1. cppcheck 2.10 (warning, style, performance, portability) with the MISRA
#      C:2012 addon. Zero findings, except the deviations documented in
#      docs/misra-deviations.md, which this script turns into cppcheck's
#      suppressions file (see that document for the rules).
#   2. clang-tidy 14 with the committed .clang-tidy over every source of lib/,
#      from a compile_commands.json generated here. Zero warnings.
#   3. Stack usage: lib/ built with gcc -O2 -fstack-usage; the 15 largest frames
#      are listed and every public entry point's own frame is checked against
#      its budget in docs/stack-budget.md (whole call chains are out of scope).
#      No frame may be dynamic (VLA, alloca) unless gcc proves it bounded.
# Exits non-zero on any finding; the last line is a one-line summary.
#
# Usage: bash scripts/static.sh [--stack-table]
#   --stack-table  also print docs/stack-budget.md table rows for the current
#                  measurements (budget rule: see that document).
# Needs: cmake, gcc, cppcheck (with python3), clang-tidy-14 (Debian 12 packages).
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
out="$top/build-static"
stack_table=0
[ "${1:-}" = "--stack-table" ] && stack_table=1

die() { echo "static: $*" >&2; exit 2; }

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
for tool in cmake gcc cppcheck python3 nm; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ -n "$tidy" ] || die "missing tool: clang-tidy-14"

rm -rf "$out"
mkdir -p "$out/su"

# ---- compile_commands.json for the default configuration -----------------
if ! cmake -S "$top" -B "$out/cc" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
     -DAVPS_BUILD_TESTS=OFF -DAVPS_BUILD_EXAMPLES=OFF >"$out/cmake.log" 2>&1; then
  cat "$out/cmake.log"; die "cmake configure failed"
fi
# The defines and include paths the library is built with (lib/core/core.c
# stands for every file of target avps; lib/fdt adds libfdt's include path).
eval "$(python3 - "$out/cc/compile_commands.json" "$top" <<'EOF'
import json, os, shlex, sys
db, top = json.load(open(sys.argv[1])), sys.argv[2]
def flags(entry):
    args = entry.get('arguments') or shlex.split(entry['command'])
    d = [a for a in args if a.startswith('-DAVPS_CONFIG_')]
    i = []
    for a in args:
        if a.startswith('-I'):
            p = os.path.relpath(a[2:], top) if a[2:].startswith(top) else a[2:]
            i.append('-I' + p)
    return d, i
srcs = sorted(os.path.relpath(e['file'], top) for e in db
              if os.path.relpath(e['file'], top).startswith('lib/'))
core = [e for e in db if e['file'].endswith('lib/core/core.c')]
if not core:
    sys.exit('lib/core/core.c is not in compile_commands.json')
d, i = flags(core[0])
print('defs=(%s)' % ' '.join(shlex.quote(x) for x in d))
print('incs=(%s)' % ' '.join(shlex.quote(x) for x in i))
print('srcs=(%s)' % ' '.join(shlex.quote(x) for x in srcs))
EOF
)" || die "cannot read compile_commands.json"
[ "${#defs[@]}" -gt 0 ] || die "no AVPS_CONFIG_* defines in compile_commands.json"
# Every source of lib/ must be in the build: a file CMake does not know is a
# file nothing checks.
for f in $(find lib -name '*.c' | sort); do
  printf '%s\n' "${srcs[@]}" | grep -qx "$f" || die "$f is not built by CMakeLists.txt"
done

# ---- MISRA deviations -> cppcheck suppressions ---------------------------
if ! python3 - docs/misra-deviations.md "$out/deviations.json" "$out/misra.supp" <<'EOF'
import json, re, sys
rows = []
for n, line in enumerate(open(sys.argv[1]), 1):
    if not re.match(r'\|\s*Rule \d', line):
        continue
    cells = [c.strip().replace('\\|', '|')
             for c in re.split(r'(?<!\\)\|', line.strip())[1:-1]]
    if len(cells) not in (3, 4):
        sys.exit('docs/misra-deviations.md:%d: want | Rule | why | where | pattern |' % n)
    m = re.fullmatch(r'Rule (\d+\.\d+)', cells[0])
    if not m or not cells[1] or not cells[2]:
        sys.exit('docs/misra-deviations.md:%d: malformed deviation row' % n)
    pat = cells[3] if len(cells) == 4 and cells[3] not in ('', '-') else None
    if pat is not None:
        re.compile(pat)
    rows.append({'line': n, 'rule': m.group(1), 'why': cells[1], 'pattern': pat,
                 'where': [w.strip() for w in cells[2].split(',') if w.strip()]})
if not rows:
    sys.exit('docs/misra-deviations.md: no deviation rows')
json.dump(rows, open(sys.argv[2], 'w'))
with open(sys.argv[3], 'w') as f:
    for r in rows:
        for w in r['where']:
            f.write('misra-c2012-%s:%s\n' % (r['rule'], w))
EOF
then
  die "cannot read docs/misra-deviations.md"
fi

# ---- run the tools (in parallel) -----------------------------------------
# The MISRA addon, given a rule-texts file that names no real rule: the rule
# texts are not shipped, and without such a file every finding carries the same
# message, so cppcheck drops all but one of the findings on a line as duplicates.
# With it, each message names its rule ("misra violation 1105 ...") and stays.
printf 'Appendix A Summary of guidelines\nRule 99.99 Advisory\nPlaceholder: rule texts not shipped.\n' \
  >"$out/misra-rule-ids.txt"
printf '{"script": "misra.py", "args": ["--rule-texts=%s"]}\n' "$out/misra-rule-ids.txt" \
  >"$out/misra.json"
cpp_args=(--enable=warning,style,performance,portability --inline-suppr --error-exitcode=1
          --addon="$out/misra.json" --language=c --std=c11 -q "${incs[@]}" "${defs[@]}"
          --template='{file}:{line}:{column}:{severity}:{id}:{message}')
# Separate build directories: each run keeps its dump and whole-program files
# there (not next to the sources), so the two runs cannot overwrite each other.
mkdir -p "$out/cppcheck-raw" "$out/cppcheck-gated"
cppcheck "${cpp_args[@]}" --cppcheck-build-dir="$out/cppcheck-raw" lib include \
  >"$out/cppcheck-raw.txt" 2>&1 &
pid_raw=$!
cppcheck "${cpp_args[@]}" --cppcheck-build-dir="$out/cppcheck-gated" \
  --suppressions-list="$out/misra.supp" lib include >"$out/cppcheck.txt" 2>&1 &
pid_gated=$!

printf '%s\n' "${srcs[@]}" |
  xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} "$tidy" --quiet -p "$out/cc" {} \
  >"$out/clang-tidy.txt" 2>"$out/clang-tidy.err" &
pid_tidy=$!

stack_rc=0
for f in "${srcs[@]}"; do
  o="$out/su/$(echo "$f" | tr / _).o"
  gcc -std=c11 -O2 -ffreestanding -fno-common -fstack-usage "${incs[@]}" "${defs[@]}" \
    -c "$f" -o "$o" 2>>"$out/stack-build.log" || stack_rc=1
done

wait $pid_raw
wait $pid_gated
gated_rc=$?
wait $pid_tidy
tidy_rc=$?

fail=0

# ---- 1. cppcheck -----------------------------------------------------------
echo "== cppcheck $(cppcheck --version | awk '{print $2}') + MISRA C:2012 addon (${#defs[@]} AVPS_CONFIG defines)"
if grep -qiE 'bailing out|internal error|traceback|failed to execute' \
     "$out/cppcheck-raw.txt" "$out/cppcheck.txt"; then
  grep -hiE -A3 'bailing out|internal error|traceback|failed to execute' \
    "$out/cppcheck-raw.txt" "$out/cppcheck.txt" | head -20
  echo "FAILED: cppcheck or its MISRA addon did not finish"
  fail=1
fi
inline=$(grep -rnE 'cppcheck-suppress.*misra' lib include || true)
if [ -n "$inline" ]; then
  echo "$inline"
  echo "FAILED: inline MISRA suppressions; record deviations in docs/misra-deviations.md"
  fail=1
fi
cpp_summary=$(python3 - "$out/cppcheck-raw.txt" "$out/cppcheck.txt" "$out/deviations.json" <<'EOF'
import fnmatch, json, re, sys
from collections import Counter, defaultdict
def findings(path):
    out = []
    for line in open(path, errors='replace'):
        m = re.match(r'(.+?):(\d+):(\d+):(\w+):([\w.-]+):(.*)$', line.rstrip('\n'))
        if m:
            out.append((m.group(1), int(m.group(2)), m.group(5), m.group(6)))
    return out
raw, gated = findings(sys.argv[1]), findings(sys.argv[2])
rows = json.load(open(sys.argv[3]))
src = {}
def text(f, n):
    if f not in src:
        try:
            src[f] = open(f, errors='replace').read().split('\n')
        except OSError:
            src[f] = []
    return src[f][n - 1] if 0 < n <= len(src[f]) else ''
def rule_of(fid):
    return fid[len('misra-c2012-'):] if fid.startswith('misra-c2012-') else fid
used = Counter()
total, dev = Counter(), Counter()
bad = []
for f, n, fid, msg in raw:
    rule = rule_of(fid)
    total[rule] += 1
    hit = None
    for i, r in enumerate(rows):
        if r['rule'] == rule and any(fnmatch.fnmatchcase(f, w) for w in r['where']):
            hit = i
            break
    if hit is not None and rows[hit]['pattern'] and not re.search(rows[hit]['pattern'], text(f, n)):
        bad.append('%s:%d: [%s] not the documented deviation (line must match %r): %s'
                   % (f, n, fid, rows[hit]['pattern'], text(f, n).strip()))
        continue
    if hit is None:
        bad.append('%s:%d: [%s] %s | %s' % (f, n, fid, msg.strip(), text(f, n).strip()))
        continue
    used[hit] += 1
    dev[rule] += 1
def key(r):
    return [int(x) if x.isdigit() else 0 for x in r.split('.')] if r[0].isdigit() else [999]
print('  %-12s %8s %9s %6s' % ('rule', 'findings', 'deviated', 'open'))
for r in sorted(total, key=key):
    print('  %-12s %8d %9d %6d' % (r, total[r], dev[r], total[r] - dev[r]))
print('  %-12s %8d %9d %6d' % ('total', sum(total.values()), sum(dev.values()),
                                sum(total.values()) - sum(dev.values())))
print('  documented deviations: %d rows, %d findings covered' % (len(rows), sum(used.values())))
stale = [r for i, r in enumerate(rows) if used[i] == 0]
for r in stale:
    print('  STALE: docs/misra-deviations.md:%d: Rule %s (%s) covers no finding; delete it'
          % (r['line'], r['rule'], ', '.join(r['where'])))
for b in bad:
    print('  ' + b)
if gated:
    print('  with the suppressions from docs/misra-deviations.md, cppcheck still reports:')
    for f, n, fid, msg in gated:
        print('  %s:%d: [%s] %s' % (f, n, fid, msg.strip()))
print('RESULT %d %d %d %d %d' % (len(bad), len(gated), len(stale), len(rows), sum(used.values())))
EOF
) || { echo "$cpp_summary"; echo "FAILED: cannot evaluate cppcheck output"; fail=1; }
echo "$cpp_summary" | grep -v '^RESULT'
read -r _ cpp_open cpp_gated cpp_stale dev_rows dev_found <<<"$(echo "$cpp_summary" | grep '^RESULT' || echo 'RESULT 1 1 0 0 0')"
if [ "$cpp_open" -ne 0 ] || [ "$cpp_gated" -ne 0 ] || [ "$gated_rc" -ne 0 ]; then
  echo "FAILED: cppcheck findings that are neither fixed nor documented"
  fail=1
fi
if [ "$cpp_stale" -ne 0 ]; then
  echo "FAILED: stale deviations in docs/misra-deviations.md"
  fail=1
fi
cpp_n=$((cpp_open > cpp_gated ? cpp_open : cpp_gated))

# ---- 2. clang-tidy ---------------------------------------------------------
echo "== $("$tidy" --version | grep -o 'LLVM version [0-9.]*' | sed 's/LLVM/clang-tidy/') (.clang-tidy, ${#srcs[@]} files)"
tidy_list=$(python3 - "$out/clang-tidy.txt" <<'EOF'
import os, re, sys
seen = set()
for line in open(sys.argv[1], errors='replace'):
    m = re.match(r'(/[^:]+):(\d+):(\d+): (warning|error): (.*)$', line.rstrip('\n'))
    if m:
        k = (os.path.realpath(m.group(1)), m.group(2), m.group(3), m.group(5))
        if k not in seen:
            seen.add(k)
            print('%s:%s:%s: %s: %s' % (os.path.relpath(k[0]), k[1], k[2], m.group(4), k[3]))
EOF
)
tidy_n=$(printf '%s' "$tidy_list" | grep -c . || true)
if [ -n "$tidy_list" ]; then
  echo "$tidy_list" | sed 's/^/  /'
fi
echo "  warnings: $tidy_n"
if [ "$tidy_n" -ne 0 ] || [ "$tidy_rc" -ne 0 ]; then
  [ "$tidy_n" -ne 0 ] || grep -v 'warnings generated' "$out/clang-tidy.err" | head -20
  echo "FAILED: clang-tidy"
  fail=1
fi

# ---- 3. stack usage --------------------------------------------------------
echo "== stack usage (gcc $(gcc -dumpfullversion) -O2 -fstack-usage, per-function frames)"
if [ "$stack_rc" -ne 0 ]; then
  cat "$out/stack-build.log"
  echo "FAILED: stack-usage build"
  fail=1
fi
for o in "$out"/su/*.o; do
  nm -g --defined-only "$o" | awk '$2 == "T" && $3 !~ /_$/ {print $3}'
done | sort -u >"$out/entry-points.txt"
stack_out=$(python3 - "$out/su" "$out/entry-points.txt" docs/stack-budget.md "$stack_table" <<'EOF'
import glob, re, sys
frames = []
for su in glob.glob(sys.argv[1] + '/*.su'):
    for line in open(su):
        loc, size, kind = line.rstrip('\n').split('\t')
        path, ln, _col, fn = loc.rsplit(':', 3)
        frames.append((int(size), fn, '%s:%s' % (path, ln), kind))
frames.sort(key=lambda t: (-t[0], t[1]))
entries = [l.strip() for l in open(sys.argv[2]) if l.strip()]
budget, documented, problems = {}, {}, []
for n, line in enumerate(open(sys.argv[3]), 1):
    m = re.match(r'\|\s*`?(avps_\w+)`?\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|', line)
    if m:
        if m.group(1) in budget:
            problems.append('docs/stack-budget.md:%d: %s listed twice' % (n, m.group(1)))
        documented[m.group(1)] = int(m.group(2))
        budget[m.group(1)] = int(m.group(3))
print('  15 largest frames of lib/:')
for size, fn, where, kind in frames[:15]:
    print('  %6d  %-34s %s%s' % (size, fn, where, '' if kind == 'static' else '  (' + kind + ')'))
by_fn = {}
for size, fn, where, kind in frames:
    if fn in entries:
        by_fn[fn] = (size, where, kind)
for size, fn, where, kind in frames:
    if kind.startswith('dynamic') and 'bounded' not in kind:
        problems.append('%s: %s has an unbounded dynamic frame (VLA or alloca, STYLE rule 12)'
                        % (where, fn))
for fn in entries:
    if fn not in by_fn:
        problems.append('%s: public entry point without a -fstack-usage record' % fn)
    elif fn not in budget:
        problems.append('%s (%s): %d bytes, no budget in docs/stack-budget.md'
                        % (fn, by_fn[fn][1], by_fn[fn][0]))
    elif by_fn[fn][0] > budget[fn]:
        problems.append('%s (%s): frame %d bytes exceeds its budget of %d bytes'
                        % (fn, by_fn[fn][1], by_fn[fn][0], budget[fn]))
for fn in sorted(set(budget) - set(entries)):
    problems.append('docs/stack-budget.md: %s is not a public entry point of lib/ (stale row)' % fn)
drift = sorted(fn for fn in entries if fn in documented and fn in by_fn
               and documented[fn] != by_fn[fn][0])
checked = sum(1 for fn in entries if fn in budget and fn in by_fn)
print('  public entry points: %d, checked against docs/stack-budget.md: %d' % (len(entries), checked))
if drift:
    print('  note: %d documented measurements differ from this compiler (budgets still hold): %s'
          % (len(drift), ', '.join(drift[:6]) + (' ...' if len(drift) > 6 else '')))
for p in problems:
    print('  ' + p)
if sys.argv[4] == '1':
    print('  table rows for docs/stack-budget.md (budget = measured rounded up to 64, + 64, >= 128):')
    for fn in sorted(entries):
        if fn in by_fn:
            size = by_fn[fn][0]
            print('| `%s` | %d | %d |' % (fn, size, max(128, -(-size // 64) * 64 + 64)))
top = frames[0] if frames else (0, '-', '-', '-')
print('RESULT %d %d %s' % (len(problems), top[0], top[1]))
EOF
) || { echo "$stack_out"; echo "FAILED: cannot evaluate stack usage"; fail=1; }
echo "$stack_out" | grep -v '^RESULT'
read -r _ stack_bad top_size top_fn <<<"$(echo "$stack_out" | grep '^RESULT' || echo 'RESULT 1 0 -')"
if [ "$stack_bad" -ne 0 ]; then
  echo "FAILED: stack budget"
  fail=1
  stack_word="FAILED ($stack_bad problems; largest frame $top_size bytes in $top_fn)"
else
  stack_word="OK (largest frame $top_size bytes in $top_fn)"
fi

echo
echo "static: cppcheck $cpp_n findings ($dev_rows deviations covering $dev_found findings), clang-tidy $tidy_n warnings, stack $stack_word"
exit $fail

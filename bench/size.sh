#!/usr/bin/env bash
# bench/size.sh: code size of every lib/ source at -Os and -O2, for x86-64
# (the host gcc) and arm64 (aarch64-linux-gnu-gcc, if installed), with the
# library's own flags and default configuration, plus sizeof of every public
# struct. Prints Markdown on stdout. Compiles into a temporary directory only.
#
#   bash bench/size.sh            # tables
#   AVPS_SIZE_CFLAGS='-DAVPS_CONFIG_ENABLE_PACKED=0' bash bench/size.sh
set -uo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The defaults of CMakeLists.txt's AVPS_CONFIG_DEFS and the library's flags.
defs="-DAVPS_CONFIG_VQ_MAX_SIZE=32768u -DAVPS_CONFIG_ENABLE_PACKED=1 \
-DAVPS_CONFIG_ENABLE_INDIRECT=1 -DAVPS_CONFIG_ENABLE_EVENT_IDX=1 \
-DAVPS_CONFIG_ENABLE_IN_ORDER=1 -DAVPS_CONFIG_MAX_SEG_LEN=0xffffffffu \
-DAVPS_CONFIG_REPORT_LEVEL=2 -DAVPS_CONFIG_ASSERT=1 -DAVPS_CONFIG_ENABLE_LOCKING=1"
flags="-std=c11 -ffreestanding -fno-common -I$top/include"
extra="${AVPS_SIZE_CFLAGS:-}" # after the defaults, so it overrides them

# libfdt's headers without the rest of the host's /usr/include (for the cross compiler).
mkdir -p "$tmp/fdtinc"
for h in libfdt.h libfdt_env.h fdt.h; do
  [ -e "/usr/include/$h" ] && ln -s "/usr/include/$h" "$tmp/fdtinc/$h"
done

# module:file pairs, in report order
units="core:lib/core/core.c core:lib/core/gmem.c
virtqueue:lib/virtqueue/vq.c virtqueue:lib/virtqueue/split.c virtqueue:lib/virtqueue/packed.c
devices:lib/devices/common/device.c devices:lib/devices/rng.c
transport:lib/transport/mmio.c transport:lib/transport/pci.c
fdt:lib/fdt/fdt.c"

arches="x86-64:gcc:size"
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  arches="$arches arm64:aarch64-linux-gnu-gcc:aarch64-linux-gnu-size"
  have_arm=1
else
  have_arm=0
fi

# compile ARCH CC SIZE OPT FILE -> "text rodata data bss" or "n/a": the ELF
# sections by name (size -A), not Berkeley's "text" column, which also counts
# .rodata and the unwind tables (.eh_frame) a firmware build leaves out.
measure() {
  local arch=$1 cc=$2 sz=$3 opt=$4 src=$5 obj
  obj="$tmp/$arch$opt-$(echo "$src" | tr '/' '_').o"
  if $cc $opt $flags $defs $extra -I"$tmp/fdtinc" -c "$top/$src" -o "$obj" 2>"$obj.log"; then
    $sz -A "$obj" | awk '$1 ~ /^\.text/ {t += $2} $1 ~ /^\.rodata/ {r += $2}
      $1 ~ /^\.data/ {d += $2} $1 ~ /^\.bss/ {b += $2}
      END {print t + 0, r + 0, d + 0, b + 0}'
  else
    echo "n/a"
  fi
}

declare -A res
for a in $arches; do
  IFS=: read -r arch cc sz <<<"$a"
  for opt in -Os -O2; do
    for u in $units; do
      src=${u#*:}
      res["$arch$opt$src"]=$(measure "$arch" "$cc" "$sz" "$opt" "$src")
    done
  done
done

cols=""
hdr=""
for a in $arches; do
  arch=${a%%:*}
  for opt in -Os -O2; do
    cols="$cols $arch$opt"
    hdr="$hdr | $arch $opt"
  done
done

echo "### Code size (bytes; .text / .rodata / .data / .bss)"
echo
echo "Each lib/ source compiled alone with the library's flags (-std=c11 -ffreestanding"
echo "-fno-common) and default configuration (every feature on, asserts on, report level 2)${extra:+, then $extra}."
echo "Sections by name (size -A): .text is code only; .rodata (strings, tables) is"
echo "counted apart; unwind tables (.eh_frame) are not counted. At -Os the ring engines'"
echo "speed paths are off by default (AVPS_CONFIG_FAST_PATHS, include/avps/config.h): same"
echo "behaviour and tests, one copy of each rule; -O2 has them."
echo "x86-64: $(gcc --version | head -1)."
if [ "$have_arm" = 1 ]; then
  echo "arm64: $(aarch64-linux-gnu-gcc --version | head -1)."
else
  echo "arm64: aarch64-linux-gnu-gcc is not installed (apt-get install gcc-aarch64-linux-gnu)."
fi
echo
echo "| Module | File$hdr |"
printf '|---|---'
for c in $cols; do printf '|---'; done
echo '|'

declare -A tot
prev=""
emit_total() { # module
  local m=$1
  local line="| **$m** | *total*"
  for c in $cols; do
    line="$line | **${tot[$m$c]:-0}** .text"
  done
  echo "$line |"
}
for u in $units; do
  mod=${u%%:*}
  src=${u#*:}
  if [ -n "$prev" ] && [ "$prev" != "$mod" ]; then emit_total "$prev"; fi
  prev=$mod
  line="| $mod | ${src#lib/}"
  for c in $cols; do
    r=${res["$c$src"]}
    if [ "$r" = "n/a" ]; then
      line="$line | n/a"
    else
      read -r t ro d b <<<"$r"
      line="$line | $t / $ro / $d / $b"
      tot["$mod$c"]=$(( ${tot["$mod$c"]:-0} + t ))
    fi
  done
  echo "$line |"
done
emit_total "$prev"

echo
echo "**Goal: core + virtqueue + mmio transport ≤ 16 KiB (16384 B) .text at -Os on arm64.**"
echo
echo "| Sum of .text: core + virtqueue + mmio.c | -Os | -O2 |"
echo "|---|---|---|"
for a in $arches; do
  arch=${a%%:*}
  line="| $arch"
  for opt in -Os -O2; do
    s=$(( ${tot["core$arch$opt"]:-0} + ${tot["virtqueue$arch$opt"]:-0} ))
    r=${res["$arch${opt}lib/transport/mmio.c"]}
    [ "$r" != "n/a" ] && s=$(( s + ${r%% *} ))
    mark=""
    if [ "$arch" = arm64 ] && [ "$opt" = -Os ]; then
      if [ "$s" -le 16384 ]; then mark=" (goal met)"; else mark=" (**goal missed** by $(( s - 16384 )) B)"; fi
    fi
    line="$line | $s ($(awk -v s="$s" 'BEGIN {printf "%.1f", s / 1024}') KiB)$mark"
  done
  echo "$line |"
done

# The same sum in the configurations an embedder picks from (include/avps/config.h).
goal_units="lib/core/core.c lib/core/gmem.c lib/virtqueue/vq.c lib/virtqueue/split.c
lib/virtqueue/packed.c lib/transport/mmio.c"
sum_text() { # ARCH CC SIZE CONFIG-DEFINES
  local arch=$1 cc=$2 sz=$3 cfgdefs=$4 total=0 src r
  for src in $goal_units; do
    r=$(extra="$extra $cfgdefs" measure "$arch" "$cc" "$sz" -Os "$src")
    [ "$r" = "n/a" ] && { echo "n/a"; return; }
    total=$(( total + ${r%% *} ))
  done
  echo "$total"
}
echo
echo "| core + virtqueue + mmio.c, .text at -Os, by configuration | x86-64 | arm64 |"
echo "|---|---|---|"
while IFS='|' read -r label cfgdefs; do
  line="| $label"
  for a in $arches; do
    IFS=: read -r arch cc sz <<<"$a"
    t=$(sum_text "$arch" "$cc" "$sz" "$cfgdefs")
    mark=""
    if [ "$arch" = arm64 ] && [ "$t" != "n/a" ]; then
      if [ "$t" -le 16384 ]; then mark=" (goal met)"; else mark=" (goal missed by $(( t - 16384 )) B)"; fi
    fi
    line="$line | $t$mark"
  done
  [ "$have_arm" = 1 ] || line="$line | n/a"
  echo "$line |"
done <<'EOF_CFG'
default (every feature on; at -Os AVPS_CONFIG_FAST_PATHS defaults to 0)|
default with the speed paths forced on (AVPS_CONFIG_FAST_PATHS=1)|-DAVPS_CONFIG_FAST_PATHS=1
without the in-flight journal (AVPS_CONFIG_ENABLE_JOURNAL=0; a vhost-user back-end then offers no INFLIGHT_SHMFD)|-DAVPS_CONFIG_ENABLE_JOURNAL=0
firmware: no journal, AVPS_CONFIG_ASSERT=0, AVPS_CONFIG_REPORT_LEVEL=1|-DAVPS_CONFIG_ENABLE_JOURNAL=0 -DAVPS_CONFIG_ASSERT=0 -DAVPS_CONFIG_REPORT_LEVEL=1
split only: no journal, no packed engine (AVPS_CONFIG_ENABLE_PACKED=0)|-DAVPS_CONFIG_ENABLE_JOURNAL=0 -DAVPS_CONFIG_ENABLE_PACKED=0
EOF_CFG

# ---- sizeof every public struct: arrays sized by sizeof, read back with nm -S
structs=$(grep -hoE '^struct avps_[a-z0-9_]+ \{' "$top"/include/avps/*.h "$top"/include/avps/virtio/*.h |
          awk '{print $2}' | sort -u)
{
  for h in "$top"/include/avps/*.h "$top"/include/avps/virtio/*.h; do
    echo "#include <avps/${h#"$top"/include/avps/}>"
  done
  for s in $structs; do
    echo "unsigned char avps_sizeof__$s[sizeof(struct $s)];"
  done
} >"$tmp/sizeof.c"

declare -A sz
for a in $arches; do
  IFS=: read -r arch cc _ <<<"$a"
  nmtool=nm
  [ "$arch" = arm64 ] && nmtool=aarch64-linux-gnu-nm
  if $cc -std=c11 -fno-common $defs $extra -I"$top/include" -I"$tmp/fdtinc" -c "$tmp/sizeof.c" \
      -o "$tmp/sizeof-$arch.o" 2>"$tmp/sizeof-$arch.log"; then
    while read -r _ size _ name; do
      sz["$arch:${name#avps_sizeof__}"]=$((16#$size))
    done < <($nmtool -S "$tmp/sizeof-$arch.o" | grep avps_sizeof__)
  fi
done

echo
echo "### sizeof of the public objects (bytes, default configuration)"
echo
line="| struct"
sep="|---"
for a in $arches; do line="$line | ${a%%:*}"; sep="$sep|---"; done
echo "$line |"
echo "$sep|"
for s in $structs; do
  line="| \`$s\`"
  for a in $arches; do line="$line | ${sz["${a%%:*}:$s"]:-n/a}"; done
  echo "$line |"
done

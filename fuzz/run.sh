#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan, asserts on) and run each
# for SECONDS (default 60) on seeds that fuzz/gen_seeds.c builds with the
# spec-written test driver (valid rings in every feature mix).
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out"
CFLAGS=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -Iinclude -Ilib -Iports/posix -Itests/support -Ifuzz)
LIB=(lib/core/*.c lib/virtqueue/*.c ports/posix/posix_port.c)

clang -std=c11 -O1 -Iinclude -Iports/posix -Itests/support -Ifuzz fuzz/gen_seeds.c \
  tests/support/ringdrv.c ports/posix/posix_port.c lib/core/*.c lib/virtqueue/*.c \
  -o "$out/gen_seeds"
status=0
for layout in split packed; do
  packed=0; [ "$layout" = packed ] && packed=1
  name="vq_$layout"
  clang "${CFLAGS[@]}" -DFUZZ_PACKED=$packed fuzz/vq_fuzz.c "${LIB[@]}" -o "$out/$name"
  mkdir -p "$out/seeds-$name" "$out/work-$name"
  "$out/gen_seeds" "$packed" "$out/seeds-$name"
  echo "== $name: ${secs}s"
  if ! "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$name-" \
       -print_final_stats=1 "$out/work-$name" "$out/seeds-$name" \
       >"$out/$name.log" 2>&1; then
    tail -60 "$out/$name.log"
    echo "FUZZ FAILURE: $name (crash input: $(ls "$out/$name-"* 2>/dev/null | head -1))"
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|cov:' "$out/$name.log" | tail -3
done

# The vhost-user message path (ports/vhost-user) through avps_vu_process(), with
# virtio-rng on a memfd guest; seeds are whole sessions from fuzz/gen_vu_seeds.c.
clang -std=c11 -O1 -Iinclude -Iports/posix -Iports/vhost-user -Itests/support fuzz/gen_vu_seeds.c \
  tests/support/ringdrv.c ports/posix/posix_port.c lib/core/*.c lib/virtqueue/*.c \
  -o "$out/gen_vu_seeds"
name=vu
clang "${CFLAGS[@]}" -Iports/vhost-user fuzz/vu_fuzz.c ports/vhost-user/vu_msg.c \
  ports/vhost-user/vu_backend.c lib/core/*.c lib/virtqueue/*.c lib/devices/*.c \
  lib/devices/common/*.c -o "$out/$name"
mkdir -p "$out/seeds-$name" "$out/work-$name"
"$out/gen_vu_seeds" "$out/seeds-$name"
echo "== $name: ${secs}s"
if ! "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$name-" \
     -print_final_stats=1 "$out/work-$name" "$out/seeds-$name" \
     >"$out/$name.log" 2>&1; then
  tail -60 "$out/$name.log"
  echo "FUZZ FAILURE: $name (crash input: $(ls "$out/$name-"* 2>/dev/null | head -1))"
  status=1
fi
grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|cov:' "$out/$name.log" | tail -3
exit $status

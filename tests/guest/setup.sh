#!/usr/bin/env bash
# Prepare the real-guest test environment: QEMU, a Debian cloud kernel and an
# initramfs (busybox + /init + virtio modules + the guest test scripts).
#
# Usage: tests/guest/setup.sh [--out DIR] [--cache DIR] [--force]
#   --out DIR    where the kernel and initramfs go   (default: build-guest)
#   --cache DIR  where the kernel .deb is kept      (default: OUT/cache)
#   --force      rebuild the initramfs even if it looks current
# Env: AVPS_GUEST_KERNEL_PKG=linux-image-X-cloud-amd64 pins the kernel package
#      (default: whatever linux-image-cloud-amd64 depends on, or the cached .deb).
#
# Idempotent: the .deb is downloaded once (apt-get download, no other network),
# unpacked once, and the initramfs is rebuilt only when one of its inputs changed.
# Prints the paths on its last lines: "kernel: ...", "initrd: ...".
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/build-guest"
cache=""
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[ -n "$cache" ] || cache="$out/cache"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    echo "setup: apt-get update" >&2
    $SUDO apt-get update -qq >/dev/null
    apt_updated=1
  fi
}

# ---- 1. host packages -------------------------------------------------------
pkgs=(qemu-system-x86 busybox-static cpio kmod)
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt_update
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
# microvm boots with qboot; it comes with qemu-system-data (a dependency of
# qemu-system-x86), check it rather than assume.
[ -e /usr/share/qemu/qboot.rom ] || echo "setup: warning: /usr/share/qemu/qboot.rom missing (microvm may not boot)" >&2

# ---- 2. guest kernel package (cached) ---------------------------------------
deb=""
if [ -n "${AVPS_GUEST_KERNEL_PKG:-}" ]; then
  kpkg="$AVPS_GUEST_KERNEL_PKG"
  deb="$(ls -1 "$cache/${kpkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)"
else
  # Reuse a cached cloud kernel when there is one: no apt look-up at all.
  deb="$(ls -1 "$cache"/linux-image-*-cloud-amd64_*.deb 2>/dev/null | grep -v -- '-dbg_' | sort -V | tail -n1 || true)"
  kpkg=""
  if [ -z "$deb" ]; then
    find_kpkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null |
                  awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
    kpkg="$(find_kpkg)"
    if [ -z "$kpkg" ]; then apt_update; kpkg="$(find_kpkg)"; fi
    [ -n "$kpkg" ] || { echo "setup: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
  fi
fi
if [ -z "$deb" ]; then
  echo "setup: downloading $kpkg" >&2
  # apt drops privileges to _apt for downloads; let it write the cache dir.
  chmod 0777 "$cache" 2>/dev/null || true
  ( cd "$cache" && apt-get download -q "$kpkg" >/dev/null 2>"$cache/download.err" ) || {
    apt_update
    ( cd "$cache" && apt-get download -q "$kpkg" >/dev/null 2>"$cache/download.err" ) || {
      cat "$cache/download.err" >&2; exit 1; }
  }
  deb="$(ls -1 "$cache/${kpkg}"_*.deb | sort -V | tail -n1)"
fi
debname="$(basename "$deb" .deb)"

kroot="$out/kernel/$debname"
if [ ! -e "$kroot/.unpacked" ]; then
  echo "setup: unpacking $(basename "$deb")" >&2
  rm -rf "$kroot"
  mkdir -p "$kroot"
  dpkg -x "$deb" "$kroot"
  touch "$kroot/.unpacked"
fi
kver="$(ls -1 "$kroot/lib/modules" | head -n1)"
[ -n "$kver" ] || { echo "setup: no lib/modules in $deb" >&2; exit 1; }
vmlinuz="$kroot/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || { echo "setup: no $vmlinuz" >&2; exit 1; }
mdir="$kroot/lib/modules/$kver"
if [ ! -s "$mdir/modules.dep" ]; then
  depmod -b "$kroot" "$kver"
fi

# ---- 3. modules to ship -----------------------------------------------------
# Base: the virtio core and both transports. Each guest test adds its own in
# tests/guest/guest/tests/<name>.modules (one module name a line).
base_modules=(virtio_ring virtio virtio_mmio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci)
want=("${base_modules[@]}")
for f in "$here"/guest/tests/*.modules; do
  [ -e "$f" ] || continue
  while read -r m _; do
    case "$m" in ''|'#'*) continue ;; esac
    want+=("$m")
  done <"$f"
done

declare -A modpath=() moddeps=() builtin=() seen=()
while IFS= read -r line; do
  p="${line%%:*}"
  n="${p##*/}"; n="${n%%.ko*}"; n="${n//-/_}"
  modpath[$n]="$p"
  moddeps[$n]="${line#*:}"
done <"$mdir/modules.dep"
if [ -f "$mdir/modules.builtin" ]; then
  while IFS= read -r p; do
    n="${p##*/}"; n="${n%%.ko*}"; builtin[${n//-/_}]=1
  done <"$mdir/modules.builtin"
fi
order=()
visit() { # post-order: dependencies first
  local n="${1//-/_}" d dn
  [ -z "${seen[$n]:-}" ] || return 0
  seen[$n]=1
  if [ -z "${modpath[$n]:-}" ]; then
    if [ -n "${builtin[$n]:-}" ]; then return 0; fi
    echo "setup: module $n is neither a module nor built in to $kver" >&2; exit 1
  fi
  for d in ${moddeps[$n]}; do
    dn="${d##*/}"; dn="${dn%%.ko*}"
    visit "$dn"
  done
  order+=("${modpath[$n]}")
}
for m in "${want[@]}"; do visit "$m"; done

# ---- 4. initramfs -----------------------------------------------------------
initrd="$out/initramfs-$kver.cpio.gz"
stamp_src="$(
  { echo "$debname"; printf '%s\n' "${order[@]}"; readlink -f /bin/busybox; ls -l --time-style=+%s "$(readlink -f /bin/busybox)";
    find "$here/guest" -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)"
stampf="$out/initramfs-$kver.stamp"
if [ "$force" -eq 0 ] && [ -s "$initrd" ] && [ "$(cat "$stampf" 2>/dev/null)" = "$stamp_src" ]; then
  echo "setup: initramfs up to date" >&2
else
  echo "setup: building initramfs (${#order[@]} modules)" >&2
  stage="$(mktemp -d "$out/initramfs.XXXXXX")"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc/avps,avps,"lib/modules/$kver"}
  cp /bin/busybox "$stage/bin/busybox"
  # One symlink per applet, at the path busybox itself names.
  /bin/busybox --list-full | while read -r a; do
    [ "$a" = "bin/busybox" ] && continue
    mkdir -p "$stage/$(dirname "$a")"
    ln -sf /bin/busybox "$stage/$a"
  done
  : >"$stage/etc/avps/modules"
  for p in "${order[@]}"; do
    dst="$stage/lib/modules/$kver/${p%.ko*}.ko"
    mkdir -p "$(dirname "$dst")"
    case "$p" in
      *.ko) cp "$mdir/$p" "$dst" ;;
      *.ko.xz) xz -dc "$mdir/$p" >"$dst" ;;
      *.ko.zst) zstd -qdc "$mdir/$p" >"$dst" ;;
      *.ko.gz) gzip -dc "$mdir/$p" >"$dst" ;;
      *) echo "setup: unknown module format $p" >&2; exit 1 ;;
    esac
    echo "/lib/modules/$kver/${p%.ko*}.ko" >>"$stage/etc/avps/modules"
  done
  # Small static helpers the guest tests need (tests/guest/guest/src/*.c).
  for c in "$here"/guest/src/*.c; do
    [ -e "$c" ] || continue
    gcc -static -O2 -Wall -o "$stage/bin/$(basename "$c" .c)" "$c" || {
      echo "setup: cannot build $c (gcc -static)" >&2; exit 1; }
  done
  cp "$here/guest/init" "$stage/init"
  chmod 0755 "$stage/init"
  cp -r "$here/guest/tests" "$stage/avps/tests"
  # Guest helper programs (guest/bin/*.c), static so they need no libc in the guest.
  for src in "$here"/guest/bin/*.c; do
    [ -e "$src" ] || continue
    b="$(basename "$src" .c)"
    gcc -static -O2 -o "$stage/bin/$b" "$src" || {
      echo "setup: cannot build guest program $b (gcc -static; libc6-dev has libc.a)" >&2; exit 1; }
  done
  # Guest programs written in C (busybox lacks the tool): static, built here.
  mkdir -p "$stage/avps/bin"
  for c in "$here"/guest/tests/*.c; do
    [ -e "$c" ] || continue
    gcc -static -O2 -Wall -Wextra -Werror -o "$stage/avps/bin/$(basename "$c" .c)" "$c"
  done
  echo "$kver" >"$stage/etc/avps/kernel"
  ( cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet ) |
    gzip -6 >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  echo "$stamp_src" >"$stampf"
  rm -rf "$stage"
  trap - EXIT
fi
# Stable names for run.sh.
ln -sfn "$vmlinuz" "$out/vmlinuz"
ln -sfn "$(basename "$initrd")" "$out/initramfs.cpio.gz"
echo "kernel: $vmlinuz ($kver)"
echo "initrd: $initrd"

#!/usr/bin/env bash
# Unpack QEMU 10 from Debian's bookworm-backports suite into a private
# directory (no system package changes) and print the path of a wrapper that
# runs it with its own firmware. Idempotent.
#
# Why: QEMU 7.2's vhost-user-input(-pci) refuses to start without KVM
# ("vhost initialization failed: requires kvm"), and nested KVM hangs on this
# machine kind (shared/GUEST.md); QEMU 10's vhost-user-input is built on
# vhost-user-base and runs under TCG. QEMU 10 also has the generic
# vhost-user-device(-pci) with a virtio-id property. The rest of the guest
# suite stays on the system QEMU 7.2.
#
# Usage: tests/guest/qemu10.sh [--out DIR]      (default DIR: build-guest)
# Last line: the wrapper's path (DIR/qemu10/qemu.sh). Use it as AVPS_QEMU.
# The backports suite is enabled with a deb822 file that reuses the URIs: and
# Signed-By: lines of /etc/apt/sources.list.d/debian.sources (no host name is
# written here); only `apt-get download` is used, nothing is installed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../build-guest"
[ "${1:-}" = "--out" ] && out="$2"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
dir="$out/qemu10"
wrapper="$dir/qemu.sh"
if [ -x "$wrapper" ] && [ -x "$dir/root/usr/bin/qemu-system-x86_64" ]; then
  echo "$wrapper"; exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
src=/etc/apt/sources.list.d/debian.sources
bp=/etc/apt/sources.list.d/avps-backports.sources
if ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports'; then
  [ -f "$src" ] || { echo "qemu10: no $src to take the archive from" >&2; exit 1; }
  { echo "Types: deb"; grep -m1 '^URIs:' "$src"; echo "Suites: bookworm-backports";
    echo "Components: main"; grep -m1 '^Signed-By:' "$src"; } | $SUDO tee "$bp" >/dev/null
  $SUDO apt-get update -qq >/dev/null
fi
mkdir -p "$dir/deb"
chmod 0777 "$dir/deb" 2>/dev/null || true
( cd "$dir/deb" && apt-get download -q -t bookworm-backports qemu-system-x86 qemu-system-data \
    qemu-system-common seabios >/dev/null )
rm -rf "$dir/root"
for d in "$dir"/deb/*.deb; do dpkg -x "$d" "$dir/root"; done
cat >"$wrapper" <<EOW
#!/bin/sh
# QEMU 10 (bookworm-backports), unpacked privately with its own firmware and
# modules (SeaBIOS 1.16.3 from the same suite: Debian 12's 1.16.2 stalls under it).
export QEMU_MODULE_DIR=$dir/root/usr/lib/x86_64-linux-gnu/qemu
exec $dir/root/usr/bin/qemu-system-x86_64 -L $dir/root/usr/share/seabios -L $dir/root/usr/share/qemu "\$@"
EOW
chmod +x "$wrapper"
"$wrapper" --version | head -1 >&2
echo "$wrapper"

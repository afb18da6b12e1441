#!/bin/bash
# Install the Debian packages the harness needs, only those still missing.
# Usage: scripts/deps.sh [group...]   groups: base kunit docs guests gates
set -euo pipefail
. "$(dirname "$0")/common.sh"

declare -A GROUP=(
	[base]="git make gcc bc flex bison libelf-dev libssl-dev xz-utils ccache python3 python3-ply python3-git rsync cpio kmod"
	[kunit]="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
	[docs]="python3-sphinx python3-sphinx-rtd-theme python3-yaml"
	[guests]="gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm qemu-system-x86 device-tree-compiler"
	# make check-full: cross compilers for the build matrix, and
	# debootstrap for the chroot with clang and sparse (gates-lib.sh):
	# this suite's clang and sparse are too old for 7.2.
	[gates]="gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-powerpc64le-linux-gnu gcc-riscv64-linux-gnu debootstrap"
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(base kunit docs)

want=()
for g in "${groups[@]}"; do
	[ -n "${GROUP[$g]+x}" ] || { echo "deps: unknown group '$g'" >&2; exit 2; }
	for p in ${GROUP[$g]}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			want+=("$p")
	done
done
[ ${#want[@]} -eq 0 ] && exit 0

echo "deps: installing ${want[*]} (make's packages took about 45 s on a new machine here)"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
heartbeat "apt-get update" $SUDO apt-get update -qq
heartbeat "apt-get install of ${#want[@]} packages" \
	$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null

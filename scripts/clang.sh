#!/bin/bash
# Build the series with clang (LLVM=1) for arm64 and x86_64.
#
# The kernel needs clang >= 17.0.1 (scripts/min-tool-version.sh) and this
# machine's Debian suite ships 14, so the build runs in a chroot of a newer
# Debian suite ($CLANG_SUITE, default trixie: clang 19), made once with
# debootstrap under $CACHE.  The machine's own apt sources and package set
# are never changed; the chroot uses the same mirror, read from them at run
# time.
#
# For each arch, in the build matrix's "cc" config (gates-lib.sh): kernel/dma/
# with W=1 at the base and at every patch, production and with the KUnit
# suite (no warning the base does not have), then the whole kernel image
# of the production config once, at the tip of the series.  Results in
# build/results/clang.md.
#
# Usage: scripts/clang.sh [arch...]   (default: arm64 x86_64)
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/gates-lib.sh"
need debootstrap unshare flock

suite=${CLANG_SUITE:-trixie}
root=$CACHE/clang-$suite
packages=clang,lld,llvm,make,bc,flex,bison,libelf-dev,libssl-dev,ccache,perl,python3,cpio,kmod
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(arm64 x86_64)

[ "$(id -u)" -eq 0 ] || die "clang: debootstrap and chroot need root"

if [ ! -f "$root/.complete" ]; then
	# Same mirror as the machine's Debian source (see fetch-base.sh).
	mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		 grep -E '^(URIs:|deb )' | grep -v security | head -n1 |
		 sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*//' || true)
	[ -n "$mirror" ] || die "cannot find a Debian mirror in the machine's apt sources"
	echo "clang: creating a $suite chroot in $root (debootstrap, once)"
	rm -rf "$root.tmp"
	debootstrap --variant=minbase --include="$packages" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root.tmp" "$mirror" > "$CACHE/debootstrap-$suite.log" 2>&1 ||
		die "debootstrap of $suite failed, see $CACHE/debootstrap-$suite.log"
	chroot "$root.tmp" apt-get clean
	touch "$root.tmp/.complete"
	rm -rf "$root"
	mv "$root.tmp" "$root"
fi

# Run a command in the chroot with $BUILD and the clang ccache bind-mounted
# at the same paths.  The mounts live in a private mount namespace, so they
# go away with the command whatever happens to it: nothing to unmount, no
# trap needed.  Callers hold the build lock (gates_locked).
inroot() {
	mkdir -p "$root$BUILD" "$root/proc" "$root/dev" "$root/ccache" "$CACHE/ccache-clang"
	unshare --mount --propagation private sh -euc '
		root=$1 build=$2 cc=$3
		shift 3
		mount --bind "$build" "$root$build"
		mount --bind "$cc" "$root/ccache"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root \
			CCACHE_DIR=/ccache CCACHE_BASEDIR="$build" CCACHE_NOHASHDIR=true \
			"$@"' sh "$root" "$BUILD" "$CACHE/ccache-clang" "$@"
}

mk() {	# make target... with clang in the chroot, current arch's object dir
	inroot make -s -C "$src" O="$obj" ARCH="$(gates_srcarch "$arch")" \
		LLVM=1 CC="ccache clang" "$@"
}

# One arch: kernel/dma/ patch by patch (as in matrix.sh), then the whole
# kernel image of the production config at the tip of the series.
one_arch() {
	local t
	gates_patchwise
	gates_checkout "${refs[-1]}"
	gates_allnoconfig mk "$(gates_config "$arch" cc)" "$obj" || return 1
	t=$SECONDS
	if mk > "$obj/image.log" 2>&1; then
		echo "   $arch: kernel image built in $((SECONDS - t)) s"
	else
		echo "   $arch: kernel image does not build (see $obj/image.log)"
		return 1
	fi
}

src=$(gates_src)
refs=(base $(git -C "$src" rev-list --reverse base..series))
results=$BUILD/results
mkdir -p "$results"
echo "clang: $(inroot clang --version | head -n1), $(inroot ld.lld --version) ($suite chroot)"
rc=0
out=$results/clang.md
echo "$GATES_HEADER" > "$out"
kind=cc
for arch in "${arches[@]}"; do
	gates_config "$arch" cc >/dev/null || die "clang: unknown arch '$arch'"
	obj=$BUILD/obj/clang-$arch-cc
	mkdir -p "$obj"
	t=$SECONDS
	gates_locked one_arch || rc=1
	gates_row "$results/clang-$arch.log" "$out" || rc=1
	echo "clang: $arch: base, $((${#refs[@]} - 1)) patches and the image in $((SECONDS - t)) s"
done
cat "$out"
[ "$rc" -eq 0 ] && echo "clang: PASS" || echo "clang: FAIL"
exit $rc

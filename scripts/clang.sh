#!/bin/bash
# Build the series with clang (LLVM=1) for arm64 and x86_64.
#
# The kernel needs clang >= 17.0.1 (scripts/min-tool-version.sh) and this
# machine's Debian suite ships 14, so the build runs in a chroot of a newer
# Debian suite (gates_chroot in gates-lib.sh: trixie, clang 19).
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

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(arm64 x86_64)
gates_chroot
inroot() { gates_inroot "$@"; }

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
results=${GATES_RESULTS:-$BUILD/results}
mkdir -p "$results"
echo "clang: $(inroot clang --version | head -n1), $(inroot ld.lld --version) ($GATES_SUITE chroot)"
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

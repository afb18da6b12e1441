#!/bin/bash
# sparse (make C=2: check every file, built or not) on kernel/dma/ at the
# base and at the tip of the series, in the x86_64 and arm64 "cc" configs
# of the build matrix (forced unencrypted DMA on both, plus the restricted
# pool on arm64), and at the tip also with the KUnit suite.  Fails on any
# sparse warning or error the base does not have (line numbers are left
# out of the comparison), and if the kernel's Makefile refuses the checker.
#
# Runs in the chroot of gates-lib.sh with Debian sid's sparse (see
# gates_sparse) and clang, in clang.sh's object dirs.
#
# Usage: scripts/sparse.sh [arch...]   (default: x86_64 arm64)
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/gates-lib.sh"

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 arm64)
gates_chroot
gates_sparse
src=$(gates_src)
results=${GATES_RESULTS:-$BUILD/results}
mkdir -p "$results"
echo "sparse: $(gates_inroot "$GATES_SPARSE" --version) (Debian sid, in the $GATES_SUITE chroot)"

mk() {
	gates_inroot make -s -C "$src" O="$obj" ARCH="$(gates_srcarch "$arch")" \
		LLVM=1 CC="ccache clang" CHECK="$GATES_SPARSE" "$@"
}

# sparse on kernel/dma/ of the checked-out tree in one config variant.
check() {	# fragment sparse-log
	gates_build "$1" > "$obj/sparse-build.log" 2>&1 ||
		{ cat "$obj/sparse-build.log"; echo "sparse: $arch: kernel/dma/ does not build"; return 1; }
	mk C=2 kernel/dma/ > "$2" 2>&1 ||
		{ cat "$2"; echo "sparse: $arch: make C=2 failed"; return 1; }
	# Kbuild drops C= with only a warning when the checker is too old.
	! grep -E 'specified, but .* not available or not up to date' "$2" ||
		{ echo "sparse: $arch: the kernel refused $GATES_SPARSE"; return 1; }
}

# Base: the production config.  Series: production and with the KUnit
# suite; its warnings are the union of both.
one_arch() {
	local frag
	frag=$(gates_config "$arch" cc)
	gates_checkout base
	check "$frag" "$obj/sparse-base.log" || return 1
	gates_checkout series
	check "$frag" "$obj/sparse-series.log" || return 1
	check "$frag"$'\n'"${GATES_KUNIT// /$'\n'}" "$obj/sparse-kunit.log" || return 1
}

rc=0
for arch in "${arches[@]}"; do
	gates_config "$arch" cc >/dev/null || die "sparse: unknown arch '$arch'"
	obj=$BUILD/obj/clang-$arch-cc	# shared with clang.sh
	log=$results/sparse-$arch.log
	mkdir -p "$obj"
	gates_locked one_arch > "$log" 2>&1 || { cat "$log"; rc=1; continue; }
	for v in base series kunit; do
		{ echo "== $v"; cat "$obj/sparse-$v.log"; } >> "$log"
	done
	# The objects are up to date when C=2 runs, so these are sparse's.
	gates_warnings < "$obj/sparse-base.log" > "$obj/sparse-base.txt"
	cat "$obj/sparse-series.log" "$obj/sparse-kunit.log" |
		gates_warnings > "$obj/sparse-series.txt"
	new=$(comm -13 "$obj/sparse-base.txt" "$obj/sparse-series.txt")
	printf 'sparse: %-8s %d at base, %d with the series (and its KUnit suite), %d new\n' \
		"$arch" "$(wc -l < "$obj/sparse-base.txt")" "$(wc -l < "$obj/sparse-series.txt")" \
		"$(grep -c . <<< "$new" || true)"
	if [ -n "$new" ]; then
		sed 's/^/   /' <<< "$new"
		rc=1
	fi
done
[ "$rc" -eq 0 ] && echo "sparse: PASS" || echo "sparse: FAIL"
exit $rc

#!/bin/bash
# Run the dma-direct KUnit suite with the kernel's own kunit.py (arm64,
# QEMU) on one branch of $BUILD/tree: "series" (default) or "reproduce"
# (the suite without the fixes).  The two configurations of make check
# boot one kernel, built once in $BUILD/obj/kunit-arm64 from
# kernel/dma/.kunitconfig as the series ships it with
# tests/cma.kunitconfig merged on (CMA, DEBUG_VM, page poisoning):
#   default  with cma=0: no CMA area, so coherent allocations come from
#            the page allocator, as in a kernel of the .kunitconfig alone
#   cma      with cma=32M page_poison=1
# The default run also checks, without building, that the .kunitconfig
# alone still configures (kunit.py config validates every line of it).
#   shipped  the .kunitconfig alone, as the cover letter runs it, in
#            $BUILD/obj/kunit-arm64-shipped (make check-full)
# Writes $BUILD/results/kunit-<branch>[-cma|-shipped].{console,ktap,log,splats}:
# the whole console, its KTAP, kunit.py's parsed verdict, and any kernel
# BUG/WARNING/Oops lines.  Exits non-zero if the kernel does not build or
# boot, if the console has a kernel splat, or if a test fails.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need qemu-system-aarch64 aarch64-linux-gnu-gcc ccache flock python3

branch=${1:-series}
config=${2:-default}
tree=$BUILD/tree
name=$branch
args=("${kunit_configs[@]}")
case $config in
default) args+=("${kunit_no_cma[@]}") ;;
cma)	name=$branch-cma
	args+=(--kernel_args=cma=32M --kernel_args=page_poison=1) ;;
shipped) name=$branch-shipped
	args=(--kunitconfig=kernel/dma) ;;
*)	die "unknown configuration '$config' (default, cma or shipped)" ;;
esac
# KUNIT_OBJ: another build folder (selftest.sh reuses the gate's own).
obj=${KUNIT_OBJ:-$BUILD/obj/kunit-arm64}
[ "$config" != shipped ] || obj=${KUNIT_OBJ:-$BUILD/obj/kunit-arm64-shipped}
out=$BUILD/results/kunit-$name
mkdir -p "$obj" "$BUILD/results"
rm -f "$out".console "$out".ktap "$out".log "$out".splats
checkout_ref "$tree" "$branch"

# kunit.py config of the .kunitconfig alone: Kconfig only, no build.
if [ "$config" = default ]; then
	echo "kunit: kernel/dma/.kunitconfig alone, configured in $obj-shipped"
	(cd "$tree" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py config \
		--kunitconfig=kernel/dma --arch=arm64 --cross_compile=aarch64-linux-gnu- \
		--build_dir="$obj-shipped") > "$out.config.log" 2>&1 ||
		{ tail -n 20 "$out.config.log" >&2; die "kernel/dma/.kunitconfig alone does not configure"; }
fi

echo "kunit: building and booting the $branch kernel ($config run) in $obj;" \
     "about 4 minutes cold (220 s in docs/gates.md's cold run, 13 min on a slower machine)," \
     "seconds when built already"
kunit_run() {
	(cd "$tree" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py run \
		"${args[@]}" --arch=arm64 \
		--cross_compile=aarch64-linux-gnu- --build_dir="$obj" \
		--make_options "CC=ccache aarch64-linux-gnu-gcc" --jobs="$(nproc)" \
		--raw_output=all) > "$out.console" 2>"$out.err"
}
status=0
heartbeat "kunit.py, $branch kernel" kunit_run || status=$?
restore_ref
if [ "$status" -ne 0 ] || ! grep -q 'KTAP version\|TAP version' "$out.console"; then
	tail -n 20 "$out.err" >&2
	die "kunit.py could not build or boot the $branch kernel"
fi
kunit=$tree/tools/testing/kunit/kunit.py
python3 "$kunit" parse --raw_output=kunit "$out.console" > "$out.ktap"
# A test that passes while the kernel complains is not a pass.
kernel_splats "$out.console" > "$out.splats"
if [ -s "$out.splats" ]; then
	cat "$out.splats" >&2
	die "the $branch kernel ($config config) logged a kernel splat during the suite"
fi
# kunit.py's own KTAP parser decides pass or fail.
python3 "$kunit" parse "$out.ktap" > "$out.log" 2>&1

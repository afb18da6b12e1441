#!/bin/bash
# Run the dma-direct KUnit suite with the kernel's own kunit.py (arm64,
# QEMU) on one branch of $BUILD/tree: "series" (default) or "reproduce"
# (the suite without the fixes), in one of two configurations:
#   default  kernel/dma/.kunitconfig as the series ships it
#   cma      plus tests/cma.kunitconfig (CMA, DEBUG_VM, page poisoning)
#            and cma= on the command line
# Writes $BUILD/results/kunit-<branch>[-cma].{console,ktap,log,splats}:
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
args=(--kunitconfig=kernel/dma)
case $config in
default) ;;
cma)	name=$branch-cma
	args+=(--kunitconfig="$TOP/tests/cma.kunitconfig"
	       --kernel_args=cma=32M --kernel_args=page_poison=1) ;;
*)	die "unknown configuration '$config' (default or cma)" ;;
esac
# KUNIT_OBJ: another build folder (selftest.sh reuses the gate's own).
obj=${KUNIT_OBJ:-$BUILD/obj/kunit-arm64-$name}
out=$BUILD/results/kunit-$name
mkdir -p "$obj" "$BUILD/results"
rm -f "$out".console "$out".ktap "$out".log "$out".splats
checkout_ref "$tree" "$branch"

echo "kunit: building and booting the $branch kernel ($config config) in $obj;" \
     "5 to 13 minutes cold here, under a minute warm"
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

#!/bin/bash
# Run the dma-direct KUnit suite with the kernel's own kunit.py (arm64,
# QEMU) on one branch of $BUILD/tree: "series" (default) or "reproduce"
# (the suite without the fixes).  The parsed result goes to
# $BUILD/results/kunit-<branch>.log, the raw KTAP to kunit-<branch>.ktap.
# Exits non-zero if the kernel does not build or boot, or a test fails.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need qemu-system-aarch64 aarch64-linux-gnu-gcc ccache flock python3

branch=${1:-series}
tree=$BUILD/tree
obj=$BUILD/obj/kunit-arm64-$branch
mkdir -p "$obj" "$BUILD/results"
checkout_ref "$tree" "$branch"

ktap=$BUILD/results/kunit-$branch.ktap
status=0
(cd "$tree" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py run \
	--kunitconfig=kernel/dma --arch=arm64 \
	--cross_compile=aarch64-linux-gnu- --build_dir="$obj" \
	--make_options "CC=ccache aarch64-linux-gnu-gcc" --jobs="$(nproc)" \
	--raw_output=kunit) > "$ktap" 2>"$BUILD/results/kunit-$branch.err" ||
	status=$?
restore_ref
if [ "$status" -ne 0 ]; then
	tail -n 20 "$BUILD/results/kunit-$branch.err" >&2
	die "kunit.py could not build or boot the $branch kernel"
fi
# kunit.py's own KTAP parser decides pass or fail.
python3 "$tree/tools/testing/kunit/kunit.py" parse "$ktap" \
	> "$BUILD/results/kunit-$branch.log" 2>&1

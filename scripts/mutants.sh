#!/bin/bash
# Break one predicate or call site of the series at a time and count the
# KUnit suite's failures: each change must make at least one case fail.
# Works in its own clone of $BUILD/tree (branch series), so no other
# build sees the broken code.  Prints a markdown table; exits non-zero if
# a change leaves the whole suite passing.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need python3 flock qemu-system-aarch64 aarch64-linux-gnu-gcc

src=$BUILD/src/mutants
obj=$BUILD/obj/kunit-arm64-mutants
log=$BUILD/results/mutants
mkdir -p "$log" "$obj"
git -C "$BUILD/tree" rev-parse -q --verify series >/dev/null ||
	die "no $BUILD/tree with a series branch (run scripts/tree.sh)"
[ -d "$src/.git" ] || git clone -q --no-checkout "$BUILD/tree" "$src"
git -C "$src" fetch -q --force "$BUILD/tree" series
git -C "$src" checkout -q --detach --force FETCH_HEAD

rc=0
# mutant name old new: replace the text old of kernel/dma/direct.c (with
# Python escapes) by new, run the suite, print a table row.
mutant() {
	local name=$1 out failing
	git -C "$src" checkout -q -- kernel/dma/direct.c
	python3 - "$src/kernel/dma/direct.c" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1], *(a.encode().decode("unicode_escape") for a in sys.argv[2:])
text = open(path).read()
if old not in text:
    sys.exit(f"mutants: the text to change is not in {path}: {old!r}")
open(path, "w").write(text.replace(old, new, 1))
PY
	out=$log/${name//[^a-z]/_}
	(cd "$src" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py run \
		--kunitconfig=kernel/dma --arch=arm64 --cross_compile=aarch64-linux-gnu- \
		--build_dir="$obj" --make_options "CC=ccache aarch64-linux-gnu-gcc" \
		--jobs="$(nproc)" --raw_output=kunit) > "$out.ktap" 2>&1 || true
	failing=$("$TOP/scripts/ktap-failures.py" "$src" "$out.ktap" | paste -sd ' ' -)
	[ -n "$failing" ] || { failing="NONE: the suite does not notice"; rc=1; }
	echo "| $name | $failing |"
}

echo "| change to kernel/dma/direct.c | failing cases |"
echo "|---|---|"
mutant "is_dma_decrypted() ignores the pool" \
	'return force_dma_unencrypted(dev) || dma_external_decryption(dev);' \
	'return force_dma_unencrypted(dev);'
mutant "dma_owns_decryption() ignores the pool" \
	'return force_dma_unencrypted(dev) && !dma_external_decryption(dev);' \
	'return force_dma_unencrypted(dev);'
mutant "no dma_set_decrypted() before the remap" \
	'if (!PageHighMem(page) &&\n\t\t    dma_set_decrypted(dev, page_address(page), size))\n\t\t\tgoto out_leak_pages;' ''
mutant "dma_direct_free() encrypts the vmap alias" \
	'\t\tcpu_addr = page_address(page);\n' ''
git -C "$src" checkout -q -- kernel/dma/direct.c
exit $rc

#!/bin/bash
# Break one predicate or call site at a time and list the KUnit cases that
# fail because of it: each change must make at least one case fail.
#
# Usage: scripts/mutants.sh [--check] [7.3]
#   --check only that every mutant's text is still in direct.c, once,
#           without building (the seeds gate of make check)
#   (none)  the series: $BUILD/tree, branch series (scripts/tree.sh)
#   7.3     the suite's port on 7.3.y: $BUILD/tree-7.3, branch tests-7.3
#           (scripts/upstream-7.3.sh), broken where 7.3 fixed the same bugs
#           and where it leaks pages whose conversion failed
#
# Works in its own clone of the tree, so no other build sees the broken
# code.  The unchanged tree is run first; a row lists only the cases that
# fail with the change and pass without it (on 7.3 the pool_only cases
# fail anyway, see docs/comparison-7.3.md).  Prints a markdown table;
# exits non-zero if a change adds no failing case.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need python3 flock qemu-system-aarch64 aarch64-linux-gnu-gcc

check_only=
[ "${1:-}" != --check ] || { check_only=yes; shift; }
case ${1:-} in
"")	tree=$BUILD/tree branch=series name=mutants
	made_by=scripts/tree.sh ;;
7.3)	tree=$BUILD/tree-7.3 branch=tests-7.3 name=mutants-7.3
	made_by=scripts/upstream-7.3.sh ;;
*)	die "usage: mutants.sh [7.3]" ;;
esac
src=$BUILD/src/$name
obj=$BUILD/obj/kunit-arm64-$name
log=$BUILD/results/$name
git -C "$tree" rev-parse -q --verify "$branch" >/dev/null 2>&1 ||
	die "no $tree with a $branch branch (run $made_by)"
if [ -n "$check_only" ]; then
	# Only direct.c, in a scratch folder: no clone, no build.
	src=$(mktemp -d "$BUILD/mutants-check.XXXXXX")
	trap 'rm -rf "$src"' EXIT
	mkdir -p "$src/kernel/dma"
	git -C "$tree" show "$branch:kernel/dma/direct.c" > "$src/kernel/dma/direct.c.orig"
	reset_source() { cp "$src/kernel/dma/direct.c.orig" "$src/kernel/dma/direct.c"; }
else
	mkdir -p "$log" "$obj"
	[ -d "$src/.git" ] || git clone -q --no-checkout "$tree" "$src"
	git -C "$src" fetch -q --force "$tree" "$branch"
	git -C "$src" checkout -q --detach --force FETCH_HEAD
	reset_source() { git -C "$src" checkout -q -- kernel/dma/direct.c; }
fi

# run_suite ktap: the suite on the clone as it is now.
run_suite() {
	(cd "$src" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py run \
		"${kunit_configs[@]}" "${kunit_no_cma[@]}" --arch=arm64 \
		--cross_compile=aarch64-linux-gnu- --build_dir="$obj" \
		--make_options "CC=ccache aarch64-linux-gnu-gcc" --jobs="$(nproc)" \
		--raw_output=kunit) > "$1" 2>&1 || true
	grep -q '^KTAP version' "$1" || die "the suite did not run (see $1)"
}

if [ -z "$check_only" ]; then
	run_suite "$log/unchanged.ktap"
	"$TOP/scripts/ktap-failures.py" "$src" "$log/unchanged.ktap" > "$log/unchanged.failing"
fi

rc=0
# mutant name old new: replace the text old of kernel/dma/direct.c (with
# Python escapes) by new, run the suite, print a table row.
mutant() {
	local name=$1 out failing
	reset_source
	python3 - "$src/kernel/dma/direct.c" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1], *(a.encode().decode("unicode_escape") for a in sys.argv[2:])
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutants: the text to change is not in {path} exactly once: {old!r}")
open(path, "w").write(text.replace(old, new, 1))
PY
	if [ -n "$check_only" ]; then
		echo "| $name | (text found once; not run) |"
		return
	fi
	out=$log/${name//[^a-z0-9]/_}
	run_suite "$out.ktap"
	failing=$("$TOP/scripts/ktap-failures.py" "$src" "$out.ktap" |
		  grep -vxF -f "$log/unchanged.failing" | paste -sd ' ' - || true)
	[ -n "$failing" ] || { failing="NONE: the suite does not notice"; rc=1; }
	echo "| $name | $failing |"
}

echo "| change to kernel/dma/direct.c | cases that fail only with it |"
echo "|---|---|"
if [ "$name" = mutants ]; then
	mutant "is_dma_decrypted() ignores the pool" \
		'return force_dma_unencrypted(dev) || dma_external_decryption(dev);' \
		'return force_dma_unencrypted(dev);'
	mutant "dma_owns_decryption() ignores the pool" \
		'return force_dma_unencrypted(dev) && !dma_external_decryption(dev);' \
		'return force_dma_unencrypted(dev);'
	mutant "dma_direct_free_pages() looks up the linear address" \
		'dma_free_pages_from_pool(dev, page, size)' \
		'dma_free_from_pool(dev, vaddr, size)'
	mutant "no dma_set_decrypted() before the remap" \
		'if (dma_set_decrypted(dev, page_address(page), size))\n\t\t\tgoto out_leak_pages;' ''
	mutant "dma_direct_free() encrypts the vmap alias" \
		'\t\tcpu_addr = page_address(page);\n' ''
	mutant "dma_direct_free() encrypts before vunmap()" \
		'\t\tvunmap(cpu_addr);\n\t\t/* dma_direct_alloc() decrypted the linear alias */\n\t\tcpu_addr = page_address(page);\n' \
		'\t\tif (dma_set_encrypted(dev, page_address(page), size))\n\t\t\treturn;\n\t\tvunmap(cpu_addr);\n\t\t__dma_direct_free_pages(dev, page, size);\n\t\treturn;\n'
	mutant "a failed decryption frees the pages" \
		'out_leak_pages:\n\treturn NULL;\n}\n\nvoid dma_direct_free(' \
		'out_leak_pages:\n\t__dma_direct_free_pages(dev, page, size);\n\treturn NULL;\n}\n\nvoid dma_direct_free('
	mutant "a failed encryption on free frees the pages" \
		'\tif (dma_set_encrypted(dev, cpu_addr, size))\n\t\treturn;\n\t__dma_direct_free_pages(dev, page, size);\n}' \
		'\tdma_set_encrypted(dev, cpu_addr, size);\n\t__dma_direct_free_pages(dev, page, size);\n}'
else
	# Where 7.3 fixed S1/S2, S4, S3 and the remap, undo the fix.
	mutant "dma_direct_alloc() decrypts pool memory again" \
		'\t\t\tmark_mem_decrypt = false;\n' ''
	mutant "dma_direct_free_pages() encrypts pool memory" \
		'\tif (swiotlb_pool)\n\t\tmark_mem_encrypted = false;\n\n\tif (mark_mem_encrypted && dma_set_encrypted' \
		'\tif (mark_mem_encrypted && dma_set_encrypted'
	mutant "dma_direct_mmap() without DMA_ATTR_CC_SHARED" \
		'\tif (force_dma_unencrypted(dev))\n\t\tattrs |= DMA_ATTR_CC_SHARED;\n\n\tvma->vm_page_prot' \
		'\tvma->vm_page_prot'
	mutant "a private required mask" \
		'bool require_decrypted = force_dma_unencrypted(dev);\n\tphys_addr_t phys' \
		'bool require_decrypted = false;\n\tphys_addr_t phys'
	mutant "no decryption before the remap" \
		'\tif (mark_mem_decrypt) {\n' '\tif (mark_mem_decrypt && !remap) {\n'
	mutant "dma_direct_free_pages() looks up the linear address" \
		'dma_free_from_pool_page(dev, page, size))' \
		'dma_free_from_pool(dev, vaddr, size))'
	mutant "dma_direct_free() encrypts before vunmap()" \
		'\tif (is_vmalloc_addr(cpu_addr)) {\n\t\tvunmap(cpu_addr);\n\t} else {' \
		'\tif (is_vmalloc_addr(cpu_addr)) {\n\t\tif (mark_mem_encrypted)\n\t\t\tset_memory_encrypted((unsigned long)phys_to_virt(phys), PFN_UP(size));\n\t\tvunmap(cpu_addr);\n\t} else {'
	# 7.3 leaks like 7.2 does; these show the port's model of
	# dma_free_contiguous() at work there too.
	mutant "a failed decryption frees the pages" \
		'out_leak_pages:\n\treturn NULL;\n}\n\nvoid dma_direct_free(' \
		'out_leak_pages:\n\tdma_free_contiguous(dev, page, size);\n\treturn NULL;\n}\n\nvoid dma_direct_free('
	mutant "a failed encryption on free frees the pages" \
		'\t\t\treturn;\n\t\t}\n\t}\n\n\tif (swiotlb_pool)\n' \
		'\t\t}\n\t}\n\n\tif (swiotlb_pool)\n'
fi
reset_source
exit $rc

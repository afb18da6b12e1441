# Sourced by scripts/selftest.sh full: the seeded defects that need a
# kernel or Sphinx build (bisect, docs, size, kunit-cma, matrix, sparse,
# clang), those of the make check-full gates that judge logs (pkvm, the
# stock guest, the soak, the x86_64 guest, the benchmarks, recipients,
# upstream-7.3), and the soak's coherent stress case with a broken
# module.  The builds run on branches selftest-* of $tree, made here
# without touching its checkout and deleted on exit, in the gates' own
# object folders; every table they write goes to the scratch folder, so
# the real results stay.
# The make check-full gates must have run first (their logs are the
# input).
# shellcheck shell=bash

# seed_branch <name> <parent> <file> <sed-script>: branch selftest-<name>,
# one commit on <parent> that edits <file> of <parent> with sed.
seed_branch() {
	local commit
	commit=$(commit_with_edit "$tree" "$2" "$3" "$4" "selftest: $1") &&
		git -C "$tree" branch -q -f "selftest-$1" "$commit"
}
seed_branches_delete() {
	git -C "$tree" for-each-ref --format='%(refname:short)' 'refs/heads/selftest-*' |
		xargs -r git -C "$tree" branch -q -D
	rm -rf "$scratch"
}
trap seed_branches_delete EXIT
git -C "$tree" diff --quiet HEAD && [ "$(git -C "$tree" symbolic-ref -q --short HEAD)" = series ] ||
	{ echo "selftest: $tree must be clean and on series"; exit 1; }

# A file-scope variable nobody uses: gcc warns with W=1 (and without).
unused='/^#include "direct.h"$/a static int dma_direct_selftest_unused;'
# A global pointer initialised with 0: only sparse complains (plain
# integer as NULL pointer, and a symbol that should be static).
sparse_only='/^#include "direct.h"$/a void *dma_direct_selftest_ptr = 0;'
# A global function in direct.c: it grows every config.
growth='$a unsigned long dma_direct_selftest_growth(unsigned long x) { return x * 3 + 1; }'
# The v1 suite's bug: leaked pages given back to the page allocator even
# when dma-direct took them from CMA.
cma_free='s/(dma_free_contiguous)(model->dev, page, size);/__free_pages(page, get_order(size));/'
doc=Documentation/core-api/dma-direct-memory-encryption.rst
bad_ref='$a See :ref:`selftest-no-such-label`.'

# The SEV and TDX guests' negative controls (svm/): coherent memory
# handed to the device with the private encoding, never decrypted, or
# freed without being encrypted again.
private_handle='/^static inline dma_addr_t phys_to_dma_direct/,/^}/s/if (is_dma_decrypted(dev))/if (false)/'
no_decrypt='/^static int dma_set_decrypted/,/^}/s/if (!dma_owns_decryption(dev))/if (true)/'
no_reencrypt='/^static int dma_set_encrypted/,/^}/s/if (!dma_owns_decryption(dev))/if (true)/'

seed_branch sev-handle series kernel/dma/direct.c "$private_handle" &&
seed_branch sev-decrypt series kernel/dma/direct.c "$no_decrypt" &&
seed_branch tdx-reencrypt series kernel/dma/direct.c "$no_reencrypt" &&
seed_branch warn series kernel/dma/direct.c "$unused" &&
seed_branch sparse series kernel/dma/direct.c "$sparse_only" &&
seed_branch size series kernel/dma/direct.c "$growth" &&
seed_branch cma series kernel/dma/direct_kunit.c "$cma_free" &&
seed_branch docs series "$doc" "$bad_ref" || exit 1
# selftest.sh seeds (a make check gate): only that the seeds still change
# today's sources, without the builds below.
if [ -n "${SEEDS_ONLY:-}" ]; then
	echo "selftest-full: the 8 source seeds (sev-handle, sev-decrypt, tdx-reencrypt, warn, sparse, size, cma, docs) change their files"
	return 0
fi
# bisect: the warning comes with one patch and goes with the next, so the
# tip builds clean.
git -C "$tree" branch -q -f selftest-bisect \
	"$(git -C "$tree" commit-tree -p selftest-warn -m "selftest: fix" "series^{tree}")"

# Each seeded gate must fail for the reason seeded, not another one.
failed_with() {	# message log command...: fails if command fails and log has message
	local msg=$1 log=$2
	shift 2
	"$@" > "$log" 2>&1 && return 0
	grep -q -- "$msg" "$log" && return 1
	echo "failed, but without \"$msg\":"
	tail -n 5 "$log"
}

# bisect: a patch with a warning that the next patch removes.
expect bisect "a patch that warns, fixed by the next one" \
	bisect series~1..series -- \
	failed_with "dma_direct_selftest_unused.* defined but not used" \
		"$scratch/bisect.log" bisect series..selftest-bisect

# docs: a reference to a label that does not exist.
expect docs "a reference to an undefined label" \
	"$TOP/scripts/docs.sh" series -- \
	failed_with "undefined label: 'selftest-no-such-label'" "$scratch/docs.log" \
		"$TOP/scripts/docs.sh" selftest-docs
rm -rf "$results/docs-warnings-selftest-docs.txt" "$BUILD/obj/docs-selftest-docs"

# size: direct.o grows in a config that cannot have decrypted memory.
size_of() {	# ref
	SIZE_REF=$1 SIZE_CONFIGS=x86_64-tiny "$TOP/scripts/size.sh"
}
expect size "direct.o grows on x86_64 tinyconfig" \
	size_of series -- \
	failed_with "x86_64-tiny grew although it cannot have decrypted memory" \
		"$scratch/size.log" size_of selftest-size
rm -f "$results"/size-series.md "$results"/size-selftest-size.md \
	"$BUILD"/obj/size-x86_64-tiny/*-selftest-size.o

# kunit-cma: the suite frees CMA pages with __free_pages() again.  Built
# in the KUnit gates' folder (warm); their next run rebuilds the one
# file.
cma_run() {	# ref
	KUNIT_OBJ=$BUILD/obj/kunit-arm64 "$TOP/scripts/kunit.sh" "$1" cma
}
expect kunit-cma "CMA pages freed with __free_pages()" \
	cma_run series -- \
	failed_with "BUG: Bad page state" "$scratch/cma.log" cma_run selftest-cma
rm -f "$results"/kunit-selftest-cma-cma.*

# matrix, sparse, clang: one arch each, the seed as the series' last patch.
gates_on() {	# script ref arch
	GATES_SERIES=$2 GATES_RESULTS=$scratch/gates-$2 "$TOP/scripts/$1" "$3"
}
mkdir -p "$scratch/gates-series" "$scratch/gates-selftest-warn" "$scratch/gates-selftest-sparse"
expect matrix "a patch with a new warning (x86_64)" \
	gates_on matrix.sh series x86_64 -- \
	failed_with "dma_direct_selftest_unused" "$scratch/matrix.log" \
		gates_on matrix.sh selftest-warn x86_64
expect sparse "a warning only sparse finds (x86_64)" \
	gates_on sparse.sh series x86_64 -- \
	failed_with "Using plain integer as NULL pointer" "$scratch/sparse.log" \
		gates_on sparse.sh selftest-sparse x86_64
expect clang "a patch with a new warning (x86_64)" \
	gates_on clang.sh series x86_64 -- \
	failed_with "dma_direct_selftest_unused" "$scratch/clang.log" \
		gates_on clang.sh selftest-warn x86_64

# recipients: maintainers.txt has lost the stable list.
grep -v 'stable@vger.kernel.org' "$TOP/maintainers.txt" > "$scratch/maintainers.txt"
expect recipients "maintainers.txt without the stable list" \
	"$TOP/scripts/recipients.sh" --check -- \
	"$TOP/scripts/recipients.sh" --check "$scratch/maintainers.txt"

# pkvm: the pool's sharing changes between rest and the end, and the
# negative control stops faulting, in copies of the series run's logs.
pk=$results/pkvm-series
if [ -s "$pk.log" ] && [ -s "$pk-guest.log" ] && [ -s "$BUILD/run/pkvm-series/control.log" ]; then
	ctl=$BUILD/run/pkvm-series/control.log
	sed -E 's/(pool pages shared: [0-9]+ of [0-9]+ at rest after the first stream round, )[0-9]+/\14095/' \
		"$pk.log" > "$scratch/pkvm-unshared.log"
	grep -v 'VMM FAULT: SIGSEGV' "$ctl" > "$scratch/pkvm-control.log"
	expect pkvm "pool pages shared at the end != at rest" \
		"$TOP/scripts/pkvm.sh" --judge "$pk.log" "$pk-guest.log" "$ctl" -- \
		"$TOP/scripts/pkvm.sh" --judge "$scratch/pkvm-unshared.log" "$pk-guest.log" "$ctl"
	expect pkvm "the negative control does not fault" \
		"$TOP/scripts/pkvm.sh" --judge "$pk.log" "$pk-guest.log" "$ctl" -- \
		"$TOP/scripts/pkvm.sh" --judge "$pk.log" "$pk-guest.log" "$scratch/pkvm-control.log"
else
	echo "pkvm        no pKVM run in $results: run the pkvm gate first"
	bad=1
fi

# The stock arm64 guest, the soak and the x86_64 guest: one case fails,
# a kernel WARNING.
for g in "guest-stock stock-arm64 guest-arm64-stock disk_o_direct" \
	 "soak series-soak-arm64 guest-arm64-series-soak soak" \
	 "guest-x86_64 series-x86_64 guest-x86_64-series net_stream"; do
	read -r name console run case <<< "$g"
	console=$results/$console.log run=$BUILD/run/$run
	if [ -s "$console" ] && [ -f "$run/stream.txt" ]; then
		sed -E "s/^ok ([0-9]+) $case\b/not ok \1 $case/" "$console" > "$scratch/$name-notok.log"
		expect "$name" "its case $case 'not ok'" \
			guest_judge "$console" "$run" -- guest_judge "$scratch/$name-notok.log" "$run"
		expect_guest_line "$name" "a kernel WARNING in its log" "$console" "$run" \
			"[    2.718281] WARNING: CPU: 0 PID: 1 at kernel/dma/swiotlb.c:1090 swiotlb_map+0x30/0x2a0"
	else
		echo "$name no run in $results: run the $name gate first"
		bad=1
	fi
done

# The benchmark: a boot whose log lost its results (the logs the bench
# gate of make check-full reads, from the guest-x86_64 gates).
a=$results/stock-x86_64.log b=$results/series-x86_64.log
if [ -s "$a" ] && [ -s "$b" ]; then
	grep -v 'dma_map_benchmark run' "$b" > "$scratch/bench-empty.log"
	expect bench "a boot without benchmark results" \
		"$TOP/scripts/dma-bench.py" "$a" "$b" -- \
		"$TOP/scripts/dma-bench.py" "$a" "$scratch/bench-empty.log"
else
	echo "bench       no x86_64 guest boots in $results: run make guests first"
	bad=1
fi

# upstream-7.3: the 7.3 run stops after a case starts (a crash), so the
# cases after it have no result.
k=$results/kunit-7.3.ktap
if [ -s "$k" ] && [ -d "$BUILD/tree-7.3" ]; then
	sed '/# Subtest: remap_decrypt_failure_leaks_pages/q' "$k" > "$scratch/kunit-7.3.ktap"
	expect upstream-7.3 "the 7.3 suite stops in one case" \
		"$TOP/scripts/upstream-7.3.sh" --judge "$k" -- \
		failed_with "7.3.4: no result for remap_decrypt_failure_leaks_pages/" \
			"$scratch/upstream-7.3.log" \
			"$TOP/scripts/upstream-7.3.sh" --judge "$scratch/kunit-7.3.ktap"
else
	echo "upstream-7.3 no 7.3 run in $results: run the upstream-7.3 gate first"
	bad=1
fi

# svm-guests, the vendor variant: the atomic pool boots' judgement, on
# copies of the TDX boots' logs: the series' case fails, or stock's
# kernel complaint is not in a free of pages.
v=$results/stock-vendor-svm-tdx-x86_64.log s=$results/series-vendor-svm-tdx-x86_64.log
if [ -s "$v" ] && [ -s "$s" ]; then
	sed -E 's/^ok ([0-9]+) atomic_pages$/not ok \1 atomic_pages/' "$s" > "$scratch/vendor-series-notok.log"
	grep -vE '(dma_free_pages|_*free_pages)\+' "$v" > "$scratch/vendor-stock-elsewhere.log"
	expect svm-vendor "the series fails its atomic pool case" \
		"$TOP/scripts/svm-trees.sh" --judge-vendor series "$s" -- \
		"$TOP/scripts/svm-trees.sh" --judge-vendor series "$scratch/vendor-series-notok.log"
	expect svm-vendor "stock's complaint is not in a free of pages" \
		"$TOP/scripts/svm-trees.sh" --judge-vendor stock "$v" -- \
		"$TOP/scripts/svm-trees.sh" --judge-vendor stock "$scratch/vendor-stock-elsewhere.log"
else
	echo "svm-vendor  no vendor-variant boots in $results: run the svm-guests gate first"
	bad=1
fi

# svm-guests, the kernel's own word: a series boot's verdict fails once
# its log lacks the line in which the kernel says it runs as a SEV guest,
# or as a TDX guest (what a kernel built without that support prints).
for m in "sev:Memory Encryption Features active" "tdx:tdx: Guest detected"; do
	mode=${m%%:*} line=${m#*:}
	l=$results/series-svm-$mode-x86_64.log r=$BUILD/run/guest-x86_64-series-svm-$mode
	if [ -s "$l" ] && [ -d "$r" ]; then
		grep -vF "$line" "$l" > "$scratch/svm-$mode-nocc.log"
		expect "svm-$mode" "the kernel never says it is a ${mode^^} guest" \
			"$TOP/scripts/svm-linux.sh" --judge "$mode" "$l" "$r" -- \
			failed_with "did not say it" "$scratch/svm-$mode-nocc-judged.log" \
				"$TOP/scripts/svm-linux.sh" --judge "$mode" "$scratch/svm-$mode-nocc.log" "$r"
	else
		echo "svm-$mode     no series boot in $mode mode in $results: run the svm-guests gate first"
		bad=1
	fi
done

# svm-guests: a series kernel with a seeded dma-direct defect, booted in
# the mode of the emulated platform that can see it, must fail there with
# the defect's symptom; the series' own kernel (the svm-guests gate's,
# reused) in the same mode must pass.  One object folder for every seed
# (only direct.c differs).  The modes that cannot see a seed are in
# svm/README.md.
svm_boot() {	# kernel-name ref mode [reuse]: the verdict, then the console
	local rc=0
	GUEST_REUSE_KERNEL=${4:-} SVM_LABEL=selftest-svm GUEST_TIMEOUT=150 \
		"$TOP/scripts/svm-linux.sh" "$tree" "$1" "$3" "$2" || rc=$?
	cat "$results/selftest-svm-x86_64.log"
	return $rc
}
for seed in "sev-handle:sev:did not power off within:the private encoding in coherent handles" \
	    "sev-decrypt:sev:Guest says index 23130 is available:coherent memory never decrypted" \
	    "sev-decrypt:tdx:Guest says index 23130 is available:coherent memory never decrypted" \
	    "tdx-reencrypt:tdx:MapGPA of pages already there:memory freed while still shared"; do
	IFS=: read -r name mode symptom what <<<"$seed"
	expect "svm-$mode" "$what" \
		svm_boot series series "$mode" 1 -- \
		failed_with "$symptom" "$scratch/svm-$name-$mode.log" \
			svm_boot selftest-svm "selftest-$name" "$mode"
done
rm -f "$results"/selftest-svm-x86_64.*
rm -rf "$BUILD"/run/guest-x86_64-selftest-svm

# coherent_stress (soak gate): a module whose fill runs 64 bytes past each
# buffer, into its neighbour, in the soak gate's kernel (reused, warm).
sed 's|i < b->size / sizeof(\*word); i++)$|i < b->size / sizeof(*word) + 16; i++)|' \
	"$TOP/guest/dma_coherent_bench.c" > "$scratch/dma_coherent_bench.c"
stress_boot() {	# module-source: the verdict, then the console (the module's errors)
	local rc=0
	GUEST_REUSE_KERNEL=1 GUEST_LABEL=selftest-stress GUEST_MODULE=$1 \
		GUEST_APPEND="wl_coherent=/dma_coherent_bench.ko wl_coherent_stress=10" \
		"$TOP/scripts/guest-arm64.sh" "$tree" series-soak series "$TOP/guest/modules.config" ||
		rc=$?
	cat "$results/selftest-stress-arm64.log"
	return $rc
}
if cmp -s "$TOP/guest/dma_coherent_bench.c" "$scratch/dma_coherent_bench.c"; then
	echo "soak        the overflow seed no longer applies to guest/dma_coherent_bench.c"
	bad=1
else
	expect soak "coherent stress: a fill past each buffer" \
		stress_boot "$TOP/guest/dma_coherent_bench.c" -- \
		failed_with "coherent bench: .* buffer at .*: word [0-9]* is" "$scratch/stress.log" \
			stress_boot "$scratch/dma_coherent_bench.c"
fi
rm -f "$results"/selftest-stress-arm64.*
rm -rf "$BUILD/run/guest-arm64-selftest-stress"

#!/bin/bash
# Every gate must be able to fail.  For the cheap gates of make check,
# seed the defect each one guards against into a scratch copy of its
# input, run the gate's own function on it, and require FAIL; then run it
# on the unseeded copy and require PASS, so a gate that always fails does
# not pass the self-test either.  Prints one line per gate.  Needs the
# results of the kunit, reproduce, size, guest, guest-kasan and realm
# gates (run it after them); touches nothing outside a scratch directory.
#
# Usage: scripts/selftest.sh [full|seeds]
#   full: instead, the seeds that need a kernel or Sphinx build and those
#   of the make check-full gates (scripts/selftest-full.sh).
#   seeds: only check that the source seeds of "full" still change the
#   files they seed, without building anything (the seeds gate).
set -uo pipefail
. "$(dirname "$0")/check.sh"

scratch=$(mktemp -d "$BUILD/selftest.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
bad=0

expect() {	# name seeded-defect pass-command... -- fail-command...
	local name=$1 what=$2 i got clean
	shift 2
	for ((i = 1; i <= $#; i++)); do [ "${!i}" = -- ] && break; done
	if "${@:1:i-1}" > "$scratch/$name-clean.log" 2>&1; then clean=PASS; else clean=FAIL; fi
	if "${@:i+1}" > "$scratch/$name-seeded.log" 2>&1; then got=PASS; else got=FAIL; fi
	printf '%-12s seeded: %-44s expected FAIL, got %s (unseeded: %s)\n' \
		"$name" "$what" "$got" "$clean"
	if [ "$got" != FAIL ] || [ "$clean" != PASS ]; then
		sed 's/^/    /' "$scratch/$name-clean.log" "$scratch/$name-seeded.log" | tail -n 20
		bad=1
	fi
}

# guest-lib.sh's verdict on a copy of a guest run's console log.
. "$TOP/scripts/guest-lib.sh"
guest_judge() {	# console-log run-dir (read only: its stream.txt)
	local log=$1 ktap=$scratch/guest.ktap run=$2
	local status=0 timeout=180 build_time=0 boot_time=0
	guest_verdict selftest "$tree"
}
# The verdict must fail once a kernel line is added to the run's log.
expect_guest_line() {	# gate seeded-defect console-log run-dir line
	{ cat "$3"; echo "$5"; } > "$scratch/$1-line.log"
	expect "$1" "$2" guest_judge "$3" "$4" -- guest_judge "$scratch/$1-line.log" "$4"
}

# The result cache (scripts/result-cache.sh): its key must change with a
# patch, a script or a harness variable, and stay for README.md.  On a
# copy of this repository's files, so nothing real is touched.
repo_copy() {	# dir: this repository's files in a fresh git checkout there
	rm -rf "$1" && mkdir -p "$1" &&
	(cd "$TOP" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
		tar -xf - -C "$1" && git -C "$1" init -q && git -C "$1" add -A
}
same_key() {	# file-to-edit [VAR=value]: the key stays after the edit
	local copy=$scratch/keycopy before after
	repo_copy "$copy" || return 2
	before=$(key_of "$copy") || return 2
	echo "# seeded" >> "$copy/$1"
	after=$(key_of "$copy" ${2:-}) || return 2
	[ "$before" = "$after" ]
}
key_of() {	# repository-copy [VAR=value...]: its key for gate $key_gate (kunit)
	RESULT_TOP=$1 env "${@:2}" bash -c ". '$TOP/scripts/common.sh' &&
		. '$TOP/scripts/result-cache.sh' && result_key ${key_gate:-kunit} '$1/scripts/kunit.sh' series"
}
same_key_for() {	# gate file-to-edit: same_key, for that gate's key
	local key_gate=$1
	same_key "$2"
}
# The same files at another path (a fresh clone elsewhere) keep the key.
other_path_key() {	# [sed-script for the second copy's patches]
	local a=$scratch/keycopy-a b=$scratch/keycopy-b
	repo_copy "$a" && repo_copy "$b" || return 2
	[ -z "${1:-}" ] || sed -i "$1" "$b"/patches/0001-*.patch
	[ "$(key_of "$a")" = "$(key_of "$b")" ]
}
result_cache_seeds() {
	local p
	p=$(cd "$TOP" && ls patches/0003-*.patch)
	expect result-cache "one byte more in a patch keeps the key" \
		same_key README.md -- same_key "$p"
	expect result-cache "an edited script keeps the key" \
		same_key README.md -- same_key scripts/realm.sh
	expect result-cache "a harness variable keeps the key" \
		same_key README.md -- same_key README.md GUEST_TIMEOUT=1
	expect result-cache "a clone elsewhere with one patch changed keeps the key" \
		other_path_key -- other_path_key 's/^Subject: /Subject: x/'
	# Each gate's key leaves out the component folders it does not read
	# (result_reads), but never one it reads.
	expect result-cache "an edited realm/ file keeps the realm gate's key" \
		same_key_for realm README.md -- same_key_for realm realm/README.md
	expect result-cache "an edited guest/ file keeps the guest gate's key" \
		same_key_for guest-arm64 README.md -- same_key_for guest-arm64 guest/workload.c
	expect result-cache "an edited svm/ file keeps the selftest gate's key" \
		same_key_for selftest README.md -- same_key_for selftest svm/hv/tdx.c
	if ! same_key_for kunit svm/hv/tdx.c || ! same_key_for realm vmm/main.c; then
		echo "result-cache: a key changed with a folder its gate does not read"
		bad=1
	fi
}

case ${1:-} in
"")	;;
full)	. "$TOP/scripts/selftest-full.sh"
	exit $bad ;;
seeds)	result_cache_seeds
	SEEDS_ONLY=1 . "$TOP/scripts/selftest-full.sh"
	exit $bad ;;
*)	echo "usage: selftest.sh [full|seeds]" >&2
	exit 2 ;;
esac

# roundtrip: patches/ no longer matches what the tree exports.
mkdir -p "$scratch/edited"
cp "$TOP"/patches/0*.patch "$TOP/patches/series" "$scratch/edited/"
sed -i '0,/^Subject: \[PATCH/s//Subject: [PATCH edited/' "$scratch"/edited/0001-*.patch
expect roundtrip "a patch edited by hand, not exported" \
	roundtrip "$TOP/patches" -- roundtrip "$scratch/edited"

# apply: a patch whose context no longer matches the base.  tree.sh must
# fail and leave nothing behind (in a scratch BUILD: the real tree stays).
mkdir -p "$scratch/apply-patches"
cp "$TOP"/patches/0*.patch "$scratch/apply-patches/"
p=$(ls "$scratch"/apply-patches/0002-*.patch)
awk '!done && /^ \t/ { sub(/^ \t/, " \tX"); done = 1 } { print }' "$p" > "$p.new" && mv "$p.new" "$p"
apply_tree() {	# build-folder patches
	BUILD=$1 PATCHES=$2 "$TOP/scripts/tree.sh" || return
	git -C "$1/tree" rev-parse -q --verify series >/dev/null
}
expect apply "a patch whose context does not match" \
	apply_tree "$scratch/apply-clean" "$TOP/patches" -- \
	apply_tree "$scratch/apply-seeded" "$scratch/apply-patches"
if [ -e "$scratch/apply-seeded/tree" ] || [ -e "$scratch/apply-seeded/tree.new" ]; then
	echo "apply       the failed apply left a tree behind in $scratch/apply-seeded"
	bad=1
fi
rm -rf "$scratch/apply-clean" "$scratch/apply-seeded"

# checkpatch: an over-long line in a commit message, and trailing
# whitespace on an added line of code.
mkdir -p "$scratch/long" "$scratch/space"
cp "$TOP"/patches/0*.patch "$scratch/long/"
cp "$TOP"/patches/0*.patch "$scratch/space/"
p=$(ls "$scratch"/long/0001-*.patch)
awk '{ print } !done && /^$/ { print "This added line of the commit message is longer than the 75 columns checkpatch allows."; print ""; done = 1 }' \
	"$p" > "$p.new" && mv "$p.new" "$p"
p=$(ls "$scratch"/space/0002-*.patch)
sed -i '0,/^+\t/s/^\(+\t.*\)$/\1 /' "$p"
expect checkpatch "commit message line over 75 columns" \
	checkpatch "$TOP/patches" -- checkpatch "$scratch/long"
expect checkpatch "trailing whitespace in an added line" \
	checkpatch "$TOP/patches" -- checkpatch "$scratch/space"

# checkpatch's stable limit: patch 1 grown to exactly 100 lines must
# pass, and to 101 must fail.
grow_patch1() {	# dir lines
	local p n
	mkdir -p "$1"
	cp "$TOP"/patches/0*.patch "$1/"
	p=$(ls "$1"/0001-*.patch)
	n=$(diff_lines "$p")
	awk -v extra=$(($2 - n)) '{ print }
		!done && /^\+ \*\/$/ { while (extra-- > 0) print "+ *"; done = 1 }' \
		"$p" > "$p.new" && mv "$p.new" "$p"
}
grow_patch1 "$scratch/edge" 100
grow_patch1 "$scratch/big" 101
expect checkpatch "a fix patch one line over the stable limit" \
	stable_size "$scratch/edge" -- stable_size "$scratch/big"

# kernel-doc: a predicate's kernel-doc loses its @dev line.
mkdir -p "$scratch/kdoc"
git -C "$tree" archive series kernel/dma | tar -x -C "$scratch/kdoc"
cp -r "$scratch/kdoc" "$scratch/kdoc-seeded"
sed -i '/^ \* dma_owns_decryption() - /{n;d}' "$scratch/kdoc-seeded/kernel/dma/direct.c"
expect kernel-doc "a predicate without its @dev line" \
	kdoc_new "$scratch/kdoc" "$scratch/kdoc" -- kdoc_new "$scratch/kdoc" "$scratch/kdoc-seeded"

# kunit: a failing case in the KTAP, and a kernel splat in the console of
# a run whose tests all pass.
ktap=$results/kunit-series.ktap console=$results/kunit-series.console
if [ -s "$ktap" ] && [ -s "$console" ]; then
	sed '0,/^\( *\)ok 1 /s//\1not ok 1 /' "$ktap" > "$scratch/notok.ktap"
	{ cat "$console"; echo "[   42.000000] BUG: Bad page state in process kunit_try_catch  pfn:7dc21"; } \
		> "$scratch/splat.console"
	expect kunit "a KTAP 'not ok' line" \
		python3 "$tree/tools/testing/kunit/kunit.py" parse "$ktap" -- \
		python3 "$tree/tools/testing/kunit/kunit.py" parse "$scratch/notok.ktap"
	expect kunit-splat "'BUG: Bad page state' in the console" \
		test -z "$(kernel_splats "$console")" -- test -z "$(kernel_splats "$scratch/splat.console")"
else
	echo "kunit       no results of the kunit gate in $results: run it first"
	bad=1
fi

# reproduce: the expected list names one case too many.
ktap=$results/kunit-reproduce.ktap
if [ -s "$ktap" ]; then
	cp "$ktap" "$scratch/reproduce.ktap"
	{ cat "$TOP/tests/stock-failures.txt"; echo "encrypt_failure_leaks_pages/forced_only"; } \
		> "$scratch/stock-failures.txt"
	expect reproduce "one expected failure too many" \
		same_failures "$TOP/tests/stock-failures.txt" "$scratch/reproduce.ktap" -- \
		same_failures "$scratch/stock-failures.txt" "$scratch/reproduce.ktap"
else
	echo "reproduce   no results of the reproduce gate in $results: run it first"
	bad=1
fi

# guest verdict: a kernel WARNING, and a failing KTAP case, in the console
# of an arm64 guest run that passed.
console=$results/series-arm64.log
run=$BUILD/run/guest-arm64-series
if [ -s "$console" ] && [ -f "$run/stream.txt" ]; then
	expect_guest_line guest "a kernel WARNING in a passing guest's log" "$console" "$run" \
		"[    3.141592] WARNING: CPU: 1 PID: 1 at kernel/dma/direct.c:330 dma_direct_alloc+0x2c/0x3a0"
	sed '0,/^ok 1 /s//not ok 1 /' "$console" > "$scratch/guest-notok.log"
	expect guest "a guest KTAP case 'not ok'" \
		guest_judge "$console" "$run" -- guest_judge "$scratch/guest-notok.log" "$run"
	# bad-pools: a disk pass that did not bounce through the pool it was
	# assigned, and devices that lost the pool without a word.
	tr -d '\r' < "$console" > "$scratch/pool.log"
	cp "$results/series-arm64.ktap" "$scratch/pool.ktap"
	sed -E 's/^(# disk_buffered: pool high-water mark )[0-9]+, ([0-9]+) slots/\1\2, \2 slots/' \
		"$scratch/pool.ktap" > "$scratch/pool-bypass.ktap"
	grep -v 'assigned reserved memory node' "$scratch/pool.log" > "$scratch/pool-silent.log"
	expect bad-pools "a disk pass that bypassed its pool" \
		"$TOP/scripts/bad-pools.sh" --problems "$scratch/pool.log" "$scratch/pool.ktap" -- \
		"$TOP/scripts/bad-pools.sh" --problems "$scratch/pool.log" "$scratch/pool-bypass.ktap"
	expect bad-pools "devices without their pool, no message" \
		"$TOP/scripts/bad-pools.sh" --problems "$scratch/pool.log" "$scratch/pool.ktap" -- \
		"$TOP/scripts/bad-pools.sh" --problems "$scratch/pool-silent.log" "$scratch/pool.ktap"
else
	echo "guest       no arm64 guest run in $results: run the guest gate first"
	bad=1
fi

# guest-kasan: a KASAN report in the console of the KASAN guest's run.
console=$results/series-kasan-arm64.log
run=$BUILD/run/guest-arm64-series-kasan
if [ -s "$console" ] && [ -f "$run/stream.txt" ]; then
	expect_guest_line guest-kasan "a KASAN report in the guest's log" "$console" "$run" \
		"[    5.271828] BUG: KASAN: slab-use-after-free in swiotlb_tbl_map_single+0x1c4/0x5a0"
else
	echo "guest-kasan no KASAN guest run in $results: run the guest-kasan gate first"
	bad=1
fi

# realm: the series converts pool memory, and stock no longer shows S1
# (the negative control), in copies of the two realm runs.
# A realm verdict (scripts/realm-trees.sh --judge*) must fail on an
# edited copy of a run's log.
expect_realm() {	# seeded-defect judge-mode tree log seeded-log
	expect realm "$1" "$TOP/scripts/realm-trees.sh" "$2" "$3" "$4" -- \
		"$TOP/scripts/realm-trees.sh" "$2" "$3" "$5"
}
# A copy of this repository with one file edited, for gates whose seed
# is in the harness itself; the edit must change the file.
seeded_copy() {	# dir file sed-script
	repo_copy "$1" || return 2
	cp "$1/$2" "$scratch/seeded-copy.orig"
	sed -i "$3" "$1/$2"
	! cmp -s "$1/$2" "$scratch/seeded-copy.orig" ||
		{ echo "seeded_copy: the sed script did not change $2" >&2; return 2; }
}

if [ -s "$results/realm-stock.log" ] && [ -s "$results/realm-series.log" ] &&
   [ -s "$results/realm-stock-atomic.log" ] && [ -s "$results/realm-series-atomic.log" ] &&
   [ -s "$results/realm-stock-remap.log" ] && [ -s "$results/realm-series-remap.log" ]; then
	sed -E 's/(requests for the same RIPAS: )[0-9]+ EMPTY/\18 EMPTY/' \
		"$results/realm-series.log" > "$scratch/realm-series.log"
	sed -E 's/(requests for the same RIPAS: )[0-9]+ EMPTY/\10 EMPTY/' \
		"$results/realm-stock.log" > "$scratch/realm-stock.log"
	expect_realm "the series decrypts pool granules again" --judge series \
		"$results/realm-series.log" "$scratch/realm-series.log"
	expect_realm "stock stops showing S1 (negative control)" --judge stock \
		"$results/realm-stock.log" "$scratch/realm-stock.log"
	# The atomic pool boots: the series' case fails, and stock's kernel
	# BUG is gone (its negative control) or is elsewhere.
	sed -E 's/^ok ([0-9]+) atomic_pages$/not ok \1 atomic_pages/' \
		"$results/realm-series-atomic.log" > "$scratch/realm-series-atomic.log"
	grep -vE '(BUG:|kernel BUG|Bad page state|WARNING:|Oops|Unable to handle|Kernel panic)' \
		"$results/realm-stock-atomic.log" > "$scratch/realm-stock-atomic.log"
	grep -vE '(dma_free_pages|_*free_pages)\+' "$results/realm-stock-atomic.log" > "$scratch/realm-stock-atomic-elsewhere.log"
	expect_realm "the series fails its atomic pool case" --judge-atomic series \
		"$results/realm-series-atomic.log" "$scratch/realm-series-atomic.log"
	expect_realm "stock's atomic pool bug leaves no trace (negative control)" --judge-atomic stock \
		"$results/realm-stock-atomic.log" "$scratch/realm-stock-atomic.log"
	expect_realm "stock's kernel complaint is not in a free of pages (negative control)" \
		--judge-atomic stock "$results/realm-stock-atomic.log" \
		"$scratch/realm-stock-atomic-elsewhere.log"
	# The non-coherent boots: the series is stopped by the enforcing
	# mode; stock is not stopped, or elsewhere than in dma_direct_alloc().
	{ cat "$results/realm-series-remap.log"
	  grep -m1 '^fw: STOP: ' "$results/realm-stock-remap.log"; } > "$scratch/realm-series-remap.log"
	grep -v -e '^fw: STOP: ' -e '^realm: stopped with ' \
		"$results/realm-stock-remap.log" > "$scratch/realm-stock-remap.log"
	sed 's/LR in dma_direct_alloc+/LR in dma_direct_free+/' \
		"$results/realm-stock-remap.log" > "$scratch/realm-stock-remap-elsewhere.log"
	expect_realm "the series is stopped by the enforcing mode" --judge-remap series \
		"$results/realm-series-remap.log" "$scratch/realm-series-remap.log"
	expect_realm "stock is not stopped (negative control)" --judge-remap stock \
		"$results/realm-stock-remap.log" "$scratch/realm-stock-remap.log"
	expect_realm "stock is stopped outside dma_direct_alloc()" --judge-remap stock \
		"$results/realm-stock-remap.log" "$scratch/realm-stock-remap-elsewhere.log"
	# The enforcing mode itself: a firmware that leaves a granule's
	# alias mapped when it goes back to RAM must fail the ABI test.
	abi_test() {	# repository build-folder
		BUILD=$2 REALM_NAME=selftest-abi "$1/scripts/realm.sh" --abi-test > "$scratch/realm-abi.log" 2>&1
	}
	seeded_copy "$scratch/fwcopy" realm/fw/stage2.c '/^\t\t\*pte(ipa | alias_bit) = 0;$/d' || bad=1
	expect realm "stage 2 keeps the alias of a RAM granule" \
		abi_test "$TOP" "$scratch/build" -- abi_test "$scratch/fwcopy" "$scratch/fwbuild"
	# A guest that never powers off must end with its own message.
	realm_timeout() {	# seconds
		REALM_NAME=selftest REALM_TIMEOUT=$1 "$TOP/scripts/realm.sh" \
			"$BUILD/obj/guest-arm64-realm-series/arch/arm64/boot/Image" \
			"$BUILD/run/guest-arm64-series/initramfs.cpio" 2>&1 |
			tee "$scratch/realm-timeout.log" | grep -q 'VERDICT realm: PASS' &&
		! grep -q 'did not power off' "$scratch/realm-timeout.log"
	}
	expect realm "a guest that does not power off in time" \
		realm_timeout 120 -- realm_timeout 1
	grep -q 'did not power off within 1s' "$scratch/realm-timeout.log" ||
		{ echo "realm       the timeout did not say so"; bad=1; }
else
	echo "realm       no realm runs in $results: run the realm gate first"
	bad=1
fi

# svm: a hypervisor whose CPUID leaf 0x8000001f does not say SEV, whose
# MapGPA to shared leaves the private view mapped (not enforcing), or
# that answers a TDCALL from ring 3 must fail its ABI tests.
svm_test() {	# repository build-folder
	BUILD=$2 "$1/scripts/svm.sh" --abi-test > "$scratch/svm-abi.log" 2>&1
}
seeded_copy "$scratch/svmcopy" svm/hv/exit.c 's/^\(#define CPUID_SEV\t*\)BIT(1)/\10/' || bad=1
expect svm "CPUID 0x8000001f without the SEV bit" \
	svm_test "$TOP" "$scratch/svmbuild" -- svm_test "$scratch/svmcopy" "$scratch/svmbuild2"
seeded_copy "$scratch/tdxcopy" svm/hv/tdx.c 's/shared ? NPT_SHARED : NPT_NONE/shared ? NPT_BOTH : NPT_NONE/' || bad=1
expect svm "TDX MapGPA to shared keeps the private view" \
	svm_test "$TOP" "$scratch/svmbuild" -- svm_test "$scratch/tdxcopy" "$scratch/svmbuild3"
seeded_copy "$scratch/cplcopy" svm/hv/exit.c 's/hv_mode == HV_MODE_TDX \&\& v->save.cpl/hv_mode == HV_MODE_TDX \&\& 0/' || bad=1
expect svm "a TDCALL from ring 3 reaches the TDX module" \
	svm_test "$TOP" "$scratch/svmbuild" -- svm_test "$scratch/cplcopy" "$scratch/svmbuild4"

# svm-tdx: the enforcing TDX run's judgement, on a copy of the series'
# log in which the hypervisor saw a page made shared twice.
l=$results/series-svm-tdx-x86_64.log r=$BUILD/run/guest-x86_64-series-svm-tdx
if [ -s "$l" ]; then
	sed -E 's/^(hv: tdx: MapGPA of pages already there: )0 to shared/\11 to shared/' \
		"$l" > "$scratch/svm-tdx-again.log"
	expect svm-tdx "a page MapGPA made shared twice" \
		"$TOP/scripts/svm-linux.sh" --judge tdx "$l" "$r" -- \
		"$TOP/scripts/svm-linux.sh" --judge tdx "$scratch/svm-tdx-again.log" "$r"
else
	echo "svm-tdx     no TDX run in $results: run the svm-tdx gate first"
	bad=1
fi

# hotpath: one instruction of a streaming function changes (in the
# series' disassembly, so no build is needed).
obj=$BUILD/obj/size-arm64-pool
if [ -f "$obj/direct-series.o" ]; then
	aarch64-linux-gnu-objdump -d -r --no-show-raw-insn "$obj/direct-base.o" > "$scratch/base.dis"
	aarch64-linux-gnu-objdump -d -r --no-show-raw-insn "$obj/direct-series.o" > "$scratch/series.dis"
	awk '/<dma_direct_map_sg>:$/ { f = 1 } f && !done && /\tldr\t/ { sub(/\tldr\t/, "\tldrb\t"); done = 1 } { print }' \
		"$scratch/series.dis" > "$scratch/seeded.dis"
	expect hotpath "one instruction of dma_direct_map_sg()" \
		python3 "$TOP/scripts/hotpath.py" --disasm "$scratch/base.dis" "$scratch/series.dis" -- \
		python3 "$TOP/scripts/hotpath.py" --disasm "$scratch/base.dis" "$scratch/seeded.dis"
else
	echo "hotpath     no objects of the size gate in $obj: run it first"
	bad=1
fi

exit $bad

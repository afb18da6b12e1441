#!/bin/bash
# Every gate must be able to fail.  For the cheap gates of make check,
# seed the defect each one guards against into a scratch copy of its
# input, run the gate's own function on it, and require FAIL; then run it
# on the unseeded copy and require PASS, so a gate that always fails does
# not pass the self-test either.  Prints one line per gate.  Needs the
# results of the kunit and reproduce gates (run it after them); touches
# nothing outside a scratch directory.
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
	printf '%-11s seeded: %-44s expected FAIL, got %s (unseeded: %s)\n' \
		"$name" "$what" "$got" "$clean"
	if [ "$got" != FAIL ] || [ "$clean" != PASS ]; then
		sed 's/^/    /' "$scratch/$name-clean.log" "$scratch/$name-seeded.log" | tail -n 20
		bad=1
	fi
}

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

exit $bad

#!/bin/bash
# The x86_64 guest kernel of the stock tree and of the series, each booted
# under our SVM hypervisor (scripts/svm-linux.sh) as a SEV guest on an
# emulated SEV, and as the same guest without SEV (the control).  On 7.2
# the series changes nothing a SEV guest does (its predicates give what
# force_dma_unencrypted() gave), so every boot of both trees must pass:
# private memory really apart from what the devices see, the disk and
# stream I/O verified, no DMA-API debug error.
#
# Writes build/results/<tree>-svm-<mode>-x86_64.{log,ktap} and sev.md.
#
# Usage: scripts/svm-trees.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ $# -eq 0 ] || die "usage: svm-trees.sh   (no arguments)"
tree=$BUILD/tree
results=$BUILD/results
out=$results/sev.md
mkdir -p "$results"

# One row of the table from a run's console log.
row() {	# tree mode verdict
	local log=$results/$1-svm-$2-x86_64.log ktap=$results/$1-svm-$2-x86_64.ktap
	local ok planned bytes mismatches dma time sev shared
	ok=$(grep -cE '^ok ' "$ktap" 2>/dev/null || true)
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$ktap" 2>/dev/null | head -n 1)
	bytes=$(sed -nE 's/.* ([0-9]+) bytes checked.*/\1/p; s/.* ([0-9]+) bytes received and echoed.*/\1/p' "$log" |
		awk '{ s += $1 } END { printf "%d", s / 1048576 }')
	mismatches=$(sed -nE 's/.* ([0-9]+) mismatches.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	dma=$(sed -nE 's/.*DMA-API debug: error_count ([0-9]+).*/\1/p' "$log" | head -n 1)
	time=$(sed -nE 's/.*boot\+workload ([0-9]+s).*/\1/p' "$results/$1-svm-$2.verdict" 2>/dev/null || true)
	sev=$(grep -m1 -o 'Memory Encryption Features active: .*' "$log" | sed 's/.*: //' || true)
	shared=$(sed -nE 's/^hv: power-off: .* wrote ([0-9]+) pages of its RAM through the shared view, ([0-9]+) .*/\1 \/ \2/p' "$log")
	echo "| $1 | $2 | ${sev:-none} | ${shared:-?} | ${ok:-0}/${planned:-?} | ${bytes:-0} MiB | $mismatches | ${dma:-?} | ${time:-?} | $3 |"
}

bad=0
rows=()
for t in stock:base series:series; do
	name=${t%%:*} ref=${t#*:}
	for mode in sev plain; do
		verdict=PASS
		# The second boot of a tree reuses its kernel.
		reuse=${GUEST_REUSE_KERNEL:-}
		[ "$mode" = sev ] || reuse=1
		GUEST_REUSE_KERNEL=$reuse "$TOP/scripts/svm-linux.sh" "$tree" "$name" "$mode" "$ref" |
			tee "$results/$name-svm-$mode.verdict" || verdict=FAIL
		[ "$verdict" = PASS ] || bad=1
		rows+=("$(row "$name" "$mode" "$verdict")")
	done
done

{
	echo "# SEV guests on an emulated SEV (svm/)"
	echo
	echo "Made by \`scripts/svm-trees.sh\` (\`make sev\`). The guest's code runs for real as L2 under"
	echo "QEMU TCG's SVM with nested paging; there is no encryption, no SEV firmware and no"
	echo "isolation. In \`sev\` mode its private memory is other RAM than what the devices see,"
	echo "and the shared view is poisoned at launch; \`plain\` is the same guest without SEV."
	echo "Plain SEV converts memory by page tables alone, so no conversion is seen from below;"
	echo "what the hypervisor sees is which pages the guest's CPU wrote through each view (the"
	echo "nested page tables' dirty bits at the guest's ACPI power-off; devices are not counted)."
	echo
	echo "| tree | mode | memory encryption (kernel) | pages written shared / private (from below) | cases ok | verified | mismatches | DMA-API errors | boot + workload | verdict |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} > "$out"
cat "$out"
[ "$bad" -eq 0 ] || die "svm-trees: a boot failed (see the verdicts above)"

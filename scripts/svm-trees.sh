#!/bin/bash
# The x86_64 guest kernel of the stock tree and of the series, each booted
# under our SVM hypervisor (scripts/svm-linux.sh) as a SEV guest on an
# emulated SEV, as a TDX guest on an emulated TDX module, and as the same
# guest without either (plain, the control).  On 7.2 the series changes
# nothing a SEV or TDX guest does (its predicates give what
# force_dma_unencrypted() gave), so every boot of both trees must pass:
# the disk and stream I/O verified through 10 unbind/bind cycles of the
# disk, no DMA-API debug error, and for TDX no access the nested tables
# refuse.
#
# The vendor modes (vendor-sev, vendor-tdx) boot the vendor variant of
# both trees (svm-linux.sh's SVM_VENDOR=1: INTEL_TDX_GUEST selects
# DMA_DIRECT_REMAP, so the atomic pools are vmap'd) with the atomic pool
# module.  The series must pass; stock 7.2 must show the atomic pool bug,
# a kernel complaint whose trace runs from the module into a free of
# pages (common.sh's freed_by_module; the negative control), and a stock
# boot without it fails the run.
#
# Writes build/results/<tree>-svm-<mode>-x86_64.{log,ktap} (the vendor
# modes: <tree>-vendor-svm-<sev|tdx>-x86_64) and svm-guests.md, one table
# per mode.
#
# Usage: scripts/svm-trees.sh [sev|tdx|plain|vendor-sev|vendor-tdx]...
#   (default: all five)
#        scripts/svm-trees.sh --judge-vendor <stock|series> <console-log>
#   (only the atomic pool cells of a vendor-variant boot's row, and
#   whether the tree behaved as it must: for make check-selftest)
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ "${1:-}" = --judge-vendor ]; then
	[ $# -eq 3 ] && [[ $2 = stock || $2 = series ]] && [ -f "$3" ] ||
		die "usage: svm-trees.sh --judge-vendor <stock|series> <console-log>"
	judge_vendor=("$2" "$3")
	set --
fi
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(sev tdx plain vendor-sev vendor-tdx)
for m in "${modes[@]}"; do
	[[ $m =~ ^(sev|tdx|plain|vendor-sev|vendor-tdx)$ ]] ||
		die "usage: svm-trees.sh [sev|tdx|plain|vendor-sev|vendor-tdx]...   (unknown mode '$m')"
done
tree=$BUILD/tree
results=$BUILD/results
out=$results/svm-guests.md
mkdir -p "$results"

# What the hypervisor saw: TDX's MapGPA and ACCEPT counts, or for SEV and
# plain (which convert by page tables alone) the pages the guest's CPU
# wrote through each view.
from_below() {	# log
	local tdx marks
	tdx=$(sed -nE 's/^hv: tdx: .*MapGPA ([0-9]+) calls: ([0-9]+) pages to shared, ([0-9]+) to private; ACCEPT [0-9]+ calls, ([0-9]+) pages.*/MapGPA \1: \2 to shared, \3 to private; \4 accepted/p' "$1")
	marks=$(sed -nE 's/^hv: mark [12]: ([0-9]+) pages shared.*/\1/p' "$1" | paste -sd/)
	[ -z "$tdx" ] || { echo "$tdx; shared before/after the cycles ${marks:-?}"; return; }
	sed -nE 's/^hv: power-off: .* wrote ([0-9]+) pages of its RAM through the shared view, ([0-9]+) .*/written \1 shared, \2 private/p' "$1"
}

# atomic <tree> <log>: the atomic pool case and the first kernel
# complaint, as table cells, then whether the tree behaved as it must (0)
# or not (1) (atomic_pool_result).
atomic() {
	local rc=0
	atomic_pool_result "$1" "$2" 60 || rc=1
	echo "${atomic_case:-missing} | ${atomic_splat:-none}"
	return $rc
}

if [ -n "${judge_vendor+set}" ]; then
	atomic "${judge_vendor[@]}"
	exit
fi

# One row of a table from a run's console log.
row() {	# tree label verdict [atomic-cells]
	local log=$results/$2-x86_64.log ktap=$results/$2-x86_64.ktap
	local ok planned mib mismatches cycles dma time cc stop
	ok=$(grep -cE '^ok ' "$ktap" 2>/dev/null || true)
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$ktap" 2>/dev/null | head -n 1)
	mib=$(sed -nE 's/.* ([0-9]+) bytes checked.*/\1/p; s/.* ([0-9]+) bytes received and echoed.*/\1/p' "$log" |
		awk '{ s += $1 } END { printf "%d", s / 1048576 }')
	mismatches=$(sed -nE 's/.* ([0-9]+) mismatches.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	cycles=$(sed -nE 's/.*device_churn: ([0-9]+ of [0-9]+) unbind.*/\1/p' "$log" | head -n 1)
	dma=$(sed -nE 's/.*DMA-API debug: error_count ([0-9]+).*/\1/p' "$log" | head -n 1)
	time=$(sed -nE 's/.*boot(\+workload)? ([0-9]+s).*/\2/p' "$results/$2.verdict" 2>/dev/null || true)
	cc=$(grep -m1 -o 'Memory Encryption Features active: .*' "$log" | sed 's/.*: //' || true)
	stop=$(grep -c '^hv: STOP: ' "$log" || true)
	echo "| $1 | ${cc:-none} | $(from_below "$log") | $stop | ${4:+$4 | }${ok:-0}/${planned:-?} | ${mib:-0} MiB | $mismatches | ${cycles:-?} | ${dma:-?} | ${time:-?} | $3 |"
}

bad=0
declare -A rows
for t in stock:base series:series; do
	name=${t%%:*} ref=${t#*:}
	reuse=${GUEST_REUSE_KERNEL:-}
	for mode in "${modes[@]}"; do
		m=${mode#vendor-} vendor='' label=$name-svm-$mode cells=''
		[ "$m" = "$mode" ] || vendor=1 label=$name-vendor-svm-$m
		verdict=PASS
		# No earlier run's log may stand in for a boot that never ran.
		rm -f "$results/$label-x86_64.log" "$results/$label-x86_64.ktap"
		SVM_VENDOR=$vendor SVM_LABEL=$label GUEST_REUSE_KERNEL=$reuse \
			"$TOP/scripts/svm-linux.sh" "$tree" "$name" "$m" "$ref" |
			tee "$results/$label.verdict" || verdict=FAIL
		# The series, and stock outside the vendor modes, must pass.
		[ "$verdict" = PASS ] || { [ -n "$vendor" ] && [ "$name" = stock ]; } || bad=1
		if [ -n "$vendor" ]; then
			if ! cells=$(atomic "$name" "$results/$label-x86_64.log"); then
				bad=1
				[ "$name" = series ] || verdict="$verdict: stock 7.2 did not show the atomic pool bug (negative control)"
			elif [ "$name" = stock ]; then
				verdict="FAIL, as it must: the atomic pool bug"
			fi
		fi
		rows[$mode]+="$(row "$name" "$label" "$verdict" "$cells")"$'\n'
		# The tree's other boots reuse its kernels.
		reuse=1
	done
done

{
	echo "# SEV and TDX guests on an emulated platform (svm/)"
	echo
	echo "Made by \`scripts/svm-trees.sh\` (\`make sev\`, \`make tdx\`). The guest's code runs for"
	echo "real as L2 under QEMU TCG's SVM with nested paging; there is no encryption, no SEV"
	echo "firmware, no TDX module and no isolation. Private memory is other RAM than what the"
	echo "devices see, and the shared view is poisoned at launch. \"From below\": for TDX the"
	echo "emulated module's MapGPA and ACCEPT counts, in an enforcing run (a page's shared"
	echo "view is mapped only while the guest made it shared; \"stops\" counts refused"
	echo "accesses); for SEV and plain, which convert by page tables alone, the pages the"
	echo "guest's CPU wrote through each view (the nested dirty bits; devices not counted)."
	for mode in "${modes[@]}"; do
		echo
		echo "## $mode"
		echo
		if [[ $mode = vendor-* ]]; then
			echo "The vendor variant: INTEL_TDX_GUEST selects DMA_DIRECT_REMAP (one Kconfig line on"
			echo "this build only), modules and DEBUG_VM, page_poison=1, the atomic pool module."
			echo
			echo "| tree | memory encryption (kernel) | from below | stops | atomic_pages | first kernel complaint | cases ok | verified | mismatches | unbind/bind cycles | DMA-API errors | boot + workload | verdict |"
			echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		else
			echo "| tree | memory encryption (kernel) | from below | stops | cases ok | verified | mismatches | unbind/bind cycles | DMA-API errors | boot + workload | verdict |"
			echo "|---|---|---|---|---|---|---|---|---|---|---|"
		fi
		printf '%s' "${rows[$mode]}"
	done
} > "$out"
cat "$out"
[ "$bad" -eq 0 ] || die "svm-trees: a boot failed (see the verdicts above)"

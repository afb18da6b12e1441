#!/bin/bash
# The arm64 guest kernel of the stock tree and of the series, each booted
# as a realm guest on an emulated RSI (scripts/realm.sh), compared by what
# the firmware saw the kernel do to the restricted pool's granules.
#
# swiotlb makes the whole pool EMPTY (shared) once, when it attaches it.
# Every later request to make pool granules EMPTY again is dma-direct
# decrypting pool memory a second time (S1), and every change of pool
# granules back to RAM is dma-direct encrypting pool memory that swiotlb
# still uses (S2).  The workload unbinds and rebinds the virtio devices of
# the disk and of the console (wl_churn), which frees and reallocates
# their coherent memory, each followed by verified I/O (a disk pass, a
# stream round).
#
# The series must convert no pool granule and pass every case.  The stock
# tree must show S1 and S2 and their first real symptom, or this run
# proves nothing (a negative control): corrupted data after a cycle
# (swiotlb bounces through slots that dma-direct made private again, while
# the device reads their shared alias), or a device that stops answering
# (an indirect descriptor table, bounced like data, went through such a
# slot, so the device read garbage descriptors).
#
# A second boot of each tree has no restricted pool, so that its virtio
# devices force unencrypted DMA without one, and loads
# guest/dma_atomic_pages.c: non-blocking dma_alloc_pages() and
# dma_free_pages(), served by the atomic pools, on a kernel with DEBUG_VM
# and page poisoning (guest/debug-vm.config).  The series must pass it;
# stock 7.2 frees the pool's pages to the page allocator, and must show
# it (the case fails with a kernel BUG or a bad page state), or again the
# run proves nothing.
#
# A third boot of each tree has no restricted pool either and takes
# dma-coherent off the devices' nodes, so that dma_direct_alloc() remaps
# their coherent memory (virtqueues), and runs the unbind/rebind cycles.
# Every boot runs in the firmware's enforcing mode (realm/fw/stage2.c):
# the shared alias of a granule is mapped only while it is EMPTY.  Stock
# 7.2 maps the remapped memory decrypted without decrypting it, and must
# be stopped at its first write there, in dma_direct_alloc(); the series
# must run clean.  Without the enforcing mode stock passes this boot: the
# CPU and the device then both use the alias, whatever its RIPAS.
#
# Writes build/results/realm-{stock,series}.{log,ktap},
# realm-{stock,series}-{atomic,remap}.{log,ktap} and realm.md.
#
# Usage: scripts/realm-trees.sh
#        scripts/realm-trees.sh --tree <name> <kernel-tree> <git-ref>
#            one more tree, its three boots judged like the series'
#            (scripts/upstream-7.3.sh boots 7.3.y this way); prints a row
#            for each of the three tables.  GUEST_APPEND adds kernel
#            parameters to all of its boots.
#        scripts/realm-trees.sh --judge <name> <log> [<realm.sh output>]
#        scripts/realm-trees.sh --judge-atomic <name> <log>
#        scripts/realm-trees.sh --judge-remap <name> <log>
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$BUILD/tree
results=$BUILD/results
out=$results/realm.md
mkdir -p "$results"

# pool_counts <log>: "<requests to make EMPTY granules EMPTY> <changes to RAM>"
# from the firmware's line for the restricted pool.
pool_counts() {
	sed -nE 's/^rsi: restricted-dma-pool [^:]*: RIPAS changes [0-9]+ to EMPTY, ([0-9]+) to RAM; requests for the same RIPAS: ([0-9]+) EMPTY, .*/\2 \1/p' "$1" |
		head -n 1
}

# judge <name> <log> [<realm.sh output>]: the table row; fails if the tree
# does not behave as it must.
judge() {
	local name=$1 log=$2 out=${3:-} counts again to_ram planned ran notok
	local bad cycles rest debug secs="" verdict=ok
	counts=$(pool_counts "$log")
	[ -n "$counts" ] || { echo "realm: no restricted pool counters in $log" >&2; return 1; }
	read -r again to_ram <<< "$counts"
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$log" | head -n 1)
	ran=$(grep -cE '^(not )?ok [0-9]+ ' "$log" || true)
	notok=$(grep -E '^not ok [0-9]+ ' "$log" | cut -d' ' -f4 | xargs || true)
	# disk passes and stream rounds after a rebind
	bad=$(sed -nE 's/^# device_churn: .*, ([0-9]+) mismatches$/\1/p' "$log" | paste -sd+ - | bc 2>/dev/null)
	! grep -q '^# device_churn: no progress' "$log" || bad="${bad:-0}, then a device stopped answering"
	cycles=$(sed -nE 's/^# device_churn: ([0-9]+ of [0-9]+) unbind.*/\1/p' "$log")
	rest=$(sed -nE 's/^# device_churn: .*at rest: ([0-9-]+) before, ([0-9-]+) after$/\1 \/ \2/p' "$log")
	debug=$(sed -nE 's/^# DMA-API debug: error_count ([0-9]+), .*/\1/p' "$log")
	[ -z "$out" ] || secs=$(sed -nE 's/^VERDICT realm: .*\(boot ([0-9]+)s;.*/\1 s/p' "$out")
	if [ "${planned:-x}" != "$ran" ] || ! grep -q '^fw: SYSTEM_OFF requested' "$log"; then
		verdict="FAIL: the run did not complete ($ran of ${planned:-?} cases, no clean power-off)"
	elif [ "$name" != stock ]; then
		[ "$again" -eq 0 ] && [ "$to_ram" -eq 0 ] ||
			verdict="FAIL: $name converted pool memory"
		[ -z "$notok" ] || verdict="FAIL: cases not ok: $notok"
	else
		[ "$again" -gt 0 ] && [ "$to_ram" -gt 0 ] && [ "$notok" = device_churn ] ||
			verdict="FAIL: stock 7.2 did not show S1, S2 and the corruption (negative control)"
	fi
	echo "| $name | $again | $to_ram | ${bad:-?} | ${cycles:-?} | ${rest:-?} | ${debug:-?} | $((ran - $(wc -w <<< "$notok"))) of ${planned:-?} ok${notok:+ (not ok: $notok)} | ${secs:-?} | $verdict |"
	[ "$verdict" = ok ]
}

# judge_atomic <name> <log>: the atomic pool boot's table row; fails if
# the tree does not behave as it must.
judge_atomic() {
	local name=$1 log=$2 to_ram verdict=ok as_it_must=1
	atomic_pool_result "$name" "$log" 70 || as_it_must=
	to_ram=$(sed -nE 's/^rsi: other [^:]*: RIPAS changes [0-9]+ to EMPTY, ([0-9]+) to RAM;.*/\1/p' "$log")
	if ! grep -q '^fw: SYSTEM_OFF requested' "$log"; then
		verdict="FAIL: the run did not complete (no clean power-off)"
	elif [ -z "$as_it_must" ] && [ "$name" = stock ]; then
		verdict="FAIL: stock 7.2 did not show the atomic pool bug (negative control)"
	elif [ -z "$as_it_must" ]; then
		verdict="FAIL: $name: atomic_pages ${atomic_case:-missing}${atomic_splat:+, $atomic_splat}"
	fi
	echo "| $name | ${atomic_case:-missing} | ${atomic_splat:-none} | ${to_ram:-?} | $verdict |"
	[ "$verdict" = ok ]
}

# judge_remap <name> <log>: the non-coherent boot's table row; fails if
# the tree does not behave as it must.
judge_remap() {
	local name=$1 log=$2 stop where planned ran notok cycles to_ram verdict=ok
	stop=$(sed -nE 's/^fw: STOP: stage 2 fault on cpu [0-9]+: (.*); VA .*/\1/p' "$log" | head -n 1)
	where=$(sed -nE 's/^realm: stopped with (.*)/\1/p' "$log" | head -n 1)
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$log" | head -n 1)
	ran=$(grep -cE '^(not )?ok [0-9]+ ' "$log" || true)
	notok=$(grep -E '^not ok [0-9]+ ' "$log" | cut -d' ' -f4 | xargs || true)
	cycles=$(sed -nE 's/^# device_churn: ([0-9]+ of [0-9]+) unbind.*/\1/p' "$log")
	to_ram=$(sed -nE 's/^rsi: other [^:]*: RIPAS changes [0-9]+ to EMPTY, ([0-9]+) to RAM;.*/\1/p' "$log")
	if [ "$name" != stock ]; then
		if [ -n "$stop" ]; then
			verdict="FAIL: $name was stopped by the enforcing mode"
		elif ! grep -q '^fw: SYSTEM_OFF requested' "$log" || [ "${planned:-x}" != "$ran" ]; then
			verdict="FAIL: the run did not complete ($ran of ${planned:-?} cases, no clean power-off)"
		elif [ -n "$notok" ] || [ -n "$(kernel_splats "$log")" ]; then
			verdict="FAIL: $name: cases not ok: ${notok:-none}; kernel complaints: $(kernel_splats "$log" | head -n 1)"
		fi
	else
		# The first wrong access: the memset of the new allocation
		# through its decrypted vmap alias of never-shared pages.
		grep -q 'the shared alias of a granule with RIPAS RAM' <<<"$stop" &&
			grep -q 'LR in dma_direct_alloc+' <<<"$where" ||
			verdict="FAIL: stock 7.2 was not stopped in dma_direct_alloc() (negative control)"
	fi
	echo "| $name | ${stop:-none}${where:+ ($where)} | ${cycles:-none} | ${to_ram:-?} | $verdict |"
	[ "$verdict" = ok ]
}

churn_cycles=10
remap_header="| tree | first stop of the enforcing mode | unbind/bind cycles verified | granules made RAM again | verdict |"
atomic_header="| tree | atomic_pages case | first kernel complaint | granules made RAM outside any pool | verdict |"
header="| tree | pool granules made EMPTY again (S1) | pool granules back to RAM (S2) | bytes mismatched after unbind/bind | unbind/bind cycles verified | pool slots in use at rest, before / after the cycles | DMA-API debug errors | workload cases | boot + workload | verdict |"

# realm_tree <name> <kernel-tree> <git-ref>: build, boot and judge one
# tree; prints its table row, fails if the tree does not behave.
realm_tree() {
	local name=$1 ktree=$2 ref=$3 out=$results/realm-$1.out ok=yes
	local image=$BUILD/obj/guest-arm64-realm-$1/arch/arm64/boot/Image
	local initrd=$BUILD/run/guest-arm64-realm-$1/initramfs.cpio
	# Builds the guest kernel (with modules and DEBUG_VM: its own object
	# folder, which make check's arm64 guest gates boot too, so that
	# after them this build has nothing to do) and initramfs, and boots
	# them as a plain guest, which must pass too.
	echo "realm: building the $name guest kernel in $BUILD/obj/guest-arm64-realm-$name (about 3 minutes cold, 163 s in docs/gates.md's cold run, 8 min on a slower machine; seconds after the guest gate built it)" >&2
	GUEST_MODULE=$TOP/guest/dma_atomic_pages.c "$TOP/scripts/guest-arm64.sh" \
		"$ktree" "realm-$name" "$ref" "${realm_fragments[@]}" \
		> "$results/realm-$name-build.log" 2>&1 ||
		die "the $name arm64 guest failed: see $results/realm-$name-build.log"
	# realm.sh fails the stock run for its corrupted data, and for
	# nothing else: any other problem it reports fails this run.
	if ! REALM_NAME=$name REALM_APPEND="${GUEST_APPEND:+$GUEST_APPEND }wl_churn=$churn_cycles" \
		"$TOP/scripts/realm.sh" "$image" "$initrd" > "$out" 2>&1; then
		[ "$name" = stock ] || { cat "$out" >&2; ok=no; }
	fi
	if [ "$name" = stock ] && grep '^realm: ' "$out" |
	   grep -v -e '^realm: booting ' -e '^realm: workload cases not ok: device_churn$' >&2; then
		echo "realm: the stock run failed for another reason than the corruption" >&2
		ok=no
	fi
	judge "$name" "$results/realm-$name.log" "$out" && [ $ok = yes ]
}

# realm_atomic <name>: the atomic pool boot of a tree realm_tree built;
# prints its table row, fails if the tree does not behave.
realm_atomic() {
	local name=$1 out=$results/realm-$1-atomic.out
	REALM_NAME=$name-atomic REALM_POOL=0 \
		REALM_APPEND="${GUEST_APPEND:+$GUEST_APPEND }wl_atomic=/dma_atomic_pages.ko page_poison=1" \
		"$TOP/scripts/realm.sh" "$BUILD/obj/guest-arm64-realm-$name/arch/arm64/boot/Image" \
		"$BUILD/run/guest-arm64-realm-$name/initramfs.cpio" > "$out" 2>&1 || true
	judge_atomic "$name" "$results/realm-$name-atomic.log"
}

# realm_remap <name>: the non-coherent boot of a tree realm_tree built;
# prints its table row, fails if the tree does not behave.
realm_remap() {
	local name=$1 out=$results/realm-$1-remap.out
	REALM_NAME=$name-remap REALM_POOL=0 REALM_NONCOHERENT=1 \
		REALM_APPEND="${GUEST_APPEND:+$GUEST_APPEND }wl_churn=$churn_cycles" \
		"$TOP/scripts/realm.sh" "$BUILD/obj/guest-arm64-realm-$name/arch/arm64/boot/Image" \
		"$BUILD/run/guest-arm64-realm-$name/initramfs.cpio" > "$out" 2>&1 || true
	judge_remap "$name" "$results/realm-$name-remap.log"
}

case ${1:-} in
--judge)	# only judge logs (for scripts/selftest.sh)
	judge "$2" "$3" "${4:-}"
	exit ;;
--judge-atomic)
	judge_atomic "$2" "$3"
	exit ;;
--judge-remap)
	judge_remap "$2" "$3"
	exit ;;
--tree)
	[ $# -eq 4 ] || die "usage: realm-trees.sh --tree <name> <kernel-tree> <git-ref>"
	[ "$2" != stock ] || die "--tree: 'stock' is the negative control's name"
	# A row for each of the three tables, in their order, as
	# scripts/upstream-7.3.sh expects.
	rc=0
	realm_tree "$2" "$3" "$4" || rc=1
	realm_atomic "$2" || rc=1
	realm_remap "$2" || rc=1
	exit $rc ;;
"")	;;
*)	die "usage: realm-trees.sh [--tree <name> <kernel-tree> <git-ref> | --judge <name> <log> [<out>] | --judge-atomic <name> <log> | --judge-remap <name> <log>]" ;;
esac

rc=0
rows=() atomic_rows=() remap_rows=()
# The firmware's own answers first, checked from EL1 (realm/test/abi.c).
REALM_NAME=abi "$TOP/scripts/realm.sh" --abi-test > "$results/realm-abi.out" 2>&1 ||
	{ cat "$results/realm-abi.out"; die "the realm firmware's ABI test failed"; }
tail -n 1 "$results/realm-abi.out"
for t in stock:base series:series; do
	row=$(realm_tree "${t%%:*}" "$tree" "${t#*:}") || rc=1
	rows+=("$row")
	row=$(realm_atomic "${t%%:*}") || rc=1
	atomic_rows+=("$row")
	row=$(realm_remap "${t%%:*}") || rc=1
	remap_rows+=("$row")
done
{
	echo "Every boot in the firmware's enforcing mode (realm/fw/stage2.c). With a restricted pool:"
	echo
	echo "$header"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Without a restricted pool, non-blocking dma_alloc_pages() (atomic pools):"
	echo
	echo "$atomic_header"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${atomic_rows[@]}"
	echo
	echo "Without a restricted pool and without dma-coherent (remapped coherent memory):"
	echo
	echo "$remap_header"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${remap_rows[@]}"
} > "$out"
cat "$out"
exit $rc

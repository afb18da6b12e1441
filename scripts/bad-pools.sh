#!/bin/bash
# Boot the arm64 guest of the stock tree and of the series with restricted
# DMA pools that are wrong in the ways a device-tree author gets them
# wrong, record what 7.2 does with each, and fail unless, for every case:
# no warning, oops or panic; no corrupted data; no silent use of memory
# outside the pool (a device that was assigned the pool bounces through
# it, and a device that was not has a line in the log saying why); and
# the series does what stock does.  Where 7.2 itself breaks one of these
# rules the case names the problem, and it must be exactly that one (a
# memory-region phandle without a node is skipped without a word by
# of_dma_set_restricted_buffer(), drivers/of/device.c).
#
# Usage: scripts/bad-pools.sh [case...]    (default: all; --list names them)
# Needs the arm64 guest kernels of both trees (scripts/guest-arm64.sh
# builds them; this script calls it, with GUEST_POOL_DTS for the pool).
# Writes build/results/bad-pools.md and bad-pool-<case>-<tree>-arm64.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$BUILD/tree
results=$BUILD/results
out=$results/bad-pools.md
work=$BUILD/run/bad-pools
mkdir -p "$work" "$results"

# <case>|<what is wrong>|<reserved-memory body>|<memory-region of each
# device>|<the problem 7.2 is known to have there, if any>.
# guest-arm64.sh repeats a line with @SLOT@ for each virtio-mmio transport.
silent="0 of 2 devices got the pool and no line says why"
cases=(
"good|nothing: 64 MiB, 2 MiB aligned, two devices on one pool (the guest gate's layout)|size = <0 0x4000000>; alignment = <0 0x200000>;|<&rdp>|"
"too-small|1 MiB: 512 slots for the disk and about 4,200 console receive buffers|size = <0 0x100000>; alignment = <0 0x200000>;|<&rdp>|"
"odd-size|64 MiB + 1 KiB: not a multiple of the 2 KiB slot|size = <0 0x4000400>; alignment = <0 0x200000>;|<&rdp>|"
"misaligned|static at 0x58000100: not page aligned|reg = <0 0x58000100 0 0x4000000>;|<&rdp>|"
"no-map|no-map: the pool is not in the linear map|size = <0 0x4000000>; alignment = <0 0x200000>; no-map;|<&rdp>|"
"missing-node|memory-region points at a phandle no node has|size = <0 0x4000000>; alignment = <0 0x200000>;|<0xdead>|$silent"
)

if [ "${1:-}" = --list ]; then
	printf '%s\n' "${cases[@]}" | cut -d'|' -f1,2 | tr '|' '\t'
	exit 0
fi
want=("$@")
# A sound boot of this guest takes a few seconds; a pool that stalls the
# disk is an outcome to record, not to wait for.
timeout=40

# outcome <log> <ktap> <status>: what the kernel did with the pool and the
# devices, and how the workload fared, as one line (the same words for
# both trees).
outcome() {
	local log=$1 ktap=$2 status=$3 pool assigned probe io full
	if grep -q 'created restricted DMA pool' "$log"; then
		pool="pool created"
	elif grep -q 'restricted-dma-pool compatible matching fail' "$log"; then
		pool="pool refused (\"compatible matching fail\")"
	else
		pool="no pool line"
	fi
	assigned=$(grep -c 'assigned reserved memory node restricted-dma-pool' "$log" || true)
	assigned="$assigned of 2 devices assigned"
	grep -q 'failed to initialise "restricted-dma-pool"' "$log" &&
		assigned+=" (\"failed to initialise\")"
	grep -q 'could not find phandle' "$log" && assigned+=" (\"could not find phandle\")"
	probe=$(sed -nE 's/.*(virtio_[a-z]+) virtio[0-9]+: probe with driver .* failed with error (-[0-9]+).*/\1 probe failed (\2)/p' "$log" |
		paste -sd, - | sed 's/,/, /g')
	grep -q '\[vda\]' "$log" || probe="${probe:+$probe, }no disk"
	io=$(grep -E '^(not )?ok [0-9]+ (disk_buffered|disk_o_direct|console_stream|swiotlb_pool_in_use)$' "$ktap" |
		sed -E 's/^ok [0-9]+ (.*)/\1 ok/; s/^not ok [0-9]+ (.*)/\1 not ok/' | paste -sd, - | sed 's/,/, /g')
	full=$(grep -c 'swiotlb buffer is full' "$log" || true)
	echo "$pool; $assigned${probe:+; $probe}; ${io:-no workload result}$( ((full == 0)) || echo "; \"swiotlb buffer is full\" $full times")$( ((status != 124)) || echo "; I/O stalled: no power-off in ${timeout}s")"
}

# problems <log> <ktap>: what must never happen, one per line.
problems() {
	local log=$1 ktap=$2 assigned c
	kernel_splats "$log" | head -n 3 | sed 's/^/splat: /'
	! grep -qE '^# .*, [1-9][0-9]* mismatches$' "$ktap" || echo "corrupted data"
	assigned=$(grep -c 'assigned reserved memory node restricted-dma-pool' "$log" || true)
	if [ "$assigned" -eq 2 ]; then
		# a disk phase that passed must have bounced through the pool
		for c in disk_buffered disk_o_direct; do
			grep -qE "^ok [0-9]+ $c\$" "$ktap" || continue
			grep -qE "^# $c: pool high-water mark ([0-9]+), ([0-9]+) slots" "$ktap" &&
			sed -nE "s/^# $c: pool high-water mark ([0-9]+), ([0-9]+) slots.*/\1 \2/p" "$ktap" |
				{ read -r high rest; [ "$high" -gt "$rest" ]; } ||
				echo "$c passed without bouncing through the pool it was assigned"
		done
	elif ! grep -qE 'compatible matching fail|failed to initialise "restricted-dma-pool"|could not find phandle|Reserved memory: failed' "$log"; then
		echo "$assigned of 2 devices got the pool and no line says why"
	fi
}

# Only judge a run (for scripts/selftest.sh): --problems <console log> <ktap>
if [ "${1:-}" = --problems ]; then
	found=$(problems "$2" "$3")
	[ -z "$found" ] || { echo "$found"; exit 1; }
	exit 0
fi

rows=() rc=0
for c in "${cases[@]}"; do
	IFS='|' read -r name what body link known <<< "$c"
	if [ ${#want[@]} -gt 0 ] && [[ " ${want[*]} " != *" $name "* ]]; then
		continue
	fi
	cat > "$work/$name.dtsi" <<EOF

/ {
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		rdp: restricted-dma-pool {
			compatible = "restricted-dma-pool";
			$body
		};
	};
};
EOF
	echo "&{/virtio_mmio@@SLOT@} { memory-region = $link; };" >> "$work/$name.dtsi"
	declare -A seen=()
	for t in stock:base series:series; do
		tname=${t%%:*} ref=${t#*:} label=bad-pool-$name-$tname status=0
		GUEST_REUSE_KERNEL=1 GUEST_POOL_DTS=$work/$name.dtsi GUEST_LABEL=$label GUEST_TIMEOUT=$timeout \
			"$TOP/scripts/guest-arm64.sh" "$tree" "$tname" "$ref" > "$work/$label.out" 2>&1 || true
		grep -q '^guest: booting' "$work/$label.out" ||
			die "the $tname guest for case $name did not boot: see $work/$label.out"
		! grep -q 'machine did not power off' "$work/$label.out" || status=124
		tr -d '\r' < "$results/$label-arm64.log" > "$work/$label.log"
		seen[$tname]=$(outcome "$work/$label.log" "$results/$label-arm64.ktap" "$status")
		seen[$tname-bad]=$(problems "$work/$label.log" "$results/$label-arm64.ktap" | paste -sd';' - | sed 's/;/; /g')
		[ -z "${seen[$tname-bad]}" ] || echo "bad-pools: $name on $tname: ${seen[$tname-bad]}" >&2
	done
	verdict=ok
	[ -z "$known" ] || verdict="ok, a known problem of 7.2: $known"
	[ "${seen[stock]}" = "${seen[series]}" ] || { verdict="FAIL: the trees differ"; rc=1; }
	if [ "${seen[stock-bad]}" != "$known" ] || [ "${seen[series-bad]}" != "$known" ]; then
		verdict="FAIL: ${seen[series-bad]:-${seen[stock-bad]:-the known problem is gone: $known}}"
		rc=1
	fi
	stock=${seen[stock]}
	[ "$stock" != "${seen[series]}" ] || stock=same
	rows+=("| $name | $what | ${seen[series]} | $stock | $verdict |")
	echo "${rows[-1]}"
	unset seen
done
{
	echo "| case | what is wrong | what 7.2 does with the series | stock 7.2.13 | verdict |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} > "$out"
exit $rc

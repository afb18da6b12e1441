#!/bin/bash
# The DMA map benchmark of the x86_64 guest (scripts/guest-x86_64.sh),
# stock and series in alternating boots: stock, series, stock, ... so
# that whatever else the machine does in the meantime falls on both
# trees alike.  Each boot runs tools/dma's dma_map_benchmark five times
# for 2 s; scripts/dma-bench.py then gives each tree's median, the ratio
# and its 95 % bootstrap interval.  A benchmark, not a test.
#
# Usage: scripts/bench-abab.sh [boots per tree, default 10]
# Writes build/results/dma-bench-abab.md and abab-<tree>-<n>-x86_64.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

boots=${1:-10}
[[ $boots =~ ^[0-9]+$ ]] && [ "$boots" -ge 2 ] || die "usage: bench-abab.sh [boots per tree, at least 2]"
tree=$BUILD/tree
results=$BUILD/results
logs_stock=() logs_series=()
for i in $(seq "$boots"); do
	for t in stock:base series:series; do
		name=${t%%:*} ref=${t#*:}
		echo "bench-abab: boot $i of $boots, $name"
		# The first boot of each tree builds its kernel; later ones reuse it.
		GUEST_REUSE_KERNEL=1 GUEST_LABEL=abab-$name-$i GUEST_ACCEL=${GUEST_ACCEL:-kvm} \
			"$TOP/scripts/guest-x86_64.sh" "$tree" "$name" "$ref" > "$BUILD/run/abab-$name-$i.out" 2>&1 ||
			die "the $name guest failed: see $BUILD/run/abab-$name-$i.out"
		if [ "$name" = stock ]; then
			logs_stock+=("$results/abab-$name-$i-x86_64.log")
		else
			logs_series+=("$results/abab-$name-$i-x86_64.log")
		fi
	done
done
"$TOP/scripts/dma-bench.py" "${logs_stock[@]}" -- "${logs_series[@]}" | tee "$results/dma-bench-abab.md"

#!/bin/bash
# A DMA benchmark, stock and series in alternating boots, in pairs whose
# order alternates too (stock, series, series, stock, ...: ABBA), so that
# whatever else the machine does in the meantime falls on both trees
# alike, and neither tree always boots first; scripts/dma-bench.py then gives each tree's
# median, the ratio and its 95 % bootstrap interval.  A benchmark, not a
# test.  Two benchmarks:
#   map       the x86_64 guest (scripts/guest-x86_64.sh) runs tools/dma's
#             dma_map_benchmark five times for 2 s per boot: streaming
#             map/unmap through swiotlb=force
#   coherent  the arm64 guest (scripts/guest-arm64.sh) loads
#             guest/dma_coherent_bench.c: dma_alloc_coherent() and
#             dma_free_coherent() on a restricted-pool device, 2000 of
#             each per buffer size per boot (the path the series changes)
#   realm     the same module in the same kernels, booted as realm guests
#             on an emulated RSI (scripts/realm.sh): unencrypted DMA is
#             forced there, so stock converts pool memory on every
#             allocation and free (S1/S2), and the series does not
#
# Usage: scripts/bench-abab.sh [map|coherent|realm] [boots per tree, default 10]
# Writes build/results/<kind>-bench-abab.md (dma-bench-abab.md for map)
# and the boots' logs abab-[<kind>-]<tree>-<n>-<arch>.log (realm-abab-...
# for realm).
set -euo pipefail
. "$(dirname "$0")/common.sh"

kind=map
case ${1:-} in map|coherent|realm) kind=$1; shift ;; esac
boots=${1:-10}
[[ $boots =~ ^[0-9]+$ ]] && [ "$boots" -ge 2 ] && [ $# -le 1 ] ||
	die "usage: bench-abab.sh [map|coherent|realm] [boots per tree, at least 2]"
tree=$BUILD/tree
results=$BUILD/results

boot() {	# tree-name git-ref n: one boot; prints its console log's path
	local name=$1 ref=$2 i=$3 label
	if [ "$kind" = realm ]; then
		# The kernel, module and initramfs of the tree's coherent boot.
		label=abab-coherent-$name-prep
		REALM_NAME=abab-$name-$i REALM_APPEND=wl_coherent=/dma_coherent_bench.ko \
			"$TOP/scripts/realm.sh" \
			"$BUILD/obj/guest-arm64-$name-coherent/arch/arm64/boot/Image" \
			"$BUILD/run/guest-arm64-$label/initramfs.cpio" \
			> "$BUILD/run/realm-abab-$name-$i.out" 2>&1 || return
		echo "$results/realm-abab-$name-$i.log"
	elif [ "$kind" = map ]; then
		label=abab-$name-$i
		GUEST_REUSE_KERNEL=1 GUEST_LABEL=$label GUEST_ACCEL=${GUEST_ACCEL:-kvm} \
			"$TOP/scripts/guest-x86_64.sh" "$tree" "$name" "$ref" \
			> "$BUILD/run/$label.out" 2>&1 || return
		echo "$results/$label-x86_64.log"
	else
		label=abab-coherent-$name-$i
		GUEST_REUSE_KERNEL=1 GUEST_LABEL=$label \
			GUEST_MODULE=$TOP/guest/dma_coherent_bench.c \
			GUEST_APPEND=wl_coherent=/dma_coherent_bench.ko \
			"$TOP/scripts/guest-arm64.sh" "$tree" "$name-coherent" "$ref" \
			"$TOP/guest/modules.config" > "$BUILD/run/$label.out" 2>&1 || return
		echo "$results/$label-arm64.log"
	fi
}

# The realm boots take the kernel, module and initramfs of one coherent
# boot of each tree, made afresh here.
if [ "$kind" = realm ]; then
	for t in stock:base series:series; do
		echo "bench-abab: realm, the ${t%%:*} tree's kernel, module and initramfs"
		kind=coherent boot "${t%%:*}" "${t#*:}" prep > /dev/null ||
			die "the ${t%%:*} guest failed: see $BUILD/run/abab-coherent-${t%%:*}-prep.out"
	done
fi
logs_stock=() logs_series=()
for i in $(seq "$boots"); do
	order="stock:base series:series"
	[ $((i % 2)) -eq 1 ] || order="series:series stock:base"
	for t in $order; do
		name=${t%%:*} ref=${t#*:}
		echo "bench-abab: $kind, boot $i of $boots, $name"
		# The first boot of each tree builds its kernel; later ones reuse it.
		log=$(boot "$name" "$ref" "$i") ||
			die "the $name guest failed: see $BUILD/run/*abab-*$name-$i.out"
		if [ "$name" = stock ]; then
			logs_stock+=("$log")
		else
			logs_series+=("$log")
		fi
	done
done
out=$results/$kind-bench-abab.md
[ "$kind" = map ] && out=$results/dma-bench-abab.md
"$TOP/scripts/dma-bench.py" "${logs_stock[@]}" -- "${logs_series[@]}" | tee "$out"

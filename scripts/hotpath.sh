#!/bin/bash
# The streaming DMA path, base tree against series, compared where it can
# be compared exactly: the objects of the size gate (run it first).  In
# every config, the streaming functions of direct.o must be identical
# after scripts/hotpath.py's normalisation, and mapping.o (which inlines
# dma_direct_map_phys() and the other single-mapping helpers of direct.h)
# must be identical byte for byte.  Prints a markdown table to
# $BUILD/results/hotpath.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$BUILD/results/hotpath.md
rc=0
{
echo "| config | function | base vs series |"
echo "|---|---|---|"
for obj in "$BUILD"/obj/size-*; do
	name=${obj##*/size-}
	[ -f "$obj/direct-series.o" ] || die "no objects in $obj: run scripts/size.sh first"
	case $name in arm64-*) objdump=aarch64-linux-gnu-objdump ;; *) objdump=objdump ;; esac
	python3 "$TOP/scripts/hotpath.py" "$objdump" "$obj/direct-base.o" \
		"$obj/direct-series.o" "$name" || rc=1
	if cmp -s "$obj/mapping-base.o" "$obj/mapping-series.o"; then
		echo "| $name | mapping.o (dma_direct_map_phys() and the single-mapping helpers, inlined) | identical byte for byte |"
	else
		echo "| $name | mapping.o | DIFFERS |"
		rc=1
	fi
done
} > "$out"
cat "$out"
exit $rc

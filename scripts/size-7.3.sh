#!/bin/bash
# Size of kernel/dma/direct.o on stock 7.3.y (branch base-7.3 of
# build/tree-7.3), next to stock 7.2 and 7.2 + series, in the configs of
# scripts/size.sh.  Each 7.2 .config that size.sh made is reused as it
# is (KCONFIG_ALLCONFIG onto allnoconfig: symbols new in 7.3 stay off),
# so the three objects come from the same configuration.  Prints a
# markdown table of bloat-o-meter totals.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need git gcc aarch64-linux-gnu-gcc ccache

tree=$BUILD/tree-7.3
git -C "$tree" rev-parse -q --verify base-7.3 >/dev/null ||
	die "$tree has no base-7.3 branch (run scripts/upstream-7.3.sh)"
names=(x86_64-tiny x86_64-sev arm64-allno arm64-pool)
for n in "${names[@]}"; do
	[ -f "$BUILD/obj/size-$n/direct-series.o" ] && [ -f "$BUILD/obj/size-$n/.config" ] || {
		echo "size-7.3: no 7.2 objects yet, running scripts/size.sh" >&2
		"$TOP/scripts/size.sh" >&2 || true
		break
	}
done

# Sum of symbol sizes, as bloat-o-meter counts it.
total() { "$tree/scripts/bloat-o-meter" "$1" "$1" | sed -nE 's/^Total: Before=([0-9]+),.*/\1/p'; }

branch=$(git -C "$tree" symbolic-ref --short HEAD)
trap 'git -C "$tree" checkout -q "$branch"' EXIT
git -C "$tree" checkout -q base-7.3

echo "## kernel/dma/direct.o (bloat-o-meter totals, bytes)"
echo
echo "| config | stock 7.2 | 7.2 + series | $(make -s -C "$tree" kernelversion) | 7.3 vs stock 7.2 |"
echo "|---|---|---|---|---|"
for n in "${names[@]}"; do
	old=$BUILD/obj/size-$n
	obj=$BUILD/obj/size-7.3-$n
	if [ ! -f "$old/direct-base.o" ] || [ ! -f "$old/direct-series.o" ] || [ ! -f "$old/.config" ]; then
		die "no 7.2 objects or .config in $old (scripts/size.sh failed?)"
	fi
	if grep -q '^CONFIG_ARM64=y' "$old/.config"; then
		arch=arm64 cross=aarch64-linux-gnu-
	else
		arch=x86_64 cross=
	fi
	mkdir -p "$obj"
	cp "$old/.config" "$obj/config-7.2"
	ARCH=$arch CROSS_COMPILE=$cross kmake -C "$tree" O="$obj" \
		KCONFIG_ALLCONFIG="$obj/config-7.2" allnoconfig >/dev/null
	# The options that decide whether memory can be decrypted must match.
	for opt in CONFIG_AMD_MEM_ENCRYPT CONFIG_DMA_RESTRICTED_POOL \
		   CONFIG_ARCH_HAS_FORCE_DMA_UNENCRYPTED CONFIG_SWIOTLB; do
		[ "$(grep "^$opt=" "$old/.config" || true)" = \
		  "$(grep "^$opt=" "$obj/.config" || true)" ] ||
			die "$n: $opt differs between the 7.2 and 7.3 configs"
	done
	ARCH=$arch CROSS_COMPILE=$cross kmake -C "$tree" O="$obj" kernel/dma/direct.o
	cp "$obj/kernel/dma/direct.o" "$obj/direct-7.3.o"
	base=$(total "$old/direct-base.o")
	series=$(total "$old/direct-series.o")
	new=$(total "$obj/direct-7.3.o")
	"$tree/scripts/bloat-o-meter" "$old/direct-base.o" "$obj/direct-7.3.o" \
		> "$obj/bloat-vs-7.2.txt"
	chg=$(sed -nE 's/^Total: .* chg (.*)$/\1/p' "$obj/bloat-vs-7.2.txt")
	echo "| $n | $base | $series | $new | $chg |"
done

#!/bin/bash
# Size of kernel/dma/direct.o, base tree vs series, with
# scripts/bloat-o-meter, for minimal configs with and without a way to
# have decrypted memory.  Prints a markdown table; fails if a config that
# cannot have decrypted memory grows, or if the KUnit suite's patch
# changes a single byte of direct.o in a config without the suite.
# SIZE_REF measures another ref of build/tree instead of the series, and
# SIZE_CONFIGS names a subset of the configs (scripts/selftest.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$BUILD/tree
ref=${SIZE_REF:-series}
out=$BUILD/results/size.md
[ "$ref" = series ] || out=$BUILD/results/size-$ref.md

# name arch cross-prefix base-target fragment can-decrypt cover-label
# (the cover letter quotes each row as "<label> <how> <base> <series>")
configs=(
	"x86_64-tiny|x86_64||tinyconfig||no|x86_64 tinyconfig"
	"x86_64-sev|x86_64||tinyconfig|CONFIG_ACPI=y CONFIG_EFI=y CONFIG_EFI_STUB=y CONFIG_AMD_MEM_ENCRYPT=y|yes|x86_64 tinyconfig + AMD_MEM_ENCRYPT"
	"arm64-allno|arm64|aarch64-linux-gnu-|allnoconfig||yes|arm64 allnoconfig"
	"arm64-pool|arm64|aarch64-linux-gnu-|allnoconfig|CONFIG_DMA_RESTRICTED_POOL=y|yes|arm64 allnoconfig + DMA_RESTRICTED_POOL"
)

# Also keeps mapping.o, for scripts/hotpath.sh: the streaming path's
# single-mapping half is inlined there from direct.h.  No olddefconfig
# here (12 s a call, warm): kbuild runs syncconfig itself when a ref
# changes a Kconfig file.
object() {	# obj ref -> $obj/direct-<ref>.o and mapping-<ref>.o built from ref
	git -C "$tree" checkout -q "$2"
	ARCH=$arch CROSS_COMPILE=$cross kmake -C "$tree" O="$1" \
		kernel/dma/direct.o kernel/dma/mapping.o
	cp "$1/kernel/dma/direct.o" "$1/direct-$2.o"
	cp "$1/kernel/dma/mapping.o" "$1/mapping-$2.o"
}

suite=$(git -C "$tree" log --format=%H --grep='^dma-direct: add a KUnit suite for memory encryption$' "base..$ref")
[ -n "$suite" ] || die "no KUnit suite commit between base and $ref in $tree"

trap 'git -C "$tree" checkout -q series' EXIT
{
echo "| config | can decrypt | base (bytes) | series (bytes) | growth |"
echo "|---|---|---|---|---|"
} > "$out"
rc=0
for c in "${configs[@]}"; do
	IFS='|' read -r name arch cross target fragment can label <<< "$c"
	[ -z "${SIZE_CONFIGS:-}" ] || [[ " $SIZE_CONFIGS " == *" $name "* ]] || continue
	obj=$BUILD/obj/size-$name
	mkdir -p "$obj"
	ARCH=$arch CROSS_COMPILE=$cross kmake -C "$tree" O="$obj" "$target" >/dev/null
	for opt in $fragment; do
		"$tree/scripts/config" --file "$obj/.config" --set-val "${opt%%=*}" "${opt#*=}"
	done
	ARCH=$arch CROSS_COMPILE=$cross kmake -C "$tree" O="$obj" olddefconfig
	for opt in $fragment; do
		grep -qx "$opt" "$obj/.config" ||
			die "$name: $opt did not survive olddefconfig (dependencies?)"
	done
	# In the order of the history: each checkout then changes only what
	# the patches between two refs change.
	object "$obj" base
	object "$obj" "$suite~1"
	object "$obj" "$suite"
	object "$obj" "$ref"
	grep -q '^CONFIG_DMA_DIRECT_ENCRYPTION_KUNIT_TEST=y' "$obj/.config" &&
		die "$name: the size configs must not build the KUnit suite"
	if ! cmp "$obj/direct-$suite~1.o" "$obj/direct-$suite.o"; then
		echo "size: $name: the KUnit suite's patch changes direct.o without the suite" >&2
		rc=1
	fi
	"$tree/scripts/bloat-o-meter" "$obj/direct-base.o" "$obj/direct-$ref.o" \
		> "$obj/bloat.txt"
	total=$(sed -nE 's/^Total: Before=([0-9]+), After=([0-9]+), chg (.*)$/\1 \2 \3/p' "$obj/bloat.txt")
	read -r before after chg <<< "$total"
	echo "| $name | $can | $before | $after | $chg |" >> "$out"
	# The cover letter must quote what was measured.
	grep -qE "^  ${label//+/\\+} +.* $before +$after\$" "$TOP/cover-letter.txt" || {
		echo "size: cover-letter.txt lacks the row \"$label ... $before $after\"" >&2
		rc=1
	}
	if [ "$can" = no ] && [ "$after" -gt "$before" ]; then
		echo "size: $name grew although it cannot have decrypted memory" >&2
		rc=1
	fi
done
cat "$out"
exit $rc

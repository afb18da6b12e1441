#!/bin/bash
# Build matrix: kernel/dma/ with W=1 at the base and at every patch of the
# series, for five arches in two minimal configs each (see gates-lib.sh),
# with Debian's gcc cross compilers.  The series touches no header, so
# kernel/dma/ holds every user of what it changes.  A patch fails if it
# does not build or if it has a warning that the base tree, in the same
# config, does not have.
#
# Also compares the production kernel/dma/direct.o of the base and of the
# series with scripts/bloat-o-meter in every config: a config without
# decrypted memory must not grow.
#
# Writes build/results/matrix.md and build/results/size-matrix.md, and
# size-cover.txt, the rows in the cover letter's layout.
# Usage: scripts/matrix.sh [arch...]   (default: all five)
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/gates-lib.sh"
need git flock ccache

arches=("$@")
[ ${#arches[@]} -gt 0 ] || read -r -a arches <<< "$GATES_ARCHES"
for arch in "${arches[@]}"; do
	gates_config "$arch" min >/dev/null || die "matrix: unknown arch '$arch' (known: $GATES_ARCHES)"
	need "$(gates_cross "$arch")gcc"
done

src=$(gates_src)
results=${GATES_RESULTS:-$BUILD/results}
mkdir -p "$results"
refs=(base $(git -C "$src" rev-list --reverse base..series))
[ ${#refs[@]} -gt 1 ] || die "matrix: the series branch has no patches"
start=$SECONDS

mk() {	# make target... in the current config's object dir
	ARCH=$(gates_srcarch "$arch") CROSS_COMPILE=$(gates_cross "$arch") \
		kmake -C "$src" O="$obj" "$@"
}

for arch in "${arches[@]}"; do
	for kind in min cc; do
		obj=$BUILD/obj/matrix-$arch-$kind
		mkdir -p "$obj"
		gates_locked gates_patchwise
	done
done

rc=0
out=$results/matrix.md
size=$results/size-matrix.md
echo "$GATES_HEADER" > "$out"
{
echo "| arch | config | decrypted memory via | base (bytes) | series (bytes) | growth |"
echo "|---|---|---|---|---|---|"
} > "$size"
cover=$results/size-cover.txt
: > "$cover"
for arch in "${arches[@]}"; do
	for kind in min cc; do
		obj=$BUILD/obj/matrix-$arch-$kind
		gates_row "$results/matrix-$arch-$kind.log" "$out" || rc=1
		if [ ! -f "$obj/direct-base.o" ] || [ ! -f "$obj/direct-series.o" ]; then
			echo "| $arch | $kind | $(gates_decrypt "$arch" "$kind") | - | - | not built |" >> "$size"
			continue
		fi
		"$src/scripts/bloat-o-meter" "$obj/direct-base.o" "$obj/direct-series.o" \
			> "$obj/bloat.txt"
		read -r before after chg < <(sed -nE \
			's/^Total: Before=([0-9]+), After=([0-9]+), chg (.*)$/\1 \2 \3/p' "$obj/bloat.txt")
		echo "| $arch | $kind | $(gates_decrypt "$arch" "$kind") | $before | $after | $chg |" >> "$size"
		printf '  %-16s %-31s %5s %7s  %s\n' "$arch $kind" \
			"$(gates_decrypt "$arch" "$kind")" "$before" "$after" "$chg" >> "$cover"
		if [ "$(gates_decrypt "$arch" "$kind")" = none ] && [ "$after" -gt "$before" ]; then
			echo "size: $arch $kind grew although it cannot have decrypted memory"
			rc=1
		fi
	done
done
# The cover letter quotes scripts/size.sh's table (which checks it);
# these rows are the wider view, kept in $cover for docs/gates.md.
echo
cat "$out"
echo
cat "$size"
echo
echo "matrix: ${#arches[@]} arches x 2 configs x ${#refs[@]} trees (base + $((${#refs[@]} - 1)) patches) in $((SECONDS - start)) s"
[ "$rc" -eq 0 ] && echo "matrix: PASS" || echo "matrix: FAIL"
exit $rc

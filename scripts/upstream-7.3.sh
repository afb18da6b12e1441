#!/bin/bash
# The same KUnit scenarios against Linux 7.3.y's design (issue 5).
#
# Fetches Debian's linux-source-7.3 (trixie-backports), makes build/tree-7.3
# with branch base-7.3 (the stock tree) and tests-7.3 (base-7.3 plus
# patches/upstream-7.3-tests, applied with git am), checks that the port
# re-exports byte for byte and passes checkpatch, runs the suite with
# kunit.py on arm64, boots stock 7.3.y's arm64 guest kernel as a realm
# guest on the emulated RSI, its three boots as the realm gate's
# (scripts/realm-trees.sh --tree), and writes build/results/three-trees.md:
# the KUnit results and the realm rows of stock 7.2, 7.2 + the series and
# 7.3.y side by side, and the size of
# kernel/dma/direct.o in the configs of scripts/size.sh.
#
# Fails when the port does not apply, the kernel does not build or
# boot, a case gives no result (crash, missing case), 7.3 converts pool
# memory or fails a case as a realm guest, or a size build fails.
# Failing KUnit cases on 7.3 are data for the table, not failures.
#
# Usage: scripts/upstream-7.3.sh [--no-size]
#        scripts/upstream-7.3.sh --judge <7.3-ktap>
#            only the KUnit table of a 7.3 KTAP log next to the 7.2 results,
#            failing as the gate does on an incomplete log (for
#            scripts/selftest-full.sh)
set -euo pipefail
. "$(dirname "$0")/common.sh"
need git qemu-system-aarch64 aarch64-linux-gnu-gcc gcc ccache flock python3

size=yes judge=
case ${1:-} in
"") ;;
--no-size) size=no ;;
--judge) [ $# -eq 2 ] || die "usage: upstream-7.3.sh --judge <7.3-ktap>"
	judge=$2 ;;
*) die "usage: upstream-7.3.sh [--no-size | --judge <7.3-ktap>]" ;;
esac

suite=trixie-backports pkg=linux-source-7.3 version=7.3.4-1~bpo13+1
label=7.3.4			# the column and row name
origin=$CACHE/linux-7.3.git
tree=$BUILD/tree-7.3
pdir=$TOP/patches/upstream-7.3-tests
cover=$TOP/tests/upstream-7.3/cover-letter.txt
results=$BUILD/results
mkdir -p "$results"
t0=$SECONDS
step() { echo "upstream-7.3: $* ($((SECONDS - t0)) s)"; }

patches=("$pdir"/0*.patch)
[ -e "${patches[1]:-}" ] || die "no patches in $pdir"
for f in "$results/kunit-reproduce.ktap" "$results/kunit-series.ktap"; do
	[ -s "$f" ] || die "$f is missing: run 'scripts/check.sh apply kunit reproduce' first"
done

# three_trees <7.3-ktap>: the KUnit part of the table; fails when a log
# lacks a result.
three_trees() {
	echo "## KUnit: stock 7.2.13, 7.2.13 + series, $label"
	echo
	python3 "$TOP/scripts/compare-trees.py" "$tree" \
		"stock 7.2=$results/kunit-reproduce.ktap" \
		"7.2 + series=$results/kunit-series.ktap" \
		"$label=$1"
}
if [ -n "$judge" ]; then
	[ -d "$tree/tools/testing/kunit" ] || die "no $tree: run the upstream-7.3 gate first"
	three_trees "$judge"
	exit
fi
[ -s "$results/realm.md" ] ||
	die "$results/realm.md is missing: run 'scripts/check.sh realm' first"

"$TOP/scripts/fetch-base.sh" "$origin" "$suite" "$pkg" "$version"
[ "$(git -C "$origin" log -1 --format=%s)" = \
  "Linux $version as shipped by Debian ($pkg)" ] ||
	die "$origin does not hold $pkg $version; remove it to refetch"
step "base $(git -C "$origin" rev-parse --short=12 HEAD)"

# build/tree-7.3 is generated from the patches, like build/tree: edit it,
# commit, and re-export with scripts/export.sh (see the cover letter).
stamp="$(git -C "$origin" rev-parse HEAD) $(cat "${patches[@]}" | sha1sum | cut -c1-12)"
if [ ! -f "$tree/.harness-stamp" ] || [ "$(cat "$tree/.harness-stamp")" != "$stamp" ]; then
	rm -rf "$tree.new"
	git clone -q --shared "$origin" "$tree.new"
	git -C "$tree.new" checkout -q -B base-7.3 HEAD
	git -C "$tree.new" checkout -q -b tests-7.3
	if ! git -C "$tree.new" am -q --keep-cr "${patches[@]:1}" \
			> "$BUILD/am-7.3.log" 2>&1; then
		cat "$BUILD/am-7.3.log" >&2
		rm -rf "$tree.new"
		die "patches/upstream-7.3-tests do not apply to $pkg $version"
	fi
	echo "$stamp" > "$tree.new/.harness-stamp"
	echo ".harness-stamp" >> "$tree.new/.git/info/exclude"
	rm -rf "$tree"
	mv "$tree.new" "$tree"
fi
git -C "$tree" checkout -q tests-7.3
step "port applied on tests-7.3"

"$TOP/scripts/export.sh" -k -b base-7.3 -s tests-7.3 -c "$cover" -p PATCH \
	"$tree" "$BUILD/roundtrip-7.3" >/dev/null
diff -r "$pdir" "$BUILD/roundtrip-7.3" ||
	die "re-exporting tests-7.3 does not reproduce $pdir"
for p in "${patches[@]:1}"; do
	# kernel/dma/ already has a MAINTAINERS entry.
	! "$tree/scripts/checkpatch.pl" --strict --no-tree --terse "$p" |
		grep -E ': (ERROR|WARNING|CHECK):' |
		grep -v "does MAINTAINERS need updating" ||
		die "checkpatch complains about $(basename "$p")"
done
step "round trip and checkpatch clean"

obj=$BUILD/obj/kunit-arm64-7.3
ktap=$results/kunit-7.3.ktap
mkdir -p "$obj"
# kunit.py exits non-zero when a case fails, which is data here: whether
# the run is usable is decided from its KTAP below.
(cd "$tree" && flock "$CACHE/build.lock" ./tools/testing/kunit/kunit.py run \
	"${kunit_configs[@]}" "${kunit_no_cma[@]}" --arch=arm64 \
	--cross_compile=aarch64-linux-gnu- --build_dir="$obj" \
	--make_options "CC=ccache aarch64-linux-gnu-gcc" --jobs="$(nproc)" \
	--raw_output=kunit) > "$ktap" 2> "$results/kunit-7.3.err" || true
grep -q '^KTAP version' "$ktap" || {
	tail -n 20 "$results/kunit-7.3.err" >&2
	die "kunit.py could not build or boot the 7.3 kernel"
}
step "KUnit run on $label"

table=$results/three-trees.md
three_trees "$ktap" > "$table.tmp" || die "the KUnit results are incomplete (see above)"

# The same realm guest boots as the realm gate's, on stock 7.3.y.
# 7.3 counts the pool's high-water mark only when asked to at boot, and
# its arch_mm_preinit() shrinks a realm guest's default swiotlb to 1 MiB
# per GiB of RAM, where 7.2 keeps 64 MiB: the boots without a restricted
# pool stall on a full swiotlb without swiotlb=65536 (128 MiB; the
# default's 32768 slabs, given explicitly, would be shrunk all the same).
rows=$(GUEST_APPEND="swiotlb=65536 swiotlb=track_hiwater" \
      "$TOP/scripts/realm-trees.sh" --tree upstream-73 "$tree" base-7.3) || {
	echo "$rows" >&2
	die "$label failed as a realm guest (see $results/realm-upstream-73*.out)"
}
[ "$(wc -l <<< "$rows")" -eq 3 ] || die "realm-trees.sh --tree gave no three rows: $rows"
{
	echo
	echo "## Realm guest on an emulated RSI: stock 7.2.13, 7.2.13 + series, $label"
	echo
	# realm.md's three tables, each with this tree's row after its last.
	awk -v rows="$(sed "s/^| upstream-73 |/| $label |/" <<< "$rows")" '
		BEGIN { n = split(rows, row, "\n") }
		/^\|/ { intable = 1; print; next }
		intable { print row[++t]; intable = 0 }
		{ print }
		END { if (intable) print row[++t] }' "$results/realm.md"
	echo
} >> "$table.tmp"
step "realm guest on $label"

if [ "$size" = yes ]; then
	"$TOP/scripts/size-7.3.sh" >> "$table.tmp"
	step "sizes"
fi
mv "$table.tmp" "$table"
cat "$table"
step "done, $table"

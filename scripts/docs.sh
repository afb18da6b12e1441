#!/bin/bash
# Build the core-api documentation with Sphinx for the base tree and for
# the series (or another ref of build/tree), and fail on any warning it
# adds.  The base tree's warnings are cached per base commit.
# Usage: scripts/docs.sh [ref]   (default: series)
set -euo pipefail
. "$(dirname "$0")/common.sh"
need sphinx-build

tree=$BUILD/tree
ref=${1:-series}
out=$BUILD/results/docs-warnings.txt
[ "$ref" = series ] || out=$BUILD/results/docs-warnings-$ref.txt
mkdir -p "$BUILD/results"

warnings() {	# ref -> normalised warnings on stdout
	local obj=$BUILD/obj/docs-$1
	checkout_ref "$tree" "$1"
	rm -rf "$obj"
	mkdir -p "$obj"
	make -s -C "$tree" O="$obj" SPHINXDIRS=core-api htmldocs \
		> "$obj/build.log" 2>&1 || { cat "$obj/build.log" >&2; return 1; }
	grep -iE 'warning|error' "$obj/build.log" |
		sed -E "s|$tree/||g; s/:[0-9]+:/:/" | sort -u
}

base=$(git -C "$tree" rev-parse base)
cached=$CACHE/docs-warnings-$base.txt
[ -f "$cached" ] || { warnings base > "$cached.tmp" && mv "$cached.tmp" "$cached"; }
warnings "$ref" > "$out"
test -f "$BUILD/obj/docs-$ref/Documentation/output/core-api/dma-direct-memory-encryption.html" ||
	die "the new page was not built"
restore_ref
new=$(comm -13 "$cached" "$out")
if [ -n "$new" ]; then
	echo "warnings added by $ref:"
	echo "$new"
	exit 1
fi
echo "docs: no new warnings ($(wc -l < "$cached") already in the base tree)"

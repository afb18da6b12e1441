#!/bin/bash
# Export the series from a kernel tree (default: $BUILD/linux, the
# development tree) into patches/ as git format-patch output.  The cover
# letter's text comes from cover-letter.txt; re-exporting an unchanged
# tree gives byte-identical files.
#
# Usage: scripts/export.sh [tree] [outdir]
set -euo pipefail
. "$(dirname "$0")/common.sh"

src=${1:-$BUILD/linux}
out=$(realpath -m "${2:-$TOP/patches}")
git -C "$src" rev-parse -q --verify base >/dev/null ||
	die "$src has no 'base' ref: not a harness kernel tree"
git -C "$src" rev-parse -q --verify series >/dev/null ||
	die "$src has no 'series' branch"

git -C "$src" config branch.series.description "$(cat "$TOP/cover-letter.txt")"
rm -rf "$out.tmp"
git -C "$src" -c core.abbrev=12 format-patch -q --cover-letter \
	--cover-from-description=subject --zero-commit --no-signature \
	--base=base -o "$out.tmp" base..series
# format-patch dates the cover letter "now"; date it like the last patch.
date=$(git -C "$src" log -1 --format=%aD series)
sed -i "0,/^Date: /s/^Date: .*/Date: $date/" "$out.tmp"/0000-cover-letter.patch
rm -rf "$out"
mv "$out.tmp" "$out"
(cd "$out" && ls 0*.patch) > "$out/series"
echo "export: $(($(wc -l < "$out/series") - 1)) patches in $out"

#!/bin/bash
# Export the series from a kernel tree (default: $BUILD/linux, the
# development tree) into patches/ as git format-patch output.  The cover
# letter's text comes from cover-letter.txt; re-exporting an unchanged
# tree gives byte-identical files.
#
# Usage: scripts/export.sh [-k] [-b base] [-s series] [-c cover] [-p prefix] [tree] [outdir]
#   -b/-s  the refs that delimit the series (default: base, series)
#   -c     the cover letter's text (default: cover-letter.txt)
#   -p     the subject prefix (default: "PATCH 7.2.y", the stable tree
#          the series is for)
#   -k     keep the authors and sign-offs the commits have
#
# Whose patches: the user's git identity (user.name and user.email, as
# git config gives them in the tree) when one is configured.  The
# commits' author (the project's placeholder, in the patches as
# shipped) is replaced by it in From: and in the Signed-off-by: lines,
# keeping every date, so that a re-export is still byte-identical.
# Without a configured identity, or with -k, the commits' own are kept.
# e.g. the 7.3 port of the tests:
#   scripts/export.sh -b base-7.3 -s tests-7.3 -c tests/upstream-7.3/cover-letter.txt -p PATCH \
#	build/tree-7.3 patches/upstream-7.3-tests
set -euo pipefail
. "$(dirname "$0")/common.sh"

base=base series=series cover=$TOP/cover-letter.txt prefix="PATCH 7.2.y" keep=
while getopts kb:s:c:p: opt; do
	case $opt in
	k) keep=yes ;;
	b) base=$OPTARG ;;
	s) series=$OPTARG ;;
	c) cover=$OPTARG ;;
	p) prefix=$OPTARG ;;
	*) die "usage: export.sh [-k] [-b base] [-s series] [-c cover] [-p prefix] [tree] [outdir]" ;;
	esac
done
shift $((OPTIND - 1))
src=${1:-$BUILD/linux}
out=$(realpath -m "${2:-$TOP/patches}")
[ -f "$cover" ] || die "no cover letter text at $cover"
git -C "$src" rev-parse -q --verify "$base" >/dev/null ||
	die "$src has no '$base' ref: not a harness kernel tree"
git -C "$src" rev-parse -q --verify "$series" >/dev/null ||
	die "$src has no '$series' branch"

# reattribute <ref>: the commit id of <ref> with the user's identity as
# author and signer in place of the commits' own (dates kept).
reattribute() {
	local ref=$1 me them c parent msg
	me="$(git -C "$src" config user.name) <$(git -C "$src" config user.email)>"
	parent=$(git -C "$src" rev-parse "$base")
	for c in $(git -C "$src" rev-list --reverse "$base..$ref"); do
		them=$(git -C "$src" log -1 --format='%an <%ae>' "$c")
		msg=$(git -C "$src" log -1 --format=%B "$c" |
		      awk -v them="Signed-off-by: $them" -v me="Signed-off-by: $me" \
			'$0 == them { $0 = me } { print }')
		parent=$(GIT_AUTHOR_NAME=$(git -C "$src" config user.name) \
			 GIT_AUTHOR_EMAIL=$(git -C "$src" config user.email) \
			 GIT_AUTHOR_DATE=$(git -C "$src" log -1 --format=%aD "$c") \
			 GIT_COMMITTER_DATE=$(git -C "$src" log -1 --format=%cD "$c") \
			 git -C "$src" commit-tree -p "$parent" -m "$msg" "$c^{tree}")
	done
	echo "$parent"
}
if [ -z "$keep" ] && git -C "$src" config user.name >/dev/null &&
   git -C "$src" config user.email >/dev/null; then
	# A branch, not another ref: format-patch takes the cover letter from
	# the description of the branch it formats.
	tip=$(reattribute "$series")
	git -C "$src" branch -f "export-$series" "$tip"
	series=export-$series
fi
git -C "$src" config "branch.$series.description" "$(cat "$cover")"
# To:/Cc: headers from the maintainers.txt next to the cover letter's
# text, if there is one (scripts/recipients.sh keeps it in line with
# get_maintainer.pl).
recipients=()
if [ -f "$(dirname "$cover")/maintainers.txt" ]; then
	while read -r field addr; do
		case $field in
		To:)	recipients+=("--to=$addr") ;;
		Cc:)	recipients+=("--cc=$addr") ;;
		*)	die "maintainers.txt: expected 'To: ...' or 'Cc: ...', got '$field $addr'" ;;
		esac
	done < "$(dirname "$cover")/maintainers.txt"
fi
rm -rf "$out.tmp"
git -C "$src" -c core.abbrev=12 format-patch -q --cover-letter \
	--cover-from-description=subject --zero-commit --no-signature "${recipients[@]}" \
	--subject-prefix="$prefix" \
	--base="$base" -o "$out.tmp" "$base..$series"
# format-patch dates the cover letter "now"; date it like the last patch.
date=$(git -C "$src" log -1 --format=%aD "$series")
sed -i "0,/^Date: /s/^Date: .*/Date: $date/" "$out.tmp"/0000-cover-letter.patch
# Replace only what format-patch writes: $out may hold other series in
# subdirectories (patches/upstream-7.3-tests).
mkdir -p "$out"
rm -f "$out"/0*.patch "$out/series"
mv "$out.tmp"/0*.patch "$out"/
rmdir "$out.tmp"
(cd "$out" && ls 0*.patch) > "$out/series"
echo "export: $(($(wc -l < "$out/series") - 1)) patches in $out"

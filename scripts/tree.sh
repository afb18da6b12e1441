#!/bin/bash
# Create $BUILD/tree: a git tree of the base kernel with the series applied
# on branch "series", and branch "reproduce" holding only the KUnit suite
# on top of the base (the same tests without the fixes).
#
# KSRC=/path/to/kernel uses that tree as the base instead of Debian's
# 7.2.13; it is never modified.  PATCHES=<folder> applies another copy of
# the series (scripts/selftest.sh seeds one).
set -euo pipefail
. "$(dirname "$0")/common.sh"
need git

tree=$BUILD/tree
patches=("${PATCHES:-$TOP/patches}"/0*.patch)
[ -e "${patches[1]}" ] || die "no patches in ${PATCHES:-$TOP/patches}"
series=("${patches[@]:1}")		# without the cover letter
suite=$(grep -l '^Subject: .*add a KUnit suite for memory encryption' "${series[@]}")
[ -n "$suite" ] || die "cannot find the KUnit suite patch in patches/"

if [ -n "${KSRC:-}" ]; then
	[ -d "$KSRC" ] || die "KSRC=$KSRC is not a directory"
	[ -f "$KSRC/Makefile" ] && [ -f "$KSRC/kernel/dma/direct.c" ] &&
		grep -q '^VERSION = ' "$KSRC/Makefile" ||
		die "KSRC=$KSRC is not a kernel source tree (no Makefile/kernel/dma/direct.c)"
	origin=$(cd "$KSRC" && pwd)
else
	origin=$CACHE/linux-7.2.git
	"$TOP/scripts/fetch-base.sh" "$origin"
fi
stamp="$origin $(cat "${patches[@]}" | sha1sum | cut -c1-12)"
if [ -f "$tree/.harness-stamp" ] && [ "$(cat "$tree/.harness-stamp")" = "$stamp" ]; then
	exit 0
fi

rm -rf "$tree.new"
if git -C "$origin" rev-parse --verify -q HEAD >/dev/null 2>&1 &&
   [ -z "$(git -C "$origin" status --porcelain --untracked-files=no)" ]; then
	git clone -q --shared "$origin" "$tree.new"
	git -C "$tree.new" checkout -q -B base HEAD
else
	# A plain tree, or a git tree with local changes: copy it as it is.
	echo "tree: copying $origin"
	mkdir -p "$tree.new"
	rsync -a --exclude=.git "$origin/" "$tree.new/"
	git -C "$tree.new" init -q -b base
	git -C "$tree.new" add -A
	git -C "$tree.new" -c user.name=harness -c user.email=harness@invalid \
		commit -q -m "base: copy of $origin"
fi

apply() {	# branch patch...
	local branch=$1
	shift
	git -C "$tree.new" checkout -q -B "$branch" base
	if ! git -C "$tree.new" am -q --keep-cr "$@" >"$BUILD/am.log" 2>&1; then
		cat "$BUILD/am.log" >&2
		rm -rf "$tree.new"
		die "the series does not apply to $origin (branch $branch); nothing was left behind"
	fi
}
apply reproduce "$suite"
apply series "${series[@]}"
echo "$stamp" > "$tree.new/.harness-stamp"
echo ".harness-stamp" >> "$tree.new/.git/info/exclude"
# Only a tree with the whole series replaces the previous one.
rm -rf "$tree"
mv "$tree.new" "$tree"
echo "tree: $tree, series applied on $(git -C "$tree" log -1 --format=%s base)"

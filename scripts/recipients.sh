#!/bin/bash
# Recipients of the series according to the kernel's own
# scripts/get_maintainer.pl, run on the patches in patches/: maintainers
# as "To:" lines, reviewers and lists as "Cc:" lines, followed by the
# hand-kept recipients-extra.txt.  export.sh turns maintainers.txt into
# the To:/Cc: headers of every mail.
#
# Usage: scripts/recipients.sh           print the lines
#        scripts/recipients.sh --check [file]   fail if maintainers.txt
#                                        (or file) differs
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=${TREE:-$BUILD/tree}
[ -x "$tree/scripts/get_maintainer.pl" ] ||
	die "no $tree/scripts/get_maintainer.pl (run scripts/tree.sh)"
patches=()
for p in "$TOP"/patches/0*.patch; do
	case $p in *0000-cover-letter.patch) ;; *) patches+=("$p") ;; esac
done
[ ${#patches[@]} -gt 0 ] || die "no patches in $TOP/patches"

# --no-git: the recipients come from MAINTAINERS only (the base tree has
# no history to mine); --no-fixes: it would look up the Fixes: commits in
# that missing history.
# recipients-extra.txt adds who get_maintainer.pl cannot know about (the
# stable list, linux-coco, KUnit, the authors of the upstream fixes).
# Maintainers of what the fixes touch go in To:; a maintainer only of
# the document (Documentation/) gets a copy, like the reviewers and lists.
gm() {	# patch... -> get_maintainer.pl's lines
	(cd "$tree" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-fixes "$@")
}
list() {
	local code=() p
	for p in "${patches[@]}"; do
		grep -q '^diff --git a/Documentation/' "$p" || code+=("$p")
	done
	{
		gm "${code[@]}" | awk '/\(maintainer:/ { sub(/ \(.*$/, ""); print "To: " $0 }'
		gm "${patches[@]}" | awk '{ sub(/ \(.*$/, ""); print "Cc: " $0 }'
		grep -v -e '^#' -e '^$' "$TOP/recipients-extra.txt"
	} | awk '/^To: / { to[n++] = $0; next } { cc[m++] = $0 }
		 END { for (i = 0; i < n; i++) print to[i]
		       for (i = 0; i < m; i++) print cc[i] }' |
	awk '{ who = substr($0, 5) } !seen[who]++'
}

if [ "${1:-}" = --check ]; then
	diff -u "${2:-$TOP/maintainers.txt}" <(list) ||
		die "${2:-maintainers.txt} differs from get_maintainer.pl (update it with scripts/recipients.sh)"
	echo "recipients: maintainers.txt matches get_maintainer.pl"
else
	[ $# -eq 0 ] || die "usage: recipients.sh [--check]"
	list
fi

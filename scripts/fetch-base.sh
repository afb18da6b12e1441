#!/bin/bash
# Fetch a Debian linux-source package and turn it into a git tree with one
# deterministic base commit.  Uses a private apt configuration (own sources,
# own lists, download only); the machine's apt setup is never touched.
#
# Usage: scripts/fetch-base.sh <git-dir-to-create> [suite [package [version]]]
#   defaults: sid linux-source-7.2 (newest version in the suite)
#   e.g.      scripts/fetch-base.sh DIR experimental linux-source-7.3
set -euo pipefail

. "$(dirname "$0")/common.sh"

dest=${1:?usage: fetch-base.sh <dest> [suite [package [version]]]}
suite=${2:-sid}
pkg=${3:-linux-source-7.2}
want=${4:-}
[[ $pkg =~ ^linux-source-([0-9]+\.[0-9]+)$ ]] ||
	die "'$pkg' is not a linux-source-X.Y package name"
kver=${BASH_REMATCH[1]}
[[ $suite =~ ^[a-z-]+$ ]] || die "'$suite' is not a Debian suite name"
[ -d "$dest/.git" ] && git -C "$dest" rev-parse -q --verify HEAD >/dev/null && exit 0

# sid keeps the historical location; other suites get their own lists.
apt_dir=$CACHE/apt
[ "$suite" = sid ] || apt_dir=$CACHE/apt-$suite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$CACHE/debs"

# The mirror is whatever the machine already uses for Debian; only the
# suite differs.
mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	 grep -E '^(URIs:|deb )' | grep -v security | head -n1 |
	 sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*//' || true)
[ -n "$mirror" ] || die "cannot find a Debian mirror in the machine's apt sources"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
	> "$apt_dir/sources.list"

APT=(apt-get -q -o Dir::Etc::SourceList="$apt_dir/sources.list"
     -o Dir::Etc::SourceParts=/nonexistent
     -o Dir::State::Lists="$apt_dir/lists"
     -o Dir::Cache="$apt_dir" -o Dir::Cache::archives="$apt_dir/archives"
     -o Dir::State::status=/dev/null -o APT::Get::List-Cleanup=0
     -o APT::Sandbox::User=root)

# apt names files <pkg>_<version without epoch>_all.deb.
pattern="${pkg}_${want:+${want#*:}_}*.deb"
deb=$(ls "$CACHE/debs/"$pattern 2>/dev/null | tail -n1 || true)
if [ -z "$deb" ]; then
	echo "fetch-base: downloading $pkg${want:+ $want} (private apt configuration, $suite, download only)"
	"${APT[@]}" update >/dev/null
	# The suite is the only source, so its version is the candidate even
	# where the suite is NotAutomatic (experimental).
	(cd "$CACHE/debs" && "${APT[@]}" download "$pkg${want:+=$want}")
	deb=$(ls "$CACHE/debs/"$pattern | tail -n1)
fi
version=$(dpkg-deb -f "$deb" Version)
[ -z "$want" ] || [ "$version" = "$want" ] ||
	die "$deb holds version $version, not $want"
echo "fetch-base: $pkg $version"

tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.xz)
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
echo "fetch-base: unpacking and committing $(basename "$tarball") in $dest (about 2 minutes)"
heartbeat "unpacking $(basename "$tarball")" \
	tar -xJf "$tarball" -C "$dest.tmp" --strip-components=1

cd "$dest.tmp"
# Debian's packaging appends "/*" + "!/debian/" to .gitignore, which would
# hide every top-level path from git.  Drop that block for the base commit.
python3 - <<'PY'
import re
p = ".gitignore"
s = open(p).read()
i = s.find("\n/*\n")
if i >= 0:
    # cut from the comment block that introduces the rule
    head = s[:i]
    j = head.rfind("\n\n")
    s = head[:j + 1] if j >= 0 else head + "\n"
    open(p, "w").write(s)
PY
git init -q -b "debian-$kver" .
heartbeat "git add of the unpacked tree" git add -A
export GIT_AUTHOR_NAME="Debian linux-source" GIT_AUTHOR_EMAIL="linux-source@debian.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git commit -q -m "Linux $version as shipped by Debian ($pkg)

Unpacked from /usr/src/$(basename "$tarball") in the $pkg package.
The Debian packaging block at the end of the top-level .gitignore
(\"/*\" then \"!/debian/\") was dropped so that git tracks the tree."

cd - >/dev/null
mv "$dest.tmp" "$dest"
echo "fetch-base: base commit $(git -C "$dest" rev-parse --short HEAD)"

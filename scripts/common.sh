# Shared settings for the harness scripts; sourced, not run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dma-direct-cc}
BUILD=${BUILD:-$TOP/build}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
# A fresh clone elsewhere (as CI makes) should still hit the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD} CCACHE_NOHASHDIR=true
mkdir -p "$CACHE" "$BUILD"

die() { echo "error: $*" >&2; exit 1; }
need() {
	local t
	for t; do command -v "$t" >/dev/null || die "missing tool '$t' (run scripts/deps.sh)"; done
}

# One kernel build at a time on this machine: every kernel build goes
# through this lock, whoever starts it.
kmake() {
	flock "$CACHE/build.lock" make -s CC="ccache ${CROSS_COMPILE:-}gcc" "$@"
}

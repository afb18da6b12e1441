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

# The make command of every gcc kernel build.  The host tools (kconfig,
# fixdep, ...) go through ccache too: every object folder of a fresh
# clone builds them again.
kernel_make() {
	make -s CC="ccache ${CROSS_COMPILE:-}gcc" HOSTCC="ccache gcc" "$@"
}

# The KUnit kernel of every run of the suite (kunit.sh, mutants.sh,
# upstream-7.3.sh): the .kunitconfig the series ships with
# tests/cma.kunitconfig merged on, so that the kunit and kunit-cma gates
# boot one kernel and the other runs hit ccache.  A run without CMA passes
# cma=0 (kunit_no_cma): no CMA area, as in a kernel of the .kunitconfig
# alone.
# shellcheck disable=SC2034 # used by the scripts that source this file
kunit_configs=(--kunitconfig=kernel/dma --kunitconfig="$TOP/tests/cma.kunitconfig")
# shellcheck disable=SC2034
kunit_no_cma=(--kernel_args=cma=0)

# The fragments of the realm gate's arm64 guest kernels on top of
# guest/arm64-rpool.config (modules, DEBUG_VM, page poisoning): the realm
# gate builds them (realm-trees.sh), make check's arm64 guest gates boot
# them too (check.sh).
# shellcheck disable=SC2034
realm_fragments=("$TOP/guest/modules.config" "$TOP/guest/debug-vm.config")

# wait_for <pid> <seconds>: true once pid has ended, false after seconds.
wait_for() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	! kill -0 "$1" 2>/dev/null
}

# step_time <what> <seconds>: one line of build/results/steps.tsv
# (seconds, what, the gate of check.sh it ran in), from which check.sh
# prints the slowest steps of a run and scripts/time-table.sh its table.
step_time() {
	mkdir -p "$BUILD/results"
	printf '%s\t%s\t%s\n' "$2" "$1" "${CHECK_GATE:-}" >> "$BUILD/results/steps.tsv"
}

# heartbeat <what> <command...>: runs the command and, while it runs, says
# so on stderr once a minute, so that no long step stays silent; records
# how long it took (step_time).
heartbeat() {
	local what=$1 start=$SECONDS pid status=0
	shift
	"$@" &
	pid=$!
	while ! wait_for "$pid" 60; do
		echo "  ... $what: $(((SECONDS - start) / 60)) min so far" >&2
	done
	wait "$pid" || status=$?
	step_time "$what" $((SECONDS - start))
	return $status
}

# One kernel build at a time on this machine: every kernel build goes
# through this lock, whoever starts it.  The time recorded is the build's
# own, from when it has the lock.
kmake() {
	local a where=
	for a; do
		case $a in O=*) where=" in ${a#O=}" ;; esac
	done
	(flock 9 && heartbeat "kernel build: make ${*: -1}${where/$BUILD\//}" kernel_make "$@") \
		9>> "$CACHE/build.lock"
}

# checkout_ref <tree> <ref>: check out <ref> in a kernel tree for a build.
# The first call remembers what was checked out before, and restore_ref
# (or the exit of the script) puts it back, so every script leaves the
# tree as it found it.
checkout_ref() {
	if [ -z "${_ref_tree:-}" ]; then
		_ref_tree=$1
		_ref_prev=$(git -C "$1" symbolic-ref -q --short HEAD || git -C "$1" rev-parse HEAD)
		trap restore_ref EXIT
	fi
	git -C "$1" checkout -q "$2"
}
restore_ref() {
	[ -n "${_ref_tree:-}" ] || return 0
	git -C "$_ref_tree" checkout -q "$_ref_prev"
	_ref_tree=
	trap - EXIT
}

# commit_with_edit <tree> <parent> <file> <sed-script> <subject>: prints
# a new commit of <tree> on <parent> that changes <file> by <sed-script>,
# made without touching the checkout, the index or any branch.  Its
# author, committer and dates are fixed, so one edit of one parent is
# always the same commit and a kernel built from it can be reused.
commit_with_edit() {
	local tree=$1 parent=$2 file=$3 edit=$4 subject=$5 blob dir rc=0
	blob=$(git -C "$tree" show "$parent:$file" | sed "$edit" |
		git -C "$tree" hash-object -w --stdin) || return 1
	[ "$blob" != "$(git -C "$tree" rev-parse "$parent:$file")" ] ||
		{ echo "commit_with_edit: the sed script did not change $file of $parent" >&2; return 1; }
	dir=$(mktemp -d)
	GIT_INDEX_FILE=$dir/index git -C "$tree" read-tree "$parent" &&
	GIT_INDEX_FILE=$dir/index git -C "$tree" update-index --cacheinfo "100644,$blob,$file" &&
	GIT_AUTHOR_NAME=harness GIT_AUTHOR_EMAIL=harness@invalid \
	GIT_COMMITTER_NAME=harness GIT_COMMITTER_EMAIL=harness@invalid \
	GIT_AUTHOR_DATE=$(git -C "$tree" log -1 --format=%ct "$parent") \
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%ct "$parent") \
		git -C "$tree" commit-tree -p "$parent" -m "$subject" \
			"$(GIT_INDEX_FILE=$dir/index git -C "$tree" write-tree)" || rc=1
	rm -rf "$dir"
	return $rc
}

# The kernel's own complaints in a console log, one per line: a run that
# passes its tests while the kernel logs one of these has not passed.
kernel_splats() {	# console-log
	grep -E '(BUG:|WARNING:|Oops|Unable to handle|Kernel panic|UBSAN:|KASAN:|kernel BUG)' "$1" || true
}

# atomic_pool_result <tree> <log> <width>: how a boot with the atomic
# pool module (guest/dma_atomic_pages.c) went.  Sets atomic_case (ok, not
# ok, or empty when the case's line is missing) and atomic_splat (the
# first kernel complaint, cut to <width> columns), and returns 0 when the
# tree behaved as it must: stock with a complaint whose trace runs from
# the module into a free of pages (the case's own line may be missing:
# after that oops the kernel's lines can split the workload's on a shared
# console), any other tree with the case ok and no complaint.
atomic_pool_result() {
	local tree=$1 log=$2 width=$3
	atomic_case=$(grep -E '^(not )?ok [0-9]+ atomic_pages$' "$log" |
		sed -E 's/ [0-9]+ atomic_pages$//' || true)
	atomic_splat=$(kernel_splats "$log" | head -n 1 | sed -E 's/^\[[ 0-9.]+\] //' | cut -c1-"$width")
	if [ "$tree" = stock ]; then
		[ "$atomic_case" != ok ] && [ -n "$atomic_splat" ] && freed_by_module "$log"
	else
		[ "$atomic_case" = ok ] && [ -z "$atomic_splat" ]
	fi
}

# freed_by_module <log>: a kernel complaint in the log whose trace runs
# from the atomic pool module (guest/dma_atomic_pages.c) into a free of
# pages.  arm64 shows dma_free_pages() and the page allocator's frames
# above the module's; on x86 the calls between are tail calls, and the
# module's frame follows the RIP in ___free_pages().
freed_by_module() {
	awk '/cut here/ { freeing = 0 }
	     /(RIP: [0-9a-f]+:|pc : |^ )(dma_free_pages|_*free_pages)\+/ { freeing = 1 }
	     freeing && / atomic_pages_init\+/ { found = 1 }
	     END { exit !found }' "$1"
}

#!/bin/bash
# The CI gate: one line per gate, then "N passed, N failed".
# Usage: scripts/check.sh [gate...|full]
#   default: the make check gates; "full": those and the slow ones of
#   make check-full (every guest on both trees, pKVM, the benchmarks, the
#   7.3 comparison, the build matrix, sparse, clang, recipients, and the
#   seeded defects of all of these).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tree=$BUILD/tree
results=$BUILD/results
mkdir -p "$results"
passed=0 failed=0

. "$TOP/scripts/result-cache.sh"
cached=0

# Runs a gate with its output in build/results/gate-<name>.log; a gate
# that takes long (a kernel build, a kunit.py run) says so once a minute.
# A slow gate whose inputs have not changed since it passed comes from
# the result cache (scripts/result-cache.sh).
gate() {	# name command...
	local name=$1 start=$SECONDS pid status=0 key= h0 m0 h m
	shift
	read -r h0 m0 <<< "$(ccache_counts)"
	if [ -n "${result_extras[$name]+set}" ] && key=$(result_key "$name" "$@"); then
		if result_restore "$name" "$key"; then
			passed=$((passed + 1)) cached=$((cached + 1))
			printf '%s\t%s\t%s\t%s\t%s\n' "$name" 0 cache 0 0 >> "$results/gates.tsv"
			printf 'PASS  %-12s (result cache: %s)\n' "$name" \
				"$(cat "$result_cache/$name/$key/meta")"
			return
		fi
		touch "$BUILD/.gate-stamp"
	fi
	CHECK_GATE=$name "$@" > "$results/gate-$name.log" 2>&1 &
	pid=$!
	while ! wait_for "$pid" 60; do
		printf '      ... %s running for %d min (%s)\n' "$name" \
			$(((SECONDS - start) / 60)) "$(tail -n 1 "$results/gate-$name.log" | cut -c1-60)"
	done
	wait "$pid" || status=$?
	read -r h m <<< "$(ccache_counts)"
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" $((SECONDS - start)) \
		"$([ "$status" -eq 0 ] && echo pass || echo fail)" $((h - h0)) $((m - m0)) >> "$results/gates.tsv"
	if [ "$status" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %-12s (%ds)\n' "$name" $((SECONDS - start))
		[ -z "$key" ] || result_save "$name" "$key" "$BUILD/.gate-stamp" $((SECONDS - start))
	else
		failed=$((failed + 1))
		printf 'FAIL  %-12s (%ds)  see %s\n' "$name" $((SECONDS - start)) \
			"$results/gate-$name.log"
		tail -n 5 "$results/gate-$name.log" | sed 's/^/      /'
	fi
}


# patches/ must be exactly what the tree holds (its subdirectories are
# other series, exported on their own).
roundtrip() {	# [patches-dir]
	local want=${1:-$TOP/patches} f
	rm -rf "$BUILD/roundtrip"
	"$TOP/scripts/export.sh" -k "$tree" "$BUILD/roundtrip" &&
	diff <(cd "$want" && find . -maxdepth 1 -type f | sort) \
	     <(cd "$BUILD/roundtrip" && find . -maxdepth 1 -type f | sort) &&
	for f in "$BUILD"/roundtrip/*; do
		cmp "$f" "$want/${f##*/}" || return 1
	done
}

# checkpatch.pl --strict on every patch of a directory (default:
# patches/), run inside the kernel tree so that its tree checks (file
# names, SPDX tags) apply.  Allowed, and justified in the cover letter:
# the base tree has no git history to resolve commit ids, and kernel/dma/
# already has a MAINTAINERS entry.  checkpatch exits 1 on any warning,
# allowed ones included, so the gate judges its report, not its status;
# a report without checkpatch's summary line means it did not run.
checkpatch() {
	local p out bad=0
	for p in "${1:-$TOP/patches}"/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		# Debian's python3 first: checkpatch's spdxcheck.py needs its
		# python3-ply, which another python3 on PATH may lack.
		out=$(cd "$tree" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict "$p" 2>&1) || true
		if ! grep -q '^total: [0-9]* errors, [0-9]* warnings, [0-9]* checks' <<< "$out" ||
		   grep -q '^Traceback' <<< "$out"; then
			echo "$out"
			echo "checkpatch did not check all of $p"
			bad=1
			continue
		fi
		if grep -E '^(ERROR|WARNING|CHECK):' <<< "$out" |
		   grep -vE "Unknown commit id|does MAINTAINERS need updating"; then
			bad=1
		fi
	done
	stable_size "${1:-$TOP/patches}" || bad=1
	return $bad
}

# The stable rules' limit: a fix (a patch that touches no KUnit file and
# nothing under Documentation/) is at most 100 lines, context included.
diff_lines() {	# patch: its lines from the first diff header to the signature
	awk '/^diff --git /{d=1} /^-- $/{d=0} d{n++} END{print n + 0}' "$1"
}
stable_size() {	# dir
	local p n bad=0
	for p in "$1"/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		grep -qE '^diff --git a/(Documentation/|\S*kunit)' "$p" && continue
		n=$(diff_lines "$p")
		if [ "$n" -gt 100 ]; then
			echo "${p##*/}: $n lines, over the stable rules' 100"
			bad=1
		fi
	done
	return $bad
}

# No kernel-doc warning that the base tree does not already have (line
# numbers move, so they are left out of the comparison).
kdoc_files="kernel/dma/direct.c kernel/dma/direct.h kernel/dma/direct_kunit.h kernel/dma/direct_kunit.c"
kdoc_warnings() {	# dir -> the kernel-doc warnings of $kdoc_files under dir
	local f
	for f in $kdoc_files; do
		[ -f "$1/$f" ] || continue
		"$tree/scripts/kernel-doc" -none -Wall "$1/$f" 2>&1 |
			sed -E "s|$1/||g; s/:[0-9]+ / /"
	done | sort -u
}
kdoc_new() {	# before-dir after-dir: fail on warnings only after has
	! comm -13 <(kdoc_warnings "$1") <(kdoc_warnings "$2") | grep .
}
kerneldoc() {
	local d=$BUILD/kdoc ref
	rm -rf "$d"
	for ref in base series; do
		mkdir -p "$d/$ref"
		git -C "$tree" archive "$ref" kernel/dma | tar -x -C "$d/$ref"
	done
	kdoc_new "$d/base" "$d/series"
}

# Every patch builds kernel/dma/ on its own, with W=1 and no warnings.
bisect() {	# [range], default base..series
	local c obj=$BUILD/obj/kunit-arm64 rc=0
	[ -f "$obj/.config" ] || { echo "run the kunit gate first"; return 1; }
	for c in $(git -C "$tree" rev-list --reverse "${1:-base..series}"); do
		git -C "$tree" checkout -q "$c"
		echo "== $(git -C "$tree" log -1 --format=%s "$c")"
		ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
			kmake -C "$tree" O="$obj" W=1 olddefconfig kernel/dma/ \
			> "$BUILD/bisect.log" 2>&1 || rc=1
		grep -E 'warning:|error:' "$BUILD/bisect.log" && rc=1
	done
	git -C "$tree" checkout -q series
	return $rc
}

# The suite without the fixes must fail exactly the cases listed in
# tests/stock-failures.txt, and nothing else; the gate says how many of
# them are bugs a 7.2 platform reaches and how many are design checks.
# kunit.sh fails here by design; what matters is that the suite ran, the
# kernel did not complain, and the failing cases are the expected ones.
reproduce() {
	! "$TOP/scripts/kunit.sh" reproduce || { echo "no test failed without the fixes"; return 1; }
	[ -s "$results/kunit-reproduce.ktap" ] || { echo "the suite did not run"; return 1; }
	[ ! -s "$results/kunit-reproduce.splats" ] || return 1
	same_failures "$TOP/tests/stock-failures.txt" "$results/kunit-reproduce.ktap" || return 1
	awk -F'\t' '!/^#/ { n++; if ($2 == "bug") b++; else if ($2 == "design") d++; else bad++ }
		END { printf "stock 7.2.13 fails %d cases: %d bugs that 7.2 platforms reach, %d design checks\n", n, b, d
		      exit bad > 0 }' "$TOP/tests/stock-failures.txt"
}
same_failures() {	# expected-list ktap: the failing cases are exactly the list
	"$TOP/scripts/ktap-failures.py" "$tree" "$2" > "$2.failures" &&
	diff -u <(grep -v '^#' "$1" | cut -f1) "$2.failures"
}

docs() { "$TOP/scripts/docs.sh"; }

# The seeds of make check-selftest and the mutants of make mutants still
# change what they are meant to change in today's sources; checked
# without building, so that a seed cannot rot outside CI.
seeds() {
	"$TOP/scripts/selftest.sh" seeds && "$TOP/scripts/mutants.sh" --check
}

# The DMA map benchmark table from the two x86_64 guest runs.
bench() {
	"$TOP/scripts/dma-bench.py" "$results/stock-x86_64.log" \
		"$results/series-x86_64.log" > "$results/dma-bench.md" &&
	cat "$results/dma-bench.md"
}

# The arm64 guests' load in make check: 256 MiB of verified disk I/O from
# four processes while the console is rebound, then 10 unbind/bind cycles
# of both devices (guest/workload.c).
short_load="wl_soak=256 wl_churn=10"
# make check-full's, in the arm64 and the pKVM guests: 1 GiB, 50 cycles.
full_load="wl_soak=1024 wl_churn=50"
coherent_stress="wl_coherent=/dma_coherent_bench.ko wl_coherent_stress=30"

check=(apply roundtrip checkpatch kerneldoc seeds kunit kunit-cma bisect reproduce docs size
       hotpath guest guest-kasan realm svm svm-tdx selftest)
full=("${check[@]}" kunit-shipped guest-stock soak bad-pools guest-x86_64-stock guest-x86_64 svm-guests bench pkvm-stock pkvm
      bench-coherent bench-realm upstream-7.3 matrix sparse clang recipients selftest-full)

# "<hits> <misses>" of the harness's ccache so far.
ccache_counts() {
	ccache --print-stats 2>/dev/null |
		awk -F'\t' '$1 ~ /^(direct|preprocessed)_cache_hit$/ { h += $2 }
			     $1 == "cache_miss" { m = $2 } END { print h + 0, m + 0 }'
}

# Where the time went: the slowest steps that reported themselves
# (kernel builds, kunit.py runs, guest boots, the base tree's unpack) and
# the ccache hit rate of the gates (gates.tsv; other builds on the same
# cache meanwhile count too).
time_report() {
	[ ! -s "$results/steps.tsv" ] || echo "slowest steps (build/results/steps.tsv):"
	sort -t$'\t' -k1,1nr "$results/steps.tsv" 2>/dev/null | head -n 5 |
		awk -F'\t' '{ printf "  %5d s  %s\n", $1, $2 }'
	awk -F'\t' '{ h += $4; m += $5 } END { if (h + m)
		printf "ccache: %d hits, %d misses (%d%% hits)\n", h, m, 100 * h / (h + m) }' \
		"$results/gates.tsv" 2>/dev/null
}

main() {
	local gates=("$@") g
	[ ${#gates[@]} -gt 0 ] || gates=("${check[@]}")
	[ "${gates[*]}" != full ] || gates=("${full[@]}")
	rm -f "$results/steps.tsv" "$results/gates.tsv"
	for g in "${gates[@]}"; do
		case $g in
		apply)		gate apply "$TOP/scripts/tree.sh" ;;
		roundtrip)	gate roundtrip roundtrip ;;
		checkpatch)	gate checkpatch checkpatch ;;
		kerneldoc)	gate kernel-doc kerneldoc ;;
		seeds)		gate seeds seeds ;;
		kunit)		gate kunit "$TOP/scripts/kunit.sh" series ;;
		kunit-cma)	gate kunit-cma "$TOP/scripts/kunit.sh" series cma ;;
		# make check-full: the .kunitconfig alone, the cover letter's
		# command (make check boots the merged configuration).
		kunit-shipped)	gate kunit-shipped "$TOP/scripts/kunit.sh" series shipped ;;
		bisect)		gate bisect bisect ;;
		reproduce)	gate reproduce reproduce ;;
		# Seeded defects for the gates above (scripts/selftest.sh); it
		# reads their results, so it runs last.
		selftest)	gate selftest "$TOP/scripts/selftest.sh" ;;
		docs)		gate docs docs ;;
		size)		gate size "$TOP/scripts/size.sh" ;;
		# Reads the objects of the size gate.
		hotpath)	gate hotpath "$TOP/scripts/hotpath.sh" ;;
		# A short soak and churn; make check-full's soak is longer.
		# The realm gate's kernel of the tree (modules, DEBUG_VM), in
		# its folder: one build serves both gates.
		guest)		gate guest-arm64 env GUEST_APPEND="$short_load" \
					GUEST_OBJ="$BUILD/obj/guest-arm64-realm-series" \
					"$TOP/scripts/guest-arm64.sh" "$tree" series series "${realm_fragments[@]}" ;;
		guest-kasan)	gate guest-kasan env GUEST_TIMEOUT=900 "$TOP/scripts/guest-arm64.sh" \
					"$tree" series-kasan series "$TOP/guest/kasan.config" ;;
		# Both trees as realm guests on an emulated RSI (realm/).
		realm)		gate realm "$TOP/scripts/realm-trees.sh" ;;
		# Our SVM hypervisor (svm/), checked by its ABI test guest.
		svm)		gate svm "$TOP/scripts/svm.sh" --abi-test ;;
		# Both trees' x86_64 guest as a TDX guest on the emulated TDX
		# module, enforcing (make check-full's svm-guests has every mode).
		svm-tdx)	gate svm-tdx "$TOP/scripts/svm-trees.sh" tdx ;;
		# make check-full only.  The stock guests must pass too: their
		# force_dma_unencrypted() is false and their pool encodings are
		# equal, so a failure there is a harness problem.
		guest-stock)	gate guest-arm64-stock env GUEST_APPEND="$short_load" \
					GUEST_OBJ="$BUILD/obj/guest-arm64-realm-stock" \
					"$TOP/scripts/guest-arm64.sh" "$tree" stock base "${realm_fragments[@]}" ;;
		# Also coherent allocations from four threads while disk
		# passes run (guest/dma_coherent_bench.c's stress mode).
		soak)		gate soak-arm64 env GUEST_APPEND="$full_load $coherent_stress" \
					GUEST_MODULE="$TOP/guest/dma_coherent_bench.c" \
					GUEST_TIMEOUT=900 "$TOP/scripts/guest-arm64.sh" \
					"$tree" series-soak series "$TOP/guest/modules.config" ;;
		bad-pools)	gate bad-pools "$TOP/scripts/bad-pools.sh" ;;
		guest-x86_64-stock) gate guest-x86_64-stock "$TOP/scripts/guest-x86_64.sh" "$tree" stock base ;;
		guest-x86_64)	gate guest-x86_64 "$TOP/scripts/guest-x86_64.sh" "$tree" series series ;;
		# The same x86_64 kernels as SEV and TDX guests on an emulated
		# platform (svm/), and plain.
		svm-guests)	gate svm-guests "$TOP/scripts/svm-trees.sh" ;;
		bench)		gate dma-bench bench ;;
		# dma_alloc_coherent() on a pooled device, 10 alternating boots
		# per tree: a table, fails only without results (or if a boot
		# fails).
		bench-coherent)	gate bench-coherent "$TOP/scripts/bench-abab.sh" coherent 10 ;;
		# The same in realm guests, where stock converts pool memory.
		bench-realm)	gate bench-realm "$TOP/scripts/bench-abab.sh" realm 10 ;;
		pkvm-stock)	gate pkvm-stock env PKVM_LOAD="$full_load" "$TOP/scripts/pkvm.sh" stock base ;;
		pkvm)		gate pkvm env PKVM_LOAD="$full_load" "$TOP/scripts/pkvm.sh" series series ;;
		# The KUnit cases ported to 7.3.y; reads the kunit and
		# reproduce gates' results for the three-tree table.
		upstream-7.3)	gate upstream-7.3 "$TOP/scripts/upstream-7.3.sh" ;;
		# The build matrix (5 arches x 2 configs, W=1, per patch, with
		# a bloat-o-meter table), sparse, clang, recipients.
		matrix)		gate matrix "$TOP/scripts/matrix.sh" ;;
		sparse)		gate sparse "$TOP/scripts/sparse.sh" ;;
		clang)		gate clang "$TOP/scripts/clang.sh" ;;
		recipients)	gate recipients "$TOP/scripts/recipients.sh" --check ;;
		# Seeded defects that need builds, and those of the gates above
		# (scripts/selftest-full.sh); reads their results, so it runs last.
		selftest-full)	gate selftest-full "$TOP/scripts/selftest.sh" full ;;
		*)		echo "unknown gate '$g'" >&2; exit 2 ;;
		esac
	done
	time_report
	"$TOP/scripts/time-table.sh" > "$results/time-table.md" ||
		echo "the time table failed (build/results/gates.tsv, steps.tsv)"
	[ "$cached" -eq 0 ] ||
		echo "$cached of the passes came from the result cache (inputs unchanged; CHECK_CACHE=0 runs every gate)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# scripts/selftest.sh sources this file for the gate functions.  The exit
# inside the compound command keeps bash from reading this file any
# further once the gates have run: an edit to it during a long run then
# cannot feed the running shell a half-read line.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
	exit
fi

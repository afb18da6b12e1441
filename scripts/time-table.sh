#!/bin/bash
# Where a run of scripts/check.sh spent its time, gate by gate: kernel
# builds, kunit.py runs (which build their kernel and boot it), guest
# boots, and the rest (scripts, parsing, checkouts, the wait for the
# build lock), with the ccache hits of the gate's builds.  Reads
# build/results/gates.tsv (gate, seconds, verdict, ccache hits, misses)
# and steps.tsv (seconds, step, gate), which check.sh writes; prints a
# markdown table.  check.sh leaves it in build/results/time-table.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"

gates=${1:-$BUILD/results/gates.tsv}
steps=${2:-$BUILD/results/steps.tsv}
[ -s "$gates" ] || die "no $gates: run scripts/check.sh first"
[ -f "$steps" ] || steps=/dev/null

awk -F'\t' '
FILENAME == ARGV[1] {
	if ($2 ~ /^kernel build/) { build[$3] += $1; nbuild[$3]++ }
	else if ($2 ~ /^kunit\.py/) kunit[$3] += $1
	else if ($2 ~ /^guest boot/) boot[$3] += $1
	next
}
{
	g = $1; t = $2
	rest = t - build[g] - kunit[g] - boot[g]
	if (rest < 0) rest = 0	# a step inside another would count twice
	hits = ($4 + $5) ? sprintf("%d%% of %d", 100 * $4 / ($4 + $5), $4 + $5) : "-"
	if ($3 == "cache")
		printf "| %s | result cache | 0 | - | - | - | - | - |\n", g
	else
		printf "| %s | %s | %d | %d (%d) | %d | %d | %d | %s |\n", g, $3, t,
			build[g], nbuild[g], kunit[g], boot[g], rest, hits
	total += t
}
BEGIN {
	print "| gate | verdict | total (s) | kernel builds (s, how many) | kunit.py, build and boot (s) | guest boots (s) | the rest (s) | ccache hits |"
	print "|---|---|---|---|---|---|---|---|"
}
END { printf "| all | | %d (%d min %d s) | | | | | |\n", total, total / 60, total % 60 }
' "$steps" "$gates"

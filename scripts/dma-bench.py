#!/usr/bin/env python3
"""Tabulate the DMA map benchmark runs of x86_64 guest console logs.

The guest workload (guest/workload.c) runs tools/dma's dma_map_benchmark
several times and prints each output line as a KTAP diagnostic.  This
prints a markdown table with the median map and unmap latency of each
tree, the ratio patched/stock of the medians and its 95 % bootstrap
interval, and says "no difference resolved" when the interval contains
1.  Give several logs per tree, from boots that alternated between the
trees (scripts/bench-abab.sh), so that a drift of the machine hits both
alike.  The runs of one boot share that boot's luck, so with several
logs a tree's samples are its boots (the median of each boot's runs) and
the bootstrap resamples boots (10,000 times, fixed seed); with one log
per tree they are its runs.
It is a benchmark, not a test: it fails only when a log has no complete
runs.

Usage: dma-bench.py <stock.log>... -- <patched.log>...
       dma-bench.py <stock.log> <patched.log>
"""
import random
import re
import statistics
import sys

LINE = re.compile(r"^# dma_map_benchmark run (\d+): average (map|unmap) "
                  r"latency\(us\):([0-9.]+) standard deviation:([0-9.]+)")
SETUP = re.compile(r"^# dma_map_benchmark run 1: (dma mapping benchmark.*)$")
ACCEL = re.compile(r"^guest: accelerator (\w+)")
RESAMPLES = 10000


def samples(paths):
    """{'map': [us, ...], 'unmap': [...]} (one per boot, or per run when
    there is one log), the number of runs, the settings, the accelerators."""
    lat = {"map": [], "unmap": []}
    nr_runs = 0
    setups, accels = set(), set()
    for path in paths:
        per_log = {"map": [], "unmap": []}
        with open(path, errors="replace") as log:
            for line in log:
                line = line.rstrip("\r\n")
                m = LINE.match(line)
                if m:
                    per_log[m.group(2)].append(float(m.group(3)))
                m = SETUP.match(line)
                if m:
                    setups.add(m.group(1))
                m = ACCEL.match(line)
                if m:
                    accels.add(m.group(1))
        if not per_log["map"] or len(per_log["map"]) != len(per_log["unmap"]):
            sys.exit("dma-bench: no complete benchmark runs in %s" % path)
        nr_runs += len(per_log["map"])
        for op in lat:
            if len(paths) == 1:
                lat[op] += per_log[op]
            else:
                lat[op].append(statistics.median(per_log[op]))
    return lat, nr_runs, "; ".join(sorted(setups)), "/".join(sorted(accels)) or "?"


def interval(stock, patched, rng):
    """95 % percentile bootstrap interval of median(patched)/median(stock)."""
    ratios = sorted(
        statistics.median(rng.choices(patched, k=len(patched))) /
        statistics.median(rng.choices(stock, k=len(stock)))
        for _ in range(RESAMPLES))
    return ratios[int(0.025 * RESAMPLES)], ratios[int(0.975 * RESAMPLES) - 1]


def main():
    args = sys.argv[1:]
    if "--" in args:
        i = args.index("--")
        stock_logs, patched_logs = args[:i], args[i + 1:]
    elif len(args) == 2:
        stock_logs, patched_logs = args[:1], args[1:]
    else:
        stock_logs = patched_logs = []
    if not stock_logs or not patched_logs:
        print(__doc__, file=sys.stderr)
        return 2
    stock, runs_s, setup, accel_s = samples(stock_logs)
    patched, runs_p, setup_p, accel_p = samples(patched_logs)
    rng = random.Random(20261201)
    unit = "boot medians" if len(stock_logs) > 1 else "runs"
    print("Streaming map/unmap of one page through swiotlb=force, x86_64 guest; "
          "stock %d boots (%d runs), patched %d boots (%d runs); samples are %s; "
          "QEMU accelerator %s (stock) and %s (patched).\n%s\n"
          % (len(stock_logs), runs_s, len(patched_logs), runs_p, unit, accel_s,
             accel_p, setup or setup_p))
    print("| latency (us) | stock 7.2.13 median | patched median | "
          "patched / stock | 95 %% interval | verdict | stock %s | patched %s |"
          % (unit, unit))
    print("|---|---|---|---|---|---|---|---|")
    for op in ("map", "unmap"):
        s, p = statistics.median(stock[op]), statistics.median(patched[op])
        lo, hi = interval(stock[op], patched[op], rng)
        verdict = ("no difference resolved" if lo <= 1 <= hi else
                   "patched slower" if lo > 1 else "patched faster")
        print("| %s | %.2f | %.2f | %.2f | %.2f to %.2f | %s | %s | %s |"
              % (op, s, p, p / s, lo, hi, verdict,
                 " ".join("%.1f" % v for v in stock[op]),
                 " ".join("%.1f" % v for v in patched[op])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

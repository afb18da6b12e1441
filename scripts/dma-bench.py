#!/usr/bin/env python3
"""Tabulate the DMA benchmarks of guest console logs, stock against patched.

The guest workload (guest/workload.c) prints each benchmark result as a
KTAP diagnostic: tools/dma's dma_map_benchmark (x86_64 guest, streaming
map and unmap through swiotlb=force, several runs per boot) or our
coherent allocation benchmark (arm64 guest, guest/dma_coherent_bench.c:
the median cost of dma_alloc_coherent() and dma_free_coherent() on a
restricted-pool device, per buffer size, one result per boot).  This
prints a markdown table with each tree's median per measurement, the
ratio patched/stock of the medians and its 95 % bootstrap interval, and
says "no difference resolved" when the interval contains 1.  Give
several logs per tree, from boots that alternated between the trees
(scripts/bench-abab.sh), so that a drift of the machine hits both alike.
The runs of one boot share that boot's luck, so with several logs a
tree's samples are its boots (the median of each boot's runs) and the
bootstrap resamples boots (10,000 times, fixed seed); with one log per
tree they are its runs.
It is a benchmark, not a test: it fails only when a log has no complete
results.

Usage: dma-bench.py <stock.log>... -- <patched.log>...
       dma-bench.py <stock.log> <patched.log>
"""
import random
import re
import statistics
import sys

MAP = re.compile(r"^# dma_map_benchmark run (\d+): average (map|unmap) "
                 r"latency\(us\):([0-9.]+) standard deviation:([0-9.]+)")
MAP_SETUP = re.compile(r"^# dma_map_benchmark run 1: (dma mapping benchmark.*)$")
COHERENT = re.compile(r"^# coherent_benchmark: (\S+): (\d+) bytes: (\d+) pairs, "
                      r"alloc median (\d+) ns, free median (\d+) ns$")
ACCEL = re.compile(r"^guest: accelerator (\w+)")
REALM = re.compile(r"^RME: Using RSI version")
RESAMPLES = 10000


def measurements(line):
    """[(measurement, value)] of one console line, and a setting or None."""
    m = MAP.match(line)
    if m:
        return [("%s latency (us)" % m.group(2), float(m.group(3)))], None
    m = MAP_SETUP.match(line)
    if m:
        return [], m.group(1)
    m = COHERENT.match(line)
    if m:
        size = int(m.group(2))
        return [("alloc %d KiB (ns)" % (size // 1024), float(m.group(4))),
                ("free %d KiB (ns)" % (size // 1024), float(m.group(5)))], \
            "device %s, %s pairs per size per boot" % (m.group(1), m.group(3))
    return [], None


def samples(paths):
    """{measurement: [value, ...]} (one per boot, or per run when there is
    one log), the number of runs, the settings, the accelerators."""
    lat = {}
    nr_runs = 0
    setups, accels = set(), set()
    for path in paths:
        per_log = {}
        with open(path, errors="replace") as log:
            for line in log:
                line = line.rstrip("\r\n")
                found, setup = measurements(line)
                for name, value in found:
                    per_log.setdefault(name, []).append(value)
                if setup:
                    setups.add(setup)
                m = ACCEL.match(line)
                if m:
                    accels.add(m.group(1))
                if REALM.match(line):
                    setups.add("realm guest on an emulated RSI (scripts/realm.sh, TCG)")
        counts = {len(v) for v in per_log.values()}
        if not per_log or len(counts) != 1 or (lat and set(lat) != set(per_log)):
            sys.exit("dma-bench: no complete benchmark results in %s" % path)
        nr_runs += counts.pop()
        for name, values in per_log.items():
            if len(paths) == 1:
                lat.setdefault(name, []).extend(values)
            else:
                lat.setdefault(name, []).append(statistics.median(values))
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
    if set(stock) != set(patched):
        sys.exit("dma-bench: the stock and patched logs measure different things")
    rng = random.Random(20261201)
    unit = "boot medians" if len(stock_logs) > 1 else "runs"
    what = ("dma_alloc_coherent()/dma_free_coherent() on a device behind a "
            "restricted DMA pool, arm64 guest" if any("alloc" in k for k in stock)
            else "Streaming map/unmap of one page through swiotlb=force, x86_64 guest")
    print("%s; stock %d boots (%d runs), patched %d boots (%d runs); samples are %s; "
          "QEMU accelerator %s (stock) and %s (patched).\n%s\n"
          % (what, len(stock_logs), runs_s, len(patched_logs), runs_p, unit, accel_s,
             accel_p, setup or setup_p))
    print("| measurement | stock 7.2.13 median | patched median | "
          "patched / stock | 95 %% interval | verdict | stock %s | patched %s |"
          % (unit, unit))
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(stock):
        s, p = statistics.median(stock[name]), statistics.median(patched[name])
        lo, hi = interval(stock[name], patched[name], rng)
        verdict = ("no difference resolved" if lo <= 1 <= hi else
                   "patched slower" if lo > 1 else "patched faster")
        # the map benchmark prints 0.1 us, the coherent one whole ns
        val, sample = ("%.0f", "%.0f") if "(ns)" in name else ("%.2f", "%.1f")
        print(("| %s | " + val + " | " + val + " | %.2f | %.2f to %.2f | %s | %s | %s |")
              % (name, s, p, p / s, lo, hi, verdict,
                 " ".join(sample % v for v in stock[name]),
                 " ".join(sample % v for v in patched[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

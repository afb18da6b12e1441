#!/usr/bin/env python3
"""Tabulate the DMA map benchmark runs of two x86_64 guest console logs.

The guest workload (guest/workload.c) runs tools/dma's dma_map_benchmark
several times and prints each output line as a KTAP diagnostic.  This
prints a markdown table with the median map and unmap latency of each
tree and the ratio patched/stock.  It is a benchmark, not a test: it
fails only when a log has no complete runs.

Usage: dma-bench.py <stock.log> <patched.log>
"""
import re
import statistics
import sys

LINE = re.compile(r"^# dma_map_benchmark run (\d+): average (map|unmap) "
                  r"latency\(us\):([0-9.]+) standard deviation:([0-9.]+)")
SETUP = re.compile(r"^# dma_map_benchmark run 1: (dma mapping benchmark.*)$")
ACCEL = re.compile(r"^guest: accelerator (\w+)")


def runs(path):
    """{'map': [us, ...], 'unmap': [...]} and the benchmark's settings."""
    lat = {"map": [], "unmap": []}
    setup, accel = "", "?"
    with open(path, errors="replace") as log:
        for line in log:
            line = line.rstrip("\r\n")
            m = LINE.match(line)
            if m:
                lat[m.group(2)].append(float(m.group(3)))
            m = SETUP.match(line)
            if m:
                setup = m.group(1)
            m = ACCEL.match(line)
            if m:
                accel = m.group(1)
    return lat, "%s; QEMU accelerator %s" % (setup, accel)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    stock, stock_setup = runs(sys.argv[1])
    patched, patched_setup = runs(sys.argv[2])
    for name, lat in (("stock", stock), ("patched", patched)):
        if not lat["map"] or len(lat["map"]) != len(lat["unmap"]):
            print("dma-bench: no complete benchmark runs in the %s log" % name,
                  file=sys.stderr)
            return 1
    print("Streaming map/unmap of one page through swiotlb=force, x86_64 "
          "guest, %d runs per tree.\nstock: %s\npatched: %s\n"
          % (len(stock["map"]), stock_setup, patched_setup))
    print("| latency (us) | stock 7.2.13 median | patched median | "
          "patched / stock | stock runs | patched runs |")
    print("|---|---|---|---|---|---|")
    for op in ("map", "unmap"):
        s, p = statistics.median(stock[op]), statistics.median(patched[op])
        ratio = "%.2f" % (p / s) if s else "n/a"
        print("| %s | %.1f | %.1f | %s | %s | %s |"
              % (op, s, p, ratio, " ".join("%.1f" % v for v in stock[op]),
                 " ".join("%.1f" % v for v in patched[op])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

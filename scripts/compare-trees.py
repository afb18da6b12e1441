#!/usr/bin/env python3
"""Print the dma-direct KUnit results of several trees side by side.

Each KTAP log is parsed with the kernel's own parser
(tools/testing/kunit/kunit_parser.py).  Rows are case x platform model,
with the names both suites use.  A column that has no result for a row
says so ("-"); a log without any result, or without a result for every
case and model below, is an error.

Usage: compare-trees.py <kernel-tree> <title>=<ktap> [<title>=<ktap>...]
"""
import re
import sys

# The brief's scenarios each case exercises (S1/S2 in the pool models,
# S3/S4 in pool_only, the others where the model converts; "remap" is the
# remapped allocation that 7.2 never decrypts).
SCENARIOS = {
    "coherent_memory_is_converted_only_by_its_owner": "S1 S2 S3 S5",
    "pages_are_converted_only_by_their_owner": "S1 S2 S3 S5",
    "odd_size_converts_whole_pages": "S10 (S1-S3, S5)",
    "no_kernel_mapping_cookie_only_for_private_memory": "S8",
    "nonblocking_alloc_never_converts": "S9",
    "remap_shares_the_pages_it_maps_decrypted": "S4, remap",
    "remap_decrypt_failure_leaks_pages": "remap, S6",
    "mmap_maps_shared_memory_decrypted": "S4",
    "required_mask_covers_shared_encoding": "S3",
    "coherent_mask_must_reach_shared_encoding": "S3",
    "decrypt_failure_leaks_pages": "S6 (S1)",
    "encrypt_failure_leaks_pages": "S7 (S2)",
}
MODELS = ["no_encryption", "pool_only", "forced_only", "forced_with_pool"]


def usage():
    sys.exit(__doc__.strip().splitlines()[-1])


if len(sys.argv) < 3:
    usage()
sys.path.insert(0, sys.argv[1] + "/tools/testing/kunit")
import kunit_parser  # noqa: E402
from kunit_printer import null_printer  # noqa: E402

S = kunit_parser.TestStatus


def first_failure(test):
    """The first failed expectation in a test's log, shortened."""
    for line in test.log:
        m = re.search(r"(Expected .*)", line)
        if m:
            why = m.group(1).strip().removesuffix(", but")
            # page_to_phys() and friends expand to a screenful
            return why if len(why) <= 90 else why[:87] + "..."
    return ""


def results(path):
    """{(case, model): (status, first failure)} for one KTAP log."""
    with open(path, errors="replace") as f:
        root = kunit_parser.parse_run_tests(f.readlines(), null_printer)
    out = {}
    for suite in root.subtests:
        for case in suite.subtests:
            for param in case.subtests:
                out[(case.name, param.name)] = (param.status, first_failure(param))
    if not out:
        sys.exit(f"compare-trees: no parameterised results in {path}")
    return out


columns = []
for arg in sys.argv[2:]:
    title, sep, path = arg.partition("=")
    if not sep or not title or not path:
        usage()
    columns.append((title, results(path)))

# A crash or a lost case must not look like a result: every tree has
# every case of the suite for every model, and each result is pass, fail
# or skip.
bad = []
for title, res in columns:
    for case in SCENARIOS:
        for model in MODELS:
            if (case, model) not in res:
                bad.append(f"{title}: no result for {case}/{model}")
    for (case, model), (status, _) in res.items():
        if status not in (S.SUCCESS, S.FAILURE, S.SKIPPED):
            bad.append(f"{title}: {case}/{model} {status.name}")
if bad:
    sys.exit("compare-trees: incomplete results\n" + "\n".join(bad))

cases = list(SCENARIOS)
for _, res in columns:
    for case, _ in res:
        if case not in cases:
            cases.append(case)

CELL = {S.SUCCESS: "pass", S.SKIPPED: "skip", S.FAILURE: "**FAIL**"}

print("| case | model | scenarios | " +
      " | ".join(t for t, _ in columns) + " |")
print("|---|---|---|" + "---|" * len(columns))
notes = []
for case in cases:
    for model in MODELS:
        row = []
        for title, res in columns:
            if (case, model) not in res:
                row.append("-")
                continue
            status, why = res[(case, model)]
            row.append(CELL.get(status, f"**{status.name}**"))
            if status != S.SUCCESS and status != S.SKIPPED:
                notes.append((title, case, model, why))
        if all(c == "-" for c in row):
            continue
        print(f"| {case} | {model} | "
              f"{SCENARIOS.get(case, '')} | " + " | ".join(row) + " |")

print()
print("| tree | pass | fail | skip | not run |")
print("|---|---|---|---|---|")
for title, res in columns:
    st = [s for s, _ in res.values()]
    counts = [st.count(S.SUCCESS), st.count(S.FAILURE), st.count(S.SKIPPED)]
    other = len(st) - sum(counts)
    print(f"| {title} | " + " | ".join(map(str, counts)) + f" | {other} |")

if notes:
    print()
    print("First failed expectation of each failure:")
    print()
    notes.sort(key=lambda n: [t for t, _ in columns].index(n[0]))
    for title, case, model, why in notes:
        print(f"- {title}, {case}/{model}: "
              f"`{why or 'no expectation in the log (crash?)'}`")

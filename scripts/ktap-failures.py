#!/usr/bin/env python3
"""List the failing leaf tests of a KTAP log as "case/param", one a line.

Uses the kernel's own KTAP parser (tools/testing/kunit/kunit_parser.py).
Usage: ktap-failures.py <kernel-tree> <ktap-file>
"""
import sys

sys.path.insert(0, sys.argv[1] + "/tools/testing/kunit")
import kunit_parser  # noqa: E402
from kunit_printer import null_printer  # noqa: E402


def leaves(test, path):
    if not test.subtests:
        yield path, test.status
    for sub in test.subtests:
        yield from leaves(sub, path + [sub.name])


with open(sys.argv[2]) as f:
    root = kunit_parser.parse_run_tests(f.readlines(), null_printer)
for path, status in leaves(root, []):
    if status not in (kunit_parser.TestStatus.SUCCESS,
                      kunit_parser.TestStatus.SKIPPED):
        print("/".join(path[1:]))

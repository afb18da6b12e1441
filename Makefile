# dma-direct memory encryption: the series and the harness that proves it.
# `make` applies the series and boots a guest with it; `make check` is the
# CI gate.  KSRC=/path/to/kernel uses your own base tree (read-only).

SHELL := /bin/bash
S := scripts

.PHONY: all deps tree check check-full kunit reproduce mutants docs export guests guest-kasan pkvm upstream-7.3 size clean

all: deps tree
	$(S)/guest-arm64.sh build/tree series series

deps:
	$(S)/deps.sh base kunit docs guests

tree: deps
	$(S)/tree.sh

check: deps
	$(S)/check.sh

kunit: tree
	$(S)/kunit.sh series

reproduce: tree
	$(S)/check.sh apply reproduce

# Break each predicate and call site in turn; the suite must notice.
mutants: tree
	$(S)/mutants.sh

docs: tree
	$(S)/docs.sh

# Every guest on the stock tree and on the series, then the benchmark
# table from the two x86_64 runs.
guests: tree
	$(S)/guest-arm64.sh build/tree stock base
	$(S)/guest-arm64.sh build/tree series series
	$(S)/guest-x86_64.sh build/tree stock base
	$(S)/guest-x86_64.sh build/tree series series
	$(S)/dma-bench.py build/results/stock-x86_64.log build/results/series-x86_64.log \
		| tee build/results/dma-bench.md

# The arm64 guest again with generic KASAN (a measurement: slow under TCG).
guest-kasan: tree
	GUEST_TIMEOUT=900 $(S)/guest-arm64.sh build/tree series-kasan series guest/kasan.config

# The workload in a pKVM protected VM, run by our own VMM (vmm/) on a
# pKVM host under QEMU TCG.
pkvm: tree
	$(S)/pkvm.sh stock base
	$(S)/pkvm.sh series series

# make check and the slow gates (scripts/check.sh lists them).
check-full: deps
	$(S)/deps.sh gates
	$(S)/check.sh full

upstream-7.3: tree
	$(S)/upstream-7.3.sh

size: tree
	$(S)/size.sh

# Export the development tree (build/linux) back into patches/.
export:
	$(S)/export.sh $(if $(TREE),$(TREE),build/linux)

clean:
	rm -rf build

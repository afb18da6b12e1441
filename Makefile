# dma-direct memory encryption: the series and the harness that proves it.
# `make` applies the series and boots a guest with it; `make check` is the
# CI gate.  KSRC=/path/to/kernel uses your own base tree (read-only).

SHELL := /bin/bash
S := scripts

.PHONY: all banner help deps tree check check-full check-selftest kunit reproduce mutants realm svm sev tdx soak bad-pools bench docs export guests guest-kasan pkvm upstream-7.3 size clean

# The arm64 guest gate of make check (its kernel also serves the realm
# gate), so that a make check after make finds both done or half done.
all: banner deps tree
	$(S)/check.sh guest
	@grep -h '^VERDICT' build/results/gate-guest-arm64.log

# The first line of make: what it does and how long it takes.
banner:
	@echo "make: installs what is missing, fetches Linux 7.2.13, applies the series," \
	      "builds an arm64 guest kernel and boots it: about 4 minutes cold on 2 cores" \
	      "(41 s and 179 s for its two steps in docs/gates.md's cold run; 685 s on a" \
	      "slower machine), under a minute warm"

help:
	@echo "make             apply the series and boot an arm64 guest that uses it"
	@echo "make check       the CI gate: one line per gate, then N passed, N failed"
	@echo "make check-full  make check, then the slow gates (guests, pKVM, 7.3, matrix, ...; see the README)"
	@echo "make check-selftest  seeded defects for the gates that need builds and for check-full's"
	@echo "make deps        install the Debian packages the harness needs"
	@echo "make tree        build/tree: the base with the series applied, and the suite alone (branch reproduce)"
	@echo "make kunit       the KUnit suite on the series"
	@echo "make reproduce   the suite without the fixes: must fail exactly tests/stock-failures.txt"
	@echo "make mutants     break each predicate and call site in turn: the suite must notice"
	@echo "make docs        the core-api page with Sphinx, warnings against the base tree"
	@echo "make size        bloat-o-meter table for direct.o, base against series"
	@echo "make guests      both guests on both trees, then the DMA map benchmark table"
	@echo "make guest-kasan the arm64 guest with generic KASAN"
	@echo "make pkvm        the workload in a pKVM protected VM, stock and series"
	@echo "make realm       both trees as realm guests on an emulated RSI (realm/)"
	@echo "make svm         our SVM hypervisor (svm/) and its ABI test"
	@echo "make sev         the x86_64 guest of both trees as a SEV guest on an emulated SEV (svm/)"
	@echo "make tdx         the same as a TDX guest on an emulated TDX module, enforcing (svm/)"
	@echo "make soak        the arm64 guest with 1 GiB of verified I/O, 50 unbind/bind cycles, coherent stress"
	@echo "make bad-pools   the arm64 guest of both trees with malformed restricted pools"
	@echo "make bench       DMA map and coherent allocation (arm64, realm) benchmarks, 10 alternating boots per tree"
	@echo "make upstream-7.3  the KUnit suite ported to Linux 7.3.y, three trees side by side"
	@echo "make export      patches/ from the development tree build/linux (or TREE=...)"
	@echo "make clean       remove build/ (the download and ccache cache stays)"
	@echo "KSRC=/path/to/linux uses your own base tree (read only)"

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
	$(S)/check.sh guest-stock guest
	$(S)/guest-x86_64.sh build/tree stock base
	$(S)/guest-x86_64.sh build/tree series series
	$(S)/dma-bench.py build/results/stock-x86_64.log build/results/series-x86_64.log \
		| tee build/results/dma-bench.md

# The arm64 guest again with generic KASAN (a measurement: slow under TCG).
guest-kasan: tree
	GUEST_TIMEOUT=900 $(S)/guest-arm64.sh build/tree series-kasan series guest/kasan.config

# The arm64 guest of both trees as a realm guest on an emulated RSI: our
# own EL2 firmware (realm/) answers the kernel's RSI calls.
realm: tree
	$(S)/realm-trees.sh

svm:
	$(S)/svm.sh --abi-test

# The x86_64 guest of both trees under our SVM hypervisor, as a SEV guest
# on an emulated SEV or a TDX guest on an emulated TDX module, and as the
# same guest without either (the control).
sev: tree
	$(S)/svm-trees.sh sev plain vendor-sev

tdx: tree
	$(S)/svm-trees.sh tdx plain vendor-tdx

# The arm64 guest under load: 1 GiB of verified disk I/O from four
# processes while the console is rebound, 50 unbind/bind cycles, and
# coherent allocations from four kernel threads during disk passes.
soak: tree
	$(S)/check.sh soak

# The arm64 guest of both trees with restricted pools that are wrong.
bad-pools: tree
	$(S)/bad-pools.sh

# The DMA map benchmark and the coherent allocation benchmark (arm64
# guest, then realm guest), stock and series in alternating boots (TCG:
# KVM does not run these guests on this machine).
bench: tree
	GUEST_ACCEL=$${GUEST_ACCEL:-tcg} $(S)/bench-abab.sh map 10
	$(S)/bench-abab.sh coherent 10
	$(S)/bench-abab.sh realm 10

# The workload in a pKVM protected VM, run by our own VMM (vmm/) on a
# pKVM host under QEMU TCG.
pkvm: tree
	$(S)/pkvm.sh stock base
	$(S)/pkvm.sh series series

# make check and the slow gates (scripts/check.sh lists them).
check-full: deps
	$(S)/deps.sh gates
	$(S)/check.sh full

# The seeded defects of make check-full's self-test gate; it reads the
# results of the slow gates, so run make check-full once first.
check-selftest: deps
	$(S)/deps.sh gates
	$(S)/check.sh selftest-full

upstream-7.3: tree
	$(S)/upstream-7.3.sh

size: tree
	$(S)/size.sh

# Export the development tree (build/linux) back into patches/.
export:
	$(S)/export.sh $(if $(TREE),$(TREE),build/linux)

clean:
	rm -rf build

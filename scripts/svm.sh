#!/bin/bash
# Boot our SVM hypervisor (svm/) under QEMU TCG with a test guest as L2,
# AMD SVM with nested paging, one vCPU.  The hypervisor is a multiboot
# image (-kernel), the guest a multiboot module (-initrd); the hypervisor
# copies it into the guest's RAM and runs it.  See svm/README.md.
#
# Usage: scripts/svm.sh --abi-test
#   boots the two ABI tests, each checking from L2 what the hypervisor
#   emulates, as KTAP: svm/test/abi.c in the SEV mode (CPUID 0x8000001f,
#   SEV_STATUS, the C-bit's private view, TDCALL caught), and
#   svm/test/tdx.c in the TDX mode (CPUID 0x21, the emulated TDX module's
#   calls, MapGPA and ACCEPT enforced by the nested tables, port I/O
#   through TDG.VP.VMCALL; it ends with a read the hypervisor must stop).  Then one verdict line each.
# Environment: SVM_TIMEOUT (seconds, default 30), QEMU (binary, default
#   qemu-system-x86_64).
# Leaves build/results/svm-abi.log and svm-abi-tdx.log (the consoles: the
# hypervisor's "hv: " lines and the guest's).  Exits non-zero when a test
# printed no KTAP, a case was not ok or missing, the hypervisor met an
# unexpected exit or a fatal error (but the TDX test's expected stop),
# did not print a line a case announced with "# hv should print: ", or
# QEMU did not power off in time.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage="usage: svm.sh --abi-test   (the ABI test guests; svm-linux.sh boots Linux)"
[[ $# -eq 1 && $1 = --abi-test ]] || die "$usage"
QEMU=${QEMU:-qemu-system-x86_64}
need "$QEMU" gcc objcopy make timeout
timeout=${SVM_TIMEOUT:-30}
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "SVM_TIMEOUT must be a positive number of seconds"
obj=$BUILD/obj/svm-hv
mkdir -p "$obj" "$BUILD/results"
make -s -C "$TOP/svm" O="$obj" >/dev/null || die "the SVM hypervisor did not build"
make -s -C "$TOP/svm" O="$obj" abi-test >/dev/null || die "the ABI tests did not build"
hv=$obj/svm-hv.elf
# QEMU splits -initrd at commas (one module each).
[[ $obj != *,* ]] || die "the build folder's path has a comma, which QEMU's -initrd cannot take: $obj"

# run_abi <mode> <image> <log> [<expected stop>]: boot, judge, one verdict.
run_abi() {
	local mode=$1 guest=$2 log=$3 stop=${4:-} status=0 start ms boot_time
	local planned='' ran=0 failed expected=33
	local -a problems=()
	rm -f "$log"
	# phys-bits=48: GPA bit 47 (SEV's C-bit, TDX's shared bit) must be a
	# valid address bit (with QEMU's default of 40 it is reserved).  1
	# GiB: the guest's RAM, the hypervisor and the private RAM
	# (svm/hv/hv.h).  isa-debug-exit is the hypervisor's power-off:
	# QEMU exits with 33 when the guest finished, 35 after a stop.
	# shellcheck disable=SC2054 # QEMU's options are comma lists
	local -a qemu=("$QEMU" -M pc -accel tcg -cpu max,+svm,+npt,phys-bits=48 -m 1G -smp 1
		       -nodefaults -display none -monitor none -serial stdio -no-reboot
		       -device isa-debug-exit,iobase=0xf4,iosize=4
		       -kernel "$hv" -append "mode=$mode" -initrd "$guest")
	echo "svm: booting the $mode ABI test under the SVM hypervisor (TCG, timeout ${timeout}s)"
	start=$(date +%s%N)
	timeout "$timeout" "${qemu[@]}" </dev/null >"$log" 2>&1 || status=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	boot_time=$((ms / 1000)).$((ms % 1000 / 100))
	step_time "guest boot: ${log##*/}" $(((ms + 500) / 1000))
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

	[ -z "$stop" ] || expected=35
	case $status in
	"$expected") ;;
	33)	problems+=("the run finished without the expected stop: $stop") ;;
	35)	problems+=("the hypervisor stopped the run: $(grep -m1 -e '^hv: STOP' -e '^hv: FATAL' "$log" || echo 'no FATAL line')") ;;
	124)	problems+=("QEMU did not power off within ${timeout}s and was killed (SVM_TIMEOUT)") ;;
	0)	problems+=("QEMU stopped without the hypervisor's power-off (a triple fault in the hypervisor? -no-reboot)") ;;
	*)	problems+=("QEMU exited with status $status: $(grep -m1 -v '^hv: ' "$log" || true)") ;;
	esac
	grep -q '^hv: entering the guest' "$log" ||
		problems+=("the hypervisor never entered the guest: $(grep -m1 '^hv: ' "$log" || echo 'no hypervisor output')")
	while read -r line; do
		problems+=("$line")
	done < <(grep -E '^hv: (unexpected exit|host exception)' "$log" || true)
	if [ -n "$stop" ]; then
		grep -q "^hv: STOP: $stop" "$log" ||
			problems+=("no stop, or another one, where expected: $stop")
	else
		grep -q '^hv: guest finished' "$log" ||
			problems+=("the hypervisor never saw the guest finish (HLT)")
	fi
	# A case that the hypervisor answers in its own log says so first.
	while read -r line; do
		grep -qF "hv: $line" "$log" || problems+=("the hypervisor did not print '$line'")
	done < <(sed -n 's/^# hv should print: //p' "$log")
	if ! grep -q '^KTAP version 1$' "$log"; then
		problems+=("the ABI test printed no KTAP")
	else
		planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$log" | head -n 1)
		ran=$(grep -cE '^(not )?ok [0-9]+ ' "$log" || true)
		failed=$(grep -E '^not ok [0-9]+ ' "$log" | cut -d' ' -f4 | xargs || true)
		[ -n "$planned" ] || problems+=("the KTAP output has no plan line (1..N)")
		[ "${planned:-x}" = "$ran" ] || problems+=("$ran of ${planned:-?} cases reported")
		[ -z "$failed" ] || problems+=("cases not ok: $failed")
	fi

	sed 's/^/  /' "$log"
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'svm: %s\n' "${problems[@]}" >&2
		reasons=$(printf '%s; ' "${problems[@]}")
		echo "VERDICT svm $mode ABI test: FAIL, ${reasons%; } (boot ${boot_time}s; $log)"
		return 1
	fi
	echo "VERDICT svm $mode ABI test: PASS, $ran/$planned cases ok${stop:+, and the expected stop} (boot ${boot_time}s; $log)"
}

bad=0
run_abi sev "$obj/abi-test.bin" "$BUILD/results/svm-abi.log" || bad=1
run_abi tdx "$obj/abi-tdx.bin" "$BUILD/results/svm-abi-tdx.log" \
	"nested page fault: read of GPA 0x1000000, the private view of a page that is shared" || bad=1
exit "$bad"

#!/bin/bash
# Boot our SVM hypervisor (svm/) under QEMU TCG with a guest as L2, AMD
# SVM with nested paging, one vCPU.  The hypervisor is a multiboot image
# (-kernel), the guest a multiboot module (-initrd); the hypervisor
# copies it into the guest's RAM and runs it, emulating what a SEV guest
# asks (CPUID 0x8000001f, SEV_STATUS, the C-bit's private view) and
# catching TDCALL.  See svm/README.md.
#
# Usage: scripts/svm.sh --abi-test
#   boots svm/test/abi.c as the guest: the hypervisor's answers checked
#   from L2, as KTAP, then one verdict line.
# Environment: SVM_TIMEOUT (seconds, default 30), QEMU (binary, default
#   qemu-system-x86_64).
# Leaves build/results/svm-abi.log (the console: the hypervisor's "hv: "
# lines and the guest's).  Exits non-zero when the guest printed no KTAP,
# a case was not ok or missing, the hypervisor met an unexpected exit or
# a fatal error, or QEMU did not power off in time.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage="usage: svm.sh --abi-test   (the only mode of this step: the ABI test guest)"
[[ $# -eq 1 && $1 = --abi-test ]] || die "$usage"
QEMU=${QEMU:-qemu-system-x86_64}
need "$QEMU" gcc objcopy make timeout
timeout=${SVM_TIMEOUT:-30}
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "SVM_TIMEOUT must be a positive number of seconds"
obj=$BUILD/obj/svm-hv
log=$BUILD/results/svm-abi.log
mkdir -p "$obj" "$BUILD/results"
rm -f "$log"
make -s -C "$TOP/svm" O="$obj" >/dev/null || die "the SVM hypervisor did not build"
make -s -C "$TOP/svm" O="$obj" abi-test >/dev/null || die "the ABI test did not build"
hv=$obj/svm-hv.elf
guest=$obj/abi-test.bin
# QEMU splits -initrd at commas (one module each).
[[ $guest != *,* ]] || die "the build folder's path has a comma, which QEMU's -initrd cannot take: $guest"

# --- boot --------------------------------------------------------------
# phys-bits=48: the guest's C-bit (GPA bit 47) must be a valid address
# bit (with QEMU's default of 40 it is reserved).  1 GiB: the guest's
# RAM, the hypervisor and the private RAM (svm/hv/hv.h).  isa-debug-exit
# is the hypervisor's power-off: QEMU exits with 33 when the guest
# finished, 35 after a fatal error.
# shellcheck disable=SC2054 # QEMU's options are comma lists
qemu=("$QEMU" -M pc -accel tcg -cpu max,+svm,+npt,phys-bits=48 -m 1G -smp 1
      -nodefaults -display none -monitor none -serial stdio -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=4
      -kernel "$hv" -initrd "$guest")
echo "svm: booting the ABI test under the SVM hypervisor (TCG, timeout ${timeout}s)"
status=0
start=$(date +%s%N)
timeout "$timeout" "${qemu[@]}" </dev/null >"$log" 2>&1 || status=$?
ms=$((($(date +%s%N) - start) / 1000000))
boot_time=$((ms / 1000)).$((ms % 1000 / 100))
step_time "guest boot: ${log##*/}" $(((ms + 500) / 1000))
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

# --- verdict -------------------------------------------------------------
problems=()
case $status in
33)	;;
35)	problems+=("the hypervisor stopped the run: $(grep -m1 '^hv: FATAL' "$log" || echo 'no FATAL line')") ;;
124)	problems+=("QEMU did not power off within ${timeout}s and was killed (SVM_TIMEOUT)") ;;
0)	problems+=("QEMU stopped without the hypervisor's power-off (a triple fault in the hypervisor? -no-reboot)") ;;
*)	problems+=("QEMU exited with status $status: $(grep -m1 -v '^hv: ' "$log" || true)") ;;
esac
grep -q '^hv: entering the guest' "$log" ||
	problems+=("the hypervisor never entered the guest: $(grep -m1 '^hv: ' "$log" || echo 'no hypervisor output')")
while read -r line; do
	problems+=("$line")
done < <(grep -E '^hv: (unexpected exit|host exception)' "$log" || true)
grep -q '^hv: guest finished' "$log" || [ "$status" = 35 ] ||
	problems+=("the hypervisor never saw the guest finish (HLT)")
planned='' ran=0
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
	echo "VERDICT svm ABI test: FAIL, ${reasons%; } (boot ${boot_time}s; $log)"
	exit 1
fi
echo "VERDICT svm ABI test: PASS, $ran/$planned cases ok (boot ${boot_time}s; $log)"

#!/bin/bash
# The x86_64 guest (guest/x86_64-swiotlb.config, guest/workload.c) as L2
# of our SVM hypervisor (svm/) under QEMU TCG: as a plain SEV guest
# ("sev": CPUID and SEV_STATUS say SEV, the kernel is launched into the
# private view, the shared view of its RAM is poisoned), as a TDX guest
# ("tdx": CPUID 0x21 says IntelTDX, TDCALL reaches the hypervisor's
# emulated TDX module, and the nested tables enforce MapGPA and ACCEPT:
# a page's shared view is mapped only while the guest made it shared),
# or as the same guest without either ("plain", the control).  An
# emulated platform: the guest's code runs for real, but nothing is
# encrypted, there is no SEV firmware or TDX module and nothing isolates
# the guest; see svm/README.md.
#
# Usage: scripts/svm-linux.sh <kernel-tree> <name> <sev|tdx|plain> [git-ref]
#   builds (or reuses) the kernel in build/obj/guest-x86_64-<name>, the
#   initramfs and the hypervisor, boots, and prints one verdict.
#        scripts/svm-linux.sh --judge <sev|tdx|plain> <log> <run-dir>
#   the verdict of a run's log again (below).
# Environment: GUEST_TIMEOUT (seconds, default 900), GUEST_REUSE_KERNEL,
#   QEMU, as for scripts/guest-x86_64.sh; SVM_CHURN, the workload's
#   unbind/bind cycles of the disk (default 10: coherent memory freed and
#   allocated again); SVM_LABEL, the run's name in build/results and
#   build/run (default <name>-svm-<mode>, or <name>-vendor-svm-<mode>);
#   SVM_VENDOR=1, the vendor variant (below).
# Leaves build/results/<label>-x86_64.log (the console: the hypervisor's
# "hv: " lines, then the kernel's) and its .ktap.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/guest-lib.sh"

# svm_problems <mode> <log>: what the hypervisor and the kernel must say
# on top of the workload's verdict (guest-lib.sh), added to problems:
# QEMU's status 35 is the hypervisor's fatal stop; "hv: power-off:" its
# last report, when the guest powers off through ACPI (how many pages the
# guest's CPU wrote through each view).
svm_problems() {
	local mode=$1 log=$2 stop cc_line again before after
	[ "$status" != 35 ] ||
		problems+=("the hypervisor stopped the run: $(grep -m1 -e '^hv: unexpected exit' -e '^hv: FATAL' "$log" || true)")
	grep -q '^hv: entering the guest' "$log" ||
		problems+=("the hypervisor never entered the guest: $(grep -m1 '^hv: FATAL' "$log" || echo 'no hypervisor output')")
	grep -q '^hv: power-off: ' "$log" || [ "$status" = 35 ] ||
		problems+=("the hypervisor never saw the guest's ACPI power-off")
	stop=$(grep -m1 '^hv: STOP: ' "$log" || true)
	[ -z "$stop" ] || problems+=("${stop#hv: }")
	cc_line=$(grep -m1 'Memory Encryption Features active:' "$log" || true)
	# TDX: no MapGPA of a page to where it already is (the kernel lost track
	# of it: decrypted it twice, or freed it while still shared and shared it
	# again when it came back), and as many pages shared after the devices'
	# unbind/bind cycles as before (hv: mark 1 and 2, svm/hv/hv.h's
	# HV_MARK_PORT): more is memory freed while still shared.
	if [ "$mode" = tdx ]; then
		again=$(sed -nE 's/^hv: tdx: MapGPA of pages already there: ([0-9]+) to shared, ([0-9]+) to private$/\1 \2/p' "$log")
		if [ -z "$again" ]; then
			problems+=("the hypervisor reported no MapGPA counts")
		elif [ "$again" != "0 0" ]; then
			problems+=("MapGPA of pages already there: ${again% *} to shared, ${again#* } to private (decrypted twice, or freed while still shared)")
		fi
	fi
	if [ "$mode" = tdx ] && [ "${SVM_CHURN:-10}" != 0 ]; then
		before=$(sed -nE 's/^hv: mark 1: ([0-9]+) pages shared.*/\1/p' "$log")
		after=$(sed -nE 's/^hv: mark 2: ([0-9]+) pages shared.*/\1/p' "$log")
		if [ -z "$before" ] || [ -z "$after" ]; then
			problems+=("the hypervisor reported no shared page count around the unbind/bind cycles")
		elif [ "$after" != "$before" ]; then
			problems+=("$((after - before)) pages more shared after the unbind/bind cycles than before ($before, then $after): memory freed while still shared")
		fi
	fi
	case $mode in
	sev)	[[ $cc_line = *'AMD SEV'* ]] ||
			problems+=("the kernel did not say it runs with AMD SEV active (a kernel without CONFIG_AMD_MEM_ENCRYPT?)") ;;
	tdx)	[[ $cc_line = *'Intel TDX'* ]] && grep -q 'tdx: Guest detected' "$log" ||
			problems+=("the kernel did not say it detected a TDX guest (a kernel without CONFIG_INTEL_TDX_GUEST?)") ;;
	plain)	[ -z "$cc_line" ] || problems+=("a plain guest says: ${cc_line#*] }") ;;
	esac
}

# svm-linux.sh --judge <sev|tdx|plain> <log> <run-dir>: a run's verdict
# again, from its console log and the stream's result in <run-dir>, for
# the seeded copies of scripts/selftest.sh and selftest-full.sh; QEMU's
# status is taken as 0 (the log's own STOP and FATAL lines still count).
if [ "${1:-}" = --judge ]; then
	[ $# -eq 4 ] && [[ $2 = sev || $2 = tdx || $2 = plain ]] ||
		die "usage: svm-linux.sh --judge <sev|tdx|plain> <log> <run-dir>"
	mode=$2 log=$3 run=$4 status=0 timeout=0 build_time=0 boot_time=0
	[ -f "$log" ] || die "no console log $log"
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	ktap=$scratch/judged.ktap
	problems=()
	svm_problems "$mode" "$log"
	guest_verdict "x86_64 svm-$mode (judged again)" "$BUILD/tree" "${problems[@]}"
	exit
fi

usage="usage: svm-linux.sh <kernel-tree> <name> <sev|tdx|plain> [git-ref]"
guest_qemu qemu-system-x86_64 qemu-system-x86
need make flock gcc objcopy python3 timeout

ksrc=$(realpath "${1:?$usage}")
name=${2:?$usage}
mode=${3:?$usage}
ref=${4:-}
[[ $mode = sev || $mode = tdx || $mode = plain ]] || die "$usage"

# The vendor variant: a TDX guest OS vendor builds its 6.18.y and 7.x
# kernels with INTEL_TDX_GUEST selecting DMA_DIRECT_REMAP, which makes
# pool.c vmap the atomic pools, as on arm64.  Its kernel is built from a
# commit of our own on <git-ref> with that one Kconfig line, plus modules
# and the page allocator's checks, and the workload loads the atomic pool
# module (guest/dma_atomic_pages.c): GFP_ATOMIC dma_alloc_pages() and
# dma_free_pages(), the path of the series' first patch.  Our kernel has
# the SEV and TDX guest code in one, so both modes get the remap.
fragments=("$TOP/guest/x86_64-swiotlb.config")
wl_extra=
if [ "${SVM_VENDOR:-}" = 1 ]; then
	select_remap='/^config INTEL_TDX_GUEST$/,/^$/s/^\tselect X86_MEM_ENCRYPT$/&\n\tselect DMA_DIRECT_REMAP/'
	ref=$(commit_with_edit "$ksrc" "${ref:-HEAD}" arch/x86/Kconfig "$select_remap" \
		"x86/tdx: the vendor variant, INTEL_TDX_GUEST selects DMA_DIRECT_REMAP") ||
		die "the vendor variant's Kconfig line does not apply to ${4:-HEAD} of $ksrc"
	name=$name-vendor
	fragments+=("$TOP/guest/modules.config" "$TOP/guest/debug-vm.config")
	wl_extra=" wl_atomic=/dma_atomic_pages.ko page_poison=1"
elif [ -n "${SVM_VENDOR:-}" ]; then
	die "SVM_VENDOR is 1 (the vendor variant) or unset"
fi
GUEST_LABEL=${SVM_LABEL:-$name-svm-$mode} GUEST_TIMEOUT=${GUEST_TIMEOUT:-900} \
	guest_setup x86_64 "$name" "$ksrc"
# QEMU splits -initrd at commas and a module's arguments at its first
# space: refuse such a run folder before the build, not after it.
[[ $run != *[,\ ]* ]] || die "QEMU's -initrd cannot take a path with a comma or a space: $run"

export ARCH=x86_64 CROSS_COMPILE=
guest_kernel "$ksrc" "$ref" "$obj" bzImage "${fragments[@]}"
files=()
[ -z "$wl_extra" ] || guest_module "$obj" "$TOP/guest/dma_atomic_pages.c"
guest_initramfs "$run" gcc "$obj" "${files[@]}"
# The hypervisor loads vmlinux's segments itself; symbols only cost copies.
objcopy --strip-all "$obj/vmlinux" "$run/vmlinux"
hv_obj=$BUILD/obj/svm-hv
make -s -C "$TOP/svm" O="$hv_obj" >/dev/null || die "the SVM hypervisor did not build"

# phys-bits=48: GPA bit 47 (SEV's C-bit, TDX's shared bit) must be an
# address bit.  1 GiB: the guest's 256 MiB, the hypervisor and its
# modules, the private RAM (svm/hv/hv.h).  One vCPU: the hypervisor runs
# one.  virtio-blk and virtio-console, as for the arm64 guests: swiotlb
# then serves only the two devices whose unbind/bind cycles the workload
# counts its slots around (a network device would keep buffers in
# flight).
# shellcheck disable=SC2054 # QEMU's options are comma lists
qemu=("$QEMU" -M pc -accel tcg -cpu max,+svm,+npt,phys-bits=48 -m 1G -smp 1
      -nodefaults -display none -monitor none -serial stdio -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=4
      -drive "file=$run/disk.img,if=none,format=raw,id=d0"
      -device virtio-blk-pci,drive=d0,disable-legacy=on,iommu_platform=on
      -device virtio-serial-pci,disable-legacy=on,iommu_platform=on,max_ports=2
      -chardev "socket,id=c0,path=$run/stream.sock,server=on,wait=off"
      -device virtserialport,chardev=c0,name=stream
      -kernel "$hv_obj/svm-hv.elf" -append "mode=$mode"
      -initrd "$run/vmlinux console=ttyS0 panic=-1 swiotlb=force wl_pool=/sys/kernel/debug/swiotlb wl_stream=port:stream wl_churn=${SVM_CHURN:-10} wl_hv_mark=0xac0$wl_extra,$run/initramfs.cpio")
guest_boot "unix:$run/stream.sock" "${qemu[@]}"
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

problems=()
svm_problems "$mode" "$log"
guest_verdict "x86_64 svm-$mode $name" "$ksrc" "${problems[@]}"

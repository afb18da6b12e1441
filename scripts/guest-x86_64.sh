#!/bin/bash
# Boot an x86_64 QEMU pc guest (KVM, TCG when /dev/kvm is not usable)
# whose virtio-pci devices (blk, net) bounce every mapping through swiotlb
# (swiotlb=force), with a kernel that has the SEV and TDX guest code built
# in.  Runs guest/workload.c as init, the kernel's DMA map benchmark on a
# spare PCI device included, and judges its KTAP (shared steps in
# guest-lib.sh).
#
# Usage: scripts/guest-x86_64.sh <kernel-tree> <name> [git-ref]
#   git-ref: build that commit of <kernel-tree> (checked out, then restored).
# Leaves build/results/<name>-x86_64.{log,ktap}.  Exits non-zero on any
# "not ok", a missing case, a timeout (GUEST_TIMEOUT, default 180 s), a
# kernel warning or oops in the console log, or a failed host-side check.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/guest-lib.sh"

usage="usage: guest-x86_64.sh <kernel-tree> <name> [git-ref]"
guest_qemu qemu-system-x86_64 qemu-system-x86
need make flock gcc python3 timeout

ksrc=$(realpath "${1:?$usage}")
name=${2:?$usage}
ref=${3:-}
guest_setup x86_64 "$name" "$ksrc"

# KVM when we may open it ("-cpu host" can trip over an MSR that the host
# does not let the guest read, hence -arch-capabilities), TCG otherwise,
# or when KVM fails to run the guest (see watch_kvm in guest-lib.sh).
tcg=(-accel tcg -cpu max)
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "${GUEST_ACCEL:-kvm}" = kvm ]; then
	accel=(-accel kvm -cpu host,-arch-capabilities)
	kvm_watch=1
else
	echo "guest: /dev/kvm is not usable (or GUEST_ACCEL=${GUEST_ACCEL:-}), using TCG"
	accel=("${tcg[@]}")
fi

# The benchmark's device has a fixed slot so that the guest can be told
# its address; pci-testdev has no driver in the guest to compete with.
bench_slot=0x10
bench_dev=0000:00:10.0
machine=(-M pc -smp 2 -m 512)
devices=(-drive "file=$run/disk.img,if=none,format=raw,id=d0"
	 -device virtio-blk-pci,drive=d0,disable-legacy=on,iommu_platform=on
	 -netdev user,id=n0
	 -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,romfile=
	 -device "pci-testdev,addr=$bench_slot")

# --- kernel, benchmark program, initramfs and disk ----------------------
export ARCH=x86_64 CROSS_COMPILE=
guest_kernel "$ksrc" "$ref" "$obj" bzImage "$TOP/guest/x86_64-swiotlb.config"
# tools/dma's program, against the uapi header of the same tree.
mkdir -p "$run/include/linux"
cp "$ksrc/include/uapi/linux/map_benchmark.h" "$run/include/linux/"
gcc -static -O2 -Wall -I"$run/include" -o "$run/dma_map_benchmark" \
	"$ksrc/tools/dma/dma_map_benchmark.c"
guest_initramfs "$run" gcc "$obj" /bin/dma_map_benchmark "$run/dma_map_benchmark"

# --- boot and verdict ------------------------------------------------------
# QEMU's user networking forwards the guest's connections to 10.0.2.2 to
# the host's loopback, where stream.py listens.
boot() {
	guest_boot "tcp:$run/stream.port" "$QEMU" "${accel[@]}" "${machine[@]}" \
		"${devices[@]}" -nographic -no-reboot \
		-kernel "$obj/arch/x86/boot/bzImage" -initrd "$run/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 swiotlb=force ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off wl_pool=/sys/kernel/debug/swiotlb wl_stream=tcp:10.0.2.2:@PORT@ wl_bench=$bench_dev"
}
boot
if [ "$status" -eq 125 ]; then
	note="KVM could not run the guest ($kvm_failed); ran it under TCG"
	echo "guest: $note"
	mv "$log" "$run/kvm-attempt.log"
	accel=("${tcg[@]}") kvm_watch= kvm_failed=
	guest_fresh_disk
	boot
	echo "guest: $note (first attempt: $run/kvm-attempt.log)" >>"$log"
fi
echo "guest: accelerator ${accel[1]}" | tee -a "$log"

# The workload's swiotlb_pool_in_use case shows that the I/O bounced.
guest_verdict "x86_64 $name" "$ksrc"

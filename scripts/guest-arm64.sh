#!/bin/bash
# Boot an arm64 QEMU virt guest (TCG) whose virtio devices (blk, console)
# use a restricted DMA pool, run guest/workload.c as init and judge its KTAP
# (the shared steps are in guest-lib.sh).
#
# Usage: scripts/guest-arm64.sh <kernel-tree> <name> [git-ref [fragment...]]
#   git-ref: build that commit of <kernel-tree> (checked out, then restored).
#   fragment: more config fragments on top of guest/arm64-rpool.config
#   (guest/kasan.config for KASAN).
# GUEST_APPEND adds kernel parameters (the workload's wl_* settings).
# GUEST_POOL_DTS names dts source to append in place of the pool below;
# a line with @SLOT@ is repeated for each virtio-mmio transport in use
# (scripts/bad-pools.sh), and the pool's checks are left to the caller.
# GUEST_MODULE names the C source of a module to build against the guest
# kernel (which needs guest/modules.config) and put in the initramfs as
# /<name>.ko (guest/dma_coherent_bench.c for wl_coherent=).
# GUEST_LABEL: see guest-lib.sh.
# Leaves build/results/<name>-arm64.{log,ktap}.  Exits non-zero on any
# "not ok", a missing case, a timeout (GUEST_TIMEOUT, default 180 s), a
# kernel warning or oops in the console log, or a failed host-side check.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/guest-lib.sh"

usage="usage: guest-arm64.sh <kernel-tree> <name> [git-ref [fragment...]]"
guest_qemu qemu-system-aarch64 qemu-system-arm
need make flock aarch64-linux-gnu-gcc dtc fdtget python3 timeout

ksrc=$(realpath "${1:?$usage}")
name=${2:?$usage}
ref=${3:-}
extra=("${@:4}")
for f in "${extra[@]}"; do
	[ -f "$f" ] || die "no config fragment $f"
done
guest_setup arm64 "$name" "$ksrc"
guest=$TOP/guest

# The machine.  QEMU's device tree is dumped with exactly these options,
# since -smp, -m and the devices all shape it.
#
# Pool size: virtio-console keeps every receive buffer mapped, about 8 MiB
# of the pool at rest (fewer ports, max_ports=2, means fewer rings), and
# buffered writeback can put the whole 32 MiB disk in flight.  A pool that
# runs full only makes requests wait, but its "swiotlb buffer is full"
# messages share the console with the KTAP lines and could split them.
machine=(-M virt -cpu max -smp 2 -m 512)
guest_arm64_devices
pool_size=0x4000000	# 64 MiB: see above
pool_align=0x200000

# --- kernel, initramfs and disk ----------------------------------------
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
guest_kernel "$ksrc" "$ref" "$obj" Image "$guest/arm64-rpool.config" "${extra[@]}"
files=()
[ -z "${GUEST_MODULE:-}" ] || guest_module "$obj" "$GUEST_MODULE"
guest_initramfs "$run" aarch64-linux-gnu-gcc "$obj" "${files[@]}"

# --- device tree --------------------------------------------------------
rm -f "$run"/*.dtb "$run"/*.dts
guest_dump_dtb

# Which virtio-mmio transports hold our devices?
guest_mmio_slots "$run"
[ "${#slots[@]}" -eq "$nr_devices" ] ||
	die "found ${#slots[@]} virtio-mmio transports in use (${slots[*]:-none}), expected $nr_devices: QEMU's 'info qtree' layout changed? (see $run/qtree.txt)"

# The edit assumes 64-bit cells at the root and no reserved-memory yet.
dtb=$run/virt.dtb
cells="$(fdtget "$dtb" / '#address-cells') $(fdtget "$dtb" / '#size-cells')"
[ "$cells" = "2 2" ] || die "DTB edit does not apply: root has #address-cells/#size-cells $cells, expected 2 2"
! fdtget -l "$dtb" /reserved-memory >/dev/null 2>&1 ||
	die "DTB edit does not apply: QEMU's device tree already has /reserved-memory"
for a in "${slots[@]}"; do
	[ "$(fdtget "$dtb" "/virtio_mmio@$a" compatible 2>/dev/null)" = virtio,mmio ] ||
		die "DTB edit does not apply: no virtio,mmio node /virtio_mmio@$a for a transport in use"
done

# dtc merges a second definition of a node into the first, so the edit is
# appended source: the pool (size + alignment, dynamically placed; no
# no-map, swiotlb needs it mapped) and a memory-region link per device,
# or GUEST_POOL_DTS.  A line with @SLOT@ is repeated for each transport.
pool_dts=${GUEST_POOL_DTS:-$run/pool.dtsi}
[ -f "$pool_dts" ] || [ -z "${GUEST_POOL_DTS:-}" ] || die "no GUEST_POOL_DTS file $pool_dts"
[ -n "${GUEST_POOL_DTS:-}" ] || cat > "$pool_dts" <<EOF

/ {
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		rdp: restricted-dma-pool {
			compatible = "restricted-dma-pool";
			size = <0 $pool_size>;
			alignment = <0 $pool_align>;
		};
	};
};
&{/virtio_mmio@@SLOT@} { memory-region = <&rdp>; };
EOF
dtc -q -I dtb -O dts -o "$run/virt.dts" "$dtb"
{
	cat "$run/virt.dts"
	awk -v slots="${slots[*]}" '
		!/@SLOT@/ { print; next }
		{ n = split(slots, s, " "); for (i = 1; i <= n; i++) {
			line = $0; gsub(/@SLOT@/, s[i], line); print line } }
		' "$pool_dts"
} > "$run/virt-rdp.dts"
dtc -q -I dts -O dtb -o "$run/virt-rdp.dtb" "$run/virt-rdp.dts" ||
	die "DTB edit does not apply: dtc rejected $run/virt-rdp.dts"
if [ -z "${GUEST_POOL_DTS:-}" ]; then
	phandle=$(fdtget "$run/virt-rdp.dtb" /reserved-memory/restricted-dma-pool phandle)
	for a in "${slots[@]}"; do
		[ "$(fdtget "$run/virt-rdp.dtb" "/virtio_mmio@$a" memory-region)" = "$phandle" ] ||
			die "DTB edit did not take: /virtio_mmio@$a has no memory-region for the pool"
	done
	echo "guest: restricted-dma-pool ($pool_size bytes) attached to virtio_mmio@${slots[*]}"
else
	echo "guest: device tree edited with $pool_dts"
fi

# --- boot and verdict ------------------------------------------------------
guest_boot "unix:$run/stream.sock" "$QEMU" "${machine[@]}" "${devices[@]}" \
	-nographic -no-reboot -kernel "$obj/arch/arm64/boot/Image" \
	-initrd "$run/initramfs.cpio" -dtb "$run/virt-rdp.dtb" \
	-append "console=ttyAMA0 panic=-1 wl_stream=port:stream${GUEST_APPEND:+ $GUEST_APPEND}"

# No -accel: QEMU's default, TCG (KVM does not run this guest here).
echo "guest: accelerator tcg" >> "$log"
problems=()
assigned=$(grep -c 'assigned reserved memory node restricted-dma-pool' "$log" || true)
[ -n "${GUEST_POOL_DTS:-}" ] || [ "$assigned" -eq "$nr_devices" ] ||
	problems+=("$assigned of $nr_devices virtio-mmio devices were assigned the restricted DMA pool")
guest_verdict "arm64 $name" "$ksrc" "${problems[@]}"

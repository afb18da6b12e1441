#!/bin/bash
# Turn the device tree QEMU's virt board generates into a realm guest's:
#   realm-dtb.sh [--non-coherent <virtio-mmio address>]... \
#                <virt.dtb> <out.dtb> <mem-base> <mem-size> \
#                <initrd-start> <initrd-end> <bootargs> \
#                [<pool-base> <pool-size> <virtio-mmio address>...]
# - memory: only the private range; the rest of QEMU's RAM is the shared
#   alias (top IPA bit set) and the firmware's window, never the kernel's;
# - psci: method "smc", the conduit arm64_rsi_init() requires (QEMU 7.2
#   already says "smc" with virtualization=on; asserted, not assumed);
# - chosen: bootargs and the initrd, since QEMU does not load the kernel;
# - optionally a static restricted-dma-pool (a fixed range, so that the
#   firmware can count its RIPAS changes apart) for the given devices;
# - optionally devices that are not DMA-coherent: QEMU marks every
#   virtio-mmio node dma-coherent, and without it dma-direct remaps the
#   device's coherent allocations (CONFIG_DMA_DIRECT_REMAP on arm64).
# dtc merges a second definition of a node into the first, so the edit is
# appended source.  Called by scripts/realm.sh.
set -euo pipefail

usage="usage: realm-dtb.sh [--non-coherent <virtio-mmio addr>]... <virt.dtb> <out.dtb> <mem-base> <mem-size> <initrd-start> <initrd-end> <bootargs> [<pool-base> <pool-size> <virtio-mmio addr>...]"
noncoherent=()
while [ "${1:-}" = --non-coherent ] && [ $# -ge 2 ]; do
	noncoherent+=("$2")
	shift 2
done
if [ $# -lt 7 ] || [ $# -eq 8 ]; then
	echo "$usage" >&2
	exit 2
fi
in=$1 out=$2 mem_base=$3 mem_size=$4 initrd_start=$5 initrd_end=$6 bootargs=$7
shift 7

die() { echo "realm-dtb: $*" >&2; exit 1; }
# A 64-bit value as two device-tree cells.
cells() { printf '0x%x 0x%x' $(($1 >> 32)) $(($1 & 0xffffffff)); }

[ "$(fdtget "$in" / '#address-cells') $(fdtget "$in" / '#size-cells')" = "2 2" ] ||
	die "$in: root #address-cells/#size-cells are not 2 2"
mem_node=$(fdtget -l "$in" / | grep -m1 '^memory@') ||
	die "$in: no memory node"
[ "$(fdtget "$in" /psci method)" = smc ] ||
	echo "realm-dtb: note: QEMU's PSCI method is '$(fdtget "$in" /psci method)', setting smc" >&2
! fdtget -l "$in" /reserved-memory >/dev/null 2>&1 ||
	die "$in: already has /reserved-memory"

dts=${out%.dtb}.dts
{
	dtc -q -I dtb -O dts "$in"
	cat <<EOF

/ {
	$mem_node {
		reg = <$(cells "$mem_base") $(cells "$mem_size")>;
	};
	psci {
		method = "smc";
	};
	chosen {
		bootargs = "$bootargs";
		linux,initrd-start = <$(cells "$initrd_start")>;
		linux,initrd-end = <$(cells "$initrd_end")>;
	};
};
EOF
	for a in "${noncoherent[@]}"; do
		fdtget "$in" "/virtio_mmio@$a" dma-coherent >/dev/null 2>&1 ||
			die "$in: /virtio_mmio@$a is not a dma-coherent node"
		printf '\n&{/virtio_mmio@%s} {\n\t/delete-property/ dma-coherent;\n};\n' "$a"
	done
	if [ $# -ge 2 ]; then
		pool_base=$1 pool_size=$2
		shift 2
		cat <<EOF

/ {
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;

		rdp: restricted-dma-pool@$(printf %x "$pool_base") {
			compatible = "restricted-dma-pool";
			reg = <$(cells "$pool_base") $(cells "$pool_size")>;
		};
	};
};
EOF
		for a; do
			[ "$(fdtget "$in" "/virtio_mmio@$a" compatible 2>/dev/null)" = virtio,mmio ] ||
				die "$in: no virtio,mmio node /virtio_mmio@$a"
			printf '\n&{/virtio_mmio@%s} {\n\tmemory-region = <&rdp>;\n};\n' "$a"
		done
	fi
} >"$dts"
dtc -q -I dts -O dtb -o "$out" "$dts" || die "dtc rejected $dts"
[ "$(fdtget "$out" /psci method)" = smc ] || die "$out: PSCI method is not smc"
for a in "${noncoherent[@]}"; do
	! fdtget "$out" "/virtio_mmio@$a" dma-coherent >/dev/null 2>&1 ||
		die "$out: /virtio_mmio@$a is still dma-coherent"
done

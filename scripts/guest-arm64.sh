#!/bin/bash
# Boot an arm64 QEMU virt guest whose virtio devices (blk, console) use a
# restricted DMA pool, run guest/workload.c as init and judge its KTAP.
#
# Usage: scripts/guest-arm64.sh <kernel-tree> <name> [git-ref]
# Leaves build/results/<name>-arm64.{log,ktap}; exits non-zero on any
# "not ok", a missing case, a timeout or a kernel warning in the log.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need qemu-system-aarch64 aarch64-linux-gnu-gcc dtc cpio gzip python3 timeout

ksrc=$(realpath "${1:?usage: guest-arm64.sh <kernel-tree> <name> [git-ref]}")
name=${2:?usage: guest-arm64.sh <kernel-tree> <name> [git-ref]}
ref=${3:-}
[ -f "$ksrc/kernel/dma/direct.c" ] || die "$ksrc is not a kernel tree"

guest=$TOP/guest
obj=$BUILD/obj/guest-arm64-$name
run=$BUILD/run/guest-arm64-$name
results=$BUILD/results
log=$results/$name-arm64.log
ktap=$results/$name-arm64.ktap
timeout=${GUEST_TIMEOUT:-180}
mkdir -p "$obj" "$run" "$results"

# QEMU machine; the DTB must be dumped with exactly these options.
machine=(-M virt -cpu max -smp 2 -m 512)
devices=(-global virtio-mmio.force-legacy=false
	 -drive "file=$run/disk.img,if=none,format=raw,id=d0"
	 -device virtio-blk-device,drive=d0,iommu_platform=on
	 -device virtio-serial-device,iommu_platform=on
	 -chardev "socket,id=c0,path=$run/stream.sock,server=on,wait=off"
	 -device virtserialport,chardev=c0,name=stream)
nr_devices=2	# virtio-mmio transports the devices above occupy

echo "guest: building the $name kernel${ref:+ ($ref)}"
if [ -n "$ref" ]; then
	git -C "$ksrc" checkout -q "$ref"
	trap 'git -C "$ksrc" checkout -q -' EXIT
fi
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
KCONFIG_ALLCONFIG=$guest/arm64-rpool.config kmake -C "$ksrc" O="$obj" allnoconfig >/dev/null
while read -r opt; do
	grep -qx "$opt" "$obj/.config" || die "kernel config lacks $opt (dependencies changed?)"
done < <(grep '^CONFIG_' "$guest/arm64-rpool.config")
kmake -C "$ksrc" O="$obj" -j"$(nproc)" Image
[ -n "$ref" ] && { git -C "$ksrc" checkout -q -; trap - EXIT; }

aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$run/init" "$guest/workload.c"
(cd "$run" && mkdir -p root/{dev,proc,sys} && cp init root/init &&
 cd root && find . | cpio -o -H newc --quiet | gzip > ../initramfs.cpio.gz)
truncate -s 32M "$run/disk.img"

# Add the pool to QEMU's own device tree and hand it to the devices.
qemu-system-aarch64 "${machine[@]}" -machine dumpdtb="$run/virt.dtb" \
	"${devices[@]}" -nographic >/dev/null 2>&1 ||
	die "qemu could not dump the virt machine's device tree"
dtc -q -I dtb -O dts -o "$run/virt.dts" "$run/virt.dtb"
python3 - "$run/virt.dts" "$nr_devices" <<'EOF'
import re, sys
path, count = sys.argv[1], int(sys.argv[2])
dts = open(path).read()
# QEMU plugs virtio-mmio devices into the highest transports first.
nodes = sorted(re.findall(r"\bvirtio_mmio@([0-9a-f]+) \{", dts),
               key=lambda a: int(a, 16), reverse=True)[:count]
if len(nodes) < count or "reserved-memory" in dts:
    sys.exit("guest: unexpected QEMU device tree layout, cannot add the pool")
pool = """
\treserved-memory {
\t\t#address-cells = <0x02>;
\t\t#size-cells = <0x02>;
\t\tranges;

\t\trdp: restricted-dma-pool {
\t\t\tcompatible = "restricted-dma-pool";
\t\t\tsize = <0x00 0x1000000>;
\t\t\talignment = <0x00 0x200000>;
\t\t};
\t};
"""
# Nodes must follow the root's properties: add the pool at its end.
end = dts.rstrip().rfind("};")
dts, n = dts[:end] + pool.lstrip("\n") + dts[end:], 1
for addr in nodes:
    dts, m = re.subn(r"(virtio_mmio@%s \{\n)" % addr,
                     lambda mm: mm.group(1) + "\t\tmemory-region = <&rdp>;\n", dts)
    n += m
if n != 1 + count:
    sys.exit("guest: unexpected QEMU device tree layout, cannot add the pool")
open(path, "w").write(dts)
EOF
dtc -q -I dts -O dtb -o "$run/virt-rdp.dtb" "$run/virt.dts"

echo "guest: booting (timeout ${timeout}s)"
rm -f "$run/stream.sock"
start=$SECONDS
status=0
timeout "$timeout" qemu-system-aarch64 "${machine[@]}" -nographic -no-reboot \
	-kernel "$obj/arch/arm64/boot/Image" -initrd "$run/initramfs.cpio.gz" \
	-dtb "$run/virt-rdp.dtb" -append "console=ttyAMA0 panic=-1" \
	"${devices[@]}" > "$log" 2>&1 &
qemu=$!
python3 "$guest/stream.py" "$run/stream.sock" "$timeout" > "$run/stream.txt" 2>&1 || true
wait "$qemu" || status=$?
elapsed=$((SECONDS - start))

tr -d '\r' < "$log" | sed -n '/^KTAP version/,$p' | grep -E '^(KTAP|[0-9]+\.\.|ok |not ok |# )' > "$ktap" || true
problems=()
[ "$status" -eq 124 ] && problems+=("guest timed out after ${timeout}s")
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] && problems+=("qemu exited with $status")
grep -q 'assigned reserved memory node restricted-dma-pool' "$log" ||
	problems+=("no device was assigned the restricted DMA pool")
grep -qE 'WARNING:|BUG:|Oops|Kernel panic|Call trace:' "$log" &&
	problems+=("kernel warning or oops in the console log")
grep -q 'host ok' "$run/stream.txt" || problems+=("$(cat "$run/stream.txt")")
cat "$run/stream.txt" >> "$log"
planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$ktap")
ran=$(grep -cE '^(ok|not ok) ' "$ktap" || true)
failed=$(grep -cE '^not ok ' "$ktap" || true)
[ -n "$planned" ] && [ "$ran" -eq "$planned" ] || problems+=("ran $ran of ${planned:-?} cases")
[ "$failed" -eq 0 ] || problems+=("$failed cases failed")
# The kernel's KTAP parser must agree.
python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$ktap" > "$results/$name-arm64.parsed" 2>&1 ||
	problems+=("kunit.py parse reports failures")

grep '^# ' "$ktap" | sed 's/^# /  /'
if [ ${#problems[@]} -gt 0 ]; then
	printf 'guest: %s\n' "${problems[@]}" >&2
	echo "VERDICT arm64 $name: FAIL (${elapsed}s, see $log)"
	exit 1
fi
echo "VERDICT arm64 $name: PASS, $ran/$planned cases ok in ${elapsed}s (console log $log)"

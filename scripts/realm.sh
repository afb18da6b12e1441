#!/bin/bash
# Boot an unmodified arm64 kernel as a realm guest on an emulated RSI:
# our firmware (realm/) runs at EL2 under QEMU virt (TCG) and answers the
# kernel's SMCs, the kernel's private RAM is 0x40000000 + 512 MiB and its
# shared alias (IPA bit 33) is other RAM.  The workload initramfs
# (guest/workload.c) checks virtio-blk and virtio-console I/O through a
# restricted DMA pool (guest/stream.py is the host end of the console).
#
# Usage: scripts/realm.sh [<Image> [<initramfs.cpio>]]
#        scripts/realm.sh --abi-test
#   default: the kernel and initramfs of make check's arm64 guest gate.
#   --abi-test boots realm/test/abi.c in place of the kernel: the
#   firmware's answers checked from EL1, as KTAP.
# Environment: REALM_NAME (names the results, default "series"),
#   REALM_TIMEOUT (seconds, default 120), REALM_POOL=0 for no
#   restricted pool (the devices then bounce through the default swiotlb),
#   REALM_NONCOHERENT=1 to take dma-coherent off the devices' nodes (their
#   coherent memory is then remapped), REALM_ENFORCE=0 to turn the
#   firmware's stage 2 (realm/fw/stage2.c) off, REALM_APPEND (more kernel
#   parameters), QEMU (binary, default qemu-system-aarch64).
# Leaves build/results/realm-<name>.log (the kernel's and the firmware's
# lines, "fw: " and "rsi: ") and realm-<name>.ktap.  Exits non-zero when the kernel did not become a
# realm guest, the firmware met a call it does not implement or an
# unexpected exception, stopped the guest at an access its RIPAS does not
# allow (the enforcing mode), the guest did not power off in time, the
# kernel warned or panicked, or a workload case failed.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/guest-lib.sh"

usage="usage: realm.sh [<Image> [<initramfs.cpio>]] | --abi-test"
[ $# -le 2 ] || die "$usage"
QEMU=${QEMU:-qemu-system-aarch64}
need "$QEMU" aarch64-linux-gnu-gcc make dtc fdtget timeout python3
realm=$TOP/realm
name=${REALM_NAME:-series}
[[ $name =~ ^[a-z0-9-]+$ ]] || die "REALM_NAME must be lower-case letters, digits and dashes"
timeout=${REALM_TIMEOUT:-120}
enforce=${REALM_ENFORCE:-1} noncoherent=${REALM_NONCOHERENT:-0}
[[ $enforce =~ ^[01]$ && $noncoherent =~ ^[01]$ ]] || die "REALM_ENFORCE and REALM_NONCOHERENT are 0 or 1"
fwobj=$BUILD/obj/realm-fw
run=$BUILD/run/realm-$name
log=$BUILD/results/realm-$name.log
ktap=$BUILD/results/realm-$name.ktap
mkdir -p "$run" "$BUILD/results"
rm -f "$run"/*.dtb "$run"/*.dts "$log" "$ktap"
make -s -C "$realm" O="$fwobj" >/dev/null || die "the realm firmware did not build"
fw=$fwobj/realm-fw.elf

abi_test=
if [ "${1:-}" = --abi-test ]; then
	[ $# -eq 1 ] || die "$usage"
	[ "$enforce" = 1 ] || die "the ABI test checks the enforcing mode: not with REALM_ENFORCE=0"
	abi_test=1
	make -s -C "$realm" O="$fwobj" abi-test >/dev/null || die "the ABI test did not build"
	image=$fwobj/abi-test.bin
	initrd=$run/no-initrd
	head -c 4096 /dev/zero >"$initrd"
else
	image=$(realpath -m "${1:-$BUILD/obj/guest-arm64-realm-series/arch/arm64/boot/Image}")
	initrd=$(realpath -m "${2:-$BUILD/run/guest-arm64-series/initramfs.cpio}")
	[ -f "$image" ] || die "no kernel Image $image (scripts/guest-arm64.sh builds one, or name one)"
	[ -f "$initrd" ] || die "no initramfs $initrd (scripts/guest-arm64.sh makes one, or name one)"
fi

# --- the layout (the firmware reads it from the params page) --------------
ram_base=$((0x40000000))
priv_size=$((0x20000000))		# the kernel's RAM: 512 MiB
ipa_bits=34				# shared alias bit 1 << 33
alias_bit=$((1 << (ipa_bits - 1)))
# QEMU's RAM (from ram_base) must reach the alias of the last private byte.
ram_mib=$(((((ram_base + priv_size) | alias_bit) - ram_base) >> 20))
kernel_addr=$((0x40200000))		# 2 MiB aligned (booting.rst)
initrd_addr=$((0x48000000))
pool_base=$((0x58000000)) pool_size=$((0x4000000))	# 64 MiB, as guest-arm64.sh
params_addr=$((0x60000000))		# realm/fw/fw.h PARAMS_ADDR
dtb_addr=$((0x61000000))		# realm/fw/link.ld
uart=$((0x09000000))
magic=0x31574650534d4c52		# fw.h PARAMS_MAGIC

# The Image header (booting.rst): image_size at offset 16.
image_size=$(od -An -t u8 -j 16 -N 8 "$image" | tr -d ' ')
[ "$(od -An -c -j 56 -N 4 "$image" | tr -d ' ')" = ARMd ] ||
	die "$image is not an arm64 Image (no ARM\\x64 magic)"
((kernel_addr + image_size <= initrd_addr)) ||
	die "the kernel ($image_size bytes) would overlap the initrd at $(printf %#x $initrd_addr)"
initrd_end=$((initrd_addr + $(stat -c %s "$initrd")))
((initrd_end <= pool_base)) || die "the initramfs would overlap the pool"

# --- machine, device tree ---------------------------------------------------

guest_fresh_disk
# shellcheck disable=SC2054 # QEMU's options are comma lists
machine=(-M virt,virtualization=on,gic-version=3,its=off -cpu max -smp 2 -m "${ram_mib}M")
guest_arm64_devices
guest_dump_dtb

# Which virtio-mmio transports hold the disk and the console?
guest_mmio_slots "$run"
[ "${#slots[@]}" -eq "$nr_devices" ] ||
	die "found ${#slots[@]} virtio-mmio transports in use, expected $nr_devices (see $run/qtree.txt)"
dtb_opts=()
[ "$noncoherent" = 0 ] || for a in "${slots[@]}"; do dtb_opts+=(--non-coherent "$a"); done
pool_args=()
if [ "${REALM_POOL:-1}" != 0 ]; then
	pool_args=("$pool_base" "$pool_size" "${slots[@]}")
	# A static pool's debugfs folder is named after its node.
	wl_pool=" wl_pool=/sys/kernel/debug/restricted-dma-pool@$(printf %x "$pool_base")"
else
	pool_base=0 pool_size=0
	wl_pool=" wl_pool=/sys/kernel/debug/swiotlb"
fi
bootargs="console=ttyAMA0 panic=-1 wl_stream=port:stream${wl_pool:-}${REALM_APPEND:+ $REALM_APPEND}"
"$realm/realm-dtb.sh" "${dtb_opts[@]}" "$run/virt.dtb" "$run/realm.dtb" "$ram_base" "$priv_size" \
	"$initrd_addr" "$initrd_end" "$bootargs" "${pool_args[@]}"
# The enforcing mode maps the DTB's 2 MiB block and nothing else there.
(($(stat -c %s "$run/realm.dtb") <= 0x200000 - (dtb_addr & 0x1fffff))) ||
	die "the DTB does not fit the 2 MiB at $(printf %#x $dtb_addr)"

# One 8-byte "-device loader" per params field, in struct fw_params order.
loaders=()
i=0
for v in $magic $kernel_addr $dtb_addr $ram_base $priv_size $pool_base \
	 $pool_size $ipa_bits $uart $enforce; do
	loaders+=(-device "loader,addr=$((params_addr + 8 * i)),data=$((v)),data-len=8")
	i=$((i + 1))
done
loaders+=(-device "loader,file=$fw,cpu-num=0"
	  -device "loader,file=$image,addr=$kernel_addr,force-raw=on"
	  -device "loader,file=$initrd,addr=$initrd_addr,force-raw=on"
	  -device "loader,file=$run/realm.dtb,addr=$dtb_addr,force-raw=on")

# --- boot --------------------------------------------------------------
mode=enforcing
[ "$enforce" = 1 ] || mode="not enforcing"
echo "realm: booting $image (${ram_mib} MiB of QEMU RAM, private $(printf %#x $ram_base)+$((priv_size >> 20)) MiB, shared alias bit $(printf %#x $alias_bit), RIPAS $mode, timeout ${timeout}s)"
endpoint=unix:$run/stream.sock
[ -z "$abi_test" ] || endpoint=none
guest_boot "$endpoint" "$QEMU" "${machine[@]}" "${devices[@]}" "${loaders[@]}" \
	-nographic -no-reboot
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
# No -accel: QEMU's default, TCG.
echo "guest: accelerator tcg" >> "$log"
sed -n '/^KTAP version 1$/,$p' "$log" |
	grep -E '^(KTAP version|[0-9]+\.\.[0-9]+$|(not )?ok [0-9]+ |# )' >"$ktap" || true

# --- verdict -------------------------------------------------------------
problems=()
case $status in
0)	;;
124)	problems+=("the guest did not power off within ${timeout}s: QEMU was killed (REALM_TIMEOUT)") ;;
*)	problems+=("QEMU exited with status $status: $(grep -m1 '^qemu-system' "$log" || true)") ;;
esac
if ! grep -q '^fw: entering the kernel' "$log"; then
	problems+=("the firmware never entered the kernel: $(grep -m1 '^fw: ' "$log" || echo 'no firmware output')")
elif [ -n "$abi_test" ]; then
	:	# the test calls RSI itself: no RME: line to look for
elif ! grep -q 'RME: Using RSI version' "$log"; then
	# arm64_rsi_init() runs in setup_arch(), before start_kernel()
	# prints the command line; the firmware says when RSI_VERSION comes.
	if grep -q '^rsi: RSI_VERSION' "$log"; then
		problems+=("the kernel asked RSI_VERSION but did not become a realm guest (see the RME: lines)")
	elif grep -q '^Kernel command line:' "$log"; then
		problems+=("the kernel never asked RSI_VERSION: it has no realm guest support (arm64 realm guests need Linux 6.13 or later) or does not use the SMC conduit")
	else
		problems+=("the kernel stopped before arm64_rsi_init(): $(grep -v '^fw: \|^rsi: ' "$log" | tail -n 1)")
	fi
fi
# The ABI test makes one call the firmware does not offer, on purpose.
expected_unimpl='^fw: unimplemented call 0xc4000194 (RSI call) '
while read -r line; do
	[ -n "$abi_test" ] && grep -q "$expected_unimpl" <<<"$line" && continue
	problems+=("firmware: $line")
done < <(grep -E '^fw: (unimplemented|FATAL|unexpected)' "$log" | grep -v '^fw: FATAL.*: stopped at the first access' || true)
# The ABI test ends with a read of the shared alias of a RAM granule
# (0x50000000 | alias bit, realm/test/abi.c), which the firmware must stop.
expected_stop="^fw: STOP: stage 2 fault on cpu 0: read of IPA $(printf %#x $((0x50000000 | alias_bit))), the shared alias of a granule with RIPAS RAM;"
# A stop of the enforcing mode; its PC and LR named from the kernel's
# System.map (beside the Image in its object folder), when there is one.
stop=$(grep -m1 '^fw: STOP: ' "$log" || true)
if [ -n "$stop" ]; then
	map=$(dirname "$image")/../../../System.map
	if [ -f "$map" ]; then
		where=$(python3 - "$map" "$stop" <<'PY'
import bisect, re, sys
syms = sorted((int(a, 16), n) for a, t, n in
              (l.split()[:3] for l in open(sys.argv[1])) if t in "tTwW")
addrs = [a for a, _ in syms]
out = []
for reg, val in re.findall(r"\b(PC|LR) 0x([0-9a-f]+)", sys.argv[2]):
    i = bisect.bisect_right(addrs, int(val, 16)) - 1
    if i >= 0:
        out.append("%s in %s+0x%x" % (reg, syms[i][1], int(val, 16) - syms[i][0]))
print(", ".join(out))
PY
)
		echo "realm: stopped with $where" >>"$log"
		stop="$stop ($where)"
	fi
	[ -n "$abi_test" ] && grep -q "$expected_stop" <<<"$stop" ||
		problems+=("firmware: $stop")
fi
[ -z "$abi_test" ] || grep -q "$expected_unimpl" "$log" ||
	problems+=("the firmware did not report the ABI test's attestation call as unimplemented")
if [ -n "$abi_test" ]; then
	grep -q "$expected_stop" "$log" ||
		problems+=("the enforcing mode did not stop the ABI test's read of a RAM granule's alias")
elif grep -q '^fw: SYSTEM_RESET requested' "$log"; then
	problems+=("the kernel reset (PSCI SYSTEM_RESET) instead of powering off: a panic?")
elif ! grep -q '^fw: SYSTEM_OFF requested' "$log"; then
	problems+=("the kernel did not power off through PSCI SYSTEM_OFF")
fi
grep -q '^rsi: calls:' "$log" || problems+=("no RIPAS counters from the firmware")
if [ -f "$run/stream.txt" ] && ! grep -q '^stream: host ok' "$run/stream.txt"; then
	problems+=("$(cat "$run/stream.txt")")
fi
splats=$(kernel_splats "$log")
[ -z "$splats" ] || problems+=("kernel warnings or panics: $(head -n 3 <<<"$splats" | tr '\n' ' ')")
if [ -n "$abi_test" ] && ! grep -q '^KTAP version 1' "$log"; then
	problems+=("the ABI test printed no KTAP")
elif grep -q '^KTAP version 1' "$log"; then
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$log" | head -n 1)
	ran=$(grep -cE '^(not )?ok [0-9]+ ' "$log" || true)
	failed=$(grep -E '^not ok [0-9]+ ' "$log" | cut -d' ' -f4 | xargs || true)
	[ "${planned:-x}" = "$ran" ] || problems+=("$ran of ${planned:-?} workload cases reported")
	[ -z "$failed" ] || problems+=("workload cases not ok: $failed")
fi

grep -E '^(rsi|fw|stage2|stream): |RME: |restricted DMA pool|software IO TLB|ok [0-9]+ ' "$log" | sed 's/^/  /' || true
if [ ${#problems[@]} -gt 0 ]; then
	printf 'realm: %s\n' "${problems[@]}" >&2
	echo "VERDICT realm${abi_test:+ ABI test}: FAIL (boot ${boot_time}s; console log $log)"
	exit 1
fi
if [ -n "$abi_test" ]; then
	echo "VERDICT realm ABI test: PASS, $ran/$planned cases ok (boot ${boot_time}s; $log)"
else
	echo "VERDICT realm: PASS, a realm guest on an emulated RSI (boot ${boot_time}s; $log)"
fi

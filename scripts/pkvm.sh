#!/bin/bash
# Run guest/workload.c in a pKVM protected VM: an arm64 host booted under
# QEMU TCG with kvm-arm.mode=protected runs our VMM (vmm/), which starts
# the same kernel as a protected guest whose virtio devices bounce through
# a restricted DMA pool.  See docs/pkvm.md.  The
# steps it shares with the other guests are in guest-lib.sh.
#
# Usage: scripts/pkvm.sh <name> <git-ref>
#   Builds <git-ref> of build/tree, checked out in build/src/pkvm.
# Leaves build/results/pkvm-<name>.log (host console, with the VMM's
# lines), pkvm-<name>-guest.log (guest console) and pkvm-<name>.ktap.
# Exits non-zero on a VMM error or fault, a guest panic, a timeout
# (PKVM_TIMEOUT, default 900 s), a kernel warning on either side, a
# missing or failed KTAP case, or missing evidence of the pKVM guest path.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/guest-lib.sh"

# --- verdict ------------------------------------------------------------
# Judges the run from its logs: $log (host), $glog (guest) and
# $run/control.log, with $status, $timeout, $ktap and the times set.
verdict() {
	# What every guest run checks (QEMU's status, warnings on either console,
	# the KTAP on the guest's) is guest_check's, below; first pKVM's own.
	local hlog glog_text control services assigned nr_bad bad_ok line control_result
	local host_boot bad_done guest_run shared_rest= shared_end=
	problems=()
	hlog=$(tr -d '\r' <"$log")
	glog_text=$(tr -d '\r' <"$glog")
	grep -q 'Protected hVHE mode initialized successfully\|Protected nVHE mode initialized successfully' <<<"$hlog" ||
		problems+=("the host did not initialise pKVM (kvm-arm.mode=protected)")
	# Each bad input must end in its own error message, not a hang.
	nr_bad=$(grep -c '^	{ "' "$TOP/vmm/host-init.c")
	bad_ok=$(grep -c '^host: bad input ok: ' <<<"$hlog" || true)
	[ "$bad_ok" -eq "$nr_bad" ] ||
		problems+=("$bad_ok of $nr_bad bad-input cases of the VMM ended in the expected error")
	grep -q '^host: vmm exited with status 0 ' <<<"$hlog" ||
		problems+=("$(grep -m1 -E '^host: (vmm|FAIL)' <<<"$hlog" || echo "the VMM did not run to the end")")
	grep -q '^vmm: result: PASS' <<<"$hlog" || problems+=("the VMM's verdict is not PASS")
	while read -r line; do
		problems+=("${line#vmm: }")
	done < <(grep -E '^vmm: (error|FAIL)' <<<"$hlog" | head -n 5)
	while read -r line; do
		problems+=("${line#host: }")
	done < <(grep -E '^host: FAIL' <<<"$hlog" | head -n 5)
	# Every MEM_SHARE of pool memory has its MEM_UNSHARE: the VMM's count of
	# readable pool pages at rest and at the end (vmm/mem.c) must agree.
	read -r shared_rest shared_end < <(sed -nE 's/^vmm: restricted DMA pool pages shared: ([0-9]+) of [0-9]+ at rest after the first stream round, ([0-9]+) at the end.*/\1 \2/p' <<<"$hlog") || true
	[ -n "${shared_rest:-}" ] && [ "$shared_rest" = "$shared_end" ] ||
		problems+=("restricted DMA pool pages shared: ${shared_rest:-no count} at rest, ${shared_end:-no count} at the end")

	# The guest side of the pKVM path: the hypervisor offers MEM_SHARE (bit 3
	# of the KVM vendor services; arm-pkvm-guest.c then takes over
	# set_memory_decrypted()) and each virtio device got the pool.
	services=$(sed -nE 's/.*smccc: KVM: hypervisor services detected \(.* (0x[0-9a-f]+)\)$/\1/p' <<<"$glog_text" | head -n 1)
	[ -n "$services" ] && (( (services >> 3) & 1 )) ||
		problems+=("the guest did not find pKVM's MEM_SHARE service (services ${services:-not reported})")
	assigned=$(grep -c 'assigned reserved memory node restricted-dma-pool' <<<"$glog_text" || true)
	[ "$assigned" -eq 3 ] ||
		problems+=("$assigned of 3 virtio devices were assigned the restricted DMA pool")

	# The control must fail for the reason it exists: an access outside the
	# pool, which pKVM answers with SIGSEGV.
	control=$(tr -d '\r' <"$run/control.log")
	if grep -q 'outside the restricted DMA pool' <<<"$control" &&
	   grep -q 'VMM FAULT: SIGSEGV on guest page' <<<"$control"; then
		control_result="failed as it must (access outside the pool, then SIGSEGV; ${control_time}s)"
	else
		control_result="did NOT fail as it must"
		problems+=("negative control (virtio-blk outside the pool) did not end in an outside-pool access and SIGSEGV: see $run/control.log")
	fi

	guest_check "$src" "$glog" "$log"
	grep -E '^(host|vmm): ' <<<"$hlog" | sed 's/^/  /' || true
	echo "  negative control: $control_result"
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'pkvm: %s\n' "${problems[@]}" >&2
		echo "VERDICT pkvm $name: FAIL (build ${build_time}s, run ${run_time}s; host log $log, guest log $glog)"
		return 1
	fi
	# Where the time went, from the host's own clock (seconds).
	host_boot=$(sed -nE 's/^host: init started ([0-9.]+) s after boot$/\1/p' <<<"$hlog")
	bad_done=$(sed -nE 's/^host: bad-input cases done ([0-9.]+) s after boot$/\1/p' <<<"$hlog")
	guest_run=$(sed -nE 's/^host: vmm exited with status 0 after ([0-9.]+) s$/\1/p' <<<"$hlog")
	echo "VERDICT pkvm $name: PASS, $ran/$planned KTAP cases ok (build ${build_time}s; QEMU run ${run_time}s: host boot ${host_boot}s, bad-input cases $(echo "$bad_done - $host_boot" | bc)s, protected guest boot + workload ${guest_run}s; control ${control_time}s; $log, $glog)"
}

# pkvm.sh --judge <host log> <guest log> <control log>: the verdict on
# copies of a finished run's logs (scripts/selftest.sh seeds them).
if [ "${1:-}" = --judge ]; then
	[ $# -eq 4 ] || die "usage: pkvm.sh --judge <host log> <guest log> <control log>"
	run=$(mktemp -d)
	trap 'rm -rf "$run"' EXIT
	log=$2 glog=$3 ktap=$run/judge.ktap src=$BUILD/tree name=judge
	cp "$4" "$run/control.log"
	status=0 timeout=0 build_time=- run_time=- control_time=-
	verdict
	exit
fi

usage="usage: pkvm.sh <name> <git-ref>"
guest_qemu qemu-system-aarch64 qemu-system-arm
need make flock git tar aarch64-linux-gnu-gcc cpp dtc python3 timeout

name=${1:?$usage}
ref=${2:?$usage}
tree=$BUILD/tree
git -C "$tree" rev-parse -q --verify "$ref^{commit}" >/dev/null ||
	die "$ref is not a commit of $tree (run scripts/tree.sh)"

src=$BUILD/src/pkvm
obj=$BUILD/obj/pkvm-$name
run=$BUILD/run/pkvm-$name
results=$BUILD/results
log=$results/pkvm-$name.log
glog=$results/pkvm-$name-guest.log
ktap=$results/pkvm-$name.ktap
timeout=${PKVM_TIMEOUT:-900}
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -ge 180 ] ||
	die "PKVM_TIMEOUT must be a number of seconds, at least 180"
# The VMM gives up first, so that a hung guest is reported by the VMM
# (with its evidence) rather than cut off by timeout(1).
vmm_timeout=$((timeout - 120))
# The workload's load in the protected guest (guest/workload.c): PKVM_LOAD,
# e.g. "wl_soak=1024 wl_churn=50"; none by default.
load=${PKVM_LOAD:-}
[[ $load =~ ^[a-z_=0-9\ ]*$ ]] || die "PKVM_LOAD may only hold wl_<name>=<number> settings"
mkdir -p "$obj" "$run" "$results"
rm -f "$log" "$glog" "$ktap"

# --- kernel: one Image is both the pKVM host and the protected guest ----
# A private clone: build/tree's checkout belongs to whoever else is
# building.  Every ref is checked out in the same clone, because ccache
# hashes the compiler's command line, which names the source path: built
# from one path, the second tree hits the cache for every file the series
# does not change (from two paths it missed every one).
commit=$(git -C "$tree" rev-parse "$ref^{commit}")
[ -d "$src/.git" ] || git clone -q --no-checkout "$tree" "$src"
git -C "$src" fetch -q --force "$tree" "$commit"
git -C "$src" checkout -q --detach --force "$commit"
echo "pkvm: $ref ($commit) checked out in $src"

export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
guest_kernel "$src" "" "$obj" Image "$TOP/guest/arm64-rpool.config" "$TOP/guest/pkvm.config"
image=$obj/arch/arm64/boot/Image

# --- VMM, guest files, host initramfs -----------------------------------
make -s -C "$TOP/vmm" O="$run/vmm" CROSS_COMPILE=aarch64-linux-gnu-
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$run/host-init" "$TOP/vmm/host-init.c"
# Misbehaving tiny guests for the VMM's bad-input cases (host-init.c).
for t in bad-mmio bad-feature spin; do
	def=$(tr a-z- A-Z_ <<<"$t")
	aarch64-linux-gnu-gcc -nostdlib -static -D"$def" -I "$TOP/vmm" -Wl,-Ttext=0 \
		-Wl,--build-id=none -o "$run/$t.elf" "$TOP/vmm/test-guest.S"
	aarch64-linux-gnu-objcopy -O binary "$run/$t.elf" "$run/$t.img"
done

# The guest's initramfs, the workload as /init.  (The disk.img that
# guest_initramfs makes goes unused: host-init makes the guest's disk.)
guest_initramfs "$run" aarch64-linux-gnu-gcc "$obj"

# host_initramfs <cpio> [cpp option]...
# The host's initramfs, with the guest DTB made with the extra options.
# The template gets every address from vmm/layout.h, which the VMM is
# built with too; only the initramfs size comes from here.  -undef keeps
# cpp from expanding "linux" in property names.
host_initramfs() {
	local cpio=$1 dtb=${1%.cpio}.dtb
	shift
	cpp -nostdinc -undef -x assembler-with-cpp -P -I "$TOP/vmm" "$@" \
		-DINITRD_SIZE="$(stat -c %s "$run/initramfs.cpio")" \
		"$TOP/vmm/guest.dts" |
		sed "s/ wl_stream=port:stream\"/ wl_stream=port:stream${load:+ $load}\"/" > "${dtb%.dtb}.dts"
	grep -q "wl_stream=port:stream${load:+ $load}\"" "${dtb%.dtb}.dts" ||
		die "the guest's bootargs in vmm/guest.dts no longer end in wl_stream=port:stream"
	dtc -W no-unit_address_vs_reg -I dts -O dtb -o "$dtb" "${dtb%.dtb}.dts" ||
		die "dtc rejected ${dtb%.dtb}.dts"
	cat > "${cpio%.cpio}.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /guest 0755 0 0
dir /tests 0755 0 0
file /init $run/host-init 0755 0 0
file /pkvm-vmm $run/vmm/pkvm-vmm 0755 0 0
file /guest/Image $image 0644 0 0
file /guest/initramfs.cpio $run/initramfs.cpio 0644 0 0
file /guest/guest.dtb $dtb 0644 0 0
file /tests/bad-mmio.img $run/bad-mmio.img 0644 0 0
file /tests/bad-feature.img $run/bad-feature.img 0644 0 0
file /tests/spin.img $run/spin.img 0644 0 0
EOF
	"$obj/usr/gen_init_cpio" "${cpio%.cpio}.list" > "$cpio"
}

# boot_host <cpio> <host log> <guest log> [host kernel parameter]...
# EL2 for the host's hypervisor, GICv3 for the in-kernel vGIC; pauth's
# QEMU-defined algorithm is much faster under TCG than the architected
# one.  The guest's console reaches a file through the host's own
# virtio-console (/dev/hvc0 in the host), apart from the host's lines,
# which guest_boot writes to its $log, here the host log.  Sets status
# (124: timeout) and boot_time.
boot_host() {
	local cpio=$1 log=$2 guestlog=$3
	shift 3
	rm -f "$guestlog"
	guest_boot none "$QEMU" -M virt,virtualization=on,gic-version=3 \
		-cpu max,pauth-impdef=on -smp 2 -m 1024 -nographic -no-reboot \
		-kernel "$image" -initrd "$cpio" \
		-append "console=ttyAMA0 kvm-arm.mode=protected panic=-1 vmm_timeout=$vmm_timeout $*" \
		-device virtio-serial-device \
		-chardev "file,id=guestcon,path=$guestlog" -device virtconsole,chardev=guestcon
	touch "$guestlog"
}

host_initramfs "$run/host.cpio"
# The negative control: virtio-blk without the pool, so that dma-direct
# gives it ordinary (private) guest memory.  The VMM must notice.
host_initramfs "$run/control.cpio" -DCONTROL_BLK_WITHOUT_POOL

# --- boot ---------------------------------------------------------------
echo "pkvm: booting the host"
boot_host "$run/host.cpio" "$log" "$glog"
run_time=$boot_time
run_status=$status

echo "pkvm: negative control: virtio-blk outside the pool must fail"
boot_host "$run/control.cpio" "$run/control.log" "$run/control-guest.log" vmm_bad_cases=0
control_time=$boot_time
status=$run_status
verdict

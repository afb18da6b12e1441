# What every guest run shares: the kernel build from config fragments,
# the initramfs with guest/workload.c as init, the host end of the
# stream, and the verdict on the console log.  Sourced by
# scripts/guest-<arch>.sh after common.sh; not run.
# shellcheck shell=bash

# guest_qemu <default binary> <Debian package>
# Set QEMU (the caller's environment may name another binary) and stop
# with a clear message when it is not installed.
guest_qemu() {
	QEMU=${QEMU:-$1}
	command -v "$QEMU" >/dev/null ||
		die "QEMU binary '$QEMU' not found (Debian: $2; run scripts/deps.sh guests)"
}

# guest_mmio_slots <run>: which virtio-mmio transports of QEMU virt hold
# the devices of $QEMU "${machine[@]}" "${devices[@]}", into the array
# slots (addresses without leading zeros).  Ask QEMU itself: its device
# tree lists all 32, and the slot a device lands in is an implementation
# detail.  In "info qtree" a transport's block has its "mmio
# <addr>/<size>" line, then a bus with the virtio-*-device, if any.
guest_mmio_slots() {
	printf 'info qtree\nquit\n' |
		timeout 30 "$QEMU" "${machine[@]}" "${devices[@]}" -S -display none \
			-serial none -monitor stdio >"$1/qtree.txt" 2>&1 ||
		die "QEMU could not list its devices: $(tail -n 3 "$1/qtree.txt")"
	mapfile -t slots < <(awk '
		/ dev: virtio-mmio,/ { transport = 1; addr = ""; next }
		/ dev: virtio-[a-z]+-device,/ && transport && addr != "" {
			sub(/^0+/, "", addr); print addr }
		/ dev: / { transport = 0; next }
		transport && $1 == "mmio" { split($2, a, "/"); addr = a[1] }
		' "$1/qtree.txt")
}

# guest_arm64_devices: the virtio-mmio devices of the arm64 guests
# (guest-arm64.sh, realm.sh) into the array devices, and their number
# into nr_devices: the disk $run/disk.img and a virtio-serial port named
# "stream" on the socket $run/stream.sock (stream.py's end), both with
# ACCESS_PLATFORM, so that virtio goes through the DMA API.
guest_arm64_devices() {
	# shellcheck disable=SC2054 # QEMU's options are comma lists
	devices=(-global virtio-mmio.force-legacy=false
		 -drive "file=$run/disk.img,if=none,format=raw,id=d0"
		 -device virtio-blk-device,drive=d0,iommu_platform=on
		 -device virtio-serial-device,iommu_platform=on,max_ports=2
		 -chardev "socket,id=c0,path=$run/stream.sock,server=on,wait=off"
		 -device virtserialport,chardev=c0,name=stream)
	nr_devices=2
}

# guest_dump_dtb: the device tree QEMU makes for $QEMU "${machine[@]}"
# "${devices[@]}" (the same options as the run: -smp, -m and the devices
# all shape it), into $run/virt.dtb.
guest_dump_dtb() {
	timeout 30 "$QEMU" "${machine[@]}" -machine dumpdtb="$run/virt.dtb" \
		"${devices[@]}" -display none </dev/null >"$run/dumpdtb.log" 2>&1 ||
		die "QEMU could not dump the virt device tree: $(cat "$run/dumpdtb.log")"
}

# guest_setup <arch> <name> <kernel-tree>
# The paths of one guest run (obj, run, results, log, ktap) and its
# timeout; checks that <kernel-tree> is one and clears old results.
# GUEST_LABEL names the run and its results apart from the kernel's
# build folder, for several runs of one kernel.  GUEST_OBJ names another
# run's build folder, for a gate that boots the kernel of another (the
# same ref and fragments then build nothing new).
guest_setup() {
	local label=${GUEST_LABEL:-$2}
	[ -f "$3/kernel/dma/direct.c" ] || die "$3 is not a kernel tree"
	[[ $label =~ ^[A-Za-z0-9_.-]+$ ]] || die "GUEST_LABEL must be letters, digits, '.', '_' and '-'"
	obj=${GUEST_OBJ:-$BUILD/obj/guest-$1-$2}
	run=$BUILD/run/guest-$1-$label
	results=$BUILD/results
	log=$results/$label-$1.log
	ktap=$results/$label-$1.ktap
	timeout=${GUEST_TIMEOUT:-180}
	mkdir -p "$obj" "$run" "$results"
	rm -f "$log" "$ktap"
}

# guest_kernel <ksrc> <ref> <obj> <image> <fragment>...
# Build <image> (a make target) from <ref> of <ksrc> (empty: as checked
# out), with the fragments merged onto allnoconfig.  ARCH and
# CROSS_COMPILE come from the caller.  Sets build_time.  With
# GUEST_REUSE_KERNEL=1 a kernel built from the same commit and fragments
# is used as it is (no checkout, no make): for many boots of two trees.
guest_kernel() {
	local ksrc=$1 ref=$2 obj=$3 image=$4 start=$SECONDS opt sym stamp
	shift 4
	mkdir -p "$obj"
	stamp="$(git -C "$ksrc" rev-parse "${ref:-HEAD}" 2>/dev/null) $(cat "$@" | md5sum)"
	if [ -n "${GUEST_REUSE_KERNEL:-}" ] && [ -n "${stamp%% *}" ] &&
	   [ "$(cat "$obj/built-from" 2>/dev/null)" = "$stamp" ]; then
		echo "guest: reusing the kernel in $obj"
		build_time=0
		return
	fi
	rm -f "$obj/built-from"
	cat "$@" > "$obj/fragment.config"
	echo "guest: building the kernel${ref:+ at $ref} in $obj (arm64: 160 to 190 s cold" \
	     "in docs/gates.md's cold run, up to 10 min on a slower machine; seconds when built)"
	[ -z "$ref" ] || checkout_ref "$ksrc" "$ref"
	KCONFIG_ALLCONFIG=$obj/fragment.config kmake -C "$ksrc" O="$obj" allnoconfig >/dev/null
	# Kconfig drops what it cannot satisfy without a word: check every line,
	# except symbols the tree does not have at all (7.3 and 7.2 differ).
	while read -r opt; do
		grep -qx "$opt" "$obj/.config" && continue
		sym=${opt%%=*}
		if ! grep -rqE --include='Kconfig*' "^[[:space:]]*(menu)?config ${sym#CONFIG_}[[:space:]]*(#.*)?$" "$ksrc"; then
			echo "guest: $sym is not a symbol of this tree, left out"
			continue
		fi
		die "kernel config lacks $opt (dependencies changed?)"
	done < <(grep '^CONFIG_' "$obj/fragment.config")
	kmake -C "$ksrc" O="$obj" -j"$(nproc)" "$image"
	[ -z "$ref" ] || restore_ref "$ksrc"
	echo "$stamp" > "$obj/built-from"
	build_time=$((SECONDS - start))
}

# guest_module <obj> <source>: the module <source> (one C file) built
# against the kernel in <obj>, which needs guest/modules.config; sets
# files to its place in the initramfs (/<name>.ko) and on the host, for
# guest_initramfs.  Built once per kernel and source (many boots reuse one
# kernel), in the kernel's folder, again only when either changed.
guest_module() {
	local obj=$1 src=$2 mod moddir
	[ -f "$src" ] || die "no module source $src"
	grep -qx 'CONFIG_MODULES=y' "$obj/.config" ||
		die "a guest module needs a kernel with modules (add guest/modules.config)"
	mod=$(basename "$src" .c)
	moddir=$obj/module-$mod
	if ! cmp -s "$src" "$moddir/$mod.c" || [ ! -f "$moddir/$mod.ko" ] ||
	   [ "$obj/vmlinux" -nt "$moddir/$mod.ko" ]; then
		rm -rf "$moddir"
		mkdir -p "$moddir"
		cp "$src" "$moddir/$mod.c"
		echo "obj-m := $mod.o" > "$moddir/Kbuild"
		# The kernel's own modules step writes Module.symvers, which
		# an external module links against.
		kmake -C "$obj" modules
		kmake -C "$obj" M="$moddir" W=1 modules
	fi
	files=("/$mod.ko" "$moddir/$mod.ko")
}

# guest_initramfs <run> <cc> <obj> [<guest path> <host file>]...
# guest/workload.c, statically linked, as /init, plus extra files, in
# $run/initramfs.cpio (made by the kernel's own usr/gen_init_cpio).
guest_initramfs() {
	local run=$1 cc=$2 obj=$3
	shift 3
	"$cc" -static -O2 -Wall -Wextra -Werror -o "$run/init" "$TOP/guest/workload.c"
	{
		printf '%s\n' "dir /dev 0755 0 0" "nod /dev/console 0600 0 0 c 5 1" \
			"dir /proc 0755 0 0" "dir /sys 0755 0 0" "dir /bin 0755 0 0" \
			"file /init $run/init 0755 0 0"
		while [ $# -ge 2 ]; do
			echo "file $1 $2 0755 0 0"
			shift 2
		done
	} > "$run/initramfs.list"
	"$obj/usr/gen_init_cpio" "$run/initramfs.list" > "$run/initramfs.cpio"
	guest_fresh_disk
}

# A fresh, zeroed $run/disk.img: a pattern left by an earlier run cannot
# pass for data that never reached the device.
guest_fresh_disk() {
	rm -f "$run/disk.img"
	truncate -s "${GUEST_DISK:-32M}" "$run/disk.img"
}

# The functions below use the caller's run (work folder), log (console
# log), ktap (its KTAP) and timeout (seconds).

# guest_boot <endpoint> <qemu command...>
# Run QEMU under the timeout with guest/stream.py serving <endpoint>
# (unix:<socket> or tcp:<port file>; see stream.py) next to it, or
# nothing for "none".  For tcp the command may use @PORT@, replaced by
# the port stream.py listens on.  Sets status (QEMU's exit status, 124 on
# timeout) and boot_time.
guest_boot() {
	local endpoint=$1 streamer="" qemu="" port="" arg start=$SECONDS i
	local -a cmd=()
	shift
	# Stopped from outside (^C, a timeout above us): QEMU and the stream
	# server run in the background and would outlive the script.
	trap 'guest_boot_abort "$qemu" "$streamer"' INT TERM
	rm -f "$run/stream.txt"
	if [ "$endpoint" != none ]; then
		rm -f "${endpoint#*:}"
		python3 "$TOP/guest/stream.py" "$endpoint" "$timeout" >"$run/stream.txt" 2>&1 &
		streamer=$!
	fi
	if [ "${endpoint%%:*}" = tcp ]; then
		for i in $(seq 50); do
			[ -s "${endpoint#*:}" ] && break
			sleep 0.1
		done
		port=$(cat "${endpoint#*:}" 2>/dev/null) ||
			die "stream.py did not start: $(cat "$run/stream.txt")"
	fi
	for arg; do
		cmd+=("${arg//@PORT@/$port}")
	done
	echo "guest: booting (timeout ${timeout}s)"
	status=0
	timeout "$timeout" "${cmd[@]}" </dev/null >"$log" 2>&1 &
	qemu=$!
	[ -z "${kvm_watch:-}" ] || watch_kvm "$qemu"
	while ! wait_for "$qemu" 60; do
		echo "  ... guest still running: $(((SECONDS - start) / 60)) min, console $log" >&2
	done
	wait "$qemu" || status=$?
	[ -z "${kvm_failed:-}" ] || status=125
	boot_time=$((SECONDS - start))
	step_time "guest boot: ${log##*/}" "$boot_time"
	[ -n "$streamer" ] || { trap - INT TERM; return 0; }
	# The host end sees its socket close with QEMU; if it is still stuck
	# (QEMU never started, the guest never connected), stop it.
	for i in 1 2 3 4 5; do
		kill -0 "$streamer" 2>/dev/null || break
		sleep 1
	done
	kill "$streamer" 2>/dev/null || true
	wait "$streamer" 2>/dev/null || true
	[ -s "$run/stream.txt" ] || echo "stream: host FAILED: no result" >"$run/stream.txt"
	cat "$run/stream.txt" >>"$log"
	trap - INT TERM
}

guest_boot_abort() {	# pid... (empty ones skipped)
	local pid
	for pid; do
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	done
	echo "guest: stopped from outside; QEMU and the stream server killed" >&2
	exit 143
}

# A KVM that cannot run the guest stops it ("KVM internal error") and
# leaves QEMU waiting, or never gets the kernel to print: stop QEMU then
# and set kvm_failed to why, for the caller to fall back to TCG.
watch_kvm() {
	local pid=$1 t
	kvm_failed=
	for t in $(seq "${KVM_FIRST_OUTPUT:-30}"); do
		kill -0 "$pid" 2>/dev/null || return 0
		grep -aq 'Linux version' "$log" && break
		sleep 1
	done
	grep -aq 'Linux version' "$log" ||
		kvm_failed="no kernel output in ${KVM_FIRST_OUTPUT:-30}s"
	while [ -z "$kvm_failed" ] && kill -0 "$pid" 2>/dev/null; do
		grep -aq 'KVM internal error' "$log" &&
			kvm_failed=$(grep -a -m1 -A8 'KVM internal error' "$log" | tr '\n' ' ')
		sleep 1
	done
	[ -z "$kvm_failed" ] || kill "$pid" 2>/dev/null || true
}

# guest_check <ksrc> <console log> [console log]...
# The checks every run shares, appended to the caller's problems array:
# QEMU's status, kernel warnings in each console log, the host end of the
# stream, and the workload's KTAP, taken from the first log (the one with
# the workload's console) into $ktap and also run through kunit.py's
# parser.  Prints the workload's diagnostics; sets planned and ran.
guest_check() {
	local ksrc=$1 klog=$2 failed n f
	shift
	tr -d '\r' <"$klog" | sed -n '/^KTAP version 1$/,$p' |
		grep -E '^(KTAP version|[0-9]+\.\.[0-9]+$|(not )?ok [0-9]+ |# )' >"$ktap" || true

	case $status in
	0)	;;
	124)	problems+=("the machine did not power off within ${timeout}s (hang?)") ;;
	*)	problems+=("QEMU exited with status $status: $(grep -m1 '^qemu-system' "$log" || true)") ;;
	esac
	for f; do
		if grep -qE 'WARNING:|BUG:|Oops|Kernel panic|Call [Tt]race:|detected stall' "$f"; then
			problems+=("kernel warning, oops or panic in $f")
		fi
	done
	if [ -f "$run/stream.txt" ] && ! grep -q '^stream: host ok' "$run/stream.txt"; then
		problems+=("$(cat "$run/stream.txt")")
	fi
	planned=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$ktap" | head -n 1)
	ran=$(grep -cE '^(not )?ok ' "$ktap" || true)
	failed=$(grep -cE '^not ok ' "$ktap" || true)
	[ -n "$planned" ] && [ "$ran" -eq "$planned" ] ||
		problems+=("$ran of ${planned:-?} planned KTAP cases reported")
	[ "$failed" -eq 0 ] ||
		problems+=("$failed KTAP cases not ok: $(grep '^not ok' "$ktap" | cut -d' ' -f4 | xargs)")
	# The kernel's own KTAP parser must agree.
	python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$ktap" >"${ktap%.ktap}.parsed" 2>&1 ||
		problems+=("kunit.py parse reports a failure (see ${ktap%.ktap}.parsed)")

	grep '^# ' "$ktap" | sed 's/^# /  /' || true
	[ ! -f "$run/stream.txt" ] || sed 's/^/  /' "$run/stream.txt"
	n=$(grep -c 'swiotlb buffer is full' "$klog" || true)
	[ "$n" -eq 0 ] || echo "  note: the pool ran full $n times (requests were retried)"
}

# guest_verdict <label> <ksrc> [problem]...
# Judge $log with guest_check; extra problems found by the caller come as
# arguments.  Writes $ktap, prints the workload's diagnostics and one
# VERDICT line; fails on any problem.
guest_verdict() {
	local label=$1 ksrc=$2 planned ran
	shift 2
	local -a problems=("$@")
	guest_check "$ksrc" "$log"
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'guest: %s\n' "${problems[@]}" >&2
		echo "VERDICT $label: FAIL (build ${build_time}s, boot ${boot_time}s; console log $log)"
		return 1
	fi
	echo "VERDICT $label: PASS, $ran/$planned KTAP cases ok (build ${build_time}s, boot+workload ${boot_time}s; $log)"
}

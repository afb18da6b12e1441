# Shared by the make check-full gates (matrix.sh, sparse.sh, clang.sh);
# sourced after common.sh, not run.
# shellcheck shell=bash

# The gates build from their own clone of $BUILD/tree (hard-linked objects,
# detached HEAD), so they never move the checkout that other builds use,
# and a tree recreated by tree.sh is picked up by the next fetch.
# GATES_SERIES: the ref of $BUILD/tree that the gates take as the series,
# GATES_RESULTS: where they write their tables (scripts/selftest.sh seeds
# defects that way, without touching the real results).
GATES_SRC=$BUILD/src/gates

gates_src() {
	local tree=$BUILD/tree
	git -C "$tree" rev-parse -q --verify series >/dev/null ||
		die "no $tree with a series branch (run scripts/tree.sh)"
	if [ ! -d "$GATES_SRC/.git" ]; then
		mkdir -p "$(dirname "$GATES_SRC")"
		git clone -q --no-checkout "$tree" "$GATES_SRC" >&2
		# Detached, or the fetch below may not update the branch that
		# the clone starts on.
		git -C "$GATES_SRC" update-ref --no-deref HEAD HEAD
	fi
	git -C "$GATES_SRC" fetch -q --force "$tree" +base:refs/heads/base \
		"+${GATES_SERIES:-series}:refs/heads/series" >&2
	echo "$GATES_SRC"
}

# Run a command that makes several kernel builds in one config, holding
# the build lock for all of them: one lock turn per config, not per make
# call, so that a patch-by-patch loop does not wait behind someone else's
# whole kernel build before each of its small steps.  Inside, kmake is
# the same make command without taking the lock again (a second flock on
# the same file from a new descriptor would wait for ourselves).
gates_locked() {	# command...
	(
		exec 9>> "$CACHE/build.lock"
		flock 9
		kmake() { kernel_make "$@"; }
		"$@"
	)
}

gates_checkout() {	# ref
	git -C "$GATES_SRC" checkout -q --detach --force "$1"
	git -C "$GATES_SRC" clean -q -fdx
}

# The minimal configs, per arch: "min" is allnoconfig with only what the
# arch needs to be the intended 64-bit target; "cc" adds the ways the arch
# has to get decrypted memory (forced unencrypted DMA and/or a restricted
# pool).  Both are production configs; gates_patchwise also builds "cc"
# with the series' KUnit suite ($GATES_KUNIT) once the series has it.
#
# What "min" can do differs per arch, because some arches select
# ARCH_HAS_FORCE_DMA_UNENCRYPTED unconditionally:
#   x86_64, powerpc64le, riscv64: no decrypted memory at all (the
#     predicates fold to false);
#   arm64 (CCA realms) and s390 (protected virtualization): forced
#     unencrypted DMA is always built; no config can avoid it.
GATES_ARCHES="x86_64 arm64 s390 powerpc64le riscv64"
GATES_KUNIT="CONFIG_KUNIT=y CONFIG_DMA_DIRECT_ENCRYPTION_KUNIT_TEST=y"

gates_config() {	# arch min|cc -> Kconfig fragment, one option per line
	local arch=$1 kind=$2 min= cc=
	case $arch in
	x86_64)		cc="CONFIG_ACPI=y CONFIG_EFI=y CONFIG_EFI_STUB=y CONFIG_AMD_MEM_ENCRYPT=y" ;;
	arm64)		cc="CONFIG_DMA_RESTRICTED_POOL=y" ;;
	s390)		cc="CONFIG_PCI=y" ;;
	powerpc64le)	min="CONFIG_PPC64=y CONFIG_PPC_BOOK3S_64=y CONFIG_CPU_LITTLE_ENDIAN=y CONFIG_PPC_PSERIES=y"
			cc="CONFIG_PPC_SVM=y" ;;
	riscv64)	min="CONFIG_ARCH_RV64I=y"
			cc="CONFIG_DMA_RESTRICTED_POOL=y" ;;
	*)		return 1 ;;
	esac
	case $kind in
	min)	printf '%s\n' $min ;;
	cc)	printf '%s\n' $min $cc ;;
	*)	return 1 ;;
	esac
}

gates_decrypt() {	# arch min|cc -> how the config can have decrypted memory
	case $1-$2 in
	x86_64-min|powerpc64le-min|riscv64-min)	echo "none" ;;
	x86_64-cc)		echo "forced (SME/SEV)" ;;
	arm64-min)		echo "forced (CCA, always built)" ;;
	arm64-cc)		echo "forced (CCA) + restricted pool" ;;
	s390-min)		echo "forced (s390 PV, always built)" ;;
	s390-cc)		echo "forced (s390 PV), with PCI" ;;
	powerpc64le-cc)		echo "forced (secure VM, PPC_SVM)" ;;
	riscv64-cc)		echo "restricted pool" ;;
	esac
}

gates_srcarch() {	# arch -> ARCH= value
	case $1 in
	powerpc64le)	echo powerpc ;;
	riscv64)	echo riscv ;;
	*)		echo "$1" ;;
	esac
}

gates_cross() {	# arch -> CROSS_COMPILE= value for Debian's cross compilers
	case $1 in
	x86_64)		echo "" ;;
	arm64)		echo aarch64-linux-gnu- ;;
	s390)		echo s390x-linux-gnu- ;;
	powerpc64le)	echo powerpc64le-linux-gnu- ;;
	riscv64)	echo riscv64-linux-gnu- ;;
	esac
}

# Write the config: allnoconfig with the fragment as KCONFIG_ALLCONFIG.
# $1 is the make wrapper to use (kmake, or clang.sh's chroot make).
gates_allnoconfig() {	# make-wrapper fragment objdir
	local frag=$3/fragment.config
	printf '%s\n' "$2" > "$frag"
	"$1" KCONFIG_ALLCONFIG="$frag" allnoconfig > "$3/config.log" 2>&1 ||
		{ cat "$3/config.log" >&2; return 1; }
}

# Check that every option of the fragment that exists in the checked-out
# tree's Kconfig made it into .config (a dropped dependency would silently
# test a different config).
gates_config_ok() {	# fragment objdir
	local opt sym
	for opt in $1; do
		sym=${opt%%=*}
		git -C "$GATES_SRC" grep -q -E "^config ${sym#CONFIG_}$" -- '*Kconfig*' || continue
		grep -qx "$opt" "$2/.config" || { echo "$opt did not survive allnoconfig"; return 1; }
	done
}

# Compiler diagnostics of a build log, without line and column numbers
# (they move from patch to patch) so that sets can be compared.
gates_warnings() {
	grep -E '(warning|error):' | sed -E 's/:[0-9]+(:[0-9]+)?:/:/' | sort -u || true
}

# kernel/dma/ with W=1 in the config given by a fragment, with the
# caller's make wrapper "mk" (kmake or the clang chroot's make) and object
# dir $obj.  Output goes to stdout.
gates_build() {	# fragment
	gates_allnoconfig mk "$1" "$obj" &&
	gates_config_ok "$1" "$obj" &&
	# Rebuild every object of kernel/dma/, not only the changed ones: a
	# warning belongs to every patch whose tree has it.  ccache replays
	# the compiler's diagnostics on a hit, so this stays cheap.
	rm -rf "$obj/kernel/dma" &&
	mk W=1 kernel/dma/ 2>&1
}

# One config ($arch $kind, object dir $obj), patch by patch over
# "${refs[@]}" (base first).  Per refs[i] it leaves in $obj: status-<i>
# (ok/error), build-<i>.log and warnings-<i>; and direct-base.o,
# direct-series.o (production objects, for the size table).  In the cc
# config each tree that has the KUnit suite is built a second time with
# it, so the suite's code gets W=1 on every arch while the production
# objects stay those of a real kernel.  Run it under gates_locked.
gates_patchwise() {
	local i frag t status last=$((${#refs[@]} - 1))
	frag=$(gates_config "$arch" "$kind")
	rm -f "$obj"/status-* "$obj"/warnings-* "$obj"/build-*.log "$obj"/direct-*.o
	for i in "${!refs[@]}"; do
		t=$SECONDS
		status=ok
		gates_checkout "${refs[$i]}"
		gates_build "$frag" > "$obj/build-$i.log" 2>&1 || status=error
		if [ $status = ok ]; then
			[ "$i" -ne 0 ] || cp "$obj/kernel/dma/direct.o" "$obj/direct-base.o"
			[ "$i" -ne $last ] || cp "$obj/kernel/dma/direct.o" "$obj/direct-series.o"
		fi
		if [ "$kind" = cc ] &&
		   git -C "$GATES_SRC" grep -q -E '^config DMA_DIRECT_ENCRYPTION_KUNIT_TEST$' -- kernel/dma/Kconfig; then
			echo "== with the KUnit suite" >> "$obj/build-$i.log"
			gates_build "$frag"$'\n'"${GATES_KUNIT// /$'\n'}" >> "$obj/build-$i.log" 2>&1 ||
				status=error
		fi
		echo $status > "$obj/status-$i"
		gates_warnings < "$obj/build-$i.log" > "$obj/warnings-$i"
		printf '   %-12s %-4s patch %d: %-6s %d new warnings  (%ds)\n' "$arch" "$kind" "$i" \
			$status "$(comm -13 "$obj/warnings-0" "$obj/warnings-$i" | wc -l)" $((SECONDS - t))
	done
}

# A markdown table row for one config after gates_patchwise; the whole
# log goes to $1, the new warnings to stdout.  Returns 1 if the config
# fails (a tree that does not build, or a warning the base lacks).
gates_row() {	# log row-file
	local i built=0 result=pass where= new
	: > "$1"
	: > "$1.new"
	for i in "${!refs[@]}"; do
		{
			echo "== $(git -C "$GATES_SRC" log -1 --format='%h %s' "${refs[$i]}")"
			cat "$obj/build-$i.log"
		} >> "$1"
		if [ "$(cat "$obj/status-$i")" = ok ]; then
			[ "$i" -eq 0 ] || built=$((built + 1))
		else
			result=FAIL
		fi
		[ "$i" -gt 0 ] || continue
		if comm -13 "$obj/warnings-0" "$obj/warnings-$i" | grep . >> "$1.new"; then
			where="$where${where:+, }$i"
		fi
	done
	new=$(sort -u "$1.new" | grep -c . || true)
	[ "$new" -eq 0 ] || result=FAIL
	echo "| $arch | $kind | $(gates_decrypt "$arch" "$kind") | $built of $((${#refs[@]} - 1)) | $(wc -l < "$obj/warnings-0") | $new | ${where:--} | $result |" >> "$2"
	if [ "$new" -gt 0 ]; then
		echo "new warnings, $arch $kind:"
		sort -u "$1.new" | sed 's/^/   /'
	fi
	rm -f "$1.new"
	[ $result = pass ]
}

GATES_HEADER="| arch | config | decrypted memory via | patches built | warnings at base | new warnings | at patches | result |
|---|---|---|---|---|---|---|---|"

# The newer toolchain: a chroot of Debian $GATES_SUITE under $CACHE, made
# once with debootstrap, for clang (the kernel needs >= 17.0.1, this
# machine's suite has 14) and sparse.  The machine's own apt sources and
# package set are never changed; the mirror is the one the machine already
# uses, read from its apt sources at run time (as fetch-base.sh does).
GATES_SUITE=${GATES_SUITE:-trixie}
GATES_ROOT=$CACHE/chroot-$GATES_SUITE
GATES_PACKAGES=clang,lld,llvm,make,bc,flex,bison,libelf-dev,libssl-dev,ccache,perl,python3,cpio,kmod

gates_mirror() {
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	    grep -E '^(URIs:|deb )' | grep -v security | head -n1 |
	    sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*//' || true)
	[ -n "$m" ] || die "cannot find a Debian mirror in the machine's apt sources"
	echo "$m"
}

gates_chroot() {
	[ "$(id -u)" -eq 0 ] || die "the $GATES_SUITE chroot needs root (debootstrap, chroot)"
	need debootstrap unshare
	[ -f "$GATES_ROOT/.complete" ] && return 0
	echo "creating a $GATES_SUITE chroot in $GATES_ROOT (debootstrap, once)"
	rm -rf "$GATES_ROOT.tmp"
	debootstrap --variant=minbase --include="$GATES_PACKAGES" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$GATES_SUITE" "$GATES_ROOT.tmp" "$(gates_mirror)" \
		> "$CACHE/debootstrap-$GATES_SUITE.log" 2>&1 ||
		die "debootstrap of $GATES_SUITE failed, see $CACHE/debootstrap-$GATES_SUITE.log"
	chroot "$GATES_ROOT.tmp" apt-get clean
	touch "$GATES_ROOT.tmp/.complete"
	rm -rf "$GATES_ROOT"
	mv "$GATES_ROOT.tmp" "$GATES_ROOT"
}

# Run a command in the chroot with $BUILD and the chroot's own ccache dir
# bind-mounted at the same paths.  The mounts live in a private mount
# namespace, so they go away with the command whatever happens to it:
# nothing to unmount, no trap needed.  Callers hold the build lock.
gates_inroot() {	# command...
	mkdir -p "$GATES_ROOT$BUILD" "$GATES_ROOT/proc" "$GATES_ROOT/dev" \
		"$GATES_ROOT/ccache" "$CACHE/ccache-$GATES_SUITE"
	unshare --mount --propagation private sh -euc '
		root=$1 build=$2 cc=$3
		shift 3
		mount --bind "$build" "$root$build"
		mount --bind "$cc" "$root/ccache"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root \
			CCACHE_DIR=/ccache CCACHE_BASEDIR="$build" CCACHE_NOHASHDIR=true \
			"$@"' sh "$GATES_ROOT" "$BUILD" "$CACHE/ccache-$GATES_SUITE" "$@"
}

# sparse for the chroot: 7.2's Makefile runs its checker only if it
# understands __typeof_unqual__ (scripts/checker-valid.sh), which takes
# sparse 0.6.5-rc1; only Debian's sid has it.  Its binary needs glibc
# >= 2.38 (more than this machine's), so it runs in the chroot: download
# the package with a private apt configuration (sid, download only, like
# fetch-base.sh) and unpack it to /opt/sparse in the chroot.
GATES_SPARSE=/opt/sparse/usr/bin/sparse

gates_sparse() {
	local apt=$CACHE/apt-gates deb
	[ -x "$GATES_ROOT$GATES_SPARSE" ] && return 0
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(gates_mirror) sid main" \
		> "$apt/sources.list"
	local APT=(apt-get -q -o Dir::Etc::SourceList="$apt/sources.list"
		-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$apt/lists"
		-o Dir::Cache="$apt" -o Dir::Cache::archives="$apt/archives"
		-o Dir::State::status=/dev/null -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
	echo "downloading sparse from sid (private apt configuration, download only)"
	"${APT[@]}" update > /dev/null
	rm -f "$apt/debs"/sparse_*.deb
	(cd "$apt/debs" && "${APT[@]}" download sparse > /dev/null)
	deb=$(ls "$apt/debs"/sparse_*.deb)
	rm -rf "$GATES_ROOT/opt/sparse"
	mkdir -p "$GATES_ROOT/opt/sparse"
	dpkg-deb -x "$deb" "$GATES_ROOT/opt/sparse"
	[ -x "$GATES_ROOT$GATES_SPARSE" ] || die "no $GATES_SPARSE in $deb"
}

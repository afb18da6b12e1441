# The result cache of make check's slow gates; sourced by check.sh.
# shellcheck shell=bash
#
# A gate's verdict is a function of what it reads: the harness and the
# series (every file of this repository but docs/ and README.md, which
# no gate reads, and the component folders it does not read), the kernel
# tree's branches (by their tree objects, so a KSRC tree or a changed
# patch gives other ones), the Debian packages installed (compilers,
# QEMU, Sphinx) and the harness's environment variables.  A gate that
# passed is kept under a hash of all of that with its log and the files
# later gates read; the next run with the same inputs restores them
# instead of building and booting again.  Any change to any input is a
# miss, so a seeded defect still runs its gate.  Failures are never
# kept.  CHECK_CACHE=0 runs every gate.

result_cache=$CACHE/results

# The gates that may come from the cache, and what besides their new
# files in build/results later gates read (paths under build/).
declare -A result_extras=(
	[kunit]="obj/kunit-arm64/.config"
	[kunit-cma]=""
	[bisect]=""
	[reproduce]=""
	[docs]=""
	[size]="obj/size-*/.config obj/size-*/direct-*.o obj/size-*/mapping-*.o"
	[hotpath]=""
	[guest-arm64]="run/guest-arm64-series obj/guest-arm64-realm-series/arch/arm64/boot/Image"
	[guest-kasan]="run/guest-arm64-series-kasan"
	[realm]=""
	[svm-tdx]="run/guest-x86_64-series-svm-tdx/stream.txt"
	[selftest]=""
)

# The component folders (guest/, realm/, svm/, vmm/) each cached gate
# reads, through its scripts; the others are left out of its key, so
# that a change to the realm firmware, say, runs only the realm and
# selftest gates again.  The KUnit, bisect, reproduce, docs, size and
# hotpath gates read none of them.
result_components=(guest realm svm vmm)
declare -A result_reads=(
	[guest-arm64]="guest"
	[guest-kasan]="guest"
	[realm]="guest realm"
	[svm-tdx]="guest svm"
	[selftest]="guest realm svm vmm"
)

# result_key <gate> <command...>: the hash of everything the gate reads;
# fails (no caching) outside a git checkout of this repository.
result_key() {
	local top=${RESULT_TOP:-$TOP} ktree=${RESULT_TREE:-$BUILD/tree}
	local c skip=()
	git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || return 1
	for c in "${result_components[@]}"; do
		[[ " ${result_reads[$1]:-} " = *" $c "* ]] || skip+=(-e "^$c/")
	done
	{
		# The command names scripts by their path in this checkout; a
		# clone elsewhere (CI's) runs the same command.
		printf 'gate'; printf ' %q' "${@//"$top"/.}"; echo
		(cd "$top" && git ls-files -z -co --exclude-standard |
			grep -zv -e '^docs/' -e '^README\.md$' "${skip[@]}" | sort -z |
			xargs -0 -r sha256sum)
		git -C "$ktree" for-each-ref --format='%(refname) %(tree)' refs/heads
		dpkg-query -W -f '${Package} ${Version}\n'
		env | grep -E '^(GUEST|REALM|SIZE|PKVM|KUNIT)_|^(QEMU|KSRC)=' | sort || true
	} | sha256sum | cut -c1-20
}

# result_restore <gate> <key>: a kept pass back into build/; fails on a
# miss.
result_restore() {
	local dir=$result_cache/$1/$2
	[ "${CHECK_CACHE:-1}" != 0 ] && [ -f "$dir/meta" ] || return 1
	tar -xf "$dir/outputs.tar" -C "$BUILD" || return 1
	{
		echo "result cache: inputs unchanged since $(cat "$dir/meta"); its log follows"
		cat "$dir/log"
	} > "$results/gate-$1.log"
	touch "$dir/meta"
}

# result_save <gate> <key> <stamp> <seconds>: keep a pass: the gate's log,
# the files it wrote in build/results after <stamp>, and its extras.
# Keeps the five newest keys of a gate.
result_save() {
	local name=$1 key=$2 stamp=$3 tmp old
	mkdir -p "$result_cache"
	tmp=$(mktemp -d "$result_cache/.new.XXXXXX") || return 0
	(
		cd "$BUILD" &&
		{
			# Not check.sh's own records of this run (steps, gates, logs).
			find results -type f -newer "$stamp" ! -name steps.tsv ! -name gates.tsv \
				! -name "gate-*.log" ! -name time-table.md
			# shellcheck disable=SC2086 # the extras are globs
			[ -z "${result_extras[$name]}" ] || ls -d ${result_extras[$name]} 2>/dev/null || true
		} | tar -cSf "$tmp/outputs.tar" -T -
	) || { rm -rf "$tmp"; return 0; }
	cp "$results/gate-$name.log" "$tmp/log"
	echo "a pass on $(date -u '+%F %H:%M') UTC that took $4 s" > "$tmp/meta"
	mkdir -p "$result_cache/$name"
	# Another run may have kept the same key meanwhile: either copy is it.
	mv -T "$tmp" "$result_cache/$name/$key" 2>/dev/null || rm -rf "$tmp"
	for old in $(ls -td "$result_cache/$name"/*/ | tail -n +6); do
		rm -rf "$old"
	done
}

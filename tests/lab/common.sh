# common.sh - shared settings of the lab scripts (sourced by bash scripts in tests/lab/).
#
# LAB       this directory;  LAB_DATA  where every big artifact lives (outside the repo)
# lab_resolve KERNEL   -> release string ("6.1", "6.12" or a full release)
# lab_lock NAME        -> take an exclusive flock on $LAB_DATA/locks/NAME.lock on fd 9
#                         (held until the script exits; parallel tests wait here)
# lab_guest_stamp      -> hash of the files that shape the guest (initramfs + workload)
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DATA=${LAB_DATA:-$HOME/.cache/coresift-lab}
export LAB_DATA
PY=/usr/bin/python3   # Debian's python: python3-drgn and python3-libkdumpfile live there

lab_log() { echo "lab: $*" >&2; }
lab_die() { echo "lab: ERROR: $*" >&2; exit 1; }

# meta package of each kernel alias; the newest release it depends on is the one we use
lab_meta() {
	case "$1" in
	6.1) echo linux-image-cloud-amd64 ;;
	6.12) echo linux-image-6.12-cloud-amd64 ;;
	6.1-generic) echo linux-image-amd64 ;;
	6.12-generic) echo linux-image-6.12-amd64 ;;
	esac
}

lab_resolve() {
	local want=$1 meta rel
	meta=$(lab_meta "$want")
	if [ -z "$meta" ]; then
		echo "$want"
		return 0
	fi
	rel=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -1)
	if [ -z "$rel" ]; then
		# no apt lists (offline rerun): fall back to what is already cached
		case "$want" in
		6.1) rel=$(ls -d "$LAB_DATA"/kernels/6.1.0-*-cloud-amd64 2>/dev/null | sort -V | tail -1) ;;
		6.12) rel=$(ls -d "$LAB_DATA"/kernels/6.12.*-cloud-amd64 2>/dev/null | sort -V | tail -1) ;;
		esac
		rel=${rel##*/}
	fi
	[ -n "$rel" ] || lab_die "cannot resolve kernel '$want' ($meta; run apt-get update?)"
	echo "$rel"
}

lab_lock() {
	mkdir -p "$LAB_DATA/locks"
	exec 9> "$LAB_DATA/locks/$1.lock"
	if ! flock -n 9; then
		lab_log "waiting for lock $1 (another build is running)"
		flock 9
	fi
}

# files whose content changes what the guest does, hence what a vmcore contains
lab_guest_stamp() {
	cat "$LAB/guest-init.sh" "$LAB/memfill.c" "$LAB/mkinitramfs.sh" | sha256sum | cut -c1-16
}

# mem size in MiB from QEMU syntax (1G, 4096M)
lab_mem_mb() {
	numfmt --from=iec "$1" | awk '{print int($1/1048576)}'
}

# what a run was made from: the guest files plus the knobs that change its memory
lab_run_stamp() {
	echo "$(lab_guest_stamp) fill=${LAB_FILL:-60} ck=${LAB_CRASHKERNEL:-256M} smp=${LAB_SMP:-2} cpu=${LAB_CPU:-max,la57=off} append=${LAB_APPEND:-}"
}

#!/bin/bash
# vmcore.sh - make sure a lab vmcore exists (cached) and print its run directory.
#
# Usage: tests/lab/vmcore.sh KERNEL MEM [real|qemu]
#   KERNEL  6.1, 6.12 or a full release (see getkernel.sh)
#   MEM     guest RAM in QEMU syntax: 1G, 4G ...
#   real    (default) a real kdump cycle: realdump.sh -> RUNDIR/vmcore (ELF
#           /proc/vmcore), dump-d31.lzo, makedumpfile.log, kpageflags ...
#   qemu    QEMU dump-guest-memory of a filled guest: qemudump.sh -> RUNDIR/dump.elf ...
# The last line of stdout is RUNDIR = $LAB_DATA/runs/<rel>/<kind>-<MEM>; progress
# goes to stderr. The run is reused while RUNDIR/stamp matches the guest files
# (guest-init.sh, memfill.c, mkinitramfs.sh) and LAB_* knobs; otherwise it is
# rebuilt in RUNDIR.new and swapped in when complete. Builds of the same run are
# serialized with flock, so parallel tests wait for one build instead of racing.
# A failed build is left in RUNDIR.failed (console.txt tells why) and exits 1.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || { echo "usage: $0 KERNEL MEM [real|qemu]" >&2; exit 2; }
kind=${3:-real}
case "$kind" in
real) script=realdump.sh main=vmcore ;;
qemu) script=qemudump.sh main=dump.elf ;;
*) echo "vmcore.sh: kind must be real or qemu, not '$kind'" >&2; exit 2 ;;
esac
MEM=$2
rel=$("$LAB/getkernel.sh" "$1" | tail -1)
run="$LAB_DATA/runs/$rel/$kind-$MEM"
want=$(lab_run_stamp)

fresh() { [ -s "$run/$main" ] && [ "$(cat "$run/stamp" 2>/dev/null)" = "$want" ]; }

if ! fresh; then
	lab_lock "run-$rel-$kind-$MEM"
	if ! fresh; then
		lab_log "building $kind vmcore $rel $MEM in $run (QEMU/TCG, about a minute per GiB)"
		rm -rf "$run.new" "$run.failed"
		mkdir -p "$(dirname "$run")"
		t0=$(date +%s)
		if ! LAB_RUN_DIR="$run.new" CORESIFT_BIN= "$LAB/$script" "$MEM" "$rel" > "$run.new.log" 2>&1 ||
			[ ! -s "$run.new/$main" ]; then
			mv "$run.new.log" "$run.new/build.log" 2>/dev/null || true
			mv "$run.new" "$run.failed" 2>/dev/null || true
			tail -30 "$run.failed/build.log" >&2 || true
			lab_die "$kind vmcore $rel $MEM failed; see $run.failed/"
		fi
		mv "$run.new.log" "$run.new/build.log"
		lab_log "built $rel $kind-$MEM in $(( $(date +%s) - t0 ))s"
		rm -rf "$run.old"
		[ -d "$run" ] && mv "$run" "$run.old"
		mv "$run.new" "$run"
		rm -rf "$run.old"
	fi
fi
echo "$run"

#!/bin/bash
# qemudump.sh - fast alternative to realdump.sh: dump a running Debian guest
# with QEMU's dump-guest-memory (no kexec, no panic).
#
# Usage: lab/qemudump.sh [MEM] [KERNEL] [FORMATS...]
#   MEM      guest RAM (default 1G)    KERNEL  as for getkernel.sh (default 6.1)
#   FORMATS  any of: elf kdump-zlib kdump-lzo kdump-snappy (default: all that
#            query-dump-guest-memory-capability reports, win-dmp excluded)
# Environment: LAB_ACCEL, LAB_CPU, LAB_SMP, LAB_FILL, LAB_TIMEOUT, LAB_APPEND as
#   in realdump.sh; LAB_PAGING=true makes QEMU walk guest page tables (ELF only);
#   LAB_RUN_NAME=NAME output dir name under runs/<rel>/ (default qemu-<MEM>[-paging]);
#   LAB_RUN_DIR=DIR output dir (overrides LAB_RUN_NAME). vmcore.sh KERNEL MEM qemu caches it.
#
# The guest boots the lab initramfs with lab=fill and -device vmcoreinfo (the
# guest's qemu_fw_cfg module hands QEMU the VMCOREINFO note), fills memory like
# the first kernel of realdump.sh, prints "LAB: READY". The host then stops the
# VM over QMP and writes each format from the same frozen memory image, then
# quits QEMU.
#
# Output dir: $LAB_DATA/runs/<rel>/qemu-<MEM>/ or runs/<rel>/$LAB_RUN_NAME/ (wiped each run):
#   dump.elf, dump.kdump-zlib, dump.kdump-lzo, dump.kdump-snappy, console.log,
#   dump-phoff64.elf (dump.elf with its program headers moved to offset 64 so
#   that makedumpfile 1.7.2 can read it; LAB_PHOFF64=0 skips it),
#   timings.txt (boot-to-READY time, per-format dump time and size),
#   readelf-notes.txt (readelf -n dump.elf; must show VMCOREINFO),
#   kpageflags kpagecount meminfo zoneinfo iomem vmstat (snapshot before READY), stamp
set -euo pipefail
. "$(dirname "$0")/common.sh"
MEM=${1:-1G}
rel=$("$LAB/getkernel.sh" "${2:-6.1}" | tail -1)
shift 2 2>/dev/null || shift $#
FORMATS=("$@")
kd="$LAB_DATA/kernels/$rel"
ird="$LAB_DATA/initramfs/$rel"
if [ "$(cat "$ird/stamp" 2>/dev/null)" != "$(lab_guest_stamp)" ]; then
	(lab_lock "initramfs-$rel"
	 [ "$(cat "$ird/stamp" 2>/dev/null)" = "$(lab_guest_stamp)" ] ||
		"$LAB/mkinitramfs.sh" "$rel" "$ird" >/dev/null)
fi
run=${LAB_RUN_DIR:-$LAB_DATA/runs/$rel/${LAB_RUN_NAME:-qemu-$MEM${LAB_PAGING:+-paging}}}
rm -rf "$run"
mkdir -p "$run"
cd "$run"
mem_mb=$(numfmt --from=iec "${MEM}" | awk '{print int($1/1048576)}')
truncate -s $(( (mem_mb + 64) * 1048576 )) raw.img
truncate -s $(( (mem_mb / 2 + 256) * 1048576 )) out.ext4
mkfs.ext4 -q -F -L labout out.ext4

ACCEL=${LAB_ACCEL:-tcg}
if [ "$ACCEL" = kvm ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg,thread=multi -cpu "${LAB_CPU:-max,la57=off}")
fi
append="console=ttyS0 lab=fill lab.fill=${LAB_FILL:-60} ${LAB_APPEND:-}"
qemu-system-x86_64 "${accel[@]}" -smp "${LAB_SMP:-2}" -m "$MEM" -nodefaults -display none \
	-serial file:console.log -qmp unix:qmp.sock,server=on,wait=off -device vmcoreinfo \
	-kernel "$kd/boot/vmlinuz-$rel" -initrd "$ird/initrd.img" -append "$append" \
	-drive file=raw.img,format=raw,if=none,id=d0,cache=unsafe,discard=unmap,detect-zeroes=unmap \
	-device virtio-blk-pci,drive=d0,serial=rawdump \
	-drive file=out.ext4,format=raw,if=none,id=d1,cache=unsafe \
	-device virtio-blk-pci,drive=d1,serial=outfs &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
t0=$(date +%s.%N)
deadline=$(( $(date +%s) + ${LAB_TIMEOUT:-900} ))
until grep -q "LAB: .*READY" console.log 2>/dev/null; do
	kill -0 $qpid 2>/dev/null || { echo "qemu exited early"; tail -20 console.log; exit 1; }
	[ "$(date +%s)" -lt "$deadline" ] || { echo "timeout waiting for READY"; exit 1; }
	sleep 0.5
done
tready=$(echo "$(date +%s.%N) - $t0" | bc)
{
echo "kernel=$rel mem=$MEM accel=$ACCEL boot+fill to READY: ${tready}s (host wall)"
tr -d '\r' < console.log | grep -E "LAB: .*(unit=|fill done|memfill|meminfo)" | sed 's/^/  /'
} | tee timings.txt

Q() { $PY "$LAB/qmp.py" qmp.sock "$@"; }
Q stop >/dev/null
caps=$(Q query-dump-guest-memory-capability)
echo "  dump formats offered by QEMU: $caps" | tee -a timings.txt
if [ ${#FORMATS[@]} -eq 0 ]; then
	read -r -a FORMATS <<< "$(echo "$caps" | $PY -c 'import json,sys; print(" ".join(f for f in json.load(sys.stdin)["formats"] if f != "win-dmp"))')"
fi
for fmt in "${FORMATS[@]}"; do
	f="dump.$fmt"
	s=$(date +%s.%N)
	if r=$(Q dump-guest-memory "{\"paging\": ${LAB_PAGING:-false}, \"protocol\": \"file:$run/$f\", \"format\": \"$fmt\"}"); then
		d=$(echo "$(date +%s.%N) - $s" | bc)
		echo "  dump-guest-memory $fmt: ${d}s size=$(stat -c %s "$f") allocated=$(du -k "$f" | cut -f1)k" | tee -a timings.txt
	else
		echo "  dump-guest-memory $fmt: FAILED $r" | tee -a timings.txt
	fi
done
Q quit >/dev/null 2>&1 || true
wait $qpid 2>/dev/null || true
trap - EXIT
for f in kpageflags kpagecount meminfo zoneinfo iomem vmstat; do
	debugfs -R "dump /first/$f $f" out.ext4 >/dev/null 2>&1 || true
	[ -s "$f" ] || rm -f "$f"
done
rm -f raw.img out.ext4 qmp.sock
tr -d '\r' < console.log > console.txt
if [ -f dump.elf ]; then
	chmod 644 dump.* # QEMU creates them 0400
	fallocate -d dump.elf 2>/dev/null || true   # QEMU writes zero pages out; keep them as holes
	if [ "${LAB_PHOFF64:-1}" = 1 ]; then
		# copy that makedumpfile 1.7.2 can read (it ignores e_phoff; see elf-phoff64.py)
		$PY "$LAB/elf-phoff64.py" dump.elf dump-phoff64.elf | sed 's/^/  /' | tee -a timings.txt
	fi
	readelf -n dump.elf > readelf-notes.txt 2>&1 || true
	if grep -q VMCOREINFO readelf-notes.txt; then
		echo "  dump.elf has a VMCOREINFO note: $(grep -c CORE readelf-notes.txt) CORE notes" | tee -a timings.txt
	else
		echo "  dump.elf has NO VMCOREINFO note (is qemu_fw_cfg loaded in the guest?)" | tee -a timings.txt
	fi
fi
echo "$(lab_run_stamp)" > stamp
ls -la --block-size=1 | tee -a timings.txt

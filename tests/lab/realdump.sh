#!/bin/bash
# realdump.sh - produce a REAL kdump vmcore from a Debian kernel under QEMU.
#
# Usage: lab/realdump.sh [MEM] [KERNEL]
#   MEM     guest RAM, QEMU syntax (default 1G; e.g. 2G, 4G)
#   KERNEL  as for getkernel.sh: 6.1 (default), 6.12, or a full release string
# Environment knobs:
#   LAB_ACCEL=tcg|kvm   (default tcg: on this lab host /dev/kvm is a nested PVM
#                        hypervisor that cannot run stock kernels; kvm uses -cpu host)
#   LAB_CPU=...         TCG CPU model (default max,la57=off = 4-level paging;
#                        use "max" to get a 5-level paging guest)
#   LAB_SMP=2  LAB_CRASHKERNEL=256M  LAB_FILL=60 (percent of MemAvailable filled)
#   LAB_TIMEOUT=1500    seconds before QEMU is killed
#   LAB_APPEND="..."    extra first-kernel command line
#   LAB_RUN_NAME=NAME   output dir name under runs/<rel>/ (default real-<MEM>)
#   LAB_RUN_DIR=DIR     output dir (overrides LAB_RUN_NAME)
#   CORESIFT_BIN=PATH   put this coresift into the capture initramfs (private
#                       image built for this run); the capture kernel runs it
#                       after makedumpfile
#   LAB_INITRAMFS=DIR   boot DIR/initrd.img as it is (an image made elsewhere,
#                       e.g. nfs-initramfs.sh); CORESIFT_BIN is then ignored
#   LAB_QEMU_ARGS="..." extra QEMU arguments (split on blanks), e.g. a NIC
#   LAB_FIRST_CPIO=FILE append this (compressed) cpio archive to the first
#                       kernel's initramfs only (a private copy), e.g. the
#                       kdump initrd where --estimate looks for it
# Most callers want vmcore.sh, which caches runs and serializes builds.
#
# Cycle: boot first kernel (crashkernel=...) from the lab initramfs with
# lab=first -> kexec -p loads the capture kernel -> memory is filled -> sysrq-c
# panic -> capture kernel (lab=capture) dd's /proc/vmcore onto a raw virtio disk
# and runs makedumpfile -l -d 31 + --dump-dmesg onto an ext4 virtio disk ->
# poweroff. The host then truncates the raw disk to the vmcore's ELF size and
# pulls the files out of the ext4 image with debugfs.
#
# Output dir: $LAB_DATA/runs/<rel>/real-<MEM>/ or runs/<rel>/$LAB_RUN_NAME/
# (wiped and rebuilt each run):
#   vmcore            ELF copy of /proc/vmcore (sparse file)
#   dump-d31.lzo      makedumpfile -l -d 31 output made inside the capture kernel
#   makedumpfile.log  its messages (--message-level 31: report incl. page stats)
#   dmesg.txt         makedumpfile --dump-dmesg output
#   coresift-d31.lzo, coresift.log   coresift's output (CORESIFT_BIN runs only)
#   coresift-d31.zst, coresift-z.log the same with -z (CORESIFT_BIN runs only)
#   mdf-mem-usage.txt makedumpfile --mem-usage /proc/kcore in the first kernel
#   coresift-mem-usage.txt, coresift-estimate.txt/.json  coresift --mem-usage
#                     and --estimate there (CORESIFT_BIN runs only)
#   kpageflags kpagecount meminfo zoneinfo iomem vmstat
#                     the first kernel's page-state snapshot taken before the panic
#   console.log/.txt  serial console of both kernels;  timings.txt  summary
#   stamp             what the guest was built from (vmcore.sh compares it)
set -euo pipefail
. "$(dirname "$0")/common.sh"
MEM=${1:-1G}
rel=$("$LAB/getkernel.sh" "${2:-6.1}" | tail -1)
kd="$LAB_DATA/kernels/$rel"
run=${LAB_RUN_DIR:-$LAB_DATA/runs/$rel/${LAB_RUN_NAME:-real-$MEM}}
rm -rf "$run"
mkdir -p "$run"
cd "$run"
if [ -n "${LAB_INITRAMFS:-}" ]; then
	ird=$LAB_INITRAMFS
elif [ -n "${CORESIFT_BIN:-}" ]; then
	# private initramfs with this coresift binary; removed after the run
	ird="$run/initramfs"
	"$LAB/mkinitramfs.sh" "$rel" "$ird" >/dev/null
else
	ird="$LAB_DATA/initramfs/$rel"
	if [ "$(cat "$ird/stamp" 2>/dev/null)" != "$(lab_guest_stamp)" ]; then
		(lab_lock "initramfs-$rel"
		 [ "$(cat "$ird/stamp" 2>/dev/null)" = "$(lab_guest_stamp)" ] ||
			"$LAB/mkinitramfs.sh" "$rel" "$ird" >/dev/null)
	fi
fi

first_ird=$ird/initrd.img
if [ -n "${LAB_FIRST_CPIO:-}" ]; then
	cat "$ird/initrd.img" "$LAB_FIRST_CPIO" > initrd-first.img
	first_ird=$run/initrd-first.img
fi

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
append="console=ttyS0 lab=first lab.fill=${LAB_FILL:-60} crashkernel=${LAB_CRASHKERNEL:-256M} panic=10 ${LAB_APPEND:-}"
qemu=(qemu-system-x86_64 "${accel[@]}" -smp "${LAB_SMP:-2}" -m "$MEM" -nodefaults -display none
	-no-reboot -serial file:console.log
	-kernel "$kd/boot/vmlinuz-$rel" -initrd "$first_ird" -append "$append"
	-drive file=raw.img,format=raw,if=none,id=d0,cache=unsafe,discard=unmap,detect-zeroes=unmap
	-device virtio-blk-pci,drive=d0,serial=rawdump
	-drive file=out.ext4,format=raw,if=none,id=d1,cache=unsafe
	-device virtio-blk-pci,drive=d1,serial=outfs ${LAB_QEMU_ARGS:-})
printf '%q ' "${qemu[@]}" > qemu-cmdline.txt
echo >> qemu-cmdline.txt

echo "realdump: $rel MEM=$MEM accel=$ACCEL -> $run"
t0=$(date +%s.%N)
rc=0
timeout "${LAB_TIMEOUT:-1500}" "${qemu[@]}" || rc=$?
t1=$(date +%s.%N)
wall=$(echo "$t1 - $t0" | bc)

# read the console log
tr -d '\r' < console.log > console.txt
ok=1
chk() { if grep -q -- "$1" console.txt; then echo "  [ok] $2"; else echo "  [MISSING] $2"; ok=0; fi; }
{
echo "kernel=$rel mem=$MEM accel=$ACCEL qemu_rc=$rc wall_s=$wall"
chk "LAB: .* init start mode=first" "first kernel reached /init"
chk "kexec -p loaded=1" "crash kernel loaded"
chk "LAB: .* PANIC NOW" "sysrq-c issued"
chk "Kernel panic - not syncing" "kernel panicked"
chk "LAB: .* init start mode=capture" "capture kernel reached /init"
chk "LAB: .* CAPTURE DONE" "capture finished"
grep -E "LAB: .*(unit=|fill done|memfill|meminfo|crash kernel region|kexec -p loaded|PANIC NOW|vmcore_size|raw copy done|makedumpfile -l|dmesg lines|snapshot saved|coresift rc|coresift -z rc|--mem-usage rc|--estimate rc|CAPTURE DONE|FAILED)" console.txt | sed 's/^/  /'
# kernel-side timestamps of interest
awk '/mode=first/{print "  first kernel /init at uptime " $2} /mode=capture/{print "  capture kernel /init at uptime " $2}' console.txt | tr -d '[]'
} | tee timings.txt

vsize=$(sed -n 's/.*LAB: .*vmcore_size=\([0-9]*\).*/\1/p' console.txt | tail -1)
if [ -n "$vsize" ]; then
	# ELF size from the program headers must match /proc/vmcore's size
	esize=$($PY - raw.img <<'EOF'
import struct, sys
f = open(sys.argv[1], 'rb')
h = f.read(64)
assert h[:4] == b'\x7fELF' and h[4] == 2, 'not ELF64'
phoff, = struct.unpack_from('<Q', h, 32)
phentsize, phnum = struct.unpack_from('<HH', h, 54)
f.seek(phoff)
end = phoff + phentsize * phnum
for i in range(phnum):
    p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align = struct.unpack('<IIQQQQQQ', f.read(56))
    end = max(end, p_offset + p_filesz)
print(end)
EOF
)
	echo "  vmcore size: /proc/vmcore=$vsize ELF-phdr-end=$esize" | tee -a timings.txt
	mv raw.img vmcore
	truncate -s "$vsize" vmcore
else
	echo "  no vmcore_size in the console log; raw.img kept" | tee -a timings.txt
	ok=0
fi
for f in dump-d31.lzo makedumpfile.log dmesg.txt coresift-d31.lzo coresift.log \
	coresift-d31.zst coresift-z.log first/mdf-mem-usage.txt first/coresift-mem-usage.txt \
	first/coresift-estimate.txt first/coresift-estimate.json \
	first/kpageflags first/kpagecount first/meminfo first/zoneinfo first/iomem first/vmstat; do
	debugfs -R "dump /$f ${f#first/}" out.ext4 >/dev/null 2>&1 || true
	[ -s "${f#first/}" ] || rm -f "${f#first/}"
done
[ -s dump-d31.lzo ] && rm -f out.ext4
[ -n "${LAB_INITRAMFS:-}" ] || rm -rf initramfs
rm -f initrd-first.img
echo "$(lab_run_stamp)${CORESIFT_BIN:+ coresift}${LAB_FIRST_CPIO:+ first-cpio}" > stamp
ls -la --block-size=1 | tee -a timings.txt
du -h vmcore 2>/dev/null | sed 's/^/  allocated on disk: /' | tee -a timings.txt
[ "$ok" = 1 ] && echo "realdump: OK" || { echo "realdump: FAILED (see $run/console.txt)"; exit 1; }

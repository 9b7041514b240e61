#!/bin/bash
# mkinitramfs.sh - build the busybox initramfs used by the kdump lab.
#
# Usage: tests/lab/mkinitramfs.sh [KERNEL [OUTDIR]]
#   KERNEL  as for getkernel.sh (default 6.1)
#   OUTDIR  where the images go (default $LAB_DATA/initramfs/<rel>)
# Environment: CORESIFT_BIN=PATH  also install that coresift binary (with its
#   shared libraries) as /usr/sbin/coresift; the capture kernel then runs it
#   after makedumpfile (see guest-init.sh).
#
# Contents: static busybox (+ applet symlinks), /usr/sbin/kexec and
# /usr/bin/makedumpfile from the host's Debian packages with their shared
# libraries (found with ldd), a static "memfill" helper compiled from
# lab/memfill.c, the kernel's virtio/fw_cfg/hwpoison-inject modules and, where
# ext4 is not built in (generic flavour), ext4 with its dependencies
# (decompressed; /etc/lab-modules lists the insmod order), and lab/guest-init.sh
# as /init (its header explains the lab=first|capture|fill modes).
#
# Output (rebuilt from scratch on every run, so it is idempotent; images are
# renamed into place, so a reader never sees half an image):
#   OUTDIR/initrd-capture.img  what the capture kernel boots
#   OUTDIR/initrd.img          the same plus a second cpio
#       with /boot/vmlinuz and /boot/initrd-capture.img, for the first kernel's
#       "kexec -p" (Linux unpacks concatenated cpio archives in order)
#   OUTDIR/stamp               lab_guest_stamp (+ coresift hash) it was built from
# Needs: busybox-static kexec-tools makedumpfile cpio gcc (static libc).
set -euo pipefail
. "$(dirname "$0")/common.sh"
rel=$("$LAB/getkernel.sh" "${1:-6.1}" | tail -1)
kd="$LAB_DATA/kernels/$rel"
out=${2:-$LAB_DATA/initramfs/$rel}
mkdir -p "$out" "$LAB_DATA/build"
work=$(mktemp -d "$LAB_DATA/build/initramfs-$rel.XXXXXX")
trap 'rm -rf "$work"' EXIT
st=$work/root
mkdir -p "$st"
cd "$st"
mkdir -p bin sbin usr/bin usr/sbin lib/modules etc proc sys dev tmp mnt boot root

# busybox and its applets
cp /bin/busybox bin/busybox
for a in $(/bin/busybox --list-full); do
	[ -e "$a" ] || ln -s /bin/busybox "$a"
done

# binaries with shared libraries
copy_with_libs() {
	local bin=$1 dst=$2
	cp -L "$bin" ".$dst"
	ldd "$bin" | awk '/=> \//{print $3} /^[ \t]*\//{print $1}' | while read -r lib; do
		mkdir -p ".$(dirname "$lib")"
		cp -L "$lib" ".$lib"
	done
}
copy_with_libs "$(command -v kexec)" /usr/sbin/kexec
copy_with_libs "$(command -v makedumpfile)" /usr/bin/makedumpfile
stamp=$(lab_guest_stamp)
if [ -n "${CORESIFT_BIN:-}" ]; then
	[ -x "$CORESIFT_BIN" ] || lab_die "CORESIFT_BIN=$CORESIFT_BIN is not an executable"
	copy_with_libs "$CORESIFT_BIN" /usr/sbin/coresift
	stamp="$stamp coresift=$(sha256sum < "$CORESIFT_BIN" | cut -c1-16)"
fi

# memfill (static; built per image, it takes a second)
gcc -O2 -static -o bin/memfill "$LAB/memfill.c"

# kernel modules in load order; absent names are built in (or not in this flavour)
: > etc/lab-modules
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
	virtio_blk qemu_fw_cfg hwpoison-inject crc32c_generic crc16 mbcache jbd2 ext4; do
	f=$(find "$kd/lib/modules/$rel/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
	[ -n "$f" ] || continue
	case "$f" in
	*.xz) xz -dc "$f" > "lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" > "lib/modules/$m.ko" ;;
	*) cp "$f" "lib/modules/$m.ko" ;;
	esac
	echo "$m" >> etc/lab-modules
done

cp "$LAB/guest-init.sh" init
chmod 755 init

find . -path ./boot -prune -o -print | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6 > "$work/initrd-capture.img"

# second archive with what kexec -p needs, appended for the first kernel
bt="$work/boot"
mkdir -p "$bt/boot"
cp "$kd/boot/vmlinuz-$rel" "$bt/boot/vmlinuz"
cp "$work/initrd-capture.img" "$bt/boot/initrd-capture.img"
(cd "$bt" && find boot | cpio -o -H newc --quiet | gzip -1) > "$work/boot.cpio.gz"
cat "$work/initrd-capture.img" "$work/boot.cpio.gz" > "$work/initrd.img"
mv "$work/initrd-capture.img" "$out/initrd-capture.img"
mv "$work/initrd.img" "$out/initrd.img"
echo "$stamp" > "$out/stamp"
lab_log "initramfs $out: modules: $(tr '\n' ' ' < etc/lab-modules)"
echo "$out"

#!/bin/bash
# nfs-initramfs.sh - the lab initramfs plus what a capture kernel needs to dump
# onto NFS: network and NFS client modules and an /init that mounts exports.
#
# Usage: tests/lab/nfs-initramfs.sh KERNEL OUTDIR CONF
#   KERNEL  as for getkernel.sh (6.1, 6.12, a release)
#   OUTDIR  gets initrd.img (first kernel; carries the capture image for
#           kexec -p) and initrd-capture.img
#   CONF    a shell fragment installed as /etc/lab-nfs.conf: what the capture
#           kernel mounts and dumps (see nfs-capture.sh)
# Environment: CORESIFT_BIN as for mkinitramfs.sh (the binary under test).
#
# Built as an overlay, not by editing mkinitramfs.sh or guest-init.sh: those
# two are hashed into the stamp of every cached lab vmcore, and this image is
# private to one test run anyway.  The standard capture image is made by
# mkinitramfs.sh, then a second cpio is appended (Linux unpacks concatenated
# archives in order, later entries replace earlier ones) holding
#   /init                 nfs-capture.sh; anything but lab=capture runs /lab-init
#   /lab-init             guest-init.sh, unchanged (the first kernel's work)
#   /lib/modules/*.ko     virtio_net and the NFS client with their dependencies
#                         (closure from each module's .modinfo "depends=")
#   /etc/lab-nfs-modules  their insmod order
#   /etc/lab-nfs.conf     CONF
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# = 3 ] || lab_die "usage: nfs-initramfs.sh KERNEL OUTDIR CONF"
rel=$("$LAB/getkernel.sh" "$1" | tail -1)
out=$2
conf=$3
kd="$LAB_DATA/kernels/$rel"
mkdir -p "$out"
"$LAB/mkinitramfs.sh" "$rel" "$out/base" > /dev/null

work=$(mktemp -d "$out/overlay.XXXXXX")
trap 'rm -rf "$work" "$out/base"' EXIT
st=$work/root
mkdir -p "$st/lib/modules" "$st/etc" "$st/var/crash"

modfile() { # modfile NAME -> path of NAME.ko[.xz|.zst] in the kernel tree
	find "$kd/lib/modules/$rel/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" \) | head -1
}
unpack() { # unpack SRC DST
	case "$1" in
	*.xz) xz -dc "$1" > "$2" ;;
	*.zst) zstd -qdc "$1" > "$2" ;;
	*) cp "$1" "$2" ;;
	esac
}
# depth-first: dependencies land in the list before the module that needs them
order=
add_module() {
	local m=$1 f d
	case " $order " in *" $m "*) return 0 ;; esac
	f=$(modfile "$m")
	[ -n "$f" ] || return 0		# built in
	unpack "$f" "$st/lib/modules/$m.ko"
	for d in $(strings -a "$st/lib/modules/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "${d//-/_}"
	done
	order="$order $m"
}
# the base image already loads the virtio transport; these are what a
# capture kernel needs on top to reach an NFS server over virtio-net
for m in virtio_net sunrpc nfs nfsv4 nfsv3; do
	add_module "$m"
done
# virtio and virtio_ring are in the base image's list; insmod of a loaded
# module fails, so keep only what the base image lacks
base_mods=" $(zcat "$out/base/initrd-capture.img" | cpio -i --quiet --to-stdout etc/lab-modules | tr '\n' ' ') "
for m in $order; do
	case "$base_mods" in
	*" $m "*) rm -f "$st/lib/modules/$m.ko" ;;
	*) echo "$m" >> "$st/etc/lab-nfs-modules" ;;
	esac
done
cp "$conf" "$st/etc/lab-nfs.conf"
cp "$LAB/guest-init.sh" "$st/lab-init"
cp "$LAB/nfs-capture.sh" "$st/init"
chmod 755 "$st/init" "$st/lab-init"
(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) > "$work/overlay.cpio.gz"
cat "$out/base/initrd-capture.img" "$work/overlay.cpio.gz" > "$work/initrd-capture.img"

# the first kernel's image: same contents plus /boot for kexec -p
mkdir -p "$work/boot/boot"
cp "$kd/boot/vmlinuz-$rel" "$work/boot/boot/vmlinuz"
cp "$work/initrd-capture.img" "$work/boot/boot/initrd-capture.img"
(cd "$work/boot" && find boot | cpio -o -H newc --quiet | gzip -1) > "$work/boot.cpio.gz"
cat "$work/initrd-capture.img" "$work/boot.cpio.gz" > "$work/initrd.img"
mv "$work/initrd-capture.img" "$out/initrd-capture.img"
mv "$work/initrd.img" "$out/initrd.img"
lab_log "nfs initramfs $out: modules:$(tr '\n' ' ' < "$st/etc/lab-nfs-modules" | sed 's/^/ /')"
echo "$out"

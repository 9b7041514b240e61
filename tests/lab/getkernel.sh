#!/bin/bash
# getkernel.sh - fetch a Debian kernel (and optionally its debug vmlinux) for the kdump lab.
#
# Usage: tests/lab/getkernel.sh [KERNEL] [--dbg]
#   KERNEL  "6.1" (default: the release linux-image-cloud-amd64 depends on),
#           "6.12" (linux-image-6.12-cloud-amd64), "6.1-generic"/"6.12-generic"
#           (non-cloud flavour), or a full release such as 6.1.0-56-cloud-amd64.
#   --dbg   also download linux-image-<rel>-dbg (~280-320 MB for -cloud) and
#           extract only the debug vmlinux; the -dbg .deb is deleted afterwards
#           unless LAB_KEEP_DEBS=1.
# Prints the resolved release on the last line of stdout.
#
# Results (idempotent, serialized with flock per release):
#   $LAB_DATA/debs/linux-image-<rel>_*.deb
#   $LAB_DATA/kernels/<rel>/boot/vmlinuz-<rel>, lib/modules/<rel>/...
#   $LAB_DATA/kernels/<rel>/vmlinux            (with --dbg)
set -euo pipefail
. "$(dirname "$0")/common.sh"
want=6.1
dbg=0
for a in "$@"; do
	case "$a" in
	--dbg) dbg=1 ;;
	*) want=$a ;;
	esac
done
rel=$(lab_resolve "$want")
kd="$LAB_DATA/kernels/$rel"

# fast path without the lock: everything is there
if [ -f "$kd/boot/vmlinuz-$rel" ] && { [ "$dbg" = 0 ] || [ -s "$kd/vmlinux" ]; }; then
	echo "$rel"
	exit 0
fi

lab_lock "kernel-$rel"
mkdir -p "$LAB_DATA/debs" "$kd"
cd "$LAB_DATA/debs"
if [ ! -f "$kd/boot/vmlinuz-$rel" ]; then
	deb=$(ls linux-image-"$rel"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		lab_log "downloading linux-image-$rel"
		apt-get download -q "linux-image-$rel" >&2
		deb=$(ls linux-image-"$rel"_*.deb | head -1)
	fi
	rm -rf "$kd.tmp"
	dpkg-deb -x "$deb" "$kd.tmp"
	rm -rf "$kd/boot" "$kd/lib" "$kd/usr"
	mv "$kd.tmp"/* "$kd"/
	rmdir "$kd.tmp"
fi
if [ "$dbg" = 1 ] && [ ! -s "$kd/vmlinux" ]; then
	ddeb=$(ls linux-image-"$rel"-dbg_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$ddeb" ]; then
		lab_log "downloading linux-image-$rel-dbg (~300 MB)"
		apt-get download -q "linux-image-$rel-dbg" >&2
		ddeb=$(ls linux-image-"$rel"-dbg_*.deb | head -1)
	fi
	# tar stops right after the member (--occurrence), so dpkg-deb dies of
	# SIGPIPE; whether the file came out is what counts
	{ dpkg-deb --fsys-tarfile "$ddeb" 2>/dev/null || true; } |
		tar -x -O --occurrence=1 "./usr/lib/debug/boot/vmlinux-$rel" > "$kd/vmlinux.tmp"
	[ -s "$kd/vmlinux.tmp" ] || lab_die "no vmlinux-$rel in $ddeb"
	mv "$kd/vmlinux.tmp" "$kd/vmlinux"
	[ "${LAB_KEEP_DEBS:-0}" = 1 ] || rm -f "$ddeb"
fi
echo "$rel"

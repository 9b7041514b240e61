#!/bin/sh
# install-deps.sh - install everything coresift needs on a fresh Debian 12 machine,
# from Debian's apt repositories only (run as root).
#
# Usage: tests/install-deps.sh [build|lab|all]     (default: all)
#   build  compiler, autotools, the optional codec libraries, libelf, mandoc
#   lab    QEMU, busybox, kexec-tools and the oracles: makedumpfile, crash,
#          drgn and libkdumpfile (Debian's python3 bindings); openssh-server
#          and openssh-client for tests/ssh.test; nfs-ganesha and its VFS
#          backend for tests/real/nfs.test (a userspace NFS server)
set -eu
what=${1:-all}
build="build-essential autoconf automake pkg-config libelf-dev zlib1g-dev
	liblzo2-dev libsnappy-dev libzstd-dev mandoc python3"
lab="qemu-system-x86 busybox-static kexec-tools makedumpfile crash cpio
	e2fsprogs bc xz-utils zstd time python3-drgn python3-libkdumpfile
	openssh-server openssh-client nfs-ganesha nfs-ganesha-vfs"
case "$what" in
build) pkgs=$build ;;
lab) pkgs=$lab ;;
all) pkgs="$build $lab" ;;
*) echo "usage: $0 [build|lab|all]" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

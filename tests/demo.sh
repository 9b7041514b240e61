#!/bin/sh
# demo.sh - coresift's main job on a real crash dump, on a fresh Debian 12
# machine (as root): install what is missing, build, make a real kdump vmcore
# of a Debian 6.1 kernel under QEMU (tests/lab, cached), filter and compress it
# the way distributions run makedumpfile (-l -d 31), then show the report and
# what crash(8) says of the result.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tests/install-deps.sh all
[ -x configure ] || autoreconf -fi
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" all tests/kdumpcheck >/dev/null)
echo "== making (or reusing) a real kdump vmcore of Debian's 6.1 cloud kernel, 1 GiB guest"
run=$(bash tests/lab/vmcore.sh 6.1 1G real | tail -1)
[ -f "$run/vmcore" ] || { echo "demo: the lab made no vmcore (see above)" >&2; exit 1; }
vmlinux=$(bash tests/lab/vmlinux.sh 6.1 | tail -1)
[ -f "$vmlinux" ] || { echo "demo: no debug vmlinux (see above)" >&2; exit 1; }
out=${DEMO_OUT:-/tmp/coresift-demo}
mkdir -p "$out"
rm -f "$out/dump-d31.lzo"
echo "== coresift -l --message-level 31 -d 31 $run/vmcore $out/dump-d31.lzo"
/usr/bin/time -f "coresift: %e s wall, %M KiB max RSS" \
	build/coresift -l --message-level 31 -d 31 "$run/vmcore" "$out/dump-d31.lzo"
ls -l "$run/vmcore" "$out/dump-d31.lzo"
echo "== every kept page compared with the vmcore"
build/tests/kdumpcheck --compare "$run/vmcore" "$out/dump-d31.lzo"
echo "== crash -s $vmlinux $out/dump-d31.lzo: sys, log | tail -3"
printf 'sys\nlog | tail -3\nq\n' | crash -s "$vmlinux" "$out/dump-d31.lzo"

#!/bin/sh
# run-all.sh - the whole test suite on a fresh Debian 12 machine (as root):
# installs what is missing from Debian's repositories, builds coresift in
# ./build, runs `make check` (unit, synthetic and real-kernel tiers; the real
# tier makes its QEMU lab vmcores on first use, cached in $LAB_DATA) and ends
# with one line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sh tests/install-deps.sh all || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
(
	{ [ -x configure ] || autoreconf -fi; } &&
	mkdir -p build && cd build &&
	{ [ -f Makefile ] || ../configure -q --enable-werror; } &&
	make -j"$jobs"
) > build.log 2>&1 || { tail -40 build.log; echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
cd build || exit 1
make -j"$jobs" check > check.log 2>&1
rc=$?
# per-test results and the logs of every test that did not pass
grep -hE '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' check.log
for t in $(find tests -name '*.trs' | sort); do
	if ! grep -qE '^:test-result: (PASS|XFAIL)' "$t"; then
		echo "===== ${t%.trs}.log"
		tail -60 "${t%.trs}.log"
	fi
done
total() { sed -n "s/^# $1: *//p" check.log | tail -1; }
pass=$(total PASS); fail=$(total FAIL); err=$(total ERROR); xpass=$(total XPASS); skip=$(total SKIP)
failed=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
if [ -z "$pass" ]; then
	tail -30 check.log
	failed=$(( failed > 0 ? failed : 1 ))
fi
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "${pass:-0} passed, $failed failed, ${skip:-0} skipped"
[ "$failed" = 0 ]

#!/bin/sh
# run-all.sh - the whole test suite on a fresh Debian 12 machine (as root):
# installs what is missing from Debian's repositories, builds coresift in
# ./build, runs `make check` (unit, synthetic and real-kernel tiers; the real
# tier makes its QEMU lab vmcores on first use, cached in $LAB_DATA), then
# the unit and synthetic tiers again in an ASan + UBSan build (./build-san),
# and ends with one line "N passed, N failed, N skipped" over both.
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
# results DIR LABEL: print DIR's per-test results (prefixed with LABEL) and
# the logs of every test that did not pass; add its counts to the totals
all_pass=0 all_fail=0 all_skip=0
results() {
	_dir=$1 _label=$2 _rc=$3
	grep -hE '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' "$_dir/check.log" | sed "s|^|$_label|"
	for t in $(cd "$_dir" && find tests -name '*.trs' | sort); do
		if ! grep -qE '^:test-result: (PASS|XFAIL)' "$_dir/$t"; then
			echo "===== $_label${t%.trs}.log"
			tail -60 "$_dir/${t%.trs}.log"
		fi
	done
	_pass=$(sed -n "s/^# PASS: *//p" "$_dir/check.log" | tail -1)
	_skip=$(sed -n "s/^# SKIP: *//p" "$_dir/check.log" | tail -1)
	_failed=0
	for _k in FAIL ERROR XPASS; do
		_n=$(sed -n "s/^# $_k: *//p" "$_dir/check.log" | tail -1)
		_failed=$(( _failed + ${_n:-0} ))
	done
	if [ -z "$_pass" ]; then
		tail -30 "$_dir/check.log"
		_failed=$(( _failed > 0 ? _failed : 1 ))
	fi
	[ "$_rc" = 0 ] || [ "$_failed" -gt 0 ] || _failed=1
	all_pass=$(( all_pass + ${_pass:-0} ))
	all_fail=$(( all_fail + _failed ))
	all_skip=$(( all_skip + ${_skip:-0} ))
}

(cd build && make -j"$jobs" check > check.log 2>&1)
results build "" $?

# The unit and synthetic tiers once more, built with AddressSanitizer and
# UndefinedBehaviorSanitizer, so that a memory or undefined-behaviour error
# (in the parsers of corrupt input above all) fails a test even where the
# normal build happens to survive it.  Results are prefixed "asan+ubsan ".
if (
	mkdir -p build-san && cd build-san &&
	{ [ -f Makefile ] || ../configure -q --enable-werror --enable-asan --enable-ubsan; } &&
	make -j"$jobs"
) > build-san.log 2>&1; then
	(cd build-san && make -j"$jobs" check-synthetic > check.log 2>&1)
	results build-san "asan+ubsan " $?
else
	tail -40 build-san.log
	echo "sanitizer build failed"
	all_fail=$(( all_fail + 1 ))
fi

echo "$all_pass passed, $all_fail failed, $all_skip skipped"
[ "$all_fail" = 0 ]

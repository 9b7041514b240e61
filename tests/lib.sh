# lib.sh - shared helpers for coresift's shell tests (sourced, POSIX sh + bash).
# Environment from the automake harness: top_srcdir, top_builddir, CORESIFT.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${CORESIFT:=$top_builddir/coresift}"
LAB_DATA=${LAB_DATA:-$HOME/.cache/coresift-lab}
export LAB_DATA

# per-test scratch directory, removed on exit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cs-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# hard error (harness 99): the test itself could not run
broken() { echo "ERROR: $*" >&2; exit 99; }
skip() { echo "SKIP: $*" >&2; exit 77; }
pass() { echo "PASS: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# run_cs EXPECTED_RC ARGS... : run coresift, keep stdout/stderr in $TMP/out, $TMP/err
run_cs() {
	_want=$1
	shift
	rc=0
	"$CORESIFT" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	if [ "$rc" != "$_want" ]; then
		echo "--- stdout" >&2; cat "$TMP/out" >&2
		echo "--- stderr" >&2; cat "$TMP/err" >&2
		fail "coresift $*: exit $rc, want $_want"
	fi
}

# ---- lab helpers (tests/real/*; owned by the lab, see tests/lab/README.md) ----
# Real-kernel vmcores come from tests/lab/vmcore.sh, cached under $LAB_DATA.
# A lab test never skips: it fails when a vmcore cannot be built, and exits
# 99 (broken) when this machine lacks what the lab needs.
LAB_DIR=$top_srcdir/tests/lab
. "$LAB_DIR/oracle.sh"

# lab_need: the tools the lab and its oracles need, else 99
lab_need() {
	for _t in bash qemu-system-x86_64 busybox kexec makedumpfile crash debugfs \
		mkfs.ext4 cpio flock gcc apt-get dpkg-deb numfmt bc; do
		command -v "$_t" > /dev/null 2>&1 || broken "lab needs $_t (run tests/install-deps.sh lab)"
	done
	/usr/bin/python3 -c 'import drgn, kdumpfile' 2> /dev/null ||
		broken "lab needs python3-drgn and python3-libkdumpfile in /usr/bin/python3"
}

# lab_vmcore KERNEL MEM [real|qemu]: sets LAB_RUN to the run directory,
# building the vmcore first if needed (minutes, once); fails the test if it can't
lab_vmcore() {
	LAB_RUN=$(bash "$LAB_DIR/vmcore.sh" "$@" | tail -1)
	[ -n "$LAB_RUN" ] && [ -d "$LAB_RUN" ] || fail "cannot build the $1 $2 ${3:-real} vmcore (messages above)"
}

# lab_vmlinux KERNEL: sets LAB_VMLINUX to the debug vmlinux (downloads ~300 MB once)
lab_vmlinux() {
	LAB_VMLINUX=$(bash "$LAB_DIR/vmlinux.sh" "$1" | tail -1)
	[ -s "$LAB_VMLINUX" ] || fail "cannot get the debug vmlinux of $1 (messages above)"
}

# lab_release KERNEL: the release string a kernel alias (6.1, 6.12) resolves to
lab_release() {
	bash "$LAB_DIR/getkernel.sh" "$1" | tail -1
}

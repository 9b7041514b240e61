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
	want=$1
	shift
	rc=0
	"$CORESIFT" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "--- stdout" >&2; cat "$TMP/out" >&2
		echo "--- stderr" >&2; cat "$TMP/err" >&2
		fail "coresift $*: exit $rc, want $want"
	fi
}

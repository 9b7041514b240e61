# oracle.sh - run the reference tools on a dump and hand back what they print.
# POSIX sh, sourced (tests/lib.sh sources it for the lab tests); set LAB_DIR to
# this directory first if you source it yourself:
#     LAB_DIR=tests/lab; . tests/lab/oracle.sh
#
# oracle_mdf IN OUT ARGS...    makedumpfile 1.7.2 ARGS --message-level 31 IN OUT
#                              (OUT is replaced); prints its messages (progress
#                              \r turned into newlines); returns its exit code
# mdf_counts [FILE]            the report of makedumpfile (or anything printing
#                              the same report) as name=decimal lines:
#                              original excluded zero cache private_cache user
#                              free hwpoison offline remaining hole total
# mdf_counts_check [FILE]      checks that name=value counts add up (excluded =
#                              sum of the classes, remaining = original -
#                              excluded, total = original + hole); prints each
#                              mismatch, returns 1 if any
# kv NAME [FILE]               the value of NAME in name=value lines
# oracle_bitmap [-1|-2] [--count] FILE
#                              pfn ranges FIRST-LAST of a kdump-compressed file's
#                              2nd (default) or 1st bitmap (kdumpbitmap.py)
# oracle_crash VMLINUX DUMP CMD...
#                              crash 8.0.2 -s in batch: each CMD is one crash
#                              command line; prints all output, returns crash's rc
# oracle_drgn DUMP VMLINUX     drgn: release, totalram_pages, tasks, crashed
#                              thread stack, printk records (drgncheck.py)
# oracle_kdumpfile DUMP [PFN...]
#                              libkdumpfile: format, arch, page_size, release,
#                              max_pfn, cpus, and each PFN's sha256 (lkdfcheck.py)
# oracle_kpageflags SNAPSHOT [FLAG...]
#                              counts of pfns per flag in a /proc/kpageflags
#                              snapshot (kpageflags.py)
# Python helpers run with Debian's /usr/bin/python3 (drgn and libkdumpfile
# bindings are installed there), whatever python is first on PATH.

: "${LAB_DIR:=${top_srcdir:-.}/tests/lab}"
ORACLE_PY=/usr/bin/python3
ORACLE_TIMEOUT=${ORACLE_TIMEOUT:-600}

oracle_mdf() {
	_in=$1 _out=$2
	shift 2
	rm -f "$_out"
	_log=$(mktemp "${TMPDIR:-/tmp}/oracle-mdf.XXXXXX")
	_rc=0
	timeout "$ORACLE_TIMEOUT" makedumpfile "$@" --message-level 31 "$_in" "$_out" > "$_log" 2>&1 || _rc=$?
	tr '\r' '\n' < "$_log"
	rm -f "$_log"
	return $_rc
}

mdf_counts() {
	awk -F: '
	# mawk has no strtonum; page counts fit a double exactly
	function num(s,   i, n, d) {
		gsub(/[ \t]/, "", s)
		if (s !~ /^0x/) return s + 0
		n = 0
		for (i = 3; i <= length(s); i++) {
			d = index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
			n = n * 16 + d
		}
		return sprintf("%.0f", n)
	}
	/^Original pages/            { print "original=" num($2) }
	/^  Excluded pages/          { print "excluded=" num($2) }
	/^    Pages filled with zero/ { print "zero=" num($2) }
	/^    Non-private cache pages/ { print "cache=" num($2) }
	/^    Private cache pages/   { print "private_cache=" num($2) }
	/^    User process data pages/ { print "user=" num($2) }
	/^    Free pages/            { print "free=" num($2) }
	/^    Hwpoison pages/        { print "hwpoison=" num($2) }
	/^    Offline pages/         { print "offline=" num($2) }
	/^  Remaining pages/         { print "remaining=" num($2) }
	/^Memory Hole/               { print "hole=" num($2) }
	/^Total pages/               { print "total=" num($2) }
	' "$@"
}

kv() {
	_k=$1
	shift
	sed -n "s/^$_k=//p" "$@" | tail -1
}

mdf_counts_check() {
	awk -F= '
	{ v[$1] = $2 + 0; seen[$1] = 1 }
	END {
		bad = 0
		n = split("original excluded zero cache private_cache user free hwpoison offline remaining hole total", names, " ")
		for (i = 1; i <= n; i++)
			if (!(names[i] in seen)) { print "missing count: " names[i]; bad = 1 }
		if (bad) exit 1
		sum = v["zero"] + v["cache"] + v["private_cache"] + v["user"] + v["free"] + v["hwpoison"] + v["offline"]
		if (sum != v["excluded"]) { print "excluded=" v["excluded"] " but the classes sum to " sum; bad = 1 }
		if (v["original"] - v["excluded"] != v["remaining"]) { print "remaining=" v["remaining"] " but original-excluded=" v["original"] - v["excluded"]; bad = 1 }
		if (v["original"] + v["hole"] != v["total"]) { print "total=" v["total"] " but original+hole=" v["original"] + v["hole"]; bad = 1 }
		exit bad
	}' "$@"
}

oracle_bitmap() {
	"$ORACLE_PY" "$LAB_DIR/kdumpbitmap.py" "$@"
}

oracle_crash() {
	_vml=$1 _dump=$2
	shift 2
	_cmds=$(mktemp "${TMPDIR:-/tmp}/oracle-crash.XXXXXX")
	for _c in "$@"; do
		printf '%s\n' "$_c"
	done > "$_cmds"
	echo q >> "$_cmds"
	_rc=0
	timeout "$ORACLE_TIMEOUT" crash -s "$_vml" "$_dump" < "$_cmds" 2>&1 || _rc=$?
	rm -f "$_cmds"
	return $_rc
}

oracle_drgn() {
	timeout "$ORACLE_TIMEOUT" "$ORACLE_PY" "$LAB_DIR/drgncheck.py" "$1" "$2" 2>&1
}

oracle_kdumpfile() {
	timeout "$ORACLE_TIMEOUT" "$ORACLE_PY" "$LAB_DIR/lkdfcheck.py" "$@" 2>&1
}

oracle_kpageflags() {
	"$ORACLE_PY" "$LAB_DIR/kpageflags.py" "$@"
}

#!/bin/bash
# bench.sh - coresift side by side with makedumpfile 1.7.2 on the same input.
#
# Usage: bench/bench.sh [-n REPS] [-o OUTDIR] [-c CORESIFT] [-e CACHE] [-x] VMCORE [CASE...]
#        bench/bench.sh [-n REPS] [-o OUTDIR] [-c CORESIFT] [-e CACHE] [-x] --synth-1t [CASE...]
#   --synth-1t  use the 1 TiB synthetic vmcore of tests/synth/bench-1t.txt, made (about
#         10 min, 18.8 GB on disk) or reused by bench/synth-1t.sh (CORESIFT_BENCH_1T=PATH
#         to name a copy); CASE defaults to d31-l only.
#   -e CACHE  page cache state of the input before each timed run: cold (evicted with
#         posix_fadvise DONTNEED, bench/pagecache.py), warm (its data read in once before
#         the runs), or none (default: left as it is).  With -e, the load average at the
#         start and end of each run is printed under the case.
#   -x    peak RSS counted exactly: each run is watched by bench/peakrss.py, which
#         reads the tool's page tables (/proc/PID/smaps_rollup) every millisecond;
#         rss_kB is the largest count seen, not ru_maxrss, which on Linux 6.2+ can
#         read a few hundred KiB low.  The watching costs the tools time: compare
#         times from runs without -x.
#   CASE  one of the names below (default: all).  Each case runs coresift and
#         makedumpfile alternately REPS times (default 3) with the same input
#         and prints the median wall time, the time until the dump is on disk
#         (durable_s: wall plus a following `sync FILE`; coresift fsyncs
#         before it exits, makedumpfile leaves its output dirty in the page
#         cache, which kdump's scripts flush with sync before rebooting), CPU
#         time (user+sys), peak RSS and output bytes of each, then the ratios
#         (makedumpfile / coresift for time and memory: above 1 means coresift
#         is better).  A tool that fails a case is reported, not timed.
#
#   d31-l      -d 31 -l                         (the Fedora/RHEL default)
#   d1-l       -d 1 -l
#   d1-c       -d 1 -c
#   d1-l-t2    -d 1 -l, makedumpfile --num-threads 2
#   d1-c-t2    -d 1 -c, makedumpfile --num-threads 2
#   d1-z       coresift -d 1 -z  vs  makedumpfile -d 1 -c (Debian's 1.7.2 has no zstd)
#
# Not a test: nothing here passes or fails.  Results go in doc/performance.md.
set -euo pipefail
reps=3
cache=none
exact=
synth=
argv=()
for a in "$@"; do
	if [ "$a" = --synth-1t ]; then synth=1; else argv+=("$a"); fi
done
set -- ${argv[@]+"${argv[@]}"}
outdir=${TMPDIR:-/var/tmp}/coresift-bench
cs=$(cd "$(dirname "$0")/.." && pwd)/build/coresift
here=$(cd "$(dirname "$0")" && pwd)
while getopts n:o:c:e:x o; do
	case $o in
	x) exact=1 ;;
	e) cache=$OPTARG ;;
	n) reps=$OPTARG ;;
	o) outdir=$OPTARG ;;
	c) cs=$OPTARG ;;
	*) sed -n '2,/^# Not a test/p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $cache in none | cold | warm) ;; *) echo "-e: none, cold or warm" >&2; exit 2 ;; esac
if [ -n "$synth" ]; then
	vmcore=$("$here/synth-1t.sh")
else
	[ $# -ge 1 ] || { sed -n '2,/^# Not a test/p' "$0"; exit 2; }
	vmcore=$1
	shift
fi
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
	if [ -n "$synth" ]; then cases=(d31-l); else cases=(d31-l d1-l d1-c d1-l-t2 d1-c-t2 d1-z); fi
fi
mkdir -p "$outdir"
command -v makedumpfile >/dev/null || { echo "makedumpfile not installed" >&2; exit 1; }
[ -x "$cs" ] || { echo "no coresift binary at $cs (build first, or -c PATH)" >&2; exit 1; }

# args for each side: "coresift args|makedumpfile args"
case_args() {
	case $1 in
	d31-l) echo "-d 31 -l|-d 31 -l" ;;
	d1-l) echo "-d 1 -l|-d 1 -l" ;;
	d1-c) echo "-d 1 -c|-d 1 -c" ;;
	d1-l-t2) echo "-d 1 -l|-d 1 -l --num-threads 2" ;;
	d1-c-t2) echo "-d 1 -c|-d 1 -c --num-threads 2" ;;
	d1-z) echo "-d 1 -z|-d 1 -c" ;;
	*) echo "unknown case $1" >&2; exit 2 ;;
	esac
}

# one_run TOOL ARGS -> "wall cpu rss_kb bytes durable"
one_run() {
	local tool=$1 args=$2 out="$outdir/out.${1##*/}"
	rm -f "$out"
	sync
	[ "$cache" = cold ] && python3 "$here/pagecache.py" evict "$vmcore"
	[ "$cache" = none ] || echo "${tool##*/} $(cut -d' ' -f1 /proc/loadavg)" >> "$outdir/load"
	local watch=()
	[ -z "$exact" ] || watch=(python3 "$here/peakrss.py" "$outdir/peak")
	# shellcheck disable=SC2086
	/usr/bin/time -f "%e %U %S %M" -o "$outdir/time" ${watch[@]+"${watch[@]}"} \
		"$tool" $args --message-level 0 "$vmcore" "$out" > /dev/null 2>&1 || {
		echo "${tool##*/} $args failed" >&2; rm -f "$out"; return 1; }
	local t0 t1
	t0=$(date +%s%N)
	sync "$out"
	t1=$(date +%s%N)
	[ "$cache" = none ] || echo "$(tail -n1 "$outdir/load") $(cut -d' ' -f1 /proc/loadavg)" >> "$outdir/load"
	read -r wall user sys rss < "$outdir/time"
	[ -z "$exact" ] || rss=$(cat "$outdir/peak")
	echo "$wall $(echo "$user + $sys" | bc) $rss $(stat -c %s "$out")" \
		"$(echo "$wall + ($t1 - $t0) / 1000000000" | bc -l | xargs printf '%.2f')"
	rm -f "$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%s\n' "input: $vmcore ($(stat -c %s "$vmcore") bytes), reps=$reps, $(nproc) CPUs"
[ -z "$exact" ] || printf '%s\n' "rss_kB: exact peak seen by peakrss.py (times include its watching)"
[ "$cache" = none ] || printf '%s\n' "page cache: $cache$([ "$cache" != warm ] || echo " (read in once; $(free -g | awk '/^Mem/ {print $2}') GiB RAM, $(($(du -k "$vmcore" | cut -f1) / 1048576)) GiB on disk)")"
[ "$cache" = warm ] && python3 "$here/pagecache.py" warm "$vmcore"
printf '%-9s %-8s %8s %9s %8s %9s %12s\n' case tool wall_s durable_s cpu_s rss_kB bytes
for c in "${cases[@]}"; do
	IFS='|' read -r csargs mdfargs <<< "$(case_args "$c")"
	: > "$outdir/cs.txt"
	: > "$outdir/mdf.txt"
	: > "$outdir/load"
	failed=
	for _ in $(seq "$reps"); do
		one_run "$cs" "$csargs" >> "$outdir/cs.txt" || failed="$failed cs"
		one_run makedumpfile "$mdfargs" >> "$outdir/mdf.txt" || failed="$failed mdf"
	done
	for side in cs mdf; do
		f="$outdir/$side.txt"
		if [ ! -s "$f" ]; then
			printf '%-9s %-8s failed in every run\n' "$c" "$side"
			continue
		fi
		w=$(cut -d' ' -f1 "$f" | median); u=$(cut -d' ' -f2 "$f" | median)
		r=$(cut -d' ' -f3 "$f" | median); b=$(cut -d' ' -f4 "$f" | median)
		d=$(cut -d' ' -f5 "$f" | median)
		printf '%-9s %-8s %8s %9s %8s %9s %12s\n' "$c" "$side" "$w" "$d" "$u" "$r" "$b"
		if [ "$side" = cs ]; then cs_w=$w cs_d=$d cs_r=$r cs_b=$b; else mdf_w=$w mdf_d=$d mdf_r=$r mdf_b=$b; fi
	done
	[ -z "$failed" ] || printf '%-9s failed runs (medians are of the others):%s\n' "$c" "$failed"
	[ -s "$outdir/cs.txt" ] && [ -s "$outdir/mdf.txt" ] || continue
	printf '%-9s ratios: speed %.2fx  durable %.2fx  rss %.2fx  bytes %.3f (coresift/makedumpfile)\n' "$c" \
		"$(echo "$mdf_w / $cs_w" | bc -l)" "$(echo "$mdf_d / $cs_d" | bc -l)" \
		"$(echo "$mdf_r / $cs_r" | bc -l)" "$(echo "$cs_b / $mdf_b" | bc -l)"
	[ "$cache" = none ] || awk -v c="$c" 'NF == 3 {printf "%-9s load %s: %s -> %s\n", c, $1, $2, $3}' "$outdir/load"
done

#!/bin/bash
# synth-1t.sh - print the path of the 1 TiB synthetic benchmark vmcore, making it first if needed.
#
# Usage: bench/synth-1t.sh [CACHEDIR]   (default ~/.cache/coresift-bench)
#
# The input is tests/mkvmcore.py tests/synth/bench-1t.txt (mem_map of a 1 TiB machine written
# densely: 18.8 GB on disk, about 10 min to make).  It is cached as bench-1t-KEY.core, KEY the
# first 12 hex digits of the sha256 of bench-1t.txt followed by mkvmcore.py, so a change to
# either makes a new one.  CORESIFT_BENCH_1T=PATH uses PATH as is (e.g. a copy made by an
# earlier generator) without checking it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${CORESIFT_BENCH_1T:-}" ]; then
	[ -f "$CORESIFT_BENCH_1T" ] || { echo "synth-1t: no file $CORESIFT_BENCH_1T" >&2; exit 1; }
	echo "$CORESIFT_BENCH_1T"
	exit 0
fi
dir=${1:-$HOME/.cache/coresift-bench}
spec=$top/tests/synth/bench-1t.txt
key=$(cat "$spec" "$top/tests/mkvmcore.py" | sha256sum | cut -c1-12)
core=$dir/bench-1t-$key.core
if [ ! -f "$core" ]; then
	mkdir -p "$dir"
	echo "synth-1t: making $core (about 10 min, 18.8 GB on disk)" >&2
	python3 "$top/tests/mkvmcore.py" "$spec" "$core.tmp" -m "$dir/bench-1t-$key.facts"
	mv "$core.tmp" "$core"
fi
echo "$core"

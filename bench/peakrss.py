#!/usr/bin/env python3
"""peakrss.py OUT CMD [ARG...] - run CMD and write to OUT the largest resident
set it was seen with, in KiB, counted exactly from its page tables
(/proc/PID/smaps_rollup, read about every millisecond until it exits).

Why: on Linux 6.2 and later ru_maxrss (what /usr/bin/time's %M prints) is
built from per-CPU counters that are read without being summed, so it can
read up to a few hundred KiB low, and by a different amount for a program
that runs two threads on two CPUs than for one that runs one; the two
collectors' peaks on small inputs are closer than that.  Sampling can only
miss a peak shorter than the interval, and reading smaps_rollup costs the
program a little time, so bench.sh uses this only for its -x runs, whose
times it does not compare.

Exits with CMD's exit status (128 + signal number if a signal ended it).
"""
import os
import sys
import time


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Rss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, cmd = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    peak = 0
    while True:
        peak = max(peak, rss_kib(pid))
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.001)
    with open(out, "w") as f:
        f.write(f"{peak}\n")
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()

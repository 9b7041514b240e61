#!/usr/bin/python3
"""kpageflags.py - summarize a /proc/kpageflags snapshot taken by the lab guest.

Usage: /usr/bin/python3 tests/lab/kpageflags.py SNAPSHOT [FLAG...]
       /usr/bin/python3 tests/lab/kpageflags.py --ranges FLAG SNAPSHOT
SNAPSHOT is RUNDIR/kpageflags: one little-endian u64 per pfn, from pfn 0.
Without FLAGs prints "pfns=N" and "NAME=count" for every flag below; with
FLAGs only those. --ranges prints the pfns having FLAG as FIRST-LAST lines.
Flag numbers are the kernel's /proc/kpageflags ABI (admin-guide/mm/pagemap).
Mind: the snapshot is taken a moment before the panic, so counts differ a
little from the dump (pages on per-cpu free lists are not BUDDY; writing the
snapshot itself adds page cache); COMPOUND_HEAD/TAIL, HUGE and THP together
describe huge pages. The file covers max_pfn rounded up to a memory section.
"""
import sys
from array import array

FLAGS = ['LOCKED', 'ERROR', 'REFERENCED', 'UPTODATE', 'DIRTY', 'LRU', 'ACTIVE',
         'SLAB', 'WRITEBACK', 'RECLAIM', 'BUDDY', 'MMAP', 'ANON', 'SWAPCACHE',
         'SWAPBACKED', 'COMPOUND_HEAD', 'COMPOUND_TAIL', 'HUGE', 'UNEVICTABLE',
         'HWPOISON', 'NOPAGE', 'KSM', 'THP', 'OFFLINE', 'ZERO_PAGE', 'IDLE',
         'PGTABLE']


def load(path):
    a = array('Q')
    with open(path, 'rb') as f:
        a.frombytes(f.read())
    if sys.byteorder != 'little':
        a.byteswap()
    return a


def bit(name):
    try:
        return FLAGS.index(name.upper())
    except ValueError:
        raise SystemExit('kpageflags: unknown flag %s (known: %s)' % (name, ' '.join(FLAGS)))


def main(argv):
    if len(argv) >= 4 and argv[1] == '--ranges':
        b = 1 << bit(argv[2])
        a = load(argv[3])
        start = None
        for pfn, v in enumerate(a):
            if v & b:
                if start is None:
                    start = pfn
            elif start is not None:
                print('%d-%d' % (start, pfn - 1))
                start = None
        if start is not None:
            print('%d-%d' % (start, len(a) - 1))
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    a = load(argv[1])
    names = argv[2:] or FLAGS
    bits = [(n.upper(), 1 << bit(n)) for n in names]
    counts = dict((n, 0) for n, _ in bits)
    for v in a:
        if v:
            for n, b in bits:
                if v & b:
                    counts[n] += 1
    print('pfns=%d' % len(a))
    for n, _ in bits:
        print('%s=%d' % (n, counts[n]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

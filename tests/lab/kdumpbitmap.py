#!/usr/bin/python3
"""kdumpbitmap.py - the pfn sets of a kdump-compressed (diskdump) file's bitmaps.

Usage: /usr/bin/python3 tests/lab/kdumpbitmap.py [-1|-2] [--count] FILE
  -2 (default)  the 2nd bitmap: pfns that have a page descriptor (dumped)
  -1            the 1st bitmap: pfns present in the input (RAM, not holes)
  --count       print only "pfns=N ranges=M max_mapnr=X" instead of the ranges
Prints one range per line, "FIRST-LAST" (inclusive, decimal pfns), ascending,
so that two files' sets compare with diff. Layout per tests/lab/README.md and
the kdump format notes: bit p%8 (LSB first) of byte p/8; the two bitmaps are
the halves of bitmap_blocks*block_size bytes after the header and sub-header.
Exits 1 on a file that is not kdump-compressed (a flattened file says so).
"""
import struct
import sys


def header(f):
    h = f.read(4096)
    if h.startswith(b'makedumpfile'):
        raise SystemExit('kdumpbitmap: flattened format; rearrange it first (makedumpfile -R)')
    if h[:8] not in (b'KDUMP   ', b'DISKDUMP'):
        raise SystemExit('kdumpbitmap: not a kdump-compressed file (signature %r)' % h[:8])
    version, = struct.unpack_from('<i', h, 8)
    status, bs, sub, bmb, mapnr32 = struct.unpack_from('<IiiII', h, 424)
    mapnr = mapnr32
    if version >= 6:
        f.seek(bs + 96)
        mapnr, = struct.unpack('<Q', f.read(8))
    return version, bs, sub, bmb, mapnr


def ranges(bm, limit):
    """(first, last) runs of set bits below limit."""
    out = []
    start = None
    nbytes = min(len(bm), (limit + 7) // 8)
    for i in range(nbytes):
        b = bm[i]
        if b == 0 or b == 0xff:
            if b == 0xff and start is None:
                start = i * 8
            elif b == 0 and start is not None:
                out.append((start, i * 8 - 1))
                start = None
            continue
        for j in range(8):
            p = i * 8 + j
            if (b >> j) & 1:
                if start is None:
                    start = p
            elif start is not None:
                out.append((start, p - 1))
                start = None
    if start is not None:
        out.append((start, nbytes * 8 - 1))
    # clip the last run to limit
    if out and out[-1][1] >= limit:
        a, _ = out.pop()
        if a < limit:
            out.append((a, limit - 1))
    return out


def main(argv):
    which, count, path = 2, False, None
    for a in argv[1:]:
        if a == '-1':
            which = 1
        elif a == '-2':
            which = 2
        elif a == '--count':
            count = True
        elif path is None:
            path = a
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if path is None:
        print(__doc__, file=sys.stderr)
        return 2
    with open(path, 'rb') as f:
        version, bs, sub, bmb, mapnr = header(f)
        half = bmb * bs // 2
        f.seek(bs * (1 + sub) + (half if which == 2 else 0))
        bm = f.read(half)
    rs = ranges(bm, mapnr)
    if count:
        print('pfns=%d ranges=%d max_mapnr=%d' % (sum(b - a + 1 for a, b in rs), len(rs), mapnr))
    else:
        sys.stdout.write(''.join('%d-%d\n' % r for r in rs))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""pagecache.py evict|warm FILE - drop FILE from the page cache, or read it in.

evict: posix_fadvise(POSIX_FADV_DONTNEED) on the whole file (no root needed;
       dirty pages are not dropped, so the input should not be being written).
warm:  read only the file's data extents (SEEK_DATA/SEEK_HOLE), so a sparse
       1 TiB input costs what it holds on disk, not 1 TiB of zeros.
"""
import os
import sys


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('evict', 'warm'):
        sys.stderr.write(__doc__)
        return 2
    fd = os.open(sys.argv[2], os.O_RDONLY)
    if sys.argv[1] == 'evict':
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return 0
    off = 0
    while True:
        try:
            data = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            break
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        os.posix_fadvise(fd, data, hole - data, os.POSIX_FADV_WILLNEED)
        pos = data
        while pos < hole:
            n = len(os.pread(fd, min(1 << 24, hole - pos), pos))
            if n == 0:
                break
            pos += n
        off = hole
    return 0


if __name__ == '__main__':
    sys.exit(main())

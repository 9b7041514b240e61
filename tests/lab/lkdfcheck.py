#!/usr/bin/python3
"""lkdfcheck.py - open a dump with libkdumpfile and print what it sees.

Usage: /usr/bin/python3 tests/lab/lkdfcheck.py DUMP [PFN...]
(Debian's python3-libkdumpfile, module "kdumpfile", lives in /usr/bin/python3.)
Prints "name=value" lines: format, description, arch, page_size, release,
max_pfn, cpus; then for each PFN (decimal or 0x hex) one line
"page PFN sha256=HEX zero=0|1" or "page PFN nodata" when the dump does not
hold that page (excluded or a hole). Exits 1 if the dump cannot be opened.
"""
import hashlib
import sys

import kdumpfile


def attr(k, name):
    try:
        return k.attr[name]
    except Exception:
        return '-'


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        k = kdumpfile.kdumpfile(argv[1])
    except Exception as e:
        print('open failed: %s: %s' % (type(e).__name__, e))
        return 1
    try:
        # reading by physical address needs the OS type set (libkdumpfile 0.5)
        k.attr['addrxlat.ostype'] = 'linux'
    except Exception as e:
        print('ostype: %s: %s' % (type(e).__name__, e))
    for key, name in (('format', 'file.format'), ('description', 'file.description'),
                      ('arch', 'arch.name'), ('page_size', 'arch.page_size'),
                      ('release', 'linux.uts.release'), ('max_pfn', 'max_pfn'),
                      ('cpus', 'cpu.number')):
        print('%s=%s' % (key, attr(k, name)))
    psize = attr(k, 'arch.page_size')
    for a in argv[2:]:
        pfn = int(a, 0)
        try:
            data = k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * psize, psize)
        except Exception as e:
            print('page %d nodata (%s)' % (pfn, type(e).__name__))
            continue
        print('page %d sha256=%s zero=%d' % (pfn, hashlib.sha256(data).hexdigest(),
                                            int(data.count(0) == len(data))))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

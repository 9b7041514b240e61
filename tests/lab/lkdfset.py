#!/usr/bin/python3
"""lkdfset.py - open the files of a --split set as one dump with libkdumpfile.

Usage: /usr/bin/python3 tests/lab/lkdfset.py FILE... [-- PFN...]
Debian's python3-libkdumpfile 0.5.1 can only open one file (its constructor
sets file.fd, and setting file.set.number afterwards aborts with a double
free), so this talks to libkdumpfile.so.10 directly through ctypes: the
number of files in "file.set.number", then each descriptor in
"file.set.N.fd", as the library's attribute documentation describes.
Prints file.format and linux.uts.release as name=value lines, then
"page PFN sha256=HEX" or "page PFN status N" for each PFN (physical
address space).  Exits 1 if the set cannot be opened.
"""
import ctypes
import hashlib
import os
import sys

NUMBER, STRING = 2, 4   # kdump_attr_type_t: KDUMP_NUMBER, KDUMP_STRING


class Val(ctypes.Union):
    _fields_ = [('number', ctypes.c_uint64), ('string', ctypes.c_char_p)]


class Attr(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('val', Val)]


def main(argv):
    args = argv[1:]
    files, pfns = (args[:args.index('--')], args[args.index('--') + 1:]) if '--' in args else (args, [])
    lib = ctypes.CDLL('libkdumpfile.so.10')
    lib.kdump_new.restype = ctypes.c_void_p
    lib.kdump_set_attr.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Attr)]
    lib.kdump_get_attr.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Attr)]
    lib.kdump_get_err.argtypes = [ctypes.c_void_p]
    lib.kdump_get_err.restype = ctypes.c_char_p
    lib.kdump_read.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p,
                               ctypes.POINTER(ctypes.c_size_t)]
    ctx = lib.kdump_new()

    def check(st, what):
        if st:
            print('%s: status %d: %s' % (what, st, lib.kdump_get_err(ctx).decode()))
            sys.exit(1)

    def put(key, typ, value):
        a = Attr()
        a.type = typ
        if typ == NUMBER:
            a.val.number = value
        else:
            a.val.string = value
        check(lib.kdump_set_attr(ctx, key, ctypes.byref(a)), key.decode())

    put(b'file.set.number', NUMBER, len(files))
    for i, f in enumerate(files):
        put(b'file.set.%d.fd' % i, NUMBER, os.open(f, os.O_RDONLY))
    put(b'addrxlat.ostype', STRING, b'linux')
    for key in (b'file.format', b'linux.uts.release'):
        a = Attr()
        check(lib.kdump_get_attr(ctx, key, ctypes.byref(a)), key.decode())
        print('%s=%s' % (key.decode(), a.val.string.decode()))
    buf = ctypes.create_string_buffer(4096)
    for p in pfns:
        pfn = int(p, 0)
        n = ctypes.c_size_t(4096)
        st = lib.kdump_read(ctx, 0, pfn * 4096, buf, ctypes.byref(n))   # KDUMP_KPHYSADDR
        print('page %#x %s' % (pfn, 'sha256=' + hashlib.sha256(buf.raw).hexdigest() if st == 0
                                else 'status %d' % st))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

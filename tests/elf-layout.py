#!/usr/bin/python3
"""elf-layout.py ELF - check the PT_LOAD layout rule makedumpfile's mmap reader
relies on (doc/kdump-format.md, "ELF output"), in an ELF64 little-endian core.

makedumpfile 1.7.2 takes [p_offset, p_offset + p_memsz) as a PT_LOAD's bytes
in the file: it bounds its mmap window with it and maps the whole window
linearly to physical addresses.  So, for every PT_LOAD A and every PT_LOAD B
with file data, the file bytes A claims that way may hold B's data only where
A holds the same data itself (inside A's p_filesz, at the same offset for the
same physical address).  Also every PT_LOAD's data lies inside the file.

Prints "ok: N PT_LOADs" and exits 0, or names the first two PT_LOADs that
break the rule and exits 1 (2: not an ELF64 LE core it can read).
"""
import bisect
import os
import struct
import sys


def main(path):
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        eh = f.read(64)
        if len(eh) < 64 or eh[:4] != b'\x7fELF' or eh[4] != 2 or eh[5] != 1:
            print(f'{path}: not an ELF64 little-endian file', file=sys.stderr)
            return 2
        phoff, shoff = struct.unpack_from('<QQ', eh, 32)
        phentsize, phnum = struct.unpack_from('<HH', eh, 54)
        if phnum == 0xffff:		# PN_XNUM: the count is in section header 0
            f.seek(shoff)
            phnum = struct.unpack_from('<I', f.read(64), 44)[0]
        f.seek(phoff)
        tab = f.read(phnum * phentsize)
    loads = []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz = struct.unpack_from('<IIQQQQQ', tab, i * phentsize)
        if p_type == 1:
            loads.append((i, off, paddr, filesz, memsz))
    data = sorted((off, off + filesz, i, paddr) for i, off, paddr, filesz, _ in loads if filesz)
    starts = [d[0] for d in data]
    maxend = []
    for d in data:
        maxend.append(max(d[1], maxend[-1] if maxend else 0))
    for i, off, paddr, filesz, memsz in loads:
        if filesz and off + filesz > size:
            print(f'{path}: PT_LOAD {i}: data [{off:#x}, {off + filesz:#x}) ends past the end of the file ({size:#x})')
            return 1
        end = off + memsz
        j = bisect.bisect_left(starts, end) - 1
        while j >= 0 and maxend[j] > off:
            b_off, b_end, b, b_paddr = data[j]
            lo, hi = max(off, b_off), min(end, b_end)
            if b != i and lo < hi and (b_off - b_paddr != off - paddr or hi > off + filesz):
                print(f'{path}: PT_LOAD {i} (offset {off:#x} paddr {paddr:#x} filesz {filesz:#x} memsz {memsz:#x}) '
                      f'claims file bytes [{lo:#x}, {hi:#x}) of PT_LOAD {b} (offset {b_off:#x} paddr {b_paddr:#x}) '
                      'as its own memory')
                return 1
            j -= 1
    print(f'ok: {len(loads)} PT_LOADs')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: elf-layout.py ELF', file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

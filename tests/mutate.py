#!/usr/bin/env python3
"""mutate.py - run coresift on many seeded mutations of one input file.

Usage: mutate.py CORESIFT KDUMPCHECK INPUT FACTS WORKDIR FIRST COUNT

INPUT is an ELF vmcore made by mkvmcore.py (FACTS: its -m file) or a
kdump-compressed / flattened file (FACTS: -).  Mutation SEED (FIRST ..
FIRST+COUNT-1) overwrites 1-6 fields chosen by random.Random(SEED): 1, 4 or
8 bytes, with values that break parsers (0, all ones, sign bits, page-sized
numbers) or random ones, in the ELF header and program headers, the notes
(VMCOREINFO), the page tables and mem_section, the mem_map; or in a kdump
file's header, sub-header, bitmaps, descriptors and data.  Each mutation
runs one of -l -d 31, -E -d 31, -c -d 1, -l -d 0 or --dump-dmesg, and must
end with exit status 0 or 1, within 60 s, with no sanitizer report on
stderr, a "coresift: ..." message when it fails, and an output no larger
than the input's RAM needs; a kdump dump that completed must read back
(KDUMPCHECK).  Prints one line per broken rule and exits 1 if any; the
input is restored after each run.
"""
import os
import random
import struct
import subprocess
import sys

INTERESTING = [0, 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff,
               0xffffffff, 0x7fffffff, 1, 4096, 0x100000000]
MODES = [['-l', '-d', '31'], ['-E', '-d', '31'], ['-c', '-d', '1'], ['-l', '-d', '0'],
         ['--dump-dmesg']]


def elf_regions(path, facts_path):
    """(name, start, end, weight) file ranges of an mkvmcore ELF vmcore"""
    with open(path, 'rb') as f:
        hdr = f.read(1 << 16)
    phoff, = struct.unpack_from('<Q', hdr, 32)
    phnum, = struct.unpack_from('<H', hdr, 56)
    loads, note_end = [], 0
    for i in range(phnum):
        t, _, off, _, pa, fsz, _, _ = struct.unpack_from('<IIQQQQQQ', hdr, phoff + 56 * i)
        if t == 1:
            loads.append((pa, off, fsz))
        elif t == 4:
            note_end = max(note_end, off + fsz)

    def p2o(pa):
        for p, o, s in loads:
            if p <= pa < p + s:
                return o + pa - p
        raise SystemExit('mutate.py: physical %#x is not in %s' % (pa, path))
    facts = dict(l.strip().split('=', 1) for l in open(facts_path) if '=' in l)
    regions = [('headers+notes', 0, note_end, 4)]
    for pfn in (int(x, 16) for x in facts['meta_pfns'].split()):
        o = p2o(pfn * 4096)
        regions.append(('page tables/mem_section', o, o + 4096, 1))
    mm = int(facts['vmemmap_backing'].split(':')[1], 16)
    regions.append(('mem_map', p2o(mm), p2o(mm) + 0x4000 * 64, 4))
    return regions


def kdump_regions(path):
    size = os.path.getsize(path)
    return [('header', 0, 4096, 3), ('sub-header+notes', 4096, 3 * 4096, 3),
            ('bitmaps+descriptors', 3 * 4096, min(size, 40 * 4096), 4), ('anywhere', 0, size, 1)]


def mutate(fd, regions, rng):
    """apply one seeded mutation; return [(offset, old bytes)], description"""
    saved, desc = [], []
    for _ in range(rng.randint(1, 6)):
        name, lo, hi, _ = rng.choices(regions, weights=[r[3] for r in regions])[0]
        off, k = rng.randrange(lo, hi), rng.random()
        if k < 0.3:
            new = bytes([rng.randrange(256)])
        elif k < 0.6:
            off &= ~3
            new = struct.pack('<I', rng.choice(INTERESTING) & 0xffffffff)
        else:
            off &= ~7
            v = rng.choice(INTERESTING) if rng.random() < 0.6 else rng.getrandbits(64)
            new = struct.pack('<Q', v)
        saved.append((off, os.pread(fd, len(new), off)))
        os.pwrite(fd, new, off)
        desc.append('%s %#x=%s' % (name, off, new.hex()))
    return saved, '; '.join(desc)


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    cs, check, inp, facts, work = sys.argv[1:6]
    first, count = int(sys.argv[6]), int(sys.argv[7])
    with open(inp, 'rb') as f:
        is_elf = f.read(4) == b'\x7fELF'
    regions = elf_regions(inp, facts) if is_elf else kdump_regions(inp)
    limit = 2 * (1 << 30)   # the inputs hold well under 1 GiB of RAM
    env = dict(os.environ, UBSAN_OPTIONS='print_stacktrace=1')
    out = os.path.join(work, 'out')
    bad = 0
    fd = os.open(inp, os.O_RDWR)
    for seed in range(first, first + count):
        rng = random.Random(seed)
        saved, desc = mutate(fd, regions, rng)
        mode = rng.choice(MODES)
        for f in (out, out + '.incomplete'):
            if os.path.exists(f):
                os.unlink(f)
        cmd = [cs] + (mode + [inp, out] if mode[0] == '--dump-dmesg' else ['-f'] + mode + [inp, out])
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=60, env=env)
            rc, err = p.returncode, p.stderr.decode(errors='replace')
        except subprocess.TimeoutExpired:
            rc, err = 'timeout', ''
        size = max([os.path.getsize(f) for f in (out, out + '.incomplete') if os.path.exists(f)] or [0])
        why = None
        if 'Sanitizer' in err or 'runtime error' in err:
            why = 'sanitizer report'
        elif rc not in (0, 1):
            why = 'exit %s' % rc
        elif rc == 1 and not any(l.startswith('coresift: ') for l in err.splitlines()):
            why = 'failed without a message'
        elif size > limit:
            why = 'output of %d bytes' % size
        elif rc == 0 and mode[0] in ('-l', '-c'):
            c = subprocess.run([check, out], capture_output=True)
            if c.returncode != 0:
                why = 'kdumpcheck: ' + c.stderr.decode(errors='replace').strip()[-300:]
        if why:
            bad += 1
            print('seed %d (%s; coresift %s): %s\n%s' % (seed, desc, ' '.join(mode), why,
                                                         err[-2000:]), flush=True)
        for off, old in reversed(saved):
            os.pwrite(fd, old, off)
    os.close(fd)
    print('%d mutations of %s, %d broke a rule' % (count, os.path.basename(inp), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

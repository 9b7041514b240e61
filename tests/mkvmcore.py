#!/usr/bin/env python3
r"""mkvmcore.py - build a synthetic x86_64 ELF64 vmcore from a short text description.

Usage: mkvmcore.py DESCRIPTION OUTPUT [-m FACTS]

The result looks like /proc/vmcore of a crashed x86_64 kernel: PT_NOTE with one
NT_PRSTATUS per cpu and a VMCOREINFO note written in the style of a chosen
kernel version, PT_LOADs per RAM range, and memory holding real page tables
(init_top_pgt mapping the kernel image, the direct map and vmemmap), a
SPARSEMEM_EXTREME mem_section tree and a mem_map whose struct pages are given
raw by the description.  Only pages with non-zero content are written, so the
output is a sparse file even for terabytes of "RAM".  FACTS (-m) receives
KEY=VALUE lines with every address the generator chose (for tests to compare).

GRAMMAR (one directive per line; '#' starts a comment; numbers are decimal,
0x-hex, or with a K/M/G/T suffix; ranges are START-END, END exclusive; a PFN
range PFN[-PFN] is inclusive)

  kernel V          VMCOREINFO style: 5.10 6.1 6.2 6.3 6.6 6.9 6.10 6.12 6.16 7.1
                    (default 6.12; see STYLES below for what differs)
  ram A-B [nodata=C] [nosection]
                    one PT_LOAD for physical [A,B); B may end mid-page.  With
                    nodata=C the file holds only [A,C) (p_filesz < p_memsz).
                    nosection: no mem_section entry for it (firmware ROM in a
                    QEMU ELF); its sections stay all-zero unless RAM shares them.
                    section=X: the same, but X is written as the section_mem_map
                    of its sections (garbage metadata)
                    default: ram 0-0x9fc00 / ram 0x100000-64M
  cpus N            NT_PRSTATUS notes (default 2)
  levels 4|5        paging levels (default 4; 5 sets NUMBER(pgtable_l5_enabled)=1)
  kaslr X           KERNELOFFSET (multiple of 2M; default 0x28400000)
  kphys X           physical address of the kernel image (2M aligned; default 16M)
  page_offset X     direct-map base (1G aligned; default 0xffff8a2c80000000,
                    5-level 0xff4a2c8000000000)
  vmemmap X         vmemmap base (1G aligned; default 0xfffff3c1c0000000,
                    5-level 0xffd3c1c000000000)
  sme_mask X        set bit(s) X in every page-table entry and export NUMBER(sme_mask)
  qemu              QEMU dump-guest-memory layout: one section header right after
                    the ELF header, program headers after it (e_phoff != 64)
  data PFNS KIND    page contents: zero | byte:0xNN | random[:SEED] | text:WORDS
                    (text repeats WORDS to fill the page) | pool[:SEED] (kernel-like
                    data: 64-byte objects of pointers, small integers, zeros and
                    random bytes, 64 distinct pages cycled by pfn; written in bulk
                    at write time, so any size is cheap)
  pagedefault F=V.. fields applied to the struct page of every pfn of every present
                    section before any 'page' line (materializes the whole mem_map)
  page PFNS F=V ..  struct page contents of each pfn in PFNS.  Fields (written at the
                    offsets the style's VMCOREINFO declares):
                      flags=  (8 bytes)     mapping= (8)     private= (8)
                      mapcount= (4, signed: -129, 0xf0000000 ...)  refcount= (4)
                      head=   raw value at OFFSET(page.compound_head), or
                              OFFSET(page.compound_info) on 7.1
                      tailof=PFN  head = vmemmap address of PFN's struct page | 1
                      lru=    (8, at OFFSET(page.lru))
                      order=  compound order byte of a FIRST TAIL page: at
                              OFFSET(page.compound_order) (<=6.2), at
                              OFFSET(folio._folio_order)-SIZE(page) (6.3-6.5),
                              low byte of flags (6.6+: folio _flags_1)
                      dtor=   compound destructor byte of a first tail page
                              (<=6.5 only; 6.6+ has none)
                      @OFF:SIZE=V   raw little-endian SIZE-byte value at OFF
  mm KIND PFNS [order=N] [step=S]
                    realistic struct pages in bulk, for mem_maps of any size (styles
                    5.10 6.1 6.2; field values as a Debian 6.1 kernel leaves them:
                    zone and last_cpupid bits in flags, lru pointing to itself,
                    _mapcount -1).  KIND:
                      free      buddy blocks, largest aligned order <= N (default 10)
                                that fits: head PageBuddy (-129), private=order,
                                lru linked head to head; tails refcount 0
                      kernel    allocated kernel page (refcount 1)
                      reserved  PG_reserved (memblock, kernel image, holes)
                      slab      PG_slab, slab_cache in mapping; order N>0: compound
                                (PG_head, tails with compound_head, first tail's
                                dtor/order)
                      cache     file page cache on the LRU (mapping = address_space)
                      private   the same with PG_private (buffer heads)
                      anon      anonymous: mapping = anon_vma|1, mapped once
                    step=S: blocks of 2^N pages (N default 0, free: 10) every S pages.
                    With any mm line the whole mem_map is written (64 bytes per 4 KiB
                    page, dense: 16 GiB at 1 TiB) section by section; pfns no mm line
                    names are 'kernel', the generator's own memory and non-RAM pfns
                    of present sections 'reserved'.  Later lines win; contiguous free
                    ranges are cut around later lines and generator memory and laid
                    out in aligned blocks the way memblock frees them.  'page' lines
                    apply on top.  FACTS gets mm_free (free pages laid out).
  vi KEY=VALUE      add or replace a VMCOREINFO line;  vi -KEY  removes one
  novmcoreinfo      no VMCOREINFO note at all
  badnote           append a note whose descsz (0xfffffff0) overruns the PT_NOTE
  phnum N           write N into e_phnum (garbage program header count)
  truncate SIZE     cut the output file to SIZE bytes
  ptcorrupt VA LEVEL X  replace the page-table entry that maps VA at LEVEL
                    (pml5 pgd pud pmd pte) with X (e.g. to make a loop or garbage)

  The kernel log (--dump-dmesg).  Records are logged in order the way the
  era's kernel does it, so a small ring wraps and drops its oldest records:
  printk ERA [K=V ..]  plant a log of ERA and export that era's VMCOREINFO keys:
                    prb       5.10+ lockless printk_ringbuffer (clear_seq is a
                              latched_seq unless 'kernel 5.10')
                    records   3.5-5.9 struct printk_log records in log_buf
                    records-log  the same with 3.5-3.10's "struct log" key names
                    chars     <=3.4 character ring ("<6>[ts] text\n" per record)
                    options: descbits=N (prb: 2^N descriptors, default 4)
                    databits=N (prb: 2^N-byte text ring, default 10)
                    firstid=X (prb: id of the first record, default 0)
                    buflen=N (records/chars: log_buf_len, default 1024)
                    clear=N  "dmesg -c" just before record N is logged
  msg SEC.FRAC TEXT one record: timestamp in seconds, TEXT with \n \t \xNN
                    escapes (write '#' as \x23); no TEXT = a data-less record
  printkset F=V ..  overwrite a ring variable after logging: prb: head_id
                    tail_id count_bits size_bits descs infos data clear_seq;
                    records: first_idx next_idx clear_idx buflen log_buf;
                    chars: log_end logged_chars buflen log_buf
  msgset N F=V ..   overwrite fields of the Nth msg (0-based) after logging:
                    prb: state(0-3) id begin next text_len seq;
                    records: len text_len ts

STYLES (what the generated VMCOREINFO says; page-flag bit numbers follow 6.1
for <=6.9 and 6.12 for >=6.10; they are what the kernels export, readers
must take them from VMCOREINFO)
  5.10 6.1 6.2  OFFSET(page.compound_dtor/compound_order), PG_slab, HUGETLB_PAGE_DTOR,
                PAGE_BUDDY_MAPCOUNT_VALUE=-129, PAGE_OFFLINE_MAPCOUNT_VALUE=-257
  6.3           OFFSET(folio._folio_dtor/_folio_order) instead of the page.* offsets
  6.6           no dtor/order offsets (order in tail flags), NUMBER(PG_hugetlb)
  6.9           PAGE_HUGETLB_MAPCOUNT_VALUE=-2049 (hugetlb is a page type)
  6.10          PAGE_SLAB_MAPCOUNT_VALUE=-4097, no PG_slab
  6.12          page types in the top byte (buddy -268435456 ...), SYMBOL(vmemmap),
                NUMBER(VMALLOC_START), PG_hwpoison
  6.16          + PAGE_UNACCEPTED_MAPCOUNT_VALUE=-150994944
  7.1           OFFSET(page.compound_info) instead of OFFSET(page.compound_head)

Physical memory the generator uses itself (page tables, mem_section, vmemmap
backing) is listed in FACTS as meta_pfns and vmemmap_backing; do not put
'data' there.
"""
import bisect
import codecs
import os
from array import array
import random
import struct
import sys

PAGE = 4096
START_KERNEL_MAP = 0xffffffff80000000
M64 = (1 << 64) - 1


def num(s):
    s = s.strip()
    mult = 1
    if s and s[-1] in 'KMGTkmgt':
        mult = 1024 ** ('KMGT'.index(s[-1].upper()) + 1)
        s = s[:-1]
    return int(s, 0) * mult


def rng(s):
    a, b = s.split('-', 1)
    return num(a), num(b)


def pfns(s):
    if '-' in s:
        a, b = s.split('-', 1)
        return range(num(a), num(b) + 1)
    return range(num(s), num(s) + 1)


MM_KINDS = ('free', 'kernel', 'reserved', 'slab', 'cache', 'private', 'anon')


def zone_flags(pfn):
    """page->flags above the page-flag bits, as a Debian 6.1 x86_64 kernel sets them
    (sparse vmemmap: no section bits; node 0; ZONES_PGOFF 51; last_cpupid all ones in
    bits 30-50): DMA below 16M, DMA32 below 4G, Normal above."""
    zone = 0 if pfn < 0x1000 else 1 if pfn < 0x100000 else 2
    return zone << 51 | 0x1fffff << 30


ZONE_CUTS = (0x1000, 0x100000)


def iv_merge(ivs):
    out = []
    for a, b in sorted(tuple(x) for x in ivs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        elif a < b:
            out.append([a, b])
    return out


def iv_subtract(ivs, cuts):
    """[a, b) intervals minus the cuts."""
    cuts = iv_merge(cuts)
    out = []
    for a, b in ivs:
        i = bisect.bisect_right(cuts, [a, 1 << 64]) - 1
        i = max(i, 0)
        while a < b and i < len(cuts):
            c, d = cuts[i]
            if d <= a:
                i += 1
                continue
            if c >= b:
                break
            if c > a:
                out.append((a, c))
            a = max(a, d)
            i += 1
        if a < b:
            out.append((a, b))
    return out


STYLE_ORDER = ['5.10', '6.1', '6.2', '6.3', '6.6', '6.9', '6.10', '6.12', '6.16', '7.1']


def vmcoreinfo_lines(style, g):
    """VMCOREINFO as the kernel of @style would write it, in kernel order."""
    v = STYLE_ORDER.index(style)
    ge = lambda s: v >= STYLE_ORDER.index(s)
    L = [('OSRELEASE', style + '.0-synth'),
         ('BUILD-ID', '00112233445566778899aabbccddeeff00112233'),
         ('PAGESIZE', '4096'),
         ('SYMBOL(init_uts_ns)', '%x' % g.sym['init_uts_ns']),
         ('OFFSET(uts_namespace.name)', '0'),
         ('SYMBOL(node_online_map)', '%x' % (g.stext + 0x1e6a5e0)),
         ('SYMBOL(swapper_pg_dir)', '%x' % g.sym['init_top_pgt']),
         ('SYMBOL(_stext)', '%x' % g.stext)]
    if not ge('6.12'):
        L.append(('SYMBOL(vmap_area_list)', '%x' % (g.stext + 0x1e00000)))
    else:
        L.append(('NUMBER(VMALLOC_START)', '0x%x' % g.vmalloc_start))
        L.append(('SYMBOL(vmemmap)', '%x' % g.vmemmap))
    L += [('SYMBOL(mem_section)', '%x' % g.mem_section_va),
          ('LENGTH(mem_section)', str(g.nr_roots)),
          ('SIZE(mem_section)', '16'),
          ('OFFSET(mem_section.section_mem_map)', '0'),
          ('NUMBER(SECTION_SIZE_BITS)', '27'),
          ('NUMBER(MAX_PHYSMEM_BITS)', str(g.max_physmem_bits)),
          ('SIZE(page)', '64'),
          ('OFFSET(page.flags)', '0'),
          ('OFFSET(page._refcount)', '52'),
          ('OFFSET(page.mapping)', '24'),
          ('OFFSET(page.lru)', '8'),
          ('OFFSET(page._mapcount)', '48'),
          ('OFFSET(page.private)', '40')]
    if not ge('6.3'):
        L += [('OFFSET(page.compound_dtor)', '16'), ('OFFSET(page.compound_order)', '17')]
    elif not ge('6.6'):
        L += [('OFFSET(folio._folio_dtor)', '80'), ('OFFSET(folio._folio_order)', '81')]
    L.append(('OFFSET(page.compound_info)' if ge('7.1') else 'OFFSET(page.compound_head)', '8'))
    L += [('OFFSET(zone.free_area)', '256'), ('LENGTH(zone.free_area)', '11'),
          ('LENGTH(free_area.free_list)', '5'), ('NUMBER(NR_FREE_PAGES)', '0')]
    if ge('6.10'):
        L += [('NUMBER(PG_lru)', '5'), ('NUMBER(PG_private)', '14'),
              ('NUMBER(PG_swapcache)', '10'), ('NUMBER(PG_swapbacked)', '17')]
    else:
        L += [('NUMBER(PG_lru)', '4'), ('NUMBER(PG_private)', '13'),
              ('NUMBER(PG_swapcache)', '10'), ('NUMBER(PG_swapbacked)', '19'),
              ('NUMBER(PG_slab)', '9')]
    if ge('6.12'):
        L += [('NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)', '-184549376'), ('NUMBER(PG_hwpoison)', '20'),
              ('NUMBER(PG_head_mask)', '64'), ('NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)', '-268435456'),
              ('NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)', '-201326592'),
              ('NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)', '-251658240')]
        if ge('6.16'):
            L.append(('NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)', '-150994944'))
    else:
        if ge('6.10'):
            L.append(('NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)', '-4097'))
        L += [('NUMBER(PG_head_mask)', '64' if ge('6.10') else '65536'),
              ('NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)', '-129')]
        if ge('6.9'):
            L.append(('NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)', '-2049'))
        elif ge('6.6'):
            L.append(('NUMBER(PG_hugetlb)', '5'))
        else:
            L.append(('NUMBER(HUGETLB_PAGE_DTOR)', '2'))
        L.append(('NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)', '-257'))
    L += [('NUMBER(phys_base)', str(g.phys_base - (1 << 64) if g.phys_base >> 63 else g.phys_base)),
          ('SYMBOL(init_top_pgt)', '%x' % g.sym['init_top_pgt']),
          ('NUMBER(pgtable_l5_enabled)', '1' if g.levels == 5 else '0'),
          ('KERNELOFFSET', '%x' % g.kaslr),
          ('NUMBER(KERNEL_IMAGE_SIZE)', '1073741824'),
          ('NUMBER(sme_mask)', str(g.sme_mask)),
          ('CRASHTIME', '1795318895')]
    return L


class Gen:
    def __init__(self):
        self.style = '6.12'
        self.ram = []            # [start, end, fileend]
        self.nosection = []      # (start, end) of ram lines the kernel has no section for
        self.section_raw = {}    # (start, end) -> section_mem_map written for its sections
        self.cpus = 2
        self.levels = 4
        self.kaslr = 0x28400000
        self.kphys = 16 << 20
        self.page_offset = None
        self.vmemmap = None
        self.sme_mask = 0
        self.qemu = False
        self.data = []
        self.pagedefault = None
        self.pages = []
        self.mm = []              # (kind, first, end, order, step), pfns [first, end)
        self.bulkdata = []        # (first, end, seed) 'pool' data, written at write time
        self.patches = {}         # section -> [(offset in its vmemmap chunk, bytes)]
        self.vi_set = []
        self.vi_drop = []
        self.no_vi = False
        self.badnote = False
        self.phnum = None
        self.truncate = None
        self.ptcorrupt = []
        self.printk = None        # (era, {opt: value})
        self.msgs = []            # (ts_nsec, bytes or None)
        self.printkset = {}
        self.msgset = []          # (n, {field: value})
        self.mem = {}            # pfn -> bytearray
        self.meta = []           # pfns used by the generator

    # ---- description ----
    def parse(self, text):
        for ln, line in enumerate(text.splitlines(), 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            w = line.split()
            d, a = w[0], w[1:]
            try:
                self.directive(d, a, line)
            except (ValueError, IndexError, KeyError) as e:
                sys.exit('mkvmcore: line %d: %s: %s' % (ln, line, e))
        if not self.ram:
            self.ram = [[0, 0x9fc00, 0x9fc00], [0x100000, 64 << 20, 64 << 20]]
        if self.page_offset is None:
            self.page_offset = 0xffff8a2c80000000 if self.levels == 4 else 0xff4a2c8000000000
        if self.vmemmap is None:
            self.vmemmap = 0xfffff3c1c0000000 if self.levels == 4 else 0xffd3c1c000000000

    def directive(self, d, a, line):
        if d == 'kernel':
            if a[0] not in STYLE_ORDER:
                raise ValueError('unknown kernel style (want one of %s)' % ' '.join(STYLE_ORDER))
            self.style = a[0]
        elif d == 'ram':
            s, e = rng(a[0])
            f = e
            for o in a[1:]:
                if o == 'nosection':
                    self.nosection.append((s, e))
                    continue
                k, v = o.split('=')
                if k == 'section':
                    self.nosection.append((s, e))
                    self.section_raw[(s, e)] = num(v)
                    continue
                if k != 'nodata':
                    raise ValueError('unknown ram option ' + k)
                f = num(v)
            if not s <= f <= e or s >= e:
                raise ValueError('bad range')
            self.ram.append([s, e, f])
        elif d in ('cpus', 'levels', 'kaslr', 'kphys', 'page_offset', 'vmemmap', 'sme_mask',
                   'phnum', 'truncate'):
            setattr(self, d, num(a[0]))
        elif d == 'qemu':
            self.qemu = True
        elif d == 'novmcoreinfo':
            self.no_vi = True
        elif d == 'badnote':
            self.badnote = True
        elif d == 'data':
            self.data.append((pfns(a[0]), ' '.join(a[1:])))
        elif d == 'pagedefault':
            self.pagedefault = a
        elif d == 'page':
            self.pages.append((pfns(a[0]), a[1:]))
        elif d == 'mm':
            if a[0] not in MM_KINDS:
                raise ValueError('unknown mm kind (want %s)' % ' '.join(MM_KINDS))
            r = pfns(a[1])
            o = dict((k, num(v)) for k, v in (x.split('=', 1) for x in a[2:]))
            if set(o) - {'order', 'step'}:
                raise ValueError('unknown mm option (want order= step=)')
            order = o.get('order', 10 if a[0] == 'free' else 0)
            step = o.get('step', 0)
            if not 0 <= order <= 10 or (step and step < 1 << order):
                raise ValueError('order must be 0..10 and step >= 2^order')
            self.mm.append((a[0], r.start, r.stop, order, step))
        elif d == 'vi':
            if a[0].startswith('-'):
                self.vi_drop.append(a[0][1:])
            else:
                k, v = line.split(None, 1)[1].split('=', 1)
                self.vi_set.append((k, v))
        elif d == 'printk':
            if a[0] not in ('prb', 'records', 'records-log', 'chars'):
                raise ValueError('unknown printk era (want prb records records-log chars)')
            self.printk = (a[0], dict((k, num(v)) for k, v in (o.split('=', 1) for o in a[1:])))
        elif d == 'msg':
            rest = line.split(None, 2)
            sec, _, frac = rest[1].partition('.')
            ts = int(sec) * 1000000000 + int((frac + '000000000')[:9])
            text = codecs.escape_decode(rest[2].encode())[0] if len(rest) > 2 else None
            self.msgs.append((ts, text))
        elif d == 'printkset':
            self.printkset.update((k, num(v)) for k, v in (o.split('=', 1) for o in a))
        elif d == 'msgset':
            self.msgset.append((num(a[0]), dict((k, num(v)) for k, v in (o.split('=', 1) for o in a[1:]))))
        elif d == 'ptcorrupt':
            self.ptcorrupt.append((num(a[0]), a[1], num(a[2])))
        else:
            raise ValueError('unknown directive')

    # ---- physical memory ----
    def page(self, pfn):
        p = self.mem.get(pfn)
        if p is None:
            p = self.mem[pfn] = bytearray(PAGE)
        return p

    def wphys(self, pa, b):
        while b:
            n = min(len(b), PAGE - pa % PAGE)
            self.page(pa // PAGE)[pa % PAGE:pa % PAGE + n] = b[:n]
            pa += n
            b = b[n:]

    def rphys64(self, pa):
        p = self.mem.get(pa // PAGE)
        return struct.unpack_from('<Q', p, pa % PAGE)[0] if p else 0

    def has_file(self, a, b):
        return any(s <= a and b <= f for s, e, f in self.ram)

    def alloc_meta(self, n=1):
        pa = self.meta_next
        if not self.has_file(pa, pa + n * PAGE):
            raise SystemExit('mkvmcore: no RAM for generator data at %#x (grow the ram range holding kphys)' % pa)
        self.meta_next += n * PAGE
        for i in range(n):
            self.meta.append(pa // PAGE + i)
            self.page(pa // PAGE + i)
        return pa

    # ---- page tables ----
    SHIFTS = {'pml5': 48, 'pgd': 39, 'pud': 30, 'pmd': 21, 'pte': 12}

    def levels_list(self):
        return (['pml5'] if self.levels == 5 else []) + ['pgd', 'pud', 'pmd', 'pte']

    def map(self, va, pa, size):
        leaf = {PAGE: 'pte', 2 << 20: 'pmd', 1 << 30: 'pud'}[size]
        table = self.root
        for lv in self.levels_list():
            slot = table + ((va >> self.SHIFTS[lv]) & 511) * 8
            if lv == leaf:
                e = pa | 0x63 | (0x80 if lv != 'pte' else 0) | self.sme_mask
                struct.pack_into('<Q', self.page(slot // PAGE), slot % PAGE, e)
                return
            e = self.rphys64(slot)
            if not e & 1:
                t = self.alloc_meta()
                e = t | 0x63 | self.sme_mask
                struct.pack_into('<Q', self.page(slot // PAGE), slot % PAGE, e)
            table = e & 0x000ffffffffff000 & ~self.sme_mask

    def entry_slot(self, va, level):
        table = self.root
        for lv in self.levels_list():
            slot = table + ((va >> self.SHIFTS[lv]) & 511) * 8
            if lv == level:
                return slot
            table = self.rphys64(slot) & 0x000ffffffffff000 & ~self.sme_mask
        raise ValueError('no level ' + level)

    def map_range(self, va, pa, length, big=True):
        end = pa + length
        while pa < end:
            for size in ((1 << 30, 2 << 20) if big else ()) + (PAGE,):
                if pa % size == 0 and va % size == 0 and pa + size <= end:
                    break
            self.map(va, pa, size)
            va += size
            pa += size

    # ---- struct page ----
    def spage_va(self, pfn):
        return self.vmemmap + pfn * 64

    def spage_pa(self, pfn):
        sec = pfn >> 15
        return self.vmm_backing[sec] + (pfn & 0x7fff) * 64

    def set_fields(self, pfn, fields):
        if pfn >> 15 not in self.vmm_backing:
            raise SystemExit('mkvmcore: pfn %#x is not in a present section' % pfn)
        base = self.spage_pa(pfn)
        v = STYLE_ORDER.index(self.style)
        for f in fields:
            k, val = f.split('=', 1)
            if k.startswith('@'):
                off, size = k[1:].split(':')
                off, size = num(off), num(size)
            else:
                off, size = {'flags': (0, 8), 'mapping': (24, 8), 'private': (40, 8),
                             'mapcount': (48, 4), 'refcount': (52, 4), 'head': (8, 8),
                             'tailof': (8, 8), 'lru': (8, 8)}.get(k, (None, None))
                if k == 'order':
                    off, size = (17 if v < STYLE_ORDER.index('6.6') else 0), 1
                elif k == 'dtor':
                    if v >= STYLE_ORDER.index('6.6'):
                        raise SystemExit('mkvmcore: kernel %s has no compound_dtor' % self.style)
                    off, size = 16, 1
                if off is None:
                    raise SystemExit('mkvmcore: unknown struct page field ' + k)
            x = num(val)
            if k == 'tailof':
                x = self.spage_va(x) | 1
            x &= (1 << (8 * size)) - 1
            if self.mm:
                self.patches.setdefault(pfn >> 15, []).append(
                    ((pfn & 0x7fff) * 64 + off, x.to_bytes(size, 'little')))
            else:
                self.wphys(base + off, x.to_bytes(size, 'little'))

    # ---- bulk mem_map (mm lines) ----
    def owned(self, a, b):
        """Does pfn range [a, b) touch generator memory?"""
        i = bisect.bisect_left(self.gen_ranges, (b, 0))
        return any(x < b and a < y for x, y in self.gen_ranges[max(0, i - 600):i])

    def mm_plan(self, secs):
        """Resolve the mm lines into runs; free ranges become aligned buddy blocks."""
        ram = iv_merge([((s + PAGE - 1) // PAGE, e // PAGE) for s, e, f in self.ram])
        present = iv_merge([(x << 15, (x + 1) << 15) for x in secs])
        gen = [(a, b) for a, b in self.gen_ranges] + [(self.kphys // PAGE, self.kphys // PAGE + 1024)]
        self.mm_res = iv_merge(gen + iv_subtract([tuple(x) for x in present], ram))
        self.mm_other = []
        free_runs = []
        n = len(self.mm)
        for i, (kind, a, b, order, step) in enumerate(self.mm):
            if kind != 'free' or step:
                self.mm_other.append((kind, a, b, order, step or 1 << order))
                continue
            cuts = list(self.mm_res)
            for kind2, a2, b2, order2, step2 in self.mm[i + 1:]:
                if not step2:
                    cuts.append((a2, b2))
                else:
                    cuts += [(x, min(x + (1 << order2), b2)) for x in range(a2, b2, step2)]
            ivs = iv_subtract(iv_subtract([(a, b)], cuts), iv_subtract([(0, 1 << 52)], ram))
            for x, y in ivs:
                while x < y:
                    o = order
                    while x & ((1 << o) - 1) or x + (1 << o) > y:
                        o -= 1
                    free_runs.append((x, o))
                    x += 1 << o
        # blocks of one order at a constant stride become one run (start, end, order, stride)
        runs = []
        for x, o in sorted(free_runs):
            if runs and runs[-1][2] == o:
                s, e, o2, st, c = runs[-1]
                if (c == 1 and x - s <= 4 << o) or (c > 1 and x == s + c * st):
                    runs[-1] = [s, x + (1 << o), o, x - s if c == 1 else st, c + 1]
                    continue
            runs.append([x, x + (1 << o), o, 1 << o, 1])
        self.mm_free = {}        # section -> runs touching it
        for r in runs:
            for sec in range(r[0] >> 15, ((r[1] - 1) >> 15) + 1):
                self.mm_free.setdefault(sec, []).append(tuple(r[:4]))
        self.mm_free_pages = sum(r[4] << r[2] for r in runs)

    def mm_fields(self, kind, order, j, step=0):
        """qword values 0-7 of the struct page j pages into a block (0: head or a
        plain page): an int, ('va', add) for vmemmap + pfn*64 + add, or ('idx', base)
        for base + pfn - run start; q0 gets zone_flags() ORed in.  Values as a
        Debian 6.1 vmcore shows them."""
        po = self.page_offset
        self_lru = ('va', 8)
        if kind in ('kernel', 'reserved'):
            return [0x1000 if kind == 'reserved' else 0, self_lru, self_lru, 0, 0, 0, 0x1ffffffff, 0]
        if kind == 'free':
            if j:                      # tail: refcount 0, _mapcount -1
                return [0, self_lru, self_lru, 0, 0, 0, 0xffffffff, 0]
            blk = 64 * (step or 1 << order)   # head: PageBuddy, private = order, on a free list
            return [0, ('va', 8 + blk), ('va', 8 - blk), 0, 0, order, 0xffffff7f, 0]
        if kind == 'slab':
            if not j:                  # slab_list poisoned, slab_cache, counters
                return [0x200 | (0x10000 if order else 0), 0, 0xdead000000000122, po + 0x2f7500,
                        0, 0x80240024, 0x1ffffffff, 0]
            # tail: compound_head; the first tail has dtor 1 (COMPOUND_PAGE_DTOR), the
            # order, compound_mapcount -1 and compound_nr
            first = j == 1
            return [0, ('va', 1 - 64 * j), (0xffffffff00000000 | order << 8 | 1) if first else 0,
                    (1 << order) << 32 if first else 0, 0, 0, 0xffffffff, 0]
        lru = [('va', 8 - 64), ('va', 8 + 64)]
        memcg = po + 0x14b000
        if kind == 'anon':
            return [0x80014] + lru + [(po + 0x16554e0) | 1, ('idx', 0x7fd7b0000), 0, 0x100000000, memcg]
        return ([0x2016 if kind == 'private' else 0x16] + lru +
                [po + 0x1949d98, ('idx', 0), po + 0x3000000 if kind == 'private' else 0, 0x1ffffffff, memcg])

    def mm_put(self, arr, s0, x, y, j, step, fields):
        """Write fields to pages x + j + k*step (k >= 0) inside [x, y) and the section."""
        lo, hi = max(x, s0), min(y, s0 + 32768)
        for zlo, zhi in self.zone_pieces(lo, hi):
            k0 = max(0, -(-(zlo - x - j) // step))
            p0 = x + j + k0 * step
            if p0 >= zhi:
                continue
            cnt = (zhi - 1 - p0) // step + 1
            z = zone_flags(p0)
            i0, i1 = (p0 - s0) * 8, (p0 - s0 + (cnt - 1) * step) * 8 + 1
            for q, v in enumerate(fields):
                if q == 0:
                    v |= z
                if isinstance(v, int):
                    vals = array('Q', [v]) * cnt
                elif v[0] == 'va':
                    b = self.vmemmap + p0 * 64 + v[1]
                    vals = array('Q', range(b, b + cnt * step * 64, step * 64))
                else:
                    b = v[1] + p0 - x
                    vals = array('Q', range(b, b + cnt * step, step))
                arr[i0 + q:i1 + q:step * 8] = vals

    @staticmethod
    def zone_pieces(lo, hi):
        cuts = [c for c in ZONE_CUTS if lo < c < hi]
        edges = [lo] + cuts + [hi]
        return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1) if edges[i] < edges[i + 1]]

    def mm_write(self, arr, s0, kind, x, y, order, step):
        """Blocks of 2^order pages every step pages from x, clipped to [x, y)."""
        n = 1 << order
        if kind == 'free' or (kind == 'slab' and order):
            if kind == 'free' and step == n:
                self.mm_put(arr, s0, x, y, 0, 1, self.mm_fields(kind, order, 1))
            else:
                for j in range(1, n):
                    self.mm_put(arr, s0, x, y, j, step, self.mm_fields(kind, order, j))
            self.mm_put(arr, s0, x, y, 0, step, self.mm_fields(kind, order, 0, step))
        elif step == n:
            self.mm_put(arr, s0, x, y, 0, 1, self.mm_fields(kind, order, 0))
        else:
            for j in range(n):
                self.mm_put(arr, s0, x, y, j, step, self.mm_fields(kind, order, 0))

    def mm_section(self, sec):
        """The 2 MiB of struct pages of one section."""
        s0, s1 = sec << 15, (sec + 1) << 15
        arr = array('Q', bytes(2 << 20))
        self.mm_write(arr, s0, 'kernel', s0, s1, 0, 1)
        for kind, x, y, order, step in self.mm_other:
            if x < s1 and s0 < y:
                self.mm_write(arr, s0, kind, x, y, order, step)
        for x, y, o, st in self.mm_free.get(sec, ()):
            self.mm_write(arr, s0, 'free', x, y, o, st)
        i = max(0, bisect.bisect_right(self.mm_res, [s0, 1 << 64]) - 1)
        while i < len(self.mm_res) and self.mm_res[i][0] < s1:
            x, y = self.mm_res[i]
            if y > s0:
                self.mm_write(arr, s0, 'reserved', x, y, 0, 1)
            i += 1
        if sec in self.patches:
            buf = bytearray(arr.tobytes())
            for off, b in self.patches[sec]:
                buf[off:off + len(b)] = b
            return buf
        return arr.tobytes()

    @staticmethod
    def pool_pages(seed):
        """64 pages of kernel-like data: 64-byte objects of direct-map pointers and
        small integers (40%), zeros (40%), random bytes (20%)."""
        r = random.Random('pool/' + seed)
        out = bytearray()
        for _ in range(64 * PAGE // 64):
            x = r.random()
            if x < 0.4:
                out += struct.pack('<8Q', *[0xffff8a2c80000000 + (r.getrandbits(24) << 6) if r.random() < 0.6
                                            else r.getrandbits(12) for _ in range(8)])
            elif x < 0.8:
                out += bytes(64)
            else:
                out += r.randbytes(64)
        return bytes(out)

    # ---- build ----
    def build(self):
        if self.kaslr % (2 << 20) or self.kphys % (2 << 20):
            raise SystemExit('mkvmcore: kaslr and kphys must be 2M aligned')
        if self.levels not in (4, 5):
            raise SystemExit('mkvmcore: levels must be 4 or 5')
        self.stext = START_KERNEL_MAP + 0x1000000 + self.kaslr
        # __pa(kernel image address) = va - __START_KERNEL_map + phys_base
        self.phys_base = (self.kphys - (self.stext - START_KERNEL_MAP)) & M64
        self.max_physmem_bits = 52 if self.levels == 5 else 46
        self.nr_roots = (1 << (self.max_physmem_bits - 27)) // 256
        self.vmalloc_start = 0xffffd2e300000000 if self.levels == 4 else 0xffa0a2e300000000
        self.sym = {'init_top_pgt': self.stext + 0x1000, 'init_uts_ns': self.stext + 0x2000}
        if not self.has_file(self.kphys, self.kphys + (4 << 20)):
            raise SystemExit('mkvmcore: kphys %#x: the 4M kernel image needs file-backed RAM' % self.kphys)
        self.meta = list(range(self.kphys // PAGE, self.kphys // PAGE + 3))
        self.meta_next = self.kphys + (4 << 20)
        self.root = self.kphys + 0x1000
        self.page(self.root // PAGE)
        # kernel image: text page, root table, init_uts_ns
        t = b'\x0f\x0b\xcc\x90' * (PAGE // 4)
        self.wphys(self.kphys, t)
        uts = b''
        for f in ('Linux', 'synth', self.style + '.0-synth', '#1 SMP PREEMPT_DYNAMIC synth',
                  'x86_64', '(none)'):
            uts += f.encode().ljust(65, b'\0')
        self.wphys(self.kphys + 0x2000, uts)
        # image: first 2M with 4K PTEs, second 2M with one large page
        self.map_range(self.stext, self.kphys, 2 << 20, big=False)
        self.map_range(self.stext + (2 << 20), self.kphys + (2 << 20), 2 << 20)
        # direct map of every RAM range, whole pages, largest pages that fit
        for s, e, f in self.ram:
            a = s & ~(PAGE - 1)
            b = (e + PAGE - 1) & ~(PAGE - 1)
            self.map_range(self.page_offset + a, a, b - a)
        # sections present = those intersecting RAM; vmemmap backing 2M each,
        # taken top-down from file-backed RAM above the generator's own area
        secs = sorted({x for s, e, f in self.ram if (s, e) not in self.nosection
                       for x in range(s >> 27, ((e - 1) >> 27) + 1)})
        self.vmm_backing = {}
        chunks = []
        for s, e, f in sorted(self.ram, reverse=True):
            top = f & ~((2 << 20) - 1)
            lo = max(s, self.kphys + (8 << 20)) if s <= self.kphys < e else s
            while top - (2 << 20) >= lo and len(chunks) < len(secs):
                top -= 2 << 20
                chunks.append(top)
        if len(chunks) < len(secs):
            raise SystemExit('mkvmcore: not enough RAM for %d vmemmap chunks' % len(secs))
        for sec, pa in zip(secs, chunks):
            self.vmm_backing[sec] = pa
            self.map(self.vmemmap + sec * (32768 * 64), pa, 2 << 20)
        # mem_section: root array and one page of sections per used root
        # (SPARSEMEM_EXTREME; the root array is allocated in the direct map)
        roots = self.alloc_meta((self.nr_roots * 8 + PAGE - 1) // PAGE)
        self.mem_section_va = self.page_offset + roots
        # encoded mem_map = mem_map - section_start_pfn, i.e. the vmemmap
        # base itself; low bits: PRESENT|HAS_MEM_MAP|ONLINE|EARLY
        entries = {sec: self.vmemmap | 0xf for sec in secs}
        for (s, e), v in self.section_raw.items():
            for sec in range(s >> 27, ((e - 1) >> 27) + 1):
                entries.setdefault(sec, v)
        for sec in sorted(entries):
            r, i = divmod(sec, 256)
            rp = self.rphys64(roots + r * 8)
            if not rp:
                pa = self.alloc_meta()
                rp = self.page_offset + pa
                self.wphys(roots + r * 8, struct.pack('<Q', rp))
            self.wphys(rp - self.page_offset + i * 16, struct.pack('<Q', entries[sec]))
        # contents
        self.gen_ranges = sorted([(p, p + 1) for p in self.meta] +
                                 [(c // PAGE, c // PAGE + 512) for c in chunks])
        for rg, kind in self.data:
            if kind == 'pool' or kind.startswith('pool:'):
                if self.owned(rg.start, rg.stop):
                    raise SystemExit('mkvmcore: data %#x-%#x collides with generator memory'
                                     % (rg.start, rg.stop - 1))
                self.bulkdata.append((rg.start, rg.stop, kind[5:] or '0'))
                continue
            for pfn in rg:
                if pfn in self.meta or any(pfn * PAGE >= c and pfn * PAGE < c + (2 << 20) for c in chunks):
                    raise SystemExit('mkvmcore: data at pfn %#x collides with generator memory' % pfn)
                if kind == 'zero':
                    self.mem.pop(pfn, None)
                elif kind.startswith('byte:'):
                    self.mem[pfn] = bytearray([num(kind[5:])]) * PAGE
                elif kind.startswith('random'):
                    seed = kind.split(':', 1)[1] if ':' in kind else '0'
                    r = random.Random('%s/%d' % (seed, pfn))
                    self.mem[pfn] = bytearray(r.getrandbits(8) for _ in range(PAGE))
                elif kind.startswith('text:'):
                    w = (kind[5:] + ' ').encode()
                    self.mem[pfn] = bytearray((w * (PAGE // len(w) + 1))[:PAGE])
                else:
                    raise SystemExit('mkvmcore: unknown data kind ' + kind)
        if self.mm:
            if self.style not in ('5.10', '6.1', '6.2'):
                raise SystemExit('mkvmcore: mm lines need kernel 5.10, 6.1 or 6.2 (got %s)' % self.style)
            if self.pagedefault:
                raise SystemExit('mkvmcore: mm and pagedefault do not mix')
            self.mm_plan(secs)
        if self.pagedefault:
            for sec in secs:
                for pfn in range(sec << 15, (sec + 1) << 15):
                    self.set_fields(pfn, self.pagedefault)
        for rg, fields in self.pages:
            for pfn in rg:
                self.set_fields(pfn, fields)
        if self.printk:
            self.build_printk()
        for va, lv, x in self.ptcorrupt:
            slot = self.entry_slot(va, lv)
            self.wphys(slot, struct.pack('<Q', x & M64))

    # ---- kernel log ----
    # Everything lives in the kernel image from 1M on (mapped, file-backed):
    # variables at +1M, the rings from +1M+4K.
    def wva(self, va, b):
        self.wphys(va - self.stext + self.kphys, b)

    def printk_syms(self):
        v = self.stext + 0x100000
        return {'prb': v, 'printk_rb_static': v + 0x40, 'clear_seq': v + 0x100,
                'log_buf': v + 0x200, 'log_buf_len': v + 0x208, 'log_first_idx': v + 0x210,
                'log_next_idx': v + 0x214, 'clear_idx': v + 0x218, 'log_end': v + 0x220,
                'logged_chars': v + 0x224, 'area': v + 0x1000}

    def printk_vi(self):
        era, _ = self.printk
        sy = self.printk_syms()
        S = lambda n: ('SYMBOL(%s)' % n, '%x' % sy[n])
        if era == 'prb':
            L = [S('prb'), S('printk_rb_static'), S('clear_seq'),
                 ('SIZE(printk_ringbuffer)', '88'), ('OFFSET(printk_ringbuffer.desc_ring)', '0'),
                 ('OFFSET(printk_ringbuffer.text_data_ring)', '48'),
                 ('OFFSET(printk_ringbuffer.fail)', '80'), ('SIZE(prb_desc_ring)', '48'),
                 ('OFFSET(prb_desc_ring.count_bits)', '0'), ('OFFSET(prb_desc_ring.descs)', '8'),
                 ('OFFSET(prb_desc_ring.infos)', '16'), ('OFFSET(prb_desc_ring.head_id)', '24'),
                 ('OFFSET(prb_desc_ring.tail_id)', '32'), ('SIZE(prb_desc)', '24'),
                 ('OFFSET(prb_desc.state_var)', '0'), ('OFFSET(prb_desc.text_blk_lpos)', '8'),
                 ('SIZE(prb_data_blk_lpos)', '16'), ('OFFSET(prb_data_blk_lpos.begin)', '0'),
                 ('OFFSET(prb_data_blk_lpos.next)', '8'), ('SIZE(printk_info)', '88'),
                 ('OFFSET(printk_info.seq)', '0'), ('OFFSET(printk_info.ts_nsec)', '8'),
                 ('OFFSET(printk_info.text_len)', '16'), ('OFFSET(printk_info.caller_id)', '20'),
                 ('OFFSET(printk_info.dev_info)', '24'), ('SIZE(prb_data_ring)', '32'),
                 ('OFFSET(prb_data_ring.size_bits)', '0'), ('OFFSET(prb_data_ring.data)', '8'),
                 ('OFFSET(prb_data_ring.head_lpos)', '16'), ('OFFSET(prb_data_ring.tail_lpos)', '24')]
            if self.style != '5.10':
                L += [('SIZE(latched_seq)', '24'), ('OFFSET(latched_seq.val)', '8')]
            return L
        if era in ('records', 'records-log'):
            t = 'printk_log' if era == 'records' else 'log'
            return [S('log_buf'), S('log_buf_len'), S('log_first_idx'), S('clear_idx'),
                    S('log_next_idx'), ('SIZE(%s)' % t, '16'), ('OFFSET(%s.ts_nsec)' % t, '0'),
                    ('OFFSET(%s.len)' % t, '8'), ('OFFSET(%s.text_len)' % t, '10')]
        return [S('log_buf'), S('log_end'), S('log_buf_len'), S('logged_chars')]

    def build_printk(self):
        era, opt = self.printk
        sy = self.printk_syms()
        area = sy['area']
        P = lambda fmt, *v: struct.pack('<' + fmt, *v)
        clear = opt.get('clear')
        sets = self.printkset
        if era == 'prb':
            cbits, dbits = opt.get('descbits', 4), opt.get('databits', 10)
            count, size = 1 << cbits, 1 << dbits
            idmask = (1 << 62) - 1
            descs, infos = area, area + count * 24
            data = (infos + count * 88 + 4095) & ~4095
            first = opt.get('firstid', 0)
            desc = {}            # slot -> [sv_state, id, begin, next]
            info = {}            # slot -> [seq, ts, text_len]
            live = []            # (id, begin, next) oldest first, data-backed or not
            lpos = 0
            clear_seq = 0
            recs = {}
            for n, (ts, text) in enumerate(self.msgs):
                if n == clear:
                    clear_seq = n
                rid = (first + n) & idmask
                if text is None:
                    begin = nxt = 1          # FAILED_LPOS: data-less
                else:
                    bsize = (8 + len(text) + 7) & ~7
                    if bsize > size // 2:
                        raise SystemExit('mkvmcore: msg %d does not fit a %d-byte ring' % (n, size))
                    begin = lpos
                    if begin // size == (begin + bsize) // size:
                        nxt = begin + bsize
                    else:
                        nxt = (begin + bsize) // size * size + bsize
                    lpos = nxt
                # drop the oldest records whose descriptor or data we reuse
                while live and (len(live) >= count or
                                (live[0][1] % 2 == 0 and live[0][1] < lpos - size)):
                    oid = live.pop(0)[0]
                    desc[oid % count][0] = 3            # reusable
                slot = rid % count
                desc[slot] = [2, rid, begin, nxt]      # finalized
                info[slot] = [n, ts, len(text or b'')]
                recs[n] = slot
                live.append((rid, begin, nxt))
                if text is not None:
                    off = 0 if nxt // size != begin // size else begin % size
                    self.wva(data + off, P('Q', rid) + text)
            head = (first + len(self.msgs) - 1) & idmask
            tail = live[0][0] if live else head
            for n, f in self.msgset:
                sl = recs[n]
                for k, v in f.items():
                    if k in ('state', 'id', 'begin', 'next'):
                        desc[sl][['state', 'id', 'begin', 'next'].index(k)] = v
                    elif k in ('seq', 'ts', 'text_len'):
                        info[sl][['seq', 'ts', 'text_len'].index(k)] = v
                    else:
                        raise SystemExit('mkvmcore: unknown msgset field ' + k)
            for sl, (stt, i, b, nx) in desc.items():
                self.wva(descs + sl * 24, P('QQQ', (stt << 62 | i) & M64, b & M64, nx & M64))
            for sl, (q, ts, tl) in info.items():
                self.wva(infos + sl * 88, P('QQH', q, ts, tl & 0xffff))
            v = {'count_bits': cbits, 'descs': descs, 'infos': infos, 'head_id': head,
                 'tail_id': tail, 'size_bits': dbits, 'data': data, 'clear_seq': clear_seq}
            v.update(sets)
            rb = sy['printk_rb_static']
            self.wva(sy['prb'], P('Q', rb))
            self.wva(rb, P('IIQQQQ', v['count_bits'], 0, v['descs'], v['infos'],
                           v['head_id'] & M64, v['tail_id'] & M64))
            self.wva(rb + 48, P('IIQQQ', v['size_bits'], 0, v['data'], lpos, 0))
            if self.style == '5.10':
                self.wva(sy['clear_seq'], P('Q', v['clear_seq']))
            else:
                # latch count 2: readers use val[0]; val[1] holds a stale value
                self.wva(sy['clear_seq'], P('IIQQ', 2, 0, v['clear_seq'], 0xdead))
            return
        buflen = opt.get('buflen', 1024)
        buf = area
        if era == 'chars':
            if buflen & (buflen - 1):
                raise SystemExit('mkvmcore: chars buflen must be a power of two')
            ring = bytearray(buflen)
            end = logged = 0
            for n, (ts, text) in enumerate(self.msgs):
                if n == clear:
                    logged = 0
                line = b'<6>[%5d.%06d] ' % (ts // 1000000000, ts % 1000000000 // 1000) + (text or b'') + b'\n'
                for c in line:
                    ring[end % buflen] = c
                    end += 1
                    logged = min(logged + 1, buflen)
            v = {'log_end': end, 'logged_chars': logged, 'buflen': buflen, 'log_buf': buf}
            v.update(sets)
            self.wva(buf, bytes(ring))
            self.wva(sy['log_buf'], P('Q', v['log_buf']))
            self.wva(sy['log_buf_len'], P('I', v['buflen']))
            self.wva(sy['log_end'], P('I', v['log_end'] & 0xffffffff))
            self.wva(sy['logged_chars'], P('I', v['logged_chars']))
            return
        # 3.5-5.9: log_store()/log_make_free_space() as the kernel does them
        HDR = 16
        ring = bytearray(buflen)
        first_idx = next_idx = 0
        first_seq = next_seq = 0
        clear_idx = 0
        at = {}

        def rlen(i):
            return struct.unpack_from('<H', ring, i + 8)[0]

        def log_next(i):
            return rlen(0) if rlen(i) == 0 else i + rlen(i)

        def has_space(msz, empty):
            if next_idx > first_idx or empty:
                free = max(buflen - next_idx, first_idx)
            else:
                free = first_idx - next_idx
            return free >= msz + HDR

        for n, (ts, text) in enumerate(self.msgs):
            if n == clear:
                clear_idx = next_idx
            text = text or b''
            msz = (HDR + len(text) + 3) & ~3
            if msz + HDR > buflen:
                raise SystemExit('mkvmcore: msg %d does not fit log_buf' % n)
            while first_seq < next_seq and not has_space(msz, False):
                first_idx = log_next(first_idx)
                first_seq += 1
            if next_idx + msz + HDR > buflen:
                ring[next_idx:next_idx + HDR] = bytes(HDR)
                next_idx = 0
            ring[next_idx:next_idx + msz] = (P('QHHHBB', ts, msz, len(text), 0, 0, 6) + text).ljust(msz, b'\0')
            at[n] = next_idx
            next_idx += msz
            next_seq += 1
        for n, f in self.msgset:
            i = at[n]
            for k, val in f.items():
                o, fm = {'ts': (0, 'Q'), 'len': (8, 'H'), 'text_len': (10, 'H')}[k]
                struct.pack_into('<' + fm, ring, i + o, val)
        v = {'first_idx': first_idx, 'next_idx': next_idx, 'clear_idx': clear_idx,
             'buflen': buflen, 'log_buf': buf}
        v.update(sets)
        self.wva(buf, bytes(ring))
        self.wva(sy['log_buf'], P('Q', v['log_buf']))
        self.wva(sy['log_buf_len'], P('I', v['buflen']))
        self.wva(sy['log_first_idx'], P('I', v['first_idx']))
        self.wva(sy['log_next_idx'], P('I', v['next_idx']))
        self.wva(sy['clear_idx'], P('I', v['clear_idx']))

    # ---- ELF ----
    def notes(self):
        def note(name, typ, desc):
            n = name + b'\0'
            return (struct.pack('<III', len(n), len(desc), typ) + n.ljust((len(n) + 3) & ~3, b'\0')
                    + desc.ljust((len(desc) + 3) & ~3, b'\0'))
        out = b''
        for cpu in range(self.cpus):
            pr = bytearray(336)              # x86_64 struct elf_prstatus
            struct.pack_into('<I', pr, 32, cpu + 1)     # pr_pid
            out += note(b'CORE', 1, bytes(pr))
        if not self.no_vi:
            lines = vmcoreinfo_lines(self.style, self) + (self.printk_vi() if self.printk else [])
            lines = [(k, v) for k, v in lines if k not in self.vi_drop]
            for k, v in self.vi_set:
                lines = [(a, b) for a, b in lines if a != k] + [(k, v)]
            text = ''.join('%s=%s\n' % kv for kv in lines).encode()
            out += note(b'VMCOREINFO', 0, text)
        if self.badnote:
            out += struct.pack('<III', 5, 0xfffffff0, 1) + b'CORE\0\0\0\0' + bytes(16)
        return out

    def write(self, path):
        notes = self.notes()
        segs = sorted(self.ram)
        phnum = 1 + len(segs)
        shoff = 0
        if self.qemu:
            shoff = 64
            phoff = 64 + 64
        else:
            phoff = 64
        noff = phoff + phnum * 56
        off = (noff + len(notes) + PAGE - 1) & ~(PAGE - 1)
        ph = struct.pack('<IIQQQQQQ', 4, 0, noff, 0, 0, len(notes), len(notes), 0)
        layout = []
        for s, e, f in segs:
            ph += struct.pack('<IIQQQQQQ', 1, 7, off, (self.page_offset + s) & M64, s, f - s, e - s, 0)
            layout.append((s, f, off))
            off += f - s
        total = off
        e_phnum = self.phnum if self.phnum is not None else (phnum if phnum < 0xffff else 0xffff)
        eh = (b'\x7fELF' + bytes([2, 1, 1, 0]) + b'\0' * 8 +
              struct.pack('<HHIQQQIHHHHHH', 4, 62, 1, 0, phoff, shoff, 0, 64, 56, e_phnum & 0xffff,
                          64 if self.qemu else 0, 1 if self.qemu else 0, 0))
        with open(path, 'wb') as fp:
            fp.write(eh)
            if self.qemu:
                # one SHT_NULL section; sh_info carries the real phnum (PN_XNUM)
                fp.write(struct.pack('<IIQQQQIIQQ', 0, 0, 0, 0, 0, 0, 0, phnum, 0, 0))
            fp.write(ph)
            fp.write(notes)
            fd = fp.fileno()

            def wbulk(pa, buf):
                for s, f, o in layout:
                    lo, hi = max(pa, s), min(pa + len(buf), f)
                    if lo < hi:
                        os.pwrite(fd, memoryview(buf)[lo - pa:hi - pa], o + lo - s)
            for a, b, seed in self.bulkdata:
                pool = self.pool_pages(seed)
                pool2 = pool * 2
                x = a
                while x < b:
                    n = min(b - x, 64)
                    r = x % 64
                    wbulk(x * PAGE, pool2[r * PAGE:(r + n) * PAGE])
                    x += n
            if self.mm:
                for sec, pa in sorted(self.vmm_backing.items()):
                    wbulk(pa, self.mm_section(sec))
            for pfn in sorted(self.mem):
                p = self.mem[pfn]
                if not any(p):
                    continue
                a, b = pfn * PAGE, pfn * PAGE + PAGE
                for s, f, o in layout:
                    lo, hi = max(a, s), min(b, f)
                    if lo < hi:
                        fp.seek(o + lo - s)
                        fp.write(p[lo - a:hi - a])
            fp.truncate(total if self.truncate is None else self.truncate)

    def facts(self, path):
        F = [('style', self.style), ('kaslr', '%#x' % self.kaslr), ('phys_base', '%#x' % self.phys_base),
             ('page_offset', '%#x' % self.page_offset), ('vmemmap', '%#x' % self.vmemmap),
             ('pgd_paddr', '%#x' % self.root), ('levels', str(self.levels)),
             ('stext', '%#x' % self.stext), ('init_uts_ns', '%#x' % self.sym['init_uts_ns']),
             ('mem_section', '%#x' % self.mem_section_va), ('nr_cpus', str(self.cpus)),
             ('nr_segments', str(len(self.ram))),
             ('max_pfn', '%#x' % max((e + PAGE - 1) // PAGE for s, e, f in self.ram)),
             ('meta_pfns', ' '.join('%#x' % p for p in self.meta)),
             ('mm_free', str(self.mm_free_pages if self.mm else 0)),
             ('vmemmap_backing', ' '.join('%#x:%#x' % (s, p) for s, p in sorted(self.vmm_backing.items())))]
        with open(path, 'w') as fp:
            fp.writelines('%s=%s\n' % kv for kv in F)


def main():
    args = sys.argv[1:]
    facts = None
    if '-m' in args:
        i = args.index('-m')
        facts = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__.split('\n\n')[1])
    g = Gen()
    with open(args[0]) as fp:
        g.parse(fp.read())
    g.build()
    g.write(args[1])
    if facts:
        g.facts(facts)


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""drgn-classify.py - classify every pfn of a kernel dump with drgn.

Usage: /usr/bin/python3 tests/lab/drgn-classify.py DUMP VMLINUX [CLASSES]

An oracle for coresift's page classes that does not share their source:
everything comes from drgn's view of the crashed kernel through the debug
vmlinux (struct layouts, enum pageflags, enum pagetype, the zones' free lists,
the hstates), nothing from VMCOREINFO.  Written for 6.12+ (page type in the
top byte of page_type, slab and hugetlb as page types, large folios); refuses
kernels whose debug info has no enum pagetype.

Each pfn up to max_pfn whose struct page drgn can read gets one letter, in
makedumpfile's dump-level terms, judged per folio (a tail page, compound_head
bit 0, takes the class of the head its compound_head points at), except
that poison is judged per page:
  H  PG_hwpoison on the page itself        O  page type offline
  F  in a free buddy block: page type buddy on the block's first page, order
     in page.private (cross-checked against zone->free_area[].free_list[])
  T  hugetlb folio (page type hugetlb on the head; cross-checked against the
     hstates' active and free lists)
  U  anon folio (PAGE_MAPPING_ANON, bit 0 of folio.mapping; KSM too), THP
  C  page cache: folio on an LRU, or in the swap cache (PG_swapcache with
     PG_swapbacked), not anon, no PG_private      c  the same with PG_private
  S  slab (page type slab)                 K  any other kernel page
  N  struct page unreadable
Prints the classes as runs "FIRST-LAST LETTER" (hex pfns), then "count L N"
per letter, "count compound_kernel N" (K pages in compound folios), "free
blocks by order ORDER:BLOCKS..." and the cross-checks as "check NAME N"
(0 = consistent):
freelist_only / pagetype_only (free blocks found by one method only),
hstate_only / hugetlb_type_only (the same for hugetlb folios),
folio_size_mismatch (heads whose tails pointing back are not
folio._folio_nr_pages - 1), free_interior_not_plain, nr_free_pages_diff
(|F pages - the zones' NR_FREE_PAGES counters incl. per-cpu deltas|),
nr_huge_pages_diff (|T pages - the hstates' nr_huge_pages << order|).
Then "vmstat NAME kernel=N drgn=M": the nodes' counters (per-cpu deltas
included) next to drgn's sets: NR_ANON_MAPPED vs U, NR_FILE_PAGES vs C+c,
the LRU lists' total vs pages of folios with PG_lru, NR_SLAB_*_B vs S (equal
only on a quiet kernel: unmapped anon, page cache off the LRU and slab pages
waiting for RCU make them differ; NR_SLAB also counts large kmalloc
allocations, compound pages without a page type, K here).

With CLASSES (`plancheck --classes` output: N P F U C c K per pfn) it also
compares, mapping H,O->P, T->U, S->K, and prints each differing run as
"diff FIRST-LAST (N pages): ours X drgn Y" followed by drgn's reading of the
run's first struct page ("    pfn ..."), then "symdiff_L N" for L in
P F U C c K (pfns in exactly one side's set L; ours N pfns are not compared),
"hugetlb_not_user N", "kept31 N" (compared pfns drgn calls S or K: what
-d 31 keeps before the zero-page test), "agree=N differ=M".
Exit 0 if the dump was read, 1 if not, 2 on usage errors; the test decides
what is acceptable.  About 3 s for 1 GiB: the mem_map is read in 2 MiB
chunks and decoded from bytes at the offsets the debug info gives (drgn
0.0.22's compound_order() reads page[1].compound_order, gone since 6.3, and
it has no page type helpers).
"""
import sys
import time

import drgn
from drgn import FaultError, offsetof, sizeof
from drgn.helpers.linux.cpumask import for_each_possible_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mm import page_to_pfn, pfn_to_page
from drgn.helpers.linux.nodemask import for_each_online_node
from drgn.helpers.linux.percpu import per_cpu_ptr

OURS = {'H': 'P', 'O': 'P', 'F': 'F', 'T': 'U', 'U': 'U', 'C': 'C', 'c': 'c',
        'S': 'K', 'K': 'K'}
CHUNK = 1 << 15         # struct pages per bulk read (2 MiB of mem_map)


def enum_values(prog, name):
    return {e.name: e.value for e in prog.type(name).enumerators}


class MemMap:
    """The struct pages of pfns [0, max_pfn) as columns of field values."""

    def __init__(self, prog):
        page = prog.type('struct page')
        self.size = sizeof(page)
        self.base = pfn_to_page(prog, 0).value_()
        self.max_pfn = prog['max_pfn'].value_()
        folio = prog.type('struct folio')
        fields = {
            'flags': (offsetof(page, 'flags'), 8),
            'mapping': (offsetof(page, 'mapping'), 8),
            'private': (offsetof(page, 'private'), 8),
            'compound_head': (offsetof(page, 'compound_head'), 8),
            'page_type': (offsetof(page, 'page_type'), 4),
            # the first tail's copy of the folio size (64-bit 6.12)
            'nr_pages': (offsetof(folio, '_folio_nr_pages') - self.size, 4),
        }
        self.cols = {k: [None] * self.max_pfn for k in fields}
        self.readable = bytearray(self.max_pfn)
        for start in range(0, self.max_pfn, CHUNK):
            n = min(CHUNK, self.max_pfn - start)
            self._load(prog, fields, start, n)

    def _load(self, prog, fields, start, n):
        try:
            buf = prog.read(self.base + start * self.size, n * self.size)
        except FaultError:
            # one vmemmap page at a time: holes have no mem_map
            per = 4096 // self.size
            if n > per:
                for s in range(start, start + n, per):
                    self._load(prog, fields, s, min(per, start + n - s))
            return
        mv = memoryview(buf)
        for name, (off, width) in fields.items():
            if off < 0:
                continue
            words = mv.cast('Q' if width == 8 else 'I')
            step = self.size // width
            vals = words[off // width::step].tolist()
            col = self.cols[name]
            col[start:start + n] = vals[:n]
        self.readable[start:start + n] = b'\1' * n


def populated_zones(prog):
    try:
        nodes = [prog['node_data'][nid] for nid in for_each_online_node(prog)]
    except KeyError:
        nodes = [prog['contig_page_data'].address_of_()]
    for pgdat in nodes:
        for zone in pgdat.node_zones:
            if zone.present_pages:
                yield zone


def nr_free_pages(prog):
    """The kernel's own count of free buddy pages: the zones' NR_FREE_PAGES
    plus the per-cpu deltas not yet folded in."""
    idx = prog['NR_FREE_PAGES'].value_()
    total = 0
    for zone in populated_zones(prog):
        total += zone.vm_stat[idx].counter.value_()
        for cpu in for_each_possible_cpu(prog):
            total += per_cpu_ptr(zone.per_cpu_zonestats, cpu).vm_stat_diff[idx].value_()
    return total


def node_stat(prog, names):
    """The sum of the nodes' counters @names (enum node_stat_item), per-cpu
    deltas included; counters kept in bytes are stored in pages here."""
    total = 0
    for name in names:
        idx = prog[name].value_()
        for nid in for_each_online_node(prog):
            pgdat = prog['node_data'][nid]
            total += pgdat.vm_stat[idx].counter.value_()
            for cpu in for_each_possible_cpu(prog):
                total += per_cpu_ptr(pgdat.per_cpu_nodestats,
                                     cpu).vm_node_stat_diff[idx].value_()
    return total


def free_lists(prog):
    """{pfn: order} of every block on a zone's free lists."""
    blocks = {}
    for zone in populated_zones(prog):
        for order, area in enumerate(zone.free_area):
            for fl in area.free_list:
                for page in list_for_each_entry('struct page', fl.address_of_(), 'buddy_list'):
                    blocks[page_to_pfn(page).value_()] = order
    return blocks


def hstate_heads(prog):
    """{pfn: order} of every hugetlb folio on an hstate's lists, and the
    hstates' total of hugetlb pages."""
    heads, pages = {}, 0
    try:
        nh = prog['hugetlb_max_hstate'].value_()
    except KeyError:
        return heads, pages
    for i in range(nh):
        h = prog['hstates'][i]
        order = h.order.value_()
        pages += h.nr_huge_pages.value_() << order
        lists = [h.hugepage_activelist] + list(h.hugepage_freelists)
        for lst in lists:
            for folio in list_for_each_entry('struct folio', lst.address_of_(), 'lru'):
                heads[page_to_pfn(folio.page.address_of_()).value_()] = order
    return heads, pages


def classify(prog, mm):
    pg = enum_values(prog, 'enum pageflags')
    try:
        ty = enum_values(prog, 'enum pagetype')
    except LookupError:
        raise SystemExit('drgn-classify: no enum pagetype in the debug info '
                         '(kernel older than 6.12?)')
    PG_lru = 1 << pg['PG_lru']
    PG_head = 1 << pg['PG_head']
    PG_private = 1 << pg['PG_private']
    PG_swapcache = 1 << pg['PG_swapcache']
    PG_swapbacked = 1 << pg['PG_swapbacked']
    PG_hwpoison = 1 << pg['PG_hwpoison']
    letter = {ty['PGTY_buddy']: 'F', ty['PGTY_offline']: 'O',
              ty['PGTY_hugetlb']: 'T', ty['PGTY_slab']: 'S'}
    # the page type is the top byte of page_type; a value below the
    # smallest type is a mapcount, PGTY_mapcount_underflow is no type
    ty_min = min(v for k, v in ty.items() if k != 'PGTY_mapcount_underflow')
    ty_none = ty.get('PGTY_mapcount_underflow', 0xff)

    flags_c, mapping_c = mm.cols['flags'], mm.cols['mapping']
    private_c, ch_c = mm.cols['private'], mm.cols['compound_head']
    type_c, nr_c = mm.cols['page_type'], mm.cols['nr_pages']
    base, size, n = mm.base, mm.size, mm.max_pfn
    cls = bytearray(b'N' * n)
    folio_cls = bytearray(b'N' * n)     # a head's class, poison aside
    lru = bytearray(n)      # 1: the pfn's folio is on an LRU list
    free_end = -1
    checks = {'free_interior_not_plain': 0, 'folio_size_mismatch': 0}
    buddy = {}
    tails = {}          # head pfn -> number of tails pointing at it
    hugetlb = {}
    for pfn in range(n):
        if not mm.readable[pfn]:
            continue
        flags, ch, pt = flags_c[pfn], ch_c[pfn], type_c[pfn] >> 24
        typed = ty_min <= pt < ty_none
        if ch & 1:
            head = (ch - 1 - base) // size
            tails[head] = tails.get(head, 0) + 1
            # poison is a property of the page, the rest of the folio
            good = 0 <= head < pfn
            cls[pfn] = (ord('H') if flags & PG_hwpoison else
                        folio_cls[head] if good else ord('K'))
            lru[pfn] = lru[head] if good else 0
            continue
        if pfn < free_end:
            if not typed and not flags & (PG_head | PG_lru) and not mapping_c[pfn]:
                cls[pfn] = ord('F')
                continue
            checks['free_interior_not_plain'] += 1
        if typed:
            c = letter.get(pt, 'K')
            if c == 'F':
                buddy[pfn] = private_c[pfn]
                free_end = pfn + (1 << private_c[pfn])
            elif c == 'T':
                hugetlb[pfn] = 1
        elif mapping_c[pfn] & 1:
            c = 'U'
        elif flags & PG_lru or (flags & PG_swapcache and flags & PG_swapbacked):
            c = 'c' if flags & PG_private else 'C'
        else:
            c = 'K'
        folio_cls[pfn] = ord(c)
        cls[pfn] = ord('H') if flags & PG_hwpoison else ord(c)
        lru[pfn] = 1 if flags & PG_lru else 0
    for head, nt in tails.items():
        if not (0 <= head < n and mm.readable[head] and head + 1 < n and
                mm.readable[head + 1] and flags_c[head] & PG_head and
                nr_c[head + 1] == nt + 1):
            checks['folio_size_mismatch'] += 1
    fl = free_lists(prog)
    orders = {}
    for o in buddy.values():
        orders[o] = orders.get(o, 0) + 1
    checks['freelist_only'] = sum(1 for p, o in fl.items() if buddy.get(p) != o)
    checks['pagetype_only'] = sum(1 for p, o in buddy.items() if fl.get(p) != o)
    checks['nr_free_pages_diff'] = abs(nr_free_pages(prog) - cls.count(b'F'))
    hs, hpages = hstate_heads(prog)
    checks['nr_huge_pages_diff'] = abs(hpages - cls.count(b'T'))
    checks['hstate_only'] = sum(1 for p in hs if p not in hugetlb)
    checks['hugetlb_type_only'] = sum(1 for p in hugetlb if p not in hs)
    for p, o in hs.items():
        if p in hugetlb and tails.get(p, 0) + 1 != 1 << o:
            checks['folio_size_mismatch'] += 1
    # the kernel's counters next to drgn's sets (equal when every anon page
    # is mapped and every page cache folio is on an LRU, as at a quiet panic)
    vmstat = [
        ('NR_ANON_MAPPED', node_stat(prog, ['NR_ANON_MAPPED']), cls.count(b'U')),
        ('NR_FILE_PAGES', node_stat(prog, ['NR_FILE_PAGES']), cls.count(b'C') + cls.count(b'c')),
        ('NR_LRU', node_stat(prog, [e.name for e in prog.type('enum node_stat_item').enumerators
                                    if e.name in ('NR_INACTIVE_ANON', 'NR_ACTIVE_ANON',
                                                  'NR_INACTIVE_FILE', 'NR_ACTIVE_FILE',
                                                  'NR_UNEVICTABLE')]), sum(lru)),
        ('NR_SLAB', node_stat(prog, ['NR_SLAB_RECLAIMABLE_B', 'NR_SLAB_UNRECLAIMABLE_B']),
         cls.count(b'S')),
    ]
    info = {
        'nfree': len(fl), 'nhuge': len(hs), 'vmstat': vmstat,
        'orders': ' '.join('%d:%d' % kv for kv in sorted(orders.items())),
        # K pages in compound folios (large kmalloc among them)
        'compound_kernel': sum(1 for pfn in range(n) if cls[pfn] == ord('K') and
                               (ch_c[pfn] & 1 or flags_c[pfn] & PG_head)),
    }
    return cls.decode(), checks, info


def runs(s, start=0):
    i, n = start, len(s)
    while i < n:
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        yield i, j, s[i]
        i = j + 1


def describe(mm, pfn):
    c = mm.cols
    return ('    pfn 0x%x: flags=0x%x ch=0x%x mapping=0x%x page_type=0x%x private=0x%x'
            % (pfn, c['flags'][pfn], c['compound_head'][pfn], c['mapping'][pfn],
               c['page_type'][pfn], c['private'][pfn]))


def compare(mm, cls, ours):
    n = min(len(ours), len(cls))
    pair = []
    for pfn in range(n):
        o = ours[pfn]
        pair.append(None if o == 'N' or o == OURS.get(cls[pfn], cls[pfn]) else
                    (o, cls[pfn]))
    sym = dict.fromkeys('PFUCcK', 0)
    agree = differ = huge_not_user = kept31 = 0
    pfn = 0
    while pfn < n:
        p = pair[pfn]
        if ours[pfn] != 'N':
            huge_not_user += cls[pfn] == 'T' and ours[pfn] != 'U'
            kept31 += cls[pfn] in 'SK'
        if p is None:
            agree += ours[pfn] != 'N'
            pfn += 1
            continue
        end = pfn
        while end + 1 < n and pair[end + 1] == p:
            end += 1
        cnt = end - pfn + 1
        differ += cnt
        print('diff 0x%x-0x%x (%d pages): ours %s drgn %s' % (pfn, end, cnt, p[0], p[1]))
        print(describe(mm, pfn) if mm.readable[pfn] else '    pfn 0x%x: unreadable' % pfn)
        for L in {p[0], OURS.get(p[1], p[1])}:
            if L in sym:
                sym[L] += cnt
        pfn = end + 1
    for L in 'PFUCcK':
        print('symdiff_%s %d' % (L, sym[L]))
    print('hugetlb_not_user %d' % huge_not_user)
    print('kept31 %d' % kept31)
    print('agree=%d differ=%d' % (agree, differ))


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    t0 = time.time()
    prog = drgn.Program()
    try:
        prog.set_core_dump(sys.argv[1])
        prog.load_debug_info([sys.argv[2]])
        mm = MemMap(prog)
        cls, checks, info = classify(prog, mm)
    except (drgn.FaultError, drgn.MissingDebugInfoError, LookupError, OSError) as e:
        print('drgn-classify: %s: %s: %s' % (sys.argv[1], type(e).__name__, e), file=sys.stderr)
        return 1
    for a, b, c in runs(cls):
        print('0x%x-0x%x %s' % (a, b, c))
    for L in 'HOFTUCcSKN':
        print('count %s %d' % (L, cls.count(L)))
    print('count compound_kernel %d' % info['compound_kernel'])
    print('free blocks on free lists %d, hugetlb folios on hstate lists %d' %
          (info['nfree'], info['nhuge']))
    print('free blocks by order %s' % info['orders'])
    for k in sorted(checks):
        print('check %s %d' % (k, checks[k]))
    for name, kernel, ours in info['vmstat']:
        print('vmstat %s kernel=%d drgn=%d' % (name, kernel, ours))
    if len(sys.argv) == 4:
        with open(sys.argv[3], 'rb') as f:
            compare(mm, cls, f.read().decode())
    print('drgn %s: %d pfns in %.1fs' % (drgn.__version__, mm.max_pfn, time.time() - t0),
          file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())

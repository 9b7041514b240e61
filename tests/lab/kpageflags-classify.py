#!/usr/bin/python3
"""kpageflags-classify.py - our page classes vs the guest's /proc/kpageflags.

Usage: python3 kpageflags-classify.py CLASSES KPAGEFLAGS

CLASSES is `plancheck --classes` output (one letter per pfn: N not present,
P poisoned/offline, F free, U user, C cache, c private cache, K kept).
KPAGEFLAGS is the guest's snapshot (one little-endian u64 per pfn), taken a
moment before the panic.  The kernel's view of each pfn is mapped onto the
same letters (kpageflags ABI, Documentation/admin-guide/mm/pagemap.rst):
HWPOISON/OFFLINE -> P, BUDDY -> F (set on the first page of a free block
only, so block interiors with no flags at all are accepted as F), HUGE or
ANON -> U, LRU or SWAPCACHE -> C/c (PRIVATE, bit 35, picks c), else K.
Prints the confusion matrix and "agree=N differ=M" plus, per class pair, the
count; exits 0.  The test decides what is acceptable.
"""
import sys
from array import array

KPF = {'LRU': 5, 'SLAB': 7, 'BUDDY': 10, 'ANON': 12, 'SWAPCACHE': 13,
       'HEAD': 15, 'TAIL': 16, 'HUGE': 17, 'HWPOISON': 19, 'NOPAGE': 20,
       'KSM': 21, 'THP': 22, 'OFFLINE': 23, 'PRIVATE': 35}


def has(v, name):
    return v >> KPF[name] & 1


def kernel_view(v):
    if has(v, 'HWPOISON') or has(v, 'OFFLINE'):
        return 'P'
    if has(v, 'BUDDY'):
        return 'F'
    if has(v, 'HUGE') or has(v, 'ANON') or has(v, 'KSM'):
        return 'U'
    if has(v, 'LRU') or has(v, 'SWAPCACHE'):
        return 'c' if has(v, 'PRIVATE') else 'C'
    return 'K'


def main():
    classes = open(sys.argv[1], 'rb').read().decode()
    kpf = array('Q')
    kpf.frombytes(open(sys.argv[2], 'rb').read())
    n = min(len(classes), len(kpf))
    pairs = {}
    huge = huge_not_user = slab_alias = poison_kept = 0
    for pfn in range(n):
        ours = classes[pfn]
        if ours == 'N':
            continue
        v = kpf[pfn]
        theirs = kernel_view(v)
        if has(v, 'HUGE'):
            huge += 1
            huge_not_user += ours != 'U'
        if has(v, 'HWPOISON') and ours != 'P':
            poison_kept += 1
        # since 6.2 struct slab aliases page.mapping: kpageflags then
        # reports slab pages as ANON (it does not check for slab); they are
        # kernel memory and we keep them
        if has(v, 'SLAB') and theirs == 'U':
            slab_alias += 1
            theirs = 'K'

        # free block interiors carry no flags in kpageflags
        if ours == 'F' and theirs == 'K' and v == 0:
            theirs = 'F'
        pairs[(ours, theirs)] = pairs.get((ours, theirs), 0) + 1
    agree = sum(c for (a, b), c in pairs.items() if a == b)
    differ = sum(c for (a, b), c in pairs.items() if a != b)
    for (a, b), c in sorted(pairs.items()):
        print('ours=%s kernel=%s %d' % (a, b, c))
    for cls in 'PFUCcK':
        print('kernel_%s %d' % (cls, sum(c for (a, b), c in pairs.items() if b == cls)))
        print('ours_%s %d' % (cls, sum(c for (a, b), c in pairs.items() if a == cls)))
    print('huge=%d huge_not_user=%d slab_alias=%d poison_kept=%d' %
          (huge, huge_not_user, slab_alias, poison_kept))
    # per class: pfns in exactly one of the two sets (the snapshot is taken
    # a moment before the panic, so a few pages legitimately moved)
    for cls in 'PFUK':
        print('symdiff_%s %d' % (cls, sum(c for (a, b), c in pairs.items()
                                          if a != b and cls in (a, b))))
    print('symdiff_cache %d' % sum(c for (a, b), c in pairs.items()
                                   if (a in 'Cc') != (b in 'Cc')))
    print('agree=%d differ=%d' % (agree, differ))


main()

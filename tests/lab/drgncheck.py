#!/usr/bin/python3
"""drgncheck.py - open a kernel dump with drgn and print a few facts.

Usage: /usr/bin/python3 tests/lab/drgncheck.py DUMP VMLINUX
(Debian's python3-drgn is built for /usr/bin/python3; it reads ELF vmcores
itself and kdump-compressed files through libkdumpfile.)
Prints "release: R", "totalram_pages: N", "tasks: N", the crashed thread's
stack ("crashed thread tid=T:" then frames), "printk records: N" and the last
records as "printk: TEXT" (records mentioning sysrq as "printk sysrq: TEXT").
drgn 0.0.22 cannot unwind 6.12 stacks ("unknown ORC entry type 3"). Exits 0 if the dump opened and symbols resolved
(release and tasks printed), 1 otherwise.
"""
import sys
import time

import drgn
from drgn.helpers.linux.pid import for_each_task


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dump, vmlinux = sys.argv[1], sys.argv[2]
    t0 = time.time()
    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
        prog.load_debug_info([vmlinux])
        print(f"drgn {drgn.__version__}: opened {dump} in {time.time() - t0:.2f}s, flags={prog.flags}")
        print("release:", prog["UTS_RELEASE"].string_().decode())
        print("totalram_pages:", prog["_totalram_pages"].counter.value_())
        print("tasks:", sum(1 for _ in for_each_task(prog)))
    except Exception as e:
        print(f"drgn: {dump}: {type(e).__name__}: {e}")
        return 1
    try:
        th = prog.crashed_thread()
        print(f"crashed thread tid={th.tid}:")
        print(th.stack_trace())
    except Exception as e:
        print(f"crashed_thread: {type(e).__name__}: {e}")
    try:
        from drgn.helpers.linux.printk import get_printk_records
        recs = get_printk_records(prog)
        print(f"printk records: {len(recs)}")
        for r in recs:
            if b"sysrq" in r.text:
                print("printk sysrq:", r.text.decode(errors="replace"))
        for r in recs[-8:]:
            print("printk:", r.text.decode(errors="replace"))
    except Exception as e:
        print(f"printk: {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

/* rss.h - how much memory this process holds resident: the figure a dump
 * reports at message level 8 and --estimate predicts for the capture kernel. */
#ifndef CS_RSS_H
#define CS_RSS_H

/* The resident set now in KiB, counted page by page from the page tables
 * (/proc/self/smaps_rollup, Linux 4.14+); 0 when that cannot be read. */
unsigned long cs_rss_now_kib(void);

/* The kernel's high-water mark of the resident set in KiB (getrusage
 * ru_maxrss), 0 when unknown.  See cs_rss_peak_kib() for how far off it is. */
unsigned long cs_rss_hiwater_kib(void);

/* The peak resident set in KiB: the larger of the kernel's high-water mark
 * (getrusage ru_maxrss) and @sampled, an exact count (cs_rss_now_kib) taken
 * where the caller's peak is.  The high-water mark alone reads low by up to
 * a few hundred KiB: the kernel's RSS counters are per-CPU (Linux 6.2+,
 * percpu_counter, folded every 32 pages) or per-task (before, synced every
 * 64 faults), and it reads them without folding.  Measured on the 1 GiB
 * 6.12 lab vmcore, the same -l -d 31 run 8 times with ASLR off: ru_maxrss
 * 2324-2456 KiB, the page tables' count at the end of the copy 2676 KiB each
 * time.  In the lab's 6.12 capture kernel (one CPU) a -l dump's ru_maxrss
 * read 2384 KiB where the page tables held 2576; in the 6.1 one the two
 * agreed (2508 and 2508). */
unsigned long cs_rss_peak_kib(unsigned long sampled);

#endif

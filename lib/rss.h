/* rss.h - how much memory this process holds resident: the figure a dump
 * reports at message level 8 and --estimate predicts for the capture kernel. */
#ifndef CS_RSS_H
#define CS_RSS_H

/* The resident set now in KiB, counted page by page from the page tables
 * (/proc/self/smaps_rollup, Linux 4.14+); 0 when that cannot be read. */
unsigned long cs_rss_now_kib(void);

/* The peak resident set in KiB: the larger of the kernel's high-water mark
 * (getrusage ru_maxrss) and @sampled, an exact count (cs_rss_now_kib) taken
 * where the caller's peak is.  The high-water mark alone reads low by up to
 * a few hundred KiB: the kernel's RSS counters are per-CPU (Linux 6.2+,
 * percpu_counter, folded every 32 pages) or per-task (before, synced every
 * 64 faults), and it reads them without folding.  Measured on the 1 GiB
 * 6.12 lab vmcore, the same -l -d 31 run 8 times with ASLR off: ru_maxrss
 * 2324-2456 KiB, the page tables' count at the end of the copy 2676 KiB each
 * time. */
unsigned long cs_rss_peak_kib(unsigned long sampled);

#endif

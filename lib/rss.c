/* rss.c - see rss.h */
#include "lib/rss.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

unsigned long cs_rss_now_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[256];
	unsigned long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Rss:", 4) == 0) {
			if (sscanf(line + 4, "%lu", &kib) != 1)
				kib = 0;
			break;
		}
	}
	fclose(f);
	return kib;
}

unsigned long cs_rss_hiwater_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0)
		return (unsigned long)ru.ru_maxrss;
	return 0;
}

unsigned long cs_rss_peak_kib(unsigned long sampled)
{
	unsigned long hw = cs_rss_hiwater_kib();

	return hw > sampled ? hw : sampled;
}

/* dmesg_cmd.c - placeholder until --dump-dmesg lands */
#include "config.h"

#include <stdio.h>

#include "collector/dmesg_cmd.h"

enum cs_status cs_dmesg_main(const struct cs_options *o)
{
	fprintf(stderr, "%s: --dump-dmesg: not supported by this version of coresift\n", o->progname);
	return CS_NOTSUPP;
}

/* dmesg_cmd.h - the --dump-dmesg run: open the input, extract the kernel log,
 * write it to LOGFILE (or stdout with -F).  Prints its own messages (it is a
 * top-level run, like main's dump run) and returns the final status. */
#ifndef CS_DMESG_CMD_H
#define CS_DMESG_CMD_H

#include "collector/options.h"
#include "lib/error.h"

enum cs_status cs_dmesg_main(const struct cs_options *o);

#endif

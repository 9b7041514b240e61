/* collector/kdump_writer.c - placeholder until its owner lands it */
typedef int cs_placeholder_kdump_writer;

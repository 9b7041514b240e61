/* collector/options.c - placeholder until its owner lands it */
typedef int cs_placeholder_options;

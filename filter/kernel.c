/* filter/kernel.c - placeholder until its owner lands it */
typedef int cs_placeholder_kernel;

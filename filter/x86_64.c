/* filter/x86_64.c - placeholder until its owner lands it */
typedef int cs_placeholder_x86_64;

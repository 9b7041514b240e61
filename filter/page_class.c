/* filter/page_class.c - placeholder until its owner lands it */
typedef int cs_placeholder_page_class;

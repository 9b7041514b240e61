/* collector/kdump_format.h - placeholder */

/* collector/report.h - placeholder */

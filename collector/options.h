/* collector/options.h - placeholder */

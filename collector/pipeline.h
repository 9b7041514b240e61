/* collector/pipeline.h - placeholder */

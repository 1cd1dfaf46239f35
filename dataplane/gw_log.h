/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_log.h - process log for set-up, control and rare events. Never called
 * per packet. Messages go to stderr with a level tag; the level comes from
 * the config's log group.
 */
#ifndef MESHGW_GW_LOG_H
#define MESHGW_GW_LOG_H

#include <stdio.h>

enum gw_log_level { GW_LOG_ERROR, GW_LOG_WARN, GW_LOG_INFO, GW_LOG_DEBUG };

extern int gw_log_level;

#define GW_LOG(lvl, fmt, ...)                                                                      \
	do {                                                                                       \
		if (GW_LOG_##lvl <= gw_log_level)                                                  \
			fprintf(stderr, "meshgw: " #lvl ": " fmt "\n", ##__VA_ARGS__);             \
	} while (0)

#endif /* MESHGW_GW_LOG_H */

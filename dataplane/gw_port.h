/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_port.h - port set-up and teardown: one rx and one tx queue per worker on
 * every port, checksum offloads when the device has them, RSS with the
 * symmetric key where the device can steer, MTU checked against the device.
 * Control thread only (set-up, link queries, stats reads).
 */
#ifndef MESHGW_GW_PORT_H
#define MESHGW_GW_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "ctl_config.h"
#include "stk.h"

struct gw_port {
	uint16_t port_id;
	char name[CTL_NAME_MAX];
	char devname[64];
	int socket;
	bool rss; /* the device steers flows to workers itself */
	bool started;
	struct stk_port_info info; /* what the stack needs to know about it */
};

/* Finds, configures and starts port idx of conf. 0 or -errno with a message in err. */
int gw_port_setup(const struct ctl_config *conf, unsigned int idx, struct gw_port *p, char *err,
		  size_t errlen);
/* Stops and closes the port. */
void gw_port_close(struct gw_port *p);

#endif /* MESHGW_GW_PORT_H */

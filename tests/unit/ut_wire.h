/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_wire.h - two stacks wired back to back in memory, for unit tests that
 * run real TCP between them: what a node transmits waits on its wire until
 * the test delivers it to the other node (ut_wire_deliver), so a test steps
 * time and traffic itself. Each node has one port with one address in a
 * /24 and the stack's defaults except for the few settings given.
 */
#ifndef MESHGW_UT_WIRE_H
#define MESHGW_UT_WIRE_H

#include <string.h>

#include <rte_mbuf.h>

#include "stk.h"

#define UT_WIRE_MAX 8192 /* frames in flight per direction; more are dropped */

struct ut_node {
	struct stk_ctx *ctx;
	struct rte_mbuf *q[UT_WIRE_MAX]; /* frames on their way to the other node */
	unsigned int n;
};

static inline void
ut_wire_tx(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	struct ut_node *nd = arg;

	(void)port_idx;
	for (unsigned int i = 0; i < n; i++) {
		if (nd->n == UT_WIRE_MAX)
			rte_pktmbuf_free(pkts[i]);
		else
			nd->q[nd->n++] = pkts[i];
	}
}

/* Everything on from's wire into to's stack, as a port would receive it. */
static inline void
ut_wire_deliver(struct ut_node *from, struct ut_node *to, uint64_t now)
{
	unsigned int n = from->n;

	from->n = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = from->q[i];

		stk_mbuf_priv(m)->flags = 0;
		m->ol_flags = 0;
		stk_input(to->ctx, 0, &m, 1, now);
	}
}

/* A node with MAC 02:00:00:00:00:<mac_last> and addr/24 on pool; tcp
 * max_conns and MSL as given, a 200 ms initial RTO and 1 ms delayed ACKs.
 * Its stack, or NULL. */
static inline struct stk_ctx *
ut_node_init(struct ut_node *nd, struct rte_mempool *pool, const struct stk_routes *routes,
	     uint8_t mac_last, uint32_t addr, unsigned int max_conns, uint64_t msl_us, uint64_t now)
{
	struct stk_conf c;

	memset(&c, 0, sizeof(c));
	c.n_workers = 1;
	c.socket = SOCKET_ID_ANY;
	c.pool = pool;
	c.n_ports = 1;
	c.ports[0].mac.addr_bytes[0] = 0x02;
	c.ports[0].mac.addr_bytes[5] = mac_last;
	c.ports[0].mtu = 1500;
	c.ports[0].addrs[0] = addr;
	c.ports[0].plens[0] = 24;
	c.ports[0].n_addrs = 1;
	c.arp = (struct stk_arp_conf){.cache_size = 16,
				      .pending_max = 16,
				      .retries = 2,
				      .retry_ms = 100,
				      .reachable_ms = 600000,
				      .failed_ms = 100};
	stk_tcp_conf_defaults(&c.tcp);
	c.tcp.max_conns = max_conns;
	c.tcp.msl_us = msl_us;
	c.tcp.rto_init_us = 200000;
	c.tcp.delack_us = 1000;
	c.tx = ut_wire_tx;
	c.tx_arg = nd;
	nd->n = 0;
	nd->ctx = stk_create(&c);
	if (nd->ctx != NULL) {
		stk_set_routes(nd->ctx, routes);
		stk_poll(nd->ctx, now);
	}
	return nd->ctx;
}

/* Drops what is still on the wire and frees the stack. */
static inline void
ut_node_fini(struct ut_node *nd)
{
	for (unsigned int i = 0; i < nd->n; i++)
		rte_pktmbuf_free(nd->q[i]);
	nd->n = 0;
	stk_free(nd->ctx);
	nd->ctx = NULL;
}

#endif /* MESHGW_UT_WIRE_H */

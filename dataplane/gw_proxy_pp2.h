/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy_pp2.h - the PROXY protocol v2 header (haproxy.org's
 * proxy-protocol.txt, section 2.2) meshgw sends first on an upstream leg
 * when the cluster asks for it, so the endpoint sees the client's address:
 * signature, PROXY command, TCP over IPv4, source and destination.
 */
#ifndef MESHGW_GW_PROXY_PP2_H
#define MESHGW_GW_PROXY_PP2_H

#include <stdint.h>

#include <rte_mbuf.h>

#define GW_PP2_IPV4_LEN 28 /* 16 fixed + 12 address bytes */

/* Writes the header for a client saddr:sport that reached daddr:dport
 * (host order) into out[GW_PP2_IPV4_LEN]. */
void gw_pp2_write(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);

/* The header in a fresh mbuf from pool; NULL when none is left. */
struct rte_mbuf *gw_pp2_header(struct rte_mempool *pool, uint32_t saddr, uint16_t sport,
			       uint32_t daddr, uint16_t dport);

#endif /* MESHGW_GW_PROXY_PP2_H */

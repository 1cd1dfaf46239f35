/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy_pp2.c - the PROXY protocol v2 header (see gw_proxy_pp2.h).
 */
#include "gw_proxy_pp2.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

static const uint8_t pp2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

void
gw_pp2_write(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	struct {
		rte_be32_t saddr, daddr;
		rte_be16_t sport, dport;
	} __rte_packed a = {rte_cpu_to_be_32(saddr), rte_cpu_to_be_32(daddr),
			    rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport)};

	memcpy(out, pp2_sig, sizeof(pp2_sig));
	out[12] = 0x21; /* version 2, PROXY */
	out[13] = 0x11; /* AF_INET, STREAM */
	out[14] = 0;
	out[15] = sizeof(a); /* address block length: 12 */
	memcpy(out + 16, &a, sizeof(a));
}

struct rte_mbuf *
gw_pp2_header(struct rte_mempool *pool, uint32_t saddr, uint16_t sport, uint32_t daddr,
	      uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, GW_PP2_IPV4_LEN);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	gw_pp2_write(p, saddr, sport, daddr, dport);
	return m;
}

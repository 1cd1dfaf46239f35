/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy_pp2.c - the PROXY protocol v2 header (see gw_proxy_pp2.h).
 */
#include "gw_proxy_pp2.h"

#include <string.h>

static const uint8_t pp2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
gw_pp2_write(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	memcpy(out, pp2_sig, sizeof(pp2_sig));
	out[12] = 0x21; /* version 2, PROXY */
	out[13] = 0x11; /* AF_INET, STREAM */
	out[14] = 0;
	out[15] = 12; /* address block length */
	put32(out + 16, saddr);
	put32(out + 20, daddr);
	out[24] = (uint8_t)(sport >> 8);
	out[25] = (uint8_t)sport;
	out[26] = (uint8_t)(dport >> 8);
	out[27] = (uint8_t)dport;
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

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_flow.c - the flow hash that decides which worker owns a flow: the
 * Toeplitz hash a NIC computes for RSS, with a key whose 16-bit period makes
 * it symmetric. Pure functions of constant data: any thread.
 */
#include <rte_thash.h>

#include "stk.h"
#include "stk_internal.h"

/* 0x6d5a repeated: Toeplitz with a key of period 16 bits gives the same hash
 * when the addresses and the ports are swapped (Woo and Park, 2012). Aligned
 * so it can be handed to rte_convert_rss_key as 32-bit words. */
const uint8_t stk_rss_key[40] __rte_aligned(4) = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* stk_rss_key as rte_convert_rss_key makes it for rte_softrss_be (each
 * big-endian word read in host order). Initialised statically because the
 * key is a constant: no first-use race, no branch per packet; test_flow
 * checks it against rte_convert_rss_key. */
const uint32_t stk_rss_key_be[10] = {
	0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a,
	0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a, 0x6d5a6d5a,
};

uint32_t
stk_flow_hash(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	/* the RSS input order: source, destination, source port, destination port */
	uint32_t tuple[3] = {saddr, daddr, (uint32_t)sport << 16 | dport};

	return rte_softrss_be(tuple, RTE_DIM(tuple), (const uint8_t *)stk_rss_key_be);
}

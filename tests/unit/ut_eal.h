/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_eal.h - EAL set-up for unit tests that need mbufs: no hugepages, no PCI,
 * one lcore, a file prefix of the test's own so tests can run side by side.
 */
#ifndef MESHGW_UT_EAL_H
#define MESHGW_UT_EAL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "stk.h"

/* mem_mb: without hugepages; an rte_lpm alone takes 64 MiB. */
static inline int
ut_eal_init_mem(const char *name, unsigned int mem_mb)
{
	static char a0[] = "ut", a1[] = "--no-huge", a2[] = "-m", a3[16], a4[] = "--no-shconf",
		    a5[] = "--no-pci", a6[] = "-l", a7[] = "0", a8[] = "--log-level=lib.*:error";
	static char prefix[96];
	snprintf(a3, sizeof(a3), "%u", mem_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=ut_%s_%d", name, (int)getpid());
	char *args[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, prefix};
	return rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args);
}

static inline int
ut_eal_init(const char *name)
{
	return ut_eal_init_mem(name, 128);
}

/* A pool like the daemon's (stack private area included). */
static inline struct rte_mempool *
ut_pool(const char *name, unsigned int n)
{
	return rte_pktmbuf_pool_create(name, n, 0, STK_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
}

#endif /* MESHGW_UT_EAL_H */

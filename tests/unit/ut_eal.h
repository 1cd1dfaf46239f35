/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_eal.h - EAL set-up for unit tests that need mbufs: no hugepages, no PCI,
 * one lcore, a file prefix of the test's own so tests can run side by side.
 */
#ifndef MESHGW_UT_EAL_H
#define MESHGW_UT_EAL_H

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "stk.h"

static inline int
ut_eal_init(const char *name)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=ut_%s_%d", name, (int)getpid());
	char *argv[] = {(char *)"ut",	   (char *)"--no-huge", (char *)"-m",
			(char *)"128",	   (char *)"--no-shconf", (char *)"--no-pci",
			(char *)"-l",	   (char *)"0",	       (char *)"--log-level=lib.*:error",
			(char *)"--vdev=", prefix};
	/* an empty --vdev= is not accepted: drop it */
	char *args[] = {argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
			argv[6], argv[7], argv[8], argv[10]};
	return rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args);
}

/* A pool like the daemon's (stack private area included). */
static inline struct rte_mempool *
ut_pool(const char *name, unsigned int n)
{
	return rte_pktmbuf_pool_create(name, n, 0, STK_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
}

#endif /* MESHGW_UT_EAL_H */

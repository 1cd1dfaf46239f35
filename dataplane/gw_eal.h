/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_eal.h - EAL start-up from the config: lcore layout (the control thread
 * on the main lcore, worker i on lcore i+1 pinned to its CPU; CPUs may be
 * shared), hugepages or --no-huge, one --vdev per virtual port, and one mbuf
 * pool per NUMA socket in use. Control thread only.
 */
#ifndef MESHGW_GW_EAL_H
#define MESHGW_GW_EAL_H

#include <rte_mempool.h>

#include "ctl_config.h"

#define GW_EAL_ARGV_MAX (CTL_MAX_EAL_ARGS + CTL_MAX_PORTS * 2 + 32)

struct gw_eal_argv {
	int argc;
	char *argv[GW_EAL_ARGV_MAX];
	char buf[GW_EAL_ARGV_MAX][CTL_ARG_MAX + 64];
	int use_huge; /* decided from the config and the machine */
};

/* Builds the EAL command line for conf. 0 or -E2BIG. */
int gw_eal_argv_build(const struct ctl_config *conf, struct gw_eal_argv *a);

/* True when hugetlbfs is mounted and has free pages. */
int gw_eal_hugepages_available(void);

/* The vdev name of port idx for its driver ("net_af_packet0"), or the PCI address. */
void gw_eal_port_devname(const struct ctl_config *conf, unsigned int idx, char *out, size_t len);

/* EAL init (logs the command line at debug). 0 or -errno. */
int gw_eal_init(const struct ctl_config *conf);

/* The pool for a NUMA socket, created on first use. NULL + rte_errno. */
struct rte_mempool *gw_eal_pool(const struct ctl_config *conf, int socket);
/* Every pool created so far (NULL-terminated walk over sockets); for stats. */
struct rte_mempool *gw_eal_pool_at(unsigned int socket);
void gw_eal_pools_free(void);

#endif /* MESHGW_GW_EAL_H */

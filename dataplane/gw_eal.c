/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_eal.c - EAL command line, init and mbuf pools (see gw_eal.h).
 */
#include "gw_eal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gw_log.h"
#include "stk.h"

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

static int push(struct gw_eal_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
push(struct gw_eal_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= GW_EAL_ARGV_MAX)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(a->buf[a->argc], sizeof(a->buf[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->buf[0]))
		return -E2BIG;
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
	return 0;
}

int
gw_eal_hugepages_available(void)
{
	char line[256];
	long free_pages = 0;
	int mounted = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = 1;
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
				break;
		fclose(f);
	}
	return mounted && free_pages > 0;
}

void
gw_eal_port_devname(const struct ctl_config *conf, unsigned int idx, char *out, size_t len)
{
	const struct ctl_port_conf *p = &conf->ports[idx];

	if (p->driver == CTL_DRV_PCI)
		snprintf(out, len, "%s", p->pci);
	else
		snprintf(out, len, "net_%s%u", ctl_driver_name(p->driver), idx);
}

/* The --vdev argument for a virtual port; queue counts follow the workers. */
static int
push_vdev(struct gw_eal_argv *a, const struct ctl_config *conf, unsigned int idx)
{
	const struct ctl_port_conf *p = &conf->ports[idx];
	unsigned int q = conf->workers.count;
	const char *sep = p->devargs[0] ? "," : "";
	char name[64];

	gw_eal_port_devname(conf, idx, name, sizeof(name));
	switch (p->driver) {
	case CTL_DRV_AF_PACKET:
		return push(a, "--vdev=%s,iface=%s,qpairs=%u,framecnt=%u%s%s", name, p->iface, q,
			    p->framecnt, sep, p->devargs);
	case CTL_DRV_AF_XDP:
		return push(a, "--vdev=%s,iface=%s,queue_count=%u%s%s", name, p->iface, q, sep,
			    p->devargs);
	case CTL_DRV_TAP:
		return push(a, "--vdev=%s,iface=%s%s%s", name, p->iface, sep, p->devargs);
	case CTL_DRV_PCAP:
		return push(a, "--vdev=%s%s%s", name, sep, p->devargs);
	case CTL_DRV_PCI:
		return push(a, "-a%s%s%s", p->pci, sep, p->devargs);
	}
	return -EINVAL;
}

/* Default placement: the CPUs after the control thread's, wrapping around
 * the online ones and skipping the control CPU while others are free. */
static unsigned int
default_cpu(const struct ctl_workers_conf *w, unsigned int i, long ncpu)
{
	unsigned int ctrl = (unsigned int)w->control_core;

	if (ncpu < 2)
		return 0;
	return (ctrl + 1 + i % (unsigned int)(ncpu - 1)) % (unsigned int)ncpu;
}

/* lcore 0 is the control thread; worker i is lcore i+1 on its CPU. */
static int
push_lcores(struct gw_eal_argv *a, const struct ctl_workers_conf *w)
{
	char map[1024];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t off;

	off = (size_t)snprintf(map, sizeof(map), "0@%d", w->control_core);
	for (unsigned int i = 0; i < w->count && off < sizeof(map); i++) {
		unsigned int cpu = w->n_cores ? w->cores[i] : default_cpu(w, i, ncpu);
		off += (size_t)snprintf(map + off, sizeof(map) - off, ",%u@%u", i + 1, cpu);
	}
	if (off >= sizeof(map))
		return -E2BIG;
	return push(a, "--lcores=%s", map);
}

int
gw_eal_argv_build(const struct ctl_config *conf, struct gw_eal_argv *a)
{
	int has_pci = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->use_huge = conf->eal.huge == CTL_HUGE_ON ||
		      (conf->eal.huge == CTL_HUGE_AUTO && gw_eal_hugepages_available());
	rc = push(a, "meshgw");
	rc = rc ?: push_lcores(a, &conf->workers);
	rc = rc ?: push(a, "--main-lcore=0");
	rc = rc ?: push(a, "--file-prefix=%s", conf->eal.file_prefix);
	if (a->use_huge)
		rc = rc ?: push(a, "--in-memory");
	else
		rc = rc ?: push(a, "--no-huge");
	rc = rc ?: (a->use_huge ? 0 : push(a, "-m"));
	rc = rc ?: (a->use_huge ? 0 : push(a, "%u", conf->eal.memory_mb));
	rc = rc ?: (a->use_huge ? 0 : push(a, "--no-shconf"));
	for (unsigned int i = 0; rc == 0 && i < conf->n_ports; i++) {
		has_pci |= conf->ports[i].driver == CTL_DRV_PCI;
		rc = push_vdev(a, conf, i);
	}
	if (rc == 0 && !has_pci)
		rc = push(a, "--no-pci");
	if (rc == 0 && conf->log.level < CTL_LOG_DEBUG)
		rc = push(a, "--log-level=lib.eal:warning");
	for (unsigned int i = 0; rc == 0 && i < conf->eal.n_args; i++)
		rc = push(a, "%s", conf->eal.args[i]);
	return rc;
}

int
gw_eal_init(const struct ctl_config *conf)
{
	struct gw_eal_argv *a = calloc(1, sizeof(*a));
	char line[2048];
	size_t off = 0;
	int rc;

	if (a == NULL)
		return -ENOMEM;
	rc = gw_eal_argv_build(conf, a);
	if (rc < 0)
		goto out;
	for (int i = 0; i < a->argc && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s ", a->argv[i]);
	GW_LOG(INFO, "EAL: %s", line);
	if (!a->use_huge)
		GW_LOG(INFO, "no hugepages available: running with --no-huge -m %u",
		       conf->eal.memory_mb);
	rc = rte_eal_init(a->argc, a->argv);
	rc = rc < 0 ? -rte_errno : 0;
out:
	free(a);
	return rc;
}

struct rte_mempool *
gw_eal_pool(const struct ctl_config *conf, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket] != NULL)
		return pools[socket];
	snprintf(name, sizeof(name), "mbuf_pool_%d", socket);
	pools[socket] =
		rte_pktmbuf_pool_create(name, conf->eal.mbufs, conf->eal.mbuf_cache,
					STK_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	return pools[socket];
}

struct rte_mempool *
gw_eal_pool_at(unsigned int socket)
{
	return socket < RTE_MAX_NUMA_NODES ? pools[socket] : NULL;
}

void
gw_eal_pools_free(void)
{
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(pools[s]);
		pools[s] = NULL;
	}
}

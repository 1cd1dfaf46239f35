/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_outlier.c - ejection decisions on the control thread (see gw_outlier.h).
 */
#include "gw_outlier.h"

#include "gw_log.h"

static bool
ejected(const struct gw_ep_shared *s, uint64_t now)
{
	return __atomic_load_n(&s->ejected_until, __ATOMIC_RELAXED) > now;
}

bool
gw_outlier_eject(const struct gw_mesh *mesh, struct gw_ep_shared *shared, unsigned int ep,
		 uint64_t now, uint64_t hz)
{
	const struct gw_endpoint *e;
	const struct gw_cluster *gc;
	const struct ctl_outlier_conf *oc;
	unsigned int out = 0;
	uint64_t us;

	if (ep >= mesh->n_endpoints || ejected(&shared[ep], now))
		return false;
	e = &mesh->endpoints[ep];
	gc = &mesh->clusters[e->cluster];
	oc = &gc->conf.outlier;
	for (unsigned int i = 0; i < gc->conf.n_endpoints; i++)
		out += ejected(&shared[gc->conf.first_endpoint + i], now);
	if (out >= gc->max_ejected) {
		GW_LOG(WARN,
		       "cluster %s: endpoint %u.%u.%u.%u:%u not ejected: %u of %u already out",
		       gc->conf.name, e->conf.addr >> 24, (e->conf.addr >> 16) & 0xff,
		       (e->conf.addr >> 8) & 0xff, e->conf.addr & 0xff, e->conf.port, out,
		       gc->conf.n_endpoints);
		return false;
	}
	shared[ep].ejections++;
	us = oc->base_ejection_us * shared[ep].ejections;
	if (us > oc->max_ejection_us)
		us = oc->max_ejection_us;
	__atomic_store_n(&shared[ep].ejected_until, now + us * (hz / 1000000), __ATOMIC_RELAXED);
	GW_LOG(WARN, "cluster %s: endpoint %u.%u.%u.%u:%u ejected for %lu ms (ejection %u)",
	       gc->conf.name, e->conf.addr >> 24, (e->conf.addr >> 16) & 0xff,
	       (e->conf.addr >> 8) & 0xff, e->conf.addr & 0xff, e->conf.port,
	       (unsigned long)(us / 1000), shared[ep].ejections);
	return true;
}

void
gw_outlier_review(const struct gw_mesh *mesh, struct gw_ep_shared *shared, uint64_t *next,
		  uint64_t now, uint64_t hz)
{
	for (unsigned int c = 0; c < mesh->n_clusters; c++) {
		const struct ctl_cluster_conf *cc = &mesh->clusters[c].conf;

		if (now < next[c])
			continue;
		next[c] = now + cc->outlier.interval_us * (hz / 1000000);
		for (unsigned int i = cc->first_endpoint; i < cc->first_endpoint + cc->n_endpoints;
		     i++)
			if (shared[i].ejections > 0 && !ejected(&shared[i], now))
				shared[i].ejections--;
	}
}

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

	/* ep is a slot: a request from before a reload may name one that left */
	if (!gw_mesh_has_endpoint(mesh, ep) || ejected(&shared[ep], now))
		return false;
	e = &mesh->endpoints[ep];
	gc = &mesh->clusters[e->cluster];
	oc = &gc->conf.outlier;
	for (unsigned int i = 0; i < gc->n_eps; i++)
		out += ejected(&shared[gc->eps[i]], now);
	if (out >= gc->max_ejected) {
		GW_LOG(WARN,
		       "cluster %s: endpoint %u.%u.%u.%u:%u not ejected: %u of %u already out",
		       gc->conf.name, e->conf.addr >> 24, (e->conf.addr >> 16) & 0xff,
		       (e->conf.addr >> 8) & 0xff, e->conf.addr & 0xff, e->conf.port, out,
		       gc->n_eps);
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
		const struct gw_cluster *gc = &mesh->clusters[c];

		if (!gw_mesh_has_cluster(mesh, c) || now < next[c])
			continue;
		next[c] = now + gc->conf.outlier.interval_us * (hz / 1000000);
		for (unsigned int k = 0; k < gc->n_eps; k++) {
			struct gw_ep_shared *sh = &shared[gc->eps[k]];

			if (sh->ejections > 0 && !ejected(sh, now))
				sh->ejections--;
		}
	}
}

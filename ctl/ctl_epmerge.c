/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epmerge.c - discovered endpoints into a loaded config (ctl_epmerge.h).
 */
#include "ctl_epmerge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ctl_epfile_cluster *
find_cluster(const struct ctl_epfile *f, const char *name)
{
	for (unsigned int i = 0; f != NULL && i < f->n_clusters; i++)
		if (strcmp(f->clusters[i].name, name) == 0)
			return &f->clusters[i];
	return NULL;
}

static bool
listed(const struct ctl_endpoint_conf *eps, unsigned int n, const struct ctl_endpoint_conf *ep)
{
	for (unsigned int i = 0; i < n; i++)
		if (eps[i].addr == ep->addr && eps[i].port == ep->port)
			return true;
	return false;
}

static bool
defined(const struct ctl_config *c, const char *name)
{
	for (unsigned int k = 0; k < c->n_clusters; k++)
		if (strcmp(c->clusters[k].name, name) == 0)
			return true;
	return false;
}

int
ctl_endpoints_merge(struct ctl_config *c, const struct ctl_epfile *f, struct ctl_epmerge_stats *st,
		    char *err, size_t errlen)
{
	struct ctl_endpoint_conf *out;
	unsigned int first[CTL_MAX_CLUSTERS], count[CTL_MAX_CLUSTERS], n = 0;

	*st = (struct ctl_epmerge_stats){0};
	if (f == NULL)
		return 0;
	out = malloc(sizeof(c->endpoints)); /* ~1 MiB: not for the stack */
	if (out == NULL) {
		snprintf(err, errlen, "no memory to merge the discovered endpoints");
		return -ENOMEM;
	}
	for (unsigned int k = 0; k < c->n_clusters; k++) {
		const struct ctl_cluster_conf *cl = &c->clusters[k];
		const struct ctl_epfile_cluster *fc = find_cluster(f, cl->name);

		first[k] = n;
		memcpy(&out[n], &c->endpoints[cl->first_endpoint],
		       cl->n_endpoints * sizeof(out[0]));
		n += cl->n_endpoints;
		for (unsigned int i = 0; fc != NULL && i < fc->n_eps; i++) {
			if (listed(&out[first[k]], cl->n_endpoints, &fc->eps[i])) {
				st->duplicates++;
				continue;
			}
			if (n - first[k] >= CTL_MAX_CLUSTER_EPS || n >= CTL_MAX_ENDPOINTS) {
				if (n >= CTL_MAX_ENDPOINTS)
					snprintf(err, errlen,
						 "the clusters would have more than %d endpoints "
						 "in all",
						 CTL_MAX_ENDPOINTS);
				else
					snprintf(err, errlen,
						 "cluster '%s' would have more than %d endpoints",
						 cl->name, CTL_MAX_CLUSTER_EPS);
				free(out);
				return -E2BIG;
			}
			out[n++] = fc->eps[i];
			st->added++;
		}
		count[k] = n - first[k];
	}
	for (unsigned int i = 0; i < f->n_clusters; i++)
		if (!defined(c, f->clusters[i].name) && st->unknown_clusters++ == 0)
			snprintf(st->first_unknown, sizeof(st->first_unknown), "%s",
				 f->clusters[i].name);
	memcpy(c->endpoints, out, n * sizeof(out[0]));
	c->n_endpoints = n;
	for (unsigned int k = 0; k < c->n_clusters; k++) {
		c->clusters[k].first_endpoint = first[k];
		c->clusters[k].n_endpoints = count[k];
	}
	free(out);
	return 0;
}

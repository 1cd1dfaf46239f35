/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epmerge.h - puts discovered endpoints (the endpoints file, later
 * etcd) into a loaded config, so that one snapshot builder serves every
 * source. Pure: no DPDK, no I/O; any thread.
 *
 * A cluster's endpoints become the config's own, then the discovered ones
 * in their order. An endpoint the config already names in that cluster
 * (same address and port) stays the config's: the file cannot change what
 * the operator wrote. Clusters the config does not define are counted and
 * skipped (the first one is named), since nothing would route to them.
 */
#ifndef MESHGW_CTL_EPMERGE_H
#define MESHGW_CTL_EPMERGE_H

#include <stddef.h>

#include "ctl_config.h"
#include "ctl_epfile.h"

struct ctl_epmerge_stats {
	unsigned int added;	       /* discovered endpoints now in the config */
	unsigned int duplicates;       /* discovered ones the config named already */
	unsigned int unknown_clusters; /* discovered clusters the config lacks */
	char first_unknown[CTL_NAME_MAX];
};

/* Merges f into c (c's flat endpoint array is rebuilt). 0, or -E2BIG when a
 * cluster would pass CTL_MAX_CLUSTER_EPS or all of them CTL_MAX_ENDPOINTS
 * (err names it; c unchanged), -ENOMEM. f NULL: nothing to add. */
int ctl_endpoints_merge(struct ctl_config *c, const struct ctl_epfile *f,
			struct ctl_epmerge_stats *st, char *err, size_t errlen);

#endif /* MESHGW_CTL_EPMERGE_H */

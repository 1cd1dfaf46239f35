/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_outlier.h - the control thread's side of passive outlier detection and
 * draining. Workers count consecutive failures per endpoint and send an
 * ejection request over their event ring (a tagged value, no allocation);
 * here the request is granted unless the endpoint is already out or its
 * cluster has max_ejection_percent of its endpoints out, and the endpoint
 * stays ejected for base_ejection_time x (times ejected), at most
 * max_ejection_time. Every `interval` an endpoint not ejected earns one
 * ejection back (Envoy's multiplier decay). Workers read the result from
 * struct gw_ep_shared with relaxed loads.
 */
#ifndef MESHGW_GW_OUTLIER_H
#define MESHGW_GW_OUTLIER_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_mesh.h"

/* Event ring values: real commands are pointers (8-byte aligned); an
 * ejection request is (ep << 1) | 1. */
static inline void *
gw_outlier_event(unsigned int ep)
{
	return (void *)(((uintptr_t)ep << 1) | 1u);
}
static inline bool
gw_outlier_is_event(const void *ev, unsigned int *ep)
{
	uintptr_t v = (uintptr_t)ev;

	if (!(v & 1u))
		return false;
	*ep = (unsigned int)(v >> 1);
	return true;
}

/* Control thread: an ejection request for endpoint ep of mesh. Returns true
 * when it was granted (and logged). now: TSC; hz: its rate. */
bool gw_outlier_eject(const struct gw_mesh *mesh, struct gw_ep_shared *shared, unsigned int ep,
		      uint64_t now, uint64_t hz);
/* Control thread, often (every 100 ms is plenty): each cluster's review
 * once per its `interval`: multiplier decay. next[] (per cluster, TSC)
 * starts zeroed. */
void gw_outlier_review(const struct gw_mesh *mesh, struct gw_ep_shared *shared, uint64_t *next,
		       uint64_t now, uint64_t hz);

#endif /* MESHGW_GW_OUTLIER_H */

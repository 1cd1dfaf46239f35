/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route_seq.h - the benchmark's baseline: a sequential first-match router
 * over the same gw_route_def list, as a straightforward proxy does it (one
 * route after the other, each route's matchers in turn, like Envoy's
 * per-route matching). Literals compare with memcmp/strncasecmp, regexes
 * run PCRE2's JIT (anchored at both ends) with one preallocated match data.
 * Same semantics as gw_route.h, so both must pick the same route.
 */
#ifndef MESHGW_ROUTE_SEQ_H
#define MESHGW_ROUTE_SEQ_H

#include "gw_route.h"

struct seq_table;

/* NULL with a message in err if a regex does not compile or JIT. */
struct seq_table *seq_build(const struct gw_route_def *defs, unsigned int n, char *err,
			    size_t errlen);
void seq_free(struct seq_table *t);

/* The lowest route index matching req, or -1. */
int seq_match(struct seq_table *t, const struct gw_route_req *req);

#endif /* MESHGW_ROUTE_SEQ_H */

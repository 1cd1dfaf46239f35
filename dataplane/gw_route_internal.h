/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_internal.h - the layout of a compiled route table, shared by
 * gw_route_build.c (control thread) and gw_route_match.c (workers). Not an
 * interface: include gw_route.h.
 *
 * Matchers are deduplicated: every distinct (field, expression) is one
 * "expr" with a table-wide id, compiled once into its field's Hyperscan
 * database (id = expr id) with the sorted list of the routes that use it.
 * A header field's PRESENT matchers share one expr with no expression: it
 * matches when the header occurs. A route is the list of (field, expr)
 * pairs it needs; it matches when every one of those exprs matched.
 */
#ifndef MESHGW_GW_ROUTE_INTERNAL_H
#define MESHGW_GW_ROUTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "gw_route.h"

/* Fields: host, path, method, then one per distinct header name. */
#define GW_RF_HOST   0
#define GW_RF_PATH   1
#define GW_RF_METHOD 2
#define GW_RF_HDR0   3
#define GW_RF_MAX    (GW_RF_HDR0 + GW_ROUTE_MAX_HDR_FIELDS)
#define GW_RF_NEEDS  (3 + GW_ROUTE_MAX_HEADERS) /* (field, expr) pairs per route */
#define GW_RF_NONE   UINT32_MAX

/*
 * One matched field. Unused (used == false) when no route constrains it.
 * db is NULL when the field has no expression (only PRESENT matchers);
 * present is the PRESENT expr or GW_RF_NONE. wild is a bitmap of the routes
 * that do not constrain the field (bits past n_routes clear), wild_list the
 * same sorted (kept for the driver field only).
 */
struct gw_route_field {
	bool used;
	hs_database_t *db;
	uint32_t present;
	uint64_t *wild;
	uint32_t *wild_list;
	unsigned int n_wild;
	unsigned int n_exprs; /* distinct matchers, PRESENT included */
	char *name;	      /* header fields: lower-case name */
	size_t name_len;
};

struct gw_route_need {
	uint8_t n;
	uint8_t field[GW_RF_NEEDS];
	uint32_t expr[GW_RF_NEEDS];
};

struct gw_route_table {
	unsigned int n_routes;
	unsigned int n_words; /* uint64_t words per bitmap */
	unsigned int n_exprs;
	unsigned int n_fields;	 /* GW_RF_HDR0 + header fields */
	int driver;		 /* the field candidates come from, or -1: none used */
	unsigned int sparse_max; /* more candidates than this: bitmap AND instead */
	uint64_t hash;
	struct gw_route_field f[GW_RF_MAX];
	uint32_t *expr_off; /* routes of expr e: expr_routes[expr_off[e]..[e+1]) */
	uint32_t *expr_routes;
	struct gw_route_need *need; /* per route */
};

/*
 * A worker's scratch. stamp[e] == epoch when expr e matched in the current
 * gw_route_match (nothing is cleared between calls); hits lists those exprs
 * in the order their fields were scanned, field f's in hit_lo[f]..hit_hi[f].
 */
struct gw_route_scratch {
	hs_scratch_t *hs;
	unsigned int n_words, n_exprs;
	uint32_t epoch;
	uint32_t *stamp;
	uint32_t *hits;
	unsigned int n_hits;
	uint64_t scanned; /* bit per field */
	uint32_t hit_lo[GW_RF_MAX], hit_hi[GW_RF_MAX];
	uint64_t *acc; /* bitmap mode: routes matching every field so far */
	uint64_t *cur; /* bitmap mode: routes matching the current field */
};

#endif /* MESHGW_GW_ROUTE_INTERNAL_H */

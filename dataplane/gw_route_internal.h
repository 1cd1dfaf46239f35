/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_internal.h - the layout of a compiled route table, shared by
 * gw_route_build.c (control thread) and gw_route_match.c (workers). Not an
 * interface: include gw_route.h.
 */
#ifndef MESHGW_GW_ROUTE_INTERNAL_H
#define MESHGW_GW_ROUTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "gw_route.h"

/*
 * One matched field. A field no route constrains is unused (used == false)
 * and skipped by the matcher. Otherwise wild has a bit for every route that
 * does not constrain the field, db holds one expression per constraining
 * route (id = route index) or is NULL when all of them are PRESENT header
 * matchers, and present (header fields only) has a bit per PRESENT route.
 * Bits past n_routes are always clear.
 */
struct gw_route_field {
	bool used;
	hs_database_t *db;
	uint64_t *wild;
	uint64_t *present;
	char *name; /* header fields: lower-case name */
	size_t name_len;
};

struct gw_route_table {
	unsigned int n_routes;
	unsigned int n_words; /* uint64_t words per bitmap */
	uint64_t hash;
	struct gw_route_field host, path, method;
	unsigned int n_hdr;
	struct gw_route_field hdr[GW_ROUTE_MAX_HDR_FIELDS];
};

/* A worker's scratch: Hyperscan's, plus the two bitmaps a match needs. */
struct gw_route_scratch {
	hs_scratch_t *hs;
	unsigned int n_words;
	uint64_t *acc; /* routes matching every field so far */
	uint64_t *cur; /* routes matching the field being scanned */
};

#endif /* MESHGW_GW_ROUTE_INTERNAL_H */

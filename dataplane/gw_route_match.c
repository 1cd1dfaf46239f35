/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_match.c - matching a request against a compiled route table, and
 * the per-worker scratch it needs. gw_route_match runs on workers: no
 * allocation, locks, syscalls or logging. Scratch growth is control-side.
 *
 * A match scans the driver field (see gw_route_internal.h) and takes as
 * candidates the routes of the exprs that matched plus the routes that do
 * not constrain the driver. Each candidate is checked against its needs;
 * other fields are scanned on first use, so a field no candidate needs is
 * never scanned. The cost follows the number of candidates, not of routes.
 * When there are more than sparse_max candidates, every field is scanned
 * and the per-field route sets are ANDed as bitmaps instead (O(fields *
 * routes / 64)), which bounds the worst case.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "gw_route.h"
#include "gw_route_internal.h"

void
gw_route_scratch_free(struct gw_route_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	free(s->stamp);
	free(s->hits);
	free(s->acc);
	free(s->cur);
	free(s);
}

/* Grows a clone of the current Hyperscan scratch, so that a failure leaves
 * the caller's untouched. */
static int
grow_hs_all(const struct gw_route_table *t, hs_scratch_t *old, hs_scratch_t **out)
{
	hs_scratch_t *hs = NULL;

	if (old != NULL && hs_clone_scratch(old, &hs) != HS_SUCCESS)
		return -ENOMEM;
	for (unsigned int i = 0; i < t->n_fields; i++) {
		if (t->f[i].db != NULL && hs_alloc_scratch(t->f[i].db, &hs) != HS_SUCCESS) {
			hs_free_scratch(hs);
			return -ENOMEM;
		}
	}
	*out = hs;
	return 0;
}

/* Replaces *p with a zeroed array of n elements when it holds fewer. */
static int
grow_array(void **p, unsigned int have, unsigned int n, size_t size)
{
	void *q;

	if (have >= n)
		return 0;
	if ((q = calloc(n, size)) == NULL)
		return -ENOMEM;
	free(*p);
	*p = q;
	return 0;
}

int
gw_route_scratch_grow(const struct gw_route_table *t, struct gw_route_scratch **sp)
{
	struct gw_route_scratch *s = *sp;
	struct gw_route_scratch *fresh = NULL;
	hs_scratch_t *hs = NULL;
	unsigned int nx = t->n_exprs > 0 ? t->n_exprs : 1;
	int rc;

	if (s == NULL) {
		s = fresh = calloc(1, sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
	}
	/* Each array is replaced only once its new size is allocated: a failure
	 * leaves the scratch usable for the tables it served. */
	if ((rc = grow_array((void **)&s->acc, s->n_words, t->n_words, sizeof(uint64_t))) < 0 ||
	    (rc = grow_array((void **)&s->cur, s->n_words, t->n_words, sizeof(uint64_t))) < 0)
		goto fail;
	if (s->n_words < t->n_words)
		s->n_words = t->n_words;
	if ((rc = grow_array((void **)&s->hits, s->n_exprs, nx, sizeof(uint32_t))) < 0 ||
	    (rc = grow_array((void **)&s->stamp, s->n_exprs, nx, sizeof(uint32_t))) < 0)
		goto fail;
	if (s->n_exprs < nx) {
		s->n_exprs = nx;
		s->epoch = 0; /* the new stamps are all 0: any epoch but 0 is fresh */
	}
	if ((rc = grow_hs_all(t, s->hs, &hs)) < 0)
		goto fail;
	hs_free_scratch(s->hs);
	s->hs = hs;
	*sp = s;
	return 0;
fail:
	gw_route_scratch_free(fresh);
	return rc;
}

/* Records expr id as matched (once per gw_route_match). */
static inline void
hit(struct gw_route_scratch *s, unsigned int id)
{
	if (s->stamp[id] != s->epoch) {
		s->stamp[id] = s->epoch;
		s->hits[s->n_hits++] = id;
	}
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	hit(ctx, id);
	return 0;
}

static int
scan(const hs_database_t *db, struct gw_route_span v, struct gw_route_scratch *s)
{
	const char *p = v.p != NULL ? v.p : "";

	if (db == NULL)
		return 0;
	if (hs_scan(db, p, v.p != NULL ? (unsigned int)v.len : 0, 0, s->hs, on_match, s) !=
	    HS_SUCCESS)
		return -EIO;
	return 0;
}

static bool
hdr_name_eq(const struct gw_route_field *f, struct gw_route_span name)
{
	if (name.len != f->name_len || name.p == NULL)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)f->name[i])
			return false;
	}
	return true;
}

/* Scans field fi once: its matched exprs are stamped and listed. A header
 * field scans every occurrence; its PRESENT expr matches if there is one. */
static int
scan_field(const struct gw_route_table *t, struct gw_route_scratch *s,
	   const struct gw_route_req *req, unsigned int fi)
{
	const struct gw_route_field *f = &t->f[fi];
	bool seen = false;
	int rc = 0;

	s->scanned |= UINT64_C(1) << fi;
	s->hit_lo[fi] = s->n_hits;
	if (fi == GW_RF_HOST)
		rc = scan(f->db, req->host, s);
	else if (fi == GW_RF_PATH)
		rc = scan(f->db, req->path, s);
	else if (fi == GW_RF_METHOD)
		rc = scan(f->db, req->method, s);
	else
		for (unsigned int i = 0; rc == 0 && i < req->n_headers; i++) {
			if (!hdr_name_eq(f, req->headers[i].name))
				continue;
			seen = true;
			rc = scan(f->db, req->headers[i].value, s);
		}
	if (seen && f->present != GW_RF_NONE)
		hit(s, f->present);
	s->hit_hi[fi] = s->n_hits;
	return rc;
}

/* 1 if route r matches, 0 if not, -errno. */
static int
route_ok(const struct gw_route_table *t, struct gw_route_scratch *s, const struct gw_route_req *req,
	 unsigned int r)
{
	const struct gw_route_need *nd = &t->need[r];
	int rc;

	for (unsigned int k = 0; k < nd->n; k++) {
		if (!(s->scanned & (UINT64_C(1) << nd->field[k])) &&
		    (rc = scan_field(t, s, req, nd->field[k])) < 0)
			return rc;
		if (s->stamp[nd->expr[k]] != s->epoch)
			return 0;
	}
	return 1;
}

/* The driver's candidates in turn; -2 when there are too many. */
static int
match_sparse(const struct gw_route_table *t, struct gw_route_scratch *s,
	     const struct gw_route_req *req)
{
	const struct gw_route_field *f = &t->f[t->driver];
	unsigned int n = f->n_wild;
	unsigned int best = UINT32_MAX;
	int rc;

	for (uint32_t h = s->hit_lo[t->driver]; h < s->hit_hi[t->driver]; h++)
		n += t->expr_off[s->hits[h] + 1] - t->expr_off[s->hits[h]];
	if (n > t->sparse_max)
		return -2;
	/* Matched routes in any order (each list is sorted: stop at best). */
	for (uint32_t h = s->hit_lo[t->driver]; h < s->hit_hi[t->driver]; h++) {
		uint32_t e = s->hits[h];

		for (uint32_t k = t->expr_off[e]; k < t->expr_off[e + 1]; k++) {
			uint32_t r = t->expr_routes[k];

			if (r >= best)
				break;
			if ((rc = route_ok(t, s, req, r)) < 0)
				return rc;
			if (rc == 1) {
				best = r;
				break;
			}
		}
	}
	/* Then the routes that do not constrain the driver, below best. */
	for (unsigned int k = 0; k < f->n_wild && f->wild_list[k] < best; k++) {
		if ((rc = route_ok(t, s, req, f->wild_list[k])) < 0)
			return rc;
		if (rc == 1)
			return (int)f->wild_list[k];
	}
	return best == UINT32_MAX ? -1 : (int)best;
}

/* Every field scanned; acc = AND over fields of (wild | matched routes). */
static int
match_bitmap(const struct gw_route_table *t, struct gw_route_scratch *s,
	     const struct gw_route_req *req)
{
	unsigned int nw = t->n_words;
	int rc;

	memset(s->acc, 0xff, nw * sizeof(uint64_t));
	if (t->n_routes % 64 != 0)
		s->acc[nw - 1] = (UINT64_C(1) << (t->n_routes % 64)) - 1;
	for (unsigned int fi = 0; fi < t->n_fields; fi++) {
		const struct gw_route_field *f = &t->f[fi];
		uint64_t any = 0;

		if (!f->used)
			continue;
		if (!(s->scanned & (UINT64_C(1) << fi)) && (rc = scan_field(t, s, req, fi)) < 0)
			return rc;
		memcpy(s->cur, f->wild, nw * sizeof(uint64_t));
		for (uint32_t h = s->hit_lo[fi]; h < s->hit_hi[fi]; h++)
			for (uint32_t k = t->expr_off[s->hits[h]]; k < t->expr_off[s->hits[h] + 1];
			     k++)
				s->cur[t->expr_routes[k] / 64] |= UINT64_C(1)
								  << (t->expr_routes[k] % 64);
		for (unsigned int w = 0; w < nw; w++)
			any |= (s->acc[w] &= s->cur[w]);
		if (any == 0)
			return -1;
	}
	for (unsigned int w = 0; w < nw; w++)
		if (s->acc[w] != 0)
			return (int)(w * 64 + (unsigned int)__builtin_ctzll(s->acc[w]));
	return -1;
}

int
gw_route_match(const struct gw_route_table *t, struct gw_route_scratch *s,
	       const struct gw_route_req *req)
{
	int rc;

	if (s == NULL || s->n_words < t->n_words || s->n_exprs < t->n_exprs)
		return -EINVAL;
	if (t->driver < 0)
		return 0;      /* no route constrains anything: the first one wins */
	if (++s->epoch == 0) { /* wrapped: old stamps could look fresh */
		memset(s->stamp, 0, s->n_exprs * sizeof(uint32_t));
		s->epoch = 1;
	}
	s->scanned = 0;
	s->n_hits = 0;
	if ((rc = scan_field(t, s, req, (unsigned int)t->driver)) < 0)
		return rc;
	rc = match_sparse(t, s, req);
	return rc != -2 ? rc : match_bitmap(t, s, req);
}

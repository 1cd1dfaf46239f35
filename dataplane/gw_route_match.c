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
		const struct gw_route_index *x = t->f[i].idx;

		if (t->f[i].db != NULL && hs_alloc_scratch(t->f[i].db, &hs) != HS_SUCCESS)
			goto fail;
		for (unsigned int k = 0; x != NULL && k < x->n_dbs; k++)
			if (hs_alloc_scratch(x->dbs[k], &hs) != HS_SUCCESS)
				goto fail;
	}
	*out = hs;
	return 0;
fail:
	hs_free_scratch(hs);
	return -ENOMEM;
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

/* A regex group's tail scan: its ids are base..base + n; others' are
 * skipped. */
struct group_ctx {
	struct gw_route_scratch *s;
	const uint32_t *map;
	uint32_t base, n;
};

static int
on_group_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	       void *ctx)
{
	struct group_ctx *g = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id - g->base < g->n)
		hit(g->s, g->map[id - g->base]);
	return 0;
}

/* What key l of a path of len bytes matches, the first L bytes being l's. */
static int
path_key(const struct gw_route_index *x, const struct gw_route_lit *l, struct gw_route_scratch *s,
	 const char *p, size_t L, size_t len)
{
	const struct gw_route_group *g;
	struct group_ctx gc;

	if (l->exact != GW_RF_NONE && L == len)
		hit(s, l->exact);
	if (l->part != GW_RF_NONE)
		hit(s, l->part);
	if (l->group == GW_RF_NONE)
		return 0;
	g = &x->groups[l->group];
	gc = (struct group_ctx){s, x->map + g->map, g->base, g->n};
	if (hs_scan(x->dbs[g->db], p + L, (unsigned int)(len - L), 0, s->hs, on_group_match, &gc) !=
	    HS_SUCCESS)
		return -EIO;
	return 0;
}

/* Probes each prefix of the path whose length some key has, hashing the
 * path word by word once (see gw_lit_hash). */
static int
scan_path_index(const struct gw_route_index *x, struct gw_route_scratch *s, struct gw_route_span v)
{
	const char *p = v.p != NULL ? v.p : "";
	size_t len = v.p != NULL ? v.len : 0;
	size_t top = len < x->max_len ? len : x->max_len, done = 0;
	uint64_t h = GW_LIT_SEED;
	int rc;

	for (size_t w = 0; w <= top / 64; w++) {
		uint64_t bits = x->lens[w];

		if (w == top / 64 && top % 64 != 63)
			bits &= (UINT64_C(2) << (top % 64)) - 1;
		for (; bits != 0; bits &= bits - 1) {
			size_t L = w * 64 + (size_t)__builtin_ctzll(bits);
			const struct gw_route_lit *l;

			for (; done + 8 <= L; done += 8)
				h = gw_lit_step(h, gw_lit_load(p + done, 8, false));
			l = gw_lit_find(x, p, L,
					gw_lit_fin(h, gw_lit_load(p + done, L - done, false), L));
			if (l != NULL && (rc = path_key(x, l, s, p, L, len)) < 0)
				return rc;
		}
	}
	return 0;
}

/* The value whole, then (host wildcards: "*.d" is key ".d") from each dot
 * past the first byte. */
static void
scan_value_index(const struct gw_route_index *x, struct gw_route_scratch *s, struct gw_route_span v)
{
	const char *p = v.p != NULL ? v.p : "";
	size_t len = v.p != NULL ? v.len : 0;
	const struct gw_route_lit *l;

	if (len <= x->max_len && (x->lens[len / 64] & (UINT64_C(1) << (len % 64))) &&
	    (l = gw_lit_find(x, p, len, gw_lit_hash(p, len, x->fold))) != NULL &&
	    l->exact != GW_RF_NONE)
		hit(s, l->exact);
	for (size_t i = len; i-- > 1;) {
		size_t n = len - i;

		if (p[i] != '.' || n > x->max_len || !(x->lens[n / 64] & (UINT64_C(1) << (n % 64))))
			continue;
		l = gw_lit_find(x, p + i, n, gw_lit_hash(p + i, n, x->fold));
		if (l != NULL && l->part != GW_RF_NONE)
			hit(s, l->part);
	}
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
	if (fi == GW_RF_HOST) {
		if (f->idx != NULL)
			scan_value_index(f->idx, s, req->host);
		rc = scan(f->db, req->host, s);
	} else if (fi == GW_RF_PATH) {
		if (f->idx != NULL)
			rc = scan_path_index(f->idx, s, req->path);
		if (rc == 0)
			rc = scan(f->db, req->path, s);
	} else if (fi == GW_RF_METHOD) {
		if (f->idx != NULL)
			scan_value_index(f->idx, s, req->method);
		rc = scan(f->db, req->method, s);
	} else {
		for (unsigned int i = 0; rc == 0 && i < req->n_headers; i++) {
			if (!hdr_name_eq(f, req->headers[i].name))
				continue;
			seen = true;
			if (f->idx != NULL)
				scan_value_index(f->idx, s, req->headers[i].value);
			rc = scan(f->db, req->headers[i].value, s);
		}
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

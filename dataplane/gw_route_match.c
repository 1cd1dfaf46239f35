/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_match.c - matching a request against a compiled route table, and
 * the per-worker scratch it needs. gw_route_match runs on workers: no
 * allocation, locks, syscalls or logging. Scratch growth is control-side.
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
	s->hs = NULL;
	free(s->acc);
	s->acc = NULL;
	free(s->cur);
	s->cur = NULL;
	free(s);
}

static int
grow_hs(hs_scratch_t **hs, const hs_database_t *db)
{
	if (db == NULL)
		return 0;
	return hs_alloc_scratch(db, hs) == HS_SUCCESS ? 0 : -ENOMEM;
}

/* Grows a clone of the current Hyperscan scratch, so that a failure leaves
 * the caller's untouched. */
static int
grow_hs_all(const struct gw_route_table *t, hs_scratch_t *old, hs_scratch_t **out)
{
	hs_scratch_t *hs = NULL;
	int rc = 0;

	if (old != NULL && hs_clone_scratch(old, &hs) != HS_SUCCESS)
		return -ENOMEM;
	rc = grow_hs(&hs, t->host.db);
	if (rc == 0)
		rc = grow_hs(&hs, t->path.db);
	if (rc == 0)
		rc = grow_hs(&hs, t->method.db);
	for (unsigned int i = 0; rc == 0 && i < t->n_hdr; i++)
		rc = grow_hs(&hs, t->hdr[i].db);
	if (rc < 0) {
		hs_free_scratch(hs);
		return rc;
	}
	*out = hs;
	return 0;
}

int
gw_route_scratch_grow(const struct gw_route_table *t, struct gw_route_scratch **sp)
{
	struct gw_route_scratch *s = *sp;
	struct gw_route_scratch *fresh = NULL;
	hs_scratch_t *hs = NULL;
	int rc;

	if (s == NULL) {
		s = fresh = calloc(1, sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
	}
	if (s->n_words < t->n_words) {
		uint64_t *acc = calloc(t->n_words, sizeof(uint64_t));
		uint64_t *cur = calloc(t->n_words, sizeof(uint64_t));

		if (acc == NULL || cur == NULL) {
			free(acc);
			free(cur);
			rc = -ENOMEM;
			goto fail;
		}
		free(s->acc);
		free(s->cur);
		s->acc = acc;
		s->cur = cur;
		s->n_words = t->n_words;
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

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *ctx)
{
	uint64_t *bits = ctx;

	(void)from;
	(void)to;
	(void)flags;
	bits[id / 64] |= UINT64_C(1) << (id % 64);
	return 0;
}

/* Sets in s->cur the bits of the routes whose expression on db matches v. */
static int
scan(const hs_database_t *db, struct gw_route_span v, struct gw_route_scratch *s)
{
	const char *p = v.p != NULL ? v.p : "";

	if (db == NULL)
		return 0;
	if (v.p == NULL)
		v.len = 0;
	if (hs_scan(db, p, (unsigned int)v.len, 0, s->hs, on_match, s->cur) != HS_SUCCESS)
		return -EIO;
	return 0;
}

/* acc &= cur; false once no route is left. */
static bool
and_into(uint64_t *acc, const uint64_t *cur, unsigned int n_words)
{
	uint64_t any = 0;

	for (unsigned int i = 0; i < n_words; i++) {
		acc[i] &= cur[i];
		any |= acc[i];
	}
	return any != 0;
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

/* One header field into s->cur: every occurrence of the header is scanned
 * and PRESENT routes count once it occurs at all. */
static int
scan_hdr(const struct gw_route_field *f, const struct gw_route_req *req, struct gw_route_scratch *s,
	 unsigned int n_words)
{
	bool seen = false;
	int rc;

	for (unsigned int i = 0; i < req->n_headers; i++) {
		if (!hdr_name_eq(f, req->headers[i].name))
			continue;
		seen = true;
		if ((rc = scan(f->db, req->headers[i].value, s)) < 0)
			return rc;
	}
	if (seen)
		for (unsigned int w = 0; w < n_words; w++)
			s->cur[w] |= f->present[w];
	return 0;
}

/* Narrows s->acc by one field; 1 if routes remain, 0 if none, -errno. */
static int
field_step(const struct gw_route_field *f, const struct gw_route_span *v,
	   const struct gw_route_req *req, struct gw_route_scratch *s, unsigned int n_words)
{
	int rc;

	if (!f->used)
		return 1;
	memcpy(s->cur, f->wild, n_words * sizeof(uint64_t));
	rc = v != NULL ? scan(f->db, *v, s) : scan_hdr(f, req, s, n_words);
	if (rc < 0)
		return rc;
	return and_into(s->acc, s->cur, n_words) ? 1 : 0;
}

int
gw_route_match(const struct gw_route_table *t, struct gw_route_scratch *s,
	       const struct gw_route_req *req)
{
	unsigned int nw = t->n_words;
	int rc;

	if (s == NULL || s->n_words < nw)
		return -EINVAL;
	memset(s->acc, 0xff, nw * sizeof(uint64_t));
	if (t->n_routes % 64 != 0)
		s->acc[nw - 1] = (UINT64_C(1) << (t->n_routes % 64)) - 1;
	/* Path first: usually the most selective, so later fields can stop early. */
	if ((rc = field_step(&t->path, &req->path, req, s, nw)) <= 0 ||
	    (rc = field_step(&t->host, &req->host, req, s, nw)) <= 0 ||
	    (rc = field_step(&t->method, &req->method, req, s, nw)) <= 0)
		return rc < 0 ? rc : -1;
	for (unsigned int i = 0; i < t->n_hdr; i++)
		if ((rc = field_step(&t->hdr[i], NULL, req, s, nw)) <= 0)
			return rc < 0 ? rc : -1;
	for (unsigned int w = 0; w < nw; w++)
		if (s->acc[w] != 0)
			return (int)(w * 64 + (unsigned int)__builtin_ctzll(s->acc[w]));
	return -1;
}

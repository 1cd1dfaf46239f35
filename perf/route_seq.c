/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route_seq.c - the sequential PCRE2-JIT first-match router the benchmark
 * compares gw_route_match with (see route_seq.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "route_seq.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One matcher: its kind, the literal, or the compiled regex. */
struct seq_str {
	enum gw_route_kind kind;
	char *lit;
	size_t len;
	pcre2_code *re;
};

struct seq_route {
	struct seq_str host, path, method;
	unsigned int n_headers;
	char *hname[GW_ROUTE_MAX_HEADERS];
	size_t hlen[GW_ROUTE_MAX_HEADERS];
	struct seq_str hval[GW_ROUTE_MAX_HEADERS];
};

struct seq_table {
	unsigned int n;
	pcre2_match_data *md;
	struct seq_route r[];
};

static int
str_init(struct seq_str *s, const struct gw_route_str_match *m, char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE off;

	s->kind = m->kind;
	if (m->kind == GW_ROUTE_ANY || m->kind == GW_ROUTE_PRESENT)
		return 0;
	if (m->kind == GW_ROUTE_SUFFIX) /* "*.domain": keep ".domain" */
		s->lit = strdup(m->value + 1);
	else
		s->lit = strdup(m->value);
	if (s->lit == NULL)
		return -1;
	s->len = strlen(s->lit);
	if (m->kind != GW_ROUTE_REGEX)
		return 0;
	s->re = pcre2_compile((PCRE2_SPTR)m->value, PCRE2_ZERO_TERMINATED,
			      PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL, &ec, &off, NULL);
	if (s->re == NULL || pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE) != 0) {
		snprintf(err, errlen, "pcre2: %s: cannot compile or JIT", m->value);
		return -1;
	}
	return 0;
}

static void
str_free(struct seq_str *s)
{
	free(s->lit);
	pcre2_code_free(s->re);
}

void
seq_free(struct seq_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n; i++) {
		struct seq_route *r = &t->r[i];

		str_free(&r->host);
		str_free(&r->path);
		str_free(&r->method);
		for (unsigned int h = 0; h < r->n_headers; h++) {
			free(r->hname[h]);
			str_free(&r->hval[h]);
		}
	}
	pcre2_match_data_free(t->md);
	free(t);
}

struct seq_table *
seq_build(const struct gw_route_def *defs, unsigned int n, char *err, size_t errlen)
{
	struct seq_table *t = calloc(1, sizeof(*t) + n * sizeof(t->r[0]));

	snprintf(err, errlen, "out of memory");
	if (t == NULL)
		return NULL;
	t->md = pcre2_match_data_create(1, NULL);
	if (t->md == NULL)
		goto fail;
	for (unsigned int i = 0; i < n; i++, t->n++) {
		const struct gw_route_def *d = &defs[i];
		struct seq_route *r = &t->r[i];
		struct gw_route_str_match meth = {d->method != NULL ? GW_ROUTE_EXACT : GW_ROUTE_ANY,
						  d->method};

		if (str_init(&r->host, &d->host, err, errlen) < 0 ||
		    str_init(&r->path, &d->path, err, errlen) < 0 ||
		    str_init(&r->method, &meth, err, errlen) < 0)
			goto fail_route;
		for (unsigned int h = 0; h < d->n_headers; h++, r->n_headers++) {
			r->hname[h] = strdup(d->headers[h].name);
			if (r->hname[h] == NULL)
				goto fail_route;
			r->hlen[h] = strlen(r->hname[h]);
			if (str_init(&r->hval[h], &d->headers[h].m, err, errlen) < 0) {
				r->n_headers++;
				goto fail_route;
			}
		}
	}
	return t;
fail_route:
	t->n++;
fail:
	seq_free(t);
	return NULL;
}

static bool
regex_ok(struct seq_table *t, const pcre2_code *re, struct gw_route_span v)
{
	const char *p = v.p != NULL ? v.p : "";

	return pcre2_jit_match(re, (PCRE2_SPTR)p, v.p != NULL ? v.len : 0, 0, 0, t->md, NULL) >= 0;
}

/* A non-host, non-PRESENT matcher against a value (case-sensitive). */
static bool
str_ok(struct seq_table *t, const struct seq_str *s, struct gw_route_span v)
{
	switch (s->kind) {
	case GW_ROUTE_ANY:
		return true;
	case GW_ROUTE_EXACT:
		return v.len == s->len && (s->len == 0 || memcmp(v.p, s->lit, s->len) == 0);
	case GW_ROUTE_PREFIX:
		return v.len >= s->len && (s->len == 0 || memcmp(v.p, s->lit, s->len) == 0);
	case GW_ROUTE_REGEX:
		return regex_ok(t, s->re, v);
	default:
		return false;
	}
}

static bool
host_ok(const struct seq_str *s, struct gw_route_span v)
{
	switch (s->kind) {
	case GW_ROUTE_ANY:
		return true;
	case GW_ROUTE_EXACT:
		return v.len == s->len && strncasecmp(v.p, s->lit, s->len) == 0;
	case GW_ROUTE_SUFFIX: /* ".domain" after at least one character */
		return v.len > s->len && strncasecmp(v.p + v.len - s->len, s->lit, s->len) == 0;
	default:
		return false;
	}
}

static bool
headers_ok(struct seq_table *t, const struct seq_route *r, const struct gw_route_req *req)
{
	for (unsigned int h = 0; h < r->n_headers; h++) {
		bool ok = false;

		for (unsigned int k = 0; k < req->n_headers && !ok; k++) {
			const struct gw_route_hdr *x = &req->headers[k];

			if (x->name.len != r->hlen[h] ||
			    strncasecmp(x->name.p, r->hname[h], r->hlen[h]) != 0)
				continue;
			ok = r->hval[h].kind == GW_ROUTE_PRESENT ||
			     str_ok(t, &r->hval[h], x->value);
		}
		if (!ok)
			return false;
	}
	return true;
}

int
seq_match(struct seq_table *t, const struct gw_route_req *req)
{
	for (unsigned int i = 0; i < t->n; i++) {
		const struct seq_route *r = &t->r[i];

		if (host_ok(&r->host, req->host) && str_ok(t, &r->method, req->method) &&
		    str_ok(t, &r->path, req->path) && headers_ok(t, r, req))
			return (int)i;
	}
	return -1;
}

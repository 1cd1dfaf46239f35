/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_route_match.c - the route matcher on its own (Hyperscan, no DPDK):
 * first-match order, each matcher kind, routes without matchers, literal
 * escaping, refusal of unsupported regexes with the route named, the content
 * hash, and a generated 10,000-route table (build time and match cost
 * printed).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* cmocka.h needs these first; .clang-format would sort it above them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "gw_route.h"

#define MAX_HDRS 8

/* A request built from C strings; headers as "name", "value" pairs. */
struct req {
	struct gw_route_req r;
	struct gw_route_hdr h[MAX_HDRS];
};

static struct gw_route_span
span(const char *s)
{
	struct gw_route_span v = {s, s != NULL ? strlen(s) : 0};

	return v;
}

static const struct gw_route_req *
mkreq(struct req *q, const char *host, const char *path, const char *method, ...)
{
	va_list ap;
	const char *name;

	memset(q, 0, sizeof(*q));
	q->r.host = span(host);
	q->r.path = span(path);
	q->r.method = span(method);
	q->r.headers = q->h;
	va_start(ap, method);
	while ((name = va_arg(ap, const char *)) != NULL && q->r.n_headers < MAX_HDRS) {
		q->h[q->r.n_headers].name = span(name);
		q->h[q->r.n_headers].value = span(va_arg(ap, const char *));
		q->r.n_headers++;
	}
	va_end(ap);
	return &q->r;
}

static struct gw_route_table *
build_ok(const struct gw_route_def *defs, unsigned int n)
{
	char err[256];
	struct gw_route_table *t = gw_route_build(defs, n, err, sizeof(err));

	if (t == NULL)
		fail_msg("build: %s", err);
	return t;
}

/* Builds, grows a scratch and matches one request. */
struct ctx {
	struct gw_route_table *t;
	struct gw_route_scratch *s;
};

static void
ctx_init(struct ctx *c, const struct gw_route_def *defs, unsigned int n)
{
	c->t = build_ok(defs, n);
	c->s = NULL;
	assert_int_equal(gw_route_scratch_grow(c->t, &c->s), 0);
}

static void
ctx_fini(struct ctx *c)
{
	gw_route_scratch_free(c->s);
	gw_route_free(c->t);
}

static int
m(struct ctx *c, const char *host, const char *path, const char *method)
{
	struct req q;

	return gw_route_match(c->t, c->s, mkreq(&q, host, path, method, NULL));
}

static void
test_first_match(void **state)
{
	struct gw_route_def d[3] = {
		{.path = {GW_ROUTE_PREFIX, "/api/v2"}},
		{.path = {GW_ROUTE_PREFIX, "/api"}},
		{.path = {GW_ROUTE_EXACT, "/api/v2/x"}},
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 3);
	assert_int_equal(m(&c, "h", "/api/v2/x", "GET"), 0); /* all three match */
	assert_int_equal(m(&c, "h", "/api/v1", "GET"), 1);
	assert_int_equal(m(&c, "h", "/other", "GET"), -1);
	ctx_fini(&c);
	/* Swapped order: the broader route now shadows the narrower one. */
	d[0].path.value = "/api";
	d[1].path.value = "/api/v2";
	ctx_init(&c, d, 3);
	assert_int_equal(m(&c, "h", "/api/v2/x", "GET"), 0);
	ctx_fini(&c);
}

static void
test_host(void **state)
{
	struct gw_route_def d[2] = {
		{.host = {GW_ROUTE_EXACT, "api.example.com"}},
		{.host = {GW_ROUTE_SUFFIX, "*.example.com"}},
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 2);
	assert_int_equal(m(&c, "api.example.com", "/", "GET"), 0);
	assert_int_equal(m(&c, "API.Example.COM", "/", "GET"), 0);
	assert_int_equal(m(&c, "www.example.com", "/", "GET"), 1);
	assert_int_equal(m(&c, "a.b.EXAMPLE.com", "/", "GET"), 1);
	assert_int_equal(m(&c, "example.com", "/", "GET"), -1);
	assert_int_equal(m(&c, "api.example.com.evil", "/", "GET"), -1);
	assert_int_equal(m(&c, "xexample.com", "/", "GET"), -1);
	assert_int_equal(m(&c, "api.example.co", "/", "GET"), -1);
	assert_int_equal(m(&c, NULL, "/", "GET"), -1);
	ctx_fini(&c);
}

static void
test_path_kinds(void **state)
{
	struct gw_route_def d[3] = {
		{.path = {GW_ROUTE_EXACT, "/exact"}},
		{.path = {GW_ROUTE_REGEX, "/users/[0-9]+"}},
		{.path = {GW_ROUTE_PREFIX, "/static/"}},
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 3);
	assert_int_equal(m(&c, "h", "/exact", "GET"), 0);
	assert_int_equal(m(&c, "h", "/exact/", "GET"), -1);
	assert_int_equal(m(&c, "h", "/exac", "GET"), -1);
	assert_int_equal(m(&c, "h", "/EXACT", "GET"), -1); /* paths are case-sensitive */
	assert_int_equal(m(&c, "h", "/users/42", "GET"), 1);
	/* Full match only: a regex that matches a part of the path does not count. */
	assert_int_equal(m(&c, "h", "/users/42/posts", "GET"), -1);
	assert_int_equal(m(&c, "h", "/v1/users/42", "GET"), -1);
	assert_int_equal(m(&c, "h", "/static/", "GET"), 2);
	assert_int_equal(m(&c, "h", "/static/a/b.css", "GET"), 2);
	assert_int_equal(m(&c, "h", "/x/static/", "GET"), -1);
	ctx_fini(&c);
}

static void
test_regex_alternation_is_whole(void **state)
{
	/* ^(?:a|b)$, not ^a|b$: "xb" and "ax" must not match. */
	struct gw_route_def d[1] = {{.path = {GW_ROUTE_REGEX, "/a|/b"}}};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 1);
	assert_int_equal(m(&c, "h", "/a", "GET"), 0);
	assert_int_equal(m(&c, "h", "/b", "GET"), 0);
	assert_int_equal(m(&c, "h", "/ax", "GET"), -1);
	assert_int_equal(m(&c, "h", "x/b", "GET"), -1);
	ctx_fini(&c);
}

static void
test_literal_escaping(void **state)
{
	struct gw_route_def d[3] = {
		{.path = {GW_ROUTE_EXACT, "/a.b(c)"}},
		{.path = {GW_ROUTE_PREFIX, "/x+[y]*?\\$^|{2}"}},
		{.host = {GW_ROUTE_EXACT, "a.b"}},
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 3);
	assert_int_equal(m(&c, "h", "/a.b(c)", "GET"), 0);
	assert_int_equal(m(&c, "h", "/aXb(c)", "GET"), -1); /* '.' is not a wildcard */
	assert_int_equal(m(&c, "h", "/a.bc", "GET"), -1);   /* parentheses are literal */
	assert_int_equal(m(&c, "h", "/x+[y]*?\\$^|{2}/more", "GET"), 1);
	assert_int_equal(m(&c, "h", "/xx[y]", "GET"), -1);
	assert_int_equal(m(&c, "a.b", "/", "GET"), 2);
	assert_int_equal(m(&c, "aXb", "/", "GET"), -1);
	ctx_fini(&c);
}

static void
test_method(void **state)
{
	struct gw_route_def d[2] = {
		{.method = "POST", .path = {GW_ROUTE_PREFIX, "/"}},
		{.method = "GET"},
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, 2);
	assert_int_equal(m(&c, "h", "/x", "POST"), 0);
	assert_int_equal(m(&c, "h", "/x", "GET"), 1);
	assert_int_equal(m(&c, "h", "/x", "get"), -1);
	assert_int_equal(m(&c, "h", "/x", "GETX"), -1);
	assert_int_equal(m(&c, "h", "/x", "PUT"), -1);
	ctx_fini(&c);
}

static void
test_headers(void **state)
{
	struct gw_route_def d[4] = {
		{.n_headers = 2,
		 .headers = {{"X-Canary", {GW_ROUTE_EXACT, "1"}},
			     {"x-user", {GW_ROUTE_REGEX, "[a-z]+"}}}},
		{.n_headers = 1, .headers = {{"X-Debug", {GW_ROUTE_PRESENT, NULL}}}},
		{.n_headers = 1, .headers = {{"x-canary", {GW_ROUTE_REGEX, "[0-9]"}}}},
		{.path = {GW_ROUTE_EXACT, "/fallback"}},
	};
	struct ctx c;
	struct req q;

	(void)state;
	ctx_init(&c, d, 4);
	assert_int_equal(
		gw_route_match(c.t, c.s,
			       mkreq(&q, "h", "/", "GET", "x-canary", "1", "X-USER", "bob", NULL)),
		0);
	/* Regex value is a full match: "bob1" is not [a-z]+. */
	assert_int_equal(
		gw_route_match(c.t, c.s,
			       mkreq(&q, "h", "/", "GET", "x-canary", "1", "x-user", "bob1", NULL)),
		2);
	/* Exact value: "11" is not "1", and not [0-9] either. */
	assert_int_equal(
		gw_route_match(c.t, c.s,
			       mkreq(&q, "h", "/", "GET", "x-canary", "11", "x-user", "bob", NULL)),
		-1);
	/* Present: any value, even empty; absent: no match. */
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/", "GET", "x-debug", "", NULL)),
			 1);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/", "GET", "x-debu", "1", NULL)),
			 -1);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/fallback", "GET", NULL)), 3);
	/* A repeated header matches if any occurrence does. */
	assert_int_equal(
		gw_route_match(c.t, c.s,
			       mkreq(&q, "h", "/", "GET", "x-canary", "no", "x-canary", "7", NULL)),
		2);
	ctx_fini(&c);
}

static void
test_no_matchers_match_all(void **state)
{
	struct gw_route_def d[2] = {
		{.path = {GW_ROUTE_EXACT, "/only"}, .host = {GW_ROUTE_EXACT, "h"}},
		{.method = NULL},
	};
	struct ctx c;
	struct req q;

	(void)state;
	ctx_init(&c, d, 2);
	assert_int_equal(m(&c, "h", "/only", "GET"), 0);
	assert_int_equal(m(&c, "other", "/only", "GET"), 1);
	assert_int_equal(m(&c, NULL, NULL, NULL), 1);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "x", "/y", "Z", "a", "b", NULL)), 1);
	ctx_fini(&c);
	/* A table of only catch-alls needs no database at all. */
	ctx_init(&c, &d[1], 1);
	assert_int_equal(m(&c, "any", "/thing", "DELETE"), 0);
	ctx_fini(&c);
}

/* A reference matcher for literal-only routes: each route checked in turn. */
static bool
lit_ok(const struct gw_route_str_match *m, const char *v, bool host)
{
	size_t lv = v != NULL ? strlen(v) : 0, lm;

	if (m->kind == GW_ROUTE_ANY)
		return true;
	if (v == NULL)
		v = "";
	lm = strlen(m->value);
	switch (m->kind) {
	case GW_ROUTE_EXACT:
		return lv == lm &&
		       (host ? strncasecmp(v, m->value, lm) : strncmp(v, m->value, lm)) == 0;
	case GW_ROUTE_PREFIX:
		return lv >= lm && strncmp(v, m->value, lm) == 0;
	case GW_ROUTE_SUFFIX:
		return lv > lm - 1 && strcasecmp(v + lv - (lm - 1), m->value + 1) == 0;
	default:
		return false;
	}
}

static int
ref_match(const struct gw_route_def *d, unsigned int n, const char *host, const char *path,
	  const char *method, const char *hname, const char *hval)
{
	for (unsigned int i = 0; i < n; i++) {
		bool ok = lit_ok(&d[i].host, host, true) && lit_ok(&d[i].path, path, false) &&
			  (d[i].method == NULL || strcmp(d[i].method, method) == 0);

		for (unsigned int h = 0; ok && h < d[i].n_headers; h++)
			ok = hname != NULL && strcasecmp(d[i].headers[h].name, hname) == 0 &&
			     (d[i].headers[h].m.kind == GW_ROUTE_PRESENT ||
			      lit_ok(&d[i].headers[h].m, hval, false));
		if (ok)
			return (int)i;
	}
	return -1;
}

/*
 * Tables where few routes constrain the path (header-only, method-only,
 * host-only routes, duplicates: ties), so that the candidate walk gives up
 * for the bitmap AND, beside small ones where it does not; every request
 * against the reference matcher.
 */
static void
test_against_reference(void **state)
{
	static const unsigned int sizes[] = {5, 70, 700, 3000};
	static const char *const methods[] = {"GET", "POST", "PUT"};
	char(*buf)[32] = calloc(3000 * 2, 32);
	struct gw_route_def *d = calloc(3000, sizeof(*d));

	(void)state;
	assert_non_null(buf);
	assert_non_null(d);
	for (unsigned int z = 0; z < 4; z++) {
		unsigned int n = sizes[z];
		struct ctx c;

		for (unsigned int i = 0; i < n; i++) {
			unsigned int k = (i * 7 + z) % 11;
			char *v = buf[2 * i], *w = buf[2 * i + 1];

			memset(&d[i], 0, sizeof(d[i]));
			sprintf(v, "v%u", i % 13);
			sprintf(w, "/p%u", i % 17);
			if (k < 4) { /* header-only */
				d[i].n_headers = 1;
				d[i].headers[0] = (struct gw_route_hdr_match){
					"X-T", {k == 0 ? GW_ROUTE_PRESENT : GW_ROUTE_EXACT, v}};
			} else if (k < 6) {
				d[i].method = methods[i % 3];
			} else if (k < 8) {
				sprintf(w, "*.h%u.com", i % 19);
				d[i].host = (struct gw_route_str_match){GW_ROUTE_SUFFIX, w};
			} else {
				d[i].path = (struct gw_route_str_match){
					k == 8 ? GW_ROUTE_EXACT : GW_ROUTE_PREFIX, w};
				if (k == 10)
					d[i].method = methods[i % 2];
			}
		}
		ctx_init(&c, d, n);
		for (unsigned int q = 0; q < 400; q++) {
			char host[32], path[32], hv[16];
			const char *method = methods[q % 3];
			const char *hname = q % 5 == 0 ? NULL : (q % 2 ? "x-t" : "X-Other");
			struct req r;

			sprintf(host, "a.h%u.COM", q % 23);
			sprintf(path, "/p%u%s", q % 19, q % 4 ? "" : "/x");
			sprintf(hv, "v%u", q % 15);
			assert_int_equal(
				gw_route_match(c.t, c.s,
					       mkreq(&r, host, path, method, hname, hv, NULL)),
				ref_match(d, n, host, path, method, hname, hv));
		}
		ctx_fini(&c);
	}
	free(d);
	free(buf);
}

/* Identical matchers compile once; every route that has one still counts,
 * and the lowest index whose other fields match wins. */
static void
test_ties(void **state)
{
	struct gw_route_def d[200];
	struct ctx c;
	struct req q;

	(void)state;
	memset(d, 0, sizeof(d));
	for (unsigned int i = 0; i < 200; i++) {
		d[i].path = (struct gw_route_str_match){GW_ROUTE_REGEX, "/same/[0-9]+"};
		d[i].method = i % 2 ? "POST" : "GET";
		if (i < 150) {
			d[i].n_headers = 1;
			d[i].headers[0] = (struct gw_route_hdr_match){"x-v", {GW_ROUTE_EXACT, "1"}};
		}
	}
	d[199].path.value = "/other";
	ctx_init(&c, d, 200);
	assert_int_equal(
		gw_route_match(c.t, c.s, mkreq(&q, "h", "/same/1", "GET", "x-v", "1", NULL)), 0);
	assert_int_equal(
		gw_route_match(c.t, c.s, mkreq(&q, "h", "/same/1", "POST", "x-v", "1", NULL)), 1);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/same/1", "POST", NULL)), 151);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/same/1", "GET", NULL)), 150);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/other", "POST", NULL)), 199);
	assert_int_equal(gw_route_match(c.t, c.s, mkreq(&q, "h", "/other", "GET", NULL)), -1);
	ctx_fini(&c);
}

static void
expect_refused(const struct gw_route_def *d, unsigned int n, const char *want1, const char *want2)
{
	char err[256];
	struct gw_route_table *t = gw_route_build(d, n, err, sizeof(err));

	assert_null(t);
	assert_int_equal(errno, EINVAL);
	if (strstr(err, want1) == NULL || (want2 != NULL && strstr(err, want2) == NULL))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, want1, want2 ? want2 : "");
}

static void
test_unsupported_regex(void **state)
{
	struct gw_route_def d[3] = {
		{.path = {GW_ROUTE_PREFIX, "/ok"}},
		{.path = {GW_ROUTE_REGEX, "/fine/[a-z]+"}},
		{.path = {GW_ROUTE_REGEX, "/(a)\\1"}},
	};

	(void)state;
	expect_refused(d, 3, "route 2: path: rejected", "Back-references");
	d[2].path.value = "/(?<=a)b";
	expect_refused(d, 3, "route 2", "path");
	/* An unsupported header regex names the route and the header. */
	d[2].path = (struct gw_route_str_match){GW_ROUTE_ANY, NULL};
	d[2].n_headers = 1;
	d[2].headers[0] = (struct gw_route_hdr_match){"X-A", {GW_ROUTE_REGEX, "(x)\\1"}};
	expect_refused(d, 3, "route 2", "header x-a");
	/* A ')' closing the wrapper group would turn full match into partial. */
	d[2].n_headers = 0;
	d[2].path = (struct gw_route_str_match){GW_ROUTE_REGEX, "/a)|(/b"};
	expect_refused(d, 3, "route 2", "unbalanced");
	/* Kinds a field does not allow. */
	d[2].path = (struct gw_route_str_match){GW_ROUTE_SUFFIX, "*.x"};
	expect_refused(d, 3, "route 2", "not allowed");
	d[2].path = (struct gw_route_str_match){GW_ROUTE_ANY, NULL};
	d[2].host = (struct gw_route_str_match){GW_ROUTE_SUFFIX, "example.com"};
	expect_refused(d, 3, "route 2", "*.domain");
}

static void
test_hash(void **state)
{
	struct gw_route_def a[2] = {
		{.path = {GW_ROUTE_PREFIX, "/a"}},
		{.n_headers = 1, .headers = {{"X-A", {GW_ROUTE_PRESENT, NULL}}}},
	};
	struct gw_route_def b[2];
	struct gw_route_table *t;
	uint64_t h = gw_route_defs_hash(a, 2);

	(void)state;
	memcpy(b, a, sizeof(a));
	b[1].headers[0].name = "x-a"; /* header names are case-insensitive */
	assert_true(gw_route_defs_hash(b, 2) == h);
	b[0].path.kind = GW_ROUTE_EXACT;
	assert_true(gw_route_defs_hash(b, 2) != h);
	b[0].path.kind = GW_ROUTE_PREFIX;
	b[0].path.value = "/b";
	assert_true(gw_route_defs_hash(b, 2) != h);
	assert_true(gw_route_defs_hash(a, 1) != h);
	t = build_ok(a, 2);
	assert_true(gw_route_table_hash(t) == h);
	gw_route_free(t);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BIG 10000

/* Route i: a third exact paths, a third prefixes, a third regexes; every
 * tenth also pinned to a host, every seventh to a method. */
static void
gen_route(struct gw_route_def *d, unsigned int i, char *buf, char *hbuf)
{
	memset(d, 0, sizeof(*d));
	switch (i % 3) {
	case 0:
		sprintf(buf, "/svc%u/exact", i);
		d->path = (struct gw_route_str_match){GW_ROUTE_EXACT, buf};
		break;
	case 1:
		sprintf(buf, "/svc%u/p/", i);
		d->path = (struct gw_route_str_match){GW_ROUTE_PREFIX, buf};
		break;
	default:
		sprintf(buf, "/svc%u/items/[0-9]+(/[a-z]+)?", i);
		d->path = (struct gw_route_str_match){GW_ROUTE_REGEX, buf};
		break;
	}
	if (i % 10 == 0) {
		sprintf(hbuf, "h%u.example.com", i);
		d->host = (struct gw_route_str_match){GW_ROUTE_EXACT, hbuf};
	}
	if (i % 7 == 0)
		d->method = "POST";
}

/* A request that route i (and no lower route) matches. */
static void
gen_request(unsigned int i, char *path, char *host, const char **method)
{
	if (i % 3 == 0)
		sprintf(path, "/svc%u/exact", i);
	else if (i % 3 == 1)
		sprintf(path, "/svc%u/p/anything/here", i);
	else
		sprintf(path, "/svc%u/items/%u/detail", i, i * 31);
	sprintf(host, i % 10 == 0 ? "H%u.Example.com" : "x%u.other", i);
	*method = i % 7 == 0 ? "POST" : "GET";
}

static void
test_ten_thousand(void **state)
{
	struct gw_route_def *d = calloc(BIG, sizeof(*d));
	char(*paths)[64] = calloc(BIG, 64);
	char(*hosts)[32] = calloc(BIG, 32);
	struct ctx c;
	double t0, t1;
	unsigned int n = 0;

	(void)state;
	assert_non_null(d);
	assert_non_null(paths);
	assert_non_null(hosts);
	for (unsigned int i = 0; i < BIG; i++)
		gen_route(&d[i], i, paths[i], hosts[i]);
	t0 = now_s();
	ctx_init(&c, d, BIG);
	t1 = now_s();
	print_message("10000 routes: build %.2f s\n", t1 - t0);
	assert_int_equal(gw_route_count(c.t), BIG);
	t0 = now_s();
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = round; i < BIG; i += 97, n++) {
			char path[64], host[32];
			const char *method;

			gen_request(i, path, host, &method);
			assert_int_equal(m(&c, host, path, method), (int)i);
			/* Wrong method or host for a pinned route: no match. */
			if (i % 7 == 0)
				assert_int_equal(m(&c, host, path, "GET"), -1);
			if (i % 10 == 0)
				assert_int_equal(m(&c, "nope", path, method), -1);
		}
	}
	t1 = now_s();
	print_message("10000 routes: %u requests, %.2f us per match\n", n, (t1 - t0) * 1e6 / n);
	assert_int_equal(m(&c, "h", "/svc2/items/x", "GET"), -1);
	assert_int_equal(m(&c, "h", "/nowhere", "GET"), -1);
	ctx_fini(&c);
	free(d);
	free(paths);
	free(hosts);
}

static void
test_scratch_shared_across_tables(void **state)
{
	struct gw_route_def small[1] = {{.path = {GW_ROUTE_EXACT, "/a"}}};
	struct gw_route_def big[130];
	struct gw_route_table *t1, *t2;
	struct gw_route_scratch *s = NULL;
	struct req q;

	(void)state;
	memset(big, 0, sizeof(big));
	for (unsigned int i = 0; i < 129; i++)
		big[i].method = "NEVER";
	big[129].n_headers = 1;
	big[129].headers[0] = (struct gw_route_hdr_match){"h", {GW_ROUTE_REGEX, "v.*"}};
	t1 = build_ok(small, 1);
	t2 = build_ok(big, 130);
	assert_int_equal(gw_route_scratch_grow(t1, &s), 0);
	/* Not yet grown for the larger table: refused, not overrun. */
	assert_int_equal(gw_route_match(t2, s, mkreq(&q, "h", "/a", "GET", NULL)), -EINVAL);
	assert_int_equal(gw_route_scratch_grow(t2, &s), 0);
	assert_int_equal(gw_route_match(t1, s, mkreq(&q, "h", "/a", "GET", NULL)), 0);
	assert_int_equal(gw_route_match(t2, s, mkreq(&q, "h", "/a", "GET", "H", "vx", NULL)), 129);
	assert_int_equal(gw_route_match(t2, s, mkreq(&q, "h", "/a", "GET", "H", "x", NULL)), -1);
	gw_route_scratch_free(s);
	gw_route_free(t1);
	gw_route_free(t2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_path_kinds),
		cmocka_unit_test(test_regex_alternation_is_whole),
		cmocka_unit_test(test_literal_escaping),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_no_matchers_match_all),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_unsupported_regex),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_scratch_shared_across_tables),
		cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

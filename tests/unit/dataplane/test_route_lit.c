/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_route_lit.c - the route matcher's literal index (gw_route_lit.c):
 * exact, prefix and regex paths that share a key, regexes split into a
 * literal prefix and a tail (and the ones that must not be), tails shared
 * by many prefixes, case-insensitive hosts (bytes next to the letters
 * included), exact methods and header values, keys longer than a bitmap word, spans that are not
 * NUL-terminated, and a generated table against a POSIX regex reference.
 */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* cmocka.h needs these first; .clang-format would sort it above them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "gw_route.h"

struct ctx {
	struct gw_route_table *t;
	struct gw_route_scratch *s;
};

static void
ctx_init(struct ctx *c, const struct gw_route_def *defs, unsigned int n)
{
	char err[256];

	c->t = gw_route_build(defs, n, err, sizeof(err));
	if (c->t == NULL)
		fail_msg("build: %s", err);
	c->s = NULL;
	assert_int_equal(gw_route_scratch_grow(c->t, &c->s), 0);
}

static void
ctx_fini(struct ctx *c)
{
	gw_route_scratch_free(c->s);
	gw_route_free(c->t);
}

/* Matches host and path given as spans of len bytes (not NUL-terminated). */
static int
mspan(struct ctx *c, const char *host, size_t hlen, const char *path, size_t plen,
      const char *method)
{
	struct gw_route_req r = {
		.host = {host, hlen},
		.path = {path, plen},
		.method = {method, strlen(method)},
	};

	return gw_route_match(c->t, c->s, &r);
}

static int
m(struct ctx *c, const char *host, const char *path, const char *method)
{
	return mspan(c, host, host != NULL ? strlen(host) : 0, path,
		     path != NULL ? strlen(path) : 0, method);
}

#define P(k, v)                                                                                    \
	{                                                                                          \
		.path = { GW_ROUTE_##k, v }                                                        \
	}

/* One key, several kinds: each route still counts in its own order. */
static void
test_kinds_share_a_key(void **state)
{
	struct gw_route_def d[] = {
		{.path = {GW_ROUTE_REGEX, "/a/[0-9]+"}, .method = "POST"},
		P(EXACT, "/a/"),
		P(REGEX, "/a/x"), /* all literal: an empty tail */
		P(PREFIX, "/a/x"),
		P(REGEX, "/a/[0-9]+"),
		P(PREFIX, "/a/"),
		P(REGEX, "/a/.*"),
		P(PREFIX, "/a"),
		P(EXACT, ""),
		P(PREFIX, ""),
	};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, sizeof(d) / sizeof(d[0]));
	assert_int_equal(m(&c, "h", "/a/12", "POST"), 0);
	assert_int_equal(m(&c, "h", "/a/12", "GET"), 4);
	assert_int_equal(m(&c, "h", "/a/", "GET"), 1);
	assert_int_equal(m(&c, "h", "/a/x", "GET"), 2);
	assert_int_equal(m(&c, "h", "/a/xy", "GET"), 3);
	assert_int_equal(m(&c, "h", "/a/y", "GET"), 5);
	assert_int_equal(m(&c, "h", "/ab", "GET"), 7);
	assert_int_equal(m(&c, "h", "", "GET"), 8);
	assert_int_equal(m(&c, "h", NULL, "GET"), 8);
	assert_int_equal(m(&c, "h", "/", "GET"), 9);
	ctx_fini(&c);
	/* Without routes 5 and 7 the regex behind the prefix is reached. */
	d[5] = (struct gw_route_def)P(EXACT, "/never");
	d[7] = (struct gw_route_def)P(EXACT, "/never2");
	ctx_init(&c, d, 8);
	assert_int_equal(m(&c, "h", "/a/y", "GET"), 6);
	assert_int_equal(m(&c, "h", "/ab", "GET"), -1);
	ctx_fini(&c);
}

/* Regexes whose literal start is a key: the split must not change what
 * they match, and the ones that cannot be split still work. */
static void
test_regex_split(void **state)
{
	static const struct {
		const char *re, *yes, *no;
	} cases[] = {
		{"/ab+", "/abbb", "/a"},	    /* quantified: "b+" is tail */
		{"/ab{2}c", "/abbc", "/abc"},	    /* counted */
		{"/ob?c", "/oc", "/obbc"},	    /* optional */
		{"/a\\.b", "/a.b", "/aXb"},	    /* escaped: literal key */
		{"/a.b", "/aXb", "/a"},		    /* '.' is not literal */
		{"/x/a|/y/b", "/y/b", "/x/b"},	    /* top-level '|': not split */
		{"/q(/a|/b)", "/q/b", "/q/c"},	    /* inner '|': split */
		{"/ab\\Bc", "/abc", "/ab"},	    /* \B looks back: not split */
		{"/k(?i)ey", "/kEY", "/KEY"},	    /* flags after the key */
		{"(?i)/case", "/CASE", "/cas"},	    /* flags first: no key */
		{"[/]z/[0-9]", "/z/5", "/z/x"},	    /* class first: no key */
		{"/t/\\d+", "/t/42", "/t/"},	    /* escaped letter: tail */
		{"/u/\\Q.*\\E", "/u/.*", "/u/ab"},  /* quoted: tail */
		{"/s p/[a-z]", "/s p/q", "/s p/Q"}, /* bytes are bytes */
		{"/n/(?:x)", "/n/x", "/n/"},	    /* group right after */
		{"/e\\/f/g", "/e/f/g", "/e\\/f/g"}, /* escaped '/' */
		{"/m/[0-9]+$", "/m/1", "/m/1x"},    /* '$' in the tail */
		{"/w/\\w+\\b", "/w/ab", "/w/a-"},   /* \b in the tail: not split */
		{"/(?:v)w", "/vw", "/w"},	    /* group: key "/" */
		{"/{x", "/{x", "/x"},		    /* '{' literal to PCRE */
	};
	unsigned int n = sizeof(cases) / sizeof(cases[0]);
	struct gw_route_def d[sizeof(cases) / sizeof(cases[0])];
	struct ctx c;

	(void)state;
	memset(d, 0, sizeof(d));
	for (unsigned int i = 0; i < n; i++)
		d[i].path = (struct gw_route_str_match){GW_ROUTE_REGEX, cases[i].re};
	/* Each alone (so nothing else can answer), then all together. */
	for (unsigned int i = 0; i < n; i++) {
		ctx_init(&c, &d[i], 1);
		if (m(&c, "h", cases[i].yes, "GET") != 0 || m(&c, "h", cases[i].no, "GET") != -1)
			fail_msg("%s: \"%s\" %d, \"%s\" %d", cases[i].re, cases[i].yes,
				 m(&c, "h", cases[i].yes, "GET"), cases[i].no,
				 m(&c, "h", cases[i].no, "GET"));
		ctx_fini(&c);
	}
	ctx_init(&c, d, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(m(&c, "h", cases[i].yes, "GET"), (int)i);
	ctx_fini(&c);
}

/* Many prefixes with the same tails share one database: the id each one
 * reports must still be its own route's. */
static void
test_shared_tails(void **state)
{
	enum { N = 300 };
	struct gw_route_def d[N];
	char buf[N][48];
	struct ctx c;

	(void)state;
	memset(d, 0, sizeof(d));
	for (unsigned int i = 0; i < N; i++) {
		sprintf(buf[i], i % 2 ? "/s%u/[0-9]+" : "/s%u/([a-z]+|[0-9]+/x)", i / 2);
		d[i].path = (struct gw_route_str_match){GW_ROUTE_REGEX, buf[i]};
		d[i].method = i % 3 == 0 ? "GET" : NULL;
	}
	ctx_init(&c, d, N);
	for (unsigned int i = 0; i < N / 2; i++) {
		char p[48];

		sprintf(p, "/s%u/42", i);
		assert_int_equal(m(&c, "h", p, "GET"), (int)(2 * i + 1));
		sprintf(p, "/s%u/abc", i);
		assert_int_equal(m(&c, "h", p, "PUT"), (2 * i) % 3 == 0 ? -1 : (int)(2 * i));
		sprintf(p, "/s%u/7/x", i);
		assert_int_equal(m(&c, "h", p, "GET"), (int)(2 * i));
	}
	assert_int_equal(m(&c, "h", "/s1000/1", "GET"), -1);
	ctx_fini(&c);
	/* Distinct tails share databases too: another prefix's tail matching
	 * the rest of the path must not count. */
	for (unsigned int i = 0; i < N; i++)
		sprintf(buf[i], "/p%u/(%u|y)", i, i);
	ctx_init(&c, d, N);
	for (unsigned int i = 0; i < N; i++) {
		char p[48];

		sprintf(p, "/p%u/y", i);
		assert_int_equal(m(&c, "h", p, "GET"), (int)i);
		sprintf(p, "/p%u/%u", i, i);
		assert_int_equal(m(&c, "h", p, "GET"), (int)i);
		sprintf(p, "/p%u/%u", i, (i + 1) % N);
		assert_int_equal(m(&c, "h", p, "GET"), -1);
	}
	ctx_fini(&c);
}

static void
test_host_case(void **state)
{
	struct gw_route_def d[] = {
		{.host = {GW_ROUTE_EXACT, "API.Example.COM"}, .method = "POST"},
		{.host = {GW_ROUTE_EXACT, "api.example.com"}},
		{.host = {GW_ROUTE_EXACT, "long[name]@with`bytes{x}.example.org"}},
		{.host = {GW_ROUTE_EXACT, "hi\xc1\xe1.example.org"}},
		{.host = {GW_ROUTE_SUFFIX, "*.Deep.EXAMPLE.net"}},
		{.host = {GW_ROUTE_SUFFIX, "*.example.net"}},
		{.host = {GW_ROUTE_SUFFIX, "*.a"}},
	};
	static const char spanned[] = "api.example.comX";
	struct ctx c;

	(void)state;
	ctx_init(&c, d, sizeof(d) / sizeof(d[0]));
	assert_int_equal(m(&c, "api.example.com", "/", "POST"), 0);
	assert_int_equal(m(&c, "aPi.eXample.cOm", "/", "GET"), 1);
	assert_int_equal(m(&c, "LONG[NAME]@WITH`BYTES{X}.EXAMPLE.ORG", "/", "GET"), 2);
	/* '[' '@' '`' '{' are not letters: one case bit apart is another byte. */
	assert_int_equal(m(&c, "long{name]@with`bytes{x}.example.org", "/", "GET"), -1);
	assert_int_equal(m(&c, "long[name]`with`bytes{x}.example.org", "/", "GET"), -1);
	assert_int_equal(m(&c, "long[name]@with@bytes{x}.example.org", "/", "GET"), -1);
	assert_int_equal(m(&c, "long[name]@with`bytes[x}.example.org", "/", "GET"), -1);
	assert_int_equal(m(&c, "HI\xc1\xe1.example.org", "/", "GET"), 3);
	assert_int_equal(m(&c, "hi\xe1\xe1.example.org", "/", "GET"), -1);
	assert_int_equal(m(&c, "x.deep.example.NET", "/", "GET"), 4);
	assert_int_equal(m(&c, "y.x.deep.example.net", "/", "GET"), 4);
	assert_int_equal(m(&c, "deep.example.net", "/", "GET"), 5);
	assert_int_equal(m(&c, ".deep.example.net", "/", "GET"), 5);
	assert_int_equal(m(&c, ".example.net", "/", "GET"), -1);
	assert_int_equal(m(&c, "b.A", "/", "GET"), 6);
	assert_int_equal(m(&c, ".a", "/", "GET"), -1);
	assert_int_equal(m(&c, "", "/", "GET"), -1);
	/* The span ends where it says, not at a NUL. */
	assert_int_equal(mspan(&c, spanned, 15, "/", 1, "GET"), 1);
	assert_int_equal(mspan(&c, spanned, 16, "/", 1, "GET"), -1);
	assert_int_equal(mspan(&c, "x.example.netZ", 13, "/", 1, "GET"), 5);
	ctx_fini(&c);
}

/* Exact methods and header values are keys too: case-sensitive, any
 * occurrence of a repeated header, beside header regexes in Hyperscan. */
static void
test_method_header_keys(void **state)
{
	struct gw_route_def d[] = {
		{.method = "PATCH",
		 .n_headers = 1,
		 .headers = {{"X-V", {GW_ROUTE_EXACT, "Abc.Def"}}}},
		{.n_headers = 1, .headers = {{"x-v", {GW_ROUTE_REGEX, "[a-z]+\\.def"}}}},
		{.method = "GET", .n_headers = 1, .headers = {{"x-v", {GW_ROUTE_EXACT, ""}}}},
		{.method = "get"},
	};
	struct gw_route_hdr h[2] = {{{"x-v", 3}, {"zzz", 3}}, {{"X-v", 3}, {"Abc.Def", 7}}};
	struct gw_route_req r = {.path = {"/", 1}, .method = {"PATCH", 5}, .headers = h};
	struct ctx c;

	(void)state;
	ctx_init(&c, d, sizeof(d) / sizeof(d[0]));
	r.n_headers = 2;
	assert_int_equal(gw_route_match(c.t, c.s, &r), 0); /* the second occurrence */
	h[1].value = (struct gw_route_span){"abc.Def", 7};
	assert_int_equal(gw_route_match(c.t, c.s, &r), -1);
	h[1].value = (struct gw_route_span){"abc.def", 7};
	assert_int_equal(gw_route_match(c.t, c.s, &r), 1);
	h[1].value = (struct gw_route_span){"Abc.DefX", 7}; /* the span's 7 bytes */
	r.method = (struct gw_route_span){"PATCHY", 5};
	assert_int_equal(gw_route_match(c.t, c.s, &r), 0);
	r.method = (struct gw_route_span){"GET", 3};
	h[1].value = (struct gw_route_span){NULL, 0};
	assert_int_equal(gw_route_match(c.t, c.s, &r), 2);
	r.method = (struct gw_route_span){"Get", 3};
	assert_int_equal(gw_route_match(c.t, c.s, &r), -1);
	r.method = (struct gw_route_span){"get", 3};
	assert_int_equal(gw_route_match(c.t, c.s, &r), 3);
	ctx_fini(&c);
}

/* Keys and paths past one 64-bit word of key lengths. */
static void
test_long_keys(void **state)
{
	char k1[200], k2[200], k3[200], p[300];
	struct gw_route_def d[3];
	struct ctx c;

	(void)state;
	memset(k1, 'a', 150);
	strcpy(k1 + 150, "/exact");
	memset(k2, 'a', 70);
	strcpy(k2 + 70, "/pre");
	memset(k3, 'a', 130);
	strcpy(k3 + 130, "/[0-9]{3}");
	memset(d, 0, sizeof(d));
	d[0].path = (struct gw_route_str_match){GW_ROUTE_EXACT, k1};
	d[1].path = (struct gw_route_str_match){GW_ROUTE_REGEX, k3};
	d[2].path = (struct gw_route_str_match){GW_ROUTE_PREFIX, k2};
	ctx_init(&c, d, 3);
	assert_int_equal(m(&c, "h", k1, "GET"), 0);
	memset(p, 'a', 130);
	strcpy(p + 130, "/123");
	assert_int_equal(m(&c, "h", p, "GET"), 1);
	strcpy(p + 130, "/1234");
	assert_int_equal(m(&c, "h", p, "GET"), -1);
	memset(p, 'a', 70);
	strcpy(p + 70, "/pre/and/a/long/tail/that/goes/on/past/the/longest/key/of/all/of/them");
	assert_int_equal(m(&c, "h", p, "GET"), 2);
	memset(p, 'a', 299);
	p[299] = '\0';
	assert_int_equal(m(&c, "h", p, "GET"), -1);
	/* Exact is exact: a prefix of the key, or the key and one more byte. */
	assert_int_equal(mspan(&c, "h", 1, k1, 155, "GET"), -1);
	strcpy(p, k1);
	strcat(p, "\n");
	assert_int_equal(m(&c, "h", p, "GET"), -1);
	ctx_fini(&c);
}

/* A regex rejected in its tail is reported with the whole regex's route. */
static void
test_tail_refused(void **state)
{
	struct gw_route_def d[] = {
		P(REGEX, "/ok/[0-9]+"),
		P(REGEX, "/ok/(a)\\1"),
	};
	char err[256];

	(void)state;
	assert_null(gw_route_build(d, 2, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	if (strstr(err, "route 1: path: rejected") == NULL || strstr(err, "Back-reference") == NULL)
		fail_msg("error \"%s\"", err);
}

/* The reference: each route in turn, regexes through POSIX ERE (the
 * generated ones mean the same in both dialects). */
struct ref {
	const struct gw_route_def *d;
	regex_t *re;
	unsigned int n;
};

static bool
ref_path(const struct gw_route_str_match *pm, const regex_t *re, const char *p)
{
	size_t lp = strlen(p), lm = pm->value != NULL ? strlen(pm->value) : 0;

	switch (pm->kind) {
	case GW_ROUTE_ANY:
		return true;
	case GW_ROUTE_EXACT:
		return strcmp(p, pm->value) == 0;
	case GW_ROUTE_PREFIX:
		return lp >= lm && strncmp(p, pm->value, lm) == 0;
	default:
		return regexec(re, p, 0, NULL, 0) == 0;
	}
}

static bool
ref_host(const struct gw_route_str_match *hm, const char *h)
{
	size_t lh = strlen(h), lm = hm->value != NULL ? strlen(hm->value) : 0;

	if (hm->kind == GW_ROUTE_ANY)
		return true;
	if (hm->kind == GW_ROUTE_EXACT)
		return strcasecmp(h, hm->value) == 0;
	return lh > lm - 1 && strcasecmp(h + lh - (lm - 1), hm->value + 1) == 0;
}

static int
ref_match(const struct ref *r, const char *host, const char *path)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (ref_path(&r->d[i].path, &r->re[i], path) && ref_host(&r->d[i].host, host))
			return (int)i;
	return -1;
}

static void
gen_mixed(struct gw_route_def *d, unsigned int i, char *pb, char *hb, unsigned int seed)
{
	static const char *const seg[] = {"a", "ab", "b", "a/b", "api", "v1"};
	static const char *const tails[] = {"[0-9]+",	     "[a-z]*", "(x|y)z?",
					    "\\.[a-c]{1,2}", ".*",     "[0-9]+/[a-b]+"};
	unsigned int r = (i * 2654435761u) ^ seed;
	const char *s1 = seg[r % 6], *s2 = seg[(r >> 4) % 6];

	memset(d, 0, sizeof(*d));
	switch ((r >> 8) % 4) {
	case 0:
		sprintf(pb, "/%s/%s", s1, s2);
		d->path = (struct gw_route_str_match){GW_ROUTE_EXACT, pb};
		break;
	case 1:
		sprintf(pb, "/%s/%s", s1, (r >> 12) % 2 ? s2 : "");
		d->path = (struct gw_route_str_match){GW_ROUTE_PREFIX, pb};
		break;
	default:
		sprintf(pb, "/%s/%s%s", s1, (r >> 12) % 2 ? s2 : "", tails[(r >> 16) % 6]);
		d->path = (struct gw_route_str_match){GW_ROUTE_REGEX, pb};
		break;
	}
	if ((r >> 20) % 3 == 0) {
		sprintf(hb, "%s.Ex.com", s1);
		d->host = (struct gw_route_str_match){GW_ROUTE_EXACT, hb};
	} else if ((r >> 20) % 3 == 1) {
		sprintf(hb, "*.%s.ex.COM", s2);
		d->host = (struct gw_route_str_match){GW_ROUTE_SUFFIX, hb};
	}
	for (char *q = hb; d->host.kind != GW_ROUTE_ANY && *q != '\0'; q++)
		if (*q == '/')
			*q = '-';
}

static void
test_against_posix(void **state)
{
	enum { N = 400, Q = 3000 };
	static const char *const pieces[] = {"/a", "/ab", "/b", "/api", "/v1", "/", "12",
					     "x",  "yz",  ".b", "/a/b", "z",   "b", ""};
	static const char *const hosts[] = {"a.ex.com",	   "A.EX.COM",	"q.b.ex.com", "ab.Ex.Com",
					    "x.v1.ex.com", "v1.ex.com", "api.ex.com", "h"};
	struct gw_route_def *d = calloc(N, sizeof(*d));
	regex_t *re = calloc(N, sizeof(*re));
	char(*pb)[64] = calloc(N, 64), (*hb)[64] = calloc(N, 64);
	struct ref r = {d, re, N};
	struct ctx c;

	(void)state;
	assert_true(d != NULL && re != NULL && pb != NULL && hb != NULL);
	for (unsigned int seed = 0; seed < 3; seed++) {
		unsigned int n = seed == 0 ? 7 : N;

		r.n = n;
		for (unsigned int i = 0; i < n; i++) {
			gen_mixed(&d[i], i, pb[i], hb[i], seed * 7919);
			if (d[i].path.kind == GW_ROUTE_REGEX) {
				char w[80];

				sprintf(w, "^(%s)$", pb[i]);
				assert_int_equal(regcomp(&re[i], w, REG_EXTENDED | REG_NOSUB), 0);
			}
		}
		ctx_init(&c, d, n);
		for (unsigned int q = 0; q < Q; q++) {
			unsigned int x = q * 40503u + seed;
			char path[128] = "";
			const char *host = hosts[(x >> 3) % 8];

			for (unsigned int k = 0; k < 1 + x % 4; k++)
				strcat(path, pieces[(x >> (5 + 4 * k)) % 14]);
			if (m(&c, host, path, "GET") != ref_match(&r, host, path))
				fail_msg("seed %u: %s %s: %d, reference %d", seed, host, path,
					 m(&c, host, path, "GET"), ref_match(&r, host, path));
		}
		ctx_fini(&c);
		for (unsigned int i = 0; i < n; i++)
			if (d[i].path.kind == GW_ROUTE_REGEX)
				regfree(&re[i]);
	}
	free(d);
	free(re);
	free(pb);
	free(hb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_share_a_key),  cmocka_unit_test(test_regex_split),
		cmocka_unit_test(test_shared_tails),	   cmocka_unit_test(test_host_case),
		cmocka_unit_test(test_method_header_keys), cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_tail_refused),	   cmocka_unit_test(test_against_posix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

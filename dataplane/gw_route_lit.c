/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_lit.c - building a field's literal index (gw_route_internal.h):
 * the hash of exact, prefix and dot-suffix keys, and path regexes split into
 * a literal prefix (a key) and a tail compiled with the other tails of that
 * prefix. Control thread only: allocates and compiles.
 *
 * A regex R is split into a literal prefix P and a tail T only when
 * ^(?:R)$ matches v exactly when v = P u and ^(?:T)$ matches u: P is a run
 * of plain or escaped-punctuation characters none of which is quantified,
 * and T has no top-level '|' and nothing that looks back past its start
 * (^, \A, \G, \b, \B, lookbehind). Otherwise P is empty and T is R.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "gw_route.h"
#include "gw_route_internal.h"

/* A path regex while it is grouped: its prefix (unescaped) and tail. */
struct rx {
	char *pre;
	size_t pre_len;
	const char *re;
	const char *tail; /* points into re */
	uint32_t expr;
	unsigned int route;
};

/* The prefixes: rx[first..first + n) share one, sorted by tail; sig is
 * their tails, each NUL-terminated (equal sigs: one database). */
struct pgroup {
	unsigned int first, n;
	char *sig;
	size_t sig_len;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Does tail t look back past its start, or have a top-level '|'? Also true
 * for what it cannot parse (an open class or \Q): then it is not split. */
static bool
tail_needs_context(const char *t)
{
	int depth = 0;

	for (const char *p = t; *p != '\0'; p++) {
		if (p[0] == '\\') {
			if (p[1] == '\0' || strchr("QAGbB", p[1]) != NULL)
				return true;
			p++;
		} else if (p[0] == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']')
				p += (p[0] == '\\' && p[1] != '\0') ? 2 : 1;
			if (*p == '\0')
				return true;
		} else if (p[0] == '(') {
			if (p[1] == '?' && p[2] == '<')
				return true; /* lookbehind (or a named group: not split) */
			depth++;
		} else if (p[0] == ')') {
			depth--;
		} else if (p[0] == '^' || (p[0] == '|' && depth == 0)) {
			return true;
		}
	}
	return false;
}

/* Splits re: its unescaped literal prefix into pre (at least strlen(re)
 * bytes), its length in *pre_len; returns the tail. */
static const char *
regex_split(const char *re, char *pre, size_t *pre_len)
{
	const char *p = re;
	size_t n = 0;

	for (;;) {
		const char *tok = p;
		char c;

		if (p[0] == '\\' && p[1] != '\0' && !isalnum((unsigned char)p[1]) &&
		    (unsigned char)p[1] < 0x80) {
			c = p[1];
			p += 2;
		} else if (p[0] != '\0' && strchr("\\^$.[]|(){}?*+", p[0]) == NULL) {
			c = p[0];
			p++;
		} else {
			break;
		}
		if (p[0] == '?' || p[0] == '*' || p[0] == '+' || p[0] == '{') {
			p = tok; /* quantified: belongs to the tail */
			break;
		}
		pre[n++] = c;
	}
	if (n == 0 || tail_needs_context(p)) {
		*pre_len = 0;
		return re;
	}
	*pre_len = n;
	return p;
}

static int
bytes_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	return c != 0 ? c : (la > lb) - (la < lb);
}

static int
rx_cmp(const void *a, const void *b)
{
	const struct rx *x = a, *y = b;
	int c = bytes_cmp(x->pre, x->pre_len, y->pre, y->pre_len);

	if (c == 0)
		c = strcmp(x->tail, y->tail);
	return c != 0 ? c : (x->expr > y->expr) - (x->expr < y->expr);
}

static int
pgroup_cmp(const void *a, const void *b)
{
	const struct pgroup *x = a, *y = b;

	return bytes_cmp(x->sig, x->sig_len, y->sig, y->sig_len);
}

/* g's sig from its tails. */
static int
pgroup_sig(struct pgroup *g, const struct rx *rx)
{
	char *o;

	g->sig_len = 0;
	for (unsigned int i = 0; i < g->n; i++)
		g->sig_len += strlen(rx[g->first + i].tail) + 1;
	if ((g->sig = o = malloc(g->sig_len)) == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < g->n; i++)
		o = stpcpy(o, rx[g->first + i].tail) + 1;
	return 0;
}

/* The reason Hyperscan gives for the whole regex, else for its tail. */
static void
regex_err(const char *re, const char *tail_msg, unsigned int hs_flags, unsigned int route,
	  const char *label, char *err, size_t errlen)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	char *e = malloc(strlen(re) + 8);
	const char *msg = tail_msg;

	if (e != NULL) {
		sprintf(e, "^(?:%s)$", re);
		if (hs_expression_info(e, hs_flags, &info, &cerr) != HS_SUCCESS && cerr != NULL)
			msg = cerr->message;
	}
	set_err(err, errlen, "route %u: %s: rejected by Hyperscan: %s", route, label, msg);
	hs_free_compile_error(cerr);
	free(info);
	free(e);
}

/*
 * Compiles the distinct tail lists of pg[a..b) (sorted by sig) as database
 * *db, each list's tails at consecutive ids from 0; n tails in all.
 */
static int
tails_compile(const struct rx *rx, const struct pgroup *pg, unsigned int a, unsigned int b,
	      unsigned int n, unsigned int hs_flags, const char *label, hs_database_t **db,
	      char *err, size_t errlen)
{
	char **x = calloc(n, sizeof(*x));
	unsigned int *fl = calloc(n, sizeof(*fl)), *ids = calloc(n, sizeof(*ids));
	const struct rx **src = calloc(n, sizeof(*src));
	hs_compile_error_t *cerr = NULL;
	unsigned int k = 0;
	int rc = -ENOMEM;

	if (x == NULL || fl == NULL || ids == NULL || src == NULL)
		goto out;
	for (unsigned int g = a; g < b; g++) {
		if (g > a && pgroup_cmp(&pg[g], &pg[g - 1]) == 0)
			continue;
		for (unsigned int i = 0; i < pg[g].n; i++, k++) {
			src[k] = &rx[pg[g].first + i];
			if ((x[k] = malloc(strlen(src[k]->tail) + 8)) == NULL)
				goto out;
			sprintf(x[k], "^(?:%s)$", src[k]->tail);
			fl[k] = hs_flags;
			ids[k] = k;
		}
	}
	if (hs_compile_multi((const char *const *)x, fl, ids, n, HS_MODE_BLOCK, NULL, db, &cerr) ==
	    HS_SUCCESS) {
		rc = 0;
		goto out;
	}
	*db = NULL;
	if (cerr->expression >= 0) {
		const struct rx *r = src[cerr->expression];

		regex_err(r->re, cerr->message, hs_flags, r->route, label, err, errlen);
	} else {
		set_err(err, errlen, "%s: Hyperscan: %s", label, cerr->message);
	}
	hs_free_compile_error(cerr);
	rc = -EINVAL;
out:
	for (unsigned int i = 0; x != NULL && i < n; i++)
		free(x[i]);
	free(x);
	free(fl);
	free(ids);
	free(src);
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	return rc;
}

/* Inserts key k (lower-cased when x->fold) and returns its slot. */
static struct gw_route_lit *
slot_get(struct gw_route_index *x, const char *k, size_t len, uint32_t *key_end)
{
	uint64_t h = gw_lit_hash(k, len, x->fold);
	uint32_t i = (uint32_t)h & x->mask;
	struct gw_route_lit *l;

	for (; x->slot[i].len != UINT32_MAX; i = (i + 1) & x->mask)
		if (x->slot[i].hash == h && x->slot[i].len == len &&
		    gw_lit_key_eq(x, &x->slot[i], k))
			return &x->slot[i];
	l = &x->slot[i];
	*l = (struct gw_route_lit){h, *key_end, (uint32_t)len, GW_RF_NONE, GW_RF_NONE, GW_RF_NONE};
	for (size_t j = 0; j < len; j++)
		x->keys[*key_end + j] =
			x->fold && k[j] >= 'A' && k[j] <= 'Z' ? (char)(k[j] | 0x20) : k[j];
	*key_end += (uint32_t)len;
	if (len > x->max_len)
		x->max_len = (uint32_t)len;
	return l;
}

/* The hash of n keys of total length key_bytes at most. */
static int
index_alloc(struct gw_route_index *x, unsigned int n, size_t key_bytes)
{
	uint32_t slots = 8;

	while (slots < 2 * n)
		slots *= 2;
	x->mask = slots - 1;
	x->slot = malloc(slots * sizeof(*x->slot));
	x->keys = malloc(key_bytes + 1);
	if (x->slot == NULL || x->keys == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < slots; i++)
		x->slot[i].len = UINT32_MAX;
	return 0;
}

/*
 * Groups rx[0..n) by prefix, compiles each distinct tail list once, and
 * gives each prefix its key slot's group. Small lists share a database (up
 * to GW_LIT_BUCKET tails): a Hyperscan database costs some 7 KiB however
 * few patterns it has, and scanning 32 anchored tails costs little more
 * than scanning one; a group ignores the ids of the others' tails.
 */
#define GW_LIT_BUCKET 32

static int
build_groups(struct gw_route_index *x, struct rx *rx, unsigned int n, unsigned int hs_flags,
	     const char *label, uint32_t *key_end, char *err, size_t errlen)
{
	struct pgroup *pg = calloc(n, sizeof(*pg));
	unsigned int n_pg = 0;
	int rc = -ENOMEM;

	x->groups = calloc(n, sizeof(*x->groups));
	x->map = calloc(n, sizeof(*x->map));
	x->dbs = calloc(n, sizeof(*x->dbs));
	if (pg == NULL || x->groups == NULL || x->map == NULL || x->dbs == NULL) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (i == 0 ||
		    bytes_cmp(rx[i].pre, rx[i].pre_len, rx[i - 1].pre, rx[i - 1].pre_len) != 0)
			pg[n_pg++].first = i;
		pg[n_pg - 1].n++;
		x->map[i] = rx[i].expr;
	}
	for (unsigned int g = 0; g < n_pg; g++)
		if (pgroup_sig(&pg[g], rx) < 0) {
			set_err(err, errlen, "out of memory");
			goto out;
		}
	qsort(pg, n_pg, sizeof(*pg), pgroup_cmp);
	for (unsigned int g = 0, a = 0, in_db = 0, base = 0; g <= n_pg; g++) {
		bool fresh = g == n_pg || g == 0 || pgroup_cmp(&pg[g], &pg[g - 1]) != 0;

		if (fresh && in_db > 0 && (g == n_pg || in_db + pg[g].n > GW_LIT_BUCKET)) {
			rc = tails_compile(rx, pg, a, g, in_db, hs_flags, label, &x->dbs[x->n_dbs],
					   err, errlen);
			if (rc < 0)
				goto out;
			x->n_dbs++;
			a = g;
			in_db = 0;
		}
		if (g == n_pg)
			break;
		if (fresh) {
			base = in_db;
			in_db += pg[g].n;
		}
		slot_get(x, rx[pg[g].first].pre, rx[pg[g].first].pre_len, key_end)->group = g;
		x->groups[g] = (struct gw_route_group){x->n_dbs, base, pg[g].n, pg[g].first};
	}
	rc = 0;
out:
	for (unsigned int g = 0; pg != NULL && g < n_pg; g++)
		free(pg[g].sig);
	free(pg);
	return rc;
}

/* Sets bit L of lens for every key length L. */
static int
index_lens(struct gw_route_index *x)
{
	x->lens = calloc(x->max_len / 64 + 1, sizeof(uint64_t));
	if (x->lens == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i <= x->mask; i++)
		if (x->slot[i].len != UINT32_MAX)
			x->lens[x->slot[i].len / 64] |= UINT64_C(1) << (x->slot[i].len % 64);
	return 0;
}

int
gw_route_index_build(struct gw_route_field *f, const struct gw_route_lit_def *d, unsigned int n,
		     bool fold, unsigned int hs_flags, const char *label, char *err, size_t errlen)
{
	struct gw_route_index *x = calloc(1, sizeof(*x));
	struct rx *rx = calloc(n, sizeof(*rx));
	unsigned int n_rx = 0;
	size_t key_bytes = 0;
	uint32_t key_end = 0;
	int rc = -ENOMEM;

	f->idx = x;
	if (x == NULL || rx == NULL)
		goto out;
	x->fold = fold;
	for (unsigned int i = 0; i < n; i++) {
		key_bytes += strlen(d[i].value);
		if (d[i].kind != GW_ROUTE_REGEX)
			continue;
		if ((rx[n_rx].pre = malloc(strlen(d[i].value) + 1)) == NULL)
			goto out;
		rx[n_rx].re = d[i].value;
		rx[n_rx].tail = regex_split(d[i].value, rx[n_rx].pre, &rx[n_rx].pre_len);
		rx[n_rx].expr = d[i].expr;
		rx[n_rx++].route = d[i].route;
	}
	if (index_alloc(x, n, key_bytes) < 0)
		goto out;
	qsort(rx, n_rx, sizeof(*rx), rx_cmp);
	if (n_rx > 0 &&
	    (rc = build_groups(x, rx, n_rx, hs_flags, label, &key_end, err, errlen)) < 0)
		goto fail;
	for (unsigned int i = 0; i < n; i++) {
		/* "*.d" is key ".d"; each expr is one distinct key of its kind. */
		const char *v = d[i].value + (d[i].kind == GW_ROUTE_SUFFIX);
		struct gw_route_lit *l;

		if (d[i].kind == GW_ROUTE_REGEX)
			continue;
		l = slot_get(x, v, strlen(v), &key_end);
		if ((d[i].kind == GW_ROUTE_EXACT ? l->exact : l->part) != GW_RF_NONE) {
			/* the caller folds host values: distinct exprs, distinct keys */
			set_err(err, errlen, "route %u: %s: duplicate key", d[i].route, label);
			rc = -EINVAL;
			goto fail;
		}
		if (d[i].kind == GW_ROUTE_EXACT)
			l->exact = d[i].expr;
		else
			l->part = d[i].expr;
	}
	rc = index_lens(x);
out:
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
fail:
	for (unsigned int i = 0; rx != NULL && i < n_rx; i++)
		free(rx[i].pre);
	free(rx);
	return rc;
}

void
gw_route_index_free(struct gw_route_index *x)
{
	if (x == NULL)
		return;
	for (unsigned int i = 0; x->dbs != NULL && i < x->n_dbs; i++)
		hs_free_database(x->dbs[i]);
	free(x->dbs);
	free(x->slot);
	free(x->keys);
	free(x->lens);
	free(x->groups);
	free(x->map);
	free(x);
}

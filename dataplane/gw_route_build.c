/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_build.c - compiling a route list into per-field literal indexes
 * (gw_route_lit.c), Hyperscan databases and wildcard masks, the table's
 * content hash, and freeing.
 * Control thread only: allocates, and compiling may take seconds.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "gw_route.h"
#include "gw_route_internal.h"

/* One constraining matcher of a field while it is built: its expression
 * (NULL for PRESENT), route, and what the literal index needs. */
struct item {
	char *expr;
	unsigned int route;
	enum gw_route_kind kind;
	const char *value;
};

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

/* Every byte that is not alphanumeric becomes \xHH: always a literal. */
static char *
append_escaped(char *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '/' || c == '_')
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	return o;
}

/* "^" literal ["$"], or with a leading ".+" for a host suffix. */
static char *
literal_expr(const char *lit, const char *pre, bool end)
{
	char *e = malloc(strlen(lit) * 4 + strlen(pre) + 3);
	char *o;

	if (e == NULL)
		return NULL;
	o = e + sprintf(e, "^%s", pre);
	o = append_escaped(o, lit);
	if (end)
		*o++ = '$';
	*o = '\0';
	return e;
}

/*
 * A regex wrapped as ^(?:re)$ must stay one group: refuse a ')' that would
 * close ours (e.g. "a)|(b" would otherwise turn into a partial match). Skips
 * escapes, \Q..\E and character classes; Hyperscan checks the rest.
 */
static bool
regex_closes_group(const char *re)
{
	int depth = 0;

	for (const char *p = re; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'Q') {
			const char *q = strstr(p + 2, "\\E");

			if (q == NULL)
				return false;
			p = q + 1;
		} else if (p[0] == '\\' && p[1] != '\0') {
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
				return false;
		} else if (p[0] == '(') {
			depth++;
		} else if (p[0] == ')' && --depth < 0) {
			return true;
		}
	}
	return false;
}

static char *
regex_expr(const char *re)
{
	char *e = malloc(strlen(re) + 8);

	if (e != NULL)
		sprintf(e, "^(?:%s)$", re);
	return e;
}

/* Turns one matcher into an expression with its flags; -EINVAL for a kind
 * the field does not allow or a malformed value, -ENOMEM. */
static int
matcher_expr(const char *field, const struct gw_route_str_match *m, char **out, unsigned int *flags,
	     char *err, size_t errlen, unsigned int route)
{
	bool host = strcmp(field, "host") == 0;
	bool path = strcmp(field, "path") == 0;

	*flags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_DOTALL;
	if (m->kind < GW_ROUTE_EXACT || m->kind > GW_ROUTE_REGEX)
		goto bad_kind;
	if (m->value == NULL) {
		set_err(err, errlen, "route %u: %s: missing value", route, field);
		return -EINVAL;
	}
	if (host)
		*flags |= HS_FLAG_CASELESS;
	switch (m->kind) {
	case GW_ROUTE_EXACT:
		*out = literal_expr(m->value, "", true);
		break;
	case GW_ROUTE_PREFIX:
		if (!path)
			goto bad_kind;
		*out = literal_expr(m->value, "", false);
		break;
	case GW_ROUTE_SUFFIX:
		if (!host)
			goto bad_kind;
		if (strncmp(m->value, "*.", 2) != 0 || m->value[2] == '\0') {
			set_err(err, errlen, "route %u: host: wildcard must be \"*.domain\"",
				route);
			return -EINVAL;
		}
		*out = literal_expr(m->value + 1, ".+", true);
		break;
	case GW_ROUTE_REGEX:
		if (host)
			goto bad_kind;
		if (regex_closes_group(m->value)) {
			set_err(err, errlen, "route %u: %s regex: unbalanced ')'", route, field);
			return -EINVAL;
		}
		*out = regex_expr(m->value);
		break;
	default:
		goto bad_kind;
	}
	if (*out == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (char *c = *out; host && *c != '\0'; c++) /* one expr per caseless host */
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c | 0x20);
	return 0;
bad_kind:
	set_err(err, errlen, "route %u: %s: matcher kind %d not allowed here", route, field,
		(int)m->kind);
	return -EINVAL;
}

/* host, path or method: which matcher a route has on it. */
static struct gw_route_str_match
std_matcher(const struct gw_route_def *d, int which)
{
	struct gw_route_str_match m = {GW_ROUTE_ANY, NULL};

	if (which == GW_RF_HOST)
		return d->host;
	if (which == GW_RF_PATH)
		return d->path;
	if (d->method != NULL) {
		m.kind = GW_ROUTE_EXACT;
		m.value = d->method;
	}
	return m;
}

static bool
name_eq(const char *lower, const char *name)
{
	for (; *lower != '\0' && *name != '\0'; lower++, name++)
		if (*lower != tolower((unsigned char)*name))
			return false;
	return *lower == *name;
}

/* The field for a header name, created on first sight. */
static struct gw_route_field *
hdr_field(struct gw_route_table *t, const char *name, unsigned int route, char *err, size_t errlen)
{
	struct gw_route_field *f;
	size_t len = strlen(name);

	for (unsigned int i = GW_RF_HDR0; i < t->n_fields; i++)
		if (name_eq(t->f[i].name, name))
			return &t->f[i];
	if (len == 0 || t->n_fields == GW_RF_MAX) {
		set_err(err, errlen, "route %u: header: %s", route,
			len == 0 ? "empty name" : "too many distinct header names");
		errno = EINVAL;
		return NULL;
	}
	f = &t->f[t->n_fields++]; /* counted first: gw_route_free frees a partial one */
	if ((f->name = malloc(len + 1)) == NULL) {
		set_err(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i <= len; i++)
		f->name[i] = (char)tolower((unsigned char)name[i]);
	f->name_len = len;
	return f;
}

/* Checks every route's header matchers and creates the header fields. */
static int
build_hdr_names(struct gw_route_table *t, const struct gw_route_def *defs, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < t->n_routes; i++) {
		const struct gw_route_def *d = &defs[i];

		if (d->n_headers > GW_ROUTE_MAX_HEADERS) {
			set_err(err, errlen, "route %u: more than %d header matchers", i,
				GW_ROUTE_MAX_HEADERS);
			return -EINVAL;
		}
		for (unsigned int h = 0; h < d->n_headers; h++) {
			if (d->headers[h].name == NULL) {
				set_err(err, errlen, "route %u: header: missing name", i);
				return -EINVAL;
			}
			for (unsigned int k = 0; k < h; k++)
				if (strcasecmp(d->headers[k].name, d->headers[h].name) == 0) {
					set_err(err, errlen, "route %u: header %s: matched twice",
						i, d->headers[h].name);
					return -EINVAL;
				}
			if (hdr_field(t, d->headers[h].name, i, err, errlen) == NULL)
				return errno == ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

/* Route d's matcher on field fi (ANY if none). */
static struct gw_route_str_match
field_matcher(const struct gw_route_table *t, const struct gw_route_def *d, unsigned int fi)
{
	struct gw_route_str_match any = {GW_ROUTE_ANY, NULL};

	if (fi < GW_RF_HDR0)
		return std_matcher(d, (int)fi);
	for (unsigned int h = 0; h < d->n_headers; h++)
		if (name_eq(t->f[fi].name, d->headers[h].name))
			return d->headers[h].m;
	return any;
}

/* Sorts by expression, then route; PRESENT (NULL) first. */
static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c;

	if (x->expr == NULL || y->expr == NULL)
		c = (x->expr != NULL) - (y->expr != NULL);
	else
		c = strcmp(x->expr, y->expr);
	if (c != 0)
		return c;
	return x->route < y->route ? -1 : x->route > y->route;
}

static void
need_add(struct gw_route_table *t, unsigned int route, unsigned int fi, uint32_t expr)
{
	struct gw_route_need *nd = &t->need[route];

	nd->field[nd->n] = (uint8_t)fi;
	nd->expr[nd->n++] = expr;
}

/* Does field fi's literal index (gw_route_lit.c) take matchers of kind k?
 * Every exact one, path prefixes and regexes, host wildcards. */
static bool
indexed(unsigned int fi, enum gw_route_kind k)
{
	if (fi == GW_RF_PATH)
		return k == GW_ROUTE_EXACT || k == GW_ROUTE_PREFIX || k == GW_ROUTE_REGEX;
	return k == GW_ROUTE_EXACT || (fi == GW_RF_HOST && k == GW_ROUTE_SUFFIX);
}

/* Compiles the distinct expressions x[0..n) (ids[i] their expr ids). */
static int
field_compile(struct gw_route_field *f, char **x, unsigned int *ids, unsigned int n,
	      unsigned int flags, const unsigned int *route, const char *field, char *err,
	      size_t errlen)
{
	hs_compile_error_t *cerr = NULL;
	unsigned int *fl = malloc(n * sizeof(*fl));

	if (fl == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		fl[i] = flags;
	if (hs_compile_multi((const char *const *)x, fl, ids, n, HS_MODE_BLOCK, NULL, &f->db,
			     &cerr) == HS_SUCCESS) {
		free(fl);
		return 0;
	}
	free(fl);
	if (cerr->expression >= 0)
		set_err(err, errlen, "route %u: %s: rejected by Hyperscan: %s",
			route[cerr->expression], field, cerr->message);
	else
		set_err(err, errlen, "%s: Hyperscan: %s", field, cerr->message);
	hs_free_compile_error(cerr);
	f->db = NULL;
	return -EINVAL;
}

/*
 * Field fi: one expr per distinct expression (and one for its PRESENT
 * matchers), each route's need, the wildcard bitmap and the database.
 */
static int
build_field(struct gw_route_table *t, const struct gw_route_def *defs, unsigned int fi, char *err,
	    size_t errlen)
{
	static const char *const names[] = {"host", "path", "method"};
	struct gw_route_field *f = &t->f[fi];
	char label[80];
	struct item *it = calloc(t->n_routes, sizeof(*it));
	char **x = calloc(t->n_routes, sizeof(*x));
	unsigned int *ids = calloc(t->n_routes, sizeof(*ids));
	unsigned int *first = calloc(t->n_routes, sizeof(*first));
	struct gw_route_lit_def *lit = calloc(t->n_routes, sizeof(*lit));
	unsigned int n = 0, nx = 0, n_lit = 0, flags = 0;
	int rc = -ENOMEM;

	if (fi < GW_RF_HDR0)
		snprintf(label, sizeof(label), "%s", names[fi]);
	else
		snprintf(label, sizeof(label), "header %s", f->name);
	f->present = GW_RF_NONE;
	f->wild = calloc(t->n_words, sizeof(uint64_t));
	if (it == NULL || x == NULL || ids == NULL || first == NULL || lit == NULL ||
	    f->wild == NULL) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < t->n_routes; i++) {
		struct gw_route_str_match m = field_matcher(t, &defs[i], fi);

		if (m.kind == GW_ROUTE_ANY) {
			f->wild[i / 64] |= UINT64_C(1) << (i % 64);
			f->n_wild++;
			continue;
		}
		it[n].route = i;
		it[n].kind = m.kind;
		it[n].value = m.value;
		if (m.kind != GW_ROUTE_PRESENT || fi < GW_RF_HDR0) {
			rc = matcher_expr(label, &m, &it[n].expr, &flags, err, errlen, i);
			if (rc < 0)
				goto out;
		}
		n++;
	}
	f->used = n > 0;
	qsort(it, n, sizeof(*it), item_cmp);
	for (unsigned int i = 0; i < n; i++) {
		bool same = i > 0 && item_cmp(&(struct item){it[i].expr, 0},
					      &(struct item){it[i - 1].expr, 0}) == 0;

		if (!same) {
			if (it[i].expr == NULL) {
				f->present = t->n_exprs;
			} else if (indexed(fi, it[i].kind)) {
				lit[n_lit++] = (struct gw_route_lit_def){it[i].kind, it[i].value,
									 t->n_exprs, it[i].route};
			} else {
				x[nx] = it[i].expr;
				ids[nx] = t->n_exprs;
				first[nx++] = it[i].route;
			}
			t->n_exprs++;
			f->n_exprs++;
		}
		need_add(t, it[i].route, fi, t->n_exprs - 1);
	}
	rc = n_lit > 0 ? gw_route_index_build(f, lit, n_lit, fi == GW_RF_HOST, flags, label, err,
					      errlen)
		       : 0;
	if (rc == 0 && nx > 0)
		rc = field_compile(f, x, ids, nx, flags, first, label, err, errlen);
out:
	for (unsigned int i = 0; it != NULL && i < t->n_routes; i++)
		free(it[i].expr);
	free(it);
	free(x);
	free(ids);
	free(first);
	free(lit);
	return rc;
}

/* Each expr's sorted route list, from the routes' needs. */
static int
build_expr_routes(struct gw_route_table *t)
{
	uint32_t *pos;

	t->expr_off = calloc(t->n_exprs + 1, sizeof(uint32_t));
	pos = calloc(t->n_exprs + 1, sizeof(uint32_t));
	if (t->expr_off == NULL || pos == NULL) {
		free(pos);
		return -ENOMEM;
	}
	for (unsigned int r = 0; r < t->n_routes; r++)
		for (unsigned int k = 0; k < t->need[r].n; k++)
			t->expr_off[t->need[r].expr[k] + 1]++;
	for (unsigned int e = 0; e < t->n_exprs; e++)
		t->expr_off[e + 1] += t->expr_off[e];
	t->expr_routes = malloc((t->expr_off[t->n_exprs] + 1) * sizeof(uint32_t));
	if (t->expr_routes == NULL) {
		free(pos);
		return -ENOMEM;
	}
	memcpy(pos, t->expr_off, (t->n_exprs + 1) * sizeof(uint32_t));
	for (unsigned int r = 0; r < t->n_routes; r++)
		for (unsigned int k = 0; k < t->need[r].n; k++)
			t->expr_routes[pos[t->need[r].expr[k]]++] = r;
	free(pos);
	return 0;
}

/*
 * The driver: the used field with the fewest expected candidates, i.e. the
 * routes that do not constrain it plus the routes per distinct matcher of
 * it. Path wins ties: it is usually the most selective in practice.
 */
static int
choose_driver(struct gw_route_table *t)
{
	static const unsigned int order[] = {GW_RF_PATH, GW_RF_HOST, GW_RF_METHOD};
	unsigned long best_cost = ULONG_MAX;
	unsigned int n_used = 0;
	struct gw_route_field *f;

	t->driver = -1;
	for (unsigned int k = 0; k < t->n_fields; k++) {
		unsigned int fi = k < 3 ? order[k] : k;
		unsigned long cost;

		f = &t->f[fi];
		if (!f->used)
			continue;
		n_used++;
		cost = f->n_wild + (t->n_routes - f->n_wild + f->n_exprs - 1) / f->n_exprs;
		if (cost < best_cost) {
			best_cost = cost;
			t->driver = (int)fi;
		}
	}
	t->sparse_max = 64 + t->n_words * n_used / 4;
	if (t->driver < 0)
		return 0;
	f = &t->f[t->driver];
	f->wild_list = malloc((f->n_wild + 1) * sizeof(uint32_t));
	if (f->wild_list == NULL)
		return -ENOMEM;
	for (unsigned int i = 0, k = 0; i < t->n_routes; i++)
		if (f->wild[i / 64] & (UINT64_C(1) << (i % 64)))
			f->wild_list[k++] = i;
	return 0;
}

static void
field_free(struct gw_route_field *f)
{
	hs_free_database(f->db);
	f->db = NULL;
	gw_route_index_free(f->idx);
	f->idx = NULL;
	free(f->wild);
	f->wild = NULL;
	free(f->wild_list);
	f->wild_list = NULL;
	free(f->name);
	f->name = NULL;
}

void
gw_route_free(struct gw_route_table *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < GW_RF_MAX; i++)
		field_free(&t->f[i]);
	free(t->expr_off);
	free(t->expr_routes);
	free(t->need);
	free(t);
}

struct gw_route_table *
gw_route_build(const struct gw_route_def *defs, unsigned int n, char *err, size_t errlen)
{
	struct gw_route_table *t = NULL;
	int rc = -EINVAL;

	set_err(err, errlen, "%s", "");
	if (defs == NULL || n == 0 || n > GW_ROUTE_MAX_ROUTES) {
		set_err(err, errlen, "route table: %u routes (1 to %d allowed)", n,
			GW_ROUTE_MAX_ROUTES);
		goto fail;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->need = calloc(n, sizeof(*t->need))) == NULL) {
		rc = -ENOMEM;
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	t->n_routes = n;
	t->n_words = (n + 63) / 64;
	t->n_fields = GW_RF_HDR0;
	t->hash = gw_route_defs_hash(defs, n);
	if ((rc = build_hdr_names(t, defs, err, errlen)) < 0)
		goto fail;
	for (unsigned int fi = 0; fi < t->n_fields; fi++)
		if ((rc = build_field(t, defs, fi, err, errlen)) < 0)
			goto fail;
	if ((rc = build_expr_routes(t)) < 0 || (rc = choose_driver(t)) < 0) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	return t;
fail:
	gw_route_free(t);
	errno = -rc;
	return NULL;
}

unsigned int
gw_route_count(const struct gw_route_table *t)
{
	return t->n_routes;
}

/* FNV-1a 64 (Fowler, Noll, Vo): offset basis and prime from the reference. */
#define FNV_BASIS UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t
fnv_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

static uint64_t
fnv_u32(uint64_t h, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		h = fnv_byte(h, (unsigned char)(v >> (8 * i)));
	return h;
}

/* Length-prefixed so that ("ab","c") and ("a","bc") differ; NULL is its
 * own value. */
static uint64_t
fnv_str(uint64_t h, const char *s, bool fold)
{
	if (s == NULL)
		return fnv_u32(h, UINT32_MAX);
	h = fnv_u32(h, (uint32_t)strlen(s));
	for (; *s != '\0'; s++)
		h = fnv_byte(h, (unsigned char)(fold ? tolower((unsigned char)*s) : *s));
	return h;
}

static uint64_t
fnv_match(uint64_t h, const struct gw_route_str_match *m)
{
	h = fnv_u32(h, (uint32_t)m->kind);
	if (m->kind == GW_ROUTE_ANY || m->kind == GW_ROUTE_PRESENT)
		return h;
	return fnv_str(h, m->value, false);
}

uint64_t
gw_route_defs_hash(const struct gw_route_def *defs, unsigned int n)
{
	uint64_t h = fnv_u32(FNV_BASIS, n);

	for (unsigned int i = 0; i < n; i++) {
		const struct gw_route_def *d = &defs[i];

		h = fnv_match(h, &d->host);
		h = fnv_match(h, &d->path);
		h = fnv_str(h, d->method, false);
		h = fnv_u32(h, d->n_headers);
		for (unsigned int k = 0; k < d->n_headers && k < GW_ROUTE_MAX_HEADERS; k++) {
			h = fnv_str(h, d->headers[k].name, true);
			h = fnv_match(h, &d->headers[k].m);
		}
	}
	return h;
}

uint64_t
gw_route_table_hash(const struct gw_route_table *t)
{
	return t->hash;
}

int
gw_route_check_regex(const char *re, char *err, size_t errlen)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	char *e;
	int rc = 0;

	if (regex_closes_group(re)) {
		set_err(err, errlen, "unbalanced ')'");
		return -EINVAL;
	}
	if ((e = regex_expr(re)) == NULL)
		return -ENOMEM;
	if (hs_expression_info(e, HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_DOTALL, &info,
			       &cerr) != HS_SUCCESS) {
		set_err(err, errlen, "%s", cerr != NULL ? cerr->message : "not compilable");
		rc = -EINVAL;
	}
	hs_free_compile_error(cerr);
	free(info); /* hs_expression_info allocates with the misc allocator: malloc */
	free(e);
	return rc;
}

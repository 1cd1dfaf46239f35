/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_build.c - compiling a route list into per-field Hyperscan
 * databases and wildcard masks, the table's content hash, and freeing.
 * Control thread only: allocates, and compiling may take seconds.
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

/* Expressions for one field: at most one per route (header names are
 * distinct within a route), so every array has room for n_routes. */
struct exprs {
	char **v;
	unsigned int *flags;
	unsigned int *ids;
	unsigned int n;
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

static void
bit_set(uint64_t *b, unsigned int i)
{
	b[i / 64] |= UINT64_C(1) << (i % 64);
}

static void
bit_clear(uint64_t *b, unsigned int i)
{
	b[i / 64] &= ~(UINT64_C(1) << (i % 64));
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
	return 0;
bad_kind:
	set_err(err, errlen, "route %u: %s: matcher kind %d not allowed here", route, field,
		(int)m->kind);
	return -EINVAL;
}

static void
exprs_free(struct exprs *x)
{
	if (x->v != NULL)
		for (unsigned int i = 0; i < x->n; i++)
			free(x->v[i]);
	free(x->v);
	free(x->flags);
	free(x->ids);
	memset(x, 0, sizeof(*x));
}

static int
exprs_init(struct exprs *x, unsigned int cap)
{
	x->n = 0;
	x->v = calloc(cap, sizeof(*x->v));
	x->flags = calloc(cap, sizeof(*x->flags));
	x->ids = calloc(cap, sizeof(*x->ids));
	if (x->v == NULL || x->flags == NULL || x->ids == NULL) {
		exprs_free(x);
		return -ENOMEM;
	}
	return 0;
}

static int
field_init(struct gw_route_field *f, const struct gw_route_table *t, bool header)
{
	f->used = true;
	f->wild = calloc(t->n_words, sizeof(uint64_t));
	if (header)
		f->present = calloc(t->n_words, sizeof(uint64_t));
	if (f->wild == NULL || (header && f->present == NULL))
		return -ENOMEM;
	for (unsigned int i = 0; i < t->n_routes; i++)
		bit_set(f->wild, i);
	return 0;
}

static int
field_compile(struct gw_route_field *f, const struct exprs *x, const char *field, char *err,
	      size_t errlen)
{
	hs_compile_error_t *cerr = NULL;

	if (x->n == 0)
		return 0;
	if (hs_compile_multi((const char *const *)x->v, x->flags, x->ids, x->n, HS_MODE_BLOCK, NULL,
			     &f->db, &cerr) == HS_SUCCESS)
		return 0;
	if (cerr->expression >= 0)
		set_err(err, errlen, "route %u: %s: expression %d rejected by Hyperscan: %s",
			x->ids[cerr->expression], field, cerr->expression, cerr->message);
	else
		set_err(err, errlen, "%s: Hyperscan: %s", field, cerr->message);
	hs_free_compile_error(cerr);
	f->db = NULL;
	return -EINVAL;
}

/* host, path or method: which matcher a route has on it. */
static struct gw_route_str_match
std_matcher(const struct gw_route_def *d, int which)
{
	struct gw_route_str_match m = {GW_ROUTE_ANY, NULL};

	if (which == 0)
		return d->host;
	if (which == 1)
		return d->path;
	if (d->method != NULL) {
		m.kind = GW_ROUTE_EXACT;
		m.value = d->method;
	}
	return m;
}

static int
build_std_field(struct gw_route_table *t, const struct gw_route_def *defs, int which, char *err,
		size_t errlen)
{
	static const char *const names[] = {"host", "path", "method"};
	struct gw_route_field *f = which == 0 ? &t->host : which == 1 ? &t->path : &t->method;
	struct exprs x = {0};
	int rc;

	if ((rc = exprs_init(&x, t->n_routes)) < 0 || (rc = field_init(f, t, false)) < 0) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < t->n_routes; i++) {
		struct gw_route_str_match m = std_matcher(&defs[i], which);

		if (m.kind == GW_ROUTE_ANY)
			continue;
		rc = matcher_expr(names[which], &m, &x.v[x.n], &x.flags[x.n], err, errlen, i);
		if (rc < 0)
			goto out;
		x.ids[x.n++] = i;
		bit_clear(f->wild, i);
	}
	f->used = x.n > 0;
	rc = field_compile(f, &x, names[which], err, errlen);
out:
	exprs_free(&x);
	return rc;
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

	for (unsigned int i = 0; i < t->n_hdr; i++)
		if (name_eq(t->hdr[i].name, name))
			return &t->hdr[i];
	if (len == 0 || t->n_hdr == GW_ROUTE_MAX_HDR_FIELDS) {
		set_err(err, errlen, "route %u: header: %s", route,
			len == 0 ? "empty name" : "too many distinct header names");
		errno = EINVAL;
		return NULL;
	}
	f = &t->hdr[t->n_hdr++]; /* counted first: gw_route_free frees a partial one */
	if (field_init(f, t, true) < 0 || (f->name = malloc(len + 1)) == NULL) {
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

static int
build_hdr_field(struct gw_route_table *t, const struct gw_route_def *defs, struct gw_route_field *f,
		char *err, size_t errlen)
{
	char label[80];
	struct exprs x = {0};
	int rc;

	snprintf(label, sizeof(label), "header %s", f->name);
	if ((rc = exprs_init(&x, t->n_routes)) < 0) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	for (unsigned int i = 0; i < t->n_routes; i++) {
		for (unsigned int h = 0; h < defs[i].n_headers; h++) {
			const struct gw_route_hdr_match *m = &defs[i].headers[h];

			if (!name_eq(f->name, m->name))
				continue;
			bit_clear(f->wild, i);
			if (m->m.kind == GW_ROUTE_PRESENT) {
				bit_set(f->present, i);
				continue;
			}
			rc = matcher_expr(label, &m->m, &x.v[x.n], &x.flags[x.n], err, errlen, i);
			if (rc < 0)
				goto out;
			x.ids[x.n++] = i;
		}
	}
	rc = field_compile(f, &x, label, err, errlen);
out:
	exprs_free(&x);
	return rc;
}

static void
field_free(struct gw_route_field *f)
{
	hs_free_database(f->db);
	f->db = NULL;
	free(f->wild);
	f->wild = NULL;
	free(f->present);
	f->present = NULL;
	free(f->name);
	f->name = NULL;
}

void
gw_route_free(struct gw_route_table *t)
{
	if (t == NULL)
		return;
	field_free(&t->host);
	field_free(&t->path);
	field_free(&t->method);
	for (unsigned int i = 0; i < t->n_hdr; i++)
		field_free(&t->hdr[i]);
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
	if (t == NULL) {
		rc = -ENOMEM;
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	t->n_routes = n;
	t->n_words = (n + 63) / 64;
	t->hash = gw_route_defs_hash(defs, n);
	for (int which = 0; which < 3; which++)
		if ((rc = build_std_field(t, defs, which, err, errlen)) < 0)
			goto fail;
	if ((rc = build_hdr_names(t, defs, err, errlen)) < 0)
		goto fail;
	for (unsigned int i = 0; i < t->n_hdr; i++)
		if ((rc = build_hdr_field(t, defs, &t->hdr[i], err, errlen)) < 0)
			goto fail;
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

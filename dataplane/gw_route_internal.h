/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route_internal.h - the layout of a compiled route table, shared by
 * gw_route_build.c (control thread) and gw_route_match.c (workers). Not an
 * interface: include gw_route.h.
 *
 * Matchers are deduplicated: every distinct (field, expression) is one
 * "expr" with a table-wide id, held once by its field's literal index
 * (below) or compiled into its field's Hyperscan database
 * (id = expr id), with the sorted list of the routes that use it.
 * A header field's PRESENT matchers share one expr with no expression: it
 * matches when the header occurs. A route is the list of (field, expr)
 * pairs it needs; it matches when every one of those exprs matched.
 */
#ifndef MESHGW_GW_ROUTE_INTERNAL_H
#define MESHGW_GW_ROUTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <hs/hs.h>

#include "gw_route.h"

/* Fields: host, path, method, then one per distinct header name. */
#define GW_RF_HOST   0
#define GW_RF_PATH   1
#define GW_RF_METHOD 2
#define GW_RF_HDR0   3
#define GW_RF_MAX    (GW_RF_HDR0 + GW_ROUTE_MAX_HDR_FIELDS)
#define GW_RF_NEEDS  (3 + GW_ROUTE_MAX_HEADERS) /* (field, expr) pairs per route */
#define GW_RF_NONE   UINT32_MAX

/*
 * A field's literal index: exact matchers (any field), path prefixes and
 * host wildcards are keys of an open-addressing hash instead of Hyperscan
 * patterns, and path regexes are grouped by their literal prefix, which is a
 * key too; only a key's group's tails reach Hyperscan. So a request costs
 * one probe per key length present (path) or per dot (host), plus a scan of
 * the small tail databases of the prefixes it has, however many routes there
 * are. Header regexes stay in their field's Hyperscan database.
 *
 * A slot: len == UINT32_MAX when empty; exact/part/group GW_RF_NONE when
 * absent. Host keys are lower case and compared case-insensitively.
 */
struct gw_route_lit {
	uint64_t hash;
	uint32_t off, len; /* the key: keys[off..off + len) */
	uint32_t exact;	   /* expr: the whole value equals the key */
	uint32_t part;	   /* expr: path prefix, or host "*.d" (key ".d") at a dot past 0 */
	uint32_t group;	   /* path: index in groups of the regexes with this prefix */
};

/* Path regexes with one literal prefix: their tails (the rest of each
 * regex) are ids base..base + n of database db, which may hold other
 * groups' tails too (ignored) and serves every prefix whose tails are the
 * same; id base + i is expr map[i]. */
struct gw_route_group {
	uint32_t db;
	uint32_t base, n;
	uint32_t map; /* offset in the index's map */
};

struct gw_route_index {
	struct gw_route_lit *slot;
	uint32_t mask; /* slots - 1 (a power of two, at most half full) */
	bool fold;     /* host: keys lower case, compared case-insensitively */
	char *keys;
	uint64_t *lens; /* bit L set: some key is L bytes long (L <= max_len) */
	uint32_t max_len;
	struct gw_route_group *groups;
	uint32_t *map;
	hs_database_t **dbs;
	unsigned int n_dbs;
};

/*
 * One matched field. Unused (used == false) when no route constrains it.
 * db is NULL when the field has no expression (only PRESENT matchers);
 * present is the PRESENT expr or GW_RF_NONE. wild is a bitmap of the routes
 * that do not constrain the field (bits past n_routes clear), wild_list the
 * same sorted (kept for the driver field only).
 */
struct gw_route_field {
	bool used;
	hs_database_t *db; /* the matchers idx does not hold */
	struct gw_route_index *idx;
	uint32_t present;
	uint64_t *wild;
	uint32_t *wild_list;
	unsigned int n_wild;
	unsigned int n_exprs; /* distinct matchers, PRESENT included */
	char *name;	      /* header fields: lower-case name */
	size_t name_len;
};

struct gw_route_need {
	uint8_t n;
	uint8_t field[GW_RF_NEEDS];
	uint32_t expr[GW_RF_NEEDS];
};

struct gw_route_table {
	unsigned int n_routes;
	unsigned int n_words; /* uint64_t words per bitmap */
	unsigned int n_exprs;
	unsigned int n_fields;	 /* GW_RF_HDR0 + header fields */
	int driver;		 /* the field candidates come from, or -1: none used */
	unsigned int sparse_max; /* more candidates than this: bitmap AND instead */
	uint64_t hash;
	struct gw_route_field f[GW_RF_MAX];
	uint32_t *expr_off; /* routes of expr e: expr_routes[expr_off[e]..[e+1]) */
	uint32_t *expr_routes;
	struct gw_route_need *need; /* per route */
};

/*
 * A worker's scratch. stamp[e] == epoch when expr e matched in the current
 * gw_route_match (nothing is cleared between calls); hits lists those exprs
 * in the order their fields were scanned, field f's in hit_lo[f]..hit_hi[f].
 */
struct gw_route_scratch {
	hs_scratch_t *hs;
	unsigned int n_words, n_exprs;
	uint32_t epoch;
	uint32_t *stamp;
	uint32_t *hits;
	unsigned int n_hits;
	uint64_t scanned; /* bit per field */
	uint32_t hit_lo[GW_RF_MAX], hit_hi[GW_RF_MAX];
	uint64_t *acc; /* bitmap mode: routes matching every field so far */
	uint64_t *cur; /* bitmap mode: routes matching the current field */
};

/* One literal or path regex for gw_route_index_build: kind EXACT, PREFIX,
 * SUFFIX (value "*.d") or REGEX; route names it in messages. */
struct gw_route_lit_def {
	enum gw_route_kind kind;
	const char *value;
	uint32_t expr;
	unsigned int route;
};

/*
 * Builds f->idx from d[0..n) (distinct matchers of one field; fold for the
 * host), compiling the regex tail databases with hs_flags. 0, or -EINVAL
 * (Hyperscan refused a regex: err names the route and label) or -ENOMEM.
 * Control thread. gw_route_index_free accepts NULL and partial indexes.
 */
int gw_route_index_build(struct gw_route_field *f, const struct gw_route_lit_def *d, unsigned int n,
			 bool fold, unsigned int hs_flags, const char *label, char *err,
			 size_t errlen);
void gw_route_index_free(struct gw_route_index *x);

/*
 * The keys' hash: 8-byte little-endian words through a multiply-rotate
 * step, the last partial word zero-padded with the length in its top byte,
 * then a final mix. Word-wise so that a path's prefixes are hashed
 * incrementally (gw_route_match.c). fold lower-cases ASCII letters.
 */
#define GW_LIT_SEED UINT64_C(0x6a09e667f3bcc908)

static inline uint64_t
gw_lit_load(const char *p, size_t n, bool fold)
{
	uint64_t w = 0;

	if (n == 8)
		memcpy(&w, p, 8);
	else
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)(unsigned char)p[i] << (8 * i);
	if (fold) { /* bytes 'A'..'Z' (high bit clear) gain 0x20 */
		uint64_t lo = w & UINT64_C(0x7f7f7f7f7f7f7f7f);
		uint64_t ge_a = lo + UINT64_C(0x3f3f3f3f3f3f3f3f); /* 0x80 - 'A' */
		uint64_t gt_z = lo + UINT64_C(0x2525252525252525); /* 0x80 - 'Z' - 1 */
		uint64_t up = ge_a & ~gt_z & ~w & UINT64_C(0x8080808080808080);

		w |= up >> 2;
	}
	return w;
}

static inline uint64_t
gw_lit_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
	return (h << 29) | (h >> 35);
}

static inline uint64_t
gw_lit_fin(uint64_t h, uint64_t tail, size_t len)
{
	h = gw_lit_step(h, tail ^ ((uint64_t)len << 56));
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 33);
}

static inline uint64_t
gw_lit_hash(const char *p, size_t len, bool fold)
{
	uint64_t h = GW_LIT_SEED;
	size_t i = 0;

	for (; i + 8 <= len; i += 8)
		h = gw_lit_step(h, gw_lit_load(p + i, 8, fold));
	return gw_lit_fin(h, gw_lit_load(p + i, len - i, fold), len);
}

static inline bool
gw_lit_key_eq(const struct gw_route_index *x, const struct gw_route_lit *l, const char *p)
{
	const char *k = x->keys + l->off;

	if (!x->fold)
		return memcmp(k, p, l->len) == 0;
	for (uint32_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)k[i])
			return false;
	}
	return true;
}

/* The slot of key p[0..len) with hash h, or NULL. */
static inline const struct gw_route_lit *
gw_lit_find(const struct gw_route_index *x, const char *p, size_t len, uint64_t h)
{
	for (uint32_t i = (uint32_t)h & x->mask;; i = (i + 1) & x->mask) {
		const struct gw_route_lit *l = &x->slot[i];

		if (l->len == UINT32_MAX)
			return NULL;
		if (l->hash == h && l->len == len && gw_lit_key_eq(x, l, p))
			return l;
	}
}

#endif /* MESHGW_GW_ROUTE_INTERNAL_H */

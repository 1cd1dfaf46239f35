/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_lb.c - load-balancing algorithms. gw_lb_build and gw_lb_free run on the
 * control thread; gw_lb_pick and the hashes on workers, reading the immutable
 * struct gw_lb and writing only the caller's per-worker state.
 */
#include "gw_lb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

/* Ineligible endpoints tolerated before a pick falls back to a scan: random
 * redraws, Maglev slots or ring points. */
#define RANDOM_TRIES 4
#define PROBE_MAX    256
#define KEY_MAX	     32 /* "255.255.255.255:65535_1048576" */
#define NO_RANK	     UINT16_MAX

static const uint8_t key_offset[16] = "meshgw.lb.offset";
static const uint8_t key_skip[16] = "meshgw.lb.skip..";
static const uint8_t key_ring[16] = "meshgw.lb.ring..";
static const uint8_t key_flow[16] = "meshgw.lb.flow..";
static const uint8_t key_digest[16] = "meshgw.lb.digest";

/*
 * Every array is in the one allocation after the struct. weight and cum are
 * in caller order; the hash policies add the rank order: rank_idx maps a
 * rank to its caller index, table holds ranks (maglev), points and
 * point_rank the sorted ring (ring_hash).
 */
struct gw_lb {
	enum ctl_lb_policy policy;
	uint32_t n;
	uint64_t total; /* sum of weights */
	uint64_t digest;
	uint32_t *weight;
	uint64_t *cum; /* cum[i]: weights of 0..i */
	uint16_t *rank_idx;
	uint16_t *table;
	uint64_t *points;
	uint16_t *point_rank;
	uint32_t n_points;
};

/* rng: splitmix64; cw: round-robin current weights (n for round_robin). */
struct lb_state {
	uint64_t rng;
	int64_t cw[];
};

/* ---- SipHash-2-4 ---- */

static inline uint64_t
rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static inline void
sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t
gw_lb_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
	uint64_t last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_block(v, le64(p + i));
	for (unsigned int j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	sip_block(v, last);
	v[2] ^= 0xff;
	for (unsigned int r = 0; r < 4; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint8_t *
put_be(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return p + bytes;
}

uint64_t
gw_lb_hash_source(uint32_t saddr)
{
	uint8_t b[4];

	put_be(b, saddr, 4);
	return gw_lb_siphash(key_flow, b, sizeof(b));
}

uint64_t
gw_lb_hash_5tuple(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, uint8_t proto)
{
	uint8_t b[13], *p = b;

	p = put_be(p, saddr, 4);
	p = put_be(p, sport, 2);
	p = put_be(p, daddr, 4);
	p = put_be(p, dport, 2);
	*p = proto;
	return gw_lb_siphash(key_flow, b, sizeof(b));
}

/* ---- building ---- */

static int
ep_key(const struct gw_lb_ep *e, char *buf)
{
	return snprintf(buf, KEY_MAX, "%u.%u.%u.%u:%u", e->addr >> 24, (e->addr >> 16) & 0xff,
			(e->addr >> 8) & 0xff, e->addr & 0xff, e->port);
}

/* Endpoint keys with their caller index, sorted into rank order. */
struct ranked {
	char key[KEY_MAX];
	uint16_t idx;
};

static int
ranked_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ranked *)a)->key, ((const struct ranked *)b)->key);
}

/* Fills rank_idx; EINVAL when two endpoints share a key. */
static int
rank_endpoints(struct gw_lb *lb, const struct gw_lb_ep *eps, struct ranked *r)
{
	for (uint32_t i = 0; i < lb->n; i++) {
		ep_key(&eps[i], r[i].key);
		r[i].idx = (uint16_t)i;
	}
	qsort(r, lb->n, sizeof(*r), ranked_cmp);
	for (uint32_t i = 0; i < lb->n; i++) {
		if (i > 0 && strcmp(r[i - 1].key, r[i].key) == 0)
			return -EINVAL;
		lb->rank_idx[i] = r[i].idx;
	}
	return 0;
}

/* Maglev population; r holds the endpoints in rank order. */
static int
maglev_fill(struct gw_lb *lb, const struct ranked *r)
{
	const uint32_t m = GW_LB_MAGLEV_SIZE;
	struct perm {
		uint32_t pos, skip;
		uint64_t credit;
	} *p = calloc(lb->n, sizeof(*p));
	uint32_t filled = 0, wmax = 0;

	if (p == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < lb->n; k++) {
		size_t len = strlen(r[k].key);

		p[k].pos = (uint32_t)(gw_lb_siphash(key_offset, r[k].key, len) % m);
		p[k].skip = (uint32_t)(gw_lb_siphash(key_skip, r[k].key, len) % (m - 1)) + 1;
		wmax = RTE_MAX(wmax, lb->weight[r[k].idx]);
	}
	memset(lb->table, 0xff, m * sizeof(lb->table[0]));
	while (filled < m) {
		for (uint32_t k = 0; k < lb->n && filled < m; k++) {
			p[k].credit += lb->weight[r[k].idx];
			if (p[k].credit < wmax)
				continue;
			p[k].credit -= wmax;
			while (lb->table[p[k].pos] != NO_RANK)
				p[k].pos = (p[k].pos + p[k].skip) % m;
			lb->table[p[k].pos] = (uint16_t)k;
			filled++;
		}
	}
	free(p);
	return 0;
}

struct point {
	uint64_t hash;
	uint16_t rank;
};

static int
point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (int)x->rank - (int)y->rank;
}

/* Points of rank k out of ring_size: cumulative rounding, at least 1. */
static uint32_t
ring_share(const struct gw_lb *lb, const struct ranked *r, uint32_t ring_size, uint32_t k,
	   uint64_t *cum)
{
	uint64_t before = *cum * ring_size / lb->total, after;

	*cum += lb->weight[r[k].idx];
	after = *cum * ring_size / lb->total;
	return RTE_MAX((uint32_t)(after - before), 1u);
}

/* lb->n_points is the room allocated on entry, the points made on return. */
static int
ring_fill(struct gw_lb *lb, const struct ranked *r, uint32_t ring_size)
{
	struct point *pt = malloc((size_t)lb->n_points * sizeof(*pt));
	uint64_t cum = 0;
	uint32_t np = 0;

	if (pt == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < lb->n; k++) {
		uint32_t share = ring_share(lb, r, ring_size, k, &cum);
		size_t klen = strlen(r[k].key);
		char key[KEY_MAX];

		memcpy(key, r[k].key, klen);
		for (uint32_t i = 0; i < share; i++) {
			int len = (int)klen + snprintf(key + klen, KEY_MAX - klen, "_%u", i);

			pt[np].hash = gw_lb_siphash(key_ring, key, (size_t)len);
			pt[np++].rank = (uint16_t)k;
		}
	}
	qsort(pt, np, sizeof(*pt), point_cmp);
	for (uint32_t i = 0; i < np; i++) {
		lb->points[i] = pt[i].hash;
		lb->point_rank[i] = pt[i].rank;
	}
	lb->n_points = np;
	free(pt);
	return 0;
}

/* See gw_lb_digest in the header for the bytes hashed. */
static int
compute_digest(struct gw_lb *lb, const struct gw_lb_ep *eps)
{
	size_t len = (size_t)lb->n * 10 + (lb->table != NULL ? (size_t)GW_LB_MAGLEV_SIZE * 2 : 0) +
		     (size_t)lb->n_points * 10;
	uint8_t *buf = malloc(len), *p = buf;

	if (buf == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < lb->n; k++) {
		const struct gw_lb_ep *e = &eps[lb->rank_idx[k]];

		p = put_be(put_be(put_be(p, e->addr, 4), e->port, 2), e->weight, 4);
	}
	for (uint32_t s = 0; lb->table != NULL && s < GW_LB_MAGLEV_SIZE; s++)
		p = put_be(p, lb->table[s], 2);
	for (uint32_t i = 0; i < lb->n_points; i++)
		p = put_be(put_be(p, lb->points[i], 8), lb->point_rank[i], 2);
	lb->digest = gw_lb_siphash(key_digest, buf, len);
	free(buf);
	return 0;
}

static bool
hashed(enum ctl_lb_policy policy)
{
	return policy == CTL_LB_MAGLEV || policy == CTL_LB_RING_HASH;
}

static int
check_args(enum ctl_lb_policy policy, const struct gw_lb_ep *eps, unsigned int n,
	   uint32_t ring_size)
{
	if ((unsigned int)policy > CTL_LB_RING_HASH || n > GW_LB_MAX_ENDPOINTS ||
	    (n > 0 && eps == NULL))
		return -EINVAL;
	if (policy == CTL_LB_RING_HASH && (ring_size == 0 || ring_size > GW_LB_MAX_RING))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (eps[i].weight == 0 || eps[i].weight > GW_LB_MAX_WEIGHT)
			return -EINVAL;
	return 0;
}

/* One allocation: the struct, then 8-byte arrays, then 4- and 2-byte ones. */
static struct gw_lb *
lb_alloc(enum ctl_lb_policy policy, unsigned int n, uint32_t n_points, int socket)
{
	uint32_t slots = policy == CTL_LB_MAGLEV && n > 0 ? GW_LB_MAGLEV_SIZE : 0;
	size_t size = sizeof(struct gw_lb) + 8 * ((size_t)n + n_points) + 4 * (size_t)n +
		      2 * ((size_t)n + slots + n_points);
	struct gw_lb *lb = rte_zmalloc_socket("gw_lb", size, RTE_CACHE_LINE_SIZE, socket);
	uint8_t *p;

	if (lb == NULL)
		return NULL;
	lb->policy = policy;
	lb->n = n;
	lb->n_points = n_points;
	p = (uint8_t *)(lb + 1);
	lb->cum = (uint64_t *)p;
	p += 8 * (size_t)n;
	lb->points = n_points > 0 ? (uint64_t *)p : NULL;
	p += 8 * (size_t)n_points;
	lb->weight = (uint32_t *)p;
	p += 4 * (size_t)n;
	lb->rank_idx = (uint16_t *)p;
	p += 2 * (size_t)n;
	lb->table = slots > 0 ? (uint16_t *)p : NULL;
	p += 2 * (size_t)slots;
	lb->point_rank = n_points > 0 ? (uint16_t *)p : NULL;
	return lb;
}

struct gw_lb *
gw_lb_build(enum ctl_lb_policy policy, const struct gw_lb_ep *eps, unsigned int n,
	    uint32_t ring_size, int socket)
{
	struct gw_lb *lb = NULL;
	struct ranked *r = NULL;
	uint32_t n_points = 0;
	int rc;

	rc = check_args(policy, eps, n, ring_size);
	if (rc < 0)
		goto out;
	/* ring_fill gives each endpoint at least one point: room for n more */
	if (policy == CTL_LB_RING_HASH && n > 0)
		n_points = ring_size + n;
	lb = lb_alloc(policy, n, n_points, socket);
	if (lb == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		lb->weight[i] = eps[i].weight;
		lb->total += eps[i].weight;
		lb->cum[i] = lb->total;
		lb->rank_idx[i] = (uint16_t)i;
	}
	if (!hashed(policy) || n == 0)
		goto out;
	r = calloc(n, sizeof(*r));
	rc = r == NULL ? -ENOMEM : rank_endpoints(lb, eps, r);
	if (rc == 0)
		rc = policy == CTL_LB_MAGLEV ? maglev_fill(lb, r) : ring_fill(lb, r, ring_size);
	if (rc == 0)
		rc = compute_digest(lb, eps);
out:
	free(r);
	if (rc < 0) {
		gw_lb_free(lb);
		errno = -rc;
		return NULL;
	}
	return lb;
}

void
gw_lb_free(struct gw_lb *lb)
{
	rte_free(lb);
}

enum ctl_lb_policy
gw_lb_policy(const struct gw_lb *lb)
{
	return lb->policy;
}

unsigned int
gw_lb_count(const struct gw_lb *lb)
{
	return lb->n;
}

uint64_t
gw_lb_digest(const struct gw_lb *lb)
{
	return lb->digest;
}

const uint16_t *
gw_lb_maglev_table(const struct gw_lb *lb, uint32_t *size)
{
	*size = lb->table != NULL ? GW_LB_MAGLEV_SIZE : 0;
	return lb->table;
}

uint32_t
gw_lb_ring_points(const struct gw_lb *lb)
{
	return lb->n_points;
}

int
gw_lb_rank_index(const struct gw_lb *lb, unsigned int rank)
{
	return rank < lb->n ? lb->rank_idx[rank] : -1;
}

/* ---- per-worker state and picks ---- */

/* splitmix64 */
static inline uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t
gw_lb_state_size(const struct gw_lb *lb)
{
	size_t cw = lb->policy == CTL_LB_ROUND_ROBIN ? lb->n : 0;

	return sizeof(struct lb_state) + cw * sizeof(int64_t);
}

void
gw_lb_state_init(const struct gw_lb *lb, void *state, uint64_t seed)
{
	uint64_t x = seed;

	memset(state, 0, gw_lb_state_size(lb));
	/* mixed, so that consecutive seeds start far apart */
	((struct lb_state *)state)->rng = next_rand(&x);
}

/* Uniform in [0, bound), bias below bound / 2^64. */
static inline uint64_t
below(uint64_t *s, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)next_rand(s) * bound) >> 64);
}

static int
pick_rr(const struct gw_lb *lb, struct lb_state *st, const bool *eligible)
{
	int64_t total = 0;
	int best = -1;

	for (uint32_t i = 0; i < lb->n; i++) {
		if (!eligible[i])
			continue;
		st->cw[i] += lb->weight[i];
		total += lb->weight[i];
		if (best < 0 || st->cw[i] > st->cw[best])
			best = (int)i;
	}
	if (best >= 0)
		st->cw[best] -= total;
	return best;
}

/* Weighted draw over every endpoint: the first i with cum[i] > r. */
static uint32_t
draw_all(const struct gw_lb *lb, uint64_t *rng)
{
	uint64_t r = below(rng, lb->total);
	uint32_t lo = 0, hi = lb->n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (lb->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Weighted draw among the eligible endpoints other than `skip`. */
static int
draw_eligible(const struct gw_lb *lb, uint64_t *rng, const bool *eligible, int skip)
{
	uint64_t sum = 0, r;

	for (int t = 0; t < RANDOM_TRIES; t++) {
		int i = (int)draw_all(lb, rng);

		if (eligible[i] && i != skip)
			return i;
	}
	for (uint32_t i = 0; i < lb->n; i++)
		if (eligible[i] && (int)i != skip)
			sum += lb->weight[i];
	if (sum == 0)
		return -1;
	r = below(rng, sum);
	for (uint32_t i = 0;; i++) {
		if (!eligible[i] || (int)i == skip)
			continue;
		if (r < lb->weight[i])
			return (int)i;
		r -= lb->weight[i];
	}
}

static int
pick_p2c(const struct gw_lb *lb, struct lb_state *st, const bool *eligible, const uint32_t *active)
{
	int a = draw_eligible(lb, &st->rng, eligible, -1), b;

	if (a < 0)
		return -1;
	b = draw_eligible(lb, &st->rng, eligible, a);
	if (b < 0)
		return a;
	/* active[a] / w[a] <= active[b] / w[b], without division */
	if ((uint64_t)active[a] * lb->weight[b] <= (uint64_t)active[b] * lb->weight[a])
		return a;
	return b;
}

/* The hashing policies' last resort: first eligible rank from hash % n. */
static int
rank_fallback(const struct gw_lb *lb, const bool *eligible, uint64_t hash)
{
	uint32_t k = (uint32_t)(hash % lb->n);

	for (uint32_t t = 0; t < lb->n; t++) {
		int i = lb->rank_idx[k];

		if (eligible[i])
			return i;
		k = k + 1 == lb->n ? 0 : k + 1;
	}
	return -1;
}

static int
pick_maglev(const struct gw_lb *lb, const bool *eligible, uint64_t hash)
{
	uint32_t s = (uint32_t)(hash % GW_LB_MAGLEV_SIZE);

	for (int t = 0; t < PROBE_MAX; t++) {
		int i = lb->rank_idx[lb->table[s]];

		if (eligible[i])
			return i;
		s = s + 1 == GW_LB_MAGLEV_SIZE ? 0 : s + 1;
	}
	return rank_fallback(lb, eligible, hash);
}

static int
pick_ring(const struct gw_lb *lb, const bool *eligible, uint64_t hash)
{
	uint32_t lo = 0, hi = lb->n_points; /* first point >= hash, n_points if none */

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (lb->points[mid] >= hash)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (int t = 0; t < PROBE_MAX; t++) {
		int i;

		lo = lo == lb->n_points ? 0 : lo;
		i = lb->rank_idx[lb->point_rank[lo]];
		if (eligible[i])
			return i;
		lo++;
	}
	return rank_fallback(lb, eligible, hash);
}

int
gw_lb_pick(const struct gw_lb *lb, void *state, const bool *eligible, const uint32_t *active,
	   uint64_t hash)
{
	struct lb_state *st = state;

	if (lb->n == 0)
		return -1;
	switch (lb->policy) {
	case CTL_LB_ROUND_ROBIN:
		return pick_rr(lb, st, eligible);
	case CTL_LB_RANDOM:
		return draw_eligible(lb, &st->rng, eligible, -1);
	case CTL_LB_LEAST_CONN:
		return pick_p2c(lb, st, eligible, active);
	case CTL_LB_MAGLEV:
		return pick_maglev(lb, eligible, hash);
	case CTL_LB_RING_HASH:
		return pick_ring(lb, eligible, hash);
	}
	return -1;
}

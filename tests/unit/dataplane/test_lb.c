/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lb.c - the balancers: the documented hash against SipHash vectors
 * (the reference paper's and OpenSSL's for our keys), argument checks, smooth
 * WRR exact per cycle and past ineligible endpoints, random and P2C against
 * a chi-square bound, P2C preferring the less loaded, Maglev tables
 * byte-identical whatever the input order, Maglev and ring hash shares and
 * disruption, and the edge cases (nothing eligible, one endpoint).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h> /* getpid() in ut_eal.h */

/* cmocka.h needs these first; .clang-format would sort it above them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <rte_eal.h>
#include <rte_memory.h>

#include "gw_lb.h"
/* ut_eal.h casts string literals, which are const under -Wwrite-strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "ut_eal.h"
#pragma GCC diagnostic pop

#define MAX_EP	1024
#define N_PICKS 100000
#define N_KEYS	100000
/* chi-square at p = 0.001 */
#define CHI2_DF1 10.828
#define CHI2_DF2 13.816

static const enum ctl_lb_policy all_policies[] = {
	CTL_LB_ROUND_ROBIN, CTL_LB_RANDOM, CTL_LB_LEAST_CONN, CTL_LB_MAGLEV, CTL_LB_RING_HASH};

static bool all_true[MAX_EP];
static uint64_t st_buf[1 + MAX_EP]; /* a worker's state */

/* The test's own splitmix64, for keys and shuffles. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A flow hash as the proxy would make it: a random client towards a VIP. */
static uint64_t
flow_key(uint64_t *s)
{
	uint64_t r = rnd(s);

	return gw_lb_hash_5tuple(0x0a010000 | (uint32_t)(r & 0xffff), (uint16_t)(r >> 16),
				 0x0a600001, 80, 6);
}

static void
mk_eps(struct gw_lb_ep *e, unsigned int n, const uint32_t *weights)
{
	for (unsigned int i = 0; i < n; i++) {
		e[i].addr = 0x0a000000 | (i / 200) << 8 | (i % 200 + 10);
		e[i].port = (uint16_t)(8000 + i % 3);
		e[i].weight = weights != NULL ? weights[i] : 1;
	}
}

static struct gw_lb *
build(enum ctl_lb_policy p, const struct gw_lb_ep *e, unsigned int n)
{
	struct gw_lb *lb = gw_lb_build(p, e, n, GW_LB_RING_DEFAULT, SOCKET_ID_ANY);

	assert_non_null(lb);
	assert_true(gw_lb_state_size(lb) <= sizeof(st_buf));
	assert_int_equal(gw_lb_state_size(lb) % 8, 0);
	gw_lb_state_init(lb, st_buf, 42);
	return lb;
}

static int
pick(const struct gw_lb *lb, const bool *eligible, const uint32_t *active, uint64_t hash)
{
	return gw_lb_pick(lb, st_buf, eligible, active, hash);
}

static double
chi2(const unsigned int *count, const uint32_t *weights, unsigned int n)
{
	double total = 0, wsum = 0, x = 0;

	for (unsigned int i = 0; i < n; i++) {
		total += count[i];
		wsum += weights[i];
	}
	for (unsigned int i = 0; i < n; i++) {
		double expect = total * weights[i] / wsum;

		x += (count[i] - expect) * (count[i] - expect) / expect;
	}
	return x;
}

static bool
same_ep(const struct gw_lb_ep *a, const struct gw_lb_ep *b)
{
	return a->addr == b->addr && a->port == b->port;
}

/* ---- the hash ---- */

static void
test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (unsigned int i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	memcpy(key, msg, sizeof(key));
	/* the SipHash paper's vectors (key 00..0f, message 00..) */
	assert_true(gw_lb_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(gw_lb_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
	/* our keys, from `openssl mac -macopt hexkey:... SIPHASH` */
	assert_true(gw_lb_siphash((const uint8_t *)"meshgw.lb.offset", "10.0.0.1:8080", 13) ==
		    0x6dd2ebeaf199d7c3ull);
	assert_true(gw_lb_siphash((const uint8_t *)"meshgw.lb.ring..", "10.0.0.1:8080_7", 15) ==
		    0xd9f163f01c1bb9c4ull);
	assert_true(gw_lb_siphash((const uint8_t *)"meshgw.lb.flow..", msg, 64) ==
		    0xfa46b8dbfe5897d1ull);
}

static void
test_flow_hashes(void **state)
{
	const uint8_t src[4] = {10, 1, 2, 3};
	const uint8_t tuple[13] = {10, 1, 2, 3, 0x9c, 0x40, 10, 96, 0, 1, 0, 80, 6};
	const uint8_t *key = (const uint8_t *)"meshgw.lb.flow..";
	uint64_t h = gw_lb_hash_5tuple(0x0a010203, 40000, 0x0a600001, 80, 6);

	(void)state;
	assert_true(gw_lb_hash_source(0x0a010203) == gw_lb_siphash(key, src, sizeof(src)));
	assert_true(h == gw_lb_siphash(key, tuple, sizeof(tuple)));
	assert_true(h != gw_lb_hash_5tuple(0x0a010204, 40000, 0x0a600001, 80, 6));
	assert_true(h != gw_lb_hash_5tuple(0x0a010203, 40001, 0x0a600001, 80, 6));
	assert_true(h != gw_lb_hash_5tuple(0x0a010203, 40000, 0x0a600002, 80, 6));
	assert_true(h != gw_lb_hash_5tuple(0x0a010203, 40000, 0x0a600001, 81, 6));
	assert_true(h != gw_lb_hash_5tuple(0x0a010203, 40000, 0x0a600001, 80, 17));
}

/* ---- building ---- */

static void
expect_einval(enum ctl_lb_policy p, const struct gw_lb_ep *e, unsigned int n, uint32_t ring)
{
	errno = 0;
	assert_null(gw_lb_build(p, e, n, ring, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
}

static void
test_build_invalid(void **state)
{
	static struct gw_lb_ep e[MAX_EP + 1];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, MAX_EP + 1, NULL);
	expect_einval((enum ctl_lb_policy)7, e, 3, 1024);
	expect_einval(CTL_LB_ROUND_ROBIN, e, MAX_EP + 1, 1024);
	expect_einval(CTL_LB_ROUND_ROBIN, NULL, 3, 1024);
	expect_einval(CTL_LB_RING_HASH, e, 3, 0);
	expect_einval(CTL_LB_RING_HASH, e, 3, GW_LB_MAX_RING + 1);
	e[1].weight = 0;
	expect_einval(CTL_LB_RANDOM, e, 3, 1024);
	e[1].weight = GW_LB_MAX_WEIGHT + 1;
	expect_einval(CTL_LB_MAGLEV, e, 3, 1024);
	e[1] = e[0]; /* the same address and port twice */
	expect_einval(CTL_LB_MAGLEV, e, 3, 1024);
	expect_einval(CTL_LB_RING_HASH, e, 3, 1024);
	lb = gw_lb_build(CTL_LB_ROUND_ROBIN, e, 3, 0, SOCKET_ID_ANY); /* harmless there */
	assert_non_null(lb);
	assert_true(gw_lb_digest(lb) == 0);
	gw_lb_free(lb);
	lb = gw_lb_build(CTL_LB_MAGLEV, e + 1, 2, 0, SOCKET_ID_ANY); /* ring_size unused */
	assert_non_null(lb);
	assert_true(gw_lb_digest(lb) != 0);
	gw_lb_free(lb);
	gw_lb_free(NULL);
}

/* ---- smooth weighted round robin ---- */

static void
test_swrr_nginx_sequence(void **state)
{
	const uint32_t w[3] = {5, 1, 1};
	const int expect[7] = {0, 0, 1, 0, 2, 0, 0}; /* a a b a c a a */
	struct gw_lb_ep e[3];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 3, w);
	lb = build(CTL_LB_ROUND_ROBIN, e, 3);
	for (unsigned int cycle = 0; cycle < 10; cycle++)
		for (unsigned int i = 0; i < 7; i++)
			assert_int_equal(pick(lb, all_true, NULL, 0), expect[i]);
	gw_lb_free(lb);
}

static void
test_swrr_exact_per_cycle(void **state)
{
	const uint32_t w[6] = {3, 2, 7, 1, 5, 100};
	unsigned int count[6];
	struct gw_lb_ep e[6];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 6, w);
	lb = build(CTL_LB_ROUND_ROBIN, e, 6);
	for (unsigned int cycle = 0; cycle < 20; cycle++) {
		memset(count, 0, sizeof(count));
		for (unsigned int i = 0; i < 118; i++)
			count[pick(lb, all_true, NULL, 0)]++;
		for (unsigned int i = 0; i < 6; i++)
			assert_int_equal(count[i], w[i]);
	}
	gw_lb_free(lb);
}

static void
test_swrr_skips_ineligible(void **state)
{
	const uint32_t w[3] = {5, 1, 1};
	bool el[3] = {true, false, true};
	unsigned int count[3] = {0};
	struct gw_lb_ep e[3];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 3, w);
	lb = build(CTL_LB_ROUND_ROBIN, e, 3);
	for (unsigned int cycle = 0; cycle < 10; cycle++) {
		memset(count, 0, sizeof(count));
		for (unsigned int i = 0; i < 6; i++)
			count[pick(lb, el, NULL, 0)]++;
		assert_int_equal(count[0], 5);
		assert_int_equal(count[1], 0);
		assert_int_equal(count[2], 1);
	}
	/* back in the rotation: within one pick of its weight per cycle */
	el[1] = true;
	memset(count, 0, sizeof(count));
	for (unsigned int i = 0; i < 70; i++)
		count[pick(lb, el, NULL, 0)]++;
	assert_in_range(count[0], 49, 51);
	assert_in_range(count[1], 9, 11);
	assert_in_range(count[2], 9, 11);
	gw_lb_free(lb);
}

/* ---- random and least connections ---- */

static void
check_chi2(enum ctl_lb_policy p)
{
	const uint32_t w[3] = {1, 2, 3};
	const uint32_t active[3] = {0};
	unsigned int count[3] = {0};
	struct gw_lb_ep e[3];
	struct gw_lb *lb;
	double x;

	mk_eps(e, 3, w);
	lb = build(p, e, 3);
	for (unsigned int i = 0; i < N_PICKS; i++)
		count[pick(lb, all_true, active, 0)]++;
	x = chi2(count, w, 3);
	print_message("policy %d: %u %u %u chi2 %.2f\n", p, count[0], count[1], count[2], x);
	assert_true(x < CHI2_DF2);
	gw_lb_free(lb);
}

static void
test_random_chi2(void **state)
{
	(void)state;
	check_chi2(CTL_LB_RANDOM);
}

static void
test_p2c_chi2(void **state)
{
	(void)state;
	check_chi2(CTL_LB_LEAST_CONN);
}

/* Mostly ineligible weight: the redraws give up and the eligible scan decides. */
static void
test_random_ineligible(void **state)
{
	const uint32_t w[4] = {1, 2, 1000, 1000};
	const bool el[4] = {true, true, false, false};
	unsigned int count[4] = {0};
	struct gw_lb_ep e[4];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 4, w);
	lb = build(CTL_LB_RANDOM, e, 4);
	for (unsigned int i = 0; i < N_PICKS; i++)
		count[pick(lb, el, NULL, 0)]++;
	assert_int_equal(count[2] + count[3], 0);
	assert_true(chi2(count, w, 2) < CHI2_DF1);
	gw_lb_free(lb);
}

static void
test_random_seeded(void **state)
{
	const uint32_t w[5] = {1, 1, 1, 1, 1};
	uint64_t other[1 + MAX_EP];
	struct gw_lb_ep e[5];
	struct gw_lb *lb;
	unsigned int differ = 0;

	(void)state;
	mk_eps(e, 5, w);
	lb = build(CTL_LB_RANDOM, e, 5);
	gw_lb_state_init(lb, other, 42);
	for (unsigned int i = 0; i < 100; i++)
		assert_int_equal(pick(lb, all_true, NULL, 0),
				 gw_lb_pick(lb, other, all_true, NULL, 0));
	gw_lb_state_init(lb, other, 43);
	for (unsigned int i = 0; i < 100; i++)
		differ += pick(lb, all_true, NULL, 0) != gw_lb_pick(lb, other, all_true, NULL, 0);
	assert_true(differ > 50);
	gw_lb_free(lb);
}

static void
test_p2c_prefers_less_loaded(void **state)
{
	const uint32_t w13[2] = {1, 3};
	uint32_t active[3] = {10, 0, 0};
	struct gw_lb_ep e[3];
	struct gw_lb *lb;

	(void)state;
	/* two endpoints: the candidates are always both */
	mk_eps(e, 3, NULL);
	lb = build(CTL_LB_LEAST_CONN, e, 2);
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(pick(lb, all_true, active, 0), 1);
	gw_lb_free(lb);
	/* three: the most loaded always loses */
	active[0] = 100;
	lb = build(CTL_LB_LEAST_CONN, e, 3);
	for (unsigned int i = 0; i < 10000; i++)
		assert_int_not_equal(pick(lb, all_true, active, 0), 0);
	gw_lb_free(lb);
	/* per unit of weight: 1/1 > 2/3, then 1/1 < 4/3 */
	mk_eps(e, 2, w13);
	lb = build(CTL_LB_LEAST_CONN, e, 2);
	active[0] = 1;
	active[1] = 2;
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(pick(lb, all_true, active, 0), 1);
	active[1] = 4;
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(pick(lb, all_true, active, 0), 0);
	gw_lb_free(lb);
}

/* ---- Maglev ---- */

static void
test_maglev_order_independent(void **state)
{
	struct gw_lb_ep a[10], b[10], c[10];
	const uint32_t w[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	const uint16_t *ta, *tb;
	struct gw_lb *la, *lb, *lc;
	uint32_t sa, sb;
	uint64_t s = 1;

	(void)state;
	mk_eps(a, 10, w);
	for (unsigned int i = 0; i < 10; i++)
		b[i] = a[9 - i];
	memcpy(c, a, sizeof(c));
	for (unsigned int i = 9; i > 0; i--) { /* Fisher-Yates */
		unsigned int j = (unsigned int)(rnd(&s) % (i + 1));
		struct gw_lb_ep t = c[i];

		c[i] = c[j];
		c[j] = t;
	}
	la = build(CTL_LB_MAGLEV, a, 10);
	lb = build(CTL_LB_MAGLEV, b, 10);
	lc = build(CTL_LB_MAGLEV, c, 10);
	ta = gw_lb_maglev_table(la, &sa);
	tb = gw_lb_maglev_table(lb, &sb);
	assert_int_equal(sa, GW_LB_MAGLEV_SIZE);
	assert_int_equal(sb, GW_LB_MAGLEV_SIZE);
	assert_memory_equal(ta, tb, sa * sizeof(*ta));
	assert_memory_equal(ta, gw_lb_maglev_table(lc, &sb), sa * sizeof(*ta));
	assert_true(gw_lb_digest(la) != 0);
	assert_true(gw_lb_digest(la) == gw_lb_digest(lb));
	assert_true(gw_lb_digest(la) == gw_lb_digest(lc));
	for (unsigned int k = 0; k < 10; k++) {
		assert_true(same_ep(&a[gw_lb_rank_index(la, k)], &b[gw_lb_rank_index(lb, k)]));
		assert_true(same_ep(&a[gw_lb_rank_index(la, k)], &c[gw_lb_rank_index(lc, k)]));
	}
	for (unsigned int i = 0; i < N_KEYS; i++) {
		uint64_t h = flow_key(&s);

		assert_true(
			same_ep(&a[pick(la, all_true, NULL, h)], &b[pick(lb, all_true, NULL, h)]));
	}
	gw_lb_free(lb);
	gw_lb_free(lc);
	/* another port, or another weight, is another table */
	b[0] = a[0];
	b[0].port = 9999;
	lb = build(CTL_LB_MAGLEV, b, 10);
	assert_true(gw_lb_digest(la) != gw_lb_digest(lb));
	assert_memory_not_equal(ta, gw_lb_maglev_table(lb, &sb), sa * sizeof(*ta));
	gw_lb_free(lb);
	a[3].weight++;
	lb = build(CTL_LB_MAGLEV, a, 10);
	assert_true(gw_lb_digest(la) != gw_lb_digest(lb));
	gw_lb_free(lb);
	gw_lb_free(la);
}

/* Keys that move when endpoint `gone` is removed from the set (rebuild) or
 * only marked ineligible; moved_other: those not on `gone` before. */
static void
disruption(enum ctl_lb_policy p, unsigned int n, unsigned int gone, double *moved_rebuild,
	   double *moved_inel, unsigned int *moved_other)
{
	struct gw_lb_ep e[16], f[16];
	bool el[16];
	struct gw_lb *la, *lb;
	unsigned int m = 0, mr = 0, mi = 0;
	uint64_t s = 7;

	mk_eps(e, n, NULL);
	for (unsigned int i = 0; i < n; i++) {
		el[i] = i != gone;
		if (i != gone)
			f[m++] = e[i];
	}
	la = build(p, e, n);
	lb = build(p, f, m);
	*moved_other = 0;
	for (unsigned int i = 0; i < N_KEYS; i++) {
		uint64_t h = flow_key(&s);
		int before = pick(la, all_true, NULL, h);
		int after = pick(la, el, NULL, h);

		mr += !same_ep(&e[before], &f[pick(lb, all_true, NULL, h)]);
		mi += before != after;
		*moved_other += before != (int)gone && before != after;
	}
	*moved_rebuild = (double)mr / N_KEYS;
	*moved_inel = (double)mi / N_KEYS;
	print_message("policy %d: removal moved %.2f%%, ineligible moved %.2f%%\n", p,
		      100 * *moved_rebuild, 100 * *moved_inel);
	gw_lb_free(la);
	gw_lb_free(lb);
}

static void
test_maglev_disruption(void **state)
{
	double rebuild, inel;
	unsigned int other;

	(void)state;
	disruption(CTL_LB_MAGLEV, 10, 3, &rebuild, &inel, &other);
	assert_true(rebuild <= 0.15);
	assert_true(rebuild >= 0.09); /* its own keys must move */
	assert_true(inel >= 0.09 && inel <= 0.11);
	assert_int_equal(other, 0);
}

/* Shares of N_KEYS flows within +-tol (relative) of weight / total. */
static void
check_shares(enum ctl_lb_policy p, const uint32_t *w, unsigned int n, double tol)
{
	unsigned int count[16] = {0};
	struct gw_lb_ep e[16];
	struct gw_lb *lb;
	double wsum = 0;
	uint64_t s = 99;

	mk_eps(e, n, w);
	lb = build(p, e, n);
	for (unsigned int i = 0; i < n; i++)
		wsum += w[i];
	for (unsigned int i = 0; i < N_KEYS; i++)
		count[pick(lb, all_true, NULL, flow_key(&s))]++;
	for (unsigned int i = 0; i < n; i++) {
		double share = (double)count[i] / N_KEYS, expect = w[i] / wsum;

		if (share < expect * (1 - tol) || share > expect * (1 + tol))
			fail_msg("policy %d endpoint %u: share %.4f, expected %.4f", p, i, share,
				 expect);
	}
	gw_lb_free(lb);
}

static void
test_maglev_shares(void **state)
{
	const uint32_t eq[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	const uint32_t w123[3] = {1, 2, 3};
	const uint32_t w5[5] = {10, 1, 4, 7, 2};

	(void)state;
	check_shares(CTL_LB_MAGLEV, eq, 10, 0.05);
	check_shares(CTL_LB_MAGLEV, eq, 3, 0.05);
	check_shares(CTL_LB_MAGLEV, w123, 3, 0.05);
	check_shares(CTL_LB_MAGLEV, w5, 5, 0.05);
}

/* Slots per endpoint: the turns make them exact up to n slots. */
static void
test_maglev_table_counts(void **state)
{
	const uint32_t w[5] = {10, 1, 4, 7, 2};
	unsigned int count[5] = {0};
	struct gw_lb_ep e[5];
	const uint16_t *t;
	struct gw_lb *lb;
	uint32_t size;

	(void)state;
	mk_eps(e, 5, w);
	lb = build(CTL_LB_MAGLEV, e, 5);
	t = gw_lb_maglev_table(lb, &size);
	for (uint32_t i = 0; i < size; i++) {
		assert_true(t[i] < 5);
		count[gw_lb_rank_index(lb, t[i])]++;
	}
	for (unsigned int i = 0; i < 5; i++) {
		double expect = (double)GW_LB_MAGLEV_SIZE * w[i] / 24;

		assert_true(count[i] >= expect - 5 && count[i] <= expect + 5);
	}
	gw_lb_free(lb);
}

/* The documented Maglev probe: from hash % M to the next slot (wrapping)
 * whose endpoint is eligible. */
static void
test_maglev_probe(void **state)
{
	bool el[10];
	struct gw_lb_ep e[10];
	const uint16_t *t;
	struct gw_lb *lb;
	uint32_t size;
	uint64_t s = 17;

	(void)state;
	mk_eps(e, 10, NULL);
	for (unsigned int i = 0; i < 10; i++)
		el[i] = i % 3 != 0;
	lb = build(CTL_LB_MAGLEV, e, 10);
	t = gw_lb_maglev_table(lb, &size);
	for (unsigned int i = 0; i < N_KEYS + 2; i++) {
		/* the last two run off the end of the table */
		uint64_t h = i < N_KEYS ? flow_key(&s) : GW_LB_MAGLEV_SIZE - 1 + (i - N_KEYS);
		uint32_t slot = (uint32_t)(h % size);

		while (!el[gw_lb_rank_index(lb, t[slot])])
			slot = (slot + 1) % size;
		assert_int_equal(pick(lb, el, NULL, h), gw_lb_rank_index(lb, t[slot]));
	}
	gw_lb_free(lb);
}

/* Endpoint keys in rank order (strcmp), as the header documents them. */
static void
ranked_keys(const struct gw_lb_ep *e, unsigned int n, char keys[][32], unsigned int *idx)
{
	for (unsigned int i = 0; i < n; i++) {
		snprintf(keys[i], 32, "%u.%u.%u.%u:%u", e[i].addr >> 24, (e[i].addr >> 16) & 0xff,
			 (e[i].addr >> 8) & 0xff, e[i].addr & 0xff, e[i].port);
		idx[i] = i;
	}
	for (unsigned int i = 1; i < n; i++) /* insertion sort */
		for (unsigned int j = i; j > 0 && strcmp(keys[idx[j - 1]], keys[idx[j]]) > 0; j--) {
			unsigned int x = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = x;
		}
}

/* The table rebuilt from the header's description alone (equal weights: one
 * turn each per round, in rank order): another gateway's implementation. */
static void
test_maglev_documented(void **state)
{
	static uint16_t ref[GW_LB_MAGLEV_SIZE];
	const uint32_t m = GW_LB_MAGLEV_SIZE;
	char keys[7][32];
	unsigned int idx[7];
	uint32_t pos[7], skip[7], size, filled = 0;
	struct gw_lb_ep e[7];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 7, NULL);
	ranked_keys(e, 7, keys, idx);
	for (unsigned int k = 0; k < 7; k++) {
		const char *key = keys[idx[k]];

		pos[k] = (uint32_t)(gw_lb_siphash((const uint8_t *)"meshgw.lb.offset", key,
						  strlen(key)) %
				    m);
		skip[k] = (uint32_t)(gw_lb_siphash((const uint8_t *)"meshgw.lb.skip..", key,
						   strlen(key)) %
				     (m - 1)) +
			  1;
	}
	memset(ref, 0xff, sizeof(ref));
	while (filled < m)
		for (unsigned int k = 0; k < 7 && filled < m; k++) {
			while (ref[pos[k]] != UINT16_MAX)
				pos[k] = (pos[k] + skip[k]) % m;
			ref[pos[k]] = (uint16_t)k;
			filled++;
		}
	lb = build(CTL_LB_MAGLEV, e, 7);
	assert_memory_equal(gw_lb_maglev_table(lb, &size), ref, sizeof(ref));
	for (unsigned int k = 0; k < 7; k++)
		assert_int_equal(gw_lb_rank_index(lb, k), idx[k]);
	gw_lb_free(lb);
}

/* ---- ring hash ---- */

static void
test_ring_shares(void **state)
{
	const uint32_t eq[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	const uint32_t w123[3] = {1, 2, 3};

	(void)state;
	check_shares(CTL_LB_RING_HASH, eq, 3, 0.05);
	check_shares(CTL_LB_RING_HASH, w123, 3, 0.05);
	/* 3277 points each: a spread of about 1.7%, so +-5% is not assured */
	check_shares(CTL_LB_RING_HASH, eq, 10, 0.10);
}

static void
test_ring_disruption(void **state)
{
	double rebuild, inel;
	unsigned int other;

	(void)state;
	disruption(CTL_LB_RING_HASH, 10, 3, &rebuild, &inel, &other);
	/* 1/n of its own, plus what the survivors' extra points take */
	assert_true(rebuild >= 0.09 && rebuild <= 0.20);
	assert_true(inel >= 0.09 && inel <= 0.11);
	assert_int_equal(other, 0);
}

static void
test_ring_order_independent(void **state)
{
	struct gw_lb_ep a[5], b[5];
	const uint32_t w[5] = {3, 1, 4, 1, 5};
	struct gw_lb *la, *lb;
	uint64_t s = 3;

	(void)state;
	mk_eps(a, 5, w);
	for (unsigned int i = 0; i < 5; i++)
		b[i] = a[(i + 2) % 5];
	la = build(CTL_LB_RING_HASH, a, 5);
	lb = build(CTL_LB_RING_HASH, b, 5);
	assert_true(gw_lb_digest(la) != 0);
	assert_true(gw_lb_digest(la) == gw_lb_digest(lb));
	assert_int_equal(gw_lb_ring_points(la), GW_LB_RING_DEFAULT);
	for (unsigned int i = 0; i < N_KEYS; i++) {
		uint64_t h = flow_key(&s);

		assert_true(
			same_ep(&a[pick(la, all_true, NULL, h)], &b[pick(lb, all_true, NULL, h)]));
	}
	gw_lb_free(la);
	gw_lb_free(lb);
}

struct ref_point {
	uint64_t hash;
	unsigned int idx;
};

static int
ref_point_cmp(const void *a, const void *b)
{
	const struct ref_point *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The documented lookup: the first point >= h (wrapping), then clockwise
 * past ineligible endpoints. */
static unsigned int
ref_lookup(const struct ref_point *ref, unsigned int np, const bool *el, uint64_t h)
{
	unsigned int k = 0;

	while (k < np && ref[k].hash < h)
		k++;
	for (k %= np; !el[ref[k].idx]; k = (k + 1) % np)
		;
	return ref[k].idx;
}

/* The ring rebuilt from the header's description (4 equal endpoints, 256
 * points each); lookups checked against it with every endpoint eligible and
 * with each one ineligible in turn: random keys, every point, just past
 * each point, and past the last one (wrapping). */
static void
test_ring_documented(void **state)
{
	static struct ref_point ref[1024];
	char keys[4][32], pk[48];
	unsigned int idx[4], np = 0;
	struct gw_lb_ep e[4];
	struct gw_lb *lb;
	bool el[4];
	uint64_t s = 23;

	(void)state;
	mk_eps(e, 4, NULL);
	ranked_keys(e, 4, keys, idx);
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int j = 0; j < 256; j++) {
			int len = snprintf(pk, sizeof(pk), "%s_%u", keys[i], j);

			ref[np].hash =
				gw_lb_siphash((const uint8_t *)"meshgw.lb.ring..", pk, (size_t)len);
			ref[np++].idx = i;
		}
	qsort(ref, np, sizeof(ref[0]), ref_point_cmp);
	lb = gw_lb_build(CTL_LB_RING_HASH, e, 4, 1024, SOCKET_ID_ANY);
	assert_non_null(lb);
	assert_int_equal(gw_lb_ring_points(lb), 1024);
	for (unsigned int off = 0; off <= 4; off++) {
		for (unsigned int i = 0; i < 4; i++)
			el[i] = i != off;
		for (unsigned int i = 0; i < 20000 + 3 * np; i++) {
			uint64_t h = i < 20000 ? flow_key(&s) : ref[(i - 20000) % np].hash;

			if (i >= 20000 + 2 * np)
				h = ref[np - 1].hash + 1 + (h >> 8);
			else if (i >= 20000 + np)
				h++;
			assert_int_equal(pick(lb, el, NULL, h), ref_lookup(ref, np, el, h));
		}
	}
	gw_lb_free(lb);
}

/* Every endpoint gets a point even when its share rounds to none. */
static void
test_ring_small(void **state)
{
	const uint32_t w[3] = {1, 10000, 10000};
	struct gw_lb_ep e[3];
	struct gw_lb *lb;
	const bool el[3] = {true, false, false};

	(void)state;
	mk_eps(e, 3, w);
	lb = gw_lb_build(CTL_LB_RING_HASH, e, 3, 16, SOCKET_ID_ANY);
	assert_non_null(lb);
	assert_int_equal(gw_lb_ring_points(lb), 17);
	assert_int_equal(gw_lb_pick(lb, st_buf, el, NULL, 12345), 0);
	gw_lb_free(lb);
}

/* ---- every policy ---- */

static void
test_none_eligible(void **state)
{
	const bool none[4] = {false};
	const uint32_t active[4] = {0};
	struct gw_lb_ep e[4];
	struct gw_lb *lb;

	(void)state;
	mk_eps(e, 4, NULL);
	for (unsigned int p = 0; p < RTE_DIM(all_policies); p++) {
		lb = build(all_policies[p], e, 4);
		for (uint64_t h = 0; h < 100; h++)
			assert_int_equal(pick(lb, none, active, h * 0x9e3779b97f4a7c15ull), -1);
		gw_lb_free(lb);
		lb = build(all_policies[p], e, 0);
		assert_true(gw_lb_digest(lb) == 0);
		assert_int_equal(pick(lb, all_true, active, 0), -1);
		gw_lb_free(lb);
	}
}

static void
test_single_endpoint(void **state)
{
	const uint32_t active[1] = {7};
	struct gw_lb_ep e[1];
	struct gw_lb *lb;
	uint64_t s = 5;

	(void)state;
	mk_eps(e, 1, NULL);
	for (unsigned int p = 0; p < RTE_DIM(all_policies); p++) {
		lb = build(all_policies[p], e, 1);
		for (unsigned int i = 0; i < 1000; i++)
			assert_int_equal(pick(lb, all_true, active, rnd(&s)), 0);
		gw_lb_free(lb);
	}
}

/* One eligible endpoint among many: the probes give up and the scans find it. */
static void
test_one_of_many_eligible(void **state)
{
	static struct gw_lb_ep e[MAX_EP];
	static bool el[MAX_EP];
	static uint32_t active[MAX_EP];
	struct gw_lb *lb;
	uint64_t s = 11;

	(void)state;
	mk_eps(e, MAX_EP, NULL);
	el[777] = true;
	for (unsigned int p = 0; p < RTE_DIM(all_policies); p++) {
		lb = build(all_policies[p], e, MAX_EP);
		for (unsigned int i = 0; i < 2000; i++)
			assert_int_equal(pick(lb, el, active, rnd(&s)), 777);
		gw_lb_free(lb);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_flow_hashes),
		cmocka_unit_test(test_build_invalid),
		cmocka_unit_test(test_swrr_nginx_sequence),
		cmocka_unit_test(test_swrr_exact_per_cycle),
		cmocka_unit_test(test_swrr_skips_ineligible),
		cmocka_unit_test(test_random_chi2),
		cmocka_unit_test(test_p2c_chi2),
		cmocka_unit_test(test_random_ineligible),
		cmocka_unit_test(test_random_seeded),
		cmocka_unit_test(test_p2c_prefers_less_loaded),
		cmocka_unit_test(test_maglev_order_independent),
		cmocka_unit_test(test_maglev_disruption),
		cmocka_unit_test(test_maglev_shares),
		cmocka_unit_test(test_maglev_table_counts),
		cmocka_unit_test(test_maglev_probe),
		cmocka_unit_test(test_maglev_documented),
		cmocka_unit_test(test_ring_shares),
		cmocka_unit_test(test_ring_disruption),
		cmocka_unit_test(test_ring_order_independent),
		cmocka_unit_test(test_ring_documented),
		cmocka_unit_test(test_ring_small),
		cmocka_unit_test(test_none_eligible),
		cmocka_unit_test(test_single_endpoint),
		cmocka_unit_test(test_one_of_many_eligible),
	};
	int rc;

	for (unsigned int i = 0; i < MAX_EP; i++)
		all_true[i] = true;
	if (ut_eal_init("lb") < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}

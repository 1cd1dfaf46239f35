/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_impair.c - the impairment layer: pass-through, drop rate and
 * determinism, duplicates, reorder by depth and by time, delay, queue bound,
 * free() with held packets, and the counter invariant. Every test ends with
 * the mempool empty: Debian's DPDK is not built with ASan, so mbuf leaks are
 * only visible as in-use counts.
 */
#include <errno.h>
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
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "gw_impair.h"
/* ut_eal.h casts string literals, which are const under -Wwrite-strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "ut_eal.h"
#pragma GCC diagnostic pop

#define HZ	  1000000u /* one tick per microsecond keeps the arithmetic readable */
#define BURST	  32
#define N_DROP	  100000
#define PAYLOAD	  200
#define POOL_SIZE 4095

static struct rte_mempool *pool;

/* A packet whose first four bytes are its index, then a pattern from it. */
static struct rte_mbuf *
mk(uint32_t idx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, PAYLOAD);
	assert_non_null(p);
	memcpy(p, &idx, sizeof(idx));
	for (unsigned int i = sizeof(idx); i < PAYLOAD; i++)
		p[i] = (uint8_t)(idx * 7 + i);
	return m;
}

static uint32_t
tag(const struct rte_mbuf *m)
{
	uint32_t idx;

	memcpy(&idx, rte_pktmbuf_mtod(m, const void *), sizeof(idx));
	return idx;
}

static void
free_burst(struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

static void
assert_pool_empty(void)
{
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* The invariant documented in gw_impair.c. */
static void
assert_balanced(const struct gw_impair *im)
{
	const struct gw_impair_stats *st = gw_impair_get_stats(im);

	assert_int_equal(st->in + st->duplicated, st->out + st->dropped + st->overflow + st->held);
}

static struct ctl_impair_dir
conf_none(void)
{
	return (struct ctl_impair_dir){
		.reorder_depth = 3, .reorder_time_us = 1000, .queue_max = 4096};
}

static struct gw_impair *
create(const struct ctl_impair_dir *c, uint64_t seed, uint64_t stream)
{
	struct gw_impair *im = gw_impair_create(c, seed, stream, HZ, SOCKET_ID_ANY);

	assert_non_null(im);
	return im;
}

static void
test_create_invalid(void **state)
{
	struct ctl_impair_dir c = conf_none();

	(void)state;
	errno = 0;
	assert_null(gw_impair_create(&c, 1, 0, 0, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(gw_impair_create(NULL, 1, 0, HZ, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
	gw_impair_free(NULL);
	assert_false(gw_impair_active(NULL));
}

static void
test_passthrough(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[BURST], *out[BURST];
	struct gw_impair *im = create(&c, 1, 0);
	unsigned int n;

	(void)state;
	assert_false(gw_impair_active(im));
	for (uint32_t i = 0; i < BURST; i++)
		in[i] = mk(i);
	n = gw_impair_apply(im, in, BURST, 0, out, BURST);
	assert_int_equal(n, BURST);
	for (unsigned int i = 0; i < BURST; i++)
		assert_ptr_equal(out[i], in[i]);
	free_burst(out, n);

	/* A short out array: the rest waits, in order, for the next call. */
	for (uint32_t i = 0; i < BURST; i++)
		in[i] = mk(i);
	n = gw_impair_apply(im, in, BURST, 0, out, 10);
	assert_int_equal(n, 10);
	n += gw_impair_poll(im, 0, out + 10, BURST - 10);
	assert_int_equal(n, BURST);
	for (unsigned int i = 0; i < BURST; i++)
		assert_ptr_equal(out[i], in[i]);
	free_burst(out, n);
	assert_int_equal(gw_impair_get_stats(im)->out, 2 * BURST);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* Runs N_DROP packets through a 10% drop and marks the dropped indexes. */
static unsigned int
run_drops(uint64_t seed, uint64_t stream, uint8_t *dropped)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[BURST], *out[BURST];
	struct gw_impair *im;
	unsigned int n_dropped = 0;

	c.drop = 0.1;
	im = create(&c, seed, stream);
	assert_true(gw_impair_active(im));
	memset(dropped, 1, N_DROP);
	for (uint32_t base = 0; base < N_DROP; base += BURST) {
		unsigned int k = N_DROP - base < BURST ? N_DROP - base : BURST;
		unsigned int n;

		for (unsigned int i = 0; i < k; i++)
			in[i] = mk(base + i);
		n = gw_impair_apply(im, in, k, base, out, BURST);
		for (unsigned int i = 0; i < n; i++) {
			/* Survivors keep their order. */
			assert_true(i == 0 || tag(out[i]) > tag(out[i - 1]));
			dropped[tag(out[i])] = 0;
		}
		free_burst(out, n);
	}
	for (unsigned int i = 0; i < N_DROP; i++)
		n_dropped += dropped[i];
	assert_int_equal(gw_impair_get_stats(im)->dropped, n_dropped);
	assert_int_equal(gw_impair_get_stats(im)->held, 0);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
	return n_dropped;
}

static void
test_drop_rate_and_seed(void **state)
{
	static uint8_t a[N_DROP], b[N_DROP], c[N_DROP], d[N_DROP];
	unsigned int n;

	(void)state;
	n = run_drops(42, 7, a);
	assert_in_range(n, N_DROP / 10 - N_DROP / 100, N_DROP / 10 + N_DROP / 100);
	assert_int_equal(run_drops(42, 7, b), n);
	assert_memory_equal(a, b, N_DROP);
	run_drops(43, 7, c);
	assert_memory_not_equal(a, c, N_DROP);
	run_drops(42, 8, d); /* another worker, port or direction */
	assert_memory_not_equal(a, d, N_DROP);
}

static void
test_duplicate(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[8], *out[16];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.dup = 1.0;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 8; i++)
		in[i] = mk(i);
	n = gw_impair_apply(im, in, 8, 0, out, 16);
	assert_int_equal(n, 16);
	for (unsigned int i = 0; i < 8; i++) {
		struct rte_mbuf *orig = out[2 * i], *copy = out[2 * i + 1];

		/* The copy comes right after its original. */
		assert_ptr_equal(orig, in[i]);
		assert_ptr_not_equal(copy, orig);
		assert_int_equal(rte_pktmbuf_pkt_len(copy), rte_pktmbuf_pkt_len(orig));
		assert_memory_equal(rte_pktmbuf_mtod(copy, void *), rte_pktmbuf_mtod(orig, void *),
				    PAYLOAD);
		/* Deep: changing the original does not touch the copy. */
		rte_pktmbuf_mtod(orig, uint8_t *)[0] ^= 0xff;
		assert_int_equal(tag(copy), i);
	}
	free_burst(out, n);
	assert_int_equal(gw_impair_get_stats(im)->duplicated, 8);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

static void
test_duplicate_nomem(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mempool *small = ut_pool("ut_impair_small", 4);
	struct rte_mbuf *in[4], *out[8];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	assert_non_null(small);
	c.dup = 1.0;
	im = create(&c, 1, 0);
	for (unsigned int i = 0; i < 4; i++) {
		in[i] = rte_pktmbuf_alloc(small);
		assert_non_null(in[i]);
	}
	n = gw_impair_apply(im, in, 4, 0, out, 8);
	assert_int_equal(n, 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_ptr_equal(out[i], in[i]);
	assert_int_equal(gw_impair_get_stats(im)->nomem, 4);
	assert_int_equal(gw_impair_get_stats(im)->duplicated, 0);
	free_burst(out, n);
	assert_balanced(im);
	gw_impair_free(im);
	assert_int_equal(rte_mempool_in_use_count(small), 0);
	rte_mempool_free(small);
}

/* Originals are all held (reorder 1.0) and copies never are, so each
 * original comes out once two later packets, its own copy and the next one,
 * have gone: with depth 2, c0 c1 o0 c2 o1 c3 o2 ... */
static void
test_reorder_depth_exact(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[8], *out[16];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.dup = 1.0;
	c.reorder = 1.0;
	c.reorder_depth = 2;
	c.reorder_time_us = 1000;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 8; i++)
		in[i] = mk(i);
	n = gw_impair_apply(im, in, 8, 0, out, 16);
	/* c0 c1 o0 c2 o1 ... c7 o6; o7 waits for more traffic or for time. */
	assert_int_equal(n, 15);
	assert_int_equal(tag(out[0]), 0);
	assert_ptr_not_equal(out[0], in[0]);
	for (unsigned int k = 1; k < 8; k++) {
		assert_int_equal(tag(out[2 * k - 1]), k);
		assert_ptr_not_equal(out[2 * k - 1], in[k]);
		assert_ptr_equal(out[2 * k], in[k - 1]);
	}
	free_burst(out, n);
	assert_int_equal(gw_impair_get_stats(im)->held, 1);
	assert_int_equal(gw_impair_poll(im, 999, out, 16), 0);
	n = gw_impair_poll(im, 1000, out, 16);
	assert_int_equal(n, 1);
	assert_ptr_equal(out[0], in[7]);
	free_burst(out, n);
	assert_int_equal(gw_impair_get_stats(im)->reordered, 8);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* The order a depth-only reorder must produce, given which packets were held. */
static unsigned int
model_depth(const uint8_t *held, unsigned int n, unsigned int depth, uint32_t *seq)
{
	uint32_t hq[1024], target[1024];
	unsigned int qh = 0, qt = 0, k = 0, released = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (held[i]) {
			hq[qt] = i;
			target[qt++] = released + depth;
			continue;
		}
		seq[k++] = i;
		released++;
		while (qh < qt && target[qh] <= released)
			seq[k++] = hq[qh++];
	}
	while (qh < qt) /* what time releases at the end */
		seq[k++] = hq[qh++];
	return k;
}

static void
test_reorder_depth_random(void **state)
{
	enum { N = 1000, DEPTH = 3 };
	static uint32_t got[N], want[N];
	static uint8_t held[N], seen[N];
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[BURST], *out[BURST];
	unsigned int k = 0, n_held = 0;
	uint32_t max_seen = 0;
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.reorder = 0.25;
	c.reorder_depth = DEPTH;
	c.reorder_time_us = 1000000;
	im = create(&c, 99, 3);
	for (uint32_t base = 0; base < N; base += 8) {
		for (unsigned int i = 0; i < 8; i++)
			in[i] = mk(base + i);
		n = gw_impair_apply(im, in, 8, 0, out, BURST);
		for (unsigned int i = 0; i < n; i++)
			got[k++] = tag(out[i]);
		free_burst(out, n);
		assert_balanced(im);
	}
	/* The tail waits for its deadline. */
	assert_int_equal(gw_impair_poll(im, 999999, out, BURST), 0);
	while ((n = gw_impair_poll(im, 1000000, out, BURST)) != 0) {
		for (unsigned int i = 0; i < n; i++)
			got[k++] = tag(out[i]);
		free_burst(out, n);
	}
	assert_int_equal(k, N);
	/* Held packets are exactly those that something later overtook. */
	for (unsigned int i = 0; i < N; i++) {
		assert_false(seen[got[i]]);
		seen[got[i]] = 1;
		held[got[i]] = got[i] < max_seen;
		max_seen = got[i] > max_seen ? got[i] : max_seen;
	}
	for (unsigned int i = 0; i < N; i++)
		n_held += held[i];
	assert_int_equal(n_held, gw_impair_get_stats(im)->reordered);
	assert_in_range(n_held, N / 4 - N / 20, N / 4 + N / 20);
	assert_int_equal(model_depth(held, N, DEPTH, want), N);
	assert_memory_equal(got, want, sizeof(got));
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

static void
test_reorder_time(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[5], *out[10];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.reorder = 1.0;
	c.reorder_depth = 3;
	c.reorder_time_us = 500;
	im = create(&c, 5, 0);
	for (uint32_t i = 0; i < 5; i++)
		in[i] = mk(i);
	/* Every packet is held, so none can release another: only time does. */
	assert_int_equal(gw_impair_apply(im, in, 5, 1000, out, 10), 0);
	assert_int_equal(gw_impair_get_stats(im)->held, 5);
	assert_int_equal(gw_impair_poll(im, 1499, out, 10), 0);
	n = gw_impair_poll(im, 1500, out, 10);
	assert_int_equal(n, 5);
	for (unsigned int i = 0; i < 5; i++)
		assert_ptr_equal(out[i], in[i]);
	free_burst(out, n);

	/* Depth set to 0 means no depth bound: time alone. */
	gw_impair_free(im);
	c.reorder_depth = 0;
	im = create(&c, 5, 0);
	in[0] = mk(0);
	assert_int_equal(gw_impair_apply(im, in, 1, 0, out, 10), 0);
	assert_int_equal(gw_impair_poll(im, 499, out, 10), 0);
	assert_int_equal(gw_impair_poll(im, 500, out, 10), 1);
	assert_ptr_equal(out[0], in[0]);
	free_burst(out, 1);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

static void
test_delay(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[20], *out[20];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.delay_us = 100;
	im = create(&c, 1, 0);
	assert_true(gw_impair_active(im));
	for (uint32_t i = 0; i < 20; i++)
		in[i] = mk(i);
	assert_int_equal(gw_impair_apply(im, in, 10, 0, out, 20), 0);
	assert_int_equal(gw_impair_poll(im, 99, out, 20), 0);
	assert_int_equal(gw_impair_apply(im, in + 10, 10, 50, out, 20), 0);
	n = gw_impair_poll(im, 100, out, 20);
	assert_int_equal(n, 10);
	for (unsigned int i = 0; i < 10; i++)
		assert_ptr_equal(out[i], in[i]);
	free_burst(out, n);
	assert_int_equal(gw_impair_poll(im, 149, out, 20), 0);
	/* Late poll with a short array: order holds across calls. */
	n = gw_impair_poll(im, 1000, out, 4);
	assert_int_equal(n, 4);
	n += gw_impair_poll(im, 1000, out + 4, 20);
	assert_int_equal(n, 10);
	for (unsigned int i = 0; i < 10; i++)
		assert_ptr_equal(out[i], in[10 + i]);
	free_burst(out, n);
	assert_int_equal(gw_impair_get_stats(im)->delayed, 20);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* Reorder after the delay: each original leaves the delay queue into the
 * hold, and the copies behind it release it. */
static void
test_delay_and_reorder(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[4], *out[8];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.delay_us = 100;
	c.dup = 1.0;
	c.reorder = 1.0;
	c.reorder_depth = 2;
	c.reorder_time_us = 50;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 4; i++)
		in[i] = mk(i);
	assert_int_equal(gw_impair_apply(im, in, 4, 0, out, 8), 0);
	assert_int_equal(gw_impair_poll(im, 99, out, 8), 0);
	/* c0 c1 o0 c2 o1 c3 o2, then o3 at its deadline 100 + 50. */
	n = gw_impair_poll(im, 100, out, 8);
	assert_int_equal(n, 7);
	for (unsigned int k = 0; k < 4; k++)
		assert_int_equal(tag(out[k == 0 ? 0 : 2 * k - 1]), k);
	for (unsigned int k = 1; k < 4; k++)
		assert_ptr_equal(out[2 * k], in[k - 1]);
	free_burst(out, n);
	assert_int_equal(gw_impair_poll(im, 149, out, 8), 0);
	assert_int_equal(gw_impair_poll(im, 150, out, 8), 1);
	assert_ptr_equal(out[0], in[3]);
	free_burst(out, 1);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* With a delay the queue fills; what does not fit is freed and counted. */
static void
test_queue_max(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[20], *out[20];
	struct gw_impair *im;
	unsigned int n;

	(void)state;
	c.delay_us = 100;
	c.queue_max = 8;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 20; i++)
		in[i] = mk(i);
	assert_int_equal(gw_impair_apply(im, in, 20, 0, out, 20), 0);
	assert_int_equal(gw_impair_get_stats(im)->overflow, 12);
	assert_int_equal(gw_impair_get_stats(im)->held, 8);
	assert_balanced(im);
	n = gw_impair_poll(im, 100, out, 20);
	assert_int_equal(n, 8);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(tag(out[i]), i);
	free_burst(out, n);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();

	/* queue_max 0: nothing can be held, but undelayed traffic still flows. */
	c = conf_none();
	c.drop = 1e-12;
	c.queue_max = 0;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 20; i++)
		in[i] = mk(i);
	assert_int_equal(gw_impair_apply(im, in, 20, 0, out, 20), 20);
	free_burst(out, 20);
	assert_int_equal(gw_impair_get_stats(im)->overflow, 0);
	gw_impair_free(im);
	assert_pool_empty();
}

static void
test_free_with_held(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[50], *out[50];
	struct gw_impair *im;

	(void)state;
	c.delay_us = 100;
	c.reorder = 0.5;
	c.dup = 0.5;
	im = create(&c, 1, 0);
	for (uint32_t i = 0; i < 50; i++)
		in[i] = mk(i);
	assert_int_equal(gw_impair_apply(im, in, 50, 0, out, 50), 0);
	/* Some move to the reorder hold, the rest stay in the delay queue. */
	free_burst(out, gw_impair_poll(im, 100, out, 10));
	assert_true(gw_impair_get_stats(im)->held > 0);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* Everything at once, with a clock that moves and short out arrays. */
static void
test_stats_invariant(void **state)
{
	struct ctl_impair_dir c = conf_none();
	struct rte_mbuf *in[BURST], *out[BURST];
	const struct gw_impair_stats *st;
	struct gw_impair *im;
	uint32_t idx = 0;
	unsigned int n;
	uint64_t now = 0;

	(void)state;
	c.drop = 0.1;
	c.dup = 0.1;
	c.reorder = 0.1;
	c.reorder_depth = 3;
	c.reorder_time_us = 50;
	c.delay_us = 10;
	c.queue_max = 64;
	im = create(&c, 7, 1);
	st = gw_impair_get_stats(im);
	for (unsigned int round = 0; round < 2000; round++) {
		unsigned int k = 1 + round % BURST;

		for (unsigned int i = 0; i < k; i++)
			in[i] = mk(idx++);
		now += round % 7;
		n = gw_impair_apply(im, in, k, now, out, 1 + round % 13);
		free_burst(out, n);
		assert_balanced(im);
		n = gw_impair_poll(im, now, out, 1 + round % 5);
		free_burst(out, n);
		assert_balanced(im);
	}
	while ((n = gw_impair_poll(im, UINT64_MAX, out, BURST)) != 0)
		free_burst(out, n);
	assert_int_equal(st->held, 0);
	assert_int_equal(st->in, idx);
	assert_true(st->dropped > 0 && st->duplicated > 0 && st->reordered > 0);
	assert_true(st->overflow > 0 && st->delayed > 0);
	assert_balanced(im);
	gw_impair_free(im);
	assert_pool_empty();
}

/* A fresh pool per test, so a leak fails only the test that made it. */
static int
pool_setup(void **state)
{
	static unsigned int n;
	char name[RTE_MEMPOOL_NAMESIZE];

	(void)state;
	snprintf(name, sizeof(name), "ut_impair_%u", n++);
	pool = ut_pool(name, POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
pool_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	pool = NULL;
	return 0;
}

#define UT(f) cmocka_unit_test_setup_teardown(f, pool_setup, pool_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT(test_create_invalid),
		UT(test_passthrough),
		UT(test_drop_rate_and_seed),
		UT(test_duplicate),
		UT(test_duplicate_nomem),
		UT(test_reorder_depth_exact),
		UT(test_reorder_depth_random),
		UT(test_reorder_time),
		UT(test_delay),
		UT(test_delay_and_reorder),
		UT(test_queue_max),
		UT(test_free_with_held),
		UT(test_stats_invariant),
	};
	int rc;

	if (ut_eal_init("impair") < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}

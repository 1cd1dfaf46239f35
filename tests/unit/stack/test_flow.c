/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow.c - the flow hash against a plain Toeplitz written here (itself
 * checked on Microsoft's RSS verification vectors), its symmetry, the owner
 * reduction, and stk_pkt_owner on every kind of frame.
 */
#include <rte_thash.h>

#include "stk_internal.h"
#include "ut_stack.h"

/* Toeplitz over in[0..n) with key: for each set input bit (MSB first), XOR
 * the 32 key bits starting at that bit's position. */
static uint32_t
toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t n)
{
	uint32_t result = 0;

	for (size_t bit = 0; bit < n * 8; bit++) {
		uint32_t window = 0;

		if (!(in[bit / 8] & (0x80 >> (bit % 8))))
			continue;
		for (size_t k = bit; k < bit + 32; k++) {
			uint32_t kb = k / 8 < key_len ? (key[k / 8] >> (7 - k % 8)) & 1 : 0;

			window = window << 1 | kb;
		}
		result ^= window;
	}
	return result;
}

static uint32_t
ref_hash(const uint8_t *key, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, bool ports)
{
	uint8_t in[12];

	ut_put32(in, s);
	ut_put32(in + 4, d);
	ut_put16(in + 8, sp);
	ut_put16(in + 10, dp);
	return toeplitz(key, 40, in, ports ? 12 : 8);
}

static uint32_t
ref(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp)
{
	return ref_hash(stk_rss_key, s, d, sp, dp, true);
}

static void
test_reference_on_ms_vectors(void **state)
{
	static const uint8_t ms_key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	static const struct {
		uint32_t src, dst;
		uint16_t sport, dport;
		uint32_t ip, tcp;
	} v[] = {
		{UT_IP(66, 9, 149, 187), UT_IP(161, 142, 100, 80), 2794, 1766, 0x323e8fc2,
		 0x51ccc178},
		{UT_IP(199, 92, 111, 2), UT_IP(65, 69, 140, 83), 14230, 4739, 0xd718262a,
		 0xc626b0ea},
		{UT_IP(24, 19, 198, 95), UT_IP(12, 22, 207, 184), 12898, 38024, 0xd2d0a5de,
		 0x5c2b394a},
		{UT_IP(38, 27, 205, 30), UT_IP(209, 142, 163, 6), 48228, 2217, 0x82989176,
		 0xafc7327f},
		{UT_IP(153, 39, 163, 191), UT_IP(202, 188, 127, 2), 44251, 1303, 0x5d1809c5,
		 0x10e828a2},
	};

	(void)state;
	for (size_t i = 0; i < RTE_DIM(v); i++) {
		assert_int_equal(ref_hash(ms_key, v[i].src, v[i].dst, 0, 0, false), v[i].ip);
		assert_int_equal(ref_hash(ms_key, v[i].src, v[i].dst, v[i].sport, v[i].dport, true),
				 v[i].tcp);
	}
}

static void
test_key(void **state)
{
	uint32_t conv[10];

	(void)state;
	for (int i = 0; i < 40; i++)
		assert_int_equal(stk_rss_key[i], i % 2 ? 0x5a : 0x6d);
	/* the statically converted key is what rte_convert_rss_key makes */
	rte_convert_rss_key((const uint32_t *)stk_rss_key, conv, 40);
	assert_memory_equal(conv, stk_rss_key_be, sizeof(conv));
}

static uint32_t rng = 0x12345678;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
test_hash_matches_reference_and_is_symmetric(void **state)
{
	(void)state;
	assert_int_equal(stk_flow_hash(0, 0, 0, 0), 0);
	assert_int_equal(stk_flow_hash(UT_PEER, UT_US, 40000, 443),
			 ref(UT_PEER, UT_US, 40000, 443));
	for (int i = 0; i < 10000; i++) {
		uint32_t s = next_rand(), d = next_rand(), p = next_rand();
		uint16_t sp = (uint16_t)p, dp = (uint16_t)(p >> 16);
		uint32_t h = stk_flow_hash(s, d, sp, dp);

		assert_int_equal(h, ref(s, d, sp, dp));
		assert_int_equal(h, stk_flow_hash(d, s, dp, sp));
	}
}

static void
test_owner_range(void **state)
{
	unsigned int seen[STK_MAX_WORKERS];

	(void)state;
	for (unsigned int n = 1; n <= STK_MAX_WORKERS; n++) {
		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < 4000; i++) {
			uint32_t h = stk_flow_hash(next_rand(), next_rand(), (uint16_t)next_rand(),
						   (uint16_t)next_rand());
			unsigned int o = stk_flow_owner(h, n);

			assert_true(o < n);
			seen[o]++;
		}
		/* the indirection table spreads flows over every worker */
		for (unsigned int w = 0; w < n; w++)
			assert_true(seen[w] > 0);
	}
	assert_int_equal(stk_flow_owner(127, 4), 3);
	assert_int_equal(stk_flow_owner(128, 4), 0);
	assert_int_equal(stk_flow_owner(0xffffffff, 3), 127 % 3);
}

/* ------------------------------------------------------------------ */
/* stk_pkt_owner                                                        */

#define W_ID 2
#define N_W  4

static void
workers(unsigned int n, unsigned int id)
{
	ut.conf.n_workers = n;
	ut.conf.worker_id = id;
	ut_start();
}

static int
owner_of(const struct ut_pkt *f)
{
	struct rte_mbuf *m = ut_mbuf(f->b, f->len);
	unsigned int in_use = rte_mempool_in_use_count(ut.pool);
	int o = stk_pkt_owner(ut.ctx, m);

	/* reads only: nothing freed, nothing written */
	assert_int_equal(rte_mempool_in_use_count(ut.pool), in_use);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), f->b, f->len);
	rte_pktmbuf_free(m);
	return o;
}

static int
want(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp)
{
	return (int)((ref(s, d, sp, dp) % 128) % N_W);
}

static void
tcp(struct ut_pkt *f, uint8_t proto, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp)
{
	uint8_t l4[20] = {0};

	ut_put16(l4, sp);
	ut_put16(l4 + 2, dp);
	ut_ip(f, s, d, proto, l4, sizeof(l4));
}

static void
test_owner_transport(void **state)
{
	struct ut_pkt f;
	int hits[N_W] = {0};

	(void)state;
	workers(N_W, W_ID);
	for (uint16_t port = 1000; port < 1200; port++) {
		int o;

		tcp(&f, 6, UT_PEER, UT_US, port, 443);
		o = owner_of(&f);
		assert_int_equal(o, want(UT_PEER, UT_US, port, 443));
		hits[o]++;
		/* the other direction of the same connection has the same owner */
		tcp(&f, 6, UT_US, UT_PEER, 443, port);
		assert_int_equal(owner_of(&f), o);
		tcp(&f, 17, UT_PEER, UT_US, port, 53);
		assert_int_equal(owner_of(&f), want(UT_PEER, UT_US, port, 53));
	}
	for (int w = 0; w < N_W; w++)
		assert_true(hits[w] > 0);
}

static void
test_owner_icmp_and_others(void **state)
{
	uint8_t data[8] = {0}, l4[64];
	struct ut_pkt f;

	(void)state;
	workers(N_W, W_ID);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	assert_int_equal(owner_of(&f), STK_OWNER_ALL);
	f.len = 20; /* even a short ARP: every worker sees it, the original's counts */
	assert_int_equal(owner_of(&f), STK_OWNER_ALL);

	/* echo: by addresses only, whatever the identifier */
	for (uint32_t peer = 2; peer < 60; peer++) {
		ut_echo(&f, UT_IP(10, 0, 0, peer), UT_US, (uint16_t)(peer * 77), 1, data, 8);
		assert_int_equal(owner_of(&f), want(UT_IP(10, 0, 0, peer), UT_US, 0, 0));
	}
	/* echo replies and other ICMP types too */
	ut_ip(&f, UT_PEER, UT_US, 1, l4, ut_icmp(l4, 0, 0, 0x10001, data, 8));
	assert_int_equal(owner_of(&f), want(UT_PEER, UT_US, 0, 0));
	/* and protocols without ports */
	ut_ip(&f, UT_PEER, UT_US, 47, data, 8);
	assert_int_equal(owner_of(&f), want(UT_PEER, UT_US, 0, 0));
}

/* An ICMP error from a router quoting our TCP segment us:sp -> far:dp. */
static void
icmp_err(struct ut_pkt *f, uint8_t type, uint8_t proto, uint16_t sp, uint16_t dp, size_t quoted)
{
	uint8_t inner[64], l4[128];

	ut_put_ip(inner, 5, 60, 0x4000, 1, proto, UT_US, UT_IP(8, 8, 8, 8));
	ut_put16(inner + 20, sp);
	ut_put16(inner + 22, dp);
	ut_put32(inner + 24, 1);
	ut_ip(f, UT_GW, UT_US, 1, l4, ut_icmp(l4, type, 0, 0, inner, quoted));
}

static void
test_owner_icmp_error_follows_flow(void **state)
{
	static const uint8_t types[] = {3, 4, 11, 12};
	struct ut_pkt f, seg;

	(void)state;
	workers(N_W, W_ID);
	for (size_t t = 0; t < RTE_DIM(types); t++) {
		for (uint16_t sp = 40000; sp < 40064; sp++) {
			/* the connection's own segments, from the far end */
			tcp(&seg, 6, UT_IP(8, 8, 8, 8), UT_US, 443, sp);
			icmp_err(&f, types[t], 6, sp, 443, 28);
			assert_int_equal(owner_of(&f), owner_of(&seg));
			assert_int_equal(owner_of(&f), want(UT_US, UT_IP(8, 8, 8, 8), sp, 443));
		}
	}
	/* quoting a datagram without ports: by its addresses */
	icmp_err(&f, 3, 47, 1, 2, 28);
	assert_int_equal(owner_of(&f), want(UT_US, UT_IP(8, 8, 8, 8), 0, 0));
	/* too little quoted to see the ports: the receiving worker */
	icmp_err(&f, 3, 6, 40000, 443, 23);
	assert_int_equal(owner_of(&f), W_ID);
	icmp_err(&f, 3, 6, 40000, 443, 12);
	assert_int_equal(owner_of(&f), W_ID);
	/* an ICMP header cut short */
	icmp_err(&f, 3, 6, 40000, 443, 28);
	f.len = 14 + 20 + 0;
	ut_put16(f.b + 16, 20);
	assert_int_equal(owner_of(&f), W_ID);
}

static void
test_owner_malformed(void **state)
{
	struct ut_pkt f;

	(void)state;
	workers(N_W, W_ID);
	tcp(&f, 6, UT_PEER, UT_US, 1, 2);
	f.len = 13;
	assert_int_equal(owner_of(&f), W_ID); /* no Ethernet header */
	f.len = 14 + 19;
	assert_int_equal(owner_of(&f), W_ID); /* no IP header */
	f.len = 14 + 20 + 3;
	assert_int_equal(owner_of(&f), W_ID); /* no ports */
	tcp(&f, 6, UT_PEER, UT_US, 1, 2);
	f.b[14] = 0x65;
	assert_int_equal(owner_of(&f), W_ID); /* not IPv4 */
	f.b[14] = 0x44;
	assert_int_equal(owner_of(&f), W_ID); /* IHL < 5 */
	f.b[14] = 0x4f;
	f.len = 14 + 40;
	assert_int_equal(owner_of(&f), W_ID); /* header past the frame */
	tcp(&f, 6, UT_PEER, UT_US, 1, 2);
	ut_put16(f.b + 20, 0x2000);
	assert_int_equal(owner_of(&f), W_ID); /* first fragment */
	ut_put16(f.b + 20, 0x0003);
	assert_int_equal(owner_of(&f), W_ID); /* later fragment */
	ut_put16(f.b + 20, 0x4000);
	assert_int_equal(owner_of(&f), want(UT_PEER, UT_US, 1, 2)); /* DF is fine */
	tcp(&f, 6, UT_PEER, UT_US, 1, 2);
	ut_put16(f.b + 12, 0x86dd);
	assert_int_equal(owner_of(&f), W_ID);
	ut_put16(f.b + 12, 0x8100);
	assert_int_equal(owner_of(&f), W_ID);
}

static void
test_owner_segmented(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m, *tail;

	(void)state;
	workers(N_W, W_ID);
	tcp(&f, 6, UT_PEER, UT_US, 5555, 80);
	for (size_t split = 1; split < f.len; split++) {
		m = ut_mbuf(f.b, split);
		tail = ut_mbuf(f.b + split, f.len - split);
		assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
		assert_int_equal(stk_pkt_owner(ut.ctx, m), want(UT_PEER, UT_US, 5555, 80));
		rte_pktmbuf_free(m);
	}
}

static void
test_owner_single_worker(void **state)
{
	struct ut_pkt f;

	(void)state;
	/* one worker owns everything, ARP included: no hashing at all */
	tcp(&f, 6, UT_PEER, UT_US, 1, 2);
	assert_int_equal(owner_of(&f), 0);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	assert_int_equal(owner_of(&f), 0);
	f.len = 3;
	assert_int_equal(owner_of(&f), 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UT_TEST(test_reference_on_ms_vectors),
		UT_TEST(test_key),
		UT_TEST(test_hash_matches_reference_and_is_symmetric),
		UT_TEST(test_owner_range),
		UT_TEST(test_owner_transport),
		UT_TEST(test_owner_icmp_and_others),
		UT_TEST(test_owner_icmp_error_follows_flow),
		UT_TEST(test_owner_malformed),
		UT_TEST(test_owner_segmented),
		UT_TEST(test_owner_single_worker),
	};

	return ut_main("test_flow", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_icmp.c - echo replies (byte-exact, checksums checked by hand, shared
 * and segmented requests), ICMP validation, and errors handed to the
 * transport's handler.
 */
#include "ut_stack.h"

#define ROUTER UT_IP(10, 0, 0, 254)
#define FAR    UT_IP(8, 8, 8, 8)

static struct stk_icmp_err got;
static unsigned int handler_calls;
static bool handler_claims;

static bool
handler(void *arg, const struct stk_icmp_err *e)
{
	assert_ptr_equal(arg, &got);
	handler_calls++;
	got = *e;
	return handler_claims;
}

static void
set_handler(bool claims)
{
	handler_calls = 0;
	handler_claims = claims;
	memset(&got, 0, sizeof(got));
	stk_set_icmp_err_handler(ut.ctx, handler, &got);
}

/* Frame i of the capture, linearised. */
static size_t
tx_bytes(unsigned int i, uint8_t *buf, size_t max)
{
	uint32_t len;
	const void *p;

	assert_true(i < ut.n_tx);
	len = rte_pktmbuf_pkt_len(ut.tx[i]);
	assert_true(len <= max);
	p = rte_pktmbuf_read(ut.tx[i], 0, len, buf);
	assert_non_null(p);
	if (p != buf)
		memcpy(buf, p, len);
	return len;
}

/* The reply we expect to an echo request from the peer, built by hand. */
static size_t
expected_reply(uint8_t *b, uint16_t id, uint16_t seq, const uint8_t *data, size_t n)
{
	size_t off = ut_put_eth(b, ut_mac_peer, ut_mac_us, 0x0800);

	b[off] = 0x45;
	b[off + 1] = 0;
	ut_put16(b + off + 2, (uint16_t)(20 + 8 + n));
	ut_put16(b + off + 4, 0);      /* atomic datagram: ID 0 */
	ut_put16(b + off + 6, 0x4000); /* DF */
	b[off + 8] = 64;
	b[off + 9] = 1;
	ut_put16(b + off + 10, 0);
	ut_put32(b + off + 12, UT_US);
	ut_put32(b + off + 16, UT_PEER);
	ut_put16(b + off + 10, ut_cksum(b + off, 20));
	off += 20;
	off += ut_icmp(b + off, 0, 0, (uint32_t)id << 16 | seq, data, n);
	return off;
}

static void
assert_reply(unsigned int i, uint16_t id, uint16_t seq, const uint8_t *data, size_t n)
{
	uint8_t want[1600], have[1600];
	size_t wl = expected_reply(want, id, seq, data, n);
	size_t hl = tx_bytes(i, have, sizeof(have));

	assert_int_equal(hl, wl);
	assert_memory_equal(have, want, wl);
	/* and the checksums hold, checked over what was sent */
	assert_int_equal(ut_cksum(have + 14, 20), 0);
	assert_int_equal(ut_cksum(have + 34, hl - 34), 0);
}

static void
fill(uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 7 + 3);
}

static void
test_echo_byte_exact(void **state)
{
	uint8_t data[56];
	struct ut_pkt f;

	(void)state;
	fill(data, sizeof(data));
	ut_learn(ut_mac_peer, UT_PEER);
	ut_echo(&f, UT_PEER, UT_US, 0x1234, 7, data, sizeof(data));
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	assert_reply(0, 0x1234, 7, data, sizeof(data));
	assert_int_equal(ut_stats()->icmp_echo_in, 1);
	assert_int_equal(ut_stats()->icmp_echo_out, 1);
	assert_int_equal(ut_stats()->ip_in, 1);
	assert_int_equal(ut_stats()->ip_out, 1);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
	assert_int_equal(ut.tx[0]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM, 0);
}

static void
test_echo_odd_and_empty(void **state)
{
	uint8_t data[5] = {1, 2, 3, 4, 5};
	struct ut_pkt f;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	ut_echo(&f, UT_PEER, UT_US, 0xffff, 0xfffe, data, sizeof(data));
	ut_rx(&f);
	assert_reply(0, 0xffff, 0xfffe, data, sizeof(data));
	ut_echo(&f, UT_PEER, UT_US, 0, 0, data, 0);
	ut_rx(&f);
	assert_reply(1, 0, 0, data, 0);
}

static void
test_echo_with_options(void **state)
{
	uint8_t data[16];
	struct ut_pkt f;
	size_t off, icmp_len;

	(void)state;
	fill(data, sizeof(data));
	ut_learn(ut_mac_peer, UT_PEER);
	/* 24-byte header (one word of NOPs): the reply goes without options */
	off = ut_put_eth(f.b, ut_mac_us, ut_mac_peer, 0x0800);
	icmp_len = ut_icmp(f.b + off + 24, 8, 0, 0x00010002, data, sizeof(data));
	ut_put_ip(f.b + off, 6, (uint16_t)(24 + icmp_len), 0, 64, 1, UT_PEER, UT_US);
	f.len = off + 24 + icmp_len;
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	assert_reply(0, 1, 2, data, sizeof(data));
}

static void
test_echo_tos_kept(void **state)
{
	uint8_t data[4] = {0};
	uint8_t have[128];
	struct ut_pkt f;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	ut_echo(&f, UT_PEER, UT_US, 1, 1, data, sizeof(data));
	f.b[15] = 0xb8; /* EF */
	ut_put16(f.b + 24, 0);
	ut_put16(f.b + 24, ut_cksum(f.b + 14, 20));
	ut_rx(&f);
	tx_bytes(0, have, sizeof(have));
	assert_int_equal(have[15], 0xb8);
	assert_int_equal(ut_cksum(have + 14, 20), 0);
}

static void
test_echo_shared(void **state)
{
	uint8_t data[32];
	struct rte_mbuf *m, *clone;
	struct ut_pkt f;

	(void)state;
	fill(data, sizeof(data));
	ut_learn(ut_mac_peer, UT_PEER);
	ut_echo(&f, UT_PEER, UT_US, 9, 9, data, sizeof(data));
	m = ut_mbuf(f.b, f.len);
	clone = rte_pktmbuf_clone(m, ut.pool);
	assert_non_null(clone);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_reply(0, 9, 9, data, sizeof(data));
	/* the shared request was answered from a copy, not rewritten */
	assert_memory_equal(rte_pktmbuf_mtod(clone, const uint8_t *), f.b, f.len);
	rte_pktmbuf_free(clone);
}

static struct rte_mbuf *
two_segments(const struct ut_pkt *f, size_t split)
{
	struct rte_mbuf *m = ut_mbuf(f->b, split);
	struct rte_mbuf *tail = ut_mbuf(f->b + split, f->len - split);

	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	return m;
}

static void
test_echo_segmented(void **state)
{
	uint8_t data[101];
	struct rte_mbuf *m;
	struct ut_pkt f;

	(void)state;
	fill(data, sizeof(data));
	ut_learn(ut_mac_peer, UT_PEER);
	ut_echo(&f, UT_PEER, UT_US, 3, 4, data, sizeof(data));
	/* ICMP header split over the segments: answered from a copy */
	m = two_segments(&f, 14 + 20 + 5);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	/* headers whole, odd payload split: answered in place, still a chain */
	m = two_segments(&f, 14 + 20 + 8 + 33);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	/* the IP header itself split */
	m = two_segments(&f, 14 + 7);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_reply(i, 3, 4, data, sizeof(data));
	assert_int_equal(ut.tx[1]->nb_segs, 2);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
}

static void
test_echo_unresolved_then_sent(void **state)
{
	uint8_t data[8] = {0};
	struct ut_pkt f;

	(void)state;
	ut_echo(&f, UT_PEER, UT_US, 1, 2, data, sizeof(data));
	ut_rx(&f);
	/* the reply waits for ARP, which asks first */
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(ut_get16(ut_txd(0) + 12), 0x0806);
	assert_int_equal(ut_stats()->icmp_echo_out, 1);
	ut_tx_clear();
	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, UT_PEER, ut_mac_us, UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	assert_reply(0, 1, 2, data, sizeof(data));
}

static void
test_echo_no_route(void **state)
{
	uint8_t data[8] = {0};
	struct ut_pkt f;

	(void)state;
	stk_set_routes(ut.ctx, NULL);
	ut_echo(&f, UT_PEER, UT_US, 1, 2, data, sizeof(data));
	ut_rx(&f);
	assert_int_equal(ut_stats()->icmp_echo_in, 1);
	assert_int_equal(ut_stats()->icmp_echo_out, 0);
	assert_int_equal(ut_stats()->drops[STK_DROP_NO_ROUTE], 1);
	assert_int_equal(ut.n_tx, 0);
}

static void
expect_drop(const struct ut_pkt *f, enum stk_drop why, uint64_t errors_in)
{
	struct stk_stats before = *ut_stats();

	ut_rx(f);
	before.ip_in++;
	before.icmp_errors_in += errors_in;
	ut_assert_only_drop(&before, why);
	assert_int_equal(ut.n_tx, 0);
}

static void
test_short(void **state)
{
	uint8_t l4[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};
	struct ut_pkt f;

	(void)state;
	for (size_t n = 0; n < 8; n++) {
		ut_ip(&f, UT_PEER, UT_US, 1, l4, n);
		expect_drop(&f, STK_DROP_ICMP_SHORT, 0);
	}
}

static void
test_bad_checksum(void **state)
{
	uint8_t data[8] = {0};
	struct ut_pkt f;
	struct rte_mbuf *m;

	(void)state;
	ut_echo(&f, UT_PEER, UT_US, 1, 2, data, sizeof(data));
	f.b[f.len - 1] ^= 0x10;
	expect_drop(&f, STK_DROP_ICMP_CKSUM, 0);
	/* a NIC's IP checksum flags say nothing about ICMP */
	ut.conf.ports[0].rx_ip_cksum = true;
	ut_start();
	m = ut_mbuf(f.b, f.len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	assert_int_equal(ut_stats()->drops[STK_DROP_ICMP_CKSUM], 1);
}

static void
test_unhandled_types(void **state)
{
	static const uint8_t types[] = {0, 4, 5, 9, 10, 13, 14, 17, 255};
	uint8_t l4[64], data[28] = {0x45};
	struct ut_pkt f;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(types); i++) {
		size_t n = ut_icmp(l4, types[i], 0, 0, data, sizeof(data));

		ut_ip(&f, UT_PEER, UT_US, 1, l4, n);
		/* source quench (4) is an error type, but ignored (RFC 6633) */
		expect_drop(&f, STK_DROP_ICMP_TYPE, 0);
	}
}

/* An ICMP error from the router quoting a datagram src -> dst (proto, ports,
 * seq); inner_ihl words of inner header, l4_len bytes quoted after it. */
static void
icmp_error(struct ut_pkt *f, uint8_t type, uint8_t code, uint32_t rest, uint8_t proto, uint32_t src,
	   uint32_t dst, unsigned int inner_ihl, size_t l4_len)
{
	uint8_t inner[128], l4[160];
	size_t hl = inner_ihl * 4, n;

	ut_put_ip(inner, inner_ihl, (uint16_t)(hl + 40), 0x4000, 63, proto, src, dst);
	ut_put16(inner + hl, 40000);
	ut_put16(inner + hl + 2, 443);
	ut_put32(inner + hl + 4, 0xdeadbeef);
	memset(inner + hl + 8, 0x55, 32);
	n = ut_icmp(l4, type, code, rest, inner, hl + l4_len);
	ut_ip(f, ROUTER, UT_US, 1, l4, n);
}

static void
test_error_frag_needed(void **state)
{
	struct ut_pkt f;

	(void)state;
	set_handler(true);
	icmp_error(&f, 3, 4, 1400, 6, UT_US, FAR, 5, 8);
	ut_rx(&f);
	assert_int_equal(handler_calls, 1);
	assert_int_equal(got.type, 3);
	assert_int_equal(got.code, 4);
	assert_int_equal(got.mtu, 1400);
	assert_int_equal(got.proto, 6);
	assert_int_equal(got.saddr, UT_US);
	assert_int_equal(got.daddr, FAR);
	assert_int_equal(got.sport, 40000);
	assert_int_equal(got.dport, 443);
	assert_int_equal(got.seq, 0xdeadbeef);
	assert_int_equal(ut_stats()->icmp_errors_in, 1);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
	assert_int_equal(ut.n_tx, 0);
}

static void
test_error_kinds(void **state)
{
	struct ut_pkt f;

	(void)state;
	set_handler(true);
	/* port unreachable: the MTU field is not an MTU there */
	icmp_error(&f, 3, 3, 1400, 17, UT_US, FAR, 5, 8);
	ut_rx(&f);
	assert_int_equal(handler_calls, 1);
	assert_int_equal(got.code, 3);
	assert_int_equal(got.mtu, 0);
	assert_int_equal(got.proto, 17);
	/* time exceeded, with options in the quoted header and more than 8 bytes */
	icmp_error(&f, 11, 0, 0, 6, UT_US, FAR, 7, 32);
	ut_rx(&f);
	assert_int_equal(handler_calls, 2);
	assert_int_equal(got.type, 11);
	assert_int_equal(got.sport, 40000);
	assert_int_equal(got.dport, 443);
	assert_int_equal(got.seq, 0xdeadbeef);
	/* parameter problem */
	icmp_error(&f, 12, 0, 0x14000000, 6, UT_US, FAR, 5, 8);
	ut_rx(&f);
	assert_int_equal(handler_calls, 3);
	assert_int_equal(got.type, 12);
	assert_int_equal(ut_stats()->icmp_errors_in, 3);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
}

static void
test_error_unclaimed(void **state)
{
	struct ut_pkt f;

	(void)state;
	/* no handler */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 5, 8);
	expect_drop(&f, STK_DROP_ICMP_ERR_UNCLAIMED, 1);
	/* a handler that declines */
	set_handler(false);
	expect_drop(&f, STK_DROP_ICMP_ERR_UNCLAIMED, 1);
	assert_int_equal(handler_calls, 1);
	/* not TCP/UDP: no transport to ask */
	icmp_error(&f, 3, 1, 0, 1, UT_US, FAR, 5, 8);
	expect_drop(&f, STK_DROP_ICMP_ERR_UNCLAIMED, 1);
	assert_int_equal(handler_calls, 1);
}

static void
test_error_bad_inner(void **state)
{
	uint8_t l4[16];
	struct ut_pkt f;
	size_t n;

	(void)state;
	set_handler(true);
	/* we did not send it */
	icmp_error(&f, 3, 1, 0, 6, UT_PEER, FAR, 5, 8);
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* fewer than 8 bytes after the inner header */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 5, 7);
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* options announced but not quoted in full */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 6, 0);
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* not IPv4 */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 5, 8);
	f.b[14 + 20 + 8] = 0x65;
	ut_put16(f.b + 36, 0);
	ut_put16(f.b + 36, ut_cksum(f.b + 34, f.len - 34));
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* IHL under 5 */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 5, 8);
	f.b[14 + 20 + 8] = 0x44;
	ut_put16(f.b + 36, 0);
	ut_put16(f.b + 36, ut_cksum(f.b + 34, f.len - 34));
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* a later fragment quotes payload, not ports */
	icmp_error(&f, 3, 1, 0, 6, UT_US, FAR, 5, 8);
	ut_put16(f.b + 14 + 20 + 8 + 6, 0x0010);
	ut_put16(f.b + 36, 0);
	ut_put16(f.b + 36, ut_cksum(f.b + 34, f.len - 34));
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	/* nothing quoted at all */
	n = ut_icmp(l4, 11, 0, 0, l4, 0);
	ut_ip(&f, ROUTER, UT_US, 1, l4, n);
	expect_drop(&f, STK_DROP_ICMP_ERR_INNER, 1);
	assert_int_equal(handler_calls, 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UT_TEST(test_echo_byte_exact),
		UT_TEST(test_echo_odd_and_empty),
		UT_TEST(test_echo_with_options),
		UT_TEST(test_echo_tos_kept),
		UT_TEST(test_echo_shared),
		UT_TEST(test_echo_segmented),
		UT_TEST(test_echo_unresolved_then_sent),
		UT_TEST(test_echo_no_route),
		UT_TEST(test_short),
		UT_TEST(test_bad_checksum),
		UT_TEST(test_unhandled_types),
		UT_TEST(test_error_frag_needed),
		UT_TEST(test_error_kinds),
		UT_TEST(test_error_unclaimed),
		UT_TEST(test_error_bad_inner),
	};

	return ut_main("test_icmp", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ipv4.c - IPv4 input: each drop reason raised exactly once by its
 * malformed frame and nothing else moving; checksum offload flags; padding.
 * IPv4 output: routing, checksum (software and offload), next hop, errors.
 */
#include <errno.h>

#include "ut_stack.h"

static const uint8_t payload[4] = {'p', 'i', 'n', 'g'};

/* A valid echo request from the peer; its reply needs nothing but ARP. */
static void
base(struct ut_pkt *f)
{
	ut_echo(f, UT_PEER, UT_US, 0x42, 1, payload, sizeof(payload));
}

static void
fix_ip_sum(struct ut_pkt *f)
{
	size_t hl = (size_t)(f->b[14] & 0xf) * 4;

	ut_put16(f->b + 24, 0);
	ut_put16(f->b + 24, ut_cksum(f->b + 14, hl));
}

static void
set_src(struct ut_pkt *f, uint32_t ip)
{
	ut_put32(f->b + 26, ip);
	fix_ip_sum(f);
}

static void
set_dst(struct ut_pkt *f, uint32_t ip)
{
	ut_put32(f->b + 30, ip);
	fix_ip_sum(f);
}

/* Feeds f and checks that drops[why] alone moved, by one; ip_in moves by
 * delivered (1 for drops after local delivery). */
static void
expect_drop(const struct ut_pkt *f, enum stk_drop why, int delivered)
{
	struct stk_stats before = *ut_stats();

	ut_rx(f);
	before.ip_in += (uint64_t)delivered;
	ut_assert_only_drop(&before, why);
	assert_int_equal(ut_stats()->rx_pkts, before.rx_pkts + 1);
	assert_int_equal(ut_stats()->icmp_echo_in, before.icmp_echo_in);
	assert_int_equal(ut.n_tx, 0);
}

static void
expect_echo_answered(const struct ut_pkt *f)
{
	uint64_t echo = ut_stats()->icmp_echo_out;

	ut_rx(f);
	assert_int_equal(ut_stats()->icmp_echo_out, echo + 1);
	assert_int_equal(ut.n_tx, 1);
	ut_tx_clear();
}

static void
test_valid_is_answered(void **state)
{
	struct ut_pkt f;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	base(&f);
	expect_echo_answered(&f);
	assert_int_equal(ut_stats()->ip_in, 1);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
	/* DF alone is not a fragment */
	base(&f);
	ut_put16(f.b + 20, 0x4000);
	fix_ip_sum(&f);
	expect_echo_answered(&f);
}

static void
test_short(void **state)
{
	struct ut_pkt f;

	(void)state;
	base(&f);
	for (f.len = 14; f.len < 34; f.len++)
		expect_drop(&f, STK_DROP_IP_SHORT, 0);
}

static void
test_version(void **state)
{
	struct ut_pkt f;

	(void)state;
	base(&f);
	f.b[14] = 0x65;
	fix_ip_sum(&f);
	expect_drop(&f, STK_DROP_IP_VERSION, 0);
	f.b[14] = 0x05;
	expect_drop(&f, STK_DROP_IP_VERSION, 0);
}

static void
test_ihl(void **state)
{
	struct ut_pkt f;

	(void)state;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		base(&f);
		f.b[14] = (uint8_t)(0x40 | ihl);
		expect_drop(&f, STK_DROP_IP_IHL, 0);
	}
	/* 60-byte header in a 32-byte datagram: beyond the frame */
	base(&f);
	f.b[14] = 0x4f;
	expect_drop(&f, STK_DROP_IP_IHL, 0);
}

static void
test_checksum(void **state)
{
	struct ut_pkt f;

	(void)state;
	base(&f);
	f.b[24] ^= 0x01;
	expect_drop(&f, STK_DROP_IP_CKSUM, 0);
	base(&f);
	f.b[22] = 1; /* TTL changed without fixing the checksum */
	expect_drop(&f, STK_DROP_IP_CKSUM, 0);
}

static void
rx_flags(const struct ut_pkt *f, uint64_t flags)
{
	struct rte_mbuf *m = ut_mbuf(f->b, f->len);

	m->ol_flags = flags;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
}

static void
test_checksum_offload(void **state)
{
	struct ut_pkt good, bad;
	uint64_t echo;

	(void)state;
	ut.conf.ports[0].rx_ip_cksum = true;
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
	base(&good);
	base(&bad);
	bad.b[24] ^= 0xff;

	/* BAD is trusted even when the bytes are right */
	rx_flags(&good, RTE_MBUF_F_RX_IP_CKSUM_BAD);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_CKSUM], 1);
	/* GOOD is trusted even when the bytes are wrong */
	echo = ut_stats()->icmp_echo_out;
	rx_flags(&bad, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	assert_int_equal(ut_stats()->icmp_echo_out, echo + 1);
	/* UNKNOWN: checked in software */
	rx_flags(&bad, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_CKSUM], 2);
	rx_flags(&good, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN);
	assert_int_equal(ut_stats()->icmp_echo_out, echo + 2);
	ut_tx_clear();

	/* a port without rx_ip_cksum ignores the flags */
	ut.conf.ports[0].rx_ip_cksum = false;
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
	rx_flags(&good, RTE_MBUF_F_RX_IP_CKSUM_BAD);
	assert_int_equal(ut_stats()->icmp_echo_out, 1);
	rx_flags(&bad, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_CKSUM], 1);
}

static void
test_length(void **state)
{
	struct ut_pkt f;

	(void)state;
	base(&f);
	ut_put16(f.b + 16, 19); /* shorter than the header */
	fix_ip_sum(&f);
	expect_drop(&f, STK_DROP_IP_LEN, 0);
	base(&f);
	ut_put16(f.b + 16, (uint16_t)(f.len - 14 + 1)); /* longer than the frame */
	fix_ip_sum(&f);
	expect_drop(&f, STK_DROP_IP_LEN, 0);
}

static void
test_padding_trimmed(void **state)
{
	struct ut_pkt f;
	const uint8_t *p;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	base(&f);
	/* Ethernet pads to 60 bytes; junk there must not reach ICMP's checksum */
	memset(f.b + f.len, 0xee, 60 - f.len);
	f.len = 60;
	expect_echo_answered(&f);
	ut_rx(&f);
	p = ut_txd(0);
	assert_int_equal(rte_pktmbuf_pkt_len(ut.tx[0]), 14 + 20 + 8 + sizeof(payload));
	assert_int_equal(ut_get16(p + 16), 20 + 8 + sizeof(payload));
}

static void
test_ttl(void **state)
{
	struct ut_pkt f;

	(void)state;
	base(&f);
	f.b[22] = 0;
	fix_ip_sum(&f);
	expect_drop(&f, STK_DROP_IP_TTL, 0);
}

static void
test_fragment(void **state)
{
	static const uint16_t frags[] = {0x2000, 0x0001, 0x2001, 0x1fff, 0x6000};
	struct ut_pkt f;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(frags); i++) {
		base(&f);
		ut_put16(f.b + 20, frags[i]);
		fix_ip_sum(&f);
		expect_drop(&f, STK_DROP_IP_FRAG, 0);
	}
}

static void
test_bad_source(void **state)
{
	static const uint32_t srcs[] = {
		UT_IP(224, 0, 0, 1),
		UT_IP(239, 1, 2, 3),
		UT_IP(255, 255, 255, 255),
		0,
		UT_IP(127, 0, 0, 1),
		UT_IP(127, 9, 9, 9),
		UT_US,
	};
	struct ut_pkt f;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(srcs); i++) {
		base(&f);
		set_src(&f, srcs[i]);
		expect_drop(&f, STK_DROP_IP_SRC, 0);
	}
}

static void
test_not_local(void **state)
{
	static const uint32_t dsts[] = {
		UT_IP(10, 0, 0, 99),
		UT_IP(10, 0, 0, 255),
		UT_IP(255, 255, 255, 255),
		UT_IP(224, 0, 0, 1),
		0,
		UT_IP(8, 8, 8, 8),
	};
	struct ut_pkt f;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(dsts); i++) {
		base(&f);
		set_dst(&f, dsts[i]);
		expect_drop(&f, STK_DROP_NOT_LOCAL, 0);
	}
}

static void
test_local_on_other_port(void **state)
{
	struct ut_pkt f;

	(void)state;
	/* weak host: an address of port 1 is ours when it arrives on port 0 */
	ut.conf.n_ports = 2;
	memcpy(ut.conf.ports[1].mac.addr_bytes, ut_mac_peer2, 6);
	ut.conf.ports[1].n_addrs = 1;
	ut.conf.ports[1].addrs[0] = UT_IP(192, 168, 1, 1);
	ut.conf.ports[1].plens[0] = 24;
	ut_start();
	base(&f);
	set_dst(&f, UT_IP(192, 168, 1, 1));
	ut_rx(&f);
	assert_int_equal(ut_stats()->ip_in, 1);
	assert_int_equal(ut_stats()->icmp_echo_in, 1);
}

static void
test_transport_and_proto(void **state)
{
	uint8_t l4[20] = {0x12, 0x34, 0x00, 0x50};
	struct ut_pkt f;

	(void)state;
	ut_ip(&f, UT_PEER, UT_US, 6, l4, sizeof(l4));
	expect_drop(&f, STK_DROP_NO_SOCKET, 1);
	ut_ip(&f, UT_PEER, UT_US, 17, l4, 8);
	expect_drop(&f, STK_DROP_NO_SOCKET, 1);
	ut_ip(&f, UT_PEER, UT_US, 47, l4, 8);
	expect_drop(&f, STK_DROP_IP_PROTO, 1);
	ut_ip(&f, UT_PEER, UT_US, 41, l4, 0);
	expect_drop(&f, STK_DROP_IP_PROTO, 1);
}

/* ------------------------------------------------------------------ */
/* output                                                               */

static void
test_output_software_cksum(void **state)
{
	struct rte_mbuf *m;
	const uint8_t *p;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	m = ut_dgram(UT_US, UT_PEER, 8);
	rte_pktmbuf_mtod(m, uint8_t *)[10] = 0xde; /* garbage the stack must overwrite */
	assert_int_equal(stk_ip_output(ut.ctx, m, ut.now), 0);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	p = ut_txd(0);
	assert_memory_equal(p, ut_mac_peer, 6);
	assert_memory_equal(p + 6, ut_mac_us, 6);
	assert_int_equal(ut_get16(p + 12), 0x0800);
	assert_int_equal(ut_cksum(p + 14, 20), 0);
	assert_int_equal(ut.tx[0]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM, 0);
	assert_int_equal(ut.tx[0]->l2_len, 14);
	assert_int_equal(ut.tx[0]->l3_len, 20);
	assert_int_equal(ut_stats()->ip_out, 1);
	assert_int_equal(ut_stats()->tx_pkts, 2); /* with ut_learn's ARP reply */
}

static void
test_output_offload_cksum(void **state)
{
	struct rte_mbuf *m;
	const uint8_t *p;

	(void)state;
	ut.conf.ports[0].tx_ip_cksum = true;
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
	m = ut_dgram(UT_US, UT_PEER, 8);
	assert_int_equal(stk_ip_output(ut.ctx, m, ut.now), 0);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	p = ut_txd(0);
	assert_int_equal(ut_get16(p + 24), 0); /* left for the NIC */
	assert_int_equal(ut.tx[0]->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM),
			 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(ut.tx[0]->l2_len, 14);
	assert_int_equal(ut.tx[0]->l3_len, 20);
}

static void
test_output_via_gateway(void **state)
{
	static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};
	struct ut_pkt f, want;
	const uint8_t *p;

	(void)state;
	assert_int_equal(stk_ip_output(ut.ctx, ut_dgram(UT_US, UT_IP(8, 8, 8, 8), 8), ut.now), 0);
	stk_flush(ut.ctx);
	/* the default route's gateway is resolved, not the destination */
	assert_int_equal(ut.n_tx, 1);
	ut_arp(&want, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_US, ut_mac_zero, UT_GW);
	assert_memory_equal(ut_txd(0), want.b, 42);
	ut_tx_clear();
	ut_arp(&f, ut_mac_us, gw_mac, 2, gw_mac, UT_GW, ut_mac_us, UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	p = ut_txd(0);
	assert_memory_equal(p, gw_mac, 6);
	assert_int_equal(ut_get32(p + 30), UT_IP(8, 8, 8, 8));
	assert_int_equal(ut_cksum(p + 14, 20), 0);
}

static void
test_output_other_port(void **state)
{
	static const uint8_t mac1[6] = {0x02, 0, 0, 0, 1, 0x01};
	struct ut_pkt want;

	(void)state;
	ut.conf.n_ports = 2;
	memcpy(ut.conf.ports[1].mac.addr_bytes, mac1, 6);
	ut.conf.ports[1].n_addrs = 1;
	ut.conf.ports[1].addrs[0] = UT_IP(192, 168, 1, 1);
	ut.conf.ports[1].plens[0] = 24;
	ut_start();
	assert_int_equal(stk_routes_add(ut.routes, UT_IP(192, 168, 1, 0), 24, 0, 1), 0);
	assert_int_equal(stk_ip_output(ut.ctx,
				       ut_dgram(UT_IP(192, 168, 1, 1), UT_IP(192, 168, 1, 7), 8),
				       ut.now),
			 0);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(ut.tx_port[0], 1);
	ut_arp(&want, ut_mac_bcast, mac1, 1, mac1, UT_IP(192, 168, 1, 1), ut_mac_zero,
	       UT_IP(192, 168, 1, 7));
	assert_memory_equal(ut_txd(0), want.b, 42);
}

static void
test_output_errors(void **state)
{
	struct rte_mbuf *m;
	char name[32];

	(void)state;
	/* no table at all */
	stk_set_routes(ut.ctx, NULL);
	assert_int_equal(stk_ip_output(ut.ctx, ut_dgram(UT_US, UT_PEER, 8), ut.now), -ENETUNREACH);
	assert_int_equal(ut_stats()->drops[STK_DROP_NO_ROUTE], 1);

	/* a table without a match, and a next hop on a port we do not have
	 * (one table at a time: each rte_lpm holds a 64 MB tbl24) */
	stk_routes_free(ut.routes);
	snprintf(name, sizeof(name), "ut_rt_err%u", ut.route_seq++);
	ut.routes = stk_routes_create(name, 4, SOCKET_ID_ANY);
	assert_non_null(ut.routes);
	assert_int_equal(stk_routes_add(ut.routes, UT_IP(172, 16, 0, 0), 12, 0, 5), 0);
	stk_set_routes(ut.ctx, ut.routes);
	assert_int_equal(stk_ip_output(ut.ctx, ut_dgram(UT_US, UT_PEER, 8), ut.now), -ENETUNREACH);
	assert_int_equal(stk_ip_output(ut.ctx, ut_dgram(UT_US, UT_IP(172, 16, 1, 1), 8), ut.now),
			 -ENETUNREACH);
	assert_int_equal(ut_stats()->drops[STK_DROP_NO_ROUTE], 3);

	/* not an IPv4 header */
	m = ut_mbuf(payload, sizeof(payload));
	assert_int_equal(stk_ip_output(ut.ctx, m, ut.now), -EINVAL);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_SHORT], 1);
	m = ut_dgram(UT_US, UT_PEER, 8);
	rte_pktmbuf_mtod(m, uint8_t *)[0] = 0x65;
	assert_int_equal(stk_ip_output(ut.ctx, m, ut.now), -EINVAL);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_VERSION], 1);
	m = ut_dgram(UT_US, UT_PEER, 8);
	rte_pktmbuf_mtod(m, uint8_t *)[0] = 0x48; /* 32-byte header in 28 bytes */
	assert_int_equal(stk_ip_output(ut.ctx, m, ut.now), -EINVAL);
	assert_int_equal(ut_stats()->drops[STK_DROP_IP_IHL], 1);
	assert_int_equal(ut_stats()->ip_out, 0);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 0);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UT_TEST(test_valid_is_answered),
		UT_TEST(test_short),
		UT_TEST(test_version),
		UT_TEST(test_ihl),
		UT_TEST(test_checksum),
		UT_TEST(test_checksum_offload),
		UT_TEST(test_length),
		UT_TEST(test_padding_trimmed),
		UT_TEST(test_ttl),
		UT_TEST(test_fragment),
		UT_TEST(test_bad_source),
		UT_TEST(test_not_local),
		UT_TEST(test_local_on_other_port),
		UT_TEST(test_transport_and_proto),
		UT_TEST(test_output_software_cksum),
		UT_TEST(test_output_offload_cksum),
		UT_TEST(test_output_via_gateway),
		UT_TEST(test_output_other_port),
		UT_TEST(test_output_errors),
	};

	return ut_main("test_ipv4", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth.c - Ethernet input filters, the context's life cycle, counters,
 * drop names, tx buffering and the local address table.
 */
#include <errno.h>

#include "ut_stack.h"

static void
rx_expect_drop(const struct ut_pkt *f, enum stk_drop why)
{
	struct stk_stats before = *ut_stats();

	ut_rx(f);
	ut_assert_only_drop(&before, why);
	assert_int_equal(ut_stats()->rx_pkts, before.rx_pkts + 1);
	assert_int_equal(ut.n_tx, 0);
}

static void
test_short(void **state)
{
	struct ut_pkt f;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	for (f.len = 0; f.len < 14; f.len++)
		rx_expect_drop(&f, STK_DROP_ETH_SHORT);
	assert_int_equal(ut_stats()->drops[STK_DROP_ETH_SHORT], 14);
}

static void
test_own_src(void **state)
{
	struct ut_pkt f;

	(void)state;
	ut_arp(&f, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_PEER, ut_mac_zero, UT_US);
	rx_expect_drop(&f, STK_DROP_ETH_OWN_SRC);
}

static void
test_not_ours(void **state)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	static const uint8_t ip6_mcast[6] = {0x33, 0x33, 0, 0, 0, 1};
	struct ut_pkt f;
	uint8_t l4[8] = {0};

	(void)state;
	ut_ip(&f, UT_PEER, UT_US, 17, l4, sizeof(l4));
	memcpy(f.b, ut_mac_peer2, 6);
	rx_expect_drop(&f, STK_DROP_ETH_NOT_OURS);
	memcpy(f.b, mcast, 6);
	rx_expect_drop(&f, STK_DROP_ETH_NOT_OURS);
	memcpy(f.b, ip6_mcast, 6);
	rx_expect_drop(&f, STK_DROP_ETH_NOT_OURS);
	/* an ARP unicast to someone else is not ours either */
	ut_arp(&f, ut_mac_peer2, ut_mac_peer, 1, ut_mac_peer, UT_PEER, ut_mac_zero, UT_US);
	rx_expect_drop(&f, STK_DROP_ETH_NOT_OURS);
}

static void
test_unknown_type(void **state)
{
	static const uint16_t types[] = {0x86dd, 0x8100, 0x88a8, 0x8035, 0x0000, 0xffff};
	struct ut_pkt f;
	uint8_t l4[8] = {0};

	(void)state;
	for (size_t i = 0; i < RTE_DIM(types); i++) {
		ut_ip(&f, UT_PEER, UT_US, 17, l4, sizeof(l4));
		ut_put16(f.b + 12, types[i]);
		rx_expect_drop(&f, STK_DROP_ETH_TYPE);
	}
}

static void
test_broadcast_passes(void **state)
{
	struct ut_pkt f;
	uint8_t l4[8] = {0};
	struct stk_stats before;

	(void)state;
	/* IPv4 to the broadcast MAC gets past Ethernet; IP drops it as not ours */
	ut_ip(&f, UT_PEER, UT_IP(10, 0, 0, 255), 17, l4, sizeof(l4));
	memcpy(f.b, ut_mac_bcast, 6);
	before = *ut_stats();
	ut_rx(&f);
	ut_assert_only_drop(&before, STK_DROP_NOT_LOCAL);
}

static void
test_burst_and_counters(void **state)
{
	struct rte_mbuf *pkts[5];
	struct ut_pkt f;
	uint64_t bytes = 0;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(pkts); i++) {
		ut_arp(&f, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_PEER, ut_mac_zero, UT_US);
		f.len = 20 + i;
		bytes += f.len;
		pkts[i] = ut_mbuf(f.b, f.len);
	}
	stk_input(ut.ctx, 0, pkts, RTE_DIM(pkts), ut.now);
	assert_int_equal(ut_stats()->rx_pkts, 5);
	assert_int_equal(ut_stats()->rx_bytes, bytes);
	assert_int_equal(ut_stats()->drops[STK_DROP_ETH_OWN_SRC], 5);

	/* a port index we were never given: dropped and counted, never read */
	for (unsigned int i = 0; i < RTE_DIM(pkts); i++)
		pkts[i] = ut_mbuf(f.b, f.len);
	stk_input(ut.ctx, 3, pkts, RTE_DIM(pkts), ut.now);
	assert_int_equal(ut_stats()->drops[STK_DROP_ETH_NOT_OURS], 5);
}

static void
test_learn_only_flag_ignored_for_ip(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;
	uint8_t l4[8] = {0};

	(void)state;
	ut_ip(&f, UT_PEER, UT_US, 17, l4, sizeof(l4));
	m = ut_mbuf(f.b, f.len);
	stk_mbuf_priv(m)->flags = STK_MF_LEARN_ONLY;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	assert_int_equal(ut_stats()->rx_pkts, 1);
	assert_int_equal(ut_stats()->drops[STK_DROP_NO_SOCKET], 1);
}

static void
test_tx_buffering(void **state)
{
	(void)state;
	/* 40 announcements from 40 addresses cannot be configured (8 max), so
	 * send 5 rounds of 8 gratuitous ARPs: 32 leave as one burst at once */
	ut.conf.ports[0].n_addrs = STK_MAX_ADDRS;
	for (unsigned int i = 0; i < STK_MAX_ADDRS; i++) {
		ut.conf.ports[0].addrs[i] = UT_IP(10, 0, 0, 10 + i);
		ut.conf.ports[0].plens[i] = 24;
	}
	ut_start();
	for (int r = 0; r < 5; r++)
		stk_announce(ut.ctx, 0, ut.now);
	assert_int_equal(ut.tx_calls, 1);
	assert_int_equal(ut.n_tx, STK_TX_BURST);
	assert_int_equal(ut_stats()->tx_pkts, STK_TX_BURST);
	stk_flush(ut.ctx);
	assert_int_equal(ut.tx_calls, 2);
	assert_int_equal(ut.n_tx, 40);
	assert_int_equal(ut.tx_max_burst, STK_TX_BURST);
	assert_int_equal(ut_stats()->tx_pkts, 40);
	assert_int_equal(ut_stats()->tx_bytes, 40 * 42);
	assert_int_equal(ut_stats()->arp_gratuitous_out, 40);
	stk_flush(ut.ctx); /* nothing pending: no empty call */
	assert_int_equal(ut.tx_calls, 2);
	/* stk_announce on an unknown port does nothing */
	stk_announce(ut.ctx, 5, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 40);
}

static void
test_free_drops_unflushed(void **state)
{
	(void)state;
	stk_announce(ut.ctx, 0, ut.now);
	/* not flushed: stk_free must give the frame back (teardown counts mbufs) */
	stk_free(ut.ctx);
	ut.ctx = NULL;
	assert_int_equal(ut.n_tx, 0);
	ut_start();
}

static void
test_create_invalid(void **state)
{
	struct stk_conf c;

	(void)state;
	errno = 0;
	assert_null(stk_create(NULL));
	assert_int_equal(errno, EINVAL);
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		ut_default_conf(&c);                                                               \
		stmt;                                                                              \
		errno = 0;                                                                         \
		assert_null(stk_create(&c));                                                       \
		assert_int_equal(errno, EINVAL);                                                   \
	} while (0)
	BAD(c.n_workers = 0);
	BAD(c.n_workers = STK_MAX_WORKERS + 1);
	BAD(c.worker_id = 1);
	BAD(c.n_ports = STK_MAX_PORTS + 1);
	BAD(c.pool = NULL);
	BAD(c.tx = NULL);
	BAD(c.arp.cache_size = 0);
	BAD(c.ports[0].n_addrs = STK_MAX_ADDRS + 1);
	BAD(c.ports[0].plens[0] = 33);
#undef BAD
	stk_free(NULL);
}

static void
test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < STK_DROP_MAX; i++) {
		const char *n = stk_drop_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, stk_drop_name(j));
	}
	assert_string_equal(stk_drop_name(STK_DROP_ETH_OWN_SRC), "own_src_mac");
	assert_string_equal(stk_drop_name(STK_DROP_MAX), "unknown");
	assert_string_equal(stk_drop_name((enum stk_drop) - 1), "unknown");
}

static void
test_local_addr(void **state)
{
	(void)state;
	ut.conf.n_ports = 2;
	memcpy(ut.conf.ports[1].mac.addr_bytes, ut_mac_peer2, 6);
	ut.conf.ports[1].n_addrs = 2;
	ut.conf.ports[1].addrs[0] = UT_IP(192, 168, 1, 1);
	ut.conf.ports[1].addrs[1] = UT_IP(192, 168, 2, 1);
	ut.conf.ports[1].plens[0] = 24;
	ut.conf.ports[1].plens[1] = 24;
	ut_start();
	assert_int_equal(stk_local_addr(ut.ctx, UT_US), 0);
	assert_int_equal(stk_local_addr(ut.ctx, UT_IP(192, 168, 2, 1)), 1);
	assert_int_equal(stk_local_addr(ut.ctx, UT_PEER), -1);
	assert_int_equal(stk_local_addr(ut.ctx, 0), -1);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UT_TEST(test_short),
		UT_TEST(test_own_src),
		UT_TEST(test_not_ours),
		UT_TEST(test_unknown_type),
		UT_TEST(test_broadcast_passes),
		UT_TEST(test_burst_and_counters),
		UT_TEST(test_learn_only_flag_ignored_for_ip),
		UT_TEST(test_tx_buffering),
		UT_TEST(test_free_drops_unflushed),
		UT_TEST(test_create_invalid),
		UT_TEST(test_drop_names),
		UT_TEST(test_local_addr),
	};

	return ut_main("test_eth", tests, RTE_DIM(tests));
}

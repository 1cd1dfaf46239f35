/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_arp.c - ARP replies, validation, the neighbour cache (learning, merge,
 * bounds, retries, failure, aging) and gratuitous announcements. Time is a
 * fake TSC advanced by hand.
 */
#include <errno.h>
#include <stdlib.h>

#include "ut_stack.h"

static void
ms_later(uint64_t ms)
{
	ut.now += ms * ut.ms;
}

static void
poll_at(uint64_t ms_from_start, uint64_t start)
{
	ut.now = start + ms_from_start * ut.ms;
	stk_poll(ut.ctx, ut.now);
	stk_flush(ut.ctx);
}

/* Sends one datagram to dst through stk_ip_output; returns its result. */
static int
output_to(uint32_t dst)
{
	int rc = stk_ip_output(ut.ctx, ut_dgram(UT_US, dst, 8), ut.now);

	stk_flush(ut.ctx);
	return rc;
}

static void
assert_request_for(unsigned int i, uint32_t tip)
{
	struct ut_pkt want;

	ut_arp(&want, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_US, ut_mac_zero, tip);
	assert_int_equal(rte_pktmbuf_pkt_len(ut.tx[i]), 42);
	assert_memory_equal(ut_txd(i), want.b, 42);
}

static void
assert_ip_to(unsigned int i, const uint8_t *mac, uint32_t dst)
{
	const uint8_t *p = ut_txd(i);

	assert_memory_equal(p, mac, 6);
	assert_memory_equal(p + 6, ut_mac_us, 6);
	assert_int_equal(ut_get16(p + 12), 0x0800);
	assert_int_equal(ut_get32(p + 30), dst);
	assert_int_equal(ut_cksum(p + 14, 20), 0);
}

static void
test_reply_content(void **state)
{
	struct ut_pkt f, want;
	struct stk_arp_entry e;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	f.len = 60; /* padded like on the wire; the reply is 42 bytes exactly */
	memset(f.b + 42, 0, 18);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	ut_arp(&want, ut_mac_peer, ut_mac_us, 2, ut_mac_us, UT_US, ut_mac_peer, UT_PEER);
	assert_int_equal(rte_pktmbuf_pkt_len(ut.tx[0]), 42);
	assert_memory_equal(ut_txd(0), want.b, 42);
	assert_int_equal(ut_stats()->arp_requests_in, 1);
	assert_int_equal(ut_stats()->arp_replies_out, 1);
	assert_int_equal(ut_stats()->tx_pkts, 1);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
	/* the requester is learned (RFC 826: we are the target) */
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	assert_memory_equal(e.mac.addr_bytes, ut_mac_peer, 6);
	assert_int_equal(e.pending, 0);
	assert_int_equal(e.age_ms, 0);
	ms_later(250);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.age_ms, 250);
}

static void
test_reply_from_shared_mbuf(void **state)
{
	struct ut_pkt f, want;
	struct rte_mbuf *m, *clone;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	m = ut_mbuf(f.b, f.len);
	clone = rte_pktmbuf_clone(m, ut.pool);
	assert_non_null(clone);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	ut_arp(&want, ut_mac_peer, ut_mac_us, 2, ut_mac_us, UT_US, ut_mac_peer, UT_PEER);
	assert_memory_equal(ut_txd(0), want.b, 42);
	/* the data the clone shares was not rewritten */
	assert_memory_equal(rte_pktmbuf_mtod(clone, const uint8_t *), f.b, f.len);
	rte_pktmbuf_free(clone);
}

static void
test_reply_segmented(void **state)
{
	struct ut_pkt f, want;
	struct rte_mbuf *m, *tail;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	ut_arp(&want, ut_mac_peer, ut_mac_us, 2, ut_mac_us, UT_US, ut_mac_peer, UT_PEER);
	/* every split after the Ethernet header, which must be in the first segment */
	for (size_t split = 14; split < f.len; split++) {
		m = ut_mbuf(f.b, split);
		tail = ut_mbuf(f.b + split, f.len - split);
		assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
		stk_input(ut.ctx, 0, &m, 1, ut.now);
		stk_flush(ut.ctx);
		assert_int_equal(ut.n_tx, 1);
		assert_memory_equal(ut_txd(0), want.b, 42);
		ut_tx_clear();
	}
	assert_int_equal(ut_stats()->arp_replies_out, f.len - 14);
}

static void
test_learn_only_never_replies(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;
	struct stk_arp_entry e;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	m = ut_mbuf(f.b, f.len);
	stk_mbuf_priv(m)->flags = STK_MF_LEARN_ONLY;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_stats()->arp_replies_out, 0);
	/* learned, but invisible to the counters: the original's worker counts */
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	assert_int_equal(ut_stats()->rx_pkts, 0);
	assert_int_equal(ut_stats()->arp_requests_in, 0);

	/* a malformed copy is not counted either */
	f.len = 30;
	m = ut_mbuf(f.b, f.len);
	stk_mbuf_priv(m)->flags = STK_MF_LEARN_ONLY;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	for (int d = 0; d < STK_DROP_MAX; d++)
		assert_int_equal(ut_stats()->drops[d], 0);
}

static void
test_learn_only_resolves_pending(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;

	(void)state;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut.n_tx, 1); /* the request */
	ut_tx_clear();
	/* the reply went to another worker; we get a copy to learn from */
	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, UT_PEER, ut_mac_us, UT_US);
	m = ut_mbuf(f.b, f.len);
	stk_mbuf_priv(m)->flags = STK_MF_LEARN_ONLY;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	assert_ip_to(0, ut_mac_peer, UT_PEER);
	assert_int_equal(ut_stats()->arp_replies_out, 0);
}

static void
test_probe(void **state)
{
	struct ut_pkt f, want;
	struct stk_arp_entry e;

	(void)state;
	/* RFC 5227 probe: sender 0.0.0.0 asks whether our address is taken */
	ut_arp_request(&f, ut_mac_peer, 0, UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	ut_arp(&want, ut_mac_peer, ut_mac_us, 2, ut_mac_us, UT_US, ut_mac_peer, 0);
	assert_memory_equal(ut_txd(0), want.b, 42);
	assert_false(ut_arp_find(0, &e));
	assert_int_equal(stk_arp_dump(ut.ctx, &e, 1, ut.now), 0);
}

static void
test_not_ours(void **state)
{
	struct ut_pkt f;
	struct stk_arp_entry e;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_IP(10, 0, 0, 77));
	ut_rx(&f);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_NOT_OURS], 1);
	assert_int_equal(ut.n_tx, 0);
	/* no entry is made for a conversation we are not part of */
	assert_int_equal(stk_arp_dump(ut.ctx, &e, 1, ut.now), 0);
}

/* Service VIPs: ARP answered for one on the port's subnet (as the VIP),
 * not for one elsewhere; IP to either is taken as ours. */
static void
test_vips(void **state)
{
	struct stk_vips *v = malloc(sizeof(*v) + 2 * sizeof(uint32_t));
	struct ut_pkt f, want;
	uint32_t on_link = UT_IP(10, 0, 0, 50), off_link = UT_IP(192, 168, 5, 5);

	(void)state;
	assert_non_null(v);
	v->n = 2;
	v->addr[0] = on_link; /* sorted */
	v->addr[1] = off_link;
	stk_set_vips(ut.ctx, v);
	assert_true(stk_is_vip(ut.ctx, on_link));
	assert_true(stk_is_vip(ut.ctx, off_link));
	assert_false(stk_is_vip(ut.ctx, UT_IP(10, 0, 0, 51)));
	ut_arp_request(&f, ut_mac_peer, UT_PEER, on_link);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	ut_arp(&want, ut_mac_peer, ut_mac_us, 2, ut_mac_us, on_link, ut_mac_peer, UT_PEER);
	assert_memory_equal(ut_txd(0), want.b, 42);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, off_link);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_NOT_OURS], 1);
	/* an echo request to each VIP is answered, to anything else dropped */
	ut_echo(&f, UT_PEER, off_link, 1, 1, (const uint8_t *)"x", 1);
	ut_rx(&f);
	ut_echo(&f, UT_PEER, UT_IP(10, 0, 0, 51), 1, 2, (const uint8_t *)"x", 1);
	ut_rx(&f);
	assert_int_equal(ut_stats()->icmp_echo_out, 1);
	assert_int_equal(ut_stats()->drops[STK_DROP_NOT_LOCAL], 1);
	/* a VIP claimed as a sender is never learned */
	ut_arp_request(&f, ut_mac_peer, on_link, UT_US);
	ut_rx(&f);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_SRC], 1);
	stk_set_vips(ut.ctx, NULL);
	assert_false(stk_is_vip(ut.ctx, on_link));
	free(v);
}

static void
test_not_ours_updates_existing(void **state)
{
	struct ut_pkt f;
	struct stk_arp_entry e;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	ms_later(500);
	/* the peer moved to another MAC and asks for someone else: merge */
	ut_arp_request(&f, ut_mac_peer2, UT_PEER, UT_IP(10, 0, 0, 77));
	ut_rx(&f);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_NOT_OURS], 1);
	assert_int_equal(ut.n_tx, 0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_memory_equal(e.mac.addr_bytes, ut_mac_peer2, 6);
	assert_int_equal(e.age_ms, 0);

	/* a gratuitous ARP from the peer (sender == target) merges too */
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_PEER);
	ut_rx(&f);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_NOT_OURS], 2);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_memory_equal(e.mac.addr_bytes, ut_mac_peer, 6);
}

static void
expect_drop(const struct ut_pkt *f, enum stk_drop why)
{
	struct stk_stats before = *ut_stats();
	struct stk_arp_entry e;

	ut_rx(f);
	ut_assert_only_drop(&before, why);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(stk_arp_dump(ut.ctx, &e, 1, ut.now), 0);
}

static void
test_validation(void **state)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	struct ut_pkt f;

	(void)state;
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	f.len = 41;
	expect_drop(&f, STK_DROP_ARP_SHORT);
	f.len = 14;
	expect_drop(&f, STK_DROP_ARP_SHORT);

	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	ut_put16(f.b + 14, 6); /* htype IEEE 802 */
	expect_drop(&f, STK_DROP_ARP_FORMAT);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	ut_put16(f.b + 16, 0x86dd);
	expect_drop(&f, STK_DROP_ARP_FORMAT);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	f.b[18] = 8;
	expect_drop(&f, STK_DROP_ARP_FORMAT);
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	f.b[19] = 16;
	expect_drop(&f, STK_DROP_ARP_FORMAT);

	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	ut_put16(f.b + 20, 3); /* RARP request */
	expect_drop(&f, STK_DROP_ARP_OP);
	ut_put16(f.b + 20, 0);
	expect_drop(&f, STK_DROP_ARP_OP);

	ut_arp_request(&f, ut_mac_peer, UT_IP(255, 255, 255, 255), UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
	ut_arp_request(&f, ut_mac_peer, UT_IP(224, 0, 0, 1), UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
	ut_arp_request(&f, ut_mac_peer, UT_US, UT_US); /* someone claims our address */
	expect_drop(&f, STK_DROP_ARP_SRC);
	ut_arp(&f, ut_mac_bcast, ut_mac_peer, 1, ut_mac_bcast, UT_PEER, ut_mac_zero, UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
	ut_arp(&f, ut_mac_bcast, ut_mac_peer, 1, mcast, UT_PEER, ut_mac_zero, UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
	ut_arp(&f, ut_mac_bcast, ut_mac_peer, 1, ut_mac_zero, UT_PEER, ut_mac_zero, UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
	/* 0.0.0.0 is a probe only in a request */
	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, 0, ut_mac_us, UT_US);
	expect_drop(&f, STK_DROP_ARP_SRC);
}

static void
test_resolve_and_flush(void **state)
{
	struct ut_pkt f;
	struct stk_arp_entry e;

	(void)state;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut.n_tx, 1);
	assert_request_for(0, UT_PEER);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_INCOMPLETE);
	assert_int_equal(e.pending, 1);
	assert_int_equal(output_to(UT_PEER), 0); /* queued behind the first, no new request */
	assert_int_equal(ut.n_tx, 1);
	ut_tx_clear();

	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, UT_PEER, ut_mac_us, UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 2);
	assert_ip_to(0, ut_mac_peer, UT_PEER);
	assert_ip_to(1, ut_mac_peer, UT_PEER);
	assert_int_equal(rte_pktmbuf_pkt_len(ut.tx[0]), 14 + 20 + 8);
	assert_int_equal(ut_stats()->arp_replies_in, 1);
	assert_int_equal(ut_stats()->ip_out, 2);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	assert_int_equal(e.pending, 0);
	ut_tx_clear();

	/* now resolved: straight out, no request */
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut.n_tx, 1);
	assert_ip_to(0, ut_mac_peer, UT_PEER);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
}

static void
test_pending_bound(void **state)
{
	struct ut_pkt f;

	(void)state;
	ut.conf.arp.pending_max = 2;
	ut_start();
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(output_to(UT_PEER), -ENOBUFS);
	assert_int_equal(output_to(UT_PEER), -ENOBUFS);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_PENDING_FULL], 2);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
	ut_tx_clear();
	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, UT_PEER, ut_mac_us, UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 2);

	/* pending_max 0: nothing waits, but the request still goes */
	ut.conf.arp.pending_max = 0;
	ut_start();
	ut_tx_clear();
	assert_int_equal(output_to(UT_PEER), -ENOBUFS);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_PENDING_FULL], 1);
	assert_int_equal(ut.n_tx, 1);
	assert_request_for(0, UT_PEER);
}

static void
test_retries_then_failed(void **state)
{
	uint64_t t0 = ut.now;
	struct stk_arp_entry e;
	struct ut_pkt f;

	(void)state;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
	poll_at(50, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
	poll_at(100, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
	poll_at(150, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
	poll_at(200, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 3);
	assert_int_equal(ut.n_tx, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_request_for(i, UT_PEER);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_INCOMPLETE);
	assert_int_equal(e.pending, 2);

	/* the third request went unanswered: failed, queue dropped */
	poll_at(300, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 3);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_FAILED], 2);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_FAILED);
	assert_int_equal(e.pending, 0);

	/* while failed: dropped at once, no request */
	poll_at(400, t0);
	assert_int_equal(output_to(UT_PEER), -EHOSTUNREACH);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_FAILED], 3);
	assert_int_equal(ut_stats()->arp_requests_out, 3);

	/* failed_ms (500) after failing, the entry goes */
	poll_at(799, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	poll_at(810, t0);
	assert_false(ut_arp_find(UT_PEER, &e));
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut_stats()->arp_requests_out, 4);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_INCOMPLETE);

	/* run it into FAILED again; an ARP from the peer revives the entry */
	poll_at(910, t0);
	poll_at(1010, t0);
	poll_at(1110, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_FAILED);
	ut_tx_clear();
	ut_arp_request(&f, ut_mac_peer, UT_PEER, UT_US);
	ut_rx(&f);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	ut_tx_clear();
	assert_int_equal(output_to(UT_PEER), 0);
	assert_ip_to(0, ut_mac_peer, UT_PEER);
}

static void
test_failed_expires_on_use(void **state)
{
	uint64_t t0 = ut.now;
	struct stk_arp_entry e;

	(void)state;
	ut.conf.arp.retries = 1;
	ut_start();
	assert_int_equal(output_to(UT_PEER), 0);
	poll_at(100, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_FAILED);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_FAILED], 1);
	/* past failed_ms without a timer scan: the next datagram starts over */
	ut.now = t0 + 700 * ut.ms;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_INCOMPLETE);
	assert_int_equal(e.pending, 1);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
}

static void
test_aging(void **state)
{
	uint64_t t0 = ut.now;
	struct stk_arp_entry e;
	struct ut_pkt f;

	(void)state;
	ut_learn(ut_mac_peer, UT_PEER);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut.n_tx, 1);
	assert_ip_to(0, ut_mac_peer, UT_PEER);
	ut_tx_clear();

	/* (scans run at most every 10 ms: poll 10 ms apart) */
	poll_at(990, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	poll_at(1000, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_STALE);

	/* stale: still used, and use asks again, at most once per retry_ms */
	ut.now = t0 + 1001 * ut.ms;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut.n_tx, 3);
	assert_request_for(0, UT_PEER);
	assert_ip_to(1, ut_mac_peer, UT_PEER);
	assert_ip_to(2, ut_mac_peer, UT_PEER);
	assert_int_equal(ut_stats()->arp_requests_out, 1);
	ut.now = t0 + 1101 * ut.ms;
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
	ut_tx_clear();

	/* the answer makes it reachable again */
	ut.now = t0 + 1200 * ut.ms;
	ut_arp(&f, ut_mac_us, ut_mac_peer, 2, ut_mac_peer, UT_PEER, ut_mac_us, UT_US);
	ut_rx(&f);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_REACHABLE);
	assert_int_equal(e.age_ms, 0);

	/* unused and unconfirmed: stale after reachable_ms, gone after twice that */
	poll_at(2200, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.state, STK_ARP_STALE);
	poll_at(3190, t0);
	assert_true(ut_arp_find(UT_PEER, &e));
	poll_at(3200, t0);
	assert_false(ut_arp_find(UT_PEER, &e));
	assert_int_equal(ut.n_tx, 0);
}

static void
test_poll_is_rate_limited(void **state)
{
	uint64_t t0 = ut.now;

	(void)state;
	ut.conf.arp.retry_ms = 1; /* timers due every millisecond */
	ut.conf.arp.retries = 100;
	ut_start();
	assert_int_equal(output_to(UT_PEER), 0);
	poll_at(5, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
	/* the scan just ran: calls within the tick do nothing */
	stk_poll(ut.ctx, ut.now + ut.ms / 2);
	assert_int_equal(ut_stats()->arp_requests_out, 2);
	poll_at(6, t0);
	assert_int_equal(ut_stats()->arp_requests_out, 3);
}

static void
test_cache_full(void **state)
{
	struct stk_arp_entry all[4];
	struct ut_pkt f;

	(void)state;
	ut.conf.arp.cache_size = 2;
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
	ut_learn(ut_mac_peer2, UT_IP(10, 0, 0, 3));
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_CACHE_FULL], 0);

	/* a third neighbour: counted, not learned, but still answered */
	ut_arp_request(&f, ut_mac_peer, UT_IP(10, 0, 0, 4), UT_US);
	ut_rx(&f);
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(ut_stats()->arp_replies_out, 3);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_CACHE_FULL], 1);
	assert_int_equal(stk_arp_dump(ut.ctx, all, 4, ut.now), 2);
	ut_tx_clear();

	/* no room to resolve a new next hop: the datagram is dropped */
	assert_int_equal(output_to(UT_IP(10, 0, 0, 9)), -ENOBUFS);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_CACHE_FULL], 2);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_stats()->arp_requests_out, 0);
	/* the dump honours max */
	assert_int_equal(stk_arp_dump(ut.ctx, all, 1, ut.now), 1);
}

static void
test_cache_fills_exactly(void **state)
{
	struct stk_arp_entry all[64];
	uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};

	(void)state;
	ut.conf.arp.cache_size = 40;
	ut_start();
	for (uint8_t i = 0; i < 41; i++) {
		mac[5] = i;
		ut_learn(mac, UT_IP(10, 0, 0, 100 + i));
	}
	assert_int_equal(stk_arp_dump(ut.ctx, all, 64, ut.now), 40);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_CACHE_FULL], 1);
}

static void
test_gratuitous(void **state)
{
	struct ut_pkt want;

	(void)state;
	ut.conf.ports[0].n_addrs = 2;
	ut.conf.ports[0].addrs[1] = UT_IP(10, 0, 0, 5);
	ut.conf.ports[0].plens[1] = 24;
	ut_start();
	stk_announce(ut.ctx, 0, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 2);
	ut_arp(&want, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_US, ut_mac_zero, UT_US);
	assert_memory_equal(ut_txd(0), want.b, 42);
	ut_arp(&want, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_IP(10, 0, 0, 5), ut_mac_zero,
	       UT_IP(10, 0, 0, 5));
	assert_memory_equal(ut_txd(1), want.b, 42);
	assert_int_equal(ut_stats()->arp_gratuitous_out, 2);
	assert_int_equal(ut_stats()->arp_requests_out, 0);
}

static void
test_request_source_address(void **state)
{
	struct ut_pkt want;

	(void)state;
	/* the request speaks from the address whose subnet holds the target */
	ut.conf.ports[0].n_addrs = 2;
	ut.conf.ports[0].addrs[1] = UT_IP(192, 168, 7, 1);
	ut.conf.ports[0].plens[1] = 24;
	ut_start();
	assert_int_equal(stk_routes_add(ut.routes, UT_IP(192, 168, 7, 0), 24, 0, 0), 0);
	assert_int_equal(output_to(UT_IP(192, 168, 7, 9)), 0);
	ut_arp(&want, ut_mac_bcast, ut_mac_us, 1, ut_mac_us, UT_IP(192, 168, 7, 1), ut_mac_zero,
	       UT_IP(192, 168, 7, 9));
	assert_memory_equal(ut_txd(0), want.b, 42);
}

static void
test_per_port(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;

	(void)state;
	ut.conf.n_ports = 2;
	memcpy(ut.conf.ports[1].mac.addr_bytes, ut_mac_us, 6);
	ut.conf.ports[1].n_addrs = 1;
	ut.conf.ports[1].addrs[0] = UT_IP(192, 168, 1, 1);
	ut.conf.ports[1].plens[0] = 24;
	ut_start();
	/* a request on port 1 for port 0's address is not answered there */
	ut_arp_request(&f, ut_mac_peer, UT_IP(192, 168, 1, 2), UT_US);
	m = ut_mbuf(f.b, f.len);
	stk_input(ut.ctx, 1, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_stats()->drops[STK_DROP_ARP_NOT_OURS], 1);
	ut_arp_request(&f, ut_mac_peer, UT_IP(192, 168, 1, 2), UT_IP(192, 168, 1, 1));
	m = ut_mbuf(f.b, f.len);
	stk_input(ut.ctx, 1, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(ut.tx_port[0], 1);
}

static void
test_free_with_pending(void **state)
{
	struct stk_arp_entry e;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(output_to(UT_IP(10, 0, 0, 20 + i)), 0);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_int_equal(output_to(UT_PEER), 0);
	assert_true(ut_arp_find(UT_PEER, &e));
	assert_int_equal(e.pending, 2);
	/* teardown frees the context with 5 datagrams queued and counts mbufs */
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(stk_arp_state_name(STK_ARP_INCOMPLETE), "incomplete");
	assert_string_equal(stk_arp_state_name(STK_ARP_REACHABLE), "reachable");
	assert_string_equal(stk_arp_state_name(STK_ARP_STALE), "stale");
	assert_string_equal(stk_arp_state_name(STK_ARP_FAILED), "failed");
	assert_string_equal(stk_arp_state_name((enum stk_arp_state)42), "unknown");
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		UT_TEST(test_reply_content),
		UT_TEST(test_reply_from_shared_mbuf),
		UT_TEST(test_reply_segmented),
		UT_TEST(test_learn_only_never_replies),
		UT_TEST(test_learn_only_resolves_pending),
		UT_TEST(test_probe),
		UT_TEST(test_not_ours),
		UT_TEST(test_vips),
		UT_TEST(test_not_ours_updates_existing),
		UT_TEST(test_validation),
		UT_TEST(test_resolve_and_flush),
		UT_TEST(test_pending_bound),
		UT_TEST(test_retries_then_failed),
		UT_TEST(test_failed_expires_on_use),
		UT_TEST(test_aging),
		UT_TEST(test_poll_is_rate_limited),
		UT_TEST(test_cache_full),
		UT_TEST(test_cache_fills_exactly),
		UT_TEST(test_gratuitous),
		UT_TEST(test_request_source_address),
		UT_TEST(test_per_port),
		UT_TEST(test_free_with_pending),
		UT_TEST(test_state_names),
	};

	return ut_main("test_arp", tests, RTE_DIM(tests));
}

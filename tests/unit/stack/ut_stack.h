/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_stack.h - fixtures for the stack's unit tests: one context on one port
 * (10.0.0.1/24, MAC 02:00:00:00:00:01) whose tx callback captures frames, a
 * pool whose in-use count is checked after every test, and frame builders
 * that write bytes by hand (never through DPDK's structs or checksum code).
 */
#ifndef MESHGW_UT_STACK_H
#define MESHGW_UT_STACK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cmocka.h>

#include "stk.h"
#include "ut_eal.h"

#define UT_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define UT_US		  UT_IP(10, 0, 0, 1)
#define UT_PEER		  UT_IP(10, 0, 0, 2)
#define UT_GW		  UT_IP(10, 0, 0, 254)
#define UT_MAX_TX	  512

static const uint8_t ut_mac_us[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t ut_mac_peer[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t ut_mac_peer2[6] = {0x02, 0, 0, 0, 0, 0x03};
static const uint8_t ut_mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ut_mac_zero[6];

struct ut_state {
	struct rte_mempool *pool;
	struct stk_conf conf;
	struct stk_ctx *ctx;
	struct stk_routes *routes;
	unsigned int baseline;
	struct rte_mbuf *tx[UT_MAX_TX];
	uint16_t tx_port[UT_MAX_TX];
	unsigned int n_tx, tx_calls, tx_max_burst;
	uint64_t ms; /* tsc per ms */
	uint64_t now;
	unsigned int route_seq;
};

static struct ut_state ut;

struct ut_pkt {
	uint8_t b[2048];
	size_t len;
};

/* ------------------------------------------------------------------ */
/* bytes                                                                */

static inline void
ut_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
ut_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
ut_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ut_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 in the plainest form: 16-bit big-endian words, end-around carry. */
static inline uint16_t
ut_cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ------------------------------------------------------------------ */
/* frames                                                               */

static inline size_t
ut_put_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	ut_put16(p + 12, type);
	return 14;
}

static inline void
ut_arp(struct ut_pkt *f, const uint8_t *eth_dst, const uint8_t *eth_src, uint16_t op,
       const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	uint8_t *p = f->b + ut_put_eth(f->b, eth_dst, eth_src, 0x0806);

	ut_put16(p, 1);
	ut_put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	ut_put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	ut_put32(p + 14, sip);
	memcpy(p + 18, tha, 6);
	ut_put32(p + 24, tip);
	f->len = 42;
}

/* A request from the peer for tip. */
static inline void
ut_arp_request(struct ut_pkt *f, const uint8_t *sha, uint32_t sip, uint32_t tip)
{
	ut_arp(f, ut_mac_bcast, sha, 1, sha, sip, ut_mac_zero, tip);
}

/* Writes an IPv4 header of ihl_words words (options filled with NOPs) at p,
 * with a correct checksum. */
static inline size_t
ut_put_ip(uint8_t *p, unsigned int ihl_words, uint16_t tot, uint16_t frag, uint8_t ttl,
	  uint8_t proto, uint32_t src, uint32_t dst)
{
	size_t hl = ihl_words * 4;

	memset(p, 1, hl); /* NOP options */
	p[0] = (uint8_t)(0x40 | ihl_words);
	p[1] = 0;
	ut_put16(p + 2, tot);
	ut_put16(p + 4, 0x1234);
	ut_put16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	ut_put16(p + 10, 0);
	ut_put32(p + 12, src);
	ut_put32(p + 16, dst);
	ut_put16(p + 10, ut_cksum(p, hl));
	return hl;
}

/* Ethernet + 20-byte IPv4 header + l4 bytes, from the peer to us. */
static inline void
ut_ip(struct ut_pkt *f, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4, size_t l4_len)
{
	size_t off = ut_put_eth(f->b, ut_mac_us, ut_mac_peer, 0x0800);

	off += ut_put_ip(f->b + off, 5, (uint16_t)(20 + l4_len), 0, 64, proto, src, dst);
	memcpy(f->b + off, l4, l4_len);
	f->len = off + l4_len;
}

/* An ICMP message (checksum filled) into l4; returns its length. */
static inline size_t
ut_icmp(uint8_t *l4, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *data,
	size_t data_len)
{
	l4[0] = type;
	l4[1] = code;
	ut_put16(l4 + 2, 0);
	ut_put32(l4 + 4, rest);
	memcpy(l4 + 8, data, data_len);
	ut_put16(l4 + 2, ut_cksum(l4, 8 + data_len));
	return 8 + data_len;
}

static inline void
ut_echo(struct ut_pkt *f, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
	const uint8_t *data, size_t data_len)
{
	uint8_t l4[1500];
	size_t n = ut_icmp(l4, 8, 0, (uint32_t)id << 16 | seq, data, data_len);

	ut_ip(f, src, dst, 1, l4, n);
}

/* ------------------------------------------------------------------ */
/* mbufs and the context                                                */

static inline struct rte_mbuf *
ut_mbuf(const void *data, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ut.pool);
	char *p;

	assert_non_null(m);
	stk_mbuf_priv(m)->flags = 0;
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, data, len);
	return m;
}

static inline void
ut_tx_fn(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	(void)arg;
	ut.tx_calls++;
	if (n > ut.tx_max_burst)
		ut.tx_max_burst = n;
	for (unsigned int i = 0; i < n; i++) {
		if (ut.n_tx < UT_MAX_TX) {
			ut.tx_port[ut.n_tx] = port_idx;
			ut.tx[ut.n_tx++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
}

static inline void
ut_tx_clear(void)
{
	for (unsigned int i = 0; i < ut.n_tx; i++)
		rte_pktmbuf_free(ut.tx[i]);
	ut.n_tx = 0;
	ut.tx_calls = 0;
	ut.tx_max_burst = 0;
}

/* Captured frame i, as contiguous bytes. */
static inline const uint8_t *
ut_txd(unsigned int i)
{
	assert_true(i < ut.n_tx);
	assert_int_equal(ut.tx[i]->nb_segs, 1);
	return rte_pktmbuf_mtod(ut.tx[i], const uint8_t *);
}

static inline void
ut_default_conf(struct stk_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->worker_id = 0;
	c->n_workers = 1;
	c->socket = SOCKET_ID_ANY;
	c->pool = ut.pool;
	c->n_ports = 1;
	memcpy(c->ports[0].mac.addr_bytes, ut_mac_us, 6);
	c->ports[0].mtu = 1500;
	c->ports[0].addrs[0] = UT_US;
	c->ports[0].plens[0] = 24;
	c->ports[0].n_addrs = 1;
	c->arp.cache_size = 16;
	c->arp.pending_max = 4;
	c->arp.retries = 3;
	c->arp.retry_ms = 100;
	c->arp.reachable_ms = 1000;
	c->arp.failed_ms = 500;
	c->tx = ut_tx_fn;
	c->tx_arg = NULL;
}

/* (Re)creates the context from ut.conf, with 10.0.0.0/24 connected and a
 * default route via 10.0.0.254 on port 0. */
static inline void
ut_start(void)
{
	char name[32];

	stk_free(ut.ctx);
	ut.ctx = stk_create(&ut.conf);
	assert_non_null(ut.ctx);
	if (ut.routes == NULL) {
		snprintf(name, sizeof(name), "ut_rt%u", ut.route_seq++);
		ut.routes = stk_routes_create(name, 16, SOCKET_ID_ANY);
		assert_non_null(ut.routes);
		assert_int_equal(stk_routes_add(ut.routes, UT_IP(10, 0, 0, 0), 24, 0, 0), 0);
		assert_int_equal(stk_routes_add(ut.routes, 0, 0, UT_GW, 0), 0);
	}
	stk_set_routes(ut.ctx, ut.routes);
}

static inline int
ut_setup(void **state)
{
	(void)state;
	ut.baseline = rte_mempool_in_use_count(ut.pool);
	ut.ms = rte_get_tsc_hz() / 1000;
	ut.now = 1000 * ut.ms;
	ut_default_conf(&ut.conf);
	ut_start();
	return 0;
}

static inline int
ut_teardown(void **state)
{
	(void)state;
	stk_flush(ut.ctx);
	stk_free(ut.ctx);
	ut.ctx = NULL;
	stk_routes_free(ut.routes);
	ut.routes = NULL;
	ut_tx_clear();
	/* every mbuf a test made came back: nothing leaked, nothing freed twice */
	assert_int_equal(rte_mempool_in_use_count(ut.pool), ut.baseline);
	return 0;
}

/* Feeds one frame to port 0 at ut.now and flushes. */
static inline void
ut_rx(const struct ut_pkt *f)
{
	struct rte_mbuf *m = ut_mbuf(f->b, f->len);

	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
}

/* A datagram for stk_ip_output: IPv4 header first, then n bytes of 0xab. */
static inline struct rte_mbuf *
ut_dgram(uint32_t src, uint32_t dst, size_t n)
{
	uint8_t b[1500];

	ut_put_ip(b, 5, (uint16_t)(20 + n), 0, 64, 17, src, dst);
	memset(b + 20, 0xab, n);
	return ut_mbuf(b, 20 + n);
}

/* The neighbour entry for ip on port 0; false when there is none. */
static inline bool
ut_arp_find(uint32_t ip, struct stk_arp_entry *out)
{
	struct stk_arp_entry all[64];
	unsigned int n = stk_arp_dump(ut.ctx, all, 64, ut.now);

	for (unsigned int i = 0; i < n; i++) {
		if (all[i].ip == ip && all[i].port_idx == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

static inline const struct stk_stats *
ut_stats(void)
{
	return stk_get_stats(ut.ctx);
}

/* Asserts that only drops[why] moved (by one) since before; rx counters and
 * the other tallies may not have moved besides rx_pkts/rx_bytes. */
static inline void
ut_assert_only_drop(const struct stk_stats *before, enum stk_drop why)
{
	const struct stk_stats *now = ut_stats();

	for (int d = 0; d < STK_DROP_MAX; d++) {
		uint64_t want = before->drops[d] + (d == (int)why ? 1 : 0);

		if (now->drops[d] != want)
			fail_msg("drop %s: %llu, want %llu (expected only %s)", stk_drop_name(d),
				 (unsigned long long)now->drops[d], (unsigned long long)want,
				 stk_drop_name(why));
	}
	assert_int_equal(now->ip_in, before->ip_in);
	assert_int_equal(now->ip_out, before->ip_out);
	assert_int_equal(now->tx_pkts, before->tx_pkts);
	assert_int_equal(now->icmp_echo_in, before->icmp_echo_in);
	assert_int_equal(now->icmp_errors_in, before->icmp_errors_in);
	assert_int_equal(now->arp_requests_in, before->arp_requests_in);
	assert_int_equal(now->arp_replies_in, before->arp_replies_in);
	assert_int_equal(now->arp_replies_out, before->arp_replies_out);
	assert_int_equal(now->arp_requests_out, before->arp_requests_out);
}

/* Makes the peer known (REACHABLE) by feeding its request for our address,
 * then forgets the reply. */
static inline void
ut_learn(const uint8_t *mac, uint32_t ip)
{
	struct ut_pkt f;

	ut_arp_request(&f, mac, ip, UT_US);
	ut_rx(&f);
	ut_tx_clear();
}

/* Test main body: EAL, pool, the group, cleanup. */
static inline int
ut_main(const char *name, const struct CMUnitTest *tests, size_t n)
{
	int rc;

	if (ut_eal_init(name) < 0) {
		fprintf(stderr, "%s: EAL init failed\n", name);
		return 1;
	}
	ut.pool = ut_pool("ut_pool", 1023);
	if (ut.pool == NULL) {
		fprintf(stderr, "%s: pool create failed\n", name);
		return 1;
	}
	rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	rte_mempool_free(ut.pool);
	rte_eal_cleanup();
	return rc;
}

#define UT_TEST(f) cmocka_unit_test_setup_teardown(f, ut_setup, ut_teardown)

#endif /* MESHGW_UT_STACK_H */

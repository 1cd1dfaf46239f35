/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcp.c - libFuzzer harness for TCP: a context with a listener on port
 * 80 (and, if asked, a connection opening to 10.0.0.2:443) is fed a series
 * of TCP segments from 10.0.0.2, with a virtual clock and an application
 * that sends, shuts down, closes, aborts and consumes as the input says.
 * The ISN is fixed (0x10000000) and the ephemeral range is one port (50000)
 * so inputs can name valid sequence numbers and both 4-tuples; so is the
 * SYN cookie secret (COOKIE_K0/K1: make_corpus.py computes valid cookies).
 *
 * Input: one setup byte, then records.
 *   setup bit 0     connect to 10.0.0.2:443 first (from port 50000)
 *         bit 1     window scaling, timestamps and SACK off
 *         bit 2     the application does not consume (windows close)
 *         bit 3     delayed ACKs off
 *         bit 4     syn_backlog 1: a second half-open SYN gets a SYN cookie
 *         bit 5     SYN cookies off
 *   record: ctl, len, then len bytes of TCP segment (header, options,
 *           payload, as raw as the fuzzer likes); the harness adds Ethernet
 *           and IPv4 and the checksum.
 *   ctl bits 0-1    clock step first: 0, 1 ms, 100 ms, 3 s
 *       bit 2       corrupt the checksum
 *       bit 3       split the frame into two mbufs
 *       bits 4-6    then the application: none, send 100 B, send 3000 B,
 *                   shutdown, close, abort, consume, keepalive on
 *       bit 7       deliver the first 8 bytes as the TCP header quoted by an
 *                   ICMP error (type 3, code = byte 8 & 15, MTU from 9-10)
 *
 * Checked after every record: the pool's in-use count equals what the stack
 * says it holds (send and out-of-order queues, ARP queues). After the input
 * (and the clock run far ahead), stk_free leaves the pool full.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "stk.h"
#include "stk_tcp_internal.h"
#include "ut_eal.h"

#define US	 0x0a000001u
#define PEER	 0x0a000002u
#define GW	 0x0a0000feu
#define ISN	 0x10000000u
#define EPH	 50000
#define MAX_CONN 16

/* the SYN cookie secret (make_corpus.py's COOKIE_KEY) */
#define COOKIE_K0 0x636f6f6b69653031ull
#define COOKIE_K1 0x66757a7a5f746370ull

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t mac_us[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0, 0x02};

static struct rte_mempool *pool;
static struct stk_routes *routes;
static struct stk_ctx *ctx;
static uint64_t now, tsc_ms;

/* ------------------------------------------------------------------ */
/* The application                                                      */

static struct {
	struct stk_conn *c[MAX_CONN];
	uint32_t held[MAX_CONN];
	unsigned int n;
	bool keep;
} app;

static int
slot(struct stk_conn *c)
{
	for (unsigned int i = 0; i < app.n; i++)
		if (app.c[i] == c)
			return (int)i;
	return -1;
}

static void
forget(struct stk_conn *c)
{
	int i = slot(c);

	if (i < 0)
		abort(); /* a callback for a connection the application never had */
	app.n--;
	app.c[i] = app.c[app.n];
	app.held[i] = app.held[app.n];
}

static void
remember(struct stk_conn *c)
{
	if (slot(c) >= 0)
		abort(); /* told twice */
	if (app.n == MAX_CONN)
		abort();
	app.c[app.n] = c;
	app.held[app.n] = 0;
	app.n++;
}

static const struct stk_tcp_ops ops;

static int
on_accepted(void *lctx, struct stk_conn *c)
{
	(void)lctx;
	remember(c);
	stk_conn_set_ops(c, &ops, NULL);
	return 0;
}

static void
on_connected(void *x, struct stk_conn *c)
{
	(void)x;
	if (slot(c) < 0)
		abort();
}

static void
on_data(void *x, struct stk_conn *c, struct rte_mbuf *m)
{
	int i = slot(c);
	uint32_t n = rte_pktmbuf_pkt_len(m);

	(void)x;
	if (i < 0 || n == 0)
		abort(); /* data for a stranger, or empty data */
	rte_pktmbuf_free(m);
	if (app.keep)
		app.held[i] += n;
	else
		stk_conn_consumed(c, n);
}

static void
on_writable(void *x, struct stk_conn *c)
{
	(void)x;
	if (slot(c) < 0)
		abort();
}

static void
on_peer_closed(void *x, struct stk_conn *c)
{
	(void)x;
	if (slot(c) < 0)
		abort();
}

static void
on_reset(void *x, struct stk_conn *c, int err)
{
	(void)x;
	if (slot(c) < 0 || err <= 0)
		abort();
}

static void
on_closed(void *x, struct stk_conn *c)
{
	(void)x;
	forget(c);
}

static const struct stk_tcp_ops ops = {
	.accepted = on_accepted,
	.connected = on_connected,
	.data = on_data,
	.writable = on_writable,
	.peer_closed = on_peer_closed,
	.reset = on_reset,
	.closed = on_closed,
};

static struct rte_mbuf *
payload(uint32_t n)
{
	struct rte_mbuf *head = NULL;

	while (n > 0) {
		uint32_t k = n > 2000 ? 2000 : n;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		if (m == NULL)
			abort();
		memset(rte_pktmbuf_append(m, (uint16_t)k), 0x61, k);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			abort();
		n -= k;
	}
	return head;
}

static void
act(unsigned int what)
{
	struct stk_conn *c;
	struct rte_mbuf *m;

	if (app.n == 0)
		return;
	c = app.c[app.n - 1]; /* the newest */
	switch (what) {
	case 1:
	case 2:
		m = payload(what == 1 ? 100 : 3000);
		if (stk_conn_send(c, m) != 0)
			rte_pktmbuf_free(m); /* refused: still ours */
		break;
	case 3:
		stk_conn_shutdown(c);
		break;
	case 4:
		stk_conn_close(c);
		break;
	case 5:
		stk_conn_abort(c);
		forget(c); /* no callbacks after an abort */
		break;
	case 6:
		stk_conn_consumed(c, app.held[app.n - 1]);
		app.held[app.n - 1] = 0;
		break;
	case 7:
		stk_conn_set_keepalive(c, 200000, 100000, 2);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

static void
tx_free(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	(void)arg;
	if (port_idx != 0)
		abort();
	rte_pktmbuf_free_bulk(pkts, n);
}

static size_t
put_eth_ip(uint8_t *b, uint32_t src, uint8_t proto, size_t l4_len)
{
	uint32_t sum = 0;

	memcpy(b, mac_us, 6);
	memcpy(b + 6, mac_peer, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	b += 14;
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + l4_len) >> 8);
	b[3] = (uint8_t)(20 + l4_len);
	b[6] = 0x40;
	b[8] = 64;
	b[9] = proto;
	b[12] = (uint8_t)(src >> 24);
	b[13] = (uint8_t)(src >> 16);
	b[14] = (uint8_t)(src >> 8);
	b[15] = (uint8_t)src;
	b[16] = 10;
	b[19] = 1;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8);
	b[11] = (uint8_t)~sum;
	return 34;
}

static uint16_t
cksum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
deliver(const uint8_t *f, size_t len, bool split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *tail;
	size_t cut = split ? len / 2 : len;

	if (m == NULL)
		abort();
	stk_mbuf_priv(m)->flags = 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)cut), f, cut);
	if (cut < len) {
		tail = rte_pktmbuf_alloc(pool);
		if (tail == NULL)
			abort();
		memcpy(rte_pktmbuf_append(tail, (uint16_t)(len - cut)), f + cut, len - cut);
		if (rte_pktmbuf_chain(m, tail) != 0)
			abort();
	}
	stk_input(ctx, 0, &m, 1, now);
}

static void
segment(const uint8_t *seg, size_t len, bool bad, bool split)
{
	uint8_t f[14 + 20 + 256];
	size_t off = put_eth_ip(f, PEER, 6, len);
	uint32_t ph =
		(PEER >> 16) + (PEER & 0xffff) + (US >> 16) + (US & 0xffff) + 6 + (uint32_t)len;
	uint16_t ck;

	memcpy(f + off, seg, len);
	if (len >= 18) {
		f[off + 16] = 0;
		f[off + 17] = 0;
		ck = cksum(f + off, len, ph);
		if (bad)
			ck ^= 0x0101;
		f[off + 16] = (uint8_t)(ck >> 8);
		f[off + 17] = (uint8_t)ck;
	}
	deliver(f, off + len, split);
}

static void
icmp_error(const uint8_t *seg, size_t len)
{
	uint8_t f[14 + 20 + 8 + 28];
	uint8_t *icmp = f + 34, *inner = icmp + 8;
	uint16_t ck;

	put_eth_ip(f, GW, 1, 8 + 28);
	icmp[0] = 3;
	icmp[1] = len > 8 ? (uint8_t)(seg[8] & 15) : 3;
	icmp[2] = icmp[3] = 0;
	icmp[4] = icmp[5] = 0;
	icmp[6] = len > 10 ? seg[9] : 0;
	icmp[7] = len > 10 ? seg[10] : 0;
	memset(inner, 0, 28);
	inner[0] = 0x45;
	inner[3] = 60;
	inner[8] = 64;
	inner[9] = 6;
	inner[12] = 10;
	inner[15] = 1;
	inner[16] = 10;
	inner[19] = 2;
	/* the quoted TCP header left from us: swap the record's ports */
	if (len >= 8) {
		inner[20] = seg[2];
		inner[21] = seg[3];
		inner[22] = seg[0];
		inner[23] = seg[1];
		memcpy(inner + 24, seg + 4, 4);
	}
	ck = cksum(icmp, 8 + 28, 0);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;
	deliver(f, sizeof(f), false);
}

/* ------------------------------------------------------------------ */
/* Context and checks                                                   */

static void
make_ctx(uint8_t setup)
{
	struct stk_listener *l;
	struct stk_conn *c;
	struct stk_conf conf;
	uint8_t arp[42];

	memset(&conf, 0, sizeof(conf));
	conf.n_workers = 1;
	conf.socket = SOCKET_ID_ANY;
	conf.pool = pool;
	conf.n_ports = 1;
	memcpy(conf.ports[0].mac.addr_bytes, mac_us, 6);
	conf.ports[0].mtu = 1500;
	conf.ports[0].addrs[0] = US;
	conf.ports[0].plens[0] = 24;
	conf.ports[0].n_addrs = 1;
	conf.arp = (struct stk_arp_conf){.cache_size = 8,
					 .pending_max = 4,
					 .retries = 3,
					 .retry_ms = 100,
					 .reachable_ms = 1000000000,
					 .failed_ms = 500};
	stk_tcp_conf_defaults(&conf.tcp);
	conf.tcp.max_conns = MAX_CONN;
	conf.tcp.max_listeners = 2;
	conf.tcp.rcv_buf = 16384;
	conf.tcp.snd_buf = 32768;
	conf.tcp.worker_mem_max = 1 << 20;
	conf.tcp.ooo_max = 8;
	conf.tcp.msl_us = 1000000;
	conf.tcp.rto_min_us = 10000;
	conf.tcp.rto_max_us = 2000000;
	conf.tcp.syn_retries = 3;
	conf.tcp.fin_wait2_us = 5000000;
	conf.tcp.eph_port_min = conf.tcp.eph_port_max = EPH;
	if (setup & 2)
		conf.tcp.opt_wscale = conf.tcp.opt_timestamps = conf.tcp.opt_sack = false;
	if (setup & 8)
		conf.tcp.delack_us = 0;
	if (setup & 16)
		conf.tcp.syn_backlog = 1;
	if (setup & 32)
		conf.tcp.syncookies = false;
	conf.tx = tx_free;
	ctx = stk_create(&conf);
	if (ctx == NULL)
		abort();
	stk_set_routes(ctx, routes);
	stk_tcp_test_fix_isn(ctx, ISN);
	stk_tcp_test_cookie_key(ctx, COOKIE_K0, COOKIE_K1);
	stk_poll(ctx, now);
	/* the peer's MAC, from its ARP request */
	memset(arp, 0, sizeof(arp));
	memset(arp, 0xff, 6);
	memcpy(arp + 6, mac_peer, 6);
	arp[12] = 0x08;
	arp[13] = 0x06;
	arp[15] = 1;
	arp[16] = 0x08;
	arp[18] = 6;
	arp[19] = 4;
	arp[21] = 1;
	memcpy(arp + 22, mac_peer, 6);
	arp[28] = 10;
	arp[31] = 2;
	arp[38] = 10;
	arp[41] = 1;
	deliver(arp, sizeof(arp), false);
	if (stk_tcp_listen(ctx, 0, 80, &ops, NULL, &l) != 0)
		abort();
	memset(&app, 0, sizeof(app));
	app.keep = (setup & 4) != 0;
	if (setup & 1) {
		if (stk_tcp_connect(ctx, 0, PEER, 443, &ops, NULL, &c) != 0)
			abort();
		remember(c);
	}
	stk_flush(ctx);
}

static void
check_pool(void)
{
	struct stk_mbuf_usage u;
	uint64_t held;

	stk_mbuf_usage(ctx, &u);
	held = u.snd_queue + u.rcv_queue + u.ooo + u.arp_pending;
	if (rte_mempool_in_use_count(pool) != held) {
		fprintf(stderr, "fuzz_tcp: %u mbufs in use, the stack holds %llu\n",
			rte_mempool_in_use_count(pool), (unsigned long long)held);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ut_eal_init("fuzz_tcp") < 0) {
		fprintf(stderr, "fuzz_tcp: EAL init failed\n");
		abort();
	}
	pool = ut_pool("fuzz_tcp_pool", 4095);
	routes = stk_routes_create("fuzz_tcp_rt", 4, SOCKET_ID_ANY);
	if (pool == NULL || routes == NULL || stk_routes_add(routes, 0x0a000000, 24, 0, 0) != 0 ||
	    stk_routes_add(routes, 0, 0, GW, 0) != 0) {
		fprintf(stderr, "fuzz_tcp: setup failed\n");
		abort();
	}
	tsc_ms = rte_get_tsc_hz() / 1000;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t step_ms[4] = {0, 1, 100, 3000};
	size_t i = 1;

	if (size < 1)
		return 0;
	now = 1000 * tsc_ms;
	make_ctx(data[0]);
	while (i + 2 <= size) {
		uint8_t ctl = data[i], len = data[i + 1];
		const uint8_t *seg = data + i + 2;

		if ((size_t)len > size - i - 2)
			len = (uint8_t)(size - i - 2);
		i += 2 + (size_t)len;
		now += step_ms[ctl & 3] * tsc_ms;
		stk_poll(ctx, now);
		if (ctl & 0x80)
			icmp_error(seg, len);
		else
			segment(seg, len, (ctl & 4) != 0, (ctl & 8) != 0 && len > 1);
		act((ctl >> 4) & 7);
		stk_flush(ctx);
		check_pool();
	}
	/* let every timer run out: retransmissions give up (rto_max 2 s,
	 * 15 tries), TIME-WAIT ends; big steps keep the wheel walk short */
	for (int k = 0; k < 40; k++) {
		now += 1000 * tsc_ms;
		stk_poll(ctx, now);
		stk_flush(ctx);
	}
	check_pool();
	stk_free(ctx);
	ctx = NULL;
	if (rte_mempool_in_use_count(pool) != 0) {
		fprintf(stderr, "fuzz_tcp: %u mbufs leaked\n", rte_mempool_in_use_count(pool));
		abort();
	}
	return 0;
}

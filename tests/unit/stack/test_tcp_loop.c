/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_loop.c - two stack contexts in one process, a client (10.0.0.1)
 * and a server (10.0.0.2), wired tx -> rx through a simulated link with a
 * virtual clock, latency, and injected loss, jitter (reordering) and
 * duplication. The server echoes: it sends the very mbufs it receives back
 * (zero copy, refcounts shared between both contexts' queues). The client
 * checks every byte it gets back against the stream it sent and a hash of
 * both. Afterwards: no connection left, nothing held by any queue, and the
 * pool's in-use count back at its baseline.
 */
#include "ut_tcp.h"

#define US_PER_STEP 100
#define WIRE_MAX    8192
#define POOL_SIZE   16383
#define SRV_PORT    5001
#define PEND_MAX    4096

static struct rte_mempool *pool;
static struct stk_routes *routes;
static uint64_t now, tsc_us;

/* ------------------------------------------------------------------ */
/* The link                                                             */

struct wire {
	struct rte_mbuf *m[WIRE_MAX];
	uint64_t at[WIRE_MAX];
	unsigned int n;
	unsigned int loss_pct, dup_pct, jitter_pct;
	uint64_t lat_us;
	uint64_t sent, lost;
};

struct node {
	struct stk_ctx *ctx;
	struct wire *out;
};

static struct wire w_ab, w_ba;
static struct node na, nb;
static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
wire_put(struct wire *w, struct rte_mbuf *m, uint64_t delay_us)
{
	if (w->n == WIRE_MAX) {
		rte_pktmbuf_free(m);
		w->lost++;
		return;
	}
	w->m[w->n] = m;
	w->at[w->n] = now + delay_us * tsc_us;
	w->n++;
}

static bool
is_ip(const struct rte_mbuf *m)
{
	uint8_t b[14];
	const uint8_t *p = rte_pktmbuf_read(m, 0, 14, b);

	return p != NULL && p[12] == 0x08 && p[13] == 0x00;
}

static void
tx(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	struct node *nd = arg;
	struct wire *w = nd->out;

	assert_int_equal(port_idx, 0);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t delay = w->lat_us;

		w->sent++;
		if (is_ip(m) && rnd() % 100 < w->loss_pct) {
			w->lost++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (is_ip(m) && rnd() % 100 < w->dup_pct) {
			struct rte_mbuf *d = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);

			if (d != NULL)
				wire_put(w, d, delay + 1);
		}
		if (rnd() % 100 < w->jitter_pct)
			delay += rnd() % (3 * w->lat_us + 1);
		wire_put(w, m, delay);
	}
}

/* Hands every due frame to ctx, oldest first. */
static void
wire_deliver(struct wire *w, struct stk_ctx *ctx, bool all)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < w->n; i++) {
		if (all || w->at[i] <= now) {
			struct rte_mbuf *m = w->m[i];

			stk_mbuf_priv(m)->flags = 0;
			m->ol_flags = 0;
			stk_input(ctx, 0, &m, 1, now);
		} else {
			w->m[k] = w->m[i];
			w->at[k] = w->at[i];
			k++;
		}
	}
	w->n = k;
}

/* ------------------------------------------------------------------ */
/* The byte stream                                                      */

struct stream {
	uint32_t x;
	uint64_t hash; /* FNV-1a */
	uint64_t n;
};

static uint8_t
stream_next(struct stream *s)
{
	uint8_t b;

	s->x = s->x * 1103515245u + 12345u;
	b = (uint8_t)(s->x >> 16);
	s->hash = (s->hash ^ b) * 1099511628211ull;
	s->n++;
	return b;
}

static void
stream_init(struct stream *s, uint32_t seed)
{
	s->x = seed;
	s->hash = 1469598103934665603ull;
	s->n = 0;
}

/* ------------------------------------------------------------------ */
/* Client: sends a stream, checks the echo                              */

struct client {
	struct stk_conn *c;
	struct stream gen, check;
	uint64_t total, queued;
	struct rte_mbuf *pending; /* a chain send refused */
	bool blocked, shut, connected, peer_closed, closed;
	int err;
	uint64_t rx;
	unsigned int max_chunk;
};

static struct client cl;

static void
cl_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	(void)ctx;
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		for (uint16_t i = 0; i < s->data_len; i++) {
			uint8_t want = stream_next(&cl.check);

			if (p[i] != want)
				fail_msg("echo byte %llu: got %02x want %02x",
					 (unsigned long long)cl.check.n - 1, p[i], want);
		}
	}
	cl.rx += len;
	rte_pktmbuf_free(m);
	stk_conn_consumed(c, len);
}

static void
cl_connected(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	cl.connected = true;
}

static void
cl_writable(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	cl.blocked = false;
}

static void
cl_peer_closed(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	cl.peer_closed = true;
}

static void
cl_reset(void *ctx, struct stk_conn *c, int err)
{
	(void)ctx;
	(void)c;
	cl.err = err;
}

static void
cl_closed(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	cl.closed = true;
	cl.c = NULL;
}

static const struct stk_tcp_ops cl_ops = {
	.connected = cl_connected,
	.data = cl_data,
	.writable = cl_writable,
	.peer_closed = cl_peer_closed,
	.reset = cl_reset,
	.closed = cl_closed,
};

/* A chain of n stream bytes in segments of at most seg bytes. */
static struct rte_mbuf *
make_chain(uint32_t n, uint32_t seg)
{
	struct rte_mbuf *head = NULL, *last = NULL;

	while (n > 0) {
		uint32_t k = RTE_MIN(n, seg);
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p;

		if (m == NULL)
			break;
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
		for (uint32_t i = 0; i < k; i++)
			p[i] = stream_next(&cl.gen);
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		last = m;
		n -= k;
	}
	return head;
}

static void
cl_push(void)
{
	while (cl.c != NULL && cl.connected && !cl.blocked && !cl.shut) {
		int rc;

		if (cl.pending == NULL) {
			uint32_t n;

			if (cl.queued == cl.total) {
				assert_int_equal(stk_conn_shutdown(cl.c), 0);
				cl.shut = true;
				return;
			}
			n = 1 + rnd() % cl.max_chunk;
			n = (uint32_t)RTE_MIN((uint64_t)n, cl.total - cl.queued);
			cl.pending = make_chain(n, 1 + rnd() % 2048);
			if (cl.pending == NULL)
				return; /* pool dry for now: the peer's ACKs free some */
			cl.queued += rte_pktmbuf_pkt_len(cl.pending);
		}
		rc = stk_conn_send(cl.c, cl.pending);
		if (rc == -EAGAIN) {
			cl.blocked = true;
			return;
		}
		assert_int_equal(rc, 0);
		cl.pending = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Server: echoes what it gets, in the same mbufs                       */

struct server {
	struct stk_conn *c;
	struct rte_mbuf *pend[PEND_MAX];
	unsigned int n_pend;
	bool peer_closed, closed, close_sent;
	unsigned int accepted;
	uint64_t echoed;
};

static struct server sv;
static const struct stk_tcp_ops sv_ops;

static void sv_flush(void);

static int
sv_accepted(void *lctx, struct stk_conn *c)
{
	(void)lctx;
	sv.c = c;
	sv.accepted++;
	stk_conn_set_ops(c, &sv_ops, &sv);
	return 0;
}

static void
sv_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	(void)ctx;
	(void)c;
	assert_true(sv.n_pend < PEND_MAX);
	sv.pend[sv.n_pend++] = m;
	sv_flush();
}

static void
sv_flush(void)
{
	unsigned int i = 0;

	while (sv.c != NULL && i < sv.n_pend) {
		uint32_t len = rte_pktmbuf_pkt_len(sv.pend[i]);
		int rc = stk_conn_send(sv.c, sv.pend[i]);

		if (rc == -EAGAIN)
			break;
		assert_int_equal(rc, 0);
		sv.echoed += len;
		i++;
		stk_conn_consumed(sv.c, len); /* the window opens as the echo goes out */
	}
	memmove(sv.pend, sv.pend + i, (sv.n_pend - i) * sizeof(sv.pend[0]));
	sv.n_pend -= i;
	if (sv.c != NULL && sv.n_pend == 0 && sv.peer_closed && !sv.close_sent) {
		sv.close_sent = true;
		assert_int_equal(stk_conn_close(sv.c), 0);
	}
}

static void
sv_writable(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	sv_flush();
}

static void
sv_peer_closed(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	sv.peer_closed = true;
	sv_flush();
}

static void
sv_closed(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
	sv.closed = true;
	sv.c = NULL;
	for (unsigned int i = 0; i < sv.n_pend; i++)
		rte_pktmbuf_free(sv.pend[i]);
	sv.n_pend = 0;
}

static const struct stk_tcp_ops sv_ops = {
	.accepted = sv_accepted,
	.data = sv_data,
	.writable = sv_writable,
	.peer_closed = sv_peer_closed,
	.closed = sv_closed,
};

/* ------------------------------------------------------------------ */
/* Set-up and the loop                                                  */

static struct stk_ctx *
make_node(struct node *nd, struct wire *out, uint8_t last, uint32_t addr,
	  const struct stk_tcp_conf *tc)
{
	struct stk_conf c;

	memset(&c, 0, sizeof(c));
	c.worker_id = 0;
	c.n_workers = 1;
	c.socket = SOCKET_ID_ANY;
	c.pool = pool;
	c.n_ports = 1;
	memcpy(c.ports[0].mac.addr_bytes, ut_mac_us, 6);
	c.ports[0].mac.addr_bytes[5] = last;
	c.ports[0].mtu = 1500;
	c.ports[0].addrs[0] = addr;
	c.ports[0].plens[0] = 24;
	c.ports[0].n_addrs = 1;
	c.arp = (struct stk_arp_conf){.cache_size = 16,
				      .pending_max = 64,
				      .retries = 10,
				      .retry_ms = 50,
				      .reachable_ms = 600000,
				      .failed_ms = 100};
	c.tcp = *tc;
	c.tx = tx;
	c.tx_arg = nd;
	nd->out = out;
	nd->ctx = stk_create(&c);
	assert_non_null(nd->ctx);
	stk_set_routes(nd->ctx, routes);
	stk_poll(nd->ctx, now); /* a worker polls before its application runs */
	return nd->ctx;
}

static void
loop_conf(struct stk_tcp_conf *t)
{
	stk_tcp_conf_defaults(t);
	t->max_conns = 256;
	t->max_listeners = 4;
	t->msl_us = 1000000;
	t->rto_min_us = 20000;
	t->delack_us = 5000; /* below the peer's RTO, or lone segments time out */
	t->rto_init_us = 100000;
	t->snd_buf = 256 * 1024;
	t->rcv_buf = 256 * 1024;
	t->worker_mem_max = 16u << 20;
}

static void
step(void)
{
	wire_deliver(&w_ab, nb.ctx, false);
	wire_deliver(&w_ba, na.ctx, false);
	stk_poll(na.ctx, now);
	stk_poll(nb.ctx, now);
	cl_push();
	stk_flush(na.ctx);
	stk_flush(nb.ctx);
	now += US_PER_STEP * tsc_us;
}

static void
dump_node(const char *name, struct stk_ctx *ctx)
{
	struct stk_conn_info i[4];
	struct stk_mbuf_usage u;
	unsigned int n = stk_tcp_dump(ctx, i, 4);

	stk_mbuf_usage(ctx, &u);
	fprintf(stderr,
		"%s: pool in use %u, snd mbufs %llu ooo %llu arp %llu, wire a->b %u b->a %u\n",
		name, rte_mempool_in_use_count(pool), (unsigned long long)u.snd_queue,
		(unsigned long long)u.ooo, (unsigned long long)u.arp_pending, w_ab.n, w_ba.n);
	for (unsigned int k = 0; k < n; k++)
		fprintf(stderr,
			"  %s cwnd %u ssthresh %u snd_wnd %u rcv_wnd %u unacked %u queued %u "
			"rto %u srtt %u in %llu out %llu rtx %llu\n",
			stk_tcp_state_name(i[k].state), i[k].cwnd, i[k].ssthresh, i[k].snd_wnd,
			i[k].rcv_wnd, i[k].unacked, i[k].snd_queued, i[k].rto_us, i[k].srtt_us,
			(unsigned long long)i[k].bytes_in, (unsigned long long)i[k].bytes_out,
			(unsigned long long)i[k].retransmits);
	for (int d = 0; d < STK_DROP_MAX; d++)
		if (stk_get_stats(ctx)->drops[d])
			fprintf(stderr, "  drop %s %llu\n", stk_drop_name(d),
				(unsigned long long)stk_get_stats(ctx)->drops[d]);
}

static void
check_clean(struct stk_ctx *ctx)
{
	struct stk_mbuf_usage u;
	struct stk_conn_info info[4];

	assert_int_equal(stk_tcp_dump(ctx, info, 4), 0);
	stk_mbuf_usage(ctx, &u);
	assert_int_equal(u.snd_queue, 0);
	assert_int_equal(u.rcv_queue, 0);
	assert_int_equal(u.ooo, 0);
	assert_int_equal(u.arp_pending, 0);
	assert_int_equal(stk_tcp_get_stats(ctx)->curr_estab, 0);
	assert_int_equal(stk_tcp_get_stats(ctx)->time_wait_count, 0);
}

struct run {
	uint64_t bytes;
	unsigned int loss_pct, jitter_pct, dup_pct;
	unsigned int max_chunk;
	uint64_t max_sim_s;
	bool ts, ws, sack;
};

static void
run_echo(const struct run *r)
{
	unsigned int baseline = rte_mempool_in_use_count(pool);
	struct stk_listener *l;
	struct stk_tcp_conf tc;
	struct stream ref;
	uint64_t limit;

	memset(&cl, 0, sizeof(cl));
	memset(&sv, 0, sizeof(sv));
	memset(&w_ab, 0, sizeof(w_ab));
	memset(&w_ba, 0, sizeof(w_ba));
	w_ab.lat_us = w_ba.lat_us = 1000;
	w_ab.loss_pct = w_ba.loss_pct = r->loss_pct;
	w_ab.jitter_pct = w_ba.jitter_pct = r->jitter_pct;
	w_ab.dup_pct = w_ba.dup_pct = r->dup_pct;
	loop_conf(&tc);
	tc.opt_timestamps = r->ts;
	tc.opt_wscale = r->ws;
	tc.opt_sack = r->sack;
	now = 1000 * 1000 * tsc_us;
	make_node(&na, &w_ab, 0x0a, UT_US, &tc);
	make_node(&nb, &w_ba, 0x0b, UT_PEER, &tc);
	assert_int_equal(stk_tcp_listen(nb.ctx, 0, SRV_PORT, &sv_ops, &sv, &l), 0);

	stream_init(&cl.gen, 777);
	stream_init(&cl.check, 777);
	cl.total = r->bytes;
	cl.max_chunk = r->max_chunk;
	assert_int_equal(stk_tcp_connect(na.ctx, 0, UT_PEER, SRV_PORT, &cl_ops, &cl, &cl.c), 0);

	limit = now + r->max_sim_s * 1000000 * tsc_us;
	while (!(cl.closed && sv.closed) && now < limit)
		step();
	if (!(cl.closed && sv.closed)) {
		dump_node("client", na.ctx);
		dump_node("server", nb.ctx);
	}
	if (!(cl.closed && sv.closed))
		fail_msg("not done: client rx %llu/%llu queued %llu closed %d/%d err %d, server "
			 "echoed %llu pend %u",
			 (unsigned long long)cl.rx, (unsigned long long)cl.total,
			 (unsigned long long)cl.queued, cl.closed, sv.closed, cl.err,
			 (unsigned long long)sv.echoed, sv.n_pend);
	if (getenv("UT_VERBOSE") != NULL) {
		const struct stk_tcp_stats *sa = stk_tcp_get_stats(na.ctx);
		const struct stk_tcp_stats *sb = stk_tcp_get_stats(nb.ctx);

		fprintf(stderr,
			"  sim %.3f s; client segs out %llu rtx %llu fast %llu rto %llu ooo %llu "
			"dup "
			"%llu; server segs out %llu rtx %llu fast %llu rto %llu ooo %llu dup %llu; "
			"lost %llu/%llu\n",
			(double)(now - (limit - r->max_sim_s * 1000000 * tsc_us)) / (1e6 * tsc_us),
			(unsigned long long)sa->segs_out, (unsigned long long)sa->retrans_segs,
			(unsigned long long)sa->fast_retransmits,
			(unsigned long long)sa->rto_expiries, (unsigned long long)sa->ooo_segments,
			(unsigned long long)sa->dup_segments, (unsigned long long)sb->segs_out,
			(unsigned long long)sb->retrans_segs,
			(unsigned long long)sb->fast_retransmits,
			(unsigned long long)sb->rto_expiries, (unsigned long long)sb->ooo_segments,
			(unsigned long long)sb->dup_segments,
			(unsigned long long)(w_ab.lost + w_ba.lost),
			(unsigned long long)(w_ab.sent + w_ba.sent));
	}
	assert_int_equal(cl.err, 0);
	assert_int_equal(cl.rx, r->bytes);
	assert_true(cl.peer_closed);
	assert_int_equal(sv.accepted, 1);
	/* the same stream both ways: generator and checker agree byte for byte */
	stream_init(&ref, 777);
	for (uint64_t i = 0; i < r->bytes; i++)
		stream_next(&ref);
	assert_true(ref.hash == cl.check.hash);
	assert_true(cl.gen.hash == cl.check.hash);

	/* TIME-WAIT (2 MSL) drains, stray segments die */
	for (int i = 0; i < 30000; i++)
		step();
	wire_deliver(&w_ab, nb.ctx, true);
	wire_deliver(&w_ba, na.ctx, true);
	for (int i = 0; i < 10; i++)
		step();
	wire_deliver(&w_ab, nb.ctx, true);
	wire_deliver(&w_ba, na.ctx, true);
	check_clean(na.ctx);
	check_clean(nb.ctx);
	/* every mbuf is back while both contexts still live */
	assert_int_equal(rte_mempool_in_use_count(pool), baseline);
	if (r->loss_pct == 0 && r->jitter_pct == 0 && r->dup_pct == 0) {
		/* a clean link: nothing may be sent twice */
		assert_int_equal(stk_tcp_get_stats(na.ctx)->retrans_segs, 0);
		assert_int_equal(stk_tcp_get_stats(nb.ctx)->retrans_segs, 0);
		assert_int_equal(stk_tcp_get_stats(na.ctx)->dup_segments, 0);
	}
	if (r->loss_pct > 0) {
		const struct stk_tcp_stats *sa = stk_tcp_get_stats(na.ctx);
		const struct stk_tcp_stats *sb = stk_tcp_get_stats(nb.ctx);

		assert_true(sa->retrans_segs + sb->retrans_segs > 0);
		assert_true(sa->fast_retransmits + sb->fast_retransmits > 0);
	}
	stk_tcp_unlisten(nb.ctx, l);
	stk_free(na.ctx);
	stk_free(nb.ctx);
	assert_int_equal(rte_mempool_in_use_count(pool), baseline);
}

static void
test_echo_clean(void **state)
{
	struct run r = {.bytes = 4 << 20,
			.max_chunk = 6000,
			.max_sim_s = 30,
			.ts = true,
			.ws = true,
			.sack = true};

	(void)state;
	run_echo(&r);
}

static void
test_echo_no_options(void **state)
{
	struct run r = {.bytes = 1 << 20, .max_chunk = 3000, .max_sim_s = 60};

	(void)state;
	run_echo(&r);
}

static void
test_echo_loss(void **state)
{
	struct run r = {.bytes = 2 << 20,
			.loss_pct = 2,
			.max_chunk = 6000,
			.max_sim_s = 300,
			.ts = true,
			.ws = true,
			.sack = true};

	(void)state;
	run_echo(&r);
}

static void
test_echo_loss_no_ts(void **state)
{
	struct run r = {
		.bytes = 1 << 20, .loss_pct = 3, .max_chunk = 6000, .max_sim_s = 300, .ws = true};

	(void)state;
	run_echo(&r);
}

static void
test_echo_reorder_dup(void **state)
{
	struct run r = {.bytes = 2 << 20,
			.jitter_pct = 25,
			.dup_pct = 1,
			.loss_pct = 1,
			.max_chunk = 6000,
			.max_sim_s = 300,
			.ts = true,
			.ws = true};

	(void)state;
	run_echo(&r);
}

static void
test_echo_small_writes(void **state)
{
	/* 1..64-byte sends: many tiny mbufs, truesize accounting, coalescing on tx */
	struct run r = {
		.bytes = 256 << 10, .max_chunk = 64, .max_sim_s = 120, .ts = true, .ws = true};

	(void)state;
	run_echo(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_clean),	 cmocka_unit_test(test_echo_no_options),
		cmocka_unit_test(test_echo_loss),	 cmocka_unit_test(test_echo_loss_no_ts),
		cmocka_unit_test(test_echo_reorder_dup), cmocka_unit_test(test_echo_small_writes),
	};
	int rc;

	if (ut_eal_init_mem("test_tcp_loop", 384) < 0)
		return 1;
	pool = ut_pool("loop_pool", POOL_SIZE);
	routes = stk_routes_create("loop_rt", 4, SOCKET_ID_ANY);
	if (pool == NULL || routes == NULL ||
	    stk_routes_add(routes, UT_IP(10, 0, 0, 0), 24, 0, 0) != 0)
		return 1;
	ut.pool = pool;
	tsc_us = rte_get_tsc_hz() / 1000000;
	rc = cmocka_run_group_tests_name("test_tcp_loop", tests, NULL, NULL);
	stk_routes_free(routes);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}

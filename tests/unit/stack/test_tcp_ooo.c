/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_ooo.c - the out-of-order queue through crafted segments: holes
 * filled in any order, overlaps trimmed against held data, entries replaced
 * by data covering them, duplicates, the ooo_max bound (and which entry
 * gives way), a FIN beyond a hole, a hole across 2^32, memory accounting;
 * and the chain helpers that trim across segments.
 */
#include "ut_tcp.h"

static uint8_t stream[4096];
static struct ut_peer p;
static uint32_t base; /* the peer's first data sequence number */

static void
send_range(uint32_t from, uint32_t to)
{
	ut_peer_raw(&p, TCP_ACK, base + from, p.rcv_nxt, stream + from, to - from);
}

static int
ooo_setup(void **state)
{
	ut_tcp_setup(state);
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 13 + (i >> 8));
	memset(&p, 0, sizeof(p));
	return 0;
}

static void
open_conn(uint32_t isn)
{
	p.snd_nxt = isn;
	ut_passive_open(&p);
	base = p.snd_nxt;
	ut_tx_clear();
}

static void
assert_rx(size_t n)
{
	assert_int_equal(app.rx_len, n);
	assert_memory_equal(app.rx, stream, n);
}

static void
assert_last_ack(uint32_t off)
{
	struct ut_out o;

	ut_tcp_last(&o);
	assert_int_equal(o.ack, base + off);
}

static void
test_hole_filled(void **state)
{
	struct stk_mbuf_usage u;

	(void)state;
	open_conn(1000);
	send_range(100, 200);
	assert_int_equal(app.rx_len, 0);
	assert_int_equal(ut.n_tx, 1); /* a dupack at once */
	assert_last_ack(0);
	assert_int_equal(ut_tcp_stats()->ooo_segments, 1);
	stk_mbuf_usage(ut.ctx, &u);
	assert_int_equal(u.ooo, 1);
	send_range(0, 100);
	assert_rx(200);
	assert_int_equal(ut.n_tx, 2); /* filling a hole: ACK at once too */
	assert_last_ack(200);
	stk_mbuf_usage(ut.ctx, &u);
	assert_int_equal(u.ooo, 0);
	assert_int_equal(app.c->ooo_n, 0);
	assert_int_equal(ut.ctx->tcp->mem, 0);
}

/* The filled range reaches the application as one chain, with rcv_nxt past
 * all of it: what the application sends from its callback ACKs everything
 * (a piecewise ACK would hand a Linux sender RTT samples of its timeout). */
static void
test_fill_delivered_at_once(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(100, 200);
	send_range(300, 400);
	send_range(200, 300);
	send_range(500, 600);
	assert_int_equal(app.data, 0);
	send_range(0, 100);
	assert_int_equal(app.data, 1);
	assert_int_equal(app.rcv_nxt_in_data, base + 400);
	assert_rx(400);
	assert_last_ack(400);
	send_range(400, 500);
	assert_int_equal(app.data, 2);
	assert_int_equal(app.rcv_nxt_in_data, base + 600);
	assert_rx(600);
	assert_last_ack(600);
	assert_int_equal(app.c->ooo_n, 0);
	assert_int_equal(ut.ctx->tcp->mem, 0);
}

static void
test_overlaps_merged(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(200, 300);
	send_range(400, 500);
	send_range(250, 450); /* overlaps both: only [300, 400) is new */
	assert_int_equal(app.c->ooo_n, 3);
	send_range(150, 260);
	send_range(480, 700);
	assert_int_equal(app.rx_len, 0);
	send_range(0, 160);
	assert_rx(700);
	assert_int_equal(app.c->ooo_n, 0);
	assert_last_ack(700);
}

static void
test_entry_replaced(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(200, 300);
	send_range(320, 340);
	send_range(150, 350); /* covers both */
	assert_int_equal(app.c->ooo_n, 1);
	send_range(0, 150);
	assert_rx(350);
}

static void
test_duplicate_ooo(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(200, 300);
	send_range(200, 300);
	send_range(220, 280);
	assert_int_equal(app.c->ooo_n, 1);
	assert_int_equal(ut_tcp_stats()->dup_segments, 2);
	send_range(0, 200);
	assert_rx(300);
}

static void
test_in_order_overtakes_entries(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(100, 150);
	send_range(200, 250);
	/* one in-order segment covering both entries and more */
	send_range(0, 300);
	assert_rx(300);
	assert_int_equal(app.c->ooo_n, 0);
	assert_int_equal(ut.ctx->tcp->ooo_mbufs, 0);
}

static void
test_bound(void **state)
{
	(void)state;
	open_conn(1000); /* ooo_max 8 */
	for (uint32_t i = 0; i < 10; i++)
		send_range(200 + 100 * i, 250 + 100 * i);
	assert_int_equal(app.c->ooo_n, 8);
	assert_int_equal(ut_tcp_stats()->ooo_drops, 2);
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_OOO_FULL], 2);
	/* lower data is worth more: the highest entry gives way */
	send_range(120, 130);
	assert_int_equal(app.c->ooo_n, 8);
	assert_int_equal(ut_tcp_stats()->ooo_drops, 3);
	send_range(0, 120);
	assert_rx(130);
	/* what was kept is delivered once its hole fills */
	send_range(130, 1100);
	assert_rx(1100);
	assert_int_equal(app.c->ooo_n, 0);
}

static void
test_bound_zero(void **state)
{
	(void)state;
	ut.conf.tcp.ooo_max = 0;
	ut_tcp_restart();
	open_conn(1000);
	send_range(100, 200);
	assert_int_equal(app.c->ooo_n, 0);
	assert_int_equal(ut_tcp_stats()->ooo_drops, 1);
	send_range(0, 200);
	assert_rx(200);
}

static void
test_fin_beyond_hole(void **state)
{
	(void)state;
	open_conn(1000);
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, base + 100, p.rcv_nxt, stream + 100, 100);
	assert_int_equal(app.peer_closed, 0);
	send_range(0, 100);
	assert_rx(200);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.c->state, STK_TCP_CLOSE_WAIT);
	assert_last_ack(201);
}

static void
test_bare_fin_beyond_hole(void **state)
{
	(void)state;
	open_conn(1000);
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, base + 100, p.rcv_nxt, NULL, 0);
	assert_int_equal(app.peer_closed, 0);
	send_range(0, 100);
	assert_int_equal(app.peer_closed, 1);
	assert_last_ack(101);
}

static void
test_hole_across_wrap(void **state)
{
	(void)state;
	open_conn(0xffffffff - 150);
	/* base = 2^32 - 150: the hole [100, 200) spans the wrap */
	send_range(200, 400);
	send_range(150, 210);
	send_range(0, 100);
	assert_rx(100);
	send_range(100, 150);
	assert_rx(400);
	assert_int_equal(app.c->rcv_nxt, base + 400);
}

static void
test_close_in_data_with_ooo(void **state)
{
	struct ut_out o;

	(void)state;
	open_conn(1000);
	send_range(100, 200);
	app.close_in_data = true;
	/* the fill and the queued rest are delivered together; the
	 * application closes in its callback: no reset */
	send_range(0, 100);
	assert_int_equal(app.data, 1);
	assert_rx(200);
	ut_tcp_last(&o);
	assert_false(o.flags & TCP_RST);
	assert_int_equal(ut_conns(), 1);
	/* what follows would go to nobody: reset */
	send_range(200, 300);
	assert_int_equal(app.data, 1);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_DATA_CLOSED], 1);
}

static void
test_abort_with_ooo(void **state)
{
	(void)state;
	open_conn(1000);
	send_range(100, 200);
	send_range(300, 400);
	assert_true(ut.ctx->tcp->mem > 0);
	stk_conn_abort(app.c);
	assert_int_equal(ut.ctx->tcp->mem, 0);
	assert_int_equal(ut.ctx->tcp->ooo_mbufs, 0);
	/* teardown checks the pool */
}

/* ------------------------------------------------------------------ */
/* Chain helpers                                                        */

static struct rte_mbuf *
chain(const uint16_t *lens, unsigned int n)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = ut_mbuf(stream + off, lens[i]);

		off += lens[i];
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

static void
assert_chain(struct rte_mbuf *m, size_t from, size_t len)
{
	uint8_t b[4096];
	const void *d;

	assert_int_equal(rte_pktmbuf_pkt_len(m), len);
	d = rte_pktmbuf_read(m, 0, (uint32_t)len, b);
	assert_non_null(d);
	assert_memory_equal(d, stream + from, len);
	{
		uint32_t sum = 0;
		uint16_t segs = 0;

		for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
			sum += s->data_len;
			segs++;
		}
		assert_int_equal(sum, len);
		assert_int_equal(segs, m->nb_segs);
	}
}

static void
test_trim_front(void **state)
{
	static const uint16_t lens[] = {10, 20, 30};
	struct rte_mbuf *m;

	(void)state;
	m = tcp_mbuf_trim_front(chain(lens, 3), 5);
	assert_chain(m, 5, 55);
	m = tcp_mbuf_trim_front(m, 5); /* exactly the first segment */
	assert_chain(m, 10, 50);
	assert_int_equal(m->nb_segs, 2);
	m = tcp_mbuf_trim_front(m, 35); /* into the last one */
	assert_chain(m, 45, 15);
	assert_int_equal(m->nb_segs, 1);
	m = tcp_mbuf_trim_front(m, 15);
	assert_int_equal(m->pkt_len, 0);
	rte_pktmbuf_free(m);
}

static void
test_trim_back(void **state)
{
	static const uint16_t lens[] = {10, 20, 30};
	struct rte_mbuf *m = chain(lens, 3);

	(void)state;
	tcp_mbuf_trim_back(m, 5);
	assert_chain(m, 0, 55);
	tcp_mbuf_trim_back(m, 25); /* the last segment goes */
	assert_chain(m, 0, 30);
	assert_int_equal(m->nb_segs, 2);
	tcp_mbuf_trim_back(m, 29);
	assert_chain(m, 0, 1);
	assert_int_equal(m->nb_segs, 1);
	tcp_mbuf_trim_back(m, 100);
	assert_int_equal(m->pkt_len, 0);
	rte_pktmbuf_free(m);
}

static void
test_segmented_input(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m, *tail;

	(void)state;
	open_conn(1000);
	/* a segment whose TCP header straddles two mbufs */
	ut_tcp_frame(&f, &(struct ut_seg){.sport = p.port,
					  .dport = p.lport,
					  .seq = base,
					  .ack = p.rcv_nxt,
					  .flags = TCP_ACK,
					  .wnd = 65535,
					  .data = stream,
					  .len = 300});
	m = ut_mbuf(f.b, 14 + 20 + 7);
	tail = ut_mbuf(f.b + 41, f.len - 41);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	assert_rx(300);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ooo_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hole_filled),
		T(test_fill_delivered_at_once),
		T(test_overlaps_merged),
		T(test_entry_replaced),
		T(test_duplicate_ooo),
		T(test_in_order_overtakes_entries),
		T(test_bound),
		T(test_bound_zero),
		T(test_fin_beyond_hole),
		T(test_bare_fin_beyond_hole),
		T(test_hole_across_wrap),
		T(test_close_in_data_with_ooo),
		T(test_abort_with_ooo),
		T(test_trim_front),
		T(test_trim_back),
		T(test_segmented_input),
	};

	return ut_main("test_tcp_ooo", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_edges.c - corner cases: ACKs carried by data that meets our
 * closed window, a timeout while the peer's window is closed, shutdown
 * before the handshake ends, close after shutdown, a second FIN, the
 * out-of-order queue refused by worker memory, a RST after a simultaneous
 * open, an application without a data callback, empty mbufs in a chain,
 * the sequence number of ACKs and RSTs once the peer's window shrank below
 * what we sent into it.
 */
#include "ut_tcp.h"

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

static void
test_ack_in_data_at_zero_window(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[500] = {0};
	struct ut_out o;

	(void)state;
	ut.conf.tcp.rcv_buf = 1000;
	ut_tcp_restart();
	app.keep = true;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK, b, 500);
	ut_peer_send(&p, TCP_ACK, b, 500);
	assert_int_equal(app.c->rcv_adv, app.c->rcv_nxt); /* our window is shut */
	assert_int_equal(ut_send(app.c, ut_data_mbuf(100, 0)), 0);
	ut_tx_clear();
	/* the peer probes our window with data that also acks ours */
	p.rcv_nxt += 100;
	ut_peer_send(&p, TCP_ACK, b, 10);
	assert_int_equal(drops(STK_DROP_TCP_OUT_OF_WINDOW), 1);
	assert_int_equal(app.rx_len, 1000);		  /* the data was not taken ... */
	assert_int_equal(app.c->snd_una, app.c->snd_max); /* ... its ACK was */
	assert_false(tcp_timer_armed(app.c, TCP_T_RTX));
	ut_tcp_last(&o);
	assert_int_equal(o.wnd, 0);
	assert_int_equal(o.ack, p.snd_nxt - 10);
}

static void
test_rto_into_closed_window(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(500, 0)), 0);
	/* the peer shuts its window without acking: what is in flight may be
	 * lost, and nothing new fits */
	p.wnd = 0;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tx_clear();
	ut_advance_ms(250);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 1);
	/* nothing fits: probing takes over from retransmitting */
	assert_false(tcp_timer_armed(app.c, TCP_T_RTX));
	assert_true(tcp_timer_armed(app.c, TCP_T_PERSIST));
	ut_advance_ms(500);
	assert_true(ut_tcp_stats()->zero_window_probes >= 1);
	/* the window opens: the data goes again and is acked */
	p.wnd = 65535;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	p.rcv_nxt += 500;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->snd_una, app.c->snd_max);
}

static void
test_shutdown_in_syn_sent(void **state)
{
	struct ut_peer p = {0};
	struct stk_conn *c;
	struct ut_out o;

	(void)state;
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &c), 0);
	app.c = c;
	assert_int_equal(ut_send(c, ut_data_mbuf(50, 3)), 0); /* queued before the handshake */
	assert_int_equal(stk_conn_shutdown(c), 0);
	ut_tcp_out(0, &o);
	p = (struct ut_peer){
		.port = 443, .lport = o.sport, .rcv_nxt = o.seq + 1, .snd_nxt = 77, .wnd = 65535};
	ut_tx_clear();
	ut_peer_send(&p, TCP_SYN | TCP_ACK, NULL, 0);
	assert_int_equal(app.connected, 1);
	assert_int_equal(c->state, STK_TCP_FIN_WAIT_1);
	/* the data, then the FIN, right after the handshake's ACK */
	ut_tcp_last(&o);
	assert_int_equal(o.len, 50);
	assert_true(o.flags & TCP_FIN);
	assert_int_equal(ut_tcp_stats()->curr_estab, 0);
}

static void
test_close_after_shutdown(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.fin_wait2_us = 1000000;
	ut_tcp_restart();
	ut_passive_open(&p);
	assert_int_equal(stk_conn_shutdown(app.c), 0);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_2);
	/* half-closed: no timeout until the application closes too */
	ut_advance_ms(2000);
	assert_int_equal(app.closed, 0);
	assert_int_equal(stk_conn_close(app.c), 0);
	ut_advance_ms(1001);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
}

static void
test_second_fin(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(app.peer_closed, 1);
	ut_tx_clear();
	/* a broken peer: another FIN past its first */
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, p.snd_nxt, p.rcv_nxt, NULL, 0);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.c->rcv_nxt, p.snd_nxt);
	assert_int_equal(ut.n_tx, 1);
}

static void
test_ooo_refused_by_worker_memory(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[100] = {0};

	(void)state;
	ut.conf.tcp.worker_mem_max = 6000; /* two mbufs */
	ut_tcp_restart();
	ut_passive_open(&p);
	for (uint32_t i = 1; i <= 4; i++)
		ut_peer_raw(&p, TCP_ACK, p.snd_nxt + 200 * i, p.rcv_nxt, b, 100);
	assert_int_equal(app.c->ooo_n, 2);
	assert_int_equal(drops(STK_DROP_TCP_MEM), 2);
	assert_int_equal(ut_tcp_stats()->mem_limited, 2);
}

static void
test_rst_after_simultaneous_open(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;
	struct stk_conn *c;

	(void)state;
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &c), 0);
	app.c = c;
	ut_flush();
	ut_tcp_last(&o);
	p = (struct ut_peer){
		.port = 443, .lport = o.sport, .rcv_nxt = o.seq + 1, .snd_nxt = 77, .wnd = 65535};
	ut_peer_send(&p, TCP_SYN, NULL, 0);
	assert_int_equal(c->state, STK_TCP_SYN_RECEIVED);
	ut_peer_send(&p, TCP_RST, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ECONNREFUSED);
	assert_int_equal(app.closed, 1);
}

static void
test_no_data_callback(void **state)
{
	static const struct stk_tcp_ops bare = {0};
	struct ut_peer p = {0};
	uint8_t b[1000] = {0};

	(void)state;
	ut.conf.tcp.rcv_buf = 2000;
	ut_tcp_restart();
	ut_passive_open(&p);
	stk_conn_set_ops(app.c, &bare, NULL);
	/* nobody reads: consumed at once, the window never shuts */
	for (int i = 0; i < 5; i++)
		ut_peer_send(&p, TCP_ACK, b, sizeof(b));
	assert_int_equal(app.c->rcv_nxt, p.snd_nxt);
	assert_int_equal(app.c->rcv_held, 0);
	stk_conn_abort(app.c);
}

static void
test_empty_mbufs_in_chain(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *m = rte_pktmbuf_alloc(ut.pool);
	uint8_t got[64];

	(void)state;
	ut_passive_open(&p);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_chain(m, ut_data_mbuf(20, 0)), 0);
	assert_int_equal(rte_pktmbuf_chain(m, rte_pktmbuf_alloc(ut.pool)), 0);
	assert_int_equal(rte_pktmbuf_chain(m, ut_data_mbuf(20, 20)), 0);
	assert_int_equal(ut_send(app.c, m), 0);
	assert_int_equal(app.c->sq_segs, 2); /* the empty ones were let go */
	assert_int_equal(ut_tx_payload(0, got, sizeof(got)), 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal(got[i], i);
	assert_int_equal(stk_conn_send(app.c, NULL), -EINVAL);
}

/* Our pure ACKs and RSTs must stay acceptable to a peer whose window
 * closed after we sent into it: seq at its window's edge, not snd_max. */
static void
test_ack_seq_within_shrunk_window(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[100] = {0};
	struct ut_out o;
	uint32_t una;

	(void)state;
	ut_passive_open(&p);
	una = app.c->snd_una;
	ut_peer_send(&p, TCP_ACK, b, sizeof(b));
	assert_int_equal(ut_send(app.c, ut_data_mbuf(3000, 0)), 0);
	assert_int_equal(app.c->snd_max, una + 3000);
	/* a duplicate of the peer's data: an ACK at snd_max while it fits */
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 100, p.rcv_nxt, b, 100);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.seq, una + 3000);
	/* the peer takes 1000 bytes and offers 500 more: its edge is una + 1500 */
	p.rcv_nxt = una + 1000;
	p.wnd = 500;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->snd_wnd, 500);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 100, p.rcv_nxt, b, 100);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.seq, una + 1500);
	assert_int_equal(o.ack, p.snd_nxt);
	/* closed: the edge is snd_una */
	p.rcv_nxt = una + 2000;
	p.wnd = 0;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 100, p.rcv_nxt, b, 100);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.seq, una + 2000);
	/* a RST too */
	ut_tx_clear();
	stk_conn_abort(app.c);
	ut_flush();
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(o.seq, una + 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_ack_in_data_at_zero_window),
		UT_TCP_TEST(test_rto_into_closed_window),
		UT_TCP_TEST(test_shutdown_in_syn_sent),
		UT_TCP_TEST(test_close_after_shutdown),
		UT_TCP_TEST(test_second_fin),
		UT_TCP_TEST(test_ooo_refused_by_worker_memory),
		UT_TCP_TEST(test_rst_after_simultaneous_open),
		UT_TCP_TEST(test_no_data_callback),
		UT_TCP_TEST(test_empty_mbufs_in_chain),
		UT_TCP_TEST(test_ack_seq_within_shrunk_window),
	};

	return ut_main("test_tcp_edges", tests, RTE_DIM(tests));
}

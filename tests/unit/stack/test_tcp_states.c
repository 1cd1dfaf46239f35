/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_states.c - crafted segments against connections in the
 * synchronized states: data (in order, duplicate, overlapping, beyond the
 * window), delayed ACKs, RST/SYN/FIN/ACK arriving in ESTABLISHED, CLOSE-WAIT,
 * LAST-ACK, FIN-WAIT-1/2, CLOSING and TIME-WAIT, simultaneous close,
 * half-close, TIME-WAIT reuse and expiry, sequence numbers across the 2^32
 * wrap, and applications that close or abort from inside callbacks.
 */
#include "ut_tcp.h"

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

static const uint8_t data100[100] = {[0] = 1, [50] = 2, [99] = 3};

static void
fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

/* ------------------------------------------------------------------ */
/* ESTABLISHED                                                          */

static void
test_data_in_order_delack(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_PSH, data100, 100);
	assert_int_equal(app.rx_len, 100);
	assert_memory_equal(app.rx, data100, 100);
	assert_int_equal(ut.n_tx, 0); /* delayed */
	ut_advance_ms(39);
	assert_int_equal(ut.n_tx, 0);
	ut_advance_ms(2);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, p.snd_nxt);
	assert_int_equal(o.len, 0);
	assert_int_equal(ut_tcp_stats()->delayed_acks, 1);
}

static void
test_ack_every_second_full_segment(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[1460];
	struct ut_out o;

	(void)state;
	fill(b, sizeof(b), 1);
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK, b, sizeof(b));
	assert_int_equal(ut.n_tx, 0);
	ut_peer_send(&p, TCP_ACK, b, sizeof(b));
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.ack, p.snd_nxt);
	assert_int_equal(app.rx_total, 2 * sizeof(b));
	assert_int_equal(ut_tcp_stats()->delayed_acks, 0);
}

static void
test_delack_off(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.delack_us = 0;
	ut_tcp_restart();
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK, data100, 10);
	assert_int_equal(ut.n_tx, 1);
}

static void
test_out_of_window_data(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;
	uint32_t edge;

	(void)state;
	ut_passive_open(&p);
	edge = app.c->rcv_adv;
	ut_peer_raw(&p, TCP_ACK, edge, p.rcv_nxt, data100, 10);
	assert_int_equal(drops(STK_DROP_TCP_OUT_OF_WINDOW), 1);
	assert_int_equal(app.rx_len, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, p.snd_nxt); /* tells the peer where we are */
	/* a pure ACK far behind is not acceptable either */
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 70000, p.rcv_nxt, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_OUT_OF_WINDOW), 2);
	assert_int_equal(ut.n_tx, 1);
}

static void
test_old_duplicate(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK, data100, 100);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 100, p.rcv_nxt, data100, 100);
	assert_int_equal(app.rx_len, 100);
	assert_int_equal(ut_tcp_stats()->dup_segments, 1);
	assert_int_equal(ut.n_tx, 1); /* ACKed at once */
}

static void
test_overlap_trimmed(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[300];

	(void)state;
	fill(b, sizeof(b), 9);
	ut_passive_open(&p);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, p.rcv_nxt, b, 100);
	/* [50, 250): the first 50 bytes are old */
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt + 50, p.rcv_nxt, b + 50, 200);
	assert_int_equal(app.rx_len, 250);
	assert_memory_equal(app.rx, b, 250);
	assert_int_equal(app.c->rcv_nxt, p.snd_nxt + 250);
}

static void
test_right_edge_trimmed(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[1000];

	(void)state;
	ut.conf.tcp.rcv_buf = 600;
	ut_tcp_restart();
	fill(b, sizeof(b), 3);
	app.keep = true;
	ut_passive_open(&p);
	assert_int_equal(app.c->rcv_adv - app.c->rcv_nxt, 600);
	/* 1000 bytes into a 600-byte window: 600 taken, the FIN beyond it dropped */
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, p.snd_nxt, p.rcv_nxt, b, 1000);
	assert_int_equal(app.rx_len, 600);
	assert_memory_equal(app.rx, b, 600);
	assert_int_equal(app.peer_closed, 0);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
}

static void
test_rst_in_window(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_tcp_stats()->curr_estab, 1);
	/* exactly rcv_nxt (elsewhere in the window: a challenge ACK, test_tcp_harden.c) */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ECONNRESET);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_tcp_stats()->estab_resets, 1);
	assert_int_equal(ut_tcp_stats()->curr_estab, 0);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut.n_tx, 0);
}

static void
test_rst_out_of_window(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1000000, 0, NULL, 0);
	ut_peer_raw(&p, TCP_RST, p.snd_nxt - 1, 0, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_RST_IGNORED), 2);
	assert_int_equal(app.resets + app.closed, 0);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(ut.n_tx, 0); /* RSTs are never answered */
}

static void
test_syn_in_established(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt + 5, 0, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK); /* the challenge */
	assert_int_equal(o.ack, p.snd_nxt);
	assert_int_equal(drops(STK_DROP_TCP_SYN_UNEXPECTED), 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
}

static void
test_ack_of_unsent(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, p.rcv_nxt + 100, data100, 10);
	assert_int_equal(drops(STK_DROP_TCP_BAD_ACK), 1);
	assert_int_equal(app.rx_len, 0);
	assert_int_equal(ut.n_tx, 1);
	ut_peer_raw(&p, TCP_PSH, p.snd_nxt, 0, data100, 10); /* no ACK bit */
	assert_int_equal(drops(STK_DROP_TCP_NO_ACK), 1);
	assert_int_equal(app.rx_len, 0);
}

static void
test_fin_in_established(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, data100, 100);
	assert_int_equal(app.rx_len, 100);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.c->state, STK_TCP_CLOSE_WAIT);
	ut_tcp_last(&o);
	assert_int_equal(o.ack, p.snd_nxt); /* data and FIN acked at once */
	assert_int_equal(ut_tcp_stats()->curr_estab, 1);
	/* CLOSE-WAIT: we can still send (half-close is real) */
	assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 10);
	/* data after the FIN makes no sense */
	ut_peer_send(&p, TCP_ACK, data100, 10);
	assert_int_equal(drops(STK_DROP_TCP_DATA_CLOSED), 1);
	assert_int_equal(app.rx_len, 100);
}

/* ------------------------------------------------------------------ */
/* Closing                                                              */

static void
test_passive_close(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	ut_tx_clear();
	assert_int_equal(stk_conn_shutdown(app.c), 0);
	ut_flush();
	assert_int_equal(app.c->state, STK_TCP_LAST_ACK);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(o.seq, p.rcv_nxt);
	/* a retransmitted FIN from the peer is old: just ACKed */
	ut_tx_clear();
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, p.snd_nxt - 1, p.rcv_nxt, NULL, 0);
	assert_int_equal(ut.n_tx, 1);
	assert_int_equal(app.closed, 0);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_tcp_stats()->curr_estab, 0);
}

static void
test_last_ack_rst(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	stk_conn_shutdown(app.c);
	ut_peer_send(&p, TCP_RST, NULL, 0);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
	assert_int_equal(ut_conns(), 0);
}

static void
test_active_close(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(stk_conn_shutdown(app.c), 0);
	ut_flush();
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_2);
	ut_tx_clear();
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.closed, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, p.snd_nxt);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 1);
	assert_int_equal(ut_conns(), 1); /* TIME-WAIT stays 2 MSL */
}

static void
test_fin_ack_together(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	stk_conn_shutdown(app.c);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0); /* acks our FIN and sends its own */
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 1);
}

static void
test_simultaneous_close(void **state)
{
	struct ut_peer p = {0};
	struct stk_conn *c;
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	c = app.c;
	stk_conn_shutdown(c);
	/* the peer's FIN crosses ours: it does not ack it */
	ut_tx_clear();
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(c->state, STK_TCP_CLOSING);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.closed, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.ack, p.snd_nxt);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(c->state, STK_TCP_TIME_WAIT);
	assert_int_equal(app.closed, 1);
}

static void
test_half_close(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *m;

	(void)state;
	ut_passive_open(&p);
	m = ut_data_mbuf(10, 0);
	stk_conn_shutdown(app.c);
	assert_int_equal(ut_send(app.c, m), -EPIPE);
	rte_pktmbuf_free(m); /* refused: still ours */
	assert_int_equal(stk_conn_shutdown(app.c), 0);
	ut_peer_send(&p, TCP_ACK, data100, 30); /* FIN-WAIT-1: still reading */
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, data100 + 30, 30); /* FIN-WAIT-2 */
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_2);
	assert_int_equal(app.rx_len, 60);
	assert_memory_equal(app.rx, data100, 60);
	/* no FIN-WAIT-2 timeout while the application reads */
	ut_advance_ms(65000);
	assert_int_equal(app.closed, 0);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, data100 + 60, 40);
	assert_int_equal(app.rx_len, 100);
	assert_int_equal(app.closed, 1);
}

static void
test_data_after_close_resets(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(stk_conn_close(app.c), 0);
	ut_flush();
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tx_clear();
	ut_peer_send(&p, TCP_ACK, data100, 20);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(app.rx_len, 0);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
	assert_int_equal(drops(STK_DROP_TCP_DATA_CLOSED), 1);
	assert_int_equal(ut_conns(), 0);
}

static void
test_fin_wait_2_timeout(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.fin_wait2_us = 2000000;
	ut_tcp_restart();
	ut_passive_open(&p);
	stk_conn_close(app.c);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_2);
	ut_advance_ms(1000);
	/* the peer's keepalives do not keep an orphan alive */
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt - 1, p.rcv_nxt, NULL, 0);
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_advance_ms(900);
	assert_int_equal(app.closed, 0);
	ut_advance_ms(200);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_conns(), 0);
}

/* ------------------------------------------------------------------ */
/* TIME-WAIT                                                            */

static struct stk_conn *
to_time_wait(struct ut_peer *p)
{
	struct stk_conn *c;

	ut_passive_open(p);
	c = app.c;
	stk_conn_shutdown(c);
	p->rcv_nxt++;
	ut_peer_send(p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(c->state, STK_TCP_TIME_WAIT);
	ut_tx_clear();
	return c;
}

static void
test_time_wait_retransmitted_fin(void **state)
{
	struct ut_peer p = {0};
	struct stk_conn *c;
	struct ut_out o;

	(void)state;
	c = to_time_wait(&p);
	ut_advance_ms(1500);
	ut_peer_raw(&p, TCP_ACK | TCP_FIN, p.snd_nxt - 1, p.rcv_nxt, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, p.snd_nxt);
	/* 2 MSL start again: still there at 2.5 s after the first FIN */
	ut_advance_ms(1000);
	assert_int_equal(c->state, STK_TCP_TIME_WAIT);
	ut_advance_ms(1100);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 0);
}

static void
test_time_wait_rst_ignored(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	to_time_wait(&p);
	ut_peer_send(&p, TCP_RST | TCP_ACK, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_RST_IGNORED), 1);
	assert_int_equal(ut_conns(), 1);
	ut_advance_ms(2100);
	assert_int_equal(ut_conns(), 0);
}

static void
test_time_wait_reuse(void **state)
{
	struct ut_peer p = {0}, q;
	struct ut_out o;

	(void)state;
	to_time_wait(&p);
	/* a new incarnation: same ports, a higher sequence number */
	q = p;
	q.snd_nxt = p.snd_nxt + 100000;
	app.accepted = 0;
	ut_peer_send(&q, TCP_SYN, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.ack, q.snd_nxt);
	q.rcv_nxt = o.seq + 1;
	ut_peer_send(&q, TCP_ACK, NULL, 0);
	assert_int_equal(app.accepted, 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 0);
}

static void
test_time_wait_old_syn(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	to_time_wait(&p);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt - 500, 0, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(drops(STK_DROP_TCP_SYN_UNEXPECTED), 1);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 1);
}

/* ------------------------------------------------------------------ */
/* 2^32                                                                 */

static void
test_sequence_wrap(void **state)
{
	struct ut_peer p = {.snd_nxt = 0xffffff00};
	uint8_t b[600], got[2048];
	struct ut_out o;
	size_t n;

	(void)state;
	stk_tcp_test_fix_isn(ut.ctx, 0xfffffe80);
	fill(b, sizeof(b), 77);
	ut_passive_open(&p);
	assert_int_equal(p.rcv_nxt, 0xfffffe81);
	/* the peer's data crosses 2^32: 600 bytes from 0xffffff01 */
	ut_peer_send(&p, TCP_ACK, b, 300);
	ut_peer_send(&p, TCP_ACK, b + 300, 300);
	assert_int_equal(p.snd_nxt, 0x00000159);
	assert_int_equal(app.rx_len, 600);
	assert_memory_equal(app.rx, b, 600);
	assert_int_equal(app.c->rcv_nxt, 0x00000159);
	ut_advance_ms(50); /* delayed ACK */
	ut_tcp_last(&o);
	assert_int_equal(o.ack, 0x00000159);
	/* ours too: 1000 bytes from 0xfffffe81 */
	ut_tx_clear();
	assert_int_equal(ut_send(app.c, ut_data_mbuf(1000, 5)), 0);
	n = ut_tx_payload(0, got, sizeof(got));
	assert_int_equal(n, 1000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], (uint8_t)(5 + i));
	ut_tcp_last(&o);
	assert_int_equal(o.seq + o.len, 0xfffffe81u + 1000u);
	/* a partial ACK just past the wrap, then the rest */
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, 0x00000010, NULL, 0);
	assert_int_equal(app.c->snd_una, 0x00000010);
	assert_int_equal(app.c->sq_bytes, 1000 - (0x10 + 0x17f));
	p.rcv_nxt += 1000;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->snd_una, app.c->snd_max);
	assert_int_equal(app.c->sq_bytes, 0);
	assert_false(tcp_timer_armed(app.c, TCP_T_RTX));
	/* and a FIN on the far side of it */
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(app.peer_closed, 1);
}

static void
test_seq_arith(void **state)
{
	(void)state;
	assert_true(seq_lt(0xfffffff0, 0x10));
	assert_true(seq_gt(0x10, 0xfffffff0));
	assert_true(seq_le(5, 5) && seq_ge(5, 5));
	assert_false(seq_lt(5, 5));
	assert_int_equal(seq_max(0xfffffff0, 0x10), 0x10);
	assert_int_equal(seq_min(0xfffffff0, 0x10), 0xfffffff0);
	assert_true(seq_lt(0x7ffffffe, 0x7fffffff));
	assert_true(seq_gt(0x80000001, 0x00000002));
}

/* ------------------------------------------------------------------ */
/* Callbacks that close or abort                                        */

static void
test_abort_in_data_callback(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	app.abort_in_data = true;
	/* data and FIN in one segment: nothing after the abort */
	ut_peer_send(&p, TCP_ACK | TCP_FIN, data100, 50);
	assert_int_equal(app.data, 1);
	assert_int_equal(app.peer_closed + app.closed + app.resets, 0);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_tcp_stats()->estab_resets, 1);
	/* the peer's next segment finds only the listener: RST */
	ut_tx_clear();
	ut_peer_send(&p, TCP_ACK, data100, 10);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST);
}

static void
test_abort_in_reset_callback(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	app.abort_in_reset = true;
	ut_peer_send(&p, TCP_RST, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.closed, 0); /* aborted: no closed */
	assert_int_equal(ut_conns(), 0);
}

static void
test_close_in_peer_closed(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	app.close_in_peer = true;
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_LAST_ACK);
	/* our ACK of its FIN and our FIN go together */
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(o.ack, p.snd_nxt);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.closed, 1);
}

static void
test_abort_established(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(100, 0)), 0);
	ut_tx_clear();
	stk_conn_abort(app.c);
	ut_flush();
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	assert_int_equal(o.seq, p.rcv_nxt + 100);
	assert_int_equal(app.closed + app.resets, 0);
	assert_int_equal(ut_conns(), 0);
	ut_advance_ms(5000); /* no timer left behind */
	assert_int_equal(ut.n_tx, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_data_in_order_delack),
		UT_TCP_TEST(test_ack_every_second_full_segment),
		UT_TCP_TEST(test_delack_off),
		UT_TCP_TEST(test_out_of_window_data),
		UT_TCP_TEST(test_old_duplicate),
		UT_TCP_TEST(test_overlap_trimmed),
		UT_TCP_TEST(test_right_edge_trimmed),
		UT_TCP_TEST(test_rst_in_window),
		UT_TCP_TEST(test_rst_out_of_window),
		UT_TCP_TEST(test_syn_in_established),
		UT_TCP_TEST(test_ack_of_unsent),
		UT_TCP_TEST(test_fin_in_established),
		UT_TCP_TEST(test_passive_close),
		UT_TCP_TEST(test_last_ack_rst),
		UT_TCP_TEST(test_active_close),
		UT_TCP_TEST(test_fin_ack_together),
		UT_TCP_TEST(test_simultaneous_close),
		UT_TCP_TEST(test_half_close),
		UT_TCP_TEST(test_data_after_close_resets),
		UT_TCP_TEST(test_fin_wait_2_timeout),
		UT_TCP_TEST(test_time_wait_retransmitted_fin),
		UT_TCP_TEST(test_time_wait_rst_ignored),
		UT_TCP_TEST(test_time_wait_reuse),
		UT_TCP_TEST(test_time_wait_old_syn),
		UT_TCP_TEST(test_sequence_wrap),
		UT_TCP_TEST(test_seq_arith),
		UT_TCP_TEST(test_abort_in_data_callback),
		UT_TCP_TEST(test_abort_in_reset_callback),
		UT_TCP_TEST(test_close_in_peer_closed),
		UT_TCP_TEST(test_abort_established),
	};

	return ut_main("test_tcp_states", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_harden.c - segments from a hostile or confused peer: PAWS (RFC
 * 7323 5: old timestamps, the wrap, RST and timestamp-less segments exempt,
 * reordered duplicate ACKs, TS.Recent invalid after 24 idle days on the
 * virtual clock), TIME-WAIT taken over by a newer timestamp (RFC 6191),
 * RFC 5961 (a RST resets only at exactly rcv_nxt, a SYN gets a challenge
 * ACK, an ACK below SND.UNA - MAX.SND.WND brings no data in) and the
 * per-worker challenge ACK limit; and no delayed ACK after an answer that
 * carried it.
 */
#include "ut_tcp.h"

#define DAY_US (86400ull * 1000000)

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

/* A segment from the peer with timestamp tsval, at seq, acking what the
 * peer has seen (nothing advances). */
static void
send_ts(struct ut_peer *p, uint8_t flags, uint32_t seq, uint32_t tsval, const void *data,
	size_t len)
{
	uint8_t o[12];

	ut_tcp_rx(&(struct ut_seg){.sport = p->port,
				   .dport = p->lport,
				   .seq = seq,
				   .ack = p->rcv_nxt,
				   .flags = flags,
				   .wnd = p->wnd,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, tsval, p->ts_recent),
				   .data = data,
				   .len = len});
}

/* An established connection with timestamps; the peer's clock at tsval
 * (the SYN), tsval + 1 (the ACK, now TS.Recent). */
static void
open_ts(struct ut_peer *p, uint32_t tsval)
{
	uint8_t o[20];

	p->ts = true;
	p->tsval = tsval;
	ut_passive_open_opts(p, o, ut_opts(o, 1460, -1, false, true, tsval, 0));
	assert_true(app.c->flags & TF_TS);
	assert_int_equal(app.c->ts_recent, tsval + 1);
	ut_tx_clear();
}

/* The only segment sent since the last clear is a pure ACK of rcv_nxt. */
static void
expect_one_ack(uint32_t rcv_nxt)
{
	struct ut_out o;

	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.ack, rcv_nxt);
	assert_int_equal(o.len, 0);
	ut_tx_clear();
}

/* ------------------------------------------------------------------ */
/* PAWS                                                                 */

static void
test_paws_old_segment(void **state)
{
	struct ut_peer p = {0};
	uint32_t ts;

	(void)state;
	open_ts(&p, 1000000);
	ts = app.c->ts_recent;
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, ts - 1, "hello", 5);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	assert_int_equal(app.rx_len, 0);
	assert_int_equal(app.c->ts_recent, ts);
	expect_one_ack(p.snd_nxt); /* where we are, as for an unacceptable segment */
	/* the same bytes with the current timestamp are taken */
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, ts, "hello", 5);
	assert_int_equal(app.rx_len, 5);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
}

static void
test_paws_wrap(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	open_ts(&p, 0xfffffff0u);
	/* the peer's clock wrapped: 0x10 is newer than 0xfffffff1 */
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, 0x10, "abcde", 5);
	p.snd_nxt += 5;
	assert_int_equal(app.rx_len, 5);
	assert_int_equal(app.c->ts_recent, 0x10);
	/* and 0xfffffff8, numerically larger, is older now */
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, 0xfffffff8u, "fghij", 5);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	assert_int_equal(app.rx_len, 5);
	assert_int_equal(app.c->ts_recent, 0x10);
}

static void
test_paws_rst_exempt(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	open_ts(&p, 7777);
	/* a peer that restarted has a new clock: its RST counts */
	send_ts(&p, TCP_RST, p.snd_nxt, 1, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ECONNRESET);
	assert_int_equal(ut_conns(), 0);
}

static void
test_paws_segment_without_timestamp(void **state)
{
	struct ut_peer p = {0};
	uint32_t ts;

	(void)state;
	open_ts(&p, 5000);
	ts = app.c->ts_recent;
	/* RFC 7323 3.2 allows dropping it; like Linux we take it */
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = p.rcv_nxt,
				   .flags = TCP_ACK | TCP_PSH,
				   .wnd = p.wnd,
				   .data = "xyz",
				   .len = 3});
	assert_int_equal(app.rx_len, 3);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 0);
	assert_int_equal(app.c->ts_recent, ts); /* nothing to take */
}

static void
test_paws_disordered_ack(void **state)
{
	struct ut_peer p = {0};
	uint32_t ts;

	(void)state;
	open_ts(&p, 100000);
	ts = app.c->ts_recent;
	/* a duplicate ACK overtaken by a later one: a few ms behind */
	send_ts(&p, TCP_ACK, p.snd_nxt, ts - 5, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 0);
	assert_int_equal(ut.n_tx, 0);
	/* far more than an RTO behind: an old segment */
	send_ts(&p, TCP_ACK, p.snd_nxt, ts - 50000, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	expect_one_ack(p.snd_nxt);
	/* a few ms behind but it moves the window: not a plain duplicate */
	p.wnd = 1000;
	send_ts(&p, TCP_ACK, p.snd_nxt, ts - 5, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 2);
	assert_int_equal(app.c->snd_wnd, 65535);
}

static void
test_paws_24_days(void **state)
{
	struct ut_peer p = {0};
	uint32_t ts;

	(void)state;
	open_ts(&p, 3000000);
	ts = app.c->ts_recent;
	/* 23 idle days: TS.Recent still stands */
	ut_advance_us(23 * DAY_US);
	ut_learn(ut_mac_peer, UT_PEER);
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, ts - 1000, "old", 3);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	assert_int_equal(app.rx_len, 0);
	/* past 24 days it proves nothing (RFC 7323 5.5): taken, and replaced */
	ut_advance_us(1 * DAY_US + 60 * 1000000ull);
	ut_learn(ut_mac_peer, UT_PEER);
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, ts - 1000, "new", 3);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 1);
	assert_int_equal(app.rx_len, 3);
	assert_memory_equal(app.rx, "new", 3);
	assert_int_equal(app.c->ts_recent, ts - 1000);
	p.snd_nxt += 3;
	/* and it is valid again from there */
	send_ts(&p, TCP_ACK | TCP_PSH, p.snd_nxt, ts - 2000, "bad", 3);
	assert_int_equal(drops(STK_DROP_TCP_PAWS), 2);
	assert_int_equal(app.rx_len, 3);
}

/* ------------------------------------------------------------------ */
/* TIME-WAIT reuse by timestamps (RFC 6191)                             */

static struct stk_conn *
ts_time_wait(struct ut_peer *p)
{
	struct stk_conn *c;

	open_ts(p, 40000);
	c = app.c;
	stk_conn_shutdown(c);
	p->rcv_nxt++;
	ut_peer_send(p, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(c->state, STK_TCP_TIME_WAIT);
	ut_tx_clear();
	app.accepted = 0;
	return c;
}

/* A SYN on the TIME-WAIT pair with MSS and a timestamp. */
static void
tw_syn(const struct ut_peer *p, uint32_t seq, uint32_t tsval)
{
	uint8_t o[20];

	ut_tcp_rx(&(struct ut_seg){.sport = p->port,
				   .dport = p->lport,
				   .seq = seq,
				   .flags = TCP_SYN,
				   .wnd = 65535,
				   .opts = o,
				   .olen = ut_opts(o, 1460, -1, false, true, tsval, 0)});
}

static void
test_tw_reuse_newer_timestamp(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;
	uint32_t ts;

	(void)state;
	ts = ts_time_wait(&p)->ts_recent;
	/* below the old sequence space, but a newer clock: a new incarnation */
	tw_syn(&p, p.snd_nxt - 5000, ts + 1);
	assert_int_equal(ut_tcp_stats()->tw_reused, 1);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.ack, p.snd_nxt - 5000 + 1);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 0);
	p.snd_nxt -= 5000 - 1;
	p.rcv_nxt = o.seq + 1;
	p.tsval = ts + 1;
	ut_peer_saw(&p, &o);
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.accepted, 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
}

static void
test_tw_reuse_refused(void **state)
{
	struct ut_peer p = {0};
	struct stk_conn *c;
	uint32_t ts;

	(void)state;
	c = ts_time_wait(&p);
	ts = c->ts_recent;
	/* an older clock: an old duplicate even above the sequence space */
	tw_syn(&p, p.snd_nxt + 100000, ts - 1);
	/* the same clock and not above it */
	tw_syn(&p, p.snd_nxt - 1, ts);
	assert_int_equal(ut_tcp_stats()->tw_reused, 0);
	assert_int_equal(drops(STK_DROP_TCP_SYN_UNEXPECTED), 2);
	assert_int_equal(c->state, STK_TCP_TIME_WAIT);
	assert_int_equal(app.accepted, 0);
	assert_int_equal(ut.n_tx, 2); /* TIME-WAIT answers each with its ACK */
	ut_tx_clear();
	/* the same clock, above it: taken */
	tw_syn(&p, p.snd_nxt + 1, ts);
	assert_int_equal(ut_tcp_stats()->tw_reused, 1);
}

/* ------------------------------------------------------------------ */
/* RFC 5961                                                             */

static void
test_rst_exact_in_window_outside(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_tx_clear();
	/* in the window, not exact: a challenge ACK, nothing else */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 10, 0, NULL, 0);
	ut_peer_raw(&p, TCP_RST | TCP_ACK, p.snd_nxt + app.c->rcv_adv - app.c->rcv_nxt - 1,
		    p.rcv_nxt, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_RST_CHALLENGED), 2);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 2);
	assert_int_equal(ut.n_tx, 2);
	ut_tx_clear();
	/* exact: the reset, unanswered */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut.n_tx, 0);
}

static void
test_rst_challenge_ack(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1000, 0, NULL, 0);
	assert_int_equal(app.resets + app.closed, 0);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	expect_one_ack(p.snd_nxt); /* tells the real peer the exact number */
	/* outside the window: ignored, unanswered */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 0x40000000u, 0, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_RST_IGNORED), 1);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_tcp_stats()->estab_resets, 0);
	/* the answer a real peer gives: a RST at the ACK's number */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(ut_tcp_stats()->estab_resets, 1);
}

static void
test_syn_challenge(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	ut_tx_clear();
	/* in the window and far outside it: the same answer */
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt + 100, 0, NULL, 0);
	expect_one_ack(p.snd_nxt);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt - 0x40000000u, 0, NULL, 0);
	expect_one_ack(p.snd_nxt);
	assert_int_equal(drops(STK_DROP_TCP_SYN_UNEXPECTED), 2);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 2);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(app.resets, 0);
}

static void
test_ack_too_old(void **state)
{
	struct ut_peer p = {0};
	uint32_t una, bound;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(1000, 0)), 0);
	p.rcv_nxt += 1000;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	una = app.c->snd_una;
	assert_int_equal(una, p.rcv_nxt);
	bound = una - app.c->max_sndwnd;
	ut_tx_clear();
	/* data acking below SND.UNA - MAX.SND.WND: nobody who saw us sent it */
	ut_peer_raw(&p, TCP_ACK | TCP_PSH, p.snd_nxt, bound - 1, "evil", 4);
	assert_int_equal(drops(STK_DROP_TCP_ACK_OLD), 1);
	assert_int_equal(app.rx_len, 0);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 1);
	expect_one_ack(p.snd_nxt);
	/* at the bound it is an old ACK, harmless: the data is taken */
	ut_peer_raw(&p, TCP_ACK | TCP_PSH, p.snd_nxt, bound, "good", 4);
	assert_int_equal(app.rx_len, 4);
	assert_memory_equal(app.rx, "good", 4);
	assert_int_equal(app.c->snd_una, una);
	assert_int_equal(drops(STK_DROP_TCP_ACK_OLD), 1);
}

/* ------------------------------------------------------------------ */
/* The challenge ACK limit                                              */

/* Moves the clock to 1 ms into the next second of the worker's clock. */
static void
next_second(void)
{
	uint64_t us = ut.now / (rte_get_tsc_hz() / 1000000);

	ut_advance_us(1000000 - us % 1000000 + 1000);
}

static void
test_challenge_limit(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.challenge_ack_limit = 3;
	ut_tcp_restart();
	ut_passive_open(&p);
	next_second();
	ut_tx_clear();
	for (int i = 0; i < 5; i++)
		ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1 + (uint32_t)i, 0, NULL, 0);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt + 7, 0, NULL, 0);
	assert_int_equal(ut.n_tx, 3);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 3);
	assert_int_equal(ut_tcp_stats()->challenge_acks_limited, 3);
	/* limited or not, they are dropped: the connection stands */
	assert_int_equal(drops(STK_DROP_TCP_RST_CHALLENGED), 5);
	assert_int_equal(drops(STK_DROP_TCP_SYN_UNEXPECTED), 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	/* still the same second */
	ut_advance_us(900000);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1, 0, NULL, 0);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_tcp_stats()->challenge_acks_limited, 4);
	/* the next one: a full budget again */
	next_second();
	for (int i = 0; i < 4; i++)
		ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1, 0, NULL, 0);
	assert_int_equal(ut.n_tx, 3);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 6);
	assert_int_equal(ut_tcp_stats()->challenge_acks_limited, 5);
}

static void
test_challenge_limit_zero(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.challenge_ack_limit = 0;
	ut_tcp_restart();
	ut_passive_open(&p);
	ut_tx_clear();
	ut_peer_raw(&p, TCP_RST, p.snd_nxt + 1, 0, NULL, 0);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_tcp_stats()->challenge_acks, 0);
	assert_int_equal(ut_tcp_stats()->challenge_acks_limited, 2);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	/* an exact RST needs no challenge */
	ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(app.resets, 1);
}

/* ------------------------------------------------------------------ */
/* Quiet answers                                                        */

/* An application that answers every segment at once with as many bytes. */
static void
answer_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	uint32_t n = rte_pktmbuf_pkt_len(m);

	ut_app_data(ctx, c, m);
	assert_int_equal(stk_conn_send(c, ut_data_mbuf(n, 1)), 0);
}

static const struct stk_tcp_ops answer_ops = {
	.data = answer_data,
	.reset = ut_app_reset,
	.closed = ut_app_closed,
};

static void
test_answer_carries_the_ack(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	stk_conn_set_ops(app.c, &answer_ops, &app);
	ut_tx_clear();
	ut_peer_send(&p, TCP_ACK | TCP_PSH, "ping", 4);
	ut_flush();
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 4);
	assert_int_equal(o.ack, p.snd_nxt);
	/* no delayed ACK after it saying the same thing (an unsolicited
	 * segment a hostile-peer test would take for an answer) */
	ut_advance_ms(100);
	assert_int_equal(ut.n_tx, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_paws_old_segment),
		UT_TCP_TEST(test_paws_wrap),
		UT_TCP_TEST(test_paws_rst_exempt),
		UT_TCP_TEST(test_paws_segment_without_timestamp),
		UT_TCP_TEST(test_paws_disordered_ack),
		UT_TCP_TEST(test_paws_24_days),
		UT_TCP_TEST(test_tw_reuse_newer_timestamp),
		UT_TCP_TEST(test_tw_reuse_refused),
		UT_TCP_TEST(test_rst_exact_in_window_outside),
		UT_TCP_TEST(test_rst_challenge_ack),
		UT_TCP_TEST(test_syn_challenge),
		UT_TCP_TEST(test_ack_too_old),
		UT_TCP_TEST(test_challenge_limit),
		UT_TCP_TEST(test_challenge_limit_zero),
		UT_TCP_TEST(test_answer_carries_the_ack),
	};

	return ut_main("test_tcp_harden", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_cookie.c - SYN cookies: what a cookie encodes comes back out of
 * it (every MSS of the table, window scale, SACK, with and without
 * timestamps); old, forged and altered cookies are refused; a listener with
 * a full backlog answers with a cookie and keeps nothing, and the ACK that
 * returns it opens the connection with the options of the SYN, the
 * application's `accepted` and the data it carries; with cookies off the
 * SYN is dropped and counted.
 */
#include "ut_tcp.h"

#define SLOT_S 64 /* TCP_COOKIE_SLOT_US in seconds */

static const uint16_t table[] = {64, 536, 1220, 1300, 1400, 1440, 1460, 8960};

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

/* The TCP clock (the stack keeps the latest entry point's time) at us. */
static void
clock_at_us(uint64_t us)
{
	struct stk_tcp *t = ut.ctx->tcp;

	t->now = us * t->tsc_us;
}

/* A SYN from the peer as stk_tcp_input parses it. ws < 0: no window scale. */
static struct tcp_seg
syn(uint16_t sport, uint32_t seq, uint16_t mss, int ws, bool sackok, bool ts)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = UT_PEER;
	s.daddr = UT_US;
	s.sport = sport;
	s.dport = UT_LPORT;
	s.seq = seq;
	s.flags = TCP_SYN;
	if (mss != 0) {
		s.opts.flags |= TCP_OPT_F_MSS;
		s.opts.mss = mss;
	}
	if (ws >= 0) {
		s.opts.flags |= TCP_OPT_F_WSCALE;
		s.opts.wscale = (uint8_t)ws;
	}
	if (sackok)
		s.opts.flags |= TCP_OPT_F_SACKOK;
	if (ts) {
		s.opts.flags |= TCP_OPT_F_TS;
		s.opts.tsval = 4242;
	}
	return s;
}

/* The peer's ACK of a SYN-ACK from isn (echoing tsecr when ts). */
static struct tcp_seg
ack_of(const struct tcp_seg *sy, uint32_t isn, bool ts, uint32_t tsecr)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = sy->saddr;
	s.daddr = sy->daddr;
	s.sport = sy->sport;
	s.dport = sy->dport;
	s.seq = sy->seq + 1;
	s.ack = isn + 1;
	s.flags = TCP_ACK;
	if (ts) {
		s.opts.flags = TCP_OPT_F_TS;
		s.opts.tsval = 4243;
		s.opts.tsecr = tsecr;
	}
	return s;
}

/* make then check at the same moment; the check must succeed. */
static struct tcp_cookie
round_trip(const struct tcp_seg *sy, struct tcp_cookie *made)
{
	struct stk_tcp *t = ut.ctx->tcp;
	struct tcp_cookie got;
	uint32_t tsval = 0, isn;
	struct tcp_seg a;

	isn = tcp_cookie_make(t, sy, made, &tsval);
	a = ack_of(sy, isn, (made->flags & TCP_OPT_F_TS) != 0, tsval);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	assert_int_equal(got.mss, made->mss);
	assert_int_equal(got.flags, made->flags);
	assert_int_equal(got.wscale, made->wscale);
	return got;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                             */

static void
test_every_mss(void **state)
{
	struct tcp_cookie made, got;
	struct tcp_seg s;

	(void)state;
	clock_at_us(5000000);
	for (unsigned int i = 0; i < RTE_DIM(table); i++) {
		for (int ts = 0; ts < 2; ts++) {
			/* exactly the value, and just above it: the same entry */
			s = syn((uint16_t)(2000 + i), 1000u * i, table[i], -1, false, ts);
			got = round_trip(&s, &made);
			assert_int_equal(got.mss, table[i]);
			s.opts.mss = (uint16_t)(table[i] + 1);
			got = round_trip(&s, &made);
			assert_int_equal(got.mss, table[i]);
			/* just below: the entry before (never above what the peer said) */
			if (i > 0) {
				s.opts.mss = (uint16_t)(table[i] - 1);
				got = round_trip(&s, &made);
				assert_int_equal(got.mss, table[i - 1]);
			}
		}
	}
	/* no MSS option: RFC 9293's 536; tiny and huge ones at the table's ends */
	s = syn(3000, 1, 0, -1, false, false);
	assert_int_equal(round_trip(&s, &made).mss, 536);
	s = syn(3000, 1, 10, -1, false, false);
	assert_int_equal(round_trip(&s, &made).mss, 64);
	s = syn(3000, 1, 65495, -1, false, true);
	assert_int_equal(round_trip(&s, &made).mss, 8960);
}

static void
test_options_with_timestamps(void **state)
{
	struct stk_tcp *t;
	struct tcp_cookie made, got;
	struct tcp_seg s;
	uint32_t tsval, ms;

	(void)state;
	clock_at_us(7000000);
	t = ut.ctx->tcp;
	for (int ws = -1; ws <= TCP_MAX_WSCALE; ws++) {
		for (int sack = 0; sack < 2; sack++) {
			s = syn((uint16_t)(4000 + ws + 1), 77777, 1460, ws, sack, true);
			got = round_trip(&s, &made);
			assert_true(got.flags & TCP_OPT_F_TS);
			assert_int_equal((got.flags & TCP_OPT_F_WSCALE) != 0, ws >= 0);
			assert_int_equal(got.wscale, ws >= 0 ? ws : 0);
			assert_int_equal((got.flags & TCP_OPT_F_SACKOK) != 0, sack);
			assert_int_equal(got.mss, 1460);
		}
	}
	/* a shift above 14 is taken as 14 (RFC 7323 2.3) */
	s = syn(4100, 5, 1460, 15, true, true);
	assert_int_equal(round_trip(&s, &made).wscale, 14);
	/* the options ride in the low 6 bits of a TSval that never runs ahead
	 * of the connection's clock (ms + the 4-tuple's offset) */
	s = syn(4101, 5, 1460, 3, true, true);
	tcp_cookie_make(t, &s, &made, &tsval);
	assert_int_equal(tsval & 0x3f, 3 | 0x10);
	ms = (uint32_t)(tcp_now_us(t) / 1000) + tcp_ts_offset(UT_US, UT_PEER, UT_LPORT, 4101);
	assert_true(seq_le(tsval, ms));
	assert_true(ms - tsval < 64);
	s = syn(4101, 5, 1460, -1, false, true);
	tcp_cookie_make(t, &s, &made, &tsval);
	assert_int_equal(tsval & 0x3f, 0x0f); /* no window scale, no SACK, no ECN */
}

static void
test_options_without_timestamps(void **state)
{
	struct tcp_cookie made, got;
	struct tcp_seg s;

	(void)state;
	clock_at_us(9000000);
	/* nowhere to keep them: window scaling and SACK are not agreed */
	s = syn(5000, 1, 1440, 7, true, false);
	got = round_trip(&s, &made);
	assert_int_equal(got.flags, 0);
	assert_int_equal(got.wscale, 0);
	assert_int_equal(got.mss, 1440);
	/* timestamps off in the config: the same, whatever the SYN offers */
	ut.conf.tcp.opt_timestamps = false;
	ut_tcp_restart();
	clock_at_us(9000000);
	s = syn(5001, 1, 1440, 7, true, true);
	got = round_trip(&s, &made);
	assert_int_equal(got.flags, 0);
	/* SACK off in the config: timestamps and the shift, no SACK */
	ut.conf.tcp.opt_timestamps = true;
	ut.conf.tcp.opt_sack = false;
	ut_tcp_restart();
	clock_at_us(9000000);
	s = syn(5002, 1, 1440, 7, true, true);
	got = round_trip(&s, &made);
	assert_int_equal(got.flags, TCP_OPT_F_TS | TCP_OPT_F_WSCALE);
	assert_int_equal(got.wscale, 7);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                             */

static void
test_old_slot(void **state)
{
	struct stk_tcp *t;
	struct tcp_cookie made, got;
	uint64_t start = 10ull * SLOT_S * 1000000; /* the start of slot 10 */
	struct tcp_seg s, a;
	uint32_t tsval = 0, isn;

	(void)state;
	t = ut.ctx->tcp;
	clock_at_us(start);
	s = syn(6000, 123456, 1460, 2, true, true);
	isn = tcp_cookie_make(t, &s, &made, &tsval);
	a = ack_of(&s, isn, true, tsval);
	/* good through the end of the next slot */
	clock_at_us(start + SLOT_S * 1000000ull - 1);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	clock_at_us(start + 2 * SLOT_S * 1000000ull - 1);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	/* two slots on: refused */
	clock_at_us(start + 2 * SLOT_S * 1000000ull);
	assert_int_equal(tcp_cookie_check(t, &a, &got), -EBADMSG);
	clock_at_us(start + 10 * SLOT_S * 1000000ull);
	assert_int_equal(tcp_cookie_check(t, &a, &got), -EBADMSG);
	/* made at the very end of a slot: 64 s later still good, not 128 */
	clock_at_us(start - 1);
	isn = tcp_cookie_make(t, &s, &made, &tsval);
	a = ack_of(&s, isn, true, tsval);
	clock_at_us(start + SLOT_S * 1000000ull - 1);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	clock_at_us(start + SLOT_S * 1000000ull);
	assert_int_equal(tcp_cookie_check(t, &a, &got), -EBADMSG);
}

static void
expect_bad(const struct tcp_seg *a)
{
	struct tcp_cookie got;

	got.mss = 1;
	assert_int_equal(tcp_cookie_check(ut.ctx->tcp, a, &got), -EBADMSG);
	assert_int_equal(got.mss, 0);
	assert_int_equal(got.flags, 0);
}

static void
test_forged(void **state)
{
	struct stk_tcp *t;
	struct tcp_cookie made, got;
	struct tcp_seg s, a, x;
	uint32_t tsval = 0, isn;

	(void)state;
	t = ut.ctx->tcp;
	clock_at_us(3000000);
	s = syn(7000, 0xfffffff0u, 1400, 5, true, true);
	isn = tcp_cookie_make(t, &s, &made, &tsval);
	a = ack_of(&s, isn, true, tsval);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	/* the ISN off by one either way (the low bits are the MSS index) */
	x = a;
	x.ack++;
	expect_bad(&x);
	x = a;
	x.ack--;
	expect_bad(&x);
	x = a;
	x.ack ^= 0x80000000u;
	expect_bad(&x);
	/* another 4-tuple: each field */
	x = a;
	x.sport++;
	expect_bad(&x);
	x = a;
	x.dport = 81;
	expect_bad(&x);
	x = a;
	x.saddr = UT_IP(10, 0, 0, 3);
	expect_bad(&x);
	x = a;
	x.daddr = UT_IP(10, 0, 0, 5);
	expect_bad(&x);
	/* another peer ISN */
	x = a;
	x.seq++;
	expect_bad(&x);
	/* the options in the echo altered: SACK, the shift, ECN */
	x = a;
	x.opts.tsecr ^= 0x10;
	expect_bad(&x);
	x = a;
	x.opts.tsecr = (x.opts.tsecr & ~0xfu) | 14;
	expect_bad(&x);
	x = a;
	x.opts.tsecr ^= 0x20;
	expect_bad(&x);
	/* the echo's upper bits are ours to ignore */
	x = a;
	x.opts.tsecr ^= 0x12345600u;
	assert_int_equal(tcp_cookie_check(t, &x, &got), 0);
	/* timestamps agreed but absent from the ACK (RFC 7323 3.2) */
	x = a;
	x.opts.flags = 0;
	expect_bad(&x);
	/* not a plain ACK */
	x = a;
	x.flags = TCP_ACK | TCP_RST;
	expect_bad(&x);
	x = a;
	x.flags = TCP_ACK | TCP_SYN;
	expect_bad(&x);
	/* another worker's secret */
	stk_tcp_test_cookie_key(ut.ctx, 1, 2);
	expect_bad(&a);
	/* a cookie made without timestamps is good on an ACK that has them */
	s = syn(7001, 99, 1300, -1, false, false);
	isn = tcp_cookie_make(t, &s, &made, &tsval);
	a = ack_of(&s, isn, true, 0x0f);
	assert_int_equal(tcp_cookie_check(t, &a, &got), 0);
	assert_int_equal(got.flags, 0);
	assert_int_equal(got.mss, 1300);
}

/* ------------------------------------------------------------------ */
/* The listener                                                         */

static struct stk_listener *lsn;

/* A listener with syn_backlog 2 (cookies as conf says) and two SYNs
 * holding the backlog; the captured frames cleared. */
static void
full_backlog(bool cookies)
{
	ut.conf.tcp.syn_backlog = 2;
	ut.conf.tcp.syncookies = cookies;
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &lsn), 0);
	for (uint16_t i = 0; i < 2; i++)
		ut_tcp_rx(&(struct ut_seg){
			.sport = (uint16_t)(1000 + i), .flags = TCP_SYN, .seq = 5, .wnd = 100});
	assert_int_equal(ut.n_tx, 2);
	assert_int_equal(ut_conns(), 2);
	assert_int_equal(lsn->half_open, 2);
	ut_tx_clear();
}

/* The third SYN (port 1002, seq 9000): MSS 1400, shift 7, SACK, TS 777.
 * Returns our SYN-ACK. */
static struct ut_out
third_syn(bool ts)
{
	uint8_t o[40];
	struct ut_out out;

	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_SYN,
				   .seq = 9000,
				   .wnd = 65535,
				   .opts = o,
				   .olen = ut_opts(o, 1400, 7, true, ts, 777, 0)});
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&out);
	ut_tx_clear();
	return out;
}

static void
test_backlog_full_cookie(void **state)
{
	static const char hello[] = "hello, cookie";
	struct stk_conn *c;
	uint8_t o[40];
	struct ut_out sa, ack;

	(void)state;
	full_backlog(true);
	sa = third_syn(true);
	assert_int_equal(sa.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa.ack, 9001);
	assert_int_equal(sa.sport, UT_LPORT);
	assert_int_equal(sa.dport, 1002);
	assert_true(sa.has_mss);
	assert_int_equal(sa.mss, 1460);
	assert_true(sa.has_ws);
	assert_int_equal(sa.ws, ut.ctx->tcp->rcv_wscale);
	assert_true(sa.has_sackok);
	assert_true(sa.has_ts);
	assert_int_equal(sa.tsecr, 777);
	assert_int_equal(sa.tsval & 0x3f, 7 | 0x10);
	assert_int_equal(sa.wnd, 65535);
	/* nothing kept */
	assert_int_equal(ut_conns(), 2);
	assert_int_equal(lsn->half_open, 2);
	assert_int_equal(ut_tcp_stats()->syncookies_sent, 1);
	assert_int_equal(ut_tcp_stats()->passive_opens, 2);
	assert_int_equal(ut_tcp_stats()->listen_overflows, 0);
	/* a retransmitted SYN gets the same cookie */
	assert_int_equal(third_syn(true).seq, sa.seq);
	/* the ACK returns it, with data */
	ut.now += 5 * UT_MS;
	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_ACK | TCP_PSH,
				   .seq = 9001,
				   .ack = sa.seq + 1,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval),
				   .data = hello,
				   .len = sizeof(hello)});
	assert_int_equal(ut_tcp_stats()->syncookies_validated, 1);
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 0);
	assert_int_equal(ut_tcp_stats()->passive_opens, 3);
	assert_int_equal(app.accepted, 1);
	c = app.c;
	assert_non_null(c);
	assert_int_equal(c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(c->rport, 1002);
	assert_int_equal(c->iss, sa.seq);
	assert_int_equal(c->snd_una, sa.seq + 1);
	assert_int_equal(c->peer_mss, 1400);
	assert_int_equal(c->snd_mss, 1400);
	assert_true(c->flags & TF_WSCALE);
	assert_true(c->flags & TF_SACK);
	assert_true(c->flags & TF_TS);
	assert_int_equal(c->snd_wscale, 7);
	assert_int_equal(c->rcv_wscale, sa.ws);
	assert_int_equal(c->snd_wnd, 1000u << 7);
	assert_int_equal(c->ts_recent, 778);
	/* the data went to the application */
	assert_int_equal(app.rx_len, sizeof(hello));
	assert_memory_equal(app.rx, hello, sizeof(hello));
	assert_int_equal(c->rcv_nxt, 9001 + sizeof(hello));
	assert_int_equal(ut_conns(), 3);
	assert_int_equal(lsn->half_open, 2); /* the two SYNs before still wait */
	/* our ACK of it: the timestamp clock went on from the cookie's TSval */
	ut_advance_ms(50);
	assert_true(ut.n_tx >= 1);
	ut_tcp_last(&ack);
	assert_int_equal(ack.flags, TCP_ACK);
	assert_int_equal(ack.ack, 9001 + sizeof(hello));
	assert_true(ack.has_ts);
	assert_int_equal(ack.tsecr, 778);
	assert_true(seq_ge(ack.tsval, sa.tsval));
	assert_true(ack.tsval - sa.tsval < 1000);
	/* the application's data goes out with the cookie's sequence numbers */
	ut_tx_clear();
	assert_int_equal(ut_send(c, ut_data_mbuf(100, 1)), 0);
	ut_tcp_last(&ack);
	assert_int_equal(ack.seq, sa.seq + 1);
	assert_int_equal(ack.len, 100);
}

static void
test_cookie_without_timestamps(void **state)
{
	struct ut_out sa;

	(void)state;
	full_backlog(true);
	sa = third_syn(false);
	/* without timestamps the SYN-ACK offers only the MSS */
	assert_true(sa.has_mss);
	assert_false(sa.has_ws);
	assert_false(sa.has_sackok);
	assert_false(sa.has_ts);
	ut_tcp_rx(&(struct ut_seg){
		.sport = 1002, .flags = TCP_ACK, .seq = 9001, .ack = sa.seq + 1, .wnd = 3000});
	assert_int_equal(app.accepted, 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(app.c->peer_mss, 1400);
	assert_false(app.c->flags & (TF_WSCALE | TF_SACK | TF_TS));
	assert_int_equal(app.c->snd_wscale, 0);
	assert_int_equal(app.c->rcv_wscale, 0);
	assert_int_equal(app.c->snd_wnd, 3000);
}

static void
test_cookie_data_and_fin(void **state)
{
	uint8_t o[40];
	struct ut_out sa;

	(void)state;
	full_backlog(true);
	sa = third_syn(true);
	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_ACK | TCP_FIN,
				   .seq = 9001,
				   .ack = sa.seq + 1,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval),
				   .data = "GET /",
				   .len = 5});
	assert_int_equal(app.accepted, 1);
	assert_int_equal(app.rx_len, 5);
	assert_int_equal(app.peer_closed, 1);
	assert_int_equal(app.c->state, STK_TCP_CLOSE_WAIT);
	assert_int_equal(app.c->rcv_nxt, 9001 + 5 + 1);
}

static void
test_cookie_refused(void **state)
{
	uint8_t o[40];
	struct ut_out sa, rst;

	(void)state;
	full_backlog(true);
	/* no cookie sent on this listener yet: a stray ACK is what it was */
	ut_tcp_rx(&(struct ut_seg){.sport = 1500, .flags = TCP_ACK, .seq = 5, .ack = 99});
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 1);
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 0);
	ut_tx_clear();
	sa = third_syn(true);
	/* the cookie with its ISN off by one: RST, counted, nothing opened */
	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_ACK,
				   .seq = 9001,
				   .ack = sa.seq + 2,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval)});
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 1);
	assert_int_equal(drops(STK_DROP_TCP_COOKIE_BAD), 1);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 1);
	ut_tcp_last(&rst);
	assert_int_equal(rst.flags, TCP_RST);
	assert_int_equal(rst.seq, sa.seq + 2);
	assert_int_equal(app.accepted, 0);
	assert_int_equal(ut_conns(), 2);
	/* from another port */
	ut_tcp_rx(&(struct ut_seg){.sport = 1003,
				   .flags = TCP_ACK,
				   .seq = 9001,
				   .ack = sa.seq + 1,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval)});
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 2);
	assert_int_equal(drops(STK_DROP_TCP_COOKIE_BAD), 2);
	/* three slots later the listener looks for cookies no more; the
	 * cookie itself is too old as well */
	ut_advance_us(3ull * SLOT_S * 1000000);
	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_ACK,
				   .seq = 9001,
				   .ack = sa.seq + 1,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval)});
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 2);
	assert_int_equal(ut_tcp_stats()->syncookies_validated, 0);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 2);
	assert_int_equal(app.accepted, 0);
}

static void
test_cookies_off(void **state)
{
	(void)state;
	full_backlog(false);
	ut_tcp_rx(&(struct ut_seg){.sport = 1002, .flags = TCP_SYN, .seq = 9000, .wnd = 100});
	assert_int_equal(ut.n_tx, 0);
	assert_int_equal(ut_conns(), 2);
	assert_int_equal(ut_tcp_stats()->listen_overflows, 1);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_OVERFLOW), 1);
	assert_int_equal(ut_tcp_stats()->syncookies_sent, 0);
	/* and an ACK that would have been a cookie is a stray */
	ut_tcp_rx(&(struct ut_seg){.sport = 1002, .flags = TCP_ACK, .seq = 9001, .ack = 1});
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 1);
	assert_int_equal(ut_tcp_stats()->syncookies_failed, 0);
}

static void
test_backlog_room_again(void **state)
{
	struct ut_out sa;

	(void)state;
	full_backlog(true);
	/* one of the two completes: room for a SYN with state again */
	ut_tcp_rx(&(struct ut_seg){.sport = 1000, .flags = TCP_RST, .seq = 6});
	assert_int_equal(lsn->half_open, 1);
	ut_tx_clear();
	sa = third_syn(true);
	assert_int_equal(ut_tcp_stats()->syncookies_sent, 0);
	assert_int_equal(ut_conns(), 2);
	assert_int_equal(lsn->half_open, 2);
	assert_int_equal(sa.flags, TCP_SYN | TCP_ACK);
}

static void
test_table_full_cookie(void **state)
{
	uint8_t o[40];
	struct ut_out sa;

	(void)state;
	ut.conf.tcp.max_conns = 4;
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &lsn), 0);
	for (uint16_t i = 0; i < 4; i++)
		assert_non_null(tcp_conn_alloc(ut.ctx->tcp, UT_US, UT_PEER, 9, i + 1));
	sa = third_syn(true);
	assert_int_equal(sa.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(ut_tcp_stats()->conn_table_full, 1);
	assert_int_equal(ut_tcp_stats()->syncookies_sent, 1);
	/* still full when the ACK comes: valid, but no room (dropped) */
	ut_tcp_rx(&(struct ut_seg){.sport = 1002,
				   .flags = TCP_ACK,
				   .seq = 9001,
				   .ack = sa.seq + 1,
				   .wnd = 1000,
				   .opts = o,
				   .olen = ut_opts(o, 0, -1, false, true, 778, sa.tsval)});
	assert_int_equal(ut_tcp_stats()->syncookies_validated, 1);
	assert_int_equal(drops(STK_DROP_TCP_CONN_FULL), 1);
	assert_int_equal(app.accepted, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_every_mss),
		UT_TCP_TEST(test_options_with_timestamps),
		UT_TCP_TEST(test_options_without_timestamps),
		UT_TCP_TEST(test_old_slot),
		UT_TCP_TEST(test_forged),
		UT_TCP_TEST(test_backlog_full_cookie),
		UT_TCP_TEST(test_cookie_without_timestamps),
		UT_TCP_TEST(test_cookie_data_and_fin),
		UT_TCP_TEST(test_cookie_refused),
		UT_TCP_TEST(test_cookies_off),
		UT_TCP_TEST(test_backlog_room_again),
		UT_TCP_TEST(test_table_full_cookie),
	};

	return ut_main("test_tcp_cookie", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_cc.c - NewReno through a scripted receiver: the stack sends a
 * bulk transfer to a peer that ACKs every segment and loses the ones a
 * script names. After every ACK the invariant is checked: new data only
 * leaves while the data in flight stays within cwnd (plus limited
 * transmit's two segments). Scripts: slow start and the initial window,
 * one loss (limited transmit, fast retransmit, inflation, deflation), two
 * losses in a window (a partial ACK, RFC 6582), a lost retransmission (RTO,
 * one-segment window), no second reduction from a timeout's go-back,
 * congestion avoidance, restart after idle, and the table of algorithms.
 */
#include "ut_tcp.h"

#define MSS   1000
#define TOTAL (200 * MSS)
#define QMAX  4096

struct seg {
	uint32_t seq, len;
	uint8_t flags;
};

static struct {
	struct ut_peer p;
	uint32_t base; /* our first data byte */
	uint8_t got[TOTAL];
	uint32_t nxt; /* contiguous bytes received */
	struct seg q[QMAX];
	unsigned int qh, qt;
	struct ut_losses loss; /* the n-th transmission of the segment holding a byte is lost */
	/* observations */
	unsigned int checks, new_sends, limited_sends;
	uint32_t max_new_in_step;
} s;

static void
collect(void)
{
	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		assert_true(s.qt - s.qh < QMAX);
		s.q[s.qt++ % QMAX] = (struct seg){o.seq, o.len, o.flags};
	}
	ut_tx_clear();
}

static bool
lost(const struct seg *g)
{
	return ut_losses_hit(&s.loss, g->seq - s.base, g->len);
}

/* The invariant, after the stack reacted to one ACK. */
static void
check(uint32_t max_before)
{
	struct stk_conn *c = app.c;
	uint32_t limit = tcp_cc_send_cwnd(c);

	s.checks++;
	if (seq_le(c->snd_max, max_before))
		return;
	s.new_sends++;
	s.max_new_in_step = RTE_MAX(s.max_new_in_step, c->snd_max - max_before);
	if (!(c->flags & TF_RECOVERY) && c->dupacks > 0 && c->dupacks < 3)
		s.limited_sends++;
	if (c->snd_nxt - c->snd_una > limit)
		fail_msg("flight %u > cwnd %u (+limited transmit), dupacks %u, recovery %d",
			 c->snd_nxt - c->snd_una, limit, c->dupacks, (c->flags & TF_RECOVERY) != 0);
	assert_true(c->snd_nxt - c->snd_una <= c->snd_wnd);
}

static void
ack(void)
{
	uint32_t max_before = app.c->snd_max;

	ut_peer_raw(&s.p, TCP_ACK, s.p.snd_nxt, s.base + s.nxt, NULL, 0);
	check(max_before);
	collect();
}

/* Runs until everything arrived (moving the clock when nothing is in the
 * air, so timeouts happen). */
static void
run(void)
{
	for (unsigned int idle = 0; s.nxt < TOTAL;) {
		struct seg g;
		uint32_t off;

		if (s.qh == s.qt) {
			assert_true(idle++ < 100);
			ut_advance_ms(10);
			collect();
			continue;
		}
		idle = 0;
		g = s.q[s.qh++ % QMAX];
		if (g.len == 0 || lost(&g))
			continue;
		off = g.seq - s.base;
		assert_true(off + g.len <= TOTAL);
		memset(s.got + off, 1, g.len);
		while (s.nxt < TOTAL && s.got[s.nxt])
			s.nxt++;
		ack();
	}
	assert_int_equal(app.c->snd_una, s.base + TOTAL);
}

static void
drop_nth(uint32_t off, unsigned int nth)
{
	ut_losses_add(&s.loss, off, nth);
}

static int
cc_setup(void **state)
{
	uint8_t o[40];
	size_t olen;
	struct rte_mbuf *head = NULL;

	ut_tcp_setup(state);
	ut.conf.tcp.snd_buf = 4u << 20;
	ut.conf.tcp.opt_timestamps = false;
	ut_tcp_restart();
	memset(&s, 0, sizeof(s));
	/* the peer: MSS 1000, a window of 100 * 1024 * 8 bytes */
	s.p.wnd = 100;
	olen = ut_opts(o, MSS, 13, false, false, 0, 0);
	ut_passive_open_opts(&s.p, o, olen);
	s.p.wnd = 100; /* << 13: 800 KiB */
	s.base = s.p.rcv_nxt;
	assert_int_equal(tcp_seg_mss(app.c), MSS);
	for (uint32_t i = 0; i < TOTAL / MSS; i++) {
		struct rte_mbuf *m = ut_data_mbuf(MSS, (uint8_t)i);

		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		if (head->nb_segs == 64 || i + 1 == TOTAL / MSS) {
			assert_int_equal(stk_conn_send(app.c, head), 0);
			head = NULL;
		}
	}
	ut_flush();
	collect();
	return 0;
}

static void
test_initial_window_and_slow_start(void **state)
{
	(void)state;
	/* RFC 6928: 10 segments before the first ACK */
	assert_int_equal(s.qt, 10);
	assert_int_equal(app.c->cwnd, 10 * MSS);
	assert_int_equal(app.c->ssthresh, UINT32_MAX);
	/* one ACK per segment in slow start: +1 MSS each (<= 2 MSS, RFC 3465) */
	for (int i = 0; i < 10; i++) {
		struct seg g = s.q[s.qh++];

		memset(s.got + (g.seq - s.base), 1, g.len);
		s.nxt += g.len;
		ack();
		assert_int_equal(app.c->cwnd, (uint32_t)(11 + i) * MSS);
	}
	run();
	assert_int_equal(ut_tcp_stats()->retrans_segs, 0);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 0);
	assert_true(s.new_sends > 0);
}

static void
test_one_loss(void **state)
{
	unsigned int fr_step_checked = 0, exit_checked = 0;

	(void)state;
	drop_nth(20 * MSS, 1);
	while (s.nxt < TOTAL) {
		uint64_t fr = ut_tcp_stats()->fast_retransmits;
		struct seg g;

		assert_true(s.qh != s.qt);
		g = s.q[s.qh++ % QMAX];
		if (g.len == 0 || lost(&g))
			continue;
		memset(s.got + (g.seq - s.base), 1, g.len);
		while (s.nxt < TOTAL && s.got[s.nxt])
			s.nxt++;
		bool in_recovery = (app.c->flags & TF_RECOVERY) != 0;

		ack();
		if (in_recovery && !(app.c->flags & TF_RECOVERY)) {
			/* the full ACK: deflated to ssthresh (RFC 6582 3.2 step 3) */
			assert_true(app.c->cwnd <= app.c->ssthresh);
			exit_checked = 1;
		}
		if (ut_tcp_stats()->fast_retransmits != fr) {
			/* the third dupack: ssthresh = flight / 2, cwnd = ssthresh + 3 MSS */
			struct seg rtx = s.q[(s.qt - 1) % QMAX];

			assert_int_equal(app.c->cwnd, app.c->ssthresh + 3 * MSS);
			assert_true(app.c->ssthresh >= 2 * MSS);
			assert_true(app.c->flags & TF_RECOVERY);
			assert_int_equal(rtx.seq, s.base + 20 * MSS);
			assert_int_equal(rtx.len, MSS);
			fr_step_checked = 1;
		}
	}
	assert_int_equal(fr_step_checked, 1);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_int_equal(ut_tcp_stats()->retrans_segs, 1);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 0);
	assert_int_equal(s.limited_sends, 2); /* RFC 3042: one per early dupack */
	assert_false(app.c->flags & TF_RECOVERY);
	assert_int_equal(exit_checked, 1);
}

static void
test_two_losses_partial_ack(void **state)
{
	(void)state;
	drop_nth(20 * MSS, 1);
	drop_nth(24 * MSS, 1);
	run();
	/* one reduction, the second hole repaired by the partial ACK */
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_int_equal(ut_tcp_stats()->retrans_segs, 2);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 0);
}

static void
test_lost_retransmission(void **state)
{
	uint32_t ssthresh_fr;

	(void)state;
	drop_nth(20 * MSS, 1);
	drop_nth(20 * MSS, 2); /* the fast retransmission is lost too */
	while (ut_tcp_stats()->fast_retransmits == 0) {
		struct seg g = s.q[s.qh++ % QMAX];

		if (g.len == 0 || lost(&g))
			continue;
		memset(s.got + (g.seq - s.base), 1, g.len);
		while (s.nxt < TOTAL && s.got[s.nxt])
			s.nxt++;
		ack();
	}
	ssthresh_fr = app.c->ssthresh;
	/* let the rest of the window arrive and dupack, then time out */
	while (s.qh != s.qt) {
		struct seg g = s.q[s.qh++ % QMAX];

		if (g.len == 0 || lost(&g))
			continue;
		memset(s.got + (g.seq - s.base), 1, g.len);
		ack();
	}
	ut_advance_ms(250); /* the RTO (rto_min, srtt ~ 0) */
	assert_int_equal(ut_tcp_stats()->rto_expiries, 1);
	assert_int_equal(app.c->cwnd, MSS); /* RFC 5681: one segment */
	assert_false(app.c->flags & TF_RECOVERY);
	assert_int_equal(app.c->ssthresh, ssthresh_fr); /* the same episode: no second cut */
	assert_int_equal(app.c->backoff, 1);
	collect();
	assert_int_equal(s.qt - s.qh, 1); /* one segment: the hole */
	assert_int_equal(s.q[s.qh % QMAX].seq, s.base + 20 * MSS);
	run();
	/* the go-back's duplicates did not cause another fast retransmit */
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 1);
}

static void
test_congestion_avoidance(void **state)
{
	struct stk_conn *c;

	(void)state;
	c = app.c;
	c->ssthresh = c->cwnd = 10 * MSS;
	/* ten ACKs of one segment: one cwnd's worth, +1 MSS */
	for (int i = 0; i < 10; i++) {
		struct seg g = s.q[s.qh++];

		memset(s.got + (g.seq - s.base), 1, g.len);
		s.nxt += g.len;
		ack();
		assert_int_equal(c->cwnd, i < 9 ? 10 * MSS : 11 * MSS);
	}
	run();
}

static void
test_idle_restart(void **state)
{
	struct stk_conn *c;

	(void)state;
	run();
	c = app.c;
	assert_true(c->cwnd > 20 * MSS);
	ut_advance_ms(2000); /* far more than the RTO */
	assert_int_equal(ut_send(c, ut_data_mbuf(500, 0)), 0);
	assert_int_equal(c->cwnd, 10 * MSS); /* RFC 5681 4.1: the restart window */
	collect();
}

static void
test_cc_table(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cc_get(STK_CC_NEWRENO), &tcp_cc_newreno);
	assert_null(tcp_cc_get(STK_CC_MAX));
	assert_non_null(tcp_cc_newreno.init);
	assert_non_null(tcp_cc_newreno.on_ack);
	assert_non_null(tcp_cc_newreno.on_loss);
	assert_non_null(tcp_cc_newreno.on_rto);
	assert_non_null(tcp_cc_newreno.on_idle);
	assert_ptr_equal(app.c->cc, &tcp_cc_newreno);
	run();
}

#define T(f) cmocka_unit_test_setup_teardown(f, cc_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_initial_window_and_slow_start),
		T(test_one_loss),
		T(test_two_losses_partial_ack),
		T(test_lost_retransmission),
		T(test_congestion_avoidance),
		T(test_idle_restart),
		T(test_cc_table),
	};

	return ut_main("test_tcp_cc", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_cubic.c - CUBIC (RFC 9438). The window policy is driven through
 * its ops on a bare TCB with a controlled clock and flight, and checked
 * against the RFC's formulas written out here (C = 0.4, beta = 0.7, K the
 * cube root found by bisection): the curve at several t (concave, K,
 * convex), the per-ACK increase toward W_cubic(t + RTT) clamped to 1.5 *
 * cwnd, the Reno-friendly region at a small RTT (alpha = 3 * 0.3 / 1.7,
 * then 1), fast convergence, the epoch's start and its reset on loss and
 * timeout, idle and application-limited time left out of t, ssthresh =
 * 0.7 * cwnd, one segment after a timeout, undo. Then a transfer through a
 * scripted receiver (as test_tcp_cc.c) with congestion_control cubic:
 * the data in flight never exceeds cwnd, losses and a timeout included.
 */
#include "stk_tcp_cc_cubic.h"
#include "ut_tcp.h"

#define MSS 1000u
#define C   0.4
#define SEC 1000000ull

/* ------------------------------------------------------------------ */
/* A bare TCB                                                           */

static struct stk_conn fc;
static uint64_t t0;

static int
fc_setup(void **state)
{
	ut_tcp_setup(state);
	memset(&fc, 0, sizeof(fc));
	fc.ctx = ut.ctx;
	fc.snd_mss = MSS;
	fc.cc = &tcp_cc_cubic;
	fc.snd_una = fc.snd_nxt = fc.snd_max = 5000;
	t0 = ut.now;
	conn_tcp(&fc)->now = t0;
	tcp_cc_cubic.init(&fc);
	return 0;
}

/* The worker clock at t0 + us. */
static void
at_us(uint64_t us)
{
	struct stk_tcp *t = conn_tcp(&fc);

	t->now = t0 + us * t->tsc_us;
}

static void
set_flight(uint32_t bytes)
{
	fc.snd_nxt = fc.snd_max = fc.snd_una + bytes;
}

/* An ACK of acked bytes from a full window (cwnd-limited). */
static void
ack(uint32_t acked)
{
	set_flight(fc.cwnd);
	fc.snd_una += acked;
	tcp_cc_cubic.on_ack(&fc, acked);
}

static double
cube_root(double x)
{
	double lo = 0, hi = 1;

	while (hi * hi * hi < x)
		hi *= 2;
	for (int i = 0; i < 200; i++) {
		double m = (lo + hi) / 2;

		if (m * m * m < x)
			lo = m;
		else
			hi = m;
	}
	return lo;
}

/* RFC 9438 eq. 1 in bytes: W_max + C * (t - K)^3 segments. */
static double
rfc_w(double w_max_seg, double k_s, double t_s)
{
	double d = t_s - k_s;

	return (w_max_seg + C * d * d * d) * MSS;
}

static void
assert_near(double got, double want, double tol)
{
	if (got < want - tol || got > want + tol)
		fail_msg("got %.3f, want %.3f (+-%.3f)", got, want, tol);
}

/* A loss at cwnd = w segments from a full window. */
static void
loss_at(uint32_t w)
{
	fc.cwnd = w * MSS;
	set_flight(fc.cwnd);
	tcp_cc_cubic.on_loss(&fc);
}

static void
test_table(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cc_get(STK_CC_CUBIC), &tcp_cc_cubic);
	assert_ptr_equal(tcp_cc_get(STK_CC_NEWRENO), &tcp_cc_newreno);
	assert_string_equal(tcp_cc_cubic.name, "cubic");
	assert_non_null(tcp_cc_cubic.init);
	assert_non_null(tcp_cc_cubic.on_ack);
	assert_non_null(tcp_cc_cubic.on_loss);
	assert_non_null(tcp_cc_cubic.on_rto);
	assert_non_null(tcp_cc_cubic.on_idle);
	assert_non_null(tcp_cc_cubic.undo);
}

static void
test_slow_start(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);

	(void)state;
	assert_int_equal(fc.cwnd, 10 * MSS); /* RFC 6928 */
	assert_int_equal(fc.ssthresh, UINT32_MAX);
	ack(MSS);
	assert_int_equal(fc.cwnd, 11 * MSS);
	ack(5 * MSS); /* RFC 3465: at most 2 segments per ACK */
	assert_int_equal(fc.cwnd, 13 * MSS);
	assert_int_equal(cb->epoch, 0); /* no stage in slow start */
	/* application-limited (RFC 7661): less than half the window in use */
	set_flight(5 * MSS);
	fc.snd_una += MSS;
	tcp_cc_cubic.on_ack(&fc, MSS);
	assert_int_equal(fc.cwnd, 13 * MSS);
	set_flight(7 * MSS);
	fc.snd_una += MSS;
	tcp_cc_cubic.on_ack(&fc, MSS); /* 7 of 13 in use before it */
	assert_int_equal(fc.cwnd, 14 * MSS);
}

static void
test_loss_ssthresh(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);

	(void)state;
	loss_at(100);
	assert_int_equal(fc.ssthresh, 70 * MSS); /* beta_cubic = 0.7 */
	assert_int_equal(fc.cwnd, fc.ssthresh);
	assert_int_equal(cb->w_max, 100 * MSS);
	assert_int_equal(cb->cwnd_prior, 100 * MSS);
	assert_int_equal(cb->epoch, 0);
	/* limited transmit's extra segments are not part of it */
	fc.cwnd = 100 * MSS;
	set_flight(102 * MSS);
	tcp_cc_cubic.on_loss(&fc);
	assert_int_equal(fc.ssthresh, 70 * MSS);
	/* an application-limited flight (RFC 9438 4.6: flight_size) */
	fc.cwnd = 100 * MSS;
	set_flight(40 * MSS);
	tcp_cc_cubic.on_loss(&fc);
	assert_int_equal(fc.ssthresh, 28 * MSS);
	assert_int_equal(fc.cwnd, 28 * MSS);
	/* at least two segments */
	fc.cwnd = 2 * MSS;
	set_flight(2 * MSS);
	tcp_cc_cubic.on_loss(&fc);
	assert_int_equal(fc.ssthresh, 2 * MSS);
	assert_int_equal(fc.cwnd, 2 * MSS);
}

/* The stage after a loss at 100 segments: cwnd_epoch = 70, W_max = 100,
 * K = cbrt(30 / 0.4); cwnd set by one ACK of a whole window (the per-ACK
 * rule then moves it all the way to the target) with RTT 0. */
static void
test_curve(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	double k = cube_root(30 / C);
	const double ts[] = {1.0, 2.5, k, k + 1, k + 2, k + 5};

	(void)state;
	loss_at(100);
	at_us(SEC / 10);
	ack(fc.cwnd);
	/* the first ACK in congestion avoidance opens the stage */
	assert_int_equal(cb->epoch, t0 + SEC / 10 * conn_tcp(&fc)->tsc_us);
	assert_near(cb->k_us, k * 1e6, 1);
	assert_int_equal(cb->w_max, 100 * MSS);
	/* t = 0: W_cubic(0) = cwnd_epoch; W_est went past it (Reno-friendly) */
	assert_near(fc.cwnd, 70 * MSS + 9.0 / 17 * MSS, 1);
	for (unsigned int i = 0; i < RTE_DIM(ts); i++) {
		double want = rfc_w(100, k, ts[i]);

		at_us(SEC / 10 + (uint64_t)(ts[i] * 1e6));
		ack(fc.cwnd);
		assert_true(cb->w_est < want); /* the cubic region */
		assert_near(fc.cwnd, want, 2);
		if (ts[i] < k)
			assert_true(fc.cwnd < 100 * MSS); /* concave: under W_max */
		else if (ts[i] > k)
			assert_true(fc.cwnd > 100 * MSS); /* convex: probing above it */
		else
			assert_near(fc.cwnd, 100 * MSS, 2); /* K: back at W_max */
	}
	assert_near(fc.cwnd, 150 * MSS, 2); /* C * 5^3 = 50 segments over W_max */
}

/* target = W_cubic(t + RTT), no less than cwnd, no more than 1.5 * cwnd. */
static void
test_target(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	double k = cube_root(30 / C);
	uint32_t w;

	(void)state;
	loss_at(100);
	ack(fc.cwnd); /* t = 0 */
	fc.srtt_us = 500000;
	at_us(SEC);
	ack(fc.cwnd);
	assert_near(fc.cwnd, rfc_w(100, k, 1.5), 2); /* one RTT ahead */
	/* far ahead of cwnd: half again per window */
	w = fc.cwnd;
	at_us(10 * SEC);
	ack(fc.cwnd);
	assert_near(fc.cwnd, 1.5 * w, 1);
	/* above the curve: no growth */
	fc.srtt_us = 0;
	cb->epoch = 0;
	loss_at(100);
	at_us(0);
	ack(fc.cwnd);
	fc.cwnd = 99 * MSS;
	w = fc.cwnd;
	at_us(SEC);
	ack(fc.cwnd);
	assert_int_equal(fc.cwnd, w);
}

/* RFC 9438 4.4: (target - cwnd) / cwnd per segment acked. */
static void
test_per_ack_increase(void **state)
{
	double k = cube_root(30 / C), target, want;

	(void)state;
	loss_at(100);
	ack(fc.cwnd); /* t = 0 */
	fc.cwnd = 70 * MSS;
	at_us(SEC);
	target = rfc_w(100, k, 1.0);
	want = fc.cwnd;
	for (int i = 0; i < 30; i++) {
		want += (target - want) * MSS / (double)(uint32_t)want;
		ack(MSS);
		assert_near(fc.cwnd, want, 2);
	}
	/* half a segment: half the increase */
	want += (target - want) * 500 / (double)(uint32_t)want;
	ack(500);
	assert_near(fc.cwnd, want, 2);
	assert_true(fc.cwnd > 70 * MSS + 5 * MSS);
	/* a stretch ACK of three windows: up to the target, not past it */
	ack(3 * fc.cwnd);
	assert_near(fc.cwnd, target, 2);
}

/* A small RTT: Reno's estimate (eq. 4, alpha = 3 * 0.3 / 1.7) outgrows the
 * curve, and cwnd follows it; alpha = 1 once W_est reaches cwnd_prior. A
 * large RTT over the same time leaves the curve on top. */
static void
reno_rounds(unsigned int rounds, uint64_t rtt_us, double *w_est, uint64_t *now_us)
{
	for (unsigned int r = 0; r < rounds; r++) {
		uint32_t n = fc.cwnd / MSS;

		*now_us += rtt_us;
		at_us(*now_us);
		for (uint32_t i = 0; i < n; i++) {
			double alpha = *w_est >= 100.0 * MSS ? 1.0 : 3 * 0.3 / 1.7;

			*w_est += alpha * MSS * MSS / fc.cwnd;
			ack(MSS);
		}
	}
}

static void
test_reno_friendly(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	double k = cube_root(30 / C), w_est = 70 * MSS;
	uint64_t now = 0;
	uint32_t w;

	(void)state;
	loss_at(100);
	fc.srtt_us = 100;
	reno_rounds(50, 100, &w_est, &now); /* 5 ms */
	/* the curve has barely moved; Reno's line has ~26.5 segments */
	assert_true(rfc_w(100, k, 0.005) < 71.0 * MSS);
	assert_near(cb->w_est, w_est, 1);
	assert_near(fc.cwnd, w_est, 1);
	assert_near(fc.cwnd, (70 + 50 * 9.0 / 17) * MSS, 0.3 * MSS);
	/* past cwnd_prior (100): one segment per round */
	reno_rounds(10, 100, &w_est, &now);
	assert_true(cb->w_est >= 100.0 * MSS);
	w = fc.cwnd;
	reno_rounds(10, 100, &w_est, &now);
	assert_near(fc.cwnd, w + 10.0 * MSS, 0.3 * MSS);
	assert_near(fc.cwnd, w_est, 1);

	/* 25 rounds at 100 ms: the cubic region, cwnd between W_cubic(t)
	 * and W_cubic(t + RTT) (the stage began with the first round) */
	loss_at(100);
	fc.srtt_us = 100000;
	now = 0;
	reno_rounds(25, 100000, &w_est, &now); /* t = 2.4 s */
	assert_true(fc.cwnd >= rfc_w(100, k, 2.4) - 2);
	assert_true(fc.cwnd <= rfc_w(100, k, 2.5) + 2);
	assert_true(cb->w_est < fc.cwnd - 10.0 * MSS);
}

/* RFC 9438 4.7: a loss under the previous W_max lowers it further. */
static void
test_fast_convergence(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);

	(void)state;
	loss_at(100);
	assert_int_equal(cb->w_max, 100 * MSS);
	loss_at(80);
	assert_int_equal(cb->w_max, 68 * MSS); /* 80 * (1 + 0.7) / 2 */
	assert_int_equal(cb->cwnd_prior, 80 * MSS);
	assert_int_equal(fc.ssthresh, 56 * MSS);
	/* the stage's K toward the lowered W_max: cbrt((68 - 56) / 0.4) */
	at_us(SEC);
	ack(fc.cwnd);
	assert_near(cb->k_us, cube_root(12 / C) * 1e6, 1);
	/* above W_max: remembered as it is */
	loss_at(120);
	assert_int_equal(cb->w_max, 120 * MSS);
	assert_int_equal(fc.ssthresh, 84 * MSS);
}

/* RFC 9438 4.8: Reno's one segment, ssthresh from beta; the
 * stage after it starts with K = 0 and W_max = cwnd_epoch. */
static void
test_rto(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	uint32_t epoch_cwnd;

	(void)state;
	fc.cwnd = 100 * MSS;
	set_flight(100 * MSS);
	fc.rtx_n = 1;
	tcp_cc_cubic.on_rto(&fc);
	assert_int_equal(fc.cwnd, MSS);
	assert_int_equal(fc.ssthresh, 70 * MSS);
	assert_int_equal(cb->epoch, 0);
	/* the same segment timing out again: ssthresh stays */
	fc.rtx_n = 2;
	tcp_cc_cubic.on_rto(&fc);
	assert_int_equal(fc.cwnd, MSS);
	assert_int_equal(fc.ssthresh, 70 * MSS);
	/* a timeout within a fast recovery: the same episode */
	loss_at(60);
	assert_int_equal(fc.ssthresh, 42 * MSS);
	fc.flags |= TF_RECOVERY;
	fc.rtx_n = 1;
	tcp_cc_cubic.on_rto(&fc);
	fc.flags &= ~TF_RECOVERY;
	assert_int_equal(fc.ssthresh, 42 * MSS);
	assert_int_equal(fc.cwnd, MSS);
	/* slow start back to ssthresh, then the stage: K = 0, W_max = cwnd */
	while (fc.cwnd < fc.ssthresh)
		ack(MSS);
	assert_int_equal(cb->epoch, 0);
	epoch_cwnd = fc.cwnd;
	at_us(SEC);
	ack(MSS);
	assert_int_equal(cb->k_us, 0);
	assert_int_equal(cb->w_max, epoch_cwnd);
	at_us(3 * SEC);
	ack(fc.cwnd);
	assert_near(fc.cwnd, epoch_cwnd + C * 8 * MSS, 2); /* convex from t = 0 */
}

/* RFC 9438 5.8: idle and application-limited time is not part of t. */
static void
test_idle_and_app_limited(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	uint64_t tsc_us = conn_tcp(&fc)->tsc_us, e;
	uint32_t w;

	(void)state;
	loss_at(100);
	at_us(0);
	ack(fc.cwnd);
	e = cb->epoch;
	assert_int_equal(e, t0);
	at_us(SEC);
	ack(fc.cwnd);
	/* a stretch of ACKs with less than half the window in flight */
	w = fc.cwnd;
	at_us(SEC + SEC / 2);
	set_flight(10 * MSS);
	fc.snd_una += MSS;
	tcp_cc_cubic.on_ack(&fc, MSS);
	assert_int_equal(fc.cwnd, w); /* no growth */
	assert_int_equal(cb->lim_since, t0 + (SEC + SEC / 2) * tsc_us);
	at_us(2 * SEC);
	set_flight(5 * MSS);
	fc.snd_una += MSS;
	tcp_cc_cubic.on_ack(&fc, MSS);
	assert_int_equal(fc.cwnd, w);
	/* a full window again at 3.5 s: 2 s taken out of t */
	at_us(3 * SEC + SEC / 2);
	ack(MSS);
	assert_int_equal(cb->epoch, e + 2 * SEC * tsc_us);
	assert_int_equal(cb->lim_since, 0);

	/* idle after the last ACK at 4 s (application-limited from then on),
	 * sending again at 10 s: the epoch moves 6 s, W_max and K stay,
	 * cwnd restarts from at most the initial window (RFC 5681 4.1) */
	e = cb->epoch;
	w = cb->w_max;
	at_us(4 * SEC);
	set_flight(MSS);
	fc.snd_una += MSS;
	tcp_cc_cubic.on_ack(&fc, MSS);
	at_us(10 * SEC);
	tcp_cc_cubic.on_idle(&fc);
	assert_int_equal(cb->epoch, e + 6 * SEC * tsc_us);
	assert_int_equal(cb->w_max, w);
	assert_int_equal(fc.cwnd, 10 * MSS);
	/* without an ACK stretch first: from the last send */
	e = cb->epoch;
	fc.last_snd_tsc = t0 + 11 * SEC * tsc_us;
	at_us(14 * SEC);
	tcp_cc_cubic.on_idle(&fc);
	assert_int_equal(cb->epoch, e + 3 * SEC * tsc_us);
}

/* After a restart from the initial window, neither the curve nor a W_est
 * far above cwnd grows it faster than half again per window. */
static void
test_restart_bounded(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc);
	double w_est = 70 * MSS;
	uint64_t now = 0;

	(void)state;
	loss_at(100);
	fc.srtt_us = 100;
	reno_rounds(80, 100, &w_est, &now); /* Reno's line past 100 segments */
	assert_true(cb->w_est > 110.0 * MSS);
	at_us(now + 2 * SEC);
	tcp_cc_cubic.on_idle(&fc);
	assert_int_equal(fc.cwnd, 10 * MSS);
	fc.ssthresh = 10 * MSS; /* congestion avoidance at once */
	for (int i = 0; i < 10; i++) {
		uint32_t w = fc.cwnd;

		ack(MSS);
		assert_true(fc.cwnd > w);
		assert_true(fc.cwnd <= w + MSS / 2);
	}
}

/* RFC 9438 4.9.2: a spurious loss puts the stage back. */
static void
test_undo(void **state)
{
	struct tcp_cubic *cb = tcp_cubic(&fc), before;

	(void)state;
	loss_at(100);
	at_us(SEC);
	ack(fc.cwnd);
	at_us(2 * SEC);
	ack(fc.cwnd);
	before = *cb;
	loss_at(fc.cwnd / MSS);
	assert_int_not_equal(cb->w_max, before.w_max);
	assert_int_equal(cb->epoch, 0);
	/* a timeout inside the recovery does not replace what undo restores */
	fc.flags |= TF_RECOVERY;
	fc.rtx_n = 1;
	tcp_cc_cubic.on_rto(&fc);
	fc.flags &= ~TF_RECOVERY;
	tcp_cc_cubic.undo(&fc);
	assert_int_equal(cb->epoch, before.epoch);
	assert_int_equal(cb->w_max, before.w_max);
	assert_int_equal(cb->k_us, before.k_us);
	assert_int_equal(cb->cwnd_prior, before.cwnd_prior);
	assert_true(cb->w_est == before.w_est);
}

/* ------------------------------------------------------------------ */
/* A transfer through a scripted receiver                               */

#define TOTAL (500 * MSS)
#define QMAX  4096

struct seg {
	uint32_t seq, len;
};

static struct {
	struct ut_peer p;
	uint32_t base;
	uint8_t got[TOTAL];
	uint32_t nxt;
	struct seg q[QMAX];
	unsigned int qh, qt;
	struct ut_losses loss; /* the n-th transmission of the segment holding a byte is lost */
	unsigned int new_sends, stages, fc;
	uint32_t max_cwnd;
	uint64_t epoch;
} s;

static void
collect(void)
{
	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		assert_true(s.qt - s.qh < QMAX);
		s.q[s.qt++ % QMAX] = (struct seg){o.seq, o.len};
	}
	ut_tx_clear();
}

static bool
lost(const struct seg *g)
{
	return ut_losses_hit(&s.loss, g->seq - s.base, g->len);
}

static void
peer_ack(void)
{
	struct stk_conn *c = app.c;
	uint32_t max_before = c->snd_max;

	ut_peer_raw(&s.p, TCP_ACK, s.p.snd_nxt, s.base + s.nxt, NULL, 0);
	s.max_cwnd = RTE_MAX(s.max_cwnd, c->cwnd);
	if (tcp_cubic(c)->epoch != s.epoch && tcp_cubic(c)->epoch != 0)
		s.stages++; /* congestion avoidance began */
	s.epoch = tcp_cubic(c)->epoch;
	if (seq_gt(c->snd_max, max_before)) {
		s.new_sends++;
		if (c->snd_nxt - c->snd_una > tcp_cc_send_cwnd(c))
			fail_msg("flight %u > cwnd %u (+limited transmit), recovery %d",
				 c->snd_nxt - c->snd_una, tcp_cc_send_cwnd(c),
				 (c->flags & TF_RECOVERY) != 0);
	}
	collect();
}

static void
run(void)
{
	for (unsigned int idle = 0; s.nxt < TOTAL;) {
		uint64_t fr = ut_tcp_stats()->fast_retransmits;
		uint32_t cwnd = app.c->cwnd, flight = tcp_flight(app.c);
		uint32_t w_max = tcp_cubic(app.c)->w_max;
		struct seg g;

		if (s.qh == s.qt) {
			assert_true(idle++ < 100);
			ut_advance_ms(10);
			collect();
			continue;
		}
		idle = 0;
		ut.now += ut.ms / 10; /* 100 us between arrivals */
		g = s.q[s.qh++ % QMAX];
		if (g.len == 0 || lost(&g))
			continue;
		memset(s.got + (g.seq - s.base), 1, g.len);
		while (s.nxt < TOTAL && s.got[s.nxt])
			s.nxt++;
		peer_ack();
		if (ut_tcp_stats()->fast_retransmits != fr) {
			/* the third dupack: 0.7 of the window, inflated by 3 */
			assert_int_equal(
				app.c->ssthresh,
				RTE_MAX((uint32_t)(RTE_MIN(flight, cwnd) * 0.7 + 0.5), 2 * MSS));
			assert_int_equal(app.c->cwnd, app.c->ssthresh + 3 * MSS);
			/* fast convergence below the last W_max */
			assert_int_equal(tcp_cubic(app.c)->w_max,
					 cwnd < w_max ? (uint32_t)(cwnd * 0.85 + 0.5) : cwnd);
			s.fc += cwnd < w_max;
		}
	}
	assert_int_equal(app.c->snd_una, s.base + TOTAL);
}

static void
drop_nth(uint32_t off, unsigned int nth)
{
	ut_losses_add(&s.loss, off, nth);
}

static int
xfer_setup(void **state)
{
	uint8_t o[40];
	size_t olen;
	struct rte_mbuf *head = NULL;

	ut_tcp_setup(state);
	ut.conf.tcp.snd_buf = 4u << 20;
	ut.conf.tcp.opt_timestamps = false;
	ut.conf.tcp.cc = STK_CC_CUBIC;
	ut_tcp_restart();
	memset(&s, 0, sizeof(s));
	olen = ut_opts(o, MSS, 13, false, false, 0, 0);
	ut_passive_open_opts(&s.p, o, olen);
	s.p.wnd = 100; /* << 13: 800 KiB */
	s.base = s.p.rcv_nxt;
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
test_transfer(void **state)
{
	struct stk_conn_info info[4];

	(void)state;
	assert_ptr_equal(app.c->cc, &tcp_cc_cubic);
	assert_int_equal(stk_tcp_dump(ut.ctx, info, 4), 1);
	assert_string_equal(info[0].cc, "cubic");
	assert_int_equal(s.qt, 10); /* the initial window */
	drop_nth(40 * MSS, 1);
	drop_nth(44 * MSS, 1);	/* a partial ACK */
	drop_nth(250 * MSS, 1); /* a second episode */
	drop_nth(420 * MSS, 1); /* a third ... */
	drop_nth(420 * MSS, 2); /* ... whose retransmission is lost: a timeout */
	run();
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 3);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 1);
	assert_int_equal(s.fc, 2); /* the windows at the later losses were lower */
	assert_true(s.new_sends > 100);
	assert_true(s.max_cwnd > 20 * MSS);
	/* congestion avoidance after each of the first two recoveries */
	assert_int_equal(s.stages, 2);
}

#define F(f) cmocka_unit_test_setup_teardown(f, fc_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		F(test_table),
		F(test_slow_start),
		F(test_loss_ssthresh),
		F(test_curve),
		F(test_target),
		F(test_per_ack_increase),
		F(test_reno_friendly),
		F(test_fast_convergence),
		F(test_rto),
		F(test_idle_and_app_limited),
		F(test_restart_bounded),
		F(test_undo),
		cmocka_unit_test_setup_teardown(test_transfer, xfer_setup, ut_teardown),
	};

	return ut_main("test_tcp_cubic", tests, RTE_DIM(tests));
}

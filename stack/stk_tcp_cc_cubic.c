/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc_cubic.c - CUBIC's window policy (RFC 9438): slow start as
 * NewReno's (RFC 5681 with RFC 3465, L = 2), then in congestion avoidance
 * the cubic curve W_cubic(t) = C * (t - K)^3 + W_max from the start of the
 * stage, Reno's estimate W_est as a floor (the Reno-friendly region),
 * beta_cubic = 0.7 with fast convergence on loss, Reno's single segment
 * after a timeout. Recovery itself is in stk_tcp_cc.c. Owning worker only.
 *
 * Windows are in bytes (RFC 9438's segments times the MSS); the arithmetic
 * is double precision, a few operations per ACK on the worker's core, and
 * the one cube root per stage is Newton's (no libm).
 *
 * Application-limited flows (RFC 9438 5.8): cwnd only grows while the
 * data in flight is at least half of it (RFC 7661's validated window, the
 * test Linux applies in slow start), and t leaves out the stretches where
 * it was not: the epoch moves forward by them.
 */
#include "stk_tcp_cc_cubic.h"

#include <string.h>

#define CUBIC_C	   0.4 /* segments / second^3 */
#define CUBIC_BETA 0.7
/* RFC 9438 4.3: Reno's average window with AIMD(alpha, beta) */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))
#define CWND_MAX    (1u << 30)

/* x^(1/3) for x >= 0: Newton's iteration from above (a power of two at
 * most twice the root), which decreases monotonically to it. */
static double
cube_root(double x)
{
	double r = 1.0;

	if (!(x > 0.0))
		return 0.0;
	while (r * r * r < x)
		r *= 2.0;
	for (int i = 0; i < 200; i++) {
		double n = (2.0 * r + x / (r * r)) / 3.0;

		if (n >= r)
			break; /* rounding stopped it: converged */
		r = n;
	}
	return r;
}

static uint64_t
now_tsc(const struct stk_conn *c)
{
	uint64_t now = conn_tcp(c)->now;

	return now != 0 ? now : 1; /* 0 means "no epoch" */
}

/* W_cubic(t) in bytes, t in microseconds from the epoch. */
static double
w_cubic(const struct tcp_cubic *cb, uint32_t mss, uint64_t t_us)
{
	double dt = ((double)t_us - (double)cb->k_us) * 1e-6;
	double w = (double)cb->w_max + CUBIC_C * dt * dt * dt * mss;

	return RTE_MAX(RTE_MIN(w, (double)CWND_MAX), 0.0);
}

/* RFC 9438 4.2: a congestion avoidance stage begins with cwnd_epoch = cwnd.
 * Below W_max the curve climbs back to it in K; at or above it (no loss
 * yet, or after a timeout, 4.8) W_max = cwnd and K = 0. */
static void
epoch_start(struct stk_conn *c, struct tcp_cubic *cb)
{
	uint32_t mss = tcp_seg_mss(c);
	double k_s;

	cb->epoch = now_tsc(c);
	cb->lim_since = 0;
	cb->w_est = c->cwnd;
	cb->frac = 0;
	if (c->cwnd < cb->w_max) {
		k_s = cube_root((double)(cb->w_max - c->cwnd) / mss / CUBIC_C);
		cb->k_us = (uint32_t)RTE_MIN(k_s * 1e6 + 0.5, (double)UINT32_MAX);
	} else {
		cb->w_max = c->cwnd;
		cb->k_us = 0;
	}
}

static uint64_t
elapsed_us(const struct stk_conn *c, const struct tcp_cubic *cb)
{
	const struct stk_tcp *t = conn_tcp(c);
	uint64_t now = now_tsc(c);

	return now > cb->epoch ? (now - cb->epoch) / t->tsc_us : 0;
}

/* RFC 7661: the window is validated while at least half of it is used
 * (acked counts: the flight before this ACK). */
static bool
cwnd_limited(const struct stk_conn *c, uint32_t acked)
{
	return 2 * ((uint64_t)tcp_flight(c) + acked) >= c->cwnd;
}

/* Takes the application-limited stretch since lim_since out of t. */
static void
epoch_resume(struct stk_conn *c, struct tcp_cubic *cb, uint64_t since)
{
	uint64_t now = now_tsc(c);

	since = RTE_MAX(since, cb->epoch);
	if (cb->epoch != 0 && now > since)
		cb->epoch += now - since;
	cb->lim_since = 0;
}

/* RFC 9438 4.2 to 4.5: one new ACK in congestion avoidance. */
static void
cubic_avoid(struct stk_conn *c, struct tcp_cubic *cb, uint32_t acked)
{
	uint32_t mss = tcp_seg_mss(c), cwnd = c->cwnd;
	double w, target, alpha, inc;
	uint64_t t_us;

	if (cb->epoch == 0)
		epoch_start(c, cb);
	t_us = elapsed_us(c, cb);
	w = w_cubic(cb, mss, t_us);
	/* where the curve is one RTT from now, no less than cwnd and no more
	 * than half again (below slow start's rate) */
	target = w_cubic(cb, mss, t_us + c->srtt_us);
	target = RTE_MIN(RTE_MAX(target, (double)cwnd), 1.5 * cwnd);
	/* 4.3, eq. 4 in bytes; alpha becomes Reno's 1 once W_est passes the
	 * window of the last reduction */
	alpha = cb->w_est >= cb->cwnd_prior ? 1.0 : CUBIC_ALPHA;
	cb->w_est = RTE_MIN(cb->w_est + alpha * mss * acked / cwnd, (double)CWND_MAX);
	if (w < cb->w_est) {
		/* the Reno-friendly region: cwnd = W_est, never shrinking here
		 * and, as the curve's target, at most half again per window
		 * (W_est may be far above a cwnd restarted after idle) */
		c->cwnd = RTE_MAX(cwnd, (uint32_t)RTE_MIN(cb->w_est, cwnd + acked / 2.0));
		cb->frac = 0;
		return;
	}
	/* 4.4, 4.5: (target - cwnd) / cwnd per segment acked */
	inc = RTE_MIN((target - cwnd) * acked / cwnd, target - cwnd) + cb->frac;
	c->cwnd = RTE_MIN(cwnd + (uint32_t)inc, CWND_MAX);
	cb->frac = (float)(inc - (uint32_t)inc);
}

static void
cubic_init(struct stk_conn *c)
{
	memset(c->cc_priv, 0, sizeof(c->cc_priv));
	c->cwnd = tcp_cc_initial_window(c);
	c->ssthresh = UINT32_MAX;
	c->bytes_acked = 0;
}

static void
cubic_on_ack(struct stk_conn *c, uint32_t acked)
{
	struct tcp_cubic *cb = tcp_cubic(c);

	if (!cwnd_limited(c, acked)) {
		if (cb->epoch != 0 && cb->lim_since == 0)
			cb->lim_since = now_tsc(c);
		return;
	}
	if (cb->lim_since != 0)
		epoch_resume(c, cb, cb->lim_since);
	if (c->cwnd < c->ssthresh) {
		c->cwnd = RTE_MIN(c->cwnd + RTE_MIN(acked, 2 * tcp_seg_mss(c)), CWND_MAX);
		return;
	}
	cubic_avoid(c, cb, acked);
}

static void
undo_save(struct tcp_cubic *cb)
{
	cb->undo_epoch = cb->epoch;
	cb->undo_w_est = cb->w_est;
	cb->undo_w_max = cb->w_max;
	cb->undo_k_us = cb->k_us;
	cb->undo_cwnd_prior = cb->cwnd_prior;
}

/* RFC 9438 4.6: ssthresh = flight_size * beta_cubic, at least 2 segments.
 * The flight beyond cwnd (limited transmit, RFC 3042) does not count. */
static uint32_t
reduced(const struct stk_conn *c)
{
	uint32_t fs = RTE_MIN(tcp_flight(c), c->cwnd);

	return RTE_MAX((uint32_t)(fs * CUBIC_BETA + 0.5), 2 * tcp_seg_mss(c));
}

/* A congestion event: W_max with fast convergence (4.7), the stage ends. */
static void
congestion_event(struct stk_conn *c, struct tcp_cubic *cb)
{
	undo_save(cb);
	cb->cwnd_prior = c->cwnd;
	if (c->cwnd < cb->w_max)
		cb->w_max = (uint32_t)(c->cwnd * (1.0 + CUBIC_BETA) / 2.0 + 0.5);
	else
		cb->w_max = c->cwnd;
	c->ssthresh = reduced(c);
	cb->epoch = 0;
	cb->lim_since = 0;
}

static void
cubic_on_loss(struct stk_conn *c)
{
	congestion_event(c, tcp_cubic(c));
	c->cwnd = c->ssthresh;
	c->bytes_acked = 0;
}

/* RFC 9438 4.8: Reno's one segment, ssthresh with beta_cubic; the first
 * stage afterwards starts with K = 0 and W_max = cwnd (W_max forgotten). A
 * timeout repeating, or within a fast recovery, is the same episode: one
 * reduction, and the undo state stays the one from before it. */
static void
cubic_on_rto(struct stk_conn *c)
{
	struct tcp_cubic *cb = tcp_cubic(c);

	if (c->rtx_n <= 1 && !(c->flags & TF_RECOVERY))
		congestion_event(c, cb);
	cb->w_max = 0;
	cb->epoch = 0;
	cb->lim_since = 0;
	c->cwnd = tcp_seg_mss(c);
	c->bytes_acked = 0;
}

/* RFC 5681 4.1's restart window; RFC 9438 5.8: the idle time is not part of
 * t, so the curve resumes where it was (W_max kept). */
static void
cubic_on_idle(struct stk_conn *c)
{
	struct tcp_cubic *cb = tcp_cubic(c);

	if (cb->epoch != 0)
		epoch_resume(c, cb, cb->lim_since != 0 ? cb->lim_since : c->last_snd_tsc);
	c->cwnd = RTE_MIN(c->cwnd, tcp_cc_initial_window(c));
}

/* RFC 9438 4.9.2: the loss was spurious; stk_tcp_cc.c restored cwnd and
 * ssthresh, this puts the stage back as it was. */
static void
cubic_undo(struct stk_conn *c)
{
	struct tcp_cubic *cb = tcp_cubic(c);

	cb->epoch = cb->undo_epoch;
	cb->w_est = cb->undo_w_est;
	cb->w_max = cb->undo_w_max;
	cb->k_us = cb->undo_k_us;
	cb->cwnd_prior = cb->undo_cwnd_prior;
	cb->lim_since = 0;
	cb->frac = 0;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_rto = cubic_on_rto,
	.on_idle = cubic_on_idle,
	.undo = cubic_undo,
};

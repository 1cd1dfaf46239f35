/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc_newreno.c - NewReno's window policy (RFC 5681 with appropriate
 * byte counting, RFC 3465, L = 2): slow start, congestion avoidance, halving
 * on loss, one segment after a timeout. Recovery itself is in stk_tcp_cc.c.
 */
#include "stk_tcp_internal.h"

#define CWND_MAX (1u << 30)

static void
nr_init(struct stk_conn *c)
{
	c->cwnd = tcp_cc_initial_window(c);
	c->ssthresh = UINT32_MAX;
	c->bytes_acked = 0;
}

static void
nr_on_ack(struct stk_conn *c, uint32_t acked)
{
	uint32_t mss = tcp_seg_mss(c);

	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2 * mss);
	} else {
		c->bytes_acked += acked;
		if (c->bytes_acked >= c->cwnd) {
			c->bytes_acked -= c->cwnd;
			c->cwnd += mss;
		}
	}
	c->cwnd = RTE_MIN(c->cwnd, CWND_MAX);
}

/* RFC 5681 eq. 4 */
static uint32_t
half_flight(const struct stk_conn *c)
{
	return RTE_MAX(tcp_flight(c) / 2, 2 * tcp_seg_mss(c));
}

static void
nr_on_loss(struct stk_conn *c)
{
	c->ssthresh = half_flight(c);
	c->cwnd = c->ssthresh;
	c->bytes_acked = 0;
}

static void
nr_on_rto(struct stk_conn *c)
{
	/* a segment timing out again keeps ssthresh (RFC 5681 3.1), and so
	 * does a timeout during fast recovery (one reduction per episode) */
	if (c->rtx_n <= 1 && !(c->flags & TF_RECOVERY))
		c->ssthresh = half_flight(c);
	c->cwnd = tcp_seg_mss(c);
	c->bytes_acked = 0;
}

static void
nr_on_idle(struct stk_conn *c)
{
	c->cwnd = RTE_MIN(c->cwnd, tcp_cc_initial_window(c));
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = nr_init,
	.on_ack = nr_on_ack,
	.on_loss = nr_on_loss,
	.on_rto = nr_on_rto,
	.on_idle = nr_on_idle,
};

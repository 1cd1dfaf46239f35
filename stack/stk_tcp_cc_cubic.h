/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc_cubic.h - CUBIC's per-connection state (RFC 9438), kept in the
 * TCB's cc_priv. Stack-internal: stk_tcp_cc_cubic.c and the unit tests that
 * look inside it. Owning worker only.
 */
#ifndef MESHGW_STK_TCP_CC_CUBIC_H
#define MESHGW_STK_TCP_CC_CUBIC_H

#include <stdint.h>

#include "stk_tcp_internal.h"

/* What RFC 9438 calls the curve's variables, in bytes rather than segments
 * (a window in segments times the MSS) and worker TSC ticks. States:
 *  - epoch == 0: no congestion avoidance stage yet (slow start, or right
 *    after a loss or timeout); the next ACK in congestion avoidance starts
 *    one: epoch = now, W_est = cwnd, K from W_max and cwnd.
 *  - lim_since != 0: the stage's ACKs have found the flow
 *    application-limited since then; that time is taken out of t (the
 *    epoch moves forward) when it is limited by cwnd again or after idle.
 *  - undo_*: the stage as it was before the latest loss or timeout, put
 *    back when that proves spurious. */
struct tcp_cubic {
	uint64_t epoch;	     /* t_epoch (tsc) */
	uint64_t lim_since;  /* tsc */
	double w_est;	     /* W_est: Reno's window in the same conditions */
	uint32_t w_max;	     /* W_max: the window at the last congestion event */
	uint32_t k_us;	     /* K: microseconds from t_epoch until W_cubic reaches W_max */
	uint32_t cwnd_prior; /* cwnd before the last reduction (W_est's alpha switch) */
	float frac;	     /* cwnd growth under one byte, carried to the next ACK */
	uint64_t undo_epoch;
	double undo_w_est;
	uint32_t undo_w_max, undo_k_us, undo_cwnd_prior;
};

static inline struct tcp_cubic *
tcp_cubic(struct stk_conn *c)
{
	RTE_BUILD_BUG_ON(sizeof(struct tcp_cubic) > sizeof(c->cc_priv));
	return (struct tcp_cubic *)(void *)c->cc_priv;
}

#endif /* MESHGW_STK_TCP_CC_CUBIC_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc.c - loss detection and recovery, common to every congestion
 * control: duplicate ACK counting, fast retransmit and NewReno recovery
 * (RFC 5681, RFC 6582), limited transmit (RFC 3042), and the table of
 * algorithms (stk_tcp_cc_*.c) that decide the windows. Owning worker only.
 *
 * SACK-based recovery (RFC 6675) replaces the dupack half of this file in
 * part 2; algorithms only see init/on_ack/on_loss/on_rto/on_idle.
 */
#include "stk_tcp_internal.h"

static const struct tcp_cc_ops *const cc_table[STK_CC_MAX] = {
	[STK_CC_NEWRENO] = &tcp_cc_newreno,
};

const struct tcp_cc_ops *
tcp_cc_get(enum stk_cc cc)
{
	return (unsigned int)cc < STK_CC_MAX ? cc_table[cc] : NULL;
}

uint32_t
tcp_cc_send_cwnd(const struct stk_conn *c)
{
	/* RFC 3042: the first two dupacks may each release one new segment */
	if (!(c->flags & TF_RECOVERY) && c->dupacks > 0 && c->dupacks < 3)
		return c->cwnd + (uint32_t)c->dupacks * tcp_seg_mss(c);
	return c->cwnd;
}

void
tcp_cc_ack(struct stk_conn *c, uint32_t acked)
{
	uint32_t mss = tcp_seg_mss(c);

	c->dupacks = 0;
	if (!(c->flags & TF_RECOVERY)) {
		if (acked != 0)
			c->cc->on_ack(c, acked);
		return;
	}
	if (seq_ge(c->snd_una, c->recover)) {
		/* RFC 6582 3.2 step 3: a full ACK ends recovery; deflate (option 1) */
		c->flags &= ~TF_RECOVERY;
		c->cwnd = RTE_MIN(c->ssthresh, RTE_MAX(tcp_flight(c), mss) + mss);
		return;
	}
	/* step 4: a partial ACK: the next hole is lost too; deflate by what
	 * was acked, add one segment back if that was a segment or more */
	tcp_retransmit_head(c);
	c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
	if (acked >= mss)
		c->cwnd += mss;
	c->cwnd = RTE_MAX(c->cwnd, mss);
}

void
tcp_cc_dupack(struct stk_conn *c)
{
	if (c->flags & TF_RECOVERY) {
		/* step 4 (RFC 5681 3.2 step 4): each dupack is a segment gone */
		c->cwnd += tcp_seg_mss(c);
		return;
	}
	if (++c->dupacks != 3)
		return;
	/* step 2: only when the ACK covers more than recover, so a timeout's
	 * go-back does not trigger a second, spurious reduction */
	if (!seq_gt(c->snd_una, c->recover))
		return;
	c->recover = c->snd_max;
	c->flags |= TF_RECOVERY;
	c->cc->on_loss(c);
	TCP_INC(c->ctx, fast_retransmits);
	tcp_retransmit_head(c);
}

void
tcp_cc_rto(struct stk_conn *c)
{
	/* on_rto still sees TF_RECOVERY: a timeout inside a recovery is the
	 * same loss episode, already paid for with one reduction */
	c->cc->on_rto(c);
	c->flags &= ~TF_RECOVERY;
	c->dupacks = 0;
	c->recover = c->snd_max;
}

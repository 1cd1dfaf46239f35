/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc.c - loss detection and recovery, common to every congestion
 * control: duplicate ACK counting, fast retransmit and NewReno recovery
 * (RFC 5681, RFC 6582), limited transmit (RFC 3042), undoing a needless
 * fast retransmit (Eifel detection, RFC 3522) with a dupack threshold that
 * grows with the reordering seen (as Linux's tp->reordering), and the table of
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
	/* RFC 3042: each dupack below the threshold may release one new
	 * segment (RFC 4653's extension when reordering raised it) */
	if (!(c->flags & TF_RECOVERY) && c->dupacks > 0 && c->dupacks < c->dupthresh)
		return c->cwnd + (uint32_t)c->dupacks * tcp_seg_mss(c);
	return c->cwnd;
}

void
tcp_cc_check_spurious(struct stk_conn *c, uint32_t tsecr)
{
	bool rto = (c->flags & TF_UNDO_RTO) != 0;

	/* the first ACK past the retransmission decides */
	c->flags &= ~(TF_UNDO | TF_UNDO_RTO);
	/* an echo older than the retransmission answers the original: it was
	 * late, not lost (same millisecond: no proof, keep the reduction) */
	if ((int32_t)(tsecr - c->undo_tsval) >= 0)
		return;
	TCP_INC(c->ctx, spurious_recoveries);
	if (rto) {
		c->snd_nxt = c->snd_max; /* the originals arrived: no go-back-N */
	} else {
		c->dupthresh =
			(uint8_t)RTE_MIN(RTE_MAX((unsigned int)c->dupthresh, c->dupacks + 1u),
					 (unsigned int)TCP_REORDER_MAX);
	}
	c->cwnd = RTE_MAX(c->cwnd, c->undo_cwnd);
	c->ssthresh = RTE_MAX(c->ssthresh, c->undo_ssthresh);
	c->flags &= ~TF_RECOVERY;
	c->recover = c->snd_una - 1; /* the next loss may start a recovery at once */
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
	if (c->dupacks < UINT8_MAX)
		c->dupacks++; /* also in recovery: the reordering distance if it proves spurious */
	if (c->flags & TF_RECOVERY) {
		/* step 4 (RFC 5681 3.2 step 4): each dupack is a segment gone */
		c->cwnd += tcp_seg_mss(c);
		return;
	}
	if (c->dupacks != c->dupthresh)
		return;
	/* step 2: only when the ACK covers more than recover, so a timeout's
	 * go-back does not trigger a second, spurious reduction */
	if (!seq_gt(c->snd_una, c->recover))
		return;
	c->recover = c->snd_max;
	c->flags |= TF_RECOVERY;
	if (c->flags & TF_TS) {
		/* RFC 3522: the retransmission's timestamp tells the answers apart */
		c->flags |= TF_UNDO;
		c->undo_cwnd = c->cwnd;
		c->undo_ssthresh = c->ssthresh;
		c->undo_tsval = tcp_ts_now(c);
	}
	c->cc->on_loss(c);
	TCP_INC(c->ctx, fast_retransmits);
	tcp_retransmit_head(c);
}

uint32_t
tcp_cc_sack_news(struct stk_conn *c, const struct tcp_opts *o)
{
	uint32_t mss = tcp_seg_mss(c), news = 0, high = c->snd_una, cur;
	struct tcp_sack_block b[TCP_SACK_MAX];
	unsigned int n = 0;

	if (seq_gt(c->sack_high, c->snd_una) && seq_le(c->sack_high, c->snd_max))
		high = c->sack_high; /* still meaningful: nothing acked it yet */
	/* the parts above high of blocks within what is in flight (not
	 * D-SACKs, not bogus), in any order: sorted, then overlaps merged */
	for (unsigned int i = 0; i < o->n_sack && i < TCP_SACK_MAX; i++) {
		struct tcp_sack_block x = o->sack[i];
		unsigned int j = n;

		if (!seq_lt(x.left, x.right) || !seq_gt(x.left, c->snd_una) ||
		    seq_gt(x.right, c->snd_max) || !seq_gt(x.right, high))
			continue;
		x.left = seq_max(x.left, high);
		for (; j > 0 && seq_gt(b[j - 1].left, x.left); j--)
			b[j] = b[j - 1];
		b[j] = x;
		n++;
	}
	cur = high;
	for (unsigned int i = 0; i < n; i++) {
		if (seq_gt(b[i].right, cur)) {
			news += b[i].right - seq_max(b[i].left, cur);
			cur = b[i].right;
		}
	}
	c->sack_high = cur;
	return news == 0 ? 0 : RTE_MIN((news + mss - 1) / mss, 64u);
}

void
tcp_cc_rto(struct stk_conn *c)
{
	/* the episode's first timeout, unless a fast recovery began it: what
	 * to restore if the answer echoes an older timestamp (RFC 3522) */
	if ((c->flags & TF_TS) && c->rtx_n == 1 && !(c->flags & TF_UNDO)) {
		c->flags |= TF_UNDO | TF_UNDO_RTO;
		c->undo_cwnd = c->cwnd;
		c->undo_ssthresh = c->ssthresh;
		c->undo_tsval = tcp_ts_now(c);
	} else if (c->flags & TF_UNDO) {
		c->flags |= TF_UNDO_RTO;
	}
	/* on_rto still sees TF_RECOVERY: a timeout inside a recovery is the
	 * same loss episode, already paid for with one reduction */
	c->cc->on_rto(c);
	c->flags &= ~TF_RECOVERY;
	c->dupacks = 0;
	c->recover = c->snd_max;
}

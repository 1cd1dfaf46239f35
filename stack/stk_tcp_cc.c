/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cc.c - loss detection and recovery, common to every congestion
 * control: duplicate ACK counting, fast retransmit and NewReno recovery
 * (RFC 5681, RFC 6582), limited transmit (RFC 3042), undoing a needless
 * fast retransmit (Eifel detection, RFC 3522) with a dupack threshold that
 * grows with the reordering seen (as Linux's tp->reordering), and the table of
 * algorithms (stk_tcp_cc_*.c) that decide the windows. Owning worker only.
 *
 * With SACK the scoreboard (stk_tcp_sack.c) drives loss detection and the
 * recovery (RFC 6675) with proportional rate reduction (RFC 6937); without
 * it, dupacks and NewReno's partial ACKs do. Algorithms only see
 * init/on_ack/on_loss/on_rto/on_idle and the optional undo.
 */
#include "stk_tcp_internal.h"

static const struct tcp_cc_ops *const cc_table[STK_CC_MAX] = {
	[STK_CC_NEWRENO] = &tcp_cc_newreno,
	[STK_CC_CUBIC] = &tcp_cc_cubic,
};

const struct tcp_cc_ops *
tcp_cc_get(enum stk_cc cc)
{
	return (unsigned int)cc < STK_CC_MAX ? cc_table[cc] : NULL;
}

uint32_t
tcp_cc_initial_window(const struct stk_conn *c)
{
	uint32_t mss = tcp_seg_mss(c);

	return RTE_MIN(10 * mss, RTE_MAX(2 * mss, 14600u));
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

/* RFC 3522: the retransmission's timestamp tells the answers apart. */
static void
undo_save(struct stk_conn *c)
{
	if (!(c->flags & TF_TS))
		return;
	c->flags |= TF_UNDO;
	c->undo_cwnd = c->cwnd;
	c->undo_ssthresh = c->ssthresh;
	c->undo_tsval = tcp_ts_now(c);
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
	if (c->cc->undo != NULL)
		c->cc->undo(c); /* the algorithm's own state (CUBIC's W_max, epoch) */
	c->flags &= ~(TF_RECOVERY | TF_SACK_RECOVERY);
	c->recover = c->snd_una - 1; /* the next loss may start a recovery at once */
}

/* RFC 6937: cwnd for this ACK of a SACK recovery that delivered bytes. */
static void
prr_step(struct stk_conn *c, uint32_t delivered)
{
	uint32_t mss = tcp_seg_mss(c), pipe = tcp_sb_pipe(c);
	int64_t sndcnt;

	c->prr_delivered += delivered;
	if (pipe > c->ssthresh) {
		/* proportional: ssthresh / RecoverFS of what was delivered */
		uint64_t fs = RTE_MAX(c->recover_fs, 1u);

		sndcnt = (int64_t)(((uint64_t)c->prr_delivered * c->ssthresh + fs - 1) / fs) -
			 c->prr_out;
	} else {
		/* slow start reduction bound: back up to ssthresh, not faster
		 * than what was delivered plus one segment */
		int64_t lim = RTE_MAX((int64_t)c->prr_delivered - c->prr_out, (int64_t)delivered);

		sndcnt = RTE_MIN((int64_t)c->ssthresh - pipe, lim + mss);
	}
	c->cwnd = pipe + (uint32_t)RTE_MAX(sndcnt, (int64_t)0);
}

/* A retransmission is lost too when data sent after it is SACKed well
 * beyond it while its hole stays open (what RACK sees by time, seen here by
 * sequence: new data follows retransmissions during a recovery). Then the
 * holes below HighRxt are sent again, without waiting for the RTO. */
static void
lost_retransmissions(struct stk_conn *c)
{
	uint32_t margin = (uint32_t)(c->dupthresh - 1) * tcp_seg_mss(c);

	if (!seq_gt(c->high_rxt, c->snd_una) || c->sb_n == 0)
		return;
	if (seq_gt(c->sack_high, c->rxt_round + margin)) {
		TCP_INC(c->ctx, lost_retransmits);
		c->high_rxt = c->snd_una;
		c->rxt_round = c->snd_max;
		return;
	}
	/* holes resent after the first one were filled, the first was not:
	 * its retransmission is lost (holes go out lowest first) */
	if (c->snd_una == c->head_seq && c->sb_news_hi != 0) {
		uint32_t n = tcp_retransmit_at(c, c->snd_una, c->sb[0].left - c->snd_una);

		TCP_INC(c->ctx, lost_retransmits);
		c->prr_out += n;
		c->head_mark = c->high_rxt;
	}
}

/* The first hole changed (a partial ACK): what was resent after it. */
static void
head_moved(struct stk_conn *c)
{
	if (c->snd_una == c->head_seq)
		return;
	c->head_seq = c->snd_una;
	c->head_mark = seq_max(c->high_rxt, c->snd_una);
}

/* RFC 6675 5: a loss detected with the scoreboard. */
static void
sack_recovery_start(struct stk_conn *c)
{
	uint32_t delivered = c->sb_news, n;

	c->recover = c->snd_max;
	c->flags |= TF_RECOVERY | TF_SACK_RECOVERY;
	undo_save(c);
	c->cc->on_loss(c);
	c->prr_delivered = 0;
	c->prr_out = 0;
	c->recover_fs = tcp_flight(c);
	c->high_rxt = c->snd_una;
	TCP_INC(c->ctx, fast_retransmits);
	TCP_INC(c->ctx, sack_recoveries);
	/* the first lost segment goes at once, whatever PRR says */
	n = tcp_retransmit_at(c, c->snd_una, UINT32_MAX);
	c->prr_out += n;
	c->high_rxt = c->snd_una + n;
	c->rxt_round = c->snd_max;
	c->head_seq = c->snd_una;
	c->head_mark = c->high_rxt;
	prr_step(c, delivered);
}

static bool
sack_loss(const struct stk_conn *c)
{
	return c->sb_n > 0 && seq_gt(tcp_sb_lost_edge(c), c->snd_una) &&
	       seq_gt(c->snd_una, c->recover);
}

void
tcp_cc_ack(struct stk_conn *c, uint32_t acked)
{
	uint32_t mss = tcp_seg_mss(c);

	c->dupacks = 0;
	if (!(c->flags & TF_RECOVERY)) {
		if (acked != 0)
			c->cc->on_ack(c, acked);
		if (sack_loss(c))
			sack_recovery_start(c); /* what is left behind SACKs is lost */
		return;
	}
	if (c->flags & TF_SACK_RECOVERY) {
		if (seq_ge(c->snd_una, c->recover)) {
			/* RFC 6937: the recovery ends at ssthresh */
			c->flags &= ~(TF_RECOVERY | TF_SACK_RECOVERY);
			c->cwnd = c->ssthresh;
			return;
		}
		head_moved(c);
		lost_retransmissions(c);
		prr_step(c, acked + c->sb_news);
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
	undo_save(c);
	c->cc->on_loss(c);
	/* RFC 5681 3.2 step 3: inflated by the segments that left (three,
	 * or the raised threshold's worth) */
	c->cwnd += (uint32_t)c->dupacks * tcp_seg_mss(c);
	TCP_INC(c->ctx, fast_retransmits);
	tcp_retransmit_head(c);
}

void
tcp_cc_sack_dup(struct stk_conn *c)
{
	uint32_t mss = tcp_seg_mss(c), n;

	if (c->sb_news == 0)
		return;
	n = RTE_MIN((c->sb_news + mss - 1) / mss, 64u);
	if (c->flags & TF_SACK_RECOVERY) {
		lost_retransmissions(c);
		prr_step(c, c->sb_news);
		return;
	}
	c->dupacks = (uint8_t)RTE_MIN(c->dupacks + n, (uint32_t)UINT8_MAX);
	if (c->flags & TF_RECOVERY) {
		c->cwnd += n * mss; /* a NewReno recovery begun before SACKs came */
		return;
	}
	if ((c->dupacks >= c->dupthresh && seq_gt(c->snd_una, c->recover)) || sack_loss(c))
		sack_recovery_start(c);
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
	c->flags &= ~(TF_RECOVERY | TF_SACK_RECOVERY);
	c->dupacks = 0;
	c->recover = c->snd_max;
}

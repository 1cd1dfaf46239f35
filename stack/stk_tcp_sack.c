/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_sack.c - the sender's SACK scoreboard and what RFC 6675 computes
 * from it: which data is lost (IsLost), how much is in the network (pipe),
 * what to send next during a recovery (NextSeg), and skipping SACKed data
 * when going back after a timeout. Owning worker only.
 *
 * The scoreboard is a small sorted array of disjoint SACKed ranges above
 * snd_una (TCP_SB_MAX of them; beyond that the lowest range is forgotten,
 * which at worst retransmits data the peer has). Per ACK the work is
 * O(ranges), with no per-segment records: a hole is lost when more than
 * (DupThresh - 1) * SMSS bytes, or DupThresh ranges, are SACKed above it,
 * and holes are retransmitted lowest first, so "retransmitted" is simply
 * "below HighRxt".
 */
#include <string.h>

#include "stk_tcp_internal.h"

static uint32_t
range_len(const struct tcp_sack_block *b)
{
	return b->right - b->left;
}

static void
remove_at(struct stk_conn *c, unsigned int i)
{
	c->sb_bytes -= range_len(&c->sb[i]);
	memmove(&c->sb[i], &c->sb[i + 1], (c->sb_n - i - 1) * sizeof(c->sb[0]));
	c->sb_n--;
}

/* Forgets what snd_una passed. */
static void
trim_below(struct stk_conn *c, uint32_t una)
{
	while (c->sb_n > 0 && seq_le(c->sb[0].right, una))
		remove_at(c, 0);
	if (c->sb_n > 0 && seq_lt(c->sb[0].left, una)) {
		c->sb_bytes -= una - c->sb[0].left;
		c->sb[0].left = una;
	}
}

/* Adds [l, r), merging what it overlaps or touches. */
static void
insert(struct stk_conn *c, uint32_t l, uint32_t r)
{
	unsigned int i = 0;

	while (i < c->sb_n && seq_lt(c->sb[i].right, l))
		i++;
	/* ranges i.. that overlap or touch [l, r) fold into it */
	while (i < c->sb_n && seq_le(c->sb[i].left, r)) {
		struct tcp_sack_block *b = &c->sb[i];

		l = seq_min(l, b->left);
		r = seq_max(r, b->right);
		remove_at(c, i);
	}
	if (c->sb_n == TCP_SB_MAX) {
		if (i == 0)
			return; /* lower than everything held: the highest win */
		remove_at(c, 0);
		i--;
	}
	memmove(&c->sb[i + 1], &c->sb[i], (c->sb_n - i) * sizeof(c->sb[0]));
	c->sb[i] = (struct tcp_sack_block){l, r};
	c->sb_n++;
	c->sb_bytes += r - l;
}

/* Bytes SACKed in [a, b). */
static uint32_t
sacked_in(const struct stk_conn *c, uint32_t a, uint32_t b)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < c->sb_n && seq_lt(c->sb[i].left, b); i++) {
		uint32_t l = seq_max(c->sb[i].left, a), r = seq_min(c->sb[i].right, b);

		if (seq_lt(l, r))
			n += r - l;
	}
	return n;
}

uint32_t
tcp_sb_update(struct stk_conn *c, const struct tcp_opts *o, uint32_t ack)
{
	uint32_t una = c->snd_una, before, hi_from, hi_before;

	if (seq_gt(ack, una) && seq_le(ack, c->snd_max))
		una = ack;
	trim_below(c, una);
	if (c->sb_n > 0 && c->sb[0].left == una) {
		/* the ACK stops where SACKed data starts: the peer dropped what
		 * it SACKed (reneging, RFC 2018 8); start over from its blocks */
		tcp_sb_clear(c);
	}
	before = c->sb_bytes;
	hi_from = c->head_mark + (uint32_t)(c->dupthresh - 1) * tcp_seg_mss(c);
	hi_before = sacked_in(c, hi_from, c->high_rxt);
	for (unsigned int i = 0; i < o->n_sack; i++) {
		uint32_t l = o->sack[i].left, r = o->sack[i].right;

		if (i == 0 && seq_lt(l, r) &&
		    (seq_le(r, ack) || (o->n_sack > 1 && seq_le(o->sack[1].left, l) &&
					seq_ge(o->sack[1].right, r)))) {
			/* RFC 2883: a D-SACK, data the peer got twice */
			TCP_INC(c->ctx, dsacks_in);
			continue;
		}
		if (!seq_lt(l, r) || seq_lt(l, una) || seq_gt(r, c->snd_max)) {
			/* the block is dropped, the ACK it came with is not */
			enum stk_drop why = !seq_lt(l, r)    ? STK_DROP_TCP_SACK_EMPTY
					    : seq_lt(l, una) ? STK_DROP_TCP_SACK_BELOW
							     : STK_DROP_TCP_SACK_BEYOND;

			c->ctx->stats.drops[why]++;
			TCP_INC(c->ctx, sack_blocks_invalid);
			continue;
		}
		insert(c, l, r);
	}
	c->sack_high = c->sb_n > 0 ? c->sb[c->sb_n - 1].right : una;
	c->sb_news_hi = sacked_in(c, hi_from, c->high_rxt);
	c->sb_news_hi = c->sb_news_hi > hi_before ? c->sb_news_hi - hi_before : 0;
	/* merging never loses bytes, so growth is what is new (a range
	 * forgotten for room makes this an underestimate, never more) */
	return c->sb_bytes > before ? c->sb_bytes - before : 0;
}

void
tcp_sb_clear(struct stk_conn *c)
{
	c->sb_n = 0;
	c->sb_bytes = 0;
}

uint32_t
tcp_sb_lost_edge(const struct stk_conn *c)
{
	uint32_t need = (uint32_t)(c->dupthresh - 1) * tcp_seg_mss(c), above = 0;

	for (unsigned int i = c->sb_n; i-- > 0;) {
		above += range_len(&c->sb[i]);
		if (above > need || c->sb_n - i >= c->dupthresh)
			return c->sb[i].left;
	}
	return c->snd_una;
}

uint32_t
tcp_sb_pipe(const struct stk_conn *c)
{
	uint32_t edge = tcp_sb_lost_edge(c), prev = c->snd_una, pipe = 0;
	uint32_t rxt = seq_max(c->high_rxt, c->snd_una);

	for (unsigned int i = 0; i <= c->sb_n; i++) {
		uint32_t end = i < c->sb_n ? c->sb[i].left : c->snd_max;

		if (seq_lt(prev, end)) {
			if (seq_le(end, edge)) /* a lost hole: in the network if resent */
				pipe += seq_lt(prev, rxt) ? seq_min(end, rxt) - prev : 0;
			else
				pipe += end - prev;
		}
		if (i < c->sb_n)
			prev = c->sb[i].right;
	}
	return pipe;
}

bool
tcp_sb_next_seg(const struct stk_conn *c, bool lost_only, uint32_t *seq, uint32_t *len)
{
	uint32_t from = seq_max(c->high_rxt, c->snd_una), prev = c->snd_una;
	/* rule 1: holes below the lost edge; rule 3: any hole below the
	 * highest SACK (the holes end where ranges start) */
	uint32_t limit = lost_only ? tcp_sb_lost_edge(c) : c->sack_high;

	for (unsigned int i = 0; i < c->sb_n; i++) {
		uint32_t l = seq_max(prev, from), r = c->sb[i].left;

		if (seq_gt(r, limit))
			break;
		if (seq_lt(l, r)) {
			*seq = l;
			*len = r - l;
			return true;
		}
		prev = c->sb[i].right;
	}
	return false;
}

uint32_t
tcp_sb_skip(const struct stk_conn *c, uint32_t seq, uint32_t *room)
{
	*room = UINT32_MAX;
	for (unsigned int i = 0; i < c->sb_n; i++) {
		if (seq_le(c->sb[i].right, seq))
			continue;
		if (seq_ge(seq, c->sb[i].left)) {
			seq = c->sb[i].right; /* inside: the peer has it */
			continue;
		}
		*room = c->sb[i].left - seq;
		break;
	}
	return seq;
}

/* One retransmission of NextSeg's hole; false when nothing went out. */
static bool
resend(struct stk_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t n = tcp_retransmit_at(c, seq, len);

	if (n == 0)
		return false;
	c->high_rxt = seq + n;
	c->prr_out += n;
	return true;
}

void
tcp_sack_output(struct stk_conn *c)
{
	uint32_t mss = tcp_seg_mss(c), rule3 = 0;

	/* each round sends one segment or stops; the bound is belt and braces */
	for (unsigned int round = 0; round < 1024; round++) {
		/* pipe counts a lost hole once resent, but not a rule 3
		 * retransmission of data still in flight: that is added here,
		 * and rule 3 sends at most one segment per call */
		uint32_t pipe = tcp_sb_pipe(c) + rule3, seq, len, before = c->snd_max;

		if (c->cwnd <= pipe || c->cwnd - pipe < RTE_MIN(mss, c->cwnd))
			return;
		if (tcp_sb_next_seg(c, true, &seq, &len)) {
			if (!resend(c, seq, len))
				return;
			continue;
		}
		if (seq_ge(c->snd_nxt, c->snd_max) && tcp_send_one(c)) {
			c->prr_out += c->snd_max - before;
			continue;
		}
		if (rule3 == 0 && tcp_sb_next_seg(c, false, &seq, &len)) {
			uint32_t high = c->high_rxt;

			if (resend(c, seq, len)) {
				rule3 = c->high_rxt - seq_max(high, seq);
				continue;
			}
		}
		return;
	}
}

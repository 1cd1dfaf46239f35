/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_rcv.c - segments for connections in the synchronized states and
 * TIME-WAIT (RFC 9293 3.10.7.4, in its order: sequence number, RST, SYN,
 * ACK, text, FIN), with the window acceptability test, trimming of old and
 * excess data, ACK processing (RTT samples, window updates, dupacks for
 * loss recovery), delivery and delayed ACKs. Owning worker only.
 *
 * Against segments nobody sent, or sent long ago: PAWS (RFC 7323 5) before
 * the sequence number test; RFC 5961's checks after it (a RST resets only at
 * exactly rcv_nxt, a SYN never does, an ACK below what the peer can have
 * seen carries no data in), each answered with a rate-limited challenge ACK
 * (stk_tcp_challenge.c); TIME-WAIT taken over by a SYN with a newer
 * timestamp (RFC 6191).
 *
 * Segment ownership as in stk_tcp_input.c: a step that consumes s->m sets
 * it to NULL, a step that rejects it sets s->drop.
 */
#include <errno.h>

#include "stk_tcp_internal.h"

/* ------------------------------------------------------------------ */
/* Synchronized states (RFC 9293 3.10.7.4)                              */

static bool
in_window(uint32_t x, uint32_t start, uint32_t wnd)
{
	return x - start < wnd;
}

static bool
seq_acceptable(const struct stk_conn *c, const struct tcp_seg *s)
{
	uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t seg_len = s->len + ((s->flags & TCP_SYN) ? 1 : 0) + ((s->flags & TCP_FIN) ? 1 : 0);

	if (seg_len == 0)
		return wnd == 0 ? s->seq == c->rcv_nxt : in_window(s->seq, c->rcv_nxt, wnd);
	/* a bare FIN takes no buffer: accepted at a zero window (so does Linux) */
	if (s->len == 0 && (s->flags & (TCP_FIN | TCP_SYN)) == TCP_FIN && s->seq == c->rcv_nxt)
		return true;
	if (wnd == 0)
		return false;
	return in_window(s->seq, c->rcv_nxt, wnd) ||
	       in_window(s->seq + seg_len - 1, c->rcv_nxt, wnd);
}

static void rcv_ack_only(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s);
static void ts_update(struct stk_tcp *t, struct stk_conn *c, const struct tcp_seg *s);

/* RFC 5961 5.2: an ACK is acceptable from SND.UNA - MAX.SND.WND on; below
 * that, nobody who saw our data sent it (a blind data injection). */
static bool
ack_too_old(const struct stk_conn *c, const struct tcp_seg *s)
{
	return seq_lt(s->ack, c->snd_una - c->max_sndwnd);
}

static void
rcv_unacceptable(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if (s->flags & TCP_RST) {
		s->drop = STK_DROP_TCP_RST_IGNORED;
		return;
	}
	if (s->len != 0 && seq_le(s->seq + s->len, c->rcv_nxt)) {
		TCP_INC(t->ctx, dup_segments);
		c->quickacks = TCP_QUICKACKS; /* the peer resends: our ACKs come late */
		/* a resend reaching our last ACK (lost, or delayed by us) takes
		 * TS.Recent (RFC 7323 4.3: SEG.SEQ <= Last.ACK.sent <= its end,
		 * as Linux's rcv_wup test): our answer must echo the resend, or
		 * the peer measures its timeout as RTT and its RTO balloons */
		if (seq_le(c->last_ack_sent, s->seq + s->len))
			ts_update(t, c, s);
	}
	s->drop = STK_DROP_TCP_OUT_OF_WINDOW;
	/* a closed window takes no data, but the segment's ACK and window still
	 * count (3.10.7.4: "special allowance ... valid ACKs") */
	if (s->seq == c->rcv_nxt && (s->flags & (TCP_ACK | TCP_SYN)) == TCP_ACK &&
	    c->state != STK_TCP_SYN_RECEIVED && !ack_too_old(c, s)) {
		rcv_ack_only(t, c, s);
		if (tcp_dead(c))
			return;
	}
	c->flags |= TF_ACK_NOW;
	tcp_output(c);
}

static void
rcv_rst(struct stk_tcp *t, struct stk_conn *c)
{
	/* only at exactly rcv_nxt (tcp_rcv_synced challenged the others) */
	TCP_INC(t->ctx, rsts_in);
	switch (c->state) {
	case STK_TCP_SYN_RECEIVED:
		TCP_INC(t->ctx, attempt_fails);
		if (c->flags & TF_PASSIVE)
			tcp_conn_release(c); /* back to LISTEN: the application never saw it */
		else
			tcp_conn_done(c, ECONNREFUSED);
		return;
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
		TCP_INC(t->ctx, estab_resets);
		tcp_conn_done(c, ECONNRESET);
		return;
	case STK_TCP_FIN_WAIT_1:
	case STK_TCP_FIN_WAIT_2:
		tcp_conn_done(c, ECONNRESET);
		return;
	default: /* CLOSING, LAST_ACK */
		tcp_conn_done(c, 0);
		return;
	}
}

#define TCP_PAWS_IDLE_US (24ull * 86400 * 1000000) /* RFC 7323 5.5 */

/* After 24 days without an update TS.Recent may predate a wrap of the
 * peer's clock (at 1 ms per tick, the fastest RFC 7323 allows, the sign
 * flips after 24.8 days): it proves nothing any more (RFC 7323 5.5). */
static bool
ts_recent_valid(const struct stk_tcp *t, const struct stk_conn *c)
{
	return (t->now - c->ts_recent_tsc) / t->tsc_us <= TCP_PAWS_IDLE_US;
}

/* RFC 7323 4.3: TS.Recent follows the segment that the last ACK expected
 * (an invalid TS.Recent is replaced by whatever comes). */
static void
ts_update(struct stk_tcp *t, struct stk_conn *c, const struct tcp_seg *s)
{
	if (!(c->flags & TF_TS) || !(s->opts.flags & TCP_OPT_F_TS))
		return;
	if (seq_le(s->seq, c->last_ack_sent) &&
	    ((int32_t)(s->opts.tsval - c->ts_recent) >= 0 || !ts_recent_valid(t, c))) {
		c->ts_recent = s->opts.tsval;
		c->ts_recent_tsc = t->now;
	}
}

/* A duplicate ACK overtaken by a later one: its older timestamp is no sign
 * of an old segment, and fast retransmit needs it (Linux's
 * tcp_disordered_ack): a pure ACK at rcv_nxt for snd_una, the window
 * unchanged, its timestamp no more than an RTO (in ms) behind. */
static bool
disordered_ack(const struct stk_conn *c, const struct tcp_seg *s)
{
	return s->len == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) && s->seq == c->rcv_nxt &&
	       s->ack == c->snd_una && ((uint32_t)s->wnd << c->snd_wscale) == c->snd_wnd &&
	       c->ts_recent - s->opts.tsval <= tcp_rto(c) / 1000;
}

/* RFC 7323 5.3 R1 (PAWS): a timestamp older than TS.Recent marks a segment
 * from an earlier pass through the sequence space. A RST is exempt (5.3);
 * so is a segment without timestamps on a connection that negotiated them:
 * RFC 7323 3.2 lets us drop it, Linux takes it and so do we (a middlebox
 * stripping options would otherwise stall the connection); it simply has
 * no PAWS protection and does not move TS.Recent. */
static bool
paws_reject(const struct stk_tcp *t, const struct stk_conn *c, const struct tcp_seg *s)
{
	if (!(c->flags & TF_TS) || !(s->opts.flags & TCP_OPT_F_TS) || (s->flags & TCP_RST))
		return false;
	if ((int32_t)(s->opts.tsval - c->ts_recent) >= 0 || !ts_recent_valid(t, c))
		return false;
	return !disordered_ack(c, s);
}

/* Leaves only the payload in m. */
static void
strip(struct tcp_seg *s)
{
	s->m = tcp_mbuf_trim_front(s->m, s->hlen);
	s->hlen = 0;
}

/* Cuts what we already have and what lies beyond the window we offered. */
static void
trim(struct stk_conn *c, struct tcp_seg *s)
{
	uint32_t right = seq_max(c->rcv_adv, c->rcv_nxt), end;

	if (seq_lt(s->seq, c->rcv_nxt)) {
		uint32_t d = RTE_MIN(c->rcv_nxt - s->seq, s->len);

		s->m = tcp_mbuf_trim_front(s->m, d);
		s->len -= d;
		s->seq = c->rcv_nxt;
	}
	end = s->seq + s->len;
	if (seq_gt(end, right)) {
		uint32_t cut = RTE_MIN(end - right, s->len);

		tcp_mbuf_trim_back(s->m, cut);
		s->len -= cut;
		s->flags &= (uint8_t)~TCP_FIN; /* it lay beyond the window too */
	}
}

static void
new_ack(struct stk_tcp *t, struct stk_conn *c, const struct tcp_seg *s)
{
	uint32_t acked = tcp_sq_ack(c, s->ack);
	bool sampled = false;

	c->snd_una = s->ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->bytes_out += acked;
	if ((c->flags & TF_RTT_TIMING) && seq_gt(s->ack, c->rtt_seq)) {
		c->flags &= ~TF_RTT_TIMING;
		tcp_rtt_sample(c, (uint32_t)RTE_MIN((t->now - c->rtt_tsc) / t->tsc_us,
						    (uint64_t)UINT32_MAX));
		sampled = true;
	}
	/* Karn leaves a backed-off RTO without samples; a timestamp echo names
	 * the transmission it answers, so it may end the back-off */
	if (!sampled && c->backoff > 0 && (c->flags & TF_TS) && (s->opts.flags & TCP_OPT_F_TS) &&
	    s->opts.tsecr != 0) {
		uint32_t ms = tcp_ts_now(c) - s->opts.tsecr;

		if (ms < 4000000)
			tcp_rtt_sample(c, ms * 1000);
	}
	c->rtx_n = 0;
	c->persist_n = 0;
	c->flags &= ~TF_TLP_SENT; /* an answer: another tail may be probed */
	if ((c->flags & TF_UNDO) && (s->opts.flags & TCP_OPT_F_TS))
		tcp_cc_check_spurious(c, s->opts.tsecr);
	tcp_cc_ack(c, acked);
	if (c->snd_una == c->snd_max)
		tcp_timer_cancel(c, TCP_T_RTX);
	else
		tcp_rtx_arm(c);
}

static void
update_window(struct stk_conn *c, const struct tcp_seg *s)
{
	if (seq_lt(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && seq_le(c->snd_wl2, s->ack))) {
		uint32_t w = (uint32_t)s->wnd << c->snd_wscale;

		if (w != 0 && c->snd_wnd == 0)
			c->persist_n = 0;
		c->snd_wnd = w;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		c->max_sndwnd = RTE_MAX(c->max_sndwnd, w);
	}
}

/* Our FIN acked: FIN-WAIT-1, CLOSING and LAST-ACK move on. false when the
 * segment's processing ends here. */
static bool
after_ack(struct stk_conn *c)
{
	if (!(c->flags & TF_FIN_SENT) || c->snd_una != c->snd_max)
		return true;
	switch (c->state) {
	case STK_TCP_FIN_WAIT_1:
		tcp_set_state(c, STK_TCP_FIN_WAIT_2);
		tcp_idle_arm(c);
		return true;
	case STK_TCP_CLOSING:
		tcp_enter_time_wait(c);
		return false;
	case STK_TCP_LAST_ACK:
		tcp_conn_done(c, 0);
		return false;
	default:
		return true;
	}
}

/* SYN-RECEIVED: the ACK that completes the handshake. */
static bool
ack_syn_received(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if (!seq_gt(s->ack, c->snd_una) || seq_gt(s->ack, c->snd_max)) {
		tcp_send_rst_reply(t->ctx, s->saddr, s->daddr, s->sport, s->dport, s->seq, s->ack,
				   s->flags, s->len);
		s->drop = STK_DROP_TCP_BAD_ACK;
		return false;
	}
	c->snd_una = s->ack;
	c->snd_nxt = seq_max(c->snd_nxt, c->snd_una);
	if ((c->flags & TF_RTT_TIMING) && seq_gt(s->ack, c->rtt_seq))
		tcp_rtt_sample(c, (uint32_t)RTE_MIN((t->now - c->rtt_tsc) / t->tsc_us,
						    (uint64_t)UINT32_MAX));
	c->flags &= ~TF_RTT_TIMING;
	tcp_timer_cancel(c, TCP_T_RTX);
	c->rtx_n = 0;
	c->backoff = 0;
	c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
	c->max_sndwnd = RTE_MAX(c->max_sndwnd, c->snd_wnd);
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	if (!(c->flags & TF_PASSIVE))
		TCP_INC(t->ctx, active_opens); /* simultaneous open */
	return tcp_establish(t, c);
}

/* RFC 9293 3.10.7.4, fifth: the ACK field. false when processing ends. */
static bool
rcv_ack(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	bool dup;

	if (c->state == STK_TCP_SYN_RECEIVED)
		return ack_syn_received(t, c, s);
	if (seq_gt(s->ack, c->snd_max)) {
		/* acks something never sent */
		c->flags |= TF_ACK_NOW;
		tcp_output(c);
		s->drop = STK_DROP_TCP_BAD_ACK;
		return false;
	}
	/* RFC 5681 2: no data, no SYN/FIN, same ACK, same window, data out */
	dup = s->len == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) && s->ack == c->snd_una &&
	      c->snd_una != c->snd_max && ((uint32_t)s->wnd << c->snd_wscale) == c->snd_wnd;
	c->sb_news = 0;
	if ((c->flags & TF_SACK) && (s->opts.n_sack != 0 || c->sb_n != 0))
		c->sb_news = tcp_sb_update(c, &s->opts, s->ack);
	if (seq_gt(s->ack, c->snd_una)) {
		new_ack(t, c, s);
	} else if (s->ack == c->snd_una && s->opts.n_sack != 0 && (c->flags & TF_SACK)) {
		/* newly SACKed segments count, whether the ACK carries data or
		 * not; an ACK reporting nothing new (a D-SACK for a duplicate)
		 * does not (RFC 6675 2) */
		tcp_cc_sack_dup(c);
	} else if (dup) {
		tcp_cc_dupack(c);
	}
	update_window(c, s);
	return after_ack(c);
}

static void
rcv_ack_only(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	uint32_t len = s->len;
	uint8_t flags = s->flags;

	s->len = 0;
	s->flags &= (uint8_t)~TCP_FIN;
	if (rcv_ack(t, c, s))
		tcp_writable_check(c);
	s->len = len;
	s->flags = flags;
}

/* Hands in-order data to the application; false when c is gone. */
static bool
deliver(struct stk_conn *c, struct rte_mbuf *m, uint32_t len)
{
	if (c->flags & TF_APP_CLOSED) {
		/* closed from an earlier callback of this same segment */
		stk_drop(c->ctx, m, STK_DROP_TCP_DATA_CLOSED);
		tcp_send_rst(c);
		tcp_conn_done(c, 0);
		return false;
	}
	c->rcv_nxt += len;
	c->rcv_held += len;
	c->rcv_unacked += len;
	c->bytes_in += len;
	return tcp_cb_data(c, m);
}

/* Hands m and every out-of-order chain it makes contiguous to the
 * application as one chain, so that whatever the application sends from its
 * callback ACKs the whole filled range at once. Acknowledging it piecewise
 * would give the sender ACKs that cover only never-retransmitted segments
 * sent before its timeout, and Linux takes the timeout into its RTT from
 * those (it ignores Karn's rule only for them): its RTO grows with every
 * loss. False when c is gone. */
static bool
deliver_with_ooo(struct stk_conn *c, struct rte_mbuf *m, uint32_t len)
{
	uint32_t start = c->rcv_nxt;
	struct rte_mbuf *e;

	c->rcv_nxt += len; /* tcp_ooo_pop trims against rcv_nxt */
	while ((e = tcp_ooo_pop(c)) != NULL) {
		uint32_t elen = e->pkt_len;

		if (rte_pktmbuf_chain(m, e) != 0) {
			/* past the segment count an mbuf chain can hold */
			c->rcv_nxt = start;
			if (!deliver(c, m, len))
				return false;
			start = c->rcv_nxt;
			m = e;
			len = 0;
			c->rcv_nxt += elen;
		} else {
			c->rcv_nxt += elen;
		}
		len += elen;
	}
	c->rcv_nxt = start;
	return deliver(c, m, len);
}

static void
rcv_out_of_order(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	struct rte_mbuf *m = s->m;

	s->m = NULL;
	TCP_INC(t->ctx, ooo_segments);
	tcp_ooo_insert(c, m, s->seq);
	c->quickacks = TCP_QUICKACKS;
	/* a duplicate ACK at once (RFC 5681 4.2), and a pure one: a sender
	 * does not count an ACK that carries data (Linux, BSD) */
	tcp_send_ack(c);
}

/* Seventh: the segment text. */
static void
rcv_text(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	struct rte_mbuf *m;
	bool had_ooo;

	if (s->len == 0)
		return;
	if ((c->flags & TF_PEER_FIN) ||
	    (c->state != STK_TCP_ESTABLISHED && c->state != STK_TCP_FIN_WAIT_1 &&
	     c->state != STK_TCP_FIN_WAIT_2)) {
		s->drop = STK_DROP_TCP_DATA_CLOSED;
		s->flags &= (uint8_t)~TCP_FIN;
		return;
	}
	if (c->flags & TF_APP_CLOSED) {
		/* nobody will read it: reset (RFC 9293 3.10.4, as Linux does) */
		s->drop = STK_DROP_TCP_DATA_CLOSED;
		tcp_send_rst(c);
		tcp_conn_done(c, 0);
		return;
	}
	if (s->len > c->rcv_mss)
		c->rcv_mss = (uint16_t)RTE_MIN(s->len, (uint32_t)c->port_mss);
	if (s->seq != c->rcv_nxt) {
		rcv_out_of_order(t, c, s);
		return;
	}
	had_ooo = c->ooo_head != NULL;
	m = s->m;
	s->m = NULL;
	if (!(had_ooo ? deliver_with_ooo(c, m, s->len) : deliver(c, m, s->len)))
		return;
	if ((c->flags & TF_OOO_FIN) && c->rcv_nxt == c->ooo_fin_seq) {
		/* the hole before a FIN filled: take the FIN now */
		c->flags &= ~TF_OOO_FIN;
		s->flags |= TCP_FIN;
		s->seq = c->rcv_nxt;
		s->len = 0;
	}
	/* rcv_unacked 0: the application's answer carried the ACK already */
	/* more than one full segment unACKed is ACKed at once (RFC 5681 4.2
	 * asks for every second full one; Linux, like this, counts bytes);
	 * after a loss sign, every segment is, for a while (as Linux's
	 * quickack): a sender recovering with a small window and a short RTO
	 * would otherwise time out on our delayed ACK */
	if (c->quickacks > 0)
		c->quickacks--;
	if (had_ooo || t->conf.delack_us == 0 || c->rcv_unacked > c->rcv_mss || c->quickacks > 0)
		c->flags |= TF_ACK_NOW;
	else if (c->rcv_unacked != 0 && !tcp_timer_armed(c, TCP_T_DELACK))
		tcp_timer_set(c, TCP_T_DELACK, t->conf.delack_us);
}

/* Eighth: the FIN. */
static void
rcv_fin(struct stk_conn *c, struct tcp_seg *s)
{
	uint32_t fin_seq = s->seq + s->len;

	if (c->flags & TF_PEER_FIN) {
		/* a second FIN past the first one: nothing to take, say where we are */
		c->flags |= TF_ACK_NOW;
		return;
	}
	if (fin_seq != c->rcv_nxt) {
		if (seq_gt(fin_seq, c->rcv_nxt)) {
			c->flags |= TF_OOO_FIN | TF_ACK_NOW;
			c->ooo_fin_seq = fin_seq;
		}
		return;
	}
	c->rcv_nxt++;
	c->flags |= TF_PEER_FIN | TF_ACK_NOW;
	c->flags &= ~TF_OOO_FIN;
	tcp_ooo_purge(c); /* nothing can follow a FIN */
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
		tcp_set_state(c, STK_TCP_CLOSE_WAIT);
		tcp_cb_peer_closed(c);
		return;
	case STK_TCP_FIN_WAIT_1: /* our FIN is not acked yet (else FIN-WAIT-2) */
		tcp_set_state(c, STK_TCP_CLOSING);
		tcp_cb_peer_closed(c);
		return;
	case STK_TCP_FIN_WAIT_2:
		tcp_send_ack(c);
		if (!tcp_cb_peer_closed(c))
			return;
		tcp_enter_time_wait(c);
		return;
	default:
		return;
	}
}

/* The checks before a segment may touch the connection: PAWS, RFC 5961
 * for SYN and RST, the sequence number, the ACK's lower bound. false when
 * the segment ends here (answered, s->drop set, or c reset). */
static bool
rcv_checks(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if (paws_reject(t, c, s)) {
		/* RFC 7323 5.3 R1: drop, and say where we are */
		tcp_send_ack(c);
		s->drop = STK_DROP_TCP_PAWS;
		return false;
	}
	/* RFC 5961 4: a SYN in a synchronized state gets a challenge ACK,
	 * whatever its sequence number; a retransmission of the SYN we are
	 * answering (SYN-RECEIVED, at irs) is old data: the SYN-ACK again */
	if ((s->flags & TCP_SYN) && !(c->state == STK_TCP_SYN_RECEIVED && s->seq == c->irs)) {
		tcp_challenge_ack(c);
		s->drop = STK_DROP_TCP_SYN_UNEXPECTED;
		return false;
	}
	if (!seq_acceptable(c, s)) {
		rcv_unacceptable(t, c, s);
		return false;
	}
	if (s->flags & TCP_RST) {
		/* RFC 5961 3.2: only exactly rcv_nxt resets; the rest of the
		 * window may be a blind guess. The real peer answers the
		 * challenge with a RST at the ACK's number, which is exact. */
		if (s->seq != c->rcv_nxt) {
			tcp_challenge_ack(c);
			s->drop = STK_DROP_TCP_RST_CHALLENGED;
			return false;
		}
		rcv_rst(t, c);
		return false;
	}
	/* RFC 5961 5.2 (blind data injection); in SYN-RECEIVED an old ACK is
	 * answered with a RST (ack_syn_received) */
	if (c->state != STK_TCP_SYN_RECEIVED && ack_too_old(c, s)) {
		tcp_challenge_ack(c);
		s->drop = STK_DROP_TCP_ACK_OLD;
		return false;
	}
	return true;
}

void
tcp_rcv_synced(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if (!rcv_checks(t, c, s))
		return;
	c->last_rcv_tsc = t->now;
	c->ka_probes = 0;
	ts_update(t, c, s);
	strip(s);
	trim(c, s);
	if (!rcv_ack(t, c, s))
		return;
	rcv_text(t, c, s);
	if (tcp_dead(c))
		return;
	if (s->flags & TCP_FIN)
		rcv_fin(c, s);
	if (tcp_dead(c))
		return;
	tcp_output(c);
	tcp_writable_check(c);
}

/* ------------------------------------------------------------------ */
/* TIME-WAIT                                                            */

/* RFC 6191 2: may a SYN take over a pair in TIME-WAIT? With timestamps on
 * both incarnations, a newer timestamp says it is no old duplicate whatever
 * its sequence number (equal: the sequence number decides). Otherwise only
 * a sequence number above the old incarnation's does (RFC 1122 4.2.2.13),
 * also when the new one would use timestamps and the old did not: RFC 6191
 * takes that case on trust in PAWS, which we do not apply to segments
 * without timestamps (paws_reject). */
static bool
tw_reusable(const struct stk_tcp *t, const struct stk_conn *c, const struct tcp_seg *s)
{
	int32_t d = (int32_t)(s->opts.tsval - c->ts_recent);

	if (t->conf.opt_timestamps && (s->opts.flags & TCP_OPT_F_TS) && (c->flags & TF_TS))
		return d > 0 || (d == 0 && seq_gt(s->seq, c->rcv_nxt));
	return seq_gt(s->seq, c->rcv_nxt);
}

void
tcp_rcv_time_wait(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if ((s->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		struct stk_listener *l = tcp_listener_find(t, s->daddr, s->dport);

		if (l != NULL && tw_reusable(t, c, s)) {
			TCP_INC(t->ctx, tw_reused);
			tcp_conn_release(c);
			tcp_rcv_listen(t, l, s);
			return;
		}
		tcp_send_ack(c);
		s->drop = STK_DROP_TCP_SYN_UNEXPECTED;
		return;
	}
	if (paws_reject(t, c, s)) {
		tcp_send_ack(c);
		s->drop = STK_DROP_TCP_PAWS;
		return;
	}
	if (s->flags & TCP_FIN) {
		/* our last ACK was lost: again, and 2 MSL from now */
		tcp_tw_enter(c);
		tcp_send_ack(c);
		return;
	}
	if (!seq_acceptable(c, s)) {
		tcp_send_ack(c);
		s->drop = STK_DROP_TCP_OUT_OF_WINDOW;
	}
}

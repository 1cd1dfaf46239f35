/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_output.c - the send queue and everything TCP puts on the wire:
 * data segments, SYN/SYN-ACK, pure ACKs, RSTs, probes. Owning worker only.
 *
 * Payload is never copied: each segment is a fresh header mbuf (IP + TCP,
 * with the pool's headroom left for Ethernet) chained to indirect mbufs
 * attached to the send queue's segments, which keep the data until it is
 * acked. Checksums are computed in software over the chain. Segments leave
 * through stk_ip_output (routing, ARP).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "stk_tcp_internal.h"

/* ------------------------------------------------------------------ */
/* The send queue                                                       */

static void
sq_unlink_head(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);
	struct rte_mbuf *seg = c->sq_head;
	uint32_t ts = tcp_truesize(seg);

	c->sq_head = seg->next;
	if (c->sq_head == NULL)
		c->sq_tail = NULL;
	if (c->sq_cur == seg)
		c->sq_cur = NULL;
	seg->next = NULL;
	c->sq_mem -= ts;
	c->sq_segs--;
	t->mem -= ts;
	t->snd_mbufs--;
	rte_pktmbuf_free_seg(seg);
}

void
tcp_sq_append(struct stk_conn *c, struct rte_mbuf *m)
{
	struct stk_tcp *t = conn_tcp(c);

	while (m != NULL) {
		struct rte_mbuf *seg = m;
		uint32_t ts = tcp_truesize(seg);

		m = m->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		seg->pkt_len = seg->data_len;
		if (seg->data_len == 0) {
			rte_pktmbuf_free_seg(seg);
			continue;
		}
		if (c->sq_tail != NULL)
			c->sq_tail->next = seg;
		else
			c->sq_head = seg;
		c->sq_tail = seg;
		c->sq_bytes += seg->data_len;
		c->sq_mem += ts;
		c->sq_segs++;
		t->mem += ts;
		t->snd_mbufs++;
	}
}

uint32_t
tcp_sq_ack(struct stk_conn *c, uint32_t ack)
{
	uint32_t n, done;

	if (!seq_gt(ack, c->sq_seq))
		return 0;
	n = RTE_MIN(ack - c->sq_seq, c->sq_bytes);
	done = n;
	while (n > 0) {
		uint32_t avail = (uint32_t)c->sq_head->data_len - c->sq_head_off;

		if (n < avail) {
			c->sq_head_off = (uint16_t)(c->sq_head_off + n);
			break;
		}
		n -= avail;
		c->sq_head_off = 0;
		sq_unlink_head(c);
	}
	c->sq_seq += done;
	c->sq_bytes -= done;
	return done;
}

void
tcp_sq_purge(struct stk_conn *c)
{
	while (c->sq_head != NULL)
		sq_unlink_head(c);
	c->sq_seq += c->sq_bytes;
	c->sq_bytes = 0;
	c->sq_head_off = 0;
}

uint32_t
tcp_sq_unsent(const struct stk_conn *c)
{
	uint32_t sent = c->snd_nxt - c->sq_seq;

	if (seq_lt(c->snd_nxt, c->sq_seq))
		return c->sq_bytes;
	return sent >= c->sq_bytes ? 0 : c->sq_bytes - sent;
}

/* The segment holding data byte seq, and the offset of seq in it. The
 * cursor makes walking forward through a long queue O(1) per segment. */
static struct rte_mbuf *
sq_locate(struct stk_conn *c, uint32_t seq, uint32_t *off)
{
	struct rte_mbuf *seg;
	uint32_t start; /* sequence number of seg's first byte */

	if (c->sq_cur != NULL && seq_le(c->sq_cur_seq, seq)) {
		seg = c->sq_cur;
		start = c->sq_cur_seq;
	} else {
		seg = c->sq_head;
		start = c->sq_seq - c->sq_head_off;
	}
	while (seg != NULL && seq_ge(seq, start + seg->data_len)) {
		start += seg->data_len;
		seg = seg->next;
	}
	c->sq_cur = seg;
	c->sq_cur_seq = start;
	*off = seq - start;
	return seg;
}

/* How much of [seq, seq + len) fits in TCP_MAX_TX_SEGS pieces. */
static uint32_t
sq_span(struct stk_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t off, done = 0;
	struct rte_mbuf *seg = sq_locate(c, seq, &off);

	for (unsigned int i = 0; i < TCP_MAX_TX_SEGS && seg != NULL && done < len; i++) {
		done += seg->data_len - off;
		off = 0;
		seg = seg->next;
	}
	return RTE_MIN(done, len);
}

/* Chains indirect mbufs for [seq, seq + len) of the queue to hdr. */
static int
attach(struct stk_conn *c, struct rte_mbuf *hdr, uint32_t seq, uint32_t len)
{
	struct rte_mbuf *last = hdr, *seg;
	uint32_t off;

	seg = sq_locate(c, seq, &off);
	while (len > 0 && seg != NULL) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len);
		struct rte_mbuf *mi = rte_pktmbuf_alloc(c->ctx->conf.pool);

		if (mi == NULL)
			return -ENOMEM;
		rte_pktmbuf_attach(mi, seg);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)n;
		mi->pkt_len = n;
		last->next = mi;
		last = mi;
		hdr->nb_segs++;
		hdr->pkt_len += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	return len == 0 ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Segments                                                             */

struct pseudo_hdr {
	uint32_t src, dst;
	uint8_t zero, proto;
	uint16_t len;
} __rte_packed;

/* An mbuf holding the IP and TCP headers (checksums and lengths left for
 * finish()), or NULL (counted). Addresses and ports in host order. */
static struct rte_mbuf *
build(struct stk_ctx *ctx, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport,
      uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts,
      unsigned int olen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->conf.pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	if (unlikely(m == NULL)) {
		ctx->stats.drops[STK_DROP_NOMEM]++;
		return NULL;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(
		m, (uint16_t)(TCP_IP_HDR_LEN + TCP_HDR_LEN + olen));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->packet_id = 0; /* atomic datagram (RFC 6864) */
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TCP_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(laddr);
	ip->dst_addr = rte_cpu_to_be_32(raddr);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(lport);
	th->dst_port = rte_cpu_to_be_16(rport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((TCP_HDR_LEN + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (olen != 0)
		memcpy(th + 1, opts, olen);
	return m;
}

/* Lengths and the TCP checksum, over the whole chain. */
static void
finish(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t tcp_len = m->pkt_len - TCP_IP_HDR_LEN, sum;
	struct pseudo_hdr ph = {
		.src = ip->src_addr,
		.dst = ip->dst_addr,
		.proto = IPPROTO_TCP,
		.len = rte_cpu_to_be_16((uint16_t)tcp_len),
	};
	uint16_t part = 0;

	ip->total_length = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	stk_cksum_mbuf(m, TCP_IP_HDR_LEN, tcp_len, &part);
	sum = (uint32_t)rte_raw_cksum(&ph, sizeof(ph)) + part;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
	m->ol_flags = 0;
	m->packet_type = 0;
}

static void
send_built(struct stk_ctx *ctx, struct rte_mbuf *m, uint8_t flags)
{
	finish(m);
	TCP_INC(ctx, segs_out);
	if (flags & TCP_RST)
		TCP_INC(ctx, rsts_out);
	stk_ip_output(ctx, m, ctx->tcp->now); /* failures are counted there: like a loss */
}

/* The window field; records the right edge advertised (never moving left). */
static uint16_t
window_field(struct stk_conn *c, bool syn)
{
	uint32_t w = tcp_rcv_window(c), wire;
	uint8_t ws = syn ? 0 : c->rcv_wscale;

	/* rounding up keeps the edge from shrinking by < 2^ws (RFC 7323 2.4) */
	wire = RTE_MIN((w + (1u << ws) - 1) >> ws, TCP_MAX_WINDOW);
	c->rcv_adv = seq_max(c->rcv_adv, c->rcv_nxt + (wire << ws));
	return (uint16_t)wire;
}

static void
syn_opts(const struct stk_conn *c, struct tcp_opts *o)
{
	const struct stk_tcp_conf *tc = &conn_tcp(c)->conf;

	o->flags = TCP_OPT_F_MSS;
	o->mss = c->port_mss;
	if (c->state == STK_TCP_SYN_SENT) {
		/* offer what the config allows */
		if (tc->opt_wscale)
			o->flags |= TCP_OPT_F_WSCALE;
		if (tc->opt_timestamps)
			o->flags |= TCP_OPT_F_TS;
		if (tc->opt_sack)
			o->flags |= TCP_OPT_F_SACKOK;
	} else {
		/* answer with what was negotiated */
		if (c->flags & TF_WSCALE)
			o->flags |= TCP_OPT_F_WSCALE;
		if (c->flags & TF_TS)
			o->flags |= TCP_OPT_F_TS;
		if (c->flags & TF_SACK)
			o->flags |= TCP_OPT_F_SACKOK;
	}
	o->wscale = c->rcv_wscale;
}

/* Builds and sends one segment of c: seq, flags and len bytes of the send
 * queue at seq. 0, or -ENOMEM (counted; nothing sent). */
static int
xmit(struct stk_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct stk_ctx *ctx = c->ctx;
	struct tcp_opts o = {0};
	uint8_t opts[TCP_OPT_MAX];
	struct rte_mbuf *m;
	unsigned int olen;
	uint16_t wnd;

	if (flags & TCP_SYN)
		syn_opts(c, &o);
	else if (c->flags & TF_TS)
		o.flags = TCP_OPT_F_TS;
	if ((c->flags & TF_SACK) && c->ooo_head != NULL &&
	    (flags & (TCP_SYN | TCP_RST | TCP_ACK)) == TCP_ACK)
		o.n_sack = (uint8_t)tcp_ooo_sack(c, o.sack, TCP_SACK_MAX);
	if (o.flags & TCP_OPT_F_TS) {
		o.tsval = tcp_ts_now(c);
		o.tsecr = (flags & TCP_ACK) ? c->ts_recent : 0;
	}
	olen = tcp_opts_write(opts, &o);
	wnd = (flags & TCP_RST) ? 0 : window_field(c, (flags & TCP_SYN) != 0);
	m = build(ctx, c->laddr, c->raddr, c->lport, c->rport, seq,
		  (flags & TCP_ACK) ? c->rcv_nxt : 0, flags, wnd, opts, olen);
	if (m == NULL)
		return -ENOMEM;
	if (len != 0 && attach(c, m, seq, len) != 0) {
		rte_pktmbuf_free(m);
		ctx->stats.drops[STK_DROP_NOMEM]++;
		return -ENOMEM;
	}
	if (flags & TCP_ACK) {
		/* this segment carries every ACK owed so far */
		c->last_ack_sent = c->rcv_nxt;
		c->rcv_unacked = 0;
		c->flags &= ~TF_ACK_NOW;
		tcp_timer_cancel(c, TCP_T_DELACK);
	}
	send_built(ctx, m, flags);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The send engine                                                      */

static bool
fin_pending(const struct stk_conn *c)
{
	return (c->flags & TF_FIN_QUEUED) && c->snd_nxt == c->sq_seq + c->sq_bytes;
}

/* After [snd_nxt, snd_nxt + len (+FIN)) went out. */
static void
sent(struct stk_conn *c, uint32_t len, bool fin)
{
	struct stk_tcp *t = conn_tcp(c);

	if (seq_lt(c->snd_nxt, c->snd_max)) {
		TCP_INC(c->ctx, retrans_segs);
		c->retransmits++;
		c->flags &= ~TF_RTT_TIMING; /* Karn */
	} else if (!(c->flags & TF_RTT_TIMING)) {
		c->flags |= TF_RTT_TIMING;
		c->rtt_seq = c->snd_nxt;
		c->rtt_tsc = t->now;
	}
	c->snd_nxt += len + (fin ? 1 : 0);
	if (fin)
		c->flags |= TF_FIN_SENT;
	c->snd_max = seq_max(c->snd_max, c->snd_nxt);
	c->last_snd_tsc = t->now;
	tcp_timer_cancel(c, TCP_T_PERSIST);
	if (!tcp_timer_armed(c, TCP_T_RTX))
		tcp_rtx_arm(c);
}

/* Sends the next segment if the windows, sender SWS avoidance (RFC 9293
 * 3.8.6.2.1) and Nagle let it go. Returns whether it sent one. */
/* What the congestion window leaves for more data: beside the flight, or
 * beside pipe in a SACK recovery (RFC 6675). */
static uint32_t
cwnd_room(const struct stk_conn *c, uint32_t in_flight)
{
	uint32_t cwnd = tcp_cc_send_cwnd(c), used = in_flight;

	if (c->flags & TF_SACK_RECOVERY)
		used = tcp_sb_pipe(c);
	return cwnd > used ? cwnd - used : 0;
}

static bool
send_one(struct stk_conn *c, bool force)
{
	uint32_t mss = tcp_tx_mss(c), off, room = UINT32_MAX;
	uint32_t avail, in_flight, usable, len;
	bool retrans = seq_lt(c->snd_nxt, c->snd_max), fin;
	uint8_t flags = TCP_ACK;

	if (retrans && c->sb_n > 0) {
		/* going back after a timeout: what the peer SACKed stays */
		c->snd_nxt = seq_min(tcp_sb_skip(c, c->snd_nxt, &room), c->snd_max);
		retrans = seq_lt(c->snd_nxt, c->snd_max);
	}
	off = c->snd_nxt - c->sq_seq;
	if (seq_lt(c->snd_nxt, c->sq_seq) || off > c->sq_bytes)
		return false;
	avail = c->sq_bytes - off;
	if (avail == 0) {
		/* a bare FIN takes no buffer at the peer: no window needed */
		if (!fin_pending(c) || xmit(c, c->snd_nxt, 0, TCP_ACK | TCP_FIN) != 0)
			return false;
		sent(c, 0, true);
		return true;
	}
	in_flight = c->snd_nxt - c->snd_una;
	usable = c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
	usable = RTE_MIN(usable, cwnd_room(c, in_flight));
	len = RTE_MIN(RTE_MIN(avail, usable), RTE_MIN(mss, room));
	if (len == 0)
		return false;
	if (len < mss && len < avail && !force && !retrans && len < c->max_sndwnd / 2)
		return false; /* SWS: wait for a useful window (the persist timer overrides) */
	if (len < mss && conn_tcp(c)->conf.nagle && in_flight > 0 && !force && !retrans)
		return false;
	len = sq_span(c, c->snd_nxt, len);
	fin = (c->flags & TF_FIN_QUEUED) && len == avail;
	if (len == avail)
		flags |= TCP_PSH;
	if (fin)
		flags |= TCP_FIN;
	if (xmit(c, c->snd_nxt, len, flags) != 0)
		return false;
	sent(c, len, fin);
	return true;
}

static void
send_data(struct stk_conn *c, bool force)
{
	struct stk_tcp *t = conn_tcp(c);

	/* RFC 5681 4.1: restart from at most the initial window after idling */
	if (c->snd_una == c->snd_max && c->last_snd_tsc != 0 && tcp_sq_unsent(c) > 0 &&
	    t->now - c->last_snd_tsc > tcp_rto(c) * t->tsc_us)
		c->cc->on_idle(c);
	if (c->flags & TF_SACK_RECOVERY)
		tcp_sack_output(c);
	else
		while (send_one(c, force))
			force = false;
	if (c->snd_nxt == c->snd_una)
		tcp_persist_check(c);
}

static void
output(struct stk_conn *c, bool force)
{
	if (tcp_dead(c))
		return;
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
	case STK_TCP_FIN_WAIT_1:
	case STK_TCP_CLOSING:
	case STK_TCP_LAST_ACK:
		send_data(c, force);
		break;
	default:
		break;
	}
	if (c->flags & TF_ACK_NOW)
		tcp_send_ack(c);
}

void
tcp_output(struct stk_conn *c)
{
	output(c, false);
}

void
tcp_output_force(struct stk_conn *c)
{
	output(c, true);
}

/* The sequence number of a segment without data: the highest sent, which
 * stays acceptable while we go back after a timeout, unless it lies beyond
 * the peer's window (data sent into a window that then closed): then the
 * window's edge, as Linux's tcp_acceptable_seq(), or a peer with a zero
 * window drops our ACKs, and both ends wait for each other. */
static uint32_t
acceptable_seq(const struct stk_conn *c)
{
	/* never below iss + 1: in SYN-RECEIVED snd_una is still the SYN's */
	uint32_t edge = seq_max(c->snd_una + c->snd_wnd, c->iss + 1);

	return seq_le(c->snd_max, edge) ? c->snd_max : edge;
}

void
tcp_send_ack(struct stk_conn *c)
{
	switch (c->state) {
	case STK_TCP_SYN_RECEIVED:
		c->flags &= ~TF_ACK_NOW;
		tcp_send_syn(c);
		return;
	case STK_TCP_CLOSED:
	case STK_TCP_LISTEN:
	case STK_TCP_SYN_SENT:
		c->flags &= ~TF_ACK_NOW;
		return;
	default:
		xmit(c, acceptable_seq(c), 0, TCP_ACK);
		return;
	}
}

void
tcp_send_syn(struct stk_conn *c)
{
	uint8_t flags = c->state == STK_TCP_SYN_RECEIVED ? TCP_SYN | TCP_ACK : TCP_SYN;
	bool again = c->snd_max != c->iss;

	if (xmit(c, c->iss, 0, flags) != 0 && !again)
		return; /* the timer tries again */
	if (again) {
		TCP_INC(c->ctx, retrans_segs);
		c->retransmits++;
		c->flags &= ~TF_RTT_TIMING;
		return;
	}
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->flags |= TF_RTT_TIMING;
	c->rtt_seq = c->iss;
	c->rtt_tsc = conn_tcp(c)->now;
}

void
tcp_send_rst(struct stk_conn *c)
{
	xmit(c, acceptable_seq(c), 0, TCP_RST | TCP_ACK);
}

void
tcp_send_probe(struct stk_conn *c)
{
	/* an old sequence number: the peer must answer with an ACK (and its window) */
	xmit(c, c->snd_una - 1, 0, TCP_ACK);
}

bool
tcp_send_one(struct stk_conn *c)
{
	return send_one(c, false);
}

uint32_t
tcp_retransmit_at(struct stk_conn *c, uint32_t seq, uint32_t max)
{
	uint32_t off = seq - c->sq_seq, len = 0, end;
	bool fin = false;
	uint8_t flags = TCP_ACK;

	if (!seq_lt(seq, c->snd_max) || seq_lt(seq, c->snd_una))
		return 0;
	if (off <= c->sq_bytes) {
		len = RTE_MIN(RTE_MIN(c->sq_bytes - off, tcp_tx_mss(c)), max);
		len = RTE_MIN(len, c->snd_max - seq);
		if (len != 0)
			len = sq_span(c, seq, len);
		fin = (c->flags & TF_FIN_SENT) && off + len == c->sq_bytes;
	}
	if (fin)
		flags |= TCP_FIN;
	if (len == 0 && !fin)
		return 0;
	if (xmit(c, seq, len, flags) != 0)
		return 0;
	TCP_INC(c->ctx, retrans_segs);
	c->retransmits++;
	c->flags &= ~TF_RTT_TIMING;
	end = seq + len + (fin ? 1 : 0);
	c->snd_nxt = seq_max(c->snd_nxt, end);
	if (!tcp_timer_armed(c, TCP_T_RTX))
		tcp_rtx_arm(c);
	return end - seq;
}

void
tcp_retransmit_head(struct stk_conn *c)
{
	tcp_retransmit_at(c, c->snd_una, UINT32_MAX);
}

void
tcp_send_rst_reply(struct stk_ctx *ctx, uint32_t saddr, uint32_t daddr, uint16_t sport,
		   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint32_t seg_len)
{
	struct rte_mbuf *m;
	uint32_t rseq = 0, rack = 0;
	uint8_t rflags = TCP_RST;

	if (flags & TCP_RST)
		return; /* never answer a RST */
	if (flags & TCP_ACK) {
		rseq = ack;
	} else {
		rack = seq + seg_len + ((flags & TCP_SYN) ? 1 : 0) + ((flags & TCP_FIN) ? 1 : 0);
		rflags |= TCP_ACK;
	}
	m = build(ctx, daddr, saddr, dport, sport, rseq, rack, rflags, 0, NULL, 0);
	if (m != NULL)
		send_built(ctx, m, rflags);
}

void
tcp_send_stateless(struct stk_ctx *ctx, uint32_t laddr, uint32_t raddr, uint16_t lport,
		   uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		   const struct tcp_opts *o)
{
	uint8_t opts[TCP_OPT_MAX];
	unsigned int olen = tcp_opts_write(opts, o);
	struct rte_mbuf *m =
		build(ctx, laddr, raddr, lport, rport, seq, ack, flags, wnd, opts, olen);

	if (m != NULL)
		send_built(ctx, m, flags);
}

/* ------------------------------------------------------------------ */
/* The receive window                                                   */

uint32_t
tcp_rcv_window(struct stk_conn *c)
{
	const struct stk_tcp *t = conn_tcp(c);
	uint32_t max = TCP_MAX_WINDOW << c->rcv_wscale;
	uint32_t free = t->conf.rcv_buf > c->rcv_held ? t->conf.rcv_buf - c->rcv_held : 0;
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t sws = RTE_MIN(t->conf.rcv_buf / 2, (uint32_t)c->port_mss);

	free = RTE_MIN(free, max);
	/* never shrink; move the edge only by useful amounts (RFC 9293 3.8.6.2.2);
	 * and not on a duplicate ACK while a hole is open: a sender without
	 * SACK counts only ACKs with an unchanged window as duplicates (RFC
	 * 5681 2; Linux takes any change for a window update), and the echo's
	 * data segments and pure ACKs would otherwise alternate two windows */
	if (free <= cur || free - cur < sws ||
	    (c->ooo_head != NULL && c->rcv_nxt == c->last_ack_sent))
		return cur;
	return free;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_input.c - TCP segment arrival: validation (each failure a drop
 * reason), the state x flags dispatch table, LISTEN and SYN-SENT (RFC 9293
 * 3.10.7.2-3; a listener whose backlog is full answers with SYN cookies,
 * stk_tcp_cookie.c, and an ACK may bring one back), and the transitions
 * that open and end connections (set-up, establishment, TIME-WAIT, the end
 * with its callbacks). The synchronized states are in stk_tcp_rcv.c. Owning
 * worker only.
 *
 * The dispatch table decides from the state and the SYN/ACK/RST/FIN bits
 * alone whether a segment is processed, answered with a RST or dropped, and
 * names the drop reason of every cell that drops. It is built once from the
 * rules below; later rules override earlier ones.
 *
 * Segment ownership: struct tcp_seg carries the mbuf; a step that consumes
 * it sets s->m to NULL, a step that rejects it sets s->drop. Whatever is left
 * is freed (or dropped and counted) once, at the end of stk_tcp_input.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include <rte_ip.h>

#include "stk_tcp_internal.h"

#define TCP_MIN_MSS 64 /* a peer's MSS below this is raised (tiny-segment floods) */

/* ------------------------------------------------------------------ */
/* The dispatch table                                                   */

enum tcp_action {
	TA_DROP,      /* drop with the cell's reason */
	TA_RST,	      /* answer with a RST (3.10.7.1), drop with the reason */
	TA_LISTEN,    /* a SYN for a listener */
	TA_SYN_SENT,  /* 3.10.7.3 */
	TA_SYNCED,    /* 3.10.7.4 */
	TA_TIME_WAIT, /* TIME-WAIT: ACK retransmitted FINs, maybe reuse the pair */
	TA_COOKIE,    /* an ACK for a listener: a SYN cookie coming back, or a RST */
};

#define FI_SYN 1
#define FI_ACK 2
#define FI_RST 4
#define FI_FIN 8
#define FI_N   16

#define SB(s) (1u << STK_TCP_##s)
#define S_ALL ((1u << (STK_TCP_TIME_WAIT + 1)) - 1)
#define S_SYNCED                                                                                   \
	(SB(SYN_RECEIVED) | SB(ESTABLISHED) | SB(FIN_WAIT_1) | SB(FIN_WAIT_2) | SB(CLOSE_WAIT) |   \
	 SB(CLOSING) | SB(LAST_ACK))

struct disp_rule {
	uint16_t states;
	uint8_t with, without; /* flags that must be set / clear */
	uint8_t action;
	uint8_t drop;
};

/* CLOSED stands for "no connection and no listener". */
static const struct disp_rule rules[] = {
	/* states      with             without  action        drop reason */
	{SB(CLOSED), 0, 0, TA_RST, STK_DROP_NO_SOCKET},
	{SB(CLOSED), FI_RST, 0, TA_DROP, STK_DROP_NO_SOCKET},

	{SB(LISTEN), 0, 0, TA_DROP, STK_DROP_TCP_FLAGS},
	{SB(LISTEN), FI_SYN, FI_ACK, TA_LISTEN, STK_DROP_MAX},
	{SB(LISTEN), FI_ACK, 0, TA_COOKIE, STK_DROP_TCP_LISTEN_ACK},
	{SB(LISTEN), FI_SYN | FI_ACK, 0, TA_RST, STK_DROP_TCP_LISTEN_ACK},
	{SB(LISTEN), FI_RST, 0, TA_DROP, STK_DROP_TCP_RST_IGNORED},

	{SB(SYN_SENT), 0, 0, TA_DROP, STK_DROP_TCP_FLAGS},
	{SB(SYN_SENT), FI_ACK, 0, TA_SYN_SENT, STK_DROP_MAX},
	{SB(SYN_SENT), FI_SYN, 0, TA_SYN_SENT, STK_DROP_MAX},
	{SB(SYN_SENT), FI_RST, FI_ACK, TA_DROP, STK_DROP_TCP_RST_IGNORED},

	{S_SYNCED, 0, 0, TA_DROP, STK_DROP_TCP_NO_ACK},
	{S_SYNCED, FI_ACK, 0, TA_SYNCED, STK_DROP_MAX},
	{S_SYNCED, FI_SYN, 0, TA_SYNCED, STK_DROP_MAX}, /* challenge ACK */
	{S_SYNCED, FI_RST, 0, TA_SYNCED, STK_DROP_MAX},

	{SB(TIME_WAIT), 0, 0, TA_DROP, STK_DROP_TCP_NO_ACK},
	{SB(TIME_WAIT), FI_ACK, 0, TA_TIME_WAIT, STK_DROP_MAX},
	{SB(TIME_WAIT), FI_SYN, 0, TA_TIME_WAIT, STK_DROP_MAX},
	{SB(TIME_WAIT), FI_RST, 0, TA_DROP, STK_DROP_TCP_RST_IGNORED}, /* RFC 1337 */

	/* nonsense in every state that has something to protect */
	{S_ALL & ~SB(CLOSED), FI_SYN | FI_FIN, 0, TA_DROP, STK_DROP_TCP_FLAGS},
	{S_ALL, FI_SYN | FI_RST, 0, TA_DROP, STK_DROP_TCP_FLAGS},
};

static struct tcp_disp disp[STK_TCP_TIME_WAIT + 1][FI_N];
static pthread_once_t disp_once = PTHREAD_ONCE_INIT;

static void
disp_build(void)
{
	RTE_BUILD_BUG_ON(STK_DROP_MAX > UINT8_MAX);
	for (unsigned int r = 0; r < RTE_DIM(rules); r++)
		for (unsigned int s = 0; s <= STK_TCP_TIME_WAIT; s++)
			for (unsigned int f = 0; f < FI_N; f++)
				if ((rules[r].states & (1u << s)) &&
				    (f & rules[r].with) == rules[r].with &&
				    (f & rules[r].without) == 0)
					disp[s][f] =
						(struct tcp_disp){rules[r].action, rules[r].drop};
}

void
tcp_dispatch_init(void)
{
	pthread_once(&disp_once, disp_build);
}

static unsigned int
flag_index(uint8_t f)
{
	return ((f & TCP_SYN) ? FI_SYN : 0) | ((f & TCP_ACK) ? FI_ACK : 0) |
	       ((f & TCP_RST) ? FI_RST : 0) | ((f & TCP_FIN) ? FI_FIN : 0);
}

struct tcp_disp
tcp_dispatch(enum stk_tcp_state s, uint8_t flags)
{
	tcp_dispatch_init();
	return disp[s][flag_index(flags)];
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */

struct pseudo_hdr {
	uint32_t src, dst;
	uint8_t zero, proto;
	uint16_t len;
} __rte_packed;

static bool
cksum_ok(const struct stk_ctx *ctx, uint16_t port_idx, const struct rte_mbuf *m,
	 const struct rte_ipv4_hdr *ip, uint32_t ihl, uint32_t tcp_len)
{
	struct pseudo_hdr ph = {
		.src = ip->src_addr,
		.dst = ip->dst_addr,
		.proto = IPPROTO_TCP,
		.len = rte_cpu_to_be_16((uint16_t)tcp_len),
	};
	uint16_t part;
	uint32_t sum;

	if (ctx->conf.ports[port_idx].rx_l4_cksum) {
		switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
		case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
		case RTE_MBUF_F_RX_L4_CKSUM_NONE: /* data integrity verified by the NIC */
			return true;
		case RTE_MBUF_F_RX_L4_CKSUM_BAD:
			return false;
		default:
			break;
		}
	}
	if (stk_cksum_mbuf(m, ihl, tcp_len, &part) != 0)
		return false;
	sum = (uint32_t)rte_raw_cksum(&ph, sizeof(ph)) + part;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* STK_DROP_MAX when the segment is well formed; s is filled. */
static enum stk_drop
parse(const struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint32_t ihl,
      struct tcp_seg *s)
{
	uint8_t buf[TCP_HDR_LEN + TCP_OPT_MAX];
	const struct rte_ipv4_hdr *ip;
	struct rte_ipv4_hdr ipb;
	uint32_t tcp_len = rte_pktmbuf_pkt_len(m) - ihl, doff;
	const uint8_t *th;

	memset(s, 0, sizeof(*s));
	s->drop = STK_DROP_MAX;
	ip = rte_pktmbuf_read(m, 0, sizeof(ipb), &ipb);
	th = rte_pktmbuf_read(m, ihl, TCP_HDR_LEN, buf);
	if (ip == NULL || tcp_len < TCP_HDR_LEN || th == NULL)
		return STK_DROP_TCP_SHORT;
	doff = (uint32_t)(th[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > tcp_len)
		return STK_DROP_TCP_DOFF;
	if (!cksum_ok(ctx, port_idx, m, ip, ihl, tcp_len))
		return STK_DROP_TCP_CKSUM;
	s->saddr = rte_be_to_cpu_32(ip->src_addr);
	s->daddr = rte_be_to_cpu_32(ip->dst_addr);
	s->sport = rd16(th);
	s->dport = rd16(th + 2);
	s->seq = rd32(th + 4);
	s->ack = rd32(th + 8);
	s->flags = th[13];
	s->wnd = rd16(th + 14);
	if (s->sport == 0 || s->dport == 0)
		return STK_DROP_TCP_PORT;
	if (doff > TCP_HDR_LEN) {
		const uint8_t *o = rte_pktmbuf_read(m, ihl + TCP_HDR_LEN, doff - TCP_HDR_LEN, buf);

		if (o == NULL || tcp_opts_parse(o, doff - TCP_HDR_LEN, &s->opts) != 0)
			return STK_DROP_TCP_OPTS;
	}
	s->m = m;
	s->hlen = ihl + doff;
	s->len = tcp_len - doff;
	s->port_idx = port_idx;
	return STK_DROP_MAX;
}

/* ------------------------------------------------------------------ */
/* Connection set-up and teardown                                       */

uint16_t
tcp_route_mss(struct stk_ctx *ctx, uint32_t raddr, uint16_t port_idx)
{
	struct stk_nexthop nh;
	uint32_t mtu = 0;

	if (ctx->routes != NULL && stk_routes_lookup(ctx->routes, raddr, &nh) == 0 &&
	    nh.port_idx < ctx->conf.n_ports)
		port_idx = nh.port_idx;
	if (port_idx < ctx->conf.n_ports)
		mtu = ctx->conf.ports[port_idx].mtu;
	if (mtu == 0)
		mtu = RTE_ETHER_MTU;
	mtu = RTE_MAX(mtu, (uint32_t)(TCP_IP_HDR_LEN + TCP_HDR_LEN + TCP_MIN_MSS));
	return (uint16_t)(mtu - TCP_IP_HDR_LEN - TCP_HDR_LEN);
}

void
tcp_sync_mss(struct stk_conn *c)
{
	c->snd_mss = RTE_MIN(c->peer_mss, c->port_mss);
}

void
tcp_conn_init(struct stk_conn *c, uint16_t port_idx)
{
	struct stk_tcp *t = conn_tcp(c);
	const struct stk_tcp_conf *tc = &t->conf;

	c->iss = tcp_isn(t, c->laddr, c->raddr, c->lport, c->rport);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->sq_seq = c->iss + 1; /* data starts after the SYN */
	c->recover = c->iss;
	c->dupthresh = TCP_DUPTHRESH;
	c->rto_us = (uint32_t)RTE_MIN(tc->rto_init_us, (uint64_t)UINT32_MAX);
	c->cc = t->cc;
	c->port_mss = tcp_route_mss(c->ctx, c->raddr, port_idx);
	c->peer_mss = TCP_DEFAULT_MSS;
	tcp_sync_mss(c);
	c->rcv_mss = RTE_MIN((uint16_t)TCP_DEFAULT_MSS, c->port_mss);
	c->rcv_wscale = (uint8_t)t->rcv_wscale;
	c->ts_offset = tcp_ts_offset(c->laddr, c->raddr, c->lport, c->rport);
	if (tc->keepalive_idle_us != 0) {
		c->flags |= TF_KEEPALIVE;
		c->ka_idle_us = tc->keepalive_idle_us;
		c->ka_intvl_us = RTE_MAX(tc->keepalive_intvl_us, (uint64_t)TCP_TICK_US);
		c->ka_max = tc->keepalive_probes;
	}
	c->last_rcv_tsc = t->now;
	c->cc->init(c);
}

/* Options of the peer's SYN (or SYN-ACK) against what we offer. */
static void
negotiate(struct stk_conn *c, const struct tcp_opts *o)
{
	const struct stk_tcp_conf *tc = &conn_tcp(c)->conf;

	if (tc->opt_wscale && (o->flags & TCP_OPT_F_WSCALE)) {
		c->flags |= TF_WSCALE;
		c->snd_wscale = o->wscale;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (tc->opt_timestamps && (o->flags & TCP_OPT_F_TS)) {
		c->flags |= TF_TS;
		c->ts_recent = o->tsval;
		c->ts_recent_tsc = conn_tcp(c)->now;
	}
	if (tc->opt_sack && (o->flags & TCP_OPT_F_SACKOK))
		c->flags |= TF_SACK;
	c->peer_mss = TCP_DEFAULT_MSS;
	if (o->flags & TCP_OPT_F_MSS)
		c->peer_mss = RTE_MAX(o->mss, (uint16_t)TCP_MIN_MSS);
	tcp_sync_mss(c);
}

void
tcp_conn_done(struct stk_conn *c, int err)
{
	const struct stk_tcp_ops *ops = c->ops;
	void *actx = c->app_ctx;

	if (tcp_dead(c))
		return;
	tcp_timers_cancel_all(c);
	tcp_set_state(c, STK_TCP_CLOSED);
	if (c->flags & TF_APP) {
		c->flags &= ~TF_APP;
		if (err != 0 && !(c->flags & TF_APP_CLOSED) && ops != NULL && ops->reset != NULL) {
			ops->reset(actx, c, err);
			if (tcp_dead(c))
				return; /* aborted from the callback */
		}
		if (ops != NULL && ops->closed != NULL)
			ops->closed(actx, c);
	}
	tcp_conn_release(c);
}

/* Both directions are done: the application hears `closed`, the TCB stays
 * for 2 MSL to answer a retransmitted FIN. */
void
tcp_enter_time_wait(struct stk_conn *c)
{
	const struct stk_tcp_ops *ops = c->ops;
	void *actx = c->app_ctx;

	tcp_timers_cancel_all(c);
	tcp_sq_purge(c);
	tcp_ooo_purge(c);
	tcp_tw_enter(c);
	if (c->flags & TF_APP) {
		c->flags &= ~TF_APP;
		if (ops != NULL && ops->closed != NULL)
			ops->closed(actx, c);
	}
	if (!tcp_dead(c)) {
		c->ops = NULL;
		c->app_ctx = NULL;
	}
}

static bool
notify_accepted(struct stk_tcp *t, struct stk_conn *c)
{
	struct stk_listener *l = &t->lsns[c->lsn_idx];
	int rc = 0;

	if (!l->used || l->gen != c->lsn_gen) {
		/* the listener went away during the handshake */
		tcp_send_rst(c);
		tcp_conn_release(c);
		return false;
	}
	c->flags |= TF_APP;
	if (l->ops->accepted != NULL)
		rc = l->ops->accepted(l->lctx, c);
	if (tcp_dead(c))
		return false;
	if (rc < 0) {
		c->flags &= ~TF_APP;
		tcp_send_rst(c);
		tcp_conn_release(c);
		return false;
	}
	return true;
}

/* The handshake completed (ACK of our SYN-ACK, or a SYN-ACK). */
bool
tcp_establish(struct stk_tcp *t, struct stk_conn *c)
{
	c->cc->init(c);
	tcp_set_state(c, (c->flags & TF_FIN_QUEUED) ? STK_TCP_FIN_WAIT_1 : STK_TCP_ESTABLISHED);
	tcp_idle_arm(c);
	if (c->flags & TF_ACK_NOW)
		tcp_output(c); /* the handshake's last ACK goes before the application runs */
	if (c->flags & TF_PASSIVE)
		return notify_accepted(t, c);
	return tcp_cb_connected(c);
}

/* ------------------------------------------------------------------ */
/* LISTEN and SYN-SENT                                                  */

static void
reply_rst(struct stk_ctx *ctx, const struct tcp_seg *s)
{
	tcp_send_rst_reply(ctx, s->saddr, s->daddr, s->sport, s->dport, s->seq, s->ack, s->flags,
			   s->len);
}

/* The window of a SYN-ACK (never scaled): what tcp_rcv_window offers a
 * fresh connection. */
static uint16_t
syn_window(const struct stk_tcp *t)
{
	return (uint16_t)RTE_MIN(t->conf.rcv_buf, TCP_MAX_WINDOW);
}

/* A SYN with no room for it: a SYN-ACK whose ISN is a cookie, nothing kept. */
static void
send_cookie(struct stk_tcp *t, struct stk_listener *l, const struct tcp_seg *s)
{
	struct tcp_opts o = {0};
	struct tcp_cookie ck;
	uint32_t isn;

	isn = tcp_cookie_make(t, s, &ck, &o.tsval);
	o.flags = TCP_OPT_F_MSS | ck.flags;
	o.mss = tcp_route_mss(t->ctx, s->saddr, s->port_idx);
	o.wscale = (uint8_t)t->rcv_wscale;
	o.tsecr = s->opts.tsval;
	tcp_send_stateless(t->ctx, s->daddr, s->saddr, s->dport, s->sport, isn, s->seq + 1,
			   TCP_SYN | TCP_ACK, syn_window(t), &o);
	/* ACKs to l are checked for cookies while one may still be valid */
	l->cookie_until = t->now + 2 * TCP_COOKIE_SLOT_US * t->tsc_us;
	TCP_INC(t->ctx, syncookies_sent);
}

void
tcp_rcv_listen(struct stk_tcp *t, struct stk_listener *l, struct tcp_seg *s)
{
	bool full = l->half_open >= l->half_open_max;
	struct stk_conn *c = NULL;

	if (!full)
		c = tcp_conn_alloc(t, s->daddr, s->saddr, s->dport, s->sport);
	if (c == NULL) {
		if (t->conf.syncookies) {
			send_cookie(t, l, s);
		} else if (full) {
			TCP_INC(t->ctx, listen_overflows);
			s->drop = STK_DROP_TCP_LISTEN_OVERFLOW;
		} else {
			s->drop = STK_DROP_TCP_CONN_FULL;
		}
		return;
	}
	c->flags |= TF_PASSIVE;
	c->lsn_idx = l->idx;
	c->lsn_gen = l->gen;
	l->half_open++;
	c->ops = l->ops;
	c->app_ctx = l->lctx;
	tcp_conn_init(c, s->port_idx);
	negotiate(c, &s->opts);
	c->irs = s->seq;
	c->rcv_nxt = c->rcv_adv = s->seq + 1; /* data in a SYN is not taken */
	c->snd_wnd = c->max_sndwnd = s->wnd;  /* never scaled in a SYN */
	c->snd_wl1 = s->seq;
	c->snd_wl2 = c->iss;
	tcp_set_state(c, STK_TCP_SYN_RECEIVED);
	TCP_INC(t->ctx, passive_opens);
	tcp_send_syn(c);
	tcp_rtx_arm(c);
}

/* A valid cookie: the connection its SYN would have opened, put in
 * SYN-RECEIVED as if the SYN-ACK had gone out from it, so that the ACK
 * completes it the ordinary way (accepted, then its data and FIN). */
static void
cookie_open(struct stk_tcp *t, struct stk_listener *l, struct tcp_seg *s,
	    const struct tcp_cookie *ck)
{
	struct tcp_opts o = {.flags = (uint8_t)(TCP_OPT_F_MSS | ck->flags),
			     .mss = ck->mss,
			     .wscale = ck->wscale,
			     .tsval = s->opts.tsval};
	struct stk_conn *c = tcp_conn_alloc(t, s->daddr, s->saddr, s->dport, s->sport);

	if (c == NULL) {
		s->drop = STK_DROP_TCP_CONN_FULL;
		return;
	}
	c->flags |= TF_PASSIVE;
	c->lsn_idx = l->idx;
	c->lsn_gen = l->gen;
	c->ops = l->ops;
	c->app_ctx = l->lctx;
	tcp_conn_init(c, s->port_idx);
	c->iss = s->ack - 1;
	c->snd_una = c->recover = c->iss;
	c->snd_nxt = c->snd_max = c->sq_seq = c->iss + 1;
	negotiate(c, &o);
	c->irs = s->seq - 1;
	c->rcv_nxt = s->seq;
	c->rcv_adv = s->seq + syn_window(t);
	c->snd_wl1 = c->irs;
	c->snd_wl2 = c->iss;
	l->half_open++; /* leaving SYN-RECEIVED gives it back */
	tcp_set_state(c, STK_TCP_SYN_RECEIVED);
	TCP_INC(t->ctx, passive_opens);
	tcp_rcv_synced(t, c, s);
	/* not completed (a check of the synchronized states refused the
	 * segment): no SYN-ACK of ours would ever be retransmitted for it */
	if (!tcp_dead(c) && c->state == STK_TCP_SYN_RECEIVED)
		tcp_conn_release(c);
}

/* An ACK for a listener: the end of a handshake answered with a cookie, or
 * a stray (RST). Cookies are only looked for while one of l's may be valid
 * (as Linux's tcp_synq_no_recent_overflow): other ACKs keep their reason. */
static void
rcv_listen_ack(struct stk_tcp *t, struct stk_listener *l, struct tcp_seg *s, uint8_t why)
{
	struct tcp_cookie ck;

	if (t->now >= l->cookie_until) {
		reply_rst(t->ctx, s);
		s->drop = why;
		return;
	}
	if (tcp_cookie_check(t, s, &ck) != 0) {
		TCP_INC(t->ctx, syncookies_failed);
		reply_rst(t->ctx, s);
		s->drop = STK_DROP_TCP_COOKIE_BAD;
		return;
	}
	TCP_INC(t->ctx, syncookies_validated);
	cookie_open(t, l, s, &ck);
}

/* RFC 9293 3.10.7.3 */
static void
rcv_syn_sent(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s)
{
	if ((s->flags & TCP_ACK) && (seq_le(s->ack, c->iss) || seq_gt(s->ack, c->snd_max))) {
		if (!(s->flags & TCP_RST))
			tcp_send_rst_reply(t->ctx, s->saddr, s->daddr, s->sport, s->dport, s->seq,
					   s->ack, s->flags, s->len);
		s->drop = STK_DROP_TCP_BAD_ACK;
		return;
	}
	if (s->flags & TCP_RST) { /* with an acceptable ACK (the table saw to that) */
		TCP_INC(t->ctx, rsts_in);
		TCP_INC(t->ctx, attempt_fails);
		tcp_conn_done(c, ECONNREFUSED);
		return;
	}
	if (!(s->flags & TCP_SYN)) {
		s->drop = STK_DROP_TCP_FLAGS;
		return;
	}
	negotiate(c, &s->opts);
	c->irs = s->seq;
	c->rcv_nxt = c->rcv_adv = s->seq + 1;
	c->snd_wnd = c->max_sndwnd = s->wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	if (!(s->flags & TCP_ACK)) {
		/* simultaneous open: SYN-ACK from our ISN */
		tcp_set_state(c, STK_TCP_SYN_RECEIVED);
		tcp_send_syn(c);
		tcp_rtx_arm(c);
		return;
	}
	c->snd_una = s->ack;
	if ((c->flags & TF_RTT_TIMING) && c->rtx_n == 0)
		tcp_rtt_sample(c, (uint32_t)RTE_MIN((t->now - c->rtt_tsc) / t->tsc_us,
						    (uint64_t)UINT32_MAX));
	c->flags &= ~TF_RTT_TIMING;
	tcp_timer_cancel(c, TCP_T_RTX);
	c->rtx_n = 0;
	c->backoff = 0;
	TCP_INC(t->ctx, active_opens);
	c->flags |= TF_ACK_NOW; /* data in a SYN-ACK is not taken: the peer resends it */
	if (!tcp_establish(t, c))
		return;
	tcp_output(c);
}

/* ------------------------------------------------------------------ */
/* Entry                                                                */

void
stk_tcp_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint32_t ihl,
	      uint64_t now)
{
	struct stk_tcp *t = ctx->tcp;
	struct stk_listener *l = NULL;
	struct stk_conn *c;
	struct tcp_disp d;
	struct tcp_seg s;
	enum stk_drop why;
	uint8_t state;

	tcp_enter(t, now);
	why = parse(ctx, port_idx, m, ihl, &s);
	if (why != STK_DROP_MAX) {
		TCP_INC(ctx, bad_segments);
		stk_drop(ctx, m, why);
		goto out;
	}
	TCP_INC(ctx, segs_in);
	c = tcp_conn_lookup(t, s.daddr, s.saddr, s.dport, s.sport);
	if (c != NULL) {
		state = c->state;
	} else {
		l = tcp_listener_find(t, s.daddr, s.dport);
		state = l != NULL ? STK_TCP_LISTEN : STK_TCP_CLOSED;
	}
	d = disp[state][flag_index(s.flags)];
	switch ((enum tcp_action)d.action) {
	case TA_DROP:
		s.drop = d.drop;
		break;
	case TA_RST:
		reply_rst(ctx, &s);
		s.drop = d.drop;
		break;
	case TA_LISTEN:
		tcp_rcv_listen(t, l, &s);
		break;
	case TA_COOKIE:
		rcv_listen_ack(t, l, &s, d.drop);
		break;
	case TA_SYN_SENT:
		rcv_syn_sent(t, c, &s);
		break;
	case TA_SYNCED:
		tcp_rcv_synced(t, c, &s);
		break;
	case TA_TIME_WAIT:
		tcp_rcv_time_wait(t, c, &s);
		break;
	}
	if (s.m != NULL) {
		if (s.drop != STK_DROP_MAX)
			stk_drop(ctx, s.m, (enum stk_drop)s.drop);
		else
			rte_pktmbuf_free(s.m);
	}
out:
	tcp_leave(t);
}

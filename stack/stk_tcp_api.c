/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_api.c - the TCP part of stk.h: listen, connect, send, consumed,
 * shutdown, close, abort, info and counters, and the wrappers through which
 * the stack calls the application. Owning worker only (stk_tcp_get_stats:
 * any thread).
 *
 * Re-entrancy: the application may call anything here from inside any
 * callback. Each call brackets itself with tcp_enter/tcp_leave, so a TCB it
 * releases is only recycled once the outermost stack entry point returns;
 * every caller of a callback checks tcp_dead(c) before touching c again.
 */
#include <errno.h>
#include <string.h>

#include "stk_tcp_internal.h"

void
stk_tcp_conf_defaults(struct stk_tcp_conf *t)
{
	memset(t, 0, sizeof(*t));
	t->max_conns = 65536;
	t->max_listeners = 64;
	t->rcv_buf = 262144;
	t->snd_buf = 262144;
	t->worker_mem_max = 256ull << 20;
	t->ooo_max = 256;
	t->opt_wscale = true;
	t->opt_timestamps = true;
	t->opt_sack = true;
	t->nagle = false;
	t->cc = STK_CC_NEWRENO;
	t->rto_min_us = 200000;
	t->rto_max_us = 60000000;
	t->rto_init_us = 1000000;
	t->msl_us = 30000000;
	t->delack_us = 40000;
	t->keepalive_idle_us = 0;
	t->keepalive_intvl_us = 75000000;
	t->keepalive_probes = 9;
	t->syn_retries = 5;
	t->fin_wait2_us = 60000000;
	t->syn_backlog = 4096;
	t->syncookies = true;
	t->challenge_ack_limit = 1000; /* Linux's tcp_challenge_ack_limit */
	t->eph_port_min = 32768;
	t->eph_port_max = 60999;
}

const char *
stk_tcp_state_name(enum stk_tcp_state s)
{
	static const char *const names[] = {
		[STK_TCP_CLOSED] = "closed",	       [STK_TCP_LISTEN] = "listen",
		[STK_TCP_SYN_SENT] = "syn-sent",       [STK_TCP_SYN_RECEIVED] = "syn-received",
		[STK_TCP_ESTABLISHED] = "established", [STK_TCP_FIN_WAIT_1] = "fin-wait-1",
		[STK_TCP_FIN_WAIT_2] = "fin-wait-2",   [STK_TCP_CLOSE_WAIT] = "close-wait",
		[STK_TCP_CLOSING] = "closing",	       [STK_TCP_LAST_ACK] = "last-ack",
		[STK_TCP_TIME_WAIT] = "time-wait",
	};

	if ((unsigned int)s >= RTE_DIM(names))
		return "unknown";
	return names[s];
}

/* ------------------------------------------------------------------ */
/* Callbacks into the application                                       */

bool
tcp_cb_connected(struct stk_conn *c)
{
	if (c->ops != NULL && c->ops->connected != NULL)
		c->ops->connected(c->app_ctx, c);
	return !tcp_dead(c);
}

bool
tcp_cb_data(struct stk_conn *c, struct rte_mbuf *m)
{
	if (c->ops == NULL || c->ops->data == NULL) {
		/* nobody to read: consumed at once */
		c->rcv_held -= RTE_MIN(c->rcv_held, m->pkt_len);
		rte_pktmbuf_free(m);
		return true;
	}
	c->ops->data(c->app_ctx, c, m);
	return !tcp_dead(c);
}

bool
tcp_cb_writable(struct stk_conn *c)
{
	if (c->ops != NULL && c->ops->writable != NULL)
		c->ops->writable(c->app_ctx, c);
	return !tcp_dead(c);
}

bool
tcp_cb_peer_closed(struct stk_conn *c)
{
	if (!(c->flags & TF_APP_CLOSED) && c->ops != NULL && c->ops->peer_closed != NULL)
		c->ops->peer_closed(c->app_ctx, c);
	return !tcp_dead(c);
}

static bool
can_send(const struct stk_conn *c)
{
	switch (c->state) {
	case STK_TCP_SYN_SENT:
	case STK_TCP_SYN_RECEIVED:
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
		return !(c->flags & (TF_DEAD | TF_FIN_QUEUED));
	default:
		return false;
	}
}

void
tcp_writable_check(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);

	if (!(c->flags & TF_WANT_WRITABLE) || !can_send(c) || c->sq_mem > t->conf.snd_buf / 2)
		return;
	if (t->mem >= t->conf.worker_mem_max) {
		tcp_mem_wait(c);
		return;
	}
	c->flags &= ~TF_WANT_WRITABLE;
	tcp_cb_writable(c);
}

/* ------------------------------------------------------------------ */
/* Listening                                                            */

int
stk_tcp_listen(struct stk_ctx *ctx, uint32_t addr, uint16_t port, const struct stk_tcp_ops *ops,
	       void *lctx, struct stk_listener **out)
{
	struct stk_tcp *t = ctx->tcp;
	struct stk_listener *l;
	int rc;

	if (t == NULL)
		return -EPROTONOSUPPORT;
	if (port == 0 || ops == NULL || out == NULL)
		return -EINVAL;
	if (addr != 0 && stk_local_addr(ctx, addr) < 0 && !stk_is_vip(ctx, addr))
		return -EADDRNOTAVAIL;
	rc = tcp_listener_add(t, addr, port, &l);
	if (rc != 0)
		return rc;
	l->ops = ops;
	l->lctx = lctx;
	*out = l;
	return 0;
}

void
stk_tcp_unlisten(struct stk_ctx *ctx, struct stk_listener *l)
{
	if (ctx->tcp == NULL || l == NULL)
		return;
	tcp_listener_del(ctx->tcp, l);
}

/* ------------------------------------------------------------------ */
/* Connecting                                                           */

static bool
port_free(struct stk_tcp *t, uint32_t saddr, uint32_t daddr, uint16_t port, uint16_t dport)
{
	const struct stk_conf *conf = &t->ctx->conf;

	/* the reply must come to this worker (DESIGN: flow ownership) */
	if (conf->n_workers > 1 && stk_flow_owner(stk_flow_hash(saddr, daddr, port, dport),
						  conf->n_workers) != conf->worker_id)
		return false;
	/* per-destination reuse: only this exact pair must be unused */
	if (tcp_conn_lookup(t, saddr, daddr, port, dport) != NULL)
		return false;
	return tcp_listener_find(t, saddr, port) == NULL;
}

/* RFC 6056 algorithm 3: a keyed offset per destination plus a counter. */
static uint16_t
pick_port(struct stk_tcp *t, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
	uint32_t min = t->conf.eph_port_min, range = t->conf.eph_port_max - min + 1;
	uint32_t off = tcp_port_offset(saddr, daddr, dport) + t->eph_seq++;

	for (uint32_t i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(min + (off + i) % range);

		if (port_free(t, saddr, daddr, port, dport)) {
			t->eph_seq += i;
			return port;
		}
	}
	return 0;
}

static int
source_for(struct stk_ctx *ctx, uint32_t daddr, uint32_t *saddr, uint16_t *port_idx)
{
	struct stk_nexthop nh;

	if (ctx->routes == NULL || stk_routes_lookup(ctx->routes, daddr, &nh) != 0 ||
	    nh.port_idx >= ctx->conf.n_ports)
		return -ENETUNREACH;
	*port_idx = nh.port_idx;
	if (*saddr != 0)
		return stk_local_addr(ctx, *saddr) < 0 ? -EADDRNOTAVAIL : 0;
	if (ctx->conf.ports[nh.port_idx].n_addrs == 0)
		return -EADDRNOTAVAIL;
	*saddr = ctx->conf.ports[nh.port_idx].addrs[0];
	return 0;
}

int
stk_tcp_connect(struct stk_ctx *ctx, uint32_t saddr, uint32_t daddr, uint16_t dport,
		const struct stk_tcp_ops *ops, void *cctx, struct stk_conn **out)
{
	struct stk_tcp *t = ctx->tcp;
	struct stk_conn *c;
	uint16_t port_idx = 0, lport;
	int rc;

	if (t == NULL)
		return -EPROTONOSUPPORT;
	if (daddr == 0 || dport == 0 || ops == NULL || out == NULL)
		return -EINVAL;
	rc = source_for(ctx, daddr, &saddr, &port_idx);
	if (rc != 0)
		return rc;
	lport = pick_port(t, saddr, daddr, dport);
	if (lport == 0)
		return -EADDRNOTAVAIL;
	c = tcp_conn_alloc(t, saddr, daddr, lport, dport);
	if (c == NULL)
		return -ENOBUFS;
	tcp_enter(t, t->now);
	c->ops = ops;
	c->app_ctx = cctx;
	c->flags |= TF_APP;
	tcp_conn_init(c, port_idx);
	tcp_set_state(c, STK_TCP_SYN_SENT);
	tcp_send_syn(c);
	tcp_rtx_arm(c);
	*out = c;
	tcp_leave(t);
	return 0;
}

void
stk_conn_set_ops(struct stk_conn *c, const struct stk_tcp_ops *ops, void *ctx)
{
	c->ops = ops;
	c->app_ctx = ctx;
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */

static uint32_t
chain_truesize(const struct rte_mbuf *m)
{
	uint32_t n = 0;

	for (; m != NULL; m = m->next)
		n += tcp_truesize(m);
	return n;
}

int
stk_conn_send(struct stk_conn *c, struct rte_mbuf *m)
{
	struct stk_tcp *t;
	uint32_t size;

	if (m == NULL)
		return -EINVAL;
	if (tcp_dead(c) || c->ctx == NULL)
		return -ENOTCONN;
	t = conn_tcp(c);
	if (c->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (!can_send(c))
		return -ENOTCONN;
	size = chain_truesize(m);
	/* one chain is always taken into an empty queue, or nothing would move */
	if (c->sq_mem != 0 && c->sq_mem + size > t->conf.snd_buf) {
		c->flags |= TF_WANT_WRITABLE;
		return -EAGAIN;
	}
	if (t->mem + size > t->conf.worker_mem_max) {
		TCP_INC(c->ctx, mem_limited);
		c->flags |= TF_WANT_WRITABLE;
		tcp_mem_wait(c);
		return -EAGAIN;
	}
	tcp_enter(t, t->now);
	tcp_sq_append(c, m);
	tcp_output(c);
	tcp_leave(t);
	return 0;
}

uint32_t
stk_conn_send_space(const struct stk_conn *c)
{
	const struct stk_tcp *t;
	uint64_t conn, worker;

	if (!can_send(c))
		return 0;
	t = conn_tcp(c);
	conn = t->conf.snd_buf > c->sq_mem ? t->conf.snd_buf - c->sq_mem : 0;
	worker = t->conf.worker_mem_max > t->mem ? t->conf.worker_mem_max - t->mem : 0;
	return (uint32_t)RTE_MIN(conn, worker);
}

void
stk_conn_consumed(struct stk_conn *c, uint32_t bytes)
{
	struct stk_tcp *t;
	uint32_t before, after;

	if (tcp_dead(c) || c->ctx == NULL)
		return;
	t = conn_tcp(c);
	c->rcv_held -= RTE_MIN(bytes, c->rcv_held);
	if ((c->flags & TF_PEER_FIN) || c->state < STK_TCP_ESTABLISHED ||
	    c->state == STK_TCP_TIME_WAIT)
		return;
	before = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	after = tcp_rcv_window(c);
	/* tell the peer when the window opens from zero or by two segments */
	if ((before == 0 && after != 0) || after - before >= 2u * c->port_mss) {
		tcp_enter(t, t->now);
		c->flags |= TF_ACK_NOW;
		tcp_output(c);
		tcp_leave(t);
	}
}

/* ------------------------------------------------------------------ */
/* Closing                                                              */

static int
shutdown_conn(struct stk_conn *c)
{
	if (c->flags & TF_FIN_QUEUED)
		return 0;
	switch (c->state) {
	case STK_TCP_SYN_SENT:
	case STK_TCP_SYN_RECEIVED:
		/* the FIN follows the handshake (establish() moves to FIN-WAIT-1) */
		c->flags |= TF_FIN_QUEUED;
		return 0;
	case STK_TCP_ESTABLISHED:
		c->flags |= TF_FIN_QUEUED;
		tcp_set_state(c, STK_TCP_FIN_WAIT_1);
		break;
	case STK_TCP_CLOSE_WAIT:
		c->flags |= TF_FIN_QUEUED;
		tcp_set_state(c, STK_TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	c->flags &= ~TF_WANT_WRITABLE;
	tcp_output(c);
	return 0;
}

int
stk_conn_shutdown(struct stk_conn *c)
{
	struct stk_tcp *t;
	int rc;

	if (tcp_dead(c) || c->ctx == NULL)
		return -ENOTCONN;
	t = conn_tcp(c);
	tcp_enter(t, t->now);
	rc = shutdown_conn(c);
	tcp_leave(t);
	return rc;
}

int
stk_conn_close(struct stk_conn *c)
{
	struct stk_tcp *t;
	int rc = 0;

	if (tcp_dead(c) || c->ctx == NULL)
		return -ENOTCONN;
	t = conn_tcp(c);
	tcp_enter(t, t->now);
	c->flags |= TF_APP_CLOSED;
	c->flags &= ~TF_WANT_WRITABLE;
	if (c->state == STK_TCP_SYN_SENT) {
		/* nothing was said yet: just go; `closed` comes from the idle timer */
		tcp_timers_cancel_all(c);
		tcp_set_state(c, STK_TCP_CLOSED);
		tcp_timer_set(c, TCP_T_IDLE, 0);
	} else if (c->state != STK_TCP_CLOSED) {
		rc = shutdown_conn(c);
		if (rc == -ENOTCONN)
			rc = 0; /* already shut down: close only stops reading */
		if (c->state == STK_TCP_FIN_WAIT_2)
			tcp_idle_arm(c);
	}
	tcp_leave(t);
	return rc;
}

void
stk_conn_abort(struct stk_conn *c)
{
	struct stk_tcp *t;

	if (tcp_dead(c) || c->ctx == NULL)
		return;
	t = conn_tcp(c);
	tcp_enter(t, t->now);
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
		TCP_INC(c->ctx, estab_resets);
		/* fall through */
	case STK_TCP_SYN_RECEIVED:
	case STK_TCP_FIN_WAIT_1:
	case STK_TCP_FIN_WAIT_2:
	case STK_TCP_CLOSING:
	case STK_TCP_LAST_ACK:
		tcp_send_rst(c);
		break;
	default: /* SYN-SENT: nothing to reset (RFC 9293 3.10.5) */
		break;
	}
	c->flags &= ~TF_APP;
	tcp_conn_release(c);
	tcp_leave(t);
}

void
stk_conn_set_keepalive(struct stk_conn *c, uint64_t idle_us, uint64_t intvl_us, uint32_t probes)
{
	if (tcp_dead(c) || c->ctx == NULL)
		return;
	c->ka_idle_us = idle_us;
	c->ka_intvl_us = RTE_MAX(intvl_us, (uint64_t)TCP_TICK_US);
	c->ka_max = probes;
	c->ka_probes = 0;
	if (idle_us == 0) {
		c->flags &= ~TF_KEEPALIVE;
		if (c->state == STK_TCP_ESTABLISHED || c->state == STK_TCP_CLOSE_WAIT)
			tcp_timer_cancel(c, TCP_T_IDLE);
		return;
	}
	c->flags |= TF_KEEPALIVE;
	if (c->state == STK_TCP_ESTABLISHED || c->state == STK_TCP_CLOSE_WAIT)
		tcp_timer_set(c, TCP_T_IDLE, idle_us);
}

/* ------------------------------------------------------------------ */
/* Introspection                                                        */

void
stk_conn_get_info(const struct stk_conn *c, struct stk_conn_info *i)
{
	uint32_t sent = c->snd_max - c->sq_seq;

	memset(i, 0, sizeof(*i));
	i->laddr = c->laddr;
	i->raddr = c->raddr;
	i->lport = c->lport;
	i->rport = c->rport;
	i->state = (enum stk_tcp_state)c->state;
	i->wscale = (c->flags & TF_WSCALE) != 0;
	i->timestamps = (c->flags & TF_TS) != 0;
	i->sack = (c->flags & TF_SACK) != 0;
	i->snd_wscale = c->snd_wscale;
	i->rcv_wscale = c->rcv_wscale;
	i->mss = c->snd_mss;
	i->srtt_us = c->srtt_us;
	i->rttvar_us = c->rttvar_us;
	i->rto_us = (uint32_t)RTE_MIN(tcp_rto(c), (uint64_t)UINT32_MAX);
	i->cwnd = c->cwnd;
	i->ssthresh = c->ssthresh;
	i->snd_wnd = c->snd_wnd;
	i->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	i->unacked = c->snd_max - c->snd_una;
	if (seq_lt(c->snd_max, c->sq_seq))
		i->snd_queued = c->sq_bytes;
	else
		i->snd_queued = sent >= c->sq_bytes ? 0 : c->sq_bytes - sent;
	i->bytes_in = c->bytes_in;
	i->bytes_out = c->bytes_out;
	i->retransmits = c->retransmits;
	i->ops = c->ops;
	i->app_ctx = c->app_ctx;
	i->cc = c->cc != NULL ? c->cc->name : "";
}

unsigned int
stk_tcp_foreach(const struct stk_ctx *ctx, stk_conn_info_fn fn, void *arg)
{
	const struct stk_tcp *t = ctx->tcp;
	struct stk_conn_info info;
	const void *key;
	void *data;
	uint32_t iter = 0;
	unsigned int n = 0;

	if (t == NULL)
		return 0;
	for (; rte_hash_iterate(t->conn_hash, &key, &data, &iter) >= 0; n++) {
		stk_conn_get_info(&t->conns[(uintptr_t)data], &info);
		fn(arg, &info);
	}
	return n;
}

struct dump_ctx {
	struct stk_conn_info *out;
	unsigned int max, n;
};

static void
dump_one(void *arg, const struct stk_conn_info *info)
{
	struct dump_ctx *d = arg;

	if (d->n < d->max)
		d->out[d->n++] = *info;
}

unsigned int
stk_tcp_dump(const struct stk_ctx *ctx, struct stk_conn_info *out, unsigned int max)
{
	struct dump_ctx d = {.out = out, .max = max};

	stk_tcp_foreach(ctx, dump_one, &d);
	return d.n;
}

const struct stk_tcp_stats *
stk_tcp_get_stats(const struct stk_ctx *ctx)
{
	return &ctx->tcp_stats;
}

void
stk_mbuf_usage(const struct stk_ctx *ctx, struct stk_mbuf_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (ctx->tcp != NULL) {
		u->snd_queue = ctx->tcp->snd_mbufs;
		u->ooo = ctx->tcp->ooo_mbufs;
		u->rcv_queue = 0; /* in-order data goes to the application at once */
	}
	u->arp_pending = stk_arp_pending_mbufs(ctx);
}

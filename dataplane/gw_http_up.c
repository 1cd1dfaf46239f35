/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http_up.c - the HTTP/1.1 proxy's upstream side (see
 * gw_http_internal.h): endpoint choice and connects (each attempt to another
 * endpoint where possible), the per-endpoint idle pools, responses parsed,
 * rewritten and framed on their way to the client. Worker only.
 */
#include <errno.h>
#include <string.h>

#include <rte_lcore.h>

#include "gw_http_internal.h"

static const struct stk_tcp_ops uc_ops;
static void uc_timer(struct rte_timer *t, void *arg);

/* ---- life cycle -------------------------------------------------------------- */

static struct uconn *
uc_alloc(struct gw_http *h)
{
	struct uconn *u;

	if (h->n_ufree == 0)
		return NULL;
	u = &h->uconns[h->ufree[--h->n_ufree]];
	u->h = h;
	u->c = NULL;
	u->hc = NULL;
	u->in = u->out = NULL;
	u->out_src = NULL;
	u->in_len = u->out_consume = u->prev_len = 0;
	u->flags = UC_IN_USE;
	u->state = UC_CONNECTING;
	u->ep = -1;
	return u;
}

static void
idle_remove(struct uconn *u)
{
	struct gw_http *h = u->h;

	TAILQ_REMOVE(&h->idle[u->ep], u, idle_link);
	h->n_idle[u->ep]--;
	h->stats.upstream_idle--;
}

/* u lets go of its request: what each side holds of the other's input is
 * accounted as taken now (its window reopens: the bytes are in the chain
 * that holds them, or are dropped with it), and the links go. */
static void
uc_detach(struct uconn *u)
{
	struct hconn *hc = u->hc;

	if (hc == NULL)
		return;
	if (hc->out_src != NULL && hc->out_src == u->c) {
		if (hc->out_consume > 0)
			stk_conn_consumed(u->c, hc->out_consume);
		hc->out_src = NULL;
		hc->out_consume = 0;
	}
	if (u->out_src != NULL && u->out_src == hc->c && u->out_consume > 0)
		stk_conn_consumed(hc->c, u->out_consume);
	u->out_src = NULL;
	u->out_consume = 0;
	hc->u = NULL;
	u->hc = NULL;
}

static void
uc_free(struct uconn *u)
{
	struct gw_http *h = u->h;

	rte_timer_stop(&u->timer);
	if (u->state == UC_IDLE)
		idle_remove(u);
	if (u->state == UC_CONNECTING)
		h->p->cl_stats[u->cluster].pending--;
	uc_detach(u);
	rte_pktmbuf_free(u->in);
	rte_pktmbuf_free(u->out);
	u->in = u->out = NULL;
	u->flags = 0;
	h->ufree[h->n_ufree++] = (uint32_t)(u - h->uconns);
}

/* Closes u: never used again, freed once the stack is done with it. */
static void
uc_close(struct uconn *u, bool reset)
{
	struct stk_conn *c = u->c;

	if (u->state == UC_IDLE)
		idle_remove(u);
	if (u->state == UC_CONNECTING) {
		u->h->p->cl_stats[u->cluster].pending--;
		u->state = UC_DONE;
		reset = true; /* nothing to say goodbye to */
	}
	u->state = UC_DONE;
	uc_detach(u);
	rte_pktmbuf_free(u->in);
	rte_pktmbuf_free(u->out);
	u->in = u->out = NULL;
	u->in_len = 0;
	if (c == NULL) {
		uc_free(u);
	} else if (reset) {
		u->c = NULL;
		stk_conn_abort(c); /* no callbacks */
		uc_free(u);
	} else {
		stk_conn_close(c); /* `closed` frees u */
	}
}

void
gw_uc_release(struct uconn *u, bool reusable)
{
	struct gw_http *h = u->h;

	uc_detach(u);
	if (!reusable || h->draining || u->state != UC_ACTIVE) {
		uc_close(u, !reusable && u->state == UC_ACTIVE && !(u->flags & UC_HEAD_DONE));
		return;
	}
	if (h->n_idle[u->ep] >= h->conf->upstream_max_idle) {
		h->stats.upstream_pool_full++;
		uc_close(u, false);
		return;
	}
	u->state = UC_IDLE;
	u->idle_since = h->p->now;
	TAILQ_INSERT_HEAD(&h->idle[u->ep], u, idle_link);
	h->n_idle[u->ep]++;
	h->stats.upstream_idle++;
	rte_timer_reset(&u->timer, us_to_tsc(h->p, h->conf->upstream_idle_timeout_us), SINGLE,
			rte_lcore_id(), uc_timer, u);
}

/* ---- binding a request ---------------------------------------------------------- */

static void
bind(struct hconn *hc, struct uconn *u)
{
	struct gw_proxy *p = hc->h->p;

	hc->u = u;
	u->hc = hc;
	hc->ep = u->ep;
	u->req_method = hc->method;
	u->flags &= ~(UC_HEAD_DONE | UC_REUSABLE);
	u->prev_len = 0;
	memset(&u->body, 0, sizeof(u->body));
	hc->flags |= HC_COUNTED;
	p->cl_stats[hc->cluster].active++;
	p->ep_stats[u->ep].active++;
	hc->h->stats.active++;
}

static struct uconn *
pool_get(struct gw_http *h, int ep)
{
	struct uconn *u = TAILQ_FIRST(&h->idle[ep]);

	if (u == NULL)
		return NULL;
	idle_remove(u);
	rte_timer_stop(&u->timer);
	u->state = UC_ACTIVE;
	return u;
}

/* A new connection to endpoint ep for hc's request. 0 or -errno. */
static int
uc_connect(struct hconn *hc, int ep)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	const struct gw_cluster *gc = &hc->mesh->clusters[hc->cluster];
	const struct gw_endpoint *e = &hc->mesh->endpoints[ep];
	struct uconn *u;
	int rc;

	if (p->cl_stats[hc->cluster].pending >= gc->worker_max_pending) {
		p->stats.cb_max_pending++;
		return -EBUSY;
	}
	u = uc_alloc(h);
	if (u == NULL) {
		p->stats.pool_full++;
		return -EBUSY;
	}
	u->ep = ep;
	u->cluster = hc->cluster;
	p->stats.upstream_connects++;
	rc = stk_tcp_connect(p->stk, 0, e->conf.addr, e->conf.port, &uc_ops, u, &u->c);
	if (rc != 0) {
		u->c = NULL;
		u->state = UC_DONE;
		uc_free(u);
		return rc;
	}
	p->cl_stats[hc->cluster].pending++;
	rte_timer_reset(&u->timer, us_to_tsc(p, gc->conf.connect_timeout_us), SINGLE,
			rte_lcore_id(), uc_timer, u);
	h->stats.upstream_new++;
	bind(hc, u);
	return 0;
}

int
gw_uc_bind(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	const struct gw_cluster *gc = &hc->mesh->clusters[hc->cluster];
	struct uconn *u;
	int i, ep, rc;

	if (p->cl_stats[hc->cluster].active >= gc->worker_max_conns) {
		p->stats.cb_max_connections++;
		return -EBUSY;
	}
	while (hc->try_attempts < RTE_MIN(gc->conf.connect_attempts, (uint32_t)MAX_ATTEMPTS)) {
		i = gw_proxy_pick(p, &(struct gw_pick){.mesh = hc->mesh,
						       .cluster = hc->cluster,
						       .tried = hc->tried,
						       .n_tried = hc->attempts,
						       .saddr = hc->saddr,
						       .sport = hc->sport,
						       .vaddr = hc->vaddr,
						       .vport = hc->vport});
		if (i < 0) {
			p->stats.no_endpoint++;
			return hc->try_attempts > 0 ? -ECONNREFUSED : -EHOSTUNREACH;
		}
		/* tried spans the retries too: each goes elsewhere while it can */
		if (hc->attempts < MAX_ATTEMPTS)
			hc->tried[hc->attempts++] = (uint16_t)i;
		hc->try_attempts++;
		ep = gc->eps[i];
		u = (hc->flags & HC_NO_POOL) ? NULL : pool_get(h, ep);
		if (u != NULL) {
			h->stats.upstream_reused++;
			hc->log.flags |= GW_ALOG_F(REUSED);
			u->flags |= UC_REUSED;
			bind(hc, u);
			return 0;
		}
		rc = uc_connect(hc, ep);
		if (rc == 0)
			return 0;
		if (rc == -EBUSY)
			return rc;
		p->stats.upstream_connect_failures++;
		p->ep_stats[ep].connect_failures++;
		gw_proxy_ep_failed(p, hc->mesh, hc->cluster, ep);
	}
	p->stats.upstream_connect_exhausted++;
	return -ECONNREFUSED;
}

/* The connect of u failed (refused, reset, timed out): hc's request goes to
 * the next endpoint, with what u held for it. */
static void
connect_failed(struct uconn *u, bool timeout)
{
	struct gw_http *h = u->h;
	struct gw_proxy *p = h->p;
	struct hconn *hc = u->hc;
	struct rte_mbuf *m = u->out;
	struct stk_conn *src = u->out_src;
	uint32_t consume = u->out_consume;
	uint32_t flag = 0;
	int rc;

	p->stats.upstream_connect_failures++;
	if (timeout)
		p->stats.upstream_connect_timeouts++;
	p->ep_stats[u->ep].connect_failures++;
	gw_proxy_ep_failed(p, hc != NULL ? hc->mesh : p->mesh, u->cluster, u->ep);
	/* what u held goes with the request to the next attempt */
	u->out = NULL;
	u->out_src = NULL;
	u->out_consume = 0;
	if (hc != NULL)
		gw_hc_uncount(hc);
	uc_close(u, true);
	if (hc == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rc = gw_uc_bind(hc);
	if (rc != 0) {
		if (src != NULL && src == hc->c && consume > 0)
			stk_conn_consumed(src, consume);
		rte_pktmbuf_free(m);
		if (rc == -ECONNREFUSED && gw_hr_may_retry(hc, GW_RETRY_CONNECT, 0)) {
			gw_hr_retry(hc);
			return;
		}
		flag = GW_ALOG_F(CONNECT_FAILED);
		gw_hc_generate(hc, 503,
			       rc == -EHOSTUNREACH ? "no healthy endpoint"
			       : rc == -EBUSY	   ? "circuit breaker open"
						   : "upstream connect failed",
			       flag, false);
		return;
	}
	if (gw_uc_send(hc->u, m, src, consume))
		gw_hc_run(hc);
}

/* ---- sending --------------------------------------------------------------------- */

/* Sends u->out. False when u failed (its request was answered). */
static bool
uc_flush(struct uconn *u)
{
	struct rte_mbuf *m = u->out;
	struct stk_conn *src = u->out_src;
	uint32_t consume = u->out_consume;
	int rc;

	if (m == NULL || u->state != UC_ACTIVE)
		return true;
	u->out = NULL;
	u->out_src = NULL;
	u->out_consume = 0;
	rc = stk_conn_send(u->c, m);
	if (!(u->flags & UC_IN_USE) || u->state == UC_DONE) {
		if (rc != 0)
			rte_pktmbuf_free(m);
		return false;
	}
	if (rc == -EAGAIN) {
		u->out = m;
		u->out_src = src;
		u->out_consume = consume;
		return true;
	}
	if (rc != 0) {
		struct hconn *hc = u->hc;

		if (hc != NULL && src != NULL && src == hc->c && consume > 0)
			stk_conn_consumed(src, consume); /* dropped: the window reopens */
		rte_pktmbuf_free(m);
		uc_close(u, true);
		if (hc != NULL)
			gw_hc_generate(hc, 502, "upstream connection failed",
				       GW_ALOG_F(UPSTREAM_RESET), false);
		return false;
	}
	if (src != NULL && consume > 0)
		stk_conn_consumed(src, consume);
	if (u->hc != NULL)
		u->hc->last_active = u->h->p->now;
	return true;
}

bool
gw_uc_send(struct uconn *u, struct rte_mbuf *m, struct stk_conn *src, uint32_t consume)
{
	if (u->out != NULL) {
		uint32_t len = rte_pktmbuf_pkt_len(u->out);

		/* only a head ahead of the first body bytes, which came from src */
		if (gw_chain_append(&u->out, &len, m) != 0) {
			struct hconn *hc = u->hc;

			uc_close(u, true);
			if (hc != NULL)
				gw_hc_abort(hc, 0);
			return false;
		}
		u->out_src = src;
		u->out_consume += consume;
		return uc_flush(u);
	}
	u->out = m;
	u->out_src = src;
	u->out_consume = consume;
	return uc_flush(u);
}

/* ---- responses ----------------------------------------------------------------- */

/* Hands m (carrying `consume` bytes of u's input) to the client. */
static bool
to_client(struct uconn *u, struct rte_mbuf *m, uint32_t consume)
{
	struct hconn *hc = u->hc;
	uint32_t len = 0;

	if (hc->out != NULL)
		len = rte_pktmbuf_pkt_len(hc->out);
	if (gw_chain_append(&hc->out, &len, m) != 0) {
		gw_hc_abort(hc, 0);
		return false;
	}
	hc->out_src = consume > 0 ? u->c : hc->out_src;
	hc->out_consume += consume;
	return gw_hc_flush(hc);
}

/* The response ended: the request is done, u is pooled or closed, and the
 * client's next request (already there, perhaps) goes on. */
static void
response_done(struct uconn *u)
{
	struct hconn *hc = u->hc;
	bool reusable = (u->flags & UC_REUSABLE) && u->in_len == 0 && u->out == NULL &&
			hc->state == HC_WAIT;

	gw_hc_request_done(hc);
	gw_uc_release(u, reusable);
	if (gw_hc_flush(hc))
		gw_hc_run(hc);
}

/* Counts u's loss and answers its client hc (already detached from u): the
 * request goes again when the pooled connection was silent (no byte of a
 * response), else the client gets a 502, or a reset once its response began. */
static void
lost(struct uconn *u, struct hconn *hc, bool quiet, bool reset)
{
	struct gw_http *h = u->h;
	/* u is closed: a replay may reuse its slot */
	int ep = u->ep;
	unsigned int cluster = u->cluster;

	h->stats.upstream_aborts++;
	h->p->ep_stats[ep].resets++;
	if (reset)
		gw_proxy_ep_failed(h->p, hc != NULL ? hc->mesh : h->p->mesh, cluster, ep);
	if (hc == NULL || (quiet && gw_hc_replay(hc)))
		return;
	if (!(hc->flags & HC_RESP_STARTED)) {
		gw_proxy_ep_status(h->p, hc->mesh, cluster, ep, 502);
		if (gw_hr_may_retry(hc, GW_RETRY_RESET, 0)) {
			gw_hr_retry(hc);
			return;
		}
	}
	if (hc->flags & HC_RESP_STARTED)
		gw_hc_abort(hc, GW_ALOG_F(UPSTREAM_RESET));
	else
		gw_hc_generate(hc, 502, reset ? "upstream reset" : "upstream closed early",
			       GW_ALOG_F(UPSTREAM_RESET), false);
}

static bool
silent(const struct uconn *u)
{
	return u->in_len == 0 && !(u->flags & UC_HEAD_DONE);
}

/* The endpoint went away (reset or FIN) before the response was complete:
 * u is closed now. */
static void
upstream_lost(struct uconn *u, bool reset)
{
	struct hconn *hc = u->hc;
	/* only a pooled connection may have closed under a request it never read */
	bool quiet = silent(u) && (u->flags & UC_REUSED);

	uc_close(u, true);
	lost(u, hc, quiet, reset);
}

/* Writes and sends the head just parsed from buf (head_len bytes of in). */
static bool
forward_head(struct uconn *u, const char *buf, uint32_t head_len, unsigned int flags)
{
	struct gw_http *h = u->h;
	struct gw_h1_field extra[CTL_MAX_HEADER_EDITS];
	struct gw_h1_wopts o = {0};
	struct rte_mbuf *m, *front;
	int n;

	if (u->hc->route >= 0)
		gw_hr_response_opts(u->hc, &o, extra);
	n = gw_h1_write_response_head_opts(buf, &h->msg, &o, flags, h->tx, h->tx_size);

	if (n < 0) {
		upstream_lost(u, false);
		return false;
	}
	m = gw_chain_from(h->p->pool, h->tx, (uint32_t)n);
	front = m != NULL ? gw_chain_split(h->p->pool, &u->in, &u->in_len, head_len) : NULL;
	if (front == NULL) {
		rte_pktmbuf_free(m);
		h->stats.mbuf_alloc_failures++;
		gw_hc_abort(u->hc, 0);
		return false;
	}
	rte_pktmbuf_free(front);
	stk_conn_consumed(u->c, head_len);
	u->prev_len = 0;
	return to_client(u, m, 0);
}

/* A response head in u->in: 0 done with it, 1 go on, -1 stop. */
static int
uc_head(struct uconn *u)
{
	struct gw_http *h = u->h;
	struct hconn *hc = u->hc;
	uint32_t len = RTE_MIN(u->in_len, h->rx_size);
	const struct gw_h1_msg *m = &h->msg;
	const char *buf;
	unsigned int flags = 0;
	bool close, upgrade;
	int rc;

	if (len == 0)
		return 0;
	buf = rte_pktmbuf_read(u->in, 0, len, h->rx);
	rc = gw_h1_parse_response(buf, len, u->prev_len, (enum gw_h1_method)u->req_method, &h->msg,
				  &h->resp_lim);
	if (rc == -EAGAIN) {
		u->prev_len = len;
		return 0;
	}
	if (rc < 0) {
		uc_close(u, true);
		gw_hc_generate(hc, 502, h->msg.reason, 0, false);
		return -1;
	}
	if (m->code < 200 && m->code != 101) {
		h->stats.responses_1xx++;
		h->svc[hc->service].responses[0]++;
		return forward_head(u, buf, (uint32_t)rc, 0) ? 1 : -1;
	}
	if (m->code == 101 && !(hc->flags & HC_UPGRADE_REQ)) {
		/* a tunnel nobody asked for would carry unparsed requests */
		uc_close(u, true);
		gw_hc_generate(hc, 502, "unsolicited 101", 0, false);
		return -1;
	}
	gw_proxy_ep_status(h->p, hc->mesh, u->cluster, u->ep, m->code);
	if (hc->route >= 0 && hc->mesh->routes[hc->route].has_retries &&
	    gw_hr_may_retry(hc, GW_RETRY_STATUS, m->code)) {
		uc_close(u, true); /* the response is dropped with its connection */
		gw_hr_retry(hc);
		return -1;
	}
	hc->log.status = m->code;
	close = !(hc->flags & HC_KEEP_ALIVE) || (hc->flags & HC_CLOSE_AFTER) || h->draining ||
		m->body == GW_H1_BODY_CLOSE || hc->state == HC_BODY;
	if (close)
		hc->flags |= HC_CLOSE_AFTER;
	if (m->upgrade)
		flags |= GW_H1_W_UPGRADE;
	else if (close)
		flags |= GW_H1_W_CLOSE;
	if (m->keep_alive && !m->upgrade)
		u->flags |= UC_REUSABLE;
	gw_h1_body_init(&u->body, m, &h->resp_lim, 0);
	u->flags |= UC_HEAD_DONE;
	hc->flags |= HC_RESP_STARTED;
	if (m->upgrade) {
		h->stats.upgrades++;
		hc->log.flags |= GW_ALOG_F(UPGRADE);
		hc->state = HC_TUNNEL;
	}
	upgrade = m->upgrade; /* h->msg is reused by a parse the send may cause */
	if (!forward_head(u, buf, (uint32_t)rc, flags))
		return -1;
	if (upgrade) {
		/* what the client sent after its request goes up now */
		if (hc->in_len > 0)
			gw_hc_run(hc);
		return (u->flags & UC_IN_USE) && u->hc == hc ? 1 : -1;
	}
	if (u->body.kind == GW_H1_BODY_NONE || u->body.done) {
		response_done(u);
		return -1;
	}
	return 1;
}

/* Response body bytes in u->in: 1 go on, 0 wait, -1 stop. */
static int
uc_body(struct uconn *u)
{
	struct gw_http *h = u->h;
	struct hconn *hc = u->hc;
	uint32_t take = 0;
	struct rte_mbuf *front;

	if (u->in_len == 0)
		return 0;
	if (hc->state == HC_TUNNEL) {
		take = u->in_len;
	} else {
		for (struct rte_mbuf *s = u->in; s != NULL && !u->body.done; s = s->next) {
			ssize_t r = gw_h1_body_feed(&u->body, rte_pktmbuf_mtod(s, const char *),
						    s->data_len);

			if (r < 0) {
				upstream_lost(u, false);
				return -1;
			}
			take += (uint32_t)r;
			if ((uint32_t)r < s->data_len)
				break;
		}
	}
	front = gw_chain_split(h->p->pool, &u->in, &u->in_len, take);
	if (front == NULL) {
		h->stats.mbuf_alloc_failures++;
		gw_hc_abort(hc, 0);
		return -1;
	}
	if (u->body.done && u->in_len > 0) {
		/* bytes past the response: this connection cannot be trusted again */
		u->flags &= ~UC_REUSABLE;
		stk_conn_consumed(u->c, u->in_len);
		rte_pktmbuf_free(u->in);
		u->in = NULL;
		u->in_len = 0;
	}
	if (!to_client(u, front, take))
		return -1;
	if (u->body.done && hc->state != HC_TUNNEL) {
		response_done(u);
		return -1;
	}
	return 1;
}

/* The endpoint sent FIN and what it sent before has gone on: a tunnel
 * half-closes towards the client, a close-delimited response ends, anything
 * else was cut short. */
static void
uc_eof(struct uconn *u)
{
	struct hconn *hc = u->hc;

	if (hc == NULL || !(u->flags & UC_FIN_IN) || hc->out != NULL)
		return;
	if (hc->state == HC_TUNNEL) {
		if (u->in_len == 0 && hc->c != NULL && !(hc->flags & HC_SHUT)) {
			hc->flags |= HC_SHUT;
			stk_conn_shutdown(hc->c);
		}
		return;
	}
	if ((u->flags & UC_HEAD_DONE) && u->in_len > 0)
		return; /* uc_body still has bytes for the client */
	if ((u->flags & UC_HEAD_DONE) && u->body.kind == GW_H1_BODY_CLOSE) {
		u->body.done = true;
		response_done(u);
		return;
	}
	upstream_lost(u, false);
}

void
gw_uc_run(struct uconn *u)
{
	int rc = 1;

	while (rc > 0) {
		if (u->hc == NULL)
			return;
		if (u->hc->out != NULL)
			break;
		rc = (u->flags & UC_HEAD_DONE) ? uc_body(u) : uc_head(u);
	}
	if (rc >= 0)
		uc_eof(u);
}

/* ---- stack callbacks --------------------------------------------------------------- */

static void
uc_connected(void *ctx, struct stk_conn *c)
{
	struct uconn *u = ctx;
	struct gw_proxy *p = u->h->p;

	(void)c;
	rte_timer_stop(&u->timer);
	p->cl_stats[u->cluster].pending--;
	u->state = UC_ACTIVE;
	p->ep_stats[u->ep].connections++;
	p->ep_stats[u->ep].consecutive_failures = 0;
	if (u->hc == NULL) {
		uc_close(u, false);
		return;
	}
	if (uc_flush(u) && u->hc != NULL)
		gw_hc_run(u->hc);
}

static void
uc_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct uconn *u = ctx;

	if (u->hc == NULL || u->state != UC_ACTIVE) {
		/* an idle connection has nothing to say: it cannot be reused */
		stk_conn_consumed(c, rte_pktmbuf_pkt_len(m));
		rte_pktmbuf_free(m);
		if (u->state == UC_IDLE)
			uc_close(u, true);
		return;
	}
	if (gw_chain_append(&u->in, &u->in_len, m) != 0) {
		upstream_lost(u, false);
		return;
	}
	u->hc->last_active = u->h->p->now;
	gw_uc_run(u);
}

static void
uc_writable(void *ctx, struct stk_conn *c)
{
	struct uconn *u = ctx;

	(void)c;
	if (uc_flush(u) && u->hc != NULL)
		gw_hc_run(u->hc);
}

static void
uc_peer_closed(void *ctx, struct stk_conn *c)
{
	struct uconn *u = ctx;

	(void)c;
	if (u->state == UC_IDLE) {
		u->h->stats.upstream_idle_closed++;
		uc_close(u, false);
		return;
	}
	u->flags |= UC_FIN_IN;
	u->flags &= ~UC_REUSABLE;
	if (u->hc != NULL && u->state == UC_ACTIVE)
		gw_uc_run(u);
}

static void
uc_reset(void *ctx, struct stk_conn *c, int err)
{
	struct uconn *u = ctx;

	(void)c;
	(void)err;
	if (u->state == UC_CONNECTING)
		return; /* a failed connect: `closed` tries the next endpoint */
	if (u->state == UC_IDLE) {
		u->h->stats.upstream_idle_closed++;
		idle_remove(u);
		u->state = UC_DONE;
		return;
	}
	if (u->state == UC_ACTIVE) {
		/* u itself goes at `closed`, which follows */
		struct hconn *hc = u->hc;

		u->state = UC_DONE;
		if (hc != NULL) {
			uc_detach(u);
			lost(u, hc, silent(u) && (u->flags & UC_REUSED), true);
		}
	}
}

static void
uc_closed(void *ctx, struct stk_conn *c)
{
	struct uconn *u = ctx;

	(void)c;
	if (!(u->flags & UC_IN_USE))
		return;
	if (u->hc != NULL && u->hc->out_src == c) {
		u->hc->out_src = NULL; /* nothing left to reopen */
		u->hc->out_consume = 0;
	}
	u->c = NULL;
	if (u->state == UC_ACTIVE && u->hc != NULL && u->hc->state == HC_TUNNEL) {
		/* both directions ended: what the client has not taken yet still
		 * goes, then the client connection closes */
		struct hconn *hc = u->hc;
		uint32_t len = hc->out != NULL ? rte_pktmbuf_pkt_len(hc->out) : 0;

		if (u->in != NULL && gw_chain_append(&hc->out, &len, u->in) != 0)
			u->h->stats.upstream_aborts++; /* freed: past the segment limit */
		u->in = NULL;
		u->in_len = 0;
		u->state = UC_DONE;
		uc_free(u);
		hc->flags |= HC_CLOSE_AFTER;
		gw_hc_request_done(hc);
		gw_hc_flush(hc);
		return;
	}
	if (u->state == UC_ACTIVE && u->hc != NULL) {
		upstream_lost(u, false); /* frees u */
		return;
	}
	if (u->state == UC_CONNECTING) {
		connect_failed(u, false);
		return;
	}
	if (u->state == UC_IDLE)
		idle_remove(u);
	u->state = UC_DONE;
	uc_free(u);
}

static void
uc_timer(struct rte_timer *t, void *arg)
{
	struct uconn *u = arg;

	(void)t;
	if (u->state == UC_CONNECTING) {
		connect_failed(u, true);
	} else if (u->state == UC_IDLE) {
		u->h->stats.upstream_idle_expired++;
		uc_close(u, false);
	}
}

static const struct stk_tcp_ops uc_ops = {
	.connected = uc_connected,
	.data = uc_data,
	.writable = uc_writable,
	.peer_closed = uc_peer_closed,
	.reset = uc_reset,
	.closed = uc_closed,
};

/* ---- the module --------------------------------------------------------------------- */

void
gw_uc_drain(struct gw_http *h)
{
	for (uint32_t i = 0; i < h->n_conns; i++)
		if ((h->uconns[i].flags & UC_IN_USE) && h->uconns[i].state == UC_IDLE)
			uc_close(&h->uconns[i], false);
}

void
gw_uc_drop_gone(struct gw_http *h, const struct gw_mesh *mesh)
{
	for (uint32_t i = 0; i < h->n_conns; i++) {
		struct uconn *u = &h->uconns[i];

		if ((u->flags & UC_IN_USE) && u->state == UC_IDLE &&
		    !gw_mesh_has_endpoint(mesh, (unsigned int)u->ep))
			uc_close(u, false);
	}
}

void
gw_uc_stop(struct gw_http *h)
{
	for (uint32_t i = 0; i < h->n_conns; i++)
		if (h->uconns[i].flags & UC_IN_USE)
			uc_close(&h->uconns[i], true);
}

void
gw_http_describe(const struct gw_http *h, const struct stk_conn_info *ci, struct gw_proxy_leg *leg)
{
	const struct hconn *hc = NULL;
	const struct uconn *u = NULL;
	struct stk_conn_info other;
	struct stk_conn *peer = NULL;

	memset(leg, 0, sizeof(*leg));
	if (gw_http_is_client(ci)) {
		hc = ci->app_ctx;
		if (hc < h->hconns || hc >= h->hconns + h->n_conns || !(hc->flags & HC_IN_USE))
			return;
		leg->role = GW_LEG_CLIENT;
		peer = hc->u != NULL ? hc->u->c : NULL;
	} else if (ci->ops == &uc_ops) {
		u = ci->app_ctx;
		if (u < h->uconns || u >= h->uconns + h->n_conns || !(u->flags & UC_IN_USE))
			return;
		hc = u->hc;
		leg->role = GW_LEG_UPSTREAM;
		peer = hc != NULL ? hc->c : NULL;
	} else {
		return;
	}
	/* ids of the HTTP proxy's client legs follow the L4 proxy's pool */
	leg->id = hc != NULL ? h->p->n_conns + (uint32_t)(hc - h->hconns) : UINT32_MAX;
	leg->service = hc != NULL ? hc->service : 0;
	leg->cluster = hc != NULL ? hc->cluster : (u != NULL ? u->cluster : 0);
	leg->ep = u != NULL ? u->ep : (hc != NULL ? hc->ep : -1);
	if (peer == NULL)
		return;
	stk_conn_get_info(peer, &other);
	leg->peer_laddr = other.laddr;
	leg->peer_lport = other.lport;
	leg->peer_raddr = other.raddr;
	leg->peer_rport = other.rport;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http.c - the HTTP/1.1 proxy's client side (see gw_http.h and
 * gw_http_internal.h): the client connection's life, request heads parsed
 * and rewritten, bodies framed and forwarded, timeouts, the gateway's own
 * answers and the access log. Worker only.
 *
 * The stack may call back from inside our calls to it, so every step
 * returns whether hc is still there (-1: gone or stop here).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "gw_http_internal.h"
#include "gw_log.h"

#define LINGER_US      5000000 /* a closing client gets this long to read and go */
#define XFF_MAX	       1024
#define REQUEST_ID_MAX 64

static const struct stk_tcp_ops hc_ops;

const uint64_t gw_http_lat_bounds_us[GW_HTTP_LAT_N - 1] = {GW_HTTP_LAT_BOUNDS};

/* ---- life cycle ------------------------------------------------------------- */

static void log_request(struct hconn *hc);

static struct hconn *
hc_alloc(struct gw_http *h)
{
	struct hconn *hc;

	if (h->n_hfree == 0)
		return NULL;
	hc = &h->hconns[h->hfree[--h->n_hfree]];
	/* everything from `in` up to the timer (initialised once, at create) */
	memset(&hc->in, 0, offsetof(struct hconn, timer) - offsetof(struct hconn, in));
	hc->h = h;
	hc->c = NULL;
	hc->u = NULL;
	hc->flags = HC_IN_USE;
	hc->ep = -1;
	hc->route = -1;
	return hc;
}

void
gw_hc_uncount(struct hconn *hc)
{
	struct gw_proxy *p = hc->h->p;

	if (!(hc->flags & HC_COUNTED))
		return;
	hc->flags &= ~HC_COUNTED;
	p->cl_stats[hc->cluster].active--;
	if (hc->ep >= 0)
		p->ep_stats[hc->ep].active--;
	hc->h->stats.active--;
}

static void
hc_free(struct hconn *hc)
{
	struct gw_http *h = hc->h;

	rte_timer_stop(&hc->timer);
	if (hc->state == HC_TUNNEL && hc->log.method[0] != '\0')
		log_request(hc); /* a tunnel's line is written when it ends */
	if (hc->u != NULL)
		gw_uc_release(hc->u, false);
	hc->u = NULL;
	gw_hc_uncount(hc);
	rte_pktmbuf_free(hc->in);
	rte_pktmbuf_free(hc->out);
	gw_hr_request_done(hc);
	rte_pktmbuf_free(hc->replay);
	rte_pktmbuf_free(hc->held);
	hc->in = hc->out = hc->replay = hc->held = NULL;
	h->p->svc_stats[hc->service].active--;
	h->p->stats.active--;
	gw_mesh_release(hc->mesh, h->p->worker_id);
	hc->mesh = NULL;
	hc->flags = 0;
	h->hfree[h->n_hfree++] = (uint32_t)(hc - h->hconns);
}

/* A request is in progress (read, sent or being answered). */
static bool
hc_busy(const struct hconn *hc)
{
	return hc->state == HC_BODY || hc->state == HC_WAIT || hc->state == HC_TUNNEL ||
	       (hc->state == HC_HEAD && hc->in_len > 0);
}

void
gw_hc_abort(struct hconn *hc, uint32_t log_flag)
{
	struct stk_conn *c = hc->c;

	if (hc_busy(hc) && hc->log.method[0] != '\0') {
		hc->log.flags |= log_flag;
		log_request(hc);
	}
	hc->c = NULL;
	if (c != NULL)
		stk_conn_abort(c);
	hc_free(hc);
}

int
gw_http_accept(struct gw_http *h, unsigned int service, struct stk_conn *c)
{
	struct gw_proxy *p = h->p;
	struct hconn *hc = hc_alloc(h);
	struct stk_conn_info info;

	if (hc == NULL) {
		h->stats.conn_pool_full++;
		return -1;
	}
	memset(&info, 0, sizeof(info));
	stk_conn_get_info(c, &info);
	hc->c = c;
	hc->mesh = p->mesh;
	gw_mesh_hold(hc->mesh, p->worker_id);
	hc->service = (uint16_t)service;
	hc->cluster = (uint16_t)p->mesh->services[service].cluster;
	hc->saddr = info.raddr;
	hc->sport = info.rport;
	hc->vaddr = info.laddr;
	hc->vport = info.lport;
	hc->conn_start = hc->last_active = p->now;
	hc->state = HC_HEAD;
	p->svc_stats[service].active++;
	p->stats.active++;
	stk_conn_set_ops(c, &hc_ops, hc);
	gw_hc_arm(hc);
	return 0;
}

/* ---- the access log ------------------------------------------------------------ */

static void
log_request(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	const struct gw_endpoint *e = hc->ep >= 0 ? &hc->mesh->endpoints[hc->ep] : NULL;
	struct gw_alog_rec r;
	double sample = h->conf->access_log_sample;

	if (p->alog == NULL)
		return;
	if (hc->log.status < 400 && !(hc->log.flags & GW_ALOG_F(GENERATED)) && sample < 1.0 &&
	    (double)(gw_h1_rand_next(&h->rand) >> 11) * 0x1.0p-53 >= sample) {
		h->stats.log_sampled_out++;
		return;
	}
	memset(&r, 0, offsetof(struct gw_alog_rec, http));
	r.kind = GW_ALOG_HTTP;
	r.start_tsc = hc->req_start ? hc->req_start : p->now;
	r.end_tsc = p->now;
	r.bytes_up = hc->bytes_in;
	/* what is queued for the client goes out after the line is written */
	r.bytes_down = hc->bytes_out + (hc->out != NULL ? rte_pktmbuf_pkt_len(hc->out) : 0);
	r.caddr = hc->saddr;
	r.cport = hc->sport;
	r.vaddr = hc->vaddr;
	r.vport = hc->vport;
	r.eaddr = e != NULL ? e->conf.addr : 0;
	r.eport = e != NULL ? e->conf.port : 0;
	r.service = hc->service;
	r.cluster = hc->cluster;
	/* a route-table service's request answered without a cluster */
	if (hc->mesh->services[hc->service].route_table != 0 && e == NULL &&
	    (hc->route < 0 || hc->mesh->routes[hc->route].action > CTL_ACT_WEIGHTED))
		r.cluster = GW_ALOG_NO_CLUSTER;
	r.attempts = hc->attempts;
	r.worker = (uint16_t)p->worker_id;
	hc->log.route = hc->route >= 0 ? hc->mesh->route_slot[hc->route] + 1 : 0;
	hc->log.retries = hc->retries;
	r.http = hc->log;
	gw_alog_emit(p->alog, &r);
}

/* ---- output to the client ------------------------------------------------------ */

/* After the last response of a closing connection: our FIN. */
static void
hc_shut_if_done(struct hconn *hc)
{
	if (hc->state == HC_CLOSING && hc->out == NULL && !(hc->flags & HC_SHUT) && hc->c) {
		hc->flags |= HC_SHUT;
		stk_conn_shutdown(hc->c);
	}
}

bool
gw_hc_flush(struct hconn *hc)
{
	struct rte_mbuf *m = hc->out;
	struct stk_conn *src = hc->out_src;
	uint32_t consume = hc->out_consume, len;
	int rc;

	if (m == NULL || hc->c == NULL) {
		hc_shut_if_done(hc);
		return true;
	}
	len = rte_pktmbuf_pkt_len(m);
	hc->out = NULL;
	hc->out_src = NULL;
	hc->out_consume = 0;
	rc = stk_conn_send(hc->c, m);
	if (!(hc->flags & HC_IN_USE)) {
		if (rc != 0)
			rte_pktmbuf_free(m);
		return false;
	}
	if (rc == -EAGAIN) {
		hc->out = m;
		hc->out_src = src;
		hc->out_consume = consume;
		return true;
	}
	if (rc != 0) {
		rte_pktmbuf_free(m);
		gw_hc_abort(hc, GW_ALOG_F(CLIENT_RESET));
		return false;
	}
	hc->bytes_out += len;
	hc->last_active = hc->h->p->now;
	if (src != NULL && consume > 0)
		stk_conn_consumed(src, consume);
	hc_shut_if_done(hc);
	return true;
}

/* ---- the gateway's own answers ------------------------------------------------ */

static void
count_generated(struct gw_http_stats *s, uint16_t status)
{
	switch (status) {
	case 400:
		s->generated_400++;
		break;
	case 408:
		s->generated_408++;
		break;
	case 413:
		s->generated_413++;
		break;
	case 431:
		s->generated_431++;
		break;
	case 501:
		s->generated_501++;
		break;
	case 502:
		s->generated_502++;
		break;
	case 503:
		s->generated_503++;
		break;
	case 504:
		s->generated_504++;
		break;
	case 505:
		s->generated_505++;
		break;
	default:
		break; /* route answers have counters of their own */
	}
}

bool
gw_hc_generate(struct hconn *hc, uint16_t status, const char *reason, uint32_t log_flag, bool close)
{
	count_generated(&hc->h->stats, status);
	return gw_hc_answer(hc, status, &(struct gw_local_resp){.reason = reason}, log_flag, close);
}

bool
gw_hc_answer(struct hconn *hc, uint16_t status, const struct gw_local_resp *lr, uint32_t log_flag,
	     bool close)
{
	struct gw_http *h = hc->h;
	struct rte_mbuf *m;
	uint32_t len = 0;

	hc->log.flags |= GW_ALOG_F(GENERATED) | log_flag;
	hc->log.status = status;
	if (hc->flags & HC_RESP_STARTED) {
		/* too late for a response: the client sees the connection go */
		gw_hc_abort(hc, 0);
		return false;
	}
	if (hc->u != NULL)
		gw_uc_release(hc->u, false);
	hc->u = NULL;
	if (!(hc->flags & HC_REQ_DONE) || !(hc->flags & HC_KEEP_ALIVE) || h->draining)
		close = true;
	m = gw_http_local_response(h, status, lr, hc->log.request_id, close,
				   hc->method == GW_H1_M_HEAD);
	if (m == NULL) {
		h->stats.mbuf_alloc_failures++;
		gw_hc_abort(hc, 0);
		return false;
	}
	/* after a forwarded 1xx, if one is still queued */
	if (hc->out != NULL)
		len = rte_pktmbuf_pkt_len(hc->out);
	hc->out_src = NULL;
	hc->out_consume = 0;
	if (gw_chain_append(&hc->out, &len, m) != 0) {
		gw_hc_abort(hc, 0);
		return false;
	}
	hc->flags |= HC_RESP_STARTED;
	if (close)
		hc->flags |= HC_CLOSE_AFTER;
	gw_hc_request_done(hc);
	if (!gw_hc_flush(hc))
		return false;
	/* a request pipelined behind this one (from a timer or the upstream
	 * side; inside gw_hc_run its loop takes it) */
	gw_hc_run(hc);
	return (hc->flags & HC_IN_USE) != 0;
}

/* ---- requests ------------------------------------------------------------------- */

static void
copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	len = RTE_MIN(len, cap - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* x-request-id as received when it is a sane token, else a new one. True
 * when the client's value is kept. */
static bool
request_id(struct hconn *hc, const char *buf, const struct gw_h1_msg *m)
{
	uint8_t i = m->hidx[GW_H1_H_X_REQUEST_ID];
	uint32_t len;
	const char *v;

	if (i != GW_H1_NO_HDR && !(m->dup_mask & (1u << GW_H1_H_X_REQUEST_ID))) {
		v = gw_h1_value(buf, m, i, &len);
		bool ok = len > 0 && len <= REQUEST_ID_MAX;

		for (uint32_t k = 0; ok && k < len; k++)
			ok = (gw_h1_cls[(uint8_t)v[k]] & GW_H1_C_TCHAR) != 0;
		if (ok) {
			copy_field(hc->log.request_id, sizeof(hc->log.request_id), v, len);
			return true;
		}
	}
	if (hc->log.request_id[0] != '\0')
		return false; /* generated already (a route looked at it first) */
	gw_h1_request_id(&hc->h->rand, hc->log.request_id);
	hc->log.request_id[GW_H1_REQUEST_ID_LEN] = '\0';
	return false;
}

/* The next hop's traceparent in tp, the trace id for the log. */
static void
trace(struct hconn *hc, const char *buf, const struct gw_h1_msg *m, char *tp)
{
	uint8_t i = m->hidx[GW_H1_H_TRACEPARENT];
	struct gw_h1_trace in, out;
	bool have = false;
	uint32_t len;

	if (i != GW_H1_NO_HDR && !(m->dup_mask & (1u << GW_H1_H_TRACEPARENT))) {
		const char *v = gw_h1_value(buf, m, i, &len);

		have = gw_h1_trace_parse(v, len, &in) == 0;
	}
	gw_h1_trace_next(have ? &in : NULL, true, &hc->h->rand, &out);
	gw_h1_trace_format(&out, tp);
	/* "00-" then the 32-hex trace id */
	copy_field(hc->log.trace_id, sizeof(hc->log.trace_id), tp + 3, 32);
}

/* Every x-forwarded-for value, then the client: "a, b, client". Length or
 * -ENOSPC. */
static int
forwarded_for(const struct hconn *hc, const char *buf, const struct gw_h1_msg *m, char *out)
{
	size_t n = 0;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(hc->saddr)};
	uint32_t len;

	for (unsigned int i = 0; i < m->n_headers; i++) {
		if (m->h[i].id != GW_H1_H_X_FORWARDED_FOR)
			continue;
		const char *v = gw_h1_value(buf, m, i, &len);

		if (len == 0)
			continue;
		if (n + len + 2 >= XFF_MAX)
			return -ENOSPC;
		memcpy(out + n, v, len);
		n += len;
		out[n++] = ',';
		out[n++] = ' ';
	}
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (n + strlen(ip) >= XFF_MAX)
		return -ENOSPC;
	memcpy(out + n, ip, strlen(ip));
	return (int)(n + strlen(ip));
}

static void
log_fields(struct hconn *hc, const char *buf, const struct gw_h1_msg *m)
{
	uint8_t host = m->hidx[GW_H1_H_HOST];
	uint32_t len;

	copy_field(hc->log.method, sizeof(hc->log.method), buf + m->mtoken.off, m->mtoken.len);
	copy_field(hc->log.path, sizeof(hc->log.path), buf + m->target.off, m->target.len);
	if (host != GW_H1_NO_HDR) {
		const char *v = gw_h1_value(buf, m, host, &len);

		copy_field(hc->log.authority, sizeof(hc->log.authority), v, len);
	}
}

/* The head the endpoint gets: a chain, or NULL after answering (hc gone or
 * answered). */
static struct rte_mbuf *
rewrite_head(struct hconn *hc, const char *buf, const struct gw_h1_msg *m)
{
	struct gw_http *h = hc->h;
	char tp[GW_H1_TRACEPARENT_LEN + 1], xff[XFF_MAX];
	struct gw_h1_field extra[4 + CTL_MAX_HEADER_EDITS];
	struct gw_h1_wopts o = {.extra = extra};
	unsigned int n = 0, flags = GW_H1_W_DROP_TRACEPARENT | GW_H1_W_DROP_X_FORWARDED_FOR |
				    GW_H1_W_DROP_X_FORWARDED_PROTO;
	int xl, len;
	struct rte_mbuf *out;

	if (!request_id(hc, buf, m)) {
		flags |= GW_H1_W_DROP_X_REQUEST_ID;
		extra[n++] = (struct gw_h1_field){"x-request-id", hc->log.request_id, 12,
						  GW_H1_REQUEST_ID_LEN};
	}
	trace(hc, buf, m, tp);
	extra[n++] = (struct gw_h1_field){"traceparent", tp, 11, GW_H1_TRACEPARENT_LEN};
	xl = forwarded_for(hc, buf, m, xff);
	if (xl < 0) {
		gw_hc_generate(hc, 431, "x-forwarded-for too long", 0, true);
		return NULL;
	}
	extra[n++] = (struct gw_h1_field){"x-forwarded-for", xff, 15, (uint32_t)xl};
	extra[n++] = (struct gw_h1_field){"x-forwarded-proto", "http", 17, 4};
	if (m->upgrade)
		flags |= GW_H1_W_UPGRADE;
	if (m->minor == 0)
		flags |= GW_H1_W_HTTP10; /* a 1.0 client cannot read a chunked response */
	o.n_extra = n;
	if (hc->route >= 0)
		gw_hr_request_opts(hc, buf, m, &o, extra, n);
	len = gw_h1_write_request_head_opts(buf, m, &o, flags, h->tx, h->tx_size);
	if (len < 0) {
		gw_hc_generate(hc, 431, "request head too large", 0, true);
		return NULL;
	}
	out = gw_chain_from(h->p->pool, h->tx, (uint32_t)len);
	if (out == NULL) {
		h->stats.mbuf_alloc_failures++;
		gw_hc_generate(hc, 503, "out of buffers", 0, true);
	}
	return out;
}

/* The window reopens. */
bool
gw_hc_drop_input(struct hconn *hc, uint32_t n)
{
	struct rte_mbuf *front = gw_chain_split(hc->h->p->pool, &hc->in, &hc->in_len, n);

	if (front == NULL && n > 0)
		return false;
	rte_pktmbuf_free(front);
	stk_conn_consumed(hc->c, n);
	return true;
}

static const char *
bind_error(int rc, uint32_t *flag)
{
	switch (rc) {
	case -EHOSTUNREACH:
		return "no healthy endpoint";
	case -EBUSY:
		return "circuit breaker open";
	default:
		*flag = GW_ALOG_F(CONNECT_FAILED);
		return "upstream connect failed";
	}
}

/* A request starts on the current snapshot while its service is still
 * there; otherwise it finishes on the one the connection has, which then
 * closes after it. False: keep-alive ends. */
static bool
rebind(struct hconn *hc)
{
	struct gw_proxy *p = hc->h->p;
	const struct gw_mesh *cur = p->mesh;

	if (hc->mesh == cur)
		return true;
	if (!gw_mesh_has_service(cur, hc->service) ||
	    cur->services[hc->service].protocol != CTL_PROTO_HTTP)
		return false;
	gw_mesh_hold(cur, p->worker_id);
	gw_mesh_release(hc->mesh, p->worker_id);
	hc->mesh = cur;
	hc->cluster = (uint16_t)cur->services[hc->service].cluster;
	hc->h->stats.rebinds++;
	return true;
}

/* A complete head of head_len bytes in buf: start the request. */
static int
start_request(struct hconn *hc, const char *buf, uint32_t head_len)
{
	struct gw_http *h = hc->h;
	const struct gw_h1_msg *m = &h->msg;
	struct rte_mbuf *head;
	bool routed, authz;
	int rc;

	h->stats.requests++;
	if (!rebind(hc))
		hc->flags |= HC_CLOSE_AFTER;
	log_fields(hc, buf, m);
	hc->method = m->method;
	hc->bytes_in = head_len;
	if (m->keep_alive)
		hc->flags |= HC_KEEP_ALIVE;
	if (m->upgrade || m->method == GW_H1_M_CONNECT)
		hc->flags |= HC_UPGRADE_REQ;
	if (gw_h1_body_init(&hc->body, m, &h->req_lim, h->conf->max_request_body) != 0) {
		request_id(hc, buf, m);
		return gw_hc_generate(hc, hc->body.status, hc->body.reason, 0, true) ? 0 : -1;
	}
	routed = hc->mesh->services[hc->service].route_table != 0;
	authz = hc->mesh->svc_policy != NULL || hc->mesh->ids_enabled;
	if (routed || authz)
		request_id(hc, buf, m);
	/* answered (403, or by the route): a pipelined request may follow */
	if (authz && (rc = gw_hr_authorize(hc, buf, m, head_len)) <= 0)
		return rc == 0 ? 1 : -1;
	if (routed && (rc = gw_hr_select(hc, buf, m, head_len)) <= 0)
		return rc == 0 ? 1 : -1;
	head = rewrite_head(hc, buf, m);
	if (head == NULL)
		return -1;
	if (!gw_hc_drop_input(hc, head_len)) {
		rte_pktmbuf_free(head);
		h->stats.mbuf_alloc_failures++;
		gw_hc_abort(hc, 0);
		return -1;
	}
	hc->prev_len = 0;
	if (hc->body.kind == GW_H1_BODY_NONE || hc->body.done) {
		hc->state = HC_WAIT;
		hc->flags |= HC_REQ_DONE;
		hc->req_end = h->p->now;
	} else {
		hc->state = HC_BODY;
	}
	if (hc->flags & HC_WAKE) {
		hc->held = head; /* a fault delay: gw_hr_wake sends it */
		gw_hc_arm(hc);
		return 0;
	}
	return gw_hc_send_head(hc, head);
}

int
gw_hc_send_head(struct hconn *hc, struct rte_mbuf *head)
{
	struct gw_http *h = hc->h;
	bool retries = hc->route >= 0 && hc->mesh->routes[hc->route].has_retries;
	uint32_t flag = 0;
	int rc;

	hc->try_start = h->p->now;
	rc = gw_uc_bind(hc);
	/* a retry or a replay sends the request again: keep what was sent */
	if (retries || (rc == 0 && (hc->u->flags & UC_REUSED) && hc->state == HC_WAIT &&
			gw_http_idempotent(hc->method)))
		gw_hr_retain(hc, head, rte_pktmbuf_pkt_len(head));
	if (rc != 0) {
		rte_pktmbuf_free(head);
		if (rc == -ECONNREFUSED && gw_hr_may_retry(hc, GW_RETRY_CONNECT, 0)) {
			gw_hr_retry(hc);
			return 0;
		}
		const char *why = bind_error(rc, &flag);
		return gw_hc_generate(hc, 503, why, flag, false) ? 1 : -1;
	}
	gw_hc_arm(hc);
	gw_uc_send(hc->u, head, NULL, 0);
	/* on a failed send the request was answered: a pipelined one goes on */
	return (hc->flags & HC_IN_USE) ? 1 : -1;
}

bool
gw_hc_replay(struct hconn *hc)
{
	struct rte_mbuf *m;

	/* only a request the endpoint cannot have acted on twice */
	if (hc->replay == NULL || !(hc->flags & HC_REPLAY_OK) || !(hc->flags & HC_REQ_DONE) ||
	    (hc->flags & HC_NO_POOL) || /* replayed once already */
	    (hc->flags & HC_RESP_STARTED) || !gw_http_idempotent(hc->method) ||
	    hc->body.kind != GW_H1_BODY_NONE)
		return false;
	m = rte_pktmbuf_clone(hc->replay, hc->h->p->pool);
	if (m == NULL)
		return false;
	hc->h->stats.upstream_replayed++;
	hc->try_start = hc->h->p->now;
	gw_hc_uncount(hc);
	hc->flags |= HC_NO_POOL;
	if (hc->attempts > 0)
		hc->attempts--; /* the stale connection was no attempt at this endpoint */
	if (hc->try_attempts > 0)
		hc->try_attempts--;
	if (gw_uc_bind(hc) != 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	if (gw_uc_send(hc->u, m, NULL, 0))
		gw_hc_run(hc);
	return true;
}

static int
hc_head(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	uint32_t len = RTE_MIN(hc->in_len, h->rx_size);
	const char *buf;
	int rc;

	if (len == 0)
		return 0;
	buf = rte_pktmbuf_read(hc->in, 0, len, h->rx);
	rc = gw_h1_parse_request(buf, len, hc->prev_len, &h->msg, &h->req_lim);
	if (rc == -EAGAIN) {
		hc->prev_len = len;
		if (hc->flags & HC_FIN_IN) {
			/* a partial head, and no more will come */
			h->stats.client_aborts++;
			gw_hc_abort(hc, GW_ALOG_F(CLIENT_RESET));
			return -1;
		}
		return 0;
	}
	if (rc < 0) {
		hc->log.request_id[0] = '\0';
		return gw_hc_generate(hc, h->msg.status, h->msg.reason, 0, true) ? 0 : -1;
	}
	return start_request(hc, buf, (uint32_t)rc);
}

/* Forwards the body bytes in holds (up to the end of the message). */
static int
hc_body(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct uconn *u = hc->u;
	uint32_t take = 0;
	struct rte_mbuf *front;

	if (u == NULL || u->out != NULL)
		return 0;
	if (hc->in_len == 0) {
		if (!(hc->flags & HC_FIN_IN))
			return 0;
		h->stats.client_aborts++; /* the body ends before its framing does */
		gw_hc_abort(hc, GW_ALOG_F(CLIENT_RESET));
		return -1;
	}
	for (struct rte_mbuf *s = hc->in; s != NULL && !hc->body.done; s = s->next) {
		ssize_t r =
			gw_h1_body_feed(&hc->body, rte_pktmbuf_mtod(s, const char *), s->data_len);

		if (r < 0)
			return gw_hc_generate(hc, hc->body.status, hc->body.reason, 0, true) ? 0
											     : -1;
		take += (uint32_t)r;
		if ((uint32_t)r < s->data_len)
			break;
	}
	front = gw_chain_split(h->p->pool, &hc->in, &hc->in_len, take);
	if (front == NULL) {
		h->stats.mbuf_alloc_failures++;
		gw_hc_abort(hc, 0);
		return -1;
	}
	hc->bytes_in += take;
	if (hc->flags & HC_REPLAY_OK)
		gw_hr_retain(hc, front, take);
	if (hc->body.done) {
		hc->state = HC_WAIT;
		hc->flags |= HC_REQ_DONE;
		hc->req_end = h->p->now;
		gw_hc_arm(hc);
	}
	gw_uc_send(u, front, hc->c, take);
	return (hc->flags & HC_IN_USE) ? 1 : -1;
}

/* After an upgrade: whatever the client sends goes up as it is. */
static int
hc_tunnel(struct hconn *hc)
{
	struct rte_mbuf *m = hc->in;
	uint32_t n = hc->in_len;

	if (hc->u == NULL || hc->u->out != NULL || n == 0)
		return 0;
	hc->in = NULL;
	hc->in_len = 0;
	hc->bytes_in += n;
	gw_uc_send(hc->u, m, hc->c, n);
	return (hc->flags & HC_IN_USE) ? 1 : -1;
}

void
gw_hc_tunnel_eof(struct hconn *hc)
{
	struct uconn *u = hc->u;

	if (hc->state == HC_TUNNEL && (hc->flags & HC_FIN_IN) && hc->in_len == 0 && u != NULL &&
	    u->c != NULL && u->out == NULL && !(u->flags & UC_SHUT)) {
		u->flags |= UC_SHUT;
		stk_conn_shutdown(u->c);
	}
}

void
gw_hc_run(struct hconn *hc)
{
	int rc = 1;

	if (hc->flags & HC_IN_RUN)
		return; /* the caller's loop goes on */
	hc->flags |= HC_IN_RUN;
	while (rc > 0 && (hc->flags & HC_IN_USE) && hc->out == NULL) {
		switch (hc->state) {
		case HC_HEAD:
			rc = hc_head(hc);
			break;
		case HC_BODY:
			rc = hc_body(hc);
			break;
		case HC_TUNNEL:
			rc = hc_tunnel(hc);
			break;
		default:
			rc = 0;
		}
	}
	if (hc->flags & HC_IN_USE) {
		hc->flags &= ~HC_IN_RUN;
		gw_hc_tunnel_eof(hc);
	}
}

void
gw_hc_request_done(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	uint64_t max_dur = h->conf->max_connection_duration_us;
	uint16_t st = hc->log.status;

	if (st >= 200 && st < 600) { /* responses_2xx..5xx are consecutive */
		struct gw_http_svc_stats *ss = &h->svc[hc->service];
		uint64_t us = tsc_to_us(h, p->now - (hc->req_start ? hc->req_start : p->now));
		unsigned int b = 0;

		(&h->stats.responses_2xx)[st / 100 - 2]++;
		ss->responses[st / 100 - 1]++;
		while (b < GW_HTTP_LAT_N - 1 && us > gw_http_lat_bounds_us[b])
			b++;
		ss->lat[b]++;
		ss->lat_sum_us += us;
	}
	log_request(hc);
	gw_hc_uncount(hc);
	gw_hr_request_done(hc);
	if (hc->state == HC_BODY || !(hc->flags & HC_KEEP_ALIVE) || h->draining ||
	    ((hc->flags & HC_FIN_IN) && hc->in_len == 0) ||
	    (max_dur > 0 && p->now - hc->conn_start >= us_to_tsc(p, max_dur)))
		hc->flags |= HC_CLOSE_AFTER;
	hc->flags &= ~(HC_RESP_STARTED | HC_REQ_DONE | HC_KEEP_ALIVE | HC_NO_POOL | HC_UPGRADE_REQ |
		       HC_REPLAY_OK | HC_WAKE | HC_FAULT_ABORT);
	hc->method = 0;
	rte_pktmbuf_free(hc->replay);
	rte_pktmbuf_free(hc->held);
	hc->replay = hc->held = NULL;
	hc->replay_len = 0;
	hc->ep = -1;
	hc->route = -1;
	hc->attempts = hc->try_attempts = hc->retries = 0;
	hc->prev_len = 0;
	hc->bytes_in = hc->bytes_out = 0;
	memset(&hc->log, 0, sizeof(hc->log));
	if (hc->flags & HC_CLOSE_AFTER) {
		hc->state = HC_CLOSING;
		/* what the client still sends is read and dropped */
		if (hc->in_len > 0 && hc->c != NULL)
			stk_conn_consumed(hc->c, hc->in_len);
		rte_pktmbuf_free(hc->in);
		hc->in = NULL;
		hc->in_len = 0;
	} else {
		hc->state = HC_HEAD;
		hc->req_start = hc->in_len > 0 ? p->now : 0;
		if (hc->in_len > 0) {
			h->stats.pipelined++;
			hc->log.flags |= GW_ALOG_F(PIPELINED);
		}
	}
	hc->last_active = p->now;
	gw_hc_arm(hc);
}

/* ---- timeouts -------------------------------------------------------------------- */

enum deadline {
	DL_NONE,
	DL_IDLE,
	DL_HEADER,
	DL_STREAM,
	DL_REQUEST,
	DL_TRY,
	DL_WAKE,
	DL_LINGER,
	DL_MAX_AGE
};

static void
earliest(uint64_t *at, enum deadline *what, uint64_t t, enum deadline w)
{
	if (*what == DL_NONE || t < *at) {
		*at = t;
		*what = w;
	}
}

/* The next deadline of hc and what it is. */
static enum deadline
hc_deadline(const struct hconn *hc, uint64_t *at)
{
	const struct gw_proxy *p = hc->h->p;
	const struct ctl_http_conf *cf = hc->h->conf;
	enum deadline what = DL_NONE;

	switch (hc->state) {
	case HC_HEAD:
		if (hc->in_len == 0)
			earliest(at, &what, hc->last_active + us_to_tsc(p, cf->idle_timeout_us),
				 DL_IDLE);
		else
			earliest(at, &what,
				 hc->req_start + us_to_tsc(p, cf->request_header_timeout_us),
				 DL_HEADER);
		break;
	case HC_WAIT:
		if ((hc->u != NULL && !(hc->u->flags & UC_HEAD_DONE)) ||
		    ((hc->flags & HC_WAKE) && hc->held == NULL))
			earliest(at, &what, hc->req_end + us_to_tsc(p, gw_hr_timeout_us(hc)),
				 DL_REQUEST);
		if (hc->u != NULL && !(hc->u->flags & UC_HEAD_DONE) && hc->route >= 0 &&
		    hc->mesh->routes[hc->route].retries.per_try_timeout_us > 0)
			earliest(at, &what,
				 RTE_MAX(hc->try_start, hc->req_end) +
					 us_to_tsc(p, hc->mesh->routes[hc->route]
							      .retries.per_try_timeout_us),
				 DL_TRY);
		/* fall through */
	case HC_BODY:
	case HC_TUNNEL:
		earliest(at, &what, hc->last_active + us_to_tsc(p, cf->stream_idle_timeout_us),
			 DL_STREAM);
		break;
	default:
		earliest(at, &what, hc->last_active + us_to_tsc(p, LINGER_US), DL_LINGER);
	}
	if (hc->flags & HC_WAKE)
		earliest(at, &what, hc->wake, DL_WAKE);
	if (cf->max_connection_duration_us > 0 && !(hc->flags & HC_CLOSE_AFTER))
		earliest(at, &what, hc->conn_start + us_to_tsc(p, cf->max_connection_duration_us),
			 DL_MAX_AGE);
	return what;
}

static void hc_timer(struct rte_timer *t, void *arg);

void
gw_hc_arm(struct hconn *hc)
{
	uint64_t at = 0, now = hc->h->p->now;

	if (hc_deadline(hc, &at) == DL_NONE)
		return;
	rte_timer_reset(&hc->timer, at > now ? at - now : 1, SINGLE, rte_lcore_id(), hc_timer, hc);
}

/* An idle keep-alive connection is closed gracefully (FIN). */
static void
hc_close_idle(struct hconn *hc)
{
	hc->flags |= HC_CLOSE_AFTER;
	hc->state = HC_CLOSING;
	hc->last_active = hc->h->p->now;
	hc_shut_if_done(hc);
	gw_hc_arm(hc);
}

static void
hc_expired(struct hconn *hc, enum deadline what)
{
	struct gw_http *h = hc->h;

	switch (what) {
	case DL_IDLE:
		h->stats.idle_timeouts++;
		hc_close_idle(hc);
		break;
	case DL_HEADER:
		h->stats.header_timeouts++;
		hc->log.request_id[0] = '\0';
		gw_hc_generate(hc, 408, "request header timeout", GW_ALOG_F(HEADER_TIMEOUT), true);
		break;
	case DL_REQUEST:
		h->stats.request_timeouts++;
		if (hc->route >= 0)
			h->rstats[hc->mesh->route_slot[hc->route]].timeouts++;
		if (hc->ep >= 0 && hc->u != NULL)
			gw_proxy_ep_status(h->p, hc->mesh, hc->cluster, hc->ep, 504);
		gw_hc_generate(hc, 504, "upstream request timeout", GW_ALOG_F(UPSTREAM_TIMEOUT),
			       false);
		break;
	case DL_TRY:
		h->stats.per_try_timeouts++;
		if (hc->ep >= 0)
			gw_proxy_ep_status(h->p, hc->mesh, hc->cluster, hc->ep, 504);
		if (gw_hr_may_retry(hc, GW_RETRY_TIMEOUT, 0)) {
			gw_uc_release(hc->u, false);
			gw_hr_retry(hc);
			break;
		}
		h->rstats[hc->mesh->route_slot[hc->route]].timeouts++;
		gw_hc_generate(hc, 504, "upstream per-try timeout", GW_ALOG_F(UPSTREAM_TIMEOUT),
			       false);
		break;
	case DL_WAKE:
		gw_hr_wake(hc);
		break;
	case DL_STREAM:
		h->stats.stream_idle_timeouts++;
		if (hc->state == HC_TUNNEL)
			gw_hc_abort(hc, 0);
		else if (hc->flags & HC_REQ_DONE)
			gw_hc_generate(hc, 504, "stream idle timeout", GW_ALOG_F(UPSTREAM_TIMEOUT),
				       false);
		else
			gw_hc_generate(hc, 408, "stream idle timeout", 0, true);
		break;
	case DL_MAX_AGE:
		hc->flags |= HC_CLOSE_AFTER;
		if (hc->state == HC_HEAD && hc->in_len == 0)
			hc_close_idle(hc);
		else
			gw_hc_arm(hc);
		break;
	default:
		gw_hc_abort(hc, 0);
	}
}

static void
hc_timer(struct rte_timer *t, void *arg)
{
	struct hconn *hc = arg;
	uint64_t at = 0;
	enum deadline what = hc_deadline(hc, &at);

	(void)t;
	if (what == DL_NONE)
		return;
	if (hc->h->p->now < at)
		gw_hc_arm(hc);
	else
		hc_expired(hc, what);
}

/* ---- stack callbacks ------------------------------------------------------------ */

static void
hc_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct hconn *hc = ctx;
	uint32_t n = rte_pktmbuf_pkt_len(m);

	hc->last_active = hc->h->p->now;
	if (hc->state == HC_CLOSING) {
		rte_pktmbuf_free(m);
		stk_conn_consumed(c, n);
		return;
	}
	if (hc->state == HC_HEAD && hc->in_len == 0) {
		hc->req_start = hc->h->p->now;
		gw_hc_arm(hc);
	}
	if (gw_chain_append(&hc->in, &hc->in_len, m) != 0) {
		gw_hc_abort(hc, 0);
		return;
	}
	gw_hc_run(hc);
}

static void
hc_writable(void *ctx, struct stk_conn *c)
{
	struct hconn *hc = ctx;

	(void)c;
	if (!gw_hc_flush(hc))
		return;
	if (hc->u != NULL)
		gw_uc_run(hc->u);
	if (hc->flags & HC_IN_USE)
		gw_hc_run(hc);
}

/* The client sent FIN: what it sent before is still served (a complete
 * request, pipelined ones too); a head or body cut short is an abort once
 * its bytes have been looked at (hc_head, hc_body). */
static void
hc_peer_closed(void *ctx, struct stk_conn *c)
{
	struct hconn *hc = ctx;

	(void)c;
	hc->flags |= HC_FIN_IN;
	if (hc->state == HC_HEAD && hc->in_len == 0) {
		hc->flags |= HC_CLOSE_AFTER;
		hc->state = HC_CLOSING;
		hc_shut_if_done(hc);
		return;
	}
	if (hc->state == HC_HEAD || hc->state == HC_BODY || hc->state == HC_TUNNEL)
		gw_hc_run(hc);
}

static void
hc_reset(void *ctx, struct stk_conn *c, int err)
{
	struct hconn *hc = ctx;

	(void)c;
	(void)err;
	if (hc_busy(hc)) {
		hc->h->stats.client_aborts++;
		if (hc->log.method[0] != '\0') {
			hc->log.flags |= GW_ALOG_F(CLIENT_RESET);
			log_request(hc);
		}
	}
	if (hc->u != NULL)
		gw_uc_release(hc->u, false);
	hc->u = NULL;
	hc->state = HC_CLOSING;
}

static void
hc_closed(void *ctx, struct stk_conn *c)
{
	struct hconn *hc = ctx;

	(void)c;
	hc->c = NULL;
	hc_free(hc);
}

static const struct stk_tcp_ops hc_ops = {
	.data = hc_data,
	.writable = hc_writable,
	.peer_closed = hc_peer_closed,
	.reset = hc_reset,
	.closed = hc_closed,
};

/* ---- the module ------------------------------------------------------------------ */

void
gw_http_drain(struct gw_http *h)
{
	h->draining = true;
	for (uint32_t i = 0; i < h->n_conns; i++) {
		struct hconn *hc = &h->hconns[i];

		if (!(hc->flags & HC_IN_USE) || hc->state == HC_CLOSING)
			continue;
		if (hc->state == HC_HEAD && hc->in_len == 0)
			hc_close_idle(hc);
		else
			hc->flags |= HC_CLOSE_AFTER;
	}
	gw_uc_drain(h);
}

void
gw_http_set_mesh(struct gw_http *h, const struct gw_mesh *mesh)
{
	h->conf = &mesh->http;
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_SERVICE]; i++)
		memset(&h->svc[mesh->fresh[GW_SLOT_SERVICE][i]], 0, sizeof(*h->svc));
	gw_hr_set_mesh(h, mesh);
	gw_uc_drop_gone(h, mesh);
}

void
gw_http_stop(struct gw_http *h)
{
	for (uint32_t i = 0; i < h->n_conns; i++)
		if (h->hconns[i].flags & HC_IN_USE)
			gw_hc_abort(&h->hconns[i], 0);
	gw_uc_stop(h);
}

bool
gw_http_is_client(const struct stk_conn_info *ci)
{
	return ci->ops == &hc_ops;
}

const struct gw_http_stats *
gw_http_get_stats(const struct gw_http *h)
{
	return &h->stats;
}

const struct gw_http_svc_stats *
gw_http_get_svc_stats(const struct gw_http *h)
{
	return h->svc;
}

struct gw_http *
gw_http_create(struct gw_proxy *p, uint32_t max_conns, int socket)
{
	struct gw_http *h = rte_zmalloc_socket("gw_http", sizeof(*h), RTE_CACHE_LINE_SIZE, socket);
	const struct gw_mesh *mesh = p->mesh;

	if (h == NULL)
		goto nomem;
	h->p = p;
	h->conf = &mesh->http; /* follows the snapshot; the head limits stay (restart) */
	h->n_conns = max_conns;
	h->req_lim.max_head_bytes = h->conf->max_request_headers_kb * 1024;
	h->req_lim.max_headers = GW_H1_MAX_HEADERS;
	h->resp_lim.max_head_bytes = h->conf->max_response_headers_kb * 1024;
	h->resp_lim.max_headers = GW_H1_MAX_HEADERS;
	h->rand.s = rte_rdtsc() ^ ((uint64_t)p->worker_id << 56) ^ (uintptr_t)h;
	h->rx_size = RTE_MAX(h->req_lim.max_head_bytes, h->resp_lim.max_head_bytes) + 1;
	h->tx_size = h->rx_size + 2048 + 16384; /* plus what the gateway and routes add */
	h->rx = rte_malloc_socket("gw_http_rx", h->rx_size, 0, socket);
	h->tx = rte_malloc_socket("gw_http_tx", h->tx_size, 0, socket);
	h->hconns = rte_zmalloc_socket("gw_http_hc", sizeof(*h->hconns) * (max_conns + 1),
				       RTE_CACHE_LINE_SIZE, socket);
	h->uconns = rte_zmalloc_socket("gw_http_uc", sizeof(*h->uconns) * (max_conns + 1),
				       RTE_CACHE_LINE_SIZE, socket);
	h->hfree = rte_malloc_socket("gw_http_hf", sizeof(uint32_t) * (max_conns + 1), 0, socket);
	h->ufree = rte_malloc_socket("gw_http_uf", sizeof(uint32_t) * (max_conns + 1), 0, socket);
	h->svc = rte_zmalloc_socket("gw_http_svc", sizeof(*h->svc) * GW_SLOTS_SERVICES,
				    RTE_CACHE_LINE_SIZE, socket);
	h->idle = rte_zmalloc_socket("gw_http_idle", sizeof(*h->idle) * GW_SLOTS_ENDPOINTS, 0,
				     socket);
	h->n_idle = rte_zmalloc_socket("gw_http_nidle", sizeof(*h->n_idle) * GW_SLOTS_ENDPOINTS, 0,
				       socket);
	if (h->rx == NULL || h->tx == NULL || h->hconns == NULL || h->uconns == NULL ||
	    h->hfree == NULL || h->ufree == NULL || h->idle == NULL || h->n_idle == NULL ||
	    h->svc == NULL || gw_hr_init(h, socket) < 0)
		goto nomem;
	for (uint32_t i = 0; i < max_conns; i++) {
		rte_timer_init(&h->hconns[i].timer);
		rte_timer_init(&h->uconns[i].timer);
		h->hfree[i] = h->ufree[i] = max_conns - 1 - i;
	}
	h->n_hfree = h->n_ufree = max_conns;
	for (unsigned int e = 0; e < GW_SLOTS_ENDPOINTS; e++)
		TAILQ_INIT(&h->idle[e]);
	return h;
nomem:
	/* the worker reports only that it failed: say what did not fit */
	GW_LOG(ERROR,
	       "HTTP proxy: no memory for %u connections (%zu MiB: lower tcp.max_conns or "
	       "raise eal.memory_mb)",
	       max_conns,
	       (size_t)max_conns * (sizeof(struct hconn) + sizeof(struct uconn) + 8) >> 20);
	gw_http_free(h);
	errno = ENOMEM;
	return NULL;
}

void
gw_http_free(struct gw_http *h)
{
	if (h == NULL)
		return;
	gw_hr_fini(h);
	rte_free(h->svc);
	rte_free(h->n_idle);
	rte_free(h->idle);
	rte_free(h->ufree);
	rte_free(h->hfree);
	rte_free(h->uconns);
	rte_free(h->hconns);
	rte_free(h->tx);
	rte_free(h->rx);
	rte_free(h);
}

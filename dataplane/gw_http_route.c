/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http_route.c - the HTTP proxy's route tables (see gw_http_internal.h):
 * a request of a route-table service is matched in one Hyperscan pass per
 * field (gw_route.h) and its route decides: a 404 when none matches, a
 * redirect or direct response, fault injection, the cluster (weighted
 * split), header edits and a prefix rewrite, the timeout, and retries with
 * back-off under the cluster's retry budget. Worker only, except init/fini.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "gw_http_internal.h"

#define PPM 1000000u

static const struct ctl_http_route *
route_of(const struct hconn *hc)
{
	return &hc->mesh->routes[hc->route];
}

/* ---- what the matcher sees ------------------------------------------------------ */

/* The authority of an absolute-form target ("http://a.example.com:80/x"),
 * which the next hop prefers to Host (RFC 9112 3.2.2); NULL otherwise. */
static const char *
target_authority(const char *buf, const struct gw_h1_msg *m, uint32_t *len)
{
	const char *t = buf + m->target.off, *end = t + m->target.len, *sep, *a, *e;

	if (t == end || t[0] == '/' || t[0] == '*' ||
	    (sep = memchr(t, ':', (size_t)(end - t))) == NULL || end - sep < 3 || sep[1] != '/' ||
	    sep[2] != '/')
		return NULL;
	a = sep + 3;
	for (e = a; e < end && *e != '/' && *e != '?' && *e != '#'; e++)
		if (*e == '@')
			a = e + 1; /* userinfo is not part of the host */
	*len = (uint32_t)(e - a);
	return a;
}

/* Host without its port: "a.example.com:8080" and "[::1]:80" lose the port. */
static struct gw_route_span
host_of(const char *buf, const struct gw_h1_msg *m)
{
	uint8_t i = m->hidx[GW_H1_H_HOST];
	struct gw_route_span s = {NULL, 0};
	uint32_t len;
	const char *v = target_authority(buf, m, &len);

	if (v == NULL) {
		if (i == GW_H1_NO_HDR)
			return s;
		v = gw_h1_value(buf, m, i, &len);
	}
	s.p = v;
	s.len = len;
	for (size_t k = len; k > 0; k--) {
		if (v[k - 1] == ':') {
			s.len = k - 1;
			break;
		}
		if (v[k - 1] < '0' || v[k - 1] > '9')
			break;
	}
	return s;
}

/* The path of the request-target without its query: origin form as is,
 * absolute form from the first '/' after the authority ("" when none). */
static struct gw_route_span
path_of(const char *buf, const struct gw_h1_msg *m)
{
	const char *t = buf + m->target.off, *end = t + m->target.len, *q;

	if (t < end && t[0] != '/' && t[0] != '*') {
		const char *sep = memchr(t, ':', (size_t)(end - t));

		if (sep != NULL && end - sep > 3 && sep[1] == '/' && sep[2] == '/') {
			const char *slash = memchr(sep + 3, '/', (size_t)(end - sep - 3));

			t = slash != NULL ? slash : end;
		}
	}
	q = memchr(t, '?', (size_t)(end - t));
	return (struct gw_route_span){t, (size_t)((q != NULL ? q : end) - t)};
}

/* The request as the route and policy matchers see it (spans into buf). */
static struct gw_route_req
request_view(struct hconn *hc, const char *buf, const struct gw_h1_msg *m)
{
	struct gw_http *h = hc->h;

	for (unsigned int i = 0; i < m->n_headers; i++) {
		const struct gw_h1_hdr *f = &m->h[i];

		h->rhdrs[i].name = (struct gw_route_span){buf + f->name_off, f->name_len};
		h->rhdrs[i].value = (struct gw_route_span){buf + f->value_off, f->value_len};
	}
	return (struct gw_route_req){
		.host = host_of(buf, m),
		.path = path_of(buf, m),
		.method = {buf + m->mtoken.off, m->mtoken.len},
		.headers = h->rhdrs,
		.n_headers = m->n_headers,
	};
}

static int
match(struct hconn *hc, const char *buf, const struct gw_h1_msg *m, const struct gw_rtable *t)
{
	struct gw_route_req rq = request_view(hc, buf, m);

	return gw_route_match(t->match, hc->h->scratch, &rq);
}

/* ---- answering without an endpoint --------------------------------------------- */

/* A bodiless request is read completely and the connection stays open; one
 * with a body closes after the answer (its body is not read). */
static int
answer(struct hconn *hc, uint32_t head_len, uint16_t status, const struct gw_local_resp *lr)
{
	bool bodiless = hc->body.kind == GW_H1_BODY_NONE || hc->body.done;

	if (bodiless) {
		if (!gw_hc_drop_input(hc, head_len)) {
			hc->h->stats.mbuf_alloc_failures++;
			gw_hc_abort(hc, 0);
			return -1;
		}
		hc->prev_len = 0;
		hc->state = HC_WAIT;
		hc->flags |= HC_REQ_DONE;
		hc->req_end = hc->h->p->now;
	}
	return gw_hc_answer(hc, status, lr, 0, !bodiless) ? 0 : -1;
}

static struct gw_local_resp
route_resp(const struct ctl_http_route *r)
{
	return (struct gw_local_resp){.add = r->resp_add, .n_add = r->n_resp_add};
}

static bool
chance(struct gw_http *h, uint32_t ppm)
{
	return ppm > 0 && gw_h1_rand_next(&h->rand) % PPM < ppm;
}

static unsigned int
pick_weighted(struct gw_http *h, const struct ctl_http_route *r)
{
	uint64_t sum = 0, x;

	for (unsigned int i = 0; i < r->n_clusters; i++)
		sum += r->clusters[i].weight;
	x = gw_h1_rand_next(&h->rand) % sum;
	for (unsigned int i = 0; i < r->n_clusters; i++) {
		if (x < r->clusters[i].weight)
			return r->clusters[i].cluster;
		x -= r->clusters[i].weight;
	}
	return r->clusters[r->n_clusters - 1].cluster;
}

int
gw_hr_authorize(struct hconn *hc, const char *buf, const struct gw_h1_msg *m, uint32_t head_len)
{
	struct gw_proxy *p = hc->h->p;
	struct gw_route_req rq = request_view(hc, buf, m);

	switch (gw_mesh_authorize(hc->mesh, hc->service, p->worker_id, hc->saddr, hc->vport, &rq)) {
	case GW_AUTHZ_ALLOW:
		return 1;
	case GW_AUTHZ_DRY_RUN_DENY:
		p->stats.policy_dry_run_denied++;
		hc->log.flags |= GW_ALOG_F(POLICY_DRY_RUN);
		return 1;
	case GW_AUTHZ_UNKNOWN_SOURCE:
		p->stats.policy_unknown_source++;
		break;
	case GW_AUTHZ_DENY:
		break;
	}
	p->stats.policy_denied++;
	hc->log.flags |= GW_ALOG_F(POLICY_DENIED);
	return answer(hc, head_len, 403, &(struct gw_local_resp){.reason = "denied by policy"});
}

int
gw_hr_select(struct hconn *hc, const char *buf, const struct gw_h1_msg *m, uint32_t head_len)
{
	struct gw_http *h = hc->h;
	const struct gw_mesh *mesh = hc->mesh;
	unsigned int ti = mesh->services[hc->service].route_table - 1;
	const struct ctl_http_route *r;
	struct gw_http_route_stats *rs;
	struct gw_local_resp lr;
	int idx = match(hc, buf, m, &mesh->rtables[ti]);

	if (idx < 0) {
		h->stats.no_route++;
		h->no_route[mesh->rtables[ti].slot]++;
		return answer(hc, head_len, 404, &(struct gw_local_resp){.reason = "no route"});
	}
	hc->route = (int)(mesh->rtables[ti].first_route + (unsigned int)idx);
	r = route_of(hc);
	rs = &h->rstats[mesh->route_slot[hc->route]];
	rs->requests++;
	lr = route_resp(r);
	if (r->has_fault) {
		bool abort = chance(h, r->fault.abort_ppm);

		if (chance(h, r->fault.delay_ppm) && r->action <= CTL_ACT_WEIGHTED) {
			/* the head is rewritten and held; gw_hr_wake sends (or aborts) it */
			h->stats.fault_delays++;
			rs->fault_delays++;
			hc->flags |= HC_WAKE | (abort ? HC_FAULT_ABORT : 0);
			hc->wake = h->p->now + us_to_tsc(h->p, r->fault.delay_us);
		} else if (abort) {
			h->stats.fault_aborts++;
			rs->fault_aborts++;
			lr.reason = "fault injected";
			hc->log.flags |= GW_ALOG_F(FAULT);
			return answer(hc, head_len, r->fault.abort_status, &lr);
		}
	}
	switch (r->action) {
	case CTL_ACT_REDIRECT:
		h->stats.redirects++;
		lr.location = r->location;
		return answer(hc, head_len, r->status, &lr);
	case CTL_ACT_DIRECT:
		h->stats.direct_responses++;
		lr.body = r->body;
		lr.body_len = r->body != NULL ? (uint32_t)strlen(r->body) : 0;
		return answer(hc, head_len, r->status, &lr);
	case CTL_ACT_WEIGHTED:
		hc->cluster = mesh->cluster_slot[pick_weighted(h, r)];
		break;
	default:
		hc->cluster = mesh->cluster_slot[r->clusters[0].cluster];
	}
	return 1;
}

/* ---- head edits ----------------------------------------------------------------- */

static void
edits(const struct ctl_header_edit *e, unsigned int n, struct gw_h1_field *out)
{
	for (unsigned int i = 0; i < n; i++)
		out[i] = (struct gw_h1_field){e[i].name, e[i].value, (uint32_t)strlen(e[i].name),
					      (uint32_t)strlen(e[i].value)};
}

void
gw_hr_request_opts(struct hconn *hc, const char *buf, const struct gw_h1_msg *m,
		   struct gw_h1_wopts *o, struct gw_h1_field *extra, unsigned int n_extra)
{
	const struct ctl_http_route *r = route_of(hc);
	struct gw_http *h = hc->h;

	edits(r->req_add, r->n_req_add, extra + n_extra);
	o->n_extra = n_extra + r->n_req_add;
	o->drop = (const char *const *)&r->req_remove[0].name;
	o->n_drop = 0;
	if (r->n_req_remove > 0) {
		/* the names of the remove list, as an array of pointers */
		static __thread const char *names[CTL_MAX_HEADER_EDITS];

		for (unsigned int i = 0; i < r->n_req_remove; i++)
			names[i] = r->req_remove[i].name;
		o->drop = names;
		o->n_drop = r->n_req_remove;
	}
	if (r->prefix_rewrite != NULL && r->path.kind == CTL_MATCH_PREFIX) {
		struct gw_route_span p = path_of(buf, m);
		size_t plen = strlen(r->path.value), rlen = strlen(r->prefix_rewrite);
		const char *rest = p.p + plen, *end = buf + m->target.off + m->target.len;
		size_t tail = (size_t)(end - rest);

		/* the route matched, so the path starts with the prefix */
		if (p.len >= plen && rlen + tail <= h->rx_size) {
			memcpy(h->tgt, r->prefix_rewrite, rlen);
			/* "/api/" -> "/" must not turn "/api/x" into "//x" */
			if (rlen > 0 && r->prefix_rewrite[rlen - 1] == '/' && tail > 0 &&
			    rest[0] == '/')
				rest++, tail--;
			memcpy(h->tgt + rlen, rest, tail);
			o->target = h->tgt;
			o->target_len = (uint32_t)(rlen + tail);
		}
	}
}

void
gw_hr_response_opts(const struct hconn *hc, struct gw_h1_wopts *o, struct gw_h1_field *extra)
{
	const struct ctl_http_route *r = route_of(hc);
	static __thread const char *names[CTL_MAX_HEADER_EDITS];

	edits(r->resp_add, r->n_resp_add, extra);
	o->extra = extra;
	o->n_extra = r->n_resp_add;
	for (unsigned int i = 0; i < r->n_resp_remove; i++)
		names[i] = r->resp_remove[i].name;
	o->drop = names;
	o->n_drop = r->n_resp_remove;
}

uint64_t
gw_hr_timeout_us(const struct hconn *hc)
{
	if (hc->route >= 0 && route_of(hc)->timeout_us > 0)
		return route_of(hc)->timeout_us;
	return hc->h->conf->request_timeout_us;
}

/* ---- retries ------------------------------------------------------------------------ */

void
gw_hr_retain(struct hconn *hc, struct rte_mbuf *m, uint32_t n)
{
	struct gw_http *h = hc->h;
	struct rte_mbuf *c;
	uint32_t len;

	if (hc->replay == NULL) {
		if (hc->flags & HC_REPLAY_OK)
			return; /* gave up on it already */
		hc->flags |= HC_REPLAY_OK;
	} else if (!(hc->flags & HC_REPLAY_OK)) {
		return;
	}
	if (hc->replay_len + n > h->conf->retry_buffer ||
	    (c = rte_pktmbuf_clone(m, h->p->pool)) == NULL)
		goto give_up;
	len = hc->replay_len;
	if (hc->replay == NULL) {
		hc->replay = c;
	} else if (gw_chain_append(&hc->replay, &len, c) != 0) {
		goto give_up; /* c was freed */
	}
	hc->replay_len += n;
	return;
give_up:
	if (hc->route >= 0 && route_of(hc)->has_retries)
		h->stats.retry_not_buffered++;
	rte_pktmbuf_free(hc->replay);
	hc->replay = NULL;
	hc->replay_len = 0;
	/* REPLAY_OK stays set with no replay: "not retryable" until the next request */
	hc->flags |= HC_REPLAY_OK;
}

static bool
policy_covers(const struct ctl_retry_conf *rc, enum gw_retry_why why, uint16_t status)
{
	uint32_t on = rc->on;

	switch (why) {
	case GW_RETRY_CONNECT:
		return on & (CTL_RETRY_CONNECT_FAILURE | CTL_RETRY_5XX | CTL_RETRY_GATEWAY_ERROR);
	case GW_RETRY_RESET:
	case GW_RETRY_TIMEOUT:
		return on & (CTL_RETRY_RESET | CTL_RETRY_5XX | CTL_RETRY_GATEWAY_ERROR);
	default:
		break;
	}
	if ((on & CTL_RETRY_5XX) && status >= 500 && status <= 599)
		return true;
	if ((on & CTL_RETRY_GATEWAY_ERROR) && status >= 502 && status <= 504)
		return true;
	if (on & CTL_RETRY_RETRIABLE_STATUS)
		for (unsigned int i = 0; i < rc->n_statuses; i++)
			if (rc->statuses[i] == status)
				return true;
	return false;
}

bool
gw_hr_may_retry(struct hconn *hc, enum gw_retry_why why, uint16_t status)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	const struct ctl_http_route *r;
	const struct ctl_retry_budget_conf *b;
	struct gw_proxy_cluster_stats *cs;
	uint64_t allowed;

	if (hc->route < 0 || !(r = route_of(hc))->has_retries ||
	    !policy_covers(&r->retries, why, status))
		return false;
	/* a non-idempotent request may have been acted on unless it never left */
	if ((hc->flags & HC_RESP_STARTED) ||
	    (why != GW_RETRY_CONNECT && !gw_http_idempotent(hc->method)))
		return false;
	if (!(hc->flags & HC_REQ_DONE) || hc->replay == NULL)
		return false;
	if (hc->retries >= r->retries.count) {
		h->stats.retries_exhausted++;
		return false;
	}
	b = &hc->mesh->clusters[hc->cluster].conf.retry_budget;
	cs = &p->cl_stats[hc->cluster];
	allowed = RTE_MAX((uint64_t)b->min_concurrency, cs->active * b->percent / 100);
	if (!(hc->flags & HC_RETRYING) && cs->retries_active >= allowed) {
		h->stats.retry_budget_exhausted++;
		h->rstats[hc->mesh->route_slot[hc->route]].retry_budget_exhausted++;
		return false;
	}
	return true;
}

void
gw_hr_retry(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct gw_proxy *p = h->p;
	const struct ctl_retry_conf *rc = &route_of(hc)->retries;
	uint64_t cap, us;

	gw_hc_uncount(hc);
	hc->u = NULL;
	hc->ep = -1;
	if (!(hc->flags & HC_RETRYING)) {
		hc->flags |= HC_RETRYING;
		p->cl_stats[hc->cluster].retries_active++;
	}
	hc->retries++;
	h->stats.retries++;
	h->rstats[hc->mesh->route_slot[hc->route]].retries++;
	hc->log.flags |= GW_ALOG_F(RETRIED);
	/* exponential back-off with full jitter: [0, min(max, base * 2^(n-1))] */
	cap = rc->backoff_base_us << RTE_MIN(hc->retries - 1, 20);
	cap = RTE_MIN(cap, rc->backoff_max_us);
	us = gw_h1_rand_next(&h->rand) % (cap + 1);
	hc->flags |= HC_WAKE;
	hc->wake = p->now + us_to_tsc(p, us);
	hc->try_attempts = 0;
	gw_hc_arm(hc);
}

void
gw_hr_wake(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	struct rte_mbuf *m = hc->held;

	hc->flags &= ~HC_WAKE;
	hc->held = NULL;
	if (m != NULL) { /* a fault delay is over */
		if (hc->flags & HC_FAULT_ABORT) {
			struct gw_local_resp lr = route_resp(route_of(hc));

			rte_pktmbuf_free(m);
			h->stats.fault_aborts++;
			h->rstats[hc->mesh->route_slot[hc->route]].fault_aborts++;
			hc->log.flags |= GW_ALOG_F(FAULT);
			lr.reason = "fault injected";
			/* the head is consumed: the body, if any, was never read */
			gw_hc_answer(hc, route_of(hc)->fault.abort_status, &lr, 0,
				     !(hc->flags & HC_REQ_DONE));
			return;
		}
		if (gw_hc_send_head(hc, m) > 0 && (hc->flags & HC_IN_USE))
			gw_hc_run(hc);
		return;
	}
	/* a retry: the request as first sent, again */
	m = rte_pktmbuf_clone(hc->replay, h->p->pool);
	if (m == NULL) {
		h->stats.mbuf_alloc_failures++;
		gw_hc_generate(hc, 503, "out of buffers", 0, false);
		return;
	}
	hc->try_start = h->p->now;
	switch (gw_uc_bind(hc)) {
	case 0:
		gw_hc_arm(hc);
		if (gw_uc_send(hc->u, m, NULL, 0) && (hc->flags & HC_IN_USE))
			gw_hc_run(hc);
		return;
	case -ECONNREFUSED:
		rte_pktmbuf_free(m);
		if (gw_hr_may_retry(hc, GW_RETRY_CONNECT, 0)) {
			gw_hr_retry(hc);
			return;
		}
		gw_hc_generate(hc, 503, "upstream connect failed", GW_ALOG_F(CONNECT_FAILED),
			       false);
		return;
	case -EBUSY:
		rte_pktmbuf_free(m);
		gw_hc_generate(hc, 503, "circuit breaker open", 0, false);
		return;
	default:
		rte_pktmbuf_free(m);
		gw_hc_generate(hc, 503, "no healthy endpoint", 0, false);
	}
}

void
gw_hr_request_done(struct hconn *hc)
{
	struct gw_http *h = hc->h;
	uint16_t st = hc->log.status;

	if (hc->flags & HC_RETRYING) {
		hc->flags &= ~HC_RETRYING;
		h->p->cl_stats[hc->cluster].retries_active--;
	}
	if (hc->route >= 0 && st >= 100 && st < 600)
		h->rstats[hc->mesh->route_slot[hc->route]].responses[st / 100 - 1]++;
}

/* ---- worker state ----------------------------------------------------------------- */

int
gw_hr_init(struct gw_http *h, int socket)
{
	const struct gw_mesh *mesh = h->p->mesh;

	h->rstats = rte_zmalloc_socket("gw_http_rstats", sizeof(*h->rstats) * GW_SLOTS_ROUTES,
				       RTE_CACHE_LINE_SIZE, socket);
	h->no_route = rte_zmalloc_socket("gw_http_noroute", sizeof(*h->no_route) * GW_SLOTS_RTABLES,
					 0, socket);
	h->rhdrs = rte_malloc_socket("gw_http_rhdrs", sizeof(*h->rhdrs) * GW_H1_MAX_HEADERS, 0,
				     socket);
	h->tgt = rte_malloc_socket("gw_http_tgt", h->rx_size, 0, socket);
	if (h->rstats == NULL || h->no_route == NULL || h->rhdrs == NULL || h->tgt == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < mesh->n_rtables; i++)
		if (gw_route_scratch_grow(mesh->rtables[i].match, &h->scratch) < 0)
			return -ENOMEM;
	return 0;
}

void
gw_hr_set_mesh(struct gw_http *h, const struct gw_mesh *mesh)
{
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_ROUTE]; i++)
		memset(&h->rstats[mesh->fresh[GW_SLOT_ROUTE][i]], 0, sizeof(*h->rstats));
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_RTABLE]; i++)
		h->no_route[mesh->fresh[GW_SLOT_RTABLE][i]] = 0;
	/* the scratch only grows: older snapshots' requests still match with it */
	for (unsigned int i = 0; i < mesh->n_rtables; i++)
		if (gw_route_scratch_grow(mesh->rtables[i].match, &h->scratch) < 0)
			h->stats.scratch_failures++;
}

void
gw_hr_fini(struct gw_http *h)
{
	gw_route_scratch_free(h->scratch);
	h->scratch = NULL;
	rte_free(h->tgt);
	rte_free(h->rhdrs);
	rte_free(h->no_route);
	rte_free(h->rstats);
}

const struct gw_http_route_stats *
gw_http_get_route_stats(const struct gw_http *h)
{
	return h->rstats;
}

const uint64_t *
gw_http_get_no_route(const struct gw_http *h)
{
	return h->no_route;
}

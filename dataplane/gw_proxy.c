/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy.c - the L4 proxy of one worker (see gw_proxy.h).
 *
 * A proxied connection has two legs: 0 the client's (accepted on a VIP), 1
 * the upstream (opened to an endpoint). Data received on leg i is sent on
 * leg o = 1 - i as the same mbuf chain; only when the stack took it is it
 * consumed on leg i, so a slow reader on one side closes the window towards
 * the other and a connection holds at most one chain per direction besides
 * what the stack buffers. The stack may call back from inside our calls to
 * it, so every callback re-checks the state it relies on.
 */
#include "gw_proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_timer.h>

#include "gw_alog.h"
#include "gw_health.h"
#include "gw_http.h"
#include "gw_log.h"
#include "gw_proxy_internal.h"
#include "gw_proxy_pp2.h"
#include "gw_tls.h"

#define PC_IN_USE    (1u << 0)
#define PC_CONNECTED (1u << 1) /* the upstream leg is established */
#define PC_PENDING   (1u << 2) /* counted in the cluster's pending connects */
#define PC_FIN_IN0   (1u << 3) /* FIN from leg 0 (FIN_IN0 << i for leg i) */
#define PC_FIN_IN1   (1u << 4)
#define PC_SHUT0     (1u << 5) /* our FIN queued on leg 0 (SHUT0 << i) */
#define PC_SHUT1     (1u << 6)
#define PC_COUNTED   (1u << 7) /* counted in its endpoint's active connections */

struct pconn {
	struct gw_proxy *p;
	struct stk_conn *c[2];
	struct gw_tls *tls[2];	  /* leg i speaks TLS through it (ingress); NULL: plain */
	struct rte_mbuf *held[2]; /* received on leg i, not yet taken by the other leg */
	uint32_t held_len[2];
	uint32_t flags;
	const struct gw_mesh *mesh; /* the snapshot's it started on (held) */
	uint16_t service, cluster;  /* slots */
	int ep;			    /* slot; -1 before the first pick */
	uint8_t attempts;
	uint16_t tried[MAX_ATTEMPTS]; /* endpoint indices within the cluster */
	uint32_t saddr, vaddr;	      /* the client and the VIP it reached */
	uint16_t sport, vport;
	uint64_t last_active; /* TSC of the last data either way */
	uint64_t start;	      /* TSC of the accept */
	uint64_t bytes[2];    /* taken by the other leg, per source leg */
	uint32_t laddr;	      /* the upstream leg's local address and port */
	uint16_t lport;
	uint8_t reason;		/* enum gw_alog_reason, for the access log */
	struct rte_timer timer; /* connect timeout, then idle timeout */
};

static const struct stk_tcp_ops client_ops, upstream_ops, listener_ops;
static const struct gw_tls_ops client_tls_ops, upstream_tls_ops;
static void leg_abort(struct pconn *pc, int i);

/* ---- the pool ---------------------------------------------------------- */

static struct pconn *
pconn_alloc(struct gw_proxy *p)
{
	struct pconn *pc;

	if (p->n_free == 0)
		return NULL;
	pc = &p->conns[p->free_idx[--p->n_free]];
	pc->p = p;
	pc->c[0] = pc->c[1] = NULL;
	pc->tls[0] = pc->tls[1] = NULL;
	pc->held[0] = pc->held[1] = NULL;
	pc->held_len[0] = pc->held_len[1] = 0;
	pc->flags = PC_IN_USE;
	pc->ep = -1;
	pc->attempts = 0;
	pc->start = p->now;
	pc->bytes[0] = pc->bytes[1] = 0;
	pc->laddr = 0;
	pc->lport = 0;
	pc->reason = GW_ALOG_CLOSED;
	return pc;
}

static void
log_conn(struct gw_proxy *p, const struct pconn *pc)
{
	const struct gw_endpoint *e = pc->ep >= 0 ? &pc->mesh->endpoints[pc->ep] : NULL;
	struct gw_alog_rec r = {
		.start_tsc = pc->start,
		.end_tsc = p->now,
		.bytes_up = pc->bytes[0],
		.bytes_down = pc->bytes[1],
		.caddr = pc->saddr,
		.cport = pc->sport,
		.vaddr = pc->vaddr,
		.vport = pc->vport,
		.laddr = pc->laddr,
		.lport = pc->lport,
		.eaddr = e != NULL ? e->conf.addr : 0,
		.eport = e != NULL ? e->conf.port : 0,
		.service = pc->service,
		.cluster = pc->cluster,
		.reason = pc->reason,
		.attempts = pc->attempts,
		.worker = (uint16_t)p->worker_id,
	};

	gw_alog_emit(p->alog, &r);
}

static void
pconn_free(struct pconn *pc)
{
	struct gw_proxy *p = pc->p;
	struct gw_proxy_cluster_stats *cs = &p->cl_stats[pc->cluster];

	if (p->alog != NULL)
		log_conn(p, pc);
	rte_timer_stop(&pc->timer);
	for (int i = 0; i < 2; i++) {
		if (pc->held[i] != NULL)
			p->stats.mbufs_held -= pc->held[i]->nb_segs;
		rte_pktmbuf_free(pc->held[i]);
		pc->held[i] = NULL;
	}
	if (pc->flags & PC_PENDING)
		cs->pending--;
	if (pc->flags & PC_COUNTED)
		p->ep_stats[pc->ep].active--;
	cs->active--;
	p->svc_stats[pc->service].active--;
	p->stats.active--;
	gw_mesh_release(pc->mesh, p->worker_id);
	pc->mesh = NULL;
	pc->flags = 0;
	p->free_idx[p->n_free++] = (uint32_t)(pc - p->conns);
}

/* Both legs gone: the state goes back to the pool. */
static void
pconn_maybe_free(struct pconn *pc)
{
	if (pc->c[0] == NULL && pc->c[1] == NULL)
		pconn_free(pc);
}

/* ---- a leg's I/O: the stack's, or TLS's over it ------------------------------ */

static int
leg_send(struct pconn *pc, int i, struct rte_mbuf *m)
{
	return pc->tls[i] ? gw_tls_send(pc->tls[i], m) : stk_conn_send(pc->c[i], m);
}

static void
leg_consumed(struct pconn *pc, int i, uint32_t len)
{
	if (pc->tls[i] != NULL)
		gw_tls_consumed(pc->tls[i], len);
	else
		stk_conn_consumed(pc->c[i], len);
}

static void
leg_shutdown(struct pconn *pc, int i)
{
	if (pc->tls[i] != NULL)
		gw_tls_shutdown(pc->tls[i]); /* close_notify, then FIN */
	else
		stk_conn_shutdown(pc->c[i]);
}

/* RST on leg i if it is open; `closed` will not come for it. */
static void
leg_abort(struct pconn *pc, int i)
{
	struct stk_conn *c = pc->c[i];
	struct gw_tls *t = pc->tls[i];

	pc->c[i] = NULL;
	pc->tls[i] = NULL;
	if (t != NULL)
		gw_tls_abort(t);
	else if (c != NULL)
		stk_conn_abort(c);
}

/* Resets whichever legs are still open; `closed` will not come for them. */
static void
pconn_abort(struct pconn *pc)
{
	for (int i = 0; i < 2; i++)
		leg_abort(pc, i);
	pconn_free(pc);
}

static int
leg_of(const struct pconn *pc, const struct stk_conn *c)
{
	return pc->c[1] == c ? 1 : 0;
}

/* ---- endpoint choice ---------------------------------------------------- */

static bool
tried(const struct gw_pick *pk, unsigned int i)
{
	for (unsigned int k = 0; k < pk->n_tried; k++)
		if (pk->tried[k] == i)
			return true;
	return false;
}

/* Fills eligible[] for the cluster: available (not drained, healthy, not
 * ejected), not tried yet by this connection when another one is left, and
 * within the best locality tier that has enough of its endpoints available.
 * Below the panic threshold of healthy endpoints, health and ejection are
 * ignored (every endpoint not drained takes a share, as in Envoy: better
 * than overloading the few left). Returns how many are eligible. */
static unsigned int
eligible_set(struct gw_proxy *p, const struct gw_pick *pk, bool *eligible)
{
	const struct gw_cluster *gc = &pk->mesh->clusters[pk->cluster];
	unsigned int n = gc->n_eps;
	unsigned int avail_in[GW_TIER_N] = {0}, total_in[GW_TIER_N] = {0}, n_ok = 0;
	unsigned int n_undrained = 0, n_healthy = 0;
	bool untried_left = false, panic;
	int best = GW_TIER_N;

	for (unsigned int i = 0; i < n; i++) {
		const struct gw_ep_shared *sh = &p->shared[gc->eps[i]];

		eligible[i] = !gw_ep_drained(sh);
		n_undrained += eligible[i];
		n_healthy += eligible[i] && gw_ep_healthy(sh, p->now);
	}
	panic = gw_health_panic(n_undrained, n_healthy, gc->conf.panic_threshold);
	p->stats.panic_picks += panic;
	for (unsigned int i = 0; i < n; i++) {
		const struct gw_endpoint *e = &pk->mesh->endpoints[gc->eps[i]];
		bool ok = eligible[i] && (panic || gw_ep_healthy(&p->shared[gc->eps[i]], p->now));

		eligible[i] = ok;
		total_in[e->tier]++;
		if (ok) {
			avail_in[e->tier]++;
			untried_left |= !tried(pk, i);
		}
	}
	if (gc->conf.locality.enabled) {
		for (int t = 0; t < GW_TIER_N && best == GW_TIER_N; t++)
			if (avail_in[t] > 0 &&
			    avail_in[t] * 100 >=
				    gc->conf.locality.min_available_percent * total_in[t])
				best = t;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct gw_endpoint *e = &pk->mesh->endpoints[gc->eps[i]];

		if (eligible[i] && untried_left && tried(pk, i))
			eligible[i] = false;
		if (eligible[i] && best != GW_TIER_N && (int)e->tier > best)
			eligible[i] = false;
		n_ok += eligible[i];
	}
	return n_ok;
}

int
gw_proxy_pick(struct gw_proxy *p, const struct gw_pick *pk)
{
	const struct gw_cluster *gc = &pk->mesh->clusters[pk->cluster];
	unsigned int n = gc->n_eps;
	bool eligible[CTL_MAX_CLUSTER_EPS];
	uint32_t active[CTL_MAX_CLUSTER_EPS];
	uint64_t hash = 0;

	if (eligible_set(p, pk, eligible) == 0)
		return -1;
	if (gc->conf.policy == CTL_LB_LEAST_CONN)
		for (unsigned int i = 0; i < n; i++)
			active[i] = (uint32_t)p->ep_stats[gc->eps[i]].active;
	if (gc->conf.policy == CTL_LB_MAGLEV || gc->conf.policy == CTL_LB_RING_HASH)
		hash = gc->conf.hash_key == CTL_HASH_SOURCE_IP
			       ? gw_lb_hash_source(pk->saddr)
			       : gw_lb_hash_5tuple(pk->saddr, pk->sport, pk->vaddr, pk->vport, 6);
	return gw_lb_pick(gc->lb, gc->lb_state[p->worker_id], eligible, active, hash);
}

/* ---- outlier detection ---------------------------------------------------- */

void
gw_proxy_ep_failed(struct gw_proxy *p, const struct gw_mesh *mesh, unsigned int cluster, int ep)
{
	struct gw_proxy_ep_stats *es = &p->ep_stats[ep];
	uint32_t limit;

	if (!gw_mesh_has_cluster(mesh, cluster))
		return; /* a pooled connection's cluster left with a reload */
	limit = mesh->clusters[cluster].conf.outlier.consecutive_failures;
	if (limit == 0 || ++es->consecutive_failures < limit)
		return;
	es->consecutive_failures = 0;
	p->stats.ejection_requests++;
	if (p->eject != NULL)
		p->eject(p->eject_arg, (unsigned int)ep);
}

void
gw_proxy_ep_status(struct gw_proxy *p, const struct gw_mesh *mesh, unsigned int cluster, int ep,
		   uint16_t status)
{
	struct gw_proxy_ep_stats *es = &p->ep_stats[ep];
	const struct ctl_outlier_conf *o = &mesh->clusters[cluster].conf.outlier;
	bool eject = false;

	if (status < 500) {
		es->consecutive_5xx = es->consecutive_gateway_errors = 0;
		return;
	}
	if (o->consecutive_5xx > 0 && ++es->consecutive_5xx >= o->consecutive_5xx) {
		p->stats.ejection_requests_5xx++;
		eject = true;
	}
	if (status >= 502 && status <= 504) {
		if (o->consecutive_gateway_errors > 0 &&
		    ++es->consecutive_gateway_errors >= o->consecutive_gateway_errors) {
			p->stats.ejection_requests_gateway++;
			eject = true;
		}
	} else {
		es->consecutive_gateway_errors = 0;
	}
	if (!eject)
		return;
	es->consecutive_5xx = es->consecutive_gateway_errors = 0;
	p->stats.ejection_requests++;
	if (p->eject != NULL)
		p->eject(p->eject_arg, (unsigned int)ep);
}

/* ---- connecting ----------------------------------------------------------- */

static void timer_fired(struct rte_timer *t, void *arg);

static void
arm(struct pconn *pc, uint64_t us)
{
	struct gw_proxy *p = pc->p;

	if (us == 0) {
		rte_timer_stop(&pc->timer);
		return;
	}
	rte_timer_reset(&pc->timer, us_to_tsc(p, us), SINGLE, rte_lcore_id(), timer_fired, pc);
}

/* Opens the upstream leg to the next endpoint. False when none could be
 * opened: the client is reset (by the stack when in_accept, as `accepted`
 * returns <0) and pc is gone. */
static bool
try_connect(struct pconn *pc, bool in_accept)
{
	struct gw_proxy *p = pc->p;
	const struct gw_cluster *gc = &pc->mesh->clusters[pc->cluster];
	struct gw_proxy_cluster_stats *cs = &p->cl_stats[pc->cluster];
	const struct gw_endpoint *e;
	int i, rc;

	while (pc->attempts < RTE_MIN(gc->conf.connect_attempts, (uint32_t)MAX_ATTEMPTS)) {
		i = gw_proxy_pick(p, &(struct gw_pick){.mesh = pc->mesh,
						       .cluster = pc->cluster,
						       .tried = pc->tried,
						       .n_tried = pc->attempts,
						       .saddr = pc->saddr,
						       .sport = pc->sport,
						       .vaddr = pc->vaddr,
						       .vport = pc->vport});
		if (i < 0) {
			p->stats.no_endpoint++;
			break;
		}
		pc->tried[pc->attempts++] = (uint16_t)i;
		pc->ep = gc->eps[i];
		e = &pc->mesh->endpoints[pc->ep];
		p->stats.upstream_connects++;
		if (gc->tls != NULL) {
			/* egress TLS: `connected` comes once the handshake is done */
			const struct ctl_cluster_tls_conf *tc = &gc->conf.tls;

			rc = gw_tls_connect(
				p->tls, gc->tls[p->worker_id], p->stk, 0, e->conf.addr,
				e->conf.port,
				&(struct gw_tls_conn_conf){.sni = tc->sni[0] ? tc->sni : NULL,
							   .verify_host = tc->verify_name ? tc->sni
											  : NULL},
				&upstream_tls_ops, pc, &pc->tls[1]);
			if (rc == 0)
				pc->c[1] = gw_tls_conn(pc->tls[1]);
		} else {
			rc = stk_tcp_connect(p->stk, 0, e->conf.addr, e->conf.port, &upstream_ops,
					     pc, &pc->c[1]);
		}
		if (rc == 0) {
			if (!(pc->flags & PC_PENDING)) {
				pc->flags |= PC_PENDING;
				cs->pending++;
			}
			arm(pc, gc->conf.connect_timeout_us);
			return true;
		}
		pc->c[1] = NULL;
		pc->tls[1] = NULL;
		p->stats.upstream_connect_failures++;
		p->ep_stats[pc->ep].connect_failures++;
		gw_proxy_ep_failed(p, pc->mesh, pc->cluster, pc->ep);
	}
	if (pc->attempts > 0) {
		p->stats.upstream_connect_exhausted++;
		pc->reason = GW_ALOG_CONNECT_FAILED;
	} else {
		pc->reason = GW_ALOG_NO_ENDPOINT;
	}
	if (in_accept)
		pc->c[0] = NULL;
	pconn_abort(pc);
	return false;
}

/* The upstream attempt failed (refused, reset, timed out): the next one. */
static void
attempt_failed(struct pconn *pc, bool timeout)
{
	struct gw_proxy *p = pc->p;

	p->stats.upstream_connect_failures++;
	if (timeout)
		p->stats.upstream_connect_timeouts++;
	p->ep_stats[pc->ep].connect_failures++;
	gw_proxy_ep_failed(p, pc->mesh, pc->cluster, pc->ep);
	try_connect(pc, false);
}

/* ---- data ------------------------------------------------------------------ */

static void
hold(struct pconn *pc, int i, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint16_t segs = m->nb_segs;

	if (pc->held[i] == NULL) {
		pc->held[i] = m;
	} else if (rte_pktmbuf_chain(pc->held[i], m) != 0) {
		/* past 65535 segments held: cannot happen within a window */
		rte_pktmbuf_free(m);
		pc->reason = GW_ALOG_ERROR;
		pconn_abort(pc);
		return;
	}
	pc->held_len[i] += len;
	pc->p->stats.mbufs_held += segs;
}

static void
shut_if_done(struct pconn *pc, int i)
{
	int o = 1 - i;

	/* leg i's FIN goes on to leg o once everything before it did */
	if ((pc->flags & (PC_FIN_IN0 << i)) && pc->held[i] == NULL && pc->c[o] != NULL &&
	    (pc->flags & PC_CONNECTED) && !(pc->flags & (PC_SHUT0 << o))) {
		pc->flags |= PC_SHUT0 << o;
		leg_shutdown(pc, o);
	}
}

/* Moves what leg i holds to leg o. False when pc is gone. */
static bool
flush(struct pconn *pc, int i)
{
	struct gw_proxy *p = pc->p;
	int o = 1 - i, rc;
	struct rte_mbuf *m = pc->held[i];
	uint32_t len = pc->held_len[i];
	uint16_t segs;

	if (m == NULL || pc->c[o] == NULL || !(pc->flags & PC_CONNECTED))
		return true;
	/* detached while the stack has it: a callback from inside the send
	 * may free pc, and must not free m with it */
	segs = m->nb_segs;
	pc->held[i] = NULL;
	pc->held_len[i] = 0;
	p->stats.mbufs_held -= segs;
	rc = leg_send(pc, o, m);
	if (!(pc->flags & PC_IN_USE)) {
		if (rc != 0)
			rte_pktmbuf_free(m);
		return false; /* the send failed a leg, and with it both */
	}
	if (rc == -EAGAIN) {
		/* `writable` on leg o calls again */
		pc->held[i] = m;
		pc->held_len[i] = len;
		p->stats.mbufs_held += segs;
		return true;
	}
	if (rc != 0) {
		/* leg o cannot send any more (it was shut or failed) */
		rte_pktmbuf_free(m);
		pc->reason = GW_ALOG_ERROR;
		pconn_abort(pc);
		return false;
	}
	if (i == 0) {
		p->stats.bytes_to_upstream += len;
		p->ep_stats[pc->ep].bytes_sent += len;
	} else {
		p->stats.bytes_to_client += len;
		p->ep_stats[pc->ep].bytes_received += len;
	}
	pc->last_active = p->now;
	pc->bytes[i] += len;
	if (pc->c[i] != NULL)
		leg_consumed(pc, i, len);
	shut_if_done(pc, i);
	return true;
}

static void
on_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct pconn *pc = ctx;
	int i = leg_of(pc, c);

	hold(pc, i, m);
	if (pc->flags & PC_IN_USE)
		flush(pc, i);
}

static void
on_writable(void *ctx, struct stk_conn *c)
{
	struct pconn *pc = ctx;

	flush(pc, 1 - leg_of(pc, c));
}

static void
on_peer_closed(void *ctx, struct stk_conn *c)
{
	struct pconn *pc = ctx;
	int i = leg_of(pc, c);

	pc->flags |= PC_FIN_IN0 << i;
	shut_if_done(pc, i);
}

static void
on_reset(void *ctx, struct stk_conn *c, int err)
{
	struct pconn *pc = ctx;
	struct gw_proxy *p = pc->p;
	int i = leg_of(pc, c), o = 1 - i;

	(void)err;
	if (i == 1 && !(pc->flags & PC_CONNECTED))
		return; /* a failed connect: `closed` tries the next endpoint */
	if (i == 0) {
		p->stats.client_resets++;
		pc->reason = GW_ALOG_CLIENT_RESET;
	} else {
		pc->reason = GW_ALOG_UPSTREAM_RESET;
		p->stats.upstream_resets++;
		p->ep_stats[pc->ep].resets++;
		gw_proxy_ep_failed(p, pc->mesh, pc->cluster, pc->ep);
	}
	/* the other leg goes down with it, now */
	leg_abort(pc, o);
}

static void
on_closed(void *ctx, struct stk_conn *c)
{
	struct pconn *pc = ctx;
	int i = leg_of(pc, c);

	pc->c[i] = NULL;
	pc->tls[i] = NULL; /* gone with its connection */
	if (i == 1 && !(pc->flags & PC_CONNECTED) && pc->c[0] != NULL) {
		attempt_failed(pc, false);
		return;
	}
	if (pc->c[1 - i] != NULL && (pc->flags & PC_CONNECTED) &&
	    !(pc->flags & (PC_FIN_IN0 << i))) {
		/* gone without a FIN from it: the other side must not wait */
		leg_abort(pc, 1 - i);
	}
	pconn_maybe_free(pc);
}

static void
on_connected(void *ctx, struct stk_conn *c)
{
	struct pconn *pc = ctx;
	struct gw_proxy *p = pc->p;
	const struct gw_cluster *gc = &pc->mesh->clusters[pc->cluster];
	struct stk_conn_info info;

	memset(&info, 0, sizeof(info));
	stk_conn_get_info(c, &info);
	pc->laddr = info.laddr;
	pc->lport = info.lport;
	pc->flags |= PC_CONNECTED | PC_COUNTED;
	pc->flags &= ~PC_PENDING;
	p->cl_stats[pc->cluster].pending--;
	p->ep_stats[pc->ep].connections++;
	p->ep_stats[pc->ep].active++;
	p->ep_stats[pc->ep].consecutive_failures = 0;
	pc->last_active = p->now;
	arm(pc, gc->conf.idle_timeout_us);
	if (gc->conf.proxy_protocol) {
		struct rte_mbuf *h =
			gw_pp2_header(p->pool, pc->saddr, pc->sport, pc->vaddr, pc->vport);

		if (h == NULL || stk_conn_send(pc->c[1], h) != 0) {
			rte_pktmbuf_free(h);
			pconn_abort(pc);
			return;
		}
	}
	if (flush(pc, 0))
		shut_if_done(pc, 0);
}

static void
timer_fired(struct rte_timer *t, void *arg)
{
	struct pconn *pc = arg;
	struct gw_proxy *p = pc->p;
	uint64_t idle_us = pc->mesh->clusters[pc->cluster].conf.idle_timeout_us;

	(void)t;
	if (!(pc->flags & PC_CONNECTED)) {
		/* connect_timeout (TLS handshake included): this attempt is over */
		leg_abort(pc, 1);
		attempt_failed(pc, true);
		return;
	}
	if (p->now - pc->last_active < us_to_tsc(p, idle_us)) {
		arm(pc,
		    (us_to_tsc(p, idle_us) - (p->now - pc->last_active)) / (p->hz / 1000000) + 1);
		return;
	}
	p->stats.idle_timeouts++;
	pc->reason = GW_ALOG_IDLE_TIMEOUT;
	pconn_abort(pc);
}

/* ---- accepting -------------------------------------------------------------- */

/* A client refused at once (reset by the stack): logged, no state kept. */
static int
refuse(struct gw_proxy *p, const struct vip_listener *vl, const struct stk_conn_info *info,
       enum gw_alog_reason why)
{
	struct gw_alog_rec r = {
		.start_tsc = p->now,
		.end_tsc = p->now,
		.caddr = info->raddr,
		.cport = info->rport,
		.vaddr = info->laddr,
		.vport = info->lport,
		.service = (uint16_t)vl->service,
		.cluster = (uint16_t)p->mesh->services[vl->service].cluster,
		.reason = (uint8_t)why,
		.worker = (uint16_t)p->worker_id,
	};

	if (p->alog != NULL)
		gw_alog_emit(p->alog, &r);
	return -1;
}

static int
on_accepted(void *lctx, struct stk_conn *c)
{
	struct vip_listener *vl = lctx;
	struct gw_proxy *p = vl->p;
	const struct ctl_service_conf *svc = &p->mesh->services[vl->service];
	const struct gw_cluster *gc = &p->mesh->clusters[svc->cluster];
	struct gw_proxy_cluster_stats *cs = &p->cl_stats[svc->cluster];
	struct stk_conn_info info;
	struct pconn *pc;

	p->stats.accepted++;
	p->svc_stats[vl->service].connections++;
	if (svc->protocol == CTL_PROTO_HTTP) {
		if (p->http == NULL) { /* its state could not be allocated at a reload */
			p->stats.http_unavailable++;
			return -1;
		}
		return gw_http_accept(p->http, vl->service, c);
	}
	memset(&info, 0, sizeof(info));
	stk_conn_get_info(c, &info);
	switch (gw_mesh_authorize(p->mesh, vl->service, p->worker_id, info.raddr, info.lport,
				  NULL)) {
	case GW_AUTHZ_DENY:
		p->stats.policy_denied++;
		return refuse(p, vl, &info, GW_ALOG_POLICY_DENIED);
	case GW_AUTHZ_UNKNOWN_SOURCE:
		p->stats.policy_denied++;
		p->stats.policy_unknown_source++;
		return refuse(p, vl, &info, GW_ALOG_UNKNOWN_SOURCE);
	case GW_AUTHZ_DRY_RUN_DENY:
		p->stats.policy_dry_run_denied++;
		break;
	case GW_AUTHZ_ALLOW:
		break;
	}
	if (cs->active >= gc->worker_max_conns) {
		p->stats.cb_max_connections++;
		return refuse(p, vl, &info, GW_ALOG_CB_CONNECTIONS);
	}
	if (cs->pending >= gc->worker_max_pending) {
		p->stats.cb_max_pending++;
		return refuse(p, vl, &info, GW_ALOG_CB_PENDING);
	}
	pc = pconn_alloc(p);
	if (pc == NULL) {
		p->stats.pool_full++;
		return refuse(p, vl, &info, GW_ALOG_POOL_FULL);
	}
	pc->c[0] = c;
	pc->mesh = p->mesh;
	gw_mesh_hold(pc->mesh, p->worker_id);
	pc->service = (uint16_t)vl->service;
	pc->cluster = (uint16_t)svc->cluster;
	pc->saddr = info.raddr;
	pc->sport = info.rport;
	pc->vaddr = info.laddr;
	pc->vport = info.lport;
	cs->active++;
	p->svc_stats[vl->service].active++;
	p->stats.active++;
	if (svc->tls != 0) {
		/* TLS ingress: the client leg's plaintext comes through gw_tls */
		int rc = gw_tls_attach(p->tls, gw_mesh_tls_ctx(p->mesh, svc->tls, p->worker_id), c,
				       NULL, &client_tls_ops, pc, &pc->tls[0]);

		if (rc != 0) { /* the stack resets c */
			p->stats.tls_failures++;
			pc->c[0] = NULL;
			pc->reason = GW_ALOG_ERROR;
			pconn_free(pc);
			return -1;
		}
	} else {
		stk_conn_set_ops(c, &client_ops, pc);
	}
	return try_connect(pc, true) ? 0 : -1;
}

static int
on_tls_handshake(void *ctx, struct stk_conn *c, struct gw_tls *t)
{
	(void)ctx;
	(void)c;
	(void)t;
	return 0; /* the context verified what it had to (client_ca) */
}

/* Egress: the endpoint's certificate verified (chain, and name when set). */
static int
on_upstream_tls(void *ctx, struct stk_conn *c, struct gw_tls *t)
{
	(void)t;
	on_connected(ctx, c);
	return 0;
}

static const struct gw_tls_ops upstream_tls_ops = {
	.handshake_done = on_upstream_tls,
	.data = on_data,
	.writable = on_writable,
	.peer_closed = on_peer_closed,
	.reset = on_reset,
	.closed = on_closed,
};

static const struct gw_tls_ops client_tls_ops = {
	.handshake_done = on_tls_handshake,
	.data = on_data,
	.writable = on_writable,
	.peer_closed = on_peer_closed,
	.reset = on_reset,
	.closed = on_closed,
};

static const struct stk_tcp_ops client_ops = {
	.data = on_data,
	.writable = on_writable,
	.peer_closed = on_peer_closed,
	.reset = on_reset,
	.closed = on_closed,
};

static const struct stk_tcp_ops upstream_ops = {
	.connected = on_connected,
	.data = on_data,
	.writable = on_writable,
	.peer_closed = on_peer_closed,
	.reset = on_reset,
	.closed = on_closed,
};

static const struct stk_tcp_ops listener_ops = {
	.accepted = on_accepted,
};

void
gw_proxy_set_tls(struct gw_proxy *p, struct gw_tls_worker *tls)
{
	p->tls = tls;
}

void
gw_proxy_describe(const struct gw_proxy *p, const struct stk_conn_info *ci,
		  struct gw_proxy_leg *leg)
{
	const struct pconn *pc = ci->app_ctx;
	struct stk_conn_info other;
	int i;

	const struct gw_tls_ops *tops = NULL;
	void *tctx = NULL;
	bool tls = gw_tls_app_of(ci, &tops, &tctx) &&
		   (tops == &client_tls_ops || tops == &upstream_tls_ops);

	memset(leg, 0, sizeof(*leg));
	if (tls)
		pc = tctx;
	if (!tls && ci->ops != &client_ops && ci->ops != &upstream_ops) {
		if (p->http != NULL)
			gw_http_describe(p->http, ci, leg);
		return;
	}
	if (pc < p->conns || pc >= p->conns + p->n_conns || !(pc->flags & PC_IN_USE))
		return;
	i = tls ? (tops == &client_tls_ops ? 0 : 1) : ci->ops == &client_ops ? 0 : 1;
	leg->role = i == 0 ? GW_LEG_CLIENT : GW_LEG_UPSTREAM;
	leg->id = (uint32_t)(pc - p->conns);
	leg->service = pc->service;
	leg->cluster = pc->cluster;
	leg->ep = pc->ep;
	if (pc->c[1 - i] == NULL)
		return;
	stk_conn_get_info(pc->c[1 - i], &other);
	leg->peer_laddr = other.laddr;
	leg->peer_lport = other.lport;
	leg->peer_raddr = other.raddr;
	leg->peer_rport = other.rport;
}

/* ---- life cycle ----------------------------------------------------------------- */

#define N_LISTENERS (GW_SLOTS_SERVICES * CTL_MAX_SERVICE_VIPS)

static int
listen_vip(struct gw_proxy *p, unsigned int s, unsigned int v, char *err, size_t errlen)
{
	const struct ctl_service_conf *svc = &p->mesh->services[s];
	struct vip_listener *vl = &p->listeners[s * CTL_MAX_SERVICE_VIPS + v];
	int rc;

	vl->p = p;
	vl->service = s;
	vl->addr = svc->vips[v].addr;
	vl->port = svc->vips[v].port;
	rc = stk_tcp_listen(p->stk, vl->addr, vl->port, &listener_ops, vl, &vl->l);
	if (rc != 0) {
		vl->l = NULL;
		snprintf(err, errlen, "service %s: cannot listen on VIP %u.%u.%u.%u:%u: %s",
			 svc->name, vl->addr >> 24, (vl->addr >> 16) & 0xff, (vl->addr >> 8) & 0xff,
			 vl->addr & 0xff, vl->port, strerror(-rc));
	}
	return rc;
}

int
gw_proxy_start(struct gw_proxy *p, char *err, size_t errlen)
{
	for (unsigned int s = 0; s < p->mesh->n_services; s++)
		for (unsigned int v = 0;
		     gw_mesh_has_service(p->mesh, s) && v < p->mesh->services[s].n_vips; v++) {
			int rc = listen_vip(p, s, v, err, errlen);

			if (rc != 0)
				return rc;
		}
	return 0;
}

/* Whether listener k still serves the same VIP in mesh. */
static bool
listener_kept(const struct gw_mesh *mesh, const struct vip_listener *vl, unsigned int k)
{
	unsigned int s = k / CTL_MAX_SERVICE_VIPS, v = k % CTL_MAX_SERVICE_VIPS;

	return gw_mesh_has_service(mesh, s) && v < mesh->services[s].n_vips &&
	       mesh->services[s].vips[v].addr == vl->addr &&
	       mesh->services[s].vips[v].port == vl->port;
}

static void
clear_fresh(struct gw_proxy *p, const struct gw_mesh *mesh)
{
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_ENDPOINT]; i++)
		memset(&p->ep_stats[mesh->fresh[GW_SLOT_ENDPOINT][i]], 0, sizeof(*p->ep_stats));
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_CLUSTER]; i++)
		memset(&p->cl_stats[mesh->fresh[GW_SLOT_CLUSTER][i]], 0, sizeof(*p->cl_stats));
	for (unsigned int i = 0; i < mesh->n_fresh[GW_SLOT_SERVICE]; i++)
		memset(&p->svc_stats[mesh->fresh[GW_SLOT_SERVICE][i]], 0, sizeof(*p->svc_stats));
}

static bool
has_http(const struct gw_mesh *mesh)
{
	for (unsigned int s = 0; s < mesh->n_services; s++)
		if (gw_mesh_has_service(mesh, s) && mesh->services[s].protocol == CTL_PROTO_HTTP)
			return true;
	return false;
}

/* The HTTP state exists only once a generation has an HTTP service: an L4
 * node does not pay its pools. Published for the control thread's readers. */
static int
http_ensure(struct gw_proxy *p)
{
	struct gw_http *h;

	if (p->http != NULL || !has_http(p->mesh))
		return 0;
	h = gw_http_create(p, p->n_conns, p->socket);
	if (h == NULL)
		return -ENOMEM;
	__atomic_store_n(&p->http, h, __ATOMIC_RELEASE);
	return 0;
}

void
gw_proxy_set_mesh(struct gw_proxy *p, const struct gw_mesh *mesh)
{
	const struct gw_mesh *old = p->mesh;
	char err[160];

	if (mesh == old)
		return;
	clear_fresh(p, mesh);
	p->mesh = mesh;
	if (p->http != NULL)
		gw_http_set_mesh(p->http, mesh);
	else if (http_ensure(p) != 0)
		GW_LOG(ERROR,
		       "worker %u: generation %" PRIu64 ": no memory for the HTTP proxy: "
		       "its services refuse connections",
		       p->worker_id, mesh->generation);
	if (p->draining)
		return;
	/* listeners follow the VIPs; accepted connections are not touched */
	for (unsigned int k = 0; k < N_LISTENERS; k++) {
		struct vip_listener *vl = &p->listeners[k];

		if (vl->l != NULL && !listener_kept(mesh, vl, k)) {
			stk_tcp_unlisten(p->stk, vl->l);
			vl->l = NULL;
		}
	}
	for (unsigned int s = 0; s < mesh->n_services; s++)
		for (unsigned int v = 0;
		     gw_mesh_has_service(mesh, s) && v < mesh->services[s].n_vips; v++)
			if (p->listeners[s * CTL_MAX_SERVICE_VIPS + v].l == NULL &&
			    listen_vip(p, s, v, err, sizeof(err)) != 0) {
				p->stats.listen_failures++;
				GW_LOG(ERROR, "worker %u: generation %" PRIu64 ": %s", p->worker_id,
				       mesh->generation, err);
			}
}

void
gw_proxy_stop(struct gw_proxy *p)
{
	for (uint32_t i = 0; i < p->n_conns; i++)
		if (p->conns[i].flags & PC_IN_USE) {
			p->conns[i].reason = GW_ALOG_SHUTDOWN;
			pconn_abort(&p->conns[i]);
		}
	if (p->http != NULL)
		gw_http_stop(p->http);
	gw_proxy_unlisten(p);
}

void
gw_proxy_drain(struct gw_proxy *p)
{
	p->draining = true;
	gw_proxy_unlisten(p);
	if (p->http != NULL)
		gw_http_drain(p->http);
}

const struct gw_http_stats *
gw_proxy_http_stats(const struct gw_proxy *p)
{
	const struct gw_http *h = __atomic_load_n(&p->http, __ATOMIC_ACQUIRE);

	return h != NULL ? gw_http_get_stats(h) : NULL;
}

const struct gw_http_svc_stats *
gw_proxy_http_svc_stats(const struct gw_proxy *p)
{
	const struct gw_http *h = __atomic_load_n(&p->http, __ATOMIC_ACQUIRE);

	return h != NULL ? gw_http_get_svc_stats(h) : NULL;
}

const struct gw_http_route_stats *
gw_proxy_http_route_stats(const struct gw_proxy *p)
{
	const struct gw_http *h = __atomic_load_n(&p->http, __ATOMIC_ACQUIRE);

	return h != NULL ? gw_http_get_route_stats(h) : NULL;
}

const uint64_t *
gw_proxy_http_no_route(const struct gw_proxy *p)
{
	const struct gw_http *h = __atomic_load_n(&p->http, __ATOMIC_ACQUIRE);

	return h != NULL ? gw_http_get_no_route(h) : NULL;
}

void
gw_proxy_unlisten(struct gw_proxy *p)
{
	for (unsigned int k = 0; k < N_LISTENERS; k++) {
		stk_tcp_unlisten(p->stk, p->listeners[k].l);
		p->listeners[k].l = NULL;
	}
}

unsigned int
gw_proxy_poll(struct gw_proxy *p, uint64_t now)
{
	p->now = now;
	/* timers: connects, idle connections, HTTP deadlines and idle pools */
	if (p->stats.active == 0 &&
	    (p->http == NULL || gw_http_get_stats(p->http)->upstream_idle == 0))
		return 0;
	rte_timer_manage();
	return 0;
}

struct gw_proxy *
gw_proxy_create(struct stk_ctx *stk, const struct gw_mesh *mesh, const struct gw_ep_shared *shared,
		struct rte_mempool *pool, struct gw_alog_q *alog, uint32_t max_conns,
		unsigned int worker_id, uint64_t hz, gw_proxy_eject_fn eject, void *eject_arg,
		int socket)
{
	struct gw_proxy *p =
		rte_zmalloc_socket("gw_proxy", sizeof(*p), RTE_CACHE_LINE_SIZE, socket);

	if (p == NULL)
		goto nomem;
	p->stk = stk;
	p->pool = pool;
	p->alog = alog;
	p->mesh = mesh;
	p->shared = shared;
	p->eject = eject;
	p->eject_arg = eject_arg;
	p->hz = hz;
	p->worker_id = worker_id;
	p->n_conns = max_conns;
	p->conns = rte_zmalloc_socket("gw_proxy_conns", sizeof(*p->conns) * (max_conns + 1), 0,
				      socket);
	p->free_idx =
		rte_malloc_socket("gw_proxy_free", sizeof(uint32_t) * (max_conns + 1), 0, socket);
	/* by slot, so they outlive snapshots */
	p->ep_stats = rte_zmalloc_socket("gw_proxy_eps", sizeof(*p->ep_stats) * GW_SLOTS_ENDPOINTS,
					 RTE_CACHE_LINE_SIZE, socket);
	p->cl_stats = rte_zmalloc_socket("gw_proxy_cls", sizeof(*p->cl_stats) * GW_SLOTS_CLUSTERS,
					 RTE_CACHE_LINE_SIZE, socket);
	p->svc_stats =
		rte_zmalloc_socket("gw_proxy_svcs", sizeof(*p->svc_stats) * GW_SLOTS_SERVICES,
				   RTE_CACHE_LINE_SIZE, socket);
	p->listeners =
		rte_zmalloc_socket("gw_proxy_lsn", sizeof(*p->listeners) * N_LISTENERS, 0, socket);
	if (p->conns == NULL || p->free_idx == NULL || p->ep_stats == NULL || p->cl_stats == NULL ||
	    p->svc_stats == NULL || p->listeners == NULL)
		goto nomem;
	for (uint32_t i = 0; i < max_conns; i++) {
		rte_timer_init(&p->conns[i].timer);
		p->free_idx[i] = max_conns - 1 - i;
	}
	p->n_free = max_conns;
	p->socket = socket;
	if (http_ensure(p) != 0)
		goto nomem;
	return p;
nomem:
	gw_proxy_free(p);
	errno = ENOMEM;
	return NULL;
}

void
gw_proxy_free(struct gw_proxy *p)
{
	if (p == NULL)
		return;
	gw_http_free(p->http);
	rte_free(p->listeners);
	rte_free(p->svc_stats);
	rte_free(p->cl_stats);
	rte_free(p->ep_stats);
	rte_free(p->free_idx);
	rte_free(p->conns);
	rte_free(p);
}

const struct gw_proxy_stats *
gw_proxy_get_stats(const struct gw_proxy *p)
{
	return &p->stats;
}

const struct gw_proxy_ep_stats *
gw_proxy_get_ep_stats(const struct gw_proxy *p)
{
	return p->ep_stats;
}

const struct gw_proxy_cluster_stats *
gw_proxy_get_cluster_stats(const struct gw_proxy *p)
{
	return p->cl_stats;
}

const struct gw_proxy_service_stats *
gw_proxy_get_service_stats(const struct gw_proxy *p)
{
	return p->svc_stats;
}

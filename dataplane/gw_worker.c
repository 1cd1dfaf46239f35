/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_worker.c - worker lifecycle and the lcore loop (see gw_worker.h).
 *
 * One loop turn: take the current snapshot, receive a burst on every port
 * (through rx impairment), hand foreign flows to their owners, run the stack
 * on what is ours and on what others handed us, release due impaired
 * packets, run commands, stack timers, flush tx, then report a quiescent
 * state. Under the adaptive idle policy a worker that found nothing for
 * idle_polls turns goes offline for RCU and sleeps with exponential back-off.
 */
#include "gw_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_timer.h>

#include "gw_eal.h"
#include "gw_log.h"
#include "gw_outlier.h"
#include "gw_tls.h"

#define RX_BURST_MAX	  256
#define INBOX_SIZE	  64
#define EVENTS_SIZE	  1024
#define ALOG_RECORDS	  8191 /* access-log records in flight per worker */
#define HEALTH_MAX_CHECKS 256  /* health-check connections open at once per worker */
#define TLS_HS_BUDGET	  32 /* TLS handshake steps per loop turn: a burst cannot starve traffic */
#define IMPAIR_OUTMAX	  (2 * RX_BURST_MAX)

/* ---- transmit ----------------------------------------------------- */

static void
tx_burst(struct gw_worker *w, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	uint16_t port_id = w->dp->ports[port_idx].port_id;
	uint16_t sent = 0;

	while (sent < n) {
		uint16_t k = rte_eth_tx_burst(port_id, w->id, pkts + sent, n - sent);
		if (k == 0)
			break;
		sent += k;
	}
	for (unsigned int i = 0; i < sent; i++)
		w->stats.tx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	w->stats.tx_pkts += sent;
	if (sent < n) {
		w->stats.tx_drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

/* The stack's tx callback: through tx impairment to the PMD. */
static void
stack_tx(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	struct gw_worker *w = arg;
	struct gw_impair *im = w->imp_tx[port_idx];
	struct rte_mbuf *out[IMPAIR_OUTMAX];

	if (im == NULL) {
		tx_burst(w, port_idx, pkts, n);
		return;
	}
	n = gw_impair_apply(im, pkts, n, w->now, out, RTE_DIM(out));
	tx_burst(w, port_idx, out, n);
}

/* ---- receive -------------------------------------------------------- */

/* Copies an ARP frame to every other worker so each can learn the mapping. */
static void
arp_fanout(struct gw_worker *w, struct rte_mbuf *m)
{
	for (unsigned int i = 0; i < w->dp->n_workers; i++) {
		if (i == w->id)
			continue;
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (c == NULL) {
			w->stats.arp_copy_drops++;
			continue;
		}
		stk_mbuf_priv(c)->flags = STK_MF_LEARN_ONLY;
		if (rte_ring_mp_enqueue(w->dp->workers[i]->redirect, c) != 0) {
			rte_pktmbuf_free(c);
			w->stats.arp_copy_drops++;
			continue;
		}
		w->stats.arp_copies++;
	}
}

/* Keeps our frames in pkts (compacted) and hands the rest to their owners.
 * Returns how many stay. */
static unsigned int
steer(struct gw_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int keep = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int owner = stk_pkt_owner(w->stk, m);

		if (owner == STK_OWNER_ALL) {
			/* flags may be stale from the mbuf's earlier life as a copy */
			stk_mbuf_priv(m)->flags = 0;
			arp_fanout(w, m);
			pkts[keep++] = m;
		} else if ((unsigned int)owner == w->id) {
			pkts[keep++] = m;
		} else if (rte_ring_mp_enqueue(w->dp->workers[owner]->redirect, m) == 0) {
			w->stats.redirected_out++;
		} else {
			w->stats.redirect_drops++;
			rte_pktmbuf_free(m);
		}
	}
	return keep;
}

static void
deliver(struct gw_worker *w, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	w->stats.rx_pkts += n;
	if (w->dp->n_workers > 1)
		n = steer(w, pkts, n);
	if (n > 0)
		stk_input(w->stk, port_idx, pkts, n, w->now);
}

static unsigned int
rx_port(struct gw_worker *w, uint16_t port_idx, uint16_t burst)
{
	struct rte_mbuf *pkts[RX_BURST_MAX];
	struct rte_mbuf *out[IMPAIR_OUTMAX];
	struct gw_impair *im = w->imp_rx[port_idx];
	uint16_t n = rte_eth_rx_burst(w->dp->ports[port_idx].port_id, w->id, pkts, burst);
	unsigned int k;

	if (im == NULL) {
		if (n > 0)
			deliver(w, port_idx, pkts, n);
		return n;
	}
	k = n ? gw_impair_apply(im, pkts, n, w->now, out, RTE_DIM(out))
	      : gw_impair_poll(im, w->now, out, RTE_DIM(out));
	if (k > 0)
		deliver(w, port_idx, out, k);
	return n + k;
}

/* Frames other workers handed us, grouped by input port for the stack. */
static unsigned int
rx_redirected(struct gw_worker *w)
{
	struct rte_mbuf *pkts[RX_BURST_MAX];
	unsigned int n = rte_ring_sc_dequeue_burst(w->redirect, (void **)pkts, RTE_DIM(pkts), NULL);
	unsigned int i = 0;

	w->stats.redirected_in += n;
	while (i < n) {
		uint16_t port = pkts[i]->port;
		unsigned int j = i + 1;
		while (j < n && pkts[j]->port == port)
			j++;
		stk_input(w->stk, w->port_idx[port], pkts + i, j - i, w->now);
		i = j;
	}
	return n;
}

static void
tx_impair_poll(struct gw_worker *w)
{
	struct rte_mbuf *out[IMPAIR_OUTMAX];

	for (uint16_t p = 0; p < w->dp->n_ports; p++) {
		if (w->imp_tx[p] == NULL)
			continue;
		unsigned int n = gw_impair_poll(w->imp_tx[p], w->now, out, RTE_DIM(out));
		if (n > 0)
			tx_burst(w, p, out, n);
	}
}

/* ---- commands ------------------------------------------------------- */

/* Hands a command back to the control thread. */
static void
cmd_complete(struct gw_worker *w, struct gw_cmd *c)
{
	w->stats.cmds++;
	/* the event ring is larger than the inbox (and at most one probe is
	 * out), so a completion should always fit */
	if (rte_ring_sp_enqueue(w->events, c) != 0)
		w->stats.event_drops++;
}

/* gw_diag's done callback: a probe finished. */
static void
probe_done(void *arg, void *token)
{
	struct gw_cmd *c = token;

	c->rc = c->probe.err;
	cmd_complete(arg, c);
}

struct dump_arg {
	const struct gw_worker *w;
	struct gw_cmd *c;
};

/* stk_tcp_foreach's callback for GW_CMD_TCP_DUMP. */
static void
dump_conn(void *arg, const struct stk_conn_info *ci)
{
	const struct dump_arg *a = arg;
	struct gw_cmd *c = a->c;
	struct gw_conn_entry *e;

	if (c->conns.port >= 0 && ci->lport != c->conns.port && ci->rport != c->conns.port)
		return;
	if (c->conns.state >= 0 && ci->state != (enum stk_tcp_state)c->conns.state)
		return;
	if (c->conns.n < c->conns.max) {
		e = &c->conns.entries[c->conns.n++];
		e->tcp = *ci;
		e->tcp.ops = NULL; /* worker pointers do not leave the worker */
		e->tcp.app_ctx = NULL;
		if (a->w->proxy != NULL)
			gw_proxy_describe(a->w->proxy, ci, &e->leg);
		else
			e->leg.role = GW_LEG_NONE;
	}
	c->conns.matched++;
}

static void
run_cmd(struct gw_worker *w, struct gw_cmd *c)
{
	switch (c->type) {
	case GW_CMD_NOP:
		c->rc = 0;
		break;
	case GW_CMD_ARP_DUMP:
		c->arp.n = stk_arp_dump(w->stk, c->arp.entries, c->arp.max, w->now);
		c->rc = 0;
		break;
	case GW_CMD_TCP_DUMP:
		c->conns.n = 0;
		c->conns.matched = 0;
		stk_tcp_foreach(w->stk, dump_conn, &(struct dump_arg){w, c});
		c->rc = 0;
		break;
	case GW_CMD_DRAIN:
		gw_diag_unlisten(w->diag);
		gw_proxy_drain(w->proxy);
		c->rc = 0;
		break;
	case GW_CMD_TCP_PROBE:
		c->rc = gw_diag_probe_start(w->diag, &c->probe, c, w->now, w->dp->hz);
		if (c->rc == 0)
			return; /* probe_done() completes it */
		break;
	default:
		c->rc = -ENOTSUP;
	}
	cmd_complete(w, c);
}

static unsigned int
poll_inbox(struct gw_worker *w)
{
	void *cmds[8];
	unsigned int n = rte_ring_sc_dequeue_burst(w->inbox, cmds, RTE_DIM(cmds), NULL);

	for (unsigned int i = 0; i < n; i++)
		run_cmd(w, cmds[i]);
	return n;
}

/* ---- the loop ------------------------------------------------------- */

/* The stack's mbuf usage for `stats`, published for other threads to read. */
static void
publish_usage(struct gw_worker *w)
{
	struct stk_mbuf_usage u;

	stk_mbuf_usage(w->stk, &u);
	__atomic_store_n(&w->usage.snd_queue, u.snd_queue, __ATOMIC_RELAXED);
	__atomic_store_n(&w->usage.rcv_queue, u.rcv_queue, __ATOMIC_RELAXED);
	__atomic_store_n(&w->usage.ooo, u.ooo, __ATOMIC_RELAXED);
	__atomic_store_n(&w->usage.arp_pending, u.arp_pending, __ATOMIC_RELAXED);
	w->usage_tsc = w->now;
}

static void
idle_sleep(struct gw_worker *w, uint64_t *backoff_us)
{
	const struct ctl_workers_conf *wc = &w->dp->conf->workers;

	publish_usage(w);
	gw_snapmgr_offline(w->dp->snap, w->id);
	usleep((useconds_t)*backoff_us);
	gw_snapmgr_online(w->dp->snap, w->id);
	w->stats.sleeps++;
	*backoff_us = RTE_MIN(*backoff_us * 2, wc->idle_sleep_max_us);
}

static unsigned int
loop_turn(struct gw_worker *w, uint16_t burst)
{
	unsigned int work = 0;

	work += gw_proxy_poll(w->proxy, w->now);
	for (uint16_t p = 0; p < w->dp->n_ports; p++)
		work += rx_port(w, p, burst);
	if (w->dp->n_workers > 1)
		work += rx_redirected(w);
	tx_impair_poll(w);
	work += poll_inbox(w);
	work += gw_diag_poll(w->diag, w->now);
	stk_poll(w->stk, w->now);
	gw_health_poll(w->health, w->now);
	gw_tls_poll(w->tls);
	stk_flush(w->stk);
	if (w->now - w->usage_tsc > w->dp->hz / 1000)
		publish_usage(w);
	return work;
}

static int
worker_main(void *arg)
{
	struct gw_worker *w = arg;
	const struct ctl_workers_conf *wc = &w->dp->conf->workers;
	uint16_t burst = (uint16_t)RTE_MIN(wc->burst, RX_BURST_MAX);
	uint32_t empty = 0;
	uint64_t backoff_us = 1;
	uint64_t prev = rte_rdtsc();
	char err[256];
	int rc;

	gw_snapmgr_register(w->dp->snap, w->id);
	w->now = prev;
	stk_set_vips(w->stk, gw_snapmgr_current(w->dp->snap)->mesh->vips);
	rc = gw_diag_start(w->diag, err, sizeof(err));
	if (rc == 0)
		rc = gw_proxy_start(w->proxy, err, sizeof(err));
	if (rc != 0) {
		GW_LOG(ERROR, "worker %u: %s", w->id, err);
		gw_proxy_stop(w->proxy);
		gw_diag_stop(w->diag);
		gw_snapmgr_unregister(w->dp->snap, w->id);
		__atomic_store_n(&w->failed, rc, __ATOMIC_RELEASE);
		return rc;
	}
	if (w->id == 0)
		for (uint16_t p = 0; p < w->dp->n_ports; p++)
			stk_announce(w->stk, p, w->now);
	__atomic_store_n(&w->running, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->dp->stop, __ATOMIC_RELAXED)) {
		const struct gw_snapshot *s = gw_snapmgr_current(w->dp->snap);
		stk_set_routes(w->stk, s->routes);
		stk_set_vips(w->stk, s->mesh->vips);
		gw_proxy_set_mesh(w->proxy, s->mesh);
		w->now = rte_rdtsc();
		if (s->mesh != w->health_mesh) {
			gw_health_update(w->health, s->mesh, w->now);
			w->health_mesh = s->mesh;
		}
		unsigned int work = loop_turn(w, burst);
		gw_snapmgr_quiescent(w->dp->snap, w->id, s->generation);
		uint64_t end = rte_rdtsc();
		w->stats.loops++;
		if (work) {
			w->stats.busy_cycles += end - prev;
			empty = 0;
			backoff_us = 1;
		} else {
			w->stats.idle_cycles += end - prev;
			if (wc->idle == CTL_IDLE_ADAPTIVE && ++empty >= wc->idle_polls)
				idle_sleep(w, &backoff_us);
		}
		prev = rte_rdtsc();
	}
	gw_health_update(w->health, NULL, w->now); /* the mesh may go once we stop */
	w->health_mesh = NULL;
	gw_proxy_stop(w->proxy);
	gw_diag_stop(w->diag);
	stk_flush(w->stk);
	gw_snapmgr_unregister(w->dp->snap, w->id);
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}

/* ---- set-up and teardown -------------------------------------------- */

static struct rte_ring *
ring_create(const char *what, unsigned int id, unsigned int size, int socket, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s_%u", what, id);
	return rte_ring_create(name, size, socket, flags);
}

static int
worker_impair(struct gw_worker *w, const struct ctl_config *conf)
{
	for (unsigned int p = 0; p < conf->n_ports; p++) {
		const struct ctl_impair_conf *ic = &conf->ports[p].impair;
		if (!ic->enabled)
			continue;
		/* distinct, reproducible streams per (worker, port, direction) */
		uint64_t stream = ((uint64_t)w->id << 16) | ((uint64_t)p << 1);
		w->imp_rx[p] =
			gw_impair_create(&ic->rx, ic->seed, stream, w->dp->hz, SOCKET_ID_ANY);
		w->imp_tx[p] =
			gw_impair_create(&ic->tx, ic->seed, stream | 1, w->dp->hz, SOCKET_ID_ANY);
		if (w->imp_rx[p] == NULL || w->imp_tx[p] == NULL)
			return -ENOMEM;
		if (!gw_impair_active(w->imp_rx[p])) {
			gw_impair_free(w->imp_rx[p]);
			w->imp_rx[p] = NULL;
		}
		if (!gw_impair_active(w->imp_tx[p])) {
			gw_impair_free(w->imp_tx[p]);
			w->imp_tx[p] = NULL;
		}
	}
	return 0;
}

static void
tcp_conf(struct stk_tcp_conf *t, const struct ctl_tcp_conf *c)
{
	stk_tcp_conf_defaults(t);
	t->max_conns = c->max_conns;
	t->max_listeners = c->max_listeners;
	t->rcv_buf = c->rcv_buf;
	t->snd_buf = c->snd_buf;
	t->worker_mem_max = c->worker_mem_max;
	t->ooo_max = c->ooo_max;
	t->opt_wscale = c->window_scaling;
	t->opt_timestamps = c->timestamps;
	t->opt_sack = c->sack;
	t->nagle = c->nagle;
	t->cc = (enum stk_cc)c->congestion_control;
	t->rto_min_us = c->rto_min_us;
	t->rto_max_us = c->rto_max_us;
	t->rto_init_us = c->rto_initial_us;
	t->msl_us = c->msl_us;
	t->delack_us = c->delayed_ack_us;
	t->keepalive_idle_us = c->keepalive_idle_us;
	t->keepalive_intvl_us = c->keepalive_interval_us;
	t->keepalive_probes = c->keepalive_probes;
	t->syn_retries = c->syn_retries;
	t->fin_wait2_us = c->fin_wait2_timeout_us;
	t->syn_backlog = c->syn_backlog;
	t->syncookies = c->syncookies;
	t->challenge_ack_limit = c->challenge_ack_limit;
	t->eph_port_min = c->ephemeral_min;
	t->eph_port_max = c->ephemeral_max;
}

/* Worker: an ejection request to the control thread (dropped and counted
 * when the ring is full: the next failure asks again). */
static void
proxy_eject(void *arg, unsigned int ep)
{
	struct gw_worker *w = arg;

	if (rte_ring_sp_enqueue(w->events, gw_outlier_event(ep)) != 0)
		w->stats.event_drops++;
}

/* Worker: a health check's result to the control thread (dropped and
 * counted when the ring is full: the next check reports again). */
static void
health_result(void *arg, const struct gw_mesh *mesh, unsigned int ep, bool ok, uint8_t reason)
{
	struct gw_worker *w = arg;

	(void)mesh;
	if (rte_ring_sp_enqueue(w->events, gw_health_event(ep, ok, reason)) != 0)
		w->stats.event_drops++;
}

static void
worker_free(struct gw_worker *w)
{
	void *obj;

	if (w == NULL)
		return;
	gw_health_free(w->health); /* before its stack */
	w->health = NULL;
	stk_free(w->stk); /* may still report closed connections to diag */
	w->stk = NULL;
	gw_proxy_free(w->proxy);
	w->proxy = NULL;
	gw_tls_worker_free(w->tls); /* its connections went with the stack */
	w->tls = NULL;
	gw_alog_q_fini(&w->alog);
	gw_diag_free(w->diag);
	w->diag = NULL;
	for (unsigned int p = 0; p < STK_MAX_PORTS; p++) {
		gw_impair_free(w->imp_rx[p]);
		gw_impair_free(w->imp_tx[p]);
	}
	while (w->redirect != NULL && rte_ring_dequeue(w->redirect, &obj) == 0)
		rte_pktmbuf_free(obj);
	rte_ring_free(w->redirect);
	rte_ring_free(w->inbox);
	rte_ring_free(w->events);
	rte_free(w);
}

static struct gw_worker *
worker_create(struct gw_dp *dp, unsigned int id, unsigned int lcore)
{
	const struct ctl_config *conf = dp->conf;
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct gw_worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	struct stk_conf sc = {0};

	if (w == NULL)
		return NULL;
	w->id = id;
	w->lcore = lcore;
	w->dp = dp;
	w->pool = gw_eal_pool(conf, socket);
	w->redirect = ring_create("redir", id, conf->workers.redirect_ring, socket, RING_F_SC_DEQ);
	w->inbox = ring_create("inbox", id, INBOX_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->events = ring_create("events", id, EVENTS_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->pool == NULL || w->redirect == NULL || w->inbox == NULL || w->events == NULL)
		goto fail;
	sc.worker_id = id;
	sc.n_workers = dp->n_workers;
	sc.socket = socket;
	sc.pool = w->pool;
	sc.n_ports = dp->n_ports;
	for (unsigned int p = 0; p < dp->n_ports; p++) {
		sc.ports[p] = dp->ports[p].info;
		w->port_idx[dp->ports[p].port_id] = (uint8_t)p;
	}
	sc.arp = (struct stk_arp_conf){
		.cache_size = conf->arp.cache_size,
		.pending_max = conf->arp.pending_max,
		.retries = conf->arp.retries,
		.retry_ms = conf->arp.retry_us / 1000,
		.reachable_ms = conf->arp.reachable_us / 1000,
		.failed_ms = conf->arp.failed_us / 1000,
	};
	tcp_conf(&sc.tcp, &conf->tcp);
	sc.tx = stack_tx;
	sc.tx_arg = w;
	w->stk = stk_create(&sc);
	if (w->stk == NULL || worker_impair(w, conf) != 0)
		goto fail;
	w->diag = gw_diag_create(w->stk, w->pool, conf, socket, probe_done, w);
	if (w->diag == NULL)
		goto fail;
	if (conf->log.access_log[0] != '\0' &&
	    gw_alog_q_init(&w->alog, id, ALOG_RECORDS, socket) != 0)
		goto fail;
	/* each proxied connection takes two of the stack's */
	w->proxy = gw_proxy_create(w->stk, gw_snapmgr_current(dp->snap)->mesh, dp->ep_shared,
				   w->pool, w->alog.pool != NULL ? &w->alog : NULL,
				   RTE_MAX(conf->tcp.max_conns / 2, 1u), id, dp->hz, proxy_eject, w,
				   socket);
	if (w->proxy == NULL)
		goto fail;
	w->tls = gw_tls_worker_new(w->pool, TLS_HS_BUDGET, socket);
	if (w->tls == NULL)
		goto fail;
	gw_proxy_set_tls(w->proxy, w->tls);
	w->health = gw_health_create(w->stk, w->pool, HEALTH_MAX_CHECKS, id, dp->n_workers, dp->hz,
				     health_result, w);
	if (w->health == NULL)
		goto fail;
	return w;
fail:
	worker_free(w);
	return NULL;
}

static int
start_ports(struct gw_dp *dp, char *err, size_t errlen)
{
	for (unsigned int p = 0; p < dp->n_ports; p++) {
		int rc = gw_port_setup(dp->conf, p, &dp->ports[p], err, errlen);
		if (rc != 0)
			return rc;
		if (!dp->ports[p].rss && dp->n_workers > 1)
			GW_LOG(INFO, "port '%s': no RSS, flows are steered in software",
			       dp->ports[p].name);
	}
	return 0;
}

static int
start_workers(struct gw_dp *dp, char *err, size_t errlen)
{
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);

	for (unsigned int i = 0; i < dp->n_workers; i++) {
		if (lcore >= RTE_MAX_LCORE) {
			snprintf(err, errlen, "not enough lcores for %u workers", dp->n_workers);
			return -EINVAL;
		}
		dp->workers[i] = worker_create(dp, i, lcore);
		if (dp->workers[i] == NULL) {
			snprintf(err, errlen, "worker %u: cannot allocate its state", i);
			return -ENOMEM;
		}
		lcore = rte_get_next_lcore(lcore, 1, 0);
	}
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		int rc = rte_eal_remote_launch(worker_main, dp->workers[i], dp->workers[i]->lcore);
		if (rc != 0) {
			snprintf(err, errlen, "worker %u: launch failed", i);
			return rc;
		}
		dp->launched = true;
	}
	return 0;
}

int
gw_dp_start(struct gw_dp *dp, const struct ctl_config *conf, char *err, size_t errlen)
{
	struct gw_snapshot *s;
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp->conf = conf;
	dp->n_workers = conf->workers.count;
	dp->n_ports = conf->n_ports;
	dp->hz = rte_get_tsc_hz();
	rc = rte_timer_subsystem_init();
	if (rc != 0 && rc != -EALREADY) {
		snprintf(err, errlen, "timer subsystem: %s", rte_strerror(-rc));
		return rc;
	}
	dp->ep_shared = rte_zmalloc("ep_shared", sizeof(*dp->ep_shared) * GW_SLOTS_ENDPOINTS,
				    RTE_CACHE_LINE_SIZE);
	dp->slots = gw_slots_create();
	if (dp->ep_shared == NULL || dp->slots == NULL) {
		snprintf(err, errlen, "cannot allocate endpoint state");
		return -ENOMEM;
	}
	rc = start_ports(dp, err, errlen);
	if (rc != 0)
		return rc;
	dp->snap = gw_snapmgr_create(dp->n_workers);
	gw_slots_begin(dp->slots, 1, 1);
	/* the start-up config stays the caller's: dp->conf keeps pointing at it */
	s = dp->snap ? gw_snapshot_build(conf, 1, NULL, dp->slots, NULL) : NULL;
	if (s == NULL) {
		snprintf(err, errlen, "cannot build the first config snapshot: %s",
			 rte_strerror(errno));
		return -ENOMEM;
	}
	gw_snapmgr_publish(dp->snap, s);
	return start_workers(dp, err, errlen);
}

int
gw_dp_publish(struct gw_dp *dp, struct ctl_config *conf, char *err, size_t errlen)
{
	const struct gw_snapshot *cur = gw_snapmgr_current(dp->snap);
	uint64_t gen = cur->generation + 1;
	struct stk_vips *keep;
	struct gw_snapshot *s;
	int rc;

	if (!gw_snapmgr_all_acked(dp->snap)) {
		snprintf(err, errlen,
			 "generation %" PRIu64
			 " is not acknowledged by every worker yet: try again",
			 cur->generation);
		return -EBUSY;
	}
	if (gw_snapmgr_reclaim(dp->snap) == GW_SNAP_RETIRED_MAX) {
		snprintf(err, errlen,
			 "%u older generations are still held by open connections: try again "
			 "when some have closed",
			 GW_SNAP_RETIRED_MAX);
		return -EBUSY;
	}
	gw_slots_begin(dp->slots, gen, gw_snapmgr_oldest(dp->snap));
	keep = gw_snapmgr_held_vips(dp->snap);
	s = gw_snapshot_build(conf, gen, cur, dp->slots, keep);
	free(keep);
	if (s == NULL) {
		rc = -(errno ? errno : ENOMEM);
		snprintf(err, errlen, "cannot build generation %" PRIu64 ": %s%s", gen,
			 strerror(-rc),
			 rc == -ENOSPC ? " (ids of removed entities are still held by connections)"
				       : "");
		return rc;
	}
	/* a slot given to a new entity starts clean (its old holder is gone) */
	for (unsigned int i = 0; i < s->mesh->n_fresh[GW_SLOT_ENDPOINT]; i++)
		memset(&dp->ep_shared[s->mesh->fresh[GW_SLOT_ENDPOINT][i]], 0,
		       sizeof(*dp->ep_shared));
	for (unsigned int i = 0; i < s->mesh->n_fresh[GW_SLOT_CLUSTER]; i++)
		dp->outlier_next[s->mesh->fresh[GW_SLOT_CLUSTER][i]] = 0;
	rc = gw_snapmgr_publish(dp->snap, s);
	if (rc != 0) {
		gw_snapshot_free(s);
		snprintf(err, errlen, "cannot publish generation %" PRIu64 ": %s", gen,
			 strerror(-rc));
		return rc;
	}
	s->owned = conf;
	return 0;
}

/* Workers are stopped: commands never run are released (no caller waits). */
static void
drain_inboxes(struct gw_dp *dp)
{
	void *c;

	for (unsigned int i = 0; i < dp->n_workers; i++)
		while (dp->workers[i] != NULL && rte_ring_dequeue(dp->workers[i]->inbox, &c) == 0)
			gw_cmd_free(c);
}

void
gw_dp_stop(struct gw_dp *dp)
{
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	if (dp->launched)
		rte_eal_mp_wait_lcore();
	dp->launched = false;
	if (dp->on_stopped != NULL)
		dp->on_stopped(dp->on_stopped_arg);
	gw_dp_poll_events(dp);
	drain_inboxes(dp);
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		worker_free(dp->workers[i]);
		dp->workers[i] = NULL;
	}
	for (unsigned int p = 0; p < dp->n_ports; p++)
		if (dp->ports[p].devname[0] != '\0')
			gw_port_close(&dp->ports[p]);
	gw_snapmgr_free(dp->snap);
	dp->snap = NULL;
	gw_slots_free(dp->slots);
	dp->slots = NULL;
	rte_free(dp->ep_shared);
	dp->ep_shared = NULL;
}

bool
gw_dp_failed(const struct gw_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++)
		if (dp->workers[i] != NULL &&
		    __atomic_load_n(&dp->workers[i]->failed, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

bool
gw_dp_ready(const struct gw_dp *dp)
{
	if (dp->snap == NULL || !dp->launched || gw_dp_failed(dp))
		return false;
	for (unsigned int i = 0; i < dp->n_workers; i++)
		if (!__atomic_load_n(&dp->workers[i]->running, __ATOMIC_ACQUIRE))
			return false;
	return gw_snapmgr_all_acked(dp->snap);
}

int
gw_dp_cmd_send(struct gw_dp *dp, unsigned int w, struct gw_cmd *cmd)
{
	cmd->done = false;
	cmd->abandoned = false;
	return rte_ring_sp_enqueue(dp->workers[w]->inbox, cmd) == 0 ? 0 : -ENOBUFS;
}

void
gw_cmd_free(struct gw_cmd *c)
{
	if (c == NULL)
		return;
	if (c->type == GW_CMD_ARP_DUMP)
		free(c->arp.entries);
	else if (c->type == GW_CMD_TCP_DUMP)
		free(c->conns.entries);
	else if (c->type == GW_CMD_TCP_PROBE)
		gw_diag_probe_release(&c->probe);
	free(c);
}

void
gw_dp_poll_events(struct gw_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		struct gw_worker *w = dp->workers[i];
		void *ev;
		while (w != NULL && rte_ring_sc_dequeue(w->events, &ev) == 0) {
			struct gw_cmd *c = ev;
			unsigned int ep;

			uint32_t hep;
			uint8_t reason;
			bool ok;

			if (gw_health_is_event(ev, &hep, &ok, &reason)) {
				if (dp->on_health != NULL)
					dp->on_health(dp->on_health_arg, hep, ok, reason);
				continue;
			}
			if (gw_outlier_is_event(ev, &ep)) {
				if (gw_outlier_eject(gw_snapmgr_current(dp->snap)->mesh,
						     dp->ep_shared, ep, rte_rdtsc(), dp->hz))
					dp->ejections++;
				else
					dp->ejections_refused++;
				continue;
			}
			if (c->abandoned)
				gw_cmd_free(c);
			else
				c->done = true;
		}
	}
}

int
gw_dp_cmd_wait(struct gw_dp *dp, struct gw_cmd *cmd, unsigned int timeout_ms)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * timeout_ms;

	while (!cmd->done) {
		if (rte_get_timer_cycles() > deadline) {
			cmd->abandoned = true;
			return -ETIMEDOUT;
		}
		usleep(100);
		gw_dp_poll_events(dp);
	}
	return 0;
}

int
gw_dp_cmd_call(struct gw_dp *dp, unsigned int w, struct gw_cmd *cmd, unsigned int timeout_ms)
{
	int rc = gw_dp_cmd_send(dp, w, cmd);

	return rc ?: gw_dp_cmd_wait(dp, cmd, timeout_ms);
}

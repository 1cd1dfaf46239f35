/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmds.c - the daemon's ctl commands: status, stats, arp, ip-routes,
 * wait-ready (TCP's conns and tcp-probe are in ctl_cmds_tcp.c). Control thread only. Worker-owned
 * state (the ARP caches) is read through commands on the workers' inboxes; counters are read
 * directly (single writer, readers sum).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "ctl_daemon.h"
#include "ctl_loop.h"
#include "gw_eal.h"
#include "gw_tls.h"

#define ARP_DUMP_MAX   4096
#define CMD_TIMEOUT_MS 500

static json_t *
ip_json(uint32_t ip)
{
	char s[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return json_string(s);
}

static json_t *
prefix_json(uint32_t ip, uint8_t plen)
{
	char s[INET_ADDRSTRLEN + 4];
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, s, INET_ADDRSTRLEN);
	snprintf(s + strlen(s), 5, "/%u", plen);
	return json_string(s);
}

static json_t *
mac_json(const struct rte_ether_addr *mac)
{
	char s[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(s, sizeof(s), mac);
	return json_string(s);
}

static const char *
state_name(enum ctl_state s)
{
	static const char *const names[] = {"starting", "running", "draining", "stopping"};
	return names[s];
}

/* ---- status ----------------------------------------------------------- */

static json_t *
port_status(const struct gw_port *p, const struct ctl_port_conf *pc)
{
	struct rte_eth_link link = {0};
	json_t *addrs = json_array();

	rte_eth_link_get_nowait(p->port_id, &link);
	for (unsigned int a = 0; a < p->info.n_addrs; a++)
		json_array_append_new(addrs, prefix_json(p->info.addrs[a], p->info.plens[a]));
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:o, s:i, s:o, s:b, s:b, s:b}", "name",
			 p->name, "port_id", p->port_id, "device", p->devname, "driver",
			 ctl_driver_name(pc->driver), "link", link.link_status ? "up" : "down",
			 "speed_mbps", (json_int_t)link.link_speed, "mac", mac_json(&p->info.mac),
			 "mtu", p->info.mtu, "addresses", addrs, "rss", p->rss, "rx_ip_cksum",
			 p->info.rx_ip_cksum, "tx_ip_cksum", p->info.tx_ip_cksum);
}

static int
cmd_status(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	json_t *workers = json_array(), *ports = json_array();

	(void)args;
	(void)err;
	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_worker *w = d->dp.workers[i];
		json_array_append_new(
			workers,
			json_pack("{s:i, s:i, s:i, s:I, s:b}", "id", i, "lcore", w->lcore, "cpu",
				  rte_lcore_to_cpu_id((int)w->lcore), "acked_generation",
				  (json_int_t)gw_snapmgr_acked(d->dp.snap, i), "online",
				  __atomic_load_n(&w->running, __ATOMIC_ACQUIRE)));
	}
	for (unsigned int p = 0; p < d->dp.n_ports; p++)
		json_array_append_new(ports, port_status(&d->dp.ports[p], &d->conf->ports[p]));
	*result = json_pack("{s:s, s:f, s:s, s:b, s:I, s:s, s:o, s:o}", "version", MESHGW_VERSION,
			    "uptime_s", (double)(ctl_now_ms() - d->start_ms) / 1000.0, "state",
			    state_name(d->state), "ready", gw_dp_ready(&d->dp), "generation",
			    (json_int_t)gw_snapmgr_generation(d->dp.snap), "config", d->conf->path,
			    "workers", workers, "ports", ports);
	json_object_set_new(*result, "config_hash", json_string(d->conf_hash));
	json_object_set_new(*result, "reloads", json_integer((json_int_t)d->reloads));
	json_object_set_new(*result, "reload_failures",
			    json_integer((json_int_t)d->reload_failures));
	json_object_set_new(*result, "generations_held",
			    json_integer((json_int_t)gw_snapmgr_reclaim(d->dp.snap)));
	if (d->disc != NULL)
		json_object_set_new(*result, "discovery", ctl_disc_json(d));
	if (d->rjob != NULL)
		json_object_set_new(*result, "reload_pending", ctl_reload_pending_json(d));
	if (d->state == CTL_STATE_DRAINING)
		json_object_set_new(
			*result, "drain",
			json_pack("{s:I, s:I}", "connections", (json_int_t)ctl_live_connections(d),
				  "ms_left",
				  (json_int_t)(d->drain_deadline_ms > ctl_now_ms()
						       ? d->drain_deadline_ms - ctl_now_ms()
						       : 0)));
	return 0;
}

/* ---- stats ------------------------------------------------------------ */

static void
add_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void
add_drops(json_t *drops, const struct stk_stats *s)
{
	for (unsigned int r = 0; r < STK_DROP_MAX; r++) {
		json_t *cur = json_object_get(drops, stk_drop_name(r));
		uint64_t base = cur ? (uint64_t)json_integer_value(cur) : 0;
		add_u64(drops, stk_drop_name(r), base + s->drops[r]);
	}
}

/* Adds every integer of src into the same key of sum (created as needed). */
/* The worker's TLS counters (ingress legs). */
static json_t *
tls_stats(const struct gw_worker *w)
{
	const struct gw_tls_stats *s = gw_tls_get_stats(w->tls);
	json_t *o = json_object(), *failed = json_object();

#define T(f) add_u64(o, #f, __atomic_load_n(&s->f, __ATOMIC_RELAXED))
	T(handshakes);
	T(resumed);
	T(hs_deferred);
	T(nomem);
	T(plain_in);
	T(plain_out);
	T(cipher_in);
	T(cipher_out);
	T(close_notify_in);
	T(eof_unclean);
	T(active);
#undef T
	for (unsigned int r = 1; r < GW_TLS_R_MAX; r++)
		add_u64(failed, gw_tls_reason_name(r),
			__atomic_load_n(&s->hs_failed[r], __ATOMIC_RELAXED));
	json_object_set_new(o, "handshake_failures", failed);
	return o;
}

static void
sum_into(json_t *sum, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach (src, k, v) {
		json_t *cur = json_object_get(sum, k);
		if (json_is_object(v)) {
			if (cur == NULL) {
				cur = json_object();
				json_object_set_new(sum, k, cur);
			}
			sum_into(cur, v);
		} else if (json_is_integer(v)) {
			add_u64(sum, k,
				(cur ? (uint64_t)json_integer_value(cur) : 0) +
					(uint64_t)json_integer_value(v));
		}
	}
}

/* The stack's TCP counters (nstat spirit); any thread may read them. */
static json_t *
tcp_stats(const struct gw_worker *w)
{
	const struct stk_tcp_stats *t = stk_tcp_get_stats(w->stk);
	json_t *o = json_object();

#define TCP_STAT(n) add_u64(o, #n, __atomic_load_n(&t->n, __ATOMIC_RELAXED));
	STK_TCP_COUNTERS(TCP_STAT)
#undef TCP_STAT
	return o;
}

/* Per diagnostic service: connections, bytes, resets. */
static json_t *
diag_stats(const struct gw_worker *w)
{
	const struct gw_diag_stats *ds = gw_diag_get_stats(w->diag);
	json_t *o = json_object();

	for (unsigned int a = 0; a < GW_DIAG_N_APPS; a++) {
		const struct gw_diag_app_stats *s = &ds->app[a];
		json_t *e = json_object();
		add_u64(e, "connections", s->connections);
		add_u64(e, "active", s->active);
		add_u64(e, "bytes_in", s->bytes_in);
		add_u64(e, "bytes_out", s->bytes_out);
		add_u64(e, "resets", s->resets);
		add_u64(e, "refused", s->refused);
		add_u64(e, "nomem", s->nomem);
		json_object_set_new(o, gw_diag_app_name(a), e);
	}
	return o;
}

static json_t *
worker_stats(const struct gw_worker *w, json_t *total_drops)
{
	const struct gw_wstats *ws = &w->stats;
	const struct stk_stats *ss = stk_get_stats(w->stk);
	json_t *o = json_object(), *drops = json_object(), *stack = json_object();

	add_u64(o, "id", w->id);
	add_u64(o, "rx_packets", ws->rx_pkts);
	add_u64(o, "rx_bytes", ws->rx_bytes);
	add_u64(o, "tx_packets", ws->tx_pkts);
	add_u64(o, "tx_bytes", ws->tx_bytes);
	add_u64(o, "tx_drops", ws->tx_drops);
	add_u64(o, "redirected_out", ws->redirected_out);
	add_u64(o, "redirected_in", ws->redirected_in);
	add_u64(o, "redirect_drops", ws->redirect_drops);
	add_u64(o, "arp_copies", ws->arp_copies);
	add_u64(o, "arp_copy_drops", ws->arp_copy_drops);
	add_u64(o, "commands", ws->cmds);
	add_u64(o, "event_drops", ws->event_drops);
	/* access-log records lost to a full pool or ring (the worker never waits) */
	add_u64(o, "access_log_drops", __atomic_load_n(&w->alog.drops, __ATOMIC_RELAXED));
	add_u64(o, "loops", ws->loops);
	add_u64(o, "busy_cycles", ws->busy_cycles);
	add_u64(o, "idle_cycles", ws->idle_cycles);
	add_u64(o, "sleeps", ws->sleeps);
	add_u64(stack, "rx_packets", ss->rx_pkts);
	add_u64(stack, "rx_bytes", ss->rx_bytes);
	add_u64(stack, "tx_packets", ss->tx_pkts);
	add_u64(stack, "tx_bytes", ss->tx_bytes);
	add_u64(stack, "arp_requests_in", ss->arp_requests_in);
	add_u64(stack, "arp_replies_in", ss->arp_replies_in);
	add_u64(stack, "arp_requests_out", ss->arp_requests_out);
	add_u64(stack, "arp_replies_out", ss->arp_replies_out);
	add_u64(stack, "arp_gratuitous_out", ss->arp_gratuitous_out);
	add_u64(stack, "ip_in", ss->ip_in);
	add_u64(stack, "ip_out", ss->ip_out);
	add_u64(stack, "icmp_echo_in", ss->icmp_echo_in);
	add_u64(stack, "icmp_echo_out", ss->icmp_echo_out);
	add_u64(stack, "icmp_errors_in", ss->icmp_errors_in);
	add_drops(drops, ss);
	add_drops(total_drops, ss);
	json_object_set_new(o, "stack", stack);
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "tcp", tcp_stats(w));
	json_object_set_new(o, "diag", diag_stats(w));
	json_object_set_new(o, "proxy", ctl_proxy_stats_json(w));
	json_object_set_new(o, "http", ctl_http_stats_json(w));
	json_object_set_new(o, "health", ctl_hcheck_stats_json(w));
	json_object_set_new(o, "tls", tls_stats(w));
	return o;
}

static void
add_impair(json_t *o, const char *k, const struct gw_impair *im, json_t *sum)
{
	const struct gw_impair_stats *s;
	json_t *cur = json_object_get(sum, k);

	if (im == NULL)
		return;
	s = gw_impair_get_stats(im);
	if (cur == NULL) {
		cur = json_object();
		json_object_set_new(sum, k, cur);
	}
	static const char *const names[] = {"in",	  "out",       "dropped",
					    "duplicated", "reordered", "delayed",
					    "overflow",	  "nomem",     "held"};
	const uint64_t vals[] = {s->in,	     s->out,	  s->dropped, s->duplicated, s->reordered,
				 s->delayed, s->overflow, s->nomem,   s->held};
	for (unsigned int i = 0; i < RTE_DIM(names); i++) {
		json_t *v = json_object_get(cur, names[i]);
		add_u64(cur, names[i], (v ? (uint64_t)json_integer_value(v) : 0) + vals[i]);
	}
	(void)o;
}

static json_t *
port_stats(struct ctl_daemon *d, unsigned int p)
{
	const struct gw_port *port = &d->dp.ports[p];
	struct rte_eth_stats es = {0};
	json_t *o = json_object(), *imp = json_object();

	rte_eth_stats_get(port->port_id, &es);
	json_object_set_new(o, "name", json_string(port->name));
	add_u64(o, "rx_packets", es.ipackets);
	add_u64(o, "rx_bytes", es.ibytes);
	add_u64(o, "tx_packets", es.opackets);
	add_u64(o, "tx_bytes", es.obytes);
	add_u64(o, "rx_missed", es.imissed);
	add_u64(o, "rx_errors", es.ierrors);
	add_u64(o, "tx_errors", es.oerrors);
	add_u64(o, "rx_nombuf", es.rx_nombuf);
	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		add_impair(o, "rx", d->dp.workers[i]->imp_rx[p], imp);
		add_impair(o, "tx", d->dp.workers[i]->imp_tx[p], imp);
	}
	json_object_set_new(o, "impair", imp);
	return o;
}

uint64_t
ctl_mbufs_in_use(void)
{
	uint64_t in_use = 0;

	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (gw_eal_pool_at(s) != NULL)
			in_use += rte_mempool_in_use_count(gw_eal_pool_at(s));
	return in_use;
}

/* Who holds the mbufs in use: the stack's queues (as each worker last
 * published them), the applications, impairment queues, redirect rings. */
static json_t *
mbuf_owners(struct ctl_daemon *d)
{
	uint64_t snd = 0, rcv = 0, ooo = 0, arp = 0, imp = 0, redir = 0, apps = 0, proxy = 0;

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_worker *w = d->dp.workers[i];
		snd += __atomic_load_n(&w->usage.snd_queue, __ATOMIC_RELAXED);
		rcv += __atomic_load_n(&w->usage.rcv_queue, __ATOMIC_RELAXED);
		ooo += __atomic_load_n(&w->usage.ooo, __ATOMIC_RELAXED);
		arp += __atomic_load_n(&w->usage.arp_pending, __ATOMIC_RELAXED);
		apps += __atomic_load_n(&gw_diag_get_stats(w->diag)->mbufs_held, __ATOMIC_RELAXED);
		proxy += __atomic_load_n(&gw_proxy_get_stats(w->proxy)->mbufs_held,
					 __ATOMIC_RELAXED);
		redir += rte_ring_count(w->redirect);
		for (unsigned int p = 0; p < d->dp.n_ports; p++) {
			if (w->imp_rx[p] != NULL)
				imp += gw_impair_get_stats(w->imp_rx[p])->held;
			if (w->imp_tx[p] != NULL)
				imp += gw_impair_get_stats(w->imp_tx[p])->held;
		}
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "snd_queue", (json_int_t)snd,
			 "rcv_queue", (json_int_t)rcv, "ooo", (json_int_t)ooo, "arp_pending",
			 (json_int_t)arp, "impairment", (json_int_t)imp, "redirect",
			 (json_int_t)redir, "apps", (json_int_t)apps, "proxy", (json_int_t)proxy);
}

/* in_use against baseline (in use when the daemon became ready) is the
 * leak check: once connections have closed the two must agree. */
static json_t *
mbuf_stats(struct ctl_daemon *d)
{
	json_t *pools = json_array();
	uint64_t in_use = 0;

	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_mempool *mp = gw_eal_pool_at(s);
		if (mp == NULL)
			continue;
		unsigned int used = rte_mempool_in_use_count(mp);
		in_use += used;
		json_array_append_new(pools,
				      json_pack("{s:s, s:i, s:i, s:i, s:i}", "name", mp->name,
						"socket", s, "size", mp->size, "in_use", used,
						"available", rte_mempool_avail_count(mp)));
	}
	return json_pack("{s:I, s:o, s:o, s:o}", "in_use", (json_int_t)in_use, "baseline",
			 d->state == CTL_STATE_STARTING
				 ? json_null()
				 : json_integer((json_int_t)d->mbuf_baseline),
			 "by_owner", mbuf_owners(d), "pools", pools);
}

json_t *
ctl_stats_json(struct ctl_daemon *d)
{
	json_t *ports = json_array(), *workers = json_array(), *drops = json_object();
	json_t *totals = json_object(), *tcp = json_object(), *diag = json_object();
	json_t *proxy = json_object(), *http = json_object(), *health = json_object();
	json_t *tls = json_object();
	uint64_t rx = 0, tx = 0, redir = 0;

	for (unsigned int p = 0; p < d->dp.n_ports; p++)
		json_array_append_new(ports, port_stats(d, p));
	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_worker *w = d->dp.workers[i];
		json_t *ws = worker_stats(w, drops);
		sum_into(tcp, json_object_get(ws, "tcp"));
		sum_into(diag, json_object_get(ws, "diag"));
		sum_into(proxy, json_object_get(ws, "proxy"));
		sum_into(http, json_object_get(ws, "http"));
		sum_into(health, json_object_get(ws, "health"));
		sum_into(tls, json_object_get(ws, "tls"));
		json_array_append_new(workers, ws);
		rx += w->stats.rx_pkts;
		tx += w->stats.tx_pkts;
		redir += w->stats.redirected_out;
	}
	add_u64(totals, "rx_packets", rx);
	add_u64(totals, "tx_packets", tx);
	add_u64(totals, "redirected", redir);
	json_object_set_new(totals, "drops", drops);
	json_object_set_new(totals, "tcp", tcp);
	json_object_set_new(totals, "diag", diag);
	json_object_set_new(totals, "proxy", proxy);
	json_object_set_new(totals, "http", http);
	json_object_set_new(totals, "health", health);
	json_object_set_new(totals, "tls", tls);
	return json_pack("{s:o, s:o, s:o, s:o}", "ports", ports, "workers", workers, "totals",
			 totals, "mbufs", mbuf_stats(d));
}

static int
cmd_stats(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)args;
	(void)err;
	*result = ctl_stats_json(arg);
	return 0;
}

/* ---- arp -------------------------------------------------------------- */

static struct gw_cmd *
arp_cmd_new(void)
{
	struct gw_cmd *c = calloc(1, sizeof(*c));

	if (c != NULL && (c->arp.entries = calloc(ARP_DUMP_MAX, sizeof(*c->arp.entries))) == NULL) {
		free(c);
		c = NULL;
	}
	if (c != NULL) {
		c->type = GW_CMD_ARP_DUMP;
		c->arp.max = ARP_DUMP_MAX;
	}
	return c;
}

static void
arp_cmd_free(struct gw_cmd *c)
{
	if (c == NULL)
		return;
	free(c->arp.entries);
	free(c);
}

static void
arp_entries_json(struct ctl_daemon *d, unsigned int w, const struct gw_cmd *c, json_t *entries)
{
	for (unsigned int i = 0; i < c->arp.n; i++) {
		const struct stk_arp_entry *e = &c->arp.entries[i];
		json_array_append_new(entries,
				      json_pack("{s:i, s:o, s:o, s:s, s:s, s:I, s:i}", "worker", w,
						"ip", ip_json(e->ip), "mac", mac_json(&e->mac),
						"port", d->dp.ports[e->port_idx].name, "state",
						stk_arp_state_name(e->state), "age_ms",
						(json_int_t)e->age_ms, "pending", e->pending));
	}
}

/* Every worker's cache: the dump commands go out together, then we wait. */
static int
cmd_arp(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	struct gw_cmd *cmds[STK_MAX_WORKERS] = {0};
	json_t *entries = json_array();
	int rc = 0;

	(void)args;
	for (unsigned int w = 0; rc == 0 && w < d->dp.n_workers; w++) {
		cmds[w] = arp_cmd_new();
		rc = cmds[w] ? gw_dp_cmd_send(&d->dp, w, cmds[w]) : -ENOMEM;
		if (rc != 0) {
			ctl_error_set(err, -rc, "worker %u: cannot send the ARP dump", w);
			arp_cmd_free(cmds[w]);
			cmds[w] = NULL;
		}
	}
	for (unsigned int w = 0; w < d->dp.n_workers; w++) {
		if (cmds[w] == NULL)
			continue;
		if (gw_dp_cmd_wait(&d->dp, cmds[w], CMD_TIMEOUT_MS) != 0) {
			/* abandoned: released when the worker hands it back */
			if (rc == 0)
				ctl_error_set(err, ETIMEDOUT,
					      "worker %u did not answer within %u ms", w,
					      CMD_TIMEOUT_MS);
			rc = rc ?: -ETIMEDOUT;
			continue;
		}
		arp_entries_json(d, w, cmds[w], entries);
		arp_cmd_free(cmds[w]);
	}
	if (rc != 0) {
		json_decref(entries);
		return rc;
	}
	*result = json_pack("{s:o}", "entries", entries);
	return 0;
}

/* ---- ip-routes -------------------------------------------------------- */

static int
cmd_ip_routes(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_snapshot *s = gw_snapmgr_current(d->dp.snap);
	unsigned int max = CTL_MAX_ROUTES + CTL_MAX_PORTS * CTL_MAX_ADDRS;
	struct stk_route_entry *r = calloc(max, sizeof(*r));
	json_t *routes = json_array();
	unsigned int n;

	(void)args;
	if (r == NULL) {
		json_decref(routes);
		ctl_error_set(err, ENOMEM, "no memory");
		return -ENOMEM;
	}
	/* the control thread publishes snapshots itself, so s stays valid here */
	n = RTE_MIN(stk_routes_dump(s->routes, r, max), max);
	for (unsigned int i = 0; i < n; i++) {
		json_array_append_new(routes, json_pack("{s:o, s:o, s:s, s:s}", "prefix",
							prefix_json(r[i].prefix, r[i].plen), "via",
							r[i].gw ? ip_json(r[i].gw) : json_null(),
							"port", d->dp.ports[r[i].port_idx].name,
							"type", r[i].gw ? "static" : "connected"));
	}
	free(r);
	*result =
		json_pack("{s:I, s:o}", "generation", (json_int_t)s->generation, "routes", routes);
	return 0;
}

/* ---- wait-ready ------------------------------------------------------- */

static int
cmd_wait_ready(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;

	(void)args;
	(void)err;
	if (d->state != CTL_STATE_RUNNING)
		return CTL_AGAIN;
	*result = json_pack("{s:b}", "ready", 1);
	return 0;
}

int
ctl_cmds_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	int rc = ctl_server_register(srv, "status", cmd_status, d);

	rc = rc ?: ctl_server_register(srv, "stats", cmd_stats, d);
	rc = rc ?: ctl_server_register(srv, "arp", cmd_arp, d);
	rc = rc ?: ctl_server_register(srv, "ip-routes", cmd_ip_routes, d);
	rc = rc ?: ctl_server_register(srv, "wait-ready", cmd_wait_ready, d);
	rc = rc ?: ctl_cmds_tcp_register(srv, d);
	rc = rc ?: ctl_cmds_mesh_register(srv, d);
	rc = rc ?: ctl_cmds_routes_register(srv, d);
	rc = rc ?: ctl_cmds_reload_register(srv, d);
	rc = rc ?: ctl_cmds_policies_register(srv, d);
	rc = rc ?: ctl_cmds_certs_register(srv, d);
	return rc;
}

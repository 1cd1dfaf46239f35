/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_daemon.h - the daemon's control-thread state shared by its command
 * handlers (ctl_cmds.c) and the metrics exporter (ctl_metrics.c). Control
 * thread only.
 */
#ifndef MESHGW_CTL_DAEMON_H
#define MESHGW_CTL_DAEMON_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl_config.h"
#include "ctl_loop.h"
#include "ctl_server.h"
#include "gw_worker.h"

/* DRAINING: SIGTERM came; nothing new is accepted, established connections
 * have until drain_deadline_ms. */
enum ctl_state { CTL_STATE_STARTING, CTL_STATE_RUNNING, CTL_STATE_DRAINING, CTL_STATE_STOPPING };

struct ctl_disc;
struct ctl_rjob;
struct ctl_health;
struct ctl_ca;
struct ctl_certs;

struct ctl_daemon {
	struct ctl_config
		*conf;	    /* the running generation's (owned by its snapshot after a reload) */
	char conf_hash[72]; /* its content hash, "sha256:<hex>" */
	char *conf_text;    /* its file's bytes: discovery re-parses them */
	size_t conf_len;
	uint64_t reloads, reload_failures;
	struct ctl_rjob *rjob;	/* a reload compiling its route tables; NULL: none */
	uint64_t rjob_seq;	/* tags the requests waiting for one */
	uint64_t rjob_done_seq; /* the last one finished: its answer */
	int rjob_rc;
	json_t *rjob_result;
	char rjob_err[600];
	struct ctl_disc *disc;	   /* the endpoints file; NULL: none configured */
	struct ctl_health *health; /* active health checks' thresholds, by endpoint slot */
	struct ctl_ca *ca;	   /* the built-in CA (identities); NULL: none */
	struct ctl_certs *certs;   /* its workload and gateway certificates */
	uint64_t health_stale;	   /* results for endpoints no longer checked */
	struct gw_dp dp;
	enum ctl_state state;
	uint64_t start_ms;
	uint64_t mbuf_baseline;	    /* mbufs in use when the daemon became ready */
	uint64_t baseline_until_ms; /* ...the lowest count in its first second */
	struct gw_cmd *probe;	    /* the tcp-probe on worker 0, until its result is taken */
	uint64_t probe_seq;	    /* tags the request that started it */
	uint64_t drain_deadline_ms;
};

/* Registers status, stats, arp, ip-routes, wait-ready, conns and tcp-probe.
 * 0 or -errno. */
int ctl_cmds_register(struct ctl_server *srv, struct ctl_daemon *d);
/* conns and tcp-probe (ctl_cmds_tcp.c). */
int ctl_cmds_tcp_register(struct ctl_server *srv, struct ctl_daemon *d);
/* services, clusters, endpoints, drain, undrain (ctl_cmds_mesh.c). */
int ctl_cmds_mesh_register(struct ctl_server *srv, struct ctl_daemon *d);
/* Workload and gateway certificates (ctl_certs.c): start issues them (on
 * a helper thread), the tick renews at half life, stop waits for a batch
 * in flight and frees them; `certs` (args.rotate: renew all now) and the
 * /metrics families. */
int ctl_certs_start(struct ctl_daemon *d);
void ctl_certs_tick(struct ctl_daemon *d);
/* A generation was published: the workload certificates follow its
 * identities.workloads (kept by namespace and service account). */
void ctl_certs_reload(struct ctl_daemon *d);
void ctl_certs_stop(struct ctl_daemon *d);
int ctl_cmds_certs_register(struct ctl_server *srv, struct ctl_daemon *d);
void ctl_certs_metrics(FILE *f, struct ctl_daemon *d);
/* policies (ctl_cmds_policies.c). */
int ctl_cmds_policies_register(struct ctl_server *srv, struct ctl_daemon *d);
/* The `config` command (ctl_cmd_config.c). */
int ctl_cmd_config(void *arg, json_t *args, json_t **result, struct ctl_error *err);
/* reload and config (ctl_reload.c). */
int ctl_cmds_reload_register(struct ctl_server *srv, struct ctl_daemon *d);
/* Re-reads the config file and publishes it as the next generation: 0 with
 * *result ({generation, hash, restart_required[], ms}, or {compiling,
 * route_tables, routes} when its route tables compile in the background
 * first), or -errno with a message in err (the running generation stays).
 * Control thread. */
int ctl_reload(struct ctl_daemon *d, json_t **result, char *err, size_t errlen);
/* Every tick: publishes a reload whose compile finished. */
void ctl_reload_tick(struct ctl_daemon *d);
/* At shutdown: waits for a compile still running, frees what is left. */
void ctl_reload_fini(struct ctl_daemon *d);
/* {compiling_route_tables, routes, ms} for `status`; NULL: none. */
json_t *ctl_reload_pending_json(const struct ctl_daemon *d);
/* The config file's bytes into the next generation: parsed (they may be
 * the running ones again), restart-only settings kept from the running
 * config (named in restart, which may be NULL), discovered endpoints
 * merged, published. On success d->conf is the new config. 0 or -errno
 * with err filled (the running generation stays). */
int ctl_publish_config(struct ctl_daemon *d, const char *text, size_t len, json_t *restart,
		       char *err, size_t errlen);

/* Discovery from the endpoints file (ctl_discovery.c). ctl_disc_boot runs
 * before the first snapshot: it reads the file once and merges it into
 * conf (a bad file is logged; the config's endpoints stay). ctl_disc_start
 * then watches it on loop; each new good version is published as the next
 * generation (retried every tick while a generation is pending). */
int ctl_disc_boot(struct ctl_daemon *d, struct ctl_config *conf);
int ctl_disc_start(struct ctl_daemon *d, struct ctl_loop *loop);
void ctl_disc_tick(struct ctl_daemon *d);
void ctl_disc_stop(struct ctl_daemon *d);
/* Into nc: the discovered endpoints in force. 0 or -errno with err. */
int ctl_disc_merge(struct ctl_daemon *d, struct ctl_config *nc, char *err, size_t errlen);
/* The generation just published carries the version in force. */
void ctl_disc_published(struct ctl_daemon *d);
/* {path, hash, loads, ...} for `status` and /metrics; NULL without discovery. */
json_t *ctl_disc_json(const struct ctl_daemon *d);

/* Active health checks (ctl_hcheck.c): init after gw_dp_start (results
 * arrive through gw_dp_poll_events), sync after each publish (state of
 * endpoints that left or are no longer checked goes), fini before
 * gw_dp_stop. ctl_hcheck_row adds health fields to an `endpoints` row. */
int ctl_hcheck_init(struct ctl_daemon *d);
void ctl_hcheck_sync(struct ctl_daemon *d);
void ctl_hcheck_fini(struct ctl_daemon *d);
void ctl_hcheck_row(struct ctl_daemon *d, const struct gw_mesh *m, unsigned int ep, json_t *row);
json_t *ctl_hcheck_stats_json(const struct gw_worker *w);
void ctl_hcheck_metrics(FILE *f, struct ctl_daemon *d);

/* -ENOTSUP with err filled when c asks for what this version cannot do
 * yet: with identities declared, an endpoint on another node would need
 * the mTLS tunnel; the daemon refuses to start or reload with it rather
 * than send that traffic in clear. */
int ctl_config_unenforced(const struct ctl_config *c, char *err, size_t errlen);

/* "sha256:<hex>" of a config file's bytes. */
void ctl_config_hash(const char *text, size_t len, char *out, size_t outlen);
/* routes (ctl_cmds_routes.c). */
int ctl_cmds_routes_register(struct ctl_server *srv, struct ctl_daemon *d);
/* The route families of /metrics (ctl_cmds_routes.c). */
void ctl_metrics_routes(FILE *f, struct ctl_daemon *d);
/* {services, clusters, endpoints, ejections, ejections_refused} as the
 * commands show them, for /metrics. New reference. */
json_t *ctl_mesh_json(struct ctl_daemon *d);
/* A worker's HTTP proxy counters for `stats`. New reference. */
json_t *ctl_http_stats_json(const struct gw_worker *w);
/* A worker's proxy counters for `stats`. New reference. */
json_t *ctl_proxy_stats_json(const struct gw_worker *w);
/* The L4 access log (ctl_alog.c): open at start (0 or -errno), drained
 * every tick, reopened on `log reopen`, closed (after a last drain) before
 * the workers are freed. */
int ctl_alog_open(struct ctl_daemon *d);
int ctl_alog_reopen(struct ctl_daemon *d);
void ctl_alog_drain(struct ctl_daemon *d);
void ctl_alog_close(struct ctl_daemon *d);
void ctl_alog_counters(uint64_t *lines, uint64_t *errors);
/* Before gw_dp_stop: lets go of a command still out (tcp-probe). */
void ctl_cmds_fini(struct ctl_daemon *d);

/* Mbufs taken from every pool right now. */
uint64_t ctl_mbufs_in_use(void);

/* The document of the `stats` command and /stats. New reference. */
json_t *ctl_stats_json(struct ctl_daemon *d);

/* The admin HTTP handler: /metrics (Prometheus text), /stats (JSON). */
/* Proxied connections plus established TCP connections over every worker:
 * what a drain waits for (ctl_main.c). */
uint64_t ctl_live_connections(const struct ctl_daemon *d);
/* The service, cluster and endpoint families (ctl_metrics_mesh.c). */
void ctl_metrics_mesh(FILE *f, struct ctl_daemon *d);
int ctl_metrics_http(void *arg, const char *path, char **body, size_t *len, const char **ctype);

#endif /* MESHGW_CTL_DAEMON_H */

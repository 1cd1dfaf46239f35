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
#include "ctl_server.h"
#include "gw_worker.h"

/* DRAINING: SIGTERM came; nothing new is accepted, established connections
 * have until drain_deadline_ms. */
enum ctl_state { CTL_STATE_STARTING, CTL_STATE_RUNNING, CTL_STATE_DRAINING, CTL_STATE_STOPPING };

struct ctl_daemon {
	struct ctl_config
		*conf;	    /* the running generation's (owned by its snapshot after a reload) */
	char conf_hash[72]; /* its content hash, "sha256:<hex>" */
	uint64_t reloads, reload_failures;
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
/* reload and config (ctl_reload.c). */
int ctl_cmds_reload_register(struct ctl_server *srv, struct ctl_daemon *d);
/* Re-reads the config file and publishes it as the next generation: 0 with
 * *result ({generation, hash, restart_required[], ms}), or -errno with a
 * message in err (the running generation stays). Control thread. */
int ctl_reload(struct ctl_daemon *d, json_t **result, char *err, size_t errlen);
/* "sha256:<hex>" of a config file's bytes. */
void ctl_config_hash(const char *text, size_t len, char *out, size_t outlen);
/* The same of a file ("?" when it cannot be read). */
void ctl_config_file_hash(const char *path, char *out, size_t outlen);
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

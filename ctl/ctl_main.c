/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_main.c - the meshgw daemon: command line, config, EAL and dataplane
 * start-up, then the control thread's event loop (ctl socket, admin HTTP,
 * snapshot reclamation, worker events) until SIGINT/SIGTERM, then an orderly
 * shutdown that frees everything and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "ctl_admin.h"
#include "ctl_ca.h"
#include "ctl_daemon.h"
#include "ctl_loop.h"
#include "ctl_server.h"
#include "gw_eal.h"
#include "gw_log.h"
#include "gw_outlier.h"

#define DEFAULT_CONF	   "conf/meshgw.conf"
#define BASELINE_SETTLE_MS 1000

int gw_log_level = GW_LOG_INFO;
static volatile sig_atomic_t stop_requested, drain_requested, reload_requested;
static bool worker_failed;

struct opts {
	const char *conf;
	const char *socket;
	int check;
};

/* The first SIGTERM drains; SIGINT, or another SIGTERM, stops at once. */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else if (sig == SIGTERM && !drain_requested)
		drain_requested = 1;
	else
		stop_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: meshgw [-c FILE] [-s SOCKET] [--check] [--version]\n"
		   "  -c, --config FILE   configuration (default " DEFAULT_CONF ")\n"
		   "  -s, --socket PATH   ctl socket (overrides MESHGW_CTL and the config)\n"
		   "      --check         validate the configuration and exit\n"
		   "      --version       print the version and exit\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
		{"check", no_argument, NULL, 'C'},	  {"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	int c;

	o->conf = DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "c:s:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->conf = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'V':
			printf("meshgw %s\n", MESHGW_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* -s beats MESHGW_CTL beats the config file. */
static int
apply_socket_override(struct ctl_config *c, const char *opt)
{
	const char *path = opt ? opt : getenv("MESHGW_CTL");

	if (path == NULL || *path == '\0')
		return 0;
	if (strlen(path) >= sizeof(c->ctl.socket)) {
		fprintf(stderr, "meshgw: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	snprintf(c->ctl.socket, sizeof(c->ctl.socket), "%s", path);
	return 0;
}

uint64_t
ctl_live_connections(const struct ctl_daemon *d)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_worker *w = d->dp.workers[i];

		n += __atomic_load_n(&gw_proxy_get_stats(w->proxy)->active, __ATOMIC_RELAXED);
		n += __atomic_load_n(&stk_tcp_get_stats(w->stk)->curr_estab, __ATOMIC_RELAXED);
	}
	return n;
}

/* SIGTERM: every worker stops listening (listeners and VIPs; new SYNs are
 * reset), then established connections get drain_timeout to finish. A
 * proxied connection counts three times (its two legs and itself): only
 * zero matters. */
static void
drain_start(struct ctl_daemon *d)
{
	struct gw_cmd *cmds[STK_MAX_WORKERS] = {0};

	for (unsigned int w = 0; w < d->dp.n_workers; w++) {
		cmds[w] = calloc(1, sizeof(*cmds[w]));
		if (cmds[w] != NULL)
			cmds[w]->type = GW_CMD_DRAIN;
		if (cmds[w] == NULL || gw_dp_cmd_send(&d->dp, w, cmds[w]) != 0) {
			GW_LOG(ERROR, "drain: worker %u cannot be told: stopping", w);
			stop_requested = 1;
			free(cmds[w]);
			cmds[w] = NULL;
		}
	}
	for (unsigned int w = 0; w < d->dp.n_workers; w++)
		if (cmds[w] != NULL && gw_dp_cmd_wait(&d->dp, cmds[w], 1000) == 0)
			gw_cmd_free(cmds[w]);
	d->state = CTL_STATE_DRAINING;
	d->drain_deadline_ms = ctl_now_ms() + d->conf->workers.drain_timeout_us / 1000;
	GW_LOG(INFO, "SIGTERM: draining %" PRIu64 " connection(s) for up to %" PRIu64 " ms",
	       ctl_live_connections(d), d->conf->workers.drain_timeout_us / 1000);
}

static void
drain_check(struct ctl_daemon *d)
{
	uint64_t live = ctl_live_connections(d);

	if (live == 0) {
		GW_LOG(INFO, "drained: every connection finished");
		stop_requested = 1;
	} else if (ctl_now_ms() >= d->drain_deadline_ms) {
		GW_LOG(INFO, "drain timeout: resetting what is left (%" PRIu64 ")", live);
		stop_requested = 1;
	}
}

static void
tick(void *arg)
{
	struct ctl_daemon *d = arg;

	gw_dp_poll_events(&d->dp);
	ctl_alog_drain(d);
	if (d->dp.snap != NULL) {
		gw_snapmgr_reclaim(d->dp.snap);
		gw_outlier_review(gw_snapmgr_current(d->dp.snap)->mesh, d->dp.ep_shared,
				  d->dp.outlier_next, rte_rdtsc(), d->dp.hz);
	}
	ctl_reload_tick(d);
	ctl_certs_tick(d);
	ctl_disc_tick(d);
	if (reload_requested && d->state == CTL_STATE_RUNNING) {
		char msg[600];
		json_t *res = NULL;

		reload_requested = 0;
		ctl_reload(d, &res, msg, sizeof(msg)); /* logs and counts a refusal */
		json_decref(res);
	}
	if (drain_requested && d->state == CTL_STATE_RUNNING)
		drain_start(d);
	else if (drain_requested && d->state == CTL_STATE_STARTING)
		stop_requested = 1; /* nothing to drain yet */
	if (d->state == CTL_STATE_DRAINING)
		drain_check(d);
	if (d->state == CTL_STATE_STARTING && gw_dp_failed(&d->dp)) {
		GW_LOG(ERROR, "a worker failed to start: stopping");
		worker_failed = true;
		stop_requested = 1;
	}
	if (d->state == CTL_STATE_STARTING && gw_dp_ready(&d->dp)) {
		/* the leak check's reference: what the ports and pools hold at rest */
		d->mbuf_baseline = ctl_mbufs_in_use();
		d->baseline_until_ms = ctl_now_ms() + BASELINE_SETTLE_MS;
		d->state = CTL_STATE_RUNNING;
		GW_LOG(INFO, "ready: %u worker(s), %u port(s)", d->dp.n_workers, d->dp.n_ports);
	} else if (d->state == CTL_STATE_RUNNING && ctl_now_ms() < d->baseline_until_ms) {
		/* a frame in flight at that moment (a gratuitous ARP) is no
		 * resting state: the lowest count seen while settling is. The
		 * count never drops below what rests in the pools' users, so
		 * this can only make the check stricter. */
		d->mbuf_baseline = RTE_MIN(d->mbuf_baseline, ctl_mbufs_in_use());
	}
}

static void
alog_last(void *arg)
{
	ctl_alog_close(arg);
}

static int
run_control(struct ctl_daemon *d)
{
	struct ctl_loop *loop = ctl_loop_create(10);
	struct ctl_server *srv = NULL;
	struct ctl_admin *admin = NULL;
	int rc = -1;

	if (loop == NULL)
		goto out;
	srv = ctl_server_create(loop, d->conf->ctl.socket);
	if (srv == NULL) {
		GW_LOG(ERROR, "ctl socket %s: %s", d->conf->ctl.socket, strerror(errno));
		goto out;
	}
	if (ctl_cmds_register(srv, d) != 0)
		goto out;
	if (d->conf->admin.enabled) {
		admin = ctl_admin_create(loop, d->conf->admin.address, d->conf->admin.port,
					 ctl_metrics_http, d);
		if (admin == NULL) {
			GW_LOG(ERROR, "admin port %u: %s", d->conf->admin.port, strerror(errno));
			goto out;
		}
	}
	if (ctl_disc_start(d, loop) != 0)
		goto out;
	ctl_loop_on_tick(loop, tick, d);
	while (!stop_requested)
		ctl_loop_run_once(loop);
	rc = worker_failed ? -1 : 0;
out:
	d->state = CTL_STATE_STOPPING;
	ctl_disc_stop(d);
	ctl_admin_free(admin);
	ctl_server_free(srv);
	ctl_loop_free(loop);
	return rc;
}

/* Keeps the file's bytes: discovery re-parses them for each generation. */
static int
load_config(const struct opts *o, struct ctl_daemon *d)
{
	char err[512];
	int rc = -EIO;

	d->conf_text = ctl_config_read(o->conf, &d->conf_len, err, sizeof(err));
	if (d->conf_text != NULL)
		rc = ctl_config_load_text(o->conf, d->conf_text, d->conf_len, d->conf, err,
					  sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "meshgw: %s\n", err);
		return rc;
	}
	ctl_config_hash(d->conf_text, d->conf_len, d->conf_hash, sizeof(d->conf_hash));
	if (!o->check && (rc = ctl_config_unenforced(d->conf, err, sizeof(err))) != 0) {
		fprintf(stderr, "meshgw: %s\n", err);
		return rc;
	}
	return apply_socket_override(d->conf, o->socket);
}

int
main(int argc, char **argv)
{
	struct ctl_daemon d = {0};
	struct ctl_config *boot;
	struct opts o = {0};
	char err[512] = "";
	int rc;

	if (parse_opts(argc, argv, &o) != 0)
		return 64;
	d.conf = calloc(1, sizeof(*d.conf));
	if (d.conf == NULL || load_config(&o, &d) != 0)
		return 1;
	boot = d.conf;
	if (o.check) {
		if (ctl_config_unenforced(d.conf, err, sizeof(err)) != 0)
			printf("meshgw: note: %s\n", err);
		printf("meshgw: %s: configuration OK\n", o.conf);
		free(d.conf);
		return 0;
	}
	gw_log_level = (int)d.conf->log.level;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	d.start_ms = ctl_now_ms();
	if (d.conf->identities.enabled) {
		/* checks the key's mode and that it signs the certificate; creates
		 * the root when told to */
		d.ca = ctl_ca_open(&d.conf->identities, err, sizeof(err));
		if (d.ca == NULL) {
			fprintf(stderr, "meshgw: %s\n", err);
			return 1;
		}
		if (ctl_ca_created(d.ca))
			GW_LOG(INFO, "identities: created a new root CA in %s",
			       d.conf->identities.ca.cert);
	}
	if (ctl_certs_start(&d) != 0 || ctl_disc_boot(&d, d.conf) != 0) {
		fprintf(stderr, "meshgw: out of memory\n");
		return 1;
	}
	rc = gw_eal_init(d.conf);
	if (rc < 0) {
		fprintf(stderr, "meshgw: EAL init failed: %s\n", rte_strerror(-rc));
		free(d.conf);
		return 1;
	}
	rc = gw_dp_start(&d.dp, d.conf, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "meshgw: %s\n", err);
	else if ((rc = ctl_alog_open(&d)) == 0 && (rc = ctl_hcheck_init(&d)) == 0)
		rc = run_control(&d);
	d.dp.on_stopped = alog_last;
	d.dp.on_stopped_arg = &d;
	GW_LOG(INFO, "shutting down");
	ctl_reload_fini(&d);
	ctl_cmds_fini(&d);
	ctl_hcheck_fini(&d);
	gw_dp_stop(&d.dp);
	gw_eal_pools_free();
	rte_eal_cleanup();
	/* reloaded configs went with their snapshots; the start-up one is ours */
	ctl_config_release(boot);
	free(boot);
	free(d.conf_text);
	ctl_certs_stop(&d);
	ctl_ca_unref(d.ca);
	return rc == 0 ? 0 : 1;
}

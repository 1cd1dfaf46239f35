/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_reload.c - `meshgwctl reload` and SIGHUP.
 *
 * A reload reads the file the daemon started with, validates all of it
 * (a bad file is refused with file:line, the running generation stays),
 * keeps the running values of settings only a restart can change (and says
 * which ones changed), and publishes the rest as the next generation.
 * Connections keep the generation they started on; the workers move new
 * ones to the new generation at their next loop turn. A reload is refused
 * while the previous one is not acknowledged by every worker, or while its
 * route tables are still compiling: that runs on a thread of its own, so
 * the control loop keeps answering meanwhile.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl_daemon.h"
#include "gw_log.h"

void
ctl_config_hash(const char *text, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t k;

	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || outlen < 8) {
		snprintf(out, outlen, "?");
		return;
	}
	k = (size_t)snprintf(out, outlen, "sha256:");
	for (unsigned int i = 0; i < mdlen && k + 2 < outlen; i++)
		k += (size_t)snprintf(out + k, outlen - k, "%02x", md[i]);
}

/* Sections only a restart applies: the new file's value is replaced by the
 * running one, and named in `restart` when it differed. */
static void
keep_restart_only(const struct ctl_config *run, struct ctl_config *nc, json_t *restart)
{
#define KEEP(field, name)                                                                          \
	do {                                                                                       \
		if (memcmp(&run->field, &nc->field, sizeof(run->field)) != 0) {                    \
			json_array_append_new(restart, json_string(name));                         \
			memcpy(&nc->field, &run->field, sizeof(run->field));                       \
		}                                                                                  \
	} while (0)
	KEEP(eal, "eal");
	KEEP(workers, "workers");
	KEEP(n_ports, "ports");
	KEEP(ports, "ports");
	KEEP(arp, "arp");
	KEEP(tcp, "tcp");
	KEEP(n_listeners, "listeners");
	KEEP(listeners, "listeners");
	KEEP(ctl, "ctl");
	KEEP(admin, "admin");
	KEEP(log.access_log, "log.access_log");
	KEEP(discovery, "discovery");
	KEEP(identities.ca, "identities.ca");
	KEEP(identities.trust_domain, "identities.trust_domain");
	/* the workers' head buffers are sized at start */
	KEEP(http.max_request_headers_kb, "http.max_request_headers_kb");
	KEEP(http.max_response_headers_kb, "http.max_response_headers_kb");
#undef KEEP
}

int
ctl_config_unenforced(const struct ctl_config *c, char *err, size_t errlen)
{
	if (!c->identities.enabled)
		return 0;
	for (unsigned int i = 0; i < c->n_endpoints; i++) {
		const struct ctl_endpoint_conf *e = &c->endpoints[i];

		if (e->node[0] != '\0' && strcmp(e->node, c->node.name) != 0) {
			snprintf(
				err, errlen,
				"%s: endpoint %u.%u.%u.%u:%u is on node '%s', which needs the mTLS "
				"tunnel this version does not have yet: refusing to send its "
				"traffic in clear",
				c->path, e->addr >> 24, (e->addr >> 16) & 0xff,
				(e->addr >> 8) & 0xff, e->addr & 0xff, e->port, e->node);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* The new config, parsed and checked: discovered endpoints merged in, then
 * published. On success d->conf is nc (owned by its snapshot); on failure
 * nc is still the caller's. */
static int
publish_parsed(struct ctl_daemon *d, struct ctl_config *nc, char *err, size_t errlen)
{
	int rc = ctl_disc_merge(d, nc, err, errlen);

	if (rc == 0) /* after the merge: discovered endpoints count too */
		rc = ctl_config_unenforced(nc, err, errlen);

	if (rc == 0)
		rc = gw_dp_publish(&d->dp, nc, err, errlen);
	if (rc != 0)
		return rc;
	d->conf = nc;
	ctl_disc_published(d);
	ctl_hcheck_sync(d);
	ctl_certs_reload(d);
	return 0;
}

/* text into a new config with the running restart-only settings. */
static struct ctl_config *
parse(struct ctl_daemon *d, const char *text, size_t len, json_t *restart, int *rc, char *err,
      size_t errlen)
{
	struct ctl_config *nc = calloc(1, sizeof(*nc));

	if (nc == NULL) {
		snprintf(err, errlen, "no memory for the new config");
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = ctl_config_load_text(d->conf->path, text, len, nc, err, errlen);
	if (*rc != 0) {
		free(nc);
		return NULL;
	}
	keep_restart_only(d->conf, nc, restart);
	return nc;
}

static void
config_free(struct ctl_config *nc)
{
	if (nc != NULL)
		ctl_config_release(nc);
	free(nc);
}

int
ctl_publish_config(struct ctl_daemon *d, const char *text, size_t len, json_t *restart, char *err,
		   size_t errlen)
{
	json_t *changed = restart ? restart : json_array();
	int rc;
	struct ctl_config *nc = parse(d, text, len, changed, &rc, err, errlen);

	if (nc != NULL && (rc = publish_parsed(d, nc, err, errlen)) != 0)
		config_free(nc);
	if (restart == NULL)
		json_decref(changed);
	return rc;
}

/*
 * A reload parses the file and compiles the route tables the cache lacks
 * on a thread of its own (a config of 10,000 regex routes takes a second to
 * parse and may take many to compile); the control loop goes on meanwhile
 * (status answers, events are taken) and its tick publishes once the
 * thread is done. One at a time.
 */
struct ctl_rjob {
	pthread_t th;
	int done; /* set by the thread */
	/* the thread's: in */
	char path[CTL_ARG_MAX];
	char *text;
	size_t len;
	struct gw_route_known known;
	/* the thread's: out */
	struct ctl_config *nc;
	struct gw_route_job *job;
	int rc;
	char err[600];
	unsigned int tables, routes; /* to compile (atomic: status reads them) */
	/* the control thread's */
	uint64_t t0, seq;
};

static void *
reload_thread(void *arg)
{
	struct ctl_rjob *j = arg;
	unsigned int routes = 0;

	j->nc = calloc(1, sizeof(*j->nc));
	if (j->nc == NULL) {
		snprintf(j->err, sizeof(j->err), "no memory for the new config");
		j->rc = -ENOMEM;
	} else if ((j->rc = ctl_config_load_text(j->path, j->text, j->len, j->nc, j->err,
						 sizeof(j->err))) != 0) {
		free(j->nc);
		j->nc = NULL;
	} else if ((j->job = gw_route_job_create(j->nc, &j->known)) == NULL && errno != 0) {
		snprintf(j->err, sizeof(j->err), "no memory for the route compile");
		j->rc = -ENOMEM;
	} else if (j->job != NULL) {
		__atomic_store_n(&j->tables, gw_route_job_tables(j->job, &routes),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&j->routes, routes, __ATOMIC_RELAXED);
		gw_route_job_run(j->job);
	}
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
rjob_free(struct ctl_rjob *j)
{
	gw_route_job_free(j->job);
	config_free(j->nc);
	free(j->text);
	free(j);
}

static int
refused(struct ctl_daemon *d, int rc, const char *err)
{
	d->reload_failures++;
	GW_LOG(WARN, "reload refused: %s", err);
	return rc;
}

/* Starts a reload (d->rjob set) or refuses it (-errno, err). */
static int
reload_start(struct ctl_daemon *d, char *err, size_t errlen)
{
	struct ctl_rjob *j;
	int rc;

	if (d->state != CTL_STATE_RUNNING) {
		snprintf(err, errlen, "not running (starting or draining): nothing reloaded");
		return -EAGAIN;
	}
	if (d->rjob != NULL) {
		unsigned int t = __atomic_load_n(&d->rjob->tables, __ATOMIC_RELAXED);

		snprintf(err, errlen,
			 "a reload is pending: %s for %" PRIu64
			 " ms (%u route table(s) to compile)",
			 t ? "compiling" : "parsing", ctl_now_ms() - d->rjob->t0, t);
		return -EBUSY;
	}
	if (!gw_snapmgr_all_acked(d->dp.snap)) {
		snprintf(err, errlen,
			 "a reload is pending: generation %" PRIu64
			 " is not acknowledged by every worker yet",
			 gw_snapmgr_generation(d->dp.snap));
		return -EBUSY;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(err, errlen, "no memory for the reload");
		return -ENOMEM;
	}
	snprintf(j->path, sizeof(j->path), "%s", d->conf->path);
	j->t0 = ctl_now_ms();
	j->text = ctl_config_read(j->path, &j->len, err, errlen);
	if (j->text == NULL) {
		rc = -errno;
		free(j);
		return rc;
	}
	gw_route_cache_known(&j->known);
	rc = -pthread_create(&j->th, NULL, reload_thread, j);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the reload thread: %s", strerror(-rc));
		rjob_free(j);
		return rc;
	}
	d->rjob = j;
	return 0;
}

/* The answer to the reload request with tag seq, kept until it is asked. */
static void
rjob_answer(struct ctl_daemon *d, uint64_t seq, int rc, json_t *result, const char *err)
{
	json_decref(d->rjob_result);
	d->rjob_result = result;
	d->rjob_rc = rc;
	d->rjob_done_seq = seq;
	snprintf(d->rjob_err, sizeof(d->rjob_err), "%s", err);
}

/* The thread is done: publish (0, *result set) or refuse (-errno, err). */
static int
reload_finish(struct ctl_daemon *d, struct ctl_rjob *j, json_t **result, char *err, size_t errlen)
{
	json_t *restart;
	char hash[72];
	int rc;

	if (j->rc != 0) {
		snprintf(err, errlen, "%s", j->err);
		return j->rc;
	}
	restart = json_array();
	keep_restart_only(d->conf, j->nc, restart);
	rc = j->job ? gw_route_job_finish(j->job, err, errlen) : 0;
	if (rc == 0)
		rc = publish_parsed(d, j->nc, err, errlen);
	if (rc != 0) {
		json_decref(restart);
		return rc;
	}
	j->nc = NULL; /* its snapshot's now */
	ctl_config_hash(j->text, j->len, hash, sizeof(hash));
	free(d->conf_text);
	d->conf_text = j->text;
	d->conf_len = j->len;
	j->text = NULL;
	snprintf(d->conf_hash, sizeof(d->conf_hash), "%s", hash);
	d->reloads++;
	GW_LOG(INFO, "reload: generation %" PRIu64 " (%s) published in %" PRIu64 " ms%s",
	       gw_snapmgr_generation(d->dp.snap), hash, ctl_now_ms() - j->t0,
	       json_array_size(restart) ? "; some changes need a restart" : "");
	*result = json_pack("{s:I, s:s, s:o, s:I}", "generation",
			    (json_int_t)gw_snapmgr_generation(d->dp.snap), "hash", hash,
			    "restart_required", restart, "ms", (json_int_t)(ctl_now_ms() - j->t0));
	return 0;
}

void
ctl_reload_tick(struct ctl_daemon *d)
{
	struct ctl_rjob *j = d->rjob;
	json_t *result = NULL;
	char err[600] = "";
	int rc;

	if (j == NULL || !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
		return;
	if (!gw_snapmgr_all_acked(d->dp.snap))
		return; /* a discovery update went first: next tick */
	pthread_join(j->th, NULL);
	d->rjob = NULL;
	rc = reload_finish(d, j, &result, err, sizeof(err));
	if (rc != 0)
		refused(d, rc, err);
	if (j->seq != 0)
		rjob_answer(d, j->seq, rc, result, err);
	else
		json_decref(result);
	rjob_free(j);
}

void
ctl_reload_fini(struct ctl_daemon *d)
{
	if (d->rjob != NULL) {
		GW_LOG(INFO, "waiting for the reload thread to finish");
		pthread_join(d->rjob->th, NULL);
		rjob_free(d->rjob);
		d->rjob = NULL;
	}
	json_decref(d->rjob_result);
	d->rjob_result = NULL;
}

int
ctl_reload(struct ctl_daemon *d, json_t **result, char *err, size_t errlen)
{
	int rc = reload_start(d, err, errlen);

	if (rc != 0)
		return refused(d, rc, err);
	*result = json_pack("{s:b, s:I}", "pending", 1, "generation",
			    (json_int_t)gw_snapmgr_generation(d->dp.snap));
	return 0;
}

#define RELOAD_TAG "reload_seq" /* set in the request's args by its first call */

/* With args.timeout_ms the answer waits until the generation is published
 * (the handler says CTL_AGAIN until the tick did it); without, it comes at
 * once: {pending: true, generation: the running one}. */
static int
cmd_reload(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	json_t *tag = json_object_get(args, RELOAD_TAG);
	char msg[600];
	int rc;

	if (tag != NULL) {
		uint64_t seq = (uint64_t)json_integer_value(tag);

		if (d->rjob != NULL && d->rjob->seq == seq)
			return CTL_AGAIN;
		if (d->rjob_done_seq != seq)
			return (ctl_error_set(err, EIO, "the reload's outcome was lost"), -EIO);
		if (d->rjob_rc != 0)
			return (ctl_error_set(err, -d->rjob_rc, "%s", d->rjob_err), d->rjob_rc);
		*result = d->rjob_result;
		d->rjob_result = NULL;
		return 0;
	}
	rc = ctl_reload(d, result, msg, sizeof(msg));
	if (rc != 0)
		return (ctl_error_set(err, -rc, "%s", msg), rc);
	if (json_object_get(args, "timeout_ms") == NULL)
		return 0;
	json_decref(*result);
	*result = NULL;
	d->rjob->seq = ++d->rjob_seq;
	json_object_set_new(args, RELOAD_TAG, json_integer((json_int_t)d->rjob->seq));
	return CTL_AGAIN;
}

json_t *
ctl_reload_pending_json(const struct ctl_daemon *d)
{
	unsigned int t;

	if (d->rjob == NULL)
		return NULL;
	t = __atomic_load_n(&d->rjob->tables, __ATOMIC_RELAXED);
	return json_pack("{s:s, s:I, s:I, s:I}", "phase", t ? "compiling" : "parsing",
			 "route_tables", (json_int_t)t, "routes",
			 (json_int_t)__atomic_load_n(&d->rjob->routes, __ATOMIC_RELAXED), "ms",
			 (json_int_t)(ctl_now_ms() - d->rjob->t0));
}

int
ctl_cmds_reload_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	int rc = ctl_server_register(srv, "reload", cmd_reload, d);

	return rc ?: ctl_server_register(srv, "config", ctl_cmd_config, d);
}

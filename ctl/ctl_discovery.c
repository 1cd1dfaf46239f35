/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_discovery.c - the endpoints file in the daemon: read once before the
 * first snapshot, then watched (ctl_epwatch.h); every new good version
 * becomes the next generation, built from the running config file's bytes
 * plus the file's endpoints (ctl_epmerge.h), through the same path as a
 * reload. A version that cannot be published at once (the previous
 * generation is not acknowledged yet) is retried every tick; one that does
 * not fit the config (too many endpoints) is logged, counted and skipped
 * until the file changes again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_daemon.h"
#include "ctl_epmerge.h"
#include "ctl_epwatch.h"
#include "gw_log.h"

struct ctl_disc {
	struct ctl_epwatch *w;	 /* NULL until ctl_disc_start */
	struct ctl_epfile *boot; /* read at start; in force until the watcher has one */
	uint64_t applied_hash;	 /* of the file version in the running generation */
	bool applied_absent;
	bool dirty;		   /* a newer version waits to be published */
	uint64_t updates;	   /* generations published for the file */
	uint64_t publish_failures; /* versions that could not be published (not busy) */
	uint64_t last_update_ms;
	struct ctl_epmerge_stats merged; /* of the generation running */
	char last_error[640];
};

static const struct ctl_epfile *
in_force(const struct ctl_disc *c)
{
	const struct ctl_epfile *f = c->w ? ctl_epwatch_current(c->w) : NULL;

	return f ? f : c->boot;
}

static void
remember(struct ctl_disc *c, const struct ctl_epfile *f)
{
	c->applied_hash = f ? f->hash : 0;
	c->applied_absent = f == NULL || f->absent;
}

/* With identities declared, traffic to another node must go through the
 * mTLS tunnel, which this version does not have: a file naming such an
 * endpoint is refused rather than sent in clear (as the config's own
 * endpoints are, ctl_config_unenforced). */
static int
remote_endpoint(const struct ctl_config *c, const struct ctl_epfile *f, char *err, size_t errlen)
{
	for (unsigned int i = 0; c->identities.enabled && f != NULL && i < f->n_eps; i++) {
		const struct ctl_endpoint_conf *e = &f->eps[i];

		if (e->node[0] != '\0' && strcmp(e->node, c->node.name) != 0) {
			snprintf(err, errlen,
				 "endpoints file: endpoint %u.%u.%u.%u:%u is on node '%s', which "
				 "needs the mTLS tunnel this version does not have yet: refusing "
				 "to send its traffic in clear",
				 e->addr >> 24, (e->addr >> 16) & 0xff, (e->addr >> 8) & 0xff,
				 e->addr & 0xff, e->port, e->node);
			return -ENOTSUP;
		}
	}
	return 0;
}

int
ctl_disc_merge(struct ctl_daemon *d, struct ctl_config *nc, char *err, size_t errlen)
{
	struct ctl_epmerge_stats st;
	int rc;

	if (d->disc == NULL)
		return 0;
	rc = remote_endpoint(nc, in_force(d->disc), err, errlen);
	if (rc == 0)
		rc = ctl_endpoints_merge(nc, in_force(d->disc), &st, err, errlen);
	if (rc == 0)
		d->disc->merged = st;
	return rc;
}

void
ctl_disc_published(struct ctl_daemon *d)
{
	if (d->disc != NULL)
		remember(d->disc, in_force(d->disc));
}

static void
report_merge(const struct ctl_disc *c, const char *path)
{
	if (c->merged.unknown_clusters > 0)
		GW_LOG(WARN,
		       "endpoints file %s: %u cluster(s) the config does not define, e.g. '%s'",
		       path, c->merged.unknown_clusters, c->merged.first_unknown);
	if (c->merged.duplicates > 0)
		GW_LOG(WARN, "endpoints file %s: %u endpoint(s) the config names already (kept)",
		       path, c->merged.duplicates);
}

int
ctl_disc_boot(struct ctl_daemon *d, struct ctl_config *conf)
{
	const char *path = conf->discovery.endpoints_file;
	char err[CTL_EPFILE_ERR_MAX];
	int rc;

	if (path[0] == '\0')
		return 0;
	d->disc = calloc(1, sizeof(*d->disc));
	if (d->disc == NULL)
		return -ENOMEM;
	rc = ctl_epfile_load(path, &d->disc->boot, err, sizeof(err));
	if (rc != 0) {
		GW_LOG(WARN, "endpoints file refused, starting with the config's endpoints: %s",
		       err);
		snprintf(d->disc->last_error, sizeof(d->disc->last_error), "%s", err);
		return 0;
	}
	rc = ctl_disc_merge(d, conf, err, sizeof(err));
	if (rc != 0) {
		GW_LOG(WARN, "endpoints file %s not used: %s", path, err);
		snprintf(d->disc->last_error, sizeof(d->disc->last_error), "%s", err);
		ctl_epfile_free(d->disc->boot);
		d->disc->boot = NULL;
		d->disc->publish_failures++;
		return 0;
	}
	remember(d->disc, d->disc->boot);
	report_merge(d->disc, path);
	GW_LOG(INFO, "endpoints file %s: %u endpoint(s) added", path, d->disc->merged.added);
	return 0;
}

/* Publishes the version in force if it is not the running one. */
static void
apply(struct ctl_daemon *d)
{
	struct ctl_disc *c = d->disc;
	const struct ctl_epfile *f = in_force(c);
	char err[600];
	int rc;

	if (f == NULL || (f->hash == c->applied_hash && f->absent == c->applied_absent)) {
		c->dirty = false;
		return;
	}
	if (d->state != CTL_STATE_RUNNING || !gw_snapmgr_all_acked(d->dp.snap) || d->rjob != NULL) {
		/* the next tick tries again; a reload in progress merges this
		 * version itself, so the control loop need not parse meanwhile */
		c->dirty = true;
		return;
	}
	rc = ctl_publish_config(d, d->conf_text, d->conf_len, NULL, err, sizeof(err));
	if (rc == -EBUSY) {
		c->dirty = true;
		return;
	}
	c->dirty = false;
	if (rc != 0) {
		c->publish_failures++;
		snprintf(c->last_error, sizeof(c->last_error), "%s", err);
		GW_LOG(WARN, "endpoints file %s: not applied: %s",
		       d->conf->discovery.endpoints_file, err);
		remember(c, f); /* not again until the file changes */
		return;
	}
	c->updates++;
	c->last_update_ms = ctl_now_ms();
	c->last_error[0] = '\0';
	report_merge(c, d->conf->discovery.endpoints_file);
	GW_LOG(INFO, "endpoints file: generation %" PRIu64 " with %u discovered endpoint(s)",
	       gw_snapmgr_generation(d->dp.snap), c->merged.added);
	if (c->boot != NULL && ctl_epwatch_current(c->w) != NULL) {
		ctl_epfile_free(c->boot); /* the watcher's version rules from now on */
		c->boot = NULL;
	}
}

static void
on_change(void *arg, const struct ctl_epfile *f)
{
	struct ctl_daemon *d = arg;

	(void)f; /* the watcher keeps it in force: in_force() finds it */
	apply(d);
}

int
ctl_disc_start(struct ctl_daemon *d, struct ctl_loop *loop)
{
	if (d->disc == NULL)
		return 0;
	d->disc->w = ctl_epwatch_start(loop, &d->conf->discovery, on_change, d);
	if (d->disc->w == NULL) {
		GW_LOG(ERROR, "endpoints file %s: cannot watch: %s",
		       d->conf->discovery.endpoints_file, strerror(errno));
		return -errno;
	}
	ctl_epwatch_load(d->disc->w); /* a refusal is logged and counted by the watcher */
	return 0;
}

void
ctl_disc_tick(struct ctl_daemon *d)
{
	if (d->disc != NULL && d->disc->dirty)
		apply(d);
}

void
ctl_disc_stop(struct ctl_daemon *d)
{
	if (d->disc == NULL)
		return;
	ctl_epwatch_stop(d->disc->w);
	ctl_epfile_free(d->disc->boot);
	free(d->disc);
	d->disc = NULL;
}

json_t *
ctl_disc_json(const struct ctl_daemon *d)
{
	const struct ctl_disc *c = d->disc;
	struct ctl_epwatch_stats ws = {0};
	char hash[20];

	if (c == NULL)
		return NULL;
	if (c->w != NULL)
		ctl_epwatch_stats(c->w, &ws);
	snprintf(hash, sizeof(hash), "%016" PRIx64, c->applied_hash);
	return json_pack("{s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
			 "endpoints_file", d->conf->discovery.endpoints_file, "hash", hash,
			 "watching", ws.watching, "pending", c->dirty, "updates",
			 (json_int_t)c->updates, "loads", (json_int_t)ws.loads, "load_errors",
			 (json_int_t)ws.load_errors, "publish_failures",
			 (json_int_t)c->publish_failures, "endpoints", (json_int_t)c->merged.added,
			 "duplicates", (json_int_t)c->merged.duplicates, "unknown_clusters",
			 (json_int_t)c->merged.unknown_clusters, "last_update_ms",
			 (json_int_t)c->last_update_ms, "last_error",
			 ws.failing ? ws.last_error : c->last_error, "first_unknown_cluster",
			 c->merged.first_unknown);
}

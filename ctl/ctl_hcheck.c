/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_hcheck.c - active health checks in the daemon: the workers' results
 * (their event rings) through the thresholds (ctl_health.h) into each
 * endpoint's shared `unhealthy` flag, which the workers' endpoint choice
 * reads; the state's upkeep across generations; what `endpoints` and
 * /metrics show. Control thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl_daemon.h"
#include "ctl_health.h"
#include "gw_health.h"
#include "gw_log.h"

static const struct ctl_health_conf *
checked(const struct gw_mesh *m, unsigned int ep)
{
	const struct ctl_health_conf *h;

	if (m == NULL || !gw_mesh_has_endpoint(m, ep))
		return NULL;
	h = &m->clusters[m->endpoints[ep].cluster].conf.health;
	return h->enabled ? h : NULL;
}

static void
set_unhealthy(struct ctl_daemon *d, uint32_t ep, bool v)
{
	__atomic_store_n(&d->dp.ep_shared[ep].unhealthy, (uint8_t)v, __ATOMIC_RELAXED);
}

static void
on_result(void *arg, uint32_t ep, bool ok, uint8_t reason)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = gw_snapmgr_current(d->dp.snap)->mesh;
	const struct ctl_health_conf *h = checked(m, ep);
	enum ctl_health_status st;

	if (h == NULL) {
		d->health_stale++; /* checked on a generation that had it */
		return;
	}
	if (!ctl_health_result(d->health, ep, h, ok, reason, ctl_now_ms()))
		return;
	st = ctl_health_status(d->health, ep);
	set_unhealthy(d, ep, !ctl_health_status_usable(st));
	GW_LOG(INFO, "health: %s is %s%s%s", gw_slots_label(d->dp.slots, GW_SLOT_ENDPOINT, ep),
	       ctl_health_status_name(st), ok ? "" : ": ", ok ? "" : gw_health_reason_name(reason));
}

int
ctl_hcheck_init(struct ctl_daemon *d)
{
	d->health = ctl_health_create(GW_SLOTS_ENDPOINTS);
	if (d->health == NULL)
		return -errno;
	d->dp.on_health = on_result;
	d->dp.on_health_arg = d;
	return 0;
}

void
ctl_hcheck_fini(struct ctl_daemon *d)
{
	d->dp.on_health = NULL;
	ctl_health_free(d->health);
	d->health = NULL;
}

struct collect {
	uint32_t *ids;
	unsigned int n;
};

static void
collect_id(void *arg, const struct ctl_health_ep *e)
{
	struct collect *c = arg;

	c->ids[c->n++] = e->id;
}

void
ctl_hcheck_sync(struct ctl_daemon *d)
{
	const struct gw_mesh *m = gw_snapmgr_current(d->dp.snap)->mesh;
	struct collect c = {0};

	if (d->health == NULL)
		return;
	/* an endpoint that left, or whose cluster is no longer checked, starts
	 * over (unknown, in rotation) should it be checked again */
	c.ids = malloc(sizeof(*c.ids) * (ctl_health_count(d->health) + 1));
	if (c.ids != NULL) {
		ctl_health_foreach(d->health, collect_id, &c);
		for (unsigned int i = 0; i < c.n; i++)
			if (checked(m, c.ids[i]) == NULL)
				ctl_health_forget(d->health, c.ids[i]);
		free(c.ids);
	}
	for (unsigned int e = 0; e < m->n_endpoints; e++)
		if (gw_mesh_has_endpoint(m, e) && checked(m, e) == NULL &&
		    d->dp.ep_shared[e].unhealthy)
			set_unhealthy(d, e, false);
}

void
ctl_hcheck_row(struct ctl_daemon *d, const struct gw_mesh *m, unsigned int ep, json_t *row)
{
	const struct ctl_health_ep *e = d->health ? ctl_health_get(d->health, ep) : NULL;
	const char *status = "unchecked";

	if (checked(m, ep) != NULL)
		status = ctl_health_status_name(e ? e->status : CTL_HS_UNKNOWN);
	json_object_set_new(row, "health", json_string(status));
	json_object_set_new(
		row, "healthy",
		json_boolean(!__atomic_load_n(&d->dp.ep_shared[ep].unhealthy, __ATOMIC_RELAXED)));
	json_object_set_new(row, "health_checks", json_integer(e ? (json_int_t)e->checks : 0));
	json_object_set_new(row, "health_failures", json_integer(e ? (json_int_t)e->failed : 0));
	json_object_set_new(
		row, "health_last_failure",
		json_string(e && e->last_reason ? gw_health_reason_name(e->last_reason) : ""));
	json_object_set_new(row, "health_last_failure_ms_ago",
			    json_integer(e && e->last_failure
						 ? (json_int_t)(ctl_now_ms() - e->last_failure)
						 : -1));
}

json_t *
ctl_hcheck_stats_json(const struct gw_worker *w)
{
	const struct gw_health_stats *s = gw_health_get_stats(w->health);
	json_t *failed = json_object();

	for (unsigned int r = 1; r < GW_HC_REASON_MAX; r++)
		json_object_set_new(
			failed, gw_health_reason_name(r),
			json_integer((json_int_t)__atomic_load_n(&s->failed[r], __ATOMIC_RELAXED)));
#define L(f) (json_int_t) __atomic_load_n(&s->f, __ATOMIC_RELAXED)
	return json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I}", "started", L(started), "ok",
			 L(ok), "failed", failed, "delayed", L(delayed), "local_errors",
			 L(local_errors), "request_errors", L(request_errors), "targets",
			 L(targets), "in_flight", L(in_flight));
#undef L
}

void
ctl_hcheck_metrics(FILE *f, struct ctl_daemon *d)
{
	uint64_t ok = 0, failed[GW_HC_REASON_MAX] = {0}, started = 0;

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_health_stats *s = gw_health_get_stats(d->dp.workers[i]->health);

		started += __atomic_load_n(&s->started, __ATOMIC_RELAXED);
		ok += __atomic_load_n(&s->ok, __ATOMIC_RELAXED);
		for (unsigned int r = 1; r < GW_HC_REASON_MAX; r++)
			failed[r] += __atomic_load_n(&s->failed[r], __ATOMIC_RELAXED);
	}
	fprintf(f,
		"# HELP meshgw_health_checks_started_total Active health checks started.\n"
		"# TYPE meshgw_health_checks_started_total counter\n"
		"meshgw_health_checks_started_total %" PRIu64 "\n"
		"# HELP meshgw_health_checks_total Active health check results, by result.\n"
		"# TYPE meshgw_health_checks_total counter\n"
		"meshgw_health_checks_total{result=\"ok\"} %" PRIu64 "\n",
		started, ok);
	for (unsigned int r = 1; r < GW_HC_REASON_MAX; r++)
		fprintf(f, "meshgw_health_checks_total{result=\"%s\"} %" PRIu64 "\n",
			gw_health_reason_name(r), failed[r]);
	fprintf(f,
		"# HELP meshgw_health_results_dropped_total Results for endpoints no longer "
		"checked, or beyond the state table.\n"
		"# TYPE meshgw_health_results_dropped_total counter\n"
		"meshgw_health_results_dropped_total %" PRIu64 "\n",
		d->health_stale + (d->health ? ctl_health_dropped(d->health) : 0));
}

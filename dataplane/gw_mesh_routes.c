/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_mesh_routes.c - the HTTP route tables of a snapshot's mesh, and the
 * compile cache: a compiled table is kept by the content hash of its
 * routes' matchers, so a snapshot whose routes did not change takes the
 * compiled databases of the previous one instead of compiling them again
 * (10,000 regex routes take seconds). Control thread only: the cache has
 * no lock; a compile job (gw_route_job_*) does the slow part on another
 * thread and touches the cache only in create and finish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_log.h"
#include "gw_mesh.h"

#define CACHE_MAX (2 * CTL_MAX_ROUTE_TABLES) /* a running and a new snapshot's */

struct centry {
	uint64_t hash;
	unsigned int n_routes, refs;
	struct gw_route_table *t;
};

static struct centry cache[CACHE_MAX];
static struct gw_route_cache_stats cstats;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct gw_route_str_match
str_match(const struct ctl_str_match *m)
{
	/* enum ctl_match_kind mirrors enum gw_route_kind */
	return (struct gw_route_str_match){(enum gw_route_kind)m->kind, m->value};
}

static void
to_def(const struct ctl_http_route *r, struct gw_route_def *d)
{
	memset(d, 0, sizeof(*d));
	d->host = str_match(&r->host);
	d->path = str_match(&r->path);
	d->method = r->method;
	d->n_headers = r->n_headers;
	for (unsigned int i = 0; i < r->n_headers; i++) {
		d->headers[i].name = r->headers[i].name;
		d->headers[i].m = str_match(&r->headers[i].m);
	}
}

static struct centry *
cache_find(uint64_t hash, unsigned int n)
{
	for (unsigned int i = 0; i < CACHE_MAX; i++)
		if (cache[i].t != NULL && cache[i].hash == hash && cache[i].n_routes == n)
			return &cache[i];
	return NULL;
}

/* Drops tables no mesh holds any more. */
static void
cache_trim(void)
{
	for (unsigned int i = 0; i < CACHE_MAX; i++)
		if (cache[i].t != NULL && cache[i].refs == 0) {
			gw_route_free(cache[i].t);
			cache[i].t = NULL;
			cstats.cached--;
		}
}

static struct gw_route_table *
cache_get(const struct gw_route_def *defs, unsigned int n, const char *table, char *err,
	  size_t errlen)
{
	uint64_t hash = gw_route_defs_hash(defs, n), t0;
	struct centry *e = cache_find(hash, n);
	char why[256];

	if (e != NULL) {
		e->refs++;
		cstats.hits++;
		GW_LOG(INFO, "route table %s: %u routes, compiled before (hash %016llx)", table, n,
		       (unsigned long long)hash);
		return e->t;
	}
	cache_trim();
	for (unsigned int i = 0; i < CACHE_MAX && e == NULL; i++)
		if (cache[i].t == NULL)
			e = &cache[i];
	if (e == NULL) {
		snprintf(err, errlen, "route table %s: compile cache full", table);
		errno = ENOSPC;
		return NULL;
	}
	t0 = now_us();
	e->t = gw_route_build(defs, n, why, sizeof(why));
	if (e->t == NULL) {
		snprintf(err, errlen, "route table %s: %s", table, why);
		return NULL;
	}
	cstats.last_compile_us = now_us() - t0;
	cstats.compile_us += cstats.last_compile_us;
	cstats.compiles++;
	cstats.cached++;
	e->hash = hash;
	e->n_routes = n;
	e->refs = 1;
	GW_LOG(INFO, "route table %s: %u routes compiled in %llu ms (hash %016llx)", table, n,
	       (unsigned long long)(cstats.last_compile_us / 1000), (unsigned long long)hash);
	return e->t;
}

static void
cache_put(struct gw_route_table *t)
{
	for (unsigned int i = 0; i < CACHE_MAX; i++)
		if (cache[i].t == t && cache[i].refs > 0) {
			cache[i].refs--;
			return;
		}
}

/* The slot of every table and route; -ENOSPC when out of them. */
static int
route_slots(struct gw_mesh *m, const struct ctl_rtables *rt, struct gw_slots *sl)
{
	for (unsigned int i = 0; i < rt->n_tables; i++) {
		const struct ctl_route_table_conf *tc = &rt->tables[i];
		bool fresh;
		int slot = gw_slots_get(sl, GW_SLOT_RTABLE, tc->name, NULL, 0, 0, &fresh);

		if (slot < 0)
			return slot;
		m->rtables[i].slot = (unsigned int)slot;
		if (fresh)
			m->fresh[GW_SLOT_RTABLE][m->n_fresh[GW_SLOT_RTABLE]++] = (uint16_t)slot;
		for (unsigned int r = tc->first_route; r < tc->first_route + tc->n_routes; r++) {
			slot = gw_slots_get(sl, GW_SLOT_ROUTE, tc->name, rt->routes[r].name, 0, 0,
					    &fresh);
			if (slot < 0)
				return slot;
			m->route_slot[r] = (uint32_t)slot;
			if (fresh)
				m->fresh[GW_SLOT_ROUTE][m->n_fresh[GW_SLOT_ROUTE]++] =
					(uint16_t)slot;
		}
	}
	return 0;
}

int
gw_mesh_routes_build(struct gw_mesh *m, const struct ctl_config *conf, struct gw_slots *sl)
{
	const struct ctl_rtables *rt = conf->rtables;
	struct gw_route_def *defs;
	char err[320];
	size_t errlen = sizeof(err);

	if (rt == NULL || rt->n_tables == 0)
		return 0;
	m->rtables = calloc(rt->n_tables, sizeof(*m->rtables));
	m->route_slot = calloc(rt->n_routes, sizeof(*m->route_slot));
	defs = calloc(rt->n_routes, sizeof(*defs));
	if (m->rtables == NULL || m->route_slot == NULL || defs == NULL) {
		free(defs);
		GW_LOG(ERROR, "route tables: out of memory");
		return -ENOMEM;
	}
	m->routes = rt->routes;
	m->n_routes = rt->n_routes;
	if (route_slots(m, rt, sl) < 0) {
		free(defs);
		GW_LOG(ERROR, "route tables: out of route slots (old connections hold them)");
		return -ENOSPC;
	}
	for (unsigned int i = 0; i < rt->n_routes; i++)
		to_def(&rt->routes[i], &defs[i]);
	for (unsigned int i = 0; i < rt->n_tables; i++) {
		const struct ctl_route_table_conf *tc = &rt->tables[i];
		struct gw_rtable *gt = &m->rtables[i];

		snprintf(gt->name, sizeof(gt->name), "%s", tc->name);
		gt->first_route = tc->first_route;
		gt->n_routes = tc->n_routes;
		gt->match = cache_get(defs + tc->first_route, tc->n_routes, tc->name, err, errlen);
		if (gt->match == NULL) {
			GW_LOG(ERROR, "%s", err);
			free(defs);
			return -(errno ? errno : EINVAL);
		}
		m->n_rtables = i + 1;
	}
	free(defs);
	return 0;
}

void
gw_mesh_routes_free(struct gw_mesh *m)
{
	for (unsigned int i = 0; m->rtables != NULL && i < m->n_rtables; i++)
		cache_put(m->rtables[i].match);
	free(m->rtables);
	free(m->route_slot);
	m->route_slot = NULL;
	m->rtables = NULL;
	m->n_rtables = 0;
}

/* ---- compiling off the control thread ------------------------------------ */

struct job_table {
	char name[CTL_NAME_MAX];
	uint64_t hash;
	unsigned int n;
	struct gw_route_def *defs; /* into the job's defs */
	struct gw_route_table *t;  /* compiled (the job's until finish) */
	uint64_t us;
	char err[320];
};

struct gw_route_job {
	struct gw_route_def *defs;
	struct job_table *tables;
	unsigned int n_tables, n_routes;
	struct gw_route_table **held; /* cache holds taken by finish */
	unsigned int n_held;
	int rc;
};

void
gw_route_cache_known(struct gw_route_known *k)
{
	k->n = 0;
	for (unsigned int i = 0; i < CACHE_MAX; i++)
		if (cache[i].t != NULL) {
			k->hash[k->n] = cache[i].hash;
			k->n_routes[k->n++] = cache[i].n_routes;
		}
}

static bool
known(const struct gw_route_known *k, uint64_t hash, unsigned int n)
{
	for (unsigned int i = 0; k != NULL && i < k->n; i++)
		if (k->hash[i] == hash && k->n_routes[i] == n)
			return true;
	return false;
}

struct gw_route_job *
gw_route_job_create(const struct ctl_config *conf, const struct gw_route_known *kn)
{
	const struct ctl_rtables *rt = conf->rtables;
	struct gw_route_job *j;

	errno = 0;
	if (rt == NULL || rt->n_tables == 0)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (j == NULL || (j->defs = calloc(rt->n_routes, sizeof(*j->defs))) == NULL ||
	    (j->tables = calloc(rt->n_tables, sizeof(*j->tables))) == NULL ||
	    (j->held = calloc(rt->n_tables, sizeof(*j->held))) == NULL)
		goto nomem;
	for (unsigned int i = 0; i < rt->n_routes; i++)
		to_def(&rt->routes[i], &j->defs[i]);
	for (unsigned int i = 0; i < rt->n_tables; i++) {
		const struct ctl_route_table_conf *tc = &rt->tables[i];
		struct gw_route_def *defs = j->defs + tc->first_route;
		uint64_t hash = gw_route_defs_hash(defs, tc->n_routes);
		bool dup = false;

		if (known(kn, hash, tc->n_routes))
			continue;
		for (unsigned int k = 0; k < j->n_tables; k++)
			dup |= j->tables[k].hash == hash && j->tables[k].n == tc->n_routes;
		if (dup)
			continue; /* two tables with the same routes: one compile */
		j->tables[j->n_tables] =
			(struct job_table){.hash = hash, .n = tc->n_routes, .defs = defs};
		snprintf(j->tables[j->n_tables].name, sizeof(j->tables[0].name), "%s", tc->name);
		j->n_tables++;
		j->n_routes += tc->n_routes;
	}
	if (j->n_tables > 0)
		return j;
	gw_route_job_free(j);
	return NULL;
nomem:
	gw_route_job_free(j);
	errno = ENOMEM;
	return NULL;
}

unsigned int
gw_route_job_tables(const struct gw_route_job *j, unsigned int *n_routes)
{
	if (n_routes != NULL)
		*n_routes = j->n_routes;
	return j->n_tables;
}

void
gw_route_job_run(struct gw_route_job *j)
{
	for (unsigned int i = 0; i < j->n_tables; i++) {
		struct job_table *jt = &j->tables[i];
		uint64_t t0 = now_us();

		jt->t = gw_route_build(jt->defs, jt->n, jt->err, sizeof(jt->err));
		jt->us = now_us() - t0;
		if (jt->t == NULL) {
			j->rc = -(errno ? errno : EINVAL);
			return; /* the reload fails on the first bad table */
		}
	}
}

int
gw_route_job_finish(struct gw_route_job *j, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < j->n_tables; i++) {
		struct job_table *jt = &j->tables[i];
		struct centry *e = NULL;

		if (jt->t == NULL) {
			snprintf(err, errlen, "route table %s: %s", jt->name, jt->err);
			return j->rc ? j->rc : -EINVAL;
		}
		if ((e = cache_find(jt->hash, jt->n)) != NULL) {
			/* compiled meanwhile for another generation: take that one */
			e->refs++;
			j->held[j->n_held++] = e->t;
			continue;
		}
		cache_trim();
		for (unsigned int k = 0; k < CACHE_MAX && e == NULL; k++)
			if (cache[k].t == NULL)
				e = &cache[k];
		if (e == NULL) {
			snprintf(err, errlen, "route table %s: compile cache full", jt->name);
			return -ENOSPC;
		}
		*e = (struct centry){.hash = jt->hash, .n_routes = jt->n, .refs = 1, .t = jt->t};
		j->held[j->n_held++] = jt->t; /* until gw_route_job_free: the build takes its own */
		jt->t = NULL;
		cstats.last_compile_us = jt->us;
		cstats.compile_us += jt->us;
		cstats.compiles++;
		cstats.cached++;
		GW_LOG(INFO, "route table %s: %u routes compiled in %llu ms (hash %016llx)",
		       jt->name, jt->n, (unsigned long long)(jt->us / 1000),
		       (unsigned long long)jt->hash);
	}
	return 0;
}

void
gw_route_job_free(struct gw_route_job *j)
{
	if (j == NULL)
		return;
	for (unsigned int i = 0; i < j->n_held; i++)
		cache_put(j->held[i]);
	for (unsigned int i = 0; j->tables != NULL && i < j->n_tables; i++)
		gw_route_free(j->tables[i].t);
	free(j->held);
	free(j->tables);
	free(j->defs);
	free(j);
}

void
gw_route_cache_get_stats(struct gw_route_cache_stats *out)
{
	*out = cstats;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_snapshot.c - snapshot build and RCU publication (see gw_snapshot.h).
 * Control thread writes `cur` and the defer queue; workers read `cur` and
 * their own QSBR slot and acked generation.
 */
#include "gw_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

struct retired {
	struct gw_snapshot *s;
	uint64_t token; /* rte_rcu_qsbr_start() at retirement */
};

struct acked_slot {
	uint64_t generation;
} __rte_cache_aligned;

struct gw_snapmgr {
	struct gw_snapshot *cur;
	uint64_t generation;
	unsigned int n_workers;
	struct rte_rcu_qsbr *qsbr;
	struct retired retired[GW_SNAP_RETIRED_MAX];
	unsigned int n_retired;
	struct acked_slot acked[STK_MAX_WORKERS];
};

static int
add_connected(struct stk_routes *r, const struct ctl_config *conf)
{
	for (unsigned int p = 0; p < conf->n_ports; p++) {
		const struct ctl_port_conf *pc = &conf->ports[p];
		for (unsigned int a = 0; a < pc->n_addrs; a++) {
			uint8_t plen = pc->plens[a];
			uint32_t mask = plen ? ~0u << (32 - plen) : 0;
			int rc = stk_routes_add(r, pc->addrs[a] & mask, plen, 0, p);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* FNV-1a over everything the route table is made of. */
static uint64_t
routes_key(const struct ctl_config *conf)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint8_t *b;

#define MIX(ptr, len)                                                                              \
	for (b = (const uint8_t *)(ptr); b < (const uint8_t *)(ptr) + (len); b++)                  \
	h = (h ^ *b) * 0x100000001b3ULL
	for (unsigned int p = 0; p < conf->n_ports; p++) {
		MIX(conf->ports[p].addrs, sizeof(uint32_t) * conf->ports[p].n_addrs);
		MIX(conf->ports[p].plens, conf->ports[p].n_addrs);
		MIX(&p, sizeof(p));
	}
	for (unsigned int i = 0; i < conf->n_routes; i++) {
		const struct ctl_route_conf *r = &conf->routes[i];
		MIX(&r->prefix, sizeof(r->prefix));
		MIX(&r->plen, sizeof(r->plen));
		MIX(&r->via, sizeof(r->via));
		MIX(&r->port, sizeof(r->port));
	}
#undef MIX
	return h;
}

static void
rref_put(struct gw_routes_ref *rr)
{
	if (rr == NULL || --rr->refcnt > 0)
		return;
	stk_routes_free(rr->routes);
	rr->routes = NULL;
	free(rr);
}

static struct gw_routes_ref *
rref_build(const struct ctl_config *conf, uint64_t key, uint64_t generation)
{
	struct gw_routes_ref *rr = calloc(1, sizeof(*rr));
	char name[32];
	int rc;

	if (rr == NULL)
		return NULL;
	rr->refcnt = 1;
	rr->key = key;
	snprintf(name, sizeof(name), "routes_%" PRIu64, generation);
	rr->routes = stk_routes_create(name, CTL_MAX_ROUTES + CTL_MAX_PORTS * CTL_MAX_ADDRS,
				       SOCKET_ID_ANY);
	if (rr->routes == NULL)
		goto fail;
	rc = add_connected(rr->routes, conf);
	for (unsigned int i = 0; rc == 0 && i < conf->n_routes; i++) {
		const struct ctl_route_conf *r = &conf->routes[i];
		rc = stk_routes_add(rr->routes, r->prefix, r->plen, r->via, r->port);
	}
	if (rc == 0)
		return rr;
	errno = -rc;
fail:
	rref_put(rr);
	return NULL;
}

struct gw_snapshot *
gw_snapshot_build(const struct ctl_config *conf, uint64_t generation,
		  const struct gw_snapshot *prev, struct gw_slots *sl, const struct stk_vips *keep)
{
	struct gw_snapshot *s = calloc(1, sizeof(*s));
	uint64_t key = routes_key(conf);

	if (s == NULL)
		return NULL;
	s->generation = generation;
	if (prev != NULL && prev->rref->key == key) {
		s->rref = prev->rref;
		s->rref->refcnt++;
	} else {
		s->rref = rref_build(conf, key, generation);
	}
	if (s->rref == NULL) {
		free(s);
		return NULL;
	}
	s->routes = s->rref->routes;
	s->mesh = gw_mesh_build(conf, sl, generation, keep);
	if (s->mesh == NULL) {
		gw_snapshot_free(s);
		return NULL;
	}
	s->conf = conf;
	return s;
}

void
gw_snapshot_free(struct gw_snapshot *s)
{
	if (s == NULL)
		return;
	rref_put(s->rref);
	s->rref = NULL;
	gw_mesh_free(s->mesh);
	if (s->owned != NULL) {
		ctl_config_release(s->owned);
		free(s->owned);
	}
	free(s);
}

struct gw_snapmgr *
gw_snapmgr_create(unsigned int n_workers)
{
	struct gw_snapmgr *m = NULL;
	size_t sz;

	if (n_workers == 0 || n_workers > STK_MAX_WORKERS) {
		errno = EINVAL;
		return NULL;
	}
	m = rte_zmalloc("snapmgr", sizeof(*m), RTE_CACHE_LINE_SIZE);
	if (m == NULL)
		goto nomem;
	m->n_workers = n_workers;
	sz = rte_rcu_qsbr_get_memsize(n_workers);
	m->qsbr = rte_zmalloc("snap_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (m->qsbr == NULL || rte_rcu_qsbr_init(m->qsbr, n_workers) != 0)
		goto nomem;
	return m;
nomem:
	gw_snapmgr_free(m);
	errno = ENOMEM;
	return NULL;
}

void
gw_snapmgr_free(struct gw_snapmgr *m)
{
	if (m == NULL)
		return;
	/* workers are gone: everything retired is unreferenced */
	for (unsigned int i = 0; i < m->n_retired; i++)
		gw_snapshot_free(m->retired[i].s);
	m->n_retired = 0;
	gw_snapshot_free(m->cur);
	m->cur = NULL;
	rte_free(m->qsbr);
	m->qsbr = NULL;
	rte_free(m);
}

int
gw_snapmgr_publish(struct gw_snapmgr *m, struct gw_snapshot *s)
{
	struct gw_snapshot *old = m->cur;

	if (old != NULL && gw_snapmgr_reclaim(m) == GW_SNAP_RETIRED_MAX)
		return -EBUSY;
	__atomic_store_n(&m->cur, s, __ATOMIC_RELEASE);
	__atomic_store_n(&m->generation, s->generation, __ATOMIC_RELEASE);
	if (old != NULL)
		m->retired[m->n_retired++] =
			(struct retired){.s = old, .token = rte_rcu_qsbr_start(m->qsbr)};
	return 0;
}

unsigned int
gw_snapmgr_reclaim(struct gw_snapmgr *m)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < m->n_retired; i++) {
		struct retired *r = &m->retired[i];

		/* after the grace period no worker can take a new reference */
		if (rte_rcu_qsbr_check(m->qsbr, r->token, false) == 1 &&
		    gw_mesh_unreferenced(r->s->mesh))
			gw_snapshot_free(r->s);
		else
			m->retired[k++] = *r;
	}
	m->n_retired = k;
	return k;
}

uint64_t
gw_snapmgr_oldest(const struct gw_snapmgr *m)
{
	uint64_t g = m->cur != NULL ? m->cur->generation : 0;

	for (unsigned int i = 0; i < m->n_retired; i++)
		g = RTE_MIN(g, m->retired[i].s->generation);
	return g;
}

static bool
held(const struct gw_snapshot *s)
{
	return !gw_mesh_unreferenced(s->mesh);
}

struct stk_vips *
gw_snapmgr_held_vips(const struct gw_snapmgr *m)
{
	unsigned int n = 0;
	struct stk_vips *v;

	if (m->cur != NULL && held(m->cur))
		n += m->cur->mesh->vips->n;
	for (unsigned int i = 0; i < m->n_retired; i++)
		if (held(m->retired[i].s))
			n += m->retired[i].s->mesh->vips->n;
	if (n == 0)
		return NULL;
	v = malloc(sizeof(*v) + n * sizeof(uint32_t));
	if (v == NULL)
		return NULL;
	v->n = 0;
	for (unsigned int i = 0; i <= m->n_retired; i++) {
		const struct gw_snapshot *s = i < m->n_retired ? m->retired[i].s : m->cur;

		if (s == NULL || !held(s))
			continue;
		memcpy(&v->addr[v->n], s->mesh->vips->addr, s->mesh->vips->n * sizeof(uint32_t));
		v->n += s->mesh->vips->n;
	}
	return v;
}

uint64_t
gw_snapmgr_generation(const struct gw_snapmgr *m)
{
	return __atomic_load_n(&m->generation, __ATOMIC_ACQUIRE);
}

uint64_t
gw_snapmgr_acked(const struct gw_snapmgr *m, unsigned int w)
{
	return __atomic_load_n(&m->acked[w].generation, __ATOMIC_ACQUIRE);
}

int
gw_snapmgr_all_acked(const struct gw_snapmgr *m)
{
	uint64_t gen = gw_snapmgr_generation(m);

	for (unsigned int w = 0; w < m->n_workers; w++)
		if (gw_snapmgr_acked(m, w) != gen)
			return 0;
	return gen != 0;
}

int
gw_snapmgr_register(struct gw_snapmgr *m, unsigned int w)
{
	if (rte_rcu_qsbr_thread_register(m->qsbr, w) != 0)
		return -rte_errno;
	rte_rcu_qsbr_thread_online(m->qsbr, w);
	return 0;
}

void
gw_snapmgr_unregister(struct gw_snapmgr *m, unsigned int w)
{
	rte_rcu_qsbr_thread_offline(m->qsbr, w);
	rte_rcu_qsbr_thread_unregister(m->qsbr, w);
}

const struct gw_snapshot *
gw_snapmgr_current(const struct gw_snapmgr *m)
{
	return __atomic_load_n(&m->cur, __ATOMIC_ACQUIRE);
}

void
gw_snapmgr_quiescent(struct gw_snapmgr *m, unsigned int w, uint64_t generation)
{
	rte_rcu_qsbr_quiescent(m->qsbr, w);
	__atomic_store_n(&m->acked[w].generation, generation, __ATOMIC_RELEASE);
}

void
gw_snapmgr_offline(struct gw_snapmgr *m, unsigned int w)
{
	rte_rcu_qsbr_thread_offline(m->qsbr, w);
}

void
gw_snapmgr_online(struct gw_snapmgr *m, unsigned int w)
{
	rte_rcu_qsbr_thread_online(m->qsbr, w);
}

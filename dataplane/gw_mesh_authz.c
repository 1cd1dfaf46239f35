/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_mesh_authz.c - the authorization part of a snapshot's mesh: the
 * policies (gw_policy.h) by service slot, one counter array per worker,
 * and the declared identities of local workloads by source address.
 * Built and freed on the control thread; workers only read (and count in
 * their own array).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gw_log.h"
#include "gw_mesh.h"

static int
by_addr(const void *a, const void *b)
{
	uint32_t x = ((const struct gw_identity *)a)->addr;
	uint32_t y = ((const struct gw_identity *)b)->addr;

	return x < y ? -1 : x > y;
}

int
gw_mesh_authz_build(struct gw_mesh *m, const struct ctl_config *conf, const int *svc_slot)
{
	const struct ctl_identities_conf *id = &conf->identities;
	char err[256];

	m->ids_enabled = id->enabled;
	if (id->n_workloads > 0) {
		m->ids = calloc(id->n_workloads, sizeof(*m->ids));
		if (m->ids == NULL)
			return -ENOMEM;
		for (unsigned int i = 0; i < id->n_workloads; i++) {
			m->ids[i].addr = id->workloads[i].addr;
			m->ids[i].len = (uint16_t)strlen(id->workloads[i].identity);
			memcpy(m->ids[i].id, id->workloads[i].identity, m->ids[i].len + 1u);
		}
		m->n_ids = id->n_workloads;
		qsort(m->ids, m->n_ids, sizeof(*m->ids), by_addr);
	}
	if (conf->policies == NULL || conf->policies->n_policies == 0)
		return 0;
	m->policies = gw_policy_set_build(conf, err, sizeof(err));
	m->svc_policy = calloc(m->n_services + 1, sizeof(*m->svc_policy));
	m->policy_ctr = calloc(m->n_workers, sizeof(*m->policy_ctr));
	if (m->policies == NULL || m->svc_policy == NULL || m->policy_ctr == NULL) {
		if (m->policies == NULL)
			GW_LOG(ERROR, "policies: %s", err);
		return -ENOMEM;
	}
	for (unsigned int w = 0; w < m->n_workers; w++)
		if ((m->policy_ctr[w] = gw_policy_counters_new(m->policies)) == NULL)
			return -ENOMEM;
	for (unsigned int s = 0; s < conf->n_services; s++)
		m->svc_policy[svc_slot[s]] = gw_policy_of_service(m->policies, s);
	return 0;
}

void
gw_mesh_authz_free(struct gw_mesh *m)
{
	for (unsigned int w = 0; m->policy_ctr != NULL && w < m->n_workers; w++)
		free(m->policy_ctr[w]);
	free(m->policy_ctr);
	free(m->svc_policy);
	gw_policy_set_free(m->policies);
	free(m->ids);
}

const struct gw_identity *
gw_mesh_identity(const struct gw_mesh *m, uint32_t addr)
{
	unsigned int lo = 0, hi = m->n_ids;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (m->ids[mid].addr == addr)
			return &m->ids[mid];
		if (m->ids[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum gw_authz
gw_mesh_authorize(const struct gw_mesh *m, unsigned int service, unsigned int worker,
		  uint32_t saddr, uint16_t vport, const struct gw_route_req *http)
{
	const struct gw_policy *p = m->svc_policy ? m->svc_policy[service] : NULL;
	const struct gw_identity *id = m->n_ids ? gw_mesh_identity(m, saddr) : NULL;
	struct gw_policy_verdict v;

	if (m->ids_enabled && id == NULL)
		return GW_AUTHZ_UNKNOWN_SOURCE; /* local sources must be declared */
	if (p == NULL)
		return GW_AUTHZ_ALLOW;
	v = gw_policy_eval(p, &(struct gw_policy_req){.identity = id ? id->id : NULL,
						      .identity_len = id ? id->len : 0,
						      .port = vport,
						      .http = http});
	m->policy_ctr[worker][gw_policy_counter_slot(p, &v)]++;
	if (v.allow)
		return v.dry_run && v.decision == GW_POLICY_DENY ? GW_AUTHZ_DRY_RUN_DENY
								 : GW_AUTHZ_ALLOW;
	return GW_AUTHZ_DENY;
}

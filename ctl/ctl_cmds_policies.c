/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmds_policies.c - `meshgwctl policies`: every authorization policy of
 * the running generation with its rules and how many decisions each made
 * (summed over the workers; counters start again with each generation),
 * and the gateway-wide denials.
 */
#include "ctl_daemon.h"
#include "gw_policy.h"

static uint64_t
decisions(const struct gw_mesh *m, const struct gw_policy *p, int rule)
{
	struct gw_policy_verdict v = {.rule = rule};
	unsigned int slot = gw_policy_counter_slot(p, &v);
	uint64_t n = 0;

	for (unsigned int w = 0; w < m->n_workers; w++)
		n += __atomic_load_n(&m->policy_ctr[w][slot], __ATOMIC_RELAXED);
	return n;
}

static json_t *
policy_json(const struct ctl_daemon *d, const struct gw_mesh *m, const struct gw_policy *p)
{
	json_t *rules = json_array();
	unsigned int svc = gw_policy_service(p);

	for (int r = 0; r < (int)gw_policy_rules(p); r++)
		json_array_append_new(rules,
				      json_pack("{s:s, s:s, s:I}", "name",
						gw_policy_rule_name(p, r), "action",
						gw_policy_action_name(gw_policy_rule_action(p, r)),
						"decisions", (json_int_t)decisions(m, p, r)));
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:I}", "name", gw_policy_name(p), "service",
			 svc < d->conf->n_services ? d->conf->services[svc].name : "?", "default",
			 gw_policy_action_name(gw_policy_default(p)), "dry_run",
			 gw_policy_dry_run(p), "rules", rules, "default_decisions",
			 (json_int_t)decisions(m, p, -1));
}

static int
cmd_policies(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = gw_snapmgr_current(d->dp.snap)->mesh;
	json_t *list = json_array();
	uint64_t denied = 0, unknown = 0, dry = 0;

	(void)args;
	(void)err;
	for (unsigned int i = 0; m->policies != NULL && i < gw_policy_count(m->policies); i++)
		json_array_append_new(list, policy_json(d, m, gw_policy_at(m->policies, i)));
	for (unsigned int w = 0; w < d->dp.n_workers; w++) {
		const struct gw_proxy_stats *s = gw_proxy_get_stats(d->dp.workers[w]->proxy);

		denied += __atomic_load_n(&s->policy_denied, __ATOMIC_RELAXED);
		unknown += __atomic_load_n(&s->policy_unknown_source, __ATOMIC_RELAXED);
		dry += __atomic_load_n(&s->policy_dry_run_denied, __ATOMIC_RELAXED);
	}
	*result =
		json_pack("{s:I, s:b, s:I, s:o, s:I, s:I, s:I}", "generation",
			  (json_int_t)m->generation, "identities", m->ids_enabled, "workloads",
			  (json_int_t)m->n_ids, "policies", list, "denied", (json_int_t)denied,
			  "unknown_source", (json_int_t)unknown, "dry_run_denied", (json_int_t)dry);
	return 0;
}

int
ctl_cmds_policies_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	return ctl_server_register(srv, "policies", cmd_policies, d);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_policies.c - the `policies` list: authorization policies of
 * services (README "policies"), kept in one heap object the config owns.
 *
 * A policy names its service, which is looked up once the whole file is read
 * (`services` may come later); so are the checks that need the service (one
 * policy per service, `http` rules only on protocol "http"). HTTP matchers
 * use the route tables' vocabulary and helpers (ctl_config_rtables.h) but
 * only exact, prefix and present: the policy matcher compares directly,
 * without Hyperscan (see gw_policy.h for why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config_rtables.h"

#define POL(f)	   CFG_AT(struct ctl_policy_conf, f)
#define RULE(f)	   CFG_AT(struct ctl_policy_rule, f)
#define METHOD_MAX 64
#define SPIFFE	   "spiffe://"

_Static_assert(sizeof(enum ctl_policy_action) == 4, "cfg_choice stores enums as 32-bit integers");

static const char *const action_words[] = {"allow", "deny", NULL};

/* ---- freeing ----------------------------------------------------------- */

static void
rule_free(struct ctl_policy_rule *r)
{
	for (unsigned int i = 0; i < r->n_identities; i++) {
		free(r->identities[i].value);
		r->identities[i].value = NULL;
	}
	for (unsigned int i = 0; i < r->n_namespaces; i++) {
		free(r->namespaces[i]);
		r->namespaces[i] = NULL;
	}
	for (unsigned int i = 0; i < r->n_methods; i++) {
		free(r->methods[i]);
		r->methods[i] = NULL;
	}
	free(r->path.value);
	r->path.value = NULL;
	for (unsigned int i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].m.value);
		r->headers[i].name = r->headers[i].m.value = NULL;
	}
}

void
ctl_policies_free(struct ctl_policies *p)
{
	if (p == NULL)
		return;
	for (unsigned int i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p);
}

/* ---- lists of strings -------------------------------------------------- */

/* s is an array of 1..CTL_MAX_POLICY_LIST strings, or integers when ints. */
static int
need_list(struct cfg_parse *ps, const config_setting_t *s, const char *key, bool ints)
{
	int n = config_setting_length(s);
	int want = ints ? CONFIG_TYPE_INT : CONFIG_TYPE_STRING;

	if (!config_setting_is_array(s) || n < 1 || n > CTL_MAX_POLICY_LIST ||
	    config_setting_type(config_setting_get_elem(s, 0)) != want)
		return cfg_fail(ps, s, "'%s' expected a list of 1 to %d %s such as [ %s ]", key,
				CTL_MAX_POLICY_LIST, ints ? "integers" : "strings",
				ints ? "8080" : "\"a\", \"b\"");
	return 0;
}

/* Identity patterns: "*", an exact SPIFFE ID, or one ending in "/" and "*". */
static int
identity(struct cfg_parse *ps, const config_setting_t *e, struct ctl_id_match *m)
{
	const char *v = config_setting_get_string(e);
	size_t n = strlen(v);
	const char *star = strchr(v, '*');
	int rc;

	if (strcmp(v, "*") == 0) {
		m->kind = CTL_ID_ANY;
		return 0;
	}
	if (strncmp(v, SPIFFE, strlen(SPIFFE)) != 0 || v[strlen(SPIFFE)] == '\0' ||
	    v[strlen(SPIFFE)] == '/' || n >= CTL_IDENTITY_MAX)
		return cfg_fail(
			ps, e,
			"'identities' expected \"*\" or a SPIFFE ID such as "
			"\"spiffe://mesh.local/ns/web/sa/frontend\" (at most %d characters)",
			CTL_IDENTITY_MAX - 1);
	if (star != NULL && (star != v + n - 1 || star[-1] != '/'))
		return cfg_fail(ps, e,
				"'identities' may use '*' only as its whole last segment, such as "
				"\"spiffe://mesh.local/ns/web/%c\"",
				'*');
	rc = rt_text(ps, e, "identities", CTL_IDENTITY_MAX - 1, 0, &m->value);
	if (rc == 0 && star != NULL)
		m->value[n - 1] = '\0';
	if (rc == 0)
		m->kind = star != NULL ? CTL_ID_PREFIX : CTL_ID_EXACT;
	return rc;
}

static int
from_identities(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	int rc = need_list(ps, s, kw->name, false);

	for (int i = 0; rc == 0 && i < config_setting_length(s); i++) {
		rc = identity(ps, config_setting_get_elem(s, (unsigned int)i),
			      &r->identities[r->n_identities]);
		if (rc == 0)
			r->n_identities++;
	}
	return rc;
}

static int
from_namespaces(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	int rc = need_list(ps, s, kw->name, false);

	for (int i = 0; rc == 0 && i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = NULL;
		if ((rc = rt_check_name(ps, e, kw->name, &v)) < 0)
			break;
		rc = rt_text(ps, e, kw->name, CTL_NAME_MAX - 1, 0, &r->namespaces[r->n_namespaces]);
		if (rc == 0)
			r->n_namespaces++;
	}
	return rc;
}

static int
to_ports(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	int rc = need_list(ps, s, kw->name, true);

	for (int i = 0; rc == 0 && i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int v = config_setting_get_int(e);
		if (v < 1 || v > 65535)
			return cfg_fail(ps, e, "'%s' expected ports between 1 and 65535", kw->name);
		r->ports[r->n_ports++] = (uint16_t)v;
	}
	return rc;
}

static const struct cfg_kw from_kws[] = {
	{"identities", from_identities},
	{"namespaces", from_namespaces},
	{NULL},
};

static const struct cfg_kw to_kws[] = {
	{"ports", to_ports},
	{NULL},
};

/* ---- http -------------------------------------------------------------- */

static int
http_methods(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	int rc = need_list(ps, s, kw->name, false);

	for (int i = 0; rc == 0 && i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = config_setting_get_string(e);
		if (strlen(v) > METHOD_MAX || !rt_is_token(v))
			return cfg_fail(ps, e, "'%s' expected HTTP methods such as \"GET\"",
					kw->name);
		rc = rt_text(ps, e, kw->name, METHOD_MAX, 0, &r->methods[r->n_methods]);
		if (rc == 0)
			r->n_methods++;
	}
	return rc;
}

static const enum ctl_match_kind kind_exact = CTL_MATCH_EXACT, kind_prefix = CTL_MATCH_PREFIX,
				 kind_present = CTL_MATCH_PRESENT;

/* path, path_prefix (kw->arg: the kind); one of them per rule. */
static int
http_path(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	const char *v = config_setting_get_string(s);
	int rc;

	if (r->path.kind != CTL_MATCH_ANY)
		return cfg_fail(ps, s, "only one of 'path' and 'path_prefix' per rule");
	if (v != NULL && v[0] != '/')
		return cfg_fail(ps, s, "'%s' must start with '/'", kw->name);
	rc = rt_text(ps, s, kw->name, CTL_ROUTE_PATH_MAX, 0, &r->path.value);
	if (rc == 0)
		r->path.kind = *(const enum ctl_match_kind *)kw->arg;
	return rc;
}

/* Regexes are the route tables' business; say so rather than "unknown". */
static int
no_regex(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	(void)obj;
	return cfg_fail(ps, s, "'%s' is not supported in policies (exact, prefix%s only)", kw->name,
			strcmp(kw->name, "regex") == 0 ? " and present" : "");
}

/* exact, prefix, present: one per header. */
static int
hdr_value(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_hdr_match *h = obj;
	enum ctl_match_kind kind = *(const enum ctl_match_kind *)kw->arg;
	int rc = 0;

	if (h->m.kind != CTL_MATCH_ANY)
		return cfg_fail(ps, s, "only one of 'exact', 'prefix' and 'present' per header");
	if (kind == CTL_MATCH_PRESENT) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL || !config_setting_get_bool(s))
			return cfg_fail(ps, s, "'%s' expected true (leave it out otherwise)",
					kw->name);
	} else {
		rc = rt_text(ps, s, kw->name, CTL_ROUTE_HVALUE_MAX,
			     RT_SPACE | RT_TAB | (kind == CTL_MATCH_EXACT ? RT_EMPTY : 0),
			     &h->m.value);
	}
	if (rc == 0)
		h->m.kind = kind;
	return rc;
}

static const struct cfg_kw hdr_kws[] = {
	{"name", rt_hdr_name},
	{"exact", hdr_value, .arg = &kind_exact},
	{"prefix", hdr_value, .arg = &kind_prefix},
	{"present", hdr_value, .arg = &kind_present},
	{"regex", no_regex},
	{NULL},
};

static int
http_headers(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;

	return rt_header_list(ps, s, kw->name, hdr_kws, "rule", "'exact', 'prefix' or 'present'",
			      r->headers, &r->n_headers);
}

static const struct cfg_kw http_kws[] = {
	{"methods", http_methods},
	{"path", http_path, .arg = &kind_exact},
	{"path_prefix", http_path, .arg = &kind_prefix},
	{"path_regex", no_regex},
	{"headers", http_headers},
	{NULL},
};

/* ---- rules ------------------------------------------------------------- */

static int
rule_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	const char *v = NULL;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0)
		snprintf(r->name, sizeof(r->name), "%s", v);
	return rc;
}

/* from, to, http: groups walked into the rule itself (kw->arg: the table). */
static int
rule_part(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_rule *r = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (kw->arg == from_kws)
		r->has_from = true;
	else if (kw->arg == http_kws)
		r->has_http = true;
	return cfg_walk(ps, s, kw->arg, obj);
}

static const struct cfg_kw rule_kws[] = {
	{"name", rule_name},
	{"action", cfg_choice, RULE(action), .arg = action_words},
	{"from", rule_part, .arg = from_kws},
	{"to", rule_part, .arg = to_kws},
	{"http", rule_part, .arg = http_kws},
	{NULL},
};

/* A free slot at the end of the rules array. */
static struct ctl_policy_rule *
rule_slot(struct ctl_policies *p)
{
	if (p->n_rules == p->cap_rules) {
		unsigned int cap = p->cap_rules ? p->cap_rules * 2 : 64;
		struct ctl_policy_rule *grown = realloc(p->rules, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		p->rules = grown;
		p->cap_rules = cap;
	}
	return &p->rules[p->n_rules];
}

static int
rule_check(struct cfg_parse *ps, const config_setting_t *e, const struct ctl_policy_conf *pol,
	   const struct ctl_policy_rule *r)
{
	const struct ctl_policy_rule *first = &ps->c->policies->rules[pol->first_rule];

	if (config_setting_get_member(e, "action") == NULL)
		return cfg_fail(ps, e, "'action' (\"allow\" or \"deny\") is required for rule '%s'",
				r->name);
	for (const struct ctl_policy_rule *o = first; o < r; o++)
		if (strcmp(o->name, r->name) == 0)
			return cfg_fail(ps, e, "duplicate rule name '%s' (first at line %d)",
					r->name, o->line);
	return 0;
}

static int
rule_parse(struct cfg_parse *ps, const config_setting_t *e, const struct ctl_policy_conf *pol,
	   unsigned int idx)
{
	struct ctl_policies *p = ps->c->policies;
	struct ctl_policy_rule *r = rule_slot(p);
	int rc;

	if (r == NULL) {
		cfg_fail(ps, e, "out of memory");
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	p->n_rules++; /* from here on its strings are freed with the policies */
	r->line = config_setting_source_line(e);
	snprintf(r->name, sizeof(r->name), "%u", idx);
	if ((rc = cfg_need_group(ps, e, "rules")) < 0 || (rc = cfg_walk(ps, e, rule_kws, r)) < 0)
		return rc;
	return rule_check(ps, e, pol, r);
}

/* ---- policies ---------------------------------------------------------- */

static int
pol_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0)
		cfg_copy(obj, kw, v);
	return rc;
}

/* The form only; cfg_policies_resolve() looks the name up. */
static int
pol_service(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;

	(void)obj;
	return rt_check_name(ps, s, kw->name, &v);
}

static int
pol_rules(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_policy_conf *pol = obj;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n > CTL_MAX_POLICY_RULES)
		return cfg_fail(ps, s, "'%s' expected at most %d rules per policy", kw->name,
				CTL_MAX_POLICY_RULES);
	pol->first_rule = ps->c->policies->n_rules;
	for (int i = 0; i < n; i++) {
		rc = rule_parse(ps, config_setting_get_elem(s, (unsigned int)i), pol,
				(unsigned int)i);
		if (rc < 0)
			return rc;
		pol->n_rules++;
	}
	return 0;
}

static const struct cfg_kw policy_kws[] = {
	{"name", pol_name, POL(name)},
	{"service", pol_service},
	{"default", cfg_choice, POL(default_action), .arg = action_words},
	{"dry_run", cfg_bool, POL(dry_run)},
	{"rules", pol_rules},
	{NULL},
};

static void
policy_defaults(void *elem)
{
	*(struct ctl_policy_conf *)elem = (struct ctl_policy_conf){
		.default_action = CTL_POLICY_DENY,
	};
}

static int
policy_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_policy_conf *pol = elem;
	const struct ctl_policies *p = ps->c->policies;

	(void)idx;
	if (pol->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a policy");
	for (unsigned int i = 0; i < p->n_policies; i++)
		if (strcmp(p->policies[i].name, pol->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate policy name '%s' (first at line %d)", pol->name,
					p->policies[i].line);
	if (config_setting_get_member(s, "service") == NULL)
		return cfg_fail(ps, s, "'service' is required for policy '%s'", pol->name);
	return 0;
}

int
cfg_sec_policies(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		 void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "policies",
		.max = CTL_MAX_POLICIES,
		.size = sizeof(struct ctl_policy_conf),
		.line_off = offsetof(struct ctl_policy_conf, line),
		.kws = policy_kws,
		.init = policy_defaults,
		.check = policy_check,
	};
	struct ctl_config *c = obj;
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	c->policies = calloc(1, sizeof(*c->policies));
	if (c->policies == NULL) {
		cfg_fail(ps, s, "out of memory");
		return -ENOMEM;
	}
	rc = cfg_group_list(ps, s, kw, &spec, c->policies->policies, &c->policies->n_policies);
	if (rc == 0)
		ps->policies = s;
	return rc;
}

/* ---- after the walk ---------------------------------------------------- */

/* A policy's service, which must be http if any rule has an http part. */
static int
policy_service(struct cfg_parse *ps, const config_setting_t *e, struct ctl_policy_conf *pol)
{
	const config_setting_t *m = config_setting_get_member(e, "service");
	const config_setting_t *rules = config_setting_get_member(e, "rules");
	const char *want = config_setting_get_string(m);
	const struct ctl_service_conf *svc = NULL;

	for (unsigned int i = 0; svc == NULL && i < ps->c->n_services; i++)
		if (strcmp(ps->c->services[i].name, want) == 0) {
			svc = &ps->c->services[i];
			pol->service = i;
		}
	if (svc == NULL)
		return cfg_fail(ps, m, "'service' \"%s\" of policy '%s' is not a defined service%s",
				want, pol->name,
				ps->c->n_services ? "" : " (there is no 'services' list)");
	for (unsigned int j = 0; j < pol->n_rules && svc->protocol != CTL_PROTO_HTTP; j++) {
		const struct ctl_policy_rule *r = &ps->c->policies->rules[pol->first_rule + j];
		if (r->has_http)
			return cfg_fail(
				ps,
				config_setting_get_member(config_setting_get_elem(rules, j),
							  "http"),
				"rule '%s' of policy '%s' matches 'http' but service '%s' has "
				"protocol \"tcp\"",
				r->name, pol->name, svc->name);
	}
	return 0;
}

int
cfg_policies_resolve(struct cfg_parse *ps)
{
	struct ctl_policies *p = ps->c->policies;

	for (unsigned int i = 0; p != NULL && i < p->n_policies; i++) {
		const config_setting_t *e = config_setting_get_elem(ps->policies, i);
		struct ctl_policy_conf *pol = &p->policies[i];
		int rc = policy_service(ps, e, pol);
		if (rc < 0)
			return rc;
		for (unsigned int k = 0; k < i; k++)
			if (p->policies[k].service == pol->service)
				return cfg_fail(ps, config_setting_get_member(e, "service"),
						"service '%s' already has policy '%s' (line %d)",
						ps->c->services[pol->service].name,
						p->policies[k].name, p->policies[k].line);
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_services.c - the `node` group and the `services` and `clusters`
 * lists with their endpoints.
 *
 * Services and clusters are parsed where they stand; a service's cluster and
 * its VIPs against the listeners are checked only after the whole file is
 * read (`services` may come before `clusters`, `listeners` or `ports`). The
 * endpoints of every cluster go to one flat array, each cluster owning a
 * contiguous range of it in file order. Checks that need a name (messages
 * name the service or cluster) run once its whole group is read, since the
 * name may be its last key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

#define SVC(f)	CFG_AT(struct ctl_service_conf, f)
#define CLU(f)	CFG_AT(struct ctl_cluster_conf, f)
#define EP(f)	CFG_AT(struct ctl_endpoint_conf, f)
#define OUTL(f) CFG_AT(struct ctl_outlier_conf, f)
#define LOC(f)	CFG_AT(struct ctl_locality_conf, f)
#define NODE(f) CFG_AT(struct ctl_node_conf, f)

#define MS	   1000LL
#define SEC	   1000000LL
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define VIP_STRLEN sizeof("255.255.255.255:65535")

_Static_assert(sizeof(enum ctl_protocol) == 4 && sizeof(enum ctl_lb_policy) == 4 &&
		       sizeof(enum ctl_hash_key) == 4,
	       "cfg_choice stores enums as 32-bit integers");

static const char *const proto_words[] = {"tcp", "http", NULL};
static const char *const policy_words[] = {"round_robin", "random",    "least_conn",
					   "maglev",	  "ring_hash", NULL};
static const char *const hash_words[] = {"source_ip", "five_tuple", NULL};

const char *
ctl_lb_policy_name(enum ctl_lb_policy p)
{
	if ((unsigned int)p >= sizeof(policy_words) / sizeof(policy_words[0]) - 1)
		return "unknown";
	return policy_words[p];
}

const char *
ctl_ep_source_name(enum ctl_ep_source s)
{
	static const char *const names[] = {"config", "file", "etcd"};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *
ctl_hash_key_name(enum ctl_hash_key k)
{
	if ((unsigned int)k >= sizeof(hash_words) / sizeof(hash_words[0]) - 1)
		return "unknown";
	return hash_words[k];
}

static void
cluster_defaults(void *elem)
{
	struct ctl_cluster_conf *cl = elem;

	*cl = (struct ctl_cluster_conf){
		.policy = CTL_LB_ROUND_ROBIN,
		.hash_key = CTL_HASH_SOURCE_IP,
		.ring_size = 32768,
		.connect_timeout_us = 1 * SEC,
		.idle_timeout_us = 3600 * SEC,
		.connect_attempts = 3,
		.max_connections = 100000,
		.max_pending = 1024,
		.proxy_protocol = false,
		.outlier =
			{
				.consecutive_failures = 5,
				.interval_us = 1 * SEC,
				.base_ejection_us = 30 * SEC,
				.max_ejection_us = 300 * SEC,
				.max_ejection_percent = 10,
				.consecutive_5xx = 5,
				.consecutive_gateway_errors = 5,
			},
		.retry_budget = {.percent = 20, .min_concurrency = 3},
		.locality = {.enabled = false, .min_available_percent = 70},
		.panic_threshold = 50,
	};
	cfg_health_defaults(&cl->health);
}

static void
endpoint_defaults(struct ctl_endpoint_conf *ep)
{
	*ep = (struct ctl_endpoint_conf){.weight = 1};
}

/* Node names, services (protocol tcp) and log.access_log default to zero
 * bytes, which ctl_config_defaults() already wrote. */
void
cfg_services_defaults(struct ctl_config *c)
{
	for (unsigned int i = 0; i < CTL_MAX_CLUSTERS; i++)
		cluster_defaults(&c->clusters[i]);
	for (unsigned int i = 0; i < CTL_MAX_ENDPOINTS; i++)
		endpoint_defaults(&c->endpoints[i]);
}

/* 0/8 is "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved
 * (with the limited broadcast): none can be a service's or endpoint's address. */
static bool
unicast(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 24) < 224;
}

static const char *
fmt_vip(uint32_t addr, uint16_t port, char *buf, size_t len)
{
	char a[16];

	snprintf(buf, len, "%s:%u", cfg_fmt_ipv4(addr, a, sizeof(a)), (unsigned int)port);
	return buf;
}

/* Names of services, clusters, nodes and zones: they show in meshgwctl, in
 * metrics labels and in the access log, so no spaces or quotes. */
static int
check_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
	   const char **out)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) >= CTL_NAME_MAX ||
	    strspn(v, NAME_CHARS) != strlen(v))
		return cfg_fail(ps, s,
				"'%s' expected 1 to %d characters from A-Z, a-z, 0-9, '.', '_' "
				"and '-'",
				kw->name, CTL_NAME_MAX - 1);
	*out = v;
	return 0;
}

static int
name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;
	int rc = check_name(ps, s, kw, &v);

	if (rc == 0)
		cfg_copy(obj, kw, v);
	return rc;
}

const struct cfg_kw cfg_node_kws[] = {
	{"name", name, NODE(name)},
	{"zone", name, NODE(zone)},
	{NULL},
};

/* ---- services ---------------------------------------------------------- */

/* "a.b.c.d:port", the port 1..65535 in plain decimal. 0 or -EINVAL. */
static int
parse_vip(const char *text, struct ctl_vip_conf *vip)
{
	const char *colon = strchr(text, ':');
	const char *p = colon ? colon + 1 : NULL;
	uint32_t port = 0;
	char buf[16];

	if (colon == NULL || (size_t)(colon - text) >= sizeof(buf) || *p < '1' || *p > '9' ||
	    strlen(p) > 5)
		return -EINVAL;
	memcpy(buf, text, (size_t)(colon - text));
	buf[colon - text] = '\0';
	for (; *p >= '0' && *p <= '9'; p++)
		port = port * 10 + (uint32_t)(*p - '0');
	if (*p != '\0' || port > 65535 || cfg_parse_ipv4(buf, &vip->addr) < 0)
		return -EINVAL;
	vip->port = (uint16_t)port;
	return 0;
}

static int
one_vip(struct cfg_parse *ps, const config_setting_t *e, struct ctl_service_conf *svc)
{
	const char *v = config_setting_get_string(e);
	struct ctl_vip_conf vip;
	char buf[VIP_STRLEN];

	if (v == NULL || parse_vip(v, &vip) < 0)
		return cfg_fail(ps, e,
				"'vips' expected \"address:port\" with a port between 1 and 65535, "
				"such as \"10.96.0.10:80\"");
	if (!unicast(vip.addr))
		return cfg_fail(ps, e, "'vips' %s is not a unicast address",
				fmt_vip(vip.addr, vip.port, buf, sizeof(buf)));
	svc->vips[svc->n_vips++] = vip;
	return 0;
}

/* One string, or a list of 1..CTL_MAX_SERVICE_VIPS strings. */
static int
vips(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_service_conf *svc = obj;
	int n = config_setting_length(s);

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return one_vip(ps, s, svc);
	if ((!config_setting_is_array(s) && !config_setting_is_list(s)) || n < 1)
		return cfg_fail(ps, s,
				"'%s' expected a list of \"address:port\" strings such as [ "
				"\"10.96.0.10:80\" ]",
				kw->name);
	if (n > CTL_MAX_SERVICE_VIPS)
		return cfg_fail(ps, s, "'%s' expected at most %d VIPs per service", kw->name,
				CTL_MAX_SERVICE_VIPS);
	for (int i = 0; i < n; i++) {
		int rc = one_vip(ps, config_setting_get_elem(s, (unsigned int)i), svc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The form only; the name is looked up by cfg_services_resolve(). */
static int
svc_cluster(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;

	(void)obj;
	return check_name(ps, s, kw, &v);
}

static const struct cfg_kw service_kws[] = {
	{"name", name, SVC(name)},
	{"vips", vips},
	{"cluster", svc_cluster},
	{"route_table", svc_cluster},
	{"protocol", cfg_choice, SVC(protocol), .arg = proto_words},
	{"tls", cfg_svc_tls},
	{NULL},
};

/* The setting VIP i of a service came from (a lone string is VIP 0). */
static const config_setting_t *
vip_setting(const config_setting_t *svc, unsigned int i)
{
	const config_setting_t *m = config_setting_get_member(svc, "vips");

	return config_setting_type(m) == CONFIG_TYPE_STRING ? m : config_setting_get_elem(m, i);
}

/* A VIP:port belongs to one service, once. */
static int
vip_unique(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_service_conf *svc,
	   unsigned int j)
{
	const struct ctl_vip_conf *v = &svc->vips[j];
	char buf[VIP_STRLEN];

	for (unsigned int k = 0; k < j; k++)
		if (svc->vips[k].addr == v->addr && svc->vips[k].port == v->port)
			return cfg_fail(ps, vip_setting(s, j),
					"'vips' %s is listed twice in service '%s'",
					fmt_vip(v->addr, v->port, buf, sizeof(buf)), svc->name);
	for (unsigned int i = 0; i < ps->c->n_services; i++) {
		const struct ctl_service_conf *o = &ps->c->services[i];
		for (unsigned int k = 0; k < o->n_vips; k++)
			if (o->vips[k].addr == v->addr && o->vips[k].port == v->port)
				return cfg_fail(ps, vip_setting(s, j),
						"'vips' %s is already used by service '%s' (line "
						"%d)",
						fmt_vip(v->addr, v->port, buf, sizeof(buf)),
						o->name, o->line);
	}
	return 0;
}

/* A service sends to a cluster or, over HTTP, to a route table. */
static int
service_target(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_service_conf *svc)
{
	const config_setting_t *cl = config_setting_get_member(s, "cluster");
	const config_setting_t *rt = config_setting_get_member(s, "route_table");

	if (cl == NULL && rt == NULL)
		return cfg_fail(ps, s, "'cluster' or 'route_table' is required for service '%s'",
				svc->name);
	if (cl != NULL && rt != NULL)
		return cfg_fail(ps, rt,
				"service '%s' has both 'cluster' and 'route_table' (exactly one)",
				svc->name);
	if (rt != NULL && svc->protocol != CTL_PROTO_HTTP)
		return cfg_fail(ps, rt, "'route_table' needs protocol \"http\" (service '%s')",
				svc->name);
	return 0;
}

static int
service_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_service_conf *svc = elem;
	int rc;

	(void)idx;
	if (svc->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a service");
	for (unsigned int i = 0; i < ps->c->n_services; i++)
		if (strcmp(ps->c->services[i].name, svc->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate service name '%s' (first at line %d)", svc->name,
					ps->c->services[i].line);
	if (svc->n_vips == 0)
		return cfg_fail(ps, s, "'vips' is required for service '%s'", svc->name);
	if ((rc = service_target(ps, s, svc)) < 0)
		return rc;
	for (unsigned int j = 0; j < svc->n_vips; j++) {
		rc = vip_unique(ps, s, svc, j);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
cfg_sec_services(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		 void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "services",
		.max = CTL_MAX_SERVICES,
		.size = sizeof(struct ctl_service_conf),
		.line_off = offsetof(struct ctl_service_conf, line),
		.kws = service_kws,
		.check = service_check,
	};
	struct ctl_config *c = obj;
	int rc = cfg_group_list(ps, s, kw, &spec, c->services, &c->n_services);

	if (rc == 0)
		ps->services = s;
	return rc;
}

/* ---- clusters and endpoints -------------------------------------------- */

static int
ep_address(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_endpoint_conf *ep = obj;
	const char *v = config_setting_get_string(s);
	char buf[16];

	if (v == NULL || cfg_parse_ipv4(v, &ep->addr) < 0)
		return cfg_fail(ps, s, "'%s' expected an IPv4 address such as \"10.77.1.2\"",
				kw->name);
	if (!unicast(ep->addr))
		return cfg_fail(ps, s, "'%s' %s is not a unicast address", kw->name,
				cfg_fmt_ipv4(ep->addr, buf, sizeof(buf)));
	return 0;
}

static const struct cfg_kw endpoint_kws[] = {
	{"address", ep_address},
	{"port", cfg_uint, EP(port), .min = 1, .max = 65535},
	{"weight", cfg_uint, EP(weight), .min = 1, .max = 10000},
	{"node", name, EP(node)},
	{"zone", name, EP(zone)},
	{NULL},
};

static int
endpoint_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_endpoint_conf *ep)
{
	char buf[16];

	if (config_setting_get_member(s, "address") == NULL)
		return cfg_fail(ps, s, "'address' is required for an endpoint");
	if (ep->port == 0)
		return cfg_fail(ps, s, "'port' is required for endpoint %s",
				cfg_fmt_ipv4(ep->addr, buf, sizeof(buf)));
	return 0;
}

/* Appends the cluster's endpoints to the flat array. */
static int
endpoints(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_cluster_conf *cl = obj;
	struct ctl_config *c = ps->c;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n < 1 || n > CTL_MAX_CLUSTER_EPS)
		return cfg_fail(ps, s, "'%s' expected 1 to %d endpoints per cluster", kw->name,
				CTL_MAX_CLUSTER_EPS);
	if (c->n_endpoints + (unsigned int)n > CTL_MAX_ENDPOINTS)
		return cfg_fail(ps, s,
				"'%s' brings the clusters to %u endpoints (at most %d in all)",
				kw->name, c->n_endpoints + (unsigned int)n, CTL_MAX_ENDPOINTS);
	cl->first_endpoint = c->n_endpoints;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ctl_endpoint_conf *ep = &c->endpoints[c->n_endpoints];
		endpoint_defaults(ep);
		ep->line = config_setting_source_line(e);
		if ((rc = cfg_walk(ps, e, endpoint_kws, ep)) < 0 ||
		    (rc = endpoint_check(ps, e, ep)) < 0)
			return rc;
		c->n_endpoints++;
		cl->n_endpoints++;
	}
	return 0;
}

static const struct cfg_kw outlier_kws[] = {
	{"consecutive_failures", cfg_uint, OUTL(consecutive_failures), .min = 0, .max = 1000},
	{"interval", cfg_duration, OUTL(interval_us), .min = 1 * MS, .max = 3600 * SEC},
	{"base_ejection_time", cfg_duration, OUTL(base_ejection_us), .min = 1 * MS,
	 .max = 86400 * SEC},
	{"max_ejection_time", cfg_duration, OUTL(max_ejection_us), .min = 1 * MS,
	 .max = 86400 * SEC},
	{"max_ejection_percent", cfg_uint, OUTL(max_ejection_percent), .min = 0, .max = 100},
	{"consecutive_5xx", cfg_uint, OUTL(consecutive_5xx), .min = 0, .max = 1000},
	{"consecutive_gateway_errors", cfg_uint, OUTL(consecutive_gateway_errors), .min = 0,
	 .max = 1000},
	{NULL},
};

static int
outlier(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_outlier_conf *o = &((struct ctl_cluster_conf *)obj)->outlier;
	const config_setting_t *m;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, outlier_kws, o);
	if (rc < 0 || o->max_ejection_us >= o->base_ejection_us)
		return rc;
	m = config_setting_get_member(s, "max_ejection_time");
	if (m == NULL)
		m = config_setting_get_member(s, "base_ejection_time");
	return cfg_fail(ps, m, "'max_ejection_time' is below 'base_ejection_time'");
}

static const struct cfg_kw locality_kws[] = {
	{"enabled", cfg_bool, LOC(enabled)},
	{"min_available_percent", cfg_uint, LOC(min_available_percent), .min = 0, .max = 100},
	{NULL},
};

static const struct cfg_kw retry_budget_kws[] = {
	{"percent", cfg_uint, CFG_AT(struct ctl_retry_budget_conf, percent), .min = 0, .max = 100},
	{"min_concurrency", cfg_uint, CFG_AT(struct ctl_retry_budget_conf, min_concurrency),
	 .min = 0, .max = 100000},
	{NULL},
};

static const struct cfg_kw cluster_kws[] = {
	{"name", name, CLU(name)},
	{"policy", cfg_choice, CLU(policy), .arg = policy_words},
	{"hash_key", cfg_choice, CLU(hash_key), .arg = hash_words},
	{"ring_size", cfg_uint, CLU(ring_size), .min = 64, .max = 65536},
	{"connect_timeout", cfg_duration, CLU(connect_timeout_us), .min = 1 * MS, .max = 60 * SEC},
	{"idle_timeout", cfg_duration, CLU(idle_timeout_us), .min = 0, .max = 86400 * SEC},
	{"connect_attempts", cfg_uint, CLU(connect_attempts), .min = 1, .max = 16},
	{"max_connections", cfg_uint, CLU(max_connections), .min = 1, .max = UINT32_MAX},
	{"max_pending", cfg_uint, CLU(max_pending), .min = 1, .max = UINT32_MAX},
	{"proxy_protocol", cfg_bool, CLU(proxy_protocol)},
	{"outlier", outlier},
	{"locality", cfg_group, CLU(locality), .arg = locality_kws},
	{"retry_budget", cfg_group, CLU(retry_budget), .arg = retry_budget_kws},
	{"health_check", cfg_health, CLU(health)},
	{"panic_threshold", cfg_uint, CLU(panic_threshold), .min = 0, .max = 100},
	{"tls", cfg_cluster_tls, CLU(tls)},
	{"endpoints", endpoints},
	{NULL},
};

/* The same address and port twice would count twice in every balancer. */
static int
endpoints_unique(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_cluster_conf *cl)
{
	const struct ctl_endpoint_conf *eps = &ps->c->endpoints[cl->first_endpoint];
	const config_setting_t *list = config_setting_get_member(s, "endpoints");
	char buf[VIP_STRLEN];

	for (unsigned int i = 1; i < cl->n_endpoints; i++)
		for (unsigned int j = 0; j < i; j++)
			if (eps[j].addr == eps[i].addr && eps[j].port == eps[i].port)
				return cfg_fail(ps, config_setting_get_elem(list, i),
						"endpoint %s is listed twice in cluster '%s' "
						"(first at line %d)",
						fmt_vip(eps[i].addr, eps[i].port, buf, sizeof(buf)),
						cl->name, eps[j].line);
	return 0;
}

/* Keys the policy would silently ignore are mistakes. */
static int
cluster_extras(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_cluster_conf *cl)
{
	const config_setting_t *m;
	bool hashing = cl->policy == CTL_LB_MAGLEV || cl->policy == CTL_LB_RING_HASH;

	if (!hashing && (m = config_setting_get_member(s, "hash_key")) != NULL)
		return cfg_fail(ps, m,
				"'hash_key' applies only to policies \"maglev\" and \"ring_hash\"");
	if (cl->policy != CTL_LB_RING_HASH && (m = config_setting_get_member(s, "ring_size")))
		return cfg_fail(ps, m, "'ring_size' applies only to policy \"ring_hash\"");
	if (cl->tls.enabled && cl->proxy_protocol)
		return cfg_fail(ps, config_setting_get_member(s, "tls"),
				"'tls' and 'proxy_protocol' together are not supported yet");
	return 0;
}

static int
cluster_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_cluster_conf *cl = elem;
	int rc;

	(void)idx;

	if (cl->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a cluster");
	for (unsigned int i = 0; i < ps->c->n_clusters; i++)
		if (strcmp(ps->c->clusters[i].name, cl->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate cluster name '%s' (first at line %d)", cl->name,
					ps->c->clusters[i].line);
	if ((rc = cluster_extras(ps, s, cl)) < 0)
		return rc;
	return endpoints_unique(ps, s, cl);
}

int
cfg_sec_clusters(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		 void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "clusters",
		.max = CTL_MAX_CLUSTERS,
		.size = sizeof(struct ctl_cluster_conf),
		.line_off = offsetof(struct ctl_cluster_conf, line),
		.kws = cluster_kws,
		.init = cluster_defaults,
		.check = cluster_check,
	};
	struct ctl_config *c = obj;

	return cfg_group_list(ps, s, kw, &spec, c->clusters, &c->n_clusters);
}

/* ---- after the walk ---------------------------------------------------- */

static int
table_by_name(struct cfg_parse *ps, const config_setting_t *m, struct ctl_service_conf *svc)
{
	const struct ctl_rtables *rt = ps->c->rtables;
	const char *want = config_setting_get_string(m);

	for (unsigned int i = 0; rt != NULL && i < rt->n_tables; i++) {
		if (strcmp(rt->tables[i].name, want) == 0) {
			svc->route_table = i + 1;
			return 0;
		}
	}
	return cfg_fail(ps, m,
			"'route_table' \"%s\" of service '%s' is not a defined route "
			"table%s",
			want, svc->name, rt ? "" : " (there is no 'route_tables' list)");
}

static int
cluster_by_name(struct cfg_parse *ps, const config_setting_t *s, struct ctl_service_conf *svc)
{
	const config_setting_t *m = config_setting_get_member(s, "cluster");
	const char *want;

	if (m == NULL)
		return table_by_name(ps, config_setting_get_member(s, "route_table"), svc);
	want = config_setting_get_string(m);
	for (unsigned int i = 0; i < ps->c->n_clusters; i++) {
		if (strcmp(ps->c->clusters[i].name, want) == 0) {
			svc->cluster = i;
			return 0;
		}
	}
	return cfg_fail(ps, m, "'cluster' \"%s\" of service '%s' is not a defined cluster%s", want,
			svc->name, ps->c->n_clusters ? "" : " (there is no 'clusters' list)");
}

static bool
port_address(const struct ctl_config *c, uint32_t a)
{
	for (unsigned int p = 0; p < c->n_ports; p++)
		for (unsigned int j = 0; j < c->ports[p].n_addrs; j++)
			if (c->ports[p].addrs[j] == a)
				return true;
	return false;
}

/* The stack would deliver such a connection to the listener, never to the
 * service: a listener without an address listens on every port address,
 * which a VIP usually is not. */
static int
vips_vs_listeners(struct cfg_parse *ps, const config_setting_t *s,
		  const struct ctl_service_conf *svc)
{
	const struct ctl_config *c = ps->c;
	char buf[VIP_STRLEN];

	for (unsigned int j = 0; j < svc->n_vips; j++) {
		const struct ctl_vip_conf *v = &svc->vips[j];
		bool local = port_address(c, v->addr);
		for (unsigned int i = 0; i < c->n_listeners; i++) {
			const struct ctl_listener_conf *l = &c->listeners[i];
			if (l->port != v->port ||
			    !(l->address == v->addr || (l->address == 0 && local)))
				continue;
			return cfg_fail(ps, vip_setting(s, j),
					"'vips' %s of service '%s' is taken by listener '%s' "
					"(line %d)",
					fmt_vip(v->addr, v->port, buf, sizeof(buf)), svc->name,
					l->name, l->line);
		}
	}
	return 0;
}

/* A cluster may leave its endpoints to discovery, but only when there is
 * a discovery source: otherwise it could never have one. */
static int
clusters_have_endpoints(struct cfg_parse *ps)
{
	for (unsigned int k = 0; k < ps->c->n_clusters; k++) {
		const struct ctl_cluster_conf *cl = &ps->c->clusters[k];

		if (cl->n_endpoints == 0 && ps->c->discovery.endpoints_file[0] == '\0')
			return cfg_fail_at(ps, cl->line,
					   "'endpoints' is required for cluster '%s' (at least "
					   "one, unless discovery.endpoints_file supplies them)",
					   cl->name);
	}
	return 0;
}

int
cfg_services_resolve(struct cfg_parse *ps)
{
	int rc = clusters_have_endpoints(ps);

	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < ps->c->n_services; i++) {
		const config_setting_t *e = config_setting_get_elem(ps->services, i);
		struct ctl_service_conf *svc = &ps->c->services[i];

		rc = cluster_by_name(ps, e, svc);
		if (rc == 0)
			rc = vips_vs_listeners(ps, e, svc);
		if (rc < 0)
			return rc;
	}
	return 0;
}

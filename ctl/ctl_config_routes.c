/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_routes.c - the `ip_routes` list of static routes.
 *
 * Routes are parsed where they stand in the file, but their port is resolved
 * only after the whole file is read: `ip_routes` may come before `ports`.
 * Connected routes are not listed here; they follow from port addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

static int
prefix(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_route_conf *r = obj;
	const char *v = config_setting_get_string(s);

	if (v == NULL || cfg_parse_prefix(v, &r->prefix, &r->plen) < 0)
		return cfg_fail(ps, s, "'%s' expected a prefix such as \"10.20.0.0/16\"", kw->name);
	if ((r->prefix & ~cfg_mask(r->plen)) != 0)
		return cfg_fail(ps, s, "'%s' %s has host bits set", kw->name, v);
	return 0;
}

static int
via(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_route_conf *r = obj;
	const char *v = config_setting_get_string(s);

	if (v == NULL || cfg_parse_ipv4(v, &r->via) < 0)
		return cfg_fail(ps, s, "'%s' expected an IPv4 address such as \"10.10.0.254\"",
				kw->name);
	if ((r->via >> 24) == 0 || (r->via >> 24) == 127 || (r->via >> 24) >= 224)
		return cfg_fail(ps, s, "'%s' %s is not a unicast address", kw->name, v);
	return 0;
}

/* Only the form here; the name is looked up by cfg_routes_resolve(). */
static int
route_port(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	(void)obj;
	if (config_setting_get_string(s) == NULL)
		return cfg_fail(ps, s, "'%s' expected the name of a port", kw->name);
	return 0;
}

static const struct cfg_kw route_kws[] = {
	{"prefix", prefix},
	{"via", via},
	{"port", route_port},
	{NULL},
};

static int
route_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_route_conf *r,
	    unsigned int idx)
{
	const config_setting_t *pfx = config_setting_get_member(s, "prefix");
	char buf[16];

	if (pfx == NULL)
		return cfg_fail(ps, s, "'prefix' is required for a route");
	if (r->via == 0 && config_setting_get_member(s, "port") == NULL)
		return cfg_fail(ps, s, "'port' is required for a route without 'via'");
	for (unsigned int i = 0; i < idx; i++)
		if (ps->c->routes[i].prefix == r->prefix && ps->c->routes[i].plen == r->plen)
			return cfg_fail(ps, pfx, "'prefix' %s/%u is already routed at line %d",
					cfg_fmt_ipv4(r->prefix, buf, sizeof(buf)), r->plen,
					ps->c->routes[i].line);
	return 0;
}

int
cfg_sec_routes(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_config *c = obj;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n > CTL_MAX_ROUTES)
		return cfg_fail(ps, s, "'%s' expected at most %d routes", kw->name, CTL_MAX_ROUTES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ctl_route_conf *r = &c->routes[i];
		memset(r, 0, sizeof(*r));
		r->line = config_setting_source_line(e);
		if ((rc = cfg_walk(ps, e, route_kws, r)) < 0 ||
		    (rc = route_check(ps, e, r, (unsigned int)i)) < 0)
			return rc;
	}
	c->n_routes = (unsigned int)n;
	ps->routes = s;
	return 0;
}

static int
port_by_name(struct cfg_parse *ps, const config_setting_t *s, struct ctl_route_conf *r)
{
	const char *name = config_setting_get_string(s);
	char list[CTL_MAX_PORTS * (CTL_NAME_MAX + 4)] = "";
	char quoted[64];
	size_t n = 0;

	for (unsigned int i = 0; i < ps->c->n_ports; i++) {
		if (strcmp(ps->c->ports[i].name, name) == 0) {
			r->port = i;
			return 0;
		}
		int w = snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "",
				 ps->c->ports[i].name);
		n += w > 0 ? (size_t)w : 0;
	}
	return cfg_fail(ps, s, "'port' \"%s\" is not a defined port (expected one of %s)",
			cfg_quote(name, quoted, sizeof(quoted)), list);
}

static bool
in_subnet(const struct ctl_port_conf *p, uint32_t a)
{
	for (unsigned int j = 0; j < p->n_addrs; j++)
		if (((p->addrs[j] ^ a) & cfg_mask(p->plens[j])) == 0)
			return true;
	return false;
}

/* A gateway must be a neighbour, never ourselves; without a port it picks
 * the first port whose subnet holds it. */
static int
port_by_via(struct cfg_parse *ps, const config_setting_t *s, struct ctl_route_conf *r, bool pick)
{
	const config_setting_t *vs = config_setting_get_member(s, "via");
	const char *v = config_setting_get_string(vs);
	int found = -1;

	for (unsigned int i = 0; i < ps->c->n_ports; i++) {
		const struct ctl_port_conf *p = &ps->c->ports[i];
		for (unsigned int j = 0; j < p->n_addrs; j++)
			if (p->addrs[j] == r->via)
				return cfg_fail(ps, vs, "'via' %s is an address of port '%s'", v,
						p->name);
		if (found < 0 && in_subnet(p, r->via))
			found = (int)i;
	}
	if (!pick)
		return 0;
	if (found < 0)
		return cfg_fail(ps, vs,
				"'via' %s is not in the subnet of any port address (set 'port')",
				v);
	r->port = (unsigned int)found;
	return 0;
}

int
cfg_routes_resolve(struct cfg_parse *ps)
{
	for (unsigned int i = 0; i < ps->c->n_routes; i++) {
		const config_setting_t *e = config_setting_get_elem(ps->routes, i);
		const config_setting_t *ports = config_setting_get_member(e, "port");
		struct ctl_route_conf *r = &ps->c->routes[i];
		int rc = 0;
		if (ports != NULL)
			rc = port_by_name(ps, ports, r);
		if (rc == 0 && r->via != 0)
			rc = port_by_via(ps, e, r, ports == NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

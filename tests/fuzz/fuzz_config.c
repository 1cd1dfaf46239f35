/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer harness for the config loader: the input is the
 * text of a config file. A load either succeeds with a config whose invariants
 * hold, or fails with one "fuzz.conf:LINE: message" line; anything else, a
 * crash or a sanitizer report is a bug.
 *
 * libconfig 1.5's parser leaks the string token it discards on some syntax
 * errors (`""` alone leaks one byte): a few bytes per failed load, not ours,
 * so LeakSanitizer is told to ignore allocations made inside libconfig.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config.h"

static struct ctl_config *cfg; /* ~420 KiB: allocated once */

/* A service sends to a cluster or (HTTP) to a route table. */
static bool
service_target_ok(const struct ctl_config *c, const struct ctl_service_conf *svc)
{
	if (svc->route_table == 0)
		return svc->cluster < c->n_clusters;
	return c->rtables != NULL && svc->route_table <= c->rtables->n_tables;
}

/* Services name a cluster; clusters own disjoint, non-empty endpoint ranges
 * in file order. */
static void
check_mesh(const struct ctl_config *c)
{
	unsigned int next = 0;

	if (c->n_services > CTL_MAX_SERVICES || c->n_clusters > CTL_MAX_CLUSTERS ||
	    c->n_endpoints > CTL_MAX_ENDPOINTS)
		abort();
	for (unsigned int i = 0; i < c->n_services; i++)
		if (!service_target_ok(c, &c->services[i]) || c->services[i].n_vips < 1 ||
		    c->services[i].n_vips > CTL_MAX_SERVICE_VIPS)
			abort();
	for (unsigned int i = 0; i < c->n_clusters; i++) {
		const struct ctl_cluster_conf *cl = &c->clusters[i];
		if (cl->first_endpoint != next || cl->n_endpoints < 1 ||
		    cl->n_endpoints > CTL_MAX_CLUSTER_EPS ||
		    cl->outlier.max_ejection_us < cl->outlier.base_ejection_us)
			abort();
		next += cl->n_endpoints;
	}
	if (next != c->n_endpoints)
		abort();
	for (unsigned int i = 0; i < c->n_endpoints; i++)
		if (c->endpoints[i].weight < 1 || c->endpoints[i].weight > 10000 ||
		    c->endpoints[i].port == 0)
			abort();
}

/* Tables own disjoint, non-empty route ranges in order; routes that go
 * upstream name existing clusters. */
static void
check_rtables(const struct ctl_config *c)
{
	const struct ctl_rtables *rt = c->rtables;
	unsigned int next = 0;

	if (rt == NULL)
		return;
	if (rt->n_tables < 1 || rt->n_tables > CTL_MAX_ROUTE_TABLES ||
	    rt->n_routes > CTL_MAX_HTTP_ROUTES)
		abort();
	for (unsigned int i = 0; i < rt->n_tables; i++) {
		if (rt->tables[i].first_route != next || rt->tables[i].n_routes < 1)
			abort();
		next += rt->tables[i].n_routes;
	}
	for (unsigned int i = 0; i < rt->n_routes; i++) {
		const struct ctl_http_route *r = &rt->routes[i];
		bool up = r->action == CTL_ACT_CLUSTER || r->action == CTL_ACT_WEIGHTED;
		if ((up && (r->n_clusters < 1 || r->n_clusters > CTL_MAX_WEIGHTED)) ||
		    (!up && (r->n_clusters != 0 || r->status < 200 || r->status > 599)) ||
		    (r->action == CTL_ACT_REDIRECT && r->location == NULL) ||
		    r->n_headers > CTL_MAX_ROUTE_HEADERS ||
		    (r->path.kind != CTL_MATCH_ANY) != (r->path.value != NULL))
			abort();
		for (unsigned int k = 0; k < r->n_clusters; k++)
			if (r->clusters[k].cluster >= c->n_clusters || r->clusters[k].weight < 1)
				abort();
	}
	if (next != rt->n_routes)
		abort();
}

/* What the rest of the daemon relies on after a successful load. */
static void
check_config(const struct ctl_config *c)
{
	if (c->n_ports < 1 || c->n_ports > CTL_MAX_PORTS || c->n_routes > CTL_MAX_ROUTES)
		abort();
	if (c->workers.count < 1 || c->workers.count > CTL_MAX_WORKERS)
		abort();
	for (unsigned int i = 0; i < c->n_ports; i++) {
		const struct ctl_port_conf *p = &c->ports[i];
		unsigned int max = ctl_driver_max_mtu(p);
		if (p->name[0] == '\0' || memchr(p->name, '\0', sizeof(p->name)) == NULL)
			abort();
		if (p->n_addrs < 1 || p->n_addrs > CTL_MAX_ADDRS || p->mtu < 68 || p->mtu > 9000 ||
		    (max != 0 && p->mtu > max))
			abort();
	}
	for (unsigned int i = 0; i < c->n_routes; i++)
		if (c->routes[i].port >= c->n_ports || c->routes[i].plen > 32)
			abort();
	check_mesh(c);
	check_rtables(c);
}

/* "fuzz.conf:<digits>: <something>" */
static void
check_error(const char *err)
{
	static const char name[] = "fuzz.conf:";
	const char *p = err + sizeof(name) - 1;

	if (strncmp(err, name, sizeof(name) - 1) != 0 || *p < '1' || *p > '9')
		abort();
	while (*p >= '0' && *p <= '9')
		p++;
	if (p[0] != ':' || p[1] != ' ' || p[2] == '\0' || strchr(err, '\n') != NULL)
		abort();
}

const char *__lsan_default_suppressions(void);

/* Read by LeakSanitizer at start-up; unused without it. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text;
	int rc;

	if (cfg == NULL && (cfg = malloc(sizeof(*cfg))) == NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = ctl_config_load_string(text, "fuzz.conf", cfg, err, sizeof(err));
	if (rc == 0 && err[0] == '\0') {
		check_config(cfg);
		ctl_config_release(cfg);
	} else if (rc == -EINVAL)
		check_error(err);
	else
		abort();
	free(text);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_services.c - the config loader's `node` group, `services` and
 * `clusters` lists and `log.access_log`: defaults, every key, the flat
 * endpoint array (first_endpoint, n_endpoints), a service's cluster resolved
 * by name wherever the clusters stand, VIP checks against each other and the
 * listeners, and every count limit at its boundary. The one-rule-per-file
 * bad configs live in tests/conf/bad (checked by test_config.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_expect.h"
#include "ctl_config.h"

/* One valid port on line 1, so an error on line N is on line N of the text. */
#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"
/* A one-endpoint cluster "web" on one line. */
#define WEB                                                                                        \
	"clusters = ( { name = \"web\"; endpoints = ( { address = \"10.77.1.2\"; port = 8080; } "  \
	"); "                                                                                      \
	"} );\n"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define MS	       1000ULL
#define SEC	       1000000ULL

static void
check_cluster_defaults(const struct ctl_cluster_conf *cl)
{
	assert_int_equal(cl->policy, CTL_LB_ROUND_ROBIN);
	assert_int_equal(cl->hash_key, CTL_HASH_SOURCE_IP);
	assert_int_equal(cl->ring_size, 32768);
	assert_int_equal(cl->connect_timeout_us, 1 * SEC);
	assert_int_equal(cl->idle_timeout_us, 3600 * SEC);
	assert_int_equal(cl->connect_attempts, 3);
	assert_int_equal(cl->max_connections, 100000);
	assert_int_equal(cl->max_pending, 1024);
	assert_false(cl->proxy_protocol);
	assert_int_equal(cl->outlier.consecutive_failures, 5);
	assert_int_equal(cl->outlier.interval_us, 1 * SEC);
	assert_int_equal(cl->outlier.base_ejection_us, 30 * SEC);
	assert_int_equal(cl->outlier.max_ejection_us, 300 * SEC);
	assert_int_equal(cl->outlier.max_ejection_percent, 10);
	assert_false(cl->locality.enabled);
	assert_int_equal(cl->locality.min_available_percent, 70);
}

static void
test_defaults(void **state)
{
	(void)state;
	ctl_config_defaults(cfg);
	assert_string_equal(cfg->node.name, "");
	assert_string_equal(cfg->node.zone, "");
	assert_int_equal(cfg->n_services, 0);
	assert_int_equal(cfg->n_clusters, 0);
	assert_int_equal(cfg->n_endpoints, 0);
	assert_int_equal(cfg->services[0].protocol, CTL_PROTO_TCP);
	check_cluster_defaults(&cfg->clusters[0]);
	check_cluster_defaults(&cfg->clusters[CTL_MAX_CLUSTERS - 1]);
	assert_int_equal(cfg->endpoints[0].weight, 1);
	assert_int_equal(cfg->endpoints[CTL_MAX_ENDPOINTS - 1].weight, 1);
	assert_string_equal(cfg->log.access_log, "");
	/* a file without any of them */
	expect_ok(PORT);
	assert_int_equal(cfg->n_services, 0);
	assert_int_equal(cfg->n_clusters, 0);
	assert_string_equal(cfg->log.access_log, "");
}

static void
test_minimal(void **state)
{
	const struct ctl_cluster_conf *cl = &cfg->clusters[0];
	const struct ctl_endpoint_conf *ep = &cfg->endpoints[0];

	(void)state;
	expect_ok(PORT
		  "services = ( { name = \"web\"; vips = \"10.96.0.10:80\"; cluster = \"web\"; "
		  "} );\n" WEB);
	assert_int_equal(cfg->n_services, 1);
	assert_string_equal(cfg->services[0].name, "web");
	assert_int_equal(cfg->services[0].n_vips, 1);
	assert_int_equal(cfg->services[0].vips[0].addr, IP(10, 96, 0, 10));
	assert_int_equal(cfg->services[0].vips[0].port, 80);
	assert_int_equal(cfg->services[0].cluster, 0);
	assert_int_equal(cfg->services[0].protocol, CTL_PROTO_TCP);
	assert_int_equal(cfg->services[0].line, 2);
	assert_int_equal(cfg->n_clusters, 1);
	assert_string_equal(cl->name, "web");
	assert_int_equal(cl->line, 3);
	check_cluster_defaults(cl);
	assert_int_equal(cl->first_endpoint, 0);
	assert_int_equal(cl->n_endpoints, 1);
	assert_int_equal(cfg->n_endpoints, 1);
	assert_int_equal(ep->addr, IP(10, 77, 1, 2));
	assert_int_equal(ep->port, 8080);
	assert_int_equal(ep->weight, 1);
	assert_string_equal(ep->node, "");
	assert_string_equal(ep->zone, "");
	assert_int_equal(ep->line, 3);
}

/* Services first, clusters in another order than the services name them. */
static const char full_text[] =
	PORT "node = { name = \"node-a\"; zone = \"zone-1\"; };\n"
	     "services = (\n" /* line 3 */
	     "  { name = \"web\"; vips = [ \"10.96.0.10:80\", \"10.96.0.10:8080\" ]; cluster = "
	     "\"web\"; protocol = \"tcp\"; },\n"
	     "  { name = \"db.v2\"; vips = ( \"10.96.0.11:5432\" ); cluster = \"DB_main\"; },\n"
	     "  { name = \"web-alt\"; vips = \"10.96.0.12:80\"; cluster = \"web\"; }\n"
	     ");\n"
	     "clusters = (\n" /* line 8 */
	     "  { name = \"spare\"; endpoints = ( { address = \"10.77.9.9\"; port = 1; } ); },\n"
	     "  { name = \"DB_main\"; policy = \"least_conn\"; endpoints = (\n"
	     "    { address = \"10.77.3.2\"; port = 5432; },\n"
	     "    { address = \"10.77.3.3\"; port = 5432; weight = 10000; } ); },\n"
	     "  { endpoints = (\n" /* line 13: the name comes last */
	     "      { address = \"10.77.1.2\"; port = 8080; weight = 1; node = \"node-a\"; zone "
	     "= \"zone-1\"; },\n"
	     "      { address = \"10.77.1.3\"; port = 8080; weight = 2; node = \"node-b\"; zone "
	     "= \"zone-1\"; },\n"
	     "      { address = \"10.77.1.3\"; port = 8081; zone = \"zone-2\"; } );\n"
	     "    policy = \"ring_hash\"; hash_key = \"five_tuple\"; ring_size = 65536;\n"
	     "    connect_timeout = \"250ms\"; idle_timeout = \"0s\"; connect_attempts = 16;\n"
	     "    max_connections = 4294967295L; max_pending = 1;\n"
	     "    proxy_protocol = true;\n"
	     "    outlier = { consecutive_failures = 0; interval = \"10s\"; base_ejection_time "
	     "= \"5s\";\n"
	     "                max_ejection_time = \"5s\"; max_ejection_percent = 100; };\n"
	     "    locality = { enabled = true; min_available_percent = 0; };\n"
	     "    name = \"web\"; }\n"
	     ");\n"
	     "log = { level = \"warn\"; access_log = \"/var/log/meshgw/access.log\"; };\n";

static void
check_full_web(void)
{
	const struct ctl_cluster_conf *cl = &cfg->clusters[2];
	const struct ctl_endpoint_conf *eps = &cfg->endpoints[cl->first_endpoint];

	assert_string_equal(cl->name, "web");
	assert_int_equal(cl->line, 13);
	assert_int_equal(cl->policy, CTL_LB_RING_HASH);
	assert_int_equal(cl->hash_key, CTL_HASH_FIVE_TUPLE);
	assert_int_equal(cl->ring_size, 65536);
	assert_int_equal(cl->connect_timeout_us, 250 * MS);
	assert_int_equal(cl->idle_timeout_us, 0);
	assert_int_equal(cl->connect_attempts, 16);
	assert_int_equal(cl->max_connections, UINT32_MAX);
	assert_int_equal(cl->max_pending, 1);
	assert_true(cl->proxy_protocol);
	assert_int_equal(cl->outlier.consecutive_failures, 0);
	assert_int_equal(cl->outlier.interval_us, 10 * SEC);
	assert_int_equal(cl->outlier.base_ejection_us, 5 * SEC);
	assert_int_equal(cl->outlier.max_ejection_us, 5 * SEC);
	assert_int_equal(cl->outlier.max_ejection_percent, 100);
	assert_true(cl->locality.enabled);
	assert_int_equal(cl->locality.min_available_percent, 0);
	assert_int_equal(cl->first_endpoint, 3);
	assert_int_equal(cl->n_endpoints, 3);
	assert_int_equal(eps[0].addr, IP(10, 77, 1, 2));
	assert_string_equal(eps[0].node, "node-a");
	assert_string_equal(eps[0].zone, "zone-1");
	assert_int_equal(eps[0].line, 14);
	assert_int_equal(eps[1].weight, 2);
	assert_string_equal(eps[1].node, "node-b");
	assert_int_equal(eps[2].addr, IP(10, 77, 1, 3));
	assert_int_equal(eps[2].port, 8081); /* same address, another port: two endpoints */
	assert_int_equal(eps[2].weight, 1);
	assert_string_equal(eps[2].node, "");
	assert_string_equal(eps[2].zone, "zone-2");
}

static void
test_full(void **state)
{
	const struct ctl_service_conf *s = cfg->services;
	const struct ctl_cluster_conf *cl = cfg->clusters;

	(void)state;
	expect_ok(full_text);
	assert_string_equal(cfg->node.name, "node-a");
	assert_string_equal(cfg->node.zone, "zone-1");
	assert_int_equal(cfg->n_services, 3);
	assert_int_equal(s[0].n_vips, 2);
	assert_int_equal(s[0].vips[1].addr, IP(10, 96, 0, 10));
	assert_int_equal(s[0].vips[1].port, 8080);
	assert_int_equal(s[0].line, 4);
	assert_int_equal(s[0].cluster, 2); /* "web" is the third cluster */
	assert_string_equal(s[1].name, "db.v2");
	assert_int_equal(s[1].cluster, 1);
	assert_int_equal(s[1].vips[0].port, 5432);
	assert_int_equal(s[2].cluster, 2);
	assert_int_equal(cfg->n_clusters, 3);
	assert_int_equal(cfg->n_endpoints, 6);
	/* "spare" is used by no service, which is fine */
	assert_int_equal(cl[0].first_endpoint, 0);
	assert_int_equal(cl[0].n_endpoints, 1);
	check_cluster_defaults(&cl[0]);
	assert_int_equal(cl[1].policy, CTL_LB_LEAST_CONN);
	assert_int_equal(cl[1].first_endpoint, 1);
	assert_int_equal(cl[1].n_endpoints, 2);
	assert_int_equal(cfg->endpoints[2].weight, 10000);
	assert_int_equal(cfg->endpoints[2].addr, IP(10, 77, 3, 3));
	check_full_web();
	assert_int_equal(cfg->log.level, CTL_LOG_WARN);
	assert_string_equal(cfg->log.access_log, "/var/log/meshgw/access.log");
	expect_ok(PORT "log = { access_log = \"\"; };");
	assert_string_equal(cfg->log.access_log, "");
}

static void
test_policies(void **state)
{
	static const char *const names[] = {"round_robin", "random", "least_conn", "maglev",
					    "ring_hash"};
	char text[512];

	(void)state;
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(text, sizeof(text),
			 PORT "clusters = ( { name = \"c\"; policy = \"%s\"; endpoints = ( { "
			      "address = \"10.77.1.2\"; port = 1; } ); } );",
			 names[i]);
		expect_ok(text);
		assert_int_equal(cfg->clusters[0].policy, i);
		assert_string_equal(ctl_lb_policy_name((enum ctl_lb_policy)i), names[i]);
	}
	assert_string_equal(ctl_lb_policy_name((enum ctl_lb_policy)5), "unknown");
	assert_string_equal(ctl_hash_key_name(CTL_HASH_SOURCE_IP), "source_ip");
	assert_string_equal(ctl_hash_key_name(CTL_HASH_FIVE_TUPLE), "five_tuple");
	assert_string_equal(ctl_hash_key_name((enum ctl_hash_key)2), "unknown");
	expect_ok(PORT "clusters = ( { name = \"c\"; policy = \"maglev\"; hash_key = "
		       "\"five_tuple\"; endpoints = ( { address = \"10.77.1.2\"; port = 1; } ); } "
		       ");");
	assert_int_equal(cfg->clusters[0].hash_key, CTL_HASH_FIVE_TUPLE);
}

/* A VIP may be a port address unless a listener takes its port there. */
static void
test_vips_and_listeners(void **state)
{
	(void)state;
	/* *:7 listens on port addresses only; 10.96.0.10 is none */
	expect_ok(PORT
		  "listeners = ( { name = \"echo\"; type = \"echo\"; port = 7; } );\n"
		  "services = ( { name = \"s\"; vips = [ \"10.96.0.10:7\", \"10.10.0.1:80\" ]; "
		  "cluster = \"web\"; } );\n" WEB);
	assert_int_equal(cfg->services[0].vips[1].addr, IP(10, 10, 0, 1));
	/* a listener on another address leaves this one's port free */
	expect_ok("ports = ( { name = \"local\"; iface = \"a0\"; address = [ \"10.10.0.1/24\", "
		  "\"10.10.1.1/24\" ]; } );\n"
		  "listeners = ( { name = \"echo\"; type = \"echo\"; address = \"10.10.1.1\"; "
		  "port = 7; } );\n"
		  "services = ( { name = \"s\"; vips = \"10.10.0.1:7\"; cluster = \"web\"; } "
		  ");\n" WEB);
	expect_err(PORT "services = ( { name = \"s\"; vips = \"10.10.0.1:7\"; cluster = \"web\"; "
			"} );\n"
			"listeners = ( { name = \"echo\"; type = \"echo\"; port = 7; } );\n" WEB,
		   "t.conf:2: 'vips' 10.10.0.1:7 of service 's' is taken by listener 'echo' (line "
		   "3)");
	/* the same address on another port, the same port on another address */
	expect_ok(PORT "services = ( { name = \"a\"; vips = \"10.96.0.10:80\"; cluster = \"web\"; "
		       "},\n { name = \"b\"; vips = [ \"10.96.0.10:81\", \"10.96.0.11:80\" ]; "
		       "cluster = \"web\"; } );\n" WEB);
	assert_int_equal(cfg->services[1].cluster, 0);
	/* the highest port and an 8-VIP service */
	expect_ok(PORT
		  "services = ( { name = \"a\"; cluster = \"web\"; vips = [ \"1.0.0.1:65535\", "
		  "\"223.255.255.254:1\", \"10.0.0.1:3\", \"10.0.0.1:4\", \"10.0.0.1:5\", "
		  "\"10.0.0.1:6\", \"10.0.0.1:7\", \"10.0.0.1:8\" ]; } );\n" WEB);
	assert_int_equal(cfg->services[0].n_vips, CTL_MAX_SERVICE_VIPS);
	assert_int_equal(cfg->services[0].vips[0].port, 65535);
	assert_int_equal(cfg->services[0].vips[1].addr, IP(223, 255, 255, 254));
}

static void
test_errors(void **state)
{
	static const char vip_form[] = "'vips' expected \"address:port\" with a port between 1 "
				       "and 65535, such as \"10.96.0.10:80\"";
	static const struct {
		const char *text, *want;
	} cases[] = {
		{PORT "services = { name = \"web\"; };",
		 "t.conf:2: 'services' expected a list of groups ( {...}, ... )"},
		{PORT "clusters = ( \"web\" );",
		 "t.conf:2: 'clusters' expected a list of groups ( {...}, ... )"},
		{PORT "node = ( );", "t.conf:2: 'node' expected a group { ... }"},
		{PORT "node = { nmae = \"a\"; };",
		 "t.conf:2: unknown setting 'nmae' (did you mean 'name'?)"},
		{PORT "nod = { };", "t.conf:2: unknown setting 'nod' (did you mean 'node'?)"},
		{PORT "services = ( { name = \"s\"; vip = \"10.96.0.10:80\"; } );",
		 "t.conf:2: unknown setting 'vip' (did you mean 'vips'?)"},
		{PORT "services = ( { name = \"s\"; vips = [ ]; cluster = \"web\"; } );\n" WEB,
		 "t.conf:2: 'vips' expected a list of \"address:port\" strings such as [ "
		 "\"10.96.0.10:80\" ]"},
		{PORT "services = ( { name = \"s\"; vips = 80; cluster = \"web\"; } );\n" WEB,
		 "t.conf:2: 'vips' expected a list of \"address:port\" strings such as [ "
		 "\"10.96.0.10:80\" ]"},
		{PORT "services = ( { name = \"s\"; vips = ( 80 ); } );"},
		{PORT "services = ( { vips = \"10.96.0.10:80\"; cluster = \"web\"; } );",
		 "t.conf:2: 'name' is required for a service"},
		{PORT "services = ( { name = \"s\"; vips = \"10.96.0.10:80\"; cluster = 3; } );",
		 "t.conf:2: 'cluster' expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' "
		 "and '-'"},
		{PORT "services = ( { name = \"s\"; vips = \"10.96.0.10:80\"; cluster = \"web\"; } "
		      ");",
		 "t.conf:2: 'cluster' \"web\" of service 's' is not a defined cluster (there is no "
		 "'clusters' list)"},
		{PORT "clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port "
		      "= 0; } ); } );",
		 "t.conf:2: 'port' expected an integer between 1 and 65535"},
		{PORT "clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1\"; port = "
		      "1; } ); } );",
		 "t.conf:2: 'address' expected an IPv4 address such as \"10.77.1.2\""},
		{PORT "clusters = ( { name = \"c\"; endpoints = ( { address = \"127.0.0.1\"; port "
		      "= 1; } ); } );",
		 "t.conf:2: 'address' 127.0.0.1 is not a unicast address"},
		{PORT "clusters = ( { name = \"c\"; endpoints = { address = \"10.77.1.2\"; }; } );",
		 "t.conf:2: 'endpoints' expected a list of groups ( {...}, ... )"},
		{PORT "clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port "
		      "= 1; } );\n outlier = { base_ejection_time = \"301s\"; }; } );",
		 "t.conf:3: 'max_ejection_time' is below 'base_ejection_time'"},
		{PORT "clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port "
		      "= 1; } );\n outlier = 5; } );",
		 "t.conf:3: 'outlier' expected a group { ... }"},
		{PORT "clusters = ( { name = \"c\"; idle_timeout = \"25h\"; } );",
		 "t.conf:2: 'idle_timeout' expected a duration between 0s and 24h"},
		{PORT "clusters = ( { name = \"c\"; proxy_protocol = \"v2\"; } );",
		 "t.conf:2: 'proxy_protocol' expected true or false"},
		{PORT "clusters = ( { name = \"c\"; locality = { enabled = 1; }; } );",
		 "t.conf:2: 'enabled' expected true or false"},
		{PORT "clusters = ( { name = \"c\"; hash_key = \"dst_ip\"; } );",
		 "t.conf:2: 'hash_key' expected one of \"source_ip\", \"five_tuple\""},
		{PORT "log = { access_log = \"/var/log/\"; };",
		 "t.conf:2: 'access_log' expected an absolute file path shorter than 256 "
		 "characters, or \"\" for none"},
	};
	char text[600], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].want == NULL) { /* a bad VIP element */
			snprintf(want, sizeof(want), "t.conf:2: %s", vip_form);
			expect_err(cases[i].text, want);
			continue;
		}
		expect_err(cases[i].text, cases[i].want);
	}
	static const char *const bad_vips[] = {
		"10.96.0.10:0",	    "10.96.0.10:080", "10.96.0.10:",	":80",	 "10.96.0.10:80x",
		"10.96.0.1:123456", "10.96.0.010:80", "10.96.0.10 :80", "web:80"};
	for (size_t i = 0; i < sizeof(bad_vips) / sizeof(bad_vips[0]); i++) {
		snprintf(text, sizeof(text),
			 PORT "services = ( { name = \"s\"; vips = \"%s\"; cluster = \"web\"; } "
			      ");\n" WEB,
			 bad_vips[i]);
		snprintf(want, sizeof(want), "t.conf:2: %s", vip_form);
		expect_err(text, want);
	}
	/* a path of 255 characters fits, 256 do not */
	char path[300];
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[255] = '\0';
	snprintf(text, sizeof(text), PORT "log = { access_log = \"%s\"; };", path);
	expect_ok(text);
	assert_int_equal(strlen(cfg->log.access_log), 255);
	path[255] = 'a';
	path[256] = '\0';
	snprintf(text, sizeof(text), PORT "log = { access_log = \"%s\"; };", path);
	expect_err(text, "t.conf:2: 'access_log' expected an absolute file path shorter than 256 "
			 "characters, or \"\" for none");
}

/* A growing text for the limit tests. */
struct buf {
	char *p;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int w = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	assert_true(w >= 0 && (size_t)w < b->cap - b->n);
	b->n += (size_t)w;
}

/* n clusters "cI" of eps endpoints each (10.1.x.y:1), then n services on them. */
static void
build(struct buf *b, unsigned int n_clusters, unsigned int eps, unsigned int n_services)
{
	b->n = 0;
	put(b, PORT "clusters = (\n");
	for (unsigned int i = 0; i < n_clusters; i++) {
		put(b, "%s{ name = \"c%u\"; endpoints = (", i ? "," : "", i);
		for (unsigned int j = 0; j < eps; j++)
			put(b, "%s{address=\"10.1.%u.%u\";port=1;}", j ? "," : "", j / 256,
			    j % 256);
		put(b, "); }\n");
	}
	put(b, ");\nservices = (\n");
	for (unsigned int i = 0; i < n_services; i++)
		put(b, "%s{ name = \"s%u\"; vips = \"10.96.%u.%u:80\"; cluster = \"c%u\"; }\n",
		    i ? "," : "", i, i / 256, i % 256, i % (n_clusters ? n_clusters : 1));
	put(b, ");\n");
}

static void
test_limits(void **state)
{
	struct buf b = {.cap = 1u << 20};

	(void)state;
	b.p = malloc(b.cap);
	assert_non_null(b.p);
	build(&b, 1, CTL_MAX_CLUSTER_EPS, 0);
	expect_ok(b.p);
	assert_int_equal(cfg->clusters[0].n_endpoints, CTL_MAX_CLUSTER_EPS);
	assert_int_equal(cfg->endpoints[1023].addr, IP(10, 1, 3, 255));
	build(&b, 1, CTL_MAX_CLUSTER_EPS + 1, 0);
	expect_err(b.p, "t.conf:3: 'endpoints' expected 1 to 1024 endpoints per cluster");

	build(&b, 4, CTL_MAX_CLUSTER_EPS, 0);
	expect_ok(b.p);
	assert_int_equal(cfg->n_endpoints, CTL_MAX_ENDPOINTS);
	assert_int_equal(cfg->clusters[3].first_endpoint, 3 * 1024);
	assert_int_equal(cfg->clusters[3].n_endpoints, 1024);
	build(&b, 5, 820, 0); /* the fifth cluster brings 4 x 820 to 4100 */
	expect_err(b.p,
		   "t.conf:7: 'endpoints' brings the clusters to 4100 endpoints (at most 4096 in "
		   "all)");

	build(&b, CTL_MAX_CLUSTERS, 1, CTL_MAX_SERVICES);
	expect_ok(b.p);
	assert_int_equal(cfg->n_clusters, CTL_MAX_CLUSTERS);
	assert_int_equal(cfg->n_services, CTL_MAX_SERVICES);
	assert_int_equal(cfg->services[255].cluster, 255);
	assert_int_equal(cfg->clusters[255].first_endpoint, 255);
	build(&b, CTL_MAX_CLUSTERS + 1, 1, 0);
	expect_err(b.p, "t.conf:2: 'clusters' expected at most 256 clusters");
	build(&b, 1, 1, CTL_MAX_SERVICES + 1);
	expect_err(b.p, "t.conf:5: 'services' expected at most 256 services");
	free(b.p);
}

static void
test_out_untouched_on_error(void **state)
{
	char err[256];

	(void)state;
	expect_ok(PORT
		  "services = ( { name = \"web\"; vips = \"10.96.0.10:80\"; cluster = \"web\"; "
		  "} );\n" WEB);
	assert_int_equal(load(PORT "services = ( { name = \"web\"; vips = \"10.96.0.10:80\"; "
				   "cluster = \"nope\"; } );\n" WEB,
			      err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(cfg->n_services, 1);
	assert_int_equal(cfg->services[0].cluster, 0);
	assert_int_equal(cfg->n_endpoints, 1);
}

static int
setup(void **state)
{
	(void)state;
	cfg = calloc(1, sizeof(*cfg));
	return cfg == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(cfg);
	cfg = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_vips_and_listeners),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_out_untouched_on_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_rtables.c - the config loader's `route_tables`: every matcher
 * and action lands where ctl_config.h says (kinds, lower-cased names, ppm,
 * cluster indices, a service's route_table), defaults, errors with their
 * exact file:line text, the release of everything (the ASan build catches
 * leaks), and a generated 10,000-route file loading within its time. The
 * one-rule-per-file bad configs live in tests/conf/bad (test_config.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cfg_expect.h"
#include "ctl_config.h"

/* One valid port on line 1, so an error on line N is on line N of the text. */
#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"
/* Clusters "v1", "v2", "api" on line 2. */
#define CLUSTERS                                                                                   \
	"clusters = ( { name = \"v1\"; endpoints = ( { address = \"10.77.1.2\"; port = 80; } ); "  \
	"}, { name = \"v2\"; endpoints = ( { address = \"10.77.1.3\"; port = 80; } ); }, "         \
	"{ name = \"api\"; endpoints = ( { address = \"10.77.1.4\"; port = 80; } ); } );\n"

#define MS  1000ULL
#define SEC 1000000ULL

/* Route tables after services, so resolving both ways round is covered. */
static const char full_text[] = PORT CLUSTERS
	"services = ( { name = \"web\"; vips = \"10.96.0.10:80\"; protocol = \"http\"; "
	"route_table = \"edge\"; },\n" /* 3 */
	"  { name = \"plain\"; vips = \"10.96.0.11:80\"; cluster = \"v2\"; } );\n"
	"route_tables = (\n"
	"  { name = \"web\"; routes = ( { cluster = \"v1\"; } ); },\n" /* 6 */
	"  { name = \"edge\";\n"
	"    routes = (\n"
	"      { name = \"api\";\n" /* 9 */
	"        match = { host = \"API.example.com\"; path_prefix = \"/api/\"; method = \"GET\";\n"
	"          headers = ( { name = \"X-Canary\"; exact = \"1\"; },\n"
	"                      { name = \"x-user\"; regex = \"[a-z]+\"; },\n"
	"                      { name = \"X-Debug\"; present = true; } ); };\n"
	"        weighted_clusters = ( { cluster = \"v1\"; weight = 90; },\n"
	"                              { cluster = \"v2\"; weight = 10; } );\n"
	"        prefix_rewrite = \"/\";\n"
	"        request_headers_add = ( { name = \"X-Route\"; value = \"api\\tv1\"; } );\n"
	"        request_headers_remove = [ \"X-Internal\", \"x-b\" ];\n"
	"        response_headers_add = ( { name = \"x-served-by\"; value = \"\"; } );\n"
	"        response_headers_remove = [ \"Server\" ];\n"
	"        timeout = \"2s\";\n"
	"        retries = { on = [ \"connect_failure\", \"reset\", \"5xx\", \"gateway_error\" ];\n"
	"                    statuses = [ 503, 429 ]; count = 2; per_try_timeout = \"1s\";\n"
	"                    backoff_base = \"10ms\"; backoff_max = \"250ms\"; };\n"
	"        fault = { delay = \"100ms\"; delay_percent = 10.5; abort_status = 503;\n"
	"                  abort_percent = 5; }; },\n"
	"      { match = { host = \"*.Example.com\"; path_regex = \"/users/[0-9]+\"; };\n" /* 27 */
	"        cluster = \"api\"; retries = { statuses = [ 502 ]; };\n"
	"        fault = { abort_status = 200; abort_percent = 100.0; }; },\n"
	"      { name = \"old\"; match = { path = \"/old\"; };\n" /* 30 */
	"        redirect = { location = \"https://example.com/new\"; };\n"
	"        response_headers_add = ( { name = \"x-a\"; value = \"b\"; } ); },\n"
	"      { name = \"moved\"; match = { path = \"/moved\"; };\n"
	"        redirect = { location = \"/here\"; status = 308; }; },\n"
	"      { name = \"ok\"; direct_response = { status = 200; body = \"ok\\n\"; };\n"
	"        fault = { delay = \"1ms\"; delay_percent = 0.0001; }; },\n"
	"      { name = \"gone\"; direct_response = { status = 410; }; }\n"
	"    ); }\n"
	");\n";

static void
check_api_route(const struct ctl_http_route *r)
{
	assert_string_equal(r->name, "api");
	assert_int_equal(r->line, 9);
	assert_int_equal(r->host.kind, CTL_MATCH_EXACT);
	assert_string_equal(r->host.value, "API.example.com"); /* as given: matched ignoring case */
	assert_int_equal(r->path.kind, CTL_MATCH_PREFIX);
	assert_string_equal(r->path.value, "/api/");
	assert_string_equal(r->method, "GET");
	assert_int_equal(r->n_headers, 3);
	assert_string_equal(r->headers[0].name, "x-canary");
	assert_int_equal(r->headers[0].m.kind, CTL_MATCH_EXACT);
	assert_string_equal(r->headers[0].m.value, "1");
	assert_string_equal(r->headers[1].name, "x-user");
	assert_int_equal(r->headers[1].m.kind, CTL_MATCH_REGEX);
	assert_string_equal(r->headers[1].m.value, "[a-z]+");
	assert_string_equal(r->headers[2].name, "x-debug");
	assert_int_equal(r->headers[2].m.kind, CTL_MATCH_PRESENT);
	assert_null(r->headers[2].m.value);
	assert_int_equal(r->action, CTL_ACT_WEIGHTED);
	assert_int_equal(r->n_clusters, 2);
	assert_int_equal(r->clusters[0].cluster, 0);
	assert_int_equal(r->clusters[0].weight, 90);
	assert_int_equal(r->clusters[1].cluster, 1);
	assert_int_equal(r->clusters[1].weight, 10);
	assert_string_equal(r->prefix_rewrite, "/");
	assert_int_equal(r->n_req_add, 1);
	assert_string_equal(r->req_add[0].name, "x-route");
	assert_string_equal(r->req_add[0].value, "api\tv1");
	assert_int_equal(r->n_req_remove, 2);
	assert_string_equal(r->req_remove[0].name, "x-internal");
	assert_null(r->req_remove[0].value);
	assert_string_equal(r->req_remove[1].name, "x-b");
	assert_int_equal(r->n_resp_add, 1);
	assert_string_equal(r->resp_add[0].name, "x-served-by");
	assert_string_equal(r->resp_add[0].value, "");
	assert_int_equal(r->n_resp_remove, 1);
	assert_string_equal(r->resp_remove[0].name, "server");
	assert_int_equal(r->timeout_us, 2 * SEC);
}

static void
check_api_retries_fault(const struct ctl_http_route *r)
{
	assert_true(r->has_retries);
	assert_int_equal(r->retries.on, CTL_RETRY_CONNECT_FAILURE | CTL_RETRY_RESET |
						CTL_RETRY_5XX | CTL_RETRY_GATEWAY_ERROR |
						CTL_RETRY_RETRIABLE_STATUS);
	assert_int_equal(r->retries.n_statuses, 2);
	assert_int_equal(r->retries.statuses[0], 503);
	assert_int_equal(r->retries.statuses[1], 429);
	assert_int_equal(r->retries.count, 2);
	assert_int_equal(r->retries.per_try_timeout_us, 1 * SEC);
	assert_int_equal(r->retries.backoff_base_us, 10 * MS);
	assert_int_equal(r->retries.backoff_max_us, 250 * MS);
	assert_true(r->has_fault);
	assert_int_equal(r->fault.delay_us, 100 * MS);
	assert_int_equal(r->fault.delay_ppm, 105000);
	assert_int_equal(r->fault.abort_status, 503);
	assert_int_equal(r->fault.abort_ppm, 50000);
}

/* The second route: defaults of name, retries; a suffix host; a regex path. */
static void
check_regex_route(const struct ctl_http_route *r)
{
	assert_string_equal(r->name, "1");
	assert_int_equal(r->line, 27);
	assert_int_equal(r->host.kind, CTL_MATCH_SUFFIX);
	assert_string_equal(r->host.value, "*.Example.com");
	assert_int_equal(r->path.kind, CTL_MATCH_REGEX);
	assert_string_equal(r->path.value, "/users/[0-9]+");
	assert_null(r->method);
	assert_int_equal(r->n_headers, 0);
	assert_int_equal(r->action, CTL_ACT_CLUSTER);
	assert_int_equal(r->n_clusters, 1);
	assert_int_equal(r->clusters[0].cluster, 2);
	assert_int_equal(r->clusters[0].weight, 1);
	assert_null(r->prefix_rewrite);
	assert_int_equal(r->timeout_us, 0);
	assert_true(r->has_retries);
	assert_int_equal(r->retries.on, CTL_RETRY_RETRIABLE_STATUS);
	assert_int_equal(r->retries.count, 1);
	assert_int_equal(r->retries.per_try_timeout_us, 0);
	assert_int_equal(r->retries.backoff_base_us, 25 * MS);
	assert_int_equal(r->retries.backoff_max_us, 250 * MS);
	assert_true(r->has_fault);
	assert_int_equal(r->fault.delay_us, 0);
	assert_int_equal(r->fault.delay_ppm, 0);
	assert_int_equal(r->fault.abort_status, 200);
	assert_int_equal(r->fault.abort_ppm, 1000000);
}

static void
check_other_routes(const struct ctl_http_route *r)
{
	assert_string_equal(r[0].name, "old");
	assert_int_equal(r[0].action, CTL_ACT_REDIRECT);
	assert_int_equal(r[0].path.kind, CTL_MATCH_EXACT);
	assert_string_equal(r[0].path.value, "/old");
	assert_int_equal(r[0].status, 302);
	assert_string_equal(r[0].location, "https://example.com/new");
	assert_int_equal(r[0].n_clusters, 0);
	assert_false(r[0].has_retries);
	assert_false(r[0].has_fault);
	assert_int_equal(r[0].n_resp_add, 1);
	assert_int_equal(r[1].status, 308);
	assert_string_equal(r[1].location, "/here");
	assert_string_equal(r[2].name, "ok");
	assert_int_equal(r[2].action, CTL_ACT_DIRECT);
	assert_int_equal(r[2].host.kind, CTL_MATCH_ANY);
	assert_null(r[2].host.value);
	assert_int_equal(r[2].path.kind, CTL_MATCH_ANY);
	assert_int_equal(r[2].status, 200);
	assert_string_equal(r[2].body, "ok\n");
	assert_int_equal(r[2].fault.delay_us, 1 * MS);
	assert_int_equal(r[2].fault.delay_ppm, 1);
	assert_int_equal(r[3].action, CTL_ACT_DIRECT);
	assert_int_equal(r[3].status, 410);
	assert_null(r[3].body);
}

static void
test_full(void **state)
{
	const struct ctl_rtables *rt;

	(void)state;
	expect_ok(full_text);
	rt = cfg->rtables;
	assert_non_null(rt);
	assert_int_equal(rt->n_tables, 2);
	assert_int_equal(rt->n_routes, 7);
	assert_true(rt->cap_routes >= rt->n_routes && rt->cap_routes <= CTL_MAX_HTTP_ROUTES);
	assert_string_equal(rt->tables[0].name, "web");
	assert_int_equal(rt->tables[0].line, 6);
	assert_int_equal(rt->tables[0].first_route, 0);
	assert_int_equal(rt->tables[0].n_routes, 1);
	assert_string_equal(rt->routes[0].name, "0");
	assert_int_equal(rt->routes[0].action, CTL_ACT_CLUSTER);
	assert_int_equal(rt->routes[0].clusters[0].cluster, 0);
	assert_false(rt->routes[0].has_retries);
	assert_string_equal(rt->tables[1].name, "edge");
	assert_int_equal(rt->tables[1].first_route, 1);
	assert_int_equal(rt->tables[1].n_routes, 6);
	check_api_route(&rt->routes[1]);
	check_api_retries_fault(&rt->routes[1]);
	check_regex_route(&rt->routes[2]);
	check_other_routes(&rt->routes[3]);
	/* services: table index + 1, or a cluster */
	assert_int_equal(cfg->services[0].route_table, 2);
	assert_int_equal(cfg->services[0].protocol, CTL_PROTO_HTTP);
	assert_int_equal(cfg->services[1].route_table, 0);
	assert_int_equal(cfg->services[1].cluster, 1);
	ctl_config_release(cfg);
	assert_null(cfg->rtables);
	ctl_config_release(cfg); /* twice is harmless */
}

static void
test_cluster_extras(void **state)
{
	const struct ctl_cluster_conf *cl = &cfg->clusters[0];

	(void)state;
	expect_ok(PORT "clusters = ( { name = \"a\"; endpoints = ( { address = \"10.77.1.2\"; "
		       "port = 80; } ); } );");
	assert_int_equal(cl->retry_budget.percent, 20);
	assert_int_equal(cl->retry_budget.min_concurrency, 3);
	assert_int_equal(cl->outlier.consecutive_5xx, 5);
	assert_int_equal(cl->outlier.consecutive_gateway_errors, 5);
	assert_null(cfg->rtables);
	expect_ok(PORT
		  "clusters = ( { name = \"a\"; endpoints = ( { address = \"10.77.1.2\"; "
		  "port = 80; } );\n retry_budget = { percent = 100; min_concurrency = 0; };\n"
		  " outlier = { consecutive_5xx = 0; consecutive_gateway_errors = 1000; }; } );");
	assert_int_equal(cl->retry_budget.percent, 100);
	assert_int_equal(cl->retry_budget.min_concurrency, 0);
	assert_int_equal(cl->outlier.consecutive_5xx, 0);
	assert_int_equal(cl->outlier.consecutive_gateway_errors, 1000);
	expect_err(PORT "clusters = ( { name = \"a\"; endpoints = ( { address = \"10.77.1.2\"; "
			"port = 80; } );\n retry_budget = { min_concurrency = 100001; }; } );",
		   "t.conf:3: 'min_concurrency' expected an integer between 0 and 100000");
	expect_err(PORT "clusters = ( { name = \"a\"; endpoints = ( { address = \"10.77.1.2\"; "
			"port = 80; } );\n outlier = { consecutive_5xx = 1001; }; } );",
		   "t.conf:3: 'consecutive_5xx' expected an integer between 0 and 1000");
}

/* One table "t" on line 3 holding route text r (on line 3 too). */
#define ROUTE(r) PORT CLUSTERS "route_tables = ( { name = \"t\"; routes = ( { " r " } ); } );\n"

static void
test_errors(void **state)
{
	(void)state;
	expect_err(ROUTE("cluster = \"v1\"; match = { path = \"/a\"; pth = \"/b\"; };"),
		   "t.conf:3: unknown setting 'pth' (did you mean 'path'?)");
	expect_err(ROUTE("clustr = \"v1\";"),
		   "t.conf:3: unknown setting 'clustr' (did you mean 'cluster'?)");
	expect_err(ROUTE("match = { path_regex = \"(a\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'path_regex' is not supported by the matcher: Missing close "
		   "parenthesis for group started at index 1.");
	expect_err(ROUTE("match = { host = \"a..b\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'host' expected a host name such as \"api.example.com\" or "
		   "\"*.example.com\" (at most 255 characters)");
	expect_err(ROUTE("match = { host = \"*.\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'host' expected a host name such as \"api.example.com\" or "
		   "\"*.example.com\" (at most 255 characters)");
	expect_err(ROUTE("match = { path = \"/a b\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'path' must not contain control characters or spaces");
	expect_err(ROUTE("match = { path_prefix = \"api\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'path_prefix' must start with '/'");
	expect_err(ROUTE("match = { method = \"GE T\"; }; cluster = \"v1\";"),
		   "t.conf:3: 'method' expected an HTTP method such as \"GET\"");
	expect_err(ROUTE("match = { headers = ( { name = \"a\"; present = false; } ); }; "
			 "cluster = \"v1\";"),
		   "t.conf:3: 'present' expected true (leave it out otherwise)");
	expect_err(ROUTE("match = { headers = ( { name = \"A\"; present = true; }, "
			 "{ name = \"a\"; exact = \"x\"; } ); }; cluster = \"v1\";"),
		   "t.conf:3: header 'a' is matched twice in one route");
	expect_err(ROUTE("match = { headers = ( { name = \"a\"; } ); }; cluster = \"v1\";"),
		   "t.conf:3: header 'a' needs one of 'exact', 'regex' or 'present'");
	expect_err(ROUTE("weighted_clusters = ( { cluster = \"v1\"; weight = 1; }, "
			 "{ cluster = \"v1\"; weight = 2; } );"),
		   "t.conf:3: cluster 'v1' is listed twice in 'weighted_clusters'");
	expect_err(ROUTE("weighted_clusters = ( { cluster = \"v1\"; } );"),
		   "t.conf:3: 'weight' is required in each of 'weighted_clusters'");
	expect_err(ROUTE("weighted_clusters = ( { cluster = \"v1\"; weight = 1; }, "
			 "{ cluster = \"vv2\"; weight = 2; } );"),
		   "t.conf:3: 'cluster' \"vv2\" of route '0' is not a defined cluster (did you "
		   "mean 'v2'?)");
	expect_err(ROUTE("redirect = { status = 302; };"),
		   "t.conf:3: 'location' is required for a redirect");
	expect_err(ROUTE("direct_response = { body = \"x\"; };"),
		   "t.conf:3: 'status' is required for a direct response (200 to 599)");
	expect_err(ROUTE("direct_response = { status = 200; }; timeout = \"1s\";"),
		   "t.conf:3: 'timeout' applies only to routes with 'cluster' or "
		   "'weighted_clusters'");
	expect_err(ROUTE("cluster = \"v1\"; request_headers_add = ( { name = \"a\"; "
			 "value = \"x\\ny\"; } );"),
		   "t.conf:3: 'value' must not contain control characters");
	expect_err(ROUTE("cluster = \"v1\"; response_headers_remove = [ \"a b\" ];"),
		   "t.conf:3: 'response_headers_remove' expected a header name: 1 to 64 letters, "
		   "digits or !#$%&'*+-.^_`|~");
	expect_err(ROUTE("cluster = \"v1\"; retries = { on = []; };"),
		   "t.conf:3: 'on' is required for retries (a non-empty list)");
	expect_err(ROUTE("cluster = \"v1\"; retries = { on = [ \"5xx\" ]; backoff_base = "
			 "\"1s\"; backoff_max = \"10ms\"; };"),
		   "t.conf:3: 'backoff_max' is below 'backoff_base'");
	expect_err(ROUTE("cluster = \"v1\"; retries = { statuses = [ 600 ]; };"),
		   "t.conf:3: 'statuses' expected statuses between 100 and 599");
	expect_err(ROUTE("cluster = \"v1\"; fault = { delay = \"1s\"; };"),
		   "t.conf:3: 'delay_percent' is required with 'delay' in a fault");
	expect_err(ROUTE("cluster = \"v1\"; timeout = \"0s\";"),
		   "t.conf:3: 'timeout' expected a duration between 1ms and 1h");
	expect_err(PORT "route_tables = ();", "t.conf:2: 'route_tables' expected 1 to 64 route "
					      "tables");
	expect_err(PORT "route_tables = ( { name = \"t\"; routes = (); } );",
		   "t.conf:2: 'routes' expected 1 to 16384 routes");
	expect_err(PORT "route_tables = ( { routes = ( { direct_response = { status = 200; }; "
			"} ); } );",
		   "t.conf:2: 'name' is required for a route table");
	expect_err(PORT "route_tables = ( { name = \"t\"; } );",
		   "t.conf:2: 'routes' is required for route table 't'");
	expect_err(PORT "route_tables = ( { name = \"t\";\n routes = ( { name = \"a\"; "
			"direct_response = { status = 200; }; },\n { name = \"b\"; "
			"direct_response = { status = 200; }; },\n { name = \"a\"; "
			"direct_response = { status = 200; }; } ); } );",
		   "t.conf:5: duplicate route name 'a' (first at line 3)");
}

static void
test_service_errors(void **state)
{
	(void)state;
	expect_err(PORT CLUSTERS "services = ( { name = \"s\"; vips = \"10.96.0.10:80\"; "
				 "protocol = \"http\"; route_table = \"nope\"; } );",
		   "t.conf:3: 'route_table' \"nope\" of service 's' is not a defined route table "
		   "(there is no 'route_tables' list)");
	expect_err(PORT CLUSTERS "services = ( { name = \"s\"; vips = \"10.96.0.10:80\";\n"
				 " route_table = \"t\"; } );",
		   "t.conf:4: 'route_table' needs protocol \"http\" (service 's')");
	expect_err(PORT CLUSTERS
		   "services = ( { name = \"s\"; vips = \"10.96.0.10:80\"; "
		   "protocol = \"http\"; cluster = \"v1\";\n route_table = \"t\"; } );",
		   "t.conf:4: service 's' has both 'cluster' and 'route_table' (exactly one)");
}

/* n routes in one table, each with a regex path and a host, as a file
 * would hold them (about 100 bytes a route). */
static char *
gen_routes(unsigned int n, size_t *len)
{
	size_t cap = 4096 + (size_t)n * 128, off = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	off += (size_t)snprintf(t + off, cap - off,
				PORT CLUSTERS "route_tables = ( { name = \"big\"; "
					      "routes = (\n");
	for (unsigned int i = 0; i < n; i++)
		off += (size_t)snprintf(
			t + off, cap - off,
			"{ name = \"r%u\"; match = { host = \"h%u.example.com\"; "
			"path_regex = \"/api/v%u/[a-z]+/[0-9]+\"; }; cluster = \"v%u\"; "
			"},\n",
			i, i % 100, i, 1 + i % 2);
	off += (size_t)snprintf(t + off, cap - off,
				"{ direct_response = { status = 404; }; } ); } );\n");
	assert_true(off < cap);
	*len = off;
	return t;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_10000_routes(void **state)
{
	size_t len = 0;
	char *text = gen_routes(10000, &len);
	double t0 = now_s();

	(void)state;
	expect_ok(text);
	print_message("10,000 regex routes (%zu bytes) loaded in %.3f s\n", len, now_s() - t0);
	assert_true(len < (4u << 20)); /* CONFIG_FILE_MAX */
	assert_int_equal(cfg->rtables->n_routes, 10001);
	assert_int_equal(cfg->rtables->tables[0].n_routes, 10001);
	assert_string_equal(cfg->rtables->routes[9999].name, "r9999");
	assert_string_equal(cfg->rtables->routes[9999].path.value, "/api/v9999/[a-z]+/[0-9]+");
	assert_int_equal(cfg->rtables->routes[9999].clusters[0].cluster, 1);
	assert_string_equal(cfg->rtables->routes[10000].name, "10000");
	ctl_config_release(cfg);
	free(text);
	text = NULL;
}

/* The last of thousands named like an early one: found by sorting. */
static void
test_duplicate_in_big_table(void **state)
{
	size_t len = 0;
	char *text = gen_routes(10000, &len);
	char *last = strstr(text, "name = \"r9999\"");
	char err[512];

	(void)state;
	assert_non_null(last);
	memcpy(last, "name = \"r1234\"", 14);
	assert_int_equal(load(text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:10003: duplicate route name 'r1234' (first at line 1238)");
	free(text);
	text = NULL;
}

static void
test_route_limit(void **state)
{
	size_t cap = 4096 + (size_t)(CTL_MAX_HTTP_ROUTES + 1) * 48, off = 0;
	char *t = malloc(cap);
	char err[512];

	(void)state;
	assert_non_null(t);
	off += (size_t)snprintf(t, cap, PORT "route_tables = ( { name = \"a\"; routes = (\n");
	for (unsigned int i = 0; i < CTL_MAX_HTTP_ROUTES; i++)
		off += (size_t)snprintf(t + off, cap - off,
					"%s{ direct_response = { status = 200; }; }", i ? "," : "");
	off += (size_t)snprintf(t + off, cap - off,
				"); },\n { name = \"b\"; routes = ( { "
				"direct_response = { status = 200; }; } ); } );");
	assert_int_equal(load(t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:4: 'routes' brings the route tables to 16385 routes (at "
				 "most 16384 in all)");
	/* without the second table: exactly the limit */
	strcpy(strstr(t, "); },\n { name = \"b\""), "); } );");
	expect_ok(t);
	assert_int_equal(cfg->rtables->n_routes, CTL_MAX_HTTP_ROUTES);
	assert_int_equal(cfg->rtables->cap_routes, CTL_MAX_HTTP_ROUTES);
	ctl_config_release(cfg);
	free(t);
	t = NULL;
}

/* The matcher compiles one database per distinct header name in a table:
 * 33 names are refused at the route bringing the 33rd, 32 load. */
static void
test_header_fields(void **state)
{
	char text[8192], err[512];
	size_t off = 0;

	(void)state;
	off += (size_t)snprintf(text, sizeof(text),
				PORT "route_tables = ( { name = \"t\"; routes = (\n");
	for (unsigned int i = 0; i < 9; i++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s{ match = { headers = (",
					i ? ",\n" : "");
		for (unsigned int h = 0; h < 4; h++)
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"%s{ name = \"x-%u\"; present = true; }",
						h ? ", " : "", (i * 4 + h) % 33);
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					" ); }; direct_response = { status = 200; }; }");
	}
	snprintf(text + off, sizeof(text) - off, " ); } );\n");
	assert_int_equal(load(text, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "t.conf:11: route table 't' matches more than 32 distinct header names");
	/* the last route with names already seen: 32 distinct in all */
	char *last = strstr(text, "\"x-32\"");
	assert_non_null(last);
	memcpy(last, "\"x-31\"", 6);
	expect_ok(text);
	assert_int_equal(cfg->rtables->n_routes, 9);
	ctl_config_release(cfg);
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
	ctl_config_release(cfg);
	free(cfg);
	cfg = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),	     cmocka_unit_test(test_cluster_extras),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_service_errors),
		cmocka_unit_test(test_10000_routes), cmocka_unit_test(test_duplicate_in_big_table),
		cmocka_unit_test(test_route_limit),  cmocka_unit_test(test_header_fields),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

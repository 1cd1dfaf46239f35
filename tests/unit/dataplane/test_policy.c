/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c - the authorization policy matcher (gw_policy.h), built
 * from config text through the real loader: identities (exact, prefix, any),
 * namespaces from SPIFFE IDs, ports, methods, paths, headers, deny winning
 * over allow wherever it stands, the default both ways, dry run,
 * unauthenticated sources, connection-level checks, which rule is reported,
 * counter slots and the build's refusals.
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

#include "ctl_config.h"
#include "gw_policy.h"

#define TD	 "spiffe://mesh.local"
#define FRONTEND TD "/ns/web/sa/frontend"
#define LEGACY	 TD "/ns/web/sa/legacy"

/* Services: api (http, 0), db (tcp, 1), web (http, 2, no policy), dry (tcp, 3). */
static const char conf_text[] =
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"
	"clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port = 80; } ); } "
	");\n"
	"services = ( { name = \"api\"; vips = [ \"10.96.0.10:8080\", \"10.96.0.10:9090\" ]; "
	"protocol = \"http\"; cluster = \"c\"; },\n"
	"  { name = \"db\"; vips = \"10.96.0.11:5432\"; cluster = \"c\"; },\n"
	"  { name = \"web\"; vips = \"10.96.0.12:80\"; protocol = \"http\"; cluster = \"c\"; },\n"
	"  { name = \"dry\"; vips = \"10.96.0.13:80\"; cluster = \"c\"; } );\n"
	"policies = (\n"
	"  { name = \"api-authz\"; service = \"api\"; rules = (\n"
	"    { name = \"no-admin\"; action = \"deny\"; http = { path_prefix = \"/admin\"; }; },\n"
	"    { name = \"web-reads\"; action = \"allow\";\n"
	"      from = { identities = [ \"" FRONTEND "\", \"" TD "/ns/ops/*\" ]; };\n"
	"      to = { ports = [ 8080 ]; };\n"
	"      http = { methods = [ \"GET\", \"HEAD\" ]; path_prefix = \"/api/\";\n"
	"               headers = ( { name = \"X-Env\"; exact = \"prod\"; } ); }; },\n"
	"    { name = \"ns-writes\"; action = \"allow\"; from = { namespaces = [ \"batch\" ]; };\n"
	"      http = { methods = [ \"POST\" ]; path = \"/api/jobs\"; }; },\n"
	"    { name = \"health\"; action = \"allow\"; http = { path = \"/healthz\"; }; },\n"
	"    { name = \"token\"; action = \"allow\"; from = { identities = [ \"*\" ]; };\n"
	"      http = { headers = ( { name = \"authorization\"; prefix = \"Bearer \"; },\n"
	"                           { name = \"x-debug\"; present = true; } ); }; },\n"
	"    { name = \"deny-legacy\"; action = \"deny\"; from = { identities = [ \"" LEGACY
	"\" ]; }; } ); },\n"
	"  { name = \"db-authz\"; service = \"db\"; default = \"allow\"; rules = (\n"
	"    { name = \"deny-web\"; action = \"deny\"; from = { namespaces = [ \"web\" ]; }; } ); "
	"},\n"
	"  { name = \"dry-authz\"; service = \"dry\"; dry_run = true; rules = (\n"
	"    { name = \"admin\"; action = \"allow\"; from = { identities = [ \"" TD
	"/ns/ops/sa/admin\" ]; }; } ); }\n"
	");\n";

static struct ctl_config *cfg;
static struct gw_policy_set *set;
static const struct gw_policy *api, *db, *dry;

/* A request: method, path, then up to four "name: value" headers. */
struct hreq {
	struct gw_route_req r;
	struct gw_route_hdr h[4];
};

static const struct gw_route_req *
http(struct hreq *q, const char *method, const char *path, const char *const *hdrs)
{
	memset(q, 0, sizeof(*q));
	q->r.method = (struct gw_route_span){method, method ? strlen(method) : 0};
	q->r.path = (struct gw_route_span){path, path ? strlen(path) : 0};
	for (unsigned int i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		const char *colon = strchr(hdrs[i], ':');
		q->h[i].name = (struct gw_route_span){hdrs[i], (size_t)(colon - hdrs[i])};
		q->h[i].value = (struct gw_route_span){colon + 2, strlen(colon + 2)};
		q->r.n_headers = i + 1;
	}
	q->r.headers = q->h;
	return &q->r;
}

static struct gw_policy_verdict
eval(const struct gw_policy *p, const char *id, uint16_t port, const struct gw_route_req *h)
{
	struct gw_policy_req req = {id, id ? strlen(id) : 0, port, h};

	return gw_policy_eval(p, &req);
}

/* Expect decision a by rule (-1: default), not a dry run. */
static void
expect(struct gw_policy_verdict v, enum gw_policy_action a, int rule)
{
	if (v.decision != a || v.rule != rule)
		print_error("want %s by rule %d, got %s by rule %d\n", gw_policy_action_name(a),
			    rule, gw_policy_action_name(v.decision), v.rule);
	assert_int_equal(v.decision, a);
	assert_int_equal(v.rule, rule);
	assert_int_equal(v.allow, a == GW_POLICY_ALLOW);
	assert_false(v.dry_run);
}

static void
test_identities(void **state)
{
	static const char *const prod[] = {"x-env: prod", NULL};
	struct hreq q;

	(void)state;
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", prod)), GW_POLICY_ALLOW, 1);
	expect(eval(api, TD "/ns/ops/sa/anyone", 8080, http(&q, "HEAD", "/api/x", prod)),
	       GW_POLICY_ALLOW, 1);
	/* a prefix ends at a segment: ns/opsx is not under ns/ops/ */
	expect(eval(api, TD "/ns/opsx/sa/a", 8080, http(&q, "GET", "/api/x", prod)), GW_POLICY_DENY,
	       -1);
	expect(eval(api, FRONTEND "2", 8080, http(&q, "GET", "/api/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, "spiffe://other.domain/ns/web/sa/frontend", 8080,
		    http(&q, "GET", "/api/x", prod)),
	       GW_POLICY_DENY, -1);
	/* the identity is a span: bytes past identity_len are not part of it */
	struct gw_policy_req req = {FRONTEND "-trailing", strlen(FRONTEND), 8080,
				    http(&q, "GET", "/api/x", prod)};
	expect(gw_policy_eval(api, &req), GW_POLICY_ALLOW, 1);
}

static void
test_ports_methods_paths(void **state)
{
	static const char *const prod[] = {"x-env: prod", NULL};
	struct hreq q;

	(void)state;
	expect(eval(api, FRONTEND, 9090, http(&q, "GET", "/api/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "POST", "/api/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "get", "/api/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, NULL, "/api/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/", prod)), GW_POLICY_ALLOW, 1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/API/x", prod)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", NULL, prod)), GW_POLICY_DENY, -1);
	/* exact paths: the query does not count, the rest does */
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz", NULL)), GW_POLICY_ALLOW, 3);
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz?probe=1", NULL)), GW_POLICY_ALLOW,
	       3);
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz/", NULL)), GW_POLICY_DENY, -1);
	expect(eval(api, NULL, 8080, http(&q, "GET", "/health", NULL)), GW_POLICY_DENY, -1);
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz?", NULL)), GW_POLICY_ALLOW, 3);
}

static void
test_headers(void **state)
{
	static const char *const upper[] = {"X-ENV: prod", NULL};
	static const char *const wrong_case[] = {"x-env: Prod", NULL};
	static const char *const repeated[] = {"x-env: dev", "x-env: prod", NULL};
	static const char *const other[] = {"x-envy: prod", NULL};
	static const char *const longer[] = {"x-env: production", NULL};
	static const char *const token[] = {"Authorization: Bearer abc", "X-Debug: ", NULL};
	static const char *const basic[] = {"authorization: Basic abc", "x-debug: 1", NULL};
	static const char *const no_debug[] = {"authorization: Bearer abc", NULL};
	struct hreq q;

	(void)state;
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", NULL)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", upper)), GW_POLICY_ALLOW, 1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", wrong_case)), GW_POLICY_DENY,
	       -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", repeated)), GW_POLICY_ALLOW, 1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", other)), GW_POLICY_DENY, -1);
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", longer)), GW_POLICY_DENY, -1);
	/* prefix and present (an empty value is present) */
	expect(eval(api, TD "/ns/x/sa/y", 1, http(&q, "PUT", "/any", token)), GW_POLICY_ALLOW, 4);
	expect(eval(api, TD "/ns/x/sa/y", 1, http(&q, "PUT", "/any", basic)), GW_POLICY_DENY, -1);
	expect(eval(api, TD "/ns/x/sa/y", 1, http(&q, "PUT", "/any", no_debug)), GW_POLICY_DENY,
	       -1);
}

static void
test_namespaces(void **state)
{
	struct hreq q;

	(void)state;
	expect(eval(api, TD "/ns/batch/sa/runner", 1, http(&q, "POST", "/api/jobs", NULL)),
	       GW_POLICY_ALLOW, 2);
	expect(eval(api, TD "/ns/batch/sa/runner", 1, http(&q, "POST", "/api/jobs/1", NULL)),
	       GW_POLICY_DENY, -1);
	/* no namespace unless the ID is .../ns/<ns>/sa/<sa> */
	expect(eval(api, TD "/batch", 1, http(&q, "POST", "/api/jobs", NULL)), GW_POLICY_DENY, -1);
	expect(eval(api, TD "/ns/batch/sa/", 1, http(&q, "POST", "/api/jobs", NULL)),
	       GW_POLICY_DENY, -1);
	expect(eval(api, TD "/ns/batch/sa/a/b", 1, http(&q, "POST", "/api/jobs", NULL)),
	       GW_POLICY_DENY, -1);
	expect(eval(api, TD "/ns/batchx/sa/a", 1, http(&q, "POST", "/api/jobs", NULL)),
	       GW_POLICY_DENY, -1);
	expect(eval(db, TD "/ns/web/sa/x", 5432, NULL), GW_POLICY_DENY, 0);
	expect(eval(db, TD "/ns/ops/sa/x", 5432, NULL), GW_POLICY_ALLOW, -1);
}

static void
test_spiffe_ns(void **state)
{
	struct gw_route_span ns = {0};
	static const char *const bad[] = {
		"",
		"spiffe://",
		"spiffe://td",
		"spiffe:///ns/a/sa/b",
		"spiffe://td/ns//sa/b",
		"spiffe://td/ns/a/sa/",
		"spiffe://td/ns/a/sa/b/c",
		"spiffe://td/ns/a/xa/b",
		"spiffe://td/x/ns/a/sa/b",
		"http://td/ns/a/sa/b",
		NULL,
	};

	(void)state;
	assert_true(gw_policy_spiffe_ns(FRONTEND, strlen(FRONTEND), &ns));
	assert_int_equal(ns.len, 3);
	assert_memory_equal(ns.p, "web", 3);
	assert_true(gw_policy_spiffe_ns("spiffe://t/ns/a.b-c/sa/s", 24, &ns));
	assert_int_equal(ns.len, 5);
	for (unsigned int i = 0; bad[i] != NULL; i++) {
		if (gw_policy_spiffe_ns(bad[i], strlen(bad[i]), &ns))
			print_error("accepted %s\n", bad[i]);
		assert_false(gw_policy_spiffe_ns(bad[i], strlen(bad[i]), &ns));
	}
	assert_false(gw_policy_spiffe_ns(NULL, 0, &ns));
}

/* A deny anywhere beats an allow anywhere; the first of each kind is named. */
static void
test_deny_wins_and_first_rule(void **state)
{
	static const char *const all[] = {"x-env: prod", "authorization: Bearer t", "x-debug: 1",
					  NULL};
	struct hreq q;

	(void)state;
	/* rules 1 and 4 allow: the first is reported */
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/api/x", all)), GW_POLICY_ALLOW, 1);
	/* rule 3 allows /healthz, rule 5 (later) denies legacy */
	expect(eval(api, LEGACY, 8080, http(&q, "GET", "/healthz", NULL)), GW_POLICY_DENY, 5);
	/* rules 0 and 5 deny: the first is reported */
	expect(eval(api, LEGACY, 8080, http(&q, "GET", "/admin/x", NULL)), GW_POLICY_DENY, 0);
	/* rule 0 (deny) and rule 1 (allow) both match */
	expect(eval(api, FRONTEND, 8080, http(&q, "GET", "/admin", all)), GW_POLICY_DENY, 0);
	expect(eval(api, TD "/ns/ops/sa/a", 8080, http(&q, "GET", "/api/admin", all)),
	       GW_POLICY_ALLOW, 1);
}

/* No identity, or an empty one: only rules without `from` can match. */
static void
test_unauthenticated(void **state)
{
	static const char *const all[] = {"x-env: prod", "authorization: Bearer t", "x-debug: 1",
					  NULL};
	struct hreq q;
	struct gw_policy_req req = {"", 0, 8080, http(&q, "GET", "/api/x", all)};

	(void)state;
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz", NULL)), GW_POLICY_ALLOW, 3);
	expect(eval(api, NULL, 8080, http(&q, "GET", "/api/x", all)), GW_POLICY_DENY, -1);
	expect(gw_policy_eval(api, &req), GW_POLICY_DENY, -1);
	req.http = http(&q, "GET", "/admin", NULL);
	expect(gw_policy_eval(api, &req), GW_POLICY_DENY, 0);
	/* db: its deny rule needs a source in ns web; the default allows */
	expect(eval(db, NULL, 5432, NULL), GW_POLICY_ALLOW, -1);
	/* an identity that is not a SPIFFE ID still counts as authenticated for "*" */
	expect(eval(api, "x", 1, http(&q, "GET", "/x", all)), GW_POLICY_ALLOW, 4);
}

/* Paths the backend could read otherwise than we compare them fail closed:
 * any deny rule with a path matcher matches them, no allow rule's does. */
static void
test_odd_paths(void **state)
{
	static const char *const prod[] = {"x-env: prod", NULL};
	static const char *const odd[] = {
		"//admin",  "/api//x",	       "/api/./x", "/api/../admin",	"/api/..",
		"/api/.",   "/api\\..\\admin", "/%61dmin", "/api/%2e%2e/admin", "/api%2Fx",
		"/api/%5c", "/api/%7E",	       "/api/%",   "/api/%4",		"/api/%zz",
	};
	static const char *const token[] = {"authorization: Bearer t", "x-debug: 1", NULL};
	static const char *const normal[] = {
		"/api/x",  "/api/x%20y", "/api/%2520", "/api/.well-known",
		"/api/x.", "/api/...",	 "/api/..x",   "/api/x?a=//b/../c",
	};
	struct hreq q;

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct gw_policy_verdict v =
			eval(api, FRONTEND, 8080, http(&q, "GET", odd[i], prod));
		if (v.decision != GW_POLICY_DENY || v.rule != 0)
			print_error("odd path %s: %d by %d\n", odd[i], v.decision, v.rule);
		expect(v, GW_POLICY_DENY, 0);
	}
	for (size_t i = 0; i < sizeof(normal) / sizeof(normal[0]); i++) {
		struct gw_policy_verdict v =
			eval(api, FRONTEND, 8080, http(&q, "GET", normal[i], prod));
		if (v.decision != GW_POLICY_ALLOW)
			print_error("normal path %s: %d by %d\n", normal[i], v.decision, v.rule);
		expect(v, GW_POLICY_ALLOW, 1);
	}
	/* deny rule 0's path matcher takes any odd path, and deny wins over
	 * rule 4's allow (no path matcher) as over rule 3's (path) */
	expect(eval(api, NULL, 8080, http(&q, "GET", "/healthz/.", NULL)), GW_POLICY_DENY, 0);
	expect(eval(api, "x", 1, http(&q, "GET", "//x", token)), GW_POLICY_DENY, 0);
	/* db has no path matchers: nothing to fail closed on */
	expect(eval(db, TD "/ns/ops/sa/x", 5432, http(&q, "GET", "//x", NULL)), GW_POLICY_ALLOW,
	       -1);
}

/* Without a request view, rules with an http part never match. */
static void
test_connection_level(void **state)
{
	(void)state;
	expect(eval(api, FRONTEND, 8080, NULL), GW_POLICY_DENY, -1);
	expect(eval(api, NULL, 8080, NULL), GW_POLICY_DENY, -1);
	expect(eval(api, LEGACY, 8080, NULL), GW_POLICY_DENY, 5);
}

static void
test_dry_run(void **state)
{
	struct gw_policy_verdict v;

	(void)state;
	v = eval(dry, TD "/ns/ops/sa/admin", 80, NULL);
	assert_int_equal(v.decision, GW_POLICY_ALLOW);
	assert_int_equal(v.rule, 0);
	assert_true(v.allow);
	assert_true(v.dry_run);
	v = eval(dry, TD "/ns/ops/sa/other", 80, NULL);
	assert_int_equal(v.decision, GW_POLICY_DENY); /* what would have happened */
	assert_int_equal(v.rule, -1);
	assert_true(v.allow); /* what happens */
	assert_true(v.dry_run);
	v = eval(dry, NULL, 80, NULL);
	assert_int_equal(v.decision, GW_POLICY_DENY);
	assert_true(v.allow);
}

static void
test_lookup_and_names(void **state)
{
	(void)state;
	assert_int_equal(gw_policy_count(set), 3);
	assert_ptr_equal(gw_policy_at(set, 0), api);
	assert_null(gw_policy_at(set, 3));
	assert_null(gw_policy_of_service(set, 2)); /* web: no policy */
	assert_null(gw_policy_of_service(set, 4));
	assert_null(gw_policy_of_service(NULL, 0));
	assert_string_equal(gw_policy_name(api), "api-authz");
	assert_int_equal(gw_policy_service(db), 1);
	assert_int_equal(gw_policy_rules(api), 6);
	assert_string_equal(gw_policy_rule_name(api, 5), "deny-legacy");
	assert_string_equal(gw_policy_rule_name(api, -1), "default");
	assert_int_equal(gw_policy_rule_action(api, 0), GW_POLICY_DENY);
	assert_int_equal(gw_policy_rule_action(api, 1), GW_POLICY_ALLOW);
	assert_int_equal(gw_policy_rule_action(db, -1), GW_POLICY_ALLOW);
	assert_int_equal(gw_policy_default(api), GW_POLICY_DENY);
	assert_true(gw_policy_dry_run(dry));
	assert_false(gw_policy_dry_run(api));
}

/* Each policy owns its rules' slots and then its default's, in set order. */
static void
test_counters(void **state)
{
	struct gw_policy_verdict v;
	uint64_t *w0, *w1;

	(void)state;
	assert_int_equal(gw_policy_counter_slots(set), 7 + 2 + 2);
	v = eval(api, LEGACY, 8080, NULL);
	assert_int_equal(gw_policy_counter_slot(api, &v), 5);
	v = eval(api, NULL, 8080, NULL);
	assert_int_equal(gw_policy_counter_slot(api, &v), 6);
	v = eval(db, TD "/ns/web/sa/x", 5432, NULL);
	assert_int_equal(gw_policy_counter_slot(db, &v), 7);
	v = eval(db, NULL, 5432, NULL);
	assert_int_equal(gw_policy_counter_slot(db, &v), 8);
	v = eval(dry, NULL, 80, NULL);
	assert_int_equal(gw_policy_counter_slot(dry, &v), 10);
	w0 = gw_policy_counters_new(set);
	w1 = gw_policy_counters_new(set);
	assert_non_null(w0);
	assert_non_null(w1);
	assert_int_equal((uintptr_t)w0 % 64, 0);
	assert_int_equal((uintptr_t)w1 % 64, 0);
	for (unsigned int i = 0; i < gw_policy_counter_slots(set); i++)
		assert_int_equal(w0[i] + w1[i], 0);
	w0[gw_policy_counter_slot(dry, &v)]++;
	w1[gw_policy_counter_slot(dry, &v)]++;
	assert_int_equal(w0[10] + w1[10], 2);
	free(w0);
	free(w1);
}

static void
test_build(void **state)
{
	char err[256];
	struct gw_policy_set *s;
	struct ctl_config *c = calloc(1, sizeof(*c));

	(void)state;
	assert_non_null(c);
	/* no policies group: an empty set */
	assert_int_equal(
		ctl_config_load_string("ports = ( { name = \"l\"; iface = \"x\"; address = "
				       "\"10.10.0.1/24\"; } );",
				       "t.conf", c, err, sizeof(err)),
		0);
	s = gw_policy_set_build(c, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(gw_policy_count(s), 0);
	assert_int_equal(gw_policy_counter_slots(s), 0);
	assert_null(gw_policy_of_service(s, 0));
	free(gw_policy_counters_new(s));
	gw_policy_set_free(s);
	ctl_config_release(c);
	/* a config the loader would refuse: two policies on one service */
	assert_int_equal(ctl_config_load_string(conf_text, "t.conf", c, err, sizeof(err)), 0);
	c->policies->policies[1].service = 0;
	errno = 0;
	assert_null(gw_policy_set_build(c, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "policies: inconsistent policies (not from the loader?)");
	c->policies->policies[1].service = 99;
	assert_null(gw_policy_set_build(c, err, sizeof(err)));
	ctl_config_release(c);
	free(c);
	gw_policy_set_free(NULL);
}

/* The set copies what it needs: the config may go before it. */
static int
setup(void **state)
{
	char err[512];

	(void)state;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL ||
	    ctl_config_load_string(conf_text, "t.conf", cfg, err, sizeof(err)) != 0) {
		print_error("config: %s\n", err);
		return -1;
	}
	set = gw_policy_set_build(cfg, err, sizeof(err));
	ctl_config_release(cfg);
	free(cfg);
	cfg = NULL;
	if (set == NULL)
		return -1;
	api = gw_policy_of_service(set, 0);
	db = gw_policy_of_service(set, 1);
	dry = gw_policy_of_service(set, 3);
	return api && db && dry ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	gw_policy_set_free(set);
	set = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_ports_methods_paths),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_spiffe_ns),
		cmocka_unit_test(test_deny_wins_and_first_rule),
		cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_odd_paths),
		cmocka_unit_test(test_connection_level),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_lookup_and_names),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_build),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_policies.c - the config loader's `policies`: every field lands
 * where ctl_config.h says (identity kinds, lower-cased header names, service
 * indices, defaults), the limits, one error per class with its exact
 * file:line text, and the release of everything (the ASan build catches
 * leaks, also of a load that fails half way).
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

/* expect_ok() overwrites the config: release the last one first. */
static void
load_ok(const char *text)
{
	ctl_config_release(cfg);
	expect_ok(text);
}

/* Lines 1-3: a port, a cluster, services "api" (http, index 0) and "db"
 * (tcp, index 1); so an error on line N is on line N of the text. */
#define BASE                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"  \
	"clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port = 80; } ); } " \
	");\n"                                                                                     \
	"services = ( { name = \"api\"; vips = \"10.96.0.10:80\"; protocol = \"http\"; cluster = " \
	"\"c\"; }, { name = \"db\"; vips = \"10.96.0.11:5432\"; cluster = \"c\"; } );\n"

/* Policies before services would work as well: resolved after the walk. */
static const char full_text[] = BASE
	"policies = (\n"
	"  { name = \"api-authz\"; service = \"api\"; default = \"allow\"; dry_run = true;\n" /* 5
											       */
	"    rules = (\n"
	"      { name = \"web-reads\"; action = \"allow\";\n" /* 7 */
	"        from = { identities = [ \"spiffe://mesh.local/ns/web/sa/frontend\",\n"
	"                                \"spiffe://mesh.local/ns/ops/*\", \"*\" ];\n"
	"                 namespaces = [ \"web\", \"ops\" ]; };\n"
	"        to = { ports = [ 8080, 80 ]; };\n"
	"        http = { methods = [ \"GET\", \"HEAD\" ]; path_prefix = \"/api/\";\n"
	"                 headers = ( { name = \"X-Env\"; exact = \"prod\"; },\n"
	"                             { name = \"authorization\"; prefix = \"Bearer \"; },\n"
	"                             { name = \"x-trace\"; present = true; } ); }; },\n"
	"      { action = \"deny\"; http = { path = \"/admin\"; }; },\n" /* 16 */
	"      { name = \"plain\"; action = \"allow\"; from = {}; } ); },\n"
	"  { name = \"db-authz\"; service = \"db\"; }\n" /* 18 */
	");\n";

static void
check_first_rule(const struct ctl_policy_rule *r)
{
	assert_string_equal(r->name, "web-reads");
	assert_int_equal(r->line, 7);
	assert_int_equal(r->action, CTL_POLICY_ALLOW);
	assert_true(r->has_from);
	assert_int_equal(r->n_identities, 3);
	assert_int_equal(r->identities[0].kind, CTL_ID_EXACT);
	assert_string_equal(r->identities[0].value, "spiffe://mesh.local/ns/web/sa/frontend");
	assert_int_equal(r->identities[1].kind, CTL_ID_PREFIX);
	assert_string_equal(r->identities[1].value, "spiffe://mesh.local/ns/ops/");
	assert_int_equal(r->identities[2].kind, CTL_ID_ANY);
	assert_null(r->identities[2].value);
	assert_int_equal(r->n_namespaces, 2);
	assert_string_equal(r->namespaces[0], "web");
	assert_string_equal(r->namespaces[1], "ops");
	assert_int_equal(r->n_ports, 2);
	assert_int_equal(r->ports[0], 8080);
	assert_int_equal(r->ports[1], 80);
	assert_true(r->has_http);
	assert_int_equal(r->n_methods, 2);
	assert_string_equal(r->methods[0], "GET");
	assert_string_equal(r->methods[1], "HEAD");
	assert_int_equal(r->path.kind, CTL_MATCH_PREFIX);
	assert_string_equal(r->path.value, "/api/");
	assert_int_equal(r->n_headers, 3);
	assert_string_equal(r->headers[0].name, "x-env");
	assert_int_equal(r->headers[0].m.kind, CTL_MATCH_EXACT);
	assert_string_equal(r->headers[0].m.value, "prod");
	assert_string_equal(r->headers[1].name, "authorization");
	assert_int_equal(r->headers[1].m.kind, CTL_MATCH_PREFIX);
	assert_string_equal(r->headers[1].m.value, "Bearer ");
	assert_int_equal(r->headers[2].m.kind, CTL_MATCH_PRESENT);
	assert_null(r->headers[2].m.value);
}

static void
test_full(void **state)
{
	const struct ctl_policies *p;
	const struct ctl_policy_rule *r;

	(void)state;
	load_ok(full_text);
	p = cfg->policies;
	assert_non_null(p);
	assert_int_equal(p->n_policies, 2);
	assert_int_equal(p->n_rules, 3);
	assert_string_equal(p->policies[0].name, "api-authz");
	assert_int_equal(p->policies[0].line, 5);
	assert_int_equal(p->policies[0].service, 0);
	assert_int_equal(p->policies[0].default_action, CTL_POLICY_ALLOW);
	assert_true(p->policies[0].dry_run);
	assert_int_equal(p->policies[0].first_rule, 0);
	assert_int_equal(p->policies[0].n_rules, 3);
	check_first_rule(&p->rules[0]);
	r = &p->rules[1];
	assert_string_equal(r->name, "1"); /* the default: its index */
	assert_int_equal(r->line, 16);
	assert_int_equal(r->action, CTL_POLICY_DENY);
	assert_false(r->has_from);
	assert_true(r->has_http);
	assert_int_equal(r->path.kind, CTL_MATCH_EXACT);
	assert_string_equal(r->path.value, "/admin");
	assert_int_equal(r->n_methods + r->n_headers + r->n_ports, 0);
	r = &p->rules[2];
	assert_true(r->has_from); /* an empty from: any authenticated source */
	assert_int_equal(r->n_identities + r->n_namespaces, 0);
	assert_false(r->has_http);
	/* defaults: deny, no dry run, no rules */
	assert_string_equal(p->policies[1].name, "db-authz");
	assert_int_equal(p->policies[1].service, 1);
	assert_int_equal(p->policies[1].default_action, CTL_POLICY_DENY);
	assert_false(p->policies[1].dry_run);
	assert_int_equal(p->policies[1].n_rules, 0);
	ctl_config_release(cfg);
	assert_null(cfg->policies);
	ctl_config_release(cfg); /* twice is harmless */
	load_ok(BASE);
	assert_null(cfg->policies);
	load_ok(BASE "policies = ();");
	assert_int_equal(cfg->policies->n_policies, 0);
}

/* One policy on "api" (line 4) with one rule whose body is line 5. */
#define RULE(body)                                                                                 \
	BASE "policies = ( { name = \"p\"; service = \"api\"; rules = (\n{ " body " } ); } );"

static void
test_rule_errors(void **state)
{
	(void)state;
	expect_err(RULE("name = \"r\";"),
		   "t.conf:5: 'action' (\"allow\" or \"deny\") is required for rule 'r'");
	expect_err(RULE("action = \"permit\";"),
		   "t.conf:5: 'action' expected one of \"allow\", \"deny\"");
	expect_err(RULE("action = \"allow\"; form = {};"),
		   "t.conf:5: unknown setting 'form' (did you mean 'from'?)");
	expect_err(RULE("action = \"allow\"; from = [ \"x\" ];"),
		   "t.conf:5: 'from' expected a group { ... }");
	expect_err(RULE("name = \"bad name\"; action = \"allow\";"),
		   "t.conf:5: 'name' expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' "
		   "and '-'");
	expect_err(
		BASE
		"policies = ( { name = \"p\"; service = \"api\"; rules = (\n"
		"{ name = \"a\"; action = \"allow\"; },\n{ name = \"a\"; action = \"deny\"; } ); "
		"} );",
		"t.conf:6: duplicate rule name 'a' (first at line 5)");
}

static void
test_from_errors(void **state)
{
	(void)state;
	expect_err(RULE("action = \"allow\"; from = { identities = [ \"web\" ]; };"),
		   "t.conf:5: 'identities' expected \"*\" or a SPIFFE ID such as "
		   "\"spiffe://mesh.local/ns/web/sa/frontend\" (at most 127 characters)");
	expect_err(RULE("action = \"allow\"; from = { identities = [ \"spiffe:///ns/a\" ]; };"),
		   "t.conf:5: 'identities' expected \"*\" or a SPIFFE ID such as "
		   "\"spiffe://mesh.local/ns/web/sa/frontend\" (at most 127 characters)");
	expect_err(RULE("action = \"allow\"; from = { identities = [ \"spiffe://td/ns/*/sa/a\" ]; "
			"};"),
		   "t.conf:5: 'identities' may use '*' only as its whole last segment, such as "
		   "\"spiffe://mesh.local/ns/web/*\"");
	expect_err(RULE("action = \"allow\"; from = { identities = [ \"spiffe://td/ns/a*\" ]; };"),
		   "t.conf:5: 'identities' may use '*' only as its whole last segment, such as "
		   "\"spiffe://mesh.local/ns/web/*\"");
	expect_err(RULE("action = \"allow\"; from = { identities = [ \"spiffe://td/a b\" ]; };"),
		   "t.conf:5: 'identities' must not contain control characters or spaces");
	expect_err(RULE("action = \"allow\"; from = { identities = [ ]; };"),
		   "t.conf:5: 'identities' expected a list of 1 to 16 strings such as [ \"a\", "
		   "\"b\" ]");
	expect_err(RULE("action = \"allow\"; from = { identities = \"*\"; };"),
		   "t.conf:5: 'identities' expected a list of 1 to 16 strings such as [ \"a\", "
		   "\"b\" ]");
	expect_err(RULE("action = \"allow\"; from = { namespaces = [ \"a/b\" ]; };"),
		   "t.conf:5: 'namespaces' expected 1 to 31 characters from A-Z, a-z, 0-9, '.', "
		   "'_' and '-'");
	expect_err(RULE("action = \"allow\"; from = { principals = [ \"*\" ]; };"),
		   "t.conf:5: unknown setting 'principals'");
}

static void
test_to_http_errors(void **state)
{
	(void)state;
	expect_err(RULE("action = \"allow\"; to = { ports = [ 0 ]; };"),
		   "t.conf:5: 'ports' expected ports between 1 and 65535");
	expect_err(RULE("action = \"allow\"; to = { ports = [ \"80\" ]; };"),
		   "t.conf:5: 'ports' expected a list of 1 to 16 integers such as [ 8080 ]");
	expect_err(RULE("action = \"allow\"; http = { methods = [ \"GE T\" ]; };"),
		   "t.conf:5: 'methods' expected HTTP methods such as \"GET\"");
	expect_err(RULE("action = \"allow\"; http = { path = \"api\"; };"),
		   "t.conf:5: 'path' must start with '/'");
	expect_err(RULE("action = \"allow\"; http = { path = \"/a\"; path_prefix = \"/b\"; };"),
		   "t.conf:5: only one of 'path' and 'path_prefix' per rule");
	expect_err(RULE("action = \"allow\"; http = { path_regex = \"/a.*\"; };"),
		   "t.conf:5: 'path_regex' is not supported in policies (exact, prefix only)");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { name = \"a\"; regex = \"b\"; "
			"} ); };"),
		   "t.conf:5: 'regex' is not supported in policies (exact, prefix and present "
		   "only)");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { name = \"x-a\"; } ); };"),
		   "t.conf:5: header 'x-a' needs one of 'exact', 'prefix' or 'present'");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { exact = \"1\"; } ); };"),
		   "t.conf:5: 'name' is required for a header matcher");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { name = \"X-A\"; exact = \"1\"; "
			"},\n{ name = \"x-a\"; present = true; } ); };"),
		   "t.conf:6: header 'x-a' is matched twice in one rule");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { name = \"x-a\"; exact = \"1\"; "
			"prefix = \"2\"; } ); };"),
		   "t.conf:5: only one of 'exact', 'prefix' and 'present' per header");
	expect_err(RULE("action = \"allow\"; http = { headers = ( { name = \"x-a\"; prefix = \"\"; "
			"} ); };"),
		   "t.conf:5: 'prefix' expected a string of 1 to 1024 characters");
}

static void
test_policy_errors(void **state)
{
	(void)state;
	expect_err(BASE "policies = { name = \"p\"; };",
		   "t.conf:4: 'policies' expected a list of groups ( {...}, ... )");
	expect_err(BASE "policies = ( { service = \"api\"; } );",
		   "t.conf:4: 'name' is required for a policy");
	expect_err(BASE "policies = ( { name = \"p\"; } );",
		   "t.conf:4: 'service' is required for policy 'p'");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"api\"; },\n"
			"{ name = \"p\"; service = \"db\"; } );",
		   "t.conf:5: duplicate policy name 'p' (first at line 4)");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"api\"; default = \"drop\"; } );",
		   "t.conf:4: 'default' expected one of \"allow\", \"deny\"");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"api\"; dry_run = 1; } );",
		   "t.conf:4: 'dry_run' expected true or false");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"api\"; rule = (); } );",
		   "t.conf:4: unknown setting 'rule' (did you mean 'rules'?)");
}

/* Checks that need the services: run after the whole file is read. */
static void
test_resolve_errors(void **state)
{
	(void)state;
	expect_err(BASE "policies = ( { name = \"p\";\n service = \"web\"; } );",
		   "t.conf:5: 'service' \"web\" of policy 'p' is not a defined service");
	expect_err("policies = ( { name = \"p\"; service = \"web\"; } );\n"
		   "ports = ( { name = \"local\"; iface = \"mgw-local\"; address = "
		   "\"10.10.0.1/24\"; } );",
		   "t.conf:1: 'service' \"web\" of policy 'p' is not a defined service (there is "
		   "no 'services' list)");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"api\"; },\n"
			"{ name = \"q\";\n service = \"api\"; } );",
		   "t.conf:6: service 'api' already has policy 'p' (line 4)");
	expect_err(BASE "policies = ( { name = \"p\"; service = \"db\"; rules = (\n"
			"{ name = \"r\"; action = \"allow\";\n http = {}; } ); } );",
		   "t.conf:6: rule 'r' of policy 'p' matches 'http' but service 'db' has protocol "
		   "\"tcp\"");
	/* the same rule without http is fine on a tcp service */
	load_ok(BASE "policies = ( { name = \"p\"; service = \"db\"; rules = (\n"
		     "{ name = \"r\"; action = \"allow\"; to = { ports = [ 5432 ]; }; } ); } );");
}

/* 64 rules per policy, 16 per list, 256 policies: at the limit and past it. */
static char *
rules_text(unsigned int n)
{
	size_t cap = 256 + n * 64;
	char *t = malloc(cap);
	size_t len = (size_t)snprintf(t, cap,
				      "%spolicies = ( { name = \"p\"; service = \"api\"; "
				      "rules = (\n",
				      BASE);

	for (unsigned int i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "%s{ action = \"deny\"; }",
					i ? "," : "");
	snprintf(t + len, cap - len, " ); } );");
	return t;
}

/* 256 services and n policies (the first 256 each on its own service). */
static char *
policies_text(unsigned int n)
{
	size_t cap = 4096 + (n + CTL_MAX_SERVICES) * 96;
	char *t = malloc(cap);
	size_t len = (size_t)snprintf(t, cap,
				      "ports = ( { name = \"local\"; iface = \"mgw-local\"; "
				      "address = \"10.10.0.1/24\"; } );\n"
				      "clusters = ( { name = \"c\"; endpoints = ( { address = "
				      "\"10.77.1.2\"; port = 80; } ); } );\nservices = (");

	for (unsigned int i = 0; i < CTL_MAX_SERVICES; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"%s{ name = \"s%u\"; vips = \"10.96.%u.%u:80\"; cluster = "
					"\"c\"; }",
					i ? "," : "", i, i / 200, 1 + i % 200);
	len += (size_t)snprintf(t + len, cap - len, ");\npolicies = (");
	for (unsigned int i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"%s{ name = \"p%u\"; service = \"s%u\"; }", i ? "," : "", i,
					i % CTL_MAX_SERVICES);
	snprintf(t + len, cap - len, ");");
	return t;
}

static void
test_limits(void **state)
{
	char list[2048] = "action = \"allow\"; from = { namespaces = [ ";
	char text[4096];
	char *t;

	(void)state;
	t = rules_text(CTL_MAX_POLICY_RULES);
	load_ok(t);
	assert_int_equal(cfg->policies->policies[0].n_rules, CTL_MAX_POLICY_RULES);
	free(t);
	t = rules_text(CTL_MAX_POLICY_RULES + 1);
	expect_err(t, "t.conf:4: 'rules' expected at most 64 rules per policy");
	free(t);
	t = policies_text(CTL_MAX_POLICIES);
	load_ok(t);
	assert_int_equal(cfg->policies->n_policies, CTL_MAX_POLICIES);
	assert_int_equal(cfg->policies->policies[255].service, 255);
	free(t);
	t = policies_text(CTL_MAX_POLICIES + 1);
	expect_err(t, "t.conf:4: 'policies' expected at most 256 policies");
	free(t);
	for (int i = 0; i < CTL_MAX_POLICY_LIST + 1; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"n%d\"",
			 i ? "," : "", i);
	strcat(list, " ]; };");
	snprintf(text, sizeof(text), RULE("%s"), list);
	expect_err(text, "t.conf:5: 'namespaces' expected a list of 1 to 16 strings such as [ "
			 "\"a\", \"b\" ]");
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
		cmocka_unit_test(test_full),	      cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_from_errors),   cmocka_unit_test(test_to_http_errors),
		cmocka_unit_test(test_policy_errors), cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

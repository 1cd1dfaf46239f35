/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_identities.c - the config loader's `identities` group:
 * defaults, each key, the CA files as found on disk (present, to be
 * created, a key others can read), the workloads and their SPIFFE IDs, and
 * the errors with their lines. One-rule-per-file bad configs are in
 * tests/conf/bad/identities_*.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_expect.h"
#include "ctl_config.h"

#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"

static char tmpdir[64];

/* An empty file tmpdir/<name> with mode; its path into buf. */
static const char *
make_file(const char *name, mode_t mode, char *buf, size_t len)
{
	FILE *f;

	snprintf(buf, len, "%s/%s", tmpdir, name);
	f = fopen(buf, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(buf, mode), 0);
	return buf;
}

/* PORT + "identities = { <body> };" with "@" in body replaced by tmpdir. */
static const char *
ids(const char *body)
{
	static char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), PORT "identities = {");

	for (const char *p = body; *p != '\0' && n < sizeof(text) - 8; p++) {
		if (*p == '@')
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", tmpdir);
		else
			text[n++] = *p;
	}
	snprintf(text + n, sizeof(text) - n, " };");
	return text;
}

/* "t.conf:<line>: <msg>" with "@" in msg replaced by tmpdir. */
static const char *
want(const char *msg)
{
	static char buf[1024];
	size_t n = 0;

	for (const char *p = msg; *p != '\0' && n < sizeof(buf) - 70; p++) {
		if (*p == '@')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", tmpdir);
		else
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

#define CA_NEW "ca = { cert = \"@/new.pem\"; key = \"@/new.key\"; create = true; };"

static void
test_defaults(void **state)
{
	const struct ctl_identities_conf *id = &cfg->identities;

	(void)state;
	expect_ok(PORT);
	assert_false(id->enabled);
	assert_string_equal(id->trust_domain, "mesh.local");
	assert_int_equal(id->tunnel_port, 15008);
	assert_int_equal(id->cert_lifetime_us, 24ULL * 3600 * 1000000);
	assert_int_equal(id->n_workloads, 0);
	/* the smallest group: a CA to create */
	expect_ok(ids(CA_NEW));
	assert_true(id->enabled);
	assert_string_equal(id->trust_domain, "mesh.local");
	assert_string_equal(id->ca.cert, want("@/new.pem"));
	assert_string_equal(id->ca.key, want("@/new.key"));
	assert_true(id->ca.create);
	assert_int_equal(id->ca.n_bundle, 0);
	assert_int_equal(id->n_workloads, 0);
}

static void
test_keys(void **state)
{
	const struct ctl_identities_conf *id = &cfg->identities;
	char cert[128], key[128], b1[128], b2[128];

	(void)state;
	make_file("ca.pem", 0644, cert, sizeof(cert));
	make_file("ca.key", 0600, key, sizeof(key));
	make_file("old-root.pem", 0644, b1, sizeof(b1));
	make_file("older-root.pem", 0444, b2, sizeof(b2));
	expect_ok(ids(
		"\n trust_domain = \"prod.example-1_x\";\n tunnel_port = 15009;\n"
		" cert_lifetime = \"20s\";\n"
		" ca = { cert = \"@/ca.pem\"; key = \"@/ca.key\";\n"
		"   bundle = [ \"@/old-root.pem\", \"@/older-root.pem\" ]; };\n"
		" workloads = (\n"
		"  { address = \"10.0.0.5\"; namespace = \"web\"; service_account = \"api\"; },\n"
		"  { service_account = \"Pg.Main-1_x\"; namespace = \"db\"; address = "
		"\"10.0.0.6\"; }\n );\n"));
	assert_string_equal(id->trust_domain, "prod.example-1_x");
	assert_int_equal(id->tunnel_port, 15009);
	assert_int_equal(id->cert_lifetime_us, 20000000);
	assert_string_equal(id->ca.cert, cert);
	assert_string_equal(id->ca.key, key);
	assert_false(id->ca.create);
	assert_int_equal(id->ca.n_bundle, 2);
	assert_string_equal(id->ca.bundle[0], b1);
	assert_string_equal(id->ca.bundle[1], b2);
	assert_int_equal(id->n_workloads, 2);
	assert_int_equal(id->workloads[0].addr, 0x0a000005);
	assert_string_equal(id->workloads[0].ns, "web");
	assert_string_equal(id->workloads[0].sa, "api");
	assert_string_equal(id->workloads[0].identity, "spiffe://prod.example-1_x/ns/web/sa/api");
	assert_int_equal(id->workloads[0].line, 9);
	assert_int_equal(id->workloads[1].addr, 0x0a000006);
	assert_string_equal(id->workloads[1].identity,
			    "spiffe://prod.example-1_x/ns/db/sa/Pg.Main-1_x");
	assert_int_equal(id->workloads[1].line, 10);
	/* the trust domain may come after the workloads */
	expect_ok(ids(" workloads = ( { address = \"10.0.0.5\"; namespace = \"web\"; "
		      "service_account = \"api\"; } ); " CA_NEW " trust_domain = \"td\";"));
	assert_string_equal(id->workloads[0].identity, "spiffe://td/ns/web/sa/api");
	/* create = true with both files present: they are loaded at start */
	expect_ok(ids(" ca = { cert = \"@/ca.pem\"; key = \"@/ca.key\"; create = true; };"));
	/* bounds */
	expect_ok(ids(CA_NEW " cert_lifetime = \"720h\"; tunnel_port = 1;"));
	assert_int_equal(id->cert_lifetime_us, 720ULL * 3600 * 1000000);
	expect_ok(ids(CA_NEW " workloads = ();"));
	assert_int_equal(id->n_workloads, 0);
}

static void
test_key_mode(void **state)
{
	static const mode_t bad[] = {0640, 0644, 0604, 0660, 0601};
	char cert[128], key[128], msg[512];

	(void)state;
	make_file("m.pem", 0644, cert, sizeof(cert));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_file("m.key", bad[i], key, sizeof(key));
		snprintf(msg, sizeof(msg),
			 "t.conf:2: 'key' @/m.key is open to group or others (mode %04o); a CA "
			 "key must be 0600 or stricter",
			 (unsigned int)bad[i]);
		expect_err(ids(" ca = { cert = \"@/m.pem\"; key = \"@/m.key\"; };"), want(msg));
	}
	make_file("m.key", 0400, key, sizeof(key));
	expect_ok(ids(" ca = { cert = \"@/m.pem\"; key = \"@/m.key\"; };"));
}

static void
test_errors(void **state)
{
	char path[128];

	(void)state;
	expect_err(PORT "identities = ( 1 );", "t.conf:2: 'identities' expected a group { ... }");
	expect_err(ids("\n trust_domian = \"x\"; " CA_NEW),
		   "t.conf:3: unknown setting 'trust_domian' (did you mean 'trust_domain'?)");
	expect_err(ids(" tunnel_port = 0; " CA_NEW),
		   "t.conf:2: 'tunnel_port' expected an integer between 1 and 65535");
	expect_err(ids(" tunnel_port = 65536; " CA_NEW),
		   "t.conf:2: 'tunnel_port' expected an integer between 1 and 65535");
	/* the trust domain */
	static const char *const bad_td[] = {"\"Mesh.local\"", "\"\"",		 "\"a/b\"",
					     "\"a:1\"",	       "\"spiffe://x\"", "1"};
	for (size_t i = 0; i < sizeof(bad_td) / sizeof(bad_td[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body), " trust_domain = %s; " CA_NEW, bad_td[i]);
		expect_err(ids(body), "t.conf:2: 'trust_domain' expected 1 to 63 characters of "
				      "a-z, 0-9, '.', '-' and '_' such as \"mesh.local\"");
	}
	/* the lifetime */
	expect_err(ids(" cert_lifetime = \"9s\"; " CA_NEW),
		   "t.conf:2: 'cert_lifetime' expected a duration between 10s and 720h");
	expect_err(ids(" cert_lifetime = \"721h\"; " CA_NEW),
		   "t.conf:2: 'cert_lifetime' expected a duration between 10s and 720h");
	expect_err(ids(" cert_lifetime = 86400; " CA_NEW),
		   "t.conf:2: 'cert_lifetime' expected a duration such as \"200ms\"");
	/* the CA */
	expect_err(ids(" tunnel_port = 15008;"),
		   "t.conf:2: 'identities' needs a 'ca' group { cert; key; ... }");
	expect_err(ids(" ca = ( 1 );"), "t.conf:2: 'ca' expected a group { ... }");
	expect_err(ids(" ca = { cert = \"@/new.pem\"; create = true; };"),
		   "t.conf:2: 'ca' needs both 'cert' and 'key' (with create = true, where to "
		   "write a new root)");
	expect_err(ids(" ca = { create = true; };"),
		   "t.conf:2: 'ca' needs both 'cert' and 'key' (with create = true, where to "
		   "write a new root)");
	expect_err(ids(" ca = { cert = \"ca.pem\"; key = \"@/k\"; };"),
		   "t.conf:2: 'cert' expected an absolute file path shorter than 256 characters");
	expect_err(ids(" ca = { cert = \"@/\"; key = \"@/k\"; };"),
		   "t.conf:2: 'cert' expected an absolute file path shorter than 256 characters");
	expect_err(ids(" ca = { cert = \"@/a\";\n key = \"@/a\"; create = true; };"),
		   "t.conf:3: 'key' must not be the same file as 'cert'");
	expect_err(ids(" ca = { cert = \"@/none.pem\"; key = \"@/none.key\"; };"),
		   want("t.conf:2: 'cert' @/none.pem: No such file or directory"));
	expect_err(ids(" ca = { cert = \"@/nodir/a.pem\"; key = \"@/nodir/a.key\"; create = "
		       "true; };"),
		   want("t.conf:2: 'cert' directory @/nodir: No such file or directory"));
	expect_err(ids(" ca = { cert = \"@\"; key = \"@/x.key\"; };"),
		   want("t.conf:2: 'cert' @ is not a regular file"));
	/* create = true never overwrites half a CA */
	make_file("half.pem", 0644, path, sizeof(path));
	expect_err(ids(" ca = { cert = \"@/half.pem\";\n key = \"@/half.key\"; create = true; };"),
		   want("t.conf:3: create = true but only one of 'cert' and 'key' exists: "
			"refusing to overwrite @/half.pem"));
	expect_err(ids(" ca = { create = true; cert = \"@/none.pem\"; key = 1; };"),
		   "t.conf:2: 'key' expected an absolute file path shorter than 256 characters");
	expect_err(ids(" ca = { create = 1; cert = \"@/none.pem\"; key = \"@/none.key\"; };"),
		   "t.conf:2: 'create' expected true or false");
	/* the bundle */
	expect_err(ids(" ca = { cert = \"@/new.pem\"; key = \"@/new.key\"; create = true;\n"
		       " bundle = \"@/x.pem\"; };"),
		   "t.conf:3: 'bundle' expected a list of at most 8 file paths [ \"...\" ]");
	expect_err(ids(" ca = { cert = \"@/new.pem\"; key = \"@/new.key\"; create = true;\n"
		       " bundle = [ \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\" "
		       "]; };"),
		   "t.conf:3: 'bundle' expected a list of at most 8 file paths [ \"...\" ]");
	expect_err(ids(" ca = { cert = \"@/new.pem\"; key = \"@/new.key\"; create = true;\n"
		       " bundle = [ \"old.pem\" ]; };"),
		   "t.conf:3: 'bundle' expected an absolute file path shorter than 256 "
		   "characters");
	expect_err(ids(" ca = { cert = \"@/new.pem\"; key = \"@/new.key\"; create = true;\n"
		       " bundle = [ \"@/gone.pem\" ]; };"),
		   want("t.conf:3: 'bundle' @/gone.pem: No such file or directory"));
}

static void
test_workload_errors(void **state)
{
	static const char *const bad_seg[] = {"\"\"",	 "\".\"",    "\"..\"", "\"a/b\"",
					      "\"a b\"", "\"a%2f\"", "1"};
	char body[512], seg[80];

	(void)state;
	expect_err(ids(CA_NEW " workloads = { };"),
		   "t.conf:2: 'workloads' expected a list of groups ( {...}, ... )");
	expect_err(ids(CA_NEW "\n workloads = ( { address = \"10.0.0.5\"; namespace = \"web\"; "
			      "} );"),
		   "t.conf:3: workload: 'service_account' is required");
	expect_err(ids(CA_NEW "\n workloads = ( { address = \"10.0.0.5\"; namespace = \"web\"; "
			      "service_acount = \"x\"; } );"),
		   "t.conf:3: unknown setting 'service_acount' (did you mean 'service_account'?)");
	expect_err(ids(CA_NEW "\n workloads = ( { address = \"10.0.0\"; namespace = \"web\"; "
			      "service_account = \"x\"; } );"),
		   "t.conf:3: 'address' expected an IPv4 address such as \"10.77.1.2\"");
	expect_err(ids(CA_NEW "\n workloads = ( { address = \"127.0.0.1\"; namespace = \"web\"; "
			      "service_account = \"x\"; } );"),
		   "t.conf:3: 'address' 127.0.0.1 is not a unicast address");
	expect_err(ids(CA_NEW "\n workloads = (\n { address = \"10.0.0.5\"; namespace = \"a\"; "
			      "service_account = \"x\"; },\n"
			      " { namespace = \"b\"; service_account = \"y\";\n address = "
			      "\"10.0.0.5\"; } );"),
		   "t.conf:6: workload 10.0.0.5 is already declared at line 4");
	for (size_t i = 0; i < sizeof(bad_seg) / sizeof(bad_seg[0]); i++) {
		snprintf(body, sizeof(body),
			 CA_NEW "\n workloads = ( { address = \"10.0.0.5\"; namespace = %s; "
				"service_account = \"x\"; } );",
			 bad_seg[i]);
		expect_err(ids(body), "t.conf:3: 'namespace' expected 1 to 63 characters of A-Z, "
				      "a-z, 0-9, '.', '-' and '_' (not \".\" or \"..\")");
	}
	/* 63 characters fit a segment; the whole ID must fit 127 */
	memset(seg, 'a', 63);
	seg[63] = '\0';
	snprintf(body, sizeof(body),
		 CA_NEW "\n workloads = ( { address = \"10.0.0.5\"; namespace = \"%s\"; "
			"service_account = \"x\"; } );",
		 seg);
	expect_ok(ids(body));
	snprintf(body, sizeof(body),
		 CA_NEW " trust_domain = \"%s\";\n workloads = ( { address = \"10.0.0.5\"; "
			"namespace = \"%s\"; service_account = \"%s\"; } );",
		 seg, seg, seg);
	{
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "t.conf:3: workload identity spiffe://%s/ns/%s/sa/%s is longer than 127 "
			 "characters",
			 seg, seg, seg);
		expect_err(ids(body), msg);
	}
}

static int
setup(void **state)
{
	(void)state;
	cfg = malloc(sizeof(*cfg));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/meshgw-tci-XXXXXX");
	return cfg == NULL || mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	ctl_config_release(cfg);
	free(cfg);
	cfg = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	cmocka_unit_test(test_keys),
		cmocka_unit_test(test_key_mode),	cmocka_unit_test(test_errors),
		cmocka_unit_test(test_workload_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_health.c - a cluster's `health_check` group and
 * `panic_threshold`: defaults (no group: no checks), every key, status
 * lists and ranges, and every refusal with its exact text and line. The
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

#include <cmocka.h>

#include "cfg_expect.h"
#include "ctl_config.h"

/* Line 1: a port; line 2: cluster "web" opens; line 3: the health_check
 * group under test (HC); line 4 closes. An error in the group is on line 3. */
#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"
#define OPEN                                                                                       \
	"clusters = ( { name = \"web\"; endpoints = ( { address = \"10.77.1.2\"; port = 8080; } "  \
	");\n"
#define HC(body)  PORT OPEN "  health_check = { " body " };\n} );\n"
#define KEY(line) PORT OPEN "  " line "\n} );\n"

#define MS  1000ULL
#define SEC 1000000ULL

static const struct ctl_health_conf *
health(void)
{
	return &cfg->clusters[0].health;
}

static void
test_defaults(void **state)
{
	(void)state;
	expect_ok(KEY(""));
	assert_false(health()->enabled);
	assert_int_equal(cfg->clusters[0].panic_threshold, 50);
	/* an empty group turns checks on with every default */
	expect_ok(HC(""));
	assert_true(health()->enabled);
	assert_int_equal(health()->type, CTL_HEALTH_TCP);
	assert_string_equal(health()->path, "/");
	assert_string_equal(health()->host, "");
	assert_int_equal(health()->n_statuses, 1);
	assert_int_equal(health()->statuses[0].lo, 200);
	assert_int_equal(health()->statuses[0].hi, 200);
	assert_int_equal(health()->interval_us, 5 * SEC);
	assert_int_equal(health()->timeout_us, 1 * SEC);
	assert_int_equal(health()->jitter_us, 0);
	assert_int_equal(health()->healthy_threshold, 2);
	assert_int_equal(health()->unhealthy_threshold, 3);
}

static void
test_full(void **state)
{
	(void)state;
	expect_ok(HC("type = \"http\"; path = \"/healthz?full=1\"; host = \"web.local\"; "
		     "expected_statuses = [ 200, 204 ]; interval = \"1s\"; timeout = \"500ms\"; "
		     "healthy_threshold = 1; unhealthy_threshold = 100; jitter = \"100ms\";"));
	assert_true(health()->enabled);
	assert_int_equal(health()->type, CTL_HEALTH_HTTP);
	assert_string_equal(health()->path, "/healthz?full=1");
	assert_string_equal(health()->host, "web.local");
	assert_int_equal(health()->n_statuses, 2);
	assert_int_equal(health()->statuses[0].lo, 200);
	assert_int_equal(health()->statuses[1].lo, 204);
	assert_int_equal(health()->statuses[1].hi, 204);
	assert_int_equal(health()->interval_us, 1 * SEC);
	assert_int_equal(health()->timeout_us, 500 * MS);
	assert_int_equal(health()->jitter_us, 100 * MS);
	assert_int_equal(health()->healthy_threshold, 1);
	assert_int_equal(health()->unhealthy_threshold, 100);

	expect_ok(KEY("panic_threshold = 0;"));
	assert_int_equal(cfg->clusters[0].panic_threshold, 0);
	expect_ok(KEY("panic_threshold = 100;"));
	assert_int_equal(cfg->clusters[0].panic_threshold, 100);
}

static void
test_statuses(void **state)
{
	(void)state;
	/* strings, ranges, a list rather than an array, the maximum count */
	expect_ok(HC("type = \"http\"; expected_statuses = ( \"200-299\", 304, \"418\" );"));
	assert_int_equal(health()->n_statuses, 3);
	assert_int_equal(health()->statuses[0].lo, 200);
	assert_int_equal(health()->statuses[0].hi, 299);
	assert_int_equal(health()->statuses[1].lo, 304);
	assert_int_equal(health()->statuses[2].lo, 418);
	assert_int_equal(health()->statuses[2].hi, 418);
	expect_ok(HC("type = \"http\"; expected_statuses = [ \"100-599\" ];"));
	assert_int_equal(health()->statuses[0].lo, 100);
	assert_int_equal(health()->statuses[0].hi, 599);
	expect_ok(HC("type = \"http\"; expected_statuses = [ 200, 201, 202, 203, 204, 205, 206, "
		     "207, 208, 226, 300, 301, 302, 303, 304, 599 ];"));
	assert_int_equal(health()->n_statuses, 16);
	assert_int_equal(health()->statuses[15].lo, 599);

	static const char *const bad[] = {
		"[ 99 ]",	   "[ 600 ]",	   "[ \"20\" ]",       "[ \"2000\" ]",
		"[ \"299-200\" ]", "[ \"200-\" ]", "[ \"200-2999\" ]", "[ \"2x0\" ]",
		"[ \"600-601\" ]", "[ \" 200\" ]", "[ 200.0 ]",	       "[ true ]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), HC("type = \"http\"; expected_statuses = %s;"),
			 bad[i]);
		expect_err(text, "t.conf:3: 'expected_statuses' expected a status between 100 and "
				 "599, or a range such as \"200-299\"");
	}
	expect_err(HC("type = \"http\"; expected_statuses = [ ];"),
		   "t.conf:3: 'expected_statuses' expected a list of 1 to 16 statuses such as [ "
		   "200, \"200-299\" ]");
	expect_err(HC("type = \"http\"; expected_statuses = 200;"),
		   "t.conf:3: 'expected_statuses' expected a list of 1 to 16 statuses such as [ "
		   "200, \"200-299\" ]");
	expect_err(HC("type = \"http\"; expected_statuses = [ 200, 201, 202, 203, 204, 205, 206, "
		      "207, 208, 226, 300, 301, 302, 303, 304, 305, 306 ];"),
		   "t.conf:3: 'expected_statuses' expected a list of 1 to 16 statuses such as [ "
		   "200, \"200-299\" ]");
}

static void
test_path_and_host(void **state)
{
	static const char path_err[] =
		"t.conf:3: 'path' expected a path starting with '/' of at most 255 visible ASCII "
		"characters (no spaces or control characters)";
	static const char host_err[] = "t.conf:3: 'host' expected 1 to 255 visible ASCII "
				       "characters (no spaces or control characters)";
	char text[2048], long_path[300];

	(void)state;
	expect_err(HC("type = \"http\"; path = \"healthz\";"), path_err);
	expect_err(HC("type = \"http\"; path = \"\";"), path_err);
	expect_err(HC("type = \"http\"; path = \"/a b\";"), path_err);
	expect_err(HC("type = \"http\"; path = \"/a\\r\\nX: y\";"), path_err);
	expect_err(HC("type = \"http\"; path = \"/a\\tb\";"), path_err);
	expect_err(HC("type = \"http\"; path = \"/\\xe9\";"), path_err);
	expect_err(HC("type = \"http\"; path = 1;"), path_err);
	expect_err(HC("type = \"http\"; host = \"\";"), host_err);
	expect_err(HC("type = \"http\"; host = \"a b\";"), host_err);
	expect_err(HC("type = \"http\"; host = \"a\\r\\nX: y\";"), host_err);
	/* 255 characters fit, 256 do not */
	long_path[0] = '/';
	memset(long_path + 1, 'p', 254);
	long_path[255] = '\0';
	snprintf(text, sizeof(text), HC("type = \"http\"; path = \"%s\";"), long_path);
	expect_ok(text);
	assert_int_equal(strlen(health()->path), 255);
	long_path[255] = 'p';
	long_path[256] = '\0';
	snprintf(text, sizeof(text), HC("type = \"http\"; path = \"%s\";"), long_path);
	expect_err(text, path_err);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_err(KEY("health_check = 1;"), "t.conf:3: 'health_check' expected a group { ... }");
	expect_err(HC("type = \"udp\";"), "t.conf:3: 'type' expected one of \"tcp\", \"http\"");
	expect_err(HC("intervl = \"1s\";"),
		   "t.conf:3: unknown setting 'intervl' (did you mean 'interval'?)");
	expect_err(HC("interval = \"5ms\";"),
		   "t.conf:3: 'interval' expected a duration between 10ms and 1h");
	expect_err(HC("timeout = \"0ms\";"),
		   "t.conf:3: 'timeout' expected a duration between 1ms and 1m");
	expect_err(HC("interval = \"1s\"; timeout = \"1s\";"),
		   "t.conf:3: 'timeout' must be below 'interval'");
	/* the default timeout (1s) against a shorter interval: the group's line */
	expect_err(HC("interval = \"500ms\";"), "t.conf:3: 'timeout' must be below 'interval'");
	expect_err(HC("interval = \"1s\"; timeout = \"100ms\"; jitter = \"1s\";"),
		   "t.conf:3: 'jitter' must be below 'interval'");
	expect_err(HC("healthy_threshold = 0;"),
		   "t.conf:3: 'healthy_threshold' expected an integer between 1 and 100");
	expect_err(HC("unhealthy_threshold = 101;"),
		   "t.conf:3: 'unhealthy_threshold' expected an integer between 1 and 100");
	expect_err(HC("path = \"/healthz\";"), "t.conf:3: 'path' applies only to type \"http\"");
	expect_err(HC("type = \"tcp\"; host = \"a\";"),
		   "t.conf:3: 'host' applies only to type \"http\"");
	expect_err(HC("expected_statuses = [ 200 ];"),
		   "t.conf:3: 'expected_statuses' applies only to type \"http\"");
	expect_err(KEY("panic_threshold = 101;"),
		   "t.conf:3: 'panic_threshold' expected an integer between 0 and 100");
	/* the key order inside the group does not matter */
	expect_ok(HC("path = \"/h\"; timeout = \"2s\"; type = \"http\"; interval = \"3s\";"));
	assert_int_equal(health()->type, CTL_HEALTH_HTTP);
	assert_int_equal(health()->timeout_us, 2 * SEC);
}

/* Each cluster has its own group; one without stays off. */
static void
test_per_cluster(void **state)
{
	(void)state;
	expect_ok(PORT "clusters = (\n"
		       " { name = \"a\"; endpoints = ( { address = \"10.77.1.2\"; port = 80; } ); "
		       "health_check = { type = \"http\"; path = \"/a\"; }; },\n"
		       " { name = \"b\"; endpoints = ( { address = \"10.77.1.3\"; port = 80; } ); "
		       "panic_threshold = 10; },\n"
		       " { name = \"c\"; endpoints = ( { address = \"10.77.1.4\"; port = 80; } ); "
		       "health_check = { interval = \"2s\"; }; }\n);\n");
	assert_int_equal(cfg->n_clusters, 3);
	assert_true(cfg->clusters[0].health.enabled);
	assert_string_equal(cfg->clusters[0].health.path, "/a");
	assert_false(cfg->clusters[1].health.enabled);
	assert_int_equal(cfg->clusters[1].panic_threshold, 10);
	assert_int_equal(cfg->clusters[0].panic_threshold, 50);
	assert_true(cfg->clusters[2].health.enabled);
	assert_int_equal(cfg->clusters[2].health.type, CTL_HEALTH_TCP);
	assert_int_equal(cfg->clusters[2].health.interval_us, 2 * SEC);
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
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),
		cmocka_unit_test(test_statuses), cmocka_unit_test(test_path_and_host),
		cmocka_unit_test(test_errors),	 cmocka_unit_test(test_per_cluster),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

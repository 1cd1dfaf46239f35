/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_discovery.c - the config loader's `discovery` group: defaults,
 * each key, the directory check (the file itself may be absent) and the
 * bounds. One-rule-per-file bad configs are in tests/conf/bad/discovery_*.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_expect.h"
#include "ctl_config.h"

#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"

static char tmpdir[64];

static void
test_defaults(void **state)
{
	(void)state;
	expect_ok(PORT);
	assert_string_equal(cfg->discovery.endpoints_file, "");
	assert_int_equal(cfg->discovery.debounce_us, 100000);
	expect_ok(PORT "discovery = {};");
	assert_string_equal(cfg->discovery.endpoints_file, "");
}

static void
test_keys(void **state)
{
	char text[512], path[128];

	(void)state;
	/* the file need not exist, its directory must */
	snprintf(path, sizeof(path), "%s/endpoints.json", tmpdir);
	snprintf(text, sizeof(text), PORT "discovery = { endpoints_file = \"%s\"; };", path);
	expect_ok(text);
	assert_string_equal(cfg->discovery.endpoints_file, path);
	assert_int_equal(cfg->discovery.debounce_us, 100000);
	snprintf(text, sizeof(text),
		 PORT "discovery = { endpoints_file = \"%s\"; debounce = \"1ms\"; };", path);
	expect_ok(text);
	assert_int_equal(cfg->discovery.debounce_us, 1000);
	snprintf(text, sizeof(text),
		 PORT "discovery = { debounce = \"10s\"; endpoints_file = \"%s\"; };", path);
	expect_ok(text);
	assert_int_equal(cfg->discovery.debounce_us, 10000000);
	/* a file in the root directory */
	expect_ok(PORT "discovery = { endpoints_file = \"/meshgw-endpoints.json\"; };");
	assert_string_equal(cfg->discovery.endpoints_file, "/meshgw-endpoints.json");
}

static void
test_errors(void **state)
{
	char text[1024], want[512], path[400];

	(void)state;
	expect_err(PORT "discovery = ( 1 );", "t.conf:2: 'discovery' expected a group { ... }");
	expect_err(PORT "discovery = { endpoints_file = 3; };",
		   "t.conf:2: 'endpoints_file' expected an absolute file path shorter than 256 "
		   "characters");
	expect_err(PORT "discovery = { endpoints_file = \"/tmp/\"; };",
		   "t.conf:2: 'endpoints_file' expected an absolute file path shorter than 256 "
		   "characters");
	expect_err(PORT "discovery = { endpoints_file = \"/no-such-meshgw-dir/x/e.json\"; };",
		   "t.conf:2: 'endpoints_file' directory /no-such-meshgw-dir/x: No such file or "
		   "directory");
	/* the path names a directory */
	snprintf(text, sizeof(text), PORT "discovery = {\nendpoints_file = \"%s\"; };", tmpdir);
	snprintf(want, sizeof(want), "t.conf:3: 'endpoints_file' %s is a directory", tmpdir);
	expect_err(text, want);
	snprintf(text, sizeof(text),
		 PORT "discovery = { endpoints_file = \"%s/e.json\";\n debounce = \"0ms\"; };",
		 tmpdir);
	expect_err(text, "t.conf:3: 'debounce' expected a duration between 1ms and 10s");
	snprintf(text, sizeof(text),
		 PORT "discovery = { endpoints_file = \"%s/e.json\";\n debounce = 100; };", tmpdir);
	expect_err(text, "t.conf:3: 'debounce' expected a duration such as \"200ms\"");
	expect_err(PORT "discovery = { debounce = \"1s\"; };",
		   "t.conf:2: 'debounce' applies only with 'endpoints_file'");
	expect_err(PORT "discovery = {\n etcd = \"x\"; };", "t.conf:3: unknown setting 'etcd'");
	/* 255 characters fit, 256 do not */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[256] = '\0';
	snprintf(text, sizeof(text), PORT "discovery = { endpoints_file = \"%s\"; };", path);
	expect_err(text, "t.conf:2: 'endpoints_file' expected an absolute file path shorter than "
			 "256 characters");
	path[255] = '\0';
	snprintf(text, sizeof(text), PORT "discovery = { endpoints_file = \"%s\"; };", path);
	expect_ok(text);
}

static int
setup(void **state)
{
	(void)state;
	cfg = malloc(sizeof(*cfg));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/meshgw-tcd-XXXXXX");
	return cfg == NULL || mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ctl_config_release(cfg);
	free(cfg);
	cfg = NULL;
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

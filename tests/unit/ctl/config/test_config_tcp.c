/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_tcp.c - the config loader's `tcp` group and `listeners` list:
 * defaults, every key, bounds, relations between keys, and the checks made
 * after the whole file is read (listener addresses against the ports,
 * overlapping listeners, the listener limit). Kept apart from test_config.c,
 * which covers the rest of the loader.
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
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = [ \"10.10.0.1/24\", "      \
	"\"10.10.1.1/24\" ]; } );\n"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define MS	       1000ULL
#define SEC	       1000000ULL

static void
test_tcp_defaults(void **state)
{
	const struct ctl_tcp_conf *t = &cfg->tcp;

	(void)state;
	expect_ok(PORT);
	assert_int_equal(t->max_conns, 65536);
	assert_int_equal(t->max_listeners, 64);
	assert_int_equal(t->rcv_buf, 262144);
	assert_int_equal(t->snd_buf, 262144);
	assert_int_equal(t->worker_mem_max, 268435456);
	assert_int_equal(t->ooo_max, 256);
	assert_true(t->window_scaling);
	assert_true(t->timestamps);
	assert_true(t->sack);
	assert_false(t->nagle);
	assert_int_equal(t->congestion_control, 0);
	assert_int_equal(t->rto_min_us, 200 * MS);
	assert_int_equal(t->rto_max_us, 60 * SEC);
	assert_int_equal(t->rto_initial_us, 1 * SEC);
	assert_int_equal(t->msl_us, 30 * SEC);
	assert_int_equal(t->delayed_ack_us, 40 * MS);
	assert_int_equal(t->keepalive_idle_us, 0);
	assert_int_equal(t->keepalive_interval_us, 75 * SEC);
	assert_int_equal(t->keepalive_probes, 9);
	assert_int_equal(t->syn_retries, 5);
	assert_int_equal(t->fin_wait2_timeout_us, 60 * SEC);
	assert_int_equal(t->syn_backlog, 4096);
	assert_true(t->syncookies);
	assert_int_equal(t->challenge_ack_limit, 1000);
	assert_int_equal(t->ephemeral_min, 32768);
	assert_int_equal(t->ephemeral_max, 60999);
	assert_int_equal(cfg->n_listeners, 0);
	/* ctl_config_defaults() agrees with a load */
	ctl_config_defaults(cfg);
	assert_int_equal(cfg->tcp.max_conns, 65536);
	assert_int_equal(cfg->tcp.msl_us, 30 * SEC);
	assert_true(cfg->tcp.sack);
}

static void
test_tcp_every_key(void **state)
{
	const struct ctl_tcp_conf *t = &cfg->tcp;

	(void)state;
	expect_ok(PORT
		  "tcp = {\n"
		  "  max_conns = 1024; max_listeners = 8; rcv_buf = 4096; snd_buf = 67108864;\n"
		  "  worker_mem_max = 68719476736L; ooo_max = 1;\n"
		  "  window_scaling = false; timestamps = false; sack = false; nagle = true;\n"
		  "  congestion_control = \"newreno\"; rto_min = \"10ms\"; rto_max = \"2m\";\n"
		  "  rto_initial = \"250ms\"; msl = \"1s\"; delayed_ack = \"0ms\";\n"
		  "  keepalive_idle = \"2h\"; keepalive_interval = \"10s\"; keepalive_probes = "
		  "3;\n"
		  "  syn_retries = 2; fin_wait2_timeout = \"5s\"; ephemeral_ports = [ 1024, "
		  "65535 ];\n"
		  "};\n");
	assert_int_equal(t->max_conns, 1024);
	assert_int_equal(t->max_listeners, 8);
	assert_int_equal(t->rcv_buf, 4096);
	assert_int_equal(t->snd_buf, 67108864);
	assert_int_equal(t->worker_mem_max, 68719476736ULL);
	assert_int_equal(t->ooo_max, 1);
	assert_false(t->window_scaling);
	assert_false(t->timestamps);
	assert_false(t->sack);
	assert_true(t->nagle);
	assert_int_equal(t->rto_min_us, 10 * MS);
	assert_int_equal(t->rto_max_us, 120 * SEC);
	assert_int_equal(t->rto_initial_us, 250 * MS);
	assert_int_equal(t->msl_us, 1 * SEC);
	assert_int_equal(t->delayed_ack_us, 0);
	assert_int_equal(t->keepalive_idle_us, 7200 * SEC);
	assert_int_equal(t->keepalive_interval_us, 10 * SEC);
	assert_int_equal(t->keepalive_probes, 3);
	assert_int_equal(t->syn_retries, 2);
	assert_int_equal(t->fin_wait2_timeout_us, 5 * SEC);
	assert_int_equal(t->ephemeral_min, 1024);
	assert_int_equal(t->ephemeral_max, 65535);
	/* the example in the README, as one line */
	expect_ok(PORT "tcp = { max_conns = 65536; max_listeners = 64; rcv_buf = 262144; snd_buf = "
		       "262144; worker_mem_max = 268435456; ooo_max = 256; window_scaling = true; "
		       "timestamps = true; sack = true; nagle = false; congestion_control = "
		       "\"newreno\"; rto_min = \"200ms\"; rto_max = \"60s\"; rto_initial = \"1s\"; "
		       "msl = \"30s\"; delayed_ack = \"40ms\"; keepalive_idle = \"0s\"; "
		       "keepalive_interval = \"75s\"; keepalive_probes = 9; syn_retries = 5; "
		       "fin_wait2_timeout = \"60s\"; ephemeral_ports = [ 32768, 60999 ]; };");
	assert_int_equal(t->ephemeral_max, 60999);
	expect_ok(PORT "tcp = { syn_backlog = 1048576; syncookies = false; };");
	assert_int_equal(t->syn_backlog, 1048576);
	assert_false(t->syncookies);
	expect_ok(PORT "tcp = { challenge_ack_limit = 0; };"); /* none at all */
	assert_int_equal(t->challenge_ack_limit, 0);
	expect_ok(PORT "tcp = { congestion_control = \"cubic\"; };");
	assert_int_equal(t->congestion_control, 1); /* STK_CC_CUBIC: gw_worker.c casts it */
	/* a one-port range is a range */
	expect_ok(PORT "tcp = { ephemeral_ports = ( 40000, 40000 ); };");
	assert_int_equal(t->ephemeral_min, 40000);
	assert_int_equal(t->ephemeral_max, 40000);
}

static void
test_tcp_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{PORT "tcp = 1;", "t.conf:2: 'tcp' expected a group { ... }"},
		{PORT "tcp = { max_con = 5; };",
		 "t.conf:2: unknown setting 'max_con' (did you mean 'max_conns'?)"},
		{PORT "tcp = { max_conns = 15; };",
		 "t.conf:2: 'max_conns' expected an integer between 16 and 4194304"},
		{PORT "tcp = { max_listeners = 0; };",
		 "t.conf:2: 'max_listeners' expected an integer between 1 and 4096"},
		{PORT "tcp = { rcv_buf = 4095; };",
		 "t.conf:2: 'rcv_buf' expected an integer between 4096 and 67108864"},
		{PORT "tcp = { snd_buf = 67108865; };",
		 "t.conf:2: 'snd_buf' expected an integer between 4096 and 67108864"},
		{PORT "tcp = { worker_mem_max = 68719476737L; };",
		 "t.conf:2: 'worker_mem_max' expected an integer between 1048576 and "
		 "68719476736"},
		{PORT "tcp = { ooo_max = 0; };",
		 "t.conf:2: 'ooo_max' expected an integer between 1 and 65536"},
		{PORT "tcp = { sack = 1; };", "t.conf:2: 'sack' expected true or false"},
		{PORT "tcp = { window_scaling = \"yes\"; };",
		 "t.conf:2: 'window_scaling' expected true or false"},
		{PORT "tcp = { congestion_control = \"bbr\"; };",
		 "t.conf:2: 'congestion_control' expected one of \"newreno\", \"cubic\""},
		{PORT "tcp = { rto_min = \"999us\"; };",
		 "t.conf:2: 'rto_min' expected a duration between 1ms and 10s"},
		{PORT "tcp = { rto_min = 200; };",
		 "t.conf:2: 'rto_min' expected a duration such as \"200ms\""},
		{PORT "tcp = { rto_max = \"11m\"; };",
		 "t.conf:2: 'rto_max' expected a duration between 1s and 10m"},
		{PORT "tcp = { rto_initial = \"2m\"; };",
		 "t.conf:2: 'rto_initial' expected a duration between 1ms and 1m"},
		{PORT "tcp = { msl = \"99ms\"; };",
		 "t.conf:2: 'msl' expected a duration between 100ms and 10m"},
		{PORT "tcp = { delayed_ack = \"501ms\"; };",
		 "t.conf:2: 'delayed_ack' expected a duration between 0s and 500ms"},
		{PORT "tcp = { keepalive_idle = \"25h\"; };",
		 "t.conf:2: 'keepalive_idle' expected a duration between 0s and 24h"},
		{PORT "tcp = { keepalive_interval = \"0s\"; };",
		 "t.conf:2: 'keepalive_interval' expected a duration between 1s and 1h"},
		{PORT "tcp = { keepalive_probes = 101; };",
		 "t.conf:2: 'keepalive_probes' expected an integer between 1 and 100"},
		{PORT "tcp = { syn_retries = 21; };",
		 "t.conf:2: 'syn_retries' expected an integer between 1 and 20"},
		{PORT "tcp = { syn_backlog = 0; };",
		 "t.conf:2: 'syn_backlog' expected an integer between 1 and 1048576"},
		{PORT "tcp = { syncookies = \"on\"; };",
		 "t.conf:2: 'syncookies' expected true or false"},
		{PORT "tcp = { challenge_ack_limit = 1000001; };",
		 "t.conf:2: 'challenge_ack_limit' expected an integer between 0 and 1000000"},
		{PORT "tcp = { fin_wait2_timeout = \"500ms\"; };",
		 "t.conf:2: 'fin_wait2_timeout' expected a duration between 1s and 1h"},
		{PORT "tcp = { ephemeral_ports = 32768; };",
		 "t.conf:2: 'ephemeral_ports' expected [ first, last ] with ports between 1024 "
		 "and 65535"},
		{PORT "tcp = { ephemeral_ports = [ 32768 ]; };",
		 "t.conf:2: 'ephemeral_ports' expected [ first, last ] with ports between 1024 "
		 "and 65535"},
		{PORT "tcp = { ephemeral_ports = [ 1023, 2000 ]; };",
		 "t.conf:2: 'ephemeral_ports' expected [ first, last ] with ports between 1024 "
		 "and 65535"},
		{PORT "tcp = { ephemeral_ports = [ 2000, 65536 ]; };",
		 "t.conf:2: 'ephemeral_ports' expected [ first, last ] with ports between 1024 "
		 "and 65535"},
		{PORT "tcp = { ephemeral_ports = ( 2000, \"3000\" ); };",
		 "t.conf:2: 'ephemeral_ports' expected [ first, last ] with ports between 1024 "
		 "and 65535"},
		{PORT "tcp = { ephemeral_ports = [ 5000, 4999 ]; };",
		 "t.conf:2: 'ephemeral_ports' first port 5000 is above the last 4999"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(cases[i].text, cases[i].want);
}

static void
test_tcp_relations(void **state)
{
	(void)state;
	expect_err(PORT "tcp = {\n rto_max = \"1s\";\n rto_min = \"2s\"; };",
		   "t.conf:4: 'rto_min' is above 'rto_max'");
	/* the default rto_initial (1s) against a smaller rto_max is named */
	expect_err(PORT "tcp = { rto_max = \"1s\"; rto_initial = \"1001ms\"; };",
		   "t.conf:2: 'rto_initial' is above 'rto_max'");
	expect_ok(PORT "tcp = { rto_min = \"1s\"; rto_max = \"1s\"; rto_initial = \"1s\"; };");
	expect_err(PORT "tcp = { rcv_buf = 1048576;\n worker_mem_max = 1048576; };",
		   "t.conf:3: 'worker_mem_max' must hold at least one connection's rcv_buf + "
		   "snd_buf (1310720 bytes)");
	expect_err(PORT "tcp = { rcv_buf = 67108864; snd_buf = 67108864; worker_mem_max = "
			"134217727; };",
		   "t.conf:2: 'worker_mem_max' must hold at least one connection's rcv_buf + "
		   "snd_buf (134217728 bytes)");
	expect_ok(PORT "tcp = { worker_mem_max = 1048576; rcv_buf = 524288; snd_buf = 524288; };");
}

static void
test_listeners(void **state)
{
	(void)state;
	expect_ok(PORT
		  "listeners = (\n"
		  "  { name = \"echo\"; type = \"echo\"; address = \"10.10.0.1\"; port = 7; },\n"
		  "  { name = \"discard\"; type = \"discard\"; port = 9; },\n"
		  "  { type = \"source\"; port = 19; name = \"chargen_1\"; },\n"
		  "  { name = \"echo-b\"; type = \"echo\"; address = \"10.10.1.1\"; port = 7; }\n"
		  ");\n");
	assert_int_equal(cfg->n_listeners, 4);
	assert_string_equal(cfg->listeners[0].name, "echo");
	assert_int_equal(cfg->listeners[0].type, CTL_LSN_ECHO);
	assert_int_equal(cfg->listeners[0].address, IP(10, 10, 0, 1));
	assert_int_equal(cfg->listeners[0].port, 7);
	assert_int_equal(cfg->listeners[0].line, 3);
	assert_int_equal(cfg->listeners[1].type, CTL_LSN_DISCARD);
	assert_int_equal(cfg->listeners[1].address, 0);
	assert_int_equal(cfg->listeners[2].type, CTL_LSN_SOURCE);
	assert_string_equal(cfg->listeners[2].name, "chargen_1");
	assert_int_equal(cfg->listeners[2].port, 19);
	assert_int_equal(cfg->listeners[3].address, IP(10, 10, 1, 1));
	assert_string_equal(ctl_listener_type_name(CTL_LSN_ECHO), "echo");
	assert_string_equal(ctl_listener_type_name(CTL_LSN_DISCARD), "discard");
	assert_string_equal(ctl_listener_type_name(CTL_LSN_SOURCE), "source");
	assert_string_equal(ctl_listener_type_name((enum ctl_listener_type)7), "unknown");
	/* before ports in the file; an empty list; "0.0.0.0" is any address */
	expect_ok("listeners = ( { name = \"a\"; type = \"echo\"; address = \"10.10.0.1\"; port = "
		  "7; } );\n" PORT);
	assert_int_equal(cfg->n_listeners, 1);
	expect_ok(PORT "listeners = ();");
	assert_int_equal(cfg->n_listeners, 0);
	expect_ok(PORT "listeners = [];");
	expect_ok(PORT "listeners = ( { name = \"a\"; type = \"echo\"; address = \"0.0.0.0\"; port "
		       "= 65535; } );");
	assert_int_equal(cfg->listeners[0].address, 0);
	/* exactly tcp.max_listeners is fine, in either order */
	expect_ok(PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 1; },\n"
		       "  { name = \"b\"; type = \"echo\"; port = 2; } );\n"
		       "tcp = { max_listeners = 2; };");
}

static void
test_listener_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{PORT "listeners = { name = \"a\"; };",
		 "t.conf:2: 'listeners' expected a list of groups ( {...}, ... )"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; prot = 7; } );",
		 "t.conf:2: unknown setting 'prot' (did you mean 'port'?)"},
		{PORT "listeners = ( { type = \"echo\"; port = 7; } );",
		 "t.conf:2: 'name' is required for a listener"},
		{PORT "listeners = ( { name = \"a\"; port = 7; } );",
		 "t.conf:2: 'type' is required for listener 'a'"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; } );",
		 "t.conf:2: 'port' is required for listener 'a'"},
		{PORT "listeners = ( { name = \"Echo\"; type = \"echo\"; port = 7; } );",
		 "t.conf:2: 'name' expected 1 to 31 characters from a-z, 0-9, '_' and '-'"},
		{PORT "listeners = ( { name = \"a\"; type = \"chargen\"; port = 7; } );",
		 "t.conf:2: 'type' expected one of \"echo\", \"discard\", \"source\""},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 0; } );",
		 "t.conf:2: 'port' expected an integer between 1 and 65535"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 65536; } );",
		 "t.conf:2: 'port' expected an integer between 1 and 65535"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; address = "
		      "\"10.10.0.1/24\"; } );",
		 "t.conf:2: 'address' expected an IPv4 address such as \"10.10.0.1\""},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7;\n"
		      "  address = \"10.10.0.2\"; } );",
		 "t.conf:3: 'address' 10.10.0.2 of listener 'a' is not an address of any port"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; },\n"
		      "  { name = \"a\"; type = \"discard\"; port = 9; } );",
		 "t.conf:3: duplicate listener name 'a' (first at line 2)"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; },\n"
		      "  { name = \"b\"; type = \"discard\"; port = 7; } );",
		 "t.conf:3: listener 'b' on *:7 overlaps listener 'a' (line 2)"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; address = "
		      "\"10.10.0.1\"; },\n"
		      "  { name = \"b\"; type = \"discard\"; port = 7; } );",
		 "t.conf:3: listener 'b' on *:7 overlaps listener 'a' (line 2)"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; },\n"
		      "  { name = \"b\"; type = \"discard\"; port = 7; address = \"10.10.1.1\"; } "
		      ");",
		 "t.conf:3: listener 'b' on 10.10.1.1:7 overlaps listener 'a' (line 2)"},
		{PORT "listeners = ( { name = \"a\"; type = \"echo\"; port = 7; address = "
		      "\"10.10.1.1\"; },\n"
		      "  { name = \"b\"; type = \"discard\"; port = 7; address = \"10.10.1.1\"; } "
		      ");",
		 "t.conf:3: listener 'b' on 10.10.1.1:7 overlaps listener 'a' (line 2)"},
		{PORT "tcp = { max_listeners = 1; };\n"
		      "listeners = ( { name = \"a\"; type = \"echo\"; port = 1; },\n"
		      "  { name = \"b\"; type = \"echo\"; port = 2; } );",
		 "t.conf:3: 2 listeners are more than tcp.max_listeners (1)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(cases[i].text, cases[i].want);
}

/* CTL_MAX_LISTENERS listeners load; one more is refused. */
static void
test_listener_limit(void **state)
{
	size_t cap = 64 * 80 + 256, n = 0;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, PORT "listeners = (\n");
	for (int i = 0; i <= CTL_MAX_LISTENERS; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "%s{ name = \"l%d\"; type = \"echo\"; port = %d; }\n",
				      i ? "," : "", i, 1000 + i);
	snprintf(text + n, cap - n, ");\n");
	expect_err(text, "t.conf:2: 'listeners' expected at most 64 listeners");
	/* drop the last one */
	char *last = strrchr(text, ',');
	assert_non_null(last);
	snprintf(last, cap - (size_t)(last - text), ");\n");
	expect_ok(text);
	assert_int_equal(cfg->n_listeners, CTL_MAX_LISTENERS);
	assert_int_equal(cfg->listeners[63].port, 1063);
	free(text);
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
		cmocka_unit_test(test_tcp_defaults),   cmocka_unit_test(test_tcp_every_key),
		cmocka_unit_test(test_tcp_errors),     cmocka_unit_test(test_tcp_relations),
		cmocka_unit_test(test_listeners),      cmocka_unit_test(test_listener_errors),
		cmocka_unit_test(test_listener_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

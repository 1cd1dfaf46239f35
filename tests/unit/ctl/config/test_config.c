/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c - the config loader: defaults, a full valid config, every
 * class of error with its exact text and line, the bad configs under
 * tests/conf/bad (argv[1]) and every *.conf under conf/ and conf/examples/
 * of the source tree (argv[2]).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static const char *bad_dir;
static const char *src_root;

/* One valid port on line 1, so an error on line N is on line N of the text. */
#define PORT                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void
test_defaults(void **state)
{
	(void)state;
	ctl_config_defaults(cfg);
	assert_string_equal(cfg->eal.file_prefix, "meshgw");
	assert_int_equal(cfg->eal.n_args, 0);
	assert_int_equal(cfg->eal.huge, CTL_HUGE_AUTO);
	assert_int_equal(cfg->eal.memory_mb, 512);
	assert_int_equal(cfg->eal.mbufs, 16383);
	assert_int_equal(cfg->eal.mbuf_cache, 256);
	assert_int_equal(cfg->workers.count, 1);
	assert_int_equal(cfg->workers.n_cores, 0);
	assert_int_equal(cfg->workers.cores[0], 1);
	assert_int_equal(cfg->workers.control_core, 0);
	assert_int_equal(cfg->workers.idle, CTL_IDLE_ADAPTIVE);
	assert_int_equal(cfg->workers.idle_polls, 1000);
	assert_int_equal(cfg->workers.idle_sleep_max_us, 1000);
	assert_int_equal(cfg->workers.burst, 32);
	assert_int_equal(cfg->workers.redirect_ring, 4096);
	assert_int_equal(cfg->workers.rx_desc, 1024);
	assert_int_equal(cfg->workers.tx_desc, 1024);
	assert_int_equal(cfg->n_ports, 0);
	assert_int_equal(cfg->ports[0].driver, CTL_DRV_AF_PACKET);
	assert_int_equal(cfg->ports[7].mtu, 1500);
	assert_int_equal(cfg->ports[7].framecnt, 4096);
	assert_false(cfg->ports[0].impair.enabled);
	assert_int_equal(cfg->ports[0].impair.rx.reorder_depth, 3);
	assert_int_equal(cfg->ports[0].impair.tx.reorder_time_us, 1000);
	assert_int_equal(cfg->ports[0].impair.tx.queue_max, 4096);
	assert_int_equal(cfg->n_routes, 0);
	assert_int_equal(cfg->arp.cache_size, 1024);
	assert_int_equal(cfg->arp.pending_max, 16);
	assert_int_equal(cfg->arp.retries, 3);
	assert_int_equal(cfg->arp.retry_us, 1000000);
	assert_int_equal(cfg->arp.reachable_us, 60000000);
	assert_int_equal(cfg->arp.failed_us, 5000000);
	assert_string_equal(cfg->ctl.socket, "/run/meshgw/meshgw.sock");
	assert_true(cfg->admin.enabled);
	assert_int_equal(cfg->admin.address, IP(127, 0, 0, 1));
	assert_int_equal(cfg->admin.port, 9901);
	assert_int_equal(cfg->log.level, CTL_LOG_INFO);
}

static void
test_minimal(void **state)
{
	(void)state;
	expect_ok(PORT);
	assert_string_equal(cfg->path, "t.conf");
	assert_int_equal(cfg->n_ports, 1);
	assert_string_equal(cfg->ports[0].name, "local");
	assert_int_equal(cfg->ports[0].driver, CTL_DRV_AF_PACKET);
	assert_string_equal(cfg->ports[0].iface, "mgw-local");
	assert_int_equal(cfg->ports[0].n_addrs, 1);
	assert_int_equal(cfg->ports[0].addrs[0], IP(10, 10, 0, 1));
	assert_int_equal(cfg->ports[0].plens[0], 24);
	assert_int_equal(cfg->ports[0].line, 1);
	assert_false(cfg->ports[0].has_mac);
	assert_int_equal(cfg->workers.count, 1);
	assert_int_equal(cfg->workers.cores[0], 1);
	assert_int_equal(cfg->log.level, CTL_LOG_INFO);
}

static const char full_text[] =
	"eal = {\n"
	"  args = [ \"--log-level=pmd.net.af_packet:notice\", \"--no-telemetry\" ];\n"
	"  file_prefix = \"mgw-test\";\n"
	"  hugepages = \"off\";\n"
	"  memory_mb = 1024;\n"
	"  mbufs = 32767;\n"
	"  mbuf_cache = 128;\n"
	"};\n"
	"workers = {\n" /* line 9 */
	"  count = 2;\n"
	"  cores = [ 3, 2 ];\n"
	"  control_core = 1;\n"
	"  idle = \"poll\";\n"
	"  idle_polls = 500;\n"
	"  idle_sleep_max = \"250us\";\n"
	"  burst = 64;\n"
	"  redirect_ring = 1024;\n"
	"  rx_desc = 512; tx_desc = 2048;\n"
	"};\n"
	"ip_routes = (\n" /* line 20: before ports on purpose */
	"  { prefix = \"0.0.0.0/0\"; via = \"192.168.1.254\"; },\n"
	"  { prefix = \"10.20.0.0/16\"; via = \"10.10.0.254\"; port = \"local\"; },\n"
	"  { prefix = \"172.16.0.0/12\"; port = \"wan\"; }\n"
	");\n"
	"ports = (\n" /* line 25 */
	"  {\n"
	"    name = \"local\";\n"
	"    driver = \"af_packet\";\n"
	"    iface = \"mgw-local\";\n"
	"    devargs = \"qpairs=1\";\n"
	"    framecnt = 2048;\n"
	"    mtu = 1400;\n"
	"    mac = \"02:00:00:aB:cd:01\";\n"
	"    address = [ \"10.10.0.1/24\", \"10.11.0.1/31\", \"10.12.0.1/32\" ];\n"
	"    impair = {\n"
	"      seed = 12345678901L;\n"
	"      rx = { drop = 0.1; duplicate = 0.0; reorder = 1; reorder_depth = 5;\n"
	"             reorder_time = \"2ms\"; delay = \"0ms\"; queue_max = 100; };\n"
	"      tx = { drop = 0; delay = \"1s\"; };\n"
	"    };\n"
	"  },\n"
	"  { name = \"wan\"; driver = \"tap\"; iface = \"mgw-wan\"; mtu = 9000;\n"
	"    address = \"192.168.1.2/24\"; },\n"
	"  { name = \"x_dp\"; driver = \"af_xdp\"; iface = \"eth1\"; mtu = 3498;\n"
	"    address = (\"10.50.0.1/16\"); },\n"
	"  { name = \"cap\"; driver = \"pcap\"; devargs = \"rx_pcap=/tmp/a.pcap\";\n"
	"    address = \"10.60.0.1/24\"; },\n"
	"  { name = \"nic-0\"; driver = \"pci\"; pci = \"0000:3b:1f.7\"; mtu = 9000;\n"
	"    address = \"10.70.0.1/24\"; }\n"
	");\n"
	"arp = { cache_size = 4096; pending_max = 8; retries = 5; retry_interval = \"500ms\";\n"
	"        reachable_time = \"2m\"; failed_time = \"1h\"; };\n"
	"ctl = { socket = \"/tmp/meshgw-test.sock\"; };\n"
	"admin = { enabled = false; address = \"0.0.0.0\"; port = 8080; };\n"
	"log = { level = \"debug\"; };\n";

static void
check_full_ports(void)
{
	const struct ctl_port_conf *p = &cfg->ports[0];

	assert_int_equal(cfg->n_ports, 5);
	assert_int_equal(p->line, 26);
	assert_string_equal(p->devargs, "qpairs=1");
	assert_int_equal(p->framecnt, 2048);
	assert_int_equal(p->mtu, 1400);
	assert_true(p->has_mac);
	assert_memory_equal(p->mac, ((uint8_t[]){2, 0, 0, 0xab, 0xcd, 1}), 6);
	assert_int_equal(p->n_addrs, 3);
	assert_int_equal(p->addrs[1], IP(10, 11, 0, 1));
	assert_int_equal(p->plens[1], 31);
	assert_int_equal(p->plens[2], 32);
	assert_true(p->impair.enabled);
	assert_int_equal(p->impair.seed, 12345678901ULL);
	assert_true(p->impair.rx.drop > 0.0999 && p->impair.rx.drop < 0.1001);
	assert_true(p->impair.rx.reorder == 1.0);
	assert_int_equal(p->impair.rx.reorder_depth, 5);
	assert_int_equal(p->impair.rx.reorder_time_us, 2000);
	assert_int_equal(p->impair.rx.queue_max, 100);
	assert_int_equal(p->impair.tx.delay_us, 1000000);
	assert_int_equal(p->impair.tx.reorder_depth, 3); /* default kept */
	assert_int_equal(cfg->ports[1].driver, CTL_DRV_TAP);
	assert_int_equal(cfg->ports[1].mtu, 9000);
	assert_false(cfg->ports[1].impair.enabled);
	assert_int_equal(cfg->ports[2].driver, CTL_DRV_AF_XDP);
	assert_int_equal(cfg->ports[2].addrs[0], IP(10, 50, 0, 1));
	assert_int_equal(cfg->ports[3].driver, CTL_DRV_PCAP);
	assert_string_equal(cfg->ports[3].devargs, "rx_pcap=/tmp/a.pcap");
	assert_int_equal(cfg->ports[4].driver, CTL_DRV_PCI);
	assert_string_equal(cfg->ports[4].pci, "0000:3b:1f.7");
	assert_string_equal(cfg->ports[4].name, "nic-0");
}

static void
check_full_routes(void)
{
	assert_int_equal(cfg->n_routes, 3);
	assert_int_equal(cfg->routes[0].prefix, 0);
	assert_int_equal(cfg->routes[0].plen, 0);
	assert_int_equal(cfg->routes[0].via, IP(192, 168, 1, 254));
	assert_int_equal(cfg->routes[0].port, 1); /* wan's subnet holds the gateway */
	assert_int_equal(cfg->routes[0].line, 21);
	assert_int_equal(cfg->routes[1].prefix, IP(10, 20, 0, 0));
	assert_int_equal(cfg->routes[1].plen, 16);
	assert_int_equal(cfg->routes[1].port, 0);
	assert_int_equal(cfg->routes[2].via, 0); /* connected */
	assert_int_equal(cfg->routes[2].port, 1);
}

static void
test_full(void **state)
{
	(void)state;
	expect_ok(full_text);
	assert_int_equal(cfg->eal.n_args, 2);
	assert_string_equal(cfg->eal.args[1], "--no-telemetry");
	assert_string_equal(cfg->eal.file_prefix, "mgw-test");
	assert_int_equal(cfg->eal.huge, CTL_HUGE_OFF);
	assert_int_equal(cfg->eal.memory_mb, 1024);
	assert_int_equal(cfg->eal.mbufs, 32767);
	assert_int_equal(cfg->eal.mbuf_cache, 128);
	assert_int_equal(cfg->workers.count, 2);
	assert_int_equal(cfg->workers.n_cores, 2);
	assert_int_equal(cfg->workers.cores[0], 3);
	assert_int_equal(cfg->workers.cores[1], 2);
	assert_int_equal(cfg->workers.control_core, 1);
	assert_int_equal(cfg->workers.idle, CTL_IDLE_POLL);
	assert_int_equal(cfg->workers.idle_polls, 500);
	assert_int_equal(cfg->workers.idle_sleep_max_us, 250);
	assert_int_equal(cfg->workers.burst, 64);
	assert_int_equal(cfg->workers.redirect_ring, 1024);
	assert_int_equal(cfg->workers.rx_desc, 512);
	assert_int_equal(cfg->workers.tx_desc, 2048);
	check_full_ports();
	check_full_routes();
	assert_int_equal(cfg->arp.cache_size, 4096);
	assert_int_equal(cfg->arp.pending_max, 8);
	assert_int_equal(cfg->arp.retries, 5);
	assert_int_equal(cfg->arp.retry_us, 500000);
	assert_int_equal(cfg->arp.reachable_us, 120000000);
	assert_int_equal(cfg->arp.failed_us, 3600000000ULL);
	assert_string_equal(cfg->ctl.socket, "/tmp/meshgw-test.sock");
	assert_false(cfg->admin.enabled);
	assert_int_equal(cfg->admin.address, 0);
	assert_int_equal(cfg->admin.port, 8080);
	assert_int_equal(cfg->log.level, CTL_LOG_DEBUG);
}

static void
test_default_placement(void **state)
{
	(void)state;
	expect_ok(PORT "workers = { count = 3; control_core = 1; };\n");
	assert_int_equal(cfg->workers.n_cores, 0);
	assert_int_equal(cfg->workers.cores[0], 0);
	assert_int_equal(cfg->workers.cores[1], 2);
	assert_int_equal(cfg->workers.cores[2], 3);
}

static void
test_driver_helpers(void **state)
{
	struct ctl_port_conf p = {0};

	(void)state;
	assert_string_equal(ctl_driver_name(CTL_DRV_AF_PACKET), "af_packet");
	assert_string_equal(ctl_driver_name(CTL_DRV_AF_XDP), "af_xdp");
	assert_string_equal(ctl_driver_name(CTL_DRV_TAP), "tap");
	assert_string_equal(ctl_driver_name(CTL_DRV_PCAP), "pcap");
	assert_string_equal(ctl_driver_name(CTL_DRV_PCI), "pci");
	assert_string_equal(ctl_driver_name((enum ctl_driver)99), "unknown");
	p.driver = CTL_DRV_AF_PACKET;
	assert_int_equal(ctl_driver_max_mtu(&p), 1500);
	p.driver = CTL_DRV_AF_XDP;
	assert_int_equal(ctl_driver_max_mtu(&p), 3498);
	p.driver = CTL_DRV_TAP;
	assert_int_equal(ctl_driver_max_mtu(&p), 9000);
	p.driver = CTL_DRV_PCAP;
	assert_int_equal(ctl_driver_max_mtu(&p), 9000);
	p.driver = CTL_DRV_PCI;
	assert_int_equal(ctl_driver_max_mtu(&p), 0);
}

static void
test_err_unknown(void **state)
{
	(void)state;
	expect_err(PORT "wokers = { count = 1; };",
		   "t.conf:2: unknown setting 'wokers' (did you mean 'workers'?)");
	expect_err(PORT "\nworkers = {\n  idel = \"poll\";\n};",
		   "t.conf:4: unknown setting 'idel' (did you mean 'idle'?)");
	expect_err(PORT "frobnicate = 1;", "t.conf:2: unknown setting 'frobnicate'");
	expect_err(PORT "a = 1;", "t.conf:2: unknown setting 'a'");
	expect_err(PORT "ip = 1;", "t.conf:2: unknown setting 'ip'");
	expect_err(PORT "Log = {};", "t.conf:2: unknown setting 'Log' (did you mean 'log'?)");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\";\n adress = \"10.0.0.1/24\"; } );",
		   "t.conf:2: unknown setting 'adress' (did you mean 'address'?)");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\";\n"
		   "  impair = { rx = { dorp = 0.1; }; }; } );",
		   "t.conf:2: unknown setting 'dorp' (did you mean 'drop'?)");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; gateway = \"10.10.0.2\"; } );",
		   "t.conf:2: unknown setting 'gateway'");
	expect_err(PORT "log = { levle = \"info\"; };",
		   "t.conf:2: unknown setting 'levle' (did you mean 'level'?)");
	expect_err(PORT "servics = ();",
		   "t.conf:2: unknown setting 'servics' (did you mean 'services'?)");
}

static void
test_err_types(void **state)
{
	(void)state;
	expect_err(PORT "workers = 4;", "t.conf:2: 'workers' expected a group { ... }");
	expect_err(PORT "eal = [ 1 ];", "t.conf:2: 'eal' expected a group { ... }");
	expect_err("ports = { name = \"local\"; };",
		   "t.conf:1: 'ports' expected a list of groups ( {...}, ... )");
	/* libconfig dates a string element by the token after it: keep it on the line */
	expect_err("ports = (\n  \"local\" );",
		   "t.conf:2: 'ports' expected a list of groups ( {...}, ... )");
	expect_err("ports = [];", "t.conf:1: 'ports' expected 1 to 8 ports");
	expect_err(PORT "ip_routes = { prefix = \"0.0.0.0/0\"; };",
		   "t.conf:2: 'ip_routes' expected a list of groups ( {...}, ... )");
	expect_err(PORT "workers = { burst = 32.0; };",
		   "t.conf:2: 'burst' expected an integer between 1 and 256");
	expect_err(PORT "workers = { count = \"2\"; };",
		   "t.conf:2: 'count' expected an integer between 1 and 32");
	expect_err("ports = ( { name = 5; } );",
		   "t.conf:1: 'name' expected 1 to 31 characters from a-z, 0-9, '_' and '-'");
	expect_err(PORT "admin = { enabled = 1; };", "t.conf:2: 'enabled' expected true or false");
	expect_err(PORT "eal = { hugepages = true; };",
		   "t.conf:2: 'hugepages' expected one of \"auto\", \"on\", \"off\"");
	expect_err(PORT "workers = { cores = 1; };",
		   "t.conf:2: 'cores' expected a list of lcore numbers such as [ 1, 2 ]");
	expect_err(PORT "eal = { args = \"--no-pci\"; };",
		   "t.conf:2: 'args' expected a list of strings such as [ \"--no-pci\" ]");
	expect_err(PORT "eal = { file_prefix = 3; };", "t.conf:2: 'file_prefix' expected a string");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; port = 1; } );",
		   "t.conf:2: 'port' expected the name of a port");
}

static void
test_err_ranges(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"ports = ( { name = \"a\"; iface = \"a0\"; mtu = 67; address = \"10.0.0.1/24\"; } "
		 ");",
		 "t.conf:1: 'mtu' expected an integer between 68 and 9000"},
		{"ports = ( { name = \"a\"; driver = \"tap\"; iface = \"a0\"; mtu = 9001; } );",
		 "t.conf:1: 'mtu' expected an integer between 68 and 9000"},
		{PORT "workers = { count = 0; };",
		 "t.conf:2: 'count' expected an integer between 1 and 32"},
		{PORT "workers = { count = 33; };",
		 "t.conf:2: 'count' expected an integer between 1 and 32"},
		{PORT "workers = { count = -1; };",
		 "t.conf:2: 'count' expected an integer between 1 and 32"},
		{PORT "workers = { control_core = 1024; };",
		 "t.conf:2: 'control_core' expected an integer between 0 and 1023"},
		{PORT "workers = { idle_polls = 0; };",
		 "t.conf:2: 'idle_polls' expected an integer between 1 and 10000000"},
		{PORT "workers = { burst = 257; };",
		 "t.conf:2: 'burst' expected an integer between 1 and 256"},
		{PORT "workers = { rx_desc = 63; };",
		 "t.conf:2: 'rx_desc' expected an integer between 64 and 16384"},
		{PORT "workers = { tx_desc = 16385; };",
		 "t.conf:2: 'tx_desc' expected an integer between 64 and 16384"},
		{PORT "eal = { memory_mb = 63; };",
		 "t.conf:2: 'memory_mb' expected an integer between 64 and 65536"},
		{PORT "eal = { mbufs = 1048576; };",
		 "t.conf:2: 'mbufs' expected an integer between 1023 and 1048575"},
		{PORT "eal = { mbuf_cache = 513; };",
		 "t.conf:2: 'mbuf_cache' expected an integer between 0 and 512"},
		{PORT "admin = { port = 0; };",
		 "t.conf:2: 'port' expected an integer between 1 and 65535"},
		{PORT "admin = { port = 65536; };",
		 "t.conf:2: 'port' expected an integer between 1 and 65535"},
		{PORT "arp = { retries = 0; };",
		 "t.conf:2: 'retries' expected an integer between 1 and 100"},
		{PORT "arp = { cache_size = 8; };",
		 "t.conf:2: 'cache_size' expected an integer between 16 and 1048576"},
		{PORT "workers = { redirect_ring = 100; };",
		 "t.conf:2: 'redirect_ring' expected a power of two between 64 and 65536"},
		{PORT "workers = { redirect_ring = 131072; };",
		 "t.conf:2: 'redirect_ring' expected a power of two between 64 and 65536"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; framecnt = 32; } );",
		 "t.conf:1: 'framecnt' expected a power of two between 64 and 65536"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { rx = { reorder_depth = 0; "
		 "}; }; } );",
		 "t.conf:1: 'reorder_depth' expected an integer between 1 and 1024"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { tx = { duplicate = 2; }; }; "
		 "} );",
		 "t.conf:1: 'duplicate' expected a probability between 0 and 1 (such as 0.01)"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { tx = { reorder = -0.1; "
		 "}; }; } );",
		 "t.conf:1: 'reorder' expected a probability between 0 and 1 (such as 0.01)"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { tx = { drop = \"1%\"; }; }; "
		 "} );",
		 "t.conf:1: 'drop' expected a probability between 0 and 1 (such as 0.01)"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { seed = 1.5; }; } );",
		 "t.conf:1: 'seed' expected an integer"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = 1; } );",
		 "t.conf:1: 'impair' expected a group { ... }"},
		{"ports = ( { name = \"a\"; iface = \"a0\"; impair = { rx = 1; }; } );",
		 "t.conf:1: 'rx' expected a group { ... }"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(cases[i].text, cases[i].want);
}

static void
test_err_durations(void **state)
{
	(void)state;
	expect_err(PORT "arp = { retry_interval = 1000; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"1000\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"1.5s\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"5 s\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"5sec\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"-1s\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"ms\"; };",
		   "t.conf:2: 'retry_interval' expected a duration such as \"200ms\"");
	expect_err(PORT "arp = { retry_interval = \"2m\"; };",
		   "t.conf:2: 'retry_interval' expected a duration between 1ms and 1m");
	expect_err(PORT "arp = { retry_interval = \"999us\"; };",
		   "t.conf:2: 'retry_interval' expected a duration between 1ms and 1m");
	expect_err(PORT "arp = { reachable_time = \"25h\"; };",
		   "t.conf:2: 'reachable_time' expected a duration between 1s and 24h");
	expect_err(PORT "arp = { failed_time = \"99999999999999999999h\"; };",
		   "t.conf:2: 'failed_time' expected a duration between 1ms and 1h");
	expect_err(PORT "arp = { failed_time = \"9999999999999h\"; };",
		   "t.conf:2: 'failed_time' expected a duration between 1ms and 1h");
	expect_err(PORT "workers = { idle_sleep_max = \"0us\"; };",
		   "t.conf:2: 'idle_sleep_max' expected a duration between 1us and 100ms");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; impair = { rx = { delay = \"11s\"; "
		   "}; }; } );",
		   "t.conf:1: 'delay' expected a duration between 0s and 10s");
	expect_ok(PORT "arp = { retry_interval = \"60s\"; reachable_time = \"1440m\"; };");
	assert_int_equal(cfg->arp.retry_us, 60000000);
	assert_int_equal(cfg->arp.reachable_us, 86400000000ULL);
	expect_ok(PORT "workers = { idle_sleep_max = \"100000us\"; };");
	assert_int_equal(cfg->workers.idle_sleep_max_us, 100000);
}

static void
test_err_addresses(void **state)
{
	static const struct {
		const char *addr, *want;
	} cases[] = {
		{"\"10.0.0.256/24\"", "'address' expected an IPv4 address with prefix length such "
				      "as \"10.10.0.1/24\""},
		{"\"010.0.0.1/24\"", "'address' expected an IPv4 address with prefix length such "
				     "as \"10.10.0.1/24\""},
		{"\"10.0.0.1\"", "'address' expected an IPv4 address with prefix length such as "
				 "\"10.10.0.1/24\""},
		{"\"10.0.0.1/33\"", "'address' expected an IPv4 address with prefix length such "
				    "as \"10.10.0.1/24\""},
		{"\"10.0.0.1/0\"", "'address' expected an IPv4 address with prefix length such as "
				   "\"10.10.0.1/24\""},
		{"\"10.0.0.1/024\"", "'address' expected an IPv4 address with prefix length such "
				     "as \"10.10.0.1/24\""},
		{"\" 10.0.0.1/24\"", "'address' expected an IPv4 address with prefix length such "
				     "as \"10.10.0.1/24\""},
		{"\"10.0.0/24\"", "'address' expected an IPv4 address with prefix length such as "
				  "\"10.10.0.1/24\""},
		{"\"127.0.0.1/8\"", "'address' 127.0.0.1/8 is not a unicast host address"},
		{"\"224.0.0.5/24\"", "'address' 224.0.0.5/24 is not a unicast host address"},
		{"\"0.1.2.3/8\"", "'address' 0.1.2.3/8 is not a unicast host address"},
		{"\"10.1.0.0/24\"", "'address' 10.1.0.0/24 is the network address of its subnet"},
		{"\"10.1.0.255/24\"",
		 "'address' 10.1.0.255/24 is the broadcast address of its subnet"},
		{"[ \"10.1.0.1/24\", \"10.1.0.1/16\" ]",
		 "'address' 10.1.0.1 is already used by this port"},
		{"[]", "'address' expected an address or a list of 1 to 8 addresses"},
		{"5", "'address' expected an address or a list of 1 to 8 addresses"},
		{"[ \"10.0.0.1/24\", \"10.0.1.1/24\", \"10.0.2.1/24\", \"10.0.3.1/24\", "
		 "\"10.0.4.1/24\", \"10.0.5.1/24\", \"10.0.6.1/24\", \"10.0.7.1/24\", "
		 "\"10.0.8.1/24\" ]",
		 "'address' expected an address or a list of 1 to 8 addresses"},
	};
	char text[512], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "ports = ( { name = \"a\"; iface = \"a0\";\n address = %s; } );",
			 cases[i].addr);
		snprintf(want, sizeof(want), "t.conf:2: %s", cases[i].want);
		expect_err(text, want);
	}
	expect_ok("ports = ( { name = \"a\"; iface = \"a0\"; address = [ \"10.1.0.0/31\", "
		  "\"10.2.0.255/32\", \"10.3.0.255/31\" ]; } );");
	expect_err(PORT "admin = { address = \"127.0.0.1:80\"; };",
		   "t.conf:2: 'address' expected an IPv4 address such as \"127.0.0.1\"");
}

static void
test_err_ports(void **state)
{
	(void)state;
	expect_err("ports = (\n  { iface = \"a0\"; address = \"10.0.0.1/24\"; }\n);",
		   "t.conf:2: 'name' is required for a port");
	expect_err("ports = ( { name = \"abcdefghijklmnopqrstuvwxyz012345\"; } );",
		   "t.conf:1: 'name' expected 1 to 31 characters from a-z, 0-9, '_' and '-'");
	expect_err("ports = ( { name = \"\"; } );",
		   "t.conf:1: 'name' expected 1 to 31 characters from a-z, 0-9, '_' and '-'");
	expect_err("ports = (\n { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\"; },\n"
		   " { name = \"b\"; iface = \"a1\"; address = \"10.0.1.1/24\"; },\n"
		   " {\n   name = \"a\"; iface = \"a2\"; address = \"10.0.2.1/24\"; }\n);",
		   "t.conf:5: duplicate port name 'a' (first at line 2)");
	expect_err("ports = (\n { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\"; },\n"
		   " { name = \"b\"; iface = \"a1\"; address = [ \"10.0.1.1/24\",\n"
		   "   \"10.0.0.1/8\" ]; }\n);",
		   "t.conf:4: 'address' 10.0.0.1 is already used by port 'a'");
	expect_err("ports = (\n { name = \"a\"; address = \"10.0.0.1/24\"; }\n);",
		   "t.conf:2: 'iface' is required for driver \"af_packet\"");
	expect_err("ports = ( { name = \"a\"; driver = \"tap\"; address = \"10.0.0.1/24\"; } );",
		   "t.conf:1: 'iface' is required for driver \"tap\"");
	expect_err("ports = ( { name = \"a\"; driver = \"pci\"; address = \"10.0.0.1/24\"; } );",
		   "t.conf:1: 'pci' is required for driver \"pci\"");
	expect_err("ports = ( { name = \"a\"; driver = \"pci\"; pci = \"0000:03:00.0\";\n"
		   "  iface = \"eth0\"; address = \"10.0.0.1/24\"; } );",
		   "t.conf:2: 'iface' is not used by driver \"pci\"");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\";\n pci = \"0000:03:00.0\"; } );",
		   "t.conf:2: 'pci' is not used by driver \"af_packet\"");
	expect_err("ports = ( { name = \"a\"; driver = \"pcap\"; devargs = \"foo=1\"; } );",
		   "t.conf:1: 'devargs' with rx_pcap=FILE and/or tx_pcap=FILE is required for "
		   "driver \"pcap\"");
	expect_err("ports = ( { name = \"a\"; driver = \"af_xdp\"; iface = \"a0\";\n mtu = 3499; "
		   "address = \"10.0.0.1/24\"; } );",
		   "t.conf:2: 'mtu' 3499 is more than af_xdp can carry (3498)");
	expect_err("ports = ( { name = \"a\"; driver = \"pci\"; pci = \"0000:03:20.0\"; } );",
		   "t.conf:1: 'pci' expected a PCI address such as \"0000:03:00.0\"");
	expect_err("ports = ( { name = \"a\"; driver = \"pci\"; pci = \"0000:03:00.8\"; } );",
		   "t.conf:1: 'pci' expected a PCI address such as \"0000:03:00.0\"");
	expect_err("ports = ( { name = \"a\"; iface = \"a/b\"; } );",
		   "t.conf:1: 'iface' expected an interface name of 1 to 15 characters without "
		   "'/', ':' or spaces");
	expect_err("ports = ( { name = \"a\"; iface = \"..\"; } );",
		   "t.conf:1: 'iface' expected an interface name of 1 to 15 characters without "
		   "'/', ':' or spaces");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; mac = \"02:00:00:00:00\"; } );",
		   "t.conf:1: 'mac' expected a MAC address such as \"02:00:00:00:00:01\"");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; mac = \"02-00-00-00-00-01\"; } );",
		   "t.conf:1: 'mac' expected a MAC address such as \"02:00:00:00:00:01\"");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; mac = \".1:00:00:00:00:01\"; } );",
		   "t.conf:1: 'mac' expected a MAC address such as \"02:00:00:00:00:01\"");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; mac = \"00:00:00:00:00:00\"; } );",
		   "t.conf:1: 'mac' 00:00:00:00:00:00 is not a unicast MAC address");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; mac = \"ff:ff:ff:ff:ff:ff\"; } );",
		   "t.conf:1: 'mac' ff:ff:ff:ff:ff:ff is not a unicast MAC address");
}

static void
test_err_port_count(void **state)
{
	char text[2048];
	size_t n = snprintf(text, sizeof(text), "ports = (\n");

	(void)state;
	for (int i = 0; i < 9; i++)
		n += snprintf(
			text + n, sizeof(text) - n,
			"%s{ name = \"p%d\"; iface = \"a%d\"; address = \"10.%d.0.1/24\"; }\n",
			i ? "," : "", i, i, i);
	snprintf(text + n, sizeof(text) - n, ");\n");
	expect_err(text, "t.conf:1: 'ports' expected 1 to 8 ports");
	expect_err("ports = ();", "t.conf:1: 'ports' expected 1 to 8 ports");
	expect_err("", "t.conf:1: 'ports' is required (a list of 1 to 8 ports)");
	expect_err("# nothing\n\nlog = { level = \"warn\"; };\n",
		   "t.conf:1: 'ports' is required (a list of 1 to 8 ports)");
}

static void
test_err_routes(void **state)
{
	(void)state;
	expect_err(PORT "ip_routes = (\n { prefix = \"10.0.0.1/24\"; via = \"10.10.0.2\"; } );",
		   "t.conf:3: 'prefix' 10.0.0.1/24 has host bits set");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0\"; via = \"10.10.0.2\"; } );",
		   "t.conf:2: 'prefix' expected a prefix such as \"10.20.0.0/16\"");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; via = \"10.10.0.2/32\"; } );",
		   "t.conf:2: 'via' expected an IPv4 address such as \"10.10.0.254\"");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; via = \"255.255.255.255\"; } );",
		   "t.conf:2: 'via' 255.255.255.255 is not a unicast address");
	expect_err(PORT "ip_routes = (\n { via = \"10.10.0.2\"; } );",
		   "t.conf:3: 'prefix' is required for a route");
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; } );",
		   "t.conf:2: 'port' is required for a route without 'via'");
	expect_err("ports = (\n { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\"; },\n"
		   " { name = \"b\"; iface = \"a1\"; address = \"10.0.1.1/24\"; }\n);\n"
		   "ip_routes = ( { prefix = \"10.9.0.0/16\"; via = \"10.0.0.9\";\n"
		   "  port = \"c\"; } );",
		   "t.conf:6: 'port' \"c\" is not a defined port (expected one of \"a\", \"b\")");
	expect_err(PORT "ip_routes = ( { prefix = \"0.0.0.0/0\";\n via = \"10.99.0.1\"; } );",
		   "t.conf:3: 'via' 10.99.0.1 is not in the subnet of any port address (set "
		   "'port')");
	expect_err(PORT "ip_routes = ( { prefix = \"0.0.0.0/0\"; via = \"10.10.0.1\"; } );",
		   "t.conf:2: 'via' 10.10.0.1 is an address of port 'local'");
	expect_err(PORT "ip_routes = (\n { prefix = \"10.0.0.0/8\"; via = \"10.10.0.2\"; },\n"
			" { prefix = \"10.0.0.0/8\"; port = \"local\"; } );",
		   "t.conf:4: 'prefix' 10.0.0.0/8 is already routed at line 3");
	/* echoed text stays on one line */
	expect_err(PORT "ip_routes = ( { prefix = \"10.0.0.0/8\"; port = \"lo\ncal\\\"\\\\\"; } );",
		   "t.conf:2: 'port' \"lo\\x0acal\\x22\\x5c\" is not a defined port (expected one "
		   "of \"local\")");
	/* routes may come first; the port is resolved after the whole file */
	expect_ok(
		"ip_routes = ( { prefix = \"10.99.0.0/16\"; via = \"10.99.0.1\"; port = \"p\"; "
		"} );\nports = ( { name = \"p\"; iface = \"a0\"; address = \"10.0.0.1/24\"; } );");
	assert_int_equal(cfg->routes[0].port, 0);
	assert_int_equal(cfg->routes[0].via, IP(10, 99, 0, 1));
}

static void
test_route_limit(void **state)
{
	size_t cap = 64 + 1025 * 64, n;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, cap, "%sip_routes = (\n", PORT);
	for (int i = 0; i < 1024; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "%s{ prefix = \"10.%d.%d.0/24\"; port = "
				      "\"local\"; }\n",
				      i ? "," : "", 100 + i / 256, i % 256);
	snprintf(text + n, cap - n, ");\n");
	expect_ok(text);
	assert_int_equal(cfg->n_routes, 1024);
	assert_int_equal(cfg->routes[1023].prefix, IP(10, 103, 255, 0));
	snprintf(text + n, cap - n, ",{ prefix = \"11.0.0.0/8\"; port = \"local\"; }\n);\n");
	expect_err(text, "t.conf:2: 'ip_routes' expected at most 1024 routes");
	free(text);
}

static void
test_err_workers(void **state)
{
	(void)state;
	expect_err(PORT "workers = {\n  count = 2;\n  cores = [ 1 ];\n};",
		   "t.conf:4: 'cores' expected 2 lcores (one per worker), got 1");
	expect_err(PORT "workers = { cores = [ 1, 2 ]; };",
		   "t.conf:2: 'cores' expected 1 lcore (one per worker), got 2");
	expect_err(PORT "workers = { count = 2; idle = \"poll\"; cores = [ 1,\n 1 ]; };",
		   "t.conf:3: 'cores' puts two polling workers on CPU 1 (use idle = "
		   "\"adaptive\" to share CPUs)");
	expect_ok(PORT "workers = { count = 2; cores = [ 1, 1 ]; };");
	expect_ok(PORT "workers = { count = 2; cores = [ 0, 1 ]; idle = \"poll\"; };");
	expect_err(PORT "workers = { cores = [ 1024 ]; };",
		   "t.conf:2: 'cores' expected lcore numbers between 0 and 1023");
	expect_err(PORT "workers = { cores = [ ]; };",
		   "t.conf:2: 'cores' expected a list of lcore numbers such as [ 1, 2 ]");
	expect_err(PORT "workers = { idle = \"sleepy\"; };",
		   "t.conf:2: 'idle' expected one of \"poll\", \"adaptive\"");
}

static void
test_err_eal_ctl_log(void **state)
{
	char text[1024], arg[300];

	(void)state;
	expect_err(PORT "eal = { file_prefix = \"../x\"; };",
		   "t.conf:2: 'file_prefix' expected letters, digits, '.', '_' and '-'");
	expect_err(PORT "eal = { file_prefix = \"\"; };",
		   "t.conf:2: 'file_prefix' expected a string of 1 to 63 characters");
	memset(arg, 'a', 256);
	arg[256] = '\0';
	snprintf(text, sizeof(text), PORT "eal = { args = [ \"-v\",\n \"%s\" ]; };", arg);
	expect_err(text, "t.conf:3: 'args' expected strings of 1 to 255 characters");
	expect_err(PORT "eal = { args = [ 1 ]; };",
		   "t.conf:2: 'args' expected strings of 1 to 255 characters");
	expect_err(PORT
		   "eal = { args = [ \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", "
		   "\"9\", \"10\", \"11\", \"12\", \"13\", \"14\", \"15\", \"16\", \"17\", \"18\", "
		   "\"19\", \"20\", \"21\", \"22\", \"23\", \"24\", \"25\", \"26\", \"27\", "
		   "\"28\", \"29\", \"30\", \"31\", \"32\", \"33\" ]; };",
		   "t.conf:2: 'args' expected at most 32 arguments");
	memset(arg, 'b', 108);
	arg[0] = '/';
	arg[108] = '\0';
	snprintf(text, sizeof(text), PORT "ctl = { socket = \"%s\"; };", arg);
	expect_err(text,
		   "t.conf:2: 'socket' expected an absolute path shorter than 108 characters");
	arg[107] = '\0'; /* sun_path holds 107 characters and the NUL */
	snprintf(text, sizeof(text), PORT "ctl = { socket = \"%s\"; };", arg);
	expect_ok(text);
	assert_int_equal(strlen(cfg->ctl.socket), 107);
	expect_err(PORT "ctl = { socket = \"/run/meshgw/\"; };",
		   "t.conf:2: 'socket' expected an absolute path shorter than 108 characters");
	expect_err(PORT "log = { level = \"verbose\"; };",
		   "t.conf:2: 'level' expected one of \"error\", \"warn\", \"info\", \"debug\"");
}

static void
test_err_syntax(void **state)
{
	(void)state;
	expect_err(PORT "workers = {\n  burst = ;\n};", "t.conf:3: syntax error");
	expect_err(PORT "log = { level = \"info\";\n level = \"warn\"; };",
		   "t.conf:3: duplicate setting name");
	expect_err(PORT "eal = { args = [ \"a\", 1 ]; };",
		   "t.conf:2: mismatched element type in array");
	expect_err(PORT "workers = { count = 1; ", "t.conf:2: syntax error");
	expect_err("ports = ( { name = \"a\" } ) junk", "t.conf:1: syntax error");
}

static void
test_err_lexical(void **state)
{
	(void)state;
	expect_err(PORT "eal = {\n memory_mb = 4294968796; };",
		   "t.conf:3: integer 4294968796 does not fit in 32 bits (write 4294968796L for "
		   "a 64-bit value)");
	expect_err(PORT "workers = { count = -2147483649; };",
		   "t.conf:2: integer -2147483649 does not fit in 32 bits (write -2147483649L for "
		   "a 64-bit value)");
	expect_err(PORT "workers = { count = 0x100000001; };",
		   "t.conf:2: integer 0x100000001 does not fit in 32 bits (write 0x100000001L for "
		   "a 64-bit value)");
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; impair = { seed = "
		   "99999999999999999999L; }; } );",
		   "t.conf:1: integer 99999999999999999999 does not fit in 64 bits");
	expect_err("# a comment\n@include \"/etc/passwd\"\n" PORT,
		   "t.conf:2: @include is not supported: the configuration is one file");
	/* numbers in comments, strings and names are not literals */
	expect_ok("# 99999999999\n// 99999999999\n/* 99999999999\n 99999999999 */\n"
		  "ports = ( { name = \"a1\"; iface = \"a9999999999\"; address = "
		  "\"10.0.0.1/24\"; devargs = \"x=99999999999 \\\" 99999999999\";\n"
		  "  impair = { seed = 2147483647; }; } );\n"
		  "workers = { count = 0x2; };\n");
	assert_int_equal(cfg->workers.count, 2);
	assert_int_equal(cfg->ports[0].impair.seed, INT32_MAX);
	assert_string_equal(cfg->ports[0].devargs, "x=99999999999 \" 99999999999");
}

static void
test_lexical_ok(void **state)
{
	(void)state;
	expect_ok("ports = ( { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\";\n"
		  "  impair = { seed = -2147483648; rx = { drop = 1e-2; duplicate = .5; "
		  "reorder = 1.0e0; }; }; } );\n");
	assert_int_equal(cfg->ports[0].impair.seed, (uint64_t)(int64_t)INT32_MIN);
	assert_true(cfg->ports[0].impair.rx.drop > 0.0099 && cfg->ports[0].impair.rx.drop < 0.0101);
	assert_true(cfg->ports[0].impair.rx.dup == 0.5);
	expect_ok("ports = ( { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\";\n"
		  "  impair = { seed = 9223372036854775807L; }; } );\n");
	assert_int_equal(cfg->ports[0].impair.seed, INT64_MAX);
	/* libconfig 1.5 clamps a decimal int64 with atoll(): we refuse instead */
	expect_err("ports = ( { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\";\n"
		   "  impair = { seed = 9223372036854775808L; }; } );\n",
		   "t.conf:2: integer 9223372036854775808 does not fit in 64 bits");
	expect_ok("ports = ( { name = \"a\"; iface = \"a0\"; address = \"10.0.0.1/24\";\n"
		  "  impair = { seed = 0xffffffffffffffffL; }; } );\n");
	assert_int_equal(cfg->ports[0].impair.seed, UINT64_MAX);
}

static void
test_out_untouched_on_error(void **state)
{
	char err[256];

	(void)state;
	expect_ok(PORT "log = { level = \"debug\"; };");
	assert_int_equal(load(PORT "log = { level = \"loud\"; };", err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg->log.level, CTL_LOG_DEBUG);
	assert_string_equal(cfg->ports[0].name, "local");
}

static void
test_err_buffer(void **state)
{
	char err[12];

	(void)state;
	assert_int_equal(load("wokers = 1;", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: u");
	assert_int_equal(load("wokers = 1;", NULL, 0), -EINVAL);
	assert_int_equal(load("wokers = 1;", err, 0), -EINVAL);
	assert_int_equal(ctl_config_load_string(PORT, NULL, cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, "(config)");
}

static char tmpdir[64];

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
test_load_file(void **state)
{
	char path[128], err[512], want[256];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(ctl_config_load_file(tmpdir, cfg, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/ok.conf", tmpdir);
	write_file(path, PORT, strlen(PORT));
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, path);
	if (geteuid() != 0) { /* root reads anything */
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), -EACCES);
		snprintf(want, sizeof(want), "%s: cannot read: Permission denied", path);
		assert_string_equal(err, want);
	}
	unlink(path);

	/* past the first 64 KiB read buffer, then past the 4 MiB limit */
	size_t big = (4u << 20) + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, ' ', big);
	memcpy(text, PORT, strlen(PORT));
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	write_file(path, text, 200000);
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), 0);
	write_file(path, text, big - 1);
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), 0);
	write_file(path, text, big);
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: cannot read: File too large", path);
	assert_string_equal(err, want);
	free(text);
	unlink(path);

	snprintf(path, sizeof(path), "%s/nul.conf", tmpdir);
	write_file(path, PORT "\n\0log = 1;", sizeof(PORT "\n\0log = 1;") - 1);
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the file", path);
	assert_string_equal(err, want);
	unlink(path);

	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, PORT "wokers = {};", strlen(PORT "wokers = {};"));
	assert_int_equal(ctl_config_load_file(path, cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown setting 'wokers' (did you mean 'workers'?)",
		 path);
	assert_string_equal(err, want);
	unlink(path);
	rmdir(tmpdir);
}

static bool
is_conf(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* The expectation is the first line: "# expect: <substring of the error>". */
static void
check_bad_file(const char *path)
{
	char line[512], err[512];
	FILE *f = fopen(path, "r");
	const char *tag = "# expect: ";

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, tag, strlen(tag)) != 0)
		fail_msg("%s: first line is not '# expect: ...'", path);
	int rc = ctl_config_load_file(path, cfg, err, sizeof(err));
	if (rc == 0 || strstr(err, line + strlen(tag)) == NULL)
		fail_msg("%s:\n  want: %s\n  got:  %d %s", path, line + strlen(tag), rc, err);
}

/* Calls fn for every *.conf in dir; returns how many. */
static unsigned int
each_conf(const char *dir, void (*fn)(const char *path))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;
	char path[4096];

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!is_conf(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(path);
		n++;
	}
	closedir(d);
	return n;
}

static void
test_bad_files(void **state)
{
	(void)state;
	if (bad_dir == NULL)
		skip();
	unsigned int n = each_conf(bad_dir, check_bad_file);
	print_message("checked %u bad configs\n", n);
	assert_true(n >= 20);
}

static void
check_good_file(const char *path)
{
	char err[512];

	if (ctl_config_load_file(path, cfg, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	ctl_config_release(cfg);
}

static void
test_good_files(void **state)
{
	char dir[4096];
	unsigned int n;

	(void)state;
	if (src_root == NULL)
		skip();
	snprintf(dir, sizeof(dir), "%s/conf", src_root);
	n = each_conf(dir, check_good_file);
	snprintf(dir, sizeof(dir), "%s/conf/examples", src_root);
	n += each_conf(dir, check_good_file);
	print_message("loaded %u configs\n", n);
	assert_true(n >= 2); /* full.conf and nic.conf at least */
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
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_default_placement),
		cmocka_unit_test(test_driver_helpers),
		cmocka_unit_test(test_err_unknown),
		cmocka_unit_test(test_err_types),
		cmocka_unit_test(test_err_ranges),
		cmocka_unit_test(test_err_durations),
		cmocka_unit_test(test_err_addresses),
		cmocka_unit_test(test_err_ports),
		cmocka_unit_test(test_err_port_count),
		cmocka_unit_test(test_err_routes),
		cmocka_unit_test(test_route_limit),
		cmocka_unit_test(test_err_workers),
		cmocka_unit_test(test_err_eal_ctl_log),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_lexical),
		cmocka_unit_test(test_lexical_ok),
		cmocka_unit_test(test_out_untouched_on_error),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_good_files),
	};

	bad_dir = argc > 1 ? argv[1] : NULL;
	src_root = argc > 2 ? argv[2] : NULL;
	return cmocka_run_group_tests(tests, setup, teardown);
}

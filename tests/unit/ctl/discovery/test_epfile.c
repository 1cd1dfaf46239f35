/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_epfile.c - the endpoints file parser: good files (every key, the
 * defaults, empty sets, a missing file), one case per error class with its
 * exact message, the count and size limits at their boundaries, the
 * per-endpoint decoder and the SPIFFE ID shape.
 */
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

#include "ctl_epfile.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static char tmpdir[64];

static struct ctl_epfile *
parse_ok(const char *text)
{
	char err[CTL_EPFILE_ERR_MAX] = "";
	struct ctl_epfile *f = NULL;
	int rc = ctl_epfile_parse(text, strlen(text), "t.json", &f, err, sizeof(err));

	if (rc != 0)
		print_error("file:\n%.2000s\nunexpected error: %s\n", text, err);
	assert_int_equal(rc, 0);
	assert_non_null(f);
	return f;
}

static void
parse_err(const char *text, const char *want)
{
	char err[CTL_EPFILE_ERR_MAX] = "";
	struct ctl_epfile *f = (struct ctl_epfile *)&f; /* must become NULL */
	int rc = ctl_epfile_parse(text, strlen(text), "t.json", &f, err, sizeof(err));

	if (rc != -EINVAL || strcmp(err, want) != 0)
		print_error("file:\n%.2000s\nwant: %s\ngot:  %d %s\n", text, want, rc, err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, want);
	assert_null(f);
}

/* One endpoint object in cluster "api"; an error names clusters.api[0]. */
static void
ep_err(const char *obj, const char *want_tail)
{
	char text[1024], want[512];

	snprintf(text, sizeof(text), "{\"version\": 1, \"clusters\": {\"api\": [%s]}}", obj);
	snprintf(want, sizeof(want), "t.json: clusters.api[0]%s", want_tail);
	parse_err(text, want);
}

static void
test_good(void **state)
{
	struct ctl_epfile *f;

	(void)state;
	f = parse_ok(
		"{\"version\": 1, \"clusters\": {\n"
		" \"api\": [{\"address\": \"10.0.0.5\", \"port\": 8080, \"weight\": 3,"
		"   \"zone\": \"z1\", \"node\": \"n1\", \"identity\": \"spiffe://td/ns/x/sa/y\"},"
		"  {\"port\": 8081, \"address\": \"10.0.0.6\"}],\n"
		" \"web\": [],\n"
		" \"db.main_1\": [{\"address\": \"10.0.0.5\", \"port\": 8080}]}}");
	assert_false(f->absent);
	assert_int_equal(f->n_clusters, 3);
	assert_int_equal(f->n_eps, 3);
	assert_string_equal(f->clusters[0].name, "api");
	assert_int_equal(f->clusters[0].n_eps, 2);
	assert_ptr_equal(f->clusters[0].eps, &f->eps[0]);
	const struct ctl_endpoint_conf *e = &f->clusters[0].eps[0];
	assert_int_equal(e->addr, IP(10, 0, 0, 5));
	assert_int_equal(e->port, 8080);
	assert_int_equal(e->weight, 3);
	assert_int_equal(e->source, CTL_EP_SRC_FILE);
	assert_string_equal(e->zone, "z1");
	assert_string_equal(e->node, "n1");
	assert_string_equal(e->identity, "spiffe://td/ns/x/sa/y");
	assert_int_equal(e->line, 0);
	e = &f->clusters[0].eps[1]; /* defaults */
	assert_int_equal(e->addr, IP(10, 0, 0, 6));
	assert_int_equal(e->port, 8081);
	assert_int_equal(e->weight, 1);
	assert_int_equal(e->source, CTL_EP_SRC_FILE);
	assert_string_equal(e->zone, "");
	assert_string_equal(e->node, "");
	assert_string_equal(e->identity, "");
	assert_string_equal(f->clusters[1].name, "web");
	assert_int_equal(f->clusters[1].n_eps, 0);
	/* the same endpoint in another cluster is fine */
	assert_string_equal(f->clusters[2].name, "db.main_1");
	assert_int_equal(f->clusters[2].n_eps, 1);
	assert_int_equal(f->clusters[2].eps[0].port, 8080);
	assert_int_not_equal(f->hash, 0);
	ctl_epfile_free(f);

	f = parse_ok("{\"clusters\": {}, \"version\": 1}");
	assert_int_equal(f->n_clusters, 0);
	assert_int_equal(f->n_eps, 0);
	assert_false(f->absent);
	ctl_epfile_free(f);
	ctl_epfile_free(NULL);
}

static void
test_top_errors(void **state)
{
	char err[CTL_EPFILE_ERR_MAX];
	struct ctl_epfile *f = NULL;

	(void)state;
	parse_err("{\"version\": 1,\n \"clusters\": {,}}",
		  "t.json:2:15: string or '}' expected near ','");
	parse_err("", "t.json:1:0: '[' or '{' expected near end of file");
	parse_err("{\"version\": 1, \"clusters\": {}} x",
		  "t.json:1:32: end of file expected near 'x'");
	parse_err("{\"version\": 1, \"version\": 1, \"clusters\": {}}",
		  "t.json:1:24: duplicate object key near '\"version\"'");
	parse_err("{\"version\": 1, \"clusters\": {\"a\": [], \"a\": []}}",
		  "t.json:1:40: duplicate object key near '\"a\"'");
	parse_err("[1]", "t.json: expected an object {\"version\": 1, \"clusters\": {...}}");
	parse_err("{\"version\": 1, \"clusters\": {}, \"cluster\": {}}",
		  "t.json: unknown key \"cluster\" (expected version, clusters)");
	parse_err("{\"clusters\": {}}",
		  "t.json: \"version\" is required (this format is version 1)");
	parse_err("{\"version\": 2, \"clusters\": {}}", "t.json: version: expected 1");
	parse_err("{\"version\": \"1\", \"clusters\": {}}", "t.json: version: expected 1");
	parse_err("{\"version\": 1}", "t.json: \"clusters\" is required ({} for none)");
	parse_err("{\"version\": 1, \"clusters\": []}",
		  "t.json: clusters: expected an object {\"<cluster>\": [ endpoints ]}");
	parse_err("{\"version\": 1, \"clusters\": {\"a b\": []}}",
		  "t.json: clusters: \"a b\" is not a cluster name (1 to 31 characters from A-Z, "
		  "a-z, 0-9, '.', '_' and '-')");
	parse_err("{\"version\": 1, \"clusters\": {\"\": []}}",
		  "t.json: clusters: \"\" is not a cluster name (1 to 31 characters from A-Z, "
		  "a-z, 0-9, '.', '_' and '-')");
	parse_err("{\"version\": 1, \"clusters\": {\"a\\n\\\"\": []}}",
		  "t.json: clusters: \"a\\x0a\\x22\" is not a cluster name (1 to 31 characters "
		  "from A-Z, a-z, 0-9, '.', '_' and '-')");
	parse_err("{\"version\": 1, \"clusters\": {\"abcdefghijabcdefghijabcdefghij12\": []}}",
		  "t.json: clusters: \"abcdefghijabcdefghijabcdefghij12\" is not a cluster name (1 "
		  "to 31 characters from A-Z, a-z, 0-9, '.', '_' and '-')");
	parse_err("{\"version\": 1, \"clusters\": {\"api\": {}}}",
		  "t.json: clusters.api: expected an array of endpoint objects");
	/* a NUL inside a string would cut it short */
	parse_err("{\"version\": 1, \"clusters\": {\"a\\u0000b\": []}}",
		  "t.json:1:38: NUL byte in object key not supported near '\"a\\u0000b\"'");
	/* a NUL byte in the file */
	assert_int_equal(ctl_epfile_parse("{\"version\": 1,\0 \"clusters\": {}}", 31, "t.json", &f,
					  err, sizeof(err)),
			 -EINVAL);
	assert_null(f);
	assert_memory_equal(err, "t.json:1:", 9);
}

static void
test_endpoint_errors(void **state)
{
	(void)state;
	ep_err("3", ": expected an endpoint object {\"address\": ..., \"port\": ...}");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"wieght\": 2}",
	       ": unknown key \"wieght\" (expected address, port, weight, zone, node, identity)");
	ep_err("{\"port\": 80}", ": \"address\" is required");
	ep_err("{\"address\": \"10.0.0.5\"}", ": \"port\" is required");
	ep_err("{\"address\": \"10.0.0.05\", \"port\": 80}",
	       ".address: expected an IPv4 address such as \"10.0.0.5\"");
	ep_err("{\"address\": \"10.0.0\", \"port\": 80}",
	       ".address: expected an IPv4 address such as \"10.0.0.5\"");
	ep_err("{\"address\": 167772165, \"port\": 80}",
	       ".address: expected an IPv4 address such as \"10.0.0.5\"");
	ep_err("{\"address\": \"127.0.0.1\", \"port\": 80}",
	       ".address: 127.0.0.1 is not a unicast address");
	ep_err("{\"address\": \"224.0.0.1\", \"port\": 80}",
	       ".address: 224.0.0.1 is not a unicast address");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 0}", ".port: expected an integer 1..65535");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 65536}",
	       ".port: expected an integer 1..65535");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": \"80\"}",
	       ".port: expected an integer 1..65535");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80.0}",
	       ".port: expected an integer 1..65535");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"weight\": 0}",
	       ".weight: expected an integer 1..10000");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"weight\": 10001}",
	       ".weight: expected an integer 1..10000");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"weight\": -1}",
	       ".weight: expected an integer 1..10000");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"zone\": \"\"}",
	       ".zone: expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"node\": \"n 1\"}",
	       ".node: expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"node\": null}",
	       ".node: expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
	ep_err("{\"address\": \"10.0.0.5\", \"port\": 80, \"identity\": \"spiffe://td\"}",
	       ".identity: expected a SPIFFE ID such as \"spiffe://example.org/ns/web/sa/api\" "
	       "(shorter than 128 characters)");
	parse_err("{\"version\": 1, \"clusters\": {\"api\": [{\"address\": \"10.0.0.5\", \"port\": "
		  "80}, {\"address\": \"10.0.0.6\", \"port\": 80}, {\"address\": \"10.0.0.5\", "
		  "\"port\": 80}]}}",
		  "t.json: clusters.api[2]: 10.0.0.5:80 is listed twice (first at "
		  "clusters.api[0])");
	/* the index is the bad one's */
	parse_err("{\"version\": 1, \"clusters\": {\"web\": [], \"api\": [{\"address\": "
		  "\"10.0.0.5\", \"port\": 80}, {\"address\": \"10.0.0.6\", \"port\": 99999}]}}",
		  "t.json: clusters.api[1].port: expected an integer 1..65535");
}

static void
test_spiffe(void **state)
{
	char id[CTL_IDENTITY_MAX + 1];

	(void)state;
	assert_true(ctl_spiffe_id_valid("spiffe://td/x"));
	assert_true(ctl_spiffe_id_valid("spiffe://example.org/ns/web/sa/api"));
	assert_true(ctl_spiffe_id_valid("spiffe://my-td_1.local/A.b-c_d/..e"));
	assert_false(ctl_spiffe_id_valid(""));
	assert_false(ctl_spiffe_id_valid("spiffe://td"));
	assert_false(ctl_spiffe_id_valid("spiffe://td/"));
	assert_false(ctl_spiffe_id_valid("spiffe:///x"));
	assert_false(ctl_spiffe_id_valid("spiffe://TD/x"));
	assert_false(ctl_spiffe_id_valid("SPIFFE://td/x"));
	assert_false(ctl_spiffe_id_valid("https://td/x"));
	assert_false(ctl_spiffe_id_valid("spiffe://td/x//y"));
	assert_false(ctl_spiffe_id_valid("spiffe://td/x/./y"));
	assert_false(ctl_spiffe_id_valid("spiffe://td/x/.."));
	assert_false(ctl_spiffe_id_valid("spiffe://td/x?y"));
	assert_false(ctl_spiffe_id_valid("spiffe://td:443/x"));
	assert_false(ctl_spiffe_id_valid("spiffe://user@td/x"));
	/* 127 characters fit, 128 do not */
	memset(id, 'a', sizeof(id));
	memcpy(id, "spiffe://td/", 12);
	id[127] = '\0';
	assert_true(ctl_spiffe_id_valid(id));
	id[127] = 'a';
	id[128] = '\0';
	assert_false(ctl_spiffe_id_valid(id));
}

/* ctl_ep_decode on its own, as etcd discovery uses it. */
static void
test_decode(void **state)
{
	char err[CTL_EPFILE_ERR_MAX];
	struct ctl_endpoint_conf ep;
	json_t *j = json_loads("{\"address\": \"192.168.1.9\", \"port\": 443, \"node\": \"n2\"}", 0,
			       NULL);

	(void)state;
	assert_non_null(j);
	memset(&ep, 0xab, sizeof(ep));
	assert_int_equal(ctl_ep_decode(j, "/meshgw/ep/1", CTL_EP_SRC_ETCD, &ep, err, sizeof(err)),
			 0);
	assert_int_equal(ep.addr, IP(192, 168, 1, 9));
	assert_int_equal(ep.port, 443);
	assert_int_equal(ep.weight, 1);
	assert_int_equal(ep.source, CTL_EP_SRC_ETCD);
	assert_string_equal(ep.node, "n2");
	assert_string_equal(ep.zone, "");
	assert_string_equal(ep.identity, "");
	assert_int_equal(ep.line, 0);
	json_object_set_new(j, "port", json_integer(0));
	assert_int_equal(ctl_ep_decode(j, "/meshgw/ep/1", CTL_EP_SRC_ETCD, &ep, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "/meshgw/ep/1.port: expected an integer 1..65535");
	json_decref(j);
}

/* {"version":1,"clusters":{"c0":[...n0...],"c1":[...n1...]...}} with
 * distinct endpoints. Caller frees. */
static char *
gen(const unsigned int *per_cluster, unsigned int n_clusters)
{
	size_t cap = 64 + (size_t)n_clusters * 16, len = 0;
	char *buf;

	for (unsigned int c = 0; c < n_clusters; c++)
		cap += (size_t)per_cluster[c] * 48;
	buf = malloc(cap);
	assert_non_null(buf);
	len += (size_t)snprintf(buf + len, cap - len, "{\"version\":1,\"clusters\":{");
	for (unsigned int c = 0; c < n_clusters; c++) {
		len += (size_t)snprintf(buf + len, cap - len, "%s\"c%u\":[", c ? "," : "", c);
		for (unsigned int i = 0; i < per_cluster[c]; i++)
			len += (size_t)snprintf(buf + len, cap - len,
						"%s{\"address\":\"10.%u.%u.%u\",\"port\":80}",
						i ? "," : "", c, i >> 8, i & 0xff);
		len += (size_t)snprintf(buf + len, cap - len, "]");
	}
	snprintf(buf + len, cap - len, "}}");
	return buf;
}

static void
test_limits(void **state)
{
	unsigned int per[CTL_MAX_CLUSTERS + 1];
	struct ctl_epfile *f;
	char *text;

	(void)state;
	per[0] = CTL_MAX_CLUSTER_EPS;
	text = gen(per, 1);
	f = parse_ok(text);
	assert_int_equal(f->n_eps, CTL_MAX_CLUSTER_EPS);
	assert_int_equal(f->clusters[0].eps[CTL_MAX_CLUSTER_EPS - 1].addr, IP(10, 0, 3, 255));
	ctl_epfile_free(f);
	free(text);
	per[0] = CTL_MAX_CLUSTER_EPS + 1;
	text = gen(per, 1);
	parse_err(text, "t.json: clusters.c0: 1025 endpoints (at most 1024 per cluster)");
	free(text);

	for (unsigned int c = 0; c < 4; c++)
		per[c] = CTL_MAX_ENDPOINTS / 4;
	text = gen(per, 4);
	f = parse_ok(text);
	assert_int_equal(f->n_eps, CTL_MAX_ENDPOINTS);
	assert_int_equal(f->n_clusters, 4);
	assert_ptr_equal(f->clusters[3].eps, &f->eps[3 * CTL_MAX_ENDPOINTS / 4]);
	ctl_epfile_free(f);
	free(text);
	per[4] = 1;
	text = gen(per, 5);
	parse_err(text, "t.json: clusters.c4: brings the file to 4097 endpoints (at most 4096 in "
			"all)");
	free(text);

	for (unsigned int c = 0; c <= CTL_MAX_CLUSTERS; c++)
		per[c] = 0;
	text = gen(per, CTL_MAX_CLUSTERS);
	f = parse_ok(text);
	assert_int_equal(f->n_clusters, CTL_MAX_CLUSTERS);
	ctl_epfile_free(f);
	free(text);
	text = gen(per, CTL_MAX_CLUSTERS + 1);
	parse_err(text, "t.json: clusters: more than 256 clusters");
	free(text);
}

static void
write_file(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
test_load(void **state)
{
	char path[128], err[CTL_EPFILE_ERR_MAX], want[256];
	struct ctl_epfile *f = NULL;
	const char *good = "{\"version\": 1, \"clusters\": {\"a\": [{\"address\": \"10.1.1.1\", "
			   "\"port\": 1}]}}";
	const char *bad;
	char *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/endpoints.json", tmpdir);
	/* absent: an empty set */
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), 0);
	assert_non_null(f);
	assert_true(f->absent);
	assert_int_equal(f->n_clusters, 0);
	assert_int_equal(f->n_eps, 0);
	ctl_epfile_free(f);

	write_file(path, good, strlen(good));
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), 0);
	assert_false(f->absent);
	assert_int_equal(f->n_eps, 1);
	assert_int_equal(f->bytes, strlen(good));
	ctl_epfile_free(f);

	/* messages name the file */
	bad = "{\"version\": 1, \"clusters\": {\"a\": [{\"port\": 1}]}}";
	write_file(path, bad, strlen(bad));
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), -EINVAL);
	assert_null(f);
	snprintf(want, sizeof(want), "%s: clusters.a[0]: \"address\" is required", path);
	assert_string_equal(err, want);

	/* exactly 4 MiB is read (and then refused as JSON), one byte more is too large */
	big = malloc(CTL_EPFILE_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, ' ', CTL_EPFILE_MAX_BYTES + 1);
	memcpy(big, good, strlen(good));
	write_file(path, big, CTL_EPFILE_MAX_BYTES);
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), 0);
	assert_int_equal(f->n_eps, 1);
	ctl_epfile_free(f);
	write_file(path, big, CTL_EPFILE_MAX_BYTES + 1);
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), -EFBIG);
	assert_null(f);
	snprintf(want, sizeof(want), "%s: larger than 4194304 bytes", path);
	assert_string_equal(err, want);
	free(big);
	unlink(path);

	/* not a regular file: a directory, a FIFO (must not block) */
	assert_int_equal(ctl_epfile_load(tmpdir, &f, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(err, want);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), -EINVAL);
	assert_null(f);
	unlink(path);

	/* unreadable (when not root) */
	if (geteuid() != 0) {
		write_file(path, good, strlen(good));
		chmod(path, 0);
		assert_int_equal(ctl_epfile_load(path, &f, err, sizeof(err)), -EACCES);
		snprintf(want, sizeof(want), "%s: cannot open: Permission denied", path);
		assert_string_equal(err, want);
		unlink(path);
	}
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/meshgw-tef-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_top_errors),
		cmocka_unit_test(test_endpoint_errors),
		cmocka_unit_test(test_spiffe),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

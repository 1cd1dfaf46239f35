/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_epmerge.c - discovered endpoints merged into a loaded config: order
 * (config's first), the config winning a duplicate, clusters the config
 * lacks, a cluster left to discovery, the per-cluster and total limits
 * (the config untouched on refusal), and NULL (nothing to add).
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

#include "ctl_epmerge.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define PORTS                                                                                      \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"  \
	"discovery = { endpoints_file = \"/tmp/eps.json\"; };\n"

static struct ctl_config *
config(const char *clusters)
{
	char text[4096], err[512] = "";
	struct ctl_config *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(text, sizeof(text), PORTS "clusters = ( %s );\n", clusters);
	if (ctl_config_load_string(text, "t.conf", c, err, sizeof(err)) != 0)
		fail_msg("config refused: %s", err);
	return c;
}

static struct ctl_epfile *
epfile(const char *json)
{
	char err[CTL_EPFILE_ERR_MAX] = "";
	struct ctl_epfile *f = NULL;

	if (ctl_epfile_parse(json, strlen(json), "e.json", &f, err, sizeof(err)) != 0)
		fail_msg("file refused: %s", err);
	return f;
}

static void
free_config(struct ctl_config *c)
{
	ctl_config_release(c);
	free(c);
}

static const struct ctl_endpoint_conf *
ep_of(const struct ctl_config *c, unsigned int k, unsigned int i)
{
	assert_true(i < c->clusters[k].n_endpoints);
	return &c->endpoints[c->clusters[k].first_endpoint + i];
}

static void
test_merge(void **state)
{
	struct ctl_config *c =
		config("{ name = \"a\"; endpoints = ( { address = \"10.0.0.1\"; port = 80; } ); },"
		       "{ name = \"b\"; },"
		       "{ name = \"c\"; endpoints = ( { address = \"10.0.0.9\"; port = 90; weight "
		       "= 7; } ); }");
	struct ctl_epfile *f = epfile(
		"{\"version\": 1, \"clusters\": {"
		"\"b\": [{\"address\": \"10.0.1.1\", \"port\": 81}, {\"address\": \"10.0.1.2\", "
		"\"port\": 81, \"weight\": 3, \"zone\": \"z\"}],"
		"\"zz\": [{\"address\": \"10.0.3.1\", \"port\": 1}],"
		"\"a\": [{\"address\": \"10.0.0.1\", \"port\": 80, \"weight\": 9}, "
		"{\"address\": \"10.0.0.2\", \"port\": 80}],"
		"\"yy\": []}}");
	struct ctl_epmerge_stats st;
	char err[256] = "";

	(void)state;
	assert_int_equal(ctl_endpoints_merge(c, f, &st, err, sizeof(err)), 0);
	assert_int_equal(st.added, 3);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.unknown_clusters, 2);
	assert_string_equal(st.first_unknown, "zz");
	assert_int_equal(c->n_endpoints, 5);
	/* a: the config's endpoint (its weight, not the file's), then the file's */
	assert_int_equal(c->clusters[0].n_endpoints, 2);
	assert_int_equal(ep_of(c, 0, 0)->addr, IP(10, 0, 0, 1));
	assert_int_equal(ep_of(c, 0, 0)->weight, 1);
	assert_int_equal(ep_of(c, 0, 0)->source, CTL_EP_SRC_CONFIG);
	assert_int_equal(ep_of(c, 0, 1)->addr, IP(10, 0, 0, 2));
	assert_int_equal(ep_of(c, 0, 1)->source, CTL_EP_SRC_FILE);
	/* b: left to discovery */
	assert_int_equal(c->clusters[1].n_endpoints, 2);
	assert_int_equal(ep_of(c, 1, 1)->weight, 3);
	assert_string_equal(ep_of(c, 1, 1)->zone, "z");
	/* c: untouched, after the others in the flat array */
	assert_int_equal(c->clusters[2].n_endpoints, 1);
	assert_int_equal(c->clusters[2].first_endpoint, 4);
	assert_int_equal(ep_of(c, 2, 0)->weight, 7);
	ctl_epfile_free(f);

	/* NULL: nothing added, nothing changed */
	assert_int_equal(ctl_endpoints_merge(c, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.added, 0);
	assert_int_equal(c->n_endpoints, 5);
	free_config(c);
}

/* JSON for clusters names[0 .. n): each with per endpoints 10.<i+1>.x.y:80. */
static char *
many(const char *const *names, unsigned int n, unsigned int per)
{
	size_t cap = 64 + (size_t)n * (32 + (size_t)per * 48), k;
	char *s = malloc(cap);

	assert_non_null(s);
	k = (size_t)snprintf(s, cap, "{\"version\": 1, \"clusters\": {");
	for (unsigned int c = 0; c < n; c++) {
		k += (size_t)snprintf(s + k, cap - k, "%s\"%s\": [", c ? "," : "", names[c]);
		for (unsigned int i = 0; i < per; i++)
			k += (size_t)snprintf(s + k, cap - k,
					      "%s{\"address\": \"10.%u.%u.%u\", \"port\": 80}",
					      i ? "," : "", c + 1, i / 250, i % 250 + 1);
		k += (size_t)snprintf(s + k, cap - k, "]");
	}
	snprintf(s + k, cap - k, "}}");
	return s;
}

static void
test_limits(void **state)
{
	struct ctl_config *c =
		config("{ name = \"a\"; endpoints = ( { address = \"10.0.0.1\"; port = 80; } ); }");
	struct ctl_epmerge_stats st;
	char err[256] = "";
	char *json = many((const char *const[]){"a"}, 1, CTL_MAX_CLUSTER_EPS - 1);
	struct ctl_epfile *f = epfile(json);

	(void)state;
	/* exactly the per-cluster limit with the config's one */
	assert_int_equal(ctl_endpoints_merge(c, f, &st, err, sizeof(err)), 0);
	assert_int_equal(c->clusters[0].n_endpoints, CTL_MAX_CLUSTER_EPS);
	ctl_epfile_free(f);
	free(json);
	free_config(c);

	/* one more: refused, the config as it was */
	c = config("{ name = \"a\"; endpoints = ( { address = \"10.0.0.1\"; port = 80; }, "
		   "{ address = \"10.0.0.2\"; port = 80; } ); }");
	json = many((const char *const[]){"a"}, 1, CTL_MAX_CLUSTER_EPS - 1);
	f = epfile(json);
	assert_int_equal(ctl_endpoints_merge(c, f, &st, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "cluster 'a' would have more than 1024 endpoints");
	assert_int_equal(c->n_endpoints, 2);
	assert_int_equal(c->clusters[0].n_endpoints, 2);
	ctl_epfile_free(f);
	free(json);
	free_config(c);
}

/* The file parser caps a file at 4096 endpoints (test_epfile), so the
 * total limit bites with the config's own endpoints. */
static void
test_total_limit(void **state)
{
	static const char *const names[] = {"b", "c", "d", "e"};
	struct ctl_config *c = config(
		"{ name = \"a\"; endpoints = ( { address = \"10.0.0.1\"; port = 80; } ); },"
		"{ name = \"b\"; }, { name = \"c\"; }, { name = \"d\"; }, { name = \"e\"; }");
	char *json = many(names, 4, CTL_MAX_CLUSTER_EPS);
	struct ctl_epfile *f = epfile(json);
	struct ctl_epmerge_stats st;
	char err[256] = "";

	(void)state;
	assert_int_equal(ctl_endpoints_merge(c, f, &st, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "the clusters would have more than 4096 endpoints in all");
	assert_int_equal(c->n_endpoints, 1);
	ctl_epfile_free(f);
	free(json);
	free_config(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_total_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

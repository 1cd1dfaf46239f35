/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route_bench.c - matcher-level route benchmark (driven by route_bench.sh):
 * for each table size, the compile time and the ns per request of
 * gw_route_match beside a sequential PCRE2-JIT first-match loop over the
 * same routes (route_seq.c), on route_set.h's generated REST API table.
 *
 * Requests, in four groups of four: hits on routes near the start, the
 * middle and the end of the table (a mix of regex, prefix and exact paths,
 * with and without host, method and header constraints), and misses (a
 * near-miss path, an unknown service, a wrong host, a wrong method). Every
 * request is first checked to select the same route with both matchers. A
 * group's figure is the median of TRIALS runs, each repeating the group
 * for about --seconds; the mix is the mean of the four groups.
 *
 * Usage: route_bench [--sizes 10,1000,10000] [--seconds S] > results.json
 *        route_bench --dump N     (prints the first N routes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_route.h"
#include "route_seq.h"
#include "route_set.h"

#define TRIALS	   5
#define GROUPS	   4
#define PER_GROUP  4
#define MAX_SIZES  8
#define MAX_ROUTES GW_ROUTE_MAX_ROUTES

static const char *const group_names[GROUPS] = {"start", "middle", "end", "miss"};

struct matchers {
	struct gw_route_table *t;
	struct gw_route_scratch *s;
	struct seq_table *seq;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Group g's requests for an n-route table. */
static void
make_group(struct rs_req *q, unsigned int g, unsigned int n)
{
	static const unsigned int off[PER_GROUP] = {0, 3, 6, 9};
	static const unsigned int end_off[PER_GROUP] = {1, 4, 7, 9};

	for (unsigned int k = 0; k < PER_GROUP; k++) {
		if (g == 0)
			rs_hit(&q[k], off[k] == 0 ? 0 : off[k] - 1);
		else if (g == 1)
			rs_hit(&q[k], n / 2 - 5 + off[k]);
		else if (g == 2)
			rs_hit(&q[k], n - 10 + end_off[k]);
		else
			rs_miss(&q[k], k, n / 2, n);
	}
}

static volatile int sink;

/* Seconds for reps passes over q with one matcher. */
static double
run(struct matchers *m, int seq, const struct rs_req *q, unsigned long reps)
{
	double t0 = now_s();
	int acc = 0;

	for (unsigned long r = 0; r < reps; r++)
		for (unsigned int k = 0; k < PER_GROUP; k++)
			acc += seq ? seq_match(m->seq, &q[k].req)
				   : gw_route_match(m->t, m->s, &q[k].req);
	sink = acc;
	return now_s() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns per request: reps grown until a pass takes secs, then the median of
 * TRIALS passes. */
static double
time_group(struct matchers *m, int seq, const struct rs_req *q, double secs)
{
	unsigned long reps = 1;
	double t[TRIALS];

	run(m, seq, q, 1); /* warm the caches */
	while (run(m, seq, q, reps) < secs / 4)
		reps *= 2;
	for (int i = 0; i < TRIALS; i++)
		t[i] = run(m, seq, q, reps);
	qsort(t, TRIALS, sizeof(t[0]), cmp_double);
	return t[TRIALS / 2] * 1e9 / (double)(reps * PER_GROUP);
}

static int
check(struct matchers *m, const struct rs_req *q)
{
	for (unsigned int k = 0; k < PER_GROUP; k++) {
		int a = gw_route_match(m->t, m->s, &q[k].req);
		int b = seq_match(m->seq, &q[k].req);

		if (a != q[k].want || b != q[k].want) {
			fprintf(stderr,
				"route_bench: %.*s %.*s: want %d, gw_route_match %d, sequential "
				"%d\n",
				(int)q[k].req.host.len, q[k].req.host.p, (int)q[k].req.path.len,
				q[k].req.path.p, q[k].want, a, b);
			return -1;
		}
	}
	return 0;
}

struct result {
	unsigned int n;
	double build_s, seq_build_s;
	double ours[GROUPS + 1], seq[GROUPS + 1]; /* groups, then the mix */
};

static int
bench_size(unsigned int n, double secs, struct rs_route *routes, struct gw_route_def *defs,
	   struct result *res)
{
	struct matchers m = {0};
	struct rs_req q[GROUPS][PER_GROUP];
	char err[256];
	double t0;
	int rc = -1;

	for (unsigned int i = 0; i < n; i++) {
		rs_route(&routes[i], i);
		defs[i] = routes[i].def;
	}
	res->n = n;
	t0 = now_s();
	m.t = gw_route_build(defs, n, err, sizeof(err));
	res->build_s = now_s() - t0;
	if (m.t == NULL || gw_route_scratch_grow(m.t, &m.s) != 0) {
		fprintf(stderr, "route_bench: build %u: %s\n", n, err);
		goto out;
	}
	t0 = now_s();
	m.seq = seq_build(defs, n, err, sizeof(err));
	res->seq_build_s = now_s() - t0;
	if (m.seq == NULL) {
		fprintf(stderr, "route_bench: sequential build %u: %s\n", n, err);
		goto out;
	}
	for (unsigned int g = 0; g < GROUPS; g++) {
		make_group(q[g], g, n);
		if (check(&m, q[g]) < 0)
			goto out;
	}
	res->ours[GROUPS] = res->seq[GROUPS] = 0;
	for (unsigned int g = 0; g < GROUPS; g++) {
		res->ours[g] = time_group(&m, 0, q[g], secs);
		res->seq[g] = time_group(&m, 1, q[g], secs);
		res->ours[GROUPS] += res->ours[g] / GROUPS;
		res->seq[GROUPS] += res->seq[g] / GROUPS;
	}
	fprintf(stderr,
		"route_bench: %u routes: build %.3f s (sequential %.3f s), %.1f ns vs %.1f ns per "
		"request\n",
		n, res->build_s, res->seq_build_s, res->ours[GROUPS], res->seq[GROUPS]);
	rc = 0;
out:
	seq_free(m.seq);
	gw_route_scratch_free(m.s);
	gw_route_free(m.t);
	return rc;
}

static void
print_ns(const char *key, const double *v)
{
	printf("      \"%s\": {", key);
	for (unsigned int g = 0; g < GROUPS; g++)
		printf("\"%s\": %.1f, ", group_names[g], v[g]);
	printf("\"mix\": %.1f}", v[GROUPS]);
}

static void
print_json(const struct result *r, unsigned int n_sizes, double secs)
{
	printf("{\n  \"seconds_per_pass\": %.3f,\n  \"trials\": %d,\n  \"sizes\": [\n", secs,
	       TRIALS);
	for (unsigned int i = 0; i < n_sizes; i++) {
		printf("    {\n      \"routes\": %u,\n      \"build_s\": %.3f,\n"
		       "      \"sequential_build_s\": %.3f,\n",
		       r[i].n, r[i].build_s, r[i].seq_build_s);
		print_ns("ns", r[i].ours);
		printf(",\n");
		print_ns("sequential_ns", r[i].seq);
		printf(",\n      \"sequential_over_ours\": %.1f,\n",
		       r[i].seq[GROUPS] / r[i].ours[GROUPS]);
		printf("      \"ours_over_smallest\": %.2f\n    }%s\n",
		       r[i].ours[GROUPS] / r[0].ours[GROUPS], i + 1 < n_sizes ? "," : "");
	}
	printf("  ]\n}\n");
}

static void
dump(unsigned int n)
{
	static const char *const kinds[] = {"any", "exact", "prefix", "suffix", "regex", "present"};
	struct rs_route r;

	for (unsigned int i = 0; i < n; i++) {
		rs_route(&r, i);
		printf("%u: path %s %s", i, kinds[r.def.path.kind], r.def.path.value);
		if (r.def.host.kind != GW_ROUTE_ANY)
			printf(", host %s %s", kinds[r.def.host.kind], r.def.host.value);
		if (r.def.method != NULL)
			printf(", method %s", r.def.method);
		for (unsigned int h = 0; h < r.def.n_headers; h++)
			printf(", header %s %s %s", r.def.headers[h].name,
			       kinds[r.def.headers[h].m.kind],
			       r.def.headers[h].m.value ? r.def.headers[h].m.value : "");
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	unsigned int sizes[MAX_SIZES] = {10, 1000, 10000}, n_sizes = 3;
	double secs = 0.2;
	struct result res[MAX_SIZES];
	struct rs_route *routes = calloc(MAX_ROUTES, sizeof(*routes));
	struct gw_route_def *defs = calloc(MAX_ROUTES, sizeof(*defs));

	if (routes == NULL || defs == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
			dump((unsigned int)atoi(argv[i + 1]));
			return 0;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			secs = atof(argv[++i]);
		} else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
			char *p = argv[++i];

			for (n_sizes = 0; n_sizes < MAX_SIZES && *p != '\0'; n_sizes++) {
				sizes[n_sizes] = (unsigned int)strtoul(p, &p, 10);
				if (sizes[n_sizes] < 10 || sizes[n_sizes] > MAX_ROUTES) {
					fprintf(stderr, "route_bench: sizes are 10..%d\n",
						MAX_ROUTES);
					return 2;
				}
				if (*p == ',')
					p++;
			}
		} else {
			fprintf(stderr,
				"usage: route_bench [--sizes N,N,..] [--seconds S] | --dump N\n");
			return 2;
		}
	}
	for (unsigned int i = 0; i < n_sizes; i++)
		if (bench_size(sizes[i], secs, routes, defs, &res[i]) < 0)
			return 1;
	print_json(res, n_sizes, secs);
	free(routes);
	free(defs);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_epwatch.c - the endpoints file watcher on a real control loop and
 * real inotify in a temporary directory: the first load, an in-place write,
 * a rename over the file, a bad file (the result in force stays), deleting
 * the file, other names in the directory, rewriting the same bytes, a burst
 * of writes read once, and the directory itself going away and coming back.
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

#include "ctl_epwatch.h"
#include "ctl_loop.h"
#include "gw_log.h"

int gw_log_level = GW_LOG_WARN;

#define DEBOUNCE_US 20000
#define WAIT_MS	    3000 /* generous: the machine is shared */

static char tmpdir[64], path[128];

struct rec {
	unsigned int calls;
	unsigned int n_eps;
	bool absent;
};

static void
on_result(void *arg, const struct ctl_epfile *f)
{
	struct rec *r = arg;

	r->calls++;
	r->n_eps = f->n_eps;
	r->absent = f->absent;
}

/* Turns the loop until r has seen want callbacks (true) or WAIT_MS passed. */
static bool
wait_calls(struct ctl_loop *loop, const struct rec *r, unsigned int want)
{
	uint64_t end = ctl_now_ms() + WAIT_MS;

	while (r->calls < want && ctl_now_ms() < end)
		ctl_loop_run_once(loop);
	return r->calls >= want;
}

/* Turns the loop for ms (for "nothing happens" checks). */
static void
spin(struct ctl_loop *loop, unsigned int ms)
{
	uint64_t end = ctl_now_ms() + ms;

	while (ctl_now_ms() < end)
		ctl_loop_run_once(loop);
}

/* A file of n endpoints 10.0.0.1.. in cluster "api", written at p. */
static void
write_eps(const char *p, unsigned int n)
{
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fprintf(fp, "{\"version\": 1, \"clusters\": {\"api\": [");
	for (unsigned int i = 0; i < n; i++)
		fprintf(fp, "%s{\"address\": \"10.0.0.%u\", \"port\": 80}", i ? ", " : "", i + 1);
	fprintf(fp, "]}}\n");
	assert_int_equal(fclose(fp), 0);
}

static void
write_text(const char *p, const char *text)
{
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Written next to the file, then renamed over it (how editors save). */
static void
replace_eps(unsigned int n)
{
	char tmp[160];

	snprintf(tmp, sizeof(tmp), "%s/.endpoints.json.tmp", tmpdir);
	write_eps(tmp, n);
	assert_int_equal(rename(tmp, path), 0);
}

static struct ctl_epwatch *
start(struct ctl_loop *loop, struct rec *r)
{
	struct ctl_discovery_conf conf = {.debounce_us = DEBOUNCE_US};
	struct ctl_epwatch *w;

	snprintf(conf.endpoints_file, sizeof(conf.endpoints_file), "%s", path);
	w = ctl_epwatch_start(loop, &conf, on_result, r);
	assert_non_null(w);
	return w;
}

static void
test_changes(void **state)
{
	struct ctl_loop *loop = ctl_loop_create(5);
	struct ctl_epwatch_stats st;
	struct rec r = {0};
	struct ctl_epwatch *w;
	char other[160];

	(void)state;
	assert_non_null(loop);
	w = start(loop, &r);
	assert_null(ctl_epwatch_current(w));
	/* at start the file is absent: an empty set */
	assert_int_equal(ctl_epwatch_load(w), 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.absent);
	assert_int_equal(r.n_eps, 0);
	assert_non_null(ctl_epwatch_current(w));

	/* written in place */
	write_eps(path, 2);
	assert_true(wait_calls(loop, &r, 2));
	assert_false(r.absent);
	assert_int_equal(r.n_eps, 2);

	/* renamed over */
	replace_eps(3);
	assert_true(wait_calls(loop, &r, 3));
	assert_int_equal(r.n_eps, 3);

	/* a bad file is refused; the result in force stays */
	snprintf(other, sizeof(other), "%s/.bad.tmp", tmpdir);
	write_text(other, "{\"version\": 1, \"clusters\": {\"api\": [{\"port\": 80}]}}");
	assert_int_equal(rename(other, path), 0);
	spin(loop, 300);
	assert_int_equal(r.calls, 3);
	ctl_epwatch_stats(w, &st);
	assert_int_equal(st.load_errors, 1);
	assert_true(st.failing);
	assert_non_null(strstr(st.last_error, "clusters.api[0]: \"address\" is required"));
	assert_non_null(strstr(st.last_error, path));
	assert_int_not_equal(st.last_error_ms, 0);
	assert_int_equal(ctl_epwatch_current(w)->n_eps, 3);
	assert_int_equal(st.n_eps, 3);

	/* fixed again */
	replace_eps(1);
	assert_true(wait_calls(loop, &r, 4));
	assert_int_equal(r.n_eps, 1);
	ctl_epwatch_stats(w, &st);
	assert_false(st.failing);
	assert_int_equal(st.loads, 4);
	assert_int_equal(st.load_errors, 1);

	/* other names in the directory are not the file */
	snprintf(other, sizeof(other), "%s/endpoints.json.bak", tmpdir);
	write_eps(other, 5);
	unlink(other);
	spin(loop, 200);
	assert_int_equal(r.calls, 4);
	ctl_epwatch_stats(w, &st);
	assert_int_equal(st.unchanged + st.loads + st.load_errors, 5);

	/* the same bytes again: read, but nothing new to hand over */
	write_eps(path, 1);
	spin(loop, 200);
	assert_int_equal(r.calls, 4);
	ctl_epwatch_stats(w, &st);
	assert_int_equal(st.unchanged, 1);

	/* deleted: an empty set */
	assert_int_equal(unlink(path), 0);
	assert_true(wait_calls(loop, &r, 5));
	assert_true(r.absent);
	assert_int_equal(r.n_eps, 0);
	ctl_epwatch_stats(w, &st);
	assert_int_equal(st.n_eps, 0);
	assert_true(st.watching);

	ctl_epwatch_stop(w);
	ctl_loop_free(loop);
}

/* A burst of writes within the debounce time is read once. */
static void
test_burst(void **state)
{
	struct ctl_loop *loop = ctl_loop_create(5);
	struct ctl_epwatch_stats st;
	struct rec r = {0};
	struct ctl_epwatch *w;

	(void)state;
	assert_non_null(loop);
	w = start(loop, &r);
	assert_int_equal(ctl_epwatch_load(w), 0);
	for (unsigned int i = 1; i <= 5; i++)
		replace_eps(i);
	assert_true(wait_calls(loop, &r, 2));
	spin(loop, 200);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.n_eps, 5);
	ctl_epwatch_stats(w, &st);
	assert_int_equal(st.loads, 2);
	assert_int_equal(st.unchanged, 0);
	assert_int_equal(st.load_errors, 0);
	ctl_epwatch_stop(w);
	ctl_loop_free(loop);
	unlink(path);
}

/* The directory goes away (the file with it) and comes back. */
static void
test_directory_lost(void **state)
{
	struct ctl_loop *loop = ctl_loop_create(5);
	struct ctl_epwatch_stats st;
	struct rec r = {0};
	struct ctl_epwatch *w;

	(void)state;
	assert_non_null(loop);
	write_eps(path, 2);
	w = start(loop, &r);
	assert_int_equal(ctl_epwatch_load(w), 0);
	assert_int_equal(r.n_eps, 2);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpdir), 0);
	assert_true(wait_calls(loop, &r, 2));
	assert_true(r.absent);
	ctl_epwatch_stats(w, &st);
	assert_false(st.watching);
	/* back, with a file: the watch is re-added within a second or so */
	assert_int_equal(mkdir(tmpdir, 0700), 0);
	write_eps(path, 4);
	assert_true(wait_calls(loop, &r, 3));
	assert_int_equal(r.n_eps, 4);
	ctl_epwatch_stats(w, &st);
	assert_true(st.watching);
	/* and it follows changes again */
	replace_eps(1);
	assert_true(wait_calls(loop, &r, 4));
	assert_int_equal(r.n_eps, 1);
	ctl_epwatch_stop(w);
	ctl_loop_free(loop);
	unlink(path);
}

static void
test_start_errors(void **state)
{
	struct ctl_loop *loop = ctl_loop_create(5);
	struct ctl_discovery_conf conf = {.debounce_us = DEBOUNCE_US};
	struct rec r = {0};

	(void)state;
	assert_non_null(loop);
	errno = 0;
	assert_null(ctl_epwatch_start(loop, &conf, on_result, &r));
	assert_int_equal(errno, EINVAL);
	snprintf(conf.endpoints_file, sizeof(conf.endpoints_file), "relative.json");
	assert_null(ctl_epwatch_start(loop, &conf, on_result, &r));
	assert_int_equal(errno, EINVAL);
	ctl_epwatch_stop(NULL);
	ctl_loop_free(loop);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/meshgw-tew-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/endpoints.json", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	char tmp[160];

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s/.endpoints.json.tmp", tmpdir);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s/.bad.tmp", tmpdir);
	unlink(tmp);
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_directory_lost),
		cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

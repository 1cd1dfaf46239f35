/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_health.c - the health threshold state machine (ctl_health.h):
 * the first result from unknown, both thresholds at their boundaries,
 * streaks broken by the other result, counters, last failure, and the
 * table by id: many ids, forget under collisions (backward shift), a full
 * table dropping and counting, foreach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_health.h"

enum { R_REFUSED = 1, R_TIMEOUT = 5, R_BAD_STATUS = 6 };

static struct ctl_health_conf
conf(uint32_t healthy, uint32_t unhealthy)
{
	struct ctl_health_conf c;

	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.healthy_threshold = healthy;
	c.unhealthy_threshold = unhealthy;
	return c;
}

static void
test_first_result_decides(void **state)
{
	struct ctl_health_conf c = conf(3, 3);
	struct ctl_health_ep a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(a.status, CTL_HS_UNKNOWN);
	assert_true(ctl_health_status_usable(CTL_HS_UNKNOWN));
	/* one success, although healthy_threshold is 3 */
	assert_true(ctl_health_step(&a, &c, true, 0, 10));
	assert_int_equal(a.status, CTL_HS_HEALTHY);
	assert_int_equal(a.transitions, 1);
	assert_int_equal(a.last_change, 10);
	assert_false(ctl_health_step(&a, &c, true, 0, 11));
	/* one failure, although unhealthy_threshold is 3 */
	assert_true(ctl_health_step(&b, &c, false, R_REFUSED, 20));
	assert_int_equal(b.status, CTL_HS_UNHEALTHY);
	assert_false(ctl_health_status_usable(CTL_HS_UNHEALTHY));
	assert_int_equal(b.last_reason, R_REFUSED);
	assert_int_equal(b.last_failure, 20);
	assert_int_equal(b.failed, 1);
}

static void
test_unhealthy_threshold(void **state)
{
	struct ctl_health_conf c = conf(2, 3);
	struct ctl_health_ep e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_true(ctl_health_step(&e, &c, true, 0, 1));
	/* two failures stay healthy, a success in between restarts the count */
	assert_false(ctl_health_step(&e, &c, false, R_TIMEOUT, 2));
	assert_false(ctl_health_step(&e, &c, false, R_TIMEOUT, 3));
	assert_int_equal(e.failures, 2);
	assert_false(ctl_health_step(&e, &c, true, 0, 4));
	assert_int_equal(e.failures, 0);
	assert_int_equal(e.successes, 1);
	assert_false(ctl_health_step(&e, &c, false, R_TIMEOUT, 5));
	assert_false(ctl_health_step(&e, &c, false, R_TIMEOUT, 6));
	assert_int_equal(e.status, CTL_HS_HEALTHY);
	/* the third in a row */
	assert_true(ctl_health_step(&e, &c, false, R_BAD_STATUS, 7));
	assert_int_equal(e.status, CTL_HS_UNHEALTHY);
	assert_int_equal(e.last_reason, R_BAD_STATUS);
	assert_int_equal(e.last_failure, 7);
	assert_int_equal(e.last_change, 7);
	/* more failures change nothing */
	assert_false(ctl_health_step(&e, &c, false, R_REFUSED, 8));
	assert_int_equal(e.last_reason, R_REFUSED);
	assert_int_equal(e.last_change, 7);
	assert_int_equal(e.checks, 8);
	assert_int_equal(e.failed, 6);
	assert_int_equal(e.transitions, 2);
}

static void
test_healthy_threshold(void **state)
{
	struct ctl_health_conf c = conf(2, 1);
	struct ctl_health_ep e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_true(ctl_health_step(&e, &c, false, R_REFUSED, 1));
	assert_false(ctl_health_step(&e, &c, true, 0, 2));
	assert_int_equal(e.status, CTL_HS_UNHEALTHY);
	/* a failure restarts the successes */
	assert_false(ctl_health_step(&e, &c, false, R_REFUSED, 3));
	assert_false(ctl_health_step(&e, &c, true, 0, 4));
	assert_true(ctl_health_step(&e, &c, true, 0, 5));
	assert_int_equal(e.status, CTL_HS_HEALTHY);
	assert_int_equal(e.last_change, 5);
	/* the last failure is kept after recovery (meshgwctl endpoints shows it) */
	assert_int_equal(e.last_reason, R_REFUSED);
	assert_int_equal(e.last_failure, 3);
	/* unhealthy_threshold 1: one failure is enough */
	assert_true(ctl_health_step(&e, &c, false, R_TIMEOUT, 6));
	assert_int_equal(e.transitions, 3);
}

/* Thresholds of 1 flip on every change of result; of 100 need 100. */
static void
test_threshold_bounds(void **state)
{
	struct ctl_health_conf one = conf(1, 1), hundred = conf(100, 100);
	struct ctl_health_ep e;

	(void)state;
	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 10; i++) {
		assert_true(ctl_health_step(&e, &one, i % 2 == 0, R_TIMEOUT, (uint64_t)i));
		assert_int_equal(e.status, i % 2 == 0 ? CTL_HS_HEALTHY : CTL_HS_UNHEALTHY);
	}
	memset(&e, 0, sizeof(e));
	assert_true(ctl_health_step(&e, &hundred, true, 0, 0));
	for (int i = 1; i < 100; i++)
		assert_false(ctl_health_step(&e, &hundred, false, R_TIMEOUT, (uint64_t)i));
	assert_true(ctl_health_step(&e, &hundred, false, R_TIMEOUT, 100));
	for (int i = 1; i < 100; i++)
		assert_false(ctl_health_step(&e, &hundred, true, 0, (uint64_t)i));
	assert_true(ctl_health_step(&e, &hundred, true, 0, 200));
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_health_status_name(CTL_HS_UNKNOWN), "unknown");
	assert_string_equal(ctl_health_status_name(CTL_HS_HEALTHY), "healthy");
	assert_string_equal(ctl_health_status_name(CTL_HS_UNHEALTHY), "unhealthy");
	assert_string_equal(ctl_health_status_name((enum ctl_health_status)7), "invalid");
}

static void
test_table(void **state)
{
	struct ctl_health_conf c = conf(2, 2);
	struct ctl_health *st = ctl_health_create(4096);

	(void)state;
	assert_non_null(st);
	assert_null(ctl_health_get(st, 7));
	assert_int_equal(ctl_health_status(st, 7), CTL_HS_UNKNOWN);
	/* ids spread and dense, including 0 and UINT32_MAX */
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t id = i < 2000 ? i : UINT32_MAX - (i - 2000) * 7919;
		assert_true(ctl_health_result(st, id, &c, (id & 1) != 0, R_TIMEOUT, i));
	}
	assert_int_equal(ctl_health_count(st), 4000);
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t id = i < 2000 ? i : UINT32_MAX - (i - 2000) * 7919;
		const struct ctl_health_ep *e = ctl_health_get(st, id);
		assert_non_null(e);
		assert_int_equal(e->id, id);
		assert_int_equal(e->checks, 1);
		assert_int_equal(ctl_health_status(st, id),
				 (id & 1) ? CTL_HS_HEALTHY : CTL_HS_UNHEALTHY);
	}
	/* forget every third: the others stay reachable with their state */
	for (uint32_t i = 0; i < 2000; i += 3)
		ctl_health_forget(st, i);
	ctl_health_forget(st, 123456); /* never seen: nothing happens */
	for (uint32_t i = 0; i < 2000; i++) {
		const struct ctl_health_ep *e = ctl_health_get(st, i);
		if (i % 3 == 0) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->id, i);
	}
	assert_int_equal(ctl_health_count(st), 4000 - 667);
	/* a forgotten id starts over from unknown */
	assert_true(ctl_health_result(st, 3, &c, true, 0, 99));
	assert_int_equal(ctl_health_get(st, 3)->checks, 1);
	ctl_health_free(st);
	ctl_health_free(NULL);
}

/* A table at its fullest (half the array) has long probe runs: removals
 * from the middle of runs must shift the rest back or lose them. */
static void
test_forget_in_runs(void **state)
{
	struct ctl_health_conf c = conf(1, 1);
	struct ctl_health *st = ctl_health_create(64);
	uint32_t ids[64];

	(void)state;
	for (uint32_t i = 0; i < 64; i++) {
		ids[i] = i * 1024;
		ctl_health_result(st, ids[i], &c, true, 0, 0);
	}
	/* remove in an order that breaks runs everywhere */
	for (uint32_t round = 0; round < 4; round++) {
		for (uint32_t i = round; i < 64; i += 4)
			ctl_health_forget(st, ids[i]);
		for (uint32_t i = 0; i < 64; i++)
			assert_true((ctl_health_get(st, ids[i]) != NULL) == (i % 4 > round));
	}
	assert_int_equal(ctl_health_count(st), 0);
	ctl_health_free(st);
}

static void
count_one(void *arg, const struct ctl_health_ep *e)
{
	unsigned int *n = arg;

	assert_true(e->id >= 100 && e->id < 103);
	(*n)++;
}

static void
test_full_table(void **state)
{
	struct ctl_health_conf c = conf(1, 1);
	struct ctl_health *st = ctl_health_create(3);
	unsigned int n = 0;

	(void)state;
	assert_null(ctl_health_create(0));
	for (uint32_t id = 100; id < 103; id++)
		assert_true(ctl_health_result(st, id, &c, true, 0, 0));
	/* a fourth endpoint does not fit: dropped and counted, no change */
	assert_false(ctl_health_result(st, 200, &c, false, R_REFUSED, 0));
	assert_null(ctl_health_get(st, 200));
	assert_int_equal(ctl_health_dropped(st), 1);
	/* known ones still take results */
	assert_true(ctl_health_result(st, 101, &c, false, R_REFUSED, 1));
	ctl_health_foreach(st, count_one, &n);
	assert_int_equal(n, 3);
	/* room again after a forget */
	ctl_health_forget(st, 100);
	assert_true(ctl_health_result(st, 200, &c, false, R_REFUSED, 2));
	assert_int_equal(ctl_health_dropped(st), 1);
	ctl_health_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_result_decides),
		cmocka_unit_test(test_unhealthy_threshold),
		cmocka_unit_test(test_healthy_threshold),
		cmocka_unit_test(test_threshold_bounds),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_forget_in_runs),
		cmocka_unit_test(test_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

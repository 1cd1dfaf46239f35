/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_slots.c - stable ids across generations: an entity keeps its slot,
 * a slot that left is reused only once no live generation holds it, a
 * reused slot is reported fresh, a returning entity gets its slot back
 * while it is held, and long churn (the index's deleted entries) neither
 * loses an entity nor runs out of slots.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "gw_slots.h"

static int
get(struct gw_slots *s, const char *name, bool *fresh)
{
	return gw_slots_get(s, GW_SLOT_SERVICE, name, NULL, 0, 0, fresh);
}

static void
test_stable_and_quarantine(void **state)
{
	struct gw_slots *s = gw_slots_create();
	bool fresh;
	int a, b, c;

	(void)state;
	assert_non_null(s);
	gw_slots_begin(s, 1, 1);
	a = get(s, "a", &fresh);
	assert_true(fresh);
	b = get(s, "b", &fresh);
	assert_int_not_equal(a, b);
	/* generation 2 keeps b, drops a, adds c while generation 1 lives */
	gw_slots_begin(s, 2, 1);
	assert_int_equal(get(s, "b", &fresh), b);
	assert_false(fresh);
	c = get(s, "c", &fresh);
	assert_true(fresh);
	assert_int_not_equal(c, a); /* a's slot is still held by generation 1 */
	/* a returns while held: its old slot, not fresh */
	gw_slots_begin(s, 3, 1);
	assert_int_equal(get(s, "a", &fresh), a);
	assert_false(fresh);
	assert_string_equal(gw_slots_label(s, GW_SLOT_SERVICE, (unsigned int)a), "a");
	/* generation 3 is the oldest alive: a (in 3) is held, b and c (last
	 * in 2) are free; d takes the lowest of them */
	gw_slots_begin(s, 4, 3);
	int d = get(s, "d", &fresh);
	assert_true(fresh);
	assert_int_equal(d, b < c ? b : c);
	assert_string_equal(gw_slots_label(s, GW_SLOT_SERVICE, (unsigned int)d), "d");
	/* an abandoned build at generation 4 is redone with the same slots */
	gw_slots_begin(s, 4, 3);
	assert_int_equal(get(s, "d", &fresh), d);
	assert_true(fresh);
	gw_slots_free(s);
}

static void
test_endpoint_label(void **state)
{
	struct gw_slots *s = gw_slots_create();
	bool fresh;
	int e;

	(void)state;
	gw_slots_begin(s, 1, 1);
	e = gw_slots_get(s, GW_SLOT_ENDPOINT, "web", NULL, 0x0a000005, 8080, &fresh);
	assert_true(e >= 0);
	assert_string_equal(gw_slots_label(s, GW_SLOT_ENDPOINT, (unsigned int)e),
			    "web/10.0.0.5:8080");
	assert_int_equal(
		gw_slots_get(s, GW_SLOT_ENDPOINT, "api", NULL, 0x0a000005, 8080, &fresh) == e, 0);
	assert_string_equal(gw_slots_label(s, GW_SLOT_ROUTE, 3), "?");
	gw_slots_free(s);
}

/* Every generation replaces every entity: the index fills with deleted
 * entries and must be rebuilt, and every lookup must still find its own. */
static void
test_churn(void **state)
{
	struct gw_slots *s = gw_slots_create();
	unsigned int cap = gw_slots_capacity(GW_SLOT_CLUSTER), n = cap / 2;
	char name[32];
	bool fresh;

	(void)state;
	for (uint64_t g = 1; g <= 40; g++) {
		gw_slots_begin(s, g, g); /* only this generation alive */
		for (unsigned int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "g%lu_%u", (unsigned long)g, i);
			int slot = gw_slots_get(s, GW_SLOT_CLUSTER, name, NULL, 0, 0, &fresh);
			assert_true(slot >= 0);
			assert_true(fresh);
		}
		for (unsigned int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "g%lu_%u", (unsigned long)g, i);
			int slot = gw_slots_get(s, GW_SLOT_CLUSTER, name, NULL, 0, 0, &fresh);
			assert_string_equal(gw_slots_label(s, GW_SLOT_CLUSTER, (unsigned int)slot),
					    name);
		}
	}
	/* all slots held by one generation: the next new entity finds none */
	gw_slots_begin(s, 41, 41);
	for (unsigned int i = 0; i < cap; i++) {
		snprintf(name, sizeof(name), "full%u", i);
		assert_true(gw_slots_get(s, GW_SLOT_CLUSTER, name, NULL, 0, 0, &fresh) >= 0);
	}
	assert_int_equal(gw_slots_get(s, GW_SLOT_CLUSTER, "one_more", NULL, 0, 0, &fresh), -ENOSPC);
	assert_int_equal(gw_slots_held(s, GW_SLOT_CLUSTER), cap);
	gw_slots_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stable_and_quarantine),
		cmocka_unit_test(test_endpoint_label),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

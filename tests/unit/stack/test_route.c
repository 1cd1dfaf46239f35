/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_route.c - the route table: longest-prefix match, default route,
 * connected next hops, replace, bounds, dump. One table at a time: each
 * rte_lpm holds a 64 MB tbl24 and the test EAL has 128 MB.
 */
#include <errno.h>

#include "ut_stack.h"

static struct stk_routes *rt;
static unsigned int seq;

static struct stk_routes *
make(unsigned int max)
{
	char name[32];

	snprintf(name, sizeof(name), "ut_route%u", seq++);
	rt = stk_routes_create(name, max, SOCKET_ID_ANY);
	assert_non_null(rt);
	return rt;
}

static int
setup(void **state)
{
	(void)state;
	ut.baseline = rte_mempool_in_use_count(ut.pool);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	stk_routes_free(rt);
	rt = NULL;
	assert_int_equal(rte_mempool_in_use_count(ut.pool), ut.baseline);
	return 0;
}

static void
expect(uint32_t dst, uint32_t gw, uint16_t port, bool connected)
{
	struct stk_nexthop nh;

	memset(&nh, 0xa5, sizeof(nh));
	assert_int_equal(stk_routes_lookup(rt, dst, &nh), 0);
	assert_int_equal(nh.gw, gw);
	assert_int_equal(nh.port_idx, port);
	assert_int_equal(nh.connected, connected);
}

static void
expect_miss(uint32_t dst)
{
	struct stk_nexthop nh;

	assert_int_equal(stk_routes_lookup(rt, dst, &nh), -ENOENT);
}

static void
test_longest_prefix(void **state)
{
	const uint32_t a = UT_IP(192, 168, 0, 1), b = UT_IP(192, 168, 0, 2),
		       c = UT_IP(192, 168, 0, 3);

	(void)state;
	make(16);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 8, a, 0), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 1, 0, 0), 16, 0, 1), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 1, 2, 0), 24, b, 2), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 1, 2, 128), 25, 0, 3), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 1, 2, 130), 32, c, 4), 0);

	expect(UT_IP(10, 200, 0, 1), a, 0, false);
	expect(UT_IP(10, 1, 9, 9), UT_IP(10, 1, 9, 9), 1, true); /* connected: gw is dst */
	expect(UT_IP(10, 1, 2, 1), b, 2, false);
	expect(UT_IP(10, 1, 2, 127), b, 2, false);
	expect(UT_IP(10, 1, 2, 128), UT_IP(10, 1, 2, 128), 3, true);
	expect(UT_IP(10, 1, 2, 129), UT_IP(10, 1, 2, 129), 3, true);
	expect(UT_IP(10, 1, 2, 130), c, 4, false);
	expect(UT_IP(10, 1, 2, 131), UT_IP(10, 1, 2, 131), 3, true);
	expect(UT_IP(10, 255, 255, 255), a, 0, false);
	expect_miss(UT_IP(11, 0, 0, 0));
	expect_miss(UT_IP(9, 255, 255, 255));
	expect_miss(0);
}

static void
test_default_route(void **state)
{
	(void)state;
	make(4);
	expect_miss(UT_IP(1, 2, 3, 4));
	assert_int_equal(stk_routes_add(rt, 0, 0, UT_GW, 0), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 24, 0, 1), 0);
	expect(UT_IP(1, 2, 3, 4), UT_GW, 0, false);
	expect(0, UT_GW, 0, false);
	expect(UT_IP(255, 255, 255, 255), UT_GW, 0, false);
	expect(UT_IP(10, 0, 0, 9), UT_IP(10, 0, 0, 9), 1, true);
	/* replaced like any other, and a prefix given with bits set is masked */
	assert_int_equal(stk_routes_add(rt, UT_IP(7, 7, 7, 7), 0, UT_IP(10, 0, 0, 1), 1), 0);
	expect(UT_IP(1, 2, 3, 4), UT_IP(10, 0, 0, 1), 1, false);
	assert_int_equal(stk_routes_dump(rt, NULL, 0), 2);
}

static void
test_replace_and_mask(void **state)
{
	struct stk_route_entry out[4];

	(void)state;
	make(4);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 1, 2, 3), 8, UT_IP(1, 1, 1, 1), 0), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 9, 9, 9), 8, UT_IP(2, 2, 2, 2), 2), 0);
	assert_int_equal(stk_routes_dump(rt, out, 4), 1);
	assert_int_equal(out[0].prefix, UT_IP(10, 0, 0, 0));
	assert_int_equal(out[0].plen, 8);
	assert_int_equal(out[0].gw, UT_IP(2, 2, 2, 2));
	assert_int_equal(out[0].port_idx, 2);
	expect(UT_IP(10, 3, 3, 3), UT_IP(2, 2, 2, 2), 2, false);
	/* gateway to connected */
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 8, 0, 1), 0);
	expect(UT_IP(10, 3, 3, 3), UT_IP(10, 3, 3, 3), 1, true);
	/* same prefix, other length: a different route */
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 9, UT_IP(3, 3, 3, 3), 0), 0);
	assert_int_equal(stk_routes_dump(rt, out, 4), 2);
	expect(UT_IP(10, 3, 3, 3), UT_IP(3, 3, 3, 3), 0, false);
	expect(UT_IP(10, 200, 3, 3), UT_IP(10, 200, 3, 3), 1, true);
}

static void
test_full_and_invalid(void **state)
{
	(void)state;
	make(3);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 8, 0, 0), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(11, 0, 0, 0), 8, 0, 0), 0);
	assert_int_equal(stk_routes_add(rt, 0, 0, UT_GW, 0), 0);
	assert_int_equal(stk_routes_add(rt, UT_IP(12, 0, 0, 0), 8, 0, 0), -ENOSPC);
	/* replacing needs no room */
	assert_int_equal(stk_routes_add(rt, UT_IP(11, 0, 0, 0), 8, 0, 1), 0);
	expect(UT_IP(11, 1, 1, 1), UT_IP(11, 1, 1, 1), 1, true);
	expect(UT_IP(12, 1, 1, 1), UT_GW, 0, false);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 33, 0, 0), -EINVAL);
	assert_int_equal(stk_routes_add(rt, UT_IP(10, 0, 0, 0), 8, 0, STK_MAX_PORTS), -EINVAL);
	assert_int_equal(stk_routes_add(NULL, UT_IP(10, 0, 0, 0), 8, 0, 0), -EINVAL);
	assert_int_equal(stk_routes_dump(rt, NULL, 0), 3);

	errno = 0;
	assert_null(stk_routes_create("ut_route_zero", 0, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
	assert_null(stk_routes_create(NULL, 4, SOCKET_ID_ANY));
	stk_routes_free(NULL);
}

static void
test_dump(void **state)
{
	struct stk_route_entry out[8];

	(void)state;
	make(8);
	for (uint8_t i = 0; i < 5; i++)
		assert_int_equal(stk_routes_add(rt, UT_IP(20 + i, 0, 0, 0), 8, i, i), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(stk_routes_dump(rt, out, 2), 5); /* the count, not what fit */
	assert_int_equal(out[0].prefix, UT_IP(20, 0, 0, 0));
	assert_int_equal(out[1].prefix, UT_IP(21, 0, 0, 0));
	assert_int_equal(out[2].prefix, 0);
	assert_int_equal(stk_routes_dump(rt, out, 8), 5);
	for (unsigned int i = 0; i < 5; i++) {
		assert_int_equal(out[i].plen, 8);
		assert_int_equal(out[i].gw, i);
		assert_int_equal(out[i].port_idx, i);
	}
}

static void
test_many_host_routes(void **state)
{
	(void)state;
	/* every /32 needs a tbl8 group of its own /24: the table sizes for that */
	make(64);
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(
			stk_routes_add(rt, UT_IP(100, (uint8_t)i, 0, 1), 32, UT_IP(10, 0, 0, i), 0),
			0);
	for (uint32_t i = 0; i < 64; i++) {
		expect(UT_IP(100, (uint8_t)i, 0, 1), UT_IP(10, 0, 0, i), 0, false);
		expect_miss(UT_IP(100, (uint8_t)i, 0, 2));
	}
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_host_routes, setup, teardown),
	};

	return ut_main("test_route", tests, RTE_DIM(tests));
}

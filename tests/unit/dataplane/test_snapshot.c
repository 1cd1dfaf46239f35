/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_snapshot.c - snapshot publication under QSBR: a retired snapshot
 * survives until every online worker reported a quiescent state, offline
 * workers do not hold it up, acknowledgements track generations, and
 * readers racing a publisher never see freed memory (ASan watches).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "gw_log.h"
#include "gw_snapshot.h"
#include "ut_eal.h"

int gw_log_level = GW_LOG_WARN;

static struct ctl_config conf;
static struct gw_slots *slots;

/* Consecutive snapshots share one route table, as a reload without route
 * changes does; ASan would see a table freed while a snapshot still uses it. */
static struct gw_snapshot *
build_from(const struct gw_snapmgr *m, uint64_t gen)
{
	struct gw_snapshot *s;

	gw_slots_begin(slots, gen, m ? gw_snapmgr_oldest(m) : gen);
	s = gw_snapshot_build(&conf, gen, m ? gw_snapmgr_current(m) : NULL, slots, NULL);
	assert_non_null(s);
	return s;
}
#define build(gen) build_from(m, gen)

static void
test_build_routes(void **state)
{
	const struct gw_snapmgr *m = NULL;
	struct gw_snapshot *s = build(1);
	struct stk_nexthop nh;

	(void)state;
	assert_int_equal(stk_routes_lookup(s->routes, 0x0a000005, &nh), 0);
	assert_true(nh.connected);
	assert_int_equal(nh.gw, 0x0a000005);
	assert_int_equal(stk_routes_lookup(s->routes, 0x08080808, &nh), 0);
	assert_false(nh.connected);
	assert_int_equal(nh.gw, 0x0a0000fe);

	/* same routes: shared table; changed routes: a table of its own */
	struct gw_snapshot *s2 = gw_snapshot_build(&conf, 2, s, slots, NULL);
	assert_ptr_equal(s2->routes, s->routes);
	conf.routes[0].via = 0x0a0000fd;
	struct gw_snapshot *s3 = gw_snapshot_build(&conf, 3, s2, slots, NULL);
	conf.routes[0].via = 0x0a0000fe;
	assert_ptr_not_equal(s3->routes, s2->routes);
	assert_int_equal(stk_routes_lookup(s3->routes, 0x08080808, &nh), 0);
	assert_int_equal(nh.gw, 0x0a0000fd);
	gw_snapshot_free(s);
	assert_int_equal(stk_routes_lookup(s2->routes, 0x08080808, &nh), 0);
	assert_int_equal(nh.gw, 0x0a0000fe);
	gw_snapshot_free(s2);
	gw_snapshot_free(s3);
}

static void
test_grace_period(void **state)
{
	struct gw_snapmgr *m = gw_snapmgr_create(2);

	(void)state;
	assert_non_null(m);
	assert_int_equal(gw_snapmgr_register(m, 0), 0);
	assert_int_equal(gw_snapmgr_register(m, 1), 0);
	assert_int_equal(gw_snapmgr_publish(m, build(1)), 0);
	assert_false(gw_snapmgr_all_acked(m));
	gw_snapmgr_quiescent(m, 0, gw_snapmgr_current(m)->generation);
	assert_false(gw_snapmgr_all_acked(m));
	gw_snapmgr_quiescent(m, 1, gw_snapmgr_current(m)->generation);
	assert_true(gw_snapmgr_all_acked(m));

	/* generation 2 retires 1: held while either worker may still read it */
	assert_int_equal(gw_snapmgr_publish(m, build(2)), 0);
	assert_int_equal(gw_snapmgr_generation(m), 2);
	assert_false(gw_snapmgr_all_acked(m));
	assert_int_equal(gw_snapmgr_reclaim(m), 1);
	gw_snapmgr_quiescent(m, 0, 2);
	assert_int_equal(gw_snapmgr_reclaim(m), 1);
	gw_snapmgr_quiescent(m, 1, 2);
	assert_int_equal(gw_snapmgr_reclaim(m), 0);
	assert_true(gw_snapmgr_all_acked(m));
	assert_int_equal(gw_snapmgr_acked(m, 1), 2);

	/* a connection holding generation 2's mesh keeps it past the grace period */
	gw_mesh_hold(gw_snapmgr_current(m)->mesh, 1);
	const struct gw_mesh *held = gw_snapmgr_current(m)->mesh;
	assert_int_equal(gw_snapmgr_publish(m, build(3)), 0);
	gw_snapmgr_quiescent(m, 0, 3);
	gw_snapmgr_quiescent(m, 1, 3);
	assert_int_equal(gw_snapmgr_reclaim(m), 1);
	assert_int_equal(gw_snapmgr_oldest(m), 2);
	gw_mesh_release(held, 1);
	assert_int_equal(gw_snapmgr_reclaim(m), 0);
	assert_int_equal(gw_snapmgr_oldest(m), 3);

	/* an offline (sleeping) worker does not hold up the grace period */
	gw_snapmgr_offline(m, 1);
	assert_int_equal(gw_snapmgr_publish(m, build(4)), 0);
	gw_snapmgr_quiescent(m, 0, 4);
	assert_int_equal(gw_snapmgr_reclaim(m), 0);
	gw_snapmgr_online(m, 1);
	gw_snapmgr_unregister(m, 0);
	gw_snapmgr_unregister(m, 1);
	gw_snapmgr_free(m);
}

struct reader {
	struct gw_snapmgr *m;
	unsigned int id;
	volatile int *stop;
	uint64_t reads;
	int errors;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t last = 0;
	struct stk_nexthop nh;

	gw_snapmgr_register(r->m, r->id);
	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		const struct gw_snapshot *s = gw_snapmgr_current(r->m);
		/* touch the snapshot and what it owns: freed memory would trip ASan */
		if (s->generation < last || stk_routes_lookup(s->routes, 0x0a000001, &nh) != 0)
			r->errors++;
		last = s->generation;
		r->reads++;
		gw_snapmgr_quiescent(r->m, r->id, s->generation);
	}
	gw_snapmgr_unregister(r->m, r->id);
	return NULL;
}

static void
test_concurrent_publish(void **state)
{
	struct gw_snapmgr *m = gw_snapmgr_create(2);
	volatile int stop = 0;
	struct reader r[2] = {{m, 0, &stop, 0, 0}, {m, 1, &stop, 0, 0}};
	pthread_t t[2];

	(void)state;
	assert_int_equal(gw_snapmgr_publish(m, build(1)), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
	for (uint64_t g = 2; g <= 300; g++) {
		struct gw_snapshot *s = build(g);

		/* a full retirement list refuses until the readers move on */
		while (gw_snapmgr_publish(m, s) == -EBUSY)
			usleep(100);
		gw_snapmgr_reclaim(m);
	}
	/* on a loaded machine the readers may not have run yet: give them 10 s */
	for (int i = 0; i < 10000 && (__atomic_load_n(&r[0].reads, __ATOMIC_RELAXED) < 100 ||
				      __atomic_load_n(&r[1].reads, __ATOMIC_RELAXED) < 100);
	     i++)
		usleep(1000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].errors + r[1].errors, 0);
	assert_true(r[0].reads > 0 && r[1].reads > 0);
	assert_int_equal(gw_snapmgr_reclaim(m), 0);
	gw_snapmgr_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_routes),
		cmocka_unit_test(test_grace_period),
		cmocka_unit_test(test_concurrent_publish),
	};

	if (ut_eal_init_mem("snapshot", 384) < 0)
		return 1;
	slots = gw_slots_create();
	if (slots == NULL)
		return 1;
	ctl_config_defaults(&conf);
	conf.workers.count = 2;
	conf.n_ports = 1;
	conf.ports[0].n_addrs = 1;
	conf.ports[0].addrs[0] = 0x0a000001; /* 10.0.0.1/24 */
	conf.ports[0].plens[0] = 24;
	conf.n_routes = 1;
	conf.routes[0] = (struct ctl_route_conf){.prefix = 0, .plen = 0, .via = 0x0a0000fe};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	gw_slots_free(slots);
	rte_eal_cleanup();
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_health.c - the worker's health checker (gw_health.c) against real
 * stacks: node A (10.0.0.1) runs the checker, node B (10.0.0.2) runs small
 * servers on the stack's TCP API, wired back to back with a virtual clock.
 * Port 80 answers HTTP in a chosen way (a status, nothing, garbage, a
 * close, a status line split over two segments), port 81 has no listener
 * (RST), 10.0.0.3 does not exist (ARP fails). Checks: the request's bytes,
 * every result reason, the schedule (interval, first check within one
 * interval), ownership by worker, max_checks, an update that keeps or drops
 * a target, and no mbuf left once both stacks are freed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cmocka.h>

#include "ctl_config.h"
#include "gw_health.h"
#include "gw_mesh.h"
#include "stk.h"
#include "ut_eal.h"
#include "ut_wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define A_IP	       IP(10, 0, 0, 1)
#define B_IP	       IP(10, 0, 0, 2)
#define NO_IP	       IP(10, 0, 0, 3)
#define STEP_US	       500
#define MAX_RESULTS    1024

static struct rte_mempool *pool;
static struct stk_routes *routes;
static uint64_t now, hz, tsc_us;

/* ---- two nodes and the wire between them ---------------------------------- */

static struct ut_node na, nb;

static void
make_node(struct ut_node *nd, uint8_t mac_last, uint32_t addr)
{
	assert_non_null(ut_node_init(nd, pool, routes, mac_last, addr, 256, 100000, now));
}

/* ---- the servers on B ------------------------------------------------------ */

enum srv_mode { SRV_STATUS, SRV_SILENT, SRV_GARBAGE, SRV_CLOSE, SRV_SPLIT };
static enum srv_mode srv_mode;
static int srv_status = 200;
static char srv_req[1024]; /* the last request head received */
static unsigned int srv_requests;

static void
srv_send(struct stk_conn *c, const char *text)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	size_t n = strlen(text);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), text, n);
	assert_int_equal(stk_conn_send(c, m), 0);
}

static void
srv_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	char resp[128];

	(void)ctx;
	if (len < sizeof(srv_req)) {
		memcpy(srv_req, rte_pktmbuf_read(m, 0, len, srv_req), len);
		srv_req[len] = '\0';
	}
	rte_pktmbuf_free(m);
	stk_conn_consumed(c, len);
	srv_requests++;
	switch (srv_mode) {
	case SRV_STATUS:
		snprintf(resp, sizeof(resp),
			 "HTTP/1.1 %d Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 srv_status);
		srv_send(c, resp);
		break;
	case SRV_SILENT:
		return;
	case SRV_GARBAGE:
		srv_send(c, "SSH-2.0-OpenSSH_9.2\r\n");
		break;
	case SRV_CLOSE:
		break;
	case SRV_SPLIT:
		srv_send(c, "HTTP/1.1 2");
		srv_send(c, "04 No Content\r\n\r\n");
		break;
	}
	stk_conn_close(c);
}

static void
srv_peer_closed(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	if (srv_mode != SRV_SILENT) /* silent: not even our FIN gets an answer */
		stk_conn_close(c);
}

static const struct stk_tcp_ops srv_ops = {
	.data = srv_data,
	.peer_closed = srv_peer_closed,
};

static int
srv_accepted(void *lctx, struct stk_conn *c)
{
	(void)lctx;
	stk_conn_set_ops(c, &srv_ops, NULL);
	return 0;
}

static const struct stk_tcp_ops lsn_ops = {.accepted = srv_accepted};

/* ---- the mesh and the results -------------------------------------------------- */

static struct gw_cluster clusters[4];
static struct gw_endpoint eps[8];
static struct gw_mesh mesh;

struct result {
	unsigned int ep;
	bool ok;
	uint8_t reason;
	uint64_t at;
};
static struct result results[MAX_RESULTS];
static unsigned int n_results;

static void
on_result(void *arg, const struct gw_mesh *m, unsigned int ep, bool ok, uint8_t reason)
{
	assert_ptr_equal(arg, &n_results);
	assert_ptr_equal(m, &mesh);
	assert_true(ep < m->n_endpoints);
	assert_int_equal(ok, reason == GW_HC_OK);
	if (n_results < MAX_RESULTS)
		results[n_results++] = (struct result){ep, ok, reason, now};
}

/* Cluster ci gets endpoints (addr, port) pairs; one health group each. */
static struct ctl_health_conf *
cluster(unsigned int ci, const char *name, enum ctl_health_type type, unsigned int n,
	const uint32_t *addrs, const uint16_t *ports)
{
	struct ctl_cluster_conf *cc = &clusters[ci].conf;

	memset(cc, 0, sizeof(*cc));
	snprintf(cc->name, sizeof(cc->name), "%s", name);
	cc->first_endpoint = mesh.n_endpoints;
	cc->n_endpoints = n;
	cc->health = (struct ctl_health_conf){
		.enabled = true,
		.type = type,
		.path = "/healthz",
		.statuses = {{200, 204}},
		.n_statuses = 1,
		.interval_us = 1000000,
		.timeout_us = 300000,
		.healthy_threshold = 1,
		.unhealthy_threshold = 1,
	};
	for (unsigned int i = 0; i < n; i++) {
		struct gw_endpoint *e = &eps[mesh.n_endpoints++];
		memset(e, 0, sizeof(*e));
		e->conf.addr = addrs[i];
		e->conf.port = ports[i];
		e->cluster = ci;
		e->live = true;
	}
	mesh.n_clusters = ci + 1;
	return &cc->health;
}

/* One loop turn of both nodes (A's as a worker runs it), then time moves. */
static void
run_step(struct gw_health *h)
{
	ut_wire_deliver(&na, &nb, now);
	ut_wire_deliver(&nb, &na, now);
	stk_poll(na.ctx, now);
	stk_poll(nb.ctx, now);
	if (h != NULL)
		gw_health_poll(h, now);
	stk_flush(na.ctx);
	stk_flush(nb.ctx);
	now += STEP_US * tsc_us;
}

static void
run_ms(struct gw_health *h, uint64_t ms)
{
	for (uint64_t t = 0; t < ms * 1000; t += STEP_US)
		run_step(h);
}

/* Results for ep; and whether every one of them is (ok, reason). */
static unsigned int
of(unsigned int ep)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_results; i++)
		n += results[i].ep == ep;
	return n;
}

static bool
only(unsigned int ep, bool ok, uint8_t reason)
{
	for (unsigned int i = 0; i < n_results; i++)
		if (results[i].ep == ep && (results[i].ok != ok || results[i].reason != reason))
			return false;
	return true;
}

/* Runs until n results came (at most max_ms); the first check of a target
 * comes at a random point of its first interval. */
static void
wait_results(struct gw_health *h, unsigned int n, uint64_t max_ms)
{
	for (uint64_t t = 0; t < max_ms * 2 && n_results < n; t++)
		run_step(h);
	assert_true(n_results >= n);
}

static struct gw_health *
checker(unsigned int max_checks, unsigned int worker, unsigned int n_workers)
{
	struct gw_health *h = gw_health_create(na.ctx, pool, max_checks, worker, n_workers, hz,
					       on_result, &n_results);

	assert_non_null(h);
	gw_health_update(h, &mesh, now);
	return h;
}

/* Frees the checker (aborting what is open) and lets B finish. */
static void
finish(struct gw_health *h)
{
	gw_health_free(h);
	run_ms(NULL, 1000);
}

/* The server answers in mode m from now; checks already running finish
 * first (the timeout is 300 ms), then the results start afresh. */
static void
server(struct gw_health *h, enum srv_mode m, int status)
{
	srv_mode = m;
	srv_status = status;
	run_ms(h, 500);
	n_results = 0;
}

/* ---- tests ------------------------------------------------------------------------ */

static void
test_http(void **state)
{
	const uint32_t a[] = {B_IP};
	const uint16_t p[] = {80};
	struct ctl_health_conf *hc = cluster(0, "web", CTL_HEALTH_HTTP, 1, a, p);
	struct gw_health *h;

	(void)state;
	h = checker(4, 0, 1);
	assert_int_equal(gw_health_get_stats(h)->targets, 1);
	wait_results(h, 1, 1001);
	assert_true(results[0].ok);
	assert_string_equal(srv_req, "GET /healthz HTTP/1.1\r\nHost: 10.0.0.2:80\r\n"
				     "User-Agent: meshgw-health\r\nConnection: close\r\n\r\n");
	/* one check per interval */
	run_ms(h, 3500);
	assert_int_equal(of(0), 4);
	assert_true(only(0, true, GW_HC_OK));
	for (unsigned int i = 1; i < n_results; i++) {
		uint64_t gap_ms = (results[i].at - results[i - 1].at) / tsc_us / 1000;
		assert_true(gap_ms >= 999 && gap_ms <= 1002);
	}
	/* 204 is in 200-204; 500 is not */
	server(h, SRV_STATUS, 204);
	run_ms(h, 2000);
	assert_true(of(0) >= 1 && only(0, true, GW_HC_OK));
	server(h, SRV_STATUS, 500);
	run_ms(h, 2000);
	assert_true(of(0) >= 1 && only(0, false, GW_HC_BAD_STATUS));
	assert_true(gw_health_get_stats(h)->failed[GW_HC_BAD_STATUS] >= 1);
	/* a configured Host and another path */
	snprintf(hc->host, sizeof(hc->host), "web.local");
	snprintf(hc->path, sizeof(hc->path), "/h?x=1");
	run_ms(h, 1100);
	assert_string_equal(srv_req, "GET /h?x=1 HTTP/1.1\r\nHost: web.local\r\n"
				     "User-Agent: meshgw-health\r\nConnection: close\r\n\r\n");
	/* every check closed cleanly */
	assert_int_equal(gw_health_get_stats(h)->lingers_aborted, 0);
	assert_int_equal(gw_health_get_stats(h)->local_errors, 0);
	finish(h);
}

/* Each interval moves by up to +-jitter, and not always by the same. */
static void
test_jitter(void **state)
{
	const uint32_t a[] = {B_IP};
	const uint16_t p[] = {80};
	struct ctl_health_conf *hc = cluster(0, "web", CTL_HEALTH_TCP, 1, a, p);
	uint64_t lo = UINT64_MAX, hi = 0;
	struct gw_health *h;

	(void)state;
	hc->jitter_us = 200000;
	h = checker(4, 0, 1);
	run_ms(h, 20000);
	assert_true(n_results >= 16 && only(0, true, GW_HC_OK));
	for (unsigned int i = 1; i < n_results; i++) {
		uint64_t gap_ms = (results[i].at - results[i - 1].at) / tsc_us / 1000;
		lo = gap_ms < lo ? gap_ms : lo;
		hi = gap_ms > hi ? gap_ms : hi;
	}
	assert_true(lo >= 799 && hi <= 1201);
	assert_true(hi - lo >= 50);
	finish(h);
}

static void
test_tcp(void **state)
{
	const uint32_t a[] = {B_IP, B_IP};
	const uint16_t p[] = {80, 81};
	struct gw_health *h;

	(void)state;
	cluster(0, "db", CTL_HEALTH_TCP, 2, a, p);
	h = checker(4, 0, 1);
	wait_results(h, 2, 1001);
	run_ms(h, 3000);
	assert_true(of(0) >= 3 && only(0, true, GW_HC_OK));
	assert_true(of(1) >= 3 && only(1, false, GW_HC_CONNECT_REFUSED));
	assert_int_equal(srv_requests, 0); /* a tcp check sends nothing */
	assert_int_equal(gw_health_get_stats(h)->lingers_aborted, 0);
	finish(h);
}

static void
test_failures(void **state)
{
	const uint32_t a[] = {B_IP, NO_IP};
	const uint16_t p[] = {80, 80};
	struct gw_health *h;
	static const struct {
		enum srv_mode mode;
		bool ok;
		uint8_t reason;
	} modes[] = {
		{SRV_SILENT, false, GW_HC_TIMEOUT}, {SRV_GARBAGE, false, GW_HC_BAD_RESPONSE},
		{SRV_CLOSE, false, GW_HC_CLOSED},   {SRV_SPLIT, true, GW_HC_OK},
		{SRV_STATUS, true, GW_HC_OK},
	};

	(void)state;
	cluster(0, "web", CTL_HEALTH_HTTP, 2, a, p);
	h = checker(4, 0, 1);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		server(h, modes[i].mode, 200);
		run_ms(h, 2000);
		if (of(0) < 1 || !only(0, modes[i].ok, modes[i].reason))
			fail_msg("mode %zu: %u results, first reason %s", i, of(0),
				 gw_health_reason_name(results[0].reason));
		/* nobody at 10.0.0.3: no handshake within the timeout */
		assert_true(of(1) >= 1 && only(1, false, GW_HC_CONNECT_TIMEOUT));
	}
	/* the silent server never closed: the linger ended those */
	assert_true(gw_health_get_stats(h)->lingers_aborted >= 1);
	assert_true(gw_health_get_stats(h)->failed[GW_HC_CONNECT_TIMEOUT] >= 5);
	finish(h);
}

static void
test_owner(void **state)
{
	uint32_t a[8];
	uint16_t p[8];
	unsigned int mine = 0;
	struct gw_health *h;

	(void)state;
	for (unsigned int i = 0; i < 8; i++) {
		a[i] = B_IP;
		p[i] = (uint16_t)(8000 + i); /* no listener: refused at once */
		mine += gw_health_owner("web", B_IP, p[i], 3) == 1;
	}
	cluster(0, "web", CTL_HEALTH_TCP, 8, a, p);
	assert_true(mine > 0 && mine < 8);
	h = checker(16, 1, 3);
	assert_int_equal(gw_health_get_stats(h)->targets, mine);
	run_ms(h, 1001);
	assert_int_equal(n_results, mine);
	for (unsigned int i = 0; i < n_results; i++)
		assert_int_equal(gw_health_owner("web", B_IP, p[results[i].ep], 3), 1);
	finish(h);
}

/* max_checks 1: three silent checks take turns; the waits are counted. */
static void
test_max_checks(void **state)
{
	const uint32_t a[] = {B_IP};
	const uint16_t p[] = {80};
	static const char *const names[] = {"a", "b", "c"};
	struct gw_health *h;

	(void)state;
	for (unsigned int ci = 0; ci < 3; ci++)
		cluster(ci, names[ci], CTL_HEALTH_HTTP, 1, a, p);
	srv_mode = SRV_SILENT;
	h = checker(1, 0, 1);
	assert_int_equal(gw_health_get_stats(h)->targets, 3);
	run_ms(h, 3000);
	assert_true(gw_health_get_stats(h)->delayed > 0);
	assert_true(gw_health_get_stats(h)->in_flight <= 1);
	assert_true(n_results >= 3 && only(0, false, GW_HC_TIMEOUT) &&
		    only(1, false, GW_HC_TIMEOUT) && only(2, false, GW_HC_TIMEOUT));
	finish(h);
}

/* An update keeps the schedule of endpoints that stay and closes the open
 * check of one that goes, without a result. */
static void
test_update(void **state)
{
	const uint32_t a[] = {B_IP, B_IP};
	const uint16_t p[] = {80, 81};
	struct gw_health *h;
	uint64_t last = 0;
	unsigned int before;

	(void)state;
	cluster(0, "web", CTL_HEALTH_HTTP, 2, a, p);
	h = checker(4, 0, 1);
	run_ms(h, 1500);
	for (unsigned int i = 0; i < n_results; i++)
		if (results[i].ep == 0)
			last = results[i].at;
	assert_true(last != 0);
	/* the same content again (a reload that changed something else):
	 * endpoint 0's next check stays one interval after its last */
	gw_health_update(h, &mesh, now);
	before = n_results;
	run_ms(h, 1000);
	for (unsigned int i = before; i < n_results; i++) {
		if (results[i].ep != 0)
			continue;
		uint64_t gap_ms = (results[i].at - last) / tsc_us / 1000;
		assert_true(gap_ms >= 999 && gap_ms <= 1002);
		last = 0;
	}
	assert_true(last == 0);
	/* the server goes silent; mid-check, endpoint 0 leaves the mesh */
	srv_mode = SRV_SILENT;
	before = srv_requests;
	for (unsigned int i = 0; i < 2000 && srv_requests == before; i++)
		run_ms(h, 1);
	assert_true(srv_requests > before);
	eps[0].live = false; /* its slot becomes a hole, as a reload leaves it */
	gw_health_update(h, &mesh, now);
	assert_int_equal(gw_health_get_stats(h)->targets, 1);
	n_results = 0;
	run_ms(h, 3000);
	/* only 81 reports: no timeout of the one that left */
	assert_int_equal(of(0), 0);
	assert_true(of(1) >= 2 && only(1, false, GW_HC_CONNECT_REFUSED));
	/* no health group: nothing is checked, nothing stays open */
	clusters[0].conf.health.enabled = false;
	gw_health_update(h, &mesh, now);
	assert_int_equal(gw_health_get_stats(h)->targets, 0);
	n_results = 0;
	run_ms(h, 3000);
	assert_int_equal(n_results, 0);
	assert_int_equal(gw_health_get_stats(h)->in_flight, 0);
	gw_health_update(h, NULL, now);
	finish(h);
}

static void
test_create_args(void **state)
{
	(void)state;
	assert_null(gw_health_create(NULL, pool, 1, 0, 1, hz, on_result, NULL));
	assert_null(gw_health_create(na.ctx, pool, 0, 0, 1, hz, on_result, NULL));
	assert_null(gw_health_create(na.ctx, pool, 1, 1, 1, hz, on_result, NULL));
	assert_null(gw_health_create(na.ctx, pool, 1, 0, 1, hz, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	gw_health_free(NULL);
}

static int
setup(void **state)
{
	(void)state;
	memset(&mesh, 0, sizeof(mesh));
	mesh.clusters = clusters;
	mesh.endpoints = eps;
	n_results = 0;
	srv_mode = SRV_STATUS;
	srv_status = 200;
	srv_requests = 0;
	srv_req[0] = '\0';
	make_node(&na, 1, A_IP);
	make_node(&nb, 2, B_IP);
	return stk_tcp_listen(nb.ctx, 0, 80, &lsn_ops, NULL, &(struct stk_listener *){NULL});
}

static int
teardown(void **state)
{
	(void)state;
	ut_node_fini(&na);
	ut_node_fini(&nb);
	/* every mbuf is back: requests, responses, queues */
	if (rte_mempool_in_use_count(pool) != 0) {
		fprintf(stderr, "mbufs in use: %u\n", rte_mempool_in_use_count(pool));
		return -1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_args, setup, teardown),
	};
	int rc;

	if (ut_eal_init_mem("test_health", 256) < 0)
		return 1;
	pool = ut_pool("health_pool", 4095);
	routes = stk_routes_create("health_rt", 4, SOCKET_ID_ANY);
	if (pool == NULL || routes == NULL ||
	    stk_routes_add(routes, IP(10, 0, 0, 0), 24, 0, 0) != 0)
		return 1;
	hz = rte_get_tsc_hz();
	tsc_us = hz / 1000000;
	now = 1000 * hz;
	rc = cmocka_run_group_tests_name("test_health", tests, NULL, NULL);
	stk_routes_free(routes);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_diag.c - the diagnostic services and tcp-probe (dataplane/gw_diag.c)
 * against a scripted stand-in for the stack's TCP API: echo's back-pressure
 * (only what the stack took is consumed; the backlog waits for `writable`;
 * the FIN waits for the backlog), discard, source's pattern and its refills
 * (after `writable`, after the pool ran dry), the context bound, the probe's
 * whole exchange, its timeout and cancellation. Every test ends with the
 * mempool back to empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* getpid() in ut_eal.h */

/* cmocka.h needs these first; .clang-format would sort it above them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <openssl/evp.h>

#include "gw_diag.h"
/* ut_eal.h casts string literals, which are const under -Wwrite-strings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "ut_eal.h"
#pragma GCC diagnostic pop

#define POOL_SIZE 1023
#define MAX_CONNS 4
#define OUT_MAX	  (1 << 20)
#define HZ	  1000000u

/* ---- the stand-in for the stack's TCP API --------------------------------- */

struct stk_conn {
	const struct stk_tcp_ops *ops;
	void *ctx;
	uint32_t space; /* bytes stk_conn_send takes before -EAGAIN */
	uint8_t *out;	/* what was sent */
	size_t out_len;
	uint64_t consumed;
	int shut, closed, aborted, eagain;
	uint32_t daddr;
	uint16_t dport;
};

struct stk_listener {
	uint32_t addr;
	uint16_t port;
	const struct stk_tcp_ops *ops;
	void *lctx;
	int unlistened;
};

static struct stk_conn conns[8];
static unsigned int n_conns;
static struct stk_listener lsns[8];
static unsigned int n_lsns;
static int connect_rc;

int
stk_tcp_listen(struct stk_ctx *ctx, uint32_t addr, uint16_t port, const struct stk_tcp_ops *ops,
	       void *lctx, struct stk_listener **out)
{
	(void)ctx;
	assert_true(n_lsns < 8);
	lsns[n_lsns] = (struct stk_listener){.addr = addr, .port = port, .ops = ops, .lctx = lctx};
	*out = &lsns[n_lsns++];
	return 0;
}

void
stk_tcp_unlisten(struct stk_ctx *ctx, struct stk_listener *l)
{
	(void)ctx;
	l->unlistened = 1;
}

static struct stk_conn *
new_conn(uint32_t space)
{
	struct stk_conn *c = &conns[n_conns++];

	assert_true(n_conns <= 8);
	memset(c, 0, sizeof(*c));
	c->space = space;
	c->out = malloc(OUT_MAX);
	assert_non_null(c->out);
	return c;
}

int
stk_tcp_connect(struct stk_ctx *ctx, uint32_t saddr, uint32_t daddr, uint16_t dport,
		const struct stk_tcp_ops *ops, void *cctx, struct stk_conn **out)
{
	struct stk_conn *c;

	(void)ctx;
	(void)saddr;
	if (connect_rc != 0)
		return connect_rc;
	c = new_conn(UINT32_MAX);
	c->ops = ops;
	c->ctx = cctx;
	c->daddr = daddr;
	c->dport = dport;
	*out = c;
	return 0;
}

void
stk_conn_set_ops(struct stk_conn *c, const struct stk_tcp_ops *ops, void *ctx)
{
	c->ops = ops;
	c->ctx = ctx;
}

int
stk_conn_send(struct stk_conn *c, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (c->shut || c->closed)
		return -EPIPE;
	if (len > c->space) {
		c->eagain++;
		return -EAGAIN;
	}
	assert_true(c->out_len + len <= OUT_MAX);
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		memcpy(c->out + c->out_len, rte_pktmbuf_mtod(s, void *), s->data_len);
		c->out_len += s->data_len;
	}
	c->space -= len;
	rte_pktmbuf_free(m);
	return 0;
}

uint32_t
stk_conn_send_space(const struct stk_conn *c)
{
	return c->space;
}

void
stk_conn_consumed(struct stk_conn *c, uint32_t bytes)
{
	c->consumed += bytes;
}

int
stk_conn_shutdown(struct stk_conn *c)
{
	c->shut++;
	return 0;
}

int
stk_conn_close(struct stk_conn *c)
{
	c->closed++;
	return 0;
}

void
stk_conn_abort(struct stk_conn *c)
{
	c->aborted++;
}

void
stk_conn_get_info(const struct stk_conn *c, struct stk_conn_info *info)
{
	(void)c;
	memset(info, 0, sizeof(*info));
	info->mss = 1460;
	info->timestamps = true;
}

/* ---- helpers ------------------------------------------------------------------ */

static struct rte_mempool *pool;
static struct ctl_config *conf;
static struct gw_diag *diag;
static void *done_token;
static int done_calls;

static void
on_done(void *arg, void *token)
{
	assert_ptr_equal(arg, &done_calls);
	done_token = token;
	done_calls++;
}

static const struct gw_diag_app_stats *
st(enum gw_diag_app a)
{
	return &gw_diag_get_stats(diag)->app[a];
}

/* A chain of n segments of seg bytes each, bytes counting up from first. */
static struct rte_mbuf *
chain(unsigned int n, uint16_t seg, uint8_t first)
{
	struct rte_mbuf *head = NULL;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p;
		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, seg);
		for (unsigned int k = 0; k < seg; k++)
			p[k] = (uint8_t)(first++);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

static struct stk_listener *
listener(uint16_t port)
{
	for (unsigned int i = 0; i < n_lsns; i++)
		if (lsns[i].port == port)
			return &lsns[i];
	fail_msg("no listener on %u", port);
	return NULL;
}

/* A connection accepted on port with space bytes of send room. */
static struct stk_conn *
accept_on(uint16_t port, uint32_t space, int want_rc)
{
	struct stk_listener *l = listener(port);
	struct stk_conn *c = new_conn(space);

	c->ops = l->ops;
	c->ctx = NULL;
	assert_int_equal(l->ops->accepted(l->lctx, c) == 0 ? 0 : -1, want_rc);
	return c;
}

static void
closed(struct stk_conn *c)
{
	c->ops->closed(c->ctx, c);
}

static int
setup(void **state)
{
	char err[128];

	(void)state;
	conf = calloc(1, sizeof(*conf));
	assert_non_null(conf);
	ctl_config_defaults(conf);
	conf->tcp.max_conns = MAX_CONNS;
	conf->n_listeners = 3;
	conf->listeners[0] = (struct ctl_listener_conf){"echo", CTL_LSN_ECHO, 0, 7, 1};
	conf->listeners[1] = (struct ctl_listener_conf){"discard", CTL_LSN_DISCARD, 0, 9, 2};
	conf->listeners[2] =
		(struct ctl_listener_conf){"source", CTL_LSN_SOURCE, 0x0a000001, 19, 3};
	n_conns = 0;
	n_lsns = 0;
	connect_rc = 0;
	done_calls = 0;
	done_token = NULL;
	diag = gw_diag_create(NULL, pool, conf, SOCKET_ID_ANY, on_done, &done_calls);
	assert_non_null(diag);
	assert_int_equal(gw_diag_start(diag, err, sizeof(err)), 0);
	assert_int_equal(n_lsns, 3);
	assert_int_equal(lsns[2].addr, 0x0a000001);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gw_diag_stop(diag);
	gw_diag_free(diag);
	diag = NULL;
	for (unsigned int i = 0; i < n_conns; i++)
		free(conns[i].out);
	free(conf);
	conf = NULL;
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
	return 0;
}

/* ---- echo --------------------------------------------------------------------- */

static void
test_echo_passthrough(void **state)
{
	struct stk_conn *c = accept_on(7, UINT32_MAX, 0);

	(void)state;
	c->ops->data(c->ctx, c, chain(1, 100, 0));
	c->ops->data(c->ctx, c, chain(3, 50, 100));
	assert_int_equal(c->out_len, 250);
	for (unsigned int i = 0; i < 250; i++)
		assert_int_equal(c->out[i], (uint8_t)i);
	assert_int_equal(c->consumed, 250);
	assert_int_equal(st(GW_DIAG_ECHO)->bytes_in, 250);
	assert_int_equal(st(GW_DIAG_ECHO)->bytes_out, 250);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 0);
	c->ops->peer_closed(c->ctx, c);
	assert_int_equal(c->shut, 1);
	closed(c);
	assert_int_equal(st(GW_DIAG_ECHO)->active, 0);
	assert_int_equal(st(GW_DIAG_ECHO)->connections, 1);
}

/* Only what the stack took is consumed; the rest waits for `writable`, and
 * the FIN waits for the rest. */
static void
test_echo_backpressure(void **state)
{
	struct stk_conn *c = accept_on(7, 300, 0);

	(void)state;
	c->ops->data(c->ctx, c, chain(5, 100, 0));
	assert_int_equal(c->out_len, 300);
	assert_int_equal(c->consumed, 300);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 2);
	/* more data while blocked is queued, not sent */
	c->space = 1000;
	c->ops->data(c->ctx, c, chain(1, 100, 244));
	assert_int_equal(c->out_len, 300);
	c->ops->peer_closed(c->ctx, c);
	assert_int_equal(c->shut, 0);
	c->ops->writable(c->ctx, c);
	assert_int_equal(c->out_len, 600);
	assert_int_equal(c->consumed, 600);
	for (unsigned int i = 0; i < 600; i++)
		assert_int_equal(c->out[i], (uint8_t)i);
	assert_int_equal(c->shut, 1);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 0);
	closed(c);
}

/* A connection closed with a backlog frees it. */
static void
test_echo_closed_with_backlog(void **state)
{
	struct stk_conn *c = accept_on(7, 0, 0);

	(void)state;
	c->ops->data(c->ctx, c, chain(4, 500, 0));
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 4);
	assert_int_equal(c->consumed, 0);
	c->ops->reset(c->ctx, c, ECONNRESET);
	closed(c);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 0);
	assert_int_equal(st(GW_DIAG_ECHO)->resets, 1);
}

/* ---- discard and source ----------------------------------------------------------- */

static void
test_discard(void **state)
{
	struct stk_conn *c = accept_on(9, UINT32_MAX, 0);

	(void)state;
	c->ops->data(c->ctx, c, chain(2, 1000, 0));
	assert_int_equal(c->consumed, 2000);
	assert_int_equal(c->out_len, 0);
	assert_int_equal(st(GW_DIAG_DISCARD)->bytes_in, 2000);
	c->ops->peer_closed(c->ctx, c);
	assert_int_equal(c->shut, 1);
	closed(c);
}

static void
check_pattern(const struct stk_conn *c)
{
	for (size_t k = 0; k < c->out_len; k++)
		if (c->out[k] != gw_diag_pattern_byte((uint32_t)(k % GW_DIAG_PATTERN_LEN)))
			fail_msg("source byte %zu is %u, pattern says %u", k, c->out[k],
				 gw_diag_pattern_byte((uint32_t)(k % GW_DIAG_PATTERN_LEN)));
}

static void
test_source(void **state)
{
	struct stk_conn *c = accept_on(19, 100000, 0);

	(void)state;
	assert_int_equal(c->out_len, 0); /* nothing from inside `accepted` */
	assert_int_equal(gw_diag_poll(diag, 0), 1);
	/* full segments of mss - timestamps */
	assert_int_equal(c->out_len, 100000 / 1448 * 1448);
	assert_int_equal(c->eagain, 1);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 1); /* the refused spare */
	c->space = 200000;
	c->ops->writable(c->ctx, c);
	assert_true(c->out_len > GW_DIAG_PATTERN_LEN); /* past the period */
	check_pattern(c);
	/* what the peer sends is read and dropped */
	c->ops->data(c->ctx, c, chain(1, 10, 0));
	assert_int_equal(c->consumed, 10);
	c->ops->peer_closed(c->ctx, c);
	assert_int_equal(c->closed, 1);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 0);
	c->space = 1000000;
	c->ops->writable(c->ctx, c); /* closing: sends nothing more */
	assert_int_equal(st(GW_DIAG_SOURCE)->bytes_out, c->out_len);
	closed(c);
}

/* With the pool empty, source waits and gw_diag_poll retries. */
static void
test_source_pool_empty(void **state)
{
	struct rte_mbuf *all[POOL_SIZE];
	unsigned int n = 0;
	struct stk_conn *c = accept_on(19, 10000, 0);

	(void)state;
	while (n < POOL_SIZE && (all[n] = rte_pktmbuf_alloc(pool)) != NULL)
		n++;
	assert_int_equal(gw_diag_poll(diag, 0), 1);
	assert_int_equal(c->out_len, 0);
	assert_true(st(GW_DIAG_SOURCE)->nomem >= 1);
	assert_int_equal(gw_diag_poll(diag, 0), 1); /* still kicked */
	rte_pktmbuf_free_bulk(all, n);
	gw_diag_poll(diag, 0);
	assert_int_equal(c->out_len, 10000 / 1448 * 1448);
	check_pattern(c);
	assert_int_equal(gw_diag_poll(diag, 0), 0); /* blocked now: waits for writable */
	closed(c);
}

/* tcp.max_conns contexts; one more is refused (the stack resets it). */
static void
test_refused(void **state)
{
	struct stk_conn *c[MAX_CONNS];

	(void)state;
	for (int i = 0; i < MAX_CONNS; i++)
		c[i] = accept_on(9, 0, 0);
	accept_on(9, 0, -1);
	assert_int_equal(st(GW_DIAG_DISCARD)->refused, 1);
	closed(c[1]);
	struct stk_conn *again = accept_on(9, 0, 0);
	assert_int_equal(st(GW_DIAG_DISCARD)->active, MAX_CONNS);
	closed(again);
	closed(c[0]);
	closed(c[2]);
	closed(c[3]);
	assert_int_equal(st(GW_DIAG_DISCARD)->active, 0);
}

/* ---- the probe ------------------------------------------------------------------ */

static struct gw_diag_probe *
probe_new(uint64_t bytes, uint64_t timeout_ms)
{
	struct gw_diag_probe *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->daddr = 0x0a000002;
	p->dport = 5001;
	p->bytes = bytes;
	p->timeout_ms = timeout_ms;
	p->md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestInit_ex(p->md, EVP_sha256(), NULL), 1);
	return p;
}

static void
probe_free(struct gw_diag_probe *p)
{
	gw_diag_probe_release(p);
	free(p);
}

static void
test_probe(void **state)
{
	struct gw_diag_probe *p = probe_new(5000, 1000);
	unsigned char want[32], got[32];
	unsigned int len = 0;
	struct stk_conn *c;
	int token;

	(void)state;
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), 0);
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), -EBUSY);
	c = &conns[n_conns - 1];
	assert_int_equal(c->dport, 5001);
	c->space = 3000;
	c->ops->connected(c->ctx, c);
	assert_true(p->connected);
	assert_int_equal(c->out_len, 2896);
	c->space = 1000000;
	c->ops->writable(c->ctx, c);
	assert_int_equal(c->out_len, 5000);
	check_pattern(c);
	assert_int_equal(c->shut, 1);
	/* the echo comes back as a chain and a segment, then the FIN */
	struct rte_mbuf *a = rte_pktmbuf_alloc(pool), *a2 = rte_pktmbuf_alloc(pool);
	struct rte_mbuf *b = rte_pktmbuf_alloc(pool);
	memcpy(rte_pktmbuf_append(a, 1500), c->out, 1500);
	memcpy(rte_pktmbuf_append(a2, 1500), c->out + 1500, 1500);
	assert_int_equal(rte_pktmbuf_chain(a, a2), 0);
	memcpy(rte_pktmbuf_append(b, 2000), c->out + 3000, 2000);
	c->ops->data(c->ctx, c, a);
	c->ops->data(c->ctx, c, b);
	assert_int_equal(c->consumed, 5000);
	assert_int_equal(done_calls, 0);
	c->ops->peer_closed(c->ctx, c);
	assert_int_equal(done_calls, 1);
	assert_ptr_equal(done_token, &token);
	assert_int_equal(p->err, 0);
	assert_int_equal(p->sent, 5000);
	assert_int_equal(p->received, 5000);
	assert_int_equal(EVP_DigestFinal_ex(p->md, got, &len), 1);
	assert_int_equal(len, 32);
	EVP_Digest(c->out, 5000, want, NULL, EVP_sha256(), NULL);
	assert_memory_equal(got, want, 32);
	closed(c); /* later, after TIME-WAIT: no second report */
	assert_int_equal(done_calls, 1);
	assert_int_equal(st(GW_DIAG_PROBE)->active, 0);
	probe_free(p);
}

static void
test_probe_failures(void **state)
{
	struct gw_diag_probe *p = probe_new(10, 5);
	struct stk_conn *c;
	int token;

	(void)state;
	/* refused: reset, then closed; one report */
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), 0);
	c = &conns[n_conns - 1];
	c->ops->reset(c->ctx, c, ECONNREFUSED);
	closed(c);
	assert_int_equal(done_calls, 1);
	assert_int_equal(p->err, -ECONNREFUSED);
	assert_false(p->connected);
	/* no answer: the deadline (5 ms) aborts it */
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 1000, HZ), 0);
	c = &conns[n_conns - 1];
	gw_diag_poll(diag, 1000 + 4000);
	assert_int_equal(done_calls, 1);
	gw_diag_poll(diag, 1000 + 5000);
	assert_int_equal(done_calls, 2);
	assert_int_equal(p->err, -ETIMEDOUT);
	assert_int_equal(c->aborted, 1);
	/* connect fails at once: an error, no report */
	connect_rc = -ENETUNREACH;
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), -ENETUNREACH);
	assert_int_equal(done_calls, 2);
	p->timeout_ms = 0;
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), -EINVAL);
	/* stopping the worker cancels a running probe */
	connect_rc = 0;
	p->timeout_ms = 1000;
	assert_int_equal(gw_diag_probe_start(diag, p, &token, 0, HZ), 0);
	gw_diag_stop(diag);
	assert_int_equal(done_calls, 3);
	assert_int_equal(p->err, -ECANCELED);
	assert_int_equal(conns[n_conns - 1].aborted, 1);
	assert_int_equal(st(GW_DIAG_PROBE)->active, 0);
	probe_free(p);
}

/* Stopping aborts every connection and stops listening. */
static void
test_stop(void **state)
{
	struct stk_conn *e = accept_on(7, 0, 0);
	struct stk_conn *s = accept_on(19, 5000, 0);

	(void)state;
	e->ops->data(e->ctx, e, chain(3, 100, 0));
	gw_diag_poll(diag, 0);
	assert_true(gw_diag_get_stats(diag)->mbufs_held > 0);
	gw_diag_stop(diag);
	assert_int_equal(e->aborted, 1);
	assert_int_equal(s->aborted, 1);
	for (unsigned int i = 0; i < n_lsns; i++)
		assert_true(lsns[i].unlistened);
	assert_int_equal(gw_diag_get_stats(diag)->mbufs_held, 0);
	assert_int_equal(st(GW_DIAG_ECHO)->active + st(GW_DIAG_SOURCE)->active, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_closed_with_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_pool_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
	};
	int rc;

	if (ut_eal_init("diag") < 0)
		return 1;
	pool = ut_pool("diag_pool", POOL_SIZE);
	if (pool == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}

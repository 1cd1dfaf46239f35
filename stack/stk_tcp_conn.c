/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_conn.c - the per-worker TCP tables: the TCB pool (max_conns,
 * allocated once), the 4-tuple table (rte_hash), listeners, ISNs (RFC 6528),
 * the TIME-WAIT FIFO, the list of connections waiting for worker memory and
 * the deferred frees. Owning worker only; stk_tcp_init/fini run wherever the
 * context is created and freed.
 *
 * A released TCB is not reused at once: it waits on the dead list until the
 * outermost TCP entry point returns, so a callback that aborts a connection
 * never leaves a dangling pointer in the code that called it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "stk_tcp_internal.h"

#define HASH_MIN_SIZE 8 /* rte_hash refuses smaller tables */

struct lsn_key {
	uint32_t addr;
	uint16_t port;
	uint16_t zero;
};

/* Per-process secrets: ISNs (RFC 6528), timestamp offsets (RFC 7323 5.4),
 * ephemeral port offsets (RFC 6056 algorithm 3), and the tables' hash (the
 * peer picks addresses and ports: no chosen bucket collisions). */
static uint64_t isn_key[2], ts_key[2], port_key[2], table_key[2];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void
keys_init(void)
{
	uint64_t buf[8];

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		for (unsigned int i = 0; i < RTE_DIM(buf); i++)
			buf[i] = rte_rand();
	isn_key[0] = buf[0];
	isn_key[1] = buf[1];
	ts_key[0] = buf[2];
	ts_key[1] = buf[3];
	port_key[0] = buf[4];
	port_key[1] = buf[5];
	table_key[0] = buf[6];
	table_key[1] = buf[7];
}

/* ------------------------------------------------------------------ */
/* SipHash-2-4 (Aumasson & Bernstein), for short inputs                 */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t
tcp_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ull,
		key[1] ^ 0x646f72616e646f6dull,
		key[0] ^ 0x6c7967656e657261ull,
		key[1] ^ 0x7465646279746573ull,
	};
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7;
	uint8_t tail[8] = {0};

	for (size_t i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	memcpy(tail, p + (len - left), left);
	b |= load_le64(tail);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t
tuple_hash(const uint64_t key[2], uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	struct tcp_key k = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};

	return tcp_siphash(key, &k, sizeof(k));
}

uint32_t
tcp_isn(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 microsecond clock */
	uint32_t m = (uint32_t)(tcp_now_us(t) / 4);

	if (t->isn_fixed)
		return t->isn_value;
	return m + (uint32_t)tuple_hash(isn_key, laddr, raddr, lport, rport);
}

uint32_t
tcp_ts_offset(uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	return (uint32_t)tuple_hash(ts_key, laddr, raddr, lport, rport);
}

uint32_t
tcp_port_offset(uint32_t laddr, uint32_t raddr, uint16_t rport)
{
	return (uint32_t)tuple_hash(port_key, laddr, raddr, 0, rport);
}

uint32_t
tcp_ts_now(const struct stk_conn *c)
{
	return (uint32_t)(tcp_now_us(conn_tcp(c)) / 1000) + c->ts_offset;
}

void
stk_tcp_test_fix_isn(struct stk_ctx *ctx, uint32_t v)
{
	ctx->tcp->isn_fixed = true;
	ctx->tcp->isn_value = v;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                               */

static int
check_conf(const struct stk_tcp_conf *tc)
{
	if (tc->rcv_buf == 0 || tc->snd_buf == 0 || tc->cc >= STK_CC_MAX || tc->rto_min_us == 0 ||
	    tc->rto_min_us > tc->rto_max_us || tc->rto_init_us == 0 || tc->eph_port_min == 0 ||
	    tc->eph_port_min > tc->eph_port_max || tc->max_listeners > UINT16_MAX ||
	    tc->max_conns >= TCP_NIL)
		return -EINVAL;
	return 0;
}

/* rte_hash's hash function: SipHash under the process's table key. */
static uint32_t
table_hash(const void *key, uint32_t key_len, uint32_t init_val)
{
	return (uint32_t)tcp_siphash(table_key, key, key_len) ^ init_val;
}

static struct rte_hash *
hash_create(const char *what, unsigned int worker, uint32_t entries, uint32_t key_len, int socket)
{
	static uint32_t seq; /* rte_hash names are global to the process */
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(entries, (uint32_t)HASH_MIN_SIZE),
		.key_len = key_len,
		.hash_func = table_hash,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "stk%s%u_%u", what, worker,
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	return rte_hash_create(&hp);
}

static uint16_t
wscale_for(uint32_t rcv_buf)
{
	uint16_t ws = 0;

	while (ws < TCP_MAX_WSCALE && ((uint64_t)TCP_MAX_WINDOW << ws) < rcv_buf)
		ws++;
	return ws;
}

static int
tables_init(struct stk_tcp *t, int socket)
{
	const struct stk_tcp_conf *tc = &t->conf;
	unsigned int worker = t->ctx->conf.worker_id;

	t->conns = rte_zmalloc_socket("stk_tcb", (size_t)tc->max_conns * sizeof(struct stk_conn),
				      RTE_CACHE_LINE_SIZE, socket);
	if (t->conns == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tc->max_conns; i++) {
		t->conns[i].idx = i;
		t->conns[i].next = i + 1 < tc->max_conns ? i + 1 : TCP_NIL;
	}
	t->conn_hash = hash_create("tcp", worker, tc->max_conns, sizeof(struct tcp_key), socket);
	if (t->conn_hash == NULL)
		return -ENOMEM;
	if (tc->max_listeners != 0) {
		t->lsns = rte_zmalloc_socket(
			"stk_lsn", (size_t)tc->max_listeners * sizeof(struct stk_listener), 0,
			socket);
		t->lsn_hash = hash_create("lsn", worker, tc->max_listeners, sizeof(struct lsn_key),
					  socket);
		if (t->lsns == NULL || t->lsn_hash == NULL)
			return -ENOMEM;
	}
	return 0;
}

int
stk_tcp_init(struct stk_ctx *ctx)
{
	const struct stk_tcp_conf *tc = &ctx->conf.tcp;
	struct stk_tcp *t;
	int rc;

	if (tc->max_conns == 0)
		return 0; /* TCP off */
	rc = check_conf(tc);
	if (rc != 0)
		return rc;
	pthread_once(&keys_once, keys_init);
	tcp_dispatch_init();
	rc = tcp_ooo_register();
	if (rc != 0)
		return rc;
	t = rte_zmalloc_socket("stk_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE, ctx->conf.socket);
	if (t == NULL)
		return -ENOMEM;
	ctx->tcp = t;
	t->ctx = ctx;
	t->conf = *tc;
	t->cc = tcp_cc_get(tc->cc);
	t->free_head = 0;
	t->dead_head = t->tw_head = t->tw_tail = t->mw_head = t->mw_tail = TCP_NIL;
	t->tsc_us = RTE_MAX(rte_get_tsc_hz() / 1000000, (uint64_t)1);
	t->tick_tsc = t->tsc_us * TCP_TICK_US;
	t->rcv_wscale = tc->opt_wscale ? wscale_for(tc->rcv_buf) : 0;
	tcp_cookie_init(t);
	t->now = 0; /* the first stk_input/stk_poll sets the clock (tests use virtual ones) */
	rc = tables_init(t, ctx->conf.socket);
	if (rc == 0)
		rc = tw_init(&t->wheel, TCP_WHEEL_SLOTS, t->now / t->tick_tsc, ctx->conf.socket);
	return rc; /* on failure stk_create calls stk_free, which calls fini */
}

void
stk_tcp_fini(struct stk_ctx *ctx)
{
	struct stk_tcp *t = ctx->tcp;

	if (t == NULL)
		return;
	/* the context is going away: no callbacks, just the memory */
	for (uint32_t i = 0; t->conns != NULL && i < t->conf.max_conns; i++) {
		struct stk_conn *c = &t->conns[i];

		if (c->ctx == NULL)
			continue;
		tcp_sq_purge(c);
		tcp_ooo_purge(c);
	}
	tw_fini(&t->wheel);
	rte_hash_free(t->lsn_hash);
	rte_free(t->lsns);
	rte_hash_free(t->conn_hash);
	rte_free(t->conns);
	rte_free(t);
	ctx->tcp = NULL;
}

/* ------------------------------------------------------------------ */
/* Entry points and deferred frees                                      */

static void
flush_dead(struct stk_tcp *t)
{
	while (t->dead_head != TCP_NIL) {
		struct stk_conn *c = &t->conns[t->dead_head];

		t->dead_head = c->next;
		c->ctx = NULL;
		c->flags = 0;
		c->next = t->free_head;
		t->free_head = c->idx;
		t->n_conns--;
	}
}

void
tcp_enter(struct stk_tcp *t, uint64_t now)
{
	if (now > t->now)
		t->now = now;
	t->depth++;
}

void
tcp_leave(struct stk_tcp *t)
{
	if (--t->depth == 0)
		flush_dead(t);
}

/* ------------------------------------------------------------------ */
/* The connection table                                                 */

static void
make_key(struct tcp_key *k, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	memset(k, 0, sizeof(*k));
	k->laddr = laddr;
	k->raddr = raddr;
	k->lport = lport;
	k->rport = rport;
}

struct stk_conn *
tcp_conn_lookup(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	struct tcp_key k;
	void *data;

	make_key(&k, laddr, raddr, lport, rport);
	if (rte_hash_lookup_data(t->conn_hash, &k, &data) < 0)
		return NULL;
	return &t->conns[(uintptr_t)data];
}

struct stk_conn *
tcp_conn_alloc(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport)
{
	struct stk_conn *c;
	struct tcp_key k;
	uint32_t idx = t->free_head;

	if (idx == TCP_NIL) {
		TCP_INC(t->ctx, conn_table_full);
		return NULL;
	}
	make_key(&k, laddr, raddr, lport, rport);
	if (rte_hash_add_key_data(t->conn_hash, &k, (void *)(uintptr_t)idx) < 0) {
		TCP_INC(t->ctx, conn_table_full);
		return NULL;
	}
	c = &t->conns[idx];
	t->free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->ctx = t->ctx;
	c->idx = idx;
	c->state = STK_TCP_CLOSED;
	c->next = c->tw_prev = c->tw_next = c->mw_prev = c->mw_next = TCP_NIL;
	c->laddr = laddr;
	c->raddr = raddr;
	c->lport = lport;
	c->rport = rport;
	c->last_rcv_tsc = t->now;
	t->n_conns++;
	return c;
}

/* Intrusive FIFO over TCB indexes: TIME-WAIT and the memory wait list. */
#define FIFO_APPEND(t, c, head, tail, prev, next)                                                  \
	do {                                                                                       \
		(c)->prev = (t)->tail;                                                             \
		(c)->next = TCP_NIL;                                                               \
		if ((t)->tail != TCP_NIL)                                                          \
			(t)->conns[(t)->tail].next = (c)->idx;                                     \
		else                                                                               \
			(t)->head = (c)->idx;                                                      \
		(t)->tail = (c)->idx;                                                              \
	} while (0)
#define FIFO_REMOVE(t, c, head, tail, prev, next)                                                  \
	do {                                                                                       \
		if ((c)->prev != TCP_NIL)                                                          \
			(t)->conns[(c)->prev].next = (c)->next;                                    \
		else                                                                               \
			(t)->head = (c)->next;                                                     \
		if ((c)->next != TCP_NIL)                                                          \
			(t)->conns[(c)->next].prev = (c)->prev;                                    \
		else                                                                               \
			(t)->tail = (c)->prev;                                                     \
		(c)->prev = (c)->next = TCP_NIL;                                                   \
	} while (0)

static bool
estab_gauge(uint8_t s)
{
	return s == STK_TCP_ESTABLISHED || s == STK_TCP_CLOSE_WAIT;
}

/* All state changes go through here: it keeps the gauges, the TIME-WAIT
 * FIFO and the listeners' half-open counts. */
void
tcp_set_state(struct stk_conn *c, enum stk_tcp_state s)
{
	struct stk_tcp *t = conn_tcp(c);
	uint8_t old = c->state;

	if (old == s)
		return;
	if (estab_gauge(old) && !estab_gauge((uint8_t)s))
		c->ctx->tcp_stats.curr_estab--;
	else if (!estab_gauge(old) && estab_gauge((uint8_t)s))
		c->ctx->tcp_stats.curr_estab++;
	if (old == STK_TCP_SYN_RECEIVED && (c->flags & TF_PASSIVE)) {
		struct stk_listener *l = &t->lsns[c->lsn_idx];

		if (l->used && l->gen == c->lsn_gen && l->half_open > 0)
			l->half_open--;
	}
	if (old == STK_TCP_TIME_WAIT) {
		FIFO_REMOVE(t, c, tw_head, tw_tail, tw_prev, tw_next);
		c->ctx->tcp_stats.time_wait_count--;
	}
	if (s == STK_TCP_TIME_WAIT) {
		c->tw_expire = t->now + 2 * t->conf.msl_us * t->tsc_us;
		FIFO_APPEND(t, c, tw_head, tw_tail, tw_prev, tw_next);
		c->ctx->tcp_stats.time_wait_count++;
	}
	c->state = (uint8_t)s;
}

void
tcp_conn_release(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);
	struct tcp_key k;

	if (tcp_dead(c))
		return;
	tcp_set_state(c, STK_TCP_CLOSED);
	tcp_timers_cancel_all(c);
	if (c->flags & TF_MEM_WAIT)
		FIFO_REMOVE(t, c, mw_head, mw_tail, mw_prev, mw_next);
	tcp_sq_purge(c);
	tcp_ooo_purge(c);
	make_key(&k, c->laddr, c->raddr, c->lport, c->rport);
	rte_hash_del_key(t->conn_hash, &k);
	c->flags = TF_DEAD;
	c->ops = NULL;
	c->app_ctx = NULL;
	c->next = t->dead_head;
	t->dead_head = c->idx;
	if (t->depth == 0)
		flush_dead(t);
}

/* ------------------------------------------------------------------ */
/* TIME-WAIT and memory waiters                                         */

void
tcp_tw_enter(struct stk_conn *c)
{
	/* a restart (retransmitted FIN) moves c to the back of the FIFO */
	if (c->state == STK_TCP_TIME_WAIT)
		tcp_set_state(c, STK_TCP_CLOSING);
	tcp_set_state(c, STK_TCP_TIME_WAIT);
}

void
tcp_tw_poll(struct stk_tcp *t)
{
	while (t->tw_head != TCP_NIL && t->conns[t->tw_head].tw_expire <= t->now)
		tcp_conn_release(&t->conns[t->tw_head]);
}

void
tcp_mem_wait(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);

	if (c->flags & TF_MEM_WAIT)
		return;
	c->flags |= TF_MEM_WAIT;
	FIFO_APPEND(t, c, mw_head, mw_tail, mw_prev, mw_next);
}

void
tcp_mem_poll(struct stk_tcp *t)
{
	/* hysteresis: wake waiters once an eighth of the budget is free again */
	uint64_t low = t->conf.worker_mem_max - t->conf.worker_mem_max / 8;

	while (t->mw_head != TCP_NIL && t->mem < low) {
		struct stk_conn *c = &t->conns[t->mw_head];

		FIFO_REMOVE(t, c, mw_head, mw_tail, mw_prev, mw_next);
		c->flags &= ~TF_MEM_WAIT;
		tcp_writable_check(c);
	}
}

/* ------------------------------------------------------------------ */
/* Listeners                                                            */

struct stk_listener *
tcp_listener_find(struct stk_tcp *t, uint32_t addr, uint16_t port)
{
	struct lsn_key k = {.addr = addr, .port = port};
	void *data;

	if (t->lsn_hash == NULL)
		return NULL;
	if (rte_hash_lookup_data(t->lsn_hash, &k, &data) >= 0)
		return &t->lsns[(uintptr_t)data];
	k.addr = 0;
	if (rte_hash_lookup_data(t->lsn_hash, &k, &data) >= 0)
		return &t->lsns[(uintptr_t)data];
	return NULL;
}

int
tcp_listener_add(struct stk_tcp *t, uint32_t addr, uint16_t port, struct stk_listener **out)
{
	struct lsn_key k = {.addr = addr, .port = port};
	struct stk_listener *l = NULL;

	if (t->lsn_hash == NULL)
		return -ENOSPC;
	if (rte_hash_lookup(t->lsn_hash, &k) >= 0)
		return -EADDRINUSE;
	for (uint32_t i = 0; i < t->conf.max_listeners; i++) {
		if (!t->lsns[i].used) {
			l = &t->lsns[i];
			l->idx = (uint16_t)i;
			break;
		}
	}
	if (l == NULL || rte_hash_add_key_data(t->lsn_hash, &k, (void *)(uintptr_t)l->idx) < 0)
		return -ENOSPC;
	l->used = true;
	l->addr = addr;
	l->port = port;
	l->half_open = 0;
	/* beyond it SYNs are answered with cookies (or dropped) */
	l->half_open_max = RTE_MAX(RTE_MIN(t->conf.syn_backlog, t->conf.max_conns), 1u);
	l->cookie_until = 0;
	t->n_lsns++;
	*out = l;
	return 0;
}

void
tcp_listener_del(struct stk_tcp *t, struct stk_listener *l)
{
	struct lsn_key k = {.addr = l->addr, .port = l->port};

	if (!l->used)
		return;
	rte_hash_del_key(t->lsn_hash, &k);
	l->used = false;
	l->gen++; /* half-open children are reset when their handshake completes */
	l->ops = NULL;
	l->lctx = NULL;
	t->n_lsns--;
}

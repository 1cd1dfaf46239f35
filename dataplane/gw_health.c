/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_health.c - a worker's active health checker (see gw_health.h).
 *
 * Targets are the endpoints this worker checks, sorted by identity key so
 * that a snapshot change merges the old schedule into the new list in one
 * walk. Every target is always in a min-heap keyed by `due`: the start of
 * its next check while idle, the deadline of its open check otherwise; the
 * poll looks at the top only, so it costs nothing until something is due.
 *
 * A check owns a slot from a fixed pool (max_checks) from the connect until
 * the stack's `closed`. Once a check has its result the slot is detached
 * from its target (which may start its next check at once) and closes
 * cleanly: a FIN, the rest of the response read and dropped, and an abort
 * (RST) only if the endpoint does not finish within LINGER, or when a due
 * check needs the slot. Detached slots wait on a FIFO list: they all
 * linger the same time, so the head expires first.
 *
 * The stack calls back from inside our own calls to it (a close can end a
 * connection), so state changes happen before those calls, and no callback
 * touches a connection after something it called may have ended it.
 */
#include "gw_health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctl_config.h"
#include "gw_mesh.h"
#include "gw_slots.h"
#include "stk.h"

#define NONE	     UINT32_MAX
#define POLL_BUDGET  64	  /* heap tops handled per poll */
#define LINGER_MS    2000 /* a finished check's close may take this long */
#define FULL_WAIT_MS 10	  /* a due check that found no slot looks again after this */

enum slot_state {
	S_FREE,
	S_CONNECTING, /* SYN sent; attached to its target */
	S_WAITING,    /* http: request sent, reading the status line; attached */
	S_CLOSING,    /* detached, on the closing list: FIN sent, draining */
	S_DYING,      /* detached, reset: `closed` follows from the stack */
};

struct hc_slot {
	struct gw_health *h;
	struct stk_conn *c;
	uint32_t target; /* NONE once detached */
	uint8_t state;	 /* enum slot_state */
	uint8_t nbuf;
	uint8_t buf[GW_HC_STATUS_MIN];
	struct rte_mbuf *pending; /* the request, while the stack had no room for it */
	uint64_t linger_until;	  /* S_CLOSING: TSC */
	TAILQ_ENTRY(hc_slot) link;
};

struct hc_target {
	uint64_t key; /* gw_health_key(name, addr, port) */
	uint32_t addr;
	uint16_t port;
	uint32_t ep;	  /* endpoint slot: index into mesh->endpoints */
	uint32_t cluster; /* cluster slot: index into mesh->clusters */
	uint64_t due;	  /* TSC: next start while idle, deadline while checking */
	uint64_t next;	  /* TSC: next start, chosen when the check started */
	uint32_t slot;	  /* NONE: no check open */
	uint32_t heap;	  /* position in h->heap */
	char name[CTL_NAME_MAX];
};

struct gw_health {
	struct gw_health_stats stats;
	struct stk_ctx *stk;
	struct rte_mempool *pool;
	const struct gw_mesh *mesh;
	gw_health_result_fn fn;
	void *arg;
	unsigned int worker_id, n_workers;
	uint64_t hz, now, rng;
	struct hc_target *targets, *spare; /* spare: the next list while merging */
	uint32_t n_targets, cap;
	uint32_t *heap; /* target indices; n_targets of them */
	struct hc_slot *slots;
	uint32_t *free_slots;
	uint32_t n_free, max_checks;
	TAILQ_HEAD(, hc_slot) closing;
};

static const struct stk_tcp_ops hc_ops;

/* ---- time and randomness ------------------------------------------------- */

static uint64_t
us_to_tsc(const struct gw_health *h, uint64_t us)
{
	return us / 1000000 * h->hz + (us % 1000000) * h->hz / 1000000;
}

/* splitmix64: per worker, no shared state. */
static uint64_t
rnd(struct gw_health *h)
{
	uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const struct ctl_health_conf *
conf_of(const struct gw_health *h, const struct hc_target *t)
{
	return &h->mesh->clusters[t->cluster].conf.health;
}

/* interval +- jitter after from (jitter < interval: validated). */
static uint64_t
next_start(struct gw_health *h, const struct hc_target *t, uint64_t from)
{
	const struct ctl_health_conf *hc = conf_of(h, t);
	uint64_t iv = us_to_tsc(h, hc->interval_us), j = us_to_tsc(h, hc->jitter_us);

	if (j == 0)
		return from + iv;
	return from + iv - j + rnd(h) % (2 * j + 1);
}

/* ---- the heap of targets by due ------------------------------------------ */

static void
heap_set(struct gw_health *h, uint32_t pos, uint32_t ti)
{
	h->heap[pos] = ti;
	h->targets[ti].heap = pos;
}

static bool
heap_less(const struct gw_health *h, uint32_t a, uint32_t b)
{
	return h->targets[h->heap[a]].due < h->targets[h->heap[b]].due;
}

static void
heap_swap(struct gw_health *h, uint32_t a, uint32_t b)
{
	uint32_t ta = h->heap[a];

	heap_set(h, a, h->heap[b]);
	heap_set(h, b, ta);
}

static void
sift_down(struct gw_health *h, uint32_t pos)
{
	for (;;) {
		uint32_t l = 2 * pos + 1, r = l + 1, m = pos;
		if (l < h->n_targets && heap_less(h, l, m))
			m = l;
		if (r < h->n_targets && heap_less(h, r, m))
			m = r;
		if (m == pos)
			return;
		heap_swap(h, pos, m);
		pos = m;
	}
}

static void
sift_up(struct gw_health *h, uint32_t pos)
{
	while (pos > 0 && heap_less(h, pos, (pos - 1) / 2)) {
		heap_swap(h, pos, (pos - 1) / 2);
		pos = (pos - 1) / 2;
	}
}

/* Target t's due changed: restore the heap. */
static void
reschedule(struct gw_health *h, struct hc_target *t, uint64_t due)
{
	t->due = due;
	sift_up(h, t->heap);
	sift_down(h, t->heap);
}

static void
heap_build(struct gw_health *h)
{
	for (uint32_t i = 0; i < h->n_targets; i++)
		heap_set(h, i, i);
	for (uint32_t i = h->n_targets / 2; i-- > 0;)
		sift_down(h, i);
}

/* ---- slots ----------------------------------------------------------------- */

static struct hc_slot *
slot_alloc(struct gw_health *h, uint32_t ti)
{
	struct hc_slot *s;

	if (h->n_free == 0)
		return NULL;
	s = &h->slots[h->free_slots[--h->n_free]];
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->target = ti;
	s->state = S_CONNECTING;
	h->stats.in_flight++;
	return s;
}

static void
slot_free(struct hc_slot *s)
{
	struct gw_health *h = s->h;

	if (s->state == S_CLOSING)
		TAILQ_REMOVE(&h->closing, s, link);
	rte_pktmbuf_free(s->pending); /* accepts NULL */
	s->pending = NULL;
	s->c = NULL;
	s->state = S_FREE;
	h->free_slots[h->n_free++] = (uint32_t)(s - h->slots);
	h->stats.in_flight--;
}

/* A detached slot closes cleanly: FIN (nothing to say in SYN-SENT), then
 * drain until `closed`, or RST after LINGER. */
static void
slot_close(struct hc_slot *s)
{
	struct gw_health *h = s->h;
	struct stk_conn *c = s->c;
	bool syn_sent = s->state == S_CONNECTING;

	rte_pktmbuf_free(s->pending);
	s->pending = NULL;
	s->target = NONE;
	s->state = S_CLOSING;
	s->linger_until = h->now + us_to_tsc(h, LINGER_MS * 1000ULL);
	TAILQ_INSERT_TAIL(&h->closing, s, link);
	if (syn_sent)
		stk_conn_close(c); /* `closed` comes from the stack's idle timer */
	else
		stk_conn_shutdown(c);
}

/* Ends the oldest lingering close with a RST. */
static void
linger_abort(struct gw_health *h)
{
	struct hc_slot *s = TAILQ_FIRST(&h->closing);
	struct stk_conn *c = s->c;

	slot_free(s);
	stk_conn_abort(c); /* no callbacks after this */
	h->stats.lingers_aborted++;
}

static void
linger_expire(struct gw_health *h, uint64_t now)
{
	struct hc_slot *s;

	while ((s = TAILQ_FIRST(&h->closing)) != NULL && s->linger_until <= now)
		linger_abort(h);
}

/* ---- results ----------------------------------------------------------------- */

/* The check of s has its result: report it and free its target for the
 * next check. s stays open (the caller closes it or the stack ends it). */
static void
conclude(struct hc_slot *s, bool ok, uint8_t reason)
{
	struct gw_health *h = s->h;
	struct hc_target *t = &h->targets[s->target];

	s->target = NONE;
	t->slot = NONE;
	reschedule(h, t, t->next);
	if (ok)
		h->stats.ok++;
	else
		h->stats.failed[reason < GW_HC_REASON_MAX ? reason : GW_HC_CLOSED]++;
	h->fn(h->arg, h->mesh, t->ep, ok, ok ? GW_HC_OK : reason);
}

static void
finish(struct hc_slot *s, bool ok, uint8_t reason)
{
	conclude(s, ok, reason);
	slot_close(s);
}

/* ---- the stack's callbacks --------------------------------------------------- */

/* GET <path> with Host, one mbuf. NULL when no mbuf or it does not fit. */
static struct rte_mbuf *
request(struct gw_health *h, const struct hc_target *t)
{
	const struct ctl_health_conf *hc = conf_of(h, t);
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->pool);
	char host[sizeof("255.255.255.255:65535")];
	size_t room;
	int n;

	if (m == NULL)
		return NULL;
	if (hc->host[0] == '\0')
		snprintf(host, sizeof(host), "%u.%u.%u.%u:%u", t->addr >> 24, (t->addr >> 16) & 255,
			 (t->addr >> 8) & 255, t->addr & 255, (unsigned int)t->port);
	room = rte_pktmbuf_tailroom(m);
	n = snprintf(rte_pktmbuf_mtod(m, char *), room,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: meshgw-health\r\n"
		     "Connection: close\r\n\r\n",
		     hc->path, hc->host[0] ? hc->host : host);
	if (n < 0 || (size_t)n >= room) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	rte_pktmbuf_append(m, (uint16_t)n);
	return m;
}

/* Sends s->pending; a refusal other than "no room yet" ends the check. */
static void
send_pending(struct hc_slot *s)
{
	int rc = stk_conn_send(s->c, s->pending);

	if (rc == 0)
		s->pending = NULL;
	else if (rc != -EAGAIN)
		finish(s, false, GW_HC_CLOSED); /* `reset` usually came first */
}

static void
hc_connected(void *ctx, struct stk_conn *c)
{
	struct hc_slot *s = ctx;
	struct gw_health *h = s->h;
	struct hc_target *t;

	if (s->state != S_CONNECTING)
		return;
	s->c = c;
	t = &h->targets[s->target];
	if (conf_of(h, t)->type == CTL_HEALTH_TCP) {
		finish(s, true, GW_HC_OK);
		return;
	}
	s->pending = request(h, t);
	if (s->pending == NULL) {
		/* our shortage, not the endpoint's: no result, next time again */
		h->stats.request_errors++;
		t->slot = NONE;
		reschedule(h, t, t->next);
		slot_close(s);
		return;
	}
	s->state = S_WAITING;
	send_pending(s);
}

/* Copies what the status line needs from chain m. */
static void
take(struct hc_slot *s, const struct rte_mbuf *m)
{
	for (; m != NULL && s->nbuf < sizeof(s->buf); m = m->next) {
		uint32_t n = RTE_MIN((uint32_t)m->data_len, (uint32_t)(sizeof(s->buf) - s->nbuf));
		memcpy(s->buf + s->nbuf, rte_pktmbuf_mtod(m, const uint8_t *), n);
		s->nbuf = (uint8_t)(s->nbuf + n);
	}
}

static void
hc_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct hc_slot *s = ctx;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint16_t status = 0;
	int rc;

	if (s->state == S_WAITING)
		take(s, m);
	rte_pktmbuf_free(m);
	stk_conn_consumed(c, len); /* before finish(): its shutdown may end c */
	if (s->state != S_WAITING)
		return;
	rc = gw_health_parse_status(s->buf, s->nbuf, &status);
	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		finish(s, false, GW_HC_BAD_RESPONSE);
		return;
	}
	if (gw_health_status_ok(conf_of(s->h, &s->h->targets[s->target]), status))
		finish(s, true, GW_HC_OK);
	else
		finish(s, false, GW_HC_BAD_STATUS);
}

static void
hc_writable(void *ctx, struct stk_conn *c)
{
	struct hc_slot *s = ctx;

	(void)c;
	if (s->state == S_WAITING && s->pending != NULL)
		send_pending(s);
}

static void
hc_peer_closed(void *ctx, struct stk_conn *c)
{
	struct hc_slot *s = ctx;

	(void)c;
	if (s->state == S_WAITING)
		finish(s, false, s->nbuf ? GW_HC_BAD_RESPONSE : GW_HC_CLOSED);
}

static uint8_t
reset_reason(const struct hc_slot *s, int err)
{
	if (s->state != S_CONNECTING)
		return err == ETIMEDOUT ? GW_HC_TIMEOUT : GW_HC_RESET;
	if (err == ETIMEDOUT)
		return GW_HC_CONNECT_TIMEOUT;
	if (err == EHOSTUNREACH || err == ENETUNREACH)
		return GW_HC_UNREACHABLE;
	return GW_HC_CONNECT_REFUSED;
}

static void
hc_reset(void *ctx, struct stk_conn *c, int err)
{
	struct hc_slot *s = ctx;

	(void)c;
	if (s->state != S_CONNECTING && s->state != S_WAITING)
		return;
	conclude(s, false, reset_reason(s, err));
	rte_pktmbuf_free(s->pending);
	s->pending = NULL;
	s->state = S_DYING;
}

static void
hc_closed(void *ctx, struct stk_conn *c)
{
	struct hc_slot *s = ctx;

	(void)c;
	if (s->state == S_CONNECTING || s->state == S_WAITING)
		conclude(s, false, GW_HC_CLOSED);
	slot_free(s);
}

static const struct stk_tcp_ops hc_ops = {
	.connected = hc_connected,
	.data = hc_data,
	.writable = hc_writable,
	.peer_closed = hc_peer_closed,
	.reset = hc_reset,
	.closed = hc_closed,
};

/* ---- starting checks and timeouts ------------------------------------------- */

static void
start(struct gw_health *h, struct hc_target *t, uint64_t now)
{
	uint32_t ti = (uint32_t)(t - h->targets);
	struct stk_conn *c = NULL;
	struct hc_slot *s;
	int rc;

	/* a due check matters more than a polite close */
	if (h->n_free == 0 && !TAILQ_EMPTY(&h->closing))
		linger_abort(h);
	s = slot_alloc(h, ti);
	if (s == NULL) {
		h->stats.delayed++;
		reschedule(h, t, now + us_to_tsc(h, FULL_WAIT_MS * 1000ULL));
		return;
	}
	h->stats.started++;
	t->next = next_start(h, t, now);
	t->slot = (uint32_t)(s - h->slots);
	reschedule(h, t, now + us_to_tsc(h, conf_of(h, t)->timeout_us));
	/* the stack calls back only from input and timers, never from inside
	 * stk_tcp_connect: s is still ours when it returns */
	rc = stk_tcp_connect(h->stk, 0, t->addr, t->port, &hc_ops, s, &c);
	if (rc == 0) {
		s->c = c;
		return;
	}
	if (rc == -ENETUNREACH) {
		conclude(s, false, GW_HC_UNREACHABLE);
	} else {
		/* the stack's limits (table, ports), not the endpoint's fault */
		h->stats.local_errors++;
		t->slot = NONE;
		reschedule(h, t, t->next);
	}
	slot_free(s);
}

/* t's open check ran past its deadline. */
static void
expire(struct gw_health *h, struct hc_target *t)
{
	struct hc_slot *s = &h->slots[t->slot];

	finish(s, false, s->state == S_CONNECTING ? GW_HC_CONNECT_TIMEOUT : GW_HC_TIMEOUT);
}

void
gw_health_poll(struct gw_health *h, uint64_t now)
{
	h->now = now;
	if (!TAILQ_EMPTY(&h->closing))
		linger_expire(h, now);
	for (unsigned int i = 0; i < POLL_BUDGET && h->n_targets > 0; i++) {
		struct hc_target *t = &h->targets[h->heap[0]];
		if (t->due > now)
			return;
		if (t->slot != NONE)
			expire(h, t);
		else
			start(h, t, now);
	}
}

/* ---- snapshot changes ----------------------------------------------------------- */

static int
target_cmp(const void *a, const void *b)
{
	const struct hc_target *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The endpoints of mesh this worker checks, into h->spare, sorted. The
 * mesh is indexed by slot, with holes. */
static uint32_t
collect(struct gw_health *h, const struct gw_mesh *mesh)
{
	uint32_t n = 0;

	for (unsigned int ep = 0; mesh != NULL && ep < mesh->n_endpoints && n < h->cap; ep++) {
		if (!gw_mesh_has_endpoint(mesh, ep))
			continue;
		const struct gw_endpoint *e = &mesh->endpoints[ep];
		if (!gw_mesh_has_cluster(mesh, e->cluster))
			continue;
		const struct ctl_cluster_conf *cc = &mesh->clusters[e->cluster].conf;
		if (!cc->health.enabled)
			continue;
		uint64_t key = gw_health_key(cc->name, e->conf.addr, e->conf.port);
		if (h->n_workers > 1 && key % h->n_workers != h->worker_id)
			continue;
		struct hc_target *t = &h->spare[n++];
		memset(t, 0, sizeof(*t));
		t->key = key;
		t->addr = e->conf.addr;
		t->port = e->conf.port;
		t->ep = ep;
		t->cluster = e->cluster;
		t->slot = NONE;
		snprintf(t->name, sizeof(t->name), "%s", cc->name);
	}
	qsort(h->spare, n, sizeof(*h->spare), target_cmp);
	return n;
}

/* A target carried over keeps its schedule and open check; a new one
 * starts at a random point of its first interval. An idle schedule longer
 * than the new interval allows is pulled in. */
static void
carry(struct gw_health *h, struct hc_target *nt, const struct hc_target *ot, uint32_t ni,
      uint64_t now)
{
	const struct ctl_health_conf *hc = &h->mesh->clusters[nt->cluster].conf.health;
	uint64_t iv = us_to_tsc(h, hc->interval_us), j = us_to_tsc(h, hc->jitter_us);

	if (ot == NULL || (ot->slot == NONE && ot->due > now + iv + j)) {
		nt->next = nt->due = now + rnd(h) % (iv + 1);
		return;
	}
	nt->due = ot->due;
	nt->next = ot->next;
	nt->slot = ot->slot;
	if (nt->slot != NONE)
		h->slots[nt->slot].target = ni;
}

/* Old targets not in the new list: their open checks close, no result. */
static void
drop(struct gw_health *h, struct hc_target *ot)
{
	if (ot->slot != NONE)
		slot_close(&h->slots[ot->slot]);
	ot->slot = NONE;
}

void
gw_health_update(struct gw_health *h, const struct gw_mesh *mesh, uint64_t now)
{
	uint32_t n = collect(h, mesh), i = 0, j = 0;
	struct hc_target *tmp;

	h->now = now;
	h->mesh = mesh;
	while (i < n || j < h->n_targets) {
		int cmp = i == n	      ? 1
			  : j == h->n_targets ? -1
					      : target_cmp(&h->spare[i], &h->targets[j]);
		if (cmp < 0) {
			carry(h, &h->spare[i], NULL, i, now);
			i++;
		} else if (cmp > 0) {
			drop(h, &h->targets[j++]);
		} else {
			carry(h, &h->spare[i], &h->targets[j], i, now);
			i++;
			j++;
		}
	}
	tmp = h->targets;
	h->targets = h->spare;
	h->spare = tmp;
	h->n_targets = n;
	h->stats.targets = n;
	heap_build(h);
}

/* ---- life cycle -------------------------------------------------------------------- */

const struct gw_health_stats *
gw_health_get_stats(const struct gw_health *h)
{
	return &h->stats;
}

void
gw_health_free(struct gw_health *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; h->slots != NULL && i < h->max_checks; i++) {
		struct hc_slot *s = &h->slots[i];
		if (s->state == S_FREE)
			continue;
		rte_pktmbuf_free(s->pending);
		if (s->c != NULL)
			stk_conn_abort(s->c); /* no callbacks after this */
	}
	free(h->slots);
	free(h->free_slots);
	free(h->heap);
	free(h->targets);
	free(h->spare);
	free(h);
}

struct gw_health *
gw_health_create(struct stk_ctx *stk, struct rte_mempool *pool, unsigned int max_checks,
		 unsigned int worker_id, unsigned int n_workers, uint64_t hz,
		 gw_health_result_fn fn, void *arg)
{
	struct gw_health *h;
	uint32_t cap = GW_SLOTS_ENDPOINTS;

	if (stk == NULL || pool == NULL || fn == NULL || max_checks == 0 || max_checks > 65535 ||
	    n_workers == 0 || worker_id >= n_workers || hz == 0) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto nomem;
	*h = (struct gw_health){.stk = stk,
				.pool = pool,
				.fn = fn,
				.arg = arg,
				.worker_id = worker_id,
				.n_workers = n_workers,
				.hz = hz,
				.cap = cap,
				.max_checks = max_checks,
				.rng = hz ^ ((uint64_t)worker_id << 32) ^ (uintptr_t)h};
	TAILQ_INIT(&h->closing);
	/* the process heap, not the DPDK one: about 1 MB per worker of state
	 * only the checks touch, which the workers' mbuf and connection
	 * memory needs more (2 workers fit in -m 256) */
	h->targets = calloc(cap, sizeof(*h->targets));
	h->spare = calloc(cap, sizeof(*h->spare));
	h->heap = calloc(cap, sizeof(*h->heap));
	h->slots = calloc(max_checks, sizeof(*h->slots));
	h->free_slots = calloc(max_checks, sizeof(*h->free_slots));
	if (h->targets == NULL || h->spare == NULL || h->heap == NULL || h->slots == NULL ||
	    h->free_slots == NULL)
		goto nomem;
	for (uint32_t i = 0; i < max_checks; i++)
		h->free_slots[h->n_free++] = max_checks - 1 - i;
	return h;
nomem:
	gw_health_free(h);
	errno = ENOMEM;
	return NULL;
}

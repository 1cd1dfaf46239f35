/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_diag.c - echo, discard and source on the stack's TCP API, and what they
 * share with the tcp-probe client (gw_diag_probe.c): per-connection state,
 * senders of the pattern, the kick list, the life cycle (see gw_diag.h and
 * gw_diag_internal.h). Everything here runs on the owning worker, from
 * stack callbacks or from gw_diag_poll(); create/free run on the control
 * thread while the worker is stopped.
 *
 * Ownership of data: an mbuf the stack delivers is ours; we either hand it
 * back with stk_conn_send (echo) or free it, and only then tell the stack
 * the bytes are consumed, so unsent echo data keeps the peer's window shut.
 * A chain stk_conn_send refuses with -EAGAIN stays ours until `writable`.
 * The stack may call back from inside our calls to it (a send can complete
 * or fail a connection), so no callback here assumes it runs alone.
 */
#include "gw_diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "gw_diag_internal.h"

#define TS_OPT_LEN  12 /* the timestamp option as it travels (with two NOPs) */
#define KICK_BUDGET 64 /* kicked connections served per loop turn */

static const char *const app_names[GW_DIAG_N_APPS] = {"echo", "discard", "source", "probe"};

const char *
gw_diag_app_name(enum gw_diag_app a)
{
	return (unsigned int)a < GW_DIAG_N_APPS ? app_names[a] : "unknown";
}

struct gw_diag_app_stats *
gw_diag_app_stats_of(const struct diag_conn *dc)
{
	return &dc->d->stats.app[dc->app];
}

/* ---- per-connection state ------------------------------------------------ */

struct diag_conn *
gw_diag_conn_alloc(struct gw_diag *d, enum gw_diag_app app, struct stk_conn *c)
{
	struct diag_conn *dc;

	if (d->n_free == 0) {
		d->stats.app[app].refused++;
		return NULL;
	}
	dc = &d->conns[d->free_idx[--d->n_free]];
	memset(dc, 0, sizeof(*dc));
	dc->d = d;
	dc->c = c;
	dc->app = (uint8_t)app;
	dc->flags = DC_IN_USE;
	d->stats.app[app].connections++;
	d->stats.app[app].active++;
	return dc;
}

void
gw_diag_kick_add(struct diag_conn *dc)
{
	if (dc->flags & DC_KICKED)
		return;
	dc->flags |= DC_KICKED;
	dc->kick_round = dc->d->round;
	TAILQ_INSERT_TAIL(&dc->d->kicks, dc, kick);
}

static void
kick_del(struct diag_conn *dc)
{
	if (!(dc->flags & DC_KICKED))
		return;
	dc->flags &= ~DC_KICKED;
	TAILQ_REMOVE(&dc->d->kicks, dc, kick);
}

static void
spare_free(struct diag_conn *dc)
{
	if (dc->spare == NULL)
		return;
	rte_pktmbuf_free(dc->spare);
	dc->spare = NULL;
	dc->d->stats.mbufs_held--;
}

static void
held_free(struct diag_conn *dc)
{
	rte_pktmbuf_free(dc->held); /* walks ->next; accepts NULL */
	dc->held = NULL;
	dc->held_last = NULL;
	dc->d->stats.mbufs_held -= dc->held_segs;
	dc->held_segs = 0;
}

void
gw_diag_conn_free(struct diag_conn *dc)
{
	struct gw_diag *d = dc->d;

	kick_del(dc);
	held_free(dc);
	spare_free(dc);
	gw_diag_app_stats_of(dc)->active--;
	dc->flags = 0;
	dc->c = NULL;
	d->free_idx[d->n_free++] = (uint32_t)(dc - d->conns);
}

/* Payload per mbuf for a sender: one full segment, so the stack need not
 * split mbufs (the timestamp option takes its share of the MSS). */
uint16_t
gw_diag_chunk_size(const struct gw_diag *d, const struct stk_conn *c)
{
	struct stk_conn_info info;
	uint32_t n;

	memset(&info, 0, sizeof(info));
	stk_conn_get_info(c, &info);
	n = info.mss;
	if (info.timestamps && n > TS_OPT_LEN + GW_DIAG_CHUNK_MIN)
		n -= TS_OPT_LEN;
	return (uint16_t)RTE_MAX(RTE_MIN(n, (uint32_t)d->room), (uint32_t)GW_DIAG_CHUNK_MIN);
}

/* ---- echo backlog: received segments kept in order ------------------------ */

static void
held_append(struct diag_conn *dc, struct rte_mbuf *m)
{
	if (dc->held == NULL)
		dc->held = m;
	else
		dc->held_last->next = m;
	dc->held_last = rte_pktmbuf_lastseg(m);
	dc->held_segs += m->nb_segs;
	dc->d->stats.mbufs_held += m->nb_segs;
}

/* The first held segment as a chain of its own. */
static struct rte_mbuf *
held_pop(struct diag_conn *dc)
{
	struct rte_mbuf *m = dc->held;

	dc->held = m->next;
	if (dc->held == NULL)
		dc->held_last = NULL;
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	dc->held_segs--;
	dc->d->stats.mbufs_held--;
	return m;
}

static void
held_push_front(struct diag_conn *dc, struct rte_mbuf *m)
{
	m->next = dc->held;
	if (dc->held == NULL)
		dc->held_last = m;
	dc->held = m;
	dc->held_segs++;
	dc->d->stats.mbufs_held++;
}

/* ---- callbacks every application shares ---------------------------------- */

void
gw_diag_on_reset(void *ctx, struct stk_conn *c, int err)
{
	struct diag_conn *dc = ctx;

	(void)c;
	(void)err;
	gw_diag_app_stats_of(dc)->resets++;
}

void
gw_diag_on_closed(void *ctx, struct stk_conn *c)
{
	(void)c;
	gw_diag_conn_free(ctx);
}

static void
on_connected(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
}

static void
on_writable_none(void *ctx, struct stk_conn *c)
{
	(void)ctx;
	(void)c;
}

/* Reads and frees: discard, and what a source's peer sends it. */
static void
consume_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct diag_conn *dc = ctx;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	gw_diag_app_stats_of(dc)->bytes_in += len;
	rte_pktmbuf_free(m);
	stk_conn_consumed(c, len);
}

void
gw_diag_shut(struct diag_conn *dc)
{
	if (dc->flags & DC_SHUT)
		return;
	dc->flags |= DC_SHUT;
	stk_conn_shutdown(dc->c);
}

/* discard: the peer is done, so are we. */
static void
discard_peer_closed(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	(void)c;
	dc->flags |= DC_PEER_CLOSED;
	gw_diag_shut(dc);
}

/* ---- echo ------------------------------------------------------------------ */

/* Hands held segments to the stack one at a time until it refuses one, then
 * reopens the window by what it took. Once everything is sent and the peer
 * has closed, closes our side too. */
static void
echo_pump(struct diag_conn *dc)
{
	uint32_t sent = 0;
	int rc = 0;

	while (dc->held != NULL) {
		struct rte_mbuf *m = held_pop(dc);
		uint32_t len = m->data_len;

		if (len == 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		rc = stk_conn_send(dc->c, m);
		if (rc != 0) {
			held_push_front(dc, m);
			break;
		}
		sent += len;
	}
	if (sent > 0) {
		gw_diag_app_stats_of(dc)->bytes_out += sent;
		stk_conn_consumed(dc->c, sent);
	}
	if (rc == -EAGAIN) {
		dc->flags |= DC_BLOCKED;
		return;
	}
	if (rc != 0) { /* the connection cannot send any more: it is going away */
		held_free(dc);
		return;
	}
	if (dc->flags & DC_PEER_CLOSED)
		gw_diag_shut(dc);
}

static void
echo_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct diag_conn *dc = ctx;

	(void)c;
	gw_diag_app_stats_of(dc)->bytes_in += rte_pktmbuf_pkt_len(m);
	held_append(dc, m);
	if (!(dc->flags & DC_BLOCKED))
		echo_pump(dc);
}

static void
echo_writable(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	(void)c;
	dc->flags &= ~DC_BLOCKED;
	echo_pump(dc);
}

static void
echo_peer_closed(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	(void)c;
	dc->flags |= DC_PEER_CLOSED;
	if (!(dc->flags & DC_BLOCKED))
		echo_pump(dc); /* nothing held: shuts now; else when the backlog is out */
}

/* ---- senders of the pattern: source and the probe ---------------------------- */

static struct rte_mbuf *
pattern_mbuf(struct diag_conn *dc, uint32_t len)
{
	struct gw_diag *d = dc->d;
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);
	char *p;

	if (m == NULL) {
		gw_diag_app_stats_of(dc)->nomem++;
		return NULL;
	}
	stk_mbuf_priv(m)->flags = 0;
	p = rte_pktmbuf_append(m, (uint16_t)len);
	rte_memcpy(p, d->pattern + dc->off % GW_DIAG_PATTERN_LEN, len);
	return m;
}

/* Sends the stream from dc->off until the stack refuses an mbuf or, when
 * bounded, dc->left reaches 0. 0, -EAGAIN (`writable` follows), -ENOMEM
 * (kick later), or the send error (the connection is going away). */
int
gw_diag_pump_pattern(struct diag_conn *dc, bool bounded)
{
	while (!bounded || dc->left > 0) {
		uint32_t len =
			bounded ? (uint32_t)RTE_MIN(dc->left, (uint64_t)dc->chunk) : dc->chunk;
		struct rte_mbuf *m = dc->spare;
		int rc;

		if (m != NULL) {
			dc->spare = NULL; /* filled at off for this very len */
			dc->d->stats.mbufs_held--;
		} else if ((m = pattern_mbuf(dc, len)) == NULL) {
			return -ENOMEM;
		}
		rc = stk_conn_send(dc->c, m);
		if (rc == -EAGAIN) {
			dc->spare = m;
			dc->d->stats.mbufs_held++;
			return rc;
		}
		if (rc != 0) {
			rte_pktmbuf_free(m);
			return rc;
		}
		dc->off += len;
		dc->left -= bounded ? len : 0;
		gw_diag_app_stats_of(dc)->bytes_out += len;
	}
	return 0;
}

static void
source_fill(struct diag_conn *dc)
{
	if (dc->flags & DC_SHUT)
		return;
	if (gw_diag_pump_pattern(dc, false) == -ENOMEM)
		gw_diag_kick_add(dc);
}

static void
source_writable(void *ctx, struct stk_conn *c)
{
	(void)c;
	source_fill(ctx);
}

/* source stops when the peer closes: the peer is not reading any more. */
static void
source_peer_closed(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	dc->flags |= DC_PEER_CLOSED | DC_SHUT;
	kick_del(dc);
	spare_free(dc);
	stk_conn_close(c);
}

/* ---- listeners --------------------------------------------------------------- */

static int on_accepted(void *lctx, struct stk_conn *c);

/* Every table has every callback: the stack may copy a listener's ops to a
 * new connection before `accepted` gives it its own. */
static const struct stk_tcp_ops app_ops[GW_DIAG_N_APPS] = {
	[GW_DIAG_ECHO] = {.accepted = on_accepted,
			  .connected = on_connected,
			  .data = echo_data,
			  .writable = echo_writable,
			  .peer_closed = echo_peer_closed,
			  .reset = gw_diag_on_reset,
			  .closed = gw_diag_on_closed},
	[GW_DIAG_DISCARD] = {.accepted = on_accepted,
			     .connected = on_connected,
			     .data = consume_data,
			     .writable = on_writable_none,
			     .peer_closed = discard_peer_closed,
			     .reset = gw_diag_on_reset,
			     .closed = gw_diag_on_closed},
	[GW_DIAG_SOURCE] = {.accepted = on_accepted,
			    .connected = on_connected,
			    .data = consume_data,
			    .writable = source_writable,
			    .peer_closed = source_peer_closed,
			    .reset = gw_diag_on_reset,
			    .closed = gw_diag_on_closed},
	/* the probe's are in gw_diag_probe.c */
};

/* A source starts sending from gw_diag_poll(), once `accepted` has returned
 * and the connection is ours. */
static int
on_accepted(void *lctx, struct stk_conn *c)
{
	struct diag_listener *l = lctx;
	struct diag_conn *dc = gw_diag_conn_alloc(l->d, l->app, c);

	if (dc == NULL)
		return -ENOMEM;
	stk_conn_set_ops(c, &app_ops[l->app], dc);
	if (l->app == GW_DIAG_SOURCE) {
		dc->chunk = gw_diag_chunk_size(l->d, c);
		gw_diag_kick_add(dc);
	}
	return 0;
}

static enum gw_diag_app
app_of(enum ctl_listener_type t)
{
	switch (t) {
	case CTL_LSN_DISCARD:
		return GW_DIAG_DISCARD;
	case CTL_LSN_SOURCE:
		return GW_DIAG_SOURCE;
	case CTL_LSN_ECHO:
	default:
		return GW_DIAG_ECHO;
	}
}

int
gw_diag_start(struct gw_diag *d, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < d->n_listeners; i++) {
		struct diag_listener *l = &d->listeners[i];
		int rc = stk_tcp_listen(d->stk, l->conf->address, l->conf->port, &app_ops[l->app],
					l, &l->l);
		if (rc != 0) {
			snprintf(err, errlen, "listener '%s' on port %u: %s", l->conf->name,
				 (unsigned int)l->conf->port, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
gw_diag_unlisten(struct gw_diag *d)
{
	for (unsigned int i = 0; i < d->n_listeners; i++) {
		if (d->listeners[i].l != NULL)
			stk_tcp_unlisten(d->stk, d->listeners[i].l);
		d->listeners[i].l = NULL;
	}
}

void
gw_diag_stop(struct gw_diag *d)
{
	gw_diag_unlisten(d);
	for (uint32_t i = 0; i < d->n_conns; i++) {
		struct diag_conn *dc = &d->conns[i];
		if (!(dc->flags & DC_IN_USE))
			continue;
		gw_diag_probe_finish(dc, -ECANCELED);
		if (dc->c != NULL)
			stk_conn_abort(dc->c); /* no callbacks after this */
		gw_diag_conn_free(dc);
	}
}

unsigned int
gw_diag_poll(struct gw_diag *d, uint64_t now)
{
	unsigned int work = 0;
	struct diag_conn *dc;

	/* only what was kicked before this call: a refill that fails again
	 * waits for the next one */
	d->round++;
	while (work < KICK_BUDGET && (dc = TAILQ_FIRST(&d->kicks)) != NULL &&
	       dc->kick_round < d->round) {
		kick_del(dc);
		if (dc->app == GW_DIAG_SOURCE)
			source_fill(dc);
		else
			gw_diag_probe_fill(dc);
		work++;
	}
	return work + gw_diag_probe_expire(d, now);
}

/* ---- life cycle --------------------------------------------------------------- */

const struct gw_diag_stats *
gw_diag_get_stats(const struct gw_diag *d)
{
	return &d->stats;
}

static int
alloc_tables(struct gw_diag *d, uint32_t n, int socket)
{
	size_t len = GW_DIAG_PATTERN_LEN + d->room;

	d->conns = rte_zmalloc_socket("diag_conns", (size_t)n * sizeof(*d->conns),
				      RTE_CACHE_LINE_SIZE, socket);
	d->free_idx = rte_malloc_socket("diag_free", (size_t)n * sizeof(*d->free_idx), 0, socket);
	d->pattern = rte_malloc_socket("diag_pattern", len, RTE_CACHE_LINE_SIZE, socket);
	if (d->conns == NULL || d->free_idx == NULL || d->pattern == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < len; k++)
		d->pattern[k] = gw_diag_pattern_byte((uint32_t)(k % GW_DIAG_PATTERN_LEN));
	/* handed out from index 0 upwards */
	for (uint32_t i = 0; i < n; i++)
		d->free_idx[i] = n - 1 - i;
	d->n_conns = n;
	d->n_free = n;
	return 0;
}

struct gw_diag *
gw_diag_create(struct stk_ctx *stk, struct rte_mempool *pool, const struct ctl_config *conf,
	       int socket, gw_diag_done_fn done, void *done_arg)
{
	struct gw_diag *d = rte_zmalloc_socket("diag", sizeof(*d), RTE_CACHE_LINE_SIZE, socket);
	int rc;

	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->stk = stk;
	d->pool = pool;
	d->done = done;
	d->done_arg = done_arg;
	d->room = (uint16_t)(rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM);
	TAILQ_INIT(&d->kicks);
	d->n_listeners = conf->n_listeners;
	for (unsigned int i = 0; i < conf->n_listeners; i++)
		d->listeners[i] = (struct diag_listener){.d = d,
							 .app = app_of(conf->listeners[i].type),
							 .conf = &conf->listeners[i]};
	rc = alloc_tables(d, conf->tcp.max_conns, socket);
	if (rc != 0) {
		gw_diag_free(d);
		errno = -rc;
		return NULL;
	}
	return d;
}

void
gw_diag_free(struct gw_diag *d)
{
	if (d == NULL)
		return;
	for (uint32_t i = 0; d->conns != NULL && i < d->n_conns; i++) {
		if (d->conns[i].flags & DC_IN_USE) {
			held_free(&d->conns[i]);
			spare_free(&d->conns[i]);
		}
	}
	rte_free(d->conns);
	d->conns = NULL;
	rte_free(d->free_idx);
	d->free_idx = NULL;
	rte_free(d->pattern);
	d->pattern = NULL;
	rte_free(d);
}

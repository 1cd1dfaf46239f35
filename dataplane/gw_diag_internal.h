/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_diag_internal.h - what gw_diag.c (echo, discard, source, the life
 * cycle) and gw_diag_probe.c (tcp-probe) share; nothing else includes it.
 * Worker only, like the rest of gw_diag.
 */
#ifndef MESHGW_GW_DIAG_INTERNAL_H
#define MESHGW_GW_DIAG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_mbuf.h>

#include "gw_diag.h"

#define DC_IN_USE      (1u << 0)
#define DC_PEER_CLOSED (1u << 1) /* FIN received: no more data will come */
#define DC_SHUT	       (1u << 2) /* our FIN is queued (shutdown or close) */
#define DC_BLOCKED     (1u << 3) /* echo: the last send said -EAGAIN; wait for `writable` */
#define DC_KICKED      (1u << 4) /* on the kick list */

/* Per-connection state of an application. */
struct diag_conn {
	struct gw_diag *d;
	struct stk_conn *c;
	struct rte_mbuf *held; /* echo: segments not yet taken by the stack, in order */
	struct rte_mbuf *held_last;
	uint32_t held_segs;
	uint16_t chunk;		/* source/probe: payload bytes per mbuf */
	uint8_t app;		/* enum gw_diag_app */
	uint8_t flags;		/* DC_* */
	struct rte_mbuf *spare; /* source/probe: filled at `off`, refused by the last send */
	uint64_t off;		/* source/probe: stream offset of the next byte to send */
	uint64_t left;		/* probe: bytes still to send */
	uint64_t kick_round;	/* the gw_diag_poll() round it was kicked in */
	void *token;		/* probe: the caller's, until done() */
	struct gw_diag_probe *probe;
	TAILQ_ENTRY(diag_conn) kick;
};

TAILQ_HEAD(conn_list, diag_conn);

struct diag_listener {
	struct gw_diag *d;
	enum gw_diag_app app;
	const struct ctl_listener_conf *conf;
	struct stk_listener *l;
};

struct gw_diag {
	struct gw_diag_stats stats; /* first: cache aligned, read by the control thread */
	struct stk_ctx *stk;
	struct rte_mempool *pool;
	gw_diag_done_fn done;
	void *done_arg;
	uint16_t room; /* payload an mbuf of pool carries after its headroom */
	unsigned int n_listeners;
	struct diag_listener listeners[CTL_MAX_LISTENERS];
	struct conn_list kicks;	 /* source/probe connections to fill on the next poll */
	uint64_t round;		 /* gw_diag_poll() calls */
	struct diag_conn *conns; /* n_conns entries */
	uint32_t *free_idx;	 /* stack of free entries */
	uint32_t n_conns, n_free;
	struct diag_conn *probe; /* the probe's connection while its token is out */
	uint64_t probe_deadline; /* TSC */
	uint8_t *pattern;	 /* GW_DIAG_PATTERN_LEN + room bytes of the stream */
};

#define GW_DIAG_CHUNK_MIN 256 /* payload per mbuf for source and the probe, at least */

struct gw_diag_app_stats *gw_diag_app_stats_of(const struct diag_conn *dc);
/* A context for c (NULL for the probe until it connects), counted; NULL
 * when every context is taken (counted as refused). */
struct diag_conn *gw_diag_conn_alloc(struct gw_diag *d, enum gw_diag_app app, struct stk_conn *c);
/* Frees what dc holds and returns it to the free list. */
void gw_diag_conn_free(struct diag_conn *dc);
/* gw_diag_poll() fills dc on its next call. */
void gw_diag_kick_add(struct diag_conn *dc);
/* Our FIN after what is queued, once. */
void gw_diag_shut(struct diag_conn *dc);
/* Payload per mbuf: one full segment of c. */
uint16_t gw_diag_chunk_size(const struct gw_diag *d, const struct stk_conn *c);
/* Sends the pattern from dc->off until the stack refuses an mbuf or, when
 * bounded, dc->left reaches 0. 0, -EAGAIN (`writable` follows), -ENOMEM
 * (kick later), or the send error (the connection is going away). */
int gw_diag_pump_pattern(struct diag_conn *dc, bool bounded);
void gw_diag_on_reset(void *ctx, struct stk_conn *c, int err);
void gw_diag_on_closed(void *ctx, struct stk_conn *c);

/* gw_diag_probe.c */
void gw_diag_probe_fill(struct diag_conn *dc);
/* Reports err for dc's probe if it has not reported yet. */
void gw_diag_probe_finish(struct diag_conn *dc, int err);
/* The running probe's deadline: finishes and aborts it when due. Returns 1
 * when it did. */
unsigned int gw_diag_probe_expire(struct gw_diag *d, uint64_t now);

#endif /* MESHGW_GW_DIAG_INTERNAL_H */

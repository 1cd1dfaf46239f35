/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_alog.h - the L4 access log's path from a worker to the control thread:
 * one record per proxied (or refused) connection, taken from a per-worker
 * pool and queued on a per-worker ring (single producer, single consumer);
 * the control thread formats and writes them, then returns the records.
 * A full pool or ring drops the record and counts it: the worker never
 * waits and never allocates.
 */
#ifndef MESHGW_GW_ALOG_H
#define MESHGW_GW_ALOG_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

/* How a proxied connection ended. */
#define GW_ALOG_REASONS(X)                                                                         \
	X(CLOSED, "closed")			/* both sides closed normally */                   \
	X(CLIENT_RESET, "client_reset")		/* the client reset: upstream reset too */         \
	X(UPSTREAM_RESET, "upstream_reset")	/* the endpoint reset: client reset too */         \
	X(IDLE_TIMEOUT, "idle_timeout")		/* no data either way for idle_timeout */          \
	X(CONNECT_FAILED, "connect_exhausted")	/* every connect attempt failed */                 \
	X(NO_ENDPOINT, "no_endpoint")		/* nothing eligible (ejected, drained) */          \
	X(CB_CONNECTIONS, "cb_max_connections") /* refused by the circuit breaker */               \
	X(CB_PENDING, "cb_max_pending")		/* refused by the circuit breaker */               \
	X(POOL_FULL, "pool_full")		/* no proxy state left */                          \
	X(POLICY_DENIED, "policy_denied")	/* the service's authorization policy denied */    \
	X(UNKNOWN_SOURCE, "unknown_source")	/* identities declared, the source is not */       \
	X(ERROR, "error")			/* a leg could not take data (shut or failed) */   \
	X(SHUTDOWN, "shutdown")			/* the gateway stopped */

enum gw_alog_reason {
#define GW_ALOG_ENUM(e, s) GW_ALOG_##e,
	GW_ALOG_REASONS(GW_ALOG_ENUM)
#undef GW_ALOG_ENUM
		GW_ALOG_N_REASONS
};

const char *gw_alog_reason_name(enum gw_alog_reason r);

/* Flags of an HTTP request's line (bit i named by gw_alog_flag_name(i)). */
#define GW_ALOG_FLAGS(X)                                                                           \
	X(GENERATED, "generated")		/* the gateway answered (400..505) */              \
	X(UPSTREAM_RESET, "upstream_reset")	/* the endpoint reset or closed mid-response */    \
	X(UPSTREAM_TIMEOUT, "upstream_timeout") /* request_timeout or stream_idle_timeout */       \
	X(CONNECT_FAILED, "connect_failed")	/* every connect attempt failed */                 \
	X(HEADER_TIMEOUT, "header_timeout")	/* request_header_timeout */                       \
	X(PIPELINED, "pipelined")		/* arrived before the previous response ended */   \
	X(UPGRADE, "upgrade")			/* became a tunnel */                              \
	X(REUSED, "reused")			/* sent on a pooled upstream connection */         \
	X(CLIENT_RESET, "client_reset")		/* the client went away mid-request */             \
	X(RETRIED, "retried")			/* a route's retry policy sent it again */         \
	X(FAULT, "fault")			/* answered by fault injection */                  \
	X(POLICY_DENIED, "policy_denied")	/* 403: the policy denied (or unknown source) */   \
	X(POLICY_DRY_RUN, "policy_dry_run")	/* a dry-run policy would have denied it */

enum gw_alog_flag {
#define GW_ALOG_FLAG_ENUM(e, s) GW_ALOG_F_##e##_BIT,
	GW_ALOG_FLAGS(GW_ALOG_FLAG_ENUM)
#undef GW_ALOG_FLAG_ENUM
		GW_ALOG_N_FLAGS
};
#define GW_ALOG_F(e) (1u << GW_ALOG_F_##e##_BIT)
const char *gw_alog_flag_name(unsigned int bit);

enum gw_alog_kind { GW_ALOG_TCP, GW_ALOG_HTTP };

/* An HTTP request's part of a record (kind GW_ALOG_HTTP); strings are
 * NUL-terminated, truncated to fit. */
struct gw_alog_http {
	uint16_t status;
	uint8_t retries;
	uint32_t route; /* 1 + the route's slot; 0: none */
	uint32_t flags; /* GW_ALOG_F() bits */
	char method[16];
	char request_id[65];
	char trace_id[33];
	char authority[96];
	char path[192];
};

#define GW_ALOG_NO_CLUSTER 0xffff

struct gw_alog_rec {
	uint8_t kind; /* enum gw_alog_kind */
	uint64_t start_tsc, end_tsc;
	uint64_t bytes_up, bytes_down; /* to the endpoint, to the client */
	uint32_t caddr, vaddr;	       /* client leg: client -> VIP */
	uint32_t laddr, eaddr;	       /* upstream leg: gateway -> endpoint (0: none) */
	uint16_t cport, vport, lport, eport;
	uint16_t service, cluster; /* slots (GW_ALOG_NO_CLUSTER: answered locally) */
	uint8_t reason;		   /* enum gw_alog_reason */
	uint8_t attempts;
	uint16_t worker;
	struct gw_alog_http http; /* kind GW_ALOG_HTTP only */
};

struct gw_alog_q {
	struct rte_mempool *pool;
	struct rte_ring *ring;
	uint64_t drops; /* single writer: the worker */
};

/* Control thread: a queue of n records for worker w. 0 or -errno. */
int gw_alog_q_init(struct gw_alog_q *q, unsigned int w, unsigned int n, int socket);
/* Returns every queued record to the pool and frees both. */
void gw_alog_q_fini(struct gw_alog_q *q);

/* Worker: queues a copy of r (or counts a drop). */
static inline void
gw_alog_emit(struct gw_alog_q *q, const struct gw_alog_rec *r)
{
	void *obj;

	if (q->pool == NULL)
		return;
	if (rte_mempool_get(q->pool, &obj) != 0) {
		q->drops++;
		return;
	}
	*(struct gw_alog_rec *)obj = *r;
	if (rte_ring_sp_enqueue(q->ring, obj) != 0) {
		rte_mempool_put(q->pool, obj);
		q->drops++;
	}
}

#endif /* MESHGW_GW_ALOG_H */

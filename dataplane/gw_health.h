/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_health.h - active health checks on a worker, through the stack's TCP
 * API, and the small pure pieces around them.
 *
 * Each endpoint of a cluster with a health_check is checked by exactly one
 * worker: gw_health_owner() of (cluster name, address, port). A worker's
 * checker keeps a schedule per endpoint it owns (carried across snapshot
 * changes by that identity), starts due checks (interval +- jitter), at
 * most max_checks connections at once, and enforces each check's timeout.
 * A result goes to a callback the worker gives (typically a tagged value
 * on its event ring to the control thread, which runs the thresholds:
 * ctl_health.h). Nothing per check allocates (a fixed pool of check slots)
 * or logs.
 *
 * Threads: gw_health_create/free on any thread while the worker does not
 * run the checker; everything else on the owning worker only. The parser,
 * gw_health_owner, gw_health_status_ok, gw_health_reason_name and
 * gw_health_panic are pure and link without DPDK (gw_health_parse.c).
 */
#ifndef MESHGW_GW_HEALTH_H
#define MESHGW_GW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stk_ctx;
struct rte_mempool;
struct gw_mesh;
struct ctl_health_conf;

/* Why a check failed (GW_HC_OK: it did not). The names are metric labels. */
enum gw_health_reason {
	GW_HC_OK = 0,
	GW_HC_CONNECT_REFUSED, /* RST to our SYN (or ICMP unreachable) */
	GW_HC_CONNECT_TIMEOUT, /* no handshake within the timeout */
	GW_HC_UNREACHABLE,     /* no route or source address towards it */
	GW_HC_RESET,	       /* reset after the handshake */
	GW_HC_TIMEOUT,	       /* connected, but no status line within the timeout */
	GW_HC_BAD_STATUS,      /* a status not in expected_statuses */
	GW_HC_BAD_RESPONSE,    /* not an HTTP/1.x status line */
	GW_HC_CLOSED,	       /* the endpoint closed before a status line */
	GW_HC_REASON_MAX
};

/* "ok", "connect_refused", ...; "unknown" beyond the enum. */
const char *gw_health_reason_name(unsigned int reason);

/* ---- pure pieces (gw_health_parse.c) ----------------------------------- */

/* Bytes of a status line the checker needs: "HTTP/1.1 200" and the byte
 * after the code. */
#define GW_HC_STATUS_MIN 13

/*
 * Parses the start of an HTTP/1.x response: "HTTP/1.<d> <ddd>" then SP, CR
 * or LF. Every byte is untrusted; reads at most GW_HC_STATUS_MIN bytes of
 * buf. Returns the bytes consumed (GW_HC_STATUS_MIN) with *status set
 * (100..599), -EAGAIN when buf is a valid but short prefix, -EBADMSG when
 * it cannot become a status line.
 */
int gw_health_parse_status(const uint8_t *buf, size_t len, uint16_t *status);

/* Is status one of conf's expected_statuses? */
bool gw_health_status_ok(const struct ctl_health_conf *conf, uint16_t status);

/* The worker (0..n_workers-1) that checks endpoint addr:port of cluster
 * name (host order). Stable across reloads and the same on every thread. */
unsigned int gw_health_owner(const char *cluster, uint32_t addr, uint16_t port,
			     unsigned int n_workers);
/* The 64-bit hash under it (the checker's identity of an endpoint). */
uint64_t gw_health_key(const char *cluster, uint32_t addr, uint16_t port);

/* Panic threshold: with fewer than panic_threshold percent of a cluster's
 * endpoints healthy (and not ejected), balance over every endpoint instead
 * (Envoy's panic mode). panic_threshold 0 never panics; an empty cluster
 * does not panic (there is nothing to spread over). */
static inline bool
gw_health_panic(uint32_t total, uint32_t healthy, uint32_t panic_threshold)
{
	return total != 0 && (uint64_t)healthy * 100 < (uint64_t)total * panic_threshold;
}

/* Event ring values (worker -> control), next to gw_outlier_event's: real
 * commands are pointers (8-byte aligned), an outlier request ends in 1, a
 * health result in binary 010: (id << 16) | (reason << 8) | (ok << 4) | 2,
 * id being the endpoint's stable id. No allocation. */
_Static_assert(sizeof(uintptr_t) >= 8, "health events need 64-bit pointers");
static inline void *
gw_health_event(uint32_t id, bool ok, uint8_t reason)
{
	return (void *)(((uintptr_t)id << 16) | ((uintptr_t)reason << 8) | ((uintptr_t)ok << 4) |
			2u);
}
static inline bool
gw_health_is_event(const void *ev, uint32_t *id, bool *ok, uint8_t *reason)
{
	uintptr_t v = (uintptr_t)ev;

	if ((v & 7u) != 2u)
		return false;
	*id = (uint32_t)(v >> 16);
	*reason = (uint8_t)(v >> 8);
	*ok = (v >> 4) & 1u;
	return true;
}

/* ---- the checker (gw_health.c) ----------------------------------------- */

/* A result of endpoint slot ep_index of mesh (the one of the last
 * gw_health_update; slots are stable across reloads, so ep_index is the
 * endpoint's stable id); reason is GW_HC_OK when ok. Called from inside the
 * stack's callbacks or gw_health_poll; it must not call back into the
 * checker. */
typedef void (*gw_health_result_fn)(void *arg, const struct gw_mesh *mesh, unsigned int ep_index,
				    bool ok, uint8_t reason);

/* Per-worker counters: single writer (the worker), any reader. */
struct gw_health_stats {
	uint64_t started;		   /* checks started */
	uint64_t ok;			   /* results: success */
	uint64_t failed[GW_HC_REASON_MAX]; /* results: failure, by reason */
	uint64_t delayed;		   /* a due check waited: max_checks in flight */
	uint64_t local_errors;		   /* the stack refused the connect (table, ports) */
	uint64_t request_errors;	   /* no mbuf (or no room) for the request */
	uint64_t lingers_aborted;	   /* a finished check's close took too long: RST */
	uint64_t targets;		   /* gauge: endpoints this worker checks */
	uint64_t in_flight;		   /* gauge: connections open */
};

struct gw_health;

/* A checker for one worker. stk: the worker's stack; pool: mbufs for the
 * requests; max_checks: connections open at once (1..65535); hz: TSC rate.
 * NULL with errno set. */
struct gw_health *gw_health_create(struct stk_ctx *stk, struct rte_mempool *pool,
				   unsigned int max_checks, unsigned int worker_id,
				   unsigned int n_workers, uint64_t hz, gw_health_result_fn fn,
				   void *arg);
/* Aborts every open check (RST; no callbacks) and frees h. Accepts NULL.
 * Owning worker, or any thread once the worker stopped using its stack;
 * always before stk_free of that stack. */
void gw_health_free(struct gw_health *h);

/*
 * The worker switched to snapshot mesh (borrowed: valid until the next
 * update or free). Endpoints this worker owns in clusters with a
 * health_check are checked from now on; an endpoint that was checked before
 * keeps its schedule (and an open check) by identity (cluster name,
 * address, port); endpoints gone are no longer checked, their open checks
 * are closed without a result. mesh NULL: nothing is checked. New
 * endpoints get their first check at a random point within one interval,
 * so a start does not check everything at once. now: TSC.
 */
void gw_health_update(struct gw_health *h, const struct gw_mesh *mesh, uint64_t now);

/* Every loop turn, after stk_poll (the stack's clock must be now): starts
 * due checks and fails those past their timeout. Cheap when nothing is
 * due; does a bounded amount of work per call. */
void gw_health_poll(struct gw_health *h, uint64_t now);

/* Any thread: this checker's counters. */
const struct gw_health_stats *gw_health_get_stats(const struct gw_health *h);

#endif /* MESHGW_GW_HEALTH_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_diag.h - the built-in diagnostic services as small applications on the
 * stack's public TCP API (DESIGN: not part of the stack):
 *   echo     sends back every byte it receives, in order, with back-pressure:
 *            what the stack cannot take yet stays unconsumed, so the receive
 *            window closes instead of memory growing;
 *   discard  reads and frees everything;
 *   source   sends an endless deterministic byte stream (gw_diag_pattern_byte)
 *            until the peer closes;
 * and the tcp-probe test hook: the stack as a client, which connects, sends N
 * bytes of the same pattern, half-closes, and hashes what comes back.
 *
 * One struct gw_diag per worker, created with its stack context and owned by
 * that worker: every function but gw_diag_get_stats (any thread) and
 * create/free (control thread, worker stopped) runs on the worker. Each
 * worker listens on every configured listener; flow ownership decides which
 * worker a connection lands on. Per-connection state comes from a fixed
 * array of tcp.max_conns entries taken at creation: nothing is allocated
 * per connection on the fast path.
 */
#ifndef MESHGW_GW_DIAG_H
#define MESHGW_GW_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include <openssl/types.h>

#include "ctl_config.h"
#include "stk.h"

/* The stream `source` sends and tcp-probe sends: byte k of a connection's
 * stream is gw_diag_pattern_byte(k % GW_DIAG_PATTERN_LEN). The period is a
 * prime, so no misplaced segment can line up with a copy of itself. */
#define GW_DIAG_PATTERN_LEN 65521u
static inline uint8_t
gw_diag_pattern_byte(uint32_t k)
{
	uint32_t v = ((k % GW_DIAG_PATTERN_LEN) * 40503u + 12345u) % GW_DIAG_PATTERN_LEN;

	return (uint8_t)(v ^ (v >> 8));
}

enum gw_diag_app { GW_DIAG_ECHO, GW_DIAG_DISCARD, GW_DIAG_SOURCE, GW_DIAG_PROBE, GW_DIAG_N_APPS };

/* "echo", "discard", "source", "probe". */
const char *gw_diag_app_name(enum gw_diag_app a);

struct gw_diag_app_stats {
	uint64_t connections; /* accepted (probe: opened) */
	uint64_t active;      /* gauge: connections not yet closed */
	uint64_t bytes_in;    /* delivered by the stack */
	uint64_t bytes_out;   /* taken by stk_conn_send */
	uint64_t resets;      /* reset by the peer, or failed */
	uint64_t refused;     /* accepted while every context was taken: reset */
	uint64_t nomem;	      /* mbuf allocations that failed (source, probe) */
};

/* Single writer (the worker); any reader. */
struct gw_diag_stats {
	struct gw_diag_app_stats app[GW_DIAG_N_APPS];
	uint64_t mbufs_held; /* gauge: mbufs the applications hold (echo backlog, spares) */
} __rte_cache_aligned;

/* A tcp-probe run. The control thread fills the request and creates md (a
 * SHA-256 context); the worker connects, sends `bytes` of the pattern,
 * half-closes, feeds every received byte to md and fills the results; the
 * control thread finalises md once the command is back. */
struct gw_diag_probe {
	uint32_t daddr; /* host order */
	uint16_t dport;
	uint64_t bytes;
	uint64_t timeout_ms;
	EVP_MD_CTX *md;
	/* results (worker) */
	bool connected;
	uint64_t sent;
	uint64_t received;
	int err; /* 0, or -errno: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EBUSY, ... */
};

/* Called on the worker when a probe started with gw_diag_probe_start() has
 * finished; token is the caller's. */
typedef void (*gw_diag_done_fn)(void *arg, void *token);

struct gw_diag;

/* Control thread, before the worker runs: state for conf's listeners and
 * tcp.max_conns connections on socket. pool feeds source and the probe.
 * NULL + errno. */
struct gw_diag *gw_diag_create(struct stk_ctx *stk, struct rte_mempool *pool,
			       const struct ctl_config *conf, int socket, gw_diag_done_fn done,
			       void *done_arg);
/* After the worker stopped: frees the state and every mbuf it still holds.
 * Call after stk_free() (which may still report closed connections). Accepts NULL. */
void gw_diag_free(struct gw_diag *d);

/* Worker, at start: listens on every listener. 0, or -errno with err filled. */
int gw_diag_start(struct gw_diag *d, char *err, size_t errlen);
/* Worker: stops listening (SYNs to the listeners are reset from now on);
 * established connections go on. */
void gw_diag_unlisten(struct gw_diag *d);
/* Worker, at exit: aborts every connection (the peers get RSTs), finishes a
 * running probe with -ECANCELED, stops listening. */
void gw_diag_stop(struct gw_diag *d);
/* Worker, every loop turn: first fills of new source connections, refills
 * that failed for want of mbufs, the probe's deadline. Returns work done. */
unsigned int gw_diag_poll(struct gw_diag *d, uint64_t now);

/* Worker: starts probe p (borrowed until done(token) is called). 0, or
 * -EBUSY (a probe runs), -EINVAL, or stk_tcp_connect's error; on error done
 * is not called. now: TSC; hz: TSC rate. */
int gw_diag_probe_start(struct gw_diag *d, struct gw_diag_probe *p, void *token, uint64_t now,
			uint64_t hz);
/* Control thread: frees what a probe request owns (md). Accepts one never started. */
void gw_diag_probe_release(struct gw_diag_probe *p);

/* Any thread. */
const struct gw_diag_stats *gw_diag_get_stats(const struct gw_diag *d);

#endif /* MESHGW_GW_DIAG_H */

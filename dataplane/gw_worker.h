/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_worker.h - the dataplane runtime: ports, workers and their rings.
 *
 * Each worker lcore owns one rx and one tx queue on every port, its stack
 * context, its impairment instances and its counters. A frame received by a
 * worker that does not own its flow goes to the owner over the owner's
 * redirect ring (multi-producer, single consumer); ARP is handled where it
 * arrives and a copy goes to every other worker to learn from.
 * The control thread talks to a worker only through its command inbox
 * (single producer/consumer) and reads counters; completions come back on the
 * worker's event ring. Nothing on the fast path takes a lock.
 */
#ifndef MESHGW_GW_WORKER_H
#define MESHGW_GW_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "ctl_config.h"
#include "gw_diag.h"
#include "gw_health.h"
#include "gw_impair.h"
#include "gw_port.h"
#include "gw_proxy.h"
#include "gw_snapshot.h"
#include "stk.h"

/* Per-worker dataplane counters (single writer: the worker). */
struct gw_wstats {
	uint64_t rx_pkts; /* from the wire (after rx impairment) */
	uint64_t rx_bytes;
	uint64_t tx_pkts; /* accepted by the PMD */
	uint64_t tx_bytes;
	uint64_t tx_drops;	 /* PMD queue full */
	uint64_t redirected_out; /* handed to the owning worker */
	uint64_t redirected_in;
	uint64_t redirect_drops; /* owner's ring full */
	uint64_t arp_copies;	 /* ARP copies sent to other workers */
	uint64_t arp_copy_drops;
	uint64_t cmds;	      /* commands executed */
	uint64_t event_drops; /* event ring full: a completion lost, its caller times out */
	uint64_t loops;
	uint64_t busy_cycles; /* TSC cycles in loop turns that did work */
	uint64_t idle_cycles;
	uint64_t sleeps;
} __rte_cache_aligned;

enum gw_cmd_type {
	GW_CMD_NOP,	  /* round trip only */
	GW_CMD_ARP_DUMP,  /* copy the worker's ARP cache */
	GW_CMD_TCP_DUMP,  /* count the worker's matching TCP connections, copy some */
	GW_CMD_TCP_PROBE, /* open a test connection (worker keeps the command until done) */
	GW_CMD_DRAIN,	  /* stop accepting: unlisten every listener and VIP (SIGTERM) */
};

/* One row of `conns`: the stack's view, and the proxy's when it is a leg of
 * a proxied connection (leg.role GW_LEG_NONE otherwise). */
struct gw_conn_entry {
	struct stk_conn_info tcp;
	struct gw_proxy_leg leg;
};

/* A command travels control → worker on the inbox and back on the event
 * ring. The control thread allocates it and frees it only after it came
 * back; the worker writes only the result fields. */
struct gw_cmd {
	enum gw_cmd_type type;
	int rc;
	union {
		struct {
			struct stk_arp_entry *entries;
			unsigned int max;
			unsigned int n;
		} arp;
		/* the worker filters, counts every match and copies the
		 * first max, so the buffer is sized by the caller's limit */
		struct {
			struct gw_conn_entry *entries; /* room for max */
			unsigned int max;
			int state;	  /* enum stk_tcp_state, or -1 for any */
			int port;	  /* local or remote, or -1 for any */
			unsigned int n;	  /* copied: min(matched, max) */
			uint64_t matched; /* every connection that passed the filter */
		} conns;
		struct gw_diag_probe probe;
	};
	/* control thread only */
	bool done;
	bool abandoned;
};

struct gw_dp;

struct gw_worker {
	unsigned int id;
	unsigned int lcore;
	struct gw_dp *dp;
	struct stk_ctx *stk;
	struct gw_diag *diag;		   /* echo, discard, source, tcp-probe */
	struct gw_proxy *proxy;		   /* the L4 proxy on the service VIPs */
	struct gw_health *health;	   /* active health checks of the endpoints it owns */
	struct gw_tls_worker *tls;	   /* TLS state of its connections (ingress) */
	const struct gw_mesh *health_mesh; /* the mesh the checker was last given */
	struct gw_alog_q alog;		   /* access-log records to control (pool NULL: no log) */
	struct rte_mempool *pool;
	struct rte_ring *redirect; /* frames other workers hand to this one */
	struct rte_ring *inbox;	   /* commands from control */
	struct rte_ring *events;   /* completed commands (later: logs, health) back to control */
	struct gw_impair *imp_rx[STK_MAX_PORTS];
	struct gw_impair *imp_tx[STK_MAX_PORTS];
	uint8_t port_idx[RTE_MAX_ETHPORTS]; /* DPDK port id -> our index */
	uint64_t now;
	struct gw_wstats stats;
	/* mbufs the stack holds, by owner: published by the worker about every
	 * millisecond and before it sleeps (single writer, any reader) */
	struct stk_mbuf_usage usage;
	uint64_t usage_tsc;
	int running; /* set by the worker once in its loop */
	int failed;  /* -errno: the worker could not start (its listeners); it exited */
} __rte_cache_aligned;

struct gw_dp {
	const struct ctl_config *conf; /* the start-up config (borrowed, outlives dp) */
	unsigned int n_workers;
	unsigned int n_ports;
	struct gw_port ports[STK_MAX_PORTS];
	struct gw_worker *workers[STK_MAX_WORKERS];
	struct gw_snapmgr *snap;
	struct gw_slots *slots; /* stable ids across generations */
	/* per endpoint slot, written by the control thread (drain, ejection) */
	struct gw_ep_shared *ep_shared;
	uint64_t ejections, ejections_refused;	  /* control thread's counters */
	uint64_t outlier_next[GW_SLOTS_CLUSTERS]; /* TSC of each cluster's next review */
	uint64_t hz;
	/* control thread: a health check's result (the event ring's), for the
	 * thresholds; ep is the endpoint's slot. NULL: results are dropped. */
	void (*on_health)(void *arg, uint32_t ep, bool ok, uint8_t reason);
	void *on_health_arg;
	/* called by gw_dp_stop once the workers stopped, before they are freed
	 * (the access log's last records) */
	void (*on_stopped)(void *arg);
	void *on_stopped_arg;
	int stop;
	bool launched;
};

/* Sets up ports, pools, the first snapshot and the workers, and launches them.
 * After EAL init. 0, or -errno with a message in err; gw_dp_stop cleans up
 * whatever was built. */
int gw_dp_start(struct gw_dp *dp, const struct ctl_config *conf, char *err, size_t errlen);
/* Control thread: builds the next generation's snapshot from conf (whose
 * restart-only settings must be the running ones) and publishes it; the
 * snapshot owns conf from then on. 0, or -errno with err filled (conf still
 * the caller's): -EBUSY while the previous generation is not acknowledged
 * by every worker or too many old ones are still held by connections,
 * -ENOSPC out of slots, -ENOMEM, -EINVAL (a route table did not compile). */
int gw_dp_publish(struct gw_dp *dp, struct ctl_config *conf, char *err, size_t errlen);
/* Stops workers, closes ports, frees everything. Safe on a partly started dp. */
void gw_dp_stop(struct gw_dp *dp);
/* Ports started, every worker in its loop, the current snapshot acknowledged. */
bool gw_dp_ready(const struct gw_dp *dp);
/* A worker failed to start (it logged why): the daemon should stop. */
bool gw_dp_failed(const struct gw_dp *dp);

/* Control thread: frees a command (heap allocated) and what it owns: dump
 * buffers, a probe's digest context. Accepts NULL. */
void gw_cmd_free(struct gw_cmd *c);
/* Control thread: sends cmd to worker w. 0 or -ENOBUFS (inbox full). */
int gw_dp_cmd_send(struct gw_dp *dp, unsigned int w, struct gw_cmd *cmd);
/* Control thread: drains event rings, marking commands done (freeing abandoned ones). */
void gw_dp_poll_events(struct gw_dp *dp);
/* Control thread: waits up to timeout_ms until cmd, already sent, is done.
 * 0 or -ETIMEDOUT (cmd is then abandoned and freed later). Send to every
 * worker first, then wait: workers answer in parallel. */
int gw_dp_cmd_wait(struct gw_dp *dp, struct gw_cmd *cmd, unsigned int timeout_ms);
/* Control thread: sends cmd and waits up to timeout_ms for it. 0, -ETIMEDOUT
 * (cmd is then abandoned and freed later: the caller must not touch it),
 * or -ENOBUFS. cmd must be heap allocated (free it on 0 and -ENOBUFS). */
int gw_dp_cmd_call(struct gw_dp *dp, unsigned int w, struct gw_cmd *cmd, unsigned int timeout_ms);

#endif /* MESHGW_GW_WORKER_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_impair.h - port-level impairment: drop, duplicate, reorder and delay
 * packets, separately for rx and tx (this kernel has no netem; the TCP tests
 * depend on this). One instance per (worker, port, direction), owned by that
 * worker; no locks.
 *
 * Determinism: every decision comes from a PRNG seeded with the configured
 * seed mixed with `stream` (worker, port, direction), and one fixed number of
 * draws is made per packet, so the same seed and the same packet sequence give
 * the same decisions. Release times depend on the clock passed in.
 * Memory: held packets (delay, reorder) are bounded by queue_max; overflow is
 * dropped and counted.
 */
#ifndef MESHGW_GW_IMPAIR_H
#define MESHGW_GW_IMPAIR_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "ctl_config.h"

struct gw_impair;

struct gw_impair_stats {
	uint64_t in;	     /* packets offered */
	uint64_t out;	     /* packets released (duplicates included) */
	uint64_t dropped;    /* dropped on purpose */
	uint64_t duplicated; /* extra copies made */
	uint64_t reordered;  /* packets held back for reordering */
	uint64_t delayed;    /* packets that went through the delay queue */
	uint64_t overflow;   /* dropped because queue_max was reached */
	uint64_t nomem;	     /* duplicate not made: mempool empty */
	uint64_t held;	     /* packets held right now */
};

/* conf is copied. hz is the clock rate of the `now` values (TSC hz). NULL + errno. */
/* Errors: EINVAL (hz 0, queue_max over 2^30), ENOMEM. Probabilities outside
 * [0,1] are clamped; reorder_depth 0 or reorder_time_us 0 means that bound is
 * off, and with both off reordering is off. Memory for queue_max packets is
 * taken here, none per packet. */
struct gw_impair *gw_impair_create(const struct ctl_impair_dir *conf, uint64_t seed,
				   uint64_t stream, uint64_t hz, int socket);

/* Frees the instance and every mbuf it holds. Accepts NULL. */
void gw_impair_free(struct gw_impair *im);

/* True when the instance can change anything (some rate or delay is set). */
int gw_impair_active(const struct gw_impair *im);

/* `now` must not go backwards between calls: due times are kept in FIFO order.
 * A duplicate is never reordered itself, so it may overtake its held original.
 * Due packets left over because out was full count toward queue_max. */
/* Offers n packets (consumes them all) and returns, in out[0..ret), the
 * packets to pass on now, in order: undisturbed ones, duplicates, and held
 * packets that became due. At most max_out are returned; the rest stay queued
 * as due and come out on the next call. Duplicates are deep copies made from
 * the original's mempool. */
unsigned int gw_impair_apply(struct gw_impair *im, struct rte_mbuf **pkts, unsigned int n,
			     uint64_t now, struct rte_mbuf **out, unsigned int max_out);

/* Returns held packets that are due at `now` (at most max). */
unsigned int gw_impair_poll(struct gw_impair *im, uint64_t now, struct rte_mbuf **out,
			    unsigned int max);

/* Any thread: counters (single writer). Between calls,
 * in + duplicated == out + dropped + overflow + held. */
const struct gw_impair_stats *gw_impair_get_stats(const struct gw_impair *im);

#endif /* MESHGW_GW_IMPAIR_H */

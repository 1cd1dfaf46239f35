/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_lb.h - load-balancing algorithms for a cluster's endpoints: smooth
 * weighted round robin, weighted random, least connections (power of two
 * choices), Maglev and ring hash. Knows nothing of the proxy.
 *
 * Two halves:
 * - struct gw_lb: immutable once built. The control thread builds one per
 *   cluster (gw_lb_build) as part of a config snapshot; every worker reads it.
 * - a per-worker state (gw_lb_state_size bytes, 8-byte aligned, owned by one
 *   worker, no locks): the round-robin current weights and a PRNG. A state
 *   belongs to one gw_lb: when the snapshot changes, initialise a new one.
 * Picks never allocate, lock or log. Endpoints are named by their index in
 * the array given to gw_lb_build (the "caller index").
 *
 * The fixed hash: SipHash-2-4 (Aumasson and Bernstein, reference version:
 * the 16 key bytes are k0 = bytes 0-7 and k1 = bytes 8-15, little-endian;
 * the 64-bit result), with one ASCII key per use, all 16 bytes long:
 *     "meshgw.lb.offset"  Maglev offset of an endpoint key
 *     "meshgw.lb.skip.."  Maglev skip of an endpoint key
 *     "meshgw.lb.ring.."  ring hash point of a point key
 *     "meshgw.lb.flow.."  flow hashes (gw_lb_hash_source, gw_lb_hash_5tuple)
 *     "meshgw.lb.digest"  table digests (gw_lb_digest)
 * An endpoint's key is the string "a.b.c.d:port" (decimal, no leading
 * zeros, no terminating NUL), e.g. "10.0.0.1:8080"; ring points hash
 * "a.b.c.d:port_i" for i = 0, 1, ... Endpoints are ranked by their key
 * (byte-wise, as strcmp), and both hash tables are built in rank order, so
 * every gateway with the same set of (address, port, weight) builds the same
 * table whatever the order of the endpoints in its config.
 */
#ifndef MESHGW_GW_LB_H
#define MESHGW_GW_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_config.h"

#define GW_LB_MAX_ENDPOINTS CTL_MAX_CLUSTER_EPS /* ranks are 16 bits */
#define GW_LB_MAX_WEIGHT    10000
#define GW_LB_MAGLEV_SIZE   CTL_MAGLEV_TABLE_SIZE /* 65537, a prime */
#define GW_LB_MAX_RING	    (1u << 20)
/* A ring size that keeps 3 endpoints within +-5% of their share, also with
 * weights 1, 2, 3 (worst of 200 random address sets: 2.9% and 3.9%; 16384
 * gave 4.7% and 6.5%). About 10 bytes per point. */
#define GW_LB_RING_DEFAULT 32768

/* An endpoint as gw_lb_build takes it; host byte order. */
struct gw_lb_ep {
	uint32_t addr;
	uint16_t port;
	uint32_t weight; /* 1..GW_LB_MAX_WEIGHT */
};

struct gw_lb;

/*
 * Builds the balancer for n endpoints (n may be 0: every pick returns -1).
 * eps is read, not kept. Control thread only; memory from rte_malloc on `socket`
 * (SOCKET_ID_ANY allowed), so the EAL must be up.
 *   maglev: a table of GW_LB_MAGLEV_SIZE slots filled as in the Maglev paper
 *     (offset = h_offset % M, skip = h_skip % (M - 1) + 1; endpoints take
 *     turns in rank order, each turn taking the next free slot of its
 *     permutation; an endpoint takes a turn in proportion to its weight: it
 *     adds its weight to a credit and takes a turn whenever the credit
 *     reaches the largest weight, which is then subtracted).
 *   ring_hash: ring_size points shared out in proportion to weight (by
 *     cumulative rounding in rank order, at least one point per endpoint, so
 *     the ring may hold slightly more), sorted by (hash, rank).
 *     A share's relative spread is about 1/sqrt(points of that endpoint).
 *     Removing one of n endpoints moves its own keys (1/n) plus those taken
 *     by the points the others gain to keep the ring size (about 0.7/n
 *     more, as in Envoy); an ineligible endpoint moves only its own keys.
 * ring_size is ignored by other policies. NULL with errno: EINVAL (unknown
 * policy, n over GW_LB_MAX_ENDPOINTS, a weight of 0 or over the maximum,
 * ring_size 0 or over GW_LB_MAX_RING for ring_hash, the same address and
 * port twice for maglev or ring_hash), ENOMEM.
 */
struct gw_lb *gw_lb_build(enum ctl_lb_policy policy, const struct gw_lb_ep *eps, unsigned int n,
			  uint32_t ring_size, int socket);

/* Accepts NULL. Only after no worker can still read lb (grace period). */
void gw_lb_free(struct gw_lb *lb);

enum ctl_lb_policy gw_lb_policy(const struct gw_lb *lb);

/* Number of endpoints given to gw_lb_build. */
unsigned int gw_lb_count(const struct gw_lb *lb);

/* SipHash-2-4 ("meshgw.lb.digest") over the endpoints in rank order (address,
 * port, weight: 4, 2 and 4 bytes big-endian) followed by, for maglev, each
 * slot's rank (2 bytes big-endian) and, for ring_hash, each point's hash and
 * rank (8 and 2 bytes big-endian). Equal digests mean equal tables. 0 for
 * the other policies and for an empty cluster. */
uint64_t gw_lb_digest(const struct gw_lb *lb);

/* The Maglev table: *size slots, each the rank of an endpoint; NULL (and
 * *size 0) for other policies or no endpoints. Valid as long as lb. */
const uint16_t *gw_lb_maglev_table(const struct gw_lb *lb, uint32_t *size);

/* Points on the ring (0 for other policies). */
uint32_t gw_lb_ring_points(const struct gw_lb *lb);

/* Caller index of the endpoint of this rank, -1 when rank >= count. */
int gw_lb_rank_index(const struct gw_lb *lb, unsigned int rank);

/* Bytes of per-worker state for lb (a multiple of 8). */
size_t gw_lb_state_size(const struct gw_lb *lb);

/* Initialises (or resets) a worker's state for lb. Give each worker its own
 * seed (consecutive ones are fine) so their random choices differ. */
void gw_lb_state_init(const struct gw_lb *lb, void *state, uint64_t seed);

/*
 * Picks the caller index of an endpoint among those with eligible[i] true
 * (n bools; the caller folds in ejection, drain, locality tier and endpoints
 * already tried), or -1 when none is. Worker only; state is written.
 *   round_robin: nginx's smooth weighted round robin over the eligible
 *     endpoints (each adds its weight to its current weight, the largest wins,
 *     first on ties, and loses the eligible total); ineligible ones keep
 *     their current weight. O(n), like nginx.
 *   random: weighted among the eligible. O(log n) by drawing over all
 *     endpoints and redrawing a few times on an ineligible one, then an O(n)
 *     draw over the eligible ones only.
 *   least_conn: two weighted random eligible candidates, distinct unless only
 *     one is eligible; the lower active[i] / weight wins, the first on ties.
 *     active (n counts, this worker's active connections) is read only here.
 *   maglev: slot hash % GW_LB_MAGLEV_SIZE; while that slot's endpoint is
 *     ineligible, the next slot (wrapping), at most 256 slots; then the first
 *     eligible rank from hash % n upwards (wrapping).
 *   ring_hash: the first point whose hash is >= hash (wrapping), then
 *     clockwise past ineligible endpoints' points, at most 256 points; then
 *     the same rank fallback. O(log points).
 * The hashing policies ignore state and are deterministic in (hash, the
 * eligible set): the same flow goes to the same endpoint on every worker and
 * every gateway.
 */
int gw_lb_pick(const struct gw_lb *lb, void *state, const bool *eligible, const uint32_t *active,
	       uint64_t hash);

/* Flow hashes for maglev and ring_hash (hash_key source_ip / five_tuple):
 * SipHash-2-4 ("meshgw.lb.flow..") of the big-endian bytes of saddr, or of
 * saddr, sport, daddr, dport, proto (13 bytes). Arguments in host order. */
uint64_t gw_lb_hash_source(uint32_t saddr);
uint64_t gw_lb_hash_5tuple(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
			   uint8_t proto);

/* SipHash-2-4 of len bytes with a 16-byte key: the documented hash. */
uint64_t gw_lb_siphash(const uint8_t key[16], const void *data, size_t len);

#endif /* MESHGW_GW_LB_H */

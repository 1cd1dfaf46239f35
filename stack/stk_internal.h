/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_internal.h - the per-worker context and the helpers the stack's files
 * share. Stack-internal: nothing outside stack/ includes it (unit tests may).
 * Every function here runs on the worker that owns the context.
 */
#ifndef MESHGW_STK_INTERNAL_H
#define MESHGW_STK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "stk.h"

/* One neighbour cache entry; see stk_arp.c for the state machine. */
struct arp_entry {
	uint32_t ip;
	uint16_t port_idx;
	uint8_t state;	/* enum stk_arp_state */
	uint8_t probes; /* requests sent while INCOMPLETE */
	struct rte_ether_addr mac;
	uint32_t n_pending;
	uint64_t updated;    /* tsc of the last confirmation, or of creation */
	uint64_t deadline;   /* INCOMPLETE: next retry; STALE: next re-request; FAILED: expiry */
	uint32_t prev, next; /* live list, ARP_NIL terminated */
	struct rte_mbuf **pending; /* pending_max slots, datagrams with the IP header first */
};

#define ARP_NIL UINT32_MAX

struct stk_tcp;

struct stk_ctx {
	struct stk_conf conf;
	const struct stk_routes *routes;
	const struct stk_vips *vips;
	stk_icmp_err_fn icmp_err_fn;
	void *icmp_err_arg;

	uint64_t tsc_ms; /* TSC ticks per millisecond */

	/* tx buffering, flushed at STK_TX_BURST or by stk_flush */
	uint16_t tx_n[STK_MAX_PORTS];
	struct rte_mbuf *tx_buf[STK_MAX_PORTS][STK_TX_BURST];

	/* neighbour cache: rte_hash position == index into arp_entries */
	struct rte_hash *arp_hash;
	struct arp_entry *arp_entries;
	struct rte_mbuf **arp_pending; /* slab behind arp_entry.pending */
	uint32_t arp_n;		       /* live entries, at most conf.arp.cache_size */
	uint32_t arp_live;	       /* head of the live list */
	uint32_t arp_max_probes;
	uint64_t arp_retry_tsc, arp_reachable_tsc, arp_failed_tsc;
	uint64_t arp_tick_tsc, arp_next_tick;

	struct stk_tcp *tcp; /* NULL when conf.tcp.max_conns == 0 */

	struct stk_stats stats;
	struct stk_tcp_stats tcp_stats;
};

/* Frees m and counts why. */
static inline void
stk_drop(struct stk_ctx *ctx, struct rte_mbuf *m, enum stk_drop why)
{
	ctx->stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/* Can the first len bytes of m be rewritten without touching data another
 * mbuf (a clone, an indirect copy) still reads? */
static inline bool
stk_pkt_writable(const struct rte_mbuf *m, uint32_t len)
{
	return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 && rte_pktmbuf_data_len(m) >= len;
}

/* Is ip in addr/plen? */
static inline bool
stk_in_prefix(uint32_t ip, uint32_t addr, uint8_t plen)
{
	uint32_t mask = plen == 0 ? 0 : ~0u << (32 - plen);

	return ((ip ^ addr) & mask) == 0;
}

/* Ones' complement sum (folded, not inverted) of len bytes at off in m, over
 * any number of segments; -1 when they are not all there. DPDK 22.11's
 * rte_raw_cksum_mbuf truncates a segment's unfolded sum before swapping it
 * for an odd offset, which breaks on chains; this folds first. */
static inline int
stk_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if ((uint64_t)off + len > rte_pktmbuf_pkt_len(m))
		return -1;
	while (seg != NULL && off >= rte_pktmbuf_data_len(seg)) {
		off -= rte_pktmbuf_data_len(seg);
		seg = seg->next;
	}
	while (done < len && seg != NULL) {
		uint32_t n = RTE_MIN(rte_pktmbuf_data_len(seg) - off, len - done);
		uint16_t part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void *, off), n);

		/* a part starting at an odd offset has its bytes the other way round */
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		off = 0;
		seg = seg->next;
	}
	if (done != len)
		return -1;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	*cksum = (uint16_t)sum;
	return 0;
}

/* stk_flow.c: stk_rss_key converted for rte_softrss_be (rte_convert_rss_key). */
extern const uint32_t stk_rss_key_be[10];

/* stk_ctx.c */
void stk_tx_enqueue(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m);

/* stk_eth.c: prepends an Ethernet header (src = the port's MAC) and queues
 * the frame for tx. Consumes m; no headroom is counted as no_mbuf. */
void stk_eth_output(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m,
		    const struct rte_ether_addr *dst, uint16_t ether_type);

/* stk_arp.c */
int stk_arp_init(struct stk_ctx *ctx);
void stk_arp_fini(struct stk_ctx *ctx);
/* m starts with the Ethernet header. Consumes m. A learn_only copy is
 * invisible to the counters: the worker that got the original counts it. */
void stk_arp_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint64_t now,
		   bool learn_only);
/* Finds the MAC of ip on port_idx for the routed datagram m (IP header first).
 * Returns 0 with *mac filled (m untouched, the caller sends it), 1 when m was
 * queued until the neighbour answers, -errno when m was dropped (counted). */
int stk_arp_resolve(struct stk_ctx *ctx, uint16_t port_idx, uint32_t ip, struct rte_mbuf *m,
		    uint64_t now, struct rte_ether_addr *mac);
void stk_arp_poll(struct stk_ctx *ctx, uint64_t now);

/* stk_ipv4.c: m starts with the IP header. Consumes m. */
void stk_ipv4_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint64_t now);
/* Sends a routed datagram to a resolved MAC: counts ip_out, then eth output. */
void stk_ipv4_xmit(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m,
		   const struct rte_ether_addr *dst);

/* stk_icmp.c: m starts with a validated IP header of ihl bytes, trimmed to
 * the datagram's total length. Consumes m. */
void stk_icmp_input(struct stk_ctx *ctx, struct rte_mbuf *m, uint32_t ihl, uint64_t now);

/* stk_tcp_*.c: the entry points the rest of the stack calls. m starts with a
 * validated IP header of ihl bytes, trimmed to the datagram's length. */
int stk_tcp_init(struct stk_ctx *ctx);
void stk_tcp_fini(struct stk_ctx *ctx);
void stk_tcp_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint32_t ihl,
		   uint64_t now);
void stk_tcp_poll(struct stk_ctx *ctx, uint64_t now);
bool stk_tcp_icmp_error(struct stk_ctx *ctx, const struct stk_icmp_err *e);
/* mbufs held by the ARP queues (stk_arp.c), counted by segment */
uint64_t stk_arp_pending_mbufs(const struct stk_ctx *ctx);

#endif /* MESHGW_STK_INTERNAL_H */

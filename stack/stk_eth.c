/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_eth.c - Ethernet input and output, and frame ownership (which worker a
 * received frame belongs to). stk_input and stk_eth_output run on the owning
 * worker; stk_pkt_owner only reads the frame and the immutable conf.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_icmp.h>

#include "stk.h"
#include "stk_internal.h"

#define ICMP_DEST_UNREACH  3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP_HDR_LEN	   8
#define IP_FRAG_MASK	   (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)

static bool
learn_only(const struct rte_mbuf *m)
{
	/* a pool without our private area has no flags to read */
	if (m->priv_size < sizeof(struct stk_mbuf_priv))
		return false;
	return (stk_mbuf_priv((struct rte_mbuf *)(uintptr_t)m)->flags & STK_MF_LEARN_ONLY) != 0;
}

static void
eth_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint64_t now)
{
	const struct stk_port_info *port = &ctx->conf.ports[port_idx];
	const struct rte_ether_hdr *eh;
	enum stk_drop why;
	bool copy = false;

	/* the Ethernet header must sit in the first segment: it is stripped in place */
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
		ctx->stats.rx_pkts++;
		ctx->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		stk_drop(ctx, m, STK_DROP_ETH_SHORT);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) && unlikely(learn_only(m))) {
		/* another worker counted the original: stay silent; and clear the
		 * flag so a recycled mbuf never carries it into a real rx */
		stk_mbuf_priv(m)->flags &= ~STK_MF_LEARN_ONLY;
		copy = true;
	} else {
		ctx->stats.rx_pkts++;
		ctx->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
	}

	if (unlikely(rte_is_same_ether_addr(&eh->src_addr, &port->mac))) {
		why = STK_DROP_ETH_OWN_SRC;
		goto drop;
	}
	if (!rte_is_same_ether_addr(&eh->dst_addr, &port->mac) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		why = STK_DROP_ETH_NOT_OURS;
		goto drop;
	}
	switch (eh->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		rte_pktmbuf_adj(m, sizeof(*eh));
		stk_ipv4_input(ctx, port_idx, m, now);
		return;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		stk_arp_input(ctx, port_idx, m, now, copy);
		return;
	default:
		why = STK_DROP_ETH_TYPE;
		goto drop;
	}
drop:
	if (copy)
		rte_pktmbuf_free(m);
	else
		stk_drop(ctx, m, why);
}

void
stk_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n,
	  uint64_t now)
{
	if (unlikely(port_idx >= ctx->conf.n_ports)) {
		/* a port we were not configured with: nothing there is ours */
		for (unsigned int i = 0; i < n; i++) {
			ctx->stats.rx_pkts++;
			ctx->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
			stk_drop(ctx, pkts[i], STK_DROP_ETH_NOT_OURS);
		}
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		eth_input(ctx, port_idx, pkts[i], now);
	}
}

void
stk_eth_output(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m,
	       const struct rte_ether_addr *dst, uint16_t ether_type)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (unlikely(eh == NULL)) {
		stk_drop(ctx, m, STK_DROP_NOMEM);
		return;
	}
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&ctx->conf.ports[port_idx].mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ether_type);
	m->l2_len = sizeof(*eh);
	stk_tx_enqueue(ctx, port_idx, m);
}

/* ------------------------------------------------------------------ */
/* Ownership. Every read goes through rte_pktmbuf_read, so a short or
 * segmented frame is never over-read; anything we cannot classify belongs to
 * the receiving worker, whose input path drops and counts it. */

union hdr_buf {
	struct rte_ether_hdr eth;
	struct rte_ipv4_hdr ip;
	struct rte_icmp_hdr icmp;
	uint8_t raw[8];
	uint32_t ports; /* sport and dport, network order */
};

static unsigned int
owner_of(const struct stk_ctx *ctx, uint32_t saddr_be, uint32_t daddr_be, uint16_t sport_be,
	 uint16_t dport_be)
{
	uint32_t h = stk_flow_hash(rte_be_to_cpu_32(saddr_be), rte_be_to_cpu_32(daddr_be),
				   rte_be_to_cpu_16(sport_be), rte_be_to_cpu_16(dport_be));

	return stk_flow_owner(h, ctx->conf.n_workers);
}

/* The IPv4 header at off, if it is whole, unfragmented and its IHL fits the
 * frame. *ihl gets its length. */
static const struct rte_ipv4_hdr *
read_ip(const struct rte_mbuf *m, uint32_t off, union hdr_buf *buf, uint32_t *ihl)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_read(m, off, sizeof(*ip), buf);

	if (ip == NULL || (ip->version_ihl >> 4) != 4)
		return NULL;
	*ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (*ihl < sizeof(*ip) || off + *ihl > rte_pktmbuf_pkt_len(m))
		return NULL;
	if ((ip->fragment_offset & RTE_BE16(IP_FRAG_MASK)) != 0)
		return NULL;
	return ip;
}

/* Ports of a TCP/UDP header at off, 0 when absent. */
static int
read_ports(const struct rte_mbuf *m, uint32_t off, uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	union hdr_buf buf;
	const uint8_t *p;

	*sport = 0;
	*dport = 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	p = rte_pktmbuf_read(m, off, 4, &buf);
	if (p == NULL)
		return -EBADMSG;
	/* may sit at any offset of a segment: no 16-bit loads */
	memcpy(sport, p, sizeof(*sport));
	memcpy(dport, p + 2, sizeof(*dport));
	return 0;
}

/* ICMP errors go to the worker of the flow they quote: the inner datagram
 * left from our side, and the symmetric hash makes the direction moot. */
static int
icmp_owner(const struct stk_ctx *ctx, const struct rte_mbuf *m, uint32_t off,
	   const struct rte_ipv4_hdr *ip)
{
	const struct rte_ipv4_hdr *inner;
	union hdr_buf buf, ibuf;
	const uint8_t *type;
	uint16_t sport, dport;
	uint32_t ihl;

	type = rte_pktmbuf_read(m, off, 1, &buf);
	if (type == NULL)
		return (int)ctx->conf.worker_id;
	if (*type != ICMP_DEST_UNREACH && *type != ICMP_TIME_EXCEEDED &&
	    *type != ICMP_PARAM_PROBLEM && *type != ICMP_SOURCE_QUENCH)
		return (int)owner_of(ctx, ip->src_addr, ip->dst_addr, 0, 0);
	inner = read_ip(m, off + ICMP_HDR_LEN, &ibuf, &ihl);
	if (inner == NULL ||
	    read_ports(m, off + ICMP_HDR_LEN + ihl, inner->next_proto_id, &sport, &dport) != 0)
		return (int)ctx->conf.worker_id;
	return (int)owner_of(ctx, inner->src_addr, inner->dst_addr, sport, dport);
}

int
stk_pkt_owner(const struct stk_ctx *ctx, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	union hdr_buf ebuf, ibuf;
	uint16_t sport, dport;
	uint32_t ihl;

	if (ctx->conf.n_workers <= 1)
		return 0;
	eh = rte_pktmbuf_read(m, 0, sizeof(*eh), &ebuf);
	if (eh == NULL)
		return (int)ctx->conf.worker_id;
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return STK_OWNER_ALL;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return (int)ctx->conf.worker_id;
	ip = read_ip(m, sizeof(*eh), &ibuf, &ihl);
	if (ip == NULL)
		return (int)ctx->conf.worker_id;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return icmp_owner(ctx, m, sizeof(*eh) + ihl, ip);
	if (read_ports(m, sizeof(*eh) + ihl, ip->next_proto_id, &sport, &dport) != 0)
		return (int)ctx->conf.worker_id;
	return (int)owner_of(ctx, ip->src_addr, ip->dst_addr, sport, dport);
}

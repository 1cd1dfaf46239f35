/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_ipv4.c - IPv4 input (validation and local delivery) and output
 * (routing, header checksum, next-hop resolution). Owning worker only.
 *
 * meshgw is an endpoint, not a router: a datagram is either for one of our
 * addresses or dropped as not_local. Input checks run in a fixed order and
 * the first failing one names the drop.
 */
#include <errno.h>
#include <netinet/in.h>

#include "stk.h"
#include "stk_internal.h"

#define IP_FRAG_MASK (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)
#define IP_HDR_MAX   60

union ip_buf {
	struct rte_ipv4_hdr ip;
	uint8_t raw[IP_HDR_MAX];
};

static bool
cksum_ok(const struct stk_port_info *port, const struct rte_mbuf *m, uint32_t ihl)
{
	union ip_buf buf;
	const void *h;

	if (port->rx_ip_cksum) {
		switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
		case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		case RTE_MBUF_F_RX_IP_CKSUM_NONE: /* header integrity verified by the NIC */
			return true;
		case RTE_MBUF_F_RX_IP_CKSUM_BAD:
			return false;
		default: /* UNKNOWN: the NIC did not look */
			break;
		}
	}
	h = rte_pktmbuf_read(m, 0, ihl, &buf);
	return h != NULL && rte_raw_cksum(h, ihl) == 0xffff;
}

/* Sources no host may send from (RFC 1122 3.2.1.3), and our own addresses. */
static bool
bad_source(const struct stk_ctx *ctx, uint32_t src)
{
	if (src == 0 || src == UINT32_MAX || (src >> 24) == 127 || (src & 0xf0000000) == 0xe0000000)
		return true;
	return stk_local_addr(ctx, src) >= 0 || stk_is_vip(ctx, src);
}

/* Validates the datagram at the start of m and trims the Ethernet padding.
 * STK_DROP_MAX when it is for us; *ihl and *proto are then set. */
static enum stk_drop
validate(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint32_t *ihl, uint8_t *proto)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct rte_ipv4_hdr *ip;
	union ip_buf buf;
	uint32_t tot;

	ip = rte_pktmbuf_read(m, 0, sizeof(*ip), &buf);
	if (unlikely(ip == NULL))
		return STK_DROP_IP_SHORT;
	if (unlikely((ip->version_ihl >> 4) != 4))
		return STK_DROP_IP_VERSION;
	*ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (unlikely(*ihl < sizeof(*ip) || *ihl > len))
		return STK_DROP_IP_IHL;
	if (unlikely(!cksum_ok(&ctx->conf.ports[port_idx], m, *ihl)))
		return STK_DROP_IP_CKSUM;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < *ihl || tot > len))
		return STK_DROP_IP_LEN;
	/* frames shorter than 60 bytes come padded; padding spread over
	 * segments is beyond what trim can do and counted as a bad length */
	if (tot < len &&
	    (len - tot > UINT16_MAX || rte_pktmbuf_trim(m, (uint16_t)(len - tot)) != 0))
		return STK_DROP_IP_LEN;
	if (unlikely(ip->time_to_live == 0))
		return STK_DROP_IP_TTL;
	if (unlikely((ip->fragment_offset & RTE_BE16(IP_FRAG_MASK)) != 0))
		return STK_DROP_IP_FRAG; /* no reassembly (yet) */
	if (unlikely(bad_source(ctx, rte_be_to_cpu_32(ip->src_addr))))
		return STK_DROP_IP_SRC;
	if (stk_local_addr(ctx, rte_be_to_cpu_32(ip->dst_addr)) < 0 &&
	    !stk_is_vip(ctx, rte_be_to_cpu_32(ip->dst_addr)))
		return STK_DROP_NOT_LOCAL;
	*proto = ip->next_proto_id;
	return STK_DROP_MAX;
}

void
stk_ipv4_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint64_t now)
{
	enum stk_drop why;
	uint32_t ihl = 0;
	uint8_t proto = 0;

	why = validate(ctx, port_idx, m, &ihl, &proto);
	if (why != STK_DROP_MAX) {
		stk_drop(ctx, m, why);
		return;
	}
	ctx->stats.ip_in++;
	switch (proto) {
	case IPPROTO_ICMP:
		stk_icmp_input(ctx, m, ihl, now);
		return;
	case IPPROTO_TCP:
		if (ctx->tcp != NULL) {
			stk_tcp_input(ctx, port_idx, m, ihl, now);
			return;
		}
		stk_drop(ctx, m, STK_DROP_NO_SOCKET); /* TCP is off */
		return;
	case IPPROTO_UDP:
		stk_drop(ctx, m, STK_DROP_NO_SOCKET); /* no UDP sockets */
		return;
	default:
		stk_drop(ctx, m, STK_DROP_IP_PROTO);
		return;
	}
}

void
stk_ipv4_xmit(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m,
	      const struct rte_ether_addr *dst)
{
	ctx->stats.ip_out++;
	stk_eth_output(ctx, port_idx, m, dst, RTE_ETHER_TYPE_IPV4);
}

/* The header checksum: offloaded when the port can, else in software. */
static void
fill_cksum(const struct stk_port_info *port, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	   uint32_t ihl)
{
	ip->hdr_checksum = 0;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = ihl;
	if (port->tx_ip_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		m->ol_flags &= ~RTE_MBUF_F_TX_IP_CKSUM;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

int
stk_ip_output(struct stk_ctx *ctx, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_addr mac;
	struct rte_ipv4_hdr *ip;
	struct stk_nexthop nh;
	uint32_t ihl;
	int rc;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*ip))) {
		stk_drop(ctx, m, STK_DROP_IP_SHORT);
		return -EINVAL;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (unlikely((ip->version_ihl >> 4) != 4)) {
		stk_drop(ctx, m, STK_DROP_IP_VERSION);
		return -EINVAL;
	}
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (unlikely(ihl < sizeof(*ip) || ihl > rte_pktmbuf_data_len(m))) {
		stk_drop(ctx, m, STK_DROP_IP_IHL);
		return -EINVAL;
	}
	if (ctx->routes == NULL ||
	    stk_routes_lookup(ctx->routes, rte_be_to_cpu_32(ip->dst_addr), &nh) != 0 ||
	    nh.port_idx >= ctx->conf.n_ports) {
		stk_drop(ctx, m, STK_DROP_NO_ROUTE);
		return -ENETUNREACH;
	}
	fill_cksum(&ctx->conf.ports[nh.port_idx], m, ip, ihl);
	rc = stk_arp_resolve(ctx, nh.port_idx, nh.gw, m, now, &mac);
	if (rc < 0)
		return rc;
	if (rc == 0)
		stk_ipv4_xmit(ctx, nh.port_idx, m, &mac);
	return 0;
}

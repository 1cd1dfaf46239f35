/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_icmp.c - ICMP for a host: answers echo requests and hands errors about
 * our own TCP/UDP datagrams to the stack's TCP, then to the handler hook.
 * Owning worker only. ICMP has no checksum offload: every message is
 * checked in software.
 */
#include <netinet/in.h>

#include <rte_icmp.h>

#include "stk.h"
#include "stk_internal.h"

#define ICMP_HDR_LEN	   8
#define ICMP_DEST_UNREACH  3
#define ICMP_FRAG_NEEDED   4 /* code of ICMP_DEST_UNREACH carrying the next-hop MTU */
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ECHO_REPLY_TTL	   64

union inner_buf {
	struct rte_ipv4_hdr ip;
	uint8_t raw[8];
};

/* Turns the request in m into its reply and sends it through the routing
 * table like any other datagram. Consumes m. */
static void
echo_reply(struct stk_ctx *ctx, struct rte_mbuf *m, uint32_t ihl, uint32_t icmp_len, uint64_t now)
{
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint32_t src, dst;
	uint16_t sum = 0; /* the length was checked on input: the sum cannot fail */
	uint8_t tos;

	ctx->stats.icmp_echo_in++;
	if (!stk_pkt_writable(m, ihl + ICMP_HDR_LEN)) {
		/* shared with a clone, or headers split over segments: answer from a copy */
		struct rte_mbuf *c = rte_pktmbuf_copy(m, ctx->conf.pool, 0, UINT32_MAX);

		rte_pktmbuf_free(m);
		m = c;
		if (m == NULL || !stk_pkt_writable(m, ihl + ICMP_HDR_LEN)) {
			rte_pktmbuf_free(m);
			ctx->stats.drops[STK_DROP_NOMEM]++;
			return;
		}
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	src = ip->src_addr;
	dst = ip->dst_addr;
	tos = ip->type_of_service;
	/* the reply carries no options (RFC 1122 3.2.2.6 leaves them to us) */
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_adj(m, (uint16_t)(ihl - sizeof(*ip)));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + icmp_len));
	/* atomic datagram: DF set, so the ID carries nothing (RFC 6864) */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ECHO_REPLY_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->src_addr = dst;
	ip->dst_addr = src;

	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	stk_cksum_mbuf(m, sizeof(*ip), icmp_len, &sum);
	icmp->icmp_cksum = (uint16_t)~sum;

	m->ol_flags = 0; /* rx flags of the request mean nothing on tx */
	m->packet_type = 0;
	if (stk_ip_output(ctx, m, now) == 0)
		ctx->stats.icmp_echo_out++;
}

/* Parses the datagram an ICMP error quotes. STK_DROP_MAX when it is a
 * well-formed IPv4 header with 8 bytes after it that we sent. */
static enum stk_drop
parse_inner(const struct stk_ctx *ctx, const struct rte_mbuf *m, uint32_t off,
	    struct stk_icmp_err *e)
{
	const struct rte_ipv4_hdr *ip;
	union inner_buf buf;
	const uint8_t *l4;
	uint8_t l4buf[8];
	uint32_t ihl;

	ip = rte_pktmbuf_read(m, off, sizeof(*ip), &buf);
	if (ip == NULL || (ip->version_ihl >> 4) != 4)
		return STK_DROP_ICMP_ERR_INNER;
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	/* a non-first fragment quotes payload, not ports */
	if (ihl < sizeof(*ip) || (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return STK_DROP_ICMP_ERR_INNER;
	e->proto = ip->next_proto_id;
	e->saddr = rte_be_to_cpu_32(ip->src_addr);
	e->daddr = rte_be_to_cpu_32(ip->dst_addr);
	if (stk_local_addr(ctx, e->saddr) < 0 && !stk_is_vip(ctx, e->saddr))
		return STK_DROP_ICMP_ERR_INNER;
	l4 = rte_pktmbuf_read(m, off + ihl, sizeof(l4buf), l4buf);
	if (l4 == NULL)
		return STK_DROP_ICMP_ERR_INNER;
	if (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) {
		e->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		e->dport = (uint16_t)(l4[2] << 8 | l4[3]);
		e->seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 |
			 l4[7];
	}
	return STK_DROP_MAX;
}

static void
icmp_error(struct stk_ctx *ctx, struct rte_mbuf *m, uint32_t ihl, const struct rte_icmp_hdr *icmp)
{
	struct stk_icmp_err e = {.type = icmp->icmp_type, .code = icmp->icmp_code};
	enum stk_drop why;

	ctx->stats.icmp_errors_in++;
	if (e.type == ICMP_DEST_UNREACH && e.code == ICMP_FRAG_NEEDED)
		e.mtu = rte_be_to_cpu_16(icmp->icmp_seq_nb);
	why = parse_inner(ctx, m, ihl + ICMP_HDR_LEN, &e);
	if (why == STK_DROP_MAX) {
		/* only a transport can act on it, and only TCP/UDP have one: the
		 * stack's own TCP first, then the hook */
		bool claimed =
			(e.proto == IPPROTO_TCP || e.proto == IPPROTO_UDP) &&
			(stk_tcp_icmp_error(ctx, &e) ||
			 (ctx->icmp_err_fn != NULL && ctx->icmp_err_fn(ctx->icmp_err_arg, &e)));

		if (claimed) {
			rte_pktmbuf_free(m);
			return;
		}
		why = STK_DROP_ICMP_ERR_UNCLAIMED;
	}
	stk_drop(ctx, m, why);
}

void
stk_icmp_input(struct stk_ctx *ctx, struct rte_mbuf *m, uint32_t ihl, uint64_t now)
{
	uint32_t len = rte_pktmbuf_pkt_len(m) - ihl;
	const struct rte_icmp_hdr *icmp;
	struct rte_icmp_hdr buf;
	uint16_t sum;

	icmp = rte_pktmbuf_read(m, ihl, sizeof(*icmp), &buf);
	if (icmp == NULL) {
		stk_drop(ctx, m, STK_DROP_ICMP_SHORT);
		return;
	}
	if (stk_cksum_mbuf(m, ihl, len, &sum) != 0 || sum != 0xffff) {
		stk_drop(ctx, m, STK_DROP_ICMP_CKSUM);
		return;
	}
	switch (icmp->icmp_type) {
	case RTE_IP_ICMP_ECHO_REQUEST:
		echo_reply(ctx, m, ihl, len, now);
		return;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM:
		icmp_error(ctx, m, ihl, icmp);
		return;
	default: /* echo replies (we send no requests), source quench (RFC 6633), ... */
		stk_drop(ctx, m, STK_DROP_ICMP_TYPE);
		return;
	}
}

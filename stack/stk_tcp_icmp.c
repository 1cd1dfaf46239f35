/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_icmp.c - ICMP errors about our TCP segments (stk_icmp.c hands
 * them over): unreachable ends a connect in SYN-SENT, fragmentation needed
 * lowers the path MSS; both only for a quoted sequence number we may still
 * have in flight (RFC 5927 4.1, RFC 1122 4.2.3.9). Owning worker only.
 */
#include <errno.h>
#include <netinet/in.h>

#include "stk_tcp_internal.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED  4

static int
unreach_errno(uint8_t code)
{
	switch (code) {
	case 2: /* protocol */
	case 3: /* port */
		return ECONNREFUSED;
	case 0:	 /* net */
	case 6:	 /* net unknown */
	case 11: /* net for TOS */
		return ENETUNREACH;
	default:
		return EHOSTUNREACH;
	}
}

static void
pmtu_lower(struct stk_conn *c, uint16_t mtu)
{
	uint16_t mss;

	if (mtu == 0)
		return; /* an RFC 792 router: no MTU to go by */
	mss = (uint16_t)(RTE_MAX(mtu, (uint16_t)TCP_MIN_PMTU) - TCP_IP_HDR_LEN - TCP_HDR_LEN);
	if (mss >= c->port_mss)
		return;
	c->port_mss = mss;
	tcp_sync_mss(c);
	/* what was sent too big is lost: resend it smaller, cwnd untouched */
	if (c->snd_nxt != c->snd_una && c->state >= STK_TCP_ESTABLISHED) {
		c->snd_nxt = c->snd_una;
		c->flags &= ~TF_RTT_TIMING;
		tcp_output(c);
	}
}

bool
stk_tcp_icmp_error(struct stk_ctx *ctx, const struct stk_icmp_err *e)
{
	struct stk_tcp *t = ctx->tcp;
	struct stk_conn *c;

	if (t == NULL || e->proto != IPPROTO_TCP)
		return false;
	c = tcp_conn_lookup(t, e->saddr, e->daddr, e->sport, e->dport);
	if (c == NULL)
		return false;
	tcp_enter(t, t->now);
	/* only a datagram we may still have in flight can be quoted (4.1) */
	if (!seq_ge(e->seq, c->snd_una) || !seq_lt(e->seq, c->snd_max) ||
	    c->state == STK_TCP_TIME_WAIT || c->state == STK_TCP_CLOSED) {
		ctx->stats.drops[STK_DROP_TCP_ICMP_IGNORED]++;
	} else if (e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED) {
		pmtu_lower(c, e->mtu);
	} else if (e->type == ICMP_DEST_UNREACH && c->state == STK_TCP_SYN_SENT) {
		/* a hard error for a connect (RFC 5461: soft once established) */
		TCP_INC(ctx, attempt_fails);
		tcp_conn_done(c, unreach_errno(e->code));
	} else {
		ctx->stats.drops[STK_DROP_TCP_ICMP_IGNORED]++; /* soft error */
	}
	tcp_leave(t);
	return true;
}

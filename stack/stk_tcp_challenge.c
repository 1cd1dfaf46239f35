/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_challenge.c - RFC 5961 challenge ACKs: the answer to a RST in the
 * window but not at rcv_nxt, to a SYN in a synchronized state and to an ACK
 * below what the peer can have seen. A blind attacker who guessed a window
 * gets nothing from them; the real peer learns where we are and answers a
 * RST at exactly rcv_nxt if it meant it. Owning worker only.
 *
 * Each one costs a segment, so a worker sends at most
 * tcp.challenge_ack_limit of them per second (RFC 5961 7, Linux's
 * tcp_challenge_ack_limit, 1000 by default); 0 sends none (the segments
 * are still dropped). The budget is refilled whole at each second of the
 * worker's clock, not randomised as Linux does since 4.7: that leaves the
 * per-host counter side channel of CVE-2016-5696 open to an off-path peer
 * who can also open connections to us, at the rate limit, in exchange for
 * a limit an operator can reason about.
 */
#include "stk_tcp_internal.h"

#define US_PER_S 1000000

/* Takes one from this second's budget; false when it is spent. */
static bool
take(struct stk_tcp *t)
{
	uint64_t sec = tcp_now_us(t) / US_PER_S + 1; /* + 1: 0 means never */

	if (sec != t->chack_sec) {
		t->chack_sec = sec;
		t->chack_left = t->conf.challenge_ack_limit;
	}
	if (t->chack_left == 0)
		return false;
	t->chack_left--;
	return true;
}

bool
tcp_challenge_ack(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);

	if (!take(t)) {
		TCP_INC(c->ctx, challenge_acks_limited);
		return false;
	}
	TCP_INC(c->ctx, challenge_acks);
	tcp_send_ack(c);
	return true;
}

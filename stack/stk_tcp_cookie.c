/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_cookie.c - SYN cookies (RFC 4987 3.6, in the way Linux makes
 * them): when a listener's backlog or the connection table is full, the
 * SYN-ACK's ISN carries what the handshake agreed under a MAC, so nothing is
 * kept until the peer's ACK brings it back. Owning worker only.
 *
 * The ISN: the top 29 bits are SipHash under the worker's secret of the
 * 4-tuple, the peer's ISN, the time slot (64 s), the MSS index and the
 * timestamp options; the low 3 bits are the MSS index into a table of
 * common values (the largest not above the peer's MSS). Linux carries the
 * slot in the ISN instead; here a check tries the current slot and the one
 * before (two hashes, not one) and all 29 bits are MAC. A cookie lives 64 to
 * 128 s (Linux: about 2 minutes).
 *
 * With timestamps, the low 6 bits of our TSval carry the peer's window
 * scale (0xf: none), SACK-permitted and ECN (never set: we do not offer
 * ECN), as Linux's cookie_init_timestamp() does; the ACK echoes them in
 * TSecr. They are part of the MAC (Linux trusts them once the ISN checks
 * out), so an altered echo fails the check. A cookie made with timestamps
 * wants them on the ACK too (RFC 7323 3.2: once negotiated, every segment
 * carries them); without timestamps a cookie keeps only the MSS, as the
 * SYN-ACK then offers neither window scaling nor SACK.
 */
#include <errno.h>
#include <string.h>

#include <rte_random.h>

#include "stk_tcp_internal.h"

#define MSS_BITS    3
#define MSS_MASK    ((1u << MSS_BITS) - 1)
#define TSO_MASK    0x3fu /* option bits in the low end of our TSval */
#define TSO_WS_MASK 0x0fu
#define TSO_WS_NONE 0x0fu
#define TSO_SACK    0x10u
#define TSO_ECN	    0x20u
#define TSO_NO_TS   0xffu /* in the MAC: the cookie was made without timestamps */

/* Common MSS values (IPv4): Linux's 536, 1300, 1440 and 1460, tunnels and
 * IPv6-sized paths, jumbo frames; 64 for peers below 536 (our floor). */
static const uint16_t mss_table[1u << MSS_BITS] = {64, 536, 1220, 1300, 1400, 1440, 1460, 8960};

struct mac_in {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t peer_isn;
	uint32_t slot;
	uint8_t mss_idx, tso;
	uint8_t zero[2];
};

void
tcp_cookie_init(struct stk_tcp *t)
{
	t->cookie_key[0] = rte_rand();
	t->cookie_key[1] = rte_rand();
}

void
stk_tcp_test_cookie_key(struct stk_ctx *ctx, uint64_t k0, uint64_t k1)
{
	ctx->tcp->cookie_key[0] = k0;
	ctx->tcp->cookie_key[1] = k1;
}

static uint32_t
slot_now(const struct stk_tcp *t)
{
	return (uint32_t)(tcp_now_us(t) / TCP_COOKIE_SLOT_US);
}

/* The ISN for (idx, tso) in slot: MAC in the top bits, idx in the low. */
static uint32_t
cookie_isn(const struct stk_tcp *t, const struct tcp_seg *s, uint32_t peer_isn, uint32_t slot,
	   unsigned int idx, uint8_t tso)
{
	struct mac_in in;

	memset(&in, 0, sizeof(in));
	/* the SYN and the ACK both come from the peer: local is the destination */
	in.laddr = s->daddr;
	in.raddr = s->saddr;
	in.lport = s->dport;
	in.rport = s->sport;
	in.peer_isn = peer_isn;
	in.slot = slot;
	in.mss_idx = (uint8_t)idx;
	in.tso = tso;
	return ((uint32_t)tcp_siphash(t->cookie_key, &in, sizeof(in)) & ~MSS_MASK) | idx;
}

static unsigned int
mss_index(uint16_t mss)
{
	unsigned int i = RTE_DIM(mss_table) - 1;

	while (i > 0 && mss_table[i] > mss)
		i--;
	return i;
}

/* Our TSval now, for the 4-tuple, with the option bits in its low end and
 * never ahead of the clock (the connection's later TSvals must not go back). */
static uint32_t
cookie_tsval(const struct stk_tcp *t, const struct tcp_seg *s, uint8_t tso)
{
	uint32_t now = (uint32_t)(tcp_now_us(t) / 1000) +
		       tcp_ts_offset(s->daddr, s->saddr, s->dport, s->sport);
	uint32_t v = (now & ~TSO_MASK) | tso;

	if (seq_gt(v, now))
		v -= TSO_MASK + 1;
	return v;
}

uint32_t
tcp_cookie_make(struct stk_tcp *t, const struct tcp_seg *s, struct tcp_cookie *ck, uint32_t *tsval)
{
	const struct stk_tcp_conf *tc = &t->conf;
	const struct tcp_opts *o = &s->opts;
	uint16_t peer_mss = (o->flags & TCP_OPT_F_MSS) ? o->mss : TCP_DEFAULT_MSS;
	unsigned int idx = mss_index(peer_mss);
	uint8_t tso = TSO_NO_TS;

	memset(ck, 0, sizeof(*ck));
	ck->mss = mss_table[idx];
	if (tc->opt_timestamps && (o->flags & TCP_OPT_F_TS)) {
		ck->flags = TCP_OPT_F_TS;
		tso = TSO_WS_NONE;
		if (tc->opt_wscale && (o->flags & TCP_OPT_F_WSCALE)) {
			ck->flags |= TCP_OPT_F_WSCALE;
			ck->wscale = (uint8_t)RTE_MIN(o->wscale, (uint8_t)TCP_MAX_WSCALE);
			tso = ck->wscale;
		}
		if (tc->opt_sack && (o->flags & TCP_OPT_F_SACKOK)) {
			ck->flags |= TCP_OPT_F_SACKOK;
			tso |= TSO_SACK;
		}
		*tsval = cookie_tsval(t, s, tso);
	}
	return cookie_isn(t, s, s->seq, slot_now(t), idx, tso);
}

/* The options the low bits of an echoed TSval stand for; false when no
 * SYN-ACK of ours could have carried them. */
static bool
tso_decode(uint8_t tso, struct tcp_cookie *ck)
{
	if (tso & TSO_ECN)
		return false;
	ck->flags = TCP_OPT_F_TS;
	if ((tso & TSO_WS_MASK) != TSO_WS_NONE) {
		if ((tso & TSO_WS_MASK) > TCP_MAX_WSCALE)
			return false;
		ck->flags |= TCP_OPT_F_WSCALE;
		ck->wscale = tso & TSO_WS_MASK;
	}
	if (tso & TSO_SACK)
		ck->flags |= TCP_OPT_F_SACKOK;
	return true;
}

/* Was isn made for s in this slot or the one before, with these options? */
static bool
mac_ok(const struct stk_tcp *t, const struct tcp_seg *s, uint32_t isn, uint8_t tso)
{
	uint32_t slot = slot_now(t);

	for (uint32_t age = 0; age < 2 && age <= slot; age++)
		if (cookie_isn(t, s, s->seq - 1, slot - age, isn & MSS_MASK, tso) == isn)
			return true;
	return false;
}

int
tcp_cookie_check(struct stk_tcp *t, const struct tcp_seg *s, struct tcp_cookie *ck)
{
	uint32_t isn = s->ack - 1;

	memset(ck, 0, sizeof(*ck));
	if ((s->flags & (TCP_ACK | TCP_SYN | TCP_RST)) != TCP_ACK)
		return -EBADMSG;
	ck->mss = mss_table[isn & MSS_MASK];
	if (t->conf.opt_timestamps && (s->opts.flags & TCP_OPT_F_TS)) {
		uint8_t tso = (uint8_t)(s->opts.tsecr & TSO_MASK);

		if (tso_decode(tso, ck) && mac_ok(t, s, isn, tso))
			return 0;
		ck->flags = 0;
		ck->wscale = 0;
	}
	/* made without timestamps (a peer may add them to the ACK alone:
	 * RFC 7323 3.2 has them ignored then) */
	if (mac_ok(t, s, isn, TSO_NO_TS))
		return 0;
	memset(ck, 0, sizeof(*ck));
	return -EBADMSG;
}

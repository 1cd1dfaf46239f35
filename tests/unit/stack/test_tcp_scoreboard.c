/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_scoreboard.c - the sender's SACK scoreboard (stk_tcp_sack.c) and
 * the SACK recovery built on it (RFC 6675 with PRR, RFC 6937).
 *
 * The scoreboard itself, on a connection with 50 segments of 1000 bytes in
 * flight whose sequence numbers wrap at 20,499 bytes in: merging blocks
 * that touch, overlap or come unsorted, the bytes newly SACKed, trimming by
 * the cumulative ACK (also through the stack), an ACK stopping at SACKed
 * data taken as reneging, D-SACKs of both forms, invalid blocks counted,
 * the 32-range limit keeping the highest ranges; IsLost's edge by bytes and
 * by ranges with dupthresh 3 and 5; pipe with HighRxt below, inside and
 * above the lost holes; NextSeg's rules 1 and 3 from HighRxt; skipping
 * SACKed data.
 *
 * Through the stack, a scripted receiver that ACKs every segment with SACK
 * blocks as RFC 2018 says (the latest arrival's block first, then the
 * highest) and loses the transmissions a script names, in a 200-segment bulk
 * transfer: four losses in one window make exactly one recovery in which
 * each lost segment is sent again once and nothing SACKed is; PRR sends
 * ssthresh / RecoverFS of what is delivered, the window is never overrun
 * and cwnd is ssthresh at the end. A path that loses everything for a
 * while (the retransmissions too) ends in a timeout whose go-back sends
 * only what the peer lacks. By hand on 20 segments: a full ACK sets cwnd to
 * ssthresh from above it; a lost hole goes before new data; a tail hole not
 * yet lost goes one segment per room in the window (rule 3); data the peer
 * SACKed and then discarded (reneging, RFC 2018 8) is sent again after a
 * timeout; no tail loss probe inside a recovery.
 */
#include "ut_tcp.h"

#define MSS   1000
#define NSEG  200
#define TOTAL (NSEG * MSS)
#define QMAX  4096

static struct stk_conn *c;
static uint32_t una; /* the connection's first data byte */

/* ------------------------------------------------------------------ */
/* The connection                                                       */

static struct ut_peer p;

/* Passive open with the peer's MSS 1000, window scale 13 (a window of
 * 800 KiB), SACK-permitted, no timestamps; our ISN is isn. */
static void
open_conn(uint32_t isn)
{
	uint8_t o[40];

	ut.conf.tcp.opt_timestamps = false;
	ut.conf.tcp.snd_buf = 4u << 20;
	ut_tcp_restart();
	stk_tcp_test_fix_isn(ut.ctx, isn);
	memset(&p, 0, sizeof(p));
	p.wnd = 100;
	ut_passive_open_opts(&p, o, ut_opts(o, MSS, 13, true, false, 0, 0));
	p.wnd = 100; /* << 13 */
	c = app.c;
	assert_true(c->flags & TF_SACK);
	assert_false(c->flags & TF_TS);
	assert_int_equal(tcp_seg_mss(c), MSS);
	assert_int_equal(c->dupthresh, TCP_DUPTHRESH);
	una = c->snd_una;
	assert_int_equal(una, isn + 1);
	ut_tx_clear();
}

static uint32_t
U(int32_t off)
{
	return una + (uint32_t)off;
}

/* The scoreboard tests: 50 segments sent at once, nothing acked. The
 * sequence numbers wrap 20,499 bytes after una. */
static int
sb_setup(void **state)
{
	ut_tcp_setup(state);
	open_conn(0u - 20500u);
	c->cwnd = 50 * MSS;
	assert_int_equal(ut_send(c, ut_data_mbuf(50 * MSS, 0)), 0);
	assert_int_equal(c->snd_max, U(50 * MSS));
	ut_tx_clear();
	return 0;
}

/* tcp_sb_update with an ACK at una + ack and n blocks given as pairs of
 * offsets from una; returns the bytes newly SACKed. */
static uint32_t
upd(int32_t ack, unsigned int n, ...)
{
	struct tcp_opts o;
	va_list ap;

	memset(&o, 0, sizeof(o));
	assert_true(n <= TCP_SACK_MAX);
	o.flags = n ? TCP_OPT_F_SACK : 0;
	o.n_sack = (uint8_t)n;
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		int32_t l = va_arg(ap, int32_t), r = va_arg(ap, int32_t);

		o.sack[i] = (struct tcp_sack_block){U(l), U(r)};
	}
	va_end(ap);
	return tcp_sb_update(c, &o, U(ack));
}

/* A fresh scoreboard of n ranges (pairs of offsets). */
static void
sb_set(unsigned int n, ...)
{
	va_list ap;

	tcp_sb_clear(c);
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		int32_t l = va_arg(ap, int32_t), r = va_arg(ap, int32_t);

		assert_int_equal(upd(0, 1, l, r), r - l);
	}
	va_end(ap);
	assert_int_equal(c->sb_n, n);
}

/* The scoreboard is exactly these n ranges (pairs of offsets), and
 * sb_bytes and sack_high agree with them. */
static void
expect_sb(unsigned int n, ...)
{
	uint32_t bytes = 0;
	va_list ap;

	if (c->sb_n != n)
		fail_msg("%u ranges, want %u", c->sb_n, n);
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		int32_t l = va_arg(ap, int32_t), r = va_arg(ap, int32_t);

		if (c->sb[i].left != U(l) || c->sb[i].right != U(r))
			fail_msg("range %u: [%d, %d), want [%d, %d)", i,
				 (int32_t)(c->sb[i].left - una), (int32_t)(c->sb[i].right - una), l,
				 r);
		bytes += (uint32_t)(r - l);
	}
	va_end(ap);
	assert_int_equal(c->sb_bytes, bytes);
}

static const struct stk_tcp_stats *
st(void)
{
	return ut_tcp_stats();
}

/* ------------------------------------------------------------------ */
/* tcp_sb_update                                                        */

static void
test_update_merge(void **state)
{
	(void)state;
	assert_int_equal(upd(0, 1, 3000, 4000), 1000);
	expect_sb(1, 3000, 4000);
	assert_int_equal(c->sack_high, U(4000));
	assert_int_equal(upd(0, 1, 5000, 6000), 1000);
	expect_sb(2, 3000, 4000, 5000, 6000);
	/* touching both sides: one range */
	assert_int_equal(upd(0, 1, 4000, 5000), 1000);
	expect_sb(1, 3000, 6000);
	/* overlapping on the left, then on the right */
	assert_int_equal(upd(0, 1, 2500, 3500), 500);
	expect_sb(1, 2500, 6000);
	assert_int_equal(upd(0, 1, 5500, 7000), 1000);
	expect_sb(1, 2500, 7000);
	/* already held: nothing new, and no D-SACK without a second block */
	assert_int_equal(upd(0, 1, 3000, 4000), 0);
	expect_sb(1, 2500, 7000);
	/* unsorted blocks, one across the wrap */
	assert_int_equal(upd(0, 3, 20000, 21000, 12000, 13000, 30000, 31000), 3000);
	assert_true(U(20000) > U(21000)); /* as integers the block wraps */
	expect_sb(4, 2500, 7000, 12000, 13000, 20000, 21000, 30000, 31000);
	assert_int_equal(c->sack_high, U(31000));
	/* one block over two ranges and the holes around them */
	assert_int_equal(upd(0, 1, 11000, 22000), 9000);
	expect_sb(3, 2500, 7000, 11000, 22000, 30000, 31000);
	/* two blocks of one option overlapping each other */
	assert_int_equal(upd(0, 2, 40000, 42000, 41000, 43000), 3000);
	expect_sb(4, 2500, 7000, 11000, 22000, 30000, 31000, 40000, 43000);
	assert_int_equal(c->sack_high, U(43000));
	assert_int_equal(st()->sack_blocks_invalid, 0);
	assert_int_equal(st()->dsacks_in, 0);
}

static void
test_update_trim(void **state)
{
	(void)state;
	assert_int_equal(upd(0, 3, 3000, 6000, 8000, 9000, 12000, 13000), 5000);
	/* an ACK into the hole below the first range takes nothing */
	assert_int_equal(upd(2000, 0), 0);
	expect_sb(3, 3000, 6000, 8000, 9000, 12000, 13000);
	/* past a range, into the next hole: the range goes */
	assert_int_equal(upd(7000, 0), 0);
	expect_sb(2, 8000, 9000, 12000, 13000);
	assert_int_equal(c->sack_high, U(13000));
	/* everything passed: empty, sack_high at the ACK */
	assert_int_equal(upd(13000, 0), 0);
	expect_sb(0);
	assert_int_equal(c->sack_high, U(13000));
}

/* A receiver holding a SACKed range ACKs past it when the hole below
 * fills; an ACK that stops at or inside one says the peer dropped it
 * (reneging, RFC 2018 8): the scoreboard is started over, so that the data
 * is sent again. */
static void
test_update_reneging(void **state)
{
	(void)state;
	assert_int_equal(upd(0, 2, 3000, 6000, 8000, 9000), 4000);
	assert_int_equal(upd(3000, 0), 0);
	expect_sb(0);
	assert_int_equal(c->sack_high, U(3000));
	assert_int_equal(upd(3000, 1, 8000, 9000), 1000);
	assert_int_equal(upd(8500, 0), 0);
	expect_sb(0);
	/* the blocks of that same ACK are taken afresh */
	assert_int_equal(upd(8500, 1, 12000, 13000), 1000);
	assert_int_equal(upd(12500, 1, 14000, 15000), 1000);
	expect_sb(1, 14000, 15000);
	assert_int_equal(st()->sack_blocks_invalid, 0);
}

/* The same through the stack: an ACK without a SACK option still trims. */
static void
test_update_trim_by_stack(void **state)
{
	uint8_t o[12] = {1, 1, 5, 10};

	(void)state;
	ut_put32(o + 4, U(3000));
	ut_put32(o + 8, U(4000));
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = una,
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = sizeof(o)});
	expect_sb(1, 3000, 4000);
	assert_int_equal(c->dupacks, 1);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, U(2000), NULL, 0);
	assert_int_equal(c->snd_una, U(2000));
	expect_sb(1, 3000, 4000);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, U(5000), NULL, 0);
	expect_sb(0);
	assert_int_equal(c->sack_high, U(5000));
}

static void
test_update_dsack(void **state)
{
	(void)state;
	/* RFC 2883 form 1: the first block below the cumulative ACK */
	assert_int_equal(upd(2000, 1, 1000, 2000), 0);
	assert_int_equal(st()->dsacks_in, 1);
	expect_sb(0);
	assert_int_equal(upd(2000, 2, 500, 1500, 5000, 6000), 1000);
	assert_int_equal(st()->dsacks_in, 2);
	expect_sb(1, 5000, 6000);
	/* form 2: the first block inside the second */
	assert_int_equal(upd(2000, 2, 5200, 5500, 5000, 6000), 0);
	assert_int_equal(st()->dsacks_in, 3);
	assert_int_equal(upd(2000, 2, 8200, 8500, 8000, 9000), 1000);
	assert_int_equal(st()->dsacks_in, 4);
	assert_int_equal(upd(2000, 2, 8000, 9000, 8000, 9000), 0);
	assert_int_equal(st()->dsacks_in, 5);
	expect_sb(2, 5000, 6000, 8000, 9000);
	assert_int_equal(st()->sack_blocks_invalid, 0);
	/* only the first block may be one: a later block below the ACK is
	 * invalid */
	assert_int_equal(upd(2000, 2, 10000, 11000, 0, 1000), 1000);
	assert_int_equal(st()->dsacks_in, 5);
	assert_int_equal(st()->sack_blocks_invalid, 1);
	/* a first block overlapping the second but not inside it is news */
	assert_int_equal(upd(2000, 2, 9500, 10500, 10000, 11000), 500);
	assert_int_equal(st()->dsacks_in, 5);
	expect_sb(3, 5000, 6000, 8000, 9000, 9500, 11000);
}

/* A D-SACK through the stack counts, and is no duplicate ACK. */
static void
test_dsack_by_stack(void **state)
{
	uint8_t o[20] = {1, 1, 5, 18};

	(void)state;
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, U(2000), NULL, 0);
	ut_put32(o + 4, U(1000));
	ut_put32(o + 8, U(2000));
	ut_put32(o + 12, U(5000));
	ut_put32(o + 16, U(6000));
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = U(2000),
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = sizeof(o)});
	assert_int_equal(st()->dsacks_in, 1);
	expect_sb(1, 5000, 6000);
	assert_int_equal(c->dupacks, 1); /* the one new segment only */
	ut_put32(o + 4, U(5200));
	ut_put32(o + 8, U(5400));
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = U(2000),
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = sizeof(o)});
	assert_int_equal(st()->dsacks_in, 2);
	assert_int_equal(c->dupacks, 1);
	assert_int_equal(st()->sack_blocks_invalid, 0);
}

static void
test_update_invalid(void **state)
{
	(void)state;
	/* empty and inverted, even in first place */
	assert_int_equal(upd(0, 1, 3000, 3000), 0);
	assert_int_equal(st()->sack_blocks_invalid, 1);
	assert_int_equal(upd(0, 1, 4000, 3000), 0);
	assert_int_equal(st()->sack_blocks_invalid, 2);
	/* reaching below snd_una, or wholly below it after the first */
	assert_int_equal(upd(0, 2, 5000, 6000, -500, 1000), 1000);
	assert_int_equal(st()->sack_blocks_invalid, 3);
	assert_int_equal(upd(0, 2, 7000, 8000, -2000, -1000), 1000);
	assert_int_equal(st()->sack_blocks_invalid, 4);
	/* beyond snd_max (up to it is fine) */
	assert_int_equal(upd(0, 1, 49000, 50001), 0);
	assert_int_equal(st()->sack_blocks_invalid, 5);
	assert_int_equal(upd(0, 2, 40000, 60000, 49000, 50000), 1000);
	assert_int_equal(st()->sack_blocks_invalid, 6);
	/* each with its drop reason */
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_SACK_EMPTY], 2);
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_SACK_BELOW], 2);
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_SACK_BEYOND], 2);
	/* nothing of them was taken */
	expect_sb(3, 5000, 6000, 7000, 8000, 49000, 50000);
	assert_int_equal(st()->dsacks_in, 0);
}

static void
test_update_limit(void **state)
{
	uint32_t n;

	(void)state;
	for (int32_t k = 0; k < TCP_SB_MAX; k++)
		assert_int_equal(upd(0, 1, k * 1000 + 500, k * 1000 + 1000), 500);
	assert_int_equal(c->sb_n, TCP_SB_MAX);
	assert_int_equal(c->sb_bytes, TCP_SB_MAX * 500);
	/* one more above: the lowest is forgotten (at most an underestimate
	 * of what is new) */
	n = upd(0, 1, 32500, 33000);
	assert_true(n <= 500);
	assert_int_equal(c->sb_n, TCP_SB_MAX);
	assert_int_equal(c->sb[0].left, U(1500));
	assert_int_equal(c->sb[TCP_SB_MAX - 1].left, U(32500));
	assert_int_equal(c->sb_bytes, TCP_SB_MAX * 500);
	assert_int_equal(c->sack_high, U(33000));
	/* one below everything held: ignored, the highest win */
	assert_int_equal(upd(0, 1, 0, 200), 0);
	assert_int_equal(c->sb_n, TCP_SB_MAX);
	assert_int_equal(c->sb[0].left, U(1500));
	/* merging two ranges when full forgets nothing */
	assert_int_equal(upd(0, 1, 2000, 2500), 500);
	assert_int_equal(c->sb_n, TCP_SB_MAX - 1);
	assert_int_equal(c->sb[0].left, U(1500));
	assert_int_equal(c->sb[0].right, U(3000));
	/* full again, then one in the middle: the lowest goes */
	assert_int_equal(upd(0, 1, 40000, 41000), 1000);
	assert_int_equal(c->sb_n, TCP_SB_MAX);
	n = upd(0, 1, 35000, 36000);
	assert_true(n <= 1000);
	assert_int_equal(c->sb_n, TCP_SB_MAX);
	assert_int_equal(c->sb[0].left, U(3500));
	for (unsigned int i = 1; i < c->sb_n; i++)
		assert_true(seq_lt(c->sb[i - 1].right, c->sb[i].left));
	assert_int_equal(c->sb[TCP_SB_MAX - 2].left, U(35000));
	assert_int_equal(c->sack_high, U(41000));
}

/* ------------------------------------------------------------------ */
/* IsLost, pipe, NextSeg, skip                                          */

static void
test_lost_edge(void **state)
{
	(void)state;
	assert_int_equal(tcp_sb_lost_edge(c), una); /* nothing SACKed, nothing lost */
	/* bytes: more than (3 - 1) * 1000 above */
	sb_set(1, 5000, 7000);
	assert_int_equal(tcp_sb_lost_edge(c), una);
	sb_set(1, 5000, 7001);
	assert_int_equal(tcp_sb_lost_edge(c), U(5000));
	sb_set(2, 3000, 4000, 6000, 7000);
	assert_int_equal(tcp_sb_lost_edge(c), una);
	sb_set(2, 2000, 3000, 5000, 8000);
	assert_int_equal(tcp_sb_lost_edge(c), U(5000));
	/* ranges: three above, however small */
	sb_set(3, 3000, 3100, 5000, 5100, 7000, 7100);
	assert_int_equal(tcp_sb_lost_edge(c), U(3000));
	sb_set(4, 1000, 1100, 2000, 2100, 3000, 3100, 9000, 9100);
	assert_int_equal(tcp_sb_lost_edge(c), U(2000));
	/* dupthresh raised to 5 (reordering seen): 4000 bytes or 5 ranges */
	c->dupthresh = 5;
	sb_set(1, 5000, 9000);
	assert_int_equal(tcp_sb_lost_edge(c), una);
	sb_set(1, 5000, 9001);
	assert_int_equal(tcp_sb_lost_edge(c), U(5000));
	sb_set(4, 1000, 1100, 2000, 2100, 3000, 3100, 9000, 9100);
	assert_int_equal(tcp_sb_lost_edge(c), una);
	sb_set(5, 1000, 1100, 2000, 2100, 3000, 3100, 4000, 4100, 9000, 9100);
	assert_int_equal(tcp_sb_lost_edge(c), U(1000));
	sb_set(6, 500, 600, 1000, 1100, 2000, 2100, 3000, 3100, 4000, 4100, 9000, 9100);
	assert_int_equal(tcp_sb_lost_edge(c), U(1000));
}

/* [0, 2000) lost, [3000, 5000) and [6000, 8000) holes not (yet) lost,
 * [9000, 50000) not SACKed above the highest SACK. */
static void
three_ranges(void)
{
	sb_set(3, 2000, 3000, 5000, 6000, 8000, 9000);
	assert_int_equal(tcp_sb_lost_edge(c), U(2000));
	assert_int_equal(c->sack_high, U(9000));
}

static void
test_pipe(void **state)
{
	(void)state;
	c->high_rxt = una;			 /* as a recovery starts */
	assert_int_equal(tcp_sb_pipe(c), 50000); /* no SACK: the flight */
	three_ranges();
	/* RFC 6675 SetPipe: an octet not lost counts once; a lost octet
	 * only once resent (at or below HighRxt) */
	c->high_rxt = una;
	assert_int_equal(tcp_sb_pipe(c), 2000 + 2000 + 41000);
	c->high_rxt = U(-5000); /* left from an older recovery */
	assert_int_equal(tcp_sb_pipe(c), 45000);
	c->high_rxt = U(1000); /* inside the lost hole */
	assert_int_equal(tcp_sb_pipe(c), 46000);
	c->high_rxt = U(2000); /* the lost hole resent */
	assert_int_equal(tcp_sb_pipe(c), 47000);
	/* above the lost holes, in a hole not lost: [3000, 4000) resent by
	 * rule 3 counts once here (SetPipe counts it twice; stk_tcp_sack.c
	 * adds rule 3's retransmissions in tcp_sack_output instead) */
	c->high_rxt = U(4000);
	assert_int_equal(tcp_sb_pipe(c), 47000);
	/* nothing lost with dupthresh 5: every hole counts */
	c->dupthresh = 5;
	c->high_rxt = una;
	assert_int_equal(tcp_sb_pipe(c), 47000);
}

static void
expect_next(bool lost_only, bool found, int32_t seq, uint32_t len)
{
	uint32_t s = 0, l = 0;

	assert_int_equal(tcp_sb_next_seg(c, lost_only, &s, &l), found);
	if (found && (s != U(seq) || l != len))
		fail_msg("rule %d: [%d, +%u), want [%d, +%u)", lost_only ? 1 : 3,
			 (int32_t)(s - una), l, seq, len);
}

static void
test_next_seg(void **state)
{
	(void)state;
	expect_next(true, false, 0, 0);
	expect_next(false, false, 0, 0);
	three_ranges();
	c->high_rxt = una;
	expect_next(true, true, 0, 2000);
	expect_next(false, true, 0, 2000);
	c->high_rxt = U(500);
	expect_next(true, true, 500, 1500);
	/* the lost hole resent: rule 1 has nothing, rule 3 the holes below
	 * the highest SACK, from HighRxt */
	c->high_rxt = U(2000);
	expect_next(true, false, 0, 0);
	expect_next(false, true, 3000, 2000);
	c->high_rxt = U(4500);
	expect_next(false, true, 4500, 500);
	c->high_rxt = U(5000);
	expect_next(false, true, 6000, 2000);
	/* beyond the highest SACK is no hole */
	c->high_rxt = U(8000);
	expect_next(false, false, 0, 0);
	/* dupthresh 5: nothing lost, rule 3 still finds the first hole */
	c->dupthresh = 5;
	c->high_rxt = una;
	expect_next(true, false, 0, 0);
	expect_next(false, true, 0, 2000);
	/* two lost holes: rule 1 goes past a range to the second */
	c->dupthresh = 3;
	sb_set(2, 1000, 2000, 4000, 7000);
	c->high_rxt = U(1000);
	expect_next(true, true, 2000, 2000);
	c->high_rxt = U(4000);
	expect_next(true, false, 0, 0);
}

static void
expect_skip(int32_t seq, int32_t want, uint32_t room)
{
	uint32_t r = 0, got = tcp_sb_skip(c, U(seq), &r);

	if (got != U(want) || r != room)
		fail_msg("skip from %d: %d room %u, want %d room %u", seq, (int32_t)(got - una), r,
			 want, room);
}

static void
test_skip(void **state)
{
	(void)state;
	expect_skip(0, 0, UINT32_MAX);
	three_ranges();
	expect_skip(0, 0, 2000);
	expect_skip(1500, 1500, 500);
	expect_skip(2000, 3000, 2000); /* at a range: past it */
	expect_skip(2500, 3000, 2000); /* inside one */
	expect_skip(3000, 3000, 2000);
	expect_skip(5999, 6000, 2000);
	expect_skip(8500, 9000, UINT32_MAX);
	expect_skip(20000, 20000, UINT32_MAX); /* across the wrap */
}

/* ------------------------------------------------------------------ */
/* Through the stack: a scripted receiver with SACK                    */

struct seg {
	uint32_t seq, len;
};

static struct {
	uint8_t got[TOTAL]; /* bytes the receiver holds */
	uint8_t txn[TOTAL]; /* transmissions of each byte */
	uint32_t nxt;	    /* the receiver's cumulative ACK (offset) */
	uint32_t latest;    /* the latest arrival's first byte */
	struct seg q[QMAX]; /* sent, not yet arrived or lost */
	unsigned int qh, qt;
	struct ut_losses loss; /* the n-th transmission of the segment holding a byte is lost */
	uint32_t sent_now;     /* data bytes the last step sent */
	/* after the arrival of byte blackout_after (if not 0), every segment
	 * is lost while blackout is on */
	uint32_t blackout_after;
	bool blackout;
	/* the recovery as the test sees it */
	bool in_rec;
	uint64_t rto_at_entry;
	unsigned int recoveries, exits, prr_checks, proportional;
	uint32_t ss, fs;
	uint64_t delivered, out;
} s;

/* Queues what the stack sent; no byte the receiver holds may be in it. */
static void
collect(void)
{
	s.sent_now = 0;
	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;
		uint32_t off;

		ut_tcp_out(i, &o);
		if (o.len == 0)
			continue;
		off = o.seq - una;
		assert_true(off + o.len <= TOTAL);
		for (uint32_t k = off; k < off + o.len; k++) {
			if (s.got[k])
				fail_msg("sent byte %u again, which the peer acked or SACKed", k);
			s.txn[k]++;
		}
		s.sent_now += o.len;
		assert_true(s.qt - s.qh < QMAX);
		s.q[s.qt++ % QMAX] = (struct seg){o.seq, o.len};
	}
	ut_tx_clear();
}

static bool
lost(const struct seg *g)
{
	return ut_losses_hit(&s.loss, g->seq - una, g->len);
}

static void
drop_nth(uint32_t seg, unsigned int nth)
{
	ut_losses_add(&s.loss, seg * MSS, nth);
}

/* The receiver's SACK blocks (RFC 2018 4): the latest arrival's first,
 * then the highest others; at most four (no timestamps). */
static unsigned int
sack_blocks(uint32_t (*b)[2])
{
	uint32_t r[64][2];
	unsigned int n = 0, k = 0;

	for (uint32_t i = s.nxt; i < TOTAL;) {
		uint32_t j = i;

		if (!s.got[i]) {
			i++;
			continue;
		}
		while (j < TOTAL && s.got[j])
			j++;
		assert_true(n < RTE_DIM(r));
		r[n][0] = i;
		r[n][1] = j;
		n++;
		i = j;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (s.latest >= r[i][0] && s.latest < r[i][1]) {
			b[k][0] = r[i][0];
			b[k][1] = r[i][1];
			k++;
		}
	}
	for (unsigned int i = n; i-- > 0 && k < TCP_SACK_MAX;) {
		if (k > 0 && r[i][0] == b[0][0])
			continue;
		b[k][0] = r[i][0];
		b[k][1] = r[i][1];
		k++;
	}
	return k;
}

static void
peer_ack(void)
{
	uint32_t b[TCP_SACK_MAX][2];
	unsigned int n = sack_blocks(b);
	uint8_t o[40];
	size_t olen = 0;

	if (n > 0) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 5;
		o[3] = (uint8_t)(2 + 8 * n);
		olen = 4;
		for (unsigned int i = 0; i < n; i++, olen += 8) {
			ut_put32(o + olen, una + b[i][0]);
			ut_put32(o + olen + 4, una + b[i][1]);
		}
	}
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = una + s.nxt,
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = olen});
}

/* After the stack answered one ACK that delivered `fresh` new bytes.
 * Outside a recovery: new data leaves only within cwnd (and limited
 * transmit). In one (RFC 6937, with RecoverFS the flight at its start):
 * the window is never overrun (pipe <= cwnd), and while pipe stays above
 * ssthresh PRR sends ssthresh / RecoverFS of what was delivered, in whole
 * segments: within one segment below that figure and never above it (the
 * first retransmission goes regardless). At the end, cwnd is ssthresh. */
static void
check(uint32_t fresh, uint32_t max_before)
{
	bool rec = (c->flags & TF_SACK_RECOVERY) != 0;
	uint64_t want;

	if (rec && !s.in_rec) {
		s.in_rec = true;
		s.recoveries++;
		s.ss = c->ssthresh;
		s.fs = max_before - c->snd_una;
		s.delivered = 0;
		s.out = 0;
		s.rto_at_entry = st()->rto_expiries;
	}
	if (!s.in_rec) {
		if (seq_gt(c->snd_max, max_before) && c->snd_nxt - c->snd_una > tcp_cc_send_cwnd(c))
			fail_msg("flight %u > cwnd %u", c->snd_nxt - c->snd_una,
				 tcp_cc_send_cwnd(c));
		return;
	}
	s.delivered += fresh;
	s.out += s.sent_now;
	if (!rec && st()->rto_expiries != s.rto_at_entry) {
		s.in_rec = false; /* a timeout ended it */
		return;
	}
	if (!rec) {
		assert_int_equal(c->cwnd, c->ssthresh);
		assert_int_equal(c->ssthresh, s.ss);
		s.in_rec = false;
		s.exits++;
		return;
	}
	if (tcp_sb_pipe(c) > c->cwnd)
		fail_msg("pipe %u > cwnd %u", tcp_sb_pipe(c), c->cwnd);
	if ((int64_t)tcp_sb_pipe(c) - s.sent_now <= (int64_t)s.ss)
		return; /* PRR's slow-start reduction bound */
	s.proportional++;
	want = (s.delivered * s.ss + s.fs - 1) / s.fs;
	if (s.out > RTE_MAX(want, (uint64_t)MSS) || s.out + MSS <= want)
		fail_msg("PRR: sent %" PRIu64 " for %" PRIu64 " delivered, want %" PRIu64
			 " (ssthresh %u, RecoverFS %u)",
			 s.out, s.delivered, want, s.ss, s.fs);
	s.prr_checks++;
}

/* The receiver takes g unless the script loses it, and ACKs it. */
static void
deliver(const struct seg *g)
{
	uint32_t off = g->seq - una, fresh = 0, max_before = c->snd_max;

	if (s.blackout || lost(g))
		return;
	if (s.blackout_after != 0 && off == s.blackout_after)
		s.blackout = true;
	for (uint32_t k = off; k < off + g->len; k++) {
		fresh += !s.got[k];
		s.got[k] = 1;
	}
	s.latest = off;
	while (s.nxt < TOTAL && s.got[s.nxt])
		s.nxt++;
	peer_ack();
	collect();
	check(fresh, max_before);
}

/* Delivers what is queued until nothing is (the clock stands still). */
static void
drain(void)
{
	while (s.qh != s.qt) {
		struct seg g = s.q[s.qh++ % QMAX];

		deliver(&g);
	}
}

/* Runs until everything arrived, moving the clock when nothing is in the
 * air so that timeouts happen. */
static void
run(void)
{
	for (unsigned int idle = 0; s.nxt < TOTAL;) {
		if (s.qh == s.qt) {
			assert_true(idle++ < 200);
			ut_advance_ms(10);
			collect();
			continue;
		}
		idle = 0;
		drain();
	}
	assert_int_equal(c->snd_una, una + TOTAL);
}

/* The bulk transfer: NSEG segments queued; the sequence numbers wrap
 * inside segment 44. */
static int
bulk_setup(void **state)
{
	struct rte_mbuf *head = NULL;

	ut_tcp_setup(state);
	memset(&s, 0, sizeof(s));
	open_conn(0u - 44500u);
	for (uint32_t i = 0; i < NSEG; i++) {
		struct rte_mbuf *m = ut_data_mbuf(MSS, (uint8_t)i);

		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		if (head->nb_segs == 64 || i + 1 == NSEG) {
			assert_int_equal(stk_conn_send(c, head), 0);
			head = NULL;
		}
	}
	ut_flush();
	collect();
	assert_int_equal(s.qt, 10); /* the initial window */
	return 0;
}

/* Bytes sent n times each: the segments lost have n_lost, the rest 1. */
static void
expect_txn(const uint32_t *lost_segs, unsigned int n, unsigned int n_lost)
{
	for (uint32_t k = 0; k < TOTAL; k++) {
		unsigned int want = 1;

		for (unsigned int i = 0; i < n; i++)
			if (k / MSS == lost_segs[i])
				want = n_lost;
		if (s.txn[k] != want)
			fail_msg("byte %u (segment %u) sent %u times, want %u", k, k / MSS,
				 s.txn[k], want);
	}
}

static void
test_recovery_bulk(void **state)
{
	static const uint32_t lose[] = {40, 43, 47, 48};

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(lose); i++)
		drop_nth(lose[i], 1);
	run();
	assert_int_equal(s.recoveries, 1);
	assert_int_equal(s.exits, 1);
	assert_int_equal(st()->sack_recoveries, 1);
	assert_int_equal(st()->fast_retransmits, 1);
	assert_int_equal(st()->rto_expiries, 0);
	assert_int_equal(st()->retrans_segs, RTE_DIM(lose));
	assert_int_equal(c->retransmits, RTE_DIM(lose));
	expect_txn(lose, RTE_DIM(lose), 2);
	/* PRR was checked on many ACKs, not a few */
	assert_true(s.prr_checks >= 10);
	assert_false(c->flags & (TF_RECOVERY | TF_SACK_RECOVERY));
	assert_int_equal(c->sb_n, 0);
}

/* A timeout with the scoreboard holding what arrived: segments 40, 44 and
 * 48 lost, and from the arrival of 52 on the path loses everything (the
 * recovery's retransmissions too) until the RTO fires. Going back sends
 * what the peer lacks, and nothing it SACKed. */
static void
test_rto_skips_sacked(void **state)
{
	static const uint32_t lose[] = {40, 44, 48};
	struct seg first;

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(lose); i++)
		drop_nth(lose[i], 1);
	s.blackout_after = 52 * MSS;
	drain();
	assert_true(s.blackout);
	assert_int_equal(st()->rto_expiries, 0);
	assert_int_equal(st()->sack_recoveries, 1);
	assert_int_equal(c->snd_una, U(40 * MSS));
	expect_sb(3, 41 * MSS, 44 * MSS, 45 * MSS, 48 * MSS, 49 * MSS, 53 * MSS);
	s.blackout = false;
	for (unsigned int idle = 0; s.qh == s.qt; idle++) {
		assert_true(idle < 100);
		ut_advance_ms(10);
		collect();
	}
	assert_int_equal(st()->rto_expiries, 1);
	assert_int_equal(c->cwnd, MSS);
	assert_true(c->sb_n >= 3);
	/* the first hole alone, as a one-segment window allows */
	assert_int_equal(s.qt - s.qh, 1);
	first = s.q[s.qh % QMAX];
	assert_int_equal(first.seq, U(40 * MSS));
	assert_int_equal(first.len, MSS);
	run(); /* collect() fails on any byte sent that the peer holds */
	assert_int_equal(st()->rto_expiries, 1);
	assert_int_equal(st()->sack_recoveries, 1);
	for (uint32_t k = 41 * MSS; k < 53 * MSS; k++)
		if (k / MSS != 44 && k / MSS != 48 && s.txn[k] != 1)
			fail_msg("byte %u, SACKed before the timeout, sent %u times", k, s.txn[k]);
}

/* ------------------------------------------------------------------ */
/* Hand-driven recoveries on 20 segments                                */

/* An ACK at una + ack with blocks as pairs of segment numbers. */
static void
sack_segs(uint32_t ack, unsigned int n, ...)
{
	uint8_t o[40] = {1, 1, 5, (uint8_t)(2 + 8 * n)};
	va_list ap;

	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t l = va_arg(ap, uint32_t), r = va_arg(ap, uint32_t);

		ut_put32(o + 4 + 8 * i, una + l * MSS);
		ut_put32(o + 8 + 8 * i, una + r * MSS);
	}
	va_end(ap);
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = una + ack,
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = n ? 4 + 8 * n : 0});
}

static int
twenty_setup(void **state)
{
	ut_tcp_setup(state);
	open_conn(0u - 5500u);
	c->cwnd = 20 * MSS;
	assert_int_equal(ut_send(c, ut_data_mbuf(20 * MSS, 0)), 0);
	assert_int_equal(c->snd_max, U(20 * MSS));
	ut_tx_clear();
	return 0;
}

/* Data segments captured, each checked to start at a segment boundary. */
static unsigned int
data_sent(uint32_t *first_seg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		if (o.len == 0)
			continue;
		if (n++ == 0)
			*first_seg = (o.seq - una) / MSS;
	}
	return n;
}

/* Segment 0 lost, 1-10 arrive, 11-18 lost, 19 arrives; nothing new to
 * send. The hole [11, 19) has one segment SACKed above it: not lost, so
 * only NextSeg's rule 3 sends it, one segment for each segment of room the
 * window has (RFC 6675 5 (C): while cwnd - pipe >= SMSS, with each rule-3
 * retransmission in pipe, SetPipe's HighRxt term), not all eight at once. */
static void
test_rule3_one_segment_per_room(void **state)
{
	uint32_t first = 0;
	unsigned int n;

	(void)state;
	for (uint32_t k = 2; k <= 11; k++)
		sack_segs(0, 1, 1u, k);
	assert_true(c->flags & TF_SACK_RECOVERY);
	assert_int_equal(st()->sack_recoveries, 1);
	assert_int_equal(c->high_rxt, U(MSS)); /* segment 0 resent */
	assert_int_equal(st()->retrans_segs, 1);
	ut_tx_clear();
	sack_segs(0, 2, 19u, 20u, 1u, 11u);
	assert_int_equal(tcp_sb_lost_edge(c), U(MSS));
	n = data_sent(&first);
	assert_true(n >= 1); /* the window has a segment of room */
	assert_int_equal(first, 11);
	if (n != 1)
		fail_msg("%u rule-3 retransmissions on one ACK; cwnd %u ssthresh %u", n, c->cwnd,
			 c->ssthresh);
	assert_int_equal(st()->retrans_segs, 2);
}

/* A full ACK ends the recovery with cwnd at ssthresh (RFC 6937), also
 * when PRR held it above (pipe still over ssthresh on the last ACK). */
static void
test_exit_at_ssthresh(void **state)
{
	(void)state;
	for (uint32_t k = 2; k <= 4; k++)
		sack_segs(0, 1, 1u, k);
	assert_true(c->flags & TF_SACK_RECOVERY);
	assert_int_equal(c->ssthresh, 10 * MSS);
	assert_true(c->cwnd > c->ssthresh); /* proportional: pipe is 17 segments */
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, U(20 * MSS), NULL, 0);
	assert_false(c->flags & (TF_RECOVERY | TF_SACK_RECOVERY));
	assert_int_equal(c->cwnd, 10 * MSS);
	assert_int_equal(c->ssthresh, 10 * MSS);
	assert_int_equal(c->sb_n, 0);
	assert_int_equal(st()->sack_recoveries, 1);
}

/* RFC 6675 NextSeg: a lost hole goes before new data. Segments 0 and 5
 * lost, 10 more segments queued behind the 20 sent: once three segments
 * are SACKed above 5, the first segment PRR lets out is 5. */
static void
test_lost_hole_first(void **state)
{
	bool resent = false;

	(void)state;
	assert_int_equal(ut_send(c, ut_data_mbuf(10 * MSS, 0)), 0);
	ut_tx_clear();
	for (uint32_t k = 2; k <= 5; k++)
		sack_segs(0, 1, 1u, k);
	assert_true(c->flags & TF_SACK_RECOVERY);
	for (uint32_t k = 7; k <= 20 && !resent; k++) {
		uint32_t first = 0;
		unsigned int n;

		ut_tx_clear();
		sack_segs(0, 2, 6u, k, 1u, 5u);
		n = data_sent(&first);
		if (n == 0 || k < 9)
			continue; /* 5 is not lost before [6, 9) is SACKed */
		assert_int_equal(first, 5);
		resent = true;
	}
	assert_true(resent);
	assert_int_equal(st()->retrans_segs, 2);
}

/* RFC 2018 8: the receiver may discard what it SACKed; a timeout is when
 * the sender must not trust the scoreboard any more. The peer SACKed
 * segments 1-9, then (memory short) kept only 0's retransmission: its ACK
 * stops at 1, where a SACKed range starts. After a timeout segment 1 must
 * go again, or the connection never moves. */
static void
test_reneging_after_rto(void **state)
{
	bool resent = false;

	(void)state;
	for (uint32_t k = 2; k <= 10; k++)
		sack_segs(0, 1, 1u, k);
	assert_true(c->flags & TF_SACK_RECOVERY);
	ut_tx_clear();
	sack_segs(MSS, 0); /* segment 0 arrived; [1, 10) discarded */
	for (unsigned int i = 0; i < 3 && !resent; i++) {
		uint64_t rto = st()->rto_expiries;

		ut_tx_clear();
		for (unsigned int ms = 0; ms < 5000 && st()->rto_expiries == rto; ms++)
			ut_advance_ms(1);
		assert_int_equal(st()->rto_expiries, rto + 1);
		for (unsigned int k = 0; k < ut.n_tx; k++) {
			struct ut_out o;

			ut_tcp_out(k, &o);
			if (o.len != 0 && o.seq == U(MSS))
				resent = true;
		}
		if (!resent)
			sack_segs(MSS, 0); /* the same ACK: still waiting for 1 */
	}
	if (!resent)
		fail_msg("3 timeouts and segment 1, SACKed then discarded, never sent again");
	assert_int_equal(c->snd_una, U(MSS));
}

/* RFC 8985 7.2: a tail loss probe only outside a recovery and with
 * nothing SACKed. One scheduled by the ACK before the recovery began must
 * not fire inside it (it would send the last segment, SACKed already). */
static void
test_no_probe_in_recovery(void **state)
{
	(void)state;
	ut_advance_ms(1);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, U(MSS), NULL, 0);
	assert_true(c->srtt_us != 0);
	assert_true(c->flags & TF_TLP_ARMED); /* a probe was due in 2 SRTT */
	sack_segs(MSS, 1, 19u, 20u);
	sack_segs(MSS, 2, 2u, 3u, 19u, 20u);
	sack_segs(MSS, 3, 3u, 4u, 2u, 3u, 19u, 20u);
	assert_true(c->flags & TF_SACK_RECOVERY);
	assert_int_equal(st()->retrans_segs, 1);
	ut_tx_clear();
	ut_advance_ms(10);
	assert_int_equal(st()->tlp_probes, 0);
	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		if (o.len != 0)
			fail_msg("sent [%u, +%u) 10 ms into the recovery", (o.seq - una) / MSS,
				 o.len);
	}
}

#define T(f)  cmocka_unit_test_setup_teardown(f, sb_setup, ut_teardown)
#define TB(f) cmocka_unit_test_setup_teardown(f, bulk_setup, ut_teardown)
#define TT(f) cmocka_unit_test_setup_teardown(f, twenty_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_update_merge),
		T(test_update_trim),
		T(test_update_reneging),
		T(test_update_trim_by_stack),
		T(test_update_dsack),
		T(test_dsack_by_stack),
		T(test_update_invalid),
		T(test_update_limit),
		T(test_lost_edge),
		T(test_pipe),
		T(test_next_seg),
		T(test_skip),
		TB(test_recovery_bulk),
		TB(test_rto_skips_sacked),
		TT(test_rule3_one_segment_per_room),
		TT(test_exit_at_ssthresh),
		TT(test_lost_hole_first),
		TT(test_reneging_after_rto),
		TT(test_no_probe_in_recovery),
	};

	return ut_main("test_tcp_scoreboard", tests, RTE_DIM(tests));
}

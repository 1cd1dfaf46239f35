/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_undo.c - undoing a needless fast retransmit (Eifel detection,
 * RFC 3522) with timestamps: three dupacks make the stack retransmit 20 ms
 * after the original; an ACK echoing the original's timestamp proves the
 * segment was only late: the window reduction is undone, the recovery
 * left, the event counted and the dupack threshold raised to the reordering
 * seen, so that three dupacks no longer retransmit (limited transmit goes
 * on) but that many do. An echo of the retransmission's own timestamp keeps
 * the reduction.
 */
#include "ut_tcp.h"

#define MSS 988 /* the peer's 1000 less the timestamp option */

static struct ut_peer p;
static uint32_t ts_orig; /* TSval of the original transmissions */

static int
undo_setup(void **state)
{
	uint8_t o[40];
	struct ut_out out;
	uint32_t una;

	ut_tcp_setup(state);
	memset(&p, 0, sizeof(p));
	p.ts = true;
	p.tsval = 500;
	ut_passive_open_opts(&p, o, ut_opts(o, 1000, -1, false, true, p.tsval, 0));
	assert_true(app.c->flags & TF_TS);
	assert_int_equal(tcp_seg_mss(app.c), MSS);
	assert_int_equal(app.c->dupthresh, TCP_DUPTHRESH);
	una = app.c->snd_una;
	ut_tx_clear();
	assert_int_equal(ut_send(app.c, ut_data_mbuf(30 * MSS, 0)), 0);
	assert_int_equal(app.c->snd_max, una + 10 * MSS); /* the initial window */
	ut_tcp_out(0, &out);
	ts_orig = out.tsval;
	ut_tx_clear();
	return 0;
}

static void
dupack(uint32_t tsecr)
{
	p.ts_recent = tsecr;
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, app.c->snd_una, NULL, 0);
}

static void
ack(uint32_t tsecr, uint32_t seq)
{
	p.ts_recent = tsecr;
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, seq, NULL, 0);
}

/* 20 ms after the originals, three dupacks: the fast retransmit, with the
 * window before it saved. Returns the retransmission's TSval. */
static uint32_t
fast_retransmit(void)
{
	struct stk_conn *c = app.c;
	uint32_t cwnd = c->cwnd, ssthresh = c->ssthresh, una = c->snd_una;
	struct ut_out o;

	ut_advance_ms(20);
	for (int i = 0; i < 3; i++)
		dupack(ts_orig);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_int_equal(c->flags & (TF_RECOVERY | TF_UNDO), TF_RECOVERY | TF_UNDO);
	assert_int_equal(c->undo_cwnd, cwnd);
	assert_int_equal(c->undo_ssthresh, ssthresh);
	assert_true(c->ssthresh < ssthresh && c->cwnd < cwnd);
	ut_tcp_last(&o);
	assert_int_equal(o.seq, una);
	assert_int_equal(o.len, MSS);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, c->undo_tsval);
	assert_true((int32_t)(o.tsval - ts_orig) >= 19);
	ut_tx_clear();
	return o.tsval;
}

static void
test_undo_spurious(void **state)
{
	struct stk_conn *c = app.c;
	uint32_t cwnd = c->cwnd, ssthresh = c->ssthresh, max;
	struct ut_out o;

	(void)state;
	fast_retransmit();
	dupack(ts_orig); /* one more in recovery: the reordering is 4 deep */
	assert_int_equal(c->dupacks, 4);
	/* the first ACK past the hole echoes the original: it was late */
	ack(ts_orig, c->snd_max);
	assert_int_equal(ut_tcp_stats()->spurious_recoveries, 1);
	assert_int_equal(c->flags & (TF_RECOVERY | TF_UNDO), 0);
	assert_int_equal(c->ssthresh, ssthresh);
	/* restored, then grown by this ACK in slow start (at most 2 MSS) */
	assert_int_equal(c->cwnd, cwnd + 2 * MSS);
	assert_int_equal(c->dupthresh, 4 + 1);
	/* three dupacks, and a fourth, are reordering now: each lets out a
	 * new segment (limited transmit below the threshold) */
	max = c->snd_max;
	assert_int_equal(max - c->snd_una, c->cwnd); /* cwnd-limited */
	for (uint32_t i = 1; i <= 4; i++) {
		dupack(ts_orig + 20);
		assert_int_equal(c->dupacks, i);
		assert_int_equal(c->snd_max, max + i * MSS);
		assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
		assert_false(c->flags & TF_RECOVERY);
	}
	/* the fifth is a loss */
	ut_tx_clear();
	dupack(ts_orig + 20);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 2);
	assert_true(c->flags & TF_RECOVERY);
	ut_tcp_last(&o);
	assert_int_equal(o.seq, c->snd_una);
	assert_int_equal(o.len, MSS);
	assert_int_equal(ut_tcp_stats()->spurious_recoveries, 1);
}

/* No reordering in recovery: the threshold becomes the three seen + 1. */
static void
test_undo_raises_to_four(void **state)
{
	struct stk_conn *c = app.c;
	uint32_t cwnd = c->cwnd, ssthresh = c->ssthresh;

	(void)state;
	fast_retransmit();
	ack(ts_orig, c->snd_max);
	assert_int_equal(ut_tcp_stats()->spurious_recoveries, 1);
	assert_int_equal(c->ssthresh, ssthresh);
	assert_int_equal(c->cwnd, cwnd + 2 * MSS);
	assert_int_equal(c->dupthresh, 4);
	for (int i = 0; i < 3; i++)
		dupack(ts_orig + 20);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	dupack(ts_orig + 20);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 2);
}

static void
test_no_undo_for_retransmission(void **state)
{
	struct stk_conn *c = app.c;
	uint32_t rtx_ts, ssthresh;

	(void)state;
	rtx_ts = fast_retransmit();
	ssthresh = c->ssthresh;
	/* the echo is the retransmission's (same millisecond): a real loss */
	ack(rtx_ts, c->snd_max);
	assert_int_equal(ut_tcp_stats()->spurious_recoveries, 0);
	assert_int_equal(c->flags & (TF_RECOVERY | TF_UNDO), 0);
	assert_int_equal(c->ssthresh, ssthresh);
	assert_true(c->cwnd <= ssthresh);
	assert_int_equal(c->dupthresh, TCP_DUPTHRESH);
}

static void
test_no_undo_later_echo(void **state)
{
	struct stk_conn *c = app.c;
	uint32_t rtx_ts, ssthresh;

	(void)state;
	rtx_ts = fast_retransmit();
	ssthresh = c->ssthresh;
	ack(rtx_ts + 3, c->snd_max);
	assert_int_equal(ut_tcp_stats()->spurious_recoveries, 0);
	assert_int_equal(c->ssthresh, ssthresh);
	assert_int_equal(c->dupthresh, TCP_DUPTHRESH);
}

#define T(f) cmocka_unit_test_setup_teardown(f, undo_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_undo_spurious),
		T(test_undo_raises_to_four),
		T(test_no_undo_for_retransmission),
		T(test_no_undo_later_echo),
	};

	return ut_main("test_tcp_undo", tests, RTE_DIM(tests));
}

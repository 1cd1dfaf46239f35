/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_sack.c - SACK (RFC 2018) on both sides. Receiver: the option
 * written and parsed (as many blocks as fit beside timestamps, malformed
 * lengths), the blocks built from the out-of-order queue (the latest
 * arrival first, then the highest; touching entries as one block; never
 * below rcv_nxt), carried by every segment sent while data is held and by
 * none once the hole fills or when SACK was not negotiated, data segments
 * shrunk by the option's room, no reneging when the queue is full, and the
 * pure ACK that answers an out-of-order segment ahead of our data. Sender:
 * newly SACKed segments count as duplicate ACKs even on ACKs carrying data;
 * repeated, spanning and out-of-range blocks do not.
 */
#include "ut_tcp.h"

static uint8_t stream[4096];
static struct ut_peer p;
static uint32_t base; /* the peer's first data sequence number */

static int
sack_setup(void **state)
{
	ut_tcp_setup(state);
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 7 + (i >> 8));
	memset(&p, 0, sizeof(p));
	return 0;
}

/* Passive open; the peer offers MSS mss, SACK-permitted if sack,
 * timestamps if ts. */
static void
open_conn(uint16_t mss, bool sack, bool ts)
{
	uint8_t o[40];

	p.snd_nxt = 1000;
	p.ts = ts;
	p.tsval = 100;
	ut_passive_open_opts(&p, o, ut_opts(o, mss, -1, sack, ts, p.tsval, 0));
	assert_int_equal((app.c->flags & TF_SACK) != 0, sack);
	assert_int_equal((app.c->flags & TF_TS) != 0, ts);
	base = p.snd_nxt;
	ut_tx_clear();
}

static void
send_range(uint32_t from, uint32_t to)
{
	ut_peer_raw(&p, TCP_ACK, base + from, p.rcv_nxt, stream + from, to - from);
}

/* o carries n SACK blocks: n pairs of offsets from base, in order. */
static void
expect_sack(const struct ut_out *o, unsigned int n, ...)
{
	va_list ap;

	if (n == 0) {
		assert_false(o->has_sack);
		return;
	}
	assert_true(o->has_sack);
	assert_int_equal(o->n_sack, n);
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t l = va_arg(ap, uint32_t), r = va_arg(ap, uint32_t);

		if (o->sack[i].left != base + l || o->sack[i].right != base + r)
			fail_msg("block %u: [%u, %u), want [%u, %u)", i, o->sack[i].left - base,
				 o->sack[i].right - base, l, r);
	}
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* The option                                                           */

static void
test_opts_sack_roundtrip(void **state)
{
	struct tcp_opts w, r;
	uint8_t b[TCP_OPT_MAX];

	(void)state;
	for (int ts = 0; ts <= 1; ts++) {
		for (unsigned int n = 1; n <= TCP_SACK_MAX; n++) {
			unsigned int k = RTE_MIN(n, ts ? 3u : 4u), off = ts ? 12 : 0, len;

			memset(&w, 0, sizeof(w));
			w.flags = ts ? TCP_OPT_F_TS : 0;
			w.tsval = 0x01020304;
			w.tsecr = 0x05060708;
			w.n_sack = (uint8_t)n;
			for (unsigned int i = 0; i < n; i++) {
				/* across the wrap, distinct bytes in every field */
				w.sack[i].left = 0xfffff000u + 0x1111u * i;
				w.sack[i].right = w.sack[i].left + 0x2000u + i;
			}
			len = tcp_opts_write(b, &w);
			assert_int_equal(len, off + 4 + 8 * k);
			assert_true(len <= TCP_OPT_MAX);
			assert_int_equal(len % 4, 0);
			/* NOP NOP SACK, length = 2 + 8 per block */
			assert_int_equal(b[off], 1);
			assert_int_equal(b[off + 1], 1);
			assert_int_equal(b[off + 2], 5);
			assert_int_equal(b[off + 3], 2 + 8 * k);
			assert_int_equal(tcp_opts_parse(b, len, &r), 0);
			assert_int_equal(r.flags, (ts ? TCP_OPT_F_TS : 0) | TCP_OPT_F_SACK);
			assert_int_equal(r.n_sack, k);
			for (unsigned int i = 0; i < k; i++) {
				assert_int_equal(r.sack[i].left, w.sack[i].left);
				assert_int_equal(r.sack[i].right, w.sack[i].right);
			}
			if (ts) {
				assert_int_equal(r.tsval, 0x01020304);
				assert_int_equal(r.tsecr, 0x05060708);
			}
		}
	}
	/* no blocks: no option; a SYN never carries blocks */
	memset(&w, 0, sizeof(w));
	w.flags = TCP_OPT_F_TS;
	assert_int_equal(tcp_opts_write(b, &w), 12);
	w.flags = TCP_OPT_F_MSS | TCP_OPT_F_SACKOK | TCP_OPT_F_TS;
	w.mss = 1460;
	w.n_sack = 2;
	w.sack[0] = (struct tcp_sack_block){1, 2};
	w.sack[1] = (struct tcp_sack_block){3, 4};
	assert_int_equal(tcp_opts_write(b, &w), 16);
	assert_int_equal(tcp_opts_parse(b, 16, &r), 0);
	assert_false(r.flags & TCP_OPT_F_SACK);
	assert_int_equal(r.n_sack, 0);
}

static void
put_block(uint8_t *b, uint32_t l, uint32_t r)
{
	ut_put32(b, l);
	ut_put32(b + 4, r);
}

static void
test_opts_sack_malformed(void **state)
{
	struct tcp_opts o;
	uint8_t b[48];

	(void)state;
	/* one whole block */
	b[0] = 5;
	b[1] = 10;
	put_block(b + 2, 0x10, 0x20);
	assert_int_equal(tcp_opts_parse(b, 10, &o), 0);
	assert_int_equal(o.flags, TCP_OPT_F_SACK);
	assert_int_equal(o.n_sack, 1);
	assert_int_equal(o.sack[0].left, 0x10);
	assert_int_equal(o.sack[0].right, 0x20);
	/* not whole blocks: ignored (nothing left from before), and the
	 * options after it are still read */
	memset(b, 0xaa, sizeof(b));
	b[0] = 5;
	b[1] = 12;
	ut_opts(b + 12, 0, -1, false, true, 77, 88);
	assert_int_equal(tcp_opts_parse(b, 24, &o), 0);
	assert_int_equal(o.flags, TCP_OPT_F_TS);
	assert_int_equal(o.n_sack, 0);
	assert_int_equal(o.tsval, 77);
	/* no block at all */
	b[0] = 5;
	b[1] = 2;
	b[2] = 1;
	b[3] = 1;
	assert_int_equal(tcp_opts_parse(b, 4, &o), 0);
	assert_int_equal(o.flags, 0);
	assert_int_equal(o.n_sack, 0);
	/* four blocks, the most 40 option bytes hold */
	b[0] = 5;
	b[1] = 34;
	for (unsigned int i = 0; i < 4; i++)
		put_block(b + 2 + 8 * i, 100 * i, 100 * i + 50);
	b[34] = 1;
	b[35] = 1;
	assert_int_equal(tcp_opts_parse(b, 36, &o), 0);
	assert_int_equal(o.n_sack, 4);
	assert_int_equal(o.sack[3].left, 300);
	assert_int_equal(o.sack[3].right, 350);
	/* five (a list longer than a header can carry): ignored, not stored */
	b[1] = 42;
	put_block(b + 34, 400, 450);
	b[42] = 1;
	b[43] = 1;
	assert_int_equal(tcp_opts_parse(b, 44, &o), 0);
	assert_int_equal(o.flags, 0);
	assert_int_equal(o.n_sack, 0);
	/* a length running past the list, or under 2: malformed */
	b[1] = 18;
	assert_int_equal(tcp_opts_parse(b, 10, &o), -EBADMSG);
	b[1] = 1;
	assert_int_equal(tcp_opts_parse(b, 10, &o), -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* The receiver                                                         */

struct step {
	uint32_t from, to; /* the peer's segment */
	uint32_t ack;	   /* our ACK for it */
	unsigned int n;	   /* blocks: the latest arrival's, then the highest */
	uint32_t b[4][2];
};

static const struct step steps[] = {
	{100, 200, 0, 1, {{100, 200}}},
	{500, 600, 0, 2, {{500, 600}, {100, 200}}},
	{300, 400, 0, 3, {{300, 400}, {500, 600}, {100, 200}}},
	{700, 800, 0, 4, {{700, 800}, {500, 600}, {300, 400}, {100, 200}}},
	{900, 1000, 0, 4, {{900, 1000}, {700, 800}, {500, 600}, {300, 400}}},
	/* entries that touch are one block */
	{200, 300, 0, 4, {{100, 400}, {900, 1000}, {700, 800}, {500, 600}}},
	/* the first hole fills: the latest arrival is delivered, the rest
	 * highest first */
	{0, 100, 400, 3, {{900, 1000}, {700, 800}, {500, 600}}},
	{600, 700, 400, 2, {{500, 800}, {900, 1000}}},
	{400, 500, 800, 1, {{900, 1000}}},
	/* nothing held: no option */
	{800, 900, 1000, 0, {{0, 0}}},
};

static void
run_steps(bool ts)
{
	unsigned int max = ts ? 3 : 4;

	open_conn(1460, true, ts);
	for (unsigned int i = 0; i < RTE_DIM(steps); i++) {
		const struct step *st = &steps[i];
		unsigned int n = RTE_MIN(st->n, max);
		struct ut_out o;

		ut_tx_clear();
		send_range(st->from, st->to);
		assert_int_equal(ut.n_tx, 1);
		ut_tcp_last(&o);
		assert_int_equal(o.flags, TCP_ACK);
		assert_int_equal(o.len, 0);
		assert_int_equal(o.ack, base + st->ack);
		assert_int_equal(o.has_ts, ts);
		assert_int_equal(o.olen, (ts ? 12 : 0) + (n ? 4 + 8 * n : 0));
		assert_int_equal(o.has_sack, n != 0);
		assert_int_equal(o.n_sack, n);
		for (unsigned int k = 0; k < n; k++) {
			if (o.sack[k].left != base + st->b[k][0] ||
			    o.sack[k].right != base + st->b[k][1])
				fail_msg("step %u block %u: [%u, %u), want [%u, %u)", i, k,
					 o.sack[k].left - base, o.sack[k].right - base, st->b[k][0],
					 st->b[k][1]);
		}
	}
	assert_int_equal(app.rx_len, 1000);
	assert_memory_equal(app.rx, stream, 1000);
	assert_int_equal(app.c->ooo_n, 0);
}

static void
test_sack_blocks(void **state)
{
	(void)state;
	run_steps(false);
}

static void
test_sack_blocks_ts(void **state)
{
	(void)state;
	run_steps(true);
}

static void
assert_block(const struct tcp_sack_block *b, uint32_t l, uint32_t r)
{
	if (b->left != base + l || b->right != base + r)
		fail_msg("block [%u, %u), want [%u, %u)", b->left - base, b->right - base, l, r);
}

static void
test_sack_builder(void **state)
{
	struct tcp_sack_block b[8];
	struct stk_conn *c;
	uint32_t rcv_nxt;

	(void)state;
	open_conn(1460, true, false);
	c = app.c;
	send_range(300, 400);
	send_range(500, 600);
	send_range(100, 200); /* the latest */
	assert_int_equal(tcp_ooo_sack(c, b, 0), 0);
	assert_int_equal(tcp_ooo_sack(c, b, 1), 1);
	assert_block(&b[0], 100, 200);
	assert_int_equal(tcp_ooo_sack(c, b, 2), 2);
	assert_block(&b[0], 100, 200);
	assert_block(&b[1], 500, 600);
	assert_int_equal(tcp_ooo_sack(c, b, 3), 3);
	assert_block(&b[2], 300, 400);
	/* never below rcv_nxt (held data that in-order data overtook) */
	rcv_nxt = c->rcv_nxt;
	c->rcv_nxt = base + 150; /* the latest arrival's first byte is delivered */
	assert_int_equal(tcp_ooo_sack(c, b, 4), 3);
	assert_block(&b[0], 500, 600);
	assert_block(&b[1], 300, 400);
	assert_block(&b[2], 150, 200);
	c->ooo_last = base + 180; /* as after a duplicate of [180, 200) */
	assert_int_equal(tcp_ooo_sack(c, b, 4), 3);
	assert_block(&b[0], 150, 200);
	assert_block(&b[1], 500, 600);
	c->ooo_last = base + 100;
	c->rcv_nxt = base + 350;
	assert_int_equal(tcp_ooo_sack(c, b, 4), 2);
	assert_block(&b[0], 500, 600);
	assert_block(&b[1], 350, 400);
	c->rcv_nxt = base + 600;
	assert_int_equal(tcp_ooo_sack(c, b, 4), 0);
	c->rcv_nxt = rcv_nxt;
	/* more entries than an option holds: asking for more gets four */
	send_range(700, 800);
	send_range(1100, 1200);
	send_range(900, 1000); /* the latest, not the highest */
	assert_int_equal(tcp_ooo_sack(c, b, 8), TCP_SACK_MAX);
	assert_block(&b[0], 900, 1000);
	assert_block(&b[1], 1100, 1200);
	assert_block(&b[2], 700, 800);
	assert_block(&b[3], 500, 600);
	send_range(0, 1200);
	assert_int_equal(app.rx_len, 1200);
	assert_int_equal(tcp_ooo_sack(c, b, 4), 0);
}

/* Data segments sent while data is held carry the blocks and leave room
 * for them; once the hole fills, neither. */
static void
run_data_sack(bool ts)
{
	uint32_t mss = ts ? 1448 : 1460, small = mss - (ts ? 28 : 36);
	uint8_t got[3000];
	struct ut_out o;

	open_conn(1460, true, ts);
	assert_int_equal(tcp_tx_mss(app.c), mss);
	send_range(100, 200);
	assert_int_equal(tcp_tx_mss(app.c), small);
	ut_tx_clear();
	assert_int_equal(ut_send(app.c, ut_data_mbuf(3000, 9)), 0);
	assert_int_equal(ut.n_tx, 3);
	for (unsigned int i = 0; i < 3; i++) {
		ut_tcp_out(i, &o);
		assert_int_equal(o.len, i < 2 ? small : 3000 - 2 * small);
		assert_int_equal(o.ack, base);
		expect_sack(&o, 1, 100, 200);
		assert_int_equal(o.olen, (ts ? 12 : 0) + 12);
		assert_true(o.olen + o.len <= 1460); /* within the MTU */
	}
	assert_int_equal(ut_tx_payload(0, got, sizeof(got)), 3000);
	for (unsigned int i = 0; i < 3000; i++)
		assert_int_equal(got[i], (uint8_t)(9 + i));
	/* the hole fills: no option, full segments */
	ut_tx_clear();
	send_range(0, 100);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.ack, base + 200);
	expect_sack(&o, 0);
	assert_int_equal(tcp_tx_mss(app.c), mss);
	ut_tx_clear();
	assert_int_equal(ut_send(app.c, ut_data_mbuf(2000, 0)), 0);
	assert_int_equal(ut.n_tx, 2);
	ut_tcp_out(0, &o);
	assert_int_equal(o.len, mss);
	expect_sack(&o, 0);
	assert_int_equal(o.olen, ts ? 12 : 0);
}

static void
test_sack_on_data(void **state)
{
	(void)state;
	run_data_sack(false);
}

static void
test_sack_on_data_ts(void **state)
{
	(void)state;
	run_data_sack(true);
}

static void
test_no_sack_not_negotiated(void **state)
{
	struct ut_out o;

	(void)state;
	open_conn(1460, false, true);
	send_range(100, 200);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.ack, base);
	expect_sack(&o, 0);
	assert_int_equal(o.olen, 12);
	assert_int_equal(tcp_tx_mss(app.c), 1448);
	ut_tx_clear();
	assert_int_equal(ut_send(app.c, ut_data_mbuf(2000, 0)), 0);
	ut_tcp_out(0, &o);
	assert_int_equal(o.len, 1448);
	expect_sack(&o, 0);
}

static void
test_no_sack_switched_off(void **state)
{
	uint8_t opts[40];
	struct ut_out o;

	(void)state;
	ut.conf.tcp.opt_sack = false;
	ut_tcp_restart();
	p.snd_nxt = 1000;
	ut_passive_open_opts(&p, opts, ut_opts(opts, 1460, -1, true, false, 0, 0));
	assert_false(app.c->flags & TF_SACK);
	base = p.snd_nxt;
	ut_tx_clear();
	send_range(100, 200);
	ut_tcp_last(&o);
	expect_sack(&o, 0);
	assert_int_equal(o.olen, 0);
}

/* With SACK, what was reported stays: a full queue refuses new data, even
 * below its tail, rather than evicting (RFC 2018 8: no reneging). */
static void
test_sack_no_reneging(void **state)
{
	struct ut_out o;

	(void)state;
	open_conn(1460, true, false); /* ooo_max 8 */
	for (uint32_t i = 0; i < 8; i++)
		send_range(200 + 100 * i, 250 + 100 * i);
	assert_int_equal(app.c->ooo_n, 8);
	ut_tx_clear();
	send_range(120, 130);
	assert_int_equal(app.c->ooo_n, 8);
	assert_int_equal(ut_tcp_stats()->ooo_drops, 1);
	assert_int_equal(ut_stats()->drops[STK_DROP_TCP_OOO_FULL], 1);
	/* the highest entry is still held and reported */
	ut_tcp_last(&o);
	expect_sack(&o, 4, 900, 950, 800, 850, 700, 750, 600, 650);
	send_range(0, 1000);
	assert_int_equal(app.rx_len, 1000);
	assert_memory_equal(app.rx, stream, 1000);
}

/* An out-of-order segment is answered by a pure ACK at once, ahead of the
 * data its ACK lets out: a sender counts only pure ACKs as duplicates. */
static void
test_ooo_pure_ack_before_data(void **state)
{
	struct ut_out o;
	uint32_t una;

	(void)state;
	open_conn(1460, false, false);
	una = app.c->snd_una;
	assert_int_equal(ut_send(app.c, ut_data_mbuf(20000, 0)), 0);
	assert_int_equal(app.c->snd_max, una + 10 * 1460); /* the initial window */
	ut_tx_clear();
	/* out of order, and it acks a segment: cwnd opens by one */
	ut_peer_raw(&p, TCP_ACK, base + 100, una + 1460, stream + 100, 100);
	assert_int_equal(ut.n_tx, 3);
	ut_tcp_out(0, &o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.ack, base);
	assert_int_equal(o.seq, una + 10 * 1460);
	for (unsigned int i = 1; i < 3; i++) {
		ut_tcp_out(i, &o);
		assert_int_equal(o.len, 1460);
		assert_int_equal(o.seq, una + (9 + i) * 1460);
		assert_int_equal(o.ack, base);
	}
}

/* ------------------------------------------------------------------ */
/* The sender                                                           */

/* A segment from the peer at its sequence (len bytes of data) acking ack,
 * with n SACK blocks (absolute sequence numbers). */
static void
peer_sack(uint32_t ack, size_t len, unsigned int n, const uint32_t (*blk)[2])
{
	uint8_t o[40];
	size_t olen = 0;

	if (p.ts)
		olen = ut_opts(o, 0, -1, false, true, ++p.tsval, p.ts_recent);
	o[olen++] = 1;
	o[olen++] = 1;
	o[olen++] = 5;
	o[olen++] = (uint8_t)(2 + 8 * n);
	for (unsigned int i = 0; i < n; i++, olen += 8)
		put_block(o + olen, blk[i][0], blk[i][1]);
	ut_tcp_rx(&(struct ut_seg){.sport = p.port,
				   .dport = p.lport,
				   .seq = p.snd_nxt,
				   .ack = ack,
				   .flags = TCP_ACK,
				   .wnd = p.wnd,
				   .opts = o,
				   .olen = olen,
				   .data = stream + (p.snd_nxt - base),
				   .len = len});
	p.snd_nxt += (uint32_t)len;
}

static void
test_sack_counts_dupacks(void **state)
{
	struct stk_conn *c;
	uint32_t s;
	bool found = false;

	(void)state;
	open_conn(1000, true, false);
	c = app.c;
	s = c->snd_una;
	assert_int_equal(ut_send(c, ut_data_mbuf(12000, 0)), 0);
	assert_int_equal(c->snd_max, s + 10000);
	/* 1: data from the peer whose SACK reports our second segment */
	peer_sack(s, 100, 1, (const uint32_t[][2]){{s + 1000, s + 2000}});
	assert_int_equal(c->dupacks, 1);
	assert_int_equal(c->snd_max, s + 11000); /* limited transmit */
	/* the same report again, pure ACKs or not: nothing new, no count */
	peer_sack(s, 0, 1, (const uint32_t[][2]){{s + 1000, s + 2000}});
	peer_sack(s, 0, 1, (const uint32_t[][2]){{s + 1000, s + 2000}});
	peer_sack(s, 50, 1, (const uint32_t[][2]){{s + 1000, s + 2000}});
	assert_int_equal(c->dupacks, 1);
	/* blocks spanning snd_una, beyond snd_max, inverted: ignored */
	peer_sack(s, 0, 3,
		  (const uint32_t[][2]){{s - 500, s + 5000},
					{s + 9000, c->snd_max + 1000},
					{s + 7000, s + 6000}});
	assert_int_equal(c->dupacks, 1);
	assert_int_equal(c->sack_high, s + 2000);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 0);
	/* 2 */
	peer_sack(s, 100, 1, (const uint32_t[][2]){{s + 1000, s + 3000}});
	assert_int_equal(c->dupacks, 2);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 0);
	/* 3: the latest block first, the older one after it */
	ut_tx_clear();
	peer_sack(s, 100, 2, (const uint32_t[][2]){{s + 4000, s + 5000}, {s + 1000, s + 3000}});
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_true(c->flags & TF_RECOVERY);
	for (unsigned int i = 0; i < ut.n_tx; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		if (o.len != 0 && o.seq == s) {
			assert_int_equal(o.len, 1000);
			found = true;
		}
	}
	assert_true(found);
	assert_int_equal(ut_tcp_stats()->retrans_segs, 1);
}

/* Several segments newly SACKed by one ACK count as that many dupacks. */
static void
test_sack_counts_segments(void **state)
{
	struct stk_conn *c;
	uint32_t s;

	(void)state;
	open_conn(1000, true, false);
	c = app.c;
	s = c->snd_una;
	assert_int_equal(ut_send(c, ut_data_mbuf(10000, 0)), 0);
	peer_sack(s, 0, 1, (const uint32_t[][2]){{s + 1000, s + 3000}});
	assert_int_equal(c->dupacks, 2);
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 0);
	peer_sack(s, 0, 1, (const uint32_t[][2]){{s + 1000, s + 3500}}); /* half a segment */
	assert_int_equal(ut_tcp_stats()->fast_retransmits, 1);
	assert_int_equal(c->sack_high, s + 3500);
}

/* One ACK whose blocks all report new data (ACKs before it lost), the
 * latest arrival's block first and below another: 3 segments are new. */
static void
test_sack_news_unsorted(void **state)
{
	struct stk_conn *c;
	uint32_t s;

	(void)state;
	open_conn(1000, true, false);
	c = app.c;
	s = c->snd_una;
	assert_int_equal(ut_send(c, ut_data_mbuf(10000, 0)), 0);
	peer_sack(s, 0, 3,
		  (const uint32_t[][2]){
			  {s + 5000, s + 6000}, {s + 7000, s + 8000}, {s + 2000, s + 3000}});
	assert_int_equal(c->sack_high, s + 8000);
	assert_int_equal(c->dupacks, 3);
}

/* Simultaneous open, the peer's SYN offers a zero window; abort in
 * SYN-RECEIVED: the RST must carry iss + 1 (the peer's RCV.NXT). */
static void
test_rst_syn_received_zero_window(void **state)
{
	struct ut_peer q = {0};
	struct ut_out o;
	struct stk_conn *c;
	uint32_t iss;

	(void)state;
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &c), 0);
	app.c = c;
	ut_flush();
	ut_tcp_last(&o);
	iss = o.seq;
	q = (struct ut_peer){.port = 443, .lport = o.sport, .rcv_nxt = 0, .snd_nxt = 77, .wnd = 0};
	ut_peer_send(&q, TCP_SYN, NULL, 0);
	assert_int_equal(c->state, STK_TCP_SYN_RECEIVED);
	ut_tx_clear();
	stk_conn_abort(c);
	ut_flush();
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(o.seq, iss + 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, sack_setup, ut_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_opts_sack_roundtrip),
		T(test_opts_sack_malformed),
		T(test_sack_blocks),
		T(test_sack_blocks_ts),
		T(test_sack_builder),
		T(test_sack_on_data),
		T(test_sack_on_data_ts),
		T(test_no_sack_not_negotiated),
		T(test_no_sack_switched_off),
		T(test_sack_no_reneging),
		T(test_ooo_pure_ack_before_data),
		T(test_sack_counts_dupacks),
		T(test_sack_counts_segments),
		T(test_sack_news_unsorted),
		T(test_rst_syn_received_zero_window),
	};

	return ut_main("test_tcp_sack", tests, RTE_DIM(tests));
}

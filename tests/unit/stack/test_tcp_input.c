/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_input.c - crafted segments for TCP input: validation (each
 * malformation its own drop reason), option parsing, segments with no
 * connection, LISTEN, SYN-SENT (active open, refusals, simultaneous open),
 * SYN-RECEIVED, and the dispatch table itself.
 */
#include "ut_tcp.h"

static void
assert_no_tx(void)
{
	assert_int_equal(ut.n_tx, 0);
}

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */

static void
test_short_header(void **state)
{
	struct ut_pkt f;
	uint8_t l4[19] = {0};

	(void)state;
	ut_ip(&f, UT_PEER, UT_US, 6, l4, sizeof(l4));
	ut_rx(&f);
	assert_int_equal(drops(STK_DROP_TCP_SHORT), 1);
	assert_int_equal(ut_tcp_stats()->bad_segments, 1);
	assert_int_equal(ut_tcp_stats()->segs_in, 0);
	assert_no_tx();
}

static void
test_bad_data_offset(void **state)
{
	uint8_t data[8] = {0};

	(void)state;
	/* below 5 words */
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .doff_words = 4});
	assert_int_equal(drops(STK_DROP_TCP_DOFF), 1);
	/* past the end of the segment */
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .doff_words = 8, .data = data, .len = 8});
	assert_int_equal(drops(STK_DROP_TCP_DOFF), 2);
	assert_int_equal(ut_tcp_stats()->bad_segments, 2);
	assert_no_tx();
}

static void
test_bad_checksum(void **state)
{
	struct stk_listener *l;

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 1, .wnd = 100, .bad_cksum = true});
	assert_int_equal(drops(STK_DROP_TCP_CKSUM), 1);
	assert_no_tx();
	assert_int_equal(ut_conns(), 0);
}

static void
test_rx_cksum_offload_flags(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;
	struct stk_listener *l;

	(void)state;
	ut.conf.ports[0].rx_l4_cksum = true;
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	/* a port that checks: BAD is believed over a correct checksum */
	ut_tcp_frame(&f, &(struct ut_seg){.flags = TCP_SYN, .seq = 1, .wnd = 100});
	m = ut_mbuf(f.b, f.len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	assert_int_equal(drops(STK_DROP_TCP_CKSUM), 1);
	/* and GOOD over a wrong one */
	ut_tcp_frame(&f,
		     &(struct ut_seg){.flags = TCP_SYN, .seq = 1, .wnd = 100, .bad_cksum = true});
	m = ut_mbuf(f.b, f.len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	stk_flush(ut.ctx);
	assert_int_equal(ut_conns(), 1);
	assert_int_equal(ut.n_tx, 1);
}

static void
test_cksum_ignores_flags_without_offload(void **state)
{
	struct ut_pkt f;
	struct rte_mbuf *m;

	(void)state;
	ut_tcp_frame(&f, &(struct ut_seg){.flags = TCP_SYN, .seq = 1, .bad_cksum = true});
	m = ut_mbuf(f.b, f.len);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD; /* the port never said it checks */
	stk_input(ut.ctx, 0, &m, 1, ut.now);
	assert_int_equal(drops(STK_DROP_TCP_CKSUM), 1);
}

static void
test_bad_options(void **state)
{
	static const uint8_t zero_len[4] = {2, 0, 1, 1}; /* length 0 */
	static const uint8_t one_len[4] = {1, 1, 8, 1};	 /* length 1 */
	static const uint8_t overrun[4] = {1, 1, 8, 10}; /* runs past the header */
	static const uint8_t no_len[4] = {1, 1, 1, 2};	 /* kind without length */
	static const uint8_t wrong_mss[8] = {2, 3, 5, 1,
					     1, 1, 1, 1}; /* known, bad length: ignored */
	struct stk_listener *l;
	struct ut_out o;

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .opts = zero_len, .olen = 4});
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .opts = one_len, .olen = 4});
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .opts = overrun, .olen = 4});
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .opts = no_len, .olen = 4});
	assert_int_equal(drops(STK_DROP_TCP_OPTS), 4);
	assert_no_tx();
	ut_tcp_rx(&(struct ut_seg){
		.flags = TCP_SYN, .seq = 9, .wnd = 1000, .opts = wrong_mss, .olen = 8});
	assert_int_equal(drops(STK_DROP_TCP_OPTS), 4);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(app.c, NULL);
	assert_int_equal(ut.ctx->tcp->conns[0].peer_mss, TCP_DEFAULT_MSS); /* no valid MSS */
}

static void
test_opts_parse(void **state)
{
	struct tcp_opts o;
	uint8_t b[40];
	size_t n;

	(void)state;
	n = ut_opts(b, 1400, 9, true, true, 0x11223344, 0x55667788);
	assert_int_equal(tcp_opts_parse(b, (unsigned int)n, &o), 0);
	assert_int_equal(o.flags,
			 TCP_OPT_F_MSS | TCP_OPT_F_WSCALE | TCP_OPT_F_SACKOK | TCP_OPT_F_TS);
	assert_int_equal(o.mss, 1400);
	assert_int_equal(o.wscale, 9);
	assert_int_equal(o.tsval, 0x11223344);
	assert_int_equal(o.tsecr, 0x55667788);
	/* a shift over 14 is taken as 14 (RFC 7323 2.3) */
	n = ut_opts(b, 0, 15, false, false, 0, 0);
	assert_int_equal(tcp_opts_parse(b, (unsigned int)n, &o), 0);
	assert_int_equal(o.wscale, 14);
	/* EOL ends the list; what follows is not looked at */
	b[0] = 0;
	b[1] = 0xff;
	assert_int_equal(tcp_opts_parse(b, 2, &o), 0);
	assert_int_equal(o.flags, 0);
	/* unknown options are skipped by their length */
	b[0] = 99;
	b[1] = 6;
	memset(b + 2, 0xee, 4);
	b[6] = 4;
	b[7] = 2;
	assert_int_equal(tcp_opts_parse(b, 8, &o), 0);
	assert_int_equal(o.flags, TCP_OPT_F_SACKOK);
	/* SACK blocks are recognised */
	b[0] = 5;
	b[1] = 10;
	assert_int_equal(tcp_opts_parse(b, 10, &o), 0);
	assert_int_equal(o.flags, TCP_OPT_F_SACK);
	b[1] = 9; /* not a whole block */
	assert_int_equal(tcp_opts_parse(b, 10, &o), 0);
	assert_int_equal(o.flags, 0);
	/* malformed */
	b[0] = 8;
	b[1] = 11;
	assert_int_equal(tcp_opts_parse(b, 10, &o), -EBADMSG);
	b[1] = 0;
	assert_int_equal(tcp_opts_parse(b, 10, &o), -EBADMSG);
	assert_int_equal(tcp_opts_parse(b, 1, &o), -EBADMSG);
}

static void
test_opts_write_roundtrip(void **state)
{
	struct tcp_opts w = {.flags = TCP_OPT_F_MSS | TCP_OPT_F_WSCALE | TCP_OPT_F_SACKOK |
				      TCP_OPT_F_TS,
			     .mss = 1460,
			     .wscale = 7,
			     .tsval = 1,
			     .tsecr = 2},
			r;
	uint8_t b[40];
	unsigned int n;

	(void)state;
	for (unsigned int f = 0; f < 16; f++) {
		w.flags = (uint8_t)f;
		n = tcp_opts_write(b, &w);
		assert_int_equal(n % 4, 0);
		assert_true(n <= 20);
		assert_int_equal(tcp_opts_parse(b, n, &r), 0);
		assert_int_equal(r.flags, w.flags);
		if (f & TCP_OPT_F_MSS)
			assert_int_equal(r.mss, 1460);
		if (f & TCP_OPT_F_WSCALE)
			assert_int_equal(r.wscale, 7);
		if (f & TCP_OPT_F_TS)
			assert_int_equal(r.tsecr, 2);
	}
}

static void
test_port_zero(void **state)
{
	(void)state;
	ut_tcp_rx(&(struct ut_seg){.raw_ports = true, .sport = 0, .dport = 80, .flags = TCP_SYN});
	ut_tcp_rx(&(struct ut_seg){.raw_ports = true, .sport = 80, .dport = 0, .flags = TCP_SYN});
	assert_int_equal(drops(STK_DROP_TCP_PORT), 2);
	assert_no_tx();
}

/* ------------------------------------------------------------------ */
/* No connection                                                        */

static void
test_closed_port_syn_gets_rst(void **state)
{
	struct ut_out o;
	uint8_t data[5] = {1, 2, 3, 4, 5};

	(void)state;
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 100, .data = data, .len = 5});
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	assert_int_equal(o.seq, 0);
	assert_int_equal(o.ack, 100 + 1 + 5);
	assert_int_equal(o.sport, UT_LPORT);
	assert_int_equal(o.dport, UT_RPORT);
	assert_int_equal(o.dst, UT_PEER);
	assert_int_equal(drops(STK_DROP_NO_SOCKET), 1);
	assert_int_equal(ut_tcp_stats()->rsts_out, 1);
}

static void
test_closed_port_ack_gets_rst(void **state)
{
	struct ut_out o;

	(void)state;
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_ACK, .seq = 100, .ack = 777});
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST);
	assert_int_equal(o.seq, 777);
	/* FIN without ACK: the FIN counts in the acknowledgment */
	ut_tx_clear();
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_FIN, .seq = 100});
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST | TCP_ACK);
	assert_int_equal(o.ack, 101);
}

static void
test_closed_port_rst_ignored(void **state)
{
	(void)state;
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_RST, .seq = 100});
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_RST | TCP_ACK, .seq = 100, .ack = 5});
	assert_no_tx();
	assert_int_equal(drops(STK_DROP_NO_SOCKET), 2);
	assert_int_equal(ut_tcp_stats()->rsts_out, 0);
}

static void
test_tcp_off(void **state)
{
	(void)state;
	memset(&ut.conf.tcp, 0, sizeof(ut.conf.tcp));
	ut_tcp_restart();
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN});
	assert_int_equal(drops(STK_DROP_NO_SOCKET), 1);
	assert_no_tx();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, 80, &ut_ops, &app, &(struct stk_listener *){0}),
			 -EPROTONOSUPPORT);
}

/* ------------------------------------------------------------------ */
/* LISTEN                                                               */

static void
test_listen_syn_options(void **state)
{
	struct stk_listener *l;
	struct ut_out o;
	uint8_t b[40];
	size_t n = ut_opts(b, 1000, 7, true, true, 4242, 0);

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(
		&(struct ut_seg){.flags = TCP_SYN, .seq = 0x10, .wnd = 5000, .opts = b, .olen = n});
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.ack, 0x11);
	assert_true(o.has_mss);
	assert_int_equal(o.mss, 1460); /* port MTU 1500 */
	assert_true(o.has_ws);
	assert_int_equal(o.ws, 2); /* rcv_buf 4 * 65535 needs a shift of 2 */
	assert_true(o.has_sackok);
	assert_true(o.has_ts);
	assert_int_equal(o.tsecr, 4242);
	assert_true(o.wnd > 0);
	assert_int_equal(ut_tcp_stats()->passive_opens, 1);
	assert_int_equal(ut_conns(), 1);
	/* the peer's MSS was taken */
	assert_int_equal(ut.ctx->tcp->conns[0].snd_mss, 1000);
	assert_int_equal(ut.ctx->tcp->conns[0].snd_wscale, 7);
}

static void
test_listen_syn_no_options(void **state)
{
	struct stk_listener *l;
	struct ut_out o;

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 7, .wnd = 5000});
	ut_tcp_last(&o);
	assert_true(o.has_mss);
	assert_false(o.has_ws);
	assert_false(o.has_sackok);
	assert_false(o.has_ts);
	assert_int_equal(ut.ctx->tcp->conns[0].snd_mss, TCP_DEFAULT_MSS);
	assert_int_equal(ut.ctx->tcp->conns[0].rcv_wscale, 0);
}

static void
test_listen_options_switched_off(void **state)
{
	struct stk_listener *l;
	struct ut_out o;
	uint8_t b[40];
	size_t n = ut_opts(b, 1000, 7, true, true, 4242, 0);

	(void)state;
	ut.conf.tcp.opt_wscale = false;
	ut.conf.tcp.opt_timestamps = false;
	ut.conf.tcp.opt_sack = false;
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 7, .wnd = 5000, .opts = b, .olen = n});
	ut_tcp_last(&o);
	assert_true(o.has_mss);
	assert_false(o.has_ws);
	assert_false(o.has_sackok);
	assert_false(o.has_ts);
	assert_int_equal(o.wnd, 65535); /* no scaling: capped */
}

static void
test_listen_non_syn(void **state)
{
	struct stk_listener *l;
	struct ut_out o;

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_ACK, .seq = 5, .ack = 99});
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST);
	assert_int_equal(o.seq, 99);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_ACK), 1);
	ut_tx_clear();
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_RST, .seq = 5});
	assert_int_equal(drops(STK_DROP_TCP_RST_IGNORED), 1);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN | TCP_FIN, .seq = 5});
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_FIN, .seq = 5});
	ut_tcp_rx(&(struct ut_seg){.flags = 0, .seq = 5});
	assert_int_equal(drops(STK_DROP_TCP_FLAGS), 3);
	assert_no_tx();
	assert_int_equal(ut_conns(), 0);
}

static void
test_listen_specific_address(void **state)
{
	struct stk_listener *l, *l2;

	(void)state;
	assert_int_equal(stk_tcp_listen(ut.ctx, UT_IP(10, 0, 0, 9), 80, &ut_ops, &app, &l),
			 -EADDRNOTAVAIL);
	assert_int_equal(stk_tcp_listen(ut.ctx, UT_US, 80, &ut_ops, &app, &l), 0);
	assert_int_equal(stk_tcp_listen(ut.ctx, UT_US, 80, &ut_ops, &app, &l2), -EADDRINUSE);
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, 80, &ut_ops, &app, &l2), 0);
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 5, .wnd = 100});
	assert_int_equal(ut_conns(), 1);
	stk_tcp_unlisten(ut.ctx, l);
	stk_tcp_unlisten(ut.ctx, l2);
	ut_tx_clear();
	/* without listeners the handshake ends in a RST */
	ut_tcp_rx(&(struct ut_seg){.sport = 2, .flags = TCP_SYN, .seq = 5, .wnd = 100});
	assert_int_equal(drops(STK_DROP_NO_SOCKET), 1);
}

static void
test_listen_overflow(void **state)
{
	struct stk_listener *l;

	(void)state;
	ut.conf.tcp.max_conns = 8;
	ut.conf.tcp.syn_backlog = 4;	/* half-open: at most 4 */
	ut.conf.tcp.syncookies = false; /* test_tcp_cookie.c: with them */
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	for (uint16_t i = 0; i < 6; i++)
		ut_tcp_rx(&(struct ut_seg){
			.sport = (uint16_t)(1000 + i), .flags = TCP_SYN, .seq = 5, .wnd = 100});
	assert_int_equal(ut_conns(), 4);
	assert_int_equal(ut_tcp_stats()->listen_overflows, 2);
	assert_int_equal(drops(STK_DROP_TCP_LISTEN_OVERFLOW), 2);
	/* unanswered SYN-ACKs give up after syn_retries and free the slots */
	ut_advance_ms(70000);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_tcp_stats()->attempt_fails, 4);
	assert_int_equal(app.accepted, 0);
	assert_int_equal(app.closed, 0);
}

static void
test_conn_table_full(void **state)
{
	struct stk_listener *l;

	(void)state;
	ut.conf.tcp.max_conns = 4;
	ut.conf.tcp.syncookies = false; /* with them, a cookie answers (test_tcp_cookie.c) */
	ut_tcp_restart();
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	for (uint16_t i = 0; i < 4; i++) {
		struct stk_conn *c = tcp_conn_alloc(ut.ctx->tcp, UT_US, UT_PEER, 9, i + 1);

		assert_non_null(c);
	}
	ut_tcp_rx(&(struct ut_seg){.flags = TCP_SYN, .seq = 5, .wnd = 100});
	assert_int_equal(ut_tcp_stats()->conn_table_full, 1);
	assert_int_equal(drops(STK_DROP_TCP_CONN_FULL), 1);
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 80, &ut_ops, &app, &app.c), -ENOBUFS);
	assert_no_tx();
}

/* ------------------------------------------------------------------ */
/* SYN-SENT                                                             */

static struct ut_out
connect_syn(struct ut_peer *p)
{
	struct ut_out o;
	struct stk_conn *c = NULL;

	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &c), 0);
	assert_non_null(c);
	app.c = c;
	assert_int_equal(c->state, STK_TCP_SYN_SENT);
	ut_flush();
	ut_tcp_last(&o);
	p->port = 443;
	p->lport = o.sport;
	p->rcv_nxt = o.seq + 1;
	p->snd_nxt = 5000;
	p->wnd = 65535;
	ut_tx_clear();
	return o;
}

static void
test_connect_syn(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o = connect_syn(&p);

	(void)state;
	assert_int_equal(o.flags, TCP_SYN);
	assert_int_equal(o.src, UT_US);
	assert_int_equal(o.dst, UT_PEER);
	assert_int_equal(o.dport, 443);
	assert_true(o.sport >= 32768 && o.sport <= 60999);
	assert_true(o.has_mss && o.has_ws && o.has_sackok && o.has_ts);
	assert_int_equal(o.tsecr, 0);
	assert_int_equal(ut_conns(), 1);
	assert_int_equal(app.connected, 0); /* never from inside connect */
}

static void
test_connect_established(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;
	uint8_t b[40];
	size_t n;

	(void)state;
	o = connect_syn(&p);
	n = ut_opts(b, 1200, 5, true, true, 777, o.tsval);
	ut_tcp_rx(&(struct ut_seg){.sport = 443,
				   .dport = p.lport,
				   .flags = TCP_SYN | TCP_ACK,
				   .seq = p.snd_nxt,
				   .ack = p.rcv_nxt,
				   .wnd = 1000,
				   .opts = b,
				   .olen = n});
	p.snd_nxt++;
	assert_int_equal(app.connected, 1);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK);
	assert_int_equal(o.seq, p.rcv_nxt);
	assert_int_equal(o.ack, p.snd_nxt);
	assert_true(o.has_ts);
	assert_int_equal(o.tsecr, 777);
	assert_int_equal(app.c->snd_mss, 1200);
	assert_int_equal(app.c->snd_wscale, 5);
	assert_int_equal(app.c->snd_wnd, 1000); /* never scaled in a SYN */
	assert_int_equal(ut_tcp_stats()->active_opens, 1);
	assert_int_equal(ut_tcp_stats()->curr_estab, 1);
	{
		struct stk_conn_info i;

		stk_conn_get_info(app.c, &i);
		assert_true(i.wscale && i.timestamps && i.sack);
		assert_string_equal(i.cc, "newreno");
		assert_int_equal(i.state, STK_TCP_ESTABLISHED);
	}
}

static void
test_connect_peer_without_options(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	connect_syn(&p);
	ut_peer_send(&p, TCP_SYN | TCP_ACK, NULL, 0);
	assert_int_equal(app.connected, 1);
	assert_int_equal(app.c->flags & (TF_WSCALE | TF_TS | TF_SACK), 0);
	assert_int_equal(app.c->rcv_wscale, 0);
	assert_int_equal(app.c->snd_mss, TCP_DEFAULT_MSS);
}

static void
test_syn_sent_bad_ack(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	connect_syn(&p);
	ut_peer_raw(&p, TCP_SYN | TCP_ACK, p.snd_nxt, p.rcv_nxt + 10, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST);
	assert_int_equal(o.seq, p.rcv_nxt + 10);
	assert_int_equal(drops(STK_DROP_TCP_BAD_ACK), 1);
	assert_int_equal(app.c->state, STK_TCP_SYN_SENT);
	ut_tx_clear();
	/* a RST with a bad ACK is dropped silently; one without ACK too */
	ut_peer_raw(&p, TCP_RST | TCP_ACK, p.snd_nxt, p.rcv_nxt - 1, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_BAD_ACK), 2);
	ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_RST_IGNORED), 1);
	/* an ACK alone (acceptable) is not a SYN */
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, p.rcv_nxt, NULL, 0);
	assert_int_equal(drops(STK_DROP_TCP_FLAGS), 1);
	assert_no_tx();
	assert_int_equal(app.c->state, STK_TCP_SYN_SENT);
	assert_int_equal(app.resets + app.closed, 0);
}

static void
test_syn_sent_refused(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	connect_syn(&p);
	ut_peer_raw(&p, TCP_RST | TCP_ACK, 0, p.rcv_nxt, NULL, 0);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ECONNREFUSED);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(ut_tcp_stats()->attempt_fails, 1);
	assert_int_equal(ut_tcp_stats()->rsts_in, 1);
	assert_no_tx();
}

static void
test_syn_sent_timeout(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.syn_retries = 2;
	ut_tcp_restart();
	connect_syn(&p);
	ut_advance_ms(1000); /* rto_init */
	assert_int_equal(ut.n_tx, 1);
	ut_advance_ms(2000); /* doubled */
	assert_int_equal(ut.n_tx, 2);
	for (unsigned int i = 0; i < 2; i++) {
		struct ut_out o;

		ut_tcp_out(i, &o);
		assert_int_equal(o.flags, TCP_SYN);
		assert_int_equal(o.seq, p.rcv_nxt - 1);
	}
	assert_int_equal(app.resets, 0);
	ut_advance_ms(4000);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ETIMEDOUT);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut.n_tx, 2);
	assert_int_equal(ut_tcp_stats()->attempt_fails, 1);
	assert_int_equal(ut_tcp_stats()->rto_expiries, 2);
	assert_int_equal(ut_conns(), 0);
}

static void
test_simultaneous_open(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o, syn = connect_syn(&p);

	(void)state;
	/* the peer's own SYN crosses ours */
	ut_peer_send(&p, TCP_SYN, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_SYN_RECEIVED);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.seq, syn.seq); /* our ISN again */
	assert_int_equal(o.ack, p.snd_nxt);
	assert_int_equal(app.connected, 0);
	/* its SYN-ACK (acking our SYN) completes it */
	ut_tx_clear();
	ut_peer_raw(&p, TCP_SYN | TCP_ACK, p.snd_nxt - 1, p.rcv_nxt, NULL, 0);
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(app.connected, 1);
	assert_int_equal(app.accepted, 0);
}

static void
test_close_in_syn_sent(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	connect_syn(&p);
	assert_int_equal(stk_conn_close(app.c), 0);
	assert_int_equal(app.closed, 0); /* later, never from inside close */
	ut_advance_ms(1);
	assert_int_equal(app.closed, 1);
	assert_int_equal(app.resets, 0);
	assert_no_tx();
	assert_int_equal(ut_conns(), 0);
}

static void
test_abort_in_syn_sent(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	connect_syn(&p);
	stk_conn_abort(app.c);
	ut_advance_ms(2000);
	assert_no_tx(); /* no RST for a SYN-SENT abort, no retransmission */
	assert_int_equal(app.closed + app.resets, 0);
	assert_int_equal(ut_conns(), 0);
}

/* ------------------------------------------------------------------ */
/* SYN-RECEIVED                                                         */

static struct stk_listener *
syn_received(struct ut_peer *p)
{
	struct stk_listener *l;
	struct ut_out o;

	p->port = UT_RPORT;
	p->lport = UT_LPORT;
	p->snd_nxt = 1000;
	p->wnd = 65535;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &l), 0);
	ut_peer_send(p, TCP_SYN, NULL, 0);
	ut_tcp_last(&o);
	p->rcv_nxt = o.seq + 1;
	ut_tx_clear();
	return l;
}

static void
test_syn_received_dup_syn(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	syn_received(&p);
	ut_peer_raw(&p, TCP_SYN, p.snd_nxt - 1, 0, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.seq, p.rcv_nxt - 1);
	assert_int_equal(ut_conns(), 1);
}

static void
test_syn_received_rst(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	syn_received(&p);
	ut_peer_send(&p, TCP_RST, NULL, 0);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(app.accepted + app.closed + app.resets, 0);
	assert_int_equal(ut_tcp_stats()->rsts_in, 1);
	assert_no_tx();
}

static void
test_syn_received_bad_ack(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	syn_received(&p);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt, p.rcv_nxt + 5, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_RST);
	assert_int_equal(o.seq, p.rcv_nxt + 5);
	assert_int_equal(drops(STK_DROP_TCP_BAD_ACK), 1);
	assert_int_equal(ut.ctx->tcp->conns[0].state, STK_TCP_SYN_RECEIVED);
}

static void
test_syn_received_data_with_ack(void **state)
{
	struct ut_peer p = {0};
	const char msg[] = "hello";

	(void)state;
	syn_received(&p);
	/* the handshake's ACK carries data: accepted first, then the data */
	ut_peer_send(&p, TCP_ACK | TCP_PSH, msg, 5);
	assert_int_equal(app.accepted, 1);
	assert_int_equal(app.rx_len, 5);
	assert_memory_equal(app.rx, msg, 5);
}

static void
test_syn_received_accept_refused(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	app.accept_rc = -1;
	syn_received(&p);
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.accepted, 1);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(ut_conns(), 0);
	assert_int_equal(app.closed, 0); /* the application said no: nothing owed */
}

static void
test_syn_received_unlisten(void **state)
{
	struct ut_peer p = {0};
	struct stk_listener *l;
	struct ut_out o;

	(void)state;
	l = syn_received(&p);
	stk_tcp_unlisten(ut.ctx, l);
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tcp_last(&o);
	assert_true(o.flags & TCP_RST);
	assert_int_equal(app.accepted, 0);
	assert_int_equal(ut_conns(), 0);
}

static void
test_syn_ack_retransmit(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	syn_received(&p);
	ut_advance_ms(1000);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(ut_tcp_stats()->retrans_segs, 1);
	/* after it, the ACK still completes the handshake */
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.accepted, 1);
}

/* ------------------------------------------------------------------ */
/* The table                                                            */

static void
test_dispatch_table(void **state)
{
	(void)state;
	/* every cell either acts or names why it drops */
	for (int s = 0; s <= STK_TCP_TIME_WAIT; s++) {
		for (unsigned int f = 0; f < 64; f++) {
			struct tcp_disp d = tcp_dispatch((enum stk_tcp_state)s, (uint8_t)f);

			if (d.action == 0 || d.action == 1)
				assert_true(d.drop < STK_DROP_MAX);
		}
	}
	assert_int_equal(tcp_dispatch(STK_TCP_LISTEN, TCP_SYN).drop, STK_DROP_MAX);
	assert_int_equal(tcp_dispatch(STK_TCP_LISTEN, TCP_ACK).drop, STK_DROP_TCP_LISTEN_ACK);
	assert_int_equal(tcp_dispatch(STK_TCP_ESTABLISHED, TCP_FIN).drop, STK_DROP_TCP_NO_ACK);
	assert_int_equal(tcp_dispatch(STK_TCP_ESTABLISHED, TCP_SYN | TCP_RST).drop,
			 STK_DROP_TCP_FLAGS);
	assert_int_equal(tcp_dispatch(STK_TCP_TIME_WAIT, TCP_RST | TCP_ACK).drop,
			 STK_DROP_TCP_RST_IGNORED);
	assert_int_equal(tcp_dispatch(STK_TCP_CLOSED, TCP_RST).drop, STK_DROP_NO_SOCKET);
	/* PSH and URG do not change the decision */
	assert_int_equal(tcp_dispatch(STK_TCP_LISTEN, TCP_SYN | TCP_PSH | TCP_URG).action,
			 tcp_dispatch(STK_TCP_LISTEN, TCP_SYN).action);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_short_header),
		UT_TCP_TEST(test_bad_data_offset),
		UT_TCP_TEST(test_bad_checksum),
		UT_TCP_TEST(test_rx_cksum_offload_flags),
		UT_TCP_TEST(test_cksum_ignores_flags_without_offload),
		UT_TCP_TEST(test_bad_options),
		UT_TCP_TEST(test_opts_parse),
		UT_TCP_TEST(test_opts_write_roundtrip),
		UT_TCP_TEST(test_port_zero),
		UT_TCP_TEST(test_closed_port_syn_gets_rst),
		UT_TCP_TEST(test_closed_port_ack_gets_rst),
		UT_TCP_TEST(test_closed_port_rst_ignored),
		UT_TCP_TEST(test_tcp_off),
		UT_TCP_TEST(test_listen_syn_options),
		UT_TCP_TEST(test_listen_syn_no_options),
		UT_TCP_TEST(test_listen_options_switched_off),
		UT_TCP_TEST(test_listen_non_syn),
		UT_TCP_TEST(test_listen_specific_address),
		UT_TCP_TEST(test_listen_overflow),
		UT_TCP_TEST(test_conn_table_full),
		UT_TCP_TEST(test_connect_syn),
		UT_TCP_TEST(test_connect_established),
		UT_TCP_TEST(test_connect_peer_without_options),
		UT_TCP_TEST(test_syn_sent_bad_ack),
		UT_TCP_TEST(test_syn_sent_refused),
		UT_TCP_TEST(test_syn_sent_timeout),
		UT_TCP_TEST(test_simultaneous_open),
		UT_TCP_TEST(test_close_in_syn_sent),
		UT_TCP_TEST(test_abort_in_syn_sent),
		UT_TCP_TEST(test_syn_received_dup_syn),
		UT_TCP_TEST(test_syn_received_rst),
		UT_TCP_TEST(test_syn_received_bad_ack),
		UT_TCP_TEST(test_syn_received_data_with_ack),
		UT_TCP_TEST(test_syn_received_accept_refused),
		UT_TCP_TEST(test_syn_received_unlisten),
		UT_TCP_TEST(test_syn_ack_retransmit),
		UT_TCP_TEST(test_dispatch_table),
	};

	return ut_main("test_tcp_input", tests, RTE_DIM(tests));
}

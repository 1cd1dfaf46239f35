/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_api.c - the socket API of stk.h against a crafted peer: send and
 * its back-pressure (-EAGAIN, writable, per-connection and per-worker
 * memory), segmentation and zero-copy payload, window updates when the
 * application consumes, zero-window probes, keepalives, Nagle, giving up
 * after retransmissions, ICMP (unreachable in SYN-SENT, fragmentation
 * needed with RFC 5927 checks), source port choice (ownership, reuse per
 * destination), MSS from the route, introspection and mbuf accounting, and
 * stk_free with connections in every state.
 */
#include "ut_tcp.h"

static uint64_t
drops(enum stk_drop d)
{
	return ut_stats()->drops[d];
}

/* ------------------------------------------------------------------ */
/* Sending                                                              */

static void
test_segmentation_and_payload(void **state)
{
	struct ut_peer p = {0};
	uint8_t got[4096];
	struct ut_out o;
	size_t n;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(3000, 11)), 0);
	assert_int_equal(ut.n_tx, 3);
	ut_tcp_out(0, &o);
	assert_int_equal(o.len, 1460);
	assert_int_equal(o.seq, p.rcv_nxt);
	assert_int_equal(o.flags, TCP_ACK);
	ut_tcp_out(2, &o);
	assert_int_equal(o.len, 80);
	assert_int_equal(o.flags, TCP_ACK | TCP_PSH);
	n = ut_tx_payload(0, got, sizeof(got));
	assert_int_equal(n, 3000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], (uint8_t)(11 + i));
	assert_int_equal(ut_tcp_stats()->segs_out, 1 + 3);
}

static void
test_many_small_mbufs(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *head = NULL;
	uint8_t got[4096];
	struct ut_out o;
	size_t n;

	(void)state;
	ut_passive_open(&p);
	/* 100 mbufs of 10 bytes: a segment takes at most TCP_MAX_TX_SEGS */
	for (int i = 0; i < 100; i++) {
		struct rte_mbuf *m = ut_data_mbuf(10, (uint8_t)(i * 10));

		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	assert_int_equal(ut_send(app.c, head), 0);
	ut_tcp_out(0, &o);
	assert_int_equal(o.len, TCP_MAX_TX_SEGS * 10);
	n = ut_tx_payload(0, got, sizeof(got));
	assert_int_equal(n, 1000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], (uint8_t)i);
	/* the frames share the queue's buffers: nothing was copied */
	assert_true(RTE_MBUF_CLONED(ut.tx[0]->next));
}

static void
test_send_eagain_writable(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *m = NULL;
	uint32_t space;
	int rc, sent = 0;

	(void)state;
	ut_passive_open(&p);
	p.wnd = 0; /* the peer takes nothing: everything stays queued */
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	space = stk_conn_send_space(app.c);
	assert_int_equal(space, 64 * 1024);
	for (;;) {
		m = ut_data_mbuf(1000, 0);
		rc = ut_send(app.c, m);
		if (rc != 0)
			break;
		sent++;
	}
	assert_int_equal(rc, -EAGAIN);
	rte_pktmbuf_free(m); /* refused: still ours */
	assert_int_equal(sent, (int)(space / tcp_truesize(m)));
	assert_true(stk_conn_send_space(app.c) < tcp_truesize(m));
	assert_int_equal(app.writable, 0);
	/* the window opens, the data goes out and is acked: writable */
	p.wnd = 65535;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.writable, 0); /* sent, not yet acked */
	while (app.c->snd_una != app.c->snd_max) {
		p.rcv_nxt = app.c->snd_max;
		ut_tx_clear();
		ut_peer_send(&p, TCP_ACK, NULL, 0);
	}
	assert_int_equal(app.writable, 1); /* once, when half the buffer was free */
	assert_int_equal(stk_conn_send_space(app.c), 64 * 1024);
}

static void
test_send_one_chain_bigger_than_buffer(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *head = ut_data_mbuf(1000, 0);

	(void)state;
	ut.conf.tcp.snd_buf = 4000;
	ut_tcp_restart();
	ut_passive_open(&p);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rte_pktmbuf_chain(head, ut_data_mbuf(1000, 0)), 0);
	/* an empty queue takes any chain, or nothing would ever move */
	assert_int_equal(ut_send(app.c, head), 0);
	head = ut_data_mbuf(10, 0);
	assert_int_equal(ut_send(app.c, head), -EAGAIN);
	rte_pktmbuf_free(head);
}

static void
test_worker_memory_limit(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *m;
	int n = 0;

	(void)state;
	ut.conf.tcp.worker_mem_max = 20000;
	ut_tcp_restart();
	ut_passive_open(&p);
	p.wnd = 0;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	for (;;) {
		m = ut_data_mbuf(1000, 0);
		if (ut_send(app.c, m) != 0)
			break;
		n++;
	}
	rte_pktmbuf_free(m);
	assert_true(n >= 1 && n < 10);
	assert_int_equal(ut_tcp_stats()->mem_limited, 1);
	assert_true(ut.ctx->tcp->mem <= 20000);
	p.wnd = 65535;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	p.rcv_nxt = app.c->snd_max;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_advance_ms(1); /* the memory wait list is served by the poll */
	assert_int_equal(app.writable, 1);
	assert_int_equal(ut.ctx->tcp->mem, 0);
}

static void
test_send_errors(void **state)
{
	struct ut_peer p = {0};
	struct rte_mbuf *m = ut_data_mbuf(10, 0);

	(void)state;
	ut_passive_open(&p);
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
	stk_conn_shutdown(app.c);
	assert_int_equal(stk_conn_send(app.c, m), -EPIPE);
	assert_int_equal(stk_conn_send_space(app.c), 0);
	rte_pktmbuf_free(m);
}

static void
test_nagle(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.nagle = true;
	ut_tcp_restart();
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	assert_int_equal(ut.n_tx, 1); /* one small segment in flight at a time */
	p.rcv_nxt += 10;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(ut.n_tx, 2);
	{
		struct ut_out o;

		ut_tcp_last(&o);
		assert_int_equal(o.len, 20); /* the rest, coalesced */
	}
}

static void
test_no_nagle_by_default(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	assert_int_equal(ut.n_tx, 3);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                            */

static void
test_window_update_on_consume(void **state)
{
	struct ut_peer p = {0};
	uint8_t b[1000] = {0};
	struct ut_out o;

	(void)state;
	ut.conf.tcp.rcv_buf = 8000;
	ut.conf.tcp.delack_us = 0;
	ut_tcp_restart();
	app.keep = true;
	ut_passive_open(&p);
	for (int i = 0; i < 8; i++)
		ut_peer_send(&p, TCP_ACK, b, sizeof(b));
	ut_tcp_last(&o);
	assert_int_equal(o.wnd, 0); /* full */
	ut_tx_clear();
	/* a little is not worth telling (receiver SWS avoidance) */
	stk_conn_consumed(app.c, 500);
	ut_flush();
	assert_int_equal(ut.n_tx, 0);
	/* from zero to a useful window: told at once */
	stk_conn_consumed(app.c, 1500);
	ut_flush();
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.wnd, 2000);
	assert_int_equal(o.ack, p.snd_nxt);
	/* grows by less than 2 MSS: quiet; by 2 MSS or more: told */
	ut_tx_clear();
	stk_conn_consumed(app.c, 2000);
	ut_flush();
	assert_int_equal(ut.n_tx, 0);
	stk_conn_consumed(app.c, 4000);
	ut_flush();
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.wnd, 8000);
}

static void
test_window_scaled(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;
	uint8_t b[40];

	(void)state;
	app.keep = true;
	ut_passive_open_opts(&p, b, ut_opts(b, 1460, 2, false, false, 0, 0));
	ut_peer_send(&p, TCP_ACK, b, 10);
	ut_advance_ms(50);
	ut_tcp_last(&o);
	/* rcv_buf 4 * 65535, shift 2: the field is the window / 4 */
	assert_int_equal(o.wnd, (4 * 65535 - 10 + 3) / 4);
	assert_int_equal(app.c->rcv_adv - app.c->rcv_nxt, (uint32_t)o.wnd << 2);
}

/* ------------------------------------------------------------------ */
/* Timers                                                               */

static void
test_zero_window_probes(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	p.wnd = 0;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(500, 0)), 0);
	assert_int_equal(ut.n_tx, 0);
	ut_advance_ms(250); /* persist: max(RTO, 200 ms) */
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.seq, p.rcv_nxt - 1); /* an old sequence: must be answered */
	assert_int_equal(ut_tcp_stats()->zero_window_probes, 1);
	/* the peer answers, still closed: probes back off (200, 600, 1400 ms) */
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_advance_ms(1000);
	assert_int_equal(ut_tcp_stats()->zero_window_probes, 2);
	ut_advance_ms(200);
	assert_int_equal(ut_tcp_stats()->zero_window_probes, 3);
	/* the window opens: data flows, probing stops */
	ut_tx_clear();
	p.wnd = 65535;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 500);
	ut_advance_ms(5000);
	assert_int_equal(ut_tcp_stats()->zero_window_probes, 3);
}

static void
test_small_window_forced(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	p.wnd = 100; /* far less than a segment: SWS avoidance holds data back */
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(3000, 0)), 0);
	assert_int_equal(ut.n_tx, 0);
	/* ...until the persist timer forces it into what there is */
	ut_advance_ms(250);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 100);
	assert_int_equal(ut_tcp_stats()->zero_window_probes, 0);
	/* a window of a full segment goes at once */
	ut_tx_clear();
	p.rcv_nxt += 100;
	p.wnd = 1460;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 1460);
}

static void
test_keepalive(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	stk_conn_set_keepalive(app.c, 1000000, 500000, 2);
	ut_advance_ms(999);
	assert_int_equal(ut.n_tx, 0);
	ut_advance_ms(2);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.seq, p.rcv_nxt - 1);
	assert_int_equal(o.len, 0);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 1);
	/* answered: a full idle period again */
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	ut_advance_ms(900);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 1);
	ut_advance_ms(200);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 2);
	/* now silence: two probes unanswered, then ETIMEDOUT */
	ut_advance_ms(600);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 3);
	assert_int_equal(app.resets, 0);
	ut_advance_ms(600);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ETIMEDOUT);
	assert_int_equal(app.closed, 1);
}

static void
test_keepalive_from_conf_and_off(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.keepalive_idle_us = 500000;
	ut.conf.tcp.keepalive_intvl_us = 100000;
	ut.conf.tcp.keepalive_probes = 1;
	ut_tcp_restart();
	ut_passive_open(&p);
	ut_advance_ms(501);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 1);
	stk_conn_set_keepalive(app.c, 0, 0, 0);
	ut_advance_ms(5000);
	assert_int_equal(ut_tcp_stats()->keepalive_probes, 1);
	assert_int_equal(app.closed, 0);
}

static void
test_retransmit_gives_up(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut.conf.tcp.rto_max_us = 400000;
	ut_tcp_restart();
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(100, 0)), 0);
	ut_advance_ms(8000);
	assert_int_equal(ut_tcp_stats()->rto_expiries, TCP_MAX_RETRIES);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ETIMEDOUT);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_conns(), 0);
	/* every retransmission was the first segment, one at a time */
	assert_int_equal(ut.n_tx, 1 + TCP_MAX_RETRIES);
}

static void
test_fin_retransmitted(void **state)
{
	struct ut_peer p = {0};
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	stk_conn_shutdown(app.c);
	ut_flush();
	ut_tx_clear();
	ut_advance_ms(1001);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(o.seq, p.rcv_nxt);
	p.rcv_nxt++;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->state, STK_TCP_FIN_WAIT_2);
}

/* ------------------------------------------------------------------ */
/* ICMP                                                                 */

/* An ICMP error from a router quoting our segment laddr:lport -> raddr:rport. */
static void
icmp_quote(uint8_t type, uint8_t code, uint16_t mtu, uint16_t lport, uint16_t rport, uint32_t seq)
{
	uint8_t inner[28], l4[64];
	struct ut_pkt f;
	size_t n;

	ut_put_ip(inner, 5, 60, 0x4000, 64, 6, UT_US, UT_PEER);
	ut_put16(inner + 20, lport);
	ut_put16(inner + 22, rport);
	ut_put32(inner + 24, seq);
	n = ut_icmp(l4, type, code, mtu, inner, sizeof(inner));
	ut_ip(&f, UT_GW, UT_US, 1, l4, n);
	ut_rx(&f);
}

static struct ut_out
connecting(void)
{
	struct ut_out o;

	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &app.c), 0);
	ut_flush();
	ut_tcp_last(&o);
	ut_tx_clear();
	return o;
}

static void
test_icmp_unreachable_aborts_connect(void **state)
{
	struct ut_out syn;

	(void)state;
	syn = connecting();
	/* a quote of a sequence number we never sent: ignored */
	icmp_quote(3, 3, 0, syn.sport, 443, syn.seq + 1);
	assert_int_equal(app.resets, 0);
	assert_int_equal(drops(STK_DROP_TCP_ICMP_IGNORED), 1);
	icmp_quote(3, 3, 0, syn.sport, 443, syn.seq);
	assert_int_equal(app.resets, 1);
	assert_int_equal(app.err, ECONNREFUSED);
	assert_int_equal(app.closed, 1);
	assert_int_equal(ut_conns(), 0);
	memset(&app, 0, sizeof(app));
	syn = connecting();
	icmp_quote(3, 1, 0, syn.sport, 443, syn.seq);
	assert_int_equal(app.err, EHOSTUNREACH);
	assert_int_equal(ut_tcp_stats()->attempt_fails, 2);
	assert_int_equal(ut_stats()->drops[STK_DROP_ICMP_ERR_UNCLAIMED], 0);
}

static void
test_icmp_soft_when_established(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(100, 0)), 0);
	icmp_quote(3, 3, 0, UT_LPORT, UT_RPORT, p.rcv_nxt);
	assert_int_equal(app.resets, 0);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
	assert_int_equal(drops(STK_DROP_TCP_ICMP_IGNORED), 1);
	/* not ours at all: left to the hook, unclaimed */
	icmp_quote(3, 3, 0, 1, 2, 0);
	assert_int_equal(ut_stats()->drops[STK_DROP_ICMP_ERR_UNCLAIMED], 1);
}

static void
test_icmp_frag_needed(void **state)
{
	struct ut_peer p = {0};
	uint8_t got[4096];
	struct ut_out o;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(2920, 1)), 0);
	ut_tx_clear();
	/* RFC 5927: a sequence number outside snd_una..snd_nxt changes nothing */
	icmp_quote(3, 4, 1000, UT_LPORT, UT_RPORT, p.rcv_nxt + 5000);
	assert_int_equal(app.c->snd_mss, 1460);
	icmp_quote(3, 4, 1000, UT_LPORT, UT_RPORT, p.rcv_nxt - 1);
	assert_int_equal(app.c->snd_mss, 1460);
	assert_int_equal(drops(STK_DROP_TCP_ICMP_IGNORED), 2);
	/* in range: the MSS drops, what was in flight goes again, smaller */
	icmp_quote(3, 4, 1000, UT_LPORT, UT_RPORT, p.rcv_nxt);
	assert_int_equal(app.c->snd_mss, 960);
	assert_true(ut.n_tx >= 1);
	ut_tcp_out(0, &o);
	assert_int_equal(o.seq, p.rcv_nxt);
	assert_int_equal(o.len, 960);
	ut_flush();
	/* a larger MTU never raises it; a tiny one stops at the floor */
	icmp_quote(3, 4, 1400, UT_LPORT, UT_RPORT, p.rcv_nxt);
	assert_int_equal(app.c->snd_mss, 960);
	icmp_quote(3, 4, 100, UT_LPORT, UT_RPORT, p.rcv_nxt);
	assert_int_equal(app.c->snd_mss, TCP_MIN_PMTU - 40);
	(void)got;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                           */

static void
test_connect_port_ownership(void **state)
{
	uint16_t ports[64];

	(void)state;
	ut.conf.n_workers = 4;
	ut.conf.worker_id = 2;
	ut_tcp_restart();
	for (int i = 0; i < 64; i++) {
		struct stk_conn *c;
		struct stk_conn_info info;

		assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 8080, &ut_ops, &app, &c), 0);
		stk_conn_get_info(c, &info);
		ports[i] = info.lport;
		/* the reply flow hashes to this worker */
		assert_int_equal(stk_flow_owner(stk_flow_hash(UT_PEER, UT_US, 8080, info.lport), 4),
				 2);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ports[j], ports[i]);
	}
	ut_flush();
}

static void
test_connect_port_reuse_per_destination(void **state)
{
	struct stk_conn *a, *b, *c;
	struct stk_conn_info ia, ib;

	(void)state;
	ut.conf.tcp.eph_port_min = ut.conf.tcp.eph_port_max = 40000;
	ut_tcp_restart();
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 80, &ut_ops, &app, &a), 0);
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 81, &ut_ops, &app, &b), 0);
	stk_conn_get_info(a, &ia);
	stk_conn_get_info(b, &ib);
	assert_int_equal(ia.lport, 40000);
	assert_int_equal(ib.lport, 40000); /* another destination: the same port */
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 80, &ut_ops, &app, &c),
			 -EADDRNOTAVAIL);
	ut_flush();
}

static void
test_connect_errors(void **state)
{
	struct stk_conn *c;

	(void)state;
	assert_int_equal(stk_tcp_connect(ut.ctx, UT_IP(1, 2, 3, 4), UT_PEER, 80, &ut_ops, &app, &c),
			 -EADDRNOTAVAIL);
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 0, &ut_ops, &app, &c), -EINVAL);
	stk_set_routes(ut.ctx, NULL);
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 80, &ut_ops, &app, &c), -ENETUNREACH);
	stk_set_routes(ut.ctx, ut.routes);
	assert_int_equal(ut_conns(), 0);
}

static void
test_mss_from_port_mtu(void **state)
{
	struct ut_out o;

	(void)state;
	ut.conf.ports[0].mtu = 9000;
	ut_tcp_restart();
	o = connecting();
	assert_int_equal(o.mss, 8960);
	ut.conf.ports[0].mtu = 1400;
	ut_tcp_restart();
	o = connecting();
	assert_int_equal(o.mss, 1360);
}

/* ------------------------------------------------------------------ */
/* Introspection and teardown                                           */

static void
test_info_and_usage(void **state)
{
	struct ut_peer p = {0};
	struct stk_conn_info info[4];
	struct stk_mbuf_usage u;

	(void)state;
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(1000, 0)), 0);
	assert_int_equal(stk_tcp_dump(ut.ctx, info, 4), 1);
	assert_int_equal(info[0].state, STK_TCP_ESTABLISHED);
	assert_int_equal(info[0].laddr, UT_US);
	assert_int_equal(info[0].raddr, UT_PEER);
	assert_int_equal(info[0].lport, UT_LPORT);
	assert_int_equal(info[0].rport, UT_RPORT);
	assert_int_equal(info[0].unacked, 1000);
	assert_int_equal(info[0].snd_queued, 0);
	assert_int_equal(info[0].mss, 1460);
	assert_true(info[0].rto_us >= 200000);
	stk_mbuf_usage(ut.ctx, &u);
	assert_int_equal(u.snd_queue, 1);
	p.rcv_nxt += 1000;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	stk_mbuf_usage(ut.ctx, &u);
	assert_int_equal(u.snd_queue, 0);
	stk_conn_get_info(app.c, &info[0]);
	assert_int_equal(info[0].bytes_out, 1000);
	assert_int_equal(stk_tcp_dump(ut.ctx, info, 0), 0);
}

static void
test_names_and_defaults(void **state)
{
	struct stk_tcp_conf c;

	(void)state;
	assert_string_equal(stk_tcp_state_name(STK_TCP_ESTABLISHED), "established");
	assert_string_equal(stk_tcp_state_name(STK_TCP_TIME_WAIT), "time-wait");
	assert_string_equal(stk_tcp_state_name((enum stk_tcp_state)99), "unknown");
	assert_string_equal(stk_drop_name(STK_DROP_TCP_OOO_FULL), "tcp_ooo_full");
	stk_tcp_conf_defaults(&c);
	assert_int_equal(c.rto_min_us, 200000);
	assert_int_equal(c.rto_init_us, 1000000);
	assert_int_equal(c.rto_max_us, 60000000);
	assert_int_equal(c.delack_us, 40000);
	assert_false(c.nagle);
	assert_true(c.opt_wscale && c.opt_timestamps && c.opt_sack);
	assert_int_equal(c.cc, STK_CC_NEWRENO);
}

static void
test_bad_conf(void **state)
{
	(void)state;
	ut.conf.tcp.rto_min_us = 2 * ut.conf.tcp.rto_max_us;
	stk_free(ut.ctx);
	ut.ctx = stk_create(&ut.conf);
	assert_null(ut.ctx);
	assert_int_equal(errno, EINVAL);
	ut_tcp_conf(&ut.conf.tcp);
	ut_tcp_restart();
}

static void
test_free_with_everything_held(void **state)
{
	struct ut_peer p = {0}, q;
	uint8_t b[100] = {0};

	(void)state;
	/* established with queued, unacked and out-of-order data ... */
	ut_passive_open(&p);
	assert_int_equal(ut_send(app.c, ut_data_mbuf(5000, 0)), 0);
	ut_peer_raw(&p, TCP_ACK, p.snd_nxt + 500, p.rcv_nxt, b, 100);
	assert_true(app.c->ooo_n == 1);
	/* ... a TIME-WAIT, a SYN-RECEIVED and a SYN-SENT ... */
	q = (struct ut_peer){.port = 7000, .lport = UT_LPORT, .snd_nxt = 1, .wnd = 65535};
	memset(&app, 0, sizeof(app));
	ut_tx_clear();
	ut_peer_send(&q, TCP_SYN, NULL, 0);
	{
		struct ut_out o;

		ut_tcp_last(&o);
		q.rcv_nxt = o.seq + 1;
	}
	ut_peer_send(&q, TCP_ACK, NULL, 0);
	stk_conn_shutdown(app.c);
	q.rcv_nxt++;
	ut_peer_send(&q, TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(ut_tcp_stats()->time_wait_count, 1);
	q = (struct ut_peer){.port = 7001, .lport = UT_LPORT, .snd_nxt = 1, .wnd = 65535};
	ut_peer_send(&q, TCP_SYN, NULL, 0);
	assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &app.c), 0);
	assert_int_equal(ut_conns(), 4);
	/* ... stk_free (the teardown) gives every mbuf back, without callbacks */
	ut_flush();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_segmentation_and_payload),
		UT_TCP_TEST(test_many_small_mbufs),
		UT_TCP_TEST(test_send_eagain_writable),
		UT_TCP_TEST(test_send_one_chain_bigger_than_buffer),
		UT_TCP_TEST(test_worker_memory_limit),
		UT_TCP_TEST(test_send_errors),
		UT_TCP_TEST(test_nagle),
		UT_TCP_TEST(test_no_nagle_by_default),
		UT_TCP_TEST(test_window_update_on_consume),
		UT_TCP_TEST(test_window_scaled),
		UT_TCP_TEST(test_zero_window_probes),
		UT_TCP_TEST(test_small_window_forced),
		UT_TCP_TEST(test_keepalive),
		UT_TCP_TEST(test_keepalive_from_conf_and_off),
		UT_TCP_TEST(test_retransmit_gives_up),
		UT_TCP_TEST(test_fin_retransmitted),
		UT_TCP_TEST(test_icmp_unreachable_aborts_connect),
		UT_TCP_TEST(test_icmp_soft_when_established),
		UT_TCP_TEST(test_icmp_frag_needed),
		UT_TCP_TEST(test_connect_port_ownership),
		UT_TCP_TEST(test_connect_port_reuse_per_destination),
		UT_TCP_TEST(test_connect_errors),
		UT_TCP_TEST(test_mss_from_port_mtu),
		UT_TCP_TEST(test_info_and_usage),
		UT_TCP_TEST(test_names_and_defaults),
		UT_TCP_TEST(test_bad_conf),
		UT_TCP_TEST(test_free_with_everything_held),
	};

	return ut_main("test_tcp_api", tests, RTE_DIM(tests));
}

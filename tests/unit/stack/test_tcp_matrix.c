/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_matrix.c - every state a connection can be in, crossed with
 * every kind of segment: an in-window RST, a SYN, a FIN, data, and an ACK
 * of everything we sent. One table row per cell says what must follow: the
 * next state (or the connection gone), what we answer, and which callbacks
 * run. Each cell starts from a fresh context and walks to its state through
 * the real handshake and close sequences.
 */
#include "ut_tcp.h"

#define GONE 0xff

enum event { E_RST, E_SYN, E_FIN, E_DATA, E_ACK, E_N };
enum reply { R_NONE, R_ACK, R_RST, R_SYNACK, R_SYN };

static const char *const event_names[E_N] = {"rst", "syn", "fin", "data", "ack"};

struct cell {
	uint8_t state; /* where the connection is */
	uint8_t event;
	uint8_t next; /* state after, GONE when released */
	uint8_t reply;
	uint8_t resets, closed, peer_closed;
	uint16_t data; /* bytes the application gets */
};

/* clang-format off */
static const struct cell cells[] = {
	/* state                 event    next                  reply     rst cls pcl data */
	{STK_TCP_SYN_SENT,     E_RST,  GONE,                 R_NONE,   1, 1, 0, 0},
	{STK_TCP_SYN_SENT,     E_SYN,  STK_TCP_SYN_RECEIVED, R_SYNACK, 0, 0, 0, 0},
	{STK_TCP_SYN_SENT,     E_FIN,  STK_TCP_SYN_SENT,     R_NONE,   0, 0, 0, 0},
	{STK_TCP_SYN_SENT,     E_DATA, STK_TCP_SYN_SENT,     R_NONE,   0, 0, 0, 0},
	{STK_TCP_SYN_SENT,     E_ACK,  STK_TCP_SYN_SENT,     R_NONE,   0, 0, 0, 0},

	{STK_TCP_SYN_RECEIVED, E_RST,  GONE,                 R_NONE,   0, 0, 0, 0},
	{STK_TCP_SYN_RECEIVED, E_SYN,  STK_TCP_SYN_RECEIVED, R_SYNACK, 0, 0, 0, 0},
	{STK_TCP_SYN_RECEIVED, E_FIN,  STK_TCP_CLOSE_WAIT,   R_ACK,    0, 0, 1, 0},
	{STK_TCP_SYN_RECEIVED, E_DATA, STK_TCP_ESTABLISHED,  R_NONE,   0, 0, 0, 10},
	{STK_TCP_SYN_RECEIVED, E_ACK,  STK_TCP_ESTABLISHED,  R_NONE,   0, 0, 0, 0},

	{STK_TCP_ESTABLISHED,  E_RST,  GONE,                 R_NONE,   1, 1, 0, 0},
	{STK_TCP_ESTABLISHED,  E_SYN,  STK_TCP_ESTABLISHED,  R_ACK,    0, 0, 0, 0},
	{STK_TCP_ESTABLISHED,  E_FIN,  STK_TCP_CLOSE_WAIT,   R_ACK,    0, 0, 1, 0},
	{STK_TCP_ESTABLISHED,  E_DATA, STK_TCP_ESTABLISHED,  R_NONE,   0, 0, 0, 10},
	{STK_TCP_ESTABLISHED,  E_ACK,  STK_TCP_ESTABLISHED,  R_NONE,   0, 0, 0, 0},

	{STK_TCP_FIN_WAIT_1,   E_RST,  GONE,                 R_NONE,   1, 1, 0, 0},
	{STK_TCP_FIN_WAIT_1,   E_SYN,  STK_TCP_FIN_WAIT_1,   R_ACK,    0, 0, 0, 0},
	{STK_TCP_FIN_WAIT_1,   E_FIN,  STK_TCP_CLOSING,      R_ACK,    0, 0, 1, 0},
	{STK_TCP_FIN_WAIT_1,   E_DATA, STK_TCP_FIN_WAIT_1,   R_NONE,   0, 0, 0, 10},
	{STK_TCP_FIN_WAIT_1,   E_ACK,  STK_TCP_FIN_WAIT_2,   R_NONE,   0, 0, 0, 0},

	{STK_TCP_FIN_WAIT_2,   E_RST,  GONE,                 R_NONE,   1, 1, 0, 0},
	{STK_TCP_FIN_WAIT_2,   E_SYN,  STK_TCP_FIN_WAIT_2,   R_ACK,    0, 0, 0, 0},
	{STK_TCP_FIN_WAIT_2,   E_FIN,  STK_TCP_TIME_WAIT,    R_ACK,    0, 1, 1, 0},
	{STK_TCP_FIN_WAIT_2,   E_DATA, STK_TCP_FIN_WAIT_2,   R_NONE,   0, 0, 0, 10},
	{STK_TCP_FIN_WAIT_2,   E_ACK,  STK_TCP_FIN_WAIT_2,   R_NONE,   0, 0, 0, 0},

	{STK_TCP_CLOSE_WAIT,   E_RST,  GONE,                 R_NONE,   1, 1, 0, 0},
	{STK_TCP_CLOSE_WAIT,   E_SYN,  STK_TCP_CLOSE_WAIT,   R_ACK,    0, 0, 0, 0},
	{STK_TCP_CLOSE_WAIT,   E_FIN,  STK_TCP_CLOSE_WAIT,   R_ACK,    0, 0, 0, 0},
	{STK_TCP_CLOSE_WAIT,   E_DATA, STK_TCP_CLOSE_WAIT,   R_NONE,   0, 0, 0, 0},
	{STK_TCP_CLOSE_WAIT,   E_ACK,  STK_TCP_CLOSE_WAIT,   R_NONE,   0, 0, 0, 0},

	{STK_TCP_CLOSING,      E_RST,  GONE,                 R_NONE,   0, 1, 0, 0},
	{STK_TCP_CLOSING,      E_SYN,  STK_TCP_CLOSING,      R_ACK,    0, 0, 0, 0},
	{STK_TCP_CLOSING,      E_FIN,  STK_TCP_CLOSING,      R_ACK,    0, 0, 0, 0},
	{STK_TCP_CLOSING,      E_DATA, STK_TCP_CLOSING,      R_NONE,   0, 0, 0, 0},
	{STK_TCP_CLOSING,      E_ACK,  STK_TCP_TIME_WAIT,    R_NONE,   0, 1, 0, 0},

	{STK_TCP_LAST_ACK,     E_RST,  GONE,                 R_NONE,   0, 1, 0, 0},
	{STK_TCP_LAST_ACK,     E_SYN,  STK_TCP_LAST_ACK,     R_ACK,    0, 0, 0, 0},
	{STK_TCP_LAST_ACK,     E_FIN,  STK_TCP_LAST_ACK,     R_ACK,    0, 0, 0, 0},
	{STK_TCP_LAST_ACK,     E_DATA, STK_TCP_LAST_ACK,     R_NONE,   0, 0, 0, 0},
	{STK_TCP_LAST_ACK,     E_ACK,  GONE,                 R_NONE,   0, 1, 0, 0},

	{STK_TCP_TIME_WAIT,    E_RST,  STK_TCP_TIME_WAIT,    R_NONE,   0, 0, 0, 0},
	{STK_TCP_TIME_WAIT,    E_SYN,  STK_TCP_TIME_WAIT,    R_ACK,    0, 0, 0, 0},
	{STK_TCP_TIME_WAIT,    E_FIN,  STK_TCP_TIME_WAIT,    R_ACK,    0, 0, 0, 0},
	{STK_TCP_TIME_WAIT,    E_DATA, STK_TCP_TIME_WAIT,    R_NONE,   0, 0, 0, 0},
	{STK_TCP_TIME_WAIT,    E_ACK,  STK_TCP_TIME_WAIT,    R_NONE,   0, 0, 0, 0},
};
/* clang-format on */

static struct ut_peer p;
static struct stk_conn *conn;
static uint32_t our_fin; /* the sequence number of our FIN, once sent */

/* ------------------------------------------------------------------ */
/* Getting there                                                        */

static void
established(void)
{
	ut_passive_open(&p);
	conn = app.c;
}

static void
we_shut(void)
{
	our_fin = p.rcv_nxt;
	assert_int_equal(stk_conn_shutdown(conn), 0);
	ut_flush();
}

static void
peer_fin(void)
{
	ut_peer_send(&p, TCP_ACK | TCP_FIN, NULL, 0);
}

static void
peer_acks_fin(void)
{
	p.rcv_nxt = our_fin + 1;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
}

static void
reach(enum stk_tcp_state s)
{
	struct ut_out o;

	memset(&p, 0, sizeof(p));
	switch (s) {
	case STK_TCP_SYN_SENT:
		assert_int_equal(stk_tcp_connect(ut.ctx, 0, UT_PEER, 443, &ut_ops, &app, &conn), 0);
		app.c = conn;
		ut_flush();
		ut_tcp_last(&o);
		p = (struct ut_peer){.port = 443,
				     .lport = o.sport,
				     .rcv_nxt = o.seq + 1,
				     .snd_nxt = 9000,
				     .wnd = 65535};
		break;
	case STK_TCP_SYN_RECEIVED:
		p = (struct ut_peer){
			.port = UT_RPORT, .lport = UT_LPORT, .snd_nxt = 1000, .wnd = 65535};
		assert_int_equal(stk_tcp_listen(ut.ctx, 0, UT_LPORT, &ut_ops, &app, &p.l), 0);
		ut_peer_send(&p, TCP_SYN, NULL, 0);
		ut_tcp_last(&o);
		p.rcv_nxt = o.seq + 1;
		conn = &ut.ctx->tcp->conns[0];
		break;
	case STK_TCP_ESTABLISHED:
		established();
		break;
	case STK_TCP_FIN_WAIT_1:
		established();
		we_shut();
		break;
	case STK_TCP_FIN_WAIT_2:
		established();
		we_shut();
		peer_acks_fin();
		break;
	case STK_TCP_CLOSE_WAIT:
		established();
		peer_fin();
		break;
	case STK_TCP_CLOSING:
		established();
		we_shut();
		peer_fin(); /* crosses our FIN: does not ack it */
		break;
	case STK_TCP_LAST_ACK:
		established();
		peer_fin();
		we_shut();
		break;
	case STK_TCP_TIME_WAIT:
		established();
		we_shut();
		peer_acks_fin();
		peer_fin();
		break;
	default:
		fail();
	}
	assert_int_equal(conn->state, s);
	ut_tx_clear();
	memset(&app, 0, sizeof(app));
	app.c = conn;
}

/* ------------------------------------------------------------------ */
/* The event                                                            */

static void
fire(enum event e, enum stk_tcp_state s)
{
	static const uint8_t ten[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	/* everything we sent, our FIN included */
	uint32_t all = conn->snd_max;
	/* a FIN the peer already sent comes again from one below */
	bool fin_done = s == STK_TCP_CLOSE_WAIT || s == STK_TCP_CLOSING || s == STK_TCP_LAST_ACK ||
			s == STK_TCP_TIME_WAIT;

	switch (e) {
	case E_RST:
		if (s == STK_TCP_SYN_SENT)
			ut_peer_raw(&p, TCP_RST | TCP_ACK, 0, p.rcv_nxt, NULL, 0);
		else
			ut_peer_raw(&p, TCP_RST, p.snd_nxt, 0, NULL, 0);
		break;
	case E_SYN:
		ut_peer_raw(&p, TCP_SYN, p.snd_nxt, 0, NULL, 0);
		break;
	case E_FIN:
		/* acks what the peer got before, not a FIN of ours in flight */
		ut_peer_raw(&p, TCP_ACK | TCP_FIN, fin_done ? p.snd_nxt - 1 : p.snd_nxt, p.rcv_nxt,
			    NULL, 0);
		break;
	case E_DATA:
		ut_peer_raw(&p, TCP_ACK | TCP_PSH, p.snd_nxt, p.rcv_nxt, ten, sizeof(ten));
		break;
	case E_ACK:
		ut_peer_raw(&p, TCP_ACK, p.snd_nxt, all, NULL, 0);
		break;
	default:
		fail();
	}
}

static uint8_t
reply_of(void)
{
	struct ut_out o;

	if (ut.n_tx == 0)
		return R_NONE;
	ut_tcp_out(0, &o);
	if (o.flags & TCP_RST)
		return R_RST;
	if ((o.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return R_SYNACK;
	if (o.flags & TCP_SYN)
		return R_SYN;
	return R_ACK;
}

static void
run_cell(const struct cell *k)
{
	uint8_t state;

	ut_tcp_restart();
	memset(&app, 0, sizeof(app));
	reach((enum stk_tcp_state)k->state);
	fire((enum event)k->event, (enum stk_tcp_state)k->state);
	state = ut_conns() == 0 || tcp_dead(conn) ? GONE : conn->state;
	if (state != k->next || reply_of() != k->reply || app.resets != k->resets ||
	    app.closed != k->closed || app.peer_closed != k->peer_closed || app.rx_len != k->data)
		fail_msg("%s + %s: state %s (want %s), reply %u (want %u), resets %u/%u, "
			 "closed %u/%u, peer_closed %u/%u, data %zu/%u",
			 stk_tcp_state_name((enum stk_tcp_state)k->state), event_names[k->event],
			 state == GONE ? "gone" : stk_tcp_state_name((enum stk_tcp_state)state),
			 k->next == GONE ? "gone" : stk_tcp_state_name((enum stk_tcp_state)k->next),
			 reply_of(), k->reply, app.resets, k->resets, app.closed, k->closed,
			 app.peer_closed, k->peer_closed, app.rx_len, k->data);
	/* every cell ends with every mbuf accounted for (teardown checks the pool) */
	ut_tx_clear();
}

static void
test_matrix(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(cells); i++)
		run_cell(&cells[i]);
}

static void
test_matrix_complete(void **state)
{
	(void)state;
	/* each state from SYN-SENT on meets each event exactly once */
	for (int s = STK_TCP_SYN_SENT; s <= STK_TCP_TIME_WAIT; s++) {
		for (int e = 0; e < E_N; e++) {
			unsigned int n = 0;

			for (unsigned int i = 0; i < RTE_DIM(cells); i++)
				n += cells[i].state == s && cells[i].event == e;
			assert_int_equal(n, 1);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		UT_TCP_TEST(test_matrix_complete),
		UT_TCP_TEST(test_matrix),
	};

	return ut_main("test_tcp_matrix", tests, RTE_DIM(tests));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_timer.c - the timer wheel (arm, cancel, re-arm, thousands of
 * timers fired exactly on their tick, far-future timers, jumps of more than
 * a rotation, callbacks that cancel and re-arm), and the RTO estimator of
 * RFC 6298 (first and later samples, min/max clamps, back-off, Karn's rule
 * with and without timestamps).
 */
#include <stdlib.h>

#include "ut_tcp.h"

#define N_MANY 10000

struct tnode {
	struct tw_node n;
	uint64_t due;	/* the tick it must fire on */
	uint64_t fired; /* tick it fired on, 0: not */
	unsigned int count;
	int action; /* 0: none, 1: cancel `other`, 2: re-arm self +5 */
	struct tnode *other;
};

static struct tw_wheel wheel;
static uint64_t cur;

static void
fire(void *arg, struct tw_node *n)
{
	struct tnode *t = (struct tnode *)n;

	assert_ptr_equal(arg, &wheel);
	assert_false(tw_armed(n));
	t->fired = cur;
	t->count++;
	if (t->action == 1)
		tw_cancel(&wheel, &t->other->n);
	else if (t->action == 2 && t->count < 3)
		tw_arm(&wheel, n, cur + 5);
}

static unsigned int
advance_to(uint64_t tick)
{
	cur = tick;
	return tw_advance(&wheel, tick, fire, &wheel);
}

static int
wheel_setup(void **state)
{
	(void)state;
	cur = 100;
	return tw_init(&wheel, 64, cur, SOCKET_ID_ANY);
}

static int
wheel_teardown(void **state)
{
	(void)state;
	tw_fini(&wheel);
	return 0;
}

static void
test_wheel_arm_fire(void **state)
{
	struct tnode a = {0};

	(void)state;
	assert_int_equal(tw_init(&wheel, 63, 0, SOCKET_ID_ANY), -EINVAL); /* power of 2 */
	tw_arm(&wheel, &a.n, 105);
	assert_true(tw_armed(&a.n));
	assert_int_equal(wheel.n_armed, 1);
	assert_int_equal(advance_to(104), 0);
	assert_int_equal(advance_to(105), 1);
	assert_int_equal(a.fired, 105);
	assert_false(tw_armed(&a.n));
	assert_int_equal(wheel.n_armed, 0);
	/* time not moving, or moving back, fires nothing */
	assert_int_equal(advance_to(105), 0);
	assert_int_equal(tw_advance(&wheel, 50, fire, &wheel), 0);
}

static void
test_wheel_cancel(void **state)
{
	struct tnode a = {0}, b = {0};

	(void)state;
	tw_arm(&wheel, &a.n, 110);
	tw_arm(&wheel, &b.n, 110);
	tw_cancel(&wheel, &a.n);
	tw_cancel(&wheel, &a.n); /* twice is harmless */
	assert_false(tw_armed(&a.n));
	assert_int_equal(wheel.n_armed, 1);
	assert_int_equal(advance_to(200), 1);
	assert_int_equal(a.count, 0);
	assert_int_equal(b.count, 1);
}

static void
test_wheel_rearm(void **state)
{
	struct tnode a = {0};

	(void)state;
	tw_arm(&wheel, &a.n, 120);
	tw_arm(&wheel, &a.n, 130); /* later */
	assert_int_equal(wheel.n_armed, 1);
	assert_int_equal(advance_to(125), 0);
	tw_arm(&wheel, &a.n, 127); /* earlier again */
	assert_int_equal(advance_to(126), 0);
	assert_int_equal(advance_to(127), 1);
	assert_int_equal(a.fired, 127);
	/* in the past: fires on the next tick */
	tw_arm(&wheel, &a.n, 3);
	assert_int_equal(a.n.expire, 128);
	assert_int_equal(advance_to(128), 1);
	assert_int_equal(a.count, 2);
}

static void
test_wheel_many(void **state)
{
	struct tnode *t = calloc(N_MANY, sizeof(*t));
	unsigned int fired = 0;

	(void)state;
	assert_non_null(t);
	srand(7);
	for (unsigned int i = 0; i < N_MANY; i++) {
		t[i].due = cur + 1 + (uint64_t)(rand() % (64 * 5)); /* up to 5 rotations */
		tw_arm(&wheel, &t[i].n, t[i].due);
	}
	/* a tenth cancelled, a tenth moved */
	for (unsigned int i = 0; i < N_MANY; i += 10) {
		tw_cancel(&wheel, &t[i].n);
		t[i].due = 0;
	}
	for (unsigned int i = 5; i < N_MANY; i += 10) {
		t[i].due = cur + 1 + (uint64_t)(rand() % 100);
		tw_arm(&wheel, &t[i].n, t[i].due);
	}
	assert_int_equal(wheel.n_armed, N_MANY - N_MANY / 10);
	for (uint64_t tick = cur + 1; tick <= 100 + 64 * 5 + 1; tick++)
		fired += advance_to(tick);
	assert_int_equal(fired, N_MANY - N_MANY / 10);
	for (unsigned int i = 0; i < N_MANY; i++) {
		if (t[i].due == 0) {
			assert_int_equal(t[i].count, 0);
			continue;
		}
		/* never early, never late */
		assert_int_equal(t[i].count, 1);
		assert_int_equal(t[i].fired, t[i].due);
	}
	assert_int_equal(wheel.n_armed, 0);
	free(t);
}

static void
test_wheel_far_future(void **state)
{
	struct tnode far = {0}, near = {0};
	uint64_t due = cur + 1000000; /* ~15625 rotations away */

	(void)state;
	tw_arm(&wheel, &far.n, due);
	tw_arm(&wheel, &near.n, cur + 10);
	/* big jumps: more than a rotation each */
	for (uint64_t t = cur + 1000; t < due - 1000; t += 1000)
		advance_to(t);
	assert_int_equal(near.count, 1);
	assert_int_equal(far.count, 0);
	for (uint64_t t = due - 1000; t < due; t++)
		advance_to(t);
	assert_int_equal(far.count, 0);
	assert_int_equal(advance_to(due), 1);
	assert_int_equal(far.fired, due);
}

static void
test_wheel_jump(void **state)
{
	struct tnode t[8] = {0};

	(void)state;
	for (unsigned int i = 0; i < 8; i++)
		tw_arm(&wheel, &t[i].n, cur + 20 * (i + 1)); /* 120 .. 260 */
	/* one jump of 2.5 rotations fires the due ones, keeps the rest */
	assert_int_equal(advance_to(cur + 160), 8);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(t[i].count, 1);
	for (unsigned int i = 0; i < 8; i++)
		tw_arm(&wheel, &t[i].n, cur + 100 * (i + 1));
	assert_int_equal(advance_to(cur + 450), 4);
	assert_int_equal(wheel.n_armed, 4);
	assert_int_equal(advance_to(cur + 10000), 4);
}

static void
test_wheel_callbacks(void **state)
{
	struct tnode a = {0}, b = {0}, c = {0};

	(void)state;
	/* a fires first and cancels b, due on the same tick */
	a.action = 1;
	a.other = &b;
	tw_arm(&wheel, &b.n, 150);
	tw_arm(&wheel, &a.n, 150);
	/* c re-arms itself from its callback, twice */
	c.action = 2;
	tw_arm(&wheel, &c.n, 150);
	advance_to(150);
	assert_int_equal(a.count + b.count, 1);
	if (a.count == 1)
		assert_int_equal(b.count, 0);
	assert_int_equal(c.count, 1);
	assert_true(tw_armed(&c.n));
	advance_to(155);
	assert_int_equal(c.count, 2);
	advance_to(170);
	assert_int_equal(c.count, 3);
	assert_false(tw_armed(&c.n));
}

/* ------------------------------------------------------------------ */
/* RTO                                                                  */

static struct stk_conn *
bare_conn(void)
{
	struct stk_conn *c = tcp_conn_alloc(ut.ctx->tcp, UT_US, UT_PEER, 1234, 80);

	assert_non_null(c);
	tcp_conn_init(c, 0);
	return c;
}

static void
test_rto_samples(void **state)
{
	struct stk_conn *c;

	(void)state;
	ut.conf.tcp.rto_min_us = 1000;
	ut.conf.tcp.rto_max_us = 10000000;
	ut.conf.tcp.rto_init_us = 1000000;
	ut_tcp_restart();
	c = bare_conn();
	assert_int_equal(c->rto_us, 1000000); /* 2.1: the initial RTO */
	tcp_rtt_sample(c, 100000);	      /* 2.2 */
	assert_int_equal(c->srtt_us, 100000);
	assert_int_equal(c->rttvar_us, 50000);
	assert_int_equal(c->rto_us, 100000 + 4 * 50000);
	tcp_rtt_sample(c, 60000); /* 2.3: rttvar first, with the old srtt */
	assert_int_equal(c->rttvar_us, (3 * 50000 + 40000) / 4);
	assert_int_equal(c->srtt_us, (7 * 100000 + 60000) / 8);
	assert_int_equal(c->rto_us, c->srtt_us + 4 * c->rttvar_us);
	/* a steady RTT: rttvar decays towards 0, the clock granularity stays */
	for (int i = 0; i < 200; i++)
		tcp_rtt_sample(c, 50000);
	assert_int_equal(c->srtt_us, 50000);
	assert_true(c->rto_us >= 50000 + TCP_TICK_US);
	assert_true(c->rto_us <= 50000 + TCP_TICK_US + 8);
	tcp_conn_release(c);
}

static void
test_rto_clamps(void **state)
{
	struct stk_conn *c;

	(void)state;
	ut.conf.tcp.rto_min_us = 200000;
	ut.conf.tcp.rto_max_us = 3000000;
	ut_tcp_restart();
	c = bare_conn();
	tcp_rtt_sample(c, 100); /* 100 us: the minimum wins */
	assert_int_equal(c->rto_us, 200000);
	tcp_rtt_sample(c, 5000000); /* 5 s: the maximum wins */
	assert_int_equal(c->rto_us, 3000000);
	tcp_conn_release(c);
}

static void
test_rto_backoff(void **state)
{
	struct stk_conn *c;

	(void)state;
	ut.conf.tcp.rto_min_us = 200000;
	ut.conf.tcp.rto_max_us = 5000000;
	ut_tcp_restart();
	c = bare_conn();
	tcp_rtt_sample(c, 10000);
	assert_int_equal(tcp_rto(c), 200000);
	c->backoff = 1;
	assert_int_equal(tcp_rto(c), 400000);
	c->backoff = 4;
	assert_int_equal(tcp_rto(c), 3200000);
	c->backoff = 5;
	assert_int_equal(tcp_rto(c), 5000000); /* rto_max */
	c->backoff = 30;
	assert_int_equal(tcp_rto(c), 5000000);
	tcp_rtt_sample(c, 10000); /* a valid sample ends the back-off */
	assert_int_equal(c->backoff, 0);
	assert_int_equal(tcp_rto(c), 200000);
	tcp_conn_release(c);
}

/* Data goes out, its RTO fires (doubling), the retransmission is acked. */
static void
rto_then_ack(struct ut_peer *p, uint32_t ack_delay_ms, bool echo_ts)
{
	struct ut_out o;

	assert_int_equal(ut_send(app.c, ut_data_mbuf(100, 0)), 0);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_out(0, &o);
	ut_tx_clear();
	ut_advance_ms(1001); /* rto_init 1 s: one timeout, and the retransmission */
	assert_int_equal(ut_tcp_stats()->rto_expiries, 1);
	assert_int_equal(app.c->backoff, 1);
	assert_int_equal(tcp_rto(app.c), 2000000);
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.len, 100);
	if (echo_ts)
		ut_peer_saw(p, &o);
	ut_tx_clear();
	ut_advance_ms(ack_delay_ms);
	p->rcv_nxt += 100;
	ut_peer_send(p, TCP_ACK, NULL, 0);
}

static void
test_karn_no_timestamps(void **state)
{
	struct ut_peer p = {0};

	(void)state;
	ut_passive_open(&p);
	/* the handshake gave a sample (the SYN-ACK was not retransmitted) */
	assert_true(app.c->srtt_us > 0);
	app.c->srtt_us = 0;
	app.c->rttvar_us = 0;
	app.c->rto_us = 1000000;
	rto_then_ack(&p, 50, false);
	/* ambiguous: no sample, the back-off stays (RFC 6298 5.7, Karn) */
	assert_int_equal(app.c->srtt_us, 0);
	assert_int_equal(app.c->backoff, 1);
	assert_int_equal(app.c->snd_una, app.c->snd_max);
	/* the next segment, sent once, is measured and ends the back-off */
	assert_int_equal(ut_send(app.c, ut_data_mbuf(10, 0)), 0);
	ut_advance_ms(30);
	p.rcv_nxt += 10;
	ut_peer_send(&p, TCP_ACK, NULL, 0);
	assert_int_equal(app.c->backoff, 0);
	assert_true(app.c->srtt_us >= 29000 && app.c->srtt_us <= 31000);
}

static void
test_karn_timestamps(void **state)
{
	struct ut_peer p = {.ts = true, .tsval = 500};
	uint8_t o[40];

	(void)state;
	ut_passive_open_opts(&p, o, ut_opts(o, 1460, -1, false, true, p.tsval, 0));
	assert_true(app.c->flags & TF_TS);
	app.c->srtt_us = 0;
	app.c->rttvar_us = 0;
	app.c->rto_us = 1000000;
	rto_then_ack(&p, 50, true);
	/* the echo names the retransmission: a sample (ms resolution) */
	assert_int_equal(app.c->backoff, 0);
	assert_true(app.c->srtt_us >= 49000 && app.c->srtt_us <= 53000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wheel_arm_fire, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_cancel, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_rearm, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_many, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_far_future, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_jump, wheel_setup, wheel_teardown),
		cmocka_unit_test_setup_teardown(test_wheel_callbacks, wheel_setup, wheel_teardown),
		UT_TCP_TEST(test_rto_samples),
		UT_TCP_TEST(test_rto_clamps),
		UT_TCP_TEST(test_rto_backoff),
		UT_TCP_TEST(test_karn_no_timestamps),
		UT_TCP_TEST(test_karn_timestamps),
	};

	return ut_main("test_tcp_timer", tests, RTE_DIM(tests));
}

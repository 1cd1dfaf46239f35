/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_timer.c - the per-worker timer wheel, the RTO estimator (RFC 6298)
 * and what each TCP timer does when it fires: retransmission (SYN, SYN-ACK,
 * data, FIN), zero-window probes, delayed ACKs, keepalives and the
 * FIN-WAIT-2 timeout. Owning worker only; driven by stk_poll.
 *
 * Every connection has TCP_N_TIMERS wheel nodes of its own: arming and
 * cancelling never allocates. TIME-WAIT is not on the wheel: its duration is
 * fixed, so a FIFO (stk_tcp_conn.c) keeps it in expiry order for free.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "stk_tcp_internal.h"

/* ------------------------------------------------------------------ */
/* The wheel                                                            */

int
tw_init(struct tw_wheel *w, uint32_t n_slots, uint64_t now, int socket)
{
	if (n_slots == 0 || (n_slots & (n_slots - 1)) != 0)
		return -EINVAL;
	w->slots = rte_zmalloc_socket("stk_tw", (size_t)n_slots * sizeof(*w->slots), 0, socket);
	if (w->slots == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n_slots; i++)
		w->slots[i].next = w->slots[i].prev = &w->slots[i];
	w->mask = n_slots - 1;
	w->now = now;
	w->n_armed = 0;
	return 0;
}

void
tw_fini(struct tw_wheel *w)
{
	rte_free(w->slots);
	w->slots = NULL;
	w->n_armed = 0;
}

static void
unlink_node(struct tw_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

static void
link_after(struct tw_node *head, struct tw_node *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

void
tw_arm(struct tw_wheel *w, struct tw_node *n, uint64_t expire)
{
	if (tw_armed(n))
		unlink_node(n);
	else
		w->n_armed++;
	if (expire <= w->now)
		expire = w->now + 1;
	n->expire = expire;
	link_after(&w->slots[expire & w->mask], n);
}

void
tw_cancel(struct tw_wheel *w, struct tw_node *n)
{
	if (!tw_armed(n))
		return;
	unlink_node(n);
	w->n_armed--;
}

unsigned int
tw_advance(struct tw_wheel *w, uint64_t now, tw_fn fn, void *arg)
{
	struct tw_node expired = {.next = &expired, .prev = &expired};
	uint64_t steps;
	unsigned int fired = 0;

	if (now <= w->now)
		return 0;
	steps = RTE_MIN(now - w->now, w->mask + 1);
	/* collect first, then fire: callbacks may arm into the slots we scan */
	for (uint64_t i = 1; i <= steps; i++) {
		struct tw_node *head = &w->slots[(w->now + i) & w->mask];
		struct tw_node *n = head->next, *next;

		for (; n != head; n = next) {
			next = n->next;
			if (n->expire <= now) {
				unlink_node(n);
				link_after(expired.prev, n);
			}
		}
	}
	w->now = now;
	while (expired.next != &expired) {
		struct tw_node *n = expired.next;

		unlink_node(n);
		w->n_armed--;
		fn(arg, n);
		fired++;
	}
	return fired;
}

/* ------------------------------------------------------------------ */
/* TCP timers on the wheel                                              */

static uint64_t
us_to_ticks(uint64_t us)
{
	return (us + TCP_TICK_US - 1) / TCP_TICK_US;
}

void
tcp_timer_set(struct stk_conn *c, enum tcp_timer t, uint64_t us)
{
	struct stk_tcp *tcp = conn_tcp(c);

	tw_arm(&tcp->wheel, &c->timers[t], tcp->now / tcp->tick_tsc + RTE_MAX(us_to_ticks(us), 1u));
}

void
tcp_timer_cancel(struct stk_conn *c, enum tcp_timer t)
{
	tw_cancel(&conn_tcp(c)->wheel, &c->timers[t]);
}

void
tcp_timers_cancel_all(struct stk_conn *c)
{
	for (int i = 0; i < TCP_N_TIMERS; i++)
		tcp_timer_cancel(c, (enum tcp_timer)i);
}

/* ------------------------------------------------------------------ */
/* RTO (RFC 6298)                                                       */

void
tcp_rtt_sample(struct stk_conn *c, uint32_t r)
{
	const struct stk_tcp_conf *tc = &conn_tcp(c)->conf;
	uint64_t rto;

	if (r == 0)
		r = 1;
	if (c->srtt_us == 0) {
		/* 2.2: the first measurement */
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		/* 2.3: beta 1/4, alpha 1/8 */
		uint32_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (uint32_t)(((uint64_t)3 * c->rttvar_us + delta) / 4);
		c->srtt_us = (uint32_t)(((uint64_t)7 * c->srtt_us + r) / 8);
		if (c->srtt_us == 0)
			c->srtt_us = 1;
	}
	rto = (uint64_t)c->srtt_us + RTE_MAX((uint64_t)TCP_TICK_US, (uint64_t)4 * c->rttvar_us);
	rto = RTE_MAX(rto, tc->rto_min_us);
	rto = RTE_MIN(rto, tc->rto_max_us);
	c->rto_us = (uint32_t)RTE_MIN(rto, (uint64_t)UINT32_MAX);
	/* a valid sample ends Karn's back-off (5.7 aside) */
	c->backoff = 0;
}

uint64_t
tcp_rto(const struct stk_conn *c)
{
	uint64_t max = conn_tcp(c)->conf.rto_max_us;
	uint64_t rto = (uint64_t)c->rto_us << RTE_MIN(c->backoff, (uint8_t)30);

	return RTE_MIN(rto, max);
}

void
tcp_rtx_arm(struct stk_conn *c)
{
	uint64_t rto = tcp_rto(c), pto;

	c->flags &= ~TF_TLP_ARMED;
	if ((c->flags & (TF_SACK | TF_RECOVERY | TF_TLP_SENT)) != TF_SACK || c->srtt_us == 0 ||
	    c->backoff != 0 || c->state != STK_TCP_ESTABLISHED) {
		tcp_timer_set(c, TCP_T_RTX, rto);
		return;
	}
	/* RFC 8985 7.2: 2 SRTT, plus the peer's worst delayed ACK when less
	 * than two full segments are out (its ACK may wait for more), else a
	 * slack for a busy peer's ACK (as Linux's 2 jiffies): at sub-ms RTTs
	 * 2 SRTT alone fires on every hiccup and resends for nothing */
	pto = 2ull * c->srtt_us;
	if (tcp_flight(c) < 2 * tcp_seg_mss(c))
		pto += TCP_WC_DELACK_US;
	else
		pto += TCP_TLP_SLACK_US;
	if (pto >= rto) {
		tcp_timer_set(c, TCP_T_RTX, rto);
		return;
	}
	c->flags |= TF_TLP_ARMED;
	tcp_timer_set(c, TCP_T_RTX, pto);
}

/* RFC 8985 7.3: new data if the windows allow, else the last segment
 * again; either way the peer's answer (SACK) reveals a tail loss. */
static void
tlp_fire(struct stk_conn *c)
{
	uint32_t before = c->snd_max, mss = tcp_seg_mss(c);

	c->flags &= ~TF_TLP_ARMED;
	if (c->flags & TF_RECOVERY) {
		/* a recovery began after the timer was set: no probe in it */
		tcp_timer_set(c, TCP_T_RTX, tcp_rto(c));
		return;
	}
	c->flags |= TF_TLP_SENT;
	TCP_INC(c->ctx, tlp_probes);
	if (!(c->snd_nxt == c->snd_max && tcp_send_one(c) && c->snd_max != before)) {
		uint32_t flight = tcp_flight(c);

		tcp_retransmit_at(c, c->snd_max - RTE_MIN(flight, mss), UINT32_MAX);
	}
	tcp_timer_set(c, TCP_T_RTX, tcp_rto(c));
}

/* ------------------------------------------------------------------ */
/* What fires                                                           */

static bool
sending_state(const struct stk_conn *c)
{
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
	case STK_TCP_FIN_WAIT_1:
	case STK_TCP_CLOSING:
	case STK_TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

static void
syn_expired(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);

	if (++c->rtx_n > t->conf.syn_retries) {
		TCP_INC(c->ctx, attempt_fails);
		if (c->flags & TF_PASSIVE) {
			tcp_conn_release(c); /* the application never saw it */
			return;
		}
		tcp_conn_done(c, ETIMEDOUT);
		return;
	}
	TCP_INC(c->ctx, rto_expiries);
	if (c->backoff < 30)
		c->backoff++;
	tcp_send_syn(c);
	tcp_rtx_arm(c);
}

static void
rtx_expired(struct stk_conn *c)
{
	if (c->state == STK_TCP_SYN_SENT || c->state == STK_TCP_SYN_RECEIVED) {
		syn_expired(c);
		return;
	}
	if (!sending_state(c) || c->snd_una == c->snd_max)
		return;
	if (c->flags & TF_TLP_ARMED) {
		tlp_fire(c);
		return;
	}
	if (++c->rtx_n > TCP_MAX_RETRIES) {
		tcp_conn_done(c, ETIMEDOUT);
		return;
	}
	TCP_INC(c->ctx, rto_expiries);
	tcp_cc_rto(c);
	if (c->backoff < 30)
		c->backoff++;
	c->flags &= ~TF_RTT_TIMING; /* Karn */
	/* go back: everything from snd_una is sent again as cwnd allows */
	c->snd_nxt = c->snd_una;
	tcp_output(c);
	if (c->snd_nxt == c->snd_una) {
		/* nothing fit in a closed window: probing takes over */
		tcp_timer_cancel(c, TCP_T_RTX);
		tcp_persist_check(c);
		return;
	}
	tcp_rtx_arm(c);
}

void
tcp_persist_check(struct stk_conn *c)
{
	const struct stk_tcp_conf *tc = &conn_tcp(c)->conf;
	uint64_t us;

	if (!sending_state(c) || c->snd_nxt != c->snd_una || tcp_timer_armed(c, TCP_T_RTX) ||
	    tcp_timer_armed(c, TCP_T_PERSIST) || tcp_sq_unsent(c) == 0)
		return;
	us = RTE_MAX((uint64_t)c->rto_us, (uint64_t)TCP_PERSIST_MIN_US) << c->persist_n;
	tcp_timer_set(c, TCP_T_PERSIST, RTE_MIN(us, RTE_MAX(tc->rto_max_us, 1u)));
}

static void
persist_expired(struct stk_conn *c)
{
	if (!sending_state(c) || c->snd_nxt != c->snd_una || tcp_sq_unsent(c) == 0)
		return;
	if (c->snd_wnd == 0) {
		tcp_send_probe(c);
		TCP_INC(c->ctx, zero_window_probes);
	} else {
		tcp_output_force(c); /* a window smaller than we like: send into it anyway */
	}
	if (c->persist_n < 16)
		c->persist_n++;
	tcp_persist_check(c);
}

static void
delack_expired(struct stk_conn *c)
{
	if (c->state < STK_TCP_ESTABLISHED || c->state == STK_TCP_CLOSED)
		return;
	TCP_INC(c->ctx, delayed_acks);
	tcp_send_ack(c);
}

void
tcp_idle_arm(struct stk_conn *c)
{
	const struct stk_tcp_conf *tc = &conn_tcp(c)->conf;

	if (c->state == STK_TCP_FIN_WAIT_2 && (c->flags & TF_APP_CLOSED)) {
		if (tc->fin_wait2_us != 0)
			tcp_timer_set(c, TCP_T_IDLE, tc->fin_wait2_us);
		return;
	}
	if ((c->flags & TF_KEEPALIVE) &&
	    (c->state == STK_TCP_ESTABLISHED || c->state == STK_TCP_CLOSE_WAIT) &&
	    !tcp_timer_armed(c, TCP_T_IDLE))
		tcp_timer_set(c, TCP_T_IDLE, c->ka_idle_us);
}

static void
keepalive_expired(struct stk_conn *c)
{
	struct stk_tcp *t = conn_tcp(c);
	uint64_t idle_us = (t->now - c->last_rcv_tsc) / t->tsc_us;

	if (!(c->flags & TF_KEEPALIVE) ||
	    (c->state != STK_TCP_ESTABLISHED && c->state != STK_TCP_CLOSE_WAIT))
		return;
	if (c->ka_probes == 0 && idle_us < c->ka_idle_us) {
		/* traffic since the timer was set: re-arm for the rest (lazy) */
		tcp_timer_set(c, TCP_T_IDLE, c->ka_idle_us - idle_us);
		return;
	}
	if (c->snd_una != c->snd_max) {
		/* data in flight: the retransmission timer watches the peer */
		tcp_timer_set(c, TCP_T_IDLE, c->ka_idle_us);
		return;
	}
	if (c->ka_probes >= c->ka_max) {
		tcp_conn_done(c, ETIMEDOUT);
		return;
	}
	tcp_send_probe(c);
	c->ka_probes++;
	TCP_INC(c->ctx, keepalive_probes);
	tcp_timer_set(c, TCP_T_IDLE, c->ka_intvl_us);
}

static void
idle_expired(struct stk_conn *c)
{
	switch (c->state) {
	case STK_TCP_CLOSED:
		/* closed before the handshake finished: `closed` comes from here */
		tcp_conn_done(c, 0);
		return;
	case STK_TCP_FIN_WAIT_2:
		/* absolute, not idle time: a peer that keeps talking to an
		 * orphan (keepalives) must not keep it forever */
		if (c->flags & TF_APP_CLOSED)
			tcp_conn_done(c, 0);
		return;
	default:
		keepalive_expired(c);
		return;
	}
}

static void
timer_fire(void *arg, struct tw_node *n)
{
	struct stk_tcp *t = arg;
	size_t idx = (size_t)((const char *)n - (const char *)t->conns) / sizeof(struct stk_conn);
	struct stk_conn *c = &t->conns[idx];
	enum tcp_timer which = (enum tcp_timer)(n - c->timers);

	if (tcp_dead(c))
		return;
	switch (which) {
	case TCP_T_RTX:
		rtx_expired(c);
		break;
	case TCP_T_PERSIST:
		persist_expired(c);
		break;
	case TCP_T_DELACK:
		delack_expired(c);
		break;
	case TCP_T_IDLE:
		idle_expired(c);
		break;
	default:
		break;
	}
}

void
stk_tcp_poll(struct stk_ctx *ctx, uint64_t now)
{
	struct stk_tcp *t = ctx->tcp;

	if (t == NULL)
		return;
	tcp_enter(t, now);
	tw_advance(&t->wheel, t->now / t->tick_tsc, timer_fire, t);
	tcp_tw_poll(t);
	tcp_mem_poll(t);
	tcp_leave(t);
}

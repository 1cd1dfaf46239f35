/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_tcp.h - fixtures for the TCP unit tests, on top of ut_stack.h: a
 * context with TCP on (small tables, MSL 1 s), segments from the peer
 * (10.0.0.2) written byte by byte with checksums computed by hand, a parser
 * for what the stack sends that checks its checksums independently, and an
 * application that records every callback.
 */
#ifndef MESHGW_UT_TCP_H
#define MESHGW_UT_TCP_H

#include <errno.h>

#include "stk_tcp_internal.h"
#include "ut_stack.h"

#define UT_LPORT 80
#define UT_RPORT 40000
#define UT_MS	 (ut.ms)

/* ------------------------------------------------------------------ */
/* Segments from the peer                                               */

struct ut_seg {
	uint32_t src, dst; /* 0: the peer to us */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;
	size_t olen; /* a multiple of 4 unless testing bad offsets */
	const void *data;
	size_t len;
	int doff_words; /* 0: computed */
	bool bad_cksum;
	bool raw_ports; /* take sport/dport as given, 0 included */
};

static inline void
ut_tcp_frame(struct ut_pkt *f, const struct ut_seg *s)
{
	uint32_t src = s->src ? s->src : UT_PEER, dst = s->dst ? s->dst : UT_US;
	size_t off = ut_put_eth(f->b, ut_mac_us, ut_mac_peer, 0x0800);
	size_t thl = 20 + s->olen, tl = thl + s->len;
	uint8_t *t, ph[12 + 1600];
	uint16_t ck;

	off += ut_put_ip(f->b + off, 5, (uint16_t)(20 + tl), 0x4000, 64, 6, src, dst);
	t = f->b + off;
	ut_put16(t, s->raw_ports || s->sport ? s->sport : UT_RPORT);
	ut_put16(t + 2, s->raw_ports || s->dport ? s->dport : UT_LPORT);
	ut_put32(t + 4, s->seq);
	ut_put32(t + 8, s->ack);
	t[12] = (uint8_t)((s->doff_words ? s->doff_words : (int)(thl / 4)) << 4);
	t[13] = s->flags;
	ut_put16(t + 14, s->wnd);
	ut_put16(t + 16, 0);
	ut_put16(t + 18, 0);
	if (s->olen)
		memcpy(t + 20, s->opts, s->olen);
	if (s->len)
		memcpy(t + thl, s->data, s->len);
	/* pseudo header + segment, summed the plain way */
	ut_put32(ph, src);
	ut_put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 6;
	ut_put16(ph + 10, (uint16_t)tl);
	memcpy(ph + 12, t, tl);
	ck = ut_cksum(ph, 12 + tl);
	if (s->bad_cksum)
		ck ^= 0x5a5a;
	ut_put16(t + 16, ck);
	f->len = off + tl;
}

static inline void
ut_tcp_rx(const struct ut_seg *s)
{
	struct ut_pkt f;

	ut_tcp_frame(&f, s);
	ut_rx(&f);
}

/* ------------------------------------------------------------------ */
/* Segments the stack sent                                              */

struct ut_out {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	/* options */
	bool has_mss, has_ws, has_sackok, has_ts, has_sack;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t n_sack; /* SACK blocks, as sent */
	struct {
		uint32_t left, right;
	} sack[4];
	uint32_t olen; /* option bytes (TCP header length - 20) */
	uint32_t len;
	uint8_t data[2048];
};

/* Parses captured frame i (linearised); checks both checksums by hand. */
static inline void
ut_tcp_out(unsigned int i, struct ut_out *o)
{
	uint8_t b[2100], ph[12 + 2048];
	uint32_t n;
	const void *p;
	size_t ihl, tl, thl;
	const uint8_t *t;

	assert_true(i < ut.n_tx);
	n = rte_pktmbuf_pkt_len(ut.tx[i]);
	assert_true(n <= sizeof(b));
	p = rte_pktmbuf_read(ut.tx[i], 0, n, b);
	assert_non_null(p);
	if (p != b)
		memcpy(b, p, n);
	assert_int_equal(ut_get16(b + 12), 0x0800);
	ihl = (size_t)(b[14] & 0xf) * 4;
	assert_int_equal(ut_cksum(b + 14, ihl), 0);
	assert_int_equal(b[14 + 9], 6);
	assert_int_equal(ut_get16(b + 14 + 6) & 0x4000, 0x4000); /* DF */
	tl = ut_get16(b + 16) - ihl;
	assert_int_equal(14 + ihl + tl, n);
	t = b + 14 + ihl;
	memcpy(ph, b + 14 + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ut_put16(ph + 10, (uint16_t)tl);
	memcpy(ph + 12, t, tl);
	assert_int_equal(ut_cksum(ph, 12 + tl), 0);
	memset(o, 0, sizeof(*o));
	o->src = ut_get32(b + 14 + 12);
	o->dst = ut_get32(b + 14 + 16);
	o->sport = ut_get16(t);
	o->dport = ut_get16(t + 2);
	o->seq = ut_get32(t + 4);
	o->ack = ut_get32(t + 8);
	thl = (size_t)(t[12] >> 4) * 4;
	o->flags = t[13];
	o->wnd = ut_get16(t + 14);
	o->olen = (uint32_t)(thl - 20);
	for (size_t k = 20; k < thl;) {
		uint8_t kind = t[k];

		if (kind == 0)
			break;
		if (kind == 1) {
			k++;
			continue;
		}
		assert_true(k + 1 < thl && t[k + 1] >= 2 && k + t[k + 1] <= thl);
		if (kind == 2) {
			o->has_mss = true;
			o->mss = ut_get16(t + k + 2);
		} else if (kind == 3) {
			o->has_ws = true;
			o->ws = t[k + 2];
		} else if (kind == 4) {
			o->has_sackok = true;
		} else if (kind == 8) {
			o->has_ts = true;
			o->tsval = ut_get32(t + k + 2);
			o->tsecr = ut_get32(t + k + 6);
		} else if (kind == 5) {
			/* whole blocks only, at most four (RFC 2018 3) */
			assert_int_equal((t[k + 1] - 2) % 8, 0);
			assert_true(t[k + 1] >= 10 && t[k + 1] <= 34);
			o->has_sack = true;
			o->n_sack = (uint8_t)((t[k + 1] - 2) / 8);
			for (unsigned int j = 0; j < o->n_sack; j++) {
				o->sack[j].left = ut_get32(t + k + 2 + 8 * j);
				o->sack[j].right = ut_get32(t + k + 6 + 8 * j);
			}
		}
		k += t[k + 1];
	}
	o->len = (uint32_t)(tl - thl);
	memcpy(o->data, t + thl, o->len);
}

/* The last captured segment. */
static inline void
ut_tcp_last(struct ut_out *o)
{
	assert_true(ut.n_tx > 0);
	ut_tcp_out(ut.n_tx - 1, o);
}

/* ------------------------------------------------------------------ */
/* A recording application                                              */

struct ut_app {
	unsigned int accepted, connected, data, writable, peer_closed, resets, closed;
	int err;
	struct stk_conn *c;
	uint8_t rx[1 << 16];
	size_t rx_len;
	uint64_t rx_total;
	uint32_t rcv_nxt_in_data; /* the ACK anything sent from data would carry */
	bool keep;		  /* do not consume: the window closes */
	int accept_rc;		  /* what accepted returns */
	bool abort_in_data;	  /* stk_conn_abort from the data callback */
	bool close_in_data;	  /* stk_conn_close from the data callback */
	bool close_in_peer;	  /* stk_conn_close from peer_closed */
	bool abort_in_reset;	  /* stk_conn_abort from reset */
	bool send_in_writable;	  /* push one more mbuf from writable */
};

static struct ut_app app;
static const struct stk_tcp_ops ut_ops;

static inline int
ut_app_accepted(void *lctx, struct stk_conn *c)
{
	assert_ptr_equal(lctx, &app);
	app.accepted++;
	app.c = c;
	stk_conn_set_ops(c, &ut_ops, &app);
	return app.accept_rc;
}

static inline void
ut_app_connected(void *ctx, struct stk_conn *c)
{
	assert_ptr_equal(ctx, &app);
	app.connected++;
	app.c = c;
}

static inline void
ut_app_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	uint32_t n = rte_pktmbuf_pkt_len(m);

	assert_ptr_equal(ctx, &app);
	app.data++;
	app.rcv_nxt_in_data = c->rcv_nxt;
	if (app.rx_len + n <= sizeof(app.rx)) {
		const void *p = rte_pktmbuf_read(m, 0, n, app.rx + app.rx_len);

		if (p != app.rx + app.rx_len)
			memcpy(app.rx + app.rx_len, p, n);
		app.rx_len += n;
	}
	app.rx_total += n;
	rte_pktmbuf_free(m);
	if (!app.keep)
		stk_conn_consumed(c, n);
	if (app.abort_in_data)
		stk_conn_abort(c);
	else if (app.close_in_data)
		stk_conn_close(c);
}

static inline void
ut_app_writable(void *ctx, struct stk_conn *c)
{
	assert_ptr_equal(ctx, &app);
	(void)c;
	app.writable++;
}

static inline void
ut_app_peer_closed(void *ctx, struct stk_conn *c)
{
	assert_ptr_equal(ctx, &app);
	app.peer_closed++;
	if (app.close_in_peer)
		stk_conn_close(c);
}

static inline void
ut_app_reset(void *ctx, struct stk_conn *c, int err)
{
	assert_ptr_equal(ctx, &app);
	app.resets++;
	app.err = err;
	if (app.abort_in_reset)
		stk_conn_abort(c);
}

static inline void
ut_app_closed(void *ctx, struct stk_conn *c)
{
	assert_ptr_equal(ctx, &app);
	(void)c;
	app.closed++;
	app.c = NULL;
}

static const struct stk_tcp_ops ut_ops = {
	.accepted = ut_app_accepted,
	.connected = ut_app_connected,
	.data = ut_app_data,
	.writable = ut_app_writable,
	.peer_closed = ut_app_peer_closed,
	.reset = ut_app_reset,
	.closed = ut_app_closed,
};

/* ------------------------------------------------------------------ */
/* The context                                                          */

static inline void
ut_tcp_conf(struct stk_tcp_conf *t)
{
	stk_tcp_conf_defaults(t);
	t->max_conns = 64;
	t->max_listeners = 8;
	t->msl_us = 1000000;
	t->rcv_buf = 65535 * 4;
	t->snd_buf = 64 * 1024;
	t->worker_mem_max = 8u << 20;
	t->ooo_max = 8;
}

/* ut_setup with TCP on, the peer's MAC learnt and the application reset. */
static inline int
ut_tcp_setup(void **state)
{
	(void)state;
	memset(&app, 0, sizeof(app));
	ut.baseline = rte_mempool_in_use_count(ut.pool);
	ut.ms = rte_get_tsc_hz() / 1000;
	ut.now = 1000 * ut.ms;
	ut_default_conf(&ut.conf);
	ut.conf.arp.reachable_ms = 3600 * 1000; /* no ARP traffic among the segments */
	ut_tcp_conf(&ut.conf.tcp);
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
	return 0;
}

/* Restarts the context with the (edited) ut.conf. */
static inline void
ut_tcp_restart(void)
{
	ut_tx_clear();
	ut_start();
	ut_learn(ut_mac_peer, UT_PEER);
}

/* Moves the clock and runs the timers. */
static inline void
ut_advance_us(uint64_t us)
{
	ut.now += us * (rte_get_tsc_hz() / 1000000);
	stk_poll(ut.ctx, ut.now);
	stk_flush(ut.ctx);
}

/* Moves the clock in steps (timers that re-arm get to run). */
static inline void
ut_advance_ms(uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++)
		ut_advance_us(1000);
}

static inline const struct stk_tcp_stats *
ut_tcp_stats(void)
{
	return stk_tcp_get_stats(ut.ctx);
}

static inline unsigned int
ut_conns(void)
{
	struct stk_conn_info info[64];

	return stk_tcp_dump(ut.ctx, info, 64);
}

/* ------------------------------------------------------------------ */
/* A scripted peer                                                      */

/* Option bytes: MSS (0: none), window scale (< 0: none), SACK-permitted,
 * timestamps. Returns the length (a multiple of 4). */
static inline size_t
ut_opts(uint8_t *b, uint16_t mss, int ws, bool sackok, bool ts, uint32_t tsval, uint32_t tsecr)
{
	size_t n = 0;

	if (mss) {
		b[n++] = 2;
		b[n++] = 4;
		ut_put16(b + n, mss);
		n += 2;
	}
	if (ws >= 0) {
		b[n++] = 1;
		b[n++] = 3;
		b[n++] = 3;
		b[n++] = (uint8_t)ws;
	}
	if (sackok) {
		b[n++] = 1;
		b[n++] = 1;
		b[n++] = 4;
		b[n++] = 2;
	}
	if (ts) {
		b[n++] = 1;
		b[n++] = 1;
		b[n++] = 8;
		b[n++] = 10;
		ut_put32(b + n, tsval);
		ut_put32(b + n + 4, tsecr);
		n += 8;
	}
	return n;
}

struct ut_peer {
	uint16_t port;	  /* the peer's port */
	uint16_t lport;	  /* ours */
	uint32_t snd_nxt; /* the peer's next sequence number */
	uint32_t rcv_nxt; /* what the peer expects from us next */
	uint16_t wnd;	  /* as sent (scaled by the peer's shift) */
	bool ts;
	uint32_t tsval, ts_recent;
	struct stk_listener *l;
};

/* A segment from the peer at its current sequence numbers; advances them. */
static inline void
ut_peer_send(struct ut_peer *p, uint8_t flags, const void *data, size_t len)
{
	uint8_t o[40];
	size_t olen = p->ts ? ut_opts(o, 0, -1, false, true, ++p->tsval, p->ts_recent) : 0;

	ut_tcp_rx(&(struct ut_seg){.sport = p->port,
				   .dport = p->lport,
				   .seq = p->snd_nxt,
				   .ack = p->rcv_nxt,
				   .flags = flags,
				   .wnd = p->wnd,
				   .opts = o,
				   .olen = olen,
				   .data = data,
				   .len = len});
	p->snd_nxt += (uint32_t)len + ((flags & TCP_SYN) ? 1 : 0) + ((flags & TCP_FIN) ? 1 : 0);
}

/* A segment from the peer with explicit numbers (nothing advances). */
static inline void
ut_peer_raw(struct ut_peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	    size_t len)
{
	uint8_t o[40];
	size_t olen = p->ts ? ut_opts(o, 0, -1, false, true, ++p->tsval, p->ts_recent) : 0;

	ut_tcp_rx(&(struct ut_seg){.sport = p->port,
				   .dport = p->lport,
				   .seq = seq,
				   .ack = ack,
				   .flags = flags,
				   .wnd = p->wnd,
				   .opts = o,
				   .olen = olen,
				   .data = data,
				   .len = len});
}

/* Takes the peer's view of segment o: our timestamp, nothing else. */
static inline void
ut_peer_saw(struct ut_peer *p, const struct ut_out *o)
{
	if (o->has_ts)
		p->ts_recent = o->tsval;
}

/* Listener on UT_LPORT, SYN from the peer (isn 1000 unless set, options
 * opts), our SYN-ACK checked, the peer's ACK: app.c is established. */
static inline void
ut_passive_open_opts(struct ut_peer *p, const uint8_t *opts, size_t olen)
{
	struct ut_out o;

	if (p->port == 0)
		p->port = UT_RPORT;
	if (p->lport == 0)
		p->lport = UT_LPORT;
	if (p->wnd == 0)
		p->wnd = 65535;
	if (p->snd_nxt == 0)
		p->snd_nxt = 1000;
	assert_int_equal(stk_tcp_listen(ut.ctx, 0, p->lport, &ut_ops, &app, &p->l), 0);
	ut_tcp_rx(&(struct ut_seg){.sport = p->port,
				   .dport = p->lport,
				   .seq = p->snd_nxt,
				   .flags = TCP_SYN,
				   .wnd = p->wnd,
				   .opts = opts,
				   .olen = olen});
	p->snd_nxt++;
	assert_int_equal(ut.n_tx, 1);
	ut_tcp_last(&o);
	assert_int_equal(o.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(o.ack, p->snd_nxt);
	p->rcv_nxt = o.seq + 1;
	ut_peer_saw(p, &o);
	ut_tx_clear();
	ut_peer_send(p, TCP_ACK, NULL, 0);
	assert_int_equal(app.accepted, 1);
	assert_non_null(app.c);
	assert_int_equal(app.c->state, STK_TCP_ESTABLISHED);
}

/* The same with MSS 1460 and nothing else. */
static inline void
ut_passive_open(struct ut_peer *p)
{
	uint8_t o[8];

	ut_passive_open_opts(p, o, ut_opts(o, 1460, -1, false, false, 0, 0));
}

/* Our data in captured segments from index from on, concatenated. */
static inline size_t
ut_tx_payload(unsigned int from, uint8_t *out, size_t max)
{
	struct ut_out o;
	size_t n = 0;

	for (unsigned int i = from; i < ut.n_tx; i++) {
		ut_tcp_out(i, &o);
		assert_true(n + o.len <= max);
		memcpy(out + n, o.data, o.len);
		n += o.len;
	}
	return n;
}

/* stk_conn_send + the flush the worker loop does after the application ran. */
static inline int
ut_send(struct stk_conn *c, struct rte_mbuf *m)
{
	int rc = stk_conn_send(c, m);

	stk_flush(ut.ctx);
	return rc;
}

static inline void
ut_flush(void)
{
	stk_flush(ut.ctx);
}

/* n bytes of pattern (byte i = (seed + i) & 0xff), chained in 2 KiB
 * segments when n needs more than one. */
static inline struct rte_mbuf *
ut_data_mbuf(size_t n, uint8_t seed)
{
	struct rte_mbuf *head = NULL;
	size_t done = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(ut.pool);
		size_t k = n - done < 2048 ? n - done : 2048;
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
		assert_non_null(p);
		for (size_t i = 0; i < k; i++)
			p[i] = (uint8_t)(seed + done + i);
		done += k;
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	} while (done < n);
	return head;
}

#define UT_TCP_TEST(f) cmocka_unit_test_setup_teardown(f, ut_tcp_setup, ut_teardown)

/* ------------------------------------------------------------------ */
/* A loss script for the scripted receivers of the congestion-control   */
/* tests: the n-th transmission of the segment holding byte offset off  */
/* is lost.                                                             */

struct ut_losses {
	uint32_t off[8];
	unsigned int nth[8], seen[8], n;
};

static inline void
ut_losses_add(struct ut_losses *l, uint32_t off, unsigned int nth)
{
	assert_true(l->n < RTE_DIM(l->off));
	l->off[l->n] = off;
	l->nth[l->n] = nth;
	l->n++;
}

/* A transmission of [off, off + len): is it the one to lose? */
static inline bool
ut_losses_hit(struct ut_losses *l, uint32_t off, uint32_t len)
{
	bool drop = false;

	for (unsigned int i = 0; i < l->n; i++)
		if (l->off[i] >= off && l->off[i] < off + len && ++l->seen[i] == l->nth[i])
			drop = true;
	return drop;
}

#endif /* MESHGW_UT_TCP_H */

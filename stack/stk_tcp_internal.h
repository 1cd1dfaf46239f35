/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_internal.h - the TCP control block, the per-worker TCP state and
 * what the TCP files share. Stack-internal (unit tests may include it). Every
 * function here runs on the worker that owns the context.
 *
 * Files, one concern each:
 *   stk_tcp_conn.c        per-worker tables: TCB pool, 4-tuple hash, listeners,
 *                         ISNs, TIME-WAIT FIFO, deferred frees, memory counts
 *   stk_tcp_opts.c        option parsing and writing
 *   stk_tcp_input.c       validation, the state x flags dispatch, LISTEN,
 *                         SYN-SENT, opening and ending connections
 *   stk_tcp_rcv.c         the synchronized states and TIME-WAIT (3.10.7.4)
 *   stk_tcp_icmp.c        ICMP errors (RFC 5927)
 *   stk_tcp_ooo.c         the out-of-order queue
 *   stk_tcp_output.c      the send queue, segment building, ACK/RST/probes
 *   stk_tcp_timer.c       the timer wheel, RTO estimator, TCP timers
 *   stk_tcp_cc.c          loss detection and recovery (RFC 5681/6582/3042),
 *                         the table of congestion controls
 *   stk_tcp_cc_newreno.c  NewReno's window policy
 *   stk_tcp_cc_cubic.c    CUBIC's (RFC 9438; state in stk_tcp_cc_cubic.h)
 *   stk_tcp_challenge.c   RFC 5961 challenge ACKs and their rate limit
 *   stk_tcp_cookie.c      SYN cookies (encoding, checking)
 *   stk_tcp_api.c         the public API of stk.h
 */
#ifndef MESHGW_STK_TCP_INTERNAL_H
#define MESHGW_STK_TCP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "stk.h"
#include "stk_internal.h"

/* ------------------------------------------------------------------ */
/* Wire constants                                                       */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_HDR_LEN	   20
#define TCP_OPT_MAX	   40
#define TCP_IP_HDR_LEN	   20
#define TCP_TS_OPT_LEN	   12  /* NOP NOP TS(10) */
#define TCP_DEFAULT_MSS	   536 /* RFC 9293 3.7.1: without an MSS option (IPv4) */
#define TCP_MIN_PMTU	   552 /* the floor of ICMP-driven MTU reduction (as Linux) */
#define TCP_MAX_WSCALE	   14
#define TCP_MAX_WINDOW	   65535u
#define TCP_TTL		   64
#define TCP_MAX_RETRIES	   15	  /* RTO expiries in a row before ETIMEDOUT (Linux tcp_retries2) */
#define TCP_MAX_TX_SEGS	   16	  /* mbuf pieces of payload per segment; longer chains are cut */
#define TCP_TICK_US	   100	  /* timer wheel granularity */
#define TCP_DUPTHRESH	   3	  /* RFC 5681; raised per connection by reordering */
#define TCP_REORDER_MAX	   127	  /* the highest it goes (Linux: 300) */
#define TCP_SB_MAX	   32	  /* SACKed ranges a connection's scoreboard holds */
#define TCP_WC_DELACK_US   200000 /* RFC 8985 WCDelAckT */
#define TCP_TLP_SLACK_US   2000	  /* added to 2 SRTT for a probe timeout */
#define TCP_QUICKACKS	   16	  /* segments ACKed at once after a hole or duplicate */
#define TCP_WHEEL_SLOTS	   4096	  /* one rotation: 409.6 ms */
#define TCP_PERSIST_MIN_US 200000
#define TCP_NIL		   UINT32_MAX

/* ------------------------------------------------------------------ */
/* Sequence arithmetic (RFC 1982 style, correct across the 2^32 wrap)  */

static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool
seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool
seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
static inline uint32_t
seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}
static inline uint32_t
seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/* ------------------------------------------------------------------ */
/* Timer wheel: hashed (Varghese & Lauck scheme 6), unsorted slots, O(1)
 * arm and cancel. A node whose expiry is more than one rotation away stays
 * in its slot and is looked at once per rotation. Callbacks may arm, re-arm
 * and cancel any node, including nodes due in the same advance.          */

struct tw_node {
	struct tw_node *next, *prev; /* NULL when not armed */
	uint64_t expire;	     /* tick */
};

struct tw_wheel {
	struct tw_node *slots; /* sentinel heads */
	uint64_t mask;
	uint64_t now; /* last tick processed */
	uint32_t n_armed;
};

typedef void (*tw_fn)(void *arg, struct tw_node *n);

int tw_init(struct tw_wheel *w, uint32_t n_slots, uint64_t now, int socket);
void tw_fini(struct tw_wheel *w);
/* (Re)arms n to fire at tick expire; a tick already passed fires next tick. */
void tw_arm(struct tw_wheel *w, struct tw_node *n, uint64_t expire);
void tw_cancel(struct tw_wheel *w, struct tw_node *n);
static inline bool
tw_armed(const struct tw_node *n)
{
	return n->next != NULL;
}
/* Fires every node due by tick now (each unlinked before fn sees it).
 * Returns how many fired. */
unsigned int tw_advance(struct tw_wheel *w, uint64_t now, tw_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Options                                                              */

#define TCP_OPT_F_MSS	 (1u << 0)
#define TCP_OPT_F_WSCALE (1u << 1)
#define TCP_OPT_F_SACKOK (1u << 2)
#define TCP_OPT_F_TS	 (1u << 3)
#define TCP_OPT_F_SACK	 (1u << 4) /* SACK blocks present (the sender ignores them until part 2) */

#define TCP_SACK_MAX 4 /* blocks in one option (3 beside timestamps) */

struct tcp_sack_block {
	uint32_t left, right; /* [left, right) */
};

struct tcp_opts {
	uint8_t flags; /* TCP_OPT_F_* present */
	uint8_t wscale;
	uint16_t mss;
	uint32_t tsval, tsecr;
	uint8_t n_sack; /* blocks parsed, or to write (not on a SYN) */
	struct tcp_sack_block sack[TCP_SACK_MAX];
};

/* Parses len bytes of options. 0, or -EBADMSG when the list is malformed (an
 * option length under 2 or running past the end). A known option with the
 * wrong length is ignored, as Linux does. */
int tcp_opts_parse(const uint8_t *p, unsigned int len, struct tcp_opts *o);
/* Writes the options o asks for (SYN: MSS, WS, SACKOK, TS; otherwise TS
 * and up to n_sack SACK blocks, as many as fit) padded to 4 bytes; returns
 * the length (<= TCP_OPT_MAX). */
unsigned int tcp_opts_write(uint8_t *p, const struct tcp_opts *o);

/* ------------------------------------------------------------------ */
/* Congestion control: a table of function pointers. Loss detection and   */
/* recovery (dupacks, fast retransmit, NewReno partial ACKs) are generic   */
/* in stk_tcp_cc.c; an algorithm sets the windows.                        */

struct stk_conn;

struct tcp_cc_ops {
	const char *name;
	/* connection established (or SYN sent): initial cwnd and ssthresh */
	void (*init)(struct stk_conn *c);
	/* new data acked outside recovery: grow cwnd */
	void (*on_ack)(struct stk_conn *c, uint32_t acked);
	/* a loss detected (third dupack, or the SACK scoreboard): sets ssthresh
	 * and cwnd = ssthresh; the recovery in stk_tcp_cc.c takes cwnd from
	 * there (NewReno's inflation, or PRR with SACK) */
	void (*on_loss)(struct stk_conn *c);
	/* retransmission timeout */
	void (*on_rto)(struct stk_conn *c);
	/* sending after an idle period longer than the RTO (RFC 5681 4.1) */
	void (*on_idle)(struct stk_conn *c);
	/* optional: the loss or timeout proved spurious and stk_tcp_cc.c put
	 * cwnd and ssthresh back; puts the algorithm's own state back */
	void (*undo)(struct stk_conn *c);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
const struct tcp_cc_ops *tcp_cc_get(enum stk_cc cc);

/* ------------------------------------------------------------------ */
/* The control block                                                    */

enum tcp_timer {
	TCP_T_RTX,     /* retransmission: SYN, SYN-ACK, data, FIN */
	TCP_T_PERSIST, /* zero-window probes */
	TCP_T_DELACK,
	TCP_T_IDLE, /* keepalive, FIN-WAIT-2 timeout, deferred `closed` */
	TCP_N_TIMERS
};

#define TF_WSCALE	 (1u << 0)  /* window scaling negotiated */
#define TF_TS		 (1u << 1)  /* timestamps negotiated */
#define TF_SACK		 (1u << 2)  /* SACK-permitted negotiated */
#define TF_PASSIVE	 (1u << 3)  /* opened by a listener */
#define TF_APP		 (1u << 4)  /* the application knows c: `closed` is owed */
#define TF_DEAD		 (1u << 5)  /* released; memory stays until the deferred free */
#define TF_FIN_QUEUED	 (1u << 6)  /* shutdown: FIN after the queued data */
#define TF_FIN_SENT	 (1u << 7)  /* FIN transmitted (snd_max covers it) */
#define TF_APP_CLOSED	 (1u << 8)  /* close(): no more reads, data resets */
#define TF_ACK_NOW	 (1u << 9)  /* an ACK is owed right away */
#define TF_WANT_WRITABLE (1u << 10) /* send returned -EAGAIN */
#define TF_RECOVERY	 (1u << 11) /* in fast recovery (RFC 6582) */
#define TF_RTT_TIMING	 (1u << 12) /* rtt_seq/rtt_tsc time a segment */
#define TF_MEM_WAIT	 (1u << 13) /* on the worker's memory wait list */
#define TF_OOO_FIN	 (1u << 14) /* a FIN arrived beyond a hole: ooo_fin_seq */
#define TF_PEER_FIN	 (1u << 15) /* the peer's FIN has been received */
#define TF_KEEPALIVE	 (1u << 16) /* keepalives on for this connection */
#define TF_UNDO		 (1u << 17) /* this recovery may prove spurious (undo_*) */
#define TF_UNDO_RTO	 (1u << 18) /* ... and a timeout is part of it */
#define TF_SACK_RECOVERY (1u << 19) /* the recovery is SACK-based (RFC 6675, PRR) */
#define TF_TLP_ARMED	 (1u << 20) /* the RTX timer runs for a tail loss probe */
#define TF_TLP_SENT	 (1u << 21) /* a probe is out; none more until an ACK */

/* A connection (struct stk_conn is opaque in stk.h). States and invariants:
 *  - snd_una <= snd_nxt <= snd_max; snd_max - snd_una is the flight size.
 *    After an RTO snd_nxt goes back to snd_una and everything up to snd_max
 *    is sent again (retransmissions).
 *  - The send queue holds the data from sq_seq (the first unacked data byte)
 *    for sq_bytes bytes, as segments linked by ->next from sq_head (whose
 *    first sq_head_off bytes are acked already). The FIN, once queued, is at
 *    sq_seq + sq_bytes.
 *  - rcv_adv is the right edge of the window last advertised: it never moves
 *    left, and segments are accepted up to it.
 *  - rcv_held counts bytes handed to the application not yet consumed.
 *  - Named across threads by (idx, worker id), never by pointer. */
struct stk_conn {
	struct stk_ctx *ctx;
	uint32_t idx;
	uint32_t flags; /* TF_* */
	uint8_t state;	/* enum stk_tcp_state */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t backoff;   /* RTO doublings in force (Karn) */
	uint8_t rtx_n;	   /* timeouts in a row (SYN retries, data retries) */
	uint8_t persist_n; /* zero-window probes in a row */
	uint8_t ka_probes; /* keepalive probes unanswered */
	uint8_t quickacks; /* segments still ACKed at once after a loss sign */
	uint8_t dupacks;   /* in a row; saturates at 255 */
	uint8_t dupthresh; /* dupacks that mean a loss: 3, more once reordering was seen */
	uint16_t port_mss; /* MSS from the route's port MTU (and PMTU) */
	uint16_t peer_mss; /* the peer's MSS option, or 536 */
	uint16_t snd_mss;  /* payload bytes per full segment (options excluded) */
	uint16_t rcv_mss;  /* largest payload seen from the peer (delack) */
	uint16_t lsn_idx;  /* listener, if TF_PASSIVE */
	uint32_t lsn_gen;

	uint32_t laddr, raddr;
	uint16_t lport, rport;

	/* send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, max_sndwnd, snd_wl1, snd_wl2;
	uint32_t sq_seq, sq_bytes, sq_mem, sq_segs;
	uint16_t sq_head_off;
	struct rte_mbuf *sq_head, *sq_tail;
	struct rte_mbuf *sq_cur; /* cursor: a segment whose data starts at sq_cur_seq */
	uint32_t sq_cur_seq;

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv, rcv_held, rcv_unacked;
	uint32_t last_ack_sent, ts_recent, ts_offset;
	uint64_t ts_recent_tsc; /* when ts_recent was taken (RFC 7323 5.5: 24 days) */
	struct rte_mbuf *ooo_head, *ooo_tail;
	uint32_t ooo_n, ooo_mem, ooo_fin_seq;
	uint32_t ooo_last; /* first byte of the latest out-of-order arrival (SACK) */

	/* RTT (RFC 6298), microseconds */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_tsc;

	/* congestion control */
	const struct tcp_cc_ops *cc;
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	uint32_t undo_cwnd, undo_ssthresh, undo_tsval; /* before the recovery (TF_UNDO) */
	uint32_t sack_high; /* the highest byte the peer SACKed, + 1 (>= snd_una) */

	/* SACK scoreboard (RFC 6675, stk_tcp_sack.c): what the peer SACKed
	 * above snd_una, sorted and disjoint; the highest ranges win when
	 * there are more than TCP_SB_MAX */
	struct tcp_sack_block sb[TCP_SB_MAX];
	uint8_t sb_n;
	uint32_t sb_bytes;	      /* bytes in sb[] */
	uint32_t sb_news;	      /* bytes the ACK being processed newly SACKed */
	uint32_t high_rxt;	      /* HighRxt: lost data retransmitted up to here */
	uint32_t rescue_rxt;	      /* RescueRxt (RFC 6675 4, NextSeg rule 4) */
	uint32_t rxt_round;	      /* snd_max when the current round of retransmissions began */
	uint32_t head_seq, head_mark; /* the first hole, and HighRxt once it was resent */
	uint32_t sb_news_hi;	      /* of sb_news, bytes above head_mark + a margin */
	/* proportional rate reduction (RFC 6937) */
	uint32_t prr_delivered, prr_out, recover_fs;
	uint64_t cc_priv[9]; /* the algorithm's own state (CUBIC: 68 bytes) */

	/* keepalive (per connection, from conf or stk_conn_set_keepalive) */
	uint64_t ka_idle_us, ka_intvl_us;
	uint32_t ka_max;
	uint64_t last_rcv_tsc, last_snd_tsc;

	/* application */
	const struct stk_tcp_ops *ops;
	void *app_ctx;

	/* counters for info */
	uint64_t bytes_in, bytes_out, retransmits;

	/* lists: free/dead (next), TIME-WAIT FIFO and memory wait list */
	uint32_t next;
	uint32_t tw_prev, tw_next;
	uint64_t tw_expire;
	uint32_t mw_prev, mw_next;

	struct tw_node timers[TCP_N_TIMERS];
} __rte_cache_aligned;

struct stk_listener {
	uint32_t addr;
	uint16_t port;
	uint16_t idx;
	bool used;
	uint32_t gen;			   /* bumped on unlisten: half-open children find out */
	uint32_t half_open, half_open_max; /* max: syn_backlog, at most max_conns */
	uint64_t cookie_until; /* tsc: ACKs may return cookies until then (0: never sent) */
	const struct stk_tcp_ops *ops;
	void *lctx;
};

struct tcp_key {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

/* Per-worker TCP state, hung off struct stk_ctx. */
struct stk_tcp {
	struct stk_ctx *ctx;
	struct stk_tcp_conf conf;
	const struct tcp_cc_ops *cc;

	struct stk_conn *conns; /* max_conns */
	uint32_t n_conns, free_head, dead_head;
	struct rte_hash *conn_hash; /* tcp_key -> idx */
	struct stk_listener *lsns;
	struct rte_hash *lsn_hash; /* (addr, port) -> listener idx */
	uint32_t n_lsns;

	struct tw_wheel wheel;
	uint32_t tw_head, tw_tail; /* TIME-WAIT FIFO, oldest first */
	uint32_t mw_head, mw_tail; /* waiting for worker memory, oldest first */

	unsigned int depth; /* nesting of stack entry points; frees wait for 0 */
	uint64_t now;	    /* tsc of the current entry point */
	uint64_t tsc_us, tick_tsc;
	uint64_t chack_sec;  /* challenge ACKs (stk_tcp_challenge.c): the second + 1 ... */
	uint32_t chack_left; /* ... and what is left of its budget */

	uint64_t mem; /* truesize of mbufs in send and out-of-order queues */
	uint64_t snd_mbufs, ooo_mbufs;
	uint32_t eph_seq;
	uint16_t rcv_wscale; /* what we offer, from rcv_buf */

	uint64_t cookie_key[2]; /* SYN cookies' MAC secret (per worker) */

	/* tests only: fixed ISN instead of RFC 6528 */
	bool isn_fixed;
	uint32_t isn_value;
};

static inline struct stk_tcp *
conn_tcp(const struct stk_conn *c)
{
	return c->ctx->tcp;
}

static inline uint64_t
tcp_now_us(const struct stk_tcp *t)
{
	return t->now / t->tsc_us;
}

/* truesize: what an mbuf segment really costs */
static inline uint32_t
tcp_truesize(const struct rte_mbuf *m)
{
	return (uint32_t)sizeof(struct rte_mbuf) + m->priv_size + m->buf_len;
}

#define TCP_INC(ctx, field) ((ctx)->tcp_stats.field++)

/* ------------------------------------------------------------------ */
/* stk_tcp_conn.c                                                       */

/* (stk_tcp_init/fini/input/poll/icmp_error are declared in stk_internal.h.)
 * Every entry point into TCP brackets its work: frees wait for the
 * outermost leave, so a callback may abort any connection safely. */
void tcp_enter(struct stk_tcp *t, uint64_t now);
void tcp_leave(struct stk_tcp *t);
struct stk_conn *tcp_conn_lookup(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport,
				 uint16_t rport);
/* A zeroed TCB in CLOSED with its 4-tuple in the table, or NULL (counted). */
struct stk_conn *tcp_conn_alloc(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport,
				uint16_t rport);
/* Takes c out of every table and queue and schedules its free. No callbacks. */
void tcp_conn_release(struct stk_conn *c);
void tcp_set_state(struct stk_conn *c, enum stk_tcp_state s);
struct stk_listener *tcp_listener_find(struct stk_tcp *t, uint32_t addr, uint16_t port);
uint32_t tcp_isn(struct stk_tcp *t, uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport);
uint32_t tcp_ts_offset(uint32_t laddr, uint32_t raddr, uint16_t lport, uint16_t rport);
/* Where a search for an ephemeral port toward raddr:rport starts. */
uint32_t tcp_port_offset(uint32_t laddr, uint32_t raddr, uint16_t rport);
/* 0 and *out, -EADDRINUSE, or -ENOSPC when max_listeners are in use. */
int tcp_listener_add(struct stk_tcp *t, uint32_t addr, uint16_t port, struct stk_listener **out);
void tcp_listener_del(struct stk_tcp *t, struct stk_listener *l);
uint64_t tcp_siphash(const uint64_t key[2], const void *data, size_t len);
void tcp_tw_enter(struct stk_conn *c);
void tcp_tw_poll(struct stk_tcp *t);
void tcp_mem_wait(struct stk_conn *c);
void tcp_mem_poll(struct stk_tcp *t);

/* ------------------------------------------------------------------ */
/* stk_tcp_input.c and stk_tcp_rcv.c                                    */

/* A received segment being processed. Ownership: a step that consumes m
 * sets it to NULL, a step that rejects it sets drop; stk_tcp_input frees
 * (or drops and counts) what is left, once. */
struct tcp_seg {
	struct rte_mbuf *m; /* IP datagram, then payload only after strip() */
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint32_t len;  /* payload bytes */
	uint32_t hlen; /* IP + TCP header bytes still in m */
	uint16_t wnd;
	uint16_t port_idx;
	uint8_t flags;
	uint8_t drop; /* enum stk_drop, STK_DROP_MAX: not dropped */
	struct tcp_opts opts;
};

/* LISTEN: a SYN opens a connection (also a SYN taking over a TIME-WAIT). */
void tcp_rcv_listen(struct stk_tcp *t, struct stk_listener *l, struct tcp_seg *s);
/* The handshake completed: ESTABLISHED (or FIN-WAIT-1), then `accepted` or
 * `connected`. false when the application refused or killed c. */
bool tcp_establish(struct stk_tcp *t, struct stk_conn *c);
/* Both directions done: `closed`, then 2 MSL on the TIME-WAIT FIFO. */
void tcp_enter_time_wait(struct stk_conn *c);
/* stk_tcp_rcv.c: the synchronized states and TIME-WAIT. */
void tcp_rcv_synced(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s);
void tcp_rcv_time_wait(struct stk_tcp *t, struct stk_conn *c, struct tcp_seg *s);
/* Ends c: `reset(err)` when err != 0 and the application wants reports,
 * then `closed`, then the release. Callbacks may abort c. */
void tcp_conn_done(struct stk_conn *c, int err);
/* Called by callbacks' wrappers: did the application kill c meanwhile? */
static inline bool
tcp_dead(const struct stk_conn *c)
{
	return (c->flags & TF_DEAD) != 0;
}
void tcp_dispatch_init(void);
/* Fills a fresh TCB's sending side, timers' base values and options from
 * the config (ISN, RTO, MSS from the route, keepalive). */
void tcp_conn_init(struct stk_conn *c, uint16_t port_idx);
/* Our timestamp clock (milliseconds plus the connection's offset). */
uint32_t tcp_ts_now(const struct stk_conn *c);
/* The MSS of the route to raddr (port MTU - 40), for our SYN's MSS option. */
uint16_t tcp_route_mss(struct stk_ctx *ctx, uint32_t raddr, uint16_t fallback_port);
void tcp_sync_mss(struct stk_conn *c);
/* The dispatch cell for a state and flags (tests check the table). */
struct tcp_disp {
	uint8_t action; /* enum tcp_action (stk_tcp_input.c) */
	uint8_t drop;	/* enum stk_drop when the action drops */
};
struct tcp_disp tcp_dispatch(enum stk_tcp_state s, uint8_t flags);

/* ------------------------------------------------------------------ */
/* stk_tcp_ooo.c                                                        */

int tcp_ooo_register(void);
/* Stores the payload m ([seq, seq + pkt_len), trimmed to the window) until
 * the hole before it fills. 0 stored, 1 all duplicate (freed), -ENOSPC when
 * the bound or memory refused it (freed, counted). Consumes m. */
int tcp_ooo_insert(struct stk_conn *c, struct rte_mbuf *m, uint32_t seq);
/* The next chain that starts at or before rcv_nxt, trimmed to start there,
 * or NULL. Entries wholly below rcv_nxt are freed on the way. */
struct rte_mbuf *tcp_ooo_pop(struct stk_conn *c);
void tcp_ooo_purge(struct stk_conn *c);
/* The SACK blocks for an ACK now (RFC 2018 4): the block holding the latest
 * arrival first, then the highest others; at most max. Returns how many. */
unsigned int tcp_ooo_sack(const struct stk_conn *c, struct tcp_sack_block *b, unsigned int max);

/* mbuf chain helpers (stk_tcp_ooo.c): remove n bytes from the front or
 * the back of a chain, across segments. The head may change. */
struct rte_mbuf *tcp_mbuf_trim_front(struct rte_mbuf *m, uint32_t n);
void tcp_mbuf_trim_back(struct rte_mbuf *m, uint32_t n);

/* ------------------------------------------------------------------ */
/* stk_tcp_output.c                                                     */

/* Sends what the windows allow, then a pure ACK if one is owed. */
void tcp_output(struct stk_conn *c);
/* The same, but sends into a window smaller than sender SWS avoidance likes
 * (the persist timer's override, RFC 9293 3.8.6.2.1). */
void tcp_output_force(struct stk_conn *c);
/* A pure ACK now (or the SYN-ACK again in SYN-RECEIVED). */
void tcp_send_ack(struct stk_conn *c);
/* SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) from iss. */
void tcp_send_syn(struct stk_conn *c);
/* RST with seq = snd_nxt (abort, data after close). */
void tcp_send_rst(struct stk_conn *c);
/* One segment of up to snd_mss from snd_una (fast/partial-ACK retransmit). */
void tcp_retransmit_head(struct stk_conn *c);
/* One segment from seq (at most max bytes of it, and one MSS). Returns the
 * sequence space it covered (a FIN counts), or 0 when nothing went out. */
uint32_t tcp_retransmit_at(struct stk_conn *c, uint32_t seq, uint32_t max);
/* The next new (or gone-back) segment if the windows allow; false if none. */
bool tcp_send_one(struct stk_conn *c);
/* A zero-length segment at snd_una - 1 that makes the peer answer with an
 * ACK (zero-window probe, keepalive). */
void tcp_send_probe(struct stk_conn *c);
/* Answer to a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_rst_reply(struct stk_ctx *ctx, uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			uint32_t seg_len);
/* A segment no connection stands behind (a SYN cookie's SYN-ACK), with
 * the options o asks for (tcp_opts_write). */
void tcp_send_stateless(struct stk_ctx *ctx, uint32_t laddr, uint32_t raddr, uint16_t lport,
			uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			const struct tcp_opts *o);
/* The window to advertise now (bytes, not scaled), never shrinking. */
uint32_t tcp_rcv_window(struct stk_conn *c);
/* Appends a chain to the send queue (memory already checked). */
void tcp_sq_append(struct stk_conn *c, struct rte_mbuf *m);
/* Releases acked data up to ack. Returns the data bytes released. */
uint32_t tcp_sq_ack(struct stk_conn *c, uint32_t ack);
void tcp_sq_purge(struct stk_conn *c);
/* Bytes queued but never sent. */
uint32_t tcp_sq_unsent(const struct stk_conn *c);
/* Payload per full segment after options. */
static inline uint32_t
tcp_seg_mss(const struct stk_conn *c)
{
	uint32_t opt = (c->flags & TF_TS) ? TCP_TS_OPT_LEN : 0;

	return c->snd_mss > opt + 8 ? c->snd_mss - opt : 8;
}
/* Payload per segment sent now: SACK blocks ride on every segment while
 * out-of-order data is held, and take room from the payload (RFC 2018). */
static inline uint32_t
tcp_tx_mss(const struct stk_conn *c)
{
	uint32_t mss = tcp_seg_mss(c);
	uint32_t sack = (c->flags & TF_TS) ? 4 + 8 * (TCP_SACK_MAX - 1) : 4 + 8 * TCP_SACK_MAX;

	if (!(c->flags & TF_SACK) || c->ooo_head == NULL)
		return mss;
	return mss > sack + 8 ? mss - sack : 8;
}

/* ------------------------------------------------------------------ */
/* stk_tcp_timer.c                                                      */

void tcp_timer_set(struct stk_conn *c, enum tcp_timer t, uint64_t us);
void tcp_timer_cancel(struct stk_conn *c, enum tcp_timer t);
static inline bool
tcp_timer_armed(const struct stk_conn *c, enum tcp_timer t)
{
	return tw_armed(&c->timers[t]);
}
void tcp_timers_cancel_all(struct stk_conn *c);
/* RFC 6298: a new RTT measurement (microseconds). */
void tcp_rtt_sample(struct stk_conn *c, uint32_t rtt_us);
/* The RTO in force: rto_us backed off, clamped to rto_max. */
uint64_t tcp_rto(const struct stk_conn *c);
/* (Re)arms the retransmission timer with the current RTO, or with the
 * shorter probe timeout of a tail loss probe (RFC 8985 7) when SACK is on
 * and no recovery or probe is under way. */
void tcp_rtx_arm(struct stk_conn *c);
/* Arms the persist timer when data waits on a closed window. */
void tcp_persist_check(struct stk_conn *c);
/* Arms the idle timer for keepalive / FIN-WAIT-2 as the state asks. */
void tcp_idle_arm(struct stk_conn *c);

/* ------------------------------------------------------------------ */
/* stk_tcp_cc.c                                                         */

/* New data acked (snd_una already advanced by acked bytes). */
void tcp_cc_ack(struct stk_conn *c, uint32_t acked);
/* Before tcp_cc_ack, for an ACK with a timestamp echo: was the fast
 * retransmit or timeout in progress needless (RFC 3522)? Then the window
 * reduction is undone; after a fast retransmit the dupack threshold rises to
 * the reordering seen, after a timeout sending resumes with new data
 * (RFC 4015) instead of going back over what the peer has. */
void tcp_cc_check_spurious(struct stk_conn *c, uint32_t tsecr);
/* A duplicate ACK (RFC 5681 definition). */
void tcp_cc_dupack(struct stk_conn *c);
/* An ACK at snd_una that newly SACKed c->sb_news bytes: each segment's
 * worth counts as a duplicate ACK (as RFC 6675 counts SACKed segments, even
 * on an ACK carrying data); loss detection by dupacks or IsLost(snd_una)
 * starts a SACK recovery; inside one, PRR sets cwnd. */
void tcp_cc_sack_dup(struct stk_conn *c);

/* ------------------------------------------------------------------ */
/* stk_tcp_sack.c: the sender's scoreboard (RFC 6675)                    */

/* Takes an ACK's SACK blocks: drops what ack passed, checks each block
 * (empty, below snd_una, beyond snd_max: sack_blocks_invalid; a D-SACK:
 * dsacks_in), merges the rest, sets sack_high. Returns the bytes newly
 * SACKed. */
uint32_t tcp_sb_update(struct stk_conn *c, const struct tcp_opts *o, uint32_t ack);
void tcp_sb_clear(struct stk_conn *c);
/* Unsacked data below this is lost (IsLost: more than (DupThresh - 1) *
 * SMSS bytes, or DupThresh ranges, SACKed above it). */
uint32_t tcp_sb_lost_edge(const struct stk_conn *c);
/* RFC 6675 pipe: unSACKed data not lost, plus lost data retransmitted. */
uint32_t tcp_sb_pipe(const struct stk_conn *c);
/* NextSeg rule 1 (lost_only) or rule 3: the lowest such hole above
 * HighRxt, as [*seq, *seq + *len). false when there is none. */
bool tcp_sb_next_seg(const struct stk_conn *c, bool lost_only, uint32_t *seq, uint32_t *len);
/* seq moved past SACKed data; *room: bytes until the next SACKed range. */
uint32_t tcp_sb_skip(const struct stk_conn *c, uint32_t seq, uint32_t *room);
/* The sending loop of a SACK recovery: lost holes, new data, other holes,
 * while pipe stays below cwnd. */
void tcp_sack_output(struct stk_conn *c);
void tcp_cc_rto(struct stk_conn *c);
/* RFC 6928's initial window: min(10 * MSS, max(2 * MSS, 14600)). */
uint32_t tcp_cc_initial_window(const struct stk_conn *c);
/* The congestion window for sending new data now, limited transmit included. */
uint32_t tcp_cc_send_cwnd(const struct stk_conn *c);
static inline uint32_t
tcp_flight(const struct stk_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* ------------------------------------------------------------------ */
/* stk_tcp_challenge.c                                                  */

/* An RFC 5961 challenge ACK for c, if the worker's budget for this second
 * allows (tcp.challenge_ack_limit; counted either way). Returns whether it
 * went out. */
bool tcp_challenge_ack(struct stk_conn *c);

/* ------------------------------------------------------------------ */
/* stk_tcp_api.c: callbacks, each telling whether c survived it.        */

bool tcp_cb_connected(struct stk_conn *c);
bool tcp_cb_data(struct stk_conn *c, struct rte_mbuf *m);
bool tcp_cb_writable(struct stk_conn *c);
bool tcp_cb_peer_closed(struct stk_conn *c);
void tcp_writable_check(struct stk_conn *c);

/* ------------------------------------------------------------------ */
/* stk_tcp_cookie.c: SYN cookies                                        */

#define TCP_COOKIE_SLOT_US (64ull * 1000000) /* a cookie is good in its slot and the next */

/* What a cookie carries: the options of a handshake nobody remembered. */
struct tcp_cookie {
	uint16_t mss;	/* the largest table value not above the peer's MSS */
	uint8_t wscale; /* the peer's shift, with TCP_OPT_F_WSCALE */
	uint8_t flags;	/* TCP_OPT_F_TS, and with it TCP_OPT_F_WSCALE, TCP_OPT_F_SACKOK */
};

/* A fresh random secret for the worker. */
void tcp_cookie_init(struct stk_tcp *t);
/* The ISN of a stateless SYN-ACK to the SYN s; *ck what it agrees to (the
 * SYN's options as the config allows them; window scaling and SACK only
 * with timestamps). With TCP_OPT_F_TS, *tsval is the TSval to send (it
 * carries the options). */
uint32_t tcp_cookie_make(struct stk_tcp *t, const struct tcp_seg *s, struct tcp_cookie *ck,
			 uint32_t *tsval);
/* Does the ACK s (seq, ack and TSecr as received) return a cookie made in
 * this time slot or the last? 0 and *ck, or -EBADMSG. */
int tcp_cookie_check(struct stk_tcp *t, const struct tcp_seg *s, struct tcp_cookie *ck);

/* Tests: every ISN is v from now on. */
void stk_tcp_test_fix_isn(struct stk_ctx *ctx, uint32_t v);
/* Tests and the fuzzer: a fixed cookie secret. */
void stk_tcp_test_cookie_key(struct stk_ctx *ctx, uint64_t k0, uint64_t k1);

#endif /* MESHGW_STK_TCP_INTERNAL_H */

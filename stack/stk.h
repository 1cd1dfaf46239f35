/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk.h - the network stack's public interface. This is the only stack header
 * dataplane/ includes. The stack knows nothing of services, TLS or config
 * files: it is a per-worker library fed with mbuf bursts.
 *
 * Threading: one struct stk_ctx per worker lcore; every stk_ctx function is
 * called only by the worker that owns the context (single writer), except the
 * read-only accessors marked "any thread". Addresses and ports in this API are
 * in host byte order unless a name ends in _be.
 */
#ifndef MESHGW_STK_H
#define MESHGW_STK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define STK_MAX_PORTS	8
#define STK_MAX_ADDRS	8
#define STK_MAX_WORKERS 32
#define STK_TX_BURST	32
#define STK_RETA_SIZE	128  /* ownership emulates a 128-entry RSS indirection table */
#define STK_OWNER_ALL	(-1) /* stk_pkt_owner(): every worker must see it (ARP) */

/* Per-mbuf private area (mempool priv_size must be STK_MBUF_PRIV_SIZE).
 * Nothing resets it when an mbuf is recycled: whoever receives a frame
 * zeroes flags before setting any (the stack clears LEARN_ONLY itself when
 * it consumes such a copy). */
struct stk_mbuf_priv {
	uint32_t flags; /* STK_MF_* */
	uint32_t reserved;
	uint64_t timestamp; /* tsc when queued by the impairment layer */
};
#define STK_MF_LEARN_ONLY  (1u << 0) /* an ARP copy from another worker: learn, never reply */
#define STK_MF_REDIRECTED  (1u << 1) /* arrived over a redirect ring */
#define STK_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct stk_mbuf_priv), RTE_MBUF_PRIV_ALIGN)

static inline struct stk_mbuf_priv *
stk_mbuf_priv(struct rte_mbuf *m)
{
	return (struct stk_mbuf_priv *)rte_mbuf_to_priv(m);
}

/* ------------------------------------------------------------------ */
/* Ports and addresses                                                 */

struct stk_port_info {
	uint16_t port_id; /* DPDK port id */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint32_t addrs[STK_MAX_ADDRS]; /* our IPv4 addresses on this port */
	uint8_t plens[STK_MAX_ADDRS];
	unsigned int n_addrs;
	bool tx_ip_cksum; /* port offloads IPv4 header checksum on tx */
	bool rx_ip_cksum; /* port validates IPv4 header checksum on rx (trust BAD/GOOD flags) */
	bool rx_l4_cksum; /* port validates TCP checksums on rx (trust L4 BAD/GOOD flags) */
};

/* ------------------------------------------------------------------ */
/* IP routes (connected + static), an rte_lpm underneath.              */
/* Built by the control thread into a config snapshot; workers only look up. */

struct stk_routes;

struct stk_nexthop {
	uint32_t gw;	   /* next hop address; the destination itself for connected routes */
	uint16_t port_idx; /* index into stk_conf.ports */
	bool connected;
};

struct stk_route_entry {
	uint32_t prefix;
	uint8_t plen;
	uint32_t gw; /* 0 for connected */
	uint16_t port_idx;
};

/* Returns a table for up to max_routes routes, or NULL with rte_errno/errno set. */
struct stk_routes *stk_routes_create(const char *name, unsigned int max_routes, int socket);
/* Adds or replaces a route. gw == 0 means directly connected. 0 or -errno (-ENOSPC when full). */
int stk_routes_add(struct stk_routes *r, uint32_t prefix, uint8_t plen, uint32_t gw,
		   uint16_t port_idx);
/* Longest-prefix match. 0 and *nh filled, or -ENOENT. Any thread holding the snapshot. */
int stk_routes_lookup(const struct stk_routes *r, uint32_t dst, struct stk_nexthop *nh);
/* Copies up to max routes into out; returns the number of routes in the table. */
unsigned int stk_routes_dump(const struct stk_routes *r, struct stk_route_entry *out,
			     unsigned int max);
void stk_routes_free(struct stk_routes *r);

/* ------------------------------------------------------------------ */
/* Flow ownership: which worker owns a flow. A pure function of the     */
/* 4-tuple and the worker count: symmetric Toeplitz (the repeated       */
/* 0x6d5a key, the same hash a NIC computes for RSS) reduced through a   */
/* 128-entry indirection table filled round robin.                      */

/* Symmetric: hash(a,b,pa,pb) == hash(b,a,pb,pa). */
uint32_t stk_flow_hash(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport);
static inline unsigned int
stk_flow_owner(uint32_t hash, unsigned int n_workers)
{
	return (hash % STK_RETA_SIZE) % n_workers;
}
/* The 40-byte symmetric RSS key, for ports that can steer in hardware. */
extern const uint8_t stk_rss_key[40];

/* ------------------------------------------------------------------ */
/* Per-worker context                                                  */

/* Frames leave the stack through this callback, in bursts of at most
 * STK_TX_BURST. The callee owns the mbufs (frees what it cannot send). */
typedef void (*stk_tx_fn)(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n);

struct stk_arp_conf {
	uint32_t cache_size;   /* entries per worker; hitting it is counted */
	uint32_t pending_max;  /* packets queued per unresolved entry */
	uint32_t retries;      /* requests before an entry fails */
	uint64_t retry_ms;     /* interval between requests */
	uint64_t reachable_ms; /* an entry ages out after this long without confirmation */
	uint64_t failed_ms;    /* a failed entry is kept (dropping) this long */
};

/* TCP settings (part of stk_conf). stk_tcp_conf_defaults() fills sane values.
 * max_conns == 0 turns TCP off: segments are dropped as no_socket. */
enum stk_cc { STK_CC_NEWRENO, STK_CC_CUBIC, STK_CC_MAX };
struct stk_tcp_conf {
	uint32_t max_conns;	/* connections per worker (table size); over it: counted drop */
	uint32_t max_listeners; /* per worker */
	uint32_t rcv_buf;	/* bytes: the largest receive window offered */
	uint32_t snd_buf; /* bytes queued for sending per connection (counted in real mbuf size) */
	uint64_t worker_mem_max; /* bytes of mbuf memory all connections of a worker may hold */
	uint32_t ooo_max;	 /* out-of-order segments held per connection */
	bool opt_wscale;	 /* offer/accept window scaling (RFC 7323) */
	bool opt_timestamps;	 /* offer/accept timestamps (RTT measurement) */
	bool opt_sack;		 /* offer/accept SACK-permitted, send blocks, SACK recovery */
	bool nagle;		 /* default off */
	enum stk_cc cc;
	uint64_t rto_min_us;	    /* default 200 ms */
	uint64_t rto_max_us;	    /* default 60 s */
	uint64_t rto_init_us;	    /* default 1 s */
	uint64_t msl_us;	    /* TIME-WAIT lasts 2 MSL; default 30 s (tests use 1 s) */
	uint64_t delack_us;	    /* delayed ACK timer; default 40 ms (0: ACK every segment) */
	uint64_t keepalive_idle_us; /* 0: keepalives off unless a connection asks */
	uint64_t keepalive_intvl_us;
	uint32_t keepalive_probes;
	uint32_t syn_retries;	      /* SYN / SYN-ACK retransmissions before giving up */
	uint64_t fin_wait2_us;	      /* orphaned FIN-WAIT-2 timeout */
	uint32_t syn_backlog;	      /* half-open connections per listener; beyond: cookies */
	bool syncookies;	      /* answer SYNs with cookies when the backlog is full */
	uint32_t challenge_ack_limit; /* RFC 5961 challenge ACKs per second per worker (0: none) */
	uint16_t eph_port_min;	      /* local ports for outgoing connections */
	uint16_t eph_port_max;
};
void stk_tcp_conf_defaults(struct stk_tcp_conf *t);

struct stk_conf {
	unsigned int worker_id;
	unsigned int n_workers;
	int socket;
	struct rte_mempool *pool; /* for locally built packets (ARP, ICMP) */
	unsigned int n_ports;
	struct stk_port_info ports[STK_MAX_PORTS];
	struct stk_arp_conf arp;
	struct stk_tcp_conf tcp;
	stk_tx_fn tx;
	void *tx_arg;
};

/* Drop reasons. Names (stk_drop_name) are the metric labels. */
#define STK_DROP_REASONS(X)                                                                        \
	X(ETH_SHORT, "eth_short")                                                                  \
	X(ETH_OWN_SRC, "own_src_mac")                                                              \
	X(ETH_NOT_OURS, "eth_not_ours")                                                            \
	X(ETH_TYPE, "eth_unknown_type")                                                            \
	X(ARP_SHORT, "arp_short")                                                                  \
	X(ARP_FORMAT, "arp_bad_format")                                                            \
	X(ARP_OP, "arp_bad_op")                                                                    \
	X(ARP_SRC, "arp_bad_sender")                                                               \
	X(ARP_NOT_OURS, "arp_not_ours")                                                            \
	X(ARP_CACHE_FULL, "arp_cache_full")                                                        \
	X(ARP_PENDING_FULL, "arp_pending_full")                                                    \
	X(ARP_FAILED, "arp_resolve_failed")                                                        \
	X(IP_SHORT, "ip_short")                                                                    \
	X(IP_VERSION, "ip_bad_version")                                                            \
	X(IP_IHL, "ip_bad_ihl")                                                                    \
	X(IP_CKSUM, "ip_bad_checksum")                                                             \
	X(IP_LEN, "ip_bad_length")                                                                 \
	X(IP_TTL, "ip_ttl_zero")                                                                   \
	X(IP_FRAG, "ip_fragment")                                                                  \
	X(IP_SRC, "ip_bad_source")                                                                 \
	X(NOT_LOCAL, "not_local")                                                                  \
	X(NO_ROUTE, "no_route")                                                                    \
	X(IP_PROTO, "ip_unknown_proto")                                                            \
	X(NO_SOCKET, "no_socket")                                                                  \
	X(ICMP_SHORT, "icmp_short")                                                                \
	X(ICMP_CKSUM, "icmp_bad_checksum")                                                         \
	X(ICMP_TYPE, "icmp_unhandled_type")                                                        \
	X(ICMP_ERR_INNER, "icmp_error_bad_inner")                                                  \
	X(ICMP_ERR_UNCLAIMED, "icmp_error_unclaimed")                                              \
	X(NOMEM, "no_mbuf")                                                                        \
	X(TX_FULL, "tx_full")                                                                      \
	X(TCP_SHORT, "tcp_short")                                                                  \
	X(TCP_DOFF, "tcp_bad_data_offset")                                                         \
	X(TCP_CKSUM, "tcp_bad_checksum")                                                           \
	X(TCP_OPTS, "tcp_bad_options")                                                             \
	X(TCP_PORT, "tcp_bad_port")                                                                \
	X(TCP_FLAGS, "tcp_bad_flags")                                                              \
	X(TCP_LISTEN_ACK, "tcp_listen_ack")                                                        \
	X(TCP_NO_ACK, "tcp_no_ack")                                                                \
	X(TCP_BAD_ACK, "tcp_bad_ack")                                                              \
	X(TCP_RST_IGNORED, "tcp_rst_ignored")                                                      \
	X(TCP_SYN_UNEXPECTED, "tcp_unexpected_syn")                                                \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window")                                                  \
	X(TCP_CONN_FULL, "tcp_conn_table_full")                                                    \
	X(TCP_LISTEN_OVERFLOW, "tcp_listen_overflow")                                              \
	X(TCP_OOO_FULL, "tcp_ooo_full")                                                            \
	X(TCP_MEM, "tcp_mem_limited")                                                              \
	X(TCP_DATA_CLOSED, "tcp_data_after_close")                                                 \
	X(TCP_ICMP_IGNORED, "tcp_icmp_ignored")                                                    \
	X(TCP_PAWS, "tcp_paws_rejected")                                                           \
	X(TCP_ACK_OLD, "tcp_ack_too_old")                                                          \
	X(TCP_RST_CHALLENGED, "tcp_rst_challenged")                                                \
	X(TCP_COOKIE_BAD, "tcp_syncookie_invalid")                                                 \
	X(TCP_SACK_EMPTY, "tcp_sack_block_empty")                                                  \
	X(TCP_SACK_BELOW, "tcp_sack_block_below_snd_una")                                          \
	X(TCP_SACK_BEYOND, "tcp_sack_block_beyond_snd_nxt")

enum stk_drop {
#define STK_DROP_ENUM(e, s) STK_DROP_##e,
	STK_DROP_REASONS(STK_DROP_ENUM)
#undef STK_DROP_ENUM
		STK_DROP_MAX
};

const char *stk_drop_name(enum stk_drop d);

/* Per-worker counters: single writer (the worker), read by anyone. */
struct stk_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts; /* frames handed to the tx callback */
	uint64_t tx_bytes;
	uint64_t arp_requests_in;
	uint64_t arp_replies_in;
	uint64_t arp_requests_out;
	uint64_t arp_replies_out;
	uint64_t arp_gratuitous_out;
	uint64_t ip_in; /* IPv4 datagrams delivered locally */
	uint64_t ip_out;
	uint64_t icmp_echo_in;
	uint64_t icmp_echo_out; /* echo replies sent */
	uint64_t icmp_errors_in;
	uint64_t drops[STK_DROP_MAX];
} __rte_cache_aligned;

/* ICMP error as handed to a transport (TCP, part 1 acts on it). */
struct stk_icmp_err {
	uint8_t type, code;
	uint16_t mtu;	       /* next-hop MTU for fragmentation-needed, else 0 */
	uint8_t proto;	       /* protocol of the offending datagram */
	uint32_t saddr, daddr; /* of the offending datagram (we were the source) */
	uint16_t sport, dport; /* of the offending datagram */
	uint32_t seq;	       /* first 4 bytes after the ports: the TCP sequence */
};
/* Returns true if a transport claimed the error. */
typedef bool (*stk_icmp_err_fn)(void *arg, const struct stk_icmp_err *e);

struct stk_ctx;

/* Creates a context for one worker. NULL with errno set on failure. */
struct stk_ctx *stk_create(const struct stk_conf *conf);
/* Frees a context, including mbufs it still holds (ARP queues). Accepts NULL. */
void stk_free(struct stk_ctx *ctx);

/* The routes of the current snapshot. Borrowed: valid until the worker's next
 * quiescent state report, so the worker sets them again after each. */
void stk_set_routes(struct stk_ctx *ctx, const struct stk_routes *routes);

/* Virtual addresses (service VIPs) the stack takes as its own besides the
 * ports' addresses: IPv4 to them is accepted (TCP listeners may bind them),
 * and ARP requests for one are answered on a port whose subnet holds it.
 * Sorted ascending, no duplicates, immutable while set (it lives in the
 * config snapshot); NULL: none. Set like the routes, every loop turn. */
struct stk_vips {
	unsigned int n;
	uint32_t addr[]; /* host order */
};
void stk_set_vips(struct stk_ctx *ctx, const struct stk_vips *vips);
/* Is ip one of the current VIPs? O(log n). */
bool stk_is_vip(const struct stk_ctx *ctx, uint32_t ip);

/* Hook for ICMP errors whose inner protocol is TCP/UDP. */
void stk_set_icmp_err_handler(struct stk_ctx *ctx, stk_icmp_err_fn fn, void *arg);

/* Which worker owns this frame (0..n_workers-1), or STK_OWNER_ALL for ARP.
 * Malformed frames are owned by the receiving worker, which drops and counts them.
 * Reads only; never frees. */
int stk_pkt_owner(const struct stk_ctx *ctx, struct rte_mbuf *m);

/* Processes received frames from port port_idx. Consumes every mbuf.
 * now is the current TSC. */
void stk_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n,
	       uint64_t now);

/* Sends an IPv4 datagram whose IP header is already at the data start: routes
 * it, fills the Ethernet header (resolving the next hop, queueing when
 * unresolved) and the IP checksum. Consumes m. 0 or -errno (counted). */
int stk_ip_output(struct stk_ctx *ctx, struct rte_mbuf *m, uint64_t now);

/* Timers (ARP retries and aging). Cheap when nothing is due; call every loop. */
void stk_poll(struct stk_ctx *ctx, uint64_t now);

/* Flushes partial tx bursts through the tx callback. Call at the end of each loop. */
void stk_flush(struct stk_ctx *ctx);

/* Sends a gratuitous ARP for every address of port_idx (port came up). */
void stk_announce(struct stk_ctx *ctx, uint16_t port_idx, uint64_t now);

/* Any thread: this worker's counters. */
const struct stk_stats *stk_get_stats(const struct stk_ctx *ctx);

/* ARP cache dump (owning worker only). */
enum stk_arp_state { STK_ARP_INCOMPLETE, STK_ARP_REACHABLE, STK_ARP_STALE, STK_ARP_FAILED };
struct stk_arp_entry {
	uint32_t ip;
	uint16_t port_idx;
	struct rte_ether_addr mac;
	enum stk_arp_state state;
	uint32_t pending; /* packets waiting for resolution */
	uint64_t age_ms;  /* since last confirmation (or since creation) */
};
const char *stk_arp_state_name(enum stk_arp_state s);
/* Copies up to max entries; returns how many were copied. */
unsigned int stk_arp_dump(const struct stk_ctx *ctx, struct stk_arp_entry *out, unsigned int max,
			  uint64_t now);

/* Is ip one of our addresses (on any port)? Returns the port index or -1. */
int stk_local_addr(const struct stk_ctx *ctx, uint32_t ip);

/* ------------------------------------------------------------------ */
/* TCP: a per-worker, event-driven socket API (DESIGN: the stack's API */
/* to the proxy). All calls and callbacks happen on the owning worker.  */
/* Data moves as mbuf chains without copies. Back-pressure is the      */
/* receive window: bytes delivered by `data` count against the window  */
/* until the application calls stk_conn_consumed().                    */
/* Calls take no clock: they use the `now` of the worker's last        */
/* stk_input/stk_poll (a worker polls before its application runs).    */
/* Segments they produce leave with the next stk_flush.                */

struct stk_conn;     /* a connection; valid from creation until `closed` returns */
struct stk_listener; /* a listening socket */

struct stk_tcp_ops {
	/* A listener completed a handshake. Return 0 to keep c (usually after
	 * stk_conn_set_ops to give it its own ops/ctx), or <0 to reset it. */
	int (*accepted)(void *lctx, struct stk_conn *c);
	/* An active open completed. */
	void (*connected)(void *ctx, struct stk_conn *c);
	/* In-order data. Consumes m (a chain of one or more segments). */
	void (*data)(void *ctx, struct stk_conn *c, struct rte_mbuf *m);
	/* Send space became available after stk_conn_send returned -EAGAIN. */
	void (*writable)(void *ctx, struct stk_conn *c);
	/* The peer sent FIN: no more data will arrive (half-close; we may still send). */
	void (*peer_closed)(void *ctx, struct stk_conn *c);
	/* The connection was reset or failed (err: ECONNRESET, ECONNREFUSED,
	 * ETIMEDOUT, EHOSTUNREACH, ...). `closed` follows. */
	void (*reset)(void *ctx, struct stk_conn *c, int err);
	/* Both directions are done, or the connection was reset/aborted. c is
	 * invalid after this returns. Always called exactly once per connection
	 * the application has seen, unless it called stk_conn_abort itself. */
	void (*closed)(void *ctx, struct stk_conn *c);
};

/* Listens on addr:port (addr 0: any local address). 0 and *out, or -errno. */
int stk_tcp_listen(struct stk_ctx *ctx, uint32_t addr, uint16_t port, const struct stk_tcp_ops *ops,
		   void *lctx, struct stk_listener **out);
void stk_tcp_unlisten(struct stk_ctx *ctx, struct stk_listener *l);

/* Opens a connection to daddr:dport from saddr (0: the address of the route's
 * port). The local port is chosen so the reply flow is owned by this worker.
 * 0 and *out (in SYN-SENT; `connected` or `reset` follows), or -errno. */
int stk_tcp_connect(struct stk_ctx *ctx, uint32_t saddr, uint32_t daddr, uint16_t dport,
		    const struct stk_tcp_ops *ops, void *cctx, struct stk_conn **out);

void stk_conn_set_ops(struct stk_conn *c, const struct stk_tcp_ops *ops, void *ctx);

/* Queues m (a chain) for sending. 0: taken. -EAGAIN: the send buffer is
 * full: the caller keeps m and waits for `writable`. -ENOTCONN/-EPIPE: the
 * connection cannot send (caller keeps m). */
int stk_conn_send(struct stk_conn *c, struct rte_mbuf *m);
/* Bytes stk_conn_send would take now, counted as it counts them: in real
 * mbuf memory (sizeof(struct rte_mbuf) + priv_size + buf_len per segment). */
uint32_t stk_conn_send_space(const struct stk_conn *c);
/* The application is done with `bytes` of delivered data: the window reopens. */
void stk_conn_consumed(struct stk_conn *c, uint32_t bytes);
/* Sends FIN after queued data (half-close). 0 or -ENOTCONN. */
int stk_conn_shutdown(struct stk_conn *c);
/* shutdown + the application will not read any more: data still arriving
 * resets the connection. `closed` comes later. */
int stk_conn_close(struct stk_conn *c);
/* Sends RST and frees c now; no further callbacks. */
void stk_conn_abort(struct stk_conn *c);
/* Keepalives for this connection: a probe after idle_us without traffic,
 * then one every intvl_us; after `probes` unanswered ones, `reset`
 * (ETIMEDOUT) and `closed`. idle_us == 0 turns them off. (The config's
 * keepalive_* values apply to every connection unless this overrides.) */
void stk_conn_set_keepalive(struct stk_conn *c, uint64_t idle_us, uint64_t intvl_us,
			    uint32_t probes);

enum stk_tcp_state {
	STK_TCP_CLOSED,
	STK_TCP_LISTEN,
	STK_TCP_SYN_SENT,
	STK_TCP_SYN_RECEIVED,
	STK_TCP_ESTABLISHED,
	STK_TCP_FIN_WAIT_1,
	STK_TCP_FIN_WAIT_2,
	STK_TCP_CLOSE_WAIT,
	STK_TCP_CLOSING,
	STK_TCP_LAST_ACK,
	STK_TCP_TIME_WAIT,
};
const char *stk_tcp_state_name(enum stk_tcp_state s);

/* A snapshot of a connection for `meshgwctl conns`. */
struct stk_conn_info {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	enum stk_tcp_state state;
	bool wscale, timestamps, sack; /* negotiated */
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t cwnd, ssthresh, snd_wnd, rcv_wnd;
	uint32_t unacked, snd_queued; /* bytes in flight, bytes queued not yet sent */
	uint64_t bytes_in, bytes_out;
	uint64_t retransmits;
	const char *cc;
	/* the application's ops and context (NULL: none), so it can describe
	 * its own connections; the stack never dereferences them here */
	const struct stk_tcp_ops *ops;
	void *app_ctx;
};
void stk_conn_get_info(const struct stk_conn *c, struct stk_conn_info *info);
/* Owning worker: up to max connections (all states incl. TIME-WAIT);
 * returns how many were copied. */
unsigned int stk_tcp_dump(const struct stk_ctx *ctx, struct stk_conn_info *out, unsigned int max);
/* Owning worker: calls fn with a snapshot of every connection (all states
 * incl. TIME-WAIT); info is valid during the call only and fn must not call
 * into the stack. Returns how many connections fn saw. Lets the caller
 * filter and keep a bounded copy without a buffer the size of the table. */
typedef void (*stk_conn_info_fn)(void *arg, const struct stk_conn_info *info);
unsigned int stk_tcp_foreach(const struct stk_ctx *ctx, stk_conn_info_fn fn, void *arg);

/* TCP counters (nstat spirit); single writer, any reader. curr_estab
 * (ESTABLISHED + CLOSE-WAIT) and time_wait_count are gauges; the rest only
 * grow. */
#define STK_TCP_COUNTERS(X)                                                                        \
	X(active_opens)                                                                            \
	X(passive_opens)                                                                           \
	X(attempt_fails)                                                                           \
	X(estab_resets)                                                                            \
	X(curr_estab)                                                                              \
	X(segs_in)                                                                                 \
	X(segs_out)                                                                                \
	X(retrans_segs)                                                                            \
	X(fast_retransmits)                                                                        \
	X(spurious_recoveries)                                                                     \
	X(sack_recoveries)                                                                         \
	X(lost_retransmits)                                                                        \
	X(sack_blocks_invalid)                                                                     \
	X(dsacks_in)                                                                               \
	X(tlp_probes)                                                                              \
	X(syncookies_sent)                                                                         \
	X(syncookies_validated)                                                                    \
	X(syncookies_failed)                                                                       \
	X(challenge_acks)                                                                          \
	X(challenge_acks_limited)                                                                  \
	X(tw_reused)                                                                               \
	X(rto_expiries)                                                                            \
	X(zero_window_probes)                                                                      \
	X(keepalive_probes)                                                                        \
	X(delayed_acks)                                                                            \
	X(rsts_out)                                                                                \
	X(rsts_in)                                                                                 \
	X(ooo_segments)                                                                            \
	X(ooo_drops)                                                                               \
	X(dup_segments)                                                                            \
	X(time_wait_count)                                                                         \
	X(listen_overflows)                                                                        \
	X(conn_table_full)                                                                         \
	X(mem_limited)                                                                             \
	X(bad_segments)
struct stk_tcp_stats {
#define STK_TCP_FIELD(n) uint64_t n;
	STK_TCP_COUNTERS(STK_TCP_FIELD)
#undef STK_TCP_FIELD
} __rte_cache_aligned;
const struct stk_tcp_stats *stk_tcp_get_stats(const struct stk_ctx *ctx);

/* Mbufs held by the stack right now, by owner (for "zero leaked mbufs"). */
struct stk_mbuf_usage {
	uint64_t snd_queue, rcv_queue, ooo, arp_pending;
};
void stk_mbuf_usage(const struct stk_ctx *ctx, struct stk_mbuf_usage *u);

#endif /* MESHGW_STK_H */

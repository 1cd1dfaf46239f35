/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_tls.h - TLS on the stack's TCP connections (the mTLS tunnel, TLS
 * ingress and egress). OpenSSL reads ciphertext straight from the mbuf
 * chains the stack delivers and writes records into mbufs of the worker's
 * pool handed to stk_conn_send, through a custom BIO; no memory BIO.
 *
 * A TLS connection sits between the stack and the application: it takes the
 * stack's callbacks for its stk_conn and gives the application the same
 * vocabulary one level up (struct gw_tls_ops: plaintext `data`, `writable`,
 * `peer_closed`, `reset`, `closed`, plus `handshake_done`), and calls that
 * mirror stk_conn_send/consumed/shutdown/close/abort. Callbacks pass the
 * underlying stk_conn so an application can tell its legs apart as before.
 *
 * Threads: a context (gw_tls_ctx) is built by the control thread and then
 * used by one worker only (one SSL_CTX per worker, so no lock is shared by
 * workers); everything else is owned by one worker and called on it only.
 * Results: 0 or -errno; -EAGAIN means "again" (OpenSSL's WANT_READ /
 * WANT_WRITE, or the stack's send buffer is full).
 */
#ifndef MESHGW_GW_TLS_H
#define MESHGW_GW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "stk.h"

struct gw_tls_ctx;    /* an SSL_CTX with our settings; one per worker */
struct gw_tls_worker; /* a worker's TLS state: counters, handshake budget, spare mbufs */
struct gw_tls;	      /* one TLS connection on one stk_conn */

/* ---- contexts (built on the control thread) ------------------------------ */

#define GW_TLS_TICKET_KEYS 3
/* A session ticket key: tickets are encrypted with AES-256-CBC and
 * authenticated with HMAC-SHA256, named so a rotated-out key still opens
 * the tickets it sealed. Secret: never log. */
struct gw_tls_ticket_key {
	uint8_t name[16];
	uint8_t aes[32];
	uint8_t hmac[32];
};

/* Ingress: the context for a server name (NULL: keep the default one). The
 * returned context must outlive the connection's handshake; its settings
 * other than certificate and key come from the default context. */
typedef struct gw_tls_ctx *(*gw_tls_sni_fn)(void *arg, const char *name);

struct gw_tls_ctx_conf {
	bool server;
	/* The OpenSSL library context (NULL: the default one). One per worker
	 * keeps OpenSSL's algorithm fetches, name maps and caches, which lock
	 * on every handshake, from being shared by the workers. */
	OSSL_LIB_CTX *libctx;
	/* Our certificate, its chain (without the root) and key: borrowed, the
	 * context takes its own references. cert NULL: none (a client only). */
	X509 *cert;
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
	/* Trust anchors for the peer's chain: borrowed; each context builds
	 * its own store from them (no store lock shared by workers). NULL:
	 * the peer is not verified (a server then asks for no certificate). */
	STACK_OF(X509) * trust;
	bool require_peer_cert; /* server: a client without a certificate is refused */
	/* TLS1_2_VERSION or TLS1_3_VERSION; 0: min 1.3, max 1.3. Never below 1.2. */
	int min_version, max_version;
	/* Server: ticket keys shared by every worker, [0] seals; the others
	 * only open (rotation overlap). None: no tickets. Copied. */
	const struct gw_tls_ticket_key *ticket_keys;
	unsigned int n_ticket_keys;
	/* Server: tickets resume only on contexts with the same value (the
	 * tunnel's and the ingress' apart); at most 32 bytes. NULL: "meshgw". */
	const char *session_context;
	gw_tls_sni_fn sni; /* server: certificate choice by SNI (ingress) */
	void *sni_arg;
};

/* One OpenSSL-wide setup (the BIO method, ex_data slots). Called by
 * gw_tls_ctx_new itself; safe to call from any thread, any number of times. */
int gw_tls_global_init(void);

/* A context, or NULL with errno set and the reason in err. Control thread. */
struct gw_tls_ctx *gw_tls_ctx_new(const struct gw_tls_ctx_conf *conf, char *err, size_t errlen);
/* Drops the caller's reference; connections made on it keep theirs, so a
 * snapshot's contexts may go while its connections live on. Accepts NULL. */
void gw_tls_ctx_free(struct gw_tls_ctx *ctx);
/* The OpenSSL context (borrowed), for settings this API does not cover. */
SSL_CTX *gw_tls_ctx_ssl(struct gw_tls_ctx *ctx);

/* The first URI SAN of x (a SPIFFE ID) into buf, NUL-terminated. 0,
 * -ENOENT (none), -ENOSPC (does not fit) or -EBADMSG (an embedded NUL). */
int gw_tls_cert_uri(X509 *x, char *buf, size_t len);

/* ---- the worker's state -------------------------------------------------- */

#define GW_TLS_REASONS(X)                                                                          \
	X(NONE, "none")                                                                            \
	X(VERIFY, "verify_failed")	 /* we refused the peer's certificate chain */             \
	X(NO_PEER_CERT, "no_peer_cert")	 /* the peer sent no certificate and must */               \
	X(VERSION, "protocol_version")	 /* no common protocol version */                          \
	X(NO_SHARED, "no_shared_cipher") /* no common cipher, group or signature */                \
	X(ALERT, "alert_received")	 /* the peer ended it with an alert */                     \
	X(PROTOCOL, "protocol_error")	 /* malformed, undecryptable, unexpected */                \
	X(EOF, "peer_closed")		 /* TCP FIN before the handshake finished */               \
	X(RESET, "tcp_reset")		 /* TCP reset or timeout before it finished */             \
	X(REFUSED, "refused")		 /* the application refused the peer */                    \
	X(NOMEM, "no_mbuf")		 /* no mbuf for a handshake message */                     \
	X(INTERNAL, "internal")

enum gw_tls_reason {
#define GW_TLS_REASON_ENUM(e, s) GW_TLS_R_##e,
	GW_TLS_REASONS(GW_TLS_REASON_ENUM)
#undef GW_TLS_REASON_ENUM
		GW_TLS_R_MAX
};
const char *gw_tls_reason_name(enum gw_tls_reason r);

/* Per worker: single writer (the worker), any reader. */
struct gw_tls_stats {
	uint64_t handshakes;		  /* completed */
	uint64_t resumed;		  /* of those, resumed from a ticket */
	uint64_t hs_failed[GW_TLS_R_MAX]; /* handshakes that failed, by reason */
	uint64_t errors[GW_TLS_R_MAX];	  /* connections failed after the handshake */
	uint64_t hs_deferred;		  /* handshake steps put off to the next poll */
	uint64_t nomem;			  /* no mbuf: a read or write waits for the poll */
	uint64_t plain_in, plain_out;	  /* application bytes */
	uint64_t cipher_in, cipher_out;	  /* TLS bytes on the wire */
	uint64_t records_in, records_out; /* TLS records */
	uint64_t close_notify_in;	  /* the peer closed cleanly */
	uint64_t eof_unclean;		  /* the peer sent FIN without close_notify */
	uint64_t active;		  /* gauge: connections */
} __rte_cache_aligned;

/* Handshake steps per poll: 0 means no limit. The pool gives the mbufs for
 * ciphertext we send and plaintext we deliver. NULL with errno on failure. */
struct gw_tls_worker *gw_tls_worker_new(struct rte_mempool *pool, unsigned int hs_budget,
					int socket);
/* Aborts nothing: free the worker's connections first. Accepts NULL. */
void gw_tls_worker_free(struct gw_tls_worker *w);
/* Once per loop turn: refills the handshake budget and runs the handshake
 * steps and reads or writes put off (budget, no mbuf). */
void gw_tls_poll(struct gw_tls_worker *w);
const struct gw_tls_stats *gw_tls_get_stats(const struct gw_tls_worker *w);

/* ---- connections ---------------------------------------------------------- */

/* The application's side of a TLS connection; as stk_tcp_ops one level up.
 * Callbacks may call back into this API for the same connection except
 * from new_session (it runs inside OpenSSL). */
struct gw_tls_ops {
	/* The handshake is done: the peer's certificate is verified (when
	 * the context has trust anchors) and gw_tls_peer_cert has it. Return
	 * 0 to go on, or <0 to refuse: the connection is reset (RST), `reset`
	 * (-rc) and then `closed` follow. */
	int (*handshake_done)(void *ctx, struct stk_conn *c, struct gw_tls *t);
	/* Plaintext, consumes m. Counts against rx_plain_max until
	 * gw_tls_consumed: decryption (and so the TCP window) waits on it. */
	void (*data)(void *ctx, struct stk_conn *c, struct rte_mbuf *m);
	/* gw_tls_send may take data again after it returned -EAGAIN. */
	void (*writable)(void *ctx, struct stk_conn *c);
	/* No more data will arrive: close_notify, or a FIN without one
	 * (gw_tls_info.clean tells). We may still send. */
	void (*peer_closed)(void *ctx, struct stk_conn *c);
	/* The connection failed: err is the stack's (ECONNRESET, ETIMEDOUT,
	 * ...) or EPROTO for a TLS failure (gw_tls_info.reason says which),
	 * EACCES when handshake_done refused. `closed` follows. */
	void (*reset)(void *ctx, struct stk_conn *c, int err);
	/* The end: t and c are invalid after this returns. Always called
	 * once, unless the application called gw_tls_abort. */
	void (*closed)(void *ctx, struct stk_conn *c);
	/* Client: the server sent a session ticket (TLS 1.3: after the
	 * handshake). Return true to keep the reference to s (SSL_SESSION_free
	 * it later), false to let it go. Optional. */
	bool (*new_session)(void *ctx, struct stk_conn *c, SSL_SESSION *s);
};

struct gw_tls_conn_conf {
	const char *sni; /* client: server name to send (NULL: none) */
	const char
		*verify_host;  /* client: the certificate must name this host (NULL: chain only) */
	SSL_SESSION *session;  /* client: try to resume it (borrowed) */
	uint32_t rx_plain_max; /* plaintext held by the application; 0: 64 KiB */
};

/* Makes c a TLS connection: from now on the stack calls t, t calls ops
 * with app_ctx. c is a connection the application has just accepted or
 * opened (SYN-SENT: the handshake starts on `connected`), with no data
 * delivered yet. The side is the context's. cc may be NULL. 0 and *out,
 * or -errno (c untouched). */
int gw_tls_attach(struct gw_tls_worker *w, struct gw_tls_ctx *ctx, struct stk_conn *c,
		  const struct gw_tls_conn_conf *cc, const struct gw_tls_ops *ops, void *app_ctx,
		  struct gw_tls **out);

/* Opens a TCP connection (stk_tcp_connect's arguments) with TLS on it as a
 * client of ctx; the handshake starts on `connected`; a failed connect
 * comes as `reset` and `closed`. gw_tls_conn(*out) is the stk_conn the
 * callbacks will name. 0 and *out, or -errno (nothing was opened). */
int gw_tls_connect(struct gw_tls_worker *w, struct gw_tls_ctx *ctx, struct stk_ctx *stk,
		   uint32_t saddr, uint32_t daddr, uint16_t dport,
		   const struct gw_tls_conn_conf *cc, const struct gw_tls_ops *ops, void *app_ctx,
		   struct gw_tls **out);

/* Encrypts and sends plaintext m (a chain). 0: taken (consumed). -EAGAIN:
 * not now (handshake not done, or the last send still waiting); the caller
 * keeps m and waits for `writable`. -ENOTCONN (failed) or -EPIPE (shut
 * down): the caller keeps m. Like the stack, one chain is taken whole: what
 * cannot go yet (no send space, or no mbufs for its records: sealed a
 * record at a time from the poll) waits here, and the next send says
 * -EAGAIN until it has gone. */
int gw_tls_send(struct gw_tls *t, struct rte_mbuf *m);
/* The application is done with bytes of delivered plaintext. */
void gw_tls_consumed(struct gw_tls *t, uint32_t bytes);
/* close_notify then FIN after what is queued (half-close). 0 or -ENOTCONN. */
int gw_tls_shutdown(struct gw_tls *t);
/* shutdown, and the application will not read any more. `closed` later. */
int gw_tls_close(struct gw_tls *t);
/* RST now; t and its stk_conn are freed, no further callbacks. */
void gw_tls_abort(struct gw_tls *t);

/* ---- what a connection knows (valid until `closed`) ------------------------ */

struct stk_conn *gw_tls_conn(const struct gw_tls *t);
/* For connection listings: whether a stack snapshot is a TLS connection's
 * (its ops and ctx are then ours), and the application's ops and ctx. */
bool gw_tls_app_of(const struct stk_conn_info *info, const struct gw_tls_ops **ops, void **app_ctx);
SSL *gw_tls_ssl(const struct gw_tls *t);
/* The peer's verified certificate (borrowed), NULL before the handshake or
 * when it sent none. */
X509 *gw_tls_peer_cert(const struct gw_tls *t);

struct gw_tls_info {
	bool handshake_done, resumed;
	bool clean;		   /* the peer's end came with close_notify */
	int version;		   /* TLS1_2_VERSION, TLS1_3_VERSION; 0 before the handshake */
	const char *cipher;	   /* static OpenSSL name, "" before the handshake */
	enum gw_tls_reason reason; /* why it failed; NONE while it has not */
	int alert;		   /* the alert the peer sent, -1 if none */
	long verify_result;	   /* X509_V_OK or the chain's verify error */
	unsigned long ssl_error;   /* the first OpenSSL error of the failure (packed), 0 */
	uint32_t rx_queued;	   /* ciphertext received, not yet read by OpenSSL */
	uint32_t plain_held;	   /* plaintext delivered, not yet consumed */
	uint32_t tx_queued;	   /* taken by gw_tls_send, not yet with the stack */
};
void gw_tls_get_info(const struct gw_tls *t, struct gw_tls_info *info);
/* A readable account of a failure for logs (not the fast path): the
 * reason, alert, verify error and OpenSSL's error string. */
void gw_tls_describe(const struct gw_tls *t, char *buf, size_t len);

#endif /* MESHGW_GW_TLS_H */

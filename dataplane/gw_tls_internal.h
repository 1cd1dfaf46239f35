/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_tls_internal.h - what the TLS contexts (gw_tls_ctx.c), connections
 * (gw_tls.c) and their bytes (gw_tls_io.c) share. Not an interface:
 * gw_tls.h is.
 */
#ifndef MESHGW_GW_TLS_INTERNAL_H
#define MESHGW_GW_TLS_INTERNAL_H

#include <sys/queue.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

#include "gw_tls.h"

/* Lives as ex_data of its SSL_CTX and dies with it, so every SSL made on
 * it keeps it alive (SSL_new holds a reference to the SSL_CTX). */
struct gw_tls_ctx {
	SSL_CTX *ssl;
	bool server;
	EVP_CIPHER *ticket_cipher; /* fetched once: no provider lookup per handshake */
	struct gw_tls_ticket_key keys[GW_TLS_TICKET_KEYS];
	unsigned int n_keys;
	gw_tls_sni_fn sni;
	void *sni_arg;
};

/* After gw_tls_global_init(): the BIO method over the stack's mbufs. */
extern BIO_METHOD *gw_tls_bio_method;

#define STAGE_SIZE   16384 /* one full TLS record of plaintext */
#define REC_OVERHEAD 64	   /* ciphertext per record beyond its plaintext, generous */
#define SPARE_MAX    512   /* mbufs reserved per worker for a send's records */
#define PIECE_SEGS   1024  /* segments per stk_conn_send */

enum {
	TLSF_STARTED = 1u << 1,	      /* SSL_do_handshake was called */
	TLSF_HS_DONE = 1u << 2,	      /* handshake done and accepted by the application */
	TLSF_FAILED = 1u << 3,	      /* the application was told (reset) or must be */
	TLSF_DEAD = 1u << 4,	      /* aborted or closed: freed at the last leave */
	TLSF_RX_EOF = 1u << 5,	      /* the stack delivered the peer's FIN */
	TLSF_BIO_EOF = 1u << 6,	      /* OpenSSL read to the end of the stream */
	TLSF_PEER_DONE = 1u << 7,     /* peer_closed was given */
	TLSF_WANT_WRITABLE = 1u << 8, /* gw_tls_send said -EAGAIN */
	TLSF_SHUT = 1u << 9,	      /* the application shut down: close_notify, then FIN */
	TLSF_CLOSE = 1u << 10,	      /* ... and reads no more */
	TLSF_NOTIFY_SENT = 1u << 11,  /* close_notify written */
	TLSF_FIN_SENT = 1u << 12,     /* stk_conn_shutdown/close called */
	TLSF_DEFERRED = 1u << 13,     /* on the worker's deferred list */
	TLSF_IN_PUMP = 1u << 14,
	TLSF_FAIL_PENDING = 1u << 15, /* a failure found inside an application call */
	TLSF_NOMEM = 1u << 16,	      /* the BIO found no mbuf */
};

/* A list of single segments (not a chain: only the list knows the order). */
struct seglist {
	struct rte_mbuf *head, *tail;
	uint32_t bytes; /* not yet taken */
	uint32_t off;	/* bytes of head already taken */
};

/* Counts TLS records in a byte stream: 5-byte headers, length in 3..4. */
struct recparse {
	uint32_t left; /* body bytes before the next header */
	uint8_t hdr_n, len_hi;
};

/* A connection: flags say where it is (TLSF_*); alive while depth > 0 or
 * until TLSF_DEAD; rx and tx hold ciphertext, the application holds
 * plain_held bytes of plaintext it has not consumed. */
struct gw_tls {
	struct gw_tls_worker *w;
	struct stk_conn *c;
	SSL *ssl;
	const struct gw_tls_ops *ops;
	void *app;
	uint32_t flags;
	uint32_t depth;
	struct seglist rx;    /* ciphertext from the stack, not yet read by OpenSSL */
	struct seglist txp;   /* plaintext taken by gw_tls_send, not yet sealed */
	struct seglist tx;    /* ciphertext not yet with the stack */
	uint32_t rx_consumed; /* read by OpenSSL, not yet given back to the stack */
	uint32_t plain_held, plain_max;
	struct recparse rp_in, rp_out;
	uint8_t reason, pending_reason;
	int16_t alert;
	long verify;
	unsigned long ssl_err;
	TAILQ_ENTRY(gw_tls) dlink;
};

/* A worker's TLS state: its connections waiting for the poll (handshake
 * budget spent, no mbuf), spare mbufs reserved for records and a staging
 * buffer to gather a chain's plaintext into full records. */
struct gw_tls_worker {
	struct gw_tls_stats stats; /* first: cache aligned */
	struct rte_mempool *pool;
	unsigned int hs_budget, hs_left;
	unsigned int n_deferred;
	TAILQ_HEAD(, gw_tls) deferred;
	unsigned int n_spare;
	struct rte_mbuf *spare[SPARE_MAX];
	uint8_t stage[STAGE_SIZE];
};

/* ---- gw_tls_io.c: the bytes (worker only) ---- */

/* An mbuf: one of the worker's spares, else from its pool. NULL: none. */
struct rte_mbuf *tls_take_mbuf(struct gw_tls_worker *w);
/* Gives back an mbuf taken and not used (still empty). */
void tls_put_mbuf(struct gw_tls_worker *w, struct rte_mbuf *m);
/* Makes n mbufs ready (at most SPARE_MAX). 0 or -ENOBUFS. */
int tls_reserve(struct gw_tls_worker *w, unsigned int n);
/* The mbufs the ciphertext of len plaintext bytes may take. */
unsigned int tls_segs_for(const struct gw_tls *t, uint32_t len);
/* Appends chain m's segments to l (takes m). */
void tls_seg_append(struct seglist *l, struct rte_mbuf *m);
void tls_seg_free_all(struct seglist *l);
/* Takes up to len bytes from l's front into buf (NULL: drops them). */
uint32_t tls_seg_take(struct seglist *l, void *buf, uint32_t len);
/* Gives the bytes OpenSSL has read back to the stack's window. */
void tls_give_back(struct gw_tls *t);
/* Drops the ciphertext not read yet, giving it back too. */
void tls_drop_rx(struct gw_tls *t);
/* Hands tx to the stack in pieces that fit its send space. 0 when all of
 * it went, -EAGAIN (the stack calls `writable`), or the stack's error. */
int tls_flush_tx(struct gw_tls *t);
/* Seals txp into records (tx) while mbufs last. 0 when all of it is
 * sealed, -ENOBUFS when the rest waits for mbufs, -EPROTO when OpenSSL
 * failed (its reason in the error queue). */
int tls_encrypt_pending(struct gw_tls *t);

/* Sets the BIO method's callbacks (they live with the connections). */
int gw_tls_bio_setup(BIO_METHOD *m);

/* The connection an SSL belongs to (SSL app data), for the client's
 * new-session callback. */
void gw_tls_new_session(SSL *s, SSL_SESSION *sess, int *taken);

#endif /* MESHGW_GW_TLS_INTERNAL_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_tls.c - TLS connections on the stack (see gw_tls.h): the state
 * machine between the stack's callbacks and the application's; the bytes
 * underneath are gw_tls_io.c's. Worker only.
 *
 * Received ciphertext stays in the mbufs the stack delivered, in a list of
 * segments (rx); OpenSSL reads it through our BIO, which frees segments as
 * it empties them and gives their bytes back to the stack's window after
 * each pump. Decrypted plaintext goes into fresh mbufs (at most
 * rx_plain_max held by the application); when the application holds that
 * much we stop reading, rx stays queued and the TCP window closes.
 * Ciphertext OpenSSL writes lands in mbufs of the worker's pool (tx) and
 * goes to stk_conn_send in pieces that fit the send space.
 *
 * Every entry (a stack callback or an application call) holds the
 * connection (depth); gw_tls_abort or the stack's `closed` only mark it
 * dead, and the last leave frees it. The stack never calls back from inside
 * the stk_conn_* calls made here, so our own state changes come first and
 * the application's callbacks come last. The error queue is cleared before
 * every SSL call and after a failure has been read from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "gw_tls_internal.h"

#define PLAIN_MAX_DEFAULT 65536

static const struct stk_tcp_ops tls_tcp_ops;

static const char *const reason_names[] = {
#define GW_TLS_REASON_NAME(e, s) s,
	GW_TLS_REASONS(GW_TLS_REASON_NAME)
#undef GW_TLS_REASON_NAME
};

const char *
gw_tls_reason_name(enum gw_tls_reason r)
{
	return (unsigned int)r < GW_TLS_R_MAX ? reason_names[r] : "unknown";
}

/* ---- holding, deferring, freeing --------------------------------------------------- */

static void
conn_free(struct gw_tls *t)
{
	tls_seg_free_all(&t->rx);
	tls_seg_free_all(&t->txp);
	tls_seg_free_all(&t->tx);
	SSL_free(t->ssl); /* and the BIO */
	free(t);
}

static void
enter(struct gw_tls *t)
{
	t->depth++;
}

static void
leave(struct gw_tls *t)
{
	if (--t->depth == 0 && (t->flags & TLSF_DEAD))
		conn_free(t);
}

static void
defer(struct gw_tls *t)
{
	if (t->flags & TLSF_DEFERRED)
		return;
	t->flags |= TLSF_DEFERRED;
	TAILQ_INSERT_TAIL(&t->w->deferred, t, dlink);
	t->w->n_deferred++;
}

static void
undefer(struct gw_tls *t)
{
	if (!(t->flags & TLSF_DEFERRED))
		return;
	t->flags &= ~TLSF_DEFERRED;
	TAILQ_REMOVE(&t->w->deferred, t, dlink);
	t->w->n_deferred--;
}

/* Writes close_notify once the handshake is done and the application shut
 * down, and the FIN once all ciphertext is with the stack. */
static void
shut_progress(struct gw_tls *t)
{
	if (!(t->flags & TLSF_SHUT) || (t->flags & (TLSF_DEAD | TLSF_FIN_SENT)) ||
	    t->txp.head != NULL)
		return; /* close_notify comes after every byte of data */
	if ((t->flags & TLSF_HS_DONE) && !(t->flags & (TLSF_NOTIFY_SENT | TLSF_FAILED))) {
		t->flags |= TLSF_NOTIFY_SENT;
		ERR_clear_error();
		if (SSL_shutdown(t->ssl) < 0)
			ERR_clear_error(); /* a close_notify that cannot be sent: the FIN still goes
					    */
	}
	if (t->tx.head != NULL && tls_flush_tx(t) != 0)
		return;
	if (!(t->flags & (TLSF_HS_DONE | TLSF_FAILED)) && !(t->flags & TLSF_CLOSE))
		return; /* a shutdown asked during the handshake waits for its end */
	t->flags |= TLSF_FIN_SENT;
	if (t->flags & TLSF_CLOSE)
		stk_conn_close(t->c);
	else
		stk_conn_shutdown(t->c);
}

/* ---- failures ------------------------------------------------------------------------ */

static enum gw_tls_reason
classify_ssl(int r)
{
	switch (r) {
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return GW_TLS_R_VERIFY;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return GW_TLS_R_NO_PEER_CERT;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
		return GW_TLS_R_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_NO_CIPHERS_AVAILABLE:
		return GW_TLS_R_NO_SHARED;
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return GW_TLS_R_EOF;
	default:
		return GW_TLS_R_PROTOCOL;
	}
}

/* Reads why an SSL call failed from the error queue into t, then clears
 * the queue so nothing of it reaches another connection. */
static enum gw_tls_reason
capture(struct gw_tls *t)
{
	unsigned long e = ERR_peek_error();
	enum gw_tls_reason r;
	int why;

	t->ssl_err = e;
	t->verify = SSL_get_verify_result(t->ssl);
	t->alert = -1;
	ERR_clear_error();
	if (e == 0)
		return (t->flags & TLSF_BIO_EOF) ? GW_TLS_R_EOF : GW_TLS_R_INTERNAL;
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return GW_TLS_R_PROTOCOL;
	why = ERR_GET_REASON(e);
	if (why > SSL_AD_REASON_OFFSET && why < SSL_AD_REASON_OFFSET + 256) {
		t->alert = (int16_t)(why - SSL_AD_REASON_OFFSET);
		return t->alert == SSL_AD_PROTOCOL_VERSION ? GW_TLS_R_VERSION : GW_TLS_R_ALERT;
	}
	r = classify_ssl(why);
	if (r == GW_TLS_R_PROTOCOL && t->verify != X509_V_OK)
		r = GW_TLS_R_VERIFY;
	return r;
}

static void
count_failure(struct gw_tls *t, enum gw_tls_reason r)
{
	t->reason = (uint8_t)r;
	if (t->flags & TLSF_HS_DONE)
		t->w->stats.errors[r]++;
	else
		t->w->stats.hs_failed[r]++;
}

/* A TLS failure: whatever alert OpenSSL wrote goes out, then a FIN that
 * refuses further data; the application hears `reset` (EPROTO) now and
 * `closed` when the stack is done. */
static void
fail_tls(struct gw_tls *t, enum gw_tls_reason r)
{
	if (t->flags & (TLSF_FAILED | TLSF_DEAD))
		return;
	t->flags |= TLSF_FAILED;
	t->flags &= ~TLSF_FAIL_PENDING;
	undefer(t);
	count_failure(t, r);
	tls_drop_rx(t);
	tls_seg_free_all(&t->txp);
	tls_flush_tx(t);
	tls_seg_free_all(&t->tx);
	if (!(t->flags & TLSF_FIN_SENT)) {
		t->flags |= TLSF_FIN_SENT;
		stk_conn_close(t->c);
	}
	if (!(t->flags & TLSF_CLOSE) && t->ops->reset != NULL)
		t->ops->reset(t->app, t->c, EPROTO);
}

/* The application refused the peer: RST, and reset + closed now. */
static void
refuse(struct gw_tls *t, int err)
{
	struct stk_conn *c = t->c;

	t->flags |= TLSF_FAILED;
	t->flags &= ~TLSF_HS_DONE; /* counted as a failed handshake */
	count_failure(t, GW_TLS_R_REFUSED);
	if (t->ops->reset != NULL)
		t->ops->reset(t->app, c, err);
	if (t->ops->closed != NULL)
		t->ops->closed(t->app, c);
	if (!(t->flags & TLSF_DEAD)) {
		undefer(t);
		t->flags |= TLSF_DEAD;
		t->w->stats.active--;
		stk_conn_abort(c); /* no callbacks after this */
	}
}

/* Seals what the application gave and hands it to the stack. Out of
 * mbufs, the rest waits for the poll. A failure inside a record is the
 * connection's end, which the application hears from the poll, not
 * inside its own call. */
static void
send_pending(struct gw_tls *t)
{
	int rc;

	if (t->txp.head != NULL) {
		t->flags &= ~TLSF_NOMEM;
		rc = tls_encrypt_pending(t);
		if (rc == -ENOBUFS) {
			t->w->stats.nomem++;
			defer(t);
		} else if (rc != 0) {
			t->pending_reason =
				(uint8_t)((t->flags & TLSF_NOMEM) ? GW_TLS_R_NOMEM : capture(t));
			t->flags |= TLSF_FAIL_PENDING;
			defer(t);
			ERR_clear_error();
			return;
		}
	}
	tls_flush_tx(t);
}

/* ---- the handshake and reading ---------------------------------------------------------- */

static void
notify_writable(struct gw_tls *t)
{
	if (!(t->flags & TLSF_WANT_WRITABLE) || t->tx.head != NULL || t->txp.head != NULL ||
	    (t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_SHUT | TLSF_DEFERRED)) ||
	    !(t->flags & TLSF_HS_DONE))
		return;
	t->flags &= ~TLSF_WANT_WRITABLE;
	if (t->ops->writable != NULL)
		t->ops->writable(t->app, t->c);
}

static void
handshake_done(struct gw_tls *t)
{
	struct gw_tls_worker *w = t->w;
	int rc = 0;

	tls_flush_tx(t);	  /* our Finished (client) or tickets (server) first */
	t->flags |= TLSF_HS_DONE; /* the application may send from its callback */
	if (t->ops->handshake_done != NULL)
		rc = t->ops->handshake_done(t->app, t->c, t);
	if (t->flags & (TLSF_DEAD | TLSF_FAILED))
		return;
	if (rc < 0) {
		refuse(t, -rc);
		return;
	}
	w->stats.handshakes++;
	if (SSL_session_reused(t->ssl))
		w->stats.resumed++;
	shut_progress(t);
	notify_writable(t);
}

/* One handshake step, within the worker's budget. */
static void
handshake(struct gw_tls *t)
{
	struct gw_tls_worker *w = t->w;
	int rc, err;

	if (w->hs_budget != 0) {
		if (w->hs_left == 0) {
			w->stats.hs_deferred++;
			defer(t);
			return;
		}
		w->hs_left--;
	}
	t->flags |= TLSF_STARTED;
	t->flags &= ~TLSF_NOMEM;
	ERR_clear_error();
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		handshake_done(t);
		return;
	}
	err = SSL_get_error(t->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		if (t->flags & TLSF_NOMEM) {
			w->stats.nomem++;
			defer(t); /* the poll tries again */
		}
		return;
	}
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SYSCALL && (t->flags & TLSF_BIO_EOF))) {
		capture(t);
		fail_tls(t, GW_TLS_R_EOF);
		return;
	}
	fail_tls(t, capture(t));
}

static void
peer_done(struct gw_tls *t)
{
	if (t->flags & TLSF_PEER_DONE)
		return;
	t->flags |= TLSF_PEER_DONE;
	if (t->flags & TLSF_BIO_EOF)
		t->w->stats.eof_unclean++;
	else
		t->w->stats.close_notify_in++;
	if (!(t->flags & TLSF_CLOSE) && t->ops->peer_closed != NULL)
		t->ops->peer_closed(t->app, t->c);
}

static bool
has_input(const struct gw_tls *t)
{
	return t->rx.head != NULL || (t->flags & TLSF_RX_EOF) || SSL_has_pending(t->ssl);
}

/* Decrypts into fresh mbufs up to what the application may hold and hands
 * them over as one chain. Returns the bytes delivered. */
static uint32_t
read_some(struct gw_tls *t)
{
	struct gw_tls_worker *w = t->w;
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint32_t got = 0;
	int end = 0; /* 1: close_notify or FIN; 2: a failure */
	enum gw_tls_reason why = GW_TLS_R_NONE;

	while (t->plain_held + got < t->plain_max && has_input(t)) {
		size_t n = 0;
		int rc, err;

		m = tls_take_mbuf(w);
		if (m == NULL) {
			w->stats.nomem++;
			defer(t);
			break;
		}
		ERR_clear_error();
		rc = SSL_read_ex(t->ssl, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_tailroom(m), &n);
		if (rc == 1) {
			m->data_len = (uint16_t)n;
			m->pkt_len = (uint32_t)n;
			if (head == NULL) {
				head = m;
			} else {
				tail->next = m;
				head->nb_segs++;
				head->pkt_len += (uint32_t)n;
			}
			tail = m;
			got += (uint32_t)n;
			continue;
		}
		tls_put_mbuf(w, m); /* the usual end: no whole record yet */
		err = SSL_get_error(t->ssl, rc);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			break;
		if (err == SSL_ERROR_ZERO_RETURN) {
			end = 1;
		} else {
			end = 2;
			why = capture(t);
		}
		break;
	}
	ERR_clear_error();
	if (head != NULL) {
		w->stats.plain_in += got;
		if (t->flags & TLSF_CLOSE) {
			rte_pktmbuf_free(head);
		} else {
			t->plain_held += got;
			t->ops->data(t->app, t->c, head);
		}
	}
	if (t->flags & (TLSF_DEAD | TLSF_FAILED))
		return 0;
	if (end == 1)
		peer_done(t);
	else if (end == 2)
		fail_tls(t, why);
	return end ? 0 : got;
}

/* Moves the connection on as far as its input allows. */
static void
pump(struct gw_tls *t)
{
	if (t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_IN_PUMP))
		return;
	t->flags |= TLSF_IN_PUMP;
	if (!(t->flags & TLSF_HS_DONE) && (!(t->flags & TLSF_STARTED) || has_input(t)))
		handshake(t);
	/* the application may consume inside `data`: then read on */
	while ((t->flags & TLSF_HS_DONE) &&
	       !(t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_PEER_DONE)) && read_some(t) > 0)
		;
	t->flags &= ~TLSF_IN_PUMP;
	if (t->flags & TLSF_DEAD)
		return;
	tls_give_back(t);
	if (!(t->flags & TLSF_FAILED)) {
		tls_flush_tx(t); /* handshake flights, tickets, key updates */
		shut_progress(t);
	}
}

/* ---- the stack's callbacks ---------------------------------------------------------------- */

static void
tls_connected(void *ctx, struct stk_conn *c)
{
	struct gw_tls *t = ctx;

	(void)c;
	enter(t);
	pump(t); /* the ClientHello */
	leave(t);
}

static void
tls_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct gw_tls *t = ctx;

	enter(t);
	if (t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_PEER_DONE)) {
		uint32_t len = rte_pktmbuf_pkt_len(m);

		rte_pktmbuf_free(m);
		stk_conn_consumed(c, len);
	} else {
		tls_seg_append(&t->rx, m);
		pump(t);
	}
	leave(t);
}

static void
tls_writable(void *ctx, struct stk_conn *c)
{
	struct gw_tls *t = ctx;

	(void)c;
	enter(t);
	if (!(t->flags & (TLSF_FAILED | TLSF_DEAD)) && tls_flush_tx(t) == 0) {
		if (t->txp.head != NULL && !(t->flags & TLSF_DEFERRED))
			send_pending(t);
		shut_progress(t);
		notify_writable(t);
	}
	leave(t);
}

static void
tls_peer_closed(void *ctx, struct stk_conn *c)
{
	struct gw_tls *t = ctx;

	(void)c;
	enter(t);
	t->flags |= TLSF_RX_EOF;
	pump(t);
	leave(t);
}

static void
tls_reset(void *ctx, struct stk_conn *c, int err)
{
	struct gw_tls *t = ctx;

	enter(t);
	if (!(t->flags & (TLSF_FAILED | TLSF_DEAD))) {
		t->flags |= TLSF_FAILED;
		undefer(t);
		if (!(t->flags & TLSF_HS_DONE))
			count_failure(t, GW_TLS_R_RESET);
		if (!(t->flags & TLSF_CLOSE) && t->ops->reset != NULL)
			t->ops->reset(t->app, c, err);
	}
	leave(t);
}

static void
tls_closed(void *ctx, struct stk_conn *c)
{
	struct gw_tls *t = ctx;

	enter(t);
	undefer(t);
	t->flags |= TLSF_DEAD | TLSF_FAILED;
	t->w->stats.active--;
	if (t->ops->closed != NULL)
		t->ops->closed(t->app, c);
	leave(t);
}

static const struct stk_tcp_ops tls_tcp_ops = {
	.connected = tls_connected,
	.data = tls_data,
	.writable = tls_writable,
	.peer_closed = tls_peer_closed,
	.reset = tls_reset,
	.closed = tls_closed,
};

void
gw_tls_new_session(SSL *s, SSL_SESSION *sess, int *taken)
{
	struct gw_tls *t = SSL_get_app_data(s);

	if (t != NULL && !(t->flags & TLSF_DEAD) && t->ops->new_session != NULL)
		*taken = t->ops->new_session(t->app, t->c, sess) ? 1 : 0;
}

/* ---- the application's calls ----------------------------------------------------------------- */

int
gw_tls_send(struct gw_tls *t, struct rte_mbuf *m)
{
	int rc = 0;

	if (m == NULL)
		return -EINVAL;
	if (t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_FAIL_PENDING))
		return -ENOTCONN;
	if (t->flags & TLSF_SHUT)
		return -EPIPE;
	enter(t);
	if (!(t->flags & TLSF_HS_DONE) || t->txp.head != NULL ||
	    (t->tx.head != NULL && tls_flush_tx(t) != 0)) {
		t->flags |= TLSF_WANT_WRITABLE;
		rc = -EAGAIN;
		goto out;
	}
	t->w->stats.plain_out += rte_pktmbuf_pkt_len(m);
	tls_seg_append(&t->txp, m);
	send_pending(t);
out:
	leave(t);
	return rc;
}

void
gw_tls_consumed(struct gw_tls *t, uint32_t bytes)
{
	t->plain_held -= RTE_MIN(bytes, t->plain_held);
	if (t->flags & (TLSF_IN_PUMP | TLSF_DEAD | TLSF_FAILED))
		return; /* a running pump reads on by itself */
	enter(t);
	pump(t);
	leave(t);
}

int
gw_tls_shutdown(struct gw_tls *t)
{
	if (t->flags & (TLSF_FAILED | TLSF_DEAD))
		return -ENOTCONN;
	enter(t);
	t->flags |= TLSF_SHUT;
	shut_progress(t);
	leave(t);
	return 0;
}

int
gw_tls_close(struct gw_tls *t)
{
	if (t->flags & (TLSF_FAILED | TLSF_DEAD))
		return -ENOTCONN;
	enter(t);
	t->flags |= TLSF_SHUT | TLSF_CLOSE;
	t->flags &= ~TLSF_WANT_WRITABLE;
	tls_drop_rx(t);
	shut_progress(t);
	leave(t);
	return 0;
}

void
gw_tls_abort(struct gw_tls *t)
{
	if (t->flags & TLSF_DEAD)
		return;
	enter(t);
	undefer(t);
	t->flags |= TLSF_DEAD | TLSF_FAILED;
	t->w->stats.active--;
	stk_conn_abort(t->c); /* no callbacks after this */
	leave(t);
}

/* ---- attaching --------------------------------------------------------------------------------
 */

static int
set_client(SSL *ssl, const struct gw_tls_conn_conf *cc)
{
	if (cc == NULL)
		return 0;
	/* SSL_set_tlsext_host_name() without its cast: OpenSSL copies the name */
	if (cc->sni != NULL && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
					TLSEXT_NAMETYPE_host_name, (void *)(uintptr_t)cc->sni) != 1)
		return -EINVAL;
	if (cc->verify_host != NULL && SSL_set1_host(ssl, cc->verify_host) != 1)
		return -EINVAL;
	if (cc->session != NULL && SSL_set_session(ssl, cc->session) != 1)
		return -EINVAL;
	return 0;
}

/* A connection object for ctx, not yet on a stk_conn. */
static int
conn_new(struct gw_tls_worker *w, struct gw_tls_ctx *ctx, const struct gw_tls_conn_conf *cc,
	 const struct gw_tls_ops *ops, void *app_ctx, struct gw_tls **out)
{
	struct gw_tls *t;
	BIO *bio;
	int rc = -ENOMEM;

	if (w == NULL || ctx == NULL || ops == NULL || ops->data == NULL || out == NULL)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	ERR_clear_error();
	t->ssl = SSL_new(gw_tls_ctx_ssl(ctx));
	bio = BIO_new(gw_tls_bio_method);
	if (t->ssl == NULL || bio == NULL) {
		BIO_free(bio);
		goto fail;
	}
	BIO_set_data(bio, t);
	BIO_set_init(bio, 1);
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_app_data(t->ssl, t);
	t->w = w;
	t->ops = ops;
	t->app = app_ctx;
	t->alert = -1;
	t->plain_max = cc != NULL && cc->rx_plain_max ? cc->rx_plain_max : PLAIN_MAX_DEFAULT;
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		SSL_set_connect_state(t->ssl);
		if ((rc = set_client(t->ssl, cc)) != 0)
			goto fail;
	}
	*out = t;
	return 0;
fail:
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
	return rc;
}

int
gw_tls_attach(struct gw_tls_worker *w, struct gw_tls_ctx *ctx, struct stk_conn *c,
	      const struct gw_tls_conn_conf *cc, const struct gw_tls_ops *ops, void *app_ctx,
	      struct gw_tls **out)
{
	struct stk_conn_info info;
	struct gw_tls *t = NULL;
	int rc;

	if (c == NULL)
		return -EINVAL;
	rc = conn_new(w, ctx, cc, ops, app_ctx, &t);
	if (rc != 0)
		return rc;
	t->c = c;
	stk_conn_get_info(c, &info);
	stk_conn_set_ops(c, &tls_tcp_ops, t);
	w->stats.active++;
	/* a client on an open connection starts at the next poll, so that no
	 * callback runs inside this call */
	if (!ctx->server && info.state >= STK_TCP_ESTABLISHED)
		defer(t);
	*out = t;
	return 0;
}

int
gw_tls_connect(struct gw_tls_worker *w, struct gw_tls_ctx *ctx, struct stk_ctx *stk, uint32_t saddr,
	       uint32_t daddr, uint16_t dport, const struct gw_tls_conn_conf *cc,
	       const struct gw_tls_ops *ops, void *app_ctx, struct gw_tls **out)
{
	struct gw_tls *t = NULL;
	int rc;

	if (stk == NULL || ctx == NULL || ctx->server)
		return -EINVAL;
	rc = conn_new(w, ctx, cc, ops, app_ctx, &t);
	if (rc != 0)
		return rc;
	/* the stack calls back only from input and timers: t is ready first */
	rc = stk_tcp_connect(stk, saddr, daddr, dport, &tls_tcp_ops, t, &t->c);
	if (rc != 0) {
		SSL_free(t->ssl);
		free(t);
		return rc;
	}
	w->stats.active++;
	*out = t;
	return 0;
}

/* What a deferred connection was waiting for. */
static void
resume(struct gw_tls *t)
{
	if (t->flags & TLSF_FAIL_PENDING) {
		fail_tls(t, (enum gw_tls_reason)t->pending_reason);
		return;
	}
	pump(t);
	if (!(t->flags & TLSF_HS_DONE) || (t->flags & (TLSF_FAILED | TLSF_DEAD | TLSF_DEFERRED)))
		return;
	send_pending(t);
	if (t->flags & (TLSF_FAIL_PENDING | TLSF_DEFERRED))
		return;
	shut_progress(t);
	notify_writable(t);
}

void
gw_tls_poll(struct gw_tls_worker *w)
{
	unsigned int n = w->n_deferred;
	struct gw_tls *t;

	w->hs_left = w->hs_budget;
	/* only those waiting now: a connection deferred again waits for the next poll */
	while (n-- > 0 && (t = TAILQ_FIRST(&w->deferred)) != NULL) {
		undefer(t);
		enter(t);
		resume(t);
		leave(t);
	}
}

/* ---- queries ------------------------------------------------------------------------------------
 */

bool
gw_tls_app_of(const struct stk_conn_info *info, const struct gw_tls_ops **ops, void **app_ctx)
{
	const struct gw_tls *t = info->app_ctx;

	if (info->ops != &tls_tcp_ops || t == NULL)
		return false;
	*ops = t->ops;
	*app_ctx = t->app;
	return true;
}

struct stk_conn *
gw_tls_conn(const struct gw_tls *t)
{
	return t->c;
}

SSL *
gw_tls_ssl(const struct gw_tls *t)
{
	return t->ssl;
}

X509 *
gw_tls_peer_cert(const struct gw_tls *t)
{
	return SSL_get0_peer_certificate(t->ssl);
}

void
gw_tls_get_info(const struct gw_tls *t, struct gw_tls_info *i)
{
	bool done = (t->flags & TLSF_HS_DONE) != 0;

	memset(i, 0, sizeof(*i));
	i->handshake_done = done;
	i->resumed = done && SSL_session_reused(t->ssl);
	i->clean = (t->flags & TLSF_PEER_DONE) && !(t->flags & TLSF_BIO_EOF);
	i->version = done ? SSL_version(t->ssl) : 0;
	i->cipher = done ? SSL_CIPHER_get_name(SSL_get_current_cipher(t->ssl)) : "";
	i->reason = (enum gw_tls_reason)t->reason;
	i->alert = t->alert;
	i->verify_result = t->reason != GW_TLS_R_NONE ? t->verify : SSL_get_verify_result(t->ssl);
	i->ssl_error = t->ssl_err;
	i->rx_queued = t->rx.bytes;
	i->plain_held = t->plain_held;
	i->tx_queued = t->tx.bytes + t->txp.bytes;
}

void
gw_tls_describe(const struct gw_tls *t, char *buf, size_t len)
{
	char ossl[160] = "none";

	if (t->ssl_err != 0)
		ERR_error_string_n(t->ssl_err, ossl, sizeof(ossl));
	snprintf(buf, len, "reason=%s alert=%s verify=%s openssl=%s",
		 gw_tls_reason_name((enum gw_tls_reason)t->reason),
		 t->alert >= 0 ? SSL_alert_desc_string_long(t->alert) : "none",
		 X509_verify_cert_error_string(t->verify), ossl);
}

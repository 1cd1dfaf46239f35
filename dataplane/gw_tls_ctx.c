/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_tls_ctx.c - TLS contexts (see gw_tls.h): one SSL_CTX per worker with
 * the mesh's settings (TLS 1.3 first, 1.2 only where configured, AEAD
 * ciphers only), the peer's trust store, ticket keys shared by every worker
 * and the SNI hook. Built on the control thread; used by one worker.
 *
 * Our struct hangs off the SSL_CTX as ex_data and is freed with it, so a
 * context dropped from a snapshot lives as long as connections made on it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "gw_tls_internal.h"

/* TLS 1.3: the AEAD suites of the issue; 1.2: ECDHE with AEAD only. */
#define SUITES_13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define CIPHERS_12                                                                                 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256:P-384"

BIO_METHOD *gw_tls_bio_method;
static int ctx_index = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

/* ---- global setup ------------------------------------------------------------ */

static void
ctx_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct gw_tls_ctx *x = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (x == NULL)
		return;
	EVP_CIPHER_free(x->ticket_cipher);
	OPENSSL_cleanse(x->keys, sizeof(x->keys));
	free(x);
}

static void
global_init(void)
{
	BIO_METHOD *m;

	ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_ex_free);
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "meshgw_stk");
	if (ctx_index < 0 || m == NULL || gw_tls_bio_setup(m) != 0) {
		BIO_meth_free(m);
		init_rc = -ENOMEM;
		return;
	}
	gw_tls_bio_method = m;
}

int
gw_tls_global_init(void)
{
	pthread_once(&once, global_init);
	return init_rc;
}

static struct gw_tls_ctx *
ctx_of(SSL_CTX *s)
{
	return SSL_CTX_get_ex_data(s, ctx_index);
}

/* ---- session tickets ------------------------------------------------------------- */

static int
ticket_mac(EVP_MAC_CTX *hctx, const struct gw_tls_ticket_key *k)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)(uintptr_t)k->hmac,
						  sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)(uintptr_t) "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	return EVP_MAC_CTX_set_params(hctx, p) == 1 ? 0 : -1;
}

/* Seals with keys[0]; opens with any key still listed, asking for a fresh
 * ticket (2) when it was sealed by an older one or in TLS 1.3. 0: unknown
 * key, full handshake; -1: error. */
static int
ticket_cb(SSL *s, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
	  EVP_MAC_CTX *hctx, int enc)
{
	const struct gw_tls_ctx *x = ctx_of(SSL_get_SSL_CTX(s));
	const struct gw_tls_ticket_key *k;
	int ivlen;

	if (x == NULL || x->n_keys == 0)
		return enc ? -1 : 0;
	ivlen = EVP_CIPHER_get_iv_length(x->ticket_cipher);
	if (enc) {
		k = &x->keys[0];
		if (RAND_bytes(iv, ivlen) != 1)
			return -1;
		memcpy(name, k->name, sizeof(k->name));
		if (EVP_EncryptInit_ex2(cctx, x->ticket_cipher, k->aes, iv, NULL) != 1)
			return -1;
		return ticket_mac(hctx, k) == 0 ? 1 : -1;
	}
	for (unsigned int i = 0; i < x->n_keys; i++) {
		k = &x->keys[i];
		if (memcmp(name, k->name, sizeof(k->name)) != 0)
			continue;
		if (EVP_DecryptInit_ex2(cctx, x->ticket_cipher, k->aes, iv, NULL) != 1 ||
		    ticket_mac(hctx, k) != 0)
			return -1;
		/* TLS 1.3 clients use a ticket once: without a fresh one the
		 * next connection is a full handshake */
		return i == 0 && SSL_version(s) < TLS1_3_VERSION ? 1 : 2;
	}
	return 0;
}

/* ---- SNI ----------------------------------------------------------------------------- */

static int
servername_cb(SSL *s, int *alert, void *arg)
{
	struct gw_tls_ctx *x = arg, *y;
	const char *name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	if (name == NULL || x->sni == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	y = x->sni(x->sni_arg, name);
	if (y == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	if (y != x && SSL_set_SSL_CTX(s, y->ssl) == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/* ---- building a context -------------------------------------------------------------- */

static int
fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_error();
	char ossl[160] = "";

	if (e != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", ossl);
	ERR_clear_error();
	return -EINVAL;
}

static int
set_versions(SSL_CTX *s, const struct gw_tls_ctx_conf *c, char *err, size_t errlen)
{
	static char groups[] = GROUPS; /* the macro below takes a char * */
	int min = c->min_version ? c->min_version : TLS1_3_VERSION;
	int max = c->max_version ? c->max_version : TLS1_3_VERSION;

	if ((min != TLS1_2_VERSION && min != TLS1_3_VERSION) ||
	    (max != TLS1_2_VERSION && max != TLS1_3_VERSION) || min > max)
		return fail(err, errlen, "TLS versions must be 1.2 or 1.3, min <= max");
	if (SSL_CTX_set_min_proto_version(s, min) != 1 ||
	    SSL_CTX_set_max_proto_version(s, max) != 1 ||
	    SSL_CTX_set_ciphersuites(s, SUITES_13) != 1 ||
	    SSL_CTX_set_cipher_list(s, CIPHERS_12) != 1 || SSL_CTX_set1_groups_list(s, groups) != 1)
		return fail(err, errlen, "cannot set versions and ciphers");
	return 0;
}

/* Copies of the caller's certificates and key, made in the context's
 * library context: X509 and EVP_PKEY objects lock on use (extension
 * caches, the key's provider export), and one object shared by every
 * worker's context would make those locks shared ones. */
static X509 *
copy_cert(X509 *x, OSSL_LIB_CTX *lib)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *y = X509_new_ex(lib, NULL);
	int n = i2d_X509(x, &der);

	p = der;
	if (y == NULL || n <= 0 || d2i_X509(&y, &p, n) == NULL) {
		X509_free(y);
		y = NULL;
	}
	OPENSSL_free(der);
	return y;
}

static EVP_PKEY *
copy_key(EVP_PKEY *k, OSSL_LIB_CTX *lib)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *y = NULL;
	int n = i2d_PrivateKey(k, &der);

	p = der;
	if (n > 0)
		y = d2i_AutoPrivateKey_ex(NULL, &p, n, lib, NULL);
	OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
	return y;
}

static int
use_chain(SSL_CTX *s, STACK_OF(X509) * chain, OSSL_LIB_CTX *lib)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = copy_cert(sk_X509_value(chain, i), lib);

		if (x == NULL || SSL_CTX_add0_chain_cert(s, x) != 1) {
			X509_free(x);
			return -1;
		}
	}
	return 0;
}

static int
set_identity(SSL_CTX *s, const struct gw_tls_ctx_conf *c, char *err, size_t errlen)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = 0;

	if (c->cert == NULL)
		return c->server ? fail(err, errlen, "a server needs a certificate") : 0;
	if (c->key == NULL)
		return fail(err, errlen, "certificate without a key");
	cert = copy_cert(c->cert, c->libctx);
	key = copy_key(c->key, c->libctx);
	if (cert == NULL || key == NULL)
		rc = fail(err, errlen, "cannot copy the certificate or key");
	else if (SSL_CTX_use_certificate(s, cert) != 1 || SSL_CTX_use_PrivateKey(s, key) != 1 ||
		 SSL_CTX_check_private_key(s) != 1)
		rc = fail(err, errlen, "certificate and key do not go together");
	else if (c->chain != NULL && use_chain(s, c->chain, c->libctx) != 0)
		rc = fail(err, errlen, "cannot set the certificate chain");
	X509_free(cert); /* the context holds its own references */
	EVP_PKEY_free(key);
	return rc;
}

/* A store of the context's own, with its own copies of the anchors:
 * X509_STORE takes a lock on lookups, and a store shared by workers would
 * make that lock a shared one. */
static int
set_trust(SSL_CTX *s, const struct gw_tls_ctx_conf *c, char *err, size_t errlen)
{
	X509_STORE *st;
	int mode = SSL_VERIFY_PEER;

	if (c->trust == NULL) {
		if (c->require_peer_cert || !c->server)
			return fail(err, errlen, "peer verification needs trust anchors");
		SSL_CTX_set_verify(s, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (sk_X509_num(c->trust) == 0)
		return fail(err, errlen, "empty trust bundle");
	st = X509_STORE_new();
	if (st == NULL)
		return fail(err, errlen, "no memory for the trust store");
	for (int i = 0; i < sk_X509_num(c->trust); i++) {
		X509 *x = copy_cert(sk_X509_value(c->trust, i), c->libctx);
		int ok = x != NULL && X509_STORE_add_cert(st, x) == 1;

		X509_free(x); /* the store holds its own reference */
		if (!ok) {
			X509_STORE_free(st);
			return fail(err, errlen, "cannot add a trust anchor");
		}
	}
	SSL_CTX_set_cert_store(s, st); /* takes st */
	if (c->server && c->require_peer_cert)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(s, mode, NULL);
	return 0;
}

static void client_new_session_setup(SSL_CTX *s);

static int
set_sessions(struct gw_tls_ctx *x, const struct gw_tls_ctx_conf *c, char *err, size_t errlen)
{
	SSL_CTX *s = x->ssl;
	const char *sid;

	if (!c->server) {
		client_new_session_setup(s);
		return 0;
	}
	/* stateless tickets only: no cache, so nothing shared needs a lock */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	/* a ticket resumes only where this matches (OpenSSL also wants it set
	 * before it resumes a session whose client certificate it verified) */
	sid = c->session_context != NULL ? c->session_context : "meshgw";
	if (strlen(sid) > SSL_MAX_SID_CTX_LENGTH ||
	    SSL_CTX_set_session_id_context(s, (const unsigned char *)sid,
					   (unsigned int)strlen(sid)) != 1)
		return fail(err, errlen, "bad session context");
	if (c->n_ticket_keys == 0 || c->ticket_keys == NULL) {
		SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(s, 0);
		return 0;
	}
	if (c->n_ticket_keys > GW_TLS_TICKET_KEYS)
		return fail(err, errlen, "too many ticket keys");
	x->ticket_cipher = EVP_CIPHER_fetch(c->libctx, "AES-256-CBC", NULL);
	if (x->ticket_cipher == NULL)
		return fail(err, errlen, "no AES-256-CBC for tickets");
	memcpy(x->keys, c->ticket_keys, c->n_ticket_keys * sizeof(*x->keys));
	x->n_keys = c->n_ticket_keys;
	SSL_CTX_set_num_tickets(s, 1);
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(s, ticket_cb) != 1)
		return fail(err, errlen, "cannot set the ticket callback");
	return 0;
}

static int
new_session_cb(SSL *s, SSL_SESSION *sess)
{
	int taken = 0;

	gw_tls_new_session(s, sess, &taken);
	return taken;
}

static void
client_new_session_setup(SSL_CTX *s)
{
	/* the application keeps sessions (per destination), not OpenSSL */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(s, new_session_cb);
}

static int
configure(struct gw_tls_ctx *x, const struct gw_tls_ctx_conf *c, char *err, size_t errlen)
{
	SSL_CTX *s = x->ssl;
	int rc;

	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				       SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA |
				       SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* records are written whole into mbufs; a retried write may move */
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* the chain is the caller's (intermediates): never the root from the store */
	SSL_CTX_set_mode(s, SSL_MODE_NO_AUTO_CHAIN);
	/* let OpenSSL take all the ciphertext there is in one BIO read */
	SSL_CTX_set_read_ahead(s, 1);
	if ((rc = set_versions(s, c, err, errlen)) != 0 ||
	    (rc = set_identity(s, c, err, errlen)) != 0 ||
	    (rc = set_trust(s, c, err, errlen)) != 0 || (rc = set_sessions(x, c, err, errlen)) != 0)
		return rc;
	if (c->server && c->sni != NULL) {
		SSL_CTX_set_tlsext_servername_callback(s, servername_cb);
		SSL_CTX_set_tlsext_servername_arg(s, x);
	}
	return 0;
}

struct gw_tls_ctx *
gw_tls_ctx_new(const struct gw_tls_ctx_conf *conf, char *err, size_t errlen)
{
	struct gw_tls_ctx *x = NULL;
	SSL_CTX *s = NULL;
	int rc;

	if (conf == NULL) {
		snprintf(err, errlen, "no configuration");
		errno = EINVAL;
		return NULL;
	}
	if ((rc = gw_tls_global_init()) != 0) {
		snprintf(err, errlen, "OpenSSL setup failed");
		errno = -rc;
		return NULL;
	}
	ERR_clear_error();
	x = calloc(1, sizeof(*x));
	s = SSL_CTX_new_ex(conf->libctx, NULL, TLS_method());
	if (x == NULL || s == NULL || SSL_CTX_set_ex_data(s, ctx_index, x) != 1) {
		free(x);
		SSL_CTX_free(s);
		snprintf(err, errlen, "no memory for a TLS context");
		ERR_clear_error();
		errno = ENOMEM;
		return NULL;
	}
	/* from here x belongs to s */
	x->ssl = s;
	x->server = conf->server;
	x->sni = conf->sni;
	x->sni_arg = conf->sni_arg;
	rc = configure(x, conf, err, errlen);
	if (rc != 0) {
		SSL_CTX_free(s);
		errno = -rc;
		return NULL;
	}
	return x;
}

void
gw_tls_ctx_free(struct gw_tls_ctx *ctx)
{
	if (ctx != NULL)
		SSL_CTX_free(ctx->ssl); /* frees ctx with the last reference */
}

SSL_CTX *
gw_tls_ctx_ssl(struct gw_tls_ctx *ctx)
{
	return ctx->ssl;
}

/* ---- certificates ------------------------------------------------------------------ */

int
gw_tls_cert_uri(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *names;
	int rc = -ENOENT;

	if (x == NULL)
		return -ENOENT;
	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type != GEN_URI)
			continue;
		const ASN1_STRING *u = g->d.uniformResourceIdentifier;
		size_t n = (size_t)ASN1_STRING_length(u);
		if (memchr(ASN1_STRING_get0_data(u), '\0', n) != NULL) {
			rc = -EBADMSG; /* an embedded NUL: never a valid identity */
			break;
		}
		if (n >= len) {
			rc = -ENOSPC;
			break;
		}
		memcpy(buf, ASN1_STRING_get0_data(u), n);
		buf[n] = '\0';
		rc = 0;
		break;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return rc;
}

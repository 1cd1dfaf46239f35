/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tls.c - TLS on the stack (gw_tls.c) between two real stacks wired
 * back to back with a virtual clock: node A (10.0.0.1) is the client, node
 * B (10.0.0.2) the server on port 443, each with its own TLS worker. A CA
 * and ECDSA P-256 leaf certificates with SPIFFE URI SANs are made in
 * memory, plus a second CA nobody else trusts.
 *
 * Checks: mutual TLS 1.3 with both identities seen; MiBs each way with
 * SHA-256 at both ends over writes from 1 byte to 200 KB in odd segments;
 * a slow reader closing the TCP window; resumption from a ticket on the
 * same and another worker's context and across a key rotation; refusals
 * (no client certificate, another CA either way, TLS 1.2 against a 1.3
 * server, the application's own refusal); close_notify, half-close and a
 * FIN without close_notify; TLS 1.2 where allowed; the handshake budget;
 * the OpenSSL error queue empty after every step; every mbuf back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "gw_tls.h"
#include "stk.h"
#include "ut_eal.h"
#include "ut_wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define A_IP	       IP(10, 0, 0, 1)
#define B_IP	       IP(10, 0, 0, 2)
#define PORT	       443
#define STEP_US	       200
#define URI_A	       "spiffe://mesh.test/ns/a/sa/client"
#define URI_B	       "spiffe://mesh.test/ns/b/sa/server"
#define URI_X	       "spiffe://other.test/ns/x/sa/intruder"
#define URI_C	       "spiffe://mesh.test/ns/c/sa/alt"

static struct rte_mempool *pool;
static struct stk_routes *routes;
static uint64_t now, tsc_us;
static bool stale_error; /* the test put an error in the queue itself */

/* ---- two nodes and the wire between them ---------------------------------- */

static struct ut_node na, nb;
static struct gw_tls_worker *wa, *wb; /* each node's TLS state */

static void
make_node(struct ut_node *nd, struct gw_tls_worker **w, uint8_t mac_last, uint32_t addr,
	  unsigned int hs_budget)
{
	assert_non_null(ut_node_init(nd, pool, routes, mac_last, addr, 64, 20000, now));
	*w = gw_tls_worker_new(pool, hs_budget, SOCKET_ID_ANY);
	assert_non_null(*w);
}

/* ---- certificates ---------------------------------------------------------- */

struct ident {
	EVP_PKEY *key;
	X509 *cert;
};
static struct ident ca1, ca2, leaf_a, leaf_b, leaf_c, leaf_x;
static STACK_OF(X509) * trust1, *trust2;

static void
add_ext(X509 *x, X509V3_CTX *v, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v, nid, value);

	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for id->key signed by issuer (NULL: self-signed CA). */
static void
make_ident(struct ident *id, const char *cn, const char *uri, const struct ident *issuer,
	   long serial)
{
	X509V3_CTX v;
	X509 *x;
	char san[160];

	id->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(id->key);
	x = X509_new();
	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer->cert : x));
	X509_set_pubkey(x, id->key);
	X509V3_set_ctx(&v, issuer ? issuer->cert : x, x, NULL, NULL, 0);
	add_ext(x, &v, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(x, &v, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, &v, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, &v, NID_authority_key_identifier, "keyid");
		add_ext(x, &v, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, &v, NID_key_usage, "critical,digitalSignature");
		add_ext(x, &v, NID_ext_key_usage, "serverAuth,clientAuth");
		snprintf(san, sizeof(san), "URI:%s,DNS:%s.test", uri, cn);
		add_ext(x, &v, NID_subject_alt_name, san);
	}
	assert_true(X509_sign(x, issuer ? issuer->key : id->key, EVP_sha256()) > 0);
	id->cert = x;
}

static void
free_ident(struct ident *id)
{
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
}

static struct gw_tls_ticket_key key1, key2, key3;

static struct gw_tls_ctx *
make_ctx(bool server, const struct ident *id, STACK_OF(X509) * trust, int min, int max,
	 const struct gw_tls_ticket_key *keys, unsigned int n_keys)
{
	struct gw_tls_ctx_conf c = {
		.server = server,
		.cert = id ? id->cert : NULL,
		.key = id ? id->key : NULL,
		.trust = trust,
		.require_peer_cert = server && trust != NULL,
		.min_version = min,
		.max_version = max,
		.ticket_keys = keys,
		.n_ticket_keys = n_keys,
	};
	char err[256] = "";
	struct gw_tls_ctx *x = gw_tls_ctx_new(&c, err, sizeof(err));

	if (x == NULL)
		fprintf(stderr, "ctx: %s\n", err);
	assert_non_null(x);
	return x;
}

/* ---- the applications at both ends ------------------------------------------ */

struct end {
	struct gw_tls *t;
	struct stk_conn *c;
	int hs, peer_closed, closed, resets, last_err;
	int refuse; /* handshake_done returns this */
	char peer_uri[160];
	struct gw_tls_info hs_info, end_info; /* at the handshake, at peer_closed */
	/* receiving */
	EVP_MD_CTX *rx_md;
	uint64_t rx_bytes;
	uint32_t unconsumed;	/* delivered, not yet given back */
	uint32_t read_per_step; /* slow reader: 0 reads everything at once */
	uint32_t max_plain_held, max_rx_queued;
	bool window_closed;
	/* sending */
	EVP_MD_CTX *tx_md;
	uint64_t tx_total, tx_done;
	uint32_t rng;
	unsigned int size_idx;
	struct rte_mbuf *pending;
	unsigned int eagain;
	bool shut_when_sent, shut_sent, shut_on_peer_closed;
	SSL_SESSION *sess;
};
static struct end cli, srv;
static struct gw_tls_ctx *srv_ctx;
static int srv_accepts;

static uint32_t
xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void
end_init(struct end *e, uint32_t seed)
{
	memset(e, 0, sizeof(*e));
	e->rng = seed;
	e->rx_md = EVP_MD_CTX_new();
	e->tx_md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestInit_ex(e->rx_md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestInit_ex(e->tx_md, EVP_sha256(), NULL), 1);
}

static void
end_fini(struct end *e)
{
	rte_pktmbuf_free(e->pending);
	SSL_SESSION_free(e->sess);
	EVP_MD_CTX_free(e->rx_md);
	EVP_MD_CTX_free(e->tx_md);
	e->pending = NULL;
	e->sess = NULL;
	e->rx_md = e->tx_md = NULL;
}

static int
e_handshake(void *ctx, struct stk_conn *c, struct gw_tls *t)
{
	struct end *e = ctx;

	assert_ptr_equal(c, e->c);
	e->hs++;
	gw_tls_get_info(t, &e->hs_info);
	if (gw_tls_cert_uri(gw_tls_peer_cert(t), e->peer_uri, sizeof(e->peer_uri)) != 0)
		e->peer_uri[0] = '\0';
	return e->refuse;
}

static void
e_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct end *e = ctx;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct gw_tls_info i;

	assert_ptr_equal(c, e->c);
	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		EVP_DigestUpdate(e->rx_md, rte_pktmbuf_mtod(s, void *), s->data_len);
	e->rx_bytes += len;
	rte_pktmbuf_free(m);
	gw_tls_get_info(e->t, &i);
	e->max_plain_held = RTE_MAX(e->max_plain_held, i.plain_held);
	if (e->read_per_step == 0)
		gw_tls_consumed(e->t, len);
	else
		e->unconsumed += len;
}

static void send_more(struct end *e);

static void
e_writable(void *ctx, struct stk_conn *c)
{
	struct end *e = ctx;

	assert_ptr_equal(c, e->c);
	send_more(e);
}

static void
e_peer_closed(void *ctx, struct stk_conn *c)
{
	struct end *e = ctx;

	assert_ptr_equal(c, e->c);
	e->peer_closed++;
	gw_tls_get_info(e->t, &e->end_info);
	if (e->shut_on_peer_closed)
		send_more(e);
}

static void
e_reset(void *ctx, struct stk_conn *c, int err)
{
	struct end *e = ctx;

	assert_ptr_equal(c, e->c);
	e->resets++;
	e->last_err = err;
	gw_tls_get_info(e->t, &e->end_info);
}

static void
e_closed(void *ctx, struct stk_conn *c)
{
	struct end *e = ctx;

	assert_ptr_equal(c, e->c);
	e->closed++;
	e->t = NULL;
	e->c = NULL;
}

static bool
e_new_session(void *ctx, struct stk_conn *c, SSL_SESSION *s)
{
	struct end *e = ctx;

	(void)c;
	SSL_SESSION_free(e->sess); /* keep the newest */
	e->sess = s;
	return true;
}

static const struct gw_tls_ops e_ops = {
	.handshake_done = e_handshake,
	.data = e_data,
	.writable = e_writable,
	.peer_closed = e_peer_closed,
	.reset = e_reset,
	.closed = e_closed,
	.new_session = e_new_session,
};

/* Writes from 1 byte to 200 KB, in segments of odd sizes. */
static const uint32_t sizes[] = {1, 100, 1448, 16383, 16384, 16385, 65536, 200000, 7, 3000};

static struct rte_mbuf *
make_chain(struct end *e, uint32_t len)
{
	struct rte_mbuf *head = NULL;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(len, 1 + xorshift(&e->rng) % 2048);
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (uint32_t i = 0; i < n; i++)
			p[i] = (uint8_t)xorshift(&e->rng);
		EVP_DigestUpdate(e->tx_md, p, n);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		len -= n;
	}
	return head;
}

static void
send_more(struct end *e)
{
	while (e->t != NULL && e->tx_done < e->tx_total) {
		uint32_t len;
		int rc;

		if (e->pending == NULL) {
			len = (uint32_t)RTE_MIN((uint64_t)sizes[e->size_idx++ % RTE_DIM(sizes)],
						e->tx_total - e->tx_done);
			e->pending = make_chain(e, len);
		}
		len = rte_pktmbuf_pkt_len(e->pending);
		rc = gw_tls_send(e->t, e->pending);
		if (rc == -EAGAIN) {
			e->eagain++;
			return;
		}
		assert_int_equal(rc, 0);
		e->pending = NULL;
		e->tx_done += len;
	}
	if (e->t != NULL && e->shut_when_sent && !e->shut_sent && e->tx_done == e->tx_total &&
	    (!e->shut_on_peer_closed || e->peer_closed)) {
		e->shut_sent = true;
		assert_int_equal(gw_tls_shutdown(e->t), 0);
	}
}

/* The slow reader gives back a little each step; the sender pushes. */
static void
app_step(struct end *e)
{
	struct gw_tls_info i;

	if (e->t == NULL)
		return;
	if (e->read_per_step != 0 && e->unconsumed != 0) {
		uint32_t n = RTE_MIN(e->unconsumed, e->read_per_step);
		e->unconsumed -= n;
		gw_tls_consumed(e->t, n);
	}
	if (e->t == NULL)
		return;
	gw_tls_get_info(e->t, &i);
	e->max_rx_queued = RTE_MAX(e->max_rx_queued, i.rx_queued);
	if (e->read_per_step != 0) {
		struct stk_conn_info ci;
		stk_conn_get_info(e->c, &ci);
		e->window_closed |= ci.rcv_wnd == 0;
	}
	send_more(e);
}

static int
srv_accepted(void *lctx, struct stk_conn *c)
{
	(void)lctx;
	srv_accepts++;
	srv.c = c;
	assert_int_equal(gw_tls_attach(wb, srv_ctx, c, NULL, &e_ops, &srv, &srv.t), 0);
	return 0;
}

static const struct stk_tcp_ops lsn_ops = {.accepted = srv_accepted};

static void
run_step(void)
{
	ut_wire_deliver(&na, &nb, now);
	ut_wire_deliver(&nb, &na, now);
	stk_poll(na.ctx, now);
	stk_poll(nb.ctx, now);
	gw_tls_poll(wa);
	gw_tls_poll(wb);
	app_step(&cli);
	app_step(&srv);
	stk_flush(na.ctx);
	stk_flush(nb.ctx);
	/* nothing of one connection's errors is left for the next SSL call */
	if (!stale_error)
		assert_int_equal(ERR_peek_error(), 0);
	now += STEP_US * tsc_us;
}

static void
run_ms(uint64_t ms)
{
	for (uint64_t t = 0; t < ms * 1000; t += STEP_US)
		run_step();
}

/* Runs until *flag (or max_ms). */
static void
run_until(const int *flag, uint64_t max_ms)
{
	for (uint64_t t = 0; t < max_ms * 1000 && !*flag; t += STEP_US)
		run_step();
}

static void
connect_with(struct gw_tls_ctx *cctx, const struct gw_tls_conn_conf *cc)
{
	assert_int_equal(gw_tls_connect(wa, cctx, na.ctx, 0, B_IP, PORT, cc, &e_ops, &cli, &cli.t),
			 0);
	cli.c = gw_tls_conn(cli.t);
}

/* Both ends close cleanly (close_notify both ways) and are gone. */
static void
close_both(void)
{
	cli.shut_when_sent = true;
	srv.shut_when_sent = srv.shut_on_peer_closed = true;
	send_more(&cli);
	run_until(&srv.closed, 3000);
	run_until(&cli.closed, 3000);
	assert_int_equal(cli.closed, 1);
	assert_int_equal(srv.closed, 1);
}

static void
digests_equal(EVP_MD_CTX *a, EVP_MD_CTX *b)
{
	unsigned char da[32], db[32];
	unsigned int la = 0, lb = 0;

	assert_int_equal(EVP_DigestFinal_ex(a, da, &la), 1);
	assert_int_equal(EVP_DigestFinal_ex(b, db, &lb), 1);
	assert_int_equal(la, 32);
	assert_memory_equal(da, db, 32);
}

/* ---- tests -------------------------------------------------------------------- */

static struct gw_tls_ctx *
client_ctx(void)
{
	return make_ctx(false, &leaf_a, trust1, 0, 0, NULL, 0);
}

static void
test_mtls_handshake(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx();
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	connect_with(cctx, NULL);
	run_until(&srv.hs, 1000);
	run_until(&cli.hs, 1000);
	assert_int_equal(cli.hs, 1);
	assert_int_equal(srv.hs, 1);
	/* both identities, verified against the CA */
	assert_string_equal(cli.peer_uri, URI_B);
	assert_string_equal(srv.peer_uri, URI_A);
	assert_int_equal(cli.hs_info.version, TLS1_3_VERSION);
	assert_int_equal(srv.hs_info.version, TLS1_3_VERSION);
	assert_int_equal(cli.hs_info.verify_result, X509_V_OK);
	assert_int_equal(srv.hs_info.verify_result, X509_V_OK);
	assert_true(strncmp(cli.hs_info.cipher, "TLS_AES_", 8) == 0 ||
		    strcmp(cli.hs_info.cipher, "TLS_CHACHA20_POLY1305_SHA256") == 0);
	assert_false(cli.hs_info.resumed);
	/* a listing of the stack's connections can tell whose they are */
	{
		struct stk_conn_info ci;
		const struct gw_tls_ops *ops = NULL;
		void *app = NULL;

		stk_conn_get_info(srv.c, &ci);
		assert_true(gw_tls_app_of(&ci, &ops, &app));
		assert_ptr_equal(ops, &e_ops);
		assert_ptr_equal(app, &srv);
	}
	assert_int_equal(sa->handshakes, 1);
	assert_int_equal(sb->handshakes, 1);
	assert_int_equal(sa->active, 1);
	assert_true(sa->records_out >= 3 && sb->records_in >= 3);
	close_both();
	/* close_notify both ways: clean ends */
	assert_int_equal(srv.peer_closed, 1);
	assert_int_equal(cli.peer_closed, 1);
	assert_true(srv.end_info.clean);
	assert_true(cli.end_info.clean);
	assert_int_equal(sa->close_notify_in, 1);
	assert_int_equal(sb->close_notify_in, 1);
	assert_int_equal(sa->active, 0);
	assert_int_equal(sb->active, 0);
	gw_tls_ctx_free(cctx);
}

static void
transfer(uint64_t each_way, uint32_t slow_read)
{
	struct gw_tls_ctx *cctx = client_ctx();
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);

	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	cli.tx_total = srv.tx_total = each_way;
	srv.read_per_step = slow_read;
	connect_with(cctx, NULL);
	run_until(&srv.hs, 1000);
	for (unsigned int i = 0; i < 400000 && (cli.rx_bytes < each_way || srv.rx_bytes < each_way);
	     i++) {
		run_step();
		if (slow_read && srv.rx_bytes > each_way / 2)
			srv.read_per_step = 1u << 20; /* the reader catches up */
	}
	assert_int_equal(cli.tx_done, each_way);
	assert_int_equal(srv.tx_done, each_way);
	assert_int_equal(srv.rx_bytes, each_way);
	assert_int_equal(cli.rx_bytes, each_way);
	digests_equal(cli.tx_md, srv.rx_md);
	digests_equal(srv.tx_md, cli.rx_md);
	assert_int_equal(sa->plain_out, each_way);
	assert_int_equal(sb->plain_in, each_way);
	assert_true(sa->cipher_out > each_way && sb->cipher_in == sa->cipher_out);
	assert_true(sa->records_out >= each_way / 16384);
	/* plaintext held stays within the default 64 KiB plus one mbuf */
	assert_true(srv.max_plain_held <= 65536 + 2048);
	assert_true(cli.max_plain_held <= 65536 + 2048);
	close_both();
	gw_tls_ctx_free(cctx);
}

static void
test_transfer(void **state)
{
	(void)state;
	transfer(3u << 20, 0);
	/* the big writes were refused at times: send space is respected */
	assert_true(cli.eagain > 0);
}

static void
test_backpressure(void **state)
{
	(void)state;
	transfer(2u << 20, 4096);
	/* the slow reader held the TCP window shut and the sender waited */
	assert_true(srv.window_closed);
	assert_true(cli.eagain > 0);
	/* ciphertext waiting in the stack's mbufs stays within the window */
	assert_true(srv.max_rx_queued > 0 && srv.max_rx_queued <= 262144 + 2048);
}

/* One connection to srv_ctx with the client's session (if any); returns
 * whether it resumed; keeps the newest ticket. */
static bool
one_conn(struct gw_tls_ctx *cctx)
{
	struct gw_tls_conn_conf cc = {.session = cli.sess};
	SSL_SESSION *keep = cli.sess;
	bool resumed;

	cli.hs = srv.hs = cli.closed = srv.closed = 0;
	cli.peer_closed = srv.peer_closed = 0;
	cli.shut_sent = srv.shut_sent = false;
	if (keep != NULL)
		SSL_SESSION_up_ref(keep);
	connect_with(cctx, &cc);
	SSL_SESSION_free(keep); /* the SSL holds its own */
	run_until(&cli.hs, 1000);
	run_until(&srv.hs, 1000);
	assert_int_equal(cli.hs, 1);
	assert_int_equal(srv.hs, 1);
	resumed = srv.hs_info.resumed;
	assert_int_equal(cli.hs_info.resumed, resumed);
	/* a resumed session still names the client (from the ticket) */
	assert_string_equal(srv.peer_uri, URI_A);
	assert_string_equal(cli.peer_uri, URI_B);
	/* the ticket comes after the handshake in TLS 1.3 */
	run_ms(5);
	close_both();
	return resumed;
}

static void
test_resumption(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx(), *other, *rotated, *stranger;
	const struct gw_tls_stats *sb = gw_tls_get_stats(wb);
	struct gw_tls_ticket_key k1[] = {key1}, k21[] = {key2, key1}, k3[] = {key3};

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, k1, 1);
	assert_false(one_conn(cctx));
	assert_non_null(cli.sess);
	assert_true(one_conn(cctx));
	assert_int_equal(sb->resumed, 1);
	assert_int_equal(sb->handshakes, 2);
	/* TLS 1.3 tickets are used once: each resumption brought a fresh one */
	assert_true(one_conn(cctx));
	/* another worker's context with the same keys opens the ticket */
	other = make_ctx(true, &leaf_b, trust1, 0, 0, k1, 1);
	gw_tls_ctx_free(srv_ctx);
	srv_ctx = other;
	assert_true(one_conn(cctx));
	/* rotated: a new sealing key, the old one still opens */
	rotated = make_ctx(true, &leaf_b, trust1, 0, 0, k21, 2);
	gw_tls_ctx_free(srv_ctx);
	srv_ctx = rotated;
	assert_true(one_conn(cctx));
	assert_true(one_conn(cctx)); /* and the renewed ticket is the new key's */
	/* keys that never sealed it: a full handshake */
	stranger = make_ctx(true, &leaf_b, trust1, 0, 0, k3, 1);
	gw_tls_ctx_free(srv_ctx);
	srv_ctx = stranger;
	assert_false(one_conn(cctx));
	assert_int_equal(sb->resumed, 5);
	assert_int_equal(sb->handshakes, 7);
	gw_tls_ctx_free(cctx);
}

/* A refused handshake: both ends hear reset and closed; nothing leaks. */
static void
refused_cc(struct gw_tls_ctx *cctx, const struct gw_tls_conn_conf *cc)
{
	connect_with(cctx, cc);
	run_until(&srv.closed, 2000);
	run_until(&cli.closed, 2000);
	assert_int_equal(srv.closed, 1);
	assert_int_equal(cli.closed, 1);
	assert_int_equal(srv.resets, 1);
	assert_int_equal(cli.resets, 1);
}

static void
refused(struct gw_tls_ctx *cctx)
{
	refused_cc(cctx, NULL);
}

static uint64_t
failed(const struct gw_tls_stats *s, enum gw_tls_reason r)
{
	return s->hs_failed[r] + s->errors[r];
}

static void
test_no_client_cert(void **state)
{
	struct gw_tls_ctx *cctx = make_ctx(false, NULL, trust1, 0, 0, NULL, 0);
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	refused(cctx);
	assert_int_equal(srv.hs, 0);
	assert_int_equal(srv.last_err, EPROTO);
	assert_int_equal(srv.end_info.reason, GW_TLS_R_NO_PEER_CERT);
	assert_int_equal(sb->hs_failed[GW_TLS_R_NO_PEER_CERT], 1);
	/* TLS 1.3: the client is done before the server says no */
	assert_int_equal(cli.last_err, EPROTO);
	assert_int_equal(cli.end_info.reason, GW_TLS_R_ALERT);
	assert_int_equal(cli.end_info.alert, 116); /* certificate_required */
	assert_int_equal(failed(sa, GW_TLS_R_ALERT), 1);
	assert_int_equal(sb->handshakes, 0);
	gw_tls_ctx_free(cctx);
}

static void
test_other_ca(void **state)
{
	struct gw_tls_ctx *cctx = make_ctx(false, &leaf_a, trust2, 0, 0, NULL, 0);
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);
	char why[512];

	(void)state;
	/* the client trusts another CA: it refuses the server */
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	refused(cctx);
	assert_int_equal(cli.hs, 0);
	assert_int_equal(cli.end_info.reason, GW_TLS_R_VERIFY);
	assert_int_equal(cli.end_info.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(sa->hs_failed[GW_TLS_R_VERIFY], 1);
	assert_int_equal(srv.end_info.reason, GW_TLS_R_ALERT);
	assert_int_equal(srv.end_info.alert, SSL_AD_UNKNOWN_CA);
	assert_int_equal(sb->hs_failed[GW_TLS_R_ALERT], 1);
	gw_tls_ctx_free(cctx);
	gw_tls_ctx_free(srv_ctx);
	/* a client certificate from another CA: the server refuses it */
	end_fini(&cli);
	end_fini(&srv);
	end_init(&cli, 1);
	end_init(&srv, 2);
	cctx = make_ctx(false, &leaf_x, trust1, 0, 0, NULL, 0);
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	refused(cctx);
	assert_int_equal(srv.hs, 0);
	assert_int_equal(srv.end_info.reason, GW_TLS_R_VERIFY);
	assert_int_equal(sb->hs_failed[GW_TLS_R_VERIFY], 1);
	assert_int_equal(failed(sa, GW_TLS_R_ALERT), 1);
	(void)why;
	gw_tls_ctx_free(cctx);
}

static void
test_half_close(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx();
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);
	struct rte_mbuf *m;

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	connect_with(cctx, NULL);
	run_until(&srv.hs, 1000);
	run_until(&cli.hs, 1000);
	/* the client says all and shuts down; the server answers after that */
	cli.tx_total = 100000;
	cli.shut_when_sent = true;
	srv.tx_total = 50000;
	srv.shut_when_sent = srv.shut_on_peer_closed = true;
	send_more(&cli);
	run_until(&srv.peer_closed, 2000);
	assert_int_equal(srv.rx_bytes, 100000);
	assert_true(srv.end_info.clean);
	/* no sending after our own shutdown */
	m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	rte_pktmbuf_append(m, 1);
	assert_int_equal(gw_tls_send(cli.t, m), -EPIPE);
	rte_pktmbuf_free(m);
	/* the server still sends after the client's close_notify */
	run_until(&cli.closed, 3000);
	run_until(&srv.closed, 3000);
	assert_int_equal(cli.rx_bytes, 50000);
	assert_int_equal(srv.tx_done, 50000);
	digests_equal(cli.tx_md, srv.rx_md);
	digests_equal(srv.tx_md, cli.rx_md);
	assert_true(cli.end_info.clean);
	assert_int_equal(cli.resets + srv.resets, 0);
	assert_int_equal(sa->close_notify_in + sb->close_notify_in, 2);

	/* a FIN without close_notify: peer_closed, but not clean */
	end_fini(&cli);
	end_fini(&srv);
	end_init(&cli, 3);
	end_init(&srv, 4);
	connect_with(cctx, NULL);
	run_until(&srv.hs, 1000);
	run_until(&cli.hs, 1000);
	assert_int_equal(stk_conn_shutdown(gw_tls_conn(cli.t)), 0);
	run_until(&srv.peer_closed, 1000);
	assert_false(srv.end_info.clean);
	assert_int_equal(sb->eof_unclean, 1);
	close_both();
	gw_tls_ctx_free(cctx);
}

static void
test_tls12(void **state)
{
	struct gw_tls_ctx *cctx =
		make_ctx(false, &leaf_a, trust1, TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0);
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa), *sb = gw_tls_get_stats(wb);
	struct gw_tls_ctx_conf bad = {.server = true,
				      .cert = leaf_b.cert,
				      .key = leaf_b.key,
				      .min_version = TLS1_1_VERSION};
	char err[256];

	(void)state;
	/* never below 1.2 */
	assert_null(gw_tls_ctx_new(&bad, err, sizeof(err)));
	assert_non_null(strstr(err, "1.2"));
	/* allowed where configured (ingress) */
	srv_ctx = make_ctx(true, &leaf_b, trust1, TLS1_2_VERSION, 0, NULL, 0);
	cli.tx_total = srv.tx_total = 300000;
	connect_with(cctx, NULL);
	for (unsigned int i = 0; i < 20000 && (cli.rx_bytes < 300000 || srv.rx_bytes < 300000); i++)
		run_step();
	assert_int_equal(cli.hs_info.version, TLS1_2_VERSION);
	assert_int_equal(srv.hs_info.version, TLS1_2_VERSION);
	assert_string_equal(srv.peer_uri, URI_A);
	assert_non_null(strstr(srv.hs_info.cipher, "GCM"));
	digests_equal(cli.tx_md, srv.rx_md);
	digests_equal(srv.tx_md, cli.rx_md);
	close_both();
	gw_tls_ctx_free(srv_ctx);
	/* refused by a 1.3-only server (the tunnel) */
	end_fini(&cli);
	end_fini(&srv);
	end_init(&cli, 5);
	end_init(&srv, 6);
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	refused(cctx);
	assert_int_equal(srv.end_info.reason, GW_TLS_R_VERSION);
	assert_int_equal(cli.end_info.reason, GW_TLS_R_VERSION);
	assert_int_equal(sb->hs_failed[GW_TLS_R_VERSION], 1);
	assert_int_equal(sa->hs_failed[GW_TLS_R_VERSION], 1);
	gw_tls_ctx_free(cctx);
}

/* The application refuses the peer's identity in handshake_done. */
static void
test_app_refuses(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx();
	const struct gw_tls_stats *sb = gw_tls_get_stats(wb);

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	srv.refuse = -EACCES;
	refused(cctx);
	assert_int_equal(srv.hs, 1);
	assert_int_equal(srv.last_err, EACCES);
	assert_int_equal(sb->hs_failed[GW_TLS_R_REFUSED], 1);
	assert_int_equal(sb->handshakes, 0);
	assert_int_equal(cli.last_err, ECONNRESET);
	gw_tls_ctx_free(cctx);
}

/* A failing connection next to a good one; a stale error in the queue
 * before the good one's calls changes nothing. */
static void
test_error_queue(void **state)
{
	struct gw_tls_ctx *bad = make_ctx(false, &leaf_a, trust2, 0, 0, NULL, 0);
	struct gw_tls_ctx *good = client_ctx();
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa);
	struct gw_tls_info i;

	(void)state;
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	refused(bad);
	assert_int_equal(ERR_peek_error(), 0);
	end_fini(&cli);
	end_fini(&srv);
	end_init(&cli, 7);
	end_init(&srv, 8);
	connect_with(good, NULL);
	ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED); /* somebody else's leftover */
	stale_error = true;
	run_until(&srv.hs, 1000);
	run_until(&cli.hs, 1000);
	stale_error = false;
	assert_int_equal(ERR_peek_error(), 0); /* our calls cleared it */
	assert_int_equal(cli.hs, 1);
	assert_int_equal(srv.hs, 1);
	gw_tls_get_info(cli.t, &i);
	assert_int_equal(i.reason, GW_TLS_R_NONE);
	assert_int_equal(i.ssl_error, 0);
	assert_int_equal(sa->hs_failed[GW_TLS_R_VERIFY], 1);
	assert_int_equal(sa->handshakes, 1);
	/* SSL_read/SSL_write do not clear the queue themselves: a leftover
	 * there would make SSL_get_error say SSL_ERROR_SSL for a WANT_READ */
	cli.tx_total = srv.tx_total = 100000;
	stale_error = true;
	for (unsigned int n = 0; n < 20000 && (cli.rx_bytes < 100000 || srv.rx_bytes < 100000);
	     n++) {
		ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
		run_step();
	}
	stale_error = false;
	ERR_clear_error();
	assert_int_equal(srv.rx_bytes, 100000);
	assert_int_equal(cli.rx_bytes, 100000);
	assert_int_equal(cli.resets + srv.resets, 0);
	close_both();
	gw_tls_ctx_free(bad);
	gw_tls_ctx_free(good);
}

/* The server's TLS worker draws on a pool far smaller than its send
 * buffer: reads and writes wait for mbufs (counted), the poll takes them
 * up again, and every byte still arrives. */
static void
test_nomem(void **state)
{
	struct rte_mempool *small = ut_pool("tls_small", 80);
	const struct gw_tls_stats *sb;

	(void)state;
	assert_non_null(small);
	gw_tls_worker_free(wb);
	wb = gw_tls_worker_new(small, 0, SOCKET_ID_ANY);
	assert_non_null(wb);
	sb = gw_tls_get_stats(wb);
	transfer(1u << 20, 0);
	assert_true(sb->nomem > 0);
	gw_tls_worker_free(wb);
	wb = NULL;
	assert_int_equal(rte_mempool_in_use_count(small), 0);
	rte_mempool_free(small);
}

/* Ingress: the certificate chosen by SNI; egress: the server's name checked. */
static struct gw_tls_ctx *alt_ctx;

static struct gw_tls_ctx *
pick_by_name(void *arg, const char *name)
{
	assert_ptr_equal(arg, &alt_ctx);
	return strcmp(name, "alt.test") == 0 ? alt_ctx : NULL;
}

static void
sni_conn(struct gw_tls_ctx *cctx, const char *sni, const char *host, const char *uri)
{
	struct gw_tls_conn_conf cc = {.sni = sni, .verify_host = host};

	cli.hs = srv.hs = cli.closed = srv.closed = 0;
	cli.peer_closed = srv.peer_closed = 0;
	cli.shut_sent = srv.shut_sent = false;
	connect_with(cctx, &cc);
	run_until(&cli.hs, 1000);
	run_until(&srv.hs, 1000);
	assert_int_equal(cli.hs, 1);
	assert_string_equal(cli.peer_uri, uri);
	close_both();
}

static void
test_sni_and_host(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx();
	struct gw_tls_ctx_conf sc = {.server = true,
				     .cert = leaf_b.cert,
				     .key = leaf_b.key,
				     .trust = trust1,
				     .min_version = TLS1_2_VERSION,
				     .sni = pick_by_name,
				     .sni_arg = &alt_ctx};
	const struct gw_tls_stats *sa = gw_tls_get_stats(wa);
	struct gw_tls_conn_conf wrong = {.sni = "server.test", .verify_host = "wrong.test"};
	char err[256];

	(void)state;
	alt_ctx = make_ctx(true, &leaf_c, trust1, TLS1_2_VERSION, 0, NULL, 0);
	srv_ctx = gw_tls_ctx_new(&sc, err, sizeof(err));
	assert_non_null(srv_ctx);
	sni_conn(cctx, "alt.test", "alt.test", URI_C);
	sni_conn(cctx, "server.test", "server.test", URI_B);
	sni_conn(cctx, NULL, NULL, URI_B);
	/* the server's certificate does not name the host asked for */
	end_fini(&cli);
	end_fini(&srv);
	end_init(&cli, 9);
	end_init(&srv, 10);
	refused_cc(cctx, &wrong);
	assert_int_equal(cli.end_info.reason, GW_TLS_R_VERIFY);
	assert_int_equal(cli.end_info.verify_result, X509_V_ERR_HOSTNAME_MISMATCH);
	assert_int_equal(sa->hs_failed[GW_TLS_R_VERIFY], 1);
	assert_int_equal(sa->handshakes, 3);
	gw_tls_ctx_free(alt_ctx);
	alt_ctx = NULL;
	gw_tls_ctx_free(cctx);
}

/* Many clients at once with a budget of one handshake step per poll. */
#define N_BURST 6
static struct end burst_cli[N_BURST], burst_srv[N_BURST];
static int burst_accepted;

static int
burst_accept(void *lctx, struct stk_conn *c)
{
	struct end *e = &burst_srv[burst_accepted++];

	(void)lctx;
	e->c = c;
	return gw_tls_attach(wb, srv_ctx, c, NULL, &e_ops, e, &e->t);
}

static const struct stk_tcp_ops burst_lsn_ops = {.accepted = burst_accept};

static void
test_budget(void **state)
{
	struct gw_tls_ctx *cctx = client_ctx();
	const struct gw_tls_stats *sb;
	struct stk_listener *l = NULL;
	int done = 0;

	(void)state;
	gw_tls_worker_free(wb);
	wb = gw_tls_worker_new(pool, 1, SOCKET_ID_ANY);
	assert_non_null(wb);
	sb = gw_tls_get_stats(wb);
	srv_ctx = make_ctx(true, &leaf_b, trust1, 0, 0, NULL, 0);
	assert_int_equal(stk_tcp_listen(nb.ctx, 0, PORT + 1, &burst_lsn_ops, NULL, &l), 0);
	burst_accepted = 0;
	for (int i = 0; i < N_BURST; i++) {
		struct end *e = &burst_cli[i];
		end_init(e, 100 + (uint32_t)i);
		end_init(&burst_srv[i], 200 + (uint32_t)i);
		assert_int_equal(
			gw_tls_connect(wa, cctx, na.ctx, 0, B_IP, PORT + 1, NULL, &e_ops, e, &e->t),
			0);
		e->c = gw_tls_conn(e->t);
	}
	for (int n = 0; n < 20000 && done < N_BURST; n++) {
		run_step();
		done = 0;
		for (int i = 0; i < N_BURST; i++)
			done += burst_srv[i].hs;
	}
	assert_int_equal(done, N_BURST);
	assert_true(sb->hs_deferred > 0);
	assert_int_equal(sb->handshakes, N_BURST);
	for (int i = 0; i < N_BURST; i++)
		gw_tls_abort(burst_cli[i].t);
	run_ms(50);
	for (int i = 0; i < N_BURST; i++) {
		assert_int_equal(burst_srv[i].closed, 1);
		end_fini(&burst_cli[i]);
		end_fini(&burst_srv[i]);
	}
	gw_tls_ctx_free(cctx);
}

static void
test_cert_uri(void **state)
{
	char small[8], buf[160];

	(void)state;
	assert_int_equal(gw_tls_cert_uri(leaf_a.cert, buf, sizeof(buf)), 0);
	assert_string_equal(buf, URI_A);
	assert_int_equal(gw_tls_cert_uri(leaf_a.cert, small, sizeof(small)), -ENOSPC);
	assert_int_equal(gw_tls_cert_uri(ca1.cert, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(gw_tls_cert_uri(NULL, buf, sizeof(buf)), -ENOENT);
}

/* ---- set-up ------------------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	end_init(&cli, 1);
	end_init(&srv, 2);
	srv_accepts = 0;
	srv_ctx = NULL;
	make_node(&na, &wa, 1, A_IP, 0);
	make_node(&nb, &wb, 2, B_IP, 0);
	return stk_tcp_listen(nb.ctx, 0, PORT, &lsn_ops, NULL, &(struct stk_listener *){NULL});
}

static int
teardown(void **state)
{
	(void)state;
	if (cli.t != NULL)
		gw_tls_abort(cli.t);
	if (srv.t != NULL)
		gw_tls_abort(srv.t);
	cli.t = srv.t = NULL;
	ut_node_fini(&na);
	ut_node_fini(&nb);
	gw_tls_worker_free(wa);
	gw_tls_worker_free(wb);
	gw_tls_ctx_free(srv_ctx);
	end_fini(&cli);
	end_fini(&srv);
	na.ctx = nb.ctx = NULL;
	wa = wb = NULL;
	srv_ctx = NULL;
	ERR_clear_error();
	if (rte_mempool_in_use_count(pool) != 0) {
		fprintf(stderr, "mbufs in use: %u\n", rte_mempool_in_use_count(pool));
		return -1;
	}
	return 0;
}

static void
make_pki(void)
{
	make_ident(&ca1, "mesh.test CA", NULL, NULL, 1);
	make_ident(&ca2, "other.test CA", NULL, NULL, 1);
	make_ident(&leaf_a, "client", URI_A, &ca1, 2);
	make_ident(&leaf_b, "server", URI_B, &ca1, 3);
	make_ident(&leaf_c, "alt", URI_C, &ca1, 4);
	make_ident(&leaf_x, "intruder", URI_X, &ca2, 2);
	trust1 = sk_X509_new_null();
	trust2 = sk_X509_new_null();
	sk_X509_push(trust1, ca1.cert);
	sk_X509_push(trust2, ca2.cert);
	for (unsigned int i = 0; i < sizeof(key1.name); i++) {
		key1.name[i] = 1;
		key2.name[i] = 2;
		key3.name[i] = 3;
	}
	memset(key1.aes, 0x11, sizeof(key1.aes));
	memset(key1.hmac, 0x12, sizeof(key1.hmac));
	memset(key2.aes, 0x21, sizeof(key2.aes));
	memset(key2.hmac, 0x22, sizeof(key2.hmac));
	memset(key3.aes, 0x31, sizeof(key3.aes));
	memset(key3.hmac, 0x32, sizeof(key3.hmac));
}

static void
free_pki(void)
{
	sk_X509_free(trust1);
	sk_X509_free(trust2);
	free_ident(&leaf_x);
	free_ident(&leaf_c);
	free_ident(&leaf_b);
	free_ident(&leaf_a);
	free_ident(&ca2);
	free_ident(&ca1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_uri),
		cmocka_unit_test_setup_teardown(test_mtls_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resumption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_client_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nomem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sni_and_host, setup, teardown),
	};
	int rc;

	if (ut_eal_init_mem("test_tls", 256) < 0)
		return 1;
	pool = ut_pool("tls_pool", 16383);
	routes = stk_routes_create("tls_rt", 4, SOCKET_ID_ANY);
	if (pool == NULL || routes == NULL ||
	    stk_routes_add(routes, IP(10, 0, 0, 0), 24, 0, 0) != 0)
		return 1;
	tsc_us = rte_get_tsc_hz() / 1000000;
	now = 1000 * rte_get_tsc_hz();
	make_pki();
	rc = cmocka_run_group_tests_name("test_tls", tests, NULL, NULL);
	free_pki();
	stk_routes_free(routes);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}

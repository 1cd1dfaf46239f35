/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ca_peer.c - the inbound side of the CA (ctl_ca.h): SPIFFE ID
 * parsing, the identity of crafted peer certificates signed by our own CA
 * (no URI SAN, several, malformed, a CA certificate), and a mutual TLS 1.3
 * handshake in memory between two SSL_CTXs built with ctl_cert_use() and
 * ctl_ca_store(), as the workers will.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ca_fixture.h"

#define TD "mesh.local"

static void
test_spiffe_parse(void **state)
{
	static const struct {
		const char *id, *td;
		int rc;
		const char *ns, *sa;
	} cases[] = {
		{"spiffe://mesh.local/ns/web/sa/api", TD, 0, "web", "api"},
		{"spiffe://mesh.local/ns/web/sa/api", NULL, 0, "web", "api"},
		{"spiffe://m-1_x.y/ns/A.b-c_d/sa/Z9", "m-1_x.y", 0, "A.b-c_d", "Z9"},
		{"spiffe://other.org/ns/web/sa/api", TD, -EPERM, NULL, NULL},
		{"spiffe://mesh.loca/ns/web/sa/api", TD, -EPERM, NULL, NULL},
		{"spiffe://mesh.local.x/ns/web/sa/api", TD, -EPERM, NULL, NULL},
		{"SPIFFE://mesh.local/ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://Mesh.local/ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe:///ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns//sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/../sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/.", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/api/", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/api/x", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/a%2fb", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/api?x", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/ns/web/sa/api#x", TD, -EBADMSG, NULL, NULL},
		{"spiffe://user@mesh.local/ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local:443/ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/sa/api/ns/web", TD, -EBADMSG, NULL, NULL},
		{"spiffe://mesh.local/workload/web", TD, -EBADMSG, NULL, NULL},
		{"https://mesh.local/ns/web/sa/api", TD, -EBADMSG, NULL, NULL},
		{"", TD, -EBADMSG, NULL, NULL},
	};
	char ns[CTL_ID_SEGMENT_MAX], sa[CTL_ID_SEGMENT_MAX], id[CTL_IDENTITY_MAX + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ctl_spiffe_parse(cases[i].id, cases[i].td, ns, sa);
		if (rc != cases[i].rc)
			print_error("%s: %d, want %d\n", cases[i].id, rc, cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(ns, cases[i].ns);
			assert_string_equal(sa, cases[i].sa);
		}
	}
	assert_int_equal(ctl_spiffe_parse("spiffe://mesh.local/ns/web/sa/api", TD, NULL, NULL), 0);
	/* the whole ID must be shorter than CTL_IDENTITY_MAX */
	memset(id, 'a', sizeof(id));
	memcpy(id, "spiffe://mesh.local/ns/web/sa/", 30);
	id[CTL_IDENTITY_MAX] = '\0';
	assert_int_equal(ctl_spiffe_parse(id, TD, ns, sa), -EBADMSG);
}

/* A certificate for key pub signed by the CA whose files id names, with
 * the subjectAltName given in OpenSSL's config syntax (NULL: none); a CA
 * certificate when is_ca. */
static X509 *
craft(const struct ctl_identities_conf *id, const struct ctl_ca *ca, const char *san, bool is_ca)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *cakey;
	X509 *x = X509_new();
	X509V3_CTX v3;
	FILE *f = fopen(id->ca.key, "r");

	assert_non_null(f);
	cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(cakey);
	assert_non_null(key);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_set_issuer_name(x, X509_get_subject_name(ctl_ca_cert(ca)));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"crafted", -1, -1, 0);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, ctl_ca_cert(ca), x, NULL, NULL, 0);
	const char *exts[][2] = {
		{"basicConstraints", is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
		{"keyUsage",
		 is_ca ? "critical,keyCertSign,digitalSignature" : "critical,digitalSignature"},
		{"extendedKeyUsage", "serverAuth,clientAuth"},
		{"subjectAltName", san},
	};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (exts[i][1] == NULL)
			continue;
		X509_EXTENSION *e = X509V3_EXT_nconf(NULL, &v3, exts[i][0], exts[i][1]);
		assert_non_null(e);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, cakey, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return x;
}

static void
test_peer_identity(void **state)
{
	static const struct {
		const char *san;
		bool is_ca;
		int rc;
	} cases[] = {
		{"URI:spiffe://mesh.local/ns/web/sa/api", false, 0},
		{"URI:spiffe://mesh.local/ns/web/sa/api,IP:10.0.0.5,DNS:api.web", false, 0},
		{"DNS:api.web.svc,IP:10.0.0.5", false, -ENOENT},
		{NULL, false, -ENOENT},
		{"URI:spiffe://mesh.local/ns/web/sa/api,URI:spiffe://mesh.local/ns/web/sa/admin",
		 false, -ENOTUNIQ},
		{"URI:spiffe://mesh.local/ns/web/sa/api,URI:https://example.org/", false,
		 -ENOTUNIQ},
		{"URI:spiffe://mesh.local/web/api", false, -EBADMSG},
		{"URI:https://mesh.local/ns/web/sa/api", false, -EBADMSG},
		{"URI:spiffe://evil.org/ns/web/sa/api", false, -EPERM},
		{"URI:spiffe://mesh.local/ns/web/sa/api", true, -EINVAL},
	};
	struct ctl_identities_conf id;
	struct ctl_ca *ca;
	char ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&id, TD, "peer", true);
	ca = open_ca(&id);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509 *x = craft(&id, ca, cases[i].san, cases[i].is_ca);
		int rc;
		/* the chain itself is fine: only the identity decides */
		assert_int_equal(openssl_verify(ca, x, NULL, 0), X509_V_OK);
		rc = peer_verify(ca, x, NULL, TD, 0, ident);
		if (rc != cases[i].rc)
			print_error("%s: %d, want %d\n", cases[i].san ? cases[i].san : "(none)", rc,
				    cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
		assert_int_equal(ctl_spiffe_from_cert(x, TD, ident), cases[i].rc);
		if (rc == 0)
			assert_string_equal(ident, "spiffe://mesh.local/ns/web/sa/api");
		else
			assert_string_equal(ident, "");
		X509_free(x);
	}
	/* the root itself presented as a peer: not for TLS clients (keyUsage) */
	assert_int_equal(peer_verify(ca, ctl_ca_cert(ca), NULL, TD, 0, ident), -EACCES);
	ctl_ca_unref(ca);
}

/* An SSL_CTX as a worker would build it from the snapshot. */
static SSL_CTX *
tls_ctx(const struct ctl_ca *ca, const struct ctl_cert *c, bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	X509_STORE *st = ctl_ca_store(ca);

	assert_non_null(ctx);
	assert_non_null(st);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), 1);
	if (c != NULL)
		assert_int_equal(ctl_cert_use(c, ctx), 0);
	assert_int_equal(SSL_CTX_set1_verify_cert_store(ctx, st), 1);
	X509_STORE_free(st);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
}

/* Runs both ends over a BIO pair until both finish or one fails; the
 * server's view of the client's identity into ident. 0 or <0. */
static int
handshake(SSL_CTX *sctx, SSL_CTX *cctx, char *ident)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs = NULL, *bc = NULL;
	int rc = -EAGAIN, sdone = 0, cdone = 0;

	assert_int_equal(BIO_new_bio_pair(&bs, 0, &bc, 0), 1);
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	for (int i = 0; i < 50 && rc == -EAGAIN; i++) {
		int r;
		if (!cdone && (r = SSL_do_handshake(c)) != 1 &&
		    SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
			rc = -EPROTO;
		cdone = cdone || SSL_is_init_finished(c);
		if (!sdone && (r = SSL_do_handshake(s)) != 1 &&
		    SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
			rc = -EPROTO;
		sdone = sdone || SSL_is_init_finished(s);
		if (sdone && cdone && rc == -EAGAIN)
			rc = 0;
	}
	/* TLS 1.3: the client finishes before the server has checked its
	 * certificate; a byte each way settles both sides */
	if (rc == 0) {
		char b = 'x';
		size_t n;
		if (SSL_write_ex(c, &b, 1, &n) != 1 || SSL_read_ex(s, &b, 1, &n) != 1)
			rc = -EPROTO;
	}
	if (rc == 0 && SSL_get_verify_result(s) == X509_V_OK)
		rc = ctl_spiffe_from_cert(SSL_get0_peer_certificate(s), TD, ident);
	ERR_clear_error();
	SSL_free(s);
	SSL_free(c);
	return rc;
}

static void
test_mtls_handshake(void **state)
{
	struct ctl_identities_conf a, b;
	struct ctl_ca *ca, *other;
	struct ctl_cert *gw, *client, *stranger, *expired;
	SSL_CTX *sctx, *cctx;
	char ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&a, TD, "tls", true);
	ca_conf(&b, TD, "tls-other", true);
	ca = open_ca(&a);
	other = open_ca(&b);
	gw = issue(ca, "meshgw", "gateway", 0x0a4d0101, 3600, 0);
	client = issue(ca, "web", "api", 0, 3600, 0);
	stranger = issue(other, "web", "api", 0, 3600, 0);
	expired = issue(ca, "web", "api", 0, 3600, time(NULL) - 86400);
	sctx = tls_ctx(ca, gw, true);

	/* a workload certificate of our CA: accepted, identity known */
	cctx = tls_ctx(ca, client, false);
	assert_int_equal(handshake(sctx, cctx, ident), 0);
	assert_string_equal(ident, "spiffe://" TD "/ns/web/sa/api");
	SSL_CTX_free(cctx);
	/* no certificate, another CA's, an expired one: refused */
	cctx = tls_ctx(ca, NULL, false);
	assert_int_equal(handshake(sctx, cctx, ident), -EPROTO);
	SSL_CTX_free(cctx);
	cctx = tls_ctx(ca, stranger, false);
	assert_int_equal(handshake(sctx, cctx, ident), -EPROTO);
	SSL_CTX_free(cctx);
	cctx = tls_ctx(ca, expired, false);
	assert_int_equal(handshake(sctx, cctx, ident), -EPROTO);
	SSL_CTX_free(cctx);
	/* the client refuses a server of another CA */
	SSL_CTX_free(sctx);
	sctx = tls_ctx(other, stranger, true);
	cctx = tls_ctx(ca, client, false);
	assert_int_equal(handshake(sctx, cctx, ident), -EPROTO);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);

	ctl_cert_free(expired);
	ctl_cert_free(stranger);
	ctl_cert_free(client);
	ctl_cert_free(gw);
	ctl_ca_unref(other);
	ctl_ca_unref(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spiffe_parse),
		cmocka_unit_test(test_peer_identity),
		cmocka_unit_test(test_mtls_handshake),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}

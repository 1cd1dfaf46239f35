/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ca.c - the built-in CA (ctl_ca.h): creating a root, reopening it,
 * refusing a key file others can read, issuing workload certificates and
 * checking them with OpenSSL's own X509_verify_cert (SANs, key, extensions,
 * lifetime), the bundle with two roots, an intermediate CA, renewal times,
 * the description for `meshgwctl certs`, and issuing from several threads.
 * Each test works in its own CA files under one temporary directory.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca_fixture.h"
#include "ctl_ca_internal.h" /* ca_make_root, ca_write_*: an intermediate by hand */

#define TD	 "mesh.local"
#define WL_IP	 0x0a000005u /* 10.0.0.5 */
#define DAY	 86400
#define LIFE_24H (24 * 3600)

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_create_and_reopen(void **state)
{
	struct ctl_identities_conf id;
	struct ctl_ca *ca, *again;
	X509 *root;
	time_t nb, na;

	(void)state;
	ca_conf(&id, TD, "create", true);
	ca = open_ca(&id);
	assert_true(ctl_ca_created(ca));
	assert_int_equal(file_mode(id.ca.key), 0600);
	assert_int_equal(file_mode(id.ca.cert), 0644);
	assert_string_equal(ctl_ca_trust_domain(ca), TD);
	assert_int_equal(ctl_ca_n_roots(ca), 1);
	root = ctl_ca_root(ca, 0);
	assert_ptr_equal(root, ctl_ca_cert(ca));
	assert_null(ctl_ca_root(ca, 1));
	/* a root: CA:TRUE, may sign certificates and CRLs, P-256, ~10 years */
	assert_int_equal(X509_check_ca(root), 1);
	assert_int_equal(X509_get_key_usage(root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_string_equal(OBJ_nid2sn(EVP_PKEY_get_base_id(X509_get0_pubkey(root))),
			    "id-ecPublicKey");
	assert_int_equal(X509_self_signed(root, 1), 1);
	assert_int_equal(openssl_verify(ca, root, NULL, 0), X509_V_OK);
	{
		struct ctl_cert_info info;
		assert_int_equal(ctl_cert_describe(root, &info), 0);
		nb = info.not_before;
		na = info.not_after;
		assert_non_null(strstr(info.subject, "CN=meshgw root CA "));
		assert_non_null(strstr(info.subject, "O=" TD));
		assert_string_equal(info.subject, info.issuer);
	}
	assert_true(na - nb >= (time_t)CTL_CA_ROOT_DAYS * DAY);

	/* create = true with both files present loads them: the same root */
	again = open_ca(&id);
	assert_false(ctl_ca_created(again));
	assert_int_equal(X509_cmp(ctl_ca_cert(again), root), 0);
	ctl_ca_unref(again);
	/* as does create = false */
	id.ca.create = false;
	again = open_ca(&id);
	assert_int_equal(X509_cmp(ctl_ca_cert(again), root), 0);
	/* references: the CA lives until the last holder lets go */
	assert_ptr_equal(ctl_ca_ref(again), again);
	ctl_ca_unref(again);
	assert_int_equal(X509_cmp(ctl_ca_cert(again), root), 0);
	ctl_ca_unref(again);
	ctl_ca_unref(ca);
	ctl_ca_unref(NULL);
}

/* A key file with any permission for group or others is refused; the
 * message names the path and the mode. */
static void
test_key_mode_refused(void **state)
{
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0601, 0610};
	struct ctl_identities_conf id;
	struct ctl_ca *ca;
	char err[512], want[400];

	(void)state;
	ca_conf(&id, TD, "mode", true);
	ctl_ca_unref(open_ca(&id));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(id.ca.key, bad[i]), 0);
		errno = 0;
		ca = ctl_ca_open(&id, err, sizeof(err));
		assert_null(ca);
		assert_int_equal(errno, EPERM);
		snprintf(want, sizeof(want), "key file %s is open to group or others (mode %04o)",
			 id.ca.key, (unsigned int)bad[i]);
		if (strstr(err, want) == NULL)
			print_error("got: %s\nwant: %s\n", err, want);
		assert_non_null(strstr(err, want));
	}
	assert_int_equal(chmod(id.ca.key, 0400), 0);
	ctl_ca_unref(open_ca(&id));
}

static void
test_open_errors(void **state)
{
	struct ctl_identities_conf id, other;
	char err[512], path[128];
	FILE *f;

	(void)state;
	/* neither file, no create */
	ca_conf(&id, TD, "missing", false);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "missing.pem: No such file or directory"));
	/* create = true never overwrites a lone key */
	ca_conf(&id, TD, "lone", true);
	f = fopen(id.ca.key, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(id.ca.key, 0600), 0);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_non_null(strstr(err, "lone.pem: No such file or directory"));
	/* not PEM */
	ca_conf(&id, TD, "junk", false);
	f = fopen(id.ca.cert, "w");
	assert_non_null(f);
	fputs("hello\n", f);
	fclose(f);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "junk.pem: no PEM certificate in it"));
	/* a key from another CA */
	ca_conf(&id, TD, "ka", true);
	ca_conf(&other, TD, "kb", true);
	ctl_ca_unref(open_ca(&id));
	ctl_ca_unref(open_ca(&other));
	snprintf(id.ca.key, sizeof(id.ca.key), "%s", other.ca.key);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_non_null(strstr(err, "ka.pem: the key does not match the certificate"));
	/* a bundle file holding something other than a root: a leaf */
	ca_conf(&id, TD, "ka", false);
	{
		struct ctl_ca *ca = open_ca(&id);
		struct ctl_cert *c = issue(ca, "web", "api", 0, 3600, 0);
		char key[128];
		assert_int_equal(ctl_cert_write(c, tmp_path(path, sizeof(path), "leaf.pem"),
						tmp_path(key, sizeof(key), "leaf.key"), err,
						sizeof(err)),
				 0);
		ctl_cert_free(c);
		ctl_ca_unref(ca);
	}
	snprintf(id.ca.bundle[0], sizeof(id.ca.bundle[0]), "%s", path);
	id.ca.n_bundle = 1;
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_non_null(strstr(err, "leaf.pem: certificate 1 is not a self-signed CA"));
	/* a leaf as the CA */
	ca_conf(&id, TD, "leaf", false);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_non_null(strstr(err, "not a CA certificate allowed to sign"));
	/* a bad trust domain */
	ca_conf(&id, "Mesh", "ka", false);
	assert_null(ctl_ca_open(&id, err, sizeof(err)));
	assert_non_null(strstr(err, "bad trust domain"));
}

/* Every property the issue asks of a workload certificate. */
static void
test_issue_leaf(void **state)
{
	struct ctl_identities_conf id;
	struct ctl_ca *ca;
	struct ctl_cert *c, *c2;
	GENERAL_NAMES *gens;
	X509 *x;
	time_t now = time(NULL), t;
	char ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&id, TD, "leafca", true);
	ca = open_ca(&id);
	c = issue(ca, "web", "api", WL_IP, LIFE_24H, 0);
	x = ctl_cert_x509(c);
	assert_string_equal(ctl_cert_identity(c), "spiffe://" TD "/ns/web/sa/api");
	assert_int_equal(openssl_verify(ca, x, ctl_cert_chain(c), 0), X509_V_OK);
	assert_int_equal(sk_X509_num(ctl_cert_chain(c)), 0); /* a root CA sends nothing more */
	/* SANs: the URI then the IP */
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	{
		const GENERAL_NAME *u = sk_GENERAL_NAME_value(gens, 0);
		const GENERAL_NAME *ip = sk_GENERAL_NAME_value(gens, 1);
		static const unsigned char want_ip[] = {10, 0, 0, 5};
		assert_int_equal(u->type, GEN_URI);
		assert_string_equal((const char *)ASN1_STRING_get0_data(u->d.ia5),
				    "spiffe://" TD "/ns/web/sa/api");
		assert_int_equal(ip->type, GEN_IPADD);
		assert_int_equal(ASN1_STRING_length(ip->d.ip), 4);
		assert_memory_equal(ASN1_STRING_get0_data(ip->d.ip), want_ip, 4);
	}
	GENERAL_NAMES_free(gens);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.5", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.6", 0), 0);
	/* a leaf for TLS both ways */
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       X509_get0_subject_key_id(ctl_ca_cert(ca))),
			 0);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	/* a fresh P-256 key, the one in the certificate */
	{
		char group[32];
		size_t glen = 0;
		assert_int_equal(
			EVP_PKEY_get_group_name(ctl_cert_key(c), group, sizeof(group), &glen), 1);
		assert_string_equal(group, "prime256v1");
		assert_int_equal(X509_check_private_key(x, ctl_cert_key(c)), 1);
	}
	/* lifetime: notBefore a little in the past, notAfter now + lifetime */
	assert_true(ca_asn1_time(X509_get0_notBefore(x), &t));
	assert_in_range(t, now - CTL_CA_BACKDATE_S - 2, now - CTL_CA_BACKDATE_S + 2);
	assert_true(ca_asn1_time(X509_get0_notAfter(x), &t));
	assert_in_range(t, now + LIFE_24H - 2, now + LIFE_24H + 2);
	assert_int_equal(ctl_cert_not_after(c), t);
	assert_in_range(ctl_cert_issued_at(c), now, now + 2);
	/* the inbound check agrees and names the identity */
	assert_int_equal(peer_verify(ca, x, ctl_cert_chain(c), TD, 0, ident), 0);
	assert_string_equal(ident, "spiffe://" TD "/ns/web/sa/api");
	/* without an address: the URI SAN only; serials are random and differ */
	c2 = issue(ca, "web", "api", 0, LIFE_24H, 0);
	gens = X509_get_ext_d2i(ctl_cert_x509(c2), NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
	GENERAL_NAMES_free(gens);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
					      X509_get0_serialNumber(ctl_cert_x509(c2))),
			     0);
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(x)), 16);
	ctl_cert_free(c2);
	ctl_cert_free(c);
	ctl_ca_unref(ca);
}

static void
test_issue_errors(void **state)
{
	static const char *const bad[] = {"", ".", "..", "a/b", "a b", "é", "x%2f", NULL};
	struct ctl_identities_conf id;
	struct ctl_cert_req req = {.ns = "web", .sa = "api", .lifetime_us = 3600000000ULL};
	struct ctl_ca *ca;
	char err[256], longseg[CTL_ID_SEGMENT_MAX + 1];

	(void)state;
	ca_conf(&id, TD, "errca", true);
	ca = open_ca(&id);
	for (size_t i = 0; bad[i] != NULL; i++) {
		req.sa = bad[i];
		errno = 0;
		assert_null(ctl_ca_issue(ca, &req, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(err, "cannot issue"));
	}
	memset(longseg, 'a', sizeof(longseg) - 1);
	longseg[sizeof(longseg) - 1] = '\0';
	req.sa = longseg;
	assert_null(ctl_ca_issue(ca, &req, err, sizeof(err)));
	longseg[CTL_ID_SEGMENT_MAX - 1] = '\0'; /* 63 fit */
	req.ns = longseg;
	req.sa = "api";
	{
		struct ctl_cert *c = ctl_ca_issue(ca, &req, err, sizeof(err));
		assert_non_null(c);
		ctl_cert_free(c);
	}
	req.ns = "web";
	req.lifetime_us = CTL_CA_LIFETIME_MIN - 1;
	assert_null(ctl_ca_issue(ca, &req, err, sizeof(err)));
	assert_string_equal(err, "cannot issue: a lifetime below 10s");
	ctl_ca_unref(ca);
}

/* Expired, from another CA, from another trust domain: all refused. */
static void
test_refusals(void **state)
{
	struct ctl_identities_conf a, b, other_td;
	struct ctl_ca *ca_a, *ca_b, *ca_td, *ca_a_with_td;
	struct ctl_cert *c;
	time_t now = time(NULL);
	char ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&a, TD, "ra", true);
	ca_conf(&b, TD, "rb", true);
	ca_conf(&other_td, "other.org", "rtd", true);
	ca_a = open_ca(&a);
	ca_b = open_ca(&b);
	ca_td = open_ca(&other_td);

	/* expired: issued three days ago for an hour */
	c = issue(ca_a, "web", "api", 0, 3600, now - 3 * DAY);
	assert_int_equal(openssl_verify(ca_a, ctl_cert_x509(c), NULL, 0),
			 X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(peer_verify(ca_a, ctl_cert_x509(c), NULL, TD, 0, ident), -EACCES);
	assert_string_equal(ident, "");
	ctl_cert_free(c);
	/* not yet valid: issued for tomorrow (beyond the backdating) */
	c = issue(ca_a, "web", "api", 0, 3600, now + DAY);
	assert_int_equal(openssl_verify(ca_a, ctl_cert_x509(c), NULL, 0),
			 X509_V_ERR_CERT_NOT_YET_VALID);
	ctl_cert_free(c);

	/* another CA of the same trust domain */
	c = issue(ca_b, "web", "api", 0, 3600, 0);
	assert_int_equal(openssl_verify(ca_a, ctl_cert_x509(c), NULL, 0),
			 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(peer_verify(ca_a, ctl_cert_x509(c), NULL, TD, 0, ident), -EACCES);
	ctl_cert_free(c);

	/* another trust domain whose root we trust: the chain verifies, the
	 * identity does not */
	snprintf(a.ca.bundle[0], sizeof(a.ca.bundle[0]), "%s", other_td.ca.cert);
	a.ca.n_bundle = 1;
	ca_a_with_td = open_ca(&a);
	c = issue(ca_td, "web", "api", 0, 3600, 0);
	assert_string_equal(ctl_cert_identity(c), "spiffe://other.org/ns/web/sa/api");
	assert_int_equal(openssl_verify(ca_a_with_td, ctl_cert_x509(c), NULL, 0), X509_V_OK);
	assert_int_equal(peer_verify(ca_a_with_td, ctl_cert_x509(c), NULL, TD, 0, ident), -EPERM);
	assert_string_equal(ident, "");
	assert_int_equal(peer_verify(ca_a_with_td, ctl_cert_x509(c), NULL, "other.org", 0, ident),
			 0);
	ctl_cert_free(c);

	ctl_ca_unref(ca_a_with_td);
	ctl_ca_unref(ca_td);
	ctl_ca_unref(ca_b);
	ctl_ca_unref(ca_a);
}

/* Rotation: the new root signs, the old one stays in the bundle; a leaf of
 * either verifies against the new CA's store, and the old CA's store learns
 * the new root the same way. */
static void
test_two_roots(void **state)
{
	struct ctl_identities_conf old_id, new_id;
	struct ctl_ca *old_ca, *new_ca;
	struct ctl_cert *old_leaf, *new_leaf;
	char ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&old_id, TD, "old", true);
	ca_conf(&new_id, TD, "new", true);
	ctl_ca_unref(open_ca(&new_id)); /* create it */
	old_ca = open_ca(&old_id);
	old_leaf = issue(old_ca, "web", "api", 0, 3600, 0);
	snprintf(new_id.ca.bundle[0], sizeof(new_id.ca.bundle[0]), "%s", old_id.ca.cert);
	/* the same root twice in the bundle counts once */
	snprintf(new_id.ca.bundle[1], sizeof(new_id.ca.bundle[1]), "%s", old_id.ca.cert);
	new_id.ca.n_bundle = 2;
	new_ca = open_ca(&new_id);
	assert_int_equal(ctl_ca_n_roots(new_ca), 2);
	assert_ptr_equal(ctl_ca_root(new_ca, 0), ctl_ca_cert(new_ca));
	assert_int_equal(X509_cmp(ctl_ca_root(new_ca, 1), ctl_ca_cert(old_ca)), 0);
	new_leaf = issue(new_ca, "db", "pg", 0, 3600, 0);
	assert_int_equal(openssl_verify(new_ca, ctl_cert_x509(old_leaf), NULL, 0), X509_V_OK);
	assert_int_equal(openssl_verify(new_ca, ctl_cert_x509(new_leaf), NULL, 0), X509_V_OK);
	assert_int_equal(peer_verify(new_ca, ctl_cert_x509(old_leaf), NULL, TD, 0, ident), 0);
	assert_string_equal(ident, "spiffe://" TD "/ns/web/sa/api");
	assert_int_equal(peer_verify(new_ca, ctl_cert_x509(new_leaf), NULL, TD, 0, ident), 0);
	assert_string_equal(ident, "spiffe://" TD "/ns/db/sa/pg");
	/* the old CA alone does not know the new root */
	assert_int_equal(openssl_verify(old_ca, ctl_cert_x509(new_leaf), NULL, 0),
			 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	ctl_cert_free(new_leaf);
	ctl_cert_free(old_leaf);
	ctl_ca_unref(new_ca);
	ctl_ca_unref(old_ca);
}

/* An intermediate CA made by the root (as an operator would with openssl):
 * its leaves carry it in their chain and verify to the root. */
static void
test_intermediate(void **state)
{
	struct ctl_identities_conf root_id, int_id;
	struct ctl_ca *root_ca, *int_ca;
	struct ctl_cert *c;
	X509 *ix = NULL;
	EVP_PKEY *ik = NULL, *rk;
	X509V3_CTX v3;
	FILE *f;
	char err[256], ident[CTL_IDENTITY_MAX];

	(void)state;
	ca_conf(&root_id, TD, "iroot", true);
	root_ca = open_ca(&root_id);
	f = fopen(root_id.ca.key, "r");
	assert_non_null(f);
	rk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(rk);
	/* the intermediate: a root-shaped certificate re-signed by the root */
	assert_int_equal(ca_make_root(TD, time(NULL), &ix, &ik, err, sizeof(err)), 0);
	{
		X509_NAME *n = X509_NAME_new();
		X509_EXTENSION *aki;
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
							    (const unsigned char *)"intermediate",
							    -1, -1, 0),
				 1);
		assert_int_equal(X509_set_subject_name(ix, n), 1);
		X509_NAME_free(n);
		X509_EXTENSION_free(X509_delete_ext(
			ix, X509_get_ext_by_NID(ix, NID_authority_key_identifier, -1)));
		assert_int_equal(
			X509_set_issuer_name(ix, X509_get_subject_name(ctl_ca_cert(root_ca))), 1);
		X509V3_set_ctx(&v3, ctl_ca_cert(root_ca), ix, NULL, NULL, 0);
		aki = X509V3_EXT_nconf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
		assert_non_null(aki);
		assert_int_equal(X509_add_ext(ix, aki, -1), 1);
		X509_EXTENSION_free(aki);
	}
	assert_true(X509_sign(ix, rk, EVP_sha256()) > 0);
	ca_conf(&int_id, TD, "inter", false);
	/* the intermediate's file carries the root after it */
	{
		STACK_OF(X509) *rest = sk_X509_new_null();
		sk_X509_push(rest, ctl_ca_cert(root_ca));
		assert_int_equal(ca_write_certs(int_id.ca.cert, ix, rest, true, err, sizeof(err)),
				 0);
		sk_X509_free(rest);
	}
	assert_int_equal(ca_write_key(int_id.ca.key, ik, true, err, sizeof(err)), 0);
	int_ca = open_ca(&int_id);
	assert_int_equal(ctl_ca_n_roots(int_ca), 1);
	assert_int_equal(X509_cmp(ctl_ca_root(int_ca, 0), ctl_ca_cert(root_ca)), 0);
	c = issue(int_ca, "web", "api", 0, 3600, 0);
	assert_int_equal(sk_X509_num(ctl_cert_chain(c)), 1);
	assert_int_equal(X509_cmp(sk_X509_value(ctl_cert_chain(c), 0), ix), 0);
	/* verifies with the chain against the root alone, not without it */
	assert_int_equal(openssl_verify(root_ca, ctl_cert_x509(c), ctl_cert_chain(c), 0),
			 X509_V_OK);
	assert_int_not_equal(openssl_verify(root_ca, ctl_cert_x509(c), NULL, 0), X509_V_OK);
	assert_int_equal(peer_verify(root_ca, ctl_cert_x509(c), ctl_cert_chain(c), TD, 0, ident),
			 0);
	/* without the root anywhere, the intermediate is refused at open */
	ca_conf(&int_id, TD, "inter2", false);
	assert_int_equal(ca_write_certs(int_id.ca.cert, ix, NULL, true, err, sizeof(err)), 0);
	assert_int_equal(ca_write_key(int_id.ca.key, ik, true, err, sizeof(err)), 0);
	assert_null(ctl_ca_open(&int_id, err, sizeof(err)));
	assert_non_null(strstr(err, "does not verify against the bundle"));
	/* ...and accepted with the root in the bundle */
	snprintf(int_id.ca.bundle[0], sizeof(int_id.ca.bundle[0]), "%s", root_id.ca.cert);
	int_id.ca.n_bundle = 1;
	ctl_ca_unref(open_ca(&int_id));
	ctl_cert_free(c);
	ctl_ca_unref(int_ca);
	X509_free(ix);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(rk);
	ctl_ca_unref(root_ca);
}

static void
test_renewal(void **state)
{
	struct ctl_identities_conf id;
	struct ctl_ca *ca;
	struct ctl_cert *c;
	time_t t0 = time(NULL);

	(void)state;
	ca_conf(&id, TD, "renew", true);
	ca = open_ca(&id);
	/* 20 s: renewed after 10 s */
	c = issue(ca, "web", "api", 0, 20, t0);
	assert_int_equal(ctl_cert_issued_at(c), t0);
	assert_int_equal(ctl_cert_not_after(c), t0 + 20);
	assert_int_equal(ctl_cert_renew_at(c), t0 + 10);
	assert_false(ctl_cert_needs_renewal(c, t0));
	assert_false(ctl_cert_needs_renewal(c, t0 + 9));
	assert_true(ctl_cert_needs_renewal(c, t0 + 10));
	assert_true(ctl_cert_needs_renewal(c, t0 + 30));
	/* valid until notAfter, refused after it (verification at a given time) */
	{
		char ident[CTL_IDENTITY_MAX];
		assert_int_equal(peer_verify(ca, ctl_cert_x509(c), NULL, TD, t0 + 19, ident), 0);
		assert_int_equal(peer_verify(ca, ctl_cert_x509(c), NULL, TD, t0 + 21, ident),
				 -EACCES);
	}
	/* a failed attempt is retried soon: an eighth of what is left, >= 1 s */
	assert_int_equal(ctl_cert_retry_at(c, t0 + 10), t0 + 11);
	assert_int_equal(ctl_cert_retry_at(c, t0 + 25), t0 + 26);
	ctl_cert_free(c);
	/* 24 h: renewed after 12 h; retries at most a minute apart */
	c = issue(ca, "web", "api", 0, LIFE_24H, t0);
	assert_int_equal(ctl_cert_renew_at(c), t0 + LIFE_24H / 2);
	assert_int_equal(ctl_cert_retry_at(c, t0 + LIFE_24H / 2), t0 + LIFE_24H / 2 + 60);
	assert_int_equal(ctl_cert_retry_at(c, t0 + LIFE_24H - 80), t0 + LIFE_24H - 70);
	ctl_cert_free(c);
	/* a lifetime past the CA's own end is cut there */
	c = issue(ca, "web", "api", 0, 20ULL * 365 * DAY, t0);
	{
		struct ctl_cert_info info;
		assert_int_equal(ctl_cert_describe(ctl_ca_cert(ca), &info), 0);
		assert_int_equal(ctl_cert_not_after(c), info.not_after);
		assert_int_equal(openssl_verify(ca, ctl_cert_x509(c), NULL, 0), X509_V_OK);
	}
	ctl_cert_free(c);
	ctl_ca_unref(ca);
}

/* What `meshgwctl certs` shows, and nothing of the key. */
static void
test_describe(void **state)
{
	struct ctl_identities_conf id;
	struct ctl_cert_info info, root;
	struct ctl_ca *ca;
	struct ctl_cert *c;
	BIGNUM *bn;
	char *hex;

	(void)state;
	ca_conf(&id, TD, "desc", true);
	ca = open_ca(&id);
	c = issue(ca, "web", "api", WL_IP, 3600, 0);
	assert_int_equal(ctl_cert_describe(ctl_cert_x509(c), &info), 0);
	assert_int_equal(ctl_cert_describe(ctl_ca_cert(ca), &root), 0);
	assert_string_equal(info.identity, "spiffe://" TD "/ns/web/sa/api");
	assert_string_equal(info.issuer, root.subject);
	assert_string_equal(info.subject, "CN=api,OU=web,O=" TD);
	assert_int_equal(info.not_after, ctl_cert_not_after(c));
	assert_int_equal(info.not_before, ctl_cert_issued_at(c) - CTL_CA_BACKDATE_S);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ctl_cert_x509(c)), NULL);
	hex = BN_bn2hex(bn);
	assert_int_equal(strlen(info.serial), 32);
	assert_int_equal(strcasecmp(info.serial, hex), 0);
	assert_int_equal(strspn(info.serial, "0123456789abcdef"), 32);
	OPENSSL_free(hex);
	BN_free(bn);
	assert_string_equal(root.identity, ""); /* a root has no URI SAN */
	assert_int_equal(ctl_cert_describe(NULL, &info), -EINVAL);
	ctl_cert_free(c);
	ctl_ca_unref(ca);
}

/* Written files: the key 0600 whatever the umask, and `openssl verify`
 * agrees with us. */
static void
test_write_openssl_verify(void **state)
{
	struct ctl_identities_conf id;
	struct ctl_ca *ca;
	struct ctl_cert *c;
	char cert[128], key[128], cmd[512], err[256];
	mode_t old = umask(0);

	(void)state;
	ca_conf(&id, TD, "write", true);
	ca = open_ca(&id);
	c = issue(ca, "web", "api", WL_IP, 3600, 0);
	tmp_path(cert, sizeof(cert), "w.pem");
	tmp_path(key, sizeof(key), "w.key");
	assert_int_equal(ctl_cert_write(c, cert, key, err, sizeof(err)), 0);
	/* a second write replaces both */
	assert_int_equal(ctl_cert_write(c, cert, key, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(file_mode(key), 0600);
	assert_int_equal(file_mode(cert), 0644);
	if (system("command -v openssl >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd),
			 "openssl verify -purpose sslclient -CAfile '%s' '%s' >/dev/null 2>&1",
			 id.ca.cert, cert);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -in '%s' -noout -ext subjectAltName 2>/dev/null | "
			 "grep -q 'URI:spiffe://" TD "/ns/web/sa/api, IP Address:10.0.0.5'",
			 cert);
		assert_int_equal(system(cmd), 0);
		/* and refuses it against another root */
		ctl_ca_unref(ca);
		ca_conf(&id, TD, "write2", true);
		ca = open_ca(&id);
		snprintf(cmd, sizeof(cmd), "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1",
			 id.ca.cert, cert);
		assert_int_not_equal(system(cmd), 0);
	}
	ctl_cert_free(c);
	ctl_ca_unref(ca);
}

struct issuer_arg {
	const struct ctl_ca *ca;
	int ok;
};

static void *
issue_many(void *p)
{
	struct issuer_arg *a = p;
	struct ctl_cert_req req = {.ns = "web", .sa = "api", .lifetime_us = 3600000000ULL};

	for (int i = 0; i < 16; i++) {
		struct ctl_cert *c = ctl_ca_issue(a->ca, &req, NULL, 0);
		if (c != NULL &&
		    X509_verify(ctl_cert_x509(c), X509_get0_pubkey(ctl_ca_cert(a->ca))) == 1)
			a->ok++;
		ctl_cert_free(c);
	}
	return NULL;
}

/* The helper thread issues while another thread uses the same CA. */
static void
test_threads(void **state)
{
	struct ctl_identities_conf id;
	struct issuer_arg args[3];
	pthread_t th[3];
	struct ctl_ca *ca;

	(void)state;
	ca_conf(&id, TD, "threads", true);
	ca = open_ca(&id);
	for (int i = 0; i < 3; i++) {
		args[i] = (struct issuer_arg){.ca = ctl_ca_ref(ca)};
		assert_int_equal(pthread_create(&th[i], NULL, issue_many, &args[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].ok, 16);
		ctl_ca_unref(ca);
	}
	ctl_ca_unref(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_reopen),
		cmocka_unit_test(test_key_mode_refused),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_issue_leaf),
		cmocka_unit_test(test_issue_errors),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_two_roots),
		cmocka_unit_test(test_intermediate),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_write_openssl_verify),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca_issue.c - building certificates: a created root and the workload
 * certificates the CA issues (X.509 v3, ECDSA P-256, SHA-256).
 *
 * Reentrant: everything is built in fresh objects; the CA is only read
 * (OpenSSL allows concurrent use of a key and a certificate that no thread
 * modifies). Slow: key generation. The helper thread calls ctl_ca_issue().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ctl_ca_internal.h"

#define TD_CHARS   "abcdefghijklmnopqrstuvwxyz0123456789.-_"
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_"

bool
ca_segment_ok(const char *s, size_t n)
{
	return n > 0 && n < CTL_ID_SEGMENT_MAX && strspn(s, NAME_CHARS) >= n &&
	       !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

bool
ca_td_ok(const char *s, size_t n)
{
	return n > 0 && n < CTL_TRUST_DOMAIN_MAX && strspn(s, TD_CHARS) >= n;
}

/* A random positive 128-bit serial (RFC 5280 allows up to 20 octets). */
static int
set_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f; /* positive in DER without a padding octet */
	r[0] |= 0x40; /* and never short: always 16 octets */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	if (bn != NULL)
		ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int
add_name(X509_NAME *n, const char *field, const char *v)
{
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1,
					  0);
}

/* One extension from its OpenSSL config text, in the context ctx. */
static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok;
}

/* The skeleton every certificate shares: v3, serial, names, times, key. */
static X509 *
new_cert(X509_NAME *subject, const X509_NAME *issuer, EVP_PKEY *pub, time_t nb, time_t na)
{
	X509 *x = X509_new();

	if (x == NULL || !X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !X509_set_subject_name(x, subject) || !X509_set_issuer_name(x, issuer) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL || !X509_set_pubkey(x, pub)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static EVP_PKEY *
new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int
ca_make_root(const char *td, time_t now, X509 **cert, EVP_PKEY **key, char *err, size_t errlen)
{
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	struct tm tm;
	char cn[64];
	X509 *x = NULL;
	EVP_PKEY *k = new_key();
	int ok;

	/* the creation time tells a rotated root from its predecessor */
	gmtime_r(&now, &tm);
	strftime(cn, sizeof(cn), "meshgw root CA %Y-%m-%dT%H:%M:%SZ", &tm);
	ok = name != NULL && k != NULL && add_name(name, "O", td) && add_name(name, "CN", cn);
	if (ok)
		x = new_cert(name, name, k, now - CTL_CA_BACKDATE_S,
			     now + (time_t)CTL_CA_ROOT_DAYS * 86400);
	if (x != NULL) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
		     X509_sign(x, k, EVP_sha256()) > 0;
	}
	X509_NAME_free(name);
	if (x == NULL || !ok) {
		X509_free(x);
		EVP_PKEY_free(k);
		return ca_fail(err, errlen, -ENOMEM, "cannot create a root for %s", td);
	}
	*cert = x;
	*key = k;
	return 0;
}

/* The subject alternative names: the SPIFFE ID, and an address if ip. */
static int
add_san(X509 *x, const char *uri, uint32_t ip)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	unsigned char a[4] = {ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff};
	int ok = gens != NULL && g != NULL && s != NULL && ASN1_STRING_set(s, uri, -1);

	if (ok) {
		GENERAL_NAME_set0_value(g, GEN_URI, s);
		s = NULL;
		ok = sk_GENERAL_NAME_push(gens, g) > 0;
		g = ok ? NULL : g;
	}
	if (ok && ip != 0) {
		GENERAL_NAME *gi = GENERAL_NAME_new();
		ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();
		ok = gi != NULL && o != NULL && ASN1_OCTET_STRING_set(o, a, sizeof(a));
		if (ok) {
			GENERAL_NAME_set0_value(gi, GEN_IPADD, o);
			o = NULL;
			ok = sk_GENERAL_NAME_push(gens, gi) > 0;
			gi = ok ? NULL : gi;
		}
		ASN1_OCTET_STRING_free(o);
		GENERAL_NAME_free(gi);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return ok;
}

static int
check_req(const struct ctl_ca *ca, const struct ctl_cert_req *req, char *id, char *err,
	  size_t errlen)
{
	int n;

	if (req == NULL || req->ns == NULL || req->sa == NULL ||
	    !ca_segment_ok(req->ns, strlen(req->ns)) || !ca_segment_ok(req->sa, strlen(req->sa)))
		return ca_fail(err, errlen, -EINVAL,
			       "cannot issue: namespace and service account must be 1 to %d "
			       "characters of A-Z, a-z, 0-9, '.', '-', '_'",
			       CTL_ID_SEGMENT_MAX - 1);
	if (req->lifetime_us < CTL_CA_LIFETIME_MIN)
		return ca_fail(err, errlen, -EINVAL, "cannot issue: a lifetime below 10s");
	n = snprintf(id, CTL_IDENTITY_MAX, "spiffe://%s/ns/%s/sa/%s", ca->td, req->ns, req->sa);
	if (n < 0 || n >= CTL_IDENTITY_MAX)
		return ca_fail(err, errlen, -EINVAL, "cannot issue: the identity is longer than %d",
			       CTL_IDENTITY_MAX - 1);
	return 0;
}

/* The extensions and signature of a leaf x for identity id. */
static int
finish_leaf(const struct ctl_ca *ca, X509 *x, const char *id, uint32_t ip)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
	return add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
	       add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") &&
	       add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	       add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
	       add_san(x, id, ip) && X509_sign(x, ca->key, EVP_sha256()) > 0;
}

struct ctl_cert *
ctl_ca_issue(const struct ctl_ca *ca, const struct ctl_cert_req *req, char *err, size_t errlen)
{
	struct ctl_cert *c = calloc(1, sizeof(*c));
	X509_NAME *name = X509_NAME_new();
	time_t now, na, ca_na = 0;
	int rc = c == NULL || name == NULL ? ca_fail(err, errlen, -ENOMEM, "out of memory") : 0;

	if (rc == 0)
		rc = check_req(ca, req, c->identity, err, errlen);
	if (rc < 0)
		goto out;
	now = req->now != 0 ? req->now : time(NULL);
	na = now + (time_t)(req->lifetime_us / 1000000);
	/* a leaf outliving its CA would fail verification early */
	if (ca_asn1_time(X509_get0_notAfter(ca->cert), &ca_na) && ca_na < na)
		na = ca_na;
	c->issued_at = now;
	c->not_after = na;
	c->key = new_key();
	rc = -ENOMEM;
	if (c->key == NULL || !add_name(name, "O", ca->td) || !add_name(name, "OU", req->ns) ||
	    !add_name(name, "CN", req->sa))
		goto fail;
	c->x509 = new_cert(name, X509_get_subject_name(ca->cert), c->key, now - CTL_CA_BACKDATE_S,
			   na);
	if (c->x509 == NULL || !finish_leaf(ca, c->x509, c->identity, req->ip))
		goto fail;
	c->chain = X509_chain_up_ref(ca->chain);
	if (c->chain != NULL)
		rc = 0;
fail:
	if (rc < 0)
		ca_fail(err, errlen, rc, "cannot issue %s", c->identity);
out:
	X509_NAME_free(name);
	if (rc < 0) {
		ctl_cert_free(c);
		c = NULL;
		errno = -rc;
	}
	return c;
}

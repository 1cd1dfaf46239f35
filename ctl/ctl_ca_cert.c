/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca_cert.c - what is done with an issued certificate and with a peer's:
 * accessors, installing in an SSL_CTX, writing to files, renewal times, the
 * description `meshgwctl certs` shows, and the SPIFFE identity of a peer.
 *
 * Pure functions of their arguments; any thread may call them (a worker
 * takes a peer's identity after its handshake with ctl_spiffe_from_cert()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ctl_ca_internal.h"

#define SPIFFE_PFX "spiffe://"

void
ctl_cert_free(struct ctl_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->chain, X509_free);
	free(c);
}

X509 *
ctl_cert_x509(const struct ctl_cert *c)
{
	return c->x509;
}

EVP_PKEY *
ctl_cert_key(const struct ctl_cert *c)
{
	return c->key;
}

STACK_OF(X509) * ctl_cert_chain(const struct ctl_cert *c)
{
	return c->chain;
}

const char *
ctl_cert_identity(const struct ctl_cert *c)
{
	return c->identity;
}

time_t
ctl_cert_issued_at(const struct ctl_cert *c)
{
	return c->issued_at;
}

time_t
ctl_cert_not_after(const struct ctl_cert *c)
{
	return c->not_after;
}

int
ctl_cert_use(const struct ctl_cert *c, SSL_CTX *ctx)
{
	int ok = SSL_CTX_use_certificate(ctx, c->x509) == 1 &&
		 SSL_CTX_use_PrivateKey(ctx, c->key) == 1 &&
		 SSL_CTX_set1_chain(ctx, c->chain) == 1 && SSL_CTX_check_private_key(ctx) == 1;

	ERR_clear_error();
	return ok ? 0 : -EINVAL;
}

int
ctl_cert_write(const struct ctl_cert *c, const char *cert_path, const char *key_path, char *err,
	       size_t errlen)
{
	int rc = ca_write_key(key_path, c->key, false, err, errlen);

	return rc < 0 ? rc : ca_write_certs(cert_path, c->x509, c->chain, false, err, errlen);
}

time_t
ctl_cert_renew_at(const struct ctl_cert *c)
{
	return c->issued_at + (c->not_after - c->issued_at) / 2;
}

bool
ctl_cert_needs_renewal(const struct ctl_cert *c, time_t now)
{
	return now >= ctl_cert_renew_at(c);
}

time_t
ctl_cert_retry_at(const struct ctl_cert *c, time_t now)
{
	time_t wait = (c->not_after - now) / 8;

	return now + (wait < 1 ? 1 : wait > 60 ? 60 : wait);
}

bool
ca_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	*out = 0;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = timegm(&tm);
	return true;
}

/* RFC 2253 text of a name, cut with "..." to fit. */
static void
name_text(const X509_NAME *n, char *buf, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long got = 0;

	buf[0] = '\0';
	if (bio != NULL && X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253) >= 0)
		got = BIO_get_mem_data(bio, &p);
	if (got > 0 && p != NULL) {
		snprintf(buf, len, "%.*s", (int)got, p);
		if ((size_t)got >= len && len > 4)
			memcpy(buf + len - 4, "...", 4);
	}
	BIO_free(bio);
}

static void
serial_hex(const X509 *x, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex != NULL && hex[0] != '\0' ? hex : "?");
	for (char *p = buf; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The URI SANs of x: how many, and the first (NUL-terminated, no NUL
 * inside, shorter than CTL_IDENTITY_MAX; else first stays ""). */
static int
uri_sans(const X509 *x, char *first)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = 0;

	first[0] = '\0';
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI)
			continue;
		const unsigned char *d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		int len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (n++ == 0 && len > 0 && len < CTL_IDENTITY_MAX && memchr(d, '\0', len) == NULL)
			snprintf(first, CTL_IDENTITY_MAX, "%.*s", len, (const char *)d);
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return n;
}

int
ctl_cert_describe(const X509 *x, struct ctl_cert_info *info)
{
	memset(info, 0, sizeof(*info));
	if (x == NULL)
		return -EINVAL;
	uri_sans(x, info->identity);
	serial_hex(x, info->serial, sizeof(info->serial));
	name_text(X509_get_issuer_name(x), info->issuer, sizeof(info->issuer));
	name_text(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	ca_asn1_time(X509_get0_notBefore(x), &info->not_before);
	ca_asn1_time(X509_get0_notAfter(x), &info->not_after);
	ERR_clear_error();
	return 0;
}

/* Copies the n characters at s into out (CTL_ID_SEGMENT_MAX) if not NULL. */
static void
put_segment(char *out, const char *s, size_t n)
{
	if (out != NULL)
		snprintf(out, CTL_ID_SEGMENT_MAX, "%.*s", (int)n, s);
}

int
ctl_spiffe_parse(const char *id, const char *td, char *ns, char *sa)
{
	const char *p = id, *nsp, *sap;
	size_t tdn, nsn, san;

	if (strncmp(p, SPIFFE_PFX, strlen(SPIFFE_PFX)) != 0 || strlen(id) >= CTL_IDENTITY_MAX)
		return -EBADMSG;
	p += strlen(SPIFFE_PFX);
	tdn = strcspn(p, "/");
	if (!ca_td_ok(p, tdn) || strncmp(p + tdn, "/ns/", 4) != 0)
		return -EBADMSG;
	nsp = p + tdn + 4;
	nsn = strcspn(nsp, "/");
	if (!ca_segment_ok(nsp, nsn) || strncmp(nsp + nsn, "/sa/", 4) != 0)
		return -EBADMSG;
	sap = nsp + nsn + 4;
	san = strlen(sap);
	if (!ca_segment_ok(sap, san))
		return -EBADMSG;
	if (td != NULL && (strlen(td) != tdn || strncmp(p, td, tdn) != 0))
		return -EPERM;
	put_segment(ns, nsp, nsn);
	put_segment(sa, sap, san);
	return 0;
}

int
ctl_spiffe_from_cert(X509 *leaf, const char *td, char *id)
{
	char uri[CTL_IDENTITY_MAX];
	int n, rc;

	id[0] = '\0';
	if (X509_check_ca(leaf) != 0)
		return -EINVAL;
	n = uri_sans(leaf, uri);
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return -ENOTUNIQ;
	if (uri[0] == '\0')
		return -EBADMSG;
	rc = ctl_spiffe_parse(uri, td, NULL, NULL);
	if (rc == 0)
		memcpy(id, uri, strlen(uri) + 1);
	return rc;
}

int
ctl_ca_verify_peer(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain, const char *td,
		   bool peer_is_client, time_t now, char *id, char *err, size_t errlen)
{
	X509_STORE_CTX *vc = X509_STORE_CTX_new();
	int rc = 0;

	id[0] = '\0';
	if (vc == NULL || !X509_STORE_CTX_init(vc, store, leaf, chain) ||
	    !X509_STORE_CTX_set_purpose(vc, peer_is_client ? X509_PURPOSE_SSL_CLIENT
							   : X509_PURPOSE_SSL_SERVER)) {
		rc = ca_fail(err, errlen, -ENOMEM, "peer certificate: out of memory");
		goto out;
	}
	if (now != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(vc), now);
	if (X509_verify_cert(vc) != 1) {
		rc = ca_fail(err, errlen, -EACCES, "peer certificate: %s",
			     X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)));
		goto out;
	}
	rc = ctl_spiffe_from_cert(leaf, td, id);
	if (rc < 0)
		ca_fail(err, errlen, rc, "peer certificate: %s",
			rc == -EINVAL	  ? "a CA certificate"
			: rc == -ENOENT	  ? "no URI SAN"
			: rc == -ENOTUNIQ ? "several URI SANs"
			: rc == -EPERM	  ? "another trust domain"
					  : "not a SPIFFE ID spiffe://<td>/ns/<ns>/sa/<sa>");
out:
	X509_STORE_CTX_free(vc);
	return rc;
}

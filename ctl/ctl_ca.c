/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca.c - opening the CA: its certificate and key from files (or a root
 * created on first start), the trust bundle, the checks that make a bad CA
 * fail at start rather than at the first handshake, references, and the
 * X509_STORE of the bundle.
 *
 * The control thread opens the CA (at start and on a reload that changes
 * the identities group); the result is immutable, shared by reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ctl_ca_internal.h"

static void
ca_free(struct ctl_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	sk_X509_pop_free(ca->chain, X509_free);
	sk_X509_pop_free(ca->roots, X509_free);
	free(ca);
}

struct ctl_ca *
ctl_ca_ref(struct ctl_ca *ca)
{
	__atomic_add_fetch(&ca->refs, 1, __ATOMIC_RELAXED);
	return ca;
}

void
ctl_ca_unref(struct ctl_ca *ca)
{
	if (ca != NULL && __atomic_sub_fetch(&ca->refs, 1, __ATOMIC_ACQ_REL) == 0)
		ca_free(ca);
}

bool
ctl_ca_created(const struct ctl_ca *ca)
{
	return ca->created;
}

const char *
ctl_ca_trust_domain(const struct ctl_ca *ca)
{
	return ca->td;
}

X509 *
ctl_ca_cert(const struct ctl_ca *ca)
{
	return ca->cert;
}

unsigned int
ctl_ca_n_roots(const struct ctl_ca *ca)
{
	return (unsigned int)sk_X509_num(ca->roots);
}

X509 *
ctl_ca_root(const struct ctl_ca *ca, unsigned int i)
{
	return i < ctl_ca_n_roots(ca) ? sk_X509_value(ca->roots, (int)i) : NULL;
}

X509_STORE *
ctl_ca_store(const struct ctl_ca *ca)
{
	X509_STORE *st = X509_STORE_new();

	for (int i = 0; st != NULL && i < sk_X509_num(ca->roots); i++) {
		if (!X509_STORE_add_cert(st, sk_X509_value(ca->roots, i))) {
			X509_STORE_free(st);
			st = NULL;
		}
	}
	if (st == NULL)
		errno = ENOMEM;
	ERR_clear_error();
	return st;
}

/* Adds x to the roots unless the same certificate is there already. */
static int
add_root(struct ctl_ca *ca, X509 *x)
{
	for (int i = 0; i < sk_X509_num(ca->roots); i++)
		if (X509_cmp(sk_X509_value(ca->roots, i), x) == 0)
			return 0;
	if (!X509_up_ref(x))
		return -ENOMEM;
	if (!sk_X509_push(ca->roots, x)) {
		X509_free(x);
		return -ENOMEM;
	}
	return 0;
}

/* The first certificate of the file signs; the others are its chain, the
 * self-signed ones roots. */
static int
split_cert_file(struct ctl_ca *ca, STACK_OF(X509) * certs)
{
	X509 *x = sk_X509_value(certs, 0);
	int rc = 0;

	if (!X509_up_ref(x))
		return -ENOMEM;
	ca->cert = x;
	for (int i = 0; rc == 0 && i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_self_signed(x, 0) == 1)
			rc = add_root(ca, x);
		else if (i == 0)
			continue; /* finish_chain() puts it first */
		else if (!X509_up_ref(x))
			rc = -ENOMEM;
		else if (!sk_X509_push(ca->chain, x)) {
			X509_free(x);
			rc = -ENOMEM;
		}
	}
	return rc;
}

/* Each certificate of a bundle file must be a self-signed CA. */
static int
load_bundle(struct ctl_ca *ca, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = ca_read_certs(path, err, errlen);
	int rc = certs == NULL ? -errno : 0;

	for (int i = 0; rc == 0 && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (X509_check_ca(x) == 0 || X509_self_signed(x, 1) != 1)
			rc = ca_fail(err, errlen, -EINVAL,
				     "bundle file %s: certificate %d is not a self-signed CA", path,
				     i + 1);
		else if ((rc = add_root(ca, x)) < 0)
			ca_fail(err, errlen, rc, "bundle file %s: out of memory", path);
	}
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 || errno != ENOENT;
}

/* A new root written to the configured paths, key first: a crash between
 * the two leaves a key without a certificate, refused at the next start
 * rather than overwritten; a failed certificate write removes the key. */
static int
create_root(struct ctl_ca *ca, const struct ctl_ca_conf *conf, char *err, size_t errlen)
{
	int rc = ca_make_root(ca->td, time(NULL), &ca->cert, &ca->key, err, errlen);

	if (rc == 0)
		rc = ca_write_key(conf->key, ca->key, true, err, errlen);
	if (rc == 0 && (rc = ca_write_certs(conf->cert, ca->cert, NULL, true, err, errlen)) < 0)
		unlink(conf->key); /* ours, just written: the next start may create again */
	if (rc == 0 && !X509_up_ref(ca->cert))
		rc = -ENOMEM;
	if (rc == 0 && !sk_X509_push(ca->roots, ca->cert)) {
		X509_free(ca->cert);
		rc = -ENOMEM;
	}
	ca->created = rc == 0;
	return rc;
}

static int
load_files(struct ctl_ca *ca, const struct ctl_ca_conf *conf, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = ca_read_certs(conf->cert, err, errlen);
	int rc = certs == NULL ? -errno : 0;

	if (rc == 0 && (ca->key = ca_read_key(conf->key, err, errlen)) == NULL)
		rc = -errno;
	if (rc == 0 && (rc = split_cert_file(ca, certs)) < 0)
		ca_fail(err, errlen, rc, "%s: out of memory", conf->cert);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* The CA certificate can sign, matches its key, is valid, chains to a root. */
static int
check_ca(struct ctl_ca *ca, const char *path, char *err, size_t errlen)
{
	X509_STORE *st = NULL;
	X509_STORE_CTX *vc = NULL;
	int id = EVP_PKEY_get_base_id(ca->key), rc = 0;

	if (X509_check_ca(ca->cert) == 0 || !(X509_get_key_usage(ca->cert) & KU_KEY_CERT_SIGN))
		return ca_fail(err, errlen, -EINVAL,
			       "%s: not a CA certificate allowed to sign certificates", path);
	if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA)
		return ca_fail(err, errlen, -EINVAL, "%s: the CA key must be ECDSA or RSA", path);
	if (X509_check_private_key(ca->cert, ca->key) != 1)
		return ca_fail(err, errlen, -EINVAL, "%s: the key does not match the certificate",
			       path);
	st = ctl_ca_store(ca);
	vc = X509_STORE_CTX_new();
	if (st == NULL || vc == NULL || !X509_STORE_CTX_init(vc, st, ca->cert, ca->chain))
		rc = ca_fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	else if (X509_verify_cert(vc) != 1)
		rc = ca_fail(err, errlen, -EINVAL,
			     "%s: the CA certificate does not verify against the bundle: %s", path,
			     X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)));
	X509_STORE_CTX_free(vc);
	X509_STORE_free(st);
	return rc;
}

/* The chain sent after a leaf: the CA certificate itself unless a root. */
static int
finish_chain(struct ctl_ca *ca)
{
	if (X509_self_signed(ca->cert, 0) == 1)
		return 0;
	if (!X509_up_ref(ca->cert))
		return -ENOMEM;
	if (!sk_X509_insert(ca->chain, ca->cert, 0)) {
		X509_free(ca->cert);
		return -ENOMEM;
	}
	return 0;
}

struct ctl_ca *
ctl_ca_open(const struct ctl_identities_conf *id, char *err, size_t errlen)
{
	const struct ctl_ca_conf *conf = &id->ca;
	struct ctl_ca *ca = calloc(1, sizeof(*ca));
	int rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (ca == NULL || (ca->chain = sk_X509_new_null()) == NULL ||
	    (ca->roots = sk_X509_new_null()) == NULL)
		rc = ca_fail(err, errlen, -ENOMEM, "CA: out of memory");
	else if (!ca_td_ok(id->trust_domain, strlen(id->trust_domain)))
		rc = ca_fail(err, errlen, -EINVAL, "CA: bad trust domain");
	if (rc == 0) {
		ca->refs = 1;
		snprintf(ca->td, sizeof(ca->td), "%s", id->trust_domain);
		if (conf->create && !file_exists(conf->cert) && !file_exists(conf->key))
			rc = create_root(ca, conf, err, errlen);
		else
			rc = load_files(ca, conf, err, errlen);
	}
	for (unsigned int i = 0; rc == 0 && i < conf->n_bundle; i++)
		rc = load_bundle(ca, conf->bundle[i], err, errlen);
	if (rc == 0)
		rc = check_ca(ca, conf->cert, err, errlen);
	if (rc == 0 && (rc = finish_chain(ca)) < 0)
		ca_fail(err, errlen, rc, "CA: out of memory");
	if (rc < 0) {
		if (ca != NULL)
			ca_free(ca);
		errno = -rc;
		return NULL;
	}
	return ca;
}

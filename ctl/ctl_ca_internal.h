/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca_internal.h - what the ctl_ca*.c files share: the two structs and
 * the helpers for files and certificate building. Nothing outside the CA
 * module includes it; its interface is ctl_ca.h.
 */
#ifndef MESHGW_CTL_CA_INTERNAL_H
#define MESHGW_CTL_CA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ctl_ca.h"

/* Immutable after ctl_ca_open() but for refs. */
struct ctl_ca {
	int refs; /* atomic */
	bool created;
	char td[CTL_TRUST_DOMAIN_MAX];
	X509 *cert;		/* signs leaves */
	EVP_PKEY *key;		/* its key */
	STACK_OF(X509) * chain; /* sent after a leaf: cert if not a root, then intermediates */
	STACK_OF(X509) * roots; /* the trust bundle, the CA's own root first when known */
};

struct ctl_cert {
	X509 *x509;
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
	char identity[CTL_IDENTITY_MAX];
	time_t issued_at, not_after;
};

/* Writes "<message>[: <OpenSSL's first queued reason>]" to err and clears
 * OpenSSL's error queue; returns rc (a -errno). */
int ca_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Every certificate of a PEM file (at least one), in file order; NULL with
 * errno and err. */
STACK_OF(X509) * ca_read_certs(const char *path, char *err, size_t errlen);
/* A private key from a PEM file no group or other may access (-EPERM);
 * encrypted keys are refused (no passphrase prompt). NULL with errno. */
EVP_PKEY *ca_read_key(const char *path, char *err, size_t errlen);
/* Writes PEM: certificates (0644) or a key (0600). excl: fail if the file
 * exists (a created CA never overwrites); else replaced through a temporary
 * file and rename. 0 or -errno. */
int ca_write_certs(const char *path, X509 *first, STACK_OF(X509) * rest, bool excl, char *err,
		   size_t errlen);
int ca_write_key(const char *path, EVP_PKEY *key, bool excl, char *err, size_t errlen);

/* A new self-signed root for trust domain td, valid from now. */
int ca_make_root(const char *td, time_t now, X509 **cert, EVP_PKEY **key, char *err, size_t errlen);

/* [A-Za-z0-9._-]+, not "." or "..", shorter than CTL_ID_SEGMENT_MAX. */
bool ca_segment_ok(const char *s, size_t n);
/* [a-z0-9._-]+, shorter than CTL_TRUST_DOMAIN_MAX. */
bool ca_td_ok(const char *s, size_t n);

/* The time an ASN1_TIME stands for; 0 (and false) when unreadable. */
bool ca_asn1_time(const ASN1_TIME *t, time_t *out);

#endif /* MESHGW_CTL_CA_INTERNAL_H */

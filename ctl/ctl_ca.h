/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca.h - the mesh's built-in certificate authority: the CA certificate
 * and key (loaded, or created on first start when told to), the trust bundle
 * (several roots, so a root can be rotated with an overlap), short-lived
 * workload certificates carrying a SPIFFE ID, their renewal times, and the
 * check of a peer's certificate on the inbound side. OpenSSL 3 only, no DPDK.
 *
 * Threads: a struct ctl_ca never changes after ctl_ca_open(), so any thread
 * holding a reference may issue from it, build stores and verify at the same
 * time (the helper thread generates keys while the control thread describes
 * certificates). A struct ctl_cert is immutable too; it has one owner.
 * Nothing here logs, and no function ever writes key material to err, to a
 * description, or anywhere but the key file ctl_cert_write() is given.
 *
 * Errors: 0 or -errno; constructors return NULL with errno set. err (may be
 * NULL) receives one line naming the file or identity and OpenSSL's reason.
 */
#ifndef MESHGW_CTL_CA_H
#define MESHGW_CTL_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ctl_config.h"

#define CTL_CA_BACKDATE_S   60		      /* notBefore this far back: peers' clock skew */
#define CTL_CA_ROOT_DAYS    3650	      /* a created root's validity */
#define CTL_CA_SERIAL_HEX   33		      /* 128-bit serial in hex, NUL included */
#define CTL_CA_NAME_MAX	    256		      /* an issuer or subject as RFC 2253 text */
#define CTL_CA_LIFETIME_MIN (10ULL * 1000000) /* us: below this renewal cannot keep up */

struct ctl_ca;
struct ctl_cert;

/*
 * Opens the CA of id->ca for trust domain id->trust_domain:
 * - ca.cert holds the CA certificate (a root or an intermediate) followed by
 *   the rest of its chain; self-signed certificates there join the roots;
 * - ca.key its key: refused (-EPERM) if the file grants any permission to
 *   group or others, checked on the descriptor that is read;
 * - with ca.create and neither file present, a new self-signed root is made
 *   (ECDSA P-256, CA:TRUE, keyCertSign and cRLSign, CTL_CA_ROOT_DAYS) and
 *   written: the key with mode 0600, both with O_EXCL (never overwritten);
 * - ca.bundle files add roots (each certificate in them must be a
 *   self-signed CA).
 * The CA certificate must match its key, be a CA allowed to sign
 * certificates, be valid now, and chain to one of the roots.
 * Returns a CA with one reference (the caller's), or NULL with errno set.
 */
struct ctl_ca *ctl_ca_open(const struct ctl_identities_conf *id, char *err, size_t errlen);

/* References: one per holder (the control thread, a helper thread's job).
 * ctl_ca_unref() accepts NULL and frees the CA with its last reference. */
struct ctl_ca *ctl_ca_ref(struct ctl_ca *ca);
void ctl_ca_unref(struct ctl_ca *ca);

/* True when ctl_ca_open() created the root (worth a log line with its path). */
bool ctl_ca_created(const struct ctl_ca *ca);
const char *ctl_ca_trust_domain(const struct ctl_ca *ca);
/* The signing certificate; borrowed, valid while the CA is. */
X509 *ctl_ca_cert(const struct ctl_ca *ca);
/* The trust bundle: the roots, the CA's own first. Borrowed. */
unsigned int ctl_ca_n_roots(const struct ctl_ca *ca);
X509 *ctl_ca_root(const struct ctl_ca *ca, unsigned int i);

/* A new X509_STORE holding every root (no partial chains, no CRLs): one
 * per SSL_CTX (SSL_CTX_set1_verify_cert_store) or for ctl_ca_verify_peer().
 * The caller owns it (X509_STORE_free). NULL with errno on failure. */
X509_STORE *ctl_ca_store(const struct ctl_ca *ca);

/* What to issue. ns and sa are SPIFFE path segments ([A-Za-z0-9._-]+, not
 * "." or ".."); the ID is spiffe://<trust domain>/ns/<ns>/sa/<sa>. */
struct ctl_cert_req {
	const char *ns, *sa;
	uint32_t ip;	      /* host order: an IP SAN (the gateway's fabric address); 0: none */
	uint64_t lifetime_us; /* at least CTL_CA_LIFETIME_MIN; cut at the CA's own notAfter */
	time_t now;	      /* 0: the current time; else issue as of then (tests) */
};

/*
 * Issues a certificate: a fresh ECDSA P-256 key; subject O=<trust domain>,
 * OU=<ns>, CN=<sa>; URI SAN the SPIFFE ID and the IP SAN if asked; a random
 * 128-bit serial; notBefore now - CTL_CA_BACKDATE_S, notAfter now +
 * lifetime; keyUsage digitalSignature, extendedKeyUsage serverAuth and
 * clientAuth, CA:FALSE, SKI and AKI; signed by the CA with SHA-256.
 * Reentrant and slow (key generation): meant for a helper thread holding a
 * reference to ca. NULL with errno (EINVAL for a bad request).
 */
struct ctl_cert *ctl_ca_issue(const struct ctl_ca *ca, const struct ctl_cert_req *req, char *err,
			      size_t errlen);

/* Accepts NULL. The key is freed (and cleansed by OpenSSL) with it. */
void ctl_cert_free(struct ctl_cert *c);

/* Borrowed parts, valid while c is: for SSL_CTX_use_certificate/PrivateKey
 * (which take their own references) or through ctl_cert_use(). The chain
 * holds what a peer needs between the certificate and a root (empty for a
 * root CA). */
X509 *ctl_cert_x509(const struct ctl_cert *c);
EVP_PKEY *ctl_cert_key(const struct ctl_cert *c);
STACK_OF(X509) * ctl_cert_chain(const struct ctl_cert *c);
const char *ctl_cert_identity(const struct ctl_cert *c);
time_t ctl_cert_issued_at(const struct ctl_cert *c); /* the request's now (not notBefore) */
time_t ctl_cert_not_after(const struct ctl_cert *c);

/* Installs certificate, key and chain in ctx (each with its own reference;
 * c may be freed afterwards). 0 or -EINVAL. */
int ctl_cert_use(const struct ctl_cert *c, SSL_CTX *ctx);

/* Writes the certificate then its chain (PEM, 0644) to cert_path and the
 * key (PEM, 0600) to key_path, replacing them (for clients in tests, and
 * for tools). 0 or -errno. */
int ctl_cert_write(const struct ctl_cert *c, const char *cert_path, const char *key_path, char *err,
		   size_t errlen);

/* Renewal: at half life from issue. When an attempt fails the caller keeps
 * the valid certificate, counts the failure (an alarm), and tries again at
 * ctl_cert_retry_at(): an eighth of the time left, 1 s to 60 s. */
time_t ctl_cert_renew_at(const struct ctl_cert *c);
bool ctl_cert_needs_renewal(const struct ctl_cert *c, time_t now);
time_t ctl_cert_retry_at(const struct ctl_cert *c, time_t now);

/* What `meshgwctl certs` shows of a certificate: never key material. */
struct ctl_cert_info {
	char identity[CTL_IDENTITY_MAX]; /* the first URI SAN; "" if none */
	char serial[CTL_CA_SERIAL_HEX];	 /* lower-case hex, no leading zeros ("0" for 0) */
	char issuer[CTL_CA_NAME_MAX];	 /* RFC 2253, cut with "..." if longer */
	char subject[CTL_CA_NAME_MAX];
	time_t not_before, not_after;
};
int ctl_cert_describe(const X509 *x, struct ctl_cert_info *info);

/* Splits a SPIFFE ID of the shape spiffe://<td>/ns/<ns>/sa/<sa> (td as in
 * the config, segments as above; ns and sa may be NULL, else
 * CTL_ID_SEGMENT_MAX bytes). 0, -EBADMSG (malformed), -EPERM (a trust
 * domain other than td; td NULL accepts any). */
int ctl_spiffe_parse(const char *id, const char *td, char *ns, char *sa);

/*
 * The identity of a peer certificate whose chain is already verified (as by
 * the TLS handshake): exactly one URI SAN, a SPIFFE ID of trust domain td
 * of the shape above, copied to id (CTL_IDENTITY_MAX bytes). 0, or
 * -EINVAL (a CA certificate), -ENOENT (no URI SAN), -ENOTUNIQ (several),
 * -EBADMSG (malformed), -EPERM (another trust domain).
 */
int ctl_spiffe_from_cert(X509 *leaf, const char *td, char *id);

/*
 * Verifies leaf with the untrusted chain (may be NULL) against store for a
 * peer that is a TLS client (peer_is_client) or server, at time now (0: the
 * current time), then takes its identity as ctl_spiffe_from_cert() does.
 * 0, -EACCES (the chain does not verify: OpenSSL's reason in err), or
 * ctl_spiffe_from_cert()'s errors.
 */
int ctl_ca_verify_peer(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain, const char *td,
		       bool peer_is_client, time_t now, char *id, char *err, size_t errlen);

#endif /* MESHGW_CTL_CA_H */

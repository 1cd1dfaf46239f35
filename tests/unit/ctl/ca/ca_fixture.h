/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ca_fixture.h - what the CA tests share: a temporary directory, CAs
 * created in it through ctl_ca_open(), and OpenSSL's own verification of a
 * certificate against a CA's bundle. Include after cmocka.h.
 */
#ifndef MESHGW_TEST_CA_FIXTURE_H
#define MESHGW_TEST_CA_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ctl_ca.h"

static char tmpdir[64];

/* tmpdir/<name> into buf. */
__attribute__((unused)) static const char *
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* A config for a CA in tmpdir/<tag>.pem and tmpdir/<tag>.key. */
static void
ca_conf(struct ctl_identities_conf *id, const char *td, const char *tag, bool create)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->trust_domain, sizeof(id->trust_domain), "%s", td);
	snprintf(id->ca.cert, sizeof(id->ca.cert), "%s/%s.pem", tmpdir, tag);
	snprintf(id->ca.key, sizeof(id->ca.key), "%s/%s.key", tmpdir, tag);
	id->ca.create = create;
	id->cert_lifetime_us = 24ULL * 3600 * 1000000;
}

/* Opens (creating when absent) the CA <tag> of trust domain td; fails the
 * test with the message otherwise. */
static struct ctl_ca *
open_ca(const struct ctl_identities_conf *id)
{
	char err[512];
	struct ctl_ca *ca = ctl_ca_open(id, err, sizeof(err));

	if (ca == NULL)
		print_error("ctl_ca_open: %s\n", err);
	assert_non_null(ca);
	return ca;
}

static struct ctl_cert *
issue(const struct ctl_ca *ca, const char *ns, const char *sa, uint32_t ip, uint64_t life_s,
      time_t now)
{
	struct ctl_cert_req req = {
		.ns = ns, .sa = sa, .ip = ip, .lifetime_us = life_s * 1000000, .now = now};
	char err[512];
	struct ctl_cert *c = ctl_ca_issue(ca, &req, err, sizeof(err));

	if (c == NULL)
		print_error("ctl_ca_issue: %s\n", err);
	assert_non_null(c);
	return c;
}

/* X509_verify_cert of x (with chain) against ca's bundle at time now (0:
 * the current time): X509_V_OK or OpenSSL's error. */
static int
openssl_verify(const struct ctl_ca *ca, X509 *x, STACK_OF(X509) * chain, time_t now)
{
	X509_STORE *st = ctl_ca_store(ca);
	X509_STORE_CTX *vc = X509_STORE_CTX_new();
	int rc;

	assert_non_null(st);
	assert_non_null(vc);
	assert_int_equal(X509_STORE_CTX_init(vc, st, x, chain), 1);
	if (now != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(vc), now);
	rc = X509_verify_cert(vc) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(vc);
	X509_STORE_CTX_free(vc);
	X509_STORE_free(st);
	return rc;
}

/* ctl_ca_verify_peer against ca's bundle for the test's trust domain. */
static int
peer_verify(const struct ctl_ca *ca, X509 *x, STACK_OF(X509) * chain, const char *td, time_t now,
	    char *id)
{
	X509_STORE *st = ctl_ca_store(ca);
	char err[256];
	int rc;

	assert_non_null(st);
	rc = ctl_ca_verify_peer(st, x, chain, td, true, now, id, err, sizeof(err));
	X509_STORE_free(st);
	return rc;
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/meshgw-tca-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif /* MESHGW_TEST_CA_FIXTURE_H */

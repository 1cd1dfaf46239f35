/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_tls.c - the config loader's `tls` group and a service's `tls`:
 * real ECDSA P-256 certificates and keys written to a temp dir by the setup,
 * every field where ctl_config.h says (defaults, two certificates, a chain,
 * wildcard and lower-cased names, client_ca, the service's index), and one
 * error per class with its exact file:line text (files, key mode, a key not
 * matching its certificate, names, versions, service references).
 */
#include <errno.h>
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include "cfg_expect.h"
#include "ctl_config.h"

static char dir[64];
static char text[8192];

/* expect_ok() overwrites the config: release the last one first. */
static void
load_ok(const char *t)
{
	ctl_config_release(cfg);
	expect_ok(t);
}

/* dir/name, in a rotating set of buffers so several fit in one call. */
static const char *
path(const char *name)
{
	static char bufs[8][256];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

/* A self-signed ECDSA P-256 certificate for cn, and its key. */
static X509 *
self_signed(const char *cn, EVP_PKEY **key)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	*key = k;
	return x;
}

static void
write_certs(const char *name, X509 *a, X509 *b)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, a), 1);
	if (b != NULL)
		assert_int_equal(PEM_write_X509(f, b), 1);
	assert_int_equal(fclose(f), 0);
}

static void
write_key(const char *name, EVP_PKEY *k, mode_t mode)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path(name), mode), 0);
}

static void
write_text(const char *name, const char *t, mode_t mode)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(t, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path(name), mode), 0);
}

static const char *const files[] = {"a.pem",	 "a.key",	"b.pem",
				    "b.key",	 "chain.pem",	"open.key",
				    "empty.pem", "cert_as.key", "bad_chain.pem"};

static int
setup(void **state)
{
	EVP_PKEY *ka, *kb;
	X509 *a, *b;

	(void)state;
	cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	memset(cfg, 0, sizeof(*cfg));
	snprintf(dir, sizeof(dir), "/tmp/mgw-tlsconf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	a = self_signed("a.example.com", &ka);
	b = self_signed("b.example.org", &kb);
	write_certs("a.pem", a, NULL);
	write_key("a.key", ka, 0600);
	write_certs("b.pem", b, NULL);
	write_key("b.key", kb, 0400);
	write_certs("chain.pem", a, b); /* a, then a chain certificate */
	write_key("open.key", ka, 0640);
	write_text("empty.pem", "no certificate here\n", 0644);
	write_text("cert_as.key", "", 0600);
	write_certs("bad_chain.pem", a, NULL);
	{
		FILE *f = fopen(path("cert_as.key"), "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_X509(f, a), 1);
		assert_int_equal(fclose(f), 0);
		f = fopen(path("bad_chain.pem"), "a");
		assert_non_null(f);
		fputs("-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n", f);
		assert_int_equal(fclose(f), 0);
	}
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ctl_config_release(cfg);
	free(cfg);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(path(files[i]));
	rmdir(dir);
	return 0;
}

/* Lines 1-2: a port and a cluster; so an error on line N is on line N. */
#define BASE                                                                                       \
	"ports = ( { name = \"local\"; iface = \"mgw-local\"; address = \"10.10.0.1/24\"; } );\n"  \
	"clusters = ( { name = \"c\"; endpoints = ( { address = \"10.77.1.2\"; port = 80; } ); } " \
	");\n"

/* BASE, then a tls group with one ingress "edge" whose one certificate is
 * written as cert_body (line 4), then tail. */
static const char *
one_cert(const char *cert_body, const char *tail)
{
	snprintf(text, sizeof(text),
		 BASE "tls = { ingress = ( { name = \"edge\";\n"
		      "  certificates = ( { %s } ); } ); };\n%s",
		 cert_body, tail);
	return text;
}

static const char *
pair(const char *cert, const char *key, const char *rest)
{
	static char body[1024];

	snprintf(body, sizeof(body), "cert = \"%s\"; key = \"%s\"; %s", path(cert), path(key),
		 rest);
	return body;
}

static void
test_defaults(void **state)
{
	const struct ctl_tls_ingress_conf *in;

	(void)state;
	load_ok(BASE
		"services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\"; } );");
	assert_null(cfg->tls);
	assert_int_equal(cfg->services[0].tls, 0);

	load_ok(one_cert(pair("a.pem", "a.key", ""), ""));
	assert_non_null(cfg->tls);
	assert_int_equal(cfg->tls->n_ingress, 1);
	in = &cfg->tls->ingress[0];
	assert_string_equal(in->name, "edge");
	assert_int_equal(in->min_version, TLS1_2_VERSION);
	assert_int_equal(in->min_version, 0x0303);
	assert_int_equal(in->line, 3);
	assert_int_equal(in->n_certs, 1);
	assert_string_equal(in->certs[0].cert, path("a.pem"));
	assert_string_equal(in->certs[0].key, path("a.key"));
	assert_int_equal(in->certs[0].n_names, 0);
	assert_int_equal(in->certs[0].line, 4);
	assert_string_equal(in->client_ca, "");
}

static void
test_full(void **state)
{
	const struct ctl_tls_ingress_conf *in;

	(void)state;
	snprintf(text, sizeof(text),
		 BASE "tls = {\n"
		      "  ingress = (\n"
		      "    { name = \"edge\"; min_version = \"1.2\";\n" /* 5 */
		      "      certificates = (\n"
		      "        { cert = \"%s\"; key = \"%s\";\n" /* 7 */
		      "          names = [ \"A.Example.COM\", \"*.example.com\" ]; },\n"
		      "        { cert = \"%s\"; key = \"%s\"; names = [ \"b.example.org\" ]; } );\n"
		      "      client_ca = \"%s\"; },\n"
		      "    { name = \"inner-1.3\"; min_version = \"1.3\";\n" /* 11 */
		      "      certificates = ( { cert = \"%s\"; key = \"%s\"; names = [ "
		      "\"a.example.com\" ]; } ); }\n"
		      "  );\n"
		      "};\n"
		      "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\"; "
		      "tls = \"edge\"; },\n"
		      "  { name = \"db\"; vips = \"10.0.0.2:5432\"; cluster = \"c\"; tls = "
		      "\"inner-1.3\"; },\n"
		      "  { name = \"plain\"; vips = \"10.0.0.3:80\"; cluster = \"c\"; } );\n",
		 path("chain.pem"), path("a.key"), path("b.pem"), path("b.key"), path("chain.pem"),
		 path("a.pem"), path("a.key"));
	load_ok(text);
	assert_int_equal(cfg->tls->n_ingress, 2);
	in = &cfg->tls->ingress[0];
	assert_int_equal(in->line, 5);
	assert_int_equal(in->min_version, TLS1_2_VERSION);
	assert_int_equal(in->n_certs, 2);
	assert_string_equal(in->certs[0].cert, path("chain.pem"));
	assert_int_equal(in->certs[0].line, 7);
	assert_int_equal(in->certs[0].n_names, 2);
	assert_string_equal(in->certs[0].names[0], "a.example.com");
	assert_string_equal(in->certs[0].names[1], "*.example.com");
	assert_string_equal(in->certs[1].key, path("b.key"));
	assert_int_equal(in->certs[1].n_names, 1);
	assert_string_equal(in->certs[1].names[0], "b.example.org");
	assert_string_equal(in->client_ca, path("chain.pem"));
	in = &cfg->tls->ingress[1];
	assert_string_equal(in->name, "inner-1.3");
	assert_int_equal(in->min_version, TLS1_3_VERSION);
	assert_int_equal(in->min_version, 0x0304);
	assert_int_equal(in->line, 11);
	/* the same name in another ingress is fine */
	assert_string_equal(in->certs[0].names[0], "a.example.com");
	assert_string_equal(in->client_ca, "");
	assert_int_equal(cfg->n_services, 3);
	assert_int_equal(cfg->services[0].tls, 1);
	assert_int_equal(cfg->services[1].tls, 2);
	assert_int_equal(cfg->services[2].tls, 0);
}

/* Order does not matter: services before the tls group resolve too. */
static void
test_services_first(void **state)
{
	(void)state;
	snprintf(text, sizeof(text),
		 BASE
		 "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\"; tls = "
		 "\"edge\"; } );\n"
		 "tls = { ingress = ( { name = \"edge\"; certificates = ( { cert = \"%s\"; key = "
		 "\"%s\"; } ); } ); };\n",
		 path("a.pem"), path("a.key"));
	load_ok(text);
	assert_int_equal(cfg->services[0].tls, 1);
}

static void
test_err_group(void **state)
{
	(void)state;
	expect_err(BASE "tls = ( { name = \"edge\"; } );",
		   "t.conf:3: 'tls' expected a group { ... }");
	expect_err(BASE "tls = {};", "t.conf:3: 'tls' needs an 'ingress' list of 1 to 16 contexts");
	expect_err(BASE "tls = { ingress = (); };",
		   "t.conf:3: 'tls' needs an 'ingress' list of 1 to 16 contexts");
	expect_err(BASE "tls = { egress = (); };",
		   "t.conf:3: unknown setting 'egress' (did you mean 'ingress'?)");
	expect_err(BASE "tls = { ingress = ( { certificates = (); } ); };",
		   "t.conf:3: ingress: 'name' is required");
	expect_err(BASE "tls = { ingress = ( { name = \"a b\"; } ); };",
		   "t.conf:3: 'name' expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' and "
		   "'-'");
	expect_err(BASE "tls = { ingress = ( { name = \"edge\"; } ); };",
		   "t.conf:3: ingress 'edge' needs 'certificates' (1 to 8)");
	snprintf(
		text, sizeof(text),
		BASE
		"tls = { ingress = (\n"
		"  { name = \"edge\"; certificates = ( { cert = \"%s\"; key = \"%s\"; } ); },\n"
		"  { name = \"edge\"; certificates = ( { cert = \"%s\"; key = \"%s\"; } ); } ); };",
		path("a.pem"), path("a.key"), path("b.pem"), path("b.key"));
	expect_err(text, "t.conf:5: duplicate ingress name 'edge' (first at line 4)");
}

static void
test_err_versions(void **state)
{
	static const char *const bad[] = {"1.0", "1.1", "1.4", "TLSv1.2", ""};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 BASE
			 "tls = { ingress = ( { name = \"edge\";\n  min_version = \"%s\"; } ); };",
			 bad[i]);
		expect_err(text,
			   "t.conf:4: 'min_version' expected \"1.2\" or \"1.3\" (only TLS 1.2 "
			   "and 1.3 are allowed)");
	}
	expect_err(BASE "tls = { ingress = ( { name = \"edge\";\n  min_version = 1.2; } ); };",
		   "t.conf:4: 'min_version' expected \"1.2\" or \"1.3\" (only TLS 1.2 and 1.3 are "
		   "allowed)");
}

static void
test_err_files(void **state)
{
	char want[512];

	(void)state;
	expect_err(one_cert("cert = \"a.pem\"; key = \"/k\";", ""),
		   "t.conf:4: 'cert' expected an absolute file path shorter than 256 characters");
	expect_err(one_cert("cert = \"/tmp/\"; key = \"/k\";", ""),
		   "t.conf:4: 'cert' expected an absolute file path shorter than 256 characters");
	expect_err(one_cert("key = \"/k\";", ""), "t.conf:4: certificate: 'cert' is required");
	snprintf(want, sizeof(want), "cert = \"%s\";", path("a.pem"));
	expect_err(one_cert(want, ""), "t.conf:4: certificate: 'key' is required");

	snprintf(want, sizeof(want), "t.conf:4: 'cert' %s: No such file or directory",
		 path("none.pem"));
	expect_err(one_cert(pair("none.pem", "a.key", ""), ""), want);
	snprintf(want, sizeof(want), "t.conf:4: 'cert' %s is not a regular file", path("."));
	expect_err(one_cert(pair(".", "a.key", ""), ""), want);
	snprintf(want, sizeof(want), "t.conf:4: 'cert' %s: no PEM certificate in it",
		 path("empty.pem"));
	expect_err(one_cert(pair("empty.pem", "a.key", ""), ""), want);
	snprintf(want, sizeof(want),
		 "t.conf:4: 'cert' %s: a malformed PEM certificate after the first",
		 path("bad_chain.pem"));
	expect_err(one_cert(pair("bad_chain.pem", "a.key", ""), ""), want);

	snprintf(want, sizeof(want),
		 "t.conf:4: 'key' %s is open to group or others (mode 0640); a private key must "
		 "be 0600 or stricter",
		 path("open.key"));
	expect_err(one_cert(pair("a.pem", "open.key", ""), ""), want);
	snprintf(want, sizeof(want), "t.conf:4: 'key' %s: no unencrypted PEM private key in it",
		 path("cert_as.key"));
	expect_err(one_cert(pair("a.pem", "cert_as.key", ""), ""), want);
	snprintf(want, sizeof(want), "t.conf:4: 'key' %s does not match the certificate %s",
		 path("b.key"), path("a.pem"));
	expect_err(one_cert(pair("a.pem", "b.key", ""), ""), want);
	/* the chain's second certificate is not the one the key must match */
	snprintf(want, sizeof(want), "t.conf:4: 'key' %s does not match the certificate %s",
		 path("b.key"), path("chain.pem"));
	expect_err(one_cert(pair("chain.pem", "b.key", ""), ""), want);

	/* client_ca: a file with at least one certificate */
	snprintf(text, sizeof(text),
		 BASE "tls = { ingress = ( { name = \"edge\";\n"
		      "  certificates = ( { cert = \"%s\"; key = \"%s\"; } );\n"
		      "  client_ca = \"%s\"; } ); };\n",
		 path("a.pem"), path("a.key"), path("empty.pem"));
	snprintf(want, sizeof(want), "t.conf:5: 'client_ca' %s: no PEM certificate in it",
		 path("empty.pem"));
	expect_err(text, want);
	snprintf(text, sizeof(text),
		 BASE "tls = { ingress = ( { name = \"edge\";\n"
		      "  certificates = ( { cert = \"%s\"; key = \"%s\"; } );\n"
		      "  client_ca = \"%s\"; } ); };\n",
		 path("a.pem"), path("a.key"), path("none.pem"));
	snprintf(want, sizeof(want), "t.conf:5: 'client_ca' %s: No such file or directory",
		 path("none.pem"));
	expect_err(text, want);
	snprintf(text, sizeof(text),
		 BASE "tls = { ingress = ( { name = \"edge\";\n"
		      "  certificates = ( { cert = \"%s\"; key = \"%s\"; } );\n"
		      "  client_ca = \"ca.pem\"; } ); };\n",
		 path("a.pem"), path("a.key"));
	expect_err(
		text,
		"t.conf:5: 'client_ca' expected an absolute file path shorter than 256 characters");
}

static void
test_err_names(void **state)
{
	static const char *const bad[] = {
		"",
		"a..b",
		".a",
		"a.",
		"*.",
		"*",
		"x*.example.com",
		"*.*.example.com",
		"a_b.example.com",
		"a b",
	};
	char body[1024], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
		snprintf(body + strlen(body), sizeof(body) - strlen(body), "names = [ \"%s\" ];",
			 bad[i]);
		snprintf(
			want, sizeof(want),
			"t.conf:4: 'names' \"%s\" is not a DNS name such as \"api.example.com\" or "
			"\"*.example.com\" (labels of 1 to 63 letters, digits and '-'; shorter "
			"than "
			"128 characters)",
			bad[i]);
		expect_err(one_cert(body, ""), want);
	}
	/* a label of 64 characters (the message cuts the long name) */
	snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
	strcat(body, "names = [ \"0123456789012345678901234567890123456789012345678901234567890123."
		     "com\" ];");
	expect_err(one_cert(body, ""),
		   "t.conf:4: 'names' "
		   "\"01234567890123456789012345678901234567890123456789012345678...\" is not a "
		   "DNS name such as \"api.example.com\" "
		   "or \"*.example.com\" (labels of 1 to 63 letters, digits and '-'; shorter than "
		   "128 characters)");
	/* 63-character labels are fine; 128 characters in all are not */
	snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
	snprintf(body + strlen(body), sizeof(body) - strlen(body), "names = [ \"%s\" ];",
		 "012345678901234567890123456789012345678901234567890123456789012."
		 "012345678901234567890123456789012345678901234567890123456789012");
	load_ok(one_cert(body, ""));
	assert_int_equal(strlen(cfg->tls->ingress[0].certs[0].names[0]), 127);
	snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
	snprintf(body + strlen(body), sizeof(body) - strlen(body), "names = [ \"%s\" ];",
		 "012345678901234567890123456789012345678901234567890123456789012."
		 "012345678901234567890123456789012345678901234567890123456789012.x");
	expect_err(one_cert(body, ""),
		   "t.conf:4: 'names' "
		   "\"01234567890123456789012345678901234567890123456789012345678...\" is "
		   "not a DNS name such as \"api.example.com\" or \"*.example.com\" (labels of 1 "
		   "to 63 letters, digits and '-'; shorter than 128 characters)");

	snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
	strcat(body, "names = [ \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\" ];");
	expect_err(one_cert(body, ""),
		   "t.conf:4: 'names' expected a list of at most 8 names [ \"...\" ]");

	/* the same name twice in one ingress, also across certificates and cases */
	snprintf(body, sizeof(body), "%s", pair("a.pem", "a.key", ""));
	strcat(body, "names = [ \"a.example.com\", \"*.example.com\", \"*.EXAMPLE.com\" ];");
	expect_err(one_cert(body, ""), "t.conf:4: 'names' \"*.example.com\" is listed twice in "
				       "ingress 'edge' (first at line 4)");
	snprintf(text, sizeof(text),
		 BASE "tls = { ingress = ( { name = \"edge\"; certificates = (\n"
		      "  { cert = \"%s\"; key = \"%s\"; names = [ \"a.example.com\" ]; },\n"
		      "  { cert = \"%s\"; key = \"%s\";\n"
		      "    names = [ \"b.example.org\", \"A.example.com\" ]; } ); } ); };\n",
		 path("a.pem"), path("a.key"), path("b.pem"), path("b.key"));
	expect_err(text, "t.conf:6: 'names' \"a.example.com\" is listed twice in ingress 'edge' "
			 "(first at line 4)");
}

static void
test_err_services(void **state)
{
	char tail[512];

	(void)state;
	expect_err(
		BASE "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\";\n"
		     "  tls = \"edge\"; } );",
		"t.conf:4: 'tls' \"edge\" of service 'web' is not a defined tls ingress (there is "
		"no 'tls' group)");
	snprintf(tail, sizeof(tail),
		 "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\";\n"
		 "  tls = \"edgy\"; } );");
	expect_err(one_cert(pair("a.pem", "a.key", ""), tail),
		   "t.conf:6: 'tls' \"edgy\" of service 'web' is not a defined tls ingress");
	snprintf(tail, sizeof(tail),
		 "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\";\n"
		 "  tls = \"edge\"; protocol = \"http\"; } );");
	expect_err(one_cert(pair("a.pem", "a.key", ""), tail),
		   "t.conf:6: 'tls' is not supported on http services yet (only tcp)");
	snprintf(tail, sizeof(tail),
		 "services = ( { name = \"web\"; vips = \"10.0.0.1:443\"; cluster = \"c\";\n"
		 "  tls = true; } );");
	expect_err(one_cert(pair("a.pem", "a.key", ""), tail),
		   "t.conf:6: 'tls' expected 1 to 31 characters from A-Z, a-z, 0-9, '.', '_' and "
		   "'-'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_full),
		cmocka_unit_test(test_services_first), cmocka_unit_test(test_err_group),
		cmocka_unit_test(test_err_versions),   cmocka_unit_test(test_err_files),
		cmocka_unit_test(test_err_names),      cmocka_unit_test(test_err_services),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_tls.c - the `tls` group: ingress TLS contexts (certificates by
 * SNI name, the minimum version, an optional client CA) and, after the walk,
 * the `tls` name of each service.
 *
 * The certificate and key files are loaded here, so `meshgw --check` and a
 * reload report an unreadable, malformed or mismatched pair with its line
 * instead of the proxy failing later without one. A key file with any
 * permission for group or others is refused, as the CA's key is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include "ctl_config_parse.h"
#include "ctl_config_rtables.h"

#define ING(f) CFG_AT(struct ctl_tls_ingress_conf, f)
#define CRT(f) CFG_AT(struct ctl_tls_cert_conf, f)

#define LABEL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
#define LABEL_MAX   63

static int
ingress_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0)
		cfg_copy(obj, kw, v);
	return rc;
}

static int
min_version(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_tls_ingress_conf *in = obj;
	const char *v = config_setting_get_string(s);

	if (v != NULL && strcmp(v, "1.2") == 0)
		in->min_version = TLS1_2_VERSION;
	else if (v != NULL && strcmp(v, "1.3") == 0)
		in->min_version = TLS1_3_VERSION;
	else
		return cfg_fail(
			ps, s,
			"'%s' expected \"1.2\" or \"1.3\" (only TLS 1.2 and 1.3 are allowed)",
			kw->name);
	return 0;
}

/* An absolute path that is not a directory, into the field; the file is
 * checked once the element is complete. */
static int
file_path(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] != '/' || v[strlen(v) - 1] == '/' || strlen(v) >= kw->size)
		return cfg_fail(ps, s,
				"'%s' expected an absolute file path shorter than %zu characters",
				kw->name, kw->size);
	cfg_copy(obj, kw, v);
	return 0;
}

/* A DNS name (labels of 1 to 63 letters, digits and '-'), optionally behind
 * "*." for a one-label wildcard. */
static bool
dns_name(const char *v)
{
	size_t n = strlen(v);

	if (n >= CTL_TLS_NAME_MAX)
		return false;
	if (strncmp(v, "*.", 2) == 0)
		v += 2;
	for (;;) {
		size_t len = strspn(v, LABEL_CHARS);
		if (len == 0 || len > LABEL_MAX)
			return false;
		v += len;
		if (*v == '\0')
			return true;
		if (*v++ != '.')
			return false;
	}
}

/* names = [ "a.example.com", "*.example.com" ]: stored lower-cased;
 * duplicates across the ingress are refused by ingress_check(). */
static int
names(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_tls_cert_conf *crt = obj;
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) || n > CTL_TLS_MAX_NAMES)
		return cfg_fail(ps, s, "'%s' expected a list of at most %d names [ \"...\" ]",
				kw->name, CTL_TLS_MAX_NAMES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = config_setting_get_string(e);
		char q[64];

		if (v == NULL || !dns_name(v))
			return cfg_fail(ps, e,
					"'%s' \"%s\" is not a DNS name such as \"api.example.com\" "
					"or \"*.example.com\" (labels of 1 to %d letters, digits "
					"and '-'; shorter than %d characters)",
					kw->name, v ? cfg_quote(v, q, sizeof(q)) : "", LABEL_MAX,
					CTL_TLS_NAME_MAX);
		for (size_t j = 0; v[j] != '\0'; j++)
			crt->names[i][j] = (char)tolower((unsigned char)v[j]);
		crt->names[i][strlen(v)] = '\0';
	}
	crt->n_names = (unsigned int)n;
	return 0;
}

static const struct cfg_kw cert_kws[] = {
	{"cert", file_path, CRT(cert)},
	{"key", file_path, CRT(key)},
	{"names", names},
	{NULL},
};

/* path opened for reading: an existing regular file; a key also must keep
 * group and others out. Opened non-blocking so a FIFO named in the file
 * cannot stall the load before it is refused. NULL after cfg_fail(). */
static FILE *
open_file(struct cfg_parse *ps, const config_setting_t *s, const char *name, const char *path,
	  bool key)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char buf[128];
	FILE *f;

	if (fd < 0 || fstat(fd, &st) != 0) {
		cfg_fail(ps, s, "'%s' %s: %s", name, path, strerror_r(errno, buf, sizeof(buf)));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		cfg_fail(ps, s, "'%s' %s is not a regular file", name, path);
		goto fail;
	}
	if (key && (st.st_mode & 077) != 0) {
		cfg_fail(ps, s,
			 "'%s' %s is open to group or others (mode %04o); a private key must be "
			 "0600 or stricter",
			 name, path, (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		cfg_fail(ps, s, "'%s' %s: %s", name, path, strerror_r(errno, buf, sizeof(buf)));
		goto fail;
	}
	return f;
fail:
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Whether the PEM reader stopped at the end of the input, not at an error. */
static bool
pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* The certificates of a PEM file: the first into *first (when not NULL), the
 * rest (a chain, or more roots) only parsed. How many, or -EINVAL. */
static int
read_certs(struct cfg_parse *ps, const config_setting_t *s, const char *name, const char *path,
	   X509 **first)
{
	FILE *f = open_file(ps, s, name, path, false);
	int n = 0;
	X509 *x;

	if (f == NULL)
		return -EINVAL;
	ERR_clear_error();
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (n++ == 0 && first != NULL)
			*first = x;
		else
			X509_free(x);
	}
	fclose(f);
	if (n == 0 || !pem_at_end()) {
		ERR_clear_error();
		if (first != NULL) {
			X509_free(*first);
			*first = NULL;
		}
		return cfg_fail(ps, s, "'%s' %s: %s", name, path,
				n == 0 ? "no PEM certificate in it"
				       : "a malformed PEM certificate after the first");
	}
	ERR_clear_error();
	return n;
}

/* Never prompt on the terminal for an encrypted key's pass phrase. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static EVP_PKEY *
read_key(struct cfg_parse *ps, const config_setting_t *s, const char *path)
{
	FILE *f = open_file(ps, s, "key", path, true);
	EVP_PKEY *k;

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, no_password, NULL);
	fclose(f);
	ERR_clear_error();
	if (k == NULL)
		cfg_fail(ps, s, "'key' %s: no unencrypted PEM private key in it", path);
	return k;
}

/* Both files present, loadable, and the key the certificate's. */
static int
cert_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_tls_cert_conf *crt = elem;
	const config_setting_t *cs = config_setting_get_member(s, "cert");
	const config_setting_t *ks = config_setting_get_member(s, "key");
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc;

	(void)idx;
	if (cs == NULL || ks == NULL)
		return cfg_fail(ps, s, "certificate: '%s' is required", cs ? "key" : "cert");
	rc = read_certs(ps, cs, "cert", crt->cert, &x);
	if (rc < 0)
		return rc;
	k = read_key(ps, ks, crt->key);
	rc = k == NULL ? -EINVAL : 0;
	if (rc == 0 && X509_check_private_key(x, k) != 1)
		rc = cfg_fail(ps, ks, "'key' %s does not match the certificate %s", crt->key,
			      crt->cert);
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return rc < 0 ? rc : 0;
}

static int
certificates(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "certificates",
		.max = CTL_TLS_MAX_CERTS,
		.size = sizeof(struct ctl_tls_cert_conf),
		.line_off = offsetof(struct ctl_tls_cert_conf, line),
		.kws = cert_kws,
		.check = cert_check,
	};
	struct ctl_tls_ingress_conf *in = obj;

	return cfg_group_list(ps, s, kw, &spec, in->certs, &in->n_certs);
}

static const struct cfg_kw ingress_kws[] = {
	{"name", ingress_name, ING(name)},
	{"min_version", min_version},
	{"certificates", certificates},
	{"client_ca", file_path, ING(client_ca)},
	{NULL},
};

static void
ingress_init(void *elem)
{
	struct ctl_tls_ingress_conf *in = elem;

	memset(in, 0, sizeof(*in));
	in->min_version = TLS1_2_VERSION;
}

/* An SNI name is served by one certificate of the ingress. */
static int
names_unique(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_tls_ingress_conf *in)
{
	const config_setting_t *list = config_setting_get_member(s, "certificates");

	for (unsigned int i = 0; i < in->n_certs; i++) {
		const config_setting_t *ns =
			config_setting_get_member(config_setting_get_elem(list, i), "names");
		for (unsigned int j = 0; j < in->certs[i].n_names; j++) {
			const char *v = in->certs[i].names[j];
			for (unsigned int a = 0; a <= i; a++)
				for (unsigned int b = 0; b < (a < i ? in->certs[a].n_names : j);
				     b++)
					if (strcmp(in->certs[a].names[b], v) == 0)
						return cfg_fail(ps, config_setting_get_elem(ns, j),
								"'names' \"%s\" is listed twice in "
								"ingress '%s' (first at line %d)",
								v, in->name, in->certs[a].line);
		}
	}
	return 0;
}

static int
ingress_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_tls_ingress_conf *in = elem;
	const config_setting_t *ca = config_setting_get_member(s, "client_ca");
	int rc;

	if (in->name[0] == '\0')
		return cfg_fail(ps, s, "ingress: 'name' is required");
	for (unsigned int i = 0; i < idx; i++)
		if (strcmp(ps->c->tls->ingress[i].name, in->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate ingress name '%s' (first at line %d)", in->name,
					ps->c->tls->ingress[i].line);
	if (in->n_certs == 0)
		return cfg_fail(ps, s, "ingress '%s' needs 'certificates' (1 to %d)", in->name,
				CTL_TLS_MAX_CERTS);
	if ((rc = names_unique(ps, s, in)) < 0)
		return rc;
	if (ca != NULL && (rc = read_certs(ps, ca, "client_ca", in->client_ca, NULL)) < 0)
		return rc;
	return 0;
}

static int
ingress(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "ingress contexts",
		.max = CTL_TLS_MAX_INGRESS,
		.size = sizeof(struct ctl_tls_ingress_conf),
		.line_off = offsetof(struct ctl_tls_ingress_conf, line),
		.kws = ingress_kws,
		.init = ingress_init,
		.check = ingress_check,
	};
	struct ctl_tls_conf *tls = obj;

	return cfg_group_list(ps, s, kw, &spec, tls->ingress, &tls->n_ingress);
}

static const struct cfg_kw tls_kws[] = {
	{"ingress", ingress},
	{NULL},
};

int
cfg_sec_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_config *c = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc < 0)
		return rc;
	c->tls = calloc(1, sizeof(*c->tls));
	if (c->tls == NULL) {
		cfg_fail(ps, s, "out of memory");
		return -ENOMEM;
	}
	rc = cfg_walk(ps, s, tls_kws, c->tls);
	if (rc == 0 && c->tls->n_ingress == 0)
		rc = cfg_fail(ps, s, "'%s' needs an 'ingress' list of 1 to %d contexts", kw->name,
			      CTL_TLS_MAX_INGRESS);
	return rc;
}

/* ---- a cluster's `tls` group: TLS towards its endpoints (egress) ----- */

#define EGR(f) CFG_AT(struct ctl_cluster_tls_conf, f)

static int
sni_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	char low[CTL_TLS_NAME_MAX];
	size_t i;

	if (v == NULL || strncmp(v, "*.", 2) == 0 || !dns_name(v))
		return cfg_fail(ps, s,
				"'%s' expected a DNS name (labels of 1 to %d letters, digits "
				"or '-'), shorter than %d characters",
				kw->name, LABEL_MAX, CTL_TLS_NAME_MAX);
	for (i = 0; v[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)v[i]);
	low[i] = '\0';
	cfg_copy(obj, kw, low);
	return 0;
}

static const struct cfg_kw egress_kws[] = {
	{"ca", file_path, EGR(ca)},
	{"sni", sni_name, EGR(sni)},
	{"verify_name", cfg_bool, EGR(verify_name)},
	{NULL},
};

int
cfg_cluster_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_cluster_tls_conf *t = (struct ctl_cluster_tls_conf *)((char *)obj + kw->off);
	const config_setting_t *ca, *vn;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc < 0)
		return rc;
	*t = (struct ctl_cluster_tls_conf){.enabled = true, .verify_name = true};
	if ((rc = cfg_walk(ps, s, egress_kws, t)) < 0)
		return rc;
	ca = config_setting_get_member(s, "ca");
	if (ca == NULL)
		return cfg_fail(ps, s,
				"'%s' needs 'ca': the roots the endpoints' certificates "
				"must chain to",
				kw->name);
	if ((rc = read_certs(ps, ca, "ca", t->ca, NULL)) < 0)
		return rc;
	vn = config_setting_get_member(s, "verify_name");
	if (vn != NULL && t->verify_name && t->sni[0] == '\0')
		return cfg_fail(ps, vn, "'verify_name' needs 'sni': the name to verify");
	if (t->sni[0] == '\0')
		t->verify_name = false;
	return 0;
}

int
cfg_svc_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v;

	(void)obj;
	return rt_check_name(ps, s, kw->name, &v);
}

int
cfg_tls_resolve(struct cfg_parse *ps)
{
	const struct ctl_tls_conf *tls = ps->c->tls;

	for (unsigned int i = 0; i < ps->c->n_services; i++) {
		struct ctl_service_conf *svc = &ps->c->services[i];
		const config_setting_t *m =
			config_setting_get_member(config_setting_get_elem(ps->services, i), "tls");
		const char *want = m ? config_setting_get_string(m) : NULL;
		unsigned int k;

		if (m == NULL)
			continue;
		if (svc->protocol == CTL_PROTO_HTTP)
			return cfg_fail(ps, m,
					"'tls' is not supported on http services yet (only tcp)");
		for (k = 0; tls != NULL && k < tls->n_ingress; k++)
			if (strcmp(tls->ingress[k].name, want) == 0)
				break;
		if (tls == NULL || k == tls->n_ingress)
			return cfg_fail(
				ps, m,
				"'tls' \"%s\" of service '%s' is not a defined tls ingress%s", want,
				svc->name, tls ? "" : " (there is no 'tls' group)");
		svc->tls = k + 1;
	}
	return 0;
}

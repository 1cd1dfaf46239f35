/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_identities.c - the `identities` group: the trust domain, the
 * built-in CA's files, the certificate lifetime, the tunnel port and the
 * SPIFFE identity of each local workload address.
 *
 * The CA's files are checked here as far as a file system look allows, so
 * `meshgw --check` reports them with a line: with create = false the
 * certificate and key must exist, with create = true their directory must.
 * A key file with any permission for group or others is refused (the CA
 * module checks it again on the descriptor it reads, ctl_ca.c). Workload
 * identities are built once the whole group is read, since the trust
 * domain may come after the workloads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_config_parse.h"

#define IDS(f) CFG_AT(struct ctl_identities_conf, f)
#define CA(f)  CFG_AT(struct ctl_ca_conf, f)
#define WL(f)  CFG_AT(struct ctl_workload_conf, f)

#define SEC 1000000LL

#define TD_CHARS   "abcdefghijklmnopqrstuvwxyz0123456789.-_"
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_"

void
cfg_identities_defaults(struct ctl_identities_conf *id)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->trust_domain, sizeof(id->trust_domain), "mesh.local");
	id->tunnel_port = 15008;
	id->cert_lifetime_us = 24 * 3600 * SEC;
}

static int
trust_domain(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	size_t n = v ? strlen(v) : 0;

	if (v == NULL || n == 0 || n >= kw->size || strspn(v, TD_CHARS) != n)
		return cfg_fail(ps, s,
				"'%s' expected 1 to %zu characters of a-z, 0-9, '.', '-' and '_' "
				"such as \"mesh.local\"",
				kw->name, kw->size - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

/* A SPIFFE path segment: [A-Za-z0-9._-]+, not "." or "..". */
static int
segment(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	size_t n = v ? strlen(v) : 0;

	if (v == NULL || n == 0 || n >= kw->size || strspn(v, NAME_CHARS) != n ||
	    strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return cfg_fail(ps, s,
				"'%s' expected 1 to %zu characters of A-Z, a-z, 0-9, '.', '-' and "
				"'_' (not \".\" or \"..\")",
				kw->name, kw->size - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

/* An absolute path that is not a directory, into the field. */
static int
abs_path(struct cfg_parse *ps, const config_setting_t *s, const char *name, char *out, size_t size)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] != '/' || v[strlen(v) - 1] == '/' || strlen(v) >= size)
		return cfg_fail(ps, s,
				"'%s' expected an absolute file path shorter than %zu characters",
				name, size);
	snprintf(out, size, "%s", v);
	return 0;
}

static int
file_path(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	return abs_path(ps, s, kw->name, cfg_field(obj, kw), kw->size);
}

/* bundle = [ "/path/root.pem", ... ]: extra roots, each an existing file. */
static int
bundle(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_ca_conf *ca = obj;
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) || n > CTL_MAX_BUNDLE)
		return cfg_fail(ps, s, "'%s' expected a list of at most %d file paths [ \"...\" ]",
				kw->name, CTL_MAX_BUNDLE);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int rc = abs_path(ps, e, kw->name, ca->bundle[i], sizeof(ca->bundle[i]));
		if (rc < 0)
			return rc;
	}
	ca->n_bundle = (unsigned int)n;
	return 0;
}

static const struct cfg_kw ca_kws[] = {
	{"cert", file_path, CA(cert)},
	{"key", file_path, CA(key)},
	{"create", cfg_bool, CA(create)},
	{"bundle", bundle},
	{NULL},
};

static int
workload_address(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		 void *obj)
{
	struct ctl_workload_conf *w = obj;
	const char *v = config_setting_get_string(s);
	char buf[16];

	if (v == NULL || cfg_parse_ipv4(v, &w->addr) < 0)
		return cfg_fail(ps, s, "'%s' expected an IPv4 address such as \"10.77.1.2\"",
				kw->name);
	if ((w->addr >> 24) == 0 || (w->addr >> 24) == 127 || (w->addr >> 24) >= 224)
		return cfg_fail(ps, s, "'%s' %s is not a unicast address", kw->name,
				cfg_fmt_ipv4(w->addr, buf, sizeof(buf)));
	return 0;
}

static const struct cfg_kw workload_kws[] = {
	{"address", workload_address},
	{"namespace", segment, WL(ns)},
	{"service_account", segment, WL(sa)},
	{NULL},
};

/* Every key present, the address not taken by an earlier workload. */
static int
workload_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_workload_conf *w = elem, *all = ps->c->identities.workloads;
	char buf[16];

	for (const struct cfg_kw *kw = workload_kws; kw->name != NULL; kw++)
		if (config_setting_get_member(s, kw->name) == NULL)
			return cfg_fail(ps, s, "workload: '%s' is required", kw->name);
	for (unsigned int i = 0; i < idx; i++)
		if (all[i].addr == w->addr)
			return cfg_fail(ps, config_setting_get_member(s, "address"),
					"workload %s is already declared at line %d",
					cfg_fmt_ipv4(w->addr, buf, sizeof(buf)), all[i].line);
	return 0;
}

static const struct cfg_list_spec workload_spec = {
	.what = "workloads",
	.max = CTL_MAX_WORKLOADS,
	.size = sizeof(struct ctl_workload_conf),
	.line_off = offsetof(struct ctl_workload_conf, line),
	.kws = workload_kws,
	.check = workload_check,
};

static int
workloads(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_identities_conf *id = obj;

	return cfg_group_list(ps, s, kw, &workload_spec, id->workloads, &id->n_workloads);
}

static const struct cfg_kw identities_kws[] = {
	{"trust_domain", trust_domain, IDS(trust_domain)},
	{"tunnel_port", cfg_uint, IDS(tunnel_port), .min = 1, .max = 65535},
	{"cert_lifetime", cfg_duration, IDS(cert_lifetime_us), .min = 10 * SEC,
	 .max = 720 * 3600 * SEC},
	{"ca", cfg_group, IDS(ca), .arg = ca_kws},
	{"workloads", workloads},
	{NULL},
};

/* path must name an existing regular file; a key also must keep group and
 * others out (a CA key readable by them signs for the whole mesh). */
static int
existing_file(struct cfg_parse *ps, const config_setting_t *s, const char *name, const char *path,
	      bool key)
{
	struct stat st;
	char buf[128];

	if (stat(path, &st) != 0)
		return cfg_fail(ps, s, "'%s' %s: %s", name, path,
				strerror_r(errno, buf, sizeof(buf)));
	if (!S_ISREG(st.st_mode))
		return cfg_fail(ps, s, "'%s' %s is not a regular file", name, path);
	if (key && (st.st_mode & 077) != 0)
		return cfg_fail(ps, s,
				"'%s' %s is open to group or others (mode %04o); a CA key must be "
				"0600 or stricter",
				name, path, (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* The directory a file is to be created in must exist. */
static int
creatable(struct cfg_parse *ps, const config_setting_t *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[CTL_ARG_MAX], buf[128];
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		return cfg_fail(ps, s, "'%s' directory %s: %s", config_setting_name(s), dir,
				strerror_r(errno, buf, sizeof(buf)));
	if (!S_ISDIR(st.st_mode))
		return cfg_fail(ps, s, "'%s' %s is not a directory", config_setting_name(s), dir);
	return 0;
}

/* cert and key both given; both on disk, or (create) both absent. */
static int
ca_files(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_ca_conf *ca)
{
	const config_setting_t *cs = config_setting_get_member(s, "cert");
	const config_setting_t *ks = config_setting_get_member(s, "key");
	struct stat st;
	bool have_cert, have_key;
	int rc;

	if (cs == NULL || ks == NULL)
		return cfg_fail(ps, s,
				"'ca' needs both 'cert' and 'key' (with create = true, "
				"where to write a new root)");
	if (strcmp(ca->cert, ca->key) == 0)
		return cfg_fail(ps, ks, "'key' must not be the same file as 'cert'");
	have_cert = stat(ca->cert, &st) == 0;
	have_key = stat(ca->key, &st) == 0;
	if (ca->create && !have_cert && !have_key) {
		rc = creatable(ps, cs, ca->cert);
		return rc < 0 ? rc : creatable(ps, ks, ca->key);
	}
	if (ca->create && have_cert != have_key)
		return cfg_fail(ps, have_cert ? ks : cs,
				"create = true but only one of 'cert' and 'key' exists: refusing "
				"to overwrite %s",
				have_cert ? ca->cert : ca->key);
	rc = existing_file(ps, cs, "cert", ca->cert, false);
	return rc < 0 ? rc : existing_file(ps, ks, "key", ca->key, true);
}

/* Checks that need the whole group: the CA, bundle files, identities. */
static int
identities_check(struct cfg_parse *ps, const config_setting_t *s, struct ctl_identities_conf *id)
{
	const config_setting_t *ca = config_setting_get_member(s, "ca");
	const config_setting_t *b = ca ? config_setting_get_member(ca, "bundle") : NULL;
	int rc;

	if (ca == NULL)
		return cfg_fail(ps, s, "'identities' needs a 'ca' group { cert; key; ... }");
	if ((rc = ca_files(ps, ca, &id->ca)) < 0)
		return rc;
	for (unsigned int i = 0; i < id->ca.n_bundle; i++)
		if ((rc = existing_file(ps, config_setting_get_elem(b, i), "bundle",
					id->ca.bundle[i], false)) < 0)
			return rc;
	for (unsigned int i = 0; i < id->n_workloads; i++) {
		struct ctl_workload_conf *w = &id->workloads[i];
		char buf[CTL_IDENTITY_MAX]; /* not in place: gcc sees w's fields overlap */
		int n = snprintf(buf, sizeof(buf), "spiffe://%s/ns/%s/sa/%s", id->trust_domain,
				 w->ns, w->sa);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return cfg_fail_at(ps, w->line,
					   "workload identity spiffe://%s/ns/%s/sa/%s is longer "
					   "than %d characters",
					   id->trust_domain, w->ns, w->sa, CTL_IDENTITY_MAX - 1);
		memcpy(w->identity, buf, (size_t)n + 1);
	}
	return 0;
}

int
cfg_sec_identities(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		   void *obj)
{
	struct ctl_identities_conf *id = &((struct ctl_config *)obj)->identities;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, identities_kws, id);
	if (rc == 0)
		rc = identities_check(ps, s, id);
	if (rc == 0)
		id->enabled = true;
	return rc;
}

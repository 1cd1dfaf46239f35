/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config.c - the config loader's entry points: defaults, reading the file,
 * the top-level keyword table, and the checks that need the whole file.
 *
 * A load parses into a private copy and fills the caller's struct only when
 * everything is valid, so a failed reload leaves the running config intact.
 * Reentrant: no globals; any thread may load (the control thread does, and
 * `meshgw --check`, without an EAL).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_config_parse.h"

#define TOP(f)		CFG_AT(struct ctl_config, f)
#define CONFIG_FILE_MAX (4u << 20) /* far above 1024 routes; bounds a mistaken path */

static const struct cfg_kw top_kws[] = {
	{"eal", cfg_group, TOP(eal), .arg = cfg_eal_kws},
	{"workers", cfg_sec_workers},
	{"ports", cfg_sec_ports},
	{"ip_routes", cfg_sec_routes},
	{"arp", cfg_group, TOP(arp), .arg = cfg_arp_kws},
	{"ctl", cfg_group, TOP(ctl), .arg = cfg_ctl_kws},
	{"admin", cfg_group, TOP(admin), .arg = cfg_admin_kws},
	{"log", cfg_group, TOP(log), .arg = cfg_log_kws},
	{"tcp", cfg_sec_tcp},
	{"listeners", cfg_sec_listeners},
	{"node", cfg_group, TOP(node), .arg = cfg_node_kws},
	{"http", cfg_group, TOP(http), .arg = cfg_http_kws},
	{"services", cfg_sec_services},
	{"clusters", cfg_sec_clusters},
	{"route_tables", cfg_sec_rtables},
	{"identities", cfg_sec_identities},
	{"policies", cfg_sec_policies},
	{"tls", cfg_sec_tls},
	{"discovery", cfg_sec_discovery},
	{NULL},
};

void
ctl_config_defaults(struct ctl_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->eal.file_prefix, sizeof(c->eal.file_prefix), "meshgw");
	c->eal.huge = CTL_HUGE_AUTO;
	c->eal.memory_mb = 512;
	c->eal.mbufs = 16383;
	c->eal.mbuf_cache = 256;
	c->workers.count = 1;
	c->workers.idle = CTL_IDLE_ADAPTIVE;
	c->workers.idle_polls = 1000;
	c->workers.idle_sleep_max_us = 1000;
	c->workers.drain_timeout_us = 10 * 1000 * 1000;
	cfg_http_defaults(&c->http);
	c->workers.burst = 32;
	c->workers.redirect_ring = 4096;
	c->workers.rx_desc = 1024;
	c->workers.tx_desc = 1024;
	cfg_workers_finish(c);
	for (unsigned int i = 0; i < CTL_MAX_PORTS; i++)
		cfg_port_defaults(&c->ports[i]);
	c->arp.cache_size = 1024;
	c->arp.pending_max = 16;
	c->arp.retries = 3;
	c->arp.retry_us = 1000000;
	c->arp.reachable_us = 60000000;
	c->arp.failed_us = 5000000;
	cfg_tcp_defaults(&c->tcp);
	cfg_services_defaults(c);
	snprintf(c->ctl.socket, sizeof(c->ctl.socket), "/run/meshgw/meshgw.sock");
	c->admin.enabled = true;
	c->admin.address = 0x7f000001;
	c->admin.port = 9901;
	c->log.level = CTL_LOG_INFO;
	cfg_discovery_defaults(&c->discovery);
	cfg_identities_defaults(&c->identities);
}

void
ctl_config_release(struct ctl_config *c)
{
	ctl_rtables_free(c->rtables);
	c->rtables = NULL;
	ctl_policies_free(c->policies);
	c->policies = NULL;
	free(c->tls);
	c->tls = NULL;
}

/* Checks that need the whole file: required groups, then cross references. */
static int
finish(struct cfg_parse *ps, const config_setting_t *root)
{
	if (config_setting_get_member(root, "ports") == NULL)
		return cfg_fail(ps, root, "'ports' is required (a list of 1 to %d ports)",
				CTL_MAX_PORTS);
	cfg_workers_finish(ps->c);
	int rc = cfg_routes_resolve(ps);
	if (rc == 0)
		rc = cfg_listeners_resolve(ps);
	if (rc == 0)
		rc = cfg_services_resolve(ps);
	if (rc == 0)
		rc = cfg_rtables_resolve(ps);
	if (rc == 0)
		rc = cfg_tls_resolve(ps);
	return rc < 0 ? rc : cfg_policies_resolve(ps);
}

/* libconfig's parse and our walk over it; c holds defaults on entry. */
static int
parse(struct cfg_parse *ps, const char *text)
{
	config_t lc;
	int rc = cfg_lex_check(ps, text, true);

	if (rc < 0)
		return rc;
	config_init(&lc);
	if (!config_read_string(&lc, text))
		rc = cfg_fail_at(ps, config_error_line(&lc), "%s", config_error_text(&lc));
	if (rc == 0)
		rc = cfg_lex_check(ps, text, false);
	if (rc == 0)
		rc = cfg_walk(ps, config_root_setting(&lc), top_kws, ps->c);
	if (rc == 0)
		rc = finish(ps, config_root_setting(&lc));
	config_destroy(&lc);
	return rc;
}

int
ctl_config_load_string(const char *text, const char *name, struct ctl_config *out, char *err,
		       size_t errlen)
{
	struct cfg_parse ps = {.name = name ? name : "(config)", .err = err, .errlen = errlen};
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL || out == NULL)
		return cfg_fail_at(&ps, 0, "no configuration text");
	ps.c = malloc(sizeof(*ps.c)); /* ~420 KiB: too big for a thread's stack */
	if (ps.c == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", ps.name);
		return -ENOMEM;
	}
	ctl_config_defaults(ps.c);
	snprintf(ps.c->path, sizeof(ps.c->path), "%s", ps.name);
	rc = parse(&ps, text);
	if (rc == 0)
		memcpy(out, ps.c, sizeof(*out));
	else
		ctl_config_release(ps.c);
	free(ps.c);
	ps.c = NULL;
	return rc;
}

/* The next size of the read buffer: 64 KiB, doubling, and one byte past the
 * limit so a larger file shows. 0, or -1 with errno (EFBIG, ENOMEM). */
static int
grow(char **buf, size_t *cap)
{
	size_t want = *cap == 0 ? 65536 : *cap * 2;
	char *grown;

	if (*cap == CONFIG_FILE_MAX + 1) {
		errno = EFBIG;
		return -1;
	}
	if (want > CONFIG_FILE_MAX)
		want = CONFIG_FILE_MAX + 1;
	grown = realloc(*buf, want + 1);
	if (grown == NULL)
		return -1;
	*buf = grown;
	*cap = want;
	return 0;
}

/* fd to its end as a NUL-terminated string, or NULL with errno set. Reads
 * until EOF rather than trusting st_size: pipes and /dev/stdin have none. */
static char *
read_all(int fd, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		if (n == cap && grow(&buf, &cap) < 0)
			goto fail;
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf); /* glibc's free() keeps errno */
	buf = NULL;
	return NULL;
}

/* The file as a NUL-terminated string (caller frees), or NULL with errno set. */
static char *
read_text(const char *path, size_t *len)
{
	struct stat st;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int saved;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		else
			text = read_all(fd, len);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return text;
}

/* libconfig would stop at a NUL and silently ignore the rest. */
static int
check_nul(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	const char *nul = memchr(text, '\0', len);
	struct cfg_parse ps = {.name = path, .err = err, .errlen = errlen};
	int line = 1;

	if (nul == NULL)
		return 0;
	for (const char *p = text; p < nul; p++)
		line += *p == '\n';
	return cfg_fail_at(&ps, line, "NUL byte in the file");
}

char *
ctl_config_read(const char *path, size_t *len, char *err, size_t errlen)
{
	char *text = path ? read_text(path, len) : NULL;

	if (text == NULL) {
		char buf[128];
		int e = path == NULL ? EINVAL : errno > 0 ? errno : EIO;
		const char *msg = strerror_r(e, buf, sizeof(buf));
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot read: %s", path ? path : "(null)", msg);
		errno = e;
	}
	return text;
}

int
ctl_config_load_text(const char *path, const char *text, size_t len, struct ctl_config *out,
		     char *err, size_t errlen)
{
	int rc = check_nul(path, text, len, err, errlen);

	return rc ?: ctl_config_load_string(text, path, out, err, errlen);
}

int
ctl_config_load_file(const char *path, struct ctl_config *out, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = ctl_config_read(path, &len, err, errlen);
	int rc;

	if (text == NULL)
		return -errno;
	rc = ctl_config_load_text(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

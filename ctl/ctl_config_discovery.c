/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_discovery.c - the `discovery` group: the watched endpoints file
 * and how long a change must be quiet before it is read.
 *
 * The file itself may be absent at load (it then brings no endpoints yet),
 * but its directory must exist: the watcher (ctl_epwatch.c) watches the
 * directory, since editors save by renaming a new file over the old one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_config_parse.h"

#define DSC(f) CFG_AT(struct ctl_discovery_conf, f)

#define MS  1000LL
#define SEC 1000000LL

/* The directory part of an absolute path: "/a/b.json" -> "/a", "/b" -> "/". */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);

	snprintf(dir, len, "%.*s", (int)n, path);
}

/* An absolute file path whose directory exists (the file need not). */
static int
endpoints_file(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	char dir[CTL_ARG_MAX], buf[128];
	struct stat st;

	if (v == NULL || v[0] != '/' || v[strlen(v) - 1] == '/' || strlen(v) >= kw->size)
		return cfg_fail(ps, s,
				"'%s' expected an absolute file path shorter than %zu characters",
				kw->name, kw->size);
	dir_of(v, dir, sizeof(dir));
	if (stat(dir, &st) != 0)
		return cfg_fail(ps, s, "'%s' directory %s: %s", kw->name, dir,
				strerror_r(errno, buf, sizeof(buf)));
	if (!S_ISDIR(st.st_mode))
		return cfg_fail(ps, s, "'%s' directory %s is not a directory", kw->name, dir);
	if (stat(v, &st) == 0 && S_ISDIR(st.st_mode))
		return cfg_fail(ps, s, "'%s' %s is a directory", kw->name, v);
	cfg_copy(obj, kw, v);
	return 0;
}

static const struct cfg_kw discovery_kws[] = {
	{"endpoints_file", endpoints_file, DSC(endpoints_file)},
	{"debounce", cfg_duration, DSC(debounce_us), .min = 1 * MS, .max = 10 * SEC},
	{NULL},
};

int
cfg_sec_discovery(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		  void *obj)
{
	struct ctl_discovery_conf *d = &((struct ctl_config *)obj)->discovery;
	const config_setting_t *m;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, discovery_kws, d);
	if (rc < 0)
		return rc;
	/* a key that would be silently ignored is a mistake */
	m = config_setting_get_member(s, "debounce");
	if (m != NULL && d->endpoints_file[0] == '\0')
		return cfg_fail(ps, m, "'debounce' applies only with 'endpoints_file'");
	return 0;
}

void
cfg_discovery_defaults(struct ctl_discovery_conf *d)
{
	d->endpoints_file[0] = '\0';
	d->debounce_us = 100 * MS;
}

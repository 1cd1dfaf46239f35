/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_health.c - a cluster's `health_check` group (active health
 * checks) and its defaults.
 *
 * The group's keys are checked one by one as they are read; what involves
 * two keys (timeout and jitter below interval, http-only keys on a tcp
 * check) is checked once the whole group is read, since the keys may come
 * in any order. Path and Host travel verbatim in a request line and a
 * header, so both are limited to visible ASCII: no CR, LF, space or
 * control byte can split the request.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

#define HC(f) CFG_AT(struct ctl_health_conf, f)

#define MS  1000LL
#define SEC 1000000LL

_Static_assert(sizeof(enum ctl_health_type) == 4, "cfg_choice stores enums as 32-bit integers");

static const char *const type_words[] = {"tcp", "http", NULL};

void
cfg_health_defaults(struct ctl_health_conf *h)
{
	*h = (struct ctl_health_conf){
		.enabled = false,
		.type = CTL_HEALTH_TCP,
		.path = "/",
		.statuses = {{200, 200}},
		.n_statuses = 1,
		.interval_us = 5 * SEC,
		.timeout_us = 1 * SEC,
		.jitter_us = 0,
		.healthy_threshold = 2,
		.unhealthy_threshold = 3,
	};
}

/* Visible ASCII only (0x21..0x7e). */
static bool
visible(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x21 || (unsigned char)*v > 0x7e)
			return false;
	return true;
}

static int
path(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] != '/' || strlen(v) >= kw->size || !visible(v))
		return cfg_fail(ps, s,
				"'%s' expected a path starting with '/' of at most %zu visible "
				"ASCII characters (no spaces or control characters)",
				kw->name, kw->size - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

static int
host(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) >= kw->size || !visible(v))
		return cfg_fail(ps, s,
				"'%s' expected 1 to %zu visible ASCII characters (no spaces or "
				"control characters)",
				kw->name, kw->size - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

/* "ddd" with 100 <= ddd <= 599 at p; the rest of the text after it in *end. */
static int
status_at(const char *p, const char **end, uint16_t *out)
{
	if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return -EINVAL;
	*out = (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	*end = p + 3;
	return 0;
}

/* One element: an integer status, or a string "ddd" or "ddd-ddd". */
static int
one_status(const config_setting_t *e, struct ctl_health_range *r)
{
	const char *v, *end;

	if (config_setting_type(e) == CONFIG_TYPE_INT) {
		int n = config_setting_get_int(e);
		if (n < 100 || n > 599)
			return -EINVAL;
		r->lo = r->hi = (uint16_t)n;
		return 0;
	}
	v = config_setting_get_string(e);
	if (v == NULL || status_at(v, &end, &r->lo) < 0)
		return -EINVAL;
	r->hi = r->lo;
	if (*end == '\0')
		return 0;
	if (*end != '-' || status_at(end + 1, &end, &r->hi) < 0 || *end != '\0' || r->hi < r->lo)
		return -EINVAL;
	return 0;
}

/* A list of 1..CTL_HEALTH_MAX_STATUSES statuses or ranges. */
static int
statuses(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_health_conf *h = obj;
	int n = config_setting_length(s);

	if ((!config_setting_is_array(s) && !config_setting_is_list(s)) || n < 1 ||
	    n > CTL_HEALTH_MAX_STATUSES)
		return cfg_fail(ps, s,
				"'%s' expected a list of 1 to %d statuses such as [ 200, "
				"\"200-299\" ]",
				kw->name, CTL_HEALTH_MAX_STATUSES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		if (one_status(e, &h->statuses[i]) < 0)
			return cfg_fail(ps, e,
					"'%s' expected a status between 100 and 599, or a range "
					"such as \"200-299\"",
					kw->name);
	}
	h->n_statuses = (unsigned int)n;
	return 0;
}

static const struct cfg_kw health_kws[] = {
	{"type", cfg_choice, HC(type), .arg = type_words},
	{"path", path, HC(path)},
	{"host", host, HC(host)},
	{"expected_statuses", statuses},
	{"interval", cfg_duration, HC(interval_us), .min = 10 * MS, .max = 3600 * SEC},
	{"timeout", cfg_duration, HC(timeout_us), .min = 1 * MS, .max = 60 * SEC},
	{"jitter", cfg_duration, HC(jitter_us), .min = 0, .max = 3600 * SEC},
	{"healthy_threshold", cfg_uint, HC(healthy_threshold), .min = 1, .max = 100},
	{"unhealthy_threshold", cfg_uint, HC(unhealthy_threshold), .min = 1, .max = 100},
	{NULL},
};

/* Checks that need the whole group. */
static int
health_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_health_conf *h)
{
	static const char *const http_only[] = {"path", "host", "expected_statuses"};
	const config_setting_t *m;

	if (h->timeout_us >= h->interval_us) {
		m = config_setting_get_member(s, "timeout");
		return cfg_fail(ps, m ? m : s, "'timeout' must be below 'interval'");
	}
	if (h->jitter_us >= h->interval_us)
		return cfg_fail(ps, config_setting_get_member(s, "jitter"),
				"'jitter' must be below 'interval'");
	for (size_t i = 0; h->type != CTL_HEALTH_HTTP && i < sizeof(http_only) / sizeof(*http_only);
	     i++)
		if ((m = config_setting_get_member(s, http_only[i])) != NULL)
			return cfg_fail(ps, m, "'%s' applies only to type \"http\"", http_only[i]);
	return 0;
}

int
cfg_health(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_health_conf *h = cfg_field(obj, kw);
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, health_kws, h);
	if (rc == 0)
		rc = health_check(ps, s, h);
	if (rc == 0)
		h->enabled = true;
	return rc;
}

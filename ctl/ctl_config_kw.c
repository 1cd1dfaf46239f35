/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_kw.c - the keyword machinery of the config loader: walking a
 * group through its table, "did you mean" suggestions, error messages, and the
 * generic value parsers (integers, durations, choices, strings, IPv4).
 *
 * Pure functions of their arguments; any thread may call them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

static int
failv(struct cfg_parse *ps, unsigned int line, const char *fmt, va_list ap)
{
	if (ps->err == NULL || ps->errlen == 0)
		return -EINVAL;
	int n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, line ? line : 1);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int
cfg_fail(struct cfg_parse *ps, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = failv(ps, s ? config_setting_source_line(s) : 0, fmt, ap);
	va_end(ap);
	return rc;
}

int
cfg_fail_at(struct cfg_parse *ps, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = failv(ps, line > 0 ? (unsigned int)line : 0, fmt, ap);
	va_end(ap);
	return rc;
}

#define SUGGEST_MAX 64

/* Optimal string alignment distance: a swapped pair of letters costs one, the
 * commonest typing slip after a missing or extra letter. */
static unsigned int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return UINT32_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned int cost = a[i - 1] != b[j - 1];
			unsigned int v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
cfg_suggest(const char *name, const struct cfg_kw *kws)
{
	const char *best = NULL;
	size_t len = strlen(name);
	/* within two edits, and fewer edits than letters: "a" is no typo of "eal" */
	unsigned int best_d = len > 2 ? 3 : (unsigned int)len;

	for (const struct cfg_kw *kw = kws; kw->name != NULL; kw++) {
		unsigned int d = edit_distance(name, kw->name);
		if (d < best_d) {
			best_d = d;
			best = kw->name;
		}
	}
	return best;
}

static const struct cfg_kw *
find_kw(const struct cfg_kw *kws, const char *name)
{
	for (const struct cfg_kw *kw = kws; kw->name != NULL; kw++)
		if (strcmp(kw->name, name) == 0)
			return kw;
	return NULL;
}

static int
unknown(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kws)
{
	const char *name = config_setting_name(s);
	const char *hint = cfg_suggest(name, kws);

	if (hint != NULL)
		return cfg_fail(ps, s, "unknown setting '%s' (did you mean '%s'?)", name, hint);
	return cfg_fail(ps, s, "unknown setting '%s'", name);
}

int
cfg_walk(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kws, void *obj)
{
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		const struct cfg_kw *kw = find_kw(kws, config_setting_name(m));
		if (kw == NULL)
			return unknown(ps, m, kws);
		int rc = kw->parse(ps, m, kw, obj);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
cfg_need_group(struct cfg_parse *ps, const config_setting_t *s, const char *name)
{
	if (!config_setting_is_group(s))
		return cfg_fail(ps, s, "'%s' expected a group { ... }", name);
	return 0;
}

int
cfg_need_group_list(struct cfg_parse *ps, const config_setting_t *s, const char *name)
{
	bool empty_array = config_setting_is_array(s) && config_setting_length(s) == 0;

	if (!config_setting_is_list(s) && !empty_array)
		return cfg_fail(ps, s, "'%s' expected a list of groups ( {...}, ... )", name);
	for (int i = 0; i < config_setting_length(s); i++)
		if (!config_setting_is_group(config_setting_get_elem(s, (unsigned int)i)))
			return cfg_fail(ps, config_setting_get_elem(s, (unsigned int)i),
					"'%s' expected a list of groups ( {...}, ... )", name);
	return 0;
}

int
cfg_group_list(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
	       const struct cfg_list_spec *spec, void *base, unsigned int *count)
{
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n > (int)spec->max)
		return cfg_fail(ps, s, "'%s' expected at most %u %s", kw->name, spec->max,
				spec->what);
	*count = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		void *elem = (char *)base + (size_t)i * spec->size;

		if (spec->init != NULL)
			spec->init(elem);
		else
			memset(elem, 0, spec->size);
		*(int *)((char *)elem + spec->line_off) = config_setting_source_line(e);
		if ((rc = cfg_walk(ps, e, spec->kws, elem)) < 0 ||
		    (rc = spec->check(ps, e, elem, (unsigned int)i)) < 0)
			return rc;
		(*count)++;
	}
	return 0;
}

int
cfg_group(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int rc = cfg_need_group(ps, s, kw->name);

	return rc < 0 ? rc : cfg_walk(ps, s, kw->arg, cfg_field(obj, kw));
}

static void
store_uint(void *obj, const struct cfg_kw *kw, uint64_t v)
{
	void *f = cfg_field(obj, kw);

	switch (kw->size) {
	case 1:
		*(uint8_t *)f = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)f = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)f = (uint32_t)v;
		break;
	default:
		*(uint64_t *)f = v;
		break;
	}
}

/* Integers come as int or int64 (a literal with an L suffix). */
static bool
get_integer(const config_setting_t *s, int64_t *v)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return false;
	*v = config_setting_get_int64(s);
	return true;
}

int
cfg_uint(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int64_t v;

	if (!get_integer(s, &v) || v < kw->min || v > kw->max)
		return cfg_fail(ps, s, "'%s' expected an integer between %" PRId64 " and %" PRId64,
				kw->name, kw->min, kw->max);
	store_uint(obj, kw, (uint64_t)v);
	return 0;
}

int
cfg_pow2(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int64_t v;

	if (!get_integer(s, &v) || v < kw->min || v > kw->max || (v & (v - 1)) != 0)
		return cfg_fail(ps, s,
				"'%s' expected a power of two between %" PRId64 " and %" PRId64,
				kw->name, kw->min, kw->max);
	store_uint(obj, kw, (uint64_t)v);
	return 0;
}

static const struct {
	const char *name;
	uint64_t us;
} units[] = {
	{"h", 3600000000ULL}, {"m", 60000000ULL}, {"s", 1000000ULL}, {"ms", 1000ULL}, {"us", 1ULL},
};

/* "<digits><unit>" into microseconds: 0, -EINVAL (not a duration), -ERANGE. */
static int
parse_duration(const char *text, uint64_t *us)
{
	uint64_t v = 0;
	const char *p = text;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == text)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) != 0)
			continue;
		if (v > UINT64_MAX / units[i].us)
			return -ERANGE;
		*us = v * units[i].us;
		return 0;
	}
	return -EINVAL;
}

/* The shortest exact spelling: 100000 -> "100ms". */
static const char *
fmt_duration(uint64_t us, char *buf, size_t len)
{
	size_t i = 0;

	while (us != 0 && us % units[i].us != 0)
		i++;
	if (us == 0)
		i = 2;
	snprintf(buf, len, "%" PRIu64 "%s", us / units[i].us, units[i].name);
	return buf;
}

int
cfg_duration(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	char lo[32], hi[32];
	uint64_t us = 0;
	int rc = -EINVAL;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		rc = parse_duration(config_setting_get_string(s), &us);
	if (rc == -EINVAL)
		return cfg_fail(ps, s, "'%s' expected a duration such as \"200ms\"", kw->name);
	if (rc < 0 || us < (uint64_t)kw->min || us > (uint64_t)kw->max)
		return cfg_fail(ps, s, "'%s' expected a duration between %s and %s", kw->name,
				fmt_duration((uint64_t)kw->min, lo, sizeof(lo)),
				fmt_duration((uint64_t)kw->max, hi, sizeof(hi)));
	store_uint(obj, kw, us);
	return 0;
}

int
cfg_choice(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *const *words = kw->arg;
	const char *v = config_setting_get_string(s);
	char list[256] = "";
	size_t n = 0;

	for (unsigned int i = 0; v != NULL && words[i] != NULL; i++) {
		if (strcmp(v, words[i]) == 0) {
			store_uint(obj, kw, i);
			return 0;
		}
	}
	for (unsigned int i = 0; words[i] != NULL && n < sizeof(list); i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "", words[i]);
		n += w > 0 ? (size_t)w : 0;
	}
	return cfg_fail(ps, s, "'%s' expected one of %s", kw->name, list);
}

int
cfg_bool(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return cfg_fail(ps, s, "'%s' expected true or false", kw->name);
	*(bool *)cfg_field(obj, kw) = config_setting_get_bool(s);
	return 0;
}

int
cfg_prob(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int64_t i;
	double v = -1;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (get_integer(s, &i) && (i == 0 || i == 1))
		v = (double)i;
	if (!(v >= 0 && v <= 1)) /* also false for NaN */
		return cfg_fail(ps, s, "'%s' expected a probability between 0 and 1 (such as 0.01)",
				kw->name);
	*(double *)cfg_field(obj, kw) = v;
	return 0;
}

int
cfg_string(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
	   const char **out)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL)
		return cfg_fail(ps, s, "'%s' expected a string", kw->name);
	size_t n = strlen(v);
	if ((int64_t)n < kw->min || (int64_t)n > kw->max)
		return cfg_fail(ps, s,
				"'%s' expected a string of %" PRId64 " to %" PRId64 " characters",
				kw->name, kw->min, kw->max);
	*out = v;
	return 0;
}

int
cfg_str(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;
	int rc = cfg_string(ps, s, kw, &v);

	if (rc == 0)
		cfg_copy(obj, kw, v);
	return rc;
}

void
cfg_copy(void *obj, const struct cfg_kw *kw, const char *v)
{
	snprintf(cfg_field(obj, kw), kw->size, "%s", v);
}

const char *
cfg_quote(const char *v, char *buf, size_t len)
{
	size_t n = 0;

	for (; *v != '\0' && n + 5 < len; v++) {
		unsigned char c = (unsigned char)*v;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	if (*v != '\0' && n + 4 <= len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Strict dotted quad: four decimal parts 0..255, no leading zeros, no spaces. */
int
cfg_parse_ipv4(const char *text, uint32_t *addr)
{
	const char *p = text;
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;
		if (part > 0 && *p++ != '.')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
			v = v * 10 + (unsigned int)(*p - '0');
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-(int)digits] == '0'))
			return -EINVAL;
		a = a << 8 | v;
	}
	if (*p != '\0')
		return -EINVAL;
	*addr = a;
	return 0;
}

/* "a.b.c.d/len", len 0..32. */
int
cfg_parse_prefix(const char *text, uint32_t *addr, uint8_t *plen)
{
	char buf[16];
	const char *slash = strchr(text, '/');
	unsigned int len = 0;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	const char *p = slash + 1;
	if (*p == '\0' || strlen(p) > 2 || (p[0] == '0' && p[1] != '\0'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		len = len * 10 + (unsigned int)(*p - '0');
	if (*p != '\0' || len > 32 || cfg_parse_ipv4(buf, addr) < 0)
		return -EINVAL;
	*plen = (uint8_t)len;
	return 0;
}

uint32_t
cfg_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

const char *
cfg_fmt_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

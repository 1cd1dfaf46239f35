/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_http.c - the `http` group (limits and timeouts of HTTP/1.1
 * services, upstream pools, request log sampling) and byte sizes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config_parse.h"

#define HTTP(f) CFG_AT(struct ctl_http_conf, f)
#define S(x)	((x)*1000000ULL)
#define KIB	1024ULL

void
cfg_http_defaults(struct ctl_http_conf *h)
{
	h->max_request_headers_kb = 60;
	h->max_response_headers_kb = 60;
	h->max_request_body = 1024 * KIB * KIB;
	h->request_header_timeout_us = S(10);
	h->stream_idle_timeout_us = S(300);
	h->request_timeout_us = S(15);
	h->max_connection_duration_us = 0;
	h->idle_timeout_us = S(60);
	h->upstream_max_idle = 64;
	h->upstream_idle_timeout_us = S(30);
	h->access_log_sample = 1.0;
	h->retry_buffer = 64 * KIB;
}

static const struct {
	const char *suffix;
	uint64_t mult;
} size_units[] = {
	{"GiB", KIB *KIB *KIB},
	{"MiB", KIB *KIB},
	{"KiB", KIB},
	{"B", 1},
};

/* "64KiB" → 65536; -EINVAL if it is not a size, -ERANGE past 2^62. */
static int
parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || v > (1ULL << 62))
		return -ERANGE;
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcmp(end, size_units[i].suffix) == 0) {
			if (v > (1ULL << 62) / size_units[i].mult)
				return -ERANGE;
			*out = v * size_units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int
cfg_size(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	uint64_t v = 0;
	int rc = -EINVAL;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		rc = parse_size(config_setting_get_string(s), &v);
	} else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		   config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long i = config_setting_get_int64(s);
		rc = i < 0 ? -ERANGE : 0;
		v = (uint64_t)i;
	}
	if (rc == -EINVAL)
		return cfg_fail(ps, s, "'%s' expected a size such as \"64KiB\" (B, KiB, MiB, GiB)",
				kw->name);
	if (rc < 0 || v < (uint64_t)kw->min || v > (uint64_t)kw->max)
		return cfg_fail(ps, s,
				"'%s' expected a size between %" PRId64 " and %" PRId64 " bytes",
				kw->name, kw->min, kw->max);
	*(uint64_t *)cfg_field(obj, kw) = v;
	return 0;
}

const struct cfg_kw cfg_http_kws[] = {
	{"max_request_headers_kb", cfg_uint, HTTP(max_request_headers_kb), .min = 1, .max = 1024},
	{"max_response_headers_kb", cfg_uint, HTTP(max_response_headers_kb), .min = 1, .max = 1024},
	{"max_request_body", cfg_size, HTTP(max_request_body), .min = 0, .max = INT64_MAX},
	{"request_header_timeout", cfg_duration, HTTP(request_header_timeout_us), .min = 1000,
	 .max = S(3600)},
	{"stream_idle_timeout", cfg_duration, HTTP(stream_idle_timeout_us), .min = 1000,
	 .max = S(86400)},
	{"request_timeout", cfg_duration, HTTP(request_timeout_us), .min = 1000, .max = S(86400)},
	{"max_connection_duration", cfg_duration, HTTP(max_connection_duration_us), .min = 0,
	 .max = S(86400 * 7)},
	{"idle_timeout", cfg_duration, HTTP(idle_timeout_us), .min = 1000, .max = S(86400)},
	{"upstream_max_idle", cfg_uint, HTTP(upstream_max_idle), .min = 0, .max = 65536},
	{"upstream_idle_timeout", cfg_duration, HTTP(upstream_idle_timeout_us), .min = 1000,
	 .max = S(86400)},
	{"access_log_sample", cfg_prob, HTTP(access_log_sample)},
	{"retry_buffer", cfg_size, HTTP(retry_buffer), .min = 0, .max = 16 * KIB * KIB},
	{NULL},
};

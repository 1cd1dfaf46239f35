/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_sections.c - keyword tables of the small top-level groups: eal,
 * workers, arp, ctl, admin and log, with the parsers only they need.
 *
 * Bounds are part of the contract with the dataplane: a value that passes
 * here must be accepted by DPDK (mempool cache <= 512, ring sizes powers of
 * two) so a bad config fails at `--check` rather than at start.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

#define LCORE_MAX 1023

#define EAL(f) CFG_AT(struct ctl_eal_conf, f)
#define WRK(f) CFG_AT(struct ctl_workers_conf, f)
#define ARP(f) CFG_AT(struct ctl_arp_conf, f)
#define ADM(f) CFG_AT(struct ctl_admin_conf, f)

_Static_assert(sizeof(enum ctl_huge) == 4 && sizeof(enum ctl_idle) == 4 &&
		       sizeof(enum ctl_log_level) == 4,
	       "cfg_choice stores enums as 32-bit integers");

static const char *const huge_words[] = {"auto", "on", "off", NULL};
static const char *const idle_words[] = {"poll", "adaptive", NULL};
static const char *const level_words[] = {"error", "warn", "info", "debug", NULL};

/* A list (or array) of strings, each shorter than CTL_ARG_MAX, passed to EAL as given. */
static int
eal_args(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_eal_conf *eal = obj;
	int n = config_setting_length(s);

	if ((!config_setting_is_array(s) && !config_setting_is_list(s)))
		return cfg_fail(ps, s, "'%s' expected a list of strings such as [ \"--no-pci\" ]",
				kw->name);
	if (n > CTL_MAX_EAL_ARGS)
		return cfg_fail(ps, s, "'%s' expected at most %d arguments", kw->name,
				CTL_MAX_EAL_ARGS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = config_setting_get_string(e);
		if (v == NULL || strlen(v) == 0 || strlen(v) >= CTL_ARG_MAX)
			return cfg_fail(ps, e, "'%s' expected strings of 1 to %d characters",
					kw->name, CTL_ARG_MAX - 1);
		snprintf(eal->args[i], sizeof(eal->args[i]), "%s", v);
	}
	eal->n_args = (unsigned int)n;
	return 0;
}

/* It names a directory under /run/dpdk: no slashes, no leading dot. */
static int
file_prefix(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;
	int rc = cfg_string(ps, s, kw, &v);

	if (rc < 0)
		return rc;
	if (v[0] == '.' || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789._-") != strlen(v))
		return cfg_fail(ps, s, "'%s' expected letters, digits, '.', '_' and '-'", kw->name);
	cfg_copy(obj, kw, v);
	return 0;
}

const struct cfg_kw cfg_eal_kws[] = {
	{"args", eal_args},
	{"file_prefix", file_prefix, EAL(file_prefix), .min = 1, .max = 63},
	{"hugepages", cfg_choice, EAL(huge), .arg = huge_words},
	{"memory_mb", cfg_uint, EAL(memory_mb), .min = 64, .max = 65536},
	{"mbufs", cfg_uint, EAL(mbufs), .min = 1023, .max = 1048575},
	{"mbuf_cache", cfg_uint, EAL(mbuf_cache), .min = 0, .max = 512},
	{NULL},
};

static int
cores(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_workers_conf *w = obj;
	int n = config_setting_length(s);

	if ((!config_setting_is_array(s) && !config_setting_is_list(s)) || n == 0)
		return cfg_fail(ps, s, "'%s' expected a list of lcore numbers such as [ 1, 2 ]",
				kw->name);
	if (n > CTL_MAX_WORKERS)
		return cfg_fail(ps, s, "'%s' expected at most %d lcores", kw->name,
				CTL_MAX_WORKERS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int t = config_setting_type(e);
		long long v = config_setting_get_int64(e);
		if ((t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) || v < 0 || v > LCORE_MAX)
			return cfg_fail(ps, e, "'%s' expected lcore numbers between 0 and %d",
					kw->name, LCORE_MAX);
		w->cores[i] = (unsigned int)v;
	}
	w->n_cores = (unsigned int)n;
	return 0;
}

static const struct cfg_kw workers_kws[] = {
	{"count", cfg_uint, WRK(count), .min = 1, .max = CTL_MAX_WORKERS},
	{"cores", cores},
	{"control_core", cfg_uint, WRK(control_core), .min = 0, .max = LCORE_MAX},
	{"idle", cfg_choice, WRK(idle), .arg = idle_words},
	{"idle_polls", cfg_uint, WRK(idle_polls), .min = 1, .max = 10000000},
	{"idle_sleep_max", cfg_duration, WRK(idle_sleep_max_us), .min = 1, .max = 100000},
	{"burst", cfg_uint, WRK(burst), .min = 1, .max = 256},
	{"redirect_ring", cfg_pow2, WRK(redirect_ring), .min = 64, .max = 65536},
	{"rx_desc", cfg_uint, WRK(rx_desc), .min = 64, .max = 16384},
	{"tx_desc", cfg_uint, WRK(tx_desc), .min = 64, .max = 16384},
	{"drain_timeout", cfg_duration, WRK(drain_timeout_us), .min = 0, .max = 3600ULL * 1000000},
	{NULL},
};

/* Cross checks, once count, cores and control_core are all known. */
static int
workers_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_workers_conf *w)
{
	const config_setting_t *cs = config_setting_get_member(s, "cores");

	if (w->n_cores == 0)
		return 0;
	if (w->n_cores != w->count)
		return cfg_fail(ps, cs, "'cores' expected %u lcore%s (one per worker), got %u",
				w->count, w->count == 1 ? "" : "s", w->n_cores);
	/* Workers may share CPUs (with each other and the control thread) only
	 * when they sleep when idle: two spinning pollers on one CPU starve. */
	if (w->idle != CTL_IDLE_POLL)
		return 0;
	for (unsigned int i = 0; i < w->n_cores; i++)
		for (unsigned int j = 0; j < i; j++)
			if (w->cores[j] == w->cores[i])
				return cfg_fail(ps, config_setting_get_elem(cs, i),
						"'cores' puts two polling workers on CPU %u (use "
						"idle = \"adaptive\" to share CPUs)",
						w->cores[i]);
	return 0;
}

int
cfg_sec_workers(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_config *c = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, workers_kws, &c->workers);
	return rc < 0 ? rc : workers_check(ps, s, &c->workers);
}

void
cfg_workers_finish(struct ctl_config *c)
{
	struct ctl_workers_conf *w = &c->workers;
	unsigned int lcore = 0;

	if (w->n_cores != 0)
		return;
	/* default placement: the lowest lcores, skipping the control thread's */
	for (unsigned int i = 0; i < CTL_MAX_WORKERS; i++, lcore++) {
		if (lcore == (unsigned int)w->control_core)
			lcore++;
		w->cores[i] = lcore;
	}
}

const struct cfg_kw cfg_arp_kws[] = {
	{"cache_size", cfg_uint, ARP(cache_size), .min = 16, .max = 1048576},
	{"pending_max", cfg_uint, ARP(pending_max), .min = 1, .max = 1024},
	{"retries", cfg_uint, ARP(retries), .min = 1, .max = 100},
	{"retry_interval", cfg_duration, ARP(retry_us), .min = 1000, .max = 60000000},
	{"reachable_time", cfg_duration, ARP(reachable_us), .min = 1000000, .max = 86400000000},
	{"failed_time", cfg_duration, ARP(failed_us), .min = 1000, .max = 3600000000},
	{NULL},
};

/* An absolute path that fits sun_path with its NUL. */
static int
ctl_socket(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] != '/' || v[1] == '\0' || v[strlen(v) - 1] == '/' ||
	    strlen(v) >= CTL_PATH_MAX)
		return cfg_fail(ps, s, "'%s' expected an absolute path shorter than %d characters",
				kw->name, CTL_PATH_MAX);
	cfg_copy(obj, kw, v);
	return 0;
}

const struct cfg_kw cfg_ctl_kws[] = {
	{"socket", ctl_socket, CFG_AT(struct ctl_ctl_conf, socket)},
	{NULL},
};

static int
admin_address(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	uint32_t a;

	if (v == NULL || cfg_parse_ipv4(v, &a) < 0)
		return cfg_fail(ps, s, "'%s' expected an IPv4 address such as \"127.0.0.1\"",
				kw->name);
	((struct ctl_admin_conf *)obj)->address = a;
	return 0;
}

const struct cfg_kw cfg_admin_kws[] = {
	{"enabled", cfg_bool, ADM(enabled)},
	{"address", admin_address},
	{"port", cfg_uint, ADM(port), .min = 1, .max = 65535},
	{NULL},
};

/* An absolute file path that fits the field, or "" for none. */
static int
log_file(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || strlen(v) >= kw->size ||
	    (v[0] != '\0' && (v[0] != '/' || v[strlen(v) - 1] == '/')))
		return cfg_fail(ps, s,
				"'%s' expected an absolute file path shorter than %zu characters, "
				"or \"\" for none",
				kw->name, kw->size);
	cfg_copy(obj, kw, v);
	return 0;
}

const struct cfg_kw cfg_log_kws[] = {
	{"level", cfg_choice, CFG_AT(struct ctl_log_conf, level), .arg = level_words},
	{"access_log", log_file, CFG_AT(struct ctl_log_conf, access_log)},
	{NULL},
};

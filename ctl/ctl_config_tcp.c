/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_tcp.c - the `tcp` group (the stack's TCP settings) and the
 * `listeners` list (the built-in diagnostic services).
 *
 * Bounds keep a config that passes `--check` inside what the stack accepts:
 * buffers large enough for one full-sized segment and small enough for a
 * scaled 32-bit window, timers RFC 6298 and RFC 1122 would not object to.
 * Listeners are parsed where they stand but checked against port addresses
 * and each other only after the whole file is read (`ports` may come later).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

#define TCP(f) CFG_AT(struct ctl_tcp_conf, f)
#define LSN(f) CFG_AT(struct ctl_listener_conf, f)

#define MIB	  (1024 * 1024)
#define MS	  1000LL
#define SEC	  1000000LL
#define EPH_FLOOR 1024 /* ephemeral ports never come from the well-known range */

_Static_assert(sizeof(enum ctl_listener_type) == 4 && sizeof(int) == 4,
	       "cfg_choice stores enums as 32-bit integers");

static const char *const cc_words[] = {"newreno", "cubic", NULL}; /* enum stk_cc */
static const char *const type_words[] = {"echo", "discard", "source", NULL};

void
cfg_tcp_defaults(struct ctl_tcp_conf *t)
{
	*t = (struct ctl_tcp_conf){
		.max_conns = 65536,
		.max_listeners = 64,
		.rcv_buf = 262144,
		.snd_buf = 262144,
		.worker_mem_max = 268435456,
		.ooo_max = 256,
		.window_scaling = true,
		.timestamps = true,
		.sack = true,
		.nagle = false,
		.congestion_control = 0, /* newreno */
		.rto_min_us = 200 * MS,
		.rto_max_us = 60 * SEC,
		.rto_initial_us = 1 * SEC,
		.msl_us = 30 * SEC,
		.delayed_ack_us = 40 * MS,
		.keepalive_idle_us = 0,
		.keepalive_interval_us = 75 * SEC,
		.keepalive_probes = 9,
		.syn_retries = 5,
		.fin_wait2_timeout_us = 60 * SEC,
		.syn_backlog = 4096,
		.syncookies = true,
		.challenge_ack_limit = 1000,
		.ephemeral_min = 32768,
		.ephemeral_max = 60999,
	};
}

const char *
ctl_listener_type_name(enum ctl_listener_type t)
{
	if ((unsigned int)t >= sizeof(type_words) / sizeof(type_words[0]) - 1)
		return "unknown";
	return type_words[t];
}

/* [ first, last ]: two integers EPH_FLOOR..65535, first <= last. */
static int
ephemeral(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_tcp_conf *t = obj;
	long long v[2] = {0, 0};
	bool ok = (config_setting_is_array(s) || config_setting_is_list(s)) &&
		  config_setting_length(s) == 2;

	for (unsigned int i = 0; ok && i < 2; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		int type = config_setting_type(e);
		v[i] = config_setting_get_int64(e);
		ok = (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) && v[i] >= EPH_FLOOR &&
		     v[i] <= 65535;
	}
	if (!ok)
		return cfg_fail(ps, s,
				"'%s' expected [ first, last ] with ports between %d and 65535",
				kw->name, EPH_FLOOR);
	if (v[0] > v[1])
		return cfg_fail(ps, s, "'%s' first port %lld is above the last %lld", kw->name,
				v[0], v[1]);
	t->ephemeral_min = (uint16_t)v[0];
	t->ephemeral_max = (uint16_t)v[1];
	return 0;
}

static const struct cfg_kw tcp_kws[] = {
	{"max_conns", cfg_uint, TCP(max_conns), .min = 16, .max = 4194304},
	{"max_listeners", cfg_uint, TCP(max_listeners), .min = 1, .max = 4096},
	{"rcv_buf", cfg_uint, TCP(rcv_buf), .min = 4096, .max = 64 * MIB},
	{"snd_buf", cfg_uint, TCP(snd_buf), .min = 4096, .max = 64 * MIB},
	{"worker_mem_max", cfg_uint, TCP(worker_mem_max), .min = MIB, .max = 65536LL * MIB},
	{"ooo_max", cfg_uint, TCP(ooo_max), .min = 1, .max = 65536},
	{"window_scaling", cfg_bool, TCP(window_scaling)},
	{"timestamps", cfg_bool, TCP(timestamps)},
	{"sack", cfg_bool, TCP(sack)},
	{"nagle", cfg_bool, TCP(nagle)},
	{"congestion_control", cfg_choice, TCP(congestion_control), .arg = cc_words},
	{"rto_min", cfg_duration, TCP(rto_min_us), .min = 1 * MS, .max = 10 * SEC},
	{"rto_max", cfg_duration, TCP(rto_max_us), .min = 1 * SEC, .max = 600 * SEC},
	{"rto_initial", cfg_duration, TCP(rto_initial_us), .min = 1 * MS, .max = 60 * SEC},
	{"msl", cfg_duration, TCP(msl_us), .min = 100 * MS, .max = 600 * SEC},
	{"delayed_ack", cfg_duration, TCP(delayed_ack_us), .min = 0, .max = 500 * MS},
	{"keepalive_idle", cfg_duration, TCP(keepalive_idle_us), .min = 0, .max = 86400 * SEC},
	{"keepalive_interval", cfg_duration, TCP(keepalive_interval_us), .min = 1 * SEC,
	 .max = 3600 * SEC},
	{"keepalive_probes", cfg_uint, TCP(keepalive_probes), .min = 1, .max = 100},
	{"syn_retries", cfg_uint, TCP(syn_retries), .min = 1, .max = 20},
	{"fin_wait2_timeout", cfg_duration, TCP(fin_wait2_timeout_us), .min = 1 * SEC,
	 .max = 3600 * SEC},
	{"syn_backlog", cfg_uint, TCP(syn_backlog), .min = 1, .max = 1048576},
	{"syncookies", cfg_bool, TCP(syncookies)},
	{"challenge_ack_limit", cfg_uint, TCP(challenge_ack_limit), .min = 0, .max = 1000000},
	{"ephemeral_ports", ephemeral},
	{NULL},
};

/* Relations between keys, once the whole group is read (any key order). */
static int
tcp_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_tcp_conf *t)
{
	const config_setting_t *m;

	if (t->rto_min_us > t->rto_max_us)
		return cfg_fail(ps, config_setting_get_member(s, "rto_min"),
				"'rto_min' is above 'rto_max'");
	if (t->rto_initial_us > t->rto_max_us) {
		m = config_setting_get_member(s, "rto_initial");
		return cfg_fail(ps, m ? m : s, "'rto_initial' is above 'rto_max'");
	}
	if (t->worker_mem_max < (uint64_t)t->rcv_buf + t->snd_buf) {
		m = config_setting_get_member(s, "worker_mem_max");
		return cfg_fail(ps, m ? m : s,
				"'worker_mem_max' must hold at least one connection's rcv_buf + "
				"snd_buf (%llu bytes)",
				(unsigned long long)t->rcv_buf + t->snd_buf);
	}
	return 0;
}

int
cfg_sec_tcp(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_config *c = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, tcp_kws, &c->tcp);
	return rc < 0 ? rc : tcp_check(ps, s, &c->tcp);
}

/* ---- listeners --------------------------------------------------------- */

static int
lsn_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) >= CTL_NAME_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
		return cfg_fail(ps, s,
				"'%s' expected 1 to %d characters from a-z, 0-9, '_' and '-'",
				kw->name, CTL_NAME_MAX - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

/* The form only; whether a port holds it is checked by cfg_listeners_resolve(). */
static int
lsn_address(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);
	uint32_t a;

	if (v == NULL || cfg_parse_ipv4(v, &a) < 0)
		return cfg_fail(ps, s, "'%s' expected an IPv4 address such as \"10.10.0.1\"",
				kw->name);
	((struct ctl_listener_conf *)obj)->address = a;
	return 0;
}

static const struct cfg_kw listener_kws[] = {
	{"name", lsn_name, LSN(name)},
	{"type", cfg_choice, LSN(type), .arg = type_words},
	{"address", lsn_address},
	{"port", cfg_uint, LSN(port), .min = 1, .max = 65535},
	{NULL},
};

static int
listener_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_listener_conf *l = elem;

	if (l->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a listener");
	if (config_setting_get_member(s, "type") == NULL)
		return cfg_fail(ps, s, "'type' is required for listener '%s'", l->name);
	if (l->port == 0)
		return cfg_fail(ps, s, "'port' is required for listener '%s'", l->name);
	for (unsigned int i = 0; i < idx; i++)
		if (strcmp(ps->c->listeners[i].name, l->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate listener name '%s' (first at line %d)", l->name,
					ps->c->listeners[i].line);
	return 0;
}

int
cfg_sec_listeners(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		  void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "listeners",
		.max = CTL_MAX_LISTENERS,
		.size = sizeof(struct ctl_listener_conf),
		.line_off = offsetof(struct ctl_listener_conf, line),
		.kws = listener_kws,
		.check = listener_check,
	};
	struct ctl_config *c = obj;
	int rc = cfg_group_list(ps, s, kw, &spec, c->listeners, &c->n_listeners);

	if (rc == 0)
		ps->listeners = s;
	return rc;
}

static bool
port_address(const struct ctl_config *c, uint32_t a)
{
	for (unsigned int p = 0; p < c->n_ports; p++)
		for (unsigned int j = 0; j < c->ports[p].n_addrs; j++)
			if (c->ports[p].addrs[j] == a)
				return true;
	return false;
}

/* A listener on any address (0) overlaps every listener on its port. */
static int
overlap(struct cfg_parse *ps, const config_setting_t *e, unsigned int idx)
{
	const struct ctl_listener_conf *l = &ps->c->listeners[idx];
	char buf[16];

	for (unsigned int i = 0; i < idx; i++) {
		const struct ctl_listener_conf *o = &ps->c->listeners[i];
		if (o->port != l->port ||
		    (o->address != 0 && l->address != 0 && o->address != l->address))
			continue;
		return cfg_fail(ps, config_setting_get_member(e, "port"),
				"listener '%s' on %s:%u overlaps listener '%s' (line %d)", l->name,
				l->address ? cfg_fmt_ipv4(l->address, buf, sizeof(buf)) : "*",
				(unsigned int)l->port, o->name, o->line);
	}
	return 0;
}

int
cfg_listeners_resolve(struct cfg_parse *ps)
{
	const struct ctl_config *c = ps->c;
	char buf[16];

	if (c->n_listeners > c->tcp.max_listeners)
		return cfg_fail(ps, ps->listeners,
				"%u listeners are more than tcp.max_listeners (%u)", c->n_listeners,
				c->tcp.max_listeners);
	for (unsigned int i = 0; i < c->n_listeners; i++) {
		const config_setting_t *e = config_setting_get_elem(ps->listeners, i);
		const struct ctl_listener_conf *l = &c->listeners[i];
		int rc;
		if (l->address != 0 && !port_address(c, l->address))
			return cfg_fail(ps, config_setting_get_member(e, "address"),
					"'address' %s of listener '%s' is not an address of any "
					"port",
					cfg_fmt_ipv4(l->address, buf, sizeof(buf)), l->name);
		if ((rc = overlap(ps, e, i)) < 0)
			return rc;
	}
	return 0;
}

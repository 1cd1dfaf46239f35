/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_parse.h - internals shared by the ctl_config*.c files; nothing
 * outside the loader includes it.
 *
 * Every group of the file is described by a table of keywords. A keyword names
 * the function that parses its value and where the value goes (an offset into
 * the object the group fills), plus the bounds the function checks. cfg_walk()
 * runs a group through its table in file order; the first failure stops the
 * load, its message already written by cfg_fail().
 */
#ifndef MESHGW_CTL_CONFIG_PARSE_H
#define MESHGW_CTL_CONFIG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "ctl_config.h"

struct cfg_parse {
	const char *name;		   /* file name used in messages */
	char *err;			   /* message buffer (may be NULL) */
	size_t errlen;			   /* its size */
	struct ctl_config *c;		   /* the config being filled */
	const config_setting_t *routes;	   /* ip_routes, resolved after the walk */
	const config_setting_t *listeners; /* listeners, checked after the walk */
	const config_setting_t *services;  /* services, resolved after the walk */
	const config_setting_t *rtables;   /* route_tables, resolved after the walk */
	const config_setting_t *policies;  /* policies, resolved after the walk */
};

struct cfg_kw;

/* Parses setting s for keyword kw into obj (the object the group fills).
 * Returns 0, or -EINVAL after cfg_fail(). */
typedef int (*cfg_kw_fn)(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
			 void *obj);

struct cfg_kw {
	const char *name;
	cfg_kw_fn parse;
	size_t off;	  /* offset of the field in obj */
	size_t size;	  /* and its size: 1, 2, 4 or 8 for numbers, capacity for strings */
	int64_t min, max; /* bounds: numbers, durations (us), string lengths */
	const void *arg;  /* choices (NULL-terminated) for enums, sub-table for groups */
};

/* Where a field lives, for the keyword tables. */
#define CFG_AT(type, field) .off = offsetof(type, field), .size = sizeof(((type *)0)->field)

/* Writes "file:line: message" (line of s; line 1 for the root, where a missing
 * top-level setting belongs) and returns -EINVAL. */
int cfg_fail(struct cfg_parse *ps, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same at a given line. */
int cfg_fail_at(struct cfg_parse *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The field kw describes inside obj. */
static inline void *
cfg_field(void *obj, const struct cfg_kw *kw)
{
	return (char *)obj + kw->off;
}

/* Runs every member of group s through table kws (NULL-name terminated). */
int cfg_walk(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kws, void *obj);

/* The closest name in the NULL-terminated table within edit distance 2 (and
 * fewer edits than name has letters), or NULL. */
const char *cfg_suggest(const char *name, const struct cfg_kw *kws);

/* Generic keyword parsers; bounds and field from the keyword. */
int cfg_uint(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
int cfg_pow2(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
int cfg_duration(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		 void *obj);
int cfg_choice(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
int cfg_bool(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
/* A byte size: an integer, or a string such as "64KiB", "1MiB", "2GiB". */
int cfg_size(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
int cfg_prob(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
int cfg_group(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);

/* A string of kw->min..kw->max characters into *out; -EINVAL after cfg_fail(). */
int cfg_string(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
	       const char **out);
/* Same, then copied into the field (capacity kw->size). */
int cfg_str(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
/* Copies a string already checked to fit into the field (capacity kw->size). */
void cfg_copy(void *obj, const struct cfg_kw *kw, const char *v);

/* User text made safe to echo in a one-line message: printable ASCII kept,
 * anything else as \xNN, cut with "..." to fit len (at least 8). */
const char *cfg_quote(const char *v, char *buf, size_t len);

/* s must be a group; its members parsed with kws into obj. */
int cfg_need_group(struct cfg_parse *ps, const config_setting_t *s, const char *name);
/* s must be a list of groups (an empty array counts as an empty list). */
int cfg_need_group_list(struct cfg_parse *ps, const config_setting_t *s, const char *name);

/* How cfg_group_list fills one element of an array of config structs. */
struct cfg_list_spec {
	const char *what; /* plural, for "expected at most N <what>" */
	unsigned int max;
	size_t size;	 /* of one element */
	size_t line_off; /* offsetof(element, line) */
	const struct cfg_kw *kws;
	void (*init)(void *elem); /* defaults; NULL: zeroed */
	/* after the walk: idx is the element's index (the earlier ones are done) */
	int (*check)(struct cfg_parse *ps, const config_setting_t *s, const void *elem,
		     unsigned int idx);
};
/* s, a list of groups named kw->name, into base[]: each element initialised,
 * its line recorded, walked with spec->kws and checked; *count grows with
 * each element accepted (so checks see the earlier ones). 0 or <0. */
int cfg_group_list(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		   const struct cfg_list_spec *spec, void *base, unsigned int *count);

/* IPv4 text forms, host byte order. 0 or -EINVAL (nothing reported). */
int cfg_parse_ipv4(const char *text, uint32_t *addr);
int cfg_parse_prefix(const char *text, uint32_t *addr, uint8_t *plen);
uint32_t cfg_mask(uint8_t plen);
/* "a.b.c.d" into buf (at least 16 bytes). */
const char *cfg_fmt_ipv4(uint32_t addr, char *buf, size_t len);

/* Lexical checks libconfig 1.5 does not make: @include (we read one file, and
 * the loader must not open others) and integers it would silently truncate.
 * Returns 0 or -EINVAL after cfg_fail(). Runs before libconfig when only_include,
 * after a successful parse otherwise. */
int cfg_lex_check(struct cfg_parse *ps, const char *text, bool only_include);

/* Sections: tables of the plain top-level groups, parsers of the others. */
extern const struct cfg_kw cfg_eal_kws[], cfg_arp_kws[], cfg_ctl_kws[], cfg_admin_kws[],
	cfg_log_kws[], cfg_node_kws[], cfg_http_kws[];
void cfg_http_defaults(struct ctl_http_conf *h);
int cfg_sec_workers(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		    void *obj);
int cfg_sec_ports(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		  void *obj);
int cfg_sec_routes(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		   void *obj);
int cfg_sec_tcp(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		void *obj);
int cfg_sec_listeners(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		      void *obj);
int cfg_sec_services(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		     void *obj);
int cfg_sec_clusters(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		     void *obj);
int cfg_sec_rtables(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		    void *obj);
/* A cluster's health_check group (ctl_config_health.c) and its defaults. */
int cfg_health(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj);
void cfg_health_defaults(struct ctl_health_conf *h);
int cfg_sec_discovery(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		      void *obj);
void cfg_discovery_defaults(struct ctl_discovery_conf *d);
/* The identities group (ctl_config_identities.c) and its defaults. */
int cfg_sec_identities(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		       void *obj);
void cfg_identities_defaults(struct ctl_identities_conf *id);

/* After the walk: default worker placement. */
void cfg_workers_finish(struct ctl_config *c);
/* After the walk: every route's port, by name or by the subnet holding via. */
int cfg_routes_resolve(struct cfg_parse *ps);
/* After the walk: listener addresses against the ports, overlaps, the tcp limit. */
int cfg_listeners_resolve(struct cfg_parse *ps);
/* After the walk: every service's cluster by name, its VIPs against the listeners. */
int cfg_services_resolve(struct cfg_parse *ps);
/* After the walk: the clusters of every route, by name. */
int cfg_rtables_resolve(struct cfg_parse *ps);
/* The policies list (ctl_config_policies.c) and, after the walk, every
 * policy's service by name (one policy per service; http rules need an
 * http service). */
int cfg_sec_policies(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		     void *obj);
int cfg_policies_resolve(struct cfg_parse *ps);
/* The tls group (ctl_config_tls.c), a service's `tls` name (its form) and,
 * after the walk, every service's ingress context by name (tcp only). */
int cfg_sec_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		void *obj);
/* A cluster's `tls` group (egress), at kw->off in the cluster. */
int cfg_cluster_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		    void *obj);
int cfg_svc_tls(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		void *obj);
int cfg_tls_resolve(struct cfg_parse *ps);

/* Defaults of one port (ctl_config_defaults() applies them to every slot). */
void cfg_port_defaults(struct ctl_port_conf *p);
/* Defaults of the tcp group. */
void cfg_tcp_defaults(struct ctl_tcp_conf *t);
/* Defaults of every cluster and endpoint slot (after the memset of ctl_config_defaults). */
void cfg_services_defaults(struct ctl_config *c);

#endif /* MESHGW_CTL_CONFIG_PARSE_H */

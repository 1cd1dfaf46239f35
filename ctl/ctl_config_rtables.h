/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_rtables.h - what the two files of the `route_tables` parser
 * share: ctl_config_rtables.c (tables, routes, matchers) and
 * ctl_config_rtables_act.c (a route's action and its options). Nothing else
 * includes it.
 */
#ifndef MESHGW_CTL_CONFIG_RTABLES_H
#define MESHGW_CTL_CONFIG_RTABLES_H

#include <stdbool.h>

#include "ctl_config_parse.h"

/* What may follow in a route's group besides name and match; the parse
 * functions fill a struct ctl_http_route. */
extern const struct cfg_kw cfg_route_act_kws[];

/* Names of tables, routes and clusters: 1..CTL_NAME_MAX-1 characters from
 * A-Z a-z 0-9 . _ - (they show in meshgwctl and metrics labels). */
int rt_check_name(struct cfg_parse *ps, const config_setting_t *s, const char *key,
		  const char **out);

/* An RFC 9110 token (header names, methods). */
bool rt_is_token(const char *v);

/* A string setting of 1..max characters (0..max when may_be_empty) with no
 * control characters (tab allowed when tab) nor spaces (when !space), into
 * *out as a heap copy; *out must be NULL (a key appears once). 0, -EINVAL
 * or -ENOMEM, the message written. */
#define RT_SPACE     1u /* spaces allowed */
#define RT_TAB	     2u /* tabs allowed */
#define RT_EMPTY     4u /* "" allowed */
#define RT_ANY_BYTES 8u /* no character check at all (a body) */
int rt_text(struct cfg_parse *ps, const config_setting_t *s, const char *key, size_t max,
	    unsigned int flags, char **out);

/* A header name: a token of 1..CTL_ROUTE_HNAME_MAX characters, lower-cased
 * into a heap copy. */
int rt_header_name(struct cfg_parse *ps, const config_setting_t *s, const char *key, char **out);

/* The `name` keyword of a header matcher (obj: struct ctl_hdr_match). */
int rt_hdr_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw,
		void *obj);
/* A list of header matchers into hs[*n ..], each walked with kws and
 * checked (a name, one of kinds, no name twice in one what: "route",
 * "rule"); at most CTL_MAX_ROUTE_HEADERS. */
int rt_header_list(struct cfg_parse *ps, const config_setting_t *s, const char *key,
		   const struct cfg_kw *kws, const char *what, const char *kinds,
		   struct ctl_hdr_match *hs, unsigned int *n);
/* After the route's group is read: exactly one action, and the options that
 * depend on it or on the matchers. */
int rt_action_check(struct cfg_parse *ps, const config_setting_t *s,
		    const struct ctl_http_route *r);

/* After the whole file: cluster names to indices (s is the route's group). */
int rt_action_resolve(struct cfg_parse *ps, const config_setting_t *s, struct ctl_http_route *r);

#endif /* MESHGW_CTL_CONFIG_RTABLES_H */

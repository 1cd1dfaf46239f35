/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_policy.h - authorization policies as the workers evaluate them: built
 * from the config's `policies` (control thread; allocates) into one
 * immutable set any number of workers read at once. Knows nothing of the
 * proxy or DPDK; links nothing (the request view is gw_route.h's struct).
 *
 * A service has at most one policy; a service without one is not
 * restricted. A policy is an ordered list of allow and deny rules and a
 * default action. Evaluation: any matching deny rule denies (the first one
 * is reported); else any matching allow rule allows (the first one); else
 * the default decides (rule -1). A dry-run policy computes and reports the
 * same decision but its effective action is allow: the caller logs and
 * counts what would have happened.
 *
 * A rule matches when every part it has matches (see ctl_config.h for the
 * config side):
 *   from   the source is authenticated (identity not NULL), and, when given,
 *          its identity matches one pattern (exact, prefix ending in '/', or
 *          any) and its namespace one of the names. The namespace is taken
 *          from a SPIFFE ID of the form spiffe://<td>/ns/<ns>/sa/<sa>; an
 *          identity of another form has none and matches no namespace list.
 *          Unauthenticated sources match only rules without `from`.
 *   to     the destination port is one of the ports.
 *   http   method one of the methods (exact), path exact or prefix (up to a
 *          '?' if the caller left the query on), and each header matcher by
 *          any occurrence of the header (names case-insensitive, values
 *          exact / prefix / present, case-sensitive). Without an http view
 *          (a connection-level check) a rule with an http part never
 *          matches: HTTP services are checked per request, not at accept.
 *          A path not in normal form ("//", dot segments, '\\', %-escapes
 *          of unreserved characters or '/') fails closed: every deny rule's
 *          path matcher matches it and no allow rule's does, since the
 *          backend may read it as a path we did not compare.
 *
 * Why not gw_route for the HTTP part: a route table answers "the first
 * route whose HTTP matchers all match", but a policy needs "is there a
 * matching deny rule, else a matching allow rule" with the identity, port
 * and namespace conditions ANDed in, which the route table cannot take into
 * account (the first HTTP match may fail its identity while a later rule
 * matches both). With at most CTL_MAX_POLICY_RULES rules of short exact and
 * prefix compares a direct scan is cheap and bounded, needs no per-worker
 * Hyperscan scratch, and keeps this module free of Hyperscan; the price is
 * no regexes in policies (Istio's AuthorizationPolicy has none either).
 *
 * Counters: every policy owns n_rules + 1 slots (its rules, then the
 * default) in a per-worker array of gw_policy_counter_slots() uint64_t;
 * each worker counts in its own array (one writer), readers sum them.
 */
#ifndef MESHGW_GW_POLICY_H
#define MESHGW_GW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_config.h"
#include "gw_route.h"

/* Same values as enum ctl_policy_action. */
enum gw_policy_action { GW_POLICY_ALLOW = 0, GW_POLICY_DENY = 1 };

/* What a policy looks at; everything borrowed for the call. */
struct gw_policy_req {
	const char *identity; /* the source's SPIFFE ID (need not be NUL-terminated); NULL:
				 unauthenticated */
	size_t identity_len;
	uint16_t port;			 /* destination port (host order) */
	const struct gw_route_req *http; /* NULL: connection level, no request */
};

struct gw_policy_verdict {
	enum gw_policy_action decision; /* what the policy decided */
	bool allow;			/* what to do: decision is allow, or dry run */
	bool dry_run;
	int rule; /* index of the deciding rule in the policy, -1: the default */
};

struct gw_policy_set;
struct gw_policy;

/*
 * Builds the policies of c (c->policies may be NULL: an empty set) for its
 * c->n_services services. Copies every string: c may be released after.
 * Returns the set, or NULL with errno (ENOMEM, EINVAL for an inconsistent
 * config) and a message in err. Control thread.
 */
struct gw_policy_set *gw_policy_set_build(const struct ctl_config *c, char *err, size_t errlen);

/* Accepts NULL. No worker may still be reading s. */
void gw_policy_set_free(struct gw_policy_set *s);

/* The policy of service index svc, or NULL (no policy: not restricted, or
 * svc out of range). Any thread. */
const struct gw_policy *gw_policy_of_service(const struct gw_policy_set *s, unsigned int svc);

/*
 * Decides req against p (not NULL). Worker fast path: no allocation, lock,
 * syscall or logging; work bounded by the rule count and list limits (plus
 * the request's header count for header matchers).
 */
struct gw_policy_verdict gw_policy_eval(const struct gw_policy *p, const struct gw_policy_req *req);

/* Per-worker counter array size (in uint64_t) for s. */
unsigned int gw_policy_counter_slots(const struct gw_policy_set *s);

/* The slot verdict v of p counts in. */
unsigned int gw_policy_counter_slot(const struct gw_policy *p, const struct gw_policy_verdict *v);

/* A zeroed counter array for one worker, cache-line aligned and padded
 * (free() it), or NULL with errno. Control thread. */
uint64_t *gw_policy_counters_new(const struct gw_policy_set *s);

/* Introspection for meshgwctl and the access log; strings live as long as
 * the set. Any thread. */
unsigned int gw_policy_count(const struct gw_policy_set *s);
const struct gw_policy *gw_policy_at(const struct gw_policy_set *s, unsigned int i);
const char *gw_policy_name(const struct gw_policy *p);
unsigned int gw_policy_service(const struct gw_policy *p);
bool gw_policy_dry_run(const struct gw_policy *p);
enum gw_policy_action gw_policy_default(const struct gw_policy *p);
unsigned int gw_policy_rules(const struct gw_policy *p);
/* Rule i's name and action; i == -1 names the default "default". */
const char *gw_policy_rule_name(const struct gw_policy *p, int i);
enum gw_policy_action gw_policy_rule_action(const struct gw_policy *p, int i);

/* "allow", "deny". */
const char *gw_policy_action_name(enum gw_policy_action a);

/* The namespace of a SPIFFE ID spiffe://<td>/ns/<ns>/sa/<sa> into *ns (a
 * span into id): true, or false when id has another form. Any thread. */
bool gw_policy_spiffe_ns(const char *id, size_t len, struct gw_route_span *ns);

#endif /* MESHGW_GW_POLICY_H */

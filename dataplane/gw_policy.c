/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_policy.c - authorization policies: the build (control thread) turns
 * the config's policies into flat arrays with every string in one pool, and
 * the evaluation (workers) scans a policy's rules over them. Nothing is
 * written after the build.
 */
#include "gw_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64
#define NS_PREFIX  "spiffe://"

_Static_assert((int)GW_POLICY_ALLOW == (int)CTL_POLICY_ALLOW &&
		       (int)GW_POLICY_DENY == (int)CTL_POLICY_DENY,
	       "gw_policy_action mirrors ctl_policy_action");

/* A string in the pool; kind is an enum ctl_id_kind or ctl_match_kind. */
struct pstr {
	uint32_t off;
	uint16_t len;
	uint8_t kind;
};

/* A rule: its lists are ranges of the set's items (headers take two items
 * each: name, then value) and ports arrays. */
struct prule {
	uint8_t action;
	bool has_from, has_http;
	uint8_t n_ids, n_ns, n_ports, n_methods, n_hdrs;
	uint32_t ids, ns, ports, methods, hdrs;
	struct pstr path; /* kind ANY: no path matcher */
	struct pstr name;
};

struct gw_policy {
	const struct gw_policy_set *set;
	const struct prule *rules;
	unsigned int n_rules;
	unsigned int service;
	unsigned int counter_base;
	enum gw_policy_action default_action;
	bool dry_run;
	bool has_paths; /* some rule matches the path: check its form */
	char name[CTL_NAME_MAX];
};

struct gw_policy_set {
	struct gw_policy *policies;
	unsigned int n_policies;
	const struct gw_policy **by_service; /* n_services entries, NULL: none */
	unsigned int n_services;
	struct prule *rules;
	struct pstr *items;
	uint16_t *ports;
	char *pool;
	unsigned int n_counters;
};

/* ---- build ------------------------------------------------------------- */

struct builder {
	struct gw_policy_set *s;
	unsigned int n_items, n_ports;
	size_t pool_len;
};

/* Pool bytes put() takes for v. */
static size_t
pool_len(const char *v)
{
	return (v != NULL ? strlen(v) : 0) + 1;
}

/* Sizes of what rule r needs. */
static void
measure(const struct ctl_policy_rule *r, size_t *items, size_t *ports, size_t *pool)
{
	*items += r->n_identities + r->n_namespaces + r->n_methods + 2u * r->n_headers;
	*ports += r->n_ports;
	*pool += pool_len(r->name) + pool_len(r->path.value);
	for (unsigned int i = 0; i < r->n_identities; i++)
		*pool += pool_len(r->identities[i].value);
	for (unsigned int i = 0; i < r->n_namespaces; i++)
		*pool += pool_len(r->namespaces[i]);
	for (unsigned int i = 0; i < r->n_methods; i++)
		*pool += pool_len(r->methods[i]);
	for (unsigned int i = 0; i < r->n_headers; i++)
		*pool += pool_len(r->headers[i].name) + pool_len(r->headers[i].m.value);
}

/* v (NULL: empty) into the pool. */
static struct pstr
put(struct builder *b, const char *v, unsigned int kind)
{
	size_t n = v ? strlen(v) : 0;
	struct pstr p = {(uint32_t)b->pool_len, (uint16_t)n, (uint8_t)kind};

	if (n > 0)
		memcpy(b->s->pool + b->pool_len, v, n);
	b->s->pool[b->pool_len + n] = '\0';
	b->pool_len += n + 1;
	return p;
}

static uint32_t
put_item(struct builder *b, const char *v, unsigned int kind)
{
	b->s->items[b->n_items] = put(b, v, kind);
	return b->n_items++;
}

static void
build_rule(struct builder *b, const struct ctl_policy_rule *r, struct prule *o)
{
	*o = (struct prule){
		.action = (uint8_t)r->action,
		.has_from = r->has_from,
		.has_http = r->has_http,
		.n_ids = (uint8_t)r->n_identities,
		.n_ns = (uint8_t)r->n_namespaces,
		.n_ports = (uint8_t)r->n_ports,
		.n_methods = (uint8_t)r->n_methods,
		.n_hdrs = (uint8_t)r->n_headers,
		.ids = b->n_items,
	};
	o->name = put(b, r->name, 0);
	for (unsigned int i = 0; i < r->n_identities; i++)
		put_item(b, r->identities[i].value, r->identities[i].kind);
	o->ns = b->n_items;
	for (unsigned int i = 0; i < r->n_namespaces; i++)
		put_item(b, r->namespaces[i], CTL_MATCH_EXACT);
	o->methods = b->n_items;
	for (unsigned int i = 0; i < r->n_methods; i++)
		put_item(b, r->methods[i], CTL_MATCH_EXACT);
	o->hdrs = b->n_items;
	for (unsigned int i = 0; i < r->n_headers; i++) {
		put_item(b, r->headers[i].name, CTL_MATCH_EXACT);
		put_item(b, r->headers[i].m.value, r->headers[i].m.kind);
	}
	o->ports = b->n_ports;
	memcpy(&b->s->ports[b->n_ports], r->ports, r->n_ports * sizeof(r->ports[0]));
	b->n_ports += r->n_ports;
	o->path = put(b, r->path.value, r->path.kind);
}

static int
fail(char *err, size_t errlen, int e, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "policies: %s", msg);
	errno = e;
	return -e;
}

/* calloc that never asks for 0 bytes (which may or may not return NULL). */
static void *
zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* The set's arrays, sized from the config. */
static int
alloc_set(struct gw_policy_set *s, const struct ctl_config *c, const struct ctl_policies *cp)
{
	size_t items = 0, ports = 0, pool = 0;

	for (unsigned int i = 0; cp != NULL && i < cp->n_rules; i++)
		measure(&cp->rules[i], &items, &ports, &pool);
	if (pool > UINT32_MAX)
		return -EINVAL;
	s->n_services = c->n_services;
	s->policies = zalloc(cp ? cp->n_policies : 0, sizeof(*s->policies));
	s->by_service = zalloc(c->n_services, sizeof(*s->by_service));
	s->rules = zalloc(cp ? cp->n_rules : 0, sizeof(*s->rules));
	s->items = zalloc(items, sizeof(*s->items));
	s->ports = zalloc(ports, sizeof(*s->ports));
	s->pool = zalloc(pool, 1);
	if (!s->policies || !s->by_service || !s->rules || !s->items || !s->ports || !s->pool)
		return -ENOMEM;
	return 0;
}

static int
build_policy(struct builder *b, const struct ctl_policies *cp, unsigned int i)
{
	const struct ctl_policy_conf *pc = &cp->policies[i];
	struct gw_policy_set *s = b->s;
	struct gw_policy *p = &s->policies[i];

	if (pc->service >= s->n_services || s->by_service[pc->service] != NULL ||
	    pc->first_rule + pc->n_rules > cp->n_rules || pc->n_rules > CTL_MAX_POLICY_RULES)
		return -EINVAL;
	*p = (struct gw_policy){
		.set = s,
		.rules = &s->rules[pc->first_rule],
		.n_rules = pc->n_rules,
		.service = pc->service,
		.counter_base = s->n_counters,
		.default_action = (enum gw_policy_action)pc->default_action,
		.dry_run = pc->dry_run,
	};
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	for (unsigned int j = 0; j < pc->n_rules; j++) {
		build_rule(b, &cp->rules[pc->first_rule + j], &s->rules[pc->first_rule + j]);
		p->has_paths |= s->rules[pc->first_rule + j].path.kind != CTL_MATCH_ANY;
	}
	s->n_counters += pc->n_rules + 1;
	s->by_service[pc->service] = p;
	s->n_policies++;
	return 0;
}

struct gw_policy_set *
gw_policy_set_build(const struct ctl_config *c, char *err, size_t errlen)
{
	const struct ctl_policies *cp = c->policies;
	struct gw_policy_set *s = calloc(1, sizeof(*s));
	struct builder b = {.s = s};
	int rc;

	if (s == NULL) {
		fail(err, errlen, ENOMEM, "out of memory");
		return NULL;
	}
	rc = alloc_set(s, c, cp);
	for (unsigned int i = 0; rc == 0 && cp != NULL && i < cp->n_policies; i++)
		rc = build_policy(&b, cp, i);
	if (rc == 0)
		return s;
	gw_policy_set_free(s);
	s = NULL;
	fail(err, errlen, -rc,
	     rc == -ENOMEM ? "out of memory" : "inconsistent policies (not from the loader?)");
	return NULL;
}

void
gw_policy_set_free(struct gw_policy_set *s)
{
	if (s == NULL)
		return;
	free(s->policies);
	free(s->by_service);
	free(s->rules);
	free(s->items);
	free(s->ports);
	free(s->pool);
	free(s);
}

/* ---- evaluation -------------------------------------------------------- */

/* The source and the path as the rules see them, worked out once. */
struct src {
	const char *id; /* NULL: unauthenticated */
	size_t id_len;
	struct gw_route_span ns;   /* p NULL: no namespace */
	struct gw_route_span path; /* without the query */
	bool odd_path;		   /* not in normal form: see path_normal() */
};

bool
gw_policy_spiffe_ns(const char *id, size_t len, struct gw_route_span *ns)
{
	const size_t pl = sizeof(NS_PREFIX) - 1;
	const char *end, *p, *n, *sa;

	if (id == NULL || len <= pl || memcmp(id, NS_PREFIX, pl) != 0)
		return false;
	end = id + len;
	p = memchr(id + pl, '/', len - pl); /* end of the trust domain */
	if (p == NULL || p == id + pl || end - p < 4 || memcmp(p, "/ns/", 4) != 0)
		return false;
	n = p + 4;
	sa = memchr(n, '/', (size_t)(end - n));
	if (sa == NULL || sa == n || end - sa <= 4 || memcmp(sa, "/sa/", 4) != 0 ||
	    memchr(sa + 4, '/', (size_t)(end - sa - 4)) != NULL)
		return false;
	*ns = (struct gw_route_span){n, (size_t)(sa - n)};
	return true;
}

/* Spans may be (NULL, 0): memcmp must not see a NULL pointer. */
static bool
span_eq(const char *p, size_t len, const char *pool, const struct pstr *s)
{
	return len == s->len && (len == 0 || memcmp(p, pool + s->off, len) == 0);
}

static bool
span_prefix(const char *p, size_t len, const char *pool, const struct pstr *s)
{
	return len >= s->len && (s->len == 0 || memcmp(p, pool + s->off, s->len) == 0);
}

static bool
id_match(const struct gw_policy_set *s, const struct prule *r, const struct src *src)
{
	if (r->n_ids == 0)
		return true;
	for (unsigned int i = 0; i < r->n_ids; i++) {
		const struct pstr *m = &s->items[r->ids + i];
		if (m->kind == CTL_ID_ANY ||
		    (m->kind == CTL_ID_EXACT && span_eq(src->id, src->id_len, s->pool, m)) ||
		    (m->kind == CTL_ID_PREFIX && span_prefix(src->id, src->id_len, s->pool, m)))
			return true;
	}
	return false;
}

static bool
ns_match(const struct gw_policy_set *s, const struct prule *r, const struct src *src)
{
	if (r->n_ns == 0)
		return true;
	for (unsigned int i = 0; src->ns.p != NULL && i < r->n_ns; i++)
		if (span_eq(src->ns.p, src->ns.len, s->pool, &s->items[r->ns + i]))
			return true;
	return false;
}

static bool
port_match(const struct gw_policy_set *s, const struct prule *r, uint16_t port)
{
	if (r->n_ports == 0)
		return true;
	for (unsigned int i = 0; i < r->n_ports; i++)
		if (s->ports[r->ports + i] == port)
			return true;
	return false;
}

/* Header names: ASCII case-insensitive against a lower-case name. */
static bool
name_eq(const struct gw_route_span *n, const char *lower, size_t len)
{
	if (n->len != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)n->p[i];
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)lower[i])
			return false;
	}
	return true;
}

/* Any occurrence of the header matching value matcher v. */
static bool
hdr_match(const struct gw_policy_set *s, const struct pstr *name, const struct pstr *v,
	  const struct gw_route_req *h)
{
	for (unsigned int i = 0; i < h->n_headers; i++) {
		const struct gw_route_hdr *f = &h->headers[i];
		if (!name_eq(&f->name, s->pool + name->off, name->len))
			continue;
		if (v->kind == CTL_MATCH_PRESENT ||
		    (v->kind == CTL_MATCH_EXACT && span_eq(f->value.p, f->value.len, s->pool, v)) ||
		    (v->kind == CTL_MATCH_PREFIX &&
		     span_prefix(f->value.p, f->value.len, s->pool, v)))
			return true;
	}
	return false;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Whether the backend sees the path as we compare it: no empty segment
 * ("//"), no dot segment ("/./", "/../", or at the end), no backslash, and
 * no %-escape of what needs none (letters, digits, "-._~") or of '/' and
 * '\'. A path that fails this could reach "/admin" while not starting
 * with it here, so its path matchers fail closed: a deny rule's matches, an
 * allow rule's does not. The proxy forwards the path as given (no rewrite
 * to normal form), which is why this refuses rather than normalises.
 */
static bool
path_normal(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\')
			return false;
		if (p[i] == '%') {
			int hi = i + 2 < len ? hex_val(p[i + 1]) : -1;
			int lo = hi >= 0 ? hex_val(p[i + 2]) : -1;
			int c = hi * 16 + lo;
			if (lo < 0 || c == '/' || c == '\\' || c == '-' || c == '.' || c == '_' ||
			    c == '~' || (c >= '0' && c <= '9') ||
			    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
				return false;
		}
		if (p[i] != '/' || i + 1 >= len)
			continue;
		size_t dots = 0;
		while (i + 1 + dots < len && p[i + 1 + dots] == '.')
			dots++;
		if ((dots == 0 && p[i + 1] == '/') ||
		    ((dots == 1 || dots == 2) && (i + 1 + dots == len || p[i + 1 + dots] == '/')))
			return false;
	}
	return true;
}

static bool
path_match(const struct gw_policy_set *s, const struct prule *r, const struct src *src)
{
	if (r->path.kind == CTL_MATCH_ANY)
		return true;
	if (src->odd_path)
		return r->action == GW_POLICY_DENY;
	if (r->path.kind == CTL_MATCH_EXACT)
		return span_eq(src->path.p, src->path.len, s->pool, &r->path);
	return span_prefix(src->path.p, src->path.len, s->pool, &r->path);
}

static bool
http_match(const struct gw_policy_set *s, const struct prule *r, const struct src *src,
	   const struct gw_route_req *h)
{
	bool ok = r->n_methods == 0;

	for (unsigned int i = 0; !ok && i < r->n_methods; i++)
		ok = span_eq(h->method.p, h->method.len, s->pool, &s->items[r->methods + i]);
	if (!ok || !path_match(s, r, src))
		return false;
	for (unsigned int i = 0; i < r->n_hdrs; i++)
		if (!hdr_match(s, &s->items[r->hdrs + 2 * i], &s->items[r->hdrs + 2 * i + 1], h))
			return false;
	return true;
}

/* Cheapest checks first: port, then the source, then the request. */
static bool
rule_match(const struct gw_policy_set *s, const struct prule *r, const struct src *src,
	   const struct gw_policy_req *req)
{
	if (!port_match(s, r, req->port))
		return false;
	if (r->has_from && (src->id == NULL || !ns_match(s, r, src) || !id_match(s, r, src)))
		return false;
	return !r->has_http || (req->http != NULL && http_match(s, r, src, req->http));
}

static struct gw_policy_verdict
verdict(const struct gw_policy *p, enum gw_policy_action a, int rule)
{
	return (struct gw_policy_verdict){
		.decision = a,
		.allow = a == GW_POLICY_ALLOW || p->dry_run,
		.dry_run = p->dry_run,
		.rule = rule,
	};
}

struct gw_policy_verdict
gw_policy_eval(const struct gw_policy *p, const struct gw_policy_req *req)
{
	const struct gw_policy_set *s = p->set;
	struct src src = {.id = req->identity, .id_len = req->identity_len};
	int allow = -1;

	if (src.id_len == 0) /* "" is no identity: plain, unauthenticated */
		src.id = NULL;
	if (src.id != NULL && !gw_policy_spiffe_ns(src.id, src.id_len, &src.ns))
		src.ns.p = NULL;
	if (req->http != NULL) {
		const struct gw_route_span *path = &req->http->path;
		const char *q = path->len ? memchr(path->p, '?', path->len) : NULL;

		src.path = (struct gw_route_span){path->p, q ? (size_t)(q - path->p) : path->len};
		src.odd_path = p->has_paths && !path_normal(src.path.p, src.path.len);
	}
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct prule *r = &p->rules[i];
		/* once an allow matched, only a deny can change the outcome */
		if ((r->action == GW_POLICY_ALLOW && allow >= 0) || !rule_match(s, r, &src, req))
			continue;
		if (r->action == GW_POLICY_DENY)
			return verdict(p, GW_POLICY_DENY, (int)i);
		allow = (int)i;
	}
	if (allow >= 0)
		return verdict(p, GW_POLICY_ALLOW, allow);
	return verdict(p, p->default_action, -1);
}

/* ---- counters and introspection ---------------------------------------- */

unsigned int
gw_policy_counter_slots(const struct gw_policy_set *s)
{
	return s->n_counters;
}

unsigned int
gw_policy_counter_slot(const struct gw_policy *p, const struct gw_policy_verdict *v)
{
	return p->counter_base + (v->rule < 0 ? p->n_rules : (unsigned int)v->rule);
}

uint64_t *
gw_policy_counters_new(const struct gw_policy_set *s)
{
	size_t bytes =
		(s->n_counters * sizeof(uint64_t) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
	uint64_t *c = aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE);

	if (c != NULL)
		memset(c, 0, bytes ? bytes : CACHE_LINE);
	return c;
}

unsigned int
gw_policy_count(const struct gw_policy_set *s)
{
	return s->n_policies;
}

const struct gw_policy *
gw_policy_at(const struct gw_policy_set *s, unsigned int i)
{
	return i < s->n_policies ? &s->policies[i] : NULL;
}

const struct gw_policy *
gw_policy_of_service(const struct gw_policy_set *s, unsigned int svc)
{
	return s != NULL && svc < s->n_services ? s->by_service[svc] : NULL;
}

const char *
gw_policy_name(const struct gw_policy *p)
{
	return p->name;
}

unsigned int
gw_policy_service(const struct gw_policy *p)
{
	return p->service;
}

bool
gw_policy_dry_run(const struct gw_policy *p)
{
	return p->dry_run;
}

enum gw_policy_action
gw_policy_default(const struct gw_policy *p)
{
	return p->default_action;
}

unsigned int
gw_policy_rules(const struct gw_policy *p)
{
	return p->n_rules;
}

const char *
gw_policy_rule_name(const struct gw_policy *p, int i)
{
	if (i < 0 || (unsigned int)i >= p->n_rules)
		return "default";
	return p->set->pool + p->rules[i].name.off;
}

enum gw_policy_action
gw_policy_rule_action(const struct gw_policy *p, int i)
{
	if (i < 0 || (unsigned int)i >= p->n_rules)
		return p->default_action;
	return (enum gw_policy_action)p->rules[i].action;
}

const char *
gw_policy_action_name(enum gw_policy_action a)
{
	return a == GW_POLICY_DENY ? "deny" : "allow";
}

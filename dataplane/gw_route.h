/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_route.h - HTTP route matching: an ordered route table matched against a
 * request's host, path, method and headers in one Hyperscan pass per field.
 * Knows nothing of the proxy, the config parser or DPDK.
 *
 * A table is an ordered list of routes (index 0 first). Each route has
 * optional matchers; a route with no matcher on a field matches any value of
 * it (including a missing header or an empty host). A request selects the
 * lowest-indexed route whose every matcher matches, or none.
 *   host    exact ("api.example.com") or suffix wildcard ("*.example.com":
 *           one or more characters, then ".example.com"); case-insensitive.
 *           The caller passes the host without a ":port".
 *   path    exact, prefix, or regex. A regex is Hyperscan's PCRE subset and
 *           must match the whole path (it is compiled as ^(?:re)$); the path
 *           is matched as given (query string included if the caller passes
 *           it). Case-sensitive.
 *   method  exact token, case-sensitive ("GET").
 *   headers up to GW_ROUTE_MAX_HEADERS per route, distinct names, each
 *           exact value, full-match regex, or present. Names compare
 *           case-insensitively, values case-sensitively. A header repeated
 *           in the request matches if any occurrence matches; a route that
 *           constrains a header the request lacks does not match.
 *
 * How: gw_route_build (control thread; allocates) keys exact values (any
 * field), path prefixes and wildcard hosts in a hash per field, and splits
 * each path regex into its literal prefix (a key too) and a tail; the tails
 * of one prefix are scanned as a small Hyperscan block-mode database (small
 * tail lists share one). Header regexes get one Hyperscan database per
 * header name. Each distinct matcher is held once, regexes compiled with
 * HS_FLAG_SINGLEMATCH (identical matchers of many routes share it). So a
 * path costs one hash probe per key length present plus a scan of the tails
 * of the prefixes it has, a host one probe per dot.
 * gw_route_match (worker; no allocation, lock, syscall or log) matches the
 * most selective field (usually the path), then checks only the candidate
 * routes (those it matched plus those that do not constrain it) in index
 * order, scanning another field only when a candidate needs it. With more
 * candidates than about routes/256 * fields, it ANDs per-field route bitmaps
 * instead (O(fields * routes / 64) word operations), which bounds the worst
 * case. Tables hold up to GW_ROUTE_MAX_ROUTES routes.
 *
 * Ownership: a table is immutable once built and may be read by any number
 * of workers at once; each worker brings its own gw_route_scratch (grown for
 * every table it will match against). The table copies nothing it does not
 * need after build: defs are borrowed only during gw_route_build.
 */
#ifndef MESHGW_GW_ROUTE_H
#define MESHGW_GW_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#define GW_ROUTE_MAX_ROUTES	16384
#define GW_ROUTE_MAX_HEADERS	4  /* header matchers per route */
#define GW_ROUTE_MAX_HDR_FIELDS 32 /* distinct header names per table */

enum gw_route_kind {
	GW_ROUTE_ANY = 0, /* no matcher on this field */
	GW_ROUTE_EXACT,	  /* host, path, header value */
	GW_ROUTE_PREFIX,  /* path */
	GW_ROUTE_SUFFIX,  /* host: value is "*.domain" */
	GW_ROUTE_REGEX,	  /* path, header value: full match */
	GW_ROUTE_PRESENT, /* header: any value */
};

struct gw_route_str_match {
	enum gw_route_kind kind;
	const char *value; /* NUL-terminated; unused for ANY and PRESENT */
};

struct gw_route_hdr_match {
	const char *name; /* NUL-terminated, any case */
	struct gw_route_str_match m;
};

/* One route's matchers, as the control thread describes it. */
struct gw_route_def {
	struct gw_route_str_match host;
	struct gw_route_str_match path;
	const char *method; /* NULL: any */
	unsigned int n_headers;
	struct gw_route_hdr_match headers[GW_ROUTE_MAX_HEADERS];
};

/* A byte span into the caller's request buffer; need not be NUL-terminated. */
struct gw_route_span {
	const char *p;
	size_t len;
};

struct gw_route_hdr {
	struct gw_route_span name, value;
};

/* A request as seen by the matcher; all spans are borrowed for the call. A
 * NULL span pointer is an empty value. */
struct gw_route_req {
	struct gw_route_span host, path, method;
	const struct gw_route_hdr *headers;
	unsigned int n_headers;
};

struct gw_route_table;
struct gw_route_scratch;

/*
 * Compile defs[0..n) (n >= 1, n <= GW_ROUTE_MAX_ROUTES). Returns the table,
 * or NULL with errno set (EINVAL for a bad route, ENOMEM) and a message in
 * err naming the route index and what is wrong, e.g. "route 3: path regex:
 * <Hyperscan's message>". Control thread only; may take seconds for
 * thousands of regexes.
 */
struct gw_route_table *gw_route_build(const struct gw_route_def *defs, unsigned int n, char *err,
				      size_t errlen);

/*
 * Checks a path or header regex as gw_route_build would compile it (within
 * Hyperscan's PCRE subset, one group when wrapped for a full match) without
 * compiling a database: 0, or -EINVAL with Hyperscan's reason in err
 * ("\\1: Backreferences are not supported" style), -ENOMEM. Any thread.
 */
int gw_route_check_regex(const char *re, char *err, size_t errlen);

/* Accepts NULL. No worker may still be matching against t. */
void gw_route_free(struct gw_route_table *t);

unsigned int gw_route_count(const struct gw_route_table *t);

/*
 * A content hash (FNV-1a 64) of a route list's canonical serialisation:
 * equal hashes mean a reload may reuse the compiled table. Header names are
 * folded to lower case; everything else, route order included, counts.
 * gw_route_table_hash returns the hash of the defs t was built from.
 */
uint64_t gw_route_defs_hash(const struct gw_route_def *defs, unsigned int n);
uint64_t gw_route_table_hash(const struct gw_route_table *t);

/*
 * Make *s usable with t: allocates it if *s is NULL, otherwise grows it in
 * place (a scratch may serve several tables). Returns 0 or -errno; on error
 * *s is unchanged and still valid. Control thread, or the worker outside its
 * fast path. One scratch per worker: it is not shared.
 */
int gw_route_scratch_grow(const struct gw_route_table *t, struct gw_route_scratch **s);

/* Accepts NULL. */
void gw_route_scratch_free(struct gw_route_scratch *s);

/*
 * The lowest route index whose every matcher matches req, or -1 when none
 * does. -EINVAL if s was not grown for t, or a Hyperscan scan error as
 * -EIO (neither happens with a correctly grown scratch). Worker fast path:
 * no allocation, locks, syscalls or logging; s is written, t only read.
 */
int gw_route_match(const struct gw_route_table *t, struct gw_route_scratch *s,
		   const struct gw_route_req *req);

#endif /* MESHGW_GW_ROUTE_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epfile.c - the endpoints file: reading it (bounded), the JSON schema,
 * and the per-endpoint decoder shared with etcd discovery.
 *
 * Strict on purpose: the file is written by tools and people, and a typo
 * (an unknown key, a port as a string) must be refused with the JSON path of
 * the bad value rather than silently change the endpoint set. Parsing is two
 * passes over jansson's tree: the first checks the shape and counts, so the
 * result is one allocation sized exactly; the second decodes. Reentrant.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include "ctl_epfile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_CHARS  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define TD_CHARS    "abcdefghijklmnopqrstuvwxyz0123456789._-"
#define WHERE_MAX   (CTL_NAME_MAX + 32) /* "clusters.<name>[1023]" */
#define EP_KEYS	    "address, port, weight, zone, node, identity"
#define SPIFFE_EX   "\"spiffe://example.org/ns/web/sa/api\""
#define SPIFFE_PFX  "spiffe://"
#define FILE_FORMAT 1

/* Writes one message; always returns -EINVAL so callers can return it. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Untrusted text for a one-line message: printable ASCII kept (but quotes
 * and backslashes only when plain), the rest as \xNN, cut with "..." to fit
 * len (at least 8). */
static const char *
escape(const char *v, bool plain, char *buf, size_t len)
{
	size_t n = 0;

	for (; *v != '\0'; v++) {
		unsigned char ch = (unsigned char)*v;
		bool keep = ch >= 0x20 && ch < 0x7f && (plain || (ch != '"' && ch != '\\'));
		size_t need = keep ? 1 : 4;
		if (n + need + 4 > len) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		if (need == 1)
			buf[n] = (char)ch;
		else
			snprintf(buf + n, 5, "\\x%02x", ch);
		n += need;
	}
	buf[n] = '\0';
	return buf;
}

/* A name to show between double quotes. */
static const char *
quote(const char *v, char *buf, size_t len)
{
	return escape(v, false, buf, len);
}

/* 0/8, 127/8, 224/4 and above cannot be an endpoint (as in the config). */
static bool
unicast(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 24) < 224;
}

static bool
name_ok(const char *v)
{
	size_t n = strlen(v);

	return n > 0 && n < CTL_NAME_MAX && strspn(v, NAME_CHARS) == n;
}

bool
ctl_spiffe_id_valid(const char *id)
{
	const char *p = id + strlen(SPIFFE_PFX);
	size_t td;

	if (strlen(id) >= CTL_IDENTITY_MAX || strncmp(id, SPIFFE_PFX, strlen(SPIFFE_PFX)) != 0)
		return false;
	td = strspn(p, TD_CHARS);
	if (td == 0 || p[td] != '/')
		return false;
	for (p += td; *p == '/';) {
		size_t seg = strspn(++p, NAME_CHARS);
		if (seg == 0 || (seg == 1 && p[0] == '.') ||
		    (seg == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += seg;
	}
	return *p == '\0';
}

/* ---- one endpoint ------------------------------------------------------ */

static int
ep_address(const json_t *v, const char *where, struct ctl_endpoint_conf *ep, char *err,
	   size_t errlen)
{
	const char *s = json_string_value(v);
	struct in_addr in;

	/* glibc's inet_pton takes only the strict dotted quad (no leading zeros) */
	if (s == NULL || inet_pton(AF_INET, s, &in) != 1)
		return fail(err, errlen,
			    "%s.address: expected an IPv4 address such as \"10.0.0.5\"", where);
	ep->addr = ntohl(in.s_addr);
	if (!unicast(ep->addr))
		return fail(err, errlen, "%s.address: %s is not a unicast address", where, s);
	return 0;
}

/* An integer lo..hi (JSON reals such as 80.0 are refused). */
static int
ep_uint(const json_t *v, const char *where, const char *key, json_int_t lo, json_int_t hi,
	json_int_t *out, char *err, size_t errlen)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(err, errlen, "%s.%s: expected an integer %lld..%lld", where, key,
			    (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static int
ep_name(const json_t *v, const char *where, const char *key, char *dst, char *err, size_t errlen)
{
	const char *s = json_string_value(v);

	if (s == NULL || !name_ok(s))
		return fail(err, errlen,
			    "%s.%s: expected 1 to %d characters from A-Z, a-z, 0-9, '.', '_' "
			    "and '-'",
			    where, key, CTL_NAME_MAX - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
ep_identity(const json_t *v, const char *where, struct ctl_endpoint_conf *ep, char *err,
	    size_t errlen)
{
	const char *s = json_string_value(v);

	/* a NUL inside the JSON string would hide the rest: jansson refuses it by default */
	if (s == NULL || !ctl_spiffe_id_valid(s))
		return fail(err, errlen,
			    "%s.identity: expected a SPIFFE ID such as " SPIFFE_EX
			    " (shorter than %d characters)",
			    where, CTL_IDENTITY_MAX);
	memcpy(ep->identity, s, strlen(s) + 1);
	return 0;
}

/* One key of an endpoint object. */
static int
ep_key(const char *key, const json_t *v, const char *where, struct ctl_endpoint_conf *ep, char *err,
       size_t errlen)
{
	json_int_t n = 0;
	char q[64];
	int rc;

	if (strcmp(key, "address") == 0)
		return ep_address(v, where, ep, err, errlen);
	if (strcmp(key, "port") == 0) {
		rc = ep_uint(v, where, key, 1, 65535, &n, err, errlen);
		ep->port = (uint16_t)n;
		return rc;
	}
	if (strcmp(key, "weight") == 0) {
		rc = ep_uint(v, where, key, 1, 10000, &n, err, errlen);
		ep->weight = (uint32_t)n;
		return rc;
	}
	if (strcmp(key, "zone") == 0)
		return ep_name(v, where, key, ep->zone, err, errlen);
	if (strcmp(key, "node") == 0)
		return ep_name(v, where, key, ep->node, err, errlen);
	if (strcmp(key, "identity") == 0)
		return ep_identity(v, where, ep, err, errlen);
	return fail(err, errlen, "%s: unknown key \"%s\" (expected " EP_KEYS ")", where,
		    quote(key, q, sizeof(q)));
}

int
ctl_ep_decode(json_t *obj, const char *where, enum ctl_ep_source source,
	      struct ctl_endpoint_conf *ep, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	*ep = (struct ctl_endpoint_conf){.weight = 1, .source = (uint8_t)source};
	if (!json_is_object(obj))
		return fail(err, errlen,
			    "%s: expected an endpoint object {\"address\": ..., \"port\": ...}",
			    where);
	json_object_foreach (obj, key, v) {
		int rc = ep_key(key, v, where, ep, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (json_object_get(obj, "address") == NULL)
		return fail(err, errlen, "%s: \"address\" is required", where);
	if (json_object_get(obj, "port") == NULL)
		return fail(err, errlen, "%s: \"port\" is required", where);
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static uint64_t
fnv1a(const char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	return h;
}

/* The top level: {"version": 1, "clusters": {...}}; *clusters borrowed. */
static int
check_top(json_t *root, json_t **clusters, char *err, size_t errlen)
{
	json_t *ver = json_object_get(root, "version");
	const char *key;
	json_t *v;
	char q[64];

	if (!json_is_object(root))
		return fail(err, errlen,
			    "expected an object {\"version\": 1, \"clusters\": {...}}");
	json_object_foreach (root, key, v)
		if (strcmp(key, "version") != 0 && strcmp(key, "clusters") != 0)
			return fail(err, errlen, "unknown key \"%s\" (expected version, clusters)",
				    quote(key, q, sizeof(q)));
	if (ver == NULL)
		return fail(err, errlen, "\"version\" is required (this format is version %d)",
			    FILE_FORMAT);
	if (!json_is_integer(ver) || json_integer_value(ver) != FILE_FORMAT)
		return fail(err, errlen, "version: expected %d", FILE_FORMAT);
	*clusters = json_object_get(root, "clusters");
	if (*clusters == NULL)
		return fail(err, errlen, "\"clusters\" is required ({} for none)");
	if (!json_is_object(*clusters))
		return fail(err, errlen,
			    "clusters: expected an object {\"<cluster>\": [ endpoints ]}");
	return 0;
}

/* First pass: names, arrays and the limits; the sizes of the result. */
static int
count(json_t *clusters, unsigned int *n_clusters, unsigned int *n_eps, char *err, size_t errlen)
{
	const char *name;
	json_t *list;
	char q[64];

	*n_clusters = 0;
	*n_eps = 0;
	json_object_foreach (clusters, name, list) {
		size_t n = json_array_size(list);
		if (!name_ok(name))
			return fail(err, errlen,
				    "clusters: \"%s\" is not a cluster name (1 to %d characters "
				    "from A-Z, a-z, 0-9, '.', '_' and '-')",
				    quote(name, q, sizeof(q)), CTL_NAME_MAX - 1);
		if (!json_is_array(list))
			return fail(err, errlen,
				    "clusters.%s: expected an array of endpoint objects", name);
		if (++*n_clusters > CTL_MAX_CLUSTERS)
			return fail(err, errlen, "clusters: more than %d clusters",
				    CTL_MAX_CLUSTERS);
		if (n > CTL_MAX_CLUSTER_EPS)
			return fail(err, errlen,
				    "clusters.%s: %zu endpoints (at most %d per cluster)", name, n,
				    CTL_MAX_CLUSTER_EPS);
		if (*n_eps + n > CTL_MAX_ENDPOINTS)
			return fail(err, errlen,
				    "clusters.%s: brings the file to %zu endpoints (at most %d in "
				    "all)",
				    name, *n_eps + n, CTL_MAX_ENDPOINTS);
		*n_eps += (unsigned int)n;
	}
	return 0;
}

/* One allocation holding the header, the clusters and the endpoints. */
static struct ctl_epfile *
alloc_result(unsigned int n_clusters, unsigned int n_eps)
{
	size_t cl_off = sizeof(struct ctl_epfile);
	size_t ep_off = cl_off + n_clusters * sizeof(struct ctl_epfile_cluster);
	struct ctl_epfile *f;

	_Static_assert(
		sizeof(struct ctl_epfile) % alignof(struct ctl_epfile_cluster) == 0 &&
			sizeof(struct ctl_epfile_cluster) % alignof(struct ctl_endpoint_conf) == 0,
		"the three parts are laid out back to back");
	f = calloc(1, ep_off + n_eps * sizeof(struct ctl_endpoint_conf));
	if (f == NULL)
		return NULL;
	f->clusters = (struct ctl_epfile_cluster *)((char *)f + cl_off);
	f->eps = (struct ctl_endpoint_conf *)((char *)f + ep_off);
	return f;
}

/* The same address and port twice in a cluster would count twice in every
 * balancer. eps[n] is the new one. */
static int
check_dup(const struct ctl_endpoint_conf *eps, unsigned int n, const char *name, char *err,
	  size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = htonl(eps[n].addr)};

	for (unsigned int j = 0; j < n; j++)
		if (eps[j].addr == eps[n].addr && eps[j].port == eps[n].port)
			return fail(err, errlen,
				    "clusters.%s[%u]: %s:%u is listed twice (first at "
				    "clusters.%s[%u])",
				    name, n, inet_ntop(AF_INET, &in, a, sizeof(a)),
				    (unsigned int)eps[n].port, name, j);
	return 0;
}

/* Second pass: every endpoint of every cluster into f. */
static int
decode_all(json_t *clusters, struct ctl_epfile *f, char *err, size_t errlen)
{
	const char *name;
	json_t *list;

	json_object_foreach (clusters, name, list) {
		struct ctl_epfile_cluster *cl = &f->clusters[f->n_clusters++];
		struct ctl_endpoint_conf *eps = &f->eps[f->n_eps];
		size_t i;
		json_t *e;

		memcpy(cl->name, name, strlen(name) + 1);
		cl->eps = eps;
		json_array_foreach (list, i, e) {
			char where[WHERE_MAX];
			int rc;

			snprintf(where, sizeof(where), "clusters.%s[%zu]", name, i);
			rc = ctl_ep_decode(e, where, CTL_EP_SRC_FILE, &eps[i], err, errlen);
			if (rc == 0)
				rc = check_dup(eps, (unsigned int)i, name, err, errlen);
			if (rc < 0)
				return rc;
			cl->n_eps++;
			f->n_eps++;
		}
	}
	return 0;
}

int
ctl_epfile_parse(const char *buf, size_t len, const char *name, struct ctl_epfile **out, char *err,
		 size_t errlen)
{
	json_t *clusters = NULL;
	struct ctl_epfile *f = NULL;
	unsigned int n_clusters = 0, n_eps = 0;
	char msg[CTL_EPFILE_ERR_MAX];
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	if (len > CTL_EPFILE_MAX_BYTES) {
		fail(err, errlen, "%s: larger than %u bytes", name, CTL_EPFILE_MAX_BYTES);
		return -EFBIG;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) /* its text quotes the input, which may hold a newline */
		return fail(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column,
			    escape(jerr.text, true, msg, sizeof(msg)));
	rc = check_top(root, &clusters, msg, sizeof(msg));
	if (rc == 0)
		rc = count(clusters, &n_clusters, &n_eps, msg, sizeof(msg));
	if (rc == 0 && (f = alloc_result(n_clusters, n_eps)) == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = decode_all(clusters, f, msg, sizeof(msg));
	json_decref(root);
	root = NULL;
	if (rc == -ENOMEM)
		fail(err, errlen, "%s: out of memory", name);
	else if (rc < 0)
		fail(err, errlen, "%s: %s", name, msg);
	if (rc < 0) {
		free(f);
		f = NULL;
		return rc;
	}
	f->hash = fnv1a(buf, len);
	f->bytes = len;
	*out = f;
	return 0;
}

void
ctl_epfile_free(struct ctl_epfile *f)
{
	free(f);
}

/* Up to CTL_EPFILE_MAX_BYTES + 1 bytes of fd (one more shows a file too
 * large, even one that grew after fstat). NULL with errno. */
static char *
read_bounded(int fd, size_t *len)
{
	size_t cap = CTL_EPFILE_MAX_BYTES + 1, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf); /* glibc's free() keeps errno */
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* Opens path as a regular file without blocking (a FIFO put there must not
 * hang the control thread). fd, or -errno (-ENOENT: absent, -EINVAL: not a
 * regular file). */
static int
open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static struct ctl_epfile *
empty_result(void)
{
	struct ctl_epfile *f = alloc_result(0, 0);

	if (f != NULL)
		f->absent = true;
	return f;
}

int
ctl_epfile_load(const char *path, struct ctl_epfile **out, char *err, size_t errlen)
{
	char ebuf[128];
	size_t len = 0;
	char *buf = NULL;
	int fd = open_regular(path);
	int rc;

	*out = NULL;
	if (fd == -ENOENT) {
		*out = empty_result();
		if (*out != NULL)
			return 0;
		fail(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (fd == -EINVAL) {
		fail(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (fd < 0) {
		fail(err, errlen, "%s: cannot open: %s", path, strerror_r(-fd, ebuf, sizeof(ebuf)));
		return fd;
	}
	buf = read_bounded(fd, &len);
	rc = buf == NULL ? -errno : 0;
	close(fd);
	if (rc < 0) {
		fail(err, errlen, "%s: cannot read: %s", path, strerror_r(-rc, ebuf, sizeof(ebuf)));
		return rc;
	}
	rc = ctl_epfile_parse(buf, len, path, out, err, errlen);
	free(buf);
	buf = NULL;
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshgwctl_print.c - how meshgwctl prints results without --json: aligned
 * tables (one pass to measure, one to print), "key  value" blocks, and a
 * generic form for any result. Control characters from the daemon never
 * reach the terminal. Links no DPDK.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshgwctl.h"

#define CELL_MAX 256
#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* One table column: a key of the row objects, or a computed cell. */
struct col {
	const char *key;
	const char *title;
	void (*fmt)(json_t *row, char *buf, size_t n);
};

static void fmt_value(json_t *v, char *buf, size_t n);
static void fmt_nested(json_t *v, char *buf, size_t n);

/* "a,b,c" for arrays, "k=v,k=v" for objects. */
static void
fmt_list(json_t *v, char *buf, size_t n)
{
	size_t used = 0, i;
	const char *key;
	json_t *item;
	char cell[CELL_MAX];

	buf[0] = '\0';
	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			fmt_nested(item, cell, sizeof(cell));
			used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "", cell);
			if (used >= n)
				return;
		}
	} else {
		json_object_foreach (v, key, item) {
			fmt_nested(item, cell, sizeof(cell));
			used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", used ? "," : "",
						 key, cell);
			if (used >= n)
				return;
		}
	}
	if (used == 0)
		snprintf(buf, n, "-");
}

/* Control characters from the daemon must not reach the terminal. */
static void
fmt_string(const char *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s", s);
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void
fmt_value(json_t *v, char *buf, size_t n)
{
	if (v == NULL || json_is_null(v))
		snprintf(buf, n, "-");
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_integer(v))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.1f", json_real_value(v));
	else if (json_is_string(v))
		fmt_string(json_string_value(v), buf, n);
	else
		fmt_list(v, buf, n);
}

/* A list inside a list keeps its brackets: drops={a=1,b=2}. */
static void
fmt_nested(json_t *v, char *buf, size_t n)
{
	char inner[CELL_MAX];

	if (!json_is_array(v) && !json_is_object(v)) {
		fmt_value(v, buf, n);
		return;
	}
	fmt_list(v, inner, sizeof(inner));
	snprintf(buf, n, json_is_array(v) ? "[%s]" : "{%s}", strcmp(inner, "-") ? inner : "");
}

static void
fmt_speed(json_t *row, char *buf, size_t n)
{
	json_t *v = json_object_get(row, "speed_mbps");

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		snprintf(buf, n, "-");
	else if (json_integer_value(v) % 1000 == 0)
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT "G", json_integer_value(v) / 1000);
	else
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT "M", json_integer_value(v));
}

static void
fmt_busy(json_t *row, char *buf, size_t n)
{
	double busy = json_number_value(json_object_get(row, "busy_cycles"));
	double idle = json_number_value(json_object_get(row, "idle_cycles"));

	if (busy + idle <= 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f%%", 100.0 * busy / (busy + idle));
}

/* One cell; *numeric says whether it lines up on the right. */
static void
fmt_cell(json_t *row, const struct col *col, char *buf, size_t n, bool *numeric)
{
	json_t *v;

	if (col->fmt != NULL) {
		col->fmt(row, buf, n);
		*numeric = true; /* computed figures */
		return;
	}
	v = json_object_get(row, col->key);
	fmt_value(v, buf, n);
	*numeric = v == NULL || json_is_number(v) || json_is_null(v);
}

/* Prints rows (an array of objects) under the given columns: one pass to
 * measure, one to print, so big tables need no storage. */
static void
print_rows(json_t *rows, const struct col *cols, size_t ncols)
{
	size_t nrows = json_array_size(rows);
	size_t width[32];
	bool right[32], numeric;
	char cell[CELL_MAX];

	if (ncols > 32)
		ncols = 32;
	for (size_t c = 0; c < ncols; c++) {
		width[c] = strlen(cols[c].title);
		right[c] = true;
		for (size_t r = 0; r < nrows; r++) {
			fmt_cell(json_array_get(rows, r), &cols[c], cell, sizeof(cell), &numeric);
			width[c] = strlen(cell) > width[c] ? strlen(cell) : width[c];
			right[c] = right[c] && numeric;
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = cols[c].title;
			bool last = c + 1 == ncols;

			if (r > 0) {
				fmt_cell(json_array_get(rows, r - 1), &cols[c], cell, sizeof(cell),
					 &numeric);
				s = cell;
			}
			if (right[c])
				printf("%*s%s", (int)width[c], s, last ? "" : "  ");
			else
				printf("%-*s%s", last ? 0 : (int)width[c], s, last ? "" : "  ");
		}
		putchar('\n');
	}
}

static bool out_started; /* a blank line goes between blocks of output */

static void
gap(void)
{
	if (out_started)
		putchar('\n');
	out_started = true;
}

static void
section(const char *title)
{
	gap();
	printf("%s:\n", title);
}

/* "key  value" lines under a title, for a flat object such as totals. */
static void
print_kv(const char *title, json_t *obj)
{
	char cell[CELL_MAX * 4];
	size_t width = 0;
	const char *key;
	json_t *v;

	section(title);
	json_object_foreach (obj, key, v) {
		width = strlen(key) > width ? strlen(key) : width;
	}
	json_object_foreach (obj, key, v) {
		fmt_value(v, cell, sizeof(cell));
		printf("  %-*s  %s\n", (int)width, key, cell);
	}
}

/* A titled table; "(none)" when the array is empty or missing. */
static void
print_table(const char *title, json_t *rows, const struct col *cols, size_t ncols)
{
	if (title != NULL)
		section(title);
	if (json_array_size(rows) == 0) {
		printf("(none)\n");
		return;
	}
	print_rows(rows, cols, ncols);
}

/* Columns named after the keys of the first row (generic fallback). */
static void
print_auto_table(const char *title, json_t *rows)
{
	json_t *first = json_array_get(rows, 0);
	struct col cols[32];
	char titles[32][64];
	size_t n = 0;
	const char *key;
	json_t *v;

	json_object_foreach (first, key, v) {
		if (n == NCOLS(cols))
			break;
		snprintf(titles[n], sizeof(titles[n]), "%s", key);
		for (char *p = titles[n]; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		cols[n] = (struct col){.key = key, .title = titles[n]};
		n++;
	}
	print_table(title, rows, cols, n);
}

static bool
is_table(json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
}

/* Any result: "key: value" lines first, then arrays of objects as tables. */
void
ctl_print_generic(json_t *obj)
{
	char cell[CELL_MAX * 4];
	int scalars = 0;
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		fmt_value(obj, cell, sizeof(cell));
		printf("%s\n", cell);
		return;
	}
	json_object_foreach (obj, key, v) {
		if (is_table(v))
			continue;
		if (!scalars++)
			gap();
		fmt_value(v, cell, sizeof(cell));
		printf("%s: %s\n", key, cell);
	}
	json_object_foreach (obj, key, v) {
		if (is_table(v))
			print_auto_table(key, v);
	}
}

void
ctl_print_status(json_t *r)
{
	static const struct col workers[] = {
		{"id", "ID", NULL},
		{"lcore", "LCORE", NULL},
		{"acked_generation", "ACKED_GEN", NULL},
		{"online", "ONLINE", NULL},
	};
	static const struct col ports[] = {
		{"name", "NAME", NULL},	    {"port_id", "ID", NULL},
		{"driver", "DRIVER", NULL}, {"link", "LINK", NULL},
		{NULL, "SPEED", fmt_speed}, {"mac", "MAC", NULL},
		{"mtu", "MTU", NULL},	    {"addresses", "ADDRESSES", NULL},
	};
	char v[4][CELL_MAX];

	fmt_value(json_object_get(r, "version"), v[0], CELL_MAX);
	fmt_value(json_object_get(r, "state"), v[1], CELL_MAX);
	fmt_value(json_object_get(r, "uptime_s"), v[2], CELL_MAX);
	fmt_value(json_object_get(r, "generation"), v[3], CELL_MAX);
	gap();
	printf("meshgw %s  state %s  %s  uptime %ss  generation %s\n", v[0], v[1],
	       json_is_true(json_object_get(r, "ready")) ? "ready" : "not ready", v[2], v[3]);
	fmt_value(json_object_get(r, "config_hash"), v[0], CELL_MAX);
	printf("config %s\n", v[0]);
	print_table("workers", json_object_get(r, "workers"), workers, NCOLS(workers));
	print_table("ports", json_object_get(r, "ports"), ports, NCOLS(ports));
}

/* Replaces obj[key] with its members that are not 0 ("none" if all are). */
static void
nonzero_only(json_t *obj, const char *key)
{
	json_t *src = json_object_get(obj, key), *dst = json_object();
	const char *k;
	json_t *v;

	json_object_foreach (src, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) != 0)
			json_object_set(dst, k, v);
	}
	if (json_object_size(dst) == 0) {
		json_decref(dst);
		dst = json_string("none");
	}
	json_object_set_new(obj, key, dst);
}

/* The diagnostic services as a table, one row per service. */
static void
print_diag(json_t *diag)
{
	static const struct col cols[] = {
		{"service", "SERVICE", NULL},	  {"connections", "CONNS", NULL},
		{"active", "ACTIVE", NULL},	  {"bytes_in", "BYTES_IN", NULL},
		{"bytes_out", "BYTES_OUT", NULL}, {"resets", "RESETS", NULL},
		{"refused", "REFUSED", NULL},	  {"nomem", "NOMEM", NULL},
	};
	json_t *rows = json_array();
	const char *name;
	json_t *v;

	json_object_foreach (diag, name, v) {
		json_t *row = json_deep_copy(v);
		json_object_set_new(row, "service", json_string(name));
		json_array_append_new(rows, row);
	}
	print_table("diagnostic services (all workers)", rows, cols, NCOLS(cols));
	json_decref(rows);
}

void
ctl_print_stats(json_t *r)
{
	static const struct col ports[] = {
		{"name", "NAME", NULL},		  {"rx_packets", "RX_PKTS", NULL},
		{"rx_bytes", "RX_BYTES", NULL},	  {"tx_packets", "TX_PKTS", NULL},
		{"tx_bytes", "TX_BYTES", NULL},	  {"rx_missed", "RX_MISSED", NULL},
		{"rx_errors", "RX_ERRORS", NULL}, {"tx_errors", "TX_ERRORS", NULL},
	};
	static const struct col workers[] = {
		{"id", "ID", NULL},
		{"rx_packets", "RX_PKTS", NULL},
		{"tx_packets", "TX_PKTS", NULL},
		{"redirected_out", "REDIR_OUT", NULL},
		{"redirected_in", "REDIR_IN", NULL},
		{"redirect_drops", "REDIR_DROPS", NULL},
		{NULL, "BUSY", fmt_busy},
		{"drops", "DROPS", NULL},
	};
	static const struct col pools[] = {
		{"name", "POOL", NULL},		  {"socket", "SOCKET", NULL},
		{"size", "SIZE", NULL},		  {"in_use", "IN_USE", NULL},
		{"available", "AVAILABLE", NULL},
	};
	json_t *mbufs = json_object_get(r, "mbufs");
	json_t *totals = json_deep_copy(json_object_get(r, "totals"));
	json_t *wrk = json_deep_copy(json_object_get(r, "workers"));
	json_t *tcp = json_object_get(totals, "tcp");
	json_t *diag = json_object_get(totals, "diag");
	char cell[CELL_MAX * 4], base[CELL_MAX];
	size_t i;
	json_t *w;

	/* dozens of drop reasons: only those that happened */
	nonzero_only(totals, "drops");
	json_array_foreach (wrk, i, w)
		nonzero_only(w, "drops");
	print_table("ports", json_object_get(r, "ports"), ports, NCOLS(ports));
	print_table("workers", wrk, workers, NCOLS(workers));
	json_decref(wrk);
	if (tcp != NULL)
		print_kv("tcp (all workers)", tcp);
	if (diag != NULL)
		print_diag(diag);
	json_object_del(totals, "tcp");
	json_object_del(totals, "diag");
	print_kv("totals", totals);
	json_decref(totals);
	fmt_value(json_object_get(mbufs, "in_use"), cell, sizeof(cell));
	fmt_value(json_object_get(mbufs, "baseline"), base, sizeof(base));
	section("mbufs");
	printf("in use: %s  baseline: %s\n", cell, base);
	fmt_list(json_object_get(mbufs, "by_owner"), cell, sizeof(cell));
	printf("held by: %s\n", cell);
	print_table(NULL, json_object_get(mbufs, "pools"), pools, NCOLS(pools));
}

void
ctl_print_arp(json_t *r)
{
	static const struct col cols[] = {
		{"worker", "WORKER", NULL},   {"ip", "IP", NULL},	{"mac", "MAC", NULL},
		{"port", "PORT", NULL},	      {"state", "STATE", NULL}, {"age_ms", "AGE_MS", NULL},
		{"pending", "PENDING", NULL},
	};

	print_table(NULL, json_object_get(r, "entries"), cols, NCOLS(cols));
}

void
ctl_print_routes(json_t *r)
{
	static const struct col cols[] = {
		{"prefix", "PREFIX", NULL},
		{"via", "VIA", NULL},
		{"port", "PORT", NULL},
		{"type", "TYPE", NULL},
	};

	print_table(NULL, json_object_get(r, "routes"), cols, NCOLS(cols));
}

void
ctl_print_ready(json_t *r)
{
	printf("%s\n", json_is_true(json_object_get(r, "ready")) ? "ready" : "not ready");
}

/* "ws 7/7 ts sack mss 1460" from the negotiated options. */
static void
fmt_opts(json_t *row, char *buf, size_t n)
{
	json_t *o = json_object_get(row, "options");
	size_t used = 0;

	buf[0] = '\0';
	if (json_is_true(json_object_get(o, "wscale")))
		used += (size_t)snprintf(buf + used, n - used,
					 "ws%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " ",
					 json_integer_value(json_object_get(o, "snd_wscale")),
					 json_integer_value(json_object_get(o, "rcv_wscale")));
	if (used < n && json_is_true(json_object_get(o, "timestamps")))
		used += (size_t)snprintf(buf + used, n - used, "ts ");
	if (used < n && json_is_true(json_object_get(o, "sack")))
		used += (size_t)snprintf(buf + used, n - used, "sack ");
	if (used < n)
		snprintf(buf + used, n - used, "mss%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(o, "mss")));
}

/* "0:12 client web -> 10.1.0.3:80": a proxied connection's id, this leg,
 * the service and the other leg's remote end; "-" for others. */
static void
fmt_proxy(json_t *row, char *buf, size_t n)
{
	json_t *p = json_object_get(row, "proxy");
	const char *leg = json_string_value(json_object_get(p, "leg"));
	const char *peer = json_string_value(json_object_get(json_object_get(p, "peer"), "remote"));

	if (p == NULL || leg == NULL) {
		snprintf(buf, n, "-");
		return;
	}
	snprintf(buf, n, "%s %s %s %s %s", json_string_value(json_object_get(p, "id")), leg,
		 json_string_value(json_object_get(p, "service")),
		 strcmp(leg, "client") == 0 ? "->" : "<-", peer != NULL ? peer : "(connecting)");
}

void
ctl_print_conns(json_t *r)
{
	static const struct col cols[] = {
		{"worker", "W", NULL},
		{"local", "LOCAL", NULL},
		{"remote", "REMOTE", NULL},
		{"state", "STATE", NULL},
		{NULL, "OPTIONS", fmt_opts},
		{"srtt_us", "SRTT_US", NULL},
		{"rto_us", "RTO_US", NULL},
		{"cwnd", "CWND", NULL},
		{"ssthresh", "SSTHRESH", NULL},
		{"snd_wnd", "SND_WND", NULL},
		{"rcv_wnd", "RCV_WND", NULL},
		{"unacked", "UNACKED", NULL},
		{"bytes_in", "BYTES_IN", NULL},
		{"bytes_out", "BYTES_OUT", NULL},
		{"retransmits", "RETRANS", NULL},
		{"cc", "CC", NULL},
		{NULL, "PROXY", fmt_proxy},
	};
	json_t *list = json_object_get(r, "connections");
	char count[CELL_MAX];

	print_table(NULL, list, cols, NCOLS(cols));
	fmt_value(json_object_get(r, "count"), count, sizeof(count));
	if (json_is_true(json_object_get(r, "truncated")))
		printf("(%zu of %s connections shown: raise --limit or filter)\n",
		       json_array_size(list), count);
}

int
ctl_print_json(json_t *result)
{
	char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s == NULL) {
		fprintf(stderr, "meshgwctl: out of memory\n");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

/* "path prefix /api/ host suffix *.example.com ..." of a route's match. */
static void
fmt_match(json_t *m, char *buf, size_t n)
{
	const char *fields[] = {"host", "path"};
	size_t len = 0;
	json_t *h;
	size_t i;

	buf[0] = '\0';
	for (int f = 0; f < 2; f++) {
		json_t *x = json_object_get(m, fields[f]);

		if (x != NULL && len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s %s %s", len ? " " : "",
						fields[f],
						json_string_value(json_object_get(x, "kind")),
						json_string_value(json_object_get(x, "value")));
	}
	if (json_object_get(m, "method") != NULL && len < n)
		len += (size_t)snprintf(buf + len, n - len, "%smethod %s", len ? " " : "",
					json_string_value(json_object_get(m, "method")));
	json_array_foreach (json_object_get(m, "headers"), i, h) {
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s %s%s%s", len ? " " : "",
						json_string_value(json_object_get(h, "name")),
						json_string_value(json_object_get(h, "kind")),
						json_object_get(h, "value") ? " " : "",
						json_string_value(json_object_get(h, "value"))
							?: "");
	}
	if (len == 0)
		snprintf(buf, n, "*");
}

static void
fmt_action(json_t *a, char *buf, size_t n)
{
	const char *type = json_string_value(json_object_get(a, "type"));
	json_t *w;
	size_t i, len;

	if (type == NULL) {
		snprintf(buf, n, "-");
		return;
	}
	if (strcmp(type, "cluster") == 0) {
		snprintf(buf, n, "-> %s", json_string_value(json_object_get(a, "cluster")));
	} else if (strcmp(type, "weighted_clusters") == 0) {
		len = (size_t)snprintf(buf, n, "->");
		json_array_foreach (json_object_get(a, "clusters"), i, w) {
			if (len < n)
				len += (size_t)snprintf(
					buf + len, n - len, " %s:%lld",
					json_string_value(json_object_get(w, "cluster")),
					(long long)json_integer_value(
						json_object_get(w, "weight")));
		}
	} else {
		snprintf(buf, n, "%s %lld%s%s", type,
			 (long long)json_integer_value(json_object_get(a, "status")),
			 json_object_get(a, "location") ? " " : "",
			 json_string_value(json_object_get(a, "location")) ?: "");
	}
}

void
ctl_print_http_routes(json_t *r)
{
	json_t *t, *row, *cache = json_object_get(r, "compile_cache");
	size_t ti, i;

	json_array_foreach (json_object_get(r, "route_tables"), ti, t) {
		printf("%stable %s: %lld routes, hash %s, no route matched %lld\n", ti ? "\n" : "",
		       json_string_value(json_object_get(t, "name")),
		       (long long)json_integer_value(json_object_get(t, "n_routes")),
		       json_string_value(json_object_get(t, "hash")),
		       (long long)json_integer_value(json_object_get(t, "no_route")));
		printf("%-6s %-20s %-40s %-28s %9s %8s %8s %8s %8s %7s %7s\n", "#", "ROUTE",
		       "MATCH", "ACTION", "REQUESTS", "2XX", "3XX", "4XX", "5XX", "RETRIES",
		       "FAULTS");
		json_array_foreach (json_object_get(t, "routes"), i, row) {
			json_t *c = json_object_get(row, "counters");
			json_t *resp = json_object_get(c, "responses");
			char match[256], action[160];

			fmt_match(json_object_get(row, "match"), match, sizeof(match));
			fmt_action(json_object_get(row, "action"), action, sizeof(action));
#define CNT(o, k) ((long long)json_integer_value(json_object_get(o, k)))
			printf("%-6lld %-20s %-40s %-28s %9lld %8lld %8lld %8lld %8lld %7lld "
			       "%7lld\n",
			       CNT(row, "index"), json_string_value(json_object_get(row, "name")),
			       match, action, CNT(c, "requests"), CNT(resp, "2xx"),
			       CNT(resp, "3xx"), CNT(resp, "4xx"), CNT(resp, "5xx"),
			       CNT(c, "retries"), CNT(c, "fault_delays") + CNT(c, "fault_aborts"));
		}
	}
	printf("\ncompile cache: %lld compiled (%lld ms in all, last %lld ms), %lld reused, "
	       "%lld held\n",
	       CNT(cache, "compiles"), CNT(cache, "compile_ms"), CNT(cache, "last_compile_ms"),
	       CNT(cache, "hits"), CNT(cache, "cached"));
#undef CNT
	json_array_foreach (json_object_get(r, "route_tables"), ti, t) {
		long long shown = (long long)json_array_size(json_object_get(t, "routes"));
		long long off = (long long)json_integer_value(json_object_get(t, "offset"));
		long long n = (long long)json_integer_value(json_object_get(t, "n_routes"));

		if (off + shown < n || off > 0)
			printf("table %s: routes %lld..%lld of %lld shown (call routes "
			       "'{\"offset\":N,\"limit\":N}' for others)\n",
			       json_string_value(json_object_get(t, "name")), off, off + shown - 1,
			       n);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_h1.c - request and response heads (gw_h1_parse_request/response).
 * Every input is parsed placed against a guard page, whole, as every prefix
 * (each must say "need more" or give the whole result), and fed incrementally
 * with prev_len one byte and seven bytes at a time. Every smuggling reject of
 * the issue is a row in a table with its status.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gw_h1.h"
#include "ut_guard.h"

static struct ut_guard G;
static struct gw_h1_msg M, M2;
static const struct gw_h1_limits LIM = {.max_head_bytes = 8192, .max_headers = GW_H1_MAX_HEADERS};

#define S(lit) lit, sizeof(lit) - 1

static int
parse_at(bool req, int method, const char *s, size_t n, size_t prev, struct gw_h1_msg *m,
	 const struct gw_h1_limits *lim)
{
	const char *p = ut_guard_place(&G, s, n);

	if (req)
		return gw_h1_parse_request(p, n, prev, m, lim);
	return gw_h1_parse_response(p, n, prev, (enum gw_h1_method)method, m, lim);
}

static void
same_result(int r, const struct gw_h1_msg *m, int want, uint16_t status, const char *reason)
{
	assert_int_equal(r, want);
	if (r == -EBADMSG) {
		assert_int_equal(m->status, status);
		assert_string_equal(m->reason, reason);
	}
}

/* Parses s every way and checks the ways agree; returns the whole result in
 * *m. An incremental feed may only report an error once the bytes that end
 * the head arrive (like picohttpparser), so "need more" there is allowed when
 * the whole parse failed. */
static int
parse_lim(bool req, int method, const char *s, size_t n, const struct gw_h1_limits *lim,
	  struct gw_h1_msg *m)
{
	int whole = parse_at(req, method, s, n, 0, m, lim);
	uint16_t status = m->status;
	const char *reason = m->reason;
	static const size_t steps[] = {1, 7};

	if (whole != -EBADMSG) {
		status = 0;
		reason = NULL;
	}
	for (size_t k = 0; k < n; k++) {
		int r = parse_at(req, method, s, k, 0, &M2, lim);
		if (r != -EAGAIN)
			same_result(r, &M2, whole, status, reason);
	}
	for (unsigned int i = 0; i < 2; i++) {
		size_t prev = 0, k = 0;
		int r = -EAGAIN;
		while (r == -EAGAIN && k < n) {
			k = k + steps[i] < n ? k + steps[i] : n;
			r = parse_at(req, method, s, k, prev, &M2, lim);
			prev = k;
		}
		if (r != -EAGAIN || whole >= 0)
			same_result(r, &M2, whole, status, reason);
	}
	/* the result again, from the guard copy the last parse left */
	return parse_at(req, method, s, n, 0, m, lim);
}

static int
parse_req(const char *s, size_t n)
{
	return parse_lim(true, 0, s, n, &LIM, &M);
}

static int
parse_resp(int method, const char *s, size_t n)
{
	return parse_lim(false, method, s, n, &LIM, &M);
}

/* Value of the first field line with id, as a NUL-terminated copy. */
static const char *
value_of(const char *buf, const struct gw_h1_msg *m, unsigned int id)
{
	static char tmp[256];
	uint32_t len;

	if (m->hidx[id] == GW_H1_NO_HDR)
		return NULL;
	const char *v = gw_h1_value(buf, m, m->hidx[id], &len);
	snprintf(tmp, sizeof(tmp), "%.*s", (int)len, v);
	return tmp;
}

static void
assert_span(const char *buf, struct gw_h1_span sp, const char *want)
{
	assert_int_equal(sp.len, strlen(want));
	assert_memory_equal(buf + sp.off, want, sp.len);
}

/* ---- valid requests ---- */

static void
test_simple_get(void **state)
{
	static const char req[] = "GET /index.html?q=1 HTTP/1.1\r\n"
				  "Host: example.com:8080\r\n"
				  "User-Agent: curl/8.0\r\n"
				  "Accept: */*\r\n"
				  "\r\n"
				  "NEXT";
	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1 - 4);
	assert_int_equal(M.head_len, sizeof(req) - 1 - 4);
	assert_int_equal(M.method, GW_H1_M_GET);
	assert_span(req, M.mtoken, "GET");
	assert_span(req, M.target, "/index.html?q=1");
	assert_int_equal(M.minor, 1);
	assert_int_equal(M.n_headers, 3);
	assert_int_equal(M.body, GW_H1_BODY_NONE);
	assert_int_equal(M.content_length, -1);
	assert_true(M.keep_alive);
	assert_false(M.chunked);
	assert_false(M.expect_continue);
	assert_false(M.upgrade);
	assert_string_equal(value_of(req, &M, GW_H1_H_HOST), "example.com:8080");
	assert_int_equal(M.hidx[GW_H1_H_HOST], 0);
	assert_int_equal(M.hidx[GW_H1_H_CONTENT_LENGTH], GW_H1_NO_HDR);
	assert_int_equal(M.h[1].id, GW_H1_H_OTHER);
	assert_int_equal(M.h[1].name_len, 10);
	assert_memory_equal(req + M.h[1].name_off, "User-Agent", 10);
}

static void
test_methods(void **state)
{
	static const struct {
		const char *tok;
		int id;
	} ms[] = {{"GET", GW_H1_M_GET},		{"HEAD", GW_H1_M_HEAD},
		  {"POST", GW_H1_M_POST},	{"PUT", GW_H1_M_PUT},
		  {"DELETE", GW_H1_M_DELETE},	{"CONNECT", GW_H1_M_CONNECT},
		  {"OPTIONS", GW_H1_M_OPTIONS}, {"TRACE", GW_H1_M_TRACE},
		  {"PATCH", GW_H1_M_PATCH},	{"PROPFIND", GW_H1_M_OTHER},
		  {"get", GW_H1_M_OTHER},	{"M-SEARCH", GW_H1_M_OTHER}};
	char req[128];

	(void)state;
	for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		int n = snprintf(req, sizeof(req), "%s * HTTP/1.1\r\nHost: h\r\n\r\n", ms[i].tok);
		assert_int_equal(parse_req(req, (size_t)n), n);
		assert_int_equal(M.method, ms[i].id);
		assert_span(req, M.mtoken, ms[i].tok);
	}
}

static void
test_values(void **state)
{
	static const char req[] = "POST /u HTTP/1.1\r\n"
				  "Host: h\r\n"
				  "X-Spaces: a b  c\r\n"
				  "X-Empty:\r\n"
				  "X-Empty2:   \r\n"
				  "X-Tab:\t v\t w \t\r\n"
				  "X-Obs: caf\xc3\xa9\r\n"
				  "X-Long: 0123456789abcdef\t0123456789abcdef\xff\xfe"
				  "0123456789abcdef\r\n"
				  "Content-Length: 007\r\n"
				  "\r\n";
	uint32_t len;
	const char *v;

	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_int_equal(M.n_headers, 8);
	v = gw_h1_value(req, &M, 1, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(v, "a b  c", 6);
	assert_int_equal(M.h[2].value_len, 0);
	assert_int_equal(M.h[3].value_len, 0);
	v = gw_h1_value(req, &M, 4, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "v\t w", 4);
	assert_int_equal(M.h[5].value_len, 5);
	assert_int_equal(M.h[6].value_len, 51);
	assert_int_equal(M.body, GW_H1_BODY_LENGTH);
	assert_int_equal(M.content_length, 7);
}

static void
test_version_keep_alive(void **state)
{
	(void)state;
	assert_true(parse_req(S("GET / HTTP/1.0\r\n\r\n")) > 0);
	assert_int_equal(M.minor, 0);
	assert_false(M.keep_alive);
	assert_true(parse_req(S("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")) > 0);
	assert_true(M.keep_alive);
	assert_true(parse_req(S("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")) > 0);
	assert_false(M.keep_alive);
	assert_true(parse_req(S("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")) > 0);
	assert_false(M.keep_alive);
	assert_true(parse_req(S("GET / HTTP/1.1\r\nHost: a\r\nConnection: ,, CLOSE ,\r\n\r\n")) >
		    0);
	assert_false(M.keep_alive);
}

static void
test_expect_continue(void **state)
{
	static const char req[] = "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
				  "Content-Length: 10\r\n\r\n";
	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_true(M.expect_continue);
	assert_int_equal(M.content_length, 10);
	/* RFC 9110 10.1.1: ignored from HTTP/1.0 */
	assert_true(parse_req(S("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")) > 0);
	assert_false(M.expect_continue);
	assert_true(parse_req(S("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n")) > 0);
	assert_false(M.expect_continue);
}

static void
test_upgrade(void **state)
{
	static const char req[] = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
				  "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n";
	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_true(M.upgrade);
	assert_true(M.h[1].flags & GW_H1_HF_HOP);
	assert_true(M.h[2].flags & GW_H1_HF_HOP);
	assert_false(M.h[3].flags & GW_H1_HF_HOP);
	/* Upgrade without the Connection option, and the reverse */
	assert_true(parse_req(S("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n")) > 0);
	assert_false(M.upgrade);
	assert_true(parse_req(S("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n")) > 0);
	assert_false(M.upgrade);
}

static void
test_connection_options(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nX-Secret: 1\r\nHost: a\r\n"
				  "Connection: keep-alive, x-secret,X-Other\r\nx-other: 2\r\n"
				  "Keep-Alive: timeout=5\r\nTE: trailers\r\nX-Kept: 3\r\n\r\n";
	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_int_equal(M.n_conn_opts, 2);
	assert_span(req, M.conn_opts[0], "x-secret");
	assert_span(req, M.conn_opts[1], "X-Other");
	for (unsigned int i = 0; i < M.n_headers; i++)
		assert_int_equal(!!(M.h[i].flags & GW_H1_HF_HOP), i != 1 && i != M.n_headers - 1u);
	assert_int_equal(M.hidx[GW_H1_H_TE], 5);
	assert_int_equal(M.hidx[GW_H1_H_KEEP_ALIVE], 4);
}

static void
test_chunked_request(void **state)
{
	(void)state;
	assert_true(
		parse_req(S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")) >
		0);
	assert_true(M.chunked);
	assert_int_equal(M.body, GW_H1_BODY_CHUNKED);
	assert_true(
		parse_req(S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  ChUnKeD \r\n\r\n")) >
		0);
	assert_int_equal(M.body, GW_H1_BODY_CHUNKED);
}

static void
test_known_ids_and_dups(void **state)
{
	static const char req[] =
		"GET / HTTP/1.1\r\nHost: a\r\ntraceparent: 00-x\r\nTraceState: a=b\r\n"
		"X-Request-Id: r1\r\nX-Forwarded-For: 1.2.3.4\r\nx-forwarded-for: 5.6.7.8\r\n"
		"X-Forwarded-Proto: https\r\nProxy-Connection: keep-alive\r\nTrailer: X\r\n"
		"X_Request_Id: under\r\n\r\n";
	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_int_equal(M.hidx[GW_H1_H_TRACEPARENT], 1);
	assert_int_equal(M.hidx[GW_H1_H_TRACESTATE], 2);
	assert_int_equal(M.hidx[GW_H1_H_X_REQUEST_ID], 3);
	assert_int_equal(M.hidx[GW_H1_H_X_FORWARDED_FOR], 4);
	assert_int_equal(M.hidx[GW_H1_H_X_FORWARDED_PROTO], 6);
	assert_int_equal(M.hidx[GW_H1_H_PROXY_CONNECTION], 7);
	assert_int_equal(M.hidx[GW_H1_H_TRAILER], 8);
	assert_int_equal(M.h[5].id, GW_H1_H_X_FORWARDED_FOR);
	assert_int_equal(M.dup_mask, 1u << GW_H1_H_X_FORWARDED_FOR);
	assert_int_equal(M.h[9].id, GW_H1_H_OTHER); /* '_' is another name */
	assert_true(M.h[7].flags & GW_H1_HF_HOP);
	assert_true(M.h[8].flags & GW_H1_HF_HOP);
}

static void
test_leading_empty_lines(void **state)
{
	static const char req[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	assert_int_equal(parse_req(S(req)), sizeof(req) - 1);
	assert_span(req, M.target, "/");
}

static void
test_pipelined(void **state)
{
	static const char two[] = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
				  "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"
				  "GET /c HTTP/1.1\r\nHost: a\r\n\r\n";
	struct gw_h1_body b;
	size_t off = 0;
	const char *targets[] = {"/a", "/b", "/c"};

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		int r = parse_req(two + off, sizeof(two) - 1 - off);
		assert_true(r > 0);
		assert_span(two + off, M.target, targets[i]);
		off += (size_t)r;
		assert_int_equal(gw_h1_body_init(&b, &M, &LIM, 0), 0);
		ssize_t n = gw_h1_body_feed(&b, two + off, sizeof(two) - 1 - off);
		assert_int_equal(n, i == 0 ? 5 : 0);
		assert_true(b.done);
		off += (size_t)n;
	}
	assert_int_equal(off, sizeof(two) - 1);
}

static void
test_many_headers(void **state)
{
	static char req[8192];
	struct gw_h1_limits lim = LIM;
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");

	(void)state;
	for (int i = 1; i < GW_H1_MAX_HEADERS; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "X-H%d: v%d\r\n", i, i);
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	assert_int_equal(parse_at(true, 0, req, (size_t)n, 0, &M, &lim), n);
	assert_int_equal(M.n_headers, GW_H1_MAX_HEADERS);
	/* one more line is 431 */
	memmove(req + n - 2, "X-L: 1\r\n\r\n", 10);
	assert_int_equal(parse_at(true, 0, req, (size_t)n + 8, 0, &M, &lim), -EBADMSG);
	assert_int_equal(M.status, 431);
	/* and a configured lower limit */
	lim.max_headers = 10;
	assert_int_equal(parse_at(true, 0, req, (size_t)n, 0, &M, &lim), -EBADMSG);
	assert_int_equal(M.status, 431);
}

static void
test_head_limit(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
	struct gw_h1_limits lim = {.max_head_bytes = sizeof(req) - 1, .max_headers = 100};

	(void)state;
	assert_int_equal(parse_lim(true, 0, S(req), &lim, &M), sizeof(req) - 1);
	lim.max_head_bytes--;
	assert_int_equal(parse_lim(true, 0, S(req), &lim, &M), -EBADMSG);
	assert_int_equal(M.status, 431);
	/* an unfinished head is refused as soon as it reaches the limit */
	lim.max_head_bytes = 20;
	assert_int_equal(parse_lim(true, 0, req, 20, &lim, &M), -EBADMSG);
	assert_int_equal(M.status, 431);
	assert_int_equal(parse_lim(true, 0, req, 19, &lim, &M), -EAGAIN);
}

/* Every split of a typical request: the prefix needs more, then the whole
 * parses the same when fed with prev_len = the split. */
static void
test_every_split(void **state)
{
	static const char req[] =
		"POST /api/v1/items?id=42 HTTP/1.1\r\n"
		"Host: api.internal\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: 17\r\n"
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
		"\r\n";
	(void)state;
	for (size_t k = 0; k < sizeof(req) - 1; k++) {
		assert_int_equal(parse_at(true, 0, req, k, 0, &M, &LIM), -EAGAIN);
		assert_int_equal(parse_at(true, 0, req, sizeof(req) - 1, k, &M, &LIM),
				 sizeof(req) - 1);
		assert_int_equal(M.content_length, 17);
		assert_int_equal(M.n_headers, 4);
	}
}

/* ---- rejects ---- */

struct reject {
	const char *what;
	const char *in;
	size_t len;
	uint16_t status;
	const char *reason; /* checked when set */
};

#define REQ(l)	"GET / HTTP/1.1\r\nHost: a\r\n" l "\r\n"
#define POST(l) "POST / HTTP/1.1\r\nHost: a\r\n" l "\r\n"

static const struct reject req_rejects[] = {
	/* framing */
	{"CL and TE", S(POST("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), 400,
	 "content-length with transfer-encoding"},
	{"TE and CL", S(POST("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), 400},
	{"duplicate CL", S(POST("Content-Length: 5\r\nContent-Length: 5\r\n")), 400,
	 "duplicate content-length"},
	{"differing CL", S(POST("Content-Length: 5\r\nContent-Length: 6\r\n")), 400},
	{"CL list", S(POST("Content-Length: 5, 5\r\n")), 400},
	{"CL signed +", S(POST("Content-Length: +5\r\n")), 400},
	{"CL signed -", S(POST("Content-Length: -5\r\n")), 400},
	{"CL hex", S(POST("Content-Length: 0x5\r\n")), 400},
	{"CL empty", S(POST("Content-Length:\r\n")), 400},
	{"CL inner space", S(POST("Content-Length: 1 2\r\n")), 400},
	{"CL overflow", S(POST("Content-Length: 9223372036854775808\r\n")), 400},
	{"CL huge", S(POST("Content-Length: 99999999999999999999999\r\n")), 400},
	{"CL underscore", S(POST("Content_Length: 5\r\n")), 400},
	{"TE gzip", S(POST("Transfer-Encoding: gzip\r\n")), 501},
	{"TE gzip, chunked", S(POST("Transfer-Encoding: gzip, chunked\r\n")), 501},
	{"TE identity", S(POST("Transfer-Encoding: identity\r\n")), 501},
	{"TE repeated", S(POST("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
	 400},
	{"TE chunked twice", S(POST("Transfer-Encoding: chunked, chunked\r\n")), 400},
	{"TE quoted", S(POST("Transfer-Encoding: \"chunked\"\r\n")), 400},
	{"TE quoted space", S(POST("Transfer-Encoding: \"chunked \"\r\n")), 400},
	{"TE xchunked", S(POST("Transfer-Encoding: xchunked\r\n")), 400,
	 "obfuscated transfer-encoding"},
	{"TE chunkedx", S(POST("Transfer-Encoding: chunked-x\r\n")), 400},
	{"TE vertical tab", S(POST("Transfer-Encoding: chunked\x0b\r\n")), 400},
	{"TE leading VT",
	 S(POST("Transfer-Encoding: \x0b"
		"chunked\r\n")),
	 400},
	{"TE form feed",
	 S(POST("Transfer-Encoding:\x0c"
		"chunked\r\n")),
	 400},
	{"TE param", S(POST("Transfer-Encoding: chunked;\r\n")), 400},
	{"TE param value", S(POST("Transfer-Encoding: chunked; q=1\r\n")), 400},
	{"TE trailing comma", S(POST("Transfer-Encoding: chunked,\r\n")), 400},
	{"TE empty", S(POST("Transfer-Encoding:\r\n")), 400},
	{"TE underscore", S(POST("Transfer_Encoding: chunked\r\n")), 400},
	{"TE space before colon", S(POST("Transfer-Encoding : chunked\r\n")), 400},
	{"TE in HTTP/1.0", S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400},
	{"TE obs-fold", S(POST("Transfer-Encoding:\r\n chunked\r\n")), 400},
	{"Connection names CL", S(POST("Connection: Content-Length\r\nContent-Length: 1\r\n")),
	 400},
	{"Connection names host", S(REQ("Connection: host\r\n")), 400},
	{"Connection bad option", S(REQ("Connection: a b\r\n")), 400},
	/* line ends and folding */
	{"obs-fold", S(REQ("X: a\r\n b\r\n")), 400, "obs-fold or whitespace before a field name"},
	{"obs-fold tab", S(REQ("X: a\r\n\tb\r\n")), 400},
	{"space before first field", S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400},
	{"bare LF request line", S("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400, "bare LF"},
	{"bare LF field", S("GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n"), 400, "bare LF"},
	{"bare LF end", S("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400},
	{"bare LF leading", S("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"bare CR field", S("GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n"), 400},
	{"bare CR value", S(REQ("X: a\rb\r\n")), 400, "bare CR"},
	{"bare CR end", S("GET / HTTP/1.1\r\nHost: a\r\n\rX"), 400},
	{"bare CR request line", S("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400},
	/* names and values */
	{"space before colon", S(REQ("Host2 : a\r\n")), 400, "whitespace before colon"},
	{"tab before colon", S(REQ("X\t: a\r\n")), 400},
	{"empty name", S(REQ(": a\r\n")), 400, "empty field name"},
	{"name paren", S(REQ("X(y): a\r\n")), 400},
	{"name at", S(REQ("X@: a\r\n")), 400},
	{"name slash", S(REQ("X/Y: a\r\n")), 400},
	{"name non-ascii", S(REQ("X\xc3\xa9: a\r\n")), 400},
	{"no colon", S(REQ("X-No-Colon\r\n")), 400},
	{"value NUL", S(REQ("X: a\0b\r\n")), 400},
	{"value SOH", S(REQ("X: \x01\r\n")), 400},
	{"value DEL", S(REQ("X: a\x7f\r\n")), 400, "invalid character in field value"},
	{"value ESC", S(REQ("X: \x1b[1m\r\n")), 400},
	/* past 16 bytes, where values and targets are scanned a vector at a time */
	{"long value DEL", S(REQ("X: 0123456789abcdefghij\x7fklmnopqrstuvwxyz\r\n")), 400},
	{"long value NUL", S(REQ("X: 0123456789abcdefghijklmnopq\0rstuvwxyz0123456789\r\n")), 400},
	{"long value VT", S(REQ("X: 0123456789abcdefghijklmnopqrstuvwxyz\x0b\r\n")), 400},
	{"long value bare LF", S(REQ("X: 0123456789abcdefghijklmnopqrst\nuvwxyz: 1\r\n")), 400},
	{"long target CTL", S("GET /0123456789abcdefghijklmnop\x01q HTTP/1.1\r\nHost: a\r\n\r\n"),
	 400},
	{"long target DEL", S("GET /0123456789abcdefghijklmnop\x7fq HTTP/1.1\r\nHost: a\r\n\r\n"),
	 400},
	{"long target tab", S("GET /0123456789abcdefghijklmnop\tq HTTP/1.1\r\nHost: a\r\n\r\n"),
	 400},
	/* request line */
	{"target space", S("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"target tab", S("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"target CTL", S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"target DEL", S("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"empty target", S("GET  HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"two spaces", S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"trailing space", S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400},
	{"no method", S(" / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"method bad char", S("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
	{"HTTP/0.9", S("GET /\r\n\r\n"), 400},
	{"version 0.9", S("GET / HTTP/0.9\r\n\r\n"), 400},
	{"lowercase version", S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400},
	{"version letters", S("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), 400},
	{"version 1.2", S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505},
	{"version 2.0", S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505},
	{"version 3.0", S("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505},
	{"version 1.10", S("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400},
	{"garbage", S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400},
	/* host */
	{"missing host", S("GET / HTTP/1.1\r\nX: a\r\n\r\n"), 400, "missing host"},
	{"multiple host", S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400},
	{"host with space", S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400},
	{"host with slash", S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400},
	{"host with at", S("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400},
};

static void
run_rejects(const struct reject *t, size_t n, bool req, int method)
{
	for (size_t i = 0; i < n; i++) {
		int r = parse_lim(req, method, t[i].in, t[i].len, &LIM, &M);
		if (r != -EBADMSG || M.status != t[i].status)
			fail_msg("%s: got %d status %u (%s), want status %u", t[i].what, r,
				 M.status, r == -EBADMSG ? M.reason : "-", t[i].status);
		assert_non_null(M.reason);
		if (t[i].reason != NULL && strcmp(M.reason, t[i].reason) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", t[i].what, M.reason,
				 t[i].reason);
	}
}

static void
test_request_rejects(void **state)
{
	(void)state;
	run_rejects(req_rejects, sizeof(req_rejects) / sizeof(req_rejects[0]), true, 0);
}

/* ---- responses ---- */

static void
test_response_framing(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int method;
		int body;
		int64_t cl;
		bool keep_alive, upgrade;
	} t[] = {
		{S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), GW_H1_M_GET, GW_H1_BODY_LENGTH,
		 5, true, false},
		{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), GW_H1_M_GET,
		 GW_H1_BODY_CHUNKED, -1, true, false},
		{S("HTTP/1.1 200 OK\r\n\r\n"), GW_H1_M_GET, GW_H1_BODY_CLOSE, -1, false, false},
		{S("HTTP/1.1 204 No Content\r\n\r\n"), GW_H1_M_GET, GW_H1_BODY_NONE, -1, true,
		 false},
		{S("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n"), GW_H1_M_GET,
		 GW_H1_BODY_NONE, 100, true, false},
		{S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), GW_H1_M_HEAD, GW_H1_BODY_NONE,
		 100, true, false},
		{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), GW_H1_M_HEAD,
		 GW_H1_BODY_NONE, -1, true, false},
		{S("HTTP/1.1 100 Continue\r\n\r\n"), GW_H1_M_PUT, GW_H1_BODY_NONE, -1, true, false},
		{S("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"), GW_H1_M_GET, GW_H1_BODY_NONE,
		 -1, true, false},
		{S("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
		   "Upgrade: websocket\r\n\r\n"),
		 GW_H1_M_GET, GW_H1_BODY_NONE, -1, false, true},
		{S("HTTP/1.1 200 Connection established\r\n\r\n"), GW_H1_M_CONNECT, GW_H1_BODY_NONE,
		 -1, false, true},
		{S("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n"), GW_H1_M_CONNECT,
		 GW_H1_BODY_LENGTH, 0, true, false},
		{S("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"), GW_H1_M_GET, GW_H1_BODY_LENGTH,
		 1, false, false},
		{S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n"),
		 GW_H1_M_GET, GW_H1_BODY_LENGTH, 1, true, false},
		{S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"), GW_H1_M_GET,
		 GW_H1_BODY_CLOSE, -1, false, false},
		{S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n"),
		 GW_H1_M_GET, GW_H1_BODY_LENGTH, 1, false, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse_resp(t[i].method, t[i].in, t[i].len), t[i].len);
		if (M.body != t[i].body || M.content_length != t[i].cl ||
		    M.keep_alive != t[i].keep_alive || M.upgrade != t[i].upgrade)
			fail_msg("response %zu: body %u cl %lld ka %d up %d", i, M.body,
				 (long long)M.content_length, M.keep_alive, M.upgrade);
	}
}

static void
test_status_line(void **state)
{
	static const char r1[] = "HTTP/1.1 404 Not Found Here\r\n\r\n";
	static const char r2[] = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n";
	static const char r3[] = "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n";
	static const char r4[] = "HTTP/1.1 500 \tx\xff\r\nContent-Length: 0\r\n\r\n";

	(void)state;
	assert_int_equal(parse_resp(GW_H1_M_GET, S(r1)), sizeof(r1) - 1);
	assert_int_equal(M.code, 404);
	assert_span(r1, M.phrase, "Not Found Here");
	assert_int_equal(parse_resp(GW_H1_M_GET, S(r2)), sizeof(r2) - 1);
	assert_int_equal(M.code, 200);
	assert_int_equal(M.phrase.len, 0);
	assert_int_equal(parse_resp(GW_H1_M_GET, S(r3)), sizeof(r3) - 1);
	assert_int_equal(M.phrase.len, 0);
	assert_int_equal(parse_resp(GW_H1_M_GET, S(r4)), sizeof(r4) - 1);
	assert_span(r4, M.phrase, "\tx\xff");
}

#define RESP(l) "HTTP/1.1 200 OK\r\n" l "\r\n"

static const struct reject resp_rejects[] = {
	{"CL and TE", S(RESP("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), 400},
	{"CL and TE on 204",
	 S("HTTP/1.1 204 No\r\nContent-Length: 0\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"),
	 400},
	{"duplicate CL", S(RESP("Content-Length: 5\r\nContent-Length: 5\r\n")), 400},
	{"CL list", S(RESP("Content-Length: 5,5\r\n")), 400},
	{"TE gzip", S(RESP("Transfer-Encoding: gzip\r\n")), 501},
	{"TE gzip, chunked", S(RESP("Transfer-Encoding: gzip, chunked\r\n")), 501},
	{"TE repeated", S(RESP("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
	 400},
	{"TE in HTTP/1.0", S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 400},
	{"obs-fold", S(RESP("X: a\r\n b\r\n")), 400},
	{"bare LF", S("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"), 400},
	{"bare LF in field", S(RESP("X: 1\nY: 2\r\n")), 400},
	{"bare CR", S(RESP("X: 1\rY: 2\r\n")), 400},
	{"space before colon", S(RESP("Content-Length : 0\r\n")), 400},
	{"value CTL", S(RESP("X: \x01\r\n")), 400},
	{"two-digit code", S("HTTP/1.1 20 OK\r\n\r\n"), 400},
	{"four-digit code", S("HTTP/1.1 2000 OK\r\n\r\n"), 400},
	{"code 600", S("HTTP/1.1 600 X\r\n\r\n"), 400},
	{"code 099", S("HTTP/1.1 099 X\r\n\r\n"), 400},
	{"no SP after version", S("HTTP/1.1200 OK\r\n\r\n"), 400},
	{"phrase CTL", S("HTTP/1.1 200 O\x01K\r\n\r\n"), 400},
	{"version 2", S("HTTP/2.0 200 OK\r\n\r\n"), 505},
	{"version 1.2", S("HTTP/1.2 200 OK\r\n\r\n"), 505},
	{"not http", S("ICY 200 OK\r\n\r\n"), 400},
	{"empty line first", S("\r\nHTTP/1.1 200 OK\r\n\r\n"), 400},
};

static void
test_response_rejects(void **state)
{
	(void)state;
	run_rejects(resp_rejects, sizeof(resp_rejects) / sizeof(resp_rejects[0]), false,
		    GW_H1_M_GET);
}

static int
setup(void **state)
{
	(void)state;
	ut_guard_init(&G, 16384);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ut_guard_free(&G);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_version_keep_alive),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_connection_options),
		cmocka_unit_test(test_chunked_request),
		cmocka_unit_test(test_known_ids_and_dups),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_many_headers),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_request_rejects),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_response_rejects),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

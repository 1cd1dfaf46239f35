/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_h1_write.c - the forwarded head (gw_h1_write_request/response_head)
 * byte for byte, and the trace helpers: traceparent against the cases of
 * W3C Trace Context section 3.2, span and request ids from a seeded source.
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

#define S(lit) lit, sizeof(lit) - 1
#define F(n, v)                                                                                    \
	{                                                                                          \
		n, v, sizeof(n) - 1, sizeof(v) - 1                                                 \
	}

static const struct gw_h1_limits LIM = {.max_head_bytes = 8192, .max_headers = GW_H1_MAX_HEADERS};
static struct gw_h1_msg M;
static char out[8192];

static void
parse_req(const char *s, size_t n)
{
	assert_int_equal(gw_h1_parse_request(s, n, 0, &M, &LIM), n);
}

static void
assert_out(int r, const char *want)
{
	if (r < 0 || (size_t)r != strlen(want) || memcmp(out, want, (size_t)r) != 0)
		fail_msg("got %d bytes:\n%.*s\nwant %zu bytes:\n%s", r, r < 0 ? 0 : r, out,
			 strlen(want), want);
}

static void
test_request_normalised(void **state)
{
	static const char req[] =
		"POST /submit?x=1 HTTP/1.1\r\n"
		"Host: svc.local\r\n"
		"Connection: keep-alive, X-Hop\r\n"
		"X-Hop: secret\r\n"
		"Keep-Alive: timeout=5\r\n"
		"Proxy-Connection: keep-alive\r\n"
		"TE: trailers\r\n"
		"Trailer: X-Sum\r\n"
		"Upgrade: h2c\r\n"
		"Transfer-Encoding: CHUNKED\r\n"
		"X-Request-Id: old\r\n"
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
		"tracestate: k=v\r\n"
		"X-Forwarded-For: 1.1.1.1\r\n"
		"X-Forwarded-Proto: http\r\n"
		"X-B3-TraceId: abc\r\n"
		"User-Agent:   ua 1.0  \r\n"
		"\r\n";
	static const struct gw_h1_field extra[] = {
		F("x-request-id", "new"),
		F("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"),
		F("x-forwarded-for", "1.1.1.1, 10.0.0.2"),
		F("x-forwarded-proto", "http"),
	};
	unsigned int flags = GW_H1_W_DROP_X_REQUEST_ID | GW_H1_W_DROP_TRACEPARENT |
			     GW_H1_W_DROP_X_FORWARDED_FOR | GW_H1_W_DROP_X_FORWARDED_PROTO;

	(void)state;
	parse_req(S(req));
	assert_out(gw_h1_write_request_head(req, &M, extra, 4, flags, out, sizeof(out)),
		   "POST /submit?x=1 HTTP/1.1\r\n"
		   "Host: svc.local\r\n"
		   "Transfer-Encoding: chunked\r\n"
		   "tracestate: k=v\r\n"
		   "X-B3-TraceId: abc\r\n"
		   "User-Agent: ua 1.0\r\n"
		   "x-request-id: new\r\n"
		   "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01\r\n"
		   "x-forwarded-for: 1.1.1.1, 10.0.0.2\r\n"
		   "x-forwarded-proto: http\r\n"
		   "Connection: keep-alive\r\n"
		   "\r\n");
}

static void
test_request_kept(void **state)
{
	static const char req[] = "PUT /x HTTP/1.0\r\n"
				  "X-Request-Id: keep\r\n"
				  "Content-Length: 007\r\n"
				  "X-Forwarded-For: 1.1.1.1\r\n"
				  "x-forwarded-for: 2.2.2.2\r\n"
				  "Connection: close\r\n"
				  "\r\n";
	(void)state;
	parse_req(S(req));
	assert_out(gw_h1_write_request_head(req, &M, NULL, 0, GW_H1_W_CLOSE, out, sizeof(out)),
		   "PUT /x HTTP/1.1\r\n"
		   "X-Request-Id: keep\r\n"
		   "Content-Length: 7\r\n"
		   "X-Forwarded-For: 1.1.1.1\r\n"
		   "x-forwarded-for: 2.2.2.2\r\n"
		   "Connection: close\r\n"
		   "\r\n");
	/* a 1.0 client's request goes up as 1.0 (no chunked response for it) */
	assert_out(gw_h1_write_request_head(req, &M, NULL, 0, GW_H1_W_CLOSE | GW_H1_W_HTTP10, out,
					    sizeof(out)),
		   "PUT /x HTTP/1.0\r\n"
		   "X-Request-Id: keep\r\n"
		   "Content-Length: 7\r\n"
		   "X-Forwarded-For: 1.1.1.1\r\n"
		   "x-forwarded-for: 2.2.2.2\r\n"
		   "Connection: close\r\n"
		   "\r\n");
	/* every x-forwarded-for line goes when the caller gives the value */
	assert_out(gw_h1_write_request_head(req, &M, NULL, 0, GW_H1_W_DROP_X_FORWARDED_FOR, out,
					    sizeof(out)),
		   "PUT /x HTTP/1.1\r\n"
		   "X-Request-Id: keep\r\n"
		   "Content-Length: 7\r\n"
		   "Connection: keep-alive\r\n"
		   "\r\n");
}

static void
test_request_upgrade(void **state)
{
	static const char req[] = "GET /chat HTTP/1.1\r\n"
				  "Host: a\r\n"
				  "Connection: Upgrade\r\n"
				  "Upgrade: websocket\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "\r\n";
	(void)state;
	parse_req(S(req));
	assert_true(M.upgrade);
	assert_out(gw_h1_write_request_head(req, &M, NULL, 0, GW_H1_W_UPGRADE, out, sizeof(out)),
		   "GET /chat HTTP/1.1\r\n"
		   "Host: a\r\n"
		   "Upgrade: websocket\r\n"
		   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		   "Connection: upgrade\r\n"
		   "\r\n");
}

static void
test_response(void **state)
{
	static const char r1[] = "HTTP/1.0 200 OK\r\n"
				 "Connection: keep-alive\r\n"
				 "Keep-Alive: timeout=5\r\n"
				 "Content-Length: 5\r\n"
				 "Server: x\r\n"
				 "\r\n";
	static const char r2[] = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Upgrade: websocket\r\n"
				 "Connection: Upgrade\r\n"
				 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				 "\r\n";
	static const char r3[] = "HTTP/1.1 204\r\n\r\n";
	static const struct gw_h1_field extra[] = {F("x-request-id", "r")};

	(void)state;
	assert_int_equal(gw_h1_parse_response(S(r1), 0, GW_H1_M_GET, &M, &LIM), sizeof(r1) - 1);
	assert_out(gw_h1_write_response_head(r1, &M, extra, 1, 0, out, sizeof(out)),
		   "HTTP/1.1 200 OK\r\n"
		   "Content-Length: 5\r\n"
		   "Server: x\r\n"
		   "x-request-id: r\r\n"
		   "Connection: keep-alive\r\n"
		   "\r\n");
	assert_int_equal(gw_h1_parse_response(S(r2), 0, GW_H1_M_GET, &M, &LIM), sizeof(r2) - 1);
	assert_out(gw_h1_write_response_head(r2, &M, NULL, 0, GW_H1_W_UPGRADE, out, sizeof(out)),
		   "HTTP/1.1 101 Switching Protocols\r\n"
		   "Upgrade: websocket\r\n"
		   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		   "Connection: upgrade\r\n"
		   "\r\n");
	assert_int_equal(gw_h1_parse_response(S(r3), 0, GW_H1_M_GET, &M, &LIM), sizeof(r3) - 1);
	assert_out(gw_h1_write_response_head(r3, &M, NULL, 0, GW_H1_W_CLOSE, out, sizeof(out)),
		   "HTTP/1.1 204 \r\nConnection: close\r\n\r\n");
}

/* Every capacity below the size fails without writing past it. */
static void
test_no_space(void **state)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\nX: yz\r\n\r\n";
	static const struct gw_h1_field extra[] = {F("x-request-id", "abc")};
	int full;

	(void)state;
	parse_req(S(req));
	full = gw_h1_write_request_head(req, &M, extra, 1, 0, out, sizeof(out));
	assert_true(full > 0);
	for (int cap = 0; cap <= full; cap++) {
		memset(out, 0xee, sizeof(out));
		int r = gw_h1_write_request_head(req, &M, extra, 1, 0, out, (size_t)cap);
		assert_int_equal(r, cap == full ? full : -ENOSPC);
		assert_int_equal((uint8_t)out[cap], 0xee);
	}
}

/* A field the caller adds cannot smuggle a line or an invalid name. */
static void
test_bad_extra(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	static const struct gw_h1_field bad[] = {
		F("x-a", "v\r\nInjected: 1"),
		F("x-a", "v\nx"),
		F("x a", "v"),
		F("", "v"),
		F("x:a", "v"),
		F("x-a", "\x7f"),
	};

	(void)state;
	parse_req(S(req));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gw_h1_write_request_head(req, &M, &bad[i], 1, 0, out, sizeof(out)),
				 -EINVAL);
}

/* What the writer emits parses again to the same message. */
static void
test_round_trip(void **state)
{
	static const char req[] = "DELETE /r/1 HTTP/1.1\r\nhost: h:1\r\nConnection: x-y\r\n"
				  "X-Y: 1\r\nContent-Length: 000\r\nA:b\r\n\r\n";
	static struct gw_h1_msg m2;
	int n;

	(void)state;
	parse_req(S(req));
	n = gw_h1_write_request_head(req, &M, NULL, 0, 0, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(gw_h1_parse_request(out, (size_t)n, 0, &m2, &LIM), n);
	assert_int_equal(m2.method, GW_H1_M_DELETE);
	assert_int_equal(m2.content_length, 0);
	assert_int_equal(m2.n_headers, 4); /* host, content-length, a, connection */
	assert_int_equal(m2.hidx[GW_H1_H_CONNECTION], 3);
	assert_true(m2.keep_alive);
}

/* ---- trace ---- */

static void
test_rand(void **state)
{
	struct gw_h1_rand r = {0};

	(void)state;
	/* splitmix64 reference outputs for seed 0 */
	assert_int_equal(gw_h1_rand_next(&r), 0xe220a8397b1dcdafull);
	assert_int_equal(gw_h1_rand_next(&r), 0x6e789e6aa1b965f4ull);
	assert_int_equal(gw_h1_rand_next(&r), 0x06c45d188009454full);
}

static void
test_traceparent_parse(void **state)
{
	static const struct {
		const char *v;
		bool ok;
	} t[] = {
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", true},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-701", false},
		{"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", false},
		{"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		/* a later version: the first 55 characters, then nothing or '-' */
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-"
		 "like",
		 true},
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what-the-future", false},
		{"cc-00000000000000000000000000000000-00f067aa0ba902b7-01-x", false},
		{"", false},
		{"00", false},
	};
	struct gw_h1_trace tr;

	(void)state;
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = gw_h1_trace_parse(t[i].v, strlen(t[i].v), &tr);
		if (r != (t[i].ok ? 0 : -EINVAL))
			fail_msg("%s: got %d", t[i].v, r);
	}
	assert_int_equal(gw_h1_trace_parse(
				 S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &tr),
			 0);
	assert_int_equal(tr.trace_hi, 0x4bf92f3577b34da6ull);
	assert_int_equal(tr.trace_lo, 0xa3ce929d0e0e4736ull);
	assert_int_equal(tr.span, 0x00f067aa0ba902b7ull);
	assert_int_equal(tr.flags, 1);
}

static void
test_trace_next(void **state)
{
	struct gw_h1_rand r = {42};
	struct gw_h1_trace in, next, fresh;
	char tp[GW_H1_TRACEPARENT_LEN + 1] = {0};

	(void)state;
	assert_int_equal(gw_h1_trace_parse(S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
					     "03-future"),
					   &in),
			 0);
	gw_h1_trace_next(&in, false, &r, &next);
	assert_int_equal(next.trace_hi, in.trace_hi);
	assert_int_equal(next.trace_lo, in.trace_lo);
	assert_int_equal(next.flags, 3);
	assert_true(next.span != in.span && next.span != 0);
	gw_h1_trace_format(&next, tp);
	assert_memory_equal(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36);
	assert_memory_equal(tp + 52, "-03", 3);
	assert_int_equal(gw_h1_trace_parse(tp, GW_H1_TRACEPARENT_LEN, &in), 0);
	assert_int_equal(in.span, next.span);

	gw_h1_trace_next(NULL, true, &r, &fresh);
	assert_true((fresh.trace_hi | fresh.trace_lo) != 0);
	assert_true(fresh.trace_hi != next.trace_hi);
	assert_int_equal(fresh.flags, 1);
	gw_h1_trace_format(&fresh, tp);
	assert_int_equal(gw_h1_trace_parse(tp, GW_H1_TRACEPARENT_LEN, &in), 0);
	gw_h1_trace_next(NULL, false, &r, &fresh);
	assert_int_equal(fresh.flags, 0);

	/* the same seed gives the same ids */
	struct gw_h1_rand a = {7}, b = {7};
	gw_h1_trace_next(NULL, true, &a, &next);
	gw_h1_trace_next(NULL, true, &b, &fresh);
	assert_int_equal(next.trace_hi, fresh.trace_hi);
	assert_int_equal(next.trace_lo, fresh.trace_lo);
	assert_int_equal(next.span, fresh.span);
}

static void
test_request_id(void **state)
{
	struct gw_h1_rand r = {1};
	char id[GW_H1_REQUEST_ID_LEN + 1] = {0}, prev[GW_H1_REQUEST_ID_LEN + 1] = {0};

	(void)state;
	for (int n = 0; n < 1000; n++) {
		gw_h1_request_id(&r, id);
		for (int i = 0; i < GW_H1_REQUEST_ID_LEN; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(id[i], '-');
			else
				assert_non_null(strchr("0123456789abcdef", id[i]));
		}
		assert_int_equal(id[14], '4');
		assert_non_null(strchr("89ab", id[19]));
		assert_true(strcmp(id, prev) != 0);
		memcpy(prev, id, sizeof(id));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_normalised), cmocka_unit_test(test_request_kept),
		cmocka_unit_test(test_request_upgrade),	   cmocka_unit_test(test_response),
		cmocka_unit_test(test_no_space),	   cmocka_unit_test(test_bad_extra),
		cmocka_unit_test(test_round_trip),	   cmocka_unit_test(test_rand),
		cmocka_unit_test(test_traceparent_parse),  cmocka_unit_test(test_trace_next),
		cmocka_unit_test(test_request_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

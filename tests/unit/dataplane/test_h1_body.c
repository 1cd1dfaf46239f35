/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_h1_body.c - body framing (gw_h1_body_init/feed): Content-Length,
 * until close and chunked with extensions and trailers. Every input is fed
 * whole, split at every byte position, one byte at a time and three bytes at
 * a time, each piece placed against a guard page; all ways must agree on the
 * bytes taken, the end, the payload count and the error.
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

#define S(lit) lit, sizeof(lit) - 1

static struct ut_guard G;
static const struct gw_h1_limits LIM = {.max_head_bytes = 8192, .max_headers = GW_H1_MAX_HEADERS};

struct result {
	ssize_t taken; /* bytes of the message, or -EBADMSG */
	bool done;
	uint64_t payload;
	uint16_t status;
	const char *reason;
};

static void
msg_of(struct gw_h1_msg *m, int kind, int64_t cl)
{
	memset(m, 0, offsetof(struct gw_h1_msg, h));
	m->body = (uint8_t)kind;
	m->content_length = cl;
	m->head_len = 100;
	m->n_headers = 5;
}

/* Feeds s[0..n): a first piece of `first` bytes, then pieces of `step`. */
static struct result
feed(const struct gw_h1_msg *m, const struct gw_h1_limits *lim, uint64_t max_body, const char *s,
     size_t n, size_t first, size_t step)
{
	struct gw_h1_body b;
	struct result res = {0};
	size_t off = 0, piece = first;

	if (gw_h1_body_init(&b, m, lim, max_body) != 0) {
		res.taken = -EBADMSG;
		res.status = b.status;
		res.reason = b.reason;
		return res;
	}
	while (!b.done) {
		size_t len = n - off < piece ? n - off : piece;
		ssize_t r = gw_h1_body_feed(&b, ut_guard_place(&G, s + off, len), len);
		if (r < 0) {
			res.taken = r;
			break;
		}
		assert_true((size_t)r <= len);
		if ((size_t)r < len)
			assert_true(b.done);
		res.taken += r;
		off += len;
		piece = step;
		if (off == n)
			break;
	}
	res.done = b.done;
	res.payload = b.payload;
	res.status = b.status;
	res.reason = b.reason;
	return res;
}

static void
same(const struct result *a, const struct result *b, const char *how, size_t k)
{
	if (a->taken != b->taken || a->done != b->done || a->payload != b->payload ||
	    a->status != b->status || (a->reason != b->reason && strcmp(a->reason, b->reason)))
		fail_msg("%s %zu: taken %zd/%zd done %d/%d payload %llu/%llu status %u/%u (%s)",
			 how, k, a->taken, b->taken, a->done, b->done,
			 (unsigned long long)a->payload, (unsigned long long)b->payload, a->status,
			 b->status, b->reason ? b->reason : "-");
}

/* Every way of feeding s gives the whole-feed result, which is returned. */
static struct result
feed_all_lim(int kind, int64_t cl, const struct gw_h1_limits *lim, uint64_t max_body, const char *s,
	     size_t n)
{
	struct gw_h1_msg m;
	struct result whole, r;

	msg_of(&m, kind, cl);
	whole = feed(&m, lim, max_body, s, n, n, n);
	for (size_t k = 0; k <= n; k++) {
		r = feed(&m, lim, max_body, s, n, k, n);
		same(&whole, &r, "split at", k);
	}
	r = feed(&m, lim, max_body, s, n, 1, 1);
	same(&whole, &r, "byte at a time", 1);
	r = feed(&m, lim, max_body, s, n, 3, 3);
	same(&whole, &r, "three at a time", 3);
	return whole;
}

static struct result
feed_all(int kind, int64_t cl, uint64_t max_body, const char *s, size_t n)
{
	return feed_all_lim(kind, cl, &LIM, max_body, s, n);
}

static void
test_length(void **state)
{
	struct result r;

	(void)state;
	r = feed_all(GW_H1_BODY_LENGTH, 5, 0, S("helloGET / HTTP/1.1\r\n"));
	assert_int_equal(r.taken, 5);
	assert_true(r.done);
	assert_int_equal(r.payload, 5);
	r = feed_all(GW_H1_BODY_LENGTH, 10, 0, S("hello"));
	assert_int_equal(r.taken, 5);
	assert_false(r.done);
	r = feed_all(GW_H1_BODY_LENGTH, 0, 0, S("next"));
	assert_int_equal(r.taken, 0);
	assert_true(r.done);
	r = feed_all(GW_H1_BODY_NONE, -1, 0, S("next"));
	assert_int_equal(r.taken, 0);
	assert_true(r.done);
}

static void
test_until_close(void **state)
{
	struct result r;

	(void)state;
	r = feed_all(GW_H1_BODY_CLOSE, -1, 0, S("anything\r\n0\r\n\r\nat all"));
	assert_int_equal(r.taken, 21);
	assert_false(r.done);
	assert_int_equal(r.payload, 21);
	r = feed_all(GW_H1_BODY_CLOSE, -1, 21, S("anything\r\n0\r\n\r\nat all"));
	assert_int_equal(r.taken, 21);
	r = feed_all(GW_H1_BODY_CLOSE, -1, 20, S("anything\r\n0\r\n\r\nat all"));
	assert_int_equal(r.taken, -EBADMSG);
	assert_int_equal(r.payload, 20); /* counted up to the limit whatever the split */
	assert_int_equal(r.status, 413);
}

static void
test_max_body(void **state)
{
	struct result r;

	(void)state;
	r = feed_all(GW_H1_BODY_LENGTH, 6, 5, S("hello!"));
	assert_int_equal(r.taken, -EBADMSG);
	assert_int_equal(r.status, 413);
	r = feed_all(GW_H1_BODY_LENGTH, 5, 5, S("hello!"));
	assert_int_equal(r.taken, 5);
	r = feed_all(GW_H1_BODY_CHUNKED, -1, 8, S("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"));
	assert_int_equal(r.taken, 23);
	assert_int_equal(r.payload, 8);
	r = feed_all(GW_H1_BODY_CHUNKED, -1, 7, S("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"));
	assert_int_equal(r.taken, -EBADMSG);
	assert_int_equal(r.status, 413);
	assert_int_equal(r.payload, 5); /* refused at the size line, before the data */
}

struct ok_case {
	const char *in;
	size_t len;
	ssize_t taken;
	uint64_t payload;
};

static const struct ok_case chunked_ok[] = {
	{S("5\r\nhello\r\n0\r\n\r\n"), 15, 5},
	{S("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"), 15, 5},
	{S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 26, 11},
	{S("A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n"), 35, 20},
	{S("000000000000000A\r\n0123456789\r\n0000\r\n\r\n"), 38, 10},
	{S("5;a\r\nhello\r\n0;b=c\r\n\r\n"), 21, 5},
	{S("5;a=b;c;d=\"x y\\\"z\"\r\nhello\r\n0\r\n\r\n"), 32, 5},
	{S("5;n=\"\"\r\nhello\r\n0\r\n\r\n"), 20, 5},
	{S("5;n=\"\t\\\\\"\r\nhello\r\n0\r\n\r\n"), 23, 5},
	{S("0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Tab:\tv \r\n\r\nNEXT"), 43, 0},
	{S("3\r\n\r\n\r\r\n0\r\n\r\n"), 13, 3},
};

static void
test_chunked_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(chunked_ok) / sizeof(chunked_ok[0]); i++) {
		const struct ok_case *c = &chunked_ok[i];
		struct result r = feed_all(GW_H1_BODY_CHUNKED, -1, 0, c->in, c->len);
		if (r.taken != c->taken || !r.done || r.payload != c->payload)
			fail_msg("case %zu: taken %zd done %d payload %llu (%s)", i, r.taken,
				 r.done, (unsigned long long)r.payload, r.reason ? r.reason : "-");
	}
}

static void
test_chunked_partial(void **state)
{
	struct result r;

	(void)state;
	r = feed_all(GW_H1_BODY_CHUNKED, -1, 0, S("5\r\nhel"));
	assert_int_equal(r.taken, 6);
	assert_false(r.done);
	assert_int_equal(r.payload, 3);
	r = feed_all(GW_H1_BODY_CHUNKED, -1, 0, S("5\r\nhello\r\n0\r\nX: 1\r\n"));
	assert_int_equal(r.taken, 19);
	assert_false(r.done);
}

struct bad_case {
	const char *what;
	const char *in;
	size_t len;
	uint16_t status;
};

static const struct bad_case chunked_bad[] = {
	{"empty size", S("\r\nhello\r\n0\r\n\r\n"), 400},
	{"leading space", S(" 5\r\nhello\r\n0\r\n\r\n"), 400},
	{"leading tab", S("\t5\r\nhello\r\n0\r\n\r\n"), 400},
	{"trailing space", S("5 \r\nhello\r\n0\r\n\r\n"), 400},
	{"space before ext", S("5 ;a\r\nhello\r\n0\r\n\r\n"), 400},
	{"non-hex", S("g\r\nhello\r\n0\r\n\r\n"), 400},
	{"0x prefix", S("0x5\r\nhello\r\n0\r\n\r\n"), 400},
	{"sign", S("+5\r\nhello\r\n0\r\n\r\n"), 400},
	{"negative", S("-1\r\nhello\r\n0\r\n\r\n"), 400},
	{"17 digits", S("00000000000000005\r\nhello\r\n0\r\n\r\n"), 400},
	{"2^63", S("8000000000000000\r\n"), 400},
	{"2^64-1", S("ffffffffffffffff\r\n"), 400},
	{"bare LF after size", S("5\nhello\r\n0\r\n\r\n"), 400},
	{"bare CR after size", S("5\rhello\r\n0\r\n\r\n"), 400},
	{"empty ext name", S("5;\r\nhello\r\n0\r\n\r\n"), 400},
	{"empty ext value", S("5;a=\r\nhello\r\n0\r\n\r\n"), 400},
	{"space in ext", S("5;a b\r\nhello\r\n0\r\n\r\n"), 400},
	{"space around =", S("5;a = b\r\nhello\r\n0\r\n\r\n"), 400},
	{"ext bad char", S("5;a@\r\nhello\r\n0\r\n\r\n"), 400},
	{"unterminated quote", S("5;a=\"x\r\nhello\r\n0\r\n\r\n"), 400},
	{"char after quote", S("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"), 400},
	{"CTL in quote", S("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"), 400},
	{"LF in quoted pair", S("5;a=\"\\\n\"\r\nhello\r\n0\r\n\r\n"), 400},
	{"ext too long",
	 S("5;a=0123456789012345678901234567890123456789012345678901234567890123"
	   "4567890123456789012345678901234567890123456789012345678901234567890"
	   "1234567890123456789012345678901234567890123456789012345678901234567"
	   "8901234567890123456789012345678901234567890123456789"
	   "0123456789012345678901234567890123456789012345678901234567890\r\nhello\r\n"),
	 400},
	{"data too long", S("5\r\nhello!\r\n0\r\n\r\n"), 400},
	{"data too short", S("5\r\nhell\r\n0\r\n\r\n"), 400},
	{"LF after data", S("5\r\nhello\n0\r\n\r\n"), 400},
	{"CR CR after data", S("5\r\nhello\r\r\n0\r\n\r\n"), 400},
	{"bare LF last chunk", S("5\r\nhello\r\n0\n\r\n"), 400},
	{"bare LF end", S("5\r\nhello\r\n0\r\n\n"), 400},
	{"bare CR end", S("5\r\nhello\r\n0\r\n\rX"), 400},
	{"trailer obs-fold", S("0\r\nX: a\r\n b\r\n\r\n"), 400},
	{"trailer space before colon", S("0\r\nX : a\r\n\r\n"), 400},
	{"trailer empty name", S("0\r\n: a\r\n\r\n"), 400},
	{"trailer no colon", S("0\r\nXa\r\n\r\n"), 400},
	{"trailer CTL", S("0\r\nX: \x01\r\n\r\n"), 400},
	{"trailer DEL", S("0\r\nX: \x7f\r\n\r\n"), 400},
	{"trailer bare LF", S("0\r\nX: a\n\r\n"), 400},
	{"trailer bare CR", S("0\r\nX: a\rb\r\n\r\n"), 400},
	{"trailer content-length", S("0\r\nContent-Length: 5\r\n\r\n"), 400},
	{"trailer content_length", S("0\r\ncontent_length: 5\r\n\r\n"), 400},
	{"trailer transfer-encoding", S("0\r\nTRANSFER-ENCODING: chunked\r\n\r\n"), 400},
	{"trailer host", S("0\r\nHost: evil\r\n\r\n"), 400},
};

static void
test_chunked_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(chunked_bad) / sizeof(chunked_bad[0]); i++) {
		const struct bad_case *c = &chunked_bad[i];
		struct result r = feed_all(GW_H1_BODY_CHUNKED, -1, 0, c->in, c->len);
		if (r.taken != -EBADMSG || r.status != c->status)
			fail_msg("%s: taken %zd status %u", c->what, r.taken, r.status);
		assert_non_null(r.reason);
	}
}

static void
test_trailer_limits(void **state)
{
	static const char body[] = "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	struct gw_h1_limits lim = {.max_head_bytes = 100 + 24, .max_headers = 8};
	struct result r;

	(void)state;
	/* three 6-byte lines fit in 24 bytes and 8 - 5 field lines */
	r = feed_all_lim(GW_H1_BODY_CHUNKED, -1, &lim, 0, S(body));
	assert_int_equal(r.taken, sizeof(body) - 1);
	lim.max_headers = 7;
	r = feed_all_lim(GW_H1_BODY_CHUNKED, -1, &lim, 0, S(body));
	assert_int_equal(r.taken, -EBADMSG);
	assert_int_equal(r.status, 431);
	lim.max_headers = 8;
	lim.max_head_bytes = 100 + 17;
	r = feed_all_lim(GW_H1_BODY_CHUNKED, -1, &lim, 0, S(body));
	assert_int_equal(r.taken, -EBADMSG);
	assert_int_equal(r.status, 431);
	lim.max_head_bytes = 100 + 18;
	r = feed_all_lim(GW_H1_BODY_CHUNKED, -1, &lim, 0, S(body));
	assert_int_equal(r.taken, sizeof(body) - 1);
}

/* An error is sticky and nothing is taken after the end. */
static void
test_sticky(void **state)
{
	struct gw_h1_msg m;
	struct gw_h1_body b;

	(void)state;
	msg_of(&m, GW_H1_BODY_CHUNKED, -1);
	assert_int_equal(gw_h1_body_init(&b, &m, &LIM, 0), 0);
	assert_int_equal(gw_h1_body_feed(&b, S("z\r\n")), -EBADMSG);
	assert_int_equal(gw_h1_body_feed(&b, S("5\r\nhello\r\n0\r\n\r\n")), -EBADMSG);
	assert_int_equal(b.status, 400);
	assert_int_equal(gw_h1_body_init(&b, &m, &LIM, 0), 0);
	assert_int_equal(gw_h1_body_feed(&b, S("0\r\n\r\n")), 5);
	assert_true(b.done);
	assert_int_equal(gw_h1_body_feed(&b, S("0\r\n\r\n")), 0);
}

/* A 1 MiB chunked body in 1000-byte chunks fed in 1460-byte segments. */
static void
test_large(void **state)
{
	static char buf[1200 * 1024];
	size_t n = 0;
	struct gw_h1_msg m;
	struct gw_h1_body b;
	size_t taken = 0;
	uint64_t payload = 0;

	(void)state;
	for (unsigned int i = 0; i < 1024; i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%x;i=%u\r\n", 1000 + i % 24, i);
		memset(buf + n, 'a' + i % 26, 1000 + i % 24);
		n += 1000 + i % 24;
		payload += 1000 + i % 24;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	memcpy(buf + n, "0\r\n\r\n", 5);
	n += 5;
	msg_of(&m, GW_H1_BODY_CHUNKED, -1);
	assert_int_equal(gw_h1_body_init(&b, &m, &LIM, 0), 0);
	for (size_t off = 0; off < n && !b.done; off += 1460) {
		size_t len = n - off < 1460 ? n - off : 1460;
		ssize_t r = gw_h1_body_feed(&b, buf + off, len);
		assert_true(r >= 0);
		taken += (size_t)r;
	}
	assert_true(b.done);
	assert_int_equal(taken, n);
	assert_int_equal(b.payload, payload);
	assert_int_equal(payload, 1035712);
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
		cmocka_unit_test(test_length),		cmocka_unit_test(test_until_close),
		cmocka_unit_test(test_max_body),	cmocka_unit_test(test_chunked_ok),
		cmocka_unit_test(test_chunked_partial), cmocka_unit_test(test_chunked_bad),
		cmocka_unit_test(test_trailer_limits),	cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_h1.c - libFuzzer harness for the HTTP/1.1 parser (gw_h1.h): the input
 * is parsed as a request head and as a response head, framed as chunked,
 * fixed-length and until-close bodies, and read as a traceparent; a head that
 * parses is written back out and parsed again.
 *
 * Input: two control bytes, then the message.
 *   byte 0 bits 0-3  method of the request a response answers (mod 10)
 *          bit 4     head limit 256 bytes instead of 8192
 *          bit 5     at most 8 field lines instead of 100
 *          bit 6     writers say Connection: close
 *          bit 7     body limit 64 bytes instead of none
 *   byte 1           where to split the input for the incremental checks
 *
 * fuzz_h1_request.c and fuzz_h1_response.c build it for one side only
 * (requests: FUZZ_H1_REQUESTS_ONLY, responses: FUZZ_H1_RESPONSES_ONLY), so
 * each side's coverage is fuzzed on its own.
 *
 * Invariants (abort on breach): results are a head length within the input,
 * -EAGAIN, or -EBADMSG with a known status and a reason; every offset stays
 * inside the head; a prefix says "need more" or gives the whole result;
 * prefix-then-whole with prev_len gives the whole result (or "need more" for
 * a message the whole parse refused); a body framed whole, split in two, or
 * one byte at a time gives the same bytes taken, end, payload and error; the
 * writer's output parses again and writing that gives the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP (16384 + 1024)

static struct gw_h1_msg m, m2, m3;
static char out[OUT_CAP], out2[OUT_CAP];

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static int
parse(bool req, int method, const char *s, size_t n, size_t prev, struct gw_h1_msg *pm,
      const struct gw_h1_limits *lim)
{
	if (req)
		return gw_h1_parse_request(s, n, prev, pm, lim);
	return gw_h1_parse_response(s, n, prev, (enum gw_h1_method)method, pm, lim);
}

static bool
span_in(struct gw_h1_span sp, int head)
{
	return (uint64_t)sp.off + sp.len <= (uint64_t)head;
}

/* A result and what the message says about itself agree. */
static void
check_result(int r, size_t n, const struct gw_h1_msg *pm, const struct gw_h1_limits *lim, bool req)
{
	if (r == -EAGAIN)
		return;
	if (r == -EBADMSG) {
		check(pm->reason != NULL);
		check(pm->status == 400 || pm->status == 431 || pm->status == 501 ||
		      pm->status == 505);
		return;
	}
	check(r > 0 && (size_t)r <= n && (uint32_t)r == pm->head_len &&
	      pm->head_len <= lim->max_head_bytes);
	check(pm->n_headers <= lim->max_headers && pm->n_headers <= GW_H1_MAX_HEADERS);
	for (unsigned int i = 0; i < pm->n_headers; i++) {
		const struct gw_h1_hdr *h = &pm->h[i];
		check(h->name_len > 0 && (uint64_t)h->name_off + h->name_len <= (uint64_t)r);
		check((uint64_t)h->value_off + h->value_len <= (uint64_t)r);
		check(h->id < GW_H1_H_COUNT);
	}
	for (unsigned int i = 0; i < GW_H1_H_COUNT; i++)
		check(pm->hidx[i] == GW_H1_NO_HDR ||
		      (pm->hidx[i] < pm->n_headers && pm->h[pm->hidx[i]].id == i));
	for (unsigned int i = 0; i < pm->n_conn_opts; i++)
		check(span_in(pm->conn_opts[i], r));
	check(pm->minor <= 1);
	check(!pm->chunked || pm->content_length == -1);
	check(pm->body <= GW_H1_BODY_CLOSE);
	if (req) {
		check(span_in(pm->mtoken, r) && span_in(pm->target, r));
		check(pm->mtoken.len > 0 && pm->target.len > 0 && pm->body != GW_H1_BODY_CLOSE);
		check(pm->body != GW_H1_BODY_LENGTH || pm->content_length >= 0);
		check(pm->body != GW_H1_BODY_CHUNKED || pm->chunked);
	} else {
		check(span_in(pm->phrase, r) && pm->code >= 100 && pm->code <= 599);
	}
}

static bool
same(int a, const struct gw_h1_msg *ma, int b, const struct gw_h1_msg *mb)
{
	if (a != b)
		return false;
	if (a == -EBADMSG)
		return ma->status == mb->status && strcmp(ma->reason, mb->reason) == 0;
	return true;
}

/* A prefix of s in an exact-size allocation, so ASan sees over-reads. */
static int
parse_prefix(bool req, int method, const char *s, size_t k, const struct gw_h1_limits *lim)
{
	char *pre = malloc(k ? k : 1);
	int r;

	check(pre != NULL);
	memcpy(pre, s, k);
	r = parse(req, method, pre, k, 0, &m2, lim);
	free(pre);
	return r;
}

static int
check_head(bool req, int method, const char *s, size_t n, size_t split,
	   const struct gw_h1_limits *lim)
{
	int whole = parse(req, method, s, n, 0, &m, lim);
	int r;

	check_result(whole, n, &m, lim, req);
	r = parse_prefix(req, method, s, split, lim);
	check_result(r, split, &m2, lim, req);
	if (r != -EAGAIN)
		check(same(r, &m2, whole, &m));
	if (r == -EAGAIN) {
		r = parse(req, method, s, n, split, &m2, lim);
		check(same(r, &m2, whole, &m) || (r == -EAGAIN && whole == -EBADMSG));
	}
	if (n <= 256) {
		size_t prev = 0;
		r = -EAGAIN;
		for (size_t k = 1; k <= n && r == -EAGAIN; k++) {
			r = parse(req, method, s, k, prev, &m2, lim);
			prev = k;
		}
		check(same(r, &m2, whole, &m) || (r == -EAGAIN && whole == -EBADMSG));
	}
	return parse(req, method, s, n, 0, &m, lim); /* m again for the caller */
}

struct body_res {
	ssize_t taken;
	bool done;
	uint64_t payload;
	uint16_t status;
};

static struct body_res
frame(const struct gw_h1_msg *pm, const struct gw_h1_limits *lim, uint64_t max_body, const char *s,
      size_t n, size_t first, size_t step)
{
	struct gw_h1_body b;
	struct body_res res = {0};
	size_t off = 0, piece = first;

	if (gw_h1_body_init(&b, pm, lim, max_body) != 0) {
		check(b.status == 413);
		return (struct body_res){-EBADMSG, false, 0, b.status};
	}
	while (!b.done) {
		size_t len = n - off < piece ? n - off : piece;
		ssize_t r = gw_h1_body_feed(&b, s + off, len);
		if (r < 0) {
			check(r == -EBADMSG && b.reason != NULL &&
			      (b.status == 400 || b.status == 413 || b.status == 431));
			check(gw_h1_body_feed(&b, s, n) == -EBADMSG);
			res.taken = r;
			break;
		}
		check((size_t)r <= len && ((size_t)r == len || b.done));
		res.taken += r;
		off += len;
		piece = step;
		if (off == n)
			break;
	}
	if (b.done && res.taken >= 0)
		check(gw_h1_body_feed(&b, s, n) == 0);
	check(res.taken < 0 || b.payload <= (uint64_t)res.taken || pm->body == GW_H1_BODY_NONE);
	check(!max_body || b.payload <= max_body);
	res.done = b.done;
	res.payload = b.payload;
	res.status = b.status;
	return res;
}

static void
check_body(const struct gw_h1_msg *pm, const struct gw_h1_limits *lim, uint64_t max_body,
	   const char *s, size_t n, size_t split)
{
	struct body_res w = frame(pm, lim, max_body, s, n, n, n);
	struct body_res r[3] = {
		frame(pm, lim, max_body, s, n, split, n),
		frame(pm, lim, max_body, s, n, 1, 1),
		frame(pm, lim, max_body, s, n, split ? split : 1, 7),
	};

	for (unsigned int i = 0; i < 3; i++)
		check(r[i].taken == w.taken && r[i].done == w.done && r[i].payload == w.payload &&
		      r[i].status == w.status);
}

/* The head written from m parses again, and writing that is a fixed point. */
static void
check_writer(bool req, int method, const char *s, unsigned int flags)
{
	static const struct gw_h1_limits big = {.max_head_bytes = OUT_CAP, .max_headers = 100};
	unsigned int kept = 0;
	int n, n2, r;

	for (unsigned int i = 0; i < m.n_headers; i++)
		kept += !(m.h[i].flags & GW_H1_HF_HOP);
	n = req ? gw_h1_write_request_head(s, &m, NULL, 0, flags, out, sizeof(out))
		: gw_h1_write_response_head(s, &m, NULL, 0, flags, out, sizeof(out));
	check(n > 0);
	if (req && m.minor == 0 && m.hidx[GW_H1_H_HOST] == GW_H1_NO_HDR)
		return; /* an HTTP/1.0 request may lack the Host 1.1 needs */
	if (kept + 1 > big.max_headers)
		return;
	r = parse(req, method, out, (size_t)n, 0, &m3, &big);
	check(r == n);
	check(m3.n_headers == kept + 1 && m3.content_length == m.content_length &&
	      m3.chunked == m.chunked);
	if (req)
		check(m3.method == m.method && m3.target.len == m.target.len && m3.body == m.body);
	else
		check(m3.code == m.code && m3.phrase.len == m.phrase.len);
	n2 = req ? gw_h1_write_request_head(out, &m3, NULL, 0, flags, out2, sizeof(out2))
		 : gw_h1_write_response_head(out, &m3, NULL, 0, flags, out2, sizeof(out2));
	check(n2 == n && memcmp(out, out2, (size_t)n) == 0);
}

static void
check_trace(const char *s, size_t n)
{
	struct gw_h1_trace t, t2;
	char tp[GW_H1_TRACEPARENT_LEN];

	if (gw_h1_trace_parse(s, n, &t) != 0)
		return;
	check((t.trace_hi | t.trace_lo) != 0 && t.span != 0);
	gw_h1_trace_format(&t, tp);
	check(gw_h1_trace_parse(tp, sizeof(tp), &t2) == 0);
	check(t2.trace_hi == t.trace_hi && t2.trace_lo == t.trace_lo && t2.span == t.span &&
	      t2.flags == t.flags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 16384)
		return 0;
	uint8_t ctl = data[0];
	const char *s = (const char *)data + 2;
	size_t n = size - 2, split = (size_t)data[1] * n / 255;
	struct gw_h1_limits lim = {.max_head_bytes = ctl & 0x10 ? 256 : 8192,
				   .max_headers = ctl & 0x20 ? 8 : 100};
	uint64_t max_body = ctl & 0x80 ? 64 : 0;
	unsigned int flags = ctl & 0x40 ? GW_H1_W_CLOSE : 0;
	int method = (ctl & 0x0f) % 10;
	int r;

	(void)method; /* requests only: unused */

#ifndef FUZZ_H1_RESPONSES_ONLY
	r = check_head(true, 0, s, n, split, &lim);
	if (r > 0) {
		check_writer(true, 0, s, flags);
		check_body(&m, &lim, max_body, s + r, n - (size_t)r, split / 2);
	}
#endif
#ifndef FUZZ_H1_REQUESTS_ONLY
	r = check_head(false, method, s, n, split, &lim);
	if (r > 0) {
		check_writer(false, method, s, flags);
		check_body(&m, &lim, max_body, s + r, n - (size_t)r, split / 2);
	}
#endif
	/* the decoders on the raw input, whatever the heads said */
	memset(&m, 0, offsetof(struct gw_h1_msg, h));
	m.body = GW_H1_BODY_CHUNKED;
	m.content_length = -1;
	check_body(&m, &lim, max_body, s, n, split);
	m.body = GW_H1_BODY_LENGTH;
	m.content_length = (int64_t)split;
	check_body(&m, &lim, max_body, s, n, n - split);
	m.body = GW_H1_BODY_CLOSE;
	check_body(&m, &lim, max_body, s, n, split);
	check_trace(s, n);
	return 0;
}

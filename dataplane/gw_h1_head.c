/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_h1_head.c - request and status lines, field lines, and the framing
 * decision of an HTTP/1.1 head (RFC 9112 2-6). One pass over the bytes with
 * table lookups; a field line is checked when its CRLF is seen, the framing
 * headers as they come, the rest (Host, framing conflicts, Connection
 * options) once the head is complete. Any thread; state is the caller's.
 */
#include <errno.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gw_h1.h"

/* Character classes as constant expressions of the byte, one table entry
 * each, so the table can be read next to the grammar. */
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define HEXL(c)	 (((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define VCHAR(c) ((c) >= 0x21 && (c) <= 0x7e)
#define OBS(c)	 ((c) >= 0x80)
#define WSP(c)	 ((c) == ' ' || (c) == '\t')
#define TOKSYM(c)                                                                                  \
	((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' ||      \
	 (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' || (c) == '_' ||       \
	 (c) == '`' || (c) == '|' || (c) == '~')
#define SUBDELIM(c)                                                                                \
	((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||      \
	 (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')
#define HOSTCH(c)                                                                                  \
	(ALPHA(c) || DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ||           \
	 SUBDELIM(c) || (c) == '%' || (c) == ':' || (c) == '[' || (c) == ']')
#define CLS(c)                                                                                     \
	(((ALPHA(c) || DIGIT(c) || TOKSYM(c)) ? GW_H1_C_TCHAR : 0) |                               \
	 ((VCHAR(c) || OBS(c) || WSP(c)) ? GW_H1_C_VALUE : 0) |                                    \
	 ((VCHAR(c) || OBS(c)) ? GW_H1_C_TARGET : 0) | (HOSTCH(c) ? GW_H1_C_HOST : 0) |            \
	 (WSP(c) ? GW_H1_C_WS : 0) | ((DIGIT(c) || HEXL(c)) ? GW_H1_C_HEX : 0) |                   \
	 (((VCHAR(c) || OBS(c) || WSP(c)) && (c) != '"' && (c) != '\\') ? GW_H1_C_QDTEXT : 0))
#define R4(c)  CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define R16(c) R4(c), R4((c) + 4), R4((c) + 8), R4((c) + 12)
#define R64(c) R16(c), R16((c) + 16), R16((c) + 32), R16((c) + 48)

const uint8_t gw_h1_cls[256] = {R64(0), R64(64), R64(128), R64(192)};

#define CL(c)	 gw_h1_cls[(uint8_t)(c)]
#define LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))

/* Parse state that is not part of the result. */
struct pctx {
	const char *buf;
	struct gw_h1_msg *m;
	uint16_t max_headers;
	bool conn_close, conn_keep_alive, conn_upgrade, expect_100;
};

static int
bad(struct gw_h1_msg *m, uint16_t status, const char *reason)
{
	m->status = status;
	m->reason = reason;
	return -EBADMSG;
}

static inline struct gw_h1_span
span(const char *buf, const char *s, const char *e)
{
	return (struct gw_h1_span){(uint32_t)(s - buf), (uint32_t)(e - s)};
}

/* First byte at or after p without class bit, or end. */
static inline const char *
scan(const char *p, const char *end, uint8_t bit)
{
	while (end - p >= 4) {
		if (!(CL(p[0]) & bit))
			return p;
		if (!(CL(p[1]) & bit))
			return p + 1;
		if (!(CL(p[2]) & bit))
			return p + 2;
		if (!(CL(p[3]) & bit))
			return p + 3;
		p += 4;
	}
	while (p < end && (CL(*p) & bit))
		p++;
	return p;
}

/*
 * Values and targets are the long runs. Skip many bytes at once while none
 * is below `lo` (a control; SP too for targets) nor DEL, and look at a
 * flagged byte by table: HTAB is allowed in values, so it only costs a step.
 * SSE2 (x86-64 baseline) takes 16 bytes a step, elsewhere 8 bytes of SWAR.
 * Loads stay inside [p, end).
 */
#if defined(__SSE2__)
static inline const char *
scan_text(const char *p, const char *end, uint8_t lo, uint8_t bit)
{
	const __m128i vlo = _mm_set1_epi8((char)lo), vdel = _mm_set1_epi8(0x7f);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i ok = _mm_cmpeq_epi8(_mm_max_epu8(x, vlo), x); /* x >= lo, unsigned */
		unsigned int bad = (unsigned int)_mm_movemask_epi8(ok) ^ 0xffffu;

		bad |= (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vdel));
		if (bad == 0) {
			p += 16;
			continue;
		}
		p += __builtin_ctz(bad);
		if (!(CL(*p) & bit))
			return p;
		p++;
	}
	return scan(p, end, bit);
}
#else
#define ONES	       0x0101010101010101ull
#define HIGHS	       0x8080808080808080ull
#define HAS_LESS(x, n) (((x)-ONES * (n)) & ~(x)&HIGHS)
#define HAS_ZERO(x)    (((x)-ONES) & ~(x)&HIGHS)

static inline const char *
scan_text(const char *p, const char *end, uint8_t lo, uint8_t bit)
{
	uint64_t x;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		if (HAS_LESS(x, lo) | HAS_ZERO(x ^ (ONES * 0x7f))) {
			const char *q = scan(p, p + 8, bit);
			if (q < p + 8)
				return q;
		}
		p += 8;
	}
	return scan(p, end, bit);
}
#endif

/* Case-insensitive compare of a token with a lowercase literal of letters
 * and '-': 1 on a match, 2 when it matches with '_' for some '-', else 0. */
static inline int
name_is(const char *s, const char *lit, size_t n)
{
	int r = 1;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c | 0x20) == lit[i])
			continue;
		if (c == '_' && lit[i] == '-')
			r = 2;
		else
			return 0;
	}
	return r;
}

/* Matches name against one literal of the same length; a '_' variant of a
 * framing name is refused (*us), of any other name it is just another name. */
#define TRY(lit, hid)                                                                              \
	do {                                                                                       \
		int r_ = name_is(s, lit, sizeof(lit) - 1);                                         \
		if (r_ == 1)                                                                       \
			return hid;                                                                \
		if (r_ == 2 &&                                                                     \
		    (hid == GW_H1_H_CONTENT_LENGTH || hid == GW_H1_H_TRANSFER_ENCODING))           \
			*us = true;                                                                \
	} while (0)

static uint8_t
header_id(const char *s, size_t n, bool *us)
{
	switch (n) {
	case 2:
		TRY("te", GW_H1_H_TE);
		break;
	case 4:
		TRY("host", GW_H1_H_HOST);
		break;
	case 6:
		TRY("expect", GW_H1_H_EXPECT);
		break;
	case 7:
		TRY("upgrade", GW_H1_H_UPGRADE);
		TRY("trailer", GW_H1_H_TRAILER);
		break;
	case 10:
		TRY("connection", GW_H1_H_CONNECTION);
		TRY("keep-alive", GW_H1_H_KEEP_ALIVE);
		TRY("tracestate", GW_H1_H_TRACESTATE);
		break;
	case 11:
		TRY("traceparent", GW_H1_H_TRACEPARENT);
		break;
	case 12:
		TRY("x-request-id", GW_H1_H_X_REQUEST_ID);
		break;
	case 14:
		TRY("content-length", GW_H1_H_CONTENT_LENGTH);
		break;
	case 15:
		TRY("x-forwarded-for", GW_H1_H_X_FORWARDED_FOR);
		break;
	case 16:
		TRY("proxy-connection", GW_H1_H_PROXY_CONNECTION);
		break;
	case 17:
		TRY("transfer-encoding", GW_H1_H_TRANSFER_ENCODING);
		TRY("x-forwarded-proto", GW_H1_H_X_FORWARDED_PROTO);
		break;
	}
	return GW_H1_H_OTHER;
}

static uint8_t
method_id(const char *s, size_t n)
{
#define M(lit, id)                                                                                 \
	if (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)                                        \
		return id;
	switch (n) {
	case 3:
		M("GET", GW_H1_M_GET);
		M("PUT", GW_H1_M_PUT);
		break;
	case 4:
		M("HEAD", GW_H1_M_HEAD);
		M("POST", GW_H1_M_POST);
		break;
	case 5:
		M("PATCH", GW_H1_M_PATCH);
		M("TRACE", GW_H1_M_TRACE);
		break;
	case 6:
		M("DELETE", GW_H1_M_DELETE);
		break;
	case 7:
		M("CONNECT", GW_H1_M_CONNECT);
		M("OPTIONS", GW_H1_M_OPTIONS);
		break;
	}
#undef M
	return GW_H1_M_OTHER;
}

/* Content-Length: 1*DIGIT, one value, fits an int64_t. */
static int
parse_content_length(struct gw_h1_msg *m, const char *v, size_t n)
{
	int64_t x = 0;

	if (n == 0)
		return bad(m, 400, "empty content-length");
	for (size_t i = 0; i < n; i++) {
		if (!DIGIT(v[i]))
			return bad(m, 400, "invalid content-length");
		if (x > (INT64_MAX - (v[i] - '0')) / 10)
			return bad(m, 400, "content-length too large");
		x = x * 10 + (v[i] - '0');
	}
	m->content_length = x;
	return 0;
}

/*
 * Transfer-Encoding must be exactly one coding, chunked (any case). A list
 * with an empty element, a non-token, a parameter or chunked twice is 400,
 * as is a token that merely contains "chunked" (an obfuscation); any other
 * coding is 501, since we only frame chunked.
 */
static int
parse_transfer_encoding(struct gw_h1_msg *m, const char *v, size_t n)
{
	const char *p = v, *end = v + n;
	unsigned int chunked = 0, other = 0;

	for (;;) {
		while (p < end && WSP(*p))
			p++;
		const char *s = p;
		p = scan(p, end, GW_H1_C_TCHAR);
		size_t tl = (size_t)(p - s);
		while (p < end && WSP(*p))
			p++;
		if (tl == 0 || (p < end && *p != ','))
			return bad(m, 400, "invalid transfer-encoding");
		if (tl == 7 && name_is(s, "chunked", 7) == 1) {
			chunked++;
		} else {
			for (size_t i = 0; i + 7 <= tl; i++)
				if (name_is(s + i, "chunked", 7) == 1)
					return bad(m, 400, "obfuscated transfer-encoding");
			other++;
		}
		if (p == end)
			break;
		p++; /* ',' */
	}
	if (chunked > 1)
		return bad(m, 400, "chunked applied twice");
	if (other)
		return bad(m, 501, "unsupported transfer-coding");
	m->chunked = true;
	return 0;
}

/* Connection: a list of tokens; close, keep-alive and upgrade are options,
 * anything else names a hop-by-hop header. Empty elements are allowed. */
static int
parse_connection(struct pctx *c, const char *v, size_t n)
{
	struct gw_h1_msg *m = c->m;
	const char *p = v, *end = v + n;

	while (p < end) {
		while (p < end && (WSP(*p) || *p == ','))
			p++;
		const char *s = p;
		p = scan(p, end, GW_H1_C_TCHAR);
		size_t tl = (size_t)(p - s);
		while (p < end && WSP(*p))
			p++;
		if (p < end && *p != ',')
			return bad(m, 400, "invalid connection option");
		if (tl == 0)
			continue;
		if (tl == 5 && name_is(s, "close", 5) == 1) {
			c->conn_close = true;
		} else if (tl == 10 && name_is(s, "keep-alive", 10) == 1) {
			c->conn_keep_alive = true;
		} else if (tl == 7 && name_is(s, "upgrade", 7) == 1) {
			c->conn_upgrade = true;
		} else {
			bool us = false;
			uint8_t id = header_id(s, tl, &us);
			if (us || id == GW_H1_H_HOST || id == GW_H1_H_CONTENT_LENGTH ||
			    id == GW_H1_H_TRANSFER_ENCODING)
				return bad(m, 400, "connection option names a framing header");
			if (m->n_conn_opts == GW_H1_MAX_CONN_OPTS)
				return bad(m, 400, "too many connection options");
			m->conn_opts[m->n_conn_opts++] = span(c->buf, s, s + tl);
		}
	}
	return 0;
}

static bool
host_ok(const char *v, size_t n)
{
	return scan(v, v + n, GW_H1_C_HOST) == v + n;
}

/* Records field line i (name and value in place) and checks the fields
 * whose meaning depends on every byte. */
static int
field(struct pctx *c, const char *name, size_t nl, const char *v, size_t vl)
{
	struct gw_h1_msg *m = c->m;
	unsigned int i = m->n_headers;
	struct gw_h1_hdr *h = &m->h[i];
	bool us = false;
	uint8_t id = header_id(name, nl, &us);

	if (us)
		return bad(m, 400, "underscore in a framing header name");
	h->name_off = (uint32_t)(name - c->buf);
	h->name_len = (uint16_t)nl;
	h->value_off = (uint32_t)(v - c->buf);
	h->value_len = (uint32_t)vl;
	h->id = id;
	h->flags = 0;
	m->n_headers++;
	if (id == GW_H1_H_OTHER)
		return 0;
	if (m->hidx[id] == GW_H1_NO_HDR)
		m->hidx[id] = (uint8_t)i;
	else
		m->dup_mask |= 1u << id;

	switch (id) {
	case GW_H1_H_HOST:
		if (m->dup_mask & (1u << id))
			return bad(m, 400, "multiple host");
		if (!host_ok(v, vl))
			return bad(m, 400, "invalid host");
		break;
	case GW_H1_H_CONTENT_LENGTH:
		if (m->dup_mask & (1u << id))
			return bad(m, 400, "duplicate content-length");
		return parse_content_length(m, v, vl);
	case GW_H1_H_TRANSFER_ENCODING:
		if (m->dup_mask & (1u << id))
			return bad(m, 400, "repeated transfer-encoding");
		return parse_transfer_encoding(m, v, vl);
	case GW_H1_H_CONNECTION:
		h->flags = GW_H1_HF_HOP;
		return parse_connection(c, v, vl);
	case GW_H1_H_EXPECT:
		if (vl == 12 && name_is(v, "100-continue", 12) == 1)
			c->expect_100 = true;
		break;
	case GW_H1_H_TE:
	case GW_H1_H_UPGRADE:
	case GW_H1_H_KEEP_ALIVE:
	case GW_H1_H_PROXY_CONNECTION:
	case GW_H1_H_TRAILER:
		h->flags = GW_H1_HF_HOP;
		break;
	}
	return 0;
}

static const char invalid_char[] = "invalid character";

/* Consumes CR LF at *pp: 0, -EAGAIN, or 400. */
static inline int
crlf(struct gw_h1_msg *m, const char **pp, const char *end)
{
	const char *p = *pp;

	if (p == end)
		return -EAGAIN;
	if (*p != '\r')
		return bad(m, 400, *p == '\n' ? "bare LF" : invalid_char);
	if (++p == end)
		return -EAGAIN;
	if (*p != '\n')
		return bad(m, 400, "bare CR");
	*pp = p + 1;
	return 0;
}

/* Field lines through the empty line that ends the head. */
static int
parse_fields(struct pctx *c, const char **pp, const char *end)
{
	struct gw_h1_msg *m = c->m;
	const char *p = *pp;
	int r;

	for (;;) {
		if (p == end)
			return -EAGAIN;
		if (*p == '\r' || *p == '\n') {
			if ((r = crlf(m, &p, end)) != 0)
				return r;
			*pp = p;
			return 0;
		}
		if (WSP(*p))
			return bad(m, 400, "obs-fold or whitespace before a field name");
		const char *name = p;
		p = scan(p, end, GW_H1_C_TCHAR);
		if (p == end)
			return -EAGAIN;
		if (*p != ':') {
			if (p == name)
				return bad(m, 400, "invalid character in field name");
			return bad(m, 400,
				   WSP(*p) ? "whitespace before colon"
					   : "invalid character in field name");
		}
		if (p == name)
			return bad(m, 400, "empty field name");
		size_t nl = (size_t)(p - name);
		if (nl > UINT16_MAX)
			return bad(m, 431, "field name too long");
		p++;
		while (p < end && WSP(*p))
			p++;
		const char *v = p;
		p = scan_text(p, end, 0x20, GW_H1_C_VALUE);
		const char *ve = p;
		if ((r = crlf(m, &p, end)) != 0) {
			if (r == -EBADMSG && m->reason == invalid_char)
				m->reason = "invalid character in field value";
			return r;
		}
		while (ve > v && WSP(ve[-1]))
			ve--;
		if (m->n_headers == c->max_headers)
			return bad(m, 431, "too many header fields");
		if ((r = field(c, name, nl, v, (size_t)(ve - v))) != 0)
			return r;
	}
}

/* "HTTP/" DIGIT "." DIGIT: HTTP/1.0 and 1.1; other 1.x and 2-9 are 505. */
static int
parse_version(struct gw_h1_msg *m, const char **pp, const char *end)
{
	static const char lit[] = "HTTP/1.1";
	const char *p = *pp;

	for (unsigned int i = 0; i < 8; i++, p++) {
		if (p == end)
			return -EAGAIN;
		if ((i == 5 || i == 7) ? !DIGIT(*p) : *p != lit[i])
			return bad(m, 400, "invalid http version");
	}
	*pp = p;
	if (p[-3] == '0')
		return bad(m, 400, "invalid http version");
	if (p[-3] != '1' || p[-1] > '1')
		return bad(m, 505, "http version not supported");
	m->minor = (uint8_t)(p[-1] - '0');
	return 0;
}

static int
parse_request_line(struct pctx *c, const char **pp, const char *end)
{
	struct gw_h1_msg *m = c->m;
	const char *p = *pp, *s;
	int r;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n'))
		if ((r = crlf(m, &p, end)) != 0)
			return r;
	s = p;
	p = scan(p, end, GW_H1_C_TCHAR);
	if (p == end)
		return -EAGAIN;
	if (p == s || *p != ' ')
		return bad(m, 400, "invalid method");
	m->mtoken = span(c->buf, s, p);
	m->method = method_id(s, (size_t)(p - s));
	s = ++p;
	p = scan_text(p, end, 0x21, GW_H1_C_TARGET);
	if (p == end)
		return -EAGAIN;
	if (p == s || *p != ' ')
		return bad(m, 400, "invalid request target");
	m->target = span(c->buf, s, p);
	p++;
	if ((r = parse_version(m, &p, end)) != 0)
		return r;
	if ((r = crlf(m, &p, end)) == -EBADMSG && m->reason == invalid_char)
		m->reason = "invalid request line";
	*pp = p;
	return r;
}

static int
parse_status_line(struct pctx *c, const char **pp, const char *end)
{
	struct gw_h1_msg *m = c->m;
	const char *p = *pp, *s;
	int r;

	if ((r = parse_version(m, &p, end)) != 0)
		return r;
	for (unsigned int i = 0; i < 4; i++, p++) {
		if (p == end)
			return -EAGAIN;
		if (i == 0 ? *p != ' ' : !DIGIT(*p))
			return bad(m, 400, "invalid status line");
	}
	m->code = (uint16_t)((p[-3] - '0') * 100 + (p[-2] - '0') * 10 + (p[-1] - '0'));
	if (m->code < 100 || m->code > 599)
		return bad(m, 400, "invalid status code");
	if (p == end)
		return -EAGAIN;
	s = p;
	if (*p == ' ') { /* many servers omit the SP of an empty phrase */
		s = p + 1;
		p = scan_text(s, end, 0x20, GW_H1_C_VALUE);
	}
	m->phrase = span(c->buf, s, p);
	if ((r = crlf(m, &p, end)) == -EBADMSG && m->reason == invalid_char)
		m->reason = "invalid status line";
	*pp = p;
	return r;
}

/* Marks the field lines named by Connection options as hop-by-hop. */
static void
mark_conn_opts(const char *buf, struct gw_h1_msg *m)
{
	for (unsigned int i = 0; i < m->n_headers; i++) {
		struct gw_h1_hdr *h = &m->h[i];
		for (unsigned int j = 0; j < m->n_conn_opts; j++) {
			const struct gw_h1_span *o = &m->conn_opts[j];
			if (o->len != h->name_len)
				continue;
			const char *a = buf + o->off, *b = buf + h->name_off;
			unsigned int k = 0;
			while (k < o->len && LOWER(a[k]) == LOWER(b[k]))
				k++;
			if (k == o->len)
				h->flags |= GW_H1_HF_HOP;
		}
	}
}

/* Checks that need the whole head, then decides the framing. */
static int
finish(struct pctx *c, bool request, int req_method)
{
	struct gw_h1_msg *m = c->m;
	bool te = m->hidx[GW_H1_H_TRANSFER_ENCODING] != GW_H1_NO_HDR;
	bool cl = m->hidx[GW_H1_H_CONTENT_LENGTH] != GW_H1_NO_HDR;

	if (te && m->minor == 0)
		return bad(m, 400, "transfer-encoding in http/1.0");
	if (te && cl)
		return bad(m, 400, "content-length with transfer-encoding");
	if (request && m->minor == 1 && m->hidx[GW_H1_H_HOST] == GW_H1_NO_HDR)
		return bad(m, 400, "missing host");
	if (m->n_conn_opts)
		mark_conn_opts(c->buf, m);
	m->keep_alive = !c->conn_close && (m->minor == 1 || c->conn_keep_alive);
	m->body = te ? GW_H1_BODY_CHUNKED : cl ? GW_H1_BODY_LENGTH : GW_H1_BODY_NONE;
	if (request) {
		m->expect_continue = c->expect_100 && m->minor == 1;
		m->upgrade = c->conn_upgrade && m->minor == 1 &&
			     m->hidx[GW_H1_H_UPGRADE] != GW_H1_NO_HDR;
		return 0;
	}
	if (m->code == 101 || (req_method == GW_H1_M_CONNECT && m->code / 100 == 2)) {
		m->upgrade = true;
		m->keep_alive = false;
		m->body = GW_H1_BODY_NONE;
	} else if (req_method == GW_H1_M_HEAD || m->code < 200 || m->code == 204 ||
		   m->code == 304) {
		m->body = GW_H1_BODY_NONE;
	} else if (m->body == GW_H1_BODY_NONE) {
		m->body = GW_H1_BODY_CLOSE;
		m->keep_alive = false;
	}
	return 0;
}

static void
reset(struct gw_h1_msg *m)
{
	memset(m, 0, offsetof(struct gw_h1_msg, conn_opts));
	memset(m->hidx, GW_H1_NO_HDR, sizeof(m->hidx));
	m->content_length = -1;
}

/*
 * Whether bytes from prev_len on could end the head or hold an error, so
 * that a full parse is worth it: an LF ending an empty line, or any byte
 * that cannot stand where a valid head would have it (bare CR or LF, a
 * control). Looks back 3 bytes for a CRLF CRLF split across calls.
 */
static bool
worth_parsing(const char *buf, size_t len, size_t prev_len)
{
	for (size_t i = prev_len >= 3 ? prev_len - 3 : 0; i < len; i++) {
		uint8_t ch = (uint8_t)buf[i];
		if (ch == '\n') {
			if (i == 0 || buf[i - 1] != '\r')
				return true;
			if (i < 3 || (buf[i - 2] == '\n' && buf[i - 3] == '\r'))
				return true;
		} else if (ch == '\r') {
			if (i + 1 < len && buf[i + 1] != '\n')
				return true;
		} else if (!(CL(ch) & GW_H1_C_VALUE)) {
			return true;
		}
	}
	return false;
}

static int
parse_head(const char *buf, size_t len, size_t prev_len, struct gw_h1_msg *m,
	   const struct gw_h1_limits *lim, bool request, int req_method)
{
	size_t max = lim->max_head_bytes;
	size_t n = len < max ? len : max;
	struct pctx c = {.buf = buf, .m = m};
	const char *p = buf;
	int r;

	c.max_headers = lim->max_headers < GW_H1_MAX_HEADERS ? lim->max_headers : GW_H1_MAX_HEADERS;
	/* Below the limit, parse again only when the new bytes could end the head
	 * or hold an error; at the limit always, so the answer is the whole one. */
	if (prev_len != 0 && len < max && (prev_len >= len || !worth_parsing(buf, len, prev_len)))
		return -EAGAIN;
	reset(m);
	r = request ? parse_request_line(&c, &p, buf + n) : parse_status_line(&c, &p, buf + n);
	if (r == 0)
		r = parse_fields(&c, &p, buf + n);
	if (r == -EAGAIN && len >= max)
		return bad(m, 431, "head too large");
	if (r != 0)
		return r;
	m->head_len = (uint32_t)(p - buf);
	if ((r = finish(&c, request, req_method)) != 0)
		return r;
	return (int)m->head_len;
}

int
gw_h1_parse_request(const char *buf, size_t len, size_t prev_len, struct gw_h1_msg *m,
		    const struct gw_h1_limits *lim)
{
	return parse_head(buf, len, prev_len, m, lim, true, GW_H1_M_OTHER);
}

int
gw_h1_parse_response(const char *buf, size_t len, size_t prev_len, enum gw_h1_method req_method,
		     struct gw_h1_msg *m, const struct gw_h1_limits *lim)
{
	return parse_head(buf, len, prev_len, m, lim, false, (int)req_method);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_h1_body.c - where a message body ends (RFC 9112 6-7): a known length,
 * until close, or the chunked coding checked byte by byte as a state machine
 * so any split of the stream (mbuf segments, one byte at a time) gives the
 * same answer. The proxy forwards validated chunked bytes verbatim, so the
 * grammar is the strict one: no whitespace in a chunk line, extensions as
 * token[=token|quoted-string], CRLF only, trailers as field lines without
 * framing fields. Any thread; the state is the caller's.
 */
#include <errno.h>
#include <string.h>

#include "gw_h1.h"

/* Where the chunked decoder is in the grammar. */
enum {
	S_SIZE0,     /* first hex digit of a chunk size */
	S_SIZE,	     /* more hex digits, ';' or CR */
	S_EXT_NAME0, /* after ';': first byte of an extension name */
	S_EXT_NAME,  /* name bytes, '=', ';' or CR */
	S_EXT_VAL0,  /* after '=': a token or a quoted string */
	S_EXT_TOKEN, /* token value bytes, ';' or CR */
	S_EXT_QSTR,  /* inside a quoted string */
	S_EXT_QPAIR, /* after a backslash in a quoted string */
	S_EXT_QEND,  /* after the closing quote: ';' or CR */
	S_SIZE_LF,   /* LF that ends the chunk line */
	S_DATA,	     /* remaining bytes of chunk data */
	S_DATA_CR,   /* CR after the data */
	S_DATA_LF,   /* LF after the data */
	S_TR_LINE0,  /* start of a trailer line, or CR of the final empty line */
	S_TR_NAME,   /* trailer name bytes or ':' */
	S_TR_VALUE,  /* trailer value bytes or CR */
	S_TR_LF,     /* LF that ends a trailer line */
	S_END_LF,    /* LF of the final empty line */
};

#define CL(c) gw_h1_cls[(uint8_t)(c)]

static ssize_t
fail(struct gw_h1_body *b, uint16_t status, const char *reason)
{
	b->status = status;
	b->reason = reason;
	return -EBADMSG;
}

int
gw_h1_body_init(struct gw_h1_body *b, const struct gw_h1_msg *m, const struct gw_h1_limits *lim,
		uint64_t max_body)
{
	unsigned int max_headers =
		lim->max_headers < GW_H1_MAX_HEADERS ? lim->max_headers : GW_H1_MAX_HEADERS;

	memset(b, 0, sizeof(*b));
	b->kind = m->body;
	b->max_body = max_body;
	b->max_trailer_bytes =
		lim->max_head_bytes > m->head_len ? lim->max_head_bytes - m->head_len : 0;
	b->max_trailers = (uint16_t)(max_headers > m->n_headers ? max_headers - m->n_headers : 0);
	switch (b->kind) {
	case GW_H1_BODY_LENGTH:
		b->remaining = m->content_length > 0 ? (uint64_t)m->content_length : 0;
		b->done = b->remaining == 0;
		if (max_body && b->remaining > max_body)
			return (int)fail(b, 413, "content-length above the body limit");
		break;
	case GW_H1_BODY_CHUNKED:
		b->state = S_SIZE0;
		break;
	case GW_H1_BODY_CLOSE:
		break;
	default:
		b->kind = GW_H1_BODY_NONE;
		b->done = true;
	}
	return 0;
}

/* A chunk size line ended: the data that follows, or the trailers. */
static ssize_t
chunk_start(struct gw_h1_body *b)
{
	uint64_t size = b->remaining;

	b->line_len = 0;
	b->size_len = 0;
	if (size == 0) {
		b->state = S_TR_LINE0;
		return 0;
	}
	if (b->max_body && size > b->max_body - b->payload)
		return fail(b, 413, "chunked body above the body limit");
	if (size > UINT64_MAX - b->payload)
		return fail(b, 400, "chunked body too large");
	b->state = S_DATA;
	return 0;
}

/* One byte of a chunk line (size and extensions, before its CR). */
static ssize_t
chunk_line(struct gw_h1_body *b, char ch)
{
	uint8_t c = CL(ch);

	if (++b->line_len > GW_H1_MAX_CHUNK_LINE)
		return fail(b, 400, "chunk line too long");
	if (ch == '\n')
		return fail(b, 400, "bare LF in chunk line");
	switch (b->state) {
	case S_SIZE0:
	case S_SIZE:
		if (c & GW_H1_C_HEX) {
			if (++b->size_len > 16 || (b->remaining >> 59) != 0)
				return fail(b, 400, "chunk size too large");
			b->remaining = (b->remaining << 4) |
				       (uint64_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
			b->state = S_SIZE;
			return 0;
		}
		if (b->state == S_SIZE0)
			return fail(b, 400, "invalid chunk size");
		if (ch == ';')
			b->state = S_EXT_NAME0;
		else if (ch == '\r')
			b->state = S_SIZE_LF;
		else
			return fail(b, 400, "invalid chunk size");
		return 0;
	case S_EXT_NAME0:
	case S_EXT_VAL0:
		if (c & GW_H1_C_TCHAR)
			b->state = b->state == S_EXT_NAME0 ? S_EXT_NAME : S_EXT_TOKEN;
		else if (b->state == S_EXT_VAL0 && ch == '"')
			b->state = S_EXT_QSTR;
		else
			return fail(b, 400, "invalid chunk extension");
		return 0;
	case S_EXT_QSTR:
		if (ch == '"')
			b->state = S_EXT_QEND;
		else if (ch == '\\')
			b->state = S_EXT_QPAIR;
		else if (!(c & GW_H1_C_QDTEXT))
			return fail(b, 400, "invalid chunk extension");
		return 0;
	case S_EXT_QPAIR:
		if (!(c & GW_H1_C_VALUE))
			return fail(b, 400, "invalid chunk extension");
		b->state = S_EXT_QSTR;
		return 0;
	default: /* S_EXT_NAME, S_EXT_TOKEN, S_EXT_QEND */
		if ((c & GW_H1_C_TCHAR) && b->state != S_EXT_QEND)
			return 0;
		if (ch == '=' && b->state == S_EXT_NAME)
			b->state = S_EXT_VAL0;
		else if (ch == ';')
			b->state = S_EXT_NAME0;
		else if (ch == '\r')
			b->state = S_SIZE_LF;
		else
			return fail(b, 400, "invalid chunk extension");
		return 0;
	}
}

/* Trailer names that would change framing or routing if a downstream merged
 * them into the head (RFC 9110 6.5.1); '_' is folded to '-' beforehand. */
static bool
forbidden_trailer(const struct gw_h1_body *b)
{
	static const struct {
		const char *name;
		uint8_t len;
	} no[] = {{"content-length", 14}, {"transfer-encoding", 17}, {"host", 4}};

	for (unsigned int i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (b->tname_len == no[i].len && memcmp(b->tname, no[i].name, no[i].len) == 0)
			return true;
	return false;
}

/* One byte of the trailer section. */
static ssize_t
trailer(struct gw_h1_body *b, char ch)
{
	uint8_t c = CL(ch);

	/* field lines count against the head's limit; the final CRLF does not */
	if (b->state != S_END_LF && (b->state != S_TR_LINE0 || ch != '\r') &&
	    ++b->trailer_bytes > b->max_trailer_bytes)
		return fail(b, 431, "trailers too large");
	if (ch == '\n' && b->state != S_TR_LF && b->state != S_END_LF)
		return fail(b, 400, "bare LF in trailers");
	switch (b->state) {
	case S_TR_LINE0:
		if (ch == '\r') {
			b->state = S_END_LF;
			return 0;
		}
		if (c & GW_H1_C_WS)
			return fail(b, 400, "obs-fold in trailers");
		if (!(c & GW_H1_C_TCHAR))
			return fail(b, 400, "invalid trailer field name");
		if (b->n_trailers == b->max_trailers)
			return fail(b, 431, "too many trailer fields");
		b->n_trailers++;
		b->tname_len = 0;
		b->state = S_TR_NAME;
		/* fall through */
	case S_TR_NAME:
		if (c & GW_H1_C_TCHAR) {
			if (b->tname_len < sizeof(b->tname))
				b->tname[b->tname_len] = ch == '_' ? '-' : (char)(ch | 0x20);
			if (b->tname_len < UINT8_MAX)
				b->tname_len++;
			return 0;
		}
		if (ch != ':')
			return fail(b, 400,
				    c & GW_H1_C_WS ? "whitespace before colon in trailer"
						   : "invalid trailer field name");
		if (forbidden_trailer(b))
			return fail(b, 400, "framing field in trailers");
		b->state = S_TR_VALUE;
		return 0;
	case S_TR_VALUE:
		if (ch == '\r')
			b->state = S_TR_LF;
		else if (!(c & GW_H1_C_VALUE))
			return fail(b, 400, "invalid character in trailer value");
		return 0;
	case S_TR_LF:
		if (ch != '\n')
			return fail(b, 400, "bare CR in trailers");
		b->state = S_TR_LINE0;
		return 0;
	default: /* S_END_LF */
		if (ch != '\n')
			return fail(b, 400, "bare CR in trailers");
		b->done = true;
		return 0;
	}
}

static ssize_t
feed_chunked(struct gw_h1_body *b, const char *p, size_t len)
{
	size_t i = 0;
	ssize_t r = 0;

	while (i < len && !b->done) {
		char ch = p[i];

		switch (b->state) {
		case S_DATA: {
			size_t n = len - i < b->remaining ? len - i : (size_t)b->remaining;
			i += n;
			b->remaining -= n;
			b->payload += n;
			if (b->remaining == 0)
				b->state = S_DATA_CR;
			continue;
		}
		case S_DATA_CR:
		case S_DATA_LF:
			if (ch != (b->state == S_DATA_CR ? '\r' : '\n'))
				return fail(b, 400, "missing CRLF after chunk data");
			b->state = b->state == S_DATA_CR ? S_DATA_LF : S_SIZE0;
			break;
		case S_SIZE_LF:
			if (ch != '\n')
				return fail(b, 400, "bare CR in chunk line");
			r = chunk_start(b);
			break;
		case S_TR_LINE0:
		case S_TR_NAME:
		case S_TR_VALUE:
		case S_TR_LF:
		case S_END_LF:
			r = trailer(b, ch);
			break;
		default:
			r = chunk_line(b, ch);
		}
		if (r < 0)
			return r;
		i++;
	}
	return (ssize_t)i;
}

ssize_t
gw_h1_body_feed(struct gw_h1_body *b, const char *p, size_t len)
{
	size_t n;

	if (b->status != 0)
		return -EBADMSG;
	if (b->done)
		return 0;
	switch (b->kind) {
	case GW_H1_BODY_LENGTH:
		n = len < b->remaining ? len : (size_t)b->remaining;
		b->remaining -= n;
		b->payload += n;
		b->done = b->remaining == 0;
		return (ssize_t)n;
	case GW_H1_BODY_CLOSE:
		/* count up to the limit so every split reports the same payload */
		if (b->max_body && len > b->max_body - b->payload) {
			b->payload = b->max_body;
			return fail(b, 413, "body above the body limit");
		}
		b->payload += len;
		return (ssize_t)len;
	case GW_H1_BODY_CHUNKED:
		return feed_chunked(b, p, len);
	default:
		b->done = true;
		return 0;
	}
}

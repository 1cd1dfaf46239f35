/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_h1.h - the HTTP/1.1 message parser (RFC 9110/9112) the proxy runs on
 * every request and response: heads, body framing, the normalised head it
 * forwards, and the trace headers it adds. Stands alone: no DPDK, no
 * allocation, no locks, no syscalls; callable from any thread, all state is
 * the caller's.
 *
 * Shape (after picohttpparser): a head is parsed from one contiguous buffer
 * that the caller grows and hands in again with the length it had last time;
 * the result names bytes of that buffer by offset (struct gw_h1_msg borrows
 * nothing, offsets stay valid if the caller moves the bytes). A body is then
 * framed incrementally over any split (mbuf segments) by struct gw_h1_body.
 *
 * Strict where smuggling lives: anything two implementations could frame
 * differently is rejected with a status, never repaired. Line ends are CRLF
 * only: a bare LF or a bare CR anywhere in a head, a chunk line or a trailer
 * is an error (RFC 9112 2.2 allows accepting bare LF; we do not, so what we
 * forward can only be read one way).
 */
#ifndef MESHGW_GW_H1_H
#define MESHGW_GW_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GW_H1_MAX_HEADERS    100  /* field lines in one head; more is 431 */
#define GW_H1_MAX_CONN_OPTS  16	  /* header names listed in Connection; more is 400 */
#define GW_H1_MAX_CHUNK_LINE 256  /* chunk size + extensions, bytes before CRLF */
#define GW_H1_NO_HDR	     0xff /* m->hidx[] for a header that is absent */

enum gw_h1_method {
	GW_H1_M_OTHER = 0, /* any other token: forwarded as is */
	GW_H1_M_GET,
	GW_H1_M_HEAD,
	GW_H1_M_POST,
	GW_H1_M_PUT,
	GW_H1_M_DELETE,
	GW_H1_M_CONNECT,
	GW_H1_M_OPTIONS,
	GW_H1_M_TRACE,
	GW_H1_M_PATCH,
};

/* Header fields the parser recognises (names compared case-insensitively);
 * everything else is GW_H1_H_OTHER. */
enum gw_h1_hid {
	GW_H1_H_OTHER = 0,
	GW_H1_H_HOST,
	GW_H1_H_CONTENT_LENGTH,
	GW_H1_H_TRANSFER_ENCODING,
	GW_H1_H_CONNECTION,
	GW_H1_H_TE,
	GW_H1_H_UPGRADE,
	GW_H1_H_TRACEPARENT,
	GW_H1_H_TRACESTATE,
	GW_H1_H_X_REQUEST_ID,
	GW_H1_H_X_FORWARDED_FOR,
	GW_H1_H_X_FORWARDED_PROTO,
	GW_H1_H_KEEP_ALIVE,
	GW_H1_H_PROXY_CONNECTION,
	GW_H1_H_TRAILER,
	GW_H1_H_EXPECT,
	GW_H1_H_COUNT
};

/* How the body after a head is delimited. */
enum gw_h1_body_kind {
	GW_H1_BODY_NONE = 0, /* no body: the next byte starts the next message */
	GW_H1_BODY_LENGTH,   /* content_length bytes */
	GW_H1_BODY_CHUNKED,  /* chunked coding, ends with the last chunk and trailers */
	GW_H1_BODY_CLOSE,    /* response read until the server closes */
};

/*
 * Character classes of the parser files (gw_h1_head.c holds the table), also
 * usable by callers that check bytes they add to a head.
 */
#define GW_H1_C_TCHAR  0x01 /* token (RFC 9110 5.6.2) */
#define GW_H1_C_VALUE  0x02 /* field-value byte: VCHAR, obs-text, SP, HTAB */
#define GW_H1_C_TARGET 0x04 /* request-target byte: VCHAR, obs-text */
#define GW_H1_C_HOST   0x08 /* Host value byte: unreserved, sub-delims, % : [ ] */
#define GW_H1_C_WS     0x10 /* SP, HTAB */
#define GW_H1_C_HEX    0x20 /* HEXDIG */
#define GW_H1_C_QDTEXT 0x40 /* quoted-string text: VALUE minus '"' and '\\' */
extern const uint8_t gw_h1_cls[256];

/* A run of the parsed buffer. */
struct gw_h1_span {
	uint32_t off;
	uint32_t len;
};

#define GW_H1_HF_HOP 0x01 /* hop-by-hop: the writers never forward it */

/* One field line: name and value (OWS trimmed) as offsets into the buffer. */
struct gw_h1_hdr {
	uint32_t name_off;
	uint32_t value_off;
	uint32_t value_len;
	uint16_t name_len;
	uint8_t id;    /* enum gw_h1_hid */
	uint8_t flags; /* GW_H1_HF_* */
};

/* A header the caller adds to a written head (bytes it owns). */
struct gw_h1_field {
	const char *name;
	const char *value;
	uint32_t name_len;
	uint32_t value_len;
};

struct gw_h1_limits {
	uint32_t max_head_bytes; /* start line + fields + final CRLF; longer is 431 */
	uint16_t max_headers;	 /* field lines, at most GW_H1_MAX_HEADERS; more is 431 */
};

/*
 * A parsed head (about 1.8 KiB: one per connection leg, not per call).
 * Filled by gw_h1_parse_request/response; on -EBADMSG only status and reason
 * are meaningful, on -EAGAIN nothing is. Spans are offsets into the buffer
 * that was parsed.
 */
struct gw_h1_msg {
	uint16_t status;    /* on -EBADMSG: 400, 431, 501 or 505 */
	const char *reason; /* on -EBADMSG: static text, e.g. "duplicate content-length" */
	uint32_t head_len;  /* bytes through the final CRLF CRLF (also the return value) */

	/* start line */
	uint8_t method;		  /* request: enum gw_h1_method */
	uint8_t minor;		  /* HTTP/1.<minor>: 0 or 1 */
	uint16_t code;		  /* response: 100..599 */
	struct gw_h1_span mtoken; /* request: the method token */
	struct gw_h1_span target; /* request: the request-target */
	struct gw_h1_span phrase; /* response: the reason phrase (may be empty) */

	/* framing and connection */
	uint8_t body;		/* enum gw_h1_body_kind */
	int64_t content_length; /* -1 when absent */
	bool chunked;		/* Transfer-Encoding: chunked */
	bool keep_alive;	/* persistent after this message (version, Connection) */
	bool expect_continue;	/* request: HTTP/1.1 with Expect: 100-continue */
	bool upgrade;		/* request: Connection: upgrade + Upgrade; response: 101, or
				 * 2xx to CONNECT (the connection becomes a tunnel) */

	uint8_t hidx[GW_H1_H_COUNT]; /* first field line of each id, GW_H1_NO_HDR if none */
	uint32_t dup_mask;	     /* bit (1 << id): that id occurs more than once */
	uint8_t n_conn_opts;
	uint16_t n_headers;
	/* cleared up to here by each parse */
	struct gw_h1_span conn_opts[GW_H1_MAX_CONN_OPTS]; /* names listed in Connection */
	struct gw_h1_hdr h[GW_H1_MAX_HEADERS];
};

/*
 * Parses a request head at the start of buf[0..len). prev_len is the length
 * given to the previous call on the same message (0 the first time): bytes
 * before it are not rescanned for the end of the head. Returns the head
 * length (> 0) when complete, -EAGAIN when more bytes are needed, or
 * -EBADMSG with m->status and m->reason (431 once len reaches
 * lim->max_head_bytes, which must be > 0, without a complete head). Empty
 * lines before the request line are skipped and counted in the head length.
 * Bytes after the head are not looked at. m may be reused without clearing.
 *
 * The whole buffer is parsed when the first call is made and whenever the
 * new bytes could end the head or are out of place (a control, a bare CR or
 * LF), so a head in one segment costs one pass; an error among later bytes
 * that look like field text is reported when the head ends or reaches the
 * limit. buf[0..prev_len) must be the bytes given before.
 */
int gw_h1_parse_request(const char *buf, size_t len, size_t prev_len, struct gw_h1_msg *m,
			const struct gw_h1_limits *lim);

/*
 * The same for a response to a request with method req_method: 1xx, 204,
 * 304 and responses to HEAD have no body whatever the framing headers say
 * (they are still validated), a 2xx to CONNECT or a 101 is a tunnel
 * (m->upgrade), and a response without Content-Length or Transfer-Encoding is
 * read until the server closes (keep_alive false). The same rules as for
 * requests; the proxy answers a bad response with 502 whatever m->status is.
 */
int gw_h1_parse_response(const char *buf, size_t len, size_t prev_len, enum gw_h1_method req_method,
			 struct gw_h1_msg *m, const struct gw_h1_limits *lim);

/* The value of field line i as a pointer into the parsed buffer. */
static inline const char *
gw_h1_value(const char *buf, const struct gw_h1_msg *m, unsigned int i, uint32_t *len)
{
	*len = m->h[i].value_len;
	return buf + m->h[i].value_off;
}

/*
 * Body framing state for one message: a chunked body is validated byte by
 * byte (sizes, extensions, the CRLF after the data, trailers as field lines)
 * so what the proxy forwards verbatim can only be framed one way.
 */
struct gw_h1_body {
	uint8_t kind;	    /* enum gw_h1_body_kind */
	uint8_t state;	    /* chunked: where in the grammar (gw_h1_body.c) */
	bool done;	    /* the message ended: later bytes belong to the next one */
	uint8_t size_len;   /* hex digits of the current chunk size */
	uint16_t status;    /* after -EBADMSG: 400, 413 or 431 (sticky) */
	uint16_t line_len;  /* bytes of the current chunk line */
	const char *reason; /* after -EBADMSG: static text */
	uint64_t remaining; /* length: bytes left; chunked: data left in this chunk */
	uint64_t payload;   /* body bytes so far, chunk framing excluded */
	uint64_t max_body;  /* 0: unlimited; above it is 413 */
	uint32_t trailer_bytes, max_trailer_bytes;
	uint16_t n_trailers, max_trailers;
	uint8_t tname_len; /* current trailer name, folded, while it could be a framing name */
	char tname[18];
};

/*
 * Starts framing the body of m (after gw_h1_parse_*). max_body bounds the
 * payload (0: no bound); trailers count against what the head left of lim.
 * Returns 0, or -EBADMSG with b->status 413 when m's Content-Length is
 * already above max_body.
 */
int gw_h1_body_init(struct gw_h1_body *b, const struct gw_h1_msg *m, const struct gw_h1_limits *lim,
		    uint64_t max_body);

/*
 * Frames the next len bytes of the stream. Returns how many of them belong
 * to this message (the rest start the next one; b->done tells whether it
 * ended), or -EBADMSG with b->status and b->reason, sticky. After done it
 * returns 0. Any split of the stream gives the same result.
 */
ssize_t gw_h1_body_feed(struct gw_h1_body *b, const char *p, size_t len);

/* Flags of the writers. */
#define GW_H1_W_DROP_X_REQUEST_ID      0x01 /* the caller gives x-request-id */
#define GW_H1_W_DROP_TRACEPARENT       0x02 /* ... traceparent */
#define GW_H1_W_DROP_X_FORWARDED_FOR   0x04 /* ... x-forwarded-for (every line) */
#define GW_H1_W_DROP_X_FORWARDED_PROTO 0x08 /* ... x-forwarded-proto */
#define GW_H1_W_UPGRADE		       0x10 /* pass the upgrade on: keep Upgrade */
#define GW_H1_W_CLOSE		       0x20 /* Connection: close, not keep-alive */
#define GW_H1_W_HTTP10                                                                             \
	0x40 /* request line as HTTP/1.0: for a 1.0 client,                                        \
	      * so the response is not chunked */

/*
 * Writes the head of m (parsed from buf) as the proxy forwards it: request
 * line as HTTP/1.1 (HTTP/1.0 with GW_H1_W_HTTP10), the field lines in order minus hop-by-hop ones
 * (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade unless
 * GW_H1_W_UPGRADE, and every name listed in Connection) and minus those the
 * flags drop, then extra[0..n_extra), then "Connection: upgrade" (with
 * GW_H1_W_UPGRADE), "close" (GW_H1_W_CLOSE) or "keep-alive", then CRLF.
 * Field lines are written "name: value"; Transfer-Encoding is written
 * "chunked" and Content-Length in plain decimal, so the next hop reads the
 * framing we checked. Returns the bytes written to out, -ENOSPC when cap is
 * too small (out then holds garbage), or -EINVAL when an extra field has a
 * name that is not a token or a value with a control (a CR or LF would
 * inject a line). The caller adds Host (an HTTP/1.0 request may lack it) and
 * must not forward a chunked response to an HTTP/1.0 client as is.
 */
int gw_h1_write_request_head(const char *buf, const struct gw_h1_msg *m,
			     const struct gw_h1_field *extra, unsigned int n_extra,
			     unsigned int flags, char *out, size_t cap);

/* The same for a response: status line as HTTP/1.1 with m's code and phrase. */
int gw_h1_write_response_head(const char *buf, const struct gw_h1_msg *m,
			      const struct gw_h1_field *extra, unsigned int n_extra,
			      unsigned int flags, char *out, size_t cap);

/* What a route changes in a written head: fields added after the others,
 * fields dropped by name (lower-case; framing fields are never dropped) and,
 * for a request, a replacement request-target (a path prefix rewrite). */
struct gw_h1_wopts {
	const struct gw_h1_field *extra;
	unsigned int n_extra;
	const char *const *drop;
	unsigned int n_drop;
	const char *target; /* NULL: m's own */
	uint32_t target_len;
};

/* The writers above with options; -EINVAL also for a target with a space or
 * a control. */
int gw_h1_write_request_head_opts(const char *buf, const struct gw_h1_msg *m,
				  const struct gw_h1_wopts *o, unsigned int flags, char *out,
				  size_t cap);
int gw_h1_write_response_head_opts(const char *buf, const struct gw_h1_msg *m,
				   const struct gw_h1_wopts *o, unsigned int flags, char *out,
				   size_t cap);

/* A worker's random source (splitmix64): seed it once, then one per caller. */
struct gw_h1_rand {
	uint64_t s;
};

uint64_t gw_h1_rand_next(struct gw_h1_rand *r);

#define GW_H1_TRACEPARENT_LEN 55 /* "00-" 32 hex "-" 16 hex "-" 2 hex */
#define GW_H1_REQUEST_ID_LEN  36 /* UUID: 8-4-4-4-12 lowercase hex */

/* A W3C trace context (traceparent, https://www.w3.org/TR/trace-context/). */
struct gw_h1_trace {
	uint64_t trace_hi, trace_lo; /* trace-id, never both 0 */
	uint64_t span;		     /* parent-id as received, or our span id */
	uint8_t flags;
};

/*
 * Parses a traceparent value: version 00 is exactly 55 characters of lowercase
 * hex and dashes; a higher version (not ff) is read from its first 55
 * characters when it is either exactly that long or followed by '-'. All-zero
 * trace or parent ids are invalid. Returns 0 or -EINVAL (treat as absent).
 */
int gw_h1_trace_parse(const char *v, size_t len, struct gw_h1_trace *t);

/* The context of the next hop: in's trace id and flags with a new span id, or
 * with in NULL a new trace (flags 01 when sampled). */
void gw_h1_trace_next(const struct gw_h1_trace *in, bool sampled, struct gw_h1_rand *r,
		      struct gw_h1_trace *out);

/* Writes t as a version 00 traceparent value: out[GW_H1_TRACEPARENT_LEN]. */
void gw_h1_trace_format(const struct gw_h1_trace *t, char *out);

/* Writes a random (version 4) UUID: out[GW_H1_REQUEST_ID_LEN]. */
void gw_h1_request_id(struct gw_h1_rand *r, char *out);

#endif /* MESHGW_GW_H1_H */

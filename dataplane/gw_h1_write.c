/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_h1_write.c - the head the proxy forwards, rebuilt from a parsed one:
 * HTTP/1.1 start line, field lines in their order as "name: value" minus the
 * hop-by-hop ones and those the caller replaces, the caller's fields, our
 * Connection. Framing fields are rewritten in canonical form
 * ("Transfer-Encoding: chunked", Content-Length in plain decimal) so the next
 * hop reads exactly the framing we validated. Any thread.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "gw_h1.h"

struct wbuf {
	char *p, *end;
	bool full;
};

static inline void
put(struct wbuf *w, const char *s, size_t n)
{
	if ((size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

#define PUTS(w, lit) put(w, lit, sizeof(lit) - 1)

static void
put_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + i, sizeof(tmp) - i);
}

/* Caller fields go out verbatim: a name must be a token and a value field
 * text, so a bad caller cannot inject a line. */
static bool
field_ok(const struct gw_h1_field *f)
{
	if (f->name_len == 0)
		return false;
	for (uint32_t i = 0; i < f->name_len; i++)
		if (!(gw_h1_cls[(uint8_t)f->name[i]] & GW_H1_C_TCHAR))
			return false;
	for (uint32_t i = 0; i < f->value_len; i++)
		if (!(gw_h1_cls[(uint8_t)f->value[i]] & GW_H1_C_VALUE))
			return false;
	return true;
}

/* Is the field named by one of the caller's lower-case names? */
static bool
named(const char *buf, const struct gw_h1_hdr *h, const struct gw_h1_wopts *o)
{
	for (unsigned int i = 0; i < o->n_drop; i++) {
		const char *d = o->drop[i];
		uint32_t j = 0;

		while (j < h->name_len && d[j] != '\0') {
			char c = buf[h->name_off + j];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != d[j])
				break;
			j++;
		}
		if (j == h->name_len && d[j] == '\0')
			return true;
	}
	return false;
}

static bool
dropped(const struct gw_h1_hdr *h, unsigned int flags)
{
	if (h->id == GW_H1_H_UPGRADE && (flags & GW_H1_W_UPGRADE))
		return false;
	if (h->flags & GW_H1_HF_HOP)
		return true;
	switch (h->id) {
	case GW_H1_H_X_REQUEST_ID:
		return flags & GW_H1_W_DROP_X_REQUEST_ID;
	case GW_H1_H_TRACEPARENT:
		return flags & GW_H1_W_DROP_TRACEPARENT;
	case GW_H1_H_X_FORWARDED_FOR:
		return flags & GW_H1_W_DROP_X_FORWARDED_FOR;
	case GW_H1_H_X_FORWARDED_PROTO:
		return flags & GW_H1_W_DROP_X_FORWARDED_PROTO;
	default:
		return false;
	}
}

/* Field lines, caller fields, Connection and the empty line. */
static int
put_fields(struct wbuf *w, const char *buf, const struct gw_h1_msg *m, const struct gw_h1_wopts *o,
	   unsigned int flags)
{
	const struct gw_h1_field *extra = o->extra;
	unsigned int n_extra = o->n_extra;

	for (unsigned int i = 0; i < m->n_headers; i++) {
		const struct gw_h1_hdr *h = &m->h[i];
		if (dropped(h, flags))
			continue;
		/* framing fields stay: the body we forward depends on them */
		if (o->n_drop > 0 && h->id != GW_H1_H_TRANSFER_ENCODING &&
		    h->id != GW_H1_H_CONTENT_LENGTH && named(buf, h, o))
			continue;
		put(w, buf + h->name_off, h->name_len);
		PUTS(w, ": ");
		if (h->id == GW_H1_H_TRANSFER_ENCODING)
			PUTS(w, "chunked");
		else if (h->id == GW_H1_H_CONTENT_LENGTH)
			put_u64(w, (uint64_t)m->content_length);
		else
			put(w, buf + h->value_off, h->value_len);
		PUTS(w, "\r\n");
	}
	for (unsigned int i = 0; i < n_extra; i++) {
		if (!field_ok(&extra[i]))
			return -EINVAL;
		put(w, extra[i].name, extra[i].name_len);
		PUTS(w, ": ");
		put(w, extra[i].value, extra[i].value_len);
		PUTS(w, "\r\n");
	}
	if (flags & GW_H1_W_UPGRADE)
		PUTS(w, "Connection: upgrade\r\n\r\n");
	else if (flags & GW_H1_W_CLOSE)
		PUTS(w, "Connection: close\r\n\r\n");
	else
		PUTS(w, "Connection: keep-alive\r\n\r\n");
	return 0;
}

static int
done(const struct wbuf *w, char *out, int r)
{
	if (r != 0)
		return r;
	if (w->full)
		return -ENOSPC;
	return (int)(w->p - out);
}

int
gw_h1_write_request_head_opts(const char *buf, const struct gw_h1_msg *m,
			      const struct gw_h1_wopts *o, unsigned int flags, char *out,
			      size_t cap)
{
	struct wbuf w = {out, out + (cap < INT_MAX ? cap : INT_MAX), false};

	put(&w, buf + m->mtoken.off, m->mtoken.len);
	PUTS(&w, " ");
	if (o->target != NULL) {
		for (uint32_t i = 0; i < o->target_len; i++)
			if (!(gw_h1_cls[(uint8_t)o->target[i]] & GW_H1_C_VALUE) ||
			    o->target[i] == ' ' || o->target[i] == '\t')
				return -EINVAL;
		put(&w, o->target, o->target_len);
	} else {
		put(&w, buf + m->target.off, m->target.len);
	}
	if (flags & GW_H1_W_HTTP10)
		PUTS(&w, " HTTP/1.0\r\n");
	else
		PUTS(&w, " HTTP/1.1\r\n");
	return done(&w, out, put_fields(&w, buf, m, o, flags));
}

int
gw_h1_write_request_head(const char *buf, const struct gw_h1_msg *m,
			 const struct gw_h1_field *extra, unsigned int n_extra, unsigned int flags,
			 char *out, size_t cap)
{
	struct gw_h1_wopts o = {.extra = extra, .n_extra = n_extra};

	return gw_h1_write_request_head_opts(buf, m, &o, flags, out, cap);
}

int
gw_h1_write_response_head(const char *buf, const struct gw_h1_msg *m,
			  const struct gw_h1_field *extra, unsigned int n_extra, unsigned int flags,
			  char *out, size_t cap)
{
	struct gw_h1_wopts o = {.extra = extra, .n_extra = n_extra};

	return gw_h1_write_response_head_opts(buf, m, &o, flags, out, cap);
}

int
gw_h1_write_response_head_opts(const char *buf, const struct gw_h1_msg *m,
			       const struct gw_h1_wopts *o, unsigned int flags, char *out,
			       size_t cap)
{
	struct wbuf w = {out, out + (cap < INT_MAX ? cap : INT_MAX), false};
	char code[3] = {(char)('0' + m->code / 100), (char)('0' + m->code / 10 % 10),
			(char)('0' + m->code % 10)};

	PUTS(&w, "HTTP/1.1 ");
	put(&w, code, 3);
	PUTS(&w, " ");
	put(&w, buf + m->phrase.off, m->phrase.len);
	PUTS(&w, "\r\n");
	return done(&w, out, put_fields(&w, buf, m, o, flags));
}

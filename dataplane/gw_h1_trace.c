/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_h1_trace.c - request ids and W3C trace context (traceparent, Trace
 * Context Level 1, section 3.2) for the headers the proxy adds. Randomness
 * comes from the caller's splitmix64 state (one per worker): no syscalls, no
 * locks, and tests can replay it. Any thread.
 */
#include <errno.h>
#include <string.h>

#include "gw_h1.h"

static const char hexdig[] = "0123456789abcdef";

/* splitmix64 (Steele, Lea, Flood 2014): one add and a mixing function; every
 * seed gives a full-period sequence. */
uint64_t
gw_h1_rand_next(struct gw_h1_rand *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* n lowercase hex digits (n <= 16) into *v; false on anything else. */
static bool
hex_field(const char *s, unsigned int n, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned int i = 0; i < n; i++) {
		char c = s[i];
		unsigned int d;
		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

int
gw_h1_trace_parse(const char *v, size_t len, struct gw_h1_trace *t)
{
	uint64_t version, flags;

	if (len < GW_H1_TRACEPARENT_LEN || !hex_field(v, 2, &version) || version == 0xff)
		return -EINVAL;
	/* version 00 is exactly 55 long; a later version may append "-..." */
	if (version == 0 ? len != GW_H1_TRACEPARENT_LEN
			 : len > GW_H1_TRACEPARENT_LEN && v[GW_H1_TRACEPARENT_LEN] != '-')
		return -EINVAL;
	if (v[2] != '-' || v[35] != '-' || v[52] != '-' || !hex_field(v + 3, 16, &t->trace_hi) ||
	    !hex_field(v + 19, 16, &t->trace_lo) || !hex_field(v + 36, 16, &t->span) ||
	    !hex_field(v + 53, 2, &flags))
		return -EINVAL;
	if ((t->trace_hi | t->trace_lo) == 0 || t->span == 0)
		return -EINVAL;
	t->flags = (uint8_t)flags;
	return 0;
}

static uint64_t
nonzero(struct gw_h1_rand *r)
{
	uint64_t v;

	while ((v = gw_h1_rand_next(r)) == 0)
		;
	return v;
}

void
gw_h1_trace_next(const struct gw_h1_trace *in, bool sampled, struct gw_h1_rand *r,
		 struct gw_h1_trace *out)
{
	if (in != NULL) {
		out->trace_hi = in->trace_hi;
		out->trace_lo = in->trace_lo;
		out->flags = in->flags;
	} else {
		out->trace_hi = gw_h1_rand_next(r);
		out->trace_lo = nonzero(r);
		out->flags = sampled ? 0x01 : 0x00;
	}
	out->span = nonzero(r);
}

static void
put_hex(char *out, uint64_t v, unsigned int n)
{
	for (unsigned int i = n; i-- > 0; v >>= 4)
		out[i] = hexdig[v & 0xf];
}

void
gw_h1_trace_format(const struct gw_h1_trace *t, char *out)
{
	memcpy(out, "00-", 3);
	put_hex(out + 3, t->trace_hi, 16);
	put_hex(out + 19, t->trace_lo, 16);
	out[35] = '-';
	put_hex(out + 36, t->span, 16);
	out[52] = '-';
	put_hex(out + 53, t->flags, 2);
}

/* RFC 9562 5.4: 122 random bits, version 4, variant 10. */
void
gw_h1_request_id(struct gw_h1_rand *r, char *out)
{
	uint64_t hi = gw_h1_rand_next(r), lo = gw_h1_rand_next(r);

	hi = (hi & ~0xf000ull) | 0x4000ull;
	lo = (lo & ~(3ull << 62)) | (2ull << 62);
	put_hex(out, hi >> 32, 8);
	out[8] = '-';
	put_hex(out + 9, hi >> 16, 4);
	out[13] = '-';
	put_hex(out + 14, hi, 4);
	out[18] = '-';
	put_hex(out + 19, lo >> 48, 4);
	out[23] = '-';
	put_hex(out + 24, lo, 12);
}

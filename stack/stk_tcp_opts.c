/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_opts.c - TCP option parsing and writing: MSS, window scale,
 * SACK-permitted, SACK blocks (written by the receiver; parsed, but the
 * sender's scoreboard is part 2) and timestamps. Pure functions over caller buffers: any thread.
 */
#include <errno.h>
#include <string.h>

#include "stk_tcp_internal.h"

#define OPT_EOL	   0
#define OPT_NOP	   1
#define OPT_MSS	   2
#define OPT_WS	   3
#define OPT_SACKOK 4
#define OPT_SACK   5
#define OPT_TS	   8

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One option of olen bytes at p (kind and length included). */
static void
parse_one(const uint8_t *p, uint8_t olen, struct tcp_opts *o)
{
	switch (p[0]) {
	case OPT_MSS:
		if (olen == 4) {
			o->flags |= TCP_OPT_F_MSS;
			o->mss = get16(p + 2);
		}
		break;
	case OPT_WS:
		if (olen == 3) {
			o->flags |= TCP_OPT_F_WSCALE;
			/* RFC 7323 2.3: larger shifts are taken as 14 */
			o->wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
		}
		break;
	case OPT_SACKOK:
		if (olen == 2)
			o->flags |= TCP_OPT_F_SACKOK;
		break;
	case OPT_SACK:
		if (olen >= 10 && (olen - 2) % 8 == 0 && olen <= 2 + 8 * TCP_SACK_MAX) {
			o->flags |= TCP_OPT_F_SACK;
			o->n_sack = (uint8_t)((olen - 2) / 8);
			for (unsigned int i = 0; i < o->n_sack; i++) {
				o->sack[i].left = get32(p + 2 + 8 * i);
				o->sack[i].right = get32(p + 6 + 8 * i);
			}
		}
		break;
	case OPT_TS:
		if (olen == 10) {
			o->flags |= TCP_OPT_F_TS;
			o->tsval = get32(p + 2);
			o->tsecr = get32(p + 6);
		}
		break;
	default: /* unknown options are skipped (RFC 9293 3.1, MUST-6) */
		break;
	}
}

int
tcp_opts_parse(const uint8_t *p, unsigned int len, struct tcp_opts *o)
{
	unsigned int i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t olen;

		if (p[i] == OPT_EOL)
			break;
		if (p[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EBADMSG; /* a kind without its length byte */
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -EBADMSG; /* MUST-7: an illegal length must not hurt us */
		parse_one(p + i, olen, o);
		i += olen;
	}
	return 0;
}

unsigned int
tcp_opts_write(uint8_t *p, const struct tcp_opts *o)
{
	unsigned int n = 0;

	if (o->flags & TCP_OPT_F_MSS) {
		p[n++] = OPT_MSS;
		p[n++] = 4;
		put16(p + n, o->mss);
		n += 2;
	}
	/* SACKOK takes the two bytes the timestamp option would pad with NOPs */
	if ((o->flags & TCP_OPT_F_SACKOK) && (o->flags & TCP_OPT_F_TS)) {
		p[n++] = OPT_SACKOK;
		p[n++] = 2;
	} else if (o->flags & (TCP_OPT_F_SACKOK | TCP_OPT_F_TS)) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		if (o->flags & TCP_OPT_F_SACKOK) {
			p[n++] = OPT_SACKOK;
			p[n++] = 2;
		}
	}
	if (o->flags & TCP_OPT_F_TS) {
		p[n++] = OPT_TS;
		p[n++] = 10;
		put32(p + n, o->tsval);
		put32(p + n + 4, o->tsecr);
		n += 8;
	}
	if (o->flags & TCP_OPT_F_WSCALE) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WS;
		p[n++] = 3;
		p[n++] = o->wscale;
	}
	if (o->n_sack != 0 && !(o->flags & TCP_OPT_F_MSS)) {
		/* RFC 2018 3: NOP NOP SACK; as many blocks as the space holds */
		unsigned int k = RTE_MIN((unsigned int)o->n_sack, (TCP_OPT_MAX - n - 4) / 8);

		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK;
		p[n++] = (uint8_t)(2 + 8 * k);
		for (unsigned int i = 0; i < k; i++) {
			put32(p + n, o->sack[i].left);
			put32(p + n + 4, o->sack[i].right);
			n += 8;
		}
	}
	return n;
}

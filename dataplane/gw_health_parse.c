/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_health_parse.c - the pure pieces of active health checks (see
 * gw_health.h): the status-line parser, expected statuses, which worker
 * checks an endpoint, and reason names. No DPDK, no state: unit tests and
 * the fuzz harness link this file alone.
 */
#include <errno.h>

#include "ctl_config.h"
#include "gw_health.h"

static const char *const reason_names[GW_HC_REASON_MAX] = {
	[GW_HC_OK] = "ok",
	[GW_HC_CONNECT_REFUSED] = "connect_refused",
	[GW_HC_CONNECT_TIMEOUT] = "connect_timeout",
	[GW_HC_UNREACHABLE] = "unreachable",
	[GW_HC_RESET] = "reset",
	[GW_HC_TIMEOUT] = "timeout",
	[GW_HC_BAD_STATUS] = "bad_status",
	[GW_HC_BAD_RESPONSE] = "bad_response",
	[GW_HC_CLOSED] = "closed",
};

const char *
gw_health_reason_name(unsigned int reason)
{
	return reason < GW_HC_REASON_MAX ? reason_names[reason] : "unknown";
}

static bool
digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Byte i of "HTTP/1.d ddd" and the byte after it: a table of positions
 * rather than a scan, so a hostile byte anywhere is refused where it
 * stands and nothing past GW_HC_STATUS_MIN is read. */
static bool
byte_ok(size_t i, uint8_t c)
{
	static const char prefix[] = "HTTP/1.";

	if (i < sizeof(prefix) - 1)
		return c == (uint8_t)prefix[i];
	switch (i) {
	case 7: /* minor version */
	case 10:
	case 11:
		return digit(c);
	case 8:
		return c == ' ';
	case 9: /* the status class: 1xx..5xx */
		return c >= '1' && c <= '5';
	default: /* 12: the reason phrase may be empty, or even the SP before it */
		return c == ' ' || c == '\r' || c == '\n';
	}
}

int
gw_health_parse_status(const uint8_t *buf, size_t len, uint16_t *status)
{
	size_t n = len < GW_HC_STATUS_MIN ? len : GW_HC_STATUS_MIN;

	for (size_t i = 0; i < n; i++)
		if (!byte_ok(i, buf[i]))
			return -EBADMSG;
	if (len < GW_HC_STATUS_MIN)
		return -EAGAIN;
	*status = (uint16_t)((buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0'));
	return GW_HC_STATUS_MIN;
}

bool
gw_health_status_ok(const struct ctl_health_conf *conf, uint16_t status)
{
	for (unsigned int i = 0; i < conf->n_statuses && i < CTL_HEALTH_MAX_STATUSES; i++)
		if (status >= conf->statuses[i].lo && status <= conf->statuses[i].hi)
			return true;
	return false;
}

/* FNV-1a over the identity, then a 64-bit finalizer (splitmix64) so that
 * every bit of the key reaches the low bits a modulo keeps. */
uint64_t
gw_health_key(const char *cluster, uint32_t addr, uint16_t port)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t tail[6] = {(uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8),
			   (uint8_t)addr,	  (uint8_t)(port >> 8),	 (uint8_t)port};

	for (const char *p = cluster; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* end of the name: "a"+"b.." != "ab"+".." */
	for (size_t i = 0; i < sizeof(tail); i++)
		h = (h ^ tail[i]) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

unsigned int
gw_health_owner(const char *cluster, uint32_t addr, uint16_t port, unsigned int n_workers)
{
	if (n_workers <= 1)
		return 0;
	return (unsigned int)(gw_health_key(cluster, addr, port) % n_workers);
}

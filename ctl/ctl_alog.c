/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_alog.c - the L4 access log writer on the control thread: every tick
 * it takes the workers' records (gw_alog.h), writes one JSON line each to
 * log.access_log, and returns them to their pools. `meshgwctl log reopen`
 * (wire: log-reopen) closes and reopens the file, for logrotate.
 *
 * A line: {"ts":"2026-11-25T10:00:00.123Z","duration_ms":12,"worker":0,
 *   "service":"web","cluster":"web","client":"10.0.0.2:41000",
 *   "vip":"10.96.0.10:80","upstream_local":"10.0.0.1:33000",
 *   "endpoint":"10.0.1.2:8080","attempts":1,"bytes_to_upstream":77,
 *   "bytes_to_client":850,"reason":"closed","kind":"tcp"}
 * and one per HTTP request ("kind":"http", gw_http.h):
 *   {"ts":...,"kind":"http","duration_ms":3,"worker":0,"service":"web",
 *    "cluster":"web","client":"10.0.0.2:41000","request_id":"...",
 *    "trace_id":"<32 hex>","method":"GET","authority":"web","path":"/",
 *    "status":200,"bytes_in":77,"bytes_out":850,"endpoint":"10.0.1.2:8080",
 *    "attempts":1,"flags":"reused"}
 * Request fields come from the client: escaped byte by byte (bytes past
 * 0x7f as \u00XX, Latin-1), so a line is always valid JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "ctl_daemon.h"
#include "gw_alog.h"
#include "gw_log.h"

#define DRAIN_MAX 512 /* records per worker per tick */

static FILE *alog_file;
static struct timespec real0;
static uint64_t tsc0;
static uint64_t written, write_errors;

static void
fmt_ap(char *buf, size_t n, uint32_t a, uint16_t port)
{
	snprintf(buf, n, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
		 port);
}

static void
fmt_ts(char *buf, size_t n, uint64_t tsc, uint64_t hz)
{
	uint64_t ns = tsc > tsc0 ? (tsc - tsc0) / (hz / 1000000) * 1000 : 0;
	time_t sec = real0.tv_sec + (time_t)((real0.tv_nsec + ns) / 1000000000);
	unsigned int ms = (unsigned int)(((real0.tv_nsec + ns) % 1000000000) / 1000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

/* s as a JSON string body (no quotes) into out[cap]. */
static void
json_esc(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

static void
fmt_flags(char *buf, size_t n, uint32_t flags)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < GW_ALOG_N_FLAGS && used < n; b++)
		if (flags & (1u << b))
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "",
						 gw_alog_flag_name(b));
}

static void
write_http(struct ctl_daemon *d, const struct gw_alog_rec *r)
{
	const struct gw_alog_http *h = &r->http;
	char ts[64], client[24], ep[24], flags[160];
	char method[sizeof(h->method) * 6], rid[sizeof(h->request_id) * 6];
	char auth[sizeof(h->authority) * 6], path[sizeof(h->path) * 6];
	uint64_t hz = d->dp.hz;

	fmt_ts(ts, sizeof(ts), r->start_tsc, hz);
	fmt_ap(client, sizeof(client), r->caddr, r->cport);
	fmt_ap(ep, sizeof(ep), r->eaddr, r->eport);
	json_esc(method, sizeof(method), h->method);
	json_esc(rid, sizeof(rid), h->request_id);
	json_esc(auth, sizeof(auth), h->authority);
	json_esc(path, sizeof(path), h->path);
	fmt_flags(flags, sizeof(flags), h->flags);
	/* names by slot: the record may come from an older generation's
	 * connection; route labels are "table/route", config names (no escaping) */
	const char *route =
		h->route > 0 ? gw_slots_label(d->dp.slots, GW_SLOT_ROUTE, h->route - 1) : NULL;
	bool no_cluster = r->cluster == GW_ALOG_NO_CLUSTER;

	if (route != NULL && strchr(route, '/') != NULL)
		route = strchr(route, '/') + 1;
	if (fprintf(alog_file,
		    "{\"ts\":\"%s\",\"kind\":\"http\",\"duration_ms\":%" PRIu64
		    ",\"worker\":%u,\"service\":\"%s\",\"cluster\":\"%s\",\"client\":\"%s\","
		    "\"request_id\":\"%s\",\"trace_id\":\"%s\",\"method\":\"%s\","
		    "\"authority\":\"%s\",\"path\":\"%s\",\"status\":%u,\"bytes_in\":%" PRIu64
		    ",\"bytes_out\":%" PRIu64 ",\"endpoint\":%s%s%s,\"attempts\":%u,"
		    "\"route\":%s%s%s,\"retries\":%u,\"flags\":\"%s\"}\n",
		    ts, (r->end_tsc - r->start_tsc) / (hz / 1000), r->worker,
		    gw_slots_label(d->dp.slots, GW_SLOT_SERVICE, r->service),
		    no_cluster ? "" : gw_slots_label(d->dp.slots, GW_SLOT_CLUSTER, r->cluster),
		    client, rid, h->trace_id, method, auth, path, h->status, r->bytes_up,
		    r->bytes_down, r->eaddr ? "\"" : "", r->eaddr ? ep : "null",
		    r->eaddr ? "\"" : "", r->attempts, route ? "\"" : "", route ? route : "null",
		    route ? "\"" : "", h->retries, flags) < 0)
		write_errors++;
	else
		written++;
}

static void
write_rec(struct ctl_daemon *d, const struct gw_alog_rec *r)
{
	char ts[64], client[24], vip[24], local[24], ep[24];
	uint64_t hz = d->dp.hz;

	if (r->kind == GW_ALOG_HTTP) {
		write_http(d, r);
		return;
	}
	fmt_ts(ts, sizeof(ts), r->start_tsc, hz);
	fmt_ap(client, sizeof(client), r->caddr, r->cport);
	fmt_ap(vip, sizeof(vip), r->vaddr, r->vport);
	fmt_ap(local, sizeof(local), r->laddr, r->lport);
	fmt_ap(ep, sizeof(ep), r->eaddr, r->eport);
	if (fprintf(alog_file,
		    "{\"ts\":\"%s\",\"duration_ms\":%" PRIu64 ",\"worker\":%u,\"service\":\"%s\","
		    "\"cluster\":\"%s\",\"client\":\"%s\",\"vip\":\"%s\",\"upstream_local\":%s%s%s,"
		    "\"endpoint\":%s%s%s,\"attempts\":%u,\"bytes_to_upstream\":%" PRIu64
		    ",\"bytes_to_client\":%" PRIu64 ",\"reason\":\"%s\",\"kind\":\"tcp\"}\n",
		    ts, (r->end_tsc - r->start_tsc) / (hz / 1000), r->worker,
		    gw_slots_label(d->dp.slots, GW_SLOT_SERVICE, r->service),
		    gw_slots_label(d->dp.slots, GW_SLOT_CLUSTER, r->cluster), client, vip,
		    r->laddr ? "\"" : "", r->laddr ? local : "null", r->laddr ? "\"" : "",
		    r->eaddr ? "\"" : "", r->eaddr ? ep : "null", r->eaddr ? "\"" : "", r->attempts,
		    r->bytes_up, r->bytes_down, gw_alog_reason_name(r->reason)) < 0)
		write_errors++;
	else
		written++;
}

int
ctl_alog_open(struct ctl_daemon *d)
{
	const char *path = d->conf->log.access_log;

	if (path[0] == '\0')
		return 0;
	clock_gettime(CLOCK_REALTIME, &real0);
	tsc0 = rte_rdtsc();
	alog_file = fopen(path, "a");
	if (alog_file == NULL) {
		int e = errno;

		GW_LOG(ERROR, "access log %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int
ctl_alog_reopen(struct ctl_daemon *d)
{
	FILE *f;

	if (alog_file == NULL)
		return -ENOENT;
	f = fopen(d->conf->log.access_log, "a");
	if (f == NULL)
		return -errno;
	fclose(alog_file);
	alog_file = f;
	return 0;
}

void
ctl_alog_drain(struct ctl_daemon *d)
{
	void *recs[DRAIN_MAX];
	bool any = false;

	if (d->dp.snap == NULL)
		return;
	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		struct gw_worker *w = d->dp.workers[i];
		unsigned int n;

		if (w == NULL || w->alog.ring == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(w->alog.ring, recs, DRAIN_MAX, NULL);
		for (unsigned int k = 0; k < n && alog_file != NULL; k++)
			write_rec(d, recs[k]);
		if (n > 0)
			rte_mempool_put_bulk(w->alog.pool, recs, n);
		any |= n > 0;
	}
	if (any && alog_file != NULL && fflush(alog_file) != 0)
		write_errors++;
}

void
ctl_alog_close(struct ctl_daemon *d)
{
	ctl_alog_drain(d);
	if (alog_file != NULL)
		fclose(alog_file);
	alog_file = NULL;
}

void
ctl_alog_counters(uint64_t *lines, uint64_t *errors)
{
	*lines = written;
	*errors = write_errors;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmds_tcp.c - the TCP ctl commands. Control thread only.
 *
 *   conns      every worker's connections (stk_tcp_foreach through the
 *              command inboxes: sent to all workers first, then waited
 *              for), filtered by state and port on the worker, which counts
 *              every match but copies at most limit: a call's memory is
 *              bounded by its limit, not by tcp.max_conns;
 *   tcp-probe  a test hook: worker 0 connects to address:port as a client,
 *              sends `bytes` of the diagnostic pattern, half-closes, reads
 *              until the peer closes, and reports what it sent, received and
 *              the SHA-256 of what it received. The request answers
 *              CTL_AGAIN until the worker hands the command back, so it
 *              needs args.timeout_ms; the worker gives up slightly earlier.
 */
#define _GNU_SOURCE /* GNU strerror_r */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl_daemon.h"
#include "ctl_loop.h"

#define CONNS_LIMIT_DEFAULT 1000
#define CONNS_LIMIT_MAX	    1000000
#define CMD_TIMEOUT_MS	    1000
#define PROBE_TAG	    "probe_seq" /* set in the request's args by its first call */
#define PROBE_BYTES_MAX	    (1ULL << 40)
#define PROBE_SLACK_MS	    100

struct conns_filter {
	int state; /* enum stk_tcp_state; -1 for any */
	int port;  /* local or remote; -1 for any */
	unsigned int limit;
};

static void
add_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* "Time-Wait", "TIME_WAIT" and "time-wait" all become "time_wait". */
static void
norm_state(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < len; i++)
		out[i] = in[i] == '-' || in[i] == ' ' ? '_' : (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static json_t *
endpoint_json(uint32_t ip, uint16_t port)
{
	char s[INET_ADDRSTRLEN + 8];
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, s, INET_ADDRSTRLEN);
	snprintf(s + strlen(s), 8, ":%u", (unsigned int)port);
	return json_string(s);
}

/* ---- conns --------------------------------------------------------------- */

/* The state named `want` (any spelling norm_state accepts), or -EINVAL. */
static int
known_state(const char *want)
{
	char in[32], name[32];

	norm_state(want, in, sizeof(in));
	for (int s = STK_TCP_CLOSED; s <= STK_TCP_TIME_WAIT; s++) {
		norm_state(stk_tcp_state_name((enum stk_tcp_state)s), name, sizeof(name));
		if (strcmp(name, in) == 0)
			return s;
	}
	return -EINVAL;
}

static int
bad_arg(struct ctl_error *err, const char *what)
{
	ctl_error_set(err, EINVAL, "%s", what);
	return -EINVAL;
}

static int
conns_args(json_t *args, struct conns_filter *f, struct ctl_error *err)
{
	json_t *v;
	const char *k;

	f->state = -1;
	f->port = -1;
	f->limit = CONNS_LIMIT_DEFAULT;
	json_object_foreach (args, k, v) {
		if (strcmp(k, "limit") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > CONNS_LIMIT_MAX)
				return bad_arg(err, "'limit' must be an integer in 1..1000000");
			f->limit = (unsigned int)json_integer_value(v);
		} else if (strcmp(k, "port") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 65535)
				return bad_arg(err, "'port' must be an integer in 1..65535");
			f->port = (int)json_integer_value(v);
		} else if (strcmp(k, "state") == 0) {
			if (!json_is_string(v))
				return bad_arg(err,
					       "'state' must be a string such as \"established\"");
			f->state = known_state(json_string_value(v));
			if (f->state < 0)
				return bad_arg(err, "'state' is not a TCP state (established, "
						    "time_wait, syn_sent, ...)");
		} else if (strcmp(k, "timeout_ms") != 0) {
			ctl_error_set(err, EINVAL, "unknown argument '%s' (limit, state, port)", k);
			return -EINVAL;
		}
	}
	return 0;
}

/* The proxy's view of a leg: names from the current snapshot (indices are
 * the worker's, taken from the same snapshot; a name past the table, after a
 * reload, shows as "?"). */
static json_t *
leg_json(const struct ctl_daemon *d, unsigned int w, const struct gw_proxy_leg *l)
{
	const struct gw_mesh *m = d->dp.snap != NULL ? gw_snapmgr_current(d->dp.snap)->mesh : NULL;
	char id[32];
	json_t *o;

	snprintf(id, sizeof(id), "%u:%u", w, l->id);
	o = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "leg",
		      l->role == GW_LEG_CLIENT ? "client" : "upstream", "service",
		      gw_slots_label(d->dp.slots, GW_SLOT_SERVICE, l->service), "cluster",
		      gw_slots_label(d->dp.slots, GW_SLOT_CLUSTER, l->cluster));
	if (m != NULL && l->ep >= 0 && gw_mesh_has_endpoint(m, (unsigned int)l->ep))
		json_object_set_new(o, "endpoint",
				    endpoint_json(m->endpoints[l->ep].conf.addr,
						  m->endpoints[l->ep].conf.port));
	if (l->peer_raddr != 0)
		json_object_set_new(o, "peer",
				    json_pack("{s:o, s:o}", "local",
					      endpoint_json(l->peer_laddr, l->peer_lport), "remote",
					      endpoint_json(l->peer_raddr, l->peer_rport)));
	return o;
}

static json_t *
conn_json(const struct ctl_daemon *d, unsigned int w, const struct gw_conn_entry *e)
{
	const struct stk_conn_info *ci = &e->tcp;
	char state[32];
	json_t *o = json_object();

	norm_state(stk_tcp_state_name(ci->state), state, sizeof(state));
	add_u64(o, "worker", w);
	json_object_set_new(o, "local", endpoint_json(ci->laddr, ci->lport));
	json_object_set_new(o, "remote", endpoint_json(ci->raddr, ci->rport));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "options",
			    json_pack("{s:b, s:i, s:i, s:b, s:b, s:i}", "wscale", ci->wscale,
				      "snd_wscale", ci->snd_wscale, "rcv_wscale", ci->rcv_wscale,
				      "timestamps", ci->timestamps, "sack", ci->sack, "mss",
				      ci->mss));
	add_u64(o, "srtt_us", ci->srtt_us);
	add_u64(o, "rttvar_us", ci->rttvar_us);
	add_u64(o, "rto_us", ci->rto_us);
	add_u64(o, "cwnd", ci->cwnd);
	add_u64(o, "ssthresh", ci->ssthresh);
	add_u64(o, "snd_wnd", ci->snd_wnd);
	add_u64(o, "rcv_wnd", ci->rcv_wnd);
	add_u64(o, "unacked", ci->unacked);
	add_u64(o, "snd_queued", ci->snd_queued);
	add_u64(o, "bytes_in", ci->bytes_in);
	add_u64(o, "bytes_out", ci->bytes_out);
	add_u64(o, "retransmits", ci->retransmits);
	json_object_set_new(o, "cc", json_string(ci->cc != NULL ? ci->cc : "-"));
	if (e->leg.role != GW_LEG_NONE)
		json_object_set_new(o, "proxy", leg_json(d, w, &e->leg));
	return o;
}

/* A dump with room for the request's limit (or the worker's whole table,
 * if smaller): the worker filters, so the first `limit` matches fit, and it
 * counts the rest for the total. */
static struct gw_cmd *
dump_cmd_new(const struct conns_filter *f, unsigned int table_size)
{
	struct gw_cmd *c = calloc(1, sizeof(*c));
	unsigned int max = RTE_MAX(RTE_MIN(f->limit, table_size), 1u);

	if (c == NULL)
		return NULL;
	c->type = GW_CMD_TCP_DUMP;
	c->conns.max = max;
	c->conns.state = f->state;
	c->conns.port = f->port;
	c->conns.entries = calloc(max, sizeof(*c->conns.entries));
	if (c->conns.entries == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* Appends worker w's matches to list, up to limit in all (workers in
 * order), and adds all of them to count. */
static void
conns_collect(const struct ctl_daemon *d, const struct conns_filter *f, unsigned int w,
	      const struct gw_cmd *c, json_t *list, uint64_t *count)
{
	unsigned int n = RTE_MIN(c->conns.n, c->conns.max);

	for (unsigned int i = 0; i < n && json_array_size(list) < f->limit; i++)
		json_array_append_new(list, conn_json(d, w, &c->conns.entries[i]));
	*count += c->conns.matched;
}

static int
cmd_conns(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	struct gw_cmd *cmds[STK_MAX_WORKERS] = {0};
	struct conns_filter f;
	json_t *list;
	uint64_t count = 0;
	int rc = conns_args(args, &f, err);

	if (rc != 0)
		return rc;
	for (unsigned int w = 0; rc == 0 && w < d->dp.n_workers; w++) {
		cmds[w] = dump_cmd_new(&f, d->conf->tcp.max_conns);
		rc = cmds[w] ? gw_dp_cmd_send(&d->dp, w, cmds[w]) : -ENOMEM;
		if (rc != 0) {
			ctl_error_set(err, -rc, "worker %u: cannot send the connection dump", w);
			gw_cmd_free(cmds[w]);
			cmds[w] = NULL;
		}
	}
	list = json_array();
	for (unsigned int w = 0; w < d->dp.n_workers; w++) {
		if (cmds[w] == NULL)
			continue;
		if (gw_dp_cmd_wait(&d->dp, cmds[w], CMD_TIMEOUT_MS) != 0) {
			/* abandoned: released when the worker hands it back */
			if (rc == 0)
				ctl_error_set(err, ETIMEDOUT,
					      "worker %u did not answer within %u ms", w,
					      CMD_TIMEOUT_MS);
			rc = rc ?: -ETIMEDOUT;
			continue;
		}
		conns_collect(d, &f, w, cmds[w], list, &count);
		gw_cmd_free(cmds[w]);
	}
	if (rc != 0) {
		json_decref(list);
		return rc;
	}
	*result = json_pack("{s:o, s:I, s:b}", "connections", list, "count", (json_int_t)count,
			    "truncated", count > f.limit);
	return 0;
}

/* ---- tcp-probe ------------------------------------------------------------- */

static int
probe_args(struct ctl_daemon *d, json_t *args, struct gw_diag_probe *p, struct ctl_error *err)
{
	json_t *addr = json_object_get(args, "address");
	json_t *port = json_object_get(args, "port");
	json_t *bytes = json_object_get(args, "bytes");
	json_t *tmo = json_object_get(args, "timeout_ms");
	struct in_addr a;

	if (!json_is_string(addr) || inet_pton(AF_INET, json_string_value(addr), &a) != 1 ||
	    a.s_addr == 0)
		return bad_arg(err, "'address' must be an IPv4 address such as \"10.0.0.2\"");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535)
		return bad_arg(err, "'port' must be an integer in 1..65535");
	if (bytes != NULL && (!json_is_integer(bytes) || json_integer_value(bytes) < 0 ||
			      (uint64_t)json_integer_value(bytes) > PROBE_BYTES_MAX))
		return bad_arg(err, "'bytes' must be an integer in 0..2^40");
	if (!json_is_integer(tmo) || json_integer_value(tmo) < 1)
		return bad_arg(err, "'timeout_ms' is required: how long the probe may take");
	if (d->dp.n_workers == 0)
		return bad_arg(err, "no worker");
	p->daddr = ntohl(a.s_addr);
	p->dport = (uint16_t)json_integer_value(port);
	p->bytes = bytes ? (uint64_t)json_integer_value(bytes) : 0;
	/* the worker gives up a little before the server does, so the reply
	 * says how far the probe got rather than just "not ready" */
	p->timeout_ms = (uint64_t)json_integer_value(tmo);
	p->timeout_ms -= RTE_MIN(p->timeout_ms / 10, (uint64_t)PROBE_SLACK_MS);
	return 0;
}

/* A finished probe nobody asked about any more (its request timed out) is
 * dropped; one still running makes the new request wait its turn. */
static int
probe_slot_free(struct ctl_daemon *d, struct ctl_error *err)
{
	if (d->probe == NULL)
		return 0;
	if (!d->probe->done) {
		ctl_error_set(err, EBUSY, "an earlier tcp-probe is still running");
		return -EBUSY;
	}
	gw_cmd_free(d->probe);
	d->probe = NULL;
	return 0;
}

static int
probe_begin(struct ctl_daemon *d, json_t *args, struct ctl_error *err)
{
	struct gw_cmd *c = NULL;
	int rc = probe_slot_free(d, err);

	if (rc != 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->type = GW_CMD_TCP_PROBE;
	rc = probe_args(d, args, &c->probe, err);
	if (rc != 0)
		goto out;
	c->probe.md = EVP_MD_CTX_new();
	if (c->probe.md == NULL || EVP_DigestInit_ex(c->probe.md, EVP_sha256(), NULL) != 1)
		goto nomem;
	rc = gw_dp_cmd_send(&d->dp, 0, c);
	if (rc != 0) {
		ctl_error_set(err, -rc, "worker 0: cannot send the probe");
		goto out;
	}
	d->probe = c;
	json_object_set_new(args, PROBE_TAG, json_integer((json_int_t)++d->probe_seq));
	return CTL_AGAIN;
nomem:
	ctl_error_set(err, ENOMEM, "no memory");
	rc = -ENOMEM;
out:
	gw_cmd_free(c);
	return rc;
}

static json_t *
probe_result(const struct gw_diag_probe *p)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(p->md, md, &len) != 1)
		return NULL;
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * len] = '\0';
	return json_pack("{s:b, s:I, s:I, s:s}", "connected", p->connected, "sent",
			 (json_int_t)p->sent, "received", (json_int_t)p->received,
			 "received_sha256", hex);
}

static int
probe_end(struct ctl_daemon *d, json_t **result, struct ctl_error *err)
{
	const struct gw_diag_probe *p = &d->probe->probe;
	char ebuf[128];
	int rc = d->probe->rc;

	if (rc == 0 && (*result = probe_result(p)) == NULL) {
		ctl_error_set(err, EIO, "cannot finish the digest");
		rc = -EIO;
	} else if (rc != 0) {
		ctl_error_set(err, -rc, "tcp-probe: %s (connected %s, sent %llu, received %llu)",
			      strerror_r(-rc, ebuf, sizeof(ebuf)), p->connected ? "yes" : "no",
			      (unsigned long long)p->sent, (unsigned long long)p->received);
	}
	gw_cmd_free(d->probe);
	d->probe = NULL;
	return rc;
}

static int
cmd_tcp_probe(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	json_t *tag = json_object_get(args, PROBE_TAG);

	if (tag == NULL)
		return probe_begin(d, args, err);
	if (d->probe == NULL || !json_is_integer(tag) ||
	    (uint64_t)json_integer_value(tag) != d->probe_seq) {
		ctl_error_set(err, EIO, "the probe was lost");
		return -EIO;
	}
	if (!d->probe->done)
		return CTL_AGAIN;
	return probe_end(d, result, err);
}

void
ctl_cmds_fini(struct ctl_daemon *d)
{
	if (d->probe == NULL)
		return;
	if (d->probe->done)
		gw_cmd_free(d->probe);
	else
		d->probe->abandoned = true; /* freed by whoever holds it at stop */
	d->probe = NULL;
}

int
ctl_cmds_tcp_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	int rc = ctl_server_register(srv, "conns", cmd_conns, d);

	return rc ?: ctl_server_register(srv, "tcp-probe", cmd_tcp_probe, d);
}

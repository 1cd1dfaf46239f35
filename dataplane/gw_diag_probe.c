/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_diag_probe.c - tcp-probe, the stack as a client (see gw_diag.h): one
 * connection at a time per worker, which sends `bytes` of the pattern,
 * half-closes, hashes what comes back, and reports once both FINs have
 * passed, or on reset, timeout or worker stop. The report (done()) happens
 * once; the connection itself lives on until the stack says `closed`
 * (TIME-WAIT: we closed first). Worker only.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include <openssl/evp.h>

#include "gw_diag_internal.h"

/* Hands the results back; the connection lives on until `closed`. */
void
gw_diag_probe_finish(struct diag_conn *dc, int err)
{
	struct gw_diag *d = dc->d;
	struct gw_diag_probe *p = dc->probe;
	void *token = dc->token;

	if (token == NULL)
		return;
	p->err = err;
	p->sent = p->bytes - dc->left;
	dc->token = NULL;
	dc->probe = NULL;
	d->probe = NULL;
	d->done(d->done_arg, token);
}

/* Done once everything went out with our FIN and the peer's FIN came back. */
static void
probe_check(struct diag_conn *dc)
{
	if ((dc->flags & (DC_SHUT | DC_PEER_CLOSED)) == (DC_SHUT | DC_PEER_CLOSED))
		gw_diag_probe_finish(dc, 0);
}

void
gw_diag_probe_fill(struct diag_conn *dc)
{
	int rc;

	if (dc->flags & DC_SHUT)
		return;
	rc = gw_diag_pump_pattern(dc, true);
	if (dc->probe != NULL)
		dc->probe->sent = dc->probe->bytes - dc->left;
	if (rc == -ENOMEM)
		gw_diag_kick_add(dc);
	if (rc == 0) {
		gw_diag_shut(dc);
		probe_check(dc);
	}
}

static void
probe_connected(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	dc->c = c;
	dc->chunk = gw_diag_chunk_size(dc->d, c);
	if (dc->probe != NULL)
		dc->probe->connected = true;
	gw_diag_probe_fill(dc);
}

static void
probe_data(void *ctx, struct stk_conn *c, struct rte_mbuf *m)
{
	struct diag_conn *dc = ctx;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	gw_diag_app_stats_of(dc)->bytes_in += len;
	if (dc->probe != NULL) {
		for (const struct rte_mbuf *s = m; s != NULL; s = s->next)
			EVP_DigestUpdate(dc->probe->md, rte_pktmbuf_mtod(s, const void *),
					 s->data_len);
		dc->probe->received += len;
	}
	rte_pktmbuf_free(m);
	stk_conn_consumed(c, len);
}

static void
probe_writable(void *ctx, struct stk_conn *c)
{
	(void)c;
	gw_diag_probe_fill(ctx);
}

static void
probe_peer_closed(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	(void)c;
	dc->flags |= DC_PEER_CLOSED;
	probe_check(dc); /* if we are still sending, the last send finishes it */
}

static void
probe_reset(void *ctx, struct stk_conn *c, int err)
{
	struct diag_conn *dc = ctx;

	gw_diag_on_reset(ctx, c, err);
	gw_diag_probe_finish(dc, err > 0 ? -err : -ECONNRESET);
}

static void
probe_closed(void *ctx, struct stk_conn *c)
{
	struct diag_conn *dc = ctx;

	gw_diag_probe_finish(dc, -ECONNRESET); /* closed before both FINs: it did not complete */
	gw_diag_on_closed(ctx, c);
}

/* An active open only: no `accepted`. */
static const struct stk_tcp_ops probe_ops = {
	.connected = probe_connected,
	.data = probe_data,
	.writable = probe_writable,
	.peer_closed = probe_peer_closed,
	.reset = probe_reset,
	.closed = probe_closed,
};

unsigned int
gw_diag_probe_expire(struct gw_diag *d, uint64_t now)
{
	struct diag_conn *dc = d->probe;

	if (dc == NULL || now < d->probe_deadline)
		return 0;
	gw_diag_probe_finish(dc, -ETIMEDOUT);
	if (dc->c != NULL)
		stk_conn_abort(dc->c); /* no callbacks after this */
	gw_diag_conn_free(dc);
	return 1;
}

int
gw_diag_probe_start(struct gw_diag *d, struct gw_diag_probe *p, void *token, uint64_t now,
		    uint64_t hz)
{
	struct diag_conn *dc;
	struct stk_conn *c = NULL;
	int rc;

	if (d->probe != NULL)
		return -EBUSY;
	if (p->md == NULL || p->daddr == 0 || p->dport == 0 || p->timeout_ms == 0)
		return -EINVAL;
	dc = gw_diag_conn_alloc(d, GW_DIAG_PROBE, NULL);
	if (dc == NULL)
		return -ENOMEM;
	p->connected = false;
	p->sent = 0;
	p->received = 0;
	p->err = 0;
	dc->left = p->bytes;
	dc->probe = p;
	dc->token = token;
	dc->chunk = GW_DIAG_CHUNK_MIN;
	d->probe = dc; /* before connecting: callbacks may come from inside it */
	d->probe_deadline = now + p->timeout_ms * (hz / 1000);
	rc = stk_tcp_connect(d->stk, 0, p->daddr, p->dport, &probe_ops, dc, &c);
	if (rc != 0) {
		dc->token = NULL;
		d->probe = NULL;
		gw_diag_app_stats_of(dc)->resets++;
		gw_diag_conn_free(dc);
		return rc;
	}
	dc->c = c;
	return 0;
}

void
gw_diag_probe_release(struct gw_diag_probe *p)
{
	EVP_MD_CTX_free(p->md); /* accepts NULL */
	p->md = NULL;
}

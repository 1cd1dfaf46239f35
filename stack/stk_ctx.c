/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_ctx.c - the per-worker context: creation, setters, counters, tx
 * buffering and the local address table. Created and freed by whoever starts
 * the worker; everything else runs on the owning worker, except
 * stk_get_stats (any thread).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "stk.h"
#include "stk_internal.h"

static const char *const drop_names[STK_DROP_MAX] = {
#define STK_DROP_NAME(e, s) [STK_DROP_##e] = s,
	STK_DROP_REASONS(STK_DROP_NAME)
#undef STK_DROP_NAME
};

const char *
stk_drop_name(enum stk_drop d)
{
	if ((unsigned int)d >= STK_DROP_MAX)
		return "unknown";
	return drop_names[d];
}

static int
check_port(const struct stk_port_info *p)
{
	if (p->n_addrs > STK_MAX_ADDRS)
		return -EINVAL;
	for (unsigned int i = 0; i < p->n_addrs; i++)
		if (p->plens[i] > 32)
			return -EINVAL;
	return 0;
}

static int
check_conf(const struct stk_conf *conf)
{
	if (conf == NULL || conf->n_workers == 0 || conf->n_workers > STK_MAX_WORKERS ||
	    conf->worker_id >= conf->n_workers || conf->n_ports > STK_MAX_PORTS ||
	    conf->pool == NULL || conf->tx == NULL || conf->arp.cache_size == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < conf->n_ports; i++)
		if (check_port(&conf->ports[i]) != 0)
			return -EINVAL;
	return 0;
}

struct stk_ctx *
stk_create(const struct stk_conf *conf)
{
	struct stk_ctx *ctx = NULL;
	int rc = check_conf(conf);

	if (rc != 0)
		goto fail;
	ctx = rte_zmalloc_socket("stk_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE, conf->socket);
	if (ctx == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	ctx->conf = *conf;
	ctx->tsc_ms = rte_get_tsc_hz() / 1000;
	if (ctx->tsc_ms == 0)
		ctx->tsc_ms = 1;
	rc = stk_arp_init(ctx);
	if (rc == 0)
		rc = stk_tcp_init(ctx);
	if (rc != 0)
		goto fail;
	return ctx;
fail:
	stk_free(ctx);
	errno = -rc;
	return NULL;
}

void
stk_free(struct stk_ctx *ctx)
{
	if (ctx == NULL)
		return;
	stk_tcp_fini(ctx); /* every connection's mbufs; no callbacks */
	stk_arp_fini(ctx);
	/* unflushed frames: the tx callback may be gone by now */
	for (unsigned int p = 0; p < STK_MAX_PORTS; p++) {
		rte_pktmbuf_free_bulk(ctx->tx_buf[p], ctx->tx_n[p]);
		ctx->tx_n[p] = 0;
	}
	rte_free(ctx);
}

void
stk_set_routes(struct stk_ctx *ctx, const struct stk_routes *routes)
{
	ctx->routes = routes;
}

void
stk_set_vips(struct stk_ctx *ctx, const struct stk_vips *vips)
{
	ctx->vips = vips;
}

bool
stk_is_vip(const struct stk_ctx *ctx, uint32_t ip)
{
	const struct stk_vips *v = ctx->vips;
	unsigned int lo = 0, hi;

	if (v == NULL)
		return false;
	hi = v->n;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (v->addr[mid] == ip)
			return true;
		if (v->addr[mid] < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void
stk_set_icmp_err_handler(struct stk_ctx *ctx, stk_icmp_err_fn fn, void *arg)
{
	ctx->icmp_err_fn = fn;
	ctx->icmp_err_arg = arg;
}

const struct stk_stats *
stk_get_stats(const struct stk_ctx *ctx)
{
	return &ctx->stats;
}

int
stk_local_addr(const struct stk_ctx *ctx, uint32_t ip)
{
	for (unsigned int p = 0; p < ctx->conf.n_ports; p++) {
		const struct stk_port_info *port = &ctx->conf.ports[p];

		for (unsigned int i = 0; i < port->n_addrs; i++)
			if (port->addrs[i] == ip)
				return (int)p;
	}
	return -1;
}

static void
tx_port(struct stk_ctx *ctx, uint16_t port_idx)
{
	unsigned int n = ctx->tx_n[port_idx];

	ctx->tx_n[port_idx] = 0;
	for (unsigned int i = 0; i < n; i++)
		ctx->stats.tx_bytes += rte_pktmbuf_pkt_len(ctx->tx_buf[port_idx][i]);
	ctx->stats.tx_pkts += n;
	ctx->conf.tx(ctx->conf.tx_arg, port_idx, ctx->tx_buf[port_idx], n);
}

void
stk_tx_enqueue(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m)
{
	ctx->tx_buf[port_idx][ctx->tx_n[port_idx]++] = m;
	if (ctx->tx_n[port_idx] == STK_TX_BURST)
		tx_port(ctx, port_idx);
}

void
stk_flush(struct stk_ctx *ctx)
{
	for (uint16_t p = 0; p < ctx->conf.n_ports; p++)
		if (ctx->tx_n[p] != 0)
			tx_port(ctx, p);
}

void
stk_poll(struct stk_ctx *ctx, uint64_t now)
{
	stk_arp_poll(ctx, now);
	stk_tcp_poll(ctx, now);
}

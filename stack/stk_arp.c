/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_arp.c - ARP: replies for our addresses, the per-worker neighbour cache
 * and its timers, gratuitous announcements. Owning worker only.
 *
 * Entry states:
 *   INCOMPLETE  requested, datagrams wait in a bounded queue; a request every
 *               retry_ms, `retries` requests in all, then FAILED.
 *   REACHABLE   confirmed by an ARP from the neighbour less than
 *               reachable_ms ago.
 *   STALE       usable, but traffic to it sends a (broadcast) request at most
 *               every retry_ms; removed reachable_ms after turning STALE
 *               unless an ARP from the neighbour confirms it again.
 *   FAILED      datagrams to it are dropped (arp_resolve_failed) until
 *               failed_ms has passed; then it is removed.
 * Any valid ARP from a neighbour with an entry updates the entry (RFC 826
 * merge), whoever it was addressed to; a new entry is only made for ARPs
 * addressed to us.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "stk.h"
#include "stk_internal.h"

#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
#define ARP_TICK_MS   10 /* timers are scanned at most this often */
#define HASH_MIN_SIZE 8	 /* rte_hash refuses smaller tables */

struct arp_key {
	uint32_t ip;
	uint16_t port_idx;
	uint16_t zero; /* hashed: always 0 */
};

static const struct rte_ether_addr bcast_mac = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr zero_mac;

const char *
stk_arp_state_name(enum stk_arp_state s)
{
	switch (s) {
	case STK_ARP_INCOMPLETE:
		return "incomplete";
	case STK_ARP_REACHABLE:
		return "reachable";
	case STK_ARP_STALE:
		return "stale";
	case STK_ARP_FAILED:
		return "failed";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* The cache                                                            */

int
stk_arp_init(struct stk_ctx *ctx)
{
	static uint32_t seq; /* rte_hash names are global to the process */
	const struct stk_arp_conf *ac = &ctx->conf.arp;
	uint32_t cap = RTE_MAX(ac->cache_size, HASH_MIN_SIZE);
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = cap,
		.key_len = sizeof(struct arp_key),
		.hash_func = rte_jhash,
		.socket_id = ctx->conf.socket,
		/* no early -ENOSPC from bucket collisions: only cache_size bounds us */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "stkarp%u_%u", ctx->conf.worker_id,
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	ctx->arp_live = ARP_NIL;
	ctx->arp_hash = rte_hash_create(&hp);
	if (ctx->arp_hash == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	ctx->arp_entries =
		rte_calloc_socket("stk_arp", cap, sizeof(struct arp_entry), 0, ctx->conf.socket);
	if (ctx->arp_entries == NULL)
		return -ENOMEM;
	if (ac->pending_max != 0) {
		ctx->arp_pending =
			rte_calloc_socket("stk_arp_q", (size_t)cap * ac->pending_max,
					  sizeof(struct rte_mbuf *), 0, ctx->conf.socket);
		if (ctx->arp_pending == NULL)
			return -ENOMEM;
	}
	for (uint32_t i = 0; ctx->arp_pending != NULL && i < cap; i++)
		ctx->arp_entries[i].pending = ctx->arp_pending + (size_t)i * ac->pending_max;
	ctx->arp_max_probes = RTE_MAX(ac->retries, 1u);
	ctx->arp_retry_tsc = ac->retry_ms * ctx->tsc_ms;
	ctx->arp_reachable_tsc = ac->reachable_ms * ctx->tsc_ms;
	ctx->arp_failed_tsc = ac->failed_ms * ctx->tsc_ms;
	ctx->arp_tick_tsc = RTE_MAX(RTE_MIN(ARP_TICK_MS * ctx->tsc_ms, ctx->arp_retry_tsc), 1u);
	return 0;
}

uint64_t
stk_arp_pending_mbufs(const struct stk_ctx *ctx)
{
	uint64_t n = 0;

	for (uint32_t i = ctx->arp_live; i != ARP_NIL; i = ctx->arp_entries[i].next)
		for (uint32_t j = 0; j < ctx->arp_entries[i].n_pending; j++)
			n += ctx->arp_entries[i].pending[j]->nb_segs;
	return n;
}

static void
drop_pending(struct stk_ctx *ctx, struct arp_entry *e, enum stk_drop why)
{
	for (uint32_t i = 0; i < e->n_pending; i++)
		stk_drop(ctx, e->pending[i], why);
	e->n_pending = 0;
}

void
stk_arp_fini(struct stk_ctx *ctx)
{
	for (uint32_t i = ctx->arp_live; i != ARP_NIL; i = ctx->arp_entries[i].next) {
		struct arp_entry *e = &ctx->arp_entries[i];

		rte_pktmbuf_free_bulk(e->pending, e->n_pending);
		e->n_pending = 0;
	}
	ctx->arp_live = ARP_NIL;
	rte_hash_free(ctx->arp_hash);
	ctx->arp_hash = NULL;
	rte_free(ctx->arp_pending);
	ctx->arp_pending = NULL;
	rte_free(ctx->arp_entries);
	ctx->arp_entries = NULL;
}

static struct arp_entry *
entry_find(struct stk_ctx *ctx, uint16_t port_idx, uint32_t ip)
{
	struct arp_key k = {.ip = ip, .port_idx = port_idx};
	int32_t pos = rte_hash_lookup(ctx->arp_hash, &k);

	return pos < 0 ? NULL : &ctx->arp_entries[pos];
}

/* A new entry in state, or NULL when the cache is full (not counted here). */
static struct arp_entry *
entry_add(struct stk_ctx *ctx, uint16_t port_idx, uint32_t ip, enum stk_arp_state state,
	  uint64_t now)
{
	struct arp_key k = {.ip = ip, .port_idx = port_idx};
	struct arp_entry *e;
	int32_t pos;

	if (ctx->arp_n >= ctx->conf.arp.cache_size)
		return NULL;
	pos = rte_hash_add_key(ctx->arp_hash, &k);
	if (pos < 0)
		return NULL;
	e = &ctx->arp_entries[pos];
	e->ip = ip;
	e->port_idx = port_idx;
	e->state = (uint8_t)state;
	e->probes = 0;
	memset(&e->mac, 0, sizeof(e->mac));
	e->n_pending = 0;
	e->updated = now;
	e->deadline = now;
	e->prev = ARP_NIL;
	e->next = ctx->arp_live;
	if (e->next != ARP_NIL)
		ctx->arp_entries[e->next].prev = (uint32_t)pos;
	ctx->arp_live = (uint32_t)pos;
	ctx->arp_n++;
	return e;
}

static void
entry_del(struct stk_ctx *ctx, struct arp_entry *e)
{
	struct arp_key k = {.ip = e->ip, .port_idx = e->port_idx};

	drop_pending(ctx, e, STK_DROP_ARP_FAILED);
	if (e->prev != ARP_NIL)
		ctx->arp_entries[e->prev].next = e->next;
	else
		ctx->arp_live = e->next;
	if (e->next != ARP_NIL)
		ctx->arp_entries[e->next].prev = e->prev;
	rte_hash_del_key(ctx->arp_hash, &k);
	ctx->arp_n--;
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

/* Writes an ARP frame over the ARP_FRAME_LEN bytes at the start of m. */
static void
write_arp(struct rte_mbuf *m, const struct rte_ether_addr *eth_dst,
	  const struct rte_ether_addr *src_mac, uint16_t op, uint32_t sip,
	  const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);

	rte_ether_addr_copy(eth_dst, &eh->dst_addr);
	rte_ether_addr_copy(src_mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(uint32_t);
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(src_mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	rte_ether_addr_copy(tha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	m->l2_len = sizeof(*eh);
}

static struct rte_mbuf *
alloc_frame(struct stk_ctx *ctx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->conf.pool);

	if (m == NULL) {
		ctx->stats.drops[STK_DROP_NOMEM]++;
		return NULL;
	}
	if (rte_pktmbuf_append(m, ARP_FRAME_LEN) == NULL) {
		stk_drop(ctx, m, STK_DROP_NOMEM);
		return NULL;
	}
	return m;
}

/* Our address to speak from towards tip: the one whose prefix holds it. */
static uint32_t
pick_src(const struct stk_port_info *port, uint32_t tip)
{
	for (unsigned int i = 0; i < port->n_addrs; i++)
		if (stk_in_prefix(tip, port->addrs[i], port->plens[i]))
			return port->addrs[i];
	return port->n_addrs != 0 ? port->addrs[0] : 0;
}

static void
send_request(struct stk_ctx *ctx, uint16_t port_idx, uint32_t tip)
{
	const struct stk_port_info *port = &ctx->conf.ports[port_idx];
	struct rte_mbuf *m = alloc_frame(ctx);

	if (m == NULL)
		return;
	write_arp(m, &bcast_mac, &port->mac, RTE_ARP_OP_REQUEST, pick_src(port, tip), &zero_mac,
		  tip);
	ctx->stats.arp_requests_out++;
	stk_tx_enqueue(ctx, port_idx, m);
}

void
stk_announce(struct stk_ctx *ctx, uint16_t port_idx, uint64_t now)
{
	const struct stk_port_info *port;

	RTE_SET_USED(now);
	if (port_idx >= ctx->conf.n_ports)
		return;
	port = &ctx->conf.ports[port_idx];
	for (unsigned int i = 0; i < port->n_addrs; i++) {
		struct rte_mbuf *m = alloc_frame(ctx);

		if (m == NULL)
			return;
		/* request form (RFC 5227 announcement): sender and target are both us */
		write_arp(m, &bcast_mac, &port->mac, RTE_ARP_OP_REQUEST, port->addrs[i], &zero_mac,
			  port->addrs[i]);
		ctx->stats.arp_gratuitous_out++;
		stk_tx_enqueue(ctx, port_idx, m);
	}
}

/* Answers a request for tip in m (consumed), in place when nobody shares m. */
static void
send_reply(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint32_t tip,
	   const struct rte_ether_addr *sha, uint32_t sip)
{
	const struct rte_ether_addr *our_mac = &ctx->conf.ports[port_idx].mac;
	struct rte_ether_addr peer = *sha; /* sha points into m */

	if (m->nb_segs == 1 && stk_pkt_writable(m, ARP_FRAME_LEN)) {
		/* drop the Ethernet padding: the reply is exactly one ARP */
		m->data_len = ARP_FRAME_LEN;
		m->pkt_len = ARP_FRAME_LEN;
		m->ol_flags = 0;
	} else {
		rte_pktmbuf_free(m);
		m = alloc_frame(ctx);
		if (m == NULL)
			return;
	}
	write_arp(m, &peer, our_mac, RTE_ARP_OP_REPLY, tip, &peer, sip);
	ctx->stats.arp_replies_out++;
	stk_tx_enqueue(ctx, port_idx, m);
}

/* ------------------------------------------------------------------ */
/* Input                                                                */

static void
confirm(struct stk_ctx *ctx, struct arp_entry *e, const struct rte_ether_addr *mac, uint64_t now)
{
	rte_ether_addr_copy(mac, &e->mac);
	e->state = STK_ARP_REACHABLE;
	e->updated = now;
	e->probes = 0;
	for (uint32_t i = 0; i < e->n_pending; i++)
		stk_ipv4_xmit(ctx, e->port_idx, e->pending[i], &e->mac);
	e->n_pending = 0;
}

static bool
port_has_addr(const struct stk_port_info *port, uint32_t ip)
{
	for (unsigned int i = 0; i < port->n_addrs; i++)
		if (port->addrs[i] == ip)
			return true;
	return false;
}

/* A VIP on port's link: inside one of its subnets. */
static bool
port_has_vip(const struct stk_ctx *ctx, const struct stk_port_info *port, uint32_t ip)
{
	if (!stk_is_vip(ctx, ip))
		return false;
	for (unsigned int i = 0; i < port->n_addrs; i++) {
		uint32_t mask = port->plens[i] == 0 ? 0 : UINT32_MAX << (32 - port->plens[i]);

		if ((port->addrs[i] & mask) == (ip & mask))
			return true;
	}
	return false;
}

static bool
bad_sender(const struct stk_ctx *ctx, uint16_t op, uint32_t sip, const struct rte_ether_addr *sha)
{
	if (!rte_is_valid_assigned_ether_addr(sha))
		return true;
	if (sip == 0)
		return op != RTE_ARP_OP_REQUEST; /* only a probe (RFC 5227) may say 0.0.0.0 */
	if (sip == UINT32_MAX || (sip & 0xf0000000) == 0xe0000000)
		return true;
	/* someone claims one of our addresses: never learn it */
	return stk_local_addr(ctx, sip) >= 0 || stk_is_vip(ctx, sip);
}

static enum stk_drop
validate(const struct stk_ctx *ctx, const struct rte_arp_hdr *ah)
{
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != sizeof(uint32_t))
		return STK_DROP_ARP_FORMAT;
	if (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) &&
	    ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY))
		return STK_DROP_ARP_OP;
	if (bad_sender(ctx, rte_be_to_cpu_16(ah->arp_opcode),
		       rte_be_to_cpu_32(ah->arp_data.arp_sip), &ah->arp_data.arp_sha))
		return STK_DROP_ARP_SRC;
	return STK_DROP_MAX;
}

void
stk_arp_input(struct stk_ctx *ctx, uint16_t port_idx, struct rte_mbuf *m, uint64_t now,
	      bool learn_only)
{
	const struct stk_port_info *port = &ctx->conf.ports[port_idx];
	struct rte_arp_hdr abuf;
	const struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;
	struct arp_entry *e;
	enum stk_drop why;
	uint32_t sip, tip;
	uint16_t op;

	ah = rte_pktmbuf_read(m, sizeof(struct rte_ether_hdr), sizeof(*ah), &abuf);
	if (ah != NULL && ah != &abuf) {
		/* in a later segment it may start at an odd address: work on a copy */
		memcpy(&abuf, ah, sizeof(abuf));
		ah = &abuf;
	}
	why = ah == NULL ? STK_DROP_ARP_SHORT : validate(ctx, ah);
	if (why != STK_DROP_MAX)
		goto drop;
	op = rte_be_to_cpu_16(ah->arp_opcode);
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	rte_ether_addr_copy(&ah->arp_data.arp_sha, &sha);
	if (!learn_only) {
		if (op == RTE_ARP_OP_REQUEST)
			ctx->stats.arp_requests_in++;
		else
			ctx->stats.arp_replies_in++;
	}

	e = sip != 0 ? entry_find(ctx, port_idx, sip) : NULL;
	if (e != NULL)
		confirm(ctx, e, &sha, now);
	if (!port_has_addr(port, tip) && !port_has_vip(ctx, port, tip)) {
		why = STK_DROP_ARP_NOT_OURS;
		goto drop;
	}
	if (e == NULL && sip != 0) {
		e = entry_add(ctx, port_idx, sip, STK_ARP_REACHABLE, now);
		if (e != NULL)
			rte_ether_addr_copy(&sha, &e->mac);
		else if (!learn_only)
			ctx->stats.drops[STK_DROP_ARP_CACHE_FULL]++; /* the reply still goes */
	}
	if (op == RTE_ARP_OP_REQUEST && !learn_only)
		send_reply(ctx, port_idx, m, tip, &sha, sip);
	else
		rte_pktmbuf_free(m);
	return;
drop:
	if (learn_only)
		rte_pktmbuf_free(m);
	else
		stk_drop(ctx, m, why);
}

/* ------------------------------------------------------------------ */
/* Resolution and timers                                                */

static int
enqueue(struct stk_ctx *ctx, struct arp_entry *e, struct rte_mbuf *m)
{
	if (e->n_pending >= ctx->conf.arp.pending_max) {
		stk_drop(ctx, m, STK_DROP_ARP_PENDING_FULL);
		return -ENOBUFS;
	}
	e->pending[e->n_pending++] = m;
	return 1;
}

static void
start_resolving(struct stk_ctx *ctx, struct arp_entry *e, uint64_t now)
{
	e->state = STK_ARP_INCOMPLETE;
	e->updated = now;
	e->probes = 1;
	e->deadline = now + ctx->arp_retry_tsc;
	send_request(ctx, e->port_idx, e->ip);
}

int
stk_arp_resolve(struct stk_ctx *ctx, uint16_t port_idx, uint32_t ip, struct rte_mbuf *m,
		uint64_t now, struct rte_ether_addr *mac)
{
	struct arp_entry *e = entry_find(ctx, port_idx, ip);

	if (e == NULL) {
		e = entry_add(ctx, port_idx, ip, STK_ARP_INCOMPLETE, now);
		if (e == NULL) {
			stk_drop(ctx, m, STK_DROP_ARP_CACHE_FULL);
			return -ENOBUFS;
		}
		start_resolving(ctx, e, now);
		return enqueue(ctx, e, m);
	}
	switch (e->state) {
	case STK_ARP_INCOMPLETE:
		return enqueue(ctx, e, m);
	case STK_ARP_STALE:
		if (now >= e->deadline) {
			e->deadline = now + ctx->arp_retry_tsc;
			send_request(ctx, port_idx, ip);
		}
		/* fall through */
	case STK_ARP_REACHABLE:
		rte_ether_addr_copy(&e->mac, mac);
		return 0;
	}
	/* FAILED; past its time when the timer scan has not run yet */
	if (now >= e->deadline) {
		start_resolving(ctx, e, now);
		return enqueue(ctx, e, m);
	}
	stk_drop(ctx, m, STK_DROP_ARP_FAILED);
	return -EHOSTUNREACH;
}

static uint64_t
elapsed(uint64_t now, uint64_t since)
{
	return now > since ? now - since : 0;
}

/* Runs one entry's timer; may delete it. */
static void
entry_timer(struct stk_ctx *ctx, struct arp_entry *e, uint64_t now)
{
	switch (e->state) {
	case STK_ARP_INCOMPLETE:
		if (now < e->deadline)
			return;
		if (e->probes < ctx->arp_max_probes) {
			e->probes++;
			e->deadline = now + ctx->arp_retry_tsc;
			send_request(ctx, e->port_idx, e->ip);
			return;
		}
		drop_pending(ctx, e, STK_DROP_ARP_FAILED);
		e->state = STK_ARP_FAILED;
		e->deadline = now + ctx->arp_failed_tsc;
		return;
	case STK_ARP_REACHABLE:
		if (elapsed(now, e->updated) >= ctx->arp_reachable_tsc) {
			e->state = STK_ARP_STALE;
			e->deadline = now; /* the next datagram re-requests */
		}
		return;
	case STK_ARP_STALE:
		if (elapsed(now, e->updated) >= 2 * ctx->arp_reachable_tsc)
			entry_del(ctx, e);
		return;
	default: /* FAILED */
		if (now >= e->deadline)
			entry_del(ctx, e);
		return;
	}
}

void
stk_arp_poll(struct stk_ctx *ctx, uint64_t now)
{
	uint32_t i, next;

	if (now < ctx->arp_next_tick)
		return;
	ctx->arp_next_tick = now + ctx->arp_tick_tsc;
	for (i = ctx->arp_live; i != ARP_NIL; i = next) {
		next = ctx->arp_entries[i].next;
		entry_timer(ctx, &ctx->arp_entries[i], now);
	}
}

unsigned int
stk_arp_dump(const struct stk_ctx *ctx, struct stk_arp_entry *out, unsigned int max, uint64_t now)
{
	unsigned int n = 0;

	for (uint32_t i = ctx->arp_live; i != ARP_NIL && n < max; i = ctx->arp_entries[i].next) {
		const struct arp_entry *e = &ctx->arp_entries[i];

		out[n] = (struct stk_arp_entry){
			.ip = e->ip,
			.port_idx = e->port_idx,
			.mac = e->mac,
			.state = (enum stk_arp_state)e->state,
			.pending = e->n_pending,
			.age_ms = elapsed(now, e->updated) / ctx->tsc_ms,
		};
		n++;
	}
	return n;
}

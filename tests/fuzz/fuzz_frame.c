/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_frame.c - libFuzzer harness for the stack's receive path: ownership,
 * Ethernet, ARP, IPv4, ICMP, and the timers and tx that follow. One context
 * (worker 0 of 2, so the ownership code hashes) lives across inputs so the
 * neighbour cache builds up state; it is recreated every CTX_LIFETIME inputs.
 *
 * Input: one control byte, then the frame.
 *   bit 0     STK_MF_LEARN_ONLY in the mbuf's private area
 *   bits 1-2  rx IP checksum flag: unknown, bad, good, none
 *   bit 3     port 1 (trusts rx checksum flags, offloads tx checksums)
 *             instead of port 0 (checks everything in software)
 *   bits 4-5  clock step before the frame: 0, 10 ms, 250 ms, 2 s
 *   bits 6-7  split the frame into two segments at 0, 1/4, 1/2 or 3/4
 *
 * After each input every mbuf must be back in the pool except those the
 * neighbour cache holds for unresolved next hops; anything else aborts.
 * A new context every CTX_LIFETIME inputs must leave the pool full.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "stk.h"
#include "ut_eal.h"

#define MAX_FRAME    2048
#define CACHE_SIZE   64
#define CTX_LIFETIME 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static struct stk_routes *routes;
static struct stk_ctx *ctx;
static uint64_t now, tsc_ms;
static unsigned int inputs;

static void
tx_free(void *arg, uint16_t port_idx, struct rte_mbuf **pkts, unsigned int n)
{
	(void)arg;
	if (port_idx >= 2)
		abort();
	rte_pktmbuf_free_bulk(pkts, n);
}

static void
port_conf(struct stk_port_info *p, uint8_t last, uint32_t addr, bool offload)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0};

	memcpy(p->mac.addr_bytes, mac, 6);
	p->mac.addr_bytes[5] = last;
	p->mtu = 1500;
	p->addrs[0] = addr;
	p->plens[0] = 24;
	p->n_addrs = 1;
	p->rx_ip_cksum = offload;
	p->tx_ip_cksum = offload;
}

static struct stk_ctx *
make_ctx(void)
{
	struct stk_conf c;
	struct stk_ctx *x;

	memset(&c, 0, sizeof(c));
	c.worker_id = 0;
	c.n_workers = 2;
	c.socket = SOCKET_ID_ANY;
	c.pool = pool;
	c.n_ports = 2;
	port_conf(&c.ports[0], 1, 0x0a000001, false); /* 10.0.0.1/24 */
	port_conf(&c.ports[1], 2, 0xc0a80101, true);  /* 192.168.1.1/24 */
	c.arp = (struct stk_arp_conf){.cache_size = CACHE_SIZE,
				      .pending_max = 4,
				      .retries = 3,
				      .retry_ms = 100,
				      .reachable_ms = 1000,
				      .failed_ms = 500};
	c.tx = tx_free;
	x = stk_create(&c);
	if (x == NULL) {
		fprintf(stderr, "fuzz_frame: stk_create failed\n");
		abort();
	}
	stk_set_routes(x, routes);
	return x;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ut_eal_init("fuzz_frame") < 0) {
		fprintf(stderr, "fuzz_frame: EAL init failed\n");
		abort();
	}
	pool = ut_pool("fuzz_pool", 2047);
	routes = stk_routes_create("fuzz_routes", 8, SOCKET_ID_ANY);
	if (pool == NULL || routes == NULL || stk_routes_add(routes, 0x0a000000, 24, 0, 0) != 0 ||
	    stk_routes_add(routes, 0xc0a80100, 24, 0, 1) != 0 ||
	    stk_routes_add(routes, 0, 0, 0x0a0000fe, 0) != 0) {
		fprintf(stderr, "fuzz_frame: setup failed\n");
		abort();
	}
	tsc_ms = rte_get_tsc_hz() / 1000;
	now = 1000 * tsc_ms;
	ctx = make_ctx();
	return 0;
}

/* The frame as an mbuf, split in two segments at split (0: one segment). */
static struct rte_mbuf *
frame_mbuf(const uint8_t *p, size_t len, size_t split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *tail;

	if (m == NULL)
		abort();
	stk_mbuf_priv(m)->flags = 0;
	if (split == 0 || split >= len)
		split = RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(m));
	memcpy(rte_pktmbuf_append(m, (uint16_t)split), p, split);
	if (split == len)
		return m;
	tail = rte_pktmbuf_alloc(pool);
	if (tail == NULL)
		abort();
	memcpy(rte_pktmbuf_append(tail, (uint16_t)(len - split)), p + split, len - split);
	if (rte_pktmbuf_chain(m, tail) != 0)
		abort();
	return m;
}

/* mbufs the neighbour cache may hold: everything else must be back. The
 * dump counts datagrams, and a queued datagram is one or two segments (a
 * reply keeps the request's chain), so with nothing queued the pool must be
 * full and otherwise within the bounds. */
static void
check_pool(void)
{
	static struct stk_arp_entry e[CACHE_SIZE];
	unsigned int n = stk_arp_dump(ctx, e, CACHE_SIZE, now), held = 0;
	unsigned int in_use = rte_mempool_in_use_count(pool);

	for (unsigned int i = 0; i < n; i++)
		held += e[i].pending;
	if (in_use < held || in_use > 2 * held) {
		fprintf(stderr, "fuzz_frame: %u mbufs in use, the ARP queues hold %u datagrams\n",
			in_use, held);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t ol[4] = {RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
				       RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_NONE};
	static const uint64_t step_ms[4] = {0, 10, 250, 2000};
	struct rte_mbuf *m;
	uint8_t ctl;
	size_t len;
	int owner;

	if (size < 1 || size - 1 > MAX_FRAME)
		return 0;
	ctl = data[0];
	len = size - 1;
	now += step_ms[(ctl >> 4) & 3] * tsc_ms;

	m = frame_mbuf(data + 1, len, len * ((ctl >> 6) & 3) / 4);
	if (ctl & 1)
		stk_mbuf_priv(m)->flags = STK_MF_LEARN_ONLY;
	m->ol_flags = ol[(ctl >> 1) & 3];

	owner = stk_pkt_owner(ctx, m);
	if (owner != STK_OWNER_ALL && owner != 0 && owner != 1)
		abort();
	stk_input(ctx, (ctl >> 3) & 1, &m, 1, now);
	stk_poll(ctx, now);
	stk_flush(ctx);
	check_pool();

	if (++inputs % CTX_LIFETIME == 0) {
		stk_free(ctx);
		if (rte_mempool_in_use_count(pool) != 0)
			abort();
		ctx = make_ctx();
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_tcp_ooo.c - the out-of-order queue: payload that arrived beyond a hole
 * waits here, sorted by sequence number, with no two entries overlapping.
 * New data is trimmed against what is already held (old data wins); an
 * entry wholly covered by new data is replaced. The queue holds at most
 * ooo_max entries per connection and counts against the worker's memory
 * budget. Owning worker only.
 *
 * Entries are the received mbuf chains themselves, linked through a dynamic
 * mbuf field (sequence number and next entry), so the queue allocates
 * nothing.
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "stk_tcp_internal.h"

struct ooo_meta {
	struct rte_mbuf *next;
	uint32_t seq;
};

static int ooo_off = -1;

int
tcp_ooo_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "meshgw_tcp_ooo",
		.size = sizeof(struct ooo_meta),
		.align = __alignof__(struct ooo_meta),
	};
	int off = rte_mbuf_dynfield_register(&desc);

	if (off < 0)
		return rte_errno ? -rte_errno : -ENOMEM;
	/* every context gets the same offset: the store is idempotent */
	__atomic_store_n(&ooo_off, off, __ATOMIC_RELAXED);
	return 0;
}

static struct ooo_meta *
meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, ooo_off, struct ooo_meta *);
}

/* ------------------------------------------------------------------ */
/* Chain helpers                                                        */

struct rte_mbuf *
tcp_mbuf_trim_front(struct rte_mbuf *m, uint32_t n)
{
	while (n > 0 && n >= m->data_len && m->next != NULL) {
		struct rte_mbuf *next = m->next;

		next->pkt_len = m->pkt_len - m->data_len;
		next->nb_segs = (uint16_t)(m->nb_segs - 1);
		n -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	n = RTE_MIN(n, (uint32_t)m->data_len);
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len -= n;
	return m;
}

void
tcp_mbuf_trim_back(struct rte_mbuf *m, uint32_t n)
{
	uint32_t keep = n >= m->pkt_len ? 0 : m->pkt_len - n, acc = 0;
	struct rte_mbuf *seg = m;
	uint16_t segs = 1;

	while (seg->next != NULL && acc + seg->data_len < keep) {
		acc += seg->data_len;
		seg = seg->next;
		segs++;
	}
	seg->data_len = (uint16_t)(keep - acc);
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	m->pkt_len = keep;
	m->nb_segs = segs;
}

/* ------------------------------------------------------------------ */
/* The queue                                                            */

static uint32_t
chain_truesize(const struct rte_mbuf *m)
{
	uint32_t n = 0;

	for (; m != NULL; m = m->next)
		n += tcp_truesize(m);
	return n;
}

static void
account(struct stk_conn *c, const struct rte_mbuf *m, int sign)
{
	struct stk_tcp *t = conn_tcp(c);
	uint32_t ts = chain_truesize(m);

	if (sign > 0) {
		c->ooo_n++;
		c->ooo_mem += ts;
		t->mem += ts;
		t->ooo_mbufs += m->nb_segs;
	} else {
		c->ooo_n--;
		c->ooo_mem -= ts;
		t->mem -= ts;
		t->ooo_mbufs -= m->nb_segs;
	}
}

static void
entry_free(struct stk_conn *c, struct rte_mbuf *e)
{
	account(c, e, -1);
	rte_pktmbuf_free(e);
}

/* Unlinks and frees the last entry (the highest sequence numbers). */
static void
evict_tail(struct stk_conn *c)
{
	struct rte_mbuf **pp = &c->ooo_head, *prev = NULL;

	while (meta(*pp)->next != NULL) {
		prev = *pp;
		pp = &meta(*pp)->next;
	}
	entry_free(c, *pp);
	*pp = NULL;
	c->ooo_tail = prev;
}

static void
refuse(struct stk_conn *c, struct rte_mbuf *m, enum stk_drop why)
{
	TCP_INC(c->ctx, ooo_drops);
	stk_drop(c->ctx, m, why);
}

/* Walks to where [*seq, *seq + len) goes, trimming it against held entries
 * and removing entries it covers. Returns the link to insert at, or NULL
 * when nothing new is left (m freed). */
static struct rte_mbuf **
place(struct stk_conn *c, struct rte_mbuf **mp, uint32_t *seqp)
{
	struct rte_mbuf **pp = &c->ooo_head, *prev = NULL, *m = *mp;
	uint32_t seq = *seqp, end = seq + m->pkt_len;

	while (*pp != NULL) {
		struct rte_mbuf *e = *pp;
		uint32_t s = meta(e)->seq, eend = s + e->pkt_len;

		if (seq_le(eend, seq)) { /* wholly before us */
			prev = e;
			pp = &meta(e)->next;
			continue;
		}
		if (seq_ge(s, end)) /* wholly after us: insert before it */
			break;
		if (seq_le(s, seq) && seq_ge(eend, end)) { /* we bring nothing new */
			TCP_INC(c->ctx, dup_segments);
			rte_pktmbuf_free(m);
			return NULL;
		}
		if (seq_lt(s, seq)) { /* it holds our front */
			m = tcp_mbuf_trim_front(m, eend - seq);
			seq = eend;
			prev = e;
			pp = &meta(e)->next;
			continue;
		}
		if (seq_le(eend, end)) { /* we cover it: ours replaces it */
			*pp = meta(e)->next;
			if (c->ooo_tail == e)
				c->ooo_tail = prev;
			entry_free(c, e);
			continue;
		}
		tcp_mbuf_trim_back(m, end - s); /* it holds our back */
		end = s;
		break;
	}
	*mp = m;
	*seqp = seq;
	return pp;
}

int
tcp_ooo_insert(struct stk_conn *c, struct rte_mbuf *m, uint32_t seq)
{
	struct stk_tcp *t = conn_tcp(c);
	struct rte_mbuf **pp, *tail = c->ooo_tail;

	c->ooo_last = seq;
	if (t->conf.ooo_max == 0) {
		refuse(c, m, STK_DROP_TCP_OOO_FULL);
		return -ENOSPC;
	}
	if (tail != NULL && seq_ge(seq, meta(tail)->seq + tail->pkt_len)) {
		/* the common case: the next segment after the hole's far side */
		pp = &meta(tail)->next;
	} else {
		pp = place(c, &m, &seq);
		if (pp == NULL)
			return 1;
	}
	if (c->ooo_n >= t->conf.ooo_max) {
		/* lower data is worth more: it is closer to filling the hole; but
		 * what a SACK reported stays (no reneging, RFC 2018 8) */
		if (*pp == NULL || (c->flags & TF_SACK)) {
			refuse(c, m, STK_DROP_TCP_OOO_FULL);
			return -ENOSPC;
		}
		/* pp stays valid: if *pp is the tail, the link becomes NULL */
		evict_tail(c);
		TCP_INC(c->ctx, ooo_drops);
	}
	if (t->mem + chain_truesize(m) > t->conf.worker_mem_max) {
		TCP_INC(c->ctx, mem_limited);
		refuse(c, m, STK_DROP_TCP_MEM);
		return -ENOSPC;
	}
	meta(m)->seq = seq;
	meta(m)->next = *pp;
	*pp = m;
	if (meta(m)->next == NULL)
		c->ooo_tail = m;
	account(c, m, 1);
	return 0;
}

struct rte_mbuf *
tcp_ooo_pop(struct stk_conn *c)
{
	struct rte_mbuf *e;

	while ((e = c->ooo_head) != NULL) {
		uint32_t s = meta(e)->seq;

		if (seq_gt(s, c->rcv_nxt))
			return NULL;
		c->ooo_head = meta(e)->next;
		if (c->ooo_head == NULL)
			c->ooo_tail = NULL;
		if (seq_le(s + e->pkt_len, c->rcv_nxt)) {
			entry_free(c, e); /* overtaken by in-order data */
			continue;
		}
		account(c, e, -1);
		if (seq_lt(s, c->rcv_nxt))
			e = tcp_mbuf_trim_front(e, c->rcv_nxt - s);
		return e;
	}
	return NULL;
}

unsigned int
tcp_ooo_sack(const struct stk_conn *c, struct tcp_sack_block *b, unsigned int max)
{
	struct tcp_sack_block first = {0, 0}, ring[TCP_SACK_MAX];
	unsigned int n_ring = 0, pos = 0, n = 0;
	bool have_first = false;
	struct rte_mbuf *e = c->ooo_head;

	if (max == 0)
		return 0;
	max = RTE_MIN(max, (unsigned int)TCP_SACK_MAX);
	while (e != NULL) {
		/* a run of entries that touch is one block */
		struct tcp_sack_block r = {.left = meta(e)->seq,
					   .right = meta(e)->seq + e->pkt_len};

		for (e = meta(e)->next; e != NULL && meta(e)->seq == r.right; e = meta(e)->next)
			r.right += e->pkt_len;
		if (seq_lt(r.left, c->rcv_nxt))
			r.left = c->rcv_nxt;
		if (!seq_lt(r.left, r.right))
			continue;
		if (!have_first && seq_le(r.left, c->ooo_last) && seq_lt(c->ooo_last, r.right)) {
			first = r;
			have_first = true;
			continue;
		}
		ring[pos] = r; /* keeps the highest max - 1 (or max) others */
		pos = (pos + 1) % max;
		n_ring = RTE_MIN(n_ring + 1, max);
	}
	if (have_first)
		b[n++] = first;
	for (unsigned int i = 1; i <= n_ring && n < max; i++)
		b[n++] = ring[(pos + max - i) % max];
	return n;
}

void
tcp_ooo_purge(struct stk_conn *c)
{
	while (c->ooo_head != NULL) {
		struct rte_mbuf *e = c->ooo_head;

		c->ooo_head = meta(e)->next;
		entry_free(c, e);
	}
	c->ooo_tail = NULL;
	c->flags &= ~TF_OOO_FIN;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_tls_io.c - the bytes under a TLS connection (see gw_tls.c): the BIO
 * OpenSSL reads ciphertext through straight from the stack's mbufs and
 * writes records through into mbufs of the worker's pool, handing those to
 * the stack as its send space allows, and the worker's spare mbufs and
 * staging buffer. Worker only.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include <openssl/err.h>

#include "gw_tls_internal.h"

/* ---- mbufs ------------------------------------------------------------------ */

struct rte_mbuf *
tls_take_mbuf(struct gw_tls_worker *w)
{
	if (w->n_spare > 0)
		return w->spare[--w->n_spare];
	return rte_pktmbuf_alloc(w->pool);
}

void
tls_put_mbuf(struct gw_tls_worker *w, struct rte_mbuf *m)
{
	if (w->n_spare < SPARE_MAX && m->data_len == 0 && m->next == NULL)
		w->spare[w->n_spare++] = m;
	else
		rte_pktmbuf_free(m);
}

/* Has n mbufs ready for a send's records, so the BIO cannot run dry in
 * the middle of a record OpenSSL has already sealed. */
int
tls_reserve(struct gw_tls_worker *w, unsigned int n)
{
	n = RTE_MIN(n, (unsigned int)SPARE_MAX);
	if (w->n_spare >= n)
		return 0;
	if (rte_pktmbuf_alloc_bulk(w->pool, &w->spare[w->n_spare], n - w->n_spare) != 0)
		return -ENOBUFS;
	w->n_spare = n;
	return 0;
}

static uint32_t
truesize(const struct rte_mbuf *m)
{
	return (uint32_t)(sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(m->pool) + m->buf_len);
}

void
tls_seg_append(struct seglist *l, struct rte_mbuf *m)
{
	struct rte_mbuf *s = m;

	l->bytes += rte_pktmbuf_pkt_len(m);
	while (s->next != NULL)
		s = s->next;
	if (l->head == NULL)
		l->head = m;
	else
		l->tail->next = m;
	l->tail = s;
}

/* Takes up to len bytes from the front of l, copied into buf (NULL: just
 * dropped); frees the segments it empties. Returns the bytes taken. */
uint32_t
tls_seg_take(struct seglist *l, void *buf, uint32_t len)
{
	uint32_t n = 0;

	while (n < len && l->head != NULL) {
		struct rte_mbuf *s = l->head;
		uint32_t k = RTE_MIN((uint32_t)(s->data_len - l->off), len - n);

		if (buf != NULL)
			memcpy((char *)buf + n, rte_pktmbuf_mtod_offset(s, const char *, l->off),
			       k);
		n += k;
		l->off += k;
		if (l->off == s->data_len) {
			l->head = s->next;
			if (l->head == NULL)
				l->tail = NULL;
			l->off = 0;
			s->next = NULL;
			rte_pktmbuf_free_seg(s);
		}
	}
	l->bytes -= n;
	return n;
}

void
tls_seg_free_all(struct seglist *l)
{
	struct rte_mbuf *s = l->head, *n;

	for (; s != NULL; s = n) {
		n = s->next;
		s->next = NULL;
		rte_pktmbuf_free_seg(s);
	}
	l->head = l->tail = NULL;
	l->bytes = 0;
	l->off = 0;
}

static uint64_t
count_records(struct recparse *p, const uint8_t *b, size_t n)
{
	uint64_t recs = 0;

	while (n > 0) {
		if (p->left > 0) {
			size_t k = RTE_MIN((size_t)p->left, n);
			p->left -= (uint32_t)k;
			b += k;
			n -= k;
			continue;
		}
		if (p->hdr_n == 3)
			p->len_hi = *b;
		if (++p->hdr_n == 5) {
			p->left = (uint32_t)p->len_hi << 8 | *b;
			p->hdr_n = 0;
			recs++;
		}
		b++;
		n--;
	}
	return recs;
}

/* ---- the BIO over the stack's mbufs -------------------------------------------- */

static int
bio_read(BIO *b, char *buf, size_t len, size_t *got)
{
	struct gw_tls *t = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	n = tls_seg_take(&t->rx, buf, (uint32_t)RTE_MIN(len, (size_t)UINT32_MAX));
	*got = n;
	if (n == 0) {
		if (t->flags & TLSF_RX_EOF)
			t->flags |= TLSF_BIO_EOF; /* BIO_CTRL_EOF says so too */
		else
			BIO_set_retry_read(b);
		return 0;
	}
	t->rx_consumed += (uint32_t)n;
	t->w->stats.cipher_in += n;
	t->w->stats.records_in += count_records(&t->rp_in, (const uint8_t *)buf, n);
	return 1;
}

static int
bio_write(BIO *b, const char *buf, size_t len, size_t *done)
{
	struct gw_tls *t = BIO_get_data(b);
	size_t n = 0;

	BIO_clear_retry_flags(b);
	while (n < len) {
		struct rte_mbuf *s = t->tx.tail;
		uint32_t k;

		if (s == NULL || rte_pktmbuf_tailroom(s) == 0) {
			s = tls_take_mbuf(t->w);
			if (s == NULL)
				break;
			s->data_off = 0; /* the stack sends it by reference: no headroom needed */
			tls_seg_append(&t->tx, s);
		}
		k = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(s), (uint32_t)(len - n));
		memcpy(rte_pktmbuf_mtod_offset(s, char *, s->data_len), buf + n, k);
		s->data_len = (uint16_t)(s->data_len + k);
		s->pkt_len = s->data_len;
		t->tx.bytes += k;
		n += k;
	}
	*done = n;
	t->w->stats.records_out += count_records(&t->rp_out, (const uint8_t *)buf, n);
	if (n == 0 && len > 0) {
		t->flags |= TLSF_NOMEM;
		BIO_set_retry_write(b);
		return 0;
	}
	return 1;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct gw_tls *t = BIO_get_data(b);

	(void)num, (void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF: /* OpenSSL tells a FIN from "no data yet" by this */
		return t->rx.head == NULL && (t->flags & TLSF_RX_EOF) ? 1 : 0;
	case BIO_CTRL_PENDING:
		return (long)t->rx.bytes;
	case BIO_CTRL_WPENDING:
		return 0;
	default:
		return 0;
	}
}

int
gw_tls_bio_setup(BIO_METHOD *m)
{
	if (BIO_meth_set_read_ex(m, bio_read) != 1 || BIO_meth_set_write_ex(m, bio_write) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1)
		return -EINVAL;
	return 0;
}

/* Gives the bytes OpenSSL has read back to the stack's window. */
void
tls_give_back(struct gw_tls *t)
{
	uint32_t n = t->rx_consumed;

	t->rx_consumed = 0;
	if (n != 0 && !(t->flags & TLSF_DEAD))
		stk_conn_consumed(t->c, n);
}

void
tls_drop_rx(struct gw_tls *t)
{
	t->rx_consumed += t->rx.bytes;
	tls_seg_free_all(&t->rx);
	tls_give_back(t);
}

/* ---- sending ciphertext ---------------------------------------------------------------- */

/* Hands tx to the stack in pieces that fit its send space. 0 when all of it
 * went, -EAGAIN (the stack calls `writable`), or the stack's error. */
int
tls_flush_tx(struct gw_tls *t)
{
	while (t->tx.head != NULL) {
		uint32_t space = stk_conn_send_space(t->c), size = 0, bytes = 0;
		struct rte_mbuf *s = t->tx.head, *last;
		uint16_t n = 0;
		int rc;

		/* at least one segment: a refusal is what arms `writable` */
		do {
			size += truesize(s);
			bytes += s->data_len;
			n++;
			last = s;
			s = s->next;
		} while (s != NULL && n < PIECE_SEGS && size + truesize(s) <= space);
		last->next = NULL;
		t->tx.head->nb_segs = n;
		t->tx.head->pkt_len = bytes;
		rc = stk_conn_send(t->c, t->tx.head);
		if (rc != 0) {
			last->next = s;
			return rc;
		}
		t->tx.head = s;
		if (s == NULL)
			t->tx.tail = NULL;
		t->tx.bytes -= bytes;
		t->w->stats.cipher_out += bytes;
	}
	return 0;
}

static int
write_all(struct gw_tls *t, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t done = 0;

		ERR_clear_error();
		if (SSL_write_ex(t->ssl, p, n, &done) != 1)
			return -1;
		p += done;
		n -= done;
	}
	return 0;
}

/* Seals the plaintext waiting in txp a record at a time, each once the
 * mbufs for its ciphertext are reserved, so the BIO never runs dry inside
 * a record. A record lying in one segment is sealed in place, else it is
 * gathered through the worker's staging buffer. */
int
tls_encrypt_pending(struct gw_tls *t)
{
	struct gw_tls_worker *w = t->w;

	while (t->txp.head != NULL) {
		const struct rte_mbuf *s = t->txp.head;
		uint32_t n = RTE_MIN(t->txp.bytes, (uint32_t)STAGE_SIZE);
		const uint8_t *p;

		if (tls_reserve(w, tls_segs_for(t, n)) != 0)
			return -ENOBUFS;
		if ((uint32_t)(s->data_len - t->txp.off) >= n) {
			p = rte_pktmbuf_mtod_offset(s, const uint8_t *, t->txp.off);
			if (write_all(t, p, n) != 0)
				return -EPROTO;
			tls_seg_take(&t->txp, NULL, n);
		} else {
			tls_seg_take(&t->txp, w->stage, n);
			if (write_all(t, w->stage, n) != 0)
				return -EPROTO;
		}
	}
	return 0;
}

unsigned int
tls_segs_for(const struct gw_tls *t, uint32_t len)
{
	uint32_t records = len / STAGE_SIZE + 2;		/* and a post-handshake message */
	uint32_t room = rte_pktmbuf_data_room_size(t->w->pool); /* data_off 0: all of it */

	return (len + records * REC_OVERHEAD) / room + 2;
}

/* ---- the worker --------------------------------------------------------------------------------
 */

struct gw_tls_worker *
gw_tls_worker_new(struct rte_mempool *pool, unsigned int hs_budget, int socket)
{
	struct gw_tls_worker *w;

	if (pool == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (gw_tls_global_init() != 0) {
		errno = ENOMEM;
		return NULL;
	}
	w = rte_zmalloc_socket("gw_tls_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->pool = pool;
	w->hs_budget = w->hs_left = hs_budget;
	TAILQ_INIT(&w->deferred);
	return w;
}

void
gw_tls_worker_free(struct gw_tls_worker *w)
{
	if (w == NULL)
		return;
	rte_pktmbuf_free_bulk(w->spare, w->n_spare);
	rte_free(w);
}

const struct gw_tls_stats *
gw_tls_get_stats(const struct gw_tls_worker *w)
{
	return &w->stats;
}

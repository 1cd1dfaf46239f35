/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http_buf.c - mbuf chains for the HTTP proxy (append, split at a
 * message boundary, build from bytes) and the responses the gateway
 * generates. Worker only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "gw_http_internal.h"

int
gw_chain_append(struct rte_mbuf **head, uint32_t *len, struct rte_mbuf *m)
{
	uint32_t n = rte_pktmbuf_pkt_len(m);

	if (*head == NULL) {
		*head = m;
	} else if (rte_pktmbuf_chain(*head, m) != 0) {
		rte_pktmbuf_free(m);
		return -E2BIG;
	}
	*len += n;
	return 0;
}

/* Recomputes pkt_len and nb_segs of a chain from its segments. */
static void
chain_fix(struct rte_mbuf *m)
{
	uint32_t len = 0;
	uint16_t segs = 0;

	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		len += s->data_len;
		segs++;
	}
	m->pkt_len = len;
	m->nb_segs = segs;
}

struct rte_mbuf *
gw_chain_split(struct rte_mempool *pool, struct rte_mbuf **head, uint32_t *len, uint32_t n)
{
	struct rte_mbuf *front = *head, *s = front, *rest, *tail;
	uint32_t off = 0;

	if (n == 0 || front == NULL)
		return NULL;
	if (n >= *len) {
		*head = NULL;
		*len = 0;
		return front;
	}
	while (off + s->data_len <= n) { /* s ends at or before the cut */
		off += s->data_len;
		if (off == n)
			break;
		s = s->next;
	}
	if (off == n) {
		rest = s->next;
		s->next = NULL;
	} else {
		/* the cut is inside s: its tail moves to a new segment */
		uint16_t keep = (uint16_t)(n - off);

		tail = rte_pktmbuf_alloc(pool);
		if (tail == NULL)
			return NULL;
		memcpy(rte_pktmbuf_append(tail, s->data_len - keep),
		       rte_pktmbuf_mtod_offset(s, char *, keep), s->data_len - keep);
		s->data_len = keep;
		tail->next = s->next;
		s->next = NULL;
		rest = tail;
	}
	chain_fix(front);
	chain_fix(rest);
	*head = rest;
	*len -= n;
	return front;
}

struct rte_mbuf *
gw_chain_from(struct rte_mempool *pool, const char *buf, uint32_t len)
{
	struct rte_mbuf *head = NULL, *last = NULL;

	while (len > 0 || head == NULL) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t room, n;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = rte_pktmbuf_tailroom(m);
		n = (uint16_t)RTE_MIN((uint32_t)room, len);
		memcpy(rte_pktmbuf_append(m, n), buf, n);
		buf += n;
		len -= n;
		if (head == NULL)
			head = m;
		else
			last->next = m;
		last = m;
		if (len == 0)
			break;
	}
	chain_fix(head);
	return head;
}

const char *
gw_http_status_text(uint16_t status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return status < 300 ? "OK" : status < 400 ? "Redirect" : "Error";
	}
}

struct rte_mbuf *
gw_http_local_response(struct gw_http *h, uint16_t status, const struct gw_local_resp *lr,
		       const char *request_id, bool close, bool head_only)
{
	char err[160];
	const char *body = lr->body;
	uint32_t bl = lr->body_len;
	size_t cap = h->tx_size, n = 0;
	char *o = h->tx;
	int w;

	if (lr->reason != NULL) {
		w = snprintf(err, sizeof(err), "%u %s: %s\n", status, gw_http_status_text(status),
			     lr->reason);
		bl = (uint32_t)RTE_MIN(w, (int)sizeof(err) - 1);
		body = err;
	}
#define OUT(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(o + n, cap - n, __VA_ARGS__);                                         \
		if (w < 0 || (size_t)w >= cap - n)                                                 \
			return NULL;                                                               \
		n += (size_t)w;                                                                    \
	} while (0)
	OUT("HTTP/1.1 %u %s\r\n", status, gw_http_status_text(status));
	if (status < 200 || status == 204 || status == 304) {
		bl = 0; /* RFC 9110 6.4.1: these never have content */
		OUT("connection: %s\r\n", close ? "close" : "keep-alive");
	} else {
		if (bl > 0)
			OUT("content-type: text/plain\r\n");
		OUT("content-length: %u\r\nconnection: %s\r\n", bl, close ? "close" : "keep-alive");
	}
	if (lr->location != NULL)
		OUT("location: %s\r\n", lr->location);
	if (request_id[0] != '\0')
		OUT("x-request-id: %s\r\n", request_id);
	for (unsigned int i = 0; i < lr->n_add; i++)
		OUT("%s: %s\r\n", lr->add[i].name, lr->add[i].value);
	OUT("\r\n");
#undef OUT
	if (!head_only && bl > 0) {
		if (bl > cap - n)
			return NULL;
		memcpy(o + n, body, bl); /* HEAD: no body (RFC 9110 9.3.2) */
		n += bl;
	}
	return gw_chain_from(h->p->pool, o, (uint32_t)n);
}

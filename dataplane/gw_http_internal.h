/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http_internal.h - the state the HTTP/1.1 proxy's files share
 * (gw_http.c: client connections and requests; gw_http_up.c: upstream
 * connections, the idle pools and responses; gw_http_buf.c: mbuf chains
 * and generated responses). Worker only.
 *
 * A client connection (struct hconn) handles one request at a time; while
 * it is in flight the request is bound to an upstream connection (struct
 * uconn). Each direction holds at most one chain the stack has not taken
 * yet (`out`) besides what it received and has not handled (`in`); input is
 * consumed on its leg only once the other leg took it (or, for heads, once
 * rewritten), so the receive windows bound the memory of a connection.
 */
#ifndef MESHGW_GW_HTTP_INTERNAL_H
#define MESHGW_GW_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_mbuf.h>
#include <rte_timer.h>

#include "gw_alog.h"
#include "gw_h1.h"
#include "gw_http.h"
#include "gw_proxy_internal.h"

/* client connection states */
enum hc_state {
	HC_HEAD,    /* waiting for (the rest of) a request head */
	HC_BODY,    /* forwarding the request body */
	HC_WAIT,    /* request sent: waiting for the response to end */
	HC_TUNNEL,  /* after an upgrade: bytes both ways */
	HC_CLOSING, /* our FIN sent after a last response: discarding input */
};

#define HC_IN_USE	(1u << 0)
#define HC_FIN_IN	(1u << 1)  /* the client sent FIN */
#define HC_CLOSE_AFTER	(1u << 2)  /* close once the current response is out */
#define HC_RESP_STARTED (1u << 3)  /* bytes of the response went to the client */
#define HC_REQ_DONE	(1u << 4)  /* the whole request was read */
#define HC_KEEP_ALIVE	(1u << 5)  /* the client's request allows keep-alive */
#define HC_COUNTED	(1u << 6)  /* counted in active requests (cluster, endpoint) */
#define HC_SHUT		(1u << 7)  /* our FIN queued */
#define HC_IN_RUN	(1u << 8)  /* inside gw_hc_run (no re-entry) */
#define HC_NO_POOL	(1u << 9)  /* this request takes a new upstream connection */
#define HC_UPGRADE_REQ	(1u << 10) /* the request asked for an upgrade */

struct uconn;

struct hconn {
	struct gw_http *h;
	struct stk_conn *c;
	struct uconn *u;	  /* the request's upstream connection, while bound */
	struct rte_mbuf *in;	  /* from the client, not handled yet */
	struct rte_mbuf *out;	  /* to the client, not taken by the stack yet */
	struct stk_conn *out_src; /* the upstream leg out's bytes came from */
	/* a bodiless request sent on a pooled connection: its head, kept (a
	 * clone) to send again on a new connection if the pooled one turns
	 * out to be closed before any byte of the response */
	struct rte_mbuf *replay;
	uint32_t in_len, out_consume, prev_len;
	uint32_t flags;
	uint8_t state; /* enum hc_state */
	uint8_t method;
	uint8_t attempts;
	uint16_t service, cluster;
	uint16_t tried[MAX_ATTEMPTS];
	int ep; /* the request's endpoint (index in mesh->endpoints), -1: none */
	uint32_t saddr, vaddr;
	uint16_t sport, vport;
	uint64_t conn_start, req_start, req_end, last_active; /* TSC */
	uint64_t bytes_in, bytes_out;			      /* this request */
	struct gw_h1_body body;				      /* the request body's framing */
	struct gw_alog_http log;			      /* this request's log fields */
	struct rte_timer timer;
};

/* upstream connection states */
enum uc_state {
	UC_CONNECTING,
	UC_ACTIVE, /* bound to a request */
	UC_IDLE,   /* in its endpoint's idle pool */
	UC_DONE,   /* closing or closed: never used again */
};

#define UC_IN_USE    (1u << 0)
#define UC_HEAD_DONE (1u << 1) /* the final response head went to the client */
#define UC_REUSABLE  (1u << 2) /* the response allows keep-alive */
#define UC_REUSED    (1u << 3) /* taken from the pool for this request */
#define UC_FIN_IN    (1u << 4) /* the endpoint sent FIN */
#define UC_SHUT	     (1u << 5) /* our FIN queued (a tunnel the client ended) */

struct uconn {
	struct gw_http *h;
	struct stk_conn *c;
	struct hconn *hc;	  /* the bound request's client, NULL otherwise */
	struct rte_mbuf *in;	  /* from the endpoint, not handled yet */
	struct rte_mbuf *out;	  /* to the endpoint, not taken by the stack yet */
	struct stk_conn *out_src; /* the client leg out's bytes came from (NULL: a head) */
	uint32_t in_len, out_consume, prev_len;
	uint32_t flags;
	uint8_t state; /* enum uc_state */
	uint8_t req_method;
	uint16_t cluster;
	int ep;
	uint64_t idle_since;
	struct gw_h1_body body; /* the response body's framing */
	TAILQ_ENTRY(uconn) idle_link;
	struct rte_timer timer; /* connect timeout, then idle expiry */
};

TAILQ_HEAD(uconn_list, uconn);

struct gw_http {
	struct gw_http_stats stats; /* first: cache aligned */
	struct gw_proxy *p;
	const struct ctl_http_conf *conf;
	struct gw_h1_limits req_lim, resp_lim;
	struct gw_h1_rand rand;
	bool draining;
	uint32_t n_conns;
	struct hconn *hconns;
	struct uconn *uconns;
	uint32_t *hfree, *ufree;
	uint32_t n_hfree, n_ufree;
	struct gw_http_svc_stats *svc; /* per service */
	struct uconn_list *idle;       /* per endpoint (index in mesh->endpoints) */
	uint32_t *n_idle;	       /* per endpoint */
	struct gw_h1_msg msg;	       /* the head being parsed */
	char *rx;		       /* a head that spans segments, copied to parse it */
	char *tx;		       /* a rewritten head */
	uint32_t rx_size, tx_size;
};

/* ---- gw_http.c: client side ---- */
/* Runs the client connection: parses, forwards, answers. */
void gw_hc_run(struct hconn *hc);
/* Sends what hc holds for the client. False when hc is gone. */
bool gw_hc_flush(struct hconn *hc);
/* The request ended with the response (status, for the log): logs it and
 * readies hc for the next request, or closes it. */
void gw_hc_request_done(struct hconn *hc);
/* The gateway answers the request itself with status (reason: one line) and
 * closes the client connection after it when close is true or the request
 * was not read completely. False when hc is gone. */
bool gw_hc_generate(struct hconn *hc, uint16_t status, const char *reason, uint32_t log_flag,
		    bool close);
/* The end of a tunnel's client direction: FIN upstream once all is sent. */
void gw_hc_tunnel_eof(struct hconn *hc);
/* Resets the client and frees hc (the bound upstream, if any, is closed). */
void gw_hc_abort(struct hconn *hc, uint32_t log_flag);
/* The pooled connection of hc's request was gone before any byte of the
 * response: the request goes again on a new connection if it can (true). */
bool gw_hc_replay(struct hconn *hc);
/* The request no longer counts as active (cluster, endpoint). */
void gw_hc_uncount(struct hconn *hc);
/* Re-arms hc's timer for its state. */
void gw_hc_arm(struct hconn *hc);

/* ---- gw_http_up.c: upstream side ---- */
/* Binds an upstream connection for hc's request (pooled or new): 0, or
 * -EHOSTUNREACH (no endpoint), -EBUSY (circuit breaker) or -ECONNREFUSED
 * (every attempt failed at once), after which hc still owns the request. */
int gw_uc_bind(struct hconn *hc);
/* Queues m (carrying `consume` bytes of src's input) for the endpoint and
 * sends what can go. False when the upstream failed (hc was answered). */
bool gw_uc_send(struct uconn *u, struct rte_mbuf *m, struct stk_conn *src, uint32_t consume);
/* Handles what u received (response head, body) as far as hc can take it. */
void gw_uc_run(struct uconn *u);
/* The request is over: u goes back to its pool or closes. */
void gw_uc_release(struct uconn *u, bool reusable);
/* Draining: closes every idle upstream connection. */
void gw_uc_drain(struct gw_http *h);
/* At exit: resets every upstream connection. */
void gw_uc_stop(struct gw_http *h);
/* Is ci a client leg of the HTTP proxy? */
bool gw_http_is_client(const struct stk_conn_info *ci);

/* ---- gw_http_buf.c: chains and generated responses ---- */
/* Appends m to *head (a chain). 0, or -E2BIG past the segment limit (m freed). */
int gw_chain_append(struct rte_mbuf **head, uint32_t *len, struct rte_mbuf *m);
/* Cuts the first n bytes (n <= *len) off *head and returns them as a chain;
 * *head keeps the rest (NULL when none). A segment split in two has its
 * tail copied to a new mbuf. NULL when n == 0 or no mbuf was left (then
 * *head is unchanged). */
struct rte_mbuf *gw_chain_split(struct rte_mempool *pool, struct rte_mbuf **head, uint32_t *len,
				uint32_t n);
/* A chain holding buf[0..len). NULL when the pool is empty. */
struct rte_mbuf *gw_chain_from(struct rte_mempool *pool, const char *buf, uint32_t len);
/* The response the gateway sends for status (head: to a HEAD request, so
 * without its body, RFC 9110 9.3.2): a chain, or NULL. */
struct rte_mbuf *gw_http_error_response(struct rte_mempool *pool, uint16_t status,
					const char *reason, const char *request_id, bool close,
					bool head);
/* The reason phrase of status. */
const char *gw_http_status_text(uint16_t status);

static inline uint64_t
tsc_to_us(const struct gw_http *h, uint64_t tsc)
{
	return tsc / (h->p->hz / 1000000);
}

#endif /* MESHGW_GW_HTTP_INTERNAL_H */

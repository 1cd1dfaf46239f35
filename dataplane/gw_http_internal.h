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
#include "gw_route.h"

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
#define HC_REPLAY_OK	(1u << 11) /* replay holds the whole request so far */
#define HC_WAKE		(1u << 12) /* unbound until `wake`: a fault delay or a retry back-off */
#define HC_RETRYING	(1u << 13) /* counted in its cluster's retries_active */
#define HC_FAULT_ABORT	(1u << 14) /* answer with the route's abort after the delay */

struct uconn;

struct hconn {
	struct gw_http *h;
	struct stk_conn *c;
	struct uconn *u;	  /* the request's upstream connection, while bound */
	struct rte_mbuf *in;	  /* from the client, not handled yet */
	struct rte_mbuf *out;	  /* to the client, not taken by the stack yet */
	struct stk_conn *out_src; /* the upstream leg out's bytes came from */
	/* the request as sent (clones of its head and body), while it may have
	 * to go again: on a new connection when a pooled one turns out to be
	 * closed before any byte of the response (idempotent, bodiless), or as
	 * a retry of its route (up to http.retry_buffer bytes) */
	struct rte_mbuf *replay;
	struct rte_mbuf *held; /* the head, during a fault delay */
	uint32_t in_len, out_consume, prev_len, replay_len;
	uint32_t flags;
	uint8_t state; /* enum hc_state */
	uint8_t method;
	uint8_t attempts;	    /* endpoints recorded in tried (every try) */
	uint8_t try_attempts;	    /* connects of the current try */
	uint8_t retries;	    /* tries after the first */
	const struct gw_mesh *mesh; /* held; the current one from each request's start */
	uint16_t service, cluster;  /* slots */
	uint16_t tried[MAX_ATTEMPTS];
	int route; /* the request's route (index in mesh->routes), -1: none */
	int ep;	   /* the request's endpoint (slot), -1: none */
	uint32_t saddr, vaddr;
	uint16_t sport, vport;
	uint64_t conn_start, req_start, req_end, last_active; /* TSC */
	uint64_t try_start, wake;			      /* TSC */
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
	uint16_t cluster; /* slots: a pooled connection serves any snapshot's requests */
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
	/* by slot (gw_slots.h) */
	struct gw_http_svc_stats *svc;
	struct uconn_list *idle; /* per endpoint */
	uint32_t *n_idle;
	struct gw_http_route_stats *rstats;
	uint64_t *no_route;		  /* per route table */
	struct gw_route_scratch *scratch; /* Hyperscan's, for every table */
	struct gw_route_hdr *rhdrs;	  /* a request's fields as the matcher sees them */
	char *tgt;			  /* a rewritten request-target */
	struct gw_h1_msg msg;		  /* the head being parsed */
	char *rx;			  /* a head that spans segments, copied to parse it */
	char *tx;			  /* a rewritten head */
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
/* Drops the n head bytes from hc's input (rewritten or answered). */
bool gw_hc_drop_input(struct hconn *hc, uint32_t n);
/* Binds an upstream for the request and sends head (hc owns it until this
 * call): retries a connect failure if the route allows, else answers 503.
 * 1 sent, 0 answered or waiting for a retry, -1 hc gone. */
int gw_hc_send_head(struct hconn *hc, struct rte_mbuf *head);
/* A response the gateway makes (route answers and errors): status, an
 * optional Location, body and extra fields. */
struct gw_local_resp {
	const char *reason;   /* errors: the one line of the body */
	const char *location; /* redirects */
	const char *body;     /* direct responses (may be NULL) */
	uint32_t body_len;
	const struct ctl_header_edit *add; /* response_headers_add */
	unsigned int n_add;
};
/* Answers the request with lr; like gw_hc_generate. */
bool gw_hc_answer(struct hconn *hc, uint16_t status, const struct gw_local_resp *lr,
		  uint32_t log_flag, bool close);

/* ---- gw_http_route.c: route tables ---- */
/* Why a try failed, for the retry policy. */
enum gw_retry_why { GW_RETRY_CONNECT, GW_RETRY_RESET, GW_RETRY_TIMEOUT, GW_RETRY_STATUS };
/* A request of a route-table service: matches its route and applies what
 * does not need an endpoint (no route: 404, redirect, direct response,
 * fault abort or delay, cluster choice). 1 go on and forward (hc->route
 * and hc->cluster set; HC_WAKE: hold the head for a fault delay), 0
 * answered, -1 hc gone. */
int gw_hr_select(struct hconn *hc, const char *buf, const struct gw_h1_msg *m, uint32_t head_len);
/* Authorization of a request (gw_mesh_authorize): 1 to go on, else answered
 * with 403 as gw_hr_select answers (0, or -1 when the connection ended). */
int gw_hr_authorize(struct hconn *hc, const char *buf, const struct gw_h1_msg *m,
		    uint32_t head_len);
/* The fields the route edits in the forwarded request head. */
void gw_hr_request_opts(struct hconn *hc, const char *buf, const struct gw_h1_msg *m,
			struct gw_h1_wopts *o, struct gw_h1_field *extra, unsigned int n_extra);
/* The same for the response head. */
void gw_hr_response_opts(const struct hconn *hc, struct gw_h1_wopts *o, struct gw_h1_field *extra);
/* May the failed try go again? Counts refusals by the budget or count. */
bool gw_hr_may_retry(struct hconn *hc, enum gw_retry_why why, uint16_t status);
/* After gw_hr_may_retry and with hc unbound: waits for the back-off. */
void gw_hr_retry(struct hconn *hc);
/* hc's wake time came (fault delay or back-off over): the request goes on. */
void gw_hr_wake(struct hconn *hc);
/* The route's timeout for hc's request (µs). */
uint64_t gw_hr_timeout_us(const struct hconn *hc);
/* The request ended: route counters, the retry budget's gauge. */
void gw_hr_request_done(struct hconn *hc);
/* Keeps a clone of m (n bytes of the request) for a retry, while it fits. */
void gw_hr_retain(struct hconn *hc, struct rte_mbuf *m, uint32_t n);
/* Worker state for the routes (create/free: control thread). */
int gw_hr_init(struct gw_http *h, int socket);
/* A reload: scratch for mesh's tables, counters of fresh slots cleared. */
void gw_hr_set_mesh(struct gw_http *h, const struct gw_mesh *mesh);
void gw_hr_fini(struct gw_http *h);

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
/* A reload: closes idle upstream connections to endpoints mesh lost. */
void gw_uc_drop_gone(struct gw_http *h, const struct gw_mesh *mesh);
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
struct rte_mbuf *gw_http_local_response(struct gw_http *h, uint16_t status,
					const struct gw_local_resp *lr, const char *request_id,
					bool close, bool head);
/* The reason phrase of status. */
const char *gw_http_status_text(uint16_t status);

/* RFC 9110 9.2.2: safe to send twice. */
static inline bool
gw_http_idempotent(uint8_t method)
{
	switch (method) {
	case GW_H1_M_GET:
	case GW_H1_M_HEAD:
	case GW_H1_M_OPTIONS:
	case GW_H1_M_TRACE:
	case GW_H1_M_PUT:
	case GW_H1_M_DELETE:
		return true;
	default:
		return false;
	}
}

static inline uint64_t
tsc_to_us(const struct gw_http *h, uint64_t tsc)
{
	return tsc / (h->p->hz / 1000000);
}

#endif /* MESHGW_GW_HTTP_INTERNAL_H */

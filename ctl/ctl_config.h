/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config.h - the parsed configuration (libconfig syntax) and its loader.
 *
 * The loader links no DPDK: `meshgw --check` and the config fuzzer use it
 * without an EAL. It validates everything it can without devices: unknown or
 * misspelt keys, types, ranges, cross references (a route's port), and the MTU
 * a PMD can carry. Every error names file, line and what was expected:
 *     meshgw.conf:12: unknown setting 'wokers'
 * The result is a plain value struct (fixed arrays) except for the HTTP
 * route tables, which can hold thousands of routes: they live in one heap
 * object (struct ctl_rtables) the config points to and owns; release it with
 * ctl_config_release(). Copying a struct ctl_config copies the pointer only.
 * Addresses are host byte order. Durations are stored in microseconds.
 */
#ifndef MESHGW_CTL_CONFIG_H
#define MESHGW_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_PORTS	 8
#define CTL_MAX_ADDRS	 8
#define CTL_MAX_WORKERS	 32
#define CTL_MAX_ROUTES	 1024
#define CTL_MAX_EAL_ARGS 32
#define CTL_NAME_MAX	 32
#define CTL_PATH_MAX	 108 /* sun_path */
#define CTL_ARG_MAX	 256

enum ctl_idle { CTL_IDLE_POLL, CTL_IDLE_ADAPTIVE };
enum ctl_huge { CTL_HUGE_AUTO, CTL_HUGE_ON, CTL_HUGE_OFF };
enum ctl_log_level { CTL_LOG_ERROR, CTL_LOG_WARN, CTL_LOG_INFO, CTL_LOG_DEBUG };

/* How a port is attached. */
enum ctl_driver {
	CTL_DRV_AF_PACKET, /* net_af_packet on a kernel interface (iface) */
	CTL_DRV_AF_XDP,	   /* net_af_xdp on a kernel interface (iface) */
	CTL_DRV_TAP,	   /* net_tap creating interface iface */
	CTL_DRV_PCAP,	   /* net_pcap: devargs carry rx_pcap=/tx_pcap= */
	CTL_DRV_PCI,	   /* a real NIC bound to vfio-pci: pci address */
};

struct ctl_eal_conf {
	char args[CTL_MAX_EAL_ARGS][CTL_ARG_MAX]; /* extra EAL arguments, passed as given */
	unsigned int n_args;
	char file_prefix[64]; /* default "meshgw" */
	enum ctl_huge huge;   /* auto: use hugepages when mounted and reserved */
	uint32_t memory_mb;   /* -m when running without hugepages (default 512) */
	uint32_t mbufs;	      /* mbufs per NUMA socket pool (default 16383) */
	uint32_t mbuf_cache;  /* per-lcore mempool cache (default 256) */
};

struct ctl_workers_conf {
	unsigned int count;		     /* default 1 */
	unsigned int cores[CTL_MAX_WORKERS]; /* lcore for each worker; default 1..count */
	unsigned int n_cores;		     /* 0: default placement */
	int control_core;		     /* main lcore (control thread); default 0 */
	enum ctl_idle idle;		     /* default adaptive */
	uint32_t idle_polls;		     /* empty polls before sleeping (default 1000) */
	uint64_t idle_sleep_max_us;	     /* sleep bound (default 1000) */
	uint32_t burst;			     /* rx burst (default 32) */
	uint32_t redirect_ring;		     /* redirect ring size per worker (default 4096) */
	uint32_t rx_desc, tx_desc;	     /* descriptors per queue (default 1024) */
	uint64_t drain_timeout_us; /* SIGTERM: time established connections get (default 10 s) */
};

struct ctl_impair_dir {
	double drop;		  /* probability [0,1] */
	double dup;		  /* probability of sending a packet twice */
	double reorder;		  /* probability of holding a packet back */
	uint32_t reorder_depth;	  /* held back until this many later packets passed (default 3) */
	uint64_t reorder_time_us; /* ...or this long passed (default 1000) */
	uint64_t delay_us;	  /* fixed delay for every packet (0: none) */
	uint32_t queue_max; /* packets held (delay + reorder); overflow dropped, counted (4096) */
};

struct ctl_impair_conf {
	bool enabled; /* true when an impair group is present */
	uint64_t seed;
	struct ctl_impair_dir rx, tx;
};

struct ctl_port_conf {
	char name[CTL_NAME_MAX];
	enum ctl_driver driver;
	char iface[32];		   /* kernel interface (af_packet, af_xdp, tap) */
	char pci[32];		   /* PCI address (pci) */
	char devargs[CTL_ARG_MAX]; /* extra devargs appended as given */
	uint32_t framecnt;	   /* af_packet ring frames (default 4096) */
	uint16_t mtu;		   /* default 1500 */
	uint8_t mac[6];		   /* optional fixed MAC (tap) */
	bool has_mac;
	uint32_t addrs[CTL_MAX_ADDRS];
	uint8_t plens[CTL_MAX_ADDRS];
	unsigned int n_addrs;
	struct ctl_impair_conf impair;
	int line;
};

struct ctl_route_conf {
	uint32_t prefix;
	uint8_t plen;
	uint32_t via;	   /* 0: connected on port */
	unsigned int port; /* index into ports[] (resolved from the name) */
	int line;
};

struct ctl_arp_conf {
	uint32_t cache_size;   /* default 1024 */
	uint32_t pending_max;  /* default 16 */
	uint32_t retries;      /* default 3 */
	uint64_t retry_us;     /* default 1s */
	uint64_t reachable_us; /* default 60s */
	uint64_t failed_us;    /* default 5s */
};

/* The tcp group: mirrors struct stk_tcp_conf (see stack/stk.h for meanings). */
struct ctl_tcp_conf {
	uint32_t max_conns;		       /* default 65536 */
	uint32_t max_listeners;		       /* default 64 */
	uint32_t rcv_buf;		       /* bytes, default 262144 */
	uint32_t snd_buf;		       /* bytes, default 262144 */
	uint64_t worker_mem_max;	       /* bytes, default 268435456 */
	uint32_t ooo_max;		       /* segments per connection, default 256 */
	bool window_scaling;		       /* default true */
	bool timestamps;		       /* default true */
	bool sack;			       /* default true */
	bool nagle;			       /* default false */
	int congestion_control;		       /* enum stk_cc; "newreno" */
	uint64_t rto_min_us;		       /* "200ms" */
	uint64_t rto_max_us;		       /* "60s" */
	uint64_t rto_initial_us;	       /* "1s" */
	uint64_t msl_us;		       /* "30s" */
	uint64_t delayed_ack_us;	       /* "40ms"; "0ms" acks every segment */
	uint64_t keepalive_idle_us;	       /* "0s": off */
	uint64_t keepalive_interval_us;	       /* "75s" */
	uint32_t keepalive_probes;	       /* 9 */
	uint32_t syn_retries;		       /* 5 */
	uint64_t fin_wait2_timeout_us;	       /* "60s" */
	uint32_t syn_backlog;		       /* 4096 */
	bool syncookies;		       /* default true */
	uint32_t challenge_ack_limit;	       /* per second per worker, 1000 (0: none) */
	uint16_t ephemeral_min, ephemeral_max; /* [ 32768, 60999 ] */
};

/* Built-in diagnostic services on the stack's TCP API. */
enum ctl_listener_type { CTL_LSN_ECHO, CTL_LSN_DISCARD, CTL_LSN_SOURCE };
#define CTL_MAX_LISTENERS 64
struct ctl_listener_conf {
	char name[CTL_NAME_MAX];
	enum ctl_listener_type type;
	uint32_t address; /* 0: every local address */
	uint16_t port;
	int line;
};

/* This node, for locality and (later) the mesh: endpoints labelled with
 * this node's name are local; zone orders the rest. */
struct ctl_node_conf {
	char name[CTL_NAME_MAX]; /* default "": no endpoint is local by label */
	char zone[CTL_NAME_MAX]; /* default "" */
};

/* Services, clusters and endpoints (README "Services and clusters"). */
#define CTL_MAX_SERVICES      256
#define CTL_MAX_SERVICE_VIPS  8
#define CTL_MAX_CLUSTERS      256
#define CTL_MAX_ENDPOINTS     4096 /* over every cluster */
#define CTL_MAX_CLUSTER_EPS   1024 /* per cluster */
#define CTL_MAGLEV_TABLE_SIZE 65537

enum ctl_protocol { CTL_PROTO_TCP, CTL_PROTO_HTTP };
/* round_robin is smooth weighted round robin (nginx); least_conn is the
 * power of two choices over active connections. */
enum ctl_lb_policy {
	CTL_LB_ROUND_ROBIN,
	CTL_LB_RANDOM,
	CTL_LB_LEAST_CONN,
	CTL_LB_MAGLEV,
	CTL_LB_RING_HASH,
};
enum ctl_hash_key { CTL_HASH_SOURCE_IP, CTL_HASH_FIVE_TUPLE };

struct ctl_vip_conf {
	uint32_t addr; /* host order */
	uint16_t port;
};

struct ctl_service_conf {
	char name[CTL_NAME_MAX];
	struct ctl_vip_conf vips[CTL_MAX_SERVICE_VIPS]; /* "10.96.0.10:80" */
	unsigned int n_vips;
	unsigned int cluster;	    /* index into clusters[] (resolved from the name) */
	unsigned int route_table;   /* 1 + index into rtables->tables; 0: none (cluster) */
	enum ctl_protocol protocol; /* default tcp */
	unsigned int tls;	    /* 1 + index into tls->ingress: terminate TLS; 0: plain */
	int line;
};

/* TLS at the edges (the top-level `tls` group): ingress contexts a service
 * terminates TLS with (`tls = "<name>"` in the service), the certificate
 * chosen by SNI. */
#define CTL_TLS_MAX_INGRESS 16
#define CTL_TLS_MAX_CERTS   8
#define CTL_TLS_MAX_NAMES   8
#define CTL_TLS_NAME_MAX    128
struct ctl_tls_cert_conf {
	char cert[CTL_ARG_MAX]; /* PEM: the certificate, then its chain */
	char key[CTL_ARG_MAX];	/* PEM private key; refused if group/other can read it */
	/* SNI names it serves: exact ("api.example.com") or a wildcard
	 * ("*.example.com": one label); lower case; none: only as the default */
	char names[CTL_TLS_MAX_NAMES][CTL_TLS_NAME_MAX];
	unsigned int n_names;
	int line;
};
struct ctl_tls_ingress_conf {
	char name[CTL_NAME_MAX];
	int min_version; /* TLS1_2_VERSION (0x0303, default "1.2") or TLS1_3_VERSION ("1.3") */
	/* the first is the default: no SNI, or a name no certificate has */
	struct ctl_tls_cert_conf certs[CTL_TLS_MAX_CERTS];
	unsigned int n_certs;
	char client_ca[CTL_ARG_MAX]; /* PEM roots: client certificates required and
					verified against them; "": none asked */
	int line;
};
struct ctl_tls_conf {
	struct ctl_tls_ingress_conf ingress[CTL_TLS_MAX_INGRESS];
	unsigned int n_ingress;
};

/* Where an endpoint came from (shown by `meshgwctl endpoints`). */
enum ctl_ep_source { CTL_EP_SRC_CONFIG = 0, CTL_EP_SRC_FILE, CTL_EP_SRC_ETCD };
#define CTL_IDENTITY_MAX 128

struct ctl_endpoint_conf {
	uint32_t addr; /* host order */
	uint16_t port;
	uint8_t source;		 /* enum ctl_ep_source */
	uint32_t weight;	 /* 1..10000, default 1 */
	char node[CTL_NAME_MAX]; /* "": not on a mesh node (reached directly) */
	char zone[CTL_NAME_MAX];
	char identity[CTL_IDENTITY_MAX]; /* "spiffe://<trust-domain>/<path>"; "": none */
	int line;			 /* 0: not from the config file */
};

/* Passive outlier detection: consecutive connect failures or resets eject
 * an endpoint for base_ejection x (times it was ejected), at most
 * max_ejection_percent of the cluster at once. */
struct ctl_outlier_conf {
	uint32_t consecutive_failures; /* default 5; 0: off */
	uint64_t interval_us;	       /* how often ejections are reviewed, "1s" */
	uint64_t base_ejection_us;     /* "30s" */
	uint64_t max_ejection_us;      /* cap on the growing time, "300s" */
	uint32_t max_ejection_percent; /* default 10 (at least one endpoint may go) */
	/* HTTP services: consecutive responses that count as failures */
	uint32_t consecutive_5xx;	     /* any 5xx, default 5; 0: off */
	uint32_t consecutive_gateway_errors; /* 502, 503, 504 (ours or the endpoint's), default 5;
						0: off */
};

/* Active health checks of a cluster's endpoints (README "health_check"):
 * off unless the group is present. Each endpoint is checked by one worker;
 * healthy_threshold successes in a row make it healthy, unhealthy_threshold
 * failures unhealthy (ctl_health.h). */
enum ctl_health_type { CTL_HEALTH_TCP, CTL_HEALTH_HTTP };
#define CTL_HEALTH_MAX_STATUSES 16
#define CTL_HEALTH_PATH_MAX	256
#define CTL_HEALTH_HOST_MAX	256
struct ctl_health_range {
	uint16_t lo, hi; /* expected statuses lo..hi (one status: lo == hi) */
};
struct ctl_health_conf {
	bool enabled;			/* the group is present */
	enum ctl_health_type type;	/* default tcp: a connect is a success */
	char path[CTL_HEALTH_PATH_MAX]; /* http: "/" by default */
	char host[CTL_HEALTH_HOST_MAX]; /* http Host; "": the endpoint's "ip:port" */
	struct ctl_health_range statuses[CTL_HEALTH_MAX_STATUSES]; /* default [200] */
	unsigned int n_statuses;
	uint64_t interval_us;	      /* "5s" */
	uint64_t timeout_us;	      /* "1s", below interval */
	uint64_t jitter_us;	      /* "0s": each interval +- up to this, below interval */
	uint32_t healthy_threshold;   /* default 2 */
	uint32_t unhealthy_threshold; /* default 3 */
};

/* HTTP retries per cluster (Envoy's retry budget): retries in flight may be
 * at most percent of the cluster's active requests, but min_concurrency are
 * always allowed. Enforced per worker. */
struct ctl_retry_budget_conf {
	uint32_t percent;	  /* default 20 */
	uint32_t min_concurrency; /* default 3 */
};

/* Locality: endpoints on this node first, then this zone, then the rest;
 * a tier is used while at least min_available_percent of its endpoints are
 * available (else traffic spills into the next tier as well). */
struct ctl_locality_conf {
	bool enabled;			/* default false */
	uint32_t min_available_percent; /* default 70 */
};

/* A cluster's endpoints spoken to over TLS (egress; the cluster's `tls`
 * group): the server's chain verified against ca, sni sent. */
struct ctl_cluster_tls_conf {
	bool enabled;
	char ca[CTL_ARG_MAX];	    /* PEM roots the endpoints' certificates must chain to */
	char sni[CTL_TLS_NAME_MAX]; /* server name sent; "": none */
	bool verify_name;	    /* the certificate must name sni (default true with sni) */
};

struct ctl_cluster_conf {
	char name[CTL_NAME_MAX];
	enum ctl_lb_policy policy;   /* default round_robin */
	enum ctl_hash_key hash_key;  /* maglev, ring_hash: default source_ip */
	uint32_t ring_size;	     /* ring_hash entries, default 32768 */
	uint64_t connect_timeout_us; /* "1s" */
	uint64_t idle_timeout_us;    /* "1h"; "0s": none */
	uint32_t connect_attempts;   /* endpoints tried per connection, default 3 */
	uint32_t max_connections;    /* active connections, default 100000 (split over workers) */
	uint32_t max_pending;	     /* connects in progress, default 1024 (split over workers) */
	bool proxy_protocol;	     /* PROXY protocol v2 header towards endpoints */
	struct ctl_outlier_conf outlier;
	struct ctl_locality_conf locality;
	struct ctl_retry_budget_conf retry_budget;
	struct ctl_health_conf health;
	struct ctl_cluster_tls_conf tls; /* egress TLS; not enabled: plain TCP */
	uint32_t panic_threshold; /* percent healthy below which all endpoints are used; 50, 0: off
				   */
	unsigned int first_endpoint; /* endpoints[first_endpoint .. + n_endpoints) */
	unsigned int n_endpoints;
	int line;
};

/* HTTP/1.1 services (protocol "http"): limits, timeouts, the upstream
 * connection pools and request logging (README "http"). */
struct ctl_http_conf {
	uint32_t max_request_headers_kb;     /* request line + headers; 60 (431 beyond) */
	uint32_t max_response_headers_kb;    /* 60 (502 beyond) */
	uint64_t max_request_body;	     /* bytes, 1 GiB (413 beyond); 0: no limit */
	uint64_t request_header_timeout_us;  /* first byte to end of head, "10s" (408) */
	uint64_t stream_idle_timeout_us;     /* no bytes either way within a request, "5m" */
	uint64_t request_timeout_us;	     /* request end to response head, "15s" (504) */
	uint64_t max_connection_duration_us; /* client connection, "0s": none */
	uint64_t idle_timeout_us;	     /* client keep-alive between requests, "60s" */
	uint32_t upstream_max_idle; /* idle upstream connections per worker and endpoint, 64 */
	uint64_t upstream_idle_timeout_us; /* "30s" */
	double access_log_sample;	   /* share of requests logged, 1.0 (errors: always) */
	uint64_t retry_buffer;		   /* a request is retried only if it fits: 64 KiB */
};

/*
 * HTTP route tables (README "route_tables"). A service with protocol "http"
 * sends to a cluster or to a route table: an ordered list of routes, the
 * first whose every matcher matches the request wins. Strings are
 * NUL-terminated heap copies owned by the struct ctl_rtables.
 */
#define CTL_MAX_ROUTE_TABLES   64
#define CTL_MAX_HTTP_ROUTES    16384 /* over every table */
#define CTL_MAX_ROUTE_HEADERS  4     /* header matchers per route (GW_ROUTE_MAX_HEADERS) */
#define CTL_MAX_WEIGHTED       16    /* clusters of one weighted_clusters */
#define CTL_MAX_HEADER_EDITS   8     /* each of the four add/remove lists */
#define CTL_MAX_RETRY_STATUSES 8
#define CTL_ROUTE_HOST_MAX     255
#define CTL_ROUTE_PATH_MAX     2048
#define CTL_ROUTE_REGEX_MAX    4096
#define CTL_ROUTE_HNAME_MAX    64
#define CTL_ROUTE_HVALUE_MAX   1024
#define CTL_ROUTE_BODY_MAX     4096

/* How a field is matched (the same values as enum gw_route_kind). */
enum ctl_match_kind {
	CTL_MATCH_ANY = 0,
	CTL_MATCH_EXACT,   /* host, path, header value */
	CTL_MATCH_PREFIX,  /* path_prefix */
	CTL_MATCH_SUFFIX,  /* host "*.example.com" */
	CTL_MATCH_REGEX,   /* path_regex, header regex: full match */
	CTL_MATCH_PRESENT, /* header present = true */
};

struct ctl_str_match {
	enum ctl_match_kind kind;
	char *value; /* NULL for ANY and PRESENT */
};

struct ctl_hdr_match {
	char *name; /* lower-cased */
	struct ctl_str_match m;
};

enum ctl_route_action {
	CTL_ACT_CLUSTER,  /* cluster = "name" (weighted_clusters with one entry) */
	CTL_ACT_WEIGHTED, /* weighted_clusters = ( { cluster, weight } ... ) */
	CTL_ACT_REDIRECT, /* redirect = { location, status } */
	CTL_ACT_DIRECT,	  /* direct_response = { status, body } */
};

struct ctl_weighted {
	unsigned int cluster; /* index into clusters[] */
	uint32_t weight;      /* 1..10000 */
};

struct ctl_header_edit {
	char *name;  /* lower-cased token */
	char *value; /* NULL in a remove list */
};

/* retries.on */
#define CTL_RETRY_CONNECT_FAILURE  (1u << 0) /* no connection to the endpoint */
#define CTL_RETRY_RESET		   (1u << 1) /* the endpoint reset or closed before a response */
#define CTL_RETRY_5XX		   (1u << 2) /* any 5xx response (and what connect/reset cover) */
#define CTL_RETRY_GATEWAY_ERROR	   (1u << 3) /* 502, 503, 504 (and connect/reset) */
#define CTL_RETRY_RETRIABLE_STATUS (1u << 4) /* a status listed in statuses */

struct ctl_retry_conf {
	uint32_t on;		     /* CTL_RETRY_* */
	uint32_t count;		     /* retries after the first try, default 1, max 10 */
	uint64_t per_try_timeout_us; /* 0 (default): only the route's timeout */
	uint64_t backoff_base_us;    /* default 25ms */
	uint64_t backoff_max_us;     /* default 10 x base */
	uint16_t statuses[CTL_MAX_RETRY_STATUSES];
	unsigned int n_statuses;
};

/* Fault injection: shares in parts per million of requests. */
struct ctl_fault_conf {
	uint64_t delay_us;
	uint32_t delay_ppm;
	uint16_t abort_status; /* 200..599 */
	uint32_t abort_ppm;
};

struct ctl_http_route {
	char name[CTL_NAME_MAX]; /* default "<index>" within the table */
	int line;
	struct ctl_str_match host, path;
	char *method; /* NULL: any */
	struct ctl_hdr_match headers[CTL_MAX_ROUTE_HEADERS];
	unsigned int n_headers;

	enum ctl_route_action action;
	struct ctl_weighted clusters[CTL_MAX_WEIGHTED]; /* CLUSTER: [0] */
	unsigned int n_clusters;
	uint16_t status;      /* REDIRECT (301, 302 default, 303, 307, 308), DIRECT */
	char *location;	      /* REDIRECT */
	char *body;	      /* DIRECT: may be NULL (empty body) */
	char *prefix_rewrite; /* NULL: none; only with a path_prefix match */
	struct ctl_header_edit req_add[CTL_MAX_HEADER_EDITS], req_remove[CTL_MAX_HEADER_EDITS];
	struct ctl_header_edit resp_add[CTL_MAX_HEADER_EDITS], resp_remove[CTL_MAX_HEADER_EDITS];
	unsigned int n_req_add, n_req_remove, n_resp_add, n_resp_remove;
	uint64_t timeout_us; /* 0: http.request_timeout */
	bool has_retries;
	struct ctl_retry_conf retries;
	bool has_fault;
	struct ctl_fault_conf fault;
};

struct ctl_route_table_conf {
	char name[CTL_NAME_MAX];
	unsigned int first_route; /* rtables->routes[first_route .. + n_routes) */
	unsigned int n_routes;	  /* 1..CTL_MAX_HTTP_ROUTES */
	int line;
};

struct ctl_rtables {
	struct ctl_route_table_conf tables[CTL_MAX_ROUTE_TABLES];
	unsigned int n_tables;
	struct ctl_http_route *routes; /* n_routes of them, table after table */
	unsigned int n_routes, cap_routes;
};

/*
 * Authorization policies (README "policies"), Istio AuthorizationPolicy in
 * spirit: at most one per service, an ordered list of allow and deny rules;
 * deny wins, then any allow, else the policy's default. Within a rule every
 * part present (from, to, http) must match; within a list any element. A
 * source without an identity (plain, unauthenticated) matches only rules
 * without `from`. Strings are NUL-terminated heap copies owned by the
 * struct ctl_policies.
 */
#define CTL_MAX_POLICIES     256
#define CTL_MAX_POLICY_RULES 64 /* per policy */
#define CTL_MAX_POLICY_LIST  16 /* identities, namespaces, ports, methods per rule */

enum ctl_policy_action { CTL_POLICY_ALLOW, CTL_POLICY_DENY };

/* An identity pattern: "*" is any authenticated source; a SPIFFE ID whose
 * last segment is "*" ("spiffe://td/ns/ops/" then "*") a prefix, stored
 * without the '*'; any other SPIFFE ID is exact. */
enum ctl_id_kind { CTL_ID_ANY, CTL_ID_EXACT, CTL_ID_PREFIX };
struct ctl_id_match {
	enum ctl_id_kind kind;
	char *value; /* NULL for ANY; the prefix keeps its trailing '/' */
};

struct ctl_policy_rule {
	char name[CTL_NAME_MAX]; /* default "<index>" within the policy */
	int line;
	enum ctl_policy_action action;
	bool has_from; /* `from` present: the source must be authenticated */
	struct ctl_id_match identities[CTL_MAX_POLICY_LIST]; /* none: any authenticated */
	unsigned int n_identities;
	char *namespaces[CTL_MAX_POLICY_LIST]; /* none: any (or none) */
	unsigned int n_namespaces;
	uint16_t ports[CTL_MAX_POLICY_LIST]; /* destination ports; none: any */
	unsigned int n_ports;
	bool has_http;			    /* only on services with protocol "http" */
	char *methods[CTL_MAX_POLICY_LIST]; /* exact, case-sensitive; none: any */
	unsigned int n_methods;
	struct ctl_str_match path;			     /* ANY, EXACT or PREFIX */
	struct ctl_hdr_match headers[CTL_MAX_ROUTE_HEADERS]; /* EXACT, PREFIX or PRESENT */
	unsigned int n_headers;
};

struct ctl_policy_conf {
	char name[CTL_NAME_MAX];
	unsigned int service;		       /* index into services[] (resolved from the name) */
	enum ctl_policy_action default_action; /* when no rule matches; default "deny" */
	bool dry_run;			       /* decide, count and log, but allow */
	unsigned int first_rule;	       /* policies->rules[first_rule .. + n_rules) */
	unsigned int n_rules;		       /* 0..CTL_MAX_POLICY_RULES */
	int line;
};

struct ctl_policies {
	struct ctl_policy_conf policies[CTL_MAX_POLICIES];
	unsigned int n_policies;
	struct ctl_policy_rule *rules; /* n_rules of them, policy after policy */
	unsigned int n_rules, cap_rules;
};

struct ctl_ctl_conf {
	char socket[CTL_PATH_MAX]; /* default /run/meshgw/meshgw.sock */
};

struct ctl_admin_conf {
	bool enabled;	  /* default true */
	uint32_t address; /* default 127.0.0.1 */
	uint16_t port;	  /* default 9901 */
};

/* The watched endpoints file (README "Discovery: the endpoints file"). */
struct ctl_discovery_conf {
	char endpoints_file[CTL_ARG_MAX]; /* absolute path; "" (default): none */
	uint64_t debounce_us;		  /* quiet time before a change is read, "100ms" */
};

/* Workload identities and the built-in CA (README "identities"); enabled
 * when the group is present. A local workload address maps to the SPIFFE ID
 * spiffe://<trust_domain>/ns/<namespace>/sa/<service_account>. */
#define CTL_MAX_WORKLOADS    256
#define CTL_MAX_BUNDLE	     8
#define CTL_TRUST_DOMAIN_MAX 64 /* 63 characters, [a-z0-9._-] */
#define CTL_ID_SEGMENT_MAX   64 /* namespace, service account: 63 characters */

struct ctl_ca_conf {
	char cert[CTL_ARG_MAX]; /* absolute: the CA certificate, then its chain (PEM) */
	char key[CTL_ARG_MAX];	/* absolute: its key (PEM), no group or other permission */
	bool create;		/* write a new self-signed root there if both are absent */
	char bundle[CTL_MAX_BUNDLE][CTL_ARG_MAX]; /* more trusted roots (rotation overlap) */
	unsigned int n_bundle;
};

struct ctl_workload_conf {
	uint32_t addr;			 /* host order; unique */
	char ns[CTL_ID_SEGMENT_MAX];	 /* [A-Za-z0-9._-]+, not "." or ".." */
	char sa[CTL_ID_SEGMENT_MAX];	 /* same */
	char identity[CTL_IDENTITY_MAX]; /* the SPIFFE ID built from them */
	int line;
};

struct ctl_identities_conf {
	bool enabled;				 /* the group is present */
	char trust_domain[CTL_TRUST_DOMAIN_MAX]; /* default "mesh.local" */
	uint16_t tunnel_port;			 /* default 15008 */
	uint64_t cert_lifetime_us;		 /* "24h"; 10s..720h; renewed at half life */
	struct ctl_ca_conf ca;			 /* required in the group */
	struct ctl_workload_conf workloads[CTL_MAX_WORKLOADS];
	unsigned int n_workloads;
};

struct ctl_log_conf {
	enum ctl_log_level level;     /* default info */
	char access_log[CTL_ARG_MAX]; /* L4 access log file; "" (default): none */
};

struct ctl_config {
	char path[CTL_ARG_MAX];
	struct ctl_eal_conf eal;
	struct ctl_workers_conf workers;
	struct ctl_port_conf ports[CTL_MAX_PORTS];
	unsigned int n_ports;
	struct ctl_route_conf routes[CTL_MAX_ROUTES];
	unsigned int n_routes;
	struct ctl_arp_conf arp;
	struct ctl_tcp_conf tcp;
	struct ctl_listener_conf listeners[CTL_MAX_LISTENERS];
	unsigned int n_listeners;
	struct ctl_node_conf node;
	struct ctl_http_conf http;
	struct ctl_service_conf services[CTL_MAX_SERVICES];
	unsigned int n_services;
	struct ctl_cluster_conf clusters[CTL_MAX_CLUSTERS];
	unsigned int n_clusters;
	struct ctl_endpoint_conf endpoints[CTL_MAX_ENDPOINTS];
	unsigned int n_endpoints;
	struct ctl_rtables *rtables;   /* NULL: no route_tables group; owned */
	struct ctl_tls_conf *tls;      /* NULL: no tls group; owned (ctl_config_release) */
	struct ctl_policies *policies; /* NULL: no policies group; owned */
	struct ctl_ctl_conf ctl;
	struct ctl_admin_conf admin;
	struct ctl_log_conf log;
	struct ctl_discovery_conf discovery;
	struct ctl_identities_conf identities;
};

/* Fills every field with its default. */
void ctl_config_defaults(struct ctl_config *c);

/* Frees what c owns (the route tables) and clears those pointers. */
void ctl_config_release(struct ctl_config *c);
/* Frees a struct ctl_rtables and every string in it. Accepts NULL. */
void ctl_rtables_free(struct ctl_rtables *rt);
/* Frees a struct ctl_policies and every string in it. Accepts NULL. */
void ctl_policies_free(struct ctl_policies *p);

/* Loads and validates a file. On success *out is overwritten (release the
 * old one first); on failure *out is untouched. 0, or -EINVAL with "file:line: message" in err
 * (-ENOENT/-EACCES with "file: message" when it cannot be read). */
int ctl_config_load_file(const char *path, struct ctl_config *out, char *err, size_t errlen);

/* The two halves of ctl_config_load_file, for a caller that also needs
 * the bytes (the reload's content hash): the file NUL-terminated (caller
 * frees; NULL + errno with "file: cannot read: ..." in err), and its
 * validation (a NUL byte in it is an error with its line). */
char *ctl_config_read(const char *path, size_t *len, char *err, size_t errlen);
int ctl_config_load_text(const char *path, const char *text, size_t len, struct ctl_config *out,
			 char *err, size_t errlen);

/* Same for text in memory; name stands for the file name in messages. */
int ctl_config_load_string(const char *text, const char *name, struct ctl_config *out, char *err,
			   size_t errlen);

/* Largest MTU the driver carries with this port's settings (af_packet: 1500
 * with its default frame size); 0 when only the device can tell (pci). */
unsigned int ctl_driver_max_mtu(const struct ctl_port_conf *p);

const char *ctl_driver_name(enum ctl_driver d);

/* "echo", "discard", "source". */
const char *ctl_listener_type_name(enum ctl_listener_type t);

/* "round_robin", "random", "least_conn", "maglev", "ring_hash". */
const char *ctl_lb_policy_name(enum ctl_lb_policy p);

/* "source_ip", "five_tuple". */
const char *ctl_hash_key_name(enum ctl_hash_key k);
/* "config", "file", "etcd". */
const char *ctl_ep_source_name(enum ctl_ep_source s);

#endif /* MESHGW_CTL_CONFIG_H */

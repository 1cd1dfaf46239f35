/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshgwctl.c - the operator's client for the ctl socket: sends one request
 * line, waits for one reply line, prints the result as tables (or as JSON
 * with --json, and nothing else on stdout). Links no DPDK: only the protocol
 * codec and jansson.
 *
 * Exit status: 0 ok, 1 the daemon answered with an error (or no answer in
 * time), 2 the daemon cannot be reached, 64 usage error.
 */
#define _GNU_SOURCE /* GNU strerror_r */
#include "meshgwctl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_proto.h"

#ifndef MESHGW_VERSION
#define MESHGW_VERSION "unknown"
#endif

#define DEFAULT_SOCK	  "/run/meshgw/meshgw.sock"
#define EXIT_FAIL	  1
#define EXIT_UNREACHABLE  2
#define EXIT_USAGE	  64
#define REPLY_MAX	  (16u << 20)
#define REPLY_TIMEOUT_MS  10000
#define RELOAD_TIMEOUT_MS 600000 /* a reload's route compile */
#define READY_SLACK_MS	  2000
#define RETRY_MS	  100
#define TIMEOUT_MAX_MS	  600000 /* the daemon's cap on args.timeout_ms */

struct opts {
	const char *sock;
	bool json;
	bool help;
	bool version;
	long timeout_ms; /* -1: not given */
	int npos;
	bool brief; /* routes: counters only */
	char **pos; /* COMMAND [ARGS...] */
	/* conns filters; NULL / -1: not given */
	const char *state;
	long port;
	long limit;
};

/* How a command's result is printed without --json. */
struct command {
	const char *name;
	const char *shape; /* a key the result must have, else print generically */
	void (*print)(json_t *result);
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ---------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
errstr(int e, char *buf, size_t n)
{
	return strerror_r(e, buf, n);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void
usage(FILE *f)
{
	fputs("usage: meshgwctl [-s PATH] [--json] [--timeout DUR] COMMAND [ARGS...]\n"
	      "\n"
	      "Asks the meshgw daemon over its control socket.\n"
	      "\n"
	      "commands:\n"
	      "  status                      daemon state, workers and ports\n"
	      "  stats                       port, worker and mbuf counters\n"
	      "  arp                         the workers' ARP tables\n"
	      "  ip-routes                   the IPv4 routing table\n"
	      "  wait-ready [--timeout DUR]  wait until the daemon is ready (default 10s)\n"
	      "  conns [--state S] [--port N] [--limit N]\n"
	      "                              TCP connections of every worker (state such as\n"
	      "                              established or time_wait; port local or remote;\n"
	      "                              at most --limit rows, default 1000)\n"
	      "  services                    services: VIPs, cluster, connections\n"
	      "  clusters                    clusters: policy, limits, active and pending,\n"
	      "                              ejected endpoints, the Maglev table digest\n"
	      "  endpoints [CLUSTER]         endpoints: connections, bytes, failures,\n"
	      "                              ejection, drain and health state, source\n"
	      "  drain [CLUSTER] ADDR:PORT   no new connections to that endpoint\n"
	      "  undrain [CLUSTER] ADDR:PORT takes new connections again\n"
	      "  routes [TABLE] [--brief]    HTTP route tables: each route's match, action and\n"
	      "                              counters (--brief: counters only); the compile cache\n"
	      "  reload [--timeout DUR]      re-read the config file and publish it (waits\n"
	      "                              for a route compile, default up to 10m)\n"
	      "  config                      the effective config of the running generation\n"
	      "  policies                    authorization policies: rules and their decisions\n"
	      "  certs [rotate]              workload and gateway certificates (identity,\n"
	      "                              serial, not-after, issuer; never keys), the roots;\n"
	      "                              rotate: renew every certificate now\n"
	      "  log reopen                  reopen the access log (after rotation)\n"
	      "  call CMD [JSON-ARGS]        send any command with a JSON object of arguments\n"
	      "                              (e.g. call tcp-probe '{\"address\":\"10.0.0.2\",\n"
	      "                              \"port\":5001,\"bytes\":1000,\"timeout_ms\":5000}')\n"
	      "\n"
	      "options:\n"
	      "  -s, --socket PATH    control socket (default: $MESHGW_CTL, else " DEFAULT_SOCK
	      ")\n"
	      "  -j, --json           print the result as JSON, nothing else\n"
	      "  -t, --timeout DUR    how long to wait for the reply, or for readiness\n"
	      "                       (wait-ready); DUR is 500ms, 10s, 1m... (max 10m)\n"
	      "  -h, --help           this text\n"
	      "  -V, --version        print the version\n"
	      "\n"
	      "exit status: 0 ok, 1 the daemon reported an error or did not answer in time,\n"
	      "2 the daemon cannot be reached, 64 usage error\n",
	      f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "meshgwctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	usage(stderr);
	return EXIT_USAGE;
}

/* "500ms", "10s", "1m", or bare seconds. 0 or -EINVAL. */
static int
parse_duration(const char *s, long *ms)
{
	char *end;
	unsigned long v;
	unsigned long mult;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else
		return -EINVAL;
	if (v > TIMEOUT_MAX_MS / mult)
		return -EINVAL;
	*ms = (long)(v * mult);
	return 0;
}

/* ---- command line ----------------------------------------------------- */

/* A decimal number 0..max. 0 or -EINVAL. */
static int
parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The value of an option given as "--opt V", "--opt=V" or "-oV". NULL: none. */
static const char *
opt_value(int argc, char **argv, int *i, const char *arg, size_t namelen)
{
	if (arg[namelen] == '=' && arg[1] == '-')
		return arg + namelen + 1;
	if (arg[namelen] != '\0' && arg[1] != '-')
		return arg + namelen;
	if (arg[namelen] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static bool
opt_is(const char *arg, const char *shrt, const char *lng)
{
	size_t n = strlen(lng);

	if (strncmp(arg, shrt, 2) == 0)
		return true;
	return strncmp(arg, lng, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int
parse_option(int argc, char **argv, int *i, struct opts *o)
{
	const char *a = argv[*i];
	const char *v;

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		o->help = true;
	} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
		o->version = true;
	} else if (strcmp(a, "--brief") == 0) {
		o->brief = true;
	} else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
		o->json = true;
	} else if (opt_is(a, "-s", "--socket")) {
		v = opt_value(argc, argv, i, a, a[1] == '-' ? strlen("--socket") : 2);
		if (v == NULL || *v == '\0')
			return usage_error("%s needs a socket path", a);
		o->sock = v;
	} else if (strncmp(a, "--state", 7) == 0 && (a[7] == '\0' || a[7] == '=')) {
		v = opt_value(argc, argv, i, a, strlen("--state"));
		if (v == NULL || *v == '\0')
			return usage_error("%s needs a TCP state such as established", a);
		o->state = v;
	} else if (strncmp(a, "--port", 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
		v = opt_value(argc, argv, i, a, strlen("--port"));
		if (v == NULL || parse_count(v, 65535, &o->port) < 0 || o->port == 0)
			return usage_error("%s needs a port number 1..65535", a);
	} else if (strncmp(a, "--limit", 7) == 0 && (a[7] == '\0' || a[7] == '=')) {
		v = opt_value(argc, argv, i, a, strlen("--limit"));
		if (v == NULL || parse_count(v, 1000000, &o->limit) < 0 || o->limit == 0)
			return usage_error("%s needs a number 1..1000000", a);
	} else if (opt_is(a, "-t", "--timeout")) {
		v = opt_value(argc, argv, i, a, a[1] == '-' ? strlen("--timeout") : 2);
		if (v == NULL)
			return usage_error("%s needs a duration", a);
		if (parse_duration(v, &o->timeout_ms) < 0)
			return usage_error("bad duration '%s' (like 500ms, 10s, 1m; at most 10m)",
					   v);
	} else {
		return usage_error("unknown option '%s'", a);
	}
	return 0;
}

/* Options may come anywhere (wait-ready --timeout 5s); "--" ends them. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	bool opts_done = false;
	int rc;

	o->timeout_ms = -1;
	o->port = -1;
	o->limit = -1;
	o->pos = calloc((size_t)argc, sizeof(*o->pos));
	if (o->pos == NULL)
		return EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (!opts_done && a[0] == '-' && a[1] != '\0') {
			rc = parse_option(argc, argv, &i, o);
			if (rc != 0)
				return rc;
		} else {
			o->pos[o->npos++] = argv[i];
		}
	}
	if (o->sock == NULL)
		o->sock = getenv("MESHGW_CTL");
	if (o->sock == NULL || *o->sock == '\0')
		o->sock = DEFAULT_SOCK;
	return 0;
}

/* ---- talking to the daemon -------------------------------------------- */

/* A connected socket or -errno. The send timeout also bounds connect(). */
static int
connect_sock(const char *path, uint64_t timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = (time_t)(timeout_ms / 1000),
			     .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads up to the first '\n' before deadline. 0 with *line (malloc'd,
 * NUL-terminated, no '\n'), -ETIMEDOUT, -ECONNRESET on EOF, -E2BIG, -errno. */
static int
read_line(int fd, uint64_t deadline, char **line)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	int rc = 0;

	while (nl == NULL) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (len + 4096 + 1 > cap) {
			char *nbuf;

			cap = cap ? cap * 2 : 65536;
			nbuf = cap <= REPLY_MAX ? realloc(buf, cap) : NULL;
			if (nbuf == NULL) {
				rc = cap <= REPLY_MAX ? -ENOMEM : -E2BIG;
				break;
			}
			buf = nbuf;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n == 0 || (n < 0 && errno == EINTR))
			continue;
		n = n < 0 ? -1 : read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? -ECONNRESET : -errno;
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*nl = '\0';
	*line = buf;
	return 0;
}

/* Sends one request (consumes req), reads and parses the reply object. */
static int
exchange(int fd, char *req, uint64_t deadline, json_t **reply)
{
	json_error_t jerr;
	char *line = NULL;
	int rc, send_rc;

	if (req == NULL)
		return -ENOMEM;
	send_rc = send_all(fd, req, strlen(req));
	free(req);
	/* even when the send failed, the daemon may have said why (EBUSY) */
	rc = read_line(fd, deadline, &line);
	if (rc < 0)
		return send_rc < 0 ? send_rc : rc;
	*reply = json_loads(line, 0, &jerr);
	free(line);
	if (*reply == NULL || !json_is_object(*reply) ||
	    !json_is_boolean(json_object_get(*reply, "ok"))) {
		json_decref(*reply);
		*reply = NULL;
		return -EBADMSG;
	}
	return 0;
}

static int
unreachable(const char *path, int e)
{
	char buf[128];

	fprintf(stderr, "meshgwctl: cannot reach meshgw at %s: %s%s\n", path,
		errstr(e, buf, sizeof(buf)),
		e == ENOENT || e == ECONNREFUSED ? " (is the daemon running?)" : "");
	return EXIT_UNREACHABLE;
}

static int
exchange_failed(const char *path, int e, uint64_t waited_ms)
{
	char buf[128];

	if (e == ETIMEDOUT)
		fprintf(stderr, "meshgwctl: no reply from meshgw at %s within %llu ms\n", path,
			(unsigned long long)waited_ms);
	else if (e == EBADMSG)
		fprintf(stderr, "meshgwctl: malformed reply from meshgw at %s\n", path);
	else if (e == ECONNRESET || e == EPIPE)
		fprintf(stderr, "meshgwctl: meshgw at %s closed the connection\n", path);
	else
		fprintf(stderr, "meshgwctl: talking to meshgw at %s: %s\n", path,
			errstr(e, buf, sizeof(buf)));
	return EXIT_FAIL;
}

static int
print_result(const struct opts *o, json_t *result, const struct command *cmd)
{
	if (o->json)
		return ctl_print_json(result);
	if (cmd->shape != NULL && json_object_get(result, cmd->shape) == NULL)
		ctl_print_generic(result);
	else
		cmd->print(result);
	return 0;
}

/* Prints a reply (consumed): the result on stdout, an error on stderr. */
static int
show(const struct opts *o, json_t *reply, const struct command *cmd)
{
	json_t *result = json_object_get(reply, "result");
	json_t *err = json_object_get(reply, "error");
	int rc;

	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *code = json_string_value(json_object_get(err, "code"));
		const char *msg = json_string_value(json_object_get(err, "message"));

		fprintf(stderr, "meshgwctl: %s: %s\n", code ? code : "EIO", msg ? msg : "failed");
		rc = EXIT_FAIL;
	} else if (result == NULL) {
		result = json_object();
		rc = result ? print_result(o, result, cmd) : EXIT_FAIL;
		json_decref(result);
	} else {
		rc = print_result(o, result, cmd);
	}
	json_decref(reply);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_FAIL;
	return rc;
}

/* ---- commands ----------------------------------------------------------- */

static const struct command simple_cmds[] = {
	{"status", "workers", ctl_print_status},     {"stats", "ports", ctl_print_stats},
	{"arp", "entries", ctl_print_arp},	     {"ip-routes", "routes", ctl_print_routes},
	{"services", "services", ctl_print_generic}, {"clusters", "clusters", ctl_print_generic},
	{"config", NULL, ctl_print_generic},	     {"policies", NULL, ctl_print_generic},
};
static const struct command ready_cmd = {"wait-ready", "ready", ctl_print_ready};
static const struct command conns_cmd = {"conns", "connections", ctl_print_conns};
static const struct command call_cmd = {"call", NULL, ctl_print_generic};

static int run_once(const struct opts *o, const char *wire, json_t *args,
		    const struct command *cmd);

/* reload waits for a route compile the daemon runs in the background (up
 * to --timeout, default 10 minutes); the reply may come a little later. */
static int
run_reload(const struct opts *o)
{
	static const struct command reload = {"reload", NULL, ctl_print_generic};
	uint64_t t = o->timeout_ms >= 0 ? (uint64_t)o->timeout_ms : RELOAD_TIMEOUT_MS;
	struct opts wait = *o;

	wait.timeout_ms = (long)(t + REPLY_TIMEOUT_MS);
	return run_once(&wait, "reload", json_pack("{sI}", "timeout_ms", (json_int_t)t), &reload);
}

/* One request, one reply. Consumes args. */
static int
run_once(const struct opts *o, const char *wire, json_t *args, const struct command *cmd)
{
	uint64_t timeout = o->timeout_ms >= 0 ? (uint64_t)o->timeout_ms : REPLY_TIMEOUT_MS;
	uint64_t deadline = now_ms() + timeout;
	json_t *reply = NULL;
	int fd, rc;

	fd = connect_sock(o->sock, timeout);
	if (fd < 0) {
		json_decref(args);
		return unreachable(o->sock, -fd);
	}
	rc = exchange(fd, ctl_proto_request(1, wire, args), deadline, &reply);
	close(fd);
	if (rc < 0)
		return exchange_failed(o->sock, -rc, timeout);
	return show(o, reply, cmd);
}

static int
not_ready(const char *path, uint64_t timeout_ms, int e)
{
	char buf[128];

	fprintf(stderr, "meshgwctl: not ready: cannot reach meshgw at %s within %llu ms: %s\n",
		path, (unsigned long long)timeout_ms, errstr(e, buf, sizeof(buf)));
	return EXIT_FAIL;
}

static bool
retryable(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == EAGAIN || e == ECONNRESET || e == EPIPE;
}

/* Retries until the daemon is up and answers, or the timeout passes. */
static int
run_wait_ready(const struct opts *o)
{
	uint64_t timeout = o->timeout_ms >= 0 ? (uint64_t)o->timeout_ms : 10000;
	uint64_t deadline = now_ms() + timeout;
	int last = ENOENT;

	for (;;) {
		uint64_t now = now_ms(), left = deadline > now ? deadline - now : 0;
		json_t *args = json_pack("{sI}", "timeout_ms", (json_int_t)left);
		json_t *reply = NULL;
		int fd = connect_sock(o->sock, left + 1);
		int rc = fd;

		if (fd >= 0) {
			rc = exchange(fd, ctl_proto_request(1, "wait-ready", args),
				      now + left + READY_SLACK_MS, &reply);
			close(fd);
			args = NULL;
			if (rc == 0)
				return show(o, reply, &ready_cmd);
		}
		json_decref(args);
		if (!retryable(-rc))
			return fd < 0 ? unreachable(o->sock, -rc)
				      : exchange_failed(o->sock, -rc, left + READY_SLACK_MS);
		last = -rc;
		now = now_ms();
		if (now >= deadline)
			break;
		/* the last try lands on the deadline itself */
		sleep_ms(deadline - now < RETRY_MS ? (unsigned int)(deadline - now) : RETRY_MS);
	}
	return not_ready(o->sock, timeout, last);
}

static int
run_call(const struct opts *o)
{
	json_error_t jerr;
	json_t *args = NULL;

	if (o->npos < 2 || o->npos > 3)
		return usage_error("%s", "usage: call CMD [JSON-ARGS]");
	if (o->npos == 3) {
		args = json_loads(o->pos[2], JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(args)) {
			json_decref(args);
			return usage_error("JSON-ARGS must be a JSON object: '%s'", o->pos[2]);
		}
	}
	if (strlen(o->pos[1]) >= CTL_CMD_MAX ||
	    strspn(o->pos[1], "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(o->pos[1]) ||
	    o->pos[1][0] == '\0') {
		json_decref(args);
		return usage_error("bad command name '%s'", o->pos[1]);
	}
	return run_once(o, o->pos[1], args, &call_cmd);
}

/* conns with its filters as arguments. */
static int
run_conns(const struct opts *o)
{
	json_t *args = json_object();

	if (args == NULL)
		return EXIT_FAIL;
	if (o->state != NULL)
		json_object_set_new(args, "state", json_string(o->state));
	if (o->port >= 0)
		json_object_set_new(args, "port", json_integer(o->port));
	if (o->limit >= 0)
		json_object_set_new(args, "limit", json_integer(o->limit));
	return run_once(o, "conns", args, &conns_cmd);
}

/* endpoints [CLUSTER]; drain|undrain [CLUSTER] ADDR:PORT. */
static int
run_mesh(const struct opts *o, const char *cmd)
{
	static const struct command generic = {NULL, NULL, ctl_print_generic};
	bool drain = strcmp(cmd, "endpoints") != 0;
	int want = drain ? 2 : 1; /* positionals besides the command */
	json_t *args = json_object();

	if (o->npos - 1 > want || (drain && o->npos < 2))
		return usage_error("usage: %s", drain ? "drain|undrain [CLUSTER] ADDR:PORT"
						      : "endpoints [CLUSTER]");
	if (drain) {
		json_object_set_new(args, "endpoint", json_string(o->pos[o->npos - 1]));
		if (o->npos == 3)
			json_object_set_new(args, "cluster", json_string(o->pos[1]));
	} else if (o->npos == 2) {
		json_object_set_new(args, "cluster", json_string(o->pos[1]));
	}
	return run_once(o, cmd, args, &generic);
}

/* routes [TABLE] [--brief] */
static int
run_routes(const struct opts *o)
{
	static const struct command cmd = {"routes", "route_tables", ctl_print_http_routes};
	json_t *args = json_object();

	if (o->npos > 2) {
		json_decref(args);
		return usage_error("%s", "usage: routes [TABLE] [--brief]");
	}
	if (o->npos == 2)
		json_object_set_new(args, "table", json_string(o->pos[1]));
	if (o->brief)
		json_object_set_new(args, "brief", json_true());
	return run_once(o, "routes", args, &cmd);
}

static int
run(const struct opts *o)
{
	const char *cmd = o->pos[0];

	if (strcmp(cmd, "conns") != 0 && (o->state != NULL || o->port >= 0 || o->limit >= 0))
		return usage_error("--state, --port and --limit apply only to conns");
	if (strcmp(cmd, "routes") != 0 && o->brief)
		return usage_error("--brief applies only to routes");
	if (strcmp(cmd, "call") == 0)
		return run_call(o);
	if (strcmp(cmd, "log") == 0) {
		static const struct command reopen = {NULL, NULL, ctl_print_generic};

		if (o->npos != 2 || strcmp(o->pos[1], "reopen") != 0)
			return usage_error("%s", "usage: log reopen");
		return run_once(o, "log-reopen", NULL, &reopen);
	}
	if (strcmp(cmd, "endpoints") == 0 || strcmp(cmd, "drain") == 0 ||
	    strcmp(cmd, "undrain") == 0)
		return run_mesh(o, cmd);
	if (strcmp(cmd, "routes") == 0)
		return run_routes(o);
	if (strcmp(cmd, "certs") == 0) {
		static const struct command certs = {"certs", NULL, ctl_print_generic};

		if (o->npos > 2 || (o->npos == 2 && strcmp(o->pos[1], "rotate") != 0))
			return usage_error("%s", "usage: certs [rotate]");
		return run_once(o, "certs", o->npos == 2 ? json_pack("{sb}", "rotate", 1) : NULL,
				&certs);
	}
	if (o->npos > 1)
		return usage_error("unexpected argument '%s'", o->pos[1]);
	if (strcmp(cmd, "wait-ready") == 0)
		return run_wait_ready(o);
	if (strcmp(cmd, "conns") == 0)
		return run_conns(o);
	if (strcmp(cmd, "reload") == 0)
		return run_reload(o);
	for (size_t i = 0; i < NCOLS(simple_cmds); i++)
		if (strcmp(cmd, simple_cmds[i].name) == 0)
			return run_once(o, cmd, NULL, &simple_cmds[i]);
	return usage_error("unknown command '%s'", cmd);
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse_args(argc, argv, &o);

	if (rc == 0 && o.help) {
		usage(stdout);
	} else if (rc == 0 && o.version) {
		printf("meshgwctl %s\n", MESHGW_VERSION);
	} else if (rc == 0 && o.npos == 0) {
		rc = usage_error("%s", "no command given");
	} else if (rc == 0) {
		rc = run(&o);
	}
	free(o.pos);
	return rc;
}

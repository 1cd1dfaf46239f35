/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin.c - the admin HTTP/1.1 endpoint (see ctl_admin.h). Control
 * thread only: everything runs from ctl_loop callbacks.
 *
 * One request per connection. A client goes READ (request head, at most
 * HEAD_MAX bytes within READ_TIMEOUT_MS) -> WRITE (the whole response, from
 * a private buffer) -> LINGER (our side shut, unread input drained so the
 * kernel does not answer it with a reset that could eat the response) ->
 * closed. Every state has a deadline checked on ticks.
 */
#define _GNU_SOURCE /* accept4 */
#include "ctl_admin.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_loop.h"

#define ADMIN_MAX_CLIENTS CTL_LISTENER_MAX
#define HEAD_MAX	  8192
#define READ_TIMEOUT_MS	  5000
#define WRITE_TIMEOUT_MS  10000
#define LINGER_MS	  1000

enum astate {
	A_READ,
	A_WRITE,
	A_LINGER,
};

struct aclient {
	struct ctl_admin *a;
	unsigned int slot;
	int fd;
	enum astate st;
	uint32_t events; /* as registered with the loop */
	bool line_ok;	 /* request line seen and valid */
	bool dead;	 /* free at the next settle() */
	uint64_t deadline_ms;
	size_t in_len;
	char *out;
	size_t out_off, out_len;
	char in[HEAD_MAX];
};

struct ctl_admin {
	struct ctl_loop *loop;
	int lfd;
	uint16_t port;
	struct ctl_listener listener;
	bool ticking;
	ctl_admin_fn fn;
	void *arg;
};

/* The parsed request line; pointers into the client's buffer. */
struct reqline {
	const char *method;
	size_t method_len;
	char *target;
	size_t target_len;
};

static const struct {
	int status;
	const char *text;
} reasons[] = {
	{200, "OK"},
	{204, "No Content"},
	{301, "Moved Permanently"},
	{302, "Found"},
	{304, "Not Modified"},
	{400, "Bad Request"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{431, "Request Header Fields Too Large"},
	{500, "Internal Server Error"},
	{501, "Not Implemented"},
	{503, "Service Unavailable"},
};

static const char *
reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "Status";
}

static void
aclient_free(struct aclient *c)
{
	struct ctl_admin *a = c->a;

	ctl_loop_del(a->loop, c->fd);
	close(c->fd);
	free(c->out);
	ctl_listener_release(&a->listener, c->slot);
	free(c);
}

/* Queues the response; head_only drops the body (HEAD). Consumes body. */
static void
respond(struct aclient *c, int status, const char *ctype, char *body, size_t len, bool head_only)
{
	char head[512];
	int hlen;

	if (ctype == NULL || strpbrk(ctype, "\r\n") != NULL)
		ctype = "application/octet-stream";
	hlen = snprintf(head, sizeof(head),
			"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			"Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			status, reason(status), ctype, len,
			status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (head_only || body == NULL)
		len = 0;
	c->out = hlen > 0 && (size_t)hlen < sizeof(head) ? malloc((size_t)hlen + len) : NULL;
	if (c->out == NULL) {
		c->dead = true;
	} else {
		memcpy(c->out, head, (size_t)hlen);
		if (len > 0)
			memcpy(c->out + hlen, body, len);
		c->out_len = (size_t)hlen + len;
		c->out_off = 0;
		c->st = A_WRITE;
		c->deadline_ms = ctl_now_ms() + WRITE_TIMEOUT_MS;
	}
	free(body);
}

/* Our own short answers (errors the handler never sees). */
static void
respond_status(struct aclient *c, int status)
{
	char *body = NULL;
	int len = asprintf(&body, "%d %s\n", status, reason(status));

	if (len < 0) {
		c->dead = true;
		return;
	}
	respond(c, status, "text/plain; charset=utf-8", body, (size_t)len, false);
}

static bool
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Strict "method SP origin-form SP HTTP/1.x" (line without CR/LF). 0 or -EBADMSG. */
static int
parse_request_line(char *line, size_t len, struct reqline *rl)
{
	size_t i = 0, t;

	while (i < len && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i == len || line[i] != ' ')
		return -EBADMSG;
	rl->method = line;
	rl->method_len = i++;
	t = i;
	while (i < len && line[i] > ' ' && line[i] < 0x7f)
		i++;
	if (i == t || i == len || line[i] != ' ' || line[t] != '/')
		return -EBADMSG;
	rl->target = line + t;
	rl->target_len = i - t;
	i++;
	if (len - i != 8 || memcmp(line + i, "HTTP/1.", 7) != 0 || line[i + 7] < '0' ||
	    line[i + 7] > '9')
		return -EBADMSG;
	return 0;
}

static bool
method_is(const struct reqline *rl, const char *m)
{
	return rl->method_len == strlen(m) && memcmp(rl->method, m, rl->method_len) == 0;
}

/* Answers a complete, well-formed request head. */
static void
dispatch(struct aclient *c, struct reqline *rl)
{
	bool head = method_is(rl, "HEAD");
	const char *ctype = NULL;
	char *body = NULL;
	size_t len = 0;
	int status;

	if (!head && !method_is(rl, "GET")) {
		respond_status(c, 405);
		return;
	}
	/* the handler sees the path only: no query string, no fragment */
	rl->target[strcspn(rl->target, "?#")] = '\0';
	status = c->a->fn(c->a->arg, rl->target, &body, &len, &ctype);
	if (status < 100 || status > 599) {
		free(body);
		respond_status(c, 500);
		return;
	}
	if (body == NULL)
		len = 0;
	respond(c, status, ctype ? ctype : "text/plain; charset=utf-8", body, len, head);
}

/* The head ends at an empty line; bare LF line ends are tolerated. */
static bool
head_complete(const char *buf, size_t len)
{
	for (size_t i = 1; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i - 1] == '\n' || (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n'))
			return true;
	}
	return false;
}

/* Each field line after the request line must be "name:..." (no obsolete
 * line folding); the head is known to be complete. */
static bool
fields_valid(const char *p, const char *end)
{
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len, name = 0;

		if (eol == NULL)
			return false;
		len = (size_t)(eol - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			return true;
		while (name < len && is_tchar((unsigned char)p[name]))
			name++;
		if (name == 0 || name == len || p[name] != ':')
			return false;
		p = eol + 1;
	}
	return false;
}

/* Looks at what has arrived so far: a bad request line is answered at once. */
static void
examine_head(struct aclient *c)
{
	struct reqline rl;
	char *eol = memchr(c->in, '\n', c->in_len);
	size_t len;

	if (eol == NULL) {
		if (c->in_len == HEAD_MAX)
			respond_status(c, 431);
		return;
	}
	len = (size_t)(eol - c->in);
	if (len > 0 && c->in[len - 1] == '\r')
		len--;
	if (parse_request_line(c->in, len, &rl) < 0) {
		respond_status(c, 400);
		return;
	}
	if (!head_complete(c->in, c->in_len)) {
		if (c->in_len == HEAD_MAX)
			respond_status(c, 431);
		return;
	}
	if (!fields_valid(eol + 1, c->in + c->in_len)) {
		respond_status(c, 400);
		return;
	}
	rl.target[rl.target_len] = '\0'; /* overwrites the SP before the version */
	dispatch(c, &rl);
}

static void
read_head(struct aclient *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, HEAD_MAX - c->in_len);

	if (n > 0) {
		c->in_len += (size_t)n;
		examine_head(c);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		c->dead = true; /* gone before finishing a request: nothing to answer */
	}
}

static void
write_out(struct aclient *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		c->out_off += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	c->st = A_LINGER;
	c->deadline_ms = ctl_now_ms() + LINGER_MS;
}

static void
drain(struct aclient *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		c->dead = true;
}

static void
settle(struct aclient *c)
{
	uint32_t want;

	if (!c->dead && c->st == A_WRITE)
		write_out(c);
	if (c->dead) {
		aclient_free(c);
		return;
	}
	want = c->st == A_WRITE ? EPOLLOUT : EPOLLIN;
	if (want != c->events) {
		if (ctl_loop_mod(c->a->loop, c->fd, want) < 0)
			aclient_free(c);
		else
			c->events = want;
	}
}

static void
on_client(void *arg, int fd, uint32_t events)
{
	struct aclient *c = arg;

	(void)fd;
	if (events & (EPOLLERR | EPOLLHUP))
		c->dead = true;
	else if (c->st == A_READ && (events & EPOLLIN))
		read_head(c);
	else if (c->st == A_LINGER && (events & EPOLLIN))
		drain(c);
	settle(c);
}

static void *
aclient_new(void *arg, int fd, unsigned int slot)
{
	struct ctl_admin *a = arg;
	struct aclient *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->a = a;
	c->slot = slot;
	c->fd = fd;
	c->st = A_READ;
	c->events = EPOLLIN;
	c->deadline_ms = ctl_now_ms() + READ_TIMEOUT_MS;
	if (ctl_loop_add(a->loop, fd, c->events, on_client, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* What a client over the limit is told before the close. */
static const char busy_response[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				    "Connection: close\r\n\r\n";

static void
on_tick(void *arg)
{
	struct ctl_admin *a = arg;
	uint64_t now = ctl_now_ms();

	ctl_listener_resume(&a->listener);
	for (unsigned int i = 0; i < CTL_LISTENER_MAX; i++) {
		struct aclient *c = a->listener.clients[i];

		if (c != NULL && now >= c->deadline_ms) {
			c->dead = true;
			settle(c);
		}
	}
}

static int
listen_tcp(struct ctl_admin *a, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	socklen_t slen = sizeof(sin);
	int one = 1;

	a->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd < 0)
		return -errno;
	if (setsockopt(a->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(a->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(a->lfd, ADMIN_MAX_CLIENTS) < 0 ||
	    getsockname(a->lfd, (struct sockaddr *)&sin, &slen) < 0)
		return -errno;
	a->port = ntohs(sin.sin_port);
	return 0;
}

struct ctl_admin *
ctl_admin_create(struct ctl_loop *loop, uint32_t addr, uint16_t port, ctl_admin_fn fn, void *arg)
{
	struct ctl_admin *a = NULL;
	int rc = -EINVAL;

	if (loop == NULL || fn == NULL)
		goto fail;
	rc = -ENOMEM;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto fail;
	a->loop = loop;
	a->lfd = -1;
	a->fn = fn;
	a->arg = arg;
	rc = listen_tcp(a, addr, port);
	if (rc == 0)
		rc = ctl_listener_start(&a->listener, loop, a->lfd, busy_response, aclient_new, a);
	if (rc < 0)
		goto fail;
	rc = ctl_loop_on_tick(loop, on_tick, a);
	if (rc < 0)
		goto fail;
	a->ticking = true;
	return a;
fail:
	ctl_admin_free(a);
	errno = -rc;
	return NULL;
}

uint16_t
ctl_admin_port(const struct ctl_admin *a)
{
	return a->port;
}

void
ctl_admin_free(struct ctl_admin *a)
{
	if (a == NULL)
		return;
	for (unsigned int i = 0; i < CTL_LISTENER_MAX; i++)
		if (a->listener.clients[i] != NULL)
			aclient_free(a->listener.clients[i]);
	if (a->ticking)
		ctl_loop_off_tick(a->loop, on_tick, a);
	if (a->lfd >= 0) {
		ctl_loop_del(a->loop, a->lfd);
		close(a->lfd);
	}
	free(a);
}

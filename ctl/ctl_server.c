/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_server.c - the ctl Unix socket server (see ctl_server.h). Control
 * thread only: everything runs from ctl_loop callbacks.
 *
 * A client is a byte stream of request lines, answered strictly in order.
 * At most one request per client is in progress: while a handler keeps
 * answering CTL_AGAIN, later lines wait in the input buffer (which stops
 * being read when full), so the per-client backlog is bounded by
 * CTL_LINE_MAX. The output queue pauses line processing at OUT_PAUSE bytes
 * and drops the client past OUT_MAX.
 *
 * Callbacks never free a client in the middle of its work: they set flags
 * (dead, closing, eof) and settle() at the end either frees it or updates
 * its epoll interest.
 */
#define _GNU_SOURCE /* accept4, GNU strerror_r */
#include "ctl_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_loop.h"
#include "ctl_proto.h"

#define IN_CAP	       (CTL_LINE_MAX + 1) /* a longest line plus its '\n' */
#define IN_FIRST       4096
#define OUT_PAUSE      (256 * 1024)
#define OUT_MAX	       (1024 * 1024)
#define CLOSE_GRACE_MS 5000 /* a closing client that never reads its error */
#define DRAIN_MS       1000 /* after our last reply, input is discarded this long */
#define TIMEOUT_MS_MAX 600000

struct cmd_entry {
	char name[CTL_CMD_MAX];
	ctl_cmd_fn fn;
	void *arg;
};

/* The request being answered; later lines wait until it is done. */
struct pending {
	bool active;
	struct ctl_request req;
	size_t cmd; /* index into srv->cmds (the array may move) */
	unsigned int timeout_ms;
	uint64_t deadline_ms;
};

struct client {
	struct ctl_server *srv;
	unsigned int slot;
	int fd;
	uint32_t events; /* as registered with the loop */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	struct pending pend;
	bool eof;      /* peer shut its side: answer what is buffered, then close */
	bool closing;  /* flush the output, then close */
	bool draining; /* closing, output sent, write side shut: discard input until EOF */
	bool dead;     /* free at the next settle() */
	uint64_t close_by_ms;
};

struct ctl_server {
	struct ctl_loop *loop;
	int lfd;
	bool bound;
	struct ctl_listener listener;
	bool ticking;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct cmd_entry *cmds;
	size_t ncmds;
};

static size_t
out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

static void
client_free(struct client *c)
{
	struct ctl_server *srv = c->srv;

	ctl_loop_del(srv->loop, c->fd);
	close(c->fd);
	ctl_request_clear(&c->pend.req);
	free(c->in);
	free(c->out);
	ctl_listener_release(&srv->listener, c->slot);
	free(c);
}

/* Queues one reply line; consumes line (NULL: allocation failed). */
static void
queue_line(struct client *c, char *line)
{
	size_t len, need;

	if (line == NULL) {
		c->dead = true;
		return;
	}
	len = strlen(line);
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + len;
	if (need > OUT_MAX) {
		/* the client does not read its replies: shed it */
		c->dead = true;
	} else if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *out;

		while (cap < need)
			cap *= 2;
		out = realloc(c->out, cap);
		if (out == NULL) {
			c->dead = true;
		} else {
			c->out = out;
			c->out_cap = cap;
		}
	}
	if (!c->dead) {
		memcpy(c->out + c->out_len, line, len);
		c->out_len += len;
	}
	free(line);
}

static void
reply_error(struct client *c, const struct ctl_request *req, const struct ctl_error *err)
{
	queue_line(c, ctl_proto_error(req, err));
}

static void
flush(struct client *c)
{
	while (out_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c),
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
	c->out_off = 0;
	c->out_len = 0;
}

static void
pend_finish(struct client *c)
{
	ctl_request_clear(&c->pend.req);
	c->pend.active = false;
}

/* Calls the pending request's handler once and answers unless it says again. */
static void
pend_run(struct client *c)
{
	struct pending *p = &c->pend;
	const struct cmd_entry *cmd = &c->srv->cmds[p->cmd];
	struct ctl_error err = {0};
	json_t *result = NULL;
	char buf[128];
	int rc;

	rc = cmd->fn(cmd->arg, p->req.args, &result, &err);
	cmd = &c->srv->cmds[p->cmd]; /* the handler may have registered commands */
	if (rc == CTL_AGAIN) {
		json_decref(result);
		if (ctl_now_ms() < p->deadline_ms)
			return;
		ctl_error_set(&err, ETIMEDOUT, "not ready after %u ms", p->timeout_ms);
		reply_error(c, &p->req, &err);
	} else if (rc == 0) {
		queue_line(c, ctl_proto_ok(&p->req, result));
	} else {
		json_decref(result);
		if (rc > 0)
			ctl_error_set(&err, EIO, "handler for '%s' returned %d", cmd->name, rc);
		else if (err.code[0] == '\0')
			ctl_error_set(&err, -rc, "%s", strerror_r(-rc, buf, sizeof(buf)));
		reply_error(c, &p->req, &err);
	}
	pend_finish(c);
}

static int
find_cmd(const struct ctl_server *srv, const char *name, size_t *idx)
{
	for (size_t i = 0; i < srv->ncmds; i++) {
		if (strcmp(srv->cmds[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

static int
parse_timeout(json_t *args, unsigned int *ms, struct ctl_error *err)
{
	json_t *t = json_object_get(args, "timeout_ms");
	json_int_t v;

	*ms = 0;
	if (t == NULL)
		return 0;
	v = json_is_integer(t) ? json_integer_value(t) : -1;
	if (v < 0 || v > TIMEOUT_MS_MAX) {
		ctl_error_set(err, EINVAL, "'timeout_ms' must be an integer in 0..%d",
			      TIMEOUT_MS_MAX);
		return -EINVAL;
	}
	*ms = (unsigned int)v;
	return 0;
}

static void
handle_line(struct client *c, const char *line, size_t len)
{
	struct pending *p = &c->pend;
	struct ctl_error err = {0};

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	if (ctl_proto_decode(line, len, &p->req, &err) < 0) {
		reply_error(c, &p->req, &err);
		ctl_request_clear(&p->req);
		return;
	}
	if (find_cmd(c->srv, p->req.cmd, &p->cmd) < 0) {
		ctl_error_set(&err, ENOENT, "unknown command '%s'", p->req.cmd);
		reply_error(c, &p->req, &err);
		ctl_request_clear(&p->req);
		return;
	}
	if (parse_timeout(p->req.args, &p->timeout_ms, &err) < 0) {
		reply_error(c, &p->req, &err);
		ctl_request_clear(&p->req);
		return;
	}
	p->deadline_ms = ctl_now_ms() + p->timeout_ms;
	p->active = true;
	pend_run(c);
}

static void
too_long(struct client *c)
{
	struct ctl_error err = {0};

	ctl_error_set(&err, E2BIG, "request line longer than %d bytes", CTL_LINE_MAX);
	reply_error(c, NULL, &err);
	c->closing = true;
	c->close_by_ms = ctl_now_ms() + CLOSE_GRACE_MS;
	c->in_len = 0;
}

/* Answers complete lines in order while nothing is in progress. */
static void
process_lines(struct client *c)
{
	size_t off = 0;

	if (c->in_len == 0)
		return;
	while (!c->dead && !c->closing && !c->pend.active && out_pending(c) < OUT_PAUSE) {
		char *line = c->in + off;
		char *nl = memchr(line, '\n', c->in_len - off);
		size_t len;

		if (nl == NULL) {
			/* at EOF the unterminated tail is the last request */
			if (!c->eof || off == c->in_len)
				break;
			nl = c->in + c->in_len;
		}
		len = (size_t)(nl - line);
		off += len + (nl < c->in + c->in_len);
		handle_line(c, line, len);
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (!c->dead && !c->closing && !c->pend.active && c->in_len == IN_CAP &&
	    memchr(c->in, '\n', c->in_len) == NULL)
		too_long(c);
}

static int
grow_input(struct client *c)
{
	size_t cap = c->in_cap ? c->in_cap * 2 : IN_FIRST;
	char *in;

	if (cap > IN_CAP)
		cap = IN_CAP;
	in = realloc(c->in, cap);
	if (in == NULL)
		return -ENOMEM;
	c->in = in;
	c->in_cap = cap;
	return 0;
}

/* Closing with unread input would make the kernel reset the connection and
 * the client could lose our last reply (E2BIG): shut our side, then discard
 * what the client still sends until it closes or the grace period ends. */
static void
drain_input(struct client *c)
{
	char sink[4096];
	ssize_t n = read(c->fd, sink, sizeof(sink));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		c->dead = true;
}

/* One read per event: the loop is level-triggered and will call again. */
static void
read_input(struct client *c)
{
	ssize_t n;

	if (c->draining) {
		drain_input(c);
		return;
	}
	if (c->in_len == c->in_cap && grow_input(c) < 0) {
		c->dead = true;
		return;
	}
	if (c->in_len == c->in_cap)
		return;
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n > 0)
		c->in_len += (size_t)n;
	else if (n == 0)
		c->eof = true;
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		c->dead = true;
}

/* Frees the client or brings its epoll interest up to date. */
static void
settle(struct client *c)
{
	uint32_t want = 0;

	if (!c->dead && out_pending(c) > 0)
		flush(c);
	if (!c->dead && out_pending(c) == 0) {
		if (c->closing && !c->draining && !c->eof) {
			shutdown(c->fd, SHUT_WR);
			c->draining = true;
			c->close_by_ms = ctl_now_ms() + DRAIN_MS;
		} else if (c->closing && !c->draining) {
			c->dead = true;
		} else if (!c->closing && c->eof && !c->pend.active && c->in_len == 0) {
			c->dead = true;
		}
	}
	if (c->dead) {
		client_free(c);
		return;
	}
	if ((!c->closing && !c->eof && !c->pend.active && c->in_len < IN_CAP &&
	     out_pending(c) < OUT_PAUSE) ||
	    c->draining)
		want |= EPOLLIN;
	if (out_pending(c) > 0)
		want |= EPOLLOUT;
	if (want != c->events) {
		if (ctl_loop_mod(c->srv->loop, c->fd, want) < 0)
			client_free(c);
		else
			c->events = want;
	}
}

static void
on_client(void *arg, int fd, uint32_t events)
{
	struct client *c = arg;

	(void)fd;
	/* HUP means the peer closed both ways: nobody is left to read replies */
	if (events & (EPOLLERR | EPOLLHUP))
		c->dead = true;
	if (!c->dead && (events & EPOLLOUT))
		flush(c);
	if (!c->dead && (events & EPOLLIN))
		read_input(c);
	if (!c->dead)
		process_lines(c);
	settle(c);
}

static void *
client_new(void *arg, int fd, unsigned int slot)
{
	struct ctl_server *srv = arg;
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->srv = srv;
	c->slot = slot;
	c->fd = fd;
	c->events = EPOLLIN;
	if (ctl_loop_add(srv->loop, fd, c->events, on_client, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* What a client over the limit is told before the close. */
static const char busy_line[] = "{\"ok\":false,\"error\":{\"code\":\"EBUSY\",\"message\":\"too "
				"many ctl clients\"}}\n";

static void
on_tick(void *arg)
{
	struct ctl_server *srv = arg;
	uint64_t now = ctl_now_ms();

	ctl_listener_resume(&srv->listener);
	for (unsigned int i = 0; i < CTL_LISTENER_MAX; i++) {
		struct client *c = srv->listener.clients[i];

		if (c == NULL)
			continue;
		if (c->closing && now >= c->close_by_ms)
			c->dead = true;
		if (!c->dead && c->pend.active)
			pend_run(c);
		if (!c->dead)
			process_lines(c);
		settle(c);
	}
}

static int
mkdir_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Removes a socket file nobody listens on; refuses to touch anything else. */
static int
remove_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE; /* a live daemon owns it */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
listen_unix(struct ctl_server *srv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int rc;

	memcpy(sun.sun_path, srv->path, sizeof(sun.sun_path));
	rc = mkdir_parents(srv->path);
	if (rc == 0)
		rc = remove_stale(srv->path, &sun);
	if (rc < 0)
		return rc;
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0)
		return -errno;
	if (bind(srv->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	srv->bound = true;
	/* the directory is 0755: the mode bits are what keep other users out */
	if (chmod(srv->path, 0600) < 0 || listen(srv->lfd, CTL_MAX_CLIENTS) < 0)
		return -errno;
	return 0;
}

struct ctl_server *
ctl_server_create(struct ctl_loop *loop, const char *path)
{
	struct ctl_server *srv = NULL;
	int rc = -EINVAL;

	if (loop == NULL || path == NULL || path[0] == '\0')
		goto fail;
	rc = -ENAMETOOLONG;
	if (strlen(path) >= sizeof(srv->path))
		goto fail;
	rc = -ENOMEM;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		goto fail;
	srv->loop = loop;
	srv->lfd = -1;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	rc = listen_unix(srv);
	if (rc == 0)
		rc = ctl_listener_start(&srv->listener, loop, srv->lfd, busy_line, client_new, srv);
	if (rc < 0)
		goto fail;
	rc = ctl_loop_on_tick(loop, on_tick, srv);
	if (rc < 0)
		goto fail;
	srv->ticking = true;
	return srv;
fail:
	ctl_server_free(srv);
	errno = -rc;
	return NULL;
}

void
ctl_server_free(struct ctl_server *srv)
{
	if (srv == NULL)
		return;
	for (unsigned int i = 0; i < CTL_LISTENER_MAX; i++)
		if (srv->listener.clients[i] != NULL)
			client_free(srv->listener.clients[i]);
	if (srv->ticking)
		ctl_loop_off_tick(srv->loop, on_tick, srv);
	if (srv->lfd >= 0) {
		ctl_loop_del(srv->loop, srv->lfd);
		close(srv->lfd);
	}
	if (srv->bound)
		unlink(srv->path);
	free(srv->cmds);
	free(srv);
}

int
ctl_server_register(struct ctl_server *srv, const char *cmd, ctl_cmd_fn fn, void *arg)
{
	struct cmd_entry *cmds;
	size_t idx, len = cmd ? strlen(cmd) : 0;

	if (fn == NULL || len == 0 || len >= CTL_CMD_MAX ||
	    strspn(cmd, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return -EINVAL;
	if (find_cmd(srv, cmd, &idx) == 0)
		return -EEXIST;
	cmds = realloc(srv->cmds, (srv->ncmds + 1) * sizeof(*cmds));
	if (cmds == NULL)
		return -ENOMEM;
	srv->cmds = cmds;
	memcpy(cmds[srv->ncmds].name, cmd, len + 1);
	cmds[srv->ncmds].fn = fn;
	cmds[srv->ncmds].arg = arg;
	srv->ncmds++;
	return 0;
}

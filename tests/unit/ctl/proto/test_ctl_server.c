/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_server.c - the control loop, the ctl socket server and the admin
 * HTTP endpoint, in-process: each test owns a loop, a server on a socket in
 * a fresh temporary directory and an admin listener on a loopback port; the
 * test plays the client over real sockets and turns the loop by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl_admin.h"
#include "ctl_loop.h"
#include "ctl_proto.h"
#include "ctl_server.h"

#define TURN_LIMIT_MS 5000

struct fixture {
	char dir[64];
	char path[128];
	struct ctl_loop *loop;
	struct ctl_server *srv;
	struct ctl_admin *admin;
	uint16_t port;
	int later_calls; /* "later" answers after 3 calls */
	char last_path[256];
};

/* ---- command and page handlers ---------------------------------------- */

static int
cmd_echo(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)arg;
	(void)err;
	*result = json_deep_copy(args);
	return 0;
}

static int
cmd_empty(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)arg;
	(void)args;
	(void)err;
	*result = NULL;
	return 0;
}

static int
cmd_fail(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)arg;
	(void)args;
	(void)result;
	ctl_error_set(err, EPERM, "nope");
	return -EPERM;
}

static int
cmd_errno(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)arg;
	(void)args;
	(void)result;
	(void)err;
	return -EBUSY;
}

static int
cmd_never(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	(void)arg;
	(void)args;
	(void)result;
	(void)err;
	return CTL_AGAIN;
}

static int
cmd_later(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct fixture *f = arg;

	(void)args;
	(void)err;
	if (++f->later_calls < 3)
		return CTL_AGAIN;
	*result = json_pack("{sb}", "ready", 1);
	return 0;
}

/* A reply of 100 KiB, to fill the output queue. */
static int
cmd_big(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	char *s = malloc(100 * 1024 + 1);

	(void)arg;
	(void)args;
	(void)err;
	if (s == NULL)
		return -ENOMEM;
	memset(s, 'b', 100 * 1024);
	s[100 * 1024] = '\0';
	*result = json_pack("{ss}", "blob", s);
	free(s);
	return 0;
}

static int
page(void *arg, const char *path, char **body, size_t *len, const char **ctype)
{
	struct fixture *f = arg;

	snprintf(f->last_path, sizeof(f->last_path), "%s", path);
	if (strcmp(path, "/x") != 0)
		return 404;
	*body = strdup("hello /x");
	*len = strlen(*body);
	*ctype = "text/plain";
	return 200;
}

/* ---- fixture ------------------------------------------------------------ */

static int
setup(void **state)
{
	static const struct {
		const char *name;
		ctl_cmd_fn fn;
	} cmds[] = {
		{"echo", cmd_echo},   {"empty", cmd_empty}, {"fail", cmd_fail},
		{"errno", cmd_errno}, {"never", cmd_never}, {"later", cmd_later},
		{"big", cmd_big},
	};
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctl_test_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* the server creates the missing "run/meshgw" directories itself */
	snprintf(f->path, sizeof(f->path), "%s/run/meshgw/ctl.sock", f->dir);
	f->loop = ctl_loop_create(10);
	assert_non_null(f->loop);
	f->srv = ctl_server_create(f->loop, f->path);
	assert_non_null(f->srv);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_int_equal(ctl_server_register(f->srv, cmds[i].name, cmds[i].fn, f), 0);
	f->admin = ctl_admin_create(f->loop, INADDR_LOOPBACK, 0, page, f);
	assert_non_null(f->admin);
	f->port = ctl_admin_port(f->admin);
	assert_true(f->port != 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char sub[160];

	ctl_admin_free(f->admin);
	ctl_server_free(f->srv);
	ctl_loop_free(f->loop);
	snprintf(sub, sizeof(sub), "%s/run/meshgw", f->dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	rmdir(sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- client helpers ------------------------------------------------------ */

static int
unix_client(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static int
tcp_client(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void
turn(struct fixture *f)
{
	assert_int_equal(ctl_loop_run_once(f->loop), 0);
}

/* Writes everything, turning the loop while the socket is full. Returns 0,
 * or -errno if the server hung up first. */
static int
send_all(struct fixture *f, int fd, const char *buf, size_t len)
{
	uint64_t end = ctl_now_ms() + TURN_LIMIT_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
		turn(f);
		assert_true(ctl_now_ms() < end);
	}
	return 0;
}

static void
send_str(struct fixture *f, int fd, const char *s)
{
	assert_int_equal(send_all(f, fd, s, strlen(s)), 0);
}

/* Turns the loop until one line arrives; returns it (malloc'd, with '\n'),
 * or NULL on EOF/reset. Bytes after the line stay in the socket. */
static char *
recv_line(struct fixture *f, int fd)
{
	uint64_t end = ctl_now_ms() + TURN_LIMIT_MS;
	static char peek[65536];
	size_t len = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n = recv(fd, peek, sizeof(peek), MSG_PEEK);
		char *nl;
		size_t take;

		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			free(buf);
			return NULL;
		}
		if (n < 0) {
			turn(f);
			assert_true(ctl_now_ms() < end);
			continue;
		}
		nl = memchr(peek, '\n', (size_t)n);
		take = nl ? (size_t)(nl - peek) + 1 : (size_t)n;
		buf = realloc(buf, len + take + 1);
		assert_non_null(buf);
		assert_int_equal(recv(fd, buf + len, take, 0), (ssize_t)take);
		len += take;
		if (nl != NULL)
			break;
	}
	buf[len] = '\0';
	return buf;
}

static void
expect_line(struct fixture *f, int fd, const char *want)
{
	char *got = recv_line(f, fd);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* Turns the loop until the server closes fd (EOF or reset). */
static void
expect_eof(struct fixture *f, int fd)
{
	uint64_t end = ctl_now_ms() + TURN_LIMIT_MS;
	char c;

	for (;;) {
		ssize_t n = recv(fd, &c, 1, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return;
		assert_true(n < 0);
		turn(f);
		assert_true(ctl_now_ms() < end);
	}
}

/* Reads an HTTP response to EOF (the server closes). */
static char *
recv_all(struct fixture *f, int fd)
{
	uint64_t end = ctl_now_ms() + TURN_LIMIT_MS;
	size_t len = 0;
	char *buf = malloc(65536);

	assert_non_null(buf);
	for (;;) {
		ssize_t n = recv(fd, buf + len, 65535 - len, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			len += (size_t)n;
		else
			turn(f);
		assert_true(ctl_now_ms() < end);
	}
	buf[len] = '\0';
	return buf;
}

/* ---- ctl socket -------------------------------------------------------- */

static void
test_ok_command(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	send_str(f, fd, "{\"id\":1,\"cmd\":\"echo\",\"args\":{\"a\":1}}\n");
	expect_line(f, fd, "{\"id\":1,\"ok\":true,\"result\":{\"a\":1}}\n");
	send_str(f, fd, "{\"cmd\":\"empty\"}\r\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":{}}\n");
	close(fd);
}

static void
test_unknown_command(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	send_str(f, fd, "{\"id\":2,\"cmd\":\"x\"}\n");
	expect_line(f, fd,
		    "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
		    "\"message\":\"unknown command 'x'\"}}\n");
	close(fd);
}

static void
test_handler_errors(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);
	char *line;

	send_str(f, fd, "{\"id\":3,\"cmd\":\"fail\"}\n{\"id\":4,\"cmd\":\"errno\"}\n");
	expect_line(f, fd,
		    "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"EPERM\","
		    "\"message\":\"nope\"}}\n");
	line = recv_line(f, fd);
	assert_non_null(line);
	assert_non_null(strstr(line, "{\"id\":4,\"ok\":false,\"error\":{\"code\":\"EBUSY\""));
	free(line);
	close(fd);
}

static void
test_malformed_then_valid(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);
	char *line;

	/* empty lines are skipped, every other line gets exactly one reply */
	send_str(f, fd,
		 "\n{bad\n\r\n{\"id\":2,\"cmd\":\"echo\"}\n[1]\n{\"id\":3,\"cmd\":\"echo\"}\n");
	line = recv_line(f, fd);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"ok\":false,\"error\":{\"code\":\"EBADMSG\""));
	free(line);
	expect_line(f, fd, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
	line = recv_line(f, fd);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"code\":\"EINVAL\""));
	free(line);
	expect_line(f, fd, "{\"id\":3,\"ok\":true,\"result\":{}}\n");
	/* a line split over several writes */
	send_str(f, fd, "{\"id\":4,");
	turn(f);
	send_str(f, fd, "\"cmd\":\"echo\"}\n");
	expect_line(f, fd, "{\"id\":4,\"ok\":true,\"result\":{}}\n");
	close(fd);
}

static void
test_line_too_long(void **state)
{
	struct fixture *f = *state;
	size_t len = 70 * 1024;
	char *big = malloc(len + 1);
	int fd = unix_client(f->path);

	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "{\"cmd\":\"echo\",\"args\":{\"k\":\"", 27);
	big[len - 3] = '"';
	big[len - 2] = '}';
	big[len - 1] = '}';
	big[len] = '\n';
	/* the server may hang up before it has read everything */
	(void)send_all(f, fd, big, len + 1);
	expect_line(f, fd,
		    "{\"ok\":false,\"error\":{\"code\":\"E2BIG\",\"message\":"
		    "\"request line longer than 65536 bytes\"}}\n");
	expect_eof(f, fd);
	close(fd);
	free(big);
}

static void
test_longest_line(void **state)
{
	struct fixture *f = *state;
	size_t len = CTL_LINE_MAX;
	char *big = malloc(len + 1);
	int fd = unix_client(f->path);

	/* exactly CTL_LINE_MAX bytes plus '\n' is still a request */
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "{\"id\":5,\"cmd\":\"empty\"}", 22);
	big[len] = '\n';
	assert_int_equal(send_all(f, fd, big, len + 1), 0);
	expect_line(f, fd, "{\"id\":5,\"ok\":true,\"result\":{}}\n");
	close(fd);
	free(big);
}

static void
test_again_timeout(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);
	uint64_t start = ctl_now_ms();

	send_str(f, fd, "{\"id\":6,\"cmd\":\"never\",\"args\":{\"timeout_ms\":60}}\n");
	expect_line(f, fd,
		    "{\"id\":6,\"ok\":false,\"error\":{\"code\":\"ETIMEDOUT\","
		    "\"message\":\"not ready after 60 ms\"}}\n");
	assert_true(ctl_now_ms() - start >= 60);
	/* no timeout: the first CTL_AGAIN is final */
	send_str(f, fd, "{\"id\":7,\"cmd\":\"never\"}\n");
	expect_line(f, fd,
		    "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"ETIMEDOUT\","
		    "\"message\":\"not ready after 0 ms\"}}\n");
	close(fd);
}

static void
test_again_then_ok(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	/* the second request waits for the first: replies stay in order */
	send_str(f, fd,
		 "{\"id\":8,\"cmd\":\"later\",\"args\":{\"timeout_ms\":5000}}\n"
		 "{\"id\":9,\"cmd\":\"empty\"}\n");
	expect_line(f, fd, "{\"id\":8,\"ok\":true,\"result\":{\"ready\":true}}\n");
	assert_int_equal(f->later_calls, 3);
	expect_line(f, fd, "{\"id\":9,\"ok\":true,\"result\":{}}\n");
	close(fd);
}

static void
test_bad_timeout(void **state)
{
	static const char *const bad[] = {
		"{\"cmd\":\"never\",\"args\":{\"timeout_ms\":-1}}\n",
		"{\"cmd\":\"never\",\"args\":{\"timeout_ms\":600001}}\n",
		"{\"cmd\":\"never\",\"args\":{\"timeout_ms\":\"5\"}}\n",
		"{\"cmd\":\"never\",\"args\":{\"timeout_ms\":1.5}}\n",
	};
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *line;

		send_str(f, fd, bad[i]);
		line = recv_line(f, fd);
		assert_non_null(line);
		assert_non_null(strstr(line, "\"code\":\"EINVAL\""));
		assert_non_null(strstr(line, "timeout_ms"));
		free(line);
	}
	close(fd);
}

static void
test_disconnect_while_pending(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	send_str(f, fd, "{\"cmd\":\"never\",\"args\":{\"timeout_ms\":600000}}\n");
	for (int i = 0; i < 5; i++)
		turn(f);
	close(fd);
	for (int i = 0; i < 5; i++)
		turn(f);
	/* the server is still fine (and the leak checker sees the request freed) */
	fd = unix_client(f->path);
	send_str(f, fd, "{\"cmd\":\"empty\"}\n");
	expect_line(f, fd, "{\"ok\":true,\"result\":{}}\n");
	close(fd);
}

static void
test_eof_answers_tail(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);

	/* a last request without '\n' before the client shuts its side */
	send_str(f, fd, "{\"id\":1,\"cmd\":\"empty\"}\n{\"id\":2,\"cmd\":\"empty\"}");
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	expect_line(f, fd, "{\"id\":1,\"ok\":true,\"result\":{}}\n");
	expect_line(f, fd, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
	expect_eof(f, fd);
	close(fd);
}

static void
test_slow_reader(void **state)
{
	struct fixture *f = *state;
	int fd = unix_client(f->path);
	char req[64];

	/* 20 x 100 KiB of replies the client does not read yet: the server
	 * pauses instead of buffering it all or blocking */
	for (int i = 0; i < 20; i++) {
		snprintf(req, sizeof(req), "{\"id\":%d,\"cmd\":\"big\"}\n", i);
		send_str(f, fd, req);
	}
	for (int i = 0; i < 20; i++)
		turn(f);
	for (int i = 0; i < 20; i++) {
		char *line = recv_line(f, fd);
		char want[32];

		assert_non_null(line);
		snprintf(want, sizeof(want), "{\"id\":%d,\"ok\":true,", i);
		assert_memory_equal(line, want, strlen(want));
		free(line);
	}
	close(fd);
}

static void
test_too_many_clients(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_MAX_CLIENTS];
	int extra;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		fds[i] = unix_client(f->path);
		turn(f);
	}
	extra = unix_client(f->path);
	expect_line(f, extra,
		    "{\"ok\":false,\"error\":{\"code\":\"EBUSY\","
		    "\"message\":\"too many ctl clients\"}}\n");
	expect_eof(f, extra);
	close(extra);
	/* the admitted ones still work */
	send_str(f, fds[CTL_MAX_CLIENTS - 1], "{\"cmd\":\"empty\"}\n");
	expect_line(f, fds[CTL_MAX_CLIENTS - 1], "{\"ok\":true,\"result\":{}}\n");
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void
test_socket_mode(void **state)
{
	struct fixture *f = *state;
	char dir[160];
	struct stat st;

	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(dir, sizeof(dir), "%s/run/meshgw", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0022, 0);
}

static void
test_socket_path_reuse(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_server *other;
	char path[sizeof(sun.sun_path)];
	int fd;

	/* a live server keeps its path */
	errno = 0;
	assert_null(ctl_server_create(f->loop, f->path));
	assert_int_equal(errno, EADDRINUSE);
	/* a stale socket (nobody listening) is replaced */
	snprintf(path, sizeof(path), "%.60s/stale.sock", f->dir);
	memcpy(sun.sun_path, path, sizeof(path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	other = ctl_server_create(f->loop, path);
	assert_non_null(other);
	ctl_server_free(other);
	assert_int_equal(access(path, F_OK), -1);
	/* anything else is left alone */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_null(ctl_server_create(f->loop, path));
	assert_int_equal(errno, EEXIST);
	unlink(path);
}

static void
test_register(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ctl_server_register(f->srv, "echo", cmd_echo, NULL), -EEXIST);
	assert_int_equal(ctl_server_register(f->srv, "Echo", cmd_echo, NULL), -EINVAL);
	assert_int_equal(ctl_server_register(f->srv, "", cmd_echo, NULL), -EINVAL);
	assert_int_equal(ctl_server_register(f->srv, "x", NULL, NULL), -EINVAL);
	assert_int_equal(
		ctl_server_register(f->srv, "abcdefghijklmnopqrstuvwxyz012345", cmd_echo, NULL),
		-EINVAL);
}

/* ---- loop -------------------------------------------------------------- */

struct pair {
	struct ctl_loop *loop;
	int fds[2];
	int calls;
};

/* Whichever of the two runs first removes the other: it must not run. */
static void
on_pair(void *arg, int fd, uint32_t events)
{
	struct pair *p = arg;
	int other = fd == p->fds[0] ? p->fds[1] : p->fds[0];

	(void)events;
	p->calls++;
	assert_int_equal(ctl_loop_del(p->loop, fd), 0);
	assert_int_equal(ctl_loop_del(p->loop, other), 0);
}

static void
count_tick(void *arg)
{
	(*(int *)arg)++;
}

static void
test_loop_del_in_batch(void **state)
{
	struct fixture *f = *state;
	struct pair p = {.loop = f->loop};
	int a[2], b[2];

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	p.fds[0] = a[0];
	p.fds[1] = b[0];
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(ctl_loop_add(f->loop, a[0], EPOLLIN, on_pair, &p), 0);
	assert_int_equal(ctl_loop_add(f->loop, b[0], EPOLLIN, on_pair, &p), 0);
	assert_int_equal(ctl_loop_add(f->loop, b[0], EPOLLIN, on_pair, &p), -EEXIST);
	turn(f);
	turn(f);
	assert_int_equal(p.calls, 1);
	assert_int_equal(ctl_loop_del(f->loop, a[0]), -ENOENT);
	assert_int_equal(ctl_loop_mod(f->loop, a[0], EPOLLIN), -ENOENT);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void
test_loop_ticks(void **state)
{
	struct fixture *f = *state;
	int n = 0, i;

	/* the fixture's server and admin hold two of the 16 slots */
	for (i = 0; ctl_loop_on_tick(f->loop, count_tick, &n) == 0; i++)
		;
	assert_int_equal(i, 14);
	assert_int_equal(ctl_loop_on_tick(f->loop, count_tick, &n), -ENOSPC);
	turn(f);
	assert_int_equal(n, 14);
	while (ctl_loop_off_tick(f->loop, count_tick, &n) == 0)
		;
	turn(f);
	assert_int_equal(n, 14);
	assert_int_equal(ctl_loop_off_tick(f->loop, count_tick, &n), -ENOENT);
}

/* ---- admin HTTP --------------------------------------------------------- */

static void
expect_prefix(const char *s, const char *prefix)
{
	assert_true(strncmp(s, prefix, strlen(prefix)) == 0);
}

static char *
http(struct fixture *f, const char *req)
{
	int fd = tcp_client(f->port);
	char *resp;

	/* an early answer (431) may refuse the rest of a long request */
	(void)send_all(f, fd, req, strlen(req));
	resp = recv_all(f, fd);
	close(fd);
	return resp;
}

static void
test_admin_get(void **state)
{
	struct fixture *f = *state;
	char *r = http(f, "GET /x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n");

	assert_string_equal(r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 8\r\nCache-Control: no-store\r\n"
			       "Connection: close\r\n\r\nhello /x");
	assert_string_equal(f->last_path, "/x");
	free(r);
	r = http(f, "HEAD /x HTTP/1.0\n\n");
	assert_non_null(strstr(r, "Content-Length: 8\r\n"));
	assert_true(strlen(r) >= 4 && strcmp(r + strlen(r) - 4, "\r\n\r\n") == 0);
	free(r);
	r = http(f, "GET /nope#frag HTTP/1.1\r\n\r\n");
	expect_prefix(r, "HTTP/1.1 404 Not Found\r\n");
	assert_string_equal(f->last_path, "/nope");
	free(r);
}

static void
test_admin_split_head(void **state)
{
	struct fixture *f = *state;
	int fd = tcp_client(f->port);
	char *r;

	send_str(f, fd, "GET /x HTTP/1.1\r\n");
	for (int i = 0; i < 3; i++)
		turn(f);
	send_str(f, fd, "Host: a\r\n\r\n");
	r = recv_all(f, fd);
	expect_prefix(r, "HTTP/1.1 200 OK\r\n");
	free(r);
	close(fd);
}

static void
test_admin_method(void **state)
{
	struct fixture *f = *state;
	char *r = http(f, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");

	expect_prefix(r, "HTTP/1.1 405 Method Not Allowed\r\n");
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	assert_non_null(strstr(r, "\r\nConnection: close\r\n"));
	free(r);
}

static void
test_admin_bad_request(void **state)
{
	static const char *const bad[] = {
		"garbage\r\n\r\n",
		"GET /x\r\n\r\n",
		"GET  /x HTTP/1.1\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",
		"GET /x HTTP/2.0\r\n\r\n",
		"GET /x HTTP/1.1 \r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\n\r\n",
		"\r\n\r\n",
		"GET /x HTTP/1.1\r\nno colon\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost : a\r\n\r\n",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *r = http(f, bad[i]);

		expect_prefix(r, "HTTP/1.1 400 Bad Request\r\n");
		free(r);
	}
}

static void
test_admin_oversize(void **state)
{
	struct fixture *f = *state;
	size_t len = 9000;
	char *req = malloc(len + 1);
	char *r;

	assert_non_null(req);
	memset(req, 'a', len);
	memcpy(req, "GET /x HTTP/1.1\r\nX-Big: ", 24);
	req[len] = '\0';
	r = http(f, req);
	expect_prefix(r, "HTTP/1.1 431 Request Header Fields Too Large\r\n");
	free(r);
	free(req);
}

static void
test_admin_idle_timeout(void **state)
{
	struct fixture *f = *state;
	int fd = tcp_client(f->port);
	uint64_t start = ctl_now_ms();
	char c;

	/* a client that never sends a request is closed after 5 s */
	while (recv(fd, &c, 1, 0) < 0 && errno == EAGAIN) {
		turn(f);
		assert_true(ctl_now_ms() - start < 8000);
	}
	assert_true(ctl_now_ms() - start >= 5000);
	close(fd);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok_command),	   T(test_unknown_command),
		T(test_handler_errors),	   T(test_malformed_then_valid),
		T(test_line_too_long),	   T(test_longest_line),
		T(test_again_timeout),	   T(test_again_then_ok),
		T(test_bad_timeout),	   T(test_disconnect_while_pending),
		T(test_eof_answers_tail),  T(test_slow_reader),
		T(test_too_many_clients),  T(test_socket_mode),
		T(test_socket_path_reuse), T(test_register),
		T(test_loop_del_in_batch), T(test_loop_ticks),
		T(test_admin_get),	   T(test_admin_split_head),
		T(test_admin_method),	   T(test_admin_bad_request),
		T(test_admin_oversize),	   T(test_admin_idle_timeout),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

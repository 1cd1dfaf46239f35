/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpbench.c - a small kernel-socket load tool for perf/tcp_bench.sh: bulk
 * throughput into a discard service, out of a source service, and
 * connections per second against an echo service; plus those three services
 * itself, so the same client can measure a kernel-to-kernel baseline.
 * The client uses blocking sockets, one thread per connection (or per cps
 * loop): simple and fast enough that the far end is what gets measured. The
 * services run on one thread with epoll, like the gateway's one worker.
 *
 *   tcpbench send HOST PORT [-c CONNS] [-t SECONDS]   bulk into discard
 *   tcpbench recv HOST PORT [-c CONNS] [-t SECONDS]   bulk out of source
 *   tcpbench cps  HOST PORT [-c THREADS] [-t SECONDS] [-b BYTES]
 *                                       connect, send, read the echo, close
 *   tcpbench serve PORT echo|discard|source          the kernel's services
 *
 * Client modes print one JSON line: {"mode":..,"conns":..,"seconds":..,
 * "bytes":..,"gbps":..} or {"mode":"cps",..,"connections":..,"per_second":..}.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE    (256 * 1024)
#define MAX_THREADS 256

enum mode { M_SEND, M_RECV, M_CPS };

struct bench {
	enum mode mode;
	struct sockaddr_in addr;
	double seconds;
	unsigned int threads;
	size_t cps_bytes;
	atomic_bool stop;
	atomic_uint_fast64_t bytes;
	atomic_uint_fast64_t conns;
	atomic_uint_fast64_t errors;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 10};

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One bulk connection: send or receive until told to stop. */
static void *
bulk(void *arg)
{
	struct bench *b = arg;
	char *buf = calloc(1, BUF_SIZE);
	int fd = buf ? dial(&b->addr) : -1;

	if (fd < 0) {
		atomic_fetch_add(&b->errors, 1);
		free(buf);
		return NULL;
	}
	memset(buf, 'x', BUF_SIZE);
	while (!atomic_load(&b->stop)) {
		ssize_t n = b->mode == M_SEND ? send(fd, buf, BUF_SIZE, MSG_NOSIGNAL)
					      : recv(fd, buf, BUF_SIZE, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			atomic_fetch_add(&b->errors, 1);
			break;
		}
		atomic_fetch_add(&b->bytes, (uint64_t)n);
	}
	close(fd);
	free(buf);
	return NULL;
}

/* Short connections in a loop: connect, send, half-close, read the echo to
 * its end, close. */
static void *
cps_loop(void *arg)
{
	struct bench *b = arg;
	char out[4096], in[4096];
	size_t len = b->cps_bytes < sizeof(out) ? b->cps_bytes : sizeof(out);

	memset(out, 'y', sizeof(out));
	while (!atomic_load(&b->stop)) {
		int fd = dial(&b->addr);
		size_t got = 0;
		ssize_t n;
		if (fd < 0) {
			atomic_fetch_add(&b->errors, 1);
			continue;
		}
		if (send(fd, out, len, MSG_NOSIGNAL) != (ssize_t)len || shutdown(fd, SHUT_WR) < 0) {
			atomic_fetch_add(&b->errors, 1);
			close(fd);
			continue;
		}
		while ((n = recv(fd, in, sizeof(in), 0)) > 0)
			got += (size_t)n;
		close(fd);
		if (n < 0 || got != len)
			atomic_fetch_add(&b->errors, 1);
		else
			atomic_fetch_add(&b->conns, 1);
	}
	return NULL;
}

static int
run_client(struct bench *b)
{
	pthread_t t[MAX_THREADS];
	double t0, t1;
	uint64_t b0;

	for (unsigned int i = 0; i < b->threads; i++)
		if (pthread_create(&t[i], NULL, b->mode == M_CPS ? cps_loop : bulk, b) != 0)
			return 1;
	/* a short warm-up so slow start and thread start-up are not measured */
	usleep(b->mode == M_CPS ? 200000 : 500000);
	t0 = now_s();
	b0 = atomic_load(&b->bytes);
	uint64_t c0 = atomic_load(&b->conns);
	usleep((useconds_t)(b->seconds * 1e6));
	t1 = now_s();
	uint64_t bytes = atomic_load(&b->bytes) - b0;
	uint64_t conns = atomic_load(&b->conns) - c0;
	atomic_store(&b->stop, true);
	for (unsigned int i = 0; i < b->threads; i++)
		pthread_join(t[i], NULL);
	if (b->mode == M_CPS)
		printf("{\"mode\":\"cps\",\"threads\":%u,\"seconds\":%.3f,\"connections\":%llu,"
		       "\"per_second\":%.0f,\"errors\":%llu}\n",
		       b->threads, t1 - t0, (unsigned long long)conns, (double)conns / (t1 - t0),
		       (unsigned long long)atomic_load(&b->errors));
	else
		printf("{\"mode\":\"%s\",\"conns\":%u,\"seconds\":%.3f,\"bytes\":%llu,"
		       "\"gbps\":%.3f,\"errors\":%llu}\n",
		       b->mode == M_SEND ? "send" : "recv", b->threads, t1 - t0,
		       (unsigned long long)bytes, (double)bytes * 8 / (t1 - t0) / 1e9,
		       (unsigned long long)atomic_load(&b->errors));
	return atomic_load(&b->errors) > b->threads && conns == 0 && bytes == 0;
}

/* ---- the kernel's services ---------------------------------------------------- */
/* One thread and epoll, like the gateway's one worker: a fair baseline for
 * the connection rate (a thread per connection would measure thread start-up). */

struct served {
	int fd;
	uint32_t want;	 /* EPOLLIN/EPOLLOUT registered */
	size_t off, len; /* echo: bytes of buf still to send back */
	char buf[65536];
};

static void
watch(int ep, struct served *c, uint32_t want)
{
	struct epoll_event ev = {.events = want, .data.ptr = c};

	if (c->want != want)
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want = want;
}

static void
drop(int ep, struct served *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Echo: read only when nothing is waiting to go back (back-pressure). */
static void
on_echo(int ep, struct served *c)
{
	for (;;) {
		ssize_t n;
		if (c->off < c->len) {
			n = send(c->fd, c->buf + c->off, c->len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN) {
				watch(ep, c, EPOLLOUT);
				return;
			}
			if (n <= 0)
				break;
			c->off += (size_t)n;
			continue;
		}
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			watch(ep, c, EPOLLIN);
			return;
		}
		if (n <= 0) {
			if (n == 0)
				shutdown(c->fd, SHUT_WR);
			break;
		}
		c->off = 0;
		c->len = (size_t)n;
	}
	drop(ep, c);
}

static void
on_discard(int ep, struct served *c)
{
	ssize_t n;

	while ((n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT)) > 0)
		;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 0)
		shutdown(c->fd, SHUT_WR);
	drop(ep, c);
}

static void
on_source(int ep, struct served *c, uint32_t events)
{
	ssize_t n;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			drop(ep, c);
			return;
		}
	}
	while ((n = send(c->fd, c->buf, sizeof(c->buf), MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		;
	if (n < 0 && errno != EAGAIN)
		drop(ep, c);
}

static void
accept_all(int ep, int lfd, char kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct served *c;
		struct epoll_event ev;
		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		memset(c->buf, 'z', sizeof(c->buf));
		c->want = kind == 's' ? EPOLLIN | EPOLLOUT | EPOLLRDHUP : EPOLLIN;
		ev = (struct epoll_event){.events = c->want, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

static int
serve(int port, const char *kind)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, ep = epoll_create1(EPOLL_CLOEXEC);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[64];

	if (ep < 0 || lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		perror("tcpbench serve");
		return 1;
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			struct served *c = evs[i].data.ptr;
			if (c == NULL)
				accept_all(ep, lfd, kind[0]);
			else if (kind[0] == 'e')
				on_echo(ep, c);
			else if (kind[0] == 'd')
				on_discard(ep, c);
			else
				on_source(ep, c, evs[i].events);
		}
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: tcpbench send|recv|cps HOST PORT [-c N] [-t SECONDS] [-b BYTES]\n"
			"       tcpbench serve PORT echo|discard|source\n");
	return 64;
}

int
main(int argc, char **argv)
{
	static struct bench b = {.seconds = 5, .threads = 1, .cps_bytes = 100};
	int opt;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "serve") == 0 && strchr("eds", argv[3][0]))
		return serve(atoi(argv[2]), argv[3]);
	if (argc < 4)
		return usage();
	if (strcmp(argv[1], "send") == 0)
		b.mode = M_SEND;
	else if (strcmp(argv[1], "recv") == 0)
		b.mode = M_RECV;
	else if (strcmp(argv[1], "cps") == 0)
		b.mode = M_CPS;
	else
		return usage();
	b.addr.sin_family = AF_INET;
	b.addr.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &b.addr.sin_addr) != 1)
		return usage();
	optind = 4;
	while ((opt = getopt(argc, argv, "c:t:b:")) != -1) {
		switch (opt) {
		case 'c':
			b.threads = (unsigned int)atoi(optarg);
			break;
		case 't':
			b.seconds = atof(optarg);
			break;
		case 'b':
			b.cps_bytes = (size_t)atol(optarg);
			break;
		default:
			return usage();
		}
	}
	if (b.threads < 1 || b.threads > MAX_THREADS || b.seconds <= 0)
		return usage();
	return run_client(&b);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_loop.c - the control thread's event loop: one epoll set, a table of
 * watched fds indexed by fd number, and up to CTL_TICKS_MAX tick callbacks.
 * Control thread only.
 *
 * Every registration gets a fresh generation number, and the epoll cookie
 * carries (generation, fd). A callback may delete (and close, and even reuse)
 * any fd; events already fetched for the old registration are then skipped
 * because the generation no longer matches.
 */
#define _GNU_SOURCE /* accept4 */
#include "ctl_loop.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTL_TICKS_MAX 16
#define CTL_BATCH     64
#define CTL_FDS_MAX   (1 << 20)

struct fd_slot {
	ctl_fd_fn fn; /* NULL: slot unused */
	void *arg;
	uint32_t gen;
};

struct tick_slot {
	ctl_tick_fn fn; /* NULL: slot unused */
	void *arg;
};

struct ctl_loop {
	int epfd;
	unsigned int tick_ms;
	uint32_t next_gen;
	struct fd_slot *fds; /* indexed by fd, nfds entries */
	size_t nfds;
	struct tick_slot ticks[CTL_TICKS_MAX];
};

uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ctl_loop *
ctl_loop_create(unsigned int tick_ms)
{
	struct ctl_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->tick_ms = tick_ms == 0 ? 1 : tick_ms > INT_MAX ? INT_MAX : tick_ms;
	loop->next_gen = 1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int e = errno;

		free(loop);
		errno = e;
		return NULL;
	}
	return loop;
}

void
ctl_loop_free(struct ctl_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop->fds);
	free(loop);
}

/* Makes fds[fd] addressable. Callers must not hold slot pointers across this. */
static int
grow_fds(struct ctl_loop *loop, int fd)
{
	size_t n = loop->nfds ? loop->nfds : 64;
	struct fd_slot *fds;

	if ((size_t)fd < loop->nfds)
		return 0;
	if (fd >= CTL_FDS_MAX)
		return -EMFILE;
	while (n <= (size_t)fd)
		n *= 2;
	fds = realloc(loop->fds, n * sizeof(*fds));
	if (fds == NULL)
		return -ENOMEM;
	memset(fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*fds));
	loop->fds = fds;
	loop->nfds = n;
	return 0;
}

static struct fd_slot *
find_slot(struct ctl_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].fn == NULL)
		return NULL;
	return &loop->fds[fd];
}

static uint64_t
cookie(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

int
ctl_loop_add(struct ctl_loop *loop, int fd, uint32_t events, ctl_fd_fn fn, void *arg)
{
	struct epoll_event ev = {.events = events};
	struct fd_slot *slot;
	int rc;

	if (fd < 0 || fn == NULL)
		return -EINVAL;
	rc = grow_fds(loop, fd);
	if (rc < 0)
		return rc;
	slot = &loop->fds[fd];
	if (slot->fn != NULL)
		return -EEXIST;
	/* generation 0 is never handed out, so a zeroed cookie matches nothing */
	if (++loop->next_gen == 0)
		loop->next_gen = 1;
	ev.data.u64 = cookie(fd, loop->next_gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	slot->fn = fn;
	slot->arg = arg;
	slot->gen = loop->next_gen;
	return 0;
}

int
ctl_loop_mod(struct ctl_loop *loop, int fd, uint32_t events)
{
	struct fd_slot *slot = find_slot(loop, fd);
	struct epoll_event ev = {.events = events};

	if (slot == NULL)
		return -ENOENT;
	ev.data.u64 = cookie(fd, slot->gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int
ctl_loop_del(struct ctl_loop *loop, int fd)
{
	struct fd_slot *slot = find_slot(loop, fd);

	if (slot == NULL)
		return -ENOENT;
	/* EBADF/ENOENT here only mean the fd was closed first: forget it anyway */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(slot, 0, sizeof(*slot));
	return 0;
}

int
ctl_loop_on_tick(struct ctl_loop *loop, ctl_tick_fn fn, void *arg)
{
	if (fn == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < CTL_TICKS_MAX; i++) {
		if (loop->ticks[i].fn == NULL) {
			loop->ticks[i].fn = fn;
			loop->ticks[i].arg = arg;
			return 0;
		}
	}
	return -ENOSPC;
}

int
ctl_loop_off_tick(struct ctl_loop *loop, ctl_tick_fn fn, void *arg)
{
	for (unsigned int i = 0; i < CTL_TICKS_MAX; i++) {
		if (loop->ticks[i].fn == fn && loop->ticks[i].arg == arg) {
			loop->ticks[i].fn = NULL;
			loop->ticks[i].arg = NULL;
			return 0;
		}
	}
	return -ENOENT;
}

static void
dispatch(struct ctl_loop *loop, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct fd_slot *slot = find_slot(loop, fd);

	/* deleted (or deleted and re-added) by an earlier callback in this batch */
	if (slot == NULL || slot->gen != gen)
		return;
	slot->fn(slot->arg, fd, ev->events);
}

static void
run_ticks(struct ctl_loop *loop)
{
	/* a tick may unregister itself or another: re-read each slot */
	for (unsigned int i = 0; i < CTL_TICKS_MAX; i++) {
		struct tick_slot t = loop->ticks[i];

		if (t.fn != NULL)
			t.fn(t.arg);
	}
}

int
ctl_loop_run_once(struct ctl_loop *loop)
{
	struct epoll_event evs[CTL_BATCH];
	int n = epoll_wait(loop->epfd, evs, CTL_BATCH, (int)loop->tick_ms);

	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++)
		dispatch(loop, &evs[i]);
	run_ticks(loop);
	return 0;
}

#define ACCEPT_BURST 32

/* Tells an over-the-limit peer why, best effort, and hangs up. */
static void
refuse(const struct ctl_listener *l, int cfd)
{
	(void)send(cfd, l->busy, strlen(l->busy), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(cfd);
}

static void
admit(struct ctl_listener *l, int cfd)
{
	unsigned int slot = 0;
	void *c;

	if (l->n >= CTL_LISTENER_MAX) {
		refuse(l, cfd);
		return;
	}
	while (l->clients[slot] != NULL)
		slot++;
	c = l->fn(l->arg, cfd, slot);
	if (c == NULL) {
		refuse(l, cfd);
		return;
	}
	l->clients[slot] = c;
	l->n++;
}

static void
on_listen(void *arg, int fd, uint32_t events)
{
	struct ctl_listener *l = arg;

	(void)events;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			admit(l, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && ctl_loop_mod(l->loop, fd, 0) == 0)
			l->paused = true; /* out of fds or memory: wait for a tick */
		return;
	}
}

int
ctl_listener_start(struct ctl_listener *l, struct ctl_loop *loop, int fd, const char *busy,
		   ctl_accept_fn fn, void *arg)
{
	*l = (struct ctl_listener){.loop = loop, .fd = fd, .busy = busy, .fn = fn, .arg = arg};
	return ctl_loop_add(loop, fd, EPOLLIN, on_listen, l);
}

void
ctl_listener_resume(struct ctl_listener *l)
{
	if (l->paused && ctl_loop_mod(l->loop, l->fd, EPOLLIN) == 0)
		l->paused = false;
}

void
ctl_listener_release(struct ctl_listener *l, unsigned int slot)
{
	if (slot < CTL_LISTENER_MAX && l->clients[slot] != NULL) {
		l->clients[slot] = NULL;
		l->n--;
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_loop.h - the control thread's event loop: epoll over file descriptors
 * plus periodic ticks. Control thread only; nothing here runs on a worker.
 */
#ifndef MESHGW_CTL_LOOP_H
#define MESHGW_CTL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ctl_loop;

/* events: EPOLLIN/EPOLLOUT/... as given to epoll. */
typedef void (*ctl_fd_fn)(void *arg, int fd, uint32_t events);
/* Called on every loop turn (at least every tick_ms). */
typedef void (*ctl_tick_fn)(void *arg);

/* NULL + errno. */
struct ctl_loop *ctl_loop_create(unsigned int tick_ms);
void ctl_loop_free(struct ctl_loop *loop);
int ctl_loop_add(struct ctl_loop *loop, int fd, uint32_t events, ctl_fd_fn fn, void *arg);
int ctl_loop_mod(struct ctl_loop *loop, int fd, uint32_t events);
/* Forgets fd (does not close it). Safe to call from inside fd's own callback. */
int ctl_loop_del(struct ctl_loop *loop, int fd);
/* Registers a tick callback; up to 16. */
int ctl_loop_on_tick(struct ctl_loop *loop, ctl_tick_fn fn, void *arg);
/* Unregisters the tick added with the same fn and arg (-ENOENT if none). Safe
 * from inside a tick. */
int ctl_loop_off_tick(struct ctl_loop *loop, ctl_tick_fn fn, void *arg);
/* One turn: waits at most tick_ms for events, dispatches them, runs ticks. */
int ctl_loop_run_once(struct ctl_loop *loop);
/* A listening socket on the loop and the bounded table of its clients.
 * Accepts in bursts; each new non-blocking fd gets a free slot and is handed
 * to fn, which returns the client object it made (owning the fd), or NULL.
 * Over CTL_LISTENER_MAX clients, or when fn fails, the peer gets the `busy`
 * text (best effort) and is closed. When accept fails for lack of fds or
 * memory the listener pauses until ctl_listener_resume (call it on ticks),
 * so a full fd table cannot spin the loop. */
#define CTL_LISTENER_MAX 64
typedef void *(*ctl_accept_fn)(void *arg, int cfd, unsigned int slot);
struct ctl_listener {
	struct ctl_loop *loop;
	int fd;
	bool paused;
	ctl_accept_fn fn;
	void *arg;
	const char *busy;
	void *clients[CTL_LISTENER_MAX]; /* by slot; NULL when free */
	unsigned int n;
};
/* Registers fd (already listening) with the loop. 0 or -errno. */
int ctl_listener_start(struct ctl_listener *l, struct ctl_loop *loop, int fd, const char *busy,
		       ctl_accept_fn fn, void *arg);
void ctl_listener_resume(struct ctl_listener *l);
/* A client is gone: frees its slot. */
void ctl_listener_release(struct ctl_listener *l, unsigned int slot);

/* Monotonic milliseconds. */
uint64_t ctl_now_ms(void);

#endif /* MESHGW_CTL_LOOP_H */

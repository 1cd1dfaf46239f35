/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epwatch.c - the endpoints file watcher: an inotify fd on the file's
 * directory and a timerfd for the debounce (and for re-adding a lost watch),
 * both on the control loop. Control thread only.
 *
 * Only IN_CLOSE_WRITE marks the end of an in-place write; IN_MODIFY is not
 * watched so that a slow writer is not read half way (its close comes).
 */
#include "ctl_epwatch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "gw_log.h"

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define MAX_WAIT_DEBOUNCES 5	    /* a steady stream of events still gets read */
#define REWATCH_US	   1000000  /* retry a lost directory watch every second */
#define K8S_DATA	   "..data" /* the symlink Kubernetes swaps in a ConfigMap volume */

struct ctl_epwatch {
	struct ctl_loop *loop;
	char path[CTL_ARG_MAX];
	char dir[CTL_ARG_MAX];
	const char *base; /* the file's name, into path */
	uint64_t debounce_us;
	ctl_epwatch_fn fn;
	void *arg;
	int ifd, tfd; /* inotify, timerfd; -1: none */
	int wd;	      /* the directory's watch; -1: lost */
	bool pending; /* an event waits for the debounce */
	uint64_t first_event_us;
	struct ctl_epfile *cur; /* in force; NULL before the first good read */
	struct ctl_epwatch_stats st;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Fires once at the absolute monotonic time at_us. */
static void
arm(struct ctl_epwatch *w, uint64_t at_us)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(at_us / 1000000),
			     .tv_nsec = (long)(at_us % 1000000) * 1000},
	};

	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
		GW_LOG(ERROR, "endpoints file: timerfd: %s", strerror(errno));
}

/* An event that may change the file: (re)starts the quiet period, bounded
 * so that a steady stream of events does not postpone the read forever. */
static void
debounce(struct ctl_epwatch *w)
{
	uint64_t now = now_us(), at = now + w->debounce_us;

	if (!w->pending) {
		w->pending = true;
		w->first_event_us = now;
	}
	if (at > w->first_event_us + MAX_WAIT_DEBOUNCES * w->debounce_us)
		at = w->first_event_us + MAX_WAIT_DEBOUNCES * w->debounce_us;
	arm(w, at);
}

static int
add_watch(struct ctl_epwatch *w)
{
	w->wd = inotify_add_watch(w->ifd, w->dir, WATCH_MASK);
	w->st.watching = w->wd >= 0;
	return w->wd >= 0 ? 0 : -errno;
}

/* The same bytes (or absence) as the result in force. */
static bool
same(const struct ctl_epfile *a, const struct ctl_epfile *b)
{
	return a != NULL && a->absent == b->absent && a->hash == b->hash && a->bytes == b->bytes;
}

static void
refused(struct ctl_epwatch *w, const char *err)
{
	w->st.load_errors++;
	w->st.failing = true;
	w->st.last_error_ms = ctl_now_ms();
	snprintf(w->st.last_error, sizeof(w->st.last_error), "%s", err);
	GW_LOG(ERROR, "endpoints file refused, the previous endpoints stay: %s", err);
}

int
ctl_epwatch_load(struct ctl_epwatch *w)
{
	char err[CTL_EPFILE_ERR_MAX];
	struct ctl_epfile *f = NULL;
	int rc = ctl_epfile_load(w->path, &f, err, sizeof(err));

	if (rc < 0) {
		refused(w, err);
		return rc;
	}
	w->st.failing = false;
	w->st.last_load_ms = ctl_now_ms();
	if (same(w->cur, f)) {
		w->st.unchanged++;
		ctl_epfile_free(f);
		f = NULL;
		return 0;
	}
	ctl_epfile_free(w->cur);
	w->cur = f;
	w->st.loads++;
	w->st.n_clusters = f->n_clusters;
	w->st.n_eps = f->n_eps;
	GW_LOG(INFO, "endpoints file %s: %s%u endpoint(s) in %u cluster(s)", w->path,
	       f->absent ? "missing: " : "", f->n_eps, f->n_clusters);
	w->fn(w->arg, f);
	return 0;
}

/* The debounce ended (or a lost watch is due for a retry). */
static void
on_timer(void *arg, int fd, uint32_t events)
{
	struct ctl_epwatch *w = arg;
	uint64_t ticks;

	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return; /* EAGAIN: already consumed or re-armed */
	if (w->wd < 0 && add_watch(w) < 0)
		arm(w, now_us() + REWATCH_US);
	w->pending = false;
	ctl_epwatch_load(w);
}

/* One event: does it concern the file (or the watch itself)? */
static bool
relevant(struct ctl_epwatch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW)
		return true; /* events were lost: read to be sure */
	if (ev->wd != w->wd)
		return false;	     /* a watch removed earlier */
	if (ev->mask & IN_MOVE_SELF) /* the path no longer leads to this directory */
		inotify_rm_watch(w->ifd, w->wd);
	if (ev->mask & (IN_IGNORED | IN_MOVE_SELF)) {
		GW_LOG(WARN, "endpoints file: directory %s gone; watching for it", w->dir);
		w->wd = -1;
		w->st.watching = false;
		return true;
	}
	if (ev->mask & IN_DELETE_SELF)
		return false; /* IN_IGNORED follows */
	return ev->len > 0 && (strcmp(ev->name, w->base) == 0 || strcmp(ev->name, K8S_DATA) == 0);
}

static void
on_inotify(void *arg, int fd, uint32_t events)
{
	struct ctl_epwatch *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;
	ssize_t n;

	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			hit |= relevant(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (hit)
		debounce(w);
}

/* The directory and the name of an absolute path: "/a/b.json" -> "/a", "b.json". */
static int
split_path(struct ctl_epwatch *w, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || slash == NULL || slash[1] == '\0' || strlen(path) >= sizeof(w->path))
		return -EINVAL;
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->dir, sizeof(w->dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	w->base = w->path + (slash - path) + 1;
	return 0;
}

static int
open_fds(struct ctl_epwatch *w)
{
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0)
		return -errno;
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tfd < 0)
		return -errno;
	if (add_watch(w) < 0) {
		/* the config checked the directory: it went away since; retry */
		GW_LOG(WARN, "endpoints file: cannot watch %s: %s; retrying", w->dir,
		       strerror(errno));
		arm(w, now_us() + REWATCH_US);
	}
	int rc = ctl_loop_add(w->loop, w->ifd, EPOLLIN, on_inotify, w);
	if (rc == 0)
		rc = ctl_loop_add(w->loop, w->tfd, EPOLLIN, on_timer, w);
	return rc;
}

struct ctl_epwatch *
ctl_epwatch_start(struct ctl_loop *loop, const struct ctl_discovery_conf *conf, ctl_epwatch_fn fn,
		  void *arg)
{
	struct ctl_epwatch *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return NULL;
	*w = (struct ctl_epwatch){.loop = loop,
				  .fn = fn,
				  .arg = arg,
				  .ifd = -1,
				  .tfd = -1,
				  .wd = -1,
				  .debounce_us = conf->debounce_us};
	rc = split_path(w, conf->endpoints_file);
	if (rc == 0)
		rc = open_fds(w);
	if (rc < 0) {
		ctl_epwatch_stop(w);
		w = NULL;
		errno = -rc;
	}
	return w;
}

const struct ctl_epfile *
ctl_epwatch_current(const struct ctl_epwatch *w)
{
	return w->cur;
}

void
ctl_epwatch_stats(const struct ctl_epwatch *w, struct ctl_epwatch_stats *out)
{
	*out = w->st;
}

static void
close_fd(struct ctl_loop *loop, int *fd)
{
	if (*fd < 0)
		return;
	ctl_loop_del(loop, *fd);
	close(*fd);
	*fd = -1;
}

void
ctl_epwatch_stop(struct ctl_epwatch *w)
{
	if (w == NULL)
		return;
	close_fd(w->loop, &w->ifd); /* closing drops the watch too */
	close_fd(w->loop, &w->tfd);
	ctl_epfile_free(w->cur);
	w->cur = NULL;
	free(w);
}

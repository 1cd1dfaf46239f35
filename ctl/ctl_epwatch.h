/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epwatch.h - watches the endpoints file (ctl_epfile.h) and hands each
 * new good version of it to a callback. Control thread only.
 *
 * The file's directory is watched with inotify, since editors and tools
 * replace a file by renaming a new one over it; events for other names are
 * ignored (but "..data", which Kubernetes swaps to update a mounted
 * ConfigMap, counts as the file). Once events stop for the debounce time
 * (at most 5 debounce times after the first event), the file is read. A good
 * file whose bytes differ from the one in force replaces it and the callback
 * runs; a bad one is logged and counted and the one in force stays. A
 * missing file is an empty set of endpoints. If the directory itself goes
 * away the watch is re-added every second; meanwhile the file counts as
 * missing.
 */
#ifndef MESHGW_CTL_EPWATCH_H
#define MESHGW_CTL_EPWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_config.h"
#include "ctl_epfile.h"
#include "ctl_loop.h"

struct ctl_epwatch;

/* A new result is in force. It is borrowed: valid until the next call or
 * ctl_epwatch_stop(); copy what must live longer. The callback must not stop
 * the watcher. */
typedef void (*ctl_epwatch_fn)(void *arg, const struct ctl_epfile *result);

struct ctl_epwatch_stats {
	uint64_t loads;		/* results put in force (callbacks run) */
	uint64_t unchanged;	/* reads that found the bytes in force again */
	uint64_t load_errors;	/* reads refused (the previous result stayed) */
	uint64_t last_load_ms;	/* ctl_now_ms() of the last good read; 0: none */
	uint64_t last_error_ms; /* ctl_now_ms() of the last refused read; 0: none */
	bool failing;		/* the last read was refused */
	bool watching;		/* the directory is watched (false while it is missing) */
	char last_error[CTL_EPFILE_ERR_MAX]; /* the last refusal; "": none */
	unsigned int n_clusters, n_eps;	     /* of the result in force */
};

/* Watches conf->endpoints_file on loop; fn runs on the control thread from
 * loop callbacks and from ctl_epwatch_load(). No read happens yet: call
 * ctl_epwatch_load() next (the watch is in place first, so no change between
 * the two is missed). NULL with errno (EINVAL: no endpoints_file; inotify,
 * timerfd or epoll errors). */
struct ctl_epwatch *ctl_epwatch_start(struct ctl_loop *loop, const struct ctl_discovery_conf *conf,
				      ctl_epwatch_fn fn, void *arg);

/* Reads the file now (at start; later reads follow the events). 0 when a
 * result is in force afterwards (new, or the same bytes again), or the
 * -errno of ctl_epfile_load() after logging and counting it. */
int ctl_epwatch_load(struct ctl_epwatch *w);

/* The result in force (borrowed, as for the callback), or NULL before the
 * first good read. */
const struct ctl_epfile *ctl_epwatch_current(const struct ctl_epwatch *w);

void ctl_epwatch_stats(const struct ctl_epwatch *w, struct ctl_epwatch_stats *out);

/* Unregisters from the loop, closes the fds, frees the result. Accepts NULL. */
void ctl_epwatch_stop(struct ctl_epwatch *w);

#endif /* MESHGW_CTL_EPWATCH_H */

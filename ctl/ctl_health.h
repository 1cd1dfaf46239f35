/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_health.h - the control thread's side of active health checks: the
 * threshold state machine of every checked endpoint, keyed by the
 * endpoint's stable id (the same across reloads), fed with the results the
 * workers send over their event rings (gw_health.h).
 *
 * States: an endpoint starts UNKNOWN, which takes traffic like HEALTHY (a
 * start or a reload must not take endpoints out of rotation before anyone
 * looked), and its first result decides: one success makes it HEALTHY,
 * one failure UNHEALTHY (Envoy also needs a single success at startup).
 * After that, healthy_threshold successes in a row make an UNHEALTHY
 * endpoint HEALTHY and unhealthy_threshold failures in a row make a HEALTHY
 * one UNHEALTHY. Pure logic: no clock (the caller's `now`, in whatever unit
 * it keeps, is only stored), no DPDK, no threads; control thread only.
 */
#ifndef MESHGW_CTL_HEALTH_H
#define MESHGW_CTL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_config.h"

enum ctl_health_status { CTL_HS_UNKNOWN, CTL_HS_HEALTHY, CTL_HS_UNHEALTHY };

/* "unknown", "healthy", "unhealthy". */
const char *ctl_health_status_name(enum ctl_health_status s);

/* One endpoint. Counters only grow. */
struct ctl_health_ep {
	uint32_t id;
	uint8_t status;	       /* enum ctl_health_status */
	uint8_t last_reason;   /* enum gw_health_reason of the last failure; 0: none yet */
	uint32_t successes;    /* in a row (0 after a failure) */
	uint32_t failures;     /* in a row (0 after a success) */
	uint64_t last_failure; /* `now` of the last failure; 0: none */
	uint64_t last_change;  /* `now` of the last status change; 0: none */
	uint64_t checks;       /* results */
	uint64_t failed;       /* failed results */
	uint64_t transitions;  /* status changes (the first, from unknown, included) */
};

/* Applies one result to e (thresholds from conf). Returns true when e's
 * status changed. */
bool ctl_health_step(struct ctl_health_ep *e, const struct ctl_health_conf *conf, bool ok,
		     uint8_t reason, uint64_t now);

/* Does an endpoint in status s take new connections (as far as health
 * goes)? UNKNOWN and HEALTHY do. */
static inline bool
ctl_health_status_usable(enum ctl_health_status s)
{
	return s != CTL_HS_UNHEALTHY;
}

/* Every endpoint's state, by id: a fixed open-addressed table. */
struct ctl_health;

/* Room for capacity endpoints (at least 1). NULL with errno set. */
struct ctl_health *ctl_health_create(unsigned int capacity);
/* Accepts NULL. */
void ctl_health_free(struct ctl_health *st);

/* A result for endpoint id (created UNKNOWN at its first result). Returns
 * true when its status changed; false as well when the table is full (the
 * result is dropped and counted: ctl_health_dropped). */
bool ctl_health_result(struct ctl_health *st, uint32_t id, const struct ctl_health_conf *conf,
		       bool ok, uint8_t reason, uint64_t now);

/* Endpoint id's state; NULL when it has no result yet (status UNKNOWN).
 * Valid until the next ctl_health_result or ctl_health_forget. */
const struct ctl_health_ep *ctl_health_get(const struct ctl_health *st, uint32_t id);

/* Endpoint id's status (UNKNOWN without results). */
enum ctl_health_status ctl_health_status(const struct ctl_health *st, uint32_t id);

/* The endpoint is gone (a reload removed it, or its cluster stopped being
 * checked): its state goes; it would start UNKNOWN again. */
void ctl_health_forget(struct ctl_health *st, uint32_t id);

/* Calls fn for every endpoint with a state (in no particular order); fn
 * must not change st. */
void ctl_health_foreach(const struct ctl_health *st,
			void (*fn)(void *arg, const struct ctl_health_ep *e), void *arg);

/* Endpoints with a state; results dropped because the table was full. */
unsigned int ctl_health_count(const struct ctl_health *st);
uint64_t ctl_health_dropped(const struct ctl_health *st);

#endif /* MESHGW_CTL_HEALTH_H */

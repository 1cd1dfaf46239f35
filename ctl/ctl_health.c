/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_health.c - health check thresholds per endpoint (see ctl_health.h).
 *
 * The table is open addressing with linear probing over a power-of-two
 * array at most half full, so a probe is short; a removal shifts the run
 * after it back (no tombstones, nothing degrades with churn across
 * reloads).
 */
#include "ctl_health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	bool used;
	struct ctl_health_ep ep;
};

struct ctl_health {
	struct slot *slots;
	uint32_t mask; /* array size - 1 */
	unsigned int bits;
	unsigned int n, capacity;
	uint64_t dropped;
};

const char *
ctl_health_status_name(enum ctl_health_status s)
{
	switch (s) {
	case CTL_HS_UNKNOWN:
		return "unknown";
	case CTL_HS_HEALTHY:
		return "healthy";
	case CTL_HS_UNHEALTHY:
		return "unhealthy";
	}
	return "invalid";
}

static bool
change(struct ctl_health_ep *e, enum ctl_health_status to, uint64_t now)
{
	if (e->status == to)
		return false;
	e->status = (uint8_t)to;
	e->last_change = now;
	e->transitions++;
	return true;
}

bool
ctl_health_step(struct ctl_health_ep *e, const struct ctl_health_conf *conf, bool ok,
		uint8_t reason, uint64_t now)
{
	e->checks++;
	if (ok) {
		e->failures = 0;
		if (e->successes < UINT32_MAX)
			e->successes++;
		if (e->status == CTL_HS_UNKNOWN || e->successes >= conf->healthy_threshold)
			return change(e, CTL_HS_HEALTHY, now);
		return false;
	}
	e->failed++;
	e->successes = 0;
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last_reason = reason;
	e->last_failure = now;
	if (e->status == CTL_HS_UNKNOWN || e->failures >= conf->unhealthy_threshold)
		return change(e, CTL_HS_UNHEALTHY, now);
	return false;
}

/* ---- the table ------------------------------------------------------------ */

static uint32_t
home(const struct ctl_health *st, uint32_t id)
{
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> (64 - st->bits));
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t
probe(const struct ctl_health *st, uint32_t id)
{
	uint32_t i = home(st, id);

	while (st->slots[i].used && st->slots[i].ep.id != id)
		i = (i + 1) & st->mask;
	return i;
}

struct ctl_health *
ctl_health_create(unsigned int capacity)
{
	struct ctl_health *st;
	unsigned int bits = 1;

	if (capacity == 0 || capacity > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while ((1u << bits) < 2 * capacity)
		bits++;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->slots = calloc((size_t)1 << bits, sizeof(*st->slots));
	if (st->slots == NULL) {
		free(st);
		return NULL;
	}
	st->bits = bits;
	st->mask = (1u << bits) - 1;
	st->capacity = capacity;
	return st;
}

void
ctl_health_free(struct ctl_health *st)
{
	if (st == NULL)
		return;
	free(st->slots);
	st->slots = NULL;
	free(st);
}

bool
ctl_health_result(struct ctl_health *st, uint32_t id, const struct ctl_health_conf *conf, bool ok,
		  uint8_t reason, uint64_t now)
{
	uint32_t i = probe(st, id);
	struct slot *s = &st->slots[i];

	if (!s->used) {
		if (st->n >= st->capacity) {
			st->dropped++;
			return false;
		}
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->ep.id = id;
		s->ep.status = CTL_HS_UNKNOWN;
		st->n++;
	}
	return ctl_health_step(&s->ep, conf, ok, reason, now);
}

const struct ctl_health_ep *
ctl_health_get(const struct ctl_health *st, uint32_t id)
{
	const struct slot *s = &st->slots[probe(st, id)];

	return s->used ? &s->ep : NULL;
}

enum ctl_health_status
ctl_health_status(const struct ctl_health *st, uint32_t id)
{
	const struct ctl_health_ep *e = ctl_health_get(st, id);

	return e != NULL ? (enum ctl_health_status)e->status : CTL_HS_UNKNOWN;
}

/* Is slot j's entry still reachable from its home if the hole is at i? It
 * must move into the hole unless its home lies cyclically in (i, j]. */
static bool
stays(const struct ctl_health *st, uint32_t i, uint32_t j)
{
	uint32_t h = home(st, st->slots[j].ep.id);

	return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

void
ctl_health_forget(struct ctl_health *st, uint32_t id)
{
	uint32_t i = probe(st, id), j = i;

	if (!st->slots[i].used)
		return;
	st->slots[i].used = false;
	st->n--;
	for (;;) {
		j = (j + 1) & st->mask;
		if (!st->slots[j].used)
			return;
		if (stays(st, i, j))
			continue;
		st->slots[i] = st->slots[j];
		st->slots[j].used = false;
		i = j;
	}
}

void
ctl_health_foreach(const struct ctl_health *st,
		   void (*fn)(void *arg, const struct ctl_health_ep *e), void *arg)
{
	for (uint32_t i = 0; i <= st->mask; i++)
		if (st->slots[i].used)
			fn(arg, &st->slots[i].ep);
}

unsigned int
ctl_health_count(const struct ctl_health *st)
{
	return st->n;
}

uint64_t
ctl_health_dropped(const struct ctl_health *st)
{
	return st->dropped;
}

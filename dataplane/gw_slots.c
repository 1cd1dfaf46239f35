/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_slots.c - stable ids across config generations (see gw_slots.h): per
 * kind, an open-addressing index from the entity's name to its slot, and per
 * slot the generations that last used and last (re)assigned it. Control
 * thread only, so it lives on the heap: DPDK's memory (rte_hash) is the
 * workers' budget, and 45,000 keys of 80 bytes would cost it megabytes.
 */
#include "gw_slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot_key {
	char a[CTL_NAME_MAX];
	char b[CTL_NAME_MAX];
	uint32_t addr;
	uint16_t port;
	uint16_t pad;
};

#define LABEL_MAX (2 * CTL_NAME_MAX + 24)

#define EMPTY UINT32_MAX
#define GONE  (UINT32_MAX - 1) /* a deleted entry: probing goes on past it */

struct slot_kind {
	unsigned int cap, hint;
	uint32_t *index; /* 2 x cap entries (a power of two): slot, EMPTY or GONE */
	uint32_t mask;
	uint32_t used;	      /* index entries not EMPTY (live or GONE) */
	uint64_t *last_gen;   /* 0: never assigned */
	uint64_t *assign_gen; /* when the current holder got it */
	struct slot_key *keys;
	char (*label)[LABEL_MAX];
};

struct gw_slots {
	uint64_t gen, oldest_live;
	struct slot_kind k[GW_SLOT_KINDS];
};

static uint32_t
key_hash(const struct slot_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The index entry holding key, or the first free one on its probe path. */
static uint32_t *
find(struct slot_kind *k, const struct slot_key *key, bool *found)
{
	uint32_t *free_at = NULL;

	for (uint32_t i = key_hash(key) & k->mask;; i = (i + 1) & k->mask) {
		uint32_t *e = &k->index[i];

		if (*e == EMPTY) {
			*found = false;
			return free_at != NULL ? free_at : e;
		}
		if (*e == GONE) {
			if (free_at == NULL)
				free_at = e;
		} else if (memcmp(&k->keys[*e], key, sizeof(*key)) == 0) {
			*found = true;
			return e;
		}
	}
}

/* Drops GONE entries once they crowd the index (probes must meet EMPTY). */
static void
rebuild(struct slot_kind *k)
{
	memset(k->index, 0xff, (k->mask + 1) * sizeof(*k->index));
	k->used = 0;
	for (uint32_t i = 0; i < k->cap; i++) {
		bool found;
		uint32_t *e;

		if (k->last_gen[i] == 0)
			continue;
		e = find(k, &k->keys[i], &found);
		*e = i;
		k->used++;
	}
}

static const unsigned int caps[GW_SLOT_KINDS] = {
	[GW_SLOT_SERVICE] = GW_SLOTS_SERVICES,	 [GW_SLOT_CLUSTER] = GW_SLOTS_CLUSTERS,
	[GW_SLOT_ENDPOINT] = GW_SLOTS_ENDPOINTS, [GW_SLOT_RTABLE] = GW_SLOTS_RTABLES,
	[GW_SLOT_ROUTE] = GW_SLOTS_ROUTES,
};

unsigned int
gw_slots_capacity(enum gw_slot_kind k)
{
	return caps[k];
}

struct gw_slots *
gw_slots_create(void)
{
	struct gw_slots *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	for (int i = 0; i < GW_SLOT_KINDS; i++) {
		struct slot_kind *k = &s->k[i];
		uint32_t n = 1;

		k->cap = caps[i];
		while (n < 2 * k->cap)
			n <<= 1;
		k->mask = n - 1;
		k->index = malloc(n * sizeof(*k->index));
		if (k->index != NULL)
			memset(k->index, 0xff, n * sizeof(*k->index)); /* EMPTY */
		k->last_gen = calloc(k->cap, sizeof(*k->last_gen));
		k->assign_gen = calloc(k->cap, sizeof(*k->assign_gen));
		k->keys = calloc(k->cap, sizeof(*k->keys));
		k->label = calloc(k->cap, sizeof(*k->label));
		if (k->index == NULL || k->last_gen == NULL || k->assign_gen == NULL ||
		    k->keys == NULL || k->label == NULL) {
			gw_slots_free(s);
			errno = ENOMEM;
			return NULL;
		}
	}
	return s;
}

void
gw_slots_free(struct gw_slots *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < GW_SLOT_KINDS; i++) {
		free(s->k[i].index);
		free(s->k[i].last_gen);
		free(s->k[i].assign_gen);
		free(s->k[i].keys);
		free(s->k[i].label);
	}
	free(s);
}

void
gw_slots_begin(struct gw_slots *s, uint64_t gen, uint64_t oldest_live)
{
	s->gen = gen;
	s->oldest_live = oldest_live;
	for (int i = 0; i < GW_SLOT_KINDS; i++)
		s->k[i].hint = 0;
}

static bool
slot_free(const struct gw_slots *s, const struct slot_kind *k, unsigned int i)
{
	return k->last_gen[i] == 0 || (k->last_gen[i] < s->oldest_live && k->last_gen[i] < s->gen);
}

static void
make_label(char *out, const struct slot_key *key)
{
	if (key->addr != 0 || key->port != 0)
		snprintf(out, LABEL_MAX, "%s/%u.%u.%u.%u:%u", key->a, key->addr >> 24,
			 (key->addr >> 16) & 0xff, (key->addr >> 8) & 0xff, key->addr & 0xff,
			 key->port);
	else if (key->b[0] != '\0')
		snprintf(out, LABEL_MAX, "%s/%s", key->a, key->b);
	else
		snprintf(out, LABEL_MAX, "%s", key->a);
}

int
gw_slots_get(struct gw_slots *s, enum gw_slot_kind kind, const char *a, const char *b,
	     uint32_t addr, uint16_t port, bool *fresh)
{
	struct slot_kind *k = &s->k[kind];
	struct slot_key key;
	uint32_t *e;
	unsigned int i;
	bool found;

	memset(&key, 0, sizeof(key));
	snprintf(key.a, sizeof(key.a), "%s", a ? a : "");
	snprintf(key.b, sizeof(key.b), "%s", b ? b : "");
	key.addr = addr;
	key.port = port;
	e = find(k, &key, &found);
	if (found) {
		i = *e;
		k->last_gen[i] = s->gen;
		*fresh = k->assign_gen[i] == s->gen;
		return (int)i;
	}
	for (i = k->hint; i < k->cap && !slot_free(s, k, i); i++)
		;
	if (i == k->cap)
		return -ENOSPC;
	k->hint = i + 1;
	if (k->last_gen[i] != 0) { /* the previous holder leaves the index */
		bool was;
		uint32_t *old = find(k, &k->keys[i], &was);

		if (was)
			*old = GONE;
		e = find(k, &key, &found);
	}
	if (*e == EMPTY)
		k->used++;
	*e = i;
	k->keys[i] = key;
	k->last_gen[i] = s->gen;
	k->assign_gen[i] = s->gen;
	if (k->used > (k->mask + 1) / 4 * 3)
		rebuild(k);
	make_label(k->label[i], &key);
	*fresh = true;
	return (int)i;
}

const char *
gw_slots_label(const struct gw_slots *s, enum gw_slot_kind kind, unsigned int slot)
{
	const struct slot_kind *k = &s->k[kind];

	return slot < k->cap && k->last_gen[slot] != 0 ? k->label[slot] : "?";
}

unsigned int
gw_slots_held(const struct gw_slots *s, enum gw_slot_kind kind)
{
	const struct slot_kind *k = &s->k[kind];
	unsigned int n = 0;

	for (unsigned int i = 0; i < k->cap; i++)
		n += !slot_free(s, k, i);
	return n;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_slots.c - stable ids across config generations (see gw_slots.h): one
 * rte_hash per kind from the entity's name to its slot, and per slot the
 * generations that last used and last (re)assigned it.
 */
#include "gw_slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>

struct slot_key {
	char a[CTL_NAME_MAX];
	char b[CTL_NAME_MAX];
	uint32_t addr;
	uint16_t port;
	uint16_t pad;
};

#define LABEL_MAX (2 * CTL_NAME_MAX + 24)

struct slot_kind {
	unsigned int cap, hint;
	struct rte_hash *h;
	uint64_t *last_gen;   /* 0: never assigned */
	uint64_t *assign_gen; /* when the current holder got it */
	struct slot_key *keys;
	char (*label)[LABEL_MAX];
};

struct gw_slots {
	uint64_t gen, oldest_live;
	struct slot_kind k[GW_SLOT_KINDS];
};

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
	static unsigned int seq;
	struct gw_slots *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	seq++;
	for (int i = 0; i < GW_SLOT_KINDS; i++) {
		struct slot_kind *k = &s->k[i];
		char name[RTE_HASH_NAMESIZE];

		snprintf(name, sizeof(name), "slots%u_%d", seq, i);
		k->cap = caps[i];
		k->h = rte_hash_create(&(struct rte_hash_parameters){
			.name = name,
			.entries = k->cap,
			.key_len = sizeof(struct slot_key),
			.hash_func = rte_jhash,
			.socket_id = SOCKET_ID_ANY,
		});
		k->last_gen = calloc(k->cap, sizeof(*k->last_gen));
		k->assign_gen = calloc(k->cap, sizeof(*k->assign_gen));
		k->keys = calloc(k->cap, sizeof(*k->keys));
		k->label = calloc(k->cap, sizeof(*k->label));
		if (k->h == NULL || k->last_gen == NULL || k->assign_gen == NULL ||
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
		rte_hash_free(s->k[i].h);
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
	void *data;
	unsigned int i;

	memset(&key, 0, sizeof(key));
	snprintf(key.a, sizeof(key.a), "%s", a ? a : "");
	snprintf(key.b, sizeof(key.b), "%s", b ? b : "");
	key.addr = addr;
	key.port = port;
	if (rte_hash_lookup_data(k->h, &key, &data) >= 0) {
		i = (unsigned int)(uintptr_t)data;
		k->last_gen[i] = s->gen;
		*fresh = k->assign_gen[i] == s->gen;
		return (int)i;
	}
	for (i = k->hint; i < k->cap && !slot_free(s, k, i); i++)
		;
	if (i == k->cap)
		return -ENOSPC;
	k->hint = i + 1;
	if (k->last_gen[i] != 0)
		rte_hash_del_key(k->h, &k->keys[i]);
	if (rte_hash_add_key_data(k->h, &key, (void *)(uintptr_t)i) < 0)
		return -ENOSPC;
	k->keys[i] = key;
	k->last_gen[i] = s->gen;
	k->assign_gen[i] = s->gen;
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

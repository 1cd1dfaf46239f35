/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_slots.h - stable ids for services, clusters, endpoints, route tables
 * and routes across config generations.
 *
 * A snapshot's mesh indexes services, clusters and endpoints by slot, and
 * names route tables and routes by slot, so an entity that survives a reload
 * keeps its number: the workers' counters, the balancers' per-endpoint
 * gauges and the control thread's drain and ejection state stay attached to
 * it, and a connection that started on an older snapshot still means the
 * same endpoint. A slot whose entity left is reused for another only when
 * no snapshot that could still be referenced (by a connection) contains it;
 * until then a returning entity gets its old slot back. Control thread only.
 */
#ifndef MESHGW_GW_SLOTS_H
#define MESHGW_GW_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_config.h"

enum gw_slot_kind {
	GW_SLOT_SERVICE,
	GW_SLOT_CLUSTER,
	GW_SLOT_ENDPOINT,
	GW_SLOT_RTABLE,
	GW_SLOT_ROUTE,
	GW_SLOT_KINDS
};

/* Twice the config's limits: a full config plus a full replacement while
 * connections still hold the old one. */
#define GW_SLOTS_SERVICES  (2 * CTL_MAX_SERVICES)
#define GW_SLOTS_CLUSTERS  (2 * CTL_MAX_CLUSTERS)
#define GW_SLOTS_ENDPOINTS (2 * CTL_MAX_ENDPOINTS)
#define GW_SLOTS_RTABLES   (2 * CTL_MAX_ROUTE_TABLES)
#define GW_SLOTS_ROUTES	   (2 * CTL_MAX_HTTP_ROUTES)

/* Slots per kind. */
unsigned int gw_slots_capacity(enum gw_slot_kind k);

struct gw_slots;

/* NULL + errno. Heap memory only. */
struct gw_slots *gw_slots_create(void);
/* Accepts NULL. */
void gw_slots_free(struct gw_slots *s);

/* Starts assigning for generation gen: a slot last used by a generation
 * before oldest_live (the oldest snapshot still alive) is free for another
 * entity. An assignment that is abandoned (the build failed) is redone by
 * the next begin with the same generation. */
void gw_slots_begin(struct gw_slots *s, uint64_t gen, uint64_t oldest_live);

/* The slot of the entity named (a, b, addr, port) (unused parts empty/0):
 * the one it had, else a free one. *fresh: the slot was (re)assigned in this
 * generation, so counters a previous holder left must be cleared. -ENOSPC
 * when every slot is held. */
int gw_slots_get(struct gw_slots *s, enum gw_slot_kind k, const char *a, const char *b,
		 uint32_t addr, uint16_t port, bool *fresh);

/* "name", "table/route" or "cluster/ip:port" of a slot ever assigned; "?"
 * otherwise. Stays valid until the slot is reused. */
const char *gw_slots_label(const struct gw_slots *s, enum gw_slot_kind k, unsigned int slot);

/* Slots of kind k held by generation gen or a live older one. */
unsigned int gw_slots_held(const struct gw_slots *s, enum gw_slot_kind k);

#endif /* MESHGW_GW_SLOTS_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_alog.c - the access log's record queues (see gw_alog.h).
 */
#include "gw_alog.h"

#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>

static const char *const reason_names[GW_ALOG_N_REASONS] = {
#define GW_ALOG_NAME(e, s) s,
	GW_ALOG_REASONS(GW_ALOG_NAME)
#undef GW_ALOG_NAME
};

static const char *const flag_names[GW_ALOG_N_FLAGS] = {
#define GW_ALOG_FLAG_NAME(e, s) s,
	GW_ALOG_FLAGS(GW_ALOG_FLAG_NAME)
#undef GW_ALOG_FLAG_NAME
};

const char *
gw_alog_flag_name(unsigned int bit)
{
	return bit < GW_ALOG_N_FLAGS ? flag_names[bit] : "unknown";
}

const char *
gw_alog_reason_name(enum gw_alog_reason r)
{
	return (unsigned int)r < GW_ALOG_N_REASONS ? reason_names[r] : "unknown";
}

int
gw_alog_q_init(struct gw_alog_q *q, unsigned int w, unsigned int n, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "alog_pool_%u", w);
	/* the worker's per-lcore cache makes get/put cheap; the control
	 * thread puts back through the shared part */
	q->pool = rte_mempool_create(name, n, sizeof(struct gw_alog_rec), 64, 0, NULL, NULL, NULL,
				     NULL, socket, 0);
	snprintf(name, sizeof(name), "alog_ring_%u", w);
	q->ring = rte_ring_create(name, rte_align32pow2(n + 1), socket,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (q->pool == NULL || q->ring == NULL) {
		int e = rte_errno ? rte_errno : ENOMEM;

		gw_alog_q_fini(q);
		return -e;
	}
	return 0;
}

void
gw_alog_q_fini(struct gw_alog_q *q)
{
	void *obj;

	while (q->ring != NULL && rte_ring_sc_dequeue(q->ring, &obj) == 0)
		rte_mempool_put(q->pool, obj);
	rte_ring_free(q->ring);
	rte_mempool_free(q->pool);
	q->ring = NULL;
	q->pool = NULL;
}

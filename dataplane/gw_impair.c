/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_impair.c - port-level impairment (drop, duplicate, reorder, delay), the
 * netem this kernel lacks. Called only by the worker that owns the instance.
 *
 * Pipeline for each packet that survives the drop decision:
 *
 *     offer --> delay FIFO (due = now + delay) --+--> out
 *                                                |
 *                         marked for reorder ----+--> hold FIFO --> out
 *
 * The delay FIFO keeps arrival order and, with a non-decreasing `now`, its due
 * times are monotonic, so only its head is ever looked at. A packet marked for
 * reordering leaves the delay FIFO into the hold FIFO instead of out; it comes
 * out once `reorder_depth` packets that were behind it have come out, or
 * `reorder_time` after it was due, whichever comes first. Both bounds are
 * monotonic along the hold FIFO too (a packet held earlier has seen at least
 * as many later packets go by and has an earlier deadline), so again only the
 * head matters. A duplicate is offered right after its original and is never
 * itself reordered: it may overtake an original that is held back.
 *
 * Counters: in + duplicated == out + dropped + overflow + held, at any time
 * between calls. `held` includes packets that are due but did not fit in the
 * caller's out array.
 */
#include "gw_impair.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

/* 2^63 as a double: probabilities become 63-bit thresholds. */
#define PROB_SCALE 9223372036854775808.0

/* One slot of either FIFO. In the delay FIFO `when` is the due time and
 * `arg` is 1 when the packet is marked for reordering; in the hold FIFO
 * `when` is the deadline and `arg` the release sequence number. */
struct slot {
	struct rte_mbuf *m;
	uint64_t when;
	uint64_t arg;
};

/* A FIFO over a power-of-two array; head and tail run free. */
struct fifo {
	struct slot *slots;
	uint32_t mask;
	uint32_t head; /* next to pop */
	uint32_t tail; /* next to fill */
};

struct gw_impair {
	struct gw_impair_stats stats;
	uint64_t rng[4];			 /* xoshiro256** state */
	uint64_t drop_thr, dup_thr, reorder_thr; /* draw >> 1 < thr: event */
	uint64_t delay_ticks;
	uint64_t reorder_ticks; /* UINT64_MAX: no time bound */
	uint64_t reorder_depth; /* UINT64_MAX: no depth bound */
	uint64_t released;	/* packets that came out of the delay FIFO to out */
	uint32_t queue_max;
	bool active;
	struct fifo delay; /* every packet that is not released on arrival */
	struct fifo hold;  /* packets held back for reordering */
};

/* splitmix64: expands a seed into the xoshiro state. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna): fast, good enough for fault injection. */
static inline uint64_t
rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Stream is hashed on its own first so that nearby (seed, stream) pairs such
 * as (1, 0) and (0, 1) do not give related sequences. */
static void
rng_seed(uint64_t s[4], uint64_t seed, uint64_t stream)
{
	uint64_t h = stream;
	uint64_t x = seed ^ splitmix64(&h);

	for (int i = 0; i < 4; i++)
		s[i] = splitmix64(&x);
}

/* Threshold for `draw >> 1 < thr`: p = 1 gives 2^63, always true. NaN and
 * p <= 0 give 0, never true. */
static uint64_t
prob_threshold(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return UINT64_C(1) << 63;
	return (uint64_t)(p * PROB_SCALE);
}

static inline bool
chance(uint64_t draw, uint64_t thr)
{
	return (draw >> 1) < thr;
}

/* Split so that us * hz does not overflow for any sane delay. */
static uint64_t
us_to_ticks(uint64_t us, uint64_t hz)
{
	return (us / US_PER_S) * hz + (us % US_PER_S) * hz / US_PER_S;
}

/* "No bound" is UINT64_MAX and must stay so. */
static inline uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static inline uint32_t
fifo_count(const struct fifo *f)
{
	return f->tail - f->head;
}

static inline struct slot *
fifo_head(const struct fifo *f)
{
	return &f->slots[f->head & f->mask];
}

/* Room is checked by the caller against queue_max, which both FIFOs hold. */
static inline void
fifo_push(struct fifo *f, struct rte_mbuf *m, uint64_t when, uint64_t arg)
{
	struct slot *s = &f->slots[f->tail++ & f->mask];

	s->m = m;
	s->when = when;
	s->arg = arg;
}

static void
fifo_free_all(struct fifo *f)
{
	while (fifo_count(f) != 0) {
		rte_pktmbuf_free(fifo_head(f)->m);
		f->head++;
	}
}

static void
set_conf(struct gw_impair *im, const struct ctl_impair_dir *conf, uint64_t hz)
{
	bool reorder_bounded = conf->reorder_depth != 0 || conf->reorder_time_us != 0;

	im->drop_thr = prob_threshold(conf->drop);
	im->dup_thr = prob_threshold(conf->dup);
	/* With neither bound a held packet would only come out at free(). */
	im->reorder_thr = reorder_bounded ? prob_threshold(conf->reorder) : 0;
	im->reorder_depth = conf->reorder_depth != 0 ? conf->reorder_depth : UINT64_MAX;
	im->reorder_ticks =
		conf->reorder_time_us != 0 ? us_to_ticks(conf->reorder_time_us, hz) : UINT64_MAX;
	im->delay_ticks = us_to_ticks(conf->delay_us, hz);
	im->queue_max = conf->queue_max;
	im->active = im->drop_thr != 0 || im->dup_thr != 0 || im->reorder_thr != 0 ||
		     conf->delay_us != 0;
}

struct gw_impair *
gw_impair_create(const struct ctl_impair_dir *conf, uint64_t seed, uint64_t stream, uint64_t hz,
		 int socket)
{
	struct gw_impair *im;
	uint32_t size;

	/* Both FIFOs can each hold everything; the + 1 keeps size >= 1. */
	if (conf == NULL || hz == 0 || conf->queue_max > (UINT32_C(1) << 30)) {
		errno = EINVAL;
		return NULL;
	}
	size = pow2_at_least(conf->queue_max + 1);
	im = rte_zmalloc_socket("gw_impair", sizeof(*im) + 2 * (size_t)size * sizeof(struct slot),
				RTE_CACHE_LINE_SIZE, socket);
	if (im == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	set_conf(im, conf, hz);
	rng_seed(im->rng, seed, stream);
	im->delay.slots = (struct slot *)(im + 1);
	im->delay.mask = size - 1;
	im->hold.slots = im->delay.slots + size;
	im->hold.mask = size - 1;
	return im;
}

void
gw_impair_free(struct gw_impair *im)
{
	if (im == NULL)
		return;
	fifo_free_all(&im->delay);
	fifo_free_all(&im->hold);
	rte_free(im);
}

int
gw_impair_active(const struct gw_impair *im)
{
	return im != NULL && im->active;
}

const struct gw_impair_stats *
gw_impair_get_stats(const struct gw_impair *im)
{
	return &im->stats;
}

/* Output cursor of one apply/poll call. */
struct sink {
	struct rte_mbuf **pkts;
	unsigned int n;
	unsigned int max;
};

static inline void
emit(struct gw_impair *im, struct sink *o, struct rte_mbuf *m)
{
	o->pkts[o->n++] = m;
	im->stats.out++;
}

/* The hold head may go when enough later packets came out, or at its deadline
 * unless the delay head was due earlier (keeps virtual-time order when the
 * caller polls late). */
static bool
hold_head_ready(const struct gw_impair *im, uint64_t now)
{
	const struct slot *h, *d;

	if (fifo_count(&im->hold) == 0)
		return false;
	h = fifo_head(&im->hold);
	if (im->released >= h->arg)
		return true;
	if (h->when > now)
		return false;
	if (fifo_count(&im->delay) == 0)
		return true;
	d = fifo_head(&im->delay);
	return d->when > now || h->when <= d->when;
}

/* Moves the delay head on: to out, or to the hold FIFO if it is marked. */
static void
release_delay_head(struct gw_impair *im, struct sink *o)
{
	struct slot *d = fifo_head(&im->delay);

	im->delay.head++;
	if (d->arg != 0) {
		/* Still held: room was checked when it entered the delay FIFO. */
		fifo_push(&im->hold, d->m, add_sat(d->when, im->reorder_ticks),
			  add_sat(im->released, im->reorder_depth));
		im->stats.reordered++;
		return;
	}
	im->released++;
	emit(im, o, d->m);
	im->stats.held--;
}

/* Releases everything due at `now`, in order, while out has room. */
static void
drain(struct gw_impair *im, uint64_t now, struct sink *o)
{
	while (o->n < o->max) {
		if (hold_head_ready(im, now)) {
			emit(im, o, fifo_head(&im->hold)->m);
			im->hold.head++;
			im->stats.held--;
		} else if (fifo_count(&im->delay) != 0 && fifo_head(&im->delay)->when <= now) {
			release_delay_head(im, o);
		} else {
			break;
		}
	}
}

/* Queues one packet (or passes it straight on when nothing is ahead of it
 * and it needs no holding), then releases what became due. Consumes m. */
static void
offer(struct gw_impair *im, struct rte_mbuf *m, bool reorder, uint64_t now, struct sink *o)
{
	uint64_t due = add_sat(now, im->delay_ticks);

	if (!reorder && im->delay_ticks == 0 && fifo_count(&im->delay) == 0 && o->n < o->max) {
		im->released++;
		emit(im, o, m);
	} else if (im->stats.held >= im->queue_max) {
		rte_pktmbuf_free(m);
		im->stats.overflow++;
		return;
	} else {
		fifo_push(&im->delay, m, due, reorder);
		im->stats.held++;
		if (im->delay_ticks != 0)
			im->stats.delayed++;
	}
	drain(im, now, o);
}

/* A fixed three draws per packet, whatever the outcome, so that decision k
 * depends only on (seed, stream, k). */
static void
impair_one(struct gw_impair *im, struct rte_mbuf *m, uint64_t now, struct sink *o)
{
	uint64_t r_drop = rng_next(im->rng);
	uint64_t r_dup = rng_next(im->rng);
	uint64_t r_reorder = rng_next(im->rng);
	struct rte_mbuf *copy = NULL;

	im->stats.in++;
	if (chance(r_drop, im->drop_thr)) {
		rte_pktmbuf_free(m);
		im->stats.dropped++;
		return;
	}
	/* Copy before offering: the original may be freed by overflow. */
	if (chance(r_dup, im->dup_thr)) {
		copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (copy != NULL)
			im->stats.duplicated++;
		else
			im->stats.nomem++;
	}
	offer(im, m, chance(r_reorder, im->reorder_thr), now, o);
	if (copy != NULL)
		offer(im, copy, false, now, o);
}

unsigned int
gw_impair_apply(struct gw_impair *im, struct rte_mbuf **pkts, unsigned int n, uint64_t now,
		struct rte_mbuf **out, unsigned int max_out)
{
	struct sink o = {.pkts = out, .n = 0, .max = max_out};

	/* The common case, no impairment and nothing queued, costs a copy. */
	if (!im->active && im->stats.held == 0 && n <= max_out) {
		memcpy(out, pkts, n * sizeof(*pkts));
		im->stats.in += n;
		im->stats.out += n;
		im->released += n;
		return n;
	}
	/* Whatever became due since the last call goes before new packets. */
	drain(im, now, &o);
	for (unsigned int i = 0; i < n; i++) {
		if (im->active)
			impair_one(im, pkts[i], now, &o);
		else {
			im->stats.in++;
			offer(im, pkts[i], false, now, &o);
		}
	}
	return o.n;
}

unsigned int
gw_impair_poll(struct gw_impair *im, uint64_t now, struct rte_mbuf **out, unsigned int max)
{
	struct sink o = {.pkts = out, .n = 0, .max = max};

	if (im->stats.held != 0)
		drain(im, now, &o);
	return o.n;
}

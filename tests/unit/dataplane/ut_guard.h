/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ut_guard.h - the guard-page trick of picohttpparser's tests: input is
 * copied so that it ends right before a PROT_NONE page, so a parser that
 * reads one byte past what it was given crashes instead of passing.
 */
#ifndef MESHGW_UT_GUARD_H
#define MESHGW_UT_GUARD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct ut_guard {
	char *map;
	size_t room; /* readable bytes before the guard page */
};

/* Room for inputs up to `room` bytes; aborts when the system says no. */
static inline void
ut_guard_init(struct ut_guard *g, size_t room)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	g->room = (room + page - 1) / page * page;
	g->map = mmap(NULL, g->room + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
	if (g->map == MAP_FAILED || mprotect(g->map + g->room, page, PROT_NONE) != 0)
		abort();
}

/* Copies s[0..n) to end at the guard page and returns the copy. */
static inline const char *
ut_guard_place(struct ut_guard *g, const void *s, size_t n)
{
	if (n > g->room)
		abort();
	char *p = g->map + g->room - n;
	memcpy(p, s, n);
	return p;
}

static inline void
ut_guard_free(struct ut_guard *g)
{
	munmap(g->map, g->room + (size_t)sysconf(_SC_PAGESIZE));
	g->map = NULL;
}

#endif /* MESHGW_UT_GUARD_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin.h - the admin HTTP endpoint (loopback by default) on the control
 * loop: GET only, one request per connection (Connection: close), bounded
 * request size and client count. Paths are answered by a handler.
 */
#ifndef MESHGW_CTL_ADMIN_H
#define MESHGW_CTL_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_loop.h"

/* Returns an HTTP status (200, 404, ...) and sets *body (malloc'd, taken by
 * the server), *len and *ctype (static string). */
typedef int (*ctl_admin_fn)(void *arg, const char *path, char **body, size_t *len,
			    const char **ctype);

struct ctl_admin;

/* addr and port in host byte order. NULL + errno. */
struct ctl_admin *ctl_admin_create(struct ctl_loop *loop, uint32_t addr, uint16_t port,
				   ctl_admin_fn fn, void *arg);
/* The bound port in host byte order (useful after asking for port 0). */
uint16_t ctl_admin_port(const struct ctl_admin *a);
void ctl_admin_free(struct ctl_admin *a);

#endif /* MESHGW_CTL_ADMIN_H */

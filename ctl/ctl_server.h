/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_server.h - the ctl Unix socket server (mode 0600) on the control loop.
 * Clients send request lines; each command is a registered handler. Bounded:
 * at most CTL_MAX_CLIENTS clients, lines up to CTL_LINE_MAX (longer lines get
 * an E2BIG error and the client is dropped), bounded output queue per client.
 * Malformed input gets an error object, never a crash or a hang.
 */
#ifndef MESHGW_CTL_SERVER_H
#define MESHGW_CTL_SERVER_H

#include <jansson.h>

#include "ctl_loop.h"
#include "ctl_proto.h"

#define CTL_MAX_CLIENTS CTL_LISTENER_MAX
#define CTL_AGAIN	1 /* handler return: not ready yet, call me again on the next tick */

/* A handler returns 0 with *result set (the server takes the reference),
 * CTL_AGAIN to be called again on later ticks (until the request's
 * args.timeout_ms, default 0, passes: then the client gets ETIMEDOUT),
 * or -errno with err filled. args is borrowed. */
typedef int (*ctl_cmd_fn)(void *arg, json_t *args, json_t **result, struct ctl_error *err);

struct ctl_server;

/* Binds path (creating its directory, replacing a stale socket). NULL + errno. */
struct ctl_server *ctl_server_create(struct ctl_loop *loop, const char *path);
/* Closes every client, unlinks the socket. Accepts NULL. */
void ctl_server_free(struct ctl_server *srv);
int ctl_server_register(struct ctl_server *srv, const char *cmd, ctl_cmd_fn fn, void *arg);

#endif /* MESHGW_CTL_SERVER_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_proto.h - the ctl socket's wire protocol: one JSON object per line each
 * way (lines up to CTL_LINE_MAX bytes).
 *   request:  {"id":1,"cmd":"stats","args":{}}          (id and args optional)
 *   reply:    {"id":1,"ok":true,"result":{...}}
 *             {"id":1,"ok":false,"error":{"code":"EINVAL","message":"..."}}
 * Pure functions, no I/O: linkable on their own for the fuzzer and meshgwctl.
 */
#ifndef MESHGW_CTL_PROTO_H
#define MESHGW_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CTL_LINE_MAX (64 * 1024)
#define CTL_CMD_MAX  32

struct ctl_error {
	char code[16]; /* errno-style name: EINVAL, ENOENT, ETIMEDOUT, E2BIG, ... */
	char message[256];
};

struct ctl_request {
	json_int_t id; /* 0 when absent */
	bool has_id;
	char cmd[CTL_CMD_MAX];
	json_t *args; /* owned: always an object (empty when absent); free with ctl_request_clear */
};

/* Decodes one line (without its newline; need not be NUL-terminated).
 * 0, or -EBADMSG with err filled (and req->id set when it could be read). */
int ctl_proto_decode(const char *line, size_t len, struct ctl_request *req, struct ctl_error *err);
void ctl_request_clear(struct ctl_request *req);

/* Encode replies as one line ending in '\n'. Return malloc'd strings (NULL on ENOMEM).
 * ctl_proto_ok steals the reference to result. */
char *ctl_proto_ok(const struct ctl_request *req, json_t *result);
char *ctl_proto_error(const struct ctl_request *req, const struct ctl_error *err);

/* Encode a request line (client side). Steals args (NULL: {}). */
char *ctl_proto_request(json_int_t id, const char *cmd, json_t *args);

/* Fills err from an errno value and a printf-style message. */
void ctl_error_set(struct ctl_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* MESHGW_CTL_PROTO_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_proto.c - codec for the ctl socket's line protocol (see ctl_proto.h).
 * Pure functions over jansson, no I/O and no global state: any thread may
 * call them, and the fuzzer and meshgwctl link this file on its own.
 */
#include "ctl_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct errno_name {
	int num;
	const char *name;
};

static const struct errno_name errno_names[] = {
	{EINVAL, "EINVAL"},
	{ENOENT, "ENOENT"},
	{EAGAIN, "EAGAIN"},
	{ETIMEDOUT, "ETIMEDOUT"},
	{E2BIG, "E2BIG"},
	{EBUSY, "EBUSY"},
	{ENOMEM, "ENOMEM"},
	{EPERM, "EPERM"},
	{EACCES, "EACCES"},
	{ENOTSUP, "ENOTSUP"},
	{EEXIST, "EEXIST"},
	{ENODEV, "ENODEV"},
	{EBADMSG, "EBADMSG"},
	{ENOSPC, "ENOSPC"},
	{ERANGE, "ERANGE"},
	{EALREADY, "EALREADY"},
	{ECANCELED, "ECANCELED"},
	{EINPROGRESS, "EINPROGRESS"},
	{ESRCH, "ESRCH"},
	{EIO, "EIO"},
	{ECONNREFUSED, "ECONNREFUSED"},
	{ECONNRESET, "ECONNRESET"},
	{EHOSTUNREACH, "EHOSTUNREACH"},
	{ENETUNREACH, "ENETUNREACH"},
	{ENOTCONN, "ENOTCONN"},
	{EPIPE, "EPIPE"},
	{EADDRINUSE, "EADDRINUSE"},
	{ENOBUFS, "ENOBUFS"},
};

static const char *
errno_name(int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].num == errnum)
			return errno_names[i].name;
	return "EIO";
}

void
ctl_error_set(struct ctl_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", errno_name(errnum));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void
ctl_request_clear(struct ctl_request *req)
{
	json_decref(req->args);
	memset(req, 0, sizeof(*req));
}

static bool
cmd_valid(const char *s, size_t len)
{
	if (len == 0 || len >= CTL_CMD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Reads "id" first so that every later error can echo it. */
static int
decode_id(json_t *root, struct ctl_request *req, struct ctl_error *err)
{
	json_t *id = json_object_get(root, "id");

	if (id == NULL)
		return 0;
	if (!json_is_integer(id)) {
		ctl_error_set(err, EINVAL, "'id' must be an integer");
		return -EBADMSG;
	}
	req->id = json_integer_value(id);
	req->has_id = true;
	return 0;
}

static int
decode_cmd(json_t *root, struct ctl_request *req, struct ctl_error *err)
{
	json_t *cmd = json_object_get(root, "cmd");
	size_t len;

	if (cmd == NULL) {
		ctl_error_set(err, EINVAL, "missing 'cmd'");
		return -EBADMSG;
	}
	if (!json_is_string(cmd)) {
		ctl_error_set(err, EINVAL, "'cmd' must be a string");
		return -EBADMSG;
	}
	len = json_string_length(cmd);
	if (len == 0 || len >= CTL_CMD_MAX) {
		ctl_error_set(err, EINVAL, "'cmd' must be 1..%d characters", CTL_CMD_MAX - 1);
		return -EBADMSG;
	}
	if (!cmd_valid(json_string_value(cmd), len)) {
		ctl_error_set(err, EINVAL, "'cmd' may only contain a-z, 0-9 and '-'");
		return -EBADMSG;
	}
	memcpy(req->cmd, json_string_value(cmd), len + 1);
	return 0;
}

static int
decode_args(json_t *root, struct ctl_request *req, struct ctl_error *err)
{
	json_t *args = json_object_get(root, "args");

	if (args == NULL) {
		req->args = json_object();
		if (req->args == NULL) {
			ctl_error_set(err, ENOMEM, "out of memory");
			return -EBADMSG;
		}
		return 0;
	}
	if (!json_is_object(args)) {
		ctl_error_set(err, EINVAL, "'args' must be an object");
		return -EBADMSG;
	}
	req->args = json_incref(args);
	return 0;
}

static int
check_keys(json_t *root, struct ctl_error *err)
{
	const char *key;
	json_t *val;

	json_object_foreach (root, key, val) {
		if (strcmp(key, "id") != 0 && strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
			/* %.40s may cut a UTF-8 sequence: the encoder sanitizes messages */
			ctl_error_set(err, EINVAL, "unknown key '%.40s'", key);
			return -EBADMSG;
		}
	}
	return 0;
}

int
ctl_proto_decode(const char *line, size_t len, struct ctl_request *req, struct ctl_error *err)
{
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -EBADMSG;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	if (len > CTL_LINE_MAX) {
		ctl_error_set(err, E2BIG, "request longer than %d bytes", CTL_LINE_MAX);
		return -EBADMSG;
	}
	/* no JSON_DISABLE_EOF_CHECK: anything after the object is an error;
	 * jansson also rejects invalid UTF-8, \u0000 and nesting past 2048 */
	root = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		ctl_error_set(err, EBADMSG, "invalid JSON at byte %d: %s", jerr.position,
			      jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		ctl_error_set(err, EINVAL, "request must be a JSON object");
		goto out;
	}
	if (decode_id(root, req, err) < 0 || check_keys(root, err) < 0 ||
	    decode_cmd(root, req, err) < 0 || decode_args(root, req, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc < 0) {
		/* keep only the id: the caller needs nothing else on error */
		json_decref(req->args);
		req->args = NULL;
		req->cmd[0] = '\0';
	}
	return rc;
}

/* Adds one '\n'-terminated line from a JSON value; consumes obj. */
static char *
encode_line(json_t *obj)
{
	char *s = NULL, *line = NULL;
	size_t len;

	if (obj == NULL)
		goto out;
	s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		goto out;
	len = strlen(s);
	line = realloc(s, len + 2);
	if (line == NULL)
		goto out;
	s = NULL;
	line[len] = '\n';
	line[len + 1] = '\0';
out:
	free(s);
	json_decref(obj);
	if (line == NULL)
		errno = ENOMEM;
	return line;
}

/* A JSON string from text that may not be valid UTF-8 (e.g. a message cut by
 * snprintf): bytes jansson refuses become '?'. */
static json_t *
safe_string(const char *s)
{
	char buf[sizeof(((struct ctl_error *)0)->message)];
	json_t *j = json_string(s);
	size_t i;

	if (j != NULL)
		return j;
	for (i = 0; s[i] != '\0' && i + 1 < sizeof(buf); i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static json_t *
reply_new(const struct ctl_request *req, bool ok)
{
	json_t *rep = json_object();

	if (rep == NULL)
		return NULL;
	if (req != NULL && req->has_id && json_object_set_new(rep, "id", json_integer(req->id)) < 0)
		goto fail;
	if (json_object_set_new(rep, "ok", json_boolean(ok)) < 0)
		goto fail;
	return rep;
fail:
	json_decref(rep);
	return NULL;
}

char *
ctl_proto_ok(const struct ctl_request *req, json_t *result)
{
	json_t *rep = reply_new(req, true);

	if (result == NULL)
		result = json_object();
	if (rep == NULL || result == NULL)
		goto fail;
	if (json_object_set_new(rep, "result", result) < 0) {
		result = NULL; /* set_new consumed it even on failure */
		goto fail;
	}
	return encode_line(rep);
fail:
	json_decref(result);
	json_decref(rep);
	errno = ENOMEM;
	return NULL;
}

char *
ctl_proto_error(const struct ctl_request *req, const struct ctl_error *err)
{
	json_t *rep = reply_new(req, false);
	json_t *e = json_object();
	const char *code = err->code[0] != '\0' ? err->code : "EIO";

	if (rep == NULL || e == NULL)
		goto fail;
	if (json_object_set_new(e, "code", safe_string(code)) < 0 ||
	    json_object_set_new(e, "message", safe_string(err->message)) < 0)
		goto fail;
	if (json_object_set_new(rep, "error", e) < 0) {
		e = NULL;
		goto fail;
	}
	return encode_line(rep);
fail:
	json_decref(e);
	json_decref(rep);
	errno = ENOMEM;
	return NULL;
}

char *
ctl_proto_request(json_int_t id, const char *cmd, json_t *args)
{
	json_t *req = NULL;

	if (args == NULL)
		args = json_object();
	if (cmd == NULL || !cmd_valid(cmd, strlen(cmd)) || !json_is_object(args)) {
		json_decref(args);
		errno = EINVAL;
		return NULL;
	}
	req = json_object();
	if (req == NULL || json_object_set_new(req, "id", json_integer(id)) < 0 ||
	    json_object_set_new(req, "cmd", json_string(cmd)) < 0) {
		json_decref(args);
		json_decref(req);
		errno = ENOMEM;
		return NULL;
	}
	if (json_object_set_new(req, "args", args) < 0) {
		json_decref(req);
		errno = ENOMEM;
		return NULL;
	}
	return encode_line(req);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ctl_proto.c - libFuzzer harness for the ctl line codec: decodes the
 * input as one request line and encodes the reply the server would send.
 * A decoded request must survive a round trip through ctl_proto_request
 * unchanged, and every encoded line must be one valid JSON object ending in
 * exactly one '\n'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_proto.h"

/* An encoded line: one JSON object, no inner newline, '\n' at the end. */
static void
check_line(char *line)
{
	size_t len;
	json_t *j;

	if (line == NULL)
		return; /* ENOMEM */
	len = strlen(line);
	if (len < 3 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		abort();
	j = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j))
		abort();
	json_decref(j);
	free(line);
}

/* request -> line -> request must give back the same request */
static void
round_trip(const struct ctl_request *req)
{
	char *line = ctl_proto_request(req->id, req->cmd, json_incref(req->args));
	struct ctl_request again;
	struct ctl_error err;

	if (line == NULL)
		return;
	if (ctl_proto_decode(line, strlen(line) - 1, &again, &err) != 0)
		abort();
	if (again.id != req->id || strcmp(again.cmd, req->cmd) != 0 ||
	    !json_equal(again.args, req->args))
		abort();
	ctl_request_clear(&again);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	struct ctl_error err;

	if (ctl_proto_decode((const char *)data, size, &req, &err) == 0) {
		if (!json_is_object(req.args) || req.cmd[0] == '\0')
			abort();
		round_trip(&req);
		check_line(ctl_proto_ok(&req, json_deep_copy(req.args)));
	} else {
		if (err.code[0] == '\0' || err.message[0] == '\0' || req.args != NULL)
			abort();
		check_line(ctl_proto_error(&req, &err));
	}
	ctl_request_clear(&req);
	return 0;
}

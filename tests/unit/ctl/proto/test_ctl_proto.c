/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_proto.c - the ctl line codec: request decoding (valid and every
 * kind of malformed input) and the reply/request encoders.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl_proto.h"

/* Decodes a C string; the copy has no NUL after it so over-reads show up. */
static int
decode(const char *s, struct ctl_request *req, struct ctl_error *err)
{
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	rc = ctl_proto_decode(copy, len, req, err);
	free(copy);
	return rc;
}

/* Expects a failure with the given code; returns nothing, clears req. */
static void
expect_fail(const char *s, const char *code)
{
	struct ctl_request req;
	struct ctl_error err;

	assert_int_equal(decode(s, &req, &err), -EBADMSG);
	assert_string_equal(err.code, code);
	assert_true(strlen(err.message) > 0);
	assert_null(req.args);
	ctl_request_clear(&req);
}

static void
test_decode_minimal(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_int_equal(decode("{\"cmd\":\"status\"}", &req, &err), 0);
	assert_string_equal(req.cmd, "status");
	assert_false(req.has_id);
	assert_int_equal(req.id, 0);
	assert_true(json_is_object(req.args));
	assert_int_equal(json_object_size(req.args), 0);
	ctl_request_clear(&req);
	assert_null(req.args);
}

static void
test_decode_full(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_int_equal(decode(" {\"id\": 7, \"cmd\": \"ip-routes\", \"args\": {\"x\": [1, 2]}} ",
				&req, &err),
			 0);
	assert_string_equal(req.cmd, "ip-routes");
	assert_true(req.has_id);
	assert_int_equal(req.id, 7);
	assert_int_equal(json_array_size(json_object_get(req.args, "x")), 2);
	ctl_request_clear(&req);
}

static void
test_decode_not_terminated(void **state)
{
	/* len excludes the tail: the decoder must not look past it */
	static const char buf[] = "{\"cmd\":\"stats\"}GARBAGE";
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_int_equal(ctl_proto_decode(buf, 15, &req, &err), 0);
	assert_string_equal(req.cmd, "stats");
	ctl_request_clear(&req);
}

static void
test_decode_not_object(void **state)
{
	(void)state;
	expect_fail("[1,2]", "EINVAL");
	expect_fail("\"status\"", "EINVAL");
	expect_fail("42", "EINVAL");
	expect_fail("null", "EINVAL");
	expect_fail("true", "EINVAL");
}

static void
test_decode_missing_cmd(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_int_equal(decode("{\"id\":3}", &req, &err), -EBADMSG);
	assert_string_equal(err.code, "EINVAL");
	assert_non_null(strstr(err.message, "cmd"));
	assert_true(req.has_id);
	assert_int_equal(req.id, 3);
	ctl_request_clear(&req);
	expect_fail("{}", "EINVAL");
	expect_fail("{\"args\":{}}", "EINVAL");
}

static void
test_decode_cmd_type(void **state)
{
	(void)state;
	expect_fail("{\"cmd\":1}", "EINVAL");
	expect_fail("{\"cmd\":null}", "EINVAL");
	expect_fail("{\"cmd\":[\"status\"]}", "EINVAL");
	expect_fail("{\"cmd\":{}}", "EINVAL");
}

static void
test_decode_cmd_length(void **state)
{
	struct ctl_request req;
	struct ctl_error err;
	char line[128];

	(void)state;
	expect_fail("{\"cmd\":\"\"}", "EINVAL");
	/* 31 characters fit, 32 do not */
	snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(decode(line, &req, &err), 0);
	assert_int_equal(strlen(req.cmd), CTL_CMD_MAX - 1);
	ctl_request_clear(&req);
	snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", "abcdefghijklmnopqrstuvwxyz012345");
	expect_fail(line, "EINVAL");
	expect_fail("{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		    "EINVAL");
}

static void
test_decode_cmd_chars(void **state)
{
	static const char *const bad[] = {
		"{\"cmd\":\"Status\"}",
		"{\"cmd\":\"a b\"}",
		"{\"cmd\":\"a_b\"}",
		"{\"cmd\":\"a/b\"}",
		"{\"cmd\":\"st\\u00e9\"}",
		"{\"cmd\":\"a\\nb\"}",
		"{\"cmd\":\"\xc3\xa9t\xc3\xa9\"}",
		"{\"cmd\":\"a.b\"}",
	};
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], "EINVAL");
	assert_int_equal(decode("{\"cmd\":\"wait-ready-2\"}", &req, &err), 0);
	ctl_request_clear(&req);
}

static void
test_decode_args_type(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	expect_fail("{\"cmd\":\"x\",\"args\":[]}", "EINVAL");
	expect_fail("{\"cmd\":\"x\",\"args\":1}", "EINVAL");
	expect_fail("{\"cmd\":\"x\",\"args\":\"a\"}", "EINVAL");
	expect_fail("{\"cmd\":\"x\",\"args\":null}", "EINVAL");
	assert_int_equal(decode("{\"id\":9,\"cmd\":\"x\",\"args\":true}", &req, &err), -EBADMSG);
	assert_true(req.has_id);
	assert_int_equal(req.id, 9);
	assert_non_null(strstr(err.message, "args"));
	ctl_request_clear(&req);
}

static void
test_decode_unknown_key(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_int_equal(decode("{\"cmd\":\"x\",\"verbose\":1}", &req, &err), -EBADMSG);
	assert_string_equal(err.code, "EINVAL");
	assert_non_null(strstr(err.message, "verbose"));
	ctl_request_clear(&req);
	expect_fail("{\"cmd\":\"x\",\"ID\":1}", "EINVAL");
}

static void
test_decode_id_type(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	static const char *const bad[] = {
		"{\"id\":\"1\",\"cmd\":\"x\"}",
		"{\"id\":1.5,\"cmd\":\"x\"}",
		"{\"id\":null,\"cmd\":\"x\"}",
		"{\"id\":[1],\"cmd\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode(bad[i], &req, &err), -EBADMSG);
		assert_string_equal(err.code, "EINVAL");
		assert_false(req.has_id);
		ctl_request_clear(&req);
	}
}

static void
test_decode_duplicates(void **state)
{
	(void)state;
	expect_fail("{\"cmd\":\"a\",\"cmd\":\"b\"}", "EBADMSG");
	expect_fail("{\"id\":1,\"id\":2,\"cmd\":\"a\"}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":1,\"k\":2}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"o\":[{\"k\":1,\"k\":1}]}}", "EBADMSG");
}

static void
test_decode_trailing(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	expect_fail("{\"cmd\":\"a\"} x", "EBADMSG");
	expect_fail("{\"cmd\":\"a\"}{\"cmd\":\"b\"}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\"},", "EBADMSG");
	expect_fail("{\"cmd\":\"a\"", "EBADMSG");
	/* whitespace around the object is fine */
	assert_int_equal(decode("\t{\"cmd\":\"a\"} \r", &req, &err), 0);
	ctl_request_clear(&req);
}

static void
test_decode_bad_bytes(void **state)
{
	static const char nul[] = "{\"cmd\":\"a\"}\0";
	static const char nul_in[] = "{\"cmd\":\"a\0b\"}";
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":\"\xff\"}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":\"\xc0\xaf\"}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":\"\xed\xa0\x80\"}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"\xfe\":1}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":\"\\u0000\"}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"k\":\"\\ud800\"}}", "EBADMSG");
	expect_fail("\xef\xbb\xbf{\"cmd\":\"a\"}", "EBADMSG");
	assert_int_equal(ctl_proto_decode(nul, sizeof(nul) - 1, &req, &err), -EBADMSG);
	ctl_request_clear(&req);
	assert_int_equal(ctl_proto_decode(nul_in, sizeof(nul_in) - 1, &req, &err), -EBADMSG);
	ctl_request_clear(&req);
	expect_fail("", "EBADMSG");
	expect_fail("   ", "EBADMSG");
	expect_fail("{cmd:\"a\"}", "EBADMSG");
	expect_fail("{'cmd':'a'}", "EBADMSG");
}

static void
test_decode_deep_nesting(void **state)
{
	const size_t depth = 30000;
	char *line = malloc(64 + 2 * depth);
	struct ctl_request req;
	struct ctl_error err;
	size_t len = 0;

	(void)state;
	assert_non_null(line);
	len += (size_t)sprintf(line, "{\"cmd\":\"a\",\"args\":{\"k\":");
	memset(line + len, '[', depth);
	len += depth;
	memset(line + len, ']', depth);
	len += depth;
	line[len++] = '}';
	line[len++] = '}';
	assert_int_equal(ctl_proto_decode(line, len, &req, &err), -EBADMSG);
	assert_string_equal(err.code, "EBADMSG");
	ctl_request_clear(&req);
	/* a sane depth is accepted */
	len = (size_t)sprintf(line, "{\"cmd\":\"a\",\"args\":{\"k\":");
	memset(line + len, '[', 100);
	len += 100;
	memset(line + len, ']', 100);
	len += 100;
	memcpy(line + len, "}}", 2);
	assert_int_equal(ctl_proto_decode(line, len + 2, &req, &err), 0);
	ctl_request_clear(&req);
	free(line);
}

static void
test_decode_numbers(void **state)
{
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	expect_fail("{\"id\":99999999999999999999,\"cmd\":\"a\"}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"n\":1e999}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"n\":-1e999}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"n\":NaN}}", "EBADMSG");
	expect_fail("{\"cmd\":\"a\",\"args\":{\"n\":01}}", "EBADMSG");
	assert_int_equal(decode("{\"id\":9223372036854775807,\"cmd\":\"a\"}", &req, &err), 0);
	assert_true(req.id == INT64_MAX);
	ctl_request_clear(&req);
	assert_int_equal(decode("{\"id\":-9223372036854775808,\"cmd\":\"a\"}", &req, &err), 0);
	assert_true(req.id == INT64_MIN);
	ctl_request_clear(&req);
	assert_int_equal(decode("{\"cmd\":\"a\",\"args\":{\"n\":1e300}}", &req, &err), 0);
	ctl_request_clear(&req);
}

static void
test_decode_oversize(void **state)
{
	size_t len = CTL_LINE_MAX + 1;
	char *line = malloc(len);
	struct ctl_request req;
	struct ctl_error err;

	(void)state;
	assert_non_null(line);
	memset(line, ' ', len);
	memcpy(line, "{\"cmd\":\"a\"}", 11);
	assert_int_equal(ctl_proto_decode(line, len, &req, &err), -EBADMSG);
	assert_string_equal(err.code, "E2BIG");
	ctl_request_clear(&req);
	/* exactly CTL_LINE_MAX bytes is still a line */
	assert_int_equal(ctl_proto_decode(line, CTL_LINE_MAX, &req, &err), 0);
	ctl_request_clear(&req);
	free(line);
}

static void
test_id_echo(void **state)
{
	struct ctl_request req;
	struct ctl_error err;
	char *s;

	(void)state;
	assert_int_equal(decode("{\"id\":42,\"cmd\":\"BAD\"}", &req, &err), -EBADMSG);
	s = ctl_proto_error(&req, &err);
	assert_non_null(s);
	assert_string_equal(s, "{\"id\":42,\"ok\":false,\"error\":{\"code\":\"EINVAL\",\"message\":"
			       "\"'cmd' may only contain a-z, 0-9 and '-'\"}}\n");
	free(s);
	ctl_request_clear(&req);
	/* unreadable JSON: no id */
	assert_int_equal(decode("{\"id\":42,", &req, &err), -EBADMSG);
	assert_false(req.has_id);
	s = ctl_proto_error(&req, &err);
	assert_non_null(s);
	assert_null(strstr(s, "\"id\""));
	assert_non_null(strstr(s, "\"code\":\"EBADMSG\""));
	free(s);
	ctl_request_clear(&req);
}

static void
test_encode_ok(void **state)
{
	struct ctl_request req = {.id = 5, .has_id = true};
	char *s;

	(void)state;
	s = ctl_proto_ok(&req, json_pack("{si}", "a", 1));
	assert_string_equal(s, "{\"id\":5,\"ok\":true,\"result\":{\"a\":1}}\n");
	free(s);
	req.has_id = false;
	s = ctl_proto_ok(&req, NULL);
	assert_string_equal(s, "{\"ok\":true,\"result\":{}}\n");
	free(s);
	s = ctl_proto_ok(NULL, json_string("line\nbreak"));
	assert_string_equal(s, "{\"ok\":true,\"result\":\"line\\nbreak\"}\n");
	free(s);
}

static void
test_encode_error(void **state)
{
	struct ctl_request req = {.id = 1, .has_id = true};
	struct ctl_error err;
	char *s;

	(void)state;
	ctl_error_set(&err, ENOENT, "unknown command '%s'", "x");
	s = ctl_proto_error(&req, &err);
	assert_string_equal(s, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
			       "\"message\":\"unknown command 'x'\"}}\n");
	free(s);
	/* no code: EIO; a message that is not UTF-8 is made safe */
	memset(&err, 0, sizeof(err));
	snprintf(err.message, sizeof(err.message), "bad \xff byte\n");
	s = ctl_proto_error(NULL, &err);
	assert_string_equal(s, "{\"ok\":false,\"error\":{\"code\":\"EIO\","
			       "\"message\":\"bad ? byte\\n\"}}\n");
	free(s);
}

static void
test_encode_request(void **state)
{
	struct ctl_request req;
	struct ctl_error err;
	char *s;

	(void)state;
	s = ctl_proto_request(1, "status", NULL);
	assert_string_equal(s, "{\"id\":1,\"cmd\":\"status\",\"args\":{}}\n");
	free(s);
	s = ctl_proto_request(-3, "wait-ready", json_pack("{si}", "timeout_ms", 500));
	assert_non_null(s);
	assert_int_equal(ctl_proto_decode(s, strlen(s) - 1, &req, &err), 0);
	assert_int_equal(req.id, -3);
	assert_string_equal(req.cmd, "wait-ready");
	assert_int_equal(json_integer_value(json_object_get(req.args, "timeout_ms")), 500);
	ctl_request_clear(&req);
	free(s);
	errno = 0;
	assert_null(ctl_proto_request(1, "Bad Cmd", json_object()));
	assert_int_equal(errno, EINVAL);
	assert_null(ctl_proto_request(1, NULL, NULL));
	assert_null(ctl_proto_request(1, "status", json_array()));
}

static void
test_error_names(void **state)
{
	static const struct {
		int num;
		const char *name;
	} names[] = {
		{EINVAL, "EINVAL"},
		{ENOENT, "ENOENT"},
		{EAGAIN, "EAGAIN"},
		{ETIMEDOUT, "ETIMEDOUT"},
		{E2BIG, "E2BIG"},
		{EBUSY, "EBUSY"},
		{ENOMEM, "ENOMEM"},
		{EPERM, "EPERM"},
		{ENOTSUP, "ENOTSUP"},
		{EEXIST, "EEXIST"},
		{ENODEV, "ENODEV"},
		{EBADMSG, "EBADMSG"},
		{-ENOENT, "ENOENT"},
		{EXDEV, "EIO"},
		{0, "EIO"},
		{12345, "EIO"},
		{ECONNREFUSED, "ECONNREFUSED"},
		{-EHOSTUNREACH, "EHOSTUNREACH"},
	};
	struct ctl_error err;
	char big[600];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ctl_error_set(&err, names[i].num, "n=%d", names[i].num);
		assert_string_equal(err.code, names[i].name);
	}
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ctl_error_set(&err, EINVAL, "%s", big);
	assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_minimal),
		cmocka_unit_test(test_decode_full),
		cmocka_unit_test(test_decode_not_terminated),
		cmocka_unit_test(test_decode_not_object),
		cmocka_unit_test(test_decode_missing_cmd),
		cmocka_unit_test(test_decode_cmd_type),
		cmocka_unit_test(test_decode_cmd_length),
		cmocka_unit_test(test_decode_cmd_chars),
		cmocka_unit_test(test_decode_args_type),
		cmocka_unit_test(test_decode_unknown_key),
		cmocka_unit_test(test_decode_id_type),
		cmocka_unit_test(test_decode_duplicates),
		cmocka_unit_test(test_decode_trailing),
		cmocka_unit_test(test_decode_bad_bytes),
		cmocka_unit_test(test_decode_deep_nesting),
		cmocka_unit_test(test_decode_numbers),
		cmocka_unit_test(test_decode_oversize),
		cmocka_unit_test(test_id_echo),
		cmocka_unit_test(test_encode_ok),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_encode_request),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

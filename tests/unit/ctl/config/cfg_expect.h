/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_expect.h - what the config loader's cmocka tests share: the config
 * under test (allocated by the includer's setup) and loading text into it
 * with or without an expected "t.conf:LINE: message" error. Include after
 * cmocka.h, once per test program.
 */
#ifndef MESHGW_TEST_CFG_EXPECT_H
#define MESHGW_TEST_CFG_EXPECT_H

#include <errno.h>
#include <string.h>

#include "ctl_config.h"

static struct ctl_config *cfg;

static int
load(const char *text, char *err, size_t errlen)
{
	return ctl_config_load_string(text, "t.conf", cfg, err, errlen);
}

static void
expect_ok(const char *text)
{
	char err[512];
	int rc = load(text, err, sizeof(err));

	if (rc != 0)
		print_error("config:\n%.2000s\nunexpected error: %s\n", text, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
}

static void
expect_err(const char *text, const char *want)
{
	char err[512];
	int rc = load(text, err, sizeof(err));

	if (rc != -EINVAL || strcmp(err, want) != 0)
		print_error("config:\n%.2000s\nwant: %s\ngot:  %d %s\n", text, want, rc, err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, want);
}

#endif /* MESHGW_TEST_CFG_EXPECT_H */

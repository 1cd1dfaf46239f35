/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_health_parse.c - the pure pieces of active health checks
 * (gw_health_parse.c and the inlines of gw_health.h): the status-line
 * parser on every prefix of good and hostile input, each placed against an
 * unreadable guard page so any over-read crashes; expected statuses;
 * which worker owns an endpoint; the panic threshold; the event-ring
 * encoding; reason names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_config.h"
#include "gw_health.h"

static uint8_t *page; /* two pages: the second is PROT_NONE */
static size_t page_size;

/* Parses len bytes of s placed right before the guard page. */
static int
parse_at_guard(const char *s, size_t len, uint16_t *status)
{
	uint8_t *p = page + page_size - len;

	memcpy(p, s, len);
	return gw_health_parse_status(p, len, status);
}

static int
parse(const char *s, uint16_t *status)
{
	return parse_at_guard(s, strlen(s), status);
}

static void
test_good(void **state)
{
	static const struct {
		const char *text;
		uint16_t status;
	} good[] = {
		{"HTTP/1.1 200 OK\r\n", 200},	{"HTTP/1.0 204 No Content\r\n", 204},
		{"HTTP/1.1 503\r\n", 503},  /* no reason phrase, no SP */
		{"HTTP/1.1 404 \r\n", 404}, /* empty reason phrase */
		{"HTTP/1.1 301\n", 301},    /* bare LF */
		{"HTTP/1.1 100 Continue", 100}, {"HTTP/1.1 599 x", 599},
		{"HTTP/1.9 200 OK", 200},
	};
	uint16_t st;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *t = good[i].text;
		st = 0;
		assert_int_equal(parse(t, &st), GW_HC_STATUS_MIN);
		assert_int_equal(st, good[i].status);
		/* every shorter prefix is "more, please", and reads nothing beyond */
		for (size_t n = 0; n < GW_HC_STATUS_MIN; n++)
			assert_int_equal(parse_at_guard(t, n, &st), -EAGAIN);
	}
	/* the minimum exactly, at the guard */
	assert_int_equal(parse_at_guard("HTTP/1.1 200 ", GW_HC_STATUS_MIN, &st), GW_HC_STATUS_MIN);
	assert_int_equal(st, 200);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n",	   "HTTP/1.1 2000 OK\r\n",
		"HTTP/1.1 20 OK\r\n",	   "HTTP/1.1 099 x\r\n",
		"HTTP/1.1 600 x\r\n",	   "HTTP/1.1 000 x\r\n",
		"http/1.1 200 OK\r\n",	   "HTTP/1.1  200 OK\r\n",
		"HTTP/1.1\t200 OK\r\n",	   "HTTP/1.x 200 OK\r\n",
		"HTTP/1.1 2a0 OK\r\n",	   "HTTP/1.1 200\tOK\r\n",
		"HTTP/1.1 200OK\r\n",	   " HTTP/1.1 200 OK\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"HTTP/1.1 200\0OK",
	};
	uint16_t st = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);
		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			len = 16; /* the NUL inside is data */
		if (parse_at_guard(bad[i], len, &st) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
	/* refused as soon as the first wrong byte is in */
	assert_int_equal(parse_at_guard("X", 1, &st), -EBADMSG);
	assert_int_equal(parse_at_guard("HTTP/1.1 6", 10, &st), -EBADMSG);
	assert_int_equal(parse_at_guard("HTTP/1.1 20x", 12, &st), -EBADMSG);
	assert_int_equal(st, 0); /* untouched on failure */
}

/* Every byte value at every position: accepted only where it belongs. */
static void
test_every_byte(void **state)
{
	const char *good = "HTTP/1.1 200 ";
	char buf[GW_HC_STATUS_MIN];
	uint16_t st;

	(void)state;
	for (size_t pos = 0; pos < GW_HC_STATUS_MIN; pos++) {
		for (unsigned int b = 0; b < 256; b++) {
			memcpy(buf, good, sizeof(buf));
			buf[pos] = (char)b;
			int rc = parse_at_guard(buf, sizeof(buf), &st);
			bool ok;
			switch (pos) {
			case 7:
			case 10:
			case 11:
				ok = b >= '0' && b <= '9';
				break;
			case 9:
				ok = b >= '1' && b <= '5';
				break;
			case 12:
				ok = b == ' ' || b == '\r' || b == '\n';
				break;
			default:
				ok = b == (unsigned char)good[pos];
			}
			assert_int_equal(rc, ok ? GW_HC_STATUS_MIN : -EBADMSG);
			if (ok && pos >= 9 && pos <= 11)
				assert_int_equal(st, (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
							     (buf[11] - '0'));
		}
	}
}

static void
test_status_ok(void **state)
{
	struct ctl_health_conf c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.statuses[0] = (struct ctl_health_range){200, 200};
	c.n_statuses = 1;
	assert_true(gw_health_status_ok(&c, 200));
	assert_false(gw_health_status_ok(&c, 201));
	assert_false(gw_health_status_ok(&c, 500));
	c.statuses[1] = (struct ctl_health_range){204, 204};
	c.statuses[2] = (struct ctl_health_range){300, 399};
	c.n_statuses = 3;
	assert_true(gw_health_status_ok(&c, 204));
	assert_false(gw_health_status_ok(&c, 203));
	assert_false(gw_health_status_ok(&c, 299));
	assert_true(gw_health_status_ok(&c, 300));
	assert_true(gw_health_status_ok(&c, 399));
	assert_false(gw_health_status_ok(&c, 400));
	c.n_statuses = 0;
	assert_false(gw_health_status_ok(&c, 200));
}

static void
test_owner(void **state)
{
	unsigned int count[4] = {0};

	(void)state;
	/* one worker owns everything */
	assert_int_equal(gw_health_owner("web", 0x0a4d0102, 8080, 1), 0);
	assert_int_equal(gw_health_owner("web", 0x0a4d0102, 8080, 0), 0);
	/* stable, and the same as the key says */
	for (uint32_t i = 0; i < 4000; i++) {
		unsigned int w = gw_health_owner("web", 0x0a4d0000 + i, 8080, 4);
		assert_int_equal(w, gw_health_owner("web", 0x0a4d0000 + i, 8080, 4));
		assert_int_equal(w, gw_health_key("web", 0x0a4d0000 + i, 8080) % 4);
		count[w]++;
	}
	/* spread: each of 4 workers within 20% of its share */
	for (unsigned int w = 0; w < 4; w++)
		assert_true(count[w] > 800 && count[w] < 1200);
	/* every part of the identity matters */
	uint64_t k = gw_health_key("web", 0x0a4d0102, 8080);
	assert_true(k != gw_health_key("web", 0x0a4d0102, 8081));
	assert_true(k != gw_health_key("web", 0x0a4d0103, 8080));
	assert_true(k != gw_health_key("web2", 0x0a4d0102, 8080));
	assert_true(k != gw_health_key("we", 0x0a4d0102, 8080));
	assert_true(gw_health_key("", 0, 0) != gw_health_key("", 0, 1));
}

static void
test_panic(void **state)
{
	(void)state;
	/* 50%: 1 of 2 healthy is not panic, 1 of 3 is */
	assert_false(gw_health_panic(2, 1, 50));
	assert_true(gw_health_panic(3, 1, 50));
	assert_false(gw_health_panic(4, 2, 50));
	assert_true(gw_health_panic(4, 1, 50));
	assert_true(gw_health_panic(4, 0, 50));
	assert_false(gw_health_panic(4, 4, 50));
	/* 0: never; 100: unless all are healthy */
	assert_false(gw_health_panic(4, 0, 0));
	assert_true(gw_health_panic(4, 3, 100));
	assert_false(gw_health_panic(4, 4, 100));
	/* an empty cluster has nothing to panic over */
	assert_false(gw_health_panic(0, 0, 50));
	/* no overflow at the extremes */
	assert_false(gw_health_panic(UINT32_MAX, UINT32_MAX, 100));
	assert_true(gw_health_panic(UINT32_MAX, UINT32_MAX - 1, 100));
	assert_false(gw_health_panic(UINT32_MAX, UINT32_MAX / 2 + 1, 50));
}

static void
test_event(void **state)
{
	static const uint32_t ids[] = {0, 1, 4095, 0x12345678, UINT32_MAX};
	uint32_t id;
	uint8_t reason;
	bool ok;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (unsigned int r = 0; r < GW_HC_REASON_MAX; r++) {
			void *ev = gw_health_event(ids[i], r == 0, (uint8_t)r);
			/* never mistaken for a pointer or an outlier request */
			assert_int_equal((uintptr_t)ev & 7u, 2u);
			assert_true(gw_health_is_event(ev, &id, &ok, &reason));
			assert_int_equal(id, ids[i]);
			assert_int_equal(ok, r == 0);
			assert_int_equal(reason, r);
		}
	}
	assert_false(gw_health_is_event(&id, &id, &ok, &reason)); /* a real pointer */
	assert_false(gw_health_is_event((void *)(uintptr_t)((5u << 1) | 1u), &id, &ok, &reason));
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(gw_health_reason_name(GW_HC_OK), "ok");
	assert_string_equal(gw_health_reason_name(GW_HC_CONNECT_REFUSED), "connect_refused");
	assert_string_equal(gw_health_reason_name(GW_HC_CONNECT_TIMEOUT), "connect_timeout");
	assert_string_equal(gw_health_reason_name(GW_HC_TIMEOUT), "timeout");
	assert_string_equal(gw_health_reason_name(GW_HC_BAD_STATUS), "bad_status");
	assert_string_equal(gw_health_reason_name(GW_HC_BAD_RESPONSE), "bad_response");
	assert_string_equal(gw_health_reason_name(GW_HC_CLOSED), "closed");
	assert_string_equal(gw_health_reason_name(GW_HC_REASON_MAX), "unknown");
	for (unsigned int r = 0; r < GW_HC_REASON_MAX; r++)
		assert_non_null(gw_health_reason_name(r));
}

static int
setup(void **state)
{
	(void)state;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	page = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (page == MAP_FAILED)
		return -1;
	return mprotect(page + page_size, page_size, PROT_NONE);
}

static int
teardown(void **state)
{
	(void)state;
	munmap(page, 2 * page_size);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	   cmocka_unit_test(test_bad),
		cmocka_unit_test(test_every_byte), cmocka_unit_test(test_status_ok),
		cmocka_unit_test(test_owner),	   cmocka_unit_test(test_panic),
		cmocka_unit_test(test_event),	   cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pp2.c - the PROXY protocol v2 header against the bytes of the
 * specification (haproxy.org proxy-protocol.txt 2.2): signature, version 2
 * PROXY, TCP over IPv4, 12 address bytes in network order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gw_proxy_pp2.h"

static void
test_ipv4_header(void **state)
{
	static const uint8_t want[GW_PP2_IPV4_LEN] = {
		0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, /* sig */
		0x21, 0x11, 0x00, 0x0C, /* v2 PROXY, TCP4, 12 bytes */
		10,   0,    0,	  2,	/* source 10.0.0.2 */
		10,   96,   0,	  10,	/* destination 10.96.0.10 */
		0xA0, 0x28,		/* source port 41000 */
		0x00, 0x50,		/* destination port 80 */
	};
	uint8_t got[GW_PP2_IPV4_LEN + 1];

	(void)state;
	got[GW_PP2_IPV4_LEN] = 0xEE;
	gw_pp2_write(got, 0x0A000002, 41000, 0x0A60000A, 80);
	assert_memory_equal(got, want, GW_PP2_IPV4_LEN);
	assert_int_equal(got[GW_PP2_IPV4_LEN], 0xEE); /* nothing written past it */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_health_status.c - libFuzzer harness for the health check's status
 * line parser (gw_health_parse_status) and expected-status matching: the
 * input is what an endpoint answered to the check's GET.
 *
 * Invariants (abort on breach): the result is GW_HC_STATUS_MIN with a
 * status in 100..599, -EAGAIN only for fewer than GW_HC_STATUS_MIN bytes,
 * or -EBADMSG; every prefix agrees with the whole (a prefix of a good line
 * needs more, a refused prefix stays refused); bytes after the first
 * GW_HC_STATUS_MIN change nothing; matching against ranges equals a plain
 * comparison.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config.h"
#include "gw_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_result(int rc, size_t len, uint16_t status)
{
	if (rc == GW_HC_STATUS_MIN) {
		if (status < 100 || status > 599)
			abort();
	} else if (rc == -EAGAIN) {
		if (len >= GW_HC_STATUS_MIN)
			abort();
	} else if (rc != -EBADMSG) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_health_conf c;
	uint16_t status = 0, st2 = 0;
	int rc = gw_health_parse_status(data, size, &status);

	check_result(rc, size, status);
	for (size_t n = 0; n < size && n <= GW_HC_STATUS_MIN; n++) {
		/* an exact-size copy: reading past n is an ASan report */
		uint8_t *p = malloc(n ? n : 1);
		if (p == NULL)
			return 0;
		memcpy(p, data, n);
		int r = gw_health_parse_status(p, n, &st2);
		free(p);
		check_result(r, n, st2);
		if (r == -EBADMSG && rc != -EBADMSG)
			abort();
		if (r == GW_HC_STATUS_MIN && (rc != r || st2 != status))
			abort();
		if (r == -EAGAIN && rc == GW_HC_STATUS_MIN && n >= GW_HC_STATUS_MIN)
			abort();
	}
	if (rc != GW_HC_STATUS_MIN)
		return 0;
	/* expected statuses: one range around the status, then one beside it */
	memset(&c, 0, sizeof(c));
	c.statuses[0] = (struct ctl_health_range){status, status};
	c.n_statuses = 1;
	if (!gw_health_status_ok(&c, status))
		abort();
	c.statuses[0] = (struct ctl_health_range){100, (uint16_t)(status - 1)};
	c.statuses[1] = (struct ctl_health_range){(uint16_t)(status + 1), 599};
	c.n_statuses = 2;
	if (gw_health_status_ok(&c, status))
		abort();
	return 0;
}

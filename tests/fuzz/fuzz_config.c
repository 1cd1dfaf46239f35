/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer harness for the config loader: the input is the
 * text of a config file. A load either succeeds with a config whose invariants
 * hold, or fails with one "fuzz.conf:LINE: message" line; anything else, a
 * crash or a sanitizer report is a bug.
 *
 * libconfig 1.5's parser leaks the string token it discards on some syntax
 * errors (`""` alone leaks one byte): a few bytes per failed load, not ours,
 * so LeakSanitizer is told to ignore allocations made inside libconfig.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_config.h"

static struct ctl_config *cfg; /* ~40 KiB: allocated once */

/* What the rest of the daemon relies on after a successful load. */
static void
check_config(const struct ctl_config *c)
{
	if (c->n_ports < 1 || c->n_ports > CTL_MAX_PORTS || c->n_routes > CTL_MAX_ROUTES)
		abort();
	if (c->workers.count < 1 || c->workers.count > CTL_MAX_WORKERS)
		abort();
	for (unsigned int i = 0; i < c->n_ports; i++) {
		const struct ctl_port_conf *p = &c->ports[i];
		unsigned int max = ctl_driver_max_mtu(p);
		if (p->name[0] == '\0' || memchr(p->name, '\0', sizeof(p->name)) == NULL)
			abort();
		if (p->n_addrs < 1 || p->n_addrs > CTL_MAX_ADDRS || p->mtu < 68 || p->mtu > 9000 ||
		    (max != 0 && p->mtu > max))
			abort();
	}
	for (unsigned int i = 0; i < c->n_routes; i++)
		if (c->routes[i].port >= c->n_ports || c->routes[i].plen > 32)
			abort();
}

/* "fuzz.conf:<digits>: <something>" */
static void
check_error(const char *err)
{
	static const char name[] = "fuzz.conf:";
	const char *p = err + sizeof(name) - 1;

	if (strncmp(err, name, sizeof(name) - 1) != 0 || *p < '1' || *p > '9')
		abort();
	while (*p >= '0' && *p <= '9')
		p++;
	if (p[0] != ':' || p[1] != ' ' || p[2] == '\0' || strchr(err, '\n') != NULL)
		abort();
}

const char *__lsan_default_suppressions(void);

/* Read by LeakSanitizer at start-up; unused without it. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text;
	int rc;

	if (cfg == NULL && (cfg = malloc(sizeof(*cfg))) == NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = ctl_config_load_string(text, "fuzz.conf", cfg, err, sizeof(err));
	if (rc == 0 && err[0] == '\0')
		check_config(cfg);
	else if (rc == -EINVAL)
		check_error(err);
	else
		abort();
	free(text);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_ports.c - the `ports` list: drivers and what each one needs,
 * interface addresses, and the optional impairment group.
 *
 * A port is parsed key by key, then checked as a whole (required and
 * inapplicable keys depend on the driver, which may come last).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_parse.h"

#define PORT(f)	  CFG_AT(struct ctl_port_conf, f)
#define IMPAIR(f) CFG_AT(struct ctl_impair_dir, f)

static const char *const driver_words[] = {"af_packet", "af_xdp", "tap", "pcap", "pci", NULL};

const char *
ctl_driver_name(enum ctl_driver d)
{
	if ((unsigned int)d >= sizeof(driver_words) / sizeof(driver_words[0]) - 1)
		return "unknown";
	return driver_words[d];
}

unsigned int
ctl_driver_max_mtu(const struct ctl_port_conf *p)
{
	switch (p->driver) {
	case CTL_DRV_AF_PACKET:
		return 1500; /* one 2 KiB ring frame per packet */
	case CTL_DRV_AF_XDP:
		return 3498; /* one 4 KiB umem frame minus headroom */
	case CTL_DRV_TAP:
	case CTL_DRV_PCAP:
		return 9000;
	case CTL_DRV_PCI:
	default:
		return 0;
	}
}

void
cfg_port_defaults(struct ctl_port_conf *p)
{
	memset(p, 0, sizeof(*p));
	p->driver = CTL_DRV_AF_PACKET;
	p->framecnt = 4096;
	p->mtu = 1500;
	p->impair.seed = 1;
	for (int i = 0; i < 2; i++) {
		struct ctl_impair_dir *d = i ? &p->impair.tx : &p->impair.rx;
		d->reorder_depth = 3;
		d->reorder_time_us = 1000;
		d->queue_max = 4096;
	}
}

static int
port_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) >= CTL_NAME_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
		return cfg_fail(ps, s,
				"'%s' expected 1 to %d characters from a-z, 0-9, '_' and '-'",
				kw->name, CTL_NAME_MAX - 1);
	cfg_copy(obj, kw, v);
	return 0;
}

/* The kernel's dev_valid_name(): 1..15 characters, not . or .., no '/', ':'
 * or white space. */
static int
iface(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) > 15 || strcmp(v, ".") == 0 ||
	    strcmp(v, "..") == 0 || strpbrk(v, "/: \t\n\r\f\v") != NULL)
		return cfg_fail(ps, s,
				"'%s' expected an interface name of 1 to 15 characters without "
				"'/', ':' or spaces",
				kw->name);
	cfg_copy(obj, kw, v);
	return 0;
}

static bool
hex_digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

/* DDDD:BB:DD.F: domain, bus, device (0..1f), function (0..7). */
static int
pci_addr(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || strlen(v) != 12 || !hex_digits(v, 4) || v[4] != ':' ||
	    !hex_digits(v + 5, 2) || v[7] != ':' || !hex_digits(v + 8, 2) || v[10] != '.' ||
	    v[11] < '0' || v[11] > '7' || v[8] > '1')
		return cfg_fail(ps, s, "'%s' expected a PCI address such as \"0000:03:00.0\"",
				kw->name);
	cfg_copy(obj, kw, v);
	return 0;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "xx:xx:xx:xx:xx:xx", unicast and not all zeros. */
static int
mac(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_port_conf *p = obj;
	const char *v = config_setting_get_string(s);
	uint8_t m[6];
	bool ok = v != NULL && strlen(v) == 17;

	for (size_t i = 0; ok && i < 6; i++) {
		int hi = hex_val(v[3 * i]), lo = hex_val(v[3 * i + 1]);
		ok = hi >= 0 && lo >= 0 && (i == 5 || v[3 * i + 2] == ':');
		m[i] = ok ? (uint8_t)(hi << 4 | lo) : 0;
	}
	if (!ok)
		return cfg_fail(ps, s, "'%s' expected a MAC address such as \"02:00:00:00:00:01\"",
				kw->name);
	if ((m[0] & 1) || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return cfg_fail(ps, s, "'%s' %s is not a unicast MAC address", kw->name, v);
	memcpy(p->mac, m, sizeof(p->mac));
	p->has_mac = true;
	return 0;
}

/* Who already holds address a: a port's name, "this port", or NULL. */
static const char *
address_owner(const struct cfg_parse *ps, const struct ctl_port_conf *p, uint32_t a)
{
	for (unsigned int i = 0; i < ps->c->n_ports; i++)
		for (unsigned int j = 0; j < ps->c->ports[i].n_addrs; j++)
			if (ps->c->ports[i].addrs[j] == a)
				return ps->c->ports[i].name;
	for (unsigned int j = 0; j < p->n_addrs; j++)
		if (p->addrs[j] == a)
			return "";
	return NULL;
}

static int
one_address(struct cfg_parse *ps, const config_setting_t *e, struct ctl_port_conf *p)
{
	const char *v = config_setting_get_string(e);
	uint32_t a, host;
	uint8_t plen;
	char buf[16];

	if (v == NULL || cfg_parse_prefix(v, &a, &plen) < 0 || plen == 0)
		return cfg_fail(ps, e,
				"'address' expected an IPv4 address with prefix length such as "
				"\"10.10.0.1/24\"");
	host = a & ~cfg_mask(plen);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 24) >= 224)
		return cfg_fail(ps, e, "'address' %s is not a unicast host address", v);
	if (plen <= 30 && host == 0)
		return cfg_fail(ps, e, "'address' %s is the network address of its subnet", v);
	if (plen <= 30 && host == ~cfg_mask(plen))
		return cfg_fail(ps, e, "'address' %s is the broadcast address of its subnet", v);
	const char *owner = address_owner(ps, p, a);
	if (owner != NULL)
		return cfg_fail(ps, e, "'address' %s is already used by %s%s%s",
				cfg_fmt_ipv4(a, buf, sizeof(buf)), *owner ? "port '" : "this port",
				owner, *owner ? "'" : "");
	p->addrs[p->n_addrs] = a;
	p->plens[p->n_addrs] = plen;
	p->n_addrs++;
	return 0;
}

/* One string, or a list of 1..CTL_MAX_ADDRS strings. */
static int
addresses(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_port_conf *p = obj;
	int n = config_setting_length(s);

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return one_address(ps, s, p);
	if ((!config_setting_is_array(s) && !config_setting_is_list(s)) || n < 1 ||
	    n > CTL_MAX_ADDRS)
		return cfg_fail(ps, s, "'%s' expected an address or a list of 1 to %d addresses",
				kw->name, CTL_MAX_ADDRS);
	for (int i = 0; i < n; i++) {
		int rc = one_address(ps, config_setting_get_elem(s, (unsigned int)i), p);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
impair_seed(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return cfg_fail(ps, s, "'%s' expected an integer", kw->name);
	/* a negative seed is just another bit pattern */
	((struct ctl_impair_conf *)obj)->seed = (uint64_t)config_setting_get_int64(s);
	return 0;
}

static const struct cfg_kw impair_dir_kws[] = {
	{"drop", cfg_prob, IMPAIR(drop)},
	{"duplicate", cfg_prob, IMPAIR(dup)},
	{"reorder", cfg_prob, IMPAIR(reorder)},
	{"reorder_depth", cfg_uint, IMPAIR(reorder_depth), .min = 1, .max = 1024},
	{"reorder_time", cfg_duration, IMPAIR(reorder_time_us), .min = 1, .max = 10000000},
	{"delay", cfg_duration, IMPAIR(delay_us), .min = 0, .max = 10000000},
	{"queue_max", cfg_uint, IMPAIR(queue_max), .min = 1, .max = 1048576},
	{NULL},
};

static const struct cfg_kw impair_kws[] = {
	{"seed", impair_seed},
	{"rx", cfg_group, CFG_AT(struct ctl_impair_conf, rx), .arg = impair_dir_kws},
	{"tx", cfg_group, CFG_AT(struct ctl_impair_conf, tx), .arg = impair_dir_kws},
	{NULL},
};

static int
impair(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_impair_conf *im = &((struct ctl_port_conf *)obj)->impair;
	int rc = cfg_need_group(ps, s, kw->name);

	if (rc == 0)
		rc = cfg_walk(ps, s, impair_kws, im);
	im->enabled = rc == 0;
	return rc;
}

static const struct cfg_kw port_kws[] = {
	{"name", port_name, PORT(name)},
	{"driver", cfg_choice, PORT(driver), .arg = driver_words},
	{"iface", iface, PORT(iface)},
	{"pci", pci_addr, PORT(pci)},
	{"devargs", cfg_str, PORT(devargs), .min = 0, .max = CTL_ARG_MAX - 1},
	{"framecnt", cfg_pow2, PORT(framecnt), .min = 64, .max = 65536},
	{"mtu", cfg_uint, PORT(mtu), .min = 68, .max = 9000},
	{"mac", mac},
	{"address", addresses},
	{"impair", impair},
	{NULL},
};

static bool
pcap_devargs(const char *d)
{
	static const char *const keys[] = {
		"rx_pcap=", "tx_pcap=", "rx_iface=", "tx_iface=", "iface="};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strstr(d, keys[i]) != NULL)
			return true;
	return false;
}

/* What the driver requires: a kernel interface, a PCI address or pcap files. */
static int
port_needs(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_port_conf *p)
{
	const char *drv = ctl_driver_name(p->driver);

	switch (p->driver) {
	case CTL_DRV_AF_PACKET:
	case CTL_DRV_AF_XDP:
	case CTL_DRV_TAP:
		if (p->iface[0] == '\0')
			return cfg_fail(ps, s, "'iface' is required for driver \"%s\"", drv);
		break;
	case CTL_DRV_PCI:
		if (p->pci[0] == '\0')
			return cfg_fail(ps, s, "'pci' is required for driver \"%s\"", drv);
		break;
	case CTL_DRV_PCAP:
		if (!pcap_devargs(p->devargs))
			return cfg_fail(ps, s,
					"'devargs' with rx_pcap=FILE and/or tx_pcap=FILE is "
					"required for driver \"%s\"",
					drv);
		break;
	}
	return 0;
}

/* Keys the driver would silently ignore are mistakes. */
static int
port_extras(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_port_conf *p)
{
	const char *drv = ctl_driver_name(p->driver);
	const config_setting_t *m;
	bool kernel = p->driver == CTL_DRV_AF_PACKET || p->driver == CTL_DRV_AF_XDP ||
		      p->driver == CTL_DRV_TAP;

	if (!kernel && (m = config_setting_get_member(s, "iface")) != NULL)
		return cfg_fail(ps, m, "'iface' is not used by driver \"%s\"", drv);
	if (p->driver != CTL_DRV_PCI && (m = config_setting_get_member(s, "pci")) != NULL)
		return cfg_fail(ps, m, "'pci' is not used by driver \"%s\"", drv);
	if (p->driver != CTL_DRV_AF_PACKET && (m = config_setting_get_member(s, "framecnt")))
		return cfg_fail(ps, m, "'framecnt' applies only to driver \"af_packet\"");
	return 0;
}

static int
port_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_port_conf *p)
{
	unsigned int max = ctl_driver_max_mtu(p);
	int rc;

	if (p->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a port");
	for (unsigned int i = 0; i < ps->c->n_ports; i++)
		if (strcmp(ps->c->ports[i].name, p->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate port name '%s' (first at line %d)", p->name,
					ps->c->ports[i].line);
	if ((rc = port_needs(ps, s, p)) < 0 || (rc = port_extras(ps, s, p)) < 0)
		return rc;
	if (max != 0 && p->mtu > max)
		return cfg_fail(ps, config_setting_get_member(s, "mtu"),
				"'mtu' %u is more than %s can carry (%u)", (unsigned int)p->mtu,
				ctl_driver_name(p->driver), max);
	if (p->n_addrs == 0)
		return cfg_fail(ps, s, "'address' is required for port '%s'", p->name);
	return 0;
}

int
cfg_sec_ports(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_config *c = obj;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n < 1 || n > CTL_MAX_PORTS)
		return cfg_fail(ps, s, "'%s' expected 1 to %d ports", kw->name, CTL_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ctl_port_conf *p = &c->ports[i];
		cfg_port_defaults(p);
		p->line = config_setting_source_line(e);
		if ((rc = cfg_walk(ps, e, port_kws, p)) < 0 || (rc = port_check(ps, e, p)) < 0)
			return rc;
		c->n_ports++;
	}
	return 0;
}

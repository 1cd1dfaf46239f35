/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_port.c - port configuration (see gw_port.h).
 */
#include "gw_port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "gw_eal.h"

/* RSS only helps when the device can spread TCP/UDP by 4-tuple. */
static bool
setup_rss(struct rte_eth_conf *ec, const struct rte_eth_dev_info *di, unsigned int nq)
{
	uint64_t want = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP;

	if (nq < 2 || (di->flow_type_rss_offloads & want) != want ||
	    di->hash_key_size != sizeof(stk_rss_key))
		return false;
	ec->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ec->rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)stk_rss_key;
	ec->rx_adv_conf.rss_conf.rss_key_len = sizeof(stk_rss_key);
	ec->rx_adv_conf.rss_conf.rss_hf = want;
	return true;
}

/* Round-robin RETA so queue == stk_flow_owner(hash, nq). */
static int
setup_reta(uint16_t port, const struct rte_eth_dev_info *di, unsigned int nq)
{
	struct rte_eth_rss_reta_entry64 reta[STK_RETA_SIZE / RTE_ETH_RETA_GROUP_SIZE];

	if (di->reta_size != STK_RETA_SIZE)
		return -ENOTSUP;
	memset(reta, 0, sizeof(reta));
	for (unsigned int i = 0; i < STK_RETA_SIZE; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % nq;
	}
	return rte_eth_dev_rss_reta_update(port, reta, STK_RETA_SIZE);
}

static int
configure(const struct ctl_config *conf, const struct ctl_port_conf *pc, struct gw_port *p,
	  char *err, size_t errlen)
{
	struct rte_eth_conf ec = {0};
	struct rte_eth_dev_info di;
	unsigned int nq = conf->workers.count;
	int rc = rte_eth_dev_info_get(p->port_id, &di);

	if (rc != 0)
		goto fail;
	if (pc->mtu > di.max_mtu || pc->mtu < di.min_mtu) {
		snprintf(err, errlen, "port '%s': mtu %u outside what %s carries (%u..%u)",
			 pc->name, pc->mtu, p->devname, di.min_mtu, di.max_mtu);
		return -EINVAL;
	}
	if (di.max_rx_queues < nq || di.max_tx_queues < nq) {
		snprintf(err, errlen, "port '%s': %u workers need %u queues, device has %u/%u",
			 pc->name, nq, nq, di.max_rx_queues, di.max_tx_queues);
		return -EINVAL;
	}
	ec.rxmode.mtu = pc->mtu;
	p->info.rx_ip_cksum = di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	p->info.tx_ip_cksum = di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (p->info.rx_ip_cksum)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (p->info.tx_ip_cksum)
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	p->info.rx_l4_cksum = di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	if (p->info.rx_l4_cksum)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	p->rss = setup_rss(&ec, &di, nq);
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &ec);
	if (rc != 0)
		goto fail;
	if (p->rss && setup_reta(p->port_id, &di, nq) != 0)
		p->rss = false; /* the software redirect path covers it */
	return 0;
fail:
	snprintf(err, errlen, "port '%s': configure failed: %s", pc->name, rte_strerror(-rc));
	return rc;
}

static int
setup_queues(const struct ctl_config *conf, struct gw_port *p, char *err, size_t errlen)
{
	struct rte_mempool *pool = gw_eal_pool(conf, p->socket);
	uint16_t nrx = conf->workers.rx_desc, ntx = conf->workers.tx_desc;
	int rc;

	if (pool == NULL) {
		snprintf(err, errlen, "port '%s': mbuf pool: %s", p->name, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx);
	for (uint16_t q = 0; rc == 0 && q < conf->workers.count; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrx, p->socket, NULL, pool);
		rc = rc ?: rte_eth_tx_queue_setup(p->port_id, q, ntx, p->socket, NULL);
	}
	if (rc != 0)
		snprintf(err, errlen, "port '%s': queue setup failed: %s", p->name,
			 rte_strerror(-rc));
	return rc;
}

static int
set_mac(const struct ctl_port_conf *pc, struct gw_port *p, char *err, size_t errlen)
{
	struct rte_ether_addr mac;
	int rc;

	if (pc->has_mac) {
		memcpy(mac.addr_bytes, pc->mac, RTE_ETHER_ADDR_LEN);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &mac);
		if (rc != 0) {
			snprintf(err, errlen, "port '%s': cannot set mac: %s", pc->name,
				 rte_strerror(-rc));
			return rc;
		}
	}
	return rte_eth_macaddr_get(p->port_id, &p->info.mac);
}

int
gw_port_setup(const struct ctl_config *conf, unsigned int idx, struct gw_port *p, char *err,
	      size_t errlen)
{
	const struct ctl_port_conf *pc = &conf->ports[idx];
	int rc;

	char devname[sizeof(p->devname)];

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	gw_eal_port_devname(conf, idx, devname, sizeof(devname));
	if (rte_eth_dev_get_port_by_name(devname, &p->port_id) != 0) {
		snprintf(err, errlen, "port '%s': device %s not found (driver loaded? iface up?)",
			 pc->name, devname);
		return -ENODEV;
	}
	/* devname set means "found": only such ports are closed */
	snprintf(p->devname, sizeof(p->devname), "%s", devname);
	p->socket = rte_eth_dev_socket_id(p->port_id);
	if (p->socket < 0)
		p->socket = 0;
	rc = configure(conf, pc, p, err, errlen);
	rc = rc ?: setup_queues(conf, p, err, errlen);
	rc = rc ?: set_mac(pc, p, err, errlen);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_set_mtu(p->port_id, pc->mtu);
	if (rc != 0 && rc != -ENOTSUP) {
		snprintf(err, errlen, "port '%s': set mtu %u: %s", pc->name, pc->mtu,
			 rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port '%s': start: %s", pc->name, rte_strerror(-rc));
		return rc;
	}
	p->started = true;
	p->info.port_id = p->port_id;
	p->info.mtu = pc->mtu;
	for (unsigned int a = 0; a < pc->n_addrs && a < STK_MAX_ADDRS; a++) {
		p->info.addrs[a] = pc->addrs[a];
		p->info.plens[a] = pc->plens[a];
		p->info.n_addrs++;
	}
	return 0;
}

void
gw_port_close(struct gw_port *p)
{
	if (p->started) {
		rte_eth_dev_stop(p->port_id);
		p->started = false;
	}
	rte_eth_dev_close(p->port_id);
}

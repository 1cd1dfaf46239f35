/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_epfile.h - the endpoints file (README "Discovery: the endpoints file"):
 * JSON naming endpoints per cluster, parsed into one heap object.
 *
 *   {"version": 1, "clusters": {"api": [{"address": "10.0.0.5", "port": 8080,
 *     "weight": 1, "zone": "z1", "node": "n1", "identity": "spiffe://td/x"}]}}
 *
 * The result does not depend on the config: clusters the config does not
 * know are kept (the caller reports them). Links jansson only, no DPDK, no
 * config loader: the fuzzer and the etcd source use it on their own. Any
 * thread; reentrant.
 */
#ifndef MESHGW_CTL_EPFILE_H
#define MESHGW_CTL_EPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl_config.h"

#define CTL_EPFILE_MAX_BYTES (4u << 20) /* larger files are refused */
#define CTL_EPFILE_ERR_MAX   512	/* enough for any message below */

/* One cluster's endpoints: eps[0 .. n_eps) in file order (n_eps may be 0:
 * the file says the cluster has no endpoints). */
struct ctl_epfile_cluster {
	char name[CTL_NAME_MAX];
	const struct ctl_endpoint_conf *eps; /* into ctl_epfile.eps */
	unsigned int n_eps;
};

/* One allocation: free with ctl_epfile_free(). Clusters in file order, each
 * name once; every endpoint has source CTL_EP_SRC_FILE and line 0. */
struct ctl_epfile {
	bool absent;   /* the file did not exist: no clusters */
	uint64_t hash; /* FNV-1a of the file's bytes (0 when absent) */
	size_t bytes;  /* the file's size */
	unsigned int n_clusters;
	unsigned int n_eps; /* over every cluster, <= CTL_MAX_ENDPOINTS */
	struct ctl_epfile_cluster *clusters;
	struct ctl_endpoint_conf *eps;
};

/* Reads and parses path. A missing file is not an error: *out is an empty
 * result with absent set. On success *out is a new object (caller frees);
 * on failure *out is NULL and err holds one line:
 *   "FILE:LINE:COL: <jansson's message>"        (not JSON)
 *   "FILE: clusters.api[3].port: expected an integer 1..65535"
 * Returns 0, -EINVAL (bad content), -EFBIG, -ENOMEM, or -errno of open/read. */
int ctl_epfile_load(const char *path, struct ctl_epfile **out, char *err, size_t errlen);

/* Same for bytes in memory (need not be NUL-terminated); name stands for the
 * file in messages. Never sets absent. */
int ctl_epfile_parse(const char *buf, size_t len, const char *name, struct ctl_epfile **out,
		     char *err, size_t errlen);

/* Accepts NULL. */
void ctl_epfile_free(struct ctl_epfile *f);

/* One endpoint object (the value etcd discovery stores per endpoint) into
 * *ep: address, port required; weight 1..10000 (default 1); zone, node,
 * identity optional; any other key refused. where names the object in
 * messages ("clusters.api[3]"); err gets "<where>.<key>: <what was expected>".
 * ep is fully overwritten (source as given, line 0). 0 or -EINVAL. */
int ctl_ep_decode(json_t *obj, const char *where, enum ctl_ep_source source,
		  struct ctl_endpoint_conf *ep, char *err, size_t errlen);

/* The shape of a SPIFFE ID: "spiffe://" + trust domain ([a-z0-9._-]+) +
 * a path of one or more "/segment" ([A-Za-z0-9._-]+, not "." or ".."),
 * shorter than CTL_IDENTITY_MAX. */
bool ctl_spiffe_id_valid(const char *id);

#endif /* MESHGW_CTL_EPFILE_H */

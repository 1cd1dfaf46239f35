/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_epfile.c - libFuzzer harness for the endpoints file parser. Either a
 * result or a one-line message naming the file; a result keeps its limits
 * and every endpoint is valid as the schema says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_epfile.h"

static void
check(const struct ctl_epfile *f)
{
	unsigned int n = 0;

	if (f->absent || f->n_eps > CTL_MAX_ENDPOINTS || f->n_clusters > CTL_MAX_CLUSTERS)
		abort();
	for (unsigned int c = 0; c < f->n_clusters; c++) {
		const struct ctl_epfile_cluster *cl = &f->clusters[c];
		if (cl->eps != &f->eps[n] || cl->n_eps > CTL_MAX_CLUSTER_EPS || cl->name[0] == '\0')
			abort();
		for (unsigned int i = 0; i < cl->n_eps; i++) {
			const struct ctl_endpoint_conf *e = &cl->eps[i];
			if (e->port == 0 || e->weight < 1 || e->weight > 10000 ||
			    e->source != CTL_EP_SRC_FILE ||
			    (e->identity[0] != '\0' && !ctl_spiffe_id_valid(e->identity)))
				abort();
		}
		n += cl->n_eps;
	}
	if (n != f->n_eps)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CTL_EPFILE_ERR_MAX];
	struct ctl_epfile *f = NULL;
	int rc = ctl_epfile_parse((const char *)data, size, "f.json", &f, err, sizeof(err));

	if (rc == 0) {
		check(f);
	} else if (f != NULL || strncmp(err, "f.json", 6) != 0 || strchr(err, '\n') != NULL) {
		abort();
	}
	ctl_epfile_free(f);
	return 0;
}

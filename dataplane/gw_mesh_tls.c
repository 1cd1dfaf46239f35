/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_mesh_tls.c - TLS in a snapshot's mesh: for each `tls.ingress` of the
 * config, one server context per certificate per worker (a worker never
 * shares an SSL_CTX), and the SNI choice among them; for each cluster with
 * a `tls` group, one client context per worker (egress). Built and freed
 * on the control thread; a connection keeps its context alive on its own
 * (gw_tls), and its mesh, which holds the names the SNI choice reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gw_log.h"
#include "gw_mesh.h"
#include "gw_tls.h"

/* One ingress for one worker. */
struct gw_tls_in {
	const struct ctl_tls_ingress_conf *conf; /* the snapshot's config */
	struct gw_tls_ctx *ctx[CTL_TLS_MAX_CERTS];
};

static bool
name_matches(const char *pattern, const char *name)
{
	const char *dot;

	if (pattern[0] != '*')
		return strcasecmp(pattern, name) == 0;
	dot = strchr(name, '.'); /* "*.example.com": exactly one label more */
	return dot != NULL && dot != name && strcasecmp(pattern + 1, dot) == 0;
}

/* SNI: the first certificate naming it, else the default (the first). */
static struct gw_tls_ctx *
sni_pick(void *arg, const char *name)
{
	const struct gw_tls_in *in = arg;

	for (unsigned int c = 0; c < in->conf->n_certs; c++)
		for (unsigned int k = 0; k < in->conf->certs[c].n_names; k++)
			if (name_matches(in->conf->certs[c].names[k], name))
				return in->ctx[c];
	return NULL;
}

/* The certificates of a PEM file: the first is the leaf, the rest its chain. */
static STACK_OF(X509) * read_certs(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	if (f == NULL || sk == NULL) {
		snprintf(err, errlen, "%s: %s", path, f ? "no memory" : strerror(errno));
		goto fail;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	fclose(f);
	if (sk_X509_num(sk) > 0)
		return sk;
	snprintf(err, errlen, "%s: no certificate", path);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
fail:
	if (f != NULL)
		fclose(f);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

static EVP_PKEY *
read_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	if (k == NULL)
		snprintf(err, errlen, "%s: no private key", path);
	return k;
}

/* Every worker's context for certificate c of ingress ic. */
static int
build_cert(struct gw_mesh *m, unsigned int i, const struct ctl_tls_ingress_conf *ic, unsigned int c,
	   STACK_OF(X509) * trust, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = read_certs(ic->certs[c].cert, err, errlen);
	EVP_PKEY *key = certs ? read_key(ic->certs[c].key, err, errlen) : NULL;
	int rc = certs && key ? 0 : -EINVAL;

	for (unsigned int w = 0; rc == 0 && w < m->n_workers; w++) {
		struct gw_tls_in *in = &m->tls_in[i * m->n_workers + w];
		STACK_OF(X509) *chain = sk_X509_dup(certs);
		X509 *leaf = chain ? sk_X509_shift(chain) : NULL;
		struct gw_tls_ctx_conf tc = {
			.server = true,
			.cert = leaf,
			.chain = chain,
			.key = key,
			.trust = trust,
			.require_peer_cert = trust != NULL,
			.min_version = ic->min_version,
			.max_version = TLS1_3_VERSION,
			.session_context = "meshgw-ingress",
			.sni = sni_pick,
			.sni_arg = in,
		};

		in->conf = ic;
		in->ctx[c] = leaf ? gw_tls_ctx_new(&tc, err, errlen) : NULL;
		sk_X509_free(chain); /* the context took its own references */
		if (in->ctx[c] == NULL)
			rc = -EINVAL;
	}
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	return rc;
}

/* Egress: every worker's client context of cluster slot c (verifying the
 * endpoints' chains against its ca). */
static int
build_egress(struct gw_mesh *m, struct gw_cluster *gc, char *err, size_t errlen)
{
	const struct ctl_cluster_tls_conf *t = &gc->conf.tls;
	STACK_OF(X509) *trust = read_certs(t->ca, err, errlen);
	int rc = trust ? 0 : -EINVAL;

	gc->tls = calloc(m->n_workers, sizeof(*gc->tls));
	if (gc->tls == NULL)
		rc = -ENOMEM;
	for (unsigned int w = 0; rc == 0 && w < m->n_workers; w++) {
		struct gw_tls_ctx_conf tc = {
			.server = false,
			.trust = trust,
			.min_version = TLS1_2_VERSION,
			.max_version = TLS1_3_VERSION,
		};

		gc->tls[w] = gw_tls_ctx_new(&tc, err, errlen);
		if (gc->tls[w] == NULL)
			rc = -EINVAL;
	}
	sk_X509_pop_free(trust, X509_free);
	if (rc != 0)
		GW_LOG(ERROR, "cluster %s: tls: %s", gc->conf.name, err);
	return rc;
}

int
gw_mesh_tls_build(struct gw_mesh *m, const struct ctl_config *conf)
{
	const struct ctl_tls_conf *t = conf->tls;
	char err[256] = "";
	int rc = 0;

	for (unsigned int c = 0; c < m->n_clusters; c++)
		if (gw_mesh_has_cluster(m, c) && m->clusters[c].conf.tls.enabled &&
		    (rc = build_egress(m, &m->clusters[c], err, sizeof(err))) != 0)
			return rc;
	if (t == NULL || t->n_ingress == 0)
		return 0;
	m->tls_in = calloc((size_t)t->n_ingress * m->n_workers, sizeof(*m->tls_in));
	if (m->tls_in == NULL)
		return -ENOMEM;
	m->n_tls_in = t->n_ingress;
	for (unsigned int i = 0; rc == 0 && i < t->n_ingress; i++) {
		const struct ctl_tls_ingress_conf *ic = &t->ingress[i];
		STACK_OF(X509) *trust = NULL;

		if (ic->client_ca[0] != '\0' &&
		    (trust = read_certs(ic->client_ca, err, sizeof(err))) == NULL)
			rc = -EINVAL;
		for (unsigned int c = 0; rc == 0 && c < ic->n_certs; c++)
			rc = build_cert(m, i, ic, c, trust, err, sizeof(err));
		sk_X509_pop_free(trust, X509_free);
		if (rc != 0)
			GW_LOG(ERROR, "tls ingress %s: %s", ic->name, err);
	}
	return rc;
}

void
gw_mesh_tls_free(struct gw_mesh *m)
{
	for (unsigned int c = 0; m->clusters != NULL && c < m->n_clusters; c++) {
		struct gw_cluster *gc = &m->clusters[c];

		for (unsigned int w = 0; gc->tls != NULL && w < m->n_workers; w++)
			gw_tls_ctx_free(gc->tls[w]);
		free(gc->tls);
		gc->tls = NULL;
	}
	for (unsigned int i = 0; m->tls_in != NULL && i < m->n_tls_in * m->n_workers; i++)
		for (unsigned int c = 0; c < CTL_TLS_MAX_CERTS; c++)
			gw_tls_ctx_free(m->tls_in[i].ctx[c]);
	free(m->tls_in);
	m->tls_in = NULL;
}

struct gw_tls_ctx *
gw_mesh_tls_ctx(const struct gw_mesh *m, unsigned int tls, unsigned int worker)
{
	return m->tls_in[(tls - 1) * m->n_workers + worker].ctx[0];
}

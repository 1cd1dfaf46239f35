/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_certs.c - the daemon's workload certificates: one per declared local
 * workload and one for the gateway itself (ns "meshgw", sa the node name),
 * issued by the built-in CA (ctl_ca.h). Key generation runs on a helper
 * thread, one batch at a time: at start, when a certificate reaches half
 * its life, and on `certs rotate`. A failed renewal keeps the valid
 * certificate, raises the alarm counter and retries later.
 *
 * Not yet: the certificates do not reach the workers (there is no mTLS
 * tunnel to present them on); `certs` and /metrics show them.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>

#include "ctl_ca.h"
#include "ctl_daemon.h"
#include "gw_log.h"

#define MAX_CERTS (CTL_MAX_WORKLOADS + 1)

struct slot {
	char ns[CTL_ID_SEGMENT_MAX], sa[CTL_ID_SEGMENT_MAX];
	uint32_t ip;
	struct ctl_cert *cert; /* in force; NULL before the first issue */
	time_t retry_at;       /* after a failure: not before */
	uint64_t renewals, failures;
};

struct batch {
	pthread_t th;
	int done;
	struct ctl_ca *ca; /* a reference for the thread */
	uint64_t lifetime_us;
	unsigned int n, idx[MAX_CERTS];
	struct slot *slots; /* read only: the names */
	struct ctl_cert *out[MAX_CERTS];
	char err[256];
};

struct ctl_certs {
	struct slot s[MAX_CERTS];
	unsigned int n;
	uint64_t lifetime_us;
	struct batch *b; /* in flight */
	bool rotate;	 /* renew every certificate in the next batch */
	bool resync;	 /* the workloads changed (a reload): resync after the batch */
	uint64_t alarms; /* renewals that failed */
	uint64_t rotations;
};

static void *
issue_thread(void *arg)
{
	struct batch *b = arg;

	for (unsigned int i = 0; i < b->n; i++) {
		const struct slot *s = &b->slots[b->idx[i]];

		b->out[i] = ctl_ca_issue(b->ca,
					 &(struct ctl_cert_req){.ns = s->ns,
								.sa = s->sa,
								.ip = s->ip,
								.lifetime_us = b->lifetime_us},
					 b->err, sizeof(b->err));
	}
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Starts a batch of the certificates due (all when rotating). */
static void
start_batch(struct ctl_daemon *d, time_t now)
{
	struct ctl_certs *c = d->certs;
	struct batch *b;

	if (c->b != NULL)
		return;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return;
	for (unsigned int i = 0; i < c->n; i++) {
		const struct slot *s = &c->s[i];

		if (c->rotate || (now >= s->retry_at &&
				  (s->cert == NULL || ctl_cert_needs_renewal(s->cert, now))))
			b->idx[b->n++] = i;
	}
	if (b->n == 0) {
		free(b);
		return;
	}
	b->ca = ctl_ca_ref(d->ca);
	b->lifetime_us = c->lifetime_us;
	b->slots = c->s;
	if (c->rotate)
		c->rotations++;
	c->rotate = false;
	if (pthread_create(&b->th, NULL, issue_thread, b) != 0) {
		ctl_ca_unref(b->ca);
		free(b);
		c->alarms++;
		return;
	}
	c->b = b;
}

static void
finish_batch(struct ctl_daemon *d, time_t now)
{
	struct ctl_certs *c = d->certs;
	struct batch *b = c->b;

	if (b == NULL || !__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
		return;
	pthread_join(b->th, NULL);
	for (unsigned int i = 0; i < b->n; i++) {
		struct slot *s = &c->s[b->idx[i]];

		if (b->out[i] == NULL) {
			s->failures++;
			c->alarms++;
			/* a first issue that fails waits too: from 1 s, doubling to 1 min */
			s->retry_at =
				s->cert ? ctl_cert_retry_at(s->cert, now)
					: now + (time_t)RTE_MIN(1ull << RTE_MIN(s->failures, 6u),
								60ull);
			GW_LOG(WARN, "certs: ns/%s/sa/%s not issued (the valid one stays): %s",
			       s->ns, s->sa, b->err);
			continue;
		}
		if (s->cert != NULL)
			s->renewals++;
		ctl_cert_free(s->cert);
		s->cert = b->out[i];
		s->retry_at = 0;
	}
	ctl_ca_unref(b->ca);
	free(b);
	c->b = NULL;
}

int
ctl_certs_start(struct ctl_daemon *d)
{
	const struct ctl_identities_conf *id = &d->conf->identities;
	struct ctl_certs *c;

	if (d->ca == NULL)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->lifetime_us = id->cert_lifetime_us;
	snprintf(c->s[0].ns, sizeof(c->s[0].ns), "meshgw");
	snprintf(c->s[0].sa, sizeof(c->s[0].sa), "%s",
		 d->conf->node.name[0] ? d->conf->node.name : "gateway");
	c->n = 1;
	for (unsigned int i = 0; i < id->n_workloads; i++, c->n++) {
		snprintf(c->s[c->n].ns, sizeof(c->s[0].ns), "%s", id->workloads[i].ns);
		snprintf(c->s[c->n].sa, sizeof(c->s[0].sa), "%s", id->workloads[i].sa);
	}
	d->certs = c;
	start_batch(d, time(NULL));
	return 0;
}

/* The workload slots follow the running config: a workload that stays
 * keeps its certificate, a new one gets one in the next batch, one that
 * left loses its own. Not while a batch is in flight (it indexes the slots). */
static void
resync(struct ctl_daemon *d)
{
	const struct ctl_identities_conf *id = &d->conf->identities;
	struct ctl_certs *c = d->certs;
	struct slot old[MAX_CERTS];
	unsigned int n_old = c->n;

	memcpy(old, c->s, sizeof(old));
	c->n = 1; /* the gateway's stays first */
	for (unsigned int i = 0; i < id->n_workloads && c->n < MAX_CERTS; i++, c->n++) {
		struct slot *s = &c->s[c->n];

		*s = (struct slot){0};
		snprintf(s->ns, sizeof(s->ns), "%s", id->workloads[i].ns);
		snprintf(s->sa, sizeof(s->sa), "%s", id->workloads[i].sa);
		for (unsigned int k = 1; k < n_old; k++)
			if (old[k].cert != NULL && strcmp(old[k].ns, s->ns) == 0 &&
			    strcmp(old[k].sa, s->sa) == 0) {
				*s = old[k];
				old[k].cert = NULL; /* moved */
				break;
			}
	}
	for (unsigned int k = 1; k < n_old; k++)
		ctl_cert_free(old[k].cert);
	c->resync = false;
}

void
ctl_certs_reload(struct ctl_daemon *d)
{
	if (d->certs == NULL)
		return;
	d->certs->resync = true;
	ctl_certs_tick(d);
}

void
ctl_certs_tick(struct ctl_daemon *d)
{
	time_t now;

	if (d->certs == NULL)
		return;
	now = time(NULL);
	finish_batch(d, now);
	if (d->certs->resync && d->certs->b == NULL)
		resync(d);
	start_batch(d, now);
}

void
ctl_certs_stop(struct ctl_daemon *d)
{
	struct ctl_certs *c = d->certs;

	if (c == NULL)
		return;
	if (c->b != NULL) {
		pthread_join(c->b->th, NULL);
		for (unsigned int i = 0; i < c->b->n; i++)
			ctl_cert_free(c->b->out[i]);
		ctl_ca_unref(c->b->ca);
		free(c->b);
	}
	for (unsigned int i = 0; i < c->n; i++)
		ctl_cert_free(c->s[i].cert);
	free(c);
	d->certs = NULL;
}

static json_t *
describe(const X509 *x, time_t now)
{
	struct ctl_cert_info in;

	if (ctl_cert_describe(x, &in) != 0)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "identity", in.identity, "serial",
			 in.serial, "issuer", in.issuer, "subject", in.subject, "not_before",
			 (json_int_t)in.not_before, "not_after", (json_int_t)in.not_after,
			 "seconds_left", (json_int_t)(in.not_after - now));
}

static int
cmd_certs(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	struct ctl_certs *c = d->certs;
	json_t *certs = json_array(), *roots = json_array();
	time_t now = time(NULL);
	bool rotate = json_is_true(json_object_get(args, "rotate"));

	if (c == NULL)
		return (ctl_error_set(err, ENOENT, "no identities configured"), -ENOENT);
	if (rotate) {
		c->rotate = true;
		start_batch(d, now); /* at once unless a batch is in flight */
	}
	for (unsigned int i = 0; i < c->n; i++) {
		const struct slot *s = &c->s[i];
		json_t *o = s->cert ? describe(ctl_cert_x509(s->cert), now) : json_object();

		json_object_set_new(o, "renewals", json_integer((json_int_t)s->renewals));
		json_object_set_new(o, "failures", json_integer((json_int_t)s->failures));
		json_object_set_new(
			o, "renew_at",
			json_integer(s->cert ? (json_int_t)ctl_cert_renew_at(s->cert) : 0));
		json_object_set_new(o, "gateway", json_boolean(i == 0));
		json_array_append_new(certs, o);
	}
	for (unsigned int i = 0; i < ctl_ca_n_roots(d->ca); i++)
		json_array_append_new(roots, describe(ctl_ca_root(d->ca, i), now));
	*result = json_pack("{s:s, s:o, s:o, s:I, s:I, s:b, s:b}", "trust_domain",
			    ctl_ca_trust_domain(d->ca), "certs", certs, "roots", roots, "alarms",
			    (json_int_t)c->alarms, "rotations", (json_int_t)c->rotations, "issuing",
			    c->b != NULL || c->rotate, "rotate_requested", rotate);
	return 0;
}

int
ctl_cmds_certs_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	return ctl_server_register(srv, "certs", cmd_certs, d);
}

void
ctl_certs_metrics(FILE *f, struct ctl_daemon *d)
{
	struct ctl_certs *c = d->certs;
	time_t now = time(NULL);
	uint64_t renewals = 0;

	if (c == NULL)
		return;
	fprintf(f, "# HELP meshgw_cert_expiry_seconds Seconds until a workload or gateway "
		   "certificate expires.\n# TYPE meshgw_cert_expiry_seconds gauge\n");
	for (unsigned int i = 0; i < c->n; i++) {
		renewals += c->s[i].renewals;
		if (c->s[i].cert != NULL)
			fprintf(f, "meshgw_cert_expiry_seconds{identity=\"%s\"} %lld\n",
				ctl_cert_identity(c->s[i].cert),
				(long long)(ctl_cert_not_after(c->s[i].cert) - now));
	}
	fprintf(f,
		"# HELP meshgw_cert_renewals_total Certificates renewed (half life or rotate).\n"
		"# TYPE meshgw_cert_renewals_total counter\nmeshgw_cert_renewals_total %" PRIu64
		"\n# HELP meshgw_cert_renewal_failures_total Renewals that failed (the valid "
		"certificate stayed).\n# TYPE meshgw_cert_renewal_failures_total counter\n"
		"meshgw_cert_renewal_failures_total %" PRIu64 "\n",
		renewals, c->alarms);
}

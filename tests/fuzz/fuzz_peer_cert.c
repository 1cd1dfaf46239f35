/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_peer_cert.c - libFuzzer harness for what the inbound gateway reads
 * from a peer: the input as a SPIFFE ID (ctl_spiffe_parse), and as a DER
 * certificate whose identity is taken (ctl_spiffe_from_cert) and described
 * (ctl_cert_describe). An identity accepted must parse again in our trust
 * domain; every string produced must be terminated within its buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ctl_ca.h"

#define TD "mesh.local"

static void
terminated(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

static void
as_id(const uint8_t *data, size_t size)
{
	char id[CTL_IDENTITY_MAX * 2], ns[CTL_ID_SEGMENT_MAX], sa[CTL_ID_SEGMENT_MAX];
	size_t n = size < sizeof(id) - 1 ? size : sizeof(id) - 1;
	int rc;

	memcpy(id, data, n);
	id[n] = '\0';
	rc = ctl_spiffe_parse(id, TD, ns, sa);
	if (rc == 0 && (strncmp(id, "spiffe://" TD "/ns/", 23) != 0 || ns[0] == '\0' ||
			sa[0] == '\0' || strlen(id) >= CTL_IDENTITY_MAX))
		abort();
	if (rc != 0 && rc != -EBADMSG && rc != -EPERM)
		abort();
}

static void
as_cert(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509 *x = d2i_X509(NULL, &p, (long)size);
	struct ctl_cert_info info;
	char id[CTL_IDENTITY_MAX];
	int rc;

	if (x == NULL) {
		ERR_clear_error();
		return;
	}
	rc = ctl_spiffe_from_cert(x, TD, id);
	terminated(id, sizeof(id));
	if (rc == 0 && ctl_spiffe_parse(id, TD, NULL, NULL) != 0)
		abort();
	if (rc != 0 && id[0] != '\0')
		abort();
	if (ctl_cert_describe(x, &info) != 0)
		abort();
	terminated(info.identity, sizeof(info.identity));
	terminated(info.serial, sizeof(info.serial));
	terminated(info.issuer, sizeof(info.issuer));
	terminated(info.subject, sizeof(info.subject));
	X509_free(x);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_id(data, size);
	as_cert(data, size);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_h1_response.c - the HTTP/1.1 response harness: fuzz_h1.c for response
 * heads (to each request method), their bodies and the heads the proxy
 * writes for them (plus the body decoders on the raw input).
 */
#define FUZZ_H1_RESPONSES_ONLY
#include "fuzz_h1.c"

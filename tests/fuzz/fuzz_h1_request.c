/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_h1_request.c - the HTTP/1.1 request harness: fuzz_h1.c for request
 * heads, their bodies and the heads the proxy writes for them (plus the body
 * decoders and traceparent on the raw input).
 */
#define FUZZ_H1_REQUESTS_ONLY
#include "fuzz_h1.c"

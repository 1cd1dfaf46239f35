/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshgwctl.h - meshgwctl's printers (meshgwctl_print.c): each prints one
 * command's result (borrowed) on stdout as a human reads it.
 */
#ifndef MESHGW_MESHGWCTL_H
#define MESHGW_MESHGWCTL_H

#include <jansson.h>

void ctl_print_status(json_t *r);
void ctl_print_stats(json_t *r);
void ctl_print_arp(json_t *r);
void ctl_print_routes(json_t *r);
void ctl_print_http_routes(json_t *r);
void ctl_print_conns(json_t *r);
void ctl_print_ready(json_t *r);
/* Any result: "key: value" lines, then arrays of objects as tables. */
void ctl_print_generic(json_t *r);
/* The result as indented JSON. 0, or 1 when out of memory. */
int ctl_print_json(json_t *r);

#endif /* MESHGW_MESHGWCTL_H */

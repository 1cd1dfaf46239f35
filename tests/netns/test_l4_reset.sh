#!/usr/bin/env bash
# test_l4_reset.sh - a reset on one leg resets the other:
#   1. the backend resets (close with SO_LINGER 0) after echoing a line: the
#      client sees ECONNRESET, counted as upstream_resets;
#   2. the client resets after the echo: the backend sees ECONNRESET,
#      counted as client_resets.
#
#   $PEER (client) ── bridge ── meshgw  VIPs $NET.100:7013, :7014
#                        └── backend 1  $NET.11:7013 (rst), :7014 (watch)
source "$(dirname "$0")/lib.sh"
need nginx
export MG_IO_TIMEOUT=5

mg_topology
mg_backends 1
for port in 7013 7014; do
	l4_service "s$port" "$NET.100:$port" "c$port"
	l4_cluster "c$port" "outlier = { consecutive_failures = 0; };" "$(be_ip 1):$port"
done
mg_l4_config
mg_start
mg_warm

be_serve rst 1 7013 rst
c=$(l4c rst-recv "$NET.100" 7013) || true
be_served rst || fail "backend 1: $SRV"
say "backend resets: client saw $(jq -r '.outcome // "?"' <<<"$c") $(jq -r '.ms // "?"' <<<"$c") ms after the echo; upstream_resets $(proxy_stat upstream_resets)"
jq -e '.error == null and .outcome == "reset"' <<<"$c" >/dev/null || fail "client: $c"
[ "$(proxy_stat upstream_resets)" -eq 1 ] || fail "upstream_resets = $(proxy_stat upstream_resets)"

be_serve watch 1 7014 watch
c=$(l4c rst-send "$NET.100" 7014) || fail "client: $c"
be_served watch || true
say "client resets: backend saw $(jq -r '.outcome // "?"' <<<"$SRV"); client_resets $(proxy_stat client_resets)"
jq -e '.echo' <<<"$c" >/dev/null || fail "no echo before the reset: $c"
jq -e '.error == null and .outcome == "reset"' <<<"$SRV" >/dev/null || fail "backend: $SRV"
[ "$(proxy_stat client_resets)" -eq 1 ] || fail "client_resets = $(proxy_stat client_resets)"
mg_l4_end
mg_stop
say "ok"

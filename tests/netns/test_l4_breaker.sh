#!/usr/bin/env bash
# test_l4_breaker.sh - the pending-connects circuit breaker: backend 3 drops
# every SYN (nftables), so connects to it stay pending. A client opens 10
# connections to the VIP of cluster "held" (backend 3 only, max_pending 4):
# the first 4 stay open (their connects pending), the other 6 are reset at
# once (within 200 ms) and counted as cb_max_pending. Meanwhile 300 GETs to
# cluster "web" (backends 1 and 2) all succeed, and later the 4 pending
# connects time out and their clients are reset (upstream_connect_exhausted).
#
#   $PEER (client) ── bridge ── meshgw  VIPs $NET.100:80 (web), $NET.101:80 (held)
#                        ├── backend 1, 2   $NET.11-12:8080
#                        └── backend 3      $NET.13:8080, SYNs dropped
source "$(dirname "$0")/lib.sh"
need nginx
need nft

PENDING=4
CONNS=10

mg_topology
mg_backends 3
in_be 3 nft -f - <<-NFT
	table inet hold {
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport 8080 tcp flags & (syn | ack) == syn drop
		}
	}
NFT
l4_service web "$NET.100:80" web
l4_cluster web "" "$(be_ip 1):8080" "$(be_ip 2):8080"
l4_service held "$NET.101:80" held
l4_cluster held "max_pending = $PENDING; connect_timeout = \"2s\"; connect_attempts = 1;" "$(be_ip 3):8080"
mg_l4_config
mg_start
mg_warm

l4c hold "$NET.101:80" --conns "$CONNS" --seconds 1.5 >"$TMP/hold.json" &
holder=$!
sleep 0.3
l4c spread --count 300 "$NET.100:80" >"$TMP/web.json" || fail "web during the hold: $(jq -r .error "$TMP/web.json")"
pending=$(ctl_json clusters | jq '.clusters[] | select(.name == "held") | .pending')
wait "$holder" || fail "hold client failed"
h=$(cat "$TMP/hold.json")
say "held: $(jq -c .count <<<"$h"), last reset after $(jq .last_reset_ms <<<"$h") ms; pending connects during the hold: $pending"
say "web during the hold: 300 GETs in $(jq .seconds "$TMP/web.json")s, $(jq '.targets[].errors' "$TMP/web.json") failed"
say "proxy: $(stat_q '.totals.proxy | {accepted, cb_max_pending, cb_max_connections, upstream_connect_timeouts, upstream_connect_exhausted}' | jq -c .)"
[ "$pending" -eq "$PENDING" ] || fail "$pending connects pending, expected $PENDING"
jq -e ".count.reset == $((CONNS - PENDING)) and .count.open == $PENDING" <<<"$h" >/dev/null ||
	fail "expected $((CONNS - PENDING)) resets and $PENDING open: $(jq -c .fates <<<"$h")"
jq -e '.last_reset_ms < 200' <<<"$h" >/dev/null || fail "resets were not at once: $(jq -c .fates <<<"$h")"
[ "$(proxy_stat cb_max_pending)" -eq $((CONNS - PENDING)) ] ||
	fail "cb_max_pending = $(proxy_stat cb_max_pending), expected $((CONNS - PENDING))"
# the held connections' clients closed; their connects time out (2 s) and end
t0=$SECONDS
until [ "$(proxy_stat upstream_connect_timeouts)" -ge "$PENDING" ]; do
	[ $((SECONDS - t0)) -lt 5 ] || fail "pending connects did not time out: $(stat_q .totals.proxy | jq -c .)"
	sleep 0.2
done
[ "$(proxy_stat upstream_connect_exhausted)" -eq "$PENDING" ] ||
	fail "upstream_connect_exhausted = $(proxy_stat upstream_connect_exhausted), expected $PENDING"
mg_l4_end
mg_stop
say "ok"

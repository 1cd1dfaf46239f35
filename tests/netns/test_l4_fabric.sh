#!/usr/bin/env bash
# test_l4_fabric.sh - an endpoint behind the fabric port is reached: the
# gateway has a second port ("fabric") on another veth and subnet, and a
# static route via the namespace there to the endpoint's own subnet. The
# endpoint is labelled as on another mesh node (reached directly until the
# mTLS tunnel exists). A VIP balances over it and a backend on the local
# port: both answer, and the remote one's bytes crossed the fabric port.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80 (node-a)
#                        │        │ local  $GW_IP/24
#                        │        └ fabric $FAB_NET.1/24 ── veth ── netns $(be_ns 9):
#                        │                                          $FAB_NET.2, lo $FAB_NET_R.1
#                        │                                          nginx :8080 "b9" (node-b)
#                        └── backend 1  $NET.11:8080 "b1"
source "$(dirname "$0")/lib.sh"
need nginx

mg_topology
mg_backends 1
mg_fabric 9
l4_service web "$NET.100:80" web
l4_cluster web "" "$(be_ip 1):8080" "$(be_ip 9):8080:1:node-b"
TOP_EXTRA="node = { name = \"node-a\"; }; $FAB_ROUTES"
mg_l4_config
mg_start
mg_warm

l4c spread --count 20 "$NET.100:80" >"$TMP/web.json" || fail "client: $(jq -r .error "$TMP/web.json")"
seq=$(jq -r '.targets[].seq' "$TMP/web.json")
fab=$(ctl_json stats | jq -c '.ports[] | select(.name == "fabric") | {rx_packets, tx_packets}')
say "20 GETs answered by: $seq; fabric port $fab"
ctl endpoints web | sed 's/^/    /'
if [ "$(tr -cd 9 <<<"$seq" | wc -c)" -ne 10 ] || [ "$(tr -cd 1 <<<"$seq" | wc -c)" -ne 10 ]; then
	fail "expected 10 answers from each backend: $seq"
fi
jq -e '.rx_packets >= 40 and .tx_packets >= 40' <<<"$fab" >/dev/null || fail "the remote endpoint's traffic did not cross the fabric port: $fab"
ctl_json endpoints web | jq -e ".endpoints[] | select(.endpoint == \"$(be_ip 9):8080\") | .node == \"node-b\" and .connections == 10" >/dev/null ||
	fail "endpoints does not show the remote endpoint's 10 connections"
mg_l4_end
mg_stop
say "ok"

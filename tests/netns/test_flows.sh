#!/usr/bin/env bash
# test_flows.sh - two workers on shared CPUs (af_packet has no RSS, so the
# kernel's fan-out picks the queue): 96 distinct UDP flows arrive, each is
# processed by the worker the ownership function names (counted per worker
# as no_socket drops: nothing listens on UDP), frames received by the other
# worker were redirected, and pings still work through both workers.
source "$(dirname "$0")/lib.sh"
need ping
/usr/bin/python3 -c 'import scapy' 2>/dev/null || fail "scapy missing"

WORKERS=2
CORES='cores = [ 1, 1 ];'
mg_topology
mg_config
mg_start
mg_warm

GW_MAC=$(ctl_json status | jq -r '.ports[0].mac')
ctl_json stats >"$TMP/before"
expect=$(in_peer /usr/bin/python3 "$(dirname "$0")/flows.py" "$PEERIF" "$GW_MAC" "$GW_IP" "$PEER_IP" 96 3 2) ||
	fail "flow sender failed"
sleep 0.5
ctl_json stats >"$TMP/after"
for w in 0 1; do
	b=$(jq ".workers[$w].drops.no_socket" "$TMP/before")
	a=$(jq ".workers[$w].drops.no_socket" "$TMP/after")
	e=$(jq ".[$w]" <<<"$expect")
	say "worker $w: processed $((a - b)) datagrams, ownership function says $e"
	[ $((a - b)) -eq "$e" ] || fail "worker $w processed $((a - b)), expected $e"
done
[ "$(jq '[.[]] | min' <<<"$expect")" -gt 0 ] || fail "flows did not spread over both workers"
redir=$(jq '.totals.redirected' "$TMP/after")
[ "$redir" -gt 0 ] || fail "nothing was redirected between workers"
say "redirected: $redir"
in_peer ping -c 20 -i 0.05 -W 1 "$GW_IP" >/dev/null || fail "pings lost with two workers"
ctl_json status | jq -e 'all(.workers[]; .acked_generation == 1 and .online)' >/dev/null || fail "worker status"
mg_stop

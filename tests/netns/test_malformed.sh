#!/usr/bin/env bash
# test_malformed.sh - crafted frames from the peer (scapy) raise exactly their
# own drop counters, nothing else, while pings keep being answered.
source "$(dirname "$0")/lib.sh"
need ping
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import scapy' 2>/dev/null || fail "scapy missing"

mg_topology
mg_config
mg_start
mg_warm

GW_MAC=$(ctl_json status | jq -r '.ports[0].mac')
in_peer ping -i 0.05 -c 100 -W 1 "$GW_IP" >"$TMP/ping" 2>&1 &
PING=$!
ctl_json stats | jq '.totals.drops' >"$TMP/before"
K=5
in_peer /usr/bin/python3 "$(dirname "$0")/malformed.py" "$PEERIF" "$GW_MAC" "$GW_IP" "$PEER_IP" $K ||
	fail "scapy sender failed"
sleep 0.5
ctl_json stats | jq '.totals.drops' >"$TMP/after"
wait $PING || fail "pings lost while malformed frames arrived: $(tail -2 "$TMP/ping")"

declare -A want=([ip_short]=$K [ip_bad_checksum]=$K [ip_bad_ihl]=$K [ip_bad_length]=$K
	[ip_bad_version]=$K [arp_bad_format]=$K [arp_short]=$K
	[not_local]=$K [icmp_bad_checksum]=$K)
jq -r 'to_entries[] | "\(.key) \(.value)"' "$TMP/before" >"$TMP/b"
while read -r reason before; do
	after=$(jq -r ".\"$reason\"" "$TMP/after")
	delta=$((after - before))
	expect=${want[$reason]:-0}
	[ "$delta" -eq "$expect" ] || fail "drop '$reason' rose by $delta, expected $expect"
done <"$TMP/b"
say "every drop counter rose by exactly what the frames should cause"
mg_stop

#!/usr/bin/env bash
# test_impair.sh - the impairment layer at 10% rx drop shows about 10% ping
# loss and its counters say so (determinism is covered by the unit tests).
source "$(dirname "$0")/lib.sh"
need ping

PORT_EXTRA='impair = { seed = 7; rx = { drop = 0.1; }; };'
mg_topology
mg_config

run_once() {
	mg_start
	in_peer ping -c 1 -W 2 "$GW_IP" >/dev/null || in_peer ping -c 1 -W 2 "$GW_IP" >/dev/null || true
	in_peer ping -c 400 -i 0.005 -W 1 "$GW_IP" >"$TMP/ping" 2>&1 || true
	received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping")
	dropped=$(ctl_json stats | jq '.ports[0].impair.rx.dropped')
	mg_stop
}

run_once
r1=$received
say "400 pings, $r1 answered, impairment dropped $dropped frames"
loss=$((400 - r1))
[ "$loss" -ge 16 ] && [ "$loss" -le 72 ] || fail "loss $loss/400 is not about 10%"
[ "$dropped" -ge 16 ] || fail "impair.rx.dropped = $dropped"

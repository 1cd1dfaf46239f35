#!/usr/bin/env bash
# test_ping.sh - meshgw answers ARP (arping) and ICMP echo, loses nothing in a
# 20,000-request flood ping, serves status/stats as JSON and /metrics, and
# exits 0 on SIGTERM. MESHGW_SMOKE=1 (the sanitizer smoke) floods 2,000.
source "$(dirname "$0")/lib.sh"
need ping
need arping
need curl

mg_topology
mg_config
mg_start

say "arping"
in_peer arping -c 3 -w 5 -I "$PEERIF" "$GW_IP" >"$TMP/arping" || fail "no ARP answer: $(cat "$TMP/arping")"
grep -q "reply from $GW_IP" "$TMP/arping" || grep -qi "from $GW_IP" "$TMP/arping" || fail "arping: $(cat "$TMP/arping")"

say "ping"
in_peer ping -c 5 -i 0.2 -W 2 "$GW_IP" >"$TMP/ping" || fail "ping lost: $(cat "$TMP/ping")"

N=20000
[ "${MESHGW_SMOKE:-0}" = 1 ] && N=2000
say "flood ping x$N"
echo_before=$(stat_q '[.workers[].stack.icmp_echo_out] | add')
in_peer ping -f -c $N -W 1 "$GW_IP" >"$TMP/flood" 2>&1 || true
grep -q "$N packets transmitted, $N received" "$TMP/flood" || fail "flood ping: $(tail -3 "$TMP/flood")"
echo_after=$(stat_q '[.workers[].stack.icmp_echo_out] | add')
[ $((echo_after - echo_before)) -eq $N ] || fail "icmp_echo_out rose by $((echo_after - echo_before)), not $N"

say "ctl and admin"
ctl_json status | jq -e '.ready == true and .state == "running" and .ports[0].link == "up"' >/dev/null ||
	fail "status: $(ctl_json status)"
ctl_json status | jq -e '.generation >= 1 and all(.workers[]; .acked_generation == 1)' >/dev/null ||
	fail "acked generations: $(ctl_json status)"
ctl_json stats | jq -e '.mbufs.in_use >= 0 and (.workers | length) == 1' >/dev/null || fail "stats JSON"
ctl_json arp | jq -e --arg ip "$PEER_IP" 'any(.entries[]; .ip == $ip and .state == "reachable")' >/dev/null ||
	fail "arp: $(ctl_json arp)"
ctl_json ip-routes | jq -e '.routes | length >= 1' >/dev/null || fail "ip-routes"
ctl status >/dev/null || fail "table output of status"
ctl stats >/dev/null || fail "table output of stats"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics not served"
grep -q '^meshgw_drops_total{worker="0",reason="not_local"} ' "$TMP/metrics" || fail "no drop family in /metrics"
grep -q '^meshgw_stack_icmp_echo_out_total{worker="0"} ' "$TMP/metrics" || fail "no stack family in /metrics"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/stats" | jq -e '.workers[0].stack.icmp_echo_out > 0' >/dev/null ||
	fail "/stats"

say "clean shutdown"
mg_stop
say "ok"

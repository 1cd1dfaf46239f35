#!/usr/bin/env bash
# test_tcp_many.sh - 10,000 short connections to echo (connect, send, read
# the echo, close; every 10th one resets instead of closing), 32 at a time:
# every echo is right, the gateway counts every connection, and afterwards
# nothing is left but TIME-WAIT within 2 MSL, then nothing, with no mbuf
# leaked. Then two workers on a shared CPU (af_packet has no RSS: the
# kernel's fan-out picks the queue, the ownership function the worker):
# 2,000 more short connections and 16 parallel transfers, spread over both
# workers, with the same end state.
source "$(dirname "$0")/lib.sh"

COUNT=${MG_MANY:-10000}
COUNT2=${MG_MANY2:-2000}

mg_topology
mg_peer_route congctl cubic
# the client closes first, so its ports sit in TIME-WAIT (60 s in Linux):
# the whole port range, and reuse, for the soak tier's larger counts
in_peer sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
mg_tcp_config
mg_start
mg_warm

TCPC_TIMEOUT=$((150 + COUNT / 100)) tcpc_ok many many "$GW_IP" 7 "$COUNT" --parallel 32 --bytes 200 --rst-every 10
say "$COUNT connections in $(jq .seconds "$TMP/many.json")s ($(jq .per_second "$TMP/many.json")/s)"
mg_tcp_end 15
ctl_json stats >"$TMP/stats"
n=$(jq .totals.diag.echo.connections "$TMP/stats")
[ "$n" -eq "$COUNT" ] || fail "echo counted $n connections, expected $COUNT"
jq -e ".totals.tcp.passive_opens == $COUNT and .totals.diag.echo.active == 0" "$TMP/stats" >/dev/null ||
	fail "tcp counters: $(jq -c .totals.tcp "$TMP/stats")"
mg_stop

WORKERS=2 CORES='cores = [ 1, 1 ];' mg_tcp_config
mg_start
mg_warm
tcpc_ok many2 many "$GW_IP" 7 "$COUNT2" --parallel 32 --bytes 200 --rst-every 10
tcpc_ok bulk16 echo "$GW_IP" 7 $((1 << 20)) --conns 16
ctl_json stats >"$TMP/stats2"
say "two workers: $COUNT2 connections in $(jq .seconds "$TMP/many2.json")s, 16 x 1 MiB echoed in" \
	"$(jq .total_seconds "$TMP/bulk16.json")s; per worker" \
	"$(jq -c '[.workers[] | {id, opens: .tcp.passive_opens, redirected_in}]' "$TMP/stats2")"
jq -e "[.workers[].tcp.passive_opens] | (add == $COUNT2 + 16) and (min > 0)" "$TMP/stats2" >/dev/null ||
	fail "connections not spread over both workers: $(jq -c '[.workers[].tcp.passive_opens]' "$TMP/stats2")"
jq -e '.totals.redirected > 0' "$TMP/stats2" >/dev/null || fail "nothing redirected between workers"
mg_tcp_end 15
mg_stop
say "ok"

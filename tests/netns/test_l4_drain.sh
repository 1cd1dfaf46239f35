#!/usr/bin/env bash
# test_l4_drain.sh - SIGTERM drains:
#   1. drain_timeout 20s, a transfer running (8 MiB, the client stalls 3 s
#      after its first MiB): at SIGTERM the VIPs stop accepting (a new
#      connection is refused at once), /ready turns 503 while /healthz
#      stays 200, `status` says "draining" with the
#      connection counted, the transfer completes intact, and meshgw exits 0
#      as soon as it has, long before the timeout;
#   2. drain_timeout 1s, a connection that never ends: it is reset after
#      the timeout and meshgw exits 0.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:7015 (bulk, then watch)
#                        │              VIP $NET.101:80 (nginx)
#                        └── backend 1  $NET.11:7015, nginx $NET.11:8080
source "$(dirname "$0")/lib.sh"
need nginx

BYTES=$((8 << 20))
now_ms() { date +%s%3N; }

mg_topology
mg_backends 1
l4_service bulk "$NET.100:7015" bulk
l4_cluster bulk "outlier = { consecutive_failures = 0; };" "$(be_ip 1):7015"
l4_service web "$NET.101:80" web
l4_cluster web "" "$(be_ip 1):8080"
DRAIN_TIMEOUT=20s mg_l4_config
mg_start
mg_warm
in_peer curl -sf --max-time 5 "http://$NET.101/" >/dev/null || fail "web VIP does not answer before the drain"
# the orchestration probes: healthy and ready
probe() { in_gw curl -s --max-time 2 -w ' %{http_code}' "http://127.0.0.1:$ADMIN_PORT/$1" | tr -d '\n'; }
[ "$(probe healthz)" = "ok 200" ] && [ "$(probe ready)" = "ok 200" ] ||
	fail "before the drain: /healthz '$(probe healthz)', /ready '$(probe ready)'"

# 1. a transfer finishes during the drain
be_serve bulk 1 7015 bulk --bytes "$BYTES"
tcpc source "$NET.100" 7015 "$BYTES" --stall-after $((1 << 20)) --stall 3 --rcvbuf 65536 \
	>"$TMP/client.json" &
client=$!
sleep 1
t0=$(now_ms)
kill -TERM "$MG_PID"
sleep 0.3
st=$(ctl_json status) || fail "status does not answer while draining"
jq -e '.state == "draining" and .drain.connections > 0 and .drain.ms_left > 0' <<<"$st" >/dev/null ||
	fail "status while draining: $(jq -c '{state, drain}' <<<"$st")"
say "draining: $(jq -c .drain <<<"$st")"
[ "$(probe ready)" = "draining 503" ] && [ "$(probe healthz)" = "ok 200" ] ||
	fail "while draining: /ready '$(probe ready)' (503 expected), /healthz '$(probe healthz)'"
t1=$(now_ms)
rc=0
in_peer curl -s --max-time 5 "http://$NET.101/" >/dev/null || rc=$?
[ "$rc" -eq 7 ] || fail "a new connection during the drain: curl exit $rc (expected 7: refused)"
say "a new connection during the drain is refused in $(($(now_ms) - t1)) ms"
rc=0
wait "$client" || rc=$?
t_client=$(now_ms)
[ $rc -eq 0 ] || fail "client: $(cat "$TMP/client.json")"
jq -e '.sha_received == .sha_expected' "$TMP/client.json" >/dev/null ||
	fail "transfer not intact: $(cat "$TMP/client.json")"
be_served bulk || fail "backend: $SRV"
rc=0
wait "$MG_PID" || rc=$?
t_exit=$(now_ms)
MG_PID=""
[ $rc -eq 0 ] || fail "meshgw exited $rc after the drain"
say "transfer intact $((t_client - t0)) ms after SIGTERM; meshgw exited $((t_exit - t_client)) ms after it"
grep -q "drained: every connection finished" "$LOG" || fail "no 'drained' line in the log"
[ $((t_exit - t0)) -lt 15000 ] || fail "meshgw took $((t_exit - t0)) ms: it waited for the timeout"
[ $((t_exit - t_client)) -lt 2000 ] || fail "meshgw exited $((t_exit - t_client)) ms after the last connection"

# 2. a connection that never ends is reset at the timeout
DRAIN_TIMEOUT=1s mg_l4_config
mg_start
mg_warm
be_serve watch 1 7015 watch
MG_IO_TIMEOUT=10 l4c rst-recv "$NET.100" 7015 >"$TMP/hold.json" &
client=$!
sleep 0.5
t0=$(now_ms)
kill -TERM "$MG_PID"
rc=0
wait "$MG_PID" || rc=$?
t_exit=$(now_ms)
MG_PID=""
[ $rc -eq 0 ] || fail "meshgw exited $rc after the drain timeout"
wait "$client" || true
be_served watch || true
c=$(cat "$TMP/hold.json")
say "drain timeout 1s: meshgw exited after $((t_exit - t0)) ms; client $(jq -c '{outcome, ms}' <<<"$c")"
jq -e '.outcome == "reset"' <<<"$c" >/dev/null || fail "the held connection was not reset: $c"
grep -q "drain timeout: resetting what is left" "$LOG" || fail "no drain timeout line in the log"
[ $((t_exit - t0)) -ge 900 ] && [ $((t_exit - t0)) -lt 4000 ] ||
	fail "exit $((t_exit - t0)) ms after SIGTERM with drain_timeout 1s"
say "ok"

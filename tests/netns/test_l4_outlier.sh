#!/usr/bin/env bash
# test_l4_outlier.sh - passive outlier detection: a client makes sequential
# GETs through a round-robin VIP over three nginx backends; backend 2 is
# killed (SIGKILL: its port refuses) during the run. Its connect failures
# (3 in a row) eject it, which the gateway logs; every request started
# 100 ms or more after that record succeeds and none of them tries backend 2.
# It is restarted 1 s into its 2 s ejection and must answer again within the
# base ejection time plus one review interval (2.5 s) of the record.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80
#                        ├── backend 1, 2, 3  $NET.11-13:8080
source "$(dirname "$0")/lib.sh"
need nginx

BASE_MS=2000
INTERVAL_MS=500

mg_topology
mg_backends 3
l4_service web "$NET.100:80" web
l4_cluster web "outlier = { consecutive_failures = 3; interval = \"${INTERVAL_MS}ms\";
	base_ejection_time = \"${BASE_MS}ms\"; max_ejection_time = \"10s\"; };" \
	"$(be_ip 1):8080" "$(be_ip 2):8080" "$(be_ip 3):8080"
mg_l4_config
mg_start
mg_warm

# backend 2's connect failures so far
b2_failures() { ctl_json endpoints web | jq ".endpoints[] | select(.endpoint == \"$(be_ip 2):8080\") | .connect_failures"; }

l4c outlier "$NET.100:80" --log "$LOG" --backend 2 --seconds 15 >"$TMP/run.json" &
client=$!
sleep 1
mg_backend_kill 2
say "backend 2 killed"
for _ in $(seq 500); do
	grep -q ' ejected for ' "$LOG" && break
	sleep 0.01
done
grep ' ejected for ' "$LOG" | head -1 | sed 's/^/    /' || fail "no ejection logged"
sleep 0.1
failures=$(b2_failures)
ctl_json endpoints web | jq -e ".endpoints[] | select(.endpoint == \"$(be_ip 2):8080\") | .ejected" >/dev/null ||
	fail "endpoints does not show backend 2 ejected"
[ "$(ctl_json clusters | jq .ejections)" -ge 1 ] || fail "clusters counts no granted ejection"
sleep 0.9
[ "$(b2_failures)" -eq "$failures" ] || fail "ejected backend 2 was still tried ($failures -> $(b2_failures) failures)"
mg_backend_start 2
say "backend 2 restarted"
rc=0
wait "$client" || rc=$?
r=$(cat "$TMP/run.json")
say "$(jq -r '"\(.requests) requests in \(.seconds)s, \(.failed) failed; ejection seen at \(.ejection_seen)s; after it (+100 ms): \(.after_ejection) requests, \(.failed_after_ejection) failed; backend 2 back \(.back_after)s after the ejection"' <<<"$r")"
[ "$(jq .failed <<<"$r")" -eq 0 ] || say "failed (the request in flight when backend 2 died is reset): $(jq -c .failures <<<"$r")"
say "proxy: $(stat_q '.totals.proxy | {upstream_connect_failures, upstream_connect_exhausted, upstream_resets, ejection_requests, no_endpoint}' | jq -c .)"
[ $rc -eq 0 ] || fail "client: $r"
jq -e '.ejection_seen != null' <<<"$r" >/dev/null || fail "the client never saw the ejection record"
jq -e '.failed_after_ejection == 0' <<<"$r" >/dev/null ||
	fail "requests failed 100 ms or more after the ejection: $(jq -c .failures <<<"$r")"
jq -e ".back_after != null and .back_after <= ($BASE_MS + $INTERVAL_MS) / 1000" <<<"$r" >/dev/null ||
	fail "backend 2 not back within $((BASE_MS + INTERVAL_MS)) ms of its ejection (back after $(jq .back_after <<<"$r") s)"
[ "$(proxy_stat upstream_connect_exhausted)" -eq 0 ] || fail "a client was reset: every attempt failed"
mg_l4_end
mg_stop
say "ok"

#!/usr/bin/env bash
# test_http_timeouts.sh - the HTTP settings test_http_limits.sh leaves out:
#   1. stream_idle_timeout 1s (request_timeout 10s): a backend silent for
#      3 s gives 504 after about 1 s, counted and flagged upstream_timeout;
#   2. max_connection_duration 2s: on a keep-alive connection of requests
#      taking 0.7 s each, the response in flight at 2 s says
#      `connection: close` and the connection closes after it;
#   3. access_log_sample 0: 20 good requests leave no line (log_sampled_out
#      counts them), a 503 from the backend and a request the gateway
#      answers itself (400) are logged all the same.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80 (http)
#                        └── backend 1  $NET.11:8081  h1peer.py serve-echo
source "$(dirname "$0")/lib.sh"
need nginx
need curl

VIP=$NET.100
ALOG=$TMP/access.log

mg_topology
mg_backends 1
h1_backend 1
http_service web "$VIP:80" web
l4_cluster web 'outlier = { consecutive_failures = 0; };' "$(be_ip 1):$H1_PORT"
LOG_EXTRA="access_log = \"$ALOG\";"
TOP_EXTRA='http = { stream_idle_timeout = "1s"; request_timeout = "10s";
	max_connection_duration = "2s"; access_log_sample = 0.0; upstream_idle_timeout = "2s"; };'
mg_l4_config
mg_start
mg_warm

# 1. stream idle timeout
t0=$(date +%s%3N)
code=$(in_peer curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$VIP/slow?ms=3000") || true
ms=$(($(date +%s%3N) - t0))
say "a backend silent for 3 s: $code after $ms ms; stream_idle_timeouts $(http_stat stream_idle_timeouts)"
[ "$code" = 504 ] || fail "expected 504 from the stream idle timeout, got $code"
[ "$ms" -ge 800 ] && [ "$ms" -lt 2500 ] || fail "504 after $ms ms with stream_idle_timeout 1s"
[ "$(http_stat stream_idle_timeouts)" -eq 1 ] || fail "stream_idle_timeouts not counted"

# 2. max connection duration: four requests of 0.7 s, one after the other
req=$(printf 'GET /slow?ms=700 HTTP/1.1\r\nHost: h\r\n\r\n' | od -An -tx1 | tr -d ' \n')
h1c raw "$VIP" 80 --hex "$req" --after "$req" --after "$req" --after "$req" --expect 4 \
	--timeout 6 >"$TMP/age.json" || true
say "max_connection_duration 2s: $(jq -c '{n: (.responses | length), close, close_ms,
	conn: [.responses[] | [.headers[] | select(.[0] | ascii_downcase == "connection") | .[1]][0]]}' \
	"$TMP/age.json")"
jq -e '(.responses | length) == 3 and .close != null and
	([.responses[2].headers[] | select(.[0] | ascii_downcase == "connection") | .[1]][0] == "close") and
	([.responses[0].headers[] | select(.[0] | ascii_downcase == "connection") | .[1]][0] == "keep-alive")' \
	"$TMP/age.json" >/dev/null || fail "max_connection_duration: $(cat "$TMP/age.json")"

# 3. sampling: nothing but errors is logged
s0=$(http_stat log_sampled_out)
for _ in $(seq 20); do in_peer curl -sf -o /dev/null --max-time 5 "http://$VIP/ok" || fail "GET /ok"; done
in_peer curl -s -o /dev/null --max-time 5 "http://$VIP/status/503" || true
printf 'GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n' >"$TMP/bad.req"
h1c raw "$VIP" 80 "$TMP/bad.req" --expect 1 >/dev/null || true
sleep 0.5 # the control thread writes the lines every tick
lines=$(jq -c 'select(.kind == "http") | [.path, .status]' "$ALOG" | tr '\n' ' ')
say "access_log_sample 0: logged $lines; log_sampled_out +$(($(http_stat log_sampled_out) - s0))"
[ "$(($(http_stat log_sampled_out) - s0))" -eq 20 ] || fail "log_sampled_out did not count the 20 requests"
jq -e -s '[.[] | select(.kind == "http" and .path == "/ok")] | length == 0' "$ALOG" >/dev/null ||
	fail "sampled-out requests were logged"
jq -e -s '[.[] | select(.kind == "http" and .path == "/status/503" and .status == 503)] | length == 1' \
	"$ALOG" >/dev/null || fail "the 503 was not logged"
jq -e -s '[.[] | select(.kind == "http" and .status == 400 and (.flags | test("generated")))] | length == 1' \
	"$ALOG" >/dev/null || fail "the generated 400 was not logged"
mg_http_end
mg_stop
say "ok"

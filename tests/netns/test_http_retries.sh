#!/usr/bin/env bash
# test_http_retries.sh - a route's retry policy, the cluster's retry budget
# and outlier detection on 5xx:
#   1. a backend that answers 503 to every other request: with retries on
#      5xx no client sees a 503 over 400 requests (every 503 was retried);
#      without retries half the requests fail; a POST is not retried on a
#      503 (only on connect failure);
#   2. every endpoint failing, 32 clients: the retry budget (20%, at least
#      2 in flight) bounds the retries far below count x requests and
#      refusals are counted;
#   3. per_try_timeout: tries that reach the slow endpoint time out and go
#      to the other;
#   4. an endpoint that answers 503 to everything is ejected after
#      consecutive_5xx and traffic goes to the healthy one.
#
#   $PEER ── bridge ── meshgw VIP $NET.100:80 (route table "r")
#                 ├── backend 1  h1peer.py serve-echo
#                 ├── backend 2  serve-echo (flaky on /flaky)
#                 ├── backend 3  serve-echo --fail-status 503
#                 └── backend 4  serve-echo --delay-ms 800
source "$(dirname "$0")/lib.sh"

VIP=$NET.100

mg_topology
mg_backends 4
h1_backend 1
h1_backend 2
h1_backend 3 --fail-status 503
h1_backend 4 --delay-ms 800
l4_cluster flaky '' "$(be_ip 2):$H1_PORT"
l4_cluster down 'retry_budget = { percent = 20; min_concurrency = 2; };
	outlier = { consecutive_5xx = 0; consecutive_gateway_errors = 0; };' \
	"$(be_ip 3):$H1_PORT"
l4_cluster slow 'policy = "round_robin";' "$(be_ip 4):$H1_PORT" "$(be_ip 1):$H1_PORT"
l4_cluster mixed 'outlier = { consecutive_5xx = 3; base_ejection_time = "30s"; max_ejection_percent = 50; };' \
	"$(be_ip 1):$H1_PORT" "$(be_ip 3):$H1_PORT"
http_route_service web "$VIP:80" r
TOP_EXTRA='http = { upstream_idle_timeout = "2s"; };
route_tables = ( { name = "r"; routes = (
	{ name = "retry"; match = { path_prefix = "/flaky"; headers = ( { name = "x-retry"; present = true; } ); };
	  cluster = "flaky"; retries = { on = [ "5xx" ]; count = 2; backoff_base = "1ms"; }; },
	{ name = "noretry"; match = { path_prefix = "/flaky"; }; cluster = "flaky"; },
	{ name = "down"; match = { path_prefix = "/down"; }; cluster = "down";
	  retries = { on = [ "gateway_error" ]; count = 3; backoff_base = "5ms"; backoff_max = "20ms"; }; },
	{ name = "slow"; match = { path_prefix = "/slow"; }; cluster = "slow";
	  retries = { on = [ "reset" ]; count = 1; per_try_timeout = "300ms"; backoff_base = "1ms"; }; },
	{ name = "mixed"; match = { path_prefix = "/mixed"; }; cluster = "mixed"; }
); } );'
mg_l4_config
mg_start
mg_warm

# 1. retries hide the flaky backend's 503s
h1c load "$VIP" 80 400 --conns 1 --path /flaky --header 'x-retry: 1' >"$TMP/retry.json" ||
	fail "retry load: $(cat "$TMP/retry.json")"
say "with retries: $(jq -c .status "$TMP/retry.json"), retries $(http_stat retries)"
jq -e '.status["200"] == 400' "$TMP/retry.json" >/dev/null || fail "with retries: $(cat "$TMP/retry.json")"
r=$(http_stat retries)
[ "$r" -ge 380 ] && [ "$r" -le 420 ] || fail "retries $r for 400 requests (every other try answered 503)"
h1c load "$VIP" 80 200 --conns 1 --path /flaky >"$TMP/noretry.json" || fail "noretry load: $(cat "$TMP/noretry.json")"
f=$(jq -r '.status["503"] // 0' "$TMP/noretry.json")
say "without retries: $(jq -c .status "$TMP/noretry.json")"
[ "$f" -ge 90 ] && [ "$f" -le 110 ] || fail "without retries $f of 200 failed: the backend is not flaky as expected"
r0=$(http_stat retries)
codes=""
for i in 1 2 3 4; do
	codes+=$(in_peer curl -s -o /dev/null -w '%{http_code} ' -X POST -H 'x-retry: 1' -d x "http://$VIP/flaky")
done
[ "$(http_stat retries)" -eq "$r0" ] || fail "a POST was retried on 503"
grep -q 503 <<<"$codes" || fail "POSTs: $codes (a 503 expected: not retried)"
say "POST not retried on 503: $codes"

# 2. the budget stops a retry storm
r0=$(http_stat retries)
h1c load "$VIP" 80 3000 --conns 32 --path /down >"$TMP/down.json" || fail "down load: $(cat "$TMP/down.json")"
r=$(($(http_stat retries) - r0))
ex=$(http_stat retry_budget_exhausted)
say "every endpoint failing, 3000 requests x 3 retries allowed: $r retries, $ex refused by the budget"
jq -e '.status["503"] == 3000' "$TMP/down.json" >/dev/null || fail "down: $(cat "$TMP/down.json")"
[ "$ex" -gt 0 ] || fail "the retry budget never refused a retry"
[ "$r" -le 3000 ] || fail "$r retries for 3000 requests: the budget did not bound the storm (9000 without it)"

# 3. per-try timeout: round robin sends every other first try to the 800 ms
#    endpoint; those time out after 300 ms and go to the other one
r0=$(http_stat retries)
h1c load "$VIP" 80 6 --conns 1 --path /slow-route --slow-ms 700 >"$TMP/slow.json" || fail "slow load: $(cat "$TMP/slow.json")"
t=$(http_stat per_try_timeouts)
say "per_try_timeout 300ms, one endpoint taking 800ms: $(jq -c '{status, backend, slow}' "$TMP/slow.json"), per_try_timeouts $t"
jq -e '.status["200"] == 6 and .backend.b1 == 6 and .slow == 0' "$TMP/slow.json" >/dev/null || fail "slow: $(cat "$TMP/slow.json")"
[ "$t" -ge 3 ] || fail "per_try_timeouts $t, expected 3 (every other first try)"
[ "$(($(http_stat retries) - r0))" -eq "$t" ] || fail "retries $(($(http_stat retries) - r0)) for $t per-try timeouts"

# 4. outlier detection on consecutive 5xx
h1c load "$VIP" 80 200 --conns 1 --path /mixed >"$TMP/mixed.json" || fail "mixed load: $(cat "$TMP/mixed.json")"
f=$(jq -r '.status["503"] // 0' "$TMP/mixed.json")
say "mixed cluster (one endpoint always 503): $f of 200 failed, ejection_requests_5xx $(proxy_stat ejection_requests_5xx)"
[ "$(proxy_stat ejection_requests_5xx)" -ge 1 ] || fail "no ejection requested for consecutive 5xx"
# the ejection takes effect at the control thread's next tick (10 ms), a
# few requests later: bounded, not exact
[ "$f" -le 40 ] || fail "$f of 200 requests failed: the failing endpoint was not ejected"
ctl_json endpoints mixed | jq -e --arg e "$(be_ip 3):$H1_PORT" '.endpoints[] | select(.endpoint == $e) | .ejected == true' >/dev/null ||
	fail "endpoints: $(ctl_json endpoints mixed | jq -c .endpoints)"
h1c load "$VIP" 80 100 --conns 1 --path /mixed >"$TMP/mixed2.json" || fail "mixed load: $(cat "$TMP/mixed2.json")"
jq -e '.status["200"] == 100' "$TMP/mixed2.json" >/dev/null ||
	fail "with the failing endpoint ejected: $(jq -c .status "$TMP/mixed2.json")"
say "once ejected: $(jq -c .status "$TMP/mixed2.json")"

mg_http_end
mg_stop
say "ok"
